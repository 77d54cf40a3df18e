//! Trends over the last hour, per minute: runs and failures, the worst launch lateness, and
//! the cluster's health verdict — for the whole cluster and per job — plus a job's recent
//! outcomes. All computed from what the state already holds (the per-job runs cover the
//! last hour; the health verdicts are recorded as they are read), so nothing here does I/O.

use belfry_client::model::ExecutionStatus;
use chrono::{DateTime, Duration, Utc};

use crate::sort::launch_lateness;
use crate::state::{Quorum, Run, State};

/// Minutes a trend covers.
pub const MINUTES: usize = 60;
/// Outcomes in a job's strip.
pub const STRIP: usize = 12;

/// Per-minute series, oldest first (index `MINUTES - 1` is the minute before `now`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub runs: Vec<u64>,
    pub failures: Vec<u64>,
    /// Worst launch lateness started in each minute, in milliseconds.
    pub lateness_ms: Vec<u64>,
}

impl Series {
    fn new() -> Series {
        Series {
            runs: vec![0; MINUTES],
            failures: vec![0; MINUTES],
            lateness_ms: vec![0; MINUTES],
        }
    }

    fn add(&mut self, r: &Run, now: DateTime<Utc>) {
        if r.optimistic {
            return;
        }
        if let Some(i) = minute(r.when(), now)
            && r.status != ExecutionStatus::Running
        {
            self.runs[i] += 1;
            if r.is_failure() {
                self.failures[i] += 1;
            }
        }
        if let (Some(i), Some(late)) = (minute(r.started_at, now), launch_lateness(r)) {
            let ms = late.num_milliseconds().max(0) as u64;
            self.lateness_ms[i] = self.lateness_ms[i].max(ms);
        }
    }
}

/// The bucket of `at`: `MINUTES - 1` for the last minute before `now`, 0 for an hour ago.
fn minute(at: DateTime<Utc>, now: DateTime<Utc>) -> Option<usize> {
    let ago = (now - at).num_seconds();
    if !(0..(MINUTES as i64 * 60)).contains(&ago) {
        return None;
    }
    Some(MINUTES - 1 - (ago / 60) as usize)
}

/// A verdict as one character of the health timeline: readable without colour.
pub fn health_glyph(q: Option<Quorum>) -> char {
    match q {
        None => ' ',
        Some(Quorum::Ok) => '█',
        Some(Quorum::AtRisk) => '▒',
        Some(Quorum::Lost) => '×',
        Some(Quorum::Unknown) => '?',
    }
}

/// An outcome as one character of a job's strip.
pub fn outcome_glyph(s: ExecutionStatus) -> char {
    match s {
        ExecutionStatus::Success => '✓',
        ExecutionStatus::Failed => '✗',
        ExecutionStatus::Missed => '-',
        ExecutionStatus::Running => '▸',
    }
}

/// `values` as a sparkline of `width` characters at most, the newest on the right: when
/// narrower than the values, neighbours are summed (or their worst taken, with `worst`).
/// Zero is a space, so that a quiet minute does not look like a small one.
pub fn spark_text(values: &[u64], width: usize, worst: bool) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let per = values.len().div_ceil(width);
    // Groups counted from the newest, so the last group is whole.
    let mut groups: Vec<u64> = values
        .rchunks(per)
        .map(|c| {
            if worst {
                c.iter().copied().max().unwrap_or(0)
            } else {
                c.iter().sum()
            }
        })
        .collect();
    groups.reverse();
    let max = groups.iter().copied().max().unwrap_or(0);
    groups
        .iter()
        .map(|&v| match v {
            0 => ' ',
            v => BARS[((v * 7 / max.max(1)) as usize).min(7)],
        })
        .collect()
}

impl State {
    /// The whole cluster's series over the last hour before `now`.
    pub fn cluster_trend(&self, now: DateTime<Utc>) -> Series {
        let mut series = Series::new();
        for (_, runs) in self.runs.values() {
            for r in runs {
                series.add(r, now);
            }
        }
        series
    }

    /// One job's series over the last hour before `now`.
    pub fn job_trend(&self, job: &str, now: DateTime<Utc>) -> Series {
        let mut series = Series::new();
        for r in self
            .runs
            .get(job)
            .map(|(_, rs)| rs.as_slice())
            .unwrap_or(&[])
        {
            series.add(r, now);
        }
        series
    }

    /// The newest [`STRIP`] outcomes of `job`, oldest first.
    pub fn outcome_strip(&self, job: &str) -> String {
        let mut glyphs: Vec<char> = self
            .runs
            .get(job)
            .map(|(_, rs)| {
                rs.iter()
                    .take(STRIP)
                    .map(|r| outcome_glyph(r.status))
                    .collect()
            })
            .unwrap_or_default();
        glyphs.reverse();
        glyphs.into_iter().collect()
    }

    /// The worst verdict of each minute of the last hour, oldest first; `None` where the
    /// dashboard was not running or read nothing.
    pub fn health_timeline(&self, now: DateTime<Utc>) -> Vec<Option<Quorum>> {
        let worse = |a: Quorum, b: Quorum| {
            let rank = |q: Quorum| match q {
                Quorum::Ok => 0,
                Quorum::AtRisk => 1,
                Quorum::Unknown => 2,
                Quorum::Lost => 3,
            };
            if rank(b) > rank(a) { b } else { a }
        };
        let mut out: Vec<Option<Quorum>> = vec![None; MINUTES];
        for (at, q) in &self.health_history {
            if let Some(i) = minute(*at, now) {
                out[i] = Some(out[i].map_or(*q, |o| worse(o, *q)));
            }
        }
        out
    }

    /// Records the verdict read at `at`, for the health timeline (an hour of them).
    pub(crate) fn record_health(&mut self, at: DateTime<Utc>) {
        let verdict = self.quorum().0;
        // One per read is more than a minute's bucket needs: keep changes and one a second.
        let keep = match self.health_history.back() {
            Some((last_at, last_q)) => *last_q != verdict || at - *last_at >= Duration::seconds(1),
            None => true,
        };
        if keep {
            self.health_history.push_back((at, verdict));
        }
        let hour_ago = at - Duration::minutes(MINUTES as i64);
        while self
            .health_history
            .front()
            .is_some_and(|(t, _)| *t < hour_ago)
        {
            self.health_history.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_largest_and_fold_to_fit() {
        assert_eq!(spark_text(&[0, 1, 2, 4, 8], 5, false), " ▁▂▄█");
        // Folded two by two from the newest: [1], [2+4], [8+0] → sums 1, 6, 8.
        assert_eq!(spark_text(&[1, 2, 4, 8, 0], 3, false), "▁▆█");
        assert_eq!(spark_text(&[1, 2, 4, 8, 0], 3, true), "▁▄█");
        assert_eq!(spark_text(&[0, 0], 2, false), "  ");
    }

    #[test]
    fn minutes_count_back_from_now() {
        let now = crate::fixtures::now();
        assert_eq!(minute(now - Duration::seconds(1), now), Some(MINUTES - 1));
        assert_eq!(minute(now - Duration::seconds(61), now), Some(MINUTES - 2));
        assert_eq!(minute(now - Duration::minutes(60), now), None);
        assert_eq!(minute(now + Duration::seconds(1), now), None);
    }
}
