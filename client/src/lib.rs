//! Belfry's client: the API's model types, a typed HTTP client of one node's API, and its errors.
//!
//! The `belfry` binary's commands and the dashboard (`belfry-tui`) talk to a running node only
//! through this crate, exactly as an operator's own script would use the REST API; the engine
//! (package `belfry`) serves the same types. It stays small on purpose: depending on it must
//! never compile the engine (openraft, redb, foca, axum).

pub mod acl;
pub mod client;
pub mod duration;
pub mod model;
pub mod node_stats;
pub mod pem;

pub use client::{
    Client, ClientError, ClientTls, client_tls_config, install_tls_provider, set_client_tls,
};
