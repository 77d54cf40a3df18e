//! Agent configuration: Dkron's flags and config keys, resolved flag > env > file > default.
//! Each setting is defined once, in [`settings::SETTINGS`]; this module holds the layers they
//! fill and the rules that resolve and check them. It sits low: it uses the model and plain
//! values only, and the layers that act on a setting (discovery, notifications) check their
//! own rules on the resolved values (`crate::agent::check_config`).
//!
//! The CLI parses flags and `BELFRY_*` variables into a [`ConfigLayer`]; a YAML file (keys are
//! the flag names, so an existing `dkron.yml` reads as it is) becomes another layer; [`resolve`]
//! lays one over the other, fills defaults and validates everything before the agent starts.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::duration::parse_go_duration;

pub mod settings;

pub const DEFAULT_GOSSIP_PORT: u16 = 8946;
pub const DEFAULT_RPC_PORT: u16 = 6868;
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "belfry.data";
/// How many bytes of output Belfry keeps per execution unless configured otherwise.
pub const DEFAULT_OUTPUT_LIMIT: usize = 64 * 1024;
/// Executions kept per job unless a launch says otherwise (Dkron keeps 100).
pub const DEFAULT_HISTORY_LIMIT: u32 = 100;
/// How far an internal RPC call's timestamp may be from the receiver's clock (the RPC keeps
/// nonces this long); `--max-clock-offset` must stay under it, or nodes could not talk at all.
pub const MAX_CALL_SKEW_SECS: u64 = 60;
/// Largest snapshot an online restore accepts unless `--restore-limit` says otherwise.
pub const DEFAULT_RESTORE_LIMIT: u64 = 1 << 30;
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// `--job-nice`: job processes start this much below normal priority, so Raft, gossip and RPC
/// keep their deadlines when jobs saturate the CPU (docs/operating.md, "Job priority").
pub const DEFAULT_JOB_NICE: i32 = 10;

/// `--raft-multiplier`'s default. At 1 (50 ms heartbeats, 150-200 ms election timeouts) a
/// follower stands after 350-400 ms of silence and failover takes about 0.4 s, but on a machine
/// whose cores are saturated by jobs the servers' own threads wait that long for a core, and
/// leadership moved eight times in 90 s under 1,000 launches a second on two cores; at 2 it
/// moved at most once, at 3 never (docs/benchmarks.md). 2 fails over in about 0.7 s.
pub const DEFAULT_RAFT_MULTIPLIER: u32 = 2;

/// `--job-cgroup`: what the operator asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum JobCgroupSetting {
    /// A cgroup where the host allows one (see the module's documentation).
    #[default]
    Auto,
    /// Jobs stay in the node's cgroup.
    Off,
    /// A cgroup the operator prepared (its directory under the cgroup filesystem).
    Path(PathBuf),
}

impl JobCgroupSetting {
    /// Reads `auto`, `off` or an absolute path.
    pub fn parse(text: &str) -> Result<JobCgroupSetting, String> {
        match text {
            "auto" => Ok(JobCgroupSetting::Auto),
            "off" => Ok(JobCgroupSetting::Off),
            path if path.starts_with('/') => Ok(JobCgroupSetting::Path(PathBuf::from(path))),
            other => Err(format!(
                "{other:?} is not `auto`, `off` or an absolute path of a cgroup directory"
            )),
        }
    }

    /// As `config check` and the docs show it.
    pub fn shown(&self) -> String {
        match self {
            JobCgroupSetting::Auto => "auto".into(),
            JobCgroupSetting::Off => "off".into(),
            JobCgroupSetting::Path(p) => p.display().to_string(),
        }
    }
}

/// `--max-parallel`'s default: 4 job processes per CPU core, at least 4. Most jobs wait on I/O;
/// more than this at once on one node only slows each and starves the control plane.
pub fn default_max_parallel() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (4 * cores).max(4)
}
/// `--max-clock-offset`: CockroachDB's default is 500 ms too.
pub const DEFAULT_MAX_CLOCK_OFFSET: Duration = Duration::from_millis(500);

/// A config problem, named by the flag or key at fault. The CLI prints it and exits 2.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("config file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("config file {path}: unknown key {key:?}")]
    UnknownKey { path: String, key: String },
    #[error("{key}: {reason}")]
    Value { key: String, reason: String },
}

/// `log-format` values.
pub const LOG_FORMAT_TEXT: &str = "text";
pub const LOG_FORMAT_JSON: &str = "json";

fn value_err(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        key: key.into(),
        reason: reason.into(),
    }
}

/// One source of settings: every field optional, so layers can be stacked. Its `Debug` hides
/// the cluster key.
#[derive(Clone, Default, PartialEq)]
pub struct ConfigLayer {
    pub server: Option<bool>,
    pub bootstrap_expect: Option<u32>,
    pub node_name: Option<String>,
    pub bind: Option<String>,
    pub advertise: Option<String>,
    pub http_addr: Option<String>,
    pub rpc_port: Option<u16>,
    pub data_dir: Option<PathBuf>,
    /// `k=v` pairs from flags; a file gives a map. Any tag from a layer replaces the lower
    /// layer's whole set, as in Dkron.
    pub tags: Option<BTreeMap<String, String>>,
    pub region: Option<String>,
    pub datacenter: Option<String>,
    pub log_level: Option<String>,
    pub log_format: Option<String>,
    pub output_limit: Option<usize>,
    pub history_limit: Option<u32>,
    pub restore_limit: Option<u64>,
    pub shutdown_grace: Option<String>,
    pub job_nice: Option<i32>,
    pub max_parallel: Option<usize>,
    pub job_cgroup: Option<String>,
    pub join: Option<Vec<String>>,
    pub retry_join: Option<Vec<String>>,
    pub retry_interval: Option<String>,
    pub retry_max: Option<u32>,
    pub encrypt: Option<String>,
    pub dead_server_timeout: Option<String>,
    pub max_clock_offset: Option<String>,
    pub raft_multiplier: Option<u32>,
    pub acl_enabled: Option<bool>,
    pub audit_log: Option<PathBuf>,
    pub metrics_addr: Option<String>,
    /// `mail-*`, `webhook-*` and `pre-webhook-*`.
    pub notify: NotifyLayer,
    /// TLS, browser safety, connection limits and executor hardening.
    pub security: SecurityLayer,
}

