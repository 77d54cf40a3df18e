//! The dashboard's state, fed from API snapshots and key presses, and nothing else: no I/O
//! and no clock of its own (every update carries the instant it was received), so the same
//! inputs always give the same screen. Changes between two snapshots of the cluster become
//! the event log.

use std::collections::{BTreeMap, HashMap, VecDeque};

use belfry_client::model::{ClusterHealth, Execution, ExecutionStatus, Job, Member, ServerHealth};
use belfry_client::node_stats::NodeStats;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use regex::Regex;

pub use crate::keys::Pane;
use crate::keys::{Action, Scope, action_for};

/// Events kept in the log.
const EVENT_LOG_LEN: usize = 500;
/// Executions kept in the feed.
const FEED_LEN: usize = 200;
/// Newest executions kept per job besides those of the last hour, for the feed.
const RUNS_KEPT_PER_JOB: usize = 5;
/// How often every job's last-hour counts are recounted (see [`State::recount_all`]).
const RECOUNT_EVERY: Duration = Duration::seconds(10);
/// Rows moved by page up / page down.
const PAGE: usize = 10;
/// How long a run asked for shows as started without the cluster showing it.
const OPTIMISTIC_FOR: Duration = Duration::seconds(60);
/// The cluster's clock may be this far behind the dashboard's when matching a run asked for.
const OPTIMISTIC_SKEW: Duration = Duration::seconds(5);
/// A health read older than this gives no verdict.
pub const VERDICT_STALE_AFTER: Duration = Duration::seconds(10);
/// How long a message in the header stays.
pub const FLASH_FOR: Duration = Duration::seconds(5);

/// One round of the cluster-wide reads, all from the node at `via`.
#[derive(Debug, Clone)]
pub struct ClusterRead {
    /// The API address that answered.
    pub via: String,
    /// Goes through the leader, so it can fail while the node answers.
    pub health: Result<ClusterHealth, String>,
    pub members: Vec<Member>,
    /// `GET /v1/busy`; `None` when that one read failed.
    pub running: Option<Vec<Execution>>,
}

/// The cluster as last seen: the newest read, with the newest health and running set that
/// could be read.
#[derive(Debug, Clone)]
pub struct ClusterSnapshot {
    pub via: String,
    pub health: ClusterHealth,
    pub members: Vec<Member>,
    pub running: Option<Vec<Execution>>,
}

/// What the fetcher (or an action) reports.
#[derive(Debug, Clone)]
pub enum Update {
    Cluster {
        at: DateTime<Utc>,
        read: ClusterRead,
    },
    Jobs {
        at: DateTime<Utc>,
        jobs: Vec<Job>,
    },
    /// Newest executions of some jobs (outputs left out).
    Executions {
        at: DateTime<Utc>,
        runs: Vec<ExecutionsRead>,
    },
    NodeStats {
        at: DateTime<Utc>,
        stats: Vec<(String, Result<NodeStats, String>)>,
    },
    /// The executions, with output, of the job whose details are open.
    JobDetail {
        at: DateTime<Utc>,
        job: String,
        runs: Result<Vec<Execution>, String>,
    },
    /// The node in use stopped answering; another one did.
    Switched {
        at: DateTime<Utc>,
        from: String,
        to: String,
        reason: String,
    },
    /// No known server answered.
    Unreachable {
        at: DateTime<Utc>,
        reason: String,
    },
    /// A read other than the cluster round failed (jobs, for instance).
    Failed {
        at: DateTime<Utc>,
        what: &'static str,
        error: String,
    },
    /// A run, toggle or demotion came back.
    ActionDone {
        at: DateTime<Utc>,
        what: String,
        result: Result<String, String>,
        /// The job, when the action was a run.
        run_of: Option<String>,
    },
}

/// The newest executions of one job, newest first.
#[derive(Debug, Clone)]
pub struct ExecutionsRead {
    pub job: String,
    pub executions: Vec<Execution>,
    /// All the job's executions that matter were read (else only the newest few: older ones
    /// already known are kept).
    pub complete: bool,
}

/// What the state asks the outside world to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Quit,
    RunJob(String),
    ToggleJob(String),
    Demote(String),
    /// Keep the executions (with output) of this job fresh, or of none.
    WatchJob(Option<Watch>),
    /// Capture the mouse, or give it back to the terminal.
    Mouse(bool),
}

/// The job whose details are open, and which of its executions must be read with output
/// besides its newest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub job: String,
    /// An execution picked in the details, read even when it is no longer among the newest.
    pub execution: Option<String>,
    /// Look further back for the newest failure when none is among the newest.
    pub last_failure: bool,
}

impl Watch {
    pub fn job(job: &str) -> Watch {
        Watch {
            job: job.into(),
            execution: None,
            last_failure: false,
        }
    }
}

/// How bad an event is; the view colours it, and the text says it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Good,
    Warn,
    Bad,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub level: Level,
    pub text: String,
}

/// An execution, without its output: what the feed and the per-job counts need.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: String,
    pub job: String,
    pub node: String,
    pub status: ExecutionStatus,
    pub started_at: DateTime<Utc>,
    /// The tick it was launched for: `started_at` minus this is its launch lateness.
    pub scheduled_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub exit_code: Option<i32>,
    pub attempt: u32,
    /// Asked for by this dashboard and not yet seen in the cluster's answers.
    pub optimistic: bool,
}

impl From<&Execution> for Run {
    fn from(e: &Execution) -> Run {
        Run {
            id: e.id.clone(),
            job: e.job_name.clone(),
            node: e.node_name.clone(),
            status: e.status,
            started_at: e.started_at,
            scheduled_at: if belfry_client::model::is_zero_time(&e.scheduled_at) {
                e.started_at
            } else {
                e.scheduled_at
            },
            finished_at: (!belfry_client::model::is_zero_time(&e.finished_at))
                .then_some(e.finished_at),
            exit_code: e.exit_code,
            attempt: e.attempt,
            optimistic: false,
        }
    }
}

impl Run {
    /// When it last changed: finished, or else started.
    pub fn when(&self) -> DateTime<Utc> {
        self.finished_at.unwrap_or(self.started_at)
    }

    /// Failed or missed.
    pub fn is_failure(&self) -> bool {
        is_failure(self.status)
    }
}

pub fn is_failure(status: ExecutionStatus) -> bool {
    matches!(status, ExecutionStatus::Failed | ExecutionStatus::Missed)
}

/// Finished executions of one job over the last hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourStats {
    pub success: u32,
    /// Failed or missed.
    pub failed: u32,
}

impl HourStats {
    /// Success rate in %, if anything finished.
    pub fn rate(&self) -> Option<f64> {
        let total = self.success + self.failed;
        (total > 0).then(|| 100.0 * self.success as f64 / total as f64)
    }
}

/// A node's part in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Leader,
    Voter,
    Learner,
    /// Started with `--server` but not (yet) in the Raft configuration.
    Server,
    Agent,
}

impl Role {
    pub fn word(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Voter => "voter",
            Role::Learner => "learner",
            Role::Server => "server",
            Role::Agent => "agent",
        }
    }
}

/// One line of the nodes pane.
#[derive(Debug, Clone)]
pub struct NodeRow {
    pub name: String,
    pub role: Role,
    /// alive, suspect, failed, left, or `gone` (a Raft server gossip no longer knows).
    pub status: String,
    pub alive: bool,
    pub gossip_addr: String,
    pub http_addr: Option<String>,
    pub rpc_addr: Option<String>,
    pub region: String,
    pub dc: String,
    pub version: String,
    /// User tags (the reserved ones have their own columns).
    pub tags: BTreeMap<String, String>,
    pub server: Option<ServerHealth>,
    pub running: usize,
    pub stats: Option<Result<NodeStats, String>>,
    /// When it was last seen alive, for a node that is not.
    pub last_seen: Option<DateTime<Utc>>,
}

/// One line of the jobs pane.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub name: String,
    pub schedule: String,
    pub next: Option<DateTime<Utc>>,
    pub disabled: bool,
    /// success, failed, partially_failed, or empty when it never ran.
    pub last_status: String,
    pub success_count: u64,
    pub error_count: u64,
    /// `None` until its executions have been read.
    pub hour: Option<HourStats>,
    pub running: usize,
    /// Its newest outcomes, oldest first (see [`State::outcome_strip`]).
    pub recent: String,
    /// Its worst launch lateness in the last hour, or how long its next run is overdue.
    pub late: Duration,
}

/// What the header says of the leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaderLine {
    /// The leader, as far as anything shows; `without_quorum`: it cannot commit.
    Named { name: String, without_quorum: bool },
    /// No leader; `dead`: the one last named, now failed.
    None { dead: Option<String> },
    /// Not known now; `last`: the one named before.
    Unknown { last: Option<String>, why: String },
}

/// The cluster's ability to take a failure, in a colour and in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quorum {
    Unknown,
    Ok,
    AtRisk,
    Lost,
}

/// A filter on one pane's rows.
#[derive(Debug, Clone)]
pub struct Filter {
    pub text: String,
    pub regex: Regex,
}

/// A filter being typed.
#[derive(Debug, Clone)]
pub struct Typing {
    pub text: String,
    /// Why the text so far is not a regex.
    pub error: Option<String>,
    /// The newest text that was a regex: what the pane shows meanwhile.
    pub live: Option<Filter>,
}

/// A destructive action waiting for y/n.
#[derive(Debug, Clone)]
pub struct Pending {
    pub question: String,
    pub command: Command,
    /// Where to go back to once answered.
    pub back: Box<Overlay>,
}

/// What covers the panes, if anything.
#[derive(Debug, Clone)]
pub enum Overlay {
    None,
    /// The keys, scrolled by `scroll` lines when they do not fit.
    Help {
        scroll: u16,
    },
    JobDetails(JobView),
    /// Everything that needs an operator, worst first; `selected` is its row.
    Problems {
        selected: usize,
    },
    /// Trends over the last hour: the cluster's, and each job's (`selected` is its row).
    Trends {
        selected: usize,
    },
    NodeDetails {
        name: String,
        scroll: u16,
    },
    Confirm(Pending),
}

/// Which execution a job's details show the output of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// The newest finished one (the newest at all when none finished).
    Newest,
    /// The newest failed or missed one.
    LastFailure,
    /// This one, by id: what the operator picked stays picked as newer runs come in.
    Id(String),
}

/// A job's details: the job, the execution picked, and how far its output is scrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobView {
    pub name: String,
    pub pick: Pick,
    /// Lines scrolled up from the output's end: 0 shows the end, where an error is.
    pub out_scroll: u16,
}

impl JobView {
    pub fn new(name: &str, pick: Pick) -> JobView {
        JobView {
            name: name.into(),
            pick,
            out_scroll: 0,
        }
    }
}

/// Focus, selection, filters and overlays: what the keys change.
#[derive(Debug, Clone)]
pub struct Ui {
    pub focus: Pane,
    pub selected: [usize; 4],
    pub filters: [Option<Filter>; 4],
    /// Each pane's order.
    pub sort: [Sort; 4],
    /// A filter being typed: it narrows the focused pane as it is typed.
    pub typing: Option<Typing>,
    pub overlay: Overlay,
    pub flash: Option<(DateTime<Utc>, String)>,
    /// The focused pane fills the body.
    pub zoomed: bool,
    /// The problems view's order.
    pub problem_order: ProblemOrder,
    /// The mouse selects and scrolls (else the terminal's own text selection works).
    pub mouse: bool,
}

/// The executions (with output) of the job whose details are open, as last read.
#[derive(Debug, Clone)]
pub struct JobDetail {
    pub job: String,
    pub at: DateTime<Utc>,
    pub runs: Result<Vec<Execution>, String>,
}

