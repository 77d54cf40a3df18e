//! Single-server scheduling benchmark: one real `belfry agent` process, many `@every 5s` jobs.
//!
//! What it measures, end to end through the public HTTP API:
//!
//! 1. starts the real `belfry` binary as a one-server cluster on free local ports and waits
//!    until `/health` reports it leading;
//! 2. its idle resident memory (VmRSS) a few seconds after that;
//! 3. how long creating `BELFRY_BENCH_JOBS` jobs (default 1000) takes through `POST /v1/jobs`,
//!    16 requests in flight (`BELFRY_BENCH_PARALLEL`); each job runs `true` (executed
//!    directly, not through a shell) every 5 s;
//! 4. for `BELFRY_BENCH_SECS` seconds (default 60), once a second: the agent's RSS and CPU
//!    time (its own, and that of the job processes it has reaped), and the machine's;
//! 5. then every job's executions, judged over the window `[start + 5 s, end - 5 s]`:
//!    launch lateness (`started_at - scheduled_at`: from the tick to just after the spawn),
//!    runs per second, failed executions, **missed ticks** (expected every 5 s from each
//!    job's first tick, with no execution, or recorded as `missed`), **duplicates** (one job
//!    and tick launched more than once) and launches that **never ran** (recorded, but still
//!    `running` long after `true` should have finished), and, per tick instant (jobs created
//!    in the same second fire together), when the first and the last of its runs started;
//! 6. SIGTERM, and how long the graceful stop takes and the agent's exit code.
//!
//! It exits non-zero if any tick was missed, duplicated or never ran, if the agent did not stop
//! cleanly, or if the run itself failed (agent died, API errors).
//!
//! Run it (release build; the bench profile):
//!
//! ```text
//! cargo bench -p belfry-cli --bench single_server
//! BELFRY_BENCH_JOBS=5000 BELFRY_BENCH_SECS=60 cargo bench -p belfry-cli --bench single_server
//! ```
//!
//! The benchmark shares the machine with the agent; it stays idle (one /proc read a second)
//! while the jobs run, and only creates and fetches jobs outside the measurement window.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use belfry::client::Client;
use belfry::model::{Execution, ExecutionStatus, Job};
use chrono::{DateTime, Utc};
use tokio::process::{Child, Command};

/// Every job's schedule interval, in seconds.
const INTERVAL_SECS: i64 = 5;
/// Trimmed from both ends of the run before judging executions: the first ticks come up to
/// one interval after creation, and the last ones may still be in flight.
const EDGE: Duration = Duration::from_secs(5);
/// How long the agent may take to elect itself leader.
const STARTUP_DEADLINE: Duration = Duration::from_secs(30);
/// How long the agent may take to stop after SIGTERM (its shutdown grace is 30 s, plus
/// result flushing): past this it is SIGKILLed and the run fails.
const STOP_DEADLINE: Duration = Duration::from_secs(60);

type BenchResult<T> = Result<T, String>;

/// What the run is asked to do, from the environment.
struct Settings {
    jobs: usize,
    secs: u64,
    parallel: usize,
}

impl Settings {
    fn from_env() -> BenchResult<Settings> {
        fn var<T: std::str::FromStr>(name: &str, default: T) -> BenchResult<T> {
            match std::env::var(name) {
                Ok(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name}={v:?} is not a positive number")),
                Err(_) => Ok(default),
            }
        }
        let s = Settings {
            jobs: var("BELFRY_BENCH_JOBS", 1000)?,
            secs: var("BELFRY_BENCH_SECS", 60)?,
            parallel: var("BELFRY_BENCH_PARALLEL", 16)?,
        };
        if s.jobs == 0 || s.parallel == 0 || s.secs < 2 * EDGE.as_secs() + INTERVAL_SECS as u64 {
            return Err(format!(
                "need BELFRY_BENCH_JOBS >= 1, BELFRY_BENCH_PARALLEL >= 1 and BELFRY_BENCH_SECS >= {}",
                2 * EDGE.as_secs() + INTERVAL_SECS as u64
            ));
        }
        Ok(s)
    }
}

