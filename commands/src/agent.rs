//! `belfry agent`: resolve the configuration, set up logging, run the engine until a signal.

use belfry::config::{self, ConfigLayer};
use belfry::notify::NotifyLayer;

use crate::cli::AgentArgs;
use crate::failure::Failure;

pub fn layer_from_flags(
    args: &AgentArgs,
    http_addr: Option<String>,
) -> Result<ConfigLayer, Failure> {
    let tags = if args.tags.is_empty() {
        None
    } else {
        Some(config::parse_tags(&args.tags).map_err(|e| Failure::usage(e.to_string()))?)
    };
    Ok(ConfigLayer {
        server: args.server,
        bootstrap_expect: args.bootstrap_expect,
        node_name: args.node_name.clone(),
        bind: args.bind.clone(),
        advertise: args.advertise.clone(),
        http_addr,
        rpc_port: args.rpc_port,
        data_dir: args.data_dir.clone(),
        tags,
        region: args.region.clone(),
        datacenter: args.datacenter.clone(),
        log_level: args.log_level.clone(),
        output_limit: args.output_limit,
        history_limit: args.history_limit,
        shutdown_grace: args.shutdown_grace.clone(),
        join: (!args.join.is_empty()).then(|| args.join.clone()),
        retry_join: (!args.retry_join.is_empty()).then(|| args.retry_join.clone()),
        retry_interval: args.retry_interval.clone(),
        retry_max: args.retry_max,
        encrypt: args.encrypt.clone(),
        dead_server_timeout: args.dead_server_timeout.clone(),
        raft_multiplier: args.raft_multiplier,
        notify: NotifyLayer {
            mail_host: args.mail_host.clone(),
            mail_port: args.mail_port,
            mail_username: args.mail_username.clone(),
            mail_password: args.mail_password.clone(),
            mail_from: args.mail_from.clone(),
            mail_payload: args.mail_payload.clone(),
            mail_subject_prefix: args.mail_subject_prefix.clone(),
            pre_webhook_endpoint: args.pre_webhook_endpoint.clone(),
            pre_webhook_payload: args.pre_webhook_payload.clone(),
            pre_webhook_headers: (!args.pre_webhook_headers.is_empty())
                .then(|| args.pre_webhook_headers.clone()),
            webhook_endpoint: args.webhook_endpoint.clone(),
            webhook_payload: args.webhook_payload.clone(),
            webhook_headers: (!args.webhook_headers.is_empty())
                .then(|| args.webhook_headers.clone()),
        },
        security: config::SecurityLayer {
            tls_cert: args.tls_cert.clone(),
            tls_key: args.tls_key.clone(),
            tls_client_ca: args.tls_client_ca.clone(),
            cors_allowed_origins: (!args.cors_allowed_origin.is_empty())
                .then(|| args.cors_allowed_origin.clone()),
            allowed_hosts: (!args.allowed_host.is_empty()).then(|| args.allowed_host.clone()),
            header_read_timeout: args.header_read_timeout.clone(),
            max_connections: args.max_connections,
            max_connections_per_ip: args.max_connections_per_ip,
            allow_su: args.allow_su,
        },
    })
}

fn init_logging(level: &str) {
    let level = match level {
        "fatal" | "panic" => "error",
        other => other,
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BELFRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{level},openraft=warn")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Flags and environment over the config file, resolved.
fn load(
    args: &AgentArgs,
    http_addr: Option<String>,
) -> Result<(config::AgentConfig, Vec<String>), Failure> {
    let flags = layer_from_flags(args, http_addr)?;
    let (file, inert) = match &args.config {
        Some(path) => {
            let f = config::load_file(path).map_err(|e| Failure::usage(e.to_string()))?;
            (f.layer, f.inert_keys)
        }
        None => (ConfigLayer::default(), Vec::new()),
    };
    let config = config::resolve(flags.over(file)).map_err(|e| Failure::usage(e.to_string()))?;
    Ok((config, inert))
}

pub fn run(args: AgentArgs, http_addr: Option<String>) -> Result<(), Failure> {
    let (config, inert) = load(&args, http_addr.clone())?;
    init_logging(&config.log_level);
    for key in inert {
        tracing::warn!(%key, "config key accepted for Dkron compatibility but not in effect in this version");
    }
    for warning in &config.notify.warnings {
        tracing::warn!("notifications: {warning}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start the runtime: {e}")))?;
    let (reload_tx, reload_rx) = tokio::sync::mpsc::unbounded_channel();
    runtime.spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            // SIGHUP re-reads the configuration and applies only the tags, as Dkron does.
            match load(&args, http_addr.clone()) {
                Ok((c, _)) => {
                    let _ = reload_tx.send(c.tags);
                }
                Err(e) => tracing::error!("SIGHUP: configuration not reloaded: {}", e.message),
            }
        }
    });
    runtime
        .block_on(belfry::agent::run(config, shutdown_signal(), reload_rx))
        .map_err(|e| match e {
            belfry::agent::AgentError::Config(m) => Failure::usage(m),
            belfry::agent::AgentError::Runtime(m) => Failure::failed(m),
        })
}

/// Resolves on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers, fall back to Ctrl-C only.
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
}
