//! Belfry's end-to-end tests: real `belfry` processes, real redb files, real shells and real
//! HTTP on loopback. One test binary; modules by topic.

// The kit is shared with the benches, which use parts of it the tests do not.
#[allow(dead_code, unused_imports)]
mod kit;
mod support;

mod acl;
mod api;
mod backup;
mod browser;
mod cli;
mod clock;
mod cluster;
mod config;
mod crates;
mod distributed;
mod durability;
mod execution;
mod limits;
mod notify;
mod packaging;
mod tls;
mod top;
mod trust;
