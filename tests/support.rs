//! Test-only helpers on top of the [kit](crate::kit) (real processes, shared with the
//! benches): raw HTTP, the CLI, and checking Prometheus exposition text.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub use crate::kit::*;

/// Raw HTTP, for checking status codes, headers and bodies exactly.
pub struct Raw {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn http(method: &str, url: &str, body: Option<&str>) -> Raw {
    belfry::client::install_tls_provider();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = client.request(method.parse().unwrap(), url);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap();
    Raw {
        status,
        headers,
        body,
    }
}

/// Runs the CLI; returns (exit code, stdout, stderr). A command still running after 60 s is
/// killed and fails the test, rather than hanging it.
pub fn cli(args: &[&str], envs: &[(&str, &str)], cwd: Option<&Path>) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("BELFRY_HTTP_ADDR");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    run_cli(cmd, args)
}

/// Runs the CLI inside `netns`, as [`cli`] does.
pub fn cli_in(netns: &Netns, args: &[&str]) -> (i32, String, String) {
    let mut cmd = command_in(Some(&netns.name), BIN);
    cmd.env_remove("BELFRY_HTTP_ADDR");
    run_cli(cmd, args)
}

fn run_cli(mut cmd: Command, args: &[&str]) -> (i32, String, String) {
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let out = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("belfry {args:?} did not exit within 60 s");
        }
    };
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One sample of a Prometheus text exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the Prometheus text format (0.0.4) and checks it strictly: every line is a comment or
/// `name{label="value",…} value [timestamp]`; each family has `# HELP` and `# TYPE` once, before
/// its samples, and its samples in one group; no series twice; histogram buckets cumulative,
/// ending in `le="+Inf"` equal to `_count`, with a `_sum`. The error names the line.
pub fn parse_prometheus(text: &str) -> Result<Vec<Sample>, String> {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    let valid_name = |n: &str| {
        let mut chars = n.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps: BTreeSet<String> = BTreeSet::new();
    let mut closed: BTreeSet<String> = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut sampled: BTreeSet<String> = BTreeSet::new();
    let mut series = BTreeSet::new();
    let mut samples = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = |why: String| format!("line {}: {why}: {line:?}", i + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let mut words = rest.trim_start().splitn(3, ' ');
            let (keyword, name) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            if keyword != "HELP" && keyword != "TYPE" {
                continue; // a plain comment
            }
            if !valid_name(name) {
                return Err(at(format!("bad metric name {name:?}")));
            }
            if closed.contains(name) || sampled.contains(name) {
                return Err(at(format!("{keyword} for {name} after its samples")));
            }
            if keyword == "HELP" {
                if !helps.insert(name.to_string()) {
                    return Err(at("HELP given twice".into()));
                }
            } else {
                let kind = words.next().unwrap_or("");
                if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                    return Err(at(format!("unknown type {kind:?}")));
                }
                if types.insert(name.to_string(), kind.to_string()).is_some() {
                    return Err(at("TYPE given twice".into()));
                }
            }
            if current.as_deref() != Some(name)
                && let Some(prev) = current.replace(name.to_string())
            {
                closed.insert(prev);
            }
            continue;
        }
        // name{labels} value [timestamp]
        let name_end = line.find(['{', ' ']).ok_or_else(|| at("no value".into()))?;
        let name = &line[..name_end];
        if !valid_name(name) {
            return Err(at(format!("bad metric name {name:?}")));
        }
        let mut rest = &line[name_end..];
        let mut labels = BTreeMap::new();
        if let Some(body) = rest.strip_prefix('{') {
            let mut chars = body.char_indices().peekable();
            loop {
                let Some(&(start, c)) = chars.peek() else {
                    return Err(at("unterminated labels".into()));
                };
                if c == '}' {
                    rest = &body[start + 1..];
                    break;
                }
                let eq = body[start..]
                    .find('=')
                    .ok_or_else(|| at("label without =".into()))?;
                let label = &body[start..start + eq];
                if !valid_name(label) || label.contains(':') {
                    return Err(at(format!("bad label name {label:?}")));
                }
                while chars.peek().is_some_and(|&(j, _)| j <= start + eq) {
                    chars.next();
                }
                if chars.next().map(|(_, c)| c) != Some('"') {
                    return Err(at("label value not quoted".into()));
                }
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some((_, '"')) => break,
                        Some((_, '\\')) => match chars.next() {
                            Some((_, '\\')) => value.push('\\'),
                            Some((_, '"')) => value.push('"'),
                            Some((_, 'n')) => value.push('\n'),
                            _ => return Err(at("bad escape in label value".into())),
                        },
                        Some((_, '\n')) | None => {
                            return Err(at("unterminated label value".into()));
                        }
                        Some((_, c)) => value.push(c),
                    }
                }
                if labels.insert(label.to_string(), value).is_some() {
                    return Err(at(format!("label {label} twice")));
                }
                match chars.peek() {
                    Some(&(_, ',')) => {
                        chars.next();
                    }
                    Some(&(_, '}')) => {}
                    _ => return Err(at("expected , or } after a label".into())),
                }
            }
        }
        let mut fields = rest
            .strip_prefix(' ')
            .ok_or_else(|| at("no space before the value".into()))?
            .split(' ');
        let raw = fields.next().unwrap_or("");
        let value = match raw {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) => {
                v.parse().map_err(|_| at(format!("bad value {v:?}")))?
            }
            v => return Err(at(format!("bad value {v:?}"))),
        };
        if let Some(ts) = fields.next()
            && ts.parse::<i64>().is_err()
        {
            return Err(at(format!("bad timestamp {ts:?}")));
        }
        if fields.next().is_some() {
            return Err(at("trailing text".into()));
        }
        // The family this sample belongs to: histograms and summaries own suffixed names.
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                let base = name.strip_suffix(s)?;
                matches!(
                    types.get(base).map(String::as_str),
                    Some("histogram" | "summary")
                )
                .then_some(base)
            })
            .unwrap_or(name);
        if !types.contains_key(family) || !helps.contains(family) {
            return Err(at(format!(
                "no HELP and TYPE before the samples of {family}"
            )));
        }
        if current.as_deref() != Some(family) {
            return Err(at(format!("sample of {family} outside its group")));
        }
        sampled.insert(family.to_string());
        if !series.insert(format!("{name}{labels:?}")) {
            return Err(at("series given twice".into()));
        }
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    // Histograms: per label set (without `le`), cumulative buckets ending at `+Inf` = count.
    for (family, kind) in &types {
        if kind != "histogram" {
            continue;
        }
        let mut groups: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for s in samples
            .iter()
            .filter(|s| s.name == format!("{family}_bucket"))
        {
            let mut rest = s.labels.clone();
            let le = rest
                .remove("le")
                .ok_or_else(|| format!("{family}_bucket without le"))?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().map_err(|_| format!("{family}: bad le {le:?}"))?
            };
            groups
                .entry(format!("{rest:?}"))
                .or_default()
                .push((le, s.value));
        }
        for (labels, mut buckets) in groups {
            buckets.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
            if buckets.windows(2).any(|w| w[1].1 < w[0].1) {
                return Err(format!("{family}{labels}: buckets not cumulative"));
            }
            let last = buckets.last().unwrap();
            let find = |suffix: &str| {
                samples
                    .iter()
                    .find(|s| {
                        s.name == format!("{family}{suffix}") && format!("{:?}", s.labels) == labels
                    })
                    .map(|s| s.value)
            };
            let count = find("_count").ok_or_else(|| format!("{family}{labels}: no _count"))?;
            find("_sum").ok_or_else(|| format!("{family}{labels}: no _sum"))?;
            if last.0 != f64::INFINITY || last.1 != count {
                return Err(format!(
                    "{family}{labels}: +Inf bucket missing or not _count"
                ));
            }
        }
    }
    Ok(samples)
}

/// The value of the series `name{labels}` (exactly these labels), if present.
pub fn sample(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: std::collections::BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    samples
        .iter()
        .find(|s| s.name == name && s.labels == want)
        .map(|s| s.value)
}

/// Scrapes a node's `/metrics`, checks it is valid exposition text, and returns its samples.
pub async fn scrape(node: &Node) -> Vec<Sample> {
    let r = http("GET", &node.url("/metrics"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let content_type = r.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    parse_prometheus(&r.body)
        .unwrap_or_else(|e| panic!("not valid exposition text: {e}\n{}", r.body))
}

/// A multipart/form-data POST with one file field.
pub async fn multipart(url: &str, field: &str, content: &str) -> Raw {
    multipart_as(url, None, field, content).await
}

/// [`multipart`], sending an ACL token when one is given.
pub async fn multipart_as(url: &str, token: Option<&str>, field: &str, content: &str) -> Raw {
    let boundary = "belfry-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"jobs.json\"\r\nContent-Type: application/json\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    belfry::client::install_tls_provider();
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(url);
    let resp = match token {
        Some(token) => resp.bearer_auth(token),
        None => resp,
    };
    let resp = resp
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Raw {
        status,
        headers,
        body: resp.text().await.unwrap(),
    }
}
