//! Clock-skew benchmark: three real `belfry agent` servers on loopback, one of them (`node-c`)
//! with its wall clock really moved by libfaketime, and one unskewed agent that runs the jobs.
//!
//! For each skew of `BELFRY_BENCH_SKEWS` (default `+2s,-2s`), on a fresh cluster:
//!
//! 1. the three servers (`--bootstrap-expect=3`, `node-c` under libfaketime with its monotonic
//!    clock untouched) and the agent (`--tag pool=workers`) start; the run waits for 3 voters,
//!    one leader and 4 alive members;
//! 2. **visible**: the time from `node-c`'s start until `/v1/operator/health`, asked of a
//!    true-clock server (`node-a`) and of `node-c` itself, reports `node-c`'s offset beyond
//!    `--max-clock-offset` (the goal: within 10 s);
//! 3. `BELFRY_BENCH_JOBS` (default 20) jobs `@every 1s` running `true` on the agent
//!    (tags `pool: workers:1`), whose `started_at` is therefore true time;
//! 4. `BELFRY_BENCH_ROUNDS` (default 5) rounds of: leadership asked onto `node-c` (refused, or
//!    moved and handed back, and how long that took), then the leader SIGKILLed (an election
//!    with `node-c` present) and restarted; who leads after each step is printed. All along,
//!    `node-c`'s `/health` is sampled every 50 ms: the time it said it leads is added up;
//! 5. every execution is judged: **early** (`started_at < scheduled_at`), **missed** (status
//!    `missed`), **missing** (a tick of the 1 s grid, from the job's first tick to 10 s before
//!    the end, with no execution), **duplicates** (two runs of one tick), and lateness.
//!
//! With `BELFRY_BENCH_KILL_PHASE_MS=N` each SIGKILL lands N ms past a whole second (the ticks'
//! instants), while the leader replicates that tick's launches.
//!
//! It prints a summary and a `RESULT skew=…` line per skew, and exits non-zero if any launch was
//! early, missed, missing or duplicated, or the skew was not visible within 10 s. The nodes'
//! logs are kept (their directory is printed) when a skew finds faults or fails, or always with
//! `BELFRY_BENCH_KEEP=1`.
//!
//! Needs libfaketime (Debian's `faketime` package).
//!
//! ```text
//! cargo bench -p belfry-cli --bench clock_skew
//! BELFRY_BENCH_SKEWS=+2s,-2s,+10s BELFRY_BENCH_ROUNDS=10 cargo bench -p belfry-cli --bench clock_skew
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

#[path = "../tests/kit/mod.rs"]
#[allow(dead_code, unused_imports)] // each bench uses part of the kit
mod kit;

use belfry::client::{Client, ClientError};
use belfry::model::{Execution, ExecutionStatus};
use kit::{Deadlines, Node, leader_via, percentile, poll_until, setting, three_servers_prepared};

type BenchResult<T> = Result<T, String>;

/// Which of the three servers runs with the skewed clock (`node-c`).
const SKEWED: usize = 2;
/// The agent that runs every job, on the true clock.
const AGENT: &str = "agent-w";
/// The goal for the skew to show in health, from the skewed server's start.
const VISIBLE_GOAL: Duration = Duration::from_secs(10);
/// How long the run watches for the skew at all (past the goal, to say when it did show).
const VISIBLE_LIMIT: Duration = Duration::from_secs(60);
/// How often the skewed server's leadership is sampled, and visibility polled.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// The waits on the cluster (formation, elections, a restarted server catching up).
const CLUSTER_DEADLINE: Duration = Duration::from_secs(60);
/// The tail of the run not judged for missing ticks: they may still be launching.
const UNJUDGED_TAIL: chrono::TimeDelta = chrono::TimeDelta::seconds(10);
/// How long who leads is watched after each step of a round (the jobs tick meanwhile, on
/// whichever leader there is).
const OBSERVE: Duration = Duration::from_secs(2);
/// The servers' log filter: `--log-level=info`'s, plus openraft's vote handling.
const RAFT_VOTES_LOGGED: &str = "info,openraft=warn,openraft::engine::engine_impl=info";
/// The default `--max-clock-offset`, when health does not say.
const DEFAULT_BOUND_MS: u64 = 500;
/// Examples of each fault printed.
const EXAMPLES: usize = 5;

struct Settings {
    skews: Vec<String>,
    jobs: usize,
    rounds: usize,
    /// `BELFRY_BENCH_KILL_PHASE_MS`: when set, each SIGKILL lands this many milliseconds after
    /// a whole second of the true clock (the ticks' instants), while the leader is replicating
    /// that tick's launches; unset, it lands as soon as the round is ready.
    kill_phase: Option<Duration>,
}

