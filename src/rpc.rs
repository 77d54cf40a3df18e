//! The internal RPC between nodes: Raft's messages (append, vote, snapshot, leadership
//! transfer) and a `hello` that tells who a node is, over HTTP on the bind IP and `--rpc-port`.
//!
//! Every request carries `x-belfry-target` (the Raft node id it is meant for; a node refuses
//! mail for someone else, so a stale address can never make the wrong node take part) and,
//! when the cluster has a key, `x-belfry-auth: <unix seconds>.<hex HMAC-SHA256>` over the
//! timestamp, method, path and body with a key derived from the cluster key. Requests without
//! a valid, fresh MAC are refused with 401 before they reach Raft. Bodies are a format-version
//! byte followed by JSON (the snapshot route sends its data raw after a length-prefixed header).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use openraft::errors::{
    NetworkError, RPCError, RaftError, ReplicationClosed, StreamingError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetworkFactory, v2::RaftNetworkV2};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, TransferLeaderRequest,
    TransferLeaderResponse, VoteRequest, VoteResponse,
};
use openraft::type_config::alias::{SnapshotMetaOf, SnapshotOf, VoteOf};
use openraft::{OptionalSend, Snapshot};
use ring::hmac;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::consensus::{NodeAddr, Raft, TypeConfig};

/// Version of the RPC body format.
pub const RPC_FORMAT: u8 = 1;
/// How far a request's timestamp may be from the receiver's clock.
const MAX_SKEW_SECS: u64 = 300;
const HDR_AUTH: &str = "x-belfry-auth";
/// The least time a heartbeat and an append carrying entries get (see `append_entries`).
const HEARTBEAT_RPC_FLOOR: Duration = Duration::from_millis(150);
const APPEND_RPC_FLOOR: Duration = Duration::from_secs(2);
/// Internal RPC bodies (Raft appends, dispatches of many launches) may be large.
const RPC_BODY_LIMIT: usize = 256 * 1024 * 1024;
const HDR_TARGET: &str = "x-belfry-target";

/// The key that signs internal RPC, derived from the cluster key.
#[derive(Clone)]
pub struct RpcKey(Option<hmac::Key>);

impl RpcKey {
    /// No key: RPC is unauthenticated (a single host, or a trusted network).
    pub fn none() -> RpcKey {
        RpcKey(None)
    }

    /// The RPC key for a cluster with this key, or none.
    pub fn for_cluster(cluster_key: Option<&[u8]>) -> RpcKey {
        cluster_key.map_or_else(RpcKey::none, RpcKey::from_cluster_key)
    }

    /// Derives the RPC key from the cluster key with HKDF-SHA256.
    pub fn from_cluster_key(cluster_key: &[u8]) -> RpcKey {
        let derived = crate::membership::derive_key(cluster_key, "belfry rpc v1");
        RpcKey(Some(hmac::Key::new(hmac::HMAC_SHA256, &derived)))
    }

    fn message(ts: u64, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(body.len() + path.len() + 32);
        m.extend_from_slice(ts.to_string().as_bytes());
        m.push(b'\n');
        m.extend_from_slice(method.as_bytes());
        m.push(b'\n');
        m.extend_from_slice(path.as_bytes());
        m.push(b'\n');
        m.extend_from_slice(body);
        m
    }

    /// The `x-belfry-auth` header value for a request, if the cluster has a key.
    pub fn sign(&self, method: &str, path: &str, body: &[u8]) -> Option<String> {
        let key = self.0.as_ref()?;
        let ts = now_secs();
        let tag = hmac::sign(key, &Self::message(ts, method, path, body));
        Some(format!("{ts}.{}", hex(tag.as_ref())))
    }

