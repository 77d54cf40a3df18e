//! Multicast DNS service discovery (RFC 6762, DNS-SD names per RFC 6763), just enough for nodes
//! on one LAN to find each other's gossip addresses.
//!
//! * The **querier** ([`discover`]) sends one PTR question for `_service._tcp.local.` to
//!   224.0.0.251:5353 (and `[ff02::fb]:5353` with `v6=true`) from an ephemeral port, listens for
//!   the query's timeout, and returns the gossip address of every node that answered: the
//!   address records of each SRV target with the SRV port. Using an ephemeral port makes it a
//!   "legacy unicast" querier (RFC 6762 §6.7): every responder answers it directly, so the
//!   answers reach it even when several processes on one host share port 5353.
//! * The **responder** ([`Advertiser`]) answers PTR questions for the node's services with a
//!   PTR to `<node>._service._tcp.local.`, its SRV (gossip port, target `<node>.local.`), a TXT
//!   (`name=`, `role=`) and the A or AAAA record of the advertise address. It binds port 5353
//!   with SO_REUSEADDR and SO_REUSEPORT (multicast is delivered to every such socket, so any
//!   number of nodes on a host can advertise) and joins the group on the interface of the
//!   advertise address (else of the bind address, else the system's choice). It answers a query
//!   from an ephemeral port, or one with the QU bit, by unicast to the asker, and any other by
//!   multicast; queries from off its own link get no answer.
//!
//! Not implemented, as a private discovery protocol among Belfry nodes does not need them:
//! probing for name conflicts, announcements and goodbyes, known-answer suppression, and
//! answering questions other than PTR (or ANY) for a service.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use super::wire::{
    CLASS_ANY, CLASS_IN, FLAG_AUTHORITATIVE, FLAG_RESPONSE, Message, Name, Question, Record,
    RecordData, TYPE_ANY, TYPE_PTR,
};
use crate::duration::parse_go_duration;

pub const MDNS_PORT: u16 = 5353;
pub const GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
pub const GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xfb);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
pub const MAX_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest mDNS packet (RFC 6762 §17), the size of the receive buffers.
const MAX_PACKET: usize = 9000;
/// Responses kept per query: far more than nodes on a LAN, few enough that a flood of
/// answers cannot exhaust memory.
const MAX_RESPONSES: usize = 1024;
/// RFC 6762 §6.7: answers to legacy unicast queries carry a TTL of at most 10 s.
const LEGACY_TTL: u32 = 10;
/// RFC 6762 §10: records naming a host (SRV, A, AAAA) and the others are both kept 120 s here,
/// since nothing caches our answers for long anyway.
const RECORD_TTL: u32 = 120;
/// RFC 6762 §11: mDNS packets are sent with an IP TTL (hop limit) of 255.
const MULTICAST_HOPS: u32 = 255;

/// A parsed `provider=mdns …` join value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdnsQuery {
    /// The service type, `_name._tcp` or `_name._udp`.
    pub service: String,
    /// The domain, `local` unless `domain=` says otherwise.
    pub domain: String,
    /// How long to collect answers.
    pub timeout: Duration,
    /// Query over IPv4 (224.0.0.251).
    pub v4: bool,
    /// Query over IPv6 (ff02::fb).
    pub v6: bool,
}

impl MdnsQuery {
    /// Reads go-discover's fields `service=NAME [domain=local] [timeout=1s] [v4=true]
    /// [v6=false]`; `provider` is skipped. An error names the field at fault.
    pub fn from_fields(fields: &BTreeMap<&str, &str>) -> Result<MdnsQuery, String> {
        const KNOWN: &str = "service, domain, timeout, v4, v6";
        if let Some(unknown) = fields.keys().find(|k| {
            !matches!(
                **k,
                "provider" | "service" | "domain" | "timeout" | "v4" | "v6"
            )
        }) {
            return Err(format!(
                "provider=mdns has no field {unknown}= (fields: {KNOWN})"
            ));
        }
        let service = fields
            .get("service")
            .ok_or("provider=mdns needs service=NAME")?;
        let service = service_type(service).map_err(|why| format!("service={service} {why}"))?;
        let domain = fields.get("domain").copied().unwrap_or("local");
        let domain = domain.trim_end_matches('.');
        if domain.is_empty() || Name::parse(domain).is_none() {
            return Err(format!("domain={domain} is not a domain name"));
        }
        let timeout = match fields.get("timeout") {
            Some(text) => {
                let t = parse_go_duration(text).map_err(|e| format!("timeout={text}: {e}"))?;
                if t.is_zero() || t > MAX_TIMEOUT {
                    return Err(format!(
                        "timeout={text} must be longer than zero and at most {}s",
                        MAX_TIMEOUT.as_secs()
                    ));
                }
                t
            }
            None => DEFAULT_TIMEOUT,
        };
        let flag = |key: &str, default: bool| match fields.get(key) {
            None => Ok(default),
            Some(v) => parse_bool(v).ok_or_else(|| format!("{key}={v} is not true or false")),
        };
        let v4 = flag("v4", true)?;
        let v6 = flag("v6", false)?;
        if !v4 && !v6 {
            return Err("v4=false and v6=false leave nothing to query".into());
        }
        let query = MdnsQuery {
            service,
            domain: domain.to_string(),
            timeout,
            v4,
            v6,
        };
        if query.service_name().is_none() {
            return Err(format!(
                "{}.{} is too long a name",
                query.service, query.domain
            ));
        }
        Ok(query)
    }

