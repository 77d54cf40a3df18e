//! Notifications, sent by the leader as Dkron sends them: a webhook when an execution starts
//! (`--pre-webhook-*`), and when it has finished for good (`--webhook-*`) a webhook and a mail
//! to the job's `owner_email` (`--mail-*`). A failed execution that will be retried notifies
//! nothing; only its last attempt does.
//!
//! The [`Notifier`] runs on the leader only, next to the dispatcher. It reads the state
//! machine's execution events (committed starts and finishes), renders the payload
//! [`template`]s, and hands each notification to a small pool of senders through a bounded
//! queue: a slow or dead endpoint never holds up scheduling, and when the queue is full the
//! notification is dropped with a warning. Every failure is logged with its endpoint. A
//! notification is sent at most once: one lost with a leader change is not sent again.

pub mod smtp;
pub mod template;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::consensus::StateMachine;
use crate::model::{Execution, Job};
use crate::state::{ExecutionEvent, ExecutionEventKind};
use template::{Template, Values, Var};

/// How long one webhook request may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Notifications waiting to be sent, at most; beyond, new ones are dropped with a warning.
const QUEUE: usize = 256;
/// Notifications being sent at once, at most.
const SENDERS: usize = 8;

pub use crate::config::{
    DEFAULT_MAIL_PAYLOAD, DEFAULT_MAIL_SUBJECT_PREFIX, DEFAULT_WEBHOOK_PAYLOAD, NotifyLayer,
};

/// A webhook: where to POST, what and with which headers. Its `Debug` shows header names
/// only (values such as `Authorization` are secrets).
#[derive(Clone, PartialEq)]
pub struct Webhook {
    pub endpoint: reqwest::Url,
    pub payload: Template,
    /// Header names and values; a `Host` header sets the request's host.
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Webhook")
            .field("endpoint", &self.endpoint.as_str())
            .field("payload", &self.payload)
            .field("header_names", &names)
            .finish()
    }
}

/// Mail settings, present only when mail can be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub server: smtp::Server,
    /// `mail-from` as configured (for the header) and its address (for the envelope).
    pub from: String,
    pub from_address: String,
    pub payload: Template,
    pub subject_prefix: String,
}

/// What the leader notifies, resolved from the `mail-*`, `webhook-*` and `pre-webhook-*`
/// settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotifyConfig {
    pub pre_webhook: Option<Webhook>,
    pub webhook: Option<Webhook>,
    pub mail: Option<Mail>,
    /// Settings given but not enough to act on, for a warning at startup.
    pub warnings: Vec<String>,
}

impl NotifyConfig {
    pub fn is_active(&self) -> bool {
        self.pre_webhook.is_some() || self.webhook.is_some() || self.mail.is_some()
    }
}

