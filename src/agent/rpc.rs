//! Every internal call but Raft's: its request type, its reply, and the thin handler that
//! passes it to the code it serves (consensus commit, the worker, the operator, the API).
//! The server and agent routers list which calls each role answers.

use std::sync::Arc;

use axum::Router;

use crate::api::{ApiCall, ApiReply};
use crate::cluster::clock::{ClockCall, ClockReading};
use crate::cluster::operator::{Demote, OperatorAction, OperatorError, Promote};
use crate::consensus::Raft;
use crate::consensus::{Forward, ReadIndex, Submit};
use crate::node::worker::{DispatchReply, DispatchRequest};
use crate::transport::rpc::{
    Endpoint, Hello, HelloCall, Peer, RPC_FORMAT, RpcClient, RpcServer, b64, unb64,
};

/// Headers worth carrying back to the agent's client.
const PASSED_HEADERS: [&str; 4] = [
    "content-type",
    "x-total-count",
    "location",
    "x-belfry-stale",
];

/// What a server's RPC handlers need.
pub struct RpcContext {
    /// This node's data dir (where a demotion is recorded).
    pub data_dir: std::path::PathBuf,
    /// Asks the agent to switch role (after a demotion).
    pub switch: tokio::sync::mpsc::UnboundedSender<()>,
    /// For calls this node makes to the leader.
    pub client: RpcClient,
    /// The public API, for requests that agents pass on.
    pub api: Router,
    pub raft: Raft,
    pub membership: crate::cluster::membership::Membership,
    /// Where a received snapshot is spooled before it is installed.
    pub snapshot_dir: std::path::PathBuf,
    pub node_id: u64,
    pub name: String,
    pub worker: crate::node::worker::Worker,
}

impl crate::cluster::raft_network::RaftHost for RpcContext {
    fn raft(&self) -> &Raft {
        &self.raft
    }
    fn node_id(&self) -> u64 {
        self.node_id
    }
    fn snapshot_dir(&self) -> &std::path::Path {
        &self.snapshot_dir
    }
}

/// The calls a server answers.
pub fn router(endpoint: Endpoint, ctx: Arc<RpcContext>) -> Router {
    let server = RpcServer::new(endpoint, ctx)
        .handle(|ctx: Arc<RpcContext>, _, _: HelloCall| async move {
            use openraft::async_runtime::WatchReceiver;
            let initialized = ctx.raft.is_initialized().await.unwrap_or(false);
            let m = ctx.raft.metrics().borrow_watched().clone();
            Hello {
                node_id: ctx.node_id,
                name: ctx.name.clone(),
                version: env!("CARGO_PKG_VERSION").into(),
                rpc_format: RPC_FORMAT,
                initialized,
                gossip_addr: Some(ctx.membership.local().gossip_addr.to_string()),
                term: m.current_term,
                leading: m.current_leader == Some(ctx.node_id),
            }
        })
        .handle(|_: Arc<RpcContext>, _, _: ClockCall| async move {
            ClockReading {
                unix_nanos: crate::cluster::clock::unix_nanos(std::time::SystemTime::now()),
            }
        })
        .handle(|ctx: Arc<RpcContext>, _, Forward(cmd)| async move {
            ctx.raft
                .client_write(cmd)
                .await
                .map(|r| r.data)
                .map_err(|e| e.to_string())
        })
        .handle(|ctx: Arc<RpcContext>, _, Submit(cmd)| async move {
            crate::consensus::commit(&ctx.raft, &ctx.client, cmd).await
        })
        .handle(
            |ctx: Arc<RpcContext>, sender, req: DispatchRequest| async move {
                use openraft::async_runtime::WatchReceiver;
                let term = ctx.raft.metrics().borrow_watched().current_term;
                let verified = move |t: u64| async move { t <= term };
                dispatch(&ctx.worker, &ctx.membership, &sender, req, verified).await
            },
        )
        .handle(|ctx: Arc<RpcContext>, _, _: ReadIndex| async move {
            ctx.raft
                .ensure_linearizable(openraft::ReadPolicy::ReadIndex)
                .await
                .map(|r| r.index())
                .map_err(|e| e.to_string())
        })
        .handle(
            |ctx: Arc<RpcContext>, _, action: OperatorAction| async move {
                crate::cluster::operator::execute(&ctx.raft, &ctx.membership, action).await
            },
        )
        .handle(
            |ctx: Arc<RpcContext>, _, call: ApiCall| async move { api_call(&ctx.api, call).await },
        )
        .handle(|ctx: Arc<RpcContext>, _, Demote { force }| async move {
            demote_self(&ctx, force).await
        });
    crate::cluster::raft_network::serve(server).into_router()
}