    /// `_service._tcp.domain.` as a name; `None` only if too long, which parsing refuses.
    pub fn service_name(&self) -> Option<Name> {
        Name::parse(&format!("{}.{}", self.service, self.domain))
    }
}

/// `belfry` → `_belfry._tcp`; `_belfry._tcp` and `_belfry._udp` as they are.
fn service_type(text: &str) -> Result<String, &'static str> {
    let (name, proto) = match text.split_once('.') {
        Some((name, proto)) => {
            let Some(name) = name.strip_prefix('_') else {
                return Err("is not NAME or _NAME._tcp");
            };
            if proto != "_tcp" && proto != "_udp" {
                return Err("is not NAME or _NAME._tcp");
            }
            (name, proto)
        }
        None => (text.strip_prefix('_').unwrap_or(text), "_tcp"),
    };
    // RFC 6763 §7.2 asks for at most 15 characters; longer names are accepted here, up to
    // the DNS label limit, as nothing but Belfry needs to read them.
    if name.is_empty()
        || name.len() > 62
        || name.starts_with('-')
        || name.ends_with('-')
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err("must be letters, digits and inner '-' (at most 62)");
    }
    Ok(format!("_{name}.{proto}"))
}

/// Go's `strconv.ParseBool`, which go-discover uses.
fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

// -- querier ----------------------------------------------------------------------------------

/// Asks the LAN who offers `query`'s service and returns their addresses (SRV port with each of
/// the SRV target's A and AAAA records), deduplicated, after collecting answers for the query's
/// timeout. Queries go out on the interface that holds `interface` (this node's advertise
/// address), or where the system routes multicast if it holds none. An error only if no query
/// could be sent at all.
pub async fn discover(query: &MdnsQuery, interface: IpAddr) -> io::Result<Vec<SocketAddr>> {
    let service = query
        .service_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "service name too long"))?;
    let packet = Message {
        id: rand::random(),
        flags: 0,
        questions: vec![Question {
            name: service.clone(),
            qtype: TYPE_PTR,
            qclass: CLASS_IN,
            unicast_response: false,
        }],
        ..Message::default()
    }
    .encode()
    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let scope = interface_index(interface).unwrap_or(0);
    let mut exchanges = Vec::new();
    let mut failures = Vec::new();
    if query.v4 {
        let local = match interface {
            IpAddr::V4(ip) => ip,
            IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
        };
        match querier_v4(local) {
            Ok(socket) => exchanges.push((socket, SocketAddr::from((GROUP_V4, MDNS_PORT)))),
            Err(e) => failures.push(e),
        }
    }
    if query.v6 {
        match querier_v6(scope) {
            Ok(socket) => exchanges.push((
                socket,
                SocketAddrV6::new(GROUP_V6, MDNS_PORT, 0, scope).into(),
            )),
            Err(e) => failures.push(e),
        }
    }
    let answers = futures_util::future::join_all(
        exchanges
            .into_iter()
            .map(|(socket, group)| exchange(socket, group, &packet, query.timeout)),
    )
    .await;
    let mut messages = Vec::new();
    let mut asked = false;
    for answer in answers {
        match answer {
            Ok(mut m) => {
                asked = true;
                messages.append(&mut m);
            }
            Err(e) => failures.push(e),
        }
    }
    if !asked && let Some(e) = failures.into_iter().next() {
        return Err(e);
    }
    Ok(addresses(&messages, &service, query.v4, query.v6, scope))
}

