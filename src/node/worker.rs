//! A node's side of execution: it accepts the launches the leader dispatches to it, runs them,
//! and delivers their results to whichever server leads — durably (docs/operating.md, "Where
//! jobs run").
//!
//! Every node, server or agent, keeps a [`WorkLedger`] in `<data-dir>/work.redb`:
//!
//! - **accepted launches**, by job and execution id. A launch dispatched twice (a new leader
//!   re-dispatching what its predecessor sent, a retried RPC) is acknowledged again but runs
//!   once. An accepted launch still marked running when the node starts was cut short by a
//!   crash: it is closed as failed, with the reason.
//! - **the highest leader term seen**: a dispatch carrying an older term comes from a deposed
//!   leader and is refused (the fencing token). The fence is raised only to a term the RPC
//!   layer has verified as a real leader's (`rpc::calls::check_dispatch`), so a forged term
//!   cannot lock the node out.
//! - **an outbox of results** not yet committed. A courier delivers them in batches to the
//!   leader and removes them only once committed, so a result survives a crash of this node, a
//!   leader change, or a lost quorum.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use crate::cluster::commit::Committer;
use crate::consensus::pacer::CommitPacer;
use crate::model::{Execution, Job};
use crate::node::runner::{Finished, ResultSink, RunLimits, Runner};
use crate::transport::rpc::RpcCall;

/// The ledger's file in the data dir.
pub const WORK_FILE: &str = "work.redb";

const ACCEPTED: TableDefinition<&str, &[u8]> = TableDefinition::new("accepted");
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// Finished launches by when they were accepted (ms since the epoch): forgetting the old ones
/// reads only those, not the whole `accepted` table (an hour of launches at 1,000 a second is
/// millions of rows, and a full scan per delivered batch was most of an agent's CPU).
const FORGET: TableDefinition<(u64, &str), ()> = TableDefinition::new("forget");
/// Accepted launches not finished yet: what a start after a crash closes, without a scan.
const UNFINISHED: TableDefinition<&str, ()> = TableDefinition::new("unfinished");
const KEY_TERM: &str = "highest_term";
const KEY_SEQ: &str = "outbox_seq";
/// The outbox sequence number at the last write of a binary that keeps `forget` and
/// `unfinished`: a ledger written before they existed is indexed when opened, and so is one an
/// older binary ran on since (it moved the outbox on without this, or changed `accepted`
/// without the indexes).
const KEY_INDEXED: &str = "indexed";

/// Finished launches forgotten per delivered batch, at most: the write stays small even
/// when a long backlog ages out at once.
const FORGET_BATCH: usize = 4096;

/// How long a finished launch is remembered, so a late duplicate dispatch is recognised.
const REMEMBER_FINISHED: chrono::Duration = chrono::Duration::hours(1);

/// Results delivered per commit, at most.
const DELIVERY_BATCH: usize = 512;

/// The least time between the starts of two deliveries of results, each a Raft entry on every
/// server (crate::consensus::pacer); results finished meanwhile go in the next one.
const DELIVERY_GAP: Duration = Duration::from_millis(500);

/// The least time between two writes of finished results into the ledger (each an fsync):
/// runs that finish meanwhile are written together.
const RECORD_GAP: Duration = Duration::from_millis(100);

/// Orders dispatches: the leader's Raft term and the log position it had applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FencingToken {
    pub term: u64,
    pub index: u64,
}

/// One launch for this node: the job as it was when launched, and its execution record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    #[serde(with = "crate::model::stored_job")]
    pub job: Job,
    pub execution: Execution,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchRequest {
    pub token: FencingToken,
    /// The dispatching leader's name, for logs.
    pub leader: String,
    pub assignments: Vec<Assignment>,
    /// When the leader sent it, by its wall clock (absent from an older leader's request). A
    /// launch the node does not hold that is older than its job's catch-up window when it
    /// reaches the node — sent at this, plus the request's age (`sent_mono_ms`) — is not
    /// started (see [`DispatchReply::too_late`]). Both times are the servers' clock, which
    /// they keep within `--max-clock-offset`; a node's own clock is not used.
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    /// When the leader sent it on its monotonic clock: milliseconds since it began leading
    /// (absent from an older leader's request). How old a request is, is measured by this,
    /// which a step of the leader's wall clock does not move (see `LeaderClock`); one older
    /// than its sender waits for an answer is refused whole.
    #[serde(default)]
    pub sent_mono_ms: Option<u64>,
}

/// What the node did with a dispatch. Accepted launches are (job, execution id) pairs,
/// including ones it had already accepted before.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DispatchReply {
    pub accepted: Vec<(String, String)>,
    /// Set when the whole dispatch was refused (a stale leader).
    pub refused: Option<String>,
    /// Launches it did not hold that reached it past their job's catch-up window: not
    /// recorded, never started (absent from an older node's reply).
    #[serde(default)]
    pub too_late: Vec<(String, String)>,
}

