//! Wire types: the foca identity, metadata records, frames, and the custom broadcast handler.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use foca::{BroadcastHandler, Invalidates};
use serde::{Deserialize, Serialize};

use super::{MAX_META_LEN, MAX_NAME_LEN, MembershipError, NodeMeta, Shared};

/// foca identity: small, rides in every packet. Its foca *address* is the node name.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Id {
    #[serde(with = "arc_str")]
    pub(crate) name: Arc<str>,
    pub(crate) addr: SocketAddr,
    /// Process start (ns since the epoch): a restart is newer.
    pub(crate) instance: u64,
    /// Incremented by `renew` after the cluster declared this process down.
    pub(crate) bump: u32,
}

impl Id {
    pub(crate) fn rank(&self) -> (u64, u32) {
        (self.instance, self.bump)
    }
}

impl std::fmt::Debug for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}@{}#{}.{}",
            self.name, self.addr, self.instance, self.bump
        )
    }
}

impl foca::Identity for Id {
    type Addr = Arc<str>;

    fn renew(&self) -> Option<Self> {
        Some(Self {
            bump: self.bump.checked_add(1)?,
            ..self.clone()
        })
    }

    fn addr(&self) -> Arc<str> {
        Arc::clone(&self.name)
    }

    fn win_addr_conflict(&self, adversary: &Self) -> bool {
        self.rank() > adversary.rank()
    }
}

mod arc_str {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(d).map(Arc::from)
    }
}

/// A node's metadata, versioned: newer when `(instance, version)` is greater.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct MetaRecord {
    pub(crate) instance: u64,
    pub(crate) version: u64,
    /// The node (this instance) is leaving gracefully.
    pub(crate) leaving: bool,
    pub(crate) meta: NodeMeta,
}

impl MetaRecord {
    pub(crate) fn rank(&self) -> (u64, u64) {
        (self.instance, self.version)
    }

    pub(crate) fn is_valid(&self) -> bool {
        !self.meta.name.is_empty() && self.meta.name.len() <= MAX_NAME_LEN
    }
}

/// Prefix of every foca frame: who sent it and which record version it has.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Stamp {
    pub(crate) name: String,
    pub(crate) instance: u64,
    pub(crate) version: u64,
}

/// Direct metadata exchange: the sender's identity and record; `reply` asks for ours.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SyncFrame {
    pub(crate) id: Id,
    pub(crate) record: MetaRecord,
    pub(crate) reply: bool,
    /// `(instance, bump)` of the identity the sender holds for the receiver's name, if any:
    /// lets a fresh process whose clock went back learn that it must start above it.
    pub(crate) yours: Option<(u64, u32)>,
}

/// Checks that `meta` can be gossiped.
pub(crate) fn validate_meta(meta: &NodeMeta) -> Result<(), MembershipError> {
    if meta.name.is_empty() {
        return Err(MembershipError::InvalidMeta(
            "the node name is empty".into(),
        ));
    }
    if meta.name.len() > MAX_NAME_LEN {
        return Err(MembershipError::InvalidMeta(format!(
            "the node name is {} bytes long; at most {MAX_NAME_LEN} are allowed",
            meta.name.len()
        )));
    }
    let worst = MetaRecord {
        instance: u64::MAX,
        version: u64::MAX,
        leaving: true,
        meta: meta.clone(),
    };
    let len = postcard::to_allocvec(&worst)
        .map_err(|e| MembershipError::InvalidMeta(format!("cannot encode: {e}")))?
        .len();
    if len > MAX_META_LEN {
        return Err(MembershipError::InvalidMeta(format!(
            "the metadata encodes to {len} bytes; at most {MAX_META_LEN} fit in a gossip packet \
             (use fewer or shorter tags)"
        )));
    }
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// Tests: the instance of the next node started on this thread (a clock set back).
    pub(crate) static FORCE_INSTANCE: std::cell::Cell<Option<u64>> =
        const { std::cell::Cell::new(None) };
}

/// A process-unique, increasing start stamp in ns since the epoch.
pub(crate) fn new_instance() -> u64 {
    #[cfg(test)]
    if let Some(forced) = FORCE_INSTANCE.with(std::cell::Cell::take) {
        return forced;
    }
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(1);
    let mut prev = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(prev.saturating_add(1));
        match LAST.compare_exchange(prev, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => prev = seen,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Custom broadcasts

/// Key of a metadata broadcast: a newer record of the same node replaces older ones.
pub(crate) struct RecordKey {
    name: String,
    rank: (u64, u64),
}

impl Invalidates for RecordKey {
    fn invalidates(&self, other: &Self) -> bool {
        self.name == other.name && self.rank >= other.rank
    }
}

#[derive(Debug)]
pub(crate) struct BadRecord;

impl std::fmt::Display for BadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("undecodable metadata broadcast")
    }
}

impl std::error::Error for BadRecord {}

/// Stores received records in the shared table; keeps disseminating only news.
pub(crate) struct Handler {
    pub(crate) shared: Arc<Shared>,
    /// This node's name.
    pub(crate) name: String,
}

impl BroadcastHandler<Id> for Handler {
    type Key = RecordKey;
    type Error = BadRecord;

    fn receive_item(
        &mut self,
        data: &[u8],
        sender: Option<&Id>,
    ) -> Result<Option<RecordKey>, BadRecord> {
        let record: MetaRecord = postcard::from_bytes(data).map_err(|_| BadRecord)?;
        if !record.is_valid() {
            return Err(BadRecord);
        }
        let key = RecordKey {
            name: record.meta.name.clone(),
            rank: record.rank(),
        };
        if sender.is_none() {
            // Added by us: our own record.
            return Ok(Some(key));
        }
        if record.meta.name == self.name {
            return Ok(None);
        }
        let news = self.shared.table().apply_record(record, Instant::now());
        Ok(news.then_some(key))
    }
}
