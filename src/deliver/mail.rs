//! `--mail-to ADDR`: the period's summary by email, through an SMTP server (lettre). One message:
//! a plain-text part and an HTML part with the first screen (the incidents at or above the
//! threshold and their narratives, or the proof of a quiet review), and the single-file report
//! attached. Text from the logs is escaped in both parts. Credentials come from `--smtp-user`
//! and `LOGSLEUTH_SMTP_PASSWORD` or a password file, never from a command-line value.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::Summary;
use crate::sanitize;

/// The environment variable that holds the SMTP password.
pub const PASSWORD_ENV: &str = "LOGSLEUTH_SMTP_PASSWORD";

/// When to encrypt a `smtp://` connection with STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StartTls {
    /// Fail unless the server offers STARTTLS.
    Required,
    /// Use STARTTLS when the server offers it (default).
    Opportunistic,
    /// Never: plain SMTP (a relay on the same host or network).
    Never,
}

/// A parsed `--smtp` URL: `smtp://host[:port]` (25; STARTTLS per `--smtp-starttls`) or
/// `smtps://host[:port]` (465; TLS from the first byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub implicit_tls: bool,
    pub host: String,
    pub port: u16,
}

impl Server {
    pub fn parse(url: &str) -> Result<Server, String> {
        let (scheme, rest) =
            url.split_once("://").ok_or_else(|| format!("--smtp {url:?}: expected smtp://HOST[:PORT] or smtps://…"))?;
        let implicit_tls = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => false,
            "smtps" => true,
            s => return Err(format!("--smtp {url:?}: unknown scheme {s:?} (smtp or smtps)")),
        };
        let rest = rest.trim_end_matches('/');
        if rest.contains('@') {
            return Err(format!(
                "--smtp: credentials do not belong in the URL (they would show in `ps`); give --smtp-user and set {PASSWORD_ENV} or --smtp-password-file"
            ));
        }
        if rest.contains(['/', '?', '#']) {
            return Err(format!("--smtp {url:?}: expected only a host and a port"));
        }
        // `[::1]:25`, `host:25` or `host`.
        let (host, port) = match rest.strip_prefix('[') {
            Some(r) => {
                let (h, p) = r.split_once(']').ok_or_else(|| format!("--smtp {url:?}: unclosed '['"))?;
                (h, p.strip_prefix(':'))
            }
            None => match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            },
        };
        if host.is_empty() {
            return Err(format!("--smtp {url:?}: no host"));
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| format!("--smtp {url:?}: bad port {p:?}"))?,
            None if implicit_tls => 465,
            None => 25,
        };
        Ok(Server { implicit_tls, host: host.to_string(), port })
    }

    /// `smtp://host:port`, for records and messages.
    pub fn target(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        format!("{}://{host}:{}", if self.implicit_tls { "smtps" } else { "smtp" }, self.port)
    }
}

/// Everything needed to send, checked before any work is done.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<Mailbox>,
    pub from: Mailbox,
    pub server: Server,
    pub starttls: StartTls,
    pub credentials: Option<(String, String)>,
    pub timeout: Duration,
}

/// `logsleuth@HOST`, the sender when `--mail-from` is not given.
fn default_from() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .unwrap_or_else(|| "localhost".into());
    format!("logsleuth@{host}")
}

/// The password: the environment variable, else the first line of `file`.
fn password(file: Option<&Path>) -> Result<Option<String>, String> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f).map_err(|e| format!("--smtp-password-file {}: {e}", f.display()))?;
        return Ok(Some(text.lines().next().unwrap_or("").to_string()));
    }
    Ok(std::env::var(PASSWORD_ENV).ok())
}

