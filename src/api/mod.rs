//! The public HTTP API: Dkron's `/v1` endpoints with Dkron's JSON, status codes and headers
//! (`X-Whom`, `X-Total-Count`, `?pretty`), plus `/health`, `/metrics`, Belfry's
//! `/v1/operator/…` and its OpenAPI document at `/v1/openapi.json`. [`ROUTES`] lists them all.
//!
//! Writes go through Raft; reads are linearizable by default (a read index round through the
//! leader) so a job is never missing right after its 201, and `?stale` reads the local copy.
//! Error bodies are plain text, as Dkron's are, and always say what was wrong.

pub mod browser_guard;
pub mod guard;
pub mod metrics;
pub mod openapi;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, RawQuery, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, get, on, post};
use chrono::Utc;
use openraft::ReadPolicy;
use openraft::async_runtime::WatchReceiver;
use serde::{Deserialize, Serialize};

use crate::cluster::membership::member_of;
use crate::config::AgentConfig;
use crate::consensus::{Raft, StateMachine};
use crate::job::schedule::Schedule;
use crate::job::validate::{validate_job, validate_name};
use crate::model::{AgentInfo, Execution, Health, Job, Member, NodeStatus, zero_time};
use crate::state::{
    Command, JobRecord, Launch, LaunchKind, LaunchOutcome, Reader, Rejection,
    Response as SmResponse, SkipReason,
};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How long a write may wait for a quorum before it is answered 503.
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a consistent read may wait for the leader's read index.
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Marks a response served from this node's copy without a leader's confirmation.
fn marked(mut resp: Response, consistent: bool) -> Response {
    if !consistent {
        resp.headers_mut().insert(
            HeaderName::from_static("x-belfry-stale"),
            HeaderValue::from_static("true"),
        );
    }
    resp
}

/// What the handlers share.
pub struct ApiContext {
    /// When this node saw the leader change (pruned to the last hour).
    pub leader_changes: Arc<std::sync::Mutex<std::collections::VecDeque<std::time::SystemTime>>>,
    /// Asks the agent to leave the cluster and stop (`POST /v1/leave`).
    pub leave: tokio::sync::mpsc::UnboundedSender<()>,
    pub raft: Raft,
    pub membership: crate::cluster::membership::Membership,
    pub rpc: crate::transport::rpc::RpcClient,
    pub state: StateMachine,
    pub worker: crate::node::worker::Worker,
    pub config: AgentConfig,
    pub node_id: u64,
    pub history_limit: u32,
    /// ACL checks and the audit log for this node's API.
    pub guard: Arc<crate::api::guard::Guard>,
}

type Ctx = State<Arc<ApiContext>>;

/// An API failure: status and a plain-text reason.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl ApiError {
    fn bad_request(msg: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, msg.into())
    }
    fn unavailable(msg: impl Into<String>) -> Self {
        ApiError(StatusCode::SERVICE_UNAVAILABLE, msg.into())
    }
    fn internal(msg: impl std::fmt::Display) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, msg.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.0,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.1,
        )
            .into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).expect("API values serialise");
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

fn with_total(mut resp: Response, total: usize) -> Response {
    resp.headers_mut().insert(
        HeaderName::from_static("x-total-count"),
        HeaderValue::from(total),
    );
    resp
}

/// Every public route of a server, as (method, path). The router is built from this table
/// alone, and a test checks that `docs/openapi.yaml` documents exactly these: a route added
/// here without its documentation fails `cargo test`, and a route cannot be served without
/// being listed here.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/v1"),
    ("GET", "/v1/"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/v1/members"),
    ("GET", "/v1/members/"),
    ("GET", "/v1/leader"),
    ("GET", "/v1/isleader"),
    ("POST", "/v1/leave"),
    ("GET", "/v1/busy"),
    ("GET", "/v1/busy/"),
    ("GET", "/v1/pause"),
    ("POST", "/v1/pause"),
    ("POST", "/v1/unpause"),
    ("GET", "/v1/stats"),
    ("POST", "/v1/restore"),
    ("GET", "/v1/jobs"),
    ("POST", "/v1/jobs"),
    ("PATCH", "/v1/jobs"),
    ("GET", "/v1/jobs/"),
    ("POST", "/v1/jobs/"),
    ("GET", "/v1/jobs/{name}"),
    ("POST", "/v1/jobs/{name}"),
    ("PUT", "/v1/jobs/{name}"),
    ("DELETE", "/v1/jobs/{name}"),
    ("POST", "/v1/jobs/{name}/run"),
    ("POST", "/v1/jobs/{name}/toggle"),
    ("GET", "/v1/jobs/{name}/executions"),
    ("DELETE", "/v1/jobs/{name}/executions"),
    ("GET", "/v1/jobs/{name}/executions/"),
    ("GET", "/v1/jobs/{name}/executions/{id}"),
    ("GET", "/v1/operator/raft/peers"),
    ("POST", "/v1/operator/raft/remove-peer/{node}"),
    ("POST", "/v1/operator/raft/transfer-leadership"),
    ("GET", "/v1/operator/health"),
    ("POST", "/v1/operator/join"),
    ("POST", "/v1/operator/force-leave/{node}"),
    ("POST", "/v1/operator/demote/{node}"),
    ("POST", "/v1/operator/promote/{node}"),
    ("GET", "/v1/operator/snapshot"),
    ("POST", "/v1/operator/restore"),
    ("GET", "/v1/node/stats"),
    ("POST", "/v1/acl/bootstrap"),
    ("GET", "/v1/acl/token/self"),
    ("GET", "/v1/acl/roles"),
    ("GET", "/v1/acl/tokens"),
    ("POST", "/v1/acl/tokens"),
    ("DELETE", "/v1/acl/tokens/{accessor}"),
];

/// Entries of [`ROUTES`] served by a router of their own (merged in [`router`]).
const SERVED_APART: &[(&str, &str)] = &[("GET", crate::node::node_stats::PATH)];

/// The handler of one entry of [`ROUTES`], for that method only.
fn endpoint(method: &str, path: &str) -> MethodRouter<Arc<ApiContext>> {
    let m = match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        other => panic!("api::ROUTES: unsupported method {other} for {path}"),
    };
    match (method, path) {
        ("GET", "/health") => on(m, health),
        ("GET", "/metrics") => on(m, metrics::serve),
        ("GET", "/v1" | "/v1/") => on(m, status),
        ("GET", "/v1/openapi.json") => on(m, crate::api::openapi::serve),
        ("GET", "/v1/members" | "/v1/members/") => on(m, members),
        ("GET", "/v1/leader") => on(m, leader),
        ("GET", "/v1/isleader") => on(m, is_leader),
        ("POST", "/v1/leave") => on(m, leave),
        ("GET", "/v1/busy" | "/v1/busy/") => on(m, busy),
        ("GET", "/v1/pause") => on(m, pause_state),
        ("POST", "/v1/pause") => on(m, pause),
        ("POST", "/v1/unpause") => on(m, unpause),
        ("GET", "/v1/stats") => on(m, stats),
        ("POST", "/v1/restore") => on(m, restore),
        ("DELETE", "/v1/jobs/{name}/executions") => on(m, delete_executions),
        ("GET", "/v1/operator/snapshot") => on(m, snapshot_save),
        // A whole state snapshot is larger than the default 2 MiB body limit.
        ("POST", "/v1/operator/restore") => {
            // The handler streams the body to disk under its own cap (`--restore-limit`).
            on(m, snapshot_restore).layer(axum::extract::DefaultBodyLimit::disable())
        }
        ("GET", "/v1/jobs" | "/v1/jobs/") => on(m, list_jobs),
        // Dkron's one create-or-replace handler behind three methods.
        ("POST", "/v1/jobs" | "/v1/jobs/") | ("PATCH", "/v1/jobs") | ("PUT", "/v1/jobs/{name}") => {
            on(m, upsert_job)
        }
        ("GET", "/v1/jobs/{name}") => on(m, show_job),
        ("POST", "/v1/jobs/{name}" | "/v1/jobs/{name}/run") => on(m, run_job),
        ("DELETE", "/v1/jobs/{name}") => on(m, delete_job),
        ("POST", "/v1/jobs/{name}/toggle") => on(m, toggle_job),
        ("GET", "/v1/jobs/{name}/executions" | "/v1/jobs/{name}/executions/") => {
            on(m, list_executions)
        }
        ("GET", "/v1/jobs/{name}/executions/{id}") => on(m, show_execution),
        ("GET", "/v1/operator/raft/peers") => on(m, raft_peers),
        ("POST", "/v1/operator/raft/remove-peer/{node}") => on(m, remove_peer),
        ("POST", "/v1/operator/raft/transfer-leadership") => on(m, transfer_leadership),
        ("GET", "/v1/operator/health") => on(m, cluster_health),
        ("POST", "/v1/operator/join") => on(m, join),
        ("POST", "/v1/operator/force-leave/{node}") => on(m, force_leave),
        ("POST", "/v1/operator/demote/{node}") => on(m, demote),
        ("POST", "/v1/operator/promote/{node}") => on(m, promote),
        ("POST", "/v1/acl/bootstrap") => on(m, acl_bootstrap),
        ("GET", "/v1/acl/token/self") => on(m, acl_token_self),
        ("GET", "/v1/acl/roles") => on(m, acl_roles),
        ("GET", "/v1/acl/tokens") => on(m, acl_list_tokens),
        ("POST", "/v1/acl/tokens") => on(m, acl_create_token),
        ("DELETE", "/v1/acl/tokens/{accessor}") => on(m, acl_delete_token),
        _ => panic!("api::ROUTES lists {method} {path}, which has no handler in api::endpoint"),
    }
}

