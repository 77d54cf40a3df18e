//! Conformance with Dkron's published OpenAPI spec (`../shared/dkron-openapi.yaml`, next to the
//! project root): every operation it lists is either run against a live Belfry node — with a
//! valid request, checking that the status is one the spec lists and that a JSON body has
//! every field the spec's schema declares, of the declared type — or listed in [`MISSING`] with
//! the reason Belfry does not serve it. An operation in neither fails the test, and so does a
//! listed one that Belfry has started serving (move it to [`plans`] then).
//!
//! Where Dkron's code answers differently from its spec, Belfry follows the code (Dkron v4.1.2,
//! per dkron-reference.md §2.4) and the difference is written next to the check that allows it.
//!
//! The spec is read at run time from `$BELFRY_DKRON_OPENAPI` if set, else from
//! `<project root>/../shared/dkron-openapi.yaml`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::support::*;

const SPEC_ENV: &str = "BELFRY_DKRON_OPENAPI";

fn dkron_spec() -> Value {
    // CARGO_MANIFEST_DIR is commands/ (the test binary's package): two levels up is the
    // directory that holds the project and `shared/`.
    let path = std::env::var_os(SPEC_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/dkron-openapi.yaml"
            ))
        });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "Dkron's OpenAPI spec is needed at {} ({e}): it lives in shared/ next to the project \
             root; set {SPEC_ENV} to its path if it is elsewhere",
            path.display()
        )
    });
    serde_yaml_ng::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

/// Operations of Dkron's spec that Belfry does not serve, and why.
const MISSING: &[(&str, &str, &str)] = &[
    ("GET", "/acl/policies/{name}", "ACLs are Dkron Pro only"),
    ("POST", "/acl/policies/{name}", "ACLs are Dkron Pro only"),
    ("DELETE", "/acl/policies/{name}", "ACLs are Dkron Pro only"),
];

/// How one operation is run.
struct Plan {
    /// Operations run in step order: the job exists before it is read, leave comes last.
    step: u32,
    body: Option<String>,
    /// Statuses Dkron's code answers where its spec says otherwise (replacing the spec's).
    code_statuses: Option<(&'static [u16], &'static str)>,
    /// Don't check the body against the spec's schema, and why.
    skip_schema: Option<&'static str>,
    /// Parts of the body (paths as `$.a.b`, prefixes) whose values the spec's schema gets
    /// wrong compared with Dkron's code, and why.
    relaxed: &'static [(&'static str, &'static str)],
    /// Send `body` as the multipart field `file` instead of JSON.
    multipart: bool,
}

const JOB: &str = "conformance";

/// A job as Dkron's docs and tests post it (dkron-reference.md §3.1), with processor config as
/// strings: the spec's own example `{"files":{"forward": true}}` would not decode in Dkron.
fn job_body(displayname: &str) -> String {
    serde_json::json!({
        "name": JOB, "displayname": displayname, "schedule": "@every 1h",
        "timezone": "Europe/Berlin", "owner": "Platform Team",
        "owner_email": "platform@example.com", "disabled": false,
        "tags": {"server": "true:1"}, "metadata": {"user": "12345"},
        "concurrency": "allow", "retries": 2, "executor": "shell",
        "executor_config": {"command": "echo hi", "shell": "true"},
        "processors": {"log": {"forward": "true"}}
    })
    .to_string()
}