impl NotifyLayer {
    /// Validates and resolves the settings. An error names the key at fault.
    pub fn resolve(self, node_name: &str) -> Result<NotifyConfig, (String, String)> {
        let err = |key: &str, reason: String| (key.to_string(), reason);
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let mut out = NotifyConfig {
            pre_webhook: webhook(
                "pre-webhook",
                nonempty(self.pre_webhook_endpoint),
                self.pre_webhook_payload,
                self.pre_webhook_headers,
            )?,
            webhook: webhook(
                "webhook",
                nonempty(self.webhook_endpoint),
                self.webhook_payload,
                self.webhook_headers,
            )?,
            ..NotifyConfig::default()
        };

        let mail_payload = self.mail_payload.as_deref();
        let payload = Template::parse(mail_payload.unwrap_or(DEFAULT_MAIL_PAYLOAD))
            .map_err(|e| err("mail-payload", e))?;
        let subject_prefix = self
            .mail_subject_prefix
            .unwrap_or_else(|| DEFAULT_MAIL_SUBJECT_PREFIX.into());
        if subject_prefix.contains(['\r', '\n']) {
            return Err(err("mail-subject-prefix", "must be one line".into()));
        }
        let port = match self.mail_port {
            None | Some(0) => None,
            Some(p) => Some(u16::try_from(p).map_err(|_| {
                err(
                    "mail-port",
                    format!("{p} is not a port: it must be from 1 to 65535"),
                )
            })?),
        };
        let host = nonempty(self.mail_host).map(|h| h.trim().to_string());
        if let Some(h) = &host
            && h.contains([' ', '/', '\r', '\n'])
        {
            return Err(err(
                "mail-host",
                format!("{h:?} is not a host name or IP address"),
            ));
        }
        let from = nonempty(self.mail_from);
        let credentials = match (
            nonempty(self.mail_username),
            self.mail_password.filter(|p| !p.is_empty()),
        ) {
            (Some(u), Some(p)) => Some((u, p)),
            (Some(_), None) => {
                out.warnings.push(
                    "mail-username is set without mail-password: mail is sent without \
                     authentication"
                        .into(),
                );
                None
            }
            (None, Some(_)) => {
                out.warnings.push(
                    "mail-password is set without mail-username: mail is sent without \
                     authentication"
                        .into(),
                );
                None
            }
            (None, None) => None,
        };
        match (host, port) {
            (Some(host), Some(port)) => {
                let Some(from) = from else {
                    return Err(err(
                        "mail-from",
                        "is required to send mail (mail-host and mail-port are set)".into(),
                    ));
                };
                let from_address = mailbox(&from).map_err(|e| err("mail-from", e))?;
                out.mail = Some(Mail {
                    server: smtp::Server {
                        host,
                        port,
                        credentials,
                        helo_name: node_name.to_string(),
                    },
                    from,
                    from_address,
                    payload,
                    subject_prefix,
                });
            }
            (Some(_), None) => out
                .warnings
                .push("mail-host is set but mail-port is not: no mail is sent".into()),
            (None, Some(_)) => out
                .warnings
                .push("mail-port is set but mail-host is not: no mail is sent".into()),
            (None, None) => {}
        }
        Ok(out)
    }
}

fn webhook(
    prefix: &str,
    endpoint: Option<String>,
    payload: Option<String>,
    headers: Option<Vec<String>>,
) -> Result<Option<Webhook>, (String, String)> {
    let payload = Template::parse(payload.as_deref().unwrap_or(DEFAULT_WEBHOOK_PAYLOAD))
        .map_err(|e| (format!("{prefix}-payload"), e))?;
    let headers = headers
        .unwrap_or_default()
        .iter()
        .filter(|h| !h.trim().is_empty())
        .map(|h| parse_header(h).map_err(|e| (format!("{prefix}-headers"), e)))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(endpoint) = endpoint else {
        return Ok(None);
    };
    let key = format!("{prefix}-endpoint");
    let url = reqwest::Url::parse(endpoint.trim())
        .map_err(|e| (key.clone(), format!("{endpoint:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err((
            key,
            format!("{endpoint:?} is not an http:// or https:// URL"),
        ));
    }
    Ok(Some(Webhook {
        endpoint: url,
        payload,
        headers,
    }))
}

/// Reads a `Name: value` header (split at the first colon, so values may hold colons).
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not \"Name: value\""))?;
    let (name, value) = (name.trim(), value.trim());
    reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("{text:?}: {name:?} is not a valid header name"))?;
    reqwest::header::HeaderValue::from_str(value)
        .map_err(|_| format!("{text:?}: the value holds characters a header cannot"))?;
    Ok((name.to_string(), value.to_string()))
}

/// The address of a mailbox written `addr@host` or `Name <addr@host>`.
pub fn mailbox(text: &str) -> Result<String, String> {
    let text = text.trim();
    let addr = match (text.find('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close && close == text.len() - 1 => {
            &text[open + 1..close]
        }
        (None, None) => text,
        _ => return Err(format!("{text:?} is not an address or \"Name <address>\"")),
    };
    let addr = addr.trim();
    let valid = addr
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !addr
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    if !valid || text.contains(['\r', '\n']) {
        return Err(format!("{text:?} is not a mail address"));
    }
    Ok(addr.to_string())
}

/// The recipients in a job's `owner_email`: one address, or several separated by commas.
pub fn recipients(owner_email: &str) -> Result<Vec<String>, String> {
    owner_email
        .split(',')
        .filter(|a| !a.trim().is_empty())
        .map(mailbox)
        .collect()
}

/// One notification ready to send.
enum Delivery {
    Webhook {
        name: &'static str,
        hook: Arc<Webhook>,
        body: String,
    },
    Mail {
        mail: Arc<Mail>,
        message: smtp::Message,
    },
}

