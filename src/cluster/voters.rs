//! Cluster management: turns what gossip knows about servers into Raft membership.
//!
//! - **Bootstrap** (`--bootstrap-expect=N`, N > 1): once N alive servers of this region that all
//!   expect N see each other, and none of them already belongs to a Raft cluster, the server
//!   with the smallest name initialises Raft with all of them as voters. Only that one server
//!   ever calls `initialize`, so two bootstraps of one group cannot race; a server that expects a
//!   different N blocks the bootstrap with a log line naming it.
//! - **Reconcile** (leader only, every second and on membership events): a new alive server of
//!   the region joins as a learner and becomes a voter once its log is caught up; a voter whose
//!   gossip status has been `failed` for longer than `--dead-server-timeout` is removed, never
//!   leaving fewer voters than a quorum of the configured bootstrap-expect; a server that left
//!   gracefully is removed at once.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, SystemTime};

use openraft::ChangeMembers;
use openraft::async_runtime::WatchReceiver;
use tokio::sync::watch;

use crate::cluster::membership::{MemberState, MemberStatus, Membership, Role};
use crate::consensus::{NodeAddr, Raft};
use crate::transport::rpc::{HelloCall, Peer, RpcClient};

/// How long a server an operator removed (`raft remove-peer --force`, `demote`) is kept out of
/// the configuration while gossip still shows it as a server: a demoted server needs a moment
/// to restart as an agent, and re-adding it meanwhile made it a voter again for seconds. Seen
/// as an agent, it is released at once (a later `promote` adds it without waiting).
///
/// The list is replicated (`Command::HoldOut`), so a leader elected just after the removal keeps
/// the server out too; the removing leader also keeps it in memory for the moment before the
/// entry commits.
pub const HOLD_OUT: Duration = Duration::from_secs(60);

/// Servers removed by an operator on this node, and when (see [`HOLD_OUT`]).
static HELD_OUT: std::sync::Mutex<BTreeMap<String, std::time::Instant>> =
    std::sync::Mutex::new(BTreeMap::new());

/// Keeps `name` out of the Raft configuration for [`HOLD_OUT`]: at once on this node, and on
/// every later leader once the entry commits (best effort: the removal itself is done).
pub async fn hold_out(raft: &Raft, name: &str) {
    {
        let mut held = HELD_OUT.lock().unwrap_or_else(|e| e.into_inner());
        held.retain(|_, at| at.elapsed() < HOLD_OUT);
        held.insert(name.to_string(), std::time::Instant::now());
    }
    let command = crate::state::Command::HoldOut {
        node: name.to_string(),
        at: chrono::Utc::now(),
    };
    if let Err(e) = raft.client_write(command).await {
        tracing::warn!(server = %name, "the hold-out is kept on this node only: {e}");
    }
}

