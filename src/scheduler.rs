//! The leader's launch loop: finds the ticks that are due, records them through Raft, and only
//! then hands them to the runner (design.md §4).
//!
//! Launches due together are committed as one Raft entry. The state machine keeps, per job,
//! the newest tick ever launched, so a tick is launched at most once whatever happens to this
//! process or this leadership. Ticks that came due while nothing could launch them (the node
//! was down, no leader) follow the catch-up policy: the most recent one still runs if it is
//! younger than [`CATCHUP_WINDOW`]; the others are recorded as `missed`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::consensus::{Raft, StateMachine};
use crate::model::{Execution, Job};
use crate::runner::{Finished, ResultSink, Runner};
use crate::schedule::Schedule;
use crate::state::{Command, JobRecord, Launch, LaunchKind, LaunchOutcome, Reader, Response};

/// How late a tick may still run.
pub const CATCHUP_WINDOW: chrono::Duration = chrono::Duration::seconds(60);

/// How many ticks are walked when catching up a single job, at most.
const MAX_TICKS_WALKED: usize = 100_000;

/// What to do with one job's due ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct TickPlan {
    /// Ticks to record as missed, oldest first (the newest `keep_missed` at most).
    pub missed: Vec<DateTime<Utc>>,
    /// Missed ticks not listed in `missed` (beyond `keep_missed`, or beyond the walk limit).
    pub missed_unlisted: u64,
    /// The tick to run now, if any.
    pub run: Option<DateTime<Utc>>,
    /// The next tick after those handled here.
    pub next: Option<DateTime<Utc>>,
}

/// Plans a job whose tick `due` has come (`due <= now`): every tick up to `now` is either
/// run (the newest, if within the catch-up window) or recorded as missed. Pure, for testing.
pub fn plan_ticks(
    schedule: &Schedule,
    anchor: DateTime<Utc>,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    keep_missed: usize,
) -> TickPlan {
    let mut ticks = std::collections::VecDeque::new();
    let mut unlisted = 0u64;
    let mut t = Some(due);
    let mut walked = 0;
    let window_start = now - CATCHUP_WINDOW;
    while let Some(tick) = t {
        if tick > now {
            break;
        }
        walked += 1;
        if walked > MAX_TICKS_WALKED && tick < window_start {
            // Too many to walk one by one: jump to the window and count the rest as unlisted.
            unlisted += 1;
            t = schedule.next_after(window_start, anchor);
            continue;
        }
        ticks.push_back(tick);
        if ticks.len() > keep_missed + 1 {
            ticks.pop_front();
            unlisted += 1;
        }
        t = schedule.next_after(tick, anchor);
    }
    let next = t;
    let newest = ticks.pop_back();
    let (run, extra_missed) = match newest {
        Some(tick) if now - tick <= CATCHUP_WINDOW => (Some(tick), None),
        Some(tick) => (None, Some(tick)),
        None => (None, None),
    };
    let mut missed: Vec<_> = ticks.into_iter().collect();
    missed.extend(extra_missed);
    while missed.len() > keep_missed {
        missed.remove(0);
        unlisted += 1;
    }
    TickPlan {
        missed,
        missed_unlisted: unlisted,
        run,
        next,
    }
}

struct Planned {
    job: Job,
    schedule: Schedule,
    anchor: DateTime<Utc>,
    fingerprint: (String, String, DateTime<Utc>),
    due: Option<DateTime<Utc>>,
}

/// The leader-only launch loop. Built when this node becomes leader, dropped when it stops.
pub struct Scheduler {
    pub raft: Raft,
    pub state: StateMachine,
    pub runner: Runner,
    pub node: String,
    pub history_limit: u32,
    pub results: ResultSink,
}