/// Sends the notifications of committed execution events while this node leads.
pub struct Notifier {
    state: StateMachine,
    node: String,
    pre_webhook: Option<Arc<Webhook>>,
    webhook: Option<Arc<Webhook>>,
    mail: Option<Arc<Mail>>,
}

impl Notifier {
    /// `node` is this (the reporting) node's name.
    pub fn new(state: StateMachine, config: &NotifyConfig, node: String) -> Notifier {
        Notifier {
            state,
            node,
            pre_webhook: config.pre_webhook.clone().map(Arc::new),
            webhook: config.webhook.clone().map(Arc::new),
            mail: config.mail.clone().map(Arc::new),
        }
    }

    fn is_active(&self) -> bool {
        self.pre_webhook.is_some() || self.webhook.is_some() || self.mail.is_some()
    }

    /// Runs while this node leads (until `stop` turns true). With nothing configured it
    /// returns at once, and the events are not even collected.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        if !self.is_active() {
            return;
        }
        let feed = self.state.execution_events().clone();
        let mut fed = feed.changed();
        feed.listen(true);
        let (tx, rx) = mpsc::channel(QUEUE);
        // Sends what is queued, also after leadership ends: those events were committed.
        tokio::spawn(send_all(rx));
        loop {
            tokio::select! {
                _ = fed.changed() => {
                    for event in feed.take() {
                        self.queue(&tx, &event);
                    }
                }
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
        }
        feed.listen(false);
    }

    /// Queues an event's notifications; drops them with a warning when the queue is full.
    fn queue(&self, tx: &mpsc::Sender<Delivery>, event: &ExecutionEvent) {
        for delivery in self.deliveries(event) {
            let Err(e) = tx.try_send(delivery) else {
                continue;
            };
            let what = match e.into_inner() {
                Delivery::Webhook { name, hook, .. } => format!("{name} to {}", hook.endpoint),
                Delivery::Mail { mail, .. } => {
                    format!("mail via {}:{}", mail.server.host, mail.server.port)
                }
            };
            tracing::warn!(
                job = %event.job.name,
                execution = %event.execution.id,
                "notification dropped, {QUEUE} are already waiting: {what}"
            );
        }
    }

    fn deliveries(&self, event: &ExecutionEvent) -> Vec<Delivery> {
        let mut out = Vec::new();
        match event.kind {
            ExecutionEventKind::Started => {
                if let Some(hook) = &self.pre_webhook {
                    let values = self.values(&event.job, &event.execution, &[&hook.payload]);
                    out.push(Delivery::Webhook {
                        name: "pre-webhook",
                        hook: hook.clone(),
                        body: hook.payload.render(&values),
                    });
                }
            }
            ExecutionEventKind::Finished { retrying: true } => {}
            ExecutionEventKind::Finished { retrying: false } => {
                let mail = self
                    .mail
                    .as_ref()
                    .filter(|_| !event.job.owner_email.trim().is_empty());
                let mut templates = Vec::new();
                if let Some(hook) = &self.webhook {
                    templates.push(&hook.payload);
                }
                if let Some(m) = mail {
                    templates.push(&m.payload);
                }
                if templates.is_empty() {
                    return out;
                }
                let values = self.values(&event.job, &event.execution, &templates);
                if let Some(hook) = &self.webhook {
                    out.push(Delivery::Webhook {
                        name: "webhook",
                        hook: hook.clone(),
                        body: hook.payload.render(&values),
                    });
                }
                if let Some(mail) = mail {
                    match recipients(&event.job.owner_email) {
                        Ok(to) if !to.is_empty() => out.push(Delivery::Mail {
                            mail: mail.clone(),
                            message: compose(mail, &event.job, &event.execution, to, &values),
                        }),
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(job = %event.job.name, "mail not sent: owner_email: {e}")
                        }
                    }
                }
            }
        }
        out
    }

    fn values(&self, job: &Job, execution: &Execution, templates: &[&Template]) -> Values {
        let report = if templates.iter().any(|t| t.uses(Var::Report)) {
            let group = self
                .state
                .read(|r| r.executions(&job.name))
                .unwrap_or_default()
                .into_iter()
                .filter(|e| e.group == execution.group)
                .collect::<Vec<_>>();
            report(execution, &self.node, &group)
        } else {
            String::new()
        };
        Values {
            report,
            job_name: execution.job_name.clone(),
            reporting_node: self.node.clone(),
            start_time: Some(execution.started_at),
            finished_at: Some(execution.finished_at),
            success: execution.success,
            node_name: execution.node_name.clone(),
            output: execution.output.clone(),
        }
    }
}

