//! Belfry's OpenAPI document: `docs/openapi.yaml`, compiled into the binary and served as JSON
//! at `GET /v1/openapi.json`.
//!
//! YAML is the source because people edit and review it; clients get JSON, converted once on
//! first request. The tests below keep the document true: it documents exactly the routes of
//! [`crate::api::ROUTES`] (from which the router is built), every reference resolves, and each
//! response schema lists exactly the fields the server serialises.

use std::sync::OnceLock;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// The document as written.
pub const SOURCE: &str = include_str!("../../docs/openapi.yaml");

/// The document, with `info.version` set to this binary's version.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        // Checked by the tests: the text is fixed at build time.
        let mut doc: Value =
            serde_yaml_ng::from_str(SOURCE).expect("docs/openapi.yaml is valid YAML");
        doc["info"]["version"] = Value::from(env!("CARGO_PKG_VERSION"));
        doc
    })
}

/// `GET /v1/openapi.json`.
pub async fn serve() -> Response {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    let body = BODY.get_or_init(|| serde_json::to_vec(document()).expect("JSON serialises"));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.clone(),
    )
        .into_response()
}

#[cfg(test)]
/// Every (METHOD, path) the document describes.
pub fn operations(doc: &Value) -> Vec<(String, String)> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut out = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in METHODS {
                if item.get(method).is_some() {
                    out.push((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use chrono::Utc;

    use super::*;
    use crate::model::*;

    #[test]
    fn the_document_parses_as_openapi_3_0() {
        let doc = document();
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.0.")),
            "{}",
            doc["openapi"]
        );
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn every_route_has_a_handler_and_is_listed_once() {
        // Building the routes runs `api::endpoint` for every entry: one without a handler
        // panics here; axum panics on a method registered twice for a path.
        let _ = crate::api::routes();
        let mut seen = BTreeSet::new();
        for r in crate::api::ROUTES {
            assert!(seen.insert(r), "{r:?} is listed twice in api::ROUTES");
        }
    }

    #[test]
    fn the_document_describes_exactly_the_routes_served() {
        let documented: BTreeSet<(String, String)> = operations(document()).into_iter().collect();
        let served: BTreeSet<(String, String)> = crate::api::ROUTES
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let phantom: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty(),
            "routes served but not in docs/openapi.yaml: {undocumented:?}"
        );
        assert!(
            phantom.is_empty(),
            "operations in docs/openapi.yaml that no route serves: {phantom:?}"
        );
    }

    fn visit<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => visit(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| visit(v, out)),
            _ => {}
        }
    }

    fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
        let pointer = reference.strip_prefix('#')?;
        doc.pointer(pointer)
    }

    #[test]
    fn references_resolve_and_operations_are_complete() {
        let doc = document();
        let mut refs = Vec::new();
        visit(doc, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            assert!(resolve(doc, r).is_some(), "unresolved $ref {r}");
        }
        let mut ids = BTreeSet::new();
        for (method, path) in operations(doc) {
            let op = &doc["paths"][&path][method.to_lowercase()];
            let id = op["operationId"].as_str().unwrap_or_else(|| {
                panic!("{method} {path} has no operationId");
            });
            assert!(ids.insert(id.to_string()), "operationId {id} used twice");
            let responses = op["responses"].as_object();
            assert!(
                responses.is_some_and(|r| !r.is_empty()),
                "{method} {path} lists no responses"
            );
            // Path parameters are declared for every `{…}` in the path.
            let mut declared = BTreeSet::new();
            for params in [&doc["paths"][&path]["parameters"], &op["parameters"]] {
                for p in params.as_array().into_iter().flatten() {
                    let p = match p.get("$ref").and_then(Value::as_str) {
                        Some(r) => resolve(doc, r).unwrap(),
                        None => p,
                    };
                    if p["in"] == "path" {
                        declared.insert(p["name"].as_str().unwrap().to_string());
                    }
                }
            }
            let in_path: BTreeSet<String> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .map(str::to_string)
                .collect();
            assert_eq!(declared, in_path, "{method} {path}: path parameters");
        }
    }

    /// The field names a value serialises to.
    fn fields<T: serde::Serialize>(value: &T) -> BTreeSet<String> {
        match serde_json::to_value(value).unwrap() {
            Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("not an object: {other}"),
        }
    }

    fn documented(schema: &str) -> BTreeSet<String> {
        document()["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("schema {schema} has no properties"))
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn schemas_list_exactly_the_fields_served() {
        // Values with every optional field present, so a field skipped when empty still counts.
        let member = Member {
            name: "a".into(),
            addr: "127.0.0.1".into(),
            port: 8946,
            tags: BTreeMap::new(),
            status: 1,
            protocol_min: 1,
            protocol_max: 1,
            protocol_cur: 1,
            delegate_min: 1,
            delegate_max: 1,
            delegate_cur: 1,
            id: Some("a".into()),
            status_text: Some("alive".into()),
        };
        let peer = RaftPeer {
            node: "a".into(),
            id: "1".into(),
            address: "x".into(),
            state: "leader".into(),
            voter: true,
            match_index: None,
            lag: None,
        };
        let server = ServerHealth {
            node: "a".into(),
            id: "1".into(),
            leader: true,
            voter: true,
            alive: true,
            last_contact_ms: None,
            log_lag: None,
            stable_since: Some(Utc::now()),
            healthy: true,
            clock_offset_ms: Some(0),
        };
        let token = crate::state::acl::TokenInfo {
            accessor: "a".into(),
            description: "d".into(),
            role: crate::state::acl::Role::JobWriter,
            scope: Default::default(),
            created_at: Utc::now(),
        };
        let cases: Vec<(&str, BTreeSet<String>)> = vec![
            ("Job", fields(&Job::default())),
            (
                "Execution",
                fields(&Execution {
                    reason: Some(crate::model::NOT_RUN_NO_MATCHING_NODE.into()),
                    ..Execution::default()
                }),
            ),
            ("Member", fields(&member)),
            (
                "NodeStatus",
                fields(&NodeStatus {
                    agent: AgentInfo {
                        name: "a".into(),
                        version: "1".into(),
                    },
                    serf: BTreeMap::new(),
                    tags: BTreeMap::new(),
                }),
            ),
            (
                "Health",
                fields(&Health {
                    status: "healthy".into(),
                    leader: Some(true),
                    issues: vec!["x".into()],
                }),
            ),
            ("RaftPeer", fields(&peer)),
            (
                "RaftPeers",
                fields(&RaftPeers {
                    term: 1,
                    commit_index: None,
                    last_log_index: None,
                    servers: vec![],
                }),
            ),
            ("ServerHealth", fields(&server)),
            (
                "ClusterHealth",
                fields(&ClusterHealth {
                    healthy: true,
                    leader: None,
                    voters: 1,
                    healthy_voters: 1,
                    quorum: 1,
                    failure_tolerance: 0,
                    elections_last_hour: 0,
                    servers: vec![],
                    warnings: vec![],
                    term: None,
                    leader_since: None,
                    max_clock_offset_ms: Some(500),
                    launch_backlog: [("a".to_string(), 1)].into(),
                }),
            ),
            (
                "OperatorReply",
                fields(&crate::api::OperatorReply {
                    message: String::new(),
                }),
            ),
            ("Token", fields(&token)),
            (
                "NewToken",
                fields(&crate::state::acl::NewToken {
                    info: token.clone(),
                    secret: "s".into(),
                }),
            ),
            (
                "Role",
                fields(&crate::state::acl::RoleInfo {
                    name: String::new(),
                    description: String::new(),
                    permissions: vec![],
                }),
            ),
            (
                "Refusal",
                fields(&crate::state::acl::Refusal {
                    error: String::new(),
                    permission: String::new(),
                }),
            ),
        ];
        for (schema, served) in cases {
            assert_eq!(
                documented(schema),
                served,
                "docs/openapi.yaml schema {schema} differs from what the server sends"
            );
        }
    }
}
