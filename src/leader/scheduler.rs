//! The leader's launch loop: finds the ticks and owed runs (retries, dependent runs) that are
//! due, picks their nodes, and records the launches through Raft; the dispatcher then sends
//! them (docs/operating.md, "Where jobs run").
//!
//! Launches due together are committed as one Raft entry. The state machine keeps, per job,
//! the newest tick ever launched, so a tick is launched at most once whatever happens to this
//! process or this leadership. Ticks that came due while nothing could launch them (the node
//! was down, no leader) follow the job's catch-up policy ([`CatchupRule`]); those not run are
//! recorded as `missed`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::cluster::membership::Membership;
use crate::consensus::pacer::CommitPacer;
use crate::consensus::{Raft, StateMachine};
use crate::job::schedule::Schedule;
use crate::job::targeting::Candidate;
use crate::leader::dispatcher::candidates;
use crate::model::{Catchup, Job, instant_nanos};
use crate::state::{
    Command, JobRecord, Launch, LaunchKind, LaunchOutcome, PendingCause, PendingRun, Reader,
    Response, SkipReason,
};

/// How ticks that came due before this leadership began are handled (the job's `catchup`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CatchupRule {
    pub policy: Catchup,
    /// `last`: how late the newest missed tick may still run.
    pub window: chrono::Duration,
    /// Ticks at or after this instant came due while this node led: they are not missed, only
    /// late, and the newest of them always runs.
    pub leading_since: DateTime<Utc>,
}

impl CatchupRule {
    /// A job's rule for a leadership that began at `leading_since`: its `catchup` policy and
    /// window, `last` and 60 s when unset (or unreadable, which validation prevents).
    pub fn for_job(job: &Job, leading_since: DateTime<Utc>) -> CatchupRule {
        CatchupRule {
            policy: job.catchup_policy().unwrap_or(Catchup::Last),
            window: job
                .catchup_window()
                .ok()
                .and_then(|w| chrono::Duration::from_std(w).ok())
                .unwrap_or(chrono::Duration::seconds(60)),
            leading_since,
        }
    }
}

/// The least time between the starts of two launch entries (crate::consensus::pacer): at most
/// this much lateness, only when launches come due one after another.
const LAUNCH_GAP: Duration = Duration::from_millis(100);

/// The most launches in one Raft entry. A bigger burst (thousands of jobs on the same second)
/// goes in several entries back to back, so its first launches start after one small commit
/// rather than after the whole burst's.
const LAUNCH_CHUNK: usize = 250;

/// How many ticks are walked when catching up a single job, at most.
const MAX_TICKS_WALKED: usize = 100_000;

/// What to do with one job's due ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct TickPlan {
    /// Ticks to record as missed, oldest first (the newest `keep` at most).
    pub missed: Vec<DateTime<Utc>>,
    /// Missed ticks not listed in `missed` (beyond `keep`, or beyond the walk limit).
    pub missed_unlisted: u64,
    /// Ticks to run now, oldest first.
    pub run: Vec<DateTime<Utc>>,
    /// The next tick after those handled here.
    pub next: Option<DateTime<Utc>>,
}