/// The routes of [`ROUTES`], before the state is attached.
pub(crate) fn routes() -> Router<Arc<ApiContext>> {
    let mut by_path: BTreeMap<&str, MethodRouter<Arc<ApiContext>>> = BTreeMap::new();
    for &(method, path) in ROUTES {
        if SERVED_APART.contains(&(method, path)) {
            continue;
        }
        let handler = endpoint(method, path);
        let merged = match by_path.remove(path) {
            Some(others) => others.merge(handler),
            None => handler,
        };
        by_path.insert(path, merged);
    }
    by_path
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            router.route(path, handler)
        })
}

pub fn router(ctx: Arc<ApiContext>) -> Router {
    let node_name = ctx.config.node_name.clone();
    let gate = axum::middleware::from_fn_with_state(ctx.guard.clone(), crate::api::guard::gate);
    let router = routes()
        .merge(crate::node::node_stats::routes(
            &ctx.config.node_name,
            &ctx.config.data_dir,
        ))
        .route_layer(gate)
        .fallback(no_route)
        .with_state(ctx);
    with_dkron_layers(router, &node_name)
}

/// A path no route serves: gin's answer, as Dkron gives it. Its body tells it apart from a
/// handler's 404 for a missing job (empty, as in Dkron).
async fn no_route() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "404 page not found".into())
}

/// What every Dkron response has: `?pretty` and `X-Whom`. (CORS is opt-in, per origin: see
/// [`crate::api::browser_guard`].)
fn with_dkron_layers(router: Router, node_name: &str) -> Router {
    let whom = HeaderValue::from_str(node_name).unwrap_or(HeaderValue::from_static("belfry"));
    router
        .layer(axum::middleware::from_fn(pretty_json))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let whom = whom.clone();
                async move {
                    let mut resp = next.run(req).await;
                    resp.headers_mut()
                        .insert(HeaderName::from_static("x-whom"), whom);
                    resp
                }
            },
        ))
}

/// serf-style counters for `GET /v1`, from what gossip knows.
fn serf_stats(
    membership: &crate::cluster::membership::Membership,
    encrypted: bool,
) -> BTreeMap<String, String> {
    use crate::cluster::membership::MemberStatus;
    let members = membership.members();
    let count = |s: MemberStatus| members.iter().filter(|m| m.status == s).count();
    let mut serf = BTreeMap::new();
    serf.insert("members".to_string(), members.len().to_string());
    serf.insert(
        "failed".to_string(),
        count(MemberStatus::Failed).to_string(),
    );
    serf.insert("left".to_string(), count(MemberStatus::Left).to_string());
    serf.insert("encrypted".to_string(), encrypted.to_string());
    serf
}

/// `GET /v1/members`: every member gossip knows, by name, with `X-Total-Count`.
fn members_response(membership: &crate::cluster::membership::Membership) -> Response {
    let mut list: Vec<Member> = membership.members().iter().map(member_of).collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    let total = list.len();
    with_total(json(StatusCode::OK, &list), total)
}

/// `?pretty` (any value) indents JSON responses, as in Dkron.
async fn pretty_json(req: Request, next: Next) -> Response {
    let pretty = req.uri().query().is_some_and(|q| {
        q.split('&')
            .any(|kv| kv == "pretty" || kv.starts_with("pretty="))
    });
    let resp = next.run(req).await;
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !pretty || !is_json {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v) => serde_json::to_vec_pretty(&v).unwrap_or_else(|_| bytes.to_vec()),
        Err(_) => bytes.to_vec(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

impl ApiContext {
    /// Leads, and a quorum has acknowledged it recently: a server restarted from an old
    /// leadership does not claim it before the cluster has confirmed it.
    fn is_leader(&self) -> bool {
        use openraft::Instant as _;
        let m = self.raft.metrics().borrow_watched().clone();
        // A single voter is its own quorum; with peers, their acknowledgement must be fresh.
        let alone = m.membership_config.membership().voter_ids().count() <= 1;
        m.current_leader == Some(self.node_id)
            && (alone
                || m.last_quorum_acked
                    .as_ref()
                    .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1)))
    }

    /// Waits until this node's state reflects every write committed before the call, unless
    /// the client asked for a stale read.
    /// Brings this node's copy up to date for a consistent read. Returns false when the read
    /// is stale: asked for (`?stale`), or no leader with a quorum could vouch for it within
    /// [`READ_TIMEOUT`] — the read is then served from this node's copy and marked stale
    /// rather than refused, so an operator can still see the state during an outage.
    async fn sync_read(&self, stale: bool) -> bool {
        if stale {
            return false;
        }
        match tokio::time::timeout(READ_TIMEOUT, self.read_index_applied()).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::debug!("serving a stale read: {e}");
                false
            }
            Err(_) => false,
        }
    }

    async fn read_index_applied(&self) -> Result<(), String> {
        let (leader, leader_addr) = self.leader();
        let index = match leader {
            Some(id) if id == self.node_id => {
                return self
                    .raft
                    .ensure_linearizable(ReadPolicy::ReadIndex)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string());
            }
            Some(id) => {
                let addr = leader_addr.ok_or("leader address unknown")?;
                self.rpc
                    .call(
                        &addr,
                        &crate::transport::rpc::Peer::id(id),
                        &crate::consensus::ReadIndex {},
                    )
                    .await
                    .map_err(|e| e.to_string())??
            }
            None => return Err("no leader".into()),
        };
        // Read locally once this node has applied everything the leader had committed.
        self.raft
            .wait(Some(READ_TIMEOUT))
            .applied_index_at_least(Some(index), "consistent read")
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The current leader's id and RPC address, as this node knows them.
    fn leader(&self) -> (Option<u64>, Option<String>) {
        let m = self.raft.metrics().borrow_watched().clone();
        let addr = m.current_leader.and_then(|id| {
            m.membership_config
                .membership()
                .get_node(&id)
                .map(|n| n.rpc_addr.clone())
        });
        (m.current_leader, addr)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Reader) -> Result<T, crate::state::StateError>,
    ) -> ApiResult<T> {
        self.state.read(f).map_err(ApiError::internal)
    }

    /// Commits a command: here if this node leads, otherwise through the leader.
    async fn write(&self, command: Command) -> ApiResult<SmResponse> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.write_now(command)).await {
            Ok(result) => result,
            Err(_) => Err(ApiError::unavailable(format!(
                "quorum lost: the write was not committed within {}s (no leader with a quorum of servers); it may still take effect if the quorum returns",
                WRITE_TIMEOUT.as_secs()
            ))),
        }
    }

    async fn write_now(&self, command: Command) -> ApiResult<SmResponse> {
        let unavailable = |e: String| {
            ApiError::unavailable(format!("quorum lost: the write was not committed: {e}"))
        };
        crate::consensus::commit(&self.raft, &self.rpc, command)
            .await
            .map_err(unavailable)
    }

    fn member(&self, m: &crate::cluster::membership::MemberState) -> Member {
        member_of(m)
    }

    fn me(&self) -> Member {
        let me = self
            .membership
            .members()
            .into_iter()
            .find(|m| m.meta.name == self.config.node_name);
        match me {
            Some(m) => self.member(&m),
            None => self.member(&crate::cluster::membership::MemberState {
                meta: self.membership.local(),
                status: crate::cluster::membership::MemberStatus::Alive,
                since: std::time::SystemTime::now(),
            }),
        }
    }

    /// The job as clients see it: with `next` computed from the schedule and the ledger.
    fn present(&self, record: JobRecord) -> Job {
        let cursor = record.cursor();
        let mut job = record.job;
        job.id = job.name.clone();
        job.next = zero_time();
        if job.disabled || job.schedule.is_empty() {
            return job;
        }
        if let Ok(schedule) = Schedule::parse(&job.schedule, Some(&job.timezone), &job.name) {
            // A tick the ledger has not reached but whose time is long past is not shown as
            // next: the scheduler is about to launch or record it.
            let now = Utc::now() - chrono::Duration::seconds(1);
            if let Some(next) = schedule.next_fire(
                cursor.max(now),
                record.anchor,
                job.starts_at,
                job.expires_at,
            ) {
                job.next = next;
            }
        }
        job
    }
}

#[derive(serde::Deserialize, Default)]
struct ReadParams {
    stale: Option<String>,
}

impl ReadParams {
    fn stale(&self) -> bool {
        self.stale.as_deref().is_some_and(|v| v != "false")
    }
}

