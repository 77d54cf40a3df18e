//! `GET /v1/node/stats`: this process's own CPU, memory and data-dir disk use.
//!
//! Every node serves it (servers and agents alike), so a dashboard sees each node's load by
//! asking that node, without an agent of its own on the host. The figures come from Linux's
//! `/proc/self`; where that is missing they are `null` rather than invented.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::telemetry::procfs::{self, clock_ticks_per_second};

// The answer's shape and route are the client crate's: the dashboard reads them from there.
pub use belfry_client::node_stats::{NodeStats, PATH};

/// CPU use is measured over at least this long: a dashboard polling every 500 ms, or two
/// dashboards at once, read the same figure instead of noise from a few milliseconds.
const MIN_CPU_WINDOW: Duration = Duration::from_secs(1);

/// Walking the data dir is cheap but not free; its size changes slowly.
const DISK_CACHE_FOR: Duration = Duration::from_secs(5);

/// CPU time (clock ticks) at an instant.
#[derive(Clone, Copy)]
struct CpuSample {
    at: Instant,
    ticks: u64,
}

struct Sampler {
    node: String,
    data_dir: PathBuf,
    cpu: Mutex<CpuState>,
    disk: Mutex<Option<(Instant, Option<u64>)>>,
}

#[derive(Default)]
struct CpuState {
    last: Option<CpuSample>,
    /// The latest figure and its window, served until [`MIN_CPU_WINDOW`] has passed.
    figure: Option<(f64, Duration)>,
}

/// The stats route, stateless from the caller's point of view (it carries its own state).
pub fn routes<S: Clone + Send + Sync + 'static>(node: &str, data_dir: &Path) -> Router<S> {
    let sampler = Arc::new(Sampler {
        node: node.to_string(),
        data_dir: data_dir.to_path_buf(),
        cpu: Mutex::new(CpuState::default()),
        disk: Mutex::new(None),
    });
    Router::new().route(PATH, get(stats)).with_state(sampler)
}

async fn stats(State(sampler): State<Arc<Sampler>>) -> Response {
    let (cpu_percent, window) = sampler.cpu();
    let stats = NodeStats {
        node: sampler.node.clone(),
        cpu_percent,
        cpu_window_ms: window.map(|w| w.as_millis() as u64),
        rss_bytes: rss_bytes(),
        data_dir: sampler.data_dir.display().to_string(),
        data_dir_bytes: sampler.disk(),
    };
    axum::Json(stats).into_response()
}

impl Sampler {
    fn cpu(&self) -> (Option<f64>, Option<Duration>) {
        let mut state = self.cpu.lock().expect("cpu sampler lock");
        let now = Instant::now();
        if let (Some(last), Some((pct, window))) = (state.last, state.figure)
            && now.duration_since(last.at) < MIN_CPU_WINDOW
        {
            return (Some(pct), Some(window));
        }
        let Some(ticks) = process_cpu_ticks() else {
            return (None, None);
        };
        let hz = clock_ticks_per_second();
        let figure = match state.last {
            Some(last) => {
                let window = now.duration_since(last.at);
                let used = ticks.saturating_sub(last.ticks) as f64 / hz;
                Some((100.0 * used / window.as_secs_f64().max(1e-3), window))
            }
            // The first request: the average over the process's life so far.
            None => process_age_secs(hz).map(|age| {
                (
                    100.0 * ticks as f64 / hz / age.max(1e-3),
                    Duration::from_secs_f64(age),
                )
            }),
        };
        let figure = figure.map(|(pct, window)| ((pct * 10.0).round() / 10.0, window));
        state.last = Some(CpuSample { at: now, ticks });
        state.figure = figure;
        (figure.map(|(p, _)| p), figure.map(|(_, w)| w))
    }

    fn disk(&self) -> Option<u64> {
        let mut cached = self.disk.lock().expect("disk sampler lock");
        if let Some((at, bytes)) = *cached
            && at.elapsed() < DISK_CACHE_FOR
        {
            return bytes;
        }
        let bytes = disk_usage(&self.data_dir);
        *cached = Some((Instant::now(), bytes));
        bytes
    }
}

/// utime + stime of every thread of this process, in clock ticks.
fn process_cpu_ticks() -> Option<u64> {
    Some(procfs::stat(std::process::id()).ok()?.cpu_ticks())
}

/// Seconds since this process started: system uptime minus its start time.
fn process_age_secs(hz: f64) -> Option<f64> {
    let started = procfs::stat(std::process::id()).ok()?.start_time as f64 / hz;
    Some(procfs::uptime_secs().ok()? - started)
}

fn rss_bytes() -> Option<u64> {
    Some(procfs::status(std::process::id()).ok()?.rss_kib? * 1024)
}

/// Allocated bytes under `dir` (symbolic links are not followed).
fn disk_usage(dir: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            if d == dir {
                return None;
            }
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            total += meta.blocks() * 512;
            if meta.is_dir() {
                pending.push(entry.path());
            }
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), vec![1u8; 64 * 1024]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/g"), vec![1u8; 8192]).unwrap();
        let used = disk_usage(dir.path()).unwrap();
        assert!(used >= 72 * 1024, "{used}");
        assert_eq!(disk_usage(&dir.path().join("missing")), None);
        assert!(rss_bytes().unwrap() > 1024 * 1024);

        let sampler = Sampler {
            node: "n".into(),
            data_dir: dir.path().into(),
            cpu: Mutex::new(CpuState::default()),
            disk: Mutex::new(None),
        };
        let (pct, window) = sampler.cpu();
        assert!(pct.unwrap() >= 0.0 && window.is_some());
        // Within the minimum window the same figure is served again.
        assert_eq!(sampler.cpu().0, pct);
    }
}
