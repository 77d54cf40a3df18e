//! Leader failover benchmark: three real `belfry agent` servers on loopback, the leader
//! SIGKILLed again and again.
//!
//! For each kill it measures, from the instant of the SIGKILL:
//!
//! - **elected**: until one of the two survivors reports itself leader on `/health`;
//! - **first launch**: until a surviving server starts a run of an `@every 1s` job that runs on
//!   one server per tick (tags `server: "true:1"`; the tick that came due while there was no
//!   leader is caught up at once, so this is the time until the new leader is scheduling
//!   again).
//!
//! The killed server is restarted on its data dir and the next round waits until it is a
//! healthy voter again. At the end every tick of the job must have run at most once.
//!
//! Then the whole cluster is stopped the way a routine restart does it, `BELFRY_BENCH_STOPS`
//! times (default 10): SIGTERM to all three servers at the same instant, and for each server
//! the time until it exits and its exit code (a server still running 60 s later is counted as
//! hung and SIGKILLed); then all three are started again on their data dirs and the next round
//! waits for a leader.
//!
//! ```text
//! cargo bench -p belfry-cli --bench failover                  # 20 kills, 10 whole-cluster stops
//! BELFRY_BENCH_KILLS=50 BELFRY_BENCH_STOPS=0 cargo bench -p belfry-cli --bench failover
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

#[path = "../tests/kit/mod.rs"]
#[allow(dead_code, unused_imports)] // each bench uses part of the kit
mod kit;

use belfry::client::Client;
use kit::{Node, leader_via, percentile, poll_until, setting, three_servers_prepared, true_job};

type BenchResult<T> = Result<T, String>;

/// How often the waits poll: the election and first-launch figures are measured to within this.
const POLL: Duration = Duration::from_millis(5);

fn main() -> ExitCode {
    let settings = setting("BELFRY_BENCH_KILLS", 20)
        .and_then(|kills| Ok((kills, setting("BELFRY_BENCH_STOPS", 10)?)));
    kit::run_bench("failover", settings, |(kills, stops)| run(kills, stops))
}

/// Which server leads (exactly one), among all but `excluded`; `clients` talk to the servers.
async fn leader_among(clients: &[Client], excluded: Option<usize>) -> Option<usize> {
    let candidates: Vec<usize> = (0..clients.len())
        .filter(|i| Some(*i) != excluded)
        .collect();
    let asked: Vec<Client> = candidates.iter().map(|i| clients[*i].clone()).collect();
    leader_via(&asked).await.map(|i| candidates[i])
}

async fn run(kills: usize, stops: usize) -> BenchResult<bool> {
    belfry::client::install_tls_provider();
    let mut servers = three_servers_prepared(&[]);
    for s in &mut servers {
        s.log_level = "warn".into();
        s.try_spawn()?;
    }
    // One client per server for the whole run (the ports stay the same across restarts):
    // building one sets up TLS, and the waits below ask every few milliseconds.
    let clients: Vec<Client> = servers.iter().map(Node::client).collect();
    println!(
        "Belfry failover benchmark: 3 servers on loopback, {kills} SIGKILLs of the leader, \
         {stops} SIGTERMs of the whole cluster"
    );
    let mut leader = poll_until("the first leader", Duration::from_secs(60), POLL, || {
        leader_among(&clients, None)
    })
    .await?;
    let mut job = true_job("tick", "@every 1s");
    // One server per tick: without tags a job runs on every node, and the duplicate check
    // below would count the three runs of each tick as duplicates.
    job.tags = [("server".to_string(), "true:1".to_string())].into();
    clients[leader]
        .put_job(&job)
        .await
        .map_err(|e| e.to_string())?;

    let mut elected = Vec::new();
    let mut launched = Vec::new();
    for round in 1..=kills {
        // Wait for three healthy voters, so every round starts from the same place.
        kit::wait_voters(&clients[leader], 3, Some(50), Duration::from_secs(60)).await?;
        // Let the job tick on the current leader for a moment.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let killed_at: DateTime<Utc> = Utc::now();
        let t0 = Instant::now();
        servers[leader].kill9();
        let killed = leader;
        let new_leader = poll_until("a new leader", Duration::from_secs(30), POLL, || {
            leader_among(&clients, Some(killed))
        })
        .await?;
        let t_elected = t0.elapsed();
        let new_name = servers[new_leader].name.clone();
        let killed_name = servers[leader].name.clone();
        let client = clients[new_leader].clone();
        let first = poll_until(
            "the new leader's first launch",
            Duration::from_secs(30),
            POLL,
            || {
                let (client, killed_name) = (client.clone(), killed_name.clone());
                async move {
                    let ex = client.executions("tick").await.ok()?;
                    ex.iter()
                        // Finished runs only: a running one's started_at is still its tick.
                        .filter(|e| {
                            e.node_name != killed_name
                                && !e.is_running()
                                && e.started_at > killed_at
                        })
                        .map(|e| e.started_at)
                        .min()
                }
            },
        )
        .await?;
        let t_first = (first - killed_at).to_std().unwrap_or_default();
        println!(
            "kill {round:>2}: {} → {new_name}: elected after {:>4} ms, first launch after {:>4} ms",
            servers[leader].name,
            t_elected.as_millis(),
            t_first.as_millis()
        );
        elected.push(t_elected);
        launched.push(t_first);
        servers[leader].try_spawn()?;
        leader = new_leader;
    }

    // Every tick ran at most once across all the failovers.
    let ex = clients[leader]
        .executions("tick")
        .await
        .map_err(|e| e.to_string())?;
    let mut ticks: Vec<_> = ex.iter().map(|e| e.scheduled_at).collect();
    let n = ticks.len();
    ticks.sort();
    ticks.dedup();
    let duplicates = n - ticks.len();
    let missed = ex
        .iter()
        .filter(|e| e.status == belfry::model::ExecutionStatus::Missed)
        .count();

    elected.sort();
    launched.sort();
    let millis = |v: &[Duration], p: f64| percentile(v, p).map_or(0, |d| d.as_millis());
    let show = |v: &[Duration]| {
        format!(
            "p50 {} ms / p99 {} ms / max {} ms",
            millis(v, 0.5),
            millis(v, 0.99),
            v.last().map_or(0, |d| d.as_millis())
        )
    };
    println!("elected:       {}", show(&elected));
    println!("first launch:  {}", show(&launched));
    println!(
        "ticks: {n} recorded in the last 100, {duplicates} duplicates, {missed} recorded as missed"
    );
    println!(
        "RESULT kills={kills} elected_p50_ms={} elected_p99_ms={} elected_max_ms={} launch_p50_ms={} launch_p99_ms={} launch_max_ms={} duplicates={duplicates} missed={missed}",
        millis(&elected, 0.5),
        millis(&elected, 0.99),
        elected.last().map_or(0, |d| d.as_millis()),
        millis(&launched, 0.5),
        millis(&launched, 0.99),
        launched.last().map_or(0, |d| d.as_millis()),
    );
    let stopped_cleanly = whole_cluster_stops(&mut servers, &clients, stops).await?;
    // Dropping the servers kills them and removes their files.
    Ok(duplicates == 0 && stopped_cleanly)
}

