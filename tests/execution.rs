//! Scheduled and manual runs: every tick once, on time, with the environment, limits and
//! concurrency rules Dkron users expect; the shell executor's memory limit, user switch, stdin
//! payload and exit codes; the http executor against real HTTP and HTTPS servers on loopback,
//! with a PKI made in the test (server certificates, mutual TLS).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::{any, get};
use belfry::model::{Execution, ExecutionStatus, Job};
use chrono::{SecondsFormat, Timelike};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_second_job_runs_each_tick_once_with_its_environment() {
    let node = Node::start(&[]).await;
    let cmd = "echo \"$BELFRY_JOB_NAME|$BELFRY_EXECUTION_ID|$BELFRY_NODE_NAME|$BELFRY_SCHEDULED_AT|$ENV_JOB_NAME\"";
    node.client()
        .put_job(&shell_job("tick", "@every 1s", cmd))
        .await
        .unwrap();
    let ex = node.wait_finished("tick", 4, Duration::from_secs(15)).await;
    let mut seen = HashSet::new();
    for e in ex.iter().filter(|e| !e.is_running()) {
        assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
        assert!(e.success);
        assert_eq!(e.exit_code, Some(0));
        assert_eq!(e.scheduled_at.nanosecond(), 0, "ticks are whole seconds");
        assert!(
            e.started_at >= e.scheduled_at,
            "started before its tick: {e:?}"
        );
        assert!(e.finished_at >= e.started_at);
        assert_eq!(
            e.id,
            format!("{}-node-a", e.scheduled_at.timestamp_nanos_opt().unwrap())
        );
        assert_eq!(e.group, e.scheduled_at.timestamp_nanos_opt().unwrap());
        let at = e.scheduled_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        assert_eq!(e.output, format!("tick|{}|node-a|{at}|tick\n", e.id));
        assert!(seen.insert(e.scheduled_at), "tick {at} ran twice");
    }
    // Consecutive ticks are one second apart: none skipped.
    let mut ticks: Vec<_> = seen.into_iter().collect();
    ticks.sort();
    for pair in ticks.windows(2) {
        assert_eq!(
            (pair[1] - pair[0]).num_seconds(),
            1,
            "gap between ticks: {pair:?}"
        );
    }
    let job = node.client().job("tick").await.unwrap();
    assert!(job.success_count >= 4);
    assert_eq!(job.status, "success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_sharing_tick_instants_all_run() {
    // Jobs created within the same second share every tick instant (and so execution ids,
    // which are unique only per job): each must still run every tick.
    let node = Node::start(&[]).await;
    let names: Vec<String> = (0..8).map(|i| format!("same-{i}")).collect();
    for name in &names {
        node.client()
            .put_job(&shell_job(name, "@every 1s", "true"))
            .await
            .unwrap();
    }
    for name in &names {
        let ex = node.wait_finished(name, 3, Duration::from_secs(20)).await;
        assert!(
            ex.iter().filter(|e| !e.is_running()).all(|e| e.success),
            "{name}: {ex:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_bigger_than_one_launch_entry_runs_every_job_once_per_tick() {
    // 400 jobs due on the same instant are more than one launch entry holds (250): the leader
    // commits them in entries one after another, and every job must still run every tick once.
    const JOBS: usize = 400;
    let node = Node::start(&[]).await;
    let client = node.client();
    let names: Vec<String> = (0..JOBS).map(|i| format!("burst-{i:03}")).collect();
    let jobs: Vec<Job> = names
        .iter()
        .map(|n| shell_job(n, "*/2 * * * * *", "true"))
        .collect();
    let deadlines = Deadlines {
        request: Duration::from_secs(20),
        bulk: Duration::from_secs(90),
    };
    create_jobs(&client, &jobs, 8, deadlines).await.unwrap();
    // A tick every job was created before: from here on, each tick runs all of them.
    let first = chrono::Utc::now() + chrono::Duration::seconds(2);
    let tick = first
        .with_nanosecond(0)
        .map(|t| t + chrono::Duration::seconds(i64::from(t.second() % 2)))
        .unwrap();
    let ran = wait_for(
        "every burst job's first common tick finished",
        Duration::from_secs(60),
        || {
            let (client, names) = (client.clone(), names.clone());
            async move {
                let all = fetch_executions(&client, &names, 8, deadlines).await.ok()?;
                all.values()
                    .all(|ex| ex.iter().any(|e| e.scheduled_at == tick && !e.is_running()))
                    .then_some(all)
            }
        },
    )
    .await;
    for (name, ex) in &ran {
        let mut ticks = HashSet::new();
        for e in ex {
            assert!(
                ticks.insert(e.scheduled_at),
                "{name}: a tick ran twice: {ex:?}"
            );
            assert!(e.is_running() || e.success, "{name}: {e:?}");
            assert_eq!(
                e.scheduled_at.timestamp() % 2,
                0,
                "{name}: off the schedule: {e:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_kills_the_process_group_and_fails_the_execution() {
    let node = Node::start(&[]).await;
    let marker = node.dir.path().join("grandchild.pid");
    let mut job = shell_job(
        "slow",
        "@manually",
        &format!("sleep 60 & echo $! > {}; wait", marker.display()),
    );
    job.executor_config.insert("timeout".into(), "1s".into());
    node.client().put_job(&job).await.unwrap();
    let started = std::time::Instant::now();
    let r = http("POST", &node.url("/v1/jobs/slow/run"), None).await;
    assert_eq!(r.status, 200);
    assert!(started.elapsed() < Duration::from_secs(10));
    let ex = node.executions("slow").await;
    assert_eq!(ex[0].status, ExecutionStatus::Failed);
    assert!(
        ex[0].output.contains("timed out after 1s"),
        "{}",
        ex[0].output
    );
    let pid: u32 = std::fs::read_to_string(&marker)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wait_for(
        "the background sleep to be killed",
        Duration::from_secs(5),
        || async move {
            // Gone, or a zombie waiting for its reaper: either way no longer running.
            match belfry::telemetry::procfs::stat(pid) {
                Ok(stat) => stat.is_zombie_or_dead().then_some(()),
                Err(_) => Some(()),
            }
        },
    )
    .await;
    assert_eq!(node.client().job("slow").await.unwrap().error_count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbid_never_overlaps_and_refuses_a_manual_run_while_running() {
    let node = Node::start(&[]).await;
    let mut job = shell_job("solo", "@every 1s", "sleep 2.5");
    job.concurrency = "forbid".into();
    node.client().put_job(&job).await.unwrap();
    // While one run is in progress, a manual run is refused.
    wait_for("a running execution", Duration::from_secs(10), || {
        let client = node.client();
        async move {
            let ex = client.executions("solo").await.ok()?;
            ex.iter().any(|e| e.is_running()).then_some(())
        }
    })
    .await;
    let r = http("POST", &node.url("/v1/jobs/solo/run"), None).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("forbid"));
    let ex = node.wait_finished("solo", 3, Duration::from_secs(20)).await;
    let mut spans: Vec<_> = ex
        .iter()
        .filter(|e| !e.is_running())
        .map(|e| (e.started_at, e.finished_at))
        .collect();
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[1].0 >= pair[0].1, "overlapping runs: {pair:?}");
    }
    // Asked to, an operator may overlap it anyway.
    wait_for("a running execution", Duration::from_secs(10), || {
        let client = node.client();
        async move {
            let ex = client.executions("solo").await.ok()?;
            ex.iter().any(|e| e.is_running()).then_some(())
        }
    })
    .await;
    let r = http("POST", &node.url("/v1/jobs/solo/run?force=true"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_capped_and_output_keeps_its_tail() {
    let node = Node::start(&["--history-limit", "3", "--output-limit", "1000"]).await;
    let job = shell_job("chatty", "@manually", "seq 1 2000");
    node.client().put_job(&job).await.unwrap();
    for _ in 0..5 {
        node.client().run_job("chatty").await.unwrap();
    }
    let ex = node.executions("chatty").await;
    assert_eq!(ex.len(), 3, "history capped at 3");
    assert!(ex[0].scheduled_at > ex[2].scheduled_at, "newest first");
    let out = &ex[0].output;
    assert!(out.len() <= 1000, "{}", out.len());
    assert!(ex[0].output_truncated);
    assert!(out.ends_with("1999\n2000\n"), "tail kept: {out:?}");
    assert_eq!(node.client().job("chatty").await.unwrap().success_count, 5);
}

// ---------------------------------------------------------------------------------------------
// Shell executor: mem_limit, su, payload, allowed_exit_codes

/// Saves `job`, runs it once by hand and returns that execution.
async fn run_once(node: &Node, job: &Job) -> Execution {
    node.client().put_job(job).await.unwrap();
    node.client().run_job(&job.name).await.unwrap();
    let ex = node.executions(&job.name).await;
    assert_eq!(ex.len(), 1, "{ex:?}");
    assert!(!ex[0].is_running(), "{:?}", ex[0]);
    ex.into_iter().next().unwrap()
}

fn with(mut job: Job, pairs: &[(&str, &str)]) -> Job {
    for (k, v) in pairs {
        job.executor_config.insert(k.to_string(), v.to_string());
    }
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mem_limit_kills_a_memory_hog_and_says_so() {
    let node = Node::start(&[]).await;
    // `tail` holds all of its newline-free input, 300 MiB against a 100 MiB limit, and keeps it
    // while blocked writing to a `sleep` that never reads (so the job cannot finish first).
    let hog = with(
        shell_job(
            "hog",
            "@manually",
            "head -c 300M /dev/zero | tail | sleep 30; echo survived",
        ),
        &[("mem_limit", "100MB")],
    );
    let started = std::time::Instant::now();
    let e = run_once(&node, &hog).await;
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    assert_eq!(e.exit_code, None);
    assert!(
        e.output
            .starts_with("[belfry] mem_limit 100MiB exceeded: the job's processes used "),
        "{}",
        e.output
    );
    assert!(
        e.output.ends_with("resident: process group killed"),
        "{}",
        e.output
    );
    // A job within its limit is left alone.
    let modest = with(
        shell_job(
            "modest",
            "@manually",
            "head -c 10M /dev/zero | tail | wc -c",
        ),
        &[("mem_limit", "1GiB")],
    );
    let e = run_once(&node, &modest).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert_eq!(e.output.trim(), "10485760");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn su_is_refused_on_a_node_without_allow_su() {
    // Anyone who may create a job could otherwise run commands as any user, root included.
    let node = Node::start(&[]).await;
    let job = with(
        shell_job("as-root", "@manually", "id -u"),
        &[("su", "root")],
    );
    // Accepted at creation (another node may allow it), refused where it would run.
    let e = run_once(&node, &job).await;
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    assert!(e.output.contains("--allow-su"), "{}", e.output);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn su_runs_the_job_as_another_user() {
    let node = Node::start(&["--allow-su"]).await;
    let nobody = std::process::Command::new("id")
        .args(["-u", "nobody"])
        .output()
        .unwrap();
    let nobody_uid = String::from_utf8(nobody.stdout).unwrap();
    let job = with(
        shell_job("as-nobody", "@manually", "id -u"),
        &[("su", "nobody")],
    );
    let e = run_once(&node, &job).await;
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
        assert_eq!(e.output, nobody_uid);
    } else {
        assert_eq!(e.status, ExecutionStatus::Failed);
        assert!(
            e.output.contains("needs the agent to run as root"),
            "{}",
            e.output
        );
    }
    let job = with(
        shell_job("as-ghost", "@manually", "id -u"),
        &[("su", "belfry-no-such-user")],
    );
    let e = run_once(&node, &job).await;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(
        e.output,
        "[belfry] failed to start: su: unknown user \"belfry-no-such-user\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_arrives_on_stdin_and_allowed_exit_codes_count_as_success() {
    let node = Node::start(&[]).await;
    // "hello world\n"
    let job = with(
        shell_job("stdin", "@manually", "cat; echo end"),
        &[("payload", "aGVsbG8gd29ybGQK")],
    );
    let e = run_once(&node, &job).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert_eq!(e.output, "hello world\nend\n");

    let job = with(
        shell_job("grep-like", "@manually", "echo no match; exit 1"),
        &[("allowed_exit_codes", "0,1")],
    );
    let e = run_once(&node, &job).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert_eq!(e.exit_code, Some(1));
    assert_eq!(
        node.client().job("grep-like").await.unwrap().status,
        "success"
    );

    let job = with(
        shell_job("grep-error", "@manually", "exit 2"),
        &[("allowed_exit_codes", "0,1")],
    );
    let e = run_once(&node, &job).await;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.exit_code, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_executor_configs_are_refused_with_400_naming_the_key() {
    let node = Node::start(&[]).await;
    let post = |job: Job| {
        let url = node.url("/v1/jobs");
        async move { http("POST", &url, Some(&serde_json::to_string(&job).unwrap())).await }
    };
    let shell_cases = [
        ("mem_limit", "plenty"),
        ("mem_limit", "0"),
        ("su", "a:b:c"),
        ("payload", "not base64!"),
        ("allowed_exit_codes", "0,x"),
    ];
    for (key, value) in shell_cases {
        let r = post(with(shell_job("bad", "@manually", "true"), &[(key, value)])).await;
        assert_eq!(r.status, 400, "{key}={value:?}: {}", r.body);
        assert!(
            r.body.contains(&format!("executor_config.{key}: ")),
            "{key}: {}",
            r.body
        );
    }
    let base = [("method", "GET"), ("url", "http://127.0.0.1:9/")];
    let http_cases: [(&str, &[(&str, &str)]); 10] = [
        ("url", &[("method", "GET")]),
        ("url", &[("method", "GET"), ("url", "ftp://host/file")]),
        ("url", &[("method", "GET"), ("url", "not a url")]),
        ("method", &[("url", "http://127.0.0.1:9/")]),
        (
            "method",
            &[("method", "GE T"), ("url", "http://127.0.0.1:9/")],
        ),
        ("timeout", &[base[0], base[1], ("timeout", "30s")]),
        ("expectBody", &[base[0], base[1], ("expectBody", "([")]),
        ("expectCode", &[base[0], base[1], ("expectCode", "ok")]),
        ("headers", &[base[0], base[1], ("headers", "X-A: 1")]),
        (
            "tlsCertificateKeyFile",
            &[base[0], base[1], ("tlsCertificateFile", "/etc/client.pem")],
        ),
    ];
    for (key, pairs) in http_cases {
        let r = post(http_job("bad", pairs)).await;
        assert_eq!(r.status, 400, "{key}: {}", r.body);
        assert!(
            r.body.contains(&format!("executor_config.{key}: ")),
            "{key}: {}",
            r.body
        );
    }
    let mut unknown = http_job("bad", &base);
    unknown.executor = "kafka".into();
    let r = post(unknown).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("available: shell, http"), "{}", r.body);
    // Nothing was saved.
    assert_eq!(
        http("GET", &node.url("/v1/jobs/bad"), None).await.status,
        404
    );
}

// ---------------------------------------------------------------------------------------------
// HTTP executor

fn http_job(name: &str, pairs: &[(&str, &str)]) -> Job {
    Job {
        name: name.into(),
        schedule: "@manually".into(),
        executor: "http".into(),
        executor_config: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Job::default()
    }
}

/// What the test server saw of each request to `/record`: `METHOD|x-token|content-type|body`.
type Seen = Arc<Mutex<Vec<String>>>;

/// The routes every test server answers.
fn routes(seen: Seen) -> Router {
    Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route(
            "/record",
            any(move |method: Method, headers: HeaderMap, body: Bytes| {
                let seen = seen.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-")
                            .to_string()
                    };
                    seen.lock().unwrap().push(format!(
                        "{method}|{}|{}|{}",
                        header("x-token"),
                        header("content-type"),
                        String::from_utf8_lossy(&body)
                    ));
                    (StatusCode::CREATED, "{\"id\":42,\"state\":\"queued\"}")
                }
            }),
        )
        .route(
            "/down",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "maintenance") }),
        )
        .route(
            "/hang",
            get(|| async {
                std::future::pending::<()>().await;
                "never"
            }),
        )
}

/// A plain HTTP server on loopback: its base URL and what it saw.
async fn http_server() -> (String, Seen) {
    let seen = Seen::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = routes(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_job_sends_its_request_and_keeps_the_response() {
    let node = Node::start(&[]).await;
    let (base, seen) = http_server().await;
    let url = format!("{base}/record");
    let job = http_job(
        "post",
        &[
            ("method", "POST"),
            ("url", &url),
            (
                "headers",
                r#"["Content-Type: application/json", "X-Token: s3cr:et"]"#,
            ),
            ("body", r#"{"run":true}"#),
            ("timeout", "10"),
            ("expectCode", "200,201"),
            ("expectBody", r#""state":"(queued|done)""#),
        ],
    );
    let e = run_once(&node, &job).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert!(e.success);
    assert_eq!(e.exit_code, None);
    assert_eq!(
        e.output,
        "HTTP/1.1 201 Created\n{\"id\":42,\"state\":\"queued\"}"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        vec![r#"POST|s3cr:et|application/json|{"run":true}"#.to_string()]
    );
    // Scheduled runs go through the same executor.
    let ticking = http_job(
        "ticking",
        &[("method", "GET"), ("url", &format!("{base}/hello"))],
    );
    let ticking = Job {
        schedule: "@every 1s".into(),
        ..ticking
    };
    node.client().put_job(&ticking).await.unwrap();
    let ex = node
        .wait_finished("ticking", 2, Duration::from_secs(15))
        .await;
    for e in ex.iter().filter(|e| !e.is_running()) {
        assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
        assert_eq!(e.output, "HTTP/1.1 200 OK\nhello");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_job_fails_on_unexpected_status_body_or_timeout() {
    let node = Node::start(&[]).await;
    let (base, _) = http_server().await;
    let get = |name: &str, path: &str, more: &[(&str, &str)]| {
        let url = format!("{base}{path}");
        let mut pairs = vec![("method", "GET"), ("url", url.as_str())];
        pairs.extend_from_slice(more);
        http_job(name, &pairs)
    };

    // Without expectCode any status is a success, as in Dkron.
    let e = run_once(&node, &get("any-status", "/down", &[])).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert_eq!(e.output, "HTTP/1.1 503 Service Unavailable\nmaintenance");

    let e = run_once(&node, &get("want-200", "/down", &[("expectCode", "200")])).await;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(
        e.output,
        "HTTP/1.1 503 Service Unavailable\nmaintenance\n\
         [belfry] status 503 is not the expected 200 (expectCode)"
    );

    let e = run_once(
        &node,
        &get("want-body", "/hello", &[("expectBody", "^bye")]),
    )
    .await;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(
        e.output,
        "HTTP/1.1 200 OK\nhello\n[belfry] the response body does not match expectBody \"^bye\""
    );

    let started = std::time::Instant::now();
    let e = run_once(&node, &get("slow", "/hang", &[("timeout", "1")])).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert_eq!(e.output, "[belfry] timed out after 1s");
    assert!(e.finished_at - e.started_at >= chrono::Duration::seconds(1));

    // Nothing listens on a port that was just free.
    let port = free_port();
    let e = run_once(
        &node,
        &http_job(
            "refused",
            &[
                ("method", "GET"),
                ("url", &format!("http://127.0.0.1:{port}/")),
            ],
        ),
    )
    .await;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert!(
        e.output.starts_with("[belfry] request failed: "),
        "{}",
        e.output
    );
    assert_eq!(node.client().job("slow").await.unwrap().error_count, 1);
}

/// A test CA and what it signed, written as PEM files for the jobs to use.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
    server_cert: CertificateDer<'static>,
    server_key: Vec<u8>,
}

impl Pki {
    /// A CA, a server certificate for 127.0.0.1 and a client certificate, both signed by it.
    fn new() -> Pki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "belfry test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

        let server_key = KeyPair::generate().unwrap();
        let mut server = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = server.signed_by(&server_key, &ca).unwrap();

        let client_key = KeyPair::generate().unwrap();
        let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
        client
            .distinguished_name
            .push(DnType::CommonName, "belfry agent");
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_cert = client.signed_by(&client_key, &ca).unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path().join("client.pem"), client_cert.pem()).unwrap();
        std::fs::write(
            dir.path().join("client-key.pem"),
            client_key.serialize_pem(),
        )
        .unwrap();
        Pki {
            dir,
            ca,
            server_cert: server_cert.der().clone(),
            server_key: server_key.serialize_der(),
        }
    }

    fn path(&self, file: &str) -> String {
        let path: PathBuf = self.dir.path().join(file);
        path.to_str().unwrap().to_string()
    }

    /// An HTTPS server with the server certificate; with `require_client_cert`, only clients
    /// presenting a certificate signed by the CA complete the handshake. Returns its base URL
    /// and a count of refused handshakes.
    async fn https_server(&self, require_client_cert: bool) -> (String, Arc<AtomicUsize>) {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if require_client_cert {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca.der().clone()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
        let mut config = builder
            .with_single_cert(vec![self.server_cert.clone()], key)
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];

        let listener = TlsListener {
            tcp: TcpListener::bind("127.0.0.1:0").await.unwrap(),
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            refused: Arc::default(),
        };
        let addr = listener.tcp.local_addr().unwrap();
        let refused = listener.refused.clone();
        let app = routes(Seen::default());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("https://{addr}"), refused)
    }
}

/// TLS over a TCP listener, for `axum::serve`. Handshakes that fail are counted and dropped.
struct TlsListener {
    tcp: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    refused: Arc<AtomicUsize>,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            match self.acceptor.accept(tcp).await {
                Ok(tls) => return (tls, addr),
                Err(_) => {
                    self.refused.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_job_trusts_only_what_it_is_told_to() {
    let node = Node::start(&[]).await;
    let pki = Pki::new();
    let (base, _) = pki.https_server(false).await;
    let url = format!("{base}/hello");
    let get = |name: &str, more: &[(&str, &str)]| {
        let mut pairs = vec![("method", "GET"), ("url", url.as_str())];
        pairs.extend_from_slice(more);
        http_job(name, &pairs)
    };

    // The test CA is in no system store: the certificate is refused, and the output says why.
    let e = run_once(&node, &get("untrusted", &[])).await;
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    assert!(
        e.output.starts_with("[belfry] request failed: "),
        "{}",
        e.output
    );
    assert!(
        e.output.contains("invalid peer certificate: UnknownIssuer"),
        "{}",
        e.output
    );

    let e = run_once(&node, &get("no-verify", &[("tlsNoVerifyPeer", "true")])).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert_eq!(e.output, "HTTP/1.1 200 OK\nhello");

    let ca = pki.path("ca.pem");
    let e = run_once(&node, &get("own-ca", &[("tlsRootCAsFile", &ca)])).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert_eq!(e.output, "HTTP/1.1 200 OK\nhello");

    // A CA file that trusts something else: refused again.
    let other = Pki::new();
    let other_ca = other.path("ca.pem");
    let e = run_once(&node, &get("other-ca", &[("tlsRootCAsFile", &other_ca)])).await;
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    assert!(
        e.output.contains("invalid peer certificate"),
        "{}",
        e.output
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_job_presents_its_client_certificate_for_mutual_tls() {
    let node = Node::start(&[]).await;
    let pki = Pki::new();
    let (base, refused) = pki.https_server(true).await;
    let url = format!("{base}/hello");
    let ca = pki.path("ca.pem");
    let get = |name: &str, more: &[(&str, &str)]| {
        let mut pairs = vec![
            ("method", "GET"),
            ("url", url.as_str()),
            ("tlsRootCAsFile", ca.as_str()),
        ];
        pairs.extend_from_slice(more);
        http_job(name, &pairs)
    };

    // Without a client certificate the server ends the handshake. What the client sees depends
    // on timing (the server's alert, or a connection closed under its request), so the server
    // is asked.
    let e = run_once(&node, &get("anonymous", &[])).await;
    assert_eq!(e.status, ExecutionStatus::Failed, "{e:?}");
    assert!(
        e.output.starts_with("[belfry] request failed: "),
        "{}",
        e.output
    );
    wait_for(
        "the server to count the refusal",
        Duration::from_secs(5),
        || {
            let n = refused.load(Ordering::SeqCst);
            async move { (n >= 1).then_some(()) }
        },
    )
    .await;

    let (cert, key) = (pki.path("client.pem"), pki.path("client-key.pem"));
    let e = run_once(
        &node,
        &get(
            "mutual",
            &[
                ("tlsCertificateFile", &cert),
                ("tlsCertificateKeyFile", &key),
            ],
        ),
    )
    .await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert_eq!(e.output, "HTTP/1.1 200 OK\nhello");

    // A certificate file the agent cannot read fails the run, naming the key.
    let e = run_once(
        &node,
        &get(
            "missing-cert",
            &[
                ("tlsCertificateFile", "/nonexistent/client.pem"),
                ("tlsCertificateKeyFile", &key),
            ],
        ),
    )
    .await;
    assert_eq!(e.status, ExecutionStatus::Failed);
    assert!(
        e.output.starts_with(
            "[belfry] failed to start: tlsCertificateFile: cannot read /nonexistent/client.pem: "
        ),
        "{}",
        e.output
    );
}

/// The cluster key and the mail password given to an agent through its environment reach
/// neither a job's environment (so `env` in a job cannot publish them in stored output) nor
/// the node's log, even at debug level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_secrets_never_reach_a_jobs_environment_or_the_log() {
    let key = "c2VjcmV0LWNsdXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc=";
    let password = "hunter2-mail-password";
    let node = Node::start_with_env(
        &[],
        &[
            ("BELFRY_LOG", "debug"),
            ("BELFRY_ENCRYPT", key),
            ("BELFRY_MAIL_HOST", "127.0.0.1"),
            ("BELFRY_MAIL_PASSWORD", password),
            ("BELFRY_MAIL_USERNAME", "someone"),
            ("BELFRY_MAIL_FROM", "belfry@example.com"),
        ],
    )
    .await;
    let client = node.client();
    client
        .put_job(&shell_job("printenv", "@manually", "env; echo done"))
        .await
        .unwrap();
    client.run_job("printenv").await.unwrap();
    let ex = node
        .wait_finished("printenv", 1, Duration::from_secs(30))
        .await;
    let output = &ex[0].output;
    assert!(output.contains("BELFRY_JOB_NAME=printenv"), "{output}");
    assert!(output.contains("done"), "{output}");
    for secret in [key, password] {
        assert!(
            !output.contains(secret),
            "job output holds {secret}: {output}"
        );
        assert!(!node.log().contains(secret), "log holds {secret}");
    }
    assert!(!output.contains("BELFRY_ENCRYPT") && !output.contains("BELFRY_MAIL_PASSWORD"));
}

/// This test process's nice value (a node started by it inherits it).
fn own_nice() -> i32 {
    belfry::telemetry::procfs::stat(std::process::id())
        .unwrap()
        .nice
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_run_at_job_nice_and_job_nice_0_leaves_the_priority_alone() {
    // Field 19 of /proc/self/stat is the nice value of the job's own process.
    let job = shell_job("nice", "@manually", "cut -d' ' -f19 /proc/self/stat");
    let base = own_nice();

    let node = Node::start(&[]).await;
    let e = run_once(&node, &job).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    // The default is 10; a node already nicer than that keeps its own value.
    assert_eq!(e.output.trim(), base.max(10).to_string(), "{e:?}");
    drop(node);

    let node = Node::start(&["--job-nice", "15"]).await;
    let e = run_once(&node, &job).await;
    assert_eq!(e.output.trim(), base.max(15).to_string(), "{e:?}");
    drop(node);

    let node = Node::start(&["--job-nice", "0"]).await;
    let e = run_once(&node, &job).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert_eq!(e.output.trim(), base.to_string(), "{e:?}");
}

/// (thread name, nice value) of every thread of a live process.
fn threads_of(pid: u32) -> Vec<(String, i32)> {
    let mut threads = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let dir = entry.unwrap().path();
        let (Ok(comm), Ok(stat)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("stat")),
        ) else {
            continue; // the thread exited meanwhile
        };
        // Field 19 is the nice value; fields are counted after the `(comm)` field.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let nice = after.split(' ').nth(16).unwrap().parse().unwrap();
        threads.push((comm.trim().to_string(), nice));
    }
    threads
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_processes_start_from_niced_threads_and_bookkeeping_keeps_the_nodes_priority() {
    let base = own_nice();
    let node = Node::start(&["--max-parallel", "3"]).await;
    // The job's process is at --job-nice (10) from its first instruction: it reads its own.
    let job = shell_job("one", "@manually", "cut -d' ' -f19 /proc/self/stat");
    let e = run_once(&node, &job).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert_eq!(e.output.trim(), base.max(10).to_string(), "{e:?}");
    let threads = threads_of(node.pid());
    // It inherited that from a starting thread: one per execution slot.
    let starters: Vec<_> = threads
        .iter()
        .filter(|(n, _)| n == "belfry-spawn")
        .collect();
    assert_eq!(
        starters.len(),
        3,
        "one starting thread per slot: {threads:?}"
    );
    assert!(
        starters.iter().all(|(_, nice)| *nice == base.max(10)),
        "starting threads run at --job-nice: {threads:?}"
    );
    assert!(
        threads.iter().any(|(n, _)| n == "belfry-jobs"),
        "job bookkeeping has threads of its own: {threads:?}"
    );
    // Everything else keeps the node's priority: niced, job bookkeeping waited behind the busy
    // control plane at every step, and nodes ran a third of the launches a second.
    assert!(
        threads
            .iter()
            .filter(|(n, _)| n != "belfry-spawn")
            .all(|(_, nice)| *nice == base),
        "every other thread keeps the node's priority: {threads:?}"
    );
}

/// A cgroup this test may put processes in, removed (once empty) when dropped; `None` where
/// the host gives none (not root, or no writable cgroup filesystem).
struct TestCgroup(PathBuf);

impl TestCgroup {
    fn make() -> Option<TestCgroup> {
        let name = format!("belfry-test-{}", std::process::id());
        // A cgroup v1 cpu hierarchy, else the cgroup v2 root.
        for root in [
            "/sys/fs/cgroup/cpu",
            "/sys/fs/cgroup/cpu,cpuacct",
            "/sys/fs/cgroup",
        ] {
            let dir = PathBuf::from(root).join(&name);
            if std::fs::create_dir(&dir).is_ok() {
                if dir.join("cgroup.procs").is_file() {
                    return Some(TestCgroup(dir));
                }
                let _ = std::fs::remove_dir(&dir);
            }
        }
        None
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_join_the_cgroup_job_cgroup_names_and_off_leaves_them_with_the_node() {
    let job = shell_job("cgroup", "@manually", "cat /proc/self/cgroup");
    let (code, _, err) = cli(&["agent", "--server", "--job-cgroup", "/tmp"], &[], None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("job-cgroup: /tmp is not a cgroup directory (it has no cgroup.procs)"),
        "{err}"
    );
    let (code, _, err) = cli(&["agent", "--server", "--job-cgroup", "jobs"], &[], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("job-cgroup"), "{err}");

    let Some(cgroup) = TestCgroup::make() else {
        eprintln!(
            "notice: no cgroup can be made here (not root, or no writable cgroup fs): the --job-cgroup PATH part is skipped"
        );
        return;
    };
    let name = cgroup.0.file_name().unwrap().to_str().unwrap().to_string();
    let node = Node::start(&["--job-cgroup", cgroup.0.to_str().unwrap()]).await;
    let e = run_once(&node, &job).await;
    assert!(e.output.contains(&format!("/{name}\n")), "{e:?}");
    drop(node);

    let node = Node::start(&["--job-cgroup", "off"]).await;
    let e = run_once(&node, &job).await;
    assert_eq!(e.status, ExecutionStatus::Success, "{e:?}");
    assert!(
        !e.output.contains(&name) && !e.output.contains("belfry-jobs"),
        "{e:?}"
    );
    drop(node);

    // `auto` (the default) either says which cgroup jobs run in and puts them there, or says
    // why they stay in the node's.
    let node = Node::start(&[]).await;
    let e = run_once(&node, &job).await;
    let log = node.log();
    if log.contains("job processes run in cgroup") {
        assert!(e.output.contains("/belfry-jobs\n"), "{e:?}\n{log}");
    } else {
        assert!(
            log.contains("job processes stay in the node's cgroup"),
            "{log}"
        );
        assert!(!e.output.contains("belfry-jobs"), "{e:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_parallel_queues_launches_late_never_lost_and_shows_the_backlog() {
    let node = Node::start(&["--max-parallel", "2"]).await;
    let names: Vec<String> = (0..6).map(|i| format!("slot-{i}")).collect();
    for name in &names {
        node.client()
            .put_job(&shell_job(name, "@manually", "sleep 2"))
            .await
            .unwrap();
    }
    // All six launched at once: a manual run's request answers when the run has finished, so
    // the requests are left in flight.
    let requests: Vec<_> = names
        .iter()
        .map(|name| {
            let (client, name) = (node.client(), name.clone());
            tokio::spawn(async move { client.run_job(&name).await })
        })
        .collect();

    // While four wait, the backlog shows in /metrics and in health, with a warning.
    let seen = wait_for(
        "a launch backlog in /metrics",
        Duration::from_secs(30),
        || {
            let node = &node;
            async move {
                let samples = scrape(node).await;
                let backlog = sample(&samples, "belfry_launch_backlog", &[])?;
                (backlog > 0.0).then_some(backlog)
            }
        },
    )
    .await;
    assert!(seen <= 4.0, "{seen}");
    let health = wait_for(
        "a launch backlog in health",
        Duration::from_secs(30),
        || {
            let client = node.client();
            async move {
                let h = client.cluster_health().await.ok()?;
                (!h.launch_backlog.is_empty()).then_some(h)
            }
        },
    )
    .await;
    let waiting = health.launch_backlog["node-a"];
    assert!((1..=4).contains(&waiting), "{health:?}");
    assert!(
        health
            .warnings
            .iter()
            .any(|w| w.starts_with("node node-a: ") && w.contains("launches waiting for a slot")),
        "{health:?}"
    );

    let mut runs = Vec::new();
    for name in &names {
        let ex = node.wait_finished(name, 1, Duration::from_secs(120)).await;
        assert_eq!(ex.len(), 1, "{name} ran more than once: {ex:?}");
        assert_eq!(ex[0].status, ExecutionStatus::Success, "{ex:?}");
        runs.push((ex[0].started_at, ex[0].finished_at));
    }
    // Never more than 2 processes at once: at each start, count the runs under way.
    for (start, _) in &runs {
        let overlapping = runs.iter().filter(|(s, f)| s <= start && start < f).count();
        assert!(
            overlapping <= 2,
            "{overlapping} at once at {start}: {runs:?}"
        );
    }
    for request in requests {
        let _ = request.await;
    }
    let samples = scrape(&node).await;
    assert_eq!(sample(&samples, "belfry_launch_backlog", &[]), Some(0.0));
    assert_eq!(
        sample(&samples, "belfry_launches_delayed_total", &[]),
        Some(4.0)
    );
    let health = node.client().cluster_health().await.unwrap();
    assert!(health.launch_backlog.is_empty(), "{health:?}");
    assert!(
        node.log()
            .contains("launches waiting for an execution slot (--max-parallel 2)"),
        "{}",
        node.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_launch_backlog_reaches_the_leaders_health_through_gossip() {
    let server = Node::start(&[]).await;
    let agent = Node::spawn_agent(
        "agent-1",
        &[
            "--join",
            &server.gossip_addr(),
            "--tag",
            "pool=slow",
            "--max-parallel",
            "1",
        ],
    );
    let client = server.client();
    wait_for("the agent to join", Duration::from_secs(30), || {
        let client = client.clone();
        async move {
            let m = client.members().await.ok()?;
            (m.iter().filter(|m| m.status == 1).count() == 2).then_some(())
        }
    })
    .await;
    let names: Vec<String> = (0..3).map(|i| format!("slow-{i}")).collect();
    for name in &names {
        let mut job = shell_job(name, "@manually", "sleep 3");
        job.tags = [("pool".to_string(), "slow".to_string())].into();
        client.put_job(&job).await.unwrap();
    }
    let requests: Vec<_> = names
        .iter()
        .map(|name| {
            let (client, name) = (client.clone(), name.clone());
            tokio::spawn(async move { client.run_job(&name).await })
        })
        .collect();
    // The server itself has no backlog: what it reports is the agent's, from gossip.
    let health = wait_for(
        "the agent's backlog in health",
        Duration::from_secs(30),
        || {
            let client = client.clone();
            async move {
                let h = client.cluster_health().await.ok()?;
                h.launch_backlog.contains_key("agent-1").then_some(h)
            }
        },
    )
    .await;
    assert!(
        (1..=2).contains(&health.launch_backlog["agent-1"]),
        "{health:?}"
    );
    assert!(!health.launch_backlog.contains_key("node-a"), "{health:?}");
    assert!(
        health
            .warnings
            .iter()
            .any(|w| w.starts_with("node agent-1: ") && w.contains("waiting for a slot")),
        "{health:?}"
    );
    for name in &names {
        let ex = server
            .wait_finished(name, 1, Duration::from_secs(120))
            .await;
        assert_eq!(ex.len(), 1, "{ex:?}");
        assert_eq!(ex[0].node_name, "agent-1");
    }
    for request in requests {
        let _ = request.await;
    }
    wait_for(
        "the backlog to clear in health",
        Duration::from_secs(30),
        || {
            let client = client.clone();
            async move {
                let h = client.cluster_health().await.ok()?;
                h.launch_backlog.is_empty().then_some(())
            }
        },
    )
    .await;
    drop(agent);
}