/// `GET /health`: 200 while this node works; 503 with the reason once its Raft has stopped
/// (a fatal storage error, or shut down), since such a server can neither write nor follow.
async fn health(State(ctx): Ctx) -> Response {
    let mut issues = Vec::new();
    if ctx.config.server {
        let m = ctx.raft.metrics().borrow_watched().clone();
        if let Err(fatal) = &m.running_state {
            issues.push(format!("raft has stopped: {fatal}"));
        } else if m.state == openraft::ServerState::Shutdown {
            issues.push("raft has stopped".to_string());
        }
    }
    let healthy = issues.is_empty();
    let health = Health {
        status: if healthy { "healthy" } else { "unhealthy" }.into(),
        leader: ctx.config.server.then(|| ctx.is_leader()),
        issues,
    };
    let code = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(code, &health)
}

async fn status(State(ctx): Ctx) -> Response {
    let metrics = ctx.raft.metrics().borrow_watched().clone();
    let mut serf = serf_stats(&ctx.membership, ctx.config.encrypt.is_some());
    serf.insert("raft_state".to_string(), format!("{:?}", metrics.state));
    serf.insert("raft_term".to_string(), metrics.current_term.to_string());
    serf.insert(
        "raft_last_applied".to_string(),
        metrics
            .last_applied
            .map(|l| l.index)
            .unwrap_or(0)
            .to_string(),
    );
    let status = NodeStatus {
        agent: AgentInfo {
            name: ctx.config.node_name.clone(),
            version: VERSION.into(),
        },
        serf,
        tags: ctx.me().tags,
    };
    json(StatusCode::OK, &status)
}

async fn members(State(ctx): Ctx) -> Response {
    members_response(&ctx.membership)
}

async fn leader(State(ctx): Ctx) -> ApiResult<Response> {
    let m = ctx.raft.metrics().borrow_watched().clone();
    let name = m.current_leader.and_then(|id| {
        m.membership_config
            .membership()
            .get_node(&id)
            .map(|n| n.name.clone())
    });
    let Some(name) = name else {
        return Err(ApiError::unavailable("no leader is known to this node"));
    };
    let member = ctx
        .membership
        .members()
        .into_iter()
        .find(|s| s.meta.name == name);
    match member {
        Some(s) => {
            // Dkron prints the bare serf member here, without id and statusText.
            let mut m = ctx.member(&s);
            m.id = None;
            m.status_text = None;
            Ok(json(StatusCode::OK, &m))
        }
        None => Err(ApiError::unavailable(format!(
            "leader {name} is not known to gossip yet"
        ))),
    }
}

#[derive(Serialize, serde::Deserialize)]
pub(crate) struct OperatorReply {
    pub(crate) message: String,
}

/// Runs an operator action on the leader (here, or forwarded).
async fn operate(
    ctx: &ApiContext,
    action: crate::cluster::operator::OperatorAction,
) -> ApiResult<Response> {
    use crate::cluster::operator::{OperatorError, execute};
    let (leader, addr) = ctx.leader();
    let result = match leader {
        Some(id) if id == ctx.node_id => execute(&ctx.raft, &ctx.membership, action).await,
        Some(id) => {
            let addr =
                addr.ok_or_else(|| ApiError::unavailable("the leader's address is unknown"))?;
            ctx.rpc
                .call(&addr, &crate::transport::rpc::Peer::id(id), &action)
                .await
                .map_err(|e| ApiError::unavailable(e.to_string()))?
        }
        None => return Err(ApiError::unavailable("no leader is known to this node")),
    };
    match result {
        Ok(message) => Ok(json(StatusCode::OK, &OperatorReply { message })),
        Err(OperatorError::NotFound(m)) => Err(ApiError(StatusCode::NOT_FOUND, m)),
        Err(OperatorError::Refused(m)) => Err(ApiError(StatusCode::CONFLICT, m)),
        Err(OperatorError::Unavailable(m)) => Err(ApiError::unavailable(m)),
    }
}

async fn remove_peer(
    State(ctx): Ctx,
    Path(node): Path<String>,
    Query(p): Query<DemoteParams>,
) -> ApiResult<Response> {
    let force = p.force.as_deref().is_some_and(|f| f != "false");
    operate(
        &ctx,
        crate::cluster::operator::OperatorAction::RemovePeer { node, force },
    )
    .await
}

async fn force_leave(State(ctx): Ctx, Path(node): Path<String>) -> ApiResult<Response> {
    operate(
        &ctx,
        crate::cluster::operator::OperatorAction::ForceLeave { node },
    )
    .await
}

#[derive(serde::Deserialize, Default)]
struct DemoteParams {
    force: Option<String>,
}

/// The node's RPC address, as gossip knows it.
fn rpc_addr_of(ctx: &ApiContext, node: &str) -> ApiResult<String> {
    ctx.membership
        .members()
        .into_iter()
        .find(|m| m.meta.name == node)
        .map(|m| m.meta.rpc_addr.to_string())
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no member named {node}")))
}

fn operator_reply(
    result: Result<
        Result<String, crate::cluster::operator::OperatorError>,
        crate::transport::rpc::RpcError,
    >,
) -> ApiResult<Response> {
    use crate::cluster::operator::OperatorError;
    match result.map_err(|e| ApiError::unavailable(e.to_string()))? {
        Ok(message) => Ok(json(StatusCode::OK, &OperatorReply { message })),
        Err(OperatorError::NotFound(m)) => Err(ApiError(StatusCode::NOT_FOUND, m)),
        Err(OperatorError::Refused(m)) => Err(ApiError(StatusCode::CONFLICT, m)),
        Err(OperatorError::Unavailable(m)) => Err(ApiError::unavailable(m)),
    }
}

/// Turns a running server into an agent; the server itself carries it out.
async fn demote(
    State(ctx): Ctx,
    Path(node): Path<String>,
    Query(p): Query<DemoteParams>,
) -> ApiResult<Response> {
    let addr = rpc_addr_of(&ctx, &node)?;
    if role_of(&ctx, &node) == Some(crate::cluster::membership::Role::Agent) {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("{node} is an agent, not a server: only a server can be demoted"),
        ));
    }
    let force = p.force.as_deref().is_some_and(|f| f != "false");
    let target = crate::transport::rpc::Peer::named(node);
    operator_reply(
        ctx.rpc
            .call(&addr, &target, &crate::cluster::operator::Demote { force })
            .await,
    )
}

/// The node's role (server or agent), as gossip knows it.
fn role_of(ctx: &ApiContext, node: &str) -> Option<crate::cluster::membership::Role> {
    ctx.membership
        .members()
        .into_iter()
        .find(|m| m.meta.name == node)
        .map(|m| m.meta.role)
}

/// Turns a demoted server back into a server.
async fn promote(State(ctx): Ctx, Path(node): Path<String>) -> ApiResult<Response> {
    let addr = rpc_addr_of(&ctx, &node)?;
    if role_of(&ctx, &node) == Some(crate::cluster::membership::Role::Server) {
        return Err(ApiError(
            StatusCode::CONFLICT,
            format!("{node} is already a server: only a demoted server can be promoted"),
        ));
    }
    let target = crate::transport::rpc::Peer::named(node);
    operator_reply(
        ctx.rpc
            .call(&addr, &target, &crate::cluster::operator::Promote {})
            .await,
    )
}

#[derive(serde::Deserialize, Default)]
struct TransferParams {
    to: Option<String>,
}

async fn transfer_leadership(
    State(ctx): Ctx,
    Query(p): Query<TransferParams>,
) -> ApiResult<Response> {
    operate(
        &ctx,
        crate::cluster::operator::OperatorAction::TransferLeadership { to: p.to },
    )
    .await
}

#[derive(serde::Deserialize)]
struct JoinRequest {
    addrs: Vec<String>,
}

/// `belfry join`: this node joins the gossip cluster through the given addresses.
async fn join_through(
    membership: &crate::cluster::membership::Membership,
    body: &[u8],
) -> ApiResult<Response> {
    let req: JoinRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Unable to parse payload: {e}.")))?;
    let mut targets = Vec::new();
    let local = membership.local().gossip_addr.ip();
    for a in &req.addrs {
        let found = match crate::cluster::discovery::join_target(a)
            .map_err(|e| ApiError::bad_request(format!("addrs: {e}")))?
        {
            crate::cluster::discovery::JoinTarget::Address(t) => {
                tokio::net::lookup_host(&t).await.map(Vec::from_iter)
            }
            crate::cluster::discovery::JoinTarget::Mdns(q) => {
                crate::cluster::discovery::mdns::discover(&q, local).await
            }
        };
        match found {
            Ok(found) => targets.extend(found),
            Err(e) => {
                return Err(ApiError::bad_request(format!(
                    "addrs: cannot resolve {a}: {e}"
                )));
            }
        }
    }
    let joined = membership
        .join(&targets, std::time::Duration::from_secs(5))
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    if joined == 0 {
        return Err(ApiError::unavailable(format!(
            "no node answered at {:?}",
            req.addrs
        )));
    }
    Ok(json(
        StatusCode::OK,
        &OperatorReply {
            message: format!("joined through {joined} node(s)"),
        },
    ))
}

async fn join(State(ctx): Ctx, body: Bytes) -> ApiResult<Response> {
    join_through(&ctx.membership, &body).await
}

async fn agent_join(State(ctx): AgentCtx, body: Bytes) -> ApiResult<Response> {
    join_through(&ctx.membership, &body).await
}

