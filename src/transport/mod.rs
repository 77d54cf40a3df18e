//! How nodes and clients reach a node: the cluster key and what is derived from it
//! ([`keys`]), the HTTP listeners with TLS and connection limits ([`http`]), and the typed,
//! sealed internal RPC ([`rpc`], [`seal`]). It knows nothing of what the calls mean: each layer
//! above declares its own calls and the agent registers their handlers.

pub mod http;
pub mod keys;
pub mod rpc;
pub(crate) mod seal;
