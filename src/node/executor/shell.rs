//! The built-in `shell` executor, compatible with Dkron's (`plugin/shell`).
//!
//! [`ShellSpec::from_config`] validates a job's `executor_config` map once, so bad configs are
//! refused when a job is submitted rather than when it fires. [`run_shell`] runs one execution
//! and always returns an [`Outcome`]: a command that cannot be started is a failed outcome,
//! never an `Err` or a panic.
//!
//! How a run works:
//!
//! - The child gets its own process group (`setpgid(0, 0)`), so a timeout, the memory limit or
//!   an agent shutdown can SIGKILL the whole tree with `killpg`, grandchildren included (as
//!   Dkron does).
//! - stdout and stderr are the *same* pipe, so the output keeps the order in which the child
//!   wrote it. stdin is the decoded `payload` when there is one (written, then closed, as Dkron
//!   does), `/dev/null` otherwise.
//! - Only the last `output_limit` bytes of output are kept, in a buffer that never grows past
//!   that limit, however much the child writes.
//! - When the main child exits, output is drained for at most [`DRAIN_AFTER_EXIT`] more (a
//!   background process may still hold the pipe open), then the job's process group is
//!   SIGKILLed. **Unlike Dkron, processes a job leaves running in its process group are killed
//!   when the job ends**: leaving orphans behind on every run is worse than breaking the rare
//!   job that starts a daemon with a plain `&`. A job that really wants to leave something
//!   running must detach it into its own session or group (`setsid cmd &`); such a process is
//!   not tracked, and if it keeps the output pipe open its later output is simply not read.
//! - `su` switches the child to another user in the forked child, before `exec`: supplementary
//!   groups (the user's, as `login` would set them), then the group, then the user, then the
//!   working directory, so `cwd` is entered with the new user's rights.
//! - `mem_limit` is enforced the way Dkron enforces it, only ten times as often: every
//!   [`MEM_POLL_INTERVAL`] the resident memory (RSS) of every process in the job's process
//!   group is added up from `/proc`, and over the limit the group is SIGKILLed and the
//!   execution fails saying so. A per-process `setrlimit` was rejected: `RLIMIT_AS` and
//!   `RLIMIT_DATA` count address space, not memory, so they break jobs that use little (a
//!   Python program starting 30 threads fails under a 100 MB `RLIMIT_DATA` for its 8 MB thread
//!   stacks; the JVM and V8 reserve gigabytes up front), they apply to each process rather than
//!   the job, and the job dies of a failed allocation with no sign of why. A cgroup would be
//!   exact, but needs a delegated cgroup v2 subtree with the memory controller, which agents in
//!   containers and on hybrid-cgroup hosts do not have. The cost of polling: a job can outgrow
//!   the limit for up to one interval before it is killed.
//!
//! Known limits:
//!
//! - The final group kill happens after the main child has been reaped. If every process of
//!   the group is gone by then, the group id is free and could in theory be reused by an
//!   unrelated new group in that instant; that needs a full wrap-around of the pid space within
//!   the [`DRAIN_AFTER_EXIT`] window, which is not a practical concern.
//! - Killed orphans are reparented to the nearest subreaper or init. If the agent itself runs as
//!   PID 1 of a container it must reap them (or run under an init such as `tini`).
//! - Memory shared between the job's processes is counted once per process, as in Dkron.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::future::Future;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::pin::pin;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use chrono::Utc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;
use tokio::process::Command;
use tokio::time::Instant;

use super::{Outcome, Tail, append_notes, format_go_duration, format_size};
pub use crate::job::executor_spec::shell::{ShellConfigError, ShellSpec, SwitchUser, parse_size};
use crate::node::job_runtime::ProcessStarter;

/// How long output is still read after the main child has exited, for background processes
/// that hold the pipe open.
pub const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(200);

/// How often a job with a `mem_limit` has its memory measured (Dkron: every second).
pub const MEM_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Size of one read from the output pipe.
const READ_CHUNK: usize = 32 * 1024;

/// Why Belfry killed the process group before the main child exited.
#[derive(Debug, Clone)]
enum KillReason {
    Timeout(Duration),
    Shutdown,
    /// The group's resident memory (`used`) passed `limit`.
    MemLimit {
        used: u64,
        limit: u64,
    },
    /// The memory could not be measured, so the limit could not be kept.
    MemUnmeasurable(String),
}

