//! Serves a router on a TCP listener, for both the public HTTP API and the internal RPC:
//! optional TLS (rustls with `ring`, certificates re-read on SIGHUP and when their files change),
//! and the connection limits that keep a flood of idle or slow connections from starving the
//! node — a header-read timeout (idle keep-alive connections included), a TLS-handshake timeout,
//! and caps on connections per client IP and in total. axum::serve offers none of these.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use axum::Router;
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::config::{ConnectionLimits, TlsFiles};

// The PEM readers live in the client crate, which reads the same files for `--ca` and
// `--client-cert`; the listeners use them from there.
pub use belfry_client::pem::{TlsError, read_certificates, read_private_key, read_roots};

/// How often the certificate files' modification times are compared.
pub const TLS_FILE_POLL: Duration = Duration::from_secs(2);

/// The subject of the client certificate a TLS connection presented (DER), put in every
/// request's extensions when client certificates are required: who made a request.
#[derive(Debug, Clone)]
pub struct ClientCertificate(pub CertificateDer<'static>);

fn build_server_config(files: &TlsFiles) -> Result<rustls::ServerConfig, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = read_certificates(&files.cert)?;
    let key = read_private_key(&files.key)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match &files.client_ca {
        Some(ca) => {
            let roots = read_roots(ca)?;
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| TlsError::file(ca, e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        TlsError::Config(format!(
            "{} and {} do not make a usable certificate and key: {e}",
            files.cert.display(),
            files.key.display()
        ))
    })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// What the files looked like when last loaded: a change of any means "read again".
fn stamp(files: &TlsFiles) -> Vec<Option<(SystemTime, u64)>> {
    let mut paths: Vec<&PathBuf> = vec![&files.cert, &files.key];
    paths.extend(files.client_ca.as_ref());
    paths
        .into_iter()
        .map(|p| {
            std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        })
        .collect()
}

/// The server's TLS settings, replaced in place when the files change.
pub struct ServerTls {
    files: TlsFiles,
    current: RwLock<Arc<rustls::ServerConfig>>,
    loaded_stamp: Mutex<Vec<Option<(SystemTime, u64)>>>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Loads the files; an error here stops the agent from starting.
    pub fn load(files: &TlsFiles) -> Result<Arc<ServerTls>, TlsError> {
        let loaded_stamp = stamp(files);
        let config = build_server_config(files)?;
        Ok(Arc::new(ServerTls {
            files: files.clone(),
            current: RwLock::new(Arc::new(config)),
            loaded_stamp: Mutex::new(loaded_stamp),
        }))
    }

    /// Reads the files again. A bad set keeps the certificate in use and says why.
    pub fn reload(&self, why: &str) {
        let new_stamp = stamp(&self.files);
        match build_server_config(&self.files) {
            Ok(config) => {
                *self.current.write().expect("tls lock") = Arc::new(config);
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded ({why})");
            }
            Err(e) => {
                tracing::error!("TLS certificate not reloaded ({why}), keeping the old one: {e}")
            }
        }
        *self.loaded_stamp.lock().expect("tls lock") = new_stamp;
    }

    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.current.read().expect("tls lock").clone())
    }

    /// Reloads on SIGHUP and whenever the files' modification time or size changes, until
    /// `stop` turns true.
    pub fn watch(self: &Arc<Self>, mut stop: watch::Receiver<bool>) {
        let tls = self.clone();
        tokio::spawn(async move {
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut tick = tokio::time::interval(TLS_FILE_POLL);
            loop {
                let hup = async {
                    match hangup.as_mut() {
                        Some(h) => {
                            h.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => return,
                    _ = hup => tls.reload("SIGHUP"),
                    _ = tick.tick() => {
                        let changed = *tls.loaded_stamp.lock().expect("tls lock") != stamp(&tls.files);
                        if changed {
                            tls.reload("files changed");
                        }
                    }
                }
            }
        });
    }
}

/// Open connections, in total and per client IP.
#[derive(Debug, Default)]
struct ConnectionCount {
    total: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    closed: Notify,
}

/// One admitted connection; dropping it frees its place.
struct ConnectionSlot {
    count: Arc<ConnectionCount>,
    ip: IpAddr,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut per_ip = self.count.per_ip.lock().expect("connection count lock");
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
        self.count.total.fetch_sub(1, Ordering::SeqCst);
        self.count.closed.notify_waiters();
    }
}

impl ConnectionCount {
    fn admit(
        self: &Arc<Self>,
        ip: IpAddr,
        limits: &ConnectionLimits,
    ) -> Result<ConnectionSlot, &'static str> {
        let mut per_ip = self.per_ip.lock().expect("connection count lock");
        if self.total.load(Ordering::SeqCst) >= limits.max_connections as usize {
            return Err("max-connections");
        }
        let n = per_ip.entry(ip).or_insert(0);
        if *n >= limits.max_connections_per_ip as usize {
            return Err("max-connections-per-ip");
        }
        *n += 1;
        self.total.fetch_add(1, Ordering::SeqCst);
        Ok(ConnectionSlot {
            count: self.clone(),
            ip,
        })
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish.
/// `what` names the listener in logs ("http", "rpc").
pub async fn serve(
    what: &'static str,
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    tls: Option<Arc<ServerTls>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let count = Arc::new(ConnectionCount::default());
    let (closing_tx, closing_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    // Refusals are logged at most once a second: a flood must not flood the log too.
    let mut last_refusal_log = std::time::Instant::now() - Duration::from_secs(2);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::warn!(listener = what, "accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let slot = match count.admit(peer.ip(), &limits) {
            Ok(slot) => slot,
            Err(limit) => {
                crate::telemetry::global().connection_refused(what);
                if last_refusal_log.elapsed() >= Duration::from_secs(1) {
                    last_refusal_log = std::time::Instant::now();
                    tracing::warn!(listener = what, %peer, "connection refused: {limit} reached");
                }
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let closing = closing_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match tls {
                None => serve_connection(stream, peer, None, router, limits, closing).await,
                Some(tls) => {
                    let handshake = tokio::time::timeout(
                        limits.header_read_timeout,
                        tls.acceptor().accept(stream),
                    )
                    .await;
                    match handshake {
                        Ok(Ok(stream)) => {
                            let cert = stream
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|c| c.first())
                                .map(|c| ClientCertificate(c.clone().into_owned()));
                            serve_connection(stream, peer, cert, router, limits, closing).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(listener = what, %peer, "TLS handshake failed: {e}")
                        }
                        Err(_) => {
                            tracing::debug!(listener = what, %peer, "TLS handshake timed out")
                        }
                    }
                }
            }
        });
    }
    // Free the port at once: a role switch in this process binds it again.
    drop(listener);
    closing_tx.send_replace(true);
    // Let requests in flight finish (the caller bounds the wait).
    loop {
        let closed = count.closed.notified();
        if count.total.load(Ordering::SeqCst) == 0 {
            return;
        }
        let _ = tokio::time::timeout(Duration::from_millis(100), closed).await;
    }
}

async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    cert: Option<ClientCertificate>,
    router: Router,
    limits: ConnectionLimits,
    mut closing: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            let router = router.clone();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            if let Some(cert) = &cert {
                req.extensions_mut().insert(cert.clone());
            }
            async move { router.oneshot(req.map(axum::body::Body::new)).await }
        });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            return;
        }
        _ = closing.wait_for(|c| *c) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}
