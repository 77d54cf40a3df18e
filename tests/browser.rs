//! Browser safety: what a web page open on the operator's machine can no longer do to a node
//! on loopback — write through a cross-origin "simple" request (text/plain, or no body at all),
//! reach the API through a rebound DNS name, or read answers through open CORS.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

/// One raw HTTP/1.1 request with exactly these headers; returns (status, head and body).
async fn raw(addr: &str, request: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut out))
        .await
        .expect("an answer")
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    (status, text)
}

fn request(method: &str, path: &str, host: &str, headers: &[&str], body: &str) -> String {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for h in headers {
        r.push_str(h);
        r.push_str("\r\n");
    }
    if !body.is_empty() || method != "GET" {
        r.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r
}

const JOB: &str = r#"{"name":"pwn","schedule":"@manually","executor":"shell","executor_config":{"command":"touch /tmp/belfry-pwned"}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_text_plain_post_is_refused_and_creates_no_job() {
    let node = Node::start(&[]).await;
    let addr = node.addr();
    // What a page's `fetch(url, {method: "POST", body})` sends: text/plain, no preflight.
    let (status, text) = raw(
        &addr,
        &request(
            "POST",
            "/v1/jobs",
            &addr,
            &[
                "Origin: http://evil.example",
                "Sec-Fetch-Site: cross-site",
                "Content-Type: text/plain;charset=UTF-8",
            ],
            JOB,
        ),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("--cors-allowed-origin"), "{text}");
    // Without Origin (a non-browser client), text/plain is still not JSON: 415, naming the type.
    let (status, text) = raw(
        &addr,
        &request(
            "POST",
            "/v1/jobs",
            &addr,
            &["Content-Type: text/plain"],
            JOB,
        ),
    )
    .await;
    assert_eq!(status, 415, "{text}");
    assert!(text.contains("application/json"), "{text}");
    // A form post (the other preflight-free type) too.
    let (status, _) = raw(
        &addr,
        &request(
            "POST",
            "/v1/jobs",
            &addr,
            &["Content-Type: application/x-www-form-urlencoded"],
            JOB,
        ),
    )
    .await;
    assert_eq!(status, 415);
    assert!(node.client().jobs().await.unwrap().is_empty());
    // JSON from a same-machine tool (no Origin) still works, as for Dkron's clients.
    let (status, text) = raw(
        &addr,
        &request(
            "POST",
            "/v1/jobs",
            &addr,
            &["Content-Type: application/json"],
            JOB,
        ),
    )
    .await;
    assert_eq!(status, 201, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodyless_cross_origin_run_is_refused() {
    let node = Node::start(&[]).await;
    let addr = node.addr();
    node.client()
        .put_job(&shell_job("x", "@manually", "true"))
        .await
        .unwrap();
    // `fetch(url, {method: "POST"})` from another origin: no body, no Content-Type.
    for headers in [
        vec!["Origin: http://evil.example"],
        vec!["Origin: null"],
        vec!["Origin: http://127.0.0.1:3000", "Sec-Fetch-Site: same-site"],
        vec!["Sec-Fetch-Site: cross-site"],
    ] {
        let (status, text) = raw(
            &addr,
            &request("POST", "/v1/jobs/x/run", &addr, &headers, ""),
        )
        .await;
        assert_eq!(status, 403, "{headers:?}: {text}");
    }
    let (status, _) = raw(
        &addr,
        &request(
            "DELETE",
            "/v1/jobs/x",
            &addr,
            &["Origin: http://evil.example"],
            "",
        ),
    )
    .await;
    assert_eq!(status, 403);
    assert!(node.executions("x").await.is_empty());
    assert_eq!(node.client().jobs().await.unwrap().len(), 1);
    // The node's own origin is not cross-origin.
    let own = format!("Origin: http://{addr}");
    let (status, text) = raw(
        &addr,
        &request("POST", "/v1/jobs/x/run", &addr, &[&own], ""),
    )
    .await;
    assert!((200..300).contains(&status), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_host_is_refused_unless_allowed() {
    let node = Node::start(&["--allowed-host", "belfry.example"]).await;
    let addr = node.addr();
    // A DNS-rebinding page talks to the node under its own name.
    let (status, text) = raw(
        &addr,
        &request("GET", "/v1/jobs", "evil.example:8080", &[], ""),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("--allowed-host evil.example"), "{text}");
    for host in [
        "belfry.example".to_string(),
        format!("belfry.example:{}", node.http_port),
        format!("localhost:{}", node.http_port),
        "node-a".to_string(),
        addr.clone(),
    ] {
        let (status, text) = raw(&addr, &request("GET", "/v1/jobs", &host, &[], "")).await;
        assert_eq!(status, 200, "{host}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_only_for_allowed_origins() {
    let node = Node::start(&["--cors-allowed-origin", "https://ui.example"]).await;
    let addr = node.addr();
    let (status, text) = raw(
        &addr,
        &request(
            "GET",
            "/v1/jobs",
            &addr,
            &["Origin: http://evil.example"],
            "",
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        !text
            .to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "{text}"
    );
    let (status, text) = raw(
        &addr,
        &request(
            "GET",
            "/v1/jobs",
            &addr,
            &["Origin: https://ui.example"],
            "",
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        text.to_ascii_lowercase()
            .contains("access-control-allow-origin: https://ui.example"),
        "{text}"
    );
    // The allowed origin may write (after its preflight), with JSON.
    let (status, text) = raw(
        &addr,
        &request(
            "OPTIONS",
            "/v1/jobs",
            &addr,
            &[
                "Origin: https://ui.example",
                "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: content-type",
            ],
            "",
        ),
    )
    .await;
    assert!(status < 300, "{text}");
    let (status, text) = raw(
        &addr,
        &request(
            "POST",
            "/v1/jobs",
            &addr,
            &[
                "Origin: https://ui.example",
                "Content-Type: application/json",
            ],
            JOB,
        ),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    // A request without Origin gets no CORS headers.
    let plain = http("GET", &node.url("/health"), None).await;
    assert!(!plain.headers.contains_key("access-control-allow-origin"));
}
