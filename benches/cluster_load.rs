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
//! Besides, once a second the sampler reads `belfry_launch_backlog` (launches accepted and
//! waiting for an execution slot, `--max-parallel`) from each agent's `/metrics`, and the
//! leader's `/v1/operator/health` warnings; lateness and the agents' summed backlog are printed
//! per 10 s window of tick time (ticks before the measured window are in negative windows).
//!
//! `BELFRY_BENCH_COMMAND` sets what each job runs (default `true`). `bare` is a 129-byte static
//! x86-64 program, written into the temp root, that only calls `exit(0)`: no dynamic loader, no
//! libc start-up. It takes the job process's own start-up cost out of the figures, which shows
//! how much of the machine the engine itself needs (on a VM where every `cpuid` traps, glibc's
//! start-up probing of the CPU is most of what starting `true` costs). Before the cluster starts,
//! the command is started 300 times in a row and its CPU cost per start (`getrusage` of the
//! children) is printed, so the share of the machine the jobs need at the asked rate is known.
//!
//! Two optional modes (off by default; they cannot be combined):
//!
//! - **overload that recovers**, `BELFRY_BENCH_DROP_AFTER=S`: S seconds into the measured
//!   window every second job (`load-00002`, `load-00004`, …; with `BELFRY_BENCH_DROP_KEEP=K`,
//!   all but one job in K) is disabled by posting it again
//!   with `"disabled": true` (`BELFRY_BENCH_PARALLEL` at a time, while the sampler goes on; a
//!   failed request is sent again for up to 30 s, which the toggle route would not allow, and
//!   the retries are counted; a job still unanswered then is a fault, reported at the end),
//!   each checked to answer `disabled: true`. A disabled job's ticks more than 10 s before its
//!   first request was sent must each have run once; later ones, up to 1 s after its answer,
//!   may or may not run (a scheduler running late, or a leaderless moment, may not have
//!   launched a tick yet when the disable commits, and then skips it; one already dispatched
//!   may start); the skipped ones are counted and shown, and a run of a tick more than 1 s
//!   after the answer counts as **ran while disabled**, a fault.
//!   The report gives the peak summed backlog and when lateness **recovered**: the first 10 s
//!   window starting after the drop whose p99 is under 1 s (or `not recovered`). Run it with
//!   twice the jobs the cluster keeps up with, and K such that what stays enabled fits with
//!   room to drain the backlog (K = 4 leaves half of what the cluster carries);
//! - **failover under load**, `BELFRY_BENCH_KILLS=K` and `BELFRY_BENCH_KILL_EVERY=S` (default
//!   10): every S seconds of the measured window (once the previous victim is back as a voter
//!   less than 50 entries behind, in the leader's view and by its own log; checked once a
//!   second) the leading server is SIGKILLed, K times. **elected**: from the kill until a
//!   survivor says it leads on `/health` (polled every 5 ms, the sampler paused meanwhile);
//!   the victim is then restarted on its data dir. **first launch**: from
//!   the kill to the earliest `started_at` of a finished execution whose tick came after the
//!   kill (only a new leader can have dispatched it), taken from the executions fetched at the
//!   end, so it is exact rather than polled. Leader changes are expected then and do not fail
//!   the run; missed and duplicated ticks still do — every tick must run once across the kills.
//!
//! It exits non-zero if any tick was missed, duplicated, off the grid or unfinished, if a job
//! ran while disabled or its disable failed, if the leadership changed (outside the failover
//! mode), if fewer kills than asked fit in the run or one had no launch after it, if a process
//! died, or if the run itself failed (startup, API errors, no leader 30 s after a kill).
//! Every process is killed at the end, and the temp root (data dirs and logs) removed unless
//! `BELFRY_BENCH_KEEP=1`.
//!
//! ```text
//! cargo bench -p belfry-cli --bench cluster_load                       # 1000 jobs, 120 s
//! BELFRY_BENCH_JOBS=10000 cargo bench -p belfry-cli --bench cluster_load    # 2000 launches/s
//! BELFRY_BENCH_JOBS=10000 BELFRY_BENCH_INTERVAL=10 cargo bench -p belfry-cli --bench cluster_load
//! BELFRY_BENCH_JOBS=10000 BELFRY_BENCH_INTERVAL=10 BELFRY_BENCH_INSTANT=1 cargo bench -p belfry-cli --bench cluster_load
//! BELFRY_BENCH_SECS=30 BELFRY_BENCH_KEEP=1 cargo bench -p belfry-cli --bench cluster_load
//! BELFRY_BENCH_AGENT_ARGS="--job-nice 0 --max-parallel 32" cargo bench -p belfry-cli --bench cluster_load
//! BELFRY_BENCH_JOBS=20000 BELFRY_BENCH_SECS=180 BELFRY_BENCH_DROP_AFTER=60 cargo bench -p belfry-cli --bench cluster_load
//! BELFRY_BENCH_JOBS=10000 BELFRY_BENCH_INTERVAL=10 BELFRY_BENCH_SPREAD=1 BELFRY_BENCH_SECS=240 BELFRY_BENCH_DROP_AFTER=45 BELFRY_BENCH_DROP_KEEP=4 cargo bench -p belfry-cli --bench cluster_load
//! BELFRY_BENCH_JOBS=10000 BELFRY_BENCH_INTERVAL=10 BELFRY_BENCH_SPREAD=1 BELFRY_BENCH_COMMAND=bare cargo bench -p belfry-cli --bench cluster_load
//! BELFRY_BENCH_JOBS=5000 BELFRY_BENCH_KILLS=10 BELFRY_BENCH_KILL_EVERY=15 BELFRY_BENCH_SECS=200 cargo bench -p belfry-cli --bench cluster_load
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use belfry::client::Client;
use belfry::model::{Execution, ExecutionStatus, Job};
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
/// Lateness and backlog are shown per window of this many seconds of tick time.
const WINDOW_SECS: i64 = 10;
/// Lateness has recovered from overload in a window whose p99 is under this.
const RECOVERED_P99: Duration = Duration::from_secs(1);
/// A disabled job's tick up to this long after its disable was answered may still run (it was
/// dispatched before); a run of a later tick is a fault.
const DISABLE_GRACE_SECS: i64 = 1;
/// How long the five processes may take to form a cluster with a leader.
const STARTUP_DEADLINE: Duration = Duration::from_secs(60);
/// Any one API request (job creation, fetching a job's executions), and creating all the
/// jobs or fetching all their executions: past these the run fails.
const DEADLINES: Deadlines = Deadlines {
    request: Duration::from_secs(30),
    bulk: Duration::from_secs(300),
};
/// A disabled job's tick due this long before its disable was sent may be skipped (the
/// scheduler had not launched it yet when the disable was committed: it ran late, or there was
/// no leader); an earlier tick must have run.
const DISABLE_LOOKBACK_SECS: i64 = 10;
/// How many missing ticks to show.
const MISSING_SHOWN: usize = 5;
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
    /// Seconds into the measured window at which jobs are disabled.
    drop_after: Option<u64>,
    /// One job in this many stays enabled at the drop (`BELFRY_BENCH_DROP_KEEP`, default 2).
    drop_keep: usize,
    /// How many times the leader is SIGKILLed, and every how many seconds.
    kills: usize,
    kill_every: u64,
    /// Create the jobs over one interval, an equal share each second, so that the `@every`
    /// ticks fall evenly on every second of it (`BELFRY_BENCH_SPREAD=1`).
    spread: bool,
    /// What every job runs (`BELFRY_BENCH_COMMAND`, default `true`; `bare`: [`BARE_PROGRAM`]).
    command: String,
}