fn main() -> ExitCode {
    // Cargo passes `--bench` (and maybe a filter) to harness-less benches: nothing to parse.
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("single_server: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(&settings)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("\nsingle_server: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The whole run; `Ok(false)` when it completed but the scheduler got something wrong.
async fn run(s: &Settings) -> BenchResult<bool> {
    println!(
        "Belfry single-server benchmark: {} jobs × @every {INTERVAL_SECS}s running `true`, {} s",
        s.jobs, s.secs
    );
    println!(
        "machine: {} CPUs, {} MiB RAM",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        meminfo_total_kib().unwrap_or(0) / 1024
    );

    // 1. Start the agent and wait for leadership.
    let mut agent = Agent::start(s)?;
    let started = Instant::now();
    agent.wait_for_leader().await?;
    println!(
        "startup:  leader after {:.2} s (pid {}, http {})",
        started.elapsed().as_secs_f64(),
        agent.pid,
        agent.client.base()
    );

    // 2. Idle memory.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_rss = ProcSample::read(agent.pid)?.rss_kib;
    println!("idle:     RSS {}", mib(idle_rss));

    // 3. Create the jobs.
    let names: Vec<String> = (0..s.jobs).map(|i| format!("bench-{i:05}")).collect();
    let created = create_jobs(&agent.client, &names, s.parallel).await?;
    let t_start = Utc::now();
    println!(
        "create:   {} jobs in {:.2} s ({:.0} jobs/s; {} at a time, request p50 {} / p99 {} / max {})",
        s.jobs,
        created.elapsed.as_secs_f64(),
        s.jobs as f64 / created.elapsed.as_secs_f64(),
        s.parallel,
        ms(percentile(&created.latencies, 0.50)),
        ms(percentile(&created.latencies, 0.99)),
        ms(created.latencies.last().copied()),
    );

    // 4. Let the jobs run, sampling the agent once a second.
    let load = agent.sample_for(Duration::from_secs(s.secs)).await?;
    let t_end = Utc::now();
    println!(
        "load:     RSS mean {} / peak {} / at the end {}; agent CPU mean {:.1}% / peak {:.1}% of one core; \
         job processes {:.1}%; machine busy {:.0}% of {} CPUs; threads peak {}",
        mib(load.rss_mean_kib),
        mib(load.rss_peak_kib),
        mib(load.rss_last_kib),
        load.cpu_mean_pct,
        load.cpu_peak_pct,
        load.children_cpu_pct,
        load.machine_busy_pct,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.threads_peak,
    );

    // 5. Fetch and judge every job's executions.
    let fetch_started = Instant::now();
    let executions = fetch_executions(&agent.client, &names, s.parallel).await?;
    let fetched: usize = executions.values().map(Vec::len).sum();
    println!(
        "fetch:    {fetched} executions of {} jobs in {:.2} s",
        names.len(),
        fetch_started.elapsed().as_secs_f64()
    );
    let window = (
        t_start + chrono::Duration::from_std(EDGE).expect("small"),
        t_end - chrono::Duration::from_std(EDGE).expect("small"),
    );
    let a = analyse(&executions, window.0, window.1);
    let window_secs = (window.1 - window.0).as_seconds_f64();
    println!(
        "window:   {window_secs:.1} s: {} runs ({:.1}/s; {:.1}/s expected), {} failed, \
         {} off the 5 s grid",
        a.ran,
        a.ran as f64 / window_secs,
        s.jobs as f64 / INTERVAL_SECS as f64,
        a.failed,
        a.off_grid,
    );
    println!(
        "lateness: p50 {} / p99 {} / max {}  (started_at - scheduled_at)",
        ms(percentile(&a.lateness, 0.50)),
        ms(percentile(&a.lateness, 0.99)),
        ms(a.lateness.last().copied()),
    );
    println!(
        "run time: p50 {} / p99 {} / max {}  (finished_at - started_at)",
        ms(percentile(&a.run_time, 0.50)),
        ms(percentile(&a.run_time, 0.99)),
        ms(a.run_time.last().copied()),
    );
    if !a.bursts.is_empty() {
        let mut sizes: Vec<usize> = a.bursts.iter().map(|b| b.size).collect();
        sizes.sort();
        let mut firsts: Vec<Duration> = a.bursts.iter().map(|b| b.first).collect();
        firsts.sort();
        let mut lasts: Vec<Duration> = a.bursts.iter().map(|b| b.last).collect();
        lasts.sort();
        // Starts per second within a burst: how fast the agent spawns once the batch is in.
        let mut rates: Vec<f64> = a
            .bursts
            .iter()
            .filter(|b| b.size > 1 && b.last > b.first)
            .map(|b| (b.size - 1) as f64 / (b.last - b.first).as_secs_f64())
            .collect();
        rates.sort_by(f64::total_cmp);
        println!(
            "bursts:   {} tick instants, median {} runs each (max {}); per burst (medians): \
             first start {}, last start {}, {:.0} starts/s in between",
            a.bursts.len(),
            sizes[sizes.len() / 2],
            sizes.last().copied().unwrap_or(0),
            ms(percentile(&firsts, 0.5)),
            ms(percentile(&lasts, 0.5)),
            rates.get(rates.len() / 2).copied().unwrap_or(0.0),
        );
    }
    let missed = a.missing_ticks + a.missed_status;
    println!(
        "MISSED:   {missed}  ({} expected ticks without an execution, {} recorded as missed, \
         {} jobs never ran)",
        a.missing_ticks, a.missed_status, a.jobs_never_ran
    );
    println!("DUPLICATES: {}", a.duplicates);
    println!(
        "NEVER RAN: {}  (recorded as launched, still `running` at least 5 s after the tick)",
        a.unfinished
    );

    // 6. Graceful stop.
    let stop = agent.stop().await?;
    println!(
        "stop:     SIGTERM → {} after {:.2} s",
        stop.status,
        stop.took.as_secs_f64()
    );
    println!("data dir: {}", agent.data_files());
    let log_tail = agent.log_tail(8);
    if !log_tail.is_empty() {
        println!("agent log (last lines, level warn):");
        for line in &log_tail {
            println!("  {line}");
        }
    }

    // One line for tables and scripts.
    println!(
        "RESULT jobs={} secs={} launches_per_s={:.1} late_p50_ms={} late_p99_ms={} late_max_ms={} \
         missed={missed} duplicates={} never_ran={} failed={} idle_rss_mib={:.1} peak_rss_mib={:.1} \
         cpu_pct={:.1} create_s={:.2} stop_s={:.2} exit={}",
        s.jobs,
        s.secs,
        a.ran as f64 / window_secs,
        ms_num(percentile(&a.lateness, 0.50)),
        ms_num(percentile(&a.lateness, 0.99)),
        ms_num(a.lateness.last().copied()),
        a.duplicates,
        a.unfinished,
        a.failed,
        idle_rss as f64 / 1024.0,
        load.rss_peak_kib as f64 / 1024.0,
        load.cpu_mean_pct,
        created.elapsed.as_secs_f64(),
        stop.took.as_secs_f64(),
        stop.status,
    );

    let ok = missed == 0 && a.duplicates == 0 && a.unfinished == 0 && stop.clean;
    if ok {
        println!("verdict:  PASS");
    } else {
        println!(
            "verdict:  FAIL (missed {missed}, duplicates {}, never ran {}, clean stop {})",
            a.duplicates, a.unfinished, stop.clean
        );
    }
    Ok(ok)
}

// ---------------------------------------------------------------------------------------------
// The agent process
// ---------------------------------------------------------------------------------------------

/// A running `belfry agent` child. Killed (SIGKILL) if dropped before [`Agent::stop`].
struct Agent {
    child: Child,
    pid: i32,
    client: Client,
    log: PathBuf,
    /// Holds the data dir and the log; removed on drop.
    dir: tempfile::TempDir,
}

/// How the agent stopped.
struct Stopped {
    status: String,
    took: Duration,
    /// Exited by itself, with code 0, within the deadline.
    clean: bool,
}

/// A port nothing listens on right now (the OS picks it; it is released before use).
fn free_port() -> BenchResult<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

impl Agent {
    fn start(s: &Settings) -> BenchResult<Agent> {
        let dir = tempfile::Builder::new()
            .prefix("belfry-bench-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let data_dir = dir.path().join("data");
        let log = dir.path().join("agent.log");
        let log_file =
            std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let http = format!("127.0.0.1:{}", free_port()?);
        let bind = format!("127.0.0.1:{}", free_port()?);
        // Not in the brief's command line, but the default RPC port (6868) may be taken by
        // another agent on this machine (tests, a second bench).
        let rpc_port = free_port()?.to_string();
        // Keep every execution of the run (the default keeps 100 per job).
        let history = (s.secs / INTERVAL_SECS as u64 + 20).max(100).to_string();
        let child = Command::new(env!("CARGO_BIN_EXE_belfry"))
            .args(["agent", "--server", "--bootstrap-expect=1", "--data-dir"])
            .arg(&data_dir)
            .args([
                "--http-addr",
                &http,
                "--bind",
                &bind,
                "--rpc-port",
                &rpc_port,
            ])
            .args(["--node-name", "bench", "--log-level", "warn"])
            .args(["--history-limit", &history])
            .env_remove("BELFRY_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", env!("CARGO_BIN_EXE_belfry")))?;
        let pid = child.id().ok_or("the agent exited at once")? as i32;
        let client = Client::new(&http).map_err(|e| e.to_string())?;
        Ok(Agent {
            child,
            pid,
            client,
            log,
            dir,
        })
    }

    /// Fails if the agent has exited, with the end of its log.
    fn check_alive(&mut self) -> BenchResult<()> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "the agent exited unexpectedly ({status}); its log ends with:\n  {}",
                self.log_tail(20).join("\n  ")
            )),
            Err(e) => Err(format!("cannot poll the agent: {e}")),
        }
    }

    async fn wait_for_leader(&mut self) -> BenchResult<()> {
        let deadline = Instant::now() + STARTUP_DEADLINE;
        loop {
            self.check_alive()?;
            if let Ok(h) = self.client.health().await
                && h.leader == Some(true)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no leader after {STARTUP_DEADLINE:?}; agent log:\n  {}",
                    self.log_tail(20).join("\n  ")
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Samples RSS and CPU once a second for `length`.
    async fn sample_for(&mut self, length: Duration) -> BenchResult<LoadFigures> {
        let tick = clock_ticks_per_sec();
        let begin = Instant::now();
        let first = ProcSample::read(self.pid)?;
        let first_machine = MachineCpu::read()?;
        let mut prev = (Instant::now(), first.cpu_ticks);
        let mut rss = Vec::new();
        let mut cpu_peak: f64 = 0.0;
        let mut threads_peak = first.threads;
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await; // the first tick is immediate
        let last = loop {
            interval.tick().await;
            self.check_alive()?;
            let sample = ProcSample::read(self.pid)?;
            let now = Instant::now();
            let dt = now.duration_since(prev.0).as_secs_f64();
            let pct = (sample.cpu_ticks - prev.1) as f64 / tick / dt * 100.0;
            cpu_peak = cpu_peak.max(pct);
            prev = (now, sample.cpu_ticks);
            rss.push(sample.rss_kib);
            threads_peak = threads_peak.max(sample.threads);
            if begin.elapsed() >= length {
                break sample;
            }
        };
        let elapsed = begin.elapsed().as_secs_f64();
        let machine = MachineCpu::read()?;
        let busy = machine.busy - first_machine.busy;
        let total = machine.total - first_machine.total;
        Ok(LoadFigures {
            rss_mean_kib: rss.iter().sum::<u64>() / rss.len().max(1) as u64,
            rss_peak_kib: rss.iter().copied().max().unwrap_or(0),
            rss_last_kib: last.rss_kib,
            cpu_mean_pct: (last.cpu_ticks - first.cpu_ticks) as f64 / tick / elapsed * 100.0,
            cpu_peak_pct: cpu_peak,
            children_cpu_pct: (last.children_ticks - first.children_ticks) as f64 / tick / elapsed
                * 100.0,
            machine_busy_pct: if total == 0 {
                0.0
            } else {
                busy as f64 / total as f64 * 100.0
            },
            threads_peak,
        })
    }

    /// SIGTERM, then waits (up to [`STOP_DEADLINE`]) for the agent to exit.
    async fn stop(&mut self) -> BenchResult<Stopped> {
        let sent = Instant::now();
        // SAFETY: plain syscall on our own child's pid; it has not been reaped yet.
        if unsafe { libc::kill(self.pid, libc::SIGTERM) } != 0 {
            return Err(format!(
                "kill -TERM {}: {}",
                self.pid,
                std::io::Error::last_os_error()
            ));
        }
        match tokio::time::timeout(STOP_DEADLINE, self.child.wait()).await {
            Ok(Ok(status)) => Ok(Stopped {
                clean: status.code() == Some(0),
                status: status.to_string(),
                took: sent.elapsed(),
            }),
            Ok(Err(e)) => Err(format!("waiting for the agent: {e}")),
            Err(_) => {
                let _ = self.child.kill().await;
                Ok(Stopped {
                    status: format!("no exit within {STOP_DEADLINE:?}: SIGKILLed"),
                    took: sent.elapsed(),
                    clean: false,
                })
            }
        }
    }

    /// The data dir's files and their sizes, e.g. `raft-log.redb 1.2 MiB, state.redb 3.4 MiB`.
    fn data_files(&self) -> String {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("data")) else {
            return "unreadable".into();
        };
        let mut files: Vec<(String, u64)> = entries
            .flatten()
            .filter_map(|e| {
                Some((
                    e.file_name().to_string_lossy().into_owned(),
                    e.metadata().ok()?.len(),
                ))
            })
            .filter(|(_, len)| *len > 1024)
            .collect();
        files.sort();
        files
            .iter()
            .map(|(name, len)| format!("{name} {}", mib(len / 1024)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn log_tail(&self, n: usize) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(n)..]
            .iter()
            .map(|l| l.to_string())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// /proc readings
// ---------------------------------------------------------------------------------------------

/// One reading of the agent's /proc entries.
struct ProcSample {
    rss_kib: u64,
    threads: u64,
    /// utime + stime of the agent (all its threads), in clock ticks.
    cpu_ticks: u64,
    /// cutime + cstime: the job processes the agent has reaped.
    children_ticks: u64,
}

impl ProcSample {
    fn read(pid: i32) -> BenchResult<ProcSample> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
        // Fields after the parenthesised command name, which may itself contain spaces:
        // [0] is field 3 (state), so utime (14) is [11], stime [12], cutime [13], cstime [14].
        let rest = &stat[stat.rfind(')').ok_or("malformed /proc stat")? + 1..];
        let f: Vec<u64> = rest
            .split_whitespace()
            .map(|v| v.parse().unwrap_or(0))
            .collect();
        if f.len() < 15 {
            return Err("malformed /proc stat".into());
        }
        Ok(ProcSample {
            rss_kib: field("VmRSS:"),
            threads: field("Threads:"),
            cpu_ticks: f[11] + f[12],
            children_ticks: f[13] + f[14],
        })
    }
}

/// Whole-machine CPU time from /proc/stat, in clock ticks.
struct MachineCpu {
    busy: u64,
    total: u64,
}

impl MachineCpu {
    fn read() -> BenchResult<MachineCpu> {
        let stat = std::fs::read_to_string("/proc/stat").map_err(|e| format!("/proc/stat: {e}"))?;
        let line = stat.lines().next().ok_or("empty /proc/stat")?;
        // cpu user nice system idle iowait irq softirq steal ...
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .take(8)
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        let total: u64 = v.iter().sum();
        let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
        Ok(MachineCpu {
            busy: total - idle,
            total,
        })
    }
}

fn meminfo_total_kib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn clock_ticks_per_sec() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

struct LoadFigures {
    rss_mean_kib: u64,
    rss_peak_kib: u64,
    rss_last_kib: u64,
    /// Agent CPU time over wall time, in % of one core (200% = both cores of a 2-core box).
    cpu_mean_pct: f64,
    cpu_peak_pct: f64,
    children_cpu_pct: f64,
    machine_busy_pct: f64,
    threads_peak: u64,
}

// ---------------------------------------------------------------------------------------------
// API traffic
// ---------------------------------------------------------------------------------------------

struct Created {
    elapsed: Duration,
    /// Per-request latencies, sorted.
    latencies: Vec<Duration>,
}

/// Runs `op` for every item, `parallel` at a time; the results come back in item order.
async fn for_each_parallel<T, R, F, Fut>(items: &[T], parallel: usize, op: F) -> Vec<R>
where
    T: Clone + Send + Sync + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = R> + Send,
{
    let items: Arc<Vec<T>> = Arc::new(items.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..parallel.min(items.len()) {
        let (items, next, op) = (items.clone(), next.clone(), op.clone());
        workers.spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else {
                    return out;
                };
                out.push((i, op(item.clone()).await));
            }
        });
    }
    let mut all = Vec::with_capacity(items.len());
    while let Some(done) = workers.join_next().await {
        all.extend(done.expect("worker panicked"));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

async fn create_jobs(client: &Client, names: &[String], parallel: usize) -> BenchResult<Created> {
    let begin = Instant::now();
    let client = client.clone();
    let results = for_each_parallel(names, parallel, move |name: String| {
        let client = client.clone();
        async move {
            let job = Job {
                name: name.clone(),
                schedule: format!("@every {INTERVAL_SECS}s"),
                executor: "shell".into(),
                executor_config: [("command".to_string(), "true".to_string())].into(),
                ..Job::default()
            };
            let sent = Instant::now();
            client
                .put_job(&job)
                .await
                .map(|_| sent.elapsed())
                .map_err(|e| format!("creating {name}: {e}"))
        }
    })
    .await;
    let elapsed = begin.elapsed();
    let mut latencies = results.into_iter().collect::<BenchResult<Vec<_>>>()?;
    latencies.sort();
    Ok(Created { elapsed, latencies })
}

async fn fetch_executions(
    client: &Client,
    names: &[String],
    parallel: usize,
) -> BenchResult<HashMap<String, Vec<Execution>>> {
    let client = client.clone();
    let results = for_each_parallel(names, parallel, move |name: String| {
        let client = client.clone();
        async move {
            let executions = client
                .executions(&name)
                .await
                .map_err(|e| format!("executions of {name}: {e}"))?;
            Ok::<_, String>((name, executions))
        }
    })
    .await;
    results.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Judging the executions
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Analysis {
    /// Executions that ran and reported (success or failed) for ticks in the window.
    ran: usize,
    /// `started_at - scheduled_at` of those, sorted.
    lateness: Vec<Duration>,
    /// `finished_at - started_at` of those, sorted.
    run_time: Vec<Duration>,
    failed: usize,
    /// Recorded as launched but still `running` when fetched, at least 5 s after the tick:
    /// for a job that runs `true`, a launch that never ran (or whose result was lost).
    unfinished: usize,
    /// Ticks in the window that should have fired and have no execution at all.
    missing_ticks: usize,
    /// Executions in the window with status `missed`.
    missed_status: usize,
    /// Jobs with no execution whatsoever (each counts as a full window of missing ticks).
    jobs_never_ran: usize,
    /// Extra executions for a (job, tick) pair already launched, over the whole run.
    duplicates: usize,
    /// Executions whose tick is not a whole number of intervals after the job's first tick.
    off_grid: usize,
    /// Per tick instant in the window (all jobs firing at that second): how many ran, and
    /// the lateness of the first and the last of them to start.
    bursts: Vec<Burst>,
}

/// The executions of every job that share one tick instant: `@every` ticks fall on whole
/// seconds, so jobs created within the same second fire together.
struct Burst {
    size: usize,
    first: Duration,
    last: Duration,
}

fn analyse(
    executions: &HashMap<String, Vec<Execution>>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Analysis {
    let interval = chrono::Duration::seconds(INTERVAL_SECS);
    let in_window = |t: DateTime<Utc>| t >= from && t <= to;
    let mut a = Analysis::default();
    for runs in executions.values() {
        // Duplicates: any (job, tick) seen twice, anywhere in the run.
        let mut per_tick: HashMap<DateTime<Utc>, usize> = HashMap::new();
        for e in runs {
            *per_tick.entry(e.scheduled_at).or_default() += 1;
        }
        a.duplicates += per_tick.values().map(|n| n - 1).sum::<usize>();

        let Some(first) = runs.iter().map(|e| e.scheduled_at).min() else {
            a.jobs_never_ran += 1;
            a.missing_ticks += ((to - from).num_seconds() / INTERVAL_SECS) as usize;
            continue;
        };
        // Missing ticks: the grid first + k·interval, inside the window, with no execution.
        let mut tick = first;
        while tick <= to {
            if tick >= from && !per_tick.contains_key(&tick) {
                a.missing_ticks += 1;
            }
            tick += interval;
        }
        for e in runs.iter().filter(|e| in_window(e.scheduled_at)) {
            if (e.scheduled_at - first).num_milliseconds() % (INTERVAL_SECS * 1000) != 0 {
                a.off_grid += 1;
            }
            match e.status {
                ExecutionStatus::Missed => {
                    a.missed_status += 1;
                    continue;
                }
                // Recorded as launched but with no result: its `started_at` is still the
                // tick (a placeholder), so it says nothing about lateness.
                ExecutionStatus::Running => {
                    a.unfinished += 1;
                    continue;
                }
                ExecutionStatus::Failed => a.failed += 1,
                ExecutionStatus::Success => {}
            }
            a.ran += 1;
            a.lateness.push(
                (e.started_at - e.scheduled_at)
                    .to_std()
                    .unwrap_or(Duration::ZERO),
            );
            a.run_time.push(
                (e.finished_at - e.started_at)
                    .to_std()
                    .unwrap_or(Duration::ZERO),
            );
        }
    }
    a.lateness.sort();
    a.run_time.sort();
    a.bursts = bursts(executions, from, to);
    a
}

/// Groups the window's finished executions by tick instant.
fn bursts(
    executions: &HashMap<String, Vec<Execution>>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Burst> {
    let mut by_tick: HashMap<DateTime<Utc>, Vec<Duration>> = HashMap::new();
    let ran = executions.values().flatten().filter(|e| {
        e.scheduled_at >= from
            && e.scheduled_at <= to
            && matches!(e.status, ExecutionStatus::Success | ExecutionStatus::Failed)
    });
    for e in ran {
        let late = (e.started_at - e.scheduled_at)
            .to_std()
            .unwrap_or(Duration::ZERO);
        by_tick.entry(e.scheduled_at).or_default().push(late);
    }
    by_tick
        .into_values()
        .map(|lates| Burst {
            size: lates.len(),
            first: lates.iter().copied().min().unwrap_or_default(),
            last: lates.iter().copied().max().unwrap_or_default(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn ms_num(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0))
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    })
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
