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

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a token may do. Fixed; `belfry acl roles` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything, including tokens (`acl:write`).
    Management,
    /// Read everything and operate the cluster: members, Raft, leave, join, demote/promote,
    /// snapshots, pause. No job writes, no tokens.
    Operator,
    /// Read everything; create, change, run, toggle and delete jobs within its scope.
    JobWriter,
    /// Read everything (jobs, executions, members, health, metrics, stats, busy).
    ReadOnly,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Management,
        Role::Operator,
        Role::JobWriter,
        Role::ReadOnly,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Management => "management",
            Role::Operator => "operator",
            Role::JobWriter => "job-writer",
            Role::ReadOnly => "read-only",
        }
    }

    pub fn parse(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == text)
            .ok_or_else(|| {
                format!("unknown role {text:?}: use management, operator, job-writer or read-only")
            })
    }

    /// The permissions the role holds (a job writer's `job:write` is further limited by its
    /// scope).
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Management => &[Token, Read, JobWrite, Operator, AclWrite],
            Role::Operator => &[Token, Read, Operator],
            Role::JobWriter => &[Token, Read, JobWrite],
            Role::ReadOnly => &[Token, Read],
        }
    }

    pub fn grants(self, permission: Permission) -> bool {
        permission == Permission::Public || self.permissions().contains(&permission)
    }

    pub fn description(self) -> &'static str {
        match self {
            Role::Management => "everything, including creating and deleting tokens",
            Role::Operator => {
                "read everything; cluster operations: leave, join, force-leave, Raft peers, demote/promote, snapshots save/restore, pause"
            }
            Role::JobWriter => {
                "read everything; create, change, run, toggle and delete the jobs in its scope (name prefixes and/or metadata selectors)"
            }
            Role::ReadOnly => {
                "read jobs, executions, members, health, metrics, stats and busy; change nothing"
            }
        }
    }
}

/// What a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Served without a token (`/health`, and bootstrap while no management token exists).
    Public,
    /// Any valid token (`GET /v1/acl/token/self`).
    Token,
    Read,
    /// Change jobs; a job writer's scope is checked against the job too.
    JobWrite,
    Operator,
    AclWrite,
}

impl Permission {
    pub fn name(self) -> &'static str {
        match self {
            Permission::Public => "none",
            Permission::Token => "token",
            Permission::Read => "read",
            Permission::JobWrite => "job:write",
            Permission::Operator => "operator",
            Permission::AclWrite => "acl:write",
        }
    }
}

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

/// The jobs a job writer may change. Empty prefixes: any name; empty selectors: any metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobScope {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

impl JobScope {
    pub fn name_allowed(&self, name: &str) -> bool {
        self.prefixes.is_empty() || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    pub fn metadata_allowed(&self, metadata: &BTreeMap<String, String>) -> bool {
        self.metadata
            .iter()
            .all(|(k, v)| metadata.get(k).is_some_and(|m| m == v))
    }

    pub fn allows(&self, name: &str, metadata: &BTreeMap<String, String>) -> bool {
        self.name_allowed(name) && self.metadata_allowed(metadata)
    }

    /// For error messages and listings.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.prefixes.is_empty() {
            parts.push(format!(
                "names starting with {}",
                self.prefixes.join(" or ")
            ));
        }
        if !self.metadata.is_empty() {
            let sel: Vec<String> = self
                .metadata
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            parts.push(format!("metadata {}", sel.join(",")));
        }
        if parts.is_empty() {
            "all jobs".into()
        } else {
            parts.join(" and ")
        }
    }
}

/// A token as the replicated state keeps it: no secret, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
}

/// What may be shown about a token: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Public id: names the token in lists, deletes and the audit log.
    pub accessor: String,
    #[serde(default)]
    pub description: String,
    pub role: Role,
    /// Only for job writers.
    #[serde(default)]
    pub scope: JobScope,
    pub created_at: DateTime<Utc>,
}

impl TokenInfo {
    /// Whether this token holds `permission` (scope aside).
    pub fn grants(&self, permission: Permission) -> bool {
        self.role.grants(permission)
    }

