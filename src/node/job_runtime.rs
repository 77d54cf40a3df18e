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
use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads of the job runtime (and its blocking pool) are named so in `top -H` and
/// `/proc/PID/task/*/comm`.
pub const THREAD_NAME: &str = "belfry-jobs";

/// A dedicated multi-threaded runtime whose threads run at a lower priority, or the caller's
/// runtime (tests that drive a runner in-process).
pub struct JobRuntime {
    handle: tokio::runtime::Handle,
    /// `None` when this borrows the caller's runtime.
    owned: Option<tokio::runtime::Runtime>,
}

impl JobRuntime {
    /// A runtime of `workers` threads, each (and each blocking-pool thread) at nice `nice` (0
    /// leaves them at the node's priority).
    pub fn dedicated(workers: usize, nice: i32) -> io::Result<JobRuntime> {
        let failed_once = std::sync::Arc::new(AtomicUsize::new(0));
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
            })
            .enable_all()
            .build()?;
        Ok(JobRuntime {
            handle: runtime.handle().clone(),
            owned: Some(runtime),
        })
    }

    /// The runtime the caller runs on.
    pub fn current() -> JobRuntime {
        JobRuntime {
            handle: tokio::runtime::Handle::current(),
            owned: None,
        }
    }

    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }
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
        let jobs = JobRuntime::dedicated(1, 7).unwrap();
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
        let jobs = JobRuntime::dedicated(1, 0).unwrap();
        let task = jobs.handle().spawn(async { 1 + 1 });
        assert_eq!(task.await.unwrap(), 2);
        drop(jobs);
    }
}
