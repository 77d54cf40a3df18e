//! The cluster as a set of nodes: the one commit path from any node ([`commit`]), gossip membership ([`membership`]), finding peers
//! ([`discovery`]), Raft's network between servers ([`raft_network`]), the voter set kept in
//! step with gossip ([`voters`]), clock discipline ([`clock`]) and the operator's actions on
//! servers ([`operator`]).

pub mod clock;
pub(crate) mod commit;
pub(crate) mod discovery;
pub mod membership;
pub(crate) mod operator;
pub(crate) mod raft_network;
pub(crate) mod voters;