/// Dkron's plain-text execution report (`.Report`), line for line.
pub fn report(execution: &Execution, reporting_node: &str, group: &[Execution]) -> String {
    use template::go_time;
    let mut out = format!(
        "Executed: {}\nReporting node: {}\nStart time: {}\nEnd time: {}\nSuccess: {}\nNode: {}\n\
         Output: {}\nExecution group: {}\n",
        execution.job_name,
        reporting_node,
        go_time(Some(execution.started_at)),
        go_time(Some(execution.finished_at)),
        execution.success,
        execution.node_name,
        execution.output,
        execution.group,
    );
    for e in group {
        out.push_str(&format!(
            "\t[Node]: {} [Start]: {} [End]: {} [Success]: {}\n",
            e.node_name,
            go_time(Some(e.started_at)),
            go_time(Some(e.finished_at)),
            e.success
        ));
    }
    out
}

/// Builds the mail: Dkron's subject, the rendered payload as a UTF-8 text body.
fn compose(
    mail: &Mail,
    job: &Job,
    execution: &Execution,
    to: Vec<String>,
    values: &Values,
) -> smtp::Message {
    let status = if execution.success {
        "Success"
    } else {
        "Failed"
    };
    let subject = format!(
        "{}{status} {} execution report",
        mail.subject_prefix, job.name
    );
    let body = mail.payload.render(values);
    let (encoding, body) = transfer_encode(&body);
    let now = Utc::now();
    let text = format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}.{:08x}@{}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: {encoding}\r\nX-Mailer: belfry\r\n\r\n{body}",
        mail.from,
        job.owner_email.trim(),
        header_text(&subject),
        now.to_rfc2822(),
        now.timestamp_nanos_opt().unwrap_or_default(),
        rand::random::<u32>(),
        mail.server.helo_name,
    );
    smtp::Message {
        from: mail.from_address.clone(),
        to,
        text,
    }
}

/// A header value as RFC 2047 wants it: ASCII as it is, anything else as a UTF-8 encoded word.
fn header_text(text: &str) -> String {
    if text.is_ascii() && !text.contains(['\r', '\n']) {
        return text.to_string();
    }
    use base64::Engine;
    format!(
        "=?utf-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(text.replace(['\r', '\n'], " "))
    )
}

/// The body as it travels: `7bit` when it is short-lined printable ASCII, otherwise
/// quoted-printable.
fn transfer_encode(body: &str) -> (&'static str, String) {
    let plain = body.lines().all(|l| {
        l.len() <= 900
            && l.bytes()
                .all(|b| (32..127).contains(&b) || b == b'\t' || b == b'\r')
    });
    if plain {
        return ("7bit", body.lines().map(|l| format!("{l}\r\n")).collect());
    }
    ("quoted-printable", quoted_printable(body))
}

/// RFC 2045 quoted-printable, lines at most 76 characters, CRLF line ends.
pub fn quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line).as_bytes();
        let mut width = 0;
        for (i, &b) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let literal =
                (b'!'..=b'~').contains(&b) && b != b'=' || (matches!(b, b' ' | b'\t') && !last);
            let token = if literal {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            // Leave room for the soft break's `=`.
            if width + token.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += token.len();
            out.push_str(&token);
        }
        out.push_str("\r\n");
    }
    // `split` gives a last empty piece for text ending in a newline: drop its line end.
    if text.ends_with('\n') {
        out.truncate(out.len() - 2);
    }
    out
}

async fn send_all(mut queue: mpsc::Receiver<Delivery>) {
    crate::client::install_tls_provider();
    let http = match reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .connect_timeout(HTTP_TIMEOUT)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("notifications disabled: cannot build the HTTP client: {e}");
            return;
        }
    };
    let senders = Arc::new(Semaphore::new(SENDERS));
    while let Some(delivery) = queue.recv().await {
        let Ok(permit) = senders.clone().acquire_owned().await else {
            return;
        };
        let http = http.clone();
        tokio::spawn(async move {
            send(&http, delivery).await;
            drop(permit);
        });
    }
}