/// How long a server may take to stop before it counts as hung (the default
/// `--shutdown-grace` is 30 s and nothing runs long here: a clean stop takes far less).
const STOP_LIMIT: Duration = Duration::from_secs(60);

/// SIGTERM to every server at once, `rounds` times: each server's time to exit and exit code.
/// True when every server of every round exited with code 0.
async fn whole_cluster_stops(
    servers: &mut [Node],
    clients: &[Client],
    rounds: usize,
) -> BenchResult<bool> {
    let mut times = Vec::new();
    let (mut unclean, mut hung) = (0, 0);
    for round in 1..=rounds {
        poll_until("a leader", Duration::from_secs(60), POLL, || {
            leader_among(clients, None)
        })
        .await?;
        // A routine restart stops servers that are up: each one answers before the round (a
        // server SIGTERMed while the exec is still loading it ends by the signal's default
        // action, which says nothing about Belfry's stop).
        for c in clients {
            poll_until(
                "every server answering",
                Duration::from_secs(60),
                POLL,
                || async { c.health().await.ok().map(|_| ()) },
            )
            .await?;
        }
        let seen: Vec<usize> = servers.iter().map(|s| s.log().lines().count()).collect();
        let t0 = Instant::now();
        for s in servers.iter() {
            s.signal(libc::SIGTERM);
        }
        let mut line = format!("stop {round:>2}:");
        // Waited on in turn: each wait ends at its own exit, measured from the common t0.
        for s in servers.iter_mut() {
            let name = s.name.clone();
            match s.wait_exit(STOP_LIMIT.saturating_sub(t0.elapsed())).await {
                Ok(status) => {
                    let took = t0.elapsed();
                    times.push(took);
                    if status.code() != Some(0) {
                        unclean += 1;
                    }
                    let code = status
                        .code()
                        .map_or("signal".to_string(), |c| c.to_string());
                    line += &format!(" {name} {:>5} ms (exit {code})", took.as_millis());
                }
                Err(_) => {
                    hung += 1;
                    line += &format!(" {name} HUNG > {} s", STOP_LIMIT.as_secs());
                }
            }
        }
        println!("{line}");
        // A slow stop says what it waited on: the steps that ran out their deadline.
        for (s, seen) in servers.iter().zip(seen) {
            let log = s.log();
            for l in log
                .lines()
                .skip(seen)
                .filter(|l| l.contains("did not finish"))
            {
                println!("  {}: {l}", s.name);
            }
        }
        for s in servers.iter_mut() {
            s.try_spawn()?;
        }
    }
    if rounds == 0 {
        return Ok(true);
    }
    times.sort();
    let show = |v: &[Duration], p: f64| percentile(v, p).map_or(0, |d| d.as_millis());
    println!(
        "whole-cluster SIGTERM: time to exit p50 {} ms / max {} ms over {} exits; {unclean} not exit 0, {hung} hung",
        show(&times, 0.5),
        show(&times, 1.0),
        times.len()
    );
    println!(
        "RESULT stops={rounds} stop_p50_ms={} stop_max_ms={} unclean={unclean} hung={hung}",
        show(&times, 0.5),
        show(&times, 1.0)
    );
    Ok(unclean == 0 && hung == 0)
}