fn plans() -> BTreeMap<(String, String), Plan> {
    let run = |step| Plan {
        step,
        body: None,
        code_statuses: None,
        skip_schema: None,
        relaxed: &[],
        multipart: false,
    };
    [
        (
            ("POST", "/jobs"),
            Plan {
                body: Some(job_body("Conformance")),
                ..run(1)
            },
        ),
        (
            ("PATCH", "/jobs"),
            Plan {
                body: Some(job_body("Conformance, patched")),
                ..run(2)
            },
        ),
        (("GET", "/jobs"), run(3)),
        (("GET", "/jobs/{job_name}"), run(4)),
        (
            ("POST", "/jobs/{job_name}"),
            Plan {
                code_statuses: Some((
                    &[200],
                    "the spec says 202; Dkron's handler sets 202 but renders with 200, which \
                     its e2e tests assert (dkron-reference.md §2.3)",
                )),
                ..run(5)
            },
        ),
        (("GET", "/jobs/{job_name}/executions"), run(6)),
        (("GET", "/jobs/{job_name}/executions/{execution}"), run(7)),
        (("POST", "/jobs/{job_name}/toggle"), run(8)),
        (("GET", "/busy"), run(9)),
        (
            ("GET", "/"),
            Plan {
                relaxed: &[
                    (
                        "$.agent.",
                        "the spec types agent's values as objects; Dkron's code sends name \
                         and version as strings",
                    ),
                    (
                        "$.serf.",
                        "the spec types serf's values as objects; Dkron's code sends serf's \
                         stats as strings",
                    ),
                ],
                ..run(10)
            },
        ),
        (("GET", "/members"), run(11)),
        (("GET", "/leader"), run(12)),
        (("GET", "/isleader"), run(13)),
        (("DELETE", "/jobs/{job_name}/executions"), run(13)),
        (("DELETE", "/jobs/{job_name}"), run(14)),
        (("GET", "/pause"), run(20)),
        (("POST", "/pause"), run(21)),
        (("POST", "/unpause"), run(22)),
        (("GET", "/stats"), run(23)),
        (
            ("POST", "/restore"),
            Plan {
                body: Some(format!("[{}]", job_body("Restored"))),
                multipart: true,
                skip_schema: Some(
                    "the spec says an array; Dkron's code answers a JSON string holding the \
                     array (dkron-reference.md §2.4), which Belfry follows",
                ),
                ..run(24)
            },
        ),
        (
            ("POST", "/leave"),
            Plan {
                skip_schema: Some(
                    "the spec says an array of members; Dkron's code answers a map of region \
                     to servers and Belfry a message (docs/openapi.yaml): clients cannot rely \
                     on this body",
                ),
                ..run(99)
            },
        ),
    ]
    .into_iter()
    .map(|((m, p), plan)| ((m.to_string(), p.to_string()), plan))
    .collect()
}

/// Fields the spec types as plain date-time strings but Dkron's code sends as `null` when
/// unset (its NullableTime, dkron-reference.md §3.1).
const NULLABLE_IN_DKRON: &[&str] = &["last_success", "last_error", "starts_at", "expires_at"];

fn deref<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let target = spec
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("Dkron's spec: unresolved $ref {r}"));
            deref(spec, target)
        }
        None => schema,
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("Dkron's spec: unknown type {other}"),
    }
}

/// Checks `value` against the spec's `schema`: type, date-time format, required fields, and
/// every declared property present (Dkron's code always sends them all; its UI reads them).
fn check(
    spec: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    relaxed: &[(&str, &str)],
    errors: &mut Vec<String>,
) {
    if relaxed.iter().any(|(prefix, _)| at.starts_with(prefix)) {
        return;
    }
    let schema = deref(spec, schema);
    let field = at.rsplit('.').next().unwrap_or("");
    if value.is_null() && NULLABLE_IN_DKRON.contains(&field) {
        return;
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
        errors.push(format!("{at}: expected {types:?}, got {value}"));
        return;
    }
    if schema["format"] == "date-time"
        && let Some(text) = value.as_str()
        && chrono::DateTime::parse_from_rfc3339(text).is_err()
    {
        errors.push(format!("{at}: {text:?} is not an RFC 3339 date-time"));
    }
    match value {
        Value::Object(map) => {
            for r in schema["required"].as_array().into_iter().flatten() {
                let r = r.as_str().unwrap();
                if !map.contains_key(r) {
                    errors.push(format!("{at}: required field {r} missing"));
                }
            }
            let props = schema["properties"].as_object();
            for (k, s) in props.into_iter().flatten() {
                match map.get(k) {
                    Some(v) => check(spec, s, v, &format!("{at}.{k}"), relaxed, errors),
                    None => errors.push(format!("{at}: field {k} missing")),
                }
            }
            if let Some(extra) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                for (k, v) in map {
                    if props.is_none_or(|p| !p.contains_key(k)) {
                        check(spec, extra, v, &format!("{at}.{k}"), relaxed, errors);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    check(spec, item, v, &format!("{at}[{i}]"), relaxed, errors);
                }
            }
        }
        _ => {}
    }
}

