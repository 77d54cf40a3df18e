//! The dispatcher's decisions, tested in-process without a cluster: which nodes count as
//! candidates for targeting, how launches are grouped into requests (and never sent twice at
//! once), and what the once-a-second sweep does with each open execution — resend it, close it
//! because its node is gone or it could not be delivered in time, or leave it — including a new
//! leader's grace period for nodes gossip has not told it about yet.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use proptest::prelude::*;

use super::{
    AckError, Answer, Delivery, InHand, Key, PER_REQUEST, UNANSWERED_HOLD, Verdict, batches,
    candidates, commit_acks, judge,
};
use crate::cluster::membership::{MemberState, MemberStatus, NodeMeta, Role};
use crate::model::Execution;
use crate::state::Launched;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn member(name: &str, role: Role, status: MemberStatus) -> MemberState {
    let addr: SocketAddr = "127.0.0.1:7946".parse().unwrap();
    MemberState {
        meta: NodeMeta {
            name: name.into(),
            gossip_addr: addr,
            rpc_addr: "127.0.0.1:6868".parse().unwrap(),
            http_addr: "127.0.0.1:8080".parse().unwrap(),
            role,
            region: "eu".into(),
            datacenter: "dc1".into(),
            tags: BTreeMap::from([("kind".to_string(), "web".to_string())]),
            version: "0.1.0".into(),
            protocol_min: 1,
            protocol_max: 1,
            bootstrap_expect: 3,
        },
        status,
        since: SystemTime::UNIX_EPOCH,
    }
}

fn launched(job: &str, id: &str, node: &str) -> Launched {
    Launched {
        job: job.into(),
        execution_id: id.into(),
        node: node.into(),
    }
}

/// An open execution of job `j` on `node`, dispatched at `started`.
fn open(node: &str, started: DateTime<Utc>) -> Execution {
    Execution {
        id: crate::model::execution_id(started, node),
        job_name: "j".into(),
        started_at: started,
        scheduled_at: started,
        node_name: node.into(),
        output: "partial output\n".into(),
        ..Execution::default()
    }
}

/// A catch-up window lookup that must not happen (the decision needs no window).
fn no_lookup(job: &str) -> Duration {
    panic!("the catch-up window of {job} was looked up for nothing")
}

#[test]
fn only_alive_members_are_targetable_and_they_carry_the_tags_members_show() {
    let members = [
        member("a", Role::Server, MemberStatus::Alive),
        member("b", Role::Agent, MemberStatus::Suspect),
        member("c", Role::Agent, MemberStatus::Failed),
        member("d", Role::Agent, MemberStatus::Left),
    ];
    let c = candidates(&members);
    let alive: Vec<(&str, bool)> = c.iter().map(|c| (c.name.as_str(), c.alive)).collect();
    // A suspect node may refute, but no new launch is sent its way meanwhile.
    assert_eq!(
        alive,
        vec![("a", true), ("b", false), ("c", false), ("d", false)]
    );
    assert_eq!(c[0].region, "eu");
    // Dkron matches job tags against every tag `/v1/members` shows, not only the user's.
    for (key, value) in [
        ("kind", "web"),
        ("role", "belfry"),
        ("dc", "dc1"),
        ("region", "eu"),
        ("server", "true"),
    ] {
        assert_eq!(c[0].tags.get(key).map(String::as_str), Some(value), "{key}");
    }
    assert!(!c[1].tags.contains_key("server"), "agents are not servers");
}

#[test]
fn launches_go_one_request_per_node_in_bounded_batches() {
    let mut input: Vec<Launched> = (0..PER_REQUEST * 2 + 10)
        .map(|i| launched("j", &format!("{i}-b"), "b"))
        .collect();
    input.push(launched("j", "1-a", "a"));
    let mut inflight = HashSet::new();
    let out = batches(input, &mut inflight);
    let shape: Vec<(&str, usize)> = out.iter().map(|(n, l)| (n.as_str(), l.len())).collect();
    assert_eq!(
        shape,
        vec![("a", 1), ("b", PER_REQUEST), ("b", PER_REQUEST), ("b", 10)]
    );
    assert!(
        out.iter()
            .all(|(node, l)| l.iter().all(|l| &l.node == node))
    );
    assert_eq!(inflight.len(), PER_REQUEST * 2 + 11);
}

