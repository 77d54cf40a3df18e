//! The built-in `http` executor, compatible with Dkron's (`plugin/http`): one request per
//! execution, a success when the answer is the one expected.
//!
//! [`HttpSpec::from_config`] validates the job's `executor_config` when the job is saved, with
//! Dkron's keys (`method`, `url`, `headers`, `body`, `timeout`, `expectCode`, `expectBody`,
//! `debug`, `tlsNoVerifyPeer`, `tlsCertificateFile`, `tlsCertificateKeyFile`, `tlsRootCAsFile`).
//! Dkron accepts almost anything there and fails or guesses at run time (a bad `timeout` becomes
//! 30 s with a warning, bad `headers` are dropped, a header without `:` crashes the plugin);
//! Belfry refuses it with the key named. The files are read only when the job runs, on the node
//! that runs it: servers that validate the job need not have the agents' certificates.
//!
//! [`run_http`] sends the request with a fresh client (rustls with the `ring` provider; proxies
//! from the environment are not used, as Dkron's transport does not use them) and always returns
//! an [`Outcome`]. Its output is the status line and the body, the body cut to its tail when
//! the whole does not fit the output limit (the status line is always kept), followed by
//! `[belfry]` notes when something went wrong. With `debug`, the request line, the headers
//! sent and the response headers come first.
//!
//! Success, as in Dkron: no transport error, the status is one of `expectCode` when it is set
//! (without it, any status is a success), and the body matches the regular expression
//! `expectBody` when it is set (searched for anywhere in the body, as Go's
//! `regexp.MatchString` does, in the first [`EXPECT_BODY_LIMIT`] bytes).

use std::future::Future;
use std::path::Path;
use std::pin::pin;
use std::sync::OnceLock;

use base64::Engine as _;
use chrono::Utc;
use reqwest::header::CONTENT_LENGTH;
use reqwest::{Method, StatusCode};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{Outcome, Tail, append_notes, format_go_duration};
pub use crate::job::executor_spec::http::{DEFAULT_TIMEOUT, HttpConfigError, HttpSpec};

/// How much of the body `expectBody` is matched against. Dkron reads the whole body into memory
/// whatever its size; this keeps an execution's memory bounded.
pub const EXPECT_BODY_LIMIT: usize = 4 << 20;

/// Redirects followed, as Go's default client does.
const MAX_REDIRECTS: usize = 10;

/// What was received so far; kept outside the exchange so a cancelled run still reports it.
struct Received {
    output_limit: usize,
    /// Debug lines, the status line, debug response headers.
    head: String,
    body: Option<Tail>,
    /// The start of the body, for `expectBody`.
    searched: Vec<u8>,
    /// The body was longer than what `searched` holds.
    search_cut: bool,
    status: Option<StatusCode>,
}

/// Sends the request described by `spec` and reads the answer.
///
/// Only the last `output_limit` bytes of output are kept (see the module docs). When `cancel`
/// resolves (the shutdown grace period is over) the exchange is abandoned and the execution
/// fails with `aborted: agent shutting down`.
pub async fn run_http(
    spec: &HttpSpec,
    output_limit: usize,
    cancel: impl Future<Output = ()>,
) -> Outcome {
    let attempt_at = Utc::now();
    let client = match build_client(spec).await {
        Ok(client) => client,
        Err(reason) => {
            let note = format!("[belfry] failed to start: {reason}");
            return Outcome::not_started(attempt_at, reason, note);
        }
    };
    let started_at = Utc::now();
    let mut received = Received::new(output_limit);
    let mut cancel = pin!(cancel);
    let result = tokio::select! {
        result = exchange(&client, spec, &mut received) => Some(result),
        () = &mut cancel => None,
    };
    let finished_at = Utc::now();

    let failure = match result {
        None => Some(("aborted: agent shutting down".to_string(), None)),
        Some(Err(e)) => Some((e, None)),
        Some(Ok(())) => check_expectations(spec, &received),
    };
    let status = received.status.map(|s| s.as_u16());
    let (mut output, output_truncated) = received.into_output();
    let error = failure.map(|(error, note)| {
        append_notes(
            &mut output,
            [format!(
                "[belfry] {}",
                note.unwrap_or_else(|| error.clone())
            )],
        );
        error
    });
    if spec.debug {
        tracing::info!(
            method = %spec.method,
            url = %spec.url,
            status = ?status,
            error = ?error,
            "http executor (debug)"
        );
    }
    Outcome {
        started_at,
        finished_at,
        exit_code: None,
        success: error.is_none(),
        output,
        output_truncated,
        error,
    }
}

