//! The http executor's settings (`executor_config` of a job with `executor: http`), parsed and
//! checked without sending anything: the same parse decides whether a job may be saved and what
//! the node sends (`node::executor::http`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};

/// The request timeout when `timeout` is not set (Dkron's).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Parsed, validated http executor config.
#[derive(Debug, Clone)]
pub struct HttpSpec {
    pub method: Method,
    pub url: Url,
    /// Sent as given; a name given twice keeps its last value (Dkron's `Header.Set`).
    pub headers: HeaderMap,
    pub body: String,
    /// For the whole exchange, body included; `None` means no timeout (`"0"`, as in Go).
    pub timeout: Option<Duration>,
    /// The statuses that count as success; `None` accepts any status (Dkron's default).
    pub expect_codes: Option<Vec<u16>>,
    /// Must match somewhere in the body.
    pub expect_body: Option<Regex>,
    /// Put the request and the response headers in the output, and log the exchange.
    pub debug: bool,
    /// Accept any server certificate (no chain, expiry or name check).
    pub tls_no_verify_peer: bool,
    /// Client certificate (PEM, chain allowed) and its key (PEM: PKCS#8, PKCS#1 or SEC1),
    /// always both or neither.
    pub tls_client_cert: Option<(PathBuf, PathBuf)>,
    /// Trust only the certificates in this PEM file, instead of the system's roots.
    pub tls_root_cas_file: Option<PathBuf>,
}

/// Why an `executor_config` map is not a valid http executor config: the key and the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("executor_config.{key}: {reason}")]
pub struct HttpConfigError {
    pub key: &'static str,
    pub reason: String,
}

fn config_error(key: &'static str, reason: impl Into<String>) -> HttpConfigError {
    HttpConfigError {
        key,
        reason: reason.into(),
    }
}

impl HttpSpec {
    /// Validates a Dkron http `executor_config` map.
    ///
    /// - `method` (required): an HTTP method token, sent as written (`GET`, `POST`, ...).
    /// - `url` (required): an absolute `http` or `https` URL.
    /// - `headers`: a JSON array of `"Name: value"` strings, as a string:
    ///   `"[\"Content-Type: application/json\"]"`. The name ends at the first `:` (Dkron cuts
    ///   the value at the next `:` too; Belfry keeps it whole). Empty entries are skipped.
    /// - `body`: sent as is.
    /// - `timeout`: whole seconds (default 30; `0` means none), for the whole exchange.
    /// - `expectCode`: comma-separated statuses, such as `200,206`.
    /// - `expectBody`: a regular expression (Go's RE2 syntax, which Rust's `regex` shares).
    /// - `debug`: any non-empty value turns it on (Dkron's rule: even `"false"`).
    /// - `tlsNoVerifyPeer`: Go `ParseBool` spellings (`true`, `1`, `t`, `false`, `0`, ...).
    /// - `tlsCertificateFile` with `tlsCertificateKeyFile`, and `tlsRootCAsFile`: paths on the
    ///   node that runs the job.
    ///
    /// Unknown keys are ignored, as Dkron ignores them.
    pub fn from_config(config: &BTreeMap<String, String>) -> Result<HttpSpec, HttpConfigError> {
        let get = |key: &str| config.get(key).map(String::as_str).unwrap_or("");

        let method = match get("method") {
            "" => return Err(config_error("method", "is required (GET, POST, ...)")),
            text => Method::from_bytes(text.as_bytes())
                .map_err(|_| config_error("method", format!("{text:?} is not an HTTP method")))?,
        };

        let url = match get("url").trim() {
            "" => return Err(config_error("url", "is required")),
            text => {
                let url =
                    Url::parse(text).map_err(|e| config_error("url", format!("{text:?}: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(config_error(
                        "url",
                        format!("{text:?}: the scheme must be http or https"),
                    ));
                }
                if url.host().is_none() {
                    return Err(config_error("url", format!("{text:?} has no host")));
                }
                url
            }
        };

        let headers = parse_headers(get("headers")).map_err(|e| config_error("headers", e))?;

        let timeout = match get("timeout").trim() {
            "" => Some(DEFAULT_TIMEOUT),
            text => match text.parse::<u64>() {
                Ok(0) => None,
                Ok(secs) => Some(Duration::from_secs(secs)),
                Err(_) => {
                    return Err(config_error(
                        "timeout",
                        format!("{text:?} is not a whole number of seconds (such as \"30\")"),
                    ));
                }
            },
        };

        let expect_codes = match get("expectCode").trim() {
            "" => None,
            text => Some(parse_codes(text).map_err(|e| config_error("expectCode", e))?),
        };

        let expect_body = match get("expectBody") {
            "" => None,
            pattern => Some(Regex::new(pattern).map_err(|e| {
                config_error(
                    "expectBody",
                    format!("{pattern:?} is not a regular expression: {e}"),
                )
            })?),
        };

        let tls_no_verify_peer = match get("tlsNoVerifyPeer") {
            "" | "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
            "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
            other => {
                return Err(config_error(
                    "tlsNoVerifyPeer",
                    format!("{other:?} is not true or false"),
                ));
            }
        };

        let path = |key: &'static str| -> Result<Option<PathBuf>, HttpConfigError> {
            match get(key) {
                "" => Ok(None),
                text if text.contains('\0') => Err(config_error(key, "contains a NUL byte")),
                text => Ok(Some(PathBuf::from(text))),
            }
        };
        let tls_client_cert = match (path("tlsCertificateFile")?, path("tlsCertificateKeyFile")?) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(config_error(
                    "tlsCertificateKeyFile",
                    "is required with tlsCertificateFile",
                ));
            }
            (None, Some(_)) => {
                return Err(config_error(
                    "tlsCertificateFile",
                    "is required with tlsCertificateKeyFile",
                ));
            }
        };
        let tls_root_cas_file = path("tlsRootCAsFile")?;

        Ok(HttpSpec {
            method,
            url,
            headers,
            body: get("body").to_string(),
            timeout,
            expect_codes,
            expect_body,
            debug: !get("debug").is_empty(),
            tls_no_verify_peer,
            tls_client_cert,
            tls_root_cas_file,
        })
    }
}

/// `"[\"Name: value\", ...]"`; empty or `null` means none.
fn parse_headers(text: &str) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    if text.trim().is_empty() {
        return Ok(headers);
    }
    let entries: Option<Vec<String>> = serde_json::from_str(text)
        .map_err(|e| format!("{text:?} is not a JSON array of \"Name: value\" strings: {e}"))?;
    for entry in entries.unwrap_or_default() {
        if entry.is_empty() {
            continue;
        }
        let Some((name, value)) = entry.split_once(':') else {
            return Err(format!("{entry:?} has no ':' (expected \"Name: value\")"));
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("{entry:?}: {:?} is not a header name", name.trim()))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| format!("{entry:?}: the value is not a valid header value"))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// `200,206`: statuses from 100 to 999. Dkron tests `"<code>,"` as a substring of the list
/// plus a comma, so `1200` would accept 200; Belfry compares whole numbers.
fn parse_codes(text: &str) -> Result<Vec<u16>, String> {
    let mut codes = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let code = entry
            .parse::<u16>()
            .ok()
            .filter(|c| StatusCode::from_u16(*c).is_ok())
            .ok_or_else(|| format!("{entry:?} is not an HTTP status (100 to 999)"))?;
        codes.push(code);
    }
    if codes.is_empty() {
        return Err(format!("{text:?} lists no status"));
    }
    Ok(codes)
}
