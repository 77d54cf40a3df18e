//! `belfry top` end to end: the real binary, in a real terminal (tmux), against three real
//! servers. The leader is SIGKILLed while the dashboard reads from it: the screen must move to
//! a survivor, name the new leader and show the failure tolerance dropping from 1 to 0; `p`
//! must list the dead server as a problem, and Esc must not quit. Then a SIGTERM must give the
//! terminal back as it was. The screen is read with `tmux capture-pane`
//! until it shows what is expected or a deadline passes.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{BIN, Node, cli, shell_job, three_servers_with};

/// A tmux server of its own (its own socket), so the test touches no one else's sessions;
/// killed, with everything in it, when dropped.
struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    /// Runs `shell_command` with `sh -c` in a detached `width` × `height` terminal.
    fn start(name: &str, width: u16, height: u16, shell_command: &str) -> Tmux {
        if let Err(e) = Command::new("tmux").arg("-V").output() {
            panic!("this test needs tmux (apt-get install tmux; .ci/run installs it): {e}");
        }
        let tmux = Tmux {
            socket: format!("belfry-{name}-{}", std::process::id()),
            session: name.into(),
        };
        let out = tmux
            .command()
            .args(["new-session", "-d", "-s", name])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["sh", "-c", shell_command])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket]);
        cmd
    }

    /// The text on screen now.
    fn screen(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `keys` into the pane (tmux key names: `p`, `Escape`).
    fn keys(&self, keys: &[&str]) {
        let out = self
            .command()
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux send-keys {keys:?} failed");
    }

    /// The pid of the process the pane runs (the `sh`).
    fn pane_pid(&self) -> u32 {
        let out = self
            .command()
            .args(["display-message", "-p", "-t", &self.session, "#{pane_pid}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }

    /// Polls the screen until `check` accepts it; panics with the last screen at `limit`.
    async fn wait_for(&self, what: &str, limit: Duration, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out after {limit:?} waiting for {what}; the screen:\n{screen}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

/// The header line that starts with `prefix`.
fn line<'a>(screen: &'a str, prefix: &str) -> &'a str {
    screen.lines().find(|l| l.starts_with(prefix)).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_follows_a_leader_failover_and_restores_the_terminal() {
    let (mut nodes, leader) = three_servers_with(&[]).await;
    let leader_name = nodes[leader].name.clone();
    let script = format!(
        "{BIN} top --http-addr={}; echo \"top exited with $?\"; stty -a; exec sleep 600",
        nodes[leader].addr()
    );
    let tmux = Tmux::start("top", 80, 24, &script);

    let before = tmux
        .wait_for(
            "the dashboard to show the leader and a failure tolerance of 1",
            Duration::from_secs(30),
            |s| {
                line(s, "Leader ").starts_with(&format!("Leader {leader_name} "))
                    && line(s, "Voters ").contains("tolerance 1 ")
            },
        )
        .await;
    assert!(
        line(&before, "Voters ").contains("Voters 3/3 alive"),
        "{before}"
    );
    assert!(before.contains("OK: 1 server may fail"), "{before}");

    nodes[leader].kill9();
    let killed = Instant::now();
    let after = tmux
        .wait_for(
            "the dashboard to show a new leader and a failure tolerance of 0",
            Duration::from_secs(20),
            |s| {
                let leader_line = line(s, "Leader ");
                !leader_line.starts_with(&format!("Leader {leader_name} "))
                    && !leader_line.starts_with("Leader none")
                    && nodes
                        .iter()
                        .any(|n| leader_line.starts_with(&format!("Leader {} ", n.name)))
                    && line(s, "Voters ").contains("tolerance 0 ")
                    // A leader elected a moment ago may not have heard from the other
                    // survivor yet: "DEGRADED: voters slow to answer" comes first, briefly.
                    && s.contains("AT RISK")
            },
        )
        .await;
    let took = killed.elapsed();
    println!("top showed the new leader and tolerance 0 {took:?} after the kill");
    assert!(
        took < Duration::from_secs(10),
        "took {took:?} to show the failover:\n{after}"
    );
    // It reads from a survivor now, and says so.
    let via = line(&after, "belfry top");
    assert!(
        nodes
            .iter()
            .enumerate()
            .any(|(i, n)| i != leader && via.contains(&format!("via {}", n.addr()))),
        "{after}"
    );
    assert!(after.contains("AT RISK"), "{after}");
    // Gossip declares the dead leader failed; its row says when it was last seen.
    tmux.wait_for(
        "the killed leader's row to show it failed",
        Duration::from_secs(30),
        |s| {
            s.lines().any(|l| {
                l.starts_with(&format!("{leader_name} "))
                    && l.contains("failed")
                    && l.contains("seen ")
            })
        },
    )
    .await;

    // p from the main screen: the problems view names the dead server first.
    tmux.keys(&["p"]);
    tmux.wait_for(
        "the problems view to list the killed leader as down",
        Duration::from_secs(10),
        |s| {
            s.contains("Problems (")
                && s.lines()
                    .any(|l| l.contains("down") && l.contains(&format!("{leader_name} ")))
        },
    )
    .await;
    // Esc closes it; Esc again on the main screen does not quit (q would).
    tmux.keys(&["Escape"]);
    tmux.wait_for("the main screen again", Duration::from_secs(10), |s| {
        !s.contains("Problems (") && s.contains(" Nodes (")
    })
    .await;
    tmux.keys(&["Escape"]);
    tmux.wait_for(
        "the dashboard to say that q quits",
        Duration::from_secs(10),
        |s| s.contains("q quits") && s.contains(" Nodes ("),
    )
    .await;

    // SIGTERM: the dashboard leaves, and the terminal is back in cooked mode with echo.
    let top = belfry::telemetry::procfs::children(tmux.pane_pid()).unwrap();
    assert_eq!(
        top.len(),
        1,
        "one dashboard process under the pane's shell: {top:?}"
    );
    unsafe { libc::kill(top[0] as i32, libc::SIGTERM) };
    let restored = tmux
        .wait_for(
            "the shell to print after the dashboard exits",
            Duration::from_secs(10),
            |s| s.contains("top exited with 0") && s.contains("icanon"),
        )
        .await;
    let modes: Vec<&str> = restored.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(
            modes.contains(&mode),
            "terminal mode {mode} not restored:\n{restored}"
        );
    }
    assert!(
        !restored.contains("Voters "),
        "the dashboard's screen is still shown:\n{restored}"
    );
}

/// A job failed once, then succeeded: `f` on it shows the failure's output (the error line,
/// without scrolling), not the newest run's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_shows_a_jobs_last_failure_not_its_newest_run() {
    let node = Node::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran-once");
    let command = format!(
        "if [ -e {m} ]; then echo all good; else touch {m}; \
         for i in $(seq 1 60); do echo step $i; done; \
         echo 'Error: disk full on /data' >&2; exit 3; fi",
        m = marker.display()
    );
    let client = node.client();
    client
        .put_job(&shell_job("flaky", "@manually", &command))
        .await
        .unwrap();
    client.run_job("flaky").await.unwrap();
    node.wait_finished("flaky", 1, Duration::from_secs(30))
        .await;
    client.run_job("flaky").await.unwrap();
    let runs = node
        .wait_finished("flaky", 2, Duration::from_secs(30))
        .await;
    assert!(
        runs.iter().any(|e| e.exit_code == Some(3)) && runs.iter().any(|e| e.success),
        "{runs:?}"
    );

    let script = format!("{BIN} top --http-addr={}; exec sleep 600", node.addr());
    let tmux = Tmux::start("top-failure", 100, 30, &script);
    tmux.wait_for(
        "the job and its executions to be read",
        Duration::from_secs(30),
        |s| {
            s.lines()
                .any(|l| l.starts_with("flaky ") && l.contains("50%"))
        },
    )
    .await;
    tmux.keys(&["Tab", "f"]);
    let screen = tmux
        .wait_for(
            "the failure's output with its error line",
            Duration::from_secs(20),
            |s| s.contains("Error: disk full on /data"),
        )
        .await;
    assert!(screen.contains("failed, exit 3"), "{screen}");
    assert!(
        // The newest run's output ("all good") is not the one shown.
        !screen
            .lines()
            .any(|l| l.trim_matches(|c| c == '│' || c == ' ') == "all good"),
        "the newest run's output:\n{screen}"
    );
}

#[test]
fn top_refuses_to_run_without_a_terminal() {
    let (code, _, err) = cli(&["top", "--http-addr=127.0.0.1:1"], &[], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs a terminal"), "{err}");
}