/// The error for a completed exchange that is not the one expected, with a longer note.
fn check_expectations(spec: &HttpSpec, received: &Received) -> Option<(String, Option<String>)> {
    let status = received.status?;
    if let Some(codes) = &spec.expect_codes
        && !codes.contains(&status.as_u16())
    {
        let expected = codes
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(" or ");
        return Some((
            format!("status {}, expected {expected}", status.as_u16()),
            Some(format!(
                "status {} is not the expected {expected} (expectCode)",
                status.as_u16()
            )),
        ));
    }
    if let Some(pattern) = &spec.expect_body {
        let body = String::from_utf8_lossy(&received.searched);
        if !pattern.is_match(&body) {
            let cut = if received.search_cut {
                format!(
                    " (only its first {} were searched)",
                    super::format_size(EXPECT_BODY_LIMIT as u64)
                )
            } else {
                String::new()
            };
            return Some((
                "body does not match expectBody".to_string(),
                Some(format!(
                    "the response body does not match expectBody {:?}{cut}",
                    pattern.as_str()
                )),
            ));
        }
    }
    None
}

impl Received {
    fn new(output_limit: usize) -> Received {
        Received {
            output_limit,
            head: String::new(),
            body: None,
            searched: Vec::new(),
            search_cut: false,
            status: None,
        }
    }

    /// The head (kept whole unless it alone passes the limit) and the body's tail.
    fn into_output(self) -> (String, bool) {
        let (mut output, mut truncated) = if self.head.len() <= self.output_limit {
            (self.head, false)
        } else {
            let mut tail = Tail::new(self.output_limit);
            tail.push(self.head.as_bytes());
            tail.into_output()
        };
        if let Some(body) = self.body {
            let (text, cut) = body.into_output();
            output.push_str(&text);
            truncated |= cut;
        }
        (output, truncated)
    }
}

