//! Gossip keys and the packet envelope.
//!
//! Every datagram is `[format byte][body]`:
//!
//! * `0x01` plaintext v1: the body is the frame as is (no key configured);
//! * `0x81` AES-256-GCM v1: the body is `[12-byte random nonce][ciphertext][16-byte tag]`, the
//!   format byte is the associated data, and the AES key is
//!   `derive_key(cluster_key, "belfry gossip v1")`.
//!
//! A node accepts exactly one of the two formats (the one its configuration implies), so a node
//! without the key, with another key or with a key where the cluster has none, never gets a
//! single packet through and cannot join.

use rand::RngExt as _;
use ring::aead;

use super::MembershipError;
pub use crate::transport::keys::{derive_key, generate_key};

/// Decodes a base64 gossip key (`--encrypt`): see [`crate::config::parse_key`].
pub fn parse_key(text: &str) -> Result<Vec<u8>, MembershipError> {
    crate::config::parse_key(text).map_err(MembershipError::BadKey)
}

/// Checks that a raw key is 16, 24 or 32 bytes long.
pub(crate) fn check_key_len(key: &[u8]) -> Result<(), MembershipError> {
    crate::config::check_key_len(key).map_err(MembershipError::BadKey)
}

/// Format byte of a plaintext v1 packet.
pub(crate) const PLAIN_V1: u8 = 0x01;
/// Format byte of an AES-256-GCM v1 packet.
pub(crate) const SEALED_V1: u8 = 0x81;
/// HKDF `info` of the gossip AES key.
pub(crate) const GOSSIP_PURPOSE: &str = "belfry gossip v1";
const NONCE_LEN: usize = aead::NONCE_LEN;
const TAG_LEN: usize = 16;
/// Bytes an envelope adds to a frame at most.
pub(crate) const OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

/// Why a packet was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Plaintext packet, but this node requires encryption.
    Plaintext,
    /// Encrypted packet, but this node has no key.
    Sealed,
    /// Encrypted packet that does not authenticate under our key.
    WrongKey,
    /// Empty packet or unknown format byte.
    UnknownFormat(Option<u8>),
}

impl Refusal {
    /// Human explanation appended to the drop log line.
    pub(crate) fn detail(self) -> String {
        match self {
            Refusal::Plaintext => {
                "the sender does not encrypt; this node requires the gossip key".into()
            }
            Refusal::Sealed => "the packet is encrypted; this node has no gossip key".into(),
            Refusal::WrongKey => "decryption failed: the sender uses another key".into(),
            Refusal::UnknownFormat(None) => "empty packet".into(),
            Refusal::UnknownFormat(Some(b)) => format!("unknown envelope format byte {b:#04x}"),
        }
    }
}

/// Seals and opens envelopes, with or without a key.
pub(crate) struct Envelope {
    key: Option<aead::LessSafeKey>,
}

impl Envelope {
    /// An envelope for the raw cluster key (16, 24 or 32 bytes), or plaintext without one.
    pub(crate) fn new(key: Option<&[u8]>) -> Result<Self, MembershipError> {
        let key = match key {
            None => None,
            Some(raw) => {
                check_key_len(raw)?;
                let derived = derive_key(raw, GOSSIP_PURPOSE);
                let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, &derived)
                    .map_err(|_| MembershipError::BadKey("cannot build AES-256-GCM key".into()))?;
                Some(aead::LessSafeKey::new(unbound))
            }
        };
        Ok(Self { key })
    }

    /// Wraps `frame` into `out` (cleared first). Fails only if sealing fails.
    pub(crate) fn seal(&self, frame: &[u8], out: &mut Vec<u8>) -> Result<(), ()> {
        out.clear();
        match &self.key {
            None => {
                out.reserve(1 + frame.len());
                out.push(PLAIN_V1);
                out.extend_from_slice(frame);
                Ok(())
            }
            Some(key) => {
                let mut nonce = [0u8; NONCE_LEN];
                rand::rng().fill(&mut nonce[..]);
                out.reserve(OVERHEAD + frame.len());
                out.push(SEALED_V1);
                out.extend_from_slice(&nonce);
                out.extend_from_slice(frame);
                let start = 1 + NONCE_LEN;
                let tag = key
                    .seal_in_place_separate_tag(
                        aead::Nonce::assume_unique_for_key(nonce),
                        aead::Aad::from([SEALED_V1]),
                        &mut out[start..],
                    )
                    .map_err(|_| ())?;
                out.extend_from_slice(tag.as_ref());
                Ok(())
            }
        }
    }

    /// Unwraps a received packet in place and returns the frame.
    pub(crate) fn open<'a>(&self, packet: &'a mut [u8]) -> Result<&'a [u8], Refusal> {
        let Some((&mut format, body)) = packet.split_first_mut() else {
            return Err(Refusal::UnknownFormat(None));
        };
        match (format, &self.key) {
            (PLAIN_V1, None) => Ok(body),
            (PLAIN_V1, Some(_)) => Err(Refusal::Plaintext),
            (SEALED_V1, None) => Err(Refusal::Sealed),
            (SEALED_V1, Some(key)) => {
                if body.len() < NONCE_LEN + TAG_LEN {
                    return Err(Refusal::WrongKey);
                }
                let (nonce, sealed) = body.split_at_mut(NONCE_LEN);
                let mut n = [0u8; NONCE_LEN];
                n.copy_from_slice(nonce);
                key.open_in_place(
                    aead::Nonce::assume_unique_for_key(n),
                    aead::Aad::from([SEALED_V1]),
                    sealed,
                )
                .map(|plain| &*plain)
                .map_err(|_| Refusal::WrongKey)
            }
            (other, _) => Err(Refusal::UnknownFormat(Some(other))),
        }
    }
}
