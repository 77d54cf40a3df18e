//! Runs launched executions on this node and hands their results to the result sink.
//!
//! The runner only runs what the state machine has already recorded as launched and the
//! leader dispatched here (see [`crate::node::worker`]); it never decides whether something should
//! run. It keeps the set of
//! executions running here, so a graceful stop can wait for them and then kill what is left.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use chrono::SecondsFormat;
use tokio::sync::{mpsc, oneshot, watch};

use crate::job::executor_spec::ExecutorSpec;
use crate::model::{Execution, Job};
use crate::node::executor::http::run_http;
use crate::node::executor::shell::run_shell_started_by;
use crate::node::job_runtime::{self, JobRuntime, ProcessStarter};
use crate::node::processors::ProcessorContext;

/// A finished execution on its way to the node's outbox.
pub struct Finished {
    pub execution: Execution,
}

/// Where finished executions go to be queued and delivered (in batches) by the worker.
/// It counts what is not yet committed, so a graceful stop can wait for the last results.
#[derive(Clone)]
pub struct ResultSink {
    tx: mpsc::UnboundedSender<Finished>,
    unflushed: Arc<watch::Sender<usize>>,
}

impl ResultSink {
    pub fn new() -> (ResultSink, mpsc::UnboundedReceiver<Finished>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let sink = ResultSink {
            tx,
            unflushed: Arc::new(watch::channel(0).0),
        };
        (sink, rx)
    }

    pub fn submit(&self, finished: Finished) {
        self.unflushed.send_modify(|n| *n += 1);
        if self.tx.send(finished).is_err() {
            self.unflushed.send_modify(|n| *n -= 1);
        }
    }

    /// Called by the result loop once `count` results are committed.
    pub fn mark_flushed(&self, count: usize) {
        self.unflushed.send_modify(|n| *n = n.saturating_sub(count));
    }

    /// Waits until every submitted result is committed, or `limit` passes.
    pub async fn flushed(&self, limit: Duration) -> bool {
        let mut rx = self.unflushed.subscribe();
        tokio::time::timeout(limit, rx.wait_for(|n| *n == 0))
            .await
            .is_ok()
    }
}

/// How this node runs job processes (the agent's `--job-nice` and `--max-parallel`;
/// docs/operating.md, "Job priority" and "Execution slots").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLimits {
    /// Nice value shell jobs, and the threads that start and watch them, run at; 0 leaves them
    /// at the node's priority.
    pub job_nice: i32,
    /// Executions running at once; 0 = no limit.
    pub max_parallel: usize,
    /// The cgroup shell jobs join (`--job-cgroup`, prepared by [`crate::node::job_cgroup`]).
    pub job_cgroup: Option<std::path::PathBuf>,
}

impl Default for RunLimits {
    fn default() -> RunLimits {
        RunLimits {
            job_nice: crate::config::DEFAULT_JOB_NICE,
            max_parallel: crate::config::default_max_parallel(),
            job_cgroup: None,
        }
    }
}

/// The gossip tag in which a node tells the others its launch backlog (absent when 0), so
/// `/v1/operator/health` on the leader shows every node's.
pub const BACKLOG_TAG: &str = "backlog";

/// Process-starting threads, at most: one per execution slot up to this (each mostly waits).
const MAX_STARTERS: usize = 16;

/// How often a persisting backlog is logged, at most.
const BACKLOG_LOG_EVERY: Duration = Duration::from_secs(60);

/// Execution slots (`--max-parallel`): at most `limit` executions run at once; launches beyond
/// wait in the order they were accepted. A freed slot is handed straight to the oldest waiter,
/// so a newcomer never overtakes the queue.
struct Slots {
    /// 0 = no limit.
    limit: usize,
    queue: Mutex<SlotQueue>,
    /// Launches that had to wait for a slot, since the start.
    delayed_total: AtomicU64,
    /// When the backlog was last logged, and `delayed_total` then.
    last_logged: Mutex<Option<(Instant, u64)>>,
}

