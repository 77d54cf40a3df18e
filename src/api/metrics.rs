//! Prometheus metrics: `GET /metrics` in the text exposition format (version 0.0.4), written by
//! hand from a few atomics and from what the node already knows — no metrics crate, no global
//! recorder to install.
//!
//! The numbers come from three places, each chosen so a series means the same whichever server
//! is scraped:
//!
//! - **The replicated state, read at scrape time**: per-job execution results under Dkron's
//!   names (`dkron_job_executions_succeeded_total` / `_failed_total{job_name}`, taken from the
//!   job's `success_count` / `error_count`), running executions and job counts. Every server
//!   reports the same values (its copy of the state), and they survive restarts.
//! - **Counters bumped when the state machine applies a launch** ([`LaunchTally`]): launches by
//!   kind, missed ticks, skipped launches. Every server applies the same log, so every server
//!   counts the same (aggregate across servers with `max`, not `sum`). Being process counters
//!   they restart from zero, and a server that receives a snapshot does not count the entries
//!   it replaced.
//! - **This node's own work**: how late the runs it started were, what runs here now, results
//!   waiting for delivery, and its view of Raft and gossip. Agents (no `--server`) serve only
//!   this part.
//!
//! The process-wide [`Registry`] is a static: launches are applied, and runs started, deep
//! inside modules that share no context, and each node is its own process.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::tally::{LaunchLabel, SKIP_REASONS, skip_index, skip_label};
use crate::telemetry::{HistogramSnapshot, MUTATION_RESULTS, Registry, global};

/// The exposition format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// This node's view of Raft.
#[derive(Debug, Clone, PartialEq)]
pub struct RaftView {
    /// `leader`, `follower`, `candidate`, `learner` or `shutdown`.
    pub state: &'static str,
    pub term: u64,
    pub commit_index: u64,
    pub applied_index: u64,
    pub last_log_index: u64,
    pub has_leader: bool,
    pub voters: usize,
}

const RAFT_STATES: [&str; 5] = ["leader", "follower", "candidate", "learner", "shutdown"];

/// One job as the metrics need it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub name: String,
    pub succeeded: u64,
    pub failed: u64,
    pub running: usize,
    pub disabled: bool,
}

/// What only this node knows: its work and its view of gossip.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeView {
    /// Executions running on this node now.
    pub running_here: usize,
    /// Finished executions whose results wait in this node's outbox.
    pub undelivered: u64,
    /// Accepted launches waiting for an execution slot (`--max-parallel`).
    pub launch_backlog: usize,
    /// Launches that had to wait for a slot since the node started.
    pub launches_delayed: u64,
    /// Every member gossip knows: (role, status).
    pub members: Vec<(&'static str, &'static str)>,
}

const ROLES: [&str; 2] = ["server", "agent"];
const MEMBER_STATUSES: [&str; 4] = ["alive", "suspect", "left", "failed"];

/// Everything a server's `/metrics` shows besides the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerView {
    pub raft: RaftView,
    pub jobs: Vec<JobView>,
    pub node: NodeView,
    /// Each server's clock minus the voters' median, seconds, as this server measures it.
    pub clock_offsets: Vec<(String, f64)>,
}

/// Text in the exposition format. Each family is written whole — `# HELP`, `# TYPE`, then its
/// samples — as the format requires.
#[derive(Default)]
struct Exposition {
    out: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let v = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(self.out, "{k}=\"{v}\"");
            }
            self.out.push('}');
        }
        self.out.push(' ');
        self.out.push_str(&number(value));
        self.out.push('\n');
    }

    /// A family with one unlabelled sample.
    fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }

    fn histogram(&mut self, name: &str, help: &str, h: &HistogramSnapshot) {
        self.family(name, "histogram", help);
        let bucket = format!("{name}_bucket");
        for (bound, n) in &h.buckets {
            self.sample(&bucket, &[("le", &number(*bound))], *n as f64);
        }
        self.sample(&bucket, &[("le", "+Inf")], h.count as f64);
        self.sample(&format!("{name}_sum"), &[], h.sum);
        self.sample(&format!("{name}_count"), &[], h.count as f64);
    }
}

