//! Payload templates: the part of Go's `text/template` that Dkron's notification payloads use.
//!
//! Supported: `{{.Var}}` (spaces inside the braces allowed), `{{if .Var}}…{{else}}…{{end}}`
//! (nestable), comments `{{/* … */}}`, Go's trim markers `{{- ` and ` -}}`, and one Belfry
//! addition, `{{json .Var}}`, which writes the value as a JSON string (quotes included) so a
//! JSON payload stays valid whatever the output holds. The variables are Dkron's: `.Report`,
//! `.JobName`, `.ReportingNode`, `.StartTime`, `.FinishedAt`, `.Success`, `.NodeName`,
//! `.Output`. Anything else is refused when the template is parsed, so a mistake stops the agent
//! at startup instead of producing broken notifications later.
//!
//! `if` follows Go's truth rules, except that `.Success` is a real boolean (Dkron passes the
//! string "true"/"false", which Go always finds true): `{{if .Success}}` picks the branch that
//! matches the execution. Strings are true when not empty; times are always true.

use chrono::{DateTime, Utc};

/// A variable a template may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    Report,
    JobName,
    ReportingNode,
    StartTime,
    FinishedAt,
    Success,
    NodeName,
    Output,
}

impl Var {
    const ALL: [(&'static str, Var); 8] = [
        ("Report", Var::Report),
        ("JobName", Var::JobName),
        ("ReportingNode", Var::ReportingNode),
        ("StartTime", Var::StartTime),
        ("FinishedAt", Var::FinishedAt),
        ("Success", Var::Success),
        ("NodeName", Var::NodeName),
        ("Output", Var::Output),
    ];

    fn parse(text: &str) -> Result<Var, String> {
        let Some(name) = text.strip_prefix('.') else {
            return Err(format!("{text:?} is not a variable (expected .Name)"));
        };
        Var::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let known: Vec<String> = Var::ALL.iter().map(|(n, _)| format!(".{n}")).collect();
                format!("unknown variable {text} (known: {})", known.join(", "))
            })
    }
}

/// The values a template is rendered with.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub report: String,
    pub job_name: String,
    pub reporting_node: String,
    pub start_time: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub success: bool,
    pub node_name: String,
    pub output: String,
}

enum Value<'a> {
    Text(&'a str),
    Owned(String),
    Bool(bool),
}

impl Values {
    fn get(&self, var: Var) -> Value<'_> {
        match var {
            Var::Report => Value::Text(&self.report),
            Var::JobName => Value::Text(&self.job_name),
            Var::ReportingNode => Value::Text(&self.reporting_node),
            Var::StartTime => Value::Owned(go_time(self.start_time)),
            Var::FinishedAt => Value::Owned(go_time(self.finished_at)),
            Var::Success => Value::Bool(self.success),
            Var::NodeName => Value::Text(&self.node_name),
            Var::Output => Value::Text(&self.output),
        }
    }
}

/// A time as Go's `time.Time.String()` prints a UTC time, which is what Dkron's templates
/// show: `2006-01-02 15:04:05.123 +0000 UTC` (fraction without trailing zeros, none if whole).
/// No time (a running execution's end) is Go's zero time.
pub fn go_time(t: Option<DateTime<Utc>>) -> String {
    let t = t.unwrap_or_else(crate::model::zero_time);
    let mut out = t.format("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Var {
        var: Var,
        json: bool,
    },
    If {
        cond: Var,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
}

/// One `{{…}}` action, its inside trimmed, and whether it trims the text around it.
struct Action<'a> {
    body: &'a str,
    trim_before: bool,
    trim_after: bool,
}