/// Everything on screen.
#[derive(Debug, Clone)]
pub struct State {
    /// The address the dashboard was pointed at.
    pub target: String,
    pub started: DateTime<Utc>,
    /// Times are shown in this offset (the local one; UTC in tests).
    pub offset: FixedOffset,
    pub read_only: bool,
    pub cluster: Option<ClusterSnapshot>,
    pub cluster_at: Option<DateTime<Utc>>,
    /// When the health in `cluster` was read, and why the latest read of it failed.
    pub health_at: Option<DateTime<Utc>>,
    pub health_error: Option<String>,
    /// Set while no known server answers.
    pub unreachable: Option<(DateTime<Utc>, String)>,
    pub jobs: Vec<Job>,
    pub jobs_at: Option<DateTime<Utc>>,
    pub jobs_error: Option<String>,
    /// Per job: its recent runs (newest first) and when they were read.
    pub runs: HashMap<String, (DateTime<Utc>, Vec<Run>)>,
    pub hour_stats: HashMap<String, HourStats>,
    recounted_at: Option<DateTime<Utc>>,
    pub feed: Vec<Run>,
    pub node_stats: HashMap<String, (DateTime<Utc>, Result<NodeStats, String>)>,
    pub last_alive: HashMap<String, DateTime<Utc>>,
    pub events: VecDeque<Event>,
    pub detail: Option<JobDetail>,
    /// Runs asked for with `r`, shown as started until the cluster's answers show them.
    pub optimistic: Vec<Run>,
    /// The verdicts read over the last hour, for the health timeline.
    pub health_history: VecDeque<(DateTime<Utc>, Quorum)>,
    pub ui: Ui,
}

impl State {
    pub fn new(
        target: &str,
        started: DateTime<Utc>,
        offset: FixedOffset,
        read_only: bool,
    ) -> State {
        State {
            target: target.into(),
            started,
            offset,
            read_only,
            cluster: None,
            cluster_at: None,
            health_at: None,
            health_error: None,
            unreachable: None,
            jobs: Vec::new(),
            jobs_at: None,
            jobs_error: None,
            runs: HashMap::new(),
            hour_stats: HashMap::new(),
            recounted_at: None,
            feed: Vec::new(),
            node_stats: HashMap::new(),
            last_alive: HashMap::new(),
            events: VecDeque::new(),
            detail: None,
            optimistic: Vec::new(),
            health_history: VecDeque::new(),
            ui: Ui {
                focus: Pane::Nodes,
                selected: [0; 4],
                filters: [None, None, None, None],
                sort: Pane::ALL.map(Sort::default_of),
                typing: None,
                overlay: Overlay::None,
                flash: None,
                zoomed: false,
                problem_order: Default::default(),
                mouse: true,
            },
        }
    }

    fn log(&mut self, at: DateTime<Utc>, level: Level, text: impl Into<String>) {
        self.events.push_front(Event {
            at,
            level,
            text: text.into(),
        });
        self.events.truncate(EVENT_LOG_LEN);
    }

    /// Takes in what the fetcher read; returns what the fetcher must do next, if anything.
    pub fn apply(&mut self, update: Update) -> Option<Command> {
        match update {
            Update::Cluster { at, read } => self.apply_cluster(at, read),
            Update::Jobs { at, mut jobs } => {
                // The API lists them by name already; sorting is for other servers.
                if !jobs.is_sorted_by(|a, b| a.name <= b.name) {
                    jobs.sort_by(|a, b| a.name.cmp(&b.name));
                }
                self.jobs = jobs;
                self.jobs_at = Some(at);
                self.jobs_error = None;
                let names: std::collections::HashSet<&str> =
                    self.jobs.iter().map(|j| j.name.as_str()).collect();
                self.runs.retain(|name, _| names.contains(name.as_str()));
                self.recount_all(at);
            }
            Update::Executions { at, runs } => {
                let hour_ago = at - Duration::hours(1);
                for read in runs {
                    let mut kept: Vec<Run> = read.executions.iter().map(Run::from).collect();
                    // Only the newest were read: the older ones kept from before still count.
                    if !read.complete
                        && let Some((_, before)) = self.runs.remove(&read.job)
                    {
                        let oldest_read = kept.iter().map(|r| r.started_at).min();
                        kept.extend(
                            before
                                .into_iter()
                                .filter(|r| oldest_read.is_some_and(|o| r.started_at < o)),
                        );
                    }
                    // Newest first by the instant the feed shows.
                    kept.sort_by_key(|r| std::cmp::Reverse(r.when()));
                    let mut n = 0;
                    kept.retain(|r| {
                        n += 1;
                        n <= RUNS_KEPT_PER_JOB || r.when() >= hour_ago
                    });
                    self.hour_stats
                        .insert(read.job.clone(), hour_stats(&kept, hour_ago));
                    self.runs.insert(read.job, (at, kept));
                }
                self.rebuild_feed();
            }
            Update::NodeStats { at, stats } => {
                for (node, s) in stats {
                    self.node_stats.insert(node, (at, s));
                }
            }
            Update::JobDetail { at, job, runs } => {
                if self.details_job() == Some(job.as_str()) {
                    self.detail = Some(JobDetail { job, at, runs });
                    self.confirm_optimistic(at);
                    return self.freeze_pick();
                }
            }
            Update::Switched {
                at,
                from,
                to,
                reason,
            } => {
                self.log(
                    at,
                    Level::Warn,
                    format!("{from} lost ({reason}): now via {to}"),
                );
            }
            Update::Unreachable { at, reason } => {
                if self.unreachable.is_none() {
                    self.log(at, Level::Bad, format!("no server answers: {reason}"));
                }
                self.unreachable = Some((at, reason));
                self.record_health(at);
            }
            Update::Failed { at, what, error } => {
                if what == "jobs" {
                    if self.jobs_error.is_none() {
                        self.log(at, Level::Warn, format!("reading jobs failed: {error}"));
                    }
                    self.jobs_error = Some(error);
                }
            }
            Update::ActionDone {
                at,
                what,
                result,
                run_of,
            } => {
                // A run that was refused never started: its row goes.
                if let (Some(job), Err(_)) = (&run_of, &result) {
                    self.optimistic.retain(|r| r.job != *job);
                    self.rebuild_feed();
                }
                let (level, text) = match result {
                    Ok(message) if message.is_empty() => (Level::Good, what),
                    Ok(message) => (Level::Good, format!("{what}: {message}")),
                    Err(e) => (Level::Bad, format!("{what} failed: {e}")),
                };
                self.ui.flash = Some((at, text.clone()));
                self.log(at, level, text);
            }
        }
        if let Some(at) = self.cluster_at.max(self.jobs_at) {
            self.confirm_optimistic(at);
        }
        None
    }

    /// The open job's details, when its executions were read.
    pub fn job_view(&self) -> Option<&JobView> {
        let mut overlay = &self.ui.overlay;
        if let Overlay::Confirm(p) = overlay {
            overlay = &p.back;
        }
        match overlay {
            Overlay::JobDetails(v) => Some(v),
            _ => None,
        }
    }

    /// The executions (with output) read for the open job's details.
    pub fn detail_runs(&self) -> Option<&[Execution]> {
        let v = self.job_view()?;
        match &self.detail {
            Some(JobDetail {
                job,
                runs: Ok(runs),
                ..
            }) if *job == v.name => Some(runs),
            _ => None,
        }
    }

    /// The execution whose output the open job's details show: its index in
    /// [`State::detail_runs`].
    pub fn picked(&self) -> Option<usize> {
        let pick = &self.job_view()?.pick;
        resolve_pick(pick, self.detail_runs()?)
    }

    /// Once read, "the newest" or "the last failure" becomes that execution, so that what
    /// the operator reads stays on screen as newer runs come in; the fetcher is told to keep
    /// reading it.
    fn freeze_pick(&mut self) -> Option<Command> {
        let view = self.job_view()?;
        if matches!(view.pick, Pick::Id(_)) {
            return None;
        }
        let i = self.picked()?;
        let id = self.detail_runs()?[i].id.clone();
        let name = view.name.clone();
        self.set_pick(Pick::Id(id.clone()));
        Some(Command::WatchJob(Some(Watch {
            job: name,
            execution: Some(id),
            last_failure: false,
        })))
    }

    fn set_pick(&mut self, pick: Pick) {
        let mut overlay = &mut self.ui.overlay;
        if let Overlay::Confirm(p) = overlay {
            overlay = &mut p.back;
        }
        if let Overlay::JobDetails(v) = overlay {
            if v.pick != pick {
                v.out_scroll = 0;
            }
            v.pick = pick;
        }
    }

    /// Opens a job's details on `pick`, and asks the fetcher for what that needs.
    fn open_job(&mut self, name: String, pick: Pick) -> Option<Command> {
        // The newest failure the per-job reads know of is picked at once.
        let pick = match pick {
            Pick::LastFailure => self
                .runs
                .get(&name)
                .and_then(|(_, runs)| runs.iter().find(|r| r.is_failure()))
                .map(|r| Pick::Id(r.id.clone()))
                .unwrap_or(Pick::LastFailure),
            other => other,
        };
        let watch = Watch {
            job: name.clone(),
            execution: match &pick {
                Pick::Id(id) => Some(id.clone()),
                _ => None,
            },
            last_failure: pick == Pick::LastFailure,
        };
        self.detail = None;
        self.ui.overlay = Overlay::JobDetails(JobView::new(&name, pick));
        Some(Command::WatchJob(Some(watch)))
    }

    /// A run asked for shows as started at once, until the cluster's answers show it (or
    /// the request fails, or [`OPTIMISTIC_FOR`] passes without a sign of it).
    fn start_optimistic(&mut self, job: &str, now: DateTime<Utc>) {
        self.optimistic.push(Run {
            id: String::new(),
            job: job.into(),
            node: String::new(),
            status: ExecutionStatus::Running,
            started_at: now,
            scheduled_at: now,
            finished_at: None,
            exit_code: None,
            attempt: 1,
            optimistic: true,
        });
        self.ui.flash = Some((now, format!("run job {job}: sent")));
        self.rebuild_feed();
    }

    /// Drops the optimistic runs the cluster's answers now show, and those too old.
    fn confirm_optimistic(&mut self, at: DateTime<Utc>) {
        if self.optimistic.is_empty() {
            return;
        }
        let before = self.optimistic.len();
        let running = self.cluster.as_ref().and_then(|c| c.running.as_ref());
        let seen = |job: &str, since: DateTime<Utc>| {
            let since = since - OPTIMISTIC_SKEW;
            running
                .into_iter()
                .flatten()
                .any(|e| e.job_name == job && e.started_at >= since)
                || self
                    .runs
                    .get(job)
                    .is_some_and(|(_, rs)| rs.iter().any(|r| r.started_at >= since))
                || self.detail.as_ref().is_some_and(|d| {
                    d.job == job
                        && d.runs
                            .as_ref()
                            .is_ok_and(|rs| rs.iter().any(|e| e.started_at >= since))
                })
        };
        let keep: Vec<Run> = self
            .optimistic
            .iter()
            .filter(|r| !seen(&r.job, r.started_at) && at - r.started_at < OPTIMISTIC_FOR)
            .cloned()
            .collect();
        self.optimistic = keep;
        if self.optimistic.len() != before {
            self.rebuild_feed();
        }
    }

    fn apply_cluster(&mut self, at: DateTime<Utc>, read: ClusterRead) {
        if self.unreachable.take().is_some() {
            self.log(at, Level::Good, format!("connected again via {}", read.via));
        }
        let health = match read.health {
            Ok(h) => {
                if self.health_error.take().is_some() {
                    self.log(at, Level::Good, "cluster health readable again");
                }
                self.health_at = Some(at);
                h
            }
            Err(e) => {
                if self.health_error.is_none() {
                    self.log(at, Level::Warn, format!("cannot read cluster health: {e}"));
                }
                self.health_error = Some(e);
                self.cluster
                    .as_ref()
                    .map(|c| c.health.clone())
                    .unwrap_or_else(unknown_health)
            }
        };
        let snapshot = ClusterSnapshot {
            via: read.via,
            health,
            members: read.members,
            running: read.running,
        };
        for (level, text) in cluster_changes(self.cluster.as_ref(), &snapshot) {
            self.log(at, level, text);
        }
        for m in &snapshot.members {
            if m.status == 1 {
                self.last_alive.insert(m.name.clone(), at);
            }
        }
        let running_changed = self
            .cluster
            .as_ref()
            .map(|c| c.running.as_ref().map(Vec::len))
            != Some(snapshot.running.as_ref().map(Vec::len));
        let keep_running = snapshot.running.is_none();
        let previous = self.cluster.replace(snapshot);
        // A failed busy read keeps the last known running set rather than showing none.
        if keep_running && let (Some(prev), Some(now)) = (previous, self.cluster.as_mut()) {
            now.running = prev.running;
        }
        self.cluster_at = Some(at);
        self.record_health(at);
        if running_changed {
            self.rebuild_feed();
        }
    }

