//! Cluster load benchmark: three servers and two agents (real `belfry agent` processes on
//! loopback), many jobs every N seconds targeted at one agent per tick, for minutes.
//!
//! This is the load at which Dkron users saw leaders crash. It measures, through the public
//! HTTP API and /proc only:
//!
//! 1. starts `server-1..3` (`--server --bootstrap-expect=3`) and `agent-1..2` (no `--server`,
//!    `--tag pool=workers`), all gossiping through server-1, each with its own data dir and log
//!    file under one temp root, and waits until `/v1/members` lists five alive members, a
//!    server reports itself leader on `/health` and the Raft configuration has three voters;
//! 2. creates `BELFRY_BENCH_JOBS` jobs (default 1000) `load-00001`… through the leader,
//!    `BELFRY_BENCH_PARALLEL` (16) requests in flight. Each runs `true` every
//!    `BELFRY_BENCH_INTERVAL` seconds (default 5; `@every Ns`, so the jobs are spread over the
//!    interval by when each was created, or with `BELFRY_BENCH_INSTANT=1` the cron schedule
//!    `*/N * * * * *`, every job on the same second) with the shell executor and has the tag `pool: workers:1`: each tick runs on exactly one of the
//!    two agents (an engine that ignores job tags runs them all on the leader: the run still
//!    counts; the node distribution shows which happened);
//! 3. for `BELFRY_BENCH_SECS` (default 120), once a second: which server leads (`/health` of
//!    each), every process's CPU time and RSS, whether each is still alive;
//! 4. then every job's executions, judged against the `@every` grid. A job's ticks are
//!    `floor(created) + k·N s` for k ≥ 1 (the anchor is the second the create was committed,
//!    somewhere between sending the request and its reply), so every tick from the first up to
//!    `end − 10 s` must have exactly one execution:
//!    - **missed** = grid ticks without any execution, plus executions recorded as `missed`;
//!    - **duplicates** = a (job, tick) pair with more than one execution, over the whole run;
//!    - **off grid** = executions whose tick is not on the job's N s grid;
//!    - **unfinished** = executions still `running` 10 s after their tick: launched, but no
//!      result was recorded (`true` takes milliseconds);
//!    - **lateness** = `started_at − scheduled_at` of finished runs (p50 / p99 / max);
//!    - **launches per second** over the steady window (from the last job's first tick to
//!      `end − 10 s`, a whole number of intervals, so it should equal jobs / N);
//!    - runs per node.
//!
//! It exits non-zero if any tick was missed, duplicated, off the grid or unfinished, if the
//! leadership changed, if a process died, or if the run itself failed (startup, API errors).
//! Every process is killed at the end, and the temp root (data dirs and logs) removed unless
//! `BELFRY_BENCH_KEEP=1`.
//!
//! ```text
//! cargo bench -p belfry-cli --bench cluster_load                       # 1000 jobs, 120 s
//! BELFRY_BENCH_JOBS=10000 cargo bench -p belfry-cli --bench cluster_load    # 2000 launches/s
//! BELFRY_BENCH_JOBS=10000 BELFRY_BENCH_INTERVAL=10 cargo bench -p belfry-cli --bench cluster_load
//! BELFRY_BENCH_JOBS=10000 BELFRY_BENCH_INTERVAL=10 BELFRY_BENCH_INSTANT=1 cargo bench -p belfry-cli --bench cluster_load
//! BELFRY_BENCH_SECS=30 BELFRY_BENCH_KEEP=1 cargo bench -p belfry-cli --bench cluster_load
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use belfry::client::Client;
use belfry::model::{Execution, ExecutionStatus};
use belfry::telemetry::procfs;
use chrono::{DateTime, Utc};

#[path = "../tests/kit/mod.rs"]
#[allow(dead_code, unused_imports)] // each bench uses part of the kit
mod kit;

use kit::{
    CreatedJob, Deadlines, HEALTH_DEADLINE, Node, ProcStats, busy_share, core_pct, cpus,
    create_jobs, fetch_executions, mib, ms, ms_num, percentile, setting, true_job,
};

