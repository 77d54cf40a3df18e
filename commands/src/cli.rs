//! Every command and flag of `belfry`, defined once: help, man pages and completions are all
//! generated from these definitions.

use belfry::config::settings::{Form, SETTINGS, Scope, Setting};
use clap::{Args, Parser, Subcommand};

use crate::failure::Failure;

pub const DEFAULT_HTTP_ADDR: &str = belfry::config::DEFAULT_HTTP_ADDR;

/// The row of the global `--http-addr` flag.
pub fn http_addr_setting() -> &'static Setting {
    belfry::config::settings::by_flag("http-addr").expect("http-addr is in the settings table")
}

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  the cluster could not be reached, or refused the request
  2  bad usage or configuration (nothing was started or changed)
  3  the named job or execution does not exist
  4  jobs run: the job ran and its execution failed on at least one node";

/// Examples for `--help` and the man pages' EXAMPLES section, by command path. Written once
/// here; [`command`] attaches them to the command definitions.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "belfry agent",
        "  belfry agent --server --bootstrap-expect=1             # a one-server cluster on 127.0.0.1:8080
  belfry agent --server --bootstrap-expect=3 --retry-join 10.0.0.1   # one of three servers
  belfry agent --join 10.0.0.1 --tag pool=workers         # an agent that runs jobs tagged pool: workers",
    ),
    (
        "belfry health",
        "  belfry health                       # the table; exit 0 healthy, 1 degraded, 2 no leader
  belfry health --json | jq .warnings",
    ),
    (
        "belfry jobs apply",
        "  belfry jobs apply -f jobs.yml --dry-run   # what would change, field by field
  belfry jobs apply -f jobs.yml
  cat job.json | belfry jobs apply -f -",
    ),
    (
        "belfry jobs run",
        "  belfry jobs run backup && echo ran   # exit 4 if it failed on any node",
    ),
    (
        "belfry jobs executions",
        "  belfry jobs executions backup
  belfry jobs executions backup --output 1764720000000000000-node-a",
    ),
    (
        "belfry jobs import",
        "  belfry jobs import jobs.json --dry-run
  belfry --http-addr a:8080 jobs export | belfry --http-addr b:8080 jobs import -",
    ),
    (
        "belfry snapshot save",
        "  belfry snapshot save --output-dir /var/backups/belfry --keep 7",
    ),
    (
        "belfry snapshot restore",
        "  belfry snapshot restore backup.tar.zst            # online, through the API
  belfry snapshot restore backup.tar.zst --data-dir /var/lib/belfry   # offline, node stopped",
    ),
    (
        "belfry demote",
        "  belfry demote node-c    # it hands leadership over if it leads, then runs on as an agent",
    ),
    (
        "belfry top",
        "  belfry top
  belfry --http-addr https://10.0.0.1:8080 --ca ca.pem top",
    ),
];

/// The command definitions with their examples attached (as long help, so `--help` shows
/// them and the man pages render them as EXAMPLES).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    fn attach(cmd: clap::Command, path: &str) -> clap::Command {
        let mut cmd = cmd;
        if let Some((_, text)) = EXAMPLES.iter().find(|(p, _)| *p == path) {
            cmd = cmd.after_long_help(format!("Examples:\n{text}"));
        }
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        for name in names {
            let sub_path = format!("{path} {name}");
            cmd = cmd.mut_subcommand(&name, |s| attach(s, &sub_path));
        }
        cmd
    }
    attach(Cli::command(), "belfry")
}

/// Belfry: a distributed, fault-tolerant cron scheduler that speaks Dkron's API.
#[derive(Debug, Parser)]
#[command(name = "belfry", version, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// The `http-addr` setting (help, variable and default from the settings table), global
    /// because the client commands connect there.
    #[arg(
        long,
        global = true,
        env = "BELFRY_HTTP_ADDR",
        value_name = "ADDR",
        help = http_addr_setting().help_text()
    )]
    pub http_addr: Option<String>,

    #[command(flatten)]
    pub token: TokenArgs,

    #[command(flatten)]
    pub tls: ClientTlsArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The ACL token every client command sends (`Authorization: Bearer …`), defined once for all
