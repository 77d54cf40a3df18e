//! The runtime job bookkeeping runs on, apart from the control plane's, and the threads that
//! start job processes.
//!
//! Reading a job's output, waiting for it, its processors and the HTTP executor's requests run
//! on this runtime's threads. Raft, gossip, internal RPC, the scheduler and the API keep the
//! node's main runtime to themselves: a burst of a thousand launches never queues the tasks that
//! send heartbeats behind its own on the same workers.
//!
//! Job *processes* start from the [`ProcessStarter`]'s threads, which run at the jobs' nice value
//! (`--job-nice`) and, on cgroup v1, in the jobs' cgroup: Linux keeps both per thread, and a
//! child inherits them from the thread that starts it, so under overload the kernel favours the
//! control plane over every job from its first instruction. The bookkeeping threads keep the
//! node's priority. They were niced too, until the 10,000-job load showed the cost: each run
//! needs them several times, a niced thread waits behind every busy normal one each time, and
//! the nodes ran a third as many launches a second. The bookkeeping is light (a fraction of a
//! millisecond per run); the processes are what saturates a machine (docs/benchmarks.md).

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// Threads of the job runtime (and its blocking pool) are named so in `top -H` and
/// `/proc/PID/task/*/comm`.
pub const THREAD_NAME: &str = "belfry-jobs";

/// The threads that start job processes.
pub const STARTER_THREAD_NAME: &str = "belfry-spawn";

/// A dedicated multi-threaded runtime with its process starter, or the caller's runtime
/// (tests that drive a runner in-process; processes then start from the calling thread).
pub struct JobRuntime {
    handle: tokio::runtime::Handle,
    /// `None` when this borrows the caller's runtime.
    owned: Option<tokio::runtime::Runtime>,
    starter: Option<Arc<ProcessStarter>>,
}

