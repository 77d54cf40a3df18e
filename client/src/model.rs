//! The replicated data model as clients see it: Dkron's job and execution JSON, field for field,
//! plus the few fields Belfry adds. These types are what the REST API speaks, what the state
//! machine stores and what the typed client returns, so a job fetched with GET is accepted back
//! by POST unchanged.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// Go's zero `time.Time`, which Dkron prints for "never" in non-nullable time fields.
pub fn zero_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
        .single()
        .expect("valid constant")
}

pub fn is_zero_time(t: &DateTime<Utc>) -> bool {
    *t == zero_time()
}

/// Deserialises `null` as the type's default, as Go's JSON decoder does for maps and slices.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Accepts RFC 3339 or the HTML `datetime-local` form `2006-01-02T15:04` (Dkron's NullableTime),
/// and `null` or an empty string for "unset".
fn nullable_time<'de, D>(d: D) -> Result<Option<DateTime<Utc>>, D::Error>
where
    D: Deserializer<'de>,
{
    let Some(text) = Option::<String>::deserialize(d)? else {
        return Ok(None);
    };
    if text.is_empty() {
        return Ok(None);
    }
    parse_time(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn lenient_time<'de, D>(d: D) -> Result<DateTime<Utc>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(nullable_time(d)?.unwrap_or_else(zero_time))
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .map(|n| n.and_utc())
        .map_err(|_| format!("invalid time {text:?}: expected RFC 3339"))
}

/// A job, in Dkron's JSON shape (`dkron/job.go`).
///
/// `null` in any field means the field's default, as Go's JSON decoder treats it (Dkron's web
/// UI sends `null` for every empty form field): the `Deserialize` impl below drops `null`
/// members before the derived decoder runs, so every field, present or future, is covered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// `remote = "Self"` turns the derives into inherent `Job::serialize`/`Job::deserialize`
// functions, which the trait impls below wrap.
#[serde(default, remote = "Self")]
pub struct Job {
    pub id: String,
    pub name: String,
    pub displayname: String,
    pub schedule: String,
    pub timezone: String,
    pub owner: String,
    pub owner_email: String,
    pub success_count: u64,
    pub error_count: u64,
    #[serde(deserialize_with = "nullable_time")]
    pub last_success: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "nullable_time")]
    pub last_error: Option<DateTime<Utc>>,
    pub disabled: bool,
    #[serde(deserialize_with = "null_as_default")]
    pub tags: BTreeMap<String, String>,
    #[serde(deserialize_with = "null_as_default")]
    pub metadata: BTreeMap<String, String>,
    pub retries: u32,
    #[serde(deserialize_with = "null_as_default")]
    pub dependent_jobs: Vec<String>,
    pub parent_job: String,
    #[serde(deserialize_with = "null_as_default")]
    pub processors: BTreeMap<String, BTreeMap<String, String>>,
    pub concurrency: String,
    pub executor: String,
    #[serde(deserialize_with = "null_as_default")]
    pub executor_config: BTreeMap<String, String>,
    pub status: String,
    #[serde(deserialize_with = "lenient_time")]
    pub next: DateTime<Utc>,
    pub ephemeral: bool,
    #[serde(deserialize_with = "nullable_time")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "nullable_time")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Belfry: where a retry runs, `"same"` node (the default, as in Dkron) or `"any"`
    /// matching node.
    pub retry_on: String,
    /// Belfry: what happens to ticks that came due while nothing could launch them:
    /// `"last"` (default: the newest runs if younger than `catchup_window`), `"none"`, `"all"`.
    /// Ticks not run are recorded as `missed` executions.
    pub catchup: String,
    /// Belfry: how late a tick may still be caught up (Go duration; default `60s`).
    pub catchup_window: String,
}

impl Serialize for Job {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Job::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut fields = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        fields.retain(|_, value| !value.is_null());
        Job::deserialize(serde_json::Value::Object(fields)).map_err(serde::de::Error::custom)
    }
}