/// A value as the format spells it: integers without a fraction, `+Inf`, `NaN`.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn bool_value(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// A server's `/metrics`.
pub fn render_server(view: &ServerView, registry: &Registry) -> String {
    let mut x = Exposition::default();

    // Dkron's own names (dkron/job_metrics.go), so its dashboards keep working. Belfry keeps
    // them only under these names: per-job series are the expensive ones to duplicate.
    x.family(
        "dkron_job_executions_succeeded_total",
        "counter",
        "Executions of the job that succeeded (the job's success_count, from the replicated state).",
    );
    for job in &view.jobs {
        x.sample(
            "dkron_job_executions_succeeded_total",
            &[("job_name", &job.name)],
            job.succeeded as f64,
        );
    }
    x.family(
        "dkron_job_executions_failed_total",
        "counter",
        "Executions of the job that failed, retried attempts included (the job's error_count, from the replicated state).",
    );
    for job in &view.jobs {
        x.sample(
            "dkron_job_executions_failed_total",
            &[("job_name", &job.name)],
            job.failed as f64,
        );
    }

    x.family(
        "belfry_jobs",
        "gauge",
        "Jobs in the replicated state, by whether they are enabled.",
    );
    let disabled = view.jobs.iter().filter(|j| j.disabled).count();
    x.sample(
        "belfry_jobs",
        &[("state", "enabled")],
        (view.jobs.len() - disabled) as f64,
    );
    x.sample("belfry_jobs", &[("state", "disabled")], disabled as f64);
    x.single(
        "belfry_executions_running",
        "gauge",
        "Executions recorded as running in the replicated state, cluster-wide.",
        view.jobs.iter().map(|j| j.running).sum::<usize>() as f64,
    );

    x.family(
        "belfry_launches_total",
        "counter",
        "Launches recorded, by kind, counted when this server applied them (the same on every server). A launch runs on one or more nodes; one with no matching node is recorded as a failed execution and counted too.",
    );
    for kind in LaunchLabel::ALL {
        x.sample(
            "belfry_launches_total",
            &[("kind", kind.as_str())],
            registry.launches(kind as usize) as f64,
        );
    }
    x.single(
        "belfry_missed_ticks_total",
        "counter",
        "Ticks recorded as missed (nothing could launch them in time and the job's catch-up policy did not run them), counted when this server applied them.",
        registry.missed.get() as f64,
    );
    x.single(
        "belfry_missed_ticks_unrecorded_total",
        "counter",
        "Missed ticks beyond the per-job history limit of one catch-up, which are logged but not recorded one by one; counted by the leader that planned them.",
        registry.missed_unrecorded.get() as f64,
    );
    x.family(
        "belfry_launches_skipped_total",
        "counter",
        "Launches the state machine refused, by reason (still_running: a forbid job's previous run had not finished), counted when this server applied them.",
    );
    for reason in SKIP_REASONS {
        x.sample(
            "belfry_launches_skipped_total",
            &[("reason", skip_label(reason))],
            registry.skipped[skip_index(reason)].get() as f64,
        );
    }

    let raft = &view.raft;
    x.family(
        "belfry_raft_state",
        "gauge",
        "This server's Raft state: 1 for the current state, 0 for the others.",
    );
    for state in RAFT_STATES {
        x.sample(
            "belfry_raft_state",
            &[("state", state)],
            bool_value(raft.state == state),
        );
    }
    x.single(
        "belfry_raft_has_leader",
        "gauge",
        "1 if this server knows a leader, 0 if not (no quorum, or an election is on).",
        bool_value(raft.has_leader),
    );
    x.single(
        "belfry_raft_term",
        "gauge",
        "This server's current Raft term.",
        raft.term as f64,
    );
    x.single(
        "belfry_raft_commit_index",
        "gauge",
        "The newest Raft log index this server knows to be committed.",
        raft.commit_index as f64,
    );
    x.single(
        "belfry_raft_applied_index",
        "gauge",
        "The newest Raft log index applied to this server's state machine.",
        raft.applied_index as f64,
    );
    x.single(
        "belfry_raft_last_log_index",
        "gauge",
        "The newest index in this server's Raft log.",
        raft.last_log_index as f64,
    );
    x.single(
        "belfry_raft_voters",
        "gauge",
        "Voters in the Raft configuration this server knows.",
        raft.voters as f64,
    );

    x.family(
        "belfry_clock_offset_seconds",
        "gauge",
        "Each server's wall clock minus the median of the voters' clocks, as this server measures it (round-trip timed probes every 2 s); beyond --max-clock-offset a server does not lead.",
    );
    for (node, offset) in &view.clock_offsets {
        x.sample("belfry_clock_offset_seconds", &[("node", node)], *offset);
    }

    render_node(&mut x, &view.node, registry);
    x.out
}

