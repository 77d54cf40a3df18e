//! The jobs tests and benches create, and creating or reading many of them over the API, a
//! bounded number of requests in flight.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use belfry::client::Client;
use belfry::model::{Execution, Job};
use chrono::{DateTime, Utc};

/// A shell job as a Dkron client would post it (`command` run by a shell).
pub fn shell_job(name: &str, schedule: &str, command: &str) -> Job {
    Job {
        name: name.into(),
        schedule: schedule.into(),
        executor: "shell".into(),
        executor_config: [
            ("command".to_string(), command.to_string()),
            ("shell".to_string(), "true".to_string()),
        ]
        .into(),
        ..Job::default()
    }
}

/// A job that runs `true`, executed directly (no shell): the least work a run can be, so a
/// benchmark measures the scheduler rather than the job.
pub fn true_job(name: &str, schedule: &str) -> Job {
    Job {
        name: name.into(),
        schedule: schedule.into(),
        executor: "shell".into(),
        executor_config: [("command".to_string(), "true".to_string())].into(),
        ..Job::default()
    }
}

/// Runs `op` for every item, `parallel` at a time, and returns the results in item order.
/// Stops at the first error, or when `limit` has passed (`what` names the work then).
pub async fn for_each_parallel<T, R, F, Fut>(
    what: &str,
    items: &[T],
    parallel: usize,
    limit: Duration,
    op: F,
) -> Result<Vec<R>, String>
where
    T: Clone + Send + Sync + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<R, String>> + Send,
{
    let deadline = Instant::now() + limit;
    let items: Arc<Vec<T>> = Arc::new(items.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let failure: Arc<Mutex<Option<String>>> = Arc::default();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..parallel.min(items.len()) {
        let (items, next, done, failure, op) = (
            items.clone(),
            next.clone(),
            done.clone(),
            failure.clone(),
            op.clone(),
        );
        let what = what.to_string();
        workers.spawn(async move {
            let mut out = Vec::new();
            loop {
                let fail = |e: String| {
                    failure.lock().expect("not poisoned").get_or_insert(e);
                };
                if failure.lock().expect("not poisoned").is_some() {
                    return out;
                }
                if Instant::now() > deadline {
                    fail(format!(
                        "{what}: gave up after {limit:?}, {} of {} done",
                        done.load(Ordering::Relaxed),
                        items.len()
                    ));
                    return out;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else {
                    return out;
                };
                match op(item.clone()).await {
                    Ok(r) => {
                        out.push((i, r));
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        fail(e);
                        return out;
                    }
                }
            }
        });
    }
    let mut all = Vec::with_capacity(items.len());
    while let Some(finished) = workers.join_next().await {
        all.extend(finished.map_err(|e| format!("{what}: a worker failed: {e}"))?);
    }
    if let Some(e) = failure.lock().expect("not poisoned").take() {
        return Err(e);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

/// When a job's create request was sent and answered: the job was committed in between.
pub struct CreatedJob {
    pub name: String,
    pub sent: DateTime<Utc>,
    pub acked: DateTime<Utc>,
}

/// What [`create_jobs`] did.
pub struct Created {
    pub elapsed: Duration,
    /// Per-request latencies, sorted.
    pub latencies: Vec<Duration>,
    /// In the order of the jobs given.
    pub jobs: Vec<CreatedJob>,
}

/// How long one bulk operation may take per request, and as a whole.
#[derive(Clone, Copy)]
pub struct Deadlines {
    pub request: Duration,
    pub bulk: Duration,
}

/// Creates (or replaces) `jobs` through `client`, `parallel` requests in flight; fails at the
/// first error or past a deadline.
pub async fn create_jobs(
    client: &Client,
    jobs: &[Job],
    parallel: usize,
    deadlines: Deadlines,
) -> Result<Created, String> {
    let begin = Instant::now();
    let client = client.clone();
    let what = format!("creating {} jobs", jobs.len());
    let results = for_each_parallel(&what, jobs, parallel, deadlines.bulk, move |job: Job| {
        let client = client.clone();
        async move {
            let name = job.name.clone();
            let (sent, started) = (Utc::now(), Instant::now());
            match tokio::time::timeout(deadlines.request, client.put_job(&job)).await {
                Ok(Ok(_)) => Ok((
                    CreatedJob {
                        name,
                        sent,
                        acked: Utc::now(),
                    },
                    started.elapsed(),
                )),
                Ok(Err(e)) => Err(format!("creating job {name}: {e}")),
                Err(_) => Err(format!(
                    "creating job {name}: no answer within {:?}",
                    deadlines.request
                )),
            }
        }
    })
    .await?;
    let elapsed = begin.elapsed();
    let (jobs, mut latencies): (Vec<_>, Vec<_>) = results.into_iter().unzip();
    latencies.sort();
    Ok(Created {
        elapsed,
        latencies,
        jobs,
    })
}

/// Every execution of each of `names`, read through `client`, `parallel` requests in flight.
pub async fn fetch_executions(
    client: &Client,
    names: &[String],
    parallel: usize,
    deadlines: Deadlines,
) -> Result<HashMap<String, Vec<Execution>>, String> {
    let client = client.clone();
    let what = format!("fetching the executions of {} jobs", names.len());
    let results = for_each_parallel(&what, names, parallel, deadlines.bulk, move |name| {
        let client = client.clone();
        async move {
            match tokio::time::timeout(deadlines.request, client.executions(&name)).await {
                Ok(Ok(executions)) => Ok((name, executions)),
                Ok(Err(e)) => Err(format!("executions of job {name}: {e}")),
                Err(_) => Err(format!(
                    "executions of job {name}: no answer within {:?}",
                    deadlines.request
                )),
            }
        }
    })
    .await?;
    Ok(results.into_iter().collect())
}
