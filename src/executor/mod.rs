//! Job executors: the code that actually runs a job's work on an agent.
//!
//! Each executor takes the job's Dkron-style `executor_config` string map, validates it into a
//! typed spec, and runs it to a self-contained outcome (timestamps, success, output tail, error).
//! Only the built-in `shell` executor lives here so far.

pub mod shell;
