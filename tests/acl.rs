//! ACLs (`--acl-enabled`): tokens and roles on real nodes, the CLI's token plumbing, the audit
//! log, and that a secret never shows up in logs, metrics or a job's environment.

use std::time::Duration;

use serde_json::Value;

use crate::support::{BIN, Node, Raw, cli, free_port, multipart_as, wait_for};

/// One request with an optional token, sent as `Authorization: Bearer` (or, with
/// `header = true`, as `X-Belfry-Token`).
async fn call(method: &str, url: &str, token: Option<&str>, body: Option<&str>) -> Raw {
    send(method, url, token, body, false).await
}

async fn send(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<&str>,
    header: bool,
) -> Raw {
    belfry::client::install_tls_provider();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = client.request(method.parse().unwrap(), url);
    if let Some(t) = token {
        req = if header {
            req.header("X-Belfry-Token", t)
        } else {
            req.bearer_auth(t)
        };
    }
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

fn job(name: &str, extra: &str) -> String {
    format!(
        r#"{{"name":"{name}","schedule":"@manually","executor":"shell","executor_config":{{"command":"true"}}{extra}}}"#
    )
}

/// A refusal: the status, one line of JSON naming the permission.
fn assert_refused(r: &Raw, status: u16, permission: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert!(!r.body.contains('\n'), "one line: {}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["permission"], permission, "{}", r.body);
    assert!(
        v["error"].as_str().unwrap().contains(permission),
        "the reason names the permission: {}",
        r.body
    );
}

fn create_token(node: &Node, mgmt: &str, args: &[&str]) -> (String, String) {
    let addr = node.addr();
    let mut all = vec!["--http-addr", &addr, "acl", "token", "create", "--json"];
    all.extend_from_slice(args);
    let (code, out, err) = cli(&all, &[("BELFRY_TOKEN", mgmt)], None);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    (
        v["accessor"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

async fn job_exists(node: &Node, token: &str, name: &str) -> bool {
    let r = call(
        "GET",
        &node.url(&format!("/v1/jobs/{name}")),
        Some(token),
        None,
    )
    .await;
    assert!(r.status == 200 || r.status == 404, "{}", r.body);
    r.status == 200
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acls_guard_every_endpoint_by_role_and_scope_and_audit_every_mutation() {
    let audit_dir = tempfile::tempdir().unwrap();
    let audit = audit_dir.path().join("audit.jsonl");
    let audit_flag = format!("--audit-log={}", audit.display());
    let mut node = Node::start(&["--acl-enabled", &audit_flag]).await;
    let url = |p: &str| node.url(p);

    // Liveness only, no token needed; everything else needs one.
    assert_eq!(call("GET", &url("/health"), None, None).await.status, 200);
    let r = call("POST", &url("/v1/jobs"), None, Some(&job("sneaky", ""))).await;
    assert_refused(&r, 401, "job:write");
    assert_refused(
        &call("GET", &url("/v1/jobs"), None, None).await,
        401,
        "read",
    );
    assert_refused(
        &call("GET", &url("/metrics"), None, None).await,
        401,
        "read",
    );
    assert_refused(
        &call("POST", &url("/v1/leave"), None, None).await,
        401,
        "operator",
    );
    assert_refused(
        &call("GET", &url("/v1/jobs"), Some("belfry-not-a-token"), None).await,
        401,
        "read",
    );

    // Bootstrap: once.
    let addr = node.addr();
    let (code, out, err) = cli(
        &["--http-addr", &addr, "acl", "bootstrap", "--json"],
        &[],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let boot: Value = serde_json::from_str(&out).unwrap();
    let mgmt = boot["secret"].as_str().unwrap().to_string();
    assert_eq!(boot["role"], "management");
    let (code, _, err) = cli(&["--http-addr", &addr, "acl", "bootstrap"], &[], None);
    assert_ne!(code, 0);
    assert!(err.contains("already bootstrapped"), "{err}");

    // The unauthenticated write changed nothing.
    assert!(!job_exists(&node, &mgmt, "sneaky").await);

    // Read-only: reads, and nothing else.
    let (_ro_accessor, ro) = create_token(&node, &mgmt, &["--role", "read-only"]);
    assert_eq!(
        call("GET", &url("/v1/jobs"), Some(&ro), None).await.status,
        200
    );
    assert_eq!(
        send("GET", &url("/v1/members"), Some(&ro), None, true)
            .await
            .status,
        200
    );
    assert_eq!(
        call("GET", &url("/metrics"), Some(&ro), None).await.status,
        200
    );
    let r = call(
        "POST",
        &url("/v1/jobs"),
        Some(&ro),
        Some(&job("ro-job", "")),
    )
    .await;
    assert_refused(&r, 403, "job:write");
    assert!(!job_exists(&node, &ro, "ro-job").await);
    let r = call(
        "POST",
        &url("/v1/jobs"),
        Some(&mgmt),
        Some(&job("team-b-x", "")),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    for (method, path, permission) in [
        ("POST", "/v1/jobs/team-b-x/run", "job:write"),
        ("POST", "/v1/jobs/team-b-x", "job:write"),
        ("DELETE", "/v1/jobs/team-b-x", "job:write"),
        ("POST", "/v1/restore", "job:write"),
        ("POST", "/v1/operator/restore", "operator"),
        ("POST", "/v1/pause", "operator"),
        ("POST", "/v1/leave", "operator"),
        ("GET", "/v1/operator/snapshot", "operator"),
        ("GET", "/v1/acl/tokens", "acl:write"),
    ] {
        let r = call(method, &url(path), Some(&ro), None).await;
        assert_refused(&r, 403, permission);
    }
    assert!(job_exists(&node, &ro, "team-b-x").await);
    let paused = call("GET", &url("/v1/pause"), Some(&ro), None).await;
    assert_eq!(paused.json()["paused"], false);
    let execs = call("GET", &url("/v1/jobs/team-b-x/executions"), Some(&ro), None).await;
    assert_eq!(
        execs.json().as_array().unwrap().len(),
        0,
        "the refused run did not run"
    );

    // A job writer limited to team-a-: its jobs, by path and by body, and nothing else.
    let (writer_accessor, writer) = create_token(
        &node,
        &mgmt,
        &[
            "--role",
            "job-writer",
            "--prefix",
            "team-a-",
            "--description",
            "team a",
        ],
    );
    let r = call(
        "POST",
        &url("/v1/jobs"),
        Some(&writer),
        Some(&job("team-a-1", "")),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        call("POST", &url("/v1/jobs/team-a-1/run"), Some(&writer), None)
            .await
            .status,
        200
    );
    assert_eq!(
        call(
            "POST",
            &url("/v1/jobs/team-a-1/toggle"),
            Some(&writer),
            None
        )
        .await
        .status,
        200
    );
    let r = call(
        "POST",
        &url("/v1/jobs"),
        Some(&writer),
        Some(&job("team-b-y", "")),
    )
    .await;
    assert_refused(&r, 403, "job:write");
    let r = call(
        "PUT",
        &url("/v1/jobs/team-a-2"),
        Some(&writer),
        Some(&job("team-b-x", "")),
    )
    .await;
    assert_refused(&r, 403, "job:write");
    let r = call(
        "PATCH",
        &url("/v1/jobs"),
        Some(&writer),
        Some(&job("team-b-x", r#","disabled":true"#)),
    )
    .await;
    assert_refused(&r, 403, "job:write");
    let r = call(
        "POST",
        &url("/v1/jobs"),
        Some(&writer),
        Some(&job("team-a-child", r#","parent_job":"team-b-x""#)),
    )
    .await;
    assert_refused(&r, 403, "job:write");
    assert!(!job_exists(&node, &mgmt, "team-a-child").await);
    for (method, path) in [
        ("DELETE", "/v1/jobs/team-b-x"),
        ("POST", "/v1/jobs/team-b-x/run"),
        ("POST", "/v1/jobs/team-b-x/toggle"),
        ("DELETE", "/v1/jobs/team-b-x/executions"),
        ("POST", "/v1/pause"),
    ] {
        let r = call(method, &url(path), Some(&writer), None).await;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
    }
    let r = multipart_as(
        &url("/v1/restore"),
        Some(&writer),
        "file",
        &format!("[{},{}]", job("team-a-3", ""), job("team-b-z", "")),
    )
    .await;
    assert_refused(&r, 403, "job:write");
    assert!(!job_exists(&node, &mgmt, "team-a-3").await);
    assert!(!job_exists(&node, &mgmt, "team-b-z").await);
    let bx = call("GET", &url("/v1/jobs/team-b-x"), Some(&ro), None)
        .await
        .json();
    assert_eq!(bx["disabled"], false, "team-b-x untouched");

    // The CLI: no token is a clear failure; BELFRY_TOKEN and --token-file work.
    let (code, _, err) = cli(&["--http-addr", &addr, "jobs", "list"], &[], None);
    assert_ne!(code, 0);
    assert!(err.contains("ACL token required"), "{err}");
    let (code, out, err) = cli(
        &["--http-addr", &addr, "jobs", "list"],
        &[("BELFRY_TOKEN", &ro)],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("team-b-x"), "{out}");
    let token_file = audit_dir.path().join("token");
    std::fs::write(&token_file, format!("{ro}\n")).unwrap();
    let tf = token_file.display().to_string();
    for args in [
        vec!["members"],
        vec!["leader"],
        vec!["raft", "list-peers"],
        vec!["jobs", "show", "team-b-x"],
    ] {
        let mut all = vec!["--http-addr", &addr[..], "--token-file", &tf];
        all.extend(args.iter());
        let (code, _, err) = cli(&all, &[], None);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let (code, _, err) = cli(
        &["--http-addr", &addr, "--token-file", &tf, "leave"],
        &[],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("lacks permission operator"), "{err}");
    let (code, _, err) = cli(
        &[
            "--http-addr",
            &addr,
            "--token-file",
            "/nonexistent/token",
            "members",
        ],
        &[],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--token-file"), "{err}");

    // Lists never show secrets; a deleted token stops working.
    let (code, out, err) = cli(
        &["--http-addr", &addr, "acl", "token", "list", "--json"],
        &[("BELFRY_TOKEN", &mgmt)],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3, "{out}");
    for secret in [&mgmt, &ro, &writer] {
        assert!(
            !out.contains(secret.as_str()),
            "a list shows a secret: {out}"
        );
    }
    assert!(
        out.contains(&writer_accessor) && out.contains("team-a-"),
        "{out}"
    );
    let (code, _, err) = cli(
        &[
            "--http-addr",
            &addr,
            "acl",
            "token",
            "delete",
            &writer_accessor,
        ],
        &[("BELFRY_TOKEN", &mgmt)],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let r = call("POST", &url("/v1/jobs/team-a-1/run"), Some(&writer), None).await;
    assert_refused(&r, 401, "job:write");

    // The audit log: one line per mutation, refusals included.
    let lines: Vec<Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |method: &str, path: &str, status: u64| {
        lines
            .iter()
            .find(|l| l["method"] == method && l["path"] == path && l["status"] == status)
    };
    let sneaky = find("POST", "/v1/jobs", 401).expect("the anonymous refusal is audited");
    assert_eq!(sneaky["who"], "anonymous");
    assert_eq!(sneaky["job"], "sneaky");
    assert_eq!(sneaky["result"], "unauthorized");
    assert_eq!(sneaky["node"], "node-a");
    let leave = find("POST", "/v1/leave", 403).expect("the read-only leave is audited");
    assert_eq!(leave["who"], _ro_accessor.as_str());
    assert_eq!(leave["result"], "forbidden");
    let created = find("POST", "/v1/jobs", 201).expect("a create is audited");
    assert!(created["time"].is_string());
    let run = find("POST", "/v1/jobs/team-a-1/run", 200).expect("a run is audited");
    assert_eq!(run["who"], writer_accessor.as_str());
    assert_eq!(run["job"], "team-a-1");
    assert!(find("DELETE", &format!("/v1/acl/tokens/{writer_accessor}"), 200).is_some());
    assert!(
        lines.iter().all(|l| l["method"] != "GET"),
        "reads are not audited"
    );
    let m = call("GET", &url("/metrics"), Some(&ro), None).await;
    let samples = crate::support::parse_prometheus(&m.body).unwrap();
    for result in ["success", "unauthorized", "forbidden"] {
        assert!(
            crate::support::sample(
                &samples,
                "belfry_api_mutations_total",
                &[("result", result)]
            )
            .unwrap_or(0.0)
                >= 1.0,
            "{result}: {}",
            m.body
        );
    }

    // Tokens survive a restart. The node now has a token in its own environment: a job's
    // environment must not get it.
    node.kill9();
    node.env = vec![("BELFRY_TOKEN".into(), mgmt.clone())];
    node.restart().await;
    let url = |p: &str| node.url(p);
    wait_for(
        "the read-only token after the restart",
        Duration::from_secs(30),
        || async {
            (call("GET", &url("/v1/jobs"), Some(&ro), None).await.status == 200).then_some(())
        },
    )
    .await;
    let env_job = r#"{"name":"show-env","schedule":"@manually","executor":"shell","executor_config":{"command":"env","shell":"true"}}"#;
    assert_eq!(
        call("POST", &url("/v1/jobs"), Some(&mgmt), Some(env_job))
            .await
            .status,
        201
    );
    let r = call("POST", &url("/v1/jobs/show-env/run"), Some(&mgmt), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let execs = node
        .client()
        .with_token(Some(&mgmt))
        .executions("show-env")
        .await
        .unwrap();
    let output = &execs[0].output;
    assert!(output.contains("PATH="), "the job ran env: {output}");
    assert!(
        !output.contains(&mgmt),
        "a job sees the agent's token: {output}"
    );

    // Secrets never reach the log or the metrics.
    let metrics = call("GET", &url("/metrics"), Some(&mgmt), None).await.body;
    let log = node.log();
    let audit_text = std::fs::read_to_string(&audit).unwrap();
    for secret in [&mgmt, &ro, &writer] {
        assert!(!log.contains(secret.as_str()), "the log shows a secret");
        assert!(
            !metrics.contains(secret.as_str()),
            "the metrics show a secret"
        );
        assert!(
            !audit_text.contains(secret.as_str()),
            "the audit log shows a secret"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_passes_tokens_to_a_server_and_guards_its_own_endpoints() {
    let server = Node::start(&["--acl-enabled"]).await;
    let metrics_port = free_port();
    let metrics_flag = format!("--metrics-addr=127.0.0.1:{metrics_port}");
    let join = format!("--join={}", server.gossip_addr());
    let agent = Node::spawn_agent("agent-a", &["--acl-enabled", &join, &metrics_flag]);
    let boot = call("POST", &server.url("/v1/acl/bootstrap"), None, None).await;
    assert_eq!(boot.status, 201, "{}", boot.body);
    let mgmt = boot.json()["secret"].as_str().unwrap().to_string();
    let (ro_accessor, ro) = create_token(&server, &mgmt, &["--role", "read-only"]);
    let a = |p: &str| agent.url(p);

    // Passed to the server, which decides.
    wait_for(
        "the agent to pass requests to the server",
        Duration::from_secs(30),
        || async {
            (call("GET", &a("/v1/jobs"), Some(&ro), None).await.status == 200).then_some(())
        },
    )
    .await;
    assert_refused(&call("GET", &a("/v1/jobs"), None, None).await, 401, "read");
    let r = call(
        "POST",
        &a("/v1/jobs"),
        Some(&ro),
        Some(&job("via-agent", "")),
    )
    .await;
    assert_refused(&r, 403, "job:write");
    let r = call(
        "POST",
        &a("/v1/jobs"),
        Some(&mgmt),
        Some(&job("via-agent", "")),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // The agent's own endpoints: the agent asks a server about the token.
    assert_eq!(call("GET", &a("/health"), None, None).await.status, 200);
    for path in ["/v1/members", "/v1", "/metrics", "/v1/node/stats"] {
        assert_refused(&call("GET", &a(path), None, None).await, 401, "read");
        assert_eq!(
            call("GET", &a(path), Some(&ro), None).await.status,
            200,
            "{path}"
        );
    }
    assert_refused(
        &call("GET", &a("/v1/members"), Some("belfry-bogus"), None).await,
        401,
        "read",
    );
    assert_refused(
        &call("POST", &a("/v1/leave"), Some(&ro), None).await,
        403,
        "operator",
    );
    let r = call(
        "POST",
        &a("/v1/operator/join"),
        Some(&ro),
        Some(r#"{"addrs":[]}"#),
    )
    .await;
    assert_refused(&r, 403, "operator");
    assert_eq!(
        call("GET", &a("/v1/members"), Some(&ro), None).await.status,
        200,
        "still running"
    );

    // --metrics-addr serves /metrics without a token, on loopback only.
    let r = call(
        "GET",
        &format!("http://127.0.0.1:{metrics_port}/metrics"),
        None,
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("belfry_members"), "{}", r.body);

    // A deleted token stops working through the agent at once, and on its own endpoints
    // once the agent's short cache expires.
    let r = call(
        "DELETE",
        &server.url(&format!("/v1/acl/tokens/{ro_accessor}")),
        Some(&mgmt),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_refused(
        &call("GET", &a("/v1/jobs"), Some(&ro), None).await,
        401,
        "read",
    );
    wait_for(
        "the agent to forget the deleted token",
        Duration::from_secs(30),
        || async {
            (call("GET", &a("/v1/members"), Some(&ro), None).await.status == 401).then_some(())
        },
    )
    .await;

    // The last management token cannot be deleted (anyone could bootstrap again).
    let tokens = call("GET", &server.url("/v1/acl/tokens"), Some(&mgmt), None)
        .await
        .json();
    let accessor = tokens[0]["accessor"].as_str().unwrap().to_string();
    let r = call(
        "DELETE",
        &server.url(&format!("/v1/acl/tokens/{accessor}")),
        Some(&mgmt),
        None,
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("last management token"), "{}", r.body);
    for secret in [&mgmt, &ro] {
        assert!(
            !agent.log().contains(secret.as_str()),
            "the agent's log shows a secret"
        );
    }
}

#[test]
fn a_metrics_listener_off_loopback_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(BIN)
        .args([
            "agent",
            "--server",
            "--bootstrap-expect=1",
            "--metrics-addr=0.0.0.0:9999",
        ])
        .arg(format!("--data-dir={}", dir.path().display()))
        .env_remove("BELFRY_HTTP_ADDR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("metrics-addr") && err.contains("loopback"),
        "{err}"
    );
}
