//! What the state machine's launches did, counted per applied batch ([`LaunchTally`]) and
//! added to the telemetry counters only once the batch is committed (by `consensus`).

use super::SkipReason;

/// What a recorded launch was, as the `kind` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchLabel {
    Scheduled,
    Manual,
    Retry,
    Dependent,
}

impl LaunchLabel {
    pub const ALL: [LaunchLabel; 4] = [
        LaunchLabel::Scheduled,
        LaunchLabel::Manual,
        LaunchLabel::Retry,
        LaunchLabel::Dependent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LaunchLabel::Scheduled => "scheduled",
            LaunchLabel::Manual => "manual",
            LaunchLabel::Retry => "retry",
            LaunchLabel::Dependent => "dependent",
        }
    }
}

pub const SKIP_REASONS: [SkipReason; 6] = [
    SkipReason::JobNotFound,
    SkipReason::AlreadyLaunched,
    SkipReason::Disabled,
    SkipReason::NotStarted,
    SkipReason::Expired,
    SkipReason::StillRunning,
];

pub fn skip_label(reason: SkipReason) -> &'static str {
    match reason {
        SkipReason::JobNotFound => "job_not_found",
        SkipReason::AlreadyLaunched => "already_launched",
        SkipReason::Disabled => "disabled",
        SkipReason::NotStarted => "not_started",
        SkipReason::Expired => "expired",
        SkipReason::StillRunning => "still_running",
    }
}

pub fn skip_index(reason: SkipReason) -> usize {
    SKIP_REASONS
        .iter()
        .position(|r| *r == reason)
        .expect("every skip reason is listed")
}

/// What the launches of one applied batch did. Collected by the state machine inside its write
/// transaction and added to the [`Registry`] only once that transaction is committed, so a
/// batch that fails to apply counts nothing.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LaunchTally {
    pub launched: [u64; 4],
    pub missed: u64,
    pub skipped: [u64; 6],
}

impl LaunchTally {
    pub fn launched(&mut self, kind: LaunchLabel) {
        self.launched[kind as usize] += 1;
    }

    pub fn missed(&mut self) {
        self.missed += 1;
    }

    pub fn skipped(&mut self, reason: SkipReason) {
        self.skipped[skip_index(reason)] += 1;
    }

    pub fn is_empty(&self) -> bool {
        *self == LaunchTally::default()
    }

    /// Adds this tally to the process's counters (once its batch is committed).
    pub fn record(&self, registry: &crate::telemetry::Registry) {
        registry.add_applied(self.launched, self.missed, self.skipped);
    }
}
