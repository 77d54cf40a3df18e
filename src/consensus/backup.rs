//! Backup archives (`belfry snapshot save | inspect | restore`): one `.tar.zst` file holding a
//! consistent point-in-time copy of a cluster's state.
//!
//! Members, in this order:
//!
//! - `manifest.json`: archive format, Belfry version, cluster id, Raft index and term, when it
//!   was taken, and the SHA-256 of every other member;
//! - `manifest.sig` (format 2, when a cluster key was given): HMAC-SHA256 of the exact bytes of
//!   `manifest.json` under a key derived from the cluster key, so the manifest — and through its
//!   checksums every member — is authenticated;
//! - `state.snap`: the state machine in the Raft snapshot format (self-checksummed);
//! - `jobs.json`: the jobs in Dkron's JSON shape, for people and for `belfry jobs import`.
//!
//! An archive is written to a temporary file, synced and renamed, then read back and verified.
//! Reading refuses anything that does not check out — truncation, corruption, a tampered
//! member, a bad signature, a row the state machine would refuse, a newer format — with the
//! reason, before anything is changed. Reading never trusts sizes: the tar container is parsed
//! here (plain members only, no extension headers that would be read into memory), every member
//! is streamed to a temporary file under a size cap, and the zstd window is bounded, so a
//! decompression bomb is refused within a small, fixed amount of memory.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ring::{digest, hmac};
use serde::{Deserialize, Serialize};

use crate::consensus::snapshot;
use crate::model::Job;
use crate::state::JobRecord;

/// The archive format this binary writes; it reads this one and older ones.
/// 1: manifest, state, jobs. 2: adds `manifest.sig`.
pub const ARCHIVE_FORMAT: u32 = 2;

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const STATE: &str = "state.snap";
pub const JOBS: &str = "jobs.json";

/// Largest `manifest.json` or `manifest.sig` read.
const MAX_MANIFEST: u64 = 1 << 20;
/// Default cap on the decompressed size of `state.snap` and of `jobs.json` (`--max-size`).
pub const DEFAULT_MAX_MEMBER: u64 = 1 << 30;
/// The zstd window a reader allows (2^23 = 8 MiB; archives are written with far less), so a
/// crafted frame cannot make the decoder allocate a huge window.
const ZSTD_WINDOW_LOG_MAX: u32 = 23;

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

/// How far an archive's origin was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Authenticity {
    /// Signed, and the signature checks out under the cluster key given.
    Verified,
    /// Signed, but no key was given to check the signature.
    NoKey,
    /// Not signed (format 1, or saved without a cluster key).
    Unsigned,
}

impl Authenticity {
    /// What `inspect` prints after the checksums.
    pub fn describe(self) -> &'static str {
        match self {
            Authenticity::Verified => "signature verified with the cluster key",
            Authenticity::NoKey => {
                "NOT authenticated: no key given (pass --encrypt or BELFRY_ENCRYPT)"
            }
            Authenticity::Unsigned => {
                "NOT authenticated: the archive is not signed (saved without a cluster key)"
            }
        }
    }
}

/// The key archives are signed with: derived from the cluster key, so the key that protects
/// the cluster's traffic is never used directly for anything else.
fn signing_key(cluster_key: &[u8]) -> hmac::Key {
    let root = hmac::Key::new(hmac::HMAC_SHA256, cluster_key);
    let derived = hmac::sign(&root, b"belfry archive signature v1");
    hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, bytes).as_ref())
}

