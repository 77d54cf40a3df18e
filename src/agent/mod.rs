//! The agent: wires storage, Raft, the scheduler, the runner and the HTTP API together, and
//! owns the lifecycle — start in a safe order, stop gracefully on request.

pub mod rpc;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use std::net::{IpAddr, SocketAddr};

use crate::api::{ApiContext, router};
use crate::cluster::commit::Committer;
use crate::cluster::discovery::JoinTarget;
use crate::cluster::membership::{Membership, MembershipConfig, NodeMeta, Role};
use crate::cluster::raft_network::Network;
use crate::cluster::voters::ClusterManager;
use crate::config::AgentConfig;
use crate::consensus::{NodeAddr, Raft, open_stores};
use crate::leader::dispatcher::Dispatcher;
use crate::leader::scheduler::Scheduler;
use crate::node::worker::Worker;
use crate::transport::rpc::{Endpoint, HelloCall, Peer, RpcClient};
use rpc::RpcContext;

/// Why the agent could not start or run. Startup problems map to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// A setting is unusable (the CLI exits 2).
    #[error("{0}")]
    Config(String),
    /// Something failed while running (the CLI exits 1).
    #[error("{0}")]
    Runtime(String),
}

/// What a resolved configuration cannot check by itself, because the layers that use the
/// values own their rules: every `--join`/`--retry-join` value (discovery) and the
/// notification settings (the notifier, whose resolved form it returns, with its warnings).
/// The CLI calls it after [`crate::config::resolve`], so a bad value stops the agent before
/// anything starts; an error names the key.
pub fn check_config(
    config: &AgentConfig,
) -> Result<crate::leader::notify::NotifyConfig, crate::config::ConfigError> {
    let value_err = |key: &str, reason: String| crate::config::ConfigError::Value {
        key: key.into(),
        reason,
    };
    for (key, list) in [("join", &config.join), ("retry-join", &config.retry_join)] {
        for entry in list {
            crate::cluster::discovery::join_target(entry).map_err(|e| value_err(key, e))?;
        }
    }
    config
        .notify
        .clone()
        .resolve(&config.node_name)
        .map_err(|(key, reason)| value_err(&key, reason))
}

/// The file holding this node's Raft id, chosen at random on first start and never reused.
const NODE_ID_FILE: &str = "node-id";

