//! `belfry config check FILE`: validates an agent config file offline and prints the settings
//! an agent started with it (and this environment) would run with: every setting of the
//! settings table, by its config-file key, secrets shown only as set or not.
//!
//! Every bad key is named, not only the first: each key is checked on its own, then the whole
//! file together with the `BELFRY_*` environment and the defaults.

use std::path::Path;

use belfry::config;
use clap::Parser;

use crate::cli::AgentArgs;
use crate::failure::Failure;

/// The agent's flags read from the environment alone (no command-line flags).
#[derive(Parser)]
struct EnvOnly {
    #[command(flatten)]
    agent: AgentArgs,
    #[arg(long, env = "BELFRY_HTTP_ADDR")]
    http_addr: Option<String>,
}

pub fn run(file: &Path, json: bool) -> Result<(), Failure> {
    let path = file.display().to_string();
    let (inert_keys, settings) = match check(file, &path) {
        Ok(checked) => checked,
        Err((failure, errors)) => {
            // Scripts that asked for JSON get JSON on failure too (and the exit code 2).
            if json {
                crate::output::print_json(&serde_json::json!({
                    "file": path,
                    "valid": false,
                    "errors": errors,
                }));
            }
            return Err(failure);
        }
    };
    if json {
        let map: serde_json::Map<String, serde_json::Value> = settings
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
            .collect();
        crate::output::print_json(&serde_json::json!({
            "file": path,
            "valid": true,
            "inert_keys": inert_keys,
            "settings": map,
        }));
    } else {
        println!("{path}: valid");
        for key in &inert_keys {
            println!("note: {key} is accepted for Dkron compatibility but has no effect yet");
        }
        let rows: Vec<Vec<String>> = settings
            .into_iter()
            .map(|(k, v)| vec![k.to_string(), v])
            .collect();
        crate::output::table(&["SETTING", "EFFECTIVE VALUE"], &rows);
    }
    Ok(())
}

/// The file's inert keys and effective settings, or the failure with each problem found.
#[allow(clippy::type_complexity)]
fn check(
    file: &Path,
    path: &str,
) -> Result<(Vec<String>, Vec<(&'static str, String)>), (Failure, Vec<String>)> {
    let one = |failure: Failure| {
        let message = failure.message.clone();
        (failure, vec![message])
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| one(Failure::usage(format!("cannot read {path}: {e}"))))?;
    let problems = per_key_problems(&text, path).map_err(one)?;
    if !problems.is_empty() {
        let failure = Failure::usage(format!(
            "{path}: {} bad key(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ));
        return Err((failure, problems));
    }
    let parsed = config::parse_file(&text, path).map_err(|e| one(Failure::usage(e.to_string())))?;
    let env = EnvOnly::try_parse_from(["belfry"])
        .map_err(|e| one(Failure::usage(format!("environment: {e}"))))?;
    let env_layer = crate::agent::layer_from_flags(&env.agent, env.http_addr).map_err(one)?;
    let config = config::resolve(env_layer.over(parsed.layer))
        .map_err(|e| one(Failure::usage(format!("{path}: {e}"))))?;
    belfry::agent::check_config(&config)
        .map_err(|e| one(Failure::usage(format!("{path}: {e}"))))?;
    Ok((parsed.inert_keys, config::settings::effective(&config)))
}

/// Checks each top-level key on its own, so that every bad one is reported.
fn per_key_problems(text: &str, path: &str) -> Result<Vec<String>, Failure> {
    let docs = config::split_keys(text, path).map_err(|e| Failure::usage(e.to_string()))?;
    let mut problems = Vec::new();
    for single in docs {
        match config::parse_file(&single, path) {
            Err(e) => problems.push(e.to_string()),
            Ok(parsed) => {
                // A value may parse yet be unusable (an address, a duration): resolve it alone,
                // over a base that satisfies the settings other keys depend on; the whole file
                // is resolved afterwards.
                let checked = config::resolve(parsed.layer.over(config::one_key_base()))
                    .and_then(|c| belfry::agent::check_config(&c).map(drop));
                if let Err(e) = checked {
                    problems.push(format!("{path}: {e}"));
                }
            }
        }
    }
    Ok(problems)
}
