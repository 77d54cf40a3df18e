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
    if !matches!(cli.command, cli::Command::Agent(_)) {
        // An operator command piped into `head` ends quietly when the reader goes, as shell
        // tools do. Not the agent: a write to a peer that hung up must stay an error there.
        // SAFETY: setting a signal's disposition to its default, before any thread is started.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    match dispatch::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
