//! Cluster membership: who is in the cluster, how to reach them, and whether they are alive.
//!
//! Belfry nodes find each other with SWIM gossip ([foca]) over UDP on the gossip port (8946 by
//! default). Each node announces a small [`NodeMeta`] (name, addresses, role, region, tags…);
//! every node keeps a view of all members with their status ([`MemberStatus`]): `Alive`,
//! `Suspect` (missed a probe, may refute), `Failed` (declared down by the cluster) or `Left`
//! (announced a graceful leave). Failed and left members stay listed for
//! [`MembershipConfig::forget_after`] (24 h by default) so operators see them, then are
//! forgotten. Changes are published as [`MemberEvent`]s.
//!
//! # Design
//!
//! * **Identity.** foca's identity is kept small because it rides in every packet: `(name,
//!   gossip address, instance, bump)`. `instance` is the wall-clock start time of the process in
//!   nanoseconds, so a restarted node (same name, same or another port) has a newer identity;
//!   `bump` is incremented by [`foca::Identity::renew`] when the cluster declared this process
//!   down (long pause, partition) so it rejoins at once instead of staying "down". foca's
//!   identity *address* (the unit of uniqueness and conflict resolution) is the node **name**;
//!   of two identities with the same name the newer `(instance, bump)` wins, so the cluster
//!   renames the old member to the new one as soon as it hears from it. Equality is over all
//!   fields, as foca requires. Two live processes must not share a name (this is logged). A
//!   fresh process whose clock went back since its last run learns from the answers to its
//!   join that the cluster remembers a newer instance of its name, and restarts above it.
//! * **Metadata** travels separately as a versioned record `(instance, version, leaving, meta)`
//!   that is newer when `(instance, version)` is greater. Three paths carry it: a foca custom
//!   broadcast whenever it changes (epidemic, fast); a direct push-pull `Sync` frame (used by
//!   [`Membership::join`] and whenever a node sees a member whose record it lacks); and a
//!   *stamp* `(name, instance, version)` on every foca packet, so a receiver that missed an
//!   update asks the sender for it. Meta is therefore eventually consistent even for nodes that
//!   join long after the broadcast died out. A member becomes visible (event `Joined`) once both
//!   its foca identity and its record of the same instance are known.
//! * **Left vs Failed.** foca only knows "down". A graceful [`Membership::leave`] first
//!   publishes a record with `leaving = true` (pushed directly to every live member and
//!   broadcast), then lets foca declare itself down; members whose current instance left are
//!   `Left`, other down members `Failed`.
//! * **Runtime.** One task owns the `Foca` value, the UDP socket and a timer heap; it selects
//!   over the command channel, the socket and the earliest timer, so every timer foca submits
//!   is delivered, in order. The shared table behind [`Membership::members`] is a mutex the
//!   task updates after each foca interaction by reconciling foca's membership state.
//! * **Wire.** Each datagram is an envelope `[format byte][body]` (see `crypto.rs`): plaintext
//!   `0x01`, or `0x81` = AES-256-GCM with a random 96-bit nonce, the format byte as associated
//!   data, and a key derived by HKDF-SHA256 from the cluster key (16, 24 or 32 bytes) with info
//!   `"belfry gossip v1"`. A node accepts only the format its configuration implies, so a node
//!   with no key, a wrong key, or a key where the cluster has none never joins; refused packets
//!   are dropped with a rate-limited warning. Inside, frames are `[kind][postcard…]`; packets
//!   stay under 1400 bytes (foca packets ≤ 1200 bytes, records ≤ 768 bytes).
//!
//! Timings: [`MembershipConfig::new`] gives LAN defaults (probe every 1 s, 500 ms probe
//! timeout, suspicion 4 s scaled by log10 of the cluster size, as memberlist/Serf do), so a
//! crashed node is `Failed` after roughly 5–7 s.

mod crypto;
mod engine;
mod table;

#[cfg(test)]
mod tests;
mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, oneshot};

pub use crypto::{derive_key, generate_key, parse_key};

use engine::Input;
use table::Table;

/// Longest accepted node name, in bytes.
pub const MAX_NAME_LEN: usize = 128;
/// Largest encoded metadata record, in bytes (it must fit in one gossip packet).
pub const MAX_META_LEN: usize = 768;

/// Whether a node is a Raft server or only an agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Stores the state and can lead (`--server`).
    Server,
    /// Only gossips and runs jobs.
    Agent,
}

