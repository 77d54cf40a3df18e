//! `GET /v1/node/stats`'s answer: one node's own CPU, memory and data-dir disk use, as the
//! engine samples it (from Linux's `/proc/self`) and the dashboard shows it. Figures the node
//! cannot read are `null` rather than invented.

use serde::{Deserialize, Serialize};

/// The route, for both the server's and the agent's router.
pub const PATH: &str = "/v1/node/stats";

/// `GET /v1/node/stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeStats {
    pub node: String,
    /// CPU time this process used over the last `cpu_window_ms`, in % of one core (a busy
    /// process on two cores can show up to 200).
    pub cpu_percent: Option<f64>,
    pub cpu_window_ms: Option<u64>,
    /// Resident memory.
    pub rss_bytes: Option<u64>,
    pub data_dir: String,
    /// Disk space the data dir takes (allocated blocks, as `du` counts).
    pub data_dir_bytes: Option<u64>,
}
