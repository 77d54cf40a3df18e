//! Backups: `belfry snapshot save | inspect | restore` against real nodes and real files.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use crate::support::*;

/// A cluster key (what `belfry keygen` prints) that signs and checks the archives here.
const ARCHIVE_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn at(node: &Node, args: &[&str]) -> (i32, String, String) {
    let addr = node.addr();
    let mut a = vec!["--http-addr", addr.as_str()];
    a.extend_from_slice(args);
    cli(&a, &[], None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_inspect_and_restore_through_the_api() {
    let node = Node::start(&[]).await;
    let client = node.client();
    for name in ["one", "two", "three"] {
        client
            .put_job(&shell_job(name, "@manually", "echo hi"))
            .await
            .unwrap();
    }
    client.run_job("one").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.tar.zst");
    let f = file.to_str().unwrap();
    let (code, out, err) = at(&node, &["snapshot", "save", f, "--encrypt", ARCHIVE_KEY]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Saved and verified snapshot at index ") && out.trim_end().ends_with(f),
        "{out}"
    );
    let (code, out, err) = cli(
        &["snapshot", "inspect", f, "--json"],
        &[("BELFRY_ENCRYPT", ARCHIVE_KEY)],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["contents"]["jobs"], 3);
    assert_eq!(v["contents"]["executions"], 1);
    assert_eq!(v["manifest"]["format"], 2);
    assert_eq!(v["authenticity"], "verified");
    // The key can also come from the agent's config file.
    let config = dir.path().join("agent.yml");
    std::fs::write(&config, format!("server: true\nencrypt: {ARCHIVE_KEY}\n")).unwrap();
    let (code, out, err) = cli(
        &[
            "snapshot",
            "inspect",
            f,
            "--json",
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["authenticity"], "verified");
    assert_eq!(v["manifest"]["cluster_id"].as_str().unwrap().len(), 16);

    // Change things, then restore: the state is the snapshot's again.
    client.delete_job("two").await.unwrap();
    client
        .put_job(&shell_job("later", "@manually", "true"))
        .await
        .unwrap();
    let (code, _, err) = at(&node, &["snapshot", "restore", f, "--encrypt", ARCHIVE_KEY]);
    assert_eq!(code, 2, "asks for --yes when not on a terminal: {err}");
    assert!(client.job("later").await.is_ok(), "nothing changed");
    let (code, out, err) = at(
        &node,
        &["snapshot", "restore", f, "--yes", "--encrypt", ARCHIVE_KEY],
    );
    assert_eq!(code, 0, "{out}{err}");
    let mut names: Vec<String> = client
        .jobs()
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.name)
        .collect();
    names.sort();
    assert_eq!(names, ["one", "three", "two"]);
    assert_eq!(client.executions("one").await.unwrap().len(), 1);
    // The scheduler follows the restored jobs: a manual run still works.
    client.run_job("two").await.unwrap();

    // Cron-friendly: --output-dir names the files, --keep prunes, --quiet prints nothing.
    let out_dir = dir.path().join("nightly");
    let od = out_dir.to_str().unwrap();
    for _ in 0..3 {
        let (code, out, err) = at(
            &node,
            &[
                "snapshot",
                "save",
                "--output-dir",
                od,
                "--keep",
                "2",
                "--quiet",
                "--encrypt",
                ARCHIVE_KEY,
            ],
        );
        assert_eq!((code, out.as_str()), (0, ""), "{err}");
        // Names carry the second: make the next one differ.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let kept: Vec<_> = std::fs::read_dir(&out_dir).unwrap().flatten().collect();
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|e| {
        let n = e.file_name().to_string_lossy().into_owned();
        n.starts_with("belfry-") && n.ends_with(".tar.zst")
    }));
}

/// Rewrites an archive's members (decompressed tar) through `edit`.
fn rewrite(src: &Path, dst: &Path, edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) {
    let mut tar = tar::Archive::new(zstd::Decoder::new(std::fs::File::open(src).unwrap()).unwrap());
    let mut out = tar::Builder::new(Vec::new());
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        let bytes = edit(&name, bytes);
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o600);
        h.set_cksum();
        out.append_data(&mut h, &name, bytes.as_slice()).unwrap();
    }
    let tar_bytes = out.into_inner().unwrap();
    let mut z = zstd::Encoder::new(std::fs::File::create(dst).unwrap(), 3).unwrap();
    z.write_all(&tar_bytes).unwrap();
    z.finish().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_archives_are_refused_with_the_reason_and_change_nothing() {
    let node = Node::start(&[]).await;
    node.client()
        .put_job(&shell_job("keep", "@manually", "true"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.tar.zst");
    let (code, _, err) = at(&node, &["snapshot", "save", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&good).unwrap();

    let truncated = dir.path().join("truncated.tar.zst");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let corrupt = dir.path().join("corrupt.tar.zst");
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0xff;
    std::fs::write(&corrupt, flipped).unwrap();
    let tampered = dir.path().join("tampered.tar.zst");
    rewrite(&good, &tampered, |name, b| {
        if name == "jobs.json" {
            String::from_utf8(b)
                .unwrap()
                .replace("keep", "kept")
                .into_bytes()
        } else {
            b
        }
    });
    let newer = dir.path().join("newer.tar.zst");
    rewrite(&good, &newer, |name, b| {
        if name == "manifest.json" {
            String::from_utf8(b)
                .unwrap()
                .replace("\"format\": 2", "\"format\": 99")
                .into_bytes()
        } else {
            b
        }
    });
    let not_ours = dir.path().join("plain.txt");
    std::fs::write(&not_ours, "hello").unwrap();
    for (file, reason) in [
        (&truncated, "truncated"),
        (&corrupt, "corrupt"),
        (&tampered, "does not match its checksum"),
        (&newer, "archive format 99 is newer"),
        (&not_ours, "truncated or corrupt"),
    ] {
        // A damaged archive is bad input: exit 2, as documented.
        let f = file.to_str().unwrap();
        let (code, _, err) = cli(&["snapshot", "inspect", f], &[], None);
        assert_eq!(code, 2, "{f}: {err}");
        assert!(err.contains(reason), "{f}: {err}");
        let (code, _, err) = at(
            &node,
            &["snapshot", "restore", f, "--yes", "--allow-unsigned"],
        );
        assert_eq!(code, 2, "{f}: {err}");
        assert!(err.contains("refused"), "{f}: {err}");
    }
    // A missing archive is "not found": exit 3, for inspect, restore and an offline restore.
    let missing = dir.path().join("missing.tar.zst");
    let m = missing.to_str().unwrap();
    let seed = dir.path().join("seed");
    for args in [
        vec!["snapshot", "inspect", m],
        vec!["snapshot", "restore", m, "--yes"],
        vec![
            "snapshot",
            "restore",
            m,
            "--data-dir",
            seed.to_str().unwrap(),
        ],
    ] {
        let (code, _, err) = at(&node, &args);
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.contains("No such file"), "{args:?}: {err}");
    }
    assert!(node.client().job("keep").await.is_ok(), "nothing changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_servers_data_dir_is_saved_and_seeds_a_new_cluster() {
    let mut node = Node::start(&[]).await;
    node.client()
        .put_job(&shell_job("carried", "@manually", "echo carried"))
        .await
        .unwrap();
    node.client().run_job("carried").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("offline.tar.zst");
    let f = file.to_str().unwrap();
    let data = node.data_dir();
    let d = data.to_str().unwrap();
    let (code, _, err) = cli(&["snapshot", "save", "--data-dir", d, f], &[], None);
    assert_ne!(code, 0);
    assert!(err.contains("in use by a running belfry node"), "{err}");
    let status = node
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(20))
        .await;
    assert_eq!(status.code(), Some(0));
    let (code, out, err) = cli(&["snapshot", "save", "--data-dir", d, f], &[], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Saved and verified"), "{out}");

    // Seed a new data dir: refused when not empty, unless --force.
    let mut restored = Node::prepare("node-r", true, &[]);
    let seeded = restored.data_dir();
    std::fs::create_dir_all(&seeded).unwrap();
    std::fs::write(seeded.join("stray"), "x").unwrap();
    let s = seeded.to_str().unwrap();
    let (code, _, err) = cli(
        &[
            "snapshot",
            "restore",
            f,
            "--data-dir",
            s,
            "--allow-unsigned",
        ],
        &[],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("not empty"), "{err}");
    let (code, out, err) = cli(
        &[
            "snapshot",
            "restore",
            f,
            "--data-dir",
            s,
            "--force",
            "--allow-unsigned",
        ],
        &[],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 jobs and 1 executions"), "{out}");
    // A new one-server cluster on the seeded dir has the job and its history.
    restored.spawn();
    restored.wait_leader().await;
    let job = restored.client().job("carried").await.unwrap();
    assert_eq!(job.success_count, 1);
    assert_eq!(
        restored.client().executions("carried").await.unwrap().len(),
        1
    );
    restored.client().run_job("carried").await.unwrap();
}

/// Formats carry versions and a newer binary reads the older ones: this archive was written by
/// format 1 (archive, Raft snapshot, stored values) and is committed; every later version must
/// still inspect it and seed a working cluster from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committed_format_1_archive_is_still_read_and_restored() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/snapshot-format-1.tar.zst"
    );
    let (code, out, err) = cli(&["snapshot", "inspect", fixture, "--json"], &[], None);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["manifest"]["format"], 1);
    assert_eq!(v["authenticity"], "unsigned");
    assert_eq!(v["manifest"]["cluster_id"], "96efdb7d47c70f23");
    assert_eq!(
        (
            v["contents"]["jobs"].as_u64(),
            v["contents"]["executions"].as_u64()
        ),
        (Some(3), Some(1))
    );

    let mut node = Node::prepare("node-f", true, &[]);
    let data = node.data_dir();
    let d = data.to_str().unwrap();
    // Unsigned (format 1 predates signatures): restored only when asked to, with a warning.
    let (code, _, err) = cli(
        &["snapshot", "restore", fixture, "--data-dir", d],
        &[],
        None,
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("NOT authenticated") && err.contains("--allow-unsigned"),
        "{err}"
    );
    assert!(!data.join("state.redb").exists(), "nothing was seeded");
    let (code, _, err) = cli(
        &[
            "snapshot",
            "restore",
            fixture,
            "--data-dir",
            d,
            "--allow-unsigned",
        ],
        &[],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: restoring an archive that is NOT authenticated"),
        "{err}"
    );
    node.spawn();
    node.wait_leader().await;
    let client = node.client();
    let job = client.job("nightly-report").await.unwrap();
    assert_eq!(job.timezone, "Europe/Berlin");
    assert_eq!(job.retries, 2);
    assert_eq!(job.tags["role"], "web:1");
    assert_eq!(job.dependent_jobs, ["child"]);
    let ping = client.executions("ping").await.unwrap();
    assert_eq!(ping.len(), 1);
    assert_eq!(ping[0].output, "pong\n");
    client.run_job("ping").await.unwrap();
    assert_eq!(client.executions("ping").await.unwrap().len(), 2);
}

/// One state row: table tag, key, value.
type Row = (u8, Vec<u8>, Vec<u8>);

/// A state snapshot's rows, and the header bytes before them.
fn snapshot_rows(bytes: &[u8]) -> (Vec<u8>, Vec<Row>) {
    let field = |at: &mut usize| {
        let len = u32::from_be_bytes(bytes[*at..*at + 4].try_into().unwrap()) as usize;
        let f = bytes[*at + 4..*at + 4 + len].to_vec();
        *at += 4 + len;
        f
    };
    let mut at = 9;
    field(&mut at);
    let header = bytes[..at].to_vec();
    let mut rows = Vec::new();
    while bytes[at] != 0 {
        let tag = bytes[at];
        at += 1;
        let k = field(&mut at);
        let v = field(&mut at);
        rows.push((tag, k, v));
    }
    (header, rows)
}

/// A state snapshot from a header and rows, with its digest recomputed (what an attacker who
/// edits a backup does).
fn snapshot_bytes(header: &[u8], rows: &[Row]) -> Vec<u8> {
    let mut out = header.to_vec();
    for (tag, k, v) in rows {
        out.push(*tag);
        out.extend_from_slice(&(k.len() as u32).to_be_bytes());
        out.extend_from_slice(k);
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(v);
    }
    out.push(0);
    let sum = ring::digest::digest(&ring::digest::SHA256, &out);
    out.extend_from_slice(sum.as_ref());
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Rewrites an archive's state snapshot through `edit` and recomputes every checksum in the
/// manifest; the signature is dropped (a forger has no key) unless `keep_signature`.
fn forge(src: &Path, dst: &Path, keep_signature: bool, edit: impl Fn(&mut Vec<Row>)) -> Vec<u8> {
    let mut members = Vec::new();
    let mut tar = tar::Archive::new(zstd::Decoder::new(std::fs::File::open(src).unwrap()).unwrap());
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        members.push((name, bytes));
    }
    let (header, mut rows) =
        snapshot_rows(&members.iter().find(|m| m.0 == "state.snap").unwrap().1);
    edit(&mut rows);
    let state = snapshot_bytes(&header, &rows);
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&members.iter().find(|m| m.0 == "manifest.json").unwrap().1)
            .unwrap();
    manifest["files"]["state.snap"] = sha256_hex(&state).into();
    let manifest = serde_json::to_vec_pretty(&manifest).unwrap();
    let mut out = tar::Builder::new(Vec::new());
    for (name, bytes) in &members {
        let bytes = match name.as_str() {
            "manifest.json" => manifest.clone(),
            "state.snap" => state.clone(),
            "manifest.sig" if !keep_signature => continue,
            _ => bytes.clone(),
        };
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o600);
        h.set_cksum();
        out.append_data(&mut h, name, bytes.as_slice()).unwrap();
    }
    let mut z = zstd::Encoder::new(std::fs::File::create(dst).unwrap(), 3).unwrap();
    z.write_all(&out.into_inner().unwrap()).unwrap();
    z.finish().unwrap();
    state
}

