//! Execution processors (a job's `processors`): what happens to an execution's output before
//! its result is stored. Dkron runs them on the leader; Belfry runs them on the node that ran
//! the execution, just before the result is queued for delivery, so `files` writes on that
//! node and `forward: "false"` keeps the output from ever crossing the network.
//!
//! - `log` (`forward`): prints the output to the node's log between
//!   `----- BEGIN OUTPUT job=… execution=… -----` and `----- END OUTPUT -----` (level info; warn
//!   for a failure). Not forwarded, the output stored is `Output in the belfry log of node NODE`.
//! - `files` (`forward`, `log_dir`: absolute, default `<data-dir>/output`): writes
//!   `<log_dir>/<job>/<execution id>.log`. Not forwarded, the output stored is the file's path.
//! - `syslog` (`forward`, `socket`: absolute, default `/dev/log`): sends each output line to
//!   syslog, in RFC 3164 as the C library sends it to the local socket (facility cron, severity
//!   info, err for a failure, tag `belfry`). Not forwarded: `Output in syslog of node NODE`.
//!
//! `forward` takes Go's boolean spellings (`true`, `false`, `1`, `0`, `t`, `f`, …) and, as in
//! Dkron, is false when absent. Every processor sees the output as the executor left it (in
//! Dkron each sees what the previous one left, in random order). When a processor fails (a
//! file that cannot be written, no syslog socket), the output is kept, with a note saying why.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::job::processor_settings::forward;
use crate::model::Execution;

/// The `files` processor's default `log_dir`, under the data dir.
pub const OUTPUT_DIR: &str = "output";

/// Where `syslog` sends unless its `socket` says otherwise.
pub const DEFAULT_SYSLOG_SOCKET: &str = "/dev/log";

/// Longest syslog message sent per line; longer lines are cut.
const SYSLOG_LINE_LIMIT: usize = 4096;

/// What the processors need from the node they run on.
#[derive(Debug, Clone)]
pub struct ProcessorContext {
    pub node: String,
    /// `files`'s `log_dir` when the job gives none.
    pub default_log_dir: PathBuf,
}

/// Runs a job's processors on a finished execution (blocking: file and socket I/O) and
/// returns the execution as it is to be stored.
pub fn run(
    processors: &BTreeMap<String, BTreeMap<String, String>>,
    execution: Execution,
    ctx: &ProcessorContext,
) -> Execution {
    if processors.is_empty() {
        return execution;
    }
    let mut notes = Vec::new();
    let mut keep = false;
    let mut problems = Vec::new();
    for (name, config) in processors {
        let outcome = match name.as_str() {
            "log" => {
                log(&execution);
                Ok(format!("Output in the belfry log of node {}", ctx.node))
            }
            "files" => files(config, &execution, ctx),
            "syslog" => syslog(config, &execution, ctx),
            other => Err(format!("processor {other:?} is not available")),
        };
        match outcome {
            Ok(note) if !forward(config) => notes.push(note),
            Ok(_) => keep = true,
            Err(e) => {
                let (job, id) = (&execution.job_name, &execution.id);
                tracing::warn!(%job, execution = %id, "processor {name}: {e}");
                problems.push(format!("[belfry] processor {name}: {e}"));
                keep = true;
            }
        }
    }
    let mut execution = execution;
    if !keep && !notes.is_empty() {
        execution.output = notes.join("\n");
        execution.output_truncated = false;
    }
    for p in problems {
        if !execution.output.is_empty() && !execution.output.ends_with('\n') {
            execution.output.push('\n');
        }
        execution.output.push_str(&p);
        execution.output.push('\n');
    }
    execution
}

fn log(execution: &Execution) {
    let block = format!(
        "----- BEGIN OUTPUT job={} execution={} -----\n{}{}----- END OUTPUT -----",
        execution.job_name,
        execution.id,
        execution.output,
        if execution.output.is_empty() || execution.output.ends_with('\n') {
            ""
        } else {
            "\n"
        }
    );
    if execution.success {
        tracing::info!(target: "belfry::node::processors::log", "{block}");
    } else {
        tracing::warn!(target: "belfry::node::processors::log", "{block}");
    }
}

