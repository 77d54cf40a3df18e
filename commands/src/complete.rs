//! `belfry __complete`: the job and node names that the shell completions offer, read from the
//! running cluster, as kubectl completes resource names. Hidden: only the completion scripts
//! call it, and it is not in the definitions they are generated from (so no shell offers it).
//!
//! The scripts hand over the command line as typed; clap parses it with the one definition of
//! every command ([`crate::cli::command`]), with a placeholder where the word being completed
//! is, and [`NAME_ARGUMENTS`] says whether the argument the placeholder landed in is a job or a
//! node name. The connection options on that line (`--http-addr`, `--token`, `--ca`, …, and
//! their environment variables) are the ones the completed command will use.

use std::time::Duration;

use clap::{FromArgMatches, Subcommand};

use crate::failure::Failure;

/// What a completion waits for the cluster at most: a shell must not hang on TAB.
const ANSWER_WITHIN: Duration = Duration::from_secs(1);

/// Stands for the word being completed when the command line is parsed.
const PLACEHOLDER: &str = "__belfry_completing__";

/// Which names an argument takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    Jobs,
    Nodes,
}

/// The arguments completed with names from the cluster: command path, argument id, names.
pub const NAME_ARGUMENTS: &[(&str, &str, Names)] = &[
    ("jobs show", "name", Names::Jobs),
    ("jobs run", "name", Names::Jobs),
    ("jobs delete", "name", Names::Jobs),
    ("jobs executions", "name", Names::Jobs),
    ("jobs toggle", "name", Names::Jobs),
    ("demote", "node", Names::Nodes),
    ("promote", "node", Names::Nodes),
    ("force-leave", "node", Names::Nodes),
    ("raft remove-peer", "node", Names::Nodes),
    ("raft transfer-leadership", "node", Names::Nodes),
    ("upgrade wait", "node", Names::Nodes),
];

#[derive(Debug, Subcommand)]
enum Request {
    /// Print the cluster's job names, one a line
    Jobs,
    /// Print the cluster's node names (gossip members), one a line
    Nodes,
    /// WORDS are the command line after `belfry`, before the word being completed: print the
    /// names that word can take if it is a job or node name (exit 0), else exit 1
    After {
        #[arg(last = true)]
        words: Vec<String>,
    },
    /// The same from the text of the command line up to the cursor (bash's COMP_LINE), split
    /// as the shell splits it
    Line {
        #[arg(allow_hyphen_values = true)]
        text: String,
    },
}

/// `cmd` (the root command) with the hidden `__complete` subcommand added.
pub fn with_complete(cmd: clap::Command) -> clap::Command {
    cmd.subcommand(Request::augment_subcommands(
        clap::Command::new("__complete")
            .hide(true)
            .subcommand_required(true)
            .about("Job and node names for the shell completions, from the cluster"),
    ))
}

/// Runs `belfry [OPTIONS] __complete …`; `root` are the matches of the whole command line (its
/// connection options serve `jobs` and `nodes`), `sub` those of `__complete`.
pub fn run(root: &clap::ArgMatches, sub: &clap::ArgMatches) -> Result<(), Failure> {
    let request = Request::from_arg_matches(sub).map_err(|e| Failure::usage(e.to_string()))?;
    let (names, connection) = match request {
        Request::Jobs => (Names::Jobs, Connection::from_matches(root)),
        Request::Nodes => (Names::Nodes, Connection::from_matches(root)),
        Request::After { words } => at(&words)?,
        Request::Line { text } => {
            let (mut words, _current) = split_line(&text);
            // The first word is the program.
            if !words.is_empty() {
                words.remove(0);
            }
            at(&words)?
        }
    };
    // No answer, a refusal or a bad option: nothing to offer, and no noise in the prompt.
    if let Ok(connection) = connection {
        for name in connection.names(names) {
            println!("{name}");
        }
    }
    Ok(())
}

/// Which names the word after `words` takes, with the connection the line names; exit 1 (no
/// message) when that word is not a job or node name.
fn at(words: &[String]) -> Result<(Names, Result<Connection, Failure>), Failure> {
    let not_a_name = || Failure {
        code: crate::failure::code::FAILED,
        message: String::new(),
    };
    let line = std::iter::once("belfry")
        .chain(words.iter().map(String::as_str))
        .chain(std::iter::once(PLACEHOLDER));
    let matches = crate::cli::command()
        .try_get_matches_from(line)
        .map_err(|_| not_a_name())?;
    let names = names_at(&matches).ok_or_else(not_a_name)?;
    Ok((names, Connection::from_matches(&matches)))
}

/// The names taken by the argument that holds [`PLACEHOLDER`] in `matches`, if it is one of
/// [`NAME_ARGUMENTS`].
fn names_at(matches: &clap::ArgMatches) -> Option<Names> {
    let mut path = Vec::new();
    let mut leaf = matches;
    while let Some((name, sub)) = leaf.subcommand() {
        path.push(name);
        leaf = sub;
    }
    let path = path.join(" ");
    let id = leaf.ids().find(|id| {
        leaf.try_get_raw(id.as_str())
            .ok()
            .flatten()
            .is_some_and(|mut values| values.any(|v| v == PLACEHOLDER))
    })?;
    NAME_ARGUMENTS
        .iter()
        .find(|(p, arg, _)| *p == path && *arg == id.as_str())
        .map(|(_, _, names)| *names)
}