/// Reads a state snapshot file: checks it end to end — the digest, and every row decoded and
/// validated by the state machine's own rules — counts its rows, and returns its Raft position
/// (index, term) and its jobs. The first bad row is named in the error.
pub fn read_state(path: &Path) -> Result<(u64, u64, Contents, Vec<Job>), BackupError> {
    let mut file = File::open(path).map_err(io(path))?;
    let mut contents = Contents::default();
    let mut jobs = Vec::new();
    let meta = snapshot::for_each_row(&mut file, |tag, k, v| {
        let key = String::from_utf8(k)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a row key is not UTF-8"))?;
        crate::state::check_row(tag, &key, &v)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        match tag {
            1 => {
                contents.jobs += 1;
                contents.job_bytes += v.len() as u64;
                let record: JobRecord = crate::state::decode(&v)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
                jobs.push(record.job);
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
/// With a cluster key the manifest is signed (`manifest.sig`).
pub fn write_archive(
    out: &Path,
    state_snap: &Path,
    cluster_id: &str,
    cluster_key: Option<&[u8]>,
) -> Result<(Manifest, Contents), BackupError> {
    let (index, term, contents, jobs) = read_state(state_snap)?;
    let state_hash = {
        let mut f = File::open(state_snap).map_err(io(state_snap))?;
        let mut ctx = digest::Context::new(&digest::SHA256);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = f.read(&mut buf).map_err(io(state_snap))?;
            if n == 0 {
                break;
            }
            ctx.update(&buf[..n]);
        }
        hex(ctx.finish().as_ref())
    };
    let state_len = std::fs::metadata(state_snap).map_err(io(state_snap))?.len();
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
            (STATE.to_string(), state_hash),
            (JOBS.to_string(), sha256_hex(&jobs_json)),
        ]),
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
    let signature = cluster_key.map(|key| {
        let mut sig = hex(hmac::sign(&signing_key(key), &manifest_json).as_ref()).into_bytes();
        sig.push(b'\n');
        sig
    });
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
    let mtime = manifest.created_at.timestamp().max(0) as u64;
    let written = (|| -> std::io::Result<()> {
        let file = File::create(&tmp)?;
        let mut z = zstd::Encoder::new(file, 3)?;
        {
            let mut tar = tar::Builder::new(&mut z);
            let mut add = |name: &str, size: u64, data: &mut dyn Read| {
                let mut header = tar::Header::new_gnu();
                header.set_size(size);
                header.set_mode(0o600);
                header.set_mtime(mtime);
                header.set_cksum();
                tar.append_data(&mut header, name, data)
            };
            add(
                MANIFEST,
                manifest_json.len() as u64,
                &mut manifest_json.as_slice(),
            )?;
            if let Some(sig) = &signature {
                add(SIGNATURE, sig.len() as u64, &mut sig.as_slice())?;
            }
            add(STATE, state_len, &mut File::open(state_snap)?)?;
            add(JOBS, jobs_json.len() as u64, &mut jobs_json.as_slice())?;
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
    let opened = open_archive(out, cluster_key, DEFAULT_MAX_MEMBER.max(state_len))?;
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
    /// Whether the manifest's signature was checked.
    pub authenticity: Authenticity,
    /// The verified state snapshot, on disk (inside `_dir`).
    pub state_path: PathBuf,
    pub jobs: Vec<Job>,
    _dir: tempfile::TempDir,
}

/// One member header of a tar stream: name and size. Only plain files with a short name are
/// accepted (what [`write_archive`] writes); anything else — links, directories, GNU long
/// names, pax extensions — is refused, so nothing is ever read into memory unbounded.
/// `Ok(None)` at the end-of-archive block.
pub fn read_tar_header(r: &mut impl Read) -> Result<Option<(String, u64)>, String> {
    let mut block = [0u8; 512];
    let mut got = 0;
    while got < block.len() {
        match r.read(&mut block[got..]) {
            Ok(0) => return Err("the archive is truncated".into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("the archive is truncated or corrupt: {e}")),
        }
    }
    if block.iter().all(|b| *b == 0) {
        return Ok(None);
    }
    let octal = |field: &[u8]| -> Option<u64> {
        let text = std::str::from_utf8(field).ok()?;
        let text = text.trim_matches(|c: char| c == '\0' || c == ' ');
        if text.is_empty() {
            return Some(0);
        }
        u64::from_str_radix(text, 8).ok()
    };
    let stored_sum = octal(&block[148..156]).ok_or("the archive is corrupt: bad header")?;
    let sum: u64 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                *b as u64
            }
        })
        .sum();
    if sum != stored_sum {
        return Err("the archive is truncated or corrupt: header checksum mismatch".into());
    }
    let name_end = block[..100].iter().position(|b| *b == 0).unwrap_or(100);
    let name = std::str::from_utf8(&block[..name_end])
        .map_err(|_| "the archive is corrupt: a member name is not UTF-8".to_string())?
        .to_string();
    if !matches!(block[156], b'0' | 0) {
        return Err(format!(
            "unexpected member {name:?} of type {:?}: not a Belfry snapshot archive",
            block[156] as char
        ));
    }
    let size = if block[124] & 0x80 != 0 {
        // GNU base-256 for sizes beyond the octal field.
        let mut n: u64 = (block[124] & 0x7f) as u64;
        for b in &block[125..136] {
            n = n
                .checked_mul(256)
                .and_then(|n| n.checked_add(*b as u64))
                .ok_or("the archive is corrupt: member size overflows")?;
        }
        n
    } else {
        octal(&block[124..136]).ok_or("the archive is corrupt: bad member size")?
    };
    Ok(Some((name, size)))
}

/// Copies exactly `size` bytes from `r` into `w`, returning their SHA-256.
fn copy_member(r: &mut impl Read, w: &mut impl Write, size: u64) -> io::Result<String> {
    let mut ctx = digest::Context::new(&digest::SHA256);
    let mut left = size;
    let mut buf = vec![0u8; 64 * 1024];
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = r.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive is truncated",
            ));
        }
        ctx.update(&buf[..n]);
        w.write_all(&buf[..n])?;
        left -= n as u64;
    }
    // Members are padded to 512-byte blocks.
    let pad = (512 - size % 512) % 512;
    io::copy(&mut r.take(pad), &mut io::sink())?;
    Ok(hex(ctx.finish().as_ref()))
}

