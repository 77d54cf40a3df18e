//! Leader failover benchmark: three real `belfry agent` servers on loopback, the leader
//! SIGKILLed again and again.
//!
//! For each kill it measures, from the instant of the SIGKILL:
//!
//! - **elected**: until one of the two survivors reports itself leader on `/health`;
//! - **first launch**: until a surviving server starts a run of an `@every 1s` job that runs on
//!   one server per tick (tags `server: "true:1"`; the tick that came due while there was no
//!   leader is caught up at once, so this is the time until the new leader is scheduling
//!   again).
//!
//! The killed server is restarted on its data dir and the next round waits until it is a
//! healthy voter again. At the end every tick of the job must have run at most once.
//!
//! Then the whole cluster is stopped the way a routine restart does it, `BELFRY_BENCH_STOPS`
//! times (default 10): SIGTERM to all three servers at the same instant, and for each server
//! the time until it exits and its exit code (a server still running 60 s later is counted as
//! hung and SIGKILLed); then all three are started again on their data dirs and the next round
//! waits for a leader.
//!
//! ```text
//! cargo bench -p belfry-cli --bench failover                  # 20 kills, 10 whole-cluster stops
//! BELFRY_BENCH_KILLS=50 BELFRY_BENCH_STOPS=0 cargo bench -p belfry-cli --bench failover
//! ```

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use belfry::client::Client;
use belfry::model::Job;
use chrono::{DateTime, Utc};
use tokio::process::{Child, Command};

type BenchResult<T> = Result<T, String>;

fn free_port() -> BenchResult<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

struct Server {
    name: String,
    dir: PathBuf,
    http: u16,
    rpc: u16,
    gossip: u16,
    seed: Option<String>,
    child: Option<Child>,
    client: Client,
}

impl Server {
    fn new(name: &str, root: &std::path::Path, seed: Option<String>) -> BenchResult<Server> {
        let http = free_port()?;
        Ok(Server {
            name: name.into(),
            dir: root.join(name),
            http,
            rpc: free_port()?,
            gossip: free_port()?,
            seed,
            child: None,
            client: Client::new(&format!("127.0.0.1:{http}")).map_err(|e| e.to_string())?,
        })
    }

    fn start(&mut self) -> BenchResult<()> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_belfry"));
        cmd.args([
            "agent",
            "--server",
            "--bootstrap-expect=3",
            "--log-level=warn",
        ])
        .arg(format!("--node-name={}", self.name))
        .arg(format!("--http-addr=127.0.0.1:{}", self.http))
        .arg(format!("--rpc-port={}", self.rpc))
        .arg(format!("--bind=127.0.0.1:{}", self.gossip))
        .arg(format!("--data-dir={}", self.dir.display()))
        // Every node of the bench cluster shares one cluster key (there is no keyless mode).
        .env(
            "BELFRY_ENCRYPT",
            "YmVuY2ggY2x1c3RlciBrZXksIDMyIGJ5dGVzIGxvbmc=",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
        if let Some(seed) = &self.seed {
            cmd.args(["--retry-join", seed, "--retry-interval", "1s"]);
        }
        self.child = Some(
            cmd.spawn()
                .map_err(|e| format!("cannot start belfry: {e}"))?,
        );
        Ok(())
    }

    async fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.start_kill();
            let _ = c.wait().await;
        }
    }

    /// Sends SIGTERM, without waiting.
    fn terminate(&self) {
        if let Some(pid) = self.child.as_ref().and_then(|c| c.id()) {
            // SAFETY: kill(2) on our own child's pid has no memory effects.
            unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        }
    }

    /// Waits up to `limit` for the process to exit: its exit code (`None`: killed by a
    /// signal), or `Err` when it is still running (it is then SIGKILLed).
    async fn wait_exit(&mut self, limit: Duration) -> Result<Option<i32>, ()> {
        let Some(child) = self.child.as_mut() else {
            return Ok(None);
        };
        match tokio::time::timeout(limit, child.wait()).await {
            Ok(status) => {
                self.child = None;
                Ok(status.ok().and_then(|s| s.code()))
            }
            Err(_) => {
                self.kill9().await;
                Err(())
            }
        }
    }

    async fn leads(&self) -> bool {
        matches!(self.client.health().await, Ok(h) if h.leader == Some(true))
    }
}

