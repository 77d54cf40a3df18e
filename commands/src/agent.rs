//! `belfry agent`: resolve the configuration, set up logging, run the engine until a signal.

use belfry::config::{self, ConfigLayer};

use crate::cli::AgentArgs;
use crate::failure::Failure;

/// The layer the command line and the `BELFRY_*` variables give (the global `--http-addr`
/// included).
pub fn layer_from_flags(
    args: &AgentArgs,
    http_addr: Option<String>,
) -> Result<ConfigLayer, Failure> {
    let http_addr = http_addr.map(|addr| (crate::cli::http_addr_setting(), vec![addr]));
    config::settings::layer_from_values(args.given.iter().cloned().chain(http_addr))
        .map_err(|e| Failure::usage(e.to_string()))
}

fn init_logging(level: &str, format: &str) {
    let level = match level {
        "fatal" | "panic" => "error",
        other => other,
    };
    use tracing_subscriber::filter::FilterExt;
    use tracing_subscriber::layer::{Layer, SubscriberExt};
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_from_env("BELFRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{level},openraft=warn")));
    let repeated = RepeatedWarnings::default();
    repeated.report_suppressed();
    let filter = filter.and(repeated);
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let _ = if format == belfry::config::LOG_FORMAT_JSON {
        tracing_subscriber::registry()
            .with(layer.json().with_filter(filter))
            .try_init()
    } else {
        // Colour codes only for a person at a terminal: a file, a pipe or journald gets
        // plain text, and so does anyone who set NO_COLOR (https://no-color.org).
        let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        tracing_subscriber::registry()
            .with(layer.with_ansi(colour).with_filter(filter))
            .try_init()
    };
}

/// How often one warning (one place in the code, one message text) may be logged.
const REPEAT_WARNING_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The target of the lines that count suppressed warnings (never limited themselves).
const SUPPRESSED_TARGET: &str = "belfry::log";

/// Lets each distinct warning (same place in the code, same text) through at most once every
/// [`REPEAT_WARNING_EVERY`] and counts the rest; every [`REPEAT_WARNING_EVERY`] one line says
/// how many were suppressed. A leader that cannot reach its voters (they are stopping too)
/// would otherwise log the same failure many times a second, for as long as they are gone.
#[derive(Default, Clone)]
struct RepeatedWarnings {
    seen: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<WarningKey, WarningSeen>>>,
}

type WarningKey = (tracing::callsite::Identifier, String);

struct WarningSeen {
    last_logged: std::time::Instant,
    suppressed: u64,
}

/// The text of an event: its message and fields, as the log line would show them.
#[derive(Default)]
struct EventText(String);

impl tracing::field::Visit for EventText {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?} ");
        } else {
            let _ = write!(self.0, "{}={value:?} ", field.name());
        }
    }
}

impl RepeatedWarnings {
    fn limits(meta: &tracing::Metadata<'_>) -> bool {
        meta.is_event()
            && *meta.level() == tracing::Level::WARN
            && meta.target() != SUPPRESSED_TARGET
    }

    /// Every [`REPEAT_WARNING_EVERY`], logs the count of each suppressed warning (from a
    /// thread of its own: an event cannot be logged from inside the filter).
    fn report_suppressed(&self) {
        let seen = self.seen.clone();
        let _ = std::thread::Builder::new()
            .name("log-limit".into())
            .spawn(move || loop {
                std::thread::sleep(REPEAT_WARNING_EVERY);
                let mut counts = Vec::new();
                {
                    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                    for ((_, text), w) in seen.iter_mut() {
                        if w.suppressed > 0 {
                            counts.push((text.clone(), w.suppressed));
                            w.suppressed = 0;
                        }
                    }
                    // Forget warnings not seen for a while, so the map stays small.
                    seen.retain(|_, w| w.last_logged.elapsed() < REPEAT_WARNING_EVERY * 30);
                }
                for (text, n) in counts {
                    tracing::warn!(target: SUPPRESSED_TARGET, suppressed = n, "repeated warning not logged again: {}", text.trim_end());
                }
            });
    }
}

impl<S> tracing_subscriber::layer::Filter<S> for RepeatedWarnings {
    fn enabled(
        &self,
        _: &tracing::Metadata<'_>,
        _: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        true
    }

    fn event_enabled(
        &self,
        event: &tracing::Event<'_>,
        _: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        let meta = event.metadata();
        if !Self::limits(meta) {
            return true;
        }
        let mut text = EventText::default();
        event.record(&mut text);
        let key = (meta.callsite(), text.0);
        let now = std::time::Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        match seen.get_mut(&key) {
            Some(w) if now.duration_since(w.last_logged) < REPEAT_WARNING_EVERY => {
                w.suppressed += 1;
                false
            }
            Some(w) => {
                w.last_logged = now;
                true
            }
            None => {
                seen.insert(
                    key,
                    WarningSeen {
                        last_logged: now,
                        suppressed: 0,
                    },
                );
                true
            }
        }
    }