/// Every job's schedule interval, in seconds (`BELFRY_BENCH_INTERVAL`, default 5), and
/// whether all jobs fire at the same instant (`BELFRY_BENCH_INSTANT=1`: the cron schedule
/// `*/N * * * * *`, every job on the same second) instead of spread over the interval by when
/// each was created (`@every Ns`). Set once from the environment, before anything reads them.
static SCHEDULE: std::sync::OnceLock<(i64, bool)> = std::sync::OnceLock::new();

fn interval_secs() -> i64 {
    SCHEDULE.get().map_or(5, |s| s.0)
}

fn instant() -> bool {
    SCHEDULE.get().is_some_and(|s| s.1)
}

/// The schedule every job gets.
fn schedule() -> String {
    let n = interval_secs();
    if instant() {
        format!("*/{n} * * * * *")
    } else {
        format!("@every {n}s")
    }
}
/// Ticks later than `end − JUDGE_MARGIN` are not judged: they may still be in flight.
const JUDGE_MARGIN_SECS: i64 = 10;
/// How long the five processes may take to form a cluster with a leader.
const STARTUP_DEADLINE: Duration = Duration::from_secs(60);
/// Any one API request (job creation, fetching a job's executions), and creating all the
/// jobs or fetching all their executions: past these the run fails.
const DEADLINES: Deadlines = Deadlines {
    request: Duration::from_secs(30),
    bulk: Duration::from_secs(300),
};
/// How many kinds of WARN/ERROR message to show per node.
const LOG_SUMMARY_KINDS: usize = 5;
/// How many of a node's last log lines to show when the run fails.
const LOG_TAIL_LINES: usize = 5;

type BenchResult<T> = Result<T, String>;

/// What the run is asked to do, from the environment.
struct Settings {
    jobs: usize,
    secs: u64,
    parallel: usize,
    keep: bool,
}

impl Settings {
    fn from_env() -> BenchResult<Settings> {
        let s = Settings {
            jobs: setting("BELFRY_BENCH_JOBS", 1000)?,
            secs: setting("BELFRY_BENCH_SECS", 120)?,
            parallel: setting("BELFRY_BENCH_PARALLEL", 16)?,
            keep: std::env::var("BELFRY_BENCH_KEEP").is_ok_and(|v| v == "1"),
        };
        let interval: i64 = setting("BELFRY_BENCH_INTERVAL", 5)?;
        if !(1..=60).contains(&interval) || 60 % interval != 0 {
            return Err(format!(
                "BELFRY_BENCH_INTERVAL={interval} must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)"
            ));
        }
        let _ = SCHEDULE.set((
            interval,
            std::env::var("BELFRY_BENCH_INSTANT").is_ok_and(|v| v == "1"),
        ));
        // At least one whole interval must lie between the first ticks and `end − margin`.
        let min_secs = (2 * interval_secs() + JUDGE_MARGIN_SECS) as u64;
        if s.jobs == 0 || s.parallel == 0 || s.secs < min_secs {
            return Err(format!(
                "need BELFRY_BENCH_JOBS >= 1, BELFRY_BENCH_PARALLEL >= 1 and BELFRY_BENCH_SECS >= {min_secs}"
            ));
        }
        Ok(s)
    }
}

fn main() -> ExitCode {
    kit::run_bench("cluster_load", Settings::from_env(), |s| async move {
        bench(&s).await
    })
}

/// Starts the cluster, runs the measurement, and always tears the cluster down.
async fn bench(s: &Settings) -> BenchResult<bool> {
    println!(
        "Belfry cluster load benchmark: 3 servers + 2 agents, {} jobs × `{}` ({}) \
         running `true` on one agent per tick, {} s",
        s.jobs,
        schedule(),
        if instant() {
            "all at the same instant"
        } else {
            "spread over the interval by creation time"
        },
        s.secs
    );
    println!(
        "machine: {} CPUs, {} MiB RAM",
        cpus(),
        procfs::mem_total_kib().unwrap_or(0) / 1024
    );
    let mut cluster = Cluster::start(s)?;
    let outcome = match run(s, &mut cluster).await {
        Ok(ok) => ok,
        Err(e) => {
            eprintln!("\ncluster_load: FAILED: {e}\n");
            cluster.print_logs();
            false
        }
    };
    cluster.shutdown(s.keep);
    Ok(outcome)
}

