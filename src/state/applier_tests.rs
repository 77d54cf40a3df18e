//! The state machine ([`Applier`]) command by command, in memory (redb's in-memory backend), in
//! milliseconds: jobs set, updated, toggled and deleted; ticks launched at most once; `forbid`
//! refusing overlap; missed ticks and ticks with no target recorded; results finishing runs
//! (and an unknown one changing nothing); retries with their backoff; dependent and ephemeral
//! jobs; acknowledgements; history pruning; restores; and bad data rejected with a reason,
//! changing nothing. Two properties close it: replaying a random command sequence with
//! duplicates ends in the same state, never launches one tick twice and never lets a `forbid`
//! job overlap; and any command `check_command` refuses leaves the state as it was.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use redb::ReadableTable;

use super::*;

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + Duration::seconds(secs)
}

fn job(name: &str) -> Job {
    Job {
        name: name.into(),
        schedule: "@every 1s".into(),
        executor: "shell".into(),
        executor_config: [("command".to_string(), "true".to_string())].into(),
        ..Job::default()
    }
}

fn forbid(name: &str) -> Job {
    Job {
        concurrency: crate::model::CONCURRENCY_FORBID.into(),
        ..job(name)
    }
}

fn memory_db() -> redb::Database {
    redb::Database::builder()
        .create_with_backend(redb::backends::InMemoryBackend::new())
        .unwrap()
}

thread_local! {
    /// One in-memory database per test thread: creating one costs more than most tests.
    static DB: redb::Database = memory_db();
}

/// Runs `f` on an applier over a fresh, empty state: a write transaction on this thread's
/// database that is never committed, so the next call starts from nothing again.
fn with_applier<R>(f: impl FnOnce(&mut Applier<'_>) -> R) -> R {
    DB.with(|db| {
        let txn = db.begin_write().unwrap();
        let mut applier = Applier::new(&txn).unwrap();
        let out = f(&mut applier);
        drop(applier);
        txn.abort().unwrap();
        out
    })
}

/// Rows as (table tag, key, value); tag 4 is the restore staging table.
type Rows = Vec<(u8, String, Vec<u8>)>;

/// Every row of every table: the whole state, to compare.
fn dump(a: &Applier) -> Rows {
    let mut out = Vec::new();
    for (tag, table) in [
        (1, &a.jobs),
        (2, &a.executions),
        (3, &a.cluster),
        (4, &a.staging),
    ] {
        for item in table.iter().unwrap() {
            let (k, v) = item.unwrap();
            out.push((tag, k.value().to_string(), v.value().to_vec()));
        }
    }
    out
}

fn set(a: &mut Applier, job: Job, at: DateTime<Utc>) -> Response {
    a.apply(&Command::SetJob {
        job: Box::new(job),
        at,
    })
    .unwrap()
}

fn launch_of(job: &str, at: DateTime<Utc>, kind: LaunchKind, nodes: &[&str]) -> Launch {
    Launch {
        job: job.into(),
        scheduled_at: at,
        nodes: nodes.iter().map(|n| n.to_string()).collect(),
        kind,
        no_target: None,
        force: false,
    }
}

fn launch(a: &mut Applier, launch: Launch) -> LaunchOutcome {
    launch_with_limit(a, launch, 100)
}

fn launch_with_limit(a: &mut Applier, launch: Launch, history_limit: u32) -> LaunchOutcome {
    match a
        .apply(&Command::Launch {
            launches: vec![launch],
            history_limit,
        })
        .unwrap()
    {
        Response::Launched(mut outcomes) if outcomes.len() == 1 => outcomes.remove(0),
        other => panic!("{other:?}"),
    }
}

fn skipped(outcome: &LaunchOutcome) -> Option<SkipReason> {
    match outcome {
        LaunchOutcome::Skipped { reason, .. } => Some(*reason),
        _ => None,
    }
}

/// The result a node reports for its execution of `job`'s launch at `at`.
fn result(job: &str, at: DateTime<Utc>, node: &str, success: bool, end: i64) -> Execution {
    Execution {
        id: execution_id(at, node),
        job_name: job.into(),
        started_at: at,
        finished_at: at + Duration::milliseconds(end),
        success,
        ..Execution::default()
    }
}

fn finish(a: &mut Applier, e: Execution) -> Response {
    a.apply(&Command::Finish { results: vec![e] }).unwrap()
}

/// A cluster-wide setting as stored.
fn setting<T: for<'de> Deserialize<'de>>(a: &Applier, key: &str) -> Option<T> {
    let value = a.cluster.get(key).unwrap()?;
    Some(decode(value.value()).unwrap())
}

fn record(a: &Applier, name: &str) -> JobRecord {
    a.load_job(name).unwrap().unwrap()
}

fn stored(a: &Applier, job: &str, at: DateTime<Utc>, node: &str) -> Option<Execution> {
    a.load_execution(&execution_key(job, instant_nanos(at), node))
        .unwrap()
}

#[test]
fn a_new_job_is_stored_with_an_empty_ledger_anchored_at_its_creation() {
    with_applier(|a| {
        let r = set(a, job("j"), t(0));
        let Response::Job(stored) = r else {
            panic!("{r:?}")
        };
        assert_eq!(stored.id, "j", "the id is the name, as in Dkron");
        assert!(crate::model::is_zero_time(&stored.next));
        let rec = record(a, "j");
        assert_eq!((rec.anchor, rec.last_tick), (t(0), None));
        assert_eq!(rec.cursor(), t(0) - Duration::nanoseconds(1));
        assert!(a.touched.contains("j"));
    });
}

#[test]
fn an_update_keeps_counters_and_ledger_and_a_new_schedule_restarts_the_ledger() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        launch(a, launch_of("j", t(1), LaunchKind::Scheduled, &["n"]));
        finish(a, result("j", t(1), "n", true, 5));
        // Same schedule: the ledger and the server-kept fields survive; clients cannot set them.
        let update = Job {
            success_count: 99,
            owner: "ops".into(),
            ..job("j")
        };
        set(a, update, t(10));
        let rec = record(a, "j");
        assert_eq!(rec.job.owner, "ops");
        assert_eq!(rec.job.success_count, 1);
        assert_eq!((rec.anchor, rec.last_tick), (t(0), Some(t(1))));
        assert_eq!(rec.stored_executions, 1);
        // A new schedule (or zone) is a new series of ticks, anchored at the change.
        let every_5s = Job {
            schedule: "@every 5s".into(),
            ..job("j")
        };
        set(a, every_5s, t(20));
        let rec = record(a, "j");
        assert_eq!((rec.anchor, rec.last_tick), (t(20), None));
        let zoned = Job {
            schedule: "@every 5s".into(),
            timezone: "Europe/Paris".into(),
            ..job("j")
        };
        set(a, zoned, t(30));
        assert_eq!(record(a, "j").anchor, t(30));
    });
}

