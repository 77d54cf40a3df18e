//! Raft's messages over the typed RPC: the calls (append, vote, pre-vote, transfer, snapshot),
//! the handlers that pass them to openraft, and openraft's network ([`Network`], one
//! [`PeerClient`] per target node).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use openraft::errors::{
    NetworkError, RPCError, RaftError, ReplicationClosed, StreamingError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetworkFactory, v2::RaftNetworkV2};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, SnapshotResponse, TransferLeaderRequest,
    TransferLeaderResponse, VoteRequest, VoteResponse,
};
use openraft::type_config::alias::{SnapshotMetaOf, SnapshotOf, VoteOf};
use openraft::{OptionalSend, Snapshot};
use serde::{Deserialize, Serialize};

use crate::consensus::Raft;
use crate::consensus::{NodeAddr, TypeConfig};
use crate::transport::rpc::{Peer, RpcCall, RpcClient, RpcError, RpcServer, b64, unb64};

/// The least time a heartbeat and an append carrying entries get (see `append_entries`).
const HEARTBEAT_RPC_FLOOR: Duration = Duration::from_millis(150);
const APPEND_RPC_FLOOR: Duration = Duration::from_secs(2);

type RaftResult<T> = Result<T, RaftError<TypeConfig>>;

#[derive(Serialize, Deserialize)]
pub struct RaftAppend(pub AppendEntriesRequest<TypeConfig>);
impl RpcCall for RaftAppend {
    const NAME: &'static str = "raft-append";
    const TIMEOUT: Duration = APPEND_RPC_FLOOR;
    type Reply = RaftResult<AppendEntriesResponse<TypeConfig>>;
}

#[derive(Serialize, Deserialize)]
pub struct RaftVote(pub VoteRequest<TypeConfig>);
impl RpcCall for RaftVote {
    const NAME: &'static str = "raft-vote";
    const TIMEOUT: Duration = HEARTBEAT_RPC_FLOOR;
    type Reply = RaftResult<VoteResponse<TypeConfig>>;
}

/// Pre-vote: a node that lost contact asks whether it could win before it disturbs a healthy
/// leader with a real election (the answer is no while the leader is heard from).
#[derive(Serialize, Deserialize)]
pub struct RaftPreVote(pub VoteRequest<TypeConfig>);
impl RpcCall for RaftPreVote {
    const NAME: &'static str = "raft-pre-vote";
    const TIMEOUT: Duration = HEARTBEAT_RPC_FLOOR;
    type Reply = RaftResult<VoteResponse<TypeConfig>>;
}

#[derive(Serialize, Deserialize)]
pub struct RaftTransferLeader(pub TransferLeaderRequest<TypeConfig>);
impl RpcCall for RaftTransferLeader {
    const NAME: &'static str = "raft-transfer-leader";
    const TIMEOUT: Duration = HEARTBEAT_RPC_FLOOR;
    type Reply = RaftResult<TransferLeaderResponse<TypeConfig>>;
}

/// A full snapshot: the leader's vote, the snapshot's meta and its data (base64 in the JSON).
#[derive(Serialize, Deserialize)]
pub struct RaftSnapshot {
    vote: VoteOf<TypeConfig>,
    meta: SnapshotMetaOf<TypeConfig>,
    data: SnapshotData,
}

/// Snapshot bytes, base64 in the JSON body; bad base64 fails the body's decoding (a 400).
struct SnapshotData(Vec<u8>);

impl Serialize for SnapshotData {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&b64(&self.0))
    }
}

impl<'de> Deserialize<'de> for SnapshotData {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        unb64(&text)
            .map(SnapshotData)
            .map_err(serde::de::Error::custom)
    }
}
impl RpcCall for RaftSnapshot {
    const NAME: &'static str = "raft-snapshot";
    const TIMEOUT: Duration = Duration::from_secs(60);
    type Reply = RaftResult<SnapshotResponse<TypeConfig>>;
}

/// What a server's RPC context gives Raft's handlers.
pub trait RaftHost: Send + Sync + 'static {
    fn raft(&self) -> &Raft;
    fn node_id(&self) -> u64;
    /// Where a received snapshot is spooled before it is installed.
    fn snapshot_dir(&self) -> &std::path::Path;
}

/// Registers the Raft calls on a server.
pub fn serve<S: RaftHost>(server: RpcServer<S>) -> RpcServer<S> {
    server
        .handle(
            |ctx: Arc<S>, _, RaftAppend(req)| async move { ctx.raft().append_entries(req).await },
        )
        .handle(|ctx: Arc<S>, _, RaftVote(req)| async move { ctx.raft().vote(req).await })
        .handle(|ctx: Arc<S>, _, RaftPreVote(req)| async move { ctx.raft().pre_vote(req).await })
        .handle(|ctx: Arc<S>, _, RaftTransferLeader(req)| async move {
            // A server whose clock is out of bounds does not take leadership, handed over
            // or not (crate::cluster::clock): it ignores the offer, and the other servers, whose
            // leader lease the transfer ended, elect one of them within a timeout.
            if *req.to_node_id() == ctx.node_id()
                && crate::cluster::clock::discipline().out_of_bounds()
            {
                tracing::warn!(
                    "leadership offered to this server refused: its clock is out of bounds"
                );
                return Ok(Ok(()));
            }
            ctx.raft()
                .handle_transfer_leader(req)
                .await
                .map_err(RaftError::Fatal)
        })
        .handle(
            |ctx: Arc<S>, _, req: RaftSnapshot| async move { install_snapshot(&*ctx, req).await },
        )
}

