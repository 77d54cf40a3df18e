//! `belfry members`, `belfry leader`, `belfry raft list-peers`: the cluster as the API sees it.

use belfry_client::Client;
use belfry_client::model::Member;

use crate::failure::Failure;
use crate::output::{print_json, table};

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    crate::failure::runtime()
}

fn role(m: &Member) -> &'static str {
    if m.tags.get("server").is_some_and(|s| s == "true") {
        "server"
    } else {
        "agent"
    }
}

/// User tags only: the reserved ones have their own columns.
fn user_tags(m: &Member) -> String {
    let tags: Vec<String> = m
        .tags
        .iter()
        .filter(|(k, _)| !belfry_client::model::RESERVED_MEMBER_TAGS.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if tags.is_empty() {
        "-".into()
    } else {
        tags.join(",")
    }
}

pub fn members(addr: &str, json: bool) -> Result<(), Failure> {
    let client = crate::cli::client(addr)?;
    let rt = runtime()?;
    let members = rt.block_on(client.members())?;
    // Each server's clock offset from the voters' median, as the leader measures it. Best
    // effort: without it (no leader, an agent without a server) the column shows `-`.
    let offsets: std::collections::BTreeMap<String, i64> = rt
        .block_on(client.cluster_health())
        .map(|h| {
            h.servers
                .into_iter()
                .filter_map(|s| s.clock_offset_ms.map(|o| (s.node, o)))
                .collect()
        })
        .unwrap_or_default();
    if json {
        let out: Vec<serde_json::Value> = members
            .iter()
            .map(|m| {
                let mut v = serde_json::to_value(m).expect("a member serialises");
                if let (Some(offset), Some(obj)) = (offsets.get(&m.name), v.as_object_mut()) {
                    obj.insert("clockOffsetMs".into(), (*offset).into());
                }
                v
            })
            .collect();
        print_json(&out);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = members
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                format!("{}:{}", m.addr, m.port),
                m.status_text
                    .clone()
                    .unwrap_or_else(|| m.status.to_string()),
                role(m).into(),
                offsets
                    .get(&m.name)
                    .map(|o| format!("{o:+}ms"))
                    .unwrap_or_else(|| "-".into()),
                m.tags.get("region").cloned().unwrap_or_default(),
                m.tags.get("dc").cloned().unwrap_or_default(),
                m.tags.get("version").cloned().unwrap_or_default(),
                user_tags(m),
            ]
        })
        .collect();
    table(
        &[
            "NAME", "ADDRESS", "STATUS", "ROLE", "CLOCK", "REGION", "DC", "VERSION", "TAGS",
        ],
        &rows,
    );
    Ok(())
}

pub fn leader(addr: &str, json: bool) -> Result<(), Failure> {
    let client = crate::cli::client(addr)?;
    let leader = runtime()?.block_on(client.leader())?;
    if json {
        print_json(&leader);
    } else {
        // The HTTP API address is what an operator needs next (`--http-addr`); the gossip
        // address follows for reference.
        match leader.tags.get("http_addr") {
            Some(http) => println!(
                "{}  http {}  (gossip {}:{})",
                leader.name, http, leader.addr, leader.port
            ),
            None => println!("{}  (gossip {}:{})", leader.name, leader.addr, leader.port),
        }
    }
    Ok(())
}

/// `belfry health`: the operator health table; the exit code is the verdict (0 healthy,
/// 1 degraded, 2 no answer or no leader), so a monitoring check can run it as it is.
pub fn health(addr: &str, json: bool) -> Result<(), Failure> {
    let client = crate::cli::client(addr)?;
    let h = runtime()?
        .block_on(client.cluster_health())
        .map_err(|e| Failure {
            code: 2,
            message: format!("no health from {addr}: {e}"),
        })?;
    // Degraded: something is wrong now (a server down, lagging or out of contact, a clock
    // beyond the bound, launches waiting for a slot). Advice that holds for the deployment
    // itself (a one-server cluster can lose nothing) is printed but does not page anyone.
    let bound = h.max_clock_offset_ms.unwrap_or(u64::MAX);
    let degraded = !h.healthy
        || h.servers.iter().any(|s| !s.healthy)
        || h.servers
            .iter()
            .any(|s| s.clock_offset_ms.is_some_and(|o| o.unsigned_abs() > bound))
        || !h.launch_backlog.is_empty();
    let verdict = match (&h.leader, degraded) {
        (None, _) => 2,
        (Some(_), false) => 0,
        (Some(_), true) => 1,
    };
    if json {
        print_json(&h);
    } else {
        let word = ["HEALTHY", "DEGRADED", "NO LEADER"][verdict as usize];
        println!(
            "{word}: leader {}, term {}, {} voters ({} healthy, quorum {}, can lose {})",
            h.leader.as_deref().unwrap_or("none"),
            h.term.map_or("-".to_string(), |t| t.to_string()),
            h.voters,
            h.healthy_voters,
            h.quorum,
            h.failure_tolerance
        );
        let opt = |v: Option<u64>, unit: &str| v.map_or("-".to_string(), |v| format!("{v}{unit}"));
        let rows: Vec<Vec<String>> = h
            .servers
            .iter()
            .map(|s| {
                vec![
                    s.node.clone(),
                    if s.leader {
                        "leader"
                    } else if s.voter {
                        "voter"
                    } else {
                        "learner"
                    }
                    .into(),
                    if s.alive { "alive" } else { "down" }.into(),
                    if s.healthy { "yes" } else { "no" }.into(),
                    opt(s.last_contact_ms, " ms"),
                    opt(s.log_lag, ""),
                    s.clock_offset_ms
                        .map_or("-".to_string(), belfry::cluster::clock::signed_ms),
                    h.launch_backlog
                        .get(&s.node)
                        .copied()
                        .unwrap_or(0)
                        .to_string(),
                ]
            })
            .collect();
        table(
            &[
                "NODE", "ROLE", "GOSSIP", "HEALTHY", "CONTACT", "LAG", "CLOCK", "BACKLOG",
            ],
            &rows,
        );
        for w in &h.warnings {
            println!("warning: {w}");
        }
    }
    match verdict {
        0 => Ok(()),
        code => Err(Failure {
            code,
            message: String::new(),
        }),
    }
}

pub fn list_peers(addr: &str, json: bool) -> Result<(), Failure> {
    let client = crate::cli::client(addr)?;
    let peers = runtime()?.block_on(client.raft_peers())?;
    if json {
        print_json(&peers);
        return Ok(());
    }
    let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    let rows: Vec<Vec<String>> = peers
        .servers
        .iter()
        .map(|p| {
            vec![
                p.node.clone(),
                p.id.clone(),
                p.address.clone(),
                p.state.clone(),
                p.voter.to_string(),
                opt(p.match_index),
                opt(p.lag),
            ]
        })
        .collect();
    table(
        &[
            "NODE",
            "ID",
            "ADDRESS",
            "STATE",
            "VOTER",
            "MATCH INDEX",
            "LAG",
        ],
        &rows,
    );
    Ok(())
}

/// Runs one operator action and prints what the cluster says it did.
pub fn act<F, Fut>(addr: &str, f: F) -> Result<(), Failure>
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = Result<String, belfry_client::ClientError>>,
{
    let client = crate::cli::client(addr)?;
    let message = runtime()?.block_on(f(client))?;
    println!("{message}");
    Ok(())
}