/// The measurement; `Ok(false)` when it completed but the cluster got something wrong.
async fn run(s: &Settings, cluster: &mut Cluster) -> BenchResult<bool> {
    // 1. The cluster forms.
    let begin = Instant::now();
    let leader = cluster.wait_formed().await?;
    println!(
        "startup:  5 members alive, 3 voters, leader {} after {:.1} s (logs and data in {})",
        cluster.nodes[leader].name(),
        begin.elapsed().as_secs_f64(),
        cluster.root.path().display()
    );

    // 2. The jobs.
    let names: Vec<String> = (1..=s.jobs).map(|i| format!("load-{i:05}")).collect();
    let client = cluster.nodes[leader].client.clone();
    let jobs: Vec<_> = names
        .iter()
        .map(|name| {
            let mut job = true_job(name, &schedule());
            job.tags = [("pool".to_string(), "workers:1".to_string())].into();
            job
        })
        .collect();
    let created = create_jobs(&client, &jobs, s.parallel, DEADLINES).await?;
    println!(
        "create:   {} jobs through {} in {:.2} s ({:.0} jobs/s, {} at a time; request p50 {} / p99 {} / max {})",
        s.jobs,
        cluster.nodes[leader].name(),
        created.elapsed.as_secs_f64(),
        s.jobs as f64 / created.elapsed.as_secs_f64(),
        s.parallel,
        ms(percentile(&created.latencies, 0.50)),
        ms(percentile(&created.latencies, 0.99)),
        ms(created.latencies.last().copied()),
    );

    // 3. Let them run.
    println!("load:     sampling every second for {} s …", s.secs);
    let term_before = cluster.raft_term().await;
    let load = cluster
        .sample_for(Duration::from_secs(s.secs), leader)
        .await;
    let t_end = Utc::now();
    let term_after = cluster.raft_term().await;
    for change in &load.leader_changes {
        println!("LEADER CHANGE: {change}");
    }
    for death in &load.deaths {
        println!("DIED:     {death}");
    }
    // The Raft term counts every election, even one too brief for the 1 s samples to see.
    let elections = match (term_before, term_after) {
        (Some(a), Some(b)) => b.saturating_sub(a).to_string(),
        _ => "?".into(),
    };
    println!(
        "leader:   {} at the start, {} at the end: {} changes seen, {elections} elections \
         (Raft term {} → {}); {} samples without a leader, {} with two",
        cluster.nodes[leader].name(),
        load.final_leader
            .map_or("none".into(), |i| cluster.nodes[i].name().to_string()),
        load.leader_changes.len(),
        term_before.map_or("?".into(), |t| t.to_string()),
        term_after.map_or("?".into(), |t| t.to_string()),
        load.leaderless_samples,
        load.split_samples,
    );
    println!(
        "          while leading: CPU mean {:.1}% / peak {:.1}% of one core, RSS peak {}",
        load.leader_cpu_mean_pct,
        load.leader_cpu_peak_pct,
        mib(load.leader_rss_peak_kib),
    );
    // Anything else busy on the machine (a build, other tests) skews the figures: say so.
    println!(
        "machine:  busy {:.0}% of one core ({} CPUs = {}%): the cluster and its jobs {:.0}%, \
         everything else {:.0}%",
        load.machine_busy_pct,
        cpus(),
        cpus() * 100,
        load.cluster_cpu_pct,
        (load.machine_busy_pct - load.cluster_cpu_pct).max(0.0),
    );

    // Every process (printed before fetching: that can fail on an overloaded cluster).
    println!(
        "\n{:<9} {:<6} {:>7} {:>6} {:>9} {:>9} {:>9} {:>9} {:>6} {:>6}",
        "node",
        "role",
        "pid",
        "state",
        "CPU mean",
        "CPU peak",
        "RSS peak",
        "RSS end",
        "WARN",
        "ERROR"
    );
    for n in &cluster.nodes {
        let (warns, errors) = n.node.log_counts();
        println!(
            "{:<9} {:<6} {:>7} {:>6} {:>8.1}% {:>8.1}% {:>9} {:>9} {:>6} {:>6}",
            n.name(),
            if n.node.server { "server" } else { "agent" },
            n.pid,
            if n.alive() { "up" } else { "DIED" },
            n.stats.cpu_mean_pct(),
            n.stats.cpu_peak_pct,
            mib(n.stats.rss_peak_kib),
            mib(n.stats.rss_last_kib),
            warns,
            errors,
        );
    }
    println!("(CPU in % of one core over the run; WARN/ERROR: lines in the node's log)\n");

    // 4. Fetch and judge every job's executions, from the leader (any live server if none).
    let source = load
        .final_leader
        .filter(|i| cluster.nodes[*i].alive())
        .or_else(|| {
            cluster
                .nodes
                .iter()
                .position(|n| n.node.server && n.alive())
        })
        .ok_or("no server is left to read the executions from")?;
    let fetch_started = Instant::now();
    let executions =
        fetch_executions(&cluster.nodes[source].client, &names, s.parallel, DEADLINES).await?;
    println!(
        "fetch:    {} executions of {} jobs from {} in {:.2} s",
        executions.values().map(Vec::len).sum::<usize>(),
        names.len(),
        cluster.nodes[source].name(),
        fetch_started.elapsed().as_secs_f64()
    );
    let judge_end = t_end - chrono::Duration::seconds(JUDGE_MARGIN_SECS);
    let a = analyse(&created.jobs, &executions, judge_end);

    let steady_secs = a.steady_secs();
    let launches_per_s = (steady_secs > 0).then(|| a.steady_launches as f64 / steady_secs as f64);
    println!(
        "runs:     {} finished ({} failed); steady window {} s: {} launches, {}/s ({:.1}/s expected)",
        a.finished,
        a.failed,
        steady_secs,
        a.steady_launches,
        launches_per_s.map_or("-".into(), |r| format!("{r:.1}")),
        s.jobs as f64 / interval_secs() as f64,
    );
    println!(
        "lateness: p50 {} / p99 {} / max {}  (started_at − scheduled_at, finished runs)",
        ms(percentile(&a.lateness, 0.50)),
        ms(percentile(&a.lateness, 0.99)),
        ms(a.lateness.last().copied()),
    );
    let missed = a.missing_ticks + a.missed_status;
    println!(
        "MISSED:   {missed}  ({} of {} expected ticks up to end − {JUDGE_MARGIN_SECS} s without an \
         execution, {} recorded as missed, {} jobs never ran)",
        a.missing_ticks, a.expected_ticks, a.missed_status, a.jobs_without_runs
    );
    println!("DUPLICATES: {}", a.duplicates);
    println!(
        "off grid: {}; unfinished: {} (still `running` {JUDGE_MARGIN_SECS} s after the tick: no \
         result recorded)",
        a.off_grid, a.unfinished
    );

    // Where the runs went.
    let total: usize = a.by_node.values().sum();
    let on_agents: usize = cluster
        .nodes
        .iter()
        .filter(|n| !n.node.server)
        .map(|n| a.by_node.get(n.name()).copied().unwrap_or(0))
        .sum();
    let spread: Vec<String> = a
        .by_node
        .iter()
        .map(|(node, n)| {
            format!(
                "{node} {n} ({:.1}%)",
                *n as f64 * 100.0 / total.max(1) as f64
            )
        })
        .collect();
    println!("nodes:    {}", spread.join(", "));
    if total > 0 && on_agents == 0 {
        println!(
            "          → job tags were ignored: every run happened on a server, not on the \
             `pool=workers` agents"
        );
    }

    for n in &cluster.nodes {
        n.print_log_summary();
    }
    println!();

    println!(
        "RESULT jobs={} secs={} runs={} launches_per_s={} lateness_p50_ms={} lateness_p99_ms={} \
         lateness_max_ms={} missed={missed} duplicates={} off_grid={} unfinished={} \
         leader_changes={} elections={elections} leader_cpu_pct={:.1} leader_rss_peak_mib={:.1} runs_on_agents={on_agents} \
         deaths={} create_s={:.2} machine_other_cpu_pct={:.0}",
        s.jobs,
        s.secs,
        a.finished,
        launches_per_s.map_or("-".into(), |r| format!("{r:.1}")),
        ms_num(percentile(&a.lateness, 0.50)),
        ms_num(percentile(&a.lateness, 0.99)),
        ms_num(a.lateness.last().copied()),
        a.duplicates,
        a.off_grid,
        a.unfinished,
        load.leader_changes.len(),
        load.leader_cpu_mean_pct,
        load.leader_rss_peak_kib as f64 / 1024.0,
        load.deaths.len(),
        created.elapsed.as_secs_f64(),
        (load.machine_busy_pct - load.cluster_cpu_pct).max(0.0),
    );

    let ok = missed == 0
        && a.duplicates == 0
        && a.off_grid == 0
        && a.unfinished == 0
        && load.leader_changes.is_empty()
        && load.deaths.is_empty();
    if ok {
        println!("verdict:  PASS");
    } else {
        println!(
            "verdict:  FAIL (missed {missed}, duplicates {}, off grid {}, unfinished {}, \
             leader changes {}, processes died {})",
            a.duplicates,
            a.off_grid,
            a.unfinished,
            load.leader_changes.len(),
            load.deaths.len()
        );
    }
    Ok(ok)
}

