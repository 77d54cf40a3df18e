//! Belfry's engine: a distributed, fault-tolerant cron scheduler that speaks Dkron's API.
//!
//! The `belfry` binary (package `belfry-cli`) sits on top of this library; it and the dashboard
//! (`belfry-tui`) talk to a running node only through the client crate (`belfry-client`).
//!
//! The model, durations and client live in that crate and are re-exported here, so the engine
//! serves exactly the types clients read, and `crate::model::Job` reads the same everywhere.

pub mod acl;
pub mod agent;
pub mod api;
pub mod backup;
pub mod browser_guard;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod consensus;
pub mod discovery;
pub mod dispatcher;
pub mod executor;
pub mod guard;
pub mod http_serve;
pub mod membership;
pub mod metrics;
pub mod node_stats;
pub mod notify;
pub mod openapi;
pub mod operator;
pub mod processors;
pub mod rpc;
pub mod runner;
pub mod schedule;
pub mod scheduler;
pub mod state;
pub mod targeting;
pub mod validate;
pub mod worker;

pub use belfry_client::{client, duration, model};
