//! The HTTP API's gate: with `--acl-enabled`, every request needs a token holding the
//! permission its route needs ([`crate::state::acl::route_permission`]), and a job writer's scope is
//! checked against the job named in the path and in the body; every mutating request, refused
//! or not, is written to the audit log (`--audit-log`) and counted in `/metrics`.
//!
//! A server checks tokens against its own copy of the replicated state. An agent holds no
//! state: for its own endpoints it asks a server (`GET /v1/acl/token/self` over the internal
//! RPC) and keeps the answer for [`REMOTE_CACHE_TTL`]; everything else it passes to a server
//! with the token, and the server decides.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::state::acl::{Permission, Refusal, Role, Secret, TokenInfo, route_permission};

/// How long an agent trusts a server's answer about a token (a deleted token keeps working on
/// an agent's own endpoints — leave, join, members, metrics — for at most this long).
pub const REMOTE_CACHE_TTL: Duration = Duration::from_secs(10);

/// The limit on a job body read for its scope check: the API's own body limit.
const JOB_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The header Belfry also accepts a token in (for clients that cannot set `Authorization`).
pub const TOKEN_HEADER: &str = "x-belfry-token";

/// The token a request carries: `Authorization: Bearer …` first, then `X-Belfry-Token`.
pub fn request_token(headers: &HeaderMap) -> Option<Secret> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") {
            let t = v[7..].trim();
            if !t.is_empty() {
                return Some(Secret::new(t));
            }
        }
    }
    headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Secret::new)
}

/// Where tokens are looked up.
pub enum TokenSource {
    /// A server: its own copy of the replicated state.
    State(crate::consensus::StateMachine),
    /// An agent: a server of its region, over the internal RPC.
    Remote(Box<RemoteTokens>),
}

pub struct RemoteTokens {
    pub membership: crate::cluster::membership::Membership,
    pub rpc: crate::transport::rpc::RpcClient,
    pub region: String,
    /// Valid tokens by the hash of their secret, with when they were checked.
    cache: Mutex<HashMap<String, (Instant, TokenInfo)>>,
}

impl RemoteTokens {
    pub fn new(
        membership: crate::cluster::membership::Membership,
        rpc: crate::transport::rpc::RpcClient,
        region: String,
    ) -> RemoteTokens {
        RemoteTokens {
            membership,
            rpc,
            region,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

/// Why a token could not be resolved.
enum Unresolved {
    Invalid,
    Unavailable(String),
}

impl TokenSource {
    async fn resolve(&self, secret: &Secret) -> Result<TokenInfo, Unresolved> {
        match self {
            TokenSource::State(state) => {
                let tokens = state
                    .read(|r| r.acl_tokens())
                    .map_err(|e| Unresolved::Unavailable(e.to_string()))?;
                crate::state::acl::find_token(&tokens, secret)
                    .map(|t| t.info.clone())
                    .ok_or(Unresolved::Invalid)
            }
            TokenSource::Remote(remote) => remote.resolve(secret).await,
        }
    }

    /// The stored job `name`'s metadata, when this node keeps the state and has the job.
    fn job_metadata(&self, name: &str) -> Option<(BTreeMap<String, String>, String)> {
        match self {
            TokenSource::State(state) => state
                .read(|r| r.job(name))
                .ok()
                .flatten()
                .map(|r| (r.job.metadata, r.job.parent_job)),
            TokenSource::Remote(_) => None,
        }
    }
}

impl RemoteTokens {
    async fn resolve(&self, secret: &Secret) -> Result<TokenInfo, Unresolved> {
        let hash = secret.hash();
        if let Some((at, info)) = self.cache.lock().expect("token cache").get(&hash)
            && at.elapsed() < REMOTE_CACHE_TTL
        {
            return Ok(info.clone());
        }
        let call = crate::api::ApiCall {
            method: "GET".into(),
            uri: "/v1/acl/token/self".into(),
            content_type: None,
            body: String::new(),
            token: Some(secret.clone()),
        };
        // `None`: a server said the token is not valid (401), which ends the search.
        let answer = crate::cluster::commit::ask_alive_servers(
            &self.membership,
            &self.rpc,
            Some(&self.region),
            &call,
            |reply| match reply.status {
                200 => Ok(Some(reply.body)),
                401 => Ok(None),
                status => Err(format!("a server answered {status}")),
            },
        )
        .await
        .map_err(Unresolved::Unavailable)?;
        let Some(body) = answer else {
            return Err(Unresolved::Invalid);
        };
        let body = crate::transport::rpc::unb64(&body).map_err(Unresolved::Unavailable)?;
        let info: TokenInfo =
            serde_json::from_slice(&body).map_err(|e| Unresolved::Unavailable(e.to_string()))?;
        let mut cache = self.cache.lock().expect("token cache");
        cache.retain(|_, (at, _)| at.elapsed() < REMOTE_CACHE_TTL);
        cache.insert(hash, (Instant::now(), info.clone()));
        Ok(info)
    }
}

/// One JSON line of the audit log.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    pub time: chrono::DateTime<chrono::Utc>,
    /// The token's accessor id, or `anonymous`.
    pub who: &'a str,
    pub node: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<&'a str>,
    pub status: u16,
    /// success, unauthorized, forbidden or failed (as the metric's label).
    pub result: &'a str,
}

/// `--audit-log`: an append-only JSON-lines file, created private (0600).
pub struct AuditLog {
    file: Mutex<std::fs::File>,
}

impl AuditLog {
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        Ok(AuditLog {
            file: Mutex::new(file),
        })
    }

    fn write(&self, record: &AuditRecord<'_>) {
        let Ok(mut line) = serde_json::to_vec(record) else {
            return;
        };
        line.push(b'\n');
        // One write per line on an O_APPEND file: lines never interleave.
        if let Err(e) = self.file.lock().expect("audit log").write_all(&line) {
            tracing::error!("audit log: cannot write: {e}");
        }
    }
}

/// What the gate of one node needs.
pub struct Guard {
    pub enabled: bool,
    pub node: String,
    pub audit: Option<AuditLog>,
    pub tokens: TokenSource,
}

/// The caller, as handlers see it (a request extension) when ACLs are on.
#[derive(Debug, Clone)]
pub struct Caller(pub TokenInfo);

fn refusal(status: StatusCode, permission: Permission, error: String) -> Response {
    let body = serde_json::to_vec(&Refusal {
        error,
        permission: permission.name().into(),
    })
    .unwrap_or_default();
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"belfry\""),
        );
    }
    resp
}