/// This node leaves the cluster and stops, gracefully.
async fn leave(State(ctx): Ctx) -> Response {
    let _ = ctx.leave.send(());
    json(
        StatusCode::OK,
        &OperatorReply {
            message: format!("{} is leaving the cluster", ctx.config.node_name),
        },
    )
}

/// Autopilot-style health. Computed by the leader (a follower asks it over RPC), since only the
/// leader knows each server's last contact and lag.
async fn cluster_health(State(ctx): Ctx, headers: axum::http::HeaderMap) -> ApiResult<Response> {
    let (leader, addr) = ctx.leader();
    if let (Some(id), Some(addr)) = (leader, addr)
        && id != ctx.node_id
    {
        let call = ApiCall {
            method: "GET".into(),
            uri: "/v1/operator/health".into(),
            content_type: None,
            body: String::new(),
            // The leader checks the caller's token again.
            token: crate::api::guard::request_token(&headers),
        };
        if let Ok(reply) = ctx
            .rpc
            .call(&addr, &crate::transport::rpc::Peer::id(id), &call)
            .await
        {
            let body = crate::transport::rpc::unb64(&reply.body).map_err(ApiError::internal)?;
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
            return Ok((
                status,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body,
            )
                .into_response());
        }
    }
    Ok(json(StatusCode::OK, &ctx.health()))
}

impl ApiContext {
    fn health(&self) -> crate::model::ClusterHealth {
        use crate::cluster::membership::MemberStatus;
        use openraft::Instant as _;
        let m = self.raft.metrics().borrow_watched().clone();
        let membership = m.membership_config.membership().clone();
        let voters: std::collections::BTreeSet<u64> = membership.voter_ids().collect();
        let gossip = self.membership.members();
        let is_leader = m.current_leader == Some(m.id);
        let last = m.last_log_index;
        let clock = crate::cluster::clock::discipline();
        let offsets = clock.offsets(&voters.iter().copied().collect::<Vec<_>>());
        let mut servers: Vec<crate::model::ServerHealth> = membership
            .nodes()
            .map(|(id, node)| {
                let g = gossip.iter().find(|g| g.meta.name == node.name);
                let alive = g.is_some_and(|g| g.status == MemberStatus::Alive);
                let (last_contact_ms, log_lag) = if Some(*id) == m.current_leader {
                    (Some(0), Some(0))
                } else if is_leader {
                    let contact = m
                        .heartbeat
                        .as_ref()
                        .and_then(|h| h.get(id).cloned().flatten())
                        .map(|t| t.elapsed().as_millis() as u64);
                    let matched = m
                        .replication
                        .as_ref()
                        .and_then(|r| r.get(id).cloned().flatten())
                        .map(|l| l.index);
                    (
                        contact,
                        last.zip(matched).map(|(l, mi)| l.saturating_sub(mi)),
                    )
                } else {
                    (None, None)
                };
                let healthy = alive
                    && last_contact_ms.is_some_and(|c| c <= 200)
                    && log_lag.is_some_and(|l| l <= 250);
                crate::model::ServerHealth {
                    node: node.name.clone(),
                    id: format!("{id:016x}"),
                    leader: Some(*id) == m.current_leader,
                    voter: voters.contains(id),
                    alive,
                    last_contact_ms,
                    log_lag,
                    stable_since: g.map(|g| chrono::DateTime::<Utc>::from(g.since)),
                    healthy,
                    clock_offset_ms: offsets.get(id).copied(),
                }
            })
            .collect();
        servers.sort_by(|a, b| a.node.cmp(&b.node));
        let (quorum, _) = crate::model::deployment(voters.len());
        let healthy_voters = servers.iter().filter(|s| s.voter && s.healthy).count();
        let failure_tolerance = healthy_voters.saturating_sub(quorum);
        let (elections_last_hour, leader_since) = {
            let mut changes = self.leader_changes.lock().expect("leader changes lock");
            let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
            // The newest change stays, however old: it says since when the leader leads.
            while changes.len() > 1 && changes.front().is_some_and(|t| *t < hour_ago) {
                changes.pop_front();
            }
            (
                changes.iter().filter(|t| **t >= hour_ago).count(),
                changes.back().map(|t| chrono::DateTime::<Utc>::from(*t)),
            )
        };
        let mut warnings = Vec::new();
        if voters.len() < 3 {
            warnings.push(format!(
                "only {} server(s): losing one loses the cluster's data or availability; run 3 or 5",
                voters.len()
            ));
        }
        if m.current_leader.is_some() && failure_tolerance == 0 && voters.len() >= 3 {
            warnings.push("failure tolerance is 0: one more failure stops the cluster".into());
        }
        if elections_last_hour > 3 {
            warnings.push(format!(
                "{elections_last_hour} leader elections in the last hour: leadership is not stable"
            ));
        }
        for s in &servers {
            if let Some(offset) = s
                .clock_offset_ms
                .filter(|o| o.unsigned_abs() > clock.bound_ms())
            {
                warnings.push(format!(
                    "{}'s clock is {} from the voters' median, beyond --max-clock-offset ({} ms): it neither leads nor stands for election while another voter is within bounds; check its time synchronisation (NTP)",
                    s.node,
                    crate::cluster::clock::signed_ms(offset),
                    clock.bound_ms()
                ));
            }
        }
        for id in clock.stale_peers() {
            let name = membership
                .get_node(&id)
                .map(|n| n.name.clone())
                .unwrap_or_else(|| format!("{id:016x}"));
            warnings.push(format!(
                "{name}'s clock is more than {} s from {}'s: the internal RPC refuses calls between them as stale, so {name} cannot take part; check its time synchronisation (NTP)",
                crate::transport::seal::MAX_SKEW_SECS,
                self.config.node_name
            ));
        }
        // This node's own backlog, and the others' as their gossip tag `backlog` says.
        let mut launch_backlog = std::collections::BTreeMap::new();
        for g in &gossip {
            if g.status != MemberStatus::Alive {
                continue;
            }
            if let Some(n) = g
                .meta
                .tags
                .get(crate::node::runner::BACKLOG_TAG)
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|n| *n > 0)
            {
                launch_backlog.insert(g.meta.name.clone(), n);
            }
        }
        let own = self.worker.runner().launch_backlog() as u64;
        if own > 0 {
            launch_backlog.insert(self.config.node_name.clone(), own);
        } else {
            launch_backlog.remove(&self.config.node_name);
        }
        for (node, n) in &launch_backlog {
            warnings.push(format!(
                "node {node}: {n} launches waiting for a slot (--max-parallel): its jobs start late"
            ));
        }
        crate::model::ClusterHealth {
            healthy: m.current_leader.is_some() && healthy_voters >= quorum,
            leader: m
                .current_leader
                .and_then(|id| membership.get_node(&id).map(|n| n.name.clone())),
            voters: voters.len(),
            healthy_voters,
            quorum,
            failure_tolerance,
            elections_last_hour,
            servers,
            warnings,
            term: Some(m.current_term),
            leader_since: m.current_leader.and(leader_since),
            max_clock_offset_ms: Some(clock.bound_ms()),
            launch_backlog,
        }
    }
}

/// The Raft configuration, with replication progress when this node leads.
async fn raft_peers(State(ctx): Ctx) -> Response {
    let m = ctx.raft.metrics().borrow_watched().clone();
    let membership = m.membership_config.membership().clone();
    let voters: std::collections::BTreeSet<u64> = membership.voter_ids().collect();
    let last = m.last_log_index;
    let replication = m.replication.clone();
    let mut servers: Vec<crate::model::RaftPeer> = membership
        .nodes()
        .map(|(id, node)| {
            let match_index = if Some(*id) == m.current_leader && *id == m.id {
                last
            } else {
                replication
                    .as_ref()
                    .and_then(|r| r.get(id).cloned().flatten())
                    .map(|l| l.index)
            };
            crate::model::RaftPeer {
                node: node.name.clone(),
                id: format!("{id:016x}"),
                address: node.rpc_addr.clone(),
                state: if Some(*id) == m.current_leader {
                    "leader".into()
                } else if voters.contains(id) {
                    "follower".into()
                } else {
                    "learner".into()
                },
                voter: voters.contains(id),
                match_index,
                lag: match (last, match_index) {
                    (Some(l), Some(mi)) => Some(l.saturating_sub(mi)),
                    _ => None,
                },
            }
        })
        .collect();
    servers.sort_by(|a, b| a.node.cmp(&b.node));
    json(
        StatusCode::OK,
        &crate::model::RaftPeers {
            term: m.current_term,
            commit_index: m.local_committed.map(|l| l.index),
            last_log_index: last,
            servers,
        },
    )
}

async fn is_leader(State(ctx): Ctx) -> Response {
    if ctx.is_leader() {
        json(StatusCode::OK, &"I am a leader")
    } else {
        json(StatusCode::NOT_FOUND, &"I am a follower")
    }
}

/// The query of a list request, as pairs (a key may repeat: `metadata[k]=v`).
fn query_pairs(query: Option<&str>) -> ApiResult<Vec<(String, String)>> {
    serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))
}

fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `_start`/`_end` (react-admin's slice), applied after filtering and sorting.
fn slice_bounds(pairs: &[(String, String)], len: usize) -> ApiResult<(usize, usize)> {
    let index = |key: &str| -> ApiResult<Option<usize>> {
        match query_value(pairs, key) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("{key}={v:?} is not a non-negative integer"))
            }),
        }
    };
    let start = index("_start")?.unwrap_or(0).min(len);
    let end = index("_end")?.unwrap_or(len).clamp(start, len);
    Ok((start, end))
}

fn descending(pairs: &[(String, String)], default_desc: bool) -> ApiResult<bool> {
    match query_value(pairs, "_order") {
        None | Some("") => Ok(default_desc),
        Some(o) if o.eq_ignore_ascii_case("asc") => Ok(false),
        Some(o) if o.eq_ignore_ascii_case("desc") => Ok(true),
        Some(o) => Err(ApiError::bad_request(format!(
            "_order={o:?} is not ASC or DESC"
        ))),
    }
}

/// `GET /v1/jobs`: Dkron's filters (`metadata[k]=v`, `q`, `status`, `disabled`), sort
/// (`_sort`, `_order`) and slice (`_start`, `_end`); `X-Total-Count` counts before slicing.
async fn list_jobs(State(ctx): Ctx, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let pairs = query_pairs(query.as_deref())?;
    let stale = ReadParams {
        stale: query_value(&pairs, "stale").map(String::from),
    };
    let consistent = ctx.sync_read(stale.stale()).await;
    let records = ctx.read(|r| r.jobs())?;
    let mut jobs: Vec<Job> = records.into_iter().map(|r| ctx.present(r)).collect();

    let metadata: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k, v.as_str()))
        })
        .collect();
    let q = query_value(&pairs, "q").filter(|q| !q.is_empty());
    let status = match query_value(&pairs, "status") {
        None | Some("") => None,
        Some("untriggered") => Some(""),
        Some(s @ ("success" | "failed" | "partially_failed")) => Some(s),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "status={other:?} is not success, failed, partially_failed or untriggered"
            )));
        }
    };
    let disabled = match query_value(&pairs, "disabled") {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "disabled={other:?} is not true or false"
            )));
        }
    };
    jobs.retain(|j| {
        metadata
            .iter()
            .all(|(k, v)| j.metadata.get(*k).is_some_and(|m| m == v))
            && q.is_none_or(|q| j.name.contains(q) || j.displayname.contains(q))
            && status.is_none_or(|s| j.status == s)
            && disabled.is_none_or(|d| j.disabled == d)
    });
    let sort = query_value(&pairs, "_sort")
        .filter(|s| !s.is_empty())
        .unwrap_or("id");
    match sort {
        "id" | "name" => jobs.sort_by(|a, b| a.name.cmp(&b.name)),
        "displayname" => jobs.sort_by(|a, b| a.displayname.cmp(&b.displayname)),
        "schedule" => jobs.sort_by(|a, b| a.schedule.cmp(&b.schedule)),
        "success_count" => jobs.sort_by_key(|j| j.success_count),
        "error_count" => jobs.sort_by_key(|j| j.error_count),
        "last_success" => jobs.sort_by_key(|j| j.last_success),
        "last_error" => jobs.sort_by_key(|j| j.last_error),
        "next" => jobs.sort_by_key(|j| j.next),
        other => {
            return Err(ApiError::bad_request(format!(
                "_sort={other:?} is not one of id, name, displayname, schedule, success_count, error_count, last_success, last_error, next"
            )));
        }
    }
    if descending(&pairs, false)? {
        jobs.reverse();
    }
    let total = jobs.len();
    let (start, end) = slice_bounds(&pairs, total)?;
    let page = &jobs[start..end];
    Ok(marked(
        with_total(json(StatusCode::OK, &page), total),
        consistent,
    ))
}

fn not_found() -> ApiError {
    // Dkron answers an unknown job with 404 and an empty body.
    ApiError(StatusCode::NOT_FOUND, String::new())
}

fn checked_name(name: &str) -> ApiResult<()> {
    validate_name(name).map_err(|_| not_found())
}

async fn show_job(
    State(ctx): Ctx,
    Path(name): Path<String>,
    Query(params): Query<ReadParams>,
) -> ApiResult<Response> {
    checked_name(&name)?;
    let consistent = ctx.sync_read(params.stale()).await;
    let record = ctx.read(|r| r.job(&name))?.ok_or_else(not_found)?;
    Ok(marked(
        json(StatusCode::OK, &ctx.present(record)),
        consistent,
    ))
}

fn rejection(r: Rejection) -> ApiError {
    match r {
        Rejection::JobNotFound(_) => not_found(),
        Rejection::ParentNotFound(_) => ApiError(StatusCode::NOT_FOUND, r.to_string()),
        Rejection::Invalid(_) => ApiError::bad_request(format!("Job validation failed: {r}.")),
        Rejection::HasDependents { .. } | Rejection::AclBootstrapped => {
            ApiError(StatusCode::CONFLICT, r.to_string())
        }
        Rejection::TokenNotFound(_) => ApiError(StatusCode::NOT_FOUND, r.to_string()),
    }
}

async fn upsert_job(State(ctx): Ctx, uri: axum::http::Uri, body: Bytes) -> ApiResult<Response> {
    if ctx.read(|r| r.paused())? {
        return Err(ApiError::unavailable(
            "New job submissions are currently paused",
        ));
    }
    let mut job: Job = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Unable to parse payload: {e}.")))?;
    if job.concurrency.is_empty() {
        job.concurrency = crate::model::CONCURRENCY_ALLOW.into();
    }
    job.id = job.name.clone();
    validate_job(&job)
        .map_err(|e| ApiError::bad_request(format!("Job validation failed: {e}.")))?;
    let run_on_create = uri.query().is_some_and(|q| {
        q.split('&')
            .any(|kv| kv == "runoncreate" || kv.starts_with("runoncreate="))
    });
    match ctx
        .write(Command::SetJob {
            job: Box::new(job.clone()),
            at: Utc::now(),
        })
        .await?
    {
        SmResponse::Job(_) => {}
        SmResponse::Rejected(r) => return Err(rejection(r)),
        other => return Err(ApiError::internal(format!("unexpected response {other:?}"))),
    }
    if run_on_create {
        let ctx = ctx.clone();
        let name = job.name.clone();
        tokio::spawn(async move {
            if let Err(e) = launch_manual(&ctx, &name, false).await {
                tracing::warn!(job = %name, "runoncreate failed: {}", e.1);
            }
        });
    }
    let location = format!("{}/{}", uri.path().trim_end_matches('/'), job.name);
    let mut resp = json(StatusCode::CREATED, &job);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

async fn delete_job(State(ctx): Ctx, Path(name): Path<String>) -> ApiResult<Response> {
    // Any stored name can be deleted, even one stored before names were checked on every
    // path (a restore of old): the state machine only looks it up.
    if name.is_empty() || name.len() > 1024 {
        return Err(not_found());
    }
    match ctx.write(Command::DeleteJob { name }).await? {
        SmResponse::Job(job) => Ok(json(StatusCode::OK, &*job)),
        SmResponse::Rejected(r) => Err(rejection(r)),
        other => Err(ApiError::internal(format!("unexpected response {other:?}"))),
    }
}

/// Dkron answers run and toggle with `Location` set to the request URI; its clients read it.
fn with_location(mut response: Response, uri: &axum::http::Uri) -> Response {
    if let Ok(value) = HeaderValue::from_str(&uri.to_string()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

async fn toggle_job(
    State(ctx): Ctx,
    OriginalUri(uri): OriginalUri,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    checked_name(&name)?;
    match ctx
        .write(Command::ToggleJob {
            name: name.clone(),
            at: Some(Utc::now()),
        })
        .await?
    {
        SmResponse::Job(_) => {
            let record = ctx.read(|r| r.job(&name))?.ok_or_else(not_found)?;
            Ok(with_location(
                json(StatusCode::OK, &ctx.present(record)),
                &uri,
            ))
        }
        SmResponse::Rejected(r) => Err(rejection(r)),
        other => Err(ApiError::internal(format!("unexpected response {other:?}"))),
    }
}

/// Records a manual launch on the job's target nodes (the leader dispatches it); resolves once
/// every execution it started has finished.
async fn launch_manual(ctx: &Arc<ApiContext>, name: &str, force: bool) -> ApiResult<()> {
    let record = ctx.read(|r| r.job(name))?.ok_or_else(not_found)?;
    let now = Utc::now();
    let members = crate::leader::dispatcher::candidates(&ctx.membership.members());
    let (nodes, no_target) =
        crate::leader::scheduler::target(&record.job, &ctx.config.region, now, &members);
    let launch = Launch {
        job: name.into(),
        scheduled_at: now,
        nodes,
        kind: LaunchKind::Manual,
        no_target,
        force,
    };
    let outcome = match ctx
        .write(Command::Launch {
            launches: vec![launch],
            history_limit: ctx.history_limit,
        })
        .await?
    {
        SmResponse::Launched(mut outcomes) if outcomes.len() == 1 => outcomes.remove(0),
        other => return Err(ApiError::internal(format!("unexpected response {other:?}"))),
    };
    match outcome {
        LaunchOutcome::Started(executions) => {
            // Wait for the results to land in this node's copy of the state.
            let ids: Vec<String> = executions.into_iter().map(|e| e.id).collect();
            loop {
                let running = ctx.read(|r| {
                    let mut any = false;
                    for id in &ids {
                        any |= r.execution(name, id)?.is_some_and(|e| e.is_running());
                    }
                    Ok(any)
                })?;
                if !running {
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        LaunchOutcome::Skipped {
            reason: SkipReason::StillRunning,
            ..
        } => Err(ApiError(
            StatusCode::CONFLICT,
            format!(
                "job {name:?} is still running and its concurrency is \"forbid\" (add ?force=true to run it anyway)"
            ),
        )),
        LaunchOutcome::Skipped {
            reason: SkipReason::JobNotFound,
            ..
        } => Err(not_found()),
        other => Err(ApiError::internal(format!(
            "unexpected launch outcome {other:?}"
        ))),
    }
}

#[derive(serde::Deserialize, Default)]
struct RunParams {
    force: Option<String>,
}

/// Manual run. Like Dkron, answers 200 with the job once the run has finished.
async fn run_job(
    State(ctx): Ctx,
    OriginalUri(uri): OriginalUri,
    Path(name): Path<String>,
    Query(params): Query<RunParams>,
) -> ApiResult<Response> {
    checked_name(&name)?;
    let force = matches!(params.force.as_deref(), Some("" | "true" | "1"));
    let before = ctx.read(|r| r.job(&name))?.ok_or_else(not_found)?;
    launch_manual(&ctx, &name, force).await?;
    // An ephemeral job is gone once it succeeded: answer with it as it was.
    let record = ctx.read(|r| r.job(&name))?.unwrap_or(before);
    Ok(with_location(
        json(StatusCode::OK, &ctx.present(record)),
        &uri,
    ))
}

/// `GET /v1/jobs/NAME/executions`: newest first by default; `_sort` (`id`/`started_at`,
/// `finished_at`, `attempt`), `_order`, and `_start`/`_end` (which Dkron ignores: Belfry
/// honours them); `output_size_limit` keeps the tail of each output.
async fn list_executions(
    State(ctx): Ctx,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    checked_name(&name)?;
    let pairs = query_pairs(query.as_deref())?;
    let output_size_limit = match query_value(&pairs, "output_size_limit") {
        None | Some("") => None,
        Some(v) => Some(v.parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!(
                "output_size_limit={v:?} is not a non-negative integer"
            ))
        })?),
    };
    let consistent = ctx
        .sync_read(
            ReadParams {
                stale: query_value(&pairs, "stale").map(String::from),
            }
            .stale(),
        )
        .await;
    let (exists, mut executions) =
        ctx.read(|r| Ok((r.job(&name)?.is_some(), r.executions(&name)?)))?;
    if !exists {
        return Err(not_found());
    }
    // Stored oldest first.
    match query_value(&pairs, "_sort").filter(|s| !s.is_empty()) {
        None => {}
        Some("id" | "started_at") => executions.sort_by_key(|e| e.started_at),
        Some("finished_at") => executions.sort_by_key(|e| e.finished_at),
        Some("attempt") => executions.sort_by_key(|e| e.attempt),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "_sort={other:?} is not one of id, started_at, finished_at, attempt"
            )));
        }
    }
    if descending(&pairs, true)? {
        executions.reverse();
    }
    let total = executions.len();
    let (start, end) = slice_bounds(&pairs, total)?;
    let mut executions: Vec<Execution> = executions.drain(start..end).collect();
    if let Some(limit) = output_size_limit {
        for e in &mut executions {
            if e.output.len() > limit {
                let mut cut = e.output.len() - limit;
                while !e.output.is_char_boundary(cut) {
                    cut += 1;
                }
                e.output = e.output[cut..].to_string();
                e.output_truncated = true;
            }
        }
    }
    Ok(marked(
        with_total(json(StatusCode::OK, &executions), total),
        consistent,
    ))
}