impl ConfigLayer {
    /// `self` wins wherever it has a value.
    pub fn over(self, lower: ConfigLayer) -> ConfigLayer {
        ConfigLayer {
            server: self.server.or(lower.server),
            bootstrap_expect: self.bootstrap_expect.or(lower.bootstrap_expect),
            node_name: self.node_name.or(lower.node_name),
            bind: self.bind.or(lower.bind),
            advertise: self.advertise.or(lower.advertise),
            http_addr: self.http_addr.or(lower.http_addr),
            rpc_port: self.rpc_port.or(lower.rpc_port),
            data_dir: self.data_dir.or(lower.data_dir),
            tags: self.tags.or(lower.tags),
            region: self.region.or(lower.region),
            datacenter: self.datacenter.or(lower.datacenter),
            log_level: self.log_level.or(lower.log_level),
            log_format: self.log_format.or(lower.log_format),
            output_limit: self.output_limit.or(lower.output_limit),
            history_limit: self.history_limit.or(lower.history_limit),
            restore_limit: self.restore_limit.or(lower.restore_limit),
            shutdown_grace: self.shutdown_grace.or(lower.shutdown_grace),
            job_nice: self.job_nice.or(lower.job_nice),
            max_parallel: self.max_parallel.or(lower.max_parallel),
            job_cgroup: self.job_cgroup.or(lower.job_cgroup),
            join: self.join.or(lower.join),
            retry_join: self.retry_join.or(lower.retry_join),
            retry_interval: self.retry_interval.or(lower.retry_interval),
            retry_max: self.retry_max.or(lower.retry_max),
            encrypt: self.encrypt.or(lower.encrypt),
            dead_server_timeout: self.dead_server_timeout.or(lower.dead_server_timeout),
            max_clock_offset: self.max_clock_offset.or(lower.max_clock_offset),
            raft_multiplier: self.raft_multiplier.or(lower.raft_multiplier),
            acl_enabled: self.acl_enabled.or(lower.acl_enabled),
            audit_log: self.audit_log.or(lower.audit_log),
            metrics_addr: self.metrics_addr.or(lower.metrics_addr),
            notify: self.notify.over(lower.notify),
            security: self.security.over(lower.security),
        }
    }
}

/// Dkron's mail subject prefix, kept so existing mail filters go on matching.
pub const DEFAULT_MAIL_SUBJECT_PREFIX: &str = "[Dkron]";
/// The mail body when `mail-payload` is not set: the output, as Dkron sends it.
pub const DEFAULT_MAIL_PAYLOAD: &str = "{{.Output}}";
/// A webhook's payload when its `*-payload` is not set (Dkron sends no webhook then).
pub const DEFAULT_WEBHOOK_PAYLOAD: &str = "{{.Report}}";

/// The notification settings of one config source (flags, environment or file), every one
/// optional so sources can be stacked. Its `Debug` hides the password.
#[derive(Clone, Default, PartialEq)]
pub struct NotifyLayer {
    pub mail_host: Option<String>,
    pub mail_port: Option<u64>,
    pub mail_username: Option<String>,
    pub mail_password: Option<String>,
    pub mail_from: Option<String>,
    pub mail_payload: Option<String>,
    pub mail_subject_prefix: Option<String>,
    pub pre_webhook_endpoint: Option<String>,
    pub pre_webhook_payload: Option<String>,
    pub pre_webhook_headers: Option<Vec<String>>,
    pub webhook_endpoint: Option<String>,
    pub webhook_payload: Option<String>,
    pub webhook_headers: Option<Vec<String>>,
}

/// `Name: value` headers as their names only, for `Debug`.
fn header_names(headers: &[String]) -> Vec<&str> {
    headers
        .iter()
        .map(|h| {
            h.split_once(':')
                .map(|(n, _)| n.trim())
                .unwrap_or("<malformed>")
        })
        .collect()
}

impl std::fmt::Debug for NotifyLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyLayer")
            .field("mail_host", &self.mail_host)
            .field("mail_port", &self.mail_port)
            .field("mail_username", &self.mail_username)
            .field(
                "mail_password",
                &self.mail_password.as_ref().map(|_| "<hidden>"),
            )
            .field("mail_from", &self.mail_from)
            .field("mail_payload", &self.mail_payload)
            .field("mail_subject_prefix", &self.mail_subject_prefix)
            .field("pre_webhook_endpoint", &self.pre_webhook_endpoint)
            .field("pre_webhook_payload", &self.pre_webhook_payload)
            .field(
                "pre_webhook_headers",
                &self.pre_webhook_headers.as_ref().map(|h| header_names(h)),
            )
            .field("webhook_endpoint", &self.webhook_endpoint)
            .field("webhook_payload", &self.webhook_payload)
            .field(
                "webhook_headers",
                &self.webhook_headers.as_ref().map(|h| header_names(h)),
            )
            .finish()
    }
}

impl NotifyLayer {
    /// `self` wins wherever it has a value.
    pub fn over(self, lower: NotifyLayer) -> NotifyLayer {
        NotifyLayer {
            mail_host: self.mail_host.or(lower.mail_host),
            mail_port: self.mail_port.or(lower.mail_port),
            mail_username: self.mail_username.or(lower.mail_username),
            mail_password: self.mail_password.or(lower.mail_password),
            mail_from: self.mail_from.or(lower.mail_from),
            mail_payload: self.mail_payload.or(lower.mail_payload),
            mail_subject_prefix: self.mail_subject_prefix.or(lower.mail_subject_prefix),
            pre_webhook_endpoint: self.pre_webhook_endpoint.or(lower.pre_webhook_endpoint),
            pre_webhook_payload: self.pre_webhook_payload.or(lower.pre_webhook_payload),
            pre_webhook_headers: self.pre_webhook_headers.or(lower.pre_webhook_headers),
            webhook_endpoint: self.webhook_endpoint.or(lower.webhook_endpoint),
            webhook_payload: self.webhook_payload.or(lower.webhook_payload),
            webhook_headers: self.webhook_headers.or(lower.webhook_headers),
        }
    }
}