fn load_or_create_node_id(data_dir: &Path) -> Result<u64, AgentError> {
    let path = data_dir.join(NODE_ID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => u64::from_str_radix(text.trim(), 16).map_err(|_| {
            AgentError::Config(format!(
                "data-dir: {} is corrupt (expected a hex node id)",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id: u64 = rand::random::<u64>() | 1;
            let tmp = data_dir.join(format!("{NODE_ID_FILE}.tmp"));
            let write = || -> std::io::Result<()> {
                use std::io::Write;
                let mut f = std::fs::File::create(&tmp)?;
                writeln!(f, "{id:016x}")?;
                f.sync_all()?;
                std::fs::rename(&tmp, &path)
            };
            write().map_err(|e| AgentError::Runtime(format!("{}: {e}", path.display())))?;
            Ok(id)
        }
        Err(e) => Err(AgentError::Runtime(format!("{}: {e}", path.display()))),
    }
}

/// The file in the data dir holding the cluster key a bootstrapping server generated (0600).
pub const CLUSTER_KEY_FILE: &str = "cluster-key";

/// Reads the cluster key kept in `data_dir`, if there is one (`belfry cluster-key`).
pub fn read_cluster_key(data_dir: &Path) -> Result<Option<String>, String> {
    let path = data_dir.join(CLUSTER_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The cluster key this node uses for gossip and RPC. There is no keyless mode: the internal
/// RPC never serves an unauthenticated call. In order: `--encrypt`/`BELFRY_ENCRYPT`; the key
/// kept in the data dir; for a server that bootstraps a one-server cluster, a new key it
/// generates and keeps (0600). Any other node must be given the key.
fn resolve_cluster_key(config: &AgentConfig) -> Result<Vec<u8>, AgentError> {
    let stored = read_cluster_key(&config.data_dir).map_err(AgentError::Config)?;
    if let Some(key) = &config.encrypt {
        return Ok(key.clone());
    }
    if let Some(text) = stored {
        return crate::config::parse_key(&text).map_err(|e| {
            AgentError::Config(format!(
                "data-dir: {}: {e}",
                config.data_dir.join(CLUSTER_KEY_FILE).display()
            ))
        });
    }
    if !(config.server && config.bootstrap_expect == 1) {
        return Err(AgentError::Config(
            "encrypt: this node joins a cluster and has no cluster key: pass --encrypt KEY or set BELFRY_ENCRYPT \
             (on the first server, `belfry cluster-key --data-dir DIR` prints it)"
                .into(),
        ));
    }
    create_data_dir(config)?;
    let text = crate::transport::keys::generate_key();
    let path = config.data_dir.join(CLUSTER_KEY_FILE);
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        writeln!(f, "{text}")?;
        f.sync_all()
    };
    write().map_err(|e| AgentError::Runtime(format!("{}: {e}", path.display())))?;
    // The key itself is not logged: the line says how to read it.
    tracing::warn!(
        "generated a new cluster key in {} (mode 0600); give it to every other node with \
         --encrypt=\"$(belfry cluster-key --data-dir {})\" or BELFRY_ENCRYPT",
        path.display(),
        config.data_dir.display()
    );
    crate::config::parse_key(&text).map_err(|e| AgentError::Runtime(e.to_string()))
}

/// This node's RPC endpoint: who it is (Raft id, 0 for an agent) and the keys.
fn endpoint(config: &AgentConfig, node_id: u64) -> Endpoint {
    let key = config
        .encrypt
        .as_deref()
        .expect("run() resolves the cluster key before any role starts");
    Endpoint::new(Peer::new(node_id, config.node_name.clone()), key)
}

fn raft_config(multiplier: u32) -> openraft::Config {
    let m = u64::from(multiplier.max(1));
    openraft::Config {
        cluster_name: "belfry".into(),
        // openraft starts an election only after the leader lease (= election_timeout_max) plus
        // a random election timeout have passed without a heartbeat: 350-400 ms of silence at
        // multiplier 1, that is 7 missed heartbeats. Failover then takes under half a second
        // (design §3), while the silence needed stays far above a busy machine's heartbeat
        // jitter; `--raft-multiplier` stretches all three for slower environments.
        heartbeat_interval: 50 * m,
        election_timeout_min: 150 * m,
        election_timeout_max: 200 * m,
        // A restarted or partitioned server asks first, so it cannot depose a healthy leader.
        enable_pre_vote: Some(true),
        ..Default::default()
    }
}

/// Runs an agent until `shutdown` resolves, then stops gracefully: no new launches, running
/// executions get `shutdown_grace` to finish (then their process groups are killed), their
/// results are committed, and the API and Raft stop.
///
/// Tag sets received on `reload_tags` (the CLI sends them on SIGHUP) replace this node's tags
/// and propagate through gossip.
pub async fn run(
    config: AgentConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
    mut reload_tags: mpsc::UnboundedReceiver<BTreeMap<String, String>>,
) -> Result<(), AgentError> {
    let mut config = config;
    // Checked again here (the CLI checked already) as the library can be started without it.
    check_config(&config).map_err(|e| AgentError::Config(e.to_string()))?;
    // Before anything is opened: a cgroup the operator named that cannot be used stops the
    // start with the reason. What `auto` found is kept as the cgroup to use from here on.
    let placement = crate::node::job_cgroup::JobCgroup::prepare(&config.job_cgroup)
        .map_err(|e| AgentError::Config(format!("job-cgroup: {e}")))?;
    config.job_cgroup = match &placement.cgroup {
        Some(cgroup) => crate::config::JobCgroupSetting::Path(cgroup.dir.clone()),
        None => crate::config::JobCgroupSetting::Off,
    };
    // Said once the node runs (see run_limits), so a start that fails later prints one line.
    JOB_PLACEMENT_NOTE.get_or_init(|| placement.note.clone());
    config.encrypt = Some(resolve_cluster_key(&config)?);
    // A node that finds its peers over mDNS answers for the same service until it stops.
    let _mdns_advertiser =
        crate::cluster::discovery::advertise_for(&config).map_err(AgentError::Config)?;
    crate::node::executor::shell::set_su_allowed(config.security.allow_su);
    // Once the start's code has run (joined, elected, serving), its pages are given back.
    tokio::spawn(async {
        tokio::time::sleep(RELEASE_STARTUP_PAGES_AFTER).await;
        // Reading smaps takes milliseconds: not on a runtime thread Raft and gossip share.
        let released =
            tokio::task::spawn_blocking(crate::telemetry::code_pages::release_startup_pages).await;
        match released {
            Ok(Ok(kib)) => tracing::debug!(kib, "program pages only the start needed released"),
            Ok(Err(e)) => tracing::debug!("program pages not released: {e}"),
            Err(e) => tracing::debug!("program pages not released: {e}"),
        }
    });
    // Freed heap memory goes back to the system, not kept by the allocator (telemetry::heap).
    let _heap_trimmer = AbortOnDrop(tokio::spawn(crate::telemetry::heap::trim_periodically()));
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        stop_tx.send_replace(true);
    });
    // A server that is demoted goes on as an agent (and back when promoted) in this process.
    loop {
        let demoted = config.server && is_demoted(&config.data_dir);
        let ended = if config.server && !demoted {
            run_server(&config, stop.clone(), &mut reload_tags).await?
        } else {
            if demoted {
                tracing::info!("this server is demoted: running as an agent until promoted");
            }
            run_stateless(&config, stop.clone(), &mut reload_tags).await?
        };
        match ended {
            Ended::Stopped => return Ok(()),
            Ended::SwitchRole => tracing::info!("switching role"),
        }
    }
}

/// A task that ends with the scope holding it (the node's, however it returns).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How one run of a role ended.
enum Ended {
    Stopped,
    /// Demoted or promoted: run again in the other role.
    SwitchRole,
}

/// The marker a demoted server keeps in its data dir, so the demotion survives restarts.
const DEMOTED_FILE: &str = "demoted";

pub fn is_demoted(data_dir: &Path) -> bool {
    data_dir.join(DEMOTED_FILE).exists()
}

/// Records (or clears) this server's demotion durably.
pub fn set_demoted(data_dir: &Path, demoted: bool) -> std::io::Result<()> {
    let path = data_dir.join(DEMOTED_FILE);
    if demoted {
        std::fs::create_dir_all(data_dir)?;
        let f = std::fs::File::create(&path)?;
        f.sync_all()?;
    } else if path.exists() {
        std::fs::remove_file(&path)?;
    }
    if let Ok(d) = std::fs::File::open(data_dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// What [`run`] found about the jobs' cgroup, logged when the node's worker starts.
/// When a node gives back the program pages only its start needed (`telemetry::code_pages`):
/// after a join, an election and the first requests, which a node does within seconds.
const RELEASE_STARTUP_PAGES_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

static JOB_PLACEMENT_NOTE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// How this node runs job processes. `config.job_cgroup` is what [`run`] prepared: a path or off.
fn run_limits(config: &AgentConfig) -> crate::node::runner::RunLimits {
    if let Some(note) = JOB_PLACEMENT_NOTE.get() {
        tracing::info!("{note}");
    }
    crate::node::runner::RunLimits {
        job_nice: config.job_nice,
        max_parallel: config.max_parallel,
        job_cgroup: match &config.job_cgroup {
            crate::config::JobCgroupSetting::Path(dir) => Some(dir.clone()),
            _ => None,
        },
    }
}

fn create_data_dir(config: &AgentConfig) -> Result<(), AgentError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        AgentError::Config(format!(
            "data-dir: cannot create {}: {e}",
            config.data_dir.display()
        ))
    })
}

/// A server: Raft, state, scheduler, runner, API and RPC.
async fn run_server(
    config: &AgentConfig,
    mut stop: watch::Receiver<bool>,
    reload_tags: &mut mpsc::UnboundedReceiver<BTreeMap<String, String>>,
) -> Result<Ended, AgentError> {
    let config = config.clone();
    let tls = load_tls(&config)?;
    // Bind first: a taken or foreign address fails before any state is touched.
    let http = listen(config.http_addr, "http-addr").await?;
    let rpc_listener = listen(config.rpc_addr, "rpc-port").await?;
    let metrics_listener = listen_metrics(&config).await?;
    let audit = open_audit_log(&config)?;

    let advertised_rpc = SocketAddr::new(config.advertise.ip(), config.rpc_addr.port());
    let membership = start_gossip(&config, Role::Server).await?;

    create_data_dir(&config)?;
    let node_id = load_or_create_node_id(&config.data_dir)?;
    // After a role switch in this process the previous run's handles close a moment later.
    let mut tries = 0;
    let opened = loop {
        match open_stores(&config.data_dir) {
            Err(e) if e.to_string().contains("already open") && tries < 20 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => break other,
        }
    };
    let (log, state) = opened.map_err(|e| {
        let text = e.to_string();
        if text.contains("already open") || text.contains("lock") {
            AgentError::Config(format!(
                "data-dir: {} is in use by another belfry process",
                config.data_dir.display()
            ))
        } else {
            AgentError::Runtime(format!("data-dir: cannot open the stores: {text}"))
        }
    })?;

    let endpoint = endpoint(&config, node_id);
    let rpc_client = RpcClient::new(endpoint.clone());
    let raft = Raft::new(
        node_id,
        Arc::new(
            raft_config(config.raft_multiplier)
                .validate()
                .map_err(|e| AgentError::Runtime(e.to_string()))?,
        ),
        Network::new(rpc_client.clone()),
        log,
        state.clone(),
    )
    .await
    .map_err(|e| AgentError::Runtime(format!("raft: {e}")))?;

    let initialized = raft
        .is_initialized()
        .await
        .map_err(|e| AgentError::Runtime(format!("raft: {e}")))?;
    if !initialized && config.bootstrap_expect != 1 {
        if config.bootstrap_expect == 0 {
            tracing::info!("no cluster state yet: waiting to be added by a cluster's leader");
        } else {
            tracing::info!(
                expect = config.bootstrap_expect,
                "waiting for servers to bootstrap the cluster"
            );
        }
    }
    if !initialized && config.bootstrap_expect == 1 {
        let members = BTreeMap::from([(
            node_id,
            NodeAddr {
                name: config.node_name.clone(),
                rpc_addr: advertised_rpc.to_string(),
            },
        )]);
        raft.initialize(members)
            .await
            .map_err(|e| AgentError::Runtime(format!("raft bootstrap: {e}")))?;
        tracing::info!(
            node_id = format!("{node_id:016x}"),
            "bootstrapped a new one-server cluster"
        );
    }

    // Joins: once at start (failure is a warning), and with retries (giving up is fatal).
    let (fatal_tx, mut fatal_rx) = mpsc::unbounded_channel::<String>();
    join_cluster(&config, &membership, &fatal_tx).await;
    if initialized {
        tokio::spawn(rejoin_known_peers(
            raft.clone(),
            membership.clone(),
            rpc_client.clone(),
        ));
    }
    let (cluster_stop_tx, cluster_stop_rx) = watch::channel(false);
    let cluster = ClusterManager {
        raft: raft.clone(),
        membership: membership.clone(),
        rpc: rpc_client.clone(),
        node_name: config.node_name.clone(),
        region: config.region.clone(),
        bootstrap_expect: config.bootstrap_expect,
        dead_server_timeout: config.dead_server_timeout,
        state: state.clone(),
    };
    crate::cluster::clock::discipline().reset(node_id, config.max_clock_offset);
    let clock_task = tokio::spawn(crate::cluster::clock::run(
        raft.clone(),
        rpc_client.clone(),
        cluster_stop_rx.clone(),
    ));
    let cluster_task = tokio::spawn(cluster.run(cluster_stop_rx));

    let (worker, worker_tasks) = Worker::start(
        &config.data_dir,
        config.node_name.clone(),
        config.output_limit,
        run_limits(&config),
        Committer::Server {
            raft: raft.clone(),
            rpc: rpc_client.clone(),
        },
    )
    .await
    .map_err(|e| AgentError::Runtime(format!("data-dir: {e}")))?;

    // The scheduler and the dispatcher run only while this node leads.
    let leading_stop: Arc<Mutex<Option<watch::Sender<bool>>>> = Arc::new(Mutex::new(None));
    let mut leader_watch = {
        let (stop_start, stop_stop) = (leading_stop.clone(), leading_stop.clone());
        let scheduler = Scheduler {
            raft: raft.clone(),
            state: state.clone(),
            membership: membership.clone(),
            region: config.region.clone(),
            history_limit: config.history_limit,
        };
        let dispatcher = Arc::new(Dispatcher {
            raft: raft.clone(),
            state: state.clone(),
            rpc: rpc_client.clone(),
            membership: membership.clone(),
            worker: worker.clone(),
            node: config.node_name.clone(),
        });
        let worker2 = worker.clone();
        let notify = check_config(&config).map_err(|e| AgentError::Config(e.to_string()))?;
        let notifier = Arc::new(crate::leader::notify::Notifier::new(
            state.clone(),
            &notify,
            config.node_name.clone(),
        ));
        raft.on_leader_change(
            move |leader| {
                let (tx, rx) = watch::channel(false);
                if let Some(old) = stop_start.lock().expect("lock").replace(tx) {
                    old.send_replace(true);
                }
                tracing::info!(%leader, "leading: scheduler and dispatcher started");
                tokio::spawn(dispatcher.clone().run(rx.clone()));
                tokio::spawn(notifier.clone().run(rx.clone()));
                tokio::spawn(scheduler.clone().run(rx.clone()));
                tokio::spawn(name_cluster(
                    scheduler.raft.clone(),
                    scheduler.state.clone(),
                    rx.clone(),
                ));
                worker2.nudge();
                async {}
            },
            move |leader| {
                if let Some(tx) = stop_stop.lock().expect("lock").take() {
                    tx.send_replace(true);
                }
                tracing::info!(%leader, "no longer leading: scheduler and dispatcher stopped");
                async {}
            },
        )
    };

    let (leave_tx, mut leave_rx) = mpsc::unbounded_channel::<()>();
    let leader_changes = Arc::new(std::sync::Mutex::new(std::collections::VecDeque::new()));
    let election_watch = tokio::spawn(watch_leader_changes(raft.clone(), leader_changes.clone()));
    let ctx = Arc::new(ApiContext {
        leader_changes,
        leave: leave_tx,
        raft: raft.clone(),
        membership: membership.clone(),
        rpc: rpc_client.clone(),
        state: state.clone(),
        worker: worker.clone(),
        config: config.clone(),
        node_id,
        history_limit: config.history_limit,
        guard: Arc::new(crate::api::guard::Guard {
            enabled: config.acl_enabled,
            node: config.node_name.clone(),
            audit,
            tokens: crate::api::guard::TokenSource::State(state.clone()),
        }),
    });
    let (api_stop_tx, mut api_stop_rx) = watch::channel(false);
    if let Some(listener) = metrics_listener {
        let metrics = axum::Router::new()
            .route("/metrics", axum::routing::get(crate::api::metrics::serve))
            .with_state(ctx.clone());
        serve_metrics(listener, metrics, api_stop_rx.clone());
    }
    let public = router(ctx);
    let (switch_tx, mut switch_rx) = mpsc::unbounded_channel::<()>();
    let rpc_ctx = Arc::new(RpcContext {
        data_dir: config.data_dir.clone(),
        switch: switch_tx,
        client: rpc_client.clone(),
        api: public.clone(),
        raft: raft.clone(),
        membership: membership.clone(),
        snapshot_dir: config.data_dir.join(crate::consensus::SNAPSHOT_DIR),
        node_id,
        name: config.node_name.clone(),
        worker: worker.clone(),
    });
    let mut rpc_stop_rx = api_stop_rx.clone();
    let limits = config.security.limits;
    let rpc = tokio::spawn(crate::transport::http::serve(
        "rpc",
        rpc_listener,
        rpc::router(endpoint, rpc_ctx),
        limits,
        None,
        async move {
            let _ = rpc_stop_rx.wait_for(|s| *s).await;
        },
    ));
    if let Some(tls) = &tls {
        tls.watch(api_stop_rx.clone());
    }
    let public = crate::api::browser_guard::guard(
        public,
        crate::api::browser_guard::BrowserPolicy::from_config(&config),
    );
    let api = tokio::spawn(crate::transport::http::serve(
        "http",
        http,
        public,
        limits,
        tls,
        async move {
            let _ = api_stop_rx.wait_for(|s| *s).await;
        },
    ));
    tracing::info!(
        node = %config.node_name,
        http = %config.http_addr,
        data_dir = %config.data_dir.display(),
        "belfry agent running"
    );

    let outcome = run_until_end(
        &mut stop,
        &mut switch_rx,
        &mut leave_rx,
        &mut fatal_rx,
        reload_tags,
        &membership,
        worker.runner(),
    )
    .await;
    tracing::info!("shutting down: no new launches");
    cluster_stop_tx.send_replace(true);
    // The cluster manager may be waiting on a membership change that needs a quorum the other
    // servers, stopping too, no longer give: it is cut off rather than waited for.
    let mut cluster_task = cluster_task;
    if bounded("the cluster manager", STOP_STEP, &mut cluster_task)
        .await
        .is_none()
    {
        cluster_task.abort();
    }
    let mut clock_task = clock_task;
    if bounded("the clock probes", STOP_STEP, &mut clock_task)
        .await
        .is_none()
    {
        clock_task.abort();
    }
    bounded(
        "the scheduler and dispatcher",
        STOP_STEP,
        leader_watch.close(),
    )
    .await;
    if let Some(tx) = leading_stop.lock().expect("lock").take() {
        tx.send_replace(true);
    }
    worker
        .drain(config.shutdown_grace, Duration::from_secs(10))
        .await;
    bounded(
        "the leadership hand-over",
        STOP_STEP,
        hand_over_leadership(&raft),
    )
    .await;
    api_stop_tx.send_replace(true);
    let _ = tokio::time::timeout(STOP_STEP, api).await;
    let _ = tokio::time::timeout(STOP_STEP, rpc).await;
    worker_tasks.abort();
    election_watch.abort();
    // Tell the cluster this server is leaving, so the leader drops it from the voters at once.
    bounded("leaving the gossip cluster", STOP_STEP, membership.leave()).await;
    bounded("stopping Raft", STOP_STEP, raft.shutdown()).await;
    tracing::info!("stopped");
    outcome
}

/// The longest any one step of stopping may take (beyond the jobs' `--shutdown-grace`).
const STOP_STEP: Duration = Duration::from_secs(5);

/// Runs one step of stopping with a deadline: a step that waits on the cluster (a commit or a
/// membership change without a quorum, a peer that is gone) must not keep the process alive.
/// A whole-cluster SIGTERM once left a leader running for 14 minutes this way.
async fn bounded<F: std::future::Future>(
    what: &str,
    limit: Duration,
    step: F,
) -> Option<F::Output> {
    match tokio::time::timeout(limit, step).await {
        Ok(out) => Some(out),
        Err(_) => {
            tracing::warn!("shutting down: {what} did not finish within {limit:?}; going on");
            None
        }
    }
}

/// Records every change of leader this node sees, for `/v1/operator/health`.
async fn watch_leader_changes(
    raft: Raft,
    changes: Arc<std::sync::Mutex<std::collections::VecDeque<std::time::SystemTime>>>,
) {
    use openraft::async_runtime::WatchReceiver;
    let mut rx = raft.metrics();
    let mut last = None;
    loop {
        let leader = rx.borrow_watched().current_leader;
        if leader.is_some() && leader != last {
            let mut c = changes.lock().expect("leader changes lock");
            c.push_back(std::time::SystemTime::now());
            while c.len() > 10_000 {
                c.pop_front();
            }
        }
        last = leader;
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// The first leader names the cluster (backups carry the name); later leaders find it set.
/// A write refused early in a new term (a cluster formed by `--bootstrap-expect=3` often hands
/// leadership on at once) is retried for as long as this node leads: one try left clusters
/// unnamed, and their backups named `belfry-unnamed-…`.
async fn name_cluster(
    raft: Raft,
    state: crate::consensus::StateMachine,
    mut stop: watch::Receiver<bool>,
) {
    let id = format!("{:016x}", rand::random::<u64>());
    loop {
        if matches!(state.read(|r| r.cluster_id()), Ok(Some(_))) || *stop.borrow() {
            return;
        }
        match raft
            .client_write(crate::state::Command::SetClusterId { id: id.clone() })
            .await
        {
            Ok(_) => return,
            Err(e) => tracing::debug!("cluster id not set yet, retrying: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = stop.changed() => {}
        }
    }
}

/// `--metrics-addr`: the loopback listener for `/metrics` without a token, if asked for.
async fn listen_metrics(
    config: &AgentConfig,
) -> Result<Option<tokio::net::TcpListener>, AgentError> {
    match config.metrics_addr {
        Some(addr) => Ok(Some(listen(addr, "metrics-addr").await?)),
        None => Ok(None),
    }
}

/// Serves `/metrics` alone on the `--metrics-addr` listener until `stop`.
fn serve_metrics(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut stop: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    });
}

/// `--audit-log`, opened for appending (created 0600).
fn open_audit_log(config: &AgentConfig) -> Result<Option<crate::api::guard::AuditLog>, AgentError> {
    config
        .audit_log
        .as_deref()
        .map(|path| {
            crate::api::guard::AuditLog::open(path).map_err(|e| {
                AgentError::Config(format!("audit-log: cannot open {}: {e}", path.display()))
            })
        })
        .transpose()
}

/// Reads the HTTP API's certificate files; unusable files stop the start (exit 2).
fn load_tls(
    config: &AgentConfig,
) -> Result<Option<Arc<crate::transport::http::ServerTls>>, AgentError> {
    match &config.security.tls {
        None => Ok(None),
        Some(files) => crate::transport::http::ServerTls::load(files)
            .map(Some)
            .map_err(|e| AgentError::Config(format!("tls: {e}"))),
    }
}

/// Binds a TCP listener; failure names the setting at fault.
/// A port still held is retried briefly: after a role switch it is released a moment later.
async fn listen(addr: SocketAddr, setting: &str) -> Result<tokio::net::TcpListener, AgentError> {
    let mut tries = 0;
    loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 10 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => {
                return Err(AgentError::Config(format!(
                    "{setting}: cannot listen on {addr}: {e}"
                )));
            }
        }
    }
}