    /// Checks a request; Err says why it is refused.
    pub fn verify(
        &self,
        header: Option<&str>,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<(), String> {
        let Some(key) = &self.0 else {
            return Ok(());
        };
        let header = header.ok_or("missing x-belfry-auth: the cluster requires its key")?;
        let (ts, mac) = header.split_once('.').ok_or("malformed x-belfry-auth")?;
        let ts: u64 = ts
            .parse()
            .map_err(|_| "malformed x-belfry-auth timestamp")?;
        if now_secs().abs_diff(ts) > MAX_SKEW_SECS {
            return Err("x-belfry-auth timestamp is too far from this node's clock".into());
        }
        let mac = unhex(mac).ok_or("malformed x-belfry-auth MAC")?;
        hmac::verify(key, &Self::message(ts, method, path, body), &mac)
            .map_err(|_| "x-belfry-auth does not match: wrong cluster key".to_string())
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![RPC_FORMAT];
    serde_json::to_writer(&mut out, value).expect("RPC values serialise");
    out
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    match body.split_first() {
        Some((&RPC_FORMAT, rest)) => {
            serde_json::from_slice(rest).map_err(|e| format!("bad RPC body: {e}"))
        }
        Some((v, _)) => Err(format!(
            "RPC format {v} is not understood by this node (format {RPC_FORMAT})"
        )),
        None => Err("empty RPC body".into()),
    }
}

/// Who a node is, as `GET /rpc/v1/hello` tells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    pub node_id: u64,
    pub name: String,
    pub version: String,
    pub rpc_format: u8,
    /// Whether this node already belongs to a Raft cluster.
    pub initialized: bool,
    /// Where this node gossips, so a restarted peer can find the cluster again.
    #[serde(default)]
    pub gossip_addr: Option<String>,
}

/// What the RPC handlers need.
pub struct RpcContext {
    /// This node's data dir (where a demotion is recorded).
    pub data_dir: std::path::PathBuf,
    /// Asks the agent to switch role (after a demotion).
    pub switch: tokio::sync::mpsc::UnboundedSender<()>,
    /// For calls this node makes to the leader.
    pub client: RpcClient,
    /// The public API, for requests that agents pass on (`/rpc/v1/api`).
    pub api: Router,
    pub raft: Raft,
    pub membership: crate::membership::Membership,
    /// Where a received snapshot is spooled before it is installed.
    pub snapshot_dir: std::path::PathBuf,
    pub node_id: u64,
    pub name: String,
    pub key: RpcKey,
    pub worker: crate::worker::Worker,
}

type Ctx = State<Arc<RpcContext>>;

fn refuse(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, msg.into()).into_response()
}

/// A refused call: its status and the reason.
type Refusal = (StatusCode, String);

/// Checks the target and the MAC; Err is why the call is refused.
fn admit(
    ctx: &RpcContext,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(), Refusal> {
    let auth = headers.get(HDR_AUTH).and_then(|v| v.to_str().ok());
    if let Err(why) = ctx.key.verify(auth, method, path, body) {
        tracing::warn!(%path, "internal RPC refused: {why}");
        return Err((StatusCode::UNAUTHORIZED, why));
    }
    if let Some(target) = headers.get(HDR_TARGET) {
        let target = target
            .to_str()
            .ok()
            .and_then(|t| u64::from_str_radix(t, 16).ok());
        if target != Some(ctx.node_id) {
            return Err((
                StatusCode::CONFLICT,
                format!(
                    "this is node {:016x}, not the requested target",
                    ctx.node_id
                ),
            ));
        }
    }
    Ok(())
}

fn reply<T: Serialize>(value: &T) -> Response {
    (StatusCode::OK, encode(value)).into_response()
}

pub fn router(ctx: Arc<RpcContext>) -> Router {
    Router::new()
        .route("/rpc/v1/hello", get(hello))
        .route("/rpc/v1/raft/append", post(append))
        .route("/rpc/v1/raft/vote", post(vote))
        .route("/rpc/v1/raft/pre-vote", post(pre_vote))
        .route("/rpc/v1/raft/snapshot", post(snapshot))
        .route("/rpc/v1/raft/transfer-leader", post(transfer_leader))
        .route("/rpc/v1/forward", post(forward))
        .route("/rpc/v1/submit", post(submit))
        .route("/rpc/v1/dispatch", post(dispatch))
        .route("/rpc/v1/read-index", post(read_index))
        .route("/rpc/v1/operator", post(operator))
        .route("/rpc/v1/api", post(api_call))
        .route("/rpc/v1/demote", post(demote))
        .layer(axum::extract::DefaultBodyLimit::max(RPC_BODY_LIMIT))
        .with_state(ctx)
}

async fn hello(State(ctx): Ctx, headers: HeaderMap) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "GET", "/rpc/v1/hello", b"") {
        return refuse(status, why);
    }
    let initialized = ctx.raft.is_initialized().await.unwrap_or(false);
    reply(&Hello {
        node_id: ctx.node_id,
        name: ctx.name.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        rpc_format: RPC_FORMAT,
        initialized,
        gossip_addr: Some(ctx.membership.local().gossip_addr.to_string()),
    })
}