/// What a node tells the cluster about itself. Small: it must encode to at most
/// [`MAX_META_LEN`] bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeMeta {
    /// Unique node name (at most [`MAX_NAME_LEN`] bytes).
    pub name: String,
    /// Advertised gossip address. At [`Membership::start`] a port 0 is replaced by the bound
    /// port, and an unspecified IP by the bind IP.
    pub gossip_addr: SocketAddr,
    /// Internal RPC address.
    pub rpc_addr: SocketAddr,
    /// HTTP API address.
    pub http_addr: SocketAddr,
    /// Server or agent.
    pub role: Role,
    /// Region (Raft membership stays within one).
    pub region: String,
    /// Datacenter.
    pub datacenter: String,
    /// User tags (job targeting).
    pub tags: BTreeMap<String, String>,
    /// Belfry version.
    pub version: String,
    /// Lowest protocol version spoken.
    pub protocol_min: u8,
    /// Highest protocol version spoken.
    pub protocol_max: u8,
    /// The node's `--bootstrap-expect` (0 when not given).
    pub bootstrap_expect: u32,
}

/// A member's liveness as seen by this node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberStatus {
    /// Answers probes.
    Alive,
    /// Missed a probe; declared failed unless it refutes within the suspicion timeout.
    Suspect,
    /// Declared down by the cluster without having left.
    Failed,
    /// Left gracefully.
    Left,
}

/// One member as seen by this node.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberState {
    /// Its latest known metadata.
    pub meta: NodeMeta,
    /// Its status.
    pub status: MemberStatus,
    /// When it entered this status (as observed here).
    pub since: SystemTime,
}

/// A change in the membership, as published by [`Membership::subscribe`].
///
/// `Joined` is sent the first time a member becomes known (status `Alive` unless a
/// `StatusChanged` follows at once); later changes, including a failed or left member coming
/// back, are `StatusChanged`; metadata changes (tags, role, a restart with new addresses) are
/// `Updated`, for other members and for this node itself. Forgetting a member after
/// [`MembershipConfig::forget_after`] sends no event.
#[derive(Clone, Debug, PartialEq)]
pub enum MemberEvent {
    /// A member became known.
    Joined(NodeMeta),
    /// A member's metadata changed.
    Updated(NodeMeta),
    /// A member's status changed.
    StatusChanged {
        /// The member's name.
        name: String,
        /// Its new status.
        status: MemberStatus,
    },
}

/// How to run membership. Its `Debug` output does not show the key.
#[derive(Clone)]
pub struct MembershipConfig {
    /// What this node announces.
    pub meta: NodeMeta,
    /// Local UDP address to bind (may be `0.0.0.0:8946`; `meta.gossip_addr` is what others use).
    pub bind: SocketAddr,
    /// Cluster key (16, 24 or 32 raw bytes, see [`parse_key`]); `None` gossips in plaintext.
    pub key: Option<Vec<u8>>,
    /// How often a node probes one member. LAN default 1 s.
    pub probe_period: Duration,
    /// How long a probed member has to answer before indirect probes. Default 500 ms; must be
    /// shorter than `probe_period`.
    pub probe_timeout: Duration,
    /// How long a suspect member has to refute before it is declared failed, for clusters of up
    /// to 10 nodes (scaled by log10 of the cluster size beyond). Default 4 × `probe_period`.
    pub suspicion_timeout: Duration,
    /// How long failed and left members stay listed. Default 24 h.
    pub forget_after: Duration,
}

impl std::fmt::Debug for MembershipConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MembershipConfig")
            .field("meta", &self.meta)
            .field("bind", &self.bind)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("probe_period", &self.probe_period)
            .field("probe_timeout", &self.probe_timeout)
            .field("suspicion_timeout", &self.suspicion_timeout)
            .field("forget_after", &self.forget_after)
            .finish()
    }
}

impl MembershipConfig {
    /// LAN defaults: probe every 1 s, 500 ms probe timeout, 4 s suspicion, 24 h retention,
    /// no key.
    pub fn new(meta: NodeMeta, bind: SocketAddr) -> Self {
        Self {
            meta,
            bind,
            key: None,
            probe_period: Duration::from_secs(1),
            probe_timeout: Duration::from_millis(500),
            suspicion_timeout: Duration::from_secs(4),
            forget_after: Duration::from_secs(24 * 60 * 60),
        }
    }

    /// Sets the probe period and scales the probe timeout (½ period) and suspicion timeout
    /// (4 periods) with it.
    pub fn with_probe_period(mut self, period: Duration) -> Self {
        self.probe_period = period;
        self.probe_timeout = period / 2;
        self.suspicion_timeout = period * 4;
        self
    }

