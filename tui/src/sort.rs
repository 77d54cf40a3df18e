//! Sorting the panes' rows: what each pane can be sorted by, and the orders. Every key has a
//! natural direction, the one an operator in trouble wants first (worst status, most
//! failures, latest launches, soonest next run, newest execution); `S` reverses it.

use std::cmp::Ordering;

use belfry_client::model::ExecutionStatus;
use chrono::Duration;

use crate::state::{Event, Level, NodeRow, Pane, Run, Sort, SortKey, State};

/// A job's status, worst first.
fn job_status_rank(status: &str, disabled: bool) -> u8 {
    match status {
        _ if disabled => 5,
        "failed" => 0,
        "partially_failed" => 1,
        "running" => 2,
        "success" => 3,
        _ => 4,
    }
}

fn run_status_rank(s: ExecutionStatus) -> u8 {
    match s {
        ExecutionStatus::Failed => 0,
        ExecutionStatus::Missed => 1,
        ExecutionStatus::Running => 2,
        ExecutionStatus::Success => 3,
    }
}

/// How late a run was launched: its start minus the tick it was for. Retries start late by
/// design and do not count.
pub fn launch_lateness(r: &Run) -> Option<Duration> {
    (r.attempt <= 1 && r.status != ExecutionStatus::Missed)
        .then(|| (r.started_at - r.scheduled_at).max(Duration::zero()))
}

impl State {
    /// The worst launch lateness of `job` over the hour before its runs were read, or how
    /// long its next run is overdue, whichever is more.
    pub fn job_lateness(&self, i: usize) -> Duration {
        let j = &self.jobs[i];
        let mut worst = Duration::zero();
        if let Some((at, runs)) = self.runs.get(&j.name) {
            let hour_ago = *at - Duration::hours(1);
            for r in runs.iter().filter(|r| r.started_at >= hour_ago) {
                worst = worst.max(launch_lateness(r).unwrap_or_default());
            }
        }
        if let Some(overdue) = self.overdue(i) {
            worst = worst.max(overdue);
        }
        worst
    }

    /// How long the next run of `self.jobs[i]` is past due, as of the jobs read (not when
    /// launches are stopped: that is said once, in the header).
    pub fn overdue(&self, i: usize) -> Option<Duration> {
        let j = &self.jobs[i];
        let at = self.jobs_at?;
        if j.disabled || belfry_client::model::is_zero_time(&j.next) {
            return None;
        }
        (at > j.next).then(|| at - j.next)
    }

    pub fn sort_of(&self, pane: Pane) -> Sort {
        self.ui.sort[pane.index()]
    }

    pub(crate) fn sort_jobs(&self, indices: &mut [usize]) {
        let sort = self.sort_of(Pane::Jobs);
        let jobs = &self.jobs;
        let by_name = |a: usize, b: usize| jobs[a].name.cmp(&jobs[b].name);
        match sort.key {
            SortKey::Status => indices.sort_by(|&a, &b| {
                let rank = |i: usize| {
                    let failed = self.hour_stats.get(&jobs[i].name).map_or(0, |h| h.failed);
                    (
                        job_status_rank(&jobs[i].status, jobs[i].disabled),
                        std::cmp::Reverse(failed),
                    )
                };
                sort.apply(rank(a).cmp(&rank(b)).then_with(|| by_name(a, b)))
            }),
            SortKey::Failures => indices.sort_by(|&a, &b| {
                let failures = |i: usize| {
                    let hour = self.hour_stats.get(&jobs[i].name).map_or(0, |h| h.failed);
                    (hour, jobs[i].error_count)
                };
                sort.apply(failures(b).cmp(&failures(a)).then_with(|| by_name(a, b)))
            }),
            SortKey::Lateness => {
                // Computed once per job, not once per comparison.
                let mut keyed: Vec<(Duration, usize)> =
                    indices.iter().map(|&i| (self.job_lateness(i), i)).collect();
                keyed.sort_by(|(la, a), (lb, b)| {
                    sort.apply(lb.cmp(la).then_with(|| by_name(*a, *b)))
                });
                for (slot, (_, i)) in indices.iter_mut().zip(keyed) {
                    *slot = i;
                }
            }
            SortKey::NextRun => indices.sort_by(|&a, &b| {
                let next = |i: usize| {
                    let j = &jobs[i];
                    let none = j.disabled || belfry_client::model::is_zero_time(&j.next);
                    (none, j.next)
                };
                sort.apply(next(a).cmp(&next(b)).then_with(|| by_name(a, b)))
            }),
            _ => indices.sort_by(|&a, &b| sort.apply(by_name(a, b))),
        }
    }

    pub(crate) fn sort_nodes(&self, rows: &mut [NodeRow]) {
        let sort = self.sort_of(Pane::Nodes);
        let backlog = |r: &NodeRow| {
            self.cluster
                .as_ref()
                .and_then(|c| c.health.launch_backlog.get(&r.name).copied())
                .unwrap_or(0)
        };
        let status = |r: &NodeRow| match (&r.server, r.alive) {
            (_, false) => 0,
            (Some(s), true) if !s.healthy => 1,
            _ => 2,
        };
        let lag = |r: &NodeRow| r.server.as_ref().and_then(|s| s.log_lag).unwrap_or(0);
        let clock = |r: &NodeRow| {
            r.server
                .as_ref()
                .and_then(|s| s.clock_offset_ms)
                .map_or(0, |o| o.unsigned_abs())
        };
        rows.sort_by(|a, b| {
            let ord = match sort.key {
                SortKey::Status => status(a).cmp(&status(b)),
                SortKey::Role => (a.role as u8).cmp(&(b.role as u8)),
                SortKey::Lag => lag(b).cmp(&lag(a)),
                SortKey::Clock => clock(b).cmp(&clock(a)),
                SortKey::Backlog => backlog(b).cmp(&backlog(a)),
                _ => Ordering::Equal,
            };
            sort.apply(ord.then_with(|| a.name.cmp(&b.name)))
        });
    }

    pub(crate) fn sort_feed(&self, runs: &mut [&Run]) {
        let sort = self.sort_of(Pane::Executions);
        let took = |r: &Run| r.finished_at.map(|f| f - r.started_at);
        let newest = |a: &Run, b: &Run| b.when().cmp(&a.when());
        // The feed is newest first already: only other keys sort.
        if sort == Sort::default_of(Pane::Executions) {
            return;
        }
        runs.sort_by(|a, b| {
            let ord = match sort.key {
                SortKey::Status => run_status_rank(a.status).cmp(&run_status_rank(b.status)),
                SortKey::Lateness => launch_lateness(b).cmp(&launch_lateness(a)),
                SortKey::Name => a.job.cmp(&b.job),
                SortKey::Node => a.node.cmp(&b.node),
                SortKey::Duration => took(b).cmp(&took(a)),
                _ => Ordering::Equal,
            };
            sort.apply(ord.then_with(|| newest(a, b)))
        });
    }

    pub(crate) fn sort_events(&self, events: &mut [&Event]) {
        let sort = self.sort_of(Pane::Events);
        let rank = |l: Level| match l {
            Level::Bad => 0,
            Level::Warn => 1,
            Level::Info => 2,
            Level::Good => 3,
        };
        if sort == Sort::default_of(Pane::Events) {
            return;
        }
        events.sort_by(|a, b| {
            let ord = match sort.key {
                SortKey::Level => rank(a.level).cmp(&rank(b.level)),
                _ => Ordering::Equal,
            };
            sort.apply(ord.then_with(|| b.at.cmp(&a.at)))
        });
    }
}