// ---------------------------------------------------------------------------------------------
// The processes
// ---------------------------------------------------------------------------------------------

/// One process of the cluster, and what the run has seen of it.
struct Member {
    node: Node,
    /// Kept for the whole run: building a client sets up TLS.
    client: Client,
    pid: u32,
    /// Why it is no longer running, once noticed.
    died: Option<String>,
    stats: ProcStats,
}

impl Member {
    /// Starts `node` with the settings every member shares.
    fn start(mut node: Node, root: &Path) -> BenchResult<Member> {
        node = node.files_under(root);
        node.log_level = "warn".into();
        // Plain text logs.
        node.env.push(("NO_COLOR".into(), "1".into()));
        node.try_spawn()?;
        Ok(Member {
            client: node.client(),
            pid: node.pid(),
            node,
            died: None,
            stats: ProcStats::default(),
        })
    }

    fn name(&self) -> &str {
        &self.node.name
    }

    fn alive(&self) -> bool {
        self.died.is_none()
    }

    /// Notices an exit; returns its description the first time.
    fn check_exit(&mut self) -> Option<String> {
        if self.died.is_some() {
            return None;
        }
        let status = self.node.exit_status()?;
        let why = format!(
            "{} (pid {}) exited: {status}; its log ends with:\n  {}",
            self.name(),
            self.pid,
            self.node.log_tail(10).join("\n  ")
        );
        self.died = Some(why.clone());
        Some(why)
    }

