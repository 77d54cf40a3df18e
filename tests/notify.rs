//! Notifications and processors: real webhook receivers and a real SMTP sink on loopback,
//! written here; files, the node's log and a syslog socket for the processors.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use belfry::model::Execution;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::support::*;

/// One HTTP request as the receiver saw it.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    /// Lower-cased names.
    headers: BTreeMap<String, String>,
    body: String,
}

/// An HTTP/1.1 receiver that records every request and answers 200.
struct HookServer {
    port: u16,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl HookServer {
    async fn start() -> HookServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
        let record = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let record = record.clone();
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let method = parts.next().unwrap_or_default().to_string();
                    let path = parts.next().unwrap_or_default().to_string();
                    let mut headers = BTreeMap::new();
                    loop {
                        let mut h = String::new();
                        stream.read_line(&mut h).await.unwrap();
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        let (k, v) = h.split_once(':').unwrap();
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                    let len: usize = headers
                        .get("content-length")
                        .map_or(0, |l| l.parse().unwrap());
                    let mut body = vec![0u8; len];
                    stream.read_exact(&mut body).await.unwrap();
                    record.lock().unwrap().push(Request {
                        method,
                        path,
                        headers,
                        body: String::from_utf8(body).unwrap(),
                    });
                    let _ = stream
                        .get_mut()
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        HookServer { port, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn requests(&self, path: &str) -> Vec<Request> {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|r| r.path == path).cloned().collect()
    }

    async fn wait(&self, path: &str, n: usize) -> Vec<Request> {
        wait_for(
            &format!("{n} requests to {path}"),
            Duration::from_secs(20),
            || async move {
                let r = self.requests(path);
                (r.len() >= n).then_some(r)
            },
        )
        .await
    }
}

/// A message as the SMTP sink received it.
#[derive(Debug, Clone, Default)]
struct Mail {
    helo: String,
    /// Whether the message came over STARTTLS.
    tls: bool,
    /// The decoded AUTH PLAIN token, if the client authenticated.
    auth: Option<String>,
    from: String,
    to: Vec<String>,
    /// Headers and body, dot-stuffing undone, CRLF line ends.
    data: String,
}

impl Mail {
    fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.data.split_once("\r\n\r\n")?;
        head.split("\r\n").find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    fn body(&self) -> String {
        self.data
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// An SMTP server that accepts every message (offering AUTH PLAIN, and STARTTLS when it has
/// a certificate) and records it.
struct SmtpSink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    async fn start(tls: Option<tokio_rustls::TlsAcceptor>) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails: Arc<Mutex<Vec<Mail>>> = Arc::default();
        let record = mails.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let (record, tls) = (record.clone(), tls.clone());
                tokio::spawn(async move {
                    stream
                        .write_all(b"220 sink.test ESMTP ready\r\n")
                        .await
                        .unwrap();
                    let mut io: BufReader<Box<dyn Io>> = BufReader::new(Box::new(stream));
                    let mut mail = Mail::default();
                    loop {
                        match smtp_turn(&mut io, &mut mail, tls.is_some()).await {
                            Turn::Continue => {}
                            Turn::Quit => return,
                            Turn::Message => record.lock().unwrap().push(mail.clone()),
                            Turn::StartTls => {
                                let plain = io.into_inner();
                                let acceptor =
                                    tls.clone().expect("offered only with a certificate");
                                // A client that refuses the certificate ends here.
                                let Ok(secure) = acceptor.accept(plain).await else {
                                    return;
                                };
                                io = BufReader::new(Box::new(secure));
                                mail.tls = true;
                            }
                        }
                    }
                });
            }
        });
        SmtpSink { port, mails }
    }

    async fn wait(&self, n: usize) -> Vec<Mail> {
        wait_for(
            &format!("{n} mails"),
            Duration::from_secs(20),
            || async move {
                let m = self.mails.lock().unwrap().clone();
                (m.len() >= n).then_some(m)
            },
        )
        .await
    }
}

enum Turn {
    Continue,
    Quit,
    Message,
    StartTls,
}

