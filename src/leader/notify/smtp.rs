//! A small SMTP client for the notification mail: one message per connection.
//!
//! The session is greeting, `EHLO` (falling back to `HELO`), `STARTTLS` when the server offers
//! it (as Go's `smtp.SendMail`, which Dkron uses, does; the certificate is checked against the
//! system's roots, or `SSL_CERT_FILE`), `AUTH PLAIN` when credentials are configured, `MAIL
//! FROM`, one `RCPT TO` per recipient, `DATA` with dot-stuffing, and `QUIT`. Every reply code is
//! checked; a failure names the step and quotes the server's answer. Implicit TLS (port 465)
//! is not supported.
//!
//! Credentials are sent only over TLS or to a loopback address, as Go's `smtp.PlainAuth`
//! insists: a server that offers no STARTTLS gets no password.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long one step (connecting, one command and its reply) may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest reply accepted, so a broken server cannot make us buffer without end.
const MAX_REPLY: usize = 64 * 1024;

/// Where and how to send.
#[derive(Clone, PartialEq)]
pub struct Server {
    pub host: String,
    pub port: u16,
    /// `(username, password)` for AUTH PLAIN.
    pub credentials: Option<(String, String)>,
    /// The name this client gives in EHLO.
    pub helo_name: String,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "username",
                &self.credentials.as_ref().map(|(u, _)| u.as_str()),
            )
            .field("helo_name", &self.helo_name)
            .finish_non_exhaustive()
    }
}

/// One message: the envelope and the whole text (headers and body, lines ending in CRLF).
pub struct Message {
    pub from: String,
    pub to: Vec<String>,
    pub text: String,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

struct Session {
    io: BufReader<Box<dyn Io>>,
    tls: bool,
}

/// A server reply: its code and its text lines.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    fn text(&self) -> String {
        self.lines.join(" / ")
    }
}

async fn step<T>(
    what: &str,
    f: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    match tokio::time::timeout(STEP_TIMEOUT, f).await {
        Ok(r) => r,
        Err(_) => Err(format!("{what}: no answer within {STEP_TIMEOUT:?}")),
    }
}

impl Session {
    async fn read_reply(&mut self) -> Result<Reply, String> {
        let mut lines = Vec::new();
        let mut total = 0;
        loop {
            let mut line = String::new();
            let n = self
                .io
                .read_line(&mut line)
                .await
                .map_err(|e| format!("reading the reply: {e}"))?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            total += n;
            if total > MAX_REPLY {
                return Err("the server's reply is too long".into());
            }
            let line = line.trim_end_matches(['\r', '\n']);
            let (code, sep, text) = match (line.get(..3), line.get(3..4)) {
                (Some(c), sep) if c.bytes().all(|b| b.is_ascii_digit()) => {
                    (c, sep.unwrap_or(" "), line.get(4..).unwrap_or(""))
                }
                _ => return Err(format!("malformed reply {line:?}")),
            };
            let code: u16 = code.parse().expect("three digits");
            lines.push(text.to_string());
            if sep != "-" {
                return Ok(Reply { code, lines });
            }
        }
    }

    async fn send_line(&mut self, line: &str) -> Result<(), String> {
        let io = self.io.get_mut();
        io.write_all(line.as_bytes())
            .await
            .and(io.write_all(b"\r\n").await)
            .and(io.flush().await)
            .map_err(|e| format!("writing to the server: {e}"))
    }

    /// Sends a command (shown as `shown` in errors, so secrets stay out of logs) and checks
    /// that the reply code is one of `expect`.
    async fn command(&mut self, line: &str, shown: &str, expect: &[u16]) -> Result<Reply, String> {
        step(shown, async {
            self.send_line(line).await?;
            let reply = self.read_reply().await?;
            if expect.contains(&reply.code) {
                Ok(reply)
            } else {
                Err(format!(
                    "{shown}: the server answered {} {}",
                    reply.code,
                    reply.text()
                ))
            }
        })
        .await
    }

    async fn hello(&mut self, name: &str) -> Result<Vec<String>, String> {
        let reply = step("EHLO", async {
            self.send_line(&format!("EHLO {name}")).await?;
            self.read_reply().await
        })
        .await?;
        match reply.code {
            // The first line greets; the others name the server's extensions.
            250 => Ok(reply
                .lines
                .iter()
                .skip(1)
                .map(|l| l.to_ascii_uppercase())
                .collect()),
            // A server that does not know EHLO.
            500..=599 => {
                self.command(&format!("HELO {name}"), "HELO", &[250])
                    .await?;
                Ok(Vec::new())
            }
            code => Err(format!("EHLO: the server answered {code} {}", reply.text())),
        }
    }