async fn append(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/raft/append", &body) {
        return refuse(status, why);
    }
    match decode::<AppendEntriesRequest<TypeConfig>>(&body) {
        Ok(req) => reply(&ctx.raft.append_entries(req).await),
        Err(e) => refuse(StatusCode::BAD_REQUEST, e),
    }
}

async fn vote(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/raft/vote", &body) {
        return refuse(status, why);
    }
    match decode::<VoteRequest<TypeConfig>>(&body) {
        Ok(req) => reply(&ctx.raft.vote(req).await),
        Err(e) => refuse(StatusCode::BAD_REQUEST, e),
    }
}

/// Pre-vote: a node that lost contact asks whether it could win before it disturbs a healthy
/// leader with a real election (the answer is no while the leader is heard from).
async fn pre_vote(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/raft/pre-vote", &body) {
        return refuse(status, why);
    }
    match decode::<VoteRequest<TypeConfig>>(&body) {
        Ok(req) => reply(&ctx.raft.pre_vote(req).await),
        Err(e) => refuse(StatusCode::BAD_REQUEST, e),
    }
}

async fn transfer_leader(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(
        &ctx,
        &headers,
        "POST",
        "/rpc/v1/raft/transfer-leader",
        &body,
    ) {
        return refuse(status, why);
    }
    match decode::<TransferLeaderRequest<TypeConfig>>(&body) {
        Ok(req) => {
            let res: Result<TransferLeaderResponse<TypeConfig>, RaftError<TypeConfig>> = ctx
                .raft
                .handle_transfer_leader(req)
                .await
                .map_err(RaftError::Fatal);
            reply(&res)
        }
        Err(e) => refuse(StatusCode::BAD_REQUEST, e),
    }
}

/// A write forwarded by a node that does not lead: the leader commits it and answers with the
/// state machine's response, or why it could not.
async fn forward(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/forward", &body) {
        return refuse(status, why);
    }
    match decode::<crate::state::Command>(&body) {
        Ok(cmd) => {
            let res: Result<crate::state::Response, String> = ctx
                .raft
                .client_write(cmd)
                .await
                .map(|r| r.data)
                .map_err(|e| e.to_string());
            reply(&res)
        }
        Err(e) => refuse(StatusCode::BAD_REQUEST, e),
    }
}

/// A write from an agent (results it delivers): committed here if this server leads,
/// otherwise through the leader.
async fn submit(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/submit", &body) {
        return refuse(status, why);
    }
    match decode::<crate::state::Command>(&body) {
        Ok(cmd) => reply(&crate::consensus::commit(&ctx.raft, &ctx.client, cmd).await),
        Err(e) => refuse(StatusCode::BAD_REQUEST, e),
    }
}

/// Launches the leader sends this node to run.
async fn dispatch(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/dispatch", &body) {
        return refuse(status, why);
    }
    match decode::<crate::worker::DispatchRequest>(&body) {
        Ok(req) => reply(&ctx.worker.accept(req).await),
        Err(e) => refuse(StatusCode::BAD_REQUEST, e),
    }
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
    pub token: Option<crate::acl::Secret>,
}

/// The server's answer to an [`ApiCall`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Body, base64.
    pub body: String,
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn unb64(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("bad base64 body: {e}"))
}

/// Headers worth carrying back to the agent's client.
const PASSED_HEADERS: [&str; 4] = [
    "content-type",
    "x-total-count",
    "location",
    "x-belfry-stale",
];

async fn api_call(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    use tower::ServiceExt;
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/api", &body) {
        return refuse(status, why);
    }
    let router = ctx.api.clone();
    let call = match decode::<ApiCall>(&body) {
        Ok(c) => c,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
    };
    let Ok(bytes) = unb64(&call.body) else {
        return refuse(StatusCode::BAD_REQUEST, "bad base64 body");
    };
    let mut req = axum::http::Request::builder()
        .method(call.method.as_str())
        .uri(call.uri.as_str());
    if let Some(ct) = &call.content_type {
        req = req.header("content-type", ct);
    }
    if let Some(token) = &call.token {
        req = req.header(crate::guard::TOKEN_HEADER, token.expose());
    }
    let Ok(req) = req.body(axum::body::Body::from(bytes)) else {
        return refuse(StatusCode::BAD_REQUEST, "malformed API call");
    };
    let resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = resp.status().as_u16();
    let headers = PASSED_HEADERS
        .iter()
        .filter_map(|h| {
            resp.headers()
                .get(*h)
                .and_then(|v| v.to_str().ok())
                .map(|v| (h.to_string(), v.to_string()))
        })
        .collect();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    reply(&ApiReply {
        status,
        headers,
        body: b64(&body),
    })
}