fn main() -> ExitCode {
    let settings = skews_setting().and_then(|skews| {
        Ok(Settings {
            skews,
            jobs: setting("BELFRY_BENCH_JOBS", 20)?,
            rounds: setting("BELFRY_BENCH_ROUNDS", 5)?,
            kill_phase: match std::env::var("BELFRY_BENCH_KILL_PHASE_MS") {
                Ok(_) => Some(Duration::from_millis(
                    setting::<u64>("BELFRY_BENCH_KILL_PHASE_MS", 0)? % 1000,
                )),
                Err(_) => None,
            },
        })
    });
    kit::run_bench("clock_skew", settings, run)
}

/// `BELFRY_BENCH_SKEWS`: libfaketime offsets such as `+2s` or `-1.5s` (a sign, a number and
/// an optional unit s, m, h or d), comma-separated.
fn skews_setting() -> BenchResult<Vec<String>> {
    let text = std::env::var("BELFRY_BENCH_SKEWS").unwrap_or_else(|_| "+2s,-2s".into());
    let skews: Vec<String> = text
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    for s in &skews {
        let sign_ok = s.starts_with('+') || s.starts_with('-');
        let number = s[1..].trim_end_matches(['s', 'm', 'h', 'd']);
        if !sign_ok || number.parse::<f64>().is_err() {
            return Err(format!(
                "BELFRY_BENCH_SKEWS: {s:?} is not an offset such as +2s or -2s"
            ));
        }
    }
    if skews.is_empty() {
        return Err("BELFRY_BENCH_SKEWS names no offset".into());
    }
    Ok(skews)
}

async fn run(settings: Settings) -> BenchResult<bool> {
    if !std::path::Path::new(kit::LIBFAKETIME).exists() {
        return Err(format!(
            "{} is missing: install Debian's `faketime` package (apt-get install faketime)",
            kit::LIBFAKETIME
        ));
    }
    belfry::client::install_tls_provider();
    println!(
        "Belfry clock-skew benchmark: 3 servers (node-c skewed) + 1 agent on loopback, skews {}, \
         {} jobs @every 1s, {} rounds of transfer-to-node-c + SIGKILL of the leader{}",
        settings.skews.join(" "),
        settings.jobs,
        settings.rounds,
        settings.kill_phase.map_or(String::new(), |p| format!(
            " (each kill {} ms past a whole second)",
            p.as_millis()
        ))
    );
    let keep_always = std::env::var("BELFRY_BENCH_KEEP").is_ok_and(|v| v == "1");
    let mut outcomes = Vec::new();
    for skew in &settings.skews {
        println!("\n== skew {skew} ==");
        let mut cluster = Cluster::start(skew)?;
        let outcome = measure_skew(&mut cluster, skew, &settings).await;
        let passed = outcome.as_ref().is_ok_and(SkewOutcome::passed);
        if outcome.is_err() {
            // A node that died says how: the run's failure may be its.
            for (name, status) in cluster.exits() {
                println!("{name} has exited: {status}");
            }
        }
        if keep_always || !passed {
            println!("logs kept under {}", cluster.keep().display());
        }
        outcomes.push(outcome.map_err(|e| format!("skew {skew}: {e}"))?);
    }
    println!("\n== summary ==");
    for o in &outcomes {
        println!("{}", o.summary());
    }
    for o in &outcomes {
        println!("{}", o.result_line());
    }
    Ok(outcomes.iter().all(SkewOutcome::passed))
}

/// One skew's cluster: three servers (`node-c` skewed) and the agent, all files under one root.
struct Cluster {
    servers: Vec<Node>,
    agent: Node,
    /// One client per server, for the whole run (the ports stay the same across restarts).
    clients: Vec<Client>,
    /// When the skewed server was started.
    skewed_started: Instant,
    root: tempfile::TempDir,
}

impl Cluster {
    fn start(skew: &str) -> BenchResult<Cluster> {
        let root = tempfile::Builder::new()
            .prefix("belfry-bench-skew-")
            .tempdir()
            .map_err(|e| format!("a temp dir: {e}"))?;
        // Every execution of the run is judged: keep them all (the default keeps 100 a job).
        let mut servers: Vec<Node> = three_servers_prepared(&["--history-limit=10000"])
            .into_iter()
            .map(|n| n.files_under(root.path()))
            .collect();
        for s in &mut servers {
            // Openraft's vote decisions in the logs: an election that does not happen can
            // then be explained (who refused whom, and why).
            s.env = vec![("BELFRY_LOG".into(), RAFT_VOTES_LOGGED.into())];
        }
        servers[SKEWED].env.extend(kit::faketime_env(skew));
        let seed = servers[0].gossip_addr();
        let mut agent = Node::prepare_agent(
            AGENT,
            &[
                "--retry-join",
                &seed,
                "--retry-interval",
                "1s",
                "--tag",
                "pool=workers",
            ],
        )
        .files_under(root.path());
        let mut skewed_started = Instant::now();
        for (i, s) in servers.iter_mut().enumerate() {
            if i == SKEWED {
                skewed_started = Instant::now();
            }
            s.try_spawn()?;
        }
        agent.try_spawn()?;
        let clients = servers.iter().map(Node::client).collect();
        Ok(Cluster {
            servers,
            agent,
            clients,
            skewed_started,
            root,
        })
    }

