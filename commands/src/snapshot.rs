//! `belfry snapshot save | inspect | restore`: backups of a cluster's state as verified
//! `.tar.zst` archives (see `belfry::consensus::backup`).
//!
//! `save` and `restore` talk to a running cluster over its HTTP API; with `--data-dir` they act
//! on a stopped server's data dir instead (save refuses one a running node holds; restore seeds
//! a new one-server cluster). `inspect` works offline on the file alone.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use belfry::consensus::backup::{self, OpenedArchive};

use crate::cli::SnapshotCommand;
use crate::failure::Failure;

pub fn run(addr: &str, cmd: SnapshotCommand) -> Result<(), Failure> {
    let runtime = crate::failure::runtime()?;
    match cmd {
        SnapshotCommand::Save {
            file,
            stale,
            output_dir,
            keep,
            quiet,
            data_dir,
            key,
        } => {
            let key = key.bytes()?;
            let (state, cluster) = match &data_dir {
                Some(dir) => offline_state(dir)?,
                None => {
                    let client = crate::cli::client(addr)?;
                    let mut shown = Progress::new(!quiet, "received");
                    let (bytes, cluster) =
                        runtime.block_on(client.snapshot(stale, |n| shown.update(n)))?;
                    shown.finish();
                    let tmp = tempfile::NamedTempFile::new().map_err(|e| {
                        Failure::failed(format!("cannot write a temporary file: {e}"))
                    })?;
                    std::fs::write(tmp.path(), bytes).map_err(|e| {
                        Failure::failed(format!("cannot write a temporary file: {e}"))
                    })?;
                    (tmp, cluster)
                }
            };
            let target = match (&file, &output_dir) {
                (Some(f), None) => f.clone(),
                (None, Some(dir)) => {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        Failure::failed(format!("cannot create {}: {e}", dir.display()))
                    })?;
                    dir.join(backup::archive_name(&cluster, chrono::Utc::now()))
                }
                _ => {
                    return Err(Failure::usage(
                        "give either FILE or --output-dir DIR (not both)",
                    ));
                }
            };
            let (manifest, _) =
                backup::write_archive(&target, state.path(), &cluster, key.as_deref())
                    .map_err(|e| Failure::failed(e.to_string()))?;
            if let (Some(dir), Some(keep)) = (&output_dir, keep) {
                prune(dir, &cluster, keep)?;
            }
            if !quiet {
                println!(
                    "Saved and verified snapshot at index {} to {}",
                    manifest.index,
                    target.display()
                );
            }
            if key.is_none() {
                eprintln!(
                    "warning: the archive is NOT signed: no cluster key given (pass --encrypt or BELFRY_ENCRYPT); restoring it will need --allow-unsigned"
                );
            }
            Ok(())
        }
        SnapshotCommand::Inspect {
            file,
            json,
            key,
            max_size,
        } => {
            let archive = open(&file, key.bytes()?.as_deref(), max_size)?;
            if json {
                crate::output::print_json(&serde_json::json!({
                    "file": file,
                    "manifest": archive.manifest,
                    "contents": archive.contents,
                    "sizes": archive.sizes,
                    "verified": true,
                    "authenticity": archive.authenticity,
                    "verification": verification(&archive),
                }));
            } else {
                print_inspection(&file, &archive);
            }
            Ok(())
        }
        SnapshotCommand::Restore {
            file,
            yes,
            data_dir,
            force,
            key,
            allow_unsigned,
            max_size,
        } => {
            let archive = open(&file, key.bytes()?.as_deref(), max_size)?;
            authenticated_enough(&archive, allow_unsigned)?;
            match data_dir {
                Some(dir) => restore_offline(&dir, &archive, force),
                None => {
                    confirm(yes, &archive)?;
                    let client = crate::cli::client(addr)?;
                    let bytes = std::fs::read(&archive.state_path)
                        .map_err(|e| Failure::failed(format!("cannot read the archive: {e}")))?;
                    let mut shown = Progress::new(true, "sending");
                    shown.update(bytes.len() as u64);
                    let message = runtime.block_on(client.restore(bytes))?;
                    shown.finish();
                    println!(
                        "Restored snapshot of index {} from {}: {message}",
                        archive.manifest.index,
                        file.display()
                    );
                    Ok(())
                }
            }
        }
    }
}

/// A one-line byte counter on stderr, shown only when stderr is a terminal (and `NO_COLOR`
/// or not, it uses no color): scripts and cron see nothing.
struct Progress {
    on: bool,
    what: &'static str,
    shown: bool,
}

impl Progress {
    fn new(wanted: bool, what: &'static str) -> Progress {
        Progress {
            on: wanted && std::io::stderr().is_terminal(),
            what,
            shown: false,
        }
    }

    fn update(&mut self, bytes: u64) {
        if self.on {
            eprint!("\r{} {:.1} MiB", self.what, bytes as f64 / (1 << 20) as f64);
            self.shown = true;
        }
    }

    fn finish(&mut self) {
        if self.shown {
            eprintln!();
        }
    }
}

/// Opens and verifies an archive. Exit codes as documented: a missing archive is 3 (not
/// found), a damaged, tampered or newer-format one 2 (bad input), any other I/O failure 1.
fn open(file: &Path, key: Option<&[u8]>, max_size: u64) -> Result<OpenedArchive, Failure> {
    backup::open_archive(file, key, max_size).map_err(|e| {
        let code = match &e {
            backup::BackupError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                crate::failure::code::NOT_FOUND
            }
            backup::BackupError::Io { .. } => crate::failure::code::FAILED,
            backup::BackupError::Invalid { .. } => crate::failure::code::USAGE,
        };
        Failure {
            code,
            message: format!("refused: {e}"),
        }
    })
}

