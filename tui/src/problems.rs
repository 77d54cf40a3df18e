//! The problems view: everything that needs an operator, in one list, worst first: the
//! cluster (no server answers, no quorum, health unreadable), nodes (not alive, lagging,
//! clock offset beyond the bound, launches waiting) and jobs (failed, missed, launched late).
//! Computed from the state on demand, so it is never out of step with the panes.

use belfry_client::model::ExecutionStatus;
use chrono::{DateTime, Duration, Utc};

use crate::sort::launch_lateness;
use crate::state::{Kind, Level, Quorum, Role, State, Subject};

/// A job launched this late, or overdue by this much, is a problem.
pub const LATE_AFTER: Duration = Duration::seconds(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `Bad` or `Warn`.
    pub level: Level,
    pub kind: Kind,
    pub subject: Subject,
    pub text: String,
}

impl Problem {
    pub fn subject_name(&self) -> &str {
        match &self.subject {
            Subject::Cluster => "cluster",
            Subject::Node(n) | Subject::Job(n) => n,
        }
    }
}

fn offset_text(ms: i64) -> String {
    if ms.abs() < 1000 {
        format!("{ms:+}ms")
    } else {
        format!("{:+.1}s", ms as f64 / 1000.0)
    }
}

/// A server's clock offset as the nodes pane shows it: `+12ms`, `-1.3s`, `-` when not
/// measured, with `!` when beyond the bound.
pub fn clock_text(offset_ms: Option<i64>, bound_ms: Option<u64>) -> String {
    match offset_ms {
        None => "-".into(),
        Some(ms) if beyond(ms, bound_ms) => format!("{}!", offset_text(ms)),
        Some(ms) => offset_text(ms),
    }
}

fn beyond(offset_ms: i64, bound_ms: Option<u64>) -> bool {
    bound_ms.is_some_and(|b| offset_ms.unsigned_abs() > b)
}

impl State {
    /// The problems in the order the problems view is sorted by (`s`, `S`).
    pub fn sorted_problems(&self, now: DateTime<Utc>) -> Vec<Problem> {
        let mut problems = self.problems(now);
        let order = self.ui.problem_order;
        // Stable sorts: ties keep the severity order.
        match order.key {
            1 => problems.sort_by_key(|p| p.kind.word()),
            2 => problems.sort_by(|a, b| a.subject_name().cmp(b.subject_name())),
            _ => {}
        }
        if order.reversed {
            problems.reverse();
        }
        problems
    }

    /// Launches accepted by `node` but waiting for an execution slot.
    pub fn backlog_of(&self, node: &str) -> u64 {
        self.cluster
            .as_ref()
            .and_then(|c| c.health.launch_backlog.get(node).copied())
            .unwrap_or(0)
    }