/// `belfry demote`, carried out by the server being demoted: check that the voters left can
/// still form a quorum (unless forced), hand leadership over if it leads, have the leader
/// remove it from Raft, record the demotion in the data dir and run on as an agent.
async fn demote(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/demote", &body) {
        return refuse(status, why);
    }
    let force = match decode::<bool>(&body) {
        Ok(f) => f,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
    };
    reply(&demote_self(&ctx, force).await)
}

async fn demote_self(
    ctx: &RpcContext,
    force: bool,
) -> Result<String, crate::operator::OperatorError> {
    use crate::membership::MemberStatus;
    use crate::operator::{OperatorAction, OperatorError};
    use openraft::async_runtime::WatchReceiver;
    let m = ctx.raft.metrics().borrow_watched().clone();
    let membership = m.membership_config.membership().clone();
    if membership.get_node(&ctx.node_id).is_none() {
        return Err(OperatorError::Refused(format!(
            "{} is not a Raft server",
            ctx.name
        )));
    }
    let remaining: Vec<String> = membership
        .voter_ids()
        .filter(|id| *id != ctx.node_id)
        .filter_map(|id| membership.get_node(&id).map(|n| n.name.clone()))
        .collect();
    if remaining.is_empty() {
        return Err(OperatorError::Refused(format!(
            "{} is the only voter: it cannot be demoted",
            ctx.name
        )));
    }
    let gossip = ctx.membership.members();
    let alive = remaining
        .iter()
        .filter(|n| {
            gossip
                .iter()
                .any(|g| &g.meta.name == *n && g.status == MemberStatus::Alive)
        })
        .count();
    let quorum = remaining.len() / 2 + 1;
    if alive < quorum && !force {
        return Err(OperatorError::Refused(format!(
            "demoting {} would leave {alive} alive voter(s) of {}, fewer than the quorum of {quorum}; use --force to demote anyway",
            ctx.name,
            remaining.len()
        )));
    }
    if m.current_leader == Some(ctx.node_id) {
        crate::agent::hand_over_leadership(&ctx.raft).await;
    }
    let m = ctx.raft.metrics().borrow_watched().clone();
    let leader = m.current_leader.filter(|l| *l != ctx.node_id);
    let leader_addr = leader.and_then(|l| membership.get_node(&l).map(|n| n.rpc_addr.clone()));
    let (Some(leader), Some(addr)) = (leader, leader_addr) else {
        return Err(OperatorError::Unavailable(
            "no other leader to remove this server".into(),
        ));
    };
    ctx.client
        .operator(
            &addr,
            leader,
            &OperatorAction::RemovePeer {
                node: ctx.name.clone(),
            },
        )
        .await
        .map_err(|e| OperatorError::Unavailable(e.to_string()))??;
    crate::agent::set_demoted(&ctx.data_dir, true)
        .map_err(|e| OperatorError::Unavailable(format!("cannot record the demotion: {e}")))?;
    let _ = ctx.switch.send(());
    let mut message = format!("{} demoted: it runs on as an agent", ctx.name);
    if alive <= quorum {
        message.push_str(&format!(
            "; warning: the cluster now tolerates no failure ({alive} alive voter(s), quorum {quorum})"
        ));
    }
    Ok(message)
}

/// The RPC an agent serves: who it is, and `promote` for a demoted server.
pub struct AgentRpcContext {
    pub name: String,
    pub key: RpcKey,
    pub data_dir: std::path::PathBuf,
    /// Started with `--server`: only a demoted server can be promoted.
    pub server: bool,
    pub switch: tokio::sync::mpsc::UnboundedSender<()>,
    pub worker: crate::worker::Worker,
}

