//! Polling the API in the background, so that a slow or dead node never freezes the screen.
//!
//! Every request has its own timeout. Three loops run side by side, each at its own pace:
//!
//! - the cluster round (quorum health, members, running executions) every `refresh`, from the
//!   node in use; when that node stops answering, the other known servers are tried in turn
//!   and the first that answers is used from then on (the screen says so);
//! - the jobs, every second refresh, and the executions of the jobs whose counts changed
//!   since they were last read (a few dozen per round, so a thousand jobs cost no burst);
//! - each node's own load (`GET /v1/node/stats` on its own API), every tenth refresh (a
//!   request to each node: the costliest read with a hundred nodes, and load moves slowly).
//!
//! Runs, toggles and demotions are sent from their own tasks and report back as updates.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use belfry_client::model::Job;
use belfry_client::{Client, ClientError};
use chrono::{DateTime, Utc};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use crate::state::{ClusterRead, Command, ExecutionsRead, Update, Watch, http_addr_of, is_failure};

/// Jobs whose executions are read in one jobs round, at most.
const EXECUTION_READS_PER_ROUND: usize = 50;
/// Requests in flight at once for per-job and per-node reads.
const PARALLEL_READS: usize = 8;
/// Executions read per job: enough for the last hour's rate of a job run every minute.
const EXECUTIONS_PER_JOB: usize = 60;
/// At most this many executions read for one job whose newest [`EXECUTIONS_PER_JOB`] all
/// fall in the last hour (a job run more often than every minute), so that its rate and
/// trends cover the whole hour from the first screen.
const HOUR_OF_EXECUTIONS: usize = 1200;
/// Executions read beyond those a changed job's counts say finished.
const NEWEST_SLACK: usize = 3;
/// Executions (with output) shown in a job's details.
const DETAIL_EXECUTIONS: usize = 20;
/// Output kept per execution in a job's details.
const DETAIL_OUTPUT_BYTES: usize = 8 * 1024;
/// How far back the last failure is looked for when none is among the newest executions.
const FAILURE_SEARCH: usize = 500;
/// A run, toggle or demotion may take this long (a run answers once the job finished).
const ACTION_TIMEOUT: Duration = Duration::from_secs(120);

/// Where to read and how often.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub addr: String,
    pub token: Option<String>,
    /// Pace of the cluster round.
    pub refresh: Duration,
    /// Limit on each request.
    pub timeout: Duration,
}

/// What the loops share.
struct Shared {
    /// A client with the token, timeout and stale reads: the template for every node's.
    base: Client,
    /// The node in use.
    current: Mutex<Client>,
    /// API addresses of the servers known, the one given first.
    known: Mutex<Vec<String>>,
    /// Live members and their API addresses, for the load reads.
    members: Mutex<Vec<(String, String)>>,
    /// The job whose details are open, and the execution picked there.
    watched: Mutex<Option<Watch>>,
    /// Wakes the jobs loop when a job's details open.
    wake_jobs: Notify,
    updates: mpsc::UnboundedSender<Update>,
}

impl Shared {
    fn current(&self) -> Client {
        self.current.lock().expect("current lock").clone()
    }

    fn send(&self, update: Update) {
        // The screen is gone: the loops end with the runtime.
        let _ = self.updates.send(update);
    }
}