#[test]
fn a_child_job_needs_its_parent_and_no_cycle() {
    with_applier(|a| {
        let child = |name: &str, parent: &str| Job {
            parent_job: parent.into(),
            schedule: String::new(),
            ..job(name)
        };
        assert_eq!(
            set(a, child("c", "p"), t(0)),
            Response::Rejected(Rejection::ParentNotFound("p".into()))
        );
        assert!(a.load_job("c").unwrap().is_none());
        set(a, job("p"), t(0));
        assert!(matches!(set(a, child("c", "p"), t(0)), Response::Job(_)));
        assert_eq!(record(a, "p").job.dependent_jobs, vec!["c".to_string()]);
        // p under c would close the loop p → c → p.
        let r = set(a, child("p", "c"), t(1));
        assert!(
            matches!(&r, Response::Rejected(Rejection::Invalid(why)) if why.contains("cycle")),
            "{r:?}"
        );
        assert!(record(a, "p").job.parent_job.is_empty());
        // Itself as parent: refused by the checks before anything is read.
        assert!(matches!(
            set(a, child("p", "p"), t(1)),
            Response::Rejected(Rejection::Invalid(_))
        ));
        // Moving the child to another parent unlinks it from the first.
        set(a, job("q"), t(2));
        set(a, child("c", "q"), t(3));
        assert!(record(a, "p").job.dependent_jobs.is_empty());
        assert_eq!(record(a, "q").job.dependent_jobs, vec!["c".to_string()]);
    });
}

#[test]
fn deleting_refuses_an_unknown_job_or_one_with_children_and_removes_its_history() {
    with_applier(|a| {
        assert_eq!(
            a.apply(&Command::DeleteJob { name: "x".into() }).unwrap(),
            Response::Rejected(Rejection::JobNotFound("x".into()))
        );
        set(a, job("p"), t(0));
        let child = Job {
            parent_job: "p".into(),
            ..job("c")
        };
        set(a, child, t(0));
        let before = dump(a);
        assert_eq!(
            a.apply(&Command::DeleteJob { name: "p".into() }).unwrap(),
            Response::Rejected(Rejection::HasDependents {
                name: "p".into(),
                children: vec!["c".into()],
            })
        );
        assert_eq!(dump(a), before, "a refused delete changes nothing");
        launch(a, launch_of("c", t(1), LaunchKind::Manual, &["n"]));
        assert!(matches!(
            a.apply(&Command::DeleteJob { name: "c".into() }).unwrap(),
            Response::Job(_)
        ));
        assert!(a.load_job("c").unwrap().is_none());
        assert!(stored(a, "c", t(1), "n").is_none());
        assert!(record(a, "p").job.dependent_jobs.is_empty());
        assert!(matches!(
            a.apply(&Command::DeleteJob { name: "p".into() }).unwrap(),
            Response::Job(_)
        ));
    });
}

#[test]
fn a_toggled_off_job_records_its_ticks_as_decided_but_runs_none() {
    with_applier(|a| {
        let toggle = |at| Command::ToggleJob {
            name: "j".into(),
            at,
        };
        assert_eq!(
            a.apply(&toggle(None)).unwrap(),
            Response::Rejected(Rejection::JobNotFound("j".into()))
        );
        set(a, job("j"), t(0));
        let r = a.apply(&toggle(Some(t(1)))).unwrap();
        assert!(matches!(r, Response::Job(j) if j.disabled));
        let o = launch(a, launch_of("j", t(2), LaunchKind::Scheduled, &["n"]));
        assert_eq!(skipped(&o), Some(SkipReason::Disabled));
        // The tick was decided: it never launches later, even once the job runs again.
        assert_eq!(record(a, "j").last_tick, Some(t(2)));
        a.apply(&toggle(None)).unwrap();
        let o = launch(a, launch_of("j", t(2), LaunchKind::Scheduled, &["n"]));
        assert_eq!(skipped(&o), Some(SkipReason::AlreadyLaunched));
        // A manual run of a paused job is the operator's call: it runs.
        a.apply(&toggle(None)).unwrap();
        let o = launch(a, launch_of("j", t(3), LaunchKind::Manual, &["n"]));
        assert!(matches!(o, LaunchOutcome::Started(e) if e.len() == 1));
    });
}

#[test]
fn a_tick_launches_once_on_each_target_and_never_again() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        a.launched.clear();
        let o = launch(
            a,
            launch_of("j", t(5), LaunchKind::Scheduled, &["n1", "n2"]),
        );
        let LaunchOutcome::Started(started) = o else {
            panic!("{o:?}")
        };
        let nodes: Vec<_> = started.iter().map(|e| e.node_name.as_str()).collect();
        assert_eq!(nodes, vec!["n1", "n2"]);
        for e in &started {
            assert_eq!(e.id, execution_id(t(5), &e.node_name));
            assert_eq!((e.scheduled_at, e.attempt), (t(5), 1));
            assert_eq!(e.group, instant_nanos(t(5)));
            assert!(e.is_running());
        }
        assert_eq!(a.launched.len(), 2, "both go to the dispatcher");
        let rec = record(a, "j");
        assert_eq!(rec.last_tick, Some(t(5)));
        assert_eq!((rec.running.len(), rec.unacked.len()), (2, 2));
        assert_eq!(rec.groups[&instant_nanos(t(5))].open, 2);
        let before = dump(a);
        // The same tick again (a retried commit, a second leader), or an older one: skipped,
        // and nothing changes.
        for tick in [t(5), t(4)] {
            for kind in [LaunchKind::Scheduled, LaunchKind::Missed] {
                let o = launch(a, launch_of("j", tick, kind, &["n1", "n3"]));
                assert_eq!(skipped(&o), Some(SkipReason::AlreadyLaunched), "{kind:?}");
            }
        }
        assert_eq!(dump(a), before);
        assert_eq!(a.launched.len(), 2);
        let o = launch(a, launch_of("nope", t(6), LaunchKind::Scheduled, &["n1"]));
        assert_eq!(skipped(&o), Some(SkipReason::JobNotFound));
    });
}

