//! Spacing of a proposer's commits under load.
//!
//! Every command committed through Raft is an entry that each server appends and fsyncs, then
//! applies and fsyncs again. A proposer that commits as soon as its previous commit returns
//! turns a steady stream of launches, acknowledgements or results into one small entry per
//! commit round trip: at 500 launches a second that was ~125 entries and ~230 fsyncs a second
//! on every server, and the fsyncs were half of a follower's CPU (docs/benchmarks.md). A
//! [`CommitPacer`] lets the first commit after a quiet spell go at once and starts the ones
//! that follow at least its gap apart, so under load the same work travels in fewer, larger
//! entries, and a quiet cluster waits for nothing.

use tokio::time::{Duration, Instant};

/// Spaces the starts of one proposer's commits at least `gap` apart.
#[derive(Debug, Clone)]
pub struct CommitPacer {
    gap: Duration,
    last: Option<Instant>,
}

impl CommitPacer {
    pub fn new(gap: Duration) -> Self {
        CommitPacer { gap, last: None }
    }

    /// How long, from `now`, until the next commit may start (zero if it may start now).
    pub fn delay(&self, now: Instant) -> Duration {
        match self.last {
            Some(last) => (last + self.gap).saturating_duration_since(now),
            None => Duration::ZERO,
        }
    }

    /// Records that a commit starts at `now`.
    pub fn started(&mut self, now: Instant) {
        self.last = Some(now);
    }

    /// Waits until the next commit may start (for a proposer that only then learns whether
    /// it has anything to commit: it calls [`Self::started`] if it does).
    pub async fn wait(&self) {
        let pause = self.delay(Instant::now());
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }

    /// Waits until the next commit may start, and records that it starts.
    pub async fn ready(&mut self) {
        self.wait().await;
        self.started(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_commit_and_one_after_a_quiet_spell_go_at_once() {
        let gap = Duration::from_millis(100);
        let mut pacer = CommitPacer::new(gap);
        let t0 = Instant::now();
        assert_eq!(pacer.delay(t0), Duration::ZERO);
        pacer.started(t0);
        assert_eq!(
            pacer.delay(t0 + Duration::from_millis(30)),
            Duration::from_millis(70)
        );
        assert_eq!(pacer.delay(t0 + gap), Duration::ZERO);
        assert_eq!(pacer.delay(t0 + Duration::from_secs(5)), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn back_to_back_commits_start_a_gap_apart() {
        let mut pacer = CommitPacer::new(Duration::from_millis(100));
        let t0 = Instant::now();
        pacer.ready().await;
        assert_eq!(t0.elapsed(), Duration::ZERO);
        pacer.ready().await;
        pacer.ready().await;
        assert_eq!(t0.elapsed(), Duration::from_millis(200));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_without_a_commit_does_not_push_the_next_one_back() {
        let mut pacer = CommitPacer::new(Duration::from_millis(100));
        let t0 = Instant::now();
        pacer.ready().await;
        pacer.wait().await;
        assert_eq!(t0.elapsed(), Duration::from_millis(100));
        // Nothing was committed after that wait: the next commit may start at once.
        pacer.wait().await;
        assert_eq!(t0.elapsed(), Duration::from_millis(100));
    }
}