async fn agent_dispatch(
    State(ctx): State<Arc<AgentRpcContext>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let auth = headers.get(HDR_AUTH).and_then(|v| v.to_str().ok());
    if let Err(why) = ctx.key.verify(auth, "POST", "/rpc/v1/dispatch", &body) {
        tracing::warn!("internal RPC refused: {why}");
        return refuse(StatusCode::UNAUTHORIZED, why);
    }
    match decode::<crate::worker::DispatchRequest>(&body) {
        Ok(req) => reply(&ctx.worker.accept(req).await),
        Err(e) => refuse(StatusCode::BAD_REQUEST, e),
    }
}

pub fn agent_router(ctx: Arc<AgentRpcContext>) -> Router {
    Router::new()
        .route("/rpc/v1/hello", get(agent_hello))
        .route("/rpc/v1/promote", post(promote))
        .route("/rpc/v1/dispatch", post(agent_dispatch))
        .layer(axum::extract::DefaultBodyLimit::max(RPC_BODY_LIMIT))
        .with_state(ctx)
}

async fn agent_hello(State(ctx): State<Arc<AgentRpcContext>>, headers: HeaderMap) -> Response {
    let auth = headers.get(HDR_AUTH).and_then(|v| v.to_str().ok());
    if let Err(why) = ctx.key.verify(auth, "GET", "/rpc/v1/hello", b"") {
        return refuse(StatusCode::UNAUTHORIZED, why);
    }
    reply(&Hello {
        node_id: 0,
        name: ctx.name.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        rpc_format: RPC_FORMAT,
        initialized: false,
        gossip_addr: None,
    })
}

async fn promote(
    State(ctx): State<Arc<AgentRpcContext>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    use crate::operator::OperatorError;
    let auth = headers.get(HDR_AUTH).and_then(|v| v.to_str().ok());
    if let Err(why) = ctx.key.verify(auth, "POST", "/rpc/v1/promote", &body) {
        return refuse(StatusCode::UNAUTHORIZED, why);
    }
    let res: Result<String, OperatorError> = if !ctx.server {
        Err(OperatorError::Refused(format!(
            "{} was started without --server: restart it with --server to make it a server",
            ctx.name
        )))
    } else {
        match crate::agent::set_demoted(&ctx.data_dir, false) {
            Ok(()) => {
                let _ = ctx.switch.send(());
                Ok(format!("{} promoted: it rejoins as a server", ctx.name))
            }
            Err(e) => Err(OperatorError::Unavailable(format!(
                "cannot record the promotion: {e}"
            ))),
        }
    };
    reply(&res)
}

/// An operator action forwarded to the leader.
async fn operator(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/operator", &body) {
        return refuse(status, why);
    }
    match decode::<crate::operator::OperatorAction>(&body) {
        Ok(action) => reply(&crate::operator::execute(&ctx.raft, &ctx.membership, action).await),
        Err(e) => refuse(StatusCode::BAD_REQUEST, e),
    }
}

/// The leader's read index, for a follower's consistent read: the follower waits until it has
/// applied this index, then reads locally.
async fn read_index(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/read-index", &body) {
        return refuse(status, why);
    }
    let res: Result<u64, String> = ctx
        .raft
        .ensure_linearizable(openraft::ReadPolicy::ReadIndex)
        .await
        .map(|r| r.index())
        .map_err(|e| e.to_string());
    reply(&res)
}

/// Snapshot body: format byte, u32 big-endian header length, JSON (vote, meta), raw data.
#[derive(Serialize, Deserialize)]
struct SnapshotHeader {
    vote: VoteOf<TypeConfig>,
    meta: SnapshotMetaOf<TypeConfig>,
}