#[test]
fn a_tick_of_the_old_schedule_committed_after_a_change_neither_runs_nor_moves_the_ledger() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        launch(a, launch_of("j", t(5), LaunchKind::Scheduled, &["n"]));
        let every_5s = Job {
            schedule: "@every 5s".into(),
            ..job("j")
        };
        set(a, every_5s, t(20));
        // The old leader planned t(10) under the old schedule; its commit lands after the change.
        for kind in [LaunchKind::Scheduled, LaunchKind::Missed] {
            let o = launch(a, launch_of("j", t(10), kind, &["n"]));
            assert_eq!(skipped(&o), Some(SkipReason::NotStarted));
            assert_eq!(
                (record(a, "j").anchor, record(a, "j").last_tick),
                (t(20), None)
            );
        }
        assert!(stored(a, "j", t(10), "n").is_none());
        // The new schedule's own ticks run.
        let o = launch(a, launch_of("j", t(25), LaunchKind::Scheduled, &["n"]));
        assert_eq!(skipped(&o), None);
        assert_eq!(record(a, "j").last_tick, Some(t(25)));
    });
}

#[test]
fn ticks_outside_the_jobs_window_are_refused_but_decided() {
    with_applier(|a| {
        let windowed = Job {
            starts_at: Some(t(10)),
            expires_at: Some(t(20)),
            ..job("j")
        };
        set(a, windowed, t(0));
        for (tick, reason) in [
            (t(9), Some(SkipReason::NotStarted)),
            (t(10), None),
            (t(20), None),
            (t(21), Some(SkipReason::Expired)),
        ] {
            let o = launch(a, launch_of("j", tick, LaunchKind::Scheduled, &["n"]));
            assert_eq!(skipped(&o), reason, "{tick}");
            assert_eq!(record(a, "j").last_tick, Some(tick));
        }
    });
}

#[test]
fn forbid_refuses_a_tick_while_a_run_is_open_unless_forced() {
    with_applier(|a| {
        set(a, forbid("f"), t(0));
        launch(a, launch_of("f", t(1), LaunchKind::Scheduled, &["n"]));
        let before = record(a, "f");
        let o = launch(a, launch_of("f", t(2), LaunchKind::Scheduled, &["n"]));
        assert_eq!(skipped(&o), Some(SkipReason::StillRunning));
        // The refused tick is decided (never launched later), and nothing else changed.
        let after = record(a, "f");
        assert_eq!(after.last_tick, Some(t(2)));
        assert_eq!(after.running, before.running);
        let o = launch(a, launch_of("f", t(3), LaunchKind::Manual, &["n"]));
        assert_eq!(skipped(&o), Some(SkipReason::StillRunning));
        // A forced manual run may overlap; a missed tick runs nothing, so it is recorded.
        let forced = Launch {
            force: true,
            ..launch_of("f", t(3), LaunchKind::Manual, &["n"])
        };
        assert!(matches!(launch(a, forced), LaunchOutcome::Started(_)));
        let o = launch(a, launch_of("f", t(4), LaunchKind::Missed, &[]));
        assert!(matches!(o, LaunchOutcome::Missed(_)), "{o:?}");
        // Once both runs have finished, the next tick runs.
        finish(a, result("f", t(1), "n", true, 5));
        let o = launch(a, launch_of("f", t(5), LaunchKind::Scheduled, &["n"]));
        assert_eq!(skipped(&o), Some(SkipReason::StillRunning));
        finish(a, result("f", t(3), "n", true, 5));
        let o = launch(a, launch_of("f", t(6), LaunchKind::Scheduled, &["n"]));
        assert!(matches!(o, LaunchOutcome::Started(_)), "{o:?}");
    });
}

#[test]
fn a_missed_tick_is_recorded_as_missed_and_runs_nothing() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        a.launched.clear();
        let o = launch(a, launch_of("j", t(3), LaunchKind::Missed, &[]));
        let LaunchOutcome::Missed(e) = o else {
            panic!("{o:?}")
        };
        assert_eq!(e.status, ExecutionStatus::Missed);
        assert_eq!((e.started_at, e.finished_at), (t(3), t(3)));
        assert!(!e.success);
        assert!(a.launched.is_empty());
        let rec = record(a, "j");
        assert_eq!(rec.last_tick, Some(t(3)));
        assert!(rec.running.is_empty() && rec.groups.is_empty());
        assert_eq!(rec.job.error_count, 0, "a missed tick is no failure");
        assert_eq!(a.tally.missed, 1);
    });
}

#[test]
fn a_tick_with_no_target_is_recorded_as_failed_with_the_reason() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        let no_one = Launch {
            no_target: Some("no alive node in region \"eu\"".into()),
            ..launch_of("j", t(1), LaunchKind::Scheduled, &[])
        };
        let o = launch(a, no_one);
        assert_eq!(o, LaunchOutcome::Started(Vec::new()));
        let e = stored(a, "j", t(1), "").unwrap();
        assert_eq!(e.status, ExecutionStatus::Failed);
        assert_eq!(
            e.reason.as_deref(),
            Some(crate::model::NOT_RUN_NO_MATCHING_NODE)
        );
        assert_eq!(e.output, "[belfry] not run: no alive node in region \"eu\"");
        let rec = record(a, "j");
        assert_eq!(
            (rec.job.error_count, rec.job.status.as_str()),
            (1, "failed")
        );
        assert!(rec.running.is_empty());
    });
}

