//! Clock discipline: every server measures its wall-clock offset to every other server,
//! NTP-style, and keeps its own clock's distance from the voters' median in view.
//!
//! Every [`PROBE_EVERY`] a server asks each other server of the Raft configuration for its wall
//! clock (the typed RPC call [`ClockCall`]). It notes its own wall clock before
//! (`t0`) and after (`t3`) and the monotonic round trip; the peer's offset is
//! `t_peer − (t0 + t3) / 2`, accurate to half the round trip. Of the last [`SAMPLES_KEPT`]
//! samples per peer the one with the shortest round trip counts (queueing only ever adds
//! error). From these a server knows every server's clock relative to its own, hence each
//! server's offset from the median of the voters' clocks.
//!
//! A server whose own offset exceeds `--max-clock-offset` hands leadership over and does not
//! stand for election until it is back within bounds (it still votes and replicates), as long
//! as another voter is within bounds — with no better choice it goes on leading. The leader's
//! scheduler reads [`ClockDiscipline::launch_now`] so that no tick starts before its time by
//! the cluster's clock. docs/operating.md, "Clocks", describes it for operators.
//!
//! The state is process-wide (one server per process, as the metrics registry): the scheduler,
//! the API, the RPC handlers and the operator actions all read it without sharing a context.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use openraft::async_runtime::WatchReceiver;
use tokio::sync::watch;

use crate::consensus::Raft;
use serde::{Deserialize, Serialize};

use crate::transport::rpc::{Peer, RpcCall, RpcClient, RpcError, SealError};

/// How often a server probes every other server's clock.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);
/// How long a probe may take; a slower answer would be a poor sample anyway.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// Samples kept per peer; the one with the shortest round trip counts.
const SAMPLES_KEPT: usize = 5;
/// A sample older than this is dropped: an unreachable server's clock is not known any more.
const SAMPLE_MAX_AGE: Duration = Duration::from_secs(30);
/// A probe whose wall-clock span differs from its monotonic span by more than this saw the wall
/// clock step (NTP, an operator): it is discarded. Not tighter: on a loaded machine the thread
/// can be preempted between reading the two clocks, and 20 ms discarded most probes (a server
/// then had no measurement of a skewed peer and offered it leadership).
const STEP_TOLERANCE: Duration = Duration::from_millis(100);
/// The longest gap between the last leader this server saw and its own leadership that still
/// counts as a hand-over (its ticks run late); ticks before it follow the catch-up policy.
/// A follower may go on naming a dead leader for a while, so this bounds how far back it goes.
const HANDOVER_GAP_MAX: Duration = Duration::from_secs(5);
/// Back within bounds only below this fraction (in fifths) of the bound, so an offset hovering
/// at the bound does not flap leadership and the log.
const RETURN_FIFTHS: u64 = 4;
/// A server out of bounds stands for election anyway once the cluster has had no leader this
/// long: it may hold the newest log, and then no voter within bounds can win without it. It
/// leads on the cluster's clock (its launch clock is corrected by its offset) and hands over as
/// soon as a voter within bounds has caught up.
const STAND_ANYWAY_AFTER: Duration = Duration::from_secs(3);
/// A leader this server has not heard from (no clock probe answered) for this long counts as
/// gone: a follower's Raft metrics keep naming the last leader until another one is elected,
/// which is exactly what may not happen. Two probe rounds and a second.
const LEADER_SILENT_AFTER: Duration = Duration::from_secs(2 * PROBE_EVERY.as_secs() + 1);

/// Nanoseconds since the Unix epoch (negative before it), of a wall-clock instant.
pub fn unix_nanos(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos().min(i64::MAX as u128) as i64,
        Err(e) => -(e.duration().as_nanos().min(i64::MAX as u128) as i64),
    }
}

/// One probe's result.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// The peer's clock minus this server's, nanoseconds.
    offset_ns: i64,
    rtt: Duration,
    taken: Instant,
}

#[derive(Debug, Default)]
struct PeerClock {
    samples: VecDeque<Sample>,
}

impl PeerClock {
    /// The freshest samples' best (shortest round trip).
    fn best(&self, now: Instant) -> Option<Sample> {
        self.samples
            .iter()
            .filter(|s| now.duration_since(s.taken) <= SAMPLE_MAX_AGE)
            .min_by_key(|s| s.rtt)
            .copied()
    }
}