/// One request and its whole response; `Err` is the reason the exchange failed.
async fn exchange(
    client: &reqwest::Client,
    spec: &HttpSpec,
    received: &mut Received,
) -> Result<(), String> {
    let mut request = client
        .request(spec.method.clone(), spec.url.clone())
        .headers(spec.headers.clone());
    if !spec.body.is_empty() {
        request = request.body(spec.body.clone());
    } else if matches!(spec.method, Method::POST | Method::PUT | Method::PATCH)
        && !spec.headers.contains_key(CONTENT_LENGTH)
    {
        // Go sends `Content-Length: 0` for an empty POST, PUT or PATCH, and some servers
        // answer 411 without it; hyper sends no length for an empty body.
        request = request.header(CONTENT_LENGTH, "0");
    }
    if spec.debug {
        received
            .head
            .push_str(&format!("> {} {}\n", spec.method, spec.url));
        for (name, value) in &spec.headers {
            received.head.push_str(&format!(
                "> {name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        received.head.push('\n');
    }
    let mut response = request.send().await.map_err(|e| describe(spec, &e))?;
    let status = response.status();
    received.status = Some(status);
    // `StatusCode`'s own Display says "<unknown status code>" for codes without a reason.
    let reason = status.canonical_reason().unwrap_or("");
    received
        .head
        .push_str(format!("{:?} {} {reason}", response.version(), status.as_u16()).trim_end());
    received.head.push('\n');
    if spec.debug {
        for (name, value) in response.headers() {
            received.head.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        received.head.push('\n');
    }
    let budget = received.output_limit.saturating_sub(received.head.len());
    let body = received.body.insert(Tail::new(budget));
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(spec, &e))? {
        body.push(&chunk);
        if spec.expect_body.is_some() {
            let room = EXPECT_BODY_LIMIT - received.searched.len();
            if chunk.len() > room {
                received.search_cut = true;
            }
            received
                .searched
                .extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
    }
    Ok(())
}

/// A transport error as one line: `timed out after 5s`, or `request failed: ` and the chain of
/// causes (which is where rustls says why a certificate was refused).
fn describe(spec: &HttpSpec, error: &reqwest::Error) -> String {
    if error.is_timeout()
        && let Some(timeout) = spec.timeout
    {
        return format!("timed out after {}", format_go_duration(timeout));
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    if text.contains("invalid peer certificate")
        && spec.tls_root_cas_file.is_none()
        && system_roots().is_empty()
    {
        text.push_str(
            " (this node has no system CA certificates: install them, or set tlsRootCAsFile)",
        );
    }
    format!("request failed: {text}")
}

/// A client with the job's TLS settings. Errors name the key whose file is at fault.
async fn build_client(spec: &HttpSpec) -> Result<reqwest::Client, String> {
    build_client_trusting(spec, system_roots()).await
}

/// [`build_client`] with `system` standing for the system's roots.
async fn build_client_trusting(
    spec: &HttpSpec,
    system: &[reqwest::Certificate],
) -> Result<reqwest::Client, String> {
    crate::client::install_tls_provider();
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS));
    if let Some(timeout) = spec.timeout {
        builder = builder.timeout(timeout);
    }
    if spec.tls_no_verify_peer {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    let roots = match &spec.tls_root_cas_file {
        Some(path) => {
            let pem = read_file("tlsRootCAsFile", path).await?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("tlsRootCAsFile: {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "tlsRootCAsFile: no PEM certificate in {}",
                    path.display()
                ));
            }
            certs
        }
        None => system.to_vec(),
    };
    // Always an explicit root list: reqwest's default verifier loads the system's roots for
    // every client it builds, and refuses to build one at all (even for http:// URLs) on a
    // node without any.
    builder = builder.tls_certs_only(roots);
    if let Some((cert_path, key_path)) = &spec.tls_client_cert {
        let identity = client_identity(cert_path, key_path).await?;
        builder = builder.identity(identity);
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

/// The system's trusted roots (`SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured), read once per
/// process on first use: a few milliseconds of blocking file reads, not worth repeating on every
/// execution. A node without any still runs http:// jobs; its https jobs fail to verify the
/// server unless they set `tlsRootCAsFile` or `tlsNoVerifyPeer`.
fn system_roots() -> &'static [reqwest::Certificate] {
    static ROOTS: OnceLock<Vec<reqwest::Certificate>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        for error in &loaded.errors {
            tracing::warn!(%error, "could not load a system CA certificate");
        }
        let roots: Vec<_> = loaded
            .certs
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok())
            .collect();
        if roots.is_empty() {
            tracing::warn!(
                "no system CA certificates found: https jobs need tlsRootCAsFile or tlsNoVerifyPeer"
            );
        }
        roots
    })
}

/// The client certificate chain and key, each checked on its own so an error names the right
/// file, then handed to reqwest as one clean PEM (other sections, such as OpenSSL's
/// `EC PARAMETERS`, left out).
async fn client_identity(cert_path: &Path, key_path: &Path) -> Result<reqwest::Identity, String> {
    let cert_pem = read_file("tlsCertificateFile", cert_path).await?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("tlsCertificateFile: {}: {e}", cert_path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "tlsCertificateFile: no PEM certificate in {}",
            cert_path.display()
        ));
    }
    let key_pem = read_file("tlsCertificateKeyFile", key_path).await?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        format!(
            "tlsCertificateKeyFile: no PEM private key (PKCS#8, RSA or EC) in {}: {e}",
            key_path.display()
        )
    })?;
    let label = match &key {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    };
    let mut pem = pem_block(label, key.secret_der());
    for cert in &certs {
        pem.push_str(&pem_block("CERTIFICATE", cert));
    }
    reqwest::Identity::from_pem(pem.as_bytes()).map_err(|e| {
        format!(
            "tlsCertificateFile/tlsCertificateKeyFile: {} and {}: {e}",
            cert_path.display(),
            key_path.display()
        )
    })
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut block = format!("-----BEGIN {label}-----\n");
    for line in encoded.as_bytes().chunks(64) {
        block.push_str(&String::from_utf8_lossy(line));
        block.push('\n');
    }
    block.push_str(&format!("-----END {label}-----\n"));
    block
}

