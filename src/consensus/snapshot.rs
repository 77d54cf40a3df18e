//! Raft snapshots as files in `<data-dir>/snapshots/`, written and read as streams so a
//! snapshot never has to fit in memory.
//!
//! Format (version 1): the magic `BLFYSNAP`, a format byte, a length-prefixed JSON header (the
//! Raft snapshot meta), then one record per state row — a table tag (1 jobs, 2 executions), a
//! length-prefixed key and a length-prefixed value — an end tag 0, and finally the SHA-256 of
//! everything before it. A reader checks the magic, the version and the digest before it
//! changes anything, so a torn or tampered file is refused whole.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use openraft::type_config::alias::{SnapshotMetaOf, StoredMembershipOf};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use ring::digest;

use super::{KEY_APPLIED, KEY_MEMBERSHIP, SM_META, TypeConfig, decode, encode, io_err};
use crate::state::{CLUSTER, EXECUTIONS, JOBS};

pub const MAGIC: &[u8; 8] = b"BLFYSNAP";
pub const FORMAT: u8 = 1;
const TAG_END: u8 = 0;
const TABLES: [(u8, TableDefinition<&str, &[u8]>); 3] = [(1, JOBS), (2, EXECUTIONS), (3, CLUSTER)];
/// Upper bound for one key or value, so a corrupt length cannot make us allocate wildly.
const MAX_FIELD: usize = 512 * 1024 * 1024;

type Meta = SnapshotMetaOf<TypeConfig>;

fn invalid(why: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.into())
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    ctx: digest::Context,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.ctx.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    ctx: digest::Context,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.ctx.update(&buf[..n]);
        Ok(n)
    }
}

fn write_field(w: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    w.write_all(&(bytes.len() as u32).to_be_bytes())?;
    w.write_all(bytes)
}

fn read_field(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FIELD {
        return Err(invalid("snapshot field too large: the file is corrupt"));
    }
    // Grown as bytes arrive, not allocated from the claimed length: a crafted length costs
    // nothing unless the bytes are really there.
    let mut buf = Vec::with_capacity(len.min(64 * 1024));
    r.by_ref().take(len as u64).read_to_end(&mut buf)?;
    if buf.len() != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "snapshot is truncated",
        ));
    }
    Ok(buf)
}

/// The file name for a snapshot: sorts by log index.
fn file_name(meta: &Meta) -> String {
    match &meta.last_log_id {
        Some(l) => format!("{:020}-{}.snap", l.index, l.leader_id),
        None => "00000000000000000000-none.snap".into(),
    }
}

/// Writes a snapshot of the state as of one read transaction into `dir`; returns its meta and
/// path. Older snapshot files are removed once the new one is in place.
pub fn write(db: &redb::Database, dir: &Path) -> io::Result<(Meta, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let txn = db.begin_read().map_err(io_err)?;
    let meta_table = txn.open_table(SM_META).map_err(io_err)?;
    let last_log_id = match meta_table.get(KEY_APPLIED).map_err(io_err)? {
        Some(v) => decode(v.value())?,
        None => None,
    };
    let last_membership = match meta_table.get(KEY_MEMBERSHIP).map_err(io_err)? {
        Some(v) => decode(v.value())?,
        None => StoredMembershipOf::<TypeConfig>::default(),
    };
    let meta = Meta {
        last_log_id,
        last_membership,
    };
    let tmp = dir.join(format!("tmp-{:016x}.snap", rand::random::<u64>()));
    let file = File::create(&tmp)?;
    let mut w = Hashing {
        inner: BufWriter::new(file),
        ctx: digest::Context::new(&digest::SHA256),
    };
    w.write_all(MAGIC)?;
    w.write_all(&[FORMAT])?;
    write_field(&mut w, &encode(&meta))?;
    for (tag, def) in TABLES {
        let table = txn.open_table(def).map_err(io_err)?;
        for item in table.iter().map_err(io_err)? {
            let (k, v) = item.map_err(io_err)?;
            w.write_all(&[tag])?;
            write_field(&mut w, k.value().as_bytes())?;
            write_field(&mut w, v.value())?;
        }
    }
    w.write_all(&[TAG_END])?;
    let sum = w.ctx.clone().finish();
    let mut inner = w.inner;
    inner.write_all(sum.as_ref())?;
    let file = inner.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    let path = dir.join(file_name(&meta));
    std::fs::rename(&tmp, &path)?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    remove_others(dir, &path);
    Ok((meta, path))
}

