//! Conformance with Dkron's API, in two parts.
//!
//! [`dkrons_api_contract_as_belfry_keeps_it`] needs nothing outside the repository: it states,
//! in this project's own words, what Belfry keeps of Dkron's `/v1` contract (each operation's
//! status code and the fields, with their JSON types, that Dkron's clients and web UI read) and
//! checks a live node against it. docs/api.md and docs/compatibility.md say the same in prose.
//!
//! [`every_operation_of_dkrons_spec_answers_as_the_spec_or_dkrons_code_says`] is an optional,
//! extra check against Dkron's own published OpenAPI spec, which is not part of this
//! repository. It runs when `$BELFRY_DKRON_OPENAPI` names the spec file (`.ci/run` sets it when
//! `../shared/dkron-openapi.yaml` exists); unset, the test prints a one-line notice and passes;
//! set to a missing or unreadable file, it fails. Every operation the spec lists is either run
//! against a live Belfry node — with a valid request, checking that the status is one the spec
//! lists and that a JSON body has every field the spec's schema declares, of the declared type
//! — or listed in [`MISSING`] with the reason Belfry does not serve it. An operation in neither
//! fails the test, and so does a listed one that Belfry has started serving (move it to
//! [`plans`] then). Where Dkron's code answers differently from its spec, Belfry follows the
//! code (Dkron v4.1.2) and the difference is written next to the check that allows it.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

use serde_json::Value;

use crate::support::*;

const SPEC_ENV: &str = "BELFRY_DKRON_OPENAPI";

/// Dkron's spec, when `$BELFRY_DKRON_OPENAPI` names it; `None` (after a notice) when unset.
fn dkron_spec() -> Option<Value> {
    let Some(path) = std::env::var_os(SPEC_ENV).filter(|p| !p.is_empty()) else {
        // Straight to stderr: libtest captures `eprintln!` of passing tests, and a skipped
        // check must not pass silently.
        let _ = writeln!(
            std::io::stderr(),
            "conformance: Dkron's OpenAPI spec check skipped ({SPEC_ENV} is not set; \
             .ci/run sets it when ../shared/dkron-openapi.yaml exists)"
        );
        return None;
    };
    let path = PathBuf::from(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{SPEC_ENV} names {}, which cannot be read ({e}): point it at Dkron's OpenAPI spec, \
             or unset it to skip this check",
            path.display()
        )
    });
    Some(
        serde_yaml_ng::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display())),
    )
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

/// A job as Dkron's docs and tests post it, with processor config as strings: the spec's own example `{"files":{"forward": true}}` would not decode in Dkron.
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
                     its e2e tests assert",
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
                     array, which Belfry follows",
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
/// unset (its NullableTime).
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
    let Some(spec) = dkron_spec() else { return };
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

/// A JSON type, as Dkron's clients read it.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Str,
    Int,
    Bool,
    Map,
    List,
    /// An RFC 3339 date-time string.
    Time,
    /// An RFC 3339 date-time string, or `null` when unset (Dkron's NullableTime).
    TimeOrNull,
}

fn kind_matches(kind: Kind, v: &Value) -> bool {
    let time = |v: &Value| {
        v.as_str()
            .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok())
    };
    match kind {
        Kind::Str => v.is_string(),
        Kind::Int => v.is_i64() || v.is_u64(),
        Kind::Bool => v.is_boolean(),
        Kind::Map => v.is_object(),
        Kind::List => v.is_array(),
        Kind::Time => time(v),
        Kind::TimeOrNull => v.is_null() || time(v),
    }
}

/// A job as Dkron sends it (`dkron/job.go`): every field, always present.
const JOB_FIELDS: &[(&str, Kind)] = &[
    ("id", Kind::Str),
    ("name", Kind::Str),
    ("displayname", Kind::Str),
    ("schedule", Kind::Str),
    ("timezone", Kind::Str),
    ("owner", Kind::Str),
    ("owner_email", Kind::Str),
    ("success_count", Kind::Int),
    ("error_count", Kind::Int),
    ("last_success", Kind::TimeOrNull),
    ("last_error", Kind::TimeOrNull),
    ("disabled", Kind::Bool),
    ("tags", Kind::Map),
    ("metadata", Kind::Map),
    ("retries", Kind::Int),
    ("dependent_jobs", Kind::List),
    ("parent_job", Kind::Str),
    ("processors", Kind::Map),
    ("concurrency", Kind::Str),
    ("executor", Kind::Str),
    ("executor_config", Kind::Map),
    ("status", Kind::Str),
    ("next", Kind::Time),
    ("ephemeral", Kind::Bool),
    ("starts_at", Kind::TimeOrNull),
    ("expires_at", Kind::TimeOrNull),
];

/// An execution as Dkron sends it (`dkron/execution.go`).
const EXECUTION_FIELDS: &[(&str, Kind)] = &[
    ("id", Kind::Str),
    ("job_name", Kind::Str),
    ("started_at", Kind::Time),
    ("finished_at", Kind::Time),
    ("success", Kind::Bool),
    ("output", Kind::Str),
    ("node_name", Kind::Str),
    ("group", Kind::Int),
    ("attempt", Kind::Int),
];

/// A member as Dkron prints serf's Member.
const MEMBER_FIELDS: &[(&str, Kind)] = &[
    ("Name", Kind::Str),
    ("Addr", Kind::Str),
    ("Port", Kind::Int),
    ("Tags", Kind::Map),
    ("Status", Kind::Int),
    ("ProtocolMin", Kind::Int),
    ("ProtocolMax", Kind::Int),
    ("ProtocolCur", Kind::Int),
    ("DelegateMin", Kind::Int),
    ("DelegateMax", Kind::Int),
    ("DelegateCur", Kind::Int),
];