    fn name(&self, i: usize) -> &str {
        &self.servers[i].name
    }

    /// The nodes that have exited (not killed by the run), and how.
    fn exits(&mut self) -> Vec<(String, String)> {
        let agent = std::iter::once(&mut self.agent);
        self.servers
            .iter_mut()
            .chain(agent)
            .filter_map(|n| n.exit_status().map(|s| (n.name.clone(), s)))
            .collect()
    }

    /// Leaves every node's data dir and log in place; returns where.
    fn keep(&mut self) -> PathBuf {
        for s in &mut self.servers {
            s.keep_files();
        }
        self.agent.keep_files();
        self.root.disable_cleanup(true);
        self.root.path().to_path_buf()
    }

    /// Waits until one server leads and counts all three as voters less than 50 entries
    /// behind; returns the leader (asked again each time: leadership may move meanwhile).
    async fn wait_settled(&self) -> BenchResult<usize> {
        let clients = self.clients.clone();
        let what = "one leader and 3 voters caught up";
        poll_until(what, CLUSTER_DEADLINE, SAMPLE_EVERY, || {
            let clients = clients.clone();
            async move {
                let leader = leader_via(&clients).await?;
                let peers = clients[leader].raft_peers().await.ok()?;
                let caught_up = peers
                    .servers
                    .iter()
                    .filter(|s| s.voter && s.lag.is_some_and(|l| l < 50))
                    .count();
                (caught_up == 3).then_some(leader)
            }
        })
        .await
    }

    /// Which server leads (exactly one of those not `excluded`), waiting up to the deadline.
    async fn wait_leader(&self, excluded: Option<usize>) -> BenchResult<usize> {
        let candidates: Vec<usize> = (0..self.clients.len())
            .filter(|i| Some(*i) != excluded)
            .collect();
        let asked: Vec<Client> = candidates
            .iter()
            .map(|i| self.clients[*i].clone())
            .collect();
        let found = poll_until("one leader", CLUSTER_DEADLINE, SAMPLE_EVERY, || {
            leader_via(&asked)
        })
        .await?;
        Ok(candidates[found])
    }
}

/// Creates `job` through the server that leads, again (through the one that leads then) when
/// the write was not committed: a busy machine can cost the cluster its leader for a moment,
/// and creating a job is idempotent.
async fn create_job(cluster: &Cluster, job: &belfry::model::Job) -> BenchResult<()> {
    let what = format!("job {} created", job.name);
    let last_error = std::sync::Mutex::new(String::new());
    let created = poll_until(&what, CLUSTER_DEADLINE, SAMPLE_EVERY, || {
        let clients = cluster.clients.clone();
        let last_error = &last_error;
        async move {
            let leader = leader_via(&clients).await?;
            match clients[leader].put_job(job).await {
                Ok(_) => Some(()),
                Err(e) => {
                    *last_error.lock().expect("not poisoned") = e.to_string();
                    None
                }
            }
        }
    })
    .await;
    let last = last_error.into_inner().unwrap_or_default();
    created.map_err(|e| format!("{e} (last error: {last})"))
}

