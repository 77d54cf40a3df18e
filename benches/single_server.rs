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
//! A long run (`BELFRY_BENCH_SECS` >= 600) also shows whether memory stays flat: the mean RSS
//! of every whole 5-minute window of the run, and `rss_flat_pct`, the largest deviation of a
//! window's mean from the mean of all windows after a 10-minute warm-up, in % (the goal is
//! within ±10 %; it is reported, not judged). Unless `BELFRY_BENCH_HISTORY` says otherwise,
//! the agent keeps every execution of the run (`--history-limit` above the run's ticks per
//! job), so part of any growth is that history.
//!
//! It exits non-zero if any tick was missed, duplicated or never ran, if the agent did not stop
//! cleanly, or if the run itself failed (agent died, API errors).
//!
//! Run it (release build; the bench profile):
//!
//! ```text
//! cargo bench -p belfry-cli --bench single_server
//! BELFRY_BENCH_JOBS=5000 BELFRY_BENCH_SECS=60 cargo bench -p belfry-cli --bench single_server
//! BELFRY_BENCH_SECS=3600 cargo bench -p belfry-cli --bench single_server    # RSS over an hour
//! BELFRY_BENCH_HISTORY=100 BELFRY_BENCH_SECS=4500 cargo bench -p belfry-cli --bench single_server
//! ```
//!
//! `BELFRY_BENCH_HISTORY=N` gives the agent `--history-limit N` (at least 70) instead of keeping
//! every run; only the ticks the history still holds at the end are judged.
//!
//! The benchmark shares the machine with the agent; it stays idle (one /proc read a second)
//! while the jobs run, and only creates and fetches jobs outside the measurement window.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use belfry::model::{Execution, ExecutionStatus};
use belfry::telemetry::procfs;
use chrono::{DateTime, Utc};

#[path = "../tests/kit/mod.rs"]
#[allow(dead_code, unused_imports)] // each bench uses part of the kit
mod kit;

use kit::{
    Deadlines, Node, ProcStats, Reading, busy_share, create_jobs, fetch_executions, mib, ms,
    ms_num, percentile, setting, true_job,
};

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
/// From this run length on, the RSS per window and its flatness are reported.
const LONG_RUN_SECS: u64 = 600;
/// The RSS windows, and the warm-up left out of the flatness figure.
const RSS_WINDOW_SECS: u64 = 300;
const RSS_WARM_UP_SECS: u64 = 600;
/// Executions kept per job beyond the run's own ticks: fetching takes a while after the run
/// (1000 jobs × 740 executions), and the jobs go on ticking meanwhile; 60 ticks (300 s) more
/// keep the oldest tick of the judged window in every job's history until it is read.
const HISTORY_MARGIN_TICKS: u64 = 60;
/// Creating all the jobs, or fetching all their executions, and any one request of those.
const DEADLINES: Deadlines = Deadlines {
    request: Duration::from_secs(30),
    bulk: Duration::from_secs(3600),
};

type BenchResult<T> = Result<T, String>;

/// What the run is asked to do, from the environment.
struct Settings {
    jobs: usize,
    secs: u64,
    parallel: usize,
    /// `--history-limit` given to the agent; 0 keeps every execution of the run.
    history: u64,
}

impl Settings {
    fn from_env() -> BenchResult<Settings> {
        let s = Settings {
            jobs: setting("BELFRY_BENCH_JOBS", 1000)?,
            secs: setting("BELFRY_BENCH_SECS", 60)?,
            parallel: setting("BELFRY_BENCH_PARALLEL", 16)?,
            history: setting("BELFRY_BENCH_HISTORY", 0)?,
        };
        if s.history != 0 && s.history < HISTORY_MARGIN_TICKS + 10 {
            return Err(format!(
                "BELFRY_BENCH_HISTORY must be 0 (keep every run) or at least {}",
                HISTORY_MARGIN_TICKS + 10
            ));
        }
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
    kit::run_bench("single_server", Settings::from_env(), |s| async move {
        run(&s).await
    })
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
        procfs::mem_total_kib().unwrap_or(0) / 1024
    );