    /// Last-hour counts of every job. The window slides slowly against a count of executions
    /// a minute apart, so this runs at most every [`RECOUNT_EVERY`]; jobs whose executions
    /// were read are recounted as they come in.
    fn recount_all(&mut self, at: DateTime<Utc>) {
        if self.recounted_at.is_some_and(|r| at - r < RECOUNT_EVERY) {
            return;
        }
        let hour_ago = at - Duration::hours(1);
        let runs = &self.runs;
        self.hour_stats.retain(|job, _| runs.contains_key(job));
        for (job, (_, runs)) in runs {
            let stats = hour_stats(runs, hour_ago);
            match self.hour_stats.get_mut(job) {
                Some(s) => *s = stats,
                None => {
                    self.hour_stats.insert(job.clone(), stats);
                }
            }
        }
        self.recounted_at = Some(at);
    }

    /// The newest [`FEED_LEN`] executions of all jobs, merged from the jobs' lists (each
    /// newest first): with a thousand jobs the runs kept for the hourly rates number tens of
    /// thousands, and only the few hundred at their heads are looked at.
    fn rebuild_feed(&mut self) {
        let running = self.cluster.as_ref().and_then(|c| c.running.as_ref());
        let mut busy: Vec<Run> = running.into_iter().flatten().map(Run::from).collect();
        busy.extend(self.optimistic.iter().cloned());
        busy.sort_by_key(|r| std::cmp::Reverse(r.when()));
        // Running executions come from /v1/busy, which is fresher than the per-job reads.
        let lists: Vec<&[Run]> = self
            .runs
            .values()
            .map(|(_, runs)| runs.as_slice())
            .chain(std::iter::once(busy.as_slice()))
            .collect();
        let mut heads: std::collections::BinaryHeap<(DateTime<Utc>, usize, usize)> = lists
            .iter()
            .enumerate()
            .filter_map(|(l, runs)| runs.first().map(|r| (r.when(), l, 0)))
            .collect();
        let busy_list = lists.len() - 1;
        let mut feed: Vec<&Run> = Vec::with_capacity(FEED_LEN + 8);
        let mut cut = None;
        while let Some((when, l, i)) = heads.pop() {
            // Runs as old as the last one in stay, so the full order below decides between
            // equals rather than the order of the merge.
            if cut.is_some_and(|c| when < c) {
                break;
            }
            let run = &lists[l][i];
            if l == busy_list || run.status != ExecutionStatus::Running {
                feed.push(run);
                if feed.len() == FEED_LEN {
                    cut = Some(when);
                }
            }
            if let Some(next) = lists[l].get(i + 1) {
                heads.push((next.when(), l, i + 1));
            }
        }
        feed.sort_unstable_by(|a, b| {
            b.when()
                .cmp(&a.when())
                .then_with(|| a.job.cmp(&b.job))
                .then_with(|| a.node.cmp(&b.node))
                .then_with(|| b.attempt.cmp(&a.attempt))
        });
        feed.truncate(FEED_LEN);
        self.feed = feed.into_iter().cloned().collect();
    }

    /// The quorum verdict and its words, from the last health read.
    pub fn quorum(&self) -> (Quorum, String) {
        let Some(c) = &self.cluster else {
            return (Quorum::Unknown, "connecting…".into());
        };
        if let Some((_, _)) = &self.unreachable {
            return (Quorum::Unknown, "UNKNOWN: no server answers".into());
        }
        if let Some(e) = &self.health_error {
            return (Quorum::Unknown, format!("UNKNOWN: health unreadable ({e})"));
        }
        let h = &c.health;
        let alive_voters = h.servers.iter().filter(|s| s.voter && s.alive).count();
        if alive_voters < h.quorum {
            return (
                Quorum::Lost,
                "NO QUORUM: no launches; countdowns stopped".into(),
            );
        }
        if h.leader.is_none() || self.leader_is_dead() {
            return (
                Quorum::Lost,
                "NO LEADER: no launches; countdowns stopped".into(),
            );
        }
        if h.healthy_voters < h.quorum {
            return (Quorum::AtRisk, "DEGRADED: voters slow to answer".into());
        }
        match h.failure_tolerance {
            0 if h.voters == 1 => (Quorum::AtRisk, "AT RISK: a single server".into()),
            0 => (Quorum::AtRisk, "AT RISK: next failure loses quorum".into()),
            1 => (Quorum::Ok, "OK: 1 server may fail".into()),
            n => (Quorum::Ok, format!("OK: {n} servers may fail")),
        }
    }

    /// The verdict at `now`: a health read older than [`VERDICT_STALE_AFTER`] is no
    /// verdict at all, whatever it said.
    pub fn verdict(&self, now: DateTime<Utc>) -> (Quorum, String) {
        let (q, words) = self.quorum();
        match self.health_at {
            Some(at) if q != Quorum::Unknown && now - at > VERDICT_STALE_AFTER => (
                Quorum::Unknown,
                format!("UNKNOWN: no health read for {}s", (now - at).num_seconds()),
            ),
            _ => (q, words),
        }
    }

    /// The leader the last health read names, when it is dead: not alive in Raft's view,
    /// or failed or gone in gossip's.
    fn leader_is_dead(&self) -> bool {
        let Some(c) = &self.cluster else {
            return false;
        };
        let Some(leader) = &c.health.leader else {
            return false;
        };
        let raft_dead = c
            .health
            .servers
            .iter()
            .any(|s| s.node == *leader && !s.alive);
        let gossip_dead = c.members.iter().any(|m| m.name == *leader && m.status != 1);
        raft_dead || gossip_dead
    }

    /// What the header may say of the leader: the one named, only when nothing contradicts
    /// it.
    pub fn leader_line(&self) -> LeaderLine {
        let Some(c) = &self.cluster else {
            return LeaderLine::Unknown {
                last: None,
                why: "connecting".into(),
            };
        };
        let last = c.health.leader.clone();
        if self.unreachable.is_some() {
            return LeaderLine::Unknown {
                last,
                why: "no server answers".into(),
            };
        }
        if self.health_error.is_some() {
            return LeaderLine::Unknown {
                last,
                why: "health unreadable".into(),
            };
        }
        match last {
            None => LeaderLine::None { dead: None },
            Some(l) if self.leader_is_dead() => LeaderLine::None { dead: Some(l) },
            Some(l) => {
                let h = &c.health;
                let alive = h.servers.iter().filter(|s| s.voter && s.alive).count();
                LeaderLine::Named {
                    name: l,
                    without_quorum: alive < h.quorum,
                }
            }
        }
    }

    /// Without a quorum nothing is launched: countdowns to the next run mean nothing then.
    pub fn launches_stopped(&self) -> bool {
        self.quorum().0 == Quorum::Lost
    }

