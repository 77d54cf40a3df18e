//! A typed client of the public HTTP API. The CLI and the dashboard use only this, exactly as
//! an operator's own script would use the REST API.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::model::{Execution, Health, Job, Member, NodeStatus};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The address is not usable.
    #[error("invalid address {0:?}: expected host:port or http(s)://host:port")]
    Address(String),
    /// No connection, timeout, or a broken response.
    #[error("cannot reach belfry at {base}: {source}")]
    Transport {
        base: String,
        #[source]
        source: reqwest::Error,
    },
    /// The job or execution does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The server answered with an error status.
    #[error("{status}: {message}")]
    Api { status: StatusCode, message: String },
    /// The body was not what the API documents.
    #[error("unexpected response from {base}: {reason}")]
    Decode { base: String, reason: String },
    /// `--ca`, `--client-cert` or `--client-key` cannot be used.
    #[error("TLS: {0}")]
    Tls(String),
}

/// How clients check an `https://` API and which certificate they show: the CLI's `--ca`,
/// `--client-cert` and `--client-key`, set once per process (every command and `top` use them).
#[derive(Debug, Clone, Default)]
pub struct ClientTls {
    /// The CA that signed the API's certificate; without it the system's roots are used.
    pub ca: Option<std::path::PathBuf>,
    pub client_cert: Option<std::path::PathBuf>,
    pub client_key: Option<std::path::PathBuf>,
}

static CLIENT_TLS: std::sync::OnceLock<ClientTls> = std::sync::OnceLock::new();

/// Sets this process's client TLS settings (the first call wins).
pub fn set_client_tls(tls: ClientTls) {
    let _ = CLIENT_TLS.set(tls);
}

/// The rustls settings for `tls`, or `None` when nothing is configured (reqwest's defaults).
pub fn client_tls_config(tls: &ClientTls) -> Result<Option<rustls::ClientConfig>, ClientError> {
    if tls.ca.is_none() && tls.client_cert.is_none() {
        return Ok(None);
    }
    let err = |e: crate::pem::TlsError| ClientError::Tls(e.to_string());
    let roots = match &tls.ca {
        Some(ca) => crate::pem::read_roots(ca).map_err(err)?,
        None => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            roots
        }
    };
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ClientError::Tls(e.to_string()))?
    .with_root_certificates(roots);
    let mut config = match (&tls.client_cert, &tls.client_key) {
        (Some(cert), Some(key)) => {
            let certs = crate::pem::read_certificates(cert).map_err(err)?;
            let key = crate::pem::read_private_key(key).map_err(err)?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| ClientError::Tls(format!("client certificate: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(ClientError::Tls(
                "--client-cert and --client-key go together".into(),
            ));
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(config))
}

/// Client of one node's API.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    /// Sent as `Authorization: Bearer …` when the API needs one.
    token: Option<String>,
    /// Limit on each whole request (none: only the connect timeout).
    timeout: Option<Duration>,
    /// Reads served from the node's own copy (`?stale`): never wait for a leader.
    stale: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token itself.
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("stale", &self.stale)
            .finish()
    }
}

/// The reason in an error body: a refusal's `error` (401/403 answer JSON), else the text.
fn error_text(bytes: &[u8]) -> String {
    match serde_json::from_slice::<crate::acl::Refusal>(bytes) {
        Ok(r) => r.error,
        Err(_) => String::from_utf8_lossy(bytes).trim().to_string(),
    }
}

