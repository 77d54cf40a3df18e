//! Belfry's engine: a distributed, fault-tolerant cron scheduler that speaks Dkron's API.
//!
//! The `belfry` binary (package `belfry-cli`) and the dashboard (`belfry-tui`) sit on top of
//! this library and use only its typed [`client`] to talk to a running node.

pub mod consensus;
pub mod duration;
pub mod model;
pub mod state;
