//! Several servers on loopback: bootstrap-expect, gossip membership, forwarding to the leader
//! and failover — real processes, real UDP gossip, real Raft over the internal RPC.

use std::time::Duration;

use crate::support::*;

async fn alive_members(node: &Node) -> usize {
    match node.client().members().await {
        Ok(m) => m.iter().filter(|m| m.status == 1).count(),
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_bootstrap_forward_and_fail_over() {
    let key = "MDEyMzQ1Njc4OWFiY2RlZg==";
    let a = Node::spawn_named("node-a", false, &["--bootstrap-expect=3", "--encrypt", key]);
    let seed = a.gossip_addr();
    // `--join` tries once: start b when a answers (its gossip is up before its API).
    let client = a.client();
    wait_for("node-a to answer", Duration::from_secs(20), || {
        let client = client.clone();
        async move { client.health().await.ok() }
    })
    .await;
    let b = Node::spawn_named(
        "node-b",
        false,
        &["--bootstrap-expect=3", "--encrypt", key, "--join", &seed],
    );
    let c = Node::spawn_named(
        "node-c",
        false,
        &[
            "--bootstrap-expect=3",
            "--encrypt",
            key,
            "--retry-join",
            &seed,
            "--retry-interval",
            "1s",
        ],
    );
    // A server without the key never becomes a member.
    let intruder = Node::spawn_named(
        "intruder",
        false,
        &[
            "--bootstrap-expect=3",
            "--retry-join",
            &seed,
            "--retry-interval",
            "1s",
        ],
    );
    let mut nodes = vec![a, b, c];

    let leader = wait_for(
        "one leader among three servers",
        Duration::from_secs(40),
        || {
            let refs: Vec<&Node> = nodes.iter().collect();
            async move { leader_of(&refs).await }
        },
    )
    .await;
    for n in &nodes {
        wait_for(
            "three alive members",
            Duration::from_secs(20),
            || async move { (alive_members(n).await == 3).then_some(()) },
        )
        .await;
    }
    let members = nodes[0].client().members().await.unwrap();
    assert!(members.iter().all(|m| m.name != "intruder"), "{members:?}");
    assert!(
        members
            .iter()
            .all(|m| m.tags["server"] == "true" && m.tags["expect"] == "3")
    );

    // A write through a follower is forwarded; a read on the other follower sees it at once.
    let followers: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let job = shell_job("replicated", "@every 1s", "echo from $BELFRY_NODE_NAME");
    nodes[followers[0]].client().put_job(&job).await.unwrap();
    let got = nodes[followers[1]]
        .client()
        .job("replicated")
        .await
        .unwrap();
    assert_eq!(got.name, "replicated");
    let leader_name = nodes[leader].name.clone();
    // A job without tags runs on every alive node, once per tick each (Dkron's targeting).
    let reader = nodes[followers[1]].client();
    let mut ran_on: Vec<_> = wait_for("a tick run on all three", Duration::from_secs(20), || {
        let reader = reader.clone();
        async move {
            let ex = reader.executions("replicated").await.ok()?;
            let first_tick = ex.iter().map(|e| e.scheduled_at).min()?;
            let tick: Vec<_> = ex.iter().filter(|e| e.scheduled_at == first_tick).collect();
            (tick.len() == 3 && tick.iter().all(|e| !e.is_running())).then(|| {
                tick.iter()
                    .map(|e| (e.node_name.clone(), e.output.trim().to_string()))
                    .collect()
            })
        }
    })
    .await;
    ran_on.sort();
    let expected: Vec<_> = nodes
        .iter()
        .map(|n| (n.name.clone(), format!("from {}", n.name)))
        .collect();
    assert_eq!(ran_on, expected);
    let led = nodes[followers[0]].client().leader().await.unwrap();
    assert_eq!(led.name, leader_name);
    // Three voters, all caught up, as the leader reports them; and the CLI shows the same.
    let peers = nodes[leader].client().raft_peers().await.unwrap();
    assert_eq!(peers.servers.len(), 3, "{peers:?}");
    assert!(peers.servers.iter().all(|p| p.voter), "{peers:?}");
    assert_eq!(
        peers.servers.iter().filter(|p| p.state == "leader").count(),
        1
    );
    let addr = nodes[leader].addr();
    let (code, out, err) = cli(&["--http-addr", &addr, "raft", "list-peers"], &[], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("NODE") && out.contains("leader") && out.contains("follower"),
        "{out}"
    );
    let (code, out, _) = cli(&["--http-addr", &addr, "members", "--json"], &[], None);
    assert_eq!(code, 0);
    let members: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(members.len(), 3);
    let (code, out, _) = cli(&["--http-addr", &addr, "leader"], &[], None);
    assert_eq!(
        (code, out.split(' ').next()),
        (0, Some(leader_name.as_str()))
    );
    // The leader's HTTP API address, which the next command needs, not only its gossip one.
    assert!(
        out.contains(&format!("http {}", nodes[leader].addr())),
        "{out}"
    );

    // Kill the leader: the two others elect a new one and keep scheduling.
    nodes[leader].kill9();
    let survivors: Vec<usize> = followers.clone();
    let new_leader = wait_for(
        "a new leader after the old one died",
        Duration::from_secs(20),
        || {
            let refs: Vec<&Node> = survivors.iter().map(|i| &nodes[*i]).collect();
            async move { leader_of(&refs).await }
        },
    )
    .await;
    let new_leader = survivors[new_leader];
    let new_name = nodes[new_leader].name.clone();
    assert_ne!(new_name, leader_name);
    let other = survivors
        .iter()
        .copied()
        .find(|i| *i != new_leader)
        .unwrap();
    let client = nodes[other].client();
    wait_for("runs on the new leader", Duration::from_secs(20), || {
        let (client, new_name) = (client.clone(), new_name.clone());
        async move {
            let ex = client.executions("replicated").await.ok()?;
            ex.iter()
                .any(|e| e.node_name == new_name && e.success)
                .then_some(())
        }
    })
    .await;
    // The dead server is reported failed by gossip.
    wait_for(
        "the killed leader to be marked failed",
        Duration::from_secs(20),
        || {
            let client = client.clone();
            let dead = leader_name.clone();
            async move {
                let m = client.members().await.ok()?;
                m.iter()
                    .any(|m| m.name == dead && m.status == 4)
                    .then_some(())
            }
        },
    )
    .await;
    // Nothing stays running on the dead node: gossip declared it failed.
    let ex = wait_for(
        "the dead node's executions to be closed",
        Duration::from_secs(10),
        || {
            let (client, dead) = (client.clone(), leader_name.clone());
            async move {
                let ex = client.executions("replicated").await.ok()?;
                (!ex.iter().any(|e| e.node_name == dead && e.is_running())).then_some(ex)
            }
        },
    )
    .await;
    // Every tick ran at most once on each node across the failover.
    let mut ticks: Vec<_> = ex
        .iter()
        .map(|e| (e.scheduled_at, e.node_name.clone()))
        .collect();
    let n = ticks.len();
    ticks.sort();
    ticks.dedup();
    assert_eq!(ticks.len(), n, "a tick ran twice across the failover");
    assert!(
        intruder.log().contains("wrong or missing encryption key")
            || nodes[0].log().contains("wrong or missing encryption key")
    );
    // The old leader, restarted on its data dir, rejoins as a follower with all the data.
    nodes[leader].spawn();
    let old_name = leader_name.clone();
    wait_for(
        "the old leader to be a voter again",
        Duration::from_secs(30),
        || {
            let client = client.clone();
            let name = old_name.clone();
            async move {
                let v = voters_via(&client).await?;
                (v.len() == 3 && v.contains(&name)).then_some(())
            }
        },
    )
    .await;
    // It may briefly believe in its old term after the restart; it settles as a follower.
    let restarted = nodes[leader].client();
    wait_for(
        "the restarted old leader to follow",
        Duration::from_secs(10),
        || {
            let c = restarted.clone();
            async move { (c.health().await.ok()?.leader == Some(false)).then_some(()) }
        },
    )
    .await;
    let job = nodes[leader].client().job("replicated").await.unwrap();
    assert_eq!(job.name, "replicated");
    nodes.clear();
}

/// Starts three servers that bootstrap together; returns them and the leader's index.
async fn three_servers() -> (Vec<Node>, usize) {
    three_servers_with(&[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_health_reports_quorum_tolerance_and_each_server() {
    let (mut nodes, leader) = three_servers().await;
    let follower = (0..3).find(|i| *i != leader).unwrap();
    let url = nodes[follower].url("/v1/operator/health");
    let health = wait_for(
        "a healthy three-server cluster",
        Duration::from_secs(20),
        || {
            let url = url.clone();
            async move {
                let h = http("GET", &url, None).await.json();
                (h["healthy"] == true && h["failure_tolerance"] == 1).then_some(h)
            }
        },
    )
    .await;
    assert_eq!(health["voters"], 3);
    assert_eq!(health["quorum"], 2);
    assert_eq!(health["leader"], nodes[leader].name.as_str());
    assert_eq!(health["servers"].as_array().unwrap().len(), 3);
    assert!(
        health["warnings"].as_array().unwrap().is_empty(),
        "{health}"
    );
    // One server down: still a quorum, but no failure tolerance left, and it says so.
    nodes[follower].kill9();
    let url = nodes[leader].url("/v1/operator/health");
    let health = wait_for(
        "tolerance 0 after a failure",
        Duration::from_secs(20),
        || {
            let url = url.clone();
            async move {
                let h = http("GET", &url, None).await.json();
                (h["failure_tolerance"] == 0).then_some(h)
            }
        },
    )
    .await;
    assert_eq!(health["healthy"], true);
    let warnings = health["warnings"].to_string();
    assert!(warnings.contains("failure tolerance is 0"), "{warnings}");
    let dead = &health["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["node"] == nodes[follower].name.as_str())
        .unwrap()
        .clone();
    assert_eq!(dead["healthy"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_stops_hands_over_and_leaves_the_voters() {
    let (mut nodes, leader) = three_servers().await;
    let old = nodes[leader].name.clone();
    let status = nodes[leader]
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(20))
        .await;
    assert_eq!(status.code(), Some(0), "{}", nodes[leader].log());
    assert!(
        nodes[leader].log().contains("leadership handed over"),
        "{}",
        nodes[leader].log()
    );
    let rest: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let new_leader = wait_for("a new leader", Duration::from_secs(10), || {
        let refs: Vec<&Node> = rest.iter().map(|i| &nodes[*i]).collect();
        async move { leader_of(&refs).await }
    })
    .await;
    let client = nodes[rest[new_leader]].client();
    // The departed server is removed from the voters at once (no dead-server timeout).
    let peers = wait_for(
        "the departed server to leave the voters",
        Duration::from_secs(15),
        || {
            let client = client.clone();
            async move {
                let p = client.raft_peers().await.ok()?;
                (p.servers.len() == 2).then_some(p)
            }
        },
    )
    .await;
    assert!(
        peers.servers.iter().all(|p| p.node != old && p.voter),
        "{peers:?}"
    );
    let members = client.members().await.unwrap();
    let gone = members
        .iter()
        .find(|m| m.name == old)
        .expect("still listed");
    assert_eq!(gone.status_text.as_deref(), Some("left"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_transfer_leadership_remove_peers_and_make_nodes_leave() {
    let (mut nodes, leader) = three_servers().await;
    let others: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let addr = nodes[others[0]].addr();
    let run = |args: &[&str]| {
        let mut a = vec!["--http-addr", addr.as_str()];
        a.extend_from_slice(args);
        cli(&a, &[], None)
    };

    // Transfer leadership to a named follower, asked through another node.
    let target = nodes[others[1]].name.clone();
    let (code, out, err) = run(&["raft", "transfer-leadership", &target]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), format!("leadership transferred to {target}"));
    assert_eq!(
        nodes[others[1]].client().health().await.unwrap().leader,
        Some(true)
    );

    // force-leave refuses a live server; remove-peer of an unknown name is "not found".
    let alive = nodes[others[0]].name.clone();
    let (code, _, err) = run(&["force-leave", &alive]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is alive"), "{err}");
    let (code, _, err) = run(&["raft", "remove-peer", "nobody"]);
    assert_eq!(code, 3, "{err}");
    // remove-peer of a live server is refused without --force (the leader would add it back
    // within seconds), and nothing changes.
    let (code, _, err) = run(&["raft", "remove-peer", &alive]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is alive") && err.contains("--force"), "{err}");
    let voters = voters_via(&nodes[others[1]].client()).await.unwrap();
    assert_eq!(voters.len(), 3, "{voters:?}");

    // `belfry leave` makes the node leave and stop with exit code 0.
    let leaving = leader;
    let leaving_addr = nodes[leaving].addr();
    let (code, out, _) = cli(&["--http-addr", &leaving_addr, "leave"], &[], None);
    assert_eq!(code, 0);
    assert!(out.contains("is leaving"), "{out}");
    let status = nodes[leaving]
        .signal_and_wait(0, Duration::from_secs(20))
        .await;
    assert_eq!(status.code(), Some(0));
    let client = nodes[others[1]].client();
    wait_for(
        "two voters after the leave",
        Duration::from_secs(15),
        || {
            let client = client.clone();
            async move {
                let p = client.raft_peers().await.ok()?;
                (p.servers.len() == 2).then_some(())
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removal_that_would_leave_no_answering_quorum_is_refused_and_writes_go_on() {
    let (nodes, leader) = three_servers().await;
    let others: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let (paused, kept) = (others[0], others[1]);
    // One follower stops answering (a frozen VM): gossip and Raft alike.
    nodes[paused].signal(libc::SIGSTOP);
    let url = nodes[leader].url("/v1/operator/health");
    let paused_name = nodes[paused].name.clone();
    wait_for(
        "the leader to miss the paused server",
        Duration::from_secs(20),
        || {
            let (url, name) = (url.clone(), paused_name.clone());
            async move {
                let h = http("GET", &url, None).await.json();
                let s = h["servers"]
                    .as_array()?
                    .iter()
                    .find(|s| s["node"] == name.as_str())?
                    .clone();
                (s["last_contact_ms"].as_u64()? > 3_500).then_some(())
            }
        },
    )
    .await;
    // Removing the other follower would leave the leader and the paused server: one of two
    // answers. It used to go ahead, and the half-done change held up every write.
    let addr = nodes[leader].addr();
    let (code, _, err) = cli(
        &[
            "--http-addr",
            &addr,
            "raft",
            "remove-peer",
            "--force",
            &nodes[kept].name,
        ],
        &[],
        None,
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("would leave 2 voter(s) of which only 1 answers"),
        "{err}"
    );
    let client = nodes[leader].client();
    let peers = client.raft_peers().await.unwrap();
    assert_eq!(peers.servers.len(), 3, "{peers:?}");
    tokio::time::timeout(
        Duration::from_secs(10),
        client.put_job(&shell_job("still-writable", "@manually", "true")),
    )
    .await
    .expect("the cluster takes writes")
    .unwrap();
    nodes[paused].signal(libc::SIGCONT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_removed_by_force_stays_out_when_leadership_moves() {
    let (nodes, leader) = three_servers().await;
    let others: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let (removed, next) = (others[0], others[1]);
    let removed_name = nodes[removed].name.clone();
    let addr = nodes[next].addr();
    let run = |args: &[&str]| {
        let mut a = vec!["--http-addr", addr.as_str()];
        a.extend_from_slice(args);
        cli(&a, &[], None)
    };
    let (code, out, err) = run(&["raft", "remove-peer", "--force", &removed_name]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("60 s"),
        "the output says how long it is kept out: {out}"
    );
    let client = nodes[next].client();
    let in_config = |client: belfry::client::Client, name: String| async move {
        let p = client.raft_peers().await.ok()?;
        Some(p.servers.iter().any(|s| s.node == name))
    };
    wait_for("the removal", Duration::from_secs(15), || {
        let f = in_config(client.clone(), removed_name.clone());
        async move { (!f.await?).then_some(()) }
    })
    .await;
    // Leadership moves to a server that did not remove it: the hold-out is replicated state,
    // so the new leader keeps it out too (it used to add it back as a learner at once).
    let (code, _, err) = run(&["raft", "transfer-leadership", &nodes[next].name]);
    assert_eq!(code, 0, "{err}");
    let watch_until = std::time::Instant::now() + Duration::from_secs(8);
    while std::time::Instant::now() < watch_until {
        assert_ne!(
            in_config(client.clone(), removed_name.clone()).await,
            Some(true),
            "{removed_name} was added back after leadership moved"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        nodes[next].client().health().await.unwrap().leader,
        Some(true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_a_whole_cluster_ends_every_server_in_bounded_time() {
    let (mut nodes, leader) = three_servers().await;
    // One by one, the way a careless whole-cluster restart does it: the followers leave, and the
    // leader, left without a quorum, used to wait forever on removing the last one (a
    // membership change that can never commit) and never exit.
    for i in (0..3).filter(|i| *i != leader) {
        let status = nodes[i]
            .signal_and_wait(libc::SIGTERM, Duration::from_secs(20))
            .await;
        assert_eq!(
            status.code(),
            Some(0),
            "{} did not stop cleanly",
            nodes[i].name
        );
    }
    let started = std::time::Instant::now();
    let status = nodes[leader]
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(25))
        .await;
    assert_eq!(status.code(), Some(0));
    println!("the last server stopped in {:?}", started.elapsed());
    // All at once, from where they stopped.
    for n in nodes.iter_mut() {
        n.spawn();
    }
    wait_for("a leader again", Duration::from_secs(40), || async {
        for n in &nodes {
            if n.client().health().await.ok()?.leader == Some(true) {
                return Some(());
            }
        }
        None
    })
    .await;
    for n in &nodes {
        n.signal(libc::SIGTERM);
    }
    for n in nodes.iter_mut() {
        let status = n.signal_and_wait(0, Duration::from_secs(25)).await;
        assert_eq!(status.code(), Some(0), "{} did not stop cleanly", n.name);
    }
}

/// The Raft voters' names, as `node` sees them.
async fn voters(node: &Node) -> Option<Vec<String>> {
    voters_via(&node.client()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_server_is_removed_after_the_timeout_and_rejoins_by_itself() {
    let (mut nodes, leader) = three_servers_with(&["--dead-server-timeout", "2s"]).await;
    let victim = (0..3).find(|i| *i != leader).unwrap();
    let victim_name = nodes[victim].name.clone();
    nodes[victim].kill9();
    // `belfry health` says degraded (exit 1) while a voter is down, naming it.
    let leader_addr = nodes[leader].addr();
    wait_for(
        "health to report the cluster degraded",
        Duration::from_secs(20),
        || {
            let (code, out, _) = cli(&["--http-addr", &leader_addr, "health"], &[], None);
            let name = victim_name.clone();
            async move {
                (code == 1 && out.starts_with("DEGRADED") && out.contains(&name)).then_some(())
            }
        },
    )
    .await;
    wait_for(
        "the dead server to be removed from the voters",
        Duration::from_secs(30),
        || {
            let node = &nodes[leader];
            let name = victim_name.clone();
            async move {
                let v = voters(node).await?;
                (v.len() == 2 && !v.contains(&name)).then_some(())
            }
        },
    )
    .await;
    // Restarted without any join flag, it finds the cluster through its Raft peers and comes
    // back as a voter.
    nodes[victim].extra = vec!["--bootstrap-expect=3".into()];
    nodes[victim].spawn();
    wait_for(
        "the restarted server to be a voter again",
        Duration::from_secs(40),
        || {
            let node = &nodes[leader];
            let name = victim_name.clone();
            async move {
                let v = voters(node).await?;
                (v.len() == 3 && v.contains(&name)).then_some(())
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_manual_bootstrap_keeps_the_first_servers_data() {
    // One server alone, with a job.
    let mut a = Node::spawn_named("node-a", true, &[]);
    a.wait_leader().await;
    a.client()
        .put_job(&shell_job("kept", "@daily", "true"))
        .await
        .unwrap();
    let status = a
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(20))
        .await;
    assert_eq!(status.code(), Some(0));
    // Restarted expecting three, with two new servers retry-joining it.
    a.extra = vec!["--bootstrap-expect=3".into()];
    a.spawn();
    let seed = a.gossip_addr();
    let retry = [
        "--bootstrap-expect=3",
        "--retry-join",
        &seed,
        "--retry-interval",
        "1s",
    ];
    let b = Node::spawn_named("node-b", false, &retry);
    let c = Node::spawn_named("node-c", false, &retry);
    let nodes = [a, b, c];
    let leader = wait_for("a leader", Duration::from_secs(40), || {
        let refs: Vec<&Node> = nodes.iter().collect();
        async move { leader_of(&refs).await }
    })
    .await;
    wait_for(
        "one cluster of three voters",
        Duration::from_secs(40),
        || {
            let node = &nodes[leader];
            async move { (voters(node).await?.len() == 3).then_some(()) }
        },
    )
    .await;
    for n in &nodes {
        assert_eq!(
            n.client().job("kept").await.unwrap().name,
            "kept",
            "{} lacks the data",
            n.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_without_state_gossips_and_passes_requests_to_a_server() {
    let server = Node::start(&[]).await;
    let agent = Node::spawn_agent(
        "agent-1",
        &["--join", &server.gossip_addr(), "--tag", "pool=web"],
    );
    let client = agent.client();
    wait_for(
        "the agent to see the server",
        Duration::from_secs(20),
        || {
            let client = client.clone();
            async move {
                let m = client.members().await.ok()?;
                (m.iter().filter(|m| m.status == 1).count() == 2).then_some(m)
            }
        },
    )
    .await;
    // The agent answers health itself, without a leader field (it is not a server).
    let health = http("GET", &agent.url("/health"), None).await.json();
    assert_eq!(health, serde_json::json!({"status": "healthy"}));
    // Jobs go through it to the server, with the server's status codes and headers.
    let body = r#"{"name":"via-agent","schedule":"@every 1h","executor":"shell","executor_config":{"command":"true"}}"#;
    let created = http("POST", &agent.url("/v1/jobs"), Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.headers["x-whom"], "agent-1");
    assert_eq!(created.headers["location"], "/v1/jobs/via-agent");
    assert_eq!(
        server.client().job("via-agent").await.unwrap().name,
        "via-agent"
    );
    let list = http("GET", &agent.url("/v1/jobs?pretty"), None).await;
    assert_eq!(list.headers["x-total-count"], "1");
    assert!(list.body.contains("\n  {"));
    assert_eq!(
        http("GET", &agent.url("/v1/jobs/nope"), None).await.status,
        404
    );
    let bad = http("POST", &agent.url("/v1/jobs"), Some(r#"{"name":"Bad"}"#)).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    // The server sees the agent, with its role and tags.
    let members = server.client().members().await.unwrap();
    let a = members
        .iter()
        .find(|m| m.name == "agent-1")
        .expect("agent listed");
    assert_eq!(a.tags.get("server"), None);
    assert_eq!(a.tags["pool"], "web");
    let (code, out, _) = cli(&["--http-addr", &server.addr(), "members"], &[], None);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with("agent-1") && l.contains(" agent ")),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_join_gives_up_after_retry_max_and_exits_non_zero() {
    let nobody = format!("127.0.0.1:{}", free_port());
    let mut node = Node::spawn_named(
        "lonely",
        false,
        &[
            "--bootstrap-expect=3",
            "--retry-join",
            &nobody,
            "--retry-interval",
            "100ms",
            "--retry-max",
            "2",
        ],
    );
    let status = node.signal_and_wait(0, Duration::from_secs(40)).await;
    assert_eq!(status.code(), Some(1), "{}", node.log());
    assert!(
        node.log().contains("retry-join: gave up after 2 attempts"),
        "{}",
        node.log()
    );
}

fn is_server(m: &belfry::model::Member) -> bool {
    m.tags.get("server").is_some_and(|s| s == "true")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demote_and_promote_survive_restarts_and_demote_guards_the_quorum() {
    let (mut nodes, mut leader) = three_servers().await;
    if leader == 0 {
        // node-a is the others' seed and was started with nothing to join through, so as an
        // agent it could not rejoin: let another server lead, and demote that one.
        let (code, out, err) = cli(
            &[
                "--http-addr",
                &nodes[1].addr(),
                "raft",
                "transfer-leadership",
                &nodes[1].name,
            ],
            &[],
            None,
        );
        assert_eq!(code, 0, "{out}{err}");
        leader = 1;
    }
    let others: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    // The current leader is demoted: it hands leadership over first, and the demotion must
    // succeed at the first try (it used to read the new leader too early and answer 503).
    let (a, b) = (leader, others[0]);
    let a_name = nodes[a].name.clone();
    let addr = nodes[others[1]].addr();
    let run = |args: &[&str]| {
        let mut v = vec!["--http-addr", addr.as_str()];
        v.extend_from_slice(args);
        cli(&v, &[], None)
    };
    // The quorum guard counts the voters gossip sees alive: wait until the asked node sees all
    // three (a transfer of leadership just before can leave its view a moment behind).
    let asked = nodes[others[1]].client();
    wait_for(
        "three alive servers in gossip",
        Duration::from_secs(20),
        || {
            let asked = asked.clone();
            async move {
                let m = asked.members().await.ok()?;
                (m.iter().filter(|m| is_server(m) && m.status == 1).count() == 3).then_some(())
            }
        },
    )
    .await;
    let (code, out, err) = run(&["demote", &a_name]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("demoted"), "{out}");
    let client = nodes[others[1]].client();
    let agent_again = |client: belfry::client::Client, name: String| async move {
        let v = voters_via(&client).await?;
        let m = client.members().await.ok()?;
        let me = m.iter().find(|m| m.name == name && m.status == 1)?;
        (v.len() == 2 && !v.contains(&name) && !is_server(me)).then_some(())
    };
    // From the demote's answer on, it is out of the configuration and never added back while
    // it restarts as an agent, whichever server leads (the hold-out is replicated state).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let peers = client.raft_peers().await;
        if let Ok(p) = &peers {
            assert!(
                !p.servers.iter().any(|s| s.node == a_name),
                "the demoted server is in the configuration again: {p:?}"
            );
        }
        if agent_again(client.clone(), a_name.clone()).await.is_some() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the demoted server did not run as an agent within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Its API still answers, now by passing requests to a server.
    assert!(nodes[a].client().jobs().await.is_ok());
    // The demotion survives a restart.
    nodes[a].kill9();
    nodes[a].spawn();
    wait_for(
        "the restarted demoted server, still an agent",
        Duration::from_secs(30),
        || agent_again(client.clone(), a_name.clone()),
    )
    .await;
    // Promote: it becomes a voter again.
    let (code, out, err) = run(&["promote", &a_name]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("promoted"), "{out}");
    wait_for(
        "the promoted server to be a voter again",
        Duration::from_secs(40),
        || {
            let client = client.clone();
            let name = a_name.clone();
            async move {
                let v = voters_via(&client).await?;
                (v.len() == 3 && v.contains(&name)).then_some(())
            }
        },
    )
    .await;
    // With one of the other voters dead, demoting would leave too few alive: refused.
    nodes[b].kill9();
    let b_name = nodes[b].name.clone();
    wait_for(
        "the killed server to be seen failed",
        Duration::from_secs(20),
        || {
            let client = client.clone();
            let name = b_name.clone();
            async move {
                let m = client.members().await.ok()?;
                m.iter()
                    .any(|m| m.name == name && m.status == 4)
                    .then_some(())
            }
        },
    )
    .await;
    let (code, _, err) = run(&["demote", &a_name]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("quorum") && err.contains("--force"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_quorum_refuses_writes_serves_stale_reads_and_heals() {
    let (mut nodes, leader) = three_servers().await;
    nodes[leader]
        .client()
        .put_job(&shell_job("before", "@daily", "true"))
        .await
        .unwrap();
    let others: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    // Kill both followers: the leader is alone, without a quorum.
    nodes[others[0]].kill9();
    nodes[others[1]].kill9();
    let survivor = &nodes[leader];
    let body = r#"{"name":"during","schedule":"@daily","executor":"shell","executor_config":{"command":"true"}}"#;
    let started = std::time::Instant::now();
    let w = http("POST", &survivor.url("/v1/jobs"), Some(body)).await;
    assert_eq!(w.status, 503, "{}", w.body);
    assert!(w.body.contains("quorum lost"), "{}", w.body);
    assert!(started.elapsed() < Duration::from_secs(15));
    let r = http("GET", &survivor.url("/v1/jobs/before"), None).await;
    assert_eq!(r.status, 200, "reads still answer");
    assert_eq!(r.headers["x-belfry-stale"], "true");
    // One server back: the quorum returns and writes succeed again by themselves.
    nodes[others[0]].spawn();
    wait_for("writes to succeed again", Duration::from_secs(40), || async {
        let body = r#"{"name":"after","schedule":"@daily","executor":"shell","executor_config":{"command":"true"}}"#;
        let refs: Vec<&Node> = vec![&nodes[leader], &nodes[others[0]]];
        for n in refs {
            if http("POST", &n.url("/v1/jobs"), Some(body)).await.status == 201 {
                return Some(());
            }
        }
        None
    })
    .await;
    let r = http("GET", &nodes[others[0]].url("/v1/jobs/after"), None).await;
    assert_eq!(r.status, 200);
    assert!(
        !r.headers.contains_key("x-belfry-stale"),
        "consistent again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fourth_and_fifth_server_join_as_learners_then_voters() {
    let (nodes, leader) = three_servers().await;
    let seed = nodes[0].gossip_addr();
    // The 4th has no join flag: an operator joins it with `belfry join`.
    let d = Node::spawn_named("node-d", false, &[]);
    let d_addr = d.addr();
    wait_for("node-d's API", Duration::from_secs(20), || {
        let client = d.client();
        async move { client.health().await.ok() }
    })
    .await;
    let (code, out, err) = cli(&["--http-addr", &d_addr, "join", &seed], &[], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("joined"), "{out}");
    let e = Node::spawn_named(
        "node-e",
        false,
        &["--retry-join", &seed, "--retry-interval", "1s"],
    );
    let client = nodes[leader].client();
    wait_for("five voters", Duration::from_secs(60), || {
        let client = client.clone();
        async move { (voters_via(&client).await?.len() == 5).then_some(()) }
    })
    .await;
    let url = nodes[leader].url("/v1/operator/health");
    let h = wait_for("quorum 3, tolerance 2", Duration::from_secs(20), || {
        let url = url.clone();
        async move {
            let h = http("GET", &url, None).await.json();
            (h["failure_tolerance"] == 2).then_some(h)
        }
    })
    .await;
    assert_eq!(
        (h["voters"].clone(), h["quorum"].clone()),
        (5.into(), 3.into())
    );
    // The newcomers hold the data: a job written before they joined is readable there.
    drop(e);
    assert!(d.client().jobs().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_that_disagree_on_bootstrap_expect_refuse_to_bootstrap() {
    let a = Node::spawn_named("node-a", false, &["--bootstrap-expect=3"]);
    let seed = a.gossip_addr();
    let b = Node::spawn_named(
        "node-b",
        false,
        &[
            "--bootstrap-expect=3",
            "--retry-join",
            &seed,
            "--retry-interval",
            "1s",
        ],
    );
    let c = Node::spawn_named(
        "node-c",
        false,
        &[
            "--bootstrap-expect=2",
            "--retry-join",
            &seed,
            "--retry-interval",
            "1s",
        ],
    );
    wait_for(
        "the refusal in node-a's log",
        Duration::from_secs(30),
        || async {
            a.log()
                .contains("refusing to bootstrap: servers disagree on --bootstrap-expect")
                .then_some(())
        },
    )
    .await;
    for n in [&a, &b, &c] {
        let h = n.client().health().await.unwrap();
        assert_eq!(
            h.leader,
            Some(false),
            "{} leads a cluster that must not exist",
            n.name
        );
    }
    assert!(
        a.log().contains("node-c"),
        "the log names the server that disagrees"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_and_an_agent_form_from_any_start_order() {
    // Each order starts the four nodes one after another, every node retry-joining all the
    // others: the agent first, last, and in between; the servers forwards and backwards.
    let orders: [[usize; 4]; 4] = [[3, 0, 1, 2], [0, 1, 2, 3], [2, 3, 1, 0], [1, 0, 3, 2]];
    for order in orders {
        let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
        let seeds: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let names = ["node-a", "node-b", "node-c", "agent-1"];
        let mut nodes: Vec<Option<Node>> = (0..4).map(|_| None).collect();
        for i in order {
            let mut extra: Vec<String> = vec!["--retry-interval".into(), "300ms".into()];
            for (j, seed) in seeds.iter().enumerate() {
                if j != i {
                    extra.push("--retry-join".into());
                    extra.push(seed.clone());
                }
            }
            if i < 3 {
                extra.push("--bootstrap-expect=3".into());
            }
            let refs: Vec<&str> = extra.iter().map(String::as_str).collect();
            let mut node = if i < 3 {
                Node::spawn_named(names[i], false, &[])
            } else {
                Node::spawn_agent(names[i], &[])
            };
            // Restart on the pre-agreed gossip port with the joins.
            node.kill9();
            node.gossip_port = ports[i];
            node.extra = refs.iter().map(|s| s.to_string()).collect();
            node.spawn();
            nodes[i] = Some(node);
        }
        let nodes: Vec<Node> = nodes.into_iter().map(Option::unwrap).collect();
        let servers: Vec<&Node> = nodes[..3].iter().collect();
        let leader = wait_for(
            &format!("a leader (order {order:?})"),
            Duration::from_secs(40),
            || {
                let s = servers.clone();
                async move { leader_of(&s).await }
            },
        )
        .await;
        let client = servers[leader].client();
        wait_for(
            &format!("3 voters and the agent (order {order:?})"),
            Duration::from_secs(40),
            || {
                let client = client.clone();
                async move {
                    let voters = voters_via(&client).await?;
                    let members = client.members().await.ok()?;
                    let agent_alive = members
                        .iter()
                        .any(|m| m.name == "agent-1" && m.status == 1 && !is_server(m));
                    (voters.len() == 3 && agent_alive).then_some(())
                }
            },
        )
        .await;
        // The agent serves the API through the servers.
        assert!(nodes[3].client().jobs().await.is_ok(), "order {order:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_find_each_other_over_mdns_and_bootstrap() {
    // Multicast stays inside a namespace of the test's own, on its loopback; the guard is
    // declared first so it is dropped last, after the nodes are killed.
    let netns = Netns::new("mdns");
    let service = format!("belfry-test-{}", std::process::id());
    let join = format!("provider=mdns service={service}");
    let extra = [
        "--bootstrap-expect=3",
        "--retry-join",
        &join,
        "--retry-interval",
        "1s",
    ];
    // node-a asks first and finds nobody else, so it can only meet the others by asking again.
    let first = Node::spawn_in(&netns, "node-a", &extra);
    wait_for(
        "node-a's first retry-join attempt to find no one",
        Duration::from_secs(20),
        || async {
            first
                .log()
                .contains("retry-join: no node answered")
                .then_some(())
        },
    )
    .await;
    let mut nodes = vec![first];
    for name in ["node-b", "node-c"] {
        nodes.push(Node::spawn_in(&netns, name, &extra));
    }
    let peers_of = |node: &Node| -> Option<belfry::model::RaftPeers> {
        let (code, out, _) = cli_in(
            &netns,
            &["--http-addr", &node.addr(), "raft", "list-peers", "--json"],
        );
        (code == 0).then(|| serde_json::from_str(&out).ok())?
    };
    for node in &nodes {
        let peers = wait_for(
            &format!("{} to see three voters and a leader", node.name),
            Duration::from_secs(60),
            || {
                let peers = peers_of(node).filter(|p| {
                    p.servers.iter().filter(|s| s.voter).count() == 3
                        && p.servers.iter().filter(|s| s.state == "leader").count() == 1
                });
                async move { peers }
            },
        )
        .await;
        let mut names: Vec<&str> = peers.servers.iter().map(|s| s.node.as_str()).collect();
        names.sort();
        assert_eq!(names, ["node-a", "node-b", "node-c"], "{}", node.log());
    }
    // Each found the others at their gossip ports, which no flag named.
    let (code, out, err) = cli_in(
        &netns,
        &["--http-addr", &nodes[0].addr(), "members", "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let members: Vec<belfry::model::Member> = serde_json::from_str(&out).unwrap();
    let mut seen: Vec<(String, u16, i32)> = members
        .iter()
        .map(|m| (m.name.clone(), m.port, m.status))
        .collect();
    seen.sort();
    let expected: Vec<(String, u16, i32)> = nodes
        .iter()
        .map(|n| (n.name.clone(), n.gossip_port, 1))
        .collect();
    assert_eq!(seen, expected);
    for node in &nodes {
        assert!(
            node.log().contains("mDNS: advertising this node"),
            "{}",
            node.log()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_upgrade_goes_agents_followers_leader_with_checks_and_waits() {
    let (mut nodes, _) = three_servers_with(&[]).await;
    let seed = nodes[0].gossip_addr();
    let mut agent = Node::spawn_agent(
        "agent-1",
        &["--retry-join", &seed, "--retry-interval", "1s"],
    );
    let any = nodes[0].addr();
    let cmd = |args: &[&str]| {
        let mut a = vec!["--http-addr", any.as_str()];
        a.extend_from_slice(args);
        cli(&a, &[], None)
    };
    let client = nodes[0].client();
    wait_for("four alive members", Duration::from_secs(30), || {
        let client = client.clone();
        async move {
            let m = client.members().await.ok()?;
            (m.iter().filter(|m| m.status == 1).count() == 4).then_some(())
        }
    })
    .await;
    wait_for("a healthy cluster", Duration::from_secs(20), || {
        let client = client.clone();
        async move { client.cluster_health().await.ok()?.healthy.then_some(()) }
    })
    .await;

    // To the next minor version: safe, agents first, the leader last.
    let (code, out, err) = cmd(&["upgrade", "check", "--to", "0.2.0", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let check: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(check["safe"], true, "{out}");
    assert_eq!(check["next"], "agent-1");
    let plan: Vec<&str> = check["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["role"].as_str().unwrap())
        .collect();
    assert_eq!(plan, ["agent", "follower", "follower", "leader"]);
    assert!(
        check["plan"][3]["action"]
            .as_str()
            .unwrap()
            .contains("transfer-leadership")
    );
    // Jumps and downgrades are refused.
    for (to, why) in [
        ("0.3.0", "more than one minor"),
        ("1.0.0", "more than one minor"),
        ("0.0.9", "downgrade"),
    ] {
        let (code, out, _) = cmd(&["upgrade", "check", "--to", to]);
        assert_eq!(code, 1, "{to}: {out}");
        assert!(out.contains("NOT SAFE") && out.contains(why), "{to}: {out}");
    }
    let (code, _, err) = cmd(&["upgrade", "check", "--to", "soon"]);
    assert_eq!(code, 2, "{err}");

    // The procedure, as docs/operations.md gives it: each node stopped, started again (on the
    // "new" binary), waited for; the leader last, after handing leadership over.
    agent
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(20))
        .await;
    agent.spawn();
    let (code, out, err) = cmd(&["upgrade", "wait", "agent-1", "--timeout", "30s"]);
    assert_eq!(code, 0, "{out}{err}");
    let leader_name = client.cluster_health().await.unwrap().leader.unwrap();

    // A cluster formed by --bootstrap-expect=3 is named (backups used to be `belfry-unnamed-…`).
    let snapshot_url = nodes[0].url("/v1/operator/snapshot");
    let cluster_id = wait_for("the cluster id", Duration::from_secs(30), || {
        let url = snapshot_url.clone();
        async move {
            let r = http("GET", &url, None).await;
            let id = r
                .headers
                .get("x-belfry-cluster-id")?
                .to_str()
                .ok()?
                .to_string();
            (r.status == 200 && id != "unnamed").then_some(id)
        }
    })
    .await;
    assert_eq!(cluster_id.len(), 16, "{cluster_id}");

    // Server operations on an agent say which node and why, not a raw RPC error.
    let (code, _, err) = cmd(&["demote", "agent-1"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("agent-1 is an agent, not a server"), "{err}");
    let (code, _, err) = cmd(&["raft", "transfer-leadership", "agent-1"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("agent-1 is an agent, not a Raft server"),
        "{err}"
    );
    let (code, _, err) = cmd(&["promote", &leader_name]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is already a server"), "{err}");

    let order: Vec<usize> = (0..3)
        .filter(|i| nodes[*i].name != leader_name)
        .chain((0..3).filter(|i| nodes[*i].name == leader_name))
        .collect();
    for i in order {
        let name = nodes[i].name.clone();
        let via = nodes[(i + 1) % 3].addr();
        let at = |args: &[&str]| {
            let mut a = vec!["--http-addr", via.as_str()];
            a.extend_from_slice(args);
            cli(&a, &[], None)
        };
        // As an operator would: check until it says the next node may go.
        let via2 = via.clone();
        wait_for(
            &format!("upgrade check to say {name} may go"),
            Duration::from_secs(30),
            || {
                let via = via2.clone();
                async move {
                    let (code, _, _) = cli(
                        &["--http-addr", &via, "upgrade", "check", "--to", "0.2.0"],
                        &[],
                        None,
                    );
                    (code == 0).then_some(())
                }
            },
        )
        .await;
        if name == leader_name {
            let (code, out, err) = at(&["raft", "transfer-leadership"]);
            assert_eq!(code, 0, "{out}{err}");
        }
        nodes[i]
            .signal_and_wait(libc::SIGTERM, Duration::from_secs(20))
            .await;
        // While it is down the next server may not go.
        let (code, out, _) = at(&["upgrade", "check", "--to", "0.2.0"]);
        assert_eq!(code, 1, "with {name} down: {out}");
        nodes[i].spawn();
        let (code, out, err) = at(&["upgrade", "wait", &name, "--timeout", "60s"]);
        assert_eq!(code, 0, "{name}: {out}{err}");
        // "Back" means a voter again, not a learner that does not count for the quorum yet.
        let via_client = nodes[(i + 1) % 3].client();
        let voters = voters_via(&via_client).await.unwrap_or_default();
        assert!(
            voters.contains(&name),
            "upgrade wait returned while {name} was not a voter: {voters:?}"
        );
    }
    let (code, _, err) = cmd(&["upgrade", "wait", "nobody", "--timeout", "1s"]);
    assert_eq!(code, 1);
    assert!(err.contains("timed out") && err.contains("nobody"), "{err}");
}

/// A voter joins a one-server cluster and vanishes: the survivor has no quorum, so writes
/// answer 503 and no removal can be committed. `force-leave` says so at once and names the
/// way out; the repeated warnings are rate-limited; and `belfry raft recover` on the stopped
/// survivor (refused while it runs) makes it the only voter again: after a restart it writes,
/// with its jobs intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_that_lost_its_quorum_for_good_is_recovered_with_raft_recover() {
    let mut a = Node::spawn_named("node-a", true, &[]);
    a.wait_leader().await;
    a.client()
        .put_job(&shell_job("kept", "@manually", "echo kept"))
        .await
        .unwrap();
    a.client().run_job("kept").await.unwrap();
    let seed = a.gossip_addr();
    let mut b = Node::spawn_named("node-b", false, &["--join", &seed]);
    wait_for("node-b to be a voter", Duration::from_secs(40), || {
        let node = &a;
        async move { (voters(node).await?.len() == 2).then_some(()) }
    })
    .await;
    b.kill9();

    // No quorum: writes fail.
    let client = a.client();
    wait_for("writes to fail", Duration::from_secs(40), || {
        let client = client.clone();
        async move {
            client
                .put_job(&shell_job("lost", "@manually", "true"))
                .await
                .err()
        }
    })
    .await;
    let log_before = a.log().lines().count();
    // force-leave cannot commit without a quorum: it says so, and names the recovery.
    // (Gossip may still call node-b alive for a moment: then it refuses for that reason.)
    let addr = a.addr();
    let err = wait_for(
        "force-leave to name the lost quorum",
        Duration::from_secs(30),
        || {
            let addr = addr.clone();
            async move {
                let (code, _, err) =
                    cli(&["--http-addr", &addr, "force-leave", "node-b"], &[], None);
                assert_ne!(code, 0, "force-leave cannot succeed without a quorum");
                err.contains("no quorum").then_some(err)
            }
        },
    )
    .await;
    assert!(err.contains("belfry raft recover"), "{err}");
    // Over a few seconds, the log does not fill with one warning per attempt.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let warns = a
        .log()
        .lines()
        .skip(log_before)
        .filter(|l| l.contains("WARN"))
        .count();
    assert!(warns <= 10, "{warns} warnings in 5 s:\n{}", a.log());

    // Recovery: refused while the node runs, done once it is stopped.
    let dir = a.data_dir();
    let d = dir.to_str().unwrap();
    let (code, _, err) = cli(&["raft", "recover", "--data-dir", d], &[], None);
    assert_ne!(code, 0);
    assert!(err.contains("in use by a running belfry node"), "{err}");
    a.kill9();
    let (code, out, err) = cli(&["raft", "recover", "--data-dir", d], &[], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("voters were [node-a, node-b], now [node-a]"),
        "{out}"
    );
    a.spawn();
    a.wait_leader().await;
    let client = a.client();
    client
        .put_job(&shell_job("after", "@manually", "true"))
        .await
        .unwrap();
    assert_eq!(client.job("kept").await.unwrap().name, "kept");
    assert_eq!(client.executions("kept").await.unwrap().len(), 1);
    assert_eq!(voters(&a).await.unwrap(), ["node-a"]);
}
