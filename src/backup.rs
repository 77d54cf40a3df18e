//! Backup archives (`belfry snapshot save | inspect | restore`): one `.tar.zst` file holding a
//! consistent point-in-time copy of a cluster's state.
//!
//! Members, in this order:
//!
//! - `manifest.json`: archive format, Belfry version, cluster id, Raft index and term, when it
//!   was taken, and the SHA-256 of every other member;
//! - `state.snap`: the state machine in the Raft snapshot format (self-checksummed);
//! - `jobs.json`: the jobs in Dkron's JSON shape, for people and for `belfry jobs import`.
//!
//! An archive is written to a temporary file, synced and renamed, then read back and verified.
//! Reading refuses anything that does not check out — truncation, corruption, a tampered
//! member, a newer format — with the reason, before anything is changed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ring::digest;
use serde::{Deserialize, Serialize};

use crate::consensus::snapshot;
use crate::model::Job;
use crate::state::JobRecord;

/// The archive format this binary writes; it reads this one and older ones.
pub const ARCHIVE_FORMAT: u32 = 1;

pub const MANIFEST: &str = "manifest.json";
pub const STATE: &str = "state.snap";
pub const JOBS: &str = "jobs.json";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn invalid(path: &Path, reason: impl Into<String>) -> BackupError {
    BackupError::Invalid {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub belfry_version: String,
    pub cluster_id: String,
    pub index: u64,
    pub term: u64,
    pub created_at: DateTime<Utc>,
    /// Member name → SHA-256 (hex).
    pub files: BTreeMap<String, String>,
}

/// What a state snapshot holds, counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Contents {
    pub jobs: u64,
    pub executions: u64,
    pub other_rows: u64,
    pub job_bytes: u64,
    pub execution_bytes: u64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    digest::digest(&digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads a state snapshot file: checks it end to end, counts its rows, and returns its Raft
/// position (index, term) and its jobs.
pub fn read_state(path: &Path) -> Result<(u64, u64, Contents, Vec<Job>), BackupError> {
    let mut file = File::open(path).map_err(io(path))?;
    let mut contents = Contents::default();
    let mut jobs = Vec::new();
    let meta = snapshot::for_each_row(&mut file, |tag, _k, v| {
        match tag {
            1 => {
                contents.jobs += 1;
                contents.job_bytes += v.len() as u64;
                if let Ok(record) = crate::state::decode::<JobRecord>(&v) {
                    jobs.push(record.job);
                }
            }
            2 => {
                contents.executions += 1;
                contents.execution_bytes += v.len() as u64;
            }
            _ => contents.other_rows += 1,
        }
        Ok(())
    })
    .map_err(|e| invalid(path, format!("state snapshot: {e}")))?;
    let (index, term) = meta
        .last_log_id
        .map(|l| (l.index, l.leader_id.term))
        .unwrap_or((0, 0));
    jobs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((index, term, contents, jobs))
}

/// Writes an archive from a state snapshot file, atomically, then verifies what was written.
pub fn write_archive(
    out: &Path,
    state_snap: &Path,
    cluster_id: &str,
) -> Result<(Manifest, Contents), BackupError> {
    let (index, term, contents, jobs) = read_state(state_snap)?;
    let state = std::fs::read(state_snap).map_err(io(state_snap))?;
    let mut jobs_json = serde_json::to_vec_pretty(&jobs).expect("jobs serialise");
    jobs_json.push(b'\n');
    let manifest = Manifest {
        format: ARCHIVE_FORMAT,
        belfry_version: env!("CARGO_PKG_VERSION").into(),
        cluster_id: cluster_id.into(),
        index,
        term,
        created_at: Utc::now(),
        files: BTreeMap::from([
            (STATE.to_string(), sha256_hex(&state)),
            (JOBS.to_string(), sha256_hex(&jobs_json)),
        ]),
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let file = File::create(&tmp)?;
        let mut z = zstd::Encoder::new(file, 3)?;
        {
            let mut tar = tar::Builder::new(&mut z);
            for (name, bytes) in [
                (MANIFEST, &manifest_json),
                (STATE, &state),
                (JOBS, &jobs_json),
            ] {
                let mut header = tar::Header::new_gnu();
                header.set_size(bytes.len() as u64);
                header.set_mode(0o600);
                header.set_mtime(manifest.created_at.timestamp().max(0) as u64);
                header.set_cksum();
                tar.append_data(&mut header, name, bytes.as_slice())?;
            }
            tar.finish()?;
        }
        let file = z.finish()?;
        file.sync_all()?;
        std::fs::rename(&tmp, out)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(out)(e));
    }
    let opened = open_archive(out)?;
    if opened.manifest != manifest {
        return Err(invalid(
            out,
            "verification after writing failed: manifest differs",
        ));
    }
    Ok((manifest, contents))
}

/// A verified archive, unpacked into a temporary directory.
pub struct OpenedArchive {
    pub manifest: Manifest,
    pub contents: Contents,
    pub sizes: BTreeMap<String, u64>,
    /// The verified state snapshot, on disk (inside `_dir`).
    pub state_path: PathBuf,
    pub jobs: Vec<Job>,
    _dir: tempfile::TempDir,
}

/// Opens and verifies an archive: format, every member's checksum, the state snapshot's own
/// checksum, and the jobs file.
pub fn open_archive(path: &Path) -> Result<OpenedArchive, BackupError> {
    let file = File::open(path).map_err(io(path))?;
    let dir = tempfile::tempdir().map_err(io(path))?;
    let z = zstd::Decoder::new(file)
        .map_err(|e| invalid(path, format!("not a zstd-compressed archive: {e}")))?;
    let mut tar = tar::Archive::new(z);
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let entries = tar
        .entries()
        .map_err(|e| invalid(path, format!("not a Belfry snapshot archive: {e}")))?;
    for entry in entries {
        let mut entry = entry
            .map_err(|e| invalid(path, format!("the archive is truncated or corrupt: {e}")))?;
        let name = entry
            .path()
            .map_err(|e| invalid(path, format!("bad member name: {e}")))?
            .to_string_lossy()
            .into_owned();
        if !matches!(name.as_str(), MANIFEST | STATE | JOBS) {
            return Err(invalid(path, format!("unexpected member {name:?}")));
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| {
            invalid(
                path,
                format!("the archive is truncated or corrupt ({name}): {e}"),
            )
        })?;
        members.insert(name, bytes);
    }
    let manifest_bytes = members
        .get(MANIFEST)
        .ok_or_else(|| invalid(path, "no manifest.json: not a Belfry snapshot archive"))?;
    #[derive(Deserialize)]
    struct FormatOnly {
        format: u32,
    }
    let format: FormatOnly = serde_json::from_slice(manifest_bytes)
        .map_err(|e| invalid(path, format!("manifest.json is unreadable: {e}")))?;
    if format.format > ARCHIVE_FORMAT {
        return Err(invalid(
            path,
            format!(
                "archive format {} is newer than this belfry ({}) understands (format {ARCHIVE_FORMAT}); use a newer belfry",
                format.format,
                env!("CARGO_PKG_VERSION")
            ),
        ));
    }
    let manifest: Manifest = serde_json::from_slice(manifest_bytes)
        .map_err(|e| invalid(path, format!("manifest.json is unreadable: {e}")))?;
    let mut sizes = BTreeMap::new();
    for name in [STATE, JOBS] {
        let bytes = members
            .get(name)
            .ok_or_else(|| invalid(path, format!("{name} is missing from the archive")))?;
        let want = manifest
            .files
            .get(name)
            .ok_or_else(|| invalid(path, format!("the manifest has no checksum for {name}")))?;
        if &sha256_hex(bytes) != want {
            return Err(invalid(
                path,
                format!(
                    "{name} does not match its checksum: the archive is corrupt or was altered"
                ),
            ));
        }
        sizes.insert(name.to_string(), bytes.len() as u64);
    }
    let state_path = dir.path().join(STATE);
    File::create(&state_path)
        .and_then(|mut f| f.write_all(&members[STATE]))
        .map_err(io(&state_path))?;
    let (index, term, contents, _) = read_state(&state_path)?;
    if (index, term) != (manifest.index, manifest.term) {
        return Err(invalid(
            path,
            "the state snapshot's Raft position differs from the manifest's",
        ));
    }
    let jobs: Vec<Job> = serde_json::from_slice(&members[JOBS])
        .map_err(|e| invalid(path, format!("jobs.json is unreadable: {e}")))?;
    Ok(OpenedArchive {
        manifest,
        contents,
        sizes,
        state_path,
        jobs,
        _dir: dir,
    })
}

/// The file name `--output-dir` uses: `belfry-<cluster>-<UTC timestamp>.tar.zst`.
pub fn archive_name(cluster_id: &str, at: DateTime<Utc>) -> String {
    format!(
        "belfry-{cluster_id}-{}.tar.zst",
        at.format("%Y%m%dT%H%M%SZ")
    )
}

/// Writes a stopped server's state as a snapshot file at `into`; returns its cluster id.
/// Refuses a data dir that a running node holds.
pub fn stopped_node_state(data_dir: &Path, into: &Path) -> Result<String, BackupError> {
    use redb::ReadableDatabase;
    let path = data_dir.join(crate::consensus::STATE_FILE);
    if !path.exists() {
        return Err(invalid(
            data_dir,
            format!("no Belfry state here (no {})", crate::consensus::STATE_FILE),
        ));
    }
    let db = crate::consensus::open_db(&path).map_err(|e| {
        let text = e.to_string();
        if text.contains("already open") || text.contains("lock") {
            invalid(
                data_dir,
                "in use by a running belfry node: stop it first, or save through its API",
            )
        } else {
            invalid(&path, text)
        }
    })?;
    let cluster = {
        let txn = db.begin_read().map_err(|e| invalid(&path, e.to_string()))?;
        crate::state::Reader::new(&txn)
            .and_then(|r| r.cluster_id())
            .map_err(|e| invalid(&path, e.to_string()))?
            .unwrap_or_else(|| "unnamed".into())
    };
    let tmp = tempfile::tempdir().map_err(io(into))?;
    let (_, snap) = snapshot::write(&db, tmp.path()).map_err(io(&path))?;
    std::fs::copy(&snap, into).map_err(io(into))?;
    Ok(cluster)
}
