//! Consensus: openraft's type configuration and Belfry's redb-backed Raft storage.
//!
//! Two redb files live in the data dir: `raft-log.redb` (the log, the vote, the committed
//! index) and `state.redb` (the state machine of [`crate::state`], its applied position and
//! the current snapshot). Keeping them apart lets log appends and state applies commit
//! independently. Every write that openraft must see as durable is a redb commit with
//! immediate durability before the callback fires; an apply commits its data and
//! `last_applied` in one transaction.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::fs::File;
use std::io::{self, Seek};
use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod backup;
pub mod pacer;
pub mod snapshot;

use futures_util::{Stream, TryStreamExt};
use openraft::entry::RaftEntry;
use openraft::storage::{EntryResponder, IOFlushed, RaftLogStorage, RaftStateMachine};
use openraft::type_config::alias::{
    LogIdOf, SnapshotMetaOf, SnapshotOf, StoredMembershipOf, VoteOf,
};
use openraft::{EntryPayload, LogState, OptionalSend, RaftLogReader, RaftSnapshotBuilder};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::state::{self, Applier, Command, EXECUTIONS, ExecutionEvent, JOBS, Launched, Response};
use crate::transport::rpc::RpcCall;

/// Commits a command: here if this node leads, otherwise through the leader it knows.
/// The error says why nothing could be committed (no leader known, leader unreachable, …).
pub async fn commit(
    raft: &Raft,
    rpc: &crate::transport::rpc::RpcClient,
    command: Command,
) -> Result<Response, String> {
    match raft.client_write(command.clone()).await {
        Ok(resp) => Ok(resp.data),
        Err(e) => match e.forward_to_leader() {
            Some(fwd) => {
                let (Some(id), Some(node)) = (fwd.leader_id, fwd.leader_node.clone()) else {
                    return Err("no leader is known".into());
                };
                rpc.call(
                    &node.rpc_addr,
                    &crate::transport::rpc::Peer::new(id, node.name.clone()),
                    &Forward(command),
                )
                .await
                .map_err(|e| e.to_string())?
            }
            None => Err(e.to_string()),
        },
    }
}

/// How recently a voter must have answered the leader to count towards a quorum.
const QUORUM_CONTACT: std::time::Duration = std::time::Duration::from_secs(3);

/// How many voters (this leader included) answered recently, out of how many: without a
/// majority no entry — a membership change included — can be committed.
pub fn voters_reachable(m: &openraft::RaftMetrics<TypeConfig>) -> (usize, usize) {
    voters_reachable_without(m, None)
}

/// [`voters_reachable`] of the voters that would be left once `removed` is removed: a
/// removal commits only with a majority of those too (joint consensus), and without one it
/// leaves the cluster unable to commit anything until they answer.
pub fn voters_reachable_without(
    m: &openraft::RaftMetrics<TypeConfig>,
    removed: Option<u64>,
) -> (usize, usize) {
    use openraft::Instant as _;
    let voters: Vec<u64> = m
        .membership_config
        .membership()
        .voter_ids()
        .filter(|id| Some(*id) != removed)
        .collect();
    let heard = voters
        .iter()
        .filter(|id| {
            **id == m.id
                || m.heartbeat
                    .as_ref()
                    .and_then(|h| h.get(id).cloned().flatten())
                    .is_some_and(|t| t.elapsed() < QUORUM_CONTACT)
        })
        .count();
    (heard, voters.len())
}

/// Whether a majority of the voters answered recently (see [`voters_reachable`]).
pub fn quorum_reachable(m: &openraft::RaftMetrics<TypeConfig>) -> bool {
    let (heard, voters) = voters_reachable(m);
    heard > voters / 2
}

/// How a server is reached, as recorded in the Raft membership.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAddr {
    pub name: String,
    pub rpc_addr: String,
}

impl std::fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.name, self.rpc_addr)
    }
}