/// Every server that said it leads over `window` (asked every [`SAMPLE_EVERY`]), in the order
/// first seen; `excluded` is not asked (it is down).
async fn leaders_seen(cluster: &Cluster, excluded: Option<usize>, window: Duration) -> Vec<String> {
    let asked: Vec<usize> = (0..cluster.clients.len())
        .filter(|i| Some(*i) != excluded)
        .collect();
    let clients: Vec<Client> = asked.iter().map(|i| cluster.clients[*i].clone()).collect();
    let until = Instant::now() + window;
    let mut seen: Vec<String> = Vec::new();
    while Instant::now() < until {
        for i in kit::leaders_via(&clients).await {
            let name = cluster.name(asked[i]).to_string();
            if !seen.contains(&name) {
                seen.push(name);
            }
        }
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
    seen
}

/// A background task that is aborted when dropped (a failed run leaves no poller behind).
struct Task<T>(Option<tokio::task::JoinHandle<T>>);

impl<T> Task<T> {
    async fn join(mut self) -> BenchResult<T> {
        let handle = self.0.take().expect("joined once");
        handle.await.map_err(|e| format!("a background task: {e}"))
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        if let Some(h) = &self.0 {
            h.abort();
        }
    }
}

/// When one server's health first reported the skewed server beyond the bound.
#[derive(Debug, Clone)]
struct Sighting {
    observer: String,
    after: Option<Duration>,
    offset_ms: Option<i64>,
    bound_ms: u64,
}

/// The skewed server's offset and the bound, if `client`'s node reports it beyond the bound.
async fn skew_seen_by(client: &Client, skewed: &str) -> Option<(i64, u64)> {
    let h = client.cluster_health().await.ok()?;
    let bound = h.max_clock_offset_ms.unwrap_or(DEFAULT_BOUND_MS);
    let offset = h
        .servers
        .iter()
        .find(|s| s.node == skewed)?
        .clock_offset_ms?;
    (offset.unsigned_abs() > bound).then_some((offset, bound))
}

/// Polls each observer's `/v1/operator/health` until it reports `skewed` beyond the bound, or
/// [`VISIBLE_LIMIT`] after `started`. Sets `visible` once every observer has.
fn watch_visibility(
    observers: Vec<(String, Client)>,
    skewed: String,
    started: Instant,
    visible: Arc<AtomicBool>,
) -> Task<Vec<Sighting>> {
    Task(Some(tokio::spawn(async move {
        let mut sightings: Vec<Sighting> = observers
            .iter()
            .map(|(name, _)| Sighting {
                observer: name.clone(),
                after: None,
                offset_ms: None,
                bound_ms: DEFAULT_BOUND_MS,
            })
            .collect();
        while started.elapsed() < VISIBLE_LIMIT {
            for ((_, client), sighting) in observers.iter().zip(&mut sightings) {
                if sighting.after.is_some() {
                    continue;
                }
                if let Some((offset, bound)) = skew_seen_by(client, &skewed).await {
                    sighting.after = Some(started.elapsed());
                    sighting.offset_ms = Some(offset);
                    sighting.bound_ms = bound;
                }
            }
            if sightings.iter().all(|s| s.after.is_some()) {
                visible.store(true, Ordering::SeqCst);
                break;
            }
            tokio::time::sleep(SAMPLE_EVERY).await;
        }
        sightings
    })))
}

/// How long the skewed server said it leads, from samples every [`SAMPLE_EVERY`].
#[derive(Debug, Default, Clone)]
struct LeadTally {
    /// Before the skew was visible (it may lead then: nobody knows its clock yet).
    before_visible: Duration,
    /// After: it must not, beyond a moment.
    after_visible: Duration,
    /// The longest unbroken stretch after the skew was visible.
    longest_after: Duration,
    samples: u64,
}

/// Samples the skewed server's `/health` until `stop`: each sample that says it leads adds the
/// time since the previous sample.
fn sample_leadership(
    client: Client,
    visible: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> Task<LeadTally> {
    Task(Some(tokio::spawn(async move {
        let mut tally = LeadTally::default();
        let mut previous = Instant::now();
        let mut stretch = Duration::ZERO;
        while !stop.load(Ordering::SeqCst) {
            // A slow answer is not a leader's (and must not stall the sampling).
            let leads = matches!(
                tokio::time::timeout(Duration::from_millis(500), client.health()).await,
                Ok(Ok(h)) if h.leader == Some(true)
            );
            let now = Instant::now();
            let since = now - previous;
            previous = now;
            tally.samples += 1;
            if leads {
                if visible.load(Ordering::SeqCst) {
                    tally.after_visible += since;
                    stretch += since;
                    tally.longest_after = tally.longest_after.max(stretch);
                } else {
                    tally.before_visible += since;
                }
            } else {
                stretch = Duration::ZERO;
            }
            tokio::time::sleep(SAMPLE_EVERY).await;
        }
        tally
    })))
}

/// What asking for leadership to move onto the skewed server did.
#[derive(Debug, Clone)]
enum Transfer {
    /// Refused with this status and message, answered after `took`.
    Refused {
        status: u16,
        message: String,
        took: Duration,
    },
    /// Moved onto it; it handed leadership back after `led_for`.
    MovedBack { message: String, led_for: Duration },
    /// Moved onto it, and still leading at the deadline.
    MovedStayed { message: String },
    /// It led already (it had been elected): it gave leadership up after `led_for`.
    AlreadyLeading { led_for: Duration },
    /// No answer, or one that is neither.
    Failed { reason: String },
}

impl Transfer {
    fn kind(&self) -> &'static str {
        match self {
            Transfer::Refused { .. } => "refused",
            Transfer::MovedBack { .. } => "moved_back",
            Transfer::MovedStayed { .. } => "moved_stayed",
            Transfer::AlreadyLeading { .. } => "already_leading",
            Transfer::Failed { .. } => "failed",
        }
    }

    fn describe(&self) -> String {
        match self {
            Transfer::Refused {
                status,
                message,
                took,
            } => format!("refused {status} in {} ms: {message}", took.as_millis()),
            Transfer::MovedBack { message, led_for } => {
                format!(
                    "MOVED ({message}), handed back after {} ms",
                    led_for.as_millis()
                )
            }
            Transfer::MovedStayed { message } => {
                format!(
                    "MOVED ({message}) and still leading after {} s",
                    CLUSTER_DEADLINE.as_secs()
                )
            }
            Transfer::AlreadyLeading { led_for } => format!(
                "it ALREADY LED, and gave leadership up {} ms later",
                led_for.as_millis()
            ),
            Transfer::Failed { reason } => format!("failed: {reason}"),
        }
    }
}

/// Asks `via` (the leader) to move leadership onto `to`; when it moved, or `to` led already,
/// waits until `to` no longer leads.
async fn transfer_onto(cluster: &Cluster, via: usize, to: usize) -> Transfer {
    let t0 = Instant::now();
    let asked = tokio::time::timeout(
        Duration::from_secs(30),
        cluster.clients[via].transfer_leadership(Some(cluster.name(to))),
    )
    .await;
    let message = match asked {
        Err(_) => {
            return Transfer::Failed {
                reason: "no answer within 30 s".into(),
            };
        }
        Ok(Err(ClientError::Api { status, message })) => {
            return Transfer::Refused {
                status: status.as_u16(),
                message,
                took: t0.elapsed(),
            };
        }
        Ok(Err(e)) => {
            return Transfer::Failed {
                reason: e.to_string(),
            };
        }
        Ok(Ok(message)) => message,
    };
    let moved_at = Instant::now();
    let clients = cluster.clients.clone();
    let back = poll_until(
        "leadership back off",
        CLUSTER_DEADLINE,
        SAMPLE_EVERY,
        || {
            let clients = clients.clone();
            async move { leader_via(&clients).await.filter(|l| *l != to) }
        },
    )
    .await;
    match back {
        Ok(_) if via == to => Transfer::AlreadyLeading {
            led_for: moved_at.elapsed(),
        },
        Ok(_) => Transfer::MovedBack {
            message,
            led_for: moved_at.elapsed(),
        },
        Err(_) => Transfer::MovedStayed { message },
    }
}

/// What one round did, for the printout.
struct Round {
    transfer: Transfer,
    elected: Duration,
}

/// What one skew's run found.
struct SkewOutcome {
    skew: String,
    sightings: Vec<Sighting>,
    lead: LeadTally,
    rounds: Vec<Round>,
    verdict: Verdict,
}

impl SkewOutcome {
    /// When every observer reported the skew, if they all did.
    fn visible_after(&self) -> Option<Duration> {
        self.sightings
            .iter()
            .map(|s| s.after)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .max()
    }

    fn visible_in_time(&self) -> bool {
        self.visible_after().is_some_and(|d| d <= VISIBLE_GOAL)
    }

    fn passed(&self) -> bool {
        self.visible_in_time() && self.verdict.faultless()
    }

    /// `refused` when every round was refused, else each kind with its count.
    fn transfer_token(&self) -> String {
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &self.rounds {
            *kinds.entry(r.transfer.kind()).or_default() += 1;
        }
        if kinds.len() == 1 {
            return kinds.into_keys().next().unwrap_or("none").to_string();
        }
        let parts: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}:{n}")).collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join("/")
        }
    }

    fn visible_text(&self) -> String {
        self.visible_after()
            .map_or("never".into(), |d| format!("{:.1}", d.as_secs_f64()))
    }

    fn summary(&self) -> String {
        let v = &self.verdict;
        let sightings: Vec<String> = self
            .sightings
            .iter()
            .map(|s| match (s.after, s.offset_ms) {
                (Some(after), Some(offset)) => format!(
                    "{} saw {offset:+} ms (bound {} ms) after {:.1} s",
                    s.observer,
                    s.bound_ms,
                    after.as_secs_f64()
                ),
                _ => format!(
                    "{} never saw it in {} s",
                    s.observer,
                    VISIBLE_LIMIT.as_secs()
                ),
            })
            .collect();
        let mut elected: Vec<Duration> = self.rounds.iter().map(|r| r.elected).collect();
        elected.sort();
        format!(
            "skew {}: visible after {} s{} ({}); transfers {}; elections p50 {} ms max {} ms; \
             node-c led {} ms after visible (longest {} ms), {} ms before; {} executions, \
             {} ticks judged: {} early, {} missed, {} missing, {} duplicates, {} failed; lateness p50 {} / p99 {} / max {}",
            self.skew,
            self.visible_text(),
            if self.visible_in_time() {
                ""
            } else {
                " (GOAL 10 s MISSED)"
            },
            sightings.join(", "),
            self.transfer_token(),
            percentile(&elected, 0.5).map_or(0, |d| d.as_millis()),
            elected.last().map_or(0, |d| d.as_millis()),
            self.lead.after_visible.as_millis(),
            self.lead.longest_after.as_millis(),
            self.lead.before_visible.as_millis(),
            v.executions,
            v.judged_ticks,
            v.early.len(),
            v.missed.len(),
            v.missing.len(),
            v.duplicates.len(),
            v.failed,
            kit::ms(v.late(0.5)),
            kit::ms(v.late(0.99)),
            kit::ms(v.lateness.last().copied()),
        )
    }

    fn result_line(&self) -> String {
        let v = &self.verdict;
        let statuses: Vec<String> = {
            let mut s: Vec<u16> = self
                .rounds
                .iter()
                .filter_map(|r| match r.transfer {
                    Transfer::Refused { status, .. } => Some(status),
                    _ => None,
                })
                .collect();
            s.sort();
            s.dedup();
            s.iter().map(u16::to_string).collect()
        };
        let elected_max = self.rounds.iter().map(|r| r.elected).max();
        format!(
            "RESULT skew={} visible_s={} early={} missed={} missing={} dup={} skewed_led_ms={} transfer={} transfer_status={} skewed_led_before_visible_ms={} late_p50_ms={} late_p99_ms={} late_max_ms={} elected_max_ms={} executions={} judged_ticks={} failed={}",
            self.skew,
            self.visible_text(),
            v.early.len(),
            v.missed.len(),
            v.missing.len(),
            v.duplicates.len(),
            self.lead.after_visible.as_millis(),
            self.transfer_token(),
            if statuses.is_empty() {
                "-".into()
            } else {
                statuses.join("/")
            },
            self.lead.before_visible.as_millis(),
            kit::ms_num(v.late(0.5)),
            kit::ms_num(v.late(0.99)),
            kit::ms_num(v.lateness.last().copied()),
            elected_max.map_or(0, |d| d.as_millis()),
            v.executions,
            v.judged_ticks,
            v.failed,
        )
    }
}

