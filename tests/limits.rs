//! Connection limits: a flood of idle connections to a server's HTTP API and internal RPC
//! port from one address is capped per IP and closed after the header-read timeout, while the
//! node keeps answering others and a three-server cluster keeps its leader.

use std::io::Read;
use std::net::SocketAddr;
use std::time::Duration;

use crate::support::*;

/// Idle connections from 127.0.0.2 (another loopback address: "one attacker") to `addr`.
async fn flood(addr: SocketAddr, n: usize) -> Vec<std::net::TcpStream> {
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        match tokio::time::timeout(Duration::from_secs(5), socket.connect(addr)).await {
            Ok(Ok(s)) => streams.push(s.into_std().unwrap()),
            // A full accept queue may refuse or stall a connect: that is the node defending.
            _ => continue,
        }
    }
    streams
}

/// How many of `streams` the node still holds open (closed ones read EOF or an error).
fn still_open(streams: &mut [std::net::TcpStream]) -> usize {
    let mut open = 0;
    for s in streams.iter_mut() {
        s.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => open += 1,
            _ => {}
        }
    }
    open
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connection_flood_is_capped_closed_and_costs_no_leadership() {
    let (nodes, leader) =
        three_servers_with(&["--max-connections-per-ip=100", "--header-read-timeout=20s"]).await;
    let term_before = nodes[leader].client().raft_peers().await.unwrap().term;
    let target = &nodes[leader];
    let http_addr: SocketAddr = target.addr().parse().unwrap();
    let rpc_addr: SocketAddr = format!("127.0.0.1:{}", target.rpc_port).parse().unwrap();
    let mut http_flood = flood(http_addr, 1500).await;
    let mut rpc_flood = flood(rpc_addr, 1500).await;
    // The node answers others meanwhile, and still leads in the same term.
    let health = target.client().health().await.unwrap();
    assert_eq!(health.leader, Some(true), "{health:?}");
    // Beyond the per-IP cap, connections are closed as soon as the node accepts them
    // (the flood took less than the 20 s header timeout, so no slot was freed meanwhile).
    wait_for(
        "the flood capped at 100 per IP",
        Duration::from_secs(15),
        || {
            let held = (still_open(&mut http_flood), still_open(&mut rpc_flood));
            async move { (held.0 <= 100 && held.1 <= 100).then_some(()) }
        },
    )
    .await;
    let samples = scrape(target).await;
    for (listener, flood) in [("http", &http_flood), ("rpc", &rpc_flood)] {
        let refused = sample(
            &samples,
            "belfry_connections_refused_total",
            &[("listener", listener)],
        )
        .unwrap();
        assert!(
            refused >= (flood.len() - 100) as f64,
            "{listener}: {refused} refused of {}",
            flood.len()
        );
    }
    // And the ones admitted are closed after the header-read timeout.
    wait_for(
        "idle connections closed after the header timeout",
        Duration::from_secs(40),
        || {
            let open = still_open(&mut http_flood) + still_open(&mut rpc_flood);
            async move { (open == 0).then_some(()) }
        },
    )
    .await;
    let peers = nodes[leader].client().raft_peers().await.unwrap();
    assert_eq!(
        peers.term, term_before,
        "leadership was lost during the flood"
    );
}
