//! The cluster as a set of nodes: the one commit path from any node ([`commit`]), gossip membership ([`membership`]), finding peers
//! ([`discovery`]), Raft's network between servers ([`raft_network`]), the voter set kept in
//! step with gossip ([`voters`]), clock discipline ([`clock`]) and the operator's actions on
//! servers ([`operator`]).

pub mod clock;
pub mod commit;
pub mod discovery;
pub mod membership;
pub mod operator;
pub mod raft_network;
pub mod voters;