/// Parses repeated `--tag key=value` flags.
pub fn parse_tags(pairs: &[String]) -> Result<BTreeMap<String, String>, ConfigError> {
    tag_pairs(pairs).map_err(|reason| value_err("--tag", reason))
}

/// `key=value` pairs as a map; an error quotes the pair at fault.
fn tag_pairs(pairs: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut tags = BTreeMap::new();
    for pair in pairs {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("{pair:?} is not key=value"))?;
        if k.is_empty() {
            return Err(format!("{pair:?} has an empty key"));
        }
        tags.insert(k.to_string(), v.to_string());
    }
    Ok(tags)
}

/// Dkron config keys Belfry reads but does not act on yet: accepted so an existing
/// `dkron.yml` starts, and reported in one warning each.
const ACCEPTED_DKRON_KEYS: &[&str] = &[
    "profile",
    "advertise-rpc-port",
    "serf-reconnect-timeout",
    "ui",
    // Deprecated in Dkron, and read by nothing there either.
    "webhook-url",
    "cronitor-endpoint",
    "dog-statsd-addr",
    "dog-statsd-tags",
    "statsd-addr",
    "enable-prometheus",
    "otel-endpoint",
    "disable-usage-stats",
    "agent-run-max-retries",
    "agent-run-retry-initial-interval",
    "agent-run-retry-max-interval",
    "dev-mode",
    "bootstrap",
    "reconcile-interval",
];

/// A parsed config file: its layer and the accepted-but-inert keys it set.
#[derive(Debug, Default)]
pub struct FileConfig {
    pub layer: ConfigLayer,
    pub inert_keys: Vec<String>,
}

/// Reads a YAML (or JSON) config file whose keys are the agent's flag names.
pub fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    parse_file(&text, &shown)
}

pub fn parse_file(text: &str, path: &str) -> Result<FileConfig, ConfigError> {
    use serde_yaml_ng::Value;
    let file_err = |reason: String| ConfigError::File {
        path: path.into(),
        reason,
    };
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| file_err(e.to_string()))?;
    let map = match doc {
        Value::Mapping(m) => m,
        Value::Null => return Ok(FileConfig::default()),
        _ => return Err(file_err("expected a mapping of keys to values".into())),
    };
    let mut out = FileConfig::default();
    let layer = &mut out.layer;
    for (k, v) in map {
        let Value::String(key) = k else {
            return Err(file_err(format!("key {k:?} is not a string")));
        };
        // Dkron's Viper also matches snake_case spellings.
        let norm = key.replace('_', "-");
        if let Some(setting) = settings::by_file_key(&norm) {
            setting
                .apply(layer, raw_value(&v))
                .map_err(|e| ConfigError::Value {
                    key: format!("{path}: {key}"),
                    reason: match e {
                        settings::SetError::Expected(what) => {
                            format!("expected {what}, got {}", describe(&v))
                        }
                        settings::SetError::Invalid(reason) => reason,
                    },
                })?;
        } else if ACCEPTED_DKRON_KEYS.contains(&norm.as_str()) {
            out.inert_keys.push(key.clone());
        } else {
            return Err(ConfigError::UnknownKey {
                path: path.into(),
                key,
            });
        }
    }
    Ok(out)
}

/// A file's value as the settings read it: scalars as text, lists and maps of scalars.
fn raw_value(v: &serde_yaml_ng::Value) -> settings::Raw {
    use serde_yaml_ng::Value;
    use settings::Raw;
    match v {
        Value::Sequence(items) => items
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()
            .map_or(Raw::Other, Raw::Many),
        Value::Mapping(m) => m
            .iter()
            .map(|(k, v)| match (k, scalar(v)) {
                (serde_yaml_ng::Value::String(k), Some(v)) => Some((k.clone(), v)),
                _ => None,
            })
            .collect::<Option<BTreeMap<_, _>>>()
            .map_or(Raw::Other, Raw::Map),
        other => scalar(other).map_or(Raw::Other, Raw::One),
    }
}

fn scalar(v: &serde_yaml_ng::Value) -> Option<String> {
    use serde_yaml_ng::Value;
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn describe(v: &serde_yaml_ng::Value) -> String {
    use serde_yaml_ng::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(_) => "a tagged value".into(),
    }
}

/// Splits a config file into one single-key document per top-level key, so each can be
/// checked on its own (`belfry config check` names every bad key, not just the first).
pub fn split_keys(text: &str, path: &str) -> Result<Vec<String>, ConfigError> {
    use serde_yaml_ng::Value;
    let file_err = |reason: String| ConfigError::File {
        path: path.into(),
        reason,
    };
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| file_err(e.to_string()))?;
    let map = match doc {
        Value::Mapping(m) => m,
        Value::Null => return Ok(Vec::new()),
        _ => return Err(file_err("expected a mapping of keys to values".into())),
    };
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let mut one = serde_yaml_ng::Mapping::new();
            one.insert(k, v);
            serde_yaml_ng::to_string(&one).unwrap_or_default()
        })
        .collect())
}