impl DispatchReply {
    /// The whole dispatch refused, for `why`: nothing recorded.
    pub fn refusal(why: impl Into<String>) -> DispatchReply {
        DispatchReply {
            refused: Some(why.into()),
            ..DispatchReply::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error("work ledger: {0}")]
    Storage(String),
}

fn storage<E: std::fmt::Display>(e: E) -> WorkError {
    WorkError::Storage(e.to_string())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AcceptedLaunch {
    execution: Execution,
    accepted_at: DateTime<Utc>,
    finished: bool,
}

/// An `accepted` row, as far as most readers need it: when the launch was accepted and
/// whether it finished. A running launch's row holds its whole execution (a start after a
/// crash closes it with it); a finished one's holds an empty execution,
/// `{"execution":{},"accepted_at":…,"finished":true}` (about 70 bytes, not ~1.7 KiB), enough to
/// refuse a late duplicate dispatch for an hour and still a row that binaries from before it
/// read (they would drop a row they cannot parse, and run such a duplicate).
#[derive(Deserialize)]
struct RowHead {
    accepted_at: DateTime<Utc>,
    finished: bool,
}

impl RowHead {
    fn decode(bytes: &[u8]) -> Option<RowHead> {
        serde_json::from_slice(bytes).ok()
    }
}

/// A finished launch's row (see [`RowHead`]).
#[derive(Serialize)]
struct FinishedRow {
    execution: Empty,
    accepted_at: DateTime<Utc>,
    finished: bool,
}

#[derive(Serialize)]
struct Empty {}

fn finished_row(accepted_at: DateTime<Utc>) -> Vec<u8> {
    encode(&FinishedRow {
        execution: Empty {},
        accepted_at,
        finished: true,
    })
}

/// Whether a launch reaches this node (at `at`, by the leader's clock as far as the node can
/// tell: at least when it was sent) past its job's catch-up window: running it that late would
/// surprise more than recording that it did not run (the leader closes it so). A leader
/// re-sends a launch whose dispatch got no answer, to learn whether an earlier one was taken;
/// past the window such a resend must not start it.
fn too_late(a: &Assignment, at: DateTime<Utc>) -> bool {
    let window = a
        .job
        .catchup_window()
        .unwrap_or(crate::model::DEFAULT_CATCHUP_WINDOW);
    (at - a.execution.started_at)
        .to_std()
        .is_ok_and(|age| age > window)
}

fn launch_key(job: &str, id: &str) -> String {
    format!("{job}\0{id}")
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("work values serialise")
}

fn epoch_ms(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp_millis()).unwrap_or(0)
}

/// How old dispatches are, as far as this node can tell: the newest `sent_mono_ms` of the
/// current leader's term plus the time elapsed here since it arrived bound that leader's
/// monotonic clock from below, and a request's age is that bound less its own `sent_mono_ms`.
/// Neither side's wall clock is involved, so a step of either moves nothing; a request that sat
/// in a socket buffer while this node was stopped (SIGSTOP) is found out by it.
///
/// A new leader's clock has nothing in common with the last one's, so its requests are also
/// judged by the wall clock the previous leaders' sends showed, carried over (less
/// [`clock_carry_margin`]: servers keep their wall clocks close), for its whole term: otherwise
/// two of its requests that both sat in a buffer would each look fresh.
#[derive(Debug, Default)]
struct LeaderClock {
    term: u64,
    /// This term's newest `sent_mono_ms` and when it arrived.
    newest: Option<(u64, std::time::Instant)>,
    /// The `sent_at` of the newest request that had one, and when it arrived.
    wall: Option<(DateTime<Utc>, std::time::Instant)>,
    /// Earlier leaders' wall clock as this term began, and when.
    carried: Option<(DateTime<Utc>, std::time::Instant)>,
}

/// How far apart two leaders' wall clocks are taken to be when a new one's requests are judged
/// by the last one's: two servers within `--max-clock-offset` of the median are within twice
/// it; one more second for good measure (2 s with the default 500 ms). A leader further off,
/// and behind, may have its dispatches refused as stale while it leads; it sends them again,
/// and such a server hands leadership over.
fn clock_carry_margin() -> chrono::Duration {
    let bound = crate::cluster::clock::discipline().bound_ms();
    chrono::Duration::milliseconds(i64::try_from(bound).unwrap_or(i64::MAX / 4) * 2 + 1_000)
}

/// Adds a monotonic duration to a wall time, saturating at the end of time (bad data must
/// not overflow).
fn wall_plus(at: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A wall time read when `seen`, moved on to `now`.
fn projected(
    (at, seen): (DateTime<Utc>, std::time::Instant),
    now: std::time::Instant,
) -> DateTime<Utc> {
    wall_plus(at, now.saturating_duration_since(seen))
}

/// What the node makes of a request's timing (see [`LeaderClock::observe`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Reckoning {
    /// How long ago it was sent, at least.
    age: Duration,
    /// When it reaches this node, by its leader's wall clock: when it was sent plus `age`.
    reach: Option<DateTime<Utc>>,
}

impl LeaderClock {
    /// The wall clock of the leaders seen, as of `now`.
    fn wall(&self, now: std::time::Instant) -> Option<DateTime<Utc>> {
        let project = |anchor| projected(anchor, now);
        self.wall.map(project).max(self.carried.map(project))
    }

    /// Takes in a request of `term` sent at `sent_mono_ms` and `sent_at` (either may be
    /// absent, from an older leader), arriving at `now`.
    fn observe(
        &mut self,
        term: u64,
        sent_mono_ms: Option<u64>,
        sent_at: Option<DateTime<Utc>>,
        now: std::time::Instant,
    ) -> Reckoning {
        if term < self.term {
            // Refused by its term anyway.
            return Reckoning {
                age: Duration::ZERO,
                reach: sent_at,
            };
        }
        if term > self.term {
            *self = LeaderClock {
                term,
                newest: None,
                wall: None,
                carried: self.wall(now).map(|w| (w, now)),
            };
        }
        let own_age = match (sent_mono_ms, self.newest) {
            (Some(m), Some((n, seen))) => Duration::from_millis(n)
                .saturating_add(now.saturating_duration_since(seen))
                .saturating_sub(Duration::from_millis(m)),
            _ => Duration::ZERO,
        };
        if let Some(m) = sent_mono_ms
            && own_age.is_zero()
        {
            self.newest = Some((m, now));
            if let Some(at) = sent_at {
                self.wall = Some((at, now));
            }
        }
        let carried_age = match (self.carried, sent_at) {
            (Some(carried), Some(sent)) => (projected(carried, now) - clock_carry_margin() - sent)
                .to_std()
                .unwrap_or_default(),
            _ => Duration::ZERO,
        };
        Reckoning {
            age: own_age.max(carried_age),
            reach: sent_at.map(|s| wall_plus(s, own_age)),
        }
    }
}

/// How old a dispatch may be, at least, when it is recorded. Its sender stops waiting for the
/// answer after [`RpcCall::TIMEOUT`](crate::transport::rpc::RpcCall::TIMEOUT) (10 s) and, a
/// few seconds later (`dispatcher::NO_ANSWER_GRACE`), counts the launches as unanswered: it
/// may then close them (as not started, or as on a failed node) and send them again. Taken
/// later, a launch could run after it was recorded as not run: such a request is refused
/// whole. Refusing 2 s before the timeout, and the sender's grace after it, cover the time the
/// newest request took to arrive (by which the node's reckoning falls short).
const DISPATCH_STALE_AFTER: Duration = Duration::from_secs(8);

/// The durable per-node record of accepted launches and undelivered results.
pub struct WorkLedger {
    db: redb::Database,
    /// Read and moved inside the ledger's write transaction, so two dispatches are judged in
    /// the order they are recorded.
    leader_clock: std::sync::Mutex<LeaderClock>,
}

impl WorkLedger {
    pub fn open(data_dir: &Path) -> Result<WorkLedger, WorkError> {
        let path = data_dir.join(WORK_FILE);
        let db = redb::Database::builder()
            .set_cache_size(4 << 20)
            .create(&path)
            .map_err(|e| WorkError::Storage(format!("{}: {e}", path.display())))?;
        let txn = db.begin_write().map_err(storage)?;
        txn.open_table(ACCEPTED).map_err(storage)?;
        txn.open_table(OUTBOX).map_err(storage)?;
        txn.open_table(FORGET).map_err(storage)?;
        txn.open_table(UNFINISHED).map_err(storage)?;
        if !indexes_add_up(&txn)? {
            index_accepted(&txn)?;
        }
        txn.commit().map_err(storage)?;
        Ok(WorkLedger {
            db,
            leader_clock: Default::default(),
        })
    }

