//! The internal RPC's security envelope: who sends a call to whom, that it is fresh, and that
//! nobody else can read or change it.
//!
//! Every call carries one header, `x-belfry-rpc`, with the sender (node id and name), the
//! target (node id and/or name), a Unix timestamp, a 16-byte random nonce and an HMAC-SHA256
//! over all of them plus the method, the path and the body's `content-length`. The receiver
//! checks this header **before it reads a single byte of the body**: an unauthenticated call
//! costs it one header parse and one MAC, never a buffered upload. The nonce is remembered for
//! the freshness window, so a captured call cannot be replayed, and a call to one node cannot be
//! replayed to another (the target is inside the MAC).
//!
//! Bodies in both directions are sealed with AES-256-GCM (`[12-byte nonce][ciphertext][tag]`).
//! The request's associated data is `"req"` + its header MAC and the reply's is `"rep"` + the
//! same MAC, so a reply answers exactly one request and cannot be forged or swapped. All keys are
//! derived with HKDF-SHA256 from the cluster key (`derive_key`), each with its own purpose.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngExt as _;
use ring::{aead, hmac};

/// The header that carries a call's credentials.
pub const HDR_RPC: &str = "x-belfry-rpc";
/// Version tag at the start of the header.
const VERSION: &str = "v2";
/// How far a call's timestamp may be from the receiver's clock; nonces are kept this long.
pub const MAX_SKEW_SECS: u64 = crate::config::MAX_CALL_SKEW_SECS;
/// Nonces remembered at most; past this, calls are refused until old ones expire, so a flood
/// of valid calls cannot grow memory without bound.
const REPLAY_CACHE_MAX: usize = 1_000_000;
/// Longest node name accepted in a header.
const MAX_NAME: usize = 256;
const NONCE_LEN: usize = 16;
const AEAD_NONCE: usize = aead::NONCE_LEN;
const TAG_LEN: usize = 16;

/// A node as named in a call: its Raft id (0 for an agent or when unknown) and its name (empty
/// when unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer {
    pub id: u64,
    pub name: String,
}

impl Peer {
    pub fn new(id: u64, name: impl Into<String>) -> Peer {
        Peer {
            id,
            name: name.into(),
        }
    }

    /// A node known only by its Raft id.
    pub fn id(id: u64) -> Peer {
        Peer::new(id, "")
    }

    /// A node known only by its name.
    pub fn named(name: impl Into<String>) -> Peer {
        Peer::new(0, name)
    }

    /// Whoever listens at the address (only `hello`, which asks exactly that, accepts it).
    pub fn anyone() -> Peer {
        Peer::default()
    }

    fn is_anyone(&self) -> bool {
        self.id == 0 && self.name.is_empty()
    }

    /// Whether a call addressed to `self` is for the node `me`.
    fn is(&self, me: &Peer) -> bool {
        (self.id == 0 || self.id == me.id) && (self.name.is_empty() || self.name == me.name)
    }
}

/// The checked credentials of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub sender: Peer,
    pub target: Peer,
    pub timestamp: u64,
    pub nonce: [u8; NONCE_LEN],
    pub content_length: u64,
    pub mac: Vec<u8>,
}

/// Why a call or a reply is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("missing x-belfry-rpc header: internal RPC requires the cluster key")]
    Missing,
    #[error("malformed x-belfry-rpc header: {0}")]
    Malformed(&'static str),
    #[error("the call's timestamp is more than {MAX_SKEW_SECS} s from this node's clock")]
    Stale,
    #[error("the call's MAC does not verify: wrong cluster key, or the call was altered")]
    BadMac,
    #[error("the call was already received (replay)")]
    Replayed,
    #[error("too many calls in the freshness window")]
    Busy,
    #[error("this call is for another node ({0})")]
    WrongTarget(String),
    #[error("the call names no target node")]
    NoTarget,
    #[error("the body does not decrypt: wrong cluster key, or it was altered")]
    BadBody,
}