#[test]
fn a_result_closes_its_run_and_counts_it_once() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        launch(a, launch_of("j", t(1), LaunchKind::Scheduled, &["n"]));
        let mut reported = result("j", t(1), "n", true, 250);
        // A node reports only how the run went: what the leader recorded stays.
        reported.group = 42;
        reported.attempt = 9;
        reported.node_name = "elsewhere".into();
        assert_eq!(finish(a, reported.clone()), Response::Done);
        let e = stored(a, "j", t(1), "n").unwrap();
        assert_eq!(e.status, ExecutionStatus::Success);
        assert_eq!(
            (e.group, e.attempt, e.node_name.as_str()),
            (instant_nanos(t(1)), 1, "n")
        );
        let rec = record(a, "j");
        assert!(rec.running.is_empty() && rec.unacked.is_empty() && rec.groups.is_empty());
        assert_eq!(rec.job.success_count, 1);
        assert_eq!(
            rec.job.last_success,
            Some(t(1) + Duration::milliseconds(250))
        );
        assert_eq!(rec.job.status, "success");
        let day: DayStats = setting(a, "stats/2026-05-01").unwrap();
        assert_eq!((day.success_count, day.failed_count), (1, 0));
        // Reported again (a node retrying its report): changes nothing.
        let before = dump(a);
        assert_eq!(finish(a, reported), Response::Done);
        assert_eq!(dump(a), before);
    });
}

/// A result for an execution the state does not hold is ignored, never an error or a panic,
/// so one stale result never costs the batch it came in (see `check_command`): the answer is
/// `Done` and the state is unchanged.
#[test]
fn a_result_for_an_unknown_execution_changes_nothing() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        launch(a, launch_of("j", t(1), LaunchKind::Scheduled, &["n"]));
        let before = dump(a);
        let good = result("j", t(1), "n", true, 5);
        let strangers = [
            result("ghost", t(1), "n", true, 5),
            result("j", t(2), "n", true, 5),
            result("j", t(1), "other", false, 5),
            Execution {
                id: "not-a-number".into(),
                ..good.clone()
            },
            Execution {
                id: "".into(),
                ..good.clone()
            },
            Execution {
                job_name: "../../x".into(),
                ..good.clone()
            },
        ];
        for e in strangers.clone() {
            assert_eq!(
                check_command(&Command::Finish {
                    results: vec![e.clone()]
                }),
                Ok(())
            );
            assert_eq!(finish(a, e), Response::Done);
        }
        assert_eq!(dump(a), before);
        // In one batch with a good result: the good one still counts.
        let mut batch = strangers.to_vec();
        batch.push(good);
        a.apply(&Command::Finish { results: batch }).unwrap();
        assert!(record(a, "j").running.is_empty());
    });
}

#[test]
fn retry_backoff_doubles_from_a_second_up_to_five_minutes() {
    let secs: Vec<i64> = (0..=12).map(|n| retry_backoff(n).num_seconds()).collect();
    assert_eq!(
        secs,
        vec![1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    );
    assert_eq!(retry_backoff(u32::MAX).num_seconds(), 300);
}

#[test]
fn a_failed_run_is_retried_on_its_node_with_backoff_until_the_retries_are_spent() {
    with_applier(|a| {
        let retried = Job {
            retries: 2,
            ..job("j")
        };
        set(a, retried, t(0));
        let tick = t(1);
        let group = instant_nanos(tick);
        launch(a, launch_of("j", tick, LaunchKind::Scheduled, &["n"]));
        let mut at = tick;
        for attempt in 1..=3u32 {
            a.touched.clear();
            finish(a, result("j", at, "n", false, 500));
            let rec = record(a, "j");
            if attempt == 3 {
                // Spent: the group closes as failed, nothing more is owed.
                assert!(rec.pending.is_empty());
                assert!(rec.groups.is_empty());
                assert_eq!(rec.job.status, "failed");
                assert_eq!(rec.job.error_count, 3);
                break;
            }
            assert_eq!(rec.pending.len(), 1, "attempt {attempt}");
            let owed = rec.pending[0].clone();
            assert_eq!(
                owed.due,
                at + Duration::milliseconds(500) + retry_backoff(attempt)
            );
            assert_eq!(
                owed.cause,
                PendingCause::Retry {
                    group,
                    scheduled_at: tick,
                    attempt: attempt + 1,
                    node: "n".into(),
                }
            );
            assert_eq!(rec.groups[&group].open, 1, "the retry keeps the group open");
            assert!(a.touched.contains("j"), "the scheduler re-plans the job");
            at = owed.due;
            let o = launch(
                a,
                launch_of("j", at, LaunchKind::Pending { id: owed.id }, &["n"]),
            );
            let LaunchOutcome::Started(started) = o else {
                panic!("{o:?}")
            };
            assert_eq!(
                (
                    started[0].attempt,
                    started[0].group,
                    started[0].scheduled_at
                ),
                (attempt + 1, group, tick)
            );
            assert!(
                record(a, "j").pending.is_empty(),
                "the owed run is consumed"
            );
            // Launched twice: the second finds nothing owed.
            let again = launch(
                a,
                launch_of("j", at, LaunchKind::Pending { id: owed.id }, &["n"]),
            );
            assert_eq!(skipped(&again), Some(SkipReason::AlreadyLaunched));
        }
    });
}

#[test]
fn a_retry_refused_for_overlap_stays_owed() {
    with_applier(|a| {
        let retried = Job {
            retries: 1,
            ..forbid("f")
        };
        set(a, retried, t(0));
        launch(a, launch_of("f", t(1), LaunchKind::Scheduled, &["n"]));
        finish(a, result("f", t(1), "n", false, 5));
        let owed = record(a, "f").pending[0].clone();
        let forced = Launch {
            force: true,
            ..launch_of("f", t(2), LaunchKind::Manual, &["n"])
        };
        launch(a, forced);
        let o = launch(
            a,
            launch_of("f", owed.due, LaunchKind::Pending { id: owed.id }, &["n"]),
        );
        assert_eq!(skipped(&o), Some(SkipReason::StillRunning));
        assert_eq!(record(a, "f").pending, vec![owed]);
    });
}

#[test]
fn a_retry_whose_node_is_gone_closes_its_group_as_failed() {
    with_applier(|a| {
        let retried = Job {
            retries: 1,
            ..job("j")
        };
        set(a, retried, t(0));
        launch(a, launch_of("j", t(1), LaunchKind::Scheduled, &["n"]));
        finish(a, result("j", t(1), "n", false, 5));
        let owed = record(a, "j").pending[0].clone();
        let gone = Launch {
            no_target: Some("retry node n is gone".into()),
            ..launch_of("j", owed.due, LaunchKind::Pending { id: owed.id }, &[])
        };
        assert_eq!(launch(a, gone), LaunchOutcome::Started(Vec::new()));
        let rec = record(a, "j");
        assert!(rec.pending.is_empty() && rec.groups.is_empty());
        assert_eq!(rec.job.status, "failed");
    });
}

#[test]
fn a_parents_success_owes_its_children_a_run_and_a_failure_does_not() {
    with_applier(|a| {
        set(a, job("p"), t(0));
        let child = Job {
            parent_job: "p".into(),
            schedule: String::new(),
            ..job("c")
        };
        set(a, child, t(0));
        launch(a, launch_of("p", t(1), LaunchKind::Scheduled, &["n"]));
        finish(a, result("p", t(1), "n", false, 5));
        assert!(record(a, "c").pending.is_empty());
        launch(
            a,
            launch_of("p", t(2), LaunchKind::Scheduled, &["n1", "n2"]),
        );
        // Only when the whole group (every node) is done.
        finish(a, result("p", t(2), "n1", true, 5));
        assert!(record(a, "c").pending.is_empty());
        a.touched.clear();
        finish(a, result("p", t(2), "n2", true, 7));
        let owed = record(a, "c").pending;
        assert_eq!(owed.len(), 1);
        assert_eq!(owed[0].due, t(2) + Duration::milliseconds(7));
        assert_eq!(
            owed[0].cause,
            PendingCause::Dependent { parent: "p".into() }
        );
        assert!(a.touched.contains("c"));
        let o = launch(
            a,
            launch_of(
                "c",
                owed[0].due,
                LaunchKind::Pending { id: owed[0].id },
                &["n1"],
            ),
        );
        assert!(matches!(o, LaunchOutcome::Started(_)), "{o:?}");
    });
}

#[test]
fn a_partly_failed_group_says_so() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        launch(
            a,
            launch_of("j", t(1), LaunchKind::Scheduled, &["n1", "n2"]),
        );
        finish(a, result("j", t(1), "n1", true, 5));
        finish(a, result("j", t(1), "n2", false, 5));
        assert_eq!(record(a, "j").job.status, "partially_failed");
    });
}

