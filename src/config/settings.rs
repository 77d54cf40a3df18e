//! Every agent setting, defined once. A row of [`SETTINGS`] holds a setting's config-file key
//! (Dkron's name), its `belfry agent` flag and aliases, its `BELFRY_*` variable (derived from
//! the flag), its default as help and docs show it, its help text, how a value is read into a
//! [`ConfigLayer`] and how `belfry config check` shows the effective value.
//!
//! Everything else is made from the rows: the CLI builds `belfry agent`'s flags from them
//! (commands/src/cli.rs), [`super::parse_file`] reads the config file through them, `config
//! check` lists [`effective`], and `belfry generate` writes [`docs_table`] into
//! docs/operating.md. The tests below and in the CLI fail when any of these differ.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::{AgentConfig, ConfigError, ConfigLayer};

/// Where a setting can be given, besides its `BELFRY_*` variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A flag of `belfry agent` and a config-file key.
    Agent,
    /// A flag of every command (defined on the root command, as the client commands use it
    /// too) and a config-file key.
    Global,
    /// A flag of `belfry agent` only: the config file cannot name another config file.
    FlagOnly,
}

/// How a setting's value is written on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `--flag` alone means true; `--flag=false` turns it off.
    Switch,
    /// One value; the last one given wins.
    Single,
    /// Repeatable. With `comma_separated`, one value (or variable) may list several, split at
    /// commas; header lists are not split, as a header value may hold a comma.
    Repeated { comma_separated: bool },
}

/// A setting's default as help and the docs show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Unset: the feature is off or the list empty (`config check` shows `-`).
    Nothing,
    /// A value that, given explicitly, changes nothing (a test holds the table to that).
    Value(&'static str),
    /// A default that depends on the machine or on other settings, in words.
    Described(&'static str),
}

/// Why a value cannot be read into a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError {
    /// The value is not of the kind the setting takes; says what it should be.
    Expected(&'static str),
    /// The value is of the right kind but unusable; says why.
    Invalid(String),
}

/// A value as given, before the setting reads it: one flag value or YAML scalar, several
/// (repeated flags, a YAML list), a YAML mapping, or anything else a file may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw {
    One(String),
    Many(Vec<String>),
    Map(BTreeMap<String, String>),
    Other,
}

type Setter = fn(&mut ConfigLayer, Raw) -> Result<(), SetError>;
type Shower = fn(&AgentConfig) -> String;

/// One agent setting. See the module documentation.
pub struct Setting {
    /// The config-file key, Dkron's name; `config check` lists the setting under it.
    pub key: &'static str,
    /// The long flag; the variable is `BELFRY_` and the flag in upper case, `-` as `_`. The
    /// config file accepts it as a key too.
    pub flag: &'static str,
    /// Other names of the flag (shown in help), accepted as config-file keys too.
    pub aliases: &'static [&'static str],
    pub scope: Scope,
    pub form: Form,
    /// The placeholder help shows for the value (`--bind <ADDR>`).
    pub value_name: &'static str,
    pub default: Shown,
    /// One line for `--help`, the man page and the docs table (which adds [`Setting::more`]).
    pub help: &'static str,
    /// Extra words for the docs table only (links, longer explanations).
    pub more: &'static str,
    /// The value (or part of it) must never be printed: `config check` shows only that it is
    /// set, and help never shows the variable's value.
    pub secret: bool,
    /// A valid value other than the default, for the tests that hold every row together.
    pub example: &'static str,
    set: Setter,
    show: Shower,
}

impl Setting {
    /// The environment variable: `BELFRY_` and the flag, upper case, dashes as underscores.
    pub fn env(&self) -> String {
        format!(
            "BELFRY_{}",
            self.flag.to_ascii_uppercase().replace('-', "_")
        )
    }

    /// The help text with the default appended, as clap shows defaults.
    pub fn help_text(&self) -> String {
        match self.default {
            Shown::Nothing => self.help.to_string(),
            Shown::Value(v) | Shown::Described(v) => format!("{} [default: {v}]", self.help),
        }
    }

    /// Whether the config file may name this setting `key` (after `_` became `-`).
    pub fn is_file_key(&self, key: &str) -> bool {
        self.scope != Scope::FlagOnly
            && (self.key == key || self.flag == key || self.aliases.contains(&key))
    }

    /// Reads `raw` into `layer`.
    pub fn apply(&self, layer: &mut ConfigLayer, raw: Raw) -> Result<(), SetError> {
        (self.set)(layer, raw)
    }

    /// The effective value as `config check` prints it (secrets redacted).
    pub fn shown(&self, config: &AgentConfig) -> String {
        (self.show)(config)
    }
}

/// The row whose flag (or alias) is `flag`.
pub fn by_flag(flag: &str) -> Option<&'static Setting> {
    SETTINGS
        .iter()
        .find(|s| s.flag == flag || s.aliases.contains(&flag))
}