/// Plans a job whose tick `due` has come (`due <= now`): every tick up to `now` is either run
/// or recorded as missed, per `rule`; at most `keep` ticks are listed (the newest). Pure.
pub fn plan_ticks(
    schedule: &Schedule,
    anchor: DateTime<Utc>,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    keep: usize,
    rule: &CatchupRule,
) -> TickPlan {
    let keep = keep.max(1);
    let mut ticks = std::collections::VecDeque::new();
    let mut unlisted = 0u64;
    let mut t = Some(due);
    let mut walked = 0;
    let jump_to = now - rule.window.max(chrono::Duration::seconds(1));
    while let Some(tick) = t {
        if tick > now {
            break;
        }
        walked += 1;
        if walked > MAX_TICKS_WALKED && tick < jump_to {
            // Too many to walk one by one: jump ahead and count the rest as unlisted.
            unlisted += 1;
            t = schedule.next_after(jump_to, anchor);
            continue;
        }
        ticks.push_back(tick);
        if ticks.len() > keep {
            ticks.pop_front();
            unlisted += 1;
        }
        t = schedule.next_after(tick, anchor);
    }
    let next = t;
    let mut run = Vec::new();
    let mut missed = Vec::new();
    // Ticks at or after `leading_since` came due while a leader ran (this one, or the one that
    // handed over): they are only late, and all run. The policy decides the older ones.
    let late_from = ticks
        .iter()
        .position(|t| *t >= rule.leading_since)
        .unwrap_or(ticks.len());
    let late: Vec<_> = ticks.split_off(late_from).into();
    if rule.policy == Catchup::All {
        // Every tick runs, within the listing bound; what fell beyond it is missed.
        run.extend(ticks);
    } else {
        let newest = ticks.pop_back();
        missed.extend(ticks);
        if let Some(tick) = newest {
            // The newest tick of the downtime runs under `last` if nothing later does.
            let runs = late.is_empty()
                && match rule.policy {
                    Catchup::Last => now - tick <= rule.window,
                    Catchup::None | Catchup::All => false,
                };
            if runs {
                run.push(tick);
            } else {
                missed.push(tick);
            }
        }
    }
    run.extend(late);
    TickPlan {
        missed,
        missed_unlisted: unlisted,
        run,
        next,
    }
}

struct Planned {
    job: Job,
    /// `None` when the job has no schedule of its own (no cron, disabled, or a child job).
    schedule: Option<Schedule>,
    anchor: DateTime<Utc>,
    fingerprint: (String, String, DateTime<Utc>, bool),
    due: Option<DateTime<Utc>>,
    /// Retries and dependent runs owed, by id.
    pending: HashMap<u64, PendingRun>,
}

/// A heap entry: when, which job, and which of its runs (`None`: the next tick).
type Due = Reverse<(DateTime<Utc>, String, Option<u64>)>;

/// The leader-only launch loop. Run when this node becomes leader, stopped when it stops.
#[derive(Clone)]
pub struct Scheduler {
    pub raft: Raft,
    pub state: StateMachine,
    pub membership: Membership,
    pub region: String,
    pub history_limit: u32,
}

