//! Clock discipline with a really skewed server: one of three servers runs under libfaketime
//! (its wall clock moved by a fixed offset, its monotonic clock untouched). The offset must show
//! in health, metrics and `belfry members`; beyond `--max-clock-offset` the server must not lead,
//! and no tick may start before its time or be recorded as missed.

use std::time::{Duration, Instant};

use belfry::model::ExecutionStatus;

use crate::support::{LIBFAKETIME, Node, cli, faketime_env, sample, scrape, shell_job, wait_for};

/// The environment that runs a process with its wall clock `offset` away (see the kit).
fn faketime(offset: &str) -> Vec<(String, String)> {
    assert!(
        std::path::Path::new(LIBFAKETIME).exists(),
        "{LIBFAKETIME} is missing: install Debian's `faketime` package"
    );
    faketime_env(offset)
}

/// Like [`faketime`], with the offset read from `spec` (re-read every second): writing the file
/// moves the process's wall clock while it runs.
fn faketime_from(spec: &std::path::Path) -> Vec<(String, String)> {
    let mut env = faketime("+0s");
    env.retain(|(k, _)| k != "FAKETIME");
    env.push(("FAKETIME_TIMESTAMP_FILE".into(), spec.display().to_string()));
    env.push(("FAKETIME_CACHE_DURATION".into(), "1".into()));
    env
}

/// Three servers: `node-a` with its clock `skew` away, bootstrapped alone so that it leads
/// first, then `node-b` and `node-c` (tagged `clock=true`, where the test's jobs run) joining it.
/// Returns once all three are voters.
async fn skewed_cluster(skew: &str, extra: &[&str]) -> Vec<Node> {
    skewed_cluster_with(faketime(skew), extra).await
}

async fn skewed_cluster_with(env: Vec<(String, String)>, extra: &[&str]) -> Vec<Node> {
    let mut a = Node::prepare("node-a", true, extra);
    a.env = env;
    a.spawn();
    a.wait_leader().await;
    let seed = a.gossip_addr();
    let mut rest: Vec<&str> = vec!["--join", &seed, "--tag", "clock=true"];
    rest.extend_from_slice(extra);
    let b = Node::spawn_named("node-b", false, &rest);
    let c = Node::spawn_named("node-c", false, &rest);
    let nodes = vec![a, b, c];
    let client = nodes[0].client();
    wait_for("three voters", Duration::from_secs(60), || {
        let client = client.clone();
        async move {
            let h = client.cluster_health().await.ok()?;
            (h.voters == 3).then_some(())
        }
    })
    .await;
    nodes
}

/// The cluster's health as `node` gets it, once every server's clock offset is measured.
async fn measured_health(node: &Node, limit: Duration) -> belfry::model::ClusterHealth {
    let client = node.client();
    wait_for("every server's clock offset", limit, || {
        let client = client.clone();
        async move {
            let h = client.cluster_health().await.ok()?;
            (h.servers.len() == 3 && h.servers.iter().all(|s| s.clock_offset_ms.is_some()))
                .then_some(h)
        }
    })
    .await
}

fn offset_of(h: &belfry::model::ClusterHealth, node: &str) -> i64 {
    h.servers
        .iter()
        .find(|s| s.node == node)
        .and_then(|s| s.clock_offset_ms)
        .unwrap_or_else(|| panic!("no offset for {node}: {h:?}"))
}

/// Which server leads, as each live node's `/health` says (`None` unless exactly one).
async fn leader_name(nodes: &[&Node]) -> Option<String> {
    let mut leaders = Vec::new();
    for n in nodes {
        if let Ok(h) = n.client().health().await
            && h.leader == Some(true)
        {
            leaders.push(n.name.clone());
        }
    }
    (leaders.len() == 1).then(|| leaders.remove(0))
}

/// The true-clock server that leads once `node-a` (skewed, leading from the start) has handed
/// leadership over.
async fn leader_after_hand_over(nodes: &[Node]) -> String {
    let live: Vec<&Node> = nodes.iter().collect();
    wait_for(
        "node-a to hand leadership over",
        Duration::from_secs(20),
        || {
            let live = live.clone();
            async move { leader_name(&live).await.filter(|l| l != "node-a") }
        },
    )
    .await
}