/// of them. A file or the environment keeps it out of `ps`; the flag is for quick tests.
#[derive(Clone, Args)]
pub struct TokenArgs {
    /// ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)
    #[arg(
        long,
        global = true,
        env = "BELFRY_TOKEN",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)
    #[arg(long, global = true, env = "BELFRY_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for TokenArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenArgs")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_file", &self.token_file)
            .finish()
    }
}

impl TokenArgs {
    /// The secret to send, if any: the file's first line, else the flag or variable.
    pub fn secret(&self) -> Result<Option<String>, Failure> {
        if let Some(path) = &self.token_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(format!("--token-file {}: cannot read: {e}", path.display()))
            })?;
            let secret = text.lines().next().unwrap_or("").trim().to_string();
            if secret.is_empty() {
                return Err(Failure::usage(format!(
                    "--token-file {}: the file is empty",
                    path.display()
                )));
            }
            return Ok(Some(secret));
        }
        Ok(self
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from))
    }
}

/// The token of this invocation, read once in [`run`].
pub(crate) static TOKEN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// A client of the API at `addr`, sending this invocation's token. Every client command builds
/// its client here, so none can forget the token.
pub fn client(addr: &str) -> Result<belfry_client::Client, belfry_client::ClientError> {
    Ok(belfry_client::Client::new(addr)?.with_token(TOKEN.get().and_then(|t| t.as_deref())))
}

