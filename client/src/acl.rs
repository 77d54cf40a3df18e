//! The ACL's wire types: the fixed roles and the permissions they hold, a job writer's scope,
//! and the bodies of `/v1/acl/*` (token requests and answers, role listings, refusals).
//!
//! The engine's token store (secrets, hashes, lookup, which route needs which permission) stays
//! in the engine; what a client sends and reads is here, so the CLI and the dashboard need
//! nothing of the engine to speak to the API.

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
}