impl Scheduler {
    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        // On the launch clock (crate::cluster::clock): this server's clock, held back by however far
        // it runs ahead of the voters' median, so no tick starts early by the cluster's clock.
        let clock = crate::cluster::clock::discipline();
        // Ticks that came due while another server still led (a hand-over, a failover) are
        // late, not missed: only those due while no leader ran follow the catch-up policy.
        let leading_since = clock.leading_since(clock.launch_now());
        let mut jobs_changed = self.state.jobs_changed();
        let mut dirty = true;
        let mut first_sync = true;
        let mut plan: HashMap<String, Planned> = HashMap::new();
        let mut heap: BinaryHeap<Due> = BinaryHeap::new();
        let mut pacer = CommitPacer::new(LAUNCH_GAP);
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
            // Drop heap entries that no longer match the plan (job changed, deleted, launched).
            while let Some(Reverse((due, name, slot))) = heap.peek() {
                if is_current(&plan, *due, name, *slot) {
                    break;
                }
                heap.pop();
            }
            let wait = match heap.peek() {
                Some(Reverse((due, _, _))) => (*due - clock.launch_now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    // Under load, launch entries go at most one per LAUNCH_GAP: what comes
                    // due meanwhile joins the next one.
                    .max(pacer.delay(tokio::time::Instant::now())),
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
            let now = clock.launch_now();
            let members = candidates(&self.membership.members());
            let mut launches = Vec::new();
            let mut missed = 0u64;
            while let Some(Reverse((due, name, slot))) = heap.peek().cloned() {
                if due > now {
                    break;
                }
                heap.pop();
                if !is_current(&plan, due, &name, slot) {
                    continue;
                }
                let Some(p) = plan.get_mut(&name) else {
                    continue;
                };
                match slot {
                    Some(id) => {
                        if let Some(run) = p.pending.remove(&id) {
                            launches.push(pending_launch(&p.job, &run, &self.region, &members));
                        }
                    }
                    None => self.tick_launches(
                        p,
                        due,
                        now,
                        leading_since,
                        &members,
                        &mut launches,
                        &mut heap,
                        &mut missed,
                    ),
                }
            }
            if missed > 0 {
                tracing::warn!(
                    missed,
                    "ticks missed while nothing could launch them (recorded as missed)"
                );
            }
            if launches.is_empty() {
                continue;
            }
            pacer.started(tokio::time::Instant::now());
            // A burst is committed in entries of at most LAUNCH_CHUNK, one after another: the
            // first launches are dispatched and started while the rest are still committed.
            let mut launches = launches.into_iter().peekable();
            while launches.peek().is_some() {
                let chunk: Vec<Launch> = launches.by_ref().take(LAUNCH_CHUNK).collect();
                let Some((chunk, outcomes)) = self.commit_launches(chunk, &mut stop).await else {
                    return;
                };
                // The dispatcher sends what started (from the launch feed); here only a pending
                // run refused for overlap is tried again a second later.
                for (launch, outcome) in chunk.iter().zip(outcomes) {
                    if let (
                        LaunchKind::Pending { id },
                        LaunchOutcome::Skipped {
                            reason: SkipReason::StillRunning,
                            ..
                        },
                    ) = (launch.kind, &outcome)
                        && let Some(p) = plan.get_mut(&launch.job)
                    {
                        let retry_at = clock.launch_now() + chrono::Duration::seconds(1);
                        if let Ok(Some(record)) = self.read(|r| r.job(&launch.job))
                            && let Some(run) = record.pending.into_iter().find(|r| r.id == id)
                        {
                            p.pending.insert(
                                id,
                                PendingRun {
                                    due: retry_at,
                                    ..run
                                },
                            );
                            heap.push(Reverse((retry_at, launch.job.clone(), Some(id))));
                        }
                    } else if let LaunchOutcome::Skipped { job, reason } = outcome {
                        tracing::debug!(%job, ?reason, "launch skipped");
                    }
                }
            }
        }
    }