    fn validate(&self) -> Result<(), MembershipError> {
        if self.probe_period.is_zero() || self.probe_timeout.is_zero() {
            return Err(MembershipError::InvalidConfig(
                "probe period and probe timeout must be positive".into(),
            ));
        }
        if self.probe_timeout >= self.probe_period {
            return Err(MembershipError::InvalidConfig(format!(
                "probe timeout ({:?}) must be shorter than the probe period ({:?})",
                self.probe_timeout, self.probe_period
            )));
        }
        if self.suspicion_timeout < self.probe_period {
            return Err(MembershipError::InvalidConfig(format!(
                "suspicion timeout ({:?}) must be at least the probe period ({:?})",
                self.suspicion_timeout, self.probe_period
            )));
        }
        if self.probe_period > Duration::from_secs(60)
            || self.suspicion_timeout > Duration::from_secs(3600)
        {
            return Err(MembershipError::InvalidConfig(
                "probe period must be at most 60 s and suspicion timeout at most 1 h".into(),
            ));
        }
        if self.forget_after < Duration::from_secs(1)
            || self.forget_after > Duration::from_secs(366 * 24 * 3600)
        {
            return Err(MembershipError::InvalidConfig(
                "forget_after must be between 1 s and 366 days".into(),
            ));
        }
        Ok(())
    }
}

/// Membership errors.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    /// The gossip socket could not be bound.
    #[error("cannot bind the gossip socket on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The gossip key is unusable; the message says why.
    #[error("invalid gossip key: {0}")]
    BadKey(String),
    /// The node metadata cannot be gossiped; the message says why.
    #[error("invalid node metadata: {0}")]
    InvalidMeta(String),
    /// The configuration is inconsistent; the message says why.
    #[error("invalid membership configuration: {0}")]
    InvalidConfig(String),
    /// Membership has been stopped (left or shut down).
    #[error("membership is stopped")]
    Stopped,
}

/// State shared by the handles and the gossip task.
pub(crate) struct Shared {
    table: Mutex<Table>,
    events: broadcast::Sender<MemberEvent>,
    dropped: AtomicU64,
    /// Serialises [`Membership::update_meta`] calls.
    update: tokio::sync::Mutex<()>,
}

impl Shared {
    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn emit(&self, event: MemberEvent) {
        // No receiver is fine.
        let _ = self.events.send(event);
    }
}

/// A running membership: a cheap, cloneable handle on the gossip task.
///
/// The task stops on [`leave`](Self::leave), [`shutdown`](Self::shutdown), or when the last
/// handle is dropped.
#[derive(Clone)]
pub struct Membership {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Input>,
}

impl std::fmt::Debug for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Membership")
            .field("name", &self.shared.table().local.name)
            .finish_non_exhaustive()
    }
}

