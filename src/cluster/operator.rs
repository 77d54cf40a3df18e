//! Operator actions on the Raft configuration: remove a peer, force a failed server out,
//! transfer leadership. They run on the leader; a node that does not lead forwards them over
//! the internal RPC.

use std::collections::BTreeSet;
use std::time::Duration;

use openraft::ChangeMembers;
use openraft::async_runtime::WatchReceiver;
use serde::{Deserialize, Serialize};

use crate::cluster::membership::{MemberStatus, Membership};
use crate::consensus::Raft;
use crate::transport::rpc::RpcCall;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OperatorAction {
    /// Remove a server (by name or hex Raft id) from the Raft configuration. A server gossip
    /// sees alive is refused unless `force` (the leader would add it back at once).
    RemovePeer {
        node: String,
        #[serde(default)]
        force: bool,
    },
    /// Remove a server that gossip no longer sees alive.
    ForceLeave { node: String },
    /// Hand leadership to the named voter, or to the most caught-up one.
    TransferLeadership { to: Option<String> },
}

/// Why an action was refused: the HTTP status it maps to, and the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum OperatorError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Unavailable(String),
}

/// Finds a server of the Raft configuration by name or hex id.
fn find(raft: &Raft, node: &str) -> Option<(u64, String, bool)> {
    let m = raft.metrics().borrow_watched().clone();
    let membership = m.membership_config.membership().clone();
    let voters: BTreeSet<u64> = membership.voter_ids().collect();
    membership
        .nodes()
        .find(|(id, n)| n.name == node || format!("{id:016x}") == node)
        .map(|(id, n)| (*id, n.name.clone(), voters.contains(id)))
}

/// The refusal when no quorum answers: the change could never commit, and only an offline
/// recovery gets such a cluster writing again.
fn no_quorum(m: &openraft::RaftMetrics<crate::consensus::TypeConfig>, what: &str) -> OperatorError {
    let (heard, voters) = crate::consensus::voters_reachable(m);
    OperatorError::Unavailable(format!(
        "no quorum: only {heard} of {voters} voters answer, so {what} cannot be committed. If the missing servers are gone for good, stop the survivors and run `belfry raft recover --data-dir DIR` on them (see docs/operations.md)"
    ))
}

/// How long a membership change waits for enough voters to answer before it refuses: a
/// voter unheard for a few seconds on a busy machine is usually back within a moment.
const CONTACT_WAIT: Duration = Duration::from_secs(5);

/// Waits up to [`CONTACT_WAIT`] until a quorum of the voters answers, and (when `removed` is a
/// voter to remove) a quorum of the voters left without it; the refusal says which is missing.
async fn wait_for_contact(
    raft: &Raft,
    what: &str,
    removed: Option<(u64, &str)>,
) -> Result<(), OperatorError> {
    use crate::consensus::voters_reachable_without;
    let enough = |m: &openraft::RaftMetrics<crate::consensus::TypeConfig>| {
        let (heard, voters) = voters_reachable_without(m, None);
        let (left_heard, left) = voters_reachable_without(m, removed.map(|(id, _)| id));
        heard > voters / 2 && left_heard > left / 2
    };
    // Contact is renewed by heartbeats, each of which updates the metrics: waiting on them
    // sees a voter come back at once.
    let waited = raft
        .wait(Some(CONTACT_WAIT))
        .metrics(|m| enough(m), "voters answering")
        .await;
    if waited.is_ok() {
        return Ok(());
    }
    let m = raft.metrics().borrow_watched().clone();
    if !crate::consensus::quorum_reachable(&m) {
        return Err(no_quorum(&m, what));
    }
    let Some((id, name)) = removed.filter(|_| !enough(&m)) else {
        // Enough answered just as the wait ended.
        return Ok(());
    };
    let (heard, left) = voters_reachable_without(&m, Some(id));
    Err(OperatorError::Refused(format!(
        "removing {name} would leave {left} voter(s) of which only {heard} answer{}, fewer than a quorum of {}: the change could not commit, and the cluster would take no writes until they answer. Bring the missing servers back, or remove the ones that are gone first (`belfry force-leave NAME`)",
        if heard == 1 { "s" } else { "" },
        left / 2 + 1
    )))
}

