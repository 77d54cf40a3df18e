//! The leader's side of execution: sends every launched execution to its node, and makes
//! sure none is left hanging (docs/operating.md, "Where jobs run").
//!
//! Launches reach the dispatcher from the state machine's launch feed once committed — those
//! of the scheduler and manual runs alike — and, when it starts, from the state itself: every
//! execution still unacknowledged, which a previous leader may never have delivered. Each
//! dispatch carries a fencing token (this leader's term and applied index); the node records it
//! durably, runs what it had not accepted before, and answers; the acknowledgements are then
//! committed, so the next leader knows what it need not send again.
//!
//! Once a second, it looks at every open execution: one still unacknowledged is sent again; one
//! whose node gossip declares failed or gone is closed as failed with the reason (and retried
//! per the job's policy) once no dispatch of it is on its way, so nothing stays "running"
//! forever. (A node refuses a dispatch older than the sender waits for an answer, so one that
//! sat in the buffers of a paused node never starts what was closed meanwhile.) A launch on
//! its way to its node, or accepted there with its acknowledgement not committed yet, is in
//! the node's hands: it is neither sent again nor given up as undeliverable, however late (a
//! node with a long queue of launches answers late, and closing what it then runs would
//! record a run as not run).
//! Nor is a launch given up as soon as it is past its catch-up window while its node has not
//! answered for it: a dispatch that timed out, or was refused whole, may have been taken by an
//! earlier one. It is sent again: a node never starts a launch that reaches it past the
//! window, it answers that it holds it or that it is too late. A launch the node says is too
//! late is closed as not started; one the node never answers for is closed
//! [`UNANSWERED_HOLD`] after the window, if gossip still has the node.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{mpsc, watch};

use crate::cluster::membership::{MemberState, MemberStatus, Membership};
use crate::consensus::pacer::CommitPacer;
use crate::consensus::{Raft, StateMachine};
use crate::job::targeting::Candidate;
use crate::model::Execution;
use crate::node::worker::{Assignment, DispatchRequest, FencingToken, Worker};
use crate::state::{Command, Launched};
use crate::transport::rpc::RpcCall as _;
use crate::transport::rpc::RpcClient;

/// How often the sweep looks at every open execution, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The sweep waits this many times as long as it took before the next one.
const SWEEP_SHARE: u32 = 10;

/// The longest pause between two sweeps, however long the last one took.
const SWEEP_PAUSE_MAX: Duration = Duration::from_secs(10);

/// How long a new leader waits before closing executions of nodes gossip does not know at
/// all (a restarted leader learns the membership first).
const UNKNOWN_NODE_GRACE: Duration = Duration::from_secs(30);

/// How long past its catch-up window a launch is still sent to a node that never answers
/// for it (its dispatches time out or are refused whole, or it is a previous leader's and
/// this one has had no answer yet) before it is closed as not started, while gossip says the
/// node is there. A node never starts a launch that reaches it past the window, so a resend
/// then only asks whether it took it earlier; six dispatch timeouts give a slow node time to
/// say so, and keep a `forbid` job blocked by a launch that never ran for a minute at most.
const UNANSWERED_HOLD: Duration = Duration::from_secs(60);

/// How long past a dispatch's timeout its launches still count as on their way when it got no
/// answer. A node refuses a dispatch it reckons 8 s old or more
/// (`worker::DISPATCH_STALE_AFTER`), but it reckons from below: one it judged fresh just in
/// time may be recorded after the sender gave up. Until this has passed too, a launch is
/// neither sent again nor closed, so none is recorded as not run while its node runs it.
const NO_ANSWER_GRACE: Duration = Duration::from_secs(5);

/// Pauses between attempts to commit acknowledgements: doubling from the first to the last.
const ACK_RETRY_FIRST: Duration = Duration::from_millis(200);
const ACK_RETRY_MAX: Duration = Duration::from_secs(5);

/// The gossip view as targeting sees it.
pub fn candidates(members: &[MemberState]) -> Vec<Candidate> {
    members
        .iter()
        .map(|m| Candidate {
            name: m.meta.name.clone(),
            region: m.meta.region.clone(),
            alive: m.status == MemberStatus::Alive,
            // Every tag `/v1/members` shows (dc, region, server, role…), as Dkron matches.
            tags: crate::cluster::membership::member_of(m).tags,
        })
        .collect()
}