impl Mail {
    /// Checks the mail options; any error is a usage error, said before the run starts.
    pub fn new(
        to: &[String],
        from: Option<&str>,
        smtp: &str,
        starttls: StartTls,
        user: Option<&str>,
        password_file: Option<&Path>,
        timeout: Duration,
    ) -> Result<Mail, String> {
        let mailbox = |flag: &str, a: &str| -> Result<Mailbox, String> {
            a.parse::<Mailbox>().map_err(|e| format!("{flag} {a:?}: not an email address ({e})"))
        };
        let to = to.iter().map(|a| mailbox("--mail-to", a)).collect::<Result<Vec<_>, _>>()?;
        let from = mailbox("--mail-from", from.unwrap_or(&default_from()))?;
        let server = Server::parse(smtp)?;
        if server.implicit_tls && starttls == StartTls::Never {
            return Err("--smtp smtps://… is TLS from the first byte; --smtp-starttls never contradicts it".into());
        }
        let credentials = match (user, password(password_file)?) {
            (Some(u), Some(p)) => Some((u.to_string(), p)),
            (Some(_), None) => {
                return Err(format!("--smtp-user needs a password: set {PASSWORD_ENV} or give --smtp-password-file"))
            }
            (None, Some(_)) if password_file.is_some() => {
                return Err("--smtp-password-file needs --smtp-user".into());
            }
            (None, _) => None,
        };
        Ok(Mail { to, from, server, starttls, credentials, timeout })
    }

    fn transport(&self) -> Result<SmtpTransport, String> {
        let tls_params =
            || TlsParameters::new(self.server.host.clone()).map_err(|e| format!("{}: TLS: {e}", self.server.target()));
        let tls = match (self.server.implicit_tls, self.starttls) {
            (true, _) => Tls::Wrapper(tls_params()?),
            (false, StartTls::Required) => Tls::Required(tls_params()?),
            (false, StartTls::Opportunistic) => Tls::Opportunistic(tls_params()?),
            (false, StartTls::Never) => Tls::None,
        };
        let mut b = SmtpTransport::builder_dangerous(self.server.host.as_str())
            .port(self.server.port)
            .tls(tls)
            .timeout(Some(self.timeout));
        if let Some((u, p)) = &self.credentials {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(b.build())
    }

    /// Builds the message: the two parts and the attached report (`report_name`, `report_html`).
    pub fn message(&self, s: &Summary, report_name: &str, report_html: Vec<u8>) -> Result<Message, String> {
        let mut m = Message::builder().from(self.from.clone()).subject(s.subject());
        for to in &self.to {
            m = m.to(to.clone());
        }
        let body =
            MultiPart::alternative().singlepart(SinglePart::plain(text(s))).singlepart(SinglePart::html(html(s)));
        let html_type = ContentType::parse("text/html; charset=utf-8").expect("a valid content type");
        let attachment = Attachment::new(report_name.to_string()).body(report_html, html_type);
        m.multipart(MultiPart::mixed().multipart(body).singlepart(attachment))
            .map_err(|e| format!("email: cannot build the message: {e}"))
    }

    /// Sends `message`; the server's final answer, or what went wrong.
    pub fn send(&self, message: &Message) -> Result<String, String> {
        let transport = self.transport()?;
        match transport.send(message) {
            Ok(r) => Ok(format!("{} {}", r.code(), r.message().collect::<Vec<_>>().join(" "))),
            Err(e) => Err(format!("email via {}: {e}", self.server.target())),
        }
    }

    pub fn recipients(&self) -> Vec<String> {
        self.to.iter().map(|m| m.email.to_string()).collect()
    }
}

/// Counts in words: `1 critical, 2 high, 3 medium`, or `none`.
fn counts(s: &Summary) -> String {
    let c: Vec<String> = ["critical", "high", "medium", "low"]
        .iter()
        .filter_map(|k| s.incidents_by_severity.get(*k).map(|n| format!("{n} {k}")))
        .collect();
    if c.is_empty() {
        "none".into()
    } else {
        c.join(", ")
    }
}

/// The plain-text part (log text made safe for a terminal, where mail is often read).
pub fn text(s: &Summary) -> String {
    let t = sanitize::terminal;
    let mut out = format!("{}\n\n", s.subject());
    out += &format!("Period: {} .. {}\n", s.period_from, s.period_to);
    out += &format!("Incidents (background noise not counted): {}\n", counts(s));
    out += &format!("Findings: {}; {} events in the period; {} hosts in the case\n", s.findings, s.events, s.hosts);
    if let Some(v) = &s.verification {
        out += &format!("Chain of custody: {v}\n");
    }
    out.push('\n');
    if s.incidents.is_empty() {
        out += &format!("{}.\n", s.quiet_line());
    }
    for i in &s.incidents {
        out += &format!("#{} [{}] {}\n", i.rank, i.severity.as_str(), t(&i.title));
        out += &format!("   hosts: {}; actors: {}\n", t(&i.hosts.join(", ")), t(&i.actors.join(", ")));
        out += &format!("   {} .. {}\n", i.first_seen, i.last_seen);
        if !i.narrative.is_empty() {
            out += &format!("   {}\n", t(&i.narrative));
        }
        out.push('\n');
    }
    out += &format!("\nThe full report is attached; on the server: {}\n", t(&s.report));
    out
}

/// The HTML part: the first screen, every value from the logs escaped.
pub fn html(s: &Summary) -> String {
    let e = |x: &str| html_escape::encode_text(x).into_owned();
    let mut out = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"font-family:sans-serif\">",
    );
    out += &format!("<h2>{}</h2>", e(&s.subject()));
    out += &format!(
        "<p>Period {} .. {}. Incidents (background noise not counted): {}. {} findings and {} events in the period; {} hosts in the case.</p>",
        e(&s.period_from),
        e(&s.period_to),
        e(&counts(s)),
        s.findings,
        s.events,
        s.hosts
    );
    if let Some(v) = &s.verification {
        out += &format!("<p>Chain of custody: {}</p>", e(v));
    }
    if s.incidents.is_empty() {
        out += &format!("<p><strong>{}.</strong></p>", e(&s.quiet_line()));
    } else {
        out += "<table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\"><tr><th>#</th><th>severity</th><th>incident</th><th>hosts</th><th>actors</th><th>first seen</th><th>last seen</th></tr>";
        for i in &s.incidents {
            out += &format!(
                "<tr><td>{}</td><td>{}</td><td><strong>{}</strong><br>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i.rank,
                i.severity.as_str(),
                e(&i.title),
                e(&i.narrative),
                e(&i.hosts.join(", ")),
                e(&i.actors.join(", ")),
                e(&i.first_seen),
                e(&i.last_seen)
            );
        }
        out += "</table>";
    }
    out += &format!("<p>The full report is attached; on the server: <code>{}</code></p></body></html>\n", e(&s.report));
    out
}

