//! Every command and flag of `belfry`, defined once: help, man pages and completions are all
//! generated from these definitions.

use clap::{Args, Parser, Subcommand};

use crate::failure::Failure;

pub const DEFAULT_HTTP_ADDR: &str = belfry::config::DEFAULT_HTTP_ADDR;

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  the cluster could not be reached, or refused the request
  2  bad usage or configuration (nothing was started or changed)
  3  the named job or execution does not exist
  4  jobs run: the job ran and its execution failed";

/// Belfry: a distributed, fault-tolerant cron scheduler that speaks Dkron's API.
#[derive(Debug, Parser)]
#[command(name = "belfry", version, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// HTTP API address: where `agent` listens and where the other commands connect
    /// [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "BELFRY_HTTP_ADDR", value_name = "ADDR")]
    pub http_addr: Option<String>,

    #[command(flatten)]
    pub tls: ClientTlsArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// How every client command (and `top`) checks an `https://` API, and the certificate it shows
/// to a node that requires one (`--tls-client-ca`).
#[derive(Debug, Clone, Args)]
pub struct ClientTlsArgs {
    /// PEM file of the CA that signed the API's certificate (for https:// addresses)
    #[arg(long, global = true, env = "BELFRY_CACERT", value_name = "FILE")]
    pub ca: Option<std::path::PathBuf>,

