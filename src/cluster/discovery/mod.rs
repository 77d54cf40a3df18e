//! Finding the cluster without a list of addresses: go-discover style `provider=…` join values
//! that are looked up afresh at every join attempt. `provider=dns` is a plain name lookup (see
//! [`crate::config::join_target`]); `provider=mdns` asks the LAN over multicast DNS
//! ([`mdns::discover`]), and a node configured with it also advertises itself under the same
//! service ([`advertise_for`]) so the others find it in turn.

pub mod mdns;
pub mod wire;

use crate::config::{AgentConfig, JoinTarget, join_target};

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