#[test]
fn a_launch_already_on_its_way_is_not_sent_again() {
    let mut inflight: HashSet<Key> = HashSet::from([("j".to_string(), "1-a".to_string())]);
    let input = vec![
        launched("j", "1-a", "a"),
        launched("j", "2-a", "a"),
        // Handed over twice in one batch (the feed and the sweep): sent once.
        launched("j", "2-a", "a"),
    ];
    let out = batches(input, &mut inflight);
    assert_eq!(
        out,
        vec![("a".to_string(), vec![launched("j", "2-a", "a")])]
    );
    assert!(inflight.contains(&("j".to_string(), "2-a".to_string())));
    assert!(batches(Vec::new(), &mut inflight).is_empty());
}

#[test]
fn an_execution_on_a_failed_or_departed_node_is_closed_as_failed_with_the_reason() {
    let now = at("2026-01-01T00:10:00Z");
    let started = at("2026-01-01T00:09:00Z");
    for (status, why) in [
        (MemberStatus::Failed, "failed (gossip)"),
        (MemberStatus::Left, "left the cluster"),
    ] {
        for (unacked, stage) in [(false, "running"), (true, "being dispatched")] {
            let e = open("n1", started);
            let verdict = judge(
                e.clone(),
                delivery(unacked),
                Some(status),
                false,
                now,
                no_lookup,
            );
            let Verdict::Close(closed) = verdict else {
                panic!("{status:?}/{unacked}: {verdict:?}");
            };
            assert_eq!((closed.id, closed.job_name), (e.id, e.job_name));
            assert!(!closed.success);
            assert_eq!(closed.finished_at, now);
            assert_eq!(closed.started_at, started);
            assert_eq!(
                closed.output,
                format!("partial output\n[belfry] node n1 {why} while this execution was {stage}")
            );
        }
    }
}

