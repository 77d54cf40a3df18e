//! Belfry's engine: a distributed, fault-tolerant cron scheduler that speaks Dkron's API.
//!
//! The `belfry` binary (package `belfry-cli`) and the dashboard (`belfry-tui`) sit on top of
//! this library and use only its typed [`client`] to talk to a running node.

pub mod acl;
pub mod agent;
pub mod api;
pub mod backup;
pub mod browser_guard;
pub mod client;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod consensus;
pub mod discovery;
pub mod dispatcher;
pub mod duration;
pub mod executor;
pub mod guard;
pub mod http_serve;
pub mod membership;
pub mod metrics;
pub mod model;
pub mod node_stats;
pub mod notify;
pub mod openapi;
pub mod operator;
pub mod processors;
pub mod procfs;
pub mod rpc;
pub mod runner;
pub mod schedule;
pub mod scheduler;
pub mod state;
pub mod targeting;
pub mod validate;
pub mod worker;
