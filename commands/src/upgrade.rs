//! `belfry upgrade check | wait`: rolling upgrades one node at a time, in the guide's order —
//! agents first, then followers, the leader last (after `raft transfer-leadership`) — and only
//! when the cluster can lose the node about to go down.

use std::time::{Duration, Instant};

use belfry_client::Client;
use belfry_client::model::{ClusterHealth, Member};
use serde::Serialize;

use crate::cli::UpgradeCommand;
use crate::failure::Failure;

/// The protocol range this binary speaks (gossip and RPC); nodes outside it cannot join.
const PROTOCOL: (u8, u8) = (1, 1);

#[derive(Debug, Clone, Serialize)]
struct NodeView {
    name: String,
    role: &'static str,
    status: String,
    version: String,
    protocol_min: u8,
    protocol_max: u8,
    /// Already running the target version.
    upgraded: bool,
}

#[derive(Debug, Clone, Serialize)]
struct Step {
    node: String,
    role: &'static str,
    action: String,
}

#[derive(Debug, Clone, Serialize)]
struct Check {
    safe: bool,
    target: String,
    reasons: Vec<String>,
    warnings: Vec<String>,
    next: Option<String>,
    leader: Option<String>,
    failure_tolerance: usize,
    running_executions: usize,
    nodes: Vec<NodeView>,
    plan: Vec<Step>,
}

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.trim().trim_start_matches('v');
    let core = core.split(['-', '+']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

pub fn run(addr: &str, cmd: UpgradeCommand) -> Result<(), Failure> {
    let client = crate::cli::client(addr)?;
    let runtime = crate::failure::runtime()?;
    runtime.block_on(async move {
        match cmd {
            UpgradeCommand::Check { to, json } => {
                let target = to.unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string());
                let check = check(&client, &target).await?;
                if json {
                    crate::output::print_json(&check);
                } else {
                    print_check(&check);
                }
                if check.safe {
                    Ok(())
                } else {
                    Err(Failure::failed(""))
                }
            }
            UpgradeCommand::Wait { node, timeout } => {
                let limit = belfry_client::duration::parse_go_duration(&timeout)
                    .map_err(|e| Failure::usage(format!("--timeout: {e}")))?;
                wait(&client, &node, limit).await
            }
        }
    })
}

async fn check(client: &Client, target: &str) -> Result<Check, Failure> {
    let members = client.members().await?;
    let health = client.cluster_health().await?;
    let running = client.busy().await.map(|b| b.len()).unwrap_or(0);
    let Some(to) = parse_version(target) else {
        return Err(Failure::usage(format!(
            "--to {target:?} is not a version like 1.2.3"
        )));
    };
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    let leader = health.leader.clone();
    let mut nodes: Vec<NodeView> = members
        .iter()
        .map(|m| node_view(m, &health, target))
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    for n in &nodes {
        match parse_version(&n.version) {
            Some(from) if from == to => {}
            Some(from) if from > to => reasons.push(format!(
                "{} runs {}, newer than {target}: this is a downgrade",
                n.name, n.version
            )),
            Some(from) if from.0 != to.0 || to.1 > from.1 + 1 => reasons.push(format!(
                "{} runs {}: going to {target} jumps more than one minor version (upgrade one minor version at a time)",
                n.name, n.version
            )),
            Some(_) => {}
            None => reasons.push(format!(
                "{} reports an unreadable version {:?}",
                n.name, n.version
            )),
        }
        if n.protocol_max < PROTOCOL.0 || n.protocol_min > PROTOCOL.1 {
            reasons.push(format!(
                "{} speaks protocol {}..{}, this belfry {} speaks {}..{}: incompatible",
                n.name,
                n.protocol_min,
                n.protocol_max,
                env!("CARGO_PKG_VERSION"),
                PROTOCOL.0,
                PROTOCOL.1
            ));
        }
        // A server that left (stopped for its own upgrade) must be back before the next goes;
        // an agent that left for good does not matter.
        let down = match n.status.as_str() {
            "alive" => false,
            "left" => n.role != "agent",
            _ => true,
        };
        if down {
            reasons.push(format!(
                "{} is {}: wait for it (`belfry upgrade wait {}`), or force-leave it if it is gone for good",
                n.name, n.status, n.name
            ));
        }
    }
    if leader.is_none() {
        reasons.push("there is no leader".into());
    }
    for s in health.servers.iter().filter(|s| s.voter && !s.healthy) {
        reasons.push(format!(
            "server {} is not healthy (last contact {:?} ms, {} entries behind): wait for it to catch up",
            s.node,
            s.last_contact_ms,
            s.log_lag.map_or("?".into(), |l| l.to_string())
        ));
    }
    // Plan: agents, then followers, then the leader after handing leadership over.
    let mut plan = Vec::new();
    for n in nodes.iter().filter(|n| n.role == "agent" && !n.upgraded) {
        plan.push(Step {
            node: n.name.clone(),
            role: n.role,
            action: format!(
                "restart {} on {target}, then `belfry upgrade wait {}`",
                n.name, n.name
            ),
        });
    }
    for n in nodes
        .iter()
        .filter(|n| n.role != "agent" && n.role != "leader" && !n.upgraded)
    {
        plan.push(Step {
            node: n.name.clone(),
            role: n.role,
            action: format!(
                "restart {} on {target}, then `belfry upgrade wait {}`",
                n.name, n.name
            ),
        });
    }
    for n in nodes.iter().filter(|n| n.role == "leader" && !n.upgraded) {
        plan.push(Step {
            node: n.name.clone(),
            role: n.role,
            action: format!(
                "`belfry raft transfer-leadership`, then restart {} on {target}, then `belfry upgrade wait {}`",
                n.name, n.name
            ),
        });
    }
    let next = plan.first().map(|s| s.node.clone());
    if let Some(step) = plan.first()
        && step.role != "agent"
        && health.failure_tolerance == 0
    {
        reasons.push(format!(
            "taking server {} down now would lose the quorum (failure tolerance 0 with {} voters)",
            step.node, health.voters
        ));
    }
    if running > 0 {
        warnings.push(format!(
            "{running} execution(s) running: a node stopped gracefully lets its own finish (up to its --shutdown-grace)"
        ));
    }
    if health.voters < 3 {
        warnings.push(format!(
            "{} voter(s): with fewer than 3 servers an upgrade takes the cluster down",
            health.voters
        ));
    }
    Ok(Check {
        safe: reasons.is_empty(),
        target: target.into(),
        reasons,
        warnings,
        next,
        leader,
        failure_tolerance: health.failure_tolerance,
        running_executions: running,
        nodes,
        plan,
    })
}