#[derive(serde::Serialize)]
struct Paused {
    paused: bool,
}

async fn pause_state(State(ctx): Ctx, Query(params): Query<ReadParams>) -> ApiResult<Response> {
    let consistent = ctx.sync_read(params.stale()).await;
    let paused = ctx.read(|r| r.paused())?;
    Ok(marked(json(StatusCode::OK, &Paused { paused }), consistent))
}

/// `POST /v1/pause`: new and changed jobs are refused (503) through every node until
/// `POST /v1/unpause`. Replicated and durable (Dkron's flag is per node and in memory).
async fn pause(State(ctx): Ctx) -> ApiResult<Response> {
    set_paused(&ctx, true).await
}

async fn unpause(State(ctx): Ctx) -> ApiResult<Response> {
    set_paused(&ctx, false).await
}

async fn set_paused(ctx: &Arc<ApiContext>, paused: bool) -> ApiResult<Response> {
    ctx.write(Command::SetPaused { paused }).await?;
    Ok(json(StatusCode::OK, &Paused { paused }))
}

#[derive(serde::Serialize)]
struct DayStatsOut {
    date: String,
    success_count: u64,
    failed_count: u64,
}

#[derive(serde::Serialize)]
struct StatsOut {
    stats: Vec<DayStatsOut>,
}

/// `GET /v1/stats?days=N`: executions finished per UTC day, oldest first, zero-filled
/// (default 30 days, at most 365).
async fn stats(State(ctx): Ctx, RawQuery(query): RawQuery) -> ApiResult<Response> {
    let pairs = query_pairs(query.as_deref())?;
    let days: i64 = match query_value(&pairs, "days") {
        None | Some("") => 30,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=365).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "days={v:?} is not a number of days from 1 to 365"
                )));
            }
        },
    };
    let consistent = ctx
        .sync_read(
            ReadParams {
                stale: query_value(&pairs, "stale").map(String::from),
            }
            .stale(),
        )
        .await;
    let today = Utc::now().date_naive();
    let stats = ctx.read(|r| {
        (0..days)
            .rev()
            .map(|back| {
                let day = today - chrono::Duration::days(back);
                let s = r.day_stats(day)?;
                Ok(DayStatsOut {
                    date: format!("{}T00:00:00Z", day.format("%Y-%m-%d")),
                    success_count: s.success_count,
                    failed_count: s.failed_count,
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(marked(
        json(StatusCode::OK, &StatsOut { stats }),
        consistent,
    ))
}

/// `DELETE /v1/jobs/NAME/executions`: drops the job's finished executions and resets its
/// counters; answers with the job.
async fn delete_executions(State(ctx): Ctx, Path(name): Path<String>) -> ApiResult<Response> {
    checked_name(&name)?;
    match ctx
        .write(Command::DeleteExecutions { name: name.clone() })
        .await?
    {
        SmResponse::Job(_) => {
            let record = ctx.read(|r| r.job(&name))?.ok_or_else(not_found)?;
            Ok(json(StatusCode::OK, &ctx.present(record)))
        }
        SmResponse::Rejected(r) => Err(rejection(r)),
        other => Err(ApiError::internal(format!("unexpected response {other:?}"))),
    }
}

/// `POST /v1/restore`: multipart field `file` holding a JSON array of jobs (what `GET
/// /v1/jobs` returns). Every job is validated first and nothing is written unless all are
/// valid; parents are written before their children. Dkron's answer: a JSON *string* holding a
/// JSON array of one line per job.
async fn restore(
    State(ctx): Ctx,
    caller: Option<axum::Extension<crate::api::guard::Caller>>,
    mut form: axum::extract::Multipart,
) -> ApiResult<Response> {
    let mut file = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?
    {
        if field.name() == Some("file") {
            file =
                Some(field.bytes().await.map_err(|e| {
                    ApiError::bad_request(format!("cannot read the file field: {e}"))
                })?);
        }
    }
    let Some(file) = file else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            "no multipart field \"file\" with the jobs to restore".into(),
        ));
    };
    let mut jobs: Vec<Job> = serde_json::from_slice(&file)
        .map_err(|e| ApiError::bad_request(format!("Unable to parse payload: {e}.")))?;
    let mut problems = Vec::new();
    for job in &mut jobs {
        if job.concurrency.is_empty() {
            job.concurrency = crate::model::CONCURRENCY_ALLOW.into();
        }
        job.id = job.name.clone();
        if let Err(e) = validate_job(job) {
            problems.push(format!("{:?}: {e}", job.name));
        }
    }
    // A job writer restores only jobs of its scope, under parents of its scope, and never
    // replaces a job outside it.
    if let Some(axum::Extension(crate::api::guard::Caller(caller))) = &caller {
        let mut outside = Vec::new();
        for job in &jobs {
            let stored = ctx.read(|r| r.job(&job.name))?;
            let parent = if job.parent_job.is_empty() {
                None
            } else {
                Some(
                    ctx.read(|r| r.job(&job.parent_job))?
                        .map(|r| r.job.metadata)
                        .unwrap_or_else(|| {
                            jobs.iter()
                                .find(|j| j.name == job.parent_job)
                                .map(|j| j.metadata.clone())
                                .unwrap_or_default()
                        }),
                )
            };
            let ok = caller.may_write_job(&job.name, &job.metadata)
                && stored.is_none_or(|s| caller.may_write_job(&s.job.name, &s.job.metadata))
                && parent.is_none_or(|md| caller.may_write_job(&job.parent_job, &md));
            if !ok {
                outside.push(job.name.clone());
            }
        }
        if !outside.is_empty() {
            let body = serde_json::to_vec(&crate::state::acl::Refusal {
                error: format!(
                    "permission denied: token {} holds job:write only for jobs with {}; outside it: {outside:?}; nothing restored",
                    caller.accessor,
                    caller.scope.describe()
                ),
                permission: crate::state::acl::Permission::JobWrite.name().into(),
            })
            .unwrap_or_default();
            return Ok((
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body,
            )
                .into_response());
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Job validation failed, nothing restored: {}.",
            problems.join("; ")
        )));
    }
    // Parents first: a job is written once the job it names as parent is.
    let ordered = crate::job::validate::parents_first(jobs).map_err(|cycle| {
        ApiError::bad_request(format!(
            "Job validation failed, nothing restored: parent_job cycle among {cycle:?}."
        ))
    })?;
    let mut lines = Vec::with_capacity(ordered.len());
    for job in ordered {
        let name = job.name.clone();
        let outcome = ctx
            .write(Command::SetJob {
                job: Box::new(job),
                at: Utc::now(),
            })
            .await?;
        lines.push(match outcome {
            SmResponse::Job(_) => format!("success create {name}"),
            SmResponse::Rejected(r) => format!("fail create {name}: {r}"),
            other => format!("fail create {name}: {other:?}"),
        });
    }
    let inner = serde_json::to_string(&lines).map_err(ApiError::internal)?;
    Ok(json(StatusCode::OK, &inner))
}