/// The row the config file's `key` names (Dkron's key, the flag or an alias).
pub fn by_file_key(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.is_file_key(key))
}

/// A layer from command-line and environment values: each row given with its values, in the
/// order given (the last value of a single-valued setting wins). An error names the flag.
pub fn layer_from_values<'a>(
    given: impl IntoIterator<Item = (&'a Setting, Vec<String>)>,
) -> Result<ConfigLayer, ConfigError> {
    let mut layer = ConfigLayer::default();
    for (setting, mut values) in given {
        let given_text = values.join(",");
        let raw = match setting.form {
            Form::Repeated { .. } => Raw::Many(values),
            _ => match values.pop() {
                Some(last) => Raw::One(last),
                None => continue,
            },
        };
        setting
            .apply(&mut layer, raw)
            .map_err(|e| ConfigError::Value {
                key: format!("--{}", setting.flag),
                reason: match e {
                    SetError::Expected(what) => format!("expected {what}, got {given_text:?}"),
                    SetError::Invalid(reason) => reason,
                },
            })?;
    }
    Ok(layer)
}

/// Every config-file setting with its effective value, in table order, by config-file key;
/// secrets show only whether they are set.
pub fn effective(config: &AgentConfig) -> Vec<(&'static str, String)> {
    SETTINGS
        .iter()
        .filter(|s| s.scope != Scope::FlagOnly)
        .map(|s| (s.key, s.shown(config)))
        .collect()
}

/// The markdown table of docs/operating.md, between [`DOCS_BEGIN`] and [`DOCS_END`].
pub fn docs_table() -> String {
    let mut out = String::from(
        "| Flag | Environment | Config key | Default | Meaning |\n|---|---|---|---|---|\n",
    );
    for s in SETTINGS {
        let mut flag = format!("`--{}", s.flag);
        if s.form != Form::Switch {
            flag.push(' ');
            flag.push_str(s.value_name);
        }
        flag.push('`');
        for alias in s.aliases {
            flag.push_str(&format!(" (alias `--{alias}`)"));
        }
        if s.scope == Scope::Global {
            flag.push_str(" (every command)");
        }
        let key = match s.scope {
            Scope::FlagOnly => "-".to_string(),
            _ => format!("`{}`", s.key),
        };
        let default = match s.default {
            Shown::Nothing => "none".to_string(),
            Shown::Value(v) => format!("`{v}`"),
            Shown::Described(words) => words.to_string(),
        };
        let mut meaning = s.help.to_string();
        if !s.more.is_empty() {
            meaning.push_str(". ");
            meaning.push_str(s.more);
        }
        out.push_str(&format!(
            "| {flag} | `{}` | {key} | {default} | {} |\n",
            s.env(),
            meaning.replace('|', "\\|")
        ));
    }
    out
}

/// The markers around the generated table in docs/operating.md.
pub const DOCS_BEGIN: &str =
    "<!-- settings:begin (generated from src/config/settings.rs by `belfry generate`) -->";
pub const DOCS_END: &str = "<!-- settings:end -->";

/// `text` with the part between the markers replaced by the current table; `None` if the
/// markers are missing.
pub fn with_docs_table(text: &str) -> Option<String> {
    let start = text.find(DOCS_BEGIN)? + DOCS_BEGIN.len();
    let end = start + text[start..].find(DOCS_END)?;
    Some(format!(
        "{}\n{}{}",
        &text[..start],
        docs_table(),
        &text[end..]
    ))
}

// ---- Reading values ------------------------------------------------------------------------

fn text(raw: Raw) -> Result<String, SetError> {
    match raw {
        Raw::One(s) => Ok(s),
        _ => Err(SetError::Expected("a string")),
    }
}

fn path(raw: Raw) -> Result<PathBuf, SetError> {
    text(raw).map(PathBuf::from)
}

/// A non-negative integer that fits `T`; `range` says which values fit.
fn number<T: TryFrom<u64>>(raw: Raw, range: &'static str) -> Result<T, SetError> {
    let n: u64 = match raw {
        Raw::One(s) => s
            .trim()
            .parse()
            .map_err(|_| SetError::Expected("a non-negative integer"))?,
        _ => return Err(SetError::Expected("a non-negative integer")),
    };
    T::try_from(n).map_err(|_| SetError::Expected(range))
}

fn switch(raw: Raw) -> Result<bool, SetError> {
    match raw {
        Raw::One(s) if s == "true" => Ok(true),
        Raw::One(s) if s == "false" => Ok(false),
        _ => Err(SetError::Expected("true or false")),
    }
}

/// A list: one value or several.
fn list(raw: Raw, what: &'static str) -> Result<Vec<String>, SetError> {
    match raw {
        Raw::One(s) => Ok(vec![s]),
        Raw::Many(v) => Ok(v),
        _ => Err(SetError::Expected(what)),
    }
}