#[derive(Debug)]
struct Inner {
    /// This server's Raft id.
    me: u64,
    peers: BTreeMap<u64, PeerClock>,
    /// Peers whose answer was refused as stale (their clock or ours is beyond the RPC's
    /// freshness window), and when.
    stale: BTreeMap<u64, Instant>,
    /// When this server last saw another server lead (monotonic).
    other_leader_seen: Option<Instant>,
}

/// This process's view of the servers' clocks.
#[derive(Debug)]
pub struct ClockDiscipline {
    inner: Mutex<Inner>,
    bound_ms: AtomicU64,
    /// This server's offset from the voters' median, ms; `i64::MIN` while not measured.
    own_offset_ms: AtomicI64,
    /// How far that estimate may be wrong, ms: half the longest round trip of the samples used.
    own_uncertainty_ms: AtomicI64,
    out_of_bounds: AtomicBool,
}

static CLOCK: ClockDiscipline = ClockDiscipline::new();

/// The process's clock discipline.
pub fn discipline() -> &'static ClockDiscipline {
    &CLOCK
}

/// Each server's clock minus the voters' median, in milliseconds, from this server's samples.
pub type Offsets = BTreeMap<u64, i64>;

/// The median of `values` (the mean of the middle two for an even count). Empty: `None`.
pub fn median(values: &mut [i64]) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some(((values[n / 2 - 1] as i128 + values[n / 2] as i128) / 2) as i64),
    }
}