/// Whether a response means "Belfry has no such operation": no route (gin's body) or not
/// this method.
fn not_served(r: &Raw) -> bool {
    r.status == 405 || (r.status == 404 && r.body == "404 page not found")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_of_dkrons_spec_answers_as_the_spec_or_dkrons_code_says() {
    let spec = dkron_spec();
    // The spec's paths are relative to its server URL (`http://localhost:8080/v1`).
    let base = spec["servers"][0]["url"]
        .as_str()
        .and_then(|u| u.split_once("//"))
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
        .expect("Dkron's spec names a server URL with a path");
    let mut plans = plans();
    let mut runs = Vec::new();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("Dkron's spec has paths") {
        for method in [
            "get", "put", "post", "delete", "patch", "options", "head", "trace",
        ] {
            let Some(op) = item.get(method) else { continue };
            let key = (method.to_uppercase(), path.clone());
            match plans.remove(&key) {
                Some(plan) => runs.push((key, op.clone(), plan)),
                None => {
                    let reason = MISSING
                        .iter()
                        .find(|(m, p, _)| *m == key.0 && *p == key.1)
                        .map(|(_, _, why)| *why)
                        .unwrap_or_else(|| {
                            panic!(
                                "Dkron's spec has {} {} ({}), which this test neither runs \
                                 (plans) nor lists as missing (MISSING)",
                                key.0, key.1, op["operationId"]
                            )
                        });
                    missing.push((key, reason));
                }
            }
        }
    }
    assert!(
        plans.is_empty(),
        "plans for operations Dkron's spec does not have: {:?}",
        plans.keys().collect::<Vec<_>>()
    );
    runs.sort_by_key(|(_, _, plan)| plan.step);

    let node = Node::start(&[]).await;
    let url = |path: &str| node.url(&format!("{base}{path}"));

    for ((method, path), reason) in &missing {
        let concrete = path.replace("{job_name}", JOB).replace("{name}", "policy");
        let body = (method != "GET" && method != "DELETE").then_some("{}");
        let r = http(method, &url(&concrete), body).await;
        assert!(
            not_served(&r),
            "Belfry now serves {method} {path} ({} {}), listed as missing ({reason}): \
             move it from MISSING to plans so its conformance is checked",
            r.status,
            r.body
        );
    }

    let mut vars: BTreeMap<&str, String> = BTreeMap::from([("job_name", JOB.to_string())]);
    let mut failures = Vec::new();
    for ((method, path), op, plan) in &runs {
        let mut concrete = path.clone();
        for (k, v) in &vars {
            concrete = concrete.replace(&format!("{{{k}}}"), v);
        }
        assert!(
            !concrete.contains('{'),
            "{method} {path}: unfilled {concrete}"
        );
        let r = match (&plan.body, plan.multipart) {
            (Some(body), true) => multipart(&url(&concrete), "file", body).await,
            (body, _) => http(method, &url(&concrete), body.as_deref()).await,
        };
        let spec_statuses: Vec<u16> = op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .filter_map(|k| k.parse().ok())
            .collect();
        let allowed = match plan.code_statuses {
            Some((code, _why)) => code.to_vec(),
            None => spec_statuses.clone(),
        };
        if !allowed.contains(&r.status) {
            failures.push(format!(
                "{method} {path}: status {} not in {allowed:?}: {}",
                r.status, r.body
            ));
            continue;
        }
        // The spec's response for this status (the spec's success response where the code's
        // status replaces it).
        let response = op["responses"]
            .get(r.status.to_string())
            .or_else(|| {
                plan.code_statuses
                    .and_then(|_| spec_statuses.first())
                    .and_then(|s| op["responses"].get(s.to_string()))
            })
            .cloned()
            .unwrap_or(Value::Null);
        let response = deref(&spec, &response);
        if let Some(schema) = response.pointer("/content/application~1json/schema")
            && plan.skip_schema.is_none()
        {
            let content_type = r.headers["content-type"].to_str().unwrap_or("");
            if !content_type.starts_with("application/json") {
                failures.push(format!("{method} {path}: content type {content_type}"));
                continue;
            }
            let body = r.json();
            let mut errors = Vec::new();
            check(&spec, schema, &body, "$", plan.relaxed, &mut errors);
            for e in errors {
                failures.push(format!("{method} {path}: {e}"));
            }
        }
        if (method.as_str(), path.as_str()) == ("GET", "/jobs/{job_name}/executions") {
            let id = r.json()[0]["id"]
                .as_str()
                .expect("the run left an execution")
                .to_string();
            vars.insert("execution", id);
        }
    }
    assert!(
        failures.is_empty(),
        "Belfry differs from Dkron's spec:\n{}",
        failures.join("\n")
    );
}
