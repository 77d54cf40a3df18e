//! What a job runs, parsed once: [`ExecutorSpec`] is the one place that turns a job's
//! `executor` and `executor_config` into a checked specification. Saving a job parses it (a bad
//! one is refused with the field it is in) and a node parses it again before it runs it (a job
//! saved by an older version that no longer validates fails its run, saying why).

pub mod http;
pub mod shell;

use crate::model::Job;

pub use http::HttpSpec;
pub use shell::ShellSpec;

/// Executors this build can run.
pub const EXECUTORS: &[&str] = &["shell", "http"];

/// A job's executor with its settings checked.
#[derive(Debug, Clone)]
pub enum ExecutorSpec {
    Shell(Box<ShellSpec>),
    Http(Box<HttpSpec>),
}

/// Why a job's executor cannot run, naming the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// `executor` is empty (Dkron's UI saves such jobs; each run fails saying so).
    #[error("the job has no executor: set \"executor\" to one of {}", EXECUTORS.join(", "))]
    NoExecutor,
    /// `executor` names an executor this build lacks.
    #[error("executor {name:?} is not available (available: {})", EXECUTORS.join(", "), name = .0)]
    Unknown(String),
    /// `executor_config` is wrong for the executor.
    #[error("{0}")]
    Config(String),
}

impl ExecutorSpec {
    /// Parses `job`'s executor and its config.
    pub fn of(job: &Job) -> Result<ExecutorSpec, SpecError> {
        match job.executor.as_str() {
            "shell" => ShellSpec::from_config(&job.executor_config)
                .map(|s| ExecutorSpec::Shell(Box::new(s)))
                .map_err(|e| SpecError::Config(e.to_string())),
            "http" => HttpSpec::from_config(&job.executor_config)
                .map(|s| ExecutorSpec::Http(Box::new(s)))
                .map_err(|e| SpecError::Config(e.to_string())),
            "" => Err(SpecError::NoExecutor),
            other => Err(SpecError::Unknown(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(executor: &str, config: &[(&str, &str)]) -> Job {
        Job {
            name: "j".into(),
            executor: executor.into(),
            executor_config: config
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Job::default()
        }
    }

    #[test]
    fn each_executor_parses_its_config_and_names_what_is_wrong() {
        assert!(matches!(
            ExecutorSpec::of(&job("shell", &[("command", "true")])),
            Ok(ExecutorSpec::Shell(_))
        ));
        assert!(matches!(
            ExecutorSpec::of(&job(
                "http",
                &[("url", "http://127.0.0.1:1/"), ("method", "GET")]
            )),
            Ok(ExecutorSpec::Http(_))
        ));
        assert!(matches!(
            ExecutorSpec::of(&job("shell", &[])),
            Err(SpecError::Config(_))
        ));
        assert_eq!(
            ExecutorSpec::of(&job("", &[])).unwrap_err(),
            SpecError::NoExecutor
        );
        let unknown = ExecutorSpec::of(&job("docker", &[])).unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "executor \"docker\" is not available (available: shell, http)"
        );
    }
}