fn files(
    config: &BTreeMap<String, String>,
    execution: &Execution,
    ctx: &ProcessorContext,
) -> Result<String, String> {
    // The job name and execution id become path components: never one that could leave
    // `log_dir` (a job stored before names were checked on every path, say).
    crate::job::validate::validate_name(&execution.job_name)
        .map_err(|e| format!("not written: job {e}"))?;
    if execution.id.contains(['/', '\0']) || execution.id.starts_with('.') {
        return Err(format!(
            "not written: execution id {:?} is not a file name",
            execution.id
        ));
    }
    let dir = match config.get("log_dir").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => ctx.default_log_dir.clone(),
    };
    let dir = std::path::absolute(&dir)
        .unwrap_or(dir)
        .join(&execution.job_name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.log", execution.id));
    std::fs::write(&path, execution.output.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

/// Syslog facility `cron` (9) times 8, plus the severity.
const CRON_INFO: u8 = 9 * 8 + 6;
const CRON_ERR: u8 = 9 * 8 + 3;

/// One RFC 3164 message as the C library's `syslog()` sends it to the local socket (no
/// hostname: the local daemon adds it).
pub fn syslog_message(priority: u8, at: chrono::DateTime<chrono::Local>, text: &str) -> String {
    format!(
        "<{priority}>{} belfry[{}]: {text}",
        at.format("%b %e %H:%M:%S"),
        std::process::id()
    )
}

fn syslog(
    config: &BTreeMap<String, String>,
    execution: &Execution,
    ctx: &ProcessorContext,
) -> Result<String, String> {
    let socket = config
        .get("socket")
        .filter(|s| !s.is_empty())
        .map_or(DEFAULT_SYSLOG_SOCKET, String::as_str);
    let sock = std::os::unix::net::UnixDatagram::unbound()
        .map_err(|e| format!("cannot open a socket: {e}"))?;
    sock.connect(socket)
        .map_err(|e| format!("cannot reach syslog at {socket}: {e}"))?;
    let priority = if execution.success {
        CRON_INFO
    } else {
        CRON_ERR
    };
    let now = chrono::Local::now();
    let prefix = format!("job={} execution={}: ", execution.job_name, execution.id);
    let mut lines: Vec<&str> = execution.output.lines().collect();
    if lines.is_empty() {
        lines.push("");
    }
    for line in lines {
        let mut text = format!("{prefix}{line}");
        if text.len() > SYSLOG_LINE_LIMIT {
            let mut cut = SYSLOG_LINE_LIMIT;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        sock.send(syslog_message(priority, now, &text).as_bytes())
            .map_err(|e| format!("cannot send to syslog at {socket}: {e}"))?;
    }
    Ok(format!("Output in syslog of node {}", ctx.node))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::processor_settings::validate;

    fn procs(items: &[(&str, &[(&str, &str)])]) -> BTreeMap<String, BTreeMap<String, String>> {
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
    }

    fn execution() -> Execution {
        Execution {
            id: "100-n".into(),
            job_name: "j".into(),
            success: true,
            output: "one\ntwo\n".into(),
            ..Execution::default()
        }
    }

    #[test]
    fn validation_names_processor_and_key() {
        assert!(validate(&procs(&[("log", &[("forward", "true")]), ("files", &[])])).is_ok());
        assert!(validate(&procs(&[("syslog", &[("reporting_node", "x")])])).is_ok());
        let e = validate(&procs(&[("fluent", &[])])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "fluent: is not available (available: files, log, syslog)"
        );
        let e = validate(&procs(&[("log", &[("forward", "yes")])])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "log: forward: \"yes\" is not \"true\" or \"false\""
        );
        let e = validate(&procs(&[("files", &[("log_dir", "rel/dir")])])).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("log_dir"));
        let e = validate(&procs(&[("syslog", &[("level", "debug")])])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "syslog: level: unknown key (known: forward, socket)"
        );
    }

    /// A job stored with a name that climbs out of `log_dir` (a restore from before names
    /// were checked everywhere) never gets a file written outside it.
    #[test]
    fn files_never_writes_outside_log_dir() {
        let dir = tempfile::tempdir().unwrap();
        let log_dir = dir.path().join("a/b/logs");
        let ctx = ProcessorContext {
            node: "n".into(),
            default_log_dir: log_dir.clone(),
        };
        for (job_name, id) in [("../../x", "100-n"), ("j", "../../../100-n")] {
            let e = Execution {
                job_name: job_name.into(),
                id: id.into(),
                ..execution()
            };
            let err = files(&BTreeMap::new(), &e, &ctx).unwrap_err();
            assert!(err.starts_with("not written"), "{err}");
        }
        assert!(!dir.path().join("a/x").exists());
        assert!(!log_dir.exists());
    }

    #[test]
    fn files_stores_the_path_unless_forwarded() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ProcessorContext {
            node: "n".into(),
            default_log_dir: dir.path().join("default"),
        };
        let out = run(&procs(&[("files", &[])]), execution(), &ctx);
        let path = dir.path().join("default/j/100-n.log");
        assert_eq!(out.output, path.display().to_string());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        let custom = dir.path().join("custom");
        let custom_s = custom.display().to_string();
        let out = run(
            &procs(&[("files", &[("log_dir", &custom_s), ("forward", "true")])]),
            execution(),
            &ctx,
        );
        assert_eq!(out.output, "one\ntwo\n");
        assert!(custom.join("j/100-n.log").exists());
        // A directory that cannot be made: the output is kept, with the reason.
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let blocked = blocker.display().to_string();
        let out = run(
            &procs(&[("files", &[("log_dir", &blocked)])]),
            execution(),
            &ctx,
        );
        assert!(
            out.output
                .starts_with("one\ntwo\n[belfry] processor files: cannot create"),
            "{}",
            out.output
        );
    }

    #[test]
    fn syslog_datagrams() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sock");
        let server = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        let ctx = ProcessorContext {
            node: "n".into(),
            default_log_dir: dir.path().into(),
        };
        let socket = path.display().to_string();
        let mut failed = execution();
        failed.success = false;
        let out = run(&procs(&[("syslog", &[("socket", &socket)])]), failed, &ctx);
        assert_eq!(out.output, "Output in syslog of node n");
        let mut buf = [0u8; 1024];
        for want in ["one", "two"] {
            let n = server.recv(&mut buf).unwrap();
            let msg = std::str::from_utf8(&buf[..n]).unwrap();
            assert!(msg.starts_with("<75>"), "{msg}");
            assert!(msg.contains(" belfry["), "{msg}");
            assert!(
                msg.ends_with(&format!("]: job=j execution=100-n: {want}")),
                "{msg}"
            );
        }
        // No socket there: the output stays, with the reason.
        let gone = dir.path().join("none.sock").display().to_string();
        let out = run(
            &procs(&[("syslog", &[("socket", &gone)])]),
            execution(),
            &ctx,
        );
        assert!(out.output.contains("cannot reach syslog"), "{}", out.output);
    }
}
