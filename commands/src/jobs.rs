//! `belfry jobs …`: jobs over the HTTP API, as human tables or as JSON for scripts.

use belfry_client::Client;
use belfry_client::model::{Execution, ExecutionStatus, Job, is_zero_time};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::cli::JobsCommand;
use crate::failure::{Failure, code};
use crate::output::{print_json, table};

pub fn run(addr: &str, cmd: JobsCommand) -> Result<(), Failure> {
    let client = crate::cli::client(addr)?;
    let runtime = crate::failure::runtime()?;
    runtime.block_on(async move {
        match cmd {
            JobsCommand::List { json } => list(&client, json).await,
            JobsCommand::Show {
                name,
                executions,
                json,
            } => show(&client, &name, executions, json).await,
            JobsCommand::Run { name, json } => run_now(&client, &name, json).await,
            JobsCommand::Export { output } => {
                crate::transfer::export(&client, output.as_deref()).await
            }
            JobsCommand::Import {
                file,
                dry_run,
                prune,
                json,
            } => {
                let report = crate::transfer::import(&client, &file, dry_run, prune).await?;
                report.finish(json, "imported")
            }
            JobsCommand::Executions {
                name,
                output: Some(id),
                json,
                ..
            } => {
                let execution = client.execution(&name, &id).await?;
                if json {
                    print_json(&execution);
                } else {
                    print!("{}", execution.output);
                    if !execution.output.is_empty() && !execution.output.ends_with('\n') {
                        println!();
                    }
                }
                Ok(())
            }
            JobsCommand::Executions {
                name,
                output: None,
                limit,
                json,
            } => {
                let mut executions = client.executions(&name).await?;
                executions.truncate(limit);
                if json {
                    print_json(&executions);
                } else {
                    table(&EXECUTION_HEADER, &execution_rows(&executions));
                }
                Ok(())
            }
            JobsCommand::Apply {
                file,
                dry_run,
                json,
            } => {
                let report = crate::transfer::apply(&client, &file, dry_run).await?;
                report.finish(json, "applied")
            }
            JobsCommand::Toggle { name, json } => {
                let job = client.toggle_job(&name).await?;
                if json {
                    print_json(&job);
                } else if job.disabled {
                    println!("Paused job {}", job.name);
                } else {
                    println!("Resumed job {}", job.name);
                }
                Ok(())
            }
            JobsCommand::Delete { name, json } => {
                let job = client.delete_job(&name).await?;
                if json {
                    print_json(&job);
                } else {
                    println!("Deleted job {}", job.name);
                }
                Ok(())
            }
        }
    })
}

fn time(t: Option<DateTime<Utc>>) -> String {
    match t {
        Some(t) if !is_zero_time(&t) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        _ => "-".into(),
    }
}

async fn list(client: &Client, json: bool) -> Result<(), Failure> {
    let jobs = client.jobs().await?;
    if json {
        print_json(&jobs);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                j.name.clone(),
                j.schedule.clone(),
                if j.disabled {
                    "disabled".into()
                } else {
                    "enabled".into()
                },
                if j.status.is_empty() {
                    "-".into()
                } else {
                    j.status.clone()
                },
                time(Some(j.next)),
                j.success_count.to_string(),
                j.error_count.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "NAME",
            "SCHEDULE",
            "STATE",
            "LAST STATUS",
            "NEXT",
            "SUCCESS",
            "ERRORS",
        ],
        &rows,
    );
    Ok(())
}

fn status_word(e: &Execution) -> &'static str {
    match e.status {
        ExecutionStatus::Running => "running",
        ExecutionStatus::Success => "success",
        ExecutionStatus::Failed => "failed",
        ExecutionStatus::Missed => "missed",
    }
}

fn execution_rows(executions: &[Execution]) -> Vec<Vec<String>> {
    executions
        .iter()
        .map(|e| {
            let duration = if e.is_running() || e.status == ExecutionStatus::Missed {
                "-".to_string()
            } else {
                let ms = (e.finished_at - e.started_at).num_milliseconds().max(0);
                format!("{}.{:03}s", ms / 1000, ms % 1000)
            };
            vec![
                e.id.clone(),
                time(Some(e.scheduled_at)),
                status_word(e).into(),
                e.exit_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into()),
                duration,
                e.node_name.clone(),
            ]
        })
        .collect()
}

const EXECUTION_HEADER: [&str; 6] = [
    "EXECUTION",
    "SCHEDULED",
    "STATUS",
    "EXIT",
    "DURATION",
    "NODE",
];

async fn show(client: &Client, name: &str, limit: usize, json: bool) -> Result<(), Failure> {
    let job = client.job(name).await?;
    let mut executions = client.executions(name).await?;
    executions.truncate(limit);
    if json {
        print_json(&serde_json::json!({ "job": job, "executions": executions }));
        return Ok(());
    }
    print_job(&job);
    println!();
    table(&EXECUTION_HEADER, &execution_rows(&executions));
    Ok(())
}

fn print_job(job: &Job) {
    let rows = [
        ("Name", job.name.clone()),
        ("Schedule", job.schedule.clone()),
        (
            "Timezone",
            if job.timezone.is_empty() {
                "UTC".into()
            } else {
                job.timezone.clone()
            },
        ),
        ("Executor", job.executor.clone()),
        (
            "Command",
            job.executor_config
                .get("command")
                .cloned()
                .unwrap_or_default(),
        ),
        ("Concurrency", job.concurrency.clone()),
        ("Disabled", job.disabled.to_string()),
        (
            "Status",
            if job.status.is_empty() {
                "-".into()
            } else {
                job.status.clone()
            },
        ),
        ("Next", time(Some(job.next))),
        ("Last success", time(job.last_success)),
        ("Last error", time(job.last_error)),
        (
            "Success / errors",
            format!("{} / {}", job.success_count, job.error_count),
        ),
    ];
    for (k, v) in rows {
        println!("{:<17} {v}", format!("{k}:"));
    }
}

async fn run_now(client: &Client, name: &str, json: bool) -> Result<(), Failure> {
    client.run_job(name).await?;
    // The run has finished and is committed: the newest finished execution is ours, and every
    // execution of its group (one per target node) belongs to this run.
    let executions = client.executions(name).await?;
    let Some(group) = executions.iter().find(|e| !e.is_running()).map(|e| e.group) else {
        return Err(Failure::failed(format!(
            "job {name:?} ran, but its execution is not listed"
        )));
    };
    let mut ran: Vec<_> = executions
        .into_iter()
        .filter(|e| e.group == group)
        .collect();
    ran.sort_by(|a, b| (&a.node_name, a.attempt).cmp(&(&b.node_name, b.attempt)));
    let failed = ran.iter().filter(|e| !e.success).count();
    let status = match failed {
        0 => "success",
        n if n == ran.len() => "failed",
        _ => "partially_failed",
    };
    if json {
        // Always a list, one execution per node, so scripts read one shape.
        print_json(&ran);
    } else {
        table(&EXECUTION_HEADER, &execution_rows(&ran));
        for execution in &ran {
            if execution.output.is_empty() {
                continue;
            }
            println!();
            if ran.len() > 1 {
                println!("== {}", execution.node_name);
            }
            print!("{}", execution.output);
            if !execution.output.ends_with('\n') {
                println!();
            }
        }
        if ran.len() > 1 {
            println!();
            println!("{status}: {} of {} nodes failed", failed, ran.len());
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(Failure {
            code: code::JOB_FAILED,
            message: String::new(),
        })
    }
}