/// A job row replaced by other JSON, or renamed `../../x` with the `files` processor, with
/// every checksum recomputed: `inspect` names the bad row, and every restore path — online
/// through the CLI, a raw `POST /v1/operator/restore`, offline into a data dir — refuses it
/// with nothing changed and the cluster still writing and healthy. A signed archive whose
/// manifest was altered is refused for its signature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_snapshots_are_refused_everywhere_and_the_cluster_keeps_writing() {
    let node = Node::start(&[]).await;
    let client = node.client();
    client
        .put_job(&shell_job("keep", "@manually", "true"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.tar.zst");
    let g = good.to_str().unwrap();
    let (code, _, err) = at(&node, &["snapshot", "save", g, "--encrypt", ARCHIVE_KEY]);
    assert_eq!(code, 0, "{err}");

    // What inspect says it verified.
    let (code, out, err) = cli(&["snapshot", "inspect", g], &[], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("checksums verified")
            && out.contains("NOT authenticated: no key given (pass --encrypt or BELFRY_ENCRYPT)"),
        "{out}"
    );
    let (code, out, err) = cli(
        &["snapshot", "inspect", g],
        &[("BELFRY_ENCRYPT", ARCHIVE_KEY)],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("checksums verified")
            && out.contains("signature verified with the cluster key"),
        "{out}"
    );

    let other_json = dir.path().join("other-json.tar.zst");
    let other_state = forge(&good, &other_json, false, |rows| {
        for row in rows.iter_mut().filter(|r| r.0 == 1) {
            row.2 = b"\x01{\"hello\":\"world\"}".to_vec();
        }
    });
    let traversal = dir.path().join("traversal.tar.zst");
    let traversal_state = forge(&good, &traversal, false, |rows| {
        for row in rows.iter_mut().filter(|r| r.0 == 1) {
            let mut v: serde_json::Value = serde_json::from_slice(&row.2[1..]).unwrap();
            v["job"]["name"] = "../../x".into();
            v["job"]["processors"] = serde_json::json!({"files": {"forward": "false"}});
            row.1 = b"../../x".to_vec();
            row.2 = [b"\x01".to_vec(), serde_json::to_vec(&v).unwrap()].concat();
        }
    });
    let resigned = dir.path().join("resigned.tar.zst");
    forge(&good, &resigned, true, |rows| {
        rows.retain(|r| r.0 != 2);
    });

    for (file, state, row) in [
        (&other_json, &other_state, "job row \"keep\""),
        (&traversal, &traversal_state, "job row \"../../x\""),
    ] {
        let f = file.to_str().unwrap();
        let (code, out, err) = cli(&["snapshot", "inspect", f], &[], None);
        assert_ne!(code, 0, "{f}: {out}");
        assert!(err.contains("refused") && err.contains(row), "{f}: {err}");
        let (code, _, err) = at(
            &node,
            &["snapshot", "restore", f, "--yes", "--allow-unsigned"],
        );
        assert_ne!(code, 0, "{f}");
        assert!(err.contains(row), "{f}: {err}");

        // The same state snapshot straight at the API: refused before anything is staged.
        let resp = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(node.url("/v1/operator/restore"))
            .header("content-type", "application/octet-stream")
            .body(state.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{f}");
        let text = resp.text().await.unwrap();
        assert!(
            text.contains(row) && text.contains("nothing was changed"),
            "{text}"
        );

        // Offline: the data dir is not seeded.
        let seed = dir.path().join("seed");
        let s = seed.to_str().unwrap();
        let (code, _, err) = cli(
            &[
                "snapshot",
                "restore",
                f,
                "--data-dir",
                s,
                "--allow-unsigned",
            ],
            &[],
            None,
        );
        assert_ne!(code, 0, "{f}");
        assert!(err.contains(row), "{f}: {err}");
        assert!(!seed.join("state.redb").exists(), "{f}: nothing seeded");

        // Nothing changed, and the cluster still writes and is healthy.
        assert!(client.job("keep").await.is_ok());
        let name = format!(
            "after-{}",
            file.file_stem()
                .unwrap()
                .to_string_lossy()
                .replace('.', "-")
        );
        client
            .put_job(&shell_job(&name, "@manually", "true"))
            .await
            .unwrap();
        let health = http("GET", &node.url("/health"), None).await;
        assert_eq!(health.status, 200, "{}", health.body);
    }

    // A signed archive whose manifest changed (checksums recomputed, old signature kept).
    let r = resigned.to_str().unwrap();
    let (code, _, err) = cli(
        &["snapshot", "inspect", r],
        &[("BELFRY_ENCRYPT", ARCHIVE_KEY)],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("the signature does not match"), "{err}");
    let (code, _, err) = at(
        &node,
        &["snapshot", "restore", r, "--yes", "--encrypt", ARCHIVE_KEY],
    );
    assert_ne!(code, 0);
    assert!(err.contains("the signature does not match"), "{err}");
    // Unsigned and without --allow-unsigned: refused for that alone.
    let (code, _, err) = at(&node, &["snapshot", "restore", g, "--yes"]);
    assert_ne!(code, 0);
    assert!(err.contains("--allow-unsigned"), "{err}");

    // The Dkron-style jobs restore validates too.
    let bad = serde_json::json!([{
        "name": "../../x",
        "schedule": "@manually",
        "executor": "shell",
        "executor_config": {"command": "true"},
        "processors": {"files": {"forward": "false"}}
    }]);
    let resp = multipart(&node.url("/v1/restore"), "file", &bad.to_string()).await;
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert!(client.job("keep").await.is_ok());
    assert_eq!(http("GET", &node.url("/health"), None).await.status, 200);
}

/// This process's peak resident memory (`VmHWM`), in KiB.
fn own_peak_kb() -> i64 {
    let status = belfry::telemetry::procfs::status(std::process::id()).unwrap();
    status.peak_rss_kib.unwrap() as i64
}

/// Runs the CLI; returns its exit code, stderr and peak resident memory from `wait4` (KiB).
fn run_measured(args: &[&str]) -> (i32, String, i64) {
    let mut child = std::process::Command::new(BIN)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    std::mem::forget(child);
    (libc::WEXITSTATUS(status), err, usage.ru_maxrss)
}

/// A zstd bomb: a few tens of KB that decompress to a 1.6 GB `state.snap` (concatenated frames
/// of zeros behind a tar header that declares the size). `inspect` and `restore` refuse it
/// without decompressing it, in a few megabytes.
#[test]
fn a_zstd_bomb_is_refused_within_a_small_memory_bound() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.tar.zst");
    let size: u64 = 1_600 << 20;
    let mut file = std::fs::File::create(&bomb).unwrap();
    let manifest = br#"{"format":1,"belfry_version":"0","cluster_id":"x","index":0,"term":0,"created_at":"2026-01-01T00:00:00Z","files":{}}"#;
    let header = |name: &str, size: u64| {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_size(size);
        h.set_mode(0o600);
        h.set_cksum();
        h.as_bytes().to_vec()
    };
    let mut head = header("manifest.json", manifest.len() as u64);
    head.extend_from_slice(manifest);
    head.resize(head.len().div_ceil(512) * 512, 0);
    head.extend_from_slice(&header("state.snap", size));
    file.write_all(&zstd::encode_all(head.as_slice(), 3).unwrap())
        .unwrap();
    let chunk: u64 = 16 << 20;
    let frame = zstd::encode_all(std::io::repeat(0).take(chunk), 19).unwrap();
    for _ in 0..size / chunk {
        file.write_all(&frame).unwrap();
    }
    drop(file);
    let compressed = std::fs::metadata(&bomb).unwrap().len();
    assert!(compressed < 200_000, "a small bomb: {compressed} bytes");
    let b = bomb.to_str().unwrap();
    let seed = dir.path().join("seed");
    for args in [
        vec!["snapshot", "inspect", b],
        vec![
            "snapshot",
            "restore",
            b,
            "--data-dir",
            seed.to_str().unwrap(),
            "--allow-unsigned",
        ],
    ] {
        let (code, err, max_rss_kb) = run_measured(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(
            err.contains("state.snap would decompress to 1677721600 bytes"),
            "{args:?}: {err}"
        );
        // The kernel carries the spawning process's own peak into a child's `ru_maxrss` (the
        // child starts as a copy of it), so the bound is that plus 64 MiB; the old code
        // buffered the whole 1.6 GB.
        let own_kb = own_peak_kb();
        assert!(
            max_rss_kb < own_kb + 64 * 1024,
            "{args:?} peaked at {max_rss_kb} KiB (this test process: {own_kb} KiB)"
        );
    }
}

/// An online restore body is streamed to disk and refused past `--restore-limit`, with
/// nothing changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_restore_body_is_refused_with_413() {
    let node = Node::start(&["--restore-limit", "1048576"]).await;
    node.client()
        .put_job(&shell_job("keep", "@manually", "true"))
        .await
        .unwrap();
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(node.url("/v1/operator/restore"))
        .header("content-type", "application/octet-stream")
        .body(vec![0u8; 4 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    let text = resp.text().await.unwrap();
    assert!(text.contains("--restore-limit"), "{text}");
    assert!(node.client().job("keep").await.is_ok());
}

/// A large restore body is streamed to disk, not held in memory: 400 MiB of junk (under the
/// default 1 GiB limit) is refused as not a snapshot, and the node's peak memory stays far
/// below the body's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_restore_body_does_not_grow_the_nodes_memory() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let node = Node::start(&[]).await;
    let size: usize = 400 << 20;
    let mut stream = tokio::net::TcpStream::connect(node.addr()).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /v1/operator/restore HTTP/1.1\r\nHost: {}\r\nContent-Type: application/octet-stream\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n",
                node.addr()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..size / chunk.len() {
        stream.write_all(&chunk).await.unwrap();
    }
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("not a valid Belfry state snapshot"),
        "{answer}"
    );
    let status = belfry::telemetry::procfs::status(node.pid()).unwrap();
    let peak_kb = status.peak_rss_kib.unwrap();
    assert!(
        peak_kb < 200 * 1024,
        "the node peaked at {peak_kb} KiB for a {size}-byte body"
    );
    node.client()
        .put_job(&shell_job("still-writing", "@manually", "true"))
        .await
        .unwrap();
}