/// `GET /v1/operator/snapshot`: the state machine as a Raft snapshot file (point in time,
/// checksummed), consistent with the leader unless `?stale`. Headers give the cluster id and the
/// Raft position.
async fn snapshot_save(State(ctx): Ctx, Query(params): Query<ReadParams>) -> ApiResult<Response> {
    let stale = params.stale();
    if !ctx.sync_read(stale).await && !stale {
        return Err(ApiError::unavailable(
            "no leader confirmed this node is up to date: retry, or take a possibly stale snapshot with ?stale",
        ));
    }
    let cluster_id = ctx
        .read(|r| r.cluster_id())?
        .unwrap_or_else(|| "unnamed".into());
    let db = ctx.state.db().clone();
    let (bytes, index, term) = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir()?;
        let (meta, path) = crate::consensus::snapshot::write(&db, dir.path())?;
        let bytes = std::fs::read(path)?;
        let (index, term) = meta
            .last_log_id
            .map(|l| (l.index, l.leader_id.term))
            .unwrap_or((0, 0));
        Ok::<_, std::io::Error>((bytes, index, term))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    for (name, value) in [
        ("x-belfry-cluster-id", cluster_id),
        ("x-belfry-index", index.to_string()),
        ("x-belfry-term", term.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(HeaderName::from_static(name), v);
        }
    }
    Ok(resp)
}

#[derive(serde::Serialize)]
struct Restored {
    message: String,
    jobs: u64,
    executions: u64,
}

/// `POST /v1/operator/restore`: the body is a Raft snapshot file (from `belfry snapshot save`).
/// It is streamed to a temporary file (refused past `--restore-limit`), then checked end to
/// end: the digest, and every row decoded and validated by the state machine's rules. Only
/// then are its rows staged through Raft in chunks (read from the file, never all in memory)
/// and swapped in by one final entry, so every server ends with the same state and a failure
/// part-way — or a bad row — changes nothing.
async fn snapshot_restore(State(ctx): Ctx, body: axum::body::Body) -> ApiResult<Response> {
    use futures_util::StreamExt;
    let limit = ctx.config.restore_limit;
    let mut tmp = tempfile::tempfile().map_err(ApiError::internal)?;
    let mut received = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("cannot read the body: {e}")))?;
        received += chunk.len() as u64;
        if received > limit {
            return Err(ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the snapshot is larger than this node's --restore-limit ({limit} bytes); nothing was changed"
                ),
            ));
        }
        std::io::Write::write_all(&mut tmp, &chunk).map_err(ApiError::internal)?;
    }
    let (tmp, jobs, executions, total) = tokio::task::spawn_blocking(move || {
        let mut tmp = tmp;
        let (mut jobs, mut executions, mut total) = (0u64, 0u64, 0u64);
        crate::consensus::snapshot::for_each_row(&mut tmp, |tag, k, v| {
            let key = String::from_utf8(k).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "key is not UTF-8")
            })?;
            crate::state::check_row(tag, &key, &v)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            match tag {
                1 => jobs += 1,
                2 => executions += 1,
                _ => {}
            }
            total += 1;
            Ok(())
        })?;
        Ok::<_, std::io::Error>((tmp, jobs, executions, total))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| {
        ApiError::bad_request(format!(
            "not a valid Belfry state snapshot, nothing was changed: {e}"
        ))
    })?;
    let restore_id: u64 = rand::random();
    const CHUNK_BYTES: usize = 1 << 20;
    // A reader thread hands over chunks of about 1 MiB, at most two waiting: memory stays flat
    // however large the snapshot.
    let (send, mut chunks) = tokio::sync::mpsc::channel::<Vec<(u8, String, Vec<u8>)>>(2);
    let reader = tokio::task::spawn_blocking(move || {
        let mut tmp = tmp;
        let mut chunk = Vec::new();
        let mut size = 0;
        crate::consensus::snapshot::for_each_row(&mut tmp, |tag, k, v| {
            let key = String::from_utf8(k).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "key is not UTF-8")
            })?;
            size += key.len() + v.len();
            chunk.push((tag, key, v));
            if size >= CHUNK_BYTES {
                size = 0;
                send.blocking_send(std::mem::take(&mut chunk))
                    .map_err(|_| std::io::Error::other("restore abandoned"))?;
            }
            Ok(())
        })?;
        if !chunk.is_empty() {
            send.blocking_send(chunk)
                .map_err(|_| std::io::Error::other("restore abandoned"))?;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut first = true;
    while let Some(rows) = chunks.recv().await {
        let staged = ctx
            .write(Command::RestoreChunk {
                restore_id,
                first,
                rows,
            })
            .await?;
        if let SmResponse::Rejected(r) = staged {
            return Err(ApiError::bad_request(format!(
                "restore refused, nothing was changed: {r}"
            )));
        }
        first = false;
    }
    reader
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    if first {
        // An empty snapshot: stage nothing, but still clear earlier staging.
        ctx.write(Command::RestoreChunk {
            restore_id,
            first: true,
            rows: Vec::new(),
        })
        .await?;
    }
    match ctx
        .write(Command::RestoreCommit {
            restore_id,
            rows: total,
        })
        .await?
    {
        SmResponse::Rejected(r) => Err(ApiError(StatusCode::CONFLICT, r.to_string())),
        _ => Ok(json(
            StatusCode::OK,
            &Restored {
                message: format!("restored {jobs} jobs and {executions} executions"),
                jobs,
                executions,
            },
        )),
    }
}

/// `GET /v1/busy`: every execution running now, cluster-wide, newest first (Dkron's shape:
/// a JSON array of executions).
async fn busy(State(ctx): Ctx, Query(params): Query<ReadParams>) -> ApiResult<Response> {
    let consistent = ctx.sync_read(params.stale()).await;
    let mut running = ctx.read(|r| r.running())?;
    running.sort_by(|a, b| {
        b.started_at
            .cmp(&a.started_at)
            .then(a.job_name.cmp(&b.job_name))
    });
    let total = running.len();
    Ok(marked(
        with_total(json(StatusCode::OK, &running), total),
        consistent,
    ))
}

async fn show_execution(
    State(ctx): Ctx,
    Path((name, id)): Path<(String, String)>,
    Query(params): Query<ReadParams>,
) -> ApiResult<Response> {
    checked_name(&name)?;
    let consistent = ctx.sync_read(params.stale()).await;
    let execution = ctx
        .read(|r| r.execution(&name, &id))?
        .ok_or_else(not_found)?;
    Ok(marked(json(StatusCode::OK, &execution), consistent))
}

/// What an agent's API (a node without `--server`) needs: it holds no state and passes every
/// request about jobs to a server of its region over the internal RPC.
pub struct AgentApiContext {
    pub membership: crate::cluster::membership::Membership,
    pub rpc: crate::transport::rpc::RpcClient,
    pub config: AgentConfig,
    pub leave: tokio::sync::mpsc::UnboundedSender<()>,
    /// This node's runs, for its own `/metrics`.
    pub worker: crate::node::worker::Worker,
    /// ACL checks (tokens resolved by a server) and the audit log for this node's own routes.
    pub guard: Arc<crate::api::guard::Guard>,
}

type AgentCtx = State<Arc<AgentApiContext>>;

