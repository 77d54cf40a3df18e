//! TLS for the HTTP API with the files `belfry tls` makes: curl, the CLI and the typed client
//! `top` uses all connect; a wrong CA and a missing client certificate are refused; the
//! certificate is replaced without a restart (SIGHUP, and a change of the files).

use std::path::{Path, PathBuf};
use std::time::Duration;

use belfry::client::{Client, ClientTls};

use crate::support::*;

/// A CA with a server and a client certificate, made by the real CLI in `dir`.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn make(dir: &Path) -> Pki {
        let d = dir.to_str().unwrap();
        let ca = format!("{d}/belfry-agent-ca.pem");
        let ca_key = format!("{d}/belfry-agent-ca-key.pem");
        let signed = ["--out-dir", d, "--ca", &ca, "--ca-key", &ca_key];
        for args in [
            vec!["tls", "ca", "create", "--out-dir", d],
            [&["tls", "cert", "create", "--server"][..], &signed].concat(),
            [&["tls", "cert", "create", "--client"][..], &signed].concat(),
        ] {
            let (code, out, err) = cli(&args, &[], None);
            assert_eq!(code, 0, "{args:?}: {out}{err}");
        }
        Pki { dir: dir.into() }
    }
    fn ca(&self) -> String {
        self.path("belfry-agent-ca.pem")
    }
    fn server_cert(&self) -> String {
        self.path("global-server-belfry-0.pem")
    }
    fn server_key(&self) -> String {
        self.path("global-server-belfry-0-key.pem")
    }
    fn client_cert(&self) -> String {
        self.path("global-client-belfry-0.pem")
    }
    fn client_key(&self) -> String {
        self.path("global-client-belfry-0-key.pem")
    }
    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

fn https(node: &Node) -> String {
    format!("https://127.0.0.1:{}", node.http_port)
}