fn remove_others(dir: &Path, keep: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p != keep && p.extension().is_some_and(|x| x == "snap") {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// The newest snapshot file in `dir`, if any.
pub fn latest(dir: &Path) -> io::Result<Option<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut best: Option<PathBuf> = None;
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".snap")
            && !name.starts_with("tmp-")
            && best.as_ref().is_none_or(|b| p > *b)
        {
            best = Some(p);
        }
    }
    Ok(best)
}

/// Reads the header of a snapshot file (no digest check).
pub fn read_meta(file: &mut File) -> io::Result<Meta> {
    file.seek(SeekFrom::Start(0))?;
    let mut r = BufReader::new(&mut *file);
    read_header(&mut r)
}

fn read_header(r: &mut impl Read) -> io::Result<Meta> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)
        .map_err(|_| invalid("not a Belfry snapshot: too short"))?;
    if &magic != MAGIC {
        return Err(invalid("not a Belfry snapshot: bad magic"));
    }
    let mut v = [0u8; 1];
    r.read_exact(&mut v)?;
    if v[0] != FORMAT {
        return Err(invalid(format!(
            "snapshot format {} is not understood by this version (format {FORMAT})",
            v[0]
        )));
    }
    decode(&read_field(r)?)
}

/// Walks every record of a snapshot, checking the digest at the end; `row` sees each record.
fn walk(
    file: &mut File,
    mut row: impl FnMut(u8, Vec<u8>, Vec<u8>) -> io::Result<()>,
) -> io::Result<Meta> {
    file.seek(SeekFrom::Start(0))?;
    let mut r = HashingReader {
        inner: BufReader::new(&mut *file),
        ctx: digest::Context::new(&digest::SHA256),
    };
    let meta = read_header(&mut r)?;
    loop {
        let mut tag = [0u8; 1];
        r.read_exact(&mut tag)
            .map_err(|_| invalid("snapshot is truncated"))?;
        if tag[0] == TAG_END {
            break;
        }
        if !TABLES.iter().any(|(t, _)| *t == tag[0]) {
            return Err(invalid(format!(
                "snapshot has an unknown record type {}",
                tag[0]
            )));
        }
        let k = read_field(&mut r).map_err(|_| invalid("snapshot is truncated"))?;
        let v = read_field(&mut r).map_err(|_| invalid("snapshot is truncated"))?;
        row(tag[0], k, v)?;
    }
    let want = r.ctx.clone().finish();
    let mut have = vec![0u8; want.as_ref().len()];
    r.inner
        .read_exact(&mut have)
        .map_err(|_| invalid("snapshot is truncated"))?;
    if have != want.as_ref() {
        return Err(invalid(
            "snapshot checksum mismatch: the file is corrupt or was altered",
        ));
    }
    Ok(meta)
}

/// Reads every row of a snapshot (table tag, key, value), checking the whole file's digest;
/// `row` sees each record before the digest is known, so act on them only after `Ok`.
pub fn for_each_row(
    file: &mut File,
    row: impl FnMut(u8, Vec<u8>, Vec<u8>) -> io::Result<()>,
) -> io::Result<Meta> {
    walk(file, row)
}

/// Checks a snapshot file end to end: its digest, and every row decoded and checked by the
/// state machine's own rules ([`crate::state::check_row`]); returns its meta and row count.
pub fn verify(file: &mut File) -> io::Result<(Meta, u64)> {
    let mut rows = 0u64;
    let meta = walk(file, |tag, k, v| {
        let key = String::from_utf8(k).map_err(|_| invalid("snapshot key is not UTF-8"))?;
        crate::state::check_row(tag, &key, &v).map_err(invalid)?;
        rows += 1;
        Ok(())
    })?;
    Ok((meta, rows))
}