/// Whether this process may run jobs as another user (`--allow-su`). Off unless the agent
/// turns it on: anyone who may create a job could otherwise run commands as any user of the
/// node, root included, when the agent runs as root.
static SU_ALLOWED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets whether the `su` option may be used on this node (the agent's `--allow-su`).
pub fn set_su_allowed(allowed: bool) {
    SU_ALLOWED.store(allowed, std::sync::atomic::Ordering::SeqCst);
}

/// Whether the `su` option may be used on this node.
pub fn su_allowed() -> bool {
    SU_ALLOWED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Why a `su` job does not run on a node started without `--allow-su`.
pub const SU_REFUSED: &str = "su: refused: this node was not started with --allow-su \
     (running jobs as another user is off by default; see docs/security.md)";

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
) -> Outcome {
    run_shell_started_by(None, spec, extra_env, output_limit, cancel, on_spawn).await
}

/// [`run_shell`], starting the process from one of `starter`'s threads (`None`: this thread),
/// from which it inherits priority and cgroup (`node::job_runtime`).
pub async fn run_shell_started_by(
    starter: Option<&ProcessStarter>,
    spec: &ShellSpec,
    extra_env: &[(String, String)],
    output_limit: usize,
    cancel: impl Future<Output = ()>,
    on_spawn: impl FnOnce(u32),
) -> Outcome {
    let attempt_at = Utc::now();
    let argv = match spec.argv() {
        Ok(argv) => argv,
        Err(e) => {
            let reason = format!("invalid command: {e}");
            let note = format!("[belfry] failed to start: {reason}");
            return Outcome::not_started(attempt_at, reason, note);
        }
    };
    // Names are resolved off the runtime's threads: NSS may ask a directory server.
    if spec.su.is_some() && !su_allowed() {
        let note = format!("[belfry] failed to start: {SU_REFUSED}");
        return Outcome::not_started(attempt_at, SU_REFUSED.to_string(), note);
    }
    let credentials = match &spec.su {
        None => None,
        Some(su) => {
            let su = su.clone();
            let resolved = tokio::task::spawn_blocking(move || Credentials::resolve(&su))
                .await
                .unwrap_or_else(|e| Err(format!("looking up the user failed: {e}")));
            match resolved {
                Ok(credentials) => credentials,
                Err(e) => {
                    let reason = format!("su: {e}");
                    let note = format!("[belfry] failed to start: {reason}");
                    return Outcome::not_started(attempt_at, reason, note);
                }
            }
        }
    };
    let start_failed = |e: io::Error| {
        let mut place = match &spec.cwd {
            Some(cwd) => format!(" in {cwd:?}"),
            None => String::new(),
        };
        if let Some(su) = &spec.su {
            place.push_str(&format!(" as {su}"));
        }
        let note = format!("[belfry] failed to start {:?}{place}: {e}", argv[0]);
        Outcome::not_started(attempt_at, e.to_string(), note)
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
        // The agent's secrets (ACL token, cluster key, mail password, …) never reach a job, even
        // when the agent's own environment still holds them (a library user, or set after start).
        for name in crate::config::secret_env_names() {
            cmd.env_remove(name);
        }
        cmd.args(&argv[1..])
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .envs(extra_env.iter().map(|(k, v)| (k, v)))
            .stdin(if spec.payload.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::from(write_end))
            .stderr(Stdio::from(write_end_2))
            .process_group(0)
            .kill_on_drop(true);
        let mut switch = match credentials {
            // The working directory is entered after the switch, with the user's rights.
            Some(credentials) => match credentials.switch_in_child(spec.cwd.as_ref()) {
                Ok(switch) => Some(switch),
                Err(e) => return start_failed(e),
            },
            None => {
                if let Some(cwd) = &spec.cwd {
                    cmd.current_dir(cwd);
                }
                None
            }
        };
        let nice = spec.nice;
        // Opened before the fork: the child only writes to it. A cgroup that cannot be opened
        // (removed since the node started) leaves the job in the node's cgroup, said once.
        let cgroup =
            spec.cgroup
                .as_ref()
                .and_then(|dir| match crate::node::job_cgroup::open_procs(dir) {
                    Ok(file) => Some(file),
                    Err(e) => {
                        warn_cgroup_unusable(dir, &e);
                        None
                    }
                });
        // A child started from a thread that is nice enough already inherits it: with nothing
        // to do between fork and exec, std starts it with posix_spawn (vfork) instead of fork.
        // (With a starter, the runner has set `nice` to 0 when the starter's threads are niced.)
        let nice = if nice != 0 && starter.is_none() && this_thread_nice() >= nice {
            0
        } else {
            nice
        };
        if nice != 0 || switch.is_some() || cgroup.is_some() {
            // The closure owns the descriptor on cgroup.procs, and `cmd` the closure: wherever
            // the fork happens (a starter thread), the descriptor is open until it is done,
            // even if this future is dropped meanwhile.
            let in_child = move || {
                // The cgroup first, so that everything the child does is accounted there.
                // A failed move is not a failed start: the job runs, in the node's cgroup.
                if let Some(file) = &cgroup {
                    let _ = crate::node::job_cgroup::join_in_child(
                        std::os::fd::AsRawFd::as_raw_fd(file),
                    );
                }
                // Priority next: as root any nice value may be set, before the user switch.
                lower_priority(nice)?;
                match switch.as_mut() {
                    Some(switch) => switch(),
                    None => Ok(()),
                }
            };
            // SAFETY: the closure only makes async-signal-safe system calls (write, getpriority,
            // setpriority, setgroups, setgid, setuid, chdir) on data prepared before the fork;
            // it allocates nothing and takes no lock.
            unsafe { cmd.pre_exec(in_child) };
        }
        // `cmd` is dropped at the end of this block (or on the starter thread), closing the
        // parent's copies of the pipe's write end: the read end only sees EOF once every
        // writer has closed it.
        match starter {
            Some(starter) => starter.spawn(cmd).await,
            None => cmd.spawn(),
        }
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

    let mem_limit = spec.mem_limit.zip(group.pgid);
    let mut memory = pin!(async move {
        match mem_limit {
            Some((limit, pgid)) => watch_memory(pgid, limit).await,
            None => std::future::pending().await,
        }
    });

    // The payload is written while the output is read: a child may fill its output pipe
    // before it reads all of its stdin. Dropping the handle afterwards closes stdin.
    let stdin = child.stdin.take();
    let mut feeding = stdin.is_some();
    let mut feed = pin!(async move {
        match (stdin, &spec.payload) {
            (Some(mut stdin), Some(payload)) => stdin.write_all(payload).await,
            _ => std::future::pending().await,
        }
    });
    let mut feed_error: Option<io::Error> = None;

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
            res = &mut feed, if feeding => {
                feeding = false;
                // A command that exits or closes stdin without reading it all is its own
                // business (Dkron ignores it too); anything else is worth a note.
                if let Err(e) = res
                    && e.kind() != io::ErrorKind::BrokenPipe
                {
                    feed_error = Some(e);
                }
            },
            () = &mut timeout_sleep, if timeout.is_some() && killed.is_none() && status.is_none() => {
                let reason = KillReason::Timeout(timeout.unwrap_or_default());
                killed = Some((reason, group.kill()));
            },
            res = &mut memory, if mem_limit.is_some() && killed.is_none() && status.is_none() => {
                let reason = match res {
                    Ok(used) => KillReason::MemLimit { used, limit: spec.mem_limit.unwrap_or_default() },
                    Err(e) => KillReason::MemUnmeasurable(e),
                };
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
        Some((reason, kill_result)) => {
            let (what, error) = match reason {
                KillReason::Timeout(d) => {
                    let text = format!("timed out after {}", format_go_duration(*d));
                    (text.clone(), text)
                }
                KillReason::Shutdown => (
                    "killed: agent shutting down".to_string(),
                    "killed: agent shutting down".to_string(),
                ),
                KillReason::MemLimit { used, limit } => (
                    format!(
                        "mem_limit {} exceeded: the job's processes used {} resident",
                        format_size(*limit),
                        format_size(*used)
                    ),
                    format!(
                        "mem_limit {} exceeded ({} resident)",
                        format_size(*limit),
                        format_size(*used)
                    ),
                ),
                KillReason::MemUnmeasurable(e) => (
                    format!("mem_limit cannot be enforced: {e}"),
                    format!("mem_limit cannot be enforced: {e}"),
                ),
            };
            notes.push(match (reason, kill_result) {
                (KillReason::Shutdown, Ok(())) => format!("[belfry] {what}"),
                (KillReason::Shutdown, Err(e)) => {
                    format!("[belfry] agent shutting down: killing the process group failed: {e}")
                }
                (_, Ok(())) => format!("[belfry] {what}: process group killed"),
                (_, Err(e)) => {
                    format!("[belfry] {what}: killing the process group failed: {e}")
                }
            });
            Some(error)
        }
        None => match &status {
            Some(Ok(st)) => match (st.code(), st.signal()) {
                (Some(code), _) if spec.allowed_exit_codes.contains(&code) => None,
                (Some(code), _) if spec.allowed_exit_codes == [0] => {
                    Some(format!("exit code {code}"))
                }
                (Some(code), _) => Some(format!(
                    "exit code {code} (allowed: {})",
                    spec.allowed_exit_codes
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                (None, Some(signal)) => Some(format!("killed by signal {signal}")),
                (None, None) => Some(format!("exited abnormally: {st}")),
            },
            Some(Err(e)) => Some(format!("failed to wait for the process: {e}")),
            None => Some("finished in an unknown state".to_string()),
        },
    };
    if let Some(e) = feed_error {
        notes.push(format!("[belfry] writing the payload to stdin failed: {e}"));
    }
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
    append_notes(&mut output, notes);
    tracing::debug!(?pid, ?exit_code, ?error, "shell job finished");

    Outcome {
        started_at,
        finished_at,
        exit_code,
        success: error.is_none(),
        output,
        output_truncated,
        error,
    }
}

/// Measures the resident memory of the processes in group `pgid` every
/// [`MEM_POLL_INTERVAL`]; returns the total once it passes `limit`, or why it cannot measure.
async fn watch_memory(pgid: libc::pid_t, limit: u64) -> Result<u64, String> {
    let mut tick = tokio::time::interval(MEM_POLL_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // Reading /proc is blocking file I/O over every process of the machine.
        let used =
            tokio::task::spawn_blocking(move || crate::telemetry::procfs::group_rss_bytes(pgid))
                .await
                .map_err(|e| format!("measuring memory failed: {e}"))?
                .map_err(|e| format!("cannot read {e}"))?;
        if used > limit {
            return Ok(used);
        }
    }
}

/// The user and groups a `su` job runs as, looked up on this node.
#[derive(Debug, Clone)]
struct Credentials {
    uid: libc::uid_t,
    gid: libc::gid_t,
    /// Supplementary groups: the user's, as `getgrouplist` lists them, with `gid` among them.
    groups: Vec<libc::gid_t>,
}

impl Credentials {
    /// Looks the names up. `Ok(None)` when nothing needs switching (the agent already runs as
    /// that user and group); an error when the names are unknown or the agent, not being root,
    /// cannot switch.
    fn resolve(su: &SwitchUser) -> Result<Option<Credentials>, String> {
        let (uid, primary_gid) = lookup_user(&su.user)?;
        let gid = match &su.group {
            Some(group) => lookup_group(group)?,
            None => primary_gid,
        };
        // SAFETY: geteuid and getegid cannot fail and have no preconditions.
        let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
        if euid != 0 {
            if uid == euid && gid == egid {
                return Ok(None);
            }
            return Err(format!(
                "running as {su} needs the agent to run as root; it runs as uid {euid}"
            ));
        }
        let groups = group_list(&su.user, gid)?;
        Ok(Some(Credentials { uid, gid, groups }))
    }

    /// The `pre_exec` hook that switches the forked child to these credentials, then enters
    /// `cwd`. Everything it needs is prepared here, before the fork.
    fn switch_in_child(
        self,
        cwd: Option<&PathBuf>,
    ) -> io::Result<impl FnMut() -> io::Result<()> + Send + Sync + 'static> {
        let cwd = match cwd {
            Some(dir) => Some(
                CString::new(dir.as_os_str().as_encoded_bytes())
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in cwd"))?,
            ),
            None => None,
        };
        let Credentials { uid, gid, groups } = self;
        Ok(move || {
            let check = |rc: libc::c_int| {
                if rc == 0 {
                    Ok(())
                } else {
                    Err(io::Error::last_os_error())
                }
            };
            // Groups first: after setuid the process no longer may change them.
            // SAFETY: `groups` is a live Vec of `groups.len()` gids.
            check(unsafe { libc::setgroups(groups.len() as _, groups.as_ptr()) })?;
            // SAFETY: plain system calls with integer arguments.
            check(unsafe { libc::setgid(gid) })?;
            // SAFETY: as above.
            check(unsafe { libc::setuid(uid) })?;
            if let Some(dir) = &cwd {
                // SAFETY: `dir` is a NUL-terminated string that outlives the call.
                check(unsafe { libc::chdir(dir.as_ptr()) })?;
            }
            Ok(())
        })
    }
}

/// Says once per process that the jobs' cgroup could not be opened (each start would say it
/// again otherwise).
fn warn_cgroup_unusable(dir: &std::path::Path, e: &io::Error) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        tracing::warn!(
            cgroup = %dir.display(),
            "jobs run in the node's cgroup: cannot open the jobs' cgroup.procs: {e}"
        );
    });
}

