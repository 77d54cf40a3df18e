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
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
        let child = command_in(self.netns.as_deref(), BIN)
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
