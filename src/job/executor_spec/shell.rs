//! The shell executor's settings (`executor_config` of a job with `executor: shell`), parsed
//! and checked without running anything: the same parse decides whether a job may be saved
//! and what the node runs (`node::executor::shell`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;

use crate::duration::parse_go_duration;

/// The shell used when `shell` is true.
const SHELL_PATH: &str = "/bin/sh";

/// Parsed, validated shell executor config (Dkron `executor_config` string map).
#[derive(Debug, Clone, PartialEq)]
pub struct ShellSpec {
    /// The command line: given to `/bin/sh -c` when `shell` is true, otherwise split into words
    /// with shell quoting rules and executed directly.
    pub command: String,
    /// Run through `/bin/sh -c`.
    pub shell: bool,
    /// Extra environment variables, in order, added to the agent's environment.
    pub env: Vec<(String, String)>,
    /// Working directory; `None` means the agent's.
    pub cwd: Option<PathBuf>,
    /// Kill the process group after this long; `None` (or zero) means no limit.
    pub timeout: Option<Duration>,
    /// Kill the process group when its processes hold more than this many bytes resident.
    pub mem_limit: Option<u64>,
    /// Run as this user (and group) instead of the agent's.
    pub su: Option<SwitchUser>,
    /// Written to the command's stdin, which is then closed; `None` means stdin is `/dev/null`.
    pub payload: Option<Vec<u8>>,
    /// The exit codes that count as success, sorted: `[0]` unless `allowed_exit_codes` says
    /// otherwise.
    pub allowed_exit_codes: Vec<i32>,
    /// Nice value the process starts with (0 = the agent's priority). Not part of the job's
    /// config: the runner sets it from the node's `--job-nice`.
    pub nice: i32,
    /// The cgroup directory the process joins before `exec` (`None` = the agent's cgroup). Not
    /// part of the job's config: the runner sets it from the node's `--job-cgroup`.
    pub cgroup: Option<PathBuf>,
}

/// The `su` setting: `user` or `user:group`, by name. Names are looked up on the node that runs
/// the job, when it runs: the user may exist only there.
#[derive(Debug, Clone, PartialEq)]
pub struct SwitchUser {
    pub user: String,
    /// `None`: the user's primary group.
    pub group: Option<String>,
}

impl std::fmt::Display for SwitchUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.group {
            Some(group) => write!(f, "{}:{group}", self.user),
            None => f.write_str(&self.user),
        }
    }
}

/// Why an `executor_config` map is not a valid shell executor config. The message always
/// names the offending key.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ShellConfigError {
    /// `command` is absent, empty or only whitespace.
    #[error("executor_config.command is required")]
    MissingCommand,
    /// `shell` is not true and `command` cannot be split into words.
    #[error("executor_config.command: cannot split into words: {0}")]
    InvalidCommand(String),
    /// An `env` entry is not `KEY=value` with a non-empty key.
    #[error("executor_config.env: entry {entry:?} {reason}")]
    InvalidEnv {
        /// The offending comma-separated entry.
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `timeout` is not a Go duration.
    #[error("executor_config.timeout: {0}")]
    InvalidTimeout(String),
    /// `mem_limit` is not a size.
    #[error("executor_config.mem_limit: {0}")]
    InvalidMemLimit(String),
    /// `su` is not `user` or `user:group`.
    #[error("executor_config.su: {0}")]
    InvalidSu(String),
    /// `payload` is not standard base64.
    #[error("executor_config.payload: {0}")]
    InvalidPayload(String),
    /// `allowed_exit_codes` is not a comma-separated list of exit codes.
    #[error("executor_config.allowed_exit_codes: {0}")]
    InvalidExitCodes(String),
}

