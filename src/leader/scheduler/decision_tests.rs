//! The scheduler's decisions, tested in-process without a cluster: which jobs run on a
//! schedule, each job's catch-up rule, which ticks run, are late or are recorded as missed
//! ([`plan_ticks`], as properties), which nodes a tick, a retry or a dependent run targets, and
//! — driving the real state machine in memory — that a run of leaders, each planning from the
//! ledger it inherits and replaying stale launch commands, launches every tick at most once
//! and accounts for every tick.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::{
    CatchupRule, Planned, TickPlan, is_current, pending_launch, plan_ticks, runs_on_schedule,
    target, tick_plan_launches,
};
use crate::job::schedule::Schedule;
use crate::job::targeting::Candidate;
use crate::model::{Catchup, Execution, Job};
use crate::state::{
    Applier, Command, LaunchKind, LaunchOutcome, PendingCause, PendingRun, Reader, Response,
};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn job(name: &str, schedule: &str) -> Job {
    Job {
        name: name.into(),
        schedule: schedule.into(),
        executor: "shell".into(),
        executor_config: [("command".to_string(), "true".to_string())].into(),
        ..Job::default()
    }
}

fn node(name: &str, alive: bool, tags: &[(&str, &str)]) -> Candidate {
    Candidate {
        name: name.into(),
        region: "eu".into(),
        alive,
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[test]
fn only_enabled_jobs_without_a_parent_run_on_their_schedule() {
    assert!(runs_on_schedule(&job("j", "@every 1s")));
    assert!(!runs_on_schedule(&job("j", "")));
    let disabled = Job {
        disabled: true,
        ..job("j", "@every 1s")
    };
    assert!(!runs_on_schedule(&disabled));
    // A child job keeps its schedule field but runs only after its parent.
    let child = Job {
        parent_job: "p".into(),
        ..job("j", "@every 1s")
    };
    assert!(!runs_on_schedule(&child));
}

#[test]
fn the_catch_up_rule_is_the_jobs_or_last_within_a_minute() {
    let since = at("2026-01-01T00:00:00Z");
    let rule = |catchup: &str, window: &str| {
        let j = Job {
            catchup: catchup.into(),
            catchup_window: window.into(),
            ..job("j", "@every 1s")
        };
        let r = CatchupRule::for_job(&j, since);
        assert_eq!(r.leading_since, since);
        (r.policy, r.window)
    };
    assert_eq!(rule("", ""), (Catchup::Last, Duration::seconds(60)));
    assert_eq!(rule("none", "5m"), (Catchup::None, Duration::minutes(5)));
    assert_eq!(rule("all", "90s"), (Catchup::All, Duration::seconds(90)));
    // Stored before validation covered them: read as the defaults, never a panic.
    assert_eq!(
        rule("sometimes", "soon"),
        (Catchup::Last, Duration::seconds(60))
    );
}

#[test]
fn missed_ticks_are_recorded_on_no_node_and_due_ones_go_to_their_targets() {
    let j = Job {
        tags: BTreeMap::from([("kind".to_string(), "web".to_string())]),
        ..job("j", "@every 1s")
    };
    let tp = TickPlan {
        missed: vec![at("2026-01-01T00:00:01Z")],
        missed_unlisted: 0,
        run: vec![at("2026-01-01T00:00:02Z"), at("2026-01-01T00:00:03Z")],
        next: None,
    };
    let members = [
        node("web-1", true, &[("kind", "web")]),
        node("web-2", false, &[("kind", "web")]),
        node("db-1", true, &[("kind", "db")]),
    ];
    let launches = tick_plan_launches(&j, &tp, "eu", &members);
    let shape: Vec<_> = launches
        .iter()
        .map(|l| (l.scheduled_at, l.kind, l.nodes.clone(), l.force))
        .collect();
    assert_eq!(
        shape,
        vec![
            (tp.missed[0], LaunchKind::Missed, vec![], false),
            (
                tp.run[0],
                LaunchKind::Scheduled,
                vec!["web-1".into()],
                false
            ),
            (
                tp.run[1],
                LaunchKind::Scheduled,
                vec!["web-1".into()],
                false
            ),
        ]
    );
    assert!(
        launches
            .iter()
            .all(|l| l.job == "j" && l.no_target.is_none())
    );
    // No alive node matches: the tick still goes to the ledger, with the reason.
    let launches = tick_plan_launches(&j, &tp, "us", &members);
    assert!(launches[1].nodes.is_empty());
    assert_eq!(
        launches[1].no_target.as_deref(),
        Some("no alive node in region \"us\" matches the job's tags {\"kind\": \"web\"}")
    );
}

#[test]
fn a_tag_count_spreads_successive_ticks_over_the_matching_nodes() {
    let j = Job {
        tags: BTreeMap::from([("kind".to_string(), "web:1".to_string())]),
        ..job("j", "@every 1s")
    };
    let members: Vec<Candidate> = (1..=3)
        .map(|i| node(&format!("web-{i}"), true, &[("kind", "web")]))
        .collect();
    let t0 = at("2026-01-01T00:00:00Z");
    let picked: Vec<String> = (0..3)
        .map(|i| {
            let (nodes, why) = target(&j, "eu", t0 + Duration::seconds(i), &members);
            assert_eq!((nodes.len(), why), (1, None));
            nodes[0].clone()
        })
        .collect();
    let mut distinct = picked.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{picked:?}");
}

fn retry(node: &str) -> PendingRun {
    PendingRun {
        id: 7,
        due: at("2026-01-01T00:00:05Z"),
        cause: PendingCause::Retry {
            group: 1,
            scheduled_at: at("2026-01-01T00:00:00Z"),
            attempt: 2,
            node: node.into(),
        },
    }
}

#[test]
fn a_retry_goes_back_to_the_node_that_failed_or_to_none_if_it_is_gone() {
    let j = job("j", "@every 1m");
    let members = [node("n1", true, &[]), node("n2", true, &[])];
    let l = pending_launch(&j, &retry("n2"), "eu", &members);
    assert_eq!(l.nodes, vec!["n2".to_string()]);
    assert_eq!(l.kind, LaunchKind::Pending { id: 7 });
    assert_eq!(l.scheduled_at, at("2026-01-01T00:00:05Z"));
    assert_eq!((l.no_target, l.force), (None, false));
    // Not alive (suspect, failed) counts as gone: the retry is recorded as not run.
    let members = [node("n1", true, &[]), node("n2", false, &[])];
    let l = pending_launch(&j, &retry("n2"), "eu", &members);
    assert!(l.nodes.is_empty());
    assert_eq!(l.no_target.as_deref(), Some("retry node n2 is gone"));
}

#[test]
fn a_retry_anywhere_prefers_another_matching_node() {
    let j = Job {
        retry_on: "any".into(),
        ..job("j", "@every 1m")
    };
    let members = [node("n1", true, &[]), node("n2", true, &[])];
    for failed in ["n1", "n2"] {
        let l = pending_launch(&j, &retry(failed), "eu", &members);
        assert_eq!(l.nodes.len(), 1);
        assert_ne!(l.nodes[0], failed);
    }
    // The node that failed is the only one left: it gets the retry.
    let l = pending_launch(&j, &retry("n1"), "eu", &members[..1]);
    assert_eq!(l.nodes, vec!["n1".to_string()]);
    let l = pending_launch(&j, &retry("n1"), "eu", &[]);
    assert!(l.nodes.is_empty() && l.no_target.is_some());
}

#[test]
fn a_dependent_run_is_targeted_like_a_tick() {
    let j = job("child", "");
    let run = PendingRun {
        id: 3,
        due: at("2026-01-01T00:00:05Z"),
        cause: PendingCause::Dependent {
            parent: "parent".into(),
        },
    };
    let members = [
        node("n1", true, &[]),
        node("n2", true, &[]),
        node("n3", false, &[]),
    ];
    let l = pending_launch(&j, &run, "eu", &members);
    assert_eq!(
        (l.nodes.clone(), l.no_target.clone()),
        target(&j, "eu", run.due, &members)
    );
    assert_eq!(l.nodes, vec!["n1".to_string(), "n2".to_string()]);
    assert_eq!(l.kind, LaunchKind::Pending { id: 3 });
}

#[test]
fn a_heap_entry_counts_only_while_it_matches_the_plan() {
    let t = at("2026-01-01T00:00:03Z");
    let run = retry("n1");
    let planned = Planned {
        job: job("j", "@every 1s"),
        schedule: None,
        anchor: t,
        fingerprint: (String::new(), String::new(), t, true),
        due: Some(t),
        pending: HashMap::from([(run.id, run.clone())]),
    };
    let plan = HashMap::from([("j".to_string(), planned)]);
    assert!(is_current(&plan, t, "j", None));
    // Re-planned since (the job changed, or the tick launched): the old entry is dropped.
    assert!(!is_current(&plan, t + Duration::seconds(1), "j", None));
    assert!(is_current(&plan, run.due, "j", Some(run.id)));
    assert!(!is_current(&plan, run.due, "j", Some(run.id + 1)));
    assert!(!is_current(&plan, t, "j", Some(run.id)));
    assert!(!is_current(&plan, t, "deleted", None));
}

/// The rules `plan_ticks` keeps whatever the schedule, the downtime and the policy.
fn check_plan(
    secs: i64,
    due_offset: i64,
    now_ms: i64,
    since_ms: i64,
    keep: usize,
    policy: Catchup,
    window_secs: i64,
) -> Result<(), TestCaseError> {
    let t0 = at("2026-01-01T00:00:00Z");
    let s = Schedule::parse(&format!("@every {secs}s"), None, "j").unwrap();
    let due = t0 + Duration::seconds(secs * due_offset);
    let now = due + Duration::milliseconds(now_ms);
    let rule = CatchupRule {
        policy,
        window: Duration::seconds(window_secs),
        leading_since: due + Duration::milliseconds(since_ms),
    };
    let p = plan_ticks(&s, t0, due, now, keep, &rule);
    // Every tick from `due` to `now`, the truth to hold the plan to.
    let mut all = Vec::new();
    let mut t = Some(due);
    while let Some(tick) = t.filter(|t| *t <= now) {
        all.push(tick);
        t = s.next_after(tick, t0);
    }
    prop_assert_eq!(p.next, t, "the next tick is the first after now");
    let mut listed: Vec<_> = p.missed.iter().chain(&p.run).copied().collect();
    prop_assert!(p.missed.windows(2).all(|w| w[0] < w[1]));
    prop_assert!(p.run.windows(2).all(|w| w[0] < w[1]));
    listed.sort();
    let before = listed.len();
    listed.dedup();
    prop_assert_eq!(before, listed.len(), "a tick both runs and is missed");
    // The newest ticks are listed, the older ones beyond `keep` only counted.
    prop_assert_eq!(listed.len() as u64 + p.missed_unlisted, all.len() as u64);
    prop_assert_eq!(&listed[..], &all[all.len() - listed.len()..]);
    prop_assert!(listed.len() <= keep.max(1));
    // A tick due while a leader ran is late, never missed.
    prop_assert!(p.missed.iter().all(|t| *t < rule.leading_since));
    let late = listed.iter().filter(|t| **t >= rule.leading_since).count();
    let early_runs: Vec<_> = p.run.iter().filter(|t| **t < rule.leading_since).collect();
    match policy {
        Catchup::All => prop_assert!(p.missed.is_empty()),
        Catchup::None => prop_assert!(early_runs.is_empty()),
        Catchup::Last => {
            // At most the newest tick of the downtime, young enough, and only if no late tick
            // follows it.
            prop_assert!(early_runs.len() <= 1);
            if let Some(t) = early_runs.first() {
                prop_assert_eq!(late, 0);
                prop_assert!(now - **t <= rule.window);
                prop_assert_eq!(Some(**t), listed.last().copied());
            }
            // And it does run when it is young enough and nothing later runs.
            let newest = listed.last().copied().filter(|t| *t < rule.leading_since);
            if let Some(t) = newest.filter(|t| late == 0 && now - *t <= rule.window) {
                prop_assert_eq!(early_runs, vec![&t]);
            }
        }
    }
    Ok(())
}

fn policy() -> impl Strategy<Value = Catchup> {
    prop_oneof![Just(Catchup::Last), Just(Catchup::None), Just(Catchup::All)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_tick_up_to_now_is_run_missed_or_counted_once(
        secs in 1i64..30,
        due_offset in 1i64..100,
        // Whole seconds half the time: a leadership that began exactly on a tick.
        now_ms in prop_oneof![0i64..400_000, (0i64..400).prop_map(|s| s * 1000)],
        since_ms in prop_oneof![-10_000i64..500_000, (-10i64..500).prop_map(|s| s * 1000)],
        keep in 0usize..50,
        policy in policy(),
        window_secs in prop_oneof![1i64..10, 1i64..200],
    ) {
        check_plan(secs, due_offset, now_ms, since_ms, keep, policy, window_secs)?;
    }
}

/// One leadership: it starts `start` seconds in, inherits the ledger, and wakes at each of
/// `wakes` (seconds, as offsets from its start) to launch what is due.
#[derive(Debug, Clone)]
struct Term {
    start_ms: i64,
    wakes_ms: Vec<i64>,
    /// Whether the hand-over was seen (a leader ran until this one started).
    handover: bool,
}

fn terms() -> impl Strategy<Value = Vec<Term>> {
    proptest::collection::vec(
        (
            0i64..20_000,
            proptest::collection::vec(0i64..3_000, 1..5),
            any::<bool>(),
        )
            .prop_map(|(gap, wakes, handover)| Term {
                start_ms: gap,
                wakes_ms: wakes,
                handover,
            }),
        1..6,
    )
}

/// Applies a launch command, counting per tick the launches the state machine accepted.
fn launch(
    a: &mut Applier,
    command: &Command,
    accepted: &mut BTreeMap<DateTime<Utc>, u32>,
) -> Result<(), TestCaseError> {
    let Response::Launched(outcomes) = a.apply(command).unwrap() else {
        return Err(TestCaseError::fail(
            "a launch was not answered with outcomes",
        ));
    };
    let Command::Launch { launches, .. } = command else {
        return Err(TestCaseError::fail("not a launch"));
    };
    for (launch, outcome) in launches.iter().zip(outcomes) {
        if !matches!(outcome, LaunchOutcome::Skipped { .. }) {
            *accepted.entry(launch.scheduled_at).or_default() += 1;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Leaders come and go with gaps between them. Each plans from the ledger it finds (as
    /// `plan_job` does, through `next_fire`) and launches what `plan_ticks` says; a stale
    /// leader's earlier launch commands are replayed now and then (a retried write that had
    /// committed). The state machine accepts each tick once, and no tick up to the last wake
    /// is silently lost: each is run or recorded as missed exactly once.
    #[test]
    fn leaders_taking_over_launch_each_tick_once_and_lose_none(
        secs in 1i64..4,
        policy in policy(),
        terms in terms(),
        replays in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut j = job("j", &format!("@every {secs}s"));
        j.catchup = match policy {
            Catchup::Last => "last",
            Catchup::None => "none",
            Catchup::All => "all",
        }
        .into();
        DB.with(|db| leaders_take_over(db, &j, &terms, &replays))?;
    }
}

thread_local! {
    /// One in-memory database per test thread: creating one costs more than a case.
    static DB: redb::Database = redb::Database::builder()
        .create_with_backend(redb::backends::InMemoryBackend::new())
        .unwrap();
}

/// The body of `leaders_taking_over_launch_each_tick_once_and_lose_none`, on a database whose
/// job `j` is created afresh.
fn leaders_take_over(
    db: &redb::Database,
    j: &Job,
    terms: &[Term],
    replays: &[prop::sample::Index],
) -> Result<(), TestCaseError> {
    use redb::ReadableDatabase;
    let t0 = at("2026-01-01T00:00:00Z");
    let schedule = Schedule::parse(&j.schedule, None, "j").unwrap();
    let members = [node("n1", true, &[])];
    let mut txn = db.begin_write().unwrap();
    // Nothing here needs to outlive the test: commits need not persist.
    txn.set_durability(redb::Durability::None).unwrap();
    {
        let mut a = Applier::new(&txn).unwrap();
        a.apply(&Command::DeleteJob { name: "j".into() }).unwrap();
        a.apply(&Command::SetJob {
            job: Box::new(j.clone()),
            at: t0,
        })
        .unwrap();
    }
    txn.commit().unwrap();
    let mut sent: Vec<Command> = Vec::new();
    let mut accepted: BTreeMap<DateTime<Utc>, u32> = BTreeMap::new();
    let mut clock = t0;
    for term in terms {
        let started = clock + Duration::milliseconds(term.start_ms);
        // A hand-over seen: the ticks since the previous leader stopped are only late.
        let leading_since = if term.handover { clock } else { started };
        // The new leader plans from the ledger it inherits.
        let read = db.begin_read().unwrap();
        let record = Reader::new(&read).unwrap().job("j").unwrap().unwrap();
        drop(read);
        let mut due = schedule.next_fire(record.cursor(), record.anchor, None, None);
        let rule = CatchupRule::for_job(j, leading_since);
        let mut txn = db.begin_write().unwrap();
        // Nothing here needs to outlive the test: commits need not persist.
        txn.set_durability(redb::Durability::None).unwrap();
        let mut a = Applier::new(&txn).unwrap();
        let mut now = started;
        for wake in &term.wakes_ms {
            now += Duration::milliseconds(*wake);
            let Some(d) = due.filter(|d| *d <= now) else {
                continue;
            };
            let tp = plan_ticks(&schedule, record.anchor, d, now, 100, &rule);
            let command = Command::Launch {
                launches: tick_plan_launches(j, &tp, "eu", &members),
                history_limit: 100,
            };
            launch(&mut a, &command, &mut accepted)?;
            sent.push(command);
            due = tp.next;
            // What ran finishes, as the nodes would report.
            let results = a
                .launched
                .drain(..)
                .map(|l| Execution {
                    id: l.execution_id,
                    job_name: l.job,
                    started_at: now,
                    finished_at: now,
                    success: true,
                    ..Execution::default()
                })
                .collect();
            a.apply(&Command::Finish { results }).unwrap();
        }
        for index in replays {
            if !sent.is_empty() {
                let stale = sent[index.index(sent.len())].clone();
                launch(&mut a, &stale, &mut accepted)?;
            }
        }
        drop(a);
        txn.commit().unwrap();
        clock = now;
    }
    prop_assert!(
        accepted.values().all(|n| *n == 1),
        "a tick launched twice: {accepted:?}"
    );
    // Every tick up to the last wake is accounted for (each plan lists up to 100, more
    // than these gaps hold).
    let mut expected = Vec::new();
    let mut t = schedule.next_after(t0, t0);
    while let Some(tick) = t.filter(|t| *t <= clock) {
        expected.push(tick);
        t = schedule.next_after(tick, t0);
    }
    prop_assert_eq!(accepted.keys().copied().collect::<Vec<_>>(), expected);
    Ok(())
}
