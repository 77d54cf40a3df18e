//! `belfry`: the cluster agent and the operator's toolkit in one binary.

mod acl;
mod agent;
mod cli;
mod cluster;
mod complete;
mod config_check;
mod dispatch;
mod failure;
mod generate;
mod jobs;
mod output;
mod snapshot;
mod tls;
mod top;
mod transfer;
mod upgrade;
mod version;

use std::process::ExitCode;

use clap::FromArgMatches;

fn main() -> ExitCode {
    let matches = complete::with_complete(cli::command()).get_matches();
    if let Some(("__complete", request)) = matches.subcommand() {
        return match complete::run(&matches, request) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => failure.report(),
        };
    }
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match dispatch::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