#[test]
fn an_ephemeral_job_is_deleted_after_its_first_success() {
    with_applier(|a| {
        let once = Job {
            ephemeral: true,
            ..job("e")
        };
        set(a, once, t(0));
        launch(a, launch_of("e", t(1), LaunchKind::Scheduled, &["n"]));
        finish(a, result("e", t(1), "n", false, 5));
        assert!(a.load_job("e").unwrap().is_some(), "kept after a failure");
        launch(a, launch_of("e", t(2), LaunchKind::Scheduled, &["n"]));
        finish(a, result("e", t(2), "n", true, 5));
        assert!(a.load_job("e").unwrap().is_none());
        assert!(stored(a, "e", t(2), "n").is_none());
    });
}

#[test]
fn an_acknowledgement_marks_the_start_once_and_ignores_strangers() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        launch(a, launch_of("j", t(1), LaunchKind::Scheduled, &["n"]));
        let id = execution_id(t(1), "n");
        let ack = |job: &str, id: &str| Command::Acknowledge {
            executions: vec![(job.to_string(), id.to_string())],
        };
        let before = dump(a);
        for (job, id) in [("ghost", id.as_str()), ("j", "garbage"), ("j", "5-n")] {
            assert_eq!(a.apply(&ack(job, id)).unwrap(), Response::Done);
        }
        assert_eq!(dump(a), before);
        assert!(a.events.is_empty());
        a.apply(&ack("j", &id)).unwrap();
        assert!(record(a, "j").unacked.is_empty());
        assert_eq!(record(a, "j").running.len(), 1, "still running");
        a.apply(&ack("j", &id)).unwrap();
        let kinds: Vec<_> = a.events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![ExecutionEventKind::Started]);
        // A follower does not build events.
        a.events.clear();
        a.collect_events = false;
        finish(a, result("j", t(1), "n", true, 5));
        assert!(a.events.is_empty());
    });
}

#[test]
fn history_beyond_the_limit_drops_the_oldest_finished_runs_never_a_running_one() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        launch_with_limit(a, launch_of("j", t(1), LaunchKind::Scheduled, &["n"]), 2);
        for s in 2..=4 {
            launch_with_limit(a, launch_of("j", t(s), LaunchKind::Scheduled, &["n"]), 2);
            finish(a, result("j", t(s), "n", true, 5));
        }
        let kept: Vec<DateTime<Utc>> = (1..=4)
            .filter(|s| stored(a, "j", t(*s), "n").is_some())
            .map(t)
            .collect();
        // t(1) is still running: kept, and the newest finished one with it.
        assert_eq!(kept, vec![t(1), t(4)]);
        assert_eq!(record(a, "j").stored_executions, 2);
    });
}

#[test]
fn clearing_history_keeps_running_runs_and_resets_the_counters() {
    with_applier(|a| {
        assert_eq!(
            a.apply(&Command::DeleteExecutions { name: "j".into() })
                .unwrap(),
            Response::Rejected(Rejection::JobNotFound("j".into()))
        );
        set(a, job("j"), t(0));
        launch(a, launch_of("j", t(1), LaunchKind::Scheduled, &["n"]));
        finish(a, result("j", t(1), "n", false, 5));
        launch(a, launch_of("j", t(2), LaunchKind::Scheduled, &["n"]));
        let r = a
            .apply(&Command::DeleteExecutions { name: "j".into() })
            .unwrap();
        let Response::Job(cleared) = r else {
            panic!("{r:?}")
        };
        assert_eq!((cleared.success_count, cleared.error_count), (0, 0));
        assert_eq!((cleared.last_success, cleared.last_error), (None, None));
        assert!(stored(a, "j", t(1), "n").is_none());
        assert!(stored(a, "j", t(2), "n").is_some());
        let rec = record(a, "j");
        assert_eq!(rec.stored_executions, 1);
        assert_eq!(
            rec.last_tick,
            Some(t(2)),
            "the ledger is not history: it stays"
        );
    });
}