async fn measure_skew(
    cluster: &mut Cluster,
    skew: &str,
    settings: &Settings,
) -> BenchResult<SkewOutcome> {
    let skewed_name = cluster.name(SKEWED).to_string();
    let visible = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    // Both run from the start: the skew may show before the cluster has formed, and the skewed
    // server may lead before anyone knows its clock.
    let short = |i: usize| {
        cluster.clients[i]
            .clone()
            .with_timeout(Duration::from_secs(1))
    };
    let watcher = watch_visibility(
        vec![
            (cluster.name(0).to_string(), short(0)),
            (skewed_name.clone(), short(SKEWED)),
        ],
        skewed_name.clone(),
        cluster.skewed_started,
        visible.clone(),
    );
    let sampler = sample_leadership(short(SKEWED), visible.clone(), stop.clone());

    // 1. The cluster: 3 voters, one leader, 4 alive members.
    let formed = Instant::now();
    let leader = cluster.wait_leader(None).await?;
    kit::wait_voters(&cluster.clients[leader], 3, None, CLUSTER_DEADLINE).await?;
    let client = cluster.clients[leader].clone();
    poll_until("4 alive members", CLUSTER_DEADLINE, SAMPLE_EVERY, || {
        let client = client.clone();
        async move {
            let m = client.members().await.ok()?;
            (m.iter().filter(|m| m.status == 1).count() == 4).then_some(())
        }
    })
    .await?;
    println!(
        "formed in {:.1} s: 3 voters, {} leads, 4 alive members",
        formed.elapsed().as_secs_f64(),
        cluster.name(leader)
    );

    // 2. The skew in health, asked of a true-clock server and of the skewed one.
    let sightings = watcher.join().await?;
    for s in &sightings {
        match (s.after, s.offset_ms) {
            (Some(after), Some(offset)) => println!(
                "skew visible to {} after {:.1} s: {skewed_name} at {offset:+} ms (bound {} ms)",
                s.observer,
                after.as_secs_f64(),
                s.bound_ms
            ),
            _ => println!(
                "skew NOT visible to {} within {} s",
                s.observer,
                VISIBLE_LIMIT.as_secs()
            ),
        }
    }

    // 3. The jobs, on the true-clock agent.
    let names: Vec<String> = (0..settings.jobs).map(|i| format!("skew-{i:03}")).collect();
    let jobs: Vec<belfry::model::Job> = names
        .iter()
        .map(|name| {
            let mut job = kit::true_job(name, "@every 1s");
            job.tags = [("pool".to_string(), "workers:1".to_string())].into();
            job
        })
        .collect();
    for job in &jobs {
        create_job(cluster, job).await?;
    }
    // They run before the rounds begin: the agent has its first runs done.
    let client = cluster.clients[leader].clone();
    let first = names[0].clone();
    poll_until(
        "the first job's first two runs",
        Duration::from_secs(30),
        SAMPLE_EVERY,
        || {
            let (client, first) = (client.clone(), first.clone());
            async move {
                let ex = client.executions(&first).await.ok()?;
                (ex.iter().filter(|e| !e.is_running()).count() >= 2).then_some(())
            }
        },
    )
    .await?;
    println!("{} jobs @every 1s running on {AGENT}", names.len());

    // 4. The rounds.
    let mut rounds = Vec::new();
    for round in 1..=settings.rounds {
        let leader = cluster.wait_settled().await?;
        // The leader decides on its own measurement of the skewed server: wait for it (a
        // restarted server has none for a probe round or two).
        let measuring = Instant::now();
        let asked = cluster.clients[leader]
            .clone()
            .with_timeout(Duration::from_secs(1));
        let measured = poll_until(
            "the leader's measurement of the skewed server",
            Duration::from_secs(20),
            SAMPLE_EVERY,
            || skew_seen_by(&asked, &skewed_name),
        )
        .await;
        let measured_note = match measured {
            Ok((offset, _)) => format!(
                "{} measures {skewed_name} at {offset:+} ms (waited {} ms)",
                cluster.name(leader),
                measuring.elapsed().as_millis()
            ),
            Err(e) => format!("{}: {e}", cluster.name(leader)),
        };
        let transfer = transfer_onto(cluster, leader, SKEWED).await;
        let seen = leaders_seen(cluster, None, OBSERVE).await;
        let after_transfer = cluster.wait_leader(None).await?;
        println!(
            "round {round}: {measured_note}; transfer to {skewed_name}: {}; leaders seen over \
             the next {} s: {}; leads: {}",
            transfer.describe(),
            OBSERVE.as_secs(),
            seen.join(", "),
            cluster.name(after_transfer)
        );

        // An election with the skewed server present: the leader SIGKILLed.
        let killed = after_transfer;
        if let Some(phase) = settings.kill_phase {
            tokio::time::sleep(until_phase(Utc::now(), phase)).await;
        }
        let t0 = Instant::now();
        cluster.servers[killed].kill9();
        let elected = cluster.wait_leader(Some(killed)).await?;
        let took = t0.elapsed();
        // The two survivors, one of them the skewed server: it must leave leadership to the
        // other.
        let seen = leaders_seen(cluster, Some(killed), OBSERVE).await;
        cluster.servers[killed].try_spawn()?;
        let after_restart = cluster.wait_settled().await?;
        println!(
            "round {round}: SIGKILL {}: {} elected after {} ms; leaders seen over the next {} s: \
             {}; {} restarted, caught up; leads: {}",
            cluster.name(killed),
            cluster.name(elected),
            took.as_millis(),
            OBSERVE.as_secs(),
            seen.join(", "),
            cluster.name(killed),
            cluster.name(after_restart)
        );
        rounds.push(Round {
            transfer,
            elected: took,
        });
    }
    // The ticks of the rounds are judged only once they are older than the unjudged tail.
    let rounds_end = Utc::now();
    let tail = (UNJUDGED_TAIL + chrono::TimeDelta::seconds(1))
        .to_std()
        .unwrap_or_default();
    let seen = leaders_seen(cluster, None, tail).await;
    println!(
        "after the rounds, leaders seen over {} s: {}",
        tail.as_secs(),
        seen.join(", ")
    );
    stop.store(true, Ordering::SeqCst);
    let lead = sampler.join().await?;

    // 5. Every execution, judged.
    let leader = cluster.wait_leader(None).await?;
    let fetched_at = Utc::now();
    debug_assert!(fetched_at - UNJUDGED_TAIL >= rounds_end);
    let deadlines = Deadlines {
        request: Duration::from_secs(30),
        bulk: Duration::from_secs(120),
    };
    // In job order, so that the examples printed come in order.
    let executions: BTreeMap<String, Vec<Execution>> =
        kit::fetch_executions(&cluster.clients[leader], &names, 4, deadlines)
            .await?
            .into_iter()
            .collect();
    let verdict = judge(&executions, fetched_at - UNJUDGED_TAIL);
    verdict.print_examples();
    let outcome = SkewOutcome {
        skew: skew.to_string(),
        sightings,
        lead,
        rounds,
        verdict,
    };
    println!("{}", outcome.summary());
    println!("{}", outcome.result_line());
    Ok(outcome)
}