impl Settings {
    fn from_env() -> BenchResult<Settings> {
        let s = Settings {
            jobs: setting("BELFRY_BENCH_JOBS", 1000)?,
            secs: setting("BELFRY_BENCH_SECS", 120)?,
            parallel: setting("BELFRY_BENCH_PARALLEL", 16)?,
            keep: std::env::var("BELFRY_BENCH_KEEP").is_ok_and(|v| v == "1"),
            drop_after: match std::env::var("BELFRY_BENCH_DROP_AFTER") {
                Ok(_) => Some(setting("BELFRY_BENCH_DROP_AFTER", 0)?),
                Err(_) => None,
            },
            drop_keep: setting("BELFRY_BENCH_DROP_KEEP", 2)?,
            kills: setting("BELFRY_BENCH_KILLS", 0)?,
            kill_every: setting("BELFRY_BENCH_KILL_EVERY", 10)?,
            spread: std::env::var("BELFRY_BENCH_SPREAD").is_ok_and(|v| v == "1"),
            command: std::env::var("BELFRY_BENCH_COMMAND").unwrap_or_else(|_| "true".into()),
        };
        if s.command.trim().is_empty() {
            return Err("BELFRY_BENCH_COMMAND must not be empty".into());
        }
        if s.command == "bare" && !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            return Err("BELFRY_BENCH_COMMAND=bare is an x86-64 Linux program".into());
        }
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
        if let Some(after) = s.drop_after
            && after + JUDGE_MARGIN_SECS as u64 >= s.secs
        {
            return Err(format!(
                "BELFRY_BENCH_DROP_AFTER={after} must leave more than {JUDGE_MARGIN_SECS} s of \
                 BELFRY_BENCH_SECS={} after the drop",
                s.secs
            ));
        }
        if s.drop_keep < 2 {
            return Err(format!(
                "BELFRY_BENCH_DROP_KEEP={} must be at least 2 (one job in K stays enabled)",
                s.drop_keep
            ));
        }
        if s.kills > 0 && s.drop_after.is_some() {
            return Err("BELFRY_BENCH_KILLS and BELFRY_BENCH_DROP_AFTER cannot be combined".into());
        }
        if s.kills > 0 && s.kill_every == 0 {
            return Err("BELFRY_BENCH_KILL_EVERY must be at least 1".into());
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
         running `{}` on one agent per tick, {} s",
        s.jobs,
        schedule(),
        if instant() {
            "all at the same instant"
        } else {
            "spread over the interval by creation time"
        },
        s.command,
        s.secs
    );
    println!(
        "machine: {} CPUs, {} MiB RAM",
        cpus(),
        procfs::mem_total_kib().unwrap_or(0) / 1024
    );
    let mut cluster = Cluster::start(s)?;
    let command = match s.command.as_str() {
        "bare" => {
            let path = cluster.root.path().join("bare-exit0");
            write_bare_program(&path)?;
            path.display().to_string()
        }
        other => other.to_string(),
    };
    match start_cost(&command) {
        Ok(cpu) => {
            let rate = s.jobs as f64 / interval_secs() as f64;
            println!(
                "job:      `{command}` costs {:.3} ms of CPU per start (300 in a row, the children's \
                 CPU time); {rate:.0} starts/s need {:.0}% of one core for the jobs alone",
                cpu.as_secs_f64() * 1e3,
                cpu.as_secs_f64() * rate * 100.0
            );
        }
        Err(e) => {
            cluster.shutdown(s.keep);
            return Err(format!(
                "the job command `{command}` cannot be started: {e}"
            ));
        }
    }
    let outcome = match run(s, &command, &mut cluster).await {
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

/// A static x86-64 Linux ELF program that calls `exit(0)` and nothing else: one loadable
/// segment at 0x400000 holding the 64-byte ELF header, the 56-byte program header and 9 bytes
/// of code (`mov eax, 60; xor edi, edi; syscall`).
const BARE_PROGRAM: [u8; 129] = {
    const ENTRY: u64 = 0x400000 + 64 + 56;
    const SIZE: u64 = 129;
    let mut p = [0u8; 129];
    let ident = [0x7f, b'E', b'L', b'F', 2, 1, 1];
    let mut i = 0;
    while i < ident.len() {
        p[i] = ident[i];
        i += 1;
    }
    // e_type EXEC, e_machine x86-64, e_version 1, e_entry, e_phoff 64.
    p[16] = 2;
    p[18] = 0x3e;
    p[20] = 1;
    let entry = ENTRY.to_le_bytes();
    let mut i = 0;
    while i < 8 {
        p[24 + i] = entry[i];
        i += 1;
    }
    p[32] = 64;
    // e_ehsize 64, e_phentsize 56, e_phnum 1.
    p[52] = 64;
    p[54] = 56;
    p[56] = 1;
    // Program header: PT_LOAD, flags R+X, offset 0, vaddr = paddr = 0x400000, sizes, align.
    p[64] = 1;
    p[68] = 5;
    let base = 0x400000u64.to_le_bytes();
    let size = SIZE.to_le_bytes();
    let mut i = 0;
    while i < 8 {
        p[80 + i] = base[i];
        p[88 + i] = base[i];
        p[96 + i] = size[i];
        p[104 + i] = size[i];
        i += 1;
    }
    p[113] = 0x10; // p_align 0x1000
    let code = [0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05];
    let mut i = 0;
    while i < code.len() {
        p[120 + i] = code[i];
        i += 1;
    }
    p
};

fn write_bare_program(path: &Path) -> BenchResult<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, BARE_PROGRAM)
        .and_then(|()| std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The CPU one start of `command` costs (its children's user + system time, from 300 starts in
/// a row), split on whitespace as the shell executor does without `shell`.
fn start_cost(command: &str) -> Result<Duration, String> {
    const STARTS: u32 = 300;
    let argv: Vec<&str> = command.split_whitespace().collect();
    let children_cpu = || {
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: getrusage only writes the struct it is given.
        unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
        let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
        t(usage.ru_utime) + t(usage.ru_stime)
    };
    let before = children_cpu();
    for _ in 0..STARTS {
        let status = std::process::Command::new(argv[0])
            .args(&argv[1..])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("it exited with {status}"));
        }
    }
    Ok((children_cpu() - before) / STARTS)
}

/// Creates `jobs` over one schedule interval: an equal share starts each second (a share that
/// takes longer than its second delays the next), so `@every` jobs fire evenly over the interval
/// instead of in as many bursts as creation took seconds.
async fn create_spread(
    client: &Client,
    jobs: &[belfry::model::Job],
    parallel: usize,
) -> BenchResult<kit::Created> {
    let begin = Instant::now();
    let per_second = jobs.len().div_ceil(interval_secs() as usize).max(1);
    let mut all = kit::Created {
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        jobs: Vec::new(),
    };
    for (k, share) in jobs.chunks(per_second).enumerate() {
        tokio::time::sleep_until((begin + Duration::from_secs(k as u64)).into()).await;
        let created = create_jobs(client, share, parallel, DEADLINES).await?;
        all.latencies.extend(created.latencies);
        all.jobs.extend(created.jobs);
    }
    all.latencies.sort();
    all.elapsed = begin.elapsed();
    Ok(all)
}

/// The measurement; `Ok(false)` when it completed but the cluster got something wrong.
async fn run(s: &Settings, command: &str, cluster: &mut Cluster) -> BenchResult<bool> {
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
            job.executor_config
                .insert("command".to_string(), command.to_string());
            job.tags = [("pool".to_string(), "workers:1".to_string())].into();
            job
        })
        .collect();
    let created = if s.spread && !instant() {
        create_spread(&client, &jobs, s.parallel).await?
    } else {
        create_jobs(&client, &jobs, s.parallel, DEADLINES).await?
    };
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
    let plan = Plan {
        drop_after: s.drop_after.map(Duration::from_secs),
        // All but every K-th job: the disabled ones are spread over the interval like the rest.
        drop_jobs: jobs
            .iter()
            .enumerate()
            .filter(|(i, _)| i % s.drop_keep != 0)
            .map(|(_, job)| Job {
                disabled: true,
                ..job.clone()
            })
            .collect(),
        parallel: s.parallel,
        kills: s.kills,
        kill_every: Duration::from_secs(s.kill_every),
    };
    let load = cluster
        .sample_for(Duration::from_secs(s.secs), leader, &plan)
        .await?;
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
    println!("(CPU in % of one core over the run; WARN/ERROR: lines in the node's log)");
    for n in cluster.nodes.iter().filter(|n| !n.earlier_lives.is_empty()) {
        println!(
            "          {}: restarts after kills: {}; its figures are its last process's",
            n.name(),
            n.earlier_lives.len()
        );
    }
    println!();

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
    // The load stops first: the agents are paused (SIGSTOP), so reading 10,000 jobs' history
    // does not compete with 1,000 launches a second for the servers. Only ticks up to
    // end − 10 s are judged, and their results were due long before.
    for n in cluster.nodes.iter().filter(|n| !n.node.server && n.alive()) {
        n.node.signal(libc::SIGSTOP);
    }
    let fetch_started = Instant::now();
    let executions =
        fetch_executions(&cluster.nodes[source].client, &names, s.parallel, DEADLINES).await;
    for n in cluster.nodes.iter().filter(|n| !n.node.server && n.alive()) {
        n.node.signal(libc::SIGCONT);
    }
    let executions = executions?;
    println!(
        "fetch:    {} executions of {} jobs from {} in {:.2} s",
        executions.values().map(Vec::len).sum::<usize>(),
        names.len(),
        cluster.nodes[source].name(),
        fetch_started.elapsed().as_secs_f64()
    );
    let judge_end = t_end - chrono::Duration::seconds(JUDGE_MARGIN_SECS);
    let a = analyse(&created.jobs, &executions, judge_end, &load.disabled);
    let mut disable_failures: Vec<&str> = load
        .disabled
        .values()
        .filter_map(|d| d.answered.as_ref().err().map(String::as_str))
        .collect();
    disable_failures.sort();

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
    if load.drop_at.is_some() {
        println!(
            "          (the steady window spans the drop: jobs stop part-way, so fewer \
             launches than that are expected)"
        );
    }
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
    let mut missing = a.missing.clone();
    missing.sort_by_key(|(_, tick)| *tick);
    for (job, tick) in missing.iter().take(MISSING_SHOWN) {
        println!(
            "          e.g. {job} tick {} ({:.1} s in{})",
            tick.format("%H:%M:%S"),
            (*tick - load.started).as_seconds_f64(),
            load.disabled.get(job).map_or(String::new(), |d| format!(
                "; disabled, its disable sent {:.1} s after the tick",
                (d.sent - *tick).as_seconds_f64()
            )),
        );
    }
    println!("DUPLICATES: {}", a.duplicates);
    if let Some(drop_at) = load.drop_at {
        let last_ack = load
            .disabled
            .values()
            .filter_map(|d| d.answered.as_ref().ok())
            .max();
        println!(
            "drop:     {} jobs disabled from {:.1} s in, the last answered {:.1} s later ({} \
             requests retried); RAN WHILE DISABLED: {} (runs of ticks more than \
             {DISABLE_GRACE_SECS} s after the job's disable was answered)",
            load.disabled.len() - disable_failures.len(),
            (drop_at - load.started).as_seconds_f64(),
            last_ack.map_or(0.0, |t| (*t - drop_at).as_seconds_f64()),
            load.disable_retries,
            a.ran_while_disabled,
        );
        println!(
            "          {} ticks of disabled jobs due less than {DISABLE_LOOKBACK_SECS} s before \
             the disable was sent never ran (not launched yet when it was committed; not \
             counted as missed)",
            a.skipped_by_disable
        );
        if let Some(first) = disable_failures.first() {
            println!(
                "DISABLE FAILED: {} jobs got no answer within {:?} of retries (their later \
                 runs are not judged), e.g. {first}",
                disable_failures.len(),
                DEADLINES.request
            );
        }
    }
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
    if !load.health_warnings.is_empty() {
        println!("leader's /v1/operator/health warnings (digits as #), in how many samples:");
        for (kind, samples) in &load.health_warnings {
            println!("  {samples:>6} × {kind}");
        }
    }
    println!();

    // Lateness and backlog over time: overload shows as growing lateness, recovery as its end.
    let windows = windows(&load, &a.late_by_tick);
    println!(
        "{:>9} {:>7} {:>10} {:>10} {:>10} {:>8}  (lateness per {WINDOW_SECS} s of tick time; \
         backlog: max over the samples in the window, summed over the agents)",
        "window", "ticks", "p50", "p99", "max", "backlog"
    );
    let kill_offsets: Vec<i64> = load
        .kills
        .iter()
        .map(|k| window_of(load.started, k.killed_at))
        .collect();
    for (&w, win) in &windows {
        let mut marks = Vec::new();
        if load
            .drop_at
            .is_some_and(|d| window_of(load.started, d) == w)
        {
            marks.push("drop".to_string());
        }
        if kill_offsets.contains(&w) {
            marks.push("kill".to_string());
        }
        if load.started + chrono::Duration::seconds((w + 1) * WINDOW_SECS) > judge_end {
            marks.push("past the judging end: incomplete".to_string());
        }
        println!(
            "{:>7} s {:>7} {:>10} {:>10} {:>10} {:>8}{}",
            format!("{:+}", w * WINDOW_SECS),
            win.lateness.len(),
            ms(percentile(&win.lateness, 0.50)),
            ms(percentile(&win.lateness, 0.99)),
            ms(win.lateness.last().copied()),
            win.backlog_max.map_or("-".into(), |b| b.to_string()),
            if marks.is_empty() {
                String::new()
            } else {
                format!("  ← {}", marks.join(", "))
            },
        );
    }
    let peak = load
        .backlog
        .iter()
        .filter_map(|(t, b)| Some((b.as_ref().copied()?, *t)))
        .max_by_key(|(b, _)| *b);
    let unread = load.backlog.iter().filter(|(_, b)| b.is_none()).count();
    println!(
        "backlog:  peak {} (summed over the agents){}; {unread} samples where an agent's \
         /metrics did not answer",
        peak.map_or("-".into(), |(b, _)| b.to_string()),
        peak.map_or(String::new(), |(_, t)| format!(
            " at {:.0} s in",
            (t - load.started).as_seconds_f64()
        )),
    );
    // Recovery: the first whole window after the drop, before the judging end, with p99 < 1 s.
    let recovered = load.drop_at.map(|drop_at| {
        windows
            .iter()
            .map(|(&w, win)| {
                (
                    load.started + chrono::Duration::seconds(w * WINDOW_SECS),
                    win,
                )
            })
            .filter(|(start, _)| {
                *start >= drop_at && *start + chrono::Duration::seconds(WINDOW_SECS) <= judge_end
            })
            .find(|(_, win)| percentile(&win.lateness, 0.99).is_some_and(|p| p < RECOVERED_P99))
            .map(|(start, _)| (start - drop_at).as_seconds_f64())
    });
    if let Some(r) = recovered {
        match r {
            Some(after) => println!(
                "recovery: lateness p99 under {} ms from the window starting {after:.1} s after \
                 the drop",
                RECOVERED_P99.as_millis()
            ),
            None => println!(
                "recovery: NOT RECOVERED (no whole window after the drop, before the judging \
                 end, has lateness p99 under {} ms)",
                RECOVERED_P99.as_millis()
            ),
        }
    }

    // Failover under load: election from the kill, first launch from the executions.
    let (mut elected, mut launched) = (Vec::new(), Vec::new());
    for (i, k) in load.kills.iter().enumerate() {
        let first = executions
            .values()
            .flatten()
            .filter(|e| {
                e.scheduled_at > k.killed_at
                    && matches!(e.status, ExecutionStatus::Success | ExecutionStatus::Failed)
            })
            .map(|e| e.started_at)
            .min();
        let first = first.map(|t| (t - k.killed_at).to_std().unwrap_or_default());
        println!(
            "kill {:>2} ({:.0} s in): {} → {}: elected after {} ms, first launch after {}, \
             back as a voter after {}",
            i + 1,
            k.offset.as_secs_f64(),
            cluster.nodes[k.victim].name(),
            cluster.nodes[k.new_leader].name(),
            k.elected.as_millis(),
            first.map_or("NONE".into(), |d| format!("{} ms", d.as_millis())),
            k.back_after
                .map_or("- (not within the run)".into(), |d| format!(
                    "{:.1} s",
                    d.as_secs_f64()
                )),
        );
        elected.push(k.elected);
        launched.extend(first);
    }
    elected.sort();
    launched.sort();
    let kills_short = s.kills > 0 && load.kills.len() < s.kills;
    let launches_lacking = load.kills.len() - launched.len();
    if s.kills > 0 {
        println!(
            "failover: {} kills: elected p50 {} / p99 {} / max {}; first launch p50 {} / p99 {} \
             / max {}{}{}",
            load.kills.len(),
            ms(percentile(&elected, 0.50)),
            ms(percentile(&elected, 0.99)),
            ms(elected.last().copied()),
            ms(percentile(&launched, 0.50)),
            ms(percentile(&launched, 0.99)),
            ms(launched.last().copied()),
            if kills_short {
                format!(
                    "; ONLY {} OF {} KILLS fit in BELFRY_BENCH_SECS={}",
                    load.kills.len(),
                    s.kills,
                    s.secs
                )
            } else {
                String::new()
            },
            if launches_lacking > 0 {
                format!("; {launches_lacking} KILLS WITHOUT A LAUNCH after them")
            } else {
                String::new()
            },
        );
    }
    println!();

    println!(
        "RESULT jobs={} secs={} runs={} launches_per_s={} lateness_p50_ms={} lateness_p99_ms={} \
         lateness_max_ms={} missed={missed} duplicates={} off_grid={} unfinished={} \
         leader_changes={} elections={elections} leader_cpu_pct={:.1} leader_rss_peak_mib={:.1} runs_on_agents={on_agents} \
         deaths={} create_s={:.2} machine_other_cpu_pct={:.0} backlog_peak={} \
         ran_while_disabled={} skipped_by_disable={} recovered_after_s={} kills={} elected_p50_ms={} elected_p99_ms={} \
         elected_max_ms={} launch_p50_ms={} launch_p99_ms={} launch_max_ms={}",
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
        peak.map_or("-".into(), |(b, _)| b.to_string()),
        a.ran_while_disabled,
        a.skipped_by_disable,
        match recovered {
            None => "-".to_string(),
            Some(None) => "none".to_string(),
            Some(Some(after)) => format!("{after:.1}"),
        },
        load.kills.len(),
        ms_num(percentile(&elected, 0.50)),
        ms_num(percentile(&elected, 0.99)),
        ms_num(elected.last().copied()),
        ms_num(percentile(&launched, 0.50)),
        ms_num(percentile(&launched, 0.99)),
        ms_num(launched.last().copied()),
    );

    // With kills, leader changes are the point; without, each one is a fault.
    let leadership_ok = s.kills > 0 || load.leader_changes.is_empty();
    let ok = missed == 0
        && a.duplicates == 0
        && a.off_grid == 0
        && a.unfinished == 0
        && a.ran_while_disabled == 0
        && disable_failures.is_empty()
        && leadership_ok
        && !kills_short
        && launches_lacking == 0
        && load.deaths.is_empty();
    if ok {
        println!("verdict:  PASS");
    } else {
        println!(
            "verdict:  FAIL (missed {missed}, duplicates {}, off grid {}, unfinished {}, \
             ran while disabled {}, disables failed {}, leader changes {}{}, processes died {}, \
             kills {} of {}, kills without a launch after them {launches_lacking})",
            a.duplicates,
            a.off_grid,
            a.unfinished,
            a.ran_while_disabled,
            disable_failures.len(),
            load.leader_changes.len(),
            if s.kills > 0 { " (expected)" } else { "" },
            load.deaths.len(),
            load.kills.len(),
            s.kills,
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
    /// This process's figures, and those of the processes it replaced (restarts after kills).
    stats: ProcStats,
    earlier_lives: Vec<ProcStats>,
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
            earlier_lives: Vec::new(),
        })
    }

    /// Starts the process again (after a SIGKILL) on its data dir and ports.
    fn restart(&mut self) -> BenchResult<()> {
        self.node.try_spawn()?;
        self.pid = self.node.pid();
        self.earlier_lives.push(std::mem::take(&mut self.stats));
        Ok(())
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
        // Extra agent flags, to compare settings (`--job-nice 0`, `--max-parallel 32`, …).
        let extra = std::env::var("BELFRY_BENCH_AGENT_ARGS").unwrap_or_default();
        let extra: Vec<&str> = extra.split_whitespace().collect();
        for name in ["agent-1", "agent-2"] {
            let agent = [&["--tag", "pool=workers"][..], &join[..], &extra[..]].concat();
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

    /// Samples every process, the agents' launch backlog and the leadership once a second for
    /// `length`, and does what `plan` asks on the way (the drop, the kills). Deaths and leader
    /// changes are recorded, not fatal: the run goes on so that the figures are seen. Fails
    /// when a kill finds no new leader or cannot restart its victim.
    async fn sample_for(
        &mut self,
        length: Duration,
        leader: usize,
        plan: &Plan,
    ) -> BenchResult<LoadFigures> {
        let begin = Instant::now();
        let machine_first = procfs::machine_cpu().ok();
        for n in &mut self.nodes {
            // A process that cannot be read is noticed as dead below.
            let _ = n.stats.record(n.pid, Instant::now());
        }
        let mut f = LoadFigures {
            final_leader: Some(leader),
            started: Utc::now(),
            ..LoadFigures::default()
        };
        let metrics_http = reqwest::Client::builder()
            .timeout(HEALTH_DEADLINE)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let mut drop_task = None;
        // The next kill is due at this offset, once the previous victim is back as a voter.
        let mut next_kill = plan.kill_every;
        let mut victim_back = true;
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
            let backlog = self.agents_backlog(&metrics_http).await;
            f.backlog.push((Utc::now(), backlog));
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
            let leader_client = self.nodes[l].client.clone();
            if let Ok(Ok(h)) =
                tokio::time::timeout(HEALTH_DEADLINE, leader_client.cluster_health()).await
            {
                for w in h.warnings {
                    // Grouped by kind: the figures in a warning change from one sample to the next.
                    let kind: String = w
                        .chars()
                        .map(|c| if c.is_ascii_digit() { '#' } else { c })
                        .collect();
                    *f.health_warnings.entry(kind).or_default() += 1;
                }
            }

            let elapsed = begin.elapsed();
            if let Some(after) = plan.drop_after
                && drop_task.is_none()
                && elapsed >= after
            {
                // In a task of its own: toggling thousands of jobs on an overloaded cluster
                // takes a while, and the sampling goes on meanwhile.
                f.drop_at = Some(Utc::now());
                drop_task = Some(tokio::spawn(disable_jobs(
                    leader_client.clone(),
                    plan.drop_jobs.clone(),
                    plan.parallel,
                )));
            }
            // Also after the last kill: how long the victim takes to be back is reported.
            if !victim_back && let Some(k) = f.kills.last_mut() {
                let victim_client = self.nodes[k.victim].client.clone();
                victim_back = victim_caught_up(&leader_client, &victim_client).await;
                if victim_back {
                    k.back_after = Some(k.killed.elapsed());
                }
            }
            if f.kills.len() < plan.kills && victim_back && elapsed >= next_kill {
                let round = self.kill_leader(l, begin).await?;
                println!(
                    "kill {:>2} ({:.0} s in): {} SIGKILLed, {} elected after {} ms",
                    f.kills.len() + 1,
                    round.offset.as_secs_f64(),
                    self.nodes[round.victim].name(),
                    self.nodes[round.new_leader].name(),
                    round.elected.as_millis()
                );
                f.kills.push(round);
                victim_back = false;
                next_kill = begin.elapsed() + plan.kill_every;
            }
        }
        f.leader_cpu_mean_pct = core_pct(leader_ticks, leader_secs);
        if let (Some(a), Ok(b)) = (machine_first, procfs::machine_cpu()) {
            f.machine_busy_pct = busy_share(a, b) * 100.0 * cpus() as f64;
        }
        for n in &self.nodes {
            for life in n.earlier_lives.iter().chain([&n.stats]) {
                let (own, children, secs) = life.totals();
                f.cluster_cpu_pct += core_pct(own + children, secs);
            }
        }
        if let Some(task) = drop_task {
            let (disables, retries) = task
                .await
                .map_err(|e| format!("disabling jobs: the task failed: {e}"))??;
            f.disable_retries = retries;
            f.disabled = disables.into_iter().map(|d| (d.name.clone(), d)).collect();
        } else if plan.drop_after.is_some() {
            return Err("the drop never came: no server led when it was due".into());
        }
        Ok(f)
    }

    /// The launch backlog summed over the agents, from each one's `/metrics` (asked at the same
    /// time); `None` when one of them did not answer with it.
    async fn agents_backlog(&self, http: &reqwest::Client) -> Option<u64> {
        let urls: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| !n.node.server && n.alive())
            .map(|n| n.node.url("/metrics"))
            .collect();
        let mut asks = tokio::task::JoinSet::new();
        for url in urls {
            let http = http.clone();
            asks.spawn(async move {
                let text = http.get(&url).send().await.ok()?.text().await.ok()?;
                launch_backlog(&text)
            });
        }
        let mut sum = 0;
        while let Some(answer) = asks.join_next().await {
            sum += answer.ok().flatten()?;
        }
        Some(sum)
    }

    /// SIGKILLs server `victim` (the leader), measures until a survivor says it leads (asked
    /// every [`KILL_POLL`]), and restarts the victim on its data dir.
    async fn kill_leader(&mut self, victim: usize, begin: Instant) -> BenchResult<KillRound> {
        let survivors: Vec<usize> = (0..self.nodes.len())
            .filter(|i| *i != victim && self.nodes[*i].node.server && self.nodes[*i].alive())
            .collect();
        let clients: Vec<Client> = survivors
            .iter()
            .map(|i| self.nodes[*i].client.clone())
            .collect();
        let killed_at = Utc::now();
        let killed = Instant::now();
        self.nodes[victim].node.kill9();
        let (clients, survivors) = (&clients, &survivors);
        let new_leader = kit::poll_until(
            "a new leader after the kill",
            ELECTION_DEADLINE,
            KILL_POLL,
            || async move { kit::leader_via(clients).await.map(|i| survivors[i]) },
        )
        .await?;
        let elected = killed.elapsed();
        self.nodes[victim].restart()?;
        Ok(KillRound {
            victim,
            new_leader,
            killed_at,
            killed,
            offset: killed.duration_since(begin),
            elected,
            back_after: None,
        })
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

/// What the sampler does besides sampling.
struct Plan {
    /// When (into the measured window) to post `drop_jobs` again, each with `disabled: true`.
    drop_after: Option<Duration>,
    drop_jobs: Vec<Job>,
    /// Requests in flight while disabling.
    parallel: usize,
    /// How many times to kill the leader, and the time between kills.
    kills: usize,
    kill_every: Duration,
}

/// One SIGKILL of the leader.
struct KillRound {
    victim: usize,
    new_leader: usize,
    killed_at: DateTime<Utc>,
    killed: Instant,
    /// How far into the measured window it came.
    offset: Duration,
    /// Until a survivor said it leads.
    elected: Duration,
    /// Until the restarted victim was a voter again, less than 50 entries behind (`None`: not
    /// within the run).
    back_after: Option<Duration>,
}

/// How often a kill asks the survivors whether one leads: the election time is measured to
/// within this.
const KILL_POLL: Duration = Duration::from_millis(5);
/// How long the survivors may take to elect a leader after a kill.
const ELECTION_DEADLINE: Duration = Duration::from_secs(30);
/// A restarted server is back once its Raft log is fewer than this many entries behind.
const CAUGHT_UP_LAG: u64 = 50;

/// Whether the restarted `victim` is back: the leader counts three voters, each fewer than
/// [`CAUGHT_UP_LAG`] entries behind, and the victim itself answers with a log that reaches to
/// within as many entries of the leader's commit index (the leader's view alone may still hold
/// the victim's position from before the kill). One quick look, not a wait: the sampler asks
/// each second.
async fn victim_caught_up(leader: &Client, victim: &Client) -> bool {
    let ask = |c: &Client| {
        let c = c.clone();
        async move {
            tokio::time::timeout(HEALTH_DEADLINE, c.raft_peers())
                .await
                .ok()?
                .ok()
        }
    };
    let (Some(seen_by_leader), Some(own)) = (ask(leader).await, ask(victim).await) else {
        return false;
    };
    let voters_close = seen_by_leader
        .servers
        .iter()
        .filter(|s| s.voter && s.lag.is_some_and(|l| l < CAUGHT_UP_LAG))
        .count()
        == 3;
    let own_log_close = match (own.last_log_index, seen_by_leader.commit_index) {
        (Some(own), Some(commit)) => own + CAUGHT_UP_LAG > commit,
        _ => false,
    };
    voters_close && own_log_close
}

/// `belfry_launch_backlog` from a node's Prometheus text.
fn launch_backlog(metrics: &str) -> Option<u64> {
    metrics.lines().find_map(|l| {
        let v = l.strip_prefix("belfry_launch_backlog ")?;
        v.trim().parse::<f64>().ok().map(|v| v as u64)
    })
}

/// One job's disable: when its first request was sent, and when its last was answered (the
/// commit lies between), or why it never was.
struct Disable {
    name: String,
    sent: DateTime<Utc>,
    answered: Result<DateTime<Utc>, String>,
}

/// How long a disable waits before it tries again after a failed request.
const DISABLE_RETRY: Duration = Duration::from_millis(200);

/// Disables each of `jobs` by posting it again with `disabled: true` (idempotent, unlike the
/// toggle route: a write that timed out may still have been committed, and is simply sent
/// again), `parallel` requests in flight. A failed request is retried until
/// [`DEADLINES`]`.request` has passed since the first; then that job's disable has failed
/// (the run goes on: its figures still count, and the verdict says so). Returns each job, and
/// how many retries there were in all.
async fn disable_jobs(
    client: Client,
    jobs: Vec<Job>,
    parallel: usize,
) -> BenchResult<(Vec<Disable>, usize)> {
    let what = format!("disabling {} jobs", jobs.len());
    let retries = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = retries.clone();
    let disabled =
        kit::for_each_parallel(&what, &jobs, parallel, DEADLINES.bulk, move |job: Job| {
            let (client, retries) = (client.clone(), counted.clone());
            async move {
                let (sent, first) = (Utc::now(), Instant::now());
                loop {
                    let failure =
                        match tokio::time::timeout(DEADLINES.request, client.put_job(&job)).await {
                            Ok(Ok(stored)) if stored.disabled => {
                                return Ok(Disable {
                                    name: job.name,
                                    sent,
                                    answered: Ok(Utc::now()),
                                });
                            }
                            Ok(Ok(_)) => format!("job {} is still enabled", job.name),
                            Ok(Err(e)) => e.to_string(),
                            Err(_) => format!("no answer within {:?}", DEADLINES.request),
                        };
                    if first.elapsed() > DEADLINES.request {
                        return Ok(Disable {
                            answered: Err(format!("disabling job {}: {failure}", job.name)),
                            name: job.name,
                            sent,
                        });
                    }
                    retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(DISABLE_RETRY).await;
                }
            }
        })
        .await?;
    Ok((disabled, retries.load(std::sync::atomic::Ordering::Relaxed)))
}

#[derive(Default)]
struct LoadFigures {
    /// When the measured window began.
    started: DateTime<Utc>,
    /// Each sample's time and the launch backlog summed over the agents (`None`: an agent did
    /// not answer).
    backlog: Vec<(DateTime<Utc>, Option<u64>)>,
    /// The leader's `/v1/operator/health` warnings (digits as `#`), and in how many samples.
    health_warnings: BTreeMap<String, usize>,
    /// When the drop began, and each job's disable.
    drop_at: Option<DateTime<Utc>>,
    disabled: HashMap<String, Disable>,
    /// Disable requests that failed and were sent again.
    disable_retries: usize,
    kills: Vec<KillRound>,
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
    /// The same, each with its tick, in no order.
    late_by_tick: Vec<(DateTime<Utc>, Duration)>,
    /// Runs of a disabled job's ticks more than [`DISABLE_GRACE_SECS`] after its disable was
    /// answered.
    ran_while_disabled: usize,
    /// Grid ticks up to the judging end, over all jobs, and how many have no execution.
    expected_ticks: usize,
    missing_ticks: usize,
    /// Those ticks, (job, tick), for the report to show a few.
    missing: Vec<(String, DateTime<Utc>)>,
    /// Ticks of disabled jobs, due up to [`DISABLE_LOOKBACK_SECS`] before the disable was sent,
    /// that never ran: not launched yet when the disable was committed (a scheduler running
    /// late, or no leader), then skipped as the job's. Reported, not counted as missed.
    skipped_by_disable: usize,
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

/// Judges every job's executions against its grid; a job in `disabled` owes only the ticks
/// before its disable was sent, and may run those up to [`DISABLE_GRACE_SECS`] after the
/// answer (with no answer, its later runs are not judged: the write may or may not have been
/// committed).
fn analyse(
    jobs: &[CreatedJob],
    executions: &HashMap<String, Vec<Execution>>,
    judge_end: DateTime<Utc>,
    disabled: &HashMap<String, Disable>,
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
        let disable = disabled.get(&job.name);
        let owed_until = disable.map_or(judge_end, |d| {
            judge_end.min(d.sent - chrono::Duration::milliseconds(1))
        });
        let mut tick = first;
        while tick <= owed_until {
            a.expected_ticks += 1;
            if !per_tick.contains_key(&tick) {
                if disable.is_some_and(|d| {
                    tick >= d.sent - chrono::Duration::seconds(DISABLE_LOOKBACK_SECS)
                }) {
                    a.skipped_by_disable += 1;
                } else {
                    a.missing_ticks += 1;
                    a.missing.push((job.name.clone(), tick));
                }
            }
            tick += interval;
        }

        for e in runs {
            if let Some(Ok(acked)) = disable.map(|d| &d.answered)
                && e.status != ExecutionStatus::Missed
                && e.scheduled_at > *acked + chrono::Duration::seconds(DISABLE_GRACE_SECS)
            {
                a.ran_while_disabled += 1;
            }
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
                    let late = (e.started_at - e.scheduled_at)
                        .to_std()
                        .unwrap_or(Duration::ZERO);
                    a.lateness.push(late);
                    a.late_by_tick.push((e.scheduled_at, late));
                }
            }
        }
    }
    a.lateness.sort();
    a
}

