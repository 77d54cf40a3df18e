//! Membership tests: real UDP sockets on 127.0.0.1, short probe periods, waits on conditions.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rand::RngExt as _;

use super::crypto::{Envelope, PLAIN_V1, Refusal, SEALED_V1};
use super::wire::{Id, MetaRecord, Stamp, SyncFrame};
use super::*;

const PERIOD: Duration = Duration::from_millis(200);
const JOIN_WAIT: Duration = Duration::from_secs(5);

fn meta(name: &str) -> NodeMeta {
    NodeMeta {
        name: name.to_string(),
        gossip_addr: "127.0.0.1:0".parse().unwrap(),
        rpc_addr: "127.0.0.1:6868".parse().unwrap(),
        http_addr: "127.0.0.1:8080".parse().unwrap(),
        role: Role::Server,
        region: "global".into(),
        datacenter: "dc1".into(),
        tags: BTreeMap::from([("name".to_string(), name.to_string())]),
        version: "0.1.0".into(),
        protocol_min: 1,
        protocol_max: 1,
        bootstrap_expect: 3,
    }
}

fn config(name: &str, key: Option<&[u8]>) -> MembershipConfig {
    let mut config =
        MembershipConfig::new(meta(name), "127.0.0.1:0".parse().unwrap()).with_probe_period(PERIOD);
    config.key = key.map(<[u8]>::to_vec);
    config
}

async fn node(name: &str, key: Option<&[u8]>) -> Membership {
    Membership::start(config(name, key)).await.unwrap()
}

fn addr(m: &Membership) -> SocketAddr {
    m.local().gossip_addr
}

fn member(m: &Membership, name: &str) -> Option<MemberState> {
    m.members().into_iter().find(|s| s.meta.name == name)
}

fn status(m: &Membership, name: &str) -> Option<MemberStatus> {
    member(m, name).map(|s| s.status)
}

fn names(m: &Membership) -> Vec<String> {
    m.members().into_iter().map(|s| s.meta.name).collect()
}

/// Polls `cond` until it holds; panics with `what` after `limit`.
async fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if cond() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every node sees every other one Alive with its exact current metadata.
fn converged(nodes: &[&Membership]) -> bool {
    nodes.iter().all(|observer| {
        let seen = observer.members();
        seen.len() == nodes.len()
            && nodes.iter().all(|n| {
                let local = n.local();
                seen.iter()
                    .any(|s| s.meta == local && s.status == MemberStatus::Alive)
            })
    })
}

async fn cluster(names: &[&str], key: Option<&[u8]>) -> Vec<Membership> {
    let mut nodes = Vec::new();
    for name in names {
        nodes.push(node(name, key).await);
    }
    let seed = addr(&nodes[0]);
    for n in &nodes[1..] {
        assert_eq!(n.join(&[seed], JOIN_WAIT).await.unwrap(), 1);
    }
    let refs: Vec<&Membership> = nodes.iter().collect();
    wait_for("the cluster to converge", Duration::from_secs(5), || {
        converged(&refs)
    })
    .await;
    nodes
}