type Key = (String, String);

/// What this leader learnt from nodes about launches the state does not show acknowledged
/// yet: sent and not answered yet (`inflight`), accepted with the acknowledgement not
/// committed (`accepted`), or said by its node to be too late to start (`too_late`). The last
/// two are pruned by the sweep once the state shows the launch acknowledged or closed. A
/// launch in none of them has had no answer from its node.
#[derive(Default)]
struct InHand {
    inflight: HashSet<Key>,
    accepted: HashSet<Key>,
    too_late: HashSet<Key>,
}

/// How a dispatch request ended.
#[derive(Debug, PartialEq)]
enum Answer {
    /// The node took the request: it holds `took` (the rest were closed before it was sent),
    /// and says it does not hold `too_late` (reached it past their catch-up window; a node
    /// never starts those).
    Took { took: Vec<Key>, too_late: Vec<Key> },
    /// No answer (a timeout, a lost connection, an error status): the node may or may not
    /// hold them, from this dispatch or an earlier one.
    None,
    /// Nothing was sent (every launch was closed meanwhile, or the state was unreadable), or
    /// it never reached the node (no connection).
    NotSent,
    /// The node refused the request whole, having read it (a node shutting down, a fence, a
    /// stale dispatch, a ledger it cannot write): whether it holds them from an earlier
    /// dispatch is not known, but this request will never be taken later.
    Refused,
}

impl InHand {
    /// Records how the request for `keys` ended; they are no longer in flight.
    fn answered(&mut self, keys: Vec<Key>, answer: Answer) {
        match answer {
            Answer::Took { took, too_late } => {
                for k in took {
                    self.too_late.remove(&k);
                    self.accepted.insert(k);
                }
                for k in too_late {
                    self.too_late.insert(k);
                }
            }
            // Too late stays too late (the node's clock only moves on); for the rest an
            // earlier dispatch may have been taken, so they stay unanswered.
            Answer::None | Answer::NotSent | Answer::Refused => {}
        }
        for k in &keys {
            self.inflight.remove(k);
        }
    }

    /// Forgets what the state now shows: only launches still unacknowledged are kept.
    fn prune(&mut self, still_unacked: &HashSet<Key>) {
        self.accepted.retain(|k| still_unacked.contains(k));
        self.too_late.retain(|k| still_unacked.contains(k));
    }

    /// Where an unacknowledged launch stands.
    fn delivery(&self, key: &Key) -> Delivery {
        if self.inflight.contains(key) {
            Delivery::InFlight
        } else if self.accepted.contains(key) {
            Delivery::InHand
        } else if self.too_late.contains(key) {
            Delivery::Undelivered
        } else {
            Delivery::Unanswered
        }
    }
}

pub struct Dispatcher {
    pub raft: Raft,
    pub state: StateMachine,
    pub rpc: RpcClient,
    pub membership: Membership,
    /// This node's own worker: launches for this node skip the network.
    pub worker: Worker,
    pub node: String,
}

