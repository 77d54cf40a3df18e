//! `belfry config check FILE`: validates an agent config file offline and prints the settings
//! an agent started with it (and this environment) would run with.
//!
//! Every bad key is named, not only the first: each key is checked on its own, then the whole
//! file together with the `BELFRY_*` environment and the defaults.

use std::path::Path;

use belfry::config::{self, AgentConfig, ConfigLayer};
use clap::Parser;

use crate::cli::AgentArgs;
use crate::failure::Failure;

/// The agent's flags read from the environment alone (no command-line flags).
#[derive(Parser)]
struct EnvOnly {
    #[command(flatten)]
    agent: AgentArgs,
    #[arg(long, env = "BELFRY_HTTP_ADDR")]
    http_addr: Option<String>,
}

pub fn run(file: &Path, json: bool) -> Result<(), Failure> {
    let path = file.display().to_string();
    let (inert_keys, settings) = match check(file, &path) {
        Ok(checked) => checked,
        Err((failure, errors)) => {
            // Scripts that asked for JSON get JSON on failure too (and the exit code 2).
            if json {
                crate::jobs::print_json(&serde_json::json!({
                    "file": path,
                    "valid": false,
                    "errors": errors,
                }));
            }
            return Err(failure);
        }
    };
    if json {
        let map: serde_json::Map<String, serde_json::Value> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
            .collect();
        crate::jobs::print_json(&serde_json::json!({
            "file": path,
            "valid": true,
            "inert_keys": inert_keys,
            "settings": map,
        }));
    } else {
        println!("{path}: valid");
        for key in &inert_keys {
            println!("note: {key} is accepted for Dkron compatibility but has no effect yet");
        }
        let rows: Vec<Vec<String>> = settings
            .into_iter()
            .map(|(k, v)| vec![k.to_string(), v])
            .collect();
        crate::jobs::table(&["SETTING", "EFFECTIVE VALUE"], &rows);
    }
    Ok(())
}

