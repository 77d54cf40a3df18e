//! Measuring a run: a process's CPU and memory over time (read through `belfry::telemetry::procfs`), the
//! machine's CPU, percentiles, and the units the benches print figures in.

use std::io;
use std::time::{Duration, Instant};

use belfry::telemetry::procfs::{self, MachineCpu};

/// One reading of a live process's `/proc` entries.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub rss_kib: u64,
    pub threads: u64,
    /// utime + stime (all threads), in clock ticks.
    pub cpu_ticks: u64,
    /// cutime + cstime: the children (job processes) it has reaped.
    pub children_ticks: u64,
}

impl Reading {
    pub fn of(pid: u32) -> io::Result<Reading> {
        let stat = procfs::stat(pid)?;
        let status = procfs::status(pid)?;
        let rss_kib = status.rss_kib.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("process {pid} has no memory: it has exited"),
            )
        })?;
        Ok(Reading {
            rss_kib,
            threads: status.threads,
            cpu_ticks: stat.cpu_ticks(),
            children_ticks: stat.children_cpu_ticks(),
        })
    }
}

/// One process's CPU and memory over a run, from a reading now and then ([`ProcStats::record`]).
#[derive(Debug, Default)]
pub struct ProcStats {
    /// The first and the latest reading, and when they were taken.
    first: Option<(Instant, Reading)>,
    last: Option<(Instant, Reading)>,
    rss_sum_kib: u64,
    readings: u64,
    /// The highest CPU use between two consecutive readings, in % of one core.
    pub cpu_peak_pct: f64,
    pub rss_peak_kib: u64,
    pub rss_last_kib: u64,
    pub threads_peak: u64,
}

impl ProcStats {
    /// Reads `pid`'s `/proc` entries; returns the CPU ticks it used since the previous
    /// reading and the seconds between the two (`None` for the first reading).
    pub fn record(&mut self, pid: u32, now: Instant) -> io::Result<Option<(u64, f64)>> {
        let r = Reading::of(pid)?;
        self.rss_last_kib = r.rss_kib;
        self.rss_peak_kib = self.rss_peak_kib.max(r.rss_kib);
        self.rss_sum_kib += r.rss_kib;
        self.readings += 1;
        self.threads_peak = self.threads_peak.max(r.threads);
        let since = self
            .last
            .map(|(at, prev)| {
                let secs = now.duration_since(at).as_secs_f64();
                (r.cpu_ticks.saturating_sub(prev.cpu_ticks), secs)
            })
            .filter(|(_, secs)| *secs > 0.0);
        if let Some((ticks, secs)) = since {
            self.cpu_peak_pct = self.cpu_peak_pct.max(core_pct(ticks, secs));
        }
        self.first.get_or_insert((now, r));
        self.last = Some((now, r));
        Ok(since)
    }

    /// (own CPU ticks, CPU ticks of the children it reaped, seconds) between the first and the
    /// latest reading.
    pub fn totals(&self) -> (u64, u64, f64) {
        match (self.first, self.last) {
            (Some((t0, a)), Some((t1, b))) => (
                b.cpu_ticks.saturating_sub(a.cpu_ticks),
                b.children_ticks.saturating_sub(a.children_ticks),
                t1.duration_since(t0).as_secs_f64(),
            ),
            _ => (0, 0, 0.0),
        }
    }

    /// The process's own CPU time between the first and the latest reading, in % of one core.
    pub fn cpu_mean_pct(&self) -> f64 {
        let (own, _, secs) = self.totals();
        core_pct(own, secs)
    }

    /// The CPU time of the children it reaped, in % of one core, likewise.
    pub fn children_cpu_pct(&self) -> f64 {
        let (_, children, secs) = self.totals();
        core_pct(children, secs)
    }

    /// The mean resident memory over all readings.
    pub fn rss_mean_kib(&self) -> u64 {
        self.rss_sum_kib / self.readings.max(1)
    }
}

/// `ticks` of CPU time over `secs` of wall time, in % of one core (200 % is two cores busy);
/// 0 when no time passed.
pub fn core_pct(ticks: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        ticks as f64 / procfs::clock_ticks_per_second() / secs * 100.0
    } else {
        0.0
    }
}

/// The share of all the machine's CPU time that was busy between two readings, 0 to 1.
pub fn busy_share(before: MachineCpu, after: MachineCpu) -> f64 {
    let total = after.total.saturating_sub(before.total);
    if total == 0 {
        0.0
    } else {
        after.busy.saturating_sub(before.busy) as f64 / total as f64
    }
}

/// The CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Nearest-rank percentile of sorted values (`p` from 0 to 1); `None` when there are none.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Milliseconds with one decimal, `-` for none: for `RESULT` lines.
pub fn ms_num(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0))
}

/// Milliseconds with one decimal and the unit, `-` for none.
pub fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    })
}

/// KiB as MiB with one decimal and the unit.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
