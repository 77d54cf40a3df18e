//! The one way a command reaches the replicated state from wherever it starts, and the one way
//! a node without Raft reaches a server.
//!
//! A server commits through Raft ([`crate::consensus::commit`]: here if it leads, else forwarded
//! to the leader it knows). An agent has no Raft: it hands the command to an alive server
//! ([`crate::consensus::Submit`]), which commits it the same way. [`ask_alive_servers`] is the
//! agent's way to any server — for commands, for API requests passed on, for token lookups —
//! trying each alive server in turn until one gives an answer the caller accepts.

use crate::cluster::membership::{MemberStatus, Membership, Role};
use crate::consensus::{Raft, Submit};
use crate::state::{Command, Response};
use crate::transport::rpc::{Peer, RpcCall, RpcClient};

/// Where this node's commands go.
#[derive(Clone)]
pub enum Committer {
    /// A server: through its own Raft.
    Server { raft: Raft, rpc: RpcClient },
    /// An agent: through any alive server.
    Agent {
        membership: Membership,
        rpc: RpcClient,
    },
}

impl Committer {
    /// Commits `command`; the error says why nothing was committed.
    pub async fn commit(&self, command: Command) -> Result<Response, String> {
        match self {
            Committer::Server { raft, rpc } => crate::consensus::commit(raft, rpc, command).await,
            Committer::Agent { membership, rpc } => {
                ask_alive_servers(membership, rpc, None, &Submit(command), |reply| reply).await
            }
        }
    }
}

/// Sends `call` to each alive server (of `region`, when given) in turn until `accept` takes a
/// reply; `accept` returns `Err(why)` to try the next server. The error is the last reason, or
/// that no server is known.
pub async fn ask_alive_servers<C, T>(
    membership: &Membership,
    rpc: &RpcClient,
    region: Option<&str>,
    call: &C,
    mut accept: impl FnMut(C::Reply) -> Result<T, String>,
) -> Result<T, String>
where
    C: RpcCall,
{
    let servers: Vec<_> = membership
        .members()
        .into_iter()
        .filter(|m| {
            m.meta.role == Role::Server
                && m.status == MemberStatus::Alive
                && region.is_none_or(|r| m.meta.region == r)
        })
        .collect();
    let mut last = match region {
        Some(region) => format!(
            "no server of region {region} is known to this node: is it joined to the cluster?"
        ),
        None => "no alive server is known".to_string(),
    };
    for server in servers {
        let target = Peer::named(server.meta.name.clone());
        match rpc
            .call(&server.meta.rpc_addr.to_string(), &target, call)
            .await
        {
            Ok(reply) => match accept(reply) {
                Ok(value) => return Ok(value),
                Err(why) => last = format!("{}: {why}", server.meta.name),
            },
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}
