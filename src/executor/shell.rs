//! The built-in `shell` executor, compatible with Dkron's (`plugin/shell`).
//!
//! [`ShellSpec::from_config`] validates a job's `executor_config` map once, so bad configs are
//! refused when a job is submitted rather than when it fires. [`run_shell`] runs one execution
//! and always returns a [`ShellOutcome`]: a command that cannot be started is a failed outcome,
//! never an `Err` or a panic.
//!
//! How a run works:
//!
//! - The child gets its own process group (`setpgid(0, 0)`), so a timeout or an agent shutdown
//!   can SIGKILL the whole tree with `killpg`, grandchildren included (as Dkron does).
//! - stdout and stderr are the *same* pipe, so the output keeps the order in which the child
//!   wrote it. stdin is `/dev/null`.
//! - Only the last `output_limit` bytes of output are kept, in a buffer that never grows past
//!   that limit, however much the child writes.
//! - When the main child exits, output is drained for at most [`DRAIN_AFTER_EXIT`] more (a
//!   background process may still hold the pipe open), then the job's process group is
//!   SIGKILLed. **Unlike Dkron, processes a job leaves running in its process group are killed
//!   when the job ends**: leaving orphans behind on every run is worse than breaking the rare
//!   job that starts a daemon with a plain `&`. A job that really wants to leave something
//!   running must detach it into its own session or group (`setsid cmd &`); such a process is
//!   not tracked, and if it keeps the output pipe open its later output is simply not read.
//!
//! Known limits:
//!
//! - The final group kill happens after the main child has been reaped. If every process of
//!   the group is gone by then, the group id is free and could in theory be reused by an
//!   unrelated new group in that instant; that needs a full wrap-around of the pid space within
//!   the [`DRAIN_AFTER_EXIT`] window, which is not a practical concern.
//! - Killed orphans are reparented to the nearest subreaper or init. If the agent itself runs as
//!   PID 1 of a container it must reap them (or run under an init such as `tini`).

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::pin::pin;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::process::Command;
use tokio::time::Instant;

use crate::duration::parse_go_duration;

/// How many bytes of output Belfry keeps per execution unless configured otherwise.
pub const DEFAULT_OUTPUT_LIMIT: usize = 64 * 1024;

/// How long output is still read after the main child has exited, for background processes
/// that hold the pipe open.
pub const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(200);

/// The shell used when `shell` is true.
const SHELL_PATH: &str = "/bin/sh";

/// Size of one read from the output pipe.
const READ_CHUNK: usize = 32 * 1024;

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

        let timeout = match config.get("timeout").map(|t| t.trim()) {
            None | Some("") => None,
            Some(text) => {
                let d = parse_go_duration(text).map_err(ShellConfigError::InvalidTimeout)?;
                (!d.is_zero()).then_some(d)
            }
        };

        // Dkron's `mem_limit`, `su` and `payload` are accepted so that Dkron jobs load, but they
        // are not applied yet: no memory limit is enforced, the command runs as the agent's
        // user, and stdin is /dev/null instead of the payload.
        for key in ["mem_limit", "su", "payload"] {
            if config.get(key).is_some_and(|v| !v.is_empty()) {
                tracing::warn!(
                    key = %format!("executor_config.{key}"),
                    "shell executor option is not supported yet and is ignored"
                );
            }
        }

        Ok(ShellSpec {
            command: command.to_string(),
            shell,
            env,
            cwd,
            timeout,
        })
    }

    /// The program and its arguments.
    fn argv(&self) -> Result<Vec<String>, String> {
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

/// The result of one shell execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ShellOutcome {
    /// Just after the spawn succeeded (or the attempt time if it failed).
    pub started_at: DateTime<Utc>,
    /// When the run was over: child reaped, output drained, process group killed.
    pub finished_at: DateTime<Utc>,
    /// `None` if killed by a signal or never started.
    pub exit_code: Option<i32>,
    /// Exit code 0, and neither timed out nor killed at shutdown.
    pub success: bool,
    /// stdout and stderr merged in write order, only the last `output_limit` bytes (lossy
    /// UTF-8, starting on a char boundary), followed by `[belfry] ...` notes (timeout, kill,
    /// spawn error).
    pub output: String,
    /// Bytes were dropped from the front of the output.
    pub output_truncated: bool,
    /// Short reason when `!success`: `exit code 3`, `timed out after 2s`, `killed by signal 9`,
    /// `killed: agent shutting down`, `failed to start: ...`.
    pub error: Option<String>,
}