/// Request bodies an agent passes on: the same limit as a server's own.
const AGENT_BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn agent_router(ctx: Arc<AgentApiContext>) -> Router {
    let node_name = ctx.config.node_name.clone();
    // The agent's own routes; everything else goes to a server, which checks the token.
    let gate = axum::middleware::from_fn_with_state(ctx.guard.clone(), crate::api::guard::gate);
    let router = Router::new()
        .route("/health", get(agent_health))
        .route("/metrics", get(metrics::serve_agent))
        .route("/v1", get(agent_status))
        .route("/v1/", get(agent_status))
        .route("/v1/members", get(agent_members))
        .route("/v1/leave", post(agent_leave))
        .route("/v1/operator/join", post(agent_join))
        .merge(crate::node::node_stats::routes(
            &ctx.config.node_name,
            &ctx.config.data_dir,
        ))
        .route_layer(gate)
        .fallback(pass_to_server)
        .with_state(ctx);
    with_dkron_layers(router, &node_name)
}

async fn agent_health() -> Response {
    json(
        StatusCode::OK,
        &Health {
            status: "healthy".into(),
            leader: None,
            issues: Vec::new(),
        },
    )
}

async fn agent_status(State(ctx): AgentCtx) -> Response {
    use crate::cluster::membership::MemberStatus;
    let me = ctx.membership.local();
    let serf = serf_stats(&ctx.membership, ctx.config.encrypt.is_some());
    let tags = member_of(&crate::cluster::membership::MemberState {
        meta: me,
        status: MemberStatus::Alive,
        since: std::time::SystemTime::now(),
    })
    .tags;
    json(
        StatusCode::OK,
        &NodeStatus {
            agent: AgentInfo {
                name: ctx.config.node_name.clone(),
                version: VERSION.into(),
            },
            serf,
            tags,
        },
    )
}

async fn agent_members(State(ctx): AgentCtx) -> Response {
    members_response(&ctx.membership)
}

async fn agent_leave(State(ctx): AgentCtx) -> Response {
    let _ = ctx.leave.send(());
    json(
        StatusCode::OK,
        &OperatorReply {
            message: format!("{} is leaving the cluster", ctx.config.node_name),
        },
    )
}

/// Everything else goes to an alive server of this node's region; the next one is tried when
/// one cannot be reached.
async fn pass_to_server(State(ctx): AgentCtx, req: Request) -> ApiResult<Response> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, AGENT_BODY_LIMIT)
        .await
        .map_err(|e| ApiError(StatusCode::PAYLOAD_TOO_LARGE, format!("request body: {e}")))?;
    let call = ApiCall {
        method: parts.method.to_string(),
        uri: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| parts.uri.path().to_string()),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: crate::transport::rpc::b64(&body),
        token: crate::api::guard::request_token(&parts.headers),
    };
    let reply = crate::cluster::commit::ask_alive_servers(
        &ctx.membership,
        &ctx.rpc,
        Some(&ctx.config.region),
        &call,
        Ok,
    )
    .await
    .map_err(|why| ApiError::unavailable(format!("no server answered: {why}")))?;
    let body = crate::transport::rpc::unb64(&reply.body).map_err(ApiError::internal)?;
    let mut resp = Response::new(axum::body::Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (k, v) in reply.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::from_str(&v)) {
            resp.headers_mut().insert(k, v);
        }
    }
    Ok(resp)
}

fn new_token(
    role: crate::state::acl::Role,
    description: String,
    scope: crate::state::acl::JobScope,
) -> (crate::state::acl::StoredToken, crate::state::acl::Secret) {
    let secret = crate::state::acl::Secret::generate();
    let token = crate::state::acl::StoredToken {
        info: crate::state::acl::TokenInfo {
            accessor: crate::state::acl::new_accessor(),
            description,
            role,
            scope,
            created_at: Utc::now(),
        },
        secret_hash: secret.hash(),
    };
    (token, secret)
}

fn created(token: crate::state::acl::StoredToken, secret: crate::state::acl::Secret) -> Response {
    json(
        StatusCode::CREATED,
        &crate::state::acl::NewToken {
            info: token.info,
            secret: secret.expose().to_string(),
        },
    )
}

/// `POST /v1/acl/bootstrap`: the cluster's first management token, without a token, once:
/// refused (409) as soon as any management token exists.
async fn acl_bootstrap(State(ctx): Ctx) -> ApiResult<Response> {
    let (token, secret) = new_token(
        crate::state::acl::Role::Management,
        "bootstrap management token".into(),
        Default::default(),
    );
    match ctx
        .write(Command::AclBootstrap {
            token: token.clone(),
        })
        .await?
    {
        SmResponse::Rejected(r) => Err(rejection(r)),
        _ => Ok(created(token, secret)),
    }
}

/// `POST /v1/acl/tokens`: a new token; the answer holds its secret, shown this once.
async fn acl_create_token(State(ctx): Ctx, body: Bytes) -> ApiResult<Response> {
    let req: crate::state::acl::TokenRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Unable to parse payload: {e}.")))?;
    let role = crate::state::acl::Role::parse(&req.role).map_err(ApiError::bad_request)?;
    if role != crate::state::acl::Role::JobWriter
        && (!req.prefixes.is_empty() || !req.metadata.is_empty())
    {
        return Err(ApiError::bad_request(format!(
            "prefixes and metadata selectors limit job writers only; role {} has no job scope",
            role.name()
        )));
    }
    if req.prefixes.iter().any(|p| p.is_empty()) {
        return Err(ApiError::bad_request(
            "prefixes: an empty prefix would match every job; leave prefixes out for that",
        ));
    }
    if req.description.len() > 256 || req.description.contains('\n') {
        return Err(ApiError::bad_request(
            "description: at most 256 bytes on one line",
        ));
    }
    let scope = crate::state::acl::JobScope {
        prefixes: req.prefixes,
        metadata: req.metadata,
    };
    let (token, secret) = new_token(role, req.description, scope);
    match ctx
        .write(Command::AclCreateToken {
            token: token.clone(),
        })
        .await?
    {
        SmResponse::Rejected(r) => Err(rejection(r)),
        _ => Ok(created(token, secret)),
    }
}

/// `GET /v1/acl/tokens`: every token, oldest first, without secrets (they are not stored).
async fn acl_list_tokens(State(ctx): Ctx, Query(params): Query<ReadParams>) -> ApiResult<Response> {
    let consistent = ctx.sync_read(params.stale()).await;
    let mut tokens: Vec<crate::state::acl::TokenInfo> = ctx
        .read(|r| r.acl_tokens())?
        .into_iter()
        .map(|t| t.info)
        .collect();
    tokens.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then(a.accessor.cmp(&b.accessor))
    });
    let total = tokens.len();
    Ok(marked(
        with_total(json(StatusCode::OK, &tokens), total),
        consistent,
    ))
}

/// `DELETE /v1/acl/tokens/ACCESSOR`: the token stops working on every server once applied
/// (on an agent's own endpoints, within [`crate::api::guard::REMOTE_CACHE_TTL`]).
async fn acl_delete_token(State(ctx): Ctx, Path(accessor): Path<String>) -> ApiResult<Response> {
    match ctx
        .write(Command::AclDeleteToken {
            accessor: accessor.clone(),
        })
        .await?
    {
        SmResponse::Rejected(crate::state::Rejection::Invalid(m)) => {
            Err(ApiError(StatusCode::CONFLICT, m))
        }
        SmResponse::Rejected(r) => Err(rejection(r)),
        _ => Ok(json(
            StatusCode::OK,
            &OperatorReply {
                message: format!("token {accessor} deleted"),
            },
        )),
    }
}

/// `GET /v1/acl/token/self`: the token the request carries (never its secret). Agents use it
/// to check tokens for their own endpoints.
async fn acl_token_self(State(ctx): Ctx, headers: axum::http::HeaderMap) -> ApiResult<Response> {
    let Some(secret) = crate::api::guard::request_token(&headers) else {
        return Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "no token in the request".into(),
        ));
    };
    let tokens = ctx.read(|r| r.acl_tokens())?;
    match crate::state::acl::find_token(&tokens, &secret) {
        Some(t) => Ok(json(StatusCode::OK, &t.info)),
        None => Err(ApiError(
            StatusCode::UNAUTHORIZED,
            "invalid ACL token: no token has this secret".into(),
        )),
    }
}

/// `GET /v1/acl/roles`: the fixed roles and what each may do.
async fn acl_roles() -> Response {
    let roles: Vec<crate::state::acl::RoleInfo> = crate::state::acl::Role::ALL
        .into_iter()
        .map(|r| crate::state::acl::RoleInfo {
            name: r.name().into(),
            description: r.description().into(),
            permissions: r.permissions().iter().map(|p| p.name().into()).collect(),
        })
        .collect();
    json(StatusCode::OK, &roles)
}

/// A public API request that an agent (a node without state) passes on to a server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiCall {
    pub method: String,
    /// Path and query, e.g. `/v1/jobs?pretty`.
    pub uri: String,
    pub content_type: Option<String>,
    /// Body, base64.
    pub body: String,
    /// The ACL token the client sent the agent, so the server authorizes the request as the
    /// client's (absent from agents older than ACLs: then the request has no token).
    #[serde(default)]
    pub token: Option<crate::state::acl::Secret>,
}

/// The server's answer to an [`ApiCall`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Body, base64.
    pub body: String,
}

impl crate::transport::rpc::RpcCall for ApiCall {
    const NAME: &'static str = "api";
    const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3600);
    type Reply = ApiReply;
}