    /// Every node: gossip members, and Raft servers gossip no longer knows, by name.
    pub fn node_rows(&self) -> Vec<NodeRow> {
        let Some(c) = &self.cluster else {
            return Vec::new();
        };
        let mut running: HashMap<&str, usize> = HashMap::new();
        for e in c.running.iter().flatten() {
            *running.entry(e.node_name.as_str()).or_default() += 1;
        }
        let server_of = |name: &str| c.health.servers.iter().find(|s| s.node == name);
        // A leader that is dead is not shown leading.
        let leader = match self.leader_line() {
            LeaderLine::Named { name, .. } => Some(name),
            _ => None,
        };
        let mut rows: Vec<NodeRow> = c
            .members
            .iter()
            .map(|m| {
                let server = server_of(&m.name).cloned();
                let role = if leader.as_deref() == Some(m.name.as_str()) {
                    Role::Leader
                } else {
                    match &server {
                        Some(s) if s.voter => Role::Voter,
                        Some(_) => Role::Learner,
                        None if m.tags.get("server").is_some_and(|v| v == "true") => Role::Server,
                        None => Role::Agent,
                    }
                };
                let status = m
                    .status_text
                    .clone()
                    .unwrap_or_else(|| serf_status(m.status).into());
                let alive = m.status == 1;
                let tag = |k: &str| m.tags.get(k).cloned().unwrap_or_default();
                NodeRow {
                    name: m.name.clone(),
                    role,
                    status,
                    alive,
                    gossip_addr: format!("{}:{}", m.addr, m.port),
                    http_addr: http_addr_of(m),
                    rpc_addr: m.tags.get("rpc_addr").cloned(),
                    region: tag("region"),
                    dc: tag("dc"),
                    version: tag("version"),
                    tags: m
                        .tags
                        .iter()
                        .filter(|(k, _)| {
                            !belfry_client::model::RESERVED_MEMBER_TAGS.contains(&k.as_str())
                        })
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    last_seen: (!alive)
                        .then(|| self.last_seen(&m.name, server.as_ref()))
                        .flatten(),
                    server,
                    running: running.get(m.name.as_str()).copied().unwrap_or(0),
                    stats: self.node_stats.get(&m.name).map(|(_, s)| s.clone()),
                }
            })
            .collect();
        for s in &c.health.servers {
            if rows.iter().any(|r| r.name == s.node) {
                continue;
            }
            rows.push(NodeRow {
                name: s.node.clone(),
                role: if leader.as_deref() == Some(s.node.as_str()) {
                    Role::Leader
                } else if s.voter {
                    Role::Voter
                } else {
                    Role::Learner
                },
                status: "gone".into(),
                alive: false,
                gossip_addr: String::new(),
                http_addr: None,
                rpc_addr: None,
                region: String::new(),
                dc: String::new(),
                version: String::new(),
                tags: BTreeMap::new(),
                last_seen: self.last_seen(&s.node, Some(s)),
                server: Some(s.clone()),
                running: 0,
                stats: None,
            });
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows
    }

    /// When `name` was last alive: as this dashboard saw it, or else as the leader last
    /// heard from it.
    fn last_seen(&self, name: &str, server: Option<&ServerHealth>) -> Option<DateTime<Utc>> {
        if let Some(t) = self.last_alive.get(name) {
            return Some(*t);
        }
        let at = self.cluster_at?;
        server
            .and_then(|s| s.last_contact_ms)
            .map(|ms| at - Duration::milliseconds(ms as i64))
            .or_else(|| server.and_then(|s| s.stable_since))
    }

    /// The line of the jobs pane for `self.jobs[i]`. Rows are made only for what is on
    /// screen: with a thousand jobs, making them all on every frame is most of the frame.
    pub fn job_row(&self, i: usize) -> JobRow {
        let j = &self.jobs[i];
        let running = self
            .cluster
            .iter()
            .flat_map(|c| c.running.iter().flatten())
            .filter(|e| e.job_name == j.name)
            .count()
            + self.optimistic.iter().filter(|r| r.job == j.name).count();
        JobRow {
            name: j.name.clone(),
            schedule: j.schedule.clone(),
            next: (!belfry_client::model::is_zero_time(&j.next)).then_some(j.next),
            disabled: j.disabled,
            last_status: j.status.clone(),
            success_count: j.success_count,
            error_count: j.error_count,
            hour: self.hour_stats.get(&j.name).copied(),
            running,
            recent: self.outcome_strip(&j.name),
            late: self.job_lateness(i),
        }
    }

    /// Indices in `self.jobs` of the jobs that pass the jobs pane's filter.
    pub fn visible_job_indices(&self) -> Vec<usize> {
        let mut indices: Vec<usize> = match self.filter_of(Pane::Jobs) {
            None => (0..self.jobs.len()).collect(),
            Some(f) => (0..self.jobs.len())
                .filter(|&i| f.regex.is_match(&job_text(&self.jobs[i])))
                .collect(),
        };
        self.sort_jobs(&mut indices);
        indices
    }

    /// The rows of `pane` that pass its filter, as the text the filter matches.
    fn keys_of(&self, pane: Pane) -> Vec<String> {
        match pane {
            Pane::Nodes => self.visible_nodes().into_iter().map(|r| r.name).collect(),
            Pane::Jobs => self
                .visible_job_indices()
                .into_iter()
                .map(|i| self.jobs[i].name.clone())
                .collect(),
            Pane::Executions => self
                .visible_feed()
                .into_iter()
                .map(|r| r.job.clone())
                .collect(),
            Pane::Events => self
                .visible_events()
                .into_iter()
                .map(|e| e.text.clone())
                .collect(),
        }
    }

    pub fn passes(&self, pane: Pane, text: &str) -> bool {
        self.filter_of(pane).is_none_or(|f| f.regex.is_match(text))
    }

    /// The filter on `pane`: the one being typed, as it is typed, on the focused pane.
    pub fn filter_of(&self, pane: Pane) -> Option<&Filter> {
        match &self.ui.typing {
            Some(typing) if pane == self.ui.focus => typing.live.as_ref(),
            _ => self.ui.filters[pane.index()].as_ref(),
        }
    }

    pub fn visible_nodes(&self) -> Vec<NodeRow> {
        let mut rows: Vec<NodeRow> = self
            .node_rows()
            .into_iter()
            .filter(|r| self.passes(Pane::Nodes, &node_text(r)))
            .collect();
        self.sort_nodes(&mut rows);
        rows
    }

    pub fn visible_jobs(&self) -> Vec<JobRow> {
        self.visible_job_indices()
            .into_iter()
            .map(|i| self.job_row(i))
            .collect()
    }

    pub fn visible_feed(&self) -> Vec<&Run> {
        let mut runs: Vec<&Run> = self
            .feed
            .iter()
            .filter(|r| self.passes(Pane::Executions, &run_text(r)))
            .collect();
        self.sort_feed(&mut runs);
        runs
    }

    pub fn visible_events(&self) -> Vec<&Event> {
        let mut events: Vec<&Event> = self
            .events
            .iter()
            .filter(|e| self.passes(Pane::Events, &e.text))
            .collect();
        self.sort_events(&mut events);
        events
    }

    /// How many rows `pane` shows.
    pub fn row_count(&self, pane: Pane) -> usize {
        self.keys_of(pane).len()
    }

    /// A click on `pane`, on its `row` if any (an index into its visible rows): focuses the
    /// pane and selects the row; a click on the row already selected opens it.
    pub fn click(&mut self, pane: Pane, row: Option<usize>, now: DateTime<Utc>) -> Option<Command> {
        if !matches!(self.ui.overlay, Overlay::None) || self.ui.typing.is_some() {
            return None;
        }
        let i = pane.index();
        let again = self.ui.focus == pane
            && row.is_some()
            && self.selected(pane, self.row_count(pane)) == row;
        self.ui.focus = pane;
        match row {
            Some(_) if again => self.act(Action::Details, now),
            Some(r) => {
                self.ui.selected[i] = r;
                None
            }
            None => None,
        }
    }

    /// A click on row `row` of the problems or trends view: selects it; a click on the row
    /// already selected opens it.
    pub fn click_overlay(&mut self, row: usize, now: DateTime<Utc>) -> Option<Command> {
        let selected = match &mut self.ui.overlay {
            Overlay::Problems { selected } | Overlay::Trends { selected } => selected,
            _ => return None,
        };
        if *selected == row {
            return self.act(Action::Details, now);
        }
        *selected = row;
        None
    }

    /// The wheel: over a pane of the main screen it moves that pane's selection; over an
    /// overlay it scrolls what it shows (a job's output by three lines).
    pub fn wheel(&mut self, pane: Option<Pane>, down: bool, now: DateTime<Utc>) -> Option<Command> {
        if self.ui.typing.is_some() {
            return None;
        }
        if let Overlay::JobDetails(view) = &mut self.ui.overlay {
            view.out_scroll = if down {
                view.out_scroll.saturating_sub(3)
            } else {
                view.out_scroll.saturating_add(3)
            };
            let lines = self
                .picked()
                .and_then(|i| self.detail_runs().map(|r| r[i].output.lines().count()))
                .unwrap_or(0) as u16;
            if let Overlay::JobDetails(view) = &mut self.ui.overlay {
                view.out_scroll = view.out_scroll.min(lines);
            }
            return None;
        }
        if let (Overlay::None, Some(p)) = (&self.ui.overlay, pane) {
            self.ui.focus = p;
        }
        self.act(if down { Action::Down } else { Action::Up }, now)
    }

    /// `selected` clamped to `rows` rows.
    pub fn selected_in(&self, rows: usize, selected: usize) -> Option<usize> {
        (rows > 0).then(|| selected.min(rows - 1))
    }

    /// The selected row of `pane`, clamped to the rows there are.
    pub fn selected(&self, pane: Pane, rows: usize) -> Option<usize> {
        (rows > 0).then(|| self.ui.selected[pane.index()].min(rows - 1))
    }

    /// The job whose details are open (also under a confirmation asked from them).
    pub fn details_job(&self) -> Option<&str> {
        self.job_view().map(|v| v.name.as_str())
    }

    /// The scope the keys are read in.
    pub fn scope(&self) -> Scope {
        if self.ui.typing.is_some() {
            return Scope::Filter;
        }
        match &self.ui.overlay {
            Overlay::None => Scope::Pane(self.ui.focus),
            Overlay::Help { .. } => Scope::Help,
            Overlay::Problems { .. } => Scope::Problems,
            Overlay::Trends { .. } => Scope::Trends,
            Overlay::JobDetails(_) => Scope::JobDetails,
            Overlay::NodeDetails { .. } => Scope::NodeDetails,
            Overlay::Confirm(_) => Scope::Confirm,
        }
    }

    /// Handles a key press; returns what the outside world must do, if anything.
    pub fn handle_key(&mut self, key: KeyEvent, now: DateTime<Utc>) -> Option<Command> {
        if self.ui.typing.is_some() {
            return self.type_filter(key);
        }
        let action = action_for(&key, self.scope())?;
        self.act(action, now)
    }

    /// Does what `action` asks in the current scope: from a key, or from the mouse.
    pub fn act(&mut self, action: Action, now: DateTime<Utc>) -> Option<Command> {
        // Only what the scope offers: the wheel must not answer a confirmation, for one.
        if !crate::keys::bindings(self.scope(), false).any(|b| b.action == action) {
            return None;
        }
        if action.is_destructive() && self.read_only {
            self.ui.flash = Some((now, "read-only: r, t and d are off".into()));
            return None;
        }
        match std::mem::replace(&mut self.ui.overlay, Overlay::None) {
            Overlay::None => self.main_action(action, now),
            Overlay::Help { scroll } => {
                let max = crate::keys::help_line_count() as u16;
                match action {
                    Action::Up => {
                        self.ui.overlay = Overlay::Help {
                            scroll: scroll.saturating_sub(1),
                        }
                    }
                    Action::Down => {
                        self.ui.overlay = Overlay::Help {
                            scroll: (scroll + 1).min(max),
                        }
                    }
                    _ => {}
                }
                None
            }
            Overlay::Problems { selected } => self.problems_action(selected, action, now),
            Overlay::Trends { selected } => {
                let jobs = self.visible_job_indices();
                let n = jobs.len();
                let at = selected.min(n.saturating_sub(1));
                let to = match action {
                    Action::Back | Action::Trends => return None,
                    Action::Problems => {
                        self.ui.overlay = Overlay::Problems { selected: 0 };
                        return None;
                    }
                    Action::Up => at.saturating_sub(1),
                    Action::Down => (at + 1).min(n.saturating_sub(1)),
                    // The trends list the jobs in the jobs pane's order: s and S change it.
                    Action::Sort => {
                        let i = Pane::Jobs.index();
                        self.ui.sort[i] = self.ui.sort[i].cycled(Pane::Jobs);
                        0
                    }
                    Action::Reverse => {
                        let i = Pane::Jobs.index();
                        self.ui.sort[i].reversed = !self.ui.sort[i].reversed;
                        0
                    }
                    Action::Details => {
                        let name = jobs.get(at).map(|&i| self.jobs[i].name.clone())?;
                        return self.open_job(name, Pick::Newest);
                    }
                    _ => at,
                };
                self.ui.overlay = Overlay::Trends { selected: to };
                None
            }
            Overlay::Confirm(pending) => match action {
                Action::Confirm => {
                    self.ui.overlay = *pending.back;
                    if let Command::RunJob(job) = &pending.command {
                        self.start_optimistic(job, now);
                    }
                    Some(pending.command)
                }
                _ => {
                    self.ui.overlay = *pending.back;
                    None
                }
            },
            Overlay::JobDetails(view) => self.job_details_action(view, action),
            Overlay::NodeDetails { name, scroll } => {
                match action {
                    Action::Back => {}
                    Action::Problems => self.ui.overlay = Overlay::Problems { selected: 0 },
                    Action::Up | Action::Down => {
                        self.ui.overlay = Overlay::NodeDetails {
                            name,
                            scroll: scrolled(scroll, action),
                        }
                    }
                    Action::Demote => {
                        self.ui.overlay = Overlay::NodeDetails {
                            name: name.clone(),
                            scroll,
                        };
                        self.ask_demote(name, now);
                    }
                    _ => self.ui.overlay = Overlay::NodeDetails { name, scroll },
                }
                None
            }
        }
    }

    fn problems_action(
        &mut self,
        selected: usize,
        action: Action,
        now: DateTime<Utc>,
    ) -> Option<Command> {
        let problems = self.sorted_problems(now);
        let n = problems.len();
        let at = selected.min(n.saturating_sub(1));
        let to = match action {
            Action::Back | Action::Problems => return None,
            Action::Up => at.saturating_sub(1),
            Action::Down => (at + 1).min(n.saturating_sub(1)),
            Action::PageUp => at.saturating_sub(PAGE),
            Action::PageDown => (at + PAGE).min(n.saturating_sub(1)),
            Action::Top => 0,
            Action::Bottom => n.saturating_sub(1),
            Action::Sort => {
                self.ui.problem_order = self.ui.problem_order.cycled();
                0
            }
            Action::Reverse => {
                self.ui.problem_order.reversed = !self.ui.problem_order.reversed;
                0
            }
            Action::Details => {
                let Some(p) = problems.into_iter().nth(at) else {
                    self.ui.overlay = Overlay::Problems { selected: at };
                    return None;
                };
                return match p.subject {
                    Subject::Job(name) => {
                        let pick = match p.kind {
                            Kind::Failed | Kind::Missed => Pick::LastFailure,
                            _ => Pick::Newest,
                        };
                        self.open_job(name, pick)
                    }
                    Subject::Node(name) => {
                        self.ui.overlay = Overlay::NodeDetails { name, scroll: 0 };
                        None
                    }
                    Subject::Cluster => {
                        self.ui.flash = Some((now, "a cluster problem: see the header".into()));
                        self.ui.overlay = Overlay::Problems { selected: at };
                        None
                    }
                };
            }
            _ => at,
        };
        self.ui.overlay = Overlay::Problems { selected: to };
        None
    }

    fn job_details_action(&mut self, mut view: JobView, action: Action) -> Option<Command> {
        let runs = self.detail_runs_of(&view.name);
        let picked = runs.and_then(|r| resolve_pick(&view.pick, r));
        let lines = picked
            .and_then(|i| runs.map(|r| r[i].output.lines().count()))
            .unwrap_or(0) as u16;
        let mut command = None;
        match action {
            Action::Back => {
                self.detail = None;
                return Some(Command::WatchJob(None));
            }
            Action::Problems => {
                self.detail = None;
                self.ui.overlay = Overlay::Problems { selected: 0 };
                return Some(Command::WatchJob(None));
            }
            Action::Up | Action::Down => {
                if let Some(runs) = runs.filter(|r| !r.is_empty()) {
                    let at = picked.unwrap_or(0);
                    let to = match action {
                        Action::Up => at.saturating_sub(1),
                        _ => (at + 1).min(runs.len() - 1),
                    };
                    let id = runs[to].id.clone();
                    if view.pick != Pick::Id(id.clone()) {
                        view.out_scroll = 0;
                    }
                    view.pick = Pick::Id(id.clone());
                    command = Some(Command::WatchJob(Some(Watch {
                        job: view.name.clone(),
                        execution: Some(id),
                        last_failure: false,
                    })));
                }
            }
            Action::PageUp => {
                view.out_scroll = view.out_scroll.saturating_add(PAGE as u16).min(lines)
            }
            Action::PageDown => view.out_scroll = view.out_scroll.saturating_sub(PAGE as u16),
            Action::Top => view.out_scroll = lines,
            Action::Bottom => view.out_scroll = 0,
            Action::LastFailure => {
                let found = runs.and_then(|r| r.iter().find(|e| is_failure(e.status)));
                match found {
                    Some(e) => {
                        let id = e.id.clone();
                        view.out_scroll = 0;
                        view.pick = Pick::Id(id.clone());
                        command = Some(Command::WatchJob(Some(Watch {
                            job: view.name.clone(),
                            execution: Some(id),
                            last_failure: false,
                        })));
                    }
                    None => return self.open_job(view.name, Pick::LastFailure),
                }
            }
            Action::RunJob => {
                let name = view.name.clone();
                self.ask_run(name, Overlay::JobDetails(view));
                return None;
            }
            Action::ToggleJob => {
                let name = view.name.clone();
                self.ask_toggle(name, Overlay::JobDetails(view));
                return None;
            }
            _ => {}
        }
        self.ui.overlay = Overlay::JobDetails(view);
        command
    }

    fn detail_runs_of(&self, name: &str) -> Option<&[Execution]> {
        match &self.detail {
            Some(JobDetail {
                job,
                runs: Ok(runs),
                ..
            }) if job == name => Some(runs),
            _ => None,
        }
    }

    fn main_action(&mut self, action: Action, now: DateTime<Utc>) -> Option<Command> {
        let focus = self.ui.focus;
        let i = focus.index();
        let rows = || self.keys_of(focus);
        match action {
            Action::Quit => return Some(Command::Quit),
            // Esc is pressed by habit to leave things: on the main screen it clears a filter
            // and never quits (q does).
            Action::Back => {
                if self.ui.filters[i].take().is_none() {
                    self.ui.flash = Some((now, "q quits".into()));
                } else {
                    self.ui.selected[i] = 0;
                }
            }
            Action::Help => self.ui.overlay = Overlay::Help { scroll: 0 },
            Action::Problems => self.ui.overlay = Overlay::Problems { selected: 0 },
            Action::Trends => self.ui.overlay = Overlay::Trends { selected: 0 },
            Action::Zoom => self.ui.zoomed = !self.ui.zoomed,
            Action::Mouse => {
                self.ui.mouse = !self.ui.mouse;
                let text = if self.ui.mouse {
                    "mouse on: click selects, the wheel scrolls"
                } else {
                    "mouse off: the terminal selects text (m turns it on)"
                };
                self.ui.flash = Some((now, text.into()));
                return Some(Command::Mouse(self.ui.mouse));
            }
            Action::Sort => {
                self.ui.sort[i] = self.ui.sort[i].cycled(focus);
                self.ui.selected[i] = 0;
            }
            Action::Reverse => {
                self.ui.sort[i].reversed = !self.ui.sort[i].reversed;
                self.ui.selected[i] = 0;
            }
            Action::NextPane => self.ui.focus = focus.next(),
            Action::PrevPane => self.ui.focus = focus.prev(),
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                let n = rows().len();
                let at = self.selected(focus, n).unwrap_or(0);
                self.ui.selected[i] = match action {
                    Action::Up => at.saturating_sub(1),
                    Action::PageUp => at.saturating_sub(PAGE),
                    Action::Down => (at + 1).min(n.saturating_sub(1)),
                    _ => (at + PAGE).min(n.saturating_sub(1)),
                };
            }
            Action::Top => self.ui.selected[i] = 0,
            Action::Bottom => self.ui.selected[i] = rows().len().saturating_sub(1),
            Action::Filter => {
                let text = self.ui.filters[i]
                    .as_ref()
                    .map(|f| f.text.clone())
                    .unwrap_or_default();
                self.ui.typing = Some(Typing {
                    live: self.ui.filters[i].clone(),
                    text,
                    error: None,
                });
            }
            Action::Details | Action::LastFailure => {
                if focus == Pane::Executions {
                    // The execution itself, not its job's newest.
                    let feed = self.visible_feed();
                    let run = self.selected(focus, feed.len()).map(|s| feed[s])?;
                    let (job, id) = (run.job.clone(), run.id.clone());
                    let pick = match action {
                        Action::LastFailure => Pick::LastFailure,
                        _ => Pick::Id(id),
                    };
                    return self.open_job(job, pick);
                }
                let keys = rows();
                let name = self.selected(focus, keys.len()).map(|s| keys[s].clone())?;
                return match (focus, action) {
                    (Pane::Nodes, Action::Details) => {
                        self.ui.overlay = Overlay::NodeDetails { name, scroll: 0 };
                        None
                    }
                    (Pane::Jobs, Action::Details) => self.open_job(name, Pick::Newest),
                    (Pane::Jobs, _) => self.open_job(name, Pick::LastFailure),
                    _ => None,
                };
            }
            Action::RunJob | Action::ToggleJob | Action::Demote => {
                let keys = rows();
                let name = self.selected(focus, keys.len()).map(|s| keys[s].clone())?;
                match action {
                    Action::RunJob => self.ask_run(name, Overlay::None),
                    Action::ToggleJob => self.ask_toggle(name, Overlay::None),
                    _ => self.ask_demote(name, now),
                }
            }
            Action::Confirm | Action::Cancel => {}
        }
        None
    }