    /// Commits one launch entry, retrying until it is committed, and gives the launches back
    /// with their outcomes; `None` once `stop` is set (a retry is harmless: the state machine
    /// launches a tick once).
    async fn commit_launches(
        &self,
        launches: Vec<Launch>,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<(Vec<Launch>, Vec<LaunchOutcome>)> {
        loop {
            let command = Command::Launch {
                launches: launches.clone(),
                history_limit: self.history_limit,
            };
            let outcomes = match self.raft.client_write(command).await {
                Ok(resp) => match resp.data {
                    Response::Launched(outcomes) => outcomes,
                    other => {
                        tracing::error!(?other, "unexpected launch response");
                        Vec::new()
                    }
                },
                Err(e) => {
                    tracing::warn!("launch not committed, retrying: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                        _ = stop.wait_for(|s| *s) => return None,
                    }
                    continue;
                }
            };
            return Some((launches, outcomes));
        }
    }

    /// The launches for a job's due tick (and any it missed), and its next tick planned.
    #[allow(clippy::too_many_arguments)]
    fn tick_launches(
        &self,
        p: &mut Planned,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
        leading_since: DateTime<Utc>,
        members: &[Candidate],
        launches: &mut Vec<Launch>,
        heap: &mut BinaryHeap<Due>,
        missed: &mut u64,
    ) {
        let Some(schedule) = &p.schedule else {
            return;
        };
        let rule = CatchupRule::for_job(&p.job, leading_since);
        let tp = plan_ticks(
            schedule,
            p.anchor,
            due,
            now,
            self.history_limit as usize,
            &rule,
        );
        if tp.missed_unlisted > 0 {
            crate::telemetry::global().missed_unrecorded(tp.missed_unlisted);
        }
        // Logged once per batch by the caller: a line per job floods the log when a thousand
        // jobs catch up at once.
        *missed += tp.missed.len() as u64 + tp.missed_unlisted;
        launches.extend(tick_plan_launches(&p.job, &tp, &self.region, members));
        let expires = p.job.expires_at;
        p.due = tp.next.filter(|t| expires.is_none_or(|e| *t <= e));
        if let Some(next) = p.due {
            heap.push(Reverse((next, p.job.name.clone(), None)));
        }
    }

    fn resync(
        &self,
        plan: &mut HashMap<String, Planned>,
        heap: &mut BinaryHeap<Due>,
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

    /// Re-plans only the named jobs (created, changed, toggled, deleted, or owed a run).
    fn refresh(
        &self,
        names: &std::collections::BTreeSet<String>,
        plan: &mut HashMap<String, Planned>,
        heap: &mut BinaryHeap<Due>,
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
        heap: &mut BinaryHeap<Due>,
    ) {
        let name = record.job.name.clone();
        let pending: HashMap<u64, PendingRun> =
            record.pending.iter().map(|p| (p.id, p.clone())).collect();
        for p in pending.values() {
            heap.push(Reverse((p.due, name.clone(), Some(p.id))));
        }
        let scheduled = runs_on_schedule(&record.job);
        let fingerprint = (
            record.job.schedule.clone(),
            record.job.timezone.clone(),
            record.anchor,
            scheduled,
        );
        if let Some(p) = plan.get_mut(&name)
            && p.fingerprint == fingerprint
        {
            p.job = record.job;
            p.pending = pending;
            return;
        }
        let schedule = if scheduled {
            match Schedule::parse(&record.job.schedule, Some(&record.job.timezone), &name) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::error!(job = %name, "stored schedule no longer parses: {e}");
                    None
                }
            }
        } else {
            None
        };
        // Ticks before `starts_at` or after `expires_at` would only be refused: `next_fire`
        // skips them rather than commit a refusal per tick.
        let due = schedule.as_ref().and_then(|s| {
            s.next_fire(
                record.cursor(),
                record.anchor,
                record.job.starts_at,
                record.job.expires_at,
            )
        });
        if let Some(due) = due {
            heap.push(Reverse((due, name.clone(), None)));
        }
        plan.insert(
            name,
            Planned {
                job: record.job,
                schedule,
                anchor: record.anchor,
                fingerprint,
                due,
                pending,
            },
        );
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Reader) -> Result<T, crate::state::StateError>,
    ) -> Result<T, String> {
        self.state.read(f).map_err(|e| e.to_string())
    }
}

/// The launch of an owed run: a retry goes to the node that failed unless the job says
/// `retry_on: "any"`; a dependent run is targeted like a tick.
fn pending_launch(job: &Job, run: &PendingRun, region: &str, members: &[Candidate]) -> Launch {
    let (nodes, no_target) = match &run.cause {
        PendingCause::Retry { node, .. } if !job.retries_anywhere() => {
            if members.iter().any(|m| &m.name == node && m.alive) {
                (vec![node.clone()], None)
            } else {
                (Vec::new(), Some(format!("retry node {node} is gone")))
            }
        }
        PendingCause::Retry { node, .. } => {
            // Anywhere the job may run, preferably not where it just failed.
            match crate::job::targeting::select(
                &job.name,
                &job.tags,
                region,
                instant_nanos(run.due),
                members,
            ) {
                Ok(all) => {
                    let other = all.iter().find(|n| *n != node).cloned();
                    (vec![other.unwrap_or_else(|| all[0].clone())], None)
                }
                Err(e) => (Vec::new(), Some(e)),
            }
        }
        PendingCause::Dependent { .. } => target(job, region, run.due, members),
    };
    Launch {
        job: job.name.clone(),
        scheduled_at: run.due,
        nodes,
        kind: LaunchKind::Pending { id: run.id },
        no_target,
        force: false,
    }
}