    /// The highest leader term this node has accepted a dispatch from (its fence).
    pub fn highest_term(&self) -> Result<u64, WorkError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let meta = txn.open_table(META).map_err(storage)?;
        Ok(meta
            .get(KEY_TERM)
            .map_err(storage)?
            .map_or(0, |v| v.value()))
    }

    /// Records the launches of a dispatch; returns the reply and the launches to start now
    /// (those not accepted before).
    pub fn accept(
        &self,
        request: &DispatchRequest,
    ) -> Result<(DispatchReply, Vec<Assignment>), WorkError> {
        let txn = self.db.begin_write().map_err(storage)?;
        let mut reply = DispatchReply::default();
        let mut start = Vec::new();
        {
            let mut meta = txn.open_table(META).map_err(storage)?;
            let highest = meta
                .get(KEY_TERM)
                .map_err(storage)?
                .map_or(0, |v| v.value());
            if request.token.term < highest {
                reply.refused = Some(format!(
                    "stale leader: {} dispatched with term {}, but term {highest} has been seen",
                    request.leader, request.token.term
                ));
                return Ok((reply, start));
            }
            // Judged inside the transaction: dispatches are judged in the order they are
            // recorded.
            let reckoning = self
                .leader_clock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .observe(
                    request.token.term,
                    request.sent_mono_ms,
                    // A send time further from this node's clock than the internal RPC admits
                    // at all is bad data: carried over, it would make every later request
                    // look stale.
                    request.sent_at.filter(|sent| {
                        (*sent - Utc::now()).num_seconds().unsigned_abs()
                            <= crate::config::MAX_CALL_SKEW_SECS
                    }),
                    std::time::Instant::now(),
                );
            if request.token.term > highest {
                meta.insert(KEY_TERM, request.token.term).map_err(storage)?;
            }
            if reckoning.age >= DISPATCH_STALE_AFTER {
                reply.refused = Some(format!(
                    "stale dispatch: {} sent it {:.1} s ago at least, and stops waiting for an answer after {} s (it sends the launches again); not recorded",
                    request.leader,
                    reckoning.age.as_secs_f64(),
                    <DispatchRequest as crate::transport::rpc::RpcCall>::TIMEOUT.as_secs()
                ));
                // The fence still rises: an older leader's dispatch is no fresher.
                drop(meta);
                txn.commit().map_err(storage)?;
                return Ok((reply, start));
            }
            // A launch is too late by when it reaches this node, not only by when it was sent.
            let leader_now = reckoning.reach;
            let mut accepted = txn.open_table(ACCEPTED).map_err(storage)?;
            let mut unfinished = txn.open_table(UNFINISHED).map_err(storage)?;
            let now = Utc::now();
            for a in &request.assignments {
                let key = launch_key(&a.execution.job_name, &a.execution.id);
                let held = accepted.get(key.as_str()).map_err(storage)?.is_some();
                if !held && leader_now.is_some_and(|at| too_late(a, at)) {
                    reply
                        .too_late
                        .push((a.execution.job_name.clone(), a.execution.id.clone()));
                    continue;
                }
                if !held {
                    let entry = AcceptedLaunch {
                        execution: a.execution.clone(),
                        accepted_at: now,
                        finished: false,
                    };
                    accepted
                        .insert(key.as_str(), encode(&entry).as_slice())
                        .map_err(storage)?;
                    unfinished.insert(key.as_str(), ()).map_err(storage)?;
                    start.push(a.clone());
                }
                reply
                    .accepted
                    .push((a.execution.job_name.clone(), a.execution.id.clone()));
            }
        }
        txn.commit().map_err(storage)?;
        Ok((reply, start))
    }

    /// Marks launches finished and queues their results for delivery, in one commit.
    pub fn finish(&self, results: &[Execution]) -> Result<(), WorkError> {
        let txn = self.db.begin_write().map_err(storage)?;
        {
            let mut accepted = txn.open_table(ACCEPTED).map_err(storage)?;
            let mut unfinished = txn.open_table(UNFINISHED).map_err(storage)?;
            let mut forget = txn.open_table(FORGET).map_err(storage)?;
            let mut outbox = txn.open_table(OUTBOX).map_err(storage)?;
            let mut meta = txn.open_table(META).map_err(storage)?;
            let mut seq = meta.get(KEY_SEQ).map_err(storage)?.map_or(0, |v| v.value());
            for r in results {
                let key = launch_key(&r.job_name, &r.id);
                let row = accepted
                    .get(key.as_str())
                    .map_err(storage)?
                    .and_then(|v| RowHead::decode(v.value()));
                if let Some(row) = row
                    && !row.finished
                {
                    accepted
                        .insert(key.as_str(), finished_row(row.accepted_at).as_slice())
                        .map_err(storage)?;
                    unfinished.remove(key.as_str()).map_err(storage)?;
                    forget
                        .insert((epoch_ms(row.accepted_at), key.as_str()), ())
                        .map_err(storage)?;
                }
                seq += 1;
                outbox.insert(seq, encode(r).as_slice()).map_err(storage)?;
            }
            meta.insert(KEY_SEQ, seq).map_err(storage)?;
            meta.insert(KEY_INDEXED, seq).map_err(storage)?;
        }
        txn.commit().map_err(storage)
    }

    /// Closes as failed every accepted launch still marked running: at start, nothing runs yet,
    /// so those were cut short when this node stopped. Returns how many.
    pub fn close_interrupted(&self, node: &str) -> Result<usize, WorkError> {
        let mut interrupted = Vec::new();
        {
            let txn = self.db.begin_read().map_err(storage)?;
            let accepted = txn.open_table(ACCEPTED).map_err(storage)?;
            let unfinished = txn.open_table(UNFINISHED).map_err(storage)?;
            for item in unfinished.iter().map_err(storage)? {
                let (key, _) = item.map_err(storage)?;
                let entry = accepted
                    .get(key.value())
                    .map_err(storage)?
                    .and_then(|v| serde_json::from_slice::<AcceptedLaunch>(v.value()).ok());
                if let Some(entry) = entry
                    && !entry.finished
                {
                    interrupted.push(entry.execution);
                }
            }
        }
        let now = Utc::now();
        let closed: Vec<Execution> = interrupted
            .into_iter()
            .map(|e| Execution {
                finished_at: now,
                success: false,
                output: format!(
                    "{}[belfry] interrupted: node {node} stopped while this execution was running",
                    e.output
                ),
                ..e
            })
            .collect();
        if !closed.is_empty() {
            self.finish(&closed)?;
        }
        Ok(closed.len())
    }