/// The agent's settings, resolved and validated. Its `Debug` hides the cluster key (and,
/// through the notification settings, the mail password and webhook header values).
#[derive(Clone, PartialEq)]
pub struct AgentConfig {
    pub server: bool,
    pub bootstrap_expect: u32,
    pub node_name: String,
    /// Gossip bind address (IP and port).
    pub bind: SocketAddr,
    pub advertise: SocketAddr,
    pub http_addr: SocketAddr,
    /// Internal RPC address: the bind IP with `--rpc-port`.
    pub rpc_addr: SocketAddr,
    pub data_dir: PathBuf,
    pub tags: BTreeMap<String, String>,
    pub region: String,
    pub datacenter: String,
    pub log_level: String,
    /// `text` (for people; coloured only on a terminal without `NO_COLOR`) or `json` (one
    /// object per line, for log shippers).
    pub log_format: String,
    /// Bytes of output tail kept per execution.
    pub output_limit: usize,
    /// Executions kept per job.
    pub history_limit: u32,
    /// Largest snapshot body an online restore accepts, in bytes.
    pub restore_limit: u64,
    /// How long running jobs may finish after SIGTERM/SIGINT before they are killed.
    pub shutdown_grace: Duration,
    /// Nice value job processes start with (0 to 19; 0 leaves them at the agent's priority).
    pub job_nice: i32,
    /// Job processes this node runs at once; launches beyond wait for a slot (0 = no limit).
    pub max_parallel: usize,
    /// The cgroup job processes run in (docs/operating.md, "Job priority").
    pub job_cgroup: JobCgroupSetting,
    /// Gossip addresses to join once at start (a failure is a warning).
    pub join: Vec<String>,
    /// Gossip addresses to join, retried every `retry_interval` up to `retry_max` (0 = forever).
    pub retry_join: Vec<String>,
    pub retry_interval: Duration,
    pub retry_max: u32,
    /// The cluster key (16, 24 or 32 bytes), if gossip and RPC are encrypted/authenticated.
    pub encrypt: Option<Vec<u8>>,
    /// How long a failed server stays a voter before it is removed.
    pub dead_server_timeout: Duration,
    /// How far a server's wall clock may be from the voters' median before it hands leadership
    /// over and stops standing for election (docs/operating.md, "Clocks").
    pub max_clock_offset: Duration,
    /// Scales the Raft heartbeat and election timeouts (1 to 10; Dkron's `raft-multiplier`).
    /// 1 fails over fastest; a larger value tolerates slower disks and busier machines.
    pub raft_multiplier: u32,
    /// Webhooks and mail the leader sends about executions, as given: the notifier checks and
    /// resolves them (`crate::leader::notify`; `crate::agent::check_config` does it before a start).
    pub notify: NotifyLayer,
    /// Every API request but `/health` needs an ACL token (`--acl-enabled`).
    pub acl_enabled: bool,
    /// JSON-lines file recording every mutating API request (`--audit-log`).
    pub audit_log: Option<PathBuf>,
    /// A second, loopback-only listener serving `/metrics` without a token (`--metrics-addr`).
    pub metrics_addr: Option<SocketAddr>,
    /// TLS, browser safety, connection limits and executor hardening.
    pub security: SecurityConfig,
}

impl AgentConfig {
    /// True when the HTTP API serves TLS and requires a client certificate signed by
    /// `--tls-client-ca`: every caller is then authenticated by its certificate.
    pub fn client_cert_tls(&self) -> bool {
        self.security
            .tls
            .as_ref()
            .is_some_and(|t| t.client_ca.is_some())
    }
}

/// Defaults of the connection limits (see docs/security.md).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_CONNECTIONS: u32 = 4096;
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: u32 = 256;

/// The security settings of one layer (flags, environment or file).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityLayer {
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
    pub cors_allowed_origins: Option<Vec<String>>,
    pub allowed_hosts: Option<Vec<String>>,
    pub header_read_timeout: Option<String>,
    pub max_connections: Option<u32>,
    pub max_connections_per_ip: Option<u32>,
    pub allow_su: Option<bool>,
    pub insecure_http: Option<bool>,
}

impl SecurityLayer {
    /// `self` wins wherever it has a value.
    pub fn over(self, lower: SecurityLayer) -> SecurityLayer {
        SecurityLayer {
            tls_cert: self.tls_cert.or(lower.tls_cert),
            tls_key: self.tls_key.or(lower.tls_key),
            tls_client_ca: self.tls_client_ca.or(lower.tls_client_ca),
            cors_allowed_origins: self.cors_allowed_origins.or(lower.cors_allowed_origins),
            allowed_hosts: self.allowed_hosts.or(lower.allowed_hosts),
            header_read_timeout: self.header_read_timeout.or(lower.header_read_timeout),
            max_connections: self.max_connections.or(lower.max_connections),
            max_connections_per_ip: self.max_connections_per_ip.or(lower.max_connections_per_ip),
            allow_su: self.allow_su.or(lower.allow_su),
            insecure_http: self.insecure_http.or(lower.insecure_http),
        }
    }
}

/// The files of the HTTP API's TLS (re-read on SIGHUP and when they change).
#[derive(Debug, Clone, PartialEq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Client certificates are required and verified against this CA when set.
    pub client_ca: Option<PathBuf>,
}

/// Limits every listener (HTTP API and internal RPC) keeps, so idle or slow connections
/// cannot starve a node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectionLimits {
    /// Time a connection has to send a request's headers (also when idle between requests)
    /// and to finish a TLS handshake.
    pub header_read_timeout: Duration,
    pub max_connections: u32,
    pub max_connections_per_ip: u32,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
        }
    }
}

/// The resolved security settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecurityConfig {
    pub tls: Option<TlsFiles>,
    /// Origins allowed to call the API from a browser (CORS and mutating requests).
    pub cors_allowed_origins: Vec<String>,
    /// Extra `Host` values accepted besides the node's own names and addresses.
    pub allowed_hosts: Vec<String>,
    pub limits: ConnectionLimits,
    /// Whether the shell executor's `su` option may run on this node.
    pub allow_su: bool,
    /// Protected mode switched off (`--insecure-http`): see [`check_protected_mode`].
    pub insecure_http: bool,
}

/// Protected mode (as Redis has): an HTTP API reachable from other hosts must authenticate its
/// callers, with ACL tokens or client certificates; otherwise anyone on the network could run
/// commands on every node. Loopback binds (the default) are exempt, and `--insecure-http`
/// opts out (the agent warns at every start).
fn check_protected_mode(
    http_addr: SocketAddr,
    acl_enabled: bool,
    security: &SecurityConfig,
) -> Result<(), ConfigError> {
    let client_certs = security.tls.as_ref().is_some_and(|t| t.client_ca.is_some());
    if http_addr.ip().is_loopback() || acl_enabled || client_certs || security.insecure_http {
        return Ok(());
    }
    Err(value_err(
        "http-addr",
        format!(
            "{http_addr} is reachable from other hosts and the API would be open to anyone \
             there (protected mode): add --acl-enabled (tokens), or --tls-cert/--tls-key with \
             --tls-client-ca (client certificates), or bind 127.0.0.1; --insecure-http opts out"
        ),
    ))
}