impl ShellSpec {
    /// Validates a Dkron shell `executor_config` map.
    ///
    /// Keys:
    /// - `command` (required, not blank).
    /// - `shell`: true (Go `strconv.ParseBool` spellings, as Dkron: `true`, `1`, `t`, `T`,
    ///   `TRUE`, `True`) runs `/bin/sh -c <command>`; anything else, or absent, splits the
    ///   command with shell-words and executes it directly. A split error is a config error.
    /// - `env`: `K1=v1,K2=v2`, split on commas (values cannot contain commas, as in Dkron).
    ///   Each entry needs a `=` and a non-empty key; whitespace around the key is trimmed,
    ///   the value is kept as written. Empty entries (`A=1,`) are skipped.
    /// - `cwd`: working directory; empty means the agent's. Its existence is checked only when
    ///   the job runs (it may be on another node).
    /// - `timeout`: Go duration (`30s`, `1h30m`); absent, empty or zero means no timeout.
    /// - `mem_limit`: a size, see [`parse_size`]; absent or empty means no limit.
    /// - `su`: `user` or `user:group`; absent or empty runs as the agent's user. Whether the
    ///   names exist is checked when the job runs (on its node).
    /// - `payload`: standard base64 (padded; line breaks are ignored, as Go's decoder does).
    /// - `allowed_exit_codes` (Belfry's): comma-separated exit codes (0-255) that count as
    ///   success, replacing the default `0`: `"0,1"`. Dkron has no such key (its shell
    ///   documentation's `"success_count": "0,1,2"` is not implemented).
    ///
    /// Unknown keys are ignored, as Dkron ignores them.
    pub fn from_config(config: &BTreeMap<String, String>) -> Result<ShellSpec, ShellConfigError> {
        let command = config.get("command").map(String::as_str).unwrap_or("");
        if command.trim().is_empty() {
            return Err(ShellConfigError::MissingCommand);
        }
        let shell = config.get("shell").is_some_and(|v| go_parse_bool_true(v));
        if !shell {
            split_command(command).map_err(ShellConfigError::InvalidCommand)?;
        }

        let mut env = Vec::new();
        for entry in config
            .get("env")
            .map(String::as_str)
            .unwrap_or("")
            .split(',')
        {
            if entry.is_empty() {
                continue;
            }
            let Some((key, value)) = entry.split_once('=') else {
                return Err(ShellConfigError::InvalidEnv {
                    entry: entry.to_string(),
                    reason: "has no '=' (expected KEY=value)",
                });
            };
            let key = key.trim();
            if key.is_empty() {
                return Err(ShellConfigError::InvalidEnv {
                    entry: entry.to_string(),
                    reason: "has an empty key (expected KEY=value)",
                });
            }
            if key.contains('\0') || value.contains('\0') {
                return Err(ShellConfigError::InvalidEnv {
                    entry: entry.to_string(),
                    reason: "contains a NUL byte",
                });
            }
            env.push((key.to_string(), value.to_string()));
        }

        let cwd = config
            .get("cwd")
            .filter(|c| !c.is_empty())
            .map(PathBuf::from);

        let timeout = match non_empty(config, "timeout") {
            None => None,
            Some(text) => {
                let d = parse_go_duration(text).map_err(ShellConfigError::InvalidTimeout)?;
                (!d.is_zero()).then_some(d)
            }
        };

        let mem_limit = non_empty(config, "mem_limit")
            .map(parse_size)
            .transpose()
            .map_err(ShellConfigError::InvalidMemLimit)?;

        let su = config
            .get("su")
            .filter(|v| !v.is_empty())
            .map(|v| parse_su(v))
            .transpose()
            .map_err(ShellConfigError::InvalidSu)?;

        let payload = config
            .get("payload")
            .filter(|v| !v.is_empty())
            .map(|v| decode_payload(v))
            .transpose()
            .map_err(ShellConfigError::InvalidPayload)?;

        let allowed_exit_codes = match non_empty(config, "allowed_exit_codes") {
            None => vec![0],
            Some(text) => parse_exit_codes(text).map_err(ShellConfigError::InvalidExitCodes)?,
        };

        Ok(ShellSpec {
            command: command.to_string(),
            shell,
            env,
            cwd,
            timeout,
            mem_limit,
            su,
            payload,
            allowed_exit_codes,
            nice: 0,
            cgroup: None,
        })
    }

