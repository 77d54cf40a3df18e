//! Agent configuration: flags, `BELFRY_*` environment, config files (dkron.yml as it is), and
//! clear refusals with exit code 2 before anything starts.

use std::time::Duration;

use crate::support::*;

fn agent_args(dir: &std::path::Path, port: u16) -> Vec<String> {
    vec![
        "agent".into(),
        format!("--http-addr=127.0.0.1:{port}"),
        format!("--rpc-port={}", free_port()),
        format!("--bind=127.0.0.1:{}", free_port()),
        format!("--data-dir={}", dir.join("data").display()),
    ]
}

#[test]
fn unknown_key_bad_values_and_busy_addresses_exit_2_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let file = dir.path().join("belfry.yml");
    std::fs::write(&file, "server: true\nbootstrap-expect: 1\nservr: yes\n").unwrap();
    let mut args = agent_args(dir.path(), port);
    args.push(format!("--config={}", file.display()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = cli(&args, &[], None);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.trim(),
        format!(
            "belfry: config file {}: unknown key \"servr\"",
            file.display()
        )
    );
    assert!(!dir.path().join("data").exists(), "nothing may be created");

    let base = agent_args(dir.path(), port);
    let mut base: Vec<&str> = base.iter().map(String::as_str).collect();
    base.extend(["--server", "--bootstrap-expect=1"]);
    for (extra, needle) in [
        ("--bind=nowhere", "bind: \"nowhere\" is not an IP address"),
        ("--log-level=loud", "log-level"),
        ("--shutdown-grace=forever", "shutdown-grace"),
        ("--node-name=has space", "node-name"),
        ("--tag=novalue", "--tag"),
        // Every member carries `role`: a user's own would be silently replaced.
        ("--tag=role=web", "\"role\" is reserved"),
        ("--tag=dc=eu", "\"dc\" is reserved"),
        ("--max-clock-offset=soon", "max-clock-offset"),
        (
            "--max-clock-offset=0s",
            "max-clock-offset: must be longer than zero",
        ),
        // Beyond the RPC's own ±60 s freshness window the bound could never apply.
        (
            "--max-clock-offset=90s",
            "max-clock-offset: must be under 60 s",
        ),
    ] {
        let flag = extra.split('=').next().unwrap();
        let mut a: Vec<&str> = base
            .iter()
            .copied()
            .filter(|b| !b.starts_with(flag))
            .collect();
        a.push(extra);
        let (code, _, err) = cli(&a, &[], None);
        assert_eq!(code, 2, "{extra}: {err}");
        assert!(err.contains(needle), "{extra}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    // A bad value from the environment is refused the same way.
    let env_only: Vec<&str> = base
        .iter()
        .copied()
        .filter(|a| !a.starts_with("--bootstrap"))
        .collect();
    let (code, _, err) = cli(&env_only, &[("BELFRY_BOOTSTRAP_EXPECT", "x")], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bootstrap-expect"), "{err}");
    assert!(!dir.path().join("data").exists());

    // An address already in use.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port();
    let args = agent_args(dir.path(), busy_port);
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(["--server", "--bootstrap-expect=1"]);
    let (code, _, err) = cli(&args, &[], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("http-addr: cannot listen"), "{err}");
}

async fn node_name_of(port: u16) -> String {
    let url = format!("http://127.0.0.1:{port}/v1");
    wait_for("the agent to answer", Duration::from_secs(20), || {
        let url = url.clone();
        async move {
            belfry::client::install_tls_provider();
            let r = reqwest::Client::builder()
                .no_proxy()
                .build()
                .ok()?
                .get(&url)
                .send()
                .await
                .ok()?;
            let v: serde_json::Value = r.json().await.ok()?;
            Some(v["agent"]["name"].as_str()?.to_string())
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn precedence_is_flag_then_env_then_file_and_dkron_yml_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    // A Dkron config file as packaged, with keys Belfry does not act on yet.
    let file = dir.path().join("dkron.yml");
    std::fs::write(
        &file,
        "server: true\nbootstrap-expect: 1\nnode-name: from-file\nlog-level: info\n\
         tags:\n  pool: web\nencrypt: MDEyMzQ1Njc4OWFiY2RlZg==\n\
         raft-multiplier: 1\nenable-prometheus: true\n",
    )
    .unwrap();
    let cases: [(Option<&str>, Option<&str>, &str); 3] = [
        (Some("from-flag"), Some("from-env"), "from-flag"),
        (None, Some("from-env"), "from-env"),
        (None, None, "from-file"),
    ];
    for (flag, env, expected) in cases {
        let port = free_port();
        let mut cmd = std::process::Command::new(BIN);
        cmd.args(agent_args(dir.path(), port))
            .arg(format!("--config={}", file.display()))
            .env_remove("BELFRY_HTTP_ADDR")
            .stderr(std::process::Stdio::null());
        if let Some(f) = flag {
            cmd.arg(format!("--node-name={f}"));
        }
        if let Some(e) = env {
            cmd.env("BELFRY_NODE_NAME", e);
        }
        let mut child = cmd.spawn().unwrap();
        let name = node_name_of(port).await;
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(name, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_tags_and_they_propagate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("belfry.yml");
    std::fs::write(&file, "tags:\n  zone: one\n").unwrap();
    let node = Node::start(&["--config", file.to_str().unwrap()]).await;
    let zone = |node: &Node| {
        let client = node.client();
        async move {
            let m = client.members().await.ok()?;
            m.first()?.tags.get("zone").cloned()
        }
    };
    assert_eq!(zone(&node).await.as_deref(), Some("one"));
    std::fs::write(&file, "tags:\n  zone: two\n").unwrap();
    node.signal(libc::SIGHUP);
    wait_for("the new tag", Duration::from_secs(10), || async {
        (zone(&node).await.as_deref() == Some("two")).then_some(())
    })
    .await;
    // A broken file on SIGHUP changes nothing and keeps the node running.
    std::fs::write(&file, "tags: [unclosed\n").unwrap();
    node.signal(libc::SIGHUP);
    wait_for(
        "the reload error in the log",
        Duration::from_secs(10),
        || async {
            node.log()
                .contains("configuration not reloaded")
                .then_some(())
        },
    )
    .await;
    assert_eq!(zone(&node).await.as_deref(), Some("two"));
}

#[test]
fn join_providers_other_than_dns_and_mdns_and_bad_mdns_fields_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (join, needle) in [
        (
            "provider=aws tag_key=role tag_value=belfry",
            "retry-join: provider=aws is not supported by this build (supported: dns, mdns)",
        ),
        ("provider=k8s label_selector=app=belfry", "provider=k8s"),
        ("provider=mdns", "provider=mdns needs service=NAME"),
        ("provider=mdns service=belfry timeout=1h", "timeout=1h"),
        (
            "provider=mdns service=belfry v6=yes",
            "v6=yes is not true or false",
        ),
    ] {
        let mut args = agent_args(dir.path(), free_port());
        args.extend(["--server".into(), "--retry-join".into(), join.into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, _, err) = cli(&args, &[], None);
        assert_eq!(code, 2, "{join}: {err}");
        assert!(err.contains(needle), "{join}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    assert!(!dir.path().join("data").exists(), "nothing may be created");
}

#[test]
fn config_check_names_every_bad_key_and_prints_the_effective_settings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dkron.yml");
    std::fs::write(
        &file,
        "server: true\nretry-interval: soon\nencrypt: abc\nnonsense: 3\nhistory-limit: 7\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let (code, out, err) = cli(&["config", "check", f], &[], None);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("3 bad key(s)"), "{err}");
    for key in ["retry-interval", "encrypt", "nonsense"] {
        assert!(err.contains(key), "{key} not named: {err}");
    }
    // With --json, an invalid file is a JSON answer too (it used to print nothing).
    let (code, out, _) = cli(&["config", "check", f, "--json"], &[], None);
    assert_eq!(code, 2);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(v["valid"], false);
    assert_eq!(v["errors"].as_array().unwrap().len(), 3, "{v}");
    let missing = dir.path().join("missing.yml");
    let (code, out, _) = cli(
        &["config", "check", missing.to_str().unwrap(), "--json"],
        &[],
        None,
    );
    assert_eq!(code, 2);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(v["valid"], false);
    assert!(
        v["errors"][0].as_str().unwrap().contains("cannot read"),
        "{v}"
    );
    std::fs::write(
        &file,
        "server: true\nhistory-limit: 7\nmax-clock-offset: 250ms\ntags:\n  pool: web\n",
    )
    .unwrap();
    let (code, out, err) = cli(
        &["config", "check", f, "--json"],
        &[
            ("BELFRY_NODE_NAME", "from-env"),
            ("BELFRY_HISTORY_LIMIT", "9"),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["settings"]["node-name"], "from-env");
    assert_eq!(
        v["settings"]["history-limit"], "9",
        "the environment wins over the file"
    );
    assert_eq!(v["settings"]["tags"], "pool=web");
    assert_eq!(v["settings"]["max-clock-offset"], "0.25s");
    let (_, out, _) = cli(
        &["config", "check", f, "--json"],
        &[("BELFRY_MAX_CLOCK_OFFSET", "2s")],
        None,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["settings"]["max-clock-offset"], "2s");
}

/// Logs to a file carry no colour codes (the old default wrote ANSI escapes into every log
/// file and pipe); `--log-format json` writes one JSON object a line for log shippers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_plain_text_off_a_terminal_and_json_on_request() {
    let text = Node::start(&[]).await;
    let log = text.log();
    assert!(log.contains("INFO"), "{log}");
    assert!(!log.contains('\x1b'), "colour codes in a log file: {log:?}");

    let json = Node::start(&["--log-format", "json"]).await;
    let log = json.log();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(
            v["level"].is_string() && v["timestamp"].is_string(),
            "{line}"
        );
    }

    let (code, _, err) = cli(
        &[
            "agent",
            "--server",
            "--bootstrap-expect=1",
            "--log-format=xml",
        ],
        &[],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("log-format: \"xml\" is not one of text, json"),
        "{err}"
    );
}

/// Protected mode: an API bound off loopback without ACLs or client certificates does not
/// start (only the refusal is tested; the opt-outs are checked by `config check`, so no traffic
/// leaves loopback).
#[test]
fn protected_mode_refuses_an_open_api_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut args = agent_args(dir.path(), port);
    args[1] = format!("--http-addr=0.0.0.0:{port}");
    args.extend(["--server".into(), "--bootstrap-expect=1".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = cli(&args, &[], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("protected mode"), "{err}");
    assert!(err.contains("--acl-enabled"), "{err}");
    assert!(!dir.path().join("data").exists(), "nothing may be created");

    let file = dir.path().join("belfry.yml");
    for (extra, ok) in [
        ("", false),
        ("acl-enabled: true\n", true),
        ("insecure-http: true\n", true),
    ] {
        std::fs::write(&file, format!("http-addr: 0.0.0.0:{port}\n{extra}")).unwrap();
        let (code, out, err) = cli(&["config", "check", file.to_str().unwrap()], &[], None);
        assert_eq!(code == 0, ok, "{extra:?}: {out}{err}");
    }
    // Loopback needs nothing: the README's single-node command.
    std::fs::write(&file, format!("http-addr: 127.0.0.1:{port}\n")).unwrap();
    let (code, out, err) = cli(&["config", "check", file.to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{out}{err}");
}

/// `config check` lists every setting of the table (the mail and webhook keys included) under
/// its config-file key, and never prints a secret: the cluster key, the mail password and the
/// webhook header values show only as set.
#[test]
fn config_check_lists_every_setting_and_hides_the_secrets() {
    use belfry::config::settings::{SETTINGS, Scope};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("belfry.yml");
    std::fs::write(
        &file,
        "server: true\nbootstrap-expect: 1\nencrypt: c2VjcmV0LWNsdXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc=\n\
         mail-host: 127.0.0.1\nmail-port: 2525\nmail-from: cron@example.com\n\
         mail-username: cron\nmail-password: hunter2-pw\n\
         webhook-endpoint: http://127.0.0.1:1/end\n\
         webhook-headers: [\"Authorization: Bearer tok3n-end\"]\n",
    )
    .unwrap();
    let (code, out, err) = cli(
        &["config", "check", file.to_str().unwrap(), "--json"],
        &[("BELFRY_PRE_WEBHOOK_HEADERS", "X-Token: tok3n-pre")],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let settings = v["settings"].as_object().unwrap();
    let listed: Vec<&str> = settings.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = SETTINGS
        .iter()
        .filter(|s| s.scope != Scope::FlagOnly)
        .map(|s| s.key)
        .collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
    assert_eq!(settings["mail-port"], "2525");
    assert_eq!(settings["mail-password"], "(set, not shown)");
    assert_eq!(settings["encrypt"], "(set, not shown)");
    assert_eq!(settings["webhook-headers"], "Authorization: (not shown)");
    assert_eq!(settings["pre-webhook-headers"], "X-Token: (not shown)");
    assert_eq!(settings["webhook-payload"], "{{.Report}}");
    for secret in ["c2VjcmV0", "hunter2", "tok3n"] {
        assert!(!out.contains(secret), "{secret} printed: {out}");
    }
    let (code, out, _) = cli(&["config", "check", file.to_str().unwrap()], &[], None);
    assert_eq!(code, 0);
    assert!(
        out.contains("mail-host") && !out.contains("hunter2"),
        "{out}"
    );
}