/// Builds this node's gossip identity and starts gossip on `--bind`.
async fn start_gossip(config: &AgentConfig, role: Role) -> Result<Membership, AgentError> {
    let meta = NodeMeta {
        name: config.node_name.clone(),
        gossip_addr: config.advertise,
        rpc_addr: SocketAddr::new(config.advertise.ip(), config.rpc_addr.port()),
        http_addr: config.http_addr,
        role,
        region: config.region.clone(),
        datacenter: config.datacenter.clone(),
        tags: config.tags.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        protocol_min: 1,
        protocol_max: 1,
        bootstrap_expect: config.bootstrap_expect,
    };
    let mut tries = 0;
    loop {
        let mut gossip_config = MembershipConfig::new(meta.clone(), config.bind);
        gossip_config.key = config.encrypt.clone();
        match Membership::start(gossip_config).await {
            Ok(m) => return Ok(m),
            // After a role switch the old socket is released a moment later.
            Err(crate::cluster::membership::MembershipError::Bind { .. }) if tries < 10 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(AgentError::Config(format!("bind: {e}"))),
        }
    }
}

/// `--join` once (a failure is a warning) and `--retry-join` in the background (giving up is
/// reported on `fatal`).
async fn join_cluster(
    config: &AgentConfig,
    membership: &Membership,
    fatal: &mpsc::UnboundedSender<String>,
) {
    if !config.join.is_empty() {
        let addrs = resolve_all(&config.join, config.advertise.ip()).await;
        match membership.join(&addrs, Duration::from_secs(5)).await {
            Ok(n) if n > 0 => tracing::info!(joined = n, "joined the cluster"),
            Ok(_) => tracing::warn!(join = ?config.join, "join: no node answered"),
            Err(e) => tracing::warn!("join: {e}"),
        }
    }
    if !config.retry_join.is_empty() {
        tokio::spawn(retry_join(
            membership.clone(),
            config.retry_join.clone(),
            config.retry_interval,
            config.retry_max,
            fatal.clone(),
        ));
    }
}