#[test]
fn the_pause_flag_is_stored_and_the_cluster_is_named_once() {
    with_applier(|a| {
        for paused in [true, false, true] {
            a.apply(&Command::SetPaused { paused }).unwrap();
            assert_eq!(setting::<bool>(a, KEY_PAUSED), Some(paused));
        }
        let name = |id: &str| Command::SetClusterId { id: id.into() };
        assert_eq!(a.apply(&name("first")).unwrap(), Response::Done);
        assert_eq!(a.apply(&name("second")).unwrap(), Response::Done);
        assert_eq!(
            setting::<String>(a, KEY_CLUSTER_ID).as_deref(),
            Some("first")
        );
    });
}

#[test]
fn a_restore_replaces_the_state_closes_old_runs_and_keeps_the_clusters_own_settings() {
    // The snapshot: a job with a run that was open when it was taken.
    let (rows, snapshot_job) = with_applier(|a| {
        set(a, job("old"), t(0));
        launch(a, launch_of("old", t(1), LaunchKind::Scheduled, &["n"]));
        a.apply(&Command::SetClusterId {
            id: "theirs".into(),
        })
        .unwrap();
        let rows: Rows = dump(a).into_iter().filter(|(tag, ..)| *tag != 4).collect();
        (rows, record(a, "old"))
    });
    with_applier(|a| {
        set(a, job("mine"), t(0));
        a.apply(&Command::SetClusterId { id: "ours".into() })
            .unwrap();
        a.apply(&Command::SetPaused { paused: true }).unwrap();
        let chunk = |first: bool, rows: Rows| Command::RestoreChunk {
            restore_id: 5,
            first,
            rows,
        };
        let half = rows.len() / 2;
        assert_eq!(
            a.apply(&chunk(true, rows[..half].to_vec())).unwrap(),
            Response::Done
        );
        // Committed before every row arrived: refused, nothing changed.
        let before = dump(a);
        let r = a
            .apply(&Command::RestoreCommit {
                restore_id: 5,
                rows: rows.len() as u64,
            })
            .unwrap();
        assert!(
            matches!(&r, Response::Rejected(Rejection::Invalid(why)) if why.contains("restore incomplete")),
            "{r:?}"
        );
        assert_eq!(dump(a), before);
        a.apply(&chunk(false, rows[half..].to_vec())).unwrap();
        let r = a
            .apply(&Command::RestoreCommit {
                restore_id: 5,
                rows: rows.len() as u64,
            })
            .unwrap();
        assert_eq!(r, Response::Done);
        assert!(a.load_job("mine").unwrap().is_none());
        let old = record(a, "old");
        assert_eq!(old.last_tick, snapshot_job.last_tick);
        assert!(old.running.is_empty() && old.unacked.is_empty() && old.groups.is_empty());
        let e = stored(a, "old", t(1), "n").unwrap();
        assert_eq!(e.status, ExecutionStatus::Failed);
        assert!(
            e.output
                .contains("still running when the restored snapshot was taken")
        );
        assert_eq!(
            setting::<String>(a, KEY_CLUSTER_ID).as_deref(),
            Some("ours")
        );
        assert_eq!(setting::<bool>(a, KEY_PAUSED), Some(true));
        assert!(
            a.staging.iter().unwrap().next().is_none(),
            "staging is emptied"
        );
        assert!(a.touched.contains("old") && a.touched.contains("mine"));
        // The restored ledger holds: the snapshot's tick does not launch again.
        let o = launch(a, launch_of("old", t(1), LaunchKind::Scheduled, &["n"]));
        assert_eq!(skipped(&o), Some(SkipReason::AlreadyLaunched));
    });
}

#[test]
fn check_row_accepts_what_the_state_machine_writes() {
    with_applier(|a| {
        set(a, job("j"), t(0));
        launch(a, launch_of("j", t(1), LaunchKind::Scheduled, &["n"]));
        finish(a, result("j", t(1), "n", true, 5));
        a.apply(&Command::SetPaused { paused: true }).unwrap();
        a.apply(&Command::SetClusterId { id: "c-1".into() })
            .unwrap();
        let rows: Vec<_> = dump(a).into_iter().filter(|(tag, ..)| *tag != 4).collect();
        assert_eq!(rows.len(), 5, "{rows:?}");
        for (tag, key, value) in rows {
            assert_eq!(check_row(tag, &key, &value), Ok(()), "{tag}/{key}");
        }
    });
}

#[test]
fn a_newer_value_format_is_a_clear_error() {
    let mut bytes = encode(&true);
    bytes[0] = VALUE_FORMAT + 1;
    let e = decode::<bool>(&bytes).unwrap_err().to_string();
    assert!(e.contains("newer than this binary understands"), "{e}");
    assert!(
        decode::<bool>(&[])
            .unwrap_err()
            .to_string()
            .contains("empty value")
    );
}

// ---- Properties -------------------------------------------------------------------------

/// The jobs of the random sequences: `a` allows overlap, `f` forbids it; both retry once.
const JOBS_USED: [&str; 2] = ["a", "f"];
const NODES_USED: [&str; 2] = ["n1", "n2"];

fn job_used(i: usize) -> Job {
    let base = if i == 0 { job("a") } else { forbid("f") };
    Job { retries: 1, ..base }
}

fn kind() -> impl Strategy<Value = LaunchKind> {
    prop_oneof![
        3 => Just(LaunchKind::Scheduled),
        1 => Just(LaunchKind::Missed),
        1 => Just(LaunchKind::Manual),
        1 => (0u64..3).prop_map(|id| LaunchKind::Pending { id }),
    ]
}

fn nodes() -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(NODES_USED.to_vec(), 0..=2)
        .prop_map(|n| n.into_iter().map(String::from).collect())
}