    /// PEM client certificate, for a node started with --tls-client-ca
    #[arg(
        long,
        global = true,
        env = "BELFRY_CLIENT_CERT",
        value_name = "FILE",
        requires = "client_key"
    )]
    pub client_cert: Option<std::path::PathBuf>,

    /// PEM private key of --client-cert
    #[arg(
        long,
        global = true,
        env = "BELFRY_CLIENT_KEY",
        value_name = "FILE",
        requires = "client_cert"
    )]
    pub client_key: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a Belfry node (a server with --server)
    Agent(Box<AgentArgs>),
    /// List, show, run and delete jobs
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// List the cluster's members as gossip sees them
    Members {
        /// Print JSON (Dkron's member array)
        #[arg(long)]
        json: bool,
    },
    /// Print the current leader
    Leader {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Inspect and change the Raft configuration
    #[command(subcommand)]
    Raft(RaftCommand),
    /// Make the node at --http-addr join the cluster through these gossip addresses
    Join {
        /// IP, IP:port, host, `provider=dns name=HOST [port=PORT]` or `provider=mdns service=NAME`
        #[arg(required = true)]
        addrs: Vec<String>,
    },
    /// Make the node at --http-addr leave the cluster and stop gracefully
    Leave,
    /// Remove a failed server from the Raft configuration
    ForceLeave {
        /// Node name
        node: String,
    },
    /// Turn a running server into an agent (survives restarts until `promote`)
    Demote {
        /// Node name
        node: String,
        /// Even if the voters left alive could not form a quorum
        #[arg(long)]
        force: bool,
    },
    /// Turn a demoted server back into a server
    Promote {
        /// Node name
        node: String,
    },
    /// Live dashboard: leader, quorum health, nodes, jobs, executions and cluster events
    Top(TopArgs),
    /// Print the version of this binary and its formats
    Version {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Print a new random cluster key for --encrypt
    Keygen,
    /// Make a CA and certificates for the HTTP API's TLS
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Check configuration offline
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Back up and restore the cluster's state (verified .tar.zst archives)
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Rolling upgrades: is the next node safe to take down, and is it back?
    #[command(subcommand)]
    Upgrade(UpgradeCommand),
    /// Print shell completions to stdout
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Print the man page, or write every page into a directory
    Man {
        /// Write belfry.1 and one page per subcommand here
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
    /// Regenerate the checked-in completions/ and man/ under ROOT
    #[command(hide = true)]
    Generate {
        #[arg(value_name = "ROOT")]
        root: std::path::PathBuf,
    },
}

/// `belfry agent`: Dkron's agent flags. Every flag can also come from the environment
/// (`BELFRY_<FLAG>`, dashes as underscores) or the config file (keys are the flag names).
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Config file (YAML; keys are the flag names, so a dkron.yml works as it is)
    #[arg(long, env = "BELFRY_CONFIG", value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Run as a server: store the state, take part in Raft, schedule when leading
    #[arg(long, env = "BELFRY_SERVER", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub server: Option<bool>,

    /// Servers to wait for before bootstrapping the cluster (1 = bootstrap alone)
    #[arg(long, env = "BELFRY_BOOTSTRAP_EXPECT", value_name = "N")]
    pub bootstrap_expect: Option<u32>,

    /// Unique name of this node [default: the host name]
    #[arg(long, env = "BELFRY_NODE_NAME", value_name = "NAME")]
    pub node_name: Option<String>,

    /// Gossip bind address, IP or IP:port [default: 127.0.0.1:8946]
    #[arg(
        long,
        visible_alias = "bind-addr",
        env = "BELFRY_BIND",
        value_name = "ADDR"
    )]
    pub bind: Option<String>,

    /// Address advertised to other nodes [default: the bind address]
    #[arg(
        long,
        visible_alias = "advertise-addr",
        env = "BELFRY_ADVERTISE",
        value_name = "ADDR"
    )]
    pub advertise: Option<String>,

    /// Internal RPC port, on the bind IP [default: 6868]
    #[arg(long, env = "BELFRY_RPC_PORT", value_name = "PORT")]
    pub rpc_port: Option<u16>,

    /// Where the Raft log and the state live [default: belfry.data]
    #[arg(long, env = "BELFRY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,

    /// Node tag key=value (repeatable; replaces the config file's tags)
    #[arg(
        long = "tag",
        env = "BELFRY_TAG",
        value_name = "KEY=VALUE",
        value_delimiter = ','
    )]
    pub tags: Vec<String>,

    /// Region: Raft membership and job targeting stay within it [default: global]
    #[arg(long, env = "BELFRY_REGION", value_name = "NAME")]
    pub region: Option<String>,

    /// Datacenter, informational [default: dc1]
    #[arg(long, env = "BELFRY_DATACENTER", value_name = "NAME")]
    pub datacenter: Option<String>,

    /// Log level: trace, debug, info, warn, error [default: info]
    #[arg(long, env = "BELFRY_LOG_LEVEL", value_name = "LEVEL")]
    pub log_level: Option<String>,

    /// Bytes of output kept per execution, from the end [default: 65536]
    #[arg(long, env = "BELFRY_OUTPUT_LIMIT", value_name = "BYTES")]
    pub output_limit: Option<usize>,

    /// Executions kept per job [default: 100]
    #[arg(long, env = "BELFRY_HISTORY_LIMIT", value_name = "N")]
    pub history_limit: Option<u32>,

    /// On SIGTERM/SIGINT, how long running jobs may finish before they are killed [default: 30s]
    #[arg(long, env = "BELFRY_SHUTDOWN_GRACE", value_name = "DURATION")]
    pub shutdown_grace: Option<String>,

    /// Gossip address to join once at start (repeatable; a failure is only a warning)
    #[arg(long, env = "BELFRY_JOIN", value_name = "ADDR", value_delimiter = ',')]
    pub join: Vec<String>,

    /// Gossip address to join, retried until it works (repeatable; DNS names re-resolved)
    #[arg(
        long,
        env = "BELFRY_RETRY_JOIN",
        value_name = "ADDR",
        value_delimiter = ','
    )]
    pub retry_join: Vec<String>,

    /// Time between --retry-join attempts [default: 30s]
    #[arg(long, env = "BELFRY_RETRY_INTERVAL", value_name = "DURATION")]
    pub retry_interval: Option<String>,

    /// Attempts before --retry-join gives up and the agent exits; 0 = forever [default: 0]
    #[arg(long, env = "BELFRY_RETRY_MAX", value_name = "N")]
    pub retry_max: Option<u32>,

    /// Cluster key (base64, 16/24/32 bytes; see `belfry keygen`): encrypts gossip, signs RPC
    #[arg(
        long,
        env = "BELFRY_ENCRYPT",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub encrypt: Option<String>,

    /// How long a failed server stays a Raft voter before it is removed [default: 5m]
    #[arg(long, env = "BELFRY_DEAD_SERVER_TIMEOUT", value_name = "DURATION")]
    pub dead_server_timeout: Option<String>,

    /// Scales Raft's heartbeat and election timeouts, 1 (fastest failover) to 10 [default: 1]
    #[arg(long, env = "BELFRY_RAFT_MULTIPLIER", value_name = "N")]
    pub raft_multiplier: Option<u32>,

    /// SMTP server for the mail to a job's owner_email when an execution ends (with --mail-port)
    #[arg(long, env = "BELFRY_MAIL_HOST", value_name = "HOST")]
    pub mail_host: Option<String>,

    /// SMTP port; mail is sent only when --mail-host and --mail-port are both set
    #[arg(long, env = "BELFRY_MAIL_PORT", value_name = "PORT")]
    pub mail_port: Option<u64>,

    /// SMTP user for AUTH PLAIN, with --mail-password (sent only over STARTTLS or to loopback)
    #[arg(long, env = "BELFRY_MAIL_USERNAME", value_name = "USER")]
    pub mail_username: Option<String>,

    /// SMTP password (prefer BELFRY_MAIL_PASSWORD or the config file: flags show in ps)
    #[arg(
        long,
        env = "BELFRY_MAIL_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub mail_password: Option<String>,

    /// Mail sender, `addr@host` or `Name <addr@host>`; required to send mail
    #[arg(long, env = "BELFRY_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,

    /// Mail body template (Go template syntax, see docs) [default: {{.Output}}]
    #[arg(long, env = "BELFRY_MAIL_PAYLOAD", value_name = "TEMPLATE")]
    pub mail_payload: Option<String>,

    /// Subject prefix; the subject is `<prefix><Success|Failed> <job> execution report`
    /// [default: [Dkron]]
    #[arg(long, env = "BELFRY_MAIL_SUBJECT_PREFIX", value_name = "TEXT")]
    pub mail_subject_prefix: Option<String>,

    /// URL the leader POSTs to when an execution starts
    #[arg(long, env = "BELFRY_PRE_WEBHOOK_ENDPOINT", value_name = "URL")]
    pub pre_webhook_endpoint: Option<String>,

    /// Body template of the start webhook [default: {{.Report}}]
    #[arg(long, env = "BELFRY_PRE_WEBHOOK_PAYLOAD", value_name = "TEMPLATE")]
    pub pre_webhook_payload: Option<String>,

    /// Header `Name: value` of the start webhook (repeatable; `Host` sets the request's host)
    #[arg(long, env = "BELFRY_PRE_WEBHOOK_HEADERS", value_name = "HEADER")]
    pub pre_webhook_headers: Vec<String>,

    /// URL the leader POSTs to when an execution ends (after its last retry)
    #[arg(long, env = "BELFRY_WEBHOOK_ENDPOINT", value_name = "URL")]
    pub webhook_endpoint: Option<String>,

    /// Body template of the end webhook [default: {{.Report}}]
    #[arg(long, env = "BELFRY_WEBHOOK_PAYLOAD", value_name = "TEMPLATE")]
    pub webhook_payload: Option<String>,

    /// Header `Name: value` of the end webhook (repeatable; `Host` sets the request's host)
    #[arg(long, env = "BELFRY_WEBHOOK_HEADERS", value_name = "HEADER")]
    pub webhook_headers: Vec<String>,

    /// PEM certificate (chain) the HTTP API serves TLS with (with --tls-key); re-read on
    /// SIGHUP and when the file changes
    #[arg(long, env = "BELFRY_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<std::path::PathBuf>,

    /// PEM private key of --tls-cert
    #[arg(long, env = "BELFRY_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<std::path::PathBuf>,

    /// PEM CA: the HTTP API then requires client certificates signed by it
    #[arg(long, env = "BELFRY_TLS_CLIENT_CA", value_name = "FILE")]
    pub tls_client_ca: Option<std::path::PathBuf>,

    /// Browser origin (scheme://host[:port]) allowed to call the API: CORS and writes
    /// (repeatable) [default: none]
    #[arg(
        long,
        env = "BELFRY_CORS_ALLOWED_ORIGIN",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    pub cors_allowed_origin: Vec<String>,

    /// Host header value accepted besides the node's IPs, localhost and node name: `host` or
    /// `host:port` (repeatable)
    #[arg(
        long,
        env = "BELFRY_ALLOWED_HOST",
        value_name = "HOST",
        value_delimiter = ','
    )]
    pub allowed_host: Vec<String>,

    /// Time a connection (HTTP API and RPC) has to send a request's headers or finish its TLS
    /// handshake; idle keep-alive connections are closed after it too [default: 10s]
    #[arg(long, env = "BELFRY_HEADER_READ_TIMEOUT", value_name = "DURATION")]
    pub header_read_timeout: Option<String>,

    /// Open connections per listener (HTTP API, RPC) [default: 4096]
    #[arg(long, env = "BELFRY_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<u32>,

    /// Open connections per client IP per listener [default: 256]
    #[arg(long, env = "BELFRY_MAX_CONNECTIONS_PER_IP", value_name = "N")]
    pub max_connections_per_ip: Option<u32>,

    /// Let shell jobs use `su` to run as another user (off: such runs fail)
    #[arg(long, env = "BELFRY_ALLOW_SU", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub allow_su: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Make or inspect the cluster's certificate authority
    #[command(subcommand)]
    Ca(TlsCaCommand),
    /// Make certificates signed by the CA
    #[command(subcommand)]
    Cert(TlsCertCommand),
}