/// Reads one command and answers it.
async fn smtp_turn(io: &mut BufReader<Box<dyn Io>>, mail: &mut Mail, can_tls: bool) -> Turn {
    let mut line = String::new();
    if io.read_line(&mut line).await.unwrap_or(0) == 0 {
        return Turn::Quit;
    }
    let line = line.trim_end();
    let upper = line.to_ascii_uppercase();
    let mut turn = Turn::Continue;
    let reply: &[u8] = if let Some(name) = upper.strip_prefix("EHLO ") {
        mail.helo = name.to_ascii_lowercase();
        if can_tls && !mail.tls {
            b"250-sink.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
        } else {
            b"250-sink.test\r\n250-8BITMIME\r\n250 AUTH LOGIN PLAIN\r\n"
        }
    } else if upper == "STARTTLS" {
        turn = Turn::StartTls;
        b"220 2.0.0 ready to start TLS\r\n"
    } else if upper.starts_with("AUTH PLAIN ") {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD
            .decode(&line["AUTH PLAIN ".len()..])
            .unwrap();
        mail.auth = Some(String::from_utf8(token).unwrap());
        b"235 2.7.0 accepted\r\n"
    } else if upper.starts_with("MAIL FROM:") {
        mail.from = line[10..].trim_matches(['<', '>']).to_string();
        b"250 ok\r\n"
    } else if upper.starts_with("RCPT TO:") {
        mail.to.push(line[8..].trim_matches(['<', '>']).to_string());
        b"250 ok\r\n"
    } else if upper == "DATA" {
        io.write_all(b"354 go ahead\r\n").await.unwrap();
        io.flush().await.unwrap();
        let mut data = String::new();
        loop {
            let mut l = String::new();
            io.read_line(&mut l).await.unwrap();
            if l == ".\r\n" {
                break;
            }
            data.push_str(l.strip_prefix('.').unwrap_or(&l));
        }
        mail.data = data;
        turn = Turn::Message;
        b"250 queued\r\n"
    } else if upper == "QUIT" {
        turn = Turn::Quit;
        b"221 bye\r\n"
    } else {
        b"502 not implemented\r\n"
    };
    let _ = io.write_all(reply).await;
    let _ = io.flush().await;
    turn
}

/// Go's `time.Time.String()` of a UTC time, as the templates print it.
fn go_time(t: chrono::DateTime<chrono::Utc>) -> String {
    belfry::leader::notify::template::go_time(Some(t))
}