    async fn start_tls(self, host: &str) -> Result<Session, String> {
        crate::client::install_tls_provider();
        use rustls_platform_verifier::ConfigVerifierExt;
        let config = rustls::ClientConfig::with_platform_verifier()
            .map_err(|e| format!("STARTTLS: no usable certificate roots: {e}"))?;
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| format!("STARTTLS: {host:?} is not a valid server name: {e}"))?;
        if !self.io.buffer().is_empty() {
            return Err("STARTTLS: the server sent data before the TLS handshake".into());
        }
        let plain = self.io.into_inner();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tls = step("STARTTLS handshake", async {
            connector
                .connect(name, plain)
                .await
                .map_err(|e| format!("STARTTLS handshake: {e}"))
        })
        .await?;
        Ok(Session {
            io: BufReader::new(Box::new(tls)),
            tls: true,
        })
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Doubles every line-initial dot and makes every line end in CRLF (RFC 5321 §4.5.2).
pub fn dot_stuff(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let line = line.trim_end_matches('\n').trim_end_matches('\r');
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

/// Sends one message; the error says which step failed and what the server answered.
pub async fn send(server: &Server, message: &Message) -> Result<(), String> {
    let addr = format!("{}:{}", server.host.trim_matches(['[', ']']), server.port);
    let target = (server.host.trim_matches(['[', ']']), server.port);
    let stream = step("connecting", async {
        TcpStream::connect(target)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))
    })
    .await?;
    let mut session = Session {
        io: BufReader::new(Box::new(stream)),
        tls: false,
    };
    let greeting = step("greeting", session.read_reply()).await?;
    if greeting.code != 220 {
        return Err(format!(
            "greeting: the server answered {} {}",
            greeting.code,
            greeting.text()
        ));
    }
    let mut extensions = session.hello(&server.helo_name).await?;
    if extensions.iter().any(|e| e == "STARTTLS") {
        session.command("STARTTLS", "STARTTLS", &[220]).await?;
        session = session
            .start_tls(server.host.trim_matches(['[', ']']))
            .await?;
        extensions = session.hello(&server.helo_name).await?;
    }
    if let Some((user, password)) = &server.credentials {
        if !session.tls && !is_loopback(&server.host) {
            return Err(format!(
                "not sending the password to {addr} over an unencrypted connection \
                 (the server does not offer STARTTLS)"
            ));
        }
        let offers_plain = extensions.iter().any(|e| {
            e.strip_prefix("AUTH")
                .is_some_and(|m| m.split([' ', '=']).any(|m| m == "PLAIN"))
        });
        if !offers_plain {
            return Err(format!(
                "AUTH: the server does not offer AUTH PLAIN (it offers: {})",
                extensions
                    .iter()
                    .find(|e| e.starts_with("AUTH"))
                    .map_or("no AUTH", |e| e.as_str())
            ));
        }
        use base64::Engine;
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
        session
            .command(&format!("AUTH PLAIN {token}"), "AUTH PLAIN", &[235])
            .await?;
    }
    session
        .command(
            &format!("MAIL FROM:<{}>", message.from),
            "MAIL FROM",
            &[250],
        )
        .await?;
    for to in &message.to {
        session
            .command(
                &format!("RCPT TO:<{to}>"),
                &format!("RCPT TO <{to}>"),
                &[250, 251],
            )
            .await?;
    }
    session.command("DATA", "DATA", &[354]).await?;
    let mut body = dot_stuff(&message.text);
    body.push('.');
    session.command(&body, "DATA (message)", &[250]).await?;
    // The message is accepted; a failed goodbye changes nothing.
    let _ = session.command("QUIT", "QUIT", &[221]).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing_and_line_ends() {
        assert_eq!(
            dot_stuff(".hidden\nplain\r\n..two\nlast"),
            "..hidden\r\nplain\r\n...two\r\nlast\r\n"
        );
        assert_eq!(dot_stuff("."), "..\r\n");
        assert!(is_loopback("127.0.0.1") && is_loopback("localhost") && is_loopback("[::1]"));
        assert!(!is_loopback("mail.example.com"));
    }
}