/// What was verified, in one line.
fn verification(archive: &OpenedArchive) -> String {
    format!(
        "checksums verified; every row decoded and valid; {}",
        archive.authenticity.describe()
    )
}

/// A restore needs a signature checked with the cluster key, unless `--allow-unsigned`.
fn authenticated_enough(archive: &OpenedArchive, allow_unsigned: bool) -> Result<(), Failure> {
    if archive.authenticity == backup::Authenticity::Verified {
        return Ok(());
    }
    if allow_unsigned {
        eprintln!(
            "warning: restoring an archive that is {}",
            archive.authenticity.describe()
        );
        return Ok(());
    }
    Err(Failure::failed(format!(
        "refused: the archive is {}; pass the cluster key with --encrypt (or BELFRY_ENCRYPT), or --allow-unsigned to restore it anyway",
        archive.authenticity.describe()
    )))
}

/// A stopped server's state, as a snapshot file; refuses a data dir a running node holds.
fn offline_state(dir: &Path) -> Result<(tempfile::NamedTempFile, String), Failure> {
    let tmp = tempfile::NamedTempFile::new().map_err(|e| Failure::failed(e.to_string()))?;
    let cluster =
        backup::stopped_node_state(dir, tmp.path()).map_err(|e| Failure::failed(e.to_string()))?;
    Ok((tmp, cluster))
}

/// Keeps the newest `keep` archives of this cluster in `dir` (names sort by time).
fn prune(dir: &Path, cluster: &str, keep: usize) -> Result<(), Failure> {
    let prefix = format!("belfry-{cluster}-");
    let mut archives: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Failure::failed(format!("cannot list {}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".tar.zst"))
        })
        .collect();
    archives.sort();
    let excess = archives.len().saturating_sub(keep.max(1));
    for old in &archives[..excess] {
        std::fs::remove_file(old)
            .map_err(|e| Failure::failed(format!("cannot remove {}: {e}", old.display())))?;
    }
    Ok(())
}

fn confirm(yes: bool, archive: &OpenedArchive) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::usage(
            "restore replaces every job and execution in the cluster: add --yes to confirm",
        ));
    }
    eprint!(
        "Replace the cluster's state with this snapshot ({} jobs, {} executions, index {}, taken {})? [y/N] ",
        archive.contents.jobs,
        archive.contents.executions,
        archive.manifest.index,
        archive.manifest.created_at
    );
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Failure::failed(e.to_string()))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::failed("not restored"))
    }
}

fn restore_offline(dir: &Path, archive: &OpenedArchive, force: bool) -> Result<(), Failure> {
    let non_empty = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if non_empty && !force {
        return Err(Failure::usage(format!(
            "{} is not empty: restore seeds a new data dir (use --force to replace what is there)",
            dir.display()
        )));
    }
    if non_empty {
        // Refuse to pull the state from under a running node.
        let state = dir.join(belfry::consensus::STATE_FILE);
        if state.exists() && belfry::consensus::open_db(&state).is_err() {
            return Err(Failure::failed(format!(
                "{} is in use by a running belfry node: stop it first",
                dir.display()
            )));
        }
        for entry in std::fs::read_dir(dir)
            .map_err(|e| Failure::failed(e.to_string()))?
            .flatten()
        {
            let p = entry.path();
            let removed = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
            removed.map_err(|e| Failure::failed(format!("cannot clear {}: {e}", p.display())))?;
        }
    }
    let rows = belfry::consensus::seed_state(dir, &archive.state_path)
        .map_err(|e| Failure::failed(format!("cannot seed {}: {e}", dir.display())))?;
    println!(
        "Seeded {} with {} jobs and {} executions ({rows} rows) from the snapshot at index {}; start it with `belfry agent --server --bootstrap-expect=1 --data-dir {}`",
        dir.display(),
        archive.contents.jobs,
        archive.contents.executions,
        archive.manifest.index,
        dir.display()
    );
    Ok(())
}

fn print_inspection(file: &Path, a: &OpenedArchive) {
    let m = &a.manifest;
    println!("{}", file.display());
    let rows = vec![
        vec!["Format".into(), m.format.to_string()],
        vec!["Belfry version".into(), m.belfry_version.clone()],
        vec!["Cluster".into(), m.cluster_id.clone()],
        vec!["Raft index".into(), m.index.to_string()],
        vec!["Raft term".into(), m.term.to_string()],
        vec!["Created".into(), m.created_at.to_rfc3339()],
        vec![
            "Jobs".into(),
            format!("{} ({} bytes)", a.contents.jobs, a.contents.job_bytes),
        ],
        vec![
            "Executions".into(),
            format!(
                "{} ({} bytes)",
                a.contents.executions, a.contents.execution_bytes
            ),
        ],
        vec!["Other rows".into(), a.contents.other_rows.to_string()],
    ];
    crate::output::table(&["FIELD", "VALUE"], &rows);
    for (name, size) in &a.sizes {
        println!("{name}: {size} bytes, checksum verified");
    }
    println!("Verified: {}", verification(a));
}
