//! Waiting on a condition with a deadline: the one polling loop of the tests and benches.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often [`wait_for`] polls: often enough that a test does not idle, rarely enough that
/// polling does not load the node it watches.
pub const POLL: Duration = Duration::from_millis(50);

/// Polls `check` every `every` until it yields a value; once `limit` has passed, the error
/// names `what`. A check that hangs is not cut short: give its requests their own timeouts.
pub async fn poll_until<T, F, Fut>(
    what: &str,
    limit: Duration,
    every: Duration,
    mut check: F,
) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out after {limit:?} waiting for {what}"));
        }
        tokio::time::sleep(every).await;
    }
}

/// [`poll_until`] every [`POLL`], for tests: panics on timeout.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    poll_until(what, limit, POLL, check)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}