async fn send(http: &reqwest::Client, delivery: Delivery) {
    match delivery {
        Delivery::Webhook { name, hook, body } => {
            let mut request = http.post(hook.endpoint.clone()).body(body);
            for (k, v) in &hook.headers {
                request = request.header(k.as_str(), v.as_str());
            }
            match request.send().await {
                Ok(resp) if resp.status().is_success() => {
                    let status = resp.status();
                    tracing::debug!(endpoint = %hook.endpoint, %status, "{name} sent");
                }
                Ok(resp) => tracing::warn!(
                    endpoint = %hook.endpoint,
                    status = %resp.status(),
                    "{name}: the endpoint refused the notification"
                ),
                Err(e) => tracing::warn!(endpoint = %hook.endpoint, "{name} failed: {e}"),
            }
        }
        Delivery::Mail { mail, message } => {
            let to = message.to.join(", ");
            match smtp::send(&mail.server, &message).await {
                Ok(()) => tracing::debug!(%to, "mail sent"),
                Err(e) => tracing::warn!(
                    server = %format!("{}:{}", mail.server.host, mail.server.port),
                    %to,
                    "mail failed: {e}"
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The notification keys of a config file, as the config module reads them, resolve into
    /// mail and webhooks; a bad template is named by its key.
    #[test]
    fn file_settings_resolve() {
        use crate::config::parse_file;
        let text = "mail-host: 127.0.0.1\nmail-port: 2525\nmail-from: cron@example.com\n\
                    mail_subject_prefix: \"[ops] \"\nwebhook-endpoint: http://127.0.0.1:1/h\n\
                    webhook-payload: \"{{.JobName}}\"\nwebhook-headers:\n  - \"X-A: 1\"\n\
                    pre-webhook-headers: \"Host: hooks.example\"\n";
        let f = parse_file(text, "dkron.yml").unwrap();
        let notify = f.layer.notify.resolve("node-a").unwrap();
        let mail = notify.mail.as_ref().unwrap();
        assert_eq!(mail.subject_prefix, "[ops] ");
        assert_eq!(mail.server.port, 2525);
        assert_eq!(notify.webhook.as_ref().unwrap().headers.len(), 1);
        assert!(notify.pre_webhook.is_none(), "headers alone send nothing");
        let layer = parse_file("webhook-payload: \"{{.Bogus}}\"\n", "c.yml")
            .unwrap()
            .layer;
        let (key, reason) = layer.notify.resolve("node-a").unwrap_err();
        assert_eq!(key, "webhook-payload");
        assert!(reason.starts_with("unknown variable .Bogus"), "{reason}");
    }

    fn layer() -> NotifyLayer {
        NotifyLayer::default()
    }

    #[test]
    fn nothing_configured_is_inactive() {
        let c = layer().resolve("n").unwrap();
        assert!(!c.is_active());
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn settings_are_validated_and_named() {
        let cases: Vec<(NotifyLayer, &str)> = vec![
            (
                NotifyLayer {
                    webhook_endpoint: Some("ftp://x".into()),
                    ..layer()
                },
                "webhook-endpoint",
            ),
            (
                NotifyLayer {
                    pre_webhook_endpoint: Some("not a url".into()),
                    ..layer()
                },
                "pre-webhook-endpoint",
            ),
            (
                NotifyLayer {
                    webhook_headers: Some(vec!["NoColon".into()]),
                    ..layer()
                },
                "webhook-headers",
            ),
            (
                NotifyLayer {
                    pre_webhook_headers: Some(vec!["Bad Name: x".into()]),
                    ..layer()
                },
                "pre-webhook-headers",
            ),
            (
                NotifyLayer {
                    webhook_payload: Some("{{.Nope}}".into()),
                    ..layer()
                },
                "webhook-payload",
            ),
            (
                NotifyLayer {
                    mail_payload: Some("{{if .Success}}".into()),
                    ..layer()
                },
                "mail-payload",
            ),
            (
                NotifyLayer {
                    mail_port: Some(70000),
                    ..layer()
                },
                "mail-port",
            ),
            (
                NotifyLayer {
                    mail_host: Some("smtp.example".into()),
                    mail_port: Some(25),
                    ..layer()
                },
                "mail-from",
            ),
            (
                NotifyLayer {
                    mail_host: Some("smtp.example".into()),
                    mail_port: Some(25),
                    mail_from: Some("nobody".into()),
                    ..layer()
                },
                "mail-from",
            ),
        ];
        for (l, key) in cases {
            let (k, reason) = l.clone().resolve("n").unwrap_err();
            assert_eq!(k, key, "{l:?}: {reason}");
        }
    }

    #[test]
    fn webhooks_and_mail_resolve() {
        let c = NotifyLayer {
            webhook_endpoint: Some("http://127.0.0.1:9/hook".into()),
            webhook_headers: Some(vec![
                "Authorization: Bearer a:b".into(),
                "Host: x.example".into(),
            ]),
            mail_host: Some("127.0.0.1".into()),
            mail_port: Some(2525),
            mail_from: Some("Belfry <cron@example.com>".into()),
            mail_username: Some("u".into()),
            ..layer()
        }
        .resolve("node-1")
        .unwrap();
        let hook = c.webhook.unwrap();
        assert_eq!(
            hook.headers[0],
            ("Authorization".into(), "Bearer a:b".into())
        );
        assert_eq!(hook.headers[1], ("Host".into(), "x.example".into()));
        let mail = c.mail.unwrap();
        assert_eq!(mail.from_address, "cron@example.com");
        assert_eq!(mail.subject_prefix, "[Dkron]");
        assert!(mail.server.credentials.is_none());
        let secret = NotifyLayer {
            mail_password: Some("s3cret".into()),
            ..layer()
        };
        assert!(!format!("{secret:?}").contains("s3cret"));
        let server = smtp::Server {
            host: "h".into(),
            port: 25,
            credentials: Some(("u".into(), "s3cret".into())),
            helo_name: "n".into(),
        };
        assert!(!format!("{server:?}").contains("s3cret"));
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        // Only one of host and port: a warning, as Dkron silently sends nothing.
        let c = NotifyLayer {
            mail_host: Some("smtp.example".into()),
            ..layer()
        }
        .resolve("n")
        .unwrap();
        assert!(c.mail.is_none() && c.warnings[0].contains("mail-port"));
    }

    #[test]
    fn addresses_and_mail_text() {
        assert_eq!(mailbox("a@b.c").unwrap(), "a@b.c");
        assert_eq!(mailbox(" Ops Team <ops@x.io> ").unwrap(), "ops@x.io");
        for bad in [
            "",
            "plain",
            "a@",
            "@b",
            "a b@c",
            "x <a@b",
            "a@b\r\nBcc: c@d",
        ] {
            assert!(mailbox(bad).is_err(), "{bad:?}");
        }
        assert_eq!(recipients("a@x, b@y").unwrap(), vec!["a@x", "b@y"]);
        assert_eq!(header_text("[Dkron]Success job"), "[Dkron]Success job");
        assert_eq!(header_text("é"), "=?utf-8?B?w6k=?=");
        assert_eq!(quoted_printable("a=b é \n"), "a=3Db =C3=A9=20\r\n");
        let long = "x".repeat(200);
        let qp = quoted_printable(&format!("{long}é"));
        assert!(qp.lines().all(|l| l.len() <= 76), "{qp}");
        assert_eq!(qp.replace("=\r\n", ""), format!("{long}=C3=A9\r\n"));
        assert_eq!(transfer_encode("ok\nfine").0, "7bit");
        assert_eq!(transfer_encode("naïve").0, "quoted-printable");
    }

    #[test]
    fn dkron_report_layout() {
        use chrono::TimeZone;
        let e = Execution {
            id: "1-n".into(),
            job_name: "j".into(),
            started_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            finished_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 6).unwrap(),
            success: true,
            output: "hi\n".into(),
            node_name: "n".into(),
            group: 7,
            ..Execution::default()
        };
        assert_eq!(
            report(&e, "lead", std::slice::from_ref(&e)),
            "Executed: j\nReporting node: lead\nStart time: 2026-01-02 03:04:05 +0000 UTC\n\
             End time: 2026-01-02 03:04:06 +0000 UTC\nSuccess: true\nNode: n\nOutput: hi\n\n\
             Execution group: 7\n\t[Node]: n [Start]: 2026-01-02 03:04:05 +0000 UTC \
             [End]: 2026-01-02 03:04:06 +0000 UTC [Success]: true\n"
        );
    }
}