/// This invocation's token (for `top`, which builds its own clients).
pub fn token() -> Option<String> {
    TOKEN.get().cloned().flatten()
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
    /// List the cluster's members as gossip sees them, with each server's clock offset
    Members {
        /// Print JSON (Dkron's member array; servers also carry `clockOffsetMs`)
        #[arg(long)]
        json: bool,
    },
    /// Print the current leader: its name, HTTP API address (for --http-addr) and gossip address
    Leader {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Can the cluster take a failure now? Voters, quorum, failure tolerance, each server's
    /// contact, lag, clock offset and launch backlog, and warnings. Fit for a monitoring check:
    /// exit 0 healthy, 1 degraded (a leader, but a server down, lagging or out of contact, a
    /// clock beyond --max-clock-offset, or launches waiting for a slot), 2 no answer or no leader
    Health {
        /// Print JSON (`GET /v1/operator/health`)
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
    /// ACL tokens: bootstrap, create, list, delete; the fixed roles
    #[command(subcommand)]
    Acl(AclCommand),
    /// Print the version of this binary and its formats
    Version {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Print a new random cluster key for --encrypt
    Keygen,
    /// Print the cluster key a bootstrapping server generated in its data dir, for --encrypt
    ClusterKey {
        /// The data dir of the server that bootstrapped the cluster
        #[arg(long, env = "BELFRY_DATA_DIR", value_name = "DIR")]
        data_dir: std::path::PathBuf,
    },
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

/// `belfry agent`: Dkron's agent flags. They are made from the settings table
/// ([`belfry::config::settings::SETTINGS`]), where each flag's variable (`BELFRY_<FLAG>`),
/// config-file key, default and help are defined once.
#[derive(Default)]
pub struct AgentArgs {
    /// `--config`: the config file.
    pub config: Option<std::path::PathBuf>,
    /// Every other setting given by a flag or its variable, with its values.
    pub given: Vec<(&'static Setting, Vec<String>)>,
}

impl std::fmt::Debug for AgentArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given: Vec<(&str, Vec<&str>)> = self
            .given
            .iter()
            .map(|(s, values)| {
                let shown = if s.secret {
                    vec!["<hidden>"; values.len()]
                } else {
                    values.iter().map(String::as_str).collect()
                };
                (s.key, shown)
            })
            .collect();
        f.debug_struct("AgentArgs")
            .field("config", &self.config)
            .field("given", &given)
            .finish()
    }
}

/// The clap argument of one setting: its flag, aliases, variable and help with the default.
/// Values stay text here: the setting reads them ([`crate::agent::layer_from_flags`]), so a bad
/// one is refused in one line naming the flag, as a bad config-file value names its key.
pub fn setting_arg(setting: &'static Setting) -> clap::Arg {
    let mut arg = clap::Arg::new(setting.key)
        .long(setting.flag)
        .visible_aliases(setting.aliases)
        .env(setting.env())
        .value_name(setting.value_name)
        .help(setting.help_text())
        .hide_env_values(setting.secret);
    // Completions offer paths for files and directories, as they did for typed path flags.
    if matches!(setting.value_name, "FILE" | "DIR") {
        arg = arg.value_hint(clap::ValueHint::AnyPath);
    }
    arg = match setting.form {
        Form::Switch => arg
            .value_parser(clap::builder::PossibleValuesParser::new(["true", "false"]))
            .num_args(0..=1)
            .default_missing_value("true")
            .action(clap::ArgAction::Set),
        Form::Single => arg.action(clap::ArgAction::Set),
        Form::Repeated { comma_separated } => {
            let arg = arg.action(clap::ArgAction::Append);
            if comma_separated {
                arg.value_delimiter(',')
            } else {
                arg
            }
        }
    };
    arg
}

/// The settings that are flags of `belfry agent` itself (the global `--http-addr` is the root
/// command's).
fn agent_settings() -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().filter(|s| s.scope != Scope::Global)
}

impl clap::Args for AgentArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.args(agent_settings().map(setting_arg))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for AgentArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut args = AgentArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        for setting in agent_settings() {
            let Ok(Some(values)) = matches.try_get_many::<String>(setting.key) else {
                continue;
            };
            let values: Vec<String> = values.cloned().collect();
            if setting.scope == Scope::FlagOnly {
                self.config = values.last().map(std::path::PathBuf::from);
            } else {
                self.given.retain(|(s, _)| s.key != setting.key);
                self.given.push((setting, values));
            }
        }
        Ok(())
    }
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
    /// After restarting NODE on the new version: wait until it is alive and, for a server, a
    /// caught-up voter (not a learner) in a healthy cluster; progress on a terminal. Exit 1 on
    /// timeout
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
        #[command(flatten)]
        key: ArchiveKey,
    },
    /// Verify an archive (checksums, every row, and the signature when given the cluster key)
    /// and show what it holds (offline)
    Inspect {
        file: std::path::PathBuf,
        /// Print JSON
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        key: ArchiveKey,
        /// Refuse a member (state.snap, jobs.json) larger than this, decompressed
        #[arg(long, value_name = "BYTES", default_value_t = belfry::consensus::backup::DEFAULT_MAX_MEMBER)]
        max_size: u64,
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
        #[command(flatten)]
        key: ArchiveKey,
        /// Restore an archive whose signature cannot be checked (unsigned, or no key given)
        #[arg(long)]
        allow_unsigned: bool,
        /// Refuse a member (state.snap, jobs.json) larger than this, decompressed
        #[arg(long, value_name = "BYTES", default_value_t = belfry::consensus::backup::DEFAULT_MAX_MEMBER)]
        max_size: u64,
    },
}

/// The cluster key archives are signed with (`save`) and checked against (`inspect`,
/// `restore`).
#[derive(Debug, Args)]
pub struct ArchiveKey {
    /// Cluster key (base64, as given to the agent's --encrypt): signs the archive on save,
    /// verifies its signature on inspect and restore
    #[arg(
        long = "encrypt",
        env = "BELFRY_ENCRYPT",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub encrypt: Option<String>,

    /// The agent's config file: its `encrypt` key is used when --encrypt is not given
    #[arg(long = "config", value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
}