/// The keys derived from the cluster key, and the replay cache of the receiving side.
pub struct Sealer {
    mac: hmac::Key,
    aead: aead::LessSafeKey,
    seen: Mutex<ReplayCache>,
}

#[derive(Default)]
struct ReplayCache {
    nonces: HashMap<[u8; NONCE_LEN], u64>,
    inserts: u64,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<redacted>)")
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn mac_message(method: &str, path: &str, c: &Credentials) -> Vec<u8> {
    format!(
        "belfry-rpc-{VERSION}\n{method}\n{path}\n{:016x}\n{}\n{:016x}\n{}\n{}\n{}\n{}",
        c.sender.id,
        hex(c.sender.name.as_bytes()),
        c.target.id,
        hex(c.target.name.as_bytes()),
        c.timestamp,
        hex(&c.nonce),
        c.content_length
    )
    .into_bytes()
}

/// Parses an `x-belfry-rpc` header without checking it. Never panics on any input.
pub fn parse_header(value: &str) -> Result<Credentials, SealError> {
    let mut parts = value.split(':');
    let mut next = |what: &'static str| parts.next().ok_or(SealError::Malformed(what));
    if next("version")? != VERSION {
        return Err(SealError::Malformed("unknown version"));
    }
    let id = |t: &str| u64::from_str_radix(t, 16).map_err(|_| SealError::Malformed("node id"));
    let name = |t: &str| -> Result<String, SealError> {
        if t.len() > 2 * MAX_NAME {
            return Err(SealError::Malformed("name too long"));
        }
        unhex(t)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(SealError::Malformed("name"))
    };
    let sender = Peer::new(id(next("sender id")?)?, name(next("sender name")?)?);
    let target = Peer::new(id(next("target id")?)?, name(next("target name")?)?);
    let timestamp = next("timestamp")?
        .parse()
        .map_err(|_| SealError::Malformed("timestamp"))?;
    let nonce: [u8; NONCE_LEN] = unhex(next("nonce")?)
        .and_then(|n| n.try_into().ok())
        .ok_or(SealError::Malformed("nonce"))?;
    let mac = unhex(next("mac")?).ok_or(SealError::Malformed("mac"))?;
    if parts.next().is_some() {
        return Err(SealError::Malformed("trailing fields"));
    }
    Ok(Credentials {
        sender,
        target,
        timestamp,
        nonce,
        content_length: 0,
        mac,
    })
}