fn tags(raw: Raw) -> Result<BTreeMap<String, String>, SetError> {
    match raw {
        Raw::Map(m) => Ok(m),
        Raw::Many(pairs) => super::tag_pairs(&pairs).map_err(SetError::Invalid),
        _ => Err(SetError::Expected("a map of strings")),
    }
}

// ---- Showing values ------------------------------------------------------------------------

fn dur(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

fn or_dash(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "-".into(), |v| v.to_string())
}

fn path_or_dash(p: Option<&PathBuf>) -> String {
    p.map_or_else(|| "-".into(), |p| p.display().to_string())
}

fn joined(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

fn hidden(set: bool) -> String {
    if set { "(set, not shown)" } else { "-" }.into()
}

/// Headers by name only: their values are often credentials.
fn header_names(headers: Option<&Vec<String>>) -> String {
    let names: Vec<String> = headers
        .into_iter()
        .flatten()
        .map(|h| match h.split_once(':') {
            Some((name, _)) => format!("{}: (not shown)", name.trim()),
            None => "(malformed, not shown)".into(),
        })
        .collect();
    joined(&names)
}

// ---- The table -----------------------------------------------------------------------------

/// A row with the usual shape: a single-valued agent flag named as its key.
const fn row(
    key: &'static str,
    value_name: &'static str,
    default: Shown,
    example: &'static str,
    help: &'static str,
    set: Setter,
    show: Shower,
) -> Setting {
    Setting {
        key,
        flag: key,
        aliases: &[],
        scope: Scope::Agent,
        form: Form::Single,
        value_name,
        default,
        help,
        more: "",
        secret: false,
        example,
        set,
        show,
    }
}

impl Setting {
    const fn flag(self, flag: &'static str, aliases: &'static [&'static str]) -> Setting {
        Setting {
            flag,
            aliases,
            ..self
        }
    }
    const fn scope(self, scope: Scope) -> Setting {
        Setting { scope, ..self }
    }
    const fn switch(self) -> Setting {
        Setting {
            form: Form::Switch,
            ..self
        }
    }
    const fn repeated(self, comma_separated: bool) -> Setting {
        Setting {
            form: Form::Repeated { comma_separated },
            ..self
        }
    }
    const fn more(self, more: &'static str) -> Setting {
        Setting { more, ..self }
    }
    const fn secret(self) -> Setting {
        Setting {
            secret: true,
            ..self
        }
    }
}

use Shown::{Described, Nothing, Value};

/// Every agent setting, in the order help, the docs and `config check` list them.
pub static SETTINGS: &[Setting] = &[
    row(
        "config",
        "FILE",
        Nothing,
        "/etc/belfry/belfry.yml",
        "Config file (YAML; keys are the flag names, so a dkron.yml works as it is)",
        |_, _| Ok(()),
        |_| String::new(),
    )
    .scope(Scope::FlagOnly),
    row(
        "server",
        "BOOL",
        Value("false"),
        "false",
        "Run as a server: store the state, take part in Raft, schedule when leading",
        |l, v| {
            l.server = Some(switch(v)?);
            Ok(())
        },
        |c| c.server.to_string(),
    )
    .switch(),
    row(
        "bootstrap-expect",
        "N",
        Value("0"),
        "1",
        "Servers to wait for before bootstrapping the cluster (1 = bootstrap alone)",
        |l, v| {
            l.bootstrap_expect = Some(number(v, "a small integer")?);
            Ok(())
        },
        |c| c.bootstrap_expect.to_string(),
    ),
    row(
        "node-name",
        "NAME",
        Described("the host name"),
        "node-a",
        "Unique name of this node (letters, digits, '-', '_' and '.')",
        |l, v| {
            l.node_name = Some(text(v)?);
            Ok(())
        },
        |c| c.node_name.clone(),
    ),
    row(
        "bind-addr",
        "ADDR",
        Value("127.0.0.1:8946"),
        "127.0.0.2:7000",
        "Gossip bind address, IP or IP:port",
        |l, v| {
            l.bind = Some(text(v)?);
            Ok(())
        },
        |c| c.bind.to_string(),
    )
    .flag("bind", &["bind-addr"]),
    row(
        "advertise-addr",
        "ADDR",
        Described("the bind address"),
        "10.0.0.2",
        "Address advertised to other nodes",
        |l, v| {
            l.advertise = Some(text(v)?);
            Ok(())
        },
        |c| c.advertise.to_string(),
    )
    .flag("advertise", &["advertise-addr"]),
    row(
        "http-addr",
        "ADDR",
        Value(super::DEFAULT_HTTP_ADDR),
        "127.0.0.1:9000",
        "HTTP API address: where `agent` listens and where the other commands connect",
        |l, v| {
            l.http_addr = Some(text(v)?);
            Ok(())
        },
        |c| c.http_addr.to_string(),
    )
    .scope(Scope::Global)
    .more("Loopback by default; `:8080` means all interfaces"),
    row(
        "rpc-port",
        "PORT",
        Value("6868"),
        "7000",
        "Internal RPC port, on the bind IP",
        |l, v| {
            l.rpc_port = Some(number(v, "a port number")?);
            Ok(())
        },
        |c| c.rpc_addr.port().to_string(),
    ),
    row(
        "data-dir",
        "DIR",
        Value("belfry.data"),
        "/var/lib/belfry",
        "Where the Raft log and the state live",
        |l, v| {
            l.data_dir = Some(path(v)?);
            Ok(())
        },
        |c| c.data_dir.display().to_string(),
    ),
    row(
        "tags",
        "KEY=VALUE",
        Nothing,
        "pool=web",
        "Node tag key=value (repeatable; replaces the config file's tags)",
        |l, v| {
            l.tags = Some(tags(v)?);
            Ok(())
        },
        |c| {
            let pairs: Vec<String> = c.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            joined(&pairs)
        },
    )
    .flag("tag", &[])
    .repeated(true)
    .more(
        "In the file, a map. Names Belfry sets on every member (`role`, `dc`, `region`, \
         `version`, `server`, `expect`, `rpc_addr`, `http_addr`, `port`, `backlog`) are refused",
    ),
    row(
        "region",
        "NAME",
        Value("global"),
        "eu",
        "Region: Raft membership and job targeting stay within it",
        |l, v| {
            l.region = Some(text(v)?);
            Ok(())
        },
        |c| c.region.clone(),
    ),
    row(
        "datacenter",
        "NAME",
        Value("dc1"),
        "dc2",
        "Datacenter, informational",
        |l, v| {
            l.datacenter = Some(text(v)?);
            Ok(())
        },
        |c| c.datacenter.clone(),
    ),
    row(
        "log-level",
        "LEVEL",
        Value("info"),
        "debug",
        "Log level: trace, debug, info, warn, error",
        |l, v| {
            l.log_level = Some(text(v)?);
            Ok(())
        },
        |c| c.log_level.clone(),
    ),
    row(
        "log-format",
        "FORMAT",
        Value(super::LOG_FORMAT_TEXT),
        super::LOG_FORMAT_JSON,
        "Log format: text (coloured only on a terminal, never with NO_COLOR) or json (one object a line)",
        |l, v| {
            l.log_format = Some(text(v)?);
            Ok(())
        },
        |c| c.log_format.clone(),
    ),
    row(
        "output-limit",
        "BYTES",
        Value("65536"),
        "1024",
        "Bytes of output kept per execution, from the end",
        |l, v| {
            l.output_limit = Some(number(v, "a byte count")?);
            Ok(())
        },
        |c| c.output_limit.to_string(),
    ),
    row(
        "history-limit",
        "N",
        Value("100"),
        "7",
        "Executions kept per job (oldest finished dropped first)",
        |l, v| {
            l.history_limit = Some(number(v, "a small integer")?);
            Ok(())
        },
        |c| c.history_limit.to_string(),
    ),
    row(
        "restore-limit",
        "BYTES",
        Value("1073741824"),
        "1000",
        "Largest state snapshot accepted by an online restore (POST /v1/operator/restore); the body is streamed to a temporary file and refused past this size",
        |l, v| {
            l.restore_limit = Some(number(v, "a byte count")?);
            Ok(())
        },
        |c| c.restore_limit.to_string(),
    ),
    row(
        "shutdown-grace",
        "DURATION",
        Value("30s"),
        "5s",
        "On SIGTERM/SIGINT, how long running jobs may finish before they are killed",
        |l, v| {
            l.shutdown_grace = Some(text(v)?);
            Ok(())
        },
        |c| dur(c.shutdown_grace),
    ),
    row(
        "job-nice",
        "N",
        Value("10"),
        "0",
        "Nice value job processes start with, so the control plane keeps its deadlines when jobs saturate the CPU; 0 to 19, 0 = the agent's own priority",
        |l, v| {
            l.job_nice = Some(number(v, "a nice value from 0 to 19")?);
            Ok(())
        },
        |c| c.job_nice.to_string(),
    )
    .more("See [Job priority](#job-priority)"),
    row(
        "job-cgroup",
        "MODE",
        Value("auto"),
        "off",
        "Cgroup job processes run in, with a low CPU weight against the node: `auto` makes one where the host allows (cgroup v1 cpu, or v2 from the root cgroup), an absolute path names a prepared cgroup directory, `off` keeps jobs in the node's cgroup",
        |l, v| {
            l.job_cgroup = Some(text(v)?);
            Ok(())
        },
        |c| c.job_cgroup.shown(),
    )
    .more("See [Job priority](#job-priority)"),
    row(
        "max-parallel",
        "N",
        Described("4 per CPU core, at least 4"),
        "0",
        "Job processes this node runs at once; accepted launches beyond wait for a slot, in order (late, never lost); 0 = no limit",
        |l, v| {
            l.max_parallel = Some(number(v, "a count")?);
            Ok(())
        },
        |c| {
            if c.max_parallel == 0 {
                "0 (no limit)".into()
            } else {
                c.max_parallel.to_string()
            }
        },
    )
    .more("See [Execution slots](#execution-slots)"),
    row(
        "join",
        "ADDR",
        Nothing,
        "10.0.0.1",
        "Gossip address to join once at start (repeatable; a failure is only a warning)",
        |l, v| {
            l.join = Some(list(v, "a list of addresses")?);
            Ok(())
        },
        |c| joined(&c.join),
    )
    .repeated(true),
    row(
        "retry-join",
        "ADDR",
        Nothing,
        "seed.example",
        "Gossip address to join, retried until it works (repeatable; DNS names re-resolved)",
        |l, v| {
            l.retry_join = Some(list(v, "a list of addresses")?);
            Ok(())
        },
        |c| joined(&c.retry_join),
    )
    .repeated(true)
    .more("Also `provider=dns name=HOST [port=PORT]` and `provider=mdns service=NAME`"),
    row(
        "retry-interval",
        "DURATION",
        Value("30s"),
        "10s",
        "Time between --retry-join attempts",
        |l, v| {
            l.retry_interval = Some(text(v)?);
            Ok(())
        },
        |c| dur(c.retry_interval),
    ),
    row(
        "retry-max",
        "N",
        Value("0"),
        "3",
        "Attempts before --retry-join gives up and the agent exits; 0 = forever",
        |l, v| {
            l.retry_max = Some(number(v, "a small integer")?);
            Ok(())
        },
        |c| c.retry_max.to_string(),
    ),
    row(
        "encrypt",
        "KEY",
        Described("generated by a one-server bootstrap, else required"),
        "c2VjcmV0LWNsdXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc=",
        "Cluster key (base64, 16/24/32 bytes; see `belfry keygen`, `belfry cluster-key`): encrypts and authenticates gossip and RPC; required except on a server bootstrapping a new one-server cluster, which generates it",
        |l, v| {
            l.encrypt = Some(text(v)?);
            Ok(())
        },
        |c| {
            if c.encrypt.is_some() {
                "(set, not shown)".into()
            } else if c.server && c.bootstrap_expect == 1 {
                "- (the key in the data dir; generated at the first start)".into()
            } else {
                "- (required: the agent refuses to start without it)".into()
            }
        },
    )
    .secret(),
    row(
        "dead-server-timeout",
        "DURATION",
        Value("5m"),
        "1m",
        "How long a failed server stays a Raft voter before it is removed",
        |l, v| {
            l.dead_server_timeout = Some(text(v)?);
            Ok(())
        },
        |c| dur(c.dead_server_timeout),
    ),
    row(
        "max-clock-offset",
        "DURATION",
        Value("500ms"),
        "250ms",
        "How far a server's wall clock may be from the voters' median (measured continuously) before it hands leadership over and stops standing for election; under 60s",
        |l, v| {
            l.max_clock_offset = Some(text(v)?);
            Ok(())
        },
        |c| dur(c.max_clock_offset),
    )
    .more("See [Clocks](#clocks)"),
    row(
        "raft-multiplier",
        "N",
        Value("2"),
        "3",
        "Scales Raft's heartbeat (50 ms) and election timeouts (150-200 ms), 1 (fastest failover, for servers with cores to spare) to 10; 2 keeps leadership steady when jobs saturate the CPU",
        |l, v| {
            l.raft_multiplier = Some(number(v, "an integer from 1 to 10")?);
            Ok(())
        },
        |c| c.raft_multiplier.to_string(),
    ),
    row(
        "acl-enabled",
        "BOOL",
        Value("false"),
        "true",
        "Every HTTP API request but /health needs an ACL token (see `belfry acl bootstrap`)",
        |l, v| {
            l.acl_enabled = Some(switch(v)?);
            Ok(())
        },
        |c| c.acl_enabled.to_string(),
    )
    .switch()
    .more("See [security.md](security.md)"),
    row(
        "audit-log",
        "FILE",
        Nothing,
        "/var/log/belfry/audit.jsonl",
        "Append one JSON line per mutating API request (who, what, result) to FILE (created 0600)",
        |l, v| {
            l.audit_log = Some(path(v)?);
            Ok(())
        },
        |c| path_or_dash(c.audit_log.as_ref()),
    ),
    row(
        "metrics-addr",
        "ADDR",
        Nothing,
        "127.0.0.1:9100",
        "Also serve /metrics without a token on this loopback address (for a local scraper)",
        |l, v| {
            l.metrics_addr = Some(text(v)?);
            Ok(())
        },
        |c| or_dash(c.metrics_addr),
    ),
    row(
        "mail-host",
        "HOST",
        Nothing,
        "smtp.example.com",
        "SMTP server for the mail to a job's owner_email when an execution ends (with --mail-port)",
        |l, v| {
            l.notify.mail_host = Some(text(v)?);
            Ok(())
        },
        |c| or_dash(c.notify.mail_host.as_ref()),
    )
    .more("See [Notifications](#notifications)"),
    row(
        "mail-port",
        "PORT",
        Nothing,
        "587",
        "SMTP port; mail is sent only when --mail-host and --mail-port are both set",
        |l, v| {
            l.notify.mail_port = Some(number(v, "a port number")?);
            Ok(())
        },
        |c| or_dash(c.notify.mail_port),
    ),
    row(
        "mail-username",
        "USER",
        Nothing,
        "cron",
        "SMTP user for AUTH PLAIN, with --mail-password (sent only over STARTTLS or to loopback)",
        |l, v| {
            l.notify.mail_username = Some(text(v)?);
            Ok(())
        },
        |c| or_dash(c.notify.mail_username.as_ref()),
    ),
    row(
        "mail-password",
        "PASSWORD",
        Nothing,
        "hunter2-s3cret",
        "SMTP password (prefer BELFRY_MAIL_PASSWORD or the config file: flags show in ps)",
        |l, v| {
            l.notify.mail_password = Some(text(v)?);
            Ok(())
        },
        |c| hidden(c.notify.mail_password.is_some()),
    )
    .secret(),
    row(
        "mail-from",
        "ADDRESS",
        Nothing,
        "cron@example.com",
        "Mail sender, `addr@host` or `Name <addr@host>`; required to send mail",
        |l, v| {
            l.notify.mail_from = Some(text(v)?);
            Ok(())
        },
        |c| or_dash(c.notify.mail_from.as_ref()),
    ),
    row(
        "mail-payload",
        "TEMPLATE",
        Value(super::DEFAULT_MAIL_PAYLOAD),
        "{{.JobName}}: {{.Output}}",
        "Mail body template (Go template syntax, see docs)",
        |l, v| {
            l.notify.mail_payload = Some(text(v)?);
            Ok(())
        },
        |c| {
            c.notify
                .mail_payload
                .clone()
                .unwrap_or_else(|| super::DEFAULT_MAIL_PAYLOAD.into())
        },
    ),
    row(
        "mail-subject-prefix",
        "TEXT",
        Value(super::DEFAULT_MAIL_SUBJECT_PREFIX),
        "[ops] ",
        "Subject prefix; the subject is `<prefix><Success|Failed> <job> execution report`",
        |l, v| {
            l.notify.mail_subject_prefix = Some(text(v)?);
            Ok(())
        },
        |c| {
            c.notify
                .mail_subject_prefix
                .clone()
                .unwrap_or_else(|| super::DEFAULT_MAIL_SUBJECT_PREFIX.into())
        },
    ),
    row(
        "pre-webhook-endpoint",
        "URL",
        Nothing,
        "https://hooks.example/start",
        "URL the leader POSTs to when an execution starts",
        |l, v| {
            l.notify.pre_webhook_endpoint = Some(text(v)?);
            Ok(())
        },
        |c| or_dash(c.notify.pre_webhook_endpoint.as_ref()),
    ),
    row(
        "pre-webhook-payload",
        "TEMPLATE",
        Value(super::DEFAULT_WEBHOOK_PAYLOAD),
        "{{.JobName}}",
        "Body template of the start webhook",
        |l, v| {
            l.notify.pre_webhook_payload = Some(text(v)?);
            Ok(())
        },
        |c| {
            c.notify
                .pre_webhook_payload
                .clone()
                .unwrap_or_else(|| super::DEFAULT_WEBHOOK_PAYLOAD.into())
        },
    ),
    row(
        "pre-webhook-headers",
        "HEADER",
        Nothing,
        "Authorization: Bearer s3cret-start",
        "Header `Name: value` of the start webhook (repeatable; `Host` sets the request's host)",
        |l, v| {
            l.notify.pre_webhook_headers = Some(list(v, "a list of \"Name: value\" headers")?);
            Ok(())
        },
        |c| header_names(c.notify.pre_webhook_headers.as_ref()),
    )
    .repeated(false)
    .secret(),
    row(
        "webhook-endpoint",
        "URL",
        Nothing,
        "https://hooks.example/end",
        "URL the leader POSTs to when an execution ends (after its last retry)",
        |l, v| {
            l.notify.webhook_endpoint = Some(text(v)?);
            Ok(())
        },
        |c| or_dash(c.notify.webhook_endpoint.as_ref()),
    ),
    row(
        "webhook-payload",
        "TEMPLATE",
        Value(super::DEFAULT_WEBHOOK_PAYLOAD),
        "{{.JobName}}",
        "Body template of the end webhook",
        |l, v| {
            l.notify.webhook_payload = Some(text(v)?);
            Ok(())
        },
        |c| {
            c.notify
                .webhook_payload
                .clone()
                .unwrap_or_else(|| super::DEFAULT_WEBHOOK_PAYLOAD.into())
        },
    ),
    row(
        "webhook-headers",
        "HEADER",
        Nothing,
        "Authorization: Bearer s3cret-end",
        "Header `Name: value` of the end webhook (repeatable; `Host` sets the request's host)",
        |l, v| {
            l.notify.webhook_headers = Some(list(v, "a list of \"Name: value\" headers")?);
            Ok(())
        },
        |c| header_names(c.notify.webhook_headers.as_ref()),
    )
    .repeated(false)
    .secret(),
    row(
        "tls-cert",
        "FILE",
        Nothing,
        "/etc/belfry/api.pem",
        "PEM certificate (chain) the HTTP API serves TLS with (with --tls-key); re-read on SIGHUP and when the file changes",
        |l, v| {
            l.security.tls_cert = Some(path(v)?);
            Ok(())
        },
        |c| path_or_dash(c.security.tls.as_ref().map(|t| &t.cert)),
    )
    .more("See [security.md](security.md#tls)"),
    row(
        "tls-key",
        "FILE",
        Nothing,
        "/etc/belfry/api-key.pem",
        "PEM private key of --tls-cert",
        |l, v| {
            l.security.tls_key = Some(path(v)?);
            Ok(())
        },
        |c| path_or_dash(c.security.tls.as_ref().map(|t| &t.key)),
    ),
    row(
        "tls-client-ca",
        "FILE",
        Nothing,
        "/etc/belfry/ca.pem",
        "PEM CA: the HTTP API then requires client certificates signed by it",
        |l, v| {
            l.security.tls_client_ca = Some(path(v)?);
            Ok(())
        },
        |c| {
            path_or_dash(
                c.security
                    .tls
                    .as_ref()
                    .and_then(|t| t.client_ca.as_ref()),
            )
        },
    ),
    row(
        "cors-allowed-origin",
        "ORIGIN",
        Nothing,
        "https://ops.example",
        "Browser origin (scheme://host[:port]) allowed to call the API: CORS and writes (repeatable)",
        |l, v| {
            l.security.cors_allowed_origins = Some(list(v, "a list of strings")?);
            Ok(())
        },
        |c| joined(&c.security.cors_allowed_origins),
    )
    .repeated(true),
    row(
        "allowed-host",
        "HOST",
        Nothing,
        "belfry.example",
        "Host header value accepted besides the node's IPs, localhost and node name: `host` or `host:port` (repeatable)",
        |l, v| {
            l.security.allowed_hosts = Some(list(v, "a list of strings")?);
            Ok(())
        },
        |c| joined(&c.security.allowed_hosts),
    )
    .repeated(true),
    row(
        "header-read-timeout",
        "DURATION",
        Value("10s"),
        "5s",
        "Time a connection (HTTP API and RPC) has to send a request's headers or finish its TLS handshake; idle keep-alive connections are closed after it too",
        |l, v| {
            l.security.header_read_timeout = Some(text(v)?);
            Ok(())
        },
        |c| dur(c.security.limits.header_read_timeout),
    ),
    row(
        "max-connections",
        "N",
        Value("4096"),
        "100",
        "Open connections per listener (HTTP API, RPC)",
        |l, v| {
            l.security.max_connections = Some(number(v, "a small integer")?);
            Ok(())
        },
        |c| c.security.limits.max_connections.to_string(),
    ),
    row(
        "max-connections-per-ip",
        "N",
        Value("256"),
        "10",
        "Open connections per client IP per listener",
        |l, v| {
            l.security.max_connections_per_ip = Some(number(v, "a small integer")?);
            Ok(())
        },
        |c| c.security.limits.max_connections_per_ip.to_string(),
    ),
    row(
        "allow-su",
        "BOOL",
        Value("false"),
        "true",
        "Let shell jobs use `su` to run as another user (off: such runs fail)",
        |l, v| {
            l.security.allow_su = Some(switch(v)?);
            Ok(())
        },
        |c| c.security.allow_su.to_string(),
    )
    .switch(),
    row(
        "insecure-http",
        "BOOL",
        Value("false"),
        "false",
        "Serve the HTTP API on a non-loopback address without ACLs or client certificates (protected mode refuses to start otherwise; warned at every start)",
        |l, v| {
            l.security.insecure_http = Some(switch(v)?);
            Ok(())
        },
        |c| c.security.insecure_http.to_string(),
    )
    .switch()
    .more("See [security.md](security.md)"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{one_key_base, parse_file, resolve};

    fn listing(layer: ConfigLayer) -> BTreeMap<&'static str, String> {
        let config = resolve(layer).unwrap_or_else(|e| panic!("{e}"));
        effective(&config).into_iter().collect()
    }

    #[test]
    fn rows_are_well_formed_and_help_carries_no_hand_typed_default() {
        let mut names = std::collections::BTreeSet::new();
        let mut keys = std::collections::BTreeSet::new();
        for s in SETTINGS {
            assert!(keys.insert(s.key), "key {} twice", s.key);
            for name in std::iter::once(&s.flag).chain(s.aliases) {
                assert!(names.insert(*name), "flag --{name} twice");
                assert!(
                    name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                    "--{name} is not kebab-case"
                );
            }
            assert!(
                s.key.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not kebab-case",
                s.key
            );
            // A default written into the help text is what drifted before: it comes from
            // `default` only.
            assert!(!s.help.contains("[default"), "{}: {}", s.key, s.help);
            assert!(!s.help.is_empty() && !s.example.is_empty(), "{}", s.key);
            assert!(
                s.value_name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '=' || c == '_'),
                "{}: {}",
                s.key,
                s.value_name
            );
            if let Shown::Value(v) = s.default {
                assert!(s.help_text().ends_with(&format!(" [default: {v}]")));
            }
        }
        assert_eq!(by_flag("bind").unwrap().env(), "BELFRY_BIND");
        assert_eq!(
            by_flag("max-connections-per-ip").unwrap().env(),
            "BELFRY_MAX_CONNECTIONS_PER_IP"
        );
        assert_eq!(by_file_key("bind-addr").unwrap().flag, "bind");
        assert_eq!(by_file_key("tag").unwrap().key, "tags");
        assert!(by_file_key("config").is_none(), "a file cannot name a file");
    }

    /// Giving a documented default explicitly changes nothing `config check` shows; a setting
    /// with no default shows `-` when unset.
    #[test]
    fn documented_defaults_are_the_real_defaults() {
        let unset = listing(ConfigLayer::default());
        for s in SETTINGS.iter().filter(|s| s.scope != Scope::FlagOnly) {
            match s.default {
                Shown::Value(v) => {
                    let layer = layer_from_values([(s, vec![v.to_string()])]).unwrap();
                    assert_ne!(layer, ConfigLayer::default(), "{} read nothing", s.key);
                    assert_eq!(
                        listing(layer),
                        unset,
                        "{}: default {v:?} is not the real one",
                        s.key
                    );
                }
                Shown::Nothing => assert_eq!(unset[s.key], "-", "{}", s.key),
                Shown::Described(_) => {}
            }
        }
        assert_eq!(
            unset.len(),
            SETTINGS.len() - 1,
            "every key but --config is listed"
        );
    }

    /// Each setting reads the same from its flag and from every name the file accepts, lands
    /// in the resolved configuration, and `config check` shows it (secrets only as set).
    #[test]
    fn every_setting_reads_alike_from_flags_and_file_and_is_listed() {
        let base = listing(one_key_base());
        for s in SETTINGS.iter().filter(|s| s.scope != Scope::FlagOnly) {
            let from_flag = layer_from_values([(s, vec![s.example.to_string()])]).unwrap();
            let quoted = serde_json::to_string(s.example).unwrap();
            for name in [s.key, s.flag].iter().chain(s.aliases) {
                let yaml = match s.form {
                    Form::Repeated { .. } => format!("{name}: [{quoted}]\n"),
                    _ => format!("{name}: {quoted}\n"),
                };
                let file = parse_file(&yaml, "t.yml").unwrap_or_else(|e| panic!("{yaml}: {e}"));
                assert_eq!(file.layer, from_flag, "{yaml}");
                let snake = yaml.replace('-', "_");
                if !s.example.contains('-') {
                    assert_eq!(
                        parse_file(&snake, "t.yml").unwrap().layer,
                        from_flag,
                        "{snake}"
                    );
                }
            }
            let shown = listing(from_flag.over(one_key_base()));
            assert_ne!(
                shown[s.key], base[s.key],
                "{}: the example does not show",
                s.key
            );
            if s.secret {
                let secret = s
                    .example
                    .split_once(':')
                    .map_or(s.example, |(_, v)| v.trim());
                for (key, line) in &shown {
                    assert!(!line.contains(secret), "{} shows in {key}: {line}", s.key);
                }
            }
        }
    }

    #[test]
    fn flag_values_are_read_by_their_setting() {
        let port = by_flag("rpc-port").unwrap();
        let e = layer_from_values([(port, vec!["70000".into()])]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--rpc-port: expected a port number, got \"70000\""
        );
        let tag = by_flag("tag").unwrap();
        let e = layer_from_values([(tag, vec!["a=1".into(), "b".into()])]).unwrap_err();
        assert_eq!(e.to_string(), "--tag: \"b\" is not key=value");
        let layer = layer_from_values([(port, vec!["1".into(), "2".into()])]).unwrap();
        assert_eq!(layer.rpc_port, Some(2), "the last value wins");
    }

    #[test]
    fn docs_table_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operating.md");
        let text = std::fs::read_to_string(path).unwrap();
        let fresh = with_docs_table(&text).expect("docs/operating.md lacks the settings markers");
        assert!(
            fresh == text,
            "docs/operating.md's settings table is stale: run `cargo run -- generate .`"
        );
        for s in SETTINGS {
            assert!(text.contains(&format!("`{}`", s.env())), "{}", s.key);
        }
    }
}
