//! The internal RPC between nodes, typed: every call is a request type that declares its path,
//! its reply type and its timeout once ([`RpcCall`]); one generic client ([`RpcClient::call`])
//! and one generic server registration ([`RpcServer::handle`]) carry every call, so framing,
//! authentication, encryption, limits, timeouts and errors are handled in one place.
//!
//! Transport: HTTP/1.1 `POST /rpc/v2/<call>` on the bind IP and `--rpc-port`. Security
//! ([`seal`]): every call is authenticated (sender, target, timestamp, nonce and length under an
//! HMAC checked before the body is read), sealed with AES-256-GCM both ways, and never served
//! without the cluster key. Bodies are a format-version byte followed by JSON.
//!
//! Each layer declares the calls it makes beside the code that makes them (`consensus`: forward,
//! submit, read-index; `cluster`: clock, operator, Raft's own; `node::worker`: dispatch; `api`: the
//! agent's pass-through); the agent registers the handlers (`agent::rpc`). `hello` is here: every
//! role answers it.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use super::seal::{Peer, SealError, Sealer};

/// Version of the RPC body format.
pub const RPC_FORMAT: u8 = 1;
/// The largest body a call may declare (Raft appends, snapshots and dispatches may be large).
/// Checked against the authenticated `content-length` before anything is read.
pub const RPC_BODY_LIMIT: u64 = 256 * 1024 * 1024;

/// One internal call: a request type with its reply, path and timeout, declared once.
pub trait RpcCall: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The last segment of the call's path, `/rpc/v2/<NAME>`.
    const NAME: &'static str;
    /// How long the caller waits by default.
    const TIMEOUT: Duration;
    /// Whether the call may be sent to whoever listens at an address (`hello` only: it is how a
    /// node learns who is there). Every other call names its target node.
    const ANY_TARGET: bool = false;
    type Reply: Serialize + DeserializeOwned + Send + 'static;

    fn path() -> String {
        format!("/rpc/v2/{}", Self::NAME)
    }
}

/// A body: the format byte, then JSON.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![RPC_FORMAT];
    serde_json::to_writer(&mut out, value).expect("RPC values serialise");
    out
}

/// Decodes a body; never panics on any input.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
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

/// The process's RPC counters, bumped here (the one place every call passes) and read by
/// `/metrics`.
#[derive(Debug)]
pub struct RpcCounters {
    /// Calls this node answered.
    pub served: std::sync::atomic::AtomicU64,
    /// Calls refused before their body was read (unauthenticated, stale, replayed, misaddressed,
    /// too large) or whose body did not open.
    pub refused: std::sync::atomic::AtomicU64,
    /// Calls this node made that failed (unreachable, refused, bad answer).
    pub failed: std::sync::atomic::AtomicU64,
}

static COUNTERS: RpcCounters = RpcCounters {
    served: std::sync::atomic::AtomicU64::new(0),
    refused: std::sync::atomic::AtomicU64::new(0),
    failed: std::sync::atomic::AtomicU64::new(0),
};

/// This process's RPC counters.
pub fn counters() -> &'static RpcCounters {
    &COUNTERS
}

fn bump(counter: &std::sync::atomic::AtomicU64) {
    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// This node on the RPC: who it is and its keys.
#[derive(Clone)]
pub struct Endpoint {
    pub me: Peer,
    pub sealer: Arc<Sealer>,
}

impl Endpoint {
    pub fn new(me: Peer, cluster_key: &[u8]) -> Endpoint {
        Endpoint {
            me,
            sealer: Arc::new(Sealer::new(cluster_key)),
        }
    }
}

/// A server of typed calls with a shared state `S`.
pub struct RpcServer<S> {
    router: Router,
    endpoint: Endpoint,
    state: Arc<S>,
}

fn refuse(status: StatusCode, msg: impl Into<String>) -> Response {
    bump(&COUNTERS.refused);
    // `Connection: close`: a refused caller's unread upload is not drained, the socket goes.
    (status, [(header::CONNECTION, "close")], msg.into()).into_response()
}

impl<S: Send + Sync + 'static> RpcServer<S> {
    pub fn new(endpoint: Endpoint, state: Arc<S>) -> RpcServer<S> {
        RpcServer {
            router: Router::new(),
            endpoint,
            state,
        }
    }

    /// Serves call `R` with `handler(state, sender, request)`.
    pub fn handle<R, F, Fut>(mut self, handler: F) -> RpcServer<S>
    where
        R: RpcCall,
        F: Fn(Arc<S>, Peer, R) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = R::Reply> + Send + 'static,
    {
        let endpoint = self.endpoint.clone();
        let state = self.state.clone();
        self.router = self.router.route(
            &R::path(),
            post(move |req: Request| {
                let (endpoint, state, handler) = (endpoint.clone(), state.clone(), handler.clone());
                async move { serve_call::<R, S, F, Fut>(&endpoint, state, handler, req).await }
            }),
        );
        self
    }

    pub fn into_router(self) -> Router {
        self.router
    }
}

