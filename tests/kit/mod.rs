//! The test and bench kit: real `belfry` processes on loopback and what tests and benches do
//! with them, written once.
//!
//! - [`node`]: one `belfry agent` process with its own ports, data dir and log: start, wait
//!   until it leads (with a deadline, failing early when it exits), signal, stop, kill, and
//!   remove its files.
//! - [`cluster`]: several of them: who leads, three servers that bootstrap together.
//! - [`wait`]: polling a condition until a deadline — never sleep-and-hope.
//! - [`jobs`]: the jobs tests and benches create, and bulk creation and reads over the API.
//! - [`measure`]: a process's CPU and memory over a run (through `belfry::telemetry::procfs`), the
//!   machine's, percentiles and the units the figures are printed in.
//! - [`netns`]: network namespaces for tests whose traffic the host must not see.
//! - [`bench`]: a bench's settings from `BELFRY_BENCH_*` and its `main`.
//!
//! One copy, compiled into the test binary (`tests/main.rs`: `mod kit;`) and into each bench
//! (`#[path = "../tests/kit/mod.rs"] mod kit;`), so that `env!("CARGO_BIN_EXE_belfry")` names
//! the binary Cargo built for that target. Each target uses part of the kit, hence the
//! `allow(dead_code, unused_imports)` where it is declared. Fallible steps return
//! `Result<_, String>` (a bench prints the reason and exits non-zero); the test forms panic
//! with the same reason.

pub mod bench;
pub mod clock;
pub mod cluster;
pub mod jobs;
pub mod measure;
pub mod netns;
pub mod node;
pub mod wait;

pub use bench::*;
pub use clock::*;
pub use cluster::*;
pub use jobs::*;
pub use measure::*;
pub use netns::*;
pub use node::*;
pub use wait::*;