fn encode_snapshot(header: &SnapshotHeader, data: &[u8]) -> Vec<u8> {
    let head = serde_json::to_vec(header).expect("snapshot header serialises");
    let mut out = Vec::with_capacity(5 + head.len() + data.len());
    out.push(RPC_FORMAT);
    out.extend_from_slice(&(head.len() as u32).to_be_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(data);
    out
}

fn decode_snapshot(body: &[u8]) -> Result<(SnapshotHeader, Vec<u8>), String> {
    let (&v, rest) = body.split_first().ok_or("empty snapshot body")?;
    if v != RPC_FORMAT {
        return Err(format!("snapshot format {v} is not understood"));
    }
    let len = u32::from_be_bytes(
        rest.get(..4)
            .ok_or("truncated snapshot")?
            .try_into()
            .map_err(|_| "truncated")?,
    ) as usize;
    let head = rest.get(4..4 + len).ok_or("truncated snapshot header")?;
    let header: SnapshotHeader =
        serde_json::from_slice(head).map_err(|e| format!("bad snapshot header: {e}"))?;
    Ok((header, rest[4 + len..].to_vec()))
}

async fn snapshot(State(ctx): Ctx, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, why)) = admit(&ctx, &headers, "POST", "/rpc/v1/raft/snapshot", &body) {
        return refuse(status, why);
    }
    match decode_snapshot(&body) {
        Ok((header, data)) => {
            // Spool to a file: the state machine installs snapshots from files.
            let path = ctx
                .snapshot_dir
                .join(format!("tmp-recv-{:016x}.snap", rand::random::<u64>()));
            let spooled = (|| -> std::io::Result<std::fs::File> {
                std::fs::create_dir_all(&ctx.snapshot_dir)?;
                std::fs::write(&path, &data)?;
                std::fs::File::open(&path)
            })();
            let file = match spooled {
                Ok(f) => f,
                Err(e) => {
                    return refuse(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("cannot spool snapshot: {e}"),
                    );
                }
            };
            let snapshot = Snapshot {
                meta: header.meta,
                snapshot: file,
            };
            let res: Result<SnapshotResponse<TypeConfig>, RaftError<TypeConfig>> = ctx
                .raft
                .install_full_snapshot(header.vote, snapshot)
                .await
                .map_err(RaftError::Fatal);
            let _ = std::fs::remove_file(&path);
            reply(&res)
        }
        Err(e) => refuse(StatusCode::BAD_REQUEST, e),
    }
}

/// Client side of the internal RPC, shared by Raft replication and the node's other callers.
#[derive(Clone)]
pub struct RpcClient {
    http: reqwest::Client,
    key: RpcKey,
}

/// Why an RPC call failed.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    #[error("{addr} unreachable: {reason}")]
    Unreachable { addr: String, reason: String },
    #[error("{addr} refused the call ({status}): {reason}")]
    Refused {
        addr: String,
        status: u16,
        reason: String,
    },
    #[error("{addr} answered badly: {reason}")]
    Protocol { addr: String, reason: String },
}

