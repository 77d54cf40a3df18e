//! The gossip task: one tokio task owns foca, the UDP socket and the timer heap.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::num::{NonZeroU8, NonZeroUsize};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use foca::{
    AccumulatingRuntime, Foca, OwnedNotification, PeriodicParams, PostcardCodec, State, Timer,
};
use rand::rngs::StdRng;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant as TokioInstant;

use super::crypto::{Envelope, Refusal};
use super::wire::{Handler, Id, Stamp, SyncFrame};
use super::{MemberEvent, MemberStatus, MembershipConfig, Shared};

/// Largest foca packet; with the stamp and the envelope a datagram stays under 1400 bytes.
const FOCA_PACKET: usize = 1200;
/// Receive buffer: anything a peer could send, so an oversized packet is seen whole.
const RECV_BUF: usize = 65_536;
/// Frame kinds (first plaintext byte).
const FRAME_FOCA: u8 = 1;
const FRAME_SYNC: u8 = 2;
/// At most one drop / conflict warning per source this often.
const WARN_EVERY: Duration = Duration::from_secs(10);

pub(crate) enum Input {
    Join {
        addrs: Vec<SocketAddr>,
        answered: Arc<AtomicUsize>,
        done: oneshot::Sender<()>,
    },
    MetaChanged(oneshot::Sender<()>),
    Leave(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
    /// Tests: stop processing anything for a while, like a long GC or VM pause.
    #[cfg(test)]
    Freeze(Duration),
}

pub(crate) struct Setup {
    pub(crate) config: MembershipConfig,
    pub(crate) socket: UdpSocket,
    pub(crate) envelope: Envelope,
    pub(crate) shared: Arc<Shared>,
    pub(crate) rx: mpsc::Receiver<Input>,
}

#[derive(Clone, Copy)]
struct Timing {
    probe_period: Duration,
    probe_timeout: Duration,
    suspicion_timeout: Duration,
    forget_after: Duration,
}

/// Parameters that scale with the cluster size: (max transmissions, suspicion timeout).
fn scaled(t: &Timing, cluster_size: usize) -> (u8, Duration) {
    let n = cluster_size.max(1) as f64;
    // memberlist: retransmit = mult × ceil(log10(n + 1)); suspicion = mult × max(1, log10 n).
    let max_tx = (4.0 * (n + 1.0).log10().ceil()).clamp(4.0, 255.0) as u8;
    let factor = n.log10().max(1.0);
    let suspicion = Duration::try_from_secs_f64(t.suspicion_timeout.as_secs_f64() * factor)
        .unwrap_or(t.suspicion_timeout);
    (max_tx, suspicion)
}

fn foca_config(t: &Timing, cluster_size: usize) -> foca::Config {
    const ONE: NonZeroUsize = NonZeroUsize::MIN;
    const TWO: NonZeroUsize = NonZeroUsize::new(2).unwrap();
    const THREE: NonZeroUsize = NonZeroUsize::new(3).unwrap();
    let (max_tx, suspicion) = scaled(t, cluster_size);
    let mut c = foca::Config::simple();
    c.probe_period = t.probe_period;
    c.probe_rtt = t.probe_timeout;
    c.num_indirect_probes = THREE;
    c.max_transmissions = NonZeroU8::new(max_tx).unwrap_or(NonZeroU8::MIN);
    c.suspect_to_down_after = suspicion;
    c.remove_down_after = Some(t.forget_after);
    c.max_packet_size = NonZeroUsize::new(FOCA_PACKET).unwrap_or(NonZeroUsize::MIN);
    c.notify_down_members = true;
    c.periodic_announce = Some(PeriodicParams {
        frequency: t.probe_period * 30,
        num_members: ONE,
    });
    c.periodic_announce_to_down_members = Some(PeriodicParams {
        frequency: t.probe_period * 65,
        num_members: TWO,
    });
    c.periodic_gossip = Some(PeriodicParams {
        frequency: (t.probe_period / 5).max(Duration::from_millis(10)),
        num_members: THREE,
    });
    c
}

/// A timer foca asked for, ordered by due time then submission.
struct Scheduled {
    at: TokioInstant,
    seq: u64,
    timer: Timer<Id>,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

struct PendingJoin {
    addrs: Vec<SocketAddr>,
    /// Targets that answered, with the name that answered.
    answered: Vec<(SocketAddr, String)>,
    /// Targets that turned out to be this node.
    selves: Vec<SocketAddr>,
    counter: Arc<AtomicUsize>,
    done: Option<oneshot::Sender<()>>,
}

impl PendingJoin {
    fn unresolved(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.addrs
            .iter()
            .copied()
            .filter(|a| !self.selves.contains(a) && !self.answered.iter().any(|(t, _)| t == a))
    }
}

type Gossip = Foca<Id, PostcardCodec, StdRng, Handler>;

struct Engine {
    foca: Gossip,
    runtime: AccumulatingRuntime<Id>,
    socket: UdpSocket,
    envelope: Envelope,
    shared: Arc<Shared>,
    rx: mpsc::Receiver<Input>,
    timers: BinaryHeap<Reverse<Scheduled>>,
    timer_seq: u64,
    timing: Timing,
    tuned: (u8, Duration),
    name: String,
    instance: u64,
    /// `[FRAME_FOCA][stamp]`, refreshed when our record version changes.
    stamp: Vec<u8>,
    joins: Vec<PendingJoin>,
    /// foca reported `Active` at least once: we have been accepted by the cluster.
    ever_active: bool,
    drop_log: HashMap<IpAddr, (Instant, u64)>,
    conflict_log: Option<Instant>,
    /// The last other identity with our name we warned about.
    rival: Option<Id>,
}

pub(crate) fn spawn(setup: Setup) {
    let engine = Engine::new(setup);
    tokio::spawn(async move {
        if let Some(done) = engine.run().await {
            // The engine (and its socket) is gone by now.
            let _ = done.send(());
        }
    });
}

async fn wait_until(at: Option<TokioInstant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Engine {
    fn new(setup: Setup) -> Self {
        let Setup {
            config,
            socket,
            envelope,
            shared,
            rx,
        } = setup;
        let timing = Timing {
            probe_period: config.probe_period,
            probe_timeout: config.probe_timeout,
            suspicion_timeout: config.suspicion_timeout,
            forget_after: config.forget_after,
        };
        let (meta, instance) = {
            let table = shared.table();
            (table.local.clone(), table.instance)
        };
        let id = Id {
            name: Arc::from(meta.name.as_str()),
            addr: meta.gossip_addr,
            instance,
            bump: 0,
        };
        let handler = Handler {
            shared: Arc::clone(&shared),
            name: meta.name.clone(),
        };
        let foca = Foca::with_custom_broadcast(
            id,
            foca_config(&timing, 1),
            rand::make_rng::<StdRng>(),
            PostcardCodec,
            handler,
        );
        let mut engine = Self {
            foca,
            runtime: AccumulatingRuntime::new(),
            socket,
            envelope,
            shared,
            rx,
            timers: BinaryHeap::new(),
            timer_seq: 0,
            timing,
            tuned: scaled(&timing, 1),
            name: meta.name,
            instance,
            stamp: Vec::new(),
            joins: Vec::new(),
            ever_active: false,
            drop_log: HashMap::new(),
            conflict_log: None,
            rival: None,
        };
        engine.refresh_stamp();
        engine
    }

    /// Runs until stopped; returns whom to tell once the socket is closed.
    async fn run(mut self) -> Option<oneshot::Sender<()>> {
        // Our record rides along our first messages.
        self.broadcast_local();
        let mut buf = vec![0u8; RECV_BUF];
        let mut tick = tokio::time::interval(self.timing.probe_period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut recv_errors = 0u32;
        loop {
            let next_timer = self.timers.peek().map(|Reverse(s)| s.at);
            tokio::select! {
                input = self.rx.recv() => match input {
                    None => return None,
                    Some(Input::Shutdown(done)) => return Some(done),
                    Some(Input::Leave(done)) => {
                        self.leave().await;
                        return Some(done);
                    }
                    Some(Input::MetaChanged(done)) => {
                        self.broadcast_local();
                        let _ = done.send(());
                    }
                    Some(Input::Join { addrs, answered, done }) => {
                        self.start_join(addrs, answered, done).await;
                    }
                    #[cfg(test)]
                    Some(Input::Freeze(pause)) => tokio::time::sleep(pause).await,
                },
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((len, src)) => {
                        recv_errors = 0;
                        self.handle_packet(&mut buf[..len], src).await;
                    }
                    Err(e) => {
                        // e.g. ICMP port unreachable reported on some platforms.
                        tracing::debug!("gossip socket receive error: {e}");
                        recv_errors = recv_errors.saturating_add(1);
                        if recv_errors > 100 {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                },
                () = wait_until(next_timer) => self.fire_timers().await,
                _ = tick.tick() => self.housekeeping().await,
            }
        }
    }

    // -- sending --------------------------------------------------------------------------

    async fn send_frame(&self, dst: SocketAddr, frame: &[u8]) {
        let mut packet = Vec::new();
        if self.envelope.seal(frame, &mut packet).is_err() {
            tracing::error!("cannot seal a gossip packet");
            return;
        }
        if let Err(e) = self.socket.send_to(&packet, dst).await {
            tracing::debug!(%dst, "gossip send failed: {e}");
        }
    }

    async fn send_foca(&self, dst: SocketAddr, data: &[u8]) {
        let mut frame = Vec::with_capacity(self.stamp.len() + data.len());
        frame.extend_from_slice(&self.stamp);
        frame.extend_from_slice(data);
        self.send_frame(dst, &frame).await;
    }

    /// Sends our identity and record to `dst`; `about` is the name we believe `dst` has.
    async fn send_sync(&self, dst: SocketAddr, reply: bool, about: Option<&str>) {
        let (record, yours) = {
            let table = self.shared.table();
            (
                table.local_record(),
                about.and_then(|name| table.rank_of(name)),
            )
        };
        let sync = SyncFrame {
            id: self.foca.identity().clone(),
            record,
            reply,
            yours,
        };
        let frame = match postcard::to_extend(&sync, vec![FRAME_SYNC]) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::error!("cannot encode a gossip sync frame: {e}");
                return;
            }
        };
        self.send_frame(dst, &frame).await;
    }

    fn refresh_stamp(&mut self) {
        let version = self.shared.table().version;
        let stamp = Stamp {
            name: self.name.clone(),
            instance: self.instance,
            version,
        };
        self.stamp = postcard::to_extend(&stamp, vec![FRAME_FOCA]).unwrap_or_else(|_| vec![]);
    }

    /// (Re)starts disseminating our current record.
    fn broadcast_local(&mut self) {
        self.refresh_stamp();
        let record = self.shared.table().local_record();
        match postcard::to_allocvec(&record) {
            Ok(bytes) => {
                if let Err(e) = self.foca.add_broadcast(&bytes) {
                    tracing::warn!("cannot broadcast this node's metadata: {e}");
                }
            }
            Err(e) => tracing::warn!("cannot encode this node's metadata: {e}"),
        }
    }

    // -- foca plumbing --------------------------------------------------------------------

    /// Drains what foca asked for, then updates the table.
    async fn after_foca(&mut self) {
        while let Some((dst, data)) = self.runtime.to_send() {
            self.send_foca(dst.addr, &data).await;
        }
        let now = TokioInstant::now();
        while let Some((after, timer)) = self.runtime.to_schedule() {
            self.timer_seq += 1;
            self.timers.push(Reverse(Scheduled {
                at: now + after,
                seq: self.timer_seq,
                timer,
            }));
        }
        while let Some(notification) = self.runtime.to_notify() {
            self.notified(notification);
        }
        self.reconcile().await;
    }

    fn notified(&mut self, notification: OwnedNotification<Id>) {
        match notification {
            OwnedNotification::Active => {
                self.ever_active = true;
                tracing::info!(name = %self.name, "gossip: connected to the cluster");
            }
            OwnedNotification::Idle => {
                tracing::info!(name = %self.name, "gossip: no other live member");
            }
            OwnedNotification::Rejoin(id) => tracing::warn!(
                name = %self.name,
                "gossip: the cluster declared this node down; rejoined as {id:?}"
            ),
            OwnedNotification::Defunct => tracing::warn!(
                name = %self.name,
                "gossip: the cluster declared this node down and it cannot rejoin"
            ),
            other => tracing::debug!(name = %self.name, "gossip: {other:?}"),
        }
    }

    async fn fire_timers(&mut self) {
        let now = TokioInstant::now();
        while self.timers.peek().is_some_and(|Reverse(s)| s.at <= now) {
            let Some(Reverse(due)) = self.timers.pop() else {
                break;
            };
            if let Err(e) = self.foca.handle_timer(due.timer, &mut self.runtime) {
                tracing::debug!(name = %self.name, "gossip timer: {e}");
            }
        }
        self.after_foca().await;
    }

    async fn reconcile(&mut self) {
        let size = self.foca.num_members() + 1;
        let wanted = scaled(&self.timing, size);
        if wanted != self.tuned
            && self
                .foca
                .set_config(foca_config(&self.timing, size))
                .is_ok()
        {
            self.tuned = wanted;
        }
        let view: Vec<(Id, State)> = self
            .foca
            .iter_membership_state()
            .map(|m| (m.id().clone(), m.state()))
            .collect();
        // foca itself declares any other identity with our name down; one newer than ours is
        // another process using our name. Say so once per such identity.
        let ours = self.foca.identity().rank();
        let rival = view
            .iter()
            .map(|(id, _)| id)
            .find(|id| *id.name == *self.name && id.rank() > ours);
        if let Some(rival) = rival
            && self.rival.as_ref() != Some(rival)
        {
            tracing::warn!(
                "the cluster knows a newer node named {:?} at {} than this one; node names \
                     must be unique",
                self.name,
                rival.addr
            );
            self.rival = Some(rival.clone());
        }
        let (events, requests) = {
            let mut table = self.shared.table();
            table.reconcile(view, Instant::now(), self.timing.probe_period)
        };
        for event in events {
            match &event {
                MemberEvent::Joined(meta) => tracing::info!(
                    name = %self.name, member = %meta.name, addr = %meta.gossip_addr,
                    "gossip: member joined"
                ),
                MemberEvent::StatusChanged {
                    name,
                    status: MemberStatus::Suspect,
                } => {
                    tracing::debug!(name = %self.name, member = %name, "gossip: member is suspect")
                }
                MemberEvent::StatusChanged { name, status } => tracing::info!(
                    name = %self.name, member = %name, "gossip: member is now {status:?}"
                ),
                MemberEvent::Updated(meta) => {
                    tracing::debug!(name = %self.name, member = %meta.name, "gossip: member updated");
                }
            }
            self.shared.emit(event);
        }
        for (addr, name) in requests {
            self.send_sync(addr, true, Some(&name)).await;
        }
        self.check_joins();
    }

    // -- receiving ------------------------------------------------------------------------

    async fn handle_packet(&mut self, packet: &mut [u8], src: SocketAddr) {
        let frame = match self.envelope.open(packet) {
            Ok(frame) => frame,
            Err(refusal) => {
                self.refused(src, refusal);
                return;
            }
        };
        let Some((&kind, body)) = frame.split_first() else {
            tracing::debug!(%src, "empty gossip frame ignored");
            return;
        };
        match kind {
            FRAME_FOCA => {
                let Ok((stamp, data)) = postcard::take_from_bytes::<Stamp>(body) else {
                    tracing::debug!(%src, "undecodable gossip frame ignored");
                    return;
                };
                if let Err(e) = self.foca.handle_data(data, &mut self.runtime) {
                    tracing::debug!(name = %self.name, %src, "gossip packet ignored: {e}");
                }
                self.after_foca().await;
                self.check_stamp(stamp, src).await;
            }
            FRAME_SYNC => match postcard::from_bytes::<SyncFrame>(body) {
                Ok(sync) => self.handle_sync(sync, src).await,
                Err(_) => tracing::debug!(%src, "undecodable gossip sync frame ignored"),
            },
            other => tracing::debug!(%src, "gossip frame of unknown kind {other} ignored"),
        }
    }

    fn refused(&mut self, src: SocketAddr, refusal: Refusal) {
        self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        if self.drop_log.len() > 4096 {
            self.drop_log.clear();
        }
        let entry = self.drop_log.entry(src.ip()).or_insert((now, 0));
        if entry.1 > 0 && now.saturating_duration_since(entry.0) < WARN_EVERY {
            entry.1 += 1;
            return;
        }
        let suppressed = entry.1.saturating_sub(1);
        *entry = (now, 1);
        let more = if suppressed > 0 {
            format!("; {suppressed} more from this host since the last warning")
        } else {
            String::new()
        };
        tracing::warn!(
            "gossip packet from {src} dropped: wrong or missing encryption key ({}{more})",
            refusal.detail()
        );
    }

    fn name_conflict(&mut self, src: SocketAddr) {
        let now = Instant::now();
        if self
            .conflict_log
            .is_some_and(|at| now.saturating_duration_since(at) < WARN_EVERY)
        {
            return;
        }
        self.conflict_log = Some(now);
        tracing::warn!(
            "another node at {src} uses this node's name {:?}; node names must be unique",
            self.name
        );
    }

    /// Asks the sender for its record if the stamp says ours is stale.
    async fn check_stamp(&mut self, stamp: Stamp, src: SocketAddr) {
        if stamp.name == self.name {
            if stamp.instance != self.instance {
                self.name_conflict(src);
            }
            return;
        }
        let now = Instant::now();
        let ask = {
            let mut table = self.shared.table();
            match table.peers.get_mut(&stamp.name) {
                Some(peer) => {
                    let stale = peer
                        .record
                        .as_ref()
                        .is_none_or(|r| r.rank() < (stamp.instance, stamp.version));
                    let ask = stale && peer.may_request(now, self.timing.probe_period);
                    if ask {
                        peer.last_request = Some(now);
                    }
                    ask
                }
                None => false,
            }
        };
        if ask {
            self.send_sync(src, true, Some(&stamp.name)).await;
        }
    }

    async fn handle_sync(&mut self, sync: SyncFrame, src: SocketAddr) {
        let SyncFrame {
            id,
            record,
            reply,
            yours,
        } = sync;
        if !record.is_valid() || *id.name != *record.meta.name || id.instance != record.instance {
            tracing::debug!(%src, "inconsistent gossip sync frame ignored");
            return;
        }
        if let Some((instance, _)) = yours
            && instance > self.instance
            && *id.name != *self.name
        {
            if self.ever_active {
                self.name_conflict(src);
            } else {
                self.adopt_instance_above(instance).await;
            }
        }
        if *id.name == *self.name {
            if id.instance == self.instance {
                // Our own join request came back: we were asked to join ourselves.
                for join in &mut self.joins {
                    if join.addrs.contains(&src) && !join.selves.contains(&src) {
                        join.selves.push(src);
                    }
                }
                self.check_joins();
            } else {
                self.name_conflict(src);
            }
            return;
        }
        self.shared.table().apply_record(record, Instant::now());
        if reply {
            self.send_sync(src, false, Some(&id.name)).await;
        }
        let mut announce = false;
        for join in &mut self.joins {
            let target = [src, id.addr]
                .into_iter()
                .find(|a| join.addrs.contains(a) && !join.answered.iter().any(|(t, _)| t == a));
            if let Some(target) = target {
                join.answered.push((target, id.name.to_string()));
                join.counter.fetch_add(1, Ordering::SeqCst);
                announce = true;
            }
        }
        if announce && let Err(e) = self.foca.announce(id, &mut self.runtime) {
            tracing::debug!(name = %self.name, "gossip announce failed: {e}");
        }
        self.after_foca().await;
    }

    /// The cluster remembers our name with a newer instance than ours (our clock went back
    /// since the last run, or a newer process uses our name): before we were ever accepted,
    /// restart our identity above it so we are not locked out until it is forgotten.
    async fn adopt_instance_above(&mut self, seen: u64) {
        let instance = seen.saturating_add(1);
        tracing::warn!(
            name = %self.name,
            "the cluster knows this node name with a newer instance than this process (the \
             clock was set back since the last run, or another node uses this name); \
             rejoining with a newer instance"
        );
        self.instance = instance;
        self.shared.table().instance = instance;
        let id = Id {
            instance,
            bump: 0,
            ..self.foca.identity().clone()
        };
        if let Err(e) = self.foca.change_identity(id, &mut self.runtime) {
            tracing::debug!(name = %self.name, "gossip identity change: {e}");
        }
        self.broadcast_local();
        self.after_foca().await;
    }

    // -- commands -------------------------------------------------------------------------

    async fn start_join(
        &mut self,
        addrs: Vec<SocketAddr>,
        counter: Arc<AtomicUsize>,
        done: oneshot::Sender<()>,
    ) {
        for addr in &addrs {
            self.send_sync(*addr, true, None).await;
        }
        self.joins.push(PendingJoin {
            addrs,
            answered: Vec::new(),
            selves: Vec::new(),
            counter,
            done: Some(done),
        });
    }

    /// Completes joins whose targets all answered (and are visible) or were ourselves, and
    /// drops those the caller stopped waiting for.
    fn check_joins(&mut self) {
        if self.joins.is_empty() {
            return;
        }
        let table = self.shared.table();
        self.joins.retain_mut(|join| {
            if join.done.as_ref().is_none_or(|d| d.is_closed()) {
                return false;
            }
            let finished = join.unresolved().next().is_none()
                && join.answered.iter().all(|(_, name)| table.is_visible(name));
            if finished && let Some(done) = join.done.take() {
                let _ = done.send(());
            }
            !finished
        });
    }

    async fn housekeeping(&mut self) {
        let retry: Vec<SocketAddr> = self
            .joins
            .iter()
            .flat_map(PendingJoin::unresolved)
            .collect();
        for addr in retry {
            self.send_sync(addr, true, None).await;
        }
        self.shared
            .table()
            .prune(Instant::now(), self.timing.forget_after);
        self.reconcile().await;
    }

    async fn leave(&mut self) {
        let live: Vec<(SocketAddr, Arc<str>)> = self
            .foca
            .iter_members()
            .map(|m| (m.id().addr, Arc::clone(&m.id().name)))
            .collect();
        {
            let mut table = self.shared.table();
            table.leaving = true;
            table.version += 1;
            table.self_status = MemberStatus::Left;
            table.self_since = SystemTime::now();
        }
        self.shared.emit(MemberEvent::StatusChanged {
            name: self.name.clone(),
            status: MemberStatus::Left,
        });
        self.broadcast_local();
        for (addr, name) in live {
            self.send_sync(addr, false, Some(&name)).await;
        }
        if let Err(e) = self.foca.leave_cluster(&mut self.runtime) {
            tracing::debug!(name = %self.name, "gossip leave: {e}");
        }
        while let Some((dst, data)) = self.runtime.to_send() {
            self.send_foca(dst.addr, &data).await;
        }
        tracing::info!(name = %self.name, "gossip: left the cluster");
    }
}