async fn wait<T, F, Fut>(what: &str, limit: Duration, mut f: F) -> BenchResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> ExitCode {
    let var = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (kills, stops) = (var("BELFRY_BENCH_KILLS", 20), var("BELFRY_BENCH_STOPS", 10));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(kills, stops)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("\nfailover: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(kills: usize, stops: usize) -> BenchResult<bool> {
    belfry::client::install_tls_provider();
    let root = std::env::temp_dir().join(format!("belfry-failover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut servers = vec![Server::new("node-a", &root, None)?];
    let seed = format!("127.0.0.1:{}", servers[0].gossip);
    servers.push(Server::new("node-b", &root, Some(seed.clone()))?);
    servers.push(Server::new("node-c", &root, Some(seed))?);
    for s in &mut servers {
        s.start()?;
    }
    println!(
        "Belfry failover benchmark: 3 servers on loopback, {kills} SIGKILLs of the leader, \
         {stops} SIGTERMs of the whole cluster"
    );
    let mut leader = wait("the first leader", Duration::from_secs(60), || async {
        for (i, s) in servers.iter().enumerate() {
            if s.leads().await {
                return Some(i);
            }
        }
        None
    })
    .await?;
    let job = Job {
        name: "tick".into(),
        schedule: "@every 1s".into(),
        executor: "shell".into(),
        executor_config: [("command".to_string(), "true".to_string())].into(),
        // One server per tick: without tags a job runs on every node, and the duplicate check
        // below would count the three runs of each tick as duplicates.
        tags: [("server".to_string(), "true:1".to_string())].into(),
        ..Job::default()
    };
    servers[leader]
        .client
        .put_job(&job)
        .await
        .map_err(|e| e.to_string())?;

    let mut elected = Vec::new();
    let mut launched = Vec::new();
    for round in 1..=kills {
        // Wait for three healthy voters, so every round starts from the same place.
        let client = servers[leader].client.clone();
        wait("three healthy voters", Duration::from_secs(60), || {
            let client = client.clone();
            async move {
                let p = client.raft_peers().await.ok()?;
                (p.servers
                    .iter()
                    .filter(|s| s.voter && s.lag.is_some_and(|l| l < 50))
                    .count()
                    == 3)
                    .then_some(())
            }
        })
        .await?;
        // Let the job tick on the current leader for a moment.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let killed_at: DateTime<Utc> = Utc::now();
        let t0 = Instant::now();
        servers[leader].kill9().await;
        let survivors: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
        let new_leader = wait("a new leader", Duration::from_secs(30), || async {
            for i in &survivors {
                if servers[*i].leads().await {
                    return Some(*i);
                }
            }
            None
        })
        .await?;
        let t_elected = t0.elapsed();
        let new_name = servers[new_leader].name.clone();
        let killed_name = servers[leader].name.clone();
        let client = servers[new_leader].client.clone();
        let first = wait(
            "the new leader's first launch",
            Duration::from_secs(30),
            || {
                let (client, killed_name) = (client.clone(), killed_name.clone());
                async move {
                    let ex = client.executions("tick").await.ok()?;
                    ex.iter()
                        // Finished runs only: a running one's started_at is still its tick.
                        .filter(|e| {
                            e.node_name != killed_name
                                && !e.is_running()
                                && e.started_at > killed_at
                        })
                        .map(|e| e.started_at)
                        .min()
                }
            },
        )
        .await?;
        let t_first = (first - killed_at).to_std().unwrap_or_default();
        println!(
            "kill {round:>2}: {} → {new_name}: elected after {:>4} ms, first launch after {:>4} ms",
            servers[leader].name,
            t_elected.as_millis(),
            t_first.as_millis()
        );
        elected.push(t_elected);
        launched.push(t_first);
        servers[leader].start()?;
        leader = new_leader;
    }

    // Every tick ran at most once across all the failovers.
    let ex = servers[leader]
        .client
        .executions("tick")
        .await
        .map_err(|e| e.to_string())?;
    let mut ticks: Vec<_> = ex.iter().map(|e| e.scheduled_at).collect();
    let n = ticks.len();
    ticks.sort();
    ticks.dedup();
    let duplicates = n - ticks.len();
    let missed = ex
        .iter()
        .filter(|e| e.status == belfry::model::ExecutionStatus::Missed)
        .count();

    elected.sort();
    launched.sort();
    let show = |v: &[Duration]| {
        format!(
            "p50 {} ms / p99 {} ms / max {} ms",
            percentile(v, 0.5).as_millis(),
            percentile(v, 0.99).as_millis(),
            v.last().map_or(0, |d| d.as_millis())
        )
    };
    println!("elected:       {}", show(&elected));
    println!("first launch:  {}", show(&launched));
    println!(
        "ticks: {n} recorded in the last 100, {duplicates} duplicates, {missed} recorded as missed"
    );
    println!(
        "RESULT kills={kills} elected_p50_ms={} elected_p99_ms={} elected_max_ms={} launch_p50_ms={} launch_p99_ms={} launch_max_ms={} duplicates={duplicates} missed={missed}",
        percentile(&elected, 0.5).as_millis(),
        percentile(&elected, 0.99).as_millis(),
        elected.last().map_or(0, |d| d.as_millis()),
        percentile(&launched, 0.5).as_millis(),
        percentile(&launched, 0.99).as_millis(),
        launched.last().map_or(0, |d| d.as_millis()),
    );
    let stopped_cleanly = whole_cluster_stops(&mut servers, stops).await?;
    for s in &mut servers {
        s.kill9().await;
    }
    let _ = std::fs::remove_dir_all(&root);
    Ok(duplicates == 0 && stopped_cleanly)
}

/// How long a server may take to stop before it counts as hung (the default
/// `--shutdown-grace` is 30 s and nothing runs long here: a clean stop takes far less).
const STOP_LIMIT: Duration = Duration::from_secs(60);

/// SIGTERM to every server at once, `rounds` times: each server's time to exit and exit code.
/// True when every server of every round exited with code 0.
async fn whole_cluster_stops(servers: &mut [Server], rounds: usize) -> BenchResult<bool> {
    let mut times = Vec::new();
    let (mut unclean, mut hung) = (0, 0);
    for round in 1..=rounds {
        wait("a leader", Duration::from_secs(60), || async {
            for s in servers.iter() {
                if s.leads().await {
                    return Some(());
                }
            }
            None
        })
        .await?;
        let t0 = Instant::now();
        for s in servers.iter() {
            s.terminate();
        }
        let mut line = format!("stop {round:>2}:");
        // Waited on in turn: each wait ends at its own exit, measured from the common t0.
        for s in servers.iter_mut() {
            let name = s.name.clone();
            match s.wait_exit(STOP_LIMIT.saturating_sub(t0.elapsed())).await {
                Ok(code) => {
                    let took = t0.elapsed();
                    times.push(took);
                    if code != Some(0) {
                        unclean += 1;
                    }
                    let code = code.map_or("signal".to_string(), |c| c.to_string());
                    line += &format!(" {name} {:>5} ms (exit {code})", took.as_millis());
                }
                Err(()) => {
                    hung += 1;
                    line += &format!(" {name} HUNG > {} s", STOP_LIMIT.as_secs());
                }
            }
        }
        println!("{line}");
        for s in servers.iter_mut() {
            s.start()?;
        }
    }
    if rounds == 0 {
        return Ok(true);
    }
    times.sort();
    let show = |v: &[Duration], p: f64| {
        if v.is_empty() {
            0
        } else {
            percentile(v, p).as_millis()
        }
    };
    println!(
        "whole-cluster SIGTERM: time to exit p50 {} ms / max {} ms over {} exits; {unclean} not exit 0, {hung} hung",
        show(&times, 0.5),
        show(&times, 1.0),
        times.len()
    );
    println!(
        "RESULT stops={rounds} stop_p50_ms={} stop_max_ms={} unclean={unclean} hung={hung}",
        show(&times, 0.5),
        show(&times, 1.0)
    );
    Ok(unclean == 0 && hung == 0)
}