enum Token<'a> {
    Text(&'a str),
    Action(Action<'a>),
}

fn tokenize(source: &str) -> Result<Vec<Token<'_>>, String> {
    let mut tokens = Vec::new();
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            tokens.push(Token::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(format!("unclosed action {:?}", truncate(&rest[open..], 30)));
        };
        let mut body = &after[..close];
        let mut trim_before = false;
        let mut trim_after = false;
        // Go's trim markers need a space: `{{- x}}`, `{{x -}}`.
        if let Some(b) = body.strip_prefix("- ") {
            trim_before = true;
            body = b;
        }
        if let Some(b) = body.strip_suffix(" -") {
            trim_after = true;
            body = b;
        }
        tokens.push(Token::Action(Action {
            body: body.trim(),
            trim_before,
            trim_after,
        }));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        tokens.push(Token::Text(rest));
    }
    // Apply the trim markers to the neighbouring text.
    let mut trimmed = Vec::with_capacity(tokens.len());
    for i in 0..tokens.len() {
        match &tokens[i] {
            Token::Text(t) => {
                let mut t: &str = t;
                if i > 0
                    && let Token::Action(a) = &tokens[i - 1]
                    && a.trim_after
                {
                    t = t.trim_start();
                }
                if let Some(Token::Action(a)) = tokens.get(i + 1)
                    && a.trim_before
                {
                    t = t.trim_end();
                }
                trimmed.push(Token::Text(t));
            }
            Token::Action(a) => trimmed.push(Token::Action(Action {
                body: a.body,
                trim_before: a.trim_before,
                trim_after: a.trim_after,
            })),
        }
    }
    Ok(trimmed)
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Where the parser is: the top level or inside an `if`, and which branch.
struct Frame {
    cond: Option<Var>,
    then: Vec<Node>,
    otherwise: Option<Vec<Node>>,
}

impl Frame {
    fn push(&mut self, node: Node) {
        match &mut self.otherwise {
            Some(o) => o.push(node),
            None => self.then.push(node),
        }
    }
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, String> {
        let mut stack = vec![Frame {
            cond: None,
            then: Vec::new(),
            otherwise: None,
        }];
        for token in tokenize(source)? {
            let action = match token {
                Token::Text(t) => {
                    if !t.is_empty() {
                        stack
                            .last_mut()
                            .expect("frame")
                            .push(Node::Text(t.to_string()));
                    }
                    continue;
                }
                Token::Action(a) => a.body,
            };
            if action.starts_with("/*") && action.ends_with("*/") && action.len() >= 4 {
                continue;
            }
            let words: Vec<&str> = action.split_whitespace().collect();
            match words.as_slice() {
                [var] if var.starts_with('.') => stack.last_mut().expect("frame").push(Node::Var {
                    var: Var::parse(var)?,
                    json: false,
                }),
                ["json", var] => stack.last_mut().expect("frame").push(Node::Var {
                    var: Var::parse(var)?,
                    json: true,
                }),
                ["if", var] => stack.push(Frame {
                    cond: Some(Var::parse(var)?),
                    then: Vec::new(),
                    otherwise: None,
                }),
                ["else"] => {
                    let top = stack.last_mut().expect("frame");
                    if top.cond.is_none() {
                        return Err("{{else}} without {{if}}".into());
                    }
                    if top.otherwise.is_some() {
                        return Err("two {{else}} in one {{if}}".into());
                    }
                    top.otherwise = Some(Vec::new());
                }
                ["end"] => {
                    if stack.len() == 1 {
                        return Err("{{end}} without {{if}}".into());
                    }
                    let frame = stack.pop().expect("frame");
                    stack.last_mut().expect("frame").push(Node::If {
                        cond: frame.cond.expect("an if frame"),
                        then: frame.then,
                        otherwise: frame.otherwise.unwrap_or_default(),
                    });
                }
                _ => {
                    return Err(format!(
                        "unsupported action {{{{{action}}}}} (supported: {{{{.Var}}}}, \
                         {{{{json .Var}}}}, {{{{if .Var}}}}, {{{{else}}}}, {{{{end}}}})"
                    ));
                }
            }
        }
        if stack.len() > 1 {
            return Err("{{if}} without {{end}}".into());
        }
        Ok(Template {
            nodes: stack.pop().expect("frame").then,
        })
    }

    /// Whether the template reads `var` (so the caller can skip computing what is unused).
    pub fn uses(&self, var: Var) -> bool {
        fn any(nodes: &[Node], var: Var) -> bool {
            nodes.iter().any(|n| match n {
                Node::Text(_) => false,
                Node::Var { var: v, .. } => *v == var,
                Node::If {
                    cond,
                    then,
                    otherwise,
                } => *cond == var || any(then, var) || any(otherwise, var),
            })
        }
        any(&self.nodes, var)
    }