    // 1. Start the agent and wait for leadership.
    // Keep every execution of the run unless told otherwise (the default keeps 100 per job).
    let history = match s.history {
        0 => (s.secs / INTERVAL_SECS as u64 + HISTORY_MARGIN_TICKS).max(100),
        n => n,
    }
    .to_string();
    let mut agent = Node::prepare("bench", true, &["--history-limit", &history]);
    // The default configuration: the node makes its own cluster key.
    agent.key = None;
    agent.log_level = "warn".into();
    agent.try_spawn()?;
    let started = Instant::now();
    agent.try_wait_leader(STARTUP_DEADLINE).await?;
    let client = agent.client();
    println!(
        "startup:  leader after {:.2} s (pid {}, http {})",
        started.elapsed().as_secs_f64(),
        agent.pid(),
        client.base()
    );

    // 2. Idle memory, once start-up work has settled.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_rss = Reading::of(agent.pid()).map_err(|e| e.to_string())?.rss_kib;
    println!("idle:     RSS {}", mib(idle_rss));

    // 3. Create the jobs.
    let names: Vec<String> = (0..s.jobs).map(|i| format!("bench-{i:05}")).collect();
    let schedule = format!("@every {INTERVAL_SECS}s");
    let jobs: Vec<_> = names.iter().map(|n| true_job(n, &schedule)).collect();
    let created = create_jobs(&client, &jobs, s.parallel, DEADLINES).await?;
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
    let load = sample_for(&mut agent, Duration::from_secs(s.secs)).await?;
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

    // Memory over a long run: flat, or growing?
    let rss_windows = rss_windows(&load.rss_samples);
    let rss_flat_pct = rss_flatness(&rss_windows);
    if s.secs >= LONG_RUN_SECS {
        println!(
            "RSS per {} min (mean of each whole window): {}",
            RSS_WINDOW_SECS / 60,
            rss_windows
                .iter()
                .map(|kib| format!("{:.1}", *kib as f64 / 1024.0))
                .collect::<Vec<_>>()
                .join(" / ")
                + " MiB"
        );
        println!(
            "RSS flat: {} (largest deviation of a window's mean from the mean of the windows \
             after the first {} min; goal within ±10 %)",
            rss_flat_pct.map_or("- (no whole window after the warm-up)".into(), |p| format!(
                "{p:.1} %"
            )),
            RSS_WARM_UP_SECS / 60
        );
    }