fn is_mutation(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Routes whose body is a job: its name, metadata and parent are checked against the scope.
fn takes_job_body(method: &Method, route: &str) -> bool {
    matches!(
        (method.as_str(), route),
        ("POST", "/v1/jobs" | "/v1/jobs/") | ("PATCH", "/v1/jobs") | ("PUT", "/v1/jobs/{name}")
    )
}

/// The middleware: authenticates, authorizes, audits. Installed with `route_layer`, so the
/// matched route is known.
pub async fn gate(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let path_job = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .ok()
        .and_then(|p| {
            p.iter()
                .find(|(k, _)| *k == "name")
                .map(|(_, v)| v.to_string())
        });
    let mut req = Request::from_parts(parts, body);
    let mut body_job: Option<serde_json::Value> = None;
    if takes_job_body(&method, &route) && (guard.enabled || guard.audit.is_some()) {
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, JOB_BODY_LIMIT).await {
            Ok(b) => b,
            Err(e) => {
                return finish(
                    &guard,
                    None,
                    &method,
                    &path,
                    path_job.as_deref(),
                    (StatusCode::PAYLOAD_TOO_LARGE, format!("request body: {e}")).into_response(),
                );
            }
        };
        body_job = serde_json::from_slice(&bytes).ok();
        req = Request::from_parts(parts, Body::from(bytes));
    }
    let body_name = body_job
        .as_ref()
        .and_then(|v| v.get("name"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let job = path_job.clone().or(body_name.clone());

    if !guard.enabled {
        let resp = next.run(req).await;
        return finish(&guard, None, &method, &path, job.as_deref(), resp);
    }
    // Unknown routes need at least read (none reaches here: the gate is a route layer).
    let permission = route_permission(method.as_str(), &route).unwrap_or(Permission::Read);
    if permission == Permission::Public {
        let resp = next.run(req).await;
        return finish(&guard, None, &method, &path, job.as_deref(), resp);
    }
    let Some(secret) = request_token(req.headers()) else {
        let resp = refusal(
            StatusCode::UNAUTHORIZED,
            permission,
            format!(
                "ACL token required: this request needs a token with permission {}; send Authorization: Bearer <secret> or X-Belfry-Token (the CLI takes BELFRY_TOKEN, --token-file or --token)",
                permission.name()
            ),
        );
        return finish(&guard, None, &method, &path, job.as_deref(), resp);
    };
    let caller = match guard.tokens.resolve(&secret).await {
        Ok(info) => info,
        Err(Unresolved::Invalid) => {
            let resp = refusal(
                StatusCode::UNAUTHORIZED,
                permission,
                format!(
                    "invalid ACL token: no token has this secret (it may have been deleted); this request needs permission {}",
                    permission.name()
                ),
            );
            return finish(&guard, None, &method, &path, job.as_deref(), resp);
        }
        Err(Unresolved::Unavailable(why)) => {
            let resp = refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                permission,
                format!("cannot check the ACL token now: {why}"),
            );
            return finish(&guard, None, &method, &path, job.as_deref(), resp);
        }
    };
    if !caller.grants(permission) {
        let resp = refusal(
            StatusCode::FORBIDDEN,
            permission,
            format!(
                "permission denied: token {} (role {}) lacks permission {}",
                caller.accessor,
                caller.role.name(),
                permission.name()
            ),
        );
        return finish(&guard, Some(&caller), &method, &path, job.as_deref(), resp);
    }
    if permission == Permission::JobWrite
        && caller.role == Role::JobWriter
        && let Err(why) = check_scope(&guard, &caller, path_job.as_deref(), body_job.as_ref())
    {
        let resp = refusal(
            StatusCode::FORBIDDEN,
            permission,
            format!(
                "permission denied: token {} holds job:write only for jobs with {}: {why}",
                caller.accessor,
                caller.scope.describe()
            ),
        );
        return finish(&guard, Some(&caller), &method, &path, job.as_deref(), resp);
    }
    req.extensions_mut().insert(Caller(caller.clone()));
    let resp = next.run(req).await;
    finish(&guard, Some(&caller), &method, &path, job.as_deref(), resp)
}

/// A job writer's scope against the job in the path, the job in the body, the stored job of
/// that name (its metadata cannot be re-labelled into the scope) and the parents involved
/// (a child's parent gains it as a dependent).
fn check_scope(
    guard: &Guard,
    caller: &TokenInfo,
    path_job: Option<&str>,
    body_job: Option<&serde_json::Value>,
) -> Result<(), String> {
    let stored_ok = |name: &str| -> Result<(), String> {
        if !caller.scope.name_allowed(name) {
            return Err(format!("job {name:?} is outside its scope"));
        }
        if let Some((metadata, _)) = guard.tokens.job_metadata(name)
            && !caller.scope.metadata_allowed(&metadata)
        {
            return Err(format!("job {name:?}'s metadata is outside its scope"));
        }
        Ok(())
    };
    if let Some(name) = path_job {
        stored_ok(name)?;
    }
    let Some(body) = body_job else {
        return Ok(());
    };
    let name = body.get("name").and_then(|v| v.as_str()).unwrap_or("");
    let metadata: BTreeMap<String, String> = body
        .get("metadata")
        .and_then(|m| serde_json::from_value(m.clone()).ok())
        .unwrap_or_default();
    if !caller.may_write_job(name, &metadata) {
        return Err(format!(
            "the job in the body ({name:?}, with its metadata) is outside its scope"
        ));
    }
    stored_ok(name)?;
    let parent = body
        .get("parent_job")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if !parent.is_empty() {
        stored_ok(parent).map_err(|e| format!("parent_job: {e}"))?;
    }
    if let Some((_, old_parent)) = guard.tokens.job_metadata(name)
        && !old_parent.is_empty()
        && old_parent != parent
    {
        stored_ok(&old_parent).map_err(|e| format!("current parent_job: {e}"))?;
    }
    Ok(())
}

/// Audits a mutating request and counts it, then hands the response back.
fn finish(
    guard: &Guard,
    caller: Option<&TokenInfo>,
    method: &Method,
    path: &str,
    job: Option<&str>,
    resp: Response,
) -> Response {
    if !is_mutation(method) {
        return resp;
    }
    let status = resp.status().as_u16();
    crate::telemetry::global().api_mutation(status);
    if let Some(audit) = &guard.audit {
        audit.write(&AuditRecord {
            time: chrono::Utc::now(),
            who: caller.map(|c| c.accessor.as_str()).unwrap_or("anonymous"),
            node: &guard.node,
            method: method.as_str(),
            path,
            job,
            status,
            result: crate::telemetry::mutation_result(status),
        });
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_read_from_either_header() {
        let mut h = HeaderMap::new();
        assert!(request_token(&h).is_none());
        h.insert(TOKEN_HEADER, "s2".parse().unwrap());
        assert_eq!(request_token(&h).unwrap().expose(), "s2");
        h.insert(header::AUTHORIZATION, "Bearer s1".parse().unwrap());
        assert_eq!(request_token(&h).unwrap().expose(), "s1");
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(request_token(&h).unwrap().expose(), "s2");
    }
}