/// Replaces the state with the snapshot's, in one transaction, after checking the whole file
/// (digest and every row). Returns the meta recorded in the file.
pub fn load(db: &redb::Database, file: &mut File) -> io::Result<Meta> {
    let (meta, _) = verify(file)?;
    let txn = db.begin_write().map_err(io_err)?;
    {
        let mut jobs = txn.open_table(JOBS).map_err(io_err)?;
        let mut execs = txn.open_table(EXECUTIONS).map_err(io_err)?;
        let mut cluster = txn.open_table(CLUSTER).map_err(io_err)?;
        jobs.retain(|_, _| false).map_err(io_err)?;
        execs.retain(|_, _| false).map_err(io_err)?;
        cluster.retain(|_, _| false).map_err(io_err)?;
        walk(file, |tag, k, v| {
            let key = String::from_utf8(k).map_err(|_| invalid("snapshot key is not UTF-8"))?;
            let table = match tag {
                1 => &mut jobs,
                2 => &mut execs,
                3 => &mut cluster,
                other => return Err(invalid(format!("unknown snapshot table tag {other}"))),
            };
            table.insert(key.as_str(), v.as_slice()).map_err(io_err)?;
            Ok(())
        })?;
        let mut m = txn.open_table(SM_META).map_err(io_err)?;
        m.insert(KEY_APPLIED, encode(&meta.last_log_id).as_slice())
            .map_err(io_err)?;
        m.insert(KEY_MEMBERSHIP, encode(&meta.last_membership).as_slice())
            .map_err(io_err)?;
    }
    txn.commit().map_err(io_err)?;
    Ok(meta)
}

/// Keeps a copy of an installed snapshot as this node's current one.
pub fn keep_copy(file: &mut File, meta: &Meta, dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("tmp-{:016x}.snap", rand::random::<u64>()));
    file.seek(SeekFrom::Start(0))?;
    {
        let mut out = File::create(&tmp)?;
        io::copy(file, &mut out)?;
        out.sync_all()?;
    }
    let path = dir.join(file_name(meta));
    std::fs::rename(&tmp, &path)?;
    remove_others(dir, &path);
    file.seek(SeekFrom::Start(0))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::open_stores;
    use crate::model::Job;
    use crate::state::{Applier, Command, Reader};

    fn with_jobs(dir: &Path, names: &[&str]) -> std::sync::Arc<redb::Database> {
        let (_, sm) = open_stores(dir).unwrap();
        let db = sm.db().clone();
        let txn = db.begin_write().unwrap();
        {
            let mut a = Applier::new(&txn).unwrap();
            for n in names {
                let job = Job {
                    name: n.to_string(),
                    schedule: "@daily".into(),
                    executor: "shell".into(),
                    executor_config: [("command".to_string(), "true".to_string())].into(),
                    ..Job::default()
                };
                a.apply(&Command::SetJob {
                    job: Box::new(job),
                    at: chrono::Utc::now(),
                })
                .unwrap();
            }
        }
        txn.commit().unwrap();
        db
    }

    fn job_names(db: &redb::Database) -> Vec<String> {
        let txn = db.begin_read().unwrap();
        let r = Reader::new(&txn).unwrap();
        r.jobs().unwrap().into_iter().map(|j| j.job.name).collect()
    }

    #[test]
    fn round_trip_and_every_kind_of_damage_is_refused_without_change() {
        let a = tempfile::tempdir().unwrap();
        let src = with_jobs(a.path(), &["alpha", "beta"]);
        let (_, path) = write(&src, &a.path().join("snaps")).unwrap();
        let good = std::fs::read(&path).unwrap();

        let b = tempfile::tempdir().unwrap();
        let dst = with_jobs(b.path(), &["old"]);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("truncated", good[..good.len() - 40].to_vec(), "truncated"),
            (
                "tampered",
                {
                    let mut t = good.clone();
                    let i = t.len() / 2;
                    t[i] ^= 0x55;
                    t
                },
                "",
            ),
            (
                "newer format",
                {
                    let mut t = good.clone();
                    t[8] = 9;
                    t
                },
                "format 9",
            ),
            (
                "not a snapshot",
                b"hello world, not a snapshot".to_vec(),
                "magic",
            ),
            ("empty", Vec::new(), "too short"),
        ];
        for (what, bytes, needle) in cases {
            let p = b.path().join(format!("{what}.bin"));
            std::fs::write(&p, &bytes).unwrap();
            let err = load(&dst, &mut File::open(&p).unwrap()).unwrap_err();
            assert!(err.to_string().contains(needle), "{what}: {err}");
            assert_eq!(job_names(&dst), vec!["old"], "{what} changed the state");
        }
        let p = b.path().join("good.bin");
        std::fs::write(&p, &good).unwrap();
        load(&dst, &mut File::open(&p).unwrap()).unwrap();
        assert_eq!(job_names(&dst), vec!["alpha", "beta"]);
    }
}
