//! Backups: `belfry snapshot save | inspect | restore` against real nodes and real files.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use crate::support::*;

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
    let (code, out, err) = at(&node, &["snapshot", "save", f]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Saved and verified snapshot at index ") && out.trim_end().ends_with(f),
        "{out}"
    );
    let (code, out, err) = cli(&["snapshot", "inspect", f, "--json"], &[], None);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["contents"]["jobs"], 3);
    assert_eq!(v["contents"]["executions"], 1);
    assert_eq!(v["manifest"]["format"], 1);
    assert_eq!(v["manifest"]["cluster_id"].as_str().unwrap().len(), 16);

    // Change things, then restore: the state is the snapshot's again.
    client.delete_job("two").await.unwrap();
    client
        .put_job(&shell_job("later", "@manually", "true"))
        .await
        .unwrap();
    let (code, _, err) = at(&node, &["snapshot", "restore", f]);
    assert_eq!(code, 2, "asks for --yes when not on a terminal: {err}");
    assert!(client.job("later").await.is_ok(), "nothing changed");
    let (code, out, err) = at(&node, &["snapshot", "restore", f, "--yes"]);
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
                .replace("\"format\": 1", "\"format\": 99")
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
        let (code, _, err) = at(&node, &["snapshot", "restore", f, "--yes"]);
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
    let (code, _, err) = cli(&["snapshot", "restore", f, "--data-dir", s], &[], None);
    assert_eq!(code, 2);
    assert!(err.contains("not empty"), "{err}");
    let (code, out, err) = cli(
        &["snapshot", "restore", f, "--data-dir", s, "--force"],
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
    let (code, _, err) = cli(
        &[
            "snapshot",
            "restore",
            fixture,
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert_eq!(code, 0, "{err}");
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