/// A [`Job`] as Belfry itself writes it, for its own records (the state machine, the dispatch
/// RPC, an agent's work ledger): decoded in one pass. Use with `#[serde(with = ...)]`.
///
/// The client-facing `Deserialize` first reads the object into a map to drop `null` members
/// (Dkron's web UI sends them), which costs an allocation per field and a second pass: a
/// server decoded a stored job three times per launch that way (docs/benchmarks.md). Belfry's
/// own encoding never writes `null` but in the optional time fields, whose decoders take it.
pub mod stored_job {
    use super::Job;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(job: &Job, s: S) -> Result<S::Ok, S::Error> {
        Job::serialize(job, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Job, D::Error> {
        Job::deserialize(d)
    }
}

impl Default for Job {
    fn default() -> Self {
        Job {
            id: String::new(),
            name: String::new(),
            displayname: String::new(),
            schedule: String::new(),
            timezone: String::new(),
            owner: String::new(),
            owner_email: String::new(),
            success_count: 0,
            error_count: 0,
            last_success: None,
            last_error: None,
            disabled: false,
            tags: BTreeMap::new(),
            metadata: BTreeMap::new(),
            retries: 0,
            dependent_jobs: Vec::new(),
            parent_job: String::new(),
            processors: BTreeMap::new(),
            concurrency: CONCURRENCY_ALLOW.into(),
            executor: String::new(),
            executor_config: BTreeMap::new(),
            status: String::new(),
            next: zero_time(),
            ephemeral: false,
            starts_at: None,
            expires_at: None,
            retry_on: String::new(),
            catchup: String::new(),
            catchup_window: String::new(),
        }
    }
}

pub const CONCURRENCY_ALLOW: &str = "allow";
pub const CONCURRENCY_FORBID: &str = "forbid";

/// Default `catchup_window`.
pub const DEFAULT_CATCHUP_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// A job's catch-up policy (`catchup`), see [`Job::catchup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catchup {
    Last,
    None,
    All,
}

impl Job {
    pub fn forbids_overlap(&self) -> bool {
        self.concurrency == CONCURRENCY_FORBID
    }

    /// `retry_on: "any"`: a retry may run on another matching node.
    pub fn retries_anywhere(&self) -> bool {
        self.retry_on == "any"
    }

    pub fn catchup_policy(&self) -> Result<Catchup, String> {
        match self.catchup.as_str() {
            "" | "last" => Ok(Catchup::Last),
            "none" => Ok(Catchup::None),
            "all" => Ok(Catchup::All),
            other => Err(format!("{other:?} is not \"last\", \"none\" or \"all\"")),
        }
    }

    pub fn catchup_window(&self) -> Result<std::time::Duration, String> {
        if self.catchup_window.is_empty() {
            return Ok(DEFAULT_CATCHUP_WINDOW);
        }
        crate::duration::parse_go_duration(&self.catchup_window)
    }
}

/// Where an execution stands. Dkron encodes this implicitly (zero `finished_at` = running);
/// Belfry also states it, and adds `missed` for ticks that were recorded but not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionStatus {
    #[default]
    Running,
    Success,
    Failed,
    Missed,
}

/// One run of a job on one node (`dkron/execution.go`), plus Belfry's `scheduled_at`,
/// `exit_code` and `status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Execution {
    pub id: String,
    pub job_name: String,
    #[serde(deserialize_with = "lenient_time")]
    pub started_at: DateTime<Utc>,
    /// Go's zero time while the execution runs, as in Dkron.
    #[serde(deserialize_with = "lenient_time")]
    pub finished_at: DateTime<Utc>,
    pub success: bool,
    pub output: String,
    pub node_name: String,
    pub group: i64,
    pub attempt: u32,
    pub output_truncated: bool,
    /// The tick this execution was launched for (the manual-run instant for manual runs).
    #[serde(deserialize_with = "lenient_time")]
    pub scheduled_at: DateTime<Utc>,
    pub exit_code: Option<i32>,
    pub status: ExecutionStatus,
    /// Why the execution never ran, when it did not: [`NOT_RUN_NO_MATCHING_NODE`] for a tick
    /// no alive node matched (status `failed`, empty `node_name`), so clients can tell it from
    /// a run that failed. Absent for every execution that ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// [`Execution::reason`] of a tick that no alive node matched (tags, region).