fn querier_v4(interface: Ipv4Addr) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    if !interface.is_unspecified()
        && let Err(e) = socket.set_multicast_if_v4(&interface)
    {
        tracing::debug!(%interface, "mDNS: not querying on this interface: {e}");
    }
    socket.set_multicast_loop_v4(true)?;
    socket.set_multicast_ttl_v4(MULTICAST_HOPS)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)).into())?;
    into_tokio(socket)
}

fn querier_v6(scope: u32) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_only_v6(true)?;
    if scope != 0 {
        socket.set_multicast_if_v6(scope)?;
    }
    socket.set_multicast_loop_v6(true)?;
    socket.set_multicast_hops_v6(MULTICAST_HOPS)?;
    socket.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)).into())?;
    into_tokio(socket)
}

fn into_tokio(socket: Socket) -> io::Result<UdpSocket> {
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket.into())
}

/// Sends the query, again halfway through in case a multicast packet was lost, and returns
/// every response that arrives before `timeout`.
async fn exchange(
    socket: UdpSocket,
    group: SocketAddr,
    packet: &[u8],
    timeout: Duration,
) -> io::Result<Vec<Message>> {
    socket
        .send_to(packet, group)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("mDNS query to {group}: {e}")))?;
    let start = tokio::time::Instant::now();
    let deadline = start + timeout;
    let mut resend = Some(start + timeout / 2);
    let mut buf = vec![0u8; MAX_PACKET];
    let mut responses = Vec::new();
    loop {
        let wake = resend.map_or(deadline, |r| r.min(deadline));
        match tokio::time::timeout_at(wake, socket.recv_from(&mut buf)).await {
            Ok(Ok((len, _from))) => {
                if let Ok(m) = Message::decode(&buf[..len])
                    && m.is_response()
                    && responses.len() < MAX_RESPONSES
                {
                    responses.push(m);
                }
            }
            // e.g. an ICMP error for an earlier packet; the next read goes on.
            Ok(Err(e)) => tracing::debug!("mDNS receive: {e}"),
            Err(_elapsed) if wake < deadline => {
                resend = None;
                if let Err(e) = socket.send_to(packet, group).await {
                    tracing::debug!("mDNS query to {group} again: {e}");
                }
            }
            Err(_elapsed) => return Ok(responses),
        }
    }
}

/// The addresses the responses give for instances of `service`: each SRV record of a
/// `<instance>.<service>` name, paired with the A (if `v4`) and AAAA (if `v6`) records of its
/// target from any of the responses. Records with TTL 0 are goodbyes and ignored. A link-local
/// IPv6 address gets `scope`, the interface the query went out on.
fn addresses(
    responses: &[Message],
    service: &Name,
    v4: bool,
    v6: bool,
    scope: u32,
) -> Vec<SocketAddr> {
    let records = || {
        responses
            .iter()
            .flat_map(Message::records)
            .filter(|r| r.ttl > 0)
    };
    let mut hosts: BTreeMap<_, Vec<IpAddr>> = BTreeMap::new();
    for r in records() {
        let ip = match r.data {
            RecordData::A(ip) if v4 && !ip.is_unspecified() => IpAddr::V4(ip),
            RecordData::Aaaa(ip) if v6 && !ip.is_unspecified() => IpAddr::V6(ip),
            _ => continue,
        };
        hosts.entry(r.name.key()).or_default().push(ip);
    }
    let mut found = BTreeSet::new();
    for srv in records() {
        let RecordData::Srv { port, target, .. } = &srv.data else {
            continue;
        };
        if *port == 0 || !srv.name.is_child_of(service) {
            continue;
        }
        for ip in hosts.get(&target.key()).into_iter().flatten() {
            found.insert(match *ip {
                IpAddr::V6(v6) if v6.is_unicast_link_local() => {
                    SocketAddrV6::new(v6, *port, 0, scope).into()
                }
                ip => SocketAddr::new(ip, *port),
            });
        }
    }
    found.into_iter().collect()
}

// -- responder --------------------------------------------------------------------------------

/// What a node advertises.
#[derive(Debug, Clone)]
pub struct Advertisement {
    pub node_name: String,
    /// `server` or `agent`, for the TXT record.
    pub role: String,
    /// The gossip address other nodes should join.
    pub gossip: SocketAddr,
    /// The gossip bind IP: the interface to listen on if `gossip`'s IP is not local.
    pub bind_ip: IpAddr,
    /// The services to answer for, as `(service type, domain)`.
    pub services: Vec<(String, String)>,
}