/// Passes an agent's API request to this server's own router.
async fn api_call(api: &Router, call: ApiCall) -> ApiReply {
    use tower::ServiceExt;
    let failed = |status: u16, why: &str| ApiReply {
        status,
        headers: Vec::new(),
        body: b64(why.as_bytes()),
    };
    let Ok(bytes) = unb64(&call.body) else {
        return failed(400, "bad base64 body");
    };
    let mut req = axum::http::Request::builder()
        .method(call.method.as_str())
        .uri(call.uri.as_str());
    if let Some(ct) = &call.content_type {
        req = req.header("content-type", ct);
    }
    if let Some(token) = &call.token {
        req = req.header(crate::api::guard::TOKEN_HEADER, token.expose());
    }
    let Ok(req) = req.body(axum::body::Body::from(bytes)) else {
        return failed(400, "malformed API call");
    };
    let resp = match api.clone().oneshot(req).await {
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
    ApiReply {
        status,
        headers,
        body: b64(&body),
    }
}

/// How far a dispatch's term may exceed the fence before it must be verified as a real leader's
/// term. Zero: every new term is verified once, when the fence first moves to it.
const UNVERIFIED_TERM_STEP: u64 = 0;

/// Admits a dispatch, then lets the worker record and start it.
///
/// Fencing that cannot be poisoned: a dispatch is accepted only from a server that gossip knows
/// (authenticated by the RPC layer), sent in its own name, and the worker raises its fence only
/// to a term `verified` as a real leader term — a server checks against its own Raft term, an
/// agent asks the sender (an authenticated `hello`) whether it leads in that term. A term that
/// fails the check is refused and never stored, so `term = u64::MAX` cannot lock a node out.
pub async fn dispatch<V, Fut>(
    worker: &crate::node::worker::Worker,
    membership: &crate::cluster::membership::Membership,
    sender: &Peer,
    req: DispatchRequest,
    verified: V,
) -> DispatchReply
where
    V: FnOnce(u64) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    if let Err(why) = check_dispatch(worker, membership, sender, &req, verified).await {
        tracing::warn!(sender = %sender.name, "dispatch refused: {why}");
        return DispatchReply::refusal(why);
    }
    worker.accept(req).await
}

async fn check_dispatch<V, Fut>(
    worker: &crate::node::worker::Worker,
    membership: &crate::cluster::membership::Membership,
    sender: &Peer,
    req: &DispatchRequest,
    verified: V,
) -> Result<(), String>
where
    V: FnOnce(u64) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    use crate::cluster::membership::Role;
    if sender.name != req.leader {
        return Err(format!(
            "dispatch from {} in the name of {}",
            sender.name, req.leader
        ));
    }
    let is_server = membership
        .members()
        .iter()
        .any(|m| m.meta.name == sender.name && m.meta.role == Role::Server);
    if !is_server {
        return Err(format!("{} is not a server of this cluster", sender.name));
    }
    let term = req.token.term;
    if term > worker.highest_term().saturating_add(UNVERIFIED_TERM_STEP) && !verified(term).await {
        return Err(format!(
            "term {term} from {} is not a leader term this node can verify; not recorded",
            sender.name
        ));
    }
    Ok(())
}

