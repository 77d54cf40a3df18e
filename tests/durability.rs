//! Crash and restart: nothing committed is lost, no launched tick runs again, and a graceful
//! stop lets running jobs finish.

use std::collections::HashMap;
use std::time::Duration;

use belfry::model::ExecutionStatus;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_and_restart_lose_nothing_and_rerun_nothing() {
    let mut node = Node::start(&[]).await;
    let runs = node.dir.path().join("runs.log");
    let cmd = format!("echo $BELFRY_SCHEDULED_AT >> {}", runs.display());
    node.client()
        .put_job(&shell_job("tick", "@every 1s", &cmd))
        .await
        .unwrap();
    node.client()
        .put_job(&shell_job("idle", "@daily", "true"))
        .await
        .unwrap();
    let mut committed: HashMap<String, ExecutionStatus> = HashMap::new();
    for round in 0..3u64 {
        node.wait_finished("tick", 2 + 2 * round as usize, Duration::from_secs(20))
            .await;
        // Kill at a varying point within the second.
        tokio::time::sleep(Duration::from_millis(137 * round + 50)).await;
        for e in node.executions("tick").await {
            if !e.is_running() {
                committed.insert(e.id.clone(), e.status);
            }
        }
        node.kill9();
        node.restart().await;
        let after = node.executions("tick").await;
        for (id, status) in &committed {
            let e = after.iter().find(|e| &e.id == id);
            assert_eq!(
                e.map(|e| e.status),
                Some(*status),
                "execution {id} lost or changed after kill -9"
            );
        }
        assert!(
            node.client().job("idle").await.is_ok(),
            "job lost after kill -9"
        );
    }
    node.wait_finished("tick", 8, Duration::from_secs(20)).await;
    // Every tick ran at most once, across three kills.
    let text = std::fs::read_to_string(&runs).unwrap();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for line in text.lines() {
        *counts.entry(line).or_default() += 1;
    }
    let dupes: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dupes.is_empty(), "ticks ran twice: {dupes:?}");
    // Executions cut short by a kill are closed, not left running.
    let ex = wait_for(
        "interrupted executions to be closed",
        Duration::from_secs(10),
        || {
            let client = node.client();
            async move {
                let ex = client.executions("tick").await.ok()?;
                let now = chrono::Utc::now();
                let stuck = ex
                    .iter()
                    .any(|e| e.is_running() && (now - e.scheduled_at).num_seconds() > 3);
                (!stuck).then_some(ex)
            }
        },
    )
    .await;
    let mut ids: Vec<_> = ex.iter().map(|e| e.scheduled_at).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), ex.len(), "one execution per tick");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_running_jobs_finish_and_exits_zero() {
    let mut node = Node::start(&[]).await;
    node.client()
        .put_job(&shell_job("short", "@every 1s", "sleep 1.5; echo done"))
        .await
        .unwrap();
    wait_for("a running execution", Duration::from_secs(10), || {
        let client = node.client();
        async move {
            let ex = client.executions("short").await.ok()?;
            ex.iter().any(|e| e.is_running()).then_some(())
        }
    })
    .await;
    let status = node
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(20))
        .await;
    assert_eq!(status.code(), Some(0), "{}", node.log());
    node.restart().await;
    let ex = node.executions("short").await;
    let finished: Vec<_> = ex
        .iter()
        .filter(|e| matches!(e.status, ExecutionStatus::Success | ExecutionStatus::Failed))
        .collect();
    assert!(!finished.is_empty());
    assert!(
        finished.iter().all(|e| e.success && e.output == "done\n"),
        "running jobs were cut short: {finished:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_kills_what_outlives_the_grace_period() {
    let mut node = Node::start(&["--shutdown-grace", "1s"]).await;
    node.client()
        .put_job(&shell_job("long", "@every 1s", "sleep 60"))
        .await
        .unwrap();
    wait_for("a running execution", Duration::from_secs(10), || {
        let client = node.client();
        async move {
            let ex = client.executions("long").await.ok()?;
            ex.iter().any(|e| e.is_running()).then_some(())
        }
    })
    .await;
    let started = std::time::Instant::now();
    let status = node
        .signal_and_wait(libc::SIGINT, Duration::from_secs(20))
        .await;
    assert_eq!(status.code(), Some(0), "{}", node.log());
    assert!(started.elapsed() < Duration::from_secs(15));
    node.restart().await;
    let ex = node.executions("long").await;
    let killed = ex.iter().find(|e| e.output.contains("agent shutting down"));
    assert!(killed.is_some_and(|e| !e.success), "{ex:?}\n{}", node.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_and_kills_the_running_jobs() {
    let mut node = Node::start(&["--shutdown-grace", "5m"]).await;
    let pid_file = node.dir.path().join("job.pid");
    let job = shell_job(
        "long",
        "@every 1h",
        &format!("echo $$ > {}; exec sleep 300", pid_file.display()),
    );
    node.client().put_job(&job).await.unwrap();
    // The run answers when it finishes: not awaited.
    let client = node.client();
    tokio::spawn(async move { client.run_job("long").await });
    let job_pid: i32 = wait_for("the job's pid", Duration::from_secs(15), || {
        let f = pid_file.clone();
        async move { std::fs::read_to_string(f).ok()?.trim().parse().ok() }
    })
    .await;
    // The first SIGTERM starts a graceful stop that would wait up to 5 minutes for the job.
    node.signal(libc::SIGTERM);
    wait_for(
        "the graceful stop to begin",
        Duration::from_secs(10),
        || {
            let log = node.log();
            async move { log.contains("SIGTERM received").then_some(()) }
        },
    )
    .await;
    let started = std::time::Instant::now();
    let status = node
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(10))
        .await;
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{}", node.log());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(node.log().contains("second signal"), "{}", node.log());
    // The job's process group went with it (not left behind as an orphan).
    wait_for(
        "the job process to be gone",
        Duration::from_secs(5),
        || async {
            // SAFETY: kill with signal 0 only checks that the process exists.
            (unsafe { libc::kill(job_pid, 0) } != 0).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticks_missed_while_down_follow_each_jobs_catchup_policy() {
    let mut node = Node::start(&["--history-limit", "1000"]).await;
    for (name, policy) in [("all", "all"), ("none", "none"), ("last", "")] {
        let mut job = shell_job(name, "@every 1s", "true");
        job.catchup = policy.into();
        node.client().put_job(&job).await.unwrap();
    }
    node.wait_finished("none", 1, Duration::from_secs(10)).await;
    let status = node
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(20))
        .await;
    assert_eq!(status.code(), Some(0));
    let down_at = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    node.restart().await;
    let up_at = chrono::Utc::now();
    // Ticks of the downtime: each job's executions scheduled within it.
    let down_ticks = |ex: &[belfry::model::Execution]| -> Vec<ExecutionStatus> {
        let mut ex: Vec<_> = ex
            .iter()
            .filter(|e| {
                e.scheduled_at > down_at && e.scheduled_at < up_at - chrono::Duration::seconds(1)
            })
            .collect();
        ex.sort_by_key(|e| e.scheduled_at);
        ex.iter().map(|e| e.status).collect()
    };
    let settled = |name: &'static str| {
        let client = node.client();
        async move {
            wait_for(name, Duration::from_secs(10), || {
                let client = client.clone();
                async move {
                    let ex = client.executions(name).await.ok()?;
                    let d = down_ticks(&ex);
                    (d.len() >= 3 && d.iter().all(|s| *s != ExecutionStatus::Running)).then_some(d)
                }
            })
            .await
        }
    };
    let all = settled("all").await;
    assert!(
        all.iter().all(|s| *s == ExecutionStatus::Success),
        "{all:?}"
    );
    let none = settled("none").await;
    assert!(
        none.iter().all(|s| *s == ExecutionStatus::Missed),
        "{none:?}"
    );
    // `last` (the default): the newest missed tick runs, the older ones are recorded missed.
    let last = settled("last").await;
    let (newest, older) = last.split_last().unwrap();
    assert!(
        older.iter().all(|s| *s == ExecutionStatus::Missed),
        "{last:?}"
    );
    assert!(
        matches!(newest, ExecutionStatus::Success | ExecutionStatus::Missed),
        "{last:?}"
    );
}

/// A small tmpfs mounted over a data dir, unmounted when dropped (after the node using it).
struct TinyDisk(std::path::PathBuf);

impl TinyDisk {
    fn mount(at: &std::path::Path, size: &str) -> TinyDisk {
        std::fs::create_dir_all(at).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .unwrap();
        assert!(out.status.success(), "mount: {out:?}");
        TinyDisk(at.to_path_buf())
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .output();
    }
}

/// Once Raft stops for good (here: the disk is full, a storage failure), `/health` says so
/// with the reason and a 503, instead of "healthy" while nothing can be written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_with_the_reason_once_raft_has_stopped() {
    let mut node = Node::prepare("node-a", true, &[]);
    let _disk = TinyDisk::mount(&node.data_dir(), "24m");
    node.spawn();
    node.wait_leader().await;
    assert_eq!(http("GET", &node.url("/health"), None).await.status, 200);
    // Fill the disk, then write until the state store fails.
    let filler = node.data_dir().join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 24 << 20]);
    let client = node.client();
    let body = "x".repeat(3000);
    let health = wait_for("raft to stop", Duration::from_secs(60), || {
        let (client, url, body) = (client.clone(), node.url("/health"), body.clone());
        async move {
            let _ = client
                .put_job(&shell_job(
                    &format!("j{}", rand_suffix()),
                    "@manually",
                    &body,
                ))
                .await;
            let h = http("GET", &url, None).await;
            (h.status == 503).then_some(h)
        }
    })
    .await;
    let v = health.json();
    assert_eq!(v["status"], "unhealthy");
    let issue = v["issues"][0].as_str().unwrap();
    assert!(
        issue.starts_with("raft has stopped") && issue.contains("No space left"),
        "{issue}"
    );
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}