/// The running fetcher: takes commands from the screen.
pub struct Fetcher {
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Fetcher {
    /// Starts the loops on the current runtime.
    pub fn start(
        options: &FetchOptions,
        updates: mpsc::UnboundedSender<Update>,
    ) -> Result<Fetcher, ClientError> {
        let base = Client::new(&options.addr)?
            .with_token(options.token.as_deref())
            .with_timeout(options.timeout)
            .with_stale_reads(true);
        let shared = Arc::new(Shared {
            current: Mutex::new(base.clone()),
            known: Mutex::new(vec![options.addr.clone()]),
            base,
            members: Mutex::new(Vec::new()),
            watched: Mutex::new(None),
            wake_jobs: Notify::new(),
            updates,
        });
        let refresh = options.refresh;
        let tasks = vec![
            tokio::spawn(cluster_loop(shared.clone(), refresh)),
            tokio::spawn(jobs_loop(
                shared.clone(),
                (refresh * 2).max(Duration::from_secs(1)),
            )),
            tokio::spawn(stats_loop(
                shared.clone(),
                (refresh * 10).max(Duration::from_secs(5)),
            )),
        ];
        Ok(Fetcher { shared, tasks })
    }

    /// Carries out what the screen asked for, in the background.
    pub fn command(&self, command: Command) {
        let shared = self.shared.clone();
        match command {
            Command::Quit | Command::Mouse(_) => {}
            Command::WatchJob(job) => {
                *shared.watched.lock().expect("watched lock") = job;
                shared.wake_jobs.notify_one();
            }
            Command::RunJob(name) => {
                tokio::spawn(async move {
                    let client = shared.current().with_timeout(ACTION_TIMEOUT);
                    let result = client
                        .run_job(&name)
                        .await
                        .map(|job| match job.status.as_str() {
                            "" => "launched".to_string(),
                            s => format!("last status {s}"),
                        })
                        .map_err(|e| e.to_string());
                    shared.send(Update::ActionDone {
                        at: Utc::now(),
                        what: format!("run job {name}"),
                        result,
                        run_of: Some(name),
                    });
                    shared.wake_jobs.notify_one();
                });
            }
            Command::ToggleJob(name) => {
                tokio::spawn(async move {
                    let client = shared.current().with_timeout(ACTION_TIMEOUT);
                    let result = client
                        .toggle_job(&name)
                        .await
                        .map(|job| if job.disabled { "disabled" } else { "enabled" }.to_string())
                        .map_err(|e| e.to_string());
                    shared.send(Update::ActionDone {
                        at: Utc::now(),
                        what: format!("toggle job {name}"),
                        result,
                        run_of: None,
                    });
                    shared.wake_jobs.notify_one();
                });
            }
            Command::Demote(node) => {
                tokio::spawn(async move {
                    let client = shared.current().with_timeout(ACTION_TIMEOUT);
                    let result = client.demote(&node, false).await.map_err(|e| e.to_string());
                    shared.send(Update::ActionDone {
                        at: Utc::now(),
                        what: format!("demote {node}"),
                        result,
                        run_of: None,
                    });
                });
            }
        }
    }
}

impl Drop for Fetcher {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// One cluster round from `client`. Fails only when the node itself does not answer its
/// member list; the health read goes through the leader and may fail on its own.
async fn cluster_round(client: &Client) -> Result<ClusterRead, String> {
    let (members, health, running) =
        tokio::join!(client.members(), client.cluster_health(), client.busy());
    let members = members.map_err(|e| short_error(&e))?;
    Ok(ClusterRead {
        via: client
            .base()
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .to_string(),
        health: health.map_err(|e| short_error(&e)),
        members,
        running: running.ok(),
    })
}

/// The reason without the URL the screen already shows.
fn short_error(e: &ClientError) -> String {
    match e {
        ClientError::Transport { source, .. } if source.is_timeout() => "timed out".into(),
        ClientError::Transport { source, .. } if source.is_connect() => "unreachable".into(),
        ClientError::Transport { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

async fn cluster_loop(shared: Arc<Shared>, refresh: Duration) {
    let mut tick = tokio::time::interval(refresh);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if shared.updates.is_closed() {
            return;
        }
        let client = shared.current();
        let reason = match cluster_round(&client).await {
            Ok(snapshot) => {
                learn(&shared, &snapshot);
                shared.send(Update::Cluster {
                    at: Utc::now(),
                    read: snapshot,
                });
                continue;
            }
            Err(reason) => reason,
        };
        // The node in use is gone or hung: the first other known server that answers wins.
        let others: Vec<String> = shared
            .known
            .lock()
            .expect("known lock")
            .iter()
            .filter(|a| !same_addr(a, client.base()))
            .cloned()
            .collect();
        let mut answered = false;
        for addr in others {
            let Ok(candidate) = shared.base.for_addr(&addr) else {
                continue;
            };
            if let Ok(snapshot) = cluster_round(&candidate).await {
                *shared.current.lock().expect("current lock") = candidate;
                learn(&shared, &snapshot);
                let at = Utc::now();
                shared.send(Update::Switched {
                    at,
                    from: strip_scheme(client.base()),
                    to: snapshot.via.clone(),
                    reason: reason.clone(),
                });
                shared.send(Update::Cluster { at, read: snapshot });
                answered = true;
                break;
            }
        }
        if !answered {
            shared.send(Update::Unreachable {
                at: Utc::now(),
                reason: format!("{}: {reason}", strip_scheme(client.base())),
            });
        }
    }
}

fn strip_scheme(base: &str) -> String {
    base.trim_start_matches("http://")
        .trim_start_matches("https://")
        .to_string()
}

fn same_addr(addr: &str, base: &str) -> bool {
    strip_scheme(addr.trim_end_matches('/')) == strip_scheme(base)
}

/// Remembers the servers (to fail over to) and the live members (to read their load).
fn learn(shared: &Shared, snapshot: &ClusterRead) {
    let mut known = shared.known.lock().expect("known lock");
    for m in &snapshot.members {
        if m.tags.get("server").is_some_and(|s| s == "true")
            && let Some(addr) = http_addr_of(m)
            && !known.iter().any(|k| same_addr(k, &addr))
        {
            known.push(addr);
        }
    }
    drop(known);
    *shared.members.lock().expect("members lock") = snapshot
        .members
        .iter()
        .filter(|m| m.status == 1)
        .filter_map(|m| http_addr_of(m).map(|a| (m.name.clone(), a)))
        .collect();
}

/// What, in a job, changes when one of its executions starts or finishes.
#[derive(PartialEq, Eq, Clone)]
struct Fingerprint {
    success: u64,
    error: u64,
    status: String,
    last_success: Option<DateTime<Utc>>,
    last_error: Option<DateTime<Utc>>,
}

impl Fingerprint {
    fn finished(&self) -> u64 {
        self.success + self.error
    }
}

impl From<&Job> for Fingerprint {
    fn from(j: &Job) -> Fingerprint {
        Fingerprint {
            success: j.success_count,
            error: j.error_count,
            status: j.status.clone(),
            last_success: j.last_success,
            last_error: j.last_error,
        }
    }
}

async fn jobs_loop(shared: Arc<Shared>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Per job, the fingerprint its executions were last read at.
    let mut read_at: HashMap<String, Fingerprint> = HashMap::new();
    let mut first_round = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shared.wake_jobs.notified() => {}
        }
        if shared.updates.is_closed() {
            return;
        }
        let client = shared.current();
        let watched = shared.watched.lock().expect("watched lock").clone();
        if let Some(watch) = watched {
            let runs = detail_read(&client, &watch).await;
            shared.send(Update::JobDetail {
                at: Utc::now(),
                job: watch.job,
                runs,
            });
        }
        let jobs = match client.jobs().await {
            Ok(jobs) => jobs,
            Err(e) => {
                shared.send(Update::Failed {
                    at: Utc::now(),
                    what: "jobs",
                    error: short_error(&e),
                });
                continue;
            }
        };
        // Changed since last read first, then never read, up to the round's budget.
        let names: HashSet<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        read_at.retain(|name, _| names.contains(name.as_str()));
        let mut changed = Vec::new();
        let mut unread = Vec::new();
        for j in &jobs {
            let now = Fingerprint::from(j);
            match read_at.get(&j.name) {
                Some(before) if *before == now => {}
                // Only the executions that finished since, and a few more for those that
                // changed no count (missed ticks): a changed job costs a small read.
                Some(before) => {
                    let finished = now.finished().saturating_sub(before.finished()) as usize;
                    changed.push((j.name.clone(), now, finished + NEWEST_SLACK));
                }
                None => unread.push((j.name.clone(), now, EXECUTIONS_PER_JOB)),
            }
        }
        // The first round reads every job's recent history, once, so that the last hour's
        // rates and trends are right on the first screen; later rounds read what changed,
        // a budget at a time.
        let budget = if first_round {
            usize::MAX
        } else {
            EXECUTION_READS_PER_ROUND
        };
        first_round = false;
        let todo: Vec<(String, Fingerprint, usize)> =
            changed.into_iter().chain(unread).take(budget).collect();
        shared.send(Update::Jobs {
            at: Utc::now(),
            jobs,
        });
        if todo.is_empty() {
            continue;
        }
        let limit = Arc::new(Semaphore::new(PARALLEL_READS));
        let mut reads = JoinSet::new();
        for (name, fingerprint, newest) in todo {
            let client = client.clone();
            let limit = limit.clone();
            let newest = newest.min(EXECUTIONS_PER_JOB);
            reads.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let mut newest = newest;
                let mut runs = client.recent_executions(&name, newest, 0).await;
                // A full read that does not reach an hour back: the rest of the hour too.
                let hour_ago = Utc::now() - chrono::Duration::hours(1);
                if newest == EXECUTIONS_PER_JOB
                    && let Ok(list) = &runs
                    && list.len() == newest
                    && list.last().is_some_and(|e| e.started_at > hour_ago)
                {
                    newest = HOUR_OF_EXECUTIONS;
                    runs = client.recent_executions(&name, newest, 0).await;
                }
                (name, fingerprint, newest, runs)
            });
        }
        let mut runs = Vec::new();
        while let Some(done) = reads.join_next().await {
            let Ok((name, fingerprint, newest, result)) = done else {
                continue;
            };
            // An error (deleted meanwhile, or the node is slow): tried again next round.
            if let Ok(executions) = result {
                read_at.insert(name.clone(), fingerprint);
                runs.push(ExecutionsRead {
                    job: name,
                    complete: newest >= EXECUTIONS_PER_JOB || executions.len() < newest,
                    executions,
                });
            }
        }
        if !runs.is_empty() {
            shared.send(Update::Executions {
                at: Utc::now(),
                runs,
            });
        }
    }
}

