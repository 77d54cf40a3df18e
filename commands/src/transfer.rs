//! `belfry jobs export` and `belfry jobs import`: job definitions in and out of a cluster as
//! Dkron's JSON array, for backups and for keeping jobs in version control.
//!
//! Export writes only what an operator defines: the counters, last results, status, `next`
//! and `dependent_jobs` that the cluster maintains are reset, and jobs are sorted by name, so
//! the file changes only when a definition does. Import accepts that file or anything Dkron's
//! `GET /v1/jobs` returns: it validates every job before changing anything, writes parents
//! before children, leaves identical jobs alone (a second import changes nothing), and with
//! `--prune` deletes the jobs the file does not name (children first).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use belfry::job::validate::validate_job;
use belfry_client::Client;
use belfry_client::model::{CONCURRENCY_ALLOW, Job, zero_time};

use crate::failure::Failure;

/// A job as an operator defines it: the fields the cluster maintains are cleared.
pub fn definition(job: &Job) -> Job {
    let mut j = job.clone();
    j.id = j.name.clone();
    j.success_count = 0;
    j.error_count = 0;
    j.last_success = None;
    j.last_error = None;
    j.status = String::new();
    j.next = zero_time();
    j.dependent_jobs = Vec::new();
    if j.concurrency.is_empty() {
        j.concurrency = CONCURRENCY_ALLOW.into();
    }
    j
}

/// The export text: definitions sorted by name, pretty-printed, with a final newline.
pub fn export_text(jobs: &[Job]) -> String {
    let mut defs: Vec<Job> = jobs.iter().map(definition).collect();
    defs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut text = serde_json::to_string_pretty(&defs).expect("jobs serialise");
    text.push('\n');
    text
}

/// Writes `text` to `path` atomically: a temporary file beside it, synced, then renamed.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Failure::usage(format!("{}: not a file name", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure::failed(format!("cannot write {}: {e}", path.display()))
    })
}

pub async fn export(client: &Client, output: Option<&Path>) -> Result<(), Failure> {
    let jobs = client.jobs().await?;
    let text = export_text(&jobs);
    match output {
        Some(path) => {
            write_atomically(path, &text)?;
            eprintln!("Exported {} jobs to {}", jobs.len(), path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// What an import does to one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Created,
    Updated,
    Unchanged,
    Deleted,
    Failed,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    pub job: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For an update: each changed field, `field: old → new`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
}

/// The fields whose values differ between two job definitions, as `field: old → new` (JSON
/// values, keys in order).
pub fn field_changes(old: &Job, new: &Job) -> Vec<String> {
    let as_map = |j: &Job| match serde_json::to_value(definition(j)) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    let (old, new) = (as_map(old), as_map(new));
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (a, b) = (old.get(k), new.get(k));
            (a != b).then(|| {
                let show = |v: Option<&serde_json::Value>| {
                    v.map_or("(none)".to_string(), |v| v.to_string())
                };
                format!("{k}: {} → {}", show(a), show(b))
            })
        })
        .collect()
}

/// Reads FILE, or standard input for `-`.
pub fn read_source(file: &Path) -> Result<String, Failure> {
    if file == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Failure::usage(format!("cannot read standard input: {e}")))?;
        Ok(text)
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", file.display())))
    }
}

/// `belfry jobs apply -f`: one job or a list, in YAML or JSON (YAML reads JSON too), turned
/// into the import format. Creates and updates only; nothing is deleted.
pub async fn apply(client: &Client, file: &Path, dry_run: bool) -> Result<Report, Failure> {
    let text = read_source(file)?;
    let shown = if file == Path::new("-") {
        "standard input".to_string()
    } else {
        file.display().to_string()
    };
    let value: serde_json::Value = serde_yaml_ng::from_str(&text)
        .map_err(|e| Failure::usage(format!("{shown}: not YAML or JSON: {e}")))?;
    let list = match value {
        serde_json::Value::Array(items) => items,
        one @ serde_json::Value::Object(_) => vec![one],
        _ => {
            return Err(Failure::usage(format!(
                "{shown}: expected a job (an object) or a list of jobs"
            )));
        }
    };
    let json = serde_json::to_string(&list).map_err(|e| Failure::failed(e.to_string()))?;
    import_text(client, &json, dry_run, false)
        .await
        .map_err(|f| Failure {
            code: f.code,
            message: format!("{shown}: {}", f.message),
        })
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub steps: Vec<Step>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    pub failed: usize,
}

