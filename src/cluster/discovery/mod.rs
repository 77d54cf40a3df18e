//! Finding the cluster without a list of addresses: go-discover style `provider=…` join values
//! that are looked up afresh at every join attempt. `provider=dns` is a plain name lookup (see
//! [`join_target`]); `provider=mdns` asks the LAN over multicast DNS
//! ([`mdns::discover`]), and a node configured with it also advertises itself under the same
//! service ([`advertise_for`]) so the others find it in turn.

pub mod mdns;
pub mod wire;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use crate::config::{AgentConfig, DEFAULT_GOSSIP_PORT};
use mdns::MdnsQuery;

/// Starts answering mDNS queries for every `provider=mdns` service in `--join` and
/// `--retry-join`; `Ok(None)` if there is none. The advertiser stops when dropped. An error
/// names the setting and says why port 5353 could not be used.
pub fn advertise_for(config: &AgentConfig) -> Result<Option<mdns::Advertiser>, String> {
    let mut services = Vec::new();
    let mut setting = "";
    for (key, list) in [("join", &config.join), ("retry-join", &config.retry_join)] {
        for entry in list {
            if let Ok(JoinTarget::Mdns(query)) = join_target(entry) {
                let service = (query.service, query.domain);
                if !services.contains(&service) {
                    services.push(service);
                }
                if setting.is_empty() {
                    setting = key;
                }
            }
        }
    }
    if services.is_empty() {
        return Ok(None);
    }
    let ad = mdns::Advertisement {
        node_name: config.node_name.clone(),
        role: if config.server { "server" } else { "agent" }.into(),
        gossip: config.advertise,
        bind_ip: config.bind.ip(),
        services,
    };
    let advertiser = mdns::Advertiser::start(&ad).map_err(|e| {
        format!(
            "{setting}: provider=mdns: cannot answer mDNS queries on port {}: {e}",
            mdns::MDNS_PORT
        )
    })?;
    tracing::info!(
        gossip = %ad.gossip,
        services = ?ad.services.iter().map(|(s, d)| format!("{s}.{d}")).collect::<Vec<_>>(),
        "mDNS: advertising this node"
    );
    Ok(Some(advertiser))
}

/// What one `--join`/`--retry-join` value asks to join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinTarget {
    /// `host:port` to resolve.
    Address(String),
    /// Nodes that answer this multicast DNS query.
    Mdns(MdnsQuery),
}

/// Reads one `--join`/`--retry-join` value: an IP, `IP:port`, `host`, `host:port`, or a
/// go-discover string `provider=dns name=HOST [port=PORT]` or `provider=mdns service=NAME
/// [domain=local] [timeout=1s] [v4=true] [v6=false]`. Both kinds are looked up again at every
/// attempt, so DNS changes and nodes that appear later are followed.
pub fn join_target(text: &str) -> Result<JoinTarget, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty address".into());
    }
    if text.contains('=') {
        let mut fields = BTreeMap::new();
        for part in text.split_whitespace() {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} in {text:?} is not key=value"))?;
            fields.insert(k, v);
        }
        return match fields.get("provider").copied() {
            Some("dns") => {
                let name = fields
                    .get("name")
                    .ok_or_else(|| format!("{text:?}: provider=dns needs name=HOST"))?;
                let port = match fields.get("port") {
                    Some(p) => p
                        .parse::<u16>()
                        .map_err(|_| format!("{text:?}: port={p} is not a port"))?,
                    None => DEFAULT_GOSSIP_PORT,
                };
                Ok(JoinTarget::Address(format!("{name}:{port}")))
            }
            Some("mdns") => MdnsQuery::from_fields(&fields)
                .map(JoinTarget::Mdns)
                .map_err(|e| format!("{text:?}: {e}")),
            Some(other) => Err(format!(
                "provider={other} is not supported by this build (supported: dns, mdns)"
            )),
            None => Err(format!("{text:?} has no provider=")),
        };
    }
    if let Ok(ip) = text.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(JoinTarget::Address(
            SocketAddr::new(ip, DEFAULT_GOSSIP_PORT).to_string(),
        ));
    }
    if text.parse::<SocketAddr>().is_ok()
        || text
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && !h.contains(':') && p.parse::<u16>().is_ok())
    {
        return Ok(JoinTarget::Address(text.to_string()));
    }
    Ok(JoinTarget::Address(format!("{text}:{DEFAULT_GOSSIP_PORT}")))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::{ConfigError, ConfigLayer};

    /// A layer resolved and checked as the agent does before it starts.
    fn checked(layer: ConfigLayer) -> Result<(), ConfigError> {
        crate::agent::check_config(&crate::config::resolve(layer)?).map(drop)
    }

    #[test]
    fn join_targets() {
        let address = |text: &str| match join_target(text).unwrap() {
            JoinTarget::Address(a) => a,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(address("10.0.0.1"), "10.0.0.1:8946");
        assert_eq!(address("10.0.0.1:7000"), "10.0.0.1:7000");
        assert_eq!(address("seed.example"), "seed.example:8946");
        assert_eq!(address("seed.example:9000"), "seed.example:9000");
        assert_eq!(address("::1"), "[::1]:8946");
        assert_eq!(
            address("provider=dns name=belfry.service.consul port=7946"),
            "belfry.service.consul:7946"
        );
        assert_eq!(address("provider=dns name=seeds"), "seeds:8946");
        let e = join_target("provider=aws tag_key=a tag_value=b").unwrap_err();
        assert_eq!(
            e,
            "provider=aws is not supported by this build (supported: dns, mdns)"
        );
        assert!(
            join_target("provider=dns")
                .unwrap_err()
                .contains("name=HOST")
        );
        assert!(
            join_target("provider=dns name=x port=http")
                .unwrap_err()
                .contains("not a port")
        );
        let e = checked(ConfigLayer {
            retry_join: Some(vec!["provider=k8s label_selector=x".into()]),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("retry-join: provider=k8s"), "{e}");
    }

    #[test]
    fn mdns_join_targets() {
        let JoinTarget::Mdns(q) = join_target("provider=mdns service=belfry").unwrap() else {
            panic!("not mdns");
        };
        assert_eq!(
            (q.service.as_str(), q.domain.as_str(), q.timeout, q.v4, q.v6),
            ("_belfry._tcp", "local", Duration::from_secs(1), true, false)
        );
        let JoinTarget::Mdns(q) =
            join_target("provider=mdns service=_consul._tcp timeout=3s v6=true").unwrap()
        else {
            panic!("not mdns");
        };
        assert_eq!(
            (q.service.as_str(), q.timeout, q.v6),
            ("_consul._tcp", Duration::from_secs(3), true)
        );
        // Errors quote the value and name the field, and resolve names the flag.
        for (value, needle) in [
            ("provider=mdns", "provider=mdns needs service=NAME"),
            ("provider=mdns service=x timeout=1y", "timeout=1y"),
            ("provider=mdns service=x timeout=1m", "timeout=1m must be"),
        ] {
            let e = checked(ConfigLayer {
                join: Some(vec![value.into()]),
                ..Default::default()
            })
            .unwrap_err()
            .to_string();
            assert!(e.starts_with(&format!("join: {value:?}: ")), "{e}");
            assert!(e.contains(needle), "{e}");
        }
    }
}