struct SlotQueue {
    free: usize,
    /// Waiters in arrival order, with when they started waiting. A waiter that gave up (the
    /// node stopped) has a closed sender and is skipped.
    waiting: VecDeque<(Instant, oneshot::Sender<SlotPermit>)>,
}

/// A held slot; dropping it frees the slot (or hands it to the next waiter).
struct SlotPermit(Option<Arc<Slots>>);

impl Drop for SlotPermit {
    fn drop(&mut self) {
        if let Some(slots) = self.0.take() {
            slots.release();
        }
    }
}

/// What [`Slots::enter`] gave: a slot at once, or a place in the queue.
enum SlotEntry {
    Now(Option<SlotPermit>),
    Queued(oneshot::Receiver<SlotPermit>),
}

impl Slots {
    fn new(limit: usize) -> Arc<Slots> {
        Arc::new(Slots {
            limit,
            queue: Mutex::new(SlotQueue {
                free: limit,
                waiting: VecDeque::new(),
            }),
            delayed_total: AtomicU64::new(0),
            last_logged: Mutex::new(None),
        })
    }

    fn enter(self: &Arc<Self>) -> SlotEntry {
        if self.limit == 0 {
            return SlotEntry::Now(None);
        }
        let mut queue = self.queue.lock().expect("slots lock");
        if queue.free > 0 {
            queue.free -= 1;
            return SlotEntry::Now(Some(SlotPermit(Some(self.clone()))));
        }
        let (tx, rx) = oneshot::channel();
        queue.waiting.push_back((Instant::now(), tx));
        drop(queue);
        self.delayed_total.fetch_add(1, Ordering::Relaxed);
        self.log_backlog();
        SlotEntry::Queued(rx)
    }

    fn release(self: &Arc<Self>) {
        let mut queue = self.queue.lock().expect("slots lock");
        while let Some((_, tx)) = queue.waiting.pop_front() {
            match tx.send(SlotPermit(Some(self.clone()))) {
                Ok(()) => return,
                // That waiter gave up: disarm the permit (its drop must not re-enter this
                // lock) and try the next.
                Err(mut permit) => permit.0 = None,
            }
        }
        queue.free += 1;
    }

    /// Launches waiting for a slot now, and how long the oldest has waited.
    fn backlog(&self) -> (usize, Duration) {
        let queue = self.queue.lock().expect("slots lock");
        let mut live = queue.waiting.iter().filter(|(_, tx)| !tx.is_closed());
        let oldest = live.next().map(|(since, _)| since.elapsed());
        let n = oldest.map_or(0, |_| 1 + live.count());
        (n, oldest.unwrap_or_default())
    }

    /// One WARN line with figures while a backlog persists, at most every
    /// [`BACKLOG_LOG_EVERY`]: overload is said, not hidden, and not said 1,000 times a second.
    ///
    /// Called for every queued launch, so the time is checked first: counting the backlog
    /// walks the queue, and doing that per launch made a backlog quadratic.
    fn log_backlog(&self) {
        let delayed_total = self.delayed_total.load(Ordering::Relaxed);
        let mut last = self.last_logged.lock().expect("backlog log lock");
        let delayed_since = match *last {
            Some((at, _)) if at.elapsed() < BACKLOG_LOG_EVERY => return,
            Some((_, before)) => delayed_total - before,
            None => delayed_total,
        };
        let (waiting, oldest) = self.backlog();
        if waiting == 0 {
            return;
        }
        *last = Some((Instant::now(), delayed_total));
        drop(last);
        tracing::warn!(
            waiting,
            max_parallel = self.limit,
            oldest_waiting_ms = oldest.as_millis() as u64,
            delayed_since_last_report = delayed_since,
            delayed_total,
            "{waiting} launches waiting for an execution slot (--max-parallel {}): jobs start late; the oldest has waited {:.1} s",
            self.limit,
            oldest.as_secs_f64()
        );
    }
}

#[derive(Clone)]
pub struct Runner {
    /// Where executions run (niced threads apart from the control plane). Held here, not in
    /// `inner`, so the last owner is never one of its own tasks.
    jobs: Arc<JobRuntime>,
    inner: Arc<RunnerInner>,
}