/// The executions judged: faults with an example line each, and lateness.
#[derive(Debug, Default)]
struct Verdict {
    executions: usize,
    early: Vec<String>,
    missed: Vec<String>,
    missing: Vec<String>,
    duplicates: Vec<String>,
    /// Runs that ended in failure (`true` does not fail: a launch that found no node, say).
    failed: usize,
    /// Of every finished run, sorted.
    lateness: Vec<Duration>,
    /// Jobs that have no execution at all.
    silent_jobs: Vec<String>,
    /// Ticks of the grid looked for, over all jobs.
    judged_ticks: usize,
}

impl Verdict {
    fn faultless(&self) -> bool {
        self.early.is_empty()
            && self.missed.is_empty()
            && self.missing.is_empty()
            && self.duplicates.is_empty()
            && self.silent_jobs.is_empty()
    }

    fn late(&self, p: f64) -> Option<Duration> {
        percentile(&self.lateness, p)
    }

    fn print_examples(&self) {
        let groups = [
            ("EARLY launch", &self.early),
            ("recorded MISS", &self.missed),
            ("MISSING tick", &self.missing),
            ("DUPLICATE", &self.duplicates),
            ("job with NO execution", &self.silent_jobs),
        ];
        for (what, list) in groups {
            for line in list.iter().take(EXAMPLES) {
                println!("  {what}: {line}");
            }
            if list.len() > EXAMPLES {
                println!("  … {} more of {what}", list.len() - EXAMPLES);
            }
        }
    }
}