impl RpcClient {
    pub fn new(key: RpcKey) -> RpcClient {
        crate::client::install_tls_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(2))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .expect("a plain HTTP client always builds");
        RpcClient { http, key }
    }

    /// Sends one request; `target` is the node id expected at `addr`, if known.
    async fn call<T: DeserializeOwned>(
        &self,
        addr: &str,
        method: reqwest::Method,
        path: &str,
        target: Option<u64>,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<T, RpcError> {
        let url = format!("http://{addr}{path}");
        let mut req = self.http.request(method.clone(), &url).timeout(timeout);
        if let Some(sig) = self.key.sign(method.as_str(), path, &body) {
            req = req.header(HDR_AUTH, sig);
        }
        if let Some(t) = target {
            req = req.header(HDR_TARGET, format!("{t:016x}"));
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| RpcError::Unreachable {
                addr: addr.into(),
                reason: e.to_string(),
            })?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| RpcError::Unreachable {
            addr: addr.into(),
            reason: e.to_string(),
        })?;
        if !status.is_success() {
            return Err(RpcError::Refused {
                addr: addr.into(),
                status: status.as_u16(),
                reason: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        decode(&bytes).map_err(|reason| RpcError::Protocol {
            addr: addr.into(),
            reason,
        })
    }

    /// Has the leader at `addr` commit a command.
    pub async fn forward(
        &self,
        addr: &str,
        target: u64,
        command: &crate::state::Command,
    ) -> Result<Result<crate::state::Response, String>, RpcError> {
        self.call(
            addr,
            reqwest::Method::POST,
            "/rpc/v1/forward",
            Some(target),
            encode(command),
            Duration::from_secs(30),
        )
        .await
    }

    /// Has the server at `addr` commit a command (through its leader).
    pub async fn submit(
        &self,
        addr: &str,
        command: &crate::state::Command,
    ) -> Result<Result<crate::state::Response, String>, RpcError> {
        self.call(
            addr,
            reqwest::Method::POST,
            "/rpc/v1/submit",
            None,
            encode(command),
            Duration::from_secs(30),
        )
        .await
    }

    /// Sends launches to the node at `addr`.
    pub async fn dispatch(
        &self,
        addr: &str,
        request: &crate::worker::DispatchRequest,
    ) -> Result<crate::worker::DispatchReply, RpcError> {
        self.call(
            addr,
            reqwest::Method::POST,
            "/rpc/v1/dispatch",
            None,
            encode(request),
            Duration::from_secs(10),
        )
        .await
    }

    /// Has the leader at `addr` run an operator action.
    pub async fn operator(
        &self,
        addr: &str,
        target: u64,
        action: &crate::operator::OperatorAction,
    ) -> Result<Result<String, crate::operator::OperatorError>, RpcError> {
        self.call(
            addr,
            reqwest::Method::POST,
            "/rpc/v1/operator",
            Some(target),
            encode(action),
            Duration::from_secs(15),
        )
        .await
    }

    /// Asks the server at `addr` to demote itself.
    pub async fn demote(
        &self,
        addr: &str,
        force: bool,
    ) -> Result<Result<String, crate::operator::OperatorError>, RpcError> {
        self.call(
            addr,
            reqwest::Method::POST,
            "/rpc/v1/demote",
            None,
            encode(&force),
            Duration::from_secs(30),
        )
        .await
    }

    /// Asks the demoted server at `addr` to become a server again.
    pub async fn promote(
        &self,
        addr: &str,
    ) -> Result<Result<String, crate::operator::OperatorError>, RpcError> {
        self.call(
            addr,
            reqwest::Method::POST,
            "/rpc/v1/promote",
            None,
            Vec::new(),
            Duration::from_secs(30),
        )
        .await
    }

    /// Passes a public API request to the server at `addr`.
    pub async fn api(&self, addr: &str, call: &ApiCall) -> Result<ApiReply, RpcError> {
        self.call(
            addr,
            reqwest::Method::POST,
            "/rpc/v1/api",
            None,
            encode(call),
            Duration::from_secs(3600),
        )
        .await
    }

    /// Asks the leader at `addr` for its read index.
    pub async fn read_index(
        &self,
        addr: &str,
        target: u64,
    ) -> Result<Result<u64, String>, RpcError> {
        self.call(
            addr,
            reqwest::Method::POST,
            "/rpc/v1/read-index",
            Some(target),
            Vec::new(),
            Duration::from_secs(10),
        )
        .await
    }

    /// Asks a node who it is.
    pub async fn hello(&self, addr: &str, timeout: Duration) -> Result<Hello, RpcError> {
        self.call(
            addr,
            reqwest::Method::GET,
            "/rpc/v1/hello",
            None,
            Vec::new(),
            timeout,
        )
        .await
    }
}

/// Raft's network: one [`PeerClient`] per target.
#[derive(Clone)]
pub struct Network {
    client: RpcClient,
}

impl Network {
    pub fn new(client: RpcClient) -> Network {
        Network { client }
    }
}

pub struct PeerClient {
    client: RpcClient,
    target: u64,
    addr: String,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = PeerClient;

    async fn new_client(&mut self, target: u64, node: &NodeAddr) -> PeerClient {
        PeerClient {
            client: self.client.clone(),
            target,
            addr: node.rpc_addr.clone(),
        }
    }
}

fn to_rpc_error(e: RpcError) -> RPCError<TypeConfig> {
    match e {
        RpcError::Unreachable { .. } => RPCError::Unreachable(Unreachable::new(&e)),
        other => RPCError::Network(NetworkError::new(&other)),
    }
}

impl PeerClient {
    async fn raft_call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        path: &str,
        req: &Req,
        option: &RPCOption,
    ) -> Result<Resp, RPCError<TypeConfig>> {
        self.raft_call_within(path, req, option.soft_ttl()).await
    }

    async fn raft_call_within<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        path: &str,
        req: &Req,
        timeout: Duration,
    ) -> Result<Resp, RPCError<TypeConfig>> {
        let res: Result<Resp, RaftError<TypeConfig>> = self
            .client
            .call(
                &self.addr,
                reqwest::Method::POST,
                path,
                Some(self.target),
                encode(req),
                timeout,
            )
            .await
            .map_err(to_rpc_error)?;
        // A fatal error on the other side (it is shutting down): back off as if unreachable.
        res.map_err(|e| RPCError::Unreachable(Unreachable::new(&e)))
    }
}