struct RunnerInner {
    /// The threads job processes start from, at the jobs' priority (`None`: the caller's).
    starter: Option<Arc<ProcessStarter>>,
    node: String,
    output_limit: usize,
    limits: RunLimits,
    slots: Arc<Slots>,
    /// For the job's processors, which run here before the result is queued.
    processors: ProcessorContext,
    results: ResultSink,
    /// Keyed by (job, execution id): execution ids are unique only within a job.
    running: Mutex<HashSet<(String, String)>>,
    /// Flips to true when running jobs must be killed (the shutdown grace period is over).
    kill: watch::Sender<bool>,
    /// False once a graceful stop has begun: nothing new starts.
    accepting: std::sync::atomic::AtomicBool,
    idle: watch::Sender<usize>,
}

impl Runner {
    /// `output_dir` is where the `files` processor writes when a job names no `log_dir`.
    pub fn new(
        node: String,
        output_limit: usize,
        limits: RunLimits,
        output_dir: std::path::PathBuf,
        results: ResultSink,
    ) -> Runner {
        let slots = Slots::new(limits.max_parallel);
        let jobs = match JobRuntime::dedicated(
            job_runtime::default_workers(),
            match limits.max_parallel {
                0 => MAX_STARTERS,
                slots => slots.min(MAX_STARTERS),
            },
            limits.job_nice,
            limits.job_cgroup.clone(),
        ) {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::warn!(
                    "job bookkeeping shares the control plane's runtime: cannot start its own: {e}"
                );
                JobRuntime::current()
            }
        };
        // A backlog that persists without new arrivals is still reported once a minute.
        let watched: Weak<Slots> = Arc::downgrade(&slots);
        jobs.handle().spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                match watched.upgrade() {
                    Some(slots) => slots.log_backlog(),
                    None => return,
                }
            }
        });
        let starter = jobs.starter();
        Runner {
            jobs: Arc::new(jobs),
            inner: Arc::new(RunnerInner {
                starter,
                slots,
                processors: ProcessorContext {
                    node: node.clone(),
                    default_log_dir: output_dir,
                },
                node,
                output_limit,
                limits,
                results,
                running: Mutex::new(HashSet::new()),
                kill: watch::channel(false).0,
                accepting: std::sync::atomic::AtomicBool::new(true),
                idle: watch::channel(0).0,
            }),
        }
    }

    /// How many executions run on this node now (not counting those waiting for a slot).
    pub fn running_count(&self) -> usize {
        let accepted = self.inner.running.lock().expect("runner lock").len();
        accepted.saturating_sub(self.launch_backlog())
    }

    /// Accepted launches waiting for an execution slot (`--max-parallel`) now.
    pub fn launch_backlog(&self) -> usize {
        self.inner.slots.backlog().0
    }

    /// Launches that had to wait for a slot since the node started.
    pub fn launches_delayed(&self) -> u64 {
        self.inner.slots.delayed_total.load(Ordering::Relaxed)
    }

    /// The `--max-parallel` this node runs with (0 = no limit).
    pub fn max_parallel(&self) -> usize {
        self.inner.slots.limit
    }

    /// False once a graceful stop has begun.
    pub fn is_accepting(&self) -> bool {
        self.inner
            .accepting
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn is_running(&self, job: &str, execution_id: &str) -> bool {
        let map = self.inner.running.lock().expect("runner lock");
        map.contains(&(job.to_string(), execution_id.to_string()))
    }

    /// Starts a launched execution; false if it was not started (already running here, or
    /// the node is stopping, in which case it is closed at once with the reason).
    pub fn start(&self, job: Job, execution: Execution) -> bool {
        if !self.is_accepting() {
            // A launch committed just as the graceful stop began: close it now, with the
            // reason, rather than leave it running until the node starts again.
            tracing::warn!(execution = %execution.id, "not started: node is shutting down");
            let now = chrono::Utc::now();
            let mut closed = execution;
            closed.started_at = now;
            closed.finished_at = now;
            closed.success = false;
            closed.output = "[belfry] not started: agent shutting down".into();
            self.inner.results.submit(Finished { execution: closed });
            return false;
        }
        {
            let mut map = self.inner.running.lock().expect("runner lock");
            let key = (execution.job_name.clone(), execution.id.clone());
            if map.contains(&key) {
                // The same launch twice on one node would run twice: refuse.
                tracing::warn!(job = %key.0, execution = %key.1, "launch already running here: not started again");
                return false;
            }
            map.insert(key);
            self.inner.idle.send_replace(map.len());
        }
        // Taken here, not in the task, so slots go in the order launches were accepted.
        let entry = self.inner.slots.enter();
        let inner = self.inner.clone();
        self.jobs.handle().spawn(async move {
            let slot = match entry {
                SlotEntry::Now(permit) => Some(permit),
                SlotEntry::Queued(rx) => {
                    let mut kill = inner.kill.subscribe();
                    tokio::select! {
                        permit = rx => permit.ok().map(Some),
                        _ = kill.wait_for(|k| *k) => None,
                    }
                }
            };
            let done = match slot {
                Some(_permit) => {
                    // Boxed, so that a launch waiting for a slot holds only its job and
                    // execution: a running execution's state (buffers, pipes, the child) is
                    // tens of KiB, and a backlog of 100,000 launches took 2.4 GiB unboxed.
                    let done = Box::pin(inner.execute(&job, execution.clone())).await;
                    Box::pin(inner.process(job, done)).await
                }
                None => {
                    // The grace period ended while it still waited for a slot.
                    let now = chrono::Utc::now();
                    let mut closed = execution.clone();
                    closed.started_at = now;
                    closed.finished_at = now;
                    closed.success = false;
                    closed.output =
                        "[belfry] not started: agent shutting down while the launch waited for an execution slot".into();
                    closed
                }
            };
            // Queued before it stops counting as running, so a graceful stop that sees this
            // node idle also waits for this result.
            inner.results.submit(Finished { execution: done });
            let mut map = inner.running.lock().expect("runner lock");
            map.remove(&(execution.job_name.clone(), execution.id.clone()));
            inner.idle.send_replace(map.len());
        });
        true
    }

    /// Graceful stop: waits up to `grace` for running executions, then kills what is left and
    /// waits for those to report.
    pub async fn drain(&self, grace: Duration) {
        self.inner
            .accepting
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let mut idle = self.inner.idle.subscribe();
        if tokio::time::timeout(grace, idle.wait_for(|n| *n == 0))
            .await
            .is_err()
        {
            tracing::warn!(
                running = self.running_count(),
                "shutdown grace period over: killing running executions"
            );
            self.inner.kill.send_replace(true);
            let _ = tokio::time::timeout(Duration::from_secs(10), idle.wait_for(|n| *n == 0)).await;
        }
    }
}