impl ShellOutcome {
    fn not_started(attempt_at: DateTime<Utc>, reason: String, note: String) -> ShellOutcome {
        ShellOutcome {
            started_at: attempt_at,
            finished_at: Utc::now(),
            exit_code: None,
            success: false,
            output: note,
            output_truncated: false,
            error: Some(format!("failed to start: {reason}")),
        }
    }
}

/// Why Belfry killed the process group before the main child exited.
#[derive(Debug, Clone, Copy)]
enum KillReason {
    Timeout(Duration),
    Shutdown,
}

/// Runs the command described by `spec` and waits for it.
///
/// `extra_env` is added after the spec's env (so it wins on a clash); the child inherits the
/// agent's environment plus both. Only the last `output_limit` bytes of output are kept.
/// When `cancel` resolves (the shutdown grace period is over) the process group is killed as
/// on a timeout, with the note `[belfry] killed: agent shutting down`. `on_spawn` receives the
/// child's pid (which is also its process group id) right after a successful spawn.
///
/// If the returned future is dropped before completion, the process group is SIGKILLed.
pub async fn run_shell(
    spec: &ShellSpec,
    extra_env: &[(String, String)],
    output_limit: usize,
    cancel: impl Future<Output = ()>,
    on_spawn: impl FnOnce(u32),
) -> ShellOutcome {
    let attempt_at = Utc::now();
    let argv = match spec.argv() {
        Ok(argv) => argv,
        Err(e) => {
            let reason = format!("invalid command: {e}");
            let note = format!("[belfry] failed to start: {reason}");
            return ShellOutcome::not_started(attempt_at, reason, note);
        }
    };
    let start_failed = |e: io::Error| {
        let place = match &spec.cwd {
            Some(cwd) => format!(" in {cwd:?}"),
            None => String::new(),
        };
        let note = format!("[belfry] failed to start {:?}{place}: {e}", argv[0]);
        ShellOutcome::not_started(attempt_at, e.to_string(), note)
    };

    let (read_end, write_end) = match output_pipe() {
        Ok(ends) => ends,
        Err(e) => return start_failed(e),
    };
    let mut receiver = match pipe::Receiver::from_owned_fd(read_end) {
        Ok(r) => r,
        Err(e) => return start_failed(e),
    };
    let write_end_2 = match write_end.try_clone() {
        Ok(fd) => fd,
        Err(e) => return start_failed(e),
    };

    let spawned = {
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .envs(extra_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(write_end))
            .stderr(Stdio::from(write_end_2))
            .process_group(0)
            .kill_on_drop(true);
        if let Some(cwd) = &spec.cwd {
            cmd.current_dir(cwd);
        }
        cmd.spawn()
        // `cmd` is dropped here, closing the parent's copies of the pipe's write end: the
        // read end only sees EOF once every writer has closed it.
    };
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => return start_failed(e),
    };
    let started_at = Utc::now();
    let pid = child.id();
    let mut group = ProcessGroup::new(pid);
    if let Some(pid) = pid {
        tracing::debug!(pid, command = %spec.command, "shell job started");
        on_spawn(pid);
    }

    let timeout = spec.timeout.filter(|t| !t.is_zero());
    let mut timeout_sleep = pin!(tokio::time::sleep(timeout.unwrap_or(Duration::MAX)));
    let mut drain_sleep = pin!(tokio::time::sleep(Duration::MAX));
    let mut cancel = pin!(cancel);
    let mut cancel_fired = false;

    let mut tail = Tail::new(output_limit);
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut reading = true;
    let mut read_error: Option<io::Error> = None;
    let mut drain_abandoned = false;
    let mut status: Option<io::Result<ExitStatus>> = None;
    let mut killed: Option<(KillReason, io::Result<()>)> = None;

    while reading || status.is_none() {
        tokio::select! {
            res = receiver.read(&mut chunk), if reading => match res {
                Ok(0) => reading = false,
                Ok(n) => tail.push(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    read_error = Some(e);
                    reading = false;
                }
            },
            res = child.wait(), if status.is_none() => {
                status = Some(res);
                drain_sleep.as_mut().reset(Instant::now() + DRAIN_AFTER_EXIT);
            },
            () = &mut timeout_sleep, if timeout.is_some() && killed.is_none() && status.is_none() => {
                let reason = KillReason::Timeout(timeout.unwrap_or_default());
                killed = Some((reason, group.kill()));
            },
            () = &mut cancel, if !cancel_fired => {
                cancel_fired = true;
                let result = group.kill();
                if status.is_none() && killed.is_none() {
                    killed = Some((KillReason::Shutdown, result));
                }
            },
            () = &mut drain_sleep, if status.is_some() && reading => {
                reading = false;
                drain_abandoned = true;
            },
        }
    }
    drop(receiver);
    // Whatever is left of the job's process group goes now (see the module docs).
    group.finish();
    let finished_at = Utc::now();

    let exit_status = status.as_ref().and_then(|s| s.as_ref().ok());
    let exit_code = exit_status.and_then(ExitStatus::code);
    let mut notes = Vec::new();
    let error = match &killed {
        Some((KillReason::Timeout(d), kill_result)) => {
            let after = format_go_duration(*d);
            notes.push(match kill_result {
                Ok(()) => format!("[belfry] timed out after {after}: process group killed"),
                Err(e) => {
                    format!(
                        "[belfry] timed out after {after}: killing the process group failed: {e}"
                    )
                }
            });
            Some(format!("timed out after {after}"))
        }
        Some((KillReason::Shutdown, kill_result)) => {
            notes.push(match kill_result {
                Ok(()) => "[belfry] killed: agent shutting down".to_string(),
                Err(e) => {
                    format!("[belfry] agent shutting down: killing the process group failed: {e}")
                }
            });
            Some("killed: agent shutting down".to_string())
        }
        None => match &status {
            Some(Ok(st)) => match (st.code(), st.signal()) {
                (Some(0), _) => None,
                (Some(code), _) => Some(format!("exit code {code}")),
                (None, Some(signal)) => Some(format!("killed by signal {signal}")),
                (None, None) => Some(format!("exited abnormally: {st}")),
            },
            Some(Err(e)) => Some(format!("failed to wait for the process: {e}")),
            None => Some("finished in an unknown state".to_string()),
        },
    };
    if let Some(e) = read_error {
        notes.push(format!("[belfry] reading the output failed: {e}"));
    }
    if drain_abandoned {
        notes.push(format!(
            "[belfry] output still open {} after the command exited \
             (a background process holds it); stopped reading",
            format_go_duration(DRAIN_AFTER_EXIT)
        ));
    }

    let (mut output, output_truncated) = tail.into_output();
    for note in notes {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&note);
    }
    tracing::debug!(?pid, ?exit_code, ?error, "shell job finished");

    ShellOutcome {
        started_at,
        finished_at,
        exit_code,
        success: error.is_none(),
        output,
        output_truncated,
        error,
    }
}