async fn run_and_wait(node: &Node, job: &str, n: usize) -> Vec<Execution> {
    node.client().run_job(job).await.unwrap();
    node.wait_finished(job, n, Duration::from_secs(20)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_carry_the_rendered_payload_and_headers() {
    let hooks = HookServer::start().await;
    let pre = format!("--pre-webhook-endpoint={}", hooks.url("/pre"));
    let post = format!("--webhook-endpoint={}", hooks.url("/post"));
    let node = Node::start(&[
        &pre,
        "--pre-webhook-payload=start {{.JobName}} on {{ .NodeName }}",
        "--pre-webhook-headers=X-Token: abc:def",
        &post,
        r#"--webhook-payload={"job":{{json .JobName}},"ok":{{.Success}},"out":{{json .Output}},"by":"{{.ReportingNode}}","end":"{{.FinishedAt}}"}"#,
        "--webhook-headers=Host: hooks.example",
        "--webhook-headers=Authorization: Bearer t0k",
    ])
    .await;
    node.client()
        .put_job(&shell_job("hooked", "@manually", "echo 'say \"hi\"'"))
        .await
        .unwrap();
    let ex = run_and_wait(&node, "hooked", 1).await;
    let pre = hooks.wait("/pre", 1).await;
    assert_eq!(pre[0].method, "POST");
    assert_eq!(pre[0].body, "start hooked on node-a");
    assert_eq!(pre[0].headers["x-token"], "abc:def");
    let post = hooks.wait("/post", 1).await;
    let body: serde_json::Value = serde_json::from_str(&post[0].body).unwrap();
    assert_eq!(body["job"], "hooked");
    assert_eq!(body["ok"], true);
    assert_eq!(body["out"], "say \"hi\"\n");
    assert_eq!(body["by"], "node-a");
    let done = ex.iter().find(|e| !e.is_running()).unwrap();
    assert_eq!(body["end"], go_time(done.finished_at));
    assert_eq!(post[0].headers["host"], "hooks.example");
    assert_eq!(post[0].headers["authorization"], "Bearer t0k");
    assert!(
        !pre[0].headers.contains_key("authorization"),
        "headers are per webhook"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_last_attempt_of_a_retried_execution_sends_the_webhook() {
    let hooks = HookServer::start().await;
    let pre = format!("--pre-webhook-endpoint={}", hooks.url("/pre"));
    let post = format!("--webhook-endpoint={}", hooks.url("/post"));
    let node = Node::start(&[&pre, &post, "--webhook-payload={{.Success}} {{.StartTime}}"]).await;
    let mut job = shell_job("flaky", "@manually", "echo no; exit 1");
    job.retries = 2;
    node.client().put_job(&job).await.unwrap();
    node.client().run_job("flaky").await.unwrap();
    let post = hooks.wait("/post", 1).await;
    // By the time the webhook arrives, all three attempts have finished: it was not sent
    // for the first two.
    let ex = node.executions("flaky").await;
    let finished: Vec<_> = ex.iter().filter(|e| !e.is_running()).collect();
    assert_eq!(finished.len(), 3, "{ex:?}");
    let last = finished.iter().max_by_key(|e| e.attempt).unwrap();
    assert_eq!(last.attempt, 3);
    assert_eq!(post.len(), 1, "{post:?}");
    assert_eq!(post[0].body, format!("false {}", go_time(last.started_at)));
    // Every attempt started, and said so.
    hooks.wait("/pre", 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_reaches_the_owner_with_dkrons_subject_and_credentials() {
    let sink = SmtpSink::start(None).await;
    let port = format!("--mail-port={}", sink.port);
    let node = Node::start(&[
        "--mail-host=127.0.0.1",
        &port,
        "--mail-from=Belfry <cron@example.com>",
        "--mail-username=robot",
        "--mail-password=s3cret:x",
        "--mail-payload={{.JobName}} said: {{.Output}}{{if .Success}}all good{{else}}it failed{{end}}",
    ])
    .await;
    let client = node.client();
    // No owner_email: no mail.
    client
        .put_job(&shell_job("quiet", "@manually", "echo shh"))
        .await
        .unwrap();
    run_and_wait(&node, "quiet", 1).await;
    let mut job = shell_job("mailed", "@manually", "echo hello");
    job.owner_email = "ops@example.com".into();
    client.put_job(&job).await.unwrap();
    run_and_wait(&node, "mailed", 1).await;
    let mails = sink.wait(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    assert_eq!(m.from, "cron@example.com");
    assert_eq!(m.to, vec!["ops@example.com"]);
    assert_eq!(m.auth.as_deref(), Some("\0robot\0s3cret:x"));
    assert_eq!(m.helo, "node-a");
    assert!(!m.tls, "the sink offers no STARTTLS");
    assert_eq!(
        m.header("Subject").as_deref(),
        Some("[Dkron]Success mailed execution report")
    );
    assert_eq!(m.header("To").as_deref(), Some("ops@example.com"));
    assert_eq!(
        m.header("From").as_deref(),
        Some("Belfry <cron@example.com>")
    );
    assert_eq!(m.body(), "mailed said: hello\r\nall good\r\n");

    let mut job = shell_job("broken", "@manually", "echo .dot; exit 2");
    job.owner_email = "a@example.com, b@example.com".into();
    client.put_job(&job).await.unwrap();
    run_and_wait(&node, "broken", 1).await;
    let mails = sink.wait(2).await;
    let m = &mails[1];
    assert_eq!(m.to, vec!["a@example.com", "b@example.com"]);
    assert_eq!(
        m.header("Subject").as_deref(),
        Some("[Dkron]Failed broken execution report")
    );
    // The line starting with a dot survived dot-stuffing.
    assert_eq!(m.body(), "broken said: .dot\r\nit failed\r\n");
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("this test needs the openssl command to make its certificates");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a certificate for 127.0.0.1 signed by it, made with the openssl command; returns
/// the sink's TLS acceptor.
fn test_certificates(dir: &std::path::Path) -> tokio_rustls::TlsAcceptor {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-days", "2", "-subj", "/CN=belfry test CA"];
    ca.extend_from_slice(&ec);
    ca.extend_from_slice(&["-keyout", "ca.key", "-out", "ca.pem"]);
    openssl(dir, &ca);
    let mut csr = vec!["req", "-subj", "/CN=127.0.0.1"];
    csr.extend_from_slice(&ec);
    csr.extend_from_slice(&["-keyout", "leaf.key", "-out", "leaf.csr"]);
    openssl(dir, &csr);
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.pem",
        ],
    );
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    belfry::client::install_tls_provider();
    let chain = CertificateDer::pem_file_iter(dir.join("leaf.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_over_starttls_with_a_checked_certificate() {
    let certs = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(Some(test_certificates(certs.path()))).await;
    let port = format!("--mail-port={}", sink.port);
    let flags = [
        "--mail-host=127.0.0.1",
        &port,
        "--mail-from=cron@example.com",
        "--mail-username=robot",
        "--mail-password=pw",
    ];
    let mut job = shell_job("secure", "@manually", "echo sealed");
    job.owner_email = "ops@example.com".into();

    // A certificate the node does not trust: nothing is sent, and the log says why.
    {
        let untrusting = Node::start(&flags).await;
        untrusting.client().put_job(&job).await.unwrap();
        run_and_wait(&untrusting, "secure", 1).await;
        let line = wait_for(
            "the mail failure in the log",
            Duration::from_secs(20),
            || {
                let log = untrusting.log();
                async move {
                    log.lines()
                        .find(|l| l.contains("mail failed"))
                        .map(str::to_string)
                }
            },
        )
        .await;
        assert!(line.contains("STARTTLS"), "{line}");
        assert!(sink.mails.lock().unwrap().is_empty());
    }

    // Trusting the test CA (SSL_CERT_FILE), the message goes over TLS, with the credentials.
    let ca = certs.path().join("ca.pem").display().to_string();
    let node = Node::start_with_env(&flags, &[("SSL_CERT_FILE", &ca)]).await;
    node.client().put_job(&job).await.unwrap();
    run_and_wait(&node, "secure", 1).await;
    let mails = sink.wait(1).await;
    let m = &mails[0];
    assert!(m.tls, "{m:?}");
    assert_eq!(m.auth.as_deref(), Some("\0robot\0pw"));
    assert_eq!(m.to, vec!["ops@example.com"]);
    assert_eq!(m.body(), "sealed\r\n");
    assert_eq!(
        m.header("Subject").as_deref(),
        Some("[Dkron]Success secure execution report")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processors_run_on_the_executing_node() {
    let out_dir = tempfile::tempdir().unwrap();
    let sock_dir = tempfile::tempdir().unwrap();
    let sock_path = sock_dir.path().join("log.sock");
    let syslog = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    syslog
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let node = Node::start(&[]).await;
    let client = node.client();
    let procs = |items: &[(&str, &[(&str, &str)])]| {
        items
            .iter()
            .map(|(n, kv)| {
                (
                    n.to_string(),
                    kv.iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                )
            })
            .collect()
    };

    // files, not forwarded: the file holds the output, the execution its path.
    let dir = out_dir.path().display().to_string();
    let mut job = shell_job("filed", "@manually", "echo to a file");
    job.processors = procs(&[("files", &[("log_dir", &dir)])]);
    client.put_job(&job).await.unwrap();
    let ex = run_and_wait(&node, "filed", 1).await;
    let e = ex.iter().find(|e| !e.is_running()).unwrap();
    let path = out_dir.path().join("filed").join(format!("{}.log", e.id));
    assert_eq!(e.output, path.display().to_string());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "to a file\n");
    assert!(e.success);

    // files without log_dir: under the data dir.
    let mut job = shell_job("filed-default", "@manually", "echo default");
    job.processors = procs(&[("files", &[("forward", "true")])]);
    client.put_job(&job).await.unwrap();
    let ex = run_and_wait(&node, "filed-default", 1).await;
    let e = ex.iter().find(|e| !e.is_running()).unwrap();
    assert_eq!(e.output, "default\n", "forwarded: the output is kept");
    let path = node
        .data_dir()
        .join("output/filed-default")
        .join(format!("{}.log", e.id));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "default\n");

    // log, forwarded: the node's log shows the block, the output is kept.
    let mut job = shell_job("logged", "@manually", "echo line one; echo line two");
    job.processors = procs(&[("log", &[("forward", "true")])]);
    client.put_job(&job).await.unwrap();
    let ex = run_and_wait(&node, "logged", 1).await;
    let e = ex.iter().find(|e| !e.is_running()).unwrap();
    assert_eq!(e.output, "line one\nline two\n");
    let begin = format!("----- BEGIN OUTPUT job=logged execution={} -----", e.id);
    let log = wait_for("the log block", Duration::from_secs(10), || {
        let log = node.log();
        let found = log.contains("----- END OUTPUT -----") && log.contains(&begin);
        async move { found.then_some(log) }
    })
    .await;
    let block = &log[log.find(&begin).unwrap()..];
    assert!(
        block.starts_with(&format!(
            "{begin}\nline one\nline two\n----- END OUTPUT -----"
        )),
        "{block}"
    );

    // syslog, not forwarded: one datagram per line, facility cron, err for a failure.
    let socket = sock_path.display().to_string();
    let mut job = shell_job("syslogged", "@manually", "echo first; echo second; exit 3");
    job.processors = procs(&[("syslog", &[("socket", &socket), ("forward", "false")])]);
    client.put_job(&job).await.unwrap();
    let ex = run_and_wait(&node, "syslogged", 1).await;
    let e = ex.iter().find(|e| !e.is_running()).unwrap();
    assert_eq!(e.output, "Output in syslog of node node-a");
    assert!(!e.success);
    let mut buf = vec![0u8; 8192];
    for want in ["first", "second"] {
        let n = syslog.recv(&mut buf).expect("a syslog datagram");
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(msg.starts_with("<75>"), "cron.err: {msg}");
        assert!(
            msg.ends_with(&format!("]: job=syslogged execution={}: {want}", e.id)),
            "{msg}"
        );
        assert!(msg.contains(" belfry["), "{msg}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_processor_config_is_refused_with_400() {
    let node = Node::start(&[]).await;
    for (processors, needle) in [
        (
            r#"{"fluent":{}}"#,
            "processors: fluent: is not available (available: files, log, syslog)",
        ),
        (
            r#"{"files":{"forward":"maybe"}}"#,
            "processors: files: forward: \"maybe\" is not",
        ),
        (
            r#"{"files":{"log_dir":"relative"}}"#,
            "processors: files: log_dir: \"relative\" is not an absolute path",
        ),
        (
            r#"{"syslog":{"facility":"local0"}}"#,
            "processors: syslog: facility: unknown key",
        ),
    ] {
        let body = format!(
            r#"{{"name":"p","schedule":"@manually","executor":"shell","executor_config":{{"command":"true"}},"processors":{processors}}}"#
        );
        let r = http("POST", &node.url("/v1/jobs"), Some(&body)).await;
        assert_eq!(r.status, 400, "{processors}: {}", r.body);
        assert!(r.body.contains(needle), "{processors}: {}", r.body);
    }
}

#[test]
fn bad_notification_settings_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = format!("--data-dir={}", dir.path().join("data").display());
    let http = format!("--http-addr=127.0.0.1:{}", free_port());
    let rpc = format!("--rpc-port={}", free_port());
    let bind = format!("--bind=127.0.0.1:{}", free_port());
    for (extra, needle) in [
        (
            &[
                "--webhook-endpoint=http://127.0.0.1:9/",
                "--webhook-payload={{.Nope}}",
            ][..],
            "webhook-payload: unknown variable .Nope",
        ),
        (
            &["--pre-webhook-payload={{if .Success}}"],
            "pre-webhook-payload: {{if}} without {{end}}",
        ),
        (
            &["--mail-payload={{range .Output}}"],
            "mail-payload: unsupported action",
        ),
        (&["--mail-port=70000"], "mail-port: 70000 is not a port"),
        (
            &["--webhook-headers=NoColon"],
            "webhook-headers: \"NoColon\" is not",
        ),
        (
            &["--pre-webhook-endpoint=ftp://x/"],
            "pre-webhook-endpoint:",
        ),
        (
            &["--mail-host=127.0.0.1", "--mail-port=25"],
            "mail-from: is required",
        ),
        (
            &[
                "--mail-host=127.0.0.1",
                "--mail-port=25",
                "--mail-from=nobody",
            ],
            "mail-from: \"nobody\" is not a mail address",
        ),
    ] {
        let mut args = vec![
            "agent",
            "--server",
            "--bootstrap-expect=1",
            &data,
            &http,
            &rpc,
            &bind,
        ];
        args.extend_from_slice(extra);
        let (code, _, err) = cli(&args, &[], None);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(needle), "{extra:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    // The same from a config file, with Dkron's key names.
    let file = dir.path().join("dkron.yml");
    std::fs::write(
        &file,
        "webhook-endpoint: http://127.0.0.1:9/\nwebhook-headers: [\"Bad Name: x\"]\n",
    )
    .unwrap();
    let config = format!("--config={}", file.display());
    let (code, _, err) = cli(&["agent", &data, &http, &rpc, &bind, &config], &[], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("webhook-headers: \"Bad Name: x\""), "{err}");
    assert!(!dir.path().join("data").exists(), "nothing may be created");
}
