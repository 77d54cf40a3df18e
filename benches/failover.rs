//! Leader failover benchmark: three real `belfry agent` servers on loopback, the leader
//! SIGKILLed again and again.
//!
//! For each kill it measures, from the instant of the SIGKILL:
//!
//! - **elected**: until one of the two survivors reports itself leader on `/health`;
//! - **first launch**: until that new leader starts a run of an `@every 1s` job (the tick that
//!   came due while there was no leader is caught up at once, so this is the time until the
//!   new leader is scheduling again).
//!
//! The killed server is restarted on its data dir and the next round waits until it is a
//! healthy voter again. At the end every tick of the job must have run at most once.
//!
//! ```text
//! cargo bench -p belfry-cli --bench failover                  # 20 kills
//! BELFRY_BENCH_KILLS=50 cargo bench -p belfry-cli --bench failover
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
    let kills: usize = std::env::var("BELFRY_BENCH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(kills)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("\nfailover: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(kills: usize) -> BenchResult<bool> {
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
    println!("Belfry failover benchmark: 3 servers on loopback, {kills} SIGKILLs of the leader");
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
        let client = servers[new_leader].client.clone();
        let first = wait(
            "the new leader's first launch",
            Duration::from_secs(30),
            || {
                let (client, new_name) = (client.clone(), new_name.clone());
                async move {
                    let ex = client.executions("tick").await.ok()?;
                    ex.iter()
                        // Finished runs only: a running one's started_at is still its tick.
                        .filter(|e| {
                            e.node_name == new_name && !e.is_running() && e.started_at > killed_at
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
    for s in &mut servers {
        s.kill9().await;
    }
    let _ = std::fs::remove_dir_all(&root);
    Ok(duplicates == 0)
}