/// A node without `--server`: it gossips and serves the API, passing everything that needs the
/// state to a server of its region. On disk it keeps only its own work (`work.redb`).
async fn run_stateless(
    config: &AgentConfig,
    mut stop: watch::Receiver<bool>,
    reload_tags: &mut mpsc::UnboundedReceiver<BTreeMap<String, String>>,
) -> Result<Ended, AgentError> {
    let config = config.clone();
    let tls = load_tls(&config)?;
    let http = listen(config.http_addr, "http-addr").await?;
    let rpc_listener = listen(config.rpc_addr, "rpc-port").await?;
    let metrics_listener = listen_metrics(&config).await?;
    let audit = open_audit_log(&config)?;
    let membership = start_gossip(&config, Role::Agent).await?;
    let endpoint = endpoint(&config, 0);
    let rpc_client = RpcClient::new(endpoint.clone());
    create_data_dir(&config)?;
    // An agent keeps no cluster state, only its own work: launches it accepted and results
    // not yet delivered.
    let (worker, worker_tasks) = Worker::start(
        &config.data_dir,
        config.node_name.clone(),
        config.output_limit,
        run_limits(&config),
        Committer::Agent {
            membership: membership.clone(),
            rpc: rpc_client.clone(),
        },
    )
    .await
    .map_err(|e| AgentError::Runtime(format!("data-dir: {e}")))?;
    let (fatal_tx, mut fatal_rx) = mpsc::unbounded_channel::<String>();
    join_cluster(&config, &membership, &fatal_tx).await;
    let (leave_tx, mut leave_rx) = mpsc::unbounded_channel::<()>();
    let ctx = Arc::new(crate::api::AgentApiContext {
        membership: membership.clone(),
        rpc: rpc_client.clone(),
        config: config.clone(),
        leave: leave_tx,
        worker: worker.clone(),
        guard: Arc::new(crate::api::guard::Guard {
            enabled: config.acl_enabled,
            node: config.node_name.clone(),
            audit,
            tokens: crate::api::guard::TokenSource::Remote(Box::new(
                crate::api::guard::RemoteTokens::new(
                    membership.clone(),
                    rpc_client.clone(),
                    config.region.clone(),
                ),
            )),
        }),
    });
    let (switch_tx, mut switch_rx) = mpsc::unbounded_channel::<()>();
    let rpc_ctx = Arc::new(rpc::AgentRpcContext {
        name: config.node_name.clone(),
        data_dir: config.data_dir.clone(),
        server: config.server,
        switch: switch_tx,
        worker: worker.clone(),
        membership: membership.clone(),
        client: rpc_client,
    });
    let (stop_tx, mut stop_rx) = watch::channel(false);
    if let Some(listener) = metrics_listener {
        let metrics = axum::Router::new()
            .route(
                "/metrics",
                axum::routing::get(crate::api::metrics::serve_agent),
            )
            .with_state(ctx.clone());
        serve_metrics(listener, metrics, stop_rx.clone());
    }
    let mut rpc_stop_rx = stop_rx.clone();
    let limits = config.security.limits;
    let rpc = tokio::spawn(crate::transport::http::serve(
        "rpc",
        rpc_listener,
        rpc::agent_router(endpoint, rpc_ctx),
        limits,
        None,
        async move {
            let _ = rpc_stop_rx.wait_for(|s| *s).await;
        },
    ));
    if let Some(tls) = &tls {
        tls.watch(stop_rx.clone());
    }
    let public = crate::api::browser_guard::guard(
        crate::api::agent_router(ctx),
        crate::api::browser_guard::BrowserPolicy::from_config(&config),
    );
    let api = tokio::spawn(crate::transport::http::serve(
        "http",
        http,
        public,
        limits,
        tls,
        async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        },
    ));
    tracing::info!(
        node = %config.node_name,
        http = %config.http_addr,
        "belfry agent running (no --server: no state here)"
    );
    let outcome = run_until_end(
        &mut stop,
        &mut switch_rx,
        &mut leave_rx,
        &mut fatal_rx,
        reload_tags,
        &membership,
        worker.runner(),
    )
    .await;
    tracing::info!("shutting down: running executions get the grace period");
    worker
        .drain(config.shutdown_grace, Duration::from_secs(10))
        .await;
    stop_tx.send_replace(true);
    let _ = tokio::time::timeout(STOP_STEP, api).await;
    let _ = tokio::time::timeout(STOP_STEP, rpc).await;
    worker_tasks.abort();
    bounded("leaving the gossip cluster", STOP_STEP, membership.leave()).await;
    tracing::info!("stopped");
    outcome
}