impl Sealer {
    /// The sealer for a raw cluster key (16, 24 or 32 bytes).
    pub fn new(cluster_key: &[u8]) -> Sealer {
        let mac = crate::transport::keys::derive_key(cluster_key, "belfry rpc mac v2");
        let enc = crate::transport::keys::derive_key(cluster_key, "belfry rpc aead v2");
        let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, &enc)
            .expect("a 32-byte key always makes an AES-256-GCM key");
        Sealer {
            mac: hmac::Key::new(hmac::HMAC_SHA256, &mac),
            aead: aead::LessSafeKey::new(unbound),
            seen: Mutex::new(ReplayCache::default()),
        }
    }

    /// The sealed body and the `x-belfry-rpc` header of a call; the header's MAC binds the
    /// reply too (see [`Sealer::open_reply`]).
    pub fn seal_call(
        &self,
        method: &str,
        path: &str,
        sender: &Peer,
        target: &Peer,
        body: &[u8],
    ) -> (String, Vec<u8>, Vec<u8>) {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill(&mut nonce[..]);
        let mut creds = Credentials {
            sender: sender.clone(),
            target: target.clone(),
            timestamp: now_secs(),
            nonce,
            content_length: (AEAD_NONCE + body.len() + TAG_LEN) as u64,
            mac: Vec::new(),
        };
        creds.mac = hmac::sign(&self.mac, &mac_message(method, path, &creds))
            .as_ref()
            .to_vec();
        let sealed = self.seal_body(b"req", &creds.mac, body);
        let header = format!(
            "{VERSION}:{:x}:{}:{:x}:{}:{}:{}:{}",
            creds.sender.id,
            hex(creds.sender.name.as_bytes()),
            creds.target.id,
            hex(creds.target.name.as_bytes()),
            creds.timestamp,
            hex(&creds.nonce),
            hex(&creds.mac)
        );
        (header, sealed, creds.mac)
    }

    /// Checks a call's header for the node `me`, before its body is read: format, freshness,
    /// MAC (with the declared `content_length`), target, and that its nonce is new.
    pub fn admit(
        &self,
        header: Option<&str>,
        method: &str,
        path: &str,
        content_length: u64,
        me: &Peer,
        any_target: bool,
    ) -> Result<Credentials, SealError> {
        let mut creds = parse_header(header.ok_or(SealError::Missing)?)?;
        creds.content_length = content_length;
        let now = now_secs();
        if now.abs_diff(creds.timestamp) > MAX_SKEW_SECS {
            return Err(SealError::Stale);
        }
        hmac::verify(&self.mac, &mac_message(method, path, &creds), &creds.mac)
            .map_err(|_| SealError::BadMac)?;
        if creds.target.is_anyone() {
            if !any_target {
                return Err(SealError::NoTarget);
            }
        } else if !creds.target.is(me) {
            return Err(SealError::WrongTarget(format!(
                "this is {} ({:016x})",
                me.name, me.id
            )));
        }
        let mut seen = self.seen.lock().expect("replay cache lock");
        seen.inserts += 1;
        if seen.inserts.is_multiple_of(1024) || seen.nonces.len() >= REPLAY_CACHE_MAX {
            seen.nonces
                .retain(|_, ts| now.abs_diff(*ts) <= MAX_SKEW_SECS);
        }
        if seen.nonces.contains_key(&creds.nonce) {
            return Err(SealError::Replayed);
        }
        if seen.nonces.len() >= REPLAY_CACHE_MAX {
            return Err(SealError::Busy);
        }
        seen.nonces.insert(creds.nonce, creds.timestamp);
        Ok(creds)
    }

    fn seal_body(&self, purpose: &[u8], mac: &[u8], body: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; AEAD_NONCE];
        rand::rng().fill(&mut nonce[..]);
        let mut out = Vec::with_capacity(AEAD_NONCE + body.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(body);
        let tag = self
            .aead
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from([purpose, mac].concat()),
                &mut out[AEAD_NONCE..],
            )
            .expect("AES-GCM seals any body under 64 GiB");
        out.extend_from_slice(tag.as_ref());
        out
    }

    fn open_body(
        &self,
        purpose: &[u8],
        mac: &[u8],
        mut sealed: Vec<u8>,
    ) -> Result<Vec<u8>, SealError> {
        if sealed.len() < AEAD_NONCE + TAG_LEN {
            return Err(SealError::BadBody);
        }
        let nonce: [u8; AEAD_NONCE] = sealed[..AEAD_NONCE]
            .try_into()
            .map_err(|_| SealError::BadBody)?;
        let len = self
            .aead
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from([purpose, mac].concat()),
                &mut sealed[AEAD_NONCE..],
            )
            .map_err(|_| SealError::BadBody)?
            .len();
        sealed.drain(..AEAD_NONCE);
        sealed.truncate(len);
        Ok(sealed)
    }

    /// Opens the body of an admitted call.
    pub fn open_call(&self, creds: &Credentials, sealed: Vec<u8>) -> Result<Vec<u8>, SealError> {
        self.open_body(b"req", &creds.mac, sealed)
    }

    /// Seals the reply to an admitted call.
    pub fn seal_reply(&self, creds: &Credentials, body: &[u8]) -> Vec<u8> {
        self.seal_body(b"rep", &creds.mac, body)
    }

    /// Opens the reply to the call whose header MAC was `call_mac`.
    pub fn open_reply(&self, call_mac: &[u8], sealed: Vec<u8>) -> Result<Vec<u8>, SealError> {
        self.open_body(b"rep", call_mac, sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn me() -> Peer {
        Peer::new(7, "node-a")
    }

    #[test]
    fn a_call_round_trips_once() {
        let s = Sealer::new(b"0123456789abcdef");
        let (h, body, mac) = s.seal_call("POST", "/rpc/v2/x", &Peer::named("b"), &me(), b"hello");
        let len = body.len() as u64;
        let creds = s
            .admit(Some(&h), "POST", "/rpc/v2/x", len, &me(), false)
            .unwrap();
        assert_eq!(creds.sender.name, "b");
        assert_eq!(s.open_call(&creds, body).unwrap(), b"hello");
        let reply = s.seal_reply(&creds, b"answer");
        assert_eq!(s.open_reply(&mac, reply.clone()).unwrap(), b"answer");
        // A reply cannot be passed off as the answer to another call.
        let (_, _, other) = s.seal_call("POST", "/rpc/v2/x", &Peer::named("b"), &me(), b"x");
        assert_eq!(s.open_reply(&other, reply), Err(SealError::BadBody));
        assert_eq!(
            s.admit(Some(&h), "POST", "/rpc/v2/x", len, &me(), false),
            Err(SealError::Replayed)
        );
    }

    #[test]
    fn altered_or_foreign_calls_are_refused() {
        let s = Sealer::new(b"0123456789abcdef");
        let other = Sealer::new(b"fedcba9876543210");
        let (h, body, _) = s.seal_call("POST", "/p", &Peer::named("b"), &me(), b"x");
        let len = body.len() as u64;
        assert_eq!(
            other.admit(Some(&h), "POST", "/p", len, &me(), false),
            Err(SealError::BadMac)
        );
        assert_eq!(
            s.admit(Some(&h), "POST", "/q", len, &me(), false),
            Err(SealError::BadMac)
        );
        assert_eq!(
            s.admit(Some(&h), "POST", "/p", len + 1, &me(), false),
            Err(SealError::BadMac)
        );
        assert!(matches!(
            s.admit(Some(&h), "POST", "/p", len, &Peer::new(8, "node-b"), false),
            Err(SealError::WrongTarget(_))
        ));
        assert_eq!(
            s.admit(None, "POST", "/p", 0, &me(), false),
            Err(SealError::Missing)
        );
        let (h, _, _) = s.seal_call("POST", "/p", &Peer::named("b"), &Peer::anyone(), b"");
        assert_eq!(
            s.admit(Some(&h), "POST", "/p", 28, &me(), false),
            Err(SealError::NoTarget)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn arbitrary_headers_and_bodies_never_panic(header in ".{0,300}", body in proptest::collection::vec(any::<u8>(), 0..200)) {
            let s = Sealer::new(b"0123456789abcdef");
            let _ = parse_header(&header);
            let r = s.admit(Some(&header), "POST", "/p", body.len() as u64, &me(), true);
            prop_assert!(r.is_err());
            let _ = s.open_reply(&[0; 32], body.clone());
            let creds = Credentials { sender: Peer::anyone(), target: me(), timestamp: 0, nonce: [0; 16], content_length: 0, mac: vec![1; 32] };
            prop_assert!(s.open_call(&creds, body).is_err());
        }

        #[test]
        fn arbitrary_structured_headers_never_panic(fields in proptest::collection::vec("[0-9a-fv:]{0,40}", 0..10)) {
            let s = Sealer::new(b"0123456789abcdef");
            let header = fields.join(":");
            prop_assert!(s.admit(Some(&header), "POST", "/p", 0, &me(), true).is_err());
        }
    }
}