    /// The oldest undelivered results, with their outbox sequence numbers.
    pub fn undelivered(&self, limit: usize) -> Result<Vec<(u64, Execution)>, WorkError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let outbox = txn.open_table(OUTBOX).map_err(storage)?;
        let mut out = Vec::new();
        for item in outbox.iter().map_err(storage)?.take(limit) {
            let (k, v) = item.map_err(storage)?;
            match serde_json::from_slice::<Execution>(v.value()) {
                Ok(e) => out.push((k.value(), e)),
                Err(e) => tracing::error!(seq = k.value(), "unreadable queued result dropped: {e}"),
            }
        }
        Ok(out)
    }

    /// Removes delivered results, and forgets finished launches older than an hour.
    pub fn delivered(&self, seqs: &[u64]) -> Result<(), WorkError> {
        self.delivered_forgetting_before(seqs, Utc::now() - REMEMBER_FINISHED)
    }

    /// [`Self::delivered`], forgetting finished launches accepted before `cutoff` (at most
    /// [`FORGET_BATCH`] of them; the next delivery goes on).
    fn delivered_forgetting_before(
        &self,
        seqs: &[u64],
        cutoff: DateTime<Utc>,
    ) -> Result<(), WorkError> {
        let txn = self.db.begin_write().map_err(storage)?;
        {
            let mut outbox = txn.open_table(OUTBOX).map_err(storage)?;
            for s in seqs {
                outbox.remove(*s).map_err(storage)?;
            }
            let mut forget = txn.open_table(FORGET).map_err(storage)?;
            let mut old = Vec::new();
            for item in forget
                .range(..(epoch_ms(cutoff), ""))
                .map_err(storage)?
                .take(FORGET_BATCH)
            {
                let (k, _) = item.map_err(storage)?;
                let (at, key) = k.value();
                old.push((at, key.to_owned()));
            }
            let mut accepted = txn.open_table(ACCEPTED).map_err(storage)?;
            for (at, key) in &old {
                forget.remove((*at, key.as_str())).map_err(storage)?;
                accepted.remove(key.as_str()).map_err(storage)?;
            }
        }
        txn.commit().map_err(storage)
    }

    /// How many launches the ledger remembers (finished or not).
    #[cfg(test)]
    fn remembered(&self) -> Result<u64, WorkError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let accepted = txn.open_table(ACCEPTED).map_err(storage)?;
        accepted.len().map_err(storage)
    }

    /// How many finished launches wait to be forgotten.
    #[cfg(test)]
    fn to_forget(&self) -> Result<u64, WorkError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let forget = txn.open_table(FORGET).map_err(storage)?;
        forget.len().map_err(storage)
    }

    pub fn undelivered_count(&self) -> Result<u64, WorkError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let outbox = txn.open_table(OUTBOX).map_err(storage)?;
        outbox.len().map_err(storage)
    }
}

/// Whether `forget` and `unfinished` index every row of `accepted`, each row once. An older
/// binary that ran on this ledger since (an upgrade, a downgrade, an upgrade again) either
/// queued results, moving the outbox sequence past [`KEY_INDEXED`], or only accepted
/// launches, and then the rows outnumber their index entries (redb keeps the counts, so this
/// costs nothing at each open).
fn indexes_add_up(txn: &redb::WriteTransaction) -> Result<bool, WorkError> {
    let meta = txn.open_table(META).map_err(storage)?;
    let indexed_at = meta.get(KEY_INDEXED).map_err(storage)?.map(|v| v.value());
    let seq = meta.get(KEY_SEQ).map_err(storage)?.map_or(0, |v| v.value());
    let accepted = txn.open_table(ACCEPTED).map_err(storage)?;
    let forget = txn.open_table(FORGET).map_err(storage)?;
    let unfinished = txn.open_table(UNFINISHED).map_err(storage)?;
    let rows = accepted.len().map_err(storage)?;
    let indexed = forget.len().map_err(storage)? + unfinished.len().map_err(storage)?;
    Ok(indexed_at == Some(seq) && rows == indexed)
}

/// Fills `forget` and `unfinished` afresh from `accepted`: for a ledger written before they
/// existed, or one an older binary changed since. A row that cannot be read is dropped, as the
/// old full scan dropped it.
fn index_accepted(txn: &redb::WriteTransaction) -> Result<(), WorkError> {
    let mut accepted = txn.open_table(ACCEPTED).map_err(storage)?;
    txn.delete_table(FORGET).map_err(storage)?;
    txn.delete_table(UNFINISHED).map_err(storage)?;
    let mut forget = txn.open_table(FORGET).map_err(storage)?;
    let mut unfinished = txn.open_table(UNFINISHED).map_err(storage)?;
    let mut unreadable = Vec::new();
    for item in accepted.iter().map_err(storage)? {
        let (k, v) = item.map_err(storage)?;
        let key = k.value();
        match RowHead::decode(v.value()) {
            Some(row) if row.finished => {
                forget
                    .insert((epoch_ms(row.accepted_at), key), ())
                    .map_err(storage)?;
            }
            Some(_) => {
                unfinished.insert(key, ()).map_err(storage)?;
            }
            None => unreadable.push(key.to_owned()),
        }
    }
    for key in unreadable {
        accepted.remove(key.as_str()).map_err(storage)?;
    }
    let mut meta = txn.open_table(META).map_err(storage)?;
    let seq = meta.get(KEY_SEQ).map_err(storage)?.map_or(0, |v| v.value());
    meta.insert(KEY_INDEXED, seq).map_err(storage)?;
    Ok(())
}

/// Accepts dispatches, runs them with the [`Runner`] and delivers the results.
#[derive(Clone)]
pub struct Worker {
    ledger: Arc<WorkLedger>,
    runner: Runner,
    sink: ResultSink,
    /// Bumped when results are queued, to wake the courier.
    queued: Arc<watch::Sender<u64>>,
    /// False once a graceful stop has begun. Dispatches hold a read lock while they record
    /// and start launches, so the stop waits for those in flight (and their results).
    open: Arc<tokio::sync::RwLock<bool>>,
}

