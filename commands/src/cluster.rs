//! `belfry members`, `belfry leader`, `belfry raft list-peers`: the cluster as the API sees it.

use belfry::client::Client;
use belfry::model::Member;

use crate::failure::Failure;
use crate::jobs::{print_json, table};

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
        .filter(|(k, _)| !belfry::model::RESERVED_MEMBER_TAGS.contains(&k.as_str()))
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
    let members = runtime()?.block_on(client.members())?;
    if json {
        print_json(&members);
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
                m.tags.get("region").cloned().unwrap_or_default(),
                m.tags.get("dc").cloned().unwrap_or_default(),
                m.tags.get("version").cloned().unwrap_or_default(),
                user_tags(m),
            ]
        })
        .collect();
    table(
        &[
            "NAME", "ADDRESS", "STATUS", "ROLE", "REGION", "DC", "VERSION", "TAGS",
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
        println!("{} ({}:{})", leader.name, leader.addr, leader.port);
    }
    Ok(())
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
    Fut: std::future::Future<Output = Result<String, belfry::client::ClientError>>,
{
    let client = crate::cli::client(addr)?;
    let message = runtime()?.block_on(f(client))?;
    println!("{message}");
    Ok(())
}