/// Installs the `ring` TLS provider once per process; reqwest needs one before the first client.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Client {
    /// `addr` is `host:port` (as `--http-addr` takes it) or a full `http://` / `https://` URL.
    /// The process's `--ca`/`--client-cert` settings ([`set_client_tls`]) apply.
    pub fn new(addr: &str) -> Result<Client, ClientError> {
        Client::new_with_tls(addr, CLIENT_TLS.get().unwrap_or(&ClientTls::default()))
    }

    /// A client that checks an `https://` API against `tls.ca` and shows `tls.client_cert`.
    pub fn new_with_tls(addr: &str, tls: &ClientTls) -> Result<Client, ClientError> {
        install_tls_provider();
        let base = base_url(addr)?;
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(5));
        if let Some(tls) = client_tls_config(tls)? {
            builder = builder.tls_backend_preconfigured(tls);
        }
        let http = builder.build().map_err(|source| ClientError::Transport {
            base: base.clone(),
            source,
        })?;
        Ok(Client {
            base,
            http,
            token: None,
            timeout: None,
            stale: false,
        })
    }

    /// The same client, sending `token` as a bearer token (`None` or empty: no token).
    pub fn with_token(mut self, token: Option<&str>) -> Client {
        self.token = token.filter(|t| !t.is_empty()).map(String::from);
        self
    }

    /// The same client, giving up on any request after `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = Some(timeout);
        self
    }

    /// The same client, reading the node's own copy of the state (`?stale`) for jobs,
    /// executions and running executions: a dashboard must not wait for a quorum to show
    /// that there is none.
    pub fn with_stale_reads(mut self, stale: bool) -> Client {
        self.stale = stale;
        self
    }

    /// Another node's API with the same token, timeout and read mode, sharing this client's
    /// connection pool (building a client is expensive: it sets up TLS).
    /// A bare `host:port` keeps this client's scheme: a cluster serving TLS serves it on every node.
    pub fn for_addr(&self, addr: &str) -> Result<Client, ClientError> {
        let has_scheme = addr.contains("://");
        let addr = if !has_scheme && self.base.starts_with("https://") {
            format!("https://{}", addr.trim())
        } else {
            addr.to_string()
        };
        Ok(Client {
            base: base_url(&addr)?,
            ..self.clone()
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `path` with `?stale` added when this client reads stale.
    fn read_path(&self, path: &str) -> String {
        if !self.stale {
            return path.to_string();
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}stale=true")
    }

    fn request(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, url);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(timeout) = self.timeout {
            req = req.timeout(timeout);
        }
        req
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Job>,
        what: &str,
    ) -> Result<T, ClientError> {
        self.call_with(method, path, body, what).await
    }

    async fn call_with<T: DeserializeOwned, B: serde::Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        what: &str,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.request(method, &url);
        if let Some(body) = body {
            req = req.json(body);
        }
        let transport = |source| ClientError::Transport {
            base: self.base.clone(),
            source,
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport)?;
        if status == StatusCode::NOT_FOUND {
            return Err(ClientError::NotFound(what.into()));
        }
        if !status.is_success() {
            return Err(ClientError::Api {
                status,
                message: error_text(&bytes),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
            base: self.base.clone(),
            reason: e.to_string(),
        })
    }

    /// The state as a Raft snapshot file, with the cluster id (`GET /v1/operator/snapshot`).
    /// `progress` sees the bytes received so far as they arrive.
    pub async fn snapshot(
        &self,
        stale: bool,
        mut progress: impl FnMut(u64),
    ) -> Result<(Vec<u8>, String), ClientError> {
        let url = format!(
            "{}/v1/operator/snapshot{}",
            self.base,
            if stale { "?stale" } else { "" }
        );
        let transport = |source| ClientError::Transport {
            base: self.base.clone(),
            source,
        };
        let mut resp = self
            .request(Method::GET, &url)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        let cluster = resp
            .headers()
            .get("x-belfry-cluster-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unnamed")
            .to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            bytes.extend_from_slice(&chunk);
            progress(bytes.len() as u64);
        }
        if !status.is_success() {
            return Err(ClientError::Api {
                status,
                message: error_text(&bytes),
            });
        }
        Ok((bytes.to_vec(), cluster))
    }

    /// Replaces the cluster's state with a Raft snapshot file (`POST /v1/operator/restore`).
    pub async fn restore(&self, snapshot: Vec<u8>) -> Result<String, ClientError> {
        let url = format!("{}/v1/operator/restore", self.base);
        let transport = |source| ClientError::Transport {
            base: self.base.clone(),
            source,
        };
        let resp = self
            .request(Method::POST, &url)
            .header("content-type", "application/octet-stream")
            .body(snapshot)
            .send()
            .await
            .map_err(transport)?;
        self.message_of(resp).await
    }

    /// The `{"message": …}` of an operator answer, or the error it carries.
    async fn message_of(&self, resp: reqwest::Response) -> Result<String, ClientError> {
        #[derive(serde::Deserialize)]
        struct Reply {
            message: String,
        }
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|source| ClientError::Transport {
                base: self.base.clone(),
                source,
            })?;
        if !status.is_success() {
            return Err(ClientError::Api {
                status,
                message: error_text(&bytes),
            });
        }
        let r: Reply = serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
            base: self.base.clone(),
            reason: e.to_string(),
        })?;
        Ok(r.message)
    }

    /// `POST /v1/acl/bootstrap`: the first management token (its secret is in the answer).
    pub async fn acl_bootstrap(&self) -> Result<crate::acl::NewToken, ClientError> {
        self.call_with::<_, ()>(Method::POST, "/v1/acl/bootstrap", None, "ACL bootstrap")
            .await
    }

    /// `POST /v1/acl/tokens`.
    pub async fn acl_create_token(
        &self,
        request: &crate::acl::TokenRequest,
    ) -> Result<crate::acl::NewToken, ClientError> {
        self.call_with(Method::POST, "/v1/acl/tokens", Some(request), "ACL tokens")
            .await
    }

    /// `GET /v1/acl/tokens`: every token, without secrets.
    pub async fn acl_tokens(&self) -> Result<Vec<crate::acl::TokenInfo>, ClientError> {
        self.call_with::<_, ()>(Method::GET, "/v1/acl/tokens", None, "ACL tokens")
            .await
    }

    /// `DELETE /v1/acl/tokens/ACCESSOR`.
    pub async fn acl_delete_token(&self, accessor: &str) -> Result<String, ClientError> {
        #[derive(serde::Deserialize)]
        struct Reply {
            message: String,
        }
        let r: Reply = self
            .call_with::<_, ()>(
                Method::DELETE,
                &format!("/v1/acl/tokens/{accessor}"),
                None,
                &format!("token {accessor}"),
            )
            .await?;
        Ok(r.message)
    }

    /// `GET /v1/acl/roles`.
    pub async fn acl_roles(&self) -> Result<Vec<crate::acl::RoleInfo>, ClientError> {
        self.call_with::<_, ()>(Method::GET, "/v1/acl/roles", None, "ACL roles")
            .await
    }

    pub async fn health(&self) -> Result<Health, ClientError> {
        self.call(Method::GET, "/health", None, "health").await
    }

    pub async fn status(&self) -> Result<NodeStatus, ClientError> {
        self.call(Method::GET, "/v1", None, "status").await
    }

    pub async fn members(&self) -> Result<Vec<Member>, ClientError> {
        self.call(Method::GET, "/v1/members", None, "members").await
    }

    pub async fn leader(&self) -> Result<Member, ClientError> {
        self.call(Method::GET, "/v1/leader", None, "leader").await
    }

    pub async fn raft_peers(&self) -> Result<crate::model::RaftPeers, ClientError> {
        self.call(Method::GET, "/v1/operator/raft/peers", None, "raft peers")
            .await
    }

    /// `GET /v1/operator/health`: quorum, failure tolerance and every server's health, as
    /// the leader sees it.
    pub async fn cluster_health(&self) -> Result<crate::model::ClusterHealth, ClientError> {
        self.call(Method::GET, "/v1/operator/health", None, "cluster health")
            .await
    }

    /// `GET /v1/node/stats`: this node's own CPU, memory and data-dir disk use.
    pub async fn node_stats(&self) -> Result<crate::node_stats::NodeStats, ClientError> {
        self.call(Method::GET, crate::node_stats::PATH, None, "node stats")
            .await
    }

    /// `GET /v1/busy`: the executions running now, newest first.
    pub async fn busy(&self) -> Result<Vec<Execution>, ClientError> {
        self.call(Method::GET, &self.read_path("/v1/busy"), None, "busy")
            .await
    }

    async fn operator(&self, path: &str, what: &str) -> Result<String, ClientError> {
        #[derive(serde::Deserialize)]
        struct Reply {
            message: String,
        }
        let url = format!("{}{path}", self.base);
        let transport = |source| ClientError::Transport {
            base: self.base.clone(),
            source,
        };
        let resp = self
            .request(Method::POST, &url)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(transport)?;
        let text = String::from_utf8_lossy(&bytes).trim().to_string();
        if status == StatusCode::NOT_FOUND {
            // The server's 404 names the node and why (no such member, not a Raft server);
            // keep its words, falling back on what was asked for.
            return Err(ClientError::NotFound(if text.is_empty() {
                what.into()
            } else {
                text
            }));
        }
        if !status.is_success() {
            return Err(ClientError::Api {
                status,
                message: text,
            });
        }
        let r: Reply = serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
            base: self.base.clone(),
            reason: e.to_string(),
        })?;
        Ok(r.message)
    }

    /// Removes a server (name or hex id) from the Raft configuration (`force`: even one that
    /// gossip sees alive).
    pub async fn remove_peer(&self, node: &str, force: bool) -> Result<String, ClientError> {
        let path = format!(
            "/v1/operator/raft/remove-peer/{}{}",
            encode_segment(node),
            if force { "?force=true" } else { "" }
        );
        self.operator(&path, &format!("Raft server {node:?}")).await
    }

    /// Removes a server that gossip no longer sees alive.
    pub async fn force_leave(&self, node: &str) -> Result<String, ClientError> {
        let path = format!("/v1/operator/force-leave/{}", encode_segment(node));
        self.operator(&path, &format!("Raft server {node:?}")).await
    }

    /// Hands leadership to `to`, or to the most caught-up voter.
    pub async fn transfer_leadership(&self, to: Option<&str>) -> Result<String, ClientError> {
        let path = match to {
            Some(n) => format!(
                "/v1/operator/raft/transfer-leadership?to={}",
                encode_segment(n)
            ),
            None => "/v1/operator/raft/transfer-leadership".into(),
        };
        self.operator(&path, "Raft server").await
    }

    /// Turns a running server into an agent (`force`: even if the voters left cannot form a
    /// quorum).
    pub async fn demote(&self, node: &str, force: bool) -> Result<String, ClientError> {
        let path = format!(
            "/v1/operator/demote/{}{}",
            encode_segment(node),
            if force { "?force=true" } else { "" }
        );
        self.operator(&path, &format!("member {node:?}")).await
    }

    /// Turns a demoted server back into a server.
    pub async fn promote(&self, node: &str) -> Result<String, ClientError> {
        let path = format!("/v1/operator/promote/{}", encode_segment(node));
        self.operator(&path, &format!("member {node:?}")).await
    }

    /// Makes the node join the gossip cluster through `addrs`.
    pub async fn join(&self, addrs: &[String]) -> Result<String, ClientError> {
        let url = format!("{}/v1/operator/join", self.base);
        let transport = |source| ClientError::Transport {
            base: self.base.clone(),
            source,
        };
        let resp = self
            .request(Method::POST, &url)
            .json(&serde_json::json!({ "addrs": addrs }))
            .send()
            .await
            .map_err(transport)?;
        self.message_of(resp).await
    }

    /// Asks the node to leave the cluster and stop.
    pub async fn leave(&self) -> Result<String, ClientError> {
        self.operator("/v1/leave", "node").await
    }

    pub async fn jobs(&self) -> Result<Vec<Job>, ClientError> {
        self.call(Method::GET, &self.read_path("/v1/jobs"), None, "jobs")
            .await
    }

    pub async fn job(&self, name: &str) -> Result<Job, ClientError> {
        self.call(Method::GET, &job_path(name, ""), None, &job_what(name))
            .await
    }

    /// Creates or replaces a job.
    pub async fn put_job(&self, job: &Job) -> Result<Job, ClientError> {
        self.call(Method::POST, "/v1/jobs", Some(job), &job_what(&job.name))
            .await
    }

    pub async fn delete_job(&self, name: &str) -> Result<Job, ClientError> {
        self.call(Method::DELETE, &job_path(name, ""), None, &job_what(name))
            .await
    }

    /// Runs a job now; returns once the run has finished.
    pub async fn run_job(&self, name: &str) -> Result<Job, ClientError> {
        self.call(Method::POST, &job_path(name, "/run"), None, &job_what(name))
            .await
    }

    pub async fn toggle_job(&self, name: &str) -> Result<Job, ClientError> {
        self.call(
            Method::POST,
            &job_path(name, "/toggle"),
            None,
            &job_what(name),
        )
        .await
    }

    /// A job's executions, newest first.
    pub async fn executions(&self, name: &str) -> Result<Vec<Execution>, ClientError> {
        self.call(
            Method::GET,
            &job_path(name, "/executions"),
            None,
            &job_what(name),
        )
        .await
    }

    /// A job's newest `limit` executions, newest first, each output cut to its last
    /// `output_bytes` bytes.
    pub async fn recent_executions(
        &self,
        name: &str,
        limit: usize,
        output_bytes: usize,
    ) -> Result<Vec<Execution>, ClientError> {
        let path = job_path(
            name,
            &format!("/executions?_end={limit}&output_size_limit={output_bytes}"),
        );
        self.call(Method::GET, &self.read_path(&path), None, &job_what(name))
            .await
    }

    pub async fn execution(&self, name: &str, id: &str) -> Result<Execution, ClientError> {
        let path = job_path(name, &format!("/executions/{}", encode_segment(id)));
        self.call(
            Method::GET,
            &path,
            None,
            &format!("execution {id:?} of job {name:?}"),
        )
        .await
    }
}

/// `host:port` or an `http(s)://` URL, as a base URL without a trailing slash.
fn base_url(addr: &str) -> Result<String, ClientError> {
    let addr = addr.trim().trim_end_matches('/');
    if addr.is_empty() {
        return Err(ClientError::Address(addr.into()));
    }
    let base = if addr.starts_with("http://") || addr.starts_with("https://") {
        addr.to_string()
    } else {
        format!("http://{addr}")
    };
    reqwest::Url::parse(&base).map_err(|_| ClientError::Address(addr.into()))?;
    Ok(base)
}

fn job_what(name: &str) -> String {
    format!("job {name:?}")
}

fn job_path(name: &str, rest: &str) -> String {
    format!("/v1/jobs/{}{rest}", encode_segment(name))
}

/// Percent-encodes a path segment so no name can escape its place in the URL.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_paths() {
        assert_eq!(
            Client::new("127.0.0.1:8080").unwrap().base(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(Client::new("https://h:1/").unwrap().base(), "https://h:1");
        assert!(Client::new("").is_err());
        assert_eq!(job_path("a/../b", "/run"), "/v1/jobs/a%2F..%2Fb/run");
    }
}