    fn print_log_summary(&self) {
        let summary = self.node.log_summary(LOG_SUMMARY_KINDS);
        if !summary.is_empty() {
            println!("{} log, most frequent WARN/ERROR messages:", self.name());
            for (count, example) in summary {
                println!("  {count:>6} × {example}");
            }
        }
    }
}

/// The five processes and the temp root that holds their data dirs and logs.
struct Cluster {
    /// server-1..3, then agent-1..2.
    nodes: Vec<Member>,
    root: tempfile::TempDir,
}

impl Cluster {
    fn start(s: &Settings) -> BenchResult<Cluster> {
        let root = tempfile::Builder::new()
            .prefix("belfry-cluster-load-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        // Keep every execution of the run (the default keeps the last 100 per job).
        let history = format!(
            "--history-limit={}",
            (s.secs / interval_secs() as u64 + 20).max(100)
        );
        let server = ["--bootstrap-expect=3", history.as_str()];
        // server-1 is the seed; it has nobody to join itself.
        let first = Node::prepare("server-1", false, &server);
        let seed = first.gossip_addr();
        let mut nodes = vec![Member::start(first, root.path())?];
        let join = ["--retry-join", seed.as_str(), "--retry-interval", "1s"];
        for name in ["server-2", "server-3"] {
            let node = Node::prepare(name, false, &[&server[..], &join[..]].concat());
            nodes.push(Member::start(node, root.path())?);
        }
        for name in ["agent-1", "agent-2"] {
            let agent = [&["--tag", "pool=workers"][..], &join[..]].concat();
            nodes.push(Member::start(
                Node::prepare_agent(name, &agent),
                root.path(),
            )?);
        }
        Ok(Cluster { nodes, root })
    }

    /// The servers that say they lead right now (polled concurrently).
    async fn leaders(&self) -> Vec<usize> {
        let servers: Vec<usize> = (0..self.nodes.len())
            .filter(|i| self.nodes[*i].node.server && self.nodes[*i].alive())
            .collect();
        let clients: Vec<Client> = servers
            .iter()
            .map(|i| self.nodes[*i].client.clone())
            .collect();
        kit::leaders_via(&clients)
            .await
            .into_iter()
            .map(|i| servers[i])
            .collect()
    }

    /// The highest Raft term any live server reports (each election raises it by one).
    async fn raft_term(&self) -> Option<u64> {
        let mut term = None;
        for n in self.nodes.iter().filter(|n| n.node.server && n.alive()) {
            if let Ok(Ok(p)) = tokio::time::timeout(HEALTH_DEADLINE, n.client.raft_peers()).await {
                term = term.max(Some(p.term));
            }
        }
        term
    }

    /// Fails at once if any process has exited.
    fn check_all_alive(&mut self) -> BenchResult<()> {
        for n in &mut self.nodes {
            if let Some(why) = n.check_exit() {
                return Err(why);
            }
        }
        Ok(())
    }

    /// Waits until five members are alive, one server leads and three are voters; returns
    /// the leader.
    async fn wait_formed(&mut self) -> BenchResult<usize> {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        loop {
            self.check_all_alive()?;
            let leaders = self.leaders().await;
            let (mut alive, mut voters) = (Vec::new(), 0);
            if let Some(&l) = leaders.first() {
                let client = &self.nodes[l].client;
                if let Ok(Ok(members)) =
                    tokio::time::timeout(HEALTH_DEADLINE, client.members()).await
                {
                    alive = members
                        .into_iter()
                        .filter(|m| m.status == 1)
                        .map(|m| m.name)
                        .collect();
                    alive.sort();
                }
                if let Ok(Ok(peers)) =
                    tokio::time::timeout(HEALTH_DEADLINE, client.raft_peers()).await
                {
                    voters = peers.servers.iter().filter(|p| p.voter).count();
                }
            }
            if leaders.len() == 1 && alive.len() == self.nodes.len() && voters == 3 {
                return Ok(leaders[0]);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the cluster did not form within {STARTUP_DEADLINE:?}: leaders {:?}, alive \
                     members {alive:?} (want all 5), Raft voters {voters} (want 3)",
                    leaders
                        .iter()
                        .map(|i| self.nodes[*i].name())
                        .collect::<Vec<_>>()
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Samples every process and the leadership once a second for `length`. Deaths and
    /// leader changes are recorded, not fatal: the run goes on so that the figures are seen.
    async fn sample_for(&mut self, length: Duration, leader: usize) -> LoadFigures {
        let begin = Instant::now();
        let machine_first = procfs::machine_cpu().ok();
        for n in &mut self.nodes {
            // A process that cannot be read is noticed as dead below.
            let _ = n.stats.record(n.pid, Instant::now());
        }
        let mut f = LoadFigures {
            final_leader: Some(leader),
            ..LoadFigures::default()
        };
        let (mut leader_ticks, mut leader_secs) = (0u64, 0f64);
        let mut last_leader = leader;
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await; // the first tick is immediate
        while begin.elapsed() < length {
            interval.tick().await;
            let now = Instant::now();
            let mut intervals = vec![None; self.nodes.len()];
            for (i, n) in self.nodes.iter_mut().enumerate() {
                if let Some(why) = n.check_exit() {
                    f.deaths.push(format!(
                        "{} ({:.0} s in): {why}",
                        Utc::now().format("%H:%M:%S%.3fZ"),
                        begin.elapsed().as_secs_f64()
                    ));
                }
                if n.alive() {
                    intervals[i] = n.stats.record(n.pid, now).ok().flatten();
                }
            }
            let leaders = self.leaders().await;
            if leaders.len() > 1 {
                f.split_samples += 1;
            }
            let Some(&l) = leaders.first() else {
                f.leaderless_samples += 1;
                f.final_leader = None;
                continue;
            };
            if l != last_leader {
                f.leader_changes.push(format!(
                    "{} ({:.0} s in): {} → {}",
                    Utc::now().format("%H:%M:%S%.3fZ"),
                    begin.elapsed().as_secs_f64(),
                    self.nodes[last_leader].name(),
                    self.nodes[l].name()
                ));
                last_leader = l;
            }
            f.final_leader = Some(l);
            // The interval that ends now is charged to whoever leads now.
            if let Some((ticks, secs)) = intervals[l] {
                leader_ticks += ticks;
                leader_secs += secs;
                f.leader_cpu_peak_pct = f.leader_cpu_peak_pct.max(core_pct(ticks, secs));
            }
            f.leader_rss_peak_kib = f.leader_rss_peak_kib.max(self.nodes[l].stats.rss_last_kib);
        }
        f.leader_cpu_mean_pct = core_pct(leader_ticks, leader_secs);
        if let (Some(a), Ok(b)) = (machine_first, procfs::machine_cpu()) {
            f.machine_busy_pct = busy_share(a, b) * 100.0 * cpus() as f64;
        }
        for n in &self.nodes {
            let (own, children, secs) = n.stats.totals();
            f.cluster_cpu_pct += core_pct(own + children, secs);
        }
        f
    }

    /// Each node's most frequent WARN/ERROR messages and its last log lines.
    fn print_logs(&self) {
        for node in &self.nodes {
            node.print_log_summary();
            let tail = node.node.log_tail(LOG_TAIL_LINES);
            if !tail.is_empty() {
                println!("{} log, last {} lines:", node.name(), tail.len());
                for l in tail {
                    println!("  {l}");
                }
            }
        }
    }

    /// SIGKILLs and reaps every process, then removes the temp root (or keeps it).
    fn shutdown(mut self, keep: bool) {
        for n in &mut self.nodes {
            n.node.kill9();
            if keep {
                n.node.keep_files();
            }
        }
        // Each node's files go with it, unless kept.
        drop(std::mem::take(&mut self.nodes));
        if keep {
            println!("kept:     {}", self.root.keep().display());
        } else if let Err(e) = self.root.close() {
            eprintln!("cannot remove the temp root: {e}");
        }
    }
}

#[derive(Default)]
struct LoadFigures {
    /// Who led at the last sample (None if nobody did).
    final_leader: Option<usize>,
    leader_changes: Vec<String>,
    leaderless_samples: usize,
    /// Samples in which two servers claimed to lead.
    split_samples: usize,
    /// The leader's CPU time over wall time, in % of one core.
    leader_cpu_mean_pct: f64,
    leader_cpu_peak_pct: f64,
    leader_rss_peak_kib: u64,
    deaths: Vec<String>,
    /// The whole machine's busy time, in % of one core (200% = both cores of a 2-core box).
    machine_busy_pct: f64,
    /// The five processes and the job processes they reaped, in % of one core.
    cluster_cpu_pct: f64,
}

// ---------------------------------------------------------------------------------------------
// Judging the executions
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Analysis {
    /// Executions that ran to the end (success or failed), over the whole run.
    finished: usize,
    failed: usize,
    /// `started_at − scheduled_at` of those, sorted.
    lateness: Vec<Duration>,
    /// Grid ticks up to the judging end, over all jobs, and how many have no execution.
    expected_ticks: usize,
    missing_ticks: usize,
    /// Executions recorded as `missed`.
    missed_status: usize,
    jobs_without_runs: usize,
    /// Extra executions of a (job, tick) pair, over the whole run.
    duplicates: usize,
    /// Executions whose tick is not on the job's grid.
    off_grid: usize,
    /// Still `running` although their tick is before the judging end.
    unfinished: usize,
    /// The steady window `[from, to)`, and the executions launched for its ticks.
    steady: Option<(DateTime<Utc>, DateTime<Utc>)>,
    steady_launches: usize,
    /// Launched executions (anything but `missed`) per node name.
    by_node: BTreeMap<String, usize>,
}

impl Analysis {
    fn steady_secs(&self) -> i64 {
        self.steady
            .map_or(0, |(from, to)| (to - from).num_seconds())
    }
}

fn floor_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).expect("in range")
}

/// The job's first tick. With `@every`: `anchor + interval`, where the anchor is the second in
/// which the job was committed, between `sent` and `acked`. With the cron schedule: the first
/// multiple of the interval after the commit. Of those candidates, the one whose grid the
/// earliest execution lies on (if any does), else the earliest.
fn first_tick(job: &CreatedJob, earliest: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let n = interval_secs();
    let interval = chrono::Duration::seconds(n);
    let mut anchor = floor_second(job.sent);
    let candidates: Box<dyn Iterator<Item = DateTime<Utc>>> = if instant() {
        let mut tick = DateTime::from_timestamp(job.sent.timestamp() / n * n, 0).expect("in range");
        Box::new(std::iter::from_fn(move || {
            tick += interval;
            (tick <= job.acked + interval).then_some(tick)
        }))
    } else {
        Box::new(std::iter::from_fn(move || {
            let a = anchor;
            anchor += chrono::Duration::seconds(1);
            (a <= job.acked).then_some(a + interval)
        }))
    };
    let mut fallback = None;
    for first in candidates {
        fallback.get_or_insert(first);
        if let Some(e) = earliest
            && e >= first
            && (e - first).num_milliseconds() % (n * 1000) == 0
        {
            return first;
        }
    }
    fallback.expect("sent <= acked")
}

fn analyse(
    jobs: &[CreatedJob],
    executions: &HashMap<String, Vec<Execution>>,
    judge_end: DateTime<Utc>,
) -> Analysis {
    let n = interval_secs();
    let interval = chrono::Duration::seconds(n);
    let mut a = Analysis::default();
    // Steady: every job has exactly one tick in each interval from the last job's first tick
    // on (its anchor is at most the second of the last reply).
    if let Some(last_ack) = jobs.iter().map(|j| j.acked).max() {
        let from = floor_second(last_ack) + interval;
        let intervals = (judge_end - from).num_seconds().max(0) / n;
        a.steady = (intervals > 0).then(|| (from, from + interval * intervals as i32));
    }
    let empty = Vec::new();
    for job in jobs {
        let runs = executions.get(&job.name).unwrap_or(&empty);
        let mut per_tick: HashMap<DateTime<Utc>, usize> = HashMap::new();
        for e in runs {
            *per_tick.entry(e.scheduled_at).or_default() += 1;
        }
        a.duplicates += per_tick.values().map(|n| n - 1).sum::<usize>();
        if runs.is_empty() {
            a.jobs_without_runs += 1;
        }

        let first = first_tick(job, runs.iter().map(|e| e.scheduled_at).min());
        let mut tick = first;
        while tick <= judge_end {
            a.expected_ticks += 1;
            if !per_tick.contains_key(&tick) {
                a.missing_ticks += 1;
            }
            tick += interval;
        }

        for e in runs {
            if e.scheduled_at < first
                || (e.scheduled_at - first).num_milliseconds() % (n * 1000) != 0
            {
                a.off_grid += 1;
            }
            if e.status != ExecutionStatus::Missed {
                *a.by_node.entry(e.node_name.clone()).or_default() += 1;
                if a.steady
                    .is_some_and(|(from, to)| e.scheduled_at >= from && e.scheduled_at < to)
                {
                    a.steady_launches += 1;
                }
            }
            match e.status {
                ExecutionStatus::Missed => a.missed_status += 1,
                // Its `started_at` is still a placeholder: no lateness to take.
                ExecutionStatus::Running => {
                    if e.scheduled_at <= judge_end {
                        a.unfinished += 1;
                    }
                }
                ExecutionStatus::Success | ExecutionStatus::Failed => {
                    a.finished += 1;
                    if e.status == ExecutionStatus::Failed {
                        a.failed += 1;
                    }
                    a.lateness.push(
                        (e.started_at - e.scheduled_at)
                            .to_std()
                            .unwrap_or(Duration::ZERO),
                    );
                }
            }
        }
    }
    a.lateness.sort();
    a
}