impl RaftNetworkV2<TypeConfig> for PeerClient {
    type SnapshotData = std::fs::File;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RPCError<TypeConfig>> {
        // openraft gives every append one heartbeat interval (less a margin): tens of ms. A
        // batch of a thousand launches on a busy machine takes longer than that to send, fsync
        // and answer, and an append cut short is retried whole, so it would never get through
        // (and the leader's lease would lapse). Entries get seconds; heartbeats a floor too.
        let timeout = if rpc.entries.is_empty() {
            option.soft_ttl().max(HEARTBEAT_RPC_FLOOR)
        } else {
            option.soft_ttl().max(APPEND_RPC_FLOOR)
        };
        self.raft_call_within("/rpc/v1/raft/append", &rpc, timeout)
            .await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        self.raft_call("/rpc/v1/raft/vote", &rpc, &option).await
    }

    async fn pre_vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        self.raft_call("/rpc/v1/raft/pre-vote", &rpc, &option).await
    }

    async fn transfer_leader(
        &mut self,
        req: TransferLeaderRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<TransferLeaderResponse<TypeConfig>, RPCError<TypeConfig>> {
        self.raft_call("/rpc/v1/raft/transfer-leader", &req, &option)
            .await
    }

    async fn full_snapshot(
        &mut self,
        vote: VoteOf<TypeConfig>,
        snapshot: SnapshotOf<TypeConfig, Self::SnapshotData>,
        cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        let header = SnapshotHeader {
            vote,
            meta: snapshot.meta,
        };
        let mut data = Vec::new();
        let mut file = snapshot.snapshot;
        {
            use std::io::{Read, Seek};
            file.seek(std::io::SeekFrom::Start(0))
                .and_then(|_| file.read_to_end(&mut data))
                .map_err(|e| StreamingError::Unreachable(Unreachable::new(&e)))?;
        }
        let body = encode_snapshot(&header, &data);
        let call = async {
            let res: Result<SnapshotResponse<TypeConfig>, RaftError<TypeConfig>> = self
                .client
                .call(
                    &self.addr,
                    reqwest::Method::POST,
                    "/rpc/v1/raft/snapshot",
                    Some(self.target),
                    body,
                    // A snapshot can be large: allow it far longer than a heartbeat.
                    option.soft_ttl().max(Duration::from_secs(60)),
                )
                .await
                .map_err(|e| StreamingError::<TypeConfig>::from(to_rpc_error(e)))?;
            res.map_err(|e| StreamingError::Unreachable(Unreachable::new(&e)))
        };
        tokio::pin!(cancel);
        tokio::select! {
            closed = &mut cancel => Err(StreamingError::Closed(closed)),
            res = call => res,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_verify_and_refuse() {
        let a = RpcKey::from_cluster_key(b"0123456789abcdef");
        let b = RpcKey::from_cluster_key(b"fedcba9876543210");
        let sig = a.sign("POST", "/rpc/v1/raft/vote", b"body").unwrap();
        assert!(
            a.verify(Some(&sig), "POST", "/rpc/v1/raft/vote", b"body")
                .is_ok()
        );
        assert!(
            a.verify(Some(&sig), "POST", "/rpc/v1/raft/vote", b"tampered")
                .is_err()
        );
        assert!(
            a.verify(Some(&sig), "POST", "/rpc/v1/raft/append", b"body")
                .is_err()
        );
        assert!(
            b.verify(Some(&sig), "POST", "/rpc/v1/raft/vote", b"body")
                .unwrap_err()
                .contains("wrong cluster key")
        );
        assert!(
            a.verify(None, "POST", "/x", b"")
                .unwrap_err()
                .contains("missing")
        );
        let stale = format!("{}.{}", now_secs() - 3600, sig.split_once('.').unwrap().1);
        assert!(
            a.verify(Some(&stale), "POST", "/rpc/v1/raft/vote", b"body")
                .is_err()
        );
        assert!(RpcKey::none().verify(None, "POST", "/x", b"").is_ok());
    }

    #[test]
    fn bodies_carry_their_format() {
        let body = encode(&42u32);
        assert_eq!(decode::<u32>(&body).unwrap(), 42);
        let mut newer = body.clone();
        newer[0] = 9;
        assert!(decode::<u32>(&newer).unwrap_err().contains("format 9"));
        assert!(decode::<u32>(b"").is_err());
    }
}
