//! The runtime job bookkeeping runs on, apart from the control plane's.
//!
//! Starting a job process (fork and exec), reading its output, waiting for it, its processors
//! and the HTTP executor's requests all run on this runtime's threads, which run at the jobs'
//! nice value (`--job-nice`). Raft, gossip, internal RPC, the scheduler and the API keep the
//! node's main runtime to themselves: when a burst of launches saturates the CPU, the threads
//! that send heartbeats are neither queued behind a thousand spawns on the same workers nor
//! outweighed by them at the kernel's scheduler. (Linux keeps a nice value per thread; a child
//! forked from one of these threads starts at its nice value.)

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Threads of the job runtime (and its blocking pool) are named so in `top -H` and
/// `/proc/PID/task/*/comm`.
pub const THREAD_NAME: &str = "belfry-jobs";

/// A dedicated multi-threaded runtime whose threads run at a lower priority, or the caller's
/// runtime (tests that drive a runner in-process).
pub struct JobRuntime {
    handle: tokio::runtime::Handle,
    /// `None` when this borrows the caller's runtime.
    owned: Option<tokio::runtime::Runtime>,
    /// True while every thread of this runtime has joined the jobs' cgroup (cgroup v1 moves
    /// single threads): a child started from one is in it from its first instruction.
    threads_in_cgroup: Arc<AtomicBool>,
}

impl JobRuntime {
    /// A runtime of `workers` threads, each (and each blocking-pool thread) at nice `nice` (0
    /// leaves them at the node's priority) and, where the cgroup version allows a thread to
    /// move alone (v1), in the jobs' cgroup `cgroup`.
    ///
    /// Why the threads rather than each child: a child that inherits its priority and cgroup
    /// needs no code between fork and exec, so it is started with `posix_spawn` (the kernel's
    /// `vfork`), whose cost does not grow with the node's memory as `fork`'s page-table copy does.
    pub fn dedicated(workers: usize, nice: i32, cgroup: Option<PathBuf>) -> io::Result<JobRuntime> {
        let failed_once = Arc::new(AtomicUsize::new(0));
        let threads_in_cgroup = Arc::new(AtomicBool::new(cgroup.is_some()));
        let in_cgroup = threads_in_cgroup.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name(THREAD_NAME)
            .on_thread_start(move || {
                if let Err(e) = lower_this_thread(nice) {
                    // Logged once: every thread would fail the same way.
                    if failed_once.fetch_add(1, Ordering::Relaxed) == 0 {
                        tracing::warn!(
                            "job threads keep the node's priority: setting nice {nice} failed: {e}"
                        );
                    }
                }
                if let Some(dir) = &cgroup
                    && move_this_thread(dir).is_err()
                {
                    // Each child then joins the cgroup itself, between fork and exec.
                    in_cgroup.store(false, Ordering::Relaxed);
                }
            })
            .enable_all()
            .build()?;
        Ok(JobRuntime {
            handle: runtime.handle().clone(),
            owned: Some(runtime),
            threads_in_cgroup,
        })
    }

    /// The runtime the caller runs on.
    pub fn current() -> JobRuntime {
        JobRuntime {
            handle: tokio::runtime::Handle::current(),
            owned: None,
            threads_in_cgroup: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// Whether children started from this runtime's threads are in the jobs' cgroup already.
    pub fn threads_in_cgroup(&self) -> Arc<AtomicBool> {
        self.threads_in_cgroup.clone()
    }
}

/// Moves the calling thread alone into the cgroup `dir`: cgroup v1's `tasks` file takes a
/// thread id (0 = the writer). cgroup v2 has no such file for a domain cgroup: an error.
fn move_this_thread(dir: &std::path::Path) -> io::Result<()> {
    std::fs::write(dir.join("tasks"), "0\n")
}

impl Drop for JobRuntime {
    fn drop(&mut self) {
        // Never blocks, so the runner may be dropped inside any async context. Jobs still
        // running were killed by the drain before (or die with the process group's owner).
        if let Some(runtime) = self.owned.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for JobRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobRuntime")
            .field("dedicated", &self.owned.is_some())
            .finish()
    }
}

/// Sets the calling thread's nice value to `nice` unless it is already that nice or nicer.
fn lower_this_thread(nice: i32) -> io::Result<()> {
    if nice == 0 {
        return Ok(());
    }
    // SAFETY: plain system calls on the calling thread (Linux: PRIO_PROCESS with a thread id
    // applies to that thread alone).
    unsafe {
        let tid = libc::gettid();
        let current = libc::getpriority(libc::PRIO_PROCESS as _, tid as _);
        if current >= nice {
            return Ok(());
        }
        if libc::setpriority(libc::PRIO_PROCESS as _, tid as _, nice) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// How many worker threads the job runtime gets: one per core, at most 4 (process starts are
/// the kernel's work; more threads than cores only add switches).
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread_nice() -> i32 {
        // SAFETY: as in lower_this_thread.
        unsafe { libc::getpriority(libc::PRIO_PROCESS as _, libc::gettid() as _) }
    }

    #[test]
    fn job_threads_run_niced_and_the_callers_thread_does_not() {
        let before = thread_nice();
        let jobs = JobRuntime::dedicated(1, 7, None).unwrap();
        let (nice, name) = jobs
            .handle()
            .block_on(async {
                tokio::spawn(async {
                    (
                        thread_nice(),
                        std::thread::current().name().map(str::to_string),
                    )
                })
                .await
            })
            .unwrap();
        assert_eq!(nice, before.max(7));
        assert_eq!(name.as_deref(), Some(THREAD_NAME));
        let blocking = jobs
            .handle()
            .block_on(async { tokio::task::spawn_blocking(thread_nice).await })
            .unwrap();
        assert_eq!(
            blocking,
            before.max(7),
            "blocking-pool threads are niced too"
        );
        assert_eq!(
            thread_nice(),
            before,
            "the caller's thread keeps its priority"
        );
    }

    #[tokio::test]
    async fn dropping_a_dedicated_runtime_inside_async_code_does_not_panic() {
        let jobs = JobRuntime::dedicated(1, 0, None).unwrap();
        let task = jobs.handle().spawn(async { 1 + 1 });
        assert_eq!(task.await.unwrap(), 2);
        drop(jobs);
    }
}