#[tokio::test]
async fn three_nodes_join_through_one_seed() {
    let a = node("a", None).await;
    let b = node("b", None).await;
    let c = node("c", None).await;
    let mut events = a.subscribe();
    assert_eq!(
        a.local().gossip_addr.port(),
        a.members()[0].meta.gossip_addr.port()
    );
    assert_ne!(addr(&a).port(), 0, "port 0 is replaced by the bound port");

    assert_eq!(b.join(&[addr(&a)], JOIN_WAIT).await.unwrap(), 1);
    // Joining includes our own address: it does not count.
    assert_eq!(c.join(&[addr(&a), addr(&c)], JOIN_WAIT).await.unwrap(), 1);
    // After join returns, the seed is a member.
    assert_eq!(status(&c, "a"), Some(MemberStatus::Alive));

    wait_for("3 alive members everywhere", Duration::from_secs(5), || {
        converged(&[&a, &b, &c])
    })
    .await;
    assert_eq!(names(&b), ["a", "b", "c"]);

    let mut joined = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let MemberEvent::Joined(meta) = event {
            joined.push(meta.name);
        }
    }
    joined.sort();
    assert_eq!(joined, ["b", "c"]);

    // Nothing answers on a closed port.
    let gone = node("gone", None).await;
    let gone_addr = addr(&gone);
    gone.shutdown().await;
    assert_eq!(
        a.join(&[gone_addr], Duration::from_millis(300))
            .await
            .unwrap(),
        0
    );
    assert!(matches!(
        gone.join(&[addr(&a)], JOIN_WAIT).await,
        Err(MembershipError::Stopped)
    ));
    for n in [a, b, c] {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn crashed_node_fails_and_leaving_node_is_left() {
    let nodes = cluster(&["a", "b", "c"], None).await;
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let mut events = a.subscribe();

    c.shutdown().await;
    let took = wait_for("c to be Failed on a and b", Duration::from_secs(10), || {
        status(a, "c") == Some(MemberStatus::Failed) && status(b, "c") == Some(MemberStatus::Failed)
    })
    .await;
    eprintln!("crash detected in {took:?}");
    // Its last metadata is kept.
    assert_eq!(member(a, "c").unwrap().meta, c.local());

    b.leave().await;
    wait_for("b to be Left on a", Duration::from_secs(5), || {
        status(a, "b") == Some(MemberStatus::Left)
    })
    .await;
    assert_eq!(status(b, "b"), Some(MemberStatus::Left));
    // Still Left (not Failed) once foca has declared it down too.
    tokio::time::sleep(PERIOD * 6).await;
    assert_eq!(status(a, "b"), Some(MemberStatus::Left));
    assert_eq!(names(a), ["a", "b", "c"]);

    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let MemberEvent::StatusChanged { name, status } = event {
            seen.push((name, status));
        }
    }
    assert!(
        seen.contains(&("c".into(), MemberStatus::Failed)),
        "{seen:?}"
    );
    assert!(seen.contains(&("b".into(), MemberStatus::Left)), "{seen:?}");
    assert!(
        !seen.contains(&("b".into(), MemberStatus::Failed)),
        "{seen:?}"
    );
    a.shutdown().await;
}