/// An agent's `/metrics`: only what this node knows first-hand.
pub fn render_agent(node: &NodeView, registry: &Registry) -> String {
    let mut x = Exposition::default();
    render_node(&mut x, node, registry);
    x.out
}

fn render_node(x: &mut Exposition, node: &NodeView, registry: &Registry) {
    x.family(
        "belfry_members",
        "gauge",
        "Cluster members as this node's gossip sees them, by role and status.",
    );
    for role in ROLES {
        for status in MEMBER_STATUSES {
            let n = node
                .members
                .iter()
                .filter(|(r, s)| *r == role && *s == status)
                .count();
            x.sample(
                "belfry_members",
                &[("role", role), ("status", status)],
                n as f64,
            );
        }
    }
    x.single(
        "belfry_node_executions_running",
        "gauge",
        "Executions running on this node now.",
        node.running_here as f64,
    );
    x.single(
        "belfry_node_results_undelivered",
        "gauge",
        "Finished executions on this node whose results are not yet committed.",
        node.undelivered as f64,
    );
    x.single(
        "belfry_launch_backlog",
        "gauge",
        "Launches accepted by this node and waiting for an execution slot (--max-parallel).",
        node.launch_backlog as f64,
    );
    x.single(
        "belfry_launches_delayed_total",
        "counter",
        "Launches that waited for an execution slot on this node (--max-parallel) before they started.",
        node.launches_delayed as f64,
    );
    let rpc = crate::transport::rpc::counters();
    for (name, help, counter) in [
        (
            "belfry_rpc_served_total",
            "Internal RPC calls this node answered.",
            &rpc.served,
        ),
        (
            "belfry_rpc_refused_total",
            "Internal RPC calls this node refused: unauthenticated, stale, replayed, for another node, too large, or a body that did not decrypt.",
            &rpc.refused,
        ),
        (
            "belfry_rpc_call_errors_total",
            "Internal RPC calls this node made that failed.",
            &rpc.failed,
        ),
    ] {
        x.single(
            name,
            "counter",
            help,
            counter.load(Ordering::Relaxed) as f64,
        );
    }
    x.histogram(
        "belfry_launch_lateness_seconds",
        "Seconds from the instant a run was due (its tick; a retry's or dependent run's due time; a manual run's request) to the start of its process, for runs started on this node.",
        &registry.lateness.snapshot(),
    );
    x.family(
        "belfry_api_mutations_total",
        "counter",
        "Mutating API requests (POST, PUT, PATCH, DELETE) this node answered, by result: success, unauthorized (401), forbidden (403), failed.",
    );
    for (i, result) in MUTATION_RESULTS.iter().enumerate() {
        x.sample(
            "belfry_api_mutations_total",
            &[("result", result)],
            registry.api_mutations[i].get() as f64,
        );
    }
    x.family(
        "belfry_connections_refused_total",
        "counter",
        "Connections closed unserved because max-connections or max-connections-per-ip was reached, by listener.",
    );
    for (i, listener) in ["http", "rpc"].into_iter().enumerate() {
        x.sample(
            "belfry_connections_refused_total",
            &[("listener", listener)],
            registry.connections_refused[i].get() as f64,
        );
    }
    x.family(
        "belfry_build_info",
        "gauge",
        "Always 1; the labels say which Belfry this node runs.",
    );
    x.sample(
        "belfry_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );
}

fn role_label(role: &crate::cluster::membership::Role) -> &'static str {
    match role {
        crate::cluster::membership::Role::Server => "server",
        crate::cluster::membership::Role::Agent => "agent",
    }
}

fn status_label(status: crate::cluster::membership::MemberStatus) -> &'static str {
    use crate::cluster::membership::MemberStatus;
    match status {
        MemberStatus::Alive => "alive",
        MemberStatus::Suspect => "suspect",
        MemberStatus::Left => "left",
        MemberStatus::Failed => "failed",
    }
}