/// The launches of one job's planned ticks: the missed ones recorded on no node, the ones to
/// run on their target nodes (or on none, with the reason).
fn tick_plan_launches(
    job: &Job,
    tp: &TickPlan,
    region: &str,
    members: &[Candidate],
) -> Vec<Launch> {
    let missed = tp.missed.iter().map(|tick| Launch {
        job: job.name.clone(),
        scheduled_at: *tick,
        nodes: Vec::new(),
        kind: LaunchKind::Missed,
        no_target: None,
        force: false,
    });
    let run = tp.run.iter().map(|tick| {
        let (nodes, no_target) = target(job, region, *tick, members);
        Launch {
            job: job.name.clone(),
            scheduled_at: *tick,
            nodes,
            kind: LaunchKind::Scheduled,
            no_target,
            force: false,
        }
    });
    missed.chain(run).collect()
}

/// Whether a job runs on its own schedule: not when disabled, and a child job runs only after
/// its parent (as in Dkron), never on a schedule.
fn runs_on_schedule(job: &Job) -> bool {
    !job.schedule.is_empty() && !job.disabled && job.parent_job.is_empty()
}

/// Whether a heap entry still stands for something planned.
fn is_current(
    plan: &HashMap<String, Planned>,
    due: DateTime<Utc>,
    name: &str,
    slot: Option<u64>,
) -> bool {
    match (plan.get(name), slot) {
        (Some(p), None) => p.due == Some(due),
        (Some(p), Some(id)) => p.pending.get(&id).is_some_and(|r| r.due == due),
        (None, _) => false,
    }
}

/// The nodes a tick runs on, or (with no nodes) why none.
pub fn target(
    job: &Job,
    region: &str,
    tick: DateTime<Utc>,
    members: &[Candidate],
) -> (Vec<String>, Option<String>) {
    match crate::job::targeting::select(&job.name, &job.tags, region, instant_nanos(tick), members)
    {
        Ok(nodes) => (nodes, None),
        Err(why) => (Vec::new(), Some(why)),
    }
}

