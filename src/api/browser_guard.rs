//! Browser safety for the public HTTP API: what stops a web page open in a browser on an
//! operator's machine from driving a node's API (see docs/security.md, "Browser safety").
//!
//! - `Host` must name this node (an IP literal, `localhost`, the node name, or an
//!   `--allowed-host`): a DNS-rebinding page's requests carry its own domain name and are refused.
//! - A mutating request (POST, PUT, PATCH, DELETE) from a browser page of another origin is
//!   refused (`Origin` not this node's own and not a `--cors-allowed-origin`, or
//!   `Sec-Fetch-Site` saying cross-site/same-site without an allowed `Origin`): even a bodyless
//!   POST, which a page can send without a CORS preflight.
//! - A mutating request with a body must say `application/json` (`multipart/form-data` for
//!   `/v1/restore`, `application/octet-stream` for `/v1/operator/restore`): the content types a
//!   page can send without a preflight are refused with 415.
//! - CORS headers only for `--cors-allowed-origin` origins (none by default).
//!
//! Applied where requests enter a node (servers' and agents' listeners), not to requests an
//! agent passes on to a server over RPC: those were checked at the agent.

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::AgentConfig;

/// What the guard admits, from the node's settings.
#[derive(Debug, Clone)]
pub struct BrowserPolicy {
    /// Lowercase host names (no port) that name this node.
    own_names: Vec<String>,
    /// `--allowed-host` values, lowercase: `host` (any port) or `host:port`.
    allowed_hosts: Vec<String>,
    /// `--cors-allowed-origin` values, lowercase, no trailing slash.
    allowed_origins: Vec<String>,
    /// `https` when the API serves TLS.
    scheme: &'static str,
}

impl BrowserPolicy {
    pub fn from_config(config: &AgentConfig) -> BrowserPolicy {
        let mut own_names = vec![
            "localhost".to_string(),
            config.node_name.to_ascii_lowercase(),
        ];
        own_names.sort();
        own_names.dedup();
        BrowserPolicy {
            own_names,
            allowed_hosts: config.security.allowed_hosts.clone(),
            allowed_origins: config.security.cors_allowed_origins.clone(),
            scheme: if config.security.tls.is_some() {
                "https"
            } else {
                "http"
            },
        }
    }

    /// Why this `Host` value is refused, if it is.
    fn host_refusal(&self, host: &str) -> Option<String> {
        let host = host.trim().to_ascii_lowercase();
        let name = host_name(&host);
        // An IP literal cannot be rebound to another address: only names are a risk.
        let is_ip = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok();
        if is_ip
            || self.own_names.iter().any(|n| n == name)
            || self.allowed_hosts.iter().any(|a| *a == host || a == name)
        {
            return None;
        }
        Some(format!(
            "Host {host:?} is not one of this node's names or addresses; \
             start the node with --allowed-host {name} to accept it"
        ))
    }

    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.allowed_origins.contains(&origin) {
            return true;
        }
        // The node's own origin: a page the API itself served (none today), or a same-origin tool.
        host.is_some_and(|h| origin == format!("{}://{}", self.scheme, h.to_ascii_lowercase()))
    }
}

/// `host` without its port (IPv6 literals keep their brackets).
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(h, _)| &host[..=h.len()]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

fn refuse(status: StatusCode, reason: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        reason,
    )
        .into_response()
}

/// The content type a mutating request with a body must have on `path`.
fn expected_content_type(path: &str) -> &'static str {
    match path.trim_end_matches('/') {
        "/v1/restore" => "multipart/form-data",
        "/v1/operator/restore" => "application/octet-stream",
        _ => "application/json",
    }
}

fn has_body(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return true;
    }
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > 0)
}

/// Checks one request; `None` lets it through.
fn check(policy: &BrowserPolicy, req: &Request) -> Option<Response> {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(host) = host
        && let Some(reason) = policy.host_refusal(host)
    {
        return Some(refuse(StatusCode::FORBIDDEN, reason));
    }
    let mutating = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if !mutating {
        return None;
    }
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.to_ascii_lowercase());
    match origin {
        Some(origin) if !policy.origin_allowed(origin, host) => {
            return Some(refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "cross-origin {} from {origin:?} refused: start the node with \
                     --cors-allowed-origin {origin} to allow that origin",
                    req.method()
                ),
            ));
        }
        None if matches!(fetch_site.as_deref(), Some("cross-site" | "same-site")) => {
            return Some(refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "cross-site {} refused (Sec-Fetch-Site without an allowed Origin)",
                    req.method()
                ),
            ));
        }
        _ => {}
    }
    if has_body(headers) {
        let expected = expected_content_type(req.uri().path());
        let given = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = given
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != expected {
            let given = if given.is_empty() { "none" } else { given };
            return Some(refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "{} {} needs Content-Type: {expected} (got {given})",
                    req.method(),
                    req.uri().path()
                ),
            ));
        }
    }
    None
}

/// Wraps a public router with the checks above and, if origins are allowed, CORS for them.
pub fn guard(router: Router, policy: BrowserPolicy) -> Router {
    let origins: Vec<axum::http::HeaderValue> = policy
        .allowed_origins
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    let policy = Arc::new(policy);
    let router = router.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let policy = policy.clone();
            async move {
                match check(&policy, &req) {
                    Some(refusal) => refusal,
                    None => next.run(req).await,
                }
            }
        },
    ));
    if origins.is_empty() {
        return router;
    }
    use tower_http::cors::{AllowOrigin, Any, CorsLayer};
    router.layer(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods(Any)
            .allow_headers(Any)
            .expose_headers(Any),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BrowserPolicy {
        BrowserPolicy {
            own_names: vec!["localhost".into(), "node1".into()],
            allowed_hosts: vec!["belfry.example".into(), "ops.example:8443".into()],
            allowed_origins: vec!["https://ui.example".into()],
            scheme: "http",
        }
    }

    #[test]
    fn hosts_that_name_the_node_pass_and_names_of_others_do_not() {
        let p = policy();
        for ok in [
            "127.0.0.1:8080",
            "[::1]:8080",
            "10.1.2.3",
            "localhost:8080",
            "LOCALHOST",
            "node1:8080",
            "belfry.example:1234",
            "ops.example:8443",
        ] {
            assert!(p.host_refusal(ok).is_none(), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "ops.example:9999",
            "node1.evil.example",
        ] {
            let reason = p.host_refusal(bad).expect(bad);
            assert!(reason.contains("--allowed-host"), "{reason}");
        }
    }

    #[test]
    fn own_and_allowed_origins_only() {
        let p = policy();
        assert!(p.origin_allowed("https://ui.example/", None));
        assert!(p.origin_allowed("http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(!p.origin_allowed("http://127.0.0.1:3000", Some("127.0.0.1:8080")));
        assert!(!p.origin_allowed("null", Some("127.0.0.1:8080")));
    }
}