/// The file's inert keys and effective settings, or the failure with each problem found.
#[allow(clippy::type_complexity)]
fn check(
    file: &Path,
    path: &str,
) -> Result<(Vec<String>, Vec<(&'static str, String)>), (Failure, Vec<String>)> {
    let one = |failure: Failure| {
        let message = failure.message.clone();
        (failure, vec![message])
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| one(Failure::usage(format!("cannot read {path}: {e}"))))?;
    let problems = per_key_problems(&text, path).map_err(one)?;
    if !problems.is_empty() {
        let failure = Failure::usage(format!(
            "{path}: {} bad key(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ));
        return Err((failure, problems));
    }
    let parsed = config::parse_file(&text, path).map_err(|e| one(Failure::usage(e.to_string())))?;
    let env = EnvOnly::try_parse_from(["belfry"])
        .map_err(|e| one(Failure::usage(format!("environment: {e}"))))?;
    let env_layer = crate::agent::layer_from_flags(&env.agent, env.http_addr).map_err(one)?;
    let config = config::resolve(env_layer.over(parsed.layer))
        .map_err(|e| one(Failure::usage(format!("{path}: {e}"))))?;
    Ok((parsed.inert_keys, effective(&config)))
}

/// Checks each top-level key on its own, so that every bad one is reported.
fn per_key_problems(text: &str, path: &str) -> Result<Vec<String>, Failure> {
    let docs = config::split_keys(text, path).map_err(|e| Failure::usage(e.to_string()))?;
    let mut problems = Vec::new();
    for single in docs {
        match config::parse_file(&single, path) {
            Err(e) => problems.push(e.to_string()),
            Ok(parsed) => {
                // A value may parse yet be unusable (an address, a duration): resolve it alone,
                // over a base that satisfies the settings other keys depend on (a server, an
                // advertised address, a TLS certificate with its key, protected mode left to the
                // whole file, which names how the API is protected); the whole file is resolved
                // afterwards.
                let base = ConfigLayer {
                    server: Some(true),
                    advertise: Some("127.0.0.1".into()),
                    security: config::SecurityLayer {
                        tls_cert: Some("cert.pem".into()),
                        tls_key: Some("key.pem".into()),
                        insecure_http: Some(true),
                        ..config::SecurityLayer::default()
                    },
                    ..ConfigLayer::default()
                };
                if let Err(e) = config::resolve(parsed.layer.over(base)) {
                    problems.push(format!("{path}: {e}"));
                }
            }
        }
    }
    Ok(problems)
}

fn dur(d: std::time::Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

/// The resolved settings, by their config-file key; the cluster key is never printed.
fn effective(c: &AgentConfig) -> Vec<(&'static str, String)> {
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".into()
        } else {
            v.join(", ")
        }
    };
    vec![
        ("server", c.server.to_string()),
        ("bootstrap-expect", c.bootstrap_expect.to_string()),
        ("node-name", c.node_name.clone()),
        ("bind-addr", c.bind.to_string()),
        ("advertise-addr", c.advertise.to_string()),
        ("http-addr", c.http_addr.to_string()),
        ("rpc-port", c.rpc_addr.port().to_string()),
        ("data-dir", c.data_dir.display().to_string()),
        (
            "tags",
            if c.tags.is_empty() {
                "-".into()
            } else {
                c.tags
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        ("region", c.region.clone()),
        ("datacenter", c.datacenter.clone()),
        ("log-level", c.log_level.clone()),
        ("log-format", c.log_format.clone()),
        ("output-limit", c.output_limit.to_string()),
        ("history-limit", c.history_limit.to_string()),
        ("restore-limit", c.restore_limit.to_string()),
        ("shutdown-grace", dur(c.shutdown_grace)),
        ("job-nice", c.job_nice.to_string()),
        (
            "max-parallel",
            if c.max_parallel == 0 {
                "0 (no limit)".into()
            } else {
                c.max_parallel.to_string()
            },
        ),
        ("join", list(&c.join)),
        ("retry-join", list(&c.retry_join)),
        ("retry-interval", dur(c.retry_interval)),
        ("retry-max", c.retry_max.to_string()),
        (
            "encrypt",
            if c.encrypt.is_some() {
                "(set, not shown)".into()
            } else if c.server && c.bootstrap_expect == 1 {
                "- (the key in the data dir; generated at the first start)".into()
            } else {
                "- (required: the agent refuses to start without it)".into()
            },
        ),
        ("dead-server-timeout", dur(c.dead_server_timeout)),
        ("max-clock-offset", dur(c.max_clock_offset)),
        ("raft-multiplier", c.raft_multiplier.to_string()),
        ("acl-enabled", c.acl_enabled.to_string()),
        (
            "audit-log",
            c.audit_log
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "-".into()),
        ),
        (
            "metrics-addr",
            c.metrics_addr
                .map(|a| a.to_string())
                .unwrap_or_else(|| "-".into()),
        ),
        (
            "tls-cert",
            c.security
                .tls
                .as_ref()
                .map_or("-".into(), |t| t.cert.display().to_string()),
        ),
        (
            "tls-key",
            c.security
                .tls
                .as_ref()
                .map_or("-".into(), |t| t.key.display().to_string()),
        ),
        (
            "tls-client-ca",
            c.security
                .tls
                .as_ref()
                .and_then(|t| t.client_ca.as_ref())
                .map_or("-".into(), |p| p.display().to_string()),
        ),
        (
            "cors-allowed-origin",
            list(&c.security.cors_allowed_origins),
        ),
        ("allowed-host", list(&c.security.allowed_hosts)),
        (
            "header-read-timeout",
            dur(c.security.limits.header_read_timeout),
        ),
        (
            "max-connections",
            c.security.limits.max_connections.to_string(),
        ),
        (
            "max-connections-per-ip",
            c.security.limits.max_connections_per_ip.to_string(),
        ),
        ("allow-su", c.security.allow_su.to_string()),
        ("insecure-http", c.security.insecure_http.to_string()),
    ]
}
