//! The work every node does, server or agent: accept what the leader dispatched ([`worker`]),
//! run it within this node's slots ([`runner`]) with an executor ([`executor`]), handle its
//! output ([`processors`]), and report this node's own resources ([`node_stats`]).

pub mod executor;
pub mod node_stats;
pub(crate) mod processors;
pub(crate) mod runner;
pub mod worker;