impl Dispatcher {
    /// Runs while this node leads (until `stop` turns true).
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let this = self;
        let feed = this.state.launches().clone();
        let mut fed = feed.changed();
        feed.listen(true);
        let started = Instant::now();
        let inflight: Arc<Mutex<InHand>> = Arc::default();
        let (ack_tx, ack_rx) = mpsc::unbounded_channel::<Key>();
        let raft = this.raft.clone();
        let acker = tokio::spawn(commit_acks(
            move |batch| {
                let raft = raft.clone();
                async move {
                    match raft
                        .client_write(Command::Acknowledge { executions: batch })
                        .await
                    {
                        Ok(_) => Ok(()),
                        Err(e) if e.fatal().is_some() => Err(AckError::Stopped(e.to_string())),
                        // Including "forward to the leader": openraft says so while this
                        // node still leads but its lease lapsed (a slow quorum) or a transfer
                        // is under way. When leadership really ends, the acker is aborted.
                        Err(e) => Err(AckError::Retry(e.to_string())),
                    }
                }
            },
            ack_rx,
        ));
        let mut sweep = tokio::time::interval(SWEEP_EVERY);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = fed.changed() => {
                    let launched = feed.take();
                    this.dispatch(launched, started, &inflight, &ack_tx);
                }
                // The first tick fires at once: it picks up what the previous leader left.
                _ = sweep.tick() => {
                    let grace_over = started.elapsed() >= UNKNOWN_NODE_GRACE;
                    let began = Instant::now();
                    this.sweep(grace_over, started, &inflight, &ack_tx).await;
                    // A sweep costs time in proportion to the jobs and open executions: it
                    // may take at most a tenth of the leader's time, whatever their number.
                    // Capped: `took` includes waiting for commits, which a slow quorum can
                    // stretch, and resends and closures must not wait ten times that.
                    let took = began.elapsed();
                    if took * SWEEP_SHARE > SWEEP_EVERY {
                        sweep.reset_after((took * SWEEP_SHARE).min(SWEEP_PAUSE_MAX));
                    }
                }
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
        }
        feed.listen(false);
        acker.abort();
    }

    /// Sends launches to their nodes, one request per node, concurrently.
    fn dispatch(
        self: &Arc<Self>,
        launched: Vec<Launched>,
        began_leading: Instant,
        inflight: &Arc<Mutex<InHand>>,
        acks: &mpsc::UnboundedSender<Key>,
    ) {
        if launched.is_empty() {
            return;
        }
        let batches = batches(
            launched,
            &mut inflight.lock().expect("inflight lock").inflight,
        );
        for (node, launches) in batches {
            let (this, inflight, acks) = (self.clone(), inflight.clone(), acks.clone());
            tokio::spawn(async move {
                let keys: Vec<Key> = launches
                    .iter()
                    .map(|l| (l.job.clone(), l.execution_id.clone()))
                    .collect();
                let sent = tokio::time::Instant::now();
                let answer = this.send(&node, launches, began_leading, &acks).await;
                if answer == Answer::None {
                    // Sent and not answered: the node may still record it (NO_ANSWER_GRACE).
                    tokio::time::sleep_until(sent + DispatchRequest::TIMEOUT + NO_ANSWER_GRACE)
                        .await;
                }
                // Recorded at once with the end of the flight, so the sweep never sees
                // neither.
                inflight
                    .lock()
                    .expect("inflight lock")
                    .answered(keys, answer);
            });
        }
    }

    /// Sends one node its launches; returns its answer.
    async fn send(
        &self,
        node: &str,
        launches: Vec<Launched>,
        began_leading: Instant,
        acks: &mpsc::UnboundedSender<Key>,
    ) -> Answer {
        // The launches as recorded, skipping any closed meanwhile.
        let assignments = self.state.read(|r| {
            let mut out = Vec::with_capacity(launches.len());
            let mut jobs = HashMap::new();
            for l in &launches {
                let record = match jobs.get(&l.job) {
                    Some(r) => r,
                    None => match r.job(&l.job)? {
                        Some(rec) => jobs.entry(l.job.clone()).or_insert(rec),
                        None => continue,
                    },
                };
                if let Some(execution) = r.execution(&l.job, &l.execution_id)?
                    && execution.is_running()
                {
                    out.push(Assignment {
                        job: record.job.clone(),
                        execution,
                    });
                }
            }
            Ok(out)
        });
        let assignments = match assignments {
            Ok(a) if !a.is_empty() => a,
            Ok(_) => return Answer::NotSent,
            Err(e) => {
                tracing::error!("cannot read launches to dispatch: {e}");
                return Answer::NotSent;
            }
        };
        let request = DispatchRequest {
            token: self.token(),
            leader: self.node.clone(),
            assignments,
            sent_at: Some(Utc::now()),
            sent_mono_ms: Some(
                u64::try_from(began_leading.elapsed().as_millis()).unwrap_or(u64::MAX),
            ),
        };
        let n = request.assignments.len();
        let reply = if node == self.node {
            Ok(self.worker.accept(request).await)
        } else {
            match self.rpc_addr(node) {
                Some(addr) => match self
                    .rpc
                    .call(&addr, &crate::transport::rpc::Peer::named(node), &request)
                    .await
                {
                    Ok(reply) => Ok(reply),
                    // Never reached the node, so it can never take it later: no grace.
                    Err(
                        e @ crate::transport::rpc::RpcError::Unreachable {
                            unconnected: true, ..
                        },
                    ) => {
                        tracing::warn!(%node, launches = n, "dispatch failed, will retry: {e}");
                        return Answer::NotSent;
                    }
                    Err(e) => Err(e.to_string()),
                },
                // Never sent: gossip's verdict on the node decides (see `gone`).
                None => return Answer::NotSent,
            }
        };
        match reply {
            Ok(reply) => {
                if let Some(why) = reply.refused {
                    // Refused whole: what the node holds from an earlier dispatch is unknown.
                    tracing::warn!(%node, launches = n, "dispatch refused: {why}");
                    return Answer::Refused;
                }
                for k in &reply.accepted {
                    let _ = acks.send(k.clone());
                }
                Answer::Took {
                    took: reply.accepted,
                    too_late: reply.too_late,
                }
            }
            Err(e) => {
                tracing::warn!(%node, launches = n, "dispatch failed, will retry: {e}");
                Answer::None
            }
        }
    }

    /// The job's catch-up window, the default when the job is gone or its window unreadable.
    fn catchup_window(&self, job: &str) -> Duration {
        self.state
            .read(|r| r.job(job))
            .ok()
            .flatten()
            .and_then(|r| r.job.catchup_window().ok())
            .unwrap_or(crate::model::DEFAULT_CATCHUP_WINDOW)
    }

    fn token(&self) -> FencingToken {
        use openraft::async_runtime::WatchReceiver;
        let m = self.raft.metrics().borrow_watched().clone();
        FencingToken {
            term: m.current_term,
            index: m.last_applied.map_or(0, |l| l.index),
        }
    }

    fn rpc_addr(&self, node: &str) -> Option<String> {
        self.membership
            .members()
            .into_iter()
            .find(|m| m.meta.name == node)
            .map(|m| m.meta.rpc_addr.to_string())
    }

    /// Re-sends unacknowledged launches and closes executions whose node is gone.
    async fn sweep(
        self: &Arc<Self>,
        grace_over: bool,
        began_leading: Instant,
        inflight: &Arc<Mutex<InHand>>,
        acks: &mpsc::UnboundedSender<Key>,
    ) {
        let status: HashMap<String, MemberStatus> = self
            .membership
            .members()
            .into_iter()
            .map(|m| (m.meta.name, m.status))
            .collect();
        // Only what may need doing is read in full: a delivered run on a node that is there
        // is skipped by its key (most of the open ones, under load).
        let open = self.state.read(|r| {
            let mut open = Vec::new();
            for o in r.open_execution_keys()? {
                let node = o.node().and_then(|n| status.get(n).copied());
                if !o.unacked && gone(node, grace_over).is_none() {
                    continue;
                }
                if let Some(e) = r.execution_by_key(&o.key)? {
                    open.push((e, o.unacked));
                }
            }
            Ok(open)
        });
        let open = match open {
            Ok(o) => o,
            Err(e) => {
                tracing::error!("cannot read open executions: {e}");
                return;
            }
        };
        // What was read is at least as new as every acknowledgement committed before it: an
        // accepted launch it shows acknowledged, or closed, need not be remembered.
        let still_unacked: HashSet<Key> = open
            .iter()
            .filter(|(_, unacked)| *unacked)
            .map(|(e, _)| (e.job_name.clone(), e.id.clone()))
            .collect();
        let deliveries: HashMap<Key, Delivery> = {
            let mut hand = inflight.lock().expect("inflight lock");
            hand.prune(&still_unacked);
            still_unacked
                .into_iter()
                .map(|k| {
                    let d = hand.delivery(&k);
                    (k, d)
                })
                .collect()
        };
        if open.is_empty() {
            return;
        }
        let mut resend = Vec::new();
        let mut close = Vec::new();
        let now = Utc::now();
        for (execution, unacked) in open {
            let node = status.get(&execution.node_name).copied();
            let window = |job: &str| self.catchup_window(job);
            let delivery = if !unacked {
                Delivery::Acknowledged
            } else {
                deliveries
                    .get(&(execution.job_name.clone(), execution.id.clone()))
                    .copied()
                    .unwrap_or(Delivery::Unanswered)
            };
            match judge(execution, delivery, node, grace_over, now, window) {
                Verdict::Close(closed) => close.push(closed),
                Verdict::Resend(launch) => resend.push(launch),
                Verdict::Leave => {}
            }
        }
        if !close.is_empty() {
            let n = close.len();
            match self
                .raft
                .client_write(Command::Finish { results: close })
                .await
            {
                Ok(_) => tracing::warn!(closed = n, "executions on lost nodes closed as failed"),
                Err(e) => tracing::warn!("cannot close executions of lost nodes yet: {e}"),
            }
        }
        self.dispatch(resend, began_leading, inflight, acks);
    }
}

