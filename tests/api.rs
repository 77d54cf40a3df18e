//! The Dkron-compatible `/v1` API: shapes, status codes, headers, validation.

use std::time::Duration;

use belfry::model::Job;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_read_round_trip_and_headers() {
    let node = Node::start(&[]).await;
    let body = r#"{"name":"job1","schedule":"@every 10s","timezone":"Europe/Berlin","owner":"Platform Team",
        "owner_email":"platform@example.com","disabled":false,"tags":{"server":"true:1"},
        "metadata":{"user":"12345"},"concurrency":"allow","retries":2,
        "executor":"shell","executor_config":{"command":"echo hi","shell":"true"},
        "processors":{"log":{"forward":"true"}}}"#;
    let created = http("POST", &node.url("/v1/jobs"), Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.headers["location"], "/v1/jobs/job1");
    assert_eq!(created.headers["x-whom"], "node-a");
    assert_eq!(created.json()["id"], "job1");

    // Consistent read right after the 201: no Dkron-style 404.
    let got = http("GET", &node.url("/v1/jobs/job1"), None).await;
    assert_eq!(got.status, 200);
    let job = got.json();
    assert_eq!(job["owner_email"], "platform@example.com");
    assert_eq!(job["executor_config"]["command"], "echo hi");
    assert_ne!(
        job["next"], "0001-01-01T00:00:00Z",
        "an enabled job has a next run"
    );
    // No CORS unless an origin is allowed (--cors-allowed-origin): see tests/browser.rs.
    assert!(!got.headers.contains_key("access-control-allow-origin"));

    // A job fetched with GET is accepted back by POST unchanged.
    let again = http("POST", &node.url("/v1/jobs"), Some(&got.body)).await;
    assert_eq!(again.status, 201, "{}", again.body);
    let list = http("GET", &node.url("/v1/jobs?pretty"), None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.headers["x-total-count"], "1");
    assert!(
        list.body.contains("\n  {"),
        "?pretty indents: {}",
        list.body
    );
    assert_eq!(list.json()[0]["name"], "job1");

    // PUT goes to the same create-or-replace handler.
    let put = http("PUT", &node.url("/v1/jobs/job1"), Some(&got.body)).await;
    assert_eq!(put.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_the_field_and_nothing_is_stored() {
    let node = Node::start(&[]).await;
    let ok = r#"{"name":"good","schedule":"@every 1h","executor":"shell","executor_config":{"command":"true"}}"#;
    assert_eq!(
        http("POST", &node.url("/v1/jobs"), Some(ok)).await.status,
        201
    );
    let cases = [
        (
            r#"{"name":"Bad Name","schedule":"@every 1s","executor":"shell","executor_config":{"command":"true"}}"#,
            "name",
        ),
        (
            r#"{"name":"a/b","schedule":"@every 1s","executor":"shell","executor_config":{"command":"true"}}"#,
            "name",
        ),
        (
            r#"{"name":"..","schedule":"@every 1s","executor":"shell","executor_config":{"command":"true"}}"#,
            "name",
        ),
        (
            r#"{"name":"five","schedule":"30 2 * * *","executor":"shell","executor_config":{"command":"true"}}"#,
            "schedule",
        ),
        (
            r#"{"name":"nosched","executor":"shell","executor_config":{"command":"true"}}"#,
            "schedule",
        ),
        (
            r#"{"name":"tz","schedule":"@daily","timezone":"Mars/Olympus","executor":"shell","executor_config":{"command":"true"}}"#,
            "timezone",
        ),
        (
            r#"{"name":"conc","schedule":"@daily","concurrency":"replace","executor":"shell","executor_config":{"command":"true"}}"#,
            "concurrency",
        ),
        (
            r#"{"name":"num","schedule":"@daily","executor":"shell","executor_config":{"command":"true","timeout":30}}"#,
            "expected a string",
        ),
        (
            r#"{"name":"tmo","schedule":"@daily","executor":"shell","executor_config":{"command":"true","timeout":"soon"}}"#,
            "executor_config",
        ),
        (
            r#"{"name":"exe","schedule":"@daily","executor":"kafka","executor_config":{}}"#,
            "executor",
        ),
        (
            r#"{"name":"orphan","parent_job":"nope","executor":"shell","executor_config":{"command":"true"}}"#,
            "parent job",
        ),
        (r#"{"name":"broken","#, "Unable to parse payload"),
        (
            r#"{"name":"types","schedule":"@daily","retries":"three","executor":"shell","executor_config":{"command":"true"}}"#,
            "Unable to parse payload",
        ),
        (
            r#"{"name":"ron","schedule":"@daily","retry_on":"elsewhere","executor":"shell","executor_config":{"command":"true"}}"#,
            "retry_on",
        ),
        (
            r#"{"name":"cu","schedule":"@daily","catchup":"some","executor":"shell","executor_config":{"command":"true"}}"#,
            "catchup",
        ),
        (
            r#"{"name":"cw","schedule":"@daily","catchup_window":"a while","executor":"shell","executor_config":{"command":"true"}}"#,
            "catchup_window",
        ),
        (
            r#"{"name":"tags","schedule":"@daily","tags":{"role":"web:0"},"executor":"shell","executor_config":{"command":"true"}}"#,
            "tags",
        ),
    ];
    for (body, needle) in cases {
        let r = http("POST", &node.url("/v1/jobs"), Some(body)).await;
        assert!(
            (400..500).contains(&r.status),
            "{body} -> {} {}",
            r.status,
            r.body
        );
        assert!(
            r.body.contains(needle),
            "{body} -> {:?} should name {needle:?}",
            r.body
        );
    }
    // A body over the limit (2 MiB) is refused before it is parsed.
    let huge = format!(
        r#"{{"name":"huge","schedule":"@daily","executor":"shell","executor_config":{{"command":"{}"}}}}"#,
        "x".repeat(3 << 20)
    );
    let r = http("POST", &node.url("/v1/jobs"), Some(&huge)).await;
    assert_eq!(r.status, 413, "{}", &r.body[..r.body.len().min(200)]);
    let list = http("GET", &node.url("/v1/jobs"), None).await;
    assert_eq!(
        list.headers["x-total-count"], "1",
        "nothing else stored: {}",
        list.body
    );
    // The server keeps serving.
    assert_eq!(http("GET", &node.url("/health"), None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_jobs_are_404_with_an_empty_body() {
    let node = Node::start(&[]).await;
    for (method, path) in [
        ("GET", "/v1/jobs/nope"),
        ("DELETE", "/v1/jobs/nope"),
        ("POST", "/v1/jobs/nope"),
        ("POST", "/v1/jobs/nope/run"),
        ("POST", "/v1/jobs/nope/toggle"),
        ("GET", "/v1/jobs/nope/executions"),
        ("GET", "/v1/jobs/nope/executions/1-x"),
        ("GET", "/v1/jobs/..%2F..%2Fetc/executions"),
    ] {
        let r = http(method, &node.url(path), None).await;
        assert_eq!(r.status, 404, "{method} {path}");
        assert_eq!(r.body, "", "{method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_endpoints() {
    let node = Node::start(&["--tag", "role2=web"]).await;
    // Idle for longer than a quorum-acknowledgement window, a lone server still leads.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let health = http("GET", &node.url("/health"), None).await.json();
    assert_eq!(
        health,
        serde_json::json!({"status": "healthy", "leader": true})
    );
    let status = http("GET", &node.url("/v1"), None).await.json();
    assert_eq!(status["agent"]["name"], "node-a");
    assert_eq!(status["tags"]["role2"], "web");
    let members = http("GET", &node.url("/v1/members"), None).await;
    assert_eq!(members.headers["x-total-count"], "1");
    let m = &members.json()[0];
    assert_eq!(m["Name"], "node-a");
    assert_eq!(m["Status"], 1);
    assert_eq!(m["statusText"], "alive");
    assert_eq!(m["Tags"]["server"], "true");
    let leader = http("GET", &node.url("/v1/leader"), None).await;
    assert_eq!(leader.status, 200);
    assert_eq!(leader.json()["Name"], "node-a");
    let is_leader = http("GET", &node.url("/v1/isleader"), None).await;
    assert_eq!(
        (is_leader.status, is_leader.json()),
        (200, serde_json::json!("I am a leader"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toggle_delete_and_manual_run() {
    let node = Node::start(&[]).await;
    let client = node.client();
    client
        .put_job(&shell_job(
            "manual",
            "@manually",
            "echo manual-$BELFRY_JOB_NAME",
        ))
        .await
        .unwrap();
    // A manual run answers 200 once the run has finished and its result is stored.
    let run = http("POST", &node.url("/v1/jobs/manual/run"), None).await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(run.json()["success_count"], 1);
    let ex = node.executions("manual").await;
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].output, "manual-manual\n");
    assert!(ex[0].success);
    let one = client.execution("manual", &ex[0].id).await.unwrap();
    assert_eq!(one, ex[0]);
    // POST /v1/jobs/{name} is the other spelling of run.
    assert_eq!(
        http("POST", &node.url("/v1/jobs/manual"), None)
            .await
            .status,
        200
    );
    assert_eq!(node.executions("manual").await.len(), 2);

    // A disabled job does not run on schedule.
    client
        .put_job(&shell_job("ticker", "@every 1s", "true"))
        .await
        .unwrap();
    node.wait_finished("ticker", 1, Duration::from_secs(10))
        .await;
    let toggled = client.toggle_job("ticker").await.unwrap();
    assert!(toggled.disabled);
    tokio::time::sleep(Duration::from_millis(300)).await; // let a launch already in flight land
    let before = node.executions("ticker").await.len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        node.executions("ticker").await.len(),
        before,
        "disabled job ran"
    );
    assert!(!client.toggle_job("ticker").await.unwrap().disabled);
    node.wait_finished("ticker", before + 1, Duration::from_secs(10))
        .await;

    let deleted = http("DELETE", &node.url("/v1/jobs/ticker"), None).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json()["name"], "ticker");
    assert_eq!(
        http("GET", &node.url("/v1/jobs/ticker"), None).await.status,
        404
    );
    assert_eq!(
        http("GET", &node.url("/v1/jobs/ticker/executions"), None)
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parents_cannot_be_deleted_before_children_and_cycles_are_refused() {
    let node = Node::start(&[]).await;
    let client = node.client();
    client
        .put_job(&shell_job("parent", "@daily", "true"))
        .await
        .unwrap();
    let mut child = shell_job("child", "", "true");
    child.parent_job = "parent".into();
    client.put_job(&child).await.unwrap();
    assert_eq!(
        client.job("parent").await.unwrap().dependent_jobs,
        vec!["child"]
    );
    let r = http("DELETE", &node.url("/v1/jobs/parent"), None).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("child"));
    let mut cyclic = shell_job("parent", "@daily", "true");
    cyclic.parent_job = "child".into();
    let r = http(
        "POST",
        &node.url("/v1/jobs"),
        Some(&serde_json::to_string(&cyclic).unwrap()),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("cycle"), "{}", r.body);
    assert_eq!(
        http("DELETE", &node.url("/v1/jobs/child"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        http("DELETE", &node.url("/v1/jobs/parent"), None)
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_lists_filter_sort_and_slice_as_react_admin_asks() {
    let node = Node::start(&[]).await;
    let client = node.client();
    for (name, display, team) in [
        ("alpha", "Backup", "ops"),
        ("bravo", "Report", "data"),
        ("charlie", "Backup db", "ops"),
    ] {
        let mut job = shell_job(name, "@manually", "true");
        job.displayname = display.into();
        job.metadata.insert("team".into(), team.into());
        client.put_job(&job).await.unwrap();
    }
    client.run_job("bravo").await.unwrap();
    let names = |body: &str| -> Vec<String> {
        let v: Vec<Job> = serde_json::from_str(body).unwrap();
        v.into_iter().map(|j| j.name).collect()
    };
    let get = |q: &str| {
        let url = node.url(&format!("/v1/jobs?{q}"));
        async move { http("GET", &url, None).await }
    };
    let r = get("metadata[team]=ops").await;
    assert_eq!(names(&r.body), ["alpha", "charlie"]);
    let r = get("q=Backup&_sort=name&_order=DESC").await;
    assert_eq!(names(&r.body), ["charlie", "alpha"]);
    let r = get("status=success").await;
    assert_eq!(names(&r.body), ["bravo"]);
    let r = get("status=untriggered").await;
    assert_eq!(names(&r.body), ["alpha", "charlie"]);
    let r = get("_sort=success_count&_order=DESC&_start=0&_end=1").await;
    assert_eq!(names(&r.body), ["bravo"]);
    assert_eq!(r.headers["x-total-count"], "3", "counted before slicing");
    let r = get("disabled=true").await;
    assert_eq!(names(&r.body), Vec::<String>::new());
    for bad in [
        "_sort=owner",
        "_order=sideways",
        "status=odd",
        "_start=-1",
        "disabled=maybe",
    ] {
        let r = get(bad).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }

    // Executions: newest first, sliced for real, with the total before slicing.
    for _ in 0..3 {
        client.run_job("alpha").await.unwrap();
    }
    let r = http(
        "GET",
        &node.url("/v1/jobs/alpha/executions?_start=1&_end=2"),
        None,
    )
    .await;
    let page: Vec<belfry::model::Execution> = serde_json::from_str(&r.body).unwrap();
    let all = client.executions("alpha").await.unwrap();
    assert_eq!(r.headers["x-total-count"], "3");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, all[1].id);
    let r = http(
        "GET",
        &node.url("/v1/jobs/alpha/executions/?_order=ASC"),
        None,
    )
    .await;
    let asc: Vec<belfry::model::Execution> = serde_json::from_str(&r.body).unwrap();
    assert_eq!(asc.first().unwrap().id, all.last().unwrap().id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_stats_clearing_executions_and_restore() {
    let node = Node::start(&[]).await;
    let client = node.client();
    client
        .put_job(&shell_job("ok", "@manually", "true"))
        .await
        .unwrap();
    client
        .put_job(&shell_job("bad", "@manually", "false"))
        .await
        .unwrap();
    client.run_job("ok").await.unwrap();
    client.run_job("ok").await.unwrap();
    client.run_job("bad").await.unwrap();

    // Pausing refuses new and changed jobs, cluster-wide, until unpaused.
    let r = http("POST", &node.url("/v1/pause"), None).await;
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"paused":true}"#));
    let job = serde_json::to_string(&shell_job("late", "@manually", "true")).unwrap();
    let r = http("POST", &node.url("/v1/jobs"), Some(&job)).await;
    assert_eq!(r.status, 503);
    assert!(r.body.contains("paused"), "{}", r.body);
    let r = http("GET", &node.url("/v1/pause"), None).await;
    assert_eq!(r.body, r#"{"paused":true}"#);
    let r = http("POST", &node.url("/v1/unpause"), None).await;
    assert_eq!(r.body, r#"{"paused":false}"#);
    let r = http("POST", &node.url("/v1/jobs"), Some(&job)).await;
    assert_eq!(r.status, 201);

    // Stats: today counts two successes and one failure; older days are zero-filled.
    let r = http("GET", &node.url("/v1/stats?days=3"), None).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let days = v["stats"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    let today = chrono::Utc::now().format("%Y-%m-%dT00:00:00Z").to_string();
    assert_eq!(days[2]["date"], today.as_str());
    assert_eq!(
        (
            days[2]["success_count"].as_u64(),
            days[2]["failed_count"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(days[0]["success_count"], 0);
    assert_eq!(
        http("GET", &node.url("/v1/stats?days=0"), None)
            .await
            .status,
        400
    );

    // Clearing executions resets the counters.
    let r = http("DELETE", &node.url("/v1/jobs/ok/executions"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j: Job = serde_json::from_str(&r.body).unwrap();
    assert_eq!((j.success_count, j.last_success), (0, None));
    assert!(client.executions("ok").await.unwrap().is_empty());
    assert_eq!(
        http("DELETE", &node.url("/v1/jobs/nope/executions"), None)
            .await
            .status,
        404
    );

    // Restore: a multipart "file" of jobs; children after parents; Dkron's string answer.
    let jobs = r#"[{"name":"kid","parent_job":"mom","executor":"shell","executor_config":{"command":"true"}},
                   {"name":"mom","schedule":"@daily","executor":"shell","executor_config":{"command":"true"}}]"#;
    let r = multipart(&node.url("/v1/restore"), "file", jobs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let inner: String = serde_json::from_str(&r.body).unwrap();
    let lines: Vec<String> = serde_json::from_str(&inner).unwrap();
    assert_eq!(lines, ["success create mom", "success create kid"]);
    assert_eq!(client.job("mom").await.unwrap().dependent_jobs, ["kid"]);
    // One invalid job: nothing is restored.
    let jobs = r#"[{"name":"fine","schedule":"@daily","executor":"shell","executor_config":{"command":"true"}},
                   {"name":"Broken Name","schedule":"@daily","executor":"shell","executor_config":{"command":"true"}}]"#;
    let r = multipart(&node.url("/v1/restore"), "file", jobs).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Broken Name"), "{}", r.body);
    assert!(client.job("fine").await.is_err());
    let r = multipart(&node.url("/v1/restore"), "other", jobs).await;
    assert_eq!(r.status, 404);
    let r = multipart(&node.url("/v1/restore"), "file", "not json").await;
    assert_eq!(r.status, 400);
}

#[path = "conformance.rs"]
mod conformance;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_runs_by_job_and_kind_in_prometheus_text() {
    let node = Node::start(&[]).await;
    let client = node.client();
    client
        .put_job(&shell_job("fine", "@manually", "true"))
        .await
        .unwrap();
    client
        .put_job(&shell_job("broken", "@manually", "exit 3"))
        .await
        .unwrap();
    let mut flaky = shell_job("flaky", "@manually", "exit 1");
    flaky.retries = 1;
    client.put_job(&flaky).await.unwrap();
    let mut child = shell_job("child", "", "true");
    child.parent_job = "fine".into();
    client.put_job(&child).await.unwrap();

    // Manual runs answer once their results are stored: the state-derived series are exact now.
    for job in ["fine", "fine", "broken"] {
        let r = http("POST", &node.url(&format!("/v1/jobs/{job}/run")), None).await;
        assert_eq!(r.status, 200, "{job}: {}", r.body);
    }
    let m = scrape(&node).await;
    let v = |name: &str, labels: &[(&str, &str)]| {
        sample(&m, name, labels).unwrap_or_else(|| panic!("no {name}{labels:?} in {m:?}"))
    };
    let ok = "dkron_job_executions_succeeded_total";
    let failed = "dkron_job_executions_failed_total";
    assert_eq!(v(ok, &[("job_name", "fine")]), 2.0);
    assert_eq!(v(failed, &[("job_name", "fine")]), 0.0);
    assert_eq!(v(ok, &[("job_name", "broken")]), 0.0);
    assert_eq!(v(failed, &[("job_name", "broken")]), 1.0);
    assert_eq!(v("belfry_launches_total", &[("kind", "manual")]), 3.0);
    assert_eq!(v("belfry_raft_state", &[("state", "leader")]), 1.0);
    assert_eq!(v("belfry_raft_state", &[("state", "follower")]), 0.0);
    assert_eq!(v("belfry_raft_has_leader", &[]), 1.0);
    assert!(v("belfry_raft_term", &[]) >= 1.0);
    assert!(v("belfry_raft_applied_index", &[]) >= 1.0);
    assert!(v("belfry_raft_commit_index", &[]) >= v("belfry_raft_applied_index", &[]));
    assert_eq!(
        v("belfry_members", &[("role", "server"), ("status", "alive")]),
        1.0
    );
    assert_eq!(
        v(
            "belfry_members",
            &[("role", "server"), ("status", "failed")]
        ),
        0.0
    );
    assert_eq!(v("belfry_jobs", &[("state", "enabled")]), 4.0);
    // Every run started here was timed, the three manual ones at least.
    assert!(v("belfry_launch_lateness_seconds_count", &[]) >= 3.0);
    assert_eq!(v("belfry_missed_ticks_total", &[]), 0.0);

    // fine's two successes each owe child a dependent run; flaky's failure owes it a retry;
    // a job on a schedule launches scheduled runs. All counted where the state machine applies
    // them, and nothing is left running.
    let r = http("POST", &node.url("/v1/jobs/flaky/run"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    client
        .put_job(&shell_job("tick", "@every 1s", "true"))
        .await
        .unwrap();
    let m = wait_for(
        "dependent, retry and scheduled launches in /metrics",
        Duration::from_secs(30),
        || async {
            let m = scrape(&node).await;
            let kind = |k| sample(&m, "belfry_launches_total", &[("kind", k)]).unwrap();
            let done = kind("dependent") == 2.0
                && kind("retry") == 1.0
                && kind("scheduled") >= 1.0
                && sample(&m, failed, &[("job_name", "flaky")]) == Some(2.0)
                && sample(&m, ok, &[("job_name", "child")]) == Some(2.0)
                && sample(&m, ok, &[("job_name", "tick")]) >= Some(1.0);
            done.then_some(m)
        },
    )
    .await;
    assert_eq!(
        sample(&m, "belfry_launches_total", &[("kind", "manual")]),
        Some(4.0)
    );
    assert!(sample(&m, "belfry_launch_lateness_seconds_count", &[]).unwrap() >= 8.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_serves_its_own_metrics() {
    let agent = Node::spawn_agent("agent-a", &[]);
    let client = agent.client();
    wait_for("the agent's API", Duration::from_secs(30), || async {
        client.health().await.ok()
    })
    .await;
    let m = scrape(&agent).await;
    assert_eq!(
        sample(
            &m,
            "belfry_members",
            &[("role", "agent"), ("status", "alive")]
        ),
        Some(1.0)
    );
    assert_eq!(sample(&m, "belfry_node_executions_running", &[]), Some(0.0));
    assert!(
        !m.iter()
            .any(|s| s.name.starts_with("dkron_") || s.name.starts_with("belfry_raft")),
        "an agent holds no state and no Raft: {m:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_served_and_every_route_in_it_is_served() {
    let node = Node::start(&[]).await;
    let r = http("GET", &node.url("/v1/openapi.json"), None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.0."));
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

    // A path no route serves has gin's body, which no handler sends: that is how the probes
    // below tell "no such route" from a handler's own 404.
    let none = http("GET", &node.url("/v1/no-such-endpoint"), None).await;
    assert_eq!(
        (none.status, none.body.as_str()),
        (404, "404 page not found")
    );

    let paths = doc["paths"].as_object().unwrap();
    let mut probed = 0;
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() || path == "/v1/leave" {
                // Leave stops the node: the conformance test runs it last.
                continue;
            }
            // Names that exist nowhere: the probes change nothing.
            let concrete = path
                .replace("{name}", "no-such-job")
                .replace("{id}", "1-nowhere")
                .replace("{node}", "no-such-node");
            let body = (method != "get" && method != "delete").then_some("{}");
            let r = http(&method.to_uppercase(), &node.url(&concrete), body).await;
            assert!(
                r.status != 405 && !(r.status == 404 && r.body == "404 page not found"),
                "documented {method} {path} is not served: {} {}",
                r.status,
                r.body
            );
            probed += 1;
        }
    }
    assert!(probed >= 30, "only {probed} operations documented");
}

/// What Dkron's web UI and Dkron's own API tests send and expect: `null` for empty form fields
/// in POST, PUT and PATCH, `Location` on run and toggle, Dkron's parent error texts, a job
/// without an executor, and tags matched against everything `/v1/members` shows for a node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dkron_web_ui_and_api_tests_are_answered_as_dkron_does() {
    let node = Node::start(&["--tag", "pool=web"]).await;
    // Every field the web UI leaves empty, as `null`.
    let nulls = [
        "retries",
        "displayname",
        "timezone",
        "owner",
        "owner_email",
        "parent_job",
        "concurrency",
        "ephemeral",
        "disabled",
        "status",
        "id",
        "success_count",
        "error_count",
        "tags",
        "metadata",
        "dependent_jobs",
        "processors",
        "next",
        "last_success",
        "last_error",
        "starts_at",
        "expires_at",
    ];
    let mut body = serde_json::json!({
        "name": "ui", "schedule": "@manually", "executor": "shell",
        "executor_config": {"command": "echo ui", "shell": "true"},
    });
    for field in nulls {
        body[field] = serde_json::Value::Null;
    }
    let body = body.to_string();
    for (method, path, status) in [
        ("POST", "/v1/jobs", 201),
        ("PUT", "/v1/jobs/ui", 201),
        ("PATCH", "/v1/jobs", 201),
    ] {
        let r = http(method, &node.url(path), Some(&body)).await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.body);
        let job = r.json();
        assert_eq!(job["retries"], 0, "{method}");
        assert_eq!(job["concurrency"], "allow", "{method}");
        assert_eq!(job["disabled"], false, "{method}");
        assert_eq!(job["owner"], "", "{method}");
    }
    // One field at a time too, so no field's `null` hides behind another's.
    for field in nulls {
        let mut one = serde_json::json!({
            "name": "ui", "schedule": "@manually", "executor": "shell",
            "executor_config": {"command": "echo ui", "shell": "true"},
        });
        one[field] = serde_json::Value::Null;
        let r = http("POST", &node.url("/v1/jobs"), Some(&one.to_string())).await;
        assert_eq!(r.status, 201, "{field}: null: {}", r.body);
    }

    // Run and toggle answer with Location: the request URI, as Dkron does.
    let run = http("POST", &node.url("/v1/jobs/ui/run?force=true"), None).await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(run.headers["location"], "/v1/jobs/ui/run?force=true");
    let toggle = http("POST", &node.url("/v1/jobs/ui/toggle"), None).await;
    assert_eq!(toggle.status, 200, "{}", toggle.body);
    assert_eq!(toggle.headers["location"], "/v1/jobs/ui/toggle");

    // Dkron's error texts for a self-parent and a missing parent.
    let child = |parent: &str| {
        serde_json::json!({"name": "child", "parent_job": parent, "executor": "shell",
            "executor_config": {"command": "true"}})
        .to_string()
    };
    let r = http("POST", &node.url("/v1/jobs"), Some(&child("child"))).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("the job can not have itself as parent"),
        "{}",
        r.body
    );
    let r = http("POST", &node.url("/v1/jobs"), Some(&child("nobody"))).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(
        r.body.contains("specified parent job not found"),
        "{}",
        r.body
    );

    // No executor: saved, as Dkron does; a run fails saying why.
    let bare = r#"{"name":"bare","schedule":"@manually"}"#;
    let r = http("POST", &node.url("/v1/jobs"), Some(bare)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["executor"], "");
    let run = http("POST", &node.url("/v1/jobs/bare/run"), None).await;
    assert_eq!(run.status, 200, "{}", run.body);
    let ex = node.executions("bare").await;
    assert_eq!(ex.len(), 1);
    assert!(!ex[0].success);
    assert!(
        ex[0].output.contains("the job has no executor"),
        "{}",
        ex[0].output
    );

    // Tags match every tag /v1/members shows for the node, not only the user's own.
    let member = &http("GET", &node.url("/v1/members"), None).await.json()[0];
    let shown = member["Tags"].as_object().unwrap().clone();
    assert_eq!(shown["pool"], "web");
    for key in ["dc", "region", "server", "role", "pool"] {
        let value = shown[key].as_str().unwrap();
        let name = format!("by-{key}");
        let mut job = shell_job(&name, "@manually", "echo matched");
        job.tags = [(key.to_string(), value.to_string())].into();
        node.client().put_job(&job).await.unwrap();
        let run = http("POST", &node.url(&format!("/v1/jobs/{name}/run")), None).await;
        assert_eq!(run.status, 200, "{key}: {}", run.body);
        let ex = node.executions(&name).await;
        assert_eq!(ex.len(), 1, "{key}");
        assert!(ex[0].success, "{key}={value}: {:?}", ex[0]);
        assert_eq!(ex[0].node_name, "node-a", "{key}");
        assert_eq!(ex[0].reason, None, "{key}");
    }
    // A tick no node matches is told apart by its reason.
    let mut job = shell_job("nowhere", "@manually", "echo never");
    job.tags = [("dc".to_string(), "elsewhere".to_string())].into();
    node.client().put_job(&job).await.unwrap();
    http("POST", &node.url("/v1/jobs/nowhere/run"), None).await;
    let listed = http("GET", &node.url("/v1/jobs/nowhere/executions"), None)
        .await
        .json();
    assert_eq!(listed[0]["reason"], "no_matching_node", "{listed}");
    assert_eq!(listed[0]["status"], "failed");
    assert_eq!(listed[0]["node_name"], "");
}
