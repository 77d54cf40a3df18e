//! The work every node does, server or agent: accept what the leader dispatched ([`worker`]),
//! run it within this node's slots ([`runner`]) with an executor ([`executor`]), handle its
//! output ([`processors`]), and report this node's own resources ([`node_stats`]). Executions
//! run on their own runtime ([`job_runtime`]), their processes niced and, where the host
//! allows, in their own cgroup ([`job_cgroup`]), so the control plane keeps its deadlines
//! under load.

pub mod executor;
pub mod job_cgroup;
pub(crate) mod job_runtime;
pub mod node_stats;
pub(crate) mod processors;
pub(crate) mod runner;
pub mod worker;
