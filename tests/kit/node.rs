//! One real `belfry agent` process: its ports, data dir and log, starting it, waiting until it
//! leads, signalling, stopping and killing it, and reading its log.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use belfry::client::Client;
use belfry::model::Execution;

use super::netns::Netns;
use super::wait::{POLL, poll_until, wait_for};

/// The binary Cargo built for this test or bench target.
pub const BIN: &str = env!("CARGO_BIN_EXE_belfry");

/// The cluster key every node is given (as `BELFRY_ENCRYPT`, which a test's own `--encrypt` or
/// environment overrides): nodes form a cluster as an operator's would, with the key, since
/// there is no keyless mode.
pub const TEST_KEY: &str = "dGVzdCBjbHVzdGVyIGtleSwgMzIgYnl0ZXMgbG9uZyE=";

/// How long [`Node::wait_leader`] waits for a one-server cluster to elect itself.
pub const LEAD_DEADLINE: Duration = Duration::from_secs(30);

/// One `/health` poll: a node slower than this to answer counts as "not leading".
pub const HEALTH_DEADLINE: Duration = Duration::from_secs(2);

/// How often [`Node::wait_exit`] looks for the exit: stop times are measured to within this.
const EXIT_POLL: Duration = Duration::from_millis(2);

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

/// One agent process with its own data dir and ports. SIGKILLed and reaped when dropped; its
/// files are removed then, unless [`Node::keep_files`] was called.
pub struct Node {
    /// Holds the data dir and the log.
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
    /// `--log-level`: `info` (tests read the log), or `warn` for benches, whose figures would
    /// otherwise include the cost of logging.
    pub log_level: String,
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
        let mut node = Node::prepare("node-a", true, extra);
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
        let mut node = Node::prepare(name, solo, extra);
        node.spawn();
        node
    }

    /// A server named `name`, not started yet (its data dir can be prepared first); `solo`
    /// adds `--bootstrap-expect=1`.
    pub fn prepare(name: &str, solo: bool, extra: &[&str]) -> Node {
        let mut node = Node::unstarted(name, true, extra);
        if solo {
            node.extra.insert(0, "--bootstrap-expect=1".into());
        }
        node
    }

    /// An agent without `--server` named `name`, not started yet.
    pub fn prepare_agent(name: &str, extra: &[&str]) -> Node {
        Node::unstarted(name, false, extra)
    }

    /// Starts a one-server cluster with the default configuration (no cluster key given: it
    /// generates one) and waits until it leads.
    pub async fn start_keyless(name: &str) -> Node {
        let mut node = Node::prepare(name, true, &[]);
        node.key = None;
        node.spawn();
        node.wait_leader().await;
        node
    }

    /// Starts an agent without `--server`.
    pub fn spawn_agent(name: &str, extra: &[&str]) -> Node {
        let mut node = Node::prepare_agent(name, extra);
        node.spawn();
        node
    }

    /// Starts a server inside `netns`. Its API is reachable only from there: use `cli_in`.
    pub fn spawn_in(netns: &Netns, name: &str, extra: &[&str]) -> Node {
        let mut node = Node::unstarted(name, true, extra);
        node.netns = Some(netns.name.clone());
        node.spawn();
        node
    }

    fn unstarted(name: &str, server: bool, extra: &[&str]) -> Node {
        Node {
            dir: node_dir(name, None),
            http_port: free_port(),
            rpc_port: free_port(),
            gossip_port: free_port(),
            name: name.into(),
            server,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            netns: None,
            key: Some(TEST_KEY.into()),
            log_level: "info".into(),
            child: None,
        }
    }

    /// Puts the node's files in a new directory under `parent` (one root for a whole
    /// cluster's files), before it is started.
    pub fn files_under(mut self, parent: &Path) -> Node {
        assert!(self.child.is_none(), "{} is already running", self.name);
        self.dir = node_dir(&self.name, Some(parent));
        self
    }

    /// Leaves the data dir and the log in place when the node is dropped; returns where.
    pub fn keep_files(&mut self) -> PathBuf {
        self.dir.disable_cleanup(true);
        self.dir.path().to_path_buf()
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

    /// Starts the process (again, after a kill or a stop: same ports, same data dir, the log
    /// appended to). Panics if it cannot.
    pub fn spawn(&mut self) {
        self.try_spawn().unwrap_or_else(|e| panic!("{e}"));
    }

    /// [`Node::spawn`], returning why it could not start.
    pub fn try_spawn(&mut self) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| format!("{}: {e}", self.log_path().display()))?;
        let mut cmd = command_in(self.netns.as_deref(), BIN);
        match &self.key {
            Some(key) => cmd.env("BELFRY_ENCRYPT", key),
            None => cmd.env_remove("BELFRY_ENCRYPT"),
        };
        let child = cmd
            .args(["agent", &format!("--log-level={}", self.log_level)])
            .args(self.server.then_some("--server"))
            .arg(format!("--node-name={}", self.name))
            .arg(format!("--http-addr={}", self.addr()))
            .arg(format!("--rpc-port={}", self.rpc_port))
            .arg(format!("--bind=127.0.0.1:{}", self.gossip_port))
            .arg(format!("--data-dir={}", self.data_dir().display()))
            .args(&self.extra)
            // Nothing from the caller's environment overrides the flags; `env` may.
            .env_remove("BELFRY_HTTP_ADDR")
            .env_remove("BELFRY_LOG")
            .env_remove("BELFRY_CONFIG")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {BIN} as {}: {e}", self.name))?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until this node says on `/health` that it leads; panics after
    /// [`LEAD_DEADLINE`], or as soon as the process exits, with the end of its log.
    pub async fn wait_leader(&self) {
        self.try_wait_leader(LEAD_DEADLINE)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// [`Node::wait_leader`] with a deadline, returning why it did not lead.
    pub async fn try_wait_leader(&self, limit: Duration) -> Result<(), String> {
        let client = self.client().with_timeout(HEALTH_DEADLINE);
        let waited = poll_until(&format!("{} to lead", self.name), limit, POLL, || {
            let client = client.clone();
            async move {
                if !self.running() {
                    return Some(Err(format!("{} exited before it led", self.name)));
                }
                let health = client.health().await.ok()?;
                (health.leader == Some(true)).then_some(Ok(()))
            }
        })
        .await;
        waited.and_then(|r| r).map_err(|e| {
            format!(
                "{e}; its log ends with:\n  {}",
                self.log_tail(20).join("\n  ")
            )
        })
    }

    pub fn client(&self) -> Client {
        Client::new(&self.addr()).unwrap()
    }

    /// The process id of the running agent.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Started, and neither exited nor killed (an exited process not reaped yet is a zombie
    /// in `/proc`).
    pub fn running(&self) -> bool {
        self.child.as_ref().is_some_and(|c| {
            belfry::telemetry::procfs::stat(c.id()).is_ok_and(|s| !s.is_zombie_or_dead())
        })
    }

    /// How the process ended, once it has (it is reaped then): `None` while it runs, or when
    /// it is not started.
    pub fn exit_status(&mut self) -> Option<String> {
        match self.child.as_mut()?.try_wait() {
            Ok(None) => None,
            Ok(Some(status)) => Some(status.to_string()),
            Err(e) => Some(format!("cannot be polled ({e})")),
        }
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
        let pid = self.pid() as i32;
        // SAFETY: a signal to our own child, not reaped yet: the pid is still its.
        unsafe { libc::kill(pid, signal) };
    }

    /// Waits up to `limit` for the process to exit, and reaps it. Past `limit` it is
    /// SIGKILLed (and reaped) and the error says so.
    pub async fn wait_exit(&mut self, limit: Duration) -> Result<ExitStatus, String> {
        let name = &self.name;
        let mut child = self
            .child
            .take()
            .ok_or_else(|| format!("{name} is not running"))?;
        let deadline = Instant::now() + limit;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) => {}
                Err(e) => return Err(format!("cannot wait for {name}: {e}")),
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{name} did not exit within {limit:?}: SIGKILLed"));
            }
            tokio::time::sleep(EXIT_POLL).await;
        }
    }

    /// Sends a signal and waits for the process to exit; panics if it does not within `limit`.
    pub async fn signal_and_wait(&mut self, signal: i32, limit: Duration) -> ExitStatus {
        self.signal(signal);
        self.wait_exit(limit)
            .await
            .unwrap_or_else(|e| panic!("after signal {signal}: {e}"))
    }

    pub async fn restart(&mut self) {
        self.spawn();
        self.wait_leader().await;
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The last `n` non-empty lines of the log.
    pub fn log_tail(&self, n: usize) -> Vec<String> {
        let text = self.log();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(n)..]
            .iter()
            .map(|l| l.to_string())
            .collect()
    }

    /// (WARN lines, ERROR lines) in the log.
    pub fn log_counts(&self) -> (usize, usize) {
        let text = self.log();
        let count = |level: &str| text.lines().filter(|l| l.contains(level)).count();
        (count(" WARN "), count(" ERROR "))
    }

    /// The `kinds` most frequent WARN and ERROR messages, as (count, first example without
    /// its timestamp). Messages that differ only in numbers (ids, ports, indexes) count as one.
    pub fn log_summary(&self, kinds: usize) -> Vec<(usize, String)> {
        let mut by_kind: HashMap<String, (usize, usize, String)> = HashMap::new();
        for line in self.log().lines() {
            if !(line.contains(" WARN ") || line.contains(" ERROR ")) {
                continue;
            }
            // `2026-01-01T00:00:00.000000Z  WARN target: message`
            let message = line.split_once(' ').map_or(line, |(_, rest)| rest).trim();
            let mut kind = String::with_capacity(message.len());
            for c in message.chars() {
                if !c.is_ascii_digit() {
                    kind.push(c);
                } else if !kind.ends_with('#') {
                    kind.push('#');
                }
            }
            let first_seen = by_kind.len();
            let entry = by_kind
                .entry(kind)
                .or_insert_with(|| (0, first_seen, message.chars().take(240).collect()));
            entry.0 += 1;
        }
        let mut kinds_seen: Vec<(usize, usize, String)> = by_kind.into_values().collect();
        kinds_seen.sort_by_key(|(count, first_seen, _)| (std::cmp::Reverse(*count), *first_seen));
        kinds_seen
            .into_iter()
            .take(kinds)
            .map(|(count, _, example)| (count, example))
            .collect()
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

/// A new directory for a node's files, named after it, under `parent` or the temp dir.
fn node_dir(name: &str, parent: Option<&Path>) -> tempfile::TempDir {
    let prefix = format!("belfry-{name}-");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    match parent {
        Some(parent) => builder.tempdir_in(parent),
        None => builder.tempdir(),
    }
    .unwrap_or_else(|e| panic!("a temp dir for {name}: {e}"))
}

/// `program`, run inside the network namespace `netns` if one is given. `ip netns exec` execs
/// the program in place, so the child's pid is the program's and signals reach it.
pub fn command_in(netns: Option<&str>, program: &str) -> Command {
    match netns {
        Some(ns) => {
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", ns, program]);
            cmd
        }
        None => Command::new(program),
    }
}
