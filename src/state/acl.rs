//! Tokens, roles and permissions of the public HTTP API (`--acl-enabled`).
//!
//! Belfry has a small fixed set of roles rather than free-form policies: four roles cover what
//! operators of a cron scheduler ask for (manage everything, operate the cluster, manage some
//! jobs, look), and a fixed set is easy to audit. A job writer is limited to jobs whose name
//! starts with one of its prefixes and/or whose metadata matches its selectors.
//!
//! A token is a random secret shown once; the replicated state keeps only its SHA-256 hash,
//! beside a public accessor id (what lists, logs and the audit log name). Every route of
//! [`crate::api::ROUTES`] needs one [`Permission`], given by [`route_permission`].
//!
//! The roles, permissions and request/answer bodies are wire types, defined in the client crate
//! (`belfry_client::acl`) and re-exported here; this module keeps the token store.

use serde::{Deserialize, Serialize};

pub use belfry_client::acl::{
    JobScope, NewToken, Permission, Refusal, Role, RoleInfo, TokenInfo, TokenRequest,
};

/// The permission each entry of [`crate::api::ROUTES`] needs (and the agent's own routes,
/// which are a subset). `None` for a route nobody assigned: a unit test makes that fail.
pub fn route_permission(method: &str, path: &str) -> Option<Permission> {
    use Permission::*;
    Some(match (method, path) {
        ("GET", "/health") => Public,
        ("POST", "/v1/acl/bootstrap") => Public,
        ("GET", "/v1/acl/token/self") => Token,
        ("GET", "/v1/acl/roles") => Token,
        ("GET" | "POST", "/v1/acl/tokens") => AclWrite,
        ("DELETE", "/v1/acl/tokens/{accessor}") => AclWrite,
        ("GET", "/metrics")
        | ("GET", "/v1" | "/v1/" | "/v1/openapi.json")
        | ("GET", "/v1/members" | "/v1/members/" | "/v1/leader" | "/v1/isleader")
        | ("GET", "/v1/busy" | "/v1/busy/" | "/v1/pause" | "/v1/stats")
        | ("GET", "/v1/jobs" | "/v1/jobs/" | "/v1/jobs/{name}")
        | ("GET", "/v1/jobs/{name}/executions" | "/v1/jobs/{name}/executions/")
        | ("GET", "/v1/jobs/{name}/executions/{id}")
        | ("GET", "/v1/operator/raft/peers" | "/v1/operator/health")
        | ("GET", "/v1/node/stats") => Read,
        ("POST" | "PATCH", "/v1/jobs") | ("POST", "/v1/jobs/") => JobWrite,
        ("POST" | "PUT" | "DELETE", "/v1/jobs/{name}") => JobWrite,
        ("POST", "/v1/jobs/{name}/run" | "/v1/jobs/{name}/toggle") => JobWrite,
        ("DELETE", "/v1/jobs/{name}/executions") => JobWrite,
        // Every job in the file is checked against a job writer's scope.
        ("POST", "/v1/restore") => JobWrite,
        ("POST", "/v1/leave" | "/v1/pause" | "/v1/unpause") => Operator,
        ("POST", "/v1/operator/raft/remove-peer/{node}")
        | ("POST", "/v1/operator/raft/transfer-leadership")
        | ("POST", "/v1/operator/join")
        | ("POST", "/v1/operator/force-leave/{node}")
        | ("POST", "/v1/operator/demote/{node}" | "/v1/operator/promote/{node}") => Operator,
        // The snapshot holds every job and the token hashes; a restore keeps the tokens.
        ("GET", "/v1/operator/snapshot") | ("POST", "/v1/operator/restore") => Operator,
        _ => return None,
    })
}

/// A token as the replicated state keeps it: no secret, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
}

/// A token secret. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// A fresh random secret: 32 bytes from the system's CSPRNG, hex, behind a `belfry-`
    /// prefix so a leaked one is recognisable by secret scanners.
    pub fn generate() -> Secret {
        Secret(format!("belfry-{}", hex(&random_bytes::<32>())))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the secret, hex: what the state stores and compares.
    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }
}

pub fn hash_secret(secret: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()).as_ref())
}

/// A new accessor id, UUID-shaped.
pub fn new_accessor() -> String {
    let b = random_bytes::<16>();
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn random_bytes<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut out = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut out)
        .expect("the system random source works");
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token whose hash matches `secret`'s among `tokens`, compared in constant time (every
/// token is compared, so the time says nothing about which one matched).
pub fn find_token<'a>(tokens: &'a [StoredToken], secret: &Secret) -> Option<&'a StoredToken> {
    let hash = secret.hash();
    let mut found = None;
    for t in tokens {
        if constant_time_eq(t.secret_hash.as_bytes(), hash.as_bytes()) {
            found = Some(t);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_permission() {
        for (method, path) in crate::api::ROUTES {
            assert!(
                route_permission(method, path).is_some(),
                "{method} {path} has no permission in acl::route_permission"
            );
        }
    }

    #[test]
    fn only_health_and_bootstrap_are_public() {
        let public: Vec<_> = crate::api::ROUTES
            .iter()
            .filter(|(m, p)| route_permission(m, p) == Some(Permission::Public))
            .collect();
        assert_eq!(
            public,
            vec![&("GET", "/health"), &("POST", "/v1/acl/bootstrap")]
        );
    }

    #[test]
    fn every_mutating_route_needs_more_than_read() {
        for (method, path) in crate::api::ROUTES {
            if *method == "GET" {
                continue;
            }
            let p = route_permission(method, path).unwrap();
            assert!(
                !matches!(p, Permission::Read | Permission::Token),
                "{method} {path} changes something but needs only {}",
                p.name()
            );
        }
    }

    #[test]
    fn secrets_are_hashed_found_in_constant_time_and_never_debug_printed() {
        let s = Secret::generate();
        assert!(s.expose().starts_with("belfry-") && s.expose().len() == 7 + 64);
        assert!(!format!("{s:?}").contains(s.expose()));
        assert_ne!(s.hash(), s.expose());
        let stored = StoredToken {
            info: TokenInfo {
                accessor: "a".into(),
                description: String::new(),
                role: Role::JobWriter,
                scope: JobScope::default(),
                created_at: chrono::Utc::now(),
            },
            secret_hash: s.hash(),
        };
        let tokens = vec![stored];
        assert!(find_token(&tokens, &s).is_some());
        assert!(find_token(&tokens, &Secret::new("belfry-wrong")).is_none());
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_ne!(new_accessor(), new_accessor());
    }
}