/// Runs an action on this node, which must lead.
pub async fn execute(
    raft: &Raft,
    membership: &Membership,
    action: OperatorAction,
) -> Result<String, OperatorError> {
    let m = raft.metrics().borrow_watched().clone();
    if m.current_leader != Some(m.id) {
        return Err(OperatorError::Unavailable("this node does not lead".into()));
    }
    match action {
        OperatorAction::ForceLeave { node } => {
            let alive = membership.members().into_iter().any(|s| {
                s.meta.name == node
                    && matches!(s.status, MemberStatus::Alive | MemberStatus::Suspect)
            });
            if alive {
                return Err(OperatorError::Refused(format!(
                    "{node} is alive: stop it with `belfry leave` on that node instead"
                )));
            }
            remove(raft, membership, m.id, &node).await
        }
        OperatorAction::RemovePeer { node, force } => {
            let alive = membership.members().into_iter().any(|s| {
                s.meta.name == node
                    && matches!(s.status, MemberStatus::Alive | MemberStatus::Suspect)
            });
            if alive && !force {
                return Err(OperatorError::Refused(format!(
                    "{node} is alive: removed, it would be added back as a learner within \
                     seconds. Stop it first (or `belfry demote {node}` to keep it running as an \
                     agent); --force removes it anyway"
                )));
            }
            let mut message = remove(raft, membership, m.id, &node).await?;
            if alive {
                message.push_str(&format!(
                    "; it is alive: kept out for {} s, then added back as a learner unless it \
                     has stopped or become an agent",
                    crate::cluster::voters::HOLD_OUT.as_secs()
                ));
            }
            Ok(message)
        }
        OperatorAction::TransferLeadership { to } => {
            let target = match to {
                Some(name) => {
                    let (id, name, voter) =
                        find(raft, &name).ok_or_else(|| not_a_server(membership, &name))?;
                    if !voter {
                        return Err(OperatorError::Refused(format!("{name} is not a voter")));
                    }
                    if id == m.id {
                        return Ok(format!("{name} already leads"));
                    }
                    if let Some(offset) = clock_out_of_bounds(&m, id) {
                        return Err(OperatorError::Refused(format!(
                            "{name}'s clock is {} from the voters' median, beyond --max-clock-offset ({} ms): it is not given leadership until it is back within bounds",
                            crate::cluster::clock::signed_ms(offset),
                            crate::cluster::clock::discipline().bound_ms()
                        )));
                    }
                    id
                }
                None => {
                    let replication = m.replication.clone().unwrap_or_default();
                    let voters: Vec<u64> = m.membership_config.membership().voter_ids().collect();
                    let measured = crate::cluster::clock::discipline().offsets(&voters);
                    // A voter whose clock is measured within bounds before one not measured
                    // (yet, or any more): an unmeasured one may be the skewed server, which
                    // refuses the offer and leaves the cluster to an election.
                    voters
                        .iter()
                        .copied()
                        .filter(|id| *id != m.id && clock_out_of_bounds(&m, *id).is_none())
                        .max_by_key(|id| {
                            (
                                measured.contains_key(id),
                                replication.get(id).cloned().flatten().map(|l| l.index),
                            )
                        })
                        .ok_or_else(|| {
                            OperatorError::Refused("no other voter to hand leadership to".into())
                        })?
                }
            };
            raft.trigger()
                .transfer_leader(target)
                .await
                .map_err(|e| OperatorError::Unavailable(e.to_string()))?;
            // The target must win an election: on a loaded machine that can take seconds.
            raft.wait(Some(Duration::from_secs(10)))
                .metrics(
                    |mm| mm.current_leader == Some(target),
                    "leadership transferred",
                )
                .await
                .map_err(|e| {
                    OperatorError::Unavailable(format!("the transfer did not complete: {e}"))
                })?;
            let name = find(raft, &format!("{target:016x}"))
                .map(|(_, n, _)| n)
                .unwrap_or_default();
            Ok(format!("leadership transferred to {name}"))
        }
    }
}

/// The clock offset of server `id` if it is beyond `--max-clock-offset` (crate::cluster::clock), as
/// this server measures it.
fn clock_out_of_bounds(
    m: &openraft::RaftMetrics<crate::consensus::TypeConfig>,
    id: u64,
) -> Option<i64> {
    let clock = crate::cluster::clock::discipline();
    let voters: Vec<u64> = m.membership_config.membership().voter_ids().collect();
    clock
        .offsets(&voters)
        .get(&id)
        .copied()
        .filter(|o| o.unsigned_abs() > clock.bound_ms())
}

/// Why `node` is not in the Raft configuration, in words: an agent, or no such node.
fn not_a_server(membership: &Membership, node: &str) -> OperatorError {
    match membership
        .members()
        .into_iter()
        .find(|m| m.meta.name == node)
    {
        Some(m) if m.meta.role == crate::cluster::membership::Role::Agent => {
            OperatorError::NotFound(format!(
                "{node} is an agent, not a Raft server: only servers take part in Raft"
            ))
        }
        Some(_) => OperatorError::NotFound(format!(
            "{node} is a server but not (yet) in the Raft configuration"
        )),
        None => OperatorError::NotFound(format!("no Raft server named {node}")),
    }
}

async fn remove(
    raft: &Raft,
    membership: &Membership,
    me: u64,
    node: &str,
) -> Result<String, OperatorError> {
    let (id, name, voter) = find(raft, node).ok_or_else(|| not_a_server(membership, node))?;
    if id == me {
        return Err(OperatorError::Refused(format!(
            "{name} leads: transfer leadership first (belfry raft transfer-leadership)"
        )));
    }
    // Refused (after a moment's wait) while it could not commit: a removal stuck half-way
    // would hold up every write until the missing voters answer.
    wait_for_contact(
        raft,
        &format!("removing {name}"),
        voter.then_some((id, name.as_str())),
    )
    .await?;
    if voter {
        raft.change_membership(ChangeMembers::RemoveVoters(BTreeSet::from([id])), false)
            .await
            .map_err(|e| OperatorError::Unavailable(e.to_string()))?;
    } else {
        raft.change_membership(ChangeMembers::RemoveNodes(BTreeSet::from([id])), false)
            .await
            .map_err(|e| OperatorError::Unavailable(e.to_string()))?;
    }
    crate::cluster::voters::hold_out(raft, &name).await;
    Ok(format!("removed {name} from the Raft configuration"))
}

impl RpcCall for OperatorAction {
    const NAME: &'static str = "operator";
    const TIMEOUT: Duration = Duration::from_secs(15);
    type Reply = Result<String, OperatorError>;
}

/// `belfry demote`, carried out by the server being demoted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Demote {
    pub force: bool,
}

impl RpcCall for Demote {
    const NAME: &'static str = "demote";
    const TIMEOUT: Duration = Duration::from_secs(30);
    type Reply = Result<String, OperatorError>;
}

/// `belfry promote`, carried out by the demoted server.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Promote {}

impl RpcCall for Promote {
    const NAME: &'static str = "promote";
    const TIMEOUT: Duration = Duration::from_secs(30);
    type Reply = Result<String, OperatorError>;
}