async fn install_snapshot<S: RaftHost>(
    ctx: &S,
    req: RaftSnapshot,
) -> RaftResult<SnapshotResponse<TypeConfig>> {
    let data = req.data.0;
    // Spool to a file: the state machine installs snapshots from files.
    let path = ctx
        .snapshot_dir()
        .join(format!("tmp-recv-{:016x}.snap", rand::random::<u64>()));
    let spooled = (|| -> std::io::Result<std::fs::File> {
        std::fs::create_dir_all(ctx.snapshot_dir())?;
        std::fs::write(&path, &data)?;
        std::fs::File::open(&path)
    })();
    let file = spooled.map_err(|e| {
        RaftError::Fatal(openraft::errors::Fatal::StorageError(
            openraft::StorageError::read_snapshot(
                None,
                <openraft::type_config::alias::ErrorSourceOf<TypeConfig> as openraft::errors::ErrorSource>::from_error(&e),
            ),
        ))
    })?;
    let snapshot = Snapshot {
        meta: req.meta,
        snapshot: file,
    };
    let res = ctx
        .raft()
        .install_full_snapshot(req.vote, snapshot)
        .await
        .map_err(RaftError::Fatal);
    let _ = std::fs::remove_file(&path);
    res
}

/// Raft's network: one [`PeerClient`] per target.
#[derive(Clone)]
pub struct Network {
    client: RpcClient,
}

impl Network {
    pub fn new(client: RpcClient) -> Network {
        Network { client }
    }
}

pub struct PeerClient {
    client: RpcClient,
    target: Peer,
    addr: String,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = PeerClient;

    async fn new_client(&mut self, target: u64, node: &NodeAddr) -> PeerClient {
        PeerClient {
            client: self.client.clone(),
            // Both id and name: a stale address can never make the wrong node take part.
            target: Peer::new(target, node.name.clone()),
            addr: node.rpc_addr.clone(),
        }
    }
}

fn to_rpc_error(e: RpcError) -> RPCError<TypeConfig> {
    match e {
        RpcError::Unreachable { .. } => RPCError::Unreachable(Unreachable::new(&e)),
        other => RPCError::Network(NetworkError::new(&other)),
    }
}

impl PeerClient {
    async fn raft_call<R, T>(&self, req: &R, timeout: Duration) -> Result<T, RPCError<TypeConfig>>
    where
        R: RpcCall<Reply = RaftResult<T>>,
    {
        let res = self
            .client
            .call_within(&self.addr, &self.target, req, timeout)
            .await
            .map_err(to_rpc_error)?;
        // A fatal error on the other side (it is shutting down): back off as if unreachable.
        res.map_err(|e| RPCError::Unreachable(Unreachable::new(&e)))
    }
}

impl RaftNetworkV2<TypeConfig> for PeerClient {
    type SnapshotData = std::fs::File;

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<TypeConfig>, RPCError<TypeConfig>> {
        // openraft gives every append one heartbeat interval (less a margin): tens of ms. A
        // batch of a thousand launches on a busy machine takes longer than that to send, fsync
        // and answer, and an append cut short is retried whole, so it would never get through
        // (and the leader's lease would lapse). Entries get seconds; heartbeats a floor too.
        let timeout = if rpc.entries.is_empty() {
            option.soft_ttl().max(HEARTBEAT_RPC_FLOOR)
        } else {
            option.soft_ttl().max(APPEND_RPC_FLOOR)
        };
        self.raft_call(&RaftAppend(rpc), timeout).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        self.raft_call(&RaftVote(rpc), option.soft_ttl()).await
    }

    async fn pre_vote(
        &mut self,
        rpc: VoteRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<VoteResponse<TypeConfig>, RPCError<TypeConfig>> {
        self.raft_call(&RaftPreVote(rpc), option.soft_ttl()).await
    }

    async fn transfer_leader(
        &mut self,
        req: TransferLeaderRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<TransferLeaderResponse<TypeConfig>, RPCError<TypeConfig>> {
        self.raft_call(&RaftTransferLeader(req), option.soft_ttl())
            .await
    }

    async fn full_snapshot(
        &mut self,
        vote: VoteOf<TypeConfig>,
        snapshot: SnapshotOf<TypeConfig, Self::SnapshotData>,
        cancel: impl Future<Output = ReplicationClosed> + OptionalSend + 'static,
        option: RPCOption,
    ) -> Result<SnapshotResponse<TypeConfig>, StreamingError<TypeConfig>> {
        let mut data = Vec::new();
        let mut file = snapshot.snapshot;
        {
            use std::io::{Read, Seek};
            file.seek(std::io::SeekFrom::Start(0))
                .and_then(|_| file.read_to_end(&mut data))
                .map_err(|e| StreamingError::Unreachable(Unreachable::new(&e)))?;
        }
        let req = RaftSnapshot {
            vote,
            meta: snapshot.meta,
            data: SnapshotData(data),
        };
        // A snapshot can be large: allow it far longer than a heartbeat.
        let timeout = option.soft_ttl().max(RaftSnapshot::TIMEOUT);
        let call = async {
            self.raft_call(&req, timeout)
                .await
                .map_err(StreamingError::<TypeConfig>::from)
        };
        tokio::pin!(cancel);
        tokio::select! {
            closed = &mut cancel => Err(StreamingError::Closed(closed)),
            res = call => res,
        }
    }
}