async fn read_file(key: &str, path: &Path) -> Result<Vec<u8>, String> {
    tokio::fs::read(path)
        .await
        .map_err(|e| format!("{key}: cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::Path as UrlPath;
    use axum::http::{HeaderMap as AxumHeaders, Method as AxumMethod};
    use axum::routing::{any, get};

    const LIMIT: usize = crate::node::executor::DEFAULT_OUTPUT_LIMIT;

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A spec for `method url` with the other keys given.
    fn spec(method: &str, url: &str, more: &[(&str, &str)]) -> HttpSpec {
        let mut pairs = vec![("method", method), ("url", url)];
        pairs.extend_from_slice(more);
        HttpSpec::from_config(&config(&pairs)).unwrap()
    }

    /// A real HTTP server on loopback; its base URL.
    async fn server() -> String {
        let app = Router::new()
            .route("/hello", get(|| async { "hello" }))
            .route(
                "/echo",
                any(
                    |method: AxumMethod, headers: AxumHeaders, body: Bytes| async move {
                        let header = |name: &str| {
                            headers
                                .get(name)
                                .map(|v| v.to_str().unwrap_or("?").to_string())
                                .unwrap_or_else(|| "-".into())
                        };
                        format!(
                            "{method}|{}|{}|{}|{}",
                            header("x-test"),
                            header("authorization"),
                            header("content-length"),
                            String::from_utf8_lossy(&body)
                        )
                    },
                ),
            )
            .route(
                "/status/{code}",
                get(|UrlPath(code): UrlPath<u16>| async move {
                    (
                        StatusCode::from_u16(code).unwrap(),
                        format!("status {code}"),
                    )
                }),
            )
            .route(
                "/hang",
                get(|| async {
                    std::future::pending::<()>().await;
                    "never"
                }),
            )
            .route(
                "/big",
                get(|| async {
                    let mut body = String::from("START");
                    for i in 0..20_000 {
                        body.push_str(&format!("{i:05}\n"));
                    }
                    body
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    /// Fails the test instead of hanging it.
    async fn run(spec: &HttpSpec) -> Outcome {
        tokio::time::timeout(
            Duration::from_secs(20),
            run_http(spec, LIMIT, std::future::pending()),
        )
        .await
        .expect("run_http did not return")
    }

    #[tokio::test]
    async fn a_get_is_a_success_with_the_status_line_and_body() {
        let base = server().await;
        let out = run(&spec("GET", &format!("{base}/hello"), &[])).await;
        assert!(out.success, "{out:?}");
        assert_eq!(out.output, "HTTP/1.1 200 OK\nhello");
        assert_eq!(out.error, None);
        assert_eq!(out.exit_code, None);
        assert!(!out.output_truncated);
        assert!(out.started_at <= out.finished_at);
    }

    #[tokio::test]
    async fn method_headers_and_body_are_sent() {
        let base = server().await;
        let out = run(&spec(
            "PUT",
            &format!("{base}/echo"),
            &[
                (
                    "headers",
                    r#"["X-Test: a:b: c", "", "Authorization: Bearer t0k"]"#,
                ),
                ("body", "{\"k\": 1}"),
            ],
        ))
        .await;
        assert!(out.success, "{out:?}");
        // The value keeps its colons (Dkron would send "a").
        assert_eq!(
            out.output,
            "HTTP/1.1 200 OK\nPUT|a:b: c|Bearer t0k|8|{\"k\": 1}"
        );
        // An empty POST says so with a zero length, as Go's client does.
        let out = run(&spec("POST", &format!("{base}/echo"), &[])).await;
        assert_eq!(out.output, "HTTP/1.1 200 OK\nPOST|-|-|0|");
    }

    #[tokio::test]
    async fn any_status_is_a_success_without_expect_code() {
        let base = server().await;
        let out = run(&spec("GET", &format!("{base}/status/500"), &[])).await;
        assert!(out.success, "{out:?}");
        assert_eq!(out.output, "HTTP/1.1 500 Internal Server Error\nstatus 500");
    }

    #[tokio::test]
    async fn expect_code_decides_success() {
        let base = server().await;
        let url = format!("{base}/status/206");
        let out = run(&spec("GET", &url, &[("expectCode", "200, 206")])).await;
        assert!(out.success, "{out:?}");

        let out = run(&spec("GET", &url, &[("expectCode", "200")])).await;
        assert!(!out.success);
        assert_eq!(out.error.as_deref(), Some("status 206, expected 200"));
        assert_eq!(
            out.output,
            "HTTP/1.1 206 Partial Content\nstatus 206\n\
             [belfry] status 206 is not the expected 200 (expectCode)"
        );
        // A status with no reason phrase.
        let out = run(&spec("GET", &format!("{base}/status/299"), &[])).await;
        assert!(out.output.starts_with("HTTP/1.1 299\n"), "{:?}", out.output);
    }

    #[tokio::test]
    async fn expect_body_is_a_regular_expression_searched_in_the_body() {
        let base = server().await;
        let url = format!("{base}/hello");
        let out = run(&spec("GET", &url, &[("expectBody", "^hel+o$")])).await;
        assert!(out.success, "{out:?}");
        let out = run(&spec("GET", &url, &[("expectBody", "ell")])).await;
        assert!(out.success, "{out:?}");

        let out = run(&spec("GET", &url, &[("expectBody", "goodbye")])).await;
        assert!(!out.success);
        assert_eq!(out.error.as_deref(), Some("body does not match expectBody"));
        assert!(
            out.output.ends_with(
                "hello\n[belfry] the response body does not match expectBody \"goodbye\""
            ),
            "{:?}",
            out.output
        );
        // The whole body is searched even when the output keeps only its tail.
        let out = run(&spec(
            "GET",
            &format!("{base}/big"),
            &[("expectBody", "^START00000")],
        ))
        .await;
        assert!(out.success, "{out:?}");
    }

    #[tokio::test]
    async fn timeout_fails_the_execution() {
        let base = server().await;
        let began = Instant::now();
        let out = run(&spec("GET", &format!("{base}/hang"), &[("timeout", "1")])).await;
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "{:?}",
            began.elapsed()
        );
        assert!(began.elapsed() >= Duration::from_secs(1));
        assert!(!out.success);
        assert_eq!(out.error.as_deref(), Some("timed out after 1s"));
        assert_eq!(out.output, "[belfry] timed out after 1s");
    }

    #[tokio::test]
    async fn cancel_abandons_the_request() {
        let base = server().await;
        let s = spec("GET", &format!("{base}/hang"), &[("timeout", "0")]);
        let out = tokio::time::timeout(
            Duration::from_secs(10),
            run_http(&s, LIMIT, tokio::time::sleep(Duration::from_millis(300))),
        )
        .await
        .unwrap();
        assert!(!out.success);
        assert_eq!(out.error.as_deref(), Some("aborted: agent shutting down"));
        assert_eq!(out.output, "[belfry] aborted: agent shutting down");
    }

    #[tokio::test]
    async fn output_keeps_the_status_line_and_the_tail_of_the_body() {
        let base = server().await;
        let s = spec("GET", &format!("{base}/big"), &[]);
        let out = run_http(&s, 100, std::future::pending()).await;
        assert!(out.success);
        assert!(out.output_truncated);
        assert_eq!(out.output.len(), 100);
        assert!(
            out.output.starts_with("HTTP/1.1 200 OK\n"),
            "{:?}",
            out.output
        );
        assert!(out.output.ends_with("19998\n19999\n"), "{:?}", out.output);
    }

    #[tokio::test]
    async fn debug_shows_the_request_and_the_response_headers() {
        let base = server().await;
        let url = format!("{base}/hello");
        let out = run(&spec(
            "GET",
            &url,
            &[("debug", "false"), ("headers", r#"["X-Test: 1"]"#)],
        ))
        .await;
        assert!(out.success);
        assert!(
            out.output
                .starts_with(&format!("> GET {url}\n> x-test: 1\n\nHTTP/1.1 200 OK\n")),
            "{:?}",
            out.output
        );
        assert!(
            out.output.contains("\ncontent-length: 5\n"),
            "{:?}",
            out.output
        );
        assert!(out.output.ends_with("\n\nhello"), "{:?}", out.output);
    }

    #[tokio::test]
    async fn transport_errors_fail_with_their_cause() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = run(&spec("GET", &format!("http://127.0.0.1:{port}/"), &[])).await;
        assert!(!out.success);
        let error = out.error.unwrap();
        assert!(error.starts_with("request failed: "), "{error}");
        assert!(error.to_lowercase().contains("connect"), "{error}");
        assert_eq!(out.output, format!("[belfry] {error}"));
    }

    #[tokio::test]
    async fn unreadable_tls_files_fail_naming_the_key() {
        let cases = [
            (
                "tlsRootCAsFile",
                vec![("tlsRootCAsFile", "/nonexistent/ca.pem")],
            ),
            (
                "tlsCertificateFile",
                vec![
                    ("tlsCertificateFile", "/nonexistent/c.pem"),
                    ("tlsCertificateKeyFile", "/nonexistent/k.pem"),
                ],
            ),
        ];
        for (key, pairs) in cases {
            let out = run(&spec("GET", "https://127.0.0.1:1/", &pairs)).await;
            assert!(!out.success);
            let error = out.error.unwrap();
            assert!(
                error.starts_with(&format!(
                    "failed to start: {key}: cannot read /nonexistent/"
                )),
                "{error}"
            );
        }
        // A file that is there but holds no certificate.
        let dir = std::env::temp_dir().join(format!("belfry-http-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "no pem here\n").unwrap();
        let empty = empty.to_str().unwrap();
        let out = run(&spec(
            "GET",
            "https://127.0.0.1:1/",
            &[("tlsRootCAsFile", empty)],
        ))
        .await;
        assert_eq!(
            out.error.unwrap(),
            format!("failed to start: tlsRootCAsFile: no PEM certificate in {empty}")
        );
        let out = run(&spec(
            "GET",
            "https://127.0.0.1:1/",
            &[
                ("tlsCertificateFile", empty),
                ("tlsCertificateKeyFile", empty),
            ],
        ))
        .await;
        assert_eq!(
            out.error.unwrap(),
            format!("failed to start: tlsCertificateFile: no PEM certificate in {empty}")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn config_full_and_defaults() {
        let s = spec(
            "POST",
            "https://example.com/a?b=c",
            &[
                (
                    "headers",
                    r#"["Content-Type: application/json", "X-A: 1", "x-a: 2"]"#,
                ),
                ("body", "{}"),
                ("timeout", "5"),
                ("expectCode", "200,206,"),
                ("expectBody", "ok|fine"),
                ("debug", "1"),
                ("tlsNoVerifyPeer", "True"),
                ("tlsCertificateFile", "/etc/c.pem"),
                ("tlsCertificateKeyFile", "/etc/k.pem"),
                ("tlsRootCAsFile", "ca.pem"),
                ("unknown", "ignored"),
            ],
        );
        assert_eq!(s.method, Method::POST);
        assert_eq!(s.url.as_str(), "https://example.com/a?b=c");
        assert_eq!(s.headers.len(), 2);
        assert_eq!(s.headers["content-type"], "application/json");
        assert_eq!(
            s.headers["x-a"], "2",
            "the last value wins, as Header.Set does"
        );
        assert_eq!(s.body, "{}");
        assert_eq!(s.timeout, Some(Duration::from_secs(5)));
        assert_eq!(s.expect_codes, Some(vec![200, 206]));
        assert_eq!(s.expect_body.unwrap().as_str(), "ok|fine");
        assert!(s.debug);
        assert!(s.tls_no_verify_peer);
        assert_eq!(
            s.tls_client_cert,
            Some((PathBuf::from("/etc/c.pem"), PathBuf::from("/etc/k.pem")))
        );
        assert_eq!(s.tls_root_cas_file, Some(PathBuf::from("ca.pem")));

        let s = spec(
            "GET",
            "http://127.0.0.1:8080",
            &[
                ("headers", "null"),
                ("timeout", ""),
                ("tlsNoVerifyPeer", "0"),
            ],
        );
        assert!(s.headers.is_empty());
        assert_eq!(s.timeout, Some(DEFAULT_TIMEOUT));
        assert_eq!(s.expect_codes, None);
        assert!(s.expect_body.is_none());
        assert!(!s.debug);
        assert!(!s.tls_no_verify_peer);
        assert_eq!(s.tls_client_cert, None);
        assert_eq!(spec("GET", "http://h", &[("timeout", "0")]).timeout, None);
        assert_eq!(
            spec("GET", "http://h", &[("headers", "[]")]).headers.len(),
            0
        );
    }

    #[test]
    fn config_errors_name_the_key() {
        let err = |pairs: &[(&str, &str)]| HttpSpec::from_config(&config(pairs)).unwrap_err();
        let with = |key: &'static str, value: &'static str| {
            let e = err(&[("method", "GET"), ("url", "http://h/"), (key, value)]);
            assert_eq!(e.key, key, "{key}={value:?}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("executor_config.{key}: ")),
                "{e}"
            );
            e.to_string()
        };

        assert_eq!(
            err(&[("url", "http://h/")]).to_string(),
            "executor_config.method: is required (GET, POST, ...)"
        );
        assert_eq!(
            err(&[("method", "GET")]).to_string(),
            "executor_config.url: is required"
        );
        with("method", "GE T");
        with("method", "GET\n");
        for bad in [
            "example.com/x",
            "ftp://h/",
            "http://",
            "http://h:99999/",
            "mailto:a@b",
        ] {
            let e = err(&[("method", "GET"), ("url", bad)]);
            assert_eq!(e.key, "url", "{bad}: {e}");
        }
        assert_eq!(
            with("headers", "Content-Type: text/plain"),
            "executor_config.headers: \"Content-Type: text/plain\" is not a JSON array of \
             \"Name: value\" strings: expected value at line 1 column 1"
        );
        assert_eq!(
            with("headers", r#"["NoColon"]"#),
            "executor_config.headers: \"NoColon\" has no ':' (expected \"Name: value\")"
        );
        with("headers", r#"["Bad Name: v"]"#);
        with("headers", r#"["X: bad\u0001value"]"#);
        with("headers", r#"{"X": "1"}"#);
        for bad in ["5s", "-1", "1.5", "soon"] {
            with("timeout", bad);
        }
        assert_eq!(
            with("timeout", "5s"),
            "executor_config.timeout: \"5s\" is not a whole number of seconds (such as \"30\")"
        );
        for bad in ["ok", "99", "1000", "200;201", ","] {
            with("expectCode", bad);
        }
        assert!(with("expectBody", "(unclosed").contains("is not a regular expression"));
        with("tlsNoVerifyPeer", "yes");
        // One of the pair without the other: the missing one is named.
        let base = [("method", "GET"), ("url", "https://h/")];
        let e = err(&[base[0], base[1], ("tlsCertificateKeyFile", "/k.pem")]);
        assert_eq!(
            e.to_string(),
            "executor_config.tlsCertificateFile: is required with tlsCertificateKeyFile"
        );
        let e = err(&[base[0], base[1], ("tlsCertificateFile", "/c.pem")]);
        assert_eq!(
            e.to_string(),
            "executor_config.tlsCertificateKeyFile: is required with tlsCertificateFile"
        );
    }

    #[tokio::test]
    async fn a_node_without_system_roots_still_runs_plain_http_jobs() {
        let base = server().await;
        let s = spec("GET", &format!("{base}/hello"), &[]);
        let client = build_client_trusting(&s, &[]).await.unwrap();
        let mut received = Received::new(LIMIT);
        exchange(&client, &s, &mut received).await.unwrap();
        assert_eq!(received.into_output().0, "HTTP/1.1 200 OK\nhello");
    }

    #[test]
    fn pem_blocks_wrap_at_64_columns() {
        let block = pem_block("CERTIFICATE", &[0u8; 100]);
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"));
        let der = CertificateDer::from_pem_slice(block.as_bytes()).unwrap();
        assert_eq!(der.as_ref(), &[0u8; 100][..]);
    }
}
