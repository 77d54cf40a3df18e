//! A small cluster as the API would describe it, at a fixed instant, for the state and view
//! tests: three servers (node-a leads), one agent, three jobs and their executions.

use std::collections::BTreeMap;

use belfry_client::model::{ClusterHealth, Execution, ExecutionStatus, Job, Member, ServerHealth};
use belfry_client::node_stats::NodeStats;
use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};

use crate::state::{ClusterRead, ExecutionsRead, State, Update};

/// The fixed "now" of every test.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
}

pub fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

pub fn member(name: &str, ip: &str, server: bool, status: &str) -> Member {
    let mut tags: BTreeMap<String, String> = [
        ("role", "belfry"),
        ("dc", "dc1"),
        ("region", "global"),
        ("version", "0.1.0"),
        ("port", "6868"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    tags.insert("rpc_addr".into(), format!("{ip}:6868"));
    tags.insert("http_addr".into(), format!("{ip}:8080"));
    if server {
        tags.insert("server".into(), "true".into());
        tags.insert("expect".into(), "3".into());
    } else {
        tags.insert("zone".into(), "b".into());
    }
    Member {
        name: name.into(),
        addr: ip.into(),
        port: 8946,
        tags,
        status: if status == "failed" { 4 } else { 1 },
        protocol_min: 1,
        protocol_max: 1,
        protocol_cur: 1,
        delegate_min: 1,
        delegate_max: 1,
        delegate_cur: 1,
        id: Some(name.into()),
        status_text: Some(status.into()),
    }
}

pub fn server(name: &str, leader: bool, alive: bool, contact: u64) -> ServerHealth {
    ServerHealth {
        node: name.into(),
        id: format!("{:016x}", name.len()),
        leader,
        voter: true,
        alive,
        last_contact_ms: Some(contact),
        log_lag: Some(if alive { 0 } else { 42 }),
        stable_since: Some(now() - Duration::minutes(30)),
        healthy: alive && contact <= 200,
        clock_offset_ms: None,
    }
}

pub fn health(leader: &str, servers: Vec<ServerHealth>, term: u64) -> ClusterHealth {
    let voters = servers.iter().filter(|s| s.voter).count();
    let healthy_voters = servers.iter().filter(|s| s.voter && s.healthy).count();
    let (quorum, _) = belfry_client::model::deployment(voters);
    ClusterHealth {
        healthy: healthy_voters >= quorum,
        leader: Some(leader.into()),
        voters,
        healthy_voters,
        quorum,
        failure_tolerance: healthy_voters.saturating_sub(quorum),
        elections_last_hour: 1,
        servers,
        warnings: Vec::new(),
        term: Some(term),
        leader_since: Some(now() - Duration::minutes(5)),
        max_clock_offset_ms: None,
        launch_backlog: Default::default(),
    }
}

pub fn execution(job: &str, node: &str, status: ExecutionStatus, ago: i64) -> Execution {
    let started = now() - secs(ago);
    Execution {
        id: format!("{}-{node}", started.timestamp()),
        job_name: job.into(),
        started_at: started,
        finished_at: if status == ExecutionStatus::Running {
            belfry_client::model::zero_time()
        } else {
            started + Duration::milliseconds(1200)
        },
        success: status == ExecutionStatus::Success,
        output: format!("line 1 of {job}\nlast line of {job}\n"),
        node_name: node.into(),
        group: 0,
        attempt: 1,
        output_truncated: false,
        scheduled_at: started,
        exit_code: match status {
            ExecutionStatus::Success => Some(0),
            ExecutionStatus::Failed => Some(2),
            _ => None,
        },
        status,
        reason: None,
    }
}

pub fn job(name: &str, schedule: &str, status: &str, ok: u64, err: u64) -> Job {
    Job {
        id: name.into(),
        name: name.into(),
        schedule: schedule.into(),
        executor: "shell".into(),
        executor_config: [("command".to_string(), format!("./{name}.sh"))].into(),
        status: status.into(),
        success_count: ok,
        error_count: err,
        last_success: (ok > 0).then(|| now() - secs(40)),
        last_error: (err > 0).then(|| now() - secs(100)),
        next: now() + secs(20),
        ..Job::default()
    }
}

pub fn cluster_read(health: ClusterHealth, members: Vec<Member>) -> ClusterRead {
    ClusterRead {
        via: "127.0.0.1:8080".into(),
        health: Ok(health),
        members,
        running: Some(vec![execution(
            "report",
            "node-b",
            ExecutionStatus::Running,
            3,
        )]),
    }
}

/// A healthy three-server cluster with an agent, read at `now() - 1 s`.
pub fn healthy_state() -> State {
    let mut state = State::new(
        "127.0.0.1:8080",
        now() - Duration::minutes(1),
        FixedOffset::east_opt(0).unwrap(),
        false,
    );
    let at = now() - secs(1);
    state.apply(Update::Cluster {
        at,
        read: cluster_read(
            health(
                "node-a",
                vec![
                    server("node-a", true, true, 0),
                    server("node-b", false, true, 12),
                    server("node-c", false, true, 31),
                ],
                7,
            ),
            vec![
                member("node-a", "10.0.0.1", true, "alive"),
                member("node-b", "10.0.0.2", true, "alive"),
                member("node-c", "10.0.0.3", true, "alive"),
                member("worker-1", "10.0.0.9", false, "alive"),
            ],
        ),
    });
    state.apply(Update::Jobs {
        at,
        jobs: vec![
            job("backup", "@every 1m", "success", 120, 0),
            job("report", "0 0 * * * *", "failed", 40, 3),
            job("cleanup", "@daily", "", 0, 0),
        ],
    });
    use ExecutionStatus::*;
    let read = |job: &str, executions| ExecutionsRead {
        job: job.into(),
        executions,
        complete: true,
    };
    state.apply(Update::Executions {
        at,
        runs: vec![
            read(
                "backup",
                vec![
                    execution("backup", "worker-1", Success, 40),
                    execution("backup", "worker-1", Success, 100),
                    execution("backup", "node-c", Success, 160),
                ],
            ),
            read(
                "report",
                vec![
                    execution("report", "node-b", Failed, 100),
                    execution("report", "node-b", Success, 1900),
                    // Older than an hour: not in the rate.
                    execution("report", "node-b", Failed, 7200),
                ],
            ),
            read("cleanup", vec![]),
        ],
    });
    state.apply(Update::NodeStats {
        at,
        stats: ["node-a", "node-b", "node-c", "worker-1"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    n.to_string(),
                    Ok(NodeStats {
                        node: n.to_string(),
                        cpu_percent: Some(1.5 + i as f64),
                        cpu_window_ms: Some(2000),
                        rss_bytes: Some((40 + i as u64) << 20),
                        data_dir: format!("/var/lib/belfry/{n}"),
                        data_dir_bytes: Some((3 + i as u64) << 20),
                    }),
                )
            })
            .collect(),
    });
    state
}