fn resolve_security(layer: SecurityLayer) -> Result<SecurityConfig, ConfigError> {
    let tls = match (layer.tls_cert, layer.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert,
            key,
            client_ca: layer.tls_client_ca,
        }),
        (None, None) => {
            if layer.tls_client_ca.is_some() {
                return Err(value_err(
                    "tls-client-ca",
                    "needs --tls-cert and --tls-key (client certificates are checked in TLS)",
                ));
            }
            None
        }
        (Some(_), None) => return Err(value_err("tls-key", "--tls-cert needs --tls-key")),
        (None, Some(_)) => return Err(value_err("tls-cert", "--tls-key needs --tls-cert")),
    };
    let cors_allowed_origins = layer.cors_allowed_origins.unwrap_or_default();
    for origin in &cors_allowed_origins {
        let ok = (origin.starts_with("http://") || origin.starts_with("https://"))
            && !origin.trim_end_matches('/').ends_with(':')
            && origin.matches('/').count() == 2;
        if !ok {
            return Err(value_err(
                "cors-allowed-origin",
                format!("{origin:?} is not an origin (scheme://host[:port], no path)"),
            ));
        }
    }
    let allowed_hosts = layer.allowed_hosts.unwrap_or_default();
    if let Some(bad) = allowed_hosts
        .iter()
        .find(|h| h.is_empty() || h.contains('/') || h.contains(char::is_whitespace))
    {
        return Err(value_err(
            "allowed-host",
            format!("{bad:?} is not a host or host:port"),
        ));
    }
    let header_read_timeout = match &layer.header_read_timeout {
        Some(text) => parse_go_duration(text).map_err(|e| value_err("header-read-timeout", e))?,
        None => DEFAULT_HEADER_READ_TIMEOUT,
    };
    if header_read_timeout.is_zero() {
        return Err(value_err("header-read-timeout", "must be longer than zero"));
    }
    let max_connections = layer.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS);
    let max_connections_per_ip = layer
        .max_connections_per_ip
        .unwrap_or(DEFAULT_MAX_CONNECTIONS_PER_IP);
    if max_connections == 0 {
        return Err(value_err("max-connections", "must be at least 1"));
    }
    if max_connections_per_ip == 0 {
        return Err(value_err("max-connections-per-ip", "must be at least 1"));
    }
    Ok(SecurityConfig {
        tls,
        cors_allowed_origins: cors_allowed_origins
            .into_iter()
            .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
            .collect(),
        allowed_hosts: allowed_hosts
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        limits: ConnectionLimits {
            header_read_timeout,
            max_connections,
            max_connections_per_ip,
        },
        allow_su: layer.allow_su.unwrap_or(false),
        insecure_http: layer.insecure_http.unwrap_or(false),
    })
}

/// What `Debug` shows for a secret: whether it is set, never its value.
fn hidden<T>(secret: &Option<T>) -> Option<&'static str> {
    secret.as_ref().map(|_| "<hidden>")
}

impl std::fmt::Debug for ConfigLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigLayer")
            .field("server", &self.server)
            .field("bootstrap_expect", &self.bootstrap_expect)
            .field("node_name", &self.node_name)
            .field("bind", &self.bind)
            .field("advertise", &self.advertise)
            .field("http_addr", &self.http_addr)
            .field("rpc_port", &self.rpc_port)
            .field("data_dir", &self.data_dir)
            .field("tags", &self.tags)
            .field("region", &self.region)
            .field("datacenter", &self.datacenter)
            .field("log_level", &self.log_level)
            .field("output_limit", &self.output_limit)
            .field("history_limit", &self.history_limit)
            .field("restore_limit", &self.restore_limit)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("job_nice", &self.job_nice)
            .field("max_parallel", &self.max_parallel)
            .field("job_cgroup", &self.job_cgroup)
            .field("join", &self.join)
            .field("retry_join", &self.retry_join)
            .field("retry_interval", &self.retry_interval)
            .field("retry_max", &self.retry_max)
            .field("encrypt", &hidden(&self.encrypt))
            .field("dead_server_timeout", &self.dead_server_timeout)
            .field("max_clock_offset", &self.max_clock_offset)
            .field("raft_multiplier", &self.raft_multiplier)
            .field("notify", &self.notify)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentConfig")
            .field("server", &self.server)
            .field("bootstrap_expect", &self.bootstrap_expect)
            .field("node_name", &self.node_name)
            .field("bind", &self.bind)
            .field("advertise", &self.advertise)
            .field("http_addr", &self.http_addr)
            .field("rpc_addr", &self.rpc_addr)
            .field("data_dir", &self.data_dir)
            .field("tags", &self.tags)
            .field("region", &self.region)
            .field("datacenter", &self.datacenter)
            .field("log_level", &self.log_level)
            .field("output_limit", &self.output_limit)
            .field("history_limit", &self.history_limit)
            .field("restore_limit", &self.restore_limit)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("job_nice", &self.job_nice)
            .field("max_parallel", &self.max_parallel)
            .field("job_cgroup", &self.job_cgroup)
            .field("join", &self.join)
            .field("retry_join", &self.retry_join)
            .field("retry_interval", &self.retry_interval)
            .field("retry_max", &self.retry_max)
            .field("encrypt", &hidden(&self.encrypt))
            .field("dead_server_timeout", &self.dead_server_timeout)
            .field("max_clock_offset", &self.max_clock_offset)
            .field("raft_multiplier", &self.raft_multiplier)
            .field("notify", &self.notify)
            .finish_non_exhaustive()
    }
}

/// Environment variables that hold secrets, removed from the agent's own environment once the
/// configuration is read and never passed to a job: the variables of the settings marked
/// secret (the cluster key, the mail password, webhook headers, which often carry tokens), and
/// any `BELFRY_*` whose name says it is a secret (the client commands' token, for one).
pub fn is_secret_env(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("BELFRY_") else {
        return false;
    };
    if settings::SETTINGS
        .iter()
        .any(|s| s.secret && s.env() == name)
    {
        return true;
    }
    [
        "ENCRYPT",
        "PASSWORD",
        "TOKEN",
        "SECRET",
        "KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|word| rest.contains(word))
}

/// The names of the secret variables in this process's environment (see [`is_secret_env`]).
pub fn secret_env_names() -> Vec<String> {
    std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| is_secret_env(k))
        .collect()
}