/// Reads and checks an import file; every problem is listed, and nothing is returned unless
/// the whole file is good.
pub fn read_import(text: &str, existing: &BTreeSet<String>) -> Result<Vec<Job>, Failure> {
    let jobs: Vec<Job> = serde_json::from_str(text).map_err(|e| {
        Failure::usage(format!(
            "not a JSON array of jobs (Dkron's export format): {e}"
        ))
    })?;
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for job in &jobs {
        if !seen.insert(job.name.clone()) {
            problems.push(format!("{:?}: named twice", job.name));
        }
        if let Err(e) = validate_job(&definition(job)) {
            problems.push(format!("{:?}: {e}", job.name));
        }
        if !job.parent_job.is_empty()
            && !seen.contains(&job.parent_job)
            && !jobs.iter().any(|j| j.name == job.parent_job)
            && !existing.contains(&job.parent_job)
        {
            problems.push(format!(
                "{:?}: parent_job {:?} is neither in the file nor in the cluster",
                job.name, job.parent_job
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Failure::usage(format!(
            "nothing imported; the file has {} problem(s): {}",
            problems.len(),
            problems.join("; ")
        )));
    }
    belfry::job::validate::parents_first(jobs).map_err(|cycle| {
        Failure::usage(format!(
            "nothing imported; parent_job forms a cycle among {cycle:?}"
        ))
    })
}

/// Whether two jobs define the same thing (compared as JSON, so every field counts).
fn same_definition(a: &Job, b: &Job) -> bool {
    serde_json::to_value(definition(a)).ok() == serde_json::to_value(definition(b)).ok()
}

pub async fn import(
    client: &Client,
    file: &Path,
    dry_run: bool,
    prune: bool,
) -> Result<Report, Failure> {
    // `-` reads the jobs from standard input (`belfry jobs export | … | belfry jobs import -`).
    let text = read_source(file)?;
    import_text(client, &text, dry_run, prune).await
}

async fn import_text(
    client: &Client,
    text: &str,
    dry_run: bool,
    prune: bool,
) -> Result<Report, Failure> {
    let current: BTreeMap<String, Job> = client
        .jobs()
        .await?
        .into_iter()
        .map(|j| (j.name.clone(), j))
        .collect();
    let existing: BTreeSet<String> = current.keys().cloned().collect();
    let jobs = read_import(text, &existing)?;
    let mut steps = Vec::new();
    for job in &jobs {
        let (action, changes) = match current.get(&job.name) {
            None => (Action::Created, Vec::new()),
            Some(old) if same_definition(old, job) => (Action::Unchanged, Vec::new()),
            Some(old) => (Action::Updated, field_changes(old, job)),
        };
        if action == Action::Unchanged || dry_run {
            steps.push(Step {
                job: job.name.clone(),
                action,
                error: None,
                changes,
            });
            continue;
        }
        let step = match client.put_job(&definition(job)).await {
            Ok(_) => Step {
                job: job.name.clone(),
                action,
                error: None,
                changes,
            },
            Err(e) => Step {
                job: job.name.clone(),
                action: Action::Failed,
                error: Some(e.to_string()),
                changes,
            },
        };
        steps.push(step);
    }
    if prune {
        let keep: BTreeSet<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
        // Children before parents: a parent with children cannot be deleted.
        let mut doomed: Vec<&Job> = current
            .values()
            .filter(|j| !keep.contains(j.name.as_str()))
            .collect();
        let depth = |j: &Job| {
            let mut d = 0;
            let mut p = j.parent_job.clone();
            while let Some(parent) = current.get(&p) {
                d += 1;
                p = parent.parent_job.clone();
                if d > current.len() {
                    break;
                }
            }
            d
        };
        doomed.sort_by_key(|j| std::cmp::Reverse(depth(j)));
        for job in doomed {
            let step = if dry_run {
                Step {
                    job: job.name.clone(),
                    action: Action::Deleted,
                    error: None,
                    changes: Vec::new(),
                }
            } else {
                match client.delete_job(&job.name).await {
                    Ok(_) => Step {
                        job: job.name.clone(),
                        action: Action::Deleted,
                        error: None,
                        changes: Vec::new(),
                    },
                    Err(e) => Step {
                        job: job.name.clone(),
                        action: Action::Failed,
                        error: Some(e.to_string()),
                        changes: Vec::new(),
                    },
                }
            };
            steps.push(step);
        }
    }
    let count = |a: Action| steps.iter().filter(|s| s.action == a).count();
    Ok(Report {
        dry_run,
        created: count(Action::Created),
        updated: count(Action::Updated),
        unchanged: count(Action::Unchanged),
        deleted: count(Action::Deleted),
        failed: count(Action::Failed),
        steps,
    })
}

impl Report {
    /// Prints the report (JSON or lines); a failed job makes the command fail.
    pub fn finish(&self, json: bool, done: &str) -> Result<(), Failure> {
        if json {
            crate::output::print_json(self);
        } else {
            self.print();
        }
        if self.failed > 0 {
            return Err(Failure::failed(format!(
                "{} job(s) could not be {done}",
                self.failed
            )));
        }
        Ok(())
    }

    pub fn print(&self) {
        let verb = |a: Action| match (a, self.dry_run) {
            (Action::Created, true) => "would create",
            (Action::Updated, true) => "would update",
            (Action::Deleted, true) => "would delete",
            (Action::Created, false) => "created",
            (Action::Updated, false) => "updated",
            (Action::Deleted, false) => "deleted",
            (Action::Unchanged, _) => "unchanged",
            (Action::Failed, _) => "FAILED",
        };
        for s in self.steps.iter().filter(|s| s.action != Action::Unchanged) {
            match &s.error {
                Some(e) => println!("{:<13} {}: {e}", verb(s.action), s.job),
                None => println!("{:<13} {}", verb(s.action), s.job),
            }
            for change in &s.changes {
                println!("{:<13}   {change}", "");
            }
        }
        let changes = self.created + self.updated + self.deleted;
        if changes == 0 && self.failed == 0 {
            println!(
                "Nothing to change: {} jobs already as in the file.",
                self.unchanged
            );
        } else {
            println!(
                "{}{} created, {} updated, {} unchanged, {} deleted, {} failed",
                if self.dry_run { "Dry run: " } else { "" },
                self.created,
                self.updated,
                self.unchanged,
                self.deleted,
                self.failed
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, parent: &str) -> Job {
        Job {
            name: name.into(),
            schedule: if parent.is_empty() {
                "@daily".into()
            } else {
                String::new()
            },
            parent_job: parent.into(),
            executor: "shell".into(),
            executor_config: [("command".to_string(), "true".to_string())].into(),
            ..Job::default()
        }
    }

    #[test]
    fn export_is_stable_and_free_of_server_fields() {
        let mut a = job("b", "");
        a.success_count = 7;
        a.status = "success".into();
        let text = export_text(&[a.clone(), job("a", "")]);
        assert_eq!(text, export_text(&[job("a", ""), definition(&a)]));
        assert!(!text.contains("\"success_count\": 7"));
        assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
        assert!(text.ends_with("]\n"));
    }

    #[test]
    fn imports_order_parents_first_and_refuse_bad_files_whole() {
        let text = serde_json::to_string(&[job("kid", "mom"), job("mom", "")]).unwrap();
        let jobs = read_import(&text, &BTreeSet::new()).unwrap();
        assert_eq!(
            jobs.iter().map(|j| j.name.as_str()).collect::<Vec<_>>(),
            ["mom", "kid"]
        );
        let bad = serde_json::to_string(&[job("ok", ""), job("Bad Name", ""), job("lost", "nope")])
            .unwrap();
        let e = read_import(&bad, &BTreeSet::new()).unwrap_err().message;
        assert!(
            e.contains("2 problem(s)") && e.contains("Bad Name") && e.contains("nope"),
            "{e}"
        );
        let cycle = serde_json::to_string(&[job("x", "y"), job("y", "x")]).unwrap();
        assert!(
            read_import(&cycle, &BTreeSet::new())
                .unwrap_err()
                .message
                .contains("cycle")
        );
        assert!(read_import("{}", &BTreeSet::new()).is_err());
    }
}