/// Admits, opens, decodes, runs and seals one call. Nothing of the body is read before the
/// header authenticates, and never more than the authenticated `content-length`.
async fn serve_call<R, S, F, Fut>(
    endpoint: &Endpoint,
    state: Arc<S>,
    handler: F,
    req: Request,
) -> Response
where
    R: RpcCall,
    F: Fn(Arc<S>, Peer, R) -> Fut,
    Fut: Future<Output = R::Reply>,
{
    let started = Instant::now();
    let path = R::path();
    let (parts, body) = req.into_parts();
    let Some(length) = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return refuse(
            StatusCode::LENGTH_REQUIRED,
            "internal RPC needs a content-length",
        );
    };
    if length > RPC_BODY_LIMIT {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "internal RPC body too large");
    }
    let auth = parts
        .headers
        .get(super::seal::HDR_RPC)
        .and_then(|v| v.to_str().ok());
    let creds =
        match endpoint
            .sealer
            .admit(auth, "POST", &path, length, &endpoint.me, R::ANY_TARGET)
        {
            Ok(c) => c,
            Err(e) => {
                let status = match e {
                    SealError::WrongTarget(_) | SealError::NoTarget => StatusCode::CONFLICT,
                    _ => StatusCode::UNAUTHORIZED,
                };
                tracing::warn!(%path, "internal RPC refused: {e}");
                return refuse(status, e.to_string());
            }
        };
    let sealed = match axum::body::to_bytes(body, length as usize).await {
        Ok(b) if b.len() as u64 == length => b,
        Ok(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "body shorter than its content-length",
            );
        }
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            );
        }
    };
    let plain = match endpoint.sealer.open_call(&creds, sealed.to_vec()) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(%path, "internal RPC refused: {e}");
            return refuse(StatusCode::UNAUTHORIZED, e.to_string());
        }
    };
    let request = match decode::<R>(&plain) {
        Ok(r) => r,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
    };
    let reply = handler(state, creds.sender.clone(), request).await;
    let body = endpoint.sealer.seal_reply(&creds, &encode(&reply));
    bump(&COUNTERS.served);
    tracing::trace!(%path, sender = %creds.sender.name, elapsed = ?started.elapsed(), "internal RPC served");
    (StatusCode::OK, body).into_response()
}

/// Why an RPC call failed.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    #[error("{addr} unreachable: {reason}")]
    Unreachable {
        addr: String,
        reason: String,
        /// No connection was made: the receiver never saw the call (refused, no route), as
        /// opposed to a call sent and not answered in time, which it may still act on.
        unconnected: bool,
    },
    #[error("{addr} refused the call ({status}): {reason}")]
    Refused {
        addr: String,
        status: u16,
        reason: String,
    },
    #[error("{addr} answered badly: {reason}")]
    Protocol { addr: String, reason: String },
}

/// The client side of every internal call.
/// An error's message followed by those of its causes, `: `-separated, without repeats.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// How long the RPC client keeps an unused connection for the next call.
///
/// Well under the listeners' header read timeout (10 s by default), which hyper also applies
/// to a connection waiting for its next request: a connection the client keeps longer is
/// closed by the other side at that timeout, and a call sent on it just then fails with
/// "connection closed before message completed" or a reset. A leader dispatching every 10 s
/// (all jobs at one instant, `*/10 * * * * *`) hit exactly that on every batch.
const IDLE_CONNECTION_KEPT: Duration = Duration::from_secs(4);

#[derive(Clone)]
pub struct RpcClient {
    http: reqwest::Client,
    endpoint: Endpoint,
}

