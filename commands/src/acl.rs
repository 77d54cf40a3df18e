//! `belfry acl …`: bootstrap the cluster's ACLs, create, list and delete tokens, list the roles.
//! A secret is printed once, when its token is created; lists never show one (none is stored).

use std::collections::BTreeMap;

use belfry_client::acl::{NewToken, TokenInfo, TokenRequest};

use crate::cli::{AclCommand, AclTokenCommand};
use crate::failure::Failure;
use crate::output::{print_json, table};

pub fn run(addr: &str, cmd: AclCommand) -> Result<(), Failure> {
    let client = crate::cli::client(addr)?;
    let runtime = crate::failure::runtime()?;
    runtime.block_on(async move {
        match cmd {
            AclCommand::Bootstrap { json } => {
                let token = client.acl_bootstrap().await.map_err(|e| match &e {
                    belfry_client::ClientError::Api { status, message }
                        if status.as_u16() == 409 =>
                    {
                        Failure::failed(format!("bootstrap refused: {message}"))
                    }
                    _ => Failure::from(e),
                })?;
                print_new(&token, json);
                Ok(())
            }
            AclCommand::Roles { json } => {
                let roles = client.acl_roles().await?;
                if json {
                    print_json(&roles);
                } else {
                    let rows: Vec<Vec<String>> = roles
                        .iter()
                        .map(|r| {
                            vec![
                                r.name.clone(),
                                r.permissions.join(","),
                                r.description.clone(),
                            ]
                        })
                        .collect();
                    table(&["ROLE", "PERMISSIONS", "MAY"], &rows);
                }
                Ok(())
            }
            AclCommand::Token(AclTokenCommand::Create {
                role,
                prefix,
                selector,
                description,
                json,
            }) => {
                let mut metadata = BTreeMap::new();
                for s in &selector {
                    let (k, v) = s
                        .split_once('=')
                        .filter(|(k, _)| !k.is_empty())
                        .ok_or_else(|| {
                            Failure::usage(format!("--selector {s:?}: expected KEY=VALUE"))
                        })?;
                    metadata.insert(k.to_string(), v.to_string());
                }
                belfry_client::acl::Role::parse(&role)
                    .map_err(|e| Failure::usage(format!("--role: {e}")))?;
                let token = client
                    .acl_create_token(&TokenRequest {
                        role,
                        description,
                        prefixes: prefix,
                        metadata,
                    })
                    .await?;
                print_new(&token, json);
                Ok(())
            }
            AclCommand::Token(AclTokenCommand::List { json }) => {
                let tokens = client.acl_tokens().await?;
                if json {
                    print_json(&tokens);
                } else {
                    let rows: Vec<Vec<String>> = tokens.iter().map(row).collect();
                    table(
                        &["ACCESSOR", "ROLE", "SCOPE", "CREATED", "DESCRIPTION"],
                        &rows,
                    );
                }
                Ok(())
            }
            AclCommand::Token(AclTokenCommand::Delete { accessor, json }) => {
                let message = client.acl_delete_token(&accessor).await?;
                if json {
                    print_json(&serde_json::json!({ "message": message }));
                } else {
                    println!("{message}");
                }
                Ok(())
            }
        }
    })
}

fn row(t: &TokenInfo) -> Vec<String> {
    let scope = if t.role == belfry_client::acl::Role::JobWriter {
        t.scope.describe()
    } else {
        "-".into()
    };
    vec![
        t.accessor.clone(),
        t.role.name().into(),
        scope,
        t.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        if t.description.is_empty() {
            "-".into()
        } else {
            t.description.clone()
        },
    ]
}

fn print_new(token: &NewToken, json: bool) {
    if json {
        print_json(token);
        return;
    }
    println!("AccessorID:  {}", token.info.accessor);
    println!("SecretID:    {}", token.secret);
    println!("Role:        {}", token.info.role.name());
    if token.info.role == belfry_client::acl::Role::JobWriter {
        println!("Scope:       {}", token.info.scope.describe());
    }
    if !token.info.description.is_empty() {
        println!("Description: {}", token.info.description);
    }
    println!("The secret is shown only now: store it (e.g. in a 0600 file for --token-file).");
}