    fn callsite_enabled(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if Self::limits(meta) {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::always()
        }
    }
}

/// Flags and environment over the config file, resolved and checked: the configuration, the
/// notification warnings and the config file's inert Dkron keys.
fn load(
    args: &AgentArgs,
    http_addr: Option<String>,
) -> Result<(config::AgentConfig, Vec<String>, Vec<String>), Failure> {
    let flags = layer_from_flags(args, http_addr)?;
    let (file, inert) = match &args.config {
        Some(path) => {
            let f = config::load_file(path).map_err(|e| Failure::usage(e.to_string()))?;
            (f.layer, f.inert_keys)
        }
        None => (ConfigLayer::default(), Vec::new()),
    };
    let config = config::resolve(flags.over(file)).map_err(|e| Failure::usage(e.to_string()))?;
    let notify = belfry::agent::check_config(&config).map_err(|e| Failure::usage(e.to_string()))?;
    Ok((config, notify.warnings, inert))
}

pub fn run(args: AgentArgs, http_addr: Option<String>) -> Result<(), Failure> {
    let (config, notify_warnings, inert) = load(&args, http_addr.clone())?;
    // The secrets are parsed: drop them from the environment so nothing started later (jobs,
    // crash reporters) inherits them. SIGHUP re-reads from `args`,
    // which clap filled from the environment already.
    for name in config::secret_env_names() {
        // SAFETY: no other thread exists yet; the runtime and logging start below.
        unsafe { std::env::remove_var(name) };
    }
    init_logging(&config.log_level, &config.log_format);
    if config.security.insecure_http && !config.http_addr.ip().is_loopback() {
        tracing::warn!(
            http = %config.http_addr,
            "--insecure-http: the HTTP API is open to every host that reaches {} (no ACLs, no client certificates): anyone there can run commands on every node",
            config.http_addr
        );
    }
    for key in inert {
        tracing::warn!(%key, "config key accepted for Dkron compatibility but not in effect in this version");
    }
    for warning in &notify_warnings {
        tracing::warn!("notifications: {warning}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start the runtime: {e}")))?;
    let signals = stop_signals(&runtime);
    let (reload_tx, reload_rx) = tokio::sync::mpsc::unbounded_channel();
    // Installed now, like the stop signals: SIGHUP's default action would end the process.
    let hup = {
        let _context = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    };
    runtime.spawn(async move {
        let Ok(mut hup) = hup else {
            return;
        };
        while hup.recv().await.is_some() {
            // SIGHUP re-reads the configuration and applies only the tags, as Dkron does.
            match load(&args, http_addr.clone()) {
                Ok((c, _, _)) => {
                    let _ = reload_tx.send(c.tags);
                }
                Err(e) => tracing::error!("SIGHUP: configuration not reloaded: {}", e.message),
            }
        }
    });
    runtime
        .block_on(belfry::agent::run(
            config,
            shutdown_signal(signals),
            reload_rx,
        ))
        .map_err(|e| match e {
            belfry::agent::AgentError::Config(m) => Failure::usage(m),
            belfry::agent::AgentError::Runtime(m) => Failure::failed(m),
        })
}

/// Resolves on the first SIGINT or SIGTERM.
type StopSignals = Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>;

/// SIGTERM and SIGINT handlers, installed as soon as the runtime exists: a signal that came
/// while the node was still opening its stores used to kill it outright (exit by signal).
fn stop_signals(runtime: &tokio::runtime::Runtime) -> StopSignals {
    use tokio::signal::unix::{SignalKind, signal};
    let _context = runtime.enter();
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(term), Ok(int)) => Some((term, int)),
        _ => None,
    }
}

async fn shutdown_signal(signals: StopSignals) {
    let Some((mut term, mut int)) = signals else {
        // Without signal handlers, fall back to Ctrl-C only.
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
    // A second signal means "now": the running jobs are killed (a restart records them as
    // interrupted) and the process exits without waiting for the grace period or the cluster.
    // What is committed is on disk already (every write is a redb commit), so nothing is lost.
    tokio::spawn(async move {
        let code = tokio::select! {
            _ = term.recv() => 128 + libc_signal::SIGTERM,
            _ = int.recv() => 128 + libc_signal::SIGINT,
        };
        let killed = belfry::node::executor::shell::kill_every_job_now();
        tracing::warn!(
            killed_jobs = killed,
            "second signal: stopping now, without waiting for running jobs or the cluster"
        );
        std::process::exit(code);
    });
}

/// The signal numbers the exit code of a forced stop is made of (128 + signal, as shells do).
mod libc_signal {
    pub const SIGINT: i32 = 2;
    pub const SIGTERM: i32 = 15;
}