/// The same cluster after node-a died and node-b took over.
pub fn after_failover(state: &mut State) {
    let at = now() - secs(1) + Duration::milliseconds(500);
    state.apply(Update::Switched {
        at,
        from: "10.0.0.1:8080".into(),
        to: "10.0.0.2:8080".into(),
        reason: "unreachable".into(),
    });
    let mut h = health(
        "node-b",
        vec![
            server("node-a", false, false, 4000),
            server("node-b", true, true, 0),
            server("node-c", false, true, 20),
        ],
        8,
    );
    h.leader_since = Some(at);
    h.elections_last_hour = 2;
    let mut read = cluster_read(
        h,
        vec![
            member("node-a", "10.0.0.1", true, "failed"),
            member("node-b", "10.0.0.2", true, "alive"),
            member("node-c", "10.0.0.3", true, "alive"),
            member("worker-1", "10.0.0.9", false, "alive"),
        ],
    );
    read.via = "10.0.0.2:8080".into();
    state.apply(Update::Cluster { at, read });
}

/// The same cluster after node-a and node-b died: node-c answers alone and still names the
/// dead node-a as the leader (it has not noticed yet).
pub fn quorum_lost(state: &mut State) {
    let at = now() - secs(1) + Duration::milliseconds(500);
    let mut h = health(
        "node-a",
        vec![
            server("node-a", true, false, 4000),
            server("node-b", false, false, 3900),
            server("node-c", false, true, 20),
        ],
        7,
    );
    h.healthy = false;
    let mut read = cluster_read(
        h,
        vec![
            member("node-a", "10.0.0.1", true, "failed"),
            member("node-b", "10.0.0.2", true, "failed"),
            member("node-c", "10.0.0.3", true, "alive"),
            member("worker-1", "10.0.0.9", false, "alive"),
        ],
    );
    read.via = "10.0.0.3:8080".into();
    state.apply(Update::Cluster { at, read });
}

/// After the failover, with more wrong: node-c's clock 900 ms ahead (bound 500 ms), four
/// launches waiting on worker-1, a tick of backup missed and one launched 45 s late.
pub fn troubled(state: &mut State) {
    after_failover(state);
    let at = now() - secs(1) + Duration::milliseconds(600);
    let mut read = state
        .cluster
        .clone()
        .map(|c| ClusterRead {
            via: c.via,
            health: Ok(c.health),
            members: c.members,
            running: c.running,
        })
        .expect("a cluster");
    if let Ok(h) = read.health.as_mut() {
        h.max_clock_offset_ms = Some(500);
        h.launch_backlog.insert("worker-1".into(), 4);
        for s in &mut h.servers {
            s.clock_offset_ms = Some(match s.node.as_str() {
                "node-c" => 900,
                "node-b" => -3,
                _ => 12,
            });
        }
    }
    state.apply(Update::Cluster { at, read });
    let mut late = execution("backup", "worker-1", ExecutionStatus::Success, 20);
    late.scheduled_at = late.started_at - secs(45);
    state.apply(Update::Executions {
        at,
        runs: vec![ExecutionsRead {
            job: "backup".into(),
            executions: vec![
                late,
                execution("backup", "worker-1", ExecutionStatus::Success, 40),
                execution("backup", "", ExecutionStatus::Missed, 50),
            ],
            complete: false,
        }],
    });
}