impl RunnerInner {
    /// Runs the job's processors on the result (file and socket I/O, so off the runtime).
    async fn process(&self, job: Job, execution: Execution) -> Execution {
        if job.processors.is_empty() {
            return execution;
        }
        let ctx = self.processors.clone();
        let fallback = execution.clone();
        tokio::task::spawn_blocking(move || {
            crate::node::processors::run(&job.processors, execution, &ctx)
        })
        .await
        .unwrap_or_else(|e| {
            tracing::error!(execution = %fallback.id, "processors failed: {e}");
            fallback
        })
    }

    /// Runs `execution` with the job's executor and fills in its result. A config that no
    /// longer validates (saved by an older version) or an executor this build lacks is a failed
    /// execution saying so, never a panic.
    async fn execute(&self, job: &Job, mut execution: Execution) -> Execution {
        let mut kill = self.kill.subscribe();
        let cancel = async move {
            let _ = kill.wait_for(|k| *k).await;
        };
        let outcome = match ExecutorSpec::of(job) {
            Ok(ExecutorSpec::Shell(mut spec)) => {
                // What the starting threads have already, the child inherits from them.
                let starter = self.starter.as_deref();
                spec.nice = match starter {
                    Some(s) if s.niced => 0,
                    _ => self.limits.job_nice,
                };
                spec.cgroup = match starter {
                    Some(s) if s.in_cgroup => None,
                    _ => self.limits.job_cgroup.clone(),
                };
                let env = self.job_env(job, &execution);
                Ok(
                    run_shell_started_by(starter, &spec, &env, self.output_limit, cancel, |_| {})
                        .await,
                )
            }
            Ok(ExecutorSpec::Http(spec)) => Ok(run_http(&spec, self.output_limit, cancel).await),
            Err(e) => Err(e.to_string()),
        };
        let outcome = match outcome {
            Ok(outcome) => {
                // `started_at` still holds the instant the launch was due (set by the state machine).
                crate::telemetry::global().run_started(execution.started_at, outcome.started_at);
                outcome
            }
            Err(e) => {
                let now = chrono::Utc::now();
                execution.started_at = now;
                execution.finished_at = now;
                execution.success = false;
                execution.output = format!("[belfry] cannot run: {e}");
                return execution;
            }
        };
        execution.started_at = outcome.started_at;
        execution.finished_at = outcome.finished_at;
        execution.success = outcome.success;
        execution.exit_code = outcome.exit_code;
        execution.output_truncated = outcome.output_truncated;
        execution.output = outcome.output;
        if let Some(reason) = outcome.error {
            tracing::info!(job = %job.name, execution = %execution.id, %reason, "execution failed");
        }
        execution
    }