    // 5. Fetch and judge every job's executions.
    let fetch_started = Instant::now();
    let executions = fetch_executions(&client, &names, s.parallel, DEADLINES).await?;
    let fetched: usize = executions.values().map(Vec::len).sum();
    println!(
        "fetch:    {fetched} executions of {} jobs in {:.2} s",
        names.len(),
        fetch_started.elapsed().as_secs_f64()
    );
    // A bounded history has let the oldest runs go: only the ticks it still holds are judged
    // (less the margin that keeps them held while the fetch runs).
    let kept_from = match s.history {
        0 => t_start,
        n => t_end - chrono::Duration::seconds((n - HISTORY_MARGIN_TICKS) as i64 * INTERVAL_SECS),
    };
    let window = (
        t_start.max(kept_from) + chrono::Duration::from_std(EDGE).expect("small"),
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
    let stop = stop(&mut agent).await;
    println!(
        "stop:     SIGTERM → {} after {:.2} s",
        stop.status,
        stop.took.as_secs_f64()
    );
    println!("data dir: {}", data_files(&agent.data_dir()));
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
         cpu_pct={:.1} create_s={:.2} stop_s={:.2} exit={} rss_flat_pct={}",
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
        match rss_flat_pct {
            Some(p) if s.secs >= LONG_RUN_SECS => format!("{p:.1}"),
            _ => "-".into(),
        },
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

/// Fails if the agent has exited, with the end of its log.
fn check_alive(agent: &mut Node) -> BenchResult<()> {
    match agent.exit_status() {
        None => Ok(()),
        Some(status) => Err(format!(
            "the agent exited unexpectedly ({status}); its log ends with:\n  {}",
            agent.log_tail(20).join("\n  ")
        )),
    }
}

/// Samples the agent's RSS and CPU, and the machine's CPU, once a second for `length`.
async fn sample_for(agent: &mut Node, length: Duration) -> BenchResult<LoadFigures> {
    let pid = agent.pid();
    let begin = Instant::now();
    let mut stats = ProcStats::default();
    stats.record(pid, begin).map_err(|e| e.to_string())?;
    // Every reading, for the RSS per window (an hour is 3600 of them).
    let mut rss_samples = vec![(Duration::ZERO, stats.rss_last_kib)];
    let first_machine = procfs::machine_cpu().map_err(|e| e.to_string())?;
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await; // the first tick is immediate
    loop {
        interval.tick().await;
        check_alive(agent)?;
        let now = Instant::now();
        stats.record(pid, now).map_err(|e| e.to_string())?;
        rss_samples.push((now.duration_since(begin), stats.rss_last_kib));
        if begin.elapsed() >= length {
            break;
        }
    }
    let machine = procfs::machine_cpu().map_err(|e| e.to_string())?;
    Ok(LoadFigures {
        rss_mean_kib: stats.rss_mean_kib(),
        rss_peak_kib: stats.rss_peak_kib,
        rss_last_kib: stats.rss_last_kib,
        cpu_mean_pct: stats.cpu_mean_pct(),
        cpu_peak_pct: stats.cpu_peak_pct,
        children_cpu_pct: stats.children_cpu_pct(),
        machine_busy_pct: busy_share(first_machine, machine) * 100.0,
        threads_peak: stats.threads_peak,
        rss_samples,
    })
}

/// The mean RSS of each whole [`RSS_WINDOW_SECS`] window of the samples (offset, KiB); a last
/// window the run did not fill is left out.
fn rss_windows(samples: &[(Duration, u64)]) -> Vec<u64> {
    let Some(&(last, _)) = samples.last() else {
        return Vec::new();
    };
    let whole = last.as_secs() / RSS_WINDOW_SECS;
    let mut sums = vec![(0u64, 0u64); whole as usize];
    for (at, kib) in samples {
        if let Some(w) = sums.get_mut((at.as_secs() / RSS_WINDOW_SECS) as usize) {
            w.0 += kib;
            w.1 += 1;
        }
    }
    sums.iter().map(|(sum, n)| sum / (*n).max(1)).collect()
}

/// Over the windows after the warm-up: the largest deviation of one window's mean from the
/// mean of those windows, in %; `None` when no whole window follows the warm-up.
fn rss_flatness(windows: &[u64]) -> Option<f64> {
    let after = windows.get((RSS_WARM_UP_SECS / RSS_WINDOW_SECS) as usize..)?;
    if after.is_empty() {
        return None;
    }
    let mean = after.iter().sum::<u64>() as f64 / after.len() as f64;
    after
        .iter()
        .map(|kib| (*kib as f64 - mean).abs() / mean * 100.0)
        .max_by(f64::total_cmp)
}

/// How the agent stopped.
struct Stopped {
    status: String,
    took: Duration,
    /// Exited by itself, with code 0, within the deadline.
    clean: bool,
}

/// SIGTERM, then waits (up to [`STOP_DEADLINE`]) for the agent to exit.
async fn stop(agent: &mut Node) -> Stopped {
    let sent = Instant::now();
    agent.signal(libc::SIGTERM);
    match agent.wait_exit(STOP_DEADLINE).await {
        Ok(status) => Stopped {
            clean: status.code() == Some(0),
            status: status.to_string(),
            took: sent.elapsed(),
        },
        Err(e) => Stopped {
            status: e,
            took: sent.elapsed(),
            clean: false,
        },
    }
}

/// The data dir's files and their sizes, e.g. `raft-log.redb 1.2 MiB, state.redb 3.4 MiB`.
fn data_files(dir: &std::path::Path) -> String {
    let Ok(entries) = std::fs::read_dir(dir) else {
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
    /// Every RSS reading: its offset from the start of the load, and KiB.
    rss_samples: Vec<(Duration, u64)>,
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