fn node_view(
    membership: &crate::cluster::membership::Membership,
    worker: &crate::node::worker::Worker,
) -> NodeView {
    NodeView {
        running_here: worker.runner().running_count(),
        undelivered: worker.undelivered(),
        launch_backlog: worker.runner().launch_backlog(),
        launches_delayed: worker.runner().launches_delayed(),
        members: membership
            .members()
            .iter()
            .map(|m| (role_label(&m.meta.role), status_label(m.status)))
            .collect(),
    }
}

fn raft_view(raft: &crate::consensus::Raft) -> RaftView {
    use openraft::ServerState;
    use openraft::async_runtime::WatchReceiver;
    let m = raft.metrics().borrow_watched().clone();
    RaftView {
        state: match m.state {
            ServerState::Leader => "leader",
            ServerState::Follower => "follower",
            ServerState::Candidate => "candidate",
            ServerState::Learner => "learner",
            ServerState::Shutdown => "shutdown",
        },
        term: m.current_term,
        commit_index: m.local_committed.map(|l| l.index).unwrap_or(0),
        applied_index: m.last_applied.map(|l| l.index).unwrap_or(0),
        last_log_index: m.last_log_index.unwrap_or(0),
        has_leader: m.current_leader.is_some(),
        voters: m.membership_config.membership().voter_ids().count(),
    }
}

fn exposition(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}

