//! What every bench's `main` does: read its `BELFRY_BENCH_*` settings and run on a small
//! runtime, exiting non-zero when the run failed or found faults.

use std::future::Future;
use std::process::ExitCode;

/// The setting `name` from the environment, or `default` when it is unset.
pub fn setting<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("{name}={v:?} is not a positive number")),
        Err(_) => Ok(default),
    }
}

/// Runs a bench on two runtime threads (the rest of the machine is for the processes it
/// measures). `Ok(true)`: it passed; `Ok(false)`: it ran and found faults (it printed them);
/// `Err`: it could not run, and the reason is printed. Bad settings exit with 2.
pub fn run_bench<S, F, Fut>(bench: &str, settings: Result<S, String>, run: F) -> ExitCode
where
    F: FnOnce(S) -> Fut,
    Fut: Future<Output = Result<bool, String>>,
{
    // Cargo passes `--bench` (and maybe a filter) to harness-less benches: nothing to parse.
    let settings = match settings {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{bench}: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(settings)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("\n{bench}: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}
