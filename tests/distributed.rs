//! Distributed execution: jobs run on the nodes their tags select, once per tick, with results
//! that survive crashes and leader changes (issue 4).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use belfry::model::{Execution, ExecutionStatus, Job};

use crate::support::{Node, cli, shell_job, wait_for};

fn tagged(mut job: Job, tags: &[(&str, &str)]) -> Job {
    job.tags = tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    job
}

/// Agents that join `server`, each with `--tag pool=w` plus `extra`.
fn agent(name: &str, server: &Node, extra: &[&str]) -> Node {
    let seed = server.gossip_addr();
    let mut args = vec![
        "--retry-join",
        seed.as_str(),
        "--retry-interval",
        "1s",
        "--tag",
        "pool=w",
    ];
    args.extend_from_slice(extra);
    Node::spawn_agent(name, &args)
}

async fn wait_members(server: &Node, alive: usize) {
    let client = server.client();
    wait_for(
        &format!("{alive} alive members"),
        Duration::from_secs(30),
        || {
            let client = client.clone();
            async move {
                let m = client.members().await.ok()?;
                (m.iter().filter(|m| m.status == 1).count() == alive).then_some(())
            }
        },
    )
    .await;
}

/// Finished executions of `job`, grouped by tick, once `ticks` ticks have all finished.
async fn finished_ticks(
    server: &Node,
    job: &str,
    ticks: usize,
) -> BTreeMap<chrono::DateTime<chrono::Utc>, Vec<Execution>> {
    let client = server.client();
    let job = job.to_string();
    wait_for(
        &format!("{ticks} finished ticks of {job}"),
        Duration::from_secs(30),
        || {
            let (client, job) = (client.clone(), job.clone());
            async move {
                let ex = client.executions(&job).await.ok()?;
                let mut by_tick: BTreeMap<_, Vec<Execution>> = BTreeMap::new();
                for e in ex {
                    by_tick.entry(e.scheduled_at).or_default().push(e);
                }
                // The newest tick may still run: only whole, finished ticks count.
                by_tick.retain(|_, v| v.iter().all(|e| !e.is_running()));
                (by_tick.len() >= ticks).then_some(by_tick)
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_pick_the_nodes_and_counts_spread_over_them() {
    let server = Node::start(&["--tag", "pool=w"]).await;
    let _a1 = agent("agent-1", &server, &["--tag", "only=me"]);
    let _a2 = agent("agent-2", &server, &[]);
    wait_members(&server, 3).await;
    let client = server.client();
    let solo = tagged(
        shell_job("solo", "@every 1s", "echo $BELFRY_NODE_NAME"),
        &[("only", "me")],
    );
    let pair = tagged(
        shell_job("pair", "@every 1s", "echo $BELFRY_NODE_NAME"),
        &[("pool", "w:2")],
    );
    let nowhere = tagged(shell_job("nowhere", "@every 1s", "true"), &[("pool", "x")]);
    for job in [&solo, &pair, &nowhere] {
        client.put_job(job).await.unwrap();
    }

    let solo_ticks = finished_ticks(&server, "solo", 3).await;
    for (tick, ex) in &solo_ticks {
        assert_eq!(ex.len(), 1, "{tick}: {ex:?}");
        assert_eq!(ex[0].node_name, "agent-1");
        assert_eq!(ex[0].output, "agent-1\n", "it ran on agent-1 itself");
        assert!(ex[0].success);
    }

    let pair_ticks = finished_ticks(&server, "pair", 4).await;
    let mut used = BTreeSet::new();
    for (tick, ex) in &pair_ticks {
        let nodes: BTreeSet<_> = ex.iter().map(|e| e.node_name.clone()).collect();
        assert_eq!((ex.len(), nodes.len()), (2, 2), "{tick}: {ex:?}");
        assert!(ex.iter().all(|e| e.output.trim() == e.node_name));
        used.extend(nodes);
    }
    assert_eq!(
        used.len(),
        3,
        "successive ticks spread over all three: {used:?}"
    );

    // No matching node: each tick is recorded as failed with the reason, not silently lost.
    let nowhere_ticks = finished_ticks(&server, "nowhere", 1).await;
    let ex = &nowhere_ticks.values().next().unwrap()[0];
    assert_eq!(ex.status, ExecutionStatus::Failed);
    assert!(ex.output.contains("matches the job's tags"), "{ex:?}");

    // `belfry jobs run` of a job on three nodes that fails on one: every node's result is
    // printed and the partial failure exits 4, as documented.
    let partial = tagged(
        shell_job(
            "partial",
            "@manually",
            "echo on-$BELFRY_NODE_NAME; test $BELFRY_NODE_NAME != agent-2",
        ),
        &[("pool", "w")],
    );
    client.put_job(&partial).await.unwrap();
    let addr = server.addr();
    let (code, out, err) = cli(&["--http-addr", &addr, "jobs", "run", "partial"], &[], None);
    assert_eq!(code, 4, "a partial failure exits 4: {out}{err}");
    for node in ["node-a", "agent-1", "agent-2"] {
        assert!(
            out.contains(&format!("on-{node}")),
            "{node}'s output: {out}"
        );
    }
    assert!(
        out.contains("partially_failed: 1 of 3 nodes failed"),
        "{out}"
    );
    let (code, out, _) = cli(
        &["--http-addr", &addr, "jobs", "run", "partial", "--json"],
        &[],
        None,
    );
    assert_eq!(code, 4);
    let ran: Vec<Execution> = serde_json::from_str(&out).unwrap();
    assert_eq!(ran.len(), 3, "{out}");
    assert_eq!(ran.iter().filter(|e| !e.success).count(), 1);

    // A tag count of 0 is refused up front.
    let bad = tagged(shell_job("bad", "@every 1s", "true"), &[("pool", "w:0")]);
    let err = client.put_job(&bad).await.unwrap_err().to_string();
    assert!(err.contains("tags") && err.contains("at least 1"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_agents_run_fails_with_the_reason_and_retries_elsewhere() {
    // The server itself does not match: the job runs on one of the two agents.
    let server = Node::start(&[]).await;
    let mut agents = [
        agent("agent-1", &server, &[]),
        agent("agent-2", &server, &[]),
    ];
    wait_members(&server, 3).await;
    let marks = tempfile::tempdir().unwrap();
    let first = marks.path().join("first");
    // The first attempt hangs; any later attempt succeeds at once.
    let command = format!(
        "if [ -e {f} ]; then echo retried on $BELFRY_NODE_NAME; else touch {f}; sleep 60; fi",
        f = first.display()
    );
    let mut job = tagged(
        shell_job("fragile", "@manually", &command),
        &[("pool", "w:1")],
    );
    job.retries = 1;
    job.retry_on = "any".into();
    let client = server.client();
    client.put_job(&job).await.unwrap();
    let runner = server.client();
    let run = tokio::spawn(async move { runner.run_job("fragile").await });

    // Wait for the first attempt to really run, then kill its agent.
    let victim = wait_for(
        "the first attempt to start",
        Duration::from_secs(20),
        || {
            let client = client.clone();
            let first = first.clone();
            async move {
                let ex = client.executions("fragile").await.ok()?;
                let e = ex.iter().find(|e| e.attempt == 1 && e.is_running())?;
                first.exists().then(|| e.node_name.clone())
            }
        },
    )
    .await;
    let busy = crate::support::http("GET", &server.url("/v1/busy"), None).await;
    assert_eq!(busy.status, 200);
    assert!(busy.body.contains(&victim), "{}", busy.body);
    let i = agents.iter().position(|a| a.name == victim).unwrap();
    agents[i].kill9();
    let survivor = agents[1 - i].name.clone();

    let ex = wait_for("the retry to succeed", Duration::from_secs(40), || {
        let client = client.clone();
        async move {
            let ex = client.executions("fragile").await.ok()?;
            ex.iter().any(|e| e.attempt == 2 && e.success).then_some(ex)
        }
    })
    .await;
    let failed = ex.iter().find(|e| e.attempt == 1).unwrap();
    assert_eq!(failed.status, ExecutionStatus::Failed);
    assert!(
        failed.output.contains(&format!("node {victim} failed")),
        "{failed:?}"
    );
    let retried = ex.iter().find(|e| e.attempt == 2).unwrap();
    assert_eq!(retried.node_name, survivor);
    assert_eq!(retried.group, failed.group);
    assert_eq!(retried.output, format!("retried on {survivor}\n"));
    assert!(retried.started_at >= failed.finished_at + chrono::Duration::milliseconds(900));
    assert!(run.await.unwrap().is_ok());
    assert_eq!(client.job("fragile").await.unwrap().status, "success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_result_survives_losing_every_server_and_its_own_crash() {
    let mut server = Node::start(&[]).await;
    let mut a1 = agent("agent-1", &server, &[]);
    wait_members(&server, 2).await;
    let marks = tempfile::tempdir().unwrap();
    let (started, release, ended) = (
        marks.path().join("started"),
        marks.path().join("release"),
        marks.path().join("ended"),
    );
    let command = format!(
        "touch {s}; while [ ! -e {r} ]; do sleep 0.05; done; echo finished alone; touch {e}",
        s = started.display(),
        r = release.display(),
        e = ended.display()
    );
    let job = tagged(shell_job("lonely", "@manually", &command), &[("pool", "w")]);
    server.client().put_job(&job).await.unwrap();
    let runner = server.client();
    tokio::spawn(async move { runner.run_job("lonely").await });
    wait_file(&started).await;

    // Every server goes; the run finishes meanwhile; then the agent itself crashes.
    server.kill9();
    std::fs::write(&release, "").unwrap();
    wait_file(&ended).await;
    wait_for(
        "the agent to fail delivering",
        Duration::from_secs(20),
        || {
            let log = a1.log();
            async move { log.contains("results not delivered yet").then_some(()) }
        },
    )
    .await;
    a1.kill9();
    a1.spawn();
    server.restart().await;

    let ex = wait_for("the result to land", Duration::from_secs(30), || {
        let client = server.client();
        async move {
            let ex = client.executions("lonely").await.ok()?;
            ex.into_iter().find(|e| !e.is_running())
        }
    })
    .await;
    assert!(ex.success, "{ex:?}");
    assert_eq!(ex.output, "finished alone\n");
    assert_eq!(ex.node_name, "agent-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_a_paused_agent_reads_late_does_not_run_what_was_closed() {
    let server = Node::start(&[]).await;
    let a1 = agent("agent-1", &server, &[]);
    wait_members(&server, 2).await;
    let marks = tempfile::tempdir().unwrap();
    let runs = marks.path().join("runs");
    let job = tagged(
        shell_job(
            "paused",
            "@manually",
            &format!("echo run >> {}", runs.display()),
        ),
        &[("pool", "w")],
    );
    let client = server.client();
    client.put_job(&job).await.unwrap();
    // One run as usual: the agent has heard from this leader.
    client.run_job("paused").await.unwrap();
    finished_ticks(&server, "paused", 1).await;

    // Paused (SIGSTOP: a frozen VM, a stopped container), the agent still has its kernel
    // take the next dispatch into a socket buffer. Gossip soon calls it failed, and the
    // leader closes the run as failed once the dispatch has timed out.
    a1.signal(libc::SIGSTOP);
    let paused_at = std::time::Instant::now();
    let runner = server.client();
    tokio::spawn(async move { runner.run_job("paused").await });
    let closed = wait_for(
        "the run on the paused agent to be closed",
        Duration::from_secs(60),
        || {
            let client = client.clone();
            async move {
                let ex = client.executions("paused").await.ok()?;
                (ex.len() == 2 && ex.iter().all(|e| !e.is_running())).then_some(ex)
            }
        },
    )
    .await;
    assert!(
        paused_at.elapsed() >= Duration::from_secs(10),
        "closed while its dispatch was on its way: {closed:?}"
    );
    let second = closed.iter().find(|e| !e.success).unwrap();
    assert!(second.output.contains("node agent-1 failed"), "{second:?}");

    // Resumed, it finds the dispatch its leader gave up on in its socket buffers: dropped
    // with its connection, or refused as stale if its handler got it; never run. A run after
    // the resume, once finished, shows the agent has worked through what it had queued.
    a1.signal(libc::SIGCONT);
    wait_members(&server, 2).await;
    client.run_job("paused").await.unwrap();
    let ex = wait_for("the run after the resume", Duration::from_secs(30), || {
        let client = client.clone();
        async move {
            let ex = client.executions("paused").await.ok()?;
            (ex.len() == 3 && ex.iter().all(|e| !e.is_running())).then_some(ex)
        }
    })
    .await;
    assert_eq!(ex.iter().filter(|e| e.success).count(), 2, "{ex:?}");
    assert!(ex.iter().any(|e| e.id == second.id && !e.success));
    let ran = std::fs::read_to_string(&runs).unwrap();
    assert_eq!(ran, "run\nrun\n", "the closed run ran after all");
}

async fn wait_file(path: &Path) {
    let p = path.to_path_buf();
    wait_for(
        &format!("{} to exist", p.display()),
        Duration::from_secs(20),
        || {
            let p = p.clone();
            async move { p.exists().then_some(()) }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_back_off_dependents_follow_success_and_ephemeral_jobs_go() {
    let node = Node::start(&[]).await;
    let client = node.client();
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("count");
    // Fails twice, then succeeds.
    let command = format!(
        "n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}; [ $n -ge 3 ]",
        c = count.display()
    );
    let mut flaky = shell_job("flaky", "@manually", &command);
    flaky.retries = 2;
    client.put_job(&flaky).await.unwrap();
    let mut child = shell_job("child", "", "echo child ran");
    child.parent_job = "flaky".into();
    client.put_job(&child).await.unwrap();
    client.run_job("flaky").await.unwrap();

    let ex = wait_for("the third attempt", Duration::from_secs(20), || {
        let client = client.clone();
        async move {
            let ex = client.executions("flaky").await.ok()?;
            ex.iter()
                .any(|e| e.attempt == 3 && !e.is_running())
                .then_some(ex)
        }
    })
    .await;
    let mut attempts: Vec<_> = ex.iter().collect();
    attempts.sort_by_key(|e| e.attempt);
    assert_eq!(
        attempts
            .iter()
            .map(|e| (e.attempt, e.success))
            .collect::<Vec<_>>(),
        vec![(1, false), (2, false), (3, true)]
    );
    assert!(attempts.iter().all(|e| e.group == attempts[0].group));
    // Backoff: 1 s after the first failure, 2 s after the second.
    let gap1 = attempts[1].started_at - attempts[0].finished_at;
    let gap2 = attempts[2].started_at - attempts[1].finished_at;
    assert!(gap1 >= chrono::Duration::milliseconds(900), "{gap1}");
    assert!(gap2 >= chrono::Duration::milliseconds(1900), "{gap2}");
    let job = client.job("flaky").await.unwrap();
    assert_eq!(
        (job.status.as_str(), job.error_count, job.success_count),
        ("success", 2, 1)
    );

    // The child runs once its parent's group succeeded (and never on a schedule of its own).
    let child_runs = node
        .wait_finished("child", 1, Duration::from_secs(10))
        .await;
    assert_eq!(child_runs.len(), 1);
    assert_eq!(child_runs[0].output, "child ran\n");

    // A parent that fails for good does not run its child.
    let mut failing = shell_job("failing", "@manually", "exit 3");
    failing.retries = 0;
    client.put_job(&failing).await.unwrap();
    let mut orphan = shell_job("orphan", "", "echo no");
    orphan.parent_job = "failing".into();
    client.put_job(&orphan).await.unwrap();
    client.run_job("failing").await.unwrap();
    assert_eq!(client.job("failing").await.unwrap().status, "failed");

    // An ephemeral job is deleted after its first success.
    let mut once = shell_job("once", "@manually", "true");
    once.ephemeral = true;
    client.put_job(&once).await.unwrap();
    client.run_job("once").await.unwrap();
    wait_for("the ephemeral job to go", Duration::from_secs(10), || {
        let client = client.clone();
        async move { client.job("once").await.is_err().then_some(()) }
    })
    .await;
    assert!(client.executions("orphan").await.unwrap().is_empty());
}

/// The acceptance test: 3 servers and 2 agents, jobs every second, the leader
/// SIGKILLed 5 times in about two minutes (and restarted each time). Every tick of every job
/// runs exactly once or is recorded as missed; a `forbid` job longer than its interval never
/// overlaps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tick_runs_once_across_five_leader_kills() {
    use crate::support::{leader_of, three_servers_with, voters_via};
    let (mut servers, mut leader) = three_servers_with(&["--history-limit", "1000"]).await;
    let _agents = [
        agent("agent-1", &servers[0], &[]),
        agent("agent-2", &servers[0], &[]),
    ];
    wait_members(&servers[leader], 5).await;
    let out = tempfile::tempdir().unwrap();
    let ticks_log = out.path().join("ticks.log");
    let slow_log = out.path().join("slow.log");
    let client = servers[leader].client();
    let names = ["tick-1", "tick-2", "tick-3"];
    for name in names {
        let command = format!(
            "echo \"$BELFRY_JOB_NAME $BELFRY_SCHEDULED_AT $BELFRY_NODE_NAME\" >> {}",
            ticks_log.display()
        );
        let job = tagged(shell_job(name, "@every 1s", &command), &[("pool", "w:1")]);
        client.put_job(&job).await.unwrap();
    }
    let command = format!(
        "echo start $BELFRY_NODE_NAME >> {l}; sleep 2.5; echo end $BELFRY_NODE_NAME >> {l}",
        l = slow_log.display()
    );
    let mut slow = tagged(shell_job("slow", "@every 1s", &command), &[("pool", "w:1")]);
    slow.concurrency = "forbid".into();
    client.put_job(&slow).await.unwrap();

    for kill in 0..5 {
        tokio::time::sleep(Duration::from_secs(15)).await;
        let old = servers[leader].name.clone();
        servers[leader].kill9();
        let new_leader = wait_for("a new leader", Duration::from_secs(20), || {
            let refs: Vec<&Node> = servers.iter().collect();
            let old = old.clone();
            async move {
                let i = leader_of(&refs).await?;
                (refs[i].name != old).then_some(i)
            }
        })
        .await;
        servers[leader].spawn();
        let client = servers[new_leader].client();
        wait_for(
            &format!("{old} to be a voter again after kill {kill}"),
            Duration::from_secs(30),
            || {
                let (client, old) = (client.clone(), old.clone());
                async move {
                    let v = voters_via(&client).await?;
                    (v.len() == 3 && v.contains(&old)).then_some(())
                }
            },
        )
        .await;
        leader = new_leader;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let client = servers[leader].client();
    for name in names.iter().chain(["slow"].iter()) {
        let mut job = client.job(name).await.unwrap();
        job.disabled = true;
        client.put_job(&job).await.unwrap();
    }
    // Let what was launched finish and land.
    wait_for("every run to finish", Duration::from_secs(20), || {
        let client = client.clone();
        async move {
            for name in ["tick-1", "tick-2", "tick-3", "slow"] {
                if client
                    .executions(name)
                    .await
                    .ok()?
                    .iter()
                    .any(|e| e.is_running())
                {
                    return None;
                }
            }
            Some(())
        }
    })
    .await;

    let lines = std::fs::read_to_string(&ticks_log).unwrap();
    let mut ran: BTreeMap<(String, String), usize> = BTreeMap::new();
    for line in lines.lines() {
        let mut parts = line.split_whitespace();
        let (job, at) = (parts.next().unwrap(), parts.next().unwrap());
        *ran.entry((job.to_string(), at.to_string())).or_default() += 1;
    }
    let doubled: Vec<_> = ran.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "ticks that ran twice: {doubled:?}");
    let mut missed_total = 0;
    for name in names {
        let ex = client.executions(name).await.unwrap();
        let mut seen = BTreeSet::new();
        for e in &ex {
            assert!(seen.insert(e.scheduled_at), "tick recorded twice: {e:?}");
            let at = e
                .scheduled_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let in_file = ran.contains_key(&(name.to_string(), at.clone()));
            match e.status {
                ExecutionStatus::Success => {
                    assert!(in_file, "{name} {at} succeeded but did not run")
                }
                ExecutionStatus::Missed => {
                    missed_total += 1;
                    assert!(!in_file, "{name} {at} recorded missed but ran");
                }
                _ => panic!("{name} {at}: unexpected {e:?}"),
            }
        }
        // No gap: consecutive recorded ticks are one second apart.
        let ticks: Vec<_> = seen.into_iter().collect();
        assert!(ticks.len() > 60, "{name}: only {} ticks", ticks.len());
        for pair in ticks.windows(2) {
            assert_eq!(
                pair[1] - pair[0],
                chrono::Duration::seconds(1),
                "{name}: ticks between {} and {} are lost",
                pair[0],
                pair[1]
            );
        }
        // Every run in the file is a recorded execution.
        let from_file = ran.keys().filter(|(j, _)| j == name).count();
        let succeeded = ex
            .iter()
            .filter(|e| e.status == ExecutionStatus::Success)
            .count();
        assert_eq!(from_file, succeeded, "{name}");
    }
    // The forbid job: starts and ends strictly alternate, so no two runs overlapped.
    let slow_lines = std::fs::read_to_string(&slow_log).unwrap();
    let kinds: Vec<&str> = slow_lines
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(kinds.len() >= 20, "{slow_lines}");
    for (i, k) in kinds.iter().enumerate() {
        assert_eq!(*k, if i % 2 == 0 { "start" } else { "end" }, "{slow_lines}");
    }
    eprintln!("every tick ran once; {missed_total} recorded as missed");
}