    /// Every problem now, worst first: errors before warnings, the cluster before nodes
    /// before jobs.
    pub fn problems(&self, now: DateTime<Utc>) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut push = |level, kind, subject, text: String| {
            out.push(Problem {
                level,
                kind,
                subject,
                text,
            })
        };
        if let Some((_, reason)) = &self.unreachable {
            push(
                Level::Bad,
                Kind::NoServer,
                Subject::Cluster,
                format!("no server answers ({reason}); what is shown is old"),
            );
        }
        let (verdict, words) = self.verdict(now);
        match verdict {
            Quorum::Lost => push(Level::Bad, Kind::Quorum, Subject::Cluster, words),
            Quorum::AtRisk => push(Level::Warn, Kind::Quorum, Subject::Cluster, words),
            Quorum::Unknown if self.unreachable.is_none() && self.cluster.is_some() => {
                push(Level::Warn, Kind::Unreadable, Subject::Cluster, words)
            }
            _ => {}
        }
        if let Some(e) = &self.jobs_error {
            push(
                Level::Warn,
                Kind::Unreadable,
                Subject::Cluster,
                format!("jobs cannot be read: {e}"),
            );
        }
        let bound = self
            .cluster
            .as_ref()
            .and_then(|c| c.health.max_clock_offset_ms);
        for n in self.node_rows() {
            let subject = || Subject::Node(n.name.clone());
            if !n.alive {
                let seen = n
                    .last_seen
                    .map(|t| format!(", last seen {} ago", crate::text::age_text(now - t)))
                    .unwrap_or_default();
                let level = if n.role == Role::Agent {
                    Level::Warn
                } else {
                    Level::Bad
                };
                push(
                    level,
                    Kind::Down,
                    subject(),
                    format!("{} {}{seen}", n.role.word(), n.status),
                );
                continue;
            }
            if let Some(s) = &n.server {
                if !s.healthy {
                    let lag = s
                        .log_lag
                        .map(|l| format!("log lag {l}"))
                        .unwrap_or_default();
                    let contact = s
                        .last_contact_ms
                        .map(|c| format!("last contact {c}ms"))
                        .unwrap_or_default();
                    push(
                        Level::Warn,
                        Kind::Lag,
                        subject(),
                        format!("behind the leader: {lag}, {contact}"),
                    );
                }
                if let Some(ms) = s.clock_offset_ms
                    && beyond(ms, bound)
                {
                    push(
                        Level::Warn,
                        Kind::Clock,
                        subject(),
                        format!(
                            "clock offset {} beyond the bound of {}ms",
                            offset_text(ms),
                            bound.unwrap_or(0)
                        ),
                    );
                }
            }
            let backlog = self.backlog_of(&n.name);
            if backlog > 0 {
                push(
                    Level::Warn,
                    Kind::Backlog,
                    subject(),
                    format!("{backlog} launches waiting for an execution slot"),
                );
            }
        }
        let stopped = self.launches_stopped();
        for (i, j) in self.jobs.iter().enumerate() {
            let subject = || Subject::Job(j.name.clone());
            let hour = self.hour_stats.get(&j.name).copied().unwrap_or_default();
            let runs = self.runs.get(&j.name);
            if j.status == "failed" || j.status == "partially_failed" {
                let when = j
                    .last_error
                    .map(|t| format!(" {} ago", crate::text::age_text(now - t)))
                    .unwrap_or_default();
                let last = runs
                    .and_then(|(_, rs)| rs.iter().find(|r| r.is_failure()))
                    .and_then(|r| r.exit_code)
                    .map(|c| format!(" (exit {c})"))
                    .unwrap_or_default();
                push(
                    Level::Bad,
                    Kind::Failed,
                    subject(),
                    format!(
                        "last run failed{last}{when}; {} of {} failed in the last hour",
                        hour.failed,
                        hour.failed + hour.success
                    ),
                );
            }
            if let Some((at, rs)) = runs {
                let hour_ago = *at - Duration::hours(1);
                let failed = rs
                    .iter()
                    .filter(|r| r.status == ExecutionStatus::Failed && r.when() >= hour_ago)
                    .count();
                if failed > 0 && !matches!(j.status.as_str(), "failed" | "partially_failed") {
                    push(
                        Level::Warn,
                        Kind::Failed,
                        subject(),
                        format!("{failed} failed in the last hour, the last run did not"),
                    );
                }
                let missed = rs
                    .iter()
                    .filter(|r| r.status == ExecutionStatus::Missed && r.when() >= hour_ago)
                    .count();
                if missed > 0 {
                    push(
                        Level::Warn,
                        Kind::Missed,
                        subject(),
                        format!(
                            "{missed} tick{} missed in the last hour",
                            if missed == 1 { "" } else { "s" }
                        ),
                    );
                }
                let late = rs
                    .iter()
                    .filter(|r| r.started_at >= hour_ago)
                    .filter_map(launch_lateness)
                    .max()
                    .unwrap_or_default();
                if late >= LATE_AFTER {
                    push(
                        Level::Warn,
                        Kind::Late,
                        subject(),
                        format!(
                            "launched up to {} late in the last hour",
                            crate::text::age_text(late)
                        ),
                    );
                }
            }
            if let Some(overdue) = self.overdue(i)
                && overdue >= LATE_AFTER
                && !stopped
            {
                push(
                    Level::Warn,
                    Kind::Late,
                    subject(),
                    format!("next run overdue by {}", crate::text::age_text(overdue)),
                );
            }
        }
        let rank = |p: &Problem| {
            (
                p.level != Level::Bad,
                match p.subject {
                    Subject::Cluster => 0,
                    Subject::Node(_) => 1,
                    Subject::Job(_) => 2,
                },
            )
        };
        out.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| a.subject_name().cmp(b.subject_name()))
        });
        out
    }
}