    /// Whether this token may change the job `name` with `metadata`. Management tokens may
    /// change every job; a job writer only those of its scope.
    pub fn may_write_job(&self, name: &str, metadata: &BTreeMap<String, String>) -> bool {
        match self.role {
            Role::Management => true,
            Role::JobWriter => self.scope.allows(name, metadata),
            Role::Operator | Role::ReadOnly => false,
        }
    }

    /// Whether the scope depends on the job's name only (no metadata selectors).
    pub fn scope_by_name_only(&self) -> bool {
        self.role != Role::JobWriter || self.scope.metadata.is_empty()
    }
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

/// A token just created: the only answer that holds its secret.
#[derive(Clone, Serialize, Deserialize)]
pub struct NewToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    pub secret: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("info", &self.info)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// `POST /v1/acl/tokens`'s body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub role: String,
    #[serde(default)]
    pub description: String,
    /// Job writers: job-name prefixes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,
    /// Job writers: metadata every job must carry.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// A role as `GET /v1/acl/roles` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleInfo {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
}

/// The one-line JSON body of a 401/403.
#[derive(Debug, Serialize, Deserialize)]
pub struct Refusal {
    pub error: String,
    /// The permission the request needs.
    pub permission: String,
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
    fn roles_grant_what_the_docs_say() {
        use Permission::*;
        assert!(Role::ReadOnly.grants(Read));
        for p in [JobWrite, Operator, AclWrite] {
            assert!(!Role::ReadOnly.grants(p), "read-only must not have {p:?}");
        }
        assert!(Role::Operator.grants(Operator) && !Role::Operator.grants(JobWrite));
        assert!(!Role::Operator.grants(AclWrite));
        assert!(Role::JobWriter.grants(JobWrite) && !Role::JobWriter.grants(Operator));
        assert!(!Role::JobWriter.grants(AclWrite));
        for p in [Read, JobWrite, Operator, AclWrite] {
            assert!(Role::Management.grants(p));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.name()), Ok(r));
        }
        assert!(Role::parse("admin").is_err());
    }

    fn writer(prefixes: &[&str], metadata: &[(&str, &str)]) -> TokenInfo {
        TokenInfo {
            accessor: "a".into(),
            description: String::new(),
            role: Role::JobWriter,
            scope: JobScope {
                prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
                metadata: metadata
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            },
            created_at: Utc::now(),
        }
    }

    #[test]
    fn job_writer_scope_limits_names_and_metadata() {
        let none = BTreeMap::new();
        let t = writer(&["team-a-"], &[]);
        assert!(t.may_write_job("team-a-backup", &none));
        assert!(!t.may_write_job("team-b-x", &none));
        assert!(!t.may_write_job("team-a", &none));
        let t = writer(&[], &[("team", "a")]);
        let mut md = BTreeMap::new();
        assert!(!t.may_write_job("anything", &md));
        md.insert("team".to_string(), "a".to_string());
        assert!(t.may_write_job("anything", &md));
        md.insert("team".to_string(), "b".to_string());
        assert!(!t.may_write_job("anything", &md));
        let t = writer(&["x-", "y-"], &[("team", "a")]);
        md.insert("team".to_string(), "a".to_string());
        assert!(t.may_write_job("y-1", &md));
        assert!(!t.may_write_job("z-1", &md));
        let mut ro = t.clone();
        ro.role = Role::ReadOnly;
        assert!(!ro.may_write_job("y-1", &md));
        ro.role = Role::Operator;
        assert!(!ro.may_write_job("y-1", &md));
    }

    #[test]
    fn secrets_are_hashed_found_in_constant_time_and_never_debug_printed() {
        let s = Secret::generate();
        assert!(s.expose().starts_with("belfry-") && s.expose().len() == 7 + 64);
        assert!(!format!("{s:?}").contains(s.expose()));
        assert_ne!(s.hash(), s.expose());
        let stored = StoredToken {
            info: writer(&[], &[]),
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