/// Where and how to ask: the address, token and TLS options of a command line.
struct Connection {
    client: belfry::client::Client,
}

impl Connection {
    fn from_matches(matches: &clap::ArgMatches) -> Result<Connection, Failure> {
        let http_addr = matches.get_one::<String>("http_addr").cloned();
        let token = crate::cli::TokenArgs::from_arg_matches(matches)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let tls = crate::cli::ClientTlsArgs::from_arg_matches(matches)
            .map_err(|e| Failure::usage(e.to_string()))?;
        let addr = http_addr.unwrap_or_else(|| crate::cli::DEFAULT_HTTP_ADDR.to_string());
        let tls = belfry::client::ClientTls {
            ca: tls.ca,
            client_cert: tls.client_cert,
            client_key: tls.client_key,
        };
        let client = belfry::client::Client::new_with_tls(&addr, &tls)?
            .with_token(token.secret()?.as_deref())
            .with_timeout(ANSWER_WITHIN);
        Ok(Connection { client })
    }

    /// The names, sorted; none when the cluster does not answer within [`ANSWER_WITHIN`].
    fn names(&self, names: Names) -> Vec<String> {
        let Ok(runtime) = crate::failure::runtime() else {
            return Vec::new();
        };
        let ask = async {
            match names {
                Names::Jobs => self
                    .client
                    .jobs()
                    .await
                    .map(|jobs| jobs.into_iter().map(|j| j.name).collect()),
                Names::Nodes => self
                    .client
                    .members()
                    .await
                    .map(|members| members.into_iter().map(|m| m.name).collect()),
            }
        };
        let mut found: Vec<String> = runtime
            .block_on(async { tokio::time::timeout(ANSWER_WITHIN, ask).await })
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        found.sort();
        found.dedup();
        found
    }
}

/// Splits a command line as a POSIX shell would (quotes, backslashes; no expansions). Returns
/// the complete words and the word under the cursor (empty after a space).
fn split_line(text: &str) -> (Vec<String>, String) {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(done) = word.take() {
                    words.push(done);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => w.push(e),
                            Some(other) => {
                                w.push('\\');
                                w.push(other);
                            }
                            None => {}
                        },
                        _ => w.push(c),
                    }
                }
            }
            '\\' => {
                let w = word.get_or_insert_with(String::new);
                if let Some(escaped) = chars.next() {
                    w.push(escaped);
                }
            }
            _ => word.get_or_insert_with(String::new).push(c),
        }
    }
    (words, word.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    fn names_after(line: &str) -> Option<Names> {
        at(&words(line)).ok().map(|(names, _)| names)
    }

    #[test]
    fn every_name_argument_exists_in_the_definitions() {
        let root = crate::cli::command();
        for (path, arg, _) in NAME_ARGUMENTS {
            let mut cmd = &root;
            for part in path.split(' ') {
                cmd = cmd
                    .find_subcommand(part)
                    .unwrap_or_else(|| panic!("no command {path:?}"));
            }
            let found = cmd.get_positionals().any(|a| a.get_id().as_str() == *arg);
            assert!(found, "{path:?} has no positional argument {arg:?}");
        }
    }

    #[test]
    fn the_word_being_completed_is_found_as_clap_parses_the_line() {
        assert_eq!(names_after("jobs run"), Some(Names::Jobs));
        assert_eq!(
            names_after("--http-addr=127.0.0.1:1 jobs show --json"),
            Some(Names::Jobs)
        );
        assert_eq!(names_after("jobs executions --limit 3"), Some(Names::Jobs));
        assert_eq!(names_after("demote --force"), Some(Names::Nodes));
        assert_eq!(names_after("raft transfer-leadership"), Some(Names::Nodes));
        // Not a name: a subcommand, an option's value, a second positional, a file.
        assert_eq!(names_after("jobs"), None);
        assert_eq!(names_after("jobs executions --output"), None);
        assert_eq!(names_after("jobs run backup"), None);
        assert_eq!(names_after("config check"), None);
        assert_eq!(names_after("jobs show --executions"), None);
    }

    #[test]
    fn the_connection_options_come_from_the_completed_line() {
        let (_, connection) = at(&words("--http-addr 10.9.8.7:9999 jobs run")).unwrap();
        assert_eq!(connection.unwrap().client.base(), "http://10.9.8.7:9999");
    }

    #[test]
    fn lines_split_as_the_shell_splits_them() {
        let (w, cur) = split_line("belfry --http-addr 'a b' jobs run \"x\\\"y\" ba");
        assert_eq!(w, ["belfry", "--http-addr", "a b", "jobs", "run", "x\"y"]);
        assert_eq!(cur, "ba");
        let (w, cur) = split_line("belfry jobs\\ x run ");
        assert_eq!(w, ["belfry", "jobs x", "run"]);
        assert_eq!(cur, "");
        let (w, cur) = split_line("belfry demote ''");
        assert_eq!(w, ["belfry", "demote"]);
        assert_eq!(cur, "");
    }
}