pub const NOT_RUN_NO_MATCHING_NODE: &str = "no_matching_node";

impl Default for Execution {
    fn default() -> Self {
        Execution {
            id: String::new(),
            job_name: String::new(),
            started_at: zero_time(),
            finished_at: zero_time(),
            success: false,
            output: String::new(),
            node_name: String::new(),
            group: 0,
            attempt: 1,
            output_truncated: false,
            scheduled_at: zero_time(),
            exit_code: None,
            status: ExecutionStatus::Running,
            reason: None,
        }
    }
}

impl Execution {
    pub fn is_running(&self) -> bool {
        self.status == ExecutionStatus::Running
    }
}

/// Builds the execution id Dkron clients expect: `<nanoseconds>-<node>`.
pub fn execution_id(instant: DateTime<Utc>, node: &str) -> String {
    format!("{}-{}", instant_nanos(instant), node)
}

pub fn instant_nanos(instant: DateTime<Utc>) -> i64 {
    instant.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// The tags every member carries besides its own (`cluster::membership::member_of` adds them), and `backlog`
/// (set by Belfry while launches wait for a slot there): shown in columns of their own, not
/// among a node's tags.
pub const RESERVED_MEMBER_TAGS: [&str; 10] = [
    "role",
    "dc",
    "region",
    "version",
    "server",
    "expect",
    "rpc_addr",
    "http_addr",
    "port",
    "backlog",
];

/// A node as `/v1/members` shows it: serf's Member shape, as Dkron prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Addr")]
    pub addr: String,
    #[serde(rename = "Port")]
    pub port: u16,
    #[serde(rename = "Tags")]
    pub tags: BTreeMap<String, String>,
    #[serde(rename = "Status")]
    pub status: i32,
    #[serde(rename = "ProtocolMin")]
    pub protocol_min: u8,
    #[serde(rename = "ProtocolMax")]
    pub protocol_max: u8,
    #[serde(rename = "ProtocolCur")]
    pub protocol_cur: u8,
    #[serde(rename = "DelegateMin")]
    pub delegate_min: u8,
    #[serde(rename = "DelegateMax")]
    pub delegate_max: u8,
    #[serde(rename = "DelegateCur")]
    pub delegate_cur: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(
        rename = "statusText",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub status_text: Option<String>,
}

/// One Raft server as `GET /v1/operator/raft/peers` lists it (Consul's `list-peers` columns).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaftPeer {
    pub node: String,
    /// Raft node id, hex.
    pub id: String,
    pub address: String,
    /// `leader`, `follower` or `learner`.
    pub state: String,
    pub voter: bool,
    /// The newest log index known to be replicated to this server (leader's view).
    pub match_index: Option<u64>,
    /// How many entries this server is behind the leader's log (leader's view).
    pub lag: Option<u64>,
}

/// `GET /v1/operator/raft/peers`: the Raft configuration as this node sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaftPeers {
    pub term: u64,
    pub commit_index: Option<u64>,
    pub last_log_index: Option<u64>,
    pub servers: Vec<RaftPeer>,
}

/// One server in `GET /v1/operator/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerHealth {
    pub node: String,
    pub id: String,
    pub leader: bool,
    pub voter: bool,
    /// Alive in gossip.
    pub alive: bool,
    /// Since the leader last heard from it (the leader itself: 0).
    pub last_contact_ms: Option<u64>,
    /// Entries behind the leader's log.
    pub log_lag: Option<u64>,
    /// When it entered its current gossip status.
    pub stable_since: Option<DateTime<Utc>>,
    /// Alive, heard from within 200 ms and at most 250 entries behind (Consul's autopilot).
    pub healthy: bool,
    /// This server's wall clock minus the median of the voters' clocks, in milliseconds, as
    /// measured by round-trip timed probes; `None` until measured.
    #[serde(default)]
    pub clock_offset_ms: Option<i64>,
}

