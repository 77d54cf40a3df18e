//! The member table behind `Membership::members`, kept in line with foca by the gossip task.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use foca::State;

use super::wire::{Id, MetaRecord, new_instance};
use super::{MemberEvent, MemberState, MemberStatus, NodeMeta};

/// What the handles read; the gossip task writes.
pub(crate) struct Table {
    pub(crate) local: NodeMeta,
    pub(crate) instance: u64,
    pub(crate) version: u64,
    pub(crate) leaving: bool,
    pub(crate) self_status: MemberStatus,
    pub(crate) self_since: SystemTime,
    pub(crate) peers: HashMap<String, Peer>,
    /// Nodes refused for an incompatible protocol (logged once each).
    refused: std::collections::HashSet<String>,
}

/// Whether `remote` can be a member alongside `local`: their protocol ranges must overlap.
/// The error names both versions and ranges.
pub(crate) fn compatible(local: &NodeMeta, remote: &NodeMeta) -> Result<(), String> {
    if remote.protocol_max < local.protocol_min || remote.protocol_min > local.protocol_max {
        return Err(format!(
            "node {} runs belfry {} (protocol {}..{}), which this node, belfry {} (protocol {}..{}), cannot talk to: upgrade one minor version at a time",
            remote.name,
            remote.version,
            remote.protocol_min,
            remote.protocol_max,
            local.version,
            local.protocol_min,
            local.protocol_max
        ));
    }
    Ok(())
}

pub(crate) struct Peer {
    /// Newest record known.
    pub(crate) record: Option<MetaRecord>,
    /// foca's identity for this name, and its state there (`None`: foca forgot it).
    ident: Option<Id>,
    state: Option<State>,
    /// Set once visible.
    shown: Option<Shown>,
    /// Last change (for forgetting invisible entries).
    touched: Instant,
    pub(crate) last_request: Option<Instant>,
}

struct Shown {
    meta: NodeMeta,
    status: MemberStatus,
    since: SystemTime,
    since_at: Instant,
}

impl Peer {
    fn new(now: Instant) -> Self {
        Self {
            record: None,
            ident: None,
            state: None,
            shown: None,
            touched: now,
            last_request: None,
        }
    }

    pub(crate) fn may_request(&self, now: Instant, every: Duration) -> bool {
        self.last_request
            .is_none_or(|at| now.saturating_duration_since(at) >= every)
    }

    fn status(&self, id: &Id) -> MemberStatus {
        if let Some(r) = &self.record
            && r.leaving
            && r.instance == id.instance
        {
            return MemberStatus::Left;
        }
        match self.state {
            Some(State::Alive) => MemberStatus::Alive,
            Some(State::Suspect) => MemberStatus::Suspect,
            Some(State::Down) => MemberStatus::Failed,
            None => match self.shown.as_ref().map(|s| s.status) {
                Some(MemberStatus::Left) => MemberStatus::Left,
                _ => MemberStatus::Failed,
            },
        }
    }
}

impl Table {
    pub(crate) fn new(local: NodeMeta) -> Self {
        Self {
            local,
            instance: new_instance(),
            version: 0,
            leaving: false,
            self_status: MemberStatus::Alive,
            self_since: SystemTime::now(),
            peers: HashMap::new(),
            refused: Default::default(),
        }
    }

    pub(crate) fn local_record(&self) -> MetaRecord {
        MetaRecord {
            instance: self.instance,
            version: self.version,
            leaving: self.leaving,
            meta: self.local.clone(),
        }
    }

    pub(crate) fn members(&self) -> Vec<MemberState> {
        let mut all = Vec::with_capacity(self.peers.len() + 1);
        all.push(MemberState {
            meta: self.local.clone(),
            status: self.self_status,
            since: self.self_since,
        });
        all.extend(self.peers.values().filter_map(|p| {
            p.shown.as_ref().map(|s| MemberState {
                meta: s.meta.clone(),
                status: s.status,
                since: s.since,
            })
        }));
        all.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
        all
    }

    /// Tests: foca's current identity for a member.
    #[cfg(test)]
    pub(crate) fn identity_of(&self, name: &str) -> Option<Id> {
        self.peers.get(name).and_then(|p| p.ident.clone())
    }