/// The executions of the job whose details are open, newest first and with their output;
/// plus the one picked there and the newest failure when asked for, however old.
async fn detail_read(
    client: &Client,
    watch: &Watch,
) -> Result<Vec<belfry_client::model::Execution>, String> {
    let job = watch.job.as_str();
    let mut runs = client
        .recent_executions(job, DETAIL_EXECUTIONS, DETAIL_OUTPUT_BYTES)
        .await
        .map_err(|e| short_error(&e))?;
    let mut wanted = watch.execution.clone();
    if watch.last_failure && !runs.iter().any(|e| is_failure(e.status)) {
        // Only the ids (no output) of older ones, then the failure itself with its output.
        if let Ok(older) = client.recent_executions(job, FAILURE_SEARCH, 0).await {
            wanted = older
                .iter()
                .find(|e| is_failure(e.status))
                .map(|e| e.id.clone())
                .or(wanted);
        }
    }
    if let Some(id) = wanted
        && !runs.iter().any(|e| e.id == id)
        && let Ok(mut e) = client.execution(job, &id).await
    {
        if keep_tail(&mut e.output, DETAIL_OUTPUT_BYTES) {
            e.output_truncated = true;
        }
        runs.push(e);
        runs.sort_by_key(|e| std::cmp::Reverse(e.started_at));
    }
    Ok(runs)
}

/// Cuts `text` to its last `max` bytes, at a character boundary; says whether it cut.
fn keep_tail(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mut cut = text.len() - max;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    text.drain(..cut);
    true
}

async fn stats_loop(shared: Arc<Shared>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if shared.updates.is_closed() {
            return;
        }
        let members = shared.members.lock().expect("members lock").clone();
        if members.is_empty() {
            continue;
        }
        let limit = Arc::new(Semaphore::new(PARALLEL_READS));
        let mut reads = JoinSet::new();
        for (name, addr) in members {
            let client = shared.base.for_addr(&addr);
            let limit = limit.clone();
            reads.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let stats = match client {
                    Ok(c) => c.node_stats().await.map_err(|e| short_error(&e)),
                    Err(e) => Err(e.to_string()),
                };
                (name, stats)
            });
        }
        let mut stats = Vec::new();
        while let Some(done) = reads.join_next().await {
            if let Ok(s) = done {
                stats.push(s);
            }
        }
        shared.send(Update::NodeStats {
            at: Utc::now(),
            stats,
        });
    }
}