/// How often a node compares its launch backlog with its gossip tag: a change costs one gossip
/// broadcast, so a backlog moving every millisecond under overload still costs one every 2 s.
const BACKLOG_TAG_EVERY: Duration = Duration::from_secs(2);

/// Tells the cluster this node's launch backlog in its gossip tag `backlog` (absent when 0), so
/// the leader's `/v1/operator/health` shows every node's, when it changed.
async fn publish_backlog(membership: &Membership, runner: &crate::node::runner::Runner) {
    let backlog = runner.launch_backlog();
    let wanted = (backlog > 0).then(|| backlog.to_string());
    if membership
        .local()
        .tags
        .get(crate::node::runner::BACKLOG_TAG)
        == wanted.as_ref()
    {
        return;
    }
    membership
        .update_meta(|m| match wanted {
            Some(n) => {
                m.tags.insert(crate::node::runner::BACKLOG_TAG.into(), n);
            }
            None => {
                m.tags.remove(crate::node::runner::BACKLOG_TAG);
            }
        })
        .await;
}

/// Waits for whatever ends this run of a role — a stop signal, a role switch, a leave through the
/// API or a fatal error — applying reloaded tags meanwhile.
async fn run_until_end(
    stop: &mut watch::Receiver<bool>,
    switch: &mut mpsc::UnboundedReceiver<()>,
    leave: &mut mpsc::UnboundedReceiver<()>,
    fatal: &mut mpsc::UnboundedReceiver<String>,
    reload_tags: &mut mpsc::UnboundedReceiver<BTreeMap<String, String>>,
    membership: &Membership,
    runner: &crate::node::runner::Runner,
) -> Result<Ended, AgentError> {
    let mut backlog_check = tokio::time::interval(BACKLOG_TAG_EVERY);
    backlog_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = backlog_check.tick() => publish_backlog(membership, runner).await,
            _ = stop.wait_for(|s| *s) => return Ok(Ended::Stopped),
            Some(()) = switch.recv() => return Ok(Ended::SwitchRole),
            Some(()) = leave.recv() => {
                tracing::info!("leave requested through the API");
                return Ok(Ended::Stopped);
            }
            Some(why) = fatal.recv() => {
                tracing::error!("{why}");
                return Err(AgentError::Runtime(why));
            }
            Some(tags) = reload_tags.recv() => {
                tracing::info!(?tags, "tags reloaded");
                // The backlog tag is Belfry's, not the operator's: it survives a reload.
                membership
                    .update_meta(|m| {
                        let backlog = m.tags.remove(crate::node::runner::BACKLOG_TAG);
                        m.tags = tags;
                        if let Some(n) = backlog {
                            m.tags.insert(crate::node::runner::BACKLOG_TAG.into(), n);
                        }
                    })
                    .await;
            }
        }
    }
}