/// Decodes a cluster key: base64 of 16, 24 or 32 bytes (what `belfry keygen` prints).
pub fn parse_key(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    let text = text.trim();
    if text.is_empty() {
        return Err("the key is empty; generate one with `belfry keygen`".into());
    }
    let key = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| {
            format!("the key is not valid base64 ({e}); use the output of `belfry keygen`")
        })?;
    check_key_len(&key)?;
    Ok(key)
}

/// Checks that a raw cluster key is 16, 24 or 32 bytes long.
pub fn check_key_len(key: &[u8]) -> Result<(), String> {
    match key.len() {
        16 | 24 | 32 => Ok(()),
        n => Err(format!(
            "the key decodes to {n} bytes; it must be 16, 24 or 32 bytes (`belfry keygen` makes 32)"
        )),
    }
}

/// Parses `IP`, `IP:port` or `[v6]:port`, using `default_port` when none is given.
pub fn parse_addr(key: &str, text: &str, default_port: u16) -> Result<SocketAddr, ConfigError> {
    if let Ok(sa) = text.parse::<SocketAddr>() {
        return Ok(sa);
    }
    if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, default_port));
    }
    // Dkron's default `:8080` form: all interfaces.
    if let Some(port) = text.strip_prefix(':')
        && let Ok(port) = port.parse::<u16>()
    {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
    }
    Err(value_err(
        key,
        format!("{text:?} is not an IP address or IP:port"),
    ))
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        if let Ok(name) = std::str::from_utf8(&buf[..end])
            && !name.is_empty()
        {
            return name.to_string();
        }
    }
    "belfry".into()
}