/// Whether a replicated hold-out taken at `at` still holds at `now`.
fn holds(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> bool {
    now.signed_duration_since(at)
        .to_std()
        .map_or(true, |age| age < HOLD_OUT)
}

/// How far behind the leader's log a learner may be and still be promoted.
const PROMOTE_MAX_LAG: u64 = 16;

pub struct ClusterManager {
    pub raft: Raft,
    pub membership: Membership,
    pub rpc: RpcClient,
    pub node_name: String,
    pub region: String,
    pub bootstrap_expect: u32,
    pub dead_server_timeout: Duration,
    /// This node's copy of the replicated state (the replicated hold-out list).
    pub state: crate::consensus::StateMachine,
}

/// How often the leader repeats that it has no quorum.
const NO_QUORUM_WARNING_EVERY: Duration = Duration::from_secs(60);

/// How long the voters must stay unheard before the leader says it has no quorum. Under a
/// burst (10,000 launches at one instant) a follower busy writing a large append answers it
/// seconds after it was sent, so for a moment no follower counts as heard although all of them
/// follow; a lost quorum lasts longer than that.
const NO_QUORUM_WARNING_AFTER: Duration = Duration::from_secs(10);

/// What reconciling remembers between rounds.
#[derive(Default)]
struct ReconcileMemory {
    /// Voters gossip does not know, since when this leader has missed them.
    missing_since: BTreeMap<u64, SystemTime>,
    /// Since when no quorum has answered (reset when one does).
    no_quorum_since: Option<std::time::Instant>,
    /// When the lack of a quorum was last logged.
    no_quorum_warned: Option<std::time::Instant>,
}

impl ReconcileMemory {
    /// Records a round without a quorum; true if it is time to say so.
    fn no_quorum_now(&mut self, now: std::time::Instant) -> bool {
        let since = *self.no_quorum_since.get_or_insert(now);
        let due = now.duration_since(since) >= NO_QUORUM_WARNING_AFTER
            && self
                .no_quorum_warned
                .is_none_or(|t| now.duration_since(t) >= NO_QUORUM_WARNING_EVERY);
        if due {
            self.no_quorum_warned = Some(now);
        }
        due
    }

    /// Records a round with a quorum.
    fn quorum_now(&mut self) {
        self.no_quorum_since = None;
        self.no_quorum_warned = None;
    }
}

/// The smallest number of voters a cluster configured for `expect` servers keeps.
pub fn quorum_floor(expect: u32) -> usize {
    (expect as usize / 2 + 1).max(1)
}

impl ClusterManager {
    /// Servers kept out of the configuration now: this node's own removals and the replicated
    /// list. A held-out server seen running as an agent has finished its demotion and is
    /// released (its replicated entry too, as are expired ones), so a later `promote` adds it
    /// at once.
    async fn held_out(&self, members: &[MemberState]) -> BTreeSet<String> {
        let is_agent = |name: &str| {
            members
                .iter()
                .any(|m| m.meta.name == name && m.meta.role == Role::Agent)
        };
        let mut out = BTreeSet::new();
        {
            let mut held = HELD_OUT.lock().unwrap_or_else(|e| e.into_inner());
            held.retain(|name, at| at.elapsed() < HOLD_OUT && !is_agent(name));
            out.extend(held.keys().cloned());
        }
        let replicated = match self.state.read(|r| r.held_out()) {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!("cannot read the hold-out list: {e}");
                return out;
            }
        };
        let now = chrono::Utc::now();
        for (name, at) in replicated {
            if holds(at, now) && !is_agent(&name) {
                out.insert(name);
            } else {
                let command = crate::state::Command::ReleaseHoldOut { node: name.clone() };
                if let Err(e) = self.raft.client_write(command).await {
                    tracing::debug!(server = %name, "hold-out not released yet: {e}");
                }
            }
        }
        out
    }

    fn region_servers(&self) -> Vec<MemberState> {
        self.membership
            .members()
            .into_iter()
            .filter(|m| m.meta.role == Role::Server && m.meta.region == self.region)
            .collect()
    }

    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut events = self.membership.subscribe();
        let mut warned = HashSet::new();
        let mut memory = ReconcileMemory::default();
        loop {
            match self.raft.is_initialized().await {
                Ok(false) => self.maybe_bootstrap(&mut warned).await,
                Ok(true) => {
                    let m = self.raft.metrics().borrow_watched().clone();
                    if m.current_leader == Some(m.id) {
                        self.reconcile(&mut memory).await;
                    }
                }
                Err(_) => return,
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = events.recv() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    async fn maybe_bootstrap(&self, warned: &mut HashSet<String>) {
        if self.bootstrap_expect <= 1 {
            return;
        }
        let servers: Vec<_> = self
            .region_servers()
            .into_iter()
            .filter(|m| m.status == MemberStatus::Alive)
            .collect();
        for s in &servers {
            if s.meta.bootstrap_expect != self.bootstrap_expect
                && warned.insert(s.meta.name.clone())
            {
                tracing::error!(
                    server = %s.meta.name,
                    theirs = s.meta.bootstrap_expect,
                    ours = self.bootstrap_expect,
                    "refusing to bootstrap: servers disagree on --bootstrap-expect"
                );
            }
        }
        if servers
            .iter()
            .any(|s| s.meta.bootstrap_expect != self.bootstrap_expect)
        {
            return;
        }
        if servers.len() < self.bootstrap_expect as usize {
            return;
        }
        let lowest = servers.iter().map(|s| s.meta.name.as_str()).min();
        if lowest != Some(self.node_name.as_str()) {
            return;
        }
        let mut voters = BTreeMap::new();
        for s in &servers {
            let addr = s.meta.rpc_addr.to_string();
            let target = Peer::named(s.meta.name.clone());
            match self.rpc.call(&addr, &target, &HelloCall {}).await {
                Ok(h) if h.initialized => {
                    tracing::info!(server = %h.name, "not bootstrapping: a server already belongs to a cluster");
                    return;
                }
                Ok(h) => {
                    voters.insert(
                        h.node_id,
                        NodeAddr {
                            name: h.name,
                            rpc_addr: addr,
                        },
                    );
                }
                Err(e) => {
                    tracing::info!("bootstrap waits for {}: {e}", s.meta.name);
                    return;
                }
            }
        }
        let names: Vec<_> = voters.values().map(|n| n.name.clone()).collect();
        match self.raft.initialize(voters).await {
            Ok(()) => tracing::info!(?names, "bootstrapped the cluster"),
            Err(e) => tracing::warn!("bootstrap failed: {e}"),
        }
    }

    async fn reconcile(&self, memory: &mut ReconcileMemory) {
        let metrics = self.raft.metrics().borrow_watched().clone();
        if !crate::consensus::quorum_reachable(&metrics) {
            // Nothing can commit: trying every second would only log a failure every second.
            let (heard, voters) = crate::consensus::voters_reachable(&metrics);
            if memory.no_quorum_now(std::time::Instant::now()) {
                tracing::warn!(
                    "no quorum: only {heard} of {voters} voters answer; nothing can be written and no server can be added or removed until they return. If they are gone for good, stop the survivors and run `belfry raft recover` (docs/operations.md)"
                );
            }
            return;
        }
        memory.quorum_now();
        let membership = metrics.membership_config.membership().clone();
        let voters: BTreeSet<u64> = membership.voter_ids().collect();
        let learners: BTreeSet<u64> = membership.learner_ids().collect();
        let by_name: BTreeMap<String, u64> = membership
            .nodes()
            .map(|(id, n)| (n.name.clone(), *id))
            .collect();
        let held_out = self.held_out(&self.membership.members()).await;
        let servers = self.region_servers();
        let now = SystemTime::now();

        // New servers join as learners.
        for s in servers.iter().filter(|s| s.status == MemberStatus::Alive) {
            if by_name.contains_key(&s.meta.name) || held_out.contains(&s.meta.name) {
                continue;
            }
            let addr = s.meta.rpc_addr.to_string();
            // The round trip proves the server holds the cluster key (its reply is
            // authenticated) and that the name gossip gave is the node at that address.
            let target = Peer::named(s.meta.name.clone());
            let hello = match self.rpc.call(&addr, &target, &HelloCall {}).await {
                Ok(h) => h,
                Err(e) => {
                    tracing::warn!(server = %s.meta.name, "not added as a learner: it cannot prove cluster membership: {e}");
                    continue;
                }
            };
            if hello.name != s.meta.name {
                continue;
            }
            let node = NodeAddr {
                name: hello.name.clone(),
                rpc_addr: addr,
            };
            match self.raft.add_learner(hello.node_id, node, false).await {
                Ok(_) => tracing::info!(server = %hello.name, "added as a learner"),
                Err(e) => tracing::warn!(server = %hello.name, "cannot add learner: {e}"),
            }
        }

        // Caught-up learners become voters.
        let last = metrics.last_log_index.unwrap_or(0);
        let replication = metrics.replication.clone().unwrap_or_default();
        for id in &learners {
            let name = membership
                .get_node(id)
                .map(|n| n.name.clone())
                .unwrap_or_default();
            let alive = servers
                .iter()
                .any(|s| s.meta.name == name && s.status == MemberStatus::Alive);
            let matched = replication
                .get(id)
                .cloned()
                .flatten()
                .map(|l| l.index)
                .unwrap_or(0);
            if alive && matched + PROMOTE_MAX_LAG >= last {
                match self
                    .raft
                    .change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([*id])), true)
                    .await
                {
                    Ok(_) => tracing::info!(server = %name, "promoted to voter"),
                    Err(e) => tracing::warn!(server = %name, "cannot promote: {e}"),
                }
            }
        }

        // Servers that left are removed; dead ones after the timeout, keeping a quorum.
        let floor = quorum_floor(self.bootstrap_expect);
        let mut remaining = voters.len();
        for id in voters.iter().filter(|id| **id != metrics.id) {
            let name = membership
                .get_node(id)
                .map(|n| n.name.clone())
                .unwrap_or_default();
            // A voter gossip no longer knows at all (reaped, or never seen) counts as failed
            // from when this leader first missed it.
            let (status, since) = match servers.iter().find(|s| s.meta.name == name) {
                Some(s) => {
                    memory.missing_since.remove(id);
                    (s.status, s.since)
                }
                None => (
                    MemberStatus::Failed,
                    *memory.missing_since.entry(*id).or_insert(now),
                ),
            };
            let gone_for = now.duration_since(since).unwrap_or_default();
            let remove = match status {
                MemberStatus::Left => true,
                MemberStatus::Failed => gone_for >= self.dead_server_timeout && remaining > floor,
                _ => false,
            };
            if !remove {
                continue;
            }
            let change = ChangeMembers::RemoveVoters(BTreeSet::from([*id]));
            match self.raft.change_membership(change, false).await {
                Ok(_) => {
                    remaining -= 1;
                    memory.missing_since.remove(id);
                    tracing::warn!(server = %name, status = ?status, "removed from the voters");
                }
                Err(e) => tracing::warn!(server = %name, "cannot remove: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quorum_floors() {
        assert_eq!(quorum_floor(0), 1);
        assert_eq!(quorum_floor(1), 1);
        assert_eq!(quorum_floor(3), 2);
        assert_eq!(quorum_floor(5), 3);
    }

    #[test]
    fn a_missing_quorum_is_reported_only_once_it_lasts_and_then_once_a_minute() {
        let t0 = std::time::Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut memory = ReconcileMemory::default();
        // A moment without acknowledgements (a burst) is not a lost quorum.
        assert!(!memory.no_quorum_now(at(0)));
        assert!(!memory.no_quorum_now(at(5)));
        memory.quorum_now();
        assert!(!memory.no_quorum_now(at(9)));
        assert!(
            !memory.no_quorum_now(at(18)),
            "counted from 9 s, when it was lost again"
        );
        // Lasting: said once, then again a minute later.
        assert!(memory.no_quorum_now(at(19)));
        assert!(!memory.no_quorum_now(at(20)));
        assert!(!memory.no_quorum_now(at(78)));
        assert!(memory.no_quorum_now(at(79)));
    }
}