/// A leader that stops hands leadership to the most caught-up voter first, so the cluster has
/// a leader again at once instead of after an election timeout.
pub(crate) async fn hand_over_leadership(raft: &Raft) {
    use openraft::async_runtime::WatchReceiver;
    let m = raft.metrics().borrow_watched().clone();
    if m.current_leader != Some(m.id) {
        return;
    }
    let replication = m.replication.clone().unwrap_or_default();
    // Not to a server whose clock is beyond `--max-clock-offset`: it would refuse the offer and
    // the cluster would wait an election timeout for a leader.
    let voters: Vec<u64> = m.membership_config.membership().voter_ids().collect();
    let clock = crate::cluster::clock::discipline();
    let offsets = clock.offsets(&voters);
    let target = voters
        .iter()
        .copied()
        .filter(|id| *id != m.id)
        .filter(|id| {
            offsets
                .get(id)
                .is_none_or(|o| o.unsigned_abs() <= clock.bound_ms())
        })
        // Measured within bounds first: an unmeasured voter may be the skewed one.
        .max_by_key(|id| {
            (
                offsets.contains_key(id),
                replication.get(id).cloned().flatten().map(|l| l.index),
            )
        });
    let Some(target) = target else {
        return;
    };
    if raft.trigger().transfer_leader(target).await.is_err() {
        return;
    }
    let _ = raft
        .wait(Some(Duration::from_secs(3)))
        .metrics(|m| m.current_leader != Some(m.id), "leadership handed over")
        .await;
    tracing::info!(to = format!("{target:016x}"), "leadership handed over");
}