/// The worker's background tasks; abort them when the role ends.
pub struct WorkerTasks {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl WorkerTasks {
    pub fn abort(self) {
        for t in self.tasks {
            t.abort();
        }
    }
}

impl Worker {
    /// Opens the ledger (retrying briefly while a previous role in this process still holds
    /// it), closes launches interrupted by the last stop, and starts recording and delivering.
    pub async fn start(
        data_dir: &Path,
        node: String,
        output_limit: usize,
        limits: RunLimits,
        courier: Committer,
    ) -> Result<(Worker, WorkerTasks), WorkError> {
        let mut tries = 0;
        let ledger = loop {
            // Opening may index an older ledger (a scan of every row): not on a runtime
            // thread Raft and gossip share.
            let dir = data_dir.to_path_buf();
            let opened = tokio::task::spawn_blocking(move || WorkLedger::open(&dir))
                .await
                .map_err(storage)?;
            match opened {
                Err(e) if e.to_string().contains("already open") && tries < 20 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => break other?,
            }
        };
        let ledger = Arc::new(ledger);
        let interrupted = ledger.close_interrupted(&node)?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "executions cut short by the last stop are reported as failed"
            );
        }
        let (sink, finished) = ResultSink::new();
        let output_dir = std::path::absolute(data_dir)
            .unwrap_or_else(|_| data_dir.to_path_buf())
            .join(crate::node::processors::OUTPUT_DIR);
        let runner = Runner::new(node, output_limit, limits, output_dir, sink.clone());
        let queued = Arc::new(watch::channel(0u64).0);
        let worker = Worker {
            ledger: ledger.clone(),
            runner,
            sink: sink.clone(),
            queued: queued.clone(),
            open: Arc::new(tokio::sync::RwLock::new(true)),
        };
        let recorder = tokio::spawn(record_results(ledger.clone(), finished, queued.clone()));
        let courier = tokio::spawn(deliver_results(ledger, courier, sink, queued));
        Ok((
            worker,
            WorkerTasks {
                tasks: vec![recorder, courier],
            },
        ))
    }

    pub fn runner(&self) -> &Runner {
        &self.runner
    }

    /// The highest leader term accepted so far (0 if none or unreadable).
    pub fn highest_term(&self) -> u64 {
        self.ledger.highest_term().unwrap_or(0)
    }

    /// Handles a dispatch: records it durably, then starts what is new. Runs to the end even
    /// if the caller goes away (a leader that stopped waiting closes its connection, and the
    /// RPC server then drops the handler): launches recorded as accepted are always started.
    pub async fn accept(&self, request: DispatchRequest) -> DispatchReply {
        let this = self.clone();
        match tokio::spawn(async move { this.accept_whole(request).await }).await {
            Ok(reply) => reply,
            Err(e) => DispatchReply::refusal(format!("cannot record the launches: {e}")),
        }
    }

    async fn accept_whole(&self, request: DispatchRequest) -> DispatchReply {
        let open = self.open.read().await;
        if !*open {
            // Not recorded: the leader keeps it unacknowledged and sends it again later.
            return DispatchReply::refusal("node is shutting down");
        }
        let ledger = self.ledger.clone();
        let outcome = tokio::task::spawn_blocking(move || ledger.accept(&request)).await;
        match outcome {
            Ok(Ok((reply, start))) => {
                if let Some(why) = &reply.refused {
                    tracing::warn!("dispatch refused: {why}");
                }
                for a in start {
                    self.runner.start(a.job, a.execution);
                }
                reply
            }
            Ok(Err(e)) => DispatchReply::refusal(format!("cannot record the launches: {e}")),
            Err(e) => DispatchReply::refusal(format!("cannot record the launches: {e}")),
        }
    }

    /// Graceful stop: running executions get `grace`, then are killed; then waits up to
    /// `deliver` for the results to be committed (what is left stays queued on disk).
    pub async fn drain(&self, grace: Duration, deliver: Duration) {
        *self.open.write().await = false;
        self.runner.drain(grace).await;
        if !self.sink.flushed(deliver).await {
            tracing::warn!(
                "some results are not delivered yet: they stay queued for the next start"
            );
        }
    }

    /// How many results wait for delivery.
    pub fn undelivered(&self) -> u64 {
        self.ledger.undelivered_count().unwrap_or(0)
    }

    /// Wakes the courier (e.g. when a leader appears).
    pub fn nudge(&self) {
        self.queued.send_modify(|v| *v += 1);
    }
}