    fn ask_run(&mut self, name: String, back: Overlay) {
        self.ui.overlay = Overlay::Confirm(Pending {
            question: format!("Run job {name} now?"),
            command: Command::RunJob(name),
            back: Box::new(back),
        });
    }

    fn ask_toggle(&mut self, name: String, back: Overlay) {
        let disabled = self
            .jobs
            .iter()
            .find(|j| j.name == name)
            .is_some_and(|j| j.disabled);
        let verb = if disabled { "Enable" } else { "Disable" };
        self.ui.overlay = Overlay::Confirm(Pending {
            question: format!("{verb} job {name}?"),
            command: Command::ToggleJob(name),
            back: Box::new(back),
        });
    }

    /// Asks before demoting; answered, the screen goes back to what it showed.
    fn ask_demote(&mut self, name: String, now: DateTime<Utc>) {
        let row = self.node_rows().into_iter().find(|r| r.name == name);
        let Some(row) = row.filter(|r| r.server.is_some() || r.role == Role::Server) else {
            self.ui.flash = Some((now, format!("{name} is an agent: nothing to demote")));
            return;
        };
        let leads = if row.role == Role::Leader {
            " It leads: leadership moves to another voter first."
        } else {
            ""
        };
        self.ui.overlay = Overlay::Confirm(Pending {
            question: format!("Demote server {name} to an agent?{leads}"),
            command: Command::Demote(name),
            back: Box::new(std::mem::replace(&mut self.ui.overlay, Overlay::None)),
        });
    }

    fn type_filter(&mut self, key: KeyEvent) -> Option<Command> {
        let i = self.ui.focus.index();
        match action_for(&key, Scope::Filter) {
            Some(Action::Confirm) => {
                let typing = self.ui.typing.take()?;
                if typing.text.is_empty() {
                    self.ui.filters[i] = None;
                } else if typing.error.is_none() {
                    self.ui.filters[i] = typing.live;
                } else {
                    // Keep typing until it is a regex.
                    self.ui.typing = Some(typing);
                }
                return None;
            }
            Some(Action::Cancel) => {
                // Back to the filter there was before.
                self.ui.typing = None;
                self.ui.selected[i] = 0;
                return None;
            }
            _ => {}
        }
        let typing = self.ui.typing.as_mut()?;
        match key.code {
            KeyCode::Backspace => {
                typing.text.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                typing.text.push(c)
            }
            _ => return None,
        }
        match case_insensitive(&typing.text) {
            _ if typing.text.is_empty() => {
                typing.error = None;
                typing.live = None;
            }
            Ok(regex) => {
                typing.error = None;
                typing.live = Some(Filter {
                    text: typing.text.clone(),
                    regex,
                });
            }
            // The pane stays narrowed by the last text that was a regex.
            Err(e) => typing.error = Some(e),
        }
        self.ui.selected[i] = 0;
        None
    }
}

/// The index in `runs` (newest first) of the execution `pick` means.
pub fn resolve_pick(pick: &Pick, runs: &[Execution]) -> Option<usize> {
    match pick {
        Pick::Id(id) => runs.iter().position(|e| e.id == *id),
        Pick::LastFailure => runs.iter().position(|e| is_failure(e.status)),
        Pick::Newest => runs
            .iter()
            .position(|e| !e.is_running())
            .or((!runs.is_empty()).then_some(0)),
    }
}

/// Finished executions of one job since `hour_ago`.
fn hour_stats(runs: &[Run], hour_ago: DateTime<Utc>) -> HourStats {
    let mut stats = HourStats::default();
    for r in runs {
        match (r.status, r.finished_at) {
            (ExecutionStatus::Success, Some(f)) if f >= hour_ago => stats.success += 1,
            (ExecutionStatus::Failed, Some(f)) if f >= hour_ago => stats.failed += 1,
            // A missed tick is recorded at its tick.
            (ExecutionStatus::Missed, _) if r.when() >= hour_ago => stats.failed += 1,
            _ => {}
        }
    }
    stats
}

fn scrolled(scroll: u16, action: Action) -> u16 {
    match action {
        Action::Up => scroll.saturating_sub(1),
        _ => scroll.saturating_add(1),
    }
}

/// Filters ignore case: an operator typing `fail` means failed and FAILED alike.
fn case_insensitive(text: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(text)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("invalid")
                .to_string()
        })
}

fn serf_status(status: i32) -> &'static str {
    match status {
        1 => "alive",
        2 => "leaving",
        3 => "left",
        4 => "failed",
        _ => "unknown",
    }
}

/// The node's API address: its `http_addr` tag, with an unspecified IP (a node listening on
/// all interfaces) replaced by the address gossip reaches it at.
pub fn http_addr_of(m: &Member) -> Option<String> {
    let addr: std::net::SocketAddr = m.tags.get("http_addr")?.parse().ok()?;
    if addr.ip().is_unspecified() {
        let ip: std::net::IpAddr = m.addr.parse().ok()?;
        return Some(std::net::SocketAddr::new(ip, addr.port()).to_string());
    }
    Some(addr.to_string())
}

/// What a node filter matches: name, role, status, addresses, region, dc, version and tags.
pub fn node_text(r: &NodeRow) -> String {
    let tags: Vec<String> = r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{} {} {} {} {} {} {} {}",
        r.name,
        r.role.word(),
        r.status,
        r.gossip_addr,
        r.region,
        r.dc,
        r.version,
        tags.join(" ")
    )
}

/// What a job filter matches: name, schedule, last status, enabled or disabled.
pub fn job_text(j: &Job) -> String {
    let state = if j.disabled { "disabled" } else { "enabled" };
    format!("{} {} {} {state}", j.name, j.schedule, j.status)
}

pub fn run_text(r: &Run) -> String {
    format!("{} {} {}", r.job, r.node, status_word(r.status))
}

pub fn status_word(s: ExecutionStatus) -> &'static str {
    match s {
        ExecutionStatus::Running => "running",
        ExecutionStatus::Success => "success",
        ExecutionStatus::Failed => "failed",
        ExecutionStatus::Missed => "missed",
    }
}

