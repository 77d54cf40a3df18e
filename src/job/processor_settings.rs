//! The settings of a job's `processors` (see `node::processors` for what each does), checked
//! when the job is saved, and read the same way by the node that runs them.

use std::collections::BTreeMap;
use std::path::Path;

/// The processors this build has.
pub const PROCESSORS: &[&str] = &["files", "log", "syslog"];

/// Dkron injects this key into every processor's config; it is accepted and ignored.
const IGNORED_KEYS: &[&str] = &["reporting_node"];

/// A processor's configuration problem: the processor, the key and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigProblem {
    pub processor: String,
    pub key: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            Some(k) => write!(f, "{}: {k}: {}", self.processor, self.reason),
            None => write!(f, "{}: {}", self.processor, self.reason),
        }
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Whether a processor's output is forwarded (stored) as well (Dkron: false when absent).
pub fn forward(config: &BTreeMap<String, String>) -> bool {
    config
        .get("forward")
        .and_then(|v| parse_bool(v.trim()))
        .unwrap_or(false)
}

/// Checks a job's `processors` when the job is saved.
pub fn validate(
    processors: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<(), ConfigProblem> {
    for (name, config) in processors {
        let problem = |key: Option<&str>, reason: String| ConfigProblem {
            processor: name.clone(),
            key: key.map(str::to_string),
            reason,
        };
        let keys: &[&str] = match name.as_str() {
            "log" => &["forward"],
            "files" => &["forward", "log_dir"],
            "syslog" => &["forward", "socket"],
            _ => {
                return Err(problem(
                    None,
                    format!("is not available (available: {})", PROCESSORS.join(", ")),
                ));
            }
        };
        for (key, value) in config {
            if IGNORED_KEYS.contains(&key.as_str()) {
                continue;
            }
            if !keys.contains(&key.as_str()) {
                return Err(problem(
                    Some(key),
                    format!("unknown key (known: {})", keys.join(", ")),
                ));
            }
            match key.as_str() {
                "forward" if parse_bool(value.trim()).is_none() => {
                    return Err(problem(
                        Some(key),
                        format!("{value:?} is not \"true\" or \"false\""),
                    ));
                }
                "log_dir" | "socket" if !value.is_empty() && !Path::new(value).is_absolute() => {
                    return Err(problem(
                        Some(key),
                        format!("{value:?} is not an absolute path"),
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}