/// The calling thread's nice value (Linux keeps one per thread; a child inherits its creator's).
fn this_thread_nice() -> i32 {
    // SAFETY: plain system calls about the calling thread.
    unsafe { libc::getpriority(libc::PRIO_PROCESS as _, libc::gettid() as _) }
}

/// In the forked child: raises its nice value to `nice` (`--job-nice`). A node already running
/// nicer than that keeps its own value: a job never runs at a higher priority than the node,
/// and lowering a nice value needs privileges an agent usually lacks.
fn lower_priority(nice: i32) -> io::Result<()> {
    if nice == 0 {
        return Ok(());
    }
    // SAFETY: plain system calls on the calling process. getpriority's -1 is ambiguous with an
    // error, but for the calling process it cannot fail, and -1 < nice just means "set it".
    let current = unsafe { libc::getpriority(libc::PRIO_PROCESS as _, 0) };
    if current >= nice {
        return Ok(());
    }
    // SAFETY: as above.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS as _, 0, nice) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Buffer sizes tried for the reentrant NSS lookups (they answer ERANGE when too small).
const NSS_BUFFER_SIZES: [usize; 5] = [1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 20];

/// `(uid, primary gid)` of a user name.
fn lookup_user(name: &str) -> Result<(libc::uid_t, libc::gid_t), String> {
    let c_name = CString::new(name).map_err(|_| format!("user {name:?} contains a NUL byte"))?;
    for size in NSS_BUFFER_SIZES {
        let mut buf = vec![0 as libc::c_char; size];
        // SAFETY: an all-zero passwd (null pointers, zero ids) is a valid value to overwrite.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call, `buf` has `size` bytes.
        let rc = unsafe {
            libc::getpwnam_r(
                c_name.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        match rc {
            libc::ERANGE => continue,
            0 if result.is_null() => return Err(format!("unknown user {name:?}")),
            0 => return Ok((pwd.pw_uid, pwd.pw_gid)),
            rc => {
                return Err(format!(
                    "looking up user {name:?} failed: {}",
                    io::Error::from_raw_os_error(rc)
                ));
            }
        }
    }
    Err(format!("looking up user {name:?} failed: entry too large"))
}

/// The gid of a group name.
fn lookup_group(name: &str) -> Result<libc::gid_t, String> {
    let c_name = CString::new(name).map_err(|_| format!("group {name:?} contains a NUL byte"))?;
    for size in NSS_BUFFER_SIZES {
        let mut buf = vec![0 as libc::c_char; size];
        // SAFETY: an all-zero group (null pointers, zero id) is a valid value to overwrite.
        let mut grp: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call, `buf` has `size` bytes.
        let rc = unsafe {
            libc::getgrnam_r(
                c_name.as_ptr(),
                &mut grp,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        match rc {
            libc::ERANGE => continue,
            0 if result.is_null() => return Err(format!("unknown group {name:?}")),
            0 => return Ok(grp.gr_gid),
            rc => {
                return Err(format!(
                    "looking up group {name:?} failed: {}",
                    io::Error::from_raw_os_error(rc)
                ));
            }
        }
    }
    Err(format!("looking up group {name:?} failed: entry too large"))
}

/// The groups `user` belongs to, with `gid` first (what `initgroups` would set).
#[cfg(target_os = "linux")]
fn group_list(user: &str, gid: libc::gid_t) -> Result<Vec<libc::gid_t>, String> {
    let c_user = CString::new(user).map_err(|_| format!("user {user:?} contains a NUL byte"))?;
    let mut groups: Vec<libc::gid_t> = vec![0; 64];
    for _ in 0..8 {
        let mut count = libc::c_int::try_from(groups.len()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `groups` has room for `count` gids; getgrouplist writes at most that many and
        // sets `count` to the number needed when it is too small.
        let rc =
            unsafe { libc::getgrouplist(c_user.as_ptr(), gid, groups.as_mut_ptr(), &mut count) };
        let count = usize::try_from(count).unwrap_or(0);
        if rc >= 0 {
            groups.truncate(count);
            return Ok(groups);
        }
        groups.resize(count.max(groups.len() * 2), 0);
    }
    Err(format!("listing the groups of {user:?} failed"))
}

/// Elsewhere: the chosen group only.
#[cfg(not(target_os = "linux"))]
fn group_list(_user: &str, gid: libc::gid_t) -> Result<Vec<libc::gid_t>, String> {
    Ok(vec![gid])
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

/// Every job process group alive in this process, so that a node told to stop at once (a
/// second SIGTERM or SIGINT) can kill them before it exits instead of leaving them orphaned.
static LIVE_GROUPS: std::sync::Mutex<BTreeSet<libc::pid_t>> =
    std::sync::Mutex::new(BTreeSet::new());

/// SIGKILLs the process group of every job still running here; returns how many. For a stop
/// that cannot wait: the runs are recorded as interrupted when the node starts again.
pub fn kill_every_job_now() -> usize {
    let groups = std::mem::take(&mut *LIVE_GROUPS.lock().unwrap_or_else(|e| e.into_inner()));
    for pgid in &groups {
        // SAFETY: killpg has no memory-safety preconditions; each `pgid` > 1 is a group
        // created for one of our children.
        unsafe { libc::killpg(*pgid, libc::SIGKILL) };
    }
    groups.len()
}

impl ProcessGroup {
    fn new(pid: Option<u32>) -> ProcessGroup {
        // Never 0 (our own group), negative, or 1.
        let pgid = pid
            .and_then(|p| libc::pid_t::try_from(p).ok())
            .filter(|&p| p > 1);
        if let Some(pgid) = pgid {
            LIVE_GROUPS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(pgid);
        }
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
        if let Some(pgid) = self.pgid.take() {
            LIVE_GROUPS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&pgid);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        let _ = self.kill();
        if let Some(pgid) = self.pgid {
            LIVE_GROUPS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&pgid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Instant as StdInstant;

    const LIMIT: usize = crate::node::executor::DEFAULT_OUTPUT_LIMIT;

    fn sh(command: &str) -> ShellSpec {
        ShellSpec {
            command: command.to_string(),
            shell: true,
            env: Vec::new(),
            cwd: None,
            timeout: None,
            mem_limit: None,
            su: None,
            payload: None,
            allowed_exit_codes: vec![0],
            nice: 0,
            cgroup: None,
        }
    }

    async fn run(spec: &ShellSpec) -> Outcome {
        // These tests run as a node started with --allow-su; the refusal is tested end to end.
        set_su_allowed(true);
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
        crate::telemetry::procfs::stat(pid as u32).is_ok_and(|s| !s.is_zombie_or_dead())
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
    async fn nice_is_raised_never_lowered() {
        let field19 = "cut -d' ' -f19 /proc/self/stat";
        let base = run(&sh(field19))
            .await
            .output
            .trim()
            .parse::<i32>()
            .unwrap();
        let out = run(&ShellSpec {
            nice: 12,
            ..sh(field19)
        })
        .await;
        assert_eq!(out.output.trim(), base.max(12).to_string(), "{out:?}");
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
                mem_limit: Some(1 << 30),
                su: Some(SwitchUser {
                    user: "nobody".into(),
                    group: None,
                }),
                payload: Some(b"hi".to_vec()),
                allowed_exit_codes: vec![0],
                nice: 0,
                cgroup: None,
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

    #[tokio::test]
    async fn payload_arrives_on_stdin_and_is_closed() {
        let spec = ShellSpec {
            payload: Some(b"line one\nline two\n".to_vec()),
            ..sh("cat; echo end")
        };
        let out = run(&spec).await;
        assert!(out.success, "{out:?}");
        assert_eq!(out.output, "line one\nline two\nend\n");
    }

    #[tokio::test]
    async fn payload_larger_than_a_pipe_is_written_while_output_is_read() {
        // 1 MiB in, 1 MiB out through `cat`: with the payload written before reading the
        // output (as Dkron does), both pipes fill and the run deadlocks.
        let payload: Vec<u8> = (0..(1u32 << 20)).map(|i| b'a' + (i % 26) as u8).collect();
        let spec = ShellSpec {
            payload: Some(payload.clone()),
            shell: false,
            ..sh("cat")
        };
        let out = bounded(run_shell(
            &spec,
            &[],
            2 << 20,
            std::future::pending(),
            |_| {},
        ))
        .await;
        assert!(out.success, "{:?}", out.error);
        assert_eq!(out.output.as_bytes(), payload.as_slice());
    }

    #[tokio::test]
    async fn payload_not_read_is_not_an_error() {
        let spec = ShellSpec {
            payload: Some(vec![b'x'; 1 << 20]),
            ..sh("echo ignored stdin")
        };
        let out = run(&spec).await;
        assert!(out.success, "{out:?}");
        assert_eq!(out.output, "ignored stdin\n");
    }

    #[tokio::test]
    async fn allowed_exit_codes_decide_success() {
        let spec = |cmd: &str, codes: Vec<i32>| ShellSpec {
            allowed_exit_codes: codes,
            ..sh(cmd)
        };
        let out = run(&spec("exit 3", vec![0, 3])).await;
        assert!(out.success, "{out:?}");
        assert_eq!(out.exit_code, Some(3));
        assert_eq!(out.error, None);

        let out = run(&spec("exit 4", vec![0, 3])).await;
        assert!(!out.success);
        assert_eq!(out.error.as_deref(), Some("exit code 4 (allowed: 0, 3)"));

        // The list replaces the default: 0 is a failure when it is not listed.
        let out = run(&spec("true", vec![1])).await;
        assert!(!out.success);
        assert_eq!(out.exit_code, Some(0));
        assert_eq!(out.error.as_deref(), Some("exit code 0 (allowed: 1)"));

        // A signal is never an allowed exit.
        let out = run(&spec("kill -9 $$", vec![0, 137])).await;
        assert!(!out.success);
        assert_eq!(out.error.as_deref(), Some("killed by signal 9"));
    }

    #[tokio::test]
    async fn mem_limit_kills_a_memory_hog_with_a_clear_message() {
        let dir = temp_dir("memhog");
        let pidfile = dir.join("sleeper.pid");
        // `tail` keeps its whole newline-free input in memory, 300 MiB against a 100 MiB
        // limit, then holds it while blocked writing to a `sleep` that never reads: without
        // the limit the run takes 30 s, however slow the machine. The background sleeper
        // shows the whole group goes.
        let spec = ShellSpec {
            mem_limit: Some(100 << 20),
            ..sh(&format!(
                "sleep 30 & echo $! > {}; head -c 300M /dev/zero | tail | sleep 30; echo survived",
                pidfile.display()
            ))
        };
        let began = StdInstant::now();
        let out = run(&spec).await;
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "took {:?}",
            began.elapsed()
        );
        assert!(!out.success, "{out:?}");
        assert_eq!(out.exit_code, None);
        let error = out.error.as_deref().unwrap();
        assert!(
            error.starts_with("mem_limit 100MiB exceeded (") && error.ends_with(" resident)"),
            "{error}"
        );
        assert!(
            out.output
                .starts_with("[belfry] mem_limit 100MiB exceeded: the job's processes used ")
                && out.output.ends_with(" resident: process group killed"),
            "{:?}",
            out.output
        );
        assert!(!out.output.contains("survived"));
        assert_pid_dies(read_pid(&pidfile)).await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn mem_limit_leaves_a_job_within_it_alone() {
        // About 20 MiB held for a while, under a 200 MiB limit, measured many times.
        let spec = ShellSpec {
            mem_limit: Some(200 << 20),
            ..sh("head -c 20M /dev/zero | (tail; sleep 0.5) | wc -c")
        };
        let out = run(&spec).await;
        assert!(out.success, "{out:?}");
        assert_eq!(out.output.trim(), "20971520");
    }

    fn is_root() -> bool {
        // SAFETY: geteuid cannot fail.
        unsafe { libc::geteuid() == 0 }
    }

    #[tokio::test]
    async fn su_runs_the_command_as_the_user_with_the_users_groups() {
        let (uid, gid) = lookup_user("nobody").expect("a nobody user");
        let spec = ShellSpec {
            su: Some(SwitchUser {
                user: "nobody".into(),
                group: None,
            }),
            ..sh("id -u; id -g; id -G")
        };
        let out = run(&spec).await;
        if !is_root() {
            assert!(!out.success);
            let error = out.error.unwrap();
            assert!(error.contains("needs the agent to run as root"), "{error}");
            return;
        }
        assert!(out.success, "{out:?}");
        let groups = group_list("nobody", gid).unwrap();
        let mut want_groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        want_groups.dedup();
        let lines: Vec<&str> = out.output.lines().collect();
        assert_eq!(lines[0], uid.to_string());
        assert_eq!(lines[1], gid.to_string());
        let mut got: Vec<&str> = lines[2].split(' ').collect();
        got.sort_unstable();
        want_groups.sort_unstable();
        assert_eq!(got, want_groups, "root's groups must be gone");
    }

    #[tokio::test]
    async fn su_with_a_group_and_the_cwd_entered_as_the_user() {
        if !is_root() {
            return;
        }
        let (_, nobody_gid) = lookup_user("nobody").unwrap();
        let group_name = {
            // The name of the user's primary group, whatever this system calls it.
            // SAFETY: getgrgid returns a pointer to static data or null; read at once.
            let grp = unsafe { libc::getgrgid(nobody_gid) };
            assert!(!grp.is_null());
            // SAFETY: gr_name is a NUL-terminated string in that static data.
            unsafe { std::ffi::CStr::from_ptr((*grp).gr_name) }
                .to_string_lossy()
                .into_owned()
        };
        let spec = ShellSpec {
            su: Some(SwitchUser {
                user: "nobody".into(),
                group: Some(group_name.clone()),
            }),
            ..sh("id -g")
        };
        let out = run(&spec).await;
        assert!(out.success, "{out:?}");
        assert_eq!(out.output.trim(), nobody_gid.to_string());

        // A directory only root may enter: root could chdir there, nobody cannot.
        let dir = temp_dir("su-cwd");
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let spec = ShellSpec {
            su: Some(SwitchUser {
                user: "nobody".into(),
                group: None,
            }),
            cwd: Some(dir.clone()),
            ..sh("pwd")
        };
        let out = run(&spec).await;
        assert!(!out.success, "{out:?}");
        assert_eq!(
            out.error.as_deref(),
            Some("failed to start: Permission denied (os error 13)")
        );
        assert!(out.output.contains("as nobody"), "{:?}", out.output);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn su_to_an_unknown_user_or_group_fails_clearly() {
        let spec = ShellSpec {
            su: Some(SwitchUser {
                user: "belfry-no-such-user".into(),
                group: None,
            }),
            ..sh("true")
        };
        let out = run(&spec).await;
        assert!(!out.success);
        assert_eq!(
            out.error.as_deref(),
            Some("failed to start: su: unknown user \"belfry-no-such-user\"")
        );
        assert_eq!(
            out.output,
            "[belfry] failed to start: su: unknown user \"belfry-no-such-user\""
        );
        let spec = ShellSpec {
            su: Some(SwitchUser {
                user: "nobody".into(),
                group: Some("belfry-no-such-group".into()),
            }),
            ..sh("true")
        };
        let out = run(&spec).await;
        assert_eq!(
            out.error.as_deref(),
            Some("failed to start: su: unknown group \"belfry-no-such-group\"")
        );
    }

    #[test]
    fn sizes_parse_as_dkron_parses_them() {
        let cases: [(&str, u64); 14] = [
            ("1024", 1024),
            ("1", 1),
            ("512B", 512),
            ("10 bytes", 10),
            ("1K", 1 << 10),
            ("1kb", 1 << 10),
            ("100MB", 100 << 20),
            ("100m", 100 << 20),
            ("1.5GB", 3 << 29),
            ("1GiB", 1 << 30),
            ("2TB", 2 << 40),
            (" 64 MiB ", 64 << 20),
            ("0.5K", 512),
            ("3tib", 3 << 40),
        ];
        for (text, want) in cases {
            assert_eq!(parse_size(text), Ok(want), "{text:?}");
        }
        for bad in [
            "0", "0MB", "0.1B", "-1", "-5MB", "MB", "lots", "1.2.3MB", "10PB", "5 M B", "1e3",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            parse_size("10XB").unwrap_err(),
            "\"10XB\": unknown unit \"XB\" (use B, KB, MB, GB or TB, which count in 1024s, \
             or KiB, MiB, GiB, TiB)"
        );
        assert!(
            parse_size("99999999999TB")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn sizes_format_for_messages() {
        assert_eq!(format_size(100 << 20), "100MiB");
        assert_eq!(format_size((100 << 20) + (1 << 19)), "100.5MiB");
        assert_eq!(format_size(1 << 30), "1GiB");
        assert_eq!(format_size(512), "512B");
        assert_eq!(format_size(1536), "1.5KiB");
    }

    #[test]
    fn config_new_keys() {
        let spec = ShellSpec::from_config(&config(&[
            ("command", "x"),
            ("mem_limit", "512MB"),
            ("su", "www-data:adm"),
            ("payload", "aGVsbG8K\nd29ybGQK"),
            ("allowed_exit_codes", " 3, 0,1,,3 "),
        ]))
        .unwrap();
        assert_eq!(spec.mem_limit, Some(512 << 20));
        assert_eq!(
            spec.su,
            Some(SwitchUser {
                user: "www-data".into(),
                group: Some("adm".into())
            })
        );
        assert_eq!(spec.su.unwrap().to_string(), "www-data:adm");
        // Line breaks in the base64 are ignored, as Go's decoder ignores them.
        assert_eq!(spec.payload.as_deref(), Some(&b"hello\nworld\n"[..]));
        assert_eq!(spec.allowed_exit_codes, vec![0, 1, 3]);

        let spec = ShellSpec::from_config(&config(&[
            ("command", "x"),
            ("mem_limit", ""),
            ("su", ""),
            ("payload", ""),
            ("allowed_exit_codes", " "),
        ]))
        .unwrap();
        assert_eq!(spec.mem_limit, None);
        assert_eq!(spec.su, None);
        assert_eq!(spec.payload, None);
        assert_eq!(spec.allowed_exit_codes, vec![0]);
    }

    #[test]
    fn config_errors_name_the_new_keys() {
        let err = |key: &str, value: &str| {
            ShellSpec::from_config(&config(&[("command", "x"), (key, value)]))
                .unwrap_err()
                .to_string()
        };
        for bad in ["lots", "0", "-1MB", "12XB"] {
            let e = err("mem_limit", bad);
            assert!(e.starts_with("executor_config.mem_limit: "), "{e}");
        }
        for bad in [":adm", "user:", "a:b:c", "a\0b"] {
            let e = err("su", bad);
            assert!(e.starts_with("executor_config.su: "), "{e}");
        }
        assert_eq!(
            err("su", "a:b:c"),
            "executor_config.su: \"a:b:c\" has more than one ':' (expected user or user:group)"
        );
        for bad in ["not base64!", "aGk", "aGk=x"] {
            let e = err("payload", bad);
            assert!(
                e.starts_with("executor_config.payload: not standard base64: "),
                "{e}"
            );
        }
        for bad in ["x", "0,256", "-1", "1.5", ","] {
            let e = err("allowed_exit_codes", bad);
            assert!(e.starts_with("executor_config.allowed_exit_codes: "), "{e}");
        }
        assert_eq!(
            err("allowed_exit_codes", "0,256"),
            "executor_config.allowed_exit_codes: \"256\" is not an exit code (a number from 0 \
             to 255)"
        );
    }
}