/// A close-on-exec pipe: (read end, write end).
fn output_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [-1, -1];
    #[cfg(not(any(target_os = "macos", target_os = "ios")))]
    {
        // SAFETY: `fds` is a writable array of two c_ints, as pipe2 requires.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        // SAFETY: `fds` is a writable array of two c_ints, as pipe requires.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        for fd in fds {
            // SAFETY: `fd` was just returned by pipe and is open.
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
    }
    // SAFETY: the call succeeded, so both descriptors are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The child's process group. SIGKILLs it on drop unless [`ProcessGroup::finish`] already did.
struct ProcessGroup {
    pgid: Option<libc::pid_t>,
}

impl ProcessGroup {
    fn new(pid: Option<u32>) -> ProcessGroup {
        // Never 0 (our own group), negative, or 1.
        let pgid = pid
            .and_then(|p| libc::pid_t::try_from(p).ok())
            .filter(|&p| p > 1);
        ProcessGroup { pgid }
    }

    /// SIGKILLs every process in the group. A group that no longer exists is not an error.
    fn kill(&self) -> io::Result<()> {
        let Some(pgid) = self.pgid else {
            return Ok(());
        };
        // SAFETY: killpg has no memory-safety preconditions; `pgid` > 1 is the group created
        // for our child.
        if unsafe { libc::killpg(pgid, libc::SIGKILL) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ESRCH) {
            Ok(())
        } else {
            Err(e)
        }
    }