impl Scheduler {
    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut jobs_changed = self.state.jobs_changed();
        let mut dirty = true;
        let mut first_sync = true;
        self.close_interrupted();
        let mut plan: HashMap<String, Planned> = HashMap::new();
        let mut heap: BinaryHeap<Reverse<(DateTime<Utc>, String)>> = BinaryHeap::new();
        loop {
            if dirty || jobs_changed.has_changed().unwrap_or(false) {
                jobs_changed.mark_unchanged();
                let changes = self.state.take_job_changes();
                let result = if first_sync || changes.all {
                    first_sync = false;
                    self.resync(&mut plan, &mut heap)
                } else {
                    self.refresh(&changes.names, &mut plan, &mut heap)
                };
                dirty = false;
                if let Err(e) = result {
                    tracing::error!("scheduler cannot read jobs: {e}");
                    first_sync = true;
                }
            }
            // Drop heap entries that no longer match the plan (job changed or deleted).
            while let Some(Reverse((due, name))) = heap.peek() {
                if plan.get(name).and_then(|p| p.due) == Some(*due) {
                    break;
                }
                heap.pop();
            }
            let wait = match heap.peek() {
                Some(Reverse((due, _))) => (*due - Utc::now()).to_std().unwrap_or(Duration::ZERO),
                None => Duration::from_secs(3600),
            };
            if !wait.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = jobs_changed.changed() => {
                        dirty = true;
                        continue;
                    }
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
            if *stop.borrow() {
                return;
            }
            let now = Utc::now();
            let mut launches = Vec::new();
            let mut jobs_in_batch = HashMap::new();
            while let Some(Reverse((due, name))) = heap.peek().cloned() {
                if due > now {
                    break;
                }
                heap.pop();
                let Some(p) = plan.get_mut(&name) else {
                    continue;
                };
                if p.due != Some(due) {
                    continue;
                }
                let tp = plan_ticks(&p.schedule, p.anchor, due, now, self.history_limit as usize);
                if tp.missed_unlisted > 0 || !tp.missed.is_empty() {
                    tracing::warn!(
                        job = %name,
                        missed = tp.missed.len() as u64 + tp.missed_unlisted,
                        "ticks missed while nothing could launch them"
                    );
                }
                for tick in &tp.missed {
                    launches.push(Launch {
                        job: name.clone(),
                        scheduled_at: *tick,
                        node: self.node.clone(),
                        kind: LaunchKind::Missed,
                    });
                }
                if let Some(tick) = tp.run {
                    launches.push(Launch {
                        job: name.clone(),
                        scheduled_at: tick,
                        node: self.node.clone(),
                        kind: LaunchKind::Scheduled,
                    });
                }
                jobs_in_batch.insert(name.clone(), p.job.clone());
                let expires = p.job.expires_at;
                p.due = tp.next.filter(|t| expires.is_none_or(|e| *t <= e));
                if let Some(next) = p.due {
                    heap.push(Reverse((next, name)));
                }
            }
            if launches.is_empty() {
                continue;
            }
            let command = Command::Launch {
                launches,
                history_limit: self.history_limit,
            };
            // Retry until committed or no longer leader: the ledger makes a retry harmless.
            let outcomes = loop {
                match self.raft.client_write(command.clone()).await {
                    Ok(resp) => match resp.data {
                        Response::Launched(outcomes) => break Some(outcomes),
                        other => {
                            tracing::error!(?other, "unexpected launch response");
                            break None;
                        }
                    },
                    Err(e) => {
                        tracing::warn!("launch not committed, retrying: {e}");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                            _ = stop.wait_for(|s| *s) => return,
                        }
                    }
                }
            };
            for outcome in outcomes.into_iter().flatten() {
                match outcome {
                    LaunchOutcome::Started(execution) => {
                        if let Some(job) = jobs_in_batch.get(&execution.job_name) {
                            drop(self.runner.start(job.clone(), *execution));
                        }
                    }
                    LaunchOutcome::Skipped { job, reason } => {
                        tracing::debug!(%job, ?reason, "tick skipped");
                    }
                    LaunchOutcome::Missed(_) => {}
                }
            }
        }
    }

    fn resync(
        &self,
        plan: &mut HashMap<String, Planned>,
        heap: &mut BinaryHeap<Reverse<(DateTime<Utc>, String)>>,
    ) -> Result<(), String> {
        let records = self.read(|r| r.jobs())?;
        let mut seen = std::collections::HashSet::new();
        for record in records {
            seen.insert(record.job.name.clone());
            self.plan_job(record, plan, heap);
        }
        plan.retain(|name, _| seen.contains(name));
        Ok(())
    }

    /// Re-plans only the named jobs (created, changed, toggled or deleted).
    fn refresh(
        &self,
        names: &std::collections::BTreeSet<String>,
        plan: &mut HashMap<String, Planned>,
        heap: &mut BinaryHeap<Reverse<(DateTime<Utc>, String)>>,
    ) -> Result<(), String> {
        let records = self.read(|r| {
            names
                .iter()
                .map(|n| Ok((n.clone(), r.job(n)?)))
                .collect::<Result<Vec<_>, _>>()
        })?;
        for (name, record) in records {
            match record {
                Some(record) => self.plan_job(record, plan, heap),
                None => {
                    plan.remove(&name);
                }
            }
        }
        Ok(())
    }

    fn plan_job(
        &self,
        record: JobRecord,
        plan: &mut HashMap<String, Planned>,
        heap: &mut BinaryHeap<Reverse<(DateTime<Utc>, String)>>,
    ) {
        let name = record.job.name.clone();
        if record.job.schedule.is_empty() || record.job.disabled {
            plan.remove(&name);
            return;
        }
        let fingerprint = (
            record.job.schedule.clone(),
            record.job.timezone.clone(),
            record.anchor,
        );
        if let Some(p) = plan.get_mut(&name)
            && p.fingerprint == fingerprint
        {
            p.job = record.job;
            return;
        }
        let schedule =
            match Schedule::parse(&record.job.schedule, Some(&record.job.timezone), &name) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(job = %name, "stored schedule no longer parses: {e}");
                    plan.remove(&name);
                    return;
                }
            };
        // Ticks before `starts_at` or after `expires_at` would only be refused: skip them here
        // rather than commit a refusal per tick.
        let mut cursor = record.cursor();
        if let Some(starts) = record.job.starts_at {
            cursor = cursor.max(starts - chrono::Duration::nanoseconds(1));
        }
        let due = schedule
            .next_after(cursor, record.anchor)
            .filter(|t| record.job.expires_at.is_none_or(|e| *t <= e));
        if let Some(due) = due {
            heap.push(Reverse((due, name.clone())));
        }
        plan.insert(
            name,
            Planned {
                job: record.job,
                schedule,
                anchor: record.anchor,
                fingerprint,
                due,
            },
        );
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Reader) -> Result<T, crate::state::StateError>,
    ) -> Result<T, String> {
        self.state.read(f).map_err(|e| e.to_string())
    }

    /// Executions recorded as running on this node that this process is not running were cut
    /// short by a crash or kill: close them as failed, with the reason, rather than leave
    /// them running forever. Their ticks are not run again.
    fn close_interrupted(&self) {
        let running = match self.read(|r| r.running()) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("cannot read running executions: {e}");
                return;
            }
        };
        let now = Utc::now();
        for execution in running {
            if execution.node_name != self.node
                || self.runner.is_running(&execution.job_name, &execution.id)
            {
                continue;
            }
            let closed = Execution {
                finished_at: now,
                success: false,
                output: format!(
                    "{}[belfry] interrupted: node {} stopped while this execution was running",
                    execution.output, self.node
                ),
                ..execution
            };
            self.results.submit(Finished {
                execution: closed,
                committed: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn on_time_tick_runs() {
        let s = Schedule::parse("@every 1s", None, "j").unwrap();
        let anchor = at("2026-01-01T00:00:00Z");
        let due = at("2026-01-01T00:00:05Z");
        let p = plan_ticks(
            &s,
            anchor,
            due,
            due + chrono::Duration::milliseconds(3),
            100,
        );
        assert_eq!(p.run, Some(due));
        assert!(p.missed.is_empty());
        assert_eq!(p.next, Some(at("2026-01-01T00:00:06Z")));
    }

    #[test]
    fn after_downtime_newest_runs_and_older_are_missed() {
        let s = Schedule::parse("@every 1s", None, "j").unwrap();
        let anchor = at("2026-01-01T00:00:00Z");
        let due = at("2026-01-01T00:00:01Z");
        let now = at("2026-01-01T00:00:10.5Z");
        let p = plan_ticks(&s, anchor, due, now, 100);
        assert_eq!(p.run, Some(at("2026-01-01T00:00:10Z")));
        assert_eq!(p.missed.len(), 9);
        assert_eq!(p.missed[0], due);
        assert_eq!(p.missed_unlisted, 0);
    }

    #[test]
    fn too_old_is_missed_and_listing_is_capped() {
        let s = Schedule::parse("@every 1s", None, "j").unwrap();
        let anchor = at("2026-01-01T00:00:00Z");
        let due = at("2026-01-01T00:00:01Z");
        let p = plan_ticks(&s, anchor, due, at("2026-01-01T01:00:00.5Z"), 5);
        assert_eq!(p.run, Some(at("2026-01-01T01:00:00Z")));
        assert_eq!(p.missed.len(), 5);
        assert_eq!(p.missed_unlisted, 3600 - 1 - 5);

        let s = Schedule::parse("@every 1h", None, "j").unwrap();
        let p = plan_ticks(
            &s,
            anchor,
            at("2026-01-01T01:00:00Z"),
            at("2026-01-01T01:05:00Z"),
            5,
        );
        assert_eq!(p.run, None);
        assert_eq!(p.missed, vec![at("2026-01-01T01:00:00Z")]);
    }
}