/// Parses `manifest.json`: refuses a newer format with a clear message.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, String> {
    #[derive(Deserialize)]
    struct FormatOnly {
        format: u32,
    }
    let format: FormatOnly =
        serde_json::from_slice(bytes).map_err(|e| format!("manifest.json is unreadable: {e}"))?;
    if format.format > ARCHIVE_FORMAT {
        return Err(format!(
            "archive format {} is newer than this belfry ({}) understands (format {ARCHIVE_FORMAT}); use a newer belfry",
            format.format,
            env!("CARGO_PKG_VERSION")
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| format!("manifest.json is unreadable: {e}"))
}

/// Opens and verifies an archive: format, every member's checksum, the signature (checked
/// when `cluster_key` is given; a wrong one is refused), the state snapshot's own checksum,
/// every state row, and the jobs file. Members are streamed to a temporary directory, each
/// capped at `max_member` decompressed bytes (the manifest and signature at 1 MiB).
pub fn open_archive(
    path: &Path,
    cluster_key: Option<&[u8]>,
    max_member: u64,
) -> Result<OpenedArchive, BackupError> {
    let file = File::open(path).map_err(io(path))?;
    let dir = tempfile::tempdir().map_err(io(path))?;
    let mut z = zstd::Decoder::new(file)
        .map_err(|e| invalid(path, format!("not a zstd-compressed archive: {e}")))?;
    z.window_log_max(ZSTD_WINDOW_LOG_MAX)
        .map_err(|e| invalid(path, format!("not a zstd-compressed archive: {e}")))?;
    let mut z = io::BufReader::new(z);
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();
    let mut sizes = BTreeMap::new();
    let mut manifest_bytes = None;
    let mut signature = None;
    loop {
        let (name, size) = match read_tar_header(&mut z) {
            Ok(Some(member)) => member,
            Ok(None) => break,
            Err(e) if hashes.is_empty() && manifest_bytes.is_none() => {
                return Err(invalid(path, format!("not a Belfry snapshot archive: {e}")));
            }
            Err(e) => return Err(invalid(path, e)),
        };
        let cap = match name.as_str() {
            MANIFEST | SIGNATURE => MAX_MANIFEST,
            STATE | JOBS => max_member,
            _ => return Err(invalid(path, format!("unexpected member {name:?}"))),
        };
        if hashes.contains_key(&name)
            || (name == MANIFEST && manifest_bytes.is_some())
            || (name == SIGNATURE && signature.is_some())
        {
            return Err(invalid(path, format!("member {name} appears twice")));
        }
        if size > cap {
            return Err(invalid(
                path,
                format!(
                    "{name} would decompress to {size} bytes, more than the {cap} allowed (raise --max-size if this archive is genuine)"
                ),
            ));
        }
        let truncated = |e: io::Error| {
            invalid(
                path,
                format!("the archive is truncated or corrupt ({name}): {e}"),
            )
        };
        match name.as_str() {
            MANIFEST | SIGNATURE => {
                let mut bytes = Vec::new();
                copy_member(&mut z, &mut bytes, size).map_err(truncated)?;
                if name == MANIFEST {
                    manifest_bytes = Some(bytes);
                } else {
                    signature = Some(bytes);
                }
            }
            _ => {
                let target = dir.path().join(&name);
                let mut out = BufWriter::new(File::create(&target).map_err(io(&target))?);
                let hash = copy_member(&mut z, &mut out, size).map_err(truncated)?;
                out.flush().map_err(io(&target))?;
                hashes.insert(name.clone(), hash);
                sizes.insert(name, size);
            }
        }
    }
    let manifest_bytes = manifest_bytes
        .ok_or_else(|| invalid(path, "no manifest.json: not a Belfry snapshot archive"))?;
    let manifest = parse_manifest(&manifest_bytes).map_err(|e| invalid(path, e))?;
    let authenticity = match (&signature, cluster_key) {
        (None, _) => Authenticity::Unsigned,
        (Some(_), None) => Authenticity::NoKey,
        (Some(sig), Some(key)) => {
            let sig = std::str::from_utf8(sig)
                .ok()
                .and_then(unhex)
                .ok_or_else(|| invalid(path, "manifest.sig is not a signature"))?;
            hmac::verify(&signing_key(key), &manifest_bytes, &sig).map_err(|_| {
                invalid(
                    path,
                    "the signature does not match: the archive was altered, or signed with another cluster's key",
                )
            })?;
            Authenticity::Verified
        }
    };
    for name in [STATE, JOBS] {
        let have = hashes
            .get(name)
            .ok_or_else(|| invalid(path, format!("{name} is missing from the archive")))?;
        let want = manifest
            .files
            .get(name)
            .ok_or_else(|| invalid(path, format!("the manifest has no checksum for {name}")))?;
        if have != want {
            return Err(invalid(
                path,
                format!(
                    "{name} does not match its checksum: the archive is corrupt or was altered"
                ),
            ));
        }
    }
    let state_path = dir.path().join(STATE);
    let (index, term, contents, _) = read_state(&state_path)?;
    if (index, term) != (manifest.index, manifest.term) {
        return Err(invalid(
            path,
            "the state snapshot's Raft position differs from the manifest's",
        ));
    }
    let jobs_path = dir.path().join(JOBS);
    let jobs: Vec<Job> = serde_json::from_reader(io::BufReader::new(
        File::open(&jobs_path).map_err(io(&jobs_path))?,
    ))
    .map_err(|e| invalid(path, format!("jobs.json is unreadable: {e}")))?;
    for job in &jobs {
        crate::job::validate::validate_job(job)
            .map_err(|e| invalid(path, format!("jobs.json: job {:?}: {e}", job.name)))?;
    }
    Ok(OpenedArchive {
        manifest,
        contents,
        sizes,
        authenticity,
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

/// Property tests: every decoder that reads bytes from an archive answers arbitrary bytes with
/// `Ok` or a clean error, never a panic. Kept to a few hundred cases so CI runs them in seconds.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// A tar header block with these bytes written over a valid one from `at`.
    fn header_with(name: &str, size: u64, at: usize, patch: &[u8]) -> Vec<u8> {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_size(size);
        h.set_mode(0o600);
        h.set_cksum();
        let mut block = h.as_bytes().to_vec();
        for (i, b) in patch.iter().enumerate() {
            if let Some(slot) = block.get_mut(at + i) {
                *slot = *b;
            }
        }
        block
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn tar_headers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
            let _ = read_tar_header(&mut bytes.as_slice());
        }

        #[test]
        fn patched_tar_headers_never_panic(
            at in 0usize..512,
            patch in proptest::collection::vec(any::<u8>(), 1..40),
            size in any::<u64>(),
        ) {
            let block = header_with(STATE, size, at, &patch);
            let _ = read_tar_header(&mut block.as_slice());
        }

        #[test]
        fn manifests_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_manifest(&bytes);
        }

        #[test]
        fn json_shaped_manifests_never_panic(
            format in any::<u32>(),
            index in any::<u64>(),
            text in "\\PC{0,40}",
        ) {
            let m = format!(
                r#"{{"format":{format},"belfry_version":"{text:?}","cluster_id":"x","index":{index},"term":1,"created_at":"2026-01-01T00:00:00Z","files":{{"state.snap":"{text:?}"}}}}"#
            );
            let _ = parse_manifest(m.as_bytes());
        }

        #[test]
        fn state_rows_never_panic(
            tag in any::<u8>(),
            key in "\\PC{0,30}",
            value in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let _ = crate::state::check_row(tag, &key, &value);
            let mut json = vec![1u8];
            json.extend_from_slice(&value);
            let _ = crate::state::check_row(tag, &key, &json);
        }
    }

    proptest! {
        // Whole files through the real readers: fewer cases, each touches the disk.
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn archives_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let dir = tempfile::tempdir().unwrap();
            let raw = dir.path().join("raw.tar.zst");
            std::fs::write(&raw, &bytes).unwrap();
            prop_assert!(open_archive(&raw, None, 1 << 20).is_err());
            // The same bytes inside a valid zstd frame reach the tar reader.
            let framed = dir.path().join("framed.tar.zst");
            std::fs::write(&framed, zstd::encode_all(bytes.as_slice(), 1).unwrap()).unwrap();
            prop_assert!(open_archive(&framed, Some(b"0123456789abcdef"), 1 << 20).is_err());
        }

        #[test]
        fn state_snapshots_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("state.snap");
            let mut body = snapshot::MAGIC.to_vec();
            body.push(snapshot::FORMAT);
            body.extend_from_slice(&bytes);
            for (name, content) in [("plain", &bytes), ("headed", &body)] {
                std::fs::write(&path, content).unwrap();
                prop_assert!(read_state(&path).is_err(), "{name}");
            }
        }
    }
}
