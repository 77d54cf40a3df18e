//! Trust between nodes: the internal RPC serves no unauthenticated call (with the default
//! configuration too), refuses replayed and retargeted calls and unauthenticated uploads before
//! reading them, admits no server that cannot prove it holds the cluster key, and cannot be
//! made to fence itself off with a forged term. Each test is an attack from the same host.

use std::time::Duration;

use belfry::node::worker::{DispatchReply, DispatchRequest, FencingToken};
use belfry::transport::rpc::{HelloCall, Peer, RpcCall, Sealer, encode};

use crate::support::*;

fn rpc_url(node: &Node, path: &str) -> String {
    format!("http://127.0.0.1:{}{path}", node.rpc_port)
}

fn key_bytes(key: &str) -> Vec<u8> {
    belfry::config::parse_key(key).unwrap()
}

/// A call sealed with `key`, as a node holding it would send it: (header, body, mac).
fn sealed<R: RpcCall>(key: &str, from: &Peer, to: &Peer, req: &R) -> (String, Vec<u8>, Vec<u8>) {
    Sealer::new(&key_bytes(key)).seal_call("POST", &R::path(), from, to, &encode(req))
}

async fn post(url: &str, header: Option<&str>, body: Vec<u8>) -> (u16, Vec<u8>) {
    let mut req = reqwest::Client::new().post(url).body(body);
    if let Some(h) = header {
        req = req.header("x-belfry-rpc", h);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.bytes().await.unwrap().to_vec())
}