fn node_view(m: &Member, health: &ClusterHealth, target: &str) -> NodeView {
    let is_server = m.tags.get("server").is_some_and(|v| v == "true");
    let role = if !is_server {
        "agent"
    } else if health.leader.as_deref() == Some(m.name.as_str()) {
        "leader"
    } else if health.servers.iter().any(|s| s.node == m.name && s.voter) {
        "follower"
    } else {
        "server"
    };
    let version = m.tags.get("version").cloned().unwrap_or_default();
    NodeView {
        name: m.name.clone(),
        role,
        status: m
            .status_text
            .clone()
            .unwrap_or_else(|| m.status.to_string()),
        upgraded: parse_version(&version) == parse_version(target),
        version,
        protocol_min: m.protocol_min,
        protocol_max: m.protocol_max,
    }
}

fn print_check(c: &Check) {
    let rows: Vec<Vec<String>> = c
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.name.clone(),
                n.role.to_string(),
                n.status.clone(),
                n.version.clone(),
                format!("{}..{}", n.protocol_min, n.protocol_max),
                if n.upgraded {
                    "done".into()
                } else {
                    "to do".into()
                },
            ]
        })
        .collect();
    crate::output::table(
        &["NODE", "ROLE", "STATUS", "VERSION", "PROTOCOL", "UPGRADE"],
        &rows,
    );
    println!(
        "Leader: {}; failure tolerance: {}; running executions: {}",
        c.leader.as_deref().unwrap_or("none"),
        c.failure_tolerance,
        c.running_executions
    );
    for w in &c.warnings {
        println!("warning: {w}");
    }
    if c.plan.is_empty() {
        println!("Every node already runs {}.", c.target);
    } else {
        println!("Plan to {}:", c.target);
        for (i, s) in c.plan.iter().enumerate() {
            println!("  {}. [{}] {}", i + 1, s.role, s.action);
        }
    }
    if c.safe {
        if let Some(next) = &c.next {
            println!("SAFE: {next} can be taken down now.");
        } else {
            println!("SAFE: nothing to upgrade.");
        }
    } else {
        println!("NOT SAFE:");
        for r in &c.reasons {
            println!("  - {r}");
        }
    }
}

/// Returns once `node` is alive again and, for a server, a caught-up healthy voter (not a
/// learner) in a healthy cluster.
async fn wait(client: &Client, node: &str, limit: Duration) -> Result<(), Failure> {
    let started = Instant::now();
    let deadline = started + limit;
    // Progress for a person watching: each new reason to wait, on stderr, only on a terminal
    // (a script reads the one result line on stdout and the exit code).
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut last_why = String::new();
    loop {
        let why = match ready(client, node).await {
            Ok(()) => {
                println!("{node} is back: alive, a caught-up voter, and the cluster is healthy");
                return Ok(());
            }
            Err(why) => why,
        };
        if progress && why != last_why {
            eprintln!(
                "[{:>4}s] waiting for {node}: {why}",
                started.elapsed().as_secs()
            );
            last_why = why.clone();
        }
        if Instant::now() >= deadline {
            return Err(Failure::failed(format!(
                "timed out after {limit:?} waiting for {node}: {why}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn ready(client: &Client, node: &str) -> Result<(), String> {
    let members = client.members().await.map_err(|e| e.to_string())?;
    let m = members
        .iter()
        .find(|m| m.name == node)
        .ok_or_else(|| format!("{node} is not a member"))?;
    if m.status != 1 || m.status_text.as_deref() == Some("suspect") {
        return Err(format!(
            "{node} is {}",
            m.status_text.clone().unwrap_or_default()
        ));
    }
    if m.tags.get("server").is_some_and(|v| v == "true") {
        let health = client.cluster_health().await.map_err(|e| e.to_string())?;
        let s = health
            .servers
            .iter()
            .find(|s| s.node == node)
            .ok_or_else(|| format!("{node} is not in the Raft configuration yet"))?;
        if !s.healthy {
            return Err(format!(
                "{node} is not caught up yet ({} entries behind)",
                s.log_lag.map_or("?".into(), |l| l.to_string())
            ));
        }
        // A server that rejoins comes back as a learner; it counts for the quorum (and the
        // next node may go down) only once the leader has made it a voter again.
        if !s.voter {
            return Err(format!("{node} is a learner, not a voter yet"));
        }
        if !health.healthy {
            return Err("the cluster is not healthy yet".into());
        }
    }
    Ok(())
}