/// One command of a random history: launches, results, acknowledgements, toggles, updates
/// that keep the schedule. Ticks are the seconds 1..8. (Clearing history is left out: it lets
/// a manual run at the same instant re-create an execution id, which the unit tests cover.)
fn command() -> impl Strategy<Value = Command> {
    let job_index = 0usize..2;
    prop_oneof![
        5 => (job_index.clone(), 1i64..8, kind(), nodes(), any::<bool>()).prop_map(
            |(j, s, kind, nodes, force)| Command::Launch {
                launches: vec![Launch {
                    job: JOBS_USED[j].into(),
                    scheduled_at: t(s),
                    nodes,
                    kind,
                    no_target: None,
                    force: force && kind == LaunchKind::Manual,
                }],
                history_limit: 1000,
            }
        ),
        4 => (job_index.clone(), 1i64..8, 0usize..2, any::<bool>()).prop_map(
            |(j, s, n, success)| Command::Finish {
                results: vec![result(JOBS_USED[j], t(s), NODES_USED[n], success, 100)],
            }
        ),
        2 => (job_index.clone(), 1i64..8, 0usize..2).prop_map(|(j, s, n)| Command::Acknowledge {
            executions: vec![(JOBS_USED[j].to_string(), execution_id(t(s), NODES_USED[n]))],
        }),
        1 => (job_index.clone(), 0i64..8).prop_map(|(j, s)| Command::ToggleJob {
            name: JOBS_USED[j].into(),
            at: Some(t(s)),
        }),
        1 => (job_index, 0i64..8, any::<bool>()).prop_map(|(j, s, disabled)| {
            Command::SetJob {
                job: Box::new(Job {
                    disabled,
                    ..job_used(j)
                }),
                at: t(s),
            }
        }),
    ]
}

/// What applying a history did, besides the state it left.
#[derive(Debug, Default)]
struct Observed {
    /// Accepted scheduled or missed launches, by (job, tick).
    ticks: BTreeMap<(String, DateTime<Utc>), u32>,
    /// Whether each command took effect: a launch accepted, a result that closed a run, an
    /// acknowledgement of a run not yet acknowledged.
    effective: Vec<bool>,
}

/// Applies `commands` to a fresh state holding the two jobs, checking on the way that no
/// command fails and that the `forbid` job never starts a run while one is open (unless
/// forced). Returns the final state and what was observed.
fn replay(commands: &[Command]) -> Result<(Rows, Observed), TestCaseError> {
    with_applier(|a| {
        for i in 0..JOBS_USED.len() {
            set(a, job_used(i), t(0));
        }
        let mut seen = Observed::default();
        for command in commands {
            let launches_f = matches!(command, Command::Launch { launches, .. } if launches.iter().any(|l| l.job == "f"));
            let open_before = if launches_f {
                record(a, "f").running.len()
            } else {
                0
            };
            let takes_effect = match command {
                Command::Finish { results } => results.iter().any(|r| {
                    execution_key_from_id(&r.job_name, &r.id)
                        .and_then(|key| a.load_execution(&key).unwrap())
                        .is_some_and(|e| e.is_running())
                }),
                Command::Acknowledge { executions } => executions.iter().any(|(job, id)| {
                    let key = execution_key_from_id(job, id).unwrap_or_default();
                    a.load_job(job)
                        .unwrap()
                        .is_some_and(|r| r.unacked.contains(&key))
                }),
                _ => false,
            };
            let response = a
                .apply(command)
                .map_err(|e| TestCaseError::fail(format!("{command:?} failed: {e}")))?;
            let launched = matches!(&response, Response::Launched(o) if o.iter().any(|o| skipped(o).is_none()));
            seen.effective.push(takes_effect || launched);
            let (Command::Launch { launches, .. }, Response::Launched(outcomes)) =
                (command, &response)
            else {
                continue;
            };
            for (l, outcome) in launches.iter().zip(outcomes) {
                if skipped(outcome).is_some() {
                    continue;
                }
                if matches!(l.kind, LaunchKind::Scheduled | LaunchKind::Missed) {
                    *seen
                        .ticks
                        .entry((l.job.clone(), l.scheduled_at))
                        .or_default() += 1;
                }
                let started = matches!(outcome, LaunchOutcome::Started(e) if !e.is_empty());
                if l.job == "f" && started && !l.force {
                    prop_assert_eq!(open_before, 0, "forbid overlapped: {:?}", l);
                }
            }
        }
        Ok((dump(a), seen))
    })
}