fn forged_dispatch(leader: &str, term: u64, job: &str) -> DispatchRequest {
    let execution = belfry::model::Execution {
        job_name: job.into(),
        id: "forged-1".into(),
        node_name: "node-a".into(),
        started_at: chrono::Utc::now(),
        ..Default::default()
    };
    let job = shell_job(job, "@manually", "touch /tmp/belfry-forged-never");
    DispatchRequest {
        token: FencingToken { term, index: 1 },
        leader: leader.into(),
        assignments: vec![belfry::node::worker::Assignment { job, execution }],
        sent_at: None,
        sent_mono_ms: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_default_config_a_keyless_dispatch_is_refused_and_the_key_is_kept() {
    let mut node = Node::start_keyless("node-a").await;
    let marker = node.dir.path().join("ran");
    let job = shell_job("evil", "@manually", &format!("touch {}", marker.display()));
    let mut request = forged_dispatch("node-a", 1, "evil");
    request.assignments[0].job = job;
    // The old unauthenticated route, and the typed one without credentials.
    let body = encode(&request);
    let (status, _) = post(&rpc_url(&node, "/rpc/v1/dispatch"), None, body.clone()).await;
    assert!(
        !(200..300).contains(&status),
        "v1 dispatch answered {status}"
    );
    let (status, reply) = post(&rpc_url(&node, "/rpc/v2/dispatch"), None, body).await;
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(&reply));
    // The node generated its key, keeps it 0600, says how to read it and never logs it.
    let key_file = node.data_dir().join("cluster-key");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let data_dir = format!("--data-dir={}", node.data_dir().display());
    let (code, out, err) = cli(&["cluster-key", &data_dir], &[], None);
    assert_eq!(code, 0, "{err}");
    let key = out.trim().to_string();
    assert_eq!(key_bytes(&key).len(), 32);
    let log = std::fs::read_to_string(node.log_path()).unwrap();
    assert!(log.contains("belfry cluster-key --data-dir"), "{log}");
    assert!(!log.contains(&key), "the key must not reach the log");
    // With the key, the same node answers: the generated key is the cluster's.
    let me = Peer::named("test");
    let (h, b, _) = sealed(&key, &me, &Peer::anyone(), &HelloCall {});
    assert_eq!(
        post(&rpc_url(&node, "/rpc/v2/hello"), Some(&h), b).await.0,
        200
    );
    // Restarted, it keeps using the stored key.
    node.kill9();
    node.spawn();
    node.wait_leader().await;
    let (h, b, _) = sealed(&key, &me, &Peer::anyone(), &HelloCall {});
    assert_eq!(
        post(&rpc_url(&node, "/rpc/v2/hello"), Some(&h), b).await.0,
        200
    );
    assert!(!marker.exists(), "the forged launch must never run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_retargeted_calls_are_refused() {
    let a = Node::start(&[]).await;
    let b = Node::spawn_named("node-b", true, &[]);
    b.wait_leader().await;
    let me = Peer::named("node-a");
    // A captured call to node-a, played again.
    let (h, body, _) = sealed(TEST_KEY, &me, &Peer::named("node-a"), &HelloCall {});
    let url = rpc_url(&a, "/rpc/v2/hello");
    assert_eq!(post(&url, Some(&h), body.clone()).await.0, 200);
    let (status, reply) = post(&url, Some(&h), body).await;
    assert_eq!(status, 401);
    assert!(String::from_utf8_lossy(&reply).contains("replay"));
    // A dispatch for node-a, sent to node-b instead.
    let request = forged_dispatch("node-a", 1, "j");
    let (h, body, _) = sealed(TEST_KEY, &me, &Peer::named("node-a"), &request);
    let (status, reply) = post(&rpc_url(&b, "/rpc/v2/dispatch"), Some(&h), body).await;
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&reply));
    assert!(String::from_utf8_lossy(&reply).contains("another node"));
    // A call whose header is altered (another target) no longer verifies.
    let (h, body, _) = sealed(TEST_KEY, &me, &Peer::named("node-a"), &request);
    let altered = h.replacen(&hex("node-a"), &hex("node-b"), 1);
    let (status, _) = post(&rpc_url(&b, "/rpc/v2/dispatch"), Some(&altered), body).await;
    assert_eq!(status, 401);
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn rss_kib(pid: u32) -> u64 {
    belfry::telemetry::procfs::status(pid)
        .unwrap()
        .rss_kib
        .unwrap()
}

/// Streams an unsigned 200 MB upload; returns how many bytes the node took before it cut the
/// connection.
async fn unsigned_upload(port: u16, forged_header: bool) -> u64 {
    use tokio::io::AsyncWriteExt;
    const SIZE: u64 = 200 * 1024 * 1024;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let auth = if forged_header {
        "x-belfry-rpc: v2:1:61:0:6e6f64652d61:0:00:00\r\n"
    } else {
        ""
    };
    let head = format!(
        "POST /rpc/v2/raft-append HTTP/1.1\r\nhost: x\r\n{auth}content-length: {SIZE}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![0u8; 1 << 20];
    let mut sent = 0u64;
    while sent < SIZE {
        match tokio::time::timeout(Duration::from_secs(10), s.write_all(&chunk)).await {
            Ok(Ok(())) => sent += chunk.len() as u64,
            _ => break,
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_uploads_are_cut_off_before_they_cost_memory() {
    let node = Node::start(&[]).await;
    let before = rss_kib(node.pid());
    let uploads = (0..4).map(|i| tokio::spawn(unsigned_upload(node.rpc_port, i % 2 == 0)));
    for upload in uploads {
        let sent = upload.await.unwrap();
        assert!(
            sent < 64 << 20,
            "the node read {sent} bytes of an unsigned body"
        );
    }
    let after = rss_kib(node.pid());
    assert!(
        after < before + 40 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    node.client().health().await.unwrap();
    let metrics = reqwest::get(node.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refused: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("belfry_rpc_refused_total "))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(refused >= 4.0, "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_the_key_never_joins_and_is_told_which_flag_it_needs() {
    let leader = Node::start_keyless("node-a").await;
    let data_dir = format!("--data-dir={}", leader.data_dir().display());
    let (_, key, _) = cli(&["cluster-key", &data_dir], &[], None);
    let key = key.trim().to_string();
    // A server started without the key does not start at all.
    let rogue = Node::prepare("rogue", false, &[]);
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "agent".to_string(),
        "--server".into(),
        format!("--join={}", leader.gossip_addr()),
        format!("--data-dir={}", dir.path().join("data").display()),
        format!("--http-addr=127.0.0.1:{}", rogue.http_port),
        format!("--rpc-port={}", rogue.rpc_port),
        format!("--bind=127.0.0.1:{}", rogue.gossip_port),
        "--node-name=rogue".into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = cli(&args, &[], None);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("--encrypt") && err.contains("BELFRY_ENCRYPT"),
        "{err}"
    );
    // A process that speaks gossip without the key, announcing itself as a server.
    let meta = belfry::cluster::membership::NodeMeta {
        name: "gossip-rogue".into(),
        gossip_addr: format!("127.0.0.1:{}", free_port()).parse().unwrap(),
        rpc_addr: format!("127.0.0.1:{}", free_port()).parse().unwrap(),
        http_addr: format!("127.0.0.1:{}", free_port()).parse().unwrap(),
        role: belfry::cluster::membership::Role::Server,
        region: "global".into(),
        datacenter: "dc1".into(),
        tags: Default::default(),
        version: "0.1.0".into(),
        protocol_min: 1,
        protocol_max: 1,
        bootstrap_expect: 0,
    };
    let bind = meta.gossip_addr;
    let gossip_rogue = belfry::cluster::membership::Membership::start(
        belfry::cluster::membership::MembershipConfig::new(meta, bind),
    )
    .await
    .unwrap();
    let seed = leader.gossip_addr().parse().unwrap();
    let _ = gossip_rogue.join(&[seed], Duration::from_secs(2)).await;
    // A real server given the key joins and becomes a voter: the leader has reconciled since.
    let mut good = Node::prepare("node-b", false, &["--join", &leader.gossip_addr()]);
    good.key = Some(key);
    good.spawn();
    let client = leader.client();
    wait_for("node-b to become a voter", Duration::from_secs(60), || {
        let client = client.clone();
        async move {
            let peers = client.raft_peers().await.ok()?;
            peers
                .servers
                .iter()
                .any(|p| p.node == "node-b" && p.voter)
                .then_some(())
        }
    })
    .await;
    let peers = client.raft_peers().await.unwrap();
    let names: Vec<_> = peers.servers.iter().map(|p| p.node.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&"rogue") && !names.contains(&"gossip-rogue"));
    let members = client.members().await.unwrap();
    assert!(members.iter().all(|m| m.name != "gossip-rogue"));
    assert!(
        gossip_rogue
            .members()
            .iter()
            .all(|m| m.meta.name != "node-a")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_loopback_bind_without_a_key_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "agent".to_string(),
        format!("--data-dir={}", dir.path().join("data").display()),
        format!("--http-addr=127.0.0.1:{}", free_port()),
        format!("--rpc-port={}", free_port()),
        format!("--bind=0.0.0.0:{}", free_port()),
        "--advertise=127.0.0.1".into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = cli(&args, &[], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--encrypt"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_term_is_refused_and_real_dispatches_keep_running() {
    let node = Node::start(&[]).await;
    let url = rpc_url(&node, "/rpc/v2/dispatch");
    let to = Peer::named("node-a");
    // A key holder posing as the leader, with the highest term there is.
    let poisoned = forged_dispatch("node-a", u64::MAX, "j");
    let (h, body, mac) = sealed(TEST_KEY, &Peer::named("node-a"), &to, &poisoned);
    let (status, reply) = post(&url, Some(&h), body).await;
    assert_eq!(status, 200);
    let plain = Sealer::new(&key_bytes(TEST_KEY))
        .open_reply(&mac, reply)
        .unwrap();
    let reply: DispatchReply = belfry::transport::rpc::decode(&plain).unwrap();
    let why = reply.refused.expect("the forged term is refused");
    assert!(why.contains("not a leader term"), "{why}");
    assert!(reply.accepted.is_empty());
    // In the name of a node that is no server.
    let forged = forged_dispatch("mallory", 1, "j");
    let (h, body, mac) = sealed(TEST_KEY, &Peer::named("mallory"), &to, &forged);
    let (_, reply) = post(&url, Some(&h), body).await;
    let plain = Sealer::new(&key_bytes(TEST_KEY))
        .open_reply(&mac, reply)
        .unwrap();
    let reply: DispatchReply = belfry::transport::rpc::decode(&plain).unwrap();
    assert!(reply.refused.unwrap().contains("not a server"));
    // Real launches still run.
    let client = node.client();
    client
        .put_job(&shell_job("real", "@every 1s", "true"))
        .await
        .unwrap();
    wait_for("real launches to succeed", Duration::from_secs(30), || {
        let client = client.clone();
        async move {
            let ex = client.executions("real").await.ok()?;
            (ex.iter().filter(|e| e.success).count() >= 2).then_some(())
        }
    })
    .await;
}