/// The attachment's file name: `logsleuth-CASE-FROM..TO.html` with only safe characters.
pub fn attachment_name(s: &Summary) -> String {
    let day = |x: &str| x.get(..10).unwrap_or(x).to_string();
    let raw = format!("logsleuth-{}-{}..{}.html", s.case, day(&s.period_from), day(&s.period_to));
    raw.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
}

/// The report to attach: `index` with its `charts` embedded (already so with --single-file).
pub fn report_bytes(index: &Path, charts: &[PathBuf]) -> Result<Vec<u8>, String> {
    crate::report::single_file_html(index, charts).map(String::into_bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let s = Server::parse("smtp://mail.example.org").unwrap();
        assert_eq!((s.implicit_tls, s.host.as_str(), s.port), (false, "mail.example.org", 25));
        let s = Server::parse("smtps://mail.example.org:2465/").unwrap();
        assert_eq!((s.implicit_tls, s.port), (true, 2465));
        assert_eq!(Server::parse("smtps://h").unwrap().port, 465);
        let s = Server::parse("smtp://[::1]:2525").unwrap();
        assert_eq!((s.host.as_str(), s.port, s.target()), ("::1", 2525, "smtp://[::1]:2525".to_string()));
        assert!(Server::parse("smtp://user:pw@host").unwrap_err().contains("credentials"));
        assert!(Server::parse("http://host").is_err());
        assert!(Server::parse("smtp://host:x").is_err());
        assert!(Server::parse("host:25").is_err());
    }

    #[test]
    fn attachment_names_are_safe() {
        let s = Summary {
            tool: "logsleuth",
            case: "a b/../c".into(),
            period_from: "2026-01-03T00:00:00Z".into(),
            period_to: "2026-01-09T23:59:59Z".into(),
            incidents_by_severity: Default::default(),
            findings: 0,
            events: 0,
            hosts: 0,
            incidents: vec![],
            report: String::new(),
            verification: None,
        };
        assert_eq!(attachment_name(&s), "logsleuth-a_b_.._c-2026-01-03..2026-01-09.html");
        assert!(text(&s).contains("no incident at or above the threshold"));
        assert!(html(&s).contains("no incident at or above the threshold"));
    }
}
