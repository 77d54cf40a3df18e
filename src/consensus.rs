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
use std::io::{self, Cursor};
use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::Arc;

use futures_util::{Stream, TryStreamExt};
use openraft::entry::RaftEntry;
use openraft::storage::{EntryResponder, IOFlushed, RaftLogStorage, RaftStateMachine};
use openraft::type_config::alias::{
    LogIdOf, SnapshotMetaOf, SnapshotOf, StoredMembershipOf, VoteOf,
};
use openraft::{EntryPayload, LogState, OptionalSend, RaftLogReader, RaftSnapshotBuilder};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::state::{self, Applier, Command, EXECUTIONS, JOBS, Response};

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
const SM_META: TableDefinition<&str, &[u8]> = TableDefinition::new("sm_meta");

const KEY_VOTE: &str = "vote";
const KEY_PURGED: &str = "last_purged";
const KEY_COMMITTED: &str = "committed";
const KEY_APPLIED: &str = "last_applied";
const KEY_MEMBERSHIP: &str = "membership";
const KEY_SNAPSHOT: &str = "snapshot";

pub const LOG_FILE: &str = "raft-log.redb";
/// Page cache per redb file.
const DB_CACHE_BYTES: usize = 32 * 1024 * 1024;
pub const STATE_FILE: &str = "state.redb";

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    state::encode(value)
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, io::Error> {
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

    fn put_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), io::Error> {
        let txn = self.db.begin_write().map_err(io_err)?;
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
        self.put_meta(KEY_VOTE, vote)
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogIdOf<TypeConfig>>,
    ) -> Result<(), io::Error> {
        self.put_meta(KEY_COMMITTED, &committed)
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

/// The stored snapshot: its meta and the full state dump.
#[derive(Serialize, Deserialize)]
struct StoredSnapshot {
    meta: SnapshotMetaOf<TypeConfig>,
    data: Vec<u8>,
}

/// A state dump: every row of the state tables, in key order.
#[derive(Serialize, Deserialize, Default)]
struct StateDump {
    jobs: Vec<(String, Vec<u8>)>,
    executions: Vec<(String, Vec<u8>)>,
}

/// The state machine in `state.redb`. Cheap to clone: clones share the database.
#[derive(Clone)]
pub struct StateMachine {
    db: Arc<redb::Database>,
    changes: Arc<JobChangeFeed>,
}

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
    pub fn open(db: Arc<redb::Database>) -> Result<Self, io::Error> {
        let txn = db.begin_write().map_err(io_err)?;
        txn.open_table(JOBS).map_err(io_err)?;
        txn.open_table(EXECUTIONS).map_err(io_err)?;
        txn.open_table(SM_META).map_err(io_err)?;
        txn.commit().map_err(io_err)?;
        Ok(StateMachine {
            db,
            changes: Arc::new(JobChangeFeed {
                pending: std::sync::Mutex::new(JobChanges::default()),
                bump: tokio::sync::watch::channel(0).0,
            }),
        })
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

    fn meta<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>, io::Error> {
        let txn = self.db.begin_read().map_err(io_err)?;
        let table = txn.open_table(SM_META).map_err(io_err)?;
        match table.get(key).map_err(io_err)? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    #[allow(clippy::type_complexity)]
    fn dump(
        &self,
    ) -> Result<
        (
            Option<LogIdOf<TypeConfig>>,
            StoredMembershipOf<TypeConfig>,
            Vec<u8>,
        ),
        io::Error,
    > {
        // One read transaction: the dump and its position are one consistent point in time.
        let txn = self.db.begin_read().map_err(io_err)?;
        let meta = txn.open_table(SM_META).map_err(io_err)?;
        let applied = match meta.get(KEY_APPLIED).map_err(io_err)? {
            Some(v) => decode(v.value())?,
            None => None,
        };
        let membership = match meta.get(KEY_MEMBERSHIP).map_err(io_err)? {
            Some(v) => decode(v.value())?,
            None => StoredMembershipOf::<TypeConfig>::default(),
        };
        let mut dump = StateDump::default();
        for (def, rows) in [(JOBS, &mut dump.jobs), (EXECUTIONS, &mut dump.executions)] {
            let table = txn.open_table(def).map_err(io_err)?;
            for item in table.iter().map_err(io_err)? {
                let (k, v) = item.map_err(io_err)?;
                rows.push((k.value().to_string(), v.value().to_vec()));
            }
        }
        Ok((applied, membership, encode(&dump)))
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    type SnapshotData = Cursor<Vec<u8>>;

    async fn build_snapshot(
        &mut self,
    ) -> Result<SnapshotOf<TypeConfig, Cursor<Vec<u8>>>, io::Error> {
        let (last_log_id, last_membership, data) = self.dump()?;
        let meta = SnapshotMetaOf::<TypeConfig> {
            last_log_id,
            last_membership,
        };
        let stored = StoredSnapshot {
            meta: meta.clone(),
            data,
        };
        let txn = self.db.begin_write().map_err(io_err)?;
        {
            let mut table = txn.open_table(SM_META).map_err(io_err)?;
            table
                .insert(KEY_SNAPSHOT, encode(&stored).as_slice())
                .map_err(io_err)?;
        }
        txn.commit().map_err(io_err)?;
        Ok(SnapshotOf::<TypeConfig, _> {
            meta,
            snapshot: Cursor::new(stored.data),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotData = Cursor<Vec<u8>>;
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
        let (replies, touched) = tokio::task::spawn_blocking(move || apply_batch(&db, batch))
            .await
            .unwrap_or_else(|e| Err(io_err(e)))?;
        if !touched.is_empty() {
            self.note_job_changes(|c| c.names.extend(touched));
        }
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
        snapshot: Self::SnapshotData,
    ) -> Result<(), io::Error> {
        let data = snapshot.into_inner();
        let dump: StateDump = decode(&data)?;
        // All or nothing: the old state, the new rows and the position change in one commit.
        let txn = self.db.begin_write().map_err(io_err)?;
        {
            let mut jobs = txn.open_table(JOBS).map_err(io_err)?;
            jobs.retain(|_, _| false).map_err(io_err)?;
            for (k, v) in &dump.jobs {
                jobs.insert(k.as_str(), v.as_slice()).map_err(io_err)?;
            }
            let mut execs = txn.open_table(EXECUTIONS).map_err(io_err)?;
            execs.retain(|_, _| false).map_err(io_err)?;
            for (k, v) in &dump.executions {
                execs.insert(k.as_str(), v.as_slice()).map_err(io_err)?;
            }
            let mut m = txn.open_table(SM_META).map_err(io_err)?;
            m.insert(KEY_APPLIED, encode(&meta.last_log_id).as_slice())
                .map_err(io_err)?;
            m.insert(KEY_MEMBERSHIP, encode(&meta.last_membership).as_slice())
                .map_err(io_err)?;
            let stored = StoredSnapshot {
                meta: meta.clone(),
                data,
            };
            m.insert(KEY_SNAPSHOT, encode(&stored).as_slice())
                .map_err(io_err)?;
        }
        txn.commit().map_err(io_err)?;
        self.note_job_changes(|c| c.all = true);
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<SnapshotOf<TypeConfig, Self::SnapshotData>>, io::Error> {
        Ok(self
            .meta::<StoredSnapshot>(KEY_SNAPSHOT)?
            .map(|s| SnapshotOf::<TypeConfig, _> {
                meta: s.meta,
                snapshot: Cursor::new(s.data),
            }))
    }
}

type Replies = Vec<(openraft::storage::ApplyResponder<TypeConfig>, Response)>;

/// Applies a batch of entries in one write transaction (on a blocking thread). Returns the
/// responses to send once it is durable, and the names of the jobs whose definition changed.
fn apply_batch(
    db: &redb::Database,
    batch: Vec<EntryResponder<TypeConfig>>,
) -> Result<(Replies, BTreeSet<String>), io::Error> {
    let txn = db.begin_write().map_err(io_err)?;
    let mut replies = Vec::with_capacity(batch.len());
    let mut touched = BTreeSet::new();
    {
        let mut applier = Applier::new(&txn).map_err(io_err)?;
        let mut meta = txn.open_table(SM_META).map_err(io_err)?;
        let mut last = None;
        for (entry, responder) in batch {
            last = Some(entry.log_id());
            let response = match &entry.payload {
                EntryPayload::Blank => Response::Done,
                EntryPayload::Normal(cmd) => {
                    match cmd {
                        Command::SetJob { job, .. } => {
                            touched.insert(job.name.clone());
                        }
                        Command::DeleteJob { name } | Command::ToggleJob { name } => {
                            touched.insert(name.clone());
                        }
                        Command::Launch { .. } | Command::Finish { .. } => {}
                    }
                    applier.apply(cmd).map_err(io_err)?
                }
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
    }
    txn.commit().map_err(io_err)?;
    Ok((replies, touched))
}

/// Opens both stores in `data_dir`.
pub fn open_stores(data_dir: &Path) -> Result<(LogStore, StateMachine), io::Error> {
    let log = LogStore::open(open_db(&data_dir.join(LOG_FILE))?)?;
    let sm = StateMachine::open(open_db(&data_dir.join(STATE_FILE))?)?;
    Ok((log, sm))
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