/// `GET /metrics` on a server.
pub async fn serve(State(ctx): State<Arc<crate::api::ApiContext>>) -> Response {
    // Reading every job decodes the whole job table: keep it off the async workers.
    let state = ctx.state.clone();
    let jobs = tokio::task::spawn_blocking(move || {
        state.read(|r| {
            Ok(r.jobs()?
                .into_iter()
                .map(|rec| JobView {
                    running: rec.running.len(),
                    name: rec.job.name,
                    succeeded: rec.job.success_count,
                    failed: rec.job.error_count,
                    disabled: rec.job.disabled,
                })
                .collect::<Vec<_>>())
        })
    })
    .await;
    let jobs = match jobs {
        Ok(Ok(jobs)) => jobs,
        Ok(Err(e)) => {
            return exposition(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot read the state: {e}\n"),
            );
        }
        Err(e) => return exposition(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    };
    let view = ServerView {
        raft: raft_view(&ctx.raft),
        jobs,
        node: node_view(&ctx.membership, &ctx.worker),
        clock_offsets: clock_offsets(&ctx.raft),
    };
    exposition(StatusCode::OK, render_server(&view, global()))
}

/// Each server's clock offset from the voters' median, by name (crate::cluster::clock).
fn clock_offsets(raft: &crate::consensus::Raft) -> Vec<(String, f64)> {
    use openraft::async_runtime::WatchReceiver;
    let m = raft.metrics().borrow_watched().clone();
    let membership = m.membership_config.membership();
    let voters: Vec<u64> = membership.voter_ids().collect();
    crate::cluster::clock::discipline()
        .offsets(&voters)
        .into_iter()
        .filter_map(|(id, ms)| {
            membership
                .get_node(&id)
                .map(|n| (n.name.clone(), ms as f64 / 1000.0))
        })
        .collect()
}

/// `GET /metrics` on an agent (no `--server`).
pub async fn serve_agent(State(ctx): State<Arc<crate::api::AgentApiContext>>) -> Response {
    exposition(
        StatusCode::OK,
        render_agent(&node_view(&ctx.membership, &ctx.worker), global()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::SkipReason;
    use crate::state::tally::LaunchTally;
    use chrono::Utc;

    fn view() -> ServerView {
        ServerView {
            raft: RaftView {
                state: "follower",
                term: 7,
                commit_index: 40,
                applied_index: 39,
                last_log_index: 41,
                has_leader: true,
                voters: 3,
            },
            jobs: vec![
                JobView {
                    name: "a".into(),
                    succeeded: 3,
                    failed: 1,
                    running: 1,
                    disabled: false,
                },
                JobView {
                    name: "b-2".into(),
                    succeeded: 0,
                    failed: 5,
                    running: 0,
                    disabled: true,
                },
            ],
            node: NodeView {
                running_here: 2,
                undelivered: 1,
                launch_backlog: 3,
                launches_delayed: 7,
                members: vec![
                    ("server", "alive"),
                    ("server", "failed"),
                    ("agent", "alive"),
                ],
            },
            clock_offsets: vec![("a".into(), 0.0), ("b".into(), 2.004)],
        }
    }

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn server_exposition_has_every_family_with_its_values() {
        let registry = Registry::new();
        let mut tally = LaunchTally::default();
        tally.launched(LaunchLabel::Scheduled);
        tally.launched(LaunchLabel::Scheduled);
        tally.launched(LaunchLabel::Retry);
        tally.missed();
        tally.skipped(SkipReason::StillRunning);
        tally.record(&registry);
        registry.missed_unrecorded(4);
        let text = render_server(&view(), &registry);
        let l = lines(&text);
        for want in [
            r#"dkron_job_executions_succeeded_total{job_name="a"} 3"#,
            r#"belfry_clock_offset_seconds{node="b"} 2.004"#,
            r#"dkron_job_executions_succeeded_total{job_name="b-2"} 0"#,
            r#"dkron_job_executions_failed_total{job_name="b-2"} 5"#,
            r#"belfry_jobs{state="enabled"} 1"#,
            r#"belfry_jobs{state="disabled"} 1"#,
            "belfry_executions_running 1",
            r#"belfry_launches_total{kind="scheduled"} 2"#,
            r#"belfry_launches_total{kind="manual"} 0"#,
            r#"belfry_launches_total{kind="retry"} 1"#,
            "belfry_missed_ticks_total 1",
            "belfry_missed_ticks_unrecorded_total 4",
            r#"belfry_launches_skipped_total{reason="still_running"} 1"#,
            r#"belfry_raft_state{state="follower"} 1"#,
            r#"belfry_raft_state{state="leader"} 0"#,
            "belfry_raft_term 7",
            "belfry_raft_commit_index 40",
            "belfry_raft_applied_index 39",
            "belfry_raft_last_log_index 41",
            "belfry_raft_has_leader 1",
            "belfry_raft_voters 3",
            r#"belfry_members{role="server",status="alive"} 1"#,
            r#"belfry_members{role="server",status="failed"} 1"#,
            r#"belfry_members{role="agent",status="alive"} 1"#,
            r#"belfry_members{role="agent",status="left"} 0"#,
            "belfry_node_executions_running 2",
            "belfry_node_results_undelivered 1",
            "belfry_launch_backlog 3",
            "belfry_launches_delayed_total 7",
            "# TYPE dkron_job_executions_succeeded_total counter",
            "# TYPE belfry_launch_lateness_seconds histogram",
        ] {
            assert!(l.contains(&want), "missing {want:?} in:\n{text}");
        }
    }

    #[test]
    fn families_are_declared_once_and_before_their_samples() {
        let text = render_server(&view(), &Registry::new());
        let mut declared = std::collections::HashSet::new();
        let mut current = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap().to_string();
                assert!(declared.insert(name.clone()), "{name} declared twice");
                current = name;
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s).filter(|f| *f == current))
                    .unwrap_or(name);
                assert_eq!(family, current, "sample {line:?} outside its family");
            }
        }
    }

    #[test]
    fn lateness_buckets_are_cumulative_and_end_at_the_count() {
        let registry = Registry::new();
        let due = Utc::now();
        registry.run_started(due, due + chrono::Duration::milliseconds(3));
        registry.run_started(due, due + chrono::Duration::milliseconds(700));
        registry.run_started(due, due + chrono::Duration::seconds(900));
        // A node clock behind the leader's: on time, not negative.
        registry.run_started(due, due - chrono::Duration::seconds(2));
        let text = render_agent(&NodeView::default(), &registry);
        let l = lines(&text);
        for want in [
            r#"belfry_launch_lateness_seconds_bucket{le="0.005"} 2"#,
            r#"belfry_launch_lateness_seconds_bucket{le="0.5"} 2"#,
            r#"belfry_launch_lateness_seconds_bucket{le="1"} 3"#,
            r#"belfry_launch_lateness_seconds_bucket{le="300"} 3"#,
            r#"belfry_launch_lateness_seconds_bucket{le="+Inf"} 4"#,
            "belfry_launch_lateness_seconds_count 4",
        ] {
            assert!(l.contains(&want), "missing {want:?} in:\n{text}");
        }
        let sum: f64 = l
            .iter()
            .find_map(|l| l.strip_prefix("belfry_launch_lateness_seconds_sum "))
            .unwrap()
            .parse()
            .unwrap();
        assert!((sum - 900.703).abs() < 1e-9, "{sum}");
        // An agent shows only its own part.
        assert!(!text.contains("dkron_job"), "{text}");
        assert!(!text.contains("belfry_raft"), "{text}");
    }

    #[test]
    fn the_state_machine_tallies_launches_by_kind() {
        use crate::model::{Execution, Job};
        use crate::state::{Applier, Command, Launch, LaunchKind, LaunchOutcome, Response};

        let dir = tempfile::tempdir().unwrap();
        let (_, sm) = crate::consensus::open_stores(dir.path()).unwrap();
        let db = sm.db().clone();
        let txn = db.begin_write().unwrap();
        let mut a = Applier::new(&txn).unwrap();
        let t0 = Utc::now();
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        let job = Job {
            name: "j".into(),
            schedule: "@every 1s".into(),
            retries: 1,
            executor: "shell".into(),
            executor_config: [("command".to_string(), "true".to_string())].into(),
            ..Job::default()
        };
        a.apply(&Command::SetJob {
            job: Box::new(job),
            at: t0,
        })
        .unwrap();
        let launch = |s: i64, kind: LaunchKind, nodes: &[&str]| Command::Launch {
            launches: vec![Launch {
                job: "j".into(),
                scheduled_at: at(s),
                nodes: nodes.iter().map(|n| n.to_string()).collect(),
                kind,
                no_target: None,
                force: false,
            }],
            history_limit: 100,
        };
        a.apply(&launch(1, LaunchKind::Missed, &[])).unwrap();
        let started = a.apply(&launch(2, LaunchKind::Scheduled, &["n1"])).unwrap();
        // The same tick again is refused, and so is an older one.
        a.apply(&launch(2, LaunchKind::Scheduled, &["n1"])).unwrap();
        a.apply(&launch(1, LaunchKind::Scheduled, &["n1"])).unwrap();
        a.apply(&launch(3, LaunchKind::Manual, &["n1"])).unwrap();
        // No node matched: recorded as a failed execution, and counted as a launch.
        a.apply(&launch(4, LaunchKind::Scheduled, &[])).unwrap();
        // The scheduled run fails: a retry is owed, and its launch is a retry.
        let Response::Launched(outcomes) = started else {
            panic!("{started:?}")
        };
        let LaunchOutcome::Started(executions) = &outcomes[0] else {
            panic!("{outcomes:?}")
        };
        let failed = Execution {
            finished_at: at(2),
            success: false,
            ..executions[0].clone()
        };
        a.apply(&Command::Finish {
            results: vec![failed],
        })
        .unwrap();
        let owed = a.tally.clone();
        assert_eq!(owed.launched, [2, 1, 0, 0], "{owed:?}");
        drop(a);
        txn.commit().unwrap();
        let pending = sm.read(|r| Ok(r.job("j")?.unwrap().pending)).unwrap();
        assert_eq!(pending.len(), 1, "a retry is owed");
        let txn = db.begin_write().unwrap();
        let mut a = Applier::new(&txn).unwrap();
        a.apply(&launch(
            5,
            LaunchKind::Pending { id: pending[0].id },
            &["n1"],
        ))
        .unwrap();
        let second = a.tally.clone();
        drop(a);
        txn.commit().unwrap();

        let registry = Registry::new();
        owed.record(&registry);
        second.record(&registry);
        assert_eq!(registry.launches(LaunchLabel::Scheduled as usize), 2);
        assert_eq!(registry.launches(LaunchLabel::Manual as usize), 1);
        assert_eq!(registry.launches(LaunchLabel::Retry as usize), 1);
        assert_eq!(registry.launches(LaunchLabel::Dependent as usize), 0);
        assert_eq!(registry.missed.get(), 1);
        assert_eq!(
            registry.skipped[skip_index(SkipReason::AlreadyLaunched)].get(),
            2
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let mut x = Exposition::default();
        x.sample("m", &[("k", "a\"b\\c\nd")], 1.5);
        assert_eq!(x.out, "m{k=\"a\\\"b\\\\c\\nd\"} 1.5\n");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(0.025), "0.025");
        assert_eq!(number(12.0), "12");
    }
}
