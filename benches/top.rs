//! `belfry top` CPU benchmark: the real dashboard binary, in a real terminal (tmux), reading a
//! cluster of 100 nodes and 1,000 jobs at its normal refresh, for 30 s.
//!
//! Starting 100 real nodes would swamp a 2-core machine and measure the cluster, not the
//! dashboard. So a local HTTP server answers the API as such a cluster would, in the same
//! JSON shapes (`belfry::model`): 100 members (3 voters, 97 agents), the quorum health, 1,000
//! jobs that each run once a minute (staggered, so about 17 of them change every second, as
//! in a real cluster), their executions, the running set, and every node's load. The load
//! reads go to this same server (every member's `http_addr` points at it).
//!
//! The dashboard's CPU time (utime + stime, all threads) is read from `/proc/<pid>/stat` after
//! a 5 s warm-up and at the end; the figure is % of one core over the measured window.
//!
//! ```text
//! cargo bench -p belfry-cli --bench top
//! BELFRY_BENCH_SECS=60 BELFRY_BENCH_JOBS=5000 cargo bench -p belfry-cli --bench top
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use belfry::model::{
    ClusterHealth, Execution, ExecutionStatus, Job, Member, ServerHealth, zero_time,
};
use belfry::node::node_stats::NodeStats;
use belfry::telemetry::procfs;
use chrono::{DateTime, Duration as ChronoDuration, Utc};

#[path = "../tests/kit/mod.rs"]
#[allow(dead_code, unused_imports)] // each bench uses part of the kit
mod kit;

type BenchResult<T> = Result<T, String>;

const WARM_UP: Duration = Duration::from_secs(5);
/// Each job runs once a minute, at its own second.
const PERIOD_SECS: i64 = 60;
const SERVERS: usize = 3;

/// The cluster the fake API describes.
struct Cluster {
    addr: SocketAddr,
    nodes: usize,
    jobs: usize,
    started: DateTime<Utc>,
    /// Bodies that change once a second, made ahead so each request costs the server little.
    jobs_body: RwLock<Vec<u8>>,
    busy_body: RwLock<Vec<u8>>,
    members_body: Vec<u8>,
    health_body: Vec<u8>,
    requests: AtomicU64,
}

fn node_name(i: usize) -> String {
    format!("node-{i:03}")
}

fn job_name(i: usize) -> String {
    format!("job-{i:04}")
}

/// The newest tick of job `i` at or before `now`.
fn last_tick(i: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    let offset = (i as i64) % PERIOD_SECS;
    let t = now.timestamp() - offset;
    let tick = t - t.rem_euclid(PERIOD_SECS) + offset;
    DateTime::from_timestamp(tick, 0).unwrap_or(now)
}

/// Every seventh run of a job fails.
fn run_failed(i: usize, tick: DateTime<Utc>) -> bool {
    (tick.timestamp() / PERIOD_SECS + i as i64) % 7 == 0
}

fn executions_of(i: usize, now: DateTime<Utc>, limit: usize) -> Vec<Execution> {
    let last = last_tick(i, now);
    (0..limit.min(60) as i64)
        .map(|k| {
            let tick = last - ChronoDuration::seconds(k * PERIOD_SECS);
            let node = node_name(SERVERS + (i + k as usize) % 97);
            let failed = run_failed(i, tick);
            // The newest run lasts 2 s.
            let running = k == 0 && now - tick < ChronoDuration::seconds(2);
            Execution {
                id: format!("{}-{node}", tick.timestamp_nanos_opt().unwrap_or(0)),
                job_name: job_name(i),
                started_at: tick,
                finished_at: if running {
                    zero_time()
                } else {
                    tick + ChronoDuration::seconds(2)
                },
                success: !failed,
                output: String::new(),
                node_name: node,
                group: tick.timestamp(),
                attempt: 1,
                output_truncated: true,
                scheduled_at: tick,
                exit_code: (!running).then_some(if failed { 1 } else { 0 }),
                status: match (running, failed) {
                    (true, _) => ExecutionStatus::Running,
                    (false, true) => ExecutionStatus::Failed,
                    (false, false) => ExecutionStatus::Success,
                },
                reason: None,
            }
        })
        .collect()
}

fn job(i: usize, started: DateTime<Utc>, now: DateTime<Utc>) -> Job {
    let last = last_tick(i, now);
    let runs = ((last - last_tick(i, started)).num_seconds() / PERIOD_SECS).max(0) as u64;
    let failures = (0..runs as i64)
        .filter(|k| run_failed(i, last - ChronoDuration::seconds(k * PERIOD_SECS)))
        .count() as u64;
    let failed = run_failed(i, last);
    Job {
        id: job_name(i),
        name: job_name(i),
        schedule: format!("{} * * * * *", i as i64 % PERIOD_SECS),
        timezone: "UTC".into(),
        owner: "platform".into(),
        owner_email: "platform@example.com".into(),
        success_count: 5000 + runs - failures,
        error_count: 700 + failures,
        last_success: Some(if failed {
            last - ChronoDuration::seconds(PERIOD_SECS)
        } else {
            last
        }),
        last_error: failed.then_some(last),
        tags: [("role".to_string(), "worker:1".to_string())].into(),
        metadata: [("team".to_string(), format!("team-{}", i % 12))].into(),
        concurrency: "forbid".into(),
        executor: "shell".into(),
        executor_config: [("command".to_string(), format!("/opt/jobs/{i}.sh"))].into(),
        status: if failed { "failed" } else { "success" }.into(),
        next: last + ChronoDuration::seconds(PERIOD_SECS),
        ..Job::default()
    }
}