/// `curl --cacert CA [--cert C --key K] https://…/health`: (exit code, stdout).
fn curl(url: &str, ca: &str, client: Option<(&str, &str)>) -> (i32, String) {
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-sS", "--max-time", "10", "--cacert", ca]);
    if let Some((cert, key)) = client {
        cmd.args(["--cert", cert, "--key", key]);
    }
    let out = cmd.arg(url).output().expect("curl is installed");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Starts a one-server cluster on TLS and waits until it leads (checked over TLS).
async fn start_tls(extra: &[&str], tls: &ClientTls) -> Node {
    let node = Node::spawn_named("node-a", true, extra);
    let client = Client::new_with_tls(&https(&node), tls).unwrap();
    wait_for("the TLS node to lead", Duration::from_secs(40), || {
        let client = client.clone();
        async move {
            client
                .health()
                .await
                .ok()
                .filter(|h| h.leader == Some(true))
                .map(|_| ())
        }
    })
    .await;
    node
}

fn trusting(ca: &str) -> ClientTls {
    ClientTls {
        ca: Some(ca.into()),
        ..ClientTls::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_from_belfry_tls_works_for_curl_the_cli_and_tops_client() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::make(&tmp.path().join("a"));
    let other = Pki::make(&tmp.path().join("b"));
    // Keys are private to their owner; nothing is replaced without --force.
    let mode = |p: &str| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(p).unwrap().permissions())
            & 0o777
    };
    assert_eq!(mode(&pki.server_key()), 0o600);
    assert_eq!(mode(&pki.path("belfry-agent-ca-key.pem")), 0o600);
    let (code, _, err) = cli(
        &[
            "tls",
            "ca",
            "create",
            "--out-dir",
            pki.dir.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("--force"), "{err}");

    let node = start_tls(
        &[
            "--tls-cert",
            &pki.server_cert(),
            "--tls-key",
            &pki.server_key(),
        ],
        &trusting(&pki.ca()),
    )
    .await;
    let url = format!("{}/health", https(&node));
    let (code, out) = curl(&url, &pki.ca(), None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("healthy"), "{out}");
    // Another cluster's CA does not vouch for this node.
    let (code, _) = curl(&url, &other.ca(), None);
    assert_ne!(code, 0);

    let addr = https(&node);
    let (code, out, err) = cli(
        &[
            "--http-addr",
            &addr,
            "--ca",
            &pki.ca(),
            "jobs",
            "list",
            "--json",
        ],
        &[],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "[]");
    let (code, _, err) = cli(
        &["jobs", "list"],
        &[("BELFRY_HTTP_ADDR", &addr), ("BELFRY_CACERT", &other.ca())],
        None,
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot reach"), "{err}");

    // The dashboard's client: the same typed client, with the same settings.
    let top = Client::new_with_tls(&addr, &trusting(&pki.ca())).unwrap();
    assert_eq!(top.health().await.unwrap().leader, Some(true));
    let status = top.for_addr(&node.addr()).unwrap();
    assert!(status.base().starts_with("https://"), "{}", status.base());
    assert!(status.health().await.is_ok());
    let wrong = Client::new_with_tls(&addr, &trusting(&other.ca())).unwrap();
    assert!(wrong.health().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_required_with_tls_client_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::make(tmp.path());
    let with_cert = ClientTls {
        ca: Some(pki.ca().into()),
        client_cert: Some(pki.client_cert().into()),
        client_key: Some(pki.client_key().into()),
    };
    let node = start_tls(
        &[
            "--tls-cert",
            &pki.server_cert(),
            "--tls-key",
            &pki.server_key(),
            "--tls-client-ca",
            &pki.ca(),
        ],
        &with_cert,
    )
    .await;
    let url = format!("{}/health", https(&node));
    let (code, _) = curl(&url, &pki.ca(), None);
    assert_ne!(code, 0, "no client certificate, no answer");
    let (code, out) = curl(
        &url,
        &pki.ca(),
        Some((&pki.client_cert(), &pki.client_key())),
    );
    assert_eq!(code, 0, "{out}");
    let addr = https(&node);
    let (code, _, _) = cli(
        &["--http-addr", &addr, "--ca", &pki.ca(), "jobs", "list"],
        &[],
        None,
    );
    assert_eq!(code, 1);
    let (code, out, err) = cli(
        &["--http-addr", &addr, "jobs", "list"],
        &[
            ("BELFRY_CACERT", &pki.ca()),
            ("BELFRY_CLIENT_CERT", &pki.client_cert()),
            ("BELFRY_CLIENT_KEY", &pki.client_key()),
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    // `config check` and the resolved config say client-certificate TLS is on.
    let cfg = tmp.path().join("c.yml");
    std::fs::write(
        &cfg,
        format!(
            "tls-cert: {}\ntls-key: {}\ntls-client-ca: {}\n",
            pki.server_cert(),
            pki.server_key(),
            pki.ca()
        ),
    )
    .unwrap();
    let (code, out, err) = cli(&["config", "check", cfg.to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&pki.ca()), "{out}");
}

/// Replaces the server's files with a certificate of another CA, as a renewal would.
fn replace_server_files(from: &Pki, to_cert: &str, to_key: &str) {
    let tmp_cert = format!("{to_cert}.new");
    let tmp_key = format!("{to_key}.new");
    std::fs::copy(from.server_cert(), &tmp_cert).unwrap();
    std::fs::copy(from.server_key(), &tmp_key).unwrap();
    std::fs::rename(&tmp_key, to_key).unwrap();
    std::fs::rename(&tmp_cert, to_cert).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_without_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let first = Pki::make(&tmp.path().join("first"));
    let second = Pki::make(&tmp.path().join("second"));
    let third = Pki::make(&tmp.path().join("third"));
    // The node reads copies, which the test replaces.
    let cert = tmp.path().join("server.pem").display().to_string();
    let key = tmp.path().join("server-key.pem").display().to_string();
    std::fs::copy(first.server_cert(), &cert).unwrap();
    std::fs::copy(first.server_key(), &key).unwrap();
    let node = start_tls(
        &["--tls-cert", &cert, "--tls-key", &key],
        &trusting(&first.ca()),
    )
    .await;
    let url = format!("{}/health", https(&node));
    let served_by = |pki: &Pki| curl(&url, &pki.ca(), None).0 == 0;
    assert!(served_by(&first));

    // A file change alone: the node notices within a few seconds.
    replace_server_files(&second, &cert, &key);
    wait_for(
        "the second certificate to be served",
        Duration::from_secs(30),
        || {
            let ok = served_by(&second);
            async move { ok.then_some(()) }
        },
    )
    .await;
    assert!(!served_by(&first));
    assert!(
        node.log()
            .contains("TLS certificate reloaded (files changed)")
    );

    // A bad new certificate keeps the old one and says why.
    std::fs::write(&cert, "not a certificate\n").unwrap();
    wait_for(
        "the bad certificate to be noticed",
        Duration::from_secs(30),
        || {
            let seen = node.log().contains("TLS certificate not reloaded");
            async move { seen.then_some(()) }
        },
    )
    .await;
    assert!(served_by(&second), "the old certificate is still served");

    // SIGHUP reloads at once.
    replace_server_files(&third, &cert, &key);
    node.signal(libc::SIGHUP);
    wait_for(
        "the third certificate to be served",
        Duration::from_secs(30),
        || {
            let ok = served_by(&third);
            async move { ok.then_some(()) }
        },
    )
    .await;
    wait_for(
        "the SIGHUP reload in the log",
        Duration::from_secs(10),
        || {
            let seen = node.log().contains("TLS certificate reloaded (SIGHUP)");
            async move { seen.then_some(()) }
        },
    )
    .await;
    // The process is the same one: no restart.
    assert!(node.log().matches("belfry agent running").count() == 1);
}
