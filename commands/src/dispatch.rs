//! Runs the command the command line names: the one place that knows every subcommand's
//! module. The definitions ([`crate::cli`]) know none of them, so each subcommand's module may
//! use the definitions without an import cycle.

use crate::cli::*;
use crate::failure::Failure;

pub(crate) fn client_addr(flag: Option<String>) -> String {
    flag.unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_string())
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    if !matches!(cli.command, Command::Agent(_)) {
        let _ = TOKEN.set(cli.token.secret()?);
    }
    belfry_client::set_client_tls(belfry_client::ClientTls {
        ca: cli.tls.ca.clone(),
        client_cert: cli.tls.client_cert.clone(),
        client_key: cli.tls.client_key.clone(),
    });
    match cli.command {
        Command::Acl(cmd) => crate::acl::run(&client_addr(cli.http_addr), cmd),
        Command::Agent(args) => crate::agent::run(*args, cli.http_addr),
        Command::Snapshot(cmd) => crate::snapshot::run(&client_addr(cli.http_addr), cmd),
        Command::Upgrade(cmd) => crate::upgrade::run(&client_addr(cli.http_addr), cmd),
        Command::Config(ConfigCommand::Check { file, json }) => {
            crate::config_check::run(&file, json)
        }
        Command::Jobs(cmd) => {
            let addr = cli
                .http_addr
                .unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_string());
            crate::jobs::run(&addr, cmd)
        }
        Command::Version { json } => crate::version::run(json),
        Command::Top(args) => crate::top::run(&client_addr(cli.http_addr), args),
        Command::Members { json } => crate::cluster::members(&client_addr(cli.http_addr), json),
        Command::Leader { json } => crate::cluster::leader(&client_addr(cli.http_addr), json),
        Command::Health { json } => crate::cluster::health(&client_addr(cli.http_addr), json),
        Command::Raft(RaftCommand::ListPeers { json }) => {
            crate::cluster::list_peers(&client_addr(cli.http_addr), json)
        }
        Command::Raft(RaftCommand::RemovePeer { node, force }) => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.remove_peer(&node, force).await
            })
        }
        Command::Raft(RaftCommand::Recover { data_dir, voters }) => {
            let named = (!voters.is_empty()).then_some(voters.as_slice());
            let done = belfry::consensus::recover(&data_dir, named).map_err(|e| match e {
                belfry::consensus::RecoverError::Refused(m) => {
                    Failure::failed(format!("refused: {m}"))
                }
                belfry::consensus::RecoverError::Io(e) => {
                    Failure::failed(format!("{}: {e}", data_dir.display()))
                }
            })?;
            println!(
                "Recovered {}: voters were [{}], now [{}]{}. Start the survivors; every other server must be wiped (or restored from a snapshot) before it rejoins.",
                data_dir.display(),
                done.voters_before.join(", "),
                done.voters_after.join(", "),
                if done.blanked_entries > 0 {
                    format!(
                        "; {} uncommitted membership change(s) in the log were dropped",
                        done.blanked_entries
                    )
                } else {
                    String::new()
                }
            );
            Ok(())
        }
        Command::Raft(RaftCommand::TransferLeadership { node }) => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.transfer_leadership(node.as_deref()).await
            })
        }
        Command::Join { addrs } => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.join(&addrs).await
            })
        }
        Command::Leave => {
            crate::cluster::act(
                &client_addr(cli.http_addr),
                |c| async move { c.leave().await },
            )
        }
        Command::Demote { node, force } => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.demote(&node, force).await
            })
        }
        Command::Promote { node } => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.promote(&node).await
            })
        }
        Command::ForceLeave { node } => {
            crate::cluster::act(&client_addr(cli.http_addr), |c| async move {
                c.force_leave(&node).await
            })
        }
        Command::Tls(cmd) => crate::tls::run(cmd),
        Command::Keygen => {
            println!("{}", belfry::transport::keys::generate_key());
            Ok(())
        }
        Command::ClusterKey { data_dir } => match belfry::agent::read_cluster_key(&data_dir) {
            Ok(Some(key)) => {
                println!("{key}");
                Ok(())
            }
            Ok(None) => Err(Failure::failed(format!(
                "{} has no generated cluster key (it is made by a server that bootstraps a one-server cluster without --encrypt)",
                data_dir.display()
            ))),
            Err(e) => Err(Failure::failed(e)),
        },
        Command::Completions { shell } => {
            crate::generate::completions(shell, &mut std::io::stdout())
                .map_err(|e| Failure::failed(e.to_string()))
        }
        Command::Man { dir } => crate::generate::man(dir.as_deref()),
        Command::Generate { root } => crate::generate::all(&root),
    }
}