/// Writes finished executions into the ledger's outbox, in batches.
async fn record_results(
    ledger: Arc<WorkLedger>,
    mut finished: mpsc::UnboundedReceiver<Finished>,
    queued: Arc<watch::Sender<u64>>,
) {
    let mut pacer = CommitPacer::new(RECORD_GAP);
    while let Some(first) = finished.recv().await {
        pacer.ready().await;
        let mut batch = vec![first.execution];
        while batch.len() < DELIVERY_BATCH {
            match finished.try_recv() {
                Ok(f) => batch.push(f.execution),
                Err(_) => break,
            }
        }
        loop {
            let (l, b) = (ledger.clone(), batch.clone());
            match tokio::task::spawn_blocking(move || l.finish(&b)).await {
                Ok(Ok(())) => break,
                Ok(Err(e)) => tracing::error!("cannot queue results, retrying: {e}"),
                Err(e) => tracing::error!("cannot queue results, retrying: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        queued.send_modify(|v| *v += 1);
    }
}

/// Delivers queued results until the task is aborted; a failed delivery is retried with a
/// growing pause, and the results stay on disk meanwhile.
async fn deliver_results(
    ledger: Arc<WorkLedger>,
    courier: Committer,
    sink: ResultSink,
    queued: Arc<watch::Sender<u64>>,
) {
    let mut wake = queued.subscribe();
    let mut pause = Duration::from_millis(100);
    let mut pacer = CommitPacer::new(DELIVERY_GAP);
    loop {
        // Only a delivery counts as a start: finding nothing to deliver delays nothing.
        pacer.wait().await;
        let l = ledger.clone();
        let batch = match tokio::task::spawn_blocking(move || l.undelivered(DELIVERY_BATCH)).await {
            Ok(Ok(b)) => b,
            _ => Vec::new(),
        };
        if batch.is_empty() {
            wake.mark_unchanged();
            // Re-check after subscribing: a result queued meanwhile must not wait.
            let l = ledger.clone();
            if matches!(tokio::task::spawn_blocking(move || l.undelivered_count()).await, Ok(Ok(n)) if n > 0)
            {
                continue;
            }
            if wake.changed().await.is_err() {
                return;
            }
            continue;
        }
        pacer.started(tokio::time::Instant::now());
        let seqs: Vec<u64> = batch.iter().map(|(s, _)| *s).collect();
        let results: Vec<Execution> = batch.into_iter().map(|(_, e)| e).collect();
        match courier
            .commit(crate::state::Command::Finish { results })
            .await
            .map(|_| ())
        {
            Ok(()) => {
                pause = Duration::from_millis(100);
                let l = ledger.clone();
                let n = seqs.len();
                match tokio::task::spawn_blocking(move || l.delivered(&seqs)).await {
                    Ok(Ok(())) => sink.mark_flushed(n),
                    other => tracing::error!("cannot clear delivered results: {other:?}"),
                }
            }
            Err(e) => {
                tracing::warn!("results not delivered yet, retrying in {pause:?}: {e}");
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = wake.changed() => {}
                }
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

impl RpcCall for DispatchRequest {
    const NAME: &'static str = "dispatch";
    const TIMEOUT: Duration = Duration::from_secs(10);
    type Reply = DispatchReply;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(job: &str, id: &str) -> Assignment {
        Assignment {
            job: Job {
                name: job.into(),
                ..Job::default()
            },
            execution: Execution {
                id: id.into(),
                job_name: job.into(),
                ..Execution::default()
            },
        }
    }

    fn assert_refused(reply: &DispatchReply, why: &str) {
        assert!(
            reply.refused.as_deref().is_some_and(|r| r.contains(why)),
            "not refused as {why}: {reply:?}"
        );
    }

    fn request(term: u64, ids: &[&str]) -> DispatchRequest {
        DispatchRequest {
            token: FencingToken { term, index: 1 },
            leader: "l".into(),
            assignments: ids.iter().map(|i| assignment("j", i)).collect(),
            sent_at: None,
            sent_mono_ms: None,
        }
    }

    #[test]
    fn a_launch_sent_past_its_catch_up_window_is_started_only_if_already_held() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = WorkLedger::open(dir.path()).unwrap();
        let launched = Utc::now() - chrono::Duration::seconds(90);
        let with_start = |ids: &[&str], sent: Option<DateTime<Utc>>| {
            let mut r = request(1, ids);
            for a in &mut r.assignments {
                a.execution.started_at = launched;
            }
            r.sent_at = sent;
            r
        };
        // Sent within the default 60 s window: taken and started.
        let in_time = launched + chrono::Duration::seconds(30);
        let (reply, start) = ledger.accept(&with_start(&["1-a"], Some(in_time))).unwrap();
        assert_eq!((reply.accepted.len(), start.len()), (1, 1));
        // Re-sent past the window: the one held is acknowledged again (not started again);
        // the one it never got is neither recorded nor started, and said to be too late.
        let late = launched + chrono::Duration::seconds(61);
        let (reply, start) = ledger
            .accept(&with_start(&["1-a", "2-a"], Some(late)))
            .unwrap();
        assert_eq!(reply.accepted, [("j".to_string(), "1-a".to_string())]);
        assert_eq!(reply.too_late, [("j".to_string(), "2-a".to_string())]);
        assert!(start.is_empty());
        assert_eq!(ledger.remembered().unwrap(), 1);
        // A job's own window counts, and the node's clock does not (only the sending time).
        let mut patient = with_start(&["3-a"], Some(late));
        patient.assignments[0].job.catchup_window = "5m".into();
        let (reply, start) = ledger.accept(&patient).unwrap();
        assert_eq!((reply.accepted.len(), start.len()), (1, 1));
        // An older leader says nothing of when it sent: its dispatch is taken as before.
        let (reply, start) = ledger.accept(&with_start(&["4-a"], None)).unwrap();
        assert_eq!((reply.accepted.len(), start.len()), (1, 1));
        assert!(reply.too_late.is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dispatch_whose_caller_goes_away_is_still_recorded_and_started() {
        use crate::cluster::membership::{Membership, MembershipConfig, NodeMeta, Role};
        use crate::transport::rpc::{Endpoint, RpcClient};
        let dir = tempfile::tempdir().unwrap();
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        let meta = NodeMeta {
            name: "n".into(),
            gossip_addr: any,
            rpc_addr: any,
            http_addr: any,
            role: Role::Agent,
            region: "global".into(),
            datacenter: "dc1".into(),
            tags: Default::default(),
            version: "0".into(),
            protocol_min: 1,
            protocol_max: 1,
            bootstrap_expect: 0,
        };
        let membership = Membership::start(MembershipConfig::new(meta, any))
            .await
            .unwrap();
        let rpc = RpcClient::new(Endpoint::new(
            crate::transport::seal::Peer::named("n"),
            b"0123456789abcdef0123456789abcdef",
        ));
        let (worker, _tasks) = Worker::start(
            dir.path(),
            "n".into(),
            1024,
            RunLimits::default(),
            Committer::Agent { membership, rpc },
        )
        .await
        .unwrap();
        let ran = dir.path().join("ran");
        let mut r = request(1, &["1-n"]);
        r.assignments[0].job.executor = "shell".into();
        r.assignments[0].job.executor_config = [
            ("command".to_string(), format!("touch {}", ran.display())),
            ("shell".to_string(), "true".to_string()),
        ]
        .into();
        r.assignments[0].execution.node_name = "n".into();
        // The RPC server drops a handler whose caller hung up: here, after its first poll.
        {
            let accept = std::pin::pin!(worker.accept(r));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(accept.poll(&mut cx).is_pending());
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !ran.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "the launch was recorded but never started"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(worker.ledger.remembered().unwrap(), 1);
    }

    #[test]
    fn a_requests_age_is_reckoned_on_its_leaders_monotonic_clock_and_carried_over_terms() {
        let t0 = std::time::Instant::now();
        let wall = Utc::now();
        let secs = chrono::Duration::seconds;
        let s = Duration::from_secs;
        let later = |n: u64| t0 + s(n);
        let mut clock = LeaderClock::default();
        let fresh = clock.observe(2, Some(1_000), Some(wall), t0);
        assert_eq!(
            fresh,
            Reckoning {
                age: Duration::ZERO,
                reach: Some(wall)
            }
        );
        // The same request read 12 s later (it sat in a buffer): 12 s old.
        assert_eq!(
            clock.observe(2, Some(1_000), Some(wall), later(12)).age,
            s(12)
        );
        // A newer send moves the bound up; an older one is measured against it.
        let newer = clock.observe(2, Some(21_000), Some(wall + secs(20)), later(13));
        assert_eq!(newer.age, Duration::ZERO);
        assert_eq!(
            clock.observe(2, Some(1_000), Some(wall), later(14)).age,
            s(21)
        );
        // The leader's wall clock steps back 30 s: ages do not move, and a launch reaches the
        // node when it was sent (by that clock) plus its age.
        let stepped = clock.observe(2, Some(22_000), Some(wall - secs(9)), later(15));
        assert_eq!(stepped.age, s(1));
        assert_eq!(stepped.reach, Some(wall - secs(8)));

        // A new leader: its own clock starts anew, and the wall clock the last one showed
        // (wall + 37 s by now) judges its requests too, less the margin.
        let margin = clock_carry_margin();
        let buffered = clock.observe(3, Some(500), Some(wall + secs(22)), later(30));
        assert_eq!(
            buffered.age,
            (secs(15) - margin).to_std().unwrap_or_default()
        );
        assert_eq!(buffered.reach, Some(wall + secs(22)));
        // A second request of it that sat in the buffer too is no fresher for being its own
        // newest so far.
        let second = clock.observe(3, Some(600), Some(wall + secs(22)), later(30));
        assert_eq!(second.age, buffered.age);
        assert_eq!(
            clock
                .observe(3, Some(700), Some(wall + secs(37)), later(30))
                .age,
            Duration::ZERO
        );
        // A deposed leader's request (refused by its term) and an older leader's, which says
        // nothing of when it sent, are not judged.
        assert_eq!(
            clock.observe(2, Some(0), Some(wall), later(31)).age,
            Duration::ZERO
        );
        assert_eq!(
            clock.observe(3, None, None, later(31)),
            Reckoning {
                age: Duration::ZERO,
                reach: None
            }
        );
        // Times at the ends of the calendar and of u64 (bad data) saturate, never overflow.
        let end = DateTime::<Utc>::MAX_UTC;
        let _ = clock.observe(3, Some(u64::MAX), Some(end), later(32));
        let _ = clock.observe(3, Some(0), Some(DateTime::<Utc>::MIN_UTC), later(33));
        let _ = clock.observe(4, Some(0), Some(DateTime::<Utc>::MIN_UTC), later(34));
    }

    #[test]
    fn a_dispatch_older_than_its_sender_waits_is_refused_and_a_late_launch_not_started() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = WorkLedger::open(dir.path()).unwrap();
        // Every send time below is within the minute of this node's clock the RPC admits.
        let launched = Utc::now() - chrono::Duration::seconds(40);
        // Sent `after` seconds after the launch, by the leader's wall and monotonic clocks.
        let sent = |ids: &[&str], after: i64| {
            let mut r = request(1, ids);
            for a in &mut r.assignments {
                a.execution.started_at = launched;
            }
            r.sent_at = Some(launched + chrono::Duration::seconds(after));
            r.sent_mono_ms = Some(100_000 + after as u64 * 1_000);
            r
        };
        // A resend 15 s after the launch reaches the node first; the first dispatch, sent at
        // once, arrives after it (it sat in a paused node's socket buffer, and its sender
        // gave up on it after 10 s): refused whole, nothing recorded or started.
        let (reply, start) = ledger.accept(&sent(&["1-a"], 15)).unwrap();
        assert_eq!((reply.accepted.len(), start.len()), (1, 1));
        let (reply, start) = ledger.accept(&sent(&["2-a"], 0)).unwrap();
        assert_refused(&reply, "stale dispatch");
        assert!(start.is_empty() && reply.accepted.is_empty());
        assert_eq!(ledger.remembered().unwrap(), 1);
        // 7 s old: well within what its sender waits, so it is taken.
        let (reply, start) = ledger.accept(&sent(&["2-a"], 8)).unwrap();
        assert_eq!((reply.accepted.len(), start.len()), (1, 1));
        // Sent within the window (58 s after the launch) but 7 s old when it reaches the
        // node, past the window: too late, not started.
        let (reply, _) = ledger.accept(&sent(&["3-a"], 65)).unwrap();
        assert_eq!(reply.too_late.len(), 1);
        let (reply, start) = ledger.accept(&sent(&["4-a"], 58)).unwrap();
        assert!(start.is_empty());
        assert_eq!(reply.too_late, [("j".to_string(), "4-a".to_string())]);
        // Leaders that do not say when they sent are taken as before, and so are send
        // times further from the node's clock than the RPC admits (bad data).
        let (reply, start) = ledger.accept(&request(1, &["5-a"])).unwrap();
        assert_eq!((reply.accepted.len(), start.len()), (1, 1));
        let mut odd = sent(&["5-b"], 66);
        odd.sent_at = Some(DateTime::<Utc>::MAX_UTC);
        let (reply, start) = ledger.accept(&odd).unwrap();
        assert_eq!((reply.accepted.len(), start.len()), (1, 1));
        // A new leader's request, 15 s old by the previous leader's clock: stale too, and
        // the fence rises all the same (the old leader's requests are refused from then on);
        // the new leader's fresh one is taken.
        let next_leader = |ids: &[&str], after: i64| {
            let mut r = sent(ids, after);
            r.token.term = 2;
            r.sent_mono_ms = Some(after as u64 * 1_000);
            r.assignments[0].job.catchup_window = "5m".into();
            r
        };
        let (reply, start) = ledger.accept(&next_leader(&["6-a"], 50)).unwrap();
        assert_refused(&reply, "stale dispatch");
        assert!(start.is_empty());
        let (reply, _) = ledger.accept(&sent(&["7-a"], 66)).unwrap();
        assert_refused(&reply, "stale leader");
        let (reply, start) = ledger.accept(&next_leader(&["6-a"], 66)).unwrap();
        assert_eq!((reply.accepted.len(), start.len()), (1, 1));
    }

    #[test]
    fn a_launch_is_started_once_and_stale_terms_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = WorkLedger::open(dir.path()).unwrap();
        let (reply, start) = ledger.accept(&request(3, &["1-a", "2-a"])).unwrap();
        assert_eq!(reply.accepted.len(), 2);
        assert_eq!(start.len(), 2);
        // The same launch again (a new leader re-dispatching): acknowledged, not started.
        let (reply, start) = ledger.accept(&request(4, &["1-a", "3-a"])).unwrap();
        assert_eq!(reply.accepted.len(), 2);
        assert_eq!(start.len(), 1);
        assert_eq!(start[0].execution.id, "3-a");
        // A deposed leader (term 3 after term 4) is refused outright.
        let (reply, start) = ledger.accept(&request(3, &["9-a"])).unwrap();
        assert!(reply.refused.unwrap().contains("stale leader"));
        assert!(start.is_empty() && reply.accepted.is_empty());
    }

    #[test]
    fn results_and_interrupted_launches_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let ledger = WorkLedger::open(dir.path()).unwrap();
            ledger.accept(&request(1, &["1-a", "2-a"])).unwrap();
            let mut done = assignment("j", "1-a").execution;
            done.success = true;
            ledger.finish(&[done]).unwrap();
        }
        let ledger = WorkLedger::open(dir.path()).unwrap();
        assert_eq!(ledger.close_interrupted("a").unwrap(), 1);
        let queued = ledger.undelivered(10).unwrap();
        assert_eq!(queued.len(), 2);
        assert!(queued[0].1.success);
        assert!(!queued[1].1.success);
        assert!(queued[1].1.output.contains("interrupted"));
        // Nothing is interrupted twice, and delivered results leave the outbox.
        assert_eq!(ledger.close_interrupted("a").unwrap(), 0);
        ledger
            .delivered(&queued.iter().map(|(s, _)| *s).collect::<Vec<_>>())
            .unwrap();
        assert_eq!(ledger.undelivered_count().unwrap(), 0);
        // A finished launch is still remembered: dispatching it again does not start it.
        let (_, start) = ledger.accept(&request(1, &["1-a"])).unwrap();
        assert!(start.is_empty());
    }

    fn finished(id: &str) -> Execution {
        let mut e = assignment("j", id).execution;
        e.success = true;
        e
    }

    #[test]
    fn finished_launches_are_forgotten_after_the_cutoff_and_running_ones_never() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = WorkLedger::open(dir.path()).unwrap();
        ledger.accept(&request(1, &["1-a", "2-a", "3-a"])).unwrap();
        ledger.finish(&[finished("1-a"), finished("2-a")]).unwrap();
        // A result reported twice is queued twice but indexed once.
        ledger.finish(&[finished("2-a")]).unwrap();
        let past = Utc::now() - chrono::Duration::minutes(1);
        ledger.delivered_forgetting_before(&[], past).unwrap();
        assert_eq!(ledger.remembered().unwrap(), 3, "nothing is old enough yet");
        let future = Utc::now() + chrono::Duration::minutes(1);
        ledger
            .delivered_forgetting_before(&[1, 2, 3], future)
            .unwrap();
        assert_eq!(
            ledger.remembered().unwrap(),
            1,
            "only the running launch is kept"
        );
        assert_eq!(ledger.undelivered_count().unwrap(), 0);
        // The one still running is what a restart closes.
        drop(ledger);
        let ledger = WorkLedger::open(dir.path()).unwrap();
        assert_eq!(ledger.close_interrupted("a").unwrap(), 1);
        let queued = ledger.undelivered(10).unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].1.id, "3-a");
    }

    #[test]
    fn a_ledger_written_before_the_indexes_is_indexed_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        {
            // The layout before `forget` and `unfinished`: only `accepted` and `meta`.
            let db = redb::Database::create(dir.path().join(WORK_FILE)).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let mut accepted = txn.open_table(ACCEPTED).unwrap();
                let old = Utc::now() - chrono::Duration::hours(2);
                for (id, finished) in [("1-a", true), ("2-a", false)] {
                    let entry = AcceptedLaunch {
                        execution: assignment("j", id).execution,
                        accepted_at: old,
                        finished,
                    };
                    accepted
                        .insert(launch_key("j", id).as_str(), encode(&entry).as_slice())
                        .unwrap();
                }
                accepted
                    .insert("j\0garbage", b"not json".as_slice())
                    .unwrap();
                txn.open_table(META).unwrap().insert(KEY_TERM, 5).unwrap();
            }
            txn.commit().unwrap();
        }
        let ledger = WorkLedger::open(dir.path()).unwrap();
        assert_eq!(ledger.highest_term().unwrap(), 5);
        assert_eq!(
            ledger.remembered().unwrap(),
            2,
            "the unreadable row is dropped"
        );
        assert_eq!(ledger.close_interrupted("a").unwrap(), 1);
        // Both are finished now and two hours old: an hour's cutoff forgets both.
        ledger.delivered(&[]).unwrap();
        assert_eq!(ledger.remembered().unwrap(), 0);
        // Indexing happens once: a reopen keeps what is there.
        ledger.accept(&request(6, &["3-a"])).unwrap();
        drop(ledger);
        let ledger = WorkLedger::open(dir.path()).unwrap();
        assert_eq!(ledger.remembered().unwrap(), 1);
        assert_eq!(ledger.close_interrupted("a").unwrap(), 1);
    }

    #[test]
    fn a_finished_launch_keeps_only_its_key_and_when_it_was_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = WorkLedger::open(dir.path()).unwrap();
        ledger.accept(&request(1, &["1-a"])).unwrap();
        ledger.finish(&[finished("1-a")]).unwrap();
        {
            let txn = ledger.db.begin_read().unwrap();
            let accepted = txn.open_table(ACCEPTED).unwrap();
            let row = accepted
                .get(launch_key("j", "1-a").as_str())
                .unwrap()
                .unwrap();
            assert!(row.value().len() < 100, "a finished row holds no execution");
            // A binary from before reads it as a finished launch, and keeps it.
            let old: AcceptedLaunch = serde_json::from_slice(row.value()).unwrap();
            assert!(old.finished);
        }
        // A late duplicate is still recognised, and not started again.
        let (reply, start) = ledger.accept(&request(2, &["1-a"])).unwrap();
        assert_eq!(reply.accepted.len(), 1);
        assert!(start.is_empty());
        // And it is forgotten once old enough.
        let future = Utc::now() + chrono::Duration::minutes(1);
        ledger.delivered_forgetting_before(&[1], future).unwrap();
        assert_eq!(ledger.remembered().unwrap(), 0);
    }

    /// What a binary from before the indexes does to a ledger: accepts a launch into
    /// `accepted` alone, and (`remove`) queues a result and forgets a finished launch from
    /// `accepted` alone.
    fn as_an_older_binary(dir: &Path, add: &str, remove: Option<&str>) {
        let db = redb::Database::create(dir.join(WORK_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut accepted = txn.open_table(ACCEPTED).unwrap();
            if let Some(remove) = remove {
                accepted.remove(launch_key("j", remove).as_str()).unwrap();
                let mut meta = txn.open_table(META).unwrap();
                let seq = meta.get(KEY_SEQ).unwrap().map_or(0, |v| v.value()) + 1;
                meta.insert(KEY_SEQ, seq).unwrap();
                txn.open_table(OUTBOX)
                    .unwrap()
                    .insert(seq, encode(&finished(remove)).as_slice())
                    .unwrap();
            }
            let entry = AcceptedLaunch {
                execution: assignment("j", add).execution,
                accepted_at: Utc::now(),
                finished: false,
            };
            accepted
                .insert(launch_key("j", add).as_str(), encode(&entry).as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }

    #[test]
    fn a_ledger_an_older_binary_changed_since_is_indexed_again() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = WorkLedger::open(dir.path()).unwrap();
        ledger.accept(&request(1, &["1-a", "2-a"])).unwrap();
        ledger.finish(&[finished("1-a")]).unwrap();
        drop(ledger);
        // Downgraded: the older binary accepts 3-a and forgets 1-a, leaving as many rows as
        // index entries; then upgraded again.
        as_an_older_binary(dir.path(), "3-a", Some("1-a"));
        let ledger = WorkLedger::open(dir.path()).unwrap();
        assert_eq!(ledger.remembered().unwrap(), 2);
        let mut cut_short: Vec<String> = {
            assert_eq!(ledger.close_interrupted("a").unwrap(), 2);
            ledger
                .undelivered(10)
                .unwrap()
                .into_iter()
                .map(|(_, e)| e.id)
                .filter(|id| id != "1-a")
                .collect()
        };
        cut_short.sort();
        assert_eq!(
            cut_short,
            ["2-a", "3-a"],
            "the older binary's launch is not lost"
        );
        // 1-a is not in `forget` any more, the two closed ones are: forgetting everything
        // leaves nothing behind.
        assert_eq!(ledger.to_forget().unwrap(), 2);
        let future = Utc::now() + chrono::Duration::minutes(1);
        ledger.delivered_forgetting_before(&[], future).unwrap();
        assert_eq!(ledger.remembered().unwrap(), 0);
        assert_eq!(ledger.to_forget().unwrap(), 0);
        drop(ledger);
        // Downgraded again, and the older binary only accepts 4-a before it stops.
        as_an_older_binary(dir.path(), "4-a", None);
        let ledger = WorkLedger::open(dir.path()).unwrap();
        assert_eq!(
            ledger.close_interrupted("a").unwrap(),
            1,
            "4-a was cut short"
        );
    }
}