fn member(i: usize, addr: SocketAddr) -> Member {
    let server = i < SERVERS;
    let mut tags: BTreeMap<String, String> = [
        ("role", "belfry".to_string()),
        ("dc", format!("dc{}", 1 + i % 3)),
        ("region", "global".to_string()),
        ("version", "0.1.0".to_string()),
        ("rpc_addr", format!("10.0.{}.{}:6868", i / 250, i % 250)),
        ("port", "6868".to_string()),
        ("http_addr", addr.to_string()),
        ("pool", format!("pool-{}", i % 4)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if server {
        tags.insert("server".into(), "true".into());
        tags.insert("expect".into(), SERVERS.to_string());
    }
    Member {
        name: node_name(i),
        addr: format!("10.0.{}.{}", i / 250, i % 250),
        port: 8946,
        tags,
        status: 1,
        protocol_min: 1,
        protocol_max: 1,
        protocol_cur: 1,
        delegate_min: 1,
        delegate_max: 1,
        delegate_cur: 1,
        id: Some(node_name(i)),
        status_text: Some("alive".into()),
    }
}

fn health(started: DateTime<Utc>) -> ClusterHealth {
    let servers: Vec<ServerHealth> = (0..SERVERS)
        .map(|i| ServerHealth {
            node: node_name(i),
            id: format!("{i:016x}"),
            leader: i == 0,
            voter: true,
            alive: true,
            last_contact_ms: Some(if i == 0 { 0 } else { 20 + i as u64 }),
            log_lag: Some(0),
            stable_since: Some(started),
            healthy: true,
            clock_offset_ms: None,
        })
        .collect();
    ClusterHealth {
        healthy: true,
        leader: Some(node_name(0)),
        voters: SERVERS,
        healthy_voters: SERVERS,
        quorum: 2,
        failure_tolerance: 1,
        elections_last_hour: 1,
        servers,
        warnings: Vec::new(),
        term: Some(3),
        leader_since: Some(started),
        max_clock_offset_ms: None,
        launch_backlog: Default::default(),
    }
}

fn json_body(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

impl Cluster {
    /// Remakes the bodies that change with time.
    fn refresh(&self) {
        let now = Utc::now();
        let jobs: Vec<Job> = (0..self.jobs).map(|i| job(i, self.started, now)).collect();
        let running: Vec<Execution> = (0..self.jobs)
            .filter(|i| now - last_tick(*i, now) < ChronoDuration::seconds(2))
            .flat_map(|i| executions_of(i, now, 1))
            .collect();
        *self.jobs_body.write().expect("lock") = serde_json::to_vec(&jobs).expect("json");
        *self.busy_body.write().expect("lock") = serde_json::to_vec(&running).expect("json");
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
}

type Shared = State<Arc<Cluster>>;

async fn members(State(c): Shared) -> Response {
    c.count();
    json_body(c.members_body.clone())
}

async fn operator_health(State(c): Shared) -> Response {
    c.count();
    json_body(c.health_body.clone())
}

async fn busy(State(c): Shared) -> Response {
    c.count();
    json_body(c.busy_body.read().expect("lock").clone())
}

async fn jobs(State(c): Shared) -> Response {
    c.count();
    json_body(c.jobs_body.read().expect("lock").clone())
}

async fn executions(
    State(c): Shared,
    Path(name): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    c.count();
    let Some(i) = name
        .strip_prefix("job-")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|i| *i < c.jobs)
    else {
        return (axum::http::StatusCode::NOT_FOUND, "no such job").into_response();
    };
    // How many, newest first: the real API's `_end` slice.
    let limit = query.get("_end").and_then(|e| e.parse().ok()).unwrap_or(60);
    json_body(serde_json::to_vec(&executions_of(i, Utc::now(), limit)).expect("json"))
}

async fn node_stats(State(c): Shared) -> Response {
    c.count();
    let stats = NodeStats {
        node: node_name(0),
        cpu_percent: Some(2.5),
        cpu_window_ms: Some(2000),
        rss_bytes: Some(48 << 20),
        data_dir: "/var/lib/belfry".into(),
        data_dir_bytes: Some(12 << 20),
    };
    json_body(serde_json::to_vec(&stats).expect("json"))
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> BenchResult<u64> {
    procfs::stat(pid)
        .map(|s| s.cpu_ticks())
        .map_err(|e| format!("the dashboard is gone ({e})"))
}

fn rss_kib(pid: u32) -> u64 {
    procfs::status(pid)
        .ok()
        .and_then(|s| s.rss_kib)
        .unwrap_or(0)
}

fn tmux(socket: &str, args: &[&str]) -> BenchResult<String> {
    let out = Command::new("tmux")
        .args(["-L", socket])
        .args(args)
        .output()
        .map_err(|e| format!("this benchmark needs tmux (apt-get install tmux): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Kills the benchmark's own tmux server, and the dashboard in it, when dropped.
struct TmuxServer(String);

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = tmux(&self.0, &["kill-server"]);
    }
}

fn main() -> ExitCode {
    let settings = (|| -> BenchResult<(u64, usize, usize)> {
        Ok((
            kit::setting("BELFRY_BENCH_SECS", 30)?,
            kit::setting("BELFRY_BENCH_NODES", 100)?.max(SERVERS + 1),
            kit::setting("BELFRY_BENCH_JOBS", 1000)?,
        ))
    })();
    kit::run_bench("top", settings, |(secs, nodes, jobs)| async move {
        run(secs, nodes, jobs).await.map(|()| true)
    })
}

async fn run(secs: u64, nodes: usize, jobs: usize) -> BenchResult<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let started = Utc::now() - ChronoDuration::minutes(10);
    let members_list: Vec<Member> = (0..nodes).map(|i| member(i, addr)).collect();
    let cluster = Arc::new(Cluster {
        addr,
        nodes,
        jobs,
        started,
        jobs_body: RwLock::new(Vec::new()),
        busy_body: RwLock::new(Vec::new()),
        members_body: serde_json::to_vec(&members_list).expect("json"),
        health_body: serde_json::to_vec(&health(started)).expect("json"),
        requests: AtomicU64::new(0),
    });
    cluster.refresh();
    let refresher = cluster.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            refresher.refresh();
        }
    });
    let app = Router::new()
        .route("/v1/members", get(members))
        .route("/v1/operator/health", get(operator_health))
        .route("/v1/busy", get(busy))
        .route("/v1/jobs", get(self::jobs))
        .route("/v1/jobs/{name}/executions", get(executions))
        .route(belfry::node::node_stats::PATH, get(node_stats))
        .with_state(cluster.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    println!(
        "belfry top benchmark: {} nodes, {} jobs served from {}, {secs} s measured after {} s of warm-up",
        cluster.nodes,
        cluster.jobs,
        cluster.addr,
        WARM_UP.as_secs()
    );
    let socket = format!("belfry-bench-top-{}", std::process::id());
    let _server = TmuxServer(socket.clone());
    let http_addr = format!("--http-addr={addr}");
    // Given as separate arguments, tmux runs the dashboard itself (no shell): the pane's pid
    // is the dashboard's.
    tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "top",
            "-x",
            "120",
            "-y",
            "40",
            env!("CARGO_BIN_EXE_belfry"),
            "top",
            &http_addr,
        ],
    )?;
    let pid: u32 = tmux(
        &socket,
        &["display-message", "-p", "-t", "top", "#{pane_pid}"],
    )?
    .trim()
    .parse()
    .map_err(|e| format!("pane pid: {e}"))?;

    // The dashboard must really show the whole cluster before it is measured.
    let deadline = Instant::now() + Duration::from_secs(30);
    let want_nodes = format!("Nodes ({nodes})");
    let want_jobs = format!("Jobs ({jobs})");
    loop {
        let screen = tmux(&socket, &["capture-pane", "-p", "-t", "top"])?;
        if screen.contains(&want_nodes) && screen.contains(&want_jobs) {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the dashboard never showed {want_nodes} and {want_jobs}:\n{screen}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(WARM_UP).await;

    let hz = procfs::clock_ticks_per_second();
    let requests_before = cluster.requests.load(Ordering::Relaxed);
    let ticks_before = cpu_ticks(pid)?;
    let t0 = Instant::now();
    let mut peak_rss = rss_kib(pid);
    while t0.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak_rss = peak_rss.max(rss_kib(pid));
    }
    let ticks = cpu_ticks(pid)? - ticks_before;
    let elapsed = t0.elapsed().as_secs_f64();
    let requests = cluster.requests.load(Ordering::Relaxed) - requests_before;
    let cpu_percent = 100.0 * ticks as f64 / hz / elapsed;
    let screen = tmux(&socket, &["capture-pane", "-p", "-t", "top"])?;
    println!("\nThe screen at the end:\n{screen}");
    println!(
        "dashboard CPU {cpu_percent:.2} % of one core ({ticks} ticks in {elapsed:.1} s), peak RSS {:.1} MiB, {:.1} API requests/s",
        peak_rss as f64 / 1024.0,
        requests as f64 / elapsed
    );
    println!(
        "RESULT nodes={nodes} jobs={jobs} secs={elapsed:.1} cpu_percent={cpu_percent:.2} peak_rss_kib={peak_rss} requests_per_s={:.1}",
        requests as f64 / elapsed
    );
    Ok(())
}