impl JobRuntime {
    /// A runtime of `workers` threads at the node's priority, and `starters` process-starting
    /// threads at nice `nice` (0 leaves them at the node's) in the jobs' cgroup `cgroup`, where
    /// the cgroup version lets a thread move alone (v1).
    pub fn dedicated(
        workers: usize,
        starters: usize,
        nice: i32,
        cgroup: Option<PathBuf>,
    ) -> io::Result<JobRuntime> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name(THREAD_NAME)
            .enable_all()
            .build()?;
        let starter = ProcessStarter::start(runtime.handle().clone(), starters, nice, cgroup)?;
        Ok(JobRuntime {
            handle: runtime.handle().clone(),
            owned: Some(runtime),
            starter: Some(Arc::new(starter)),
        })
    }

    /// The runtime the caller runs on.
    pub fn current() -> JobRuntime {
        JobRuntime {
            handle: tokio::runtime::Handle::current(),
            owned: None,
            starter: None,
        }
    }

    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }

    /// The threads job processes start from (`None`: from the calling thread).
    pub fn starter(&self) -> Option<Arc<ProcessStarter>> {
        self.starter.clone()
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

/// Starts job processes from threads that run at the jobs' priority and, where they could
/// join it, in the jobs' cgroup.
///
/// Why threads rather than code in each child: a child that inherits its priority and cgroup
/// needs nothing run between fork and exec, so std starts it with `posix_spawn` (the kernel's
/// `vfork`), whose cost does not grow with the node's memory as `fork`'s page-table copy and
/// copy-on-write faults do. Why several: a `vfork` parent waits until its child has exec'd,
/// and both are niced, so under load one start can wait milliseconds for the CPU; one thread
/// made every start of the node wait in one line (a third of the throughput at 10,000 jobs).
pub struct ProcessStarter {
    requests: Mutex<std::sync::mpsc::Sender<StartRequest>>,
    /// Every starting thread runs at the jobs' nice value: children need not lower their own.
    pub niced: bool,
    /// Every starting thread is in the jobs' cgroup: children need not join it themselves.
    pub in_cgroup: bool,
}

struct StartRequest {
    command: tokio::process::Command,
    reply: oneshot::Sender<io::Result<tokio::process::Child>>,
}

impl ProcessStarter {
    /// Starts `threads` threads; they register children with `runtime`'s process driver, and
    /// end when the starter is dropped.
    fn start(
        runtime: tokio::runtime::Handle,
        threads: usize,
        nice: i32,
        cgroup: Option<PathBuf>,
    ) -> io::Result<ProcessStarter> {
        let (requests, queue) = std::sync::mpsc::channel::<StartRequest>();
        let queue = Arc::new(Mutex::new(queue));
        let (ready, settled) = std::sync::mpsc::channel();
        let threads = threads.max(1);
        for _ in 0..threads {
            let (runtime, queue, ready, cgroup) = (
                runtime.clone(),
                queue.clone(),
                ready.clone(),
                cgroup.clone(),
            );
            std::thread::Builder::new()
                .name(STARTER_THREAD_NAME.into())
                .spawn(move || {
                    let niced = lower_this_thread(nice);
                    // Where a thread cannot move alone (cgroup v2), each child joins the
                    // cgroup itself, between fork and exec.
                    let in_cgroup = cgroup
                        .as_deref()
                        .is_some_and(|d| move_this_thread(d).is_ok());
                    let _ = ready.send((niced, in_cgroup));
                    let _context = runtime.enter();
                    loop {
                        let next = queue.lock().map(|q| q.recv());
                        let Ok(Ok(mut request)) = next else { return };
                        // A caller that gave up drops the child, which kills it (kill_on_drop).
                        let _ = request.reply.send(request.command.spawn());
                    }
                })?;
        }
        let (mut niced, mut in_cgroup) = (true, true);
        for _ in 0..threads {
            let (n, c) = settled
                .recv()
                .map_err(|_| io::Error::other("a process starter thread ended at once"))?;
            if let Err(e) = &n
                && niced
            {
                tracing::warn!(
                    "job processes lower their own priority: setting nice {nice} on the starting threads failed: {e}"
                );
            }
            niced &= n.is_ok();
            in_cgroup &= c;
        }
        Ok(ProcessStarter {
            requests: Mutex::new(requests),
            niced,
            in_cgroup,
        })
    }

    /// Starts `command` from one of the starting threads.
    pub async fn spawn(
        &self,
        command: tokio::process::Command,
    ) -> io::Result<tokio::process::Child> {
        let stopped = || io::Error::other("the process starter has stopped");
        let (reply, answer) = oneshot::channel();
        self.requests
            .lock()
            .map_err(|_| stopped())?
            .send(StartRequest { command, reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl std::fmt::Debug for ProcessStarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessStarter")
            .field("niced", &self.niced)
            .field("in_cgroup", &self.in_cgroup)
            .finish()
    }
}

/// Moves the calling thread alone into the cgroup `dir`: cgroup v1's `tasks` file takes a
/// thread id (0 = the writer). cgroup v2 has no such file for a domain cgroup: an error.
fn move_this_thread(dir: &std::path::Path) -> io::Result<()> {
    std::fs::write(dir.join("tasks"), "0\n")
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
        // SAFETY: a plain system call about the calling thread.
        unsafe { libc::getpriority(libc::PRIO_PROCESS as _, libc::gettid() as _) }
    }

    #[test]
    fn processes_start_niced_while_the_bookkeeping_threads_keep_the_nodes_priority() {
        let before = thread_nice();
        let jobs = JobRuntime::dedicated(1, 3, 7, None).unwrap();
        let starter = jobs.starter().unwrap();
        assert!(starter.niced && !starter.in_cgroup, "{starter:?}");
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
        assert_eq!(nice, before, "bookkeeping threads keep the node's priority");
        assert_eq!(name.as_deref(), Some(THREAD_NAME));
        // `nice` with no arguments prints the niceness it runs at: inherited from a starting
        // thread at its birth. Several at once, from every starting thread.
        let printed = jobs.handle().block_on(async move {
            let starts = (0..6).map(|_| {
                let starter = starter.clone();
                async move {
                    let mut command = tokio::process::Command::new("nice");
                    command
                        .stdout(std::process::Stdio::piped())
                        .kill_on_drop(true);
                    let child = starter.spawn(command).await.unwrap();
                    child.wait_with_output().await.unwrap()
                }
            });
            futures_util::future::join_all(starts).await
        });
        for out in printed {
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                before.max(7).to_string()
            );
        }
        assert_eq!(
            thread_nice(),
            before,
            "the caller's thread keeps its priority"
        );
    }

    #[tokio::test]
    async fn dropping_a_dedicated_runtime_inside_async_code_does_not_panic() {
        let jobs = JobRuntime::dedicated(1, 1, 0, None).unwrap();
        let task = jobs.handle().spawn(async { 1 + 1 });
        assert_eq!(task.await.unwrap(), 2);
        drop(jobs);
    }
}
