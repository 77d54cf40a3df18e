//! The replicated state: the commands the Raft log carries and how each one changes the jobs,
//! executions and launch ledger kept in the state machine's redb file.
//!
//! Everything here is deterministic — a command's effect depends only on the command and the
//! state it is applied to — because every server applies the same log and must end in the
//! same state. Instants come inside the commands (the leader stamps them), never from the
//! local clock.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

pub mod acl;
pub mod tally;

use crate::model::{Execution, ExecutionStatus, Job, execution_id, instant_nanos, zero_time};

/// Jobs by name → [`JobRecord`] (versioned JSON).
pub(crate) const JOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("jobs");
/// Executions by `job \0 <20-digit nanos>-<node>` → [`Execution`] (versioned JSON); the key
/// orders each job's history oldest first.
pub(crate) const EXECUTIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("executions");
/// Cluster-wide settings and counters: `paused`, and `stats/YYYY-MM-DD` → [`DayStats`].
pub(crate) const CLUSTER: TableDefinition<&str, &[u8]> = TableDefinition::new("cluster");
const KEY_PAUSED: &str = "paused";
const KEY_CLUSTER_ID: &str = "cluster_id";
/// ACL tokens by `acl/token/<accessor>` → [`crate::state::acl::StoredToken`] (only the secret's hash).
/// Kept in the cluster table so snapshots and restarts carry them with no format change.
const ACL_TOKEN_PREFIX: &str = "acl/token/";
/// Just past every `acl/` key, for range scans.
const ACL_END: &str = "acl0";
/// Servers an operator removed and the leader keeps out of the Raft configuration for a while,
/// by `held-out/<node name>` → when (leader's clock). Replicated so that a leader elected just
/// after the removal keeps the server out too (a local list let it be re-added for seconds).
const HELD_OUT_PREFIX: &str = "held-out/";
/// Just past every `held-out/` key, for range scans.
const HELD_OUT_END: &str = "held-out0";
/// Rows of a restore being uploaded, by `<restore id>/<table tag>/<key>`; not in snapshots.
pub(crate) const STAGING: TableDefinition<&str, &[u8]> = TableDefinition::new("restore_staging");

/// Executions finished on one UTC day (`GET /v1/stats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayStats {
    pub success_count: u64,
    pub failed_count: u64,
}

/// How many days of stats are kept.
const STATS_DAYS: i64 = 366;

/// Format version written in front of every stored value, so a newer binary can read (and
/// migrate) what an older one wrote.
const VALUE_FORMAT: u8 = 1;

/// A job as stored: the client-visible job plus the scheduler's bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    #[serde(with = "crate::model::stored_job")]
    pub job: Job,
    /// When the current schedule was set; `@every` ticks are measured from here.
    pub anchor: DateTime<Utc>,
    /// The newest tick launched (or recorded as missed). Ticks at or before it never launch again.
    pub last_tick: Option<DateTime<Utc>>,
    /// Keys of this job's executions that are still running.
    pub running: BTreeSet<String>,
    /// How many executions of this job are stored.
    pub stored_executions: u32,
    /// Running executions whose node has not yet acknowledged the dispatch: a new leader
    /// dispatches these again (the node ignores a launch it already has).
    #[serde(default)]
    pub unacked: BTreeSet<String>,
    /// Runs owed to this job outside its schedule: retries and dependent runs.
    #[serde(default)]
    pub pending: Vec<PendingRun>,
    #[serde(default)]
    pub next_pending_id: u64,
    /// Execution groups (ticks) with work still open, by group.
    #[serde(default)]
    pub groups: std::collections::BTreeMap<i64, GroupTally>,
}

/// A run owed to a job outside its schedule, launched by the leader once `due` has come.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingRun {
    pub id: u64,
    pub due: DateTime<Utc>,
    pub cause: PendingCause,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PendingCause {
    /// Attempt `attempt` of a failed execution of `group` (the tick `scheduled_at`), which
    /// failed on `node`.
    Retry {
        group: i64,
        scheduled_at: DateTime<Utc>,
        attempt: u32,
        node: String,
    },
    /// The parent job's group succeeded.
    Dependent { parent: String },
}

/// The open work of one execution group and how its finished executions ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupTally {
    /// Executions running plus retries owed.
    pub open: u32,
    pub succeeded: u32,
    pub failed: u32,
}

/// How long a retry waits: 1 s after the first failure, doubling, at most 5 min.
pub fn retry_backoff(failed_attempt: u32) -> chrono::Duration {
    let secs = 1i64 << failed_attempt.saturating_sub(1).min(9);
    chrono::Duration::seconds(secs.min(300))
}

impl JobRecord {
    /// A paused job resumes at `at`: the ticks it skipped while paused were not missed (nothing
    /// was meant to run them), so the ledger moves past them and records nothing for them.
    fn resume_at(&mut self, at: DateTime<Utc>) {
        self.last_tick = Some(self.last_tick.map_or(at, |t| t.max(at)));
    }

    /// The instant after which the scheduler looks for this job's next tick.
    pub fn cursor(&self) -> DateTime<Utc> {
        match self.last_tick {
            Some(t) => t,
            None => self.anchor - chrono::Duration::nanoseconds(1),
        }
    }
}

/// A change to the replicated state. Serialised into the Raft log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Create or replace a job (already validated by the API). `at` is the leader's clock.
    SetJob {
        job: Box<Job>,
        at: DateTime<Utc>,
    },
    DeleteJob {
        name: String,
    },
    ToggleJob {
        name: String,
        /// The leader's clock. Resuming a job moves its tick ledger here, so the ticks that
        /// came due while it was paused are not recorded as missed (entries written before
        /// this field existed have none and keep the old behaviour).
        #[serde(default)]
        at: Option<DateTime<Utc>>,
    },
    /// Record launches, all at once, before any of them is dispatched.
    Launch {
        launches: Vec<Launch>,
        history_limit: u32,
    },
    /// Record finished executions (results are batched by the leader).
    Finish {
        results: Vec<Execution>,
    },
    /// Nodes accepted these dispatched executions (job, execution id).
    Acknowledge {
        executions: Vec<(String, String)>,
    },
    /// Refuse (or again accept) new and changed jobs, cluster-wide (`/v1/pause`).
    SetPaused {
        paused: bool,
    },
    /// Delete a job's finished executions and reset its counters.
    DeleteExecutions {
        name: String,
    },
    /// Name the cluster once (ignored when it already has an id).
    SetClusterId {
        id: String,
    },
    /// Stage rows of a snapshot being restored (`first` drops earlier staged rows).
    RestoreChunk {
        restore_id: u64,
        first: bool,
        rows: Vec<(u8, String, Vec<u8>)>,
    },
    /// Replace the state with the staged rows, in one step, if exactly `rows` are staged.
    RestoreCommit {
        restore_id: u64,
        rows: u64,
    },
    /// The first management token; refused once any management token exists.
    AclBootstrap {
        token: crate::state::acl::StoredToken,
    },
    AclCreateToken {
        token: crate::state::acl::StoredToken,
    },
    /// Refused for an unknown accessor and for the last management token (which would let
    /// anyone bootstrap again).
    AclDeleteToken {
        accessor: String,
    },
    /// Keep a removed server out of the Raft configuration (see `cluster::HOLD_OUT`); `at` is
    /// the leader's clock.
    HoldOut {
        node: String,
        at: DateTime<Utc>,
    },
    /// The held-out server finished its demotion (or its time is up): forget it.
    ReleaseHoldOut {
        node: String,
    },
}

/// One launch of a job: a scheduled tick, a manual run or a pending run, on its target nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Launch {
    pub job: String,
    /// The tick; for a manual run, the instant it was asked for; for a pending run, its due
    /// instant.
    pub scheduled_at: DateTime<Utc>,
    /// One execution is recorded per node. Empty when no node matched: then one failed
    /// execution records `no_target` as the reason, so the tick is not silently lost.
    pub nodes: Vec<String>,
    pub kind: LaunchKind,
    #[serde(default)]
    pub no_target: Option<String>,
    /// A manual run that may overlap a running execution of a `forbid` job.
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LaunchKind {
    Scheduled,
    Manual,
    /// Record the tick as missed: advances the ledger, runs nothing.
    Missed,
    /// Launch the job's [`PendingRun`] with this id (a retry or a dependent run).
    Pending {
        id: u64,
    },
}