#[cfg(test)]
mod decision_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// A leadership that began at `since`, with the default policy.
    fn rule(policy: Catchup, since: &str) -> CatchupRule {
        CatchupRule {
            policy,
            window: chrono::Duration::seconds(60),
            leading_since: at(since),
        }
    }

    #[test]
    fn on_time_tick_runs() {
        let s = Schedule::parse("@every 1s", None, "j").unwrap();
        let anchor = at("2026-01-01T00:00:00Z");
        let due = at("2026-01-01T00:00:05Z");
        for policy in [Catchup::Last, Catchup::None, Catchup::All] {
            let r = rule(policy, "2026-01-01T00:00:00Z");
            let p = plan_ticks(
                &s,
                anchor,
                due,
                due + chrono::Duration::milliseconds(3),
                100,
                &r,
            );
            assert_eq!(p.run, vec![due]);
            assert!(p.missed.is_empty());
            assert_eq!(p.next, Some(at("2026-01-01T00:00:06Z")));
        }
    }

    #[test]
    fn after_downtime_last_runs_the_newest_and_records_the_others() {
        let s = Schedule::parse("@every 1s", None, "j").unwrap();
        let anchor = at("2026-01-01T00:00:00Z");
        let due = at("2026-01-01T00:00:01Z");
        let now = at("2026-01-01T00:00:10.5Z");
        let r = rule(Catchup::Last, "2026-01-01T00:00:10.4Z");
        let p = plan_ticks(&s, anchor, due, now, 100, &r);
        assert_eq!(p.run, vec![at("2026-01-01T00:00:10Z")]);
        assert_eq!(p.missed.len(), 9);
        assert_eq!(p.missed[0], due);
        assert_eq!(p.missed_unlisted, 0);
    }

    #[test]
    fn none_runs_nothing_missed_and_all_runs_everything() {
        let s = Schedule::parse("@every 1s", None, "j").unwrap();
        let anchor = at("2026-01-01T00:00:00Z");
        let due = at("2026-01-01T00:00:01Z");
        let now = at("2026-01-01T00:00:10.5Z");
        let p = plan_ticks(
            &s,
            anchor,
            due,
            now,
            100,
            &rule(Catchup::None, "2026-01-01T00:00:10.4Z"),
        );
        assert!(p.run.is_empty());
        assert_eq!(p.missed.len(), 10);
        let p = plan_ticks(
            &s,
            anchor,
            due,
            now,
            100,
            &rule(Catchup::All, "2026-01-01T00:00:10.4Z"),
        );
        assert_eq!(p.run.len(), 10);
        assert!(p.missed.is_empty());
        // `all` runs at most `keep` ticks; the older ones are counted as missed.
        let p = plan_ticks(
            &s,
            anchor,
            due,
            now,
            4,
            &rule(Catchup::All, "2026-01-01T00:00:10.4Z"),
        );
        assert_eq!(p.run.len(), 4);
        assert_eq!(p.missed_unlisted, 6);
        // A tick that came due during this leadership is only late: it runs whatever the policy.
        let p = plan_ticks(
            &s,
            anchor,
            at("2026-01-01T00:00:10Z"),
            now,
            100,
            &rule(Catchup::None, "2026-01-01T00:00:09Z"),
        );
        assert_eq!(p.run, vec![at("2026-01-01T00:00:10Z")]);
    }

    #[test]
    fn ticks_due_while_a_leader_ran_all_run_late_whatever_the_policy() {
        // Leadership moved at 00:00:07.5 (the previous leader last seen then); this leader
        // starts at 00:00:10.5 with the ticks from 00:00:06 due.
        let s = Schedule::parse("@every 1s", None, "j").unwrap();
        let anchor = at("2026-01-01T00:00:00Z");
        let now = at("2026-01-01T00:00:10.5Z");
        for policy in [Catchup::Last, Catchup::None, Catchup::All] {
            let r = rule(policy, "2026-01-01T00:00:07.5Z");
            let p = plan_ticks(&s, anchor, at("2026-01-01T00:00:06Z"), now, 100, &r);
            let late: Vec<_> = (8..=10)
                .map(|sec| at(&format!("2026-01-01T00:00:{sec:02}Z")))
                .collect();
            assert!(p.run.ends_with(&late), "{policy:?}: {p:?}");
            match policy {
                Catchup::All => assert_eq!(p.run.len(), 5),
                _ => assert_eq!(
                    p.missed,
                    vec![at("2026-01-01T00:00:06Z"), at("2026-01-01T00:00:07Z")],
                    "{policy:?}"
                ),
            }
        }
    }

    #[test]
    fn too_old_is_missed_and_listing_is_capped() {
        let s = Schedule::parse("@every 1s", None, "j").unwrap();
        let anchor = at("2026-01-01T00:00:00Z");
        let due = at("2026-01-01T00:00:01Z");
        let r = rule(Catchup::Last, "2026-01-01T01:00:00.4Z");
        let p = plan_ticks(&s, anchor, due, at("2026-01-01T01:00:00.5Z"), 5, &r);
        assert_eq!(p.run, vec![at("2026-01-01T01:00:00Z")]);
        assert_eq!(p.missed.len(), 4);
        assert_eq!(p.missed_unlisted, 3600 - 5);

        let s = Schedule::parse("@every 1h", None, "j").unwrap();
        let r = rule(Catchup::Last, "2026-01-01T01:04:00Z");
        let p = plan_ticks(
            &s,
            anchor,
            at("2026-01-01T01:00:00Z"),
            at("2026-01-01T01:05:00Z"),
            5,
            &r,
        );
        assert!(p.run.is_empty());
        assert_eq!(p.missed, vec![at("2026-01-01T01:00:00Z")]);
    }
}