#[test]
fn a_new_leader_waits_out_its_grace_before_closing_runs_of_nodes_it_does_not_know() {
    let now = at("2026-01-01T00:10:00Z");
    let e = open("stranger", now - chrono::Duration::seconds(5));
    // Within the grace a restarted leader is still learning the membership: an undelivered
    // launch is sent again (and fails until the node shows up), a delivered one is left.
    let window = |_: &str| Duration::from_secs(60);
    assert_eq!(
        judge(e.clone(), Delivery::Undelivered, None, false, now, window),
        Verdict::Resend(launched("j", &e.id, "stranger"))
    );
    assert_eq!(
        judge(
            e.clone(),
            Delivery::Acknowledged,
            None,
            false,
            now,
            no_lookup
        ),
        Verdict::Leave
    );
    for unacked in [false, true] {
        match judge(e.clone(), delivery(unacked), None, true, now, no_lookup) {
            Verdict::Close(closed) => {
                assert!(closed.output.contains("is not a member of the cluster"))
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(super::UNKNOWN_NODE_GRACE, Duration::from_secs(30));
}

#[test]
fn an_acknowledged_run_on_a_live_node_is_left_alone() {
    let now = at("2026-01-01T00:10:00Z");
    // However old: a long job is no reason to close it.
    let e = open("n1", at("2025-01-01T00:00:00Z"));
    for status in [MemberStatus::Alive, MemberStatus::Suspect] {
        for grace_over in [false, true] {
            assert_eq!(
                judge(
                    e.clone(),
                    Delivery::Acknowledged,
                    Some(status),
                    grace_over,
                    now,
                    no_lookup
                ),
                Verdict::Leave
            );
        }
    }
}

#[test]
fn an_undelivered_launch_is_resent_until_it_is_older_than_the_catch_up_window() {
    let now = at("2026-01-01T00:10:00Z");
    let minute = |job: &str| {
        assert_eq!(job, "j");
        Duration::from_secs(60)
    };
    for (age, resent) in [
        (0, true),
        (59, true),
        (60, true),
        (61, false),
        (3600, false),
    ] {
        let e = open("n1", now - chrono::Duration::seconds(age));
        let verdict = judge(
            e.clone(),
            Delivery::Undelivered,
            Some(MemberStatus::Alive),
            true,
            now,
            minute,
        );
        if resent {
            assert_eq!(
                verdict,
                Verdict::Resend(launched("j", &e.id, "n1")),
                "{age}s"
            );
        } else {
            let Verdict::Close(closed) = verdict else {
                panic!("{age}s: {verdict:?}");
            };
            assert!(!closed.success);
            assert_eq!(
                closed.output,
                "[belfry] not started: could not be delivered to node n1 within the job's catch-up window"
            );
        }
    }
    // A launch stamped ahead of this leader's clock (an earlier leader's clock ran ahead) is
    // young, not undeliverable.
    let ahead = open("n1", now + chrono::Duration::seconds(5));
    assert!(matches!(
        judge(
            ahead,
            Delivery::Undelivered,
            Some(MemberStatus::Alive),
            true,
            now,
            minute
        ),
        Verdict::Resend(_)
    ));
}

/// The two states the state itself tells apart.
fn delivery(unacked: bool) -> Delivery {
    if unacked {
        Delivery::Undelivered
    } else {
        Delivery::Acknowledged
    }
}

#[test]
fn a_launch_in_the_nodes_hands_is_never_given_up_however_late() {
    let now = at("2026-01-01T00:10:00Z");
    let minute = |_: &str| Duration::from_secs(60);
    // Hours past the window, on a dispatch that is on its way or accepted with the
    // acknowledgement not committed yet: the node may run it, so it is not closed as
    // undeliverable (the old sweep did, and the node ran it anyway).
    for age in [61, 3600] {
        let e = open("n1", now - chrono::Duration::seconds(age));
        assert_eq!(
            judge(
                e,
                Delivery::InHand,
                Some(MemberStatus::Alive),
                true,
                now,
                minute
            ),
            Verdict::Leave,
            "{age}s"
        );
    }
    // Its node gone is still a close, said as a dispatch cut short, once the node has
    // answered; not while the dispatch is on its way (a paused node takes it when it
    // resumes, and would run what was closed).
    for node in [Some(MemberStatus::Failed), Some(MemberStatus::Left), None] {
        assert_eq!(
            judge(open("n1", now), Delivery::InFlight, node, true, now, minute),
            Verdict::Leave,
            "{node:?}"
        );
    }
    let e = open("n1", now);
    let Verdict::Close(closed) = judge(
        e,
        Delivery::InHand,
        Some(MemberStatus::Failed),
        true,
        now,
        minute,
    ) else {
        panic!("a failed node's launch stays open");
    };
    assert!(
        closed
            .output
            .ends_with("while this execution was being dispatched")
    );
}

#[test]
fn a_launch_its_node_has_not_answered_for_is_sent_past_the_window_until_the_hold_ends() {
    let now = at("2026-01-01T00:10:00Z");
    let minute = |_: &str| Duration::from_secs(60);
    let hold = UNANSWERED_HOLD.as_secs() as i64;
    // A dispatch that timed out may have been taken: asking again is how the leader learns
    // whether the node has it; closing it unasked (the old sweep, once past the window) could
    // record as not run a launch the node runs.
    for age in [0, 61, 60 + hold] {
        let e = open("n1", now - chrono::Duration::seconds(age));
        assert_eq!(
            judge(
                e.clone(),
                Delivery::Unanswered,
                Some(MemberStatus::Alive),
                true,
                now,
                minute
            ),
            Verdict::Resend(launched("j", &e.id, "n1")),
            "{age}s"
        );
    }
    let e = open("n1", now - chrono::Duration::seconds(61 + hold));
    let Verdict::Close(closed) = judge(
        e,
        Delivery::Unanswered,
        Some(MemberStatus::Alive),
        true,
        now,
        minute,
    ) else {
        panic!("a node that never answers holds the launch for ever");
    };
    assert_eq!(
        closed.output,
        "[belfry] not started: node n1 did not answer for it within the job's catch-up window and 60 s more"
    );
}

fn key(id: &str) -> Key {
    ("j".to_string(), id.to_string())
}

#[test]
fn what_a_node_answers_decides_where_a_launch_stands() {
    let mut hand = InHand::default();
    let all: HashSet<Key> = ["1", "2", "3", "4", "5"].map(key).into();
    for k in &all {
        hand.inflight.insert(k.clone());
        assert_eq!(hand.delivery(k), Delivery::InFlight, "on its way");
    }
    // 1 and 2 timed out; the node took 3, said 4 came too late, and refused 5 whole (it
    // was shutting down: whether an earlier dispatch of 5 was taken is not known).
    hand.answered(vec![key("1"), key("2")], Answer::None);
    hand.answered(
        vec![key("3"), key("4")],
        Answer::Took {
            took: vec![key("3")],
            too_late: vec![key("4")],
        },
    );
    hand.answered(vec![key("5")], Answer::Refused);
    assert_eq!(hand.delivery(&key("1")), Delivery::Unanswered);
    assert_eq!(hand.delivery(&key("3")), Delivery::InHand);
    assert_eq!(hand.delivery(&key("4")), Delivery::Undelivered);
    assert_eq!(hand.delivery(&key("5")), Delivery::Unanswered);
    // Sent again, 1 is taken; the resend of 4 is lost, and 4 stays too late.
    hand.inflight.extend([key("1"), key("4")]);
    hand.answered(
        vec![key("1")],
        Answer::Took {
            took: vec![key("1")],
            too_late: vec![],
        },
    );
    hand.answered(vec![key("4")], Answer::None);
    assert_eq!(hand.delivery(&key("1")), Delivery::InHand);
    assert_eq!(hand.delivery(&key("4")), Delivery::Undelivered);
    // Nothing sent (closed meanwhile) changes nothing but the flight.
    hand.inflight.insert(key("2"));
    hand.answered(vec![key("2")], Answer::NotSent);
    assert_eq!(hand.delivery(&key("2")), Delivery::Unanswered);
    // Once the state shows them acknowledged or closed, they are forgotten.
    hand.prune(&HashSet::from([key("2")]));
    assert!(hand.accepted.is_empty() && hand.too_late.is_empty() && hand.inflight.is_empty());
    assert_eq!(hand.delivery(&key("3")), Delivery::Unanswered);
}

#[tokio::test(start_paused = true)]
async fn acknowledgements_that_fail_to_commit_are_tried_again_until_raft_stops() {
    use std::sync::{Arc, Mutex};
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let tries: Arc<Mutex<Vec<Vec<Key>>>> = Arc::default();
    let seen = tries.clone();
    // Fails twice (a slow quorum, a lapsed lease), then commits; after that, Raft stops.
    let acker = tokio::spawn(commit_acks(
        move |batch: Vec<Key>| {
            let seen = seen.clone();
            async move {
                let mut tries = seen.lock().unwrap();
                tries.push(batch);
                match tries.len() {
                    1 | 2 => Err(AckError::Retry("quorum slow".into())),
                    3 => Ok(()),
                    _ => Err(AckError::Stopped("fatal".into())),
                }
            }
        },
        rx,
    ));
    tx.send(key("1")).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Arrived while the first batch waits to be tried again: it joins it.
    tx.send(key("2")).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    {
        let tries = tries.lock().unwrap();
        assert_eq!(tries.len(), 3, "{tries:?}");
        assert_eq!(tries[0], [key("1")]);
        assert_eq!(
            tries[2],
            [key("1"), key("2")],
            "retried with what came meanwhile"
        );
    }
    tx.send(key("3")).unwrap();
    tokio::time::timeout(Duration::from_secs(10), acker)
        .await
        .expect("the acker stops once Raft has stopped")
        .unwrap();
    assert_eq!(tries.lock().unwrap().len(), 4);
}

fn delivery_state() -> impl Strategy<Value = Delivery> {
    prop_oneof![
        Just(Delivery::Acknowledged),
        Just(Delivery::InFlight),
        Just(Delivery::InHand),
        Just(Delivery::Undelivered),
        Just(Delivery::Unanswered),
    ]
}

fn status() -> impl Strategy<Value = Option<MemberStatus>> {
    prop_oneof![
        Just(None),
        Just(Some(MemberStatus::Alive)),
        Just(Some(MemberStatus::Suspect)),
        Just(Some(MemberStatus::Failed)),
        Just(Some(MemberStatus::Left)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whatever the inputs: an acknowledged run on a node that is there is never closed, only
    /// an unacknowledged launch is resent (to its own node, under its own id), and a close is
    /// a failure stamped now that keeps the execution's identity.
    #[test]
    fn the_sweep_never_closes_a_live_delivered_run_and_resends_only_undelivered_ones(
        node in status(),
        delivery in delivery_state(),
        grace_over in any::<bool>(),
        age_secs in -100i64..10_000,
        window_secs in 1u64..5_000,
    ) {
        let now = at("2026-01-01T00:10:00Z");
        let e = open("n1", now - chrono::Duration::seconds(age_secs));
        let window = |_: &str| Duration::from_secs(window_secs);
        let verdict = judge(e.clone(), delivery, node, grace_over, now, window);
        let unacked = matches!(delivery, Delivery::Undelivered | Delivery::Unanswered);
        // How long it is sent before it is given up: an unanswered launch is held longer.
        let sent_for = window_secs as i64
            + if delivery == Delivery::Unanswered { UNANSWERED_HOLD.as_secs() as i64 } else { 0 };
        let present = matches!(node, Some(MemberStatus::Alive | MemberStatus::Suspect))
            || (node.is_none() && !grace_over);
        let in_flight = delivery == Delivery::InFlight;
        match verdict {
            // A dispatch on its way is waited for, even to a node gossip gave up on.
            Verdict::Leave => prop_assert!(!unacked && (present || in_flight)),
            Verdict::Resend(l) => {
                prop_assert!(unacked && present);
                prop_assert!(age_secs <= sent_for);
                prop_assert_eq!(l, launched("j", &e.id, "n1"));
            }
            Verdict::Close(closed) => {
                prop_assert!(!in_flight);
                prop_assert!(!present || (unacked && age_secs > sent_for));
                prop_assert!(!closed.success);
                prop_assert_eq!(closed.finished_at, now);
                prop_assert_eq!(&closed.id, &e.id);
                prop_assert_eq!(&closed.node_name, &e.node_name);
                prop_assert_eq!(closed.scheduled_at, e.scheduled_at);
            }
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Grouping loses and duplicates nothing: every launch not already in flight is in exactly
    /// one request, to its own node, and is in flight afterwards.
    #[test]
    fn batching_sends_each_new_launch_exactly_once(
        items in proptest::collection::vec((0u16..400, 0u8..2), 0..700),
        busy in proptest::collection::vec(0u16..400, 0..40),
    ) {
        let input: Vec<Launched> = items
            .iter()
            .map(|(id, node)| launched("j", &format!("{id}-n{node}"), &format!("n{node}")))
            .collect();
        let mut inflight: HashSet<Key> = busy
            .iter()
            .flat_map(|id| (0..2).map(move |n| ("j".to_string(), format!("{id}-n{n}"))))
            .collect();
        let before = inflight.clone();
        let out = batches(input.clone(), &mut inflight);
        let mut sent = Vec::new();
        for (node, launches) in &out {
            prop_assert!(!launches.is_empty() && launches.len() <= PER_REQUEST);
            for l in launches {
                prop_assert_eq!(&l.node, node);
                sent.push((l.job.clone(), l.execution_id.clone()));
            }
        }
        let expected: HashSet<Key> = input
            .iter()
            .map(|l| (l.job.clone(), l.execution_id.clone()))
            .filter(|k| !before.contains(k))
            .collect();
        prop_assert_eq!(sent.len(), expected.len(), "sent twice");
        prop_assert_eq!(sent.into_iter().collect::<HashSet<_>>(), expected.clone());
        prop_assert_eq!(inflight, before.union(&expected).cloned().collect::<HashSet<_>>());
    }
}