/// Node names travel in execution ids (`<nanos>-<node>`), URLs and file names.
pub fn validate_node_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 128 {
        return Err("must be 1 to 128 characters".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "{name:?} contains {c:?}; use letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

/// A layer under which one key can be checked alone (`belfry config check` names every bad
/// key): it satisfies the settings other keys depend on (a server, an advertised address, a
/// TLS certificate with its key) and leaves protected mode to the whole file, which names how
/// the API is protected.
pub fn one_key_base() -> ConfigLayer {
    ConfigLayer {
        server: Some(true),
        advertise: Some("127.0.0.1".into()),
        security: SecurityLayer {
            tls_cert: Some("cert.pem".into()),
            tls_key: Some("key.pem".into()),
            insecure_http: Some(true),
            ..SecurityLayer::default()
        },
        ..ConfigLayer::default()
    }
}

/// Lays defaults under the given layers and validates the result.
pub fn resolve(layer: ConfigLayer) -> Result<AgentConfig, ConfigError> {
    let node_name = layer.node_name.unwrap_or_else(hostname);
    validate_node_name(&node_name).map_err(|r| value_err("node-name", r))?;
    let bind = match &layer.bind {
        Some(b) => parse_addr("bind", b, DEFAULT_GOSSIP_PORT)?,
        None => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_GOSSIP_PORT),
    };
    let advertise = match &layer.advertise {
        Some(a) => parse_addr("advertise", a, bind.port())?,
        None => bind,
    };
    if advertise.ip().is_unspecified() {
        return Err(value_err(
            "advertise",
            format!("{advertise} cannot be advertised: give a reachable IP with --advertise"),
        ));
    }
    let http_addr = parse_addr(
        "http-addr",
        layer.http_addr.as_deref().unwrap_or(DEFAULT_HTTP_ADDR),
        8080,
    )?;
    let rpc_port = layer.rpc_port.unwrap_or(DEFAULT_RPC_PORT);
    if rpc_port == 0 {
        return Err(value_err("rpc-port", "must be 1 to 65535"));
    }
    let server = layer.server.unwrap_or(false);
    let bootstrap_expect = layer.bootstrap_expect.unwrap_or(0);
    if bootstrap_expect > 0 && !server {
        return Err(value_err(
            "bootstrap-expect",
            "only servers bootstrap: add --server",
        ));
    }
    let log_level = layer.log_level.unwrap_or_else(|| "info".into());
    if !matches!(
        log_level.as_str(),
        "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "panic"
    ) {
        return Err(value_err(
            "log-level",
            format!("{log_level:?} is not one of trace, debug, info, warn, error"),
        ));
    }
    let log_format = layer.log_format.unwrap_or_else(|| LOG_FORMAT_TEXT.into());
    if !matches!(log_format.as_str(), LOG_FORMAT_TEXT | LOG_FORMAT_JSON) {
        return Err(value_err(
            "log-format",
            format!("{log_format:?} is not one of text, json"),
        ));
    }
    let region = layer.region.unwrap_or_else(|| "global".into());
    if region.is_empty() {
        return Err(value_err("region", "must not be empty"));
    }
    let shutdown_grace = match &layer.shutdown_grace {
        Some(text) => parse_go_duration(text).map_err(|e| value_err("shutdown-grace", e))?,
        None => DEFAULT_SHUTDOWN_GRACE,
    };
    let job_nice = layer.job_nice.unwrap_or(DEFAULT_JOB_NICE);
    if !(0..=19).contains(&job_nice) {
        return Err(value_err(
            "job-nice",
            format!("{job_nice} is not a nice value from 0 to 19 (0 turns lowering off)"),
        ));
    }
    let job_cgroup = match &layer.job_cgroup {
        Some(text) => JobCgroupSetting::parse(text).map_err(|e| value_err("job-cgroup", e))?,
        None => JobCgroupSetting::Auto,
    };
    let output_limit = layer.output_limit.unwrap_or(DEFAULT_OUTPUT_LIMIT);
    if output_limit == 0 {
        return Err(value_err("output-limit", "must be at least 1 byte"));
    }
    let history_limit = layer.history_limit.unwrap_or(DEFAULT_HISTORY_LIMIT);
    if history_limit == 0 {
        return Err(value_err("history-limit", "must be at least 1"));
    }
    let restore_limit = layer.restore_limit.unwrap_or(DEFAULT_RESTORE_LIMIT);
    if restore_limit == 0 {
        return Err(value_err("restore-limit", "must be at least 1 byte"));
    }
    let retry_interval = match &layer.retry_interval {
        Some(text) => parse_go_duration(text).map_err(|e| value_err("retry-interval", e))?,
        None => Duration::from_secs(30),
    };
    if retry_interval.is_zero() {
        return Err(value_err("retry-interval", "must be longer than zero"));
    }
    let dead_server_timeout = match &layer.dead_server_timeout {
        Some(text) => parse_go_duration(text).map_err(|e| value_err("dead-server-timeout", e))?,
        None => Duration::from_secs(300),
    };
    let max_clock_offset = match &layer.max_clock_offset {
        Some(text) => parse_go_duration(text).map_err(|e| value_err("max-clock-offset", e))?,
        None => DEFAULT_MAX_CLOCK_OFFSET,
    };
    if max_clock_offset.is_zero() {
        return Err(value_err("max-clock-offset", "must be longer than zero"));
    }
    if max_clock_offset >= Duration::from_secs(MAX_CALL_SKEW_SECS) {
        return Err(value_err(
            "max-clock-offset",
            format!(
                "must be under {} s: nodes further apart cannot talk at all (the RPC refuses calls whose timestamp is that far off)",
                MAX_CALL_SKEW_SECS
            ),
        ));
    }
    let raft_multiplier = layer.raft_multiplier.unwrap_or(DEFAULT_RAFT_MULTIPLIER);
    if !(1..=10).contains(&raft_multiplier) {
        return Err(value_err(
            "raft-multiplier",
            format!("{raft_multiplier} is out of range: it must be from 1 to 10"),
        ));
    }
    let encrypt = match &layer.encrypt {
        Some(text) if !text.is_empty() => {
            Some(parse_key(text).map_err(|e| value_err("encrypt", e))?)
        }
        _ => None,
    };
    let join = layer.join.unwrap_or_default();
    let retry_join = layer.retry_join.unwrap_or_default();
    let tags = layer.tags.unwrap_or_default();
    // Every member carries these, set from the node's own settings; a user tag of the same
    // name would be silently replaced, so it is refused instead.
    if let Some(key) = tags
        .keys()
        .find(|k| crate::model::RESERVED_MEMBER_TAGS.contains(&k.as_str()))
    {
        return Err(value_err(
            "tag",
            format!(
                "{key:?} is reserved: every member carries it, set by Belfry ({}); \
                 use another name",
                crate::model::RESERVED_MEMBER_TAGS.join(", ")
            ),
        ));
    }
    let metrics_addr = match &layer.metrics_addr {
        Some(text) if !text.is_empty() => {
            let addr = parse_addr("metrics-addr", text, 9090)?;
            if !addr.ip().is_loopback() {
                return Err(value_err(
                    "metrics-addr",
                    format!(
                        "{addr} is not a loopback address: this listener serves /metrics without a token, so it must be 127.0.0.1 or ::1 (scrape other nodes through the API with a read-only token)"
                    ),
                ));
            }
            Some(addr)
        }
        _ => None,
    };
    if layer
        .audit_log
        .as_ref()
        .is_some_and(|p| p.as_os_str().is_empty())
    {
        return Err(value_err("audit-log", "must be a file path"));
    }
    let security = resolve_security(layer.security)?;
    check_protected_mode(http_addr, layer.acl_enabled.unwrap_or(false), &security)?;
    Ok(AgentConfig {
        security,
        acl_enabled: layer.acl_enabled.unwrap_or(false),
        audit_log: layer.audit_log,
        metrics_addr,
        notify: layer.notify,
        join,
        retry_join,
        retry_interval,
        retry_max: layer.retry_max.unwrap_or(0),
        encrypt,
        dead_server_timeout,
        max_clock_offset,
        raft_multiplier,
        server,
        bootstrap_expect,
        node_name,
        bind,
        advertise,
        http_addr,
        rpc_addr: SocketAddr::new(bind.ip(), rpc_port),
        data_dir: layer
            .data_dir
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
        tags,
        region,
        datacenter: layer.datacenter.unwrap_or_else(|| "dc1".into()),
        log_level,
        log_format,
        output_limit,
        history_limit,
        restore_limit,
        shutdown_grace,
        job_nice,
        max_parallel: layer.max_parallel.unwrap_or_else(default_max_parallel),
        job_cgroup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let layer = ConfigLayer {
            encrypt: Some("c2VjcmV0LWNsdXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc=".into()),
            notify: NotifyLayer {
                mail_password: Some("hunter2".into()),
                webhook_headers: Some(vec!["Authorization: Bearer tok3n".into()]),
                webhook_endpoint: Some("http://127.0.0.1:1/hook".into()),
                ..NotifyLayer::default()
            },
            ..ConfigLayer::default()
        };
        let shown = format!("{layer:?}");
        let config = resolve(layer).unwrap();
        let resolved = format!("{config:?} {config:#?}");
        for text in [shown, resolved] {
            for secret in ["c2VjcmV0", "hunter2", "tok3n", "115, 101, 99"] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
            assert!(text.contains("<hidden>"), "{text}");
        }
        assert!(is_secret_env("BELFRY_ENCRYPT"));
        assert!(is_secret_env("BELFRY_MAIL_PASSWORD"));
        assert!(is_secret_env("BELFRY_HTTP_TOKEN"));
        assert!(is_secret_env("BELFRY_WEBHOOK_HEADERS"));
        assert!(is_secret_env("BELFRY_PRE_WEBHOOK_HEADERS"));
        assert!(!is_secret_env("BELFRY_WEBHOOK_ENDPOINT"));
        assert!(!is_secret_env("BELFRY_JOB_NAME"));
        assert!(!is_secret_env("ENCRYPT"));
    }

    #[test]
    fn raft_multiplier_is_one_to_ten() {
        let with = |m| {
            resolve(ConfigLayer {
                raft_multiplier: Some(m),
                ..ConfigLayer::default()
            })
        };
        assert_eq!(with(10).unwrap().raft_multiplier, 10);
        assert_eq!(resolve(ConfigLayer::default()).unwrap().raft_multiplier, 2);
        for bad in [0, 11] {
            let e = with(bad).unwrap_err().to_string();
            assert!(
                e.starts_with("raft-multiplier:") && e.contains("1 to 10"),
                "{e}"
            );
        }
    }

    #[test]
    fn dkron_packaged_file_is_accepted() {
        let text = "server: true\nbootstrap-expect: 1\ndata-dir: /var/lib/dkron\nlog-level: debug\n\
                    tags:\n  role: web\n  zone: 3\nencrypt: abc\nretry-join: [\"10.0.0.1\"]\n\
                    raft-multiplier: 1\nenable-prometheus: true\n";
        let f = parse_file(text, "dkron.yml").unwrap();
        assert_eq!(f.layer.server, Some(true));
        assert_eq!(f.layer.bootstrap_expect, Some(1));
        assert_eq!(f.layer.tags.as_ref().unwrap()["zone"], "3");
        assert_eq!(f.inert_keys, vec!["enable-prometheus"]);
        assert_eq!(f.layer.raft_multiplier, Some(1));
        assert_eq!(f.layer.retry_join, Some(vec!["10.0.0.1".to_string()]));
        assert_eq!(f.layer.encrypt.as_deref(), Some("abc"));
    }

    #[test]
    fn notification_keys_are_read_and_checked() {
        let text = "mail-host: 127.0.0.1\nmail-port: 2525\nmail-from: cron@example.com\n\
                    mail_subject_prefix: \"[ops] \"\nwebhook-endpoint: http://127.0.0.1:1/h\n\
                    webhook-payload: \"{{.JobName}}\"\nwebhook-headers:\n  - \"X-A: 1\"\n\
                    pre-webhook-headers: \"Host: hooks.example\"\nwebhook-url: http://old\n";
        let f = parse_file(text, "dkron.yml").unwrap();
        assert_eq!(f.inert_keys, vec!["webhook-url"]);
        assert_eq!(f.layer.notify.mail_port, Some(2525));
        assert_eq!(
            f.layer.notify.pre_webhook_headers,
            Some(vec!["Host: hooks.example".to_string()])
        );
        // The notifier checks its own rules: notify::tests::file_settings_resolve.
        let e = parse_file("mail-port: [1]\n", "c.yml").unwrap_err();
        assert!(e.to_string().contains("mail-port"), "{e}");
    }

    #[test]
    fn unknown_key_and_bad_value_are_named() {
        let e = parse_file("servr: true\n", "c.yml").unwrap_err();
        assert_eq!(e.to_string(), "config file c.yml: unknown key \"servr\"");
        let e = parse_file("bootstrap-expect: three\n", "c.yml").unwrap_err();
        assert!(e.to_string().contains("bootstrap-expect"), "{e}");
        let e = parse_file("- a\n", "c.yml").unwrap_err();
        assert!(e.to_string().contains("mapping"), "{e}");
    }

    #[test]
    fn precedence_and_defaults() {
        let flags = ConfigLayer {
            http_addr: Some("127.0.0.5:9000".into()),
            ..Default::default()
        };
        let file = ConfigLayer {
            http_addr: Some("127.0.0.6:9001".into()),
            region: Some("eu".into()),
            ..Default::default()
        };
        let c = resolve(flags.over(file)).unwrap();
        assert_eq!(c.http_addr, "127.0.0.5:9000".parse().unwrap());
        assert_eq!(c.region, "eu");
        assert_eq!(c.bind.port(), DEFAULT_GOSSIP_PORT);
        assert_eq!(c.rpc_addr, "127.0.0.1:6868".parse().unwrap());
        assert_eq!(c.data_dir, PathBuf::from("belfry.data"));
    }

    #[test]
    fn job_nice_and_max_parallel_defaults_yaml_keys_and_ranges() {
        assert_eq!(resolve(ConfigLayer::default()).unwrap().job_nice, 10);
        let file = parse_file("job-nice: 0\n", "belfry.yml").unwrap();
        assert_eq!(resolve(file.layer).unwrap().job_nice, 0);
        let e = resolve(ConfigLayer {
            job_nice: Some(20),
            ..Default::default()
        })
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("job-nice: 20 is not a nice value"),
            "{e}"
        );
        assert!(parse_file("job-nice: -1\n", "belfry.yml").is_err());
        let file = parse_file("max-parallel: 0\n", "belfry.yml").unwrap();
        assert_eq!(resolve(file.layer).unwrap().max_parallel, 0);
        assert!(resolve(ConfigLayer::default()).unwrap().max_parallel >= 4);
    }

    #[test]
    fn keys() {
        let k = "c2VjcmV0LWNsdXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc=";
        assert_eq!(parse_key(k).unwrap().len(), 32);
        assert!(parse_key("c2VjcmV0").unwrap_err().contains("6 bytes"));
        assert!(parse_key("not base64!").unwrap_err().contains("base64"));
        let e = resolve(ConfigLayer {
            encrypt: Some("c2VjcmV0".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("encrypt:"), "{e}");
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_addr("bind", "127.0.0.2", 8946).unwrap(),
            "127.0.0.2:8946".parse().unwrap()
        );
        assert_eq!(
            parse_addr("bind", "127.0.0.2:7000", 8946).unwrap(),
            "127.0.0.2:7000".parse().unwrap()
        );
        assert_eq!(
            parse_addr("http-addr", ":8080", 8080).unwrap(),
            "0.0.0.0:8080".parse().unwrap()
        );
        let e = parse_addr("bind", "nowhere:80", 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bind: \"nowhere:80\" is not an IP address or IP:port"
        );
        let e = resolve(ConfigLayer {
            bootstrap_expect: Some(1),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("bootstrap-expect:"));
    }

    #[test]
    fn acl_settings_resolve_and_metrics_addr_must_be_loopback() {
        let f = parse_file(
            "acl-enabled: true\naudit-log: /tmp/a.jsonl\nmetrics-addr: 127.0.0.1:9100\n",
            "f.yml",
        )
        .unwrap();
        let c = resolve(f.layer).unwrap();
        assert!(c.acl_enabled);
        assert_eq!(c.audit_log, Some(PathBuf::from("/tmp/a.jsonl")));
        assert_eq!(c.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
        assert!(!resolve(ConfigLayer::default()).unwrap().acl_enabled);
        let e = resolve(ConfigLayer {
            metrics_addr: Some("0.0.0.0:9100".into()),
            ..ConfigLayer::default()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("metrics-addr:"), "{e}");
        assert!(parse_file("acl-enabled: maybe\n", "f.yml").is_err());
    }
}