/// A running responder. It answers until dropped.
#[derive(Debug)]
pub struct Advertiser {
    task: tokio::task::JoinHandle<()>,
}

impl Advertiser {
    /// Opens port 5353, joins the group and starts answering in a task. Needs a Tokio runtime.
    pub fn start(ad: &Advertisement) -> io::Result<Advertiser> {
        let responder = Responder::new(ad)?;
        let (socket, group) = match ad.gossip.ip() {
            IpAddr::V4(ip) => responder_v4(ip, ad.bind_ip)?,
            IpAddr::V6(ip) => responder_v6(ip, ad.bind_ip)?,
        };
        let task = tokio::spawn(serve(socket, group, responder));
        Ok(Advertiser { task })
    }
}

impl Drop for Advertiser {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A socket on port 5353 shared with any other responder on the host.
fn shared_mdns_socket(domain: Domain) -> io::Result<Socket> {
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    if domain == Domain::IPV6 {
        socket.set_only_v6(true)?;
    }
    Ok(socket)
}

fn responder_v4(advertised: Ipv4Addr, bind: IpAddr) -> io::Result<(UdpSocket, SocketAddr)> {
    let socket = shared_mdns_socket(Domain::IPV4)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, MDNS_PORT)).into())?;
    let mut candidates = vec![advertised];
    if let IpAddr::V4(bind) = bind
        && !bind.is_unspecified()
    {
        candidates.push(bind);
    }
    candidates.push(Ipv4Addr::UNSPECIFIED);
    let mut last_error = None;
    let mut joined = None;
    for interface in candidates {
        match socket.join_multicast_v4(&GROUP_V4, &interface) {
            Ok(()) => {
                joined = Some(interface);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let Some(interface) = joined else {
        return Err(last_error.unwrap_or_else(|| io::Error::other("no interface")));
    };
    if interface != advertised {
        tracing::warn!(
            %advertised,
            "mDNS: the advertise address is not on a local interface; listening on {interface}"
        );
    }
    if !interface.is_unspecified() {
        socket.set_multicast_if_v4(&interface)?;
    }
    socket.set_multicast_loop_v4(true)?;
    socket.set_multicast_ttl_v4(MULTICAST_HOPS)?;
    Ok((into_tokio(socket)?, SocketAddr::from((GROUP_V4, MDNS_PORT))))
}

fn responder_v6(advertised: Ipv6Addr, bind: IpAddr) -> io::Result<(UdpSocket, SocketAddr)> {
    let socket = shared_mdns_socket(Domain::IPV6)?;
    socket.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, MDNS_PORT)).into())?;
    let scope = interface_index(IpAddr::V6(advertised))
        .or_else(|| interface_index(bind))
        .unwrap_or(0);
    socket.join_multicast_v6(&GROUP_V6, scope)?;
    if scope != 0 {
        socket.set_multicast_if_v6(scope)?;
    }
    socket.set_multicast_loop_v6(true)?;
    socket.set_multicast_hops_v6(MULTICAST_HOPS)?;
    let group = SocketAddrV6::new(GROUP_V6, MDNS_PORT, 0, scope).into();
    Ok((into_tokio(socket)?, group))
}

