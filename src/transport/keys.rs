//! The cluster key and what is derived from it: every secret between nodes (gossip's AES key,
//! the internal RPC's HMAC and AES keys, archive signatures) comes from the one cluster key
//! through HKDF with its own purpose string. (Reading a key from text is `config::parse_key`.)

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngExt as _;
use ring::hkdf;

/// Derives a 32-byte key for `purpose` from the cluster key: HKDF-SHA256 (RFC 5869) with an
/// empty salt, `ikm = key`, `info = purpose`, `L = 32`.
///
/// Gossip uses the purpose `"belfry gossip v1"`; other subsystems (the internal RPC's HMAC)
/// derive their own keys from the same cluster key with their own purpose string, so no two
/// uses share key material.
pub fn derive_key(key: &[u8], purpose: &str) -> [u8; 32] {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(key);
    let info = [purpose.as_bytes()];
    let mut out = [0u8; 32];
    // Both calls fail only for an output longer than 255 × 32 bytes or a mismatched buffer
    // length; 32 bytes with HKDF_SHA256's own length is neither.
    prk.expand(&info, hkdf::HKDF_SHA256)
        .and_then(|okm| okm.fill(&mut out))
        .expect("HKDF-SHA256 expand of 32 bytes cannot fail");
    out
}

/// 32 random bytes, base64-encoded (what `belfry keygen` prints and `--encrypt` takes).
pub fn generate_key() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill(&mut key[..]);
    STANDARD.encode(key)
}