impl ArchiveKey {
    /// The decoded key, if one was given (`--encrypt`/`BELFRY_ENCRYPT`, else the config file's
    /// `encrypt`).
    pub fn bytes(&self) -> Result<Option<Vec<u8>>, Failure> {
        let from_file = match (&self.encrypt, &self.config) {
            (None, Some(path)) => belfry::config::load_file(path)
                .map_err(|e| Failure::usage(e.to_string()))?
                .layer
                .encrypt
                .clone(),
            _ => None,
        };
        match self.encrypt.as_deref().or(from_file.as_deref()) {
            None | Some("") => Ok(None),
            Some(text) => belfry::config::parse_key(text)
                .map(Some)
                .map_err(|e| Failure::usage(format!("--encrypt: {e}"))),
        }
    }
}

/// `belfry top`: reads the cluster through the HTTP API at --http-addr, and moves to another
/// server if that node stops answering.
#[derive(Debug, Args)]
#[command(
    after_help = "Keys: ? help, p problems, T trends, tab panes, ↑↓/jk move, / filter, \
s/S sort, enter details (on an execution: its output), f a job's last failure, z zoom, \
m mouse on/off, r run, t toggle, d demote (each asks first), esc closes a view, q quits."
)]
pub struct TopArgs {
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
pub enum AclCommand {
    /// Create the cluster's first management token (once per cluster, no token needed) and
    /// print its secret, which is shown only this once
    Bootstrap {
        /// Print JSON (accessor, secret, role, created_at)
        #[arg(long)]
        json: bool,
    },
    /// Create, list and delete tokens (needs a management token)
    #[command(subcommand)]
    Token(AclTokenCommand),
    /// List the fixed roles and the permissions each holds
    Roles {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AclTokenCommand {
    /// Create a token and print its accessor and secret (the secret is shown only this once)
    Create {
        /// management, operator, job-writer or read-only (see `belfry acl roles`)
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// job-writer only: job names it may write start with PREFIX (repeatable)
        #[arg(long, value_name = "PREFIX")]
        prefix: Vec<String>,
        /// job-writer only: jobs it may write carry this metadata (repeatable, all must match)
        #[arg(long, value_name = "KEY=VALUE")]
        selector: Vec<String>,
        /// What the token is for
        #[arg(long, value_name = "TEXT", default_value = "")]
        description: String,
        /// Print JSON (includes the secret)
        #[arg(long)]
        json: bool,
    },
    /// List tokens: accessor, role, scope, description, creation time (never secrets)
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Delete a token by its accessor id; it stops working at once
    Delete {
        accessor: String,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
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
    /// Remove a server from the Raft configuration (a live one only with --force)
    RemovePeer {
        /// Node name or hex Raft id
        node: String,
        /// Remove a server gossip sees alive: it is kept out for 60 s, then added back as a
        /// learner unless it stopped or became an agent (to keep it running outside Raft, use
        /// `belfry demote`)
        #[arg(long)]
        force: bool,
    },
    /// Hand leadership to NODE, or to the most caught-up voter
    TransferLeadership {
        /// Node name
        node: Option<String>,
    },
    /// On a STOPPED server whose cluster lost its quorum for good: make the surviving servers
    /// the only voters (Consul's peers.json). See docs/operations.md before using it
    Recover {
        /// The stopped server's data dir
        #[arg(long, value_name = "DIR")]
        data_dir: std::path::PathBuf,
        /// The surviving servers that become the voters (names or hex ids) [default: this node]
        #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
        voters: Vec<String>,
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
    /// Run a job now, wait for it to finish on every target node, print each node's result
    Run {
        name: String,
        /// Print JSON (the run's executions, one per node)
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
    /// List a job's executions, newest first; with --output ID, print that execution's output
    Executions {
        name: String,
        /// Print the output of this execution (an id from the list) and nothing else
        #[arg(long, value_name = "ID")]
        output: Option<String>,
        /// Executions to list
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON (the executions, or with --output the one execution)
        #[arg(long)]
        json: bool,
    },
    /// Create or update jobs from a file: one job or a list, YAML or JSON. Idempotent (an
    /// unchanged job is not written); every job is checked before any is written
    Apply {
        /// The file (`-`: standard input)
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: std::path::PathBuf,
        /// Show what would change, field by field (`field: old → new`), and change nothing
        #[arg(long)]
        dry_run: bool,
        /// Print JSON: every job's action, its changed fields, and the totals
        #[arg(long)]
        json: bool,
    },
    /// Pause a job, or resume a paused one (Dkron's toggle: ticks while paused are not run)
    Toggle {
        name: String,
        /// Print JSON (the job after the toggle)
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
        /// The JSON file to import (`-`: standard input)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    /// `belfry agent`'s flags and the global `--http-addr` are the settings table's rows, one
    /// for one: the same names, aliases, variables, placeholders and help with the default.
    #[test]
    fn agent_flags_are_the_settings_table() {
        let root = command();
        let agent = root.find_subcommand("agent").unwrap();
        let args: Vec<&clap::Arg> = agent
            .get_arguments()
            .filter(|a| a.get_id() != "help")
            .collect();
        let rows: Vec<&Setting> = SETTINGS
            .iter()
            .filter(|s| s.scope != Scope::Global)
            .collect();
        assert_eq!(args.len(), rows.len(), "an agent flag outside the table");
        let http = root
            .get_arguments()
            .find(|a| a.get_id() == "http_addr")
            .unwrap();
        let mut pairs: Vec<(&clap::Arg, &Setting)> = vec![(http, http_addr_setting())];
        for arg in args {
            let long = arg.get_long().unwrap();
            let row = belfry::config::settings::by_flag(long)
                .unwrap_or_else(|| panic!("--{long} is not in the settings table"));
            pairs.push((arg, row));
        }
        for (arg, row) in pairs {
            let long = arg.get_long().unwrap();
            assert_eq!(long, row.flag);
            let aliases: Vec<&str> = arg.get_visible_aliases().unwrap_or_default();
            assert_eq!(aliases, row.aliases, "--{long}");
            assert_eq!(
                arg.get_env().and_then(|e| e.to_str()),
                Some(row.env().as_str()),
                "--{long}"
            );
            assert_eq!(
                arg.get_help().map(|h| h.to_string()),
                Some(row.help_text()),
                "--{long}"
            );
            let names: Vec<&str> = arg
                .get_value_names()
                .unwrap_or_default()
                .iter()
                .map(|n| n.as_str())
                .collect();
            assert_eq!(names, [row.value_name], "--{long}");
            assert_eq!(arg.is_hide_env_values_set(), row.secret, "--{long}");
        }
    }

    /// Every setting's example given as its flag reaches the same layer as the table reads it
    /// (switches, repeated and comma-separated flags included).
    #[test]
    fn agent_flags_parse_into_the_settings_layer() {
        use belfry::config::settings::layer_from_values;
        for row in SETTINGS.iter().filter(|s| s.scope == Scope::Agent) {
            let flag = format!("--{}={}", row.flag, row.example);
            let cli = Cli::try_parse_from(["belfry", "agent", &flag])
                .unwrap_or_else(|e| panic!("{flag}: {e}"));
            let Command::Agent(args) = cli.command else {
                panic!("{flag}: not agent");
            };
            let layer = crate::agent::layer_from_flags(&args, None).unwrap();
            let expected = layer_from_values([(row, vec![row.example.to_string()])]).unwrap();
            assert_eq!(layer, expected, "{flag}");
        }
        let cli = Cli::try_parse_from(["belfry", "agent", "--server", "--tag", "a=1,b=2"]).unwrap();
        let Command::Agent(args) = cli.command else {
            panic!("not agent");
        };
        let layer = crate::agent::layer_from_flags(&args, Some("127.0.0.1:9".into())).unwrap();
        assert_eq!(layer.server, Some(true));
        assert_eq!(layer.tags.unwrap().len(), 2);
        assert_eq!(layer.http_addr.as_deref(), Some("127.0.0.1:9"));
        let cli = Cli::try_parse_from(["belfry", "agent", "--rpc-port", "x"]).unwrap();
        let Command::Agent(args) = cli.command else {
            panic!("not agent");
        };
        let e = crate::agent::layer_from_flags(&args, None).unwrap_err();
        assert_eq!(
            e.message,
            "--rpc-port: expected a non-negative integer, got \"x\""
        );
    }
}
