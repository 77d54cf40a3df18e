//! Gives the heap memory the node has freed back to the system, every [`TRIM_EVERY`].
//!
//! glibc's malloc keeps what a program frees for its own reuse, in one arena per thread that
//! allocated it; it returns memory to the system only from the top of an arena, never from
//! the middle. A node under load allocates and frees on many threads (runtime workers, the
//! blocking pool that reads and writes the redb files, the job starters), so the freed memory
//! scatters across arenas and stays resident. Measured at 1,000 jobs and 200 launches a second
//! with a bounded history (docs/benchmarks.md, "One hour at 1,000 jobs"): after 12 minutes the
//! heap held 161 MB for 43 MB in use, and RSS grew by about 20 MiB a minute; one
//! `malloc_trim(0)` took it from 172 to 79 MiB.
//!
//! `malloc_trim(0)` walks every arena and gives back the whole pages inside its free chunks
//! (`madvise(MADV_DONTNEED)`): the next allocation there faults a zeroed page back in. Done
//! every 30 s, from the blocking pool, it keeps resident memory close to what is in use. Other
//! allocators (a musl build) return memory themselves; there it does nothing.

use std::time::Duration;

/// How often freed heap memory is given back.
pub const TRIM_EVERY: Duration = Duration::from_secs(30);

/// A trim longer than this is logged (at debug).
const SLOW_TRIM: Duration = Duration::from_millis(10);

/// Gives back the whole free pages of every malloc arena; true when some were.
pub fn trim() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only reorganises the allocator's own free lists; it is
        // thread-safe (it takes each arena's lock) and any pad is valid.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Trims the heap every [`TRIM_EVERY`], until the task is dropped.
pub async fn trim_periodically() {
    let mut every = tokio::time::interval(TRIM_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        let started = std::time::Instant::now();
        // Walking the arenas takes a moment: not on a thread Raft and gossip share.
        if let Ok(released) = tokio::task::spawn_blocking(trim).await {
            // Each arena is locked while it is walked: a slow trim is worth knowing about.
            let took = started.elapsed();
            if took > SLOW_TRIM {
                tracing::debug!(released, ?took, "heap trim was slow");
            } else {
                tracing::trace!(released, ?took, "heap trimmed");
            }
        }
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    fn rss_kib() -> u64 {
        crate::telemetry::procfs::status(std::process::id())
            .expect("/proc/self/status")
            .rss_kib
            .expect("VmRSS")
    }

    #[test]
    fn freed_memory_in_the_middle_of_the_heap_is_given_back() {
        // 256 MiB in 4 KiB blocks, every 16th kept: what is freed lies between live blocks,
        // where glibc never gives it back by itself.
        const BLOCK: usize = 4096;
        const BLOCKS: usize = 256 << 20 >> 12;
        let mut blocks: Vec<Vec<u8>> = (0..BLOCKS).map(|i| vec![i as u8; BLOCK]).collect();
        let mut kept = Vec::new();
        for (i, b) in blocks.drain(..).enumerate() {
            if i % 16 == 0 {
                kept.push(b);
            }
        }
        drop(blocks);
        let before = rss_kib();
        assert!(trim(), "nothing was given back");
        let after = rss_kib();
        assert!(
            before.saturating_sub(after) > 128 * 1024,
            "RSS {before} KiB before, {after} KiB after"
        );
        assert_eq!(kept.len(), BLOCKS / 16);
        assert!(kept.iter().enumerate().all(|(i, b)| b[0] == (i * 16) as u8));
    }
}
