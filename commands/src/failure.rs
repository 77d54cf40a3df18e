//! How a command fails: one line on stderr and a documented exit code.

use std::process::ExitCode;

use belfry_client::ClientError;

/// Exit codes, documented in `belfry --help` and docs/operating.md ("The CLI against a running node").
pub mod code {
    /// The command did not do what was asked: the cluster could not be reached or refused.
    pub const FAILED: u8 = 1;
    /// Bad usage or configuration; nothing was started or changed.
    pub const USAGE: u8 = 2;
    /// The named job or execution does not exist.
    pub const NOT_FOUND: u8 = 3;
    /// `jobs run`: the job ran, and its execution failed.
    pub const JOB_FAILED: u8 = 4;
}

#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: code::USAGE,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Failure {
            code: code::FAILED,
            message: message.into(),
        }
    }

    pub fn report(self) -> ExitCode {
        if !self.message.is_empty() {
            eprintln!("belfry: {}", self.message);
        }
        ExitCode::from(self.code)
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        let code = match &e {
            ClientError::NotFound(_) => code::NOT_FOUND,
            ClientError::Address(_) | ClientError::Tls(_) => code::USAGE,
            _ => code::FAILED,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

/// The single-threaded runtime a client command runs its requests on.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start the runtime: {e}")))
}
