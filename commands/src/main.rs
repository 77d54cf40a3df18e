//! `belfry`: the cluster agent and the operator's toolkit in one binary.

mod acl;
mod agent;
mod cli;
mod cluster;
mod config_check;
mod failure;
mod generate;
mod jobs;
mod snapshot;
mod tls;
mod top;
mod transfer;
mod upgrade;
mod version;

use std::process::ExitCode;

use clap::FromArgMatches;

fn main() -> ExitCode {
    let matches = cli::command().get_matches();
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
