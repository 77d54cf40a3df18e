//! Belfry's engine: a distributed, fault-tolerant cron scheduler that speaks Dkron's API.
//!
//! The modules are layers, each allowed to import only the ones listed before it (the test
//! `layers::imports_point_down` holds the code to this order; `docs/architecture.md` explains
//! each layer and what it keeps true):
//!
//! 1. [`telemetry`]: the process's counters, bumped from anywhere, read at the top; `/proc`.
//! 2. [`model`], [`duration`], [`client`]: the API's types and its typed client, from the
//!    `belfry-client` crate (what the CLI and the dashboard build on).
//! 3. [`job`]: pure job rules: schedules, validation, targeting, executor specs.
//! 4. [`config`]: the node's settings.
//! 5. [`state`]: the replicated state machine (jobs, executions, tokens), deterministic.
//! 6. [`transport`]: keys, HTTP listeners and the sealed internal RPC.
//! 7. [`consensus`]: Raft storage, snapshots, archives, and committing here or at the leader.
//! 8. [`cluster`]: gossip, discovery, voters, clock discipline, Raft's network, operator actions,
//!    and the one commit path from any node.
//! 9. [`node`]: work every node does: runs what it is sent (worker, runner, executors).
//! 10. [`leader`]: work only the leader does: schedule, dispatch, notify.
//! 11. [`api`]: the HTTP API, its guards and `/metrics`.
//! 12. [`agent`]: wires one node together and serves the internal RPC.
//!
//! The `belfry` binary (package `belfry-cli`) and the dashboard (`belfry-tui`) sit on top of
//! this library and use only its typed [`client`] to talk to a running node.

pub mod telemetry;

pub use belfry_client::{client, duration, model};

pub mod job;

pub mod config;

pub(crate) mod state;

pub mod transport;

pub mod consensus;

pub mod cluster;

pub mod node;

pub mod leader;

pub(crate) mod api;

pub mod agent;

#[cfg(test)]
mod layers;