/// Launches per dispatch request: bounded, since each assignment carries its whole job.
const PER_REQUEST: usize = 256;

/// Groups launches into requests, one node's at most [`PER_REQUEST`] each, leaving out those
/// already on their way (`inflight`, which gains the others): the launch feed and the sweep
/// may both hand over the same execution, and it is sent once at a time.
fn batches(launched: Vec<Launched>, inflight: &mut HashSet<Key>) -> Vec<(String, Vec<Launched>)> {
    let mut by_node: BTreeMap<String, Vec<Launched>> = BTreeMap::new();
    for l in launched {
        if inflight.insert((l.job.clone(), l.execution_id.clone())) {
            by_node.entry(l.node.clone()).or_default().push(l);
        }
    }
    by_node
        .into_iter()
        .flat_map(|(node, launches)| {
            launches
                .chunks(PER_REQUEST)
                .map(|c| (node.clone(), c.to_vec()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// What the sweep does with one open execution.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    /// Close it as failed, with this result (retried per the job's policy).
    Close(Execution),
    /// Send it to its node again.
    Resend(Launched),
    /// Leave it: its node has it and is alive (or suspect, which may yet refute).
    Leave,
}

/// Why an execution's node counts as gone, from its gossip status (`None`: not a member,
/// which counts only once `grace_over`); `None` while it is there.
fn gone(node: Option<MemberStatus>, grace_over: bool) -> Option<&'static str> {
    match node {
        Some(MemberStatus::Failed) => Some("failed (gossip)"),
        Some(MemberStatus::Left) => Some("left the cluster"),
        None if grace_over => Some("is not a member of the cluster"),
        _ => None,
    }
}

/// Where an open execution stands between the leader and its node.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Delivery {
    /// The state records the node's acknowledgement.
    Acknowledged,
    /// Not acknowledged in the state, and a dispatch is on its way, or sent and unanswered
    /// for less than its timeout and [`NO_ANSWER_GRACE`]: the node may still take it.
    InFlight,
    /// Not acknowledged in the state, but the node accepted it and the acknowledgement is
    /// being committed.
    InHand,
    /// Not acknowledged, and its node said it does not hold it (it reached it too late).
    Undelivered,
    /// Not acknowledged, and no answer from its node about it yet: a dispatch that timed out
    /// or was refused whole (the node may have taken it before), or a previous leader's
    /// launch not sent again yet.
    Unanswered,
}

/// The sweep's decision for one open execution: `delivery` where it stands, `node` its gossip
/// status (`None`: not a member), `grace_over` once a new leader has had time to learn the
/// membership, and `catchup_window` the job's, looked up only when needed.
///
/// A launch never delivered for longer than its job's catch-up window is not sent any more:
/// running it that late would surprise more than recording that it did not run. One in the
/// node's hands is left alone: the node may be running it. One its node has not answered for
/// is sent again past the window — the node starts nothing that late, it only answers whether
/// it took it before — until [`UNANSWERED_HOLD`] more has passed: closing it unasked could
/// record as not run a launch the node took and runs.
fn judge(
    execution: Execution,
    delivery: Delivery,
    node: Option<MemberStatus>,
    grace_over: bool,
    now: chrono::DateTime<Utc>,
    catchup_window: impl FnOnce(&str) -> Duration,
) -> Verdict {
    if delivery == Delivery::InFlight {
        // Not even for a node gossip gives up on (a paused node is "failed" within seconds):
        // it may still take this dispatch when it resumes, and run what was closed as not run.
        // By the time it is no longer in flight the node refuses it as stale: a close holds.
        return Verdict::Leave;
    }
    if let Some(why) = gone(node, grace_over) {
        let node = execution.node_name.clone();
        return Verdict::Close(Execution {
            finished_at: now,
            success: false,
            output: format!(
                "{}[belfry] node {node} {why} while this execution was {}",
                execution.output,
                if delivery == Delivery::Acknowledged {
                    "running"
                } else {
                    "being dispatched"
                }
            ),
            ..execution
        });
    }
    let hold = match delivery {
        Delivery::Acknowledged | Delivery::InHand | Delivery::InFlight => return Verdict::Leave,
        Delivery::Undelivered => Duration::ZERO,
        Delivery::Unanswered => UNANSWERED_HOLD,
    };
    let age = (now - execution.started_at).to_std().unwrap_or_default();
    if age > catchup_window(&execution.job_name) + hold {
        let node = &execution.node_name;
        let output = if delivery == Delivery::Unanswered {
            format!(
                "[belfry] not started: node {node} did not answer for it within the job's catch-up window and {} s more",
                hold.as_secs()
            )
        } else {
            format!(
                "[belfry] not started: could not be delivered to node {node} within the job's catch-up window"
            )
        };
        return Verdict::Close(Execution {
            finished_at: now,
            success: false,
            output,
            ..execution
        });
    }
    Verdict::Resend(Launched {
        job: execution.job_name,
        execution_id: execution.id,
        node: execution.node_name,
    })
}

/// Acknowledgements per commit, at most.
const ACK_BATCH: usize = 4096;

/// The least time between the starts of two acknowledgement entries
/// (crate::consensus::pacer). A launch waiting for its acknowledgement is in this leader's
/// hands meanwhile, so the wait costs nothing but the entry.
const ACK_GAP: Duration = Duration::from_millis(500);

/// Why acknowledgements were not committed.
#[derive(Debug)]
enum AckError {
    /// Raft has stopped on this node: nothing more can be committed here.
    Stopped(String),
    /// Anything else (a quorum slow to answer, a lapsed lease): tried again.
    Retry(String),
}

/// Commits acknowledgements in batches, with `commit`, until Raft stops or the task is aborted
/// (the dispatcher aborts it when this node stops leading). A batch that fails is tried again
/// (with what arrived meanwhile) after a growing pause: until committed, its launches stay in
/// this leader's hands, neither sent again nor closed, so an acknowledgement dropped here
/// would leave them unacknowledged until they finish.
async fn commit_acks<F, Fut>(mut commit: F, mut rx: mpsc::UnboundedReceiver<Key>)
where
    F: FnMut(Vec<Key>) -> Fut,
    Fut: std::future::Future<Output = Result<(), AckError>>,
{
    let mut batch: Vec<Key> = Vec::new();
    let mut pause = ACK_RETRY_FIRST;
    let mut pacer = CommitPacer::new(ACK_GAP);
    loop {
        if batch.is_empty() {
            match rx.recv().await {
                Some(k) => batch.push(k),
                None => return,
            }
        }
        // Under load, acknowledgements that arrive within ACK_GAP go in one entry.
        pacer.ready().await;
        while batch.len() < ACK_BATCH {
            match rx.try_recv() {
                Ok(k) => batch.push(k),
                Err(_) => break,
            }
        }
        match commit(batch.clone()).await {
            Ok(()) => {
                batch.clear();
                pause = ACK_RETRY_FIRST;
            }
            Err(AckError::Stopped(e)) => {
                tracing::debug!("acknowledgements not committed, Raft stopped: {e}");
                return;
            }
            Err(AckError::Retry(e)) => {
                tracing::debug!(
                    acknowledgements = batch.len(),
                    "acknowledgements not committed yet, trying again: {e}"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(ACK_RETRY_MAX);
            }
        }
    }
}

#[cfg(test)]
mod tests;