/// How long from `now` until `phase` past the next whole second (the next one at least 1 ms
/// away).
fn until_phase(now: DateTime<Utc>, phase: Duration) -> Duration {
    let into_second = Duration::from_nanos(u64::from(now.timestamp_subsec_nanos()));
    let mut wait = phase.saturating_sub(into_second);
    if wait < Duration::from_millis(1) {
        wait = phase + Duration::from_secs(1) - into_second;
    }
    wait
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S%.3f").to_string()
}

/// Judges every job's executions; ticks after `judged_until` are not looked for.
fn judge(executions: &BTreeMap<String, Vec<Execution>>, judged_until: DateTime<Utc>) -> Verdict {
    let mut v = Verdict::default();
    for (job, ex) in executions {
        v.executions += ex.len();
        let Some(first) = ex.iter().map(|e| e.scheduled_at).min() else {
            v.silent_jobs.push(job.clone());
            continue;
        };
        let mut by_tick: BTreeMap<DateTime<Utc>, Vec<&Execution>> = BTreeMap::new();
        for e in ex {
            by_tick.entry(e.scheduled_at).or_default().push(e);
            if e.status == ExecutionStatus::Missed {
                v.missed.push(format!(
                    "{job} tick {} recorded missed{}",
                    time(e.scheduled_at),
                    e.reason
                        .as_deref()
                        .map_or(String::new(), |r| format!(" ({r})"))
                ));
                continue;
            }
            if e.status == ExecutionStatus::Failed {
                v.failed += 1;
            }
            // A running one's started_at may still be its tick: judged once finished.
            if e.is_running() || e.node_name.is_empty() {
                continue;
            }
            match (e.started_at - e.scheduled_at).to_std() {
                Ok(late) => v.lateness.push(late),
                Err(_) => v.early.push(format!(
                    "{job} tick {} started at {} on {} ({} ms early)",
                    time(e.scheduled_at),
                    time(e.started_at),
                    e.node_name,
                    (e.scheduled_at - e.started_at).num_milliseconds()
                )),
            }
        }
        for (tick, runs) in &by_tick {
            let ran = runs
                .iter()
                .filter(|e| e.status != ExecutionStatus::Missed)
                .count();
            if ran > 1 {
                let nodes: Vec<&str> = runs.iter().map(|e| e.node_name.as_str()).collect();
                v.duplicates.push(format!(
                    "{job} tick {} ran {ran} times (on {})",
                    time(*tick),
                    nodes.join(", ")
                ));
            }
        }
        // Every whole second from the first tick (fire instants are whole seconds).
        let mut tick = first;
        while tick <= judged_until {
            v.judged_ticks += 1;
            if !by_tick.contains_key(&tick) {
                v.missing
                    .push(format!("{job} tick {} has no execution", time(tick)));
            }
            tick += chrono::TimeDelta::seconds(1);
        }
    }
    v.lateness.sort();
    v
}