/// A server restarted with existing state finds the gossip cluster again through the peers its
/// Raft configuration names, with no `--join` needed. Retries until one answers.
async fn rejoin_known_peers(raft: Raft, membership: Membership, rpc: RpcClient) {
    use openraft::async_runtime::WatchReceiver;
    loop {
        let m = raft.metrics().borrow_watched().clone();
        let peers: Vec<(Peer, String)> = m
            .membership_config
            .membership()
            .nodes()
            .filter(|(id, _)| **id != m.id)
            .map(|(id, n)| (Peer::new(*id, n.name.clone()), n.rpc_addr.clone()))
            .collect();
        if peers.is_empty() || membership.members().len() > 1 {
            return;
        }
        let mut seeds = Vec::new();
        for (peer, addr) in &peers {
            if let Ok(h) = rpc.call(addr, peer, &HelloCall {}).await
                && let Some(g) = h.gossip_addr.and_then(|g| g.parse::<SocketAddr>().ok())
            {
                seeds.push(g);
            }
        }
        if !seeds.is_empty()
            && let Ok(n) = membership.join(&seeds, Duration::from_secs(5)).await
            && n > 0
        {
            tracing::info!(joined = n, "rejoined the cluster through its Raft peers");
            return;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// Resolves join addresses (IPs, names, `provider=dns …`, `provider=mdns …`) afresh, at every
/// attempt. mDNS queries go out on the interface that holds `local`, the advertise address.
async fn resolve_all(addrs: &[String], local: IpAddr) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for a in addrs {
        // Validated at startup; a value that no longer parses is skipped.
        let found = match crate::cluster::discovery::join_target(a) {
            Ok(JoinTarget::Address(target)) => {
                tokio::net::lookup_host(&target).await.map(Vec::from_iter)
            }
            Ok(JoinTarget::Mdns(query)) => {
                crate::cluster::discovery::mdns::discover(&query, local).await
            }
            Err(_) => continue,
        };
        match found {
            Ok(found) => out.extend(found),
            Err(e) => tracing::warn!(address = %a, "cannot resolve: {e}"),
        }
    }
    out
}

/// `--retry-join`: tries every `interval` until a node answers; after `max` failed attempts
/// (0 = never give up) reports a fatal error, which stops the agent with a non-zero exit.
async fn retry_join(
    membership: Membership,
    addrs: Vec<String>,
    interval: Duration,
    max: u32,
    fatal: mpsc::UnboundedSender<String>,
) {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let resolved = resolve_all(&addrs, membership.local().gossip_addr.ip()).await;
        match membership.join(&resolved, Duration::from_secs(5)).await {
            Ok(n) if n > 0 => {
                tracing::info!(joined = n, attempt, "retry-join: joined the cluster");
                return;
            }
            Ok(_) => tracing::warn!(attempt, ?addrs, "retry-join: no node answered"),
            Err(e) => tracing::warn!(attempt, "retry-join: {e}"),
        }
        if max > 0 && attempt >= max {
            let _ = fatal.send(format!(
                "retry-join: gave up after {attempt} attempts; none of {addrs:?} answered"
            ));
            return;
        }
        tokio::time::sleep(interval).await;
    }
}