    /// The program and its arguments.
    pub fn argv(&self) -> Result<Vec<String>, String> {
        if self.shell {
            Ok(vec![
                SHELL_PATH.to_string(),
                "-c".to_string(),
                self.command.clone(),
            ])
        } else {
            split_command(&self.command)
        }
    }
}

/// The value of `key`, trimmed, unless absent or blank.
fn non_empty<'a>(config: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    config.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Go's `strconv.ParseBool` true spellings (Dkron parses `shell` with it).
fn go_parse_bool_true(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// Splits a non-shell command into words; the first word must not be empty.
fn split_command(command: &str) -> Result<Vec<String>, String> {
    let words = shell_words::split(command).map_err(|e| e.to_string())?;
    match words.first() {
        None => Err("no words".to_string()),
        Some(program) if program.is_empty() => Err("empty program name".to_string()),
        Some(_) => Ok(words),
    }
}

/// Parses a size as Dkron's `mem_limit` does: a number of bytes (`1048576`), or a number
/// (fractions allowed) and a unit, case-insensitive: `B`, `K`/`KB`, `M`/`MB`, `G`/`GB`,
/// `T`/`TB`, which **count in 1024s** as in Dkron (`100MB` is 104,857,600 bytes). `KiB`, `MiB`,
/// `GiB` and `TiB` are accepted too, with the same meaning. The result is at least one byte.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    if let Ok(bytes) = trimmed.parse::<u64>() {
        return if bytes == 0 {
            Err(format!("{text:?} must be greater than 0"))
        } else {
            Ok(bytes)
        };
    }
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let expected = "expected bytes or a number with a unit, such as 512MB or 1GiB";
    if number.is_empty() {
        return Err(format!("{text:?} is not a size ({expected})"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?}: {number:?} is not a number ({expected})"))?;
    let multiplier: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" | "BYTES" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {:?} (use B, KB, MB, GB or TB, which count in 1024s, \
                 or KiB, MiB, GiB, TiB)",
                unit.trim()
            ));
        }
    };
    let bytes = value * multiplier as f64;
    if bytes < 1.0 {
        return Err(format!("{text:?} must be at least one byte"));
    }
    if bytes >= u64::MAX as f64 {
        return Err(format!("{text:?} is too large"));
    }
    Ok(bytes as u64)
}

/// `user` or `user:group` (Dkron splits on `:` too, and ignores anything after a second one;
/// Belfry refuses it).
fn parse_su(text: &str) -> Result<SwitchUser, String> {
    let expected = "expected user or user:group";
    if text.contains('\0') {
        return Err(format!("{text:?} contains a NUL byte"));
    }
    let mut parts = text.split(':');
    let user = parts.next().unwrap_or("");
    let group = parts.next();
    if parts.next().is_some() {
        return Err(format!("{text:?} has more than one ':' ({expected})"));
    }
    if user.is_empty() {
        return Err(format!("{text:?} names no user ({expected})"));
    }
    if group == Some("") {
        return Err(format!("{text:?} names no group after ':' ({expected})"));
    }
    Ok(SwitchUser {
        user: user.to_string(),
        group: group.map(str::to_string),
    })
}

/// Standard, padded base64, as Go's `base64.StdEncoding` decodes it (line breaks ignored).
fn decode_payload(text: &str) -> Result<Vec<u8>, String> {
    let compact: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| format!("not standard base64: {e}"))
}

/// `0,1, 3`: exit codes 0-255, sorted and without repeats. Empty entries are skipped.
fn parse_exit_codes(text: &str) -> Result<Vec<i32>, String> {
    let mut codes = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match entry.parse::<u8>() {
            Ok(code) => codes.push(i32::from(code)),
            Err(_) => {
                return Err(format!(
                    "{entry:?} is not an exit code (a number from 0 to 255)"
                ));
            }
        }
    }
    if codes.is_empty() {
        return Err(format!("{text:?} lists no exit code"));
    }
    codes.sort_unstable();
    codes.dedup();
    Ok(codes)
}