/// `GET /v1/operator/health`: can the cluster take a failure now?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterHealth {
    pub healthy: bool,
    pub leader: Option<String>,
    pub voters: usize,
    pub healthy_voters: usize,
    pub quorum: usize,
    /// Healthy voters beyond the quorum: how many more may fail.
    pub failure_tolerance: usize,
    /// Leader changes this node saw in the last hour.
    pub elections_last_hour: usize,
    pub servers: Vec<ServerHealth>,
    pub warnings: Vec<String>,
    /// The Raft term of the answering node (the leader's when there is one).
    #[serde(default)]
    pub term: Option<u64>,
    /// When the answering node saw the current leader take over.
    #[serde(default)]
    pub leader_since: Option<DateTime<Utc>>,
    /// The bound on a server's clock offset (`--max-clock-offset`), in milliseconds.
    #[serde(default)]
    pub max_clock_offset_ms: Option<u64>,
    /// Launches accepted but waiting for an execution slot, per node name (nodes with none
    /// are left out).
    #[serde(default)]
    pub launch_backlog: BTreeMap<String, u64>,
}

/// The guide's deployment table: quorum and failure tolerance for `voters` servers.
pub fn deployment(voters: usize) -> (usize, usize) {
    let quorum = voters / 2 + 1;
    (quorum, voters.saturating_sub(quorum))
}

/// `GET /v1`: the node's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    pub agent: AgentInfo,
    pub serf: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub name: String,
    pub version: String,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_accepts_dkron_example_and_round_trips() {
        let body = r#"{"name":"job1","schedule":"@every 10s","timezone":"Europe/Berlin","owner":"Platform Team",
 "owner_email":"platform@example.com","disabled":false,"tags":{"server":"true:1"},
 "metadata":{"user":"12345"},"concurrency":"allow","retries":2,
 "executor":"shell","executor_config":{"command":"echo hi","shell":"true"},
 "processors":{"log":{"forward":"true"}}, "dependent_jobs": null, "last_success": null,
 "next": "0001-01-01T00:00:00Z", "starts_at": "2024-01-01T09:30"}"#;
        let job: Job = serde_json::from_str(body).unwrap();
        assert_eq!(job.retries, 2);
        assert!(job.dependent_jobs.is_empty());
        assert!(is_zero_time(&job.next));
        assert_eq!(
            job.starts_at.unwrap().to_rfc3339(),
            "2024-01-01T09:30:00+00:00"
        );
        let again: Job = serde_json::from_str(&serde_json::to_string(&job).unwrap()).unwrap();
        assert_eq!(job, again);
    }

    #[test]
    fn the_stored_form_decodes_what_belfry_writes_in_one_pass() {
        #[derive(Serialize, Deserialize)]
        struct Stored {
            #[serde(with = "stored_job")]
            job: Job,
        }
        let full: Job = serde_json::from_str(
            r#"{"name":"job1","schedule":"@every 10s","tags":{"a":"b:1"},"retries":2,
            "dependent_jobs":["c"],"processors":{"log":{"forward":"true"}},
            "executor":"shell","executor_config":{"command":"true"},
            "last_success":"2026-12-01T10:00:00Z","starts_at":"2024-01-01T09:30"}"#,
        )
        .unwrap();
        for job in [Job::default(), full] {
            let bytes = serde_json::to_vec(&Stored { job: job.clone() }).unwrap();
            let stored: Stored = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(stored.job, job);
            // The same bytes through the client-facing decoder give the same job.
            let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let lenient: Job = serde_json::from_value(value["job"].clone()).unwrap();
            assert_eq!(lenient, job);
        }
        // Not for outside input: a `null` where Belfry never writes one is refused.
        let err =
            serde_json::from_str::<Stored>(r#"{"job":{"name":"a","tags":null,"retries":null}}"#)
                .err()
                .expect("null retries refused");
        assert!(err.to_string().contains("null"), "{err}");
    }

    #[test]
    fn the_guides_deployment_table() {
        let table: Vec<(usize, usize)> = (1..=7).map(deployment).collect();
        assert_eq!(
            table,
            vec![(1, 0), (2, 0), (2, 1), (3, 1), (3, 2), (4, 2), (4, 3)]
        );
    }

    #[test]
    fn numbers_in_executor_config_are_refused() {
        let err = serde_json::from_str::<Job>(r#"{"name":"a","executor_config":{"timeout":30}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("expected a string"), "{err}");
    }
}