    /// Kills what is left of the group, once.
    fn finish(&mut self) {
        if let Err(e) = self.kill() {
            tracing::warn!(pgid = ?self.pgid, error = %e, "could not kill the job's process group");
        }
        self.pgid = None;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// The last `limit` bytes written. Its length never exceeds `limit`, and neither does its
/// capacity.
struct Tail {
    buf: VecDeque<u8>,
    limit: usize,
    truncated: bool,
}

impl Tail {
    fn new(limit: usize) -> Tail {
        Tail {
            buf: VecDeque::new(),
            limit,
            truncated: false,
        }
    }

    fn push(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if data.len() >= self.limit {
            if data.len() > self.limit || !self.buf.is_empty() {
                self.truncated = true;
            }
            self.buf.clear();
            let keep = &data[data.len() - self.limit..];
            self.reserve(keep.len());
            self.buf.extend(keep);
            return;
        }
        let overflow = (self.buf.len() + data.len()).saturating_sub(self.limit);
        if overflow > 0 {
            self.buf.drain(..overflow);
            self.truncated = true;
        }
        self.reserve(data.len());
        self.buf.extend(data);
    }

    /// Grows geometrically, but never past `limit`.
    fn reserve(&mut self, additional: usize) {
        let needed = self.buf.len() + additional;
        if needed > self.buf.capacity() {
            let target = needed
                .max(self.buf.capacity().saturating_mul(2))
                .min(self.limit);
            self.buf.reserve_exact(target - self.buf.len());
        }
    }

    /// The kept bytes as text (at most `limit` bytes), and whether anything was dropped.
    fn into_output(mut self) -> (String, bool) {
        let limit = self.limit;
        let mut truncated = self.truncated;
        let bytes = self.buf.make_contiguous();
        let mut start = 0;
        if truncated {
            // The cut may have split a UTF-8 sequence: skip its continuation bytes.
            while start < bytes.len().min(3) && bytes[start] & 0xC0 == 0x80 {
                start += 1;
            }
        }
        let mut text = String::from_utf8_lossy(&bytes[start..]).into_owned();
        if text.len() > limit {
            // Replacement characters made it longer than the limit.
            let mut cut = text.len() - limit;
            while !text.is_char_boundary(cut) {
                cut += 1;
            }
            text.drain(..cut);
            truncated = true;
        }
        (text, truncated)
    }
}

/// Formats a duration the way Go's `time.Duration.String` does: `2s`, `1m30s`, `1h0m0s`,
/// `1.5s`, `200ms`.
fn format_go_duration(d: Duration) -> String {
    fn with_fraction(n: u128, unit: u128) -> String {
        let whole = n / unit;
        let rem = n % unit;
        if rem == 0 {
            return whole.to_string();
        }
        let width = unit.ilog10() as usize;
        let digits = format!("{rem:0width$}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_string();
    }
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", with_fraction(nanos, 1_000));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", with_fraction(nanos, 1_000_000));
    }
    let secs = d.as_secs();
    let (h, m) = (secs / 3600, (secs / 60) % 60);
    let s = with_fraction(nanos % 60_000_000_000, 1_000_000_000);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::path::Path;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Instant as StdInstant;

    const LIMIT: usize = DEFAULT_OUTPUT_LIMIT;

    fn sh(command: &str) -> ShellSpec {
        ShellSpec {
            command: command.to_string(),
            shell: true,
            env: Vec::new(),
            cwd: None,
            timeout: None,
        }
    }

    async fn run(spec: &ShellSpec) -> ShellOutcome {
        bounded(run_shell(spec, &[], LIMIT, std::future::pending(), |_| {})).await
    }

    /// Fails the test instead of hanging it.
    async fn bounded<F: Future>(run: F) -> F::Output {
        tokio::time::timeout(Duration::from_secs(20), run)
            .await
            .expect("run_shell did not return")
    }

    /// A fresh empty directory under the system temp dir.
    fn temp_dir(tag: &str) -> PathBuf {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "belfry-shell-test-{}-{tag}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Alive and not a zombie (this machine's init may not reap orphans).
    fn pid_alive(pid: i32) -> bool {
        // SAFETY: signal 0 only checks for existence.
        if unsafe { libc::kill(pid, 0) } != 0 {
            return false;
        }
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X"),
            Err(_) => false,
        }
    }

    async fn assert_pid_dies(pid: i32) {
        let deadline = StdInstant::now() + Duration::from_secs(5);
        while pid_alive(pid) {
            assert!(StdInstant::now() < deadline, "process {pid} still alive");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn read_pid(path: &Path) -> i32 {
        let text = std::fs::read_to_string(path).unwrap();
        text.trim().parse().unwrap()
    }

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[tokio::test]
    async fn exit_zero_is_success() {
        let out = run(&sh("echo hello")).await;
        assert!(out.success, "{out:?}");
        assert_eq!(out.exit_code, Some(0));
        assert_eq!(out.output, "hello\n");
        assert_eq!(out.error, None);
        assert!(!out.output_truncated);
        assert!(out.started_at <= out.finished_at);
    }

    #[tokio::test]
    async fn nonzero_exit_is_failure() {
        let out = run(&sh("echo out; exit 3")).await;
        assert!(!out.success);
        assert_eq!(out.exit_code, Some(3));
        assert_eq!(out.error.as_deref(), Some("exit code 3"));
        assert_eq!(out.output, "out\n");
    }

    #[tokio::test]
    async fn killed_by_signal_has_no_exit_code() {
        let out = run(&sh("kill -9 $$")).await;
        assert!(!out.success);
        assert_eq!(out.exit_code, None);
        assert_eq!(out.error.as_deref(), Some("killed by signal 9"));
    }

    #[tokio::test]
    async fn stdout_and_stderr_keep_write_order() {
        let out = run(&sh("echo a; echo b >&2; echo c; echo d >&2")).await;
        assert_eq!(out.output, "a\nb\nc\nd\n");
    }

    #[tokio::test]
    async fn stdin_is_dev_null() {
        let out = run(&ShellSpec {
            shell: false,
            ..sh("readlink /proc/self/fd/0")
        })
        .await;
        // (This only tells /dev/null from an inherited stdin when the test runner's own stdin
        // is something else, e.g. a terminal or a pipe.)
        assert_eq!(out.output, "/dev/null\n");
        // And reading it ends at once.
        let out = run(&sh("cat; echo done")).await;
        assert_eq!(out.output, "done\n");
    }

    #[tokio::test]
    async fn env_from_spec_and_extra_env_and_agent() {
        let spec = ShellSpec {
            env: vec![
                ("FOO".into(), "bar baz".into()),
                ("CLASH".into(), "spec".into()),
            ],
            ..sh(r#"printf '%s|%s|%s|%s' "$FOO" "$CLASH" "$BELFRY_JOB_NAME" "${PATH:+has-path}""#)
        };
        let extra = [
            ("BELFRY_JOB_NAME".to_string(), "job-1".to_string()),
            ("CLASH".to_string(), "extra".to_string()),
        ];
        let out = bounded(run_shell(
            &spec,
            &extra,
            LIMIT,
            std::future::pending(),
            |_| {},
        ))
        .await;
        assert_eq!(out.output, "bar baz|extra|job-1|has-path");
    }

    #[tokio::test]
    async fn cwd_is_applied() {
        let dir = temp_dir("cwd");
        let spec = ShellSpec {
            cwd: Some(dir.clone()),
            ..sh("pwd -P")
        };
        let out = run(&spec).await;
        let expected = std::fs::canonicalize(&dir).unwrap();
        assert_eq!(out.output.trim_end(), expected.to_str().unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn child_has_its_own_process_group_and_pid_is_reported() {
        let reported = Cell::new(0u32);
        let spec = ShellSpec {
            shell: false,
            ..sh("cat /proc/self/stat")
        };
        let out = bounded(run_shell(
            &spec,
            &[],
            LIMIT,
            std::future::pending(),
            |pid| reported.set(pid),
        ))
        .await;
        let (pid, rest) = out.output.split_once(' ').unwrap();
        let fields: Vec<&str> = rest
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        // After the command name: state, ppid, pgrp.
        assert_eq!(fields[2], pid, "pgrp must equal the child's pid");
        assert_eq!(pid, reported.get().to_string());
        assert_ne!(fields[2], std::process::id().to_string());
    }

    #[tokio::test]
    async fn timeout_kills_the_whole_process_group() {
        let dir = temp_dir("timeout");
        let pidfile = dir.join("bg.pid");
        let spec = ShellSpec {
            timeout: Some(Duration::from_secs(1)),
            ..sh(&format!(
                "sleep 30 & echo $! > {}; echo started; sleep 30",
                pidfile.display()
            ))
        };
        let began = StdInstant::now();
        let out = run(&spec).await;
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "took {:?}",
            began.elapsed()
        );
        assert!(!out.success);
        assert_eq!(out.exit_code, None);
        assert_eq!(out.error.as_deref(), Some("timed out after 1s"));
        assert_eq!(
            out.output,
            "started\n[belfry] timed out after 1s: process group killed"
        );
        assert_pid_dies(read_pid(&pidfile)).await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn cancel_kills_the_whole_process_group() {
        let dir = temp_dir("cancel");
        let pidfile = dir.join("bg.pid");
        let spec = sh(&format!(
            "sleep 30 & echo $! > {}; sleep 30",
            pidfile.display()
        ));
        let began = StdInstant::now();
        let cancel = tokio::time::sleep(Duration::from_millis(500));
        let out = bounded(run_shell(&spec, &[], LIMIT, cancel, |_| {})).await;
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "took {:?}",
            began.elapsed()
        );
        assert!(!out.success);
        assert_eq!(out.exit_code, None);
        assert_eq!(out.error.as_deref(), Some("killed: agent shutting down"));
        assert_eq!(out.output, "[belfry] killed: agent shutting down");
        assert_pid_dies(read_pid(&pidfile)).await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn leftover_background_processes_are_killed_after_exit() {
        let dir = temp_dir("leftover");
        let holding = dir.join("holding.pid");
        let detached = dir.join("detached.pid");
        // One background process keeps the output pipe open, one does not.
        let spec = sh(&format!(
            "sleep 30 & echo $! > {}; sleep 30 >/dev/null 2>&1 & echo $! > {}; echo done",
            holding.display(),
            detached.display()
        ));
        let began = StdInstant::now();
        let out = run(&spec).await;
        assert!(
            began.elapsed() < Duration::from_secs(2),
            "took {:?}",
            began.elapsed()
        );
        assert!(out.success, "{out:?}");
        assert!(out.output.starts_with("done\n"), "{:?}", out.output);
        assert!(out.output.contains("stopped reading"), "{:?}", out.output);
        assert_pid_dies(read_pid(&holding)).await;
        assert_pid_dies(read_pid(&detached)).await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn late_output_from_background_is_drained_briefly() {
        let out = run(&sh("(sleep 0.02; echo late) & echo early")).await;
        assert!(out.success);
        assert_eq!(out.output, "early\nlate\n");
    }

    #[tokio::test]
    async fn escaped_process_holding_the_pipe_does_not_hang_the_run() {
        // `setsid` puts the sleep in another session, out of reach of the group kill.
        let dir = temp_dir("escaped");
        let pidfile = dir.join("escaped.pid");
        let spec = sh(&format!(
            "setsid sh -c 'echo $$ > {}; exec sleep 3' & sleep 0.2; echo done",
            pidfile.display()
        ));
        let began = StdInstant::now();
        let out = run(&spec).await;
        assert!(
            began.elapsed() < Duration::from_secs(2),
            "took {:?}",
            began.elapsed()
        );
        assert!(out.success, "{out:?}");
        assert!(out.output.starts_with("done\n"), "{:?}", out.output);
        // Clean up the escapee ourselves.
        let pid = read_pid(&pidfile);
        // SAFETY: plain kill of a pid this test started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn output_keeps_the_tail() {
        let spec = sh("printf 0123456789abcdefghij");
        let out = bounded(run_shell(&spec, &[], 10, std::future::pending(), |_| {})).await;
        assert_eq!(out.output, "abcdefghij");
        assert!(out.output_truncated);
        let out = bounded(run_shell(&spec, &[], 20, std::future::pending(), |_| {})).await;
        assert_eq!(out.output, "0123456789abcdefghij");
        assert!(!out.output_truncated);
    }

    #[tokio::test]
    async fn truncated_output_starts_on_a_char_boundary() {
        // "x" + "é" (2 bytes) + "€" (3 bytes); the last 4 bytes split the "é".
        let spec = sh(r"printf 'x\303\251\342\202\254'");
        let out = bounded(run_shell(&spec, &[], 4, std::future::pending(), |_| {})).await;
        assert_eq!(out.output, "€");
        assert!(out.output_truncated);
    }

    #[tokio::test]
    async fn notes_follow_a_truncated_tail() {
        let spec = ShellSpec {
            timeout: Some(Duration::from_millis(1500)),
            ..sh("printf 0123456789; sleep 30")
        };
        let out = bounded(run_shell(&spec, &[], 4, std::future::pending(), |_| {})).await;
        assert_eq!(
            out.output,
            "6789\n[belfry] timed out after 1.5s: process group killed"
        );
        assert!(out.output_truncated);
    }

    #[tokio::test]
    async fn huge_output_keeps_memory_bounded() {
        // About 50 MB.
        let spec = sh("head -c 50000000 /dev/zero | tr '\\0' y");
        let out = run(&spec).await;
        assert!(out.success, "{:?}", out.error);
        assert!(out.output_truncated);
        assert_eq!(out.output.len(), LIMIT);
        assert!(out.output.bytes().all(|b| b == b'y'));
    }

    #[tokio::test]
    async fn zero_limit_keeps_only_notes() {
        let out = bounded(run_shell(
            &sh("echo hi; exit 1"),
            &[],
            0,
            std::future::pending(),
            |_| {},
        ))
        .await;
        assert_eq!(out.output, "");
        assert!(out.output_truncated);
        assert_eq!(out.exit_code, Some(1));
    }

    #[tokio::test]
    async fn non_shell_commands_are_split_into_words() {
        let spec = ShellSpec {
            shell: false,
            ..sh(r#"printf '%s|' "a b" c"#)
        };
        let out = run(&spec).await;
        assert!(out.success, "{out:?}");
        assert_eq!(out.output, "a b|c|");
        // Not run through a shell: `$HOME` and `;` are plain words.
        let spec = ShellSpec {
            shell: false,
            ..sh("echo $HOME ; x")
        };
        assert_eq!(run(&spec).await.output, "$HOME ; x\n");
    }

    #[tokio::test]
    async fn missing_program_is_a_failed_outcome() {
        let called = Cell::new(false);
        let spec = ShellSpec {
            shell: false,
            ..sh("/nonexistent/belfry-no-such-program --flag")
        };
        let out = bounded(run_shell(&spec, &[], LIMIT, std::future::pending(), |_| {
            called.set(true)
        }))
        .await;
        assert!(!called.get());
        assert!(!out.success);
        assert_eq!(out.exit_code, None);
        assert_eq!(
            out.error.as_deref(),
            Some("failed to start: No such file or directory (os error 2)")
        );
        assert!(
            out.output
                .starts_with("[belfry] failed to start \"/nonexistent/belfry-no-such-program\""),
            "{:?}",
            out.output
        );
        assert!(out.started_at <= out.finished_at);
    }

    #[tokio::test]
    async fn missing_cwd_is_a_failed_outcome() {
        let spec = ShellSpec {
            cwd: Some(PathBuf::from("/nonexistent/belfry-no-such-dir")),
            ..sh("echo never")
        };
        let out = run(&spec).await;
        assert!(!out.success);
        assert_eq!(out.exit_code, None);
        assert!(
            out.error
                .as_deref()
                .unwrap()
                .starts_with("failed to start: ")
        );
        assert!(
            out.output.contains("belfry-no-such-dir"),
            "{:?}",
            out.output
        );
    }

    #[tokio::test]
    async fn odd_specs_do_not_panic() {
        for spec in [
            ShellSpec {
                shell: false,
                ..sh("'unclosed")
            },
            ShellSpec {
                shell: false,
                ..sh("")
            },
            ShellSpec {
                shell: false,
                ..sh("''")
            },
            sh("echo \0nul"),
            ShellSpec {
                env: vec![("".into(), "x".into()), ("A\0".into(), "y".into())],
                ..sh("true")
            },
        ] {
            let out = run(&spec).await;
            assert!(!out.success, "{spec:?} -> {out:?}");
            assert!(out.error.is_some());
        }
    }

    #[test]
    fn run_shell_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let spec = sh("true");
        let fut = run_shell(&spec, &[], LIMIT, std::future::pending(), |_| {});
        assert_send(&fut);
    }

    #[test]
    fn config_full() {
        let spec = ShellSpec::from_config(&config(&[
            ("command", "echo hi"),
            ("shell", "true"),
            ("env", "A=1,B= two=2 , C ="),
            ("cwd", "/tmp"),
            ("timeout", "1h30m"),
            ("mem_limit", "1GB"),
            ("su", "nobody"),
            ("payload", "aGk="),
            ("unknown", "whatever"),
        ]))
        .unwrap();
        assert_eq!(
            spec,
            ShellSpec {
                command: "echo hi".into(),
                shell: true,
                env: vec![
                    ("A".into(), "1".into()),
                    ("B".into(), " two=2 ".into()),
                    ("C".into(), "".into()),
                ],
                cwd: Some(PathBuf::from("/tmp")),
                timeout: Some(Duration::from_secs(5400)),
            }
        );
    }

    #[test]
    fn config_defaults() {
        let spec = ShellSpec::from_config(&config(&[("command", "ls -l")])).unwrap();
        assert_eq!(
            spec,
            ShellSpec {
                shell: false,
                ..sh("ls -l")
            }
        );
        let spec = ShellSpec::from_config(&config(&[
            ("command", "ls"),
            ("env", ""),
            ("cwd", ""),
            ("timeout", "0"),
        ]))
        .unwrap();
        assert_eq!(
            spec,
            ShellSpec {
                shell: false,
                ..sh("ls")
            }
        );
        for zero in ["", "0s", " 0 "] {
            let spec =
                ShellSpec::from_config(&config(&[("command", "ls"), ("timeout", zero)])).unwrap();
            assert_eq!(spec.timeout, None, "{zero:?}");
        }
        let spec =
            ShellSpec::from_config(&config(&[("command", "ls"), ("env", "A=1,,B=2,")])).unwrap();
        assert_eq!(
            spec.env,
            vec![("A".into(), "1".into()), ("B".into(), "2".into())]
        );
    }

    #[test]
    fn config_shell_flag_uses_go_parse_bool() {
        for yes in ["true", "1", "t", "T", "TRUE", "True"] {
            let spec = ShellSpec::from_config(&config(&[("command", "x"), ("shell", yes)]));
            assert!(spec.unwrap().shell, "{yes:?}");
        }
        for no in ["false", "0", "yes", "", "tRuE"] {
            let spec = ShellSpec::from_config(&config(&[("command", "x"), ("shell", no)]));
            assert!(!spec.unwrap().shell, "{no:?}");
        }
    }

    #[test]
    fn config_errors_name_the_key() {
        let err = |pairs: &[(&str, &str)]| ShellSpec::from_config(&config(pairs)).unwrap_err();

        for cmd in [None, Some(""), Some("  \t")] {
            let pairs: Vec<(&str, &str)> = cmd.map(|c| ("command", c)).into_iter().collect();
            let e = err(&pairs);
            assert_eq!(e, ShellConfigError::MissingCommand);
            assert_eq!(e.to_string(), "executor_config.command is required");
        }

        let e = err(&[("command", "echo 'unclosed")]);
        assert!(matches!(e, ShellConfigError::InvalidCommand(_)));
        assert!(
            e.to_string().starts_with("executor_config.command: "),
            "{e}"
        );
        // The same text is fine for a shell to judge.
        assert!(
            ShellSpec::from_config(&config(&[("command", "echo 'unclosed"), ("shell", "true")]))
                .is_ok()
        );
        let e = err(&[("command", "'' arg")]);
        assert!(matches!(e, ShellConfigError::InvalidCommand(_)), "{e}");

        let e = err(&[("command", "x"), ("env", "A=1,NOEQUALS")]);
        assert_eq!(
            e,
            ShellConfigError::InvalidEnv {
                entry: "NOEQUALS".into(),
                reason: "has no '=' (expected KEY=value)"
            }
        );
        assert!(
            e.to_string()
                .starts_with("executor_config.env: entry \"NOEQUALS\""),
            "{e}"
        );
        let e = err(&[("command", "x"), ("env", " =v")]);
        assert!(matches!(e, ShellConfigError::InvalidEnv { .. }), "{e}");
        assert!(e.to_string().contains("empty key"), "{e}");

        let e = err(&[("command", "x"), ("timeout", "abc")]);
        assert!(matches!(e, ShellConfigError::InvalidTimeout(_)));
        assert!(
            e.to_string()
                .starts_with("executor_config.timeout: invalid duration \"abc\""),
            "{e}"
        );
        for bad in ["-1s", "10", "1d", "1.2.3s"] {
            let e = err(&[("command", "x"), ("timeout", bad)]);
            assert!(
                matches!(e, ShellConfigError::InvalidTimeout(_)),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn go_duration_format() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(5), "5ns"),
            (Duration::from_micros(1500), "1.5ms"),
            (Duration::from_micros(20), "20µs"),
            (Duration::from_millis(200), "200ms"),
            (Duration::from_secs(2), "2s"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_secs(5400), "1h30m0s"),
        ];
        for (d, want) in cases {
            assert_eq!(format_go_duration(d), want);
        }
    }

    #[test]
    fn tail_never_grows_past_the_limit() {
        let limit = 1000;
        let mut tail = Tail::new(limit);
        for i in 0..10_000u32 {
            let byte = b'a' + (i % 26) as u8;
            tail.push(&vec![byte; (i as usize * 7) % 300 + 1]);
            assert!(tail.buf.len() <= limit);
            assert!(
                tail.buf.capacity() <= limit,
                "capacity {}",
                tail.buf.capacity()
            );
        }
        tail.push(&[b'!'; 5000]);
        assert_eq!(tail.buf.capacity(), limit);
        let (text, truncated) = tail.into_output();
        assert!(truncated);
        assert_eq!(text, "!".repeat(limit));
    }

    #[test]
    fn tail_replacement_chars_stay_within_the_limit() {
        let mut tail = Tail::new(4);
        tail.push(&[0xff, 0xfe, 0xfd, 0xfc]);
        let (text, truncated) = tail.into_output();
        assert!(text.len() <= 4, "{text:?}");
        assert_eq!(text, "\u{fffd}");
        assert!(truncated);
    }
}