async fn demote_self(ctx: &RpcContext, force: bool) -> Result<String, OperatorError> {
    use crate::cluster::membership::MemberStatus;
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
        super::hand_over_leadership(&ctx.raft).await;
    }
    // The hand-over returns before every server has seen the new leader, and a new leader
    // refuses membership changes until its term is established: ask whoever leads, again,
    // until it takes the removal (asking once failed the first demote of a leader).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let m = ctx.raft.metrics().borrow_watched().clone();
        let leader = m.current_leader.filter(|l| *l != ctx.node_id);
        let leader_addr = leader.and_then(|l| membership.get_node(&l).map(|n| n.rpc_addr.clone()));
        let result = match (leader, leader_addr) {
            (Some(leader), Some(addr)) => ctx
                .client
                .call(
                    &addr,
                    &Peer::id(leader),
                    &OperatorAction::RemovePeer {
                        node: ctx.name.clone(),
                        // Alive by design: it turns into an agent next, and the leader keeps
                        // it out meanwhile.
                        force: true,
                    },
                )
                .await
                .map_err(|e| OperatorError::Unavailable(e.to_string()))
                .and_then(|r| r),
            _ => Err(OperatorError::Unavailable(format!(
                "{} handed leadership on, but no other server leads yet: try again in a moment",
                ctx.name
            ))),
        };
        match result {
            Ok(_) => break,
            Err(OperatorError::Unavailable(why)) if tokio::time::Instant::now() < deadline => {
                tracing::debug!("demote: the removal is not taken yet, retrying: {why}");
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
            Err(e) => return Err(e),
        }
    }
    super::set_demoted(&ctx.data_dir, true)
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

/// What an agent's RPC handlers need.
pub struct AgentRpcContext {
    pub name: String,
    pub data_dir: std::path::PathBuf,
    /// Started with `--server`: only a demoted server can be promoted.
    pub server: bool,
    pub switch: tokio::sync::mpsc::UnboundedSender<()>,
    pub worker: crate::node::worker::Worker,
    pub membership: crate::cluster::membership::Membership,
    /// For the `hello` that verifies a new leader term.
    pub client: RpcClient,
}

/// The calls an agent answers: who it is, dispatches, and `promote` for a demoted server.
pub fn agent_router(endpoint: Endpoint, ctx: Arc<AgentRpcContext>) -> Router {
    RpcServer::new(endpoint, ctx)
        .handle(|ctx: Arc<AgentRpcContext>, _, _: HelloCall| async move {
            Hello {
                node_id: 0,
                name: ctx.name.clone(),
                version: env!("CARGO_PKG_VERSION").into(),
                rpc_format: RPC_FORMAT,
                initialized: false,
                gossip_addr: None,
                term: 0,
                leading: false,
            }
        })
        .handle(
            |ctx: Arc<AgentRpcContext>, sender, req: DispatchRequest| async move {
                // An agent has no Raft: it asks the sender whether it leads in that term.
                let addr = ctx
                    .membership
                    .members()
                    .into_iter()
                    .find(|m| m.meta.name == sender.name)
                    .map(|m| m.meta.rpc_addr.to_string());
                let (client, target) = (ctx.client.clone(), sender.clone());
                let verified = move |t: u64| async move {
                    let Some(addr) = addr else { return false };
                    matches!(
                        client.call(&addr, &target, &HelloCall {}).await,
                        Ok(h) if h.leading && h.term == t
                    )
                };
                dispatch(&ctx.worker, &ctx.membership, &sender, req, verified).await
            },
        )
        .handle(|ctx: Arc<AgentRpcContext>, _, _: Promote| async move {
            if !ctx.server {
                return Err(OperatorError::Refused(format!(
                    "{} was started without --server: restart it with --server to make it a server",
                    ctx.name
                )));
            }
            match super::set_demoted(&ctx.data_dir, false) {
                Ok(()) => {
                    let _ = ctx.switch.send(());
                    Ok(format!("{} promoted: it rejoins as a server", ctx.name))
                }
                Err(e) => Err(OperatorError::Unavailable(format!(
                    "cannot record the promotion: {e}"
                ))),
            }
        })
        .into_router()
}