impl Membership {
    /// Binds the gossip socket and starts the gossip task. The node is alone until
    /// [`join`](Self::join) (or until another node joins it).
    pub async fn start(config: MembershipConfig) -> Result<Membership, MembershipError> {
        config.validate()?;
        let envelope = crypto::Envelope::new(config.key.as_deref())?;
        let socket = tokio::net::UdpSocket::bind(config.bind)
            .await
            .map_err(|source| MembershipError::Bind {
                addr: config.bind,
                source,
            })?;
        let bound = socket
            .local_addr()
            .map_err(|source| MembershipError::Bind {
                addr: config.bind,
                source,
            })?;
        let mut meta = config.meta.clone();
        if meta.gossip_addr.port() == 0 {
            meta.gossip_addr.set_port(bound.port());
        }
        if meta.gossip_addr.ip().is_unspecified() {
            if bound.ip().is_unspecified() {
                return Err(MembershipError::InvalidMeta(format!(
                    "gossip address {} is not reachable by other nodes; set an advertise address",
                    meta.gossip_addr
                )));
            }
            meta.gossip_addr.set_ip(bound.ip());
        }
        wire::validate_meta(&meta)?;

        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            table: Mutex::new(Table::new(meta)),
            events,
            dropped: AtomicU64::new(0),
            update: tokio::sync::Mutex::new(()),
        });
        let (tx, rx) = mpsc::channel(256);
        engine::spawn(engine::Setup {
            config,
            socket,
            envelope,
            shared: Arc::clone(&shared),
            rx,
        });
        Ok(Membership { shared, tx })
    }

    /// Announces this node to these gossip addresses (retrying until `wait` runs out) and
    /// returns how many of them answered: a node that answers becomes a member. This node's own
    /// address does not count. `Err(Stopped)` only if membership is stopped.
    pub async fn join(
        &self,
        addrs: &[SocketAddr],
        wait: Duration,
    ) -> Result<usize, MembershipError> {
        let mut targets: Vec<SocketAddr> = Vec::with_capacity(addrs.len());
        for addr in addrs {
            if !targets.contains(addr) {
                targets.push(*addr);
            }
        }
        if targets.is_empty() {
            return Ok(0);
        }
        let answered = Arc::new(AtomicUsize::new(0));
        let (done, finished) = oneshot::channel();
        self.tx
            .send(Input::Join {
                addrs: targets,
                answered: Arc::clone(&answered),
                done,
            })
            .await
            .map_err(|_| MembershipError::Stopped)?;
        match tokio::time::timeout(wait, finished).await {
            Ok(Err(_)) if self.tx.is_closed() => Err(MembershipError::Stopped),
            _ => Ok(answered.load(Ordering::SeqCst)),
        }
    }

    /// All known members including this node, any status, sorted by name. Failed and left
    /// members stay for [`MembershipConfig::forget_after`].
    pub fn members(&self) -> Vec<MemberState> {
        self.shared.table().members()
    }

    /// This node's current metadata.
    pub fn local(&self) -> NodeMeta {
        self.shared.table().local.clone()
    }

    /// Membership changes from now on. A receiver that falls more than 1024 events behind
    /// gets `Lagged` and should re-read [`members`](Self::members).
    pub fn subscribe(&self) -> broadcast::Receiver<MemberEvent> {
        self.shared.events.subscribe()
    }

    /// Packets dropped because they could not be opened (wrong or missing key, unknown
    /// format) since start.
    pub fn dropped_packets(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Changes this node's metadata (tags on SIGHUP, role on demote…) and propagates it to all
    /// members. The name and gossip address cannot change at runtime, and the result must stay
    /// within [`MAX_META_LEN`]; such a change is refused with an error log and nothing changes.
    pub async fn update_meta(&self, f: impl FnOnce(&mut NodeMeta)) {
        let _serial = self.shared.update.lock().await;
        let mut meta = self.local();
        f(&mut meta);
        let accepted = {
            let mut table = self.shared.table();
            if meta == table.local {
                false
            } else if meta.name != table.local.name || meta.gossip_addr != table.local.gossip_addr {
                tracing::error!(
                    name = %table.local.name,
                    "metadata update refused: the node name and gossip address cannot change \
                     while running; restart the node instead"
                );
                false
            } else if let Err(e) = wire::validate_meta(&meta) {
                tracing::error!(name = %table.local.name, "metadata update refused: {e}");
                false
            } else {
                table.local = meta.clone();
                table.version += 1;
                true
            }
        };
        if accepted {
            self.shared.emit(MemberEvent::Updated(meta));
            let (done, wait) = oneshot::channel();
            if self.tx.send(Input::MetaChanged(done)).await.is_ok() {
                let _ = wait.await;
            }
        }
    }

    /// Graceful leave: tells the cluster this node is leaving (its status becomes `Left` on
    /// the others, not `Failed`), then stops.
    pub async fn leave(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Input::Leave(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Tests: the gossip task stops processing anything for `pause` (like a long GC pause).
    #[cfg(test)]
    pub(crate) async fn freeze(&self, pause: Duration) {
        let _ = self.tx.send(Input::Freeze(pause)).await;
    }

    /// Stops without telling anyone (like a crash; the others will see `Failed`). The socket is
    /// closed when this returns.
    pub async fn shutdown(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Input::Shutdown(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// A gossip member in Dkron's (serf's) shape.
pub fn member_of(m: &MemberState) -> crate::model::Member {
    let meta = &m.meta;
    let mut tags = meta.tags.clone();
    tags.insert("role".into(), "belfry".into());
    tags.insert("dc".into(), meta.datacenter.clone());
    tags.insert("region".into(), meta.region.clone());
    tags.insert("version".into(), meta.version.clone());
    tags.insert("rpc_addr".into(), meta.rpc_addr.to_string());
    // Where this node's own API answers (for `GET /v1/node/stats` and a client's failover).
    tags.insert("http_addr".into(), meta.http_addr.to_string());
    tags.insert("port".into(), meta.rpc_addr.port().to_string());
    if meta.role == Role::Server {
        tags.insert("server".into(), "true".into());
        tags.insert("expect".into(), meta.bootstrap_expect.to_string());
    }
    // serf's numbering: 1 alive, 3 left, 4 failed (suspect is still alive to serf).
    let (status, text) = match m.status {
        MemberStatus::Alive => (1, "alive"),
        MemberStatus::Suspect => (1, "suspect"),
        MemberStatus::Left => (3, "left"),
        MemberStatus::Failed => (4, "failed"),
    };
    crate::model::Member {
        name: meta.name.clone(),
        addr: meta.gossip_addr.ip().to_string(),
        port: meta.gossip_addr.port(),
        tags,
        status,
        protocol_min: meta.protocol_min,
        protocol_max: meta.protocol_max,
        protocol_cur: meta.protocol_max,
        delegate_min: meta.protocol_min,
        delegate_max: meta.protocol_max,
        delegate_cur: meta.protocol_max,
        id: Some(meta.name.clone()),
        status_text: Some(text.into()),
    }
}
