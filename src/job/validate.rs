//! Job validation, as Dkron does it (`Job.Validate`) plus what Dkron forgets: every problem is
//! reported with the field it is in, before anything is written.

use std::sync::LazyLock;

use regex::Regex;

use crate::job::executor_spec::{EXECUTORS, ExecutorSpec, SpecError};
use crate::job::schedule::{Schedule, parse_timezone};
use crate::model::{CONCURRENCY_ALLOW, CONCURRENCY_FORBID, Job};

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{Ll}0-9_-]+$").expect("valid pattern"));

/// A validation failure: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    pub field: String,
    pub reason: String,
}

fn invalid(field: &str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Checks a job name: Dkron's charset (lowercase letters, digits, `_`, `-`), which also keeps
/// names safe in URLs, keys and file paths.
pub fn validate_name(name: &str) -> Result<(), Invalid> {
    if name.is_empty() {
        return Err(invalid("name", "is required"));
    }
    if name.len() > 256 {
        return Err(invalid("name", "is longer than 256 bytes"));
    }
    if !NAME.is_match(name) {
        return Err(invalid(
            "name",
            format!("{name:?} may contain only lowercase letters, digits, '_' and '-'"),
        ));
    }
    Ok(())
}

/// Dkron's text for a job naming itself as parent (`ErrSameParent`), which its tests assert.
pub const SELF_PARENT: &str = "the job can not have itself as parent";

/// Validates a job as submitted.
/// Orders jobs so that a parent named in the list comes before its children (parents outside
/// the list are assumed to exist already). On a `parent_job` cycle, returns the jobs caught in it.
pub fn parents_first(mut jobs: Vec<Job>) -> Result<Vec<Job>, Vec<String>> {
    let names: std::collections::HashSet<String> = jobs.iter().map(|j| j.name.clone()).collect();
    let mut placed = std::collections::HashSet::new();
    let mut ordered = Vec::with_capacity(jobs.len());
    while !jobs.is_empty() {
        let (ready, waiting): (Vec<Job>, Vec<Job>) = jobs.into_iter().partition(|j| {
            j.parent_job.is_empty()
                || !names.contains(&j.parent_job)
                || placed.contains(&j.parent_job)
        });
        if ready.is_empty() {
            return Err(waiting.into_iter().map(|j| j.name).collect());
        }
        placed.extend(ready.iter().map(|j| j.name.clone()));
        ordered.extend(ready);
        jobs = waiting;
    }
    Ok(ordered)
}

pub fn validate_job(job: &Job) -> Result<(), Invalid> {
    validate_name(&job.name)?;
    if !job.parent_job.is_empty() {
        validate_name(&job.parent_job).map_err(|e| invalid("parent_job", e.reason))?;
        if job.parent_job == job.name {
            return Err(invalid("parent_job", SELF_PARENT));
        }
    }
    if !job.timezone.is_empty() {
        parse_timezone(&job.timezone).map_err(|e| invalid("timezone", e.to_string()))?;
    }
    if job.schedule.is_empty() {
        if job.parent_job.is_empty() {
            return Err(invalid(
                "schedule",
                "is required (only a job with a parent_job may have none)",
            ));
        }
    } else {
        Schedule::parse(&job.schedule, Some(&job.timezone), &job.name)
            .map_err(|e| invalid("schedule", e.to_string()))?;
    }
    if !matches!(
        job.concurrency.as_str(),
        CONCURRENCY_ALLOW | CONCURRENCY_FORBID | ""
    ) {
        return Err(invalid(
            "concurrency",
            format!("{:?} is not \"allow\" or \"forbid\"", job.concurrency),
        ));
    }
    if !matches!(job.retry_on.as_str(), "" | "same" | "any") {
        return Err(invalid(
            "retry_on",
            format!("{:?} is not \"same\" or \"any\"", job.retry_on),
        ));
    }
    job.catchup_policy().map_err(|e| invalid("catchup", e))?;
    job.catchup_window()
        .map_err(|e| invalid("catchup_window", e))?;
    for (key, value) in &job.tags {
        crate::job::targeting::TagRule::parse(value)
            .map_err(|e| invalid("tags", format!("{key}: {e}")))?;
    }
    match ExecutorSpec::of(job) {
        Ok(_) => {}
        // Dkron accepts a job without an executor (its UI saves one before the executor is
        // chosen); each of its runs fails saying no executor is set.
        Err(SpecError::NoExecutor) => {}
        Err(SpecError::Config(why)) => return Err(invalid("executor_config", why)),
        Err(SpecError::Unknown(other)) => {
            return Err(invalid(
                "executor",
                format!(
                    "{other:?} is not available (available: {})",
                    EXECUTORS.join(", ")
                ),
            ));
        }
    }
    crate::job::processor_settings::validate(&job.processors)
        .map_err(|e| invalid("processors", e.to_string()))?;
    if let (Some(s), Some(e)) = (job.starts_at, job.expires_at)
        && e < s
    {
        return Err(invalid("expires_at", "is before starts_at"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, schedule: &str) -> Job {
        Job {
            name: name.into(),
            schedule: schedule.into(),
            executor: "shell".into(),
            executor_config: [("command".to_string(), "true".to_string())].into(),
            ..Job::default()
        }
    }

    #[test]
    fn names() {
        assert!(validate_job(&job("ok_name-1", "@every 1s")).is_ok());
        assert!(validate_job(&job("ünïcode", "@every 1s")).is_ok());
        for bad in ["Upper", "has space", "dot.ted", "a/b", "..", ""] {
            let e = validate_job(&job(bad, "@every 1s")).unwrap_err();
            assert_eq!(e.field, "name", "{bad}");
        }
    }

    #[test]
    fn fields_are_named() {
        assert_eq!(
            validate_job(&job("a", "* * * * *")).unwrap_err().field,
            "schedule"
        );
        assert_eq!(validate_job(&job("a", "")).unwrap_err().field, "schedule");
        let mut j = job("a", "@every 1s");
        j.timezone = "Mars/Olympus".into();
        assert_eq!(validate_job(&j).unwrap_err().field, "timezone");
        let mut j = job("a", "@every 1s");
        j.concurrency = "replace".into();
        assert_eq!(validate_job(&j).unwrap_err().field, "concurrency");
        let mut j = job("a", "@every 1s");
        j.executor = "kafka".into();
        assert_eq!(validate_job(&j).unwrap_err().field, "executor");
        let mut j = job("a", "@every 1s");
        j.executor_config.insert("timeout".into(), "soon".into());
        assert_eq!(validate_job(&j).unwrap_err().field, "executor_config");
        let mut j = job("a", "");
        j.parent_job = "p".into();
        assert!(validate_job(&j).is_ok());
        let mut j = job("a", "@every 1s");
        j.processors
            .insert("files".into(), [("forward".into(), "nope".into())].into());
        let e = validate_job(&j).unwrap_err();
        assert_eq!(
            e.to_string(),
            "processors: files: forward: \"nope\" is not \"true\" or \"false\""
        );
    }

    #[test]
    fn executors_are_validated_by_their_own_rules() {
        // As in Dkron, a job may be saved without an executor; its runs fail saying so.
        let mut j = job("a", "@every 1s");
        j.executor = String::new();
        j.executor_config.clear();
        assert!(validate_job(&j).is_ok());

        let mut j = job("a", "@every 1s");
        j.executor = "http".into();
        j.executor_config = [
            ("method".to_string(), "GET".to_string()),
            (
                "url".to_string(),
                "http://127.0.0.1:8080/health".to_string(),
            ),
        ]
        .into();
        assert!(validate_job(&j).is_ok());
        j.executor_config.insert("expectBody".into(), "(".into());
        let e = validate_job(&j).unwrap_err();
        assert_eq!(e.field, "executor_config");
        assert!(e.reason.starts_with("executor_config.expectBody: "), "{e}");

        let mut j = job("a", "@every 1s");
        j.executor_config.insert("mem_limit".into(), "a lot".into());
        let e = validate_job(&j).unwrap_err();
        assert!(e.reason.starts_with("executor_config.mem_limit: "), "{e}");
    }
}
