//! Scheduled and manual runs: every tick once, on time, with the environment, limits and
//! concurrency rules Dkron users expect.

use std::collections::HashSet;
use std::time::Duration;

use belfry::model::ExecutionStatus;
use chrono::{SecondsFormat, Timelike};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_second_job_runs_each_tick_once_with_its_environment() {
    let node = Node::start(&[]).await;
    let cmd = "echo \"$BELFRY_JOB_NAME|$BELFRY_EXECUTION_ID|$BELFRY_NODE_NAME|$BELFRY_SCHEDULED_AT|$ENV_JOB_NAME\"";
    node.client()
        .put_job(&shell_job("tick", "@every 1s", cmd))
        .await
        .unwrap();
    let ex = node.wait_finished("tick", 4, Duration::from_secs(15)).await;
    let mut seen = HashSet::new();
    for e in ex.iter().filter(|e| !e.is_running()) {
        assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
        assert!(e.success);
        assert_eq!(e.exit_code, Some(0));
        assert_eq!(e.scheduled_at.nanosecond(), 0, "ticks are whole seconds");
        assert!(
            e.started_at >= e.scheduled_at,
            "started before its tick: {e:?}"
        );
        assert!(e.finished_at >= e.started_at);
        assert_eq!(
            e.id,
            format!("{}-node-a", e.scheduled_at.timestamp_nanos_opt().unwrap())
        );
        assert_eq!(e.group, e.scheduled_at.timestamp_nanos_opt().unwrap());
        let at = e.scheduled_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        assert_eq!(e.output, format!("tick|{}|node-a|{at}|tick\n", e.id));
        assert!(seen.insert(e.scheduled_at), "tick {at} ran twice");
    }
    // Consecutive ticks are one second apart: none skipped.
    let mut ticks: Vec<_> = seen.into_iter().collect();
    ticks.sort();
    for pair in ticks.windows(2) {
        assert_eq!(
            (pair[1] - pair[0]).num_seconds(),
            1,
            "gap between ticks: {pair:?}"
        );
    }
    let job = node.client().job("tick").await.unwrap();
    assert!(job.success_count >= 4);
    assert_eq!(job.status, "success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_sharing_tick_instants_all_run() {
    // Jobs created within the same second share every tick instant (and so execution ids,
    // which are unique only per job): each must still run every tick.
    let node = Node::start(&[]).await;
    let names: Vec<String> = (0..8).map(|i| format!("same-{i}")).collect();
    for name in &names {
        node.client()
            .put_job(&shell_job(name, "@every 1s", "true"))
            .await
            .unwrap();
    }
    for name in &names {
        let ex = node.wait_finished(name, 3, Duration::from_secs(20)).await;
        assert!(
            ex.iter().filter(|e| !e.is_running()).all(|e| e.success),
            "{name}: {ex:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_kills_the_process_group_and_fails_the_execution() {
    let node = Node::start(&[]).await;
    let marker = node.dir.path().join("grandchild.pid");
    let mut job = shell_job(
        "slow",
        "@manually",
        &format!("sleep 60 & echo $! > {}; wait", marker.display()),
    );
    job.executor_config.insert("timeout".into(), "1s".into());
    node.client().put_job(&job).await.unwrap();
    let started = std::time::Instant::now();
    let r = http("POST", &node.url("/v1/jobs/slow/run"), None).await;
    assert_eq!(r.status, 200);
    assert!(started.elapsed() < Duration::from_secs(10));
    let ex = node.executions("slow").await;
    assert_eq!(ex[0].status, ExecutionStatus::Failed);
    assert!(
        ex[0].output.contains("timed out after 1s"),
        "{}",
        ex[0].output
    );
    let pid: i32 = std::fs::read_to_string(&marker)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wait_for(
        "the background sleep to be killed",
        Duration::from_secs(5),
        || async move {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Gone, or a zombie waiting for its reaper: either way no longer running.
            (stat.is_empty() || stat.split(' ').nth(2) == Some("Z")).then_some(())
        },
    )
    .await;
    assert_eq!(node.client().job("slow").await.unwrap().error_count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbid_never_overlaps_and_refuses_a_manual_run_while_running() {
    let node = Node::start(&[]).await;
    let mut job = shell_job("solo", "@every 1s", "sleep 2.5");
    job.concurrency = "forbid".into();
    node.client().put_job(&job).await.unwrap();
    // While one run is in progress, a manual run is refused.
    wait_for("a running execution", Duration::from_secs(10), || {
        let client = node.client();
        async move {
            let ex = client.executions("solo").await.ok()?;
            ex.iter().any(|e| e.is_running()).then_some(())
        }
    })
    .await;
    let r = http("POST", &node.url("/v1/jobs/solo/run"), None).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("forbid"));
    let ex = node.wait_finished("solo", 3, Duration::from_secs(20)).await;
    let mut spans: Vec<_> = ex
        .iter()
        .filter(|e| !e.is_running())
        .map(|e| (e.started_at, e.finished_at))
        .collect();
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[1].0 >= pair[0].1, "overlapping runs: {pair:?}");
    }
    // Asked to, an operator may overlap it anyway.
    wait_for("a running execution", Duration::from_secs(10), || {
        let client = node.client();
        async move {
            let ex = client.executions("solo").await.ok()?;
            ex.iter().any(|e| e.is_running()).then_some(())
        }
    })
    .await;
    let r = http("POST", &node.url("/v1/jobs/solo/run?force=true"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_capped_and_output_keeps_its_tail() {
    let node = Node::start(&["--history-limit", "3", "--output-limit", "1000"]).await;
    let job = shell_job("chatty", "@manually", "seq 1 2000");
    node.client().put_job(&job).await.unwrap();
    for _ in 0..5 {
        node.client().run_job("chatty").await.unwrap();
    }
    let ex = node.executions("chatty").await;
    assert_eq!(ex.len(), 3, "history capped at 3");
    assert!(ex[0].scheduled_at > ex[2].scheduled_at, "newest first");
    let out = &ex[0].output;
    assert!(out.len() <= 1000, "{}", out.len());
    assert!(ex[0].output_truncated);
    assert!(out.ends_with("1999\n2000\n"), "tail kept: {out:?}");
    assert_eq!(node.client().job("chatty").await.unwrap().success_count, 5);
}