/// Every server that said it leads, polling `nodes` for `secs` seconds.
async fn leaders_seen(nodes: &[&Node], secs: u64) -> std::collections::BTreeSet<String> {
    let until = Instant::now() + Duration::from_secs(secs);
    let mut seen = std::collections::BTreeSet::new();
    while Instant::now() < until {
        for n in nodes {
            if let Ok(h) = n.client().health().await
                && h.leader == Some(true)
            {
                seen.insert(n.name.clone());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen
}

/// A job every second on the true-clock servers only (`clock=true`, one of them per tick).
async fn every_second_job(node: &Node) {
    let mut job = shell_job("tick", "@every 1s", "true");
    job.tags = [("clock".to_string(), "true:1".to_string())].into();
    node.client().put_job(&job).await.unwrap();
}

/// Every execution of `tick` so far: none missed, none started before its scheduled time (the
/// true-clock servers record when they started it), and at least `at_least` of them.
async fn assert_ticks_on_time(node: &Node, at_least: usize) {
    let ex = node
        .wait_finished("tick", at_least, Duration::from_secs(30))
        .await;
    let missed: Vec<_> = ex
        .iter()
        .filter(|e| e.status == ExecutionStatus::Missed)
        .map(|e| e.scheduled_at)
        .collect();
    assert!(missed.is_empty(), "ticks recorded as missed: {missed:?}");
    for e in ex.iter().filter(|e| !e.is_running()) {
        assert!(
            e.started_at >= e.scheduled_at,
            "tick {} started early, at {} on {}",
            e.scheduled_at,
            e.started_at,
            e.node_name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skewed_server_shows_in_health_metrics_members_and_its_log() {
    let nodes = skewed_cluster("+2s", &[]).await;
    let started = Instant::now();
    let h = measured_health(&nodes[1], Duration::from_secs(10)).await;
    assert!(
        started.elapsed() <= Duration::from_secs(10),
        "measured only after {:?}",
        started.elapsed()
    );
    let skewed = offset_of(&h, "node-a");
    assert!(
        (1700..=2300).contains(&skewed),
        "node-a: {skewed} ms: {h:?}"
    );
    for n in ["node-b", "node-c"] {
        assert!(offset_of(&h, n).abs() <= 300, "{n}: {h:?}");
    }
    assert_eq!(h.max_clock_offset_ms, Some(500));
    assert!(
        h.warnings
            .iter()
            .any(|w| w.contains("node-a") && w.contains("--max-clock-offset")),
        "{:?}",
        h.warnings
    );

    // Every server's /metrics has the gauge, in seconds, from its own probes.
    for n in &nodes {
        let samples = wait_for(
            "the clock gauge of every server",
            Duration::from_secs(10),
            || async move {
                let samples = scrape(n).await;
                ["node-a", "node-b", "node-c"]
                    .iter()
                    .all(|s| {
                        sample(&samples, "belfry_clock_offset_seconds", &[("node", s)]).is_some()
                    })
                    .then_some(samples)
            },
        )
        .await;
        let a = sample(
            &samples,
            "belfry_clock_offset_seconds",
            &[("node", "node-a")],
        )
        .unwrap();
        assert!((1.7..=2.3).contains(&a), "{}: {a}", n.name);
        let b = sample(
            &samples,
            "belfry_clock_offset_seconds",
            &[("node", "node-b")],
        )
        .unwrap();
        assert!(b.abs() <= 0.3, "{}: {b}", n.name);
    }

    // `belfry members`: a clock column, and `clockOffsetMs` in the JSON, for servers.
    let addr = format!("--http-addr={}", nodes[1].addr());
    let (code, out, err) = cli(&["members", &addr], &[], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().next().unwrap().contains("CLOCK"), "{out}");
    let row = out.lines().find(|l| l.starts_with("node-a")).unwrap();
    assert!(
        row.contains("+19") || row.contains("+20") || row.contains("+21"),
        "{out}"
    );
    let (code, out, err) = cli(&["members", "--json", &addr], &[], None);
    assert_eq!(code, 0, "{err}");
    let members: serde_json::Value = serde_json::from_str(&out).unwrap();
    let a = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Name"] == "node-a")
        .unwrap();
    let ms = a["clockOffsetMs"].as_i64().unwrap_or_else(|| panic!("{a}"));
    assert!((1700..=2300).contains(&ms), "{a}");

    // The skewed server says once that it is out of bounds.
    let log = wait_for(
        "node-a's out-of-bounds line",
        Duration::from_secs(10),
        || {
            let log = nodes[0].log();
            async move { log.contains("beyond --max-clock-offset").then_some(log) }
        },
    )
    .await;
    assert_eq!(
        log.matches("beyond --max-clock-offset").count(),
        1,
        "one line per crossing:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_2s_ahead_hands_over_never_leads_again_and_no_tick_is_early_or_missed() {
    a_skewed_leader_hands_over_and_never_leads_again("+2s").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_2s_behind_hands_over_never_leads_again_and_no_tick_is_early_or_missed() {
    a_skewed_leader_hands_over_and_never_leads_again("-2s").await;
}

/// `node-a`, `skew` off and leading from the start, hands leadership over once measured; it
/// cannot be given leadership back, and when the true-clock leader is killed it votes the
/// other true-clock server in rather than lead. A job every second meanwhile: none missed,
/// none early.
async fn a_skewed_leader_hands_over_and_never_leads_again(skew: &str) {
    let mut nodes = skewed_cluster(skew, &[]).await;
    // node-a led the cluster from its start: once its clock is measured it hands over.
    let leader = leader_after_hand_over(&nodes).await;
    let term_before = nodes[1].client().cluster_health().await.unwrap().term;
    every_second_job(&nodes[1]).await;
    // The new leader refuses node-a on its own measurement: wait until it has one (its first
    // probes may have failed on a busy machine).
    wait_for(
        "the leader to measure node-a beyond the bound",
        Duration::from_secs(20),
        || async {
            let h = nodes[1].client().cluster_health().await.ok()?;
            let a = h.servers.iter().find(|s| s.node == "node-a")?;
            a.clock_offset_ms
                .is_some_and(|o| o.unsigned_abs() > 500)
                .then_some(())
        },
    )
    .await;

    // Leadership cannot be moved onto it.
    let refused = nodes[1]
        .client()
        .transfer_leadership(Some("node-a"))
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("clock"), "{refused}");
    // Moved between the true-clock servers, then their leader killed: node-a must vote the
    // other one in and never lead itself.
    let message = nodes[1].client().transfer_leadership(None).await.unwrap();
    assert!(!message.contains("node-a"), "{message}");
    let seen = leaders_seen(&nodes.iter().collect::<Vec<_>>(), 6).await;
    assert!(!seen.contains("node-a"), "node-a led: {seen:?}");
    let leader = {
        let live: Vec<&Node> = nodes.iter().collect();
        leader_name(&live).await.unwrap_or(leader)
    };
    let term_after = nodes[1].client().cluster_health().await.unwrap().term;
    assert!(
        term_after > term_before,
        "{term_before:?} -> {term_after:?}"
    );
    let dead = nodes.iter().position(|n| n.name == leader).unwrap();
    assert_ne!(dead, 0);
    nodes[dead].kill9();
    let survivor = 3 - dead;
    let live: Vec<&Node> = vec![&nodes[0], &nodes[survivor]];
    let new_leader = wait_for("a leader after the kill", Duration::from_secs(20), || {
        let live = live.clone();
        async move { leader_name(&live).await }
    })
    .await;
    assert_eq!(
        new_leader, nodes[survivor].name,
        "the skewed server took over"
    );
    let seen = leaders_seen(&live, 6).await;
    assert!(!seen.contains("node-a"), "node-a led: {seen:?}");

    assert_ticks_on_time(&nodes[survivor], 10).await;
}

/// A skewed server that holds the newest log must not leave the cluster leaderless: the
/// true-clock follower is down while an entry commits (so only the leader and the skewed
/// server have it), then the leader is killed and the follower restarted. The follower cannot win
/// without the skewed server's vote, which its older log does not get; the skewed server, out
/// of bounds, does not stand. Before the fix nobody led until the dead leader's clock samples
/// aged out (30 s); now the skewed server stands after 3 s without a leader, leads, and hands
/// over to the true-clock server once it has caught up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skewed_server_with_the_newest_log_brings_a_leader_back_and_hands_over() {
    let mut nodes = skewed_cluster("+2s", &[]).await;
    let leader = leader_after_hand_over(&nodes).await;
    let lead = nodes.iter().position(|n| n.name == leader).unwrap();
    let follower = 3 - lead;
    // The leader must count node-a out of bounds (and node-a itself), as a kill would find it.
    wait_for(
        "node-a measured beyond the bound",
        Duration::from_secs(20),
        || async {
            let h = nodes[lead].client().cluster_health().await.ok()?;
            let a = h.servers.iter().find(|s| s.node == "node-a")?;
            a.clock_offset_ms.is_some_and(|o| o > 500).then_some(())
        },
    )
    .await;

    // Killed, not stopped: a stopped process's socket would still take the entry in.
    nodes[follower].kill9();
    let job = shell_job("written-while-down", "@manually", "true");
    nodes[lead].client().put_job(&job).await.unwrap();
    nodes[lead].kill9();
    let killed = Instant::now();
    nodes[follower].restart().await;

    let live: Vec<&Node> = vec![&nodes[0], &nodes[follower]];
    let first = wait_for("a leader after the kill", Duration::from_secs(25), || {
        let live = live.clone();
        async move { leader_name(&live).await }
    })
    .await;
    // Before: no leader until the dead leader's clock samples aged out (30 s). Now: the dead
    // leader counts as gone after 5 s without an answer, and node-a stands 3 s later.
    let after = killed.elapsed();
    assert!(
        after < Duration::from_secs(18),
        "no leader for {after:?} (first: {first})"
    );
    let follower_name = nodes[follower].name.clone();
    wait_for(
        "leadership with the true-clock server",
        Duration::from_secs(20),
        || {
            let live = live.clone();
            let want = follower_name.clone();
            async move { leader_name(&live).await.filter(|l| *l == want) }
        },
    )
    .await;
    // Nothing committed was lost on the way.
    let got = nodes[follower].client().job(&job.name).await.unwrap();
    assert_eq!(got.name, job.name);
}

/// With `--max-clock-offset 5s` a server 2 s off (`skew`) leads: it is not told off, keeps
/// leading, and leadership moved off it and back onto it leaves no tick early or missed (its
/// scheduler runs on the voters' median clock, whichever way its own clock is off).
async fn a_wide_bound_lets_a_skewed_server_lead_on_time(skew: &str, expected_ms: i64) {
    let nodes = skewed_cluster(skew, &["--max-clock-offset", "5s"]).await;
    let h = measured_health(&nodes[0], Duration::from_secs(15)).await;
    let skewed = offset_of(&h, "node-a");
    assert!((skewed - expected_ms).abs() <= 300, "{h:?}");
    assert_eq!(h.max_clock_offset_ms, Some(5000));
    assert!(
        !h.warnings.iter().any(|w| w.contains("clock")),
        "{:?}",
        h.warnings
    );
    // Every server has measured the others before the job starts.
    for n in &nodes {
        wait_for(
            "every server's probes",
            Duration::from_secs(10),
            || async move {
                let samples = scrape(n).await;
                ["node-a", "node-b", "node-c"]
                    .iter()
                    .all(|s| {
                        sample(&samples, "belfry_clock_offset_seconds", &[("node", s)]).is_some()
                    })
                    .then_some(())
            },
        )
        .await;
    }
    every_second_job(&nodes[0]).await;
    let live: Vec<&Node> = nodes.iter().collect();
    let keeps_leading = |who: &'static str, secs: u64| {
        let live = live.clone();
        async move {
            let until = Instant::now() + Duration::from_secs(secs);
            while Instant::now() < until {
                // A health call that times out on a busy machine names no leader: only
                // another leader fails the test.
                if let Some(leader) = leader_name(&live).await {
                    assert_eq!(leader, who);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    keeps_leading("node-a", 6).await;
    let client = nodes[1].client();
    for to in ["node-b", "node-a", "node-c"] {
        let message = client.transfer_leadership(Some(to)).await.unwrap();
        assert!(message.contains(to), "{message}");
        keeps_leading(to, 3).await;
    }
    assert_ticks_on_time(&nodes[1], 12).await;
    assert!(!nodes[0].log().contains("beyond --max-clock-offset"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wide_bound_lets_a_server_2s_ahead_lead_and_its_ticks_wait() {
    a_wide_bound_lets_a_skewed_server_lead_on_time("+2s", 2000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wide_bound_lets_a_server_2s_behind_lead_and_hand_over_without_missed_ticks() {
    a_wide_bound_lets_a_skewed_server_lead_on_time("-2s", -2000).await;
}

/// A clock put right is trusted again: `node-a` hands over at +2 s, and once its clock is back
/// it says so, is not warned about, and can lead again. A clock then thrown beyond the RPC's
/// 60 s freshness window cuts it off, and health names it rather than going silent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_put_right_leads_again_and_one_beyond_the_rpc_window_is_named() {
    let spec_dir = tempfile::tempdir().unwrap();
    let spec = spec_dir.path().join("faketime");
    std::fs::write(&spec, "+2s\n").unwrap();
    let nodes = skewed_cluster_with(faketime_from(&spec), &[]).await;
    let live: Vec<&Node> = nodes.iter().collect();
    wait_for("node-a to hand over", Duration::from_secs(20), || {
        let live = live.clone();
        async move { leader_name(&live).await.filter(|l| l != "node-a") }
    })
    .await;

    std::fs::write(&spec, "+0s\n").unwrap();
    let client = nodes[1].client();
    let h = wait_for(
        "node-a's clock back within bounds",
        Duration::from_secs(40),
        || {
            let client = client.clone();
            async move {
                let h = client.cluster_health().await.ok()?;
                let a = h.servers.iter().find(|s| s.node == "node-a")?;
                (a.clock_offset_ms?.abs() <= 300 && !h.warnings.iter().any(|w| w.contains("clock")))
                    .then_some(h)
            }
        },
    )
    .await;
    assert!(h.leader.as_deref() != Some("node-a"), "{h:?}");
    wait_for("node-a's back-within line", Duration::from_secs(10), || {
        let log = nodes[0].log();
        async move { log.contains("back within --max-clock-offset").then_some(()) }
    })
    .await;
    let message = wait_for(
        "leadership moved back onto node-a",
        Duration::from_secs(20),
        || {
            let client = client.clone();
            async move { client.transfer_leadership(Some("node-a")).await.ok() }
        },
    )
    .await;
    assert!(message.contains("node-a"), "{message}");

    // Beyond the window the RPC refuses its calls: it loses leadership, and health says why.
    std::fs::write(&spec, "+90s\n").unwrap();
    let others: Vec<&Node> = nodes[1..].iter().collect();
    let h = wait_for(
        "health naming node-a's clock as beyond the RPC window",
        Duration::from_secs(40),
        || {
            let others = others.clone();
            async move {
                let leader = leader_name(&others).await?;
                let n = others.iter().find(|n| n.name == leader)?;
                let h = n.client().cluster_health().await.ok()?;
                h.warnings
                    .iter()
                    .any(|w| w.contains("node-a") && w.contains("more than 60 s"))
                    .then_some(h)
            }
        },
    )
    .await;
    assert_ne!(h.leader.as_deref(), Some("node-a"), "{h:?}");
}