/// What the state machine answers to a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Response {
    Done,
    Job(Box<Job>),
    Launched(Vec<LaunchOutcome>),
    Rejected(Rejection),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum Rejection {
    #[error("job {0:?} not found")]
    JobNotFound(String),
    /// Dkron's text first (`ErrParentJobNotFound`, which its tests assert), then the name.
    #[error("specified parent job not found: {0:?}")]
    ParentNotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("job {name:?} has dependent jobs {children:?}: delete them first")]
    HasDependents { name: String, children: Vec<String> },
    #[error(
        "ACLs are already bootstrapped: a management token exists (create more tokens with it, `belfry acl token create`)"
    )]
    AclBootstrapped,
    #[error("no token with accessor {0:?}")]
    TokenNotFound(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LaunchOutcome {
    /// Recorded as running, one per target node; the leader now dispatches them.
    Started(Vec<Execution>),
    /// Recorded as missed.
    Missed(Box<Execution>),
    /// Not recorded, and must not run.
    Skipped { job: String, reason: SkipReason },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SkipReason {
    JobNotFound,
    /// This tick (or a later one) was already launched.
    AlreadyLaunched,
    Disabled,
    NotStarted,
    Expired,
    /// `concurrency: forbid` and an execution is running.
    StillRunning,
}

/// Errors reading or writing the state file.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state storage: {0}")]
    Storage(String),
    #[error("state value is corrupt or of an unknown format: {0}")]
    Format(String),
}

macro_rules! storage_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StateError {
            fn from(e: $t) -> Self { StateError::Storage(e.to_string()) }
        }
    )*};
}
storage_err!(
    redb::Error,
    redb::StorageError,
    redb::TableError,
    redb::TransactionError,
    redb::CommitError
);

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![VALUE_FORMAT];
    serde_json::to_writer(&mut out, value).expect("state values always serialise");
    out
}

pub(crate) fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, StateError> {
    match bytes.split_first() {
        Some((&VALUE_FORMAT, body)) => {
            serde_json::from_slice(body).map_err(|e| StateError::Format(e.to_string()))
        }
        Some((v, _)) => Err(StateError::Format(format!(
            "value format {v} is newer than this binary understands ({VALUE_FORMAT})"
        ))),
        None => Err(StateError::Format("empty value".into())),
    }
}

/// Checks a command before it changes anything: the same rules as the API (names, schedules,
/// executors, tags, processors), so a command that arrives some other way — forwarded, replayed
/// from the log, or restored — is refused with a reason instead of being stored. Deterministic:
/// every server decides the same.
fn check_accessor(accessor: &str) -> Result<(), String> {
    let ok = !accessor.is_empty()
        && accessor.len() <= 64
        && accessor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "token accessor {accessor:?} is not 1-64 of [A-Za-z0-9_-]"
        ))
    }
}

pub fn check_command(command: &Command) -> Result<(), Rejection> {
    let invalid = |e: String| Err(Rejection::Invalid(e));
    match command {
        Command::SetJob { job, .. } => {
            if let Err(e) = crate::job::validate::validate_job(job) {
                return invalid(e.to_string());
            }
        }
        Command::SetClusterId { id } => check_cluster_id(id).map_err(Rejection::Invalid)?,
        // The accessor names the token's row: ids the API makes, never a path or a wild key.
        Command::AclBootstrap { token } | Command::AclCreateToken { token } => {
            check_accessor(&token.info.accessor).map_err(Rejection::Invalid)?
        }
        Command::AclDeleteToken { .. } => {}
        // The name becomes a row key: a node name, never a path or a wild key.
        Command::HoldOut { node, .. } | Command::ReleaseHoldOut { node } => {
            crate::config::validate_node_name(node).map_err(Rejection::Invalid)?
        }
        Command::RestoreChunk { rows, .. } => {
            for (tag, key, value) in rows {
                check_row(*tag, key, value).map_err(Rejection::Invalid)?;
            }
        }
        // A launch of a job that is not stored is skipped, a bad node name is no target, and a
        // result for an execution that is not stored is skipped: one bad item never costs
        // the batch it came in.
        // Deleting, toggling or clearing acts only on a stored job, whatever its name: a job
        // stored before names were checked everywhere can still be removed.
        Command::Launch { .. }
        | Command::DeleteJob { .. }
        | Command::ToggleJob { .. }
        | Command::DeleteExecutions { .. }
        | Command::Finish { .. }
        | Command::Acknowledge { .. }
        | Command::SetPaused { .. }
        | Command::RestoreCommit { .. } => {}
    }
    Ok(())
}

/// A cluster id names backup files: letters, digits, `-` and `_` only.
fn check_cluster_id(id: &str) -> Result<(), String> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(format!(
            "cluster id {id:?} must be 1 to 64 letters, digits, '-' or '_'"
        ));
    }
    Ok(())
}

/// Checks a stored execution: a valid job name and node, under its own key.
fn check_execution(key: &str, e: &Execution) -> Result<(), String> {
    crate::job::validate::validate_name(&e.job_name)
        .map_err(|err| format!("execution: job {err}"))?;
    let Some(own) = execution_key_from_id(&e.job_name, &e.id) else {
        return Err(format!("execution id {:?} is malformed", e.id));
    };
    let node = e.id.split_once('-').map(|(_, n)| n).unwrap_or_default();
    if !node.is_empty() {
        crate::config::validate_node_name(node).map_err(|err| format!("execution id: {err}"))?;
    }
    if key != own {
        return Err(format!(
            "execution {:?} of job {:?} is stored under another key",
            e.id, e.job_name
        ));
    }
    Ok(())
}

/// Decodes and checks one state row (table tag, key, value) as a snapshot or restore carries
/// it: a row that would not decode later, or holds a job the API would refuse, is refused
/// here, naming the row, before anything is staged or applied.
pub fn check_row(tag: u8, key: &str, value: &[u8]) -> Result<(), String> {
    let shown: String = key.chars().take(80).collect::<String>().replace('\0', "/");
    match tag {
        1 => {
            let record: JobRecord = decode(value).map_err(|e| format!("job row {shown:?}: {e}"))?;
            if record.job.name != key {
                return Err(format!(
                    "job row {shown:?} holds a job named {:?}",
                    record.job.name
                ));
            }
            crate::job::validate::validate_job(&record.job)
                .map_err(|e| format!("job row {shown:?}: {e}"))?;
            for name in record
                .job
                .dependent_jobs
                .iter()
                .chain(record.pending.iter().filter_map(|p| match &p.cause {
                    PendingCause::Dependent { parent } => Some(parent),
                    PendingCause::Retry { .. } => None,
                }))
            {
                crate::job::validate::validate_name(name)
                    .map_err(|e| format!("job row {shown:?}: dependent_jobs: {e}"))?;
            }
        }
        2 => {
            let execution: Execution =
                decode(value).map_err(|e| format!("execution row {shown:?}: {e}"))?;
            check_execution(key, &execution)
                .map_err(|e| format!("execution row {shown:?}: {e}"))?;
        }
        3 => {
            let checked = match key {
                KEY_PAUSED => decode::<bool>(value).map(drop),
                KEY_CLUSTER_ID => decode::<String>(value)
                    .and_then(|id| check_cluster_id(&id).map_err(StateError::Format)),
                _ if key.strip_prefix("stats/").is_some_and(|day| {
                    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok()
                }) =>
                {
                    decode::<DayStats>(value).map(drop)
                }
                // ACL tokens travel in snapshots (a restore keeps the cluster's own, see
                // `RestoreCommit`); the row must decode and sit under its own accessor.
                _ if key.starts_with(HELD_OUT_PREFIX) => {
                    decode::<DateTime<Utc>>(value).and_then(|_| {
                        crate::config::validate_node_name(&key[HELD_OUT_PREFIX.len()..])
                            .map_err(StateError::Format)
                    })
                }
                _ if key.starts_with(ACL_TOKEN_PREFIX) => {
                    decode::<crate::state::acl::StoredToken>(value).and_then(|token| {
                        let accessor = &key[ACL_TOKEN_PREFIX.len()..];
                        if token.info.accessor != accessor {
                            return Err(StateError::Format(
                                "token row is not under its own accessor".into(),
                            ));
                        }
                        check_accessor(accessor).map_err(StateError::Format)
                    })
                }
                _ => Err(StateError::Format("unknown cluster setting".into())),
            };
            checked.map_err(|e| format!("cluster row {shown:?}: {e}"))?;
        }
        other => return Err(format!("row {shown:?} has an unknown table tag {other}")),
    }
    Ok(())
}

/// The storage key of an execution: sorts a job's executions oldest first.
pub fn execution_key(job: &str, nanos: i64, node: &str) -> String {
    format!("{job}\0{nanos:020}-{node}")
}

/// The key of an execution given its public id (`<nanos>-<node>`).
pub fn execution_key_from_id(job: &str, id: &str) -> Option<String> {
    let (nanos, node) = id.split_once('-')?;
    let nanos: i64 = nanos.parse().ok()?;
    Some(execution_key(job, nanos, node))
}

fn job_prefix_range(job: &str) -> (String, String) {
    (format!("{job}\0"), format!("{job}\u{1}"))
}

