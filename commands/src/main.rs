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

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