    /// `(instance, bump)` of foca's identity for a member.
    pub(crate) fn rank_of(&self, name: &str) -> Option<(u64, u32)> {
        self.peers
            .get(name)
            .and_then(|p| p.ident.as_ref())
            .map(Id::rank)
    }

    pub(crate) fn is_visible(&self, name: &str) -> bool {
        self.peers.get(name).is_some_and(|p| p.shown.is_some())
    }

    /// Stores `record` if it is newer than what we have; true if it was.
    pub(crate) fn apply_record(&mut self, record: MetaRecord, now: Instant) -> bool {
        if record.meta.name == self.local.name {
            return false;
        }
        if let Err(why) = compatible(&self.local, &record.meta) {
            // Its metadata is never stored, so it never shows as a member.
            if self.refused.insert(record.meta.name.clone()) {
                tracing::warn!("refusing a member: {why}");
            }
            return false;
        }
        let peer = self
            .peers
            .entry(record.meta.name.clone())
            .or_insert_with(|| Peer::new(now));
        let news = peer
            .record
            .as_ref()
            .is_none_or(|r| r.rank() < record.rank());
        if news {
            peer.record = Some(record);
            peer.touched = now;
        }
        news
    }

    /// Brings the table in line with foca's membership `view` (newest identity per name) and
    /// the known records. Returns the events to publish and the addresses to ask for records.
    pub(crate) fn reconcile(
        &mut self,
        view: Vec<(Id, State)>,
        now: Instant,
        request_every: Duration,
    ) -> (Vec<MemberEvent>, Vec<(SocketAddr, String)>) {
        let wall = SystemTime::now();
        let mut seen = HashSet::with_capacity(view.len());
        for (id, state) in view {
            if *id.name == *self.local.name {
                continue;
            }
            let peer = self
                .peers
                .entry(id.name.to_string())
                .or_insert_with(|| Peer::new(now));
            if peer.ident.as_ref() != Some(&id) || peer.state != Some(state) {
                peer.touched = now;
            }
            seen.insert(Arc::clone(&id.name));
            peer.ident = Some(id);
            peer.state = Some(state);
        }
        let mut events = Vec::new();
        let mut requests = Vec::new();
        for (name, peer) in &mut self.peers {
            if !seen.contains(name.as_str()) {
                peer.state = None;
            }
            let Some(id) = peer.ident.clone() else {
                continue;
            };
            let active = matches!(peer.state, Some(State::Alive | State::Suspect));
            let lacks = peer
                .record
                .as_ref()
                .is_none_or(|r| r.instance < id.instance);
            if active && lacks && peer.may_request(now, request_every) {
                peer.last_request = Some(now);
                requests.push((id.addr, name.clone()));
            }
            let status = peer.status(&id);
            match &mut peer.shown {
                None => {
                    let Some(record) = &peer.record else { continue };
                    if record.instance != id.instance {
                        continue;
                    }
                    events.push(MemberEvent::Joined(record.meta.clone()));
                    if status != MemberStatus::Alive {
                        events.push(MemberEvent::StatusChanged {
                            name: name.clone(),
                            status,
                        });
                    }
                    peer.shown = Some(Shown {
                        meta: record.meta.clone(),
                        status,
                        since: wall,
                        since_at: now,
                    });
                }
                Some(shown) => {
                    if let Some(record) = &peer.record
                        && record.meta != shown.meta
                    {
                        shown.meta = record.meta.clone();
                        events.push(MemberEvent::Updated(record.meta.clone()));
                    }
                    if status != shown.status {
                        shown.status = status;
                        shown.since = wall;
                        shown.since_at = now;
                        events.push(MemberEvent::StatusChanged {
                            name: name.clone(),
                            status,
                        });
                    }
                }
            }
        }
        (events, requests)
    }

    /// Forgets failed/left members older than `forget_after`, and stale invisible entries.
    pub(crate) fn prune(&mut self, now: Instant, forget_after: Duration) {
        self.peers.retain(|_, p| match &p.shown {
            Some(s) => {
                matches!(s.status, MemberStatus::Alive | MemberStatus::Suspect)
                    || now.saturating_duration_since(s.since_at) < forget_after
            }
            None => {
                matches!(p.state, Some(State::Alive | State::Suspect))
                    || now.saturating_duration_since(p.touched) < forget_after
            }
        });
    }
}