/// An execution still marked running, by its storage key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenExecution {
    pub key: String,
    /// Its node has not acknowledged it yet.
    pub unacked: bool,
}

impl OpenExecution {
    /// The node it runs on, read from the key (`{job}\0{nanos:020}-{node}`).
    pub fn node(&self) -> Option<&str> {
        let (_, rest) = self.key.split_once('\0')?;
        rest.get(21..)
    }
}

/// An execution recorded as launched on a node, for the leader to dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launched {
    pub job: String,
    pub execution_id: String,
    pub node: String,
}

/// An execution that started (its node acknowledged it) or finished, with its job as stored;
/// the leader's notifier turns these into webhooks and mail.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionEvent {
    pub job: Job,
    pub execution: Execution,
    pub kind: ExecutionEventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionEventKind {
    Started,
    /// Finished; `retrying` when a retry of it is owed (Dkron notifies only the last attempt).
    Finished {
        retrying: bool,
    },
}

/// Applies commands inside one redb write transaction.
pub struct Applier<'t> {
    jobs: redb::Table<'t, &'static str, &'static [u8]>,
    executions: redb::Table<'t, &'static str, &'static [u8]>,
    cluster: redb::Table<'t, &'static str, &'static [u8]>,
    staging: redb::Table<'t, &'static str, &'static [u8]>,
    /// Jobs whose definition or owed runs changed: the scheduler re-plans them.
    pub touched: BTreeSet<String>,
    /// Executions launched on nodes by the commands applied.
    pub launched: Vec<Launched>,
    /// Executions that started or finished.
    pub events: Vec<ExecutionEvent>,
    /// Whether anyone wants `events` (the leader's notifier): elsewhere they are not built,
    /// which saves a job clone per result and a read per acknowledgement on every follower.
    pub collect_events: bool,
    /// What the launches applied did, for the metrics (added once the transaction commits).
    pub tally: tally::LaunchTally,
}

impl<'t> Applier<'t> {
    pub fn new(txn: &'t redb::WriteTransaction) -> Result<Self, StateError> {
        Ok(Applier {
            jobs: txn.open_table(JOBS)?,
            executions: txn.open_table(EXECUTIONS)?,
            cluster: txn.open_table(CLUSTER)?,
            staging: txn.open_table(STAGING)?,
            touched: BTreeSet::new(),
            launched: Vec::new(),
            events: Vec::new(),
            collect_events: true,
            tally: Default::default(),
        })
    }

