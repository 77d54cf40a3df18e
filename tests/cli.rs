//! The operator CLI against a running node: tables for people, JSON for scripts, and
//! documented exit codes.

use crate::support::*;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_commands_and_exit_codes() {
    let node = Node::start(&[]).await;
    let addr = node.addr();
    let client = node.client();
    client
        .put_job(&shell_job("ok", "@manually", "echo fine"))
        .await
        .unwrap();
    client
        .put_job(&shell_job("bad", "@manually", "echo broken; exit 3"))
        .await
        .unwrap();
    let run = |args: &[&str]| {
        let mut a = vec!["--http-addr", addr.as_str()];
        a.extend_from_slice(args);
        cli(&a, &[], None)
    };

    let (code, out, _) = run(&["jobs", "list"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("NAME"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("ok ")), "{out}");

    let (code, out, _) = run(&["jobs", "list", "--json"]);
    assert_eq!(code, 0);
    let jobs: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(jobs.len(), 2);

    let (code, out, _) = run(&["jobs", "run", "ok"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("success") && out.contains("fine"), "{out}");

    let (code, out, _) = run(&["jobs", "run", "bad", "--json"]);
    assert_eq!(code, 4, "a failed run exits 4: {out}");
    let e: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        e[0]["exit_code"], 3,
        "a list, one execution per node: {out}"
    );

    let (code, out, _) = run(&["jobs", "show", "ok", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["job"]["name"], "ok");
    assert_eq!(v["executions"].as_array().unwrap().len(), 1);

    let (code, out, _) = run(&["jobs", "show", "ok"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Schedule:") && out.contains("EXECUTION"),
        "{out}"
    );

    let (code, _, err) = run(&["jobs", "show", "nope"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not found: job \"nope\""), "{err}");

    let (code, out, _) = run(&["jobs", "delete", "ok"]);
    assert_eq!((code, out.trim()), (0, "Deleted job ok"));
    let (code, _, _) = run(&["jobs", "delete", "ok"]);
    assert_eq!(code, 3);

    // Through the environment too.
    let (code, out, _) = cli(
        &["jobs", "list", "--json"],
        &[("BELFRY_HTTP_ADDR", &addr)],
        None,
    );
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&out)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_a_monitoring_check_with_its_verdict_as_exit_code() {
    let node = Node::start(&[]).await;
    let addr = node.addr();
    let (code, out, err) = cli(&["--http-addr", &addr, "health"], &[], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("HEALTHY: leader "), "{out}");
    assert!(
        out.contains("NODE") && out.contains("CLOCK") && out.contains("BACKLOG"),
        "{out}"
    );
    let (code, out, _) = cli(&["--http-addr", &addr, "health", "--json"], &[], None);
    assert_eq!(code, 0);
    let h: belfry::model::ClusterHealth = serde_json::from_str(&out).unwrap();
    assert_eq!(h.voters, 1);
    // Nothing answering is an error (2), not a degraded cluster (1).
    let port = free_port();
    let (code, _, err) = cli(
        &["--http-addr", &format!("127.0.0.1:{port}"), "health"],
        &[],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no health from"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_apply_creates_updates_and_shows_field_diffs_idempotently() {
    let node = Node::start(&[]).await;
    let addr = node.addr();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jobs.yml");
    let file_s = file.to_str().unwrap();
    let apply = |args: &[&str]| {
        let mut a = vec!["--http-addr", addr.as_str(), "jobs", "apply", "-f", file_s];
        a.extend_from_slice(args);
        cli(&a, &[], None)
    };
    std::fs::write(
        &file,
        "- name: backup\n  schedule: '@daily'\n  executor: shell\n  executor_config:\n    command: echo one\n\
         - name: report\n  schedule: '@hourly'\n  executor: shell\n  executor_config:\n    command: 'true'\n",
    )
    .unwrap();
    let (code, out, err) = apply(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 created, 0 updated, 0 unchanged"), "{out}");
    let (code, out, _) = apply(&[]);
    assert_eq!(code, 0);
    assert!(out.starts_with("Nothing to change: 2 jobs"), "{out}");
    // One job on its own (a mapping, not a list), changed: the dry run names the field.
    std::fs::write(
        &file,
        "name: backup\nschedule: '@hourly'\nexecutor: shell\nexecutor_config:\n  command: echo one\n",
    )
    .unwrap();
    let (code, out, _) = apply(&["--dry-run"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("would update  backup"), "{out}");
    assert!(out.contains("schedule: \"@daily\" → \"@hourly\""), "{out}");
    let client = node.client();
    assert_eq!(client.job("backup").await.unwrap().schedule, "@daily");
    let (code, out, _) = apply(&[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(client.job("backup").await.unwrap().schedule, "@hourly");
    // Bad input: named, nothing written — not even the good job beside it.
    std::fs::write(
        &file,
        "- name: fresh\n  schedule: '@daily'\n  executor: shell\n  executor_config:\n    command: 'true'\n\
         - name: broken\n  schedule: 'every tuesday-ish'\n  executor: shell\n",
    )
    .unwrap();
    let (code, _, err) = apply(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("jobs.yml") && err.contains("broken"), "{err}");
    assert!(client.job("fresh").await.is_err(), "nothing was written");
    std::fs::write(&file, "not: [valid").unwrap();
    let (code, _, err) = apply(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not YAML or JSON"), "{err}");
}

/// `belfry version | head -0`, `belfry health | head -3`: a reader that closes the pipe early
/// ends the command quietly, as `yes | head` does, instead of a Rust panic about a broken pipe.
#[test]
fn a_closed_output_pipe_ends_a_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader); // closed before the command writes its first line
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_belfry"))
        .arg("version")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "{:?} {err}",
        out.status
    );
}

#[test]
fn unreachable_cluster_exits_1_and_version_prints() {
    let port = free_port();
    let (code, _, err) = cli(
        &["--http-addr", &format!("127.0.0.1:{port}"), "jobs", "list"],
        &[],
        None,
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with("belfry: cannot reach belfry at http://127.0.0.1:"),
        "{err}"
    );
    let (code, out, _) = cli(&["version", "--json"], &[], None);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn checked_in_completions_and_man_pages_are_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let fresh = tempfile::tempdir().unwrap();
    let (code, _, err) = cli(&["generate", fresh.path().to_str().unwrap()], &[], None);
    assert_eq!(code, 0, "{err}");
    for sub in ["completions", "man"] {
        let mut names: Vec<_> = std::fs::read_dir(fresh.path().join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        let mut checked_in: Vec<_> = std::fs::read_dir(root.join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        checked_in.sort();
        assert_eq!(
            names, checked_in,
            "{sub}/ differs: run `cargo run -- generate .`"
        );
        for name in names {
            let want = std::fs::read(fresh.path().join(sub).join(&name)).unwrap();
            let have = std::fs::read(root.join(sub).join(&name)).unwrap();
            assert!(
                want == have,
                "{sub}/{name:?} is stale: run `cargo run -- generate .`"
            );
        }
    }
    let (code, out, _) = cli(&["completions", "bash"], &[], None);
    assert_eq!(code, 0);
    assert!(out.contains("belfry"));
    // Pages carry their examples and point to their parent and subcommands.
    let apply = std::fs::read_to_string(fresh.path().join("man/belfry-jobs-apply.1")).unwrap();
    assert!(
        apply.contains(".SH EXAMPLES") && apply.contains("belfry jobs apply -f jobs.yml --dry-run"),
        "{apply}"
    );
    assert!(
        apply.contains(".SH \"SEE ALSO\"\nbelfry-jobs(1)"),
        "{apply}"
    );
    let jobs = std::fs::read_to_string(fresh.path().join("man/belfry-jobs.1")).unwrap();
    assert!(jobs.contains("belfry(1), belfry-jobs-list(1)"), "{jobs}");
    // The same examples in --help.
    let (_, help, _) = cli(&["jobs", "apply", "--help"], &[], None);
    assert!(help.contains("Examples:\n  belfry jobs apply"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_export_and_import_round_trip_idempotently() {
    let source = Node::start(&[]).await;
    let client = source.client();
    client
        .put_job(&shell_job("mom", "@daily", "true"))
        .await
        .unwrap();
    let mut kid = shell_job("kid", "", "echo kid");
    kid.parent_job = "mom".into();
    client.put_job(&kid).await.unwrap();
    client
        .put_job(&shell_job("alone", "@hourly", "true"))
        .await
        .unwrap();
    client.run_job("alone").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jobs.json");
    let file_s = file.to_str().unwrap();
    let at = |node: &Node, args: &[&str]| {
        let addr = node.addr();
        let mut a = vec!["--http-addr", addr.as_str()];
        a.extend_from_slice(args);
        cli(&a, &[], None)
    };
    let (code, _, err) = at(&source, &["jobs", "export", "-o", file_s]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    // Sorted by name, without the counters that change on every run.
    let names: Vec<String> = serde_json::from_str::<Vec<serde_json::Value>>(&text)
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["alone", "kid", "mom"]);
    assert!(text.contains("\"success_count\": 0"), "{text}");
    let (_, again, _) = at(&source, &["jobs", "export"]);
    assert_eq!(again, text, "stable output");

    // Into an empty cluster: parents before children; then a second import changes nothing.
    let target = Node::start(&[]).await;
    let (code, out, err) = at(&target, &["jobs", "import", file_s, "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("would create") && out.contains("Dry run: 3 created"),
        "{out}"
    );
    assert!(
        target.client().jobs().await.unwrap().is_empty(),
        "a dry run changes nothing"
    );
    let (code, out, err) = at(&target, &["jobs", "import", file_s]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 created, 0 updated, 0 unchanged"), "{out}");
    assert_eq!(
        target.client().job("mom").await.unwrap().dependent_jobs,
        ["kid"]
    );
    let (code, out, _) = at(&target, &["jobs", "import", file_s]);
    assert_eq!(code, 0);
    assert!(out.starts_with("Nothing to change: 3 jobs"), "{out}");
    // `-` reads standard input: an export piped straight in.
    let mut import = std::process::Command::new(BIN)
        .args(["--http-addr", &target.addr(), "jobs", "import", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut import.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let piped = import.wait_with_output().unwrap();
    assert!(piped.status.success());
    assert!(
        String::from_utf8_lossy(&piped.stdout).starts_with("Nothing to change: 3 jobs"),
        "{piped:?}"
    );
    // `jobs executions` lists a job's runs; --output prints the chosen one's output.
    target.client().run_job("kid").await.unwrap();
    let (code, out, err) = at(&target, &["jobs", "executions", "kid", "--json"]);
    assert_eq!(code, 0, "{err}");
    let runs: Vec<belfry::model::Execution> = serde_json::from_str(&out).unwrap();
    assert_eq!(runs.len(), 1, "{out}");
    let (code, out, _) = at(&target, &["jobs", "executions", "kid"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("EXECUTION") && out.contains(&runs[0].id),
        "{out}"
    );
    let (code, out, _) = at(
        &target,
        &["jobs", "executions", "kid", "--output", &runs[0].id],
    );
    assert_eq!((code, out.as_str()), (0, "kid\n"));
    let (code, _, _) = at(&target, &["jobs", "executions", "kid", "--output", "nope"]);
    assert_eq!(code, 3, "an unknown execution is exit 3");
    // `jobs toggle` pauses and resumes.
    let (code, out, _) = at(&target, &["jobs", "toggle", "mom"]);
    assert_eq!((code, out.trim()), (0, "Paused job mom"));
    assert!(target.client().job("mom").await.unwrap().disabled);
    let (code, out, _) = at(&target, &["jobs", "toggle", "mom"]);
    assert_eq!((code, out.trim()), (0, "Resumed job mom"));
    assert!(!target.client().job("mom").await.unwrap().disabled);
    let (code, _, _) = at(&target, &["jobs", "toggle", "nobody"]);
    assert_eq!(code, 3, "an unknown job is exit 3");

    // A changed definition updates one job; --prune deletes what the file does not name.
    target
        .client()
        .put_job(&shell_job("stray", "@daily", "true"))
        .await
        .unwrap();
    std::fs::write(&file, text.replace("echo kid", "echo kid v2")).unwrap();
    let (code, out, _) = at(&target, &["jobs", "import", file_s, "--prune", "--json"]);
    assert_eq!(code, 0, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            report["created"].as_u64(),
            report["updated"].as_u64(),
            report["unchanged"].as_u64(),
            report["deleted"].as_u64()
        ),
        (Some(0), Some(1), Some(2), Some(1))
    );
    assert!(target.client().job("stray").await.is_err());

    // A bad file: every problem named, exit 2, nothing changed.
    std::fs::write(
        &file,
        r#"[{"name":"Bad Name","schedule":"@daily","executor":"shell","executor_config":{"command":"true"}},
            {"name":"newone","schedule":"@daily","executor":"shell","executor_config":{"command":"true"}}]"#,
    )
    .unwrap();
    let (code, _, err) = at(&target, &["jobs", "import", file_s]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("Bad Name") && err.contains("nothing imported"),
        "{err}"
    );
    assert!(target.client().job("newone").await.is_err());
}

/// `belfry __complete` with these arguments; its exit code, output and how long it took.
fn complete(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, Duration) {
    let started = Instant::now();
    let (code, out, _) = cli(args, envs, None);
    (code, out, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_names_come_from_the_running_cluster_with_the_commands_options() {
    let node = Node::start(&["--acl-enabled"]).await;
    let addr = node.addr();
    let boot = node.client().acl_bootstrap().await.unwrap();
    let token = boot.secret.clone();
    let client = node.client().with_token(Some(&token));
    for name in ["report", "backup"] {
        client
            .put_job(&shell_job(name, "@manually", "true"))
            .await
            .unwrap();
    }
    let (code, out, _) = complete(
        &[
            "--http-addr",
            &addr,
            "--token",
            &token,
            "__complete",
            "jobs",
        ],
        &[],
    );
    assert_eq!((code, out.as_str()), (0, "backup\nreport\n"));
    // The same options from the environment, as every client command takes them.
    let env = [
        ("BELFRY_HTTP_ADDR", addr.as_str()),
        ("BELFRY_TOKEN", &token),
    ];
    let (code, out, _) = complete(&["__complete", "nodes"], &env);
    assert_eq!((code, out.as_str()), (0, "node-a\n"));
    // Without the token the cluster refuses: nothing to offer, and no error in the prompt.
    let (code, out, _) = complete(&["--http-addr", &addr, "__complete", "jobs"], &[]);
    assert_eq!((code, out.as_str()), (0, ""));

    // The line being completed decides which names, and carries the connection options.
    let line = |words: &[&str]| {
        let mut args = vec!["__complete", "after", "--"];
        args.extend_from_slice(words);
        complete(&args, &[])
    };
    let (code, out, _) = line(&["--http-addr", &addr, "--token", &token, "jobs", "run"]);
    assert_eq!((code, out.as_str()), (0, "backup\nreport\n"));
    let (code, out, _) = line(&["--http-addr", &addr, "--token", &token, "demote"]);
    assert_eq!((code, out.as_str()), (0, "node-a\n"));
    let (code, out, _) = line(&["--http-addr", &addr, "--token", &token, "jobs"]);
    assert_eq!((code, out.as_str()), (1, ""), "a subcommand is not a name");
    let text = format!("belfry --http-addr={addr} --token '{token}' raft remove-peer no");
    let (code, out, _) = complete(&["__complete", "line", &text], &[]);
    assert_eq!((code, out.as_str()), (0, "node-a\n"));

    // No cluster: nothing, exit 0, at once when the port is closed and after the one-second
    // limit when something accepts connections and never answers (without the limit it would
    // wait for ever; the upper bounds leave room to start a debug build on a busy machine).
    let closed = format!("127.0.0.1:{}", free_port());
    let (code, out, took) = complete(&["--http-addr", &closed, "__complete", "jobs"], &[]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert!(took < Duration::from_secs(5), "{took:?}");
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let (code, out, took) = complete(&["--http-addr", &silent_addr, "__complete", "jobs"], &[]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "a silent node is given a second, not more: {took:?}"
    );
}

/// Whether `shell` can be run; with CI=true it must be (.ci/run installs it).
fn shell_available(shell: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {shell}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{shell} is missing on CI: .ci/run installs it"
        );
        println!("notice: {shell} not found, its completion test skipped");
    }
    found
}

/// Runs `script` in `shell` with `belfry` (this build) first on PATH; its standard output.
fn in_shell(shell: &str, script: &str, envs: &[(&str, &str)]) -> String {
    let bin_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(BIN, bin_dir.path().join("belfry")).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = std::process::Command::new(shell);
    cmd.args(["-c", script])
        .env("PATH", path)
        .env_remove("BELFRY_HTTP_ADDR")
        .env_remove("BELFRY_TOKEN")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let out = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("{shell} did not finish within 30 s: {script}");
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{shell} failed: {stdout}{}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shells_complete_job_and_node_names_with_the_checked_in_scripts() {
    let node = Node::start(&[]).await;
    let addr = node.addr();
    for name in ["backup", "report", "rotate-logs"] {
        node.client()
            .put_job(&shell_job(name, "@manually", "true"))
            .await
            .unwrap();
    }
    let scripts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../completions");
    let script = |name: &str| scripts.join(name).display().to_string();

    // bash, as readline calls the function for `belfry … <TAB>`: the line up to the cursor,
    // its words (split at blanks and at `:` and `=`, as COMP_WORDBREAKS has it), the index of
    // the word under the cursor; COMPREPLY is what it offers.
    let bash = |line: &str| {
        let mut words: Vec<String> = Vec::new();
        for blank_separated in line.split(' ') {
            let mut word = String::new();
            for c in blank_separated.chars() {
                if c == ':' || c == '=' {
                    words.extend([std::mem::take(&mut word), c.to_string()]);
                } else {
                    word.push(c);
                }
            }
            words.push(word);
        }
        words.retain(|w| !w.is_empty());
        if line.ends_with(' ') {
            words.push(String::new());
        }
        let array: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        in_shell(
            "bash",
            &format!(
                r#"source '{}'
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
COMP_WORDS=({})
COMP_CWORD={}
_belfry belfry "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
                script("belfry.bash"),
                array.join(" "),
                words.len() - 1
            ),
            &[],
        )
    };
    let offered = bash(&format!("belfry --http-addr {addr} jobs run "));
    assert_eq!(offered, "backup\nreport\nrotate-logs\n");
    let offered = bash(&format!("belfry --http-addr {addr} jobs show r"));
    assert_eq!(offered, "report\nrotate-logs\n");
    let offered = bash(&format!("belfry --http-addr {addr} demote "));
    assert_eq!(offered, "node-a\n");
    // Elsewhere the generated completions answer: subcommands, options.
    let offered = bash(&format!("belfry --http-addr {addr} jobs "));
    assert!(
        offered.lines().any(|l| l == "toggle") && !offered.contains("backup"),
        "{offered}"
    );
    let offered = bash(&format!("belfry --http-addr {addr} jobs run --js"));
    assert_eq!(offered, "--json\n");
    // No cluster: nothing offered, promptly.
    let closed = format!("127.0.0.1:{}", free_port());
    assert_eq!(
        bash(&format!("belfry --http-addr {closed} jobs run ")),
        "\n"
    );

    // zsh: the completion system's `compadd` records what would be offered.
    if shell_available("zsh") {
        let zsh = |words: &str| {
            in_shell(
                "zsh",
                &format!(
                    r#"compdef() {{ : }}
compadd() {{ [[ "$1" == -- ]] && shift; print -l -- "$@" }}
source '{}'
words=({words})
CURRENT=${{#words}}
PREFIX="${{words[CURRENT]}}"
_belfry"#,
                    script("_belfry")
                ),
                &[("BELFRY_HTTP_ADDR", &addr)],
            )
        };
        assert_eq!(
            zsh("belfry jobs toggle ''"),
            "backup\nreport\nrotate-logs\n"
        );
        assert_eq!(zsh("belfry raft transfer-leadership ''"), "node-a\n");
    }

    // fish: `complete -C` prints what TAB would offer for a command line.
    if shell_available("fish") {
        let fish = |line: &str| {
            in_shell(
                "fish",
                &format!("source '{}'; complete -C '{line}'", script("belfry.fish")),
                &[("BELFRY_HTTP_ADDR", &addr)],
            )
        };
        assert_eq!(fish("belfry jobs delete "), "backup\nreport\nrotate-logs\n");
        assert_eq!(fish("belfry upgrade wait "), "node-a\n");
        let offered = fish("belfry jobs ");
        assert!(offered.contains("toggle"), "{offered}");
    }
}