async fn serve(socket: UdpSocket, group: SocketAddr, responder: Responder) {
    let mut buf = vec![0u8; MAX_PACKET];
    loop {
        let (len, from) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(e) => {
                // e.g. an ICMP "port unreachable" for an answer to a querier that has gone.
                tracing::debug!("mDNS responder receive: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(query) = Message::decode(&buf[..len]) else {
            continue;
        };
        let Some((reply, to)) = responder.answer(&query, from) else {
            continue;
        };
        if !on_local_link(from.ip(), &local_addresses()) {
            tracing::debug!(%from, "mDNS: not answering a query from off the local link");
            continue;
        }
        let to = match to {
            Destination::Asker => from,
            Destination::Group => group,
        };
        match reply.encode() {
            Ok(packet) => {
                if let Err(e) = socket.send_to(&packet, to).await {
                    tracing::debug!(%to, "mDNS answer not sent: {e}");
                }
            }
            Err(e) => tracing::debug!("mDNS answer not encoded: {e}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Destination {
    /// Unicast, back to the query's source address and port.
    Asker,
    /// Multicast to the group on port 5353.
    Group,
}

/// One advertised service's names.
#[derive(Debug, Clone)]
struct ServiceNames {
    /// `_belfry._tcp.local.`
    service: Name,
    /// `<node>._belfry._tcp.local.`
    instance: Name,
    /// `<node>.local.`
    host: Name,
}

/// Builds the answers; pure, so the rules are tested without sockets.
#[derive(Debug, Clone)]
struct Responder {
    services: Vec<ServiceNames>,
    gossip: SocketAddr,
    txt: Vec<Vec<u8>>,
}

impl Responder {
    fn new(ad: &Advertisement) -> io::Result<Responder> {
        let too_long = || io::Error::new(io::ErrorKind::InvalidInput, "mDNS name too long");
        // An instance label is any text of at most 63 bytes; node names are ASCII.
        let instance_label: String = ad.node_name.chars().take(63).collect();
        // A host label keeps to letters, digits and '-'.
        let host_label: String = ad
            .node_name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(63)
            .collect();
        let mut services = Vec::new();
        for (service_type, domain) in &ad.services {
            let domain = Name::parse(domain).ok_or_else(too_long)?;
            let service = Name::from_labels(
                service_type
                    .split('.')
                    .map(|l| l.as_bytes().to_vec())
                    .chain(domain.labels().iter().cloned()),
            )
            .ok_or_else(too_long)?;
            services.push(ServiceNames {
                instance: service.prepend(&instance_label).ok_or_else(too_long)?,
                host: domain.prepend(&host_label).ok_or_else(too_long)?,
                service,
            });
        }
        let txt = [
            format!("name={}", ad.node_name),
            format!("role={}", ad.role),
        ]
        .into_iter()
        .map(|s| s.into_bytes().into_iter().take(255).collect())
        .collect();
        Ok(Responder {
            services,
            gossip: ad.gossip,
            txt,
        })
    }

    /// The answer to `query` from `from`, and where to send it; `None` if nothing is asked of
    /// this node.
    fn answer(&self, query: &Message, from: SocketAddr) -> Option<(Message, Destination)> {
        if !query.is_standard_query() {
            return None;
        }
        // RFC 6762 §6.7: a query from a port other than 5353 comes from a simple resolver that
        // only hears unicast; it gets its ID and question back, short TTLs and no cache flush.
        let legacy = from.port() != MDNS_PORT;
        let ttl = if legacy { LEGACY_TTL } else { RECORD_TTL };
        let mut reply = Message {
            id: if legacy { query.id } else { 0 },
            flags: FLAG_RESPONSE | FLAG_AUTHORITATIVE,
            ..Message::default()
        };
        let mut unicast = legacy;
        for question in &query.questions {
            if !matches!(question.qtype, TYPE_PTR | TYPE_ANY)
                || !matches!(question.qclass, CLASS_IN | CLASS_ANY)
            {
                continue;
            }
            for names in self.services.iter().filter(|s| s.service == question.name) {
                if legacy {
                    reply.questions.push(question.clone());
                }
                unicast |= question.unicast_response;
                self.records_for(names, ttl, !legacy, &mut reply);
            }
        }
        if reply.answers.is_empty() {
            return None;
        }
        let to = if unicast {
            Destination::Asker
        } else {
            Destination::Group
        };
        Some((reply, to))
    }

    fn records_for(&self, names: &ServiceNames, ttl: u32, cache_flush: bool, reply: &mut Message) {
        let record = |name: &Name, cache_flush: bool, data: RecordData| Record {
            name: name.clone(),
            class: CLASS_IN,
            cache_flush,
            ttl,
            data,
        };
        // The PTR is shared (many nodes offer the service), so it never flushes caches.
        reply.answers.push(record(
            &names.service,
            false,
            RecordData::Ptr(names.instance.clone()),
        ));
        reply.additionals.push(record(
            &names.instance,
            cache_flush,
            RecordData::Srv {
                priority: 0,
                weight: 0,
                port: self.gossip.port(),
                target: names.host.clone(),
            },
        ));
        reply.additionals.push(record(
            &names.instance,
            cache_flush,
            RecordData::Txt(self.txt.clone()),
        ));
        let address = match self.gossip.ip() {
            IpAddr::V4(ip) => RecordData::A(ip),
            IpAddr::V6(ip) => RecordData::Aaaa(ip),
        };
        reply
            .additionals
            .push(record(&names.host, cache_flush, address));
    }
}

/// One address of a local network interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LocalAddress {
    ip: IpAddr,
    netmask: Option<IpAddr>,
    /// The interface's index (0 if unknown).
    index: u32,
}

/// The index of the network interface that holds `ip`, if one does.
fn interface_index(ip: IpAddr) -> Option<u32> {
    if ip.is_unspecified() {
        return None;
    }
    local_addresses()
        .into_iter()
        .find(|a| a.ip == ip && a.index != 0)
        .map(|a| a.index)
}

/// RFC 6762 §11: a responder answers only queries from its own link, so it cannot be used to
/// send answers to far-away (or spoofed) addresses. `from` is on the link if it is loopback,
/// IPv6 link-local, or within the subnet of one of this host's addresses.
fn on_local_link(from: IpAddr, locals: &[LocalAddress]) -> bool {
    let from = match from {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(from, IpAddr::V4),
        v4 => v4,
    };
    if from.is_loopback() || matches!(from, IpAddr::V6(v6) if v6.is_unicast_link_local()) {
        return true;
    }
    locals
        .iter()
        .any(|local| match (from, local.ip, local.netmask) {
            (IpAddr::V4(f), IpAddr::V4(l), Some(IpAddr::V4(m))) => {
                u32::from(f) & u32::from(m) == u32::from(l) & u32::from(m)
            }
            (IpAddr::V6(f), IpAddr::V6(l), Some(IpAddr::V6(m))) => {
                u128::from(f) & u128::from(m) == u128::from(l) & u128::from(m)
            }
            _ => false,
        })
}

/// Every address of every local interface, with its netmask and interface index.
fn local_addresses() -> Vec<LocalAddress> {
    /// # Safety
    /// `sa` is null or points at a sockaddr whose family says its real type.
    unsafe fn ip_of(sa: *const libc::sockaddr) -> Option<IpAddr> {
        if sa.is_null() {
            return None;
        }
        // SAFETY: as the caller promises, the family tells which struct `sa` points at.
        unsafe {
            match i32::from((*sa).sa_family) {
                libc::AF_INET => {
                    let sin = &*(sa as *const libc::sockaddr_in);
                    Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                        sin.sin_addr.s_addr,
                    ))))
                }
                libc::AF_INET6 => {
                    let sin6 = &*(sa as *const libc::sockaddr_in6);
                    Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
                }
                _ => None,
            }
        }
    }
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs stores a list head in `list` on success; it is freed below.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut node = list;
    while !node.is_null() {
        // SAFETY: `node` is an entry of the list getifaddrs returned, alive until freeifaddrs;
        // its address and netmask are null or valid sockaddrs, and its name a C string.
        let (entry, ip, netmask) = unsafe {
            let entry = &*node;
            (entry, ip_of(entry.ifa_addr), ip_of(entry.ifa_netmask))
        };
        node = entry.ifa_next;
        if let Some(ip) = ip {
            // SAFETY: ifa_name is a NUL-terminated interface name.
            let index = unsafe { libc::if_nametoindex(entry.ifa_name) };
            found.push(LocalAddress { ip, netmask, index });
        }
    }
    // SAFETY: `list` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::discovery::wire::{TYPE_A, TYPE_SRV};

    fn fields(text: &str) -> BTreeMap<&str, &str> {
        text.split_whitespace()
            .map(|p| p.split_once('=').unwrap())
            .collect()
    }

    fn parse(text: &str) -> Result<MdnsQuery, String> {
        MdnsQuery::from_fields(&fields(text))
    }

    #[test]
    fn fields_default_and_validate() {
        let q = parse("provider=mdns service=belfry").unwrap();
        assert_eq!(
            q,
            MdnsQuery {
                service: "_belfry._tcp".into(),
                domain: "local".into(),
                timeout: Duration::from_secs(1),
                v4: true,
                v6: false,
            }
        );
        assert_eq!(q.service_name().unwrap().to_string(), "_belfry._tcp.local.");
        let q = parse("service=_dkron._udp domain=lan. timeout=250ms v6=true v4=false").unwrap();
        assert_eq!(
            (q.service.as_str(), q.domain.as_str(), q.timeout, q.v4, q.v6),
            (
                "_dkron._udp",
                "lan",
                Duration::from_millis(250),
                false,
                true
            )
        );
        for (text, needle) in [
            ("provider=mdns", "needs service=NAME"),
            ("service=", "service= must be letters"),
            ("service=a_b", "service=a_b must be"),
            ("service=_x._sctp", "is not NAME or _NAME._tcp"),
            ("service=x timeout=soon", "timeout=soon"),
            (
                "service=x timeout=0s",
                "timeout=0s must be longer than zero",
            ),
            ("service=x timeout=11s", "at most 10s"),
            ("service=x v6=maybe", "v6=maybe is not true or false"),
            ("service=x v4=false", "leave nothing to query"),
            ("service=x domain=a..b", "domain=a..b is not a domain name"),
            ("service=x name=y", "no field name="),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }

    fn responder() -> Responder {
        Responder::new(&Advertisement {
            node_name: "web.1".into(),
            role: "server".into(),
            gossip: "10.1.2.3:8946".parse().unwrap(),
            bind_ip: "0.0.0.0".parse().unwrap(),
            services: vec![("_belfry._tcp".into(), "local".into())],
        })
        .unwrap()
    }

    fn ptr_query(service: &str, unicast_response: bool) -> Message {
        Message {
            id: 77,
            questions: vec![Question {
                name: Name::parse(service).unwrap(),
                qtype: TYPE_PTR,
                qclass: CLASS_IN,
                unicast_response,
            }],
            ..Message::default()
        }
    }

    #[test]
    fn a_legacy_query_gets_its_id_question_and_short_ttls_back_by_unicast() {
        let query = ptr_query("_belfry._tcp.local", false);
        let from: SocketAddr = "10.9.9.9:40000".parse().unwrap();
        let (reply, to) = responder().answer(&query, from).unwrap();
        assert_eq!(to, Destination::Asker);
        assert_eq!(reply.id, 77);
        assert_eq!(reply.questions, query.questions);
        assert!(
            reply
                .records()
                .all(|r| r.ttl == LEGACY_TTL && !r.cache_flush)
        );
        let service = Name::parse("_belfry._tcp.local").unwrap();
        // What the querier makes of it, through the wire.
        let decoded = Message::decode(&reply.encode().unwrap()).unwrap();
        assert_eq!(
            addresses(std::slice::from_ref(&decoded), &service, true, false, 0),
            vec!["10.1.2.3:8946".parse::<SocketAddr>().unwrap()]
        );
        assert!(addresses(std::slice::from_ref(&decoded), &service, false, true, 0).is_empty());
        let txt = decoded.records().find_map(|r| match &r.data {
            RecordData::Txt(t) => Some(t.clone()),
            _ => None,
        });
        assert_eq!(
            txt,
            Some(vec![b"name=web.1".to_vec(), b"role=server".to_vec()])
        );
        let srv_target = decoded.records().find_map(|r| match &r.data {
            RecordData::Srv { target, .. } => Some(target.to_string()),
            _ => None,
        });
        assert_eq!(srv_target.as_deref(), Some("web-1.local."));
    }

    #[test]
    fn multicast_and_qu_queries_from_port_5353() {
        let from: SocketAddr = "10.9.9.9:5353".parse().unwrap();
        let (reply, to) = responder()
            .answer(&ptr_query("_BELFRY._tcp.local.", false), from)
            .unwrap();
        assert_eq!((to, reply.id), (Destination::Group, 0));
        assert!(reply.questions.is_empty());
        assert!(
            reply
                .additionals
                .iter()
                .all(|r| r.cache_flush && r.ttl == RECORD_TTL)
        );
        let (_, to) = responder()
            .answer(&ptr_query("_belfry._tcp.local", true), from)
            .unwrap();
        assert_eq!(to, Destination::Asker);
    }

    #[test]
    fn other_services_types_and_responses_get_no_answer() {
        let r = responder();
        let from: SocketAddr = "10.9.9.9:5353".parse().unwrap();
        assert!(
            r.answer(&ptr_query("_other._tcp.local", false), from)
                .is_none()
        );
        let mut srv = ptr_query("_belfry._tcp.local", false);
        srv.questions[0].qtype = TYPE_SRV;
        assert!(r.answer(&srv, from).is_none());
        let mut response = ptr_query("_belfry._tcp.local", false);
        response.flags = FLAG_RESPONSE;
        assert!(r.answer(&response, from).is_none());
    }

    #[test]
    fn addresses_pair_srv_with_hosts_across_responses_and_skip_strangers() {
        let service = Name::parse("_belfry._tcp.local").unwrap();
        let name = |s: &str| Name::parse(s).unwrap();
        let rec = |n: &str, ttl: u32, data: RecordData| Record {
            name: name(n),
            class: CLASS_IN,
            cache_flush: false,
            ttl,
            data,
        };
        let srv = |n: &str, port: u16, target: &str| {
            rec(
                n,
                10,
                RecordData::Srv {
                    priority: 0,
                    weight: 0,
                    port,
                    target: name(target),
                },
            )
        };
        let first = Message {
            flags: FLAG_RESPONSE,
            answers: vec![
                srv("a._belfry._tcp.local", 7001, "a.local"),
                srv("b._belfry._tcp.local", 7002, "b.local"),
                // Another service's instance, and a goodbye.
                srv("c._other._tcp.local", 7003, "a.local"),
                rec(
                    "d._belfry._tcp.local",
                    0,
                    RecordData::Srv {
                        priority: 0,
                        weight: 0,
                        port: 7004,
                        target: name("a.local"),
                    },
                ),
            ],
            additionals: vec![
                rec("a.local", 10, RecordData::A(Ipv4Addr::new(127, 0, 0, 1))),
                rec("A.LOCAL", 10, RecordData::A(Ipv4Addr::new(127, 0, 0, 1))),
                rec("a.local", 10, RecordData::Aaaa("fe80::1".parse().unwrap())),
            ],
            ..Message::default()
        };
        // b's address comes in another packet; a's SRV is repeated.
        let second = Message {
            flags: FLAG_RESPONSE,
            answers: vec![
                srv("a._belfry._tcp.local", 7001, "a.local"),
                rec("b.local", 10, RecordData::A(Ipv4Addr::new(127, 0, 0, 2))),
            ],
            ..Message::default()
        };
        let both = [first, second];
        let v4: Vec<String> = addresses(&both, &service, true, false, 3)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(v4, ["127.0.0.1:7001", "127.0.0.2:7002"]);
        let v6 = addresses(&both, &service, false, true, 3);
        assert_eq!(
            v6,
            vec![SocketAddr::V6(SocketAddrV6::new(
                "fe80::1".parse().unwrap(),
                7001,
                0,
                3
            ))]
        );
        assert_eq!(TYPE_A, RecordData::A(Ipv4Addr::LOCALHOST).rtype());
    }

    #[test]
    fn long_node_names_still_make_valid_names() {
        let long = "n".repeat(128);
        let r = Responder::new(&Advertisement {
            node_name: long,
            role: "agent".into(),
            gossip: "[fd00::1]:8946".parse().unwrap(),
            bind_ip: "::".parse().unwrap(),
            services: vec![("_belfry._tcp".into(), "local".into())],
        })
        .unwrap();
        let from: SocketAddr = "[fd00::2]:40000".parse().unwrap();
        let (reply, _) = r
            .answer(&ptr_query("_belfry._tcp.local", false), from)
            .unwrap();
        let decoded = Message::decode(&reply.encode().unwrap()).unwrap();
        let service = Name::parse("_belfry._tcp.local").unwrap();
        assert_eq!(
            addresses(&[decoded], &service, false, true, 0),
            vec!["[fd00::1]:8946".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn only_the_local_link_is_answered() {
        let locals = [
            LocalAddress {
                ip: "10.1.2.3".parse().unwrap(),
                netmask: Some("255.255.255.0".parse().unwrap()),
                index: 2,
            },
            LocalAddress {
                ip: "2001:db8:1::5".parse().unwrap(),
                netmask: Some("ffff:ffff:ffff:ffff::".parse().unwrap()),
                index: 2,
            },
        ];
        for (from, local) in [
            ("10.1.2.200", true),
            ("10.1.3.1", false),
            ("203.0.113.9", false),
            ("127.0.0.1", true),
            ("::ffff:10.1.2.9", true),
            ("fe80::1", true),
            ("2001:db8:1::99", true),
            ("2001:db8:2::1", false),
        ] {
            assert_eq!(
                on_local_link(from.parse().unwrap(), &locals),
                local,
                "{from}"
            );
        }
    }

    #[test]
    fn loopback_has_an_interface_index() {
        assert!(interface_index(IpAddr::V4(Ipv4Addr::LOCALHOST)).is_some());
        assert_eq!(interface_index(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), None);
        assert_eq!(interface_index("192.0.2.77".parse().unwrap()), None);
    }
}