    fn load_job(&self, name: &str) -> Result<Option<JobRecord>, StateError> {
        match self.jobs.get(name)? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    fn store_job(&mut self, record: &JobRecord) -> Result<(), StateError> {
        self.jobs
            .insert(record.job.name.as_str(), encode(record).as_slice())?;
        Ok(())
    }

    fn load_execution(&self, key: &str) -> Result<Option<Execution>, StateError> {
        match self.executions.get(key)? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    fn acl_tokens(&self) -> Result<Vec<crate::state::acl::StoredToken>, StateError> {
        let mut out = Vec::new();
        for item in self.cluster.range(ACL_TOKEN_PREFIX..ACL_END)? {
            let (_, v) = item?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    fn store_token(&mut self, token: &crate::state::acl::StoredToken) -> Result<(), StateError> {
        let key = format!("{ACL_TOKEN_PREFIX}{}", token.info.accessor);
        self.cluster
            .insert(key.as_str(), encode(token).as_slice())?;
        Ok(())
    }

    /// Applies one command. Bad data (a command the API would refuse, a row that does not
    /// decode) is answered with [`Response::Rejected`]; only storage failures are errors.
    pub fn apply(&mut self, command: &Command) -> Result<Response, StateError> {
        if let Err(rejection) = check_command(command) {
            return Ok(Response::Rejected(rejection));
        }
        match self.apply_checked(command) {
            Err(StateError::Format(reason)) => Ok(Response::Rejected(Rejection::Invalid(format!(
                "stored data does not decode: {reason}"
            )))),
            other => other,
        }
    }

    fn apply_checked(&mut self, command: &Command) -> Result<Response, StateError> {
        match command {
            Command::SetJob { job, at } => {
                self.touched.insert(job.name.clone());
                self.set_job(job, *at)
            }
            Command::DeleteJob { name } => {
                self.touched.insert(name.clone());
                self.delete_job(name)
            }
            Command::ToggleJob { name, at } => {
                self.touched.insert(name.clone());
                let Some(mut record) = self.load_job(name)? else {
                    return Ok(Response::Rejected(Rejection::JobNotFound(name.clone())));
                };
                record.job.disabled = !record.job.disabled;
                if !record.job.disabled
                    && let Some(at) = at
                {
                    record.resume_at(*at);
                }
                self.store_job(&record)?;
                Ok(Response::Job(Box::new(record.job)))
            }
            Command::Launch {
                launches,
                history_limit,
            } => {
                let mut outcomes = Vec::with_capacity(launches.len());
                for launch in launches {
                    let outcome = self.launch(launch, *history_limit)?;
                    if let LaunchOutcome::Skipped { reason, .. } = &outcome {
                        self.tally.skipped(*reason);
                    }
                    outcomes.push(outcome);
                }
                Ok(Response::Launched(outcomes))
            }
            Command::Finish { results } => {
                for result in results {
                    self.finish(result)?;
                }
                Ok(Response::Done)
            }
            Command::SetPaused { paused } => {
                self.cluster.insert(KEY_PAUSED, encode(paused).as_slice())?;
                Ok(Response::Done)
            }
            Command::DeleteExecutions { name } => {
                let Some(mut record) = self.load_job(name)? else {
                    return Ok(Response::Rejected(Rejection::JobNotFound(name.clone())));
                };
                // Running executions stay: their results are still on the way.
                let (from, to) = job_prefix_range(name);
                let running = record.running.clone();
                let mut removed = 0u32;
                self.executions
                    .retain_in::<&str, _>(from.as_str()..to.as_str(), |k, _| {
                        let keep = running.contains(k);
                        removed += u32::from(!keep);
                        keep
                    })?;
                record.stored_executions = record.stored_executions.saturating_sub(removed);
                record.job.success_count = 0;
                record.job.error_count = 0;
                record.job.last_success = None;
                record.job.last_error = None;
                self.store_job(&record)?;
                Ok(Response::Job(Box::new(record.job)))
            }
            Command::SetClusterId { id } => {
                if self.cluster.get(KEY_CLUSTER_ID)?.is_none() {
                    self.cluster.insert(KEY_CLUSTER_ID, encode(id).as_slice())?;
                }
                Ok(Response::Done)
            }
            Command::RestoreChunk {
                restore_id,
                first,
                rows,
            } => {
                if *first {
                    self.staging.retain(|_, _| false)?;
                }
                for (tag, key, value) in rows {
                    let k = format!("{restore_id:016x}/{tag}/{key}");
                    self.staging.insert(k.as_str(), value.as_slice())?;
                }
                Ok(Response::Done)
            }
            Command::RestoreCommit { restore_id, rows } => self.restore_commit(*restore_id, *rows),
            Command::AclBootstrap { token } => {
                if self
                    .acl_tokens()?
                    .iter()
                    .any(|t| t.info.role == crate::state::acl::Role::Management)
                {
                    return Ok(Response::Rejected(Rejection::AclBootstrapped));
                }
                self.store_token(token)?;
                Ok(Response::Done)
            }
            Command::AclCreateToken { token } => {
                self.store_token(token)?;
                Ok(Response::Done)
            }
            Command::HoldOut { node, at } => {
                let key = format!("{HELD_OUT_PREFIX}{node}");
                self.cluster.insert(key.as_str(), encode(at).as_slice())?;
                Ok(Response::Done)
            }
            Command::ReleaseHoldOut { node } => {
                let key = format!("{HELD_OUT_PREFIX}{node}");
                self.cluster.remove(key.as_str())?;
                Ok(Response::Done)
            }
            Command::AclDeleteToken { accessor } => {
                let tokens = self.acl_tokens()?;
                let Some(token) = tokens.iter().find(|t| &t.info.accessor == accessor) else {
                    return Ok(Response::Rejected(Rejection::TokenNotFound(
                        accessor.clone(),
                    )));
                };
                let managers = tokens
                    .iter()
                    .filter(|t| t.info.role == crate::state::acl::Role::Management)
                    .count();
                if token.info.role == crate::state::acl::Role::Management && managers == 1 {
                    return Ok(Response::Rejected(Rejection::Invalid(
                        "this is the last management token: create another one first (without any, the cluster could be bootstrapped again by anyone)".into(),
                    )));
                }
                let key = format!("{ACL_TOKEN_PREFIX}{accessor}");
                self.cluster.remove(key.as_str())?;
                Ok(Response::Done)
            }
            Command::Acknowledge { executions } => {
                for (job, id) in executions {
                    let Some(key) = execution_key_from_id(job, id) else {
                        continue;
                    };
                    if let Some(mut record) = self.load_job(job)?
                        && record.unacked.remove(&key)
                    {
                        self.store_job(&record)?;
                        if self.collect_events
                            && let Some(execution) = self.load_execution(&key)?
                        {
                            self.events.push(ExecutionEvent {
                                job: record.job,
                                execution,
                                kind: ExecutionEventKind::Started,
                            });
                        }
                    }
                }
                Ok(Response::Done)
            }
        }
    }

    fn set_job(&mut self, submitted: &Job, at: DateTime<Utc>) -> Result<Response, StateError> {
        let mut job = submitted.clone();
        job.id = job.name.clone();
        if !job.parent_job.is_empty() {
            if job.parent_job == job.name {
                return Ok(Response::Rejected(Rejection::Invalid(format!(
                    "parent_job: {}",
                    crate::job::validate::SELF_PARENT
                ))));
            }
            // Walk up from the new parent: meeting this job again would close a cycle.
            let mut cursor = job.parent_job.clone();
            let mut hops = 0;
            loop {
                let Some(parent) = self.load_job(&cursor)? else {
                    if cursor == job.parent_job {
                        return Ok(Response::Rejected(Rejection::ParentNotFound(cursor)));
                    }
                    break;
                };
                if parent.job.parent_job.is_empty() {
                    break;
                }
                if parent.job.parent_job == job.name || hops > 10_000 {
                    return Ok(Response::Rejected(Rejection::Invalid(format!(
                        "parent_job: {:?} would make a cycle through {:?}",
                        job.parent_job, job.name
                    ))));
                }
                cursor = parent.job.parent_job.clone();
                hops += 1;
            }
        }

        let record = match self.load_job(&job.name)? {
            None => JobRecord {
                job: job.clone(),
                anchor: at,
                last_tick: None,
                running: BTreeSet::new(),
                stored_executions: 0,
                unacked: BTreeSet::new(),
                pending: Vec::new(),
                next_pending_id: 0,
                groups: Default::default(),
            },
            Some(old) => {
                // Server-maintained fields survive an update (Dkron keeps them too).
                job.success_count = old.job.success_count;
                job.error_count = old.job.error_count;
                job.last_success = old.job.last_success;
                job.last_error = old.job.last_error;
                job.status = old.job.status.clone();
                job.dependent_jobs = old.job.dependent_jobs.clone();
                let schedule_changed =
                    old.job.schedule != job.schedule || old.job.timezone != job.timezone;
                if old.job.parent_job != job.parent_job && !old.job.parent_job.is_empty() {
                    self.unlink_child(&old.job.parent_job, &job.name)?;
                }
                let resumed = old.job.disabled && !job.disabled;
                let mut record = JobRecord {
                    job: job.clone(),
                    anchor: if schedule_changed { at } else { old.anchor },
                    last_tick: if schedule_changed {
                        None
                    } else {
                        old.last_tick
                    },
                    running: old.running,
                    stored_executions: old.stored_executions,
                    unacked: old.unacked,
                    pending: old.pending,
                    next_pending_id: old.next_pending_id,
                    groups: old.groups,
                };
                if resumed {
                    record.resume_at(at);
                }
                record
            }
        };
        let mut record = record;
        record.job.next = zero_time();
        if !job.parent_job.is_empty()
            && let Some(mut parent) = self.load_job(&job.parent_job)?
            && !parent.job.dependent_jobs.contains(&job.name)
        {
            parent.job.dependent_jobs.push(job.name.clone());
            parent.job.dependent_jobs.sort();
            self.store_job(&parent)?;
        }
        self.store_job(&record)?;
        Ok(Response::Job(Box::new(record.job)))
    }

    fn unlink_child(&mut self, parent: &str, child: &str) -> Result<(), StateError> {
        if let Some(mut p) = self.load_job(parent)? {
            p.job.dependent_jobs.retain(|c| c != child);
            self.store_job(&p)?;
        }
        Ok(())
    }

    fn delete_job(&mut self, name: &str) -> Result<Response, StateError> {
        let Some(record) = self.load_job(name)? else {
            return Ok(Response::Rejected(Rejection::JobNotFound(name.into())));
        };
        if !record.job.dependent_jobs.is_empty() {
            return Ok(Response::Rejected(Rejection::HasDependents {
                name: name.into(),
                children: record.job.dependent_jobs.clone(),
            }));
        }
        if !record.job.parent_job.is_empty() {
            self.unlink_child(&record.job.parent_job, name)?;
        }
        let (from, to) = job_prefix_range(name);
        self.executions
            .retain_in::<&str, _>(from.as_str()..to.as_str(), |_, _| false)?;
        self.jobs.remove(name)?;
        Ok(Response::Job(Box::new(record.job)))
    }

    fn launch(&mut self, launch: &Launch, history_limit: u32) -> Result<LaunchOutcome, StateError> {
        let skip = |reason| {
            Ok(LaunchOutcome::Skipped {
                job: launch.job.clone(),
                reason,
            })
        };
        let Some(mut record) = self.load_job(&launch.job)? else {
            return skip(SkipReason::JobNotFound);
        };
        let at = launch.scheduled_at;
        // A pending run is consumed by its launch; a tick advances the ledger.
        let mut pending = None;
        match launch.kind {
            LaunchKind::Manual => {}
            LaunchKind::Pending { id } => {
                let Some(i) = record.pending.iter().position(|p| p.id == id) else {
                    return skip(SkipReason::AlreadyLaunched);
                };
                pending = Some(record.pending[i].clone());
            }
            LaunchKind::Scheduled | LaunchKind::Missed => {
                if record.last_tick.is_some_and(|last| last >= at) {
                    return skip(SkipReason::AlreadyLaunched);
                }
                // A tick from before the current schedule was set belongs to the old schedule
                // (planned before the change, committed after it): it neither runs nor moves the
                // ledger back, which would let the new schedule's ticks before the change run.
                if at < record.anchor {
                    return skip(SkipReason::NotStarted);
                }
                // The ledger advances even when the tick does not run: it was decided once.
                record.last_tick = Some(at);
            }
        }
        let reason = if matches!(launch.kind, LaunchKind::Manual | LaunchKind::Pending { .. }) {
            None
        } else if record.job.disabled {
            Some(SkipReason::Disabled)
        } else if record.job.starts_at.is_some_and(|s| at < s) {
            Some(SkipReason::NotStarted)
        } else if record.job.expires_at.is_some_and(|e| at > e) {
            Some(SkipReason::Expired)
        } else {
            None
        };
        let reason = reason.or_else(|| {
            (launch.kind != LaunchKind::Missed
                && !launch.force
                && record.job.forbids_overlap()
                && !record.running.is_empty())
            .then_some(SkipReason::StillRunning)
        });
        if let Some(reason) = reason {
            // A pending run refused for overlap stays owed; the leader tries again later.
            self.store_job(&record)?;
            return skip(reason);
        }
        if let Some(p) = &pending {
            record.pending.retain(|q| q.id != p.id);
        }

        let (group, attempt, tick) = match pending.as_ref().map(|p| &p.cause) {
            Some(PendingCause::Retry {
                group,
                scheduled_at,
                attempt,
                ..
            }) => (*group, *attempt, *scheduled_at),
            _ => (instant_nanos(at), 1, at),
        };
        let missed = launch.kind == LaunchKind::Missed;
        // A node name that could not be one (it would end up in keys and file names) is no
        // target: one bad name never costs the batch of launches it came in.
        let targets: Vec<&str> = launch
            .nodes
            .iter()
            .map(String::as_str)
            .filter(|n| crate::config::validate_node_name(n).is_ok())
            .collect();
        let no_target = targets.is_empty() && !missed;
        let nodes: Vec<&str> = if targets.is_empty() {
            vec![""]
        } else {
            targets
        };
        let nanos = instant_nanos(at);
        let mut started = Vec::new();
        let mut missed_execution = None;
        for node in nodes {
            let key = execution_key(&record.job.name, nanos, node);
            if self.executions.get(key.as_str())?.is_some() {
                continue;
            }
            let mut execution = Execution {
                id: execution_id(at, node),
                job_name: record.job.name.clone(),
                started_at: at,
                node_name: node.to_string(),
                group,
                attempt,
                scheduled_at: tick,
                ..Execution::default()
            };
            if missed {
                execution.status = ExecutionStatus::Missed;
                execution.finished_at = at;
                execution.output = "missed: no leader could launch this tick in time".into();
            } else if no_target {
                execution.status = ExecutionStatus::Failed;
                execution.reason = Some(crate::model::NOT_RUN_NO_MATCHING_NODE.into());
                execution.finished_at = at;
                execution.output = format!(
                    "[belfry] not run: {}",
                    launch.no_target.as_deref().unwrap_or("no target node")
                );
                record.job.error_count += 1;
                record.job.last_error = Some(at);
                record.job.status = "failed".into();
            } else {
                record.running.insert(key.clone());
                record.unacked.insert(key.clone());
                self.launched.push(Launched {
                    job: record.job.name.clone(),
                    execution_id: execution.id.clone(),
                    node: node.to_string(),
                });
            }
            self.executions
                .insert(key.as_str(), encode(&execution).as_slice())?;
            record.stored_executions += 1;
            if missed {
                missed_execution = Some(execution);
            } else if !no_target {
                started.push(execution);
            }
        }
        // A retry replaces the owed run it consumed; anything else opens new work.
        let opened = started.len() as u32;
        if pending
            .as_ref()
            .is_some_and(|p| matches!(p.cause, PendingCause::Retry { .. }))
        {
            let tally = record.groups.entry(group).or_default();
            tally.open = tally.open.saturating_sub(1) + opened;
            if no_target {
                tally.failed += 1;
            }
            self.close_group_if_done(&mut record, group, at)?;
        } else if opened > 0 {
            record.groups.entry(group).or_default().open += opened;
        }
        if missed_execution.is_some() {
            self.tally.missed();
        } else if !started.is_empty() || no_target {
            use tally::LaunchLabel;
            self.tally
                .launched(match (&launch.kind, pending.as_ref().map(|p| &p.cause)) {
                    (_, Some(PendingCause::Retry { .. })) => LaunchLabel::Retry,
                    (_, Some(PendingCause::Dependent { .. })) => LaunchLabel::Dependent,
                    (LaunchKind::Manual, None) => LaunchLabel::Manual,
                    _ => LaunchLabel::Scheduled,
                });
        }
        self.prune_history(&mut record, history_limit)?;
        if pending.is_some() {
            self.touched.insert(record.job.name.clone());
        }
        self.store_job(&record)?;
        Ok(match missed_execution {
            Some(e) => LaunchOutcome::Missed(Box::new(e)),
            None if started.is_empty() && !no_target => {
                return skip(SkipReason::AlreadyLaunched);
            }
            None => LaunchOutcome::Started(started),
        })
    }

    /// Drops the oldest finished executions beyond the limit; running ones are never dropped.
    fn prune_history(&mut self, record: &mut JobRecord, limit: u32) -> Result<(), StateError> {
        let limit = limit.max(1);
        if record.stored_executions <= limit {
            return Ok(());
        }
        let mut excess = record.stored_executions - limit;
        let (from, to) = job_prefix_range(&record.job.name);
        let mut doomed = Vec::new();
        for item in self.executions.range(from.as_str()..to.as_str())? {
            if excess == 0 {
                break;
            }
            let (k, _) = item?;
            let key = k.value().to_string();
            if !record.running.contains(&key) {
                doomed.push(key);
                excess -= 1;
            }
        }
        for key in &doomed {
            self.executions.remove(key.as_str())?;
        }
        record.stored_executions -= doomed.len() as u32;
        Ok(())
    }

    fn finish(&mut self, result: &Execution) -> Result<(), StateError> {
        let Some(mut record) = self.load_job(&result.job_name)? else {
            return Ok(());
        };
        let Some(key) = execution_key_from_id(&result.job_name, &result.id) else {
            return Ok(());
        };
        let Some(stored) = self.load_execution(&key)? else {
            return Ok(());
        };
        if !stored.is_running() {
            // A repeated report of an execution already closed changes nothing.
            return Ok(());
        }
        let mut done = result.clone();
        // What the leader recorded stays: a node reports only how the run went.
        done.group = stored.group;
        done.attempt = stored.attempt;
        done.scheduled_at = stored.scheduled_at;
        done.node_name = stored.node_name.clone();
        done.status = if done.success {
            ExecutionStatus::Success
        } else {
            ExecutionStatus::Failed
        };
        self.executions
            .insert(key.as_str(), encode(&done).as_slice())?;
        record.running.remove(&key);
        if record.unacked.remove(&key)
            && done.started_at != stored.started_at
            && self.collect_events
        {
            // The node's result overtook its acknowledgement (a job over within milliseconds,
            // or an acknowledgement lost with a leader change): it ran, so it started, and the
            // start is reported first. Closes by the leader keep the recorded start: never ran.
            self.events.push(ExecutionEvent {
                job: record.job.clone(),
                execution: Execution {
                    started_at: done.started_at,
                    ..stored.clone()
                },
                kind: ExecutionEventKind::Started,
            });
        }
        if done.success {
            record.job.success_count += 1;
            record.job.last_success = Some(done.finished_at);
        } else {
            record.job.error_count += 1;
            record.job.last_error = Some(done.finished_at);
        }
        self.count_day(done.finished_at, done.success)?;
        let group = stored.group;
        let retry = !done.success && done.attempt <= record.job.retries;
        let tally = record.groups.entry(group).or_default();
        tally.open = tally.open.saturating_sub(1);
        if retry {
            tally.open += 1;
            let id = record.next_pending_id;
            record.next_pending_id += 1;
            // Due after the backoff, measured from the later of the failure and the tick, so a
            // node clock running behind cannot make it due at once.
            let base = done.finished_at.max(stored.started_at);
            record.pending.push(PendingRun {
                id,
                due: base + retry_backoff(done.attempt),
                cause: PendingCause::Retry {
                    group,
                    scheduled_at: stored.scheduled_at,
                    attempt: done.attempt + 1,
                    node: stored.node_name.clone(),
                },
            });
            self.touched.insert(record.job.name.clone());
        } else if done.success {
            tally.succeeded += 1;
        } else {
            tally.failed += 1;
        }
        if self.collect_events {
            self.events.push(ExecutionEvent {
                job: record.job.clone(),
                execution: done.clone(),
                kind: ExecutionEventKind::Finished { retrying: retry },
            });
        }
        let at = done.finished_at.max(stored.started_at);
        if self.close_group_if_done(&mut record, group, at)? {
            return Ok(());
        }
        self.store_job(&record)?;
        Ok(())
    }

    /// Swaps the staged snapshot in: every job, execution and counter is replaced; the
    /// cluster's own id and pause flag stay. Runs the snapshot recorded as running are closed
    /// as failed (they belong to the past). Nothing changes unless exactly `rows` are staged.
    fn restore_commit(&mut self, restore_id: u64, rows: u64) -> Result<Response, StateError> {
        let prefix = format!("{restore_id:016x}/");
        let end = format!("{restore_id:016x}0");
        let mut staged = Vec::new();
        for item in self.staging.range(prefix.as_str()..end.as_str())? {
            let (k, v) = item?;
            staged.push((k.value().to_string(), v.value().to_vec()));
        }
        if staged.len() as u64 != rows {
            return Ok(Response::Rejected(Rejection::Invalid(format!(
                "restore incomplete: {} of {rows} rows arrived; nothing was changed",
                staged.len()
            ))));
        }
        // Every row is decoded and checked before the first one replaces anything.
        for (k, v) in &staged {
            let rest = &k[prefix.len()..];
            let checked = match rest.split_once('/') {
                Some((tag, key)) => match tag.parse::<u8>() {
                    Ok(tag) => check_row(tag, key, v),
                    Err(_) => Err(format!("staged row {rest:?} has no table tag")),
                },
                None => Err(format!("staged row {rest:?} has no table tag")),
            };
            if let Err(reason) = checked {
                return Ok(Response::Rejected(Rejection::Invalid(format!(
                    "restore refused, nothing was changed: {reason}"
                ))));
            }
        }
        for item in self.jobs.iter()? {
            let (k, _) = item?;
            self.touched.insert(k.value().to_string());
        }
        let keep_id = self
            .cluster
            .get(KEY_CLUSTER_ID)?
            .map(|v| v.value().to_vec());
        let keep_paused = self.cluster.get(KEY_PAUSED)?.map(|v| v.value().to_vec());
        // The tokens stay as they are: a restore (an operator's right) must not bring back
        // deleted tokens or add ones, which would be a way to a management token.
        let mut keep_acl = Vec::new();
        for item in self.cluster.range("acl/"..ACL_END)? {
            let (k, v) = item?;
            keep_acl.push((k.value().to_string(), v.value().to_vec()));
        }
        self.jobs.retain(|_, _| false)?;
        self.executions.retain(|_, _| false)?;
        self.cluster.retain(|_, _| false)?;
        for (k, v) in &staged {
            let rest = &k[prefix.len()..];
            let Some((tag, key)) = rest.split_once('/') else {
                continue;
            };
            match tag {
                "1" => self.jobs.insert(key, v.as_slice())?,
                "2" => self.executions.insert(key, v.as_slice())?,
                "3" => self.cluster.insert(key, v.as_slice())?,
                _ => None,
            };
        }
        self.cluster
            .retain_in::<&str, _>("acl/"..ACL_END, |_, _| false)?;
        for (k, v) in &keep_acl {
            self.cluster.insert(k.as_str(), v.as_slice())?;
        }
        for (key, value) in [(KEY_CLUSTER_ID, keep_id), (KEY_PAUSED, keep_paused)] {
            match value {
                Some(v) => {
                    self.cluster.insert(key, v.as_slice())?;
                }
                None => {
                    self.cluster.remove(key)?;
                }
            }
        }
        self.staging.retain(|_, _| false)?;
        // What ran when the snapshot was taken is long over.
        let mut names = Vec::new();
        for item in self.jobs.iter()? {
            let (k, _) = item?;
            names.push(k.value().to_string());
        }
        for name in &names {
            let Some(mut record) = self.load_job(name)? else {
                continue;
            };
            for key in std::mem::take(&mut record.running) {
                if let Some(mut e) = self.load_execution(&key)? {
                    e.status = ExecutionStatus::Failed;
                    e.success = false;
                    e.finished_at = e.started_at;
                    e.output.push_str(
                        "[belfry] closed: still running when the restored snapshot was taken",
                    );
                    self.executions
                        .insert(key.as_str(), encode(&e).as_slice())?;
                }
            }
            record.unacked.clear();
            record.groups.clear();
            self.store_job(&record)?;
            self.touched.insert(name.clone());
        }
        Ok(Response::Done)
    }

    /// Counts a finished execution in its UTC day's stats, and drops days past the kept range.
    fn count_day(&mut self, at: DateTime<Utc>, success: bool) -> Result<(), StateError> {
        let key = format!("stats/{}", at.format("%Y-%m-%d"));
        let stored: Option<DayStats> = match self.cluster.get(key.as_str())? {
            Some(v) => Some(decode(v.value())?),
            None => None,
        };
        let mut day = match stored {
            Some(d) => d,
            None => {
                let oldest = format!(
                    "stats/{}",
                    (at - chrono::Duration::days(STATS_DAYS)).format("%Y-%m-%d")
                );
                // A new day: forget the days that fell out of the kept range.
                self.cluster
                    .retain_in::<&str, _>("stats/"..oldest.as_str(), |_, _| false)?;
                DayStats::default()
            }
        };
        if success {
            day.success_count += 1;
        } else {
            day.failed_count += 1;
        }
        self.cluster.insert(key.as_str(), encode(&day).as_slice())?;
        Ok(())
    }

    /// When a group has no open work left, sets the job's status from how its executions
    /// ended and, on success, owes the dependent jobs a run and deletes an ephemeral job.
    /// Returns true if the job was deleted (the record must not be stored again).
    fn close_group_if_done(
        &mut self,
        record: &mut JobRecord,
        group: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, StateError> {
        let Some(tally) = record.groups.get(&group) else {
            return Ok(false);
        };
        if tally.open > 0 {
            return Ok(false);
        }
        let tally = record.groups.remove(&group).unwrap_or_default();
        record.job.status = match (tally.succeeded, tally.failed) {
            (_, 0) => "success",
            (0, _) => "failed",
            _ => "partially_failed",
        }
        .into();
        if tally.failed > 0 {
            return Ok(false);
        }
        for child in record.job.dependent_jobs.clone() {
            if let Some(mut c) = self.load_job(&child)? {
                let id = c.next_pending_id;
                c.next_pending_id += 1;
                c.pending.push(PendingRun {
                    id,
                    due: at,
                    cause: PendingCause::Dependent {
                        parent: record.job.name.clone(),
                    },
                });
                self.touched.insert(child.clone());
                self.store_job(&c)?;
            }
        }
        if record.job.ephemeral && record.job.dependent_jobs.is_empty() && record.running.is_empty()
        {
            self.store_job(record)?;
            self.touched.insert(record.job.name.clone());
            self.delete_job(&record.job.name.clone())?;
            return Ok(true);
        }
        Ok(false)
    }
}

/// Read access to the state (API reads, the scheduler's view).
pub struct Reader {
    jobs: redb::ReadOnlyTable<&'static str, &'static [u8]>,
    executions: redb::ReadOnlyTable<&'static str, &'static [u8]>,
    cluster: redb::ReadOnlyTable<&'static str, &'static [u8]>,
}

impl Reader {
    pub fn new(txn: &redb::ReadTransaction) -> Result<Self, StateError> {
        Ok(Reader {
            jobs: txn.open_table(JOBS)?,
            executions: txn.open_table(EXECUTIONS)?,
            cluster: txn.open_table(CLUSTER)?,
        })
    }

    pub fn job(&self, name: &str) -> Result<Option<JobRecord>, StateError> {
        match self.jobs.get(name)? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    pub fn jobs(&self) -> Result<Vec<JobRecord>, StateError> {
        let mut out = Vec::new();
        for item in self.jobs.iter()? {
            let (_, v) = item?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    /// A job's executions, oldest first.
    pub fn executions(&self, job: &str) -> Result<Vec<Execution>, StateError> {
        let (from, to) = job_prefix_range(job);
        let mut out = Vec::new();
        for item in self.executions.range(from.as_str()..to.as_str())? {
            let (_, v) = item?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    pub fn execution(&self, job: &str, id: &str) -> Result<Option<Execution>, StateError> {
        let Some(key) = execution_key_from_id(job, id) else {
            return Ok(None);
        };
        match self.executions.get(key.as_str())? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// The cluster's id, once its first leader has named it.
    pub fn cluster_id(&self) -> Result<Option<String>, StateError> {
        match self.cluster.get(KEY_CLUSTER_ID)? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// Servers kept out of the Raft configuration, and since when (leader's clock).
    pub fn held_out(&self) -> Result<BTreeMap<String, DateTime<Utc>>, StateError> {
        let mut out = BTreeMap::new();
        for item in self.cluster.range(HELD_OUT_PREFIX..HELD_OUT_END)? {
            let (k, v) = item?;
            let name = k.value()[HELD_OUT_PREFIX.len()..].to_string();
            out.insert(name, decode(v.value())?);
        }
        Ok(out)
    }

    /// Every ACL token (hashes only), by accessor.
    pub fn acl_tokens(&self) -> Result<Vec<crate::state::acl::StoredToken>, StateError> {
        let mut out = Vec::new();
        for item in self.cluster.range(ACL_TOKEN_PREFIX..ACL_END)? {
            let (_, v) = item?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    /// Whether new and changed jobs are refused (`/v1/pause`).
    pub fn paused(&self) -> Result<bool, StateError> {
        match self.cluster.get(KEY_PAUSED)? {
            Some(v) => decode(v.value()),
            None => Ok(false),
        }
    }

    /// One UTC day's finished executions.
    pub fn day_stats(&self, day: chrono::NaiveDate) -> Result<DayStats, StateError> {
        let key = format!("stats/{}", day.format("%Y-%m-%d"));
        match self.cluster.get(key.as_str())? {
            Some(v) => decode(v.value()),
            None => Ok(DayStats::default()),
        }
    }

    /// Every execution still marked running, with whether its node has yet to acknowledge it.
    pub fn open_executions(&self) -> Result<Vec<(Execution, bool)>, StateError> {
        let mut out = Vec::new();
        for record in self.jobs()? {
            for key in &record.running {
                if let Some(v) = self.executions.get(key.as_str())? {
                    out.push((decode(v.value())?, record.unacked.contains(key)));
                }
            }
        }
        Ok(out)
    }

    /// Every execution still marked running, as keys: reads only the job records' running and
    /// unacknowledged sets, not the jobs or the executions (the leader's sweep reads this
    /// every second, with tens of thousands open under load).
    pub fn open_execution_keys(&self) -> Result<Vec<OpenExecution>, StateError> {
        #[derive(Deserialize)]
        struct OpenPart {
            #[serde(default)]
            running: BTreeSet<String>,
            #[serde(default)]
            unacked: BTreeSet<String>,
        }
        let mut out = Vec::new();
        for item in self.jobs.iter()? {
            let (_, v) = item?;
            let part: OpenPart = decode(v.value())?;
            for key in part.running {
                let unacked = part.unacked.contains(&key);
                out.push(OpenExecution { key, unacked });
            }
        }
        Ok(out)
    }

    /// An execution by its storage key (as [`Self::open_execution_keys`] gives it).
    pub fn execution_by_key(&self, key: &str) -> Result<Option<Execution>, StateError> {
        match self.executions.get(key)? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// Every execution still marked running, across all jobs.
    pub fn running(&self) -> Result<Vec<Execution>, StateError> {
        let mut out = Vec::new();
        for record in self.jobs()? {
            for key in &record.running {
                if let Some(v) = self.executions.get(key.as_str())? {
                    out.push(decode(v.value())?);
                }
            }
        }
        Ok(out)
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::SetJob { job, .. } => write!(f, "set-job {}", job.name),
            Command::DeleteJob { name } => write!(f, "delete-job {name}"),
            Command::ToggleJob { name, .. } => write!(f, "toggle-job {name}"),
            Command::Launch { launches, .. } => write!(f, "launch x{}", launches.len()),
            Command::Finish { results } => write!(f, "finish x{}", results.len()),
            Command::Acknowledge { executions } => write!(f, "ack x{}", executions.len()),
            Command::SetPaused { paused } => write!(f, "set-paused {paused}"),
            Command::DeleteExecutions { name } => write!(f, "delete-executions {name}"),
            Command::SetClusterId { id } => write!(f, "set-cluster-id {id}"),
            Command::RestoreChunk { rows, .. } => write!(f, "restore-chunk x{}", rows.len()),
            Command::RestoreCommit { rows, .. } => write!(f, "restore-commit x{rows}"),
            Command::AclBootstrap { token } => write!(f, "acl-bootstrap {}", token.info.accessor),
            Command::AclCreateToken { token } => {
                write!(f, "acl-create-token {}", token.info.accessor)
            }
            Command::AclDeleteToken { accessor } => write!(f, "acl-delete-token {accessor}"),
            Command::HoldOut { node, .. } => write!(f, "hold-out {node}"),
            Command::ReleaseHoldOut { node } => write!(f, "release-hold-out {node}"),
        }
    }
}

#[cfg(test)]
mod applier_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(commands: &[Command]) -> Vec<(ExecutionEventKind, String)> {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        let mut applier = Applier::new(&txn).unwrap();
        for c in commands {
            applier.apply(c).unwrap();
        }
        applier
            .events
            .iter()
            .map(|e| (e.kind, e.execution.id.clone()))
            .collect()
    }

    fn valid_job(name: &str) -> Job {
        Job {
            name: name.into(),
            schedule: "@manually".into(),
            executor: "shell".into(),
            executor_config: [("command".to_string(), "true".to_string())].into(),
            ..Job::default()
        }
    }

    fn job_names(db: &redb::Database) -> Vec<String> {
        use redb::ReadableDatabase;
        let txn = db.begin_read().unwrap();
        let r = Reader::new(&txn).unwrap();
        r.jobs().unwrap().into_iter().map(|j| j.job.name).collect()
    }

    /// A job the API would refuse, however it arrives, is a rejection with the reason: never
    /// stored, never an error (an error would stop Raft).
    #[test]
    fn commands_with_bad_data_are_rejected_not_errors() {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        let mut applier = Applier::new(&txn).unwrap();
        let at = Utc::now();
        let mut traversal = valid_job("../../x");
        traversal
            .processors
            .insert("files".into(), [("forward".into(), "false".into())].into());
        let mut bad_schedule = valid_job("ok");
        bad_schedule.schedule = "every now and then".into();
        let mut bad_executor = valid_job("ok");
        bad_executor.executor = "kafka".into();
        for (job, field) in [
            (traversal, "name"),
            (bad_schedule, "schedule"),
            (bad_executor, "executor"),
        ] {
            let r = applier
                .apply(&Command::SetJob {
                    job: Box::new(job),
                    at,
                })
                .unwrap();
            match r {
                Response::Rejected(Rejection::Invalid(why)) => {
                    assert!(why.starts_with(field), "{why}")
                }
                other => panic!("{other:?}"),
            }
        }
        let r = applier
            .apply(&Command::SetClusterId {
                id: "../../etc".into(),
            })
            .unwrap();
        assert!(matches!(r, Response::Rejected(_)), "{r:?}");
        // A stored row that no longer decodes: the command touching it is rejected.
        applier
            .jobs
            .insert("rotten", b"\x01{\"hello\":1}".as_slice())
            .unwrap();
        let r = applier
            .apply(&Command::ToggleJob {
                name: "rotten".into(),
                at: None,
            })
            .unwrap();
        match r {
            Response::Rejected(Rejection::Invalid(why)) => {
                assert!(why.contains("does not decode"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }

    /// A launch naming a node that could not exist runs on the other nodes: the bad name is no
    /// target, and the batch is not lost.
    #[test]
    fn a_bad_node_name_in_a_launch_is_no_target() {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        let mut applier = Applier::new(&txn).unwrap();
        let at = Utc::now();
        applier
            .apply(&Command::SetJob {
                job: Box::new(valid_job("j")),
                at,
            })
            .unwrap();
        let launch = |nodes: &[&str]| Command::Launch {
            launches: vec![Launch {
                job: "j".into(),
                scheduled_at: at,
                nodes: nodes.iter().map(|n| n.to_string()).collect(),
                kind: LaunchKind::Manual,
                no_target: None,
                force: false,
            }],
            history_limit: 10,
        };
        match applier.apply(&launch(&["good-node", "../../x"])).unwrap() {
            Response::Launched(outcomes) => match &outcomes[0] {
                LaunchOutcome::Started(started) => {
                    assert_eq!(started.len(), 1);
                    assert_eq!(started[0].node_name, "good-node");
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    /// Restored rows are decoded and checked when staged and again before the swap: a bad one
    /// is refused, naming the row, and the state is left as it was.
    #[test]
    fn bad_restored_rows_are_refused_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut applier = Applier::new(&txn).unwrap();
            let set = Command::SetJob {
                job: Box::new(valid_job("keep")),
                at: Utc::now(),
            };
            assert!(matches!(applier.apply(&set).unwrap(), Response::Job(_)));
            let good = encode(&JobRecord {
                job: valid_job("fine"),
                anchor: Utc::now(),
                last_tick: None,
                running: Default::default(),
                stored_executions: 0,
                unacked: Default::default(),
                pending: Vec::new(),
                next_pending_id: 0,
                groups: Default::default(),
            });
            let mut renamed: serde_json::Value = serde_json::from_slice(&good[1..]).unwrap();
            renamed["job"]["name"] = "../../x".into();
            let renamed = [vec![1u8], serde_json::to_vec(&renamed).unwrap()].concat();
            for (rows, needle) in [
                (
                    vec![(1u8, "fine".to_string(), b"\x01{\"a\":1}".to_vec())],
                    "job row \"fine\"",
                ),
                (
                    vec![(1u8, "../../x".to_string(), renamed)],
                    "job row \"../../x\": name",
                ),
                (
                    vec![(1u8, "other".to_string(), good.clone())],
                    "holds a job named",
                ),
                (
                    vec![(9u8, "k".to_string(), good.clone())],
                    "unknown table tag 9",
                ),
                (
                    vec![(3u8, "surprise".to_string(), encode(&1))],
                    "cluster row",
                ),
                (vec![(2u8, "x\0y".to_string(), encode(&1))], "execution row"),
            ] {
                let r = applier
                    .apply(&Command::RestoreChunk {
                        restore_id: 7,
                        first: true,
                        rows,
                    })
                    .unwrap();
                match r {
                    Response::Rejected(Rejection::Invalid(why)) => {
                        assert!(why.contains(needle), "{needle}: {why}")
                    }
                    other => panic!("{needle}: {other:?}"),
                }
            }
            // Staged some other way (an older binary's log): checked again before the swap.
            applier
                .staging
                .insert(
                    format!("{:016x}/1/fine", 8u64).as_str(),
                    b"\x01[]".as_slice(),
                )
                .unwrap();
            let r = applier
                .apply(&Command::RestoreCommit {
                    restore_id: 8,
                    rows: 1,
                })
                .unwrap();
            match r {
                Response::Rejected(Rejection::Invalid(why)) => {
                    assert!(why.contains("nothing was changed"), "{why}")
                }
                other => panic!("{other:?}"),
            }
        }
        txn.commit().unwrap();
        assert_eq!(job_names(&db), vec!["keep"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

        /// Whatever bytes a log entry holds, decoding a command is `Ok` or a clean error, and
        /// a decoded command applies as a response (a rejection at worst), never an error.
        #[test]
        fn commands_from_arbitrary_bytes_never_panic_or_fail(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let _ = decode::<Command>(&bytes);
            let mut with_format = vec![VALUE_FORMAT];
            with_format.extend_from_slice(&bytes);
            if let Ok(command) = decode::<Command>(&with_format) {
                apply_once(&command);
            }
        }

        /// Commands shaped right but holding arbitrary names, ids and rows.
        #[test]
        fn shaped_commands_apply_without_errors(
            name in "\\PC{0,20}",
            tag in proptest::prelude::any::<u8>(),
            value in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100),
            id in proptest::prelude::any::<u64>(),
        ) {
            for command in [
                Command::DeleteJob { name: name.clone() },
                Command::ToggleJob { name: name.clone(), at: None },
                Command::SetClusterId { id: name.clone() },
                Command::DeleteExecutions { name: name.clone() },
                Command::Acknowledge { executions: vec![(name.clone(), name.clone())] },
                Command::RestoreChunk { restore_id: id, first: true, rows: vec![(tag, name.clone(), value.clone())] },
                Command::RestoreCommit { restore_id: id, rows: 1 },
            ] {
                apply_once(&command);
            }
        }
    }

    /// Applies one command to a fresh state holding one job: must not be an error.
    fn apply_once(command: &Command) {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        let mut applier = Applier::new(&txn).unwrap();
        applier
            .apply(&Command::SetJob {
                job: Box::new(valid_job("j")),
                at: Utc::now(),
            })
            .unwrap();
        if let Err(e) = applier.apply(command) {
            panic!("{command:?} failed: {e}");
        }
    }

    #[test]
    fn every_finished_run_reports_its_start_once() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let job = Job {
            name: "j".into(),
            schedule: "@manually".into(),
            executor: "shell".into(),
            executor_config: [("command".to_string(), "true".to_string())].into(),
            ..Job::default()
        };
        let id = execution_id(at, "n");
        let setup = [
            Command::SetJob {
                job: Box::new(job),
                at,
            },
            Command::Launch {
                launches: vec![Launch {
                    job: "j".into(),
                    scheduled_at: at,
                    nodes: vec!["n".into()],
                    kind: LaunchKind::Manual,
                    no_target: None,
                    force: false,
                }],
                history_limit: 10,
            },
        ];
        let result = |started: chrono::Duration| Execution {
            id: id.clone(),
            job_name: "j".into(),
            started_at: at + started,
            finished_at: at + chrono::Duration::milliseconds(20),
            success: true,
            ..Execution::default()
        };
        let ack = Command::Acknowledge {
            executions: vec![("j".into(), id.clone())],
        };
        let finish = |e: Execution| Command::Finish { results: vec![e] };
        let started = (ExecutionEventKind::Started, id.clone());
        let finished = (ExecutionEventKind::Finished { retrying: false }, id.clone());
        let ms = chrono::Duration::milliseconds;

        // In order: started when acknowledged, then finished.
        let mut c = setup.to_vec();
        c.extend([ack.clone(), finish(result(ms(5)))]);
        assert_eq!(applied(&c), vec![started.clone(), finished.clone()]);
        // The result first: the start is still reported, before the end; the late
        // acknowledgement adds nothing.
        let mut c = setup.to_vec();
        c.extend([finish(result(ms(5))), ack]);
        assert_eq!(applied(&c), vec![started, finished.clone()]);
        // Closed by the leader without ever being acknowledged (the recorded start kept):
        // it never ran, so no start.
        let mut c = setup.to_vec();
        c.push(finish(result(ms(0))));
        assert_eq!(applied(&c), vec![finished]);
    }

    /// Resuming a paused job (toggle, or an update that clears `disabled`) moves its tick
    /// ledger to the resume instant: the ticks it skipped while paused are not missed ones,
    /// and a late `missed` launch for one of them records nothing.
    #[test]
    fn ticks_skipped_while_paused_are_not_recorded_as_missed() {
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let s = chrono::Duration::seconds;
        let job = Job {
            name: "j".into(),
            schedule: "@every 1s".into(),
            executor: "shell".into(),
            executor_config: [("command".to_string(), "true".to_string())].into(),
            ..Job::default()
        };
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        let mut applier = Applier::new(&txn).unwrap();
        let toggle = |at| Command::ToggleJob {
            name: "j".into(),
            at: Some(at),
        };
        applier
            .apply(&Command::SetJob {
                job: Box::new(job.clone()),
                at: t0,
            })
            .unwrap();
        applier.apply(&toggle(t0 + s(1))).unwrap();
        applier.apply(&toggle(t0 + s(60))).unwrap();
        let record = applier.load_job("j").unwrap().unwrap();
        assert!(!record.job.disabled);
        assert_eq!(record.cursor(), t0 + s(60));
        let missed = Command::Launch {
            launches: vec![Launch {
                job: "j".into(),
                scheduled_at: t0 + s(30),
                nodes: vec![],
                kind: LaunchKind::Missed,
                no_target: None,
                force: false,
            }],
            history_limit: 10,
        };
        assert!(matches!(
            applier.apply(&missed).unwrap(),
            Response::Launched(o) if matches!(o[..], [LaunchOutcome::Skipped { .. }])
        ));
        assert_eq!(applier.load_job("j").unwrap().unwrap().stored_executions, 0);

        // Paused and resumed by updates: the same.
        let paused = Job {
            disabled: true,
            ..job.clone()
        };
        for (job, at) in [(paused, t0 + s(70)), (job, t0 + s(200))] {
            applier
                .apply(&Command::SetJob {
                    job: Box::new(job),
                    at,
                })
                .unwrap();
        }
        assert_eq!(
            applier.load_job("j").unwrap().unwrap().cursor(),
            t0 + s(200)
        );
    }

    fn token(accessor: &str, role: crate::state::acl::Role) -> crate::state::acl::StoredToken {
        crate::state::acl::StoredToken {
            info: crate::state::acl::TokenInfo {
                accessor: accessor.into(),
                description: String::new(),
                role,
                scope: Default::default(),
                created_at: Utc::now(),
            },
            secret_hash: crate::state::acl::hash_secret(accessor),
        }
    }

    #[test]
    fn acl_bootstrap_is_once_the_last_manager_stays_and_a_restore_keeps_the_tokens() {
        use crate::state::acl::Role;
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        let mut a = Applier::new(&txn).unwrap();
        let boot = |t| Command::AclBootstrap { token: t };
        assert_eq!(
            a.apply(&boot(token("m1", Role::Management))).unwrap(),
            Response::Done
        );
        assert_eq!(
            a.apply(&boot(token("m2", Role::Management))).unwrap(),
            Response::Rejected(Rejection::AclBootstrapped)
        );
        let delete = |acc: &str| Command::AclDeleteToken {
            accessor: acc.into(),
        };
        assert!(matches!(
            a.apply(&delete("m1")).unwrap(),
            Response::Rejected(Rejection::Invalid(_))
        ));
        assert_eq!(
            a.apply(&delete("nope")).unwrap(),
            Response::Rejected(Rejection::TokenNotFound("nope".into()))
        );
        a.apply(&Command::AclCreateToken {
            token: token("ro", Role::ReadOnly),
        })
        .unwrap();
        // A snapshot carrying a token of its own: restored, it must not add it.
        let evil = token("evil", Role::Management);
        a.apply(&Command::RestoreChunk {
            restore_id: 7,
            first: true,
            rows: vec![(3, format!("{ACL_TOKEN_PREFIX}evil"), encode(&evil))],
        })
        .unwrap();
        assert_eq!(
            a.apply(&Command::RestoreCommit {
                restore_id: 7,
                rows: 1
            })
            .unwrap(),
            Response::Done
        );
        let accessors: Vec<String> = a
            .acl_tokens()
            .unwrap()
            .into_iter()
            .map(|t| t.info.accessor)
            .collect();
        assert_eq!(accessors, vec!["m1".to_string(), "ro".to_string()]);
        assert_eq!(a.apply(&delete("ro")).unwrap(), Response::Done);
        assert_eq!(a.acl_tokens().unwrap().len(), 1);
    }

    #[test]
    fn the_hold_out_list_is_replicated_state_and_a_bad_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 2, 3, 4, 5).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut a = Applier::new(&txn).unwrap();
            for node in ["s1", "s2"] {
                let hold = Command::HoldOut {
                    node: node.into(),
                    at,
                };
                assert_eq!(check_command(&hold), Ok(()));
                assert_eq!(a.apply(&hold).unwrap(), Response::Done);
            }
            let release = Command::ReleaseHoldOut { node: "s1".into() };
            assert_eq!(a.apply(&release).unwrap(), Response::Done);
            // Releasing twice is no error (two leaders may both release).
            assert_eq!(a.apply(&release).unwrap(), Response::Done);
        }
        txn.commit().unwrap();
        let read = redb::ReadableDatabase::begin_read(&db).unwrap();
        let held = Reader::new(&read).unwrap().held_out().unwrap();
        assert_eq!(held, BTreeMap::from([("s2".to_string(), at)]));
        // A name that is not a node name never becomes a row key.
        let bad = Command::HoldOut {
            node: "../../x\0".into(),
            at,
        };
        assert!(matches!(check_command(&bad), Err(Rejection::Invalid(_))));
        // Rows in a restored snapshot are checked the same way.
        assert!(check_row(3, "held-out/s2", &encode(&at)).is_ok());
        assert!(check_row(3, "held-out/s2", b"not a time").is_err());
        assert!(check_row(3, "held-out/", &encode(&at)).is_err());
    }
}