#[tokio::test]
async fn restarted_node_rejoins_at_once_with_new_meta() {
    let nodes = cluster(&["a", "b", "c"], None).await;
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);

    // Crash, declared failed, then restarted on another port.
    c.shutdown().await;
    wait_for("c to be Failed", Duration::from_secs(10), || {
        status(a, "c") == Some(MemberStatus::Failed)
    })
    .await;
    let mut cfg = config("c", None);
    cfg.meta.tags.insert("boot".into(), "2".into());
    let c2 = Membership::start(cfg).await.unwrap();
    assert_ne!(addr(&c2), addr(c));
    assert_eq!(c2.join(&[addr(a)], JOIN_WAIT).await.unwrap(), 1);
    let took = wait_for("c2 Alive with its new meta", Duration::from_secs(3), || {
        [a, b].iter().all(|n| {
            member(n, "c").is_some_and(|s| s.status == MemberStatus::Alive && s.meta == c2.local())
        })
    })
    .await;
    eprintln!("restart after failure visible in {took:?}");

    // Restarted on the same port before anyone noticed the crash.
    let port = addr(&c2).port();
    c2.shutdown().await;
    let mut cfg = config("c", None);
    cfg.bind = SocketAddr::from(([127, 0, 0, 1], port));
    cfg.meta.tags.insert("boot".into(), "3".into());
    let c3 = Membership::start(cfg).await.unwrap();
    assert_eq!(addr(&c3).port(), port);
    assert_eq!(c3.join(&[addr(b)], JOIN_WAIT).await.unwrap(), 1);
    let took = wait_for("c3 Alive with its new meta", Duration::from_secs(3), || {
        [a, b].iter().all(|n| {
            member(n, "c").is_some_and(|s| s.status == MemberStatus::Alive && s.meta == c3.local())
        })
    })
    .await;
    eprintln!("quick restart visible in {took:?}");
    wait_for("full convergence", Duration::from_secs(3), || {
        converged(&[a, b, &c3])
    })
    .await;
    for n in [a, b, &c3] {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn restarted_node_with_its_clock_set_back_still_rejoins() {
    let nodes = cluster(&["a", "b", "c"], None).await;
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let old = a.shared.table().identity_of("c").unwrap();
    c.shutdown().await;

    // The new process's clock reads earlier than the old one's start.
    super::wire::FORCE_INSTANCE.with(|f| f.set(Some(old.instance - 1_000_000_000)));
    let mut cfg = config("c", None);
    cfg.meta.tags.insert("boot".into(), "2".into());
    let c2 = Membership::start(cfg).await.unwrap();
    assert_eq!(c2.join(&[addr(a)], JOIN_WAIT).await.unwrap(), 1);
    wait_for("c2 to replace c", Duration::from_secs(3), || {
        converged(&[a, b, &c2])
    })
    .await;
    let new = a.shared.table().identity_of("c").unwrap();
    assert!(new.instance > old.instance, "{new:?} vs {old:?}");
    for n in [a, b, &c2] {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn paused_node_is_failed_then_renews_its_identity() {
    let nodes = cluster(&["a", "b", "c"], None).await;
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let before = a.shared.table().identity_of("c").unwrap();

    c.freeze(Duration::from_millis(2500)).await;
    wait_for("the paused c to be Failed", Duration::from_secs(5), || {
        status(a, "c") == Some(MemberStatus::Failed)
    })
    .await;
    let took = wait_for("c to rejoin", Duration::from_secs(5), || {
        converged(&[a, b, c])
    })
    .await;
    eprintln!("paused node back {took:?} after being declared failed");
    let after = a.shared.table().identity_of("c").unwrap();
    assert_eq!(
        (after.instance, after.bump),
        (before.instance, before.bump + 1)
    );
    for n in [a, b, c] {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn failed_members_are_forgotten_after_a_while() {
    let mut nodes = Vec::new();
    for name in ["a", "b"] {
        let mut cfg = config(name, None);
        cfg.forget_after = Duration::from_secs(1);
        nodes.push(Membership::start(cfg).await.unwrap());
    }
    let (a, b) = (&nodes[0], &nodes[1]);
    assert_eq!(b.join(&[addr(a)], JOIN_WAIT).await.unwrap(), 1);
    wait_for("a and b", Duration::from_secs(5), || converged(&[a, b])).await;
    b.shutdown().await;
    wait_for("b Failed", Duration::from_secs(5), || {
        status(a, "b") == Some(MemberStatus::Failed)
    })
    .await;
    let took = wait_for("b forgotten", Duration::from_secs(5), || names(a) == ["a"]).await;
    assert!(
        took >= Duration::from_millis(500),
        "forgotten too early: {took:?}"
    );
    a.shutdown().await;
}

#[tokio::test]
async fn meta_updates_propagate() {
    let nodes = cluster(&["a", "b", "c"], None).await;
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let mut events = b.subscribe();

    a.update_meta(|m| {
        m.tags.insert("zone".into(), "eu-1".into());
        m.role = Role::Agent;
    })
    .await;
    assert_eq!(a.local().tags["zone"], "eu-1");
    wait_for("the new tags on b and c", Duration::from_secs(3), || {
        [b, c]
            .iter()
            .all(|n| member(n, "a").is_some_and(|s| s.meta == a.local()))
    })
    .await;
    let mut updated = false;
    while let Ok(event) = events.try_recv() {
        updated |=
            matches!(&event, MemberEvent::Updated(m) if m.name == "a" && m.role == Role::Agent);
    }
    assert!(updated);

    // A node joining later (through another seed) learns the current metadata too.
    let d = node("d", None).await;
    assert_eq!(d.join(&[addr(c)], JOIN_WAIT).await.unwrap(), 1);
    wait_for(
        "d to see everyone as they are",
        Duration::from_secs(5),
        || converged(&[a, b, c, &d]),
    )
    .await;

    // Name and gossip address cannot change at runtime; oversized metadata is refused.
    let before = a.local();
    a.update_meta(|m| m.name = "renamed".into()).await;
    a.update_meta(|m| {
        for i in 0..100 {
            m.tags.insert(format!("tag-{i}"), "x".repeat(20));
        }
    })
    .await;
    assert_eq!(a.local(), before);
    for n in [a, b, c, &d] {
        n.shutdown().await;
    }
}

/// Collects log output of the current thread (the tests run on a current-thread runtime).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn encryption_keeps_outsiders_out() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let key = parse_key(&generate_key()).unwrap();
    let nodes = cluster(&["a", "b"], Some(&key)).await;
    let (a, b) = (&nodes[0], &nodes[1]);

    let other_key = parse_key(&generate_key()).unwrap();
    let wrong = node("wrong", Some(&other_key)).await;
    let plain = node("plain", None).await;
    let short = Duration::from_millis(600);
    assert_eq!(wrong.join(&[addr(a)], short).await.unwrap(), 0);
    assert_eq!(plain.join(&[addr(a), addr(b)], short).await.unwrap(), 0);
    // And a keyed node cannot join a cluster without a key either.
    assert_eq!(a.join(&[addr(&plain)], short).await.unwrap(), 0);

    for n in [a, b] {
        assert_eq!(names(n), ["a", "b"]);
    }
    assert_eq!(names(&wrong), ["wrong"]);
    assert_eq!(names(&plain), ["plain"]);
    assert!(a.dropped_packets() > 0);
    assert!(plain.dropped_packets() > 0);

    let logs = capture.text();
    for (from, why) in [
        (addr(&wrong), "decryption failed"),
        (addr(&plain), "the sender does not encrypt"),
    ] {
        let line =
            format!("gossip packet from {from} dropped: wrong or missing encryption key ({why}");
        assert!(logs.contains(&line), "missing {line:?} in:\n{logs}");
    }
    let line = format!(
        "gossip packet from {} dropped: wrong or missing encryption key (the packet is encrypted; this node has no gossip key",
        addr(a)
    );
    assert!(logs.contains(&line), "missing {line:?} in:\n{logs}");
    // Rate-limited: one line per source for this short test.
    let from_wrong = format!("gossip packet from {} dropped", addr(&wrong));
    assert_eq!(logs.matches(&from_wrong).count(), 1, "{logs}");

    // 16- and 24-byte keys work too.
    for len in [16, 24] {
        let key: Vec<u8> = (0..len as u8).collect();
        let text = base64::engine::general_purpose::STANDARD.encode(&key);
        assert_eq!(parse_key(&text).unwrap(), key);
        let p = node("p", Some(&key)).await;
        let q = node("q", Some(&key)).await;
        assert_eq!(q.join(&[addr(&p)], JOIN_WAIT).await.unwrap(), 1);
        p.shutdown().await;
        q.shutdown().await;
    }
    for n in [a, b, &wrong, &plain] {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn bad_key_and_config_are_refused() {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let err = parse_key("not base64 at all!").unwrap_err().to_string();
    assert!(err.contains("not valid base64"), "{err}");
    let err = parse_key(&b64(&[7; 10])).unwrap_err().to_string();
    assert!(
        err.contains("10 bytes") && err.contains("16, 24 or 32"),
        "{err}"
    );
    let err = parse_key("  ").unwrap_err().to_string();
    assert!(err.contains("empty"), "{err}");
    assert_eq!(
        parse_key(&format!(" {}\n", b64(&[1; 32]))).unwrap(),
        vec![1; 32]
    );
    let (k1, k2) = (generate_key(), generate_key());
    assert_ne!(k1, k2);
    assert_eq!(parse_key(&k1).unwrap().len(), 32);

    let mut cfg = config("x", Some(&[1; 20]));
    assert!(
        !format!("{cfg:?}").contains("[1, 1"),
        "the key must not be printed"
    );
    assert!(matches!(
        Membership::start(cfg.clone()).await,
        Err(MembershipError::BadKey(_))
    ));
    cfg.key = None;
    cfg.probe_timeout = cfg.probe_period;
    assert!(matches!(
        Membership::start(cfg).await,
        Err(MembershipError::InvalidConfig(_))
    ));
    let mut cfg = config(&"n".repeat(MAX_NAME_LEN + 1), None);
    assert!(matches!(
        Membership::start(cfg.clone()).await,
        Err(MembershipError::InvalidMeta(_))
    ));
    cfg.meta.name = "x".into();
    cfg.meta.gossip_addr = "0.0.0.0:0".parse().unwrap();
    cfg.bind = "0.0.0.0:0".parse().unwrap();
    assert!(matches!(
        Membership::start(cfg).await,
        Err(MembershipError::InvalidMeta(_))
    ));

    let taken = node("taken", None).await;
    let mut cfg = config("y", None);
    cfg.bind = addr(&taken);
    let err = Membership::start(cfg).await.unwrap_err();
    assert!(matches!(err, MembershipError::Bind { .. }), "{err}");
    taken.shutdown().await;
}

#[test]
fn derive_key_is_rfc5869_hkdf_sha256() {
    // RFC 5869 test case 3 (empty salt and info): the first 32 bytes of its OKM.
    let okm = derive_key(&[0x0b; 22], "");
    let expected = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d";
    let hex: String = okm.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, expected);
    let key = [9u8; 32];
    assert_ne!(
        derive_key(&key, "belfry gossip v1"),
        derive_key(&key, "belfry rpc v1")
    );
    assert_eq!(derive_key(&key, "x"), derive_key(&key, "x"));
}

#[test]
fn envelope_round_trips_and_refuses() {
    let frame = b"hello frame".to_vec();
    for len in [16usize, 24, 32] {
        let key: Vec<u8> = (0..len as u8).collect();
        let sealer = Envelope::new(Some(&key)).unwrap();
        let mut packet = Vec::new();
        sealer.seal(&frame, &mut packet).unwrap();
        assert_eq!(packet[0], SEALED_V1);
        assert_eq!(packet.len(), frame.len() + 1 + 12 + 16);
        let mut copy = packet.clone();
        assert_eq!(sealer.open(&mut copy).unwrap(), &frame[..]);
        // Random nonces: two seals differ.
        let mut again = Vec::new();
        sealer.seal(&frame, &mut again).unwrap();
        assert_ne!(again, packet);
        // Any flipped bit fails authentication.
        for i in 1..packet.len() {
            let mut bad = packet.clone();
            bad[i] ^= 0x40;
            assert_eq!(sealer.open(&mut bad), Err(Refusal::WrongKey));
        }
        let mut truncated = packet[..20].to_vec();
        assert_eq!(sealer.open(&mut truncated), Err(Refusal::WrongKey));
        let other = Envelope::new(Some(&[0xee; 32])).unwrap();
        assert_eq!(other.open(&mut packet.clone()), Err(Refusal::WrongKey));
        let plain = Envelope::new(None).unwrap();
        assert_eq!(plain.open(&mut packet.clone()), Err(Refusal::Sealed));
        let mut clear = Vec::new();
        plain.seal(&frame, &mut clear).unwrap();
        assert_eq!(clear[0], PLAIN_V1);
        assert_eq!(sealer.open(&mut clear.clone()), Err(Refusal::Plaintext));
        assert_eq!(plain.open(&mut clear).unwrap(), &frame[..]);
        assert_eq!(sealer.open(&mut []), Err(Refusal::UnknownFormat(None)));
        assert_eq!(
            sealer.open(&mut [0x02, 1, 2]),
            Err(Refusal::UnknownFormat(Some(2)))
        );
    }
    assert!(matches!(
        Envelope::new(Some(&[1; 31])),
        Err(MembershipError::BadKey(_))
    ));
}

#[tokio::test]
async fn garbage_packets_do_not_crash_a_node() {
    let nodes = cluster(&["a", "b"], None).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let keyed = node("keyed", Some(&[5; 32])).await;
    let target = addr(a);
    let a_id = Id {
        name: Arc::from("a"),
        addr: target,
        instance: a.shared.table().instance,
        bump: 0,
    };
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut rng = rand::rng();
    let mut random = |max: usize| -> Vec<u8> {
        let len = rng.random_range(0..=max);
        (0..len).map(|_| rng.random::<u8>()).collect()
    };
    let with = |prefix: &[u8], tail: Vec<u8>| -> Vec<u8> { [prefix, &tail].concat() };
    let stamp = postcard::to_allocvec(&Stamp {
        name: "evil".into(),
        instance: 1,
        version: 1,
    })
    .unwrap();
    let evil = |n: u32| Id {
        name: Arc::from(format!("evil-{n}").as_str()),
        addr: "127.0.0.1:9".parse().unwrap(),
        instance: u64::from(n),
        bump: 0,
    };
    let mut packets: Vec<Vec<u8>> = vec![vec![], vec![PLAIN_V1], vec![SEALED_V1], vec![0; 9000]];
    for i in 0..150u32 {
        packets.push(random(1500));
        packets.push(with(&[PLAIN_V1], random(1400)));
        packets.push(with(&[PLAIN_V1, 1], random(1400)));
        packets.push(with(&[PLAIN_V1, 2], random(1400)));
        packets.push(with(&[SEALED_V1], random(1400)));
        let mut foca_frame = vec![PLAIN_V1, 1];
        foca_frame.extend_from_slice(&stamp);
        packets.push(with(&foca_frame, random(1200)));
        // Well-formed foca headers followed by garbage, addressed to a's real identity.
        let messages = [
            foca::Message::Ping(i as u8),
            foca::Message::Ack(i as u8),
            foca::Message::Gossip,
            foca::Message::Feed,
            foca::Message::Broadcast,
            foca::Message::Announce,
            foca::Message::TurnUndead,
            foca::Message::PingReq {
                target: a_id.clone(),
                probe_number: 1,
            },
            foca::Message::IndirectAck {
                target: evil(i + 1),
                probe_number: 1,
            },
        ];
        let message = messages[i as usize % messages.len()].clone();
        let header = foca::Header {
            src: evil(i),
            src_incarnation: 0,
            dst: a_id.clone(),
            message,
        };
        let mut frame = foca_frame.clone();
        frame.extend(postcard::to_allocvec(&header).unwrap());
        packets.push(with(&frame, random(64)));
        // Sync frames: inconsistent, about a's own name, and a valid-looking stranger.
        let mut record = MetaRecord {
            instance: u64::from(i),
            version: 0,
            leaving: i % 2 == 0,
            meta: meta("a"),
        };
        let sync = SyncFrame {
            id: evil(i),
            record: record.clone(),
            reply: true,
            yours: None,
        };
        packets.push(postcard::to_extend(&sync, vec![PLAIN_V1, 2]).unwrap());
        record.meta.name = format!("evil-{i}");
        let sync = SyncFrame {
            id: evil(i),
            record,
            reply: i % 3 == 0,
            // "You are older than what I know": a is long accepted, so it only warns.
            yours: (i % 5 == 0).then_some((u64::MAX, 0)),
        };
        packets.push(postcard::to_extend(&sync, vec![PLAIN_V1, 2]).unwrap());
    }
    for (i, packet) in packets.iter().enumerate() {
        socket.send_to(packet, target).await.unwrap();
        socket.send_to(packet, addr(&keyed)).await.unwrap();
        if i % 50 == 0 {
            // Let the nodes drain their sockets (the kernel drops what overflows).
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    // Everyone is still fine: the pair still sees each other, and a new node can join a.
    let c = node("c", None).await;
    assert_eq!(c.join(&[target], JOIN_WAIT).await.unwrap(), 1);
    wait_for("a, b, c to converge", Duration::from_secs(5), || {
        let real = |n: &Membership| {
            n.members()
                .iter()
                .filter(|s| ["a", "b", "c"].contains(&s.meta.name.as_str()))
                .all(|s| s.status == MemberStatus::Alive)
                && ["a", "b", "c"]
                    .iter()
                    .all(|x| status(n, x) == Some(MemberStatus::Alive))
        };
        real(a) && real(b) && real(&c)
    })
    .await;
    assert!(keyed.dropped_packets() > 100, "{}", keyed.dropped_packets());
    let other = node("other", Some(&[5; 32])).await;
    assert_eq!(other.join(&[addr(&keyed)], JOIN_WAIT).await.unwrap(), 1);
    for n in [a, b, &c, &keyed, &other] {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_an_incompatible_protocol_never_becomes_a_member() {
    let a = node("a", None).await;
    let mut newer = config("future", None);
    newer.meta.version = "9.0.0".into();
    newer.meta.protocol_min = 7;
    newer.meta.protocol_max = 8;
    let future = Membership::start(newer).await.unwrap();
    let ok = node("ok", None).await;
    // The gossip handshake itself goes through; the Belfry membership refuses the other.
    let _ = future.join(&[addr(&a)], JOIN_WAIT).await;
    ok.join(&[addr(&a)], JOIN_WAIT).await.unwrap();
    wait_for("ok to be a member of a", Duration::from_secs(5), || {
        member(&a, "ok").is_some()
    })
    .await;
    // Give gossip the time it took for the compatible one, twice over, and check again.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(member(&a, "future").is_none(), "{:?}", names(&a));
    assert!(member(&future, "a").is_none(), "{:?}", names(&future));
    let why = super::table::compatible(&a.local(), &future.local()).unwrap_err();
    assert!(
        why.contains("belfry 9.0.0 (protocol 7..8)")
            && why.contains("belfry 0.1.0 (protocol 1..1)"),
        "{why}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
    /// Every decoder that reads a gossip datagram takes arbitrary bytes to a clean refusal,
    /// never a panic: the envelope (with and without a key), then each frame kind.
    #[test]
    fn arbitrary_gossip_packets_are_refused_cleanly(packet in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        for key in [None, Some(&b"0123456789abcdef0123456789abcdef"[..])] {
            let envelope = Envelope::new(key).unwrap();
            let mut copy = packet.clone();
            let _ = envelope.open(&mut copy);
        }
        let _ = postcard::take_from_bytes::<Stamp>(&packet);
        let _ = postcard::from_bytes::<SyncFrame>(&packet);
        let _ = postcard::from_bytes::<Id>(&packet);
        if let Ok(record) = postcard::from_bytes::<MetaRecord>(&packet) {
            let _ = record.is_valid();
        }
    }
}