    pub fn render(&self, values: &Values) -> String {
        let mut out = String::new();
        render_into(&self.nodes, values, &mut out);
        out
    }
}

fn render_into(nodes: &[Node], values: &Values, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Var { var, json } => {
                let text = match values.get(*var) {
                    Value::Text(t) => std::borrow::Cow::Borrowed(t),
                    Value::Owned(s) => std::borrow::Cow::Owned(s),
                    Value::Bool(b) => std::borrow::Cow::Borrowed(if b { "true" } else { "false" }),
                };
                if *json {
                    out.push_str(&serde_json::Value::String(text.into_owned()).to_string());
                } else {
                    out.push_str(&text);
                }
            }
            Node::If {
                cond,
                then,
                otherwise,
            } => {
                let truth = match values.get(*cond) {
                    Value::Text(t) => !t.is_empty(),
                    Value::Owned(_) => true,
                    Value::Bool(b) => b,
                };
                render_into(if truth { then } else { otherwise }, values, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn values() -> Values {
        Values {
            report: "the report".into(),
            job_name: "backup".into(),
            reporting_node: "leader-1".into(),
            start_time: Some(Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap()),
            finished_at: Some(
                Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 8).unwrap()
                    + chrono::Duration::milliseconds(250),
            ),
            success: false,
            node_name: "worker-2".into(),
            output: "line \"one\"\n".into(),
        }
    }

    #[test]
    fn variables_with_and_without_spaces() {
        let t =
            Template::parse("{{.JobName}} on {{ .NodeName }} by {{.ReportingNode}}: {{.Success}}")
                .unwrap();
        assert_eq!(t.render(&values()), "backup on worker-2 by leader-1: false");
        let t = Template::parse("{{.StartTime}} / {{.FinishedAt}}").unwrap();
        assert_eq!(
            t.render(&values()),
            "2026-03-04 05:06:07 +0000 UTC / 2026-03-04 05:06:08.25 +0000 UTC"
        );
        assert_eq!(go_time(None), "0001-01-01 00:00:00 +0000 UTC");
        // Closing braces outside an action are text, as in Go (JSON payloads have them).
        let t = Template::parse(r#"{"a":{"b":{{.Success}}}}"#).unwrap();
        assert_eq!(t.render(&values()), r#"{"a":{"b":false}}"#);
    }

    #[test]
    fn conditionals_trim_comments_and_json() {
        let t = Template::parse(
            "{{if .Success}}ok{{else}}FAILED{{if .Output}} with output{{end}}{{end}}",
        )
        .unwrap();
        assert_eq!(t.render(&values()), "FAILED with output");
        let mut v = values();
        v.success = true;
        assert_eq!(t.render(&v), "ok");
        let t = Template::parse("a  {{- /* note */ -}}  b {{- .JobName}}").unwrap();
        assert_eq!(t.render(&values()), "abbackup");
        let t = Template::parse(r#"{"job":{{json .JobName}},"out":{{json .Output}}}"#).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&t.render(&values())).unwrap();
        assert_eq!(parsed["out"], "line \"one\"\n");
        assert!(t.uses(Var::Output) && !t.uses(Var::Report));
    }

    #[test]
    fn mistakes_are_refused_with_a_reason() {
        for (source, needle) in [
            ("{{.Nope}}", "unknown variable .Nope"),
            ("{{.jobname}}", "unknown variable .jobname"),
            ("{{JobName}}", "unsupported action"),
            ("{{range .Output}}{{end}}", "unsupported action"),
            ("{{if .Success}}x", "without {{end}}"),
            ("{{end}}", "without {{if}}"),
            ("{{else}}", "without {{if}}"),
            ("{{.JobName", "unclosed action"),
            ("{{if .Success}}a{{else}}b{{else}}c{{end}}", "two {{else}}"),
        ] {
            let e = Template::parse(source).unwrap_err();
            assert!(e.contains(needle), "{source}: {e}");
        }
    }
}