    /// The environment a command gets besides the agent's: Belfry's variables and Dkron's
    /// `ENV_JOB_NAME`.
    fn job_env(&self, job: &Job, execution: &Execution) -> Vec<(String, String)> {
        vec![
            ("BELFRY_JOB_NAME".to_string(), job.name.clone()),
            ("BELFRY_EXECUTION_ID".to_string(), execution.id.clone()),
            ("BELFRY_NODE_NAME".to_string(), self.node.clone()),
            (
                "BELFRY_SCHEDULED_AT".to_string(),
                execution
                    .scheduled_at
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
            ("ENV_JOB_NAME".to_string(), job.name.clone()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn permit(entry: SlotEntry) -> Option<SlotPermit> {
        match entry {
            SlotEntry::Now(permit) => permit,
            SlotEntry::Queued(_) => panic!("queued, expected a slot at once"),
        }
    }

    fn queued(entry: SlotEntry) -> oneshot::Receiver<SlotPermit> {
        match entry {
            SlotEntry::Queued(rx) => rx,
            SlotEntry::Now(_) => panic!("got a slot, expected to wait"),
        }
    }

    #[tokio::test]
    async fn slots_go_to_waiters_in_order_skipping_those_that_gave_up() {
        let slots = Slots::new(1);
        let first = permit(slots.enter()).expect("a real slot");
        let mut second = queued(slots.enter());
        let third = queued(slots.enter());
        let mut fourth = queued(slots.enter());
        assert_eq!(slots.backlog().0, 3);
        assert_eq!(slots.delayed_total.load(Ordering::Relaxed), 3);
        drop(third); // stopped waiting (the node's grace period ended)
        assert_eq!(slots.backlog().0, 2);

        drop(first);
        let second_slot = second.try_recv().expect("the oldest waiter gets the slot");
        assert!(fourth.try_recv().is_err(), "only one slot");
        drop(second_slot);
        let fourth_slot = fourth.try_recv().expect("the one that gave up is skipped");
        assert_eq!(slots.backlog().0, 0);
        drop(fourth_slot);
        // The slot is free again, and a newcomer takes it at once.
        assert!(permit(slots.enter()).is_some());
    }

    #[test]
    fn zero_means_no_limit() {
        let slots = Slots::new(0);
        for _ in 0..100 {
            assert!(permit(slots.enter()).is_none());
        }
        assert_eq!(slots.backlog().0, 0);
        assert_eq!(slots.delayed_total.load(Ordering::Relaxed), 0);
    }
}