/// What changed between two cluster snapshots, as log lines.
fn cluster_changes(prev: Option<&ClusterSnapshot>, new: &ClusterSnapshot) -> Vec<(Level, String)> {
    let h = &new.health;
    let mut out = Vec::new();
    let Some(prev) = prev else {
        let leader = h.leader.as_deref().unwrap_or("none");
        out.push((
            Level::Info,
            format!("connected via {}: leader {leader}", new.via),
        ));
        return out;
    };
    let p = &prev.health;
    if p.leader != h.leader {
        match (&p.leader, &h.leader) {
            (_, None) => out.push((
                Level::Bad,
                format!("no leader (was {})", p.leader.as_deref().unwrap_or("none")),
            )),
            (None, Some(l)) => out.push((Level::Good, format!("{l} is the leader{}", term(h)))),
            (Some(old), Some(l)) => {
                out.push((Level::Warn, format!("leader {old} → {l}{}", term(h))))
            }
        }
    }
    for m in &new.members {
        let status = m.status_text.as_deref().unwrap_or(serf_status(m.status));
        match prev.members.iter().find(|o| o.name == m.name) {
            None => out.push((Level::Info, format!("{} joined ({status})", m.name))),
            Some(old) => {
                let before = old
                    .status_text
                    .as_deref()
                    .unwrap_or(serf_status(old.status));
                if before != status {
                    let level = match status {
                        "alive" => Level::Good,
                        "failed" => Level::Bad,
                        _ => Level::Warn,
                    };
                    let text = match status {
                        "alive" => format!("{} is back (was {before})", m.name),
                        _ => format!("{} {status} (was {before})", m.name),
                    };
                    out.push((level, text));
                }
            }
        }
    }
    for old in &prev.members {
        if !new.members.iter().any(|m| m.name == old.name) {
            out.push((Level::Warn, format!("{} is no longer a member", old.name)));
        }
    }
    for s in &h.servers {
        let before = p.servers.iter().find(|o| o.node == s.node);
        match before {
            None => out.push((
                Level::Info,
                format!(
                    "{} added to Raft as a {}",
                    s.node,
                    if s.voter { "voter" } else { "learner" }
                ),
            )),
            Some(b) if b.voter != s.voter => out.push((
                Level::Info,
                format!(
                    "{} is now a {}",
                    s.node,
                    if s.voter { "voter" } else { "learner" }
                ),
            )),
            _ => {}
        }
    }
    for b in &p.servers {
        if !h.servers.iter().any(|s| s.node == b.node) {
            out.push((Level::Warn, format!("{} removed from Raft", b.node)));
        }
    }
    if p.voters != h.voters || p.quorum != h.quorum {
        out.push((
            Level::Info,
            format!(
                "voters {} → {}, quorum {} → {}",
                p.voters, h.voters, p.quorum, h.quorum
            ),
        ));
    }
    if p.failure_tolerance != h.failure_tolerance {
        let level = if h.failure_tolerance > p.failure_tolerance {
            Level::Good
        } else if h.failure_tolerance == 0 {
            Level::Bad
        } else {
            Level::Warn
        };
        out.push((
            level,
            format!(
                "tolerance {} → {} ({}/{} healthy)",
                p.failure_tolerance, h.failure_tolerance, h.healthy_voters, h.voters
            ),
        ));
    }
    if p.healthy != h.healthy {
        out.push(if h.healthy {
            (Level::Good, "quorum healthy again".into())
        } else {
            (Level::Bad, "quorum unhealthy".into())
        });
    }
    out
}

/// Health before any could be read: no leader, no servers.
fn unknown_health() -> ClusterHealth {
    ClusterHealth {
        healthy: false,
        leader: None,
        voters: 0,
        healthy_voters: 0,
        quorum: 0,
        failure_tolerance: 0,
        elections_last_hour: 0,
        servers: Vec::new(),
        warnings: Vec::new(),
        term: None,
        leader_since: None,
        max_clock_offset_ms: None,
        launch_backlog: Default::default(),
    }
}

fn term(h: &ClusterHealth) -> String {
    h.term.map(|t| format!(" (term {t})")).unwrap_or_default()
}

// The orders the panes and the problems view can be in, and the problems' vocabulary: data
// the dashboard keeps; `sort` and `problems` compute the rows from them.

/// What rows are sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    /// Worst first: failed, then partly failed, never run, success; for nodes, not alive, then
    /// unhealthy.
    Status,
    /// Most failures in the last hour first, then most errors overall.
    Failures,
    /// Latest launches first (start minus scheduled tick, or overdue next run).
    Lateness,
    /// Soonest first.
    NextRun,
    /// Newest first.
    Time,
    Node,
    /// Longest first.
    Duration,
    Role,
    /// Most entries behind first.
    Lag,
    /// Largest clock offset (either way) first.
    Clock,
    /// Most launches waiting first.
    Backlog,
    /// Worst first.
    Level,
}

impl SortKey {
    pub fn word(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Status => "status",
            SortKey::Failures => "failures",
            SortKey::Lateness => "lateness",
            SortKey::NextRun => "next run",
            SortKey::Time => "time",
            SortKey::Node => "node",
            SortKey::Duration => "duration",
            SortKey::Role => "role",
            SortKey::Lag => "lag",
            SortKey::Clock => "clock offset",
            SortKey::Backlog => "backlog",
            SortKey::Level => "severity",
        }
    }

    /// The keys of `pane`, the default first.
    pub fn of(pane: Pane) -> &'static [SortKey] {
        use SortKey::*;
        match pane {
            Pane::Nodes => &[Name, Status, Role, Lag, Clock, Backlog],
            Pane::Jobs => &[Name, Status, Failures, Lateness, NextRun],
            Pane::Executions => &[Time, Status, Lateness, Name, Node, Duration],
            Pane::Events => &[Time, Level],
        }
    }
}

/// A pane's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub reversed: bool,
}

impl Sort {
    pub fn default_of(pane: Pane) -> Sort {
        Sort {
            key: SortKey::of(pane)[0],
            reversed: false,
        }
    }

    /// The next key of `pane`, in its natural direction.
    pub fn cycled(self, pane: Pane) -> Sort {
        let keys = SortKey::of(pane);
        let at = keys.iter().position(|k| *k == self.key).unwrap_or(0);
        Sort {
            key: keys[(at + 1) % keys.len()],
            reversed: false,
        }
    }

    /// How the pane's title says it (nothing for the default order).
    pub fn label(self, pane: Pane) -> Option<String> {
        if self == Sort::default_of(pane) {
            return None;
        }
        let reversed = if self.reversed { ", reversed" } else { "" };
        Some(format!("by {}{reversed}", self.key.word()))
    }

    pub(crate) fn apply(self, ord: std::cmp::Ordering) -> std::cmp::Ordering {
        if self.reversed { ord.reverse() } else { ord }
    }
}

/// The problems view's order: by severity (the default), by kind, or by subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProblemOrder {
    /// 0: severity, 1: kind, 2: subject.
    pub key: u8,
    pub reversed: bool,
}