/// Whether applying `command` a second time, later, once it took effect, is a no-op by
/// design: a launch (a tick by the ledger, an owed run consumed, a manual run by its
/// execution id), a result (the run is closed) and an acknowledgement (already taken).
/// Toggles are not, by definition, and neither are updates (a later copy would undo what came
/// between).
fn repeatable(command: &Command) -> bool {
    matches!(
        command,
        Command::Launch { .. } | Command::Finish { .. } | Command::Acknowledge { .. }
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Replaying a history, with copies of its repeatable commands delivered again later (a
    /// retried commit, a stale leader, a node reporting twice), ends in exactly the state of
    /// the history without them; no tick is ever accepted twice; and `forbid` never overlaps
    /// (checked inside `replay`).
    #[test]
    fn replaying_with_duplicates_changes_nothing_and_launches_each_tick_once(
        commands in proptest::collection::vec(command(), 0..32),
        copies in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..12),
    ) {
        let (state, seen) = replay(&commands)?;
        prop_assert!(seen.ticks.values().all(|n| *n == 1), "{:?}", seen.ticks);

        // Copies of commands that took effect, each delivered again anywhere after its original
        // (`None` marks a copy).
        let effective: Vec<usize> = (0..commands.len())
            .filter(|i| seen.effective[*i] && repeatable(&commands[*i]))
            .collect();
        let mut with_copies: Vec<(Command, Option<usize>)> =
            commands.iter().cloned().enumerate().map(|(i, c)| (c, Some(i))).collect();
        for (which, offset) in &copies {
            if effective.is_empty() {
                break;
            }
            let original = effective[which.index(effective.len())];
            let position = with_copies.iter().position(|(_, o)| *o == Some(original)).unwrap();
            let at = position + 1 + offset.index(with_copies.len() - position);
            with_copies.insert(at, (commands[original].clone(), None));
        }
        let with_copies: Vec<Command> = with_copies.into_iter().map(|(c, _)| c).collect();
        let (state_with_copies, seen_with_copies) = replay(&with_copies)?;
        prop_assert!(
            seen_with_copies.ticks.values().all(|n| *n == 1),
            "{:?}",
            seen_with_copies.ticks
        );
        prop_assert_eq!(&seen_with_copies.ticks, &seen.ticks);
        prop_assert!(state_with_copies == state, "a repeated command changed the state");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Whatever a job command holds, if the checks refuse it the state machine answers with
    /// that reason and changes nothing; if they accept it, it is stored under its name.
    #[test]
    fn a_refused_job_changes_nothing_and_says_why(
        name in prop_oneof!["[a-z0-9_-]{1,12}", "\\PC{0,12}"],
        schedule in prop_oneof![
            Just("@every 1s".to_string()),
            Just("0 0 * * * *".to_string()),
            Just("@daily".to_string()),
            "\\PC{0,16}",
        ],
        executor in prop_oneof![Just("shell".to_string()), Just("http".to_string()), "[a-z]{0,6}"],
        timezone in prop_oneof![Just(String::new()), Just("Europe/Paris".to_string()), "[A-Za-z/]{0,12}"],
        concurrency in prop_oneof![Just("allow".to_string()), Just("forbid".to_string()), "[a-z]{0,6}"],
        catchup in prop_oneof![Just(String::new()), Just("all".to_string()), "[a-z]{0,6}"],
    ) {
        let candidate = Job {
            name,
            schedule,
            executor,
            timezone,
            concurrency,
            catchup,
            ..job("x")
        };
        let command = Command::SetJob { job: Box::new(candidate.clone()), at: t(0) };
        with_applier(|a| {
            set(a, job("existing"), t(0));
            let before = dump(a);
            let response = a.apply(&command).unwrap();
            match check_command(&command) {
                Err(rejection) => {
                    prop_assert!(matches!(rejection, Rejection::Invalid(_)));
                    prop_assert_eq!(response, Response::Rejected(rejection));
                    prop_assert!(dump(a) == before, "a refused command changed the state");
                }
                Ok(()) => {
                    prop_assert!(matches!(response, Response::Job(_)), "{:?}", response);
                    prop_assert!(a.load_job(&candidate.name).unwrap().is_some());
                }
            }
            Ok(())
        })?;
    }
}

fn row() -> impl Strategy<Value = (u8, String, Vec<u8>)> {
    let valid_job = encode(&JobRecord {
        job: job("r"),
        anchor: t(0),
        last_tick: None,
        running: Default::default(),
        stored_executions: 0,
        unacked: Default::default(),
        pending: Vec::new(),
        next_pending_id: 0,
        groups: Default::default(),
    });
    prop_oneof![
        (
            0u8..5,
            "\\PC{0,12}",
            proptest::collection::vec(any::<u8>(), 0..40)
        ),
        (
            Just(1u8),
            prop_oneof![Just("r".to_string()), "[a-z/.]{1,6}"],
            Just(valid_job)
        ),
        (
            Just(3u8),
            prop_oneof![
                Just(KEY_PAUSED.to_string()),
                Just("held-out/s1".to_string()),
                "held-out/\\PC{0,8}",
                "stats/\\PC{0,10}",
            ],
            prop_oneof![
                Just(encode(&true)),
                Just(encode(&t(0))),
                Just(encode(&DayStats::default()))
            ],
        ),
    ]
}

/// A name, id or accessor: often a plausible one, often anything.
fn name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z0-9_-]{1,10}", "\\PC{0,70}"]
}

/// Commands that carry names, ids and rows the checks must judge.
fn checked_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        name().prop_map(|node| Command::HoldOut { node, at: t(0) }),
        name().prop_map(|node| Command::ReleaseHoldOut { node }),
        name().prop_map(|id| Command::SetClusterId { id }),
        name().prop_map(|accessor| Command::AclCreateToken {
            token: crate::state::acl::StoredToken {
                info: crate::state::acl::TokenInfo {
                    accessor,
                    description: String::new(),
                    role: crate::state::acl::Role::ReadOnly,
                    scope: Default::default(),
                    created_at: t(0),
                },
                secret_hash: String::new(),
            },
        }),
        proptest::collection::vec(row(), 1..4).prop_map(|rows| Command::RestoreChunk {
            restore_id: 1,
            first: true,
            rows,
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any command the checks refuse (a node name that could not be one, a cluster id or
    /// token accessor that would make a bad key, a restored row that does not decode or holds
    /// a job the API would refuse) is answered with that rejection and changes nothing; one
    /// they accept is applied.
    #[test]
    fn a_refused_command_changes_nothing_and_says_why(command in checked_command()) {
        with_applier(|a| {
            set(a, job("existing"), t(0));
            let before = dump(a);
            let response = a.apply(&command).unwrap();
            match check_command(&command) {
                Err(rejection) => {
                    prop_assert_eq!(response, Response::Rejected(rejection));
                    prop_assert!(dump(a) == before, "a refused command changed the state");
                }
                Ok(()) => prop_assert_eq!(response, Response::Done),
            }
            Ok(())
        })?;
    }
}

#[test]
fn open_execution_keys_name_the_node_and_whether_it_acknowledged_without_reading_the_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut a = Applier::new(&txn).unwrap();
        set(&mut a, job("j"), t(0));
        // Node names with dashes: the key's id part is `<nanos>-<node>`.
        launch(
            &mut a,
            launch_of("j", t(1), LaunchKind::Scheduled, &["node-1", "n2"]),
        );
        a.apply(&Command::Acknowledge {
            executions: vec![("j".into(), execution_id(t(1), "n2"))],
        })
        .unwrap();
        launch(
            &mut a,
            launch_of("j", t(2), LaunchKind::Scheduled, &["node-1"]),
        );
        finish(&mut a, result("j", t(2), "node-1", true, 5));
    }
    txn.commit().unwrap();
    let read = redb::ReadableDatabase::begin_read(&db).unwrap();
    let r = Reader::new(&read).unwrap();
    let open = r.open_execution_keys().unwrap();
    let mut seen: Vec<(String, bool)> = open
        .iter()
        .map(|o| (o.node().unwrap().to_string(), o.unacked))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![("n2".to_string(), false), ("node-1".to_string(), true)],
        "the finished run is not open"
    );
    for o in &open {
        let e = r.execution_by_key(&o.key).unwrap().unwrap();
        assert_eq!(Some(e.node_name.as_str()), o.node());
        assert_eq!(e.scheduled_at, t(1));
    }
    assert_eq!(r.execution_by_key("j\0nothing").unwrap(), None);
}