#[derive(Debug, Subcommand)]
pub enum TlsCaCommand {
    /// Write a new CA: belfry-agent-ca.pem and belfry-agent-ca-key.pem (key mode 0600)
    Create {
        /// Directory to write into
        #[arg(long, value_name = "DIR", default_value = ".")]
        out_dir: std::path::PathBuf,
        /// Validity in days
        #[arg(long, value_name = "N", default_value_t = 1825)]
        days: u32,
        /// Replace files that exist
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TlsCertCommand {
    /// Write a certificate and key signed by the CA: <region>-server-belfry-N.pem for
    /// --server, <region>-client-belfry-N.pem for --client (key mode 0600)
    Create {
        /// A server certificate (for --tls-cert); names: localhost, 127.0.0.1, ::1, --dns, --ip
        #[arg(long, conflicts_with = "client", required_unless_present = "client")]
        server: bool,
        /// A client certificate (for --client-cert against --tls-client-ca)
        #[arg(long)]
        client: bool,
        /// The CA certificate
        #[arg(long, value_name = "FILE", default_value = "belfry-agent-ca.pem")]
        ca: std::path::PathBuf,
        /// The CA's key
        #[arg(long, value_name = "FILE", default_value = "belfry-agent-ca-key.pem")]
        ca_key: std::path::PathBuf,
        /// File name prefix and common name [default: <region>-server-belfry or <region>-client-belfry]
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Region in the default name [default: global]
        #[arg(long, value_name = "REGION", default_value = "global")]
        region: String,
        /// Extra IP address the server certificate is valid for (repeatable)
        #[arg(long, value_name = "IP")]
        ip: Vec<std::net::IpAddr>,
        /// Extra DNS name the server certificate is valid for (repeatable)
        #[arg(long, value_name = "NAME")]
        dns: Vec<String>,
        /// Directory to write into
        #[arg(long, value_name = "DIR", default_value = ".")]
        out_dir: std::path::PathBuf,
        /// Validity in days
        #[arg(long, value_name = "N", default_value_t = 365)]
        days: u32,
        /// Replace files that exist
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UpgradeCommand {
    /// Say whether the next node can be taken down now and print the plan (agents, followers,
    /// the leader last). Exit 0 safe, 1 not safe, 2 error
    Check {
        /// The version being rolled out [default: this binary's]
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// After restarting NODE on the new version: wait until it is alive, caught up and the
    /// cluster healthy. Exit 1 on timeout
    Wait {
        /// Node name
        node: String,
        /// Give up after this long
        #[arg(long, default_value = "5m", value_name = "DURATION")]
        timeout: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Save a consistent point-in-time archive of the cluster state (through the leader)
    Save {
        /// The archive to write (atomically); or use --output-dir
        #[arg(value_name = "FILE", required_unless_present = "output_dir")]
        file: Option<std::path::PathBuf>,
        /// Read from the node at --http-addr without confirming it is up to date
        #[arg(long)]
        stale: bool,
        /// Write belfry-<cluster>-<UTC timestamp>.tar.zst into DIR
        #[arg(long, value_name = "DIR", conflicts_with = "file")]
        output_dir: Option<std::path::PathBuf>,
        /// With --output-dir: keep the newest N archives of this cluster, delete older ones
        #[arg(long, value_name = "N", requires = "output_dir")]
        keep: Option<usize>,
        /// Print nothing on success (for cron)
        #[arg(long, short)]
        quiet: bool,
        /// Read a stopped server's data dir instead of a running cluster
        #[arg(long, value_name = "DIR")]
        data_dir: Option<std::path::PathBuf>,
    },
    /// Verify an archive and show what it holds (offline)
    Inspect {
        file: std::path::PathBuf,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Replace the cluster's state with an archive's (or seed a new data dir with --data-dir)
    Restore {
        file: std::path::PathBuf,
        /// Do not ask for confirmation
        #[arg(long, short)]
        yes: bool,
        /// Seed this (empty) data dir for a new one-server cluster instead
        #[arg(long, value_name = "DIR")]
        data_dir: Option<std::path::PathBuf>,
        /// With --data-dir: replace what the data dir holds
        #[arg(long, requires = "data_dir")]
        force: bool,
    },
}

/// `belfry top`: reads the cluster through the HTTP API at --http-addr, and moves to another
/// server if that node stops answering.
#[derive(Debug, Args)]
#[command(
    after_help = "Keys: ? help, tab panes, ↑↓/jk move, / filter, enter details, \
r run, t toggle, d demote (each asks first), q or esc quit."
)]
pub struct TopArgs {
    /// Bearer token for the HTTP API, when it needs one
    #[arg(
        long,
        env = "BELFRY_HTTP_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// Time between reads of the cluster's state (jobs: twice that; node load: ten times)
    #[arg(long, value_name = "DURATION", default_value = "500ms")]
    pub refresh: String,

    /// Limit on each request: a node slower than this counts as not answering
    #[arg(long, value_name = "DURATION", default_value = "800ms")]
    pub timeout: String,

    /// Watch only: no runs, toggles or demotions
    #[arg(long)]
    pub read_only: bool,

    /// No colours (also when NO_COLOR is set); the screen says everything in words too
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate an agent config file and print the effective settings (file, BELFRY_*
    /// environment and defaults); every bad key is named. Exit 0 if valid, 2 if not
    Check {
        /// The YAML config file (Dkron's dkron.yml works as it is)
        file: std::path::PathBuf,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RaftCommand {
    /// List the Raft servers: node, id, address, state, voter, replication progress
    ListPeers {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Remove a server from the Raft configuration
    RemovePeer {
        /// Node name or hex Raft id
        node: String,
    },
    /// Hand leadership to NODE, or to the most caught-up voter
    TransferLeadership {
        /// Node name
        node: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs
    List {
        /// Print JSON (Dkron's job array)
        #[arg(long)]
        json: bool,
    },
    /// Show a job and its recent executions
    Show {
        name: String,
        /// Executions to show, newest first
        #[arg(long, default_value_t = 10)]
        executions: usize,
        /// Print JSON: {"job": …, "executions": […]}
        #[arg(long)]
        json: bool,
    },
    /// Run a job now and wait for it to finish
    Run {
        name: String,
        /// Print JSON (the execution)
        #[arg(long)]
        json: bool,
    },
    /// Delete a job and its executions
    Delete {
        name: String,
        /// Print JSON (the deleted job)
        #[arg(long)]
        json: bool,
    },
    /// Write every job definition as Dkron's JSON array, sorted by name (diffs cleanly)
    Export {
        /// Write to FILE (atomically) instead of stdout
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Create or update jobs from a JSON array (an export, or Dkron's GET /v1/jobs)
    Import {
        /// The JSON file to import
        file: std::path::PathBuf,
        /// Show what would change, change nothing
        #[arg(long)]
        dry_run: bool,
        /// Also delete the jobs the file does not name
        #[arg(long)]
        prune: bool,
        /// Print JSON: every job's action and the totals
        #[arg(long)]
        json: bool,
    },
}

fn client_addr(flag: Option<String>) -> String {
    flag.unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_string())
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    belfry::client::set_client_tls(belfry::client::ClientTls {
        ca: cli.tls.ca.clone(),
        client_cert: cli.tls.client_cert.clone(),
        client_key: cli.tls.client_key.clone(),
    });
    match cli.command {
        Command::Agent(args) => crate::agent::run(*args, cli.http_addr),
        Command::Snapshot(cmd) => crate::snapshot::run(&client_addr(cli.http_addr), cmd),
        Command::Upgrade(cmd) => crate::upgrade::run(&client_addr(cli.http_addr), cmd),
        Command::Config(ConfigCommand::Check { file, json }) => {
            crate::config_check::run(&file, json)
        }
        Command::Jobs(cmd) => {
            let addr = cli
                .http_addr
                .unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_string());
            crate::jobs::run(&addr, cmd)
        }
        Command::Version { json } => crate::version::run(json),
        Command::Top(args) => crate::top::run(&client_addr(cli.http_addr), args),
        Command::Members { json } => crate::cluster::members(&client_addr(cli.http_addr), json),
        Command::Leader { json } => crate::cluster::leader(&client_addr(cli.http_addr), json),
        Command::Raft(RaftCommand::ListPeers { json }) => {
            crate::cluster::list_peers(&client_addr(cli.http_addr), json)
        }
        Command::Raft(RaftCommand::RemovePeer { node }) => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.remove_peer(&node).await
            })
        }
        Command::Raft(RaftCommand::TransferLeadership { node }) => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.transfer_leadership(node.as_deref()).await
            })
        }
        Command::Join { addrs } => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.join(&addrs).await
            })
        }
        Command::Leave => {
            crate::cluster::act(
                &client_addr(cli.http_addr),
                |c| async move { c.leave().await },
            )
        }
        Command::Demote { node, force } => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.demote(&node, force).await
            })
        }
        Command::Promote { node } => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.promote(&node).await
            })
        }
        Command::ForceLeave { node } => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.force_leave(&node).await
            })
        }
        Command::Tls(cmd) => crate::tls::run(cmd),
        Command::Keygen => {
            println!("{}", belfry::membership::generate_key());
            Ok(())
        }
        Command::Completions { shell } => {
            crate::generate::completions(shell, &mut std::io::stdout());
            Ok(())
        }
        Command::Man { dir } => crate::generate::man(dir.as_deref()),
        Command::Generate { root } => crate::generate::all(&root),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