openraft::declare_raft_types!(
    /// Belfry's Raft types: commands of [`crate::state`], u64 node ids, addresses by name.
    pub TypeConfig:
        D = Command,
        R = Response,
        NodeId = u64,
        Node = NodeAddr,
);

pub type Raft = openraft::Raft<TypeConfig, StateMachine>;
pub type Entry = openraft::type_config::alias::EntryOf<TypeConfig>;

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
const LOG_META: TableDefinition<&str, &[u8]> = TableDefinition::new("log_meta");
pub(crate) const SM_META: TableDefinition<&str, &[u8]> = TableDefinition::new("sm_meta");

const KEY_VOTE: &str = "vote";
const KEY_PURGED: &str = "last_purged";
const KEY_COMMITTED: &str = "committed";
pub(crate) const KEY_APPLIED: &str = "last_applied";
pub(crate) const KEY_MEMBERSHIP: &str = "membership";

pub const LOG_FILE: &str = "raft-log.redb";
/// Page cache per redb file.
const DB_CACHE_BYTES: usize = 32 * 1024 * 1024;
pub const STATE_FILE: &str = "state.redb";
pub const SNAPSHOT_DIR: &str = "snapshots";

pub(crate) fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    state::encode(value)
}

pub(crate) fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, io::Error> {
    state::decode(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
}

/// Opens (creating if needed) a redb file, naming the file in the error.
pub fn open_db(path: &Path) -> Result<Arc<redb::Database>, io::Error> {
    // redb caches up to 1 GiB per file by default; a bounded cache keeps the agent's memory
    // flat however large the history grows.
    redb::Database::builder()
        .set_cache_size(DB_CACHE_BYTES)
        .create(path)
        .map(Arc::new)
        .map_err(|e| io_err(format!("{}: {e}", path.display())))
}

/// The Raft log, vote and committed index in `raft-log.redb`.
#[derive(Clone)]
pub struct LogStore {
    db: Arc<redb::Database>,
}

impl LogStore {
    pub fn open(db: Arc<redb::Database>) -> Result<Self, io::Error> {
        let txn = db.begin_write().map_err(io_err)?;
        txn.open_table(LOG).map_err(io_err)?;
        txn.open_table(LOG_META).map_err(io_err)?;
        txn.commit().map_err(io_err)?;
        Ok(LogStore { db })
    }

    fn get_meta<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>, io::Error> {
        let txn = self.db.begin_read().map_err(io_err)?;
        let table = txn.open_table(LOG_META).map_err(io_err)?;
        match table.get(key).map_err(io_err)? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// Writes one metadata value; `durability` says whether the commit waits for the disk.
    fn put_meta<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        durability: redb::Durability,
    ) -> Result<(), io::Error> {
        let mut txn = self.db.begin_write().map_err(io_err)?;
        txn.set_durability(durability).map_err(io_err)?;
        {
            let mut table = txn.open_table(LOG_META).map_err(io_err)?;
            table
                .insert(key, encode(value).as_slice())
                .map_err(io_err)?;
        }
        txn.commit().map_err(io_err)
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, io::Error> {
        let txn = self.db.begin_read().map_err(io_err)?;
        let table = txn.open_table(LOG).map_err(io_err)?;
        let start = match range.start_bound() {
            Bound::Included(x) => *x,
            Bound::Excluded(x) => x.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let mut out = Vec::new();
        for item in table.range(start..).map_err(io_err)? {
            let (k, v) = item.map_err(io_err)?;
            if !range.contains(&k.value()) {
                break;
            }
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    async fn read_vote(&mut self) -> Result<Option<VoteOf<TypeConfig>>, io::Error> {
        self.get_meta(KEY_VOTE)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, io::Error> {
        let last_purged: Option<LogIdOf<TypeConfig>> = self.get_meta(KEY_PURGED)?;
        let txn = self.db.begin_read().map_err(io_err)?;
        let table = txn.open_table(LOG).map_err(io_err)?;
        let last = match table.last().map_err(io_err)? {
            Some((_, v)) => Some(decode::<Entry>(v.value())?.log_id()),
            None => last_purged,
        };
        Ok(LogState {
            last_purged_log_id: last_purged,
            last_log_id: last,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &VoteOf<TypeConfig>) -> Result<(), io::Error> {
        self.put_meta(KEY_VOTE, vote, redb::Durability::Immediate)
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogIdOf<TypeConfig>>,
    ) -> Result<(), io::Error> {
        // Not fsynced: the state machine commits every apply durably, so a committed index
        // lost in a crash is never ahead of what was applied (openraft: optional). It reaches
        // the disk with the next append; one fsync fewer per commit on every server.
        self.put_meta(KEY_COMMITTED, &committed, redb::Durability::None)
    }

    async fn read_committed(&mut self) -> Result<Option<LogIdOf<TypeConfig>>, io::Error> {
        Ok(self
            .get_meta::<Option<LogIdOf<TypeConfig>>>(KEY_COMMITTED)?
            .flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: IOFlushed<TypeConfig>,
    ) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        // One transaction per batch: a single fsync however many entries. The commit runs on
        // a blocking thread so an fsync never stalls the async workers.
        let entries: Vec<Entry> = entries.into_iter().collect();
        let db = self.db.clone();
        let result = tokio::task::spawn_blocking(move || {
            let txn = db.begin_write().map_err(io_err)?;
            {
                let mut table = txn.open_table(LOG).map_err(io_err)?;
                for entry in &entries {
                    table
                        .insert(entry.index(), encode(entry).as_slice())
                        .map_err(io_err)?;
                }
            }
            txn.commit().map_err(io_err)
        })
        .await
        .unwrap_or_else(|e| Err(io_err(e)));
        match result {
            Ok(()) => {
                callback.io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                callback.io_completed(Err(io::Error::new(e.kind(), e.to_string())));
                Err(e)
            }
        }
    }

    async fn truncate_after(
        &mut self,
        last_log_id: Option<LogIdOf<TypeConfig>>,
    ) -> Result<(), io::Error> {
        let from = last_log_id.map(|l| l.index() + 1).unwrap_or(0);
        let txn = self.db.begin_write().map_err(io_err)?;
        {
            let mut table = txn.open_table(LOG).map_err(io_err)?;
            table.retain_in(from.., |_, _| false).map_err(io_err)?;
        }
        txn.commit().map_err(io_err)
    }

    async fn purge(&mut self, log_id: LogIdOf<TypeConfig>) -> Result<(), io::Error> {
        let txn = self.db.begin_write().map_err(io_err)?;
        {
            let mut meta = txn.open_table(LOG_META).map_err(io_err)?;
            meta.insert(KEY_PURGED, encode(&log_id).as_slice())
                .map_err(io_err)?;
            let mut table = txn.open_table(LOG).map_err(io_err)?;
            table
                .retain_in(..=log_id.index(), |_, _| false)
                .map_err(io_err)?;
        }
        txn.commit().map_err(io_err)
    }
}

/// The state machine in `state.redb`. Cheap to clone: clones share the database.
#[derive(Clone)]
pub struct StateMachine {
    db: Arc<redb::Database>,
    snapshot_dir: PathBuf,
    changes: Arc<JobChangeFeed>,
    launches: Arc<LaunchFeed>,
    events: Arc<Feed<ExecutionEvent>>,
}

/// Items produced by applied entries, collected only while a consumer on this node listens
/// (the leader's dispatcher and notifier); elsewhere they are dropped at once.
pub struct Feed<T> {
    listening: std::sync::atomic::AtomicBool,
    pending: std::sync::Mutex<Vec<T>>,
    bump: tokio::sync::watch::Sender<u64>,
}

impl<T> Feed<T> {
    fn new() -> Self {
        Feed {
            listening: std::sync::atomic::AtomicBool::new(false),
            pending: std::sync::Mutex::new(Vec::new()),
            bump: tokio::sync::watch::channel(0).0,
        }
    }

    fn offer(&self, items: Vec<T>) {
        if items.is_empty() || !self.listening.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        self.pending.lock().expect("feed lock").extend(items);
        self.bump.send_modify(|v| *v += 1);
    }

    /// Starts (or stops) collecting; stopping drops what was collected.
    pub fn listen(&self, on: bool) {
        self.listening
            .store(on, std::sync::atomic::Ordering::SeqCst);
        if !on {
            self.pending.lock().expect("feed lock").clear();
        }
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.pending.lock().expect("feed lock"))
    }

    pub fn changed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.bump.subscribe()
    }
}

/// The executions launched on nodes, for the dispatcher.
pub type LaunchFeed = Feed<Launched>;

/// Which jobs changed since the scheduler last looked.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct JobChanges {
    /// Everything may have changed (a snapshot was installed).
    pub all: bool,
    pub names: BTreeSet<String>,
}

/// Job changes accumulate here; the counter wakes the scheduler.
struct JobChangeFeed {
    pending: std::sync::Mutex<JobChanges>,
    bump: tokio::sync::watch::Sender<u64>,
}

impl StateMachine {
    pub fn open(db: Arc<redb::Database>, snapshot_dir: PathBuf) -> Result<Self, io::Error> {
        std::fs::create_dir_all(&snapshot_dir)?;
        let txn = db.begin_write().map_err(io_err)?;
        txn.open_table(JOBS).map_err(io_err)?;
        txn.open_table(EXECUTIONS).map_err(io_err)?;
        txn.open_table(state::CLUSTER).map_err(io_err)?;
        txn.open_table(state::STAGING).map_err(io_err)?;
        txn.open_table(SM_META).map_err(io_err)?;
        txn.commit().map_err(io_err)?;
        Ok(StateMachine {
            db,
            snapshot_dir,
            changes: Arc::new(JobChangeFeed {
                pending: std::sync::Mutex::new(JobChanges::default()),
                bump: tokio::sync::watch::channel(0).0,
            }),
            launches: Arc::new(Feed::new()),
            events: Arc::new(Feed::new()),
        })
    }

    /// The executions launched by entries this node applies (see [`Feed`]).
    pub fn launches(&self) -> &Arc<LaunchFeed> {
        &self.launches
    }

    /// Executions that started (their node acknowledged them) or finished, as applied here.
    pub fn execution_events(&self) -> &Arc<Feed<ExecutionEvent>> {
        &self.events
    }

    /// Changes whenever a job is created, replaced, toggled or deleted.
    pub fn jobs_changed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.bump.subscribe()
    }

    /// Takes the job changes accumulated since the last call.
    pub fn take_job_changes(&self) -> JobChanges {
        std::mem::take(&mut *self.changes.pending.lock().expect("job changes lock"))
    }

    fn note_job_changes(&self, f: impl FnOnce(&mut JobChanges)) {
        f(&mut self.changes.pending.lock().expect("job changes lock"));
        self.changes.bump.send_modify(|v| *v += 1);
    }

    /// The database, for reads through [`crate::state::Reader`].
    pub fn db(&self) -> &Arc<redb::Database> {
        &self.db
    }

    /// Reads the state in one read transaction: a consistent view of this node's copy.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&crate::state::Reader) -> Result<T, state::StateError>,
    ) -> Result<T, state::StateError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| state::StateError::Storage(e.to_string()))?;
        f(&crate::state::Reader::new(&txn)?)
    }

    fn meta<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>, io::Error> {
        let txn = self.db.begin_read().map_err(io_err)?;
        let table = txn.open_table(SM_META).map_err(io_err)?;
        match table.get(key).map_err(io_err)? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    type SnapshotData = File;

    async fn build_snapshot(&mut self) -> Result<SnapshotOf<TypeConfig, File>, io::Error> {
        let (db, dir) = (self.db.clone(), self.snapshot_dir.clone());
        let (meta, path) = tokio::task::spawn_blocking(move || snapshot::write(&db, &dir))
            .await
            .map_err(io_err)??;
        Ok(SnapshotOf::<TypeConfig, _> {
            meta,
            snapshot: File::open(path)?,
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotData = File;
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogIdOf<TypeConfig>>, StoredMembershipOf<TypeConfig>), io::Error> {
        let applied = self
            .meta::<Option<LogIdOf<TypeConfig>>>(KEY_APPLIED)?
            .flatten();
        let membership = self.meta(KEY_MEMBERSHIP)?.unwrap_or_default();
        Ok((applied, membership))
    }

    async fn apply<Strm>(&mut self, mut entries: Strm) -> Result<(), io::Error>
    where
        Strm: Stream<Item = Result<EntryResponder<TypeConfig>, io::Error>> + Unpin + OptionalSend,
    {
        // Everything handed over in one call is applied in one transaction; the responders
        // fire only after it is durable.
        let mut batch = Vec::new();
        while let Some(item) = entries.try_next().await? {
            batch.push(item);
        }
        if batch.is_empty() {
            return Ok(());
        }
        let db = self.db.clone();
        let (replies, touched, launched, events, tally) = {
            let want_events = self.events.is_listening();
            tokio::task::spawn_blocking(move || apply_batch(&db, batch, want_events))
        }
        .await
        .unwrap_or_else(|e| Err(io_err(e)))?;
        if !tally.is_empty() {
            tally.record(crate::telemetry::global());
        }
        if !touched.is_empty() {
            self.note_job_changes(|c| c.names.extend(touched));
        }
        self.launches.offer(launched);
        self.events.offer(events);
        for (responder, response) in replies {
            responder.send(response);
        }
        Ok(())
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMetaOf<TypeConfig>,
        mut snapshot: Self::SnapshotData,
    ) -> Result<(), io::Error> {
        // All or nothing: the file is checked end to end, then the old state, the new rows and
        // the applied position change in one commit.
        let (db, dir, meta) = (self.db.clone(), self.snapshot_dir.clone(), meta.clone());
        tokio::task::spawn_blocking(move || {
            let in_file = snapshot::load(&db, &mut snapshot)?;
            if in_file.last_log_id != meta.last_log_id {
                tracing::warn!(
                    "installed snapshot's own position differs from what Raft announced"
                );
            }
            snapshot::keep_copy(&mut snapshot, &meta, &dir)
        })
        .await
        .map_err(io_err)??;
        self.note_job_changes(|c| c.all = true);
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<SnapshotOf<TypeConfig, Self::SnapshotData>>, io::Error> {
        let Some(path) = snapshot::latest(&self.snapshot_dir)? else {
            return Ok(None);
        };
        let mut file = File::open(path)?;
        let meta = snapshot::read_meta(&mut file)?;
        file.seek(std::io::SeekFrom::Start(0))?;
        Ok(Some(SnapshotOf::<TypeConfig, _> {
            meta,
            snapshot: file,
        }))
    }
}

type Replies = Vec<(openraft::storage::ApplyResponder<TypeConfig>, Response)>;

/// What one applied batch produced: the responses to send once it is durable, the jobs whose
/// definition changed, the executions launched, execution events, and the launch counts for
/// the metrics.
type Applied = (
    Replies,
    BTreeSet<String>,
    Vec<Launched>,
    Vec<ExecutionEvent>,
    crate::state::tally::LaunchTally,
);

/// Applies a batch of entries in one write transaction (on a blocking thread).
fn apply_batch(
    db: &redb::Database,
    batch: Vec<EntryResponder<TypeConfig>>,
    want_events: bool,
) -> Result<Applied, io::Error> {
    let txn = db.begin_write().map_err(io_err)?;
    let mut replies = Vec::with_capacity(batch.len());
    let touched;
    let launched;
    let events;
    let tally;
    {
        let mut applier = Applier::new(&txn).map_err(io_err)?;
        applier.collect_events = want_events;
        let mut meta = txn.open_table(SM_META).map_err(io_err)?;
        let mut last = None;
        for (entry, responder) in batch {
            last = Some(entry.log_id());
            let response = match &entry.payload {
                EntryPayload::Blank => Response::Done,
                EntryPayload::Normal(cmd) => applier.apply(cmd).map_err(io_err)?,
                EntryPayload::Membership(m) => {
                    let stored =
                        StoredMembershipOf::<TypeConfig>::new(Some(entry.log_id()), m.clone());
                    meta.insert(KEY_MEMBERSHIP, encode(&stored).as_slice())
                        .map_err(io_err)?;
                    Response::Done
                }
            };
            if let Some(r) = responder {
                replies.push((r, response));
            }
        }
        meta.insert(KEY_APPLIED, encode(&last).as_slice())
            .map_err(io_err)?;
        touched = std::mem::take(&mut applier.touched);
        launched = std::mem::take(&mut applier.launched);
        events = std::mem::take(&mut applier.events);
        tally = std::mem::take(&mut applier.tally);
    }
    txn.commit().map_err(io_err)?;
    Ok((replies, touched, launched, events, tally))
}

/// Opens both stores in `data_dir`.
pub fn open_stores(data_dir: &Path) -> Result<(LogStore, StateMachine), io::Error> {
    let log = LogStore::open(open_db(&data_dir.join(LOG_FILE))?)?;
    let sm = StateMachine::open(
        open_db(&data_dir.join(STATE_FILE))?,
        data_dir.join(SNAPSHOT_DIR),
    )?;
    Ok((log, sm))
}

/// Seeds an empty data dir with a state snapshot's jobs, executions and counters, for a new
/// one-server cluster (`belfry snapshot restore --data-dir`): the Raft log stays empty, so the
/// node bootstraps afresh (`--bootstrap-expect=1`) on top of the restored state.
pub fn seed_state(data_dir: &Path, snapshot_file: &Path) -> Result<u64, io::Error> {
    let mut file = File::open(snapshot_file)?;
    // Checked whole (digest and every row) before the data dir is touched.
    snapshot::verify(&mut file)?;
    let mut rows = Vec::new();
    snapshot::for_each_row(&mut file, |tag, k, v| {
        let key = String::from_utf8(k)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "key is not UTF-8"))?;
        rows.push((tag, key, v));
        Ok(())
    })?;
    std::fs::create_dir_all(data_dir)?;
    let (_, sm) = open_stores(data_dir)?;
    let n = rows.len() as u64;
    let txn = sm.db().begin_write().map_err(io_err)?;
    {
        let mut applier = Applier::new(&txn).map_err(io_err)?;
        if let Response::Rejected(r) = applier
            .apply(&Command::RestoreChunk {
                restore_id: 1,
                first: true,
                rows,
            })
            .map_err(io_err)?
        {
            return Err(io::Error::new(io::ErrorKind::InvalidData, r.to_string()));
        }
        if let Response::Rejected(r) = applier
            .apply(&Command::RestoreCommit {
                restore_id: 1,
                rows: n,
            })
            .map_err(io_err)?
        {
            return Err(io_err(r.to_string()));
        }
    }
    txn.commit().map_err(io_err)?;
    Ok(n)
}

/// What [`recover`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovered {
    /// The voters before, by name, sorted.
    pub voters_before: Vec<String>,
    /// The voters now, by name, sorted.
    pub voters_after: Vec<String>,
    /// Membership entries in the log past the applied state that were blanked.
    pub blanked_entries: u64,
}

/// Why [`recover`] refused.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Recovers a stopped server whose cluster lost its quorum for good (Consul's `peers.json`):
/// rewrites the stored Raft membership so that the surviving servers — named (by node name or
/// hex id) in `survivors`, or by default just this node (its `node-id` file) — are the only
/// voters. The applied membership is replaced, any
/// membership entry in the log past the applied state becomes a blank entry (so it cannot
/// bring the old configuration back), and the Raft snapshot is rewritten with the new
/// membership. Jobs, executions and the rest of the log are untouched. Refuses a data dir a
/// running node holds (redb's lock).
pub fn recover(data_dir: &Path, survivors: Option<&[String]>) -> Result<Recovered, RecoverError> {
    use openraft::Membership;
    let state_path = data_dir.join(STATE_FILE);
    let log_path = data_dir.join(LOG_FILE);
    if !state_path.exists() || !log_path.exists() {
        return Err(RecoverError::Refused(format!(
            "{}: no Belfry server state here (no {STATE_FILE} and {LOG_FILE})",
            data_dir.display()
        )));
    }
    let locked = |e: io::Error| {
        let text = e.to_string();
        if text.contains("already open") || text.contains("lock") {
            RecoverError::Refused(format!(
                "{} is in use by a running belfry node: stop it first",
                data_dir.display()
            ))
        } else {
            RecoverError::Io(e)
        }
    };
    let sm_db = open_db(&state_path).map_err(locked)?;
    let log_db = open_db(&log_path).map_err(locked)?;

    let (applied, sm_membership) = {
        let txn = sm_db.begin_read().map_err(io_err)?;
        let meta = txn.open_table(SM_META).map_err(io_err)?;
        let applied: Option<LogIdOf<TypeConfig>> = match meta.get(KEY_APPLIED).map_err(io_err)? {
            Some(v) => decode(v.value())?,
            None => None,
        };
        let membership: StoredMembershipOf<TypeConfig> =
            match meta.get(KEY_MEMBERSHIP).map_err(io_err)? {
                Some(v) => decode(v.value())?,
                None => StoredMembershipOf::<TypeConfig>::default(),
            };
        (applied, membership)
    };
    // The effective membership: the newest in the log past the applied state, else the
    // applied one.
    let from = applied.as_ref().map(|l| l.index + 1).unwrap_or(0);
    let mut effective = sm_membership.membership().clone();
    let mut later_membership = Vec::new();
    {
        let txn = log_db.begin_read().map_err(io_err)?;
        let table = txn.open_table(LOG).map_err(io_err)?;
        for item in table.range(from..).map_err(io_err)? {
            let (k, v) = item.map_err(io_err)?;
            let entry: Entry = decode(v.value())?;
            if let EntryPayload::Membership(m) = &entry.payload {
                effective = m.clone();
                later_membership.push(k.value());
            }
        }
    }
    let name_of = |id: &u64| {
        effective
            .get_node(id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| format!("{id:016x}"))
    };
    let mut voters_before: Vec<String> = effective.voter_ids().map(|id| name_of(&id)).collect();
    voters_before.sort();
    let known = || {
        effective
            .nodes()
            .map(|(_, n)| n.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let survivors: BTreeSet<u64> = match survivors {
        None => {
            let path = data_dir.join("node-id");
            let text = std::fs::read_to_string(&path)
                .map_err(|e| RecoverError::Refused(format!("{}: {e}", path.display())))?;
            let id = u64::from_str_radix(text.trim(), 16).map_err(|_| {
                RecoverError::Refused(format!("{} is not a hex node id", path.display()))
            })?;
            BTreeSet::from([id])
        }
        Some(names) => {
            let mut ids = BTreeSet::new();
            for name in names {
                let id = effective
                    .nodes()
                    .find(|(id, n)| n.name == *name || format!("{id:016x}") == *name)
                    .map(|(id, _)| *id)
                    .ok_or_else(|| {
                        RecoverError::Refused(format!(
                            "no server named {name} in the Raft configuration (servers: {})",
                            known()
                        ))
                    })?;
                ids.insert(id);
            }
            ids
        }
    };
    if survivors.is_empty() {
        return Err(RecoverError::Refused("no surviving voter named".into()));
    }
    let mut nodes = std::collections::BTreeMap::new();
    for id in &survivors {
        let Some(node) = effective.get_node(id) else {
            return Err(RecoverError::Refused(format!(
                "this node ({id:016x}) is not in the Raft configuration (servers: {}); name the survivors with --voters",
                known()
            )));
        };
        nodes.insert(*id, node.clone());
    }
    let membership = Membership::new(vec![survivors.clone()], nodes)
        .map_err(|e| RecoverError::Refused(e.to_string()))?;
    let stored = StoredMembershipOf::<TypeConfig>::new(applied, membership);

    // The log first: once the applied membership changes, nothing later may override it.
    {
        let txn = log_db.begin_write().map_err(io_err)?;
        {
            let mut table = txn.open_table(LOG).map_err(io_err)?;
            for index in &later_membership {
                let bytes = table
                    .get(*index)
                    .map_err(io_err)?
                    .map(|v| v.value().to_vec());
                if let Some(bytes) = bytes {
                    let mut entry: Entry = decode(&bytes)?;
                    entry.payload = EntryPayload::Blank;
                    table
                        .insert(*index, encode(&entry).as_slice())
                        .map_err(io_err)?;
                }
            }
        }
        txn.commit().map_err(io_err)?;
    }
    {
        let txn = sm_db.begin_write().map_err(io_err)?;
        {
            let mut meta = txn.open_table(SM_META).map_err(io_err)?;
            meta.insert(KEY_MEMBERSHIP, encode(&stored).as_slice())
                .map_err(io_err)?;
        }
        txn.commit().map_err(io_err)?;
    }
    // The snapshot carries the membership too (a new follower installs it): rewrite it.
    snapshot::write(&sm_db, &data_dir.join(SNAPSHOT_DIR))?;
    Ok(Recovered {
        voters_before,
        voters_after: {
            let mut names: Vec<String> = survivors.iter().map(name_of).collect();
            names.sort();
            names
        },
        blanked_entries: later_membership.len() as u64,
    })
}

/// A write forwarded to the leader, which commits it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Forward(pub Command);

impl RpcCall for Forward {
    const NAME: &'static str = "forward";
    const TIMEOUT: Duration = Duration::from_secs(30);
    type Reply = Result<Response, String>;
}

/// A write from an agent (results it delivers), committed through any server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Submit(pub Command);

impl RpcCall for Submit {
    const NAME: &'static str = "submit";
    const TIMEOUT: Duration = Duration::from_secs(30);
    type Reply = Result<Response, String>;
}

/// The leader's read index, for a follower's consistent read.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReadIndex {}

impl RpcCall for ReadIndex {
    const NAME: &'static str = "read-index";
    const TIMEOUT: Duration = Duration::from_secs(10);
    type Reply = Result<u64, String>;
}

#[cfg(test)]
mod tests {
    use openraft::StorageError;
    use openraft::testing::log::{StoreBuilder, Suite};
    use tempfile::TempDir;

    use super::*;

    struct RedbBuilder;

    impl StoreBuilder<TypeConfig, LogStore, StateMachine, TempDir> for RedbBuilder {
        async fn build(
            &self,
        ) -> Result<(TempDir, LogStore, StateMachine), StorageError<TypeConfig>> {
            let dir = TempDir::new().expect("temp dir");
            let (log, sm) = open_stores(dir.path()).expect("open stores");
            Ok((dir, log, sm))
        }
    }

    #[test]
    fn openraft_storage_suite() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { Suite::test_all(RedbBuilder).await.unwrap() });
    }
}
