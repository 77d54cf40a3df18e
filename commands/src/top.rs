//! `belfry top`: parses its flags and hands over to the dashboard in `belfry-tui`.

use std::time::Duration;

use crate::cli::TopArgs;
use crate::failure::Failure;

fn duration(flag: &str, text: &str) -> Result<Duration, Failure> {
    match belfry_client::duration::parse_go_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(Failure::usage(format!("--{flag}: must be more than 0"))),
        Err(e) => Err(Failure::usage(format!("--{flag}: {e}"))),
    }
}

pub fn run(addr: &str, args: TopArgs) -> Result<(), Failure> {
    let options = belfry_tui::Options {
        addr: addr.to_string(),
        token: crate::cli::token(),
        refresh: duration("refresh", &args.refresh)?,
        timeout: duration("timeout", &args.timeout)?,
        read_only: args.read_only,
        color: !args.no_color && !belfry_tui::no_color_env(),
    };
    belfry_tui::run(options).map_err(|e| match e {
        belfry_tui::TopError::NotATerminal => Failure::usage(e.to_string()),
        belfry_tui::TopError::Client(c) => Failure::from(c),
        belfry_tui::TopError::Terminal(_) => Failure::failed(e.to_string()),
    })
}