/// What a body must look like.
enum Shape {
    Any,
    Object(&'static [(&'static str, Kind)]),
    ListOf(&'static [(&'static str, Kind)]),
    /// A JSON string (Dkron answers some operations with a bare message).
    Text,
    /// An object with these keys (values not checked).
    Keys(&'static [&'static str]),
}

fn check_fields(fields: &[(&str, Kind)], value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(map) = value.as_object() else {
        errors.push(format!("{at}: not an object: {value}"));
        return;
    };
    for (field, kind) in fields {
        match map.get(*field) {
            Some(v) if kind_matches(*kind, v) => {}
            Some(v) => errors.push(format!("{at}.{field}: expected {kind:?}, got {v}")),
            None => errors.push(format!("{at}: field {field} missing")),
        }
    }
}

/// Dkron's `/v1` contract as Belfry keeps it (docs/api.md, docs/compatibility.md): for each
/// operation, in order, the status Dkron's code answers and the shape its clients read. Needs
/// nothing outside the repository.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dkrons_api_contract_as_belfry_keeps_it() {
    let node = Node::start(&[]).await;
    let job = format!("/v1/jobs/{JOB}");
    let steps: Vec<(&str, String, Option<String>, u16, Shape)> = vec![
        (
            "POST",
            "/v1/jobs".into(),
            Some(job_body("Contract")),
            201,
            Shape::Object(JOB_FIELDS),
        ),
        (
            "PATCH",
            "/v1/jobs".into(),
            Some(job_body("Contract, patched")),
            201,
            Shape::Object(JOB_FIELDS),
        ),
        (
            "GET",
            "/v1/jobs".into(),
            None,
            200,
            Shape::ListOf(JOB_FIELDS),
        ),
        ("GET", job.clone(), None, 200, Shape::Object(JOB_FIELDS)),
        // Dkron's run handler sets 202 but renders 200, which its own tests assert.
        ("POST", job.clone(), None, 200, Shape::Object(JOB_FIELDS)),
        (
            "GET",
            format!("{job}/executions"),
            None,
            200,
            Shape::ListOf(EXECUTION_FIELDS),
        ),
        (
            "POST",
            format!("{job}/toggle"),
            None,
            200,
            Shape::Object(JOB_FIELDS),
        ),
        ("GET", "/v1/busy".into(), None, 200, Shape::Any),
        (
            "GET",
            "/v1/".into(),
            None,
            200,
            Shape::Keys(&["agent", "serf", "tags"]),
        ),
        (
            "GET",
            "/v1/members".into(),
            None,
            200,
            Shape::ListOf(MEMBER_FIELDS),
        ),
        (
            "GET",
            "/v1/leader".into(),
            None,
            200,
            Shape::Object(MEMBER_FIELDS),
        ),
        ("GET", "/v1/isleader".into(), None, 200, Shape::Text),
        ("DELETE", format!("{job}/executions"), None, 200, Shape::Any),
        ("DELETE", job.clone(), None, 200, Shape::Object(JOB_FIELDS)),
        ("GET", job.clone(), None, 404, Shape::Any),
        ("GET", "/v1/pause".into(), None, 200, Shape::Any),
        ("POST", "/v1/pause".into(), None, 200, Shape::Any),
        ("POST", "/v1/unpause".into(), None, 200, Shape::Any),
        ("GET", "/v1/stats".into(), None, 200, Shape::Any),
    ];
    let mut failures = Vec::new();
    for (method, path, body, status, shape) in steps {
        let r = http(method, &node.url(&path), body.as_deref()).await;
        if r.status != status {
            failures.push(format!(
                "{method} {path}: status {} not {status}: {}",
                r.status, r.body
            ));
            continue;
        }
        let mut errors = Vec::new();
        match shape {
            Shape::Any => {}
            Shape::Object(fields) => check_fields(fields, &r.json(), "$", &mut errors),
            Shape::ListOf(fields) => match r.json() {
                Value::Array(items) if !items.is_empty() => {
                    for (i, item) in items.iter().enumerate() {
                        check_fields(fields, item, &format!("$[{i}]"), &mut errors);
                    }
                }
                other => errors.push(format!("$: expected a non-empty list, got {other}")),
            },
            Shape::Text => {
                if !r.json().is_string() {
                    errors.push(format!("$: expected a JSON string, got {}", r.body));
                }
            }
            Shape::Keys(keys) => {
                let v = r.json();
                for k in keys {
                    if v.get(k).is_none() {
                        errors.push(format!("$: field {k} missing"));
                    }
                }
            }
        }
        failures.extend(errors.into_iter().map(|e| format!("{method} {path}: {e}")));
    }
    // Restore takes the job list as the multipart field `file`; Dkron answers a JSON string
    // that holds the restored jobs.
    let restored = multipart(
        &node.url("/v1/restore"),
        "file",
        &format!("[{}]", job_body("Restored")),
    )
    .await;
    if restored.status != 200 || !restored.json().is_string() {
        failures.push(format!(
            "POST /v1/restore: {} {}",
            restored.status, restored.body
        ));
    }
    assert!(
        failures.is_empty(),
        "Belfry differs from Dkron's contract:\n{}",
        failures.join("\n")
    );
}
