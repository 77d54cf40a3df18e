//! Moving one process's wall clock with libfaketime (Debian's `faketime` package), its monotonic
//! clock untouched, for the clock-discipline tests and the clock-skew bench.

/// libfaketime as Debian's `faketime` package installs it.
pub const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// The environment that runs a process with its wall clock `offset` (e.g. `+2s`) away from the
/// machine's, its monotonic clock untouched (tokio's timers and Raft's timeouts run true).
pub fn faketime_env(offset: &str) -> Vec<(String, String)> {
    [
        ("LD_PRELOAD", LIBFAKETIME),
        ("FAKETIME", offset),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}
