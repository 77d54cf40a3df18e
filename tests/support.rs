//! Starting, stopping and talking to real `belfry agent` processes.

use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use belfry::client::Client;
use belfry::model::{Execution, Job};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_belfry");

/// A free TCP port on loopback (bound, then released).
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    // Below the kernel's ephemeral range (32768+): a port the OS handed out for `:0` may be
    // handed out again, to any outgoing connection, before the node binds it. Ports are taken
    // in turn from a per-process start, and must be free for TCP and UDP (gossip) both.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ = NEXT.compare_exchange(
        0,
        10_000 + (std::process::id() % 2_000) as u16 * 10,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let mut port = NEXT.fetch_add(1, Ordering::SeqCst);
        if port >= 32_000 {
            NEXT.store(10_001, Ordering::SeqCst);
            port = 10_000;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok()
            && std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
        {
            return port;
        }
    }
}

/// Polls `check` until it yields a value or `limit` passes; panics with `what` on timeout.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The cluster key every node a test starts is given (as `BELFRY_ENCRYPT`, which a test's own
/// `--encrypt` or environment overrides): nodes of one test form a cluster as an operator's
/// would, with the key, since there is no keyless mode.
pub const TEST_KEY: &str = "dGVzdCBjbHVzdGVyIGtleSwgMzIgYnl0ZXMgbG9uZyE=";

/// One agent process with its own data dir and ports.
pub struct Node {
    pub dir: tempfile::TempDir,
    pub http_port: u16,
    pub rpc_port: u16,
    pub gossip_port: u16,
    pub name: String,
    /// Started with `--server` (the default) or as an agent without state.
    pub server: bool,
    pub extra: Vec<String>,
    /// Environment variables set for the process.
    pub env: Vec<(String, String)>,
    /// The network namespace the process runs in, if not the test's own.
    pub netns: Option<String>,
    /// The cluster key given as `BELFRY_ENCRYPT` ([`TEST_KEY`]); `None` starts the node with
    /// the default configuration, without a key.
    pub key: Option<String>,
    child: Option<Child>,
}

impl Node {
    /// Starts a one-server cluster and waits until it leads.
    pub async fn start(extra: &[&str]) -> Node {
        let node = Node::spawn_named("node-a", true, extra);
        node.wait_leader().await;
        node
    }

    /// Starts a one-server cluster with these environment variables and waits until it leads.
    pub async fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Node {
        let mut node = Node::unstarted("node-a", true, extra);
        node.extra.insert(0, "--bootstrap-expect=1".into());
        node.env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        node.spawn();
        node.wait_leader().await;
        node
    }

    /// Starts a server named `name` without waiting for anything; `solo` adds
    /// `--bootstrap-expect=1`.
    pub fn spawn_named(name: &str, solo: bool, extra: &[&str]) -> Node {
        let mut node = Node::unstarted(name, true, extra);
        if solo {
            node.extra.insert(0, "--bootstrap-expect=1".into());
        }
        node.spawn();
        node
    }

    /// A server named `name`, not started yet (its data dir can be prepared first).
    pub fn prepare(name: &str, solo: bool, extra: &[&str]) -> Node {
        let mut node = Node::unstarted(name, true, extra);
        if solo {
            node.extra.insert(0, "--bootstrap-expect=1".into());
        }
        node
    }

    /// Starts a one-server cluster with the default configuration (no cluster key given: it
    /// generates one) and waits until it leads.
    pub async fn start_keyless(name: &str) -> Node {
        let mut node = Node::unstarted(name, true, &["--bootstrap-expect=1"]);
        node.key = None;
        node.spawn();
        node.wait_leader().await;
        node
    }

    /// Starts an agent without `--server`.
    pub fn spawn_agent(name: &str, extra: &[&str]) -> Node {
        let mut node = Node::unstarted(name, false, extra);
        node.spawn();
        node
    }

    /// Starts a server inside `netns`. Its API is reachable only from there: use [`cli_in`].
    pub fn spawn_in(netns: &Netns, name: &str, extra: &[&str]) -> Node {
        let mut node = Node::unstarted(name, true, extra);
        node.netns = Some(netns.name.clone());
        node.spawn();
        node
    }

    fn unstarted(name: &str, server: bool, extra: &[&str]) -> Node {
        Node {
            dir: tempfile::tempdir().unwrap(),
            http_port: free_port(),
            rpc_port: free_port(),
            gossip_port: free_port(),
            name: name.into(),
            server,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            netns: None,
            key: Some(TEST_KEY.into()),
            child: None,
        }
    }