impl RpcClient {
    pub fn new(endpoint: Endpoint) -> RpcClient {
        crate::client::install_tls_provider();
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(2))
            .pool_idle_timeout(IDLE_CONNECTION_KEPT)
            .build()
            .expect("a plain HTTP client always builds");
        RpcClient { http, endpoint }
    }

    /// This node, as it signs its calls.
    pub fn me(&self) -> &Peer {
        &self.endpoint.me
    }

    /// Sends `request` to `target` at `addr` and waits up to the call's own timeout.
    pub async fn call<R: RpcCall>(
        &self,
        addr: &str,
        target: &Peer,
        request: &R,
    ) -> Result<R::Reply, RpcError> {
        self.call_within(addr, target, request, R::TIMEOUT).await
    }

    /// Sends `request` to `target` at `addr` and waits up to `timeout`.
    pub async fn call_within<R: RpcCall>(
        &self,
        addr: &str,
        target: &Peer,
        request: &R,
        timeout: Duration,
    ) -> Result<R::Reply, RpcError> {
        let result = self.send(addr, target, request, timeout).await;
        if result.is_err() {
            bump(&COUNTERS.failed);
        }
        result
    }

    async fn send<R: RpcCall>(
        &self,
        addr: &str,
        target: &Peer,
        request: &R,
        timeout: Duration,
    ) -> Result<R::Reply, RpcError> {
        let path = R::path();
        let (auth, body, mac) = self.endpoint.sealer.seal_call(
            "POST",
            &path,
            &self.endpoint.me,
            target,
            &encode(request),
        );
        // reqwest's own message is only "error sending request for url (…)": the causes below
        // it (timed out, connection refused, reset) are what an operator needs to read.
        let unreachable = |e: reqwest::Error| RpcError::Unreachable {
            addr: addr.into(),
            reason: with_causes(&e),
            unconnected: e.is_connect(),
        };
        let resp = self
            .http
            .post(format!("http://{addr}{path}"))
            .timeout(timeout)
            .header(super::seal::HDR_RPC, auth)
            .body(body)
            .send()
            .await
            .map_err(unreachable)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(RpcError::Refused {
                addr: addr.into(),
                status: status.as_u16(),
                reason: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        let protocol = |reason: String| RpcError::Protocol {
            addr: addr.into(),
            reason,
        };
        let plain = self
            .endpoint
            .sealer
            .open_reply(&mac, bytes.to_vec())
            .map_err(|e| protocol(e.to_string()))?;
        decode(&plain).map_err(protocol)
    }
}

/// `hello`: who is there. The reply is authenticated like every reply, so a node that answers
/// holds the cluster key: the leader asks before it adds a server as a learner.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HelloCall {}

/// Who a node is, as `hello` tells it.
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
    /// Its current Raft term (0 for an agent).
    #[serde(default)]
    pub term: u64,
    /// Whether it leads, in that term.
    #[serde(default)]
    pub leading: bool,
}

impl RpcCall for HelloCall {
    const NAME: &'static str = "hello";
    const TIMEOUT: Duration = Duration::from_secs(2);
    const ANY_TARGET: bool = true;
    type Reply = Hello;
}

/// Bytes as base64 text (bodies carried inside JSON).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_their_format() {
        let body = encode(&42u32);
        assert_eq!(decode::<u32>(&body).unwrap(), 42);
        let mut newer = body.clone();
        newer[0] = 9;
        assert!(decode::<u32>(&newer).unwrap_err().contains("format 9"));
        assert!(decode::<u32>(b"").is_err());
    }

    #[tokio::test]
    async fn an_unreachable_peer_is_named_with_the_cause() {
        // A port nothing listens on: the reason says the connection was refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        crate::client::install_tls_provider();
        let err = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .unwrap_err();
        let text = with_causes(&err);
        assert!(text.starts_with("error sending request for url"), "{text}");
        assert!(text.to_lowercase().contains("refused"), "{text}");
    }

    #[test]
    fn idle_connections_are_let_go_well_before_a_listener_would_close_them() {
        let listener_closes = crate::config::DEFAULT_HEADER_READ_TIMEOUT;
        assert!(
            IDLE_CONNECTION_KEPT * 2 <= listener_closes,
            "kept {IDLE_CONNECTION_KEPT:?}, listeners close idle connections at {listener_closes:?}"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bodies_decode_to_errors(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = decode::<crate::node::worker::DispatchRequest>(&body);
            let _ = decode::<crate::state::Command>(&body);
            let _ = decode::<crate::cluster::raft_network::RaftSnapshot>(&body);
        }
    }
}