impl ProblemOrder {
    pub const KEYS: [&'static str; 3] = ["severity", "kind", "subject"];

    pub fn cycled(self) -> ProblemOrder {
        ProblemOrder {
            key: (self.key + 1) % Self::KEYS.len() as u8,
            reversed: false,
        }
    }

    /// How the view's title says it (nothing for the default).
    pub fn label(self) -> Option<String> {
        if self == ProblemOrder::default() {
            return None;
        }
        let reversed = if self.reversed { ", reversed" } else { "" };
        Some(format!("by {}{reversed}", Self::KEYS[self.key as usize]))
    }
}

/// What a problem is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Cluster,
    Node(String),
    Job(String),
}

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NoServer,
    Quorum,
    Unreadable,
    Down,
    Lag,
    Clock,
    Backlog,
    Failed,
    Missed,
    Late,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::NoServer => "no server",
            Kind::Quorum => "quorum",
            Kind::Unreadable => "unreadable",
            Kind::Down => "down",
            Kind::Lag => "lag",
            Kind::Clock => "clock",
            Kind::Backlog => "backlog",
            Kind::Failed => "failed",
            Kind::Missed => "missed",
            Kind::Late => "late",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{after_failover, healthy_state, now};

    fn press(state: &mut State, code: KeyCode) -> Option<Command> {
        state.handle_key(KeyEvent::new(code, KeyModifiers::NONE), now())
    }

    #[test]
    fn a_failover_is_logged_and_judged() {
        let mut state = healthy_state();
        assert_eq!(state.quorum().0, Quorum::Ok);
        after_failover(&mut state);
        let (verdict, words) = state.quorum();
        assert_eq!(verdict, Quorum::AtRisk);
        assert!(words.contains("next failure"), "{words}");
        let texts: Vec<&str> = state.events.iter().map(|e| e.text.as_str()).collect();
        for expected in [
            "leader node-a → node-b (term 8)",
            "node-a failed (was alive)",
            "tolerance 1 → 0 (2/3 healthy)",
            "10.0.0.1:8080 lost (unreachable): now via 10.0.0.2:8080",
        ] {
            assert!(texts.contains(&expected), "{expected:?} not in {texts:?}");
        }
        let a = state
            .node_rows()
            .into_iter()
            .find(|r| r.name == "node-a")
            .unwrap();
        assert!(!a.alive);
        // Last seen alive by this dashboard, one read before.
        assert_eq!(a.last_seen, Some(now() - Duration::seconds(1)));
    }

    #[test]
    fn roles_come_from_raft_and_gossip() {
        let state = healthy_state();
        let roles: Vec<(String, Role)> = state
            .node_rows()
            .into_iter()
            .map(|r| (r.name, r.role))
            .collect();
        assert_eq!(
            roles,
            vec![
                ("node-a".into(), Role::Leader),
                ("node-b".into(), Role::Voter),
                ("node-c".into(), Role::Voter),
                ("worker-1".into(), Role::Agent),
            ]
        );
        let worker = &state.node_rows()[3];
        assert_eq!(worker.tags.len(), 1, "reserved tags are not user tags");
        assert_eq!(state.node_rows()[1].running, 1);
    }

    #[test]
    fn the_last_hour_rate_counts_only_the_last_hour() {
        let state = healthy_state();
        let report = state.hour_stats["report"];
        assert_eq!((report.success, report.failed), (1, 1));
        assert_eq!(report.rate(), Some(50.0));
        assert_eq!(state.hour_stats["cleanup"].rate(), None);
        // The running execution comes from /v1/busy, the newest first.
        assert_eq!(state.feed[0].status, ExecutionStatus::Running);
    }

    #[test]
    fn a_read_of_the_newest_executions_keeps_the_older_ones() {
        let mut state = healthy_state();
        state.apply(Update::Executions {
            at: now(),
            runs: vec![ExecutionsRead {
                job: "report".into(),
                executions: vec![crate::fixtures::execution(
                    "report",
                    "node-c",
                    ExecutionStatus::Success,
                    10,
                )],
                complete: false,
            }],
        });
        let runs = &state.runs["report"].1;
        assert_eq!(runs.len(), 4, "{runs:?}");
        assert_eq!(runs[0].node, "node-c");
        let report = state.hour_stats["report"];
        assert_eq!((report.success, report.failed), (2, 1));
        assert_eq!(state.feed[1].node, "node-c", "second after the running one");
    }

    #[test]
    fn a_failed_health_read_keeps_the_last_health_and_says_so() {
        let mut state = healthy_state();
        let mut read = crate::fixtures::cluster_read(
            crate::fixtures::health("node-a", vec![], 7),
            vec![crate::fixtures::member("node-a", "10.0.0.1", true, "alive")],
        );
        read.health = Err("timed out".into());
        state.apply(Update::Cluster { at: now(), read });
        assert_eq!(state.cluster.as_ref().unwrap().health.voters, 3);
        assert_eq!(state.quorum().0, Quorum::Unknown);
        assert!(state.quorum().1.contains("timed out"));
    }

    #[test]
    fn filters_are_case_insensitive_regexes_per_pane() {
        let mut state = healthy_state();
        press(&mut state, KeyCode::Char('/'));
        for c in "NODE-[bc".chars() {
            press(&mut state, KeyCode::Char(c));
        }
        // Not a regex yet: enter keeps the prompt and says why.
        press(&mut state, KeyCode::Enter);
        assert!(state.ui.typing.as_ref().unwrap().error.is_some());
        press(&mut state, KeyCode::Char(']'));
        press(&mut state, KeyCode::Enter);
        assert!(state.ui.typing.is_none());
        let names: Vec<String> = state.visible_nodes().into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["node-b", "node-c"]);
        // Other panes are not filtered.
        assert_eq!(state.visible_jobs().len(), 3);
        // Esc clears the filter, and never quits: q does.
        assert_eq!(press(&mut state, KeyCode::Esc), None);
        assert_eq!(state.visible_nodes().len(), 4);
        assert_eq!(press(&mut state, KeyCode::Esc), None);
        assert!(state.ui.flash.as_ref().unwrap().1.contains("q quits"));
        assert_eq!(press(&mut state, KeyCode::Char('q')), Some(Command::Quit));
    }

    #[test]
    fn the_filter_narrows_as_it_is_typed() {
        let mut state = healthy_state();
        press(&mut state, KeyCode::Tab);
        press(&mut state, KeyCode::Char('/'));
        let names =
            |s: &State| -> Vec<String> { s.visible_jobs().into_iter().map(|j| j.name).collect() };
        press(&mut state, KeyCode::Char('^'));
        press(&mut state, KeyCode::Char('r'));
        assert_eq!(names(&state), ["report"], "^r narrows at once");
        press(&mut state, KeyCode::Backspace);
        press(&mut state, KeyCode::Backspace);
        assert_eq!(names(&state).len(), 3, "an empty filter shows all");
        for c in "^c(".chars() {
            press(&mut state, KeyCode::Char(c));
        }
        // Not a regex yet: the pane keeps the last text that was one.
        assert!(state.ui.typing.as_ref().unwrap().error.is_some());
        assert_eq!(names(&state), ["cleanup"]);
        press(&mut state, KeyCode::Char(')'));
        assert!(state.ui.typing.as_ref().unwrap().error.is_none());
        assert_eq!(names(&state), ["cleanup"]);
        // Esc while typing goes back to no filter, and does not quit.
        assert_eq!(press(&mut state, KeyCode::Esc), None);
        assert_eq!(names(&state).len(), 3);
        assert!(state.filter_of(Pane::Jobs).is_none());
        // Enter keeps what was typed.
        press(&mut state, KeyCode::Char('/'));
        press(&mut state, KeyCode::Char('^'));
        press(&mut state, KeyCode::Char('b'));
        press(&mut state, KeyCode::Enter);
        assert_eq!(names(&state), ["backup"]);
        assert_eq!(state.filter_of(Pane::Jobs).unwrap().text, "^b");
    }

    #[test]
    fn esc_on_the_main_screen_never_quits() {
        let mut state = healthy_state();
        for _ in 0..3 {
            for code in [KeyCode::Esc, KeyCode::Tab] {
                assert_eq!(press(&mut state, code), None);
            }
        }
        // From details, Esc goes back to the main screen, and no further.
        press(&mut state, KeyCode::Tab);
        assert_eq!(state.ui.focus, Pane::Nodes);
        press(&mut state, KeyCode::Enter);
        assert!(matches!(state.ui.overlay, Overlay::NodeDetails { .. }));
        assert_eq!(press(&mut state, KeyCode::Esc), None);
        assert!(matches!(state.ui.overlay, Overlay::None));
        assert_eq!(press(&mut state, KeyCode::Esc), None);
        assert_eq!(press(&mut state, KeyCode::Char('q')), Some(Command::Quit));
    }

    #[test]
    fn sorting_cycles_through_the_keys_and_reverses() {
        use crate::state::SortKey;
        let mut state = healthy_state();
        // backup launched 45 s after its tick; cleanup's next run is the soonest.
        let mut late =
            crate::fixtures::execution("backup", "worker-1", ExecutionStatus::Success, 20);
        late.scheduled_at = late.started_at - Duration::seconds(45);
        state.apply(Update::Executions {
            at: now(),
            runs: vec![ExecutionsRead {
                job: "backup".into(),
                executions: vec![late],
                complete: false,
            }],
        });
        state.jobs[1].next = now() + Duration::seconds(5);
        press(&mut state, KeyCode::Tab);
        let names =
            |s: &State| -> Vec<String> { s.visible_jobs().into_iter().map(|j| j.name).collect() };
        assert_eq!(names(&state), ["backup", "cleanup", "report"]);
        let mut seen = Vec::new();
        for _ in 0..4 {
            press(&mut state, KeyCode::Char('s'));
            seen.push((state.sort_of(Pane::Jobs).key, names(&state)));
        }
        assert_eq!(
            seen,
            vec![
                (
                    SortKey::Status,
                    vec!["report".into(), "backup".into(), "cleanup".into()]
                ),
                (
                    SortKey::Failures,
                    vec!["report".into(), "backup".into(), "cleanup".into()]
                ),
                (
                    SortKey::Lateness,
                    vec!["backup".into(), "cleanup".into(), "report".into()]
                ),
                (
                    SortKey::NextRun,
                    vec!["cleanup".into(), "backup".into(), "report".into()]
                ),
            ]
        );
        assert_eq!(state.job_lateness(0), Duration::seconds(45));
        // S reverses; the selection goes back to the first row.
        press(&mut state, KeyCode::Char('j'));
        press(&mut state, KeyCode::Char('S'));
        assert_eq!(names(&state), ["report", "backup", "cleanup"]);
        assert_eq!(state.selected(Pane::Jobs, 3), Some(0));
        // And round to the name again.
        press(&mut state, KeyCode::Char('s'));
        assert_eq!(state.sort_of(Pane::Jobs).key, SortKey::Name);
        assert!(!state.sort_of(Pane::Jobs).reversed);
        // Nodes by status: the dead one first; executions by status: the failure first.
        after_failover(&mut state);
        press(&mut state, KeyCode::BackTab);
        press(&mut state, KeyCode::Char('s'));
        assert_eq!(state.visible_nodes()[0].name, "node-a");
        press(&mut state, KeyCode::Tab);
        press(&mut state, KeyCode::Tab);
        press(&mut state, KeyCode::Char('s'));
        assert_eq!(state.visible_feed()[0].status, ExecutionStatus::Failed);
        // Enter opens the row shown, in the sorted order.
        let first = state.visible_feed()[0].id.clone();
        assert_eq!(
            press(&mut state, KeyCode::Enter),
            Some(Command::WatchJob(Some(Watch {
                job: "report".into(),
                execution: Some(first),
                last_failure: false
            })))
        );
    }

    #[test]
    fn the_problems_view_lists_what_needs_an_operator_worst_first() {
        let mut state = healthy_state();
        crate::fixtures::troubled(&mut state);
        let problems = state.problems(now());
        let found: Vec<(Level, Kind, &str)> = problems
            .iter()
            .map(|p| (p.level, p.kind, p.subject_name()))
            .collect();
        assert_eq!(
            found,
            vec![
                (Level::Bad, Kind::Down, "node-a"),
                (Level::Bad, Kind::Failed, "report"),
                (Level::Warn, Kind::Quorum, "cluster"),
                (Level::Warn, Kind::Clock, "node-c"),
                (Level::Warn, Kind::Backlog, "worker-1"),
                (Level::Warn, Kind::Missed, "backup"),
                (Level::Warn, Kind::Late, "backup"),
            ]
        );
        assert!(
            problems[3]
                .text
                .contains("+900ms beyond the bound of 500ms")
        );
        // p from any pane, and from the details; enter opens a failed job on its failure.
        state.ui.focus = Pane::Executions;
        press(&mut state, KeyCode::Char('p'));
        assert!(matches!(
            state.ui.overlay,
            Overlay::Problems { selected: 0 }
        ));
        press(&mut state, KeyCode::Char('j'));
        let failed = report_runs()[2].id.clone();
        assert_eq!(
            press(&mut state, KeyCode::Enter),
            watch(Some(&failed), false)
        );
        assert_eq!(
            press(&mut state, KeyCode::Char('p')),
            Some(Command::WatchJob(None))
        );
        assert!(matches!(state.ui.overlay, Overlay::Problems { .. }));
        assert_eq!(press(&mut state, KeyCode::Enter), None);
        assert!(matches!(&state.ui.overlay, Overlay::NodeDetails { name, .. } if name == "node-a"));
        press(&mut state, KeyCode::Char('p'));
        assert!(matches!(state.ui.overlay, Overlay::Problems { .. }));
        assert_eq!(press(&mut state, KeyCode::Esc), None);
        assert!(matches!(state.ui.overlay, Overlay::None));
        assert_eq!(
            state.problems(now())[0].subject,
            Subject::Node("node-a".into())
        );
        // s sorts the problems by kind, then by subject; S reverses.
        press(&mut state, KeyCode::Char('p'));
        press(&mut state, KeyCode::Char('s'));
        assert_eq!(state.sorted_problems(now())[0].kind, Kind::Backlog);
        press(&mut state, KeyCode::Char('s'));
        assert_eq!(state.sorted_problems(now())[0].subject_name(), "backup");
        press(&mut state, KeyCode::Char('S'));
        assert_eq!(state.sorted_problems(now())[0].subject_name(), "worker-1");
        // Enter opens the row shown, in that order.
        assert_eq!(press(&mut state, KeyCode::Enter), None);
        assert!(
            matches!(&state.ui.overlay, Overlay::NodeDetails { name, .. } if name == "worker-1")
        );
    }

    #[test]
    fn a_run_shows_as_started_at_once_until_the_cluster_shows_it() {
        let mut state = healthy_state();
        state.ui.focus = Pane::Jobs;
        press(&mut state, KeyCode::Char('j'));
        press(&mut state, KeyCode::Char('r'));
        assert_eq!(
            press(&mut state, KeyCode::Char('y')),
            Some(Command::RunJob("cleanup".into()))
        );
        // At once, before any answer: in the feed, first, and in the job's Run column.
        assert!(state.feed[0].optimistic && state.feed[0].job == "cleanup");
        let cleanup = state.jobs.iter().position(|j| j.name == "cleanup").unwrap();
        assert_eq!(state.job_row(cleanup).running, 1);
        // The cluster shows it running: the real row replaces the optimistic one.
        let mut read = crate::fixtures::cluster_read(
            state.cluster.as_ref().unwrap().health.clone(),
            state.cluster.as_ref().unwrap().members.clone(),
        );
        let mut started =
            crate::fixtures::execution("cleanup", "worker-1", ExecutionStatus::Running, 0);
        started.started_at = now() - Duration::seconds(1);
        read.running.as_mut().unwrap().push(started);
        state.apply(Update::Cluster {
            at: now(),
            read: read.clone(),
        });
        assert!(state.optimistic.is_empty());
        assert!(state.feed.iter().all(|r| !r.optimistic));
        assert_eq!(state.job_row(cleanup).running, 1);

        // A run the API refuses goes at once.
        press(&mut state, KeyCode::Char('r'));
        press(&mut state, KeyCode::Char('y'));
        assert_eq!(state.optimistic.len(), 1);
        state.apply(Update::ActionDone {
            at: now(),
            what: "run job cleanup".into(),
            result: Err("403 Forbidden".into()),
            run_of: Some("cleanup".into()),
        });
        assert!(state.optimistic.is_empty());
        // One never seen goes after a minute.
        press(&mut state, KeyCode::Char('r'));
        press(&mut state, KeyCode::Char('y'));
        read.running = Some(vec![]);
        state.apply(Update::Cluster {
            at: now() + Duration::seconds(30),
            read: read.clone(),
        });
        assert_eq!(state.optimistic.len(), 1, "still waiting after 30 s");
        state.apply(Update::Cluster {
            at: now() + Duration::seconds(61),
            read,
        });
        assert!(state.optimistic.is_empty());
    }

    #[test]
    fn trends_count_the_last_hour_a_minute_at_a_time() {
        use crate::trends::MINUTES;
        let mut state = healthy_state();
        let c = state.cluster_trend(now());
        // backup ×3 and report ×2 finished in the hour (report's third is two hours old).
        assert_eq!(c.runs.iter().sum::<u64>(), 5);
        assert_eq!(c.failures.iter().sum::<u64>(), 1);
        // report failed 100 s ago: the second-newest minute.
        assert_eq!(c.failures[MINUTES - 2], 1);
        assert_eq!(state.outcome_strip("report"), "✗✓✗");
        assert_eq!(state.health_timeline(now())[MINUTES - 1], Some(Quorum::Ok));
        crate::fixtures::troubled(&mut state);
        let c = state.cluster_trend(now());
        assert_eq!(c.lateness_ms.iter().max(), Some(&45_000));
        assert_eq!(
            state.job_trend("backup", now()).lateness_ms[MINUTES - 1],
            45_000
        );
        assert_eq!(state.outcome_strip("backup"), "✓✓-✓✓");
        // The worst verdict of the minute wins.
        assert_eq!(
            state.health_timeline(now())[MINUTES - 1],
            Some(Quorum::AtRisk)
        );
        // T opens the trends; s sorts its jobs as the pane; enter opens the selected job.
        press(&mut state, KeyCode::Char('T'));
        assert!(matches!(state.ui.overlay, Overlay::Trends { selected: 0 }));
        press(&mut state, KeyCode::Char('s'));
        assert_eq!(state.visible_jobs()[0].name, "report");
        for _ in 0..4 {
            press(&mut state, KeyCode::Char('s'));
        }
        assert_eq!(state.visible_jobs()[0].name, "backup", "back to by name");
        press(&mut state, KeyCode::Char('j'));
        assert_eq!(
            press(&mut state, KeyCode::Enter),
            Some(Command::WatchJob(Some(Watch::job("cleanup"))))
        );
    }

    #[test]
    fn moving_and_confirming() {
        let mut state = healthy_state();
        press(&mut state, KeyCode::Tab);
        assert_eq!(state.ui.focus, Pane::Jobs);
        press(&mut state, KeyCode::Char('G'));
        press(&mut state, KeyCode::Down);
        assert_eq!(state.selected(Pane::Jobs, 3), Some(2));
        // report is selected; toggling asks, n changes nothing.
        assert_eq!(press(&mut state, KeyCode::Char('t')), None);
        assert!(
            matches!(&state.ui.overlay, Overlay::Confirm(p) if p.question == "Disable job report?")
        );
        assert_eq!(press(&mut state, KeyCode::Char('n')), None);
        assert!(matches!(state.ui.overlay, Overlay::None));
        press(&mut state, KeyCode::Char('r'));
        assert_eq!(
            press(&mut state, KeyCode::Char('y')),
            Some(Command::RunJob("report".into()))
        );
        // Shift-tab goes back; the agent cannot be demoted.
        press(&mut state, KeyCode::BackTab);
        press(&mut state, KeyCode::Char('G'));
        assert_eq!(press(&mut state, KeyCode::Char('d')), None);
        assert!(matches!(state.ui.overlay, Overlay::None));
        assert!(state.ui.flash.as_ref().unwrap().1.contains("agent"));
    }

    #[test]
    fn the_wheel_never_answers_a_question() {
        let mut state = healthy_state();
        press(&mut state, KeyCode::Char('d'));
        assert!(matches!(state.ui.overlay, Overlay::Confirm(_)));
        assert_eq!(state.wheel(Some(Pane::Nodes), true, now()), None);
        assert!(matches!(state.ui.overlay, Overlay::Confirm(_)));
        assert_eq!(state.click(Pane::Jobs, Some(1), now()), None);
        assert!(matches!(state.ui.overlay, Overlay::Confirm(_)));
    }

    #[test]
    fn a_click_in_the_problems_view_selects_and_a_second_opens() {
        let mut state = healthy_state();
        crate::fixtures::troubled(&mut state);
        press(&mut state, KeyCode::Char('p'));
        assert_eq!(state.click_overlay(3, now()), None);
        assert!(matches!(
            state.ui.overlay,
            Overlay::Problems { selected: 3 }
        ));
        assert_eq!(state.click_overlay(3, now()), None);
        assert!(matches!(&state.ui.overlay, Overlay::NodeDetails { name, .. } if name == "node-c"));
    }

    #[test]
    fn read_only_refuses_destructive_keys() {
        let mut state = healthy_state();
        state.read_only = true;
        assert_eq!(press(&mut state, KeyCode::Char('d')), None);
        assert!(matches!(state.ui.overlay, Overlay::None));
        assert!(state.ui.flash.as_ref().unwrap().1.starts_with("read-only"));
    }

    fn detail(state: &mut State, runs: Vec<Execution>) -> Option<Command> {
        state.apply(Update::JobDetail {
            at: now(),
            job: "report".into(),
            runs: Ok(runs),
        })
    }

    fn report_runs() -> Vec<Execution> {
        use crate::fixtures::execution;
        use ExecutionStatus::*;
        vec![
            execution("report", "node-b", Running, 3),
            execution("report", "node-c", Success, 10),
            execution("report", "node-b", Failed, 100),
            execution("report", "node-b", Success, 1900),
        ]
    }

    fn watch(execution: Option<&str>, last_failure: bool) -> Option<Command> {
        Some(Command::WatchJob(Some(Watch {
            job: "report".into(),
            execution: execution.map(String::from),
            last_failure,
        })))
    }

    #[test]
    fn enter_on_an_execution_shows_that_execution_not_the_newest() {
        let mut state = healthy_state();
        state.ui.focus = Pane::Executions;
        let feed = state.visible_feed();
        let i = feed
            .iter()
            .position(|r| r.job == "report" && r.status == ExecutionStatus::Failed)
            .unwrap();
        let failed = feed[i].id.clone();
        state.ui.selected[Pane::Executions.index()] = i;
        assert_eq!(
            press(&mut state, KeyCode::Enter),
            watch(Some(&failed), false)
        );
        // Already picked by id: nothing more to ask.
        assert_eq!(detail(&mut state, report_runs()), None);
        let runs = state.detail_runs().unwrap();
        assert_eq!(runs[state.picked().unwrap()].id, failed);
        // ↑ picks the newer one and keeps it read.
        let newer = runs[1].id.clone();
        assert_eq!(press(&mut state, KeyCode::Up), watch(Some(&newer), false));
        assert_eq!(state.picked(), Some(1));
        press(&mut state, KeyCode::Char('j'));
        press(&mut state, KeyCode::Char('j'));
        press(&mut state, KeyCode::Char('j'));
        assert_eq!(state.picked(), Some(3), "stops at the oldest");
    }

    #[test]
    fn f_jumps_from_a_job_to_its_last_failure() {
        let mut state = healthy_state();
        state.ui.focus = Pane::Jobs;
        // backup, cleanup, report: report is the third.
        press(&mut state, KeyCode::Char('G'));
        let failed = report_runs()[2].id.clone();
        // The per-job reads know the failure: it is asked for by id at once.
        assert_eq!(
            press(&mut state, KeyCode::Char('f')),
            watch(Some(&failed), false)
        );
        detail(&mut state, report_runs());
        assert_eq!(state.picked(), Some(2), "the failure, not the newest");
        // A job with no failure known: the fetcher is asked to look further back.
        state.ui.overlay = Overlay::None;
        state.runs.remove("report");
        assert_eq!(press(&mut state, KeyCode::Char('f')), watch(None, true));
        let successes: Vec<Execution> = report_runs()
            .into_iter()
            .filter(|e| e.status != ExecutionStatus::Failed)
            .collect();
        assert_eq!(detail(&mut state, successes), None);
        assert_eq!(state.picked(), None, "no failure is not the newest run");
        // Found further back: picked, and kept read from then on.
        assert_eq!(
            detail(&mut state, report_runs()),
            watch(Some(&failed), false)
        );
        assert_eq!(state.job_view().unwrap().pick, Pick::Id(failed));
    }

    #[test]
    fn the_picked_execution_stays_as_newer_runs_arrive() {
        let mut state = healthy_state();
        state.ui.focus = Pane::Jobs;
        press(&mut state, KeyCode::Char('G'));
        assert_eq!(press(&mut state, KeyCode::Enter), watch(None, false));
        let runs = report_runs();
        // The newest finished one, not the running one; then held by its id.
        let newest_finished = runs[1].id.clone();
        assert_eq!(
            detail(&mut state, runs.clone()),
            watch(Some(&newest_finished), false)
        );
        let mut more = runs;
        more.insert(
            0,
            crate::fixtures::execution("report", "node-a", ExecutionStatus::Success, 1),
        );
        detail(&mut state, more);
        assert_eq!(state.picked(), Some(2));
        assert_eq!(state.detail_runs().unwrap()[2].id, newest_finished);
    }

    #[test]
    fn output_scrolls_from_its_end() {
        let mut state = healthy_state();
        state.ui.focus = Pane::Jobs;
        press(&mut state, KeyCode::Char('G'));
        press(&mut state, KeyCode::Char('f'));
        let mut runs = report_runs();
        runs[2].output = (1..=30).map(|i| format!("line {i}\n")).collect();
        detail(&mut state, runs);
        let scroll = |s: &State| s.job_view().unwrap().out_scroll;
        assert_eq!(
            scroll(&state),
            0,
            "the end first: that is where the error is"
        );
        press(&mut state, KeyCode::PageUp);
        assert_eq!(scroll(&state), 10);
        press(&mut state, KeyCode::Char('g'));
        assert_eq!(scroll(&state), 30);
        press(&mut state, KeyCode::PageDown);
        assert_eq!(scroll(&state), 20);
        press(&mut state, KeyCode::Char('G'));
        assert_eq!(scroll(&state), 0);
        // Another execution starts at its end again.
        press(&mut state, KeyCode::PageUp);
        press(&mut state, KeyCode::Up);
        assert_eq!(scroll(&state), 0);
        assert_eq!(
            press(&mut state, KeyCode::Esc),
            Some(Command::WatchJob(None))
        );
    }

    #[test]
    fn without_quorum_a_dead_leader_is_not_named() {
        let mut state = healthy_state();
        assert_eq!(
            state.leader_line(),
            LeaderLine::Named {
                name: "node-a".into(),
                without_quorum: false
            }
        );
        crate::fixtures::quorum_lost(&mut state);
        // node-c still names node-a, which Raft and gossip both see dead.
        assert_eq!(
            state.leader_line(),
            LeaderLine::None {
                dead: Some("node-a".into())
            }
        );
        let (verdict, words) = state.verdict(now());
        assert_eq!(verdict, Quorum::Lost);
        assert!(words.contains("no launches; countdowns stopped"), "{words}");
        assert!(state.launches_stopped());
    }

    #[test]
    fn when_no_server_answers_there_is_no_verdict_and_no_leader() {
        let mut state = healthy_state();
        state.apply(Update::Unreachable {
            at: now(),
            reason: "127.0.0.1:8080: unreachable".into(),
        });
        let (verdict, words) = state.verdict(now());
        assert_eq!(verdict, Quorum::Unknown);
        assert!(words.contains("no server answers"), "{words}");
        assert!(matches!(
            state.leader_line(),
            LeaderLine::Unknown { last: Some(l), .. } if l == "node-a"
        ));
    }

    #[test]
    fn an_old_health_read_gives_no_verdict() {
        let state = healthy_state();
        assert_eq!(state.verdict(now()).0, Quorum::Ok);
        let later = now() + VERDICT_STALE_AFTER + Duration::seconds(1);
        let (verdict, words) = state.verdict(later);
        assert_eq!(verdict, Quorum::Unknown);
        assert!(words.contains("no health read for 12s"), "{words}");
    }

    #[test]
    fn unspecified_http_addresses_use_the_gossip_ip() {
        let mut m = crate::fixtures::member("n", "10.1.2.3", true, "alive");
        m.tags.insert("http_addr".into(), "0.0.0.0:8080".into());
        assert_eq!(http_addr_of(&m).as_deref(), Some("10.1.2.3:8080"));
    }
}