    pub fn gossip_addr(&self) -> String {
        format!("127.0.0.1:{}", self.gossip_port)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.http_port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("agent.log")
    }

    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let mut cmd = command_in(self.netns.as_deref(), BIN);
        match &self.key {
            Some(key) => cmd.env("BELFRY_ENCRYPT", key),
            None => cmd.env_remove("BELFRY_ENCRYPT"),
        };
        let child = cmd
            .args(["agent", "--log-level=info"])
            .args(self.server.then_some("--server"))
            .arg(format!("--node-name={}", self.name))
            .arg(format!("--http-addr={}", self.addr()))
            .arg(format!("--rpc-port={}", self.rpc_port))
            .arg(format!("--bind=127.0.0.1:{}", self.gossip_port))
            .arg(format!("--data-dir={}", self.data_dir().display()))
            .args(&self.extra)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("BELFRY_HTTP_ADDR")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    pub async fn wait_leader(&self) {
        let client = self.client();
        wait_for("the node to lead", Duration::from_secs(30), || {
            let client = client.clone();
            async move {
                client
                    .health()
                    .await
                    .ok()
                    .filter(|h| h.leader == Some(true))
            }
        })
        .await;
    }

    pub fn client(&self) -> Client {
        Client::new(&self.addr()).unwrap()
    }

    /// The process id of the running agent.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL, and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// Sends a signal without waiting.
    pub fn signal(&self, signal: i32) {
        let pid = self.child.as_ref().expect("running").id() as i32;
        unsafe { libc::kill(pid, signal) };
    }

    /// Sends a signal and waits for the process to exit.
    pub async fn signal_and_wait(&mut self, signal: i32, limit: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        unsafe { libc::kill(child.id() as i32, signal) };
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                child.kill().ok();
                panic!("agent did not exit within {limit:?} after signal {signal}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn restart(&mut self) {
        self.spawn();
        self.wait_leader().await;
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    pub async fn executions(&self, job: &str) -> Vec<Execution> {
        self.client().executions(job).await.unwrap()
    }

    /// Waits until `job` has at least `n` finished executions.
    pub async fn wait_finished(&self, job: &str, n: usize, limit: Duration) -> Vec<Execution> {
        let client = self.client();
        let job = job.to_string();
        wait_for(&format!("{n} finished executions of {job}"), limit, || {
            let (client, job) = (client.clone(), job.clone());
            async move {
                let ex = client.executions(&job).await.ok()?;
                (ex.iter().filter(|e| !e.is_running()).count() >= n).then_some(ex)
            }
        })
        .await
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A shell job as a Dkron client would post it.
pub fn shell_job(name: &str, schedule: &str, command: &str) -> Job {
    Job {
        name: name.into(),
        schedule: schedule.into(),
        executor: "shell".into(),
        executor_config: [
            ("command".to_string(), command.to_string()),
            ("shell".to_string(), "true".to_string()),
        ]
        .into(),
        ..Job::default()
    }
}

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

/// `program`, run inside the network namespace `netns` if one is given. `ip netns exec` execs
/// the program in place, so the child's pid is the program's and signals reach it.
fn command_in(netns: Option<&str>, program: &str) -> Command {
    match netns {
        Some(ns) => {
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", ns, program]);
            cmd
        }
        None => Command::new(program),
    }
}

/// A network namespace made for one test and deleted when dropped (also when the test panics),
/// for traffic the host's own network must not see or carry, such as multicast. Its loopback
/// is up with multicast on (the kernel leaves it off); it has no route, so a sender picks the
/// interface itself (IP_MULTICAST_IF). Needs root and iproute2's `ip`; without them the test
/// fails and says so.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(purpose: &str) -> Netns {
        let name = format!("belfry-{purpose}-{}", std::process::id());
        // One left by a killed run whose pid this run got again.
        let _ = Command::new("ip").args(["netns", "delete", &name]).output();
        ip(&["netns", "add", &name]);
        // From here on, dropping the guard deletes the namespace.
        let netns = Netns { name };
        for args in [
            &["link", "set", "lo", "up"][..],
            &["link", "set", "lo", "multicast", "on"],
        ] {
            let mut all = vec!["netns", "exec", &netns.name, "ip"];
            all.extend_from_slice(args);
            ip(&all);
        }
        netns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .output();
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap_or_else(|e| {
        panic!("this test needs iproute2's `ip` (apt-get install iproute2) and root: {e}")
    });
    assert!(
        out.status.success(),
        "ip {} failed (this test needs root): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
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