/// The [`WINDOW_SECS`] window (its index from the start of the measured window) `t` is in.
fn window_of(started: DateTime<Utc>, t: DateTime<Utc>) -> i64 {
    (t - started)
        .num_milliseconds()
        .div_euclid(WINDOW_SECS * 1000)
}

/// One window of tick time: the lateness of its finished runs, and the most launches the
/// agents had waiting at once during it.
#[derive(Default)]
struct Window {
    /// Sorted.
    lateness: Vec<Duration>,
    backlog_max: Option<u64>,
}

/// Lateness by the window of its tick and backlog by the window of its sample, from the first
/// window with either to the last.
fn windows(
    load: &LoadFigures,
    late_by_tick: &[(DateTime<Utc>, Duration)],
) -> BTreeMap<i64, Window> {
    let mut by_window: BTreeMap<i64, Window> = BTreeMap::new();
    for (tick, late) in late_by_tick {
        by_window
            .entry(window_of(load.started, *tick))
            .or_default()
            .lateness
            .push(*late);
    }
    for (at, backlog) in &load.backlog {
        let w = by_window.entry(window_of(load.started, *at)).or_default();
        if let Some(b) = backlog {
            w.backlog_max = Some(w.backlog_max.unwrap_or(0).max(*b));
        }
    }
    for w in by_window.values_mut() {
        w.lateness.sort();
    }
    by_window
}
