//! Several nodes at once: which of them leads, its voters, and three servers that bootstrap
//! together.

use std::time::Duration;

use belfry::client::Client;

use super::node::{HEALTH_DEADLINE, Node};
use super::wait::{POLL, poll_until};

/// How long three servers may take to elect a leader, and then to count three voters.
pub const FORM_DEADLINE: Duration = Duration::from_secs(40);
pub const VOTERS_DEADLINE: Duration = Duration::from_secs(20);

/// Whether the node `client` talks to says on `/health` that it leads (false on an error, or
/// when it takes longer than [`HEALTH_DEADLINE`] to answer).
pub async fn leads(client: &Client) -> bool {
    matches!(
        tokio::time::timeout(HEALTH_DEADLINE, client.health()).await,
        Ok(Ok(h)) if h.leader == Some(true)
    )
}

/// The indexes of the nodes `clients` talk to that say they lead right now (each asked at the
/// same time), in order. Two at once happen only briefly, while an old leader has not yet heard
/// of the new one.
pub async fn leaders_via(clients: &[Client]) -> Vec<usize> {
    let mut polls = tokio::task::JoinSet::new();
    for (i, client) in clients.iter().enumerate() {
        let client = client.clone();
        polls.spawn(async move { (i, leads(&client).await) });
    }
    let mut found = Vec::new();
    while let Some(done) = polls.join_next().await {
        if let Ok((i, true)) = done {
            found.push(i);
        }
    }
    found.sort();
    found
}

/// Which of the nodes `clients` talk to leads, if exactly one does.
pub async fn leader_via(clients: &[Client]) -> Option<usize> {
    let found = leaders_via(clients).await;
    (found.len() == 1).then(|| found[0])
}

/// Which of `nodes` currently leads (by its own `/health`), if exactly one does.
pub async fn leader_of(nodes: &[&Node]) -> Option<usize> {
    let clients: Vec<Client> = nodes.iter().map(|n| n.client()).collect();
    leader_via(&clients).await
}

/// Waits until exactly one of `nodes` leads, asking every `every`; returns its index.
pub async fn wait_one_leader(
    nodes: &[&Node],
    limit: Duration,
    every: Duration,
) -> Result<usize, String> {
    // One client each for the whole wait: building one sets up TLS, and reuses connections.
    let clients: Vec<Client> = nodes.iter().map(|n| n.client()).collect();
    poll_until("one leader", limit, every, || leader_via(&clients)).await
}

/// The Raft voters' names, as the node `client` talks to sees them.
pub async fn voters_via(client: &Client) -> Option<Vec<String>> {
    let p = client.raft_peers().await.ok()?;
    Some(
        p.servers
            .into_iter()
            .filter(|s| s.voter)
            .map(|s| s.node)
            .collect(),
    )
}

/// Waits until the node `client` talks to counts `n` voters; with `max_lag`, only voters whose
/// log is fewer than that many entries behind the leader's count.
pub async fn wait_voters(
    client: &Client,
    n: usize,
    max_lag: Option<u64>,
    limit: Duration,
) -> Result<(), String> {
    let what = match max_lag {
        Some(lag) => format!("{n} voters less than {lag} entries behind"),
        None => format!("{n} voters"),
    };
    poll_until(&what, limit, POLL, || async move {
        let p = client.raft_peers().await.ok()?;
        let voters = p
            .servers
            .iter()
            .filter(|s| s.voter && max_lag.is_none_or(|max| s.lag.is_some_and(|l| l < max)))
            .count();
        (voters == n).then_some(())
    })
    .await
}

/// Three servers `node-a`, `node-b` and `node-c` that bootstrap together
/// (`--bootstrap-expect=3`), not started: b finds a by its gossip address (`--retry-join`), c
/// through DNS, go-discover style. `extra` goes to each.
pub fn three_servers_prepared(extra: &[&str]) -> Vec<Node> {
    let mut first = vec!["--bootstrap-expect=3"];
    first.extend_from_slice(extra);
    let a = Node::prepare("node-a", false, &first);
    let seed = a.gossip_addr();
    let mut retry = vec![
        "--bootstrap-expect=3",
        "--retry-join",
        &seed,
        "--retry-interval",
        "1s",
    ];
    retry.extend_from_slice(extra);
    let b = Node::prepare("node-b", false, &retry);
    let port = seed.rsplit_once(':').unwrap().1;
    let by_dns = format!("provider=dns name=localhost port={port}");
    retry[2] = &by_dns;
    let c = Node::prepare("node-c", false, &retry);
    vec![a, b, c]
}

/// Starts [`three_servers_prepared`] and waits until one leads and all three are voters;
/// returns them and the leader's index. Panics past the deadlines.
pub async fn three_servers_with(extra: &[&str]) -> (Vec<Node>, usize) {
    let mut nodes = three_servers_prepared(extra);
    for n in &mut nodes {
        n.spawn();
    }
    let refs: Vec<&Node> = nodes.iter().collect();
    let leader = wait_one_leader(&refs, FORM_DEADLINE, POLL)
        .await
        .unwrap_or_else(|e| panic!("three servers: {e}"));
    // All three are voters before the test goes on.
    wait_voters(&nodes[leader].client(), 3, None, VOTERS_DEADLINE)
        .await
        .unwrap_or_else(|e| panic!("three servers: {e}"));
    (nodes, leader)
}