/// The NTP offset estimate of one probe: the peer's clock minus the midpoint of the caller's
/// `t0` and `t3`, in nanoseconds.
pub fn probe_offset_ns(t0_ns: i64, t_peer_ns: i64, t3_ns: i64) -> i64 {
    let mid = (t0_ns as i128 + t3_ns as i128) / 2;
    (t_peer_ns as i128 - mid).clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

impl ClockDiscipline {
    const fn new() -> ClockDiscipline {
        ClockDiscipline {
            inner: Mutex::new(Inner {
                me: 0,
                peers: BTreeMap::new(),
                stale: BTreeMap::new(),
                other_leader_seen: None,
            }),
            bound_ms: AtomicU64::new(500),
            own_offset_ms: AtomicI64::new(i64::MIN),
            own_uncertainty_ms: AtomicI64::new(0),
            out_of_bounds: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts afresh for the server `me` with the bound `max_offset` (at each start of the
    /// server role in this process).
    pub fn reset(&self, me: u64, max_offset: Duration) {
        let mut inner = self.lock();
        inner.me = me;
        inner.peers.clear();
        inner.stale.clear();
        inner.other_leader_seen = None;
        self.bound_ms
            .store(max_offset.as_millis() as u64, Ordering::Relaxed);
        self.own_offset_ms.store(i64::MIN, Ordering::Relaxed);
        self.own_uncertainty_ms.store(0, Ordering::Relaxed);
        self.out_of_bounds.store(false, Ordering::Relaxed);
    }

    /// `--max-clock-offset`, in milliseconds.
    pub fn bound_ms(&self) -> u64 {
        self.bound_ms.load(Ordering::Relaxed)
    }

    /// Records one probe of `peer`: this server's wall clock before (`t0`) and after (`t3`),
    /// the peer's answer, and the monotonic round trip. A probe during which this server's wall
    /// clock stepped is discarded.
    pub fn record(&self, peer: u64, t0: SystemTime, t_peer_ns: i64, t3: SystemTime, rtt: Duration) {
        let (t0_ns, t3_ns) = (unix_nanos(t0), unix_nanos(t3));
        let wall_span = (t3_ns as i128 - t0_ns as i128).unsigned_abs();
        if wall_span.abs_diff(rtt.as_nanos()) > STEP_TOLERANCE.as_nanos() {
            return;
        }
        let sample = Sample {
            offset_ns: probe_offset_ns(t0_ns, t_peer_ns, t3_ns),
            rtt,
            taken: Instant::now(),
        };
        let mut inner = self.lock();
        inner.stale.remove(&peer);
        let peer_clock = inner.peers.entry(peer).or_default();
        // Each sample puts the true offset within half its round trip of its estimate. A new
        // sample whose interval misses the best one's means a clock stepped since: the older
        // samples no longer describe it.
        if let Some(best) = peer_clock.best(sample.taken) {
            let apart = sample.offset_ns.abs_diff(best.offset_ns) as u128;
            let slack = (sample.rtt + best.rtt).as_nanos() / 2 + STEP_TOLERANCE.as_nanos();
            if apart > slack {
                peer_clock.samples.clear();
            }
        }
        let samples = &mut peer_clock.samples;
        samples.push_back(sample);
        while samples.len() > SAMPLES_KEPT {
            samples.pop_front();
        }
    }

    /// Notes that a probe of `peer` was refused as stale: the two clocks are too far apart for
    /// the RPC to carry a call at all, and its earlier samples no longer hold.
    pub fn note_stale(&self, peer: u64) {
        let mut inner = self.lock();
        inner.peers.remove(&peer);
        inner.stale.insert(peer, Instant::now());
    }

    /// Servers whose clock was too far from this one's for the RPC lately (see
    /// [`Self::note_stale`]).
    pub fn stale_peers(&self) -> Vec<u64> {
        let inner = self.lock();
        inner
            .stale
            .iter()
            .filter(|(_, at)| at.elapsed() <= PROBE_EVERY * 3)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Forgets peers no longer in the configuration.
    fn retain(&self, servers: &[u64]) {
        let mut inner = self.lock();
        inner.peers.retain(|id, _| servers.contains(id));
        inner.stale.retain(|id, _| servers.contains(id));
    }

    /// Each server's offset from the median of the voters' clocks, for the servers this one
    /// has a fresh sample of (and itself). Voters not measured are left out of the median.
    pub fn offsets(&self, voters: &[u64]) -> Offsets {
        let inner = self.lock();
        let now = Instant::now();
        // Relative to this server's clock, nanoseconds.
        let mut relative: BTreeMap<u64, i64> = inner
            .peers
            .iter()
            .filter_map(|(id, p)| p.best(now).map(|s| (*id, s.offset_ns)))
            .collect();
        relative.insert(inner.me, 0);
        let mut voter_values: Vec<i64> = voters
            .iter()
            .filter_map(|v| relative.get(v).copied())
            .collect();
        let Some(mid) = median(&mut voter_values) else {
            return Offsets::new();
        };
        relative
            .into_iter()
            .map(|(id, off)| (id, ((off as f64 - mid as f64) / 1e6).round() as i64))
            .collect()
    }

    /// This server's offset from the voters' median, ms, once measured.
    pub fn own_offset_ms(&self) -> Option<i64> {
        let v = self.own_offset_ms.load(Ordering::Relaxed);
        (v != i64::MIN).then_some(v)
    }

    /// Whether this server's clock is beyond the bound (it neither leads nor stands).
    pub fn out_of_bounds(&self) -> bool {
        self.out_of_bounds.load(Ordering::Relaxed)
    }

    /// "Now" for launching ticks: the cluster's clock (the voters' median) as this server
    /// estimates it, minus the estimate's uncertainty, so no tick starts before its time by the
    /// cluster's clock. A clock ahead of the median is held back, one behind it is brought
    /// forward: either way ticks start on the cluster's time, and a hand-over between servers
    /// whose clocks differ leaves no gap of ticks (nor runs one early).
    pub fn launch_now(&self) -> chrono::DateTime<chrono::Utc> {
        let now = chrono::Utc::now();
        match self.own_offset_ms() {
            Some(offset) => {
                let uncertainty = self.own_uncertainty_ms.load(Ordering::Relaxed);
                now - chrono::Duration::milliseconds(offset.saturating_add(uncertainty))
            }
            None => now,
        }
    }

    /// When `peer` last answered a clock probe.
    fn last_heard(&self, peer: u64) -> Option<Instant> {
        let inner = self.lock();
        inner
            .peers
            .get(&peer)
            .and_then(|p| p.samples.iter().map(|s| s.taken).max())
    }

    /// Notes that another server leads now (see [`Self::leading_since`]).
    fn saw_other_leader(&self) {
        self.lock().other_leader_seen = Some(Instant::now());
    }

    /// Since when, on the launch clock, the cluster has had a leader as this server saw it:
    /// the last moment another server was leading, if that was recent, else `now`. Ticks due
    /// after it came due while a leader ran: a new leader runs them late, never records them as
    /// missed (a hand-over leaves a gap of a few hundred milliseconds with no launches).
    pub fn leading_since(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        let seen = self.lock().other_leader_seen;
        match seen {
            Some(at) => {
                let ago = at.elapsed().min(HANDOVER_GAP_MAX);
                now - chrono::Duration::from_std(ago).unwrap_or_default()
            }
            None => now,
        }
    }

    /// Recomputes this server's own offset and bound state after a probe round. Returns the
    /// offsets, and whether the state changed (`Some(out)`).
    fn evaluate(&self, me: u64, voters: &[u64]) -> (Offsets, Option<bool>) {
        let offsets = self.offsets(voters);
        let own = offsets.get(&me).copied();
        let uncertainty = {
            let inner = self.lock();
            let now = Instant::now();
            voters
                .iter()
                .filter_map(|v| inner.peers.get(v).and_then(|p| p.best(now)))
                .map(|s| (s.rtt.as_millis() as i64 + 1) / 2 + 1)
                .max()
                .unwrap_or(0)
        };
        self.own_uncertainty_ms
            .store(uncertainty, Ordering::Relaxed);
        let bound = self.bound_ms() as i64;
        self.own_offset_ms
            .store(own.unwrap_or(i64::MIN), Ordering::Relaxed);
        let was_out = self.out_of_bounds();
        let Some(own) = own else {
            return (offsets, None);
        };
        // Step down only when another voter is within bounds: with none, leading on is better
        // than no leader at all (two voters far apart are each half the distance from their
        // median, for instance).
        let other_within = voters
            .iter()
            .filter(|v| **v != me)
            .any(|v| offsets.get(v).is_some_and(|o| o.abs() <= bound));
        let out = if was_out {
            own.unsigned_abs() > self.bound_ms() * RETURN_FIFTHS / 5 && other_within
        } else {
            own.unsigned_abs() > self.bound_ms() && other_within
        };
        self.out_of_bounds.store(out, Ordering::Relaxed);
        (offsets, (out != was_out).then_some(out))
    }
}

/// Formats a millisecond offset with its sign.
pub fn signed_ms(ms: i64) -> String {
    format!("{ms:+} ms")
}

/// Probes every other server's clock every [`PROBE_EVERY`], applies the bound, and notes who
/// leads. Runs until `stop`.
pub async fn run(raft: Raft, rpc: RpcClient, mut stop: watch::Receiver<bool>) {
    let clock = discipline();
    let mut probe = tokio::time::interval(PROBE_EVERY);
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Who leads is sampled often: a new leader's scheduler asks when another last led.
    let mut leader_poll = tokio::time::interval(Duration::from_millis(100));
    leader_poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut electing = true;
    // Since when no server has been leading, as this one sees it.
    let mut leaderless_since: Option<Instant> = None;
    enum Next {
        Stop,
        Poll,
        Probe,
    }
    loop {
        let next = tokio::select! {
            r = stop.changed() => if r.is_err() || *stop.borrow() { Next::Stop } else { continue },
            _ = leader_poll.tick() => Next::Poll,
            _ = probe.tick() => Next::Probe,
        };
        match next {
            Next::Stop => break,
            Next::Poll => {
                let m = raft.metrics().borrow_watched().clone();
                if m.current_leader.is_some_and(|l| l != m.id) {
                    clock.saw_other_leader();
                }
                let leader_gone = match m.current_leader {
                    None => true,
                    Some(l) if l == m.id => false,
                    Some(l) => clock
                        .last_heard(l)
                        .is_some_and(|t| t.elapsed() >= LEADER_SILENT_AFTER),
                };
                leaderless_since = if leader_gone {
                    leaderless_since.or(Some(Instant::now()))
                } else {
                    None
                };
                if !electing && leaderless_since.is_some_and(|t| t.elapsed() >= STAND_ANYWAY_AFTER)
                {
                    tracing::warn!(
                        "no leader for {} s and this server's clock is out of bounds: it stands for election anyway (it may hold the newest log), leads on the cluster's clock and hands over to a voter within bounds",
                        STAND_ANYWAY_AFTER.as_secs()
                    );
                    raft.runtime_config().elect(true);
                    electing = true;
                }
            }
            Next::Probe => {
                probe_round(&raft, &rpc).await;
                let leaderless = leaderless_since.map(|t| t.elapsed());
                electing = apply_bound(&raft, electing, leaderless).await;
            }
        }
    }
    if !electing {
        raft.runtime_config().elect(true);
    }
}

/// Probes every other server of the configuration once, concurrently.
async fn probe_round(raft: &Raft, rpc: &RpcClient) {
    let m = raft.metrics().borrow_watched().clone();
    let membership = m.membership_config.membership().clone();
    let peers: Vec<(u64, String, String)> = membership
        .nodes()
        .filter(|(id, _)| **id != m.id)
        .map(|(id, n)| (*id, n.name.clone(), n.rpc_addr.clone()))
        .collect();
    discipline().retain(&peers.iter().map(|p| p.0).collect::<Vec<_>>());
    let probes = peers.into_iter().map(|(id, name, addr)| async move {
        let started = Instant::now();
        let t0 = SystemTime::now();
        let reply = rpc
            .call_within(
                &addr,
                &Peer::new(id, name.clone()),
                &ClockCall {},
                PROBE_TIMEOUT,
            )
            .await;
        let t3 = SystemTime::now();
        let rtt = started.elapsed();
        match reply {
            Ok(reading) => discipline().record(id, t0, reading.unix_nanos, t3, rtt),
            // Refused for its timestamp, by the peer or by us reading its answer's: the clocks
            // are further apart than the RPC's freshness window.
            Err(RpcError::Refused {
                status: 401,
                reason,
                ..
            }) if reason == SealError::Stale.to_string() => discipline().note_stale(id),
            Err(e) => tracing::debug!(server = %name, "clock probe failed: {e}"),
        }
    });
    futures_util::future::join_all(probes).await;
}

/// Applies the bound to this server: out of bounds, it stops standing for election and hands
/// leadership to a voter within bounds; back within, it stands again. Out of bounds, it still
/// stands while the cluster has been without a leader for [`STAND_ANYWAY_AFTER`] (`leaderless`).
/// Returns whether it stands.
async fn apply_bound(raft: &Raft, electing: bool, leaderless: Option<Duration>) -> bool {
    let clock = discipline();
    let m = raft.metrics().borrow_watched().clone();
    let voters: Vec<u64> = m.membership_config.membership().voter_ids().collect();
    let (offsets, changed) = clock.evaluate(m.id, &voters);
    let own = offsets.get(&m.id).copied().unwrap_or(0);
    match changed {
        Some(true) => tracing::warn!(
            offset = %signed_ms(own),
            bound_ms = clock.bound_ms(),
            "this server's clock is {} from the voters' median, beyond --max-clock-offset: it hands leadership over and does not stand for election until it is back within bounds",
            signed_ms(own)
        ),
        Some(false) => tracing::info!(
            offset = %signed_ms(own),
            bound_ms = clock.bound_ms(),
            "this server's clock is back within --max-clock-offset of the voters' median: it stands for election again"
        ),
        None => {}
    }
    let out = clock.out_of_bounds();
    let stand_anyway = leaderless.is_some_and(|d| d >= STAND_ANYWAY_AFTER);
    let stand = !out || stand_anyway;
    if !stand && electing {
        raft.runtime_config().elect(false);
    } else if stand && !electing {
        raft.runtime_config().elect(true);
    }
    if out && m.current_leader == Some(m.id) {
        hand_over(raft, &offsets).await;
    }
    stand
}

/// Transfers leadership to the most caught-up voter whose clock is within bounds.
async fn hand_over(raft: &Raft, offsets: &Offsets) {
    let m = raft.metrics().borrow_watched().clone();
    let bound = discipline().bound_ms() as i64;
    let replication = m.replication.clone().unwrap_or_default();
    let target = m
        .membership_config
        .membership()
        .voter_ids()
        .filter(|id| *id != m.id)
        .filter(|id| offsets.get(id).is_some_and(|o| o.abs() <= bound))
        .max_by_key(|id| replication.get(id).cloned().flatten().map(|l| l.index));
    let Some(target) = target else {
        return;
    };
    if let Err(e) = raft.trigger().transfer_leader(target).await {
        tracing::warn!("cannot hand leadership over: {e}");
        return;
    }
    let _ = raft
        .wait(Some(Duration::from_secs(3)))
        .metrics(|m| m.current_leader != Some(m.id), "leadership handed over")
        .await;
    tracing::info!(
        to = format!("{target:016x}"),
        "leadership handed over: this server's clock is out of bounds"
    );
}

/// `clock`: the callee's wall clock, for the caller's offset estimate (crate::cluster::clock). The
/// seal's own freshness check allows ±60 s, far more than any offset a cluster runs with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClockCall {}

/// A server's wall clock when it answered a [`ClockCall`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockReading {
    /// Nanoseconds since the Unix epoch.
    pub unix_nanos: i64,
}

impl RpcCall for ClockCall {
    const NAME: &'static str = "clock";
    const TIMEOUT: Duration = Duration::from_secs(1);
    type Reply = ClockReading;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5]), Some(5));
        assert_eq!(median(&mut [2_000, 0, 3]), Some(3));
        assert_eq!(median(&mut [0, 2_000]), Some(1_000));
    }

    #[test]
    fn probe_offset_is_the_peer_minus_the_midpoint() {
        // The peer answered at 1_000_500 while this clock read 0 before and 1_000 after: it is
        // 1_000_000 ahead.
        assert_eq!(probe_offset_ns(0, 1_000_500, 1_000), 1_000_000);
        assert_eq!(probe_offset_ns(10_000, 9_000, 10_000), -1_000);
    }

    #[test]
    fn offsets_are_from_the_voters_median_and_the_bound_needs_another_voter_within() {
        let clock = ClockDiscipline::new();
        clock.reset(1, Duration::from_millis(500));
        let t0 = SystemTime::now();
        let rtt = Duration::from_millis(2);
        let t3 = t0 + rtt;
        let mid = unix_nanos(t0) + 1_000_000;
        // Server 2 is 2 s ahead of this one, server 3 is 10 ms behind.
        clock.record(2, t0, mid + 2_000_000_000, t3, rtt);
        clock.record(3, t0, mid - 10_000_000, t3, rtt);
        // A slower probe of 2, less precise, does not count: the faster one does.
        clock.record(
            2,
            t0,
            mid + 2_020_000_000,
            t3 + Duration::from_millis(50),
            rtt + Duration::from_millis(50),
        );
        let (offsets, changed) = clock.evaluate(1, &[1, 2, 3]);
        assert_eq!(offsets[&1], 0);
        assert_eq!(offsets[&2], 2_000);
        assert_eq!(offsets[&3], -10);
        assert_eq!(changed, None);
        assert!(!clock.out_of_bounds());

        // Seen from the skewed server: it is out, and steps down.
        let skewed = ClockDiscipline::new();
        skewed.reset(2, Duration::from_millis(500));
        skewed.record(1, t0, mid - 2_000_000_000, t3, rtt);
        skewed.record(3, t0, mid - 2_010_000_000, t3, rtt);
        let (offsets, changed) = skewed.evaluate(2, &[1, 2, 3]);
        assert_eq!(offsets[&2], 2_000);
        assert_eq!(changed, Some(true));
        assert!(skewed.launch_now() < chrono::Utc::now() - chrono::Duration::milliseconds(1_990));

        // Two voters 2 s apart: each is 1 s from the median, and neither steps down.
        let pair = ClockDiscipline::new();
        pair.reset(1, Duration::from_millis(500));
        pair.record(2, t0, mid + 2_000_000_000, t3, rtt);
        let (offsets, changed) = pair.evaluate(1, &[1, 2]);
        assert_eq!(offsets[&1], -1_000);
        assert_eq!(changed, None);
        // Behind the median by 1 s: its launch clock is brought forward, less the uncertainty.
        let ahead = pair.launch_now() - chrono::Utc::now();
        assert!(
            ahead > chrono::Duration::milliseconds(990)
                && ahead <= chrono::Duration::milliseconds(1_000),
            "{ahead}"
        );
    }

    #[test]
    fn a_peer_clock_that_stepped_replaces_its_older_samples() {
        let clock = ClockDiscipline::new();
        clock.reset(1, Duration::from_millis(500));
        let t0 = SystemTime::now();
        let fast = Duration::from_millis(1);
        let slow = Duration::from_millis(4);
        clock.record(2, t0, unix_nanos(t0) + 2_000_000_000, t0 + fast, fast);
        // A slower sample that agrees within its round trip does not replace the faster one.
        clock.record(2, t0, unix_nanos(t0) + 2_001_000_000, t0 + slow, slow);
        assert_eq!(clock.offsets(&[1, 2])[&2], 1_000);
        // The peer's clock was put right: the slower, newer sample is the one that holds.
        clock.record(2, t0, unix_nanos(t0) + 2_000_000, t0 + slow, slow);
        assert_eq!(clock.offsets(&[1, 2])[&2], 0);
    }

    #[test]
    fn a_probe_across_a_clock_step_is_discarded() {
        let clock = ClockDiscipline::new();
        clock.reset(1, Duration::from_millis(500));
        let t0 = SystemTime::now();
        // The wall clock moved 5 s during a 2 ms probe.
        clock.record(
            2,
            t0,
            unix_nanos(t0),
            t0 + Duration::from_secs(5),
            Duration::from_millis(2),
        );
        assert!(!clock.offsets(&[1, 2]).contains_key(&2));
    }
}
