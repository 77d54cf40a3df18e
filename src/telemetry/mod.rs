//! Telemetry: the process's event counters, at the bottom of the layers.
//!
//! Launches are applied, runs started and requests refused deep inside modules that share no
//! context, and each node is its own process: so the counters are one static [`Registry`], which
//! any layer may bump (like a `tracing` call) without knowing who reads it. Reading and
//! rendering them (`GET /metrics`, with the state they are shown beside) sits at the top, in
//! `api::metrics`. Nothing here imports another module of the crate.

pub mod code_pages;
pub mod heap;
pub mod procfs;

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub const fn new() -> Counter {
        Counter(AtomicU64::new(0))
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A histogram with fixed upper bounds; observations above the last bound count only in `+Inf`.
#[derive(Debug)]
pub struct Histogram<const N: usize> {
    bounds: [f64; N],
    /// Per-bucket (not cumulative) counts.
    buckets: [AtomicU64; N],
    count: AtomicU64,
    /// The sum of the observations, as `f64` bits.
    sum: AtomicU64,
}

/// A histogram read at one moment: cumulative buckets, as the format wants them.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum: f64,
}

impl<const N: usize> Histogram<N> {
    pub const fn new(bounds: [f64; N]) -> Self {
        Histogram {
            bounds,
            buckets: [const { AtomicU64::new(0) }; N],
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, value: f64) {
        // The total first, then the bucket: a scrape reading buckets before the total then
        // never sees a bucket above `+Inf`.
        self.count.fetch_add(1, Ordering::SeqCst);
        if let Some(i) = self.bounds.iter().position(|b| value <= *b) {
            self.buckets[i].fetch_add(1, Ordering::SeqCst);
        }
        let _ = self
            .sum
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |bits| {
                Some((f64::from_bits(bits) + value).to_bits())
            });
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = 0;
        let buckets = self
            .bounds
            .iter()
            .zip(&self.buckets)
            .map(|(bound, n)| {
                cumulative += n.load(Ordering::SeqCst);
                (*bound, cumulative)
            })
            .collect();
        HistogramSnapshot {
            buckets,
            count: self.count.load(Ordering::SeqCst),
            sum: f64::from_bits(self.sum.load(Ordering::SeqCst)),
        }
    }
}

/// Upper bounds of the lateness histogram, in seconds: from a healthy dispatch (tens of
/// milliseconds) to a tick caught up minutes late.
const LATENESS_BOUNDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// The process's event counters.
#[derive(Debug)]
pub struct Registry {
    pub launches: [Counter; 4],
    pub missed: Counter,
    pub missed_unrecorded: Counter,
    pub skipped: [Counter; 6],
    pub lateness: Histogram<14>,
    /// Mutating API requests by [`MUTATION_RESULTS`].
    pub api_mutations: [Counter; 4],
    /// Connections closed unserved by a connection cap: HTTP API, internal RPC.
    pub connections_refused: [Counter; 2],
}

/// The `result` label of `belfry_api_mutations_total`: answered 2xx; refused for a missing or
/// invalid token (401); refused for a missing permission (403); any other error.
pub const MUTATION_RESULTS: [&str; 4] = ["success", "unauthorized", "forbidden", "failed"];

/// The `result` label for a mutating request answered with `status`.
pub fn mutation_result(status: u16) -> &'static str {
    match status {
        200..=299 => "success",
        401 => "unauthorized",
        403 => "forbidden",
        _ => "failed",
    }
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

static GLOBAL: Registry = Registry::new();

/// The registry of this process.
pub fn global() -> &'static Registry {
    &GLOBAL
}

impl Registry {
    pub const fn new() -> Registry {
        Registry {
            launches: [const { Counter::new() }; 4],
            missed: Counter::new(),
            missed_unrecorded: Counter::new(),
            skipped: [const { Counter::new() }; 6],
            lateness: Histogram::new(LATENESS_BOUNDS),
            api_mutations: [const { Counter::new() }; 4],
            connections_refused: [const { Counter::new() }; 2],
        }
    }

    /// Counts one mutating API request by its answer's status.
    pub fn api_mutation(&self, status: u16) {
        let result = mutation_result(status);
        if let Some(i) = MUTATION_RESULTS.iter().position(|r| *r == result) {
            self.api_mutations[i].add(1);
        }
    }

    /// Adds what a committed batch of state-machine entries launched.
    /// (`launched` by kind and `skipped` by reason, in the order the state machine's tally
    /// keeps them: `state::tally`.)
    pub fn add_applied(&self, launched: [u64; 4], missed: u64, skipped: [u64; 6]) {
        for (counter, n) in self.launches.iter().zip(launched) {
            counter.add(n);
        }
        self.missed.add(missed);
        for (counter, n) in self.skipped.iter().zip(skipped) {
            counter.add(n);
        }
    }

    /// Missed ticks the leader did not record one by one (beyond the per-job history limit in
    /// one catch-up); counted by the leader that planned them.
    pub fn missed_unrecorded(&self, n: u64) {
        self.missed_unrecorded.add(n);
    }

    /// A run started on this node: `due` is the instant it was launched for (the tick, a
    /// retry's or dependent run's due time, a manual run's request), `started` when its
    /// process started. A start before `due` (clocks apart) counts as on time.
    pub fn run_started(&self, due: DateTime<Utc>, started: DateTime<Utc>) {
        let late = (started - due).to_std().unwrap_or_default();
        self.lateness.observe(late.as_secs_f64());
    }

    /// A connection to `listener` ("http" or "rpc") was closed because a cap was reached.
    pub fn connection_refused(&self, listener: &str) {
        let i = usize::from(listener != "http");
        self.connections_refused[i].add(1);
    }

    /// Launches of kind number `kind` (`state::tally::LaunchLabel as usize`).
    pub fn launches(&self, kind: usize) -> u64 {
        self.launches[kind].get()
    }
}
