//! `--webhook URL`: the period's summary POSTed as JSON, in logsleuth's own shape or as a Slack
//! or Microsoft Teams incoming-webhook message. Attacker-controlled text (titles, host and user
//! names) is escaped for the target's markup. Bounded retries with backoff on connection
//! errors and 5xx answers, a timeout per attempt; a 4xx answer is final. Sent only when the flag
//! is given: logsleuth contacts no network otherwise.

use std::time::Duration;

use serde_json::{json, Value};

use super::Summary;

/// The shape of the POSTed body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WebhookFormat {
    /// logsleuth's own JSON (see the README).
    Json,
    /// A Slack incoming-webhook message (`text`, mrkdwn).
    Slack,
    /// A Microsoft Teams incoming-webhook MessageCard.
    Teams,
}

/// Text from the logs for a chat's markup: control characters escaped, HTML's `& < >` as
/// entities, and each of `special` marked as literal (`before` it, or `after` it).
fn escape(s: &str, special: &[char], before: Option<char>, after: Option<char>) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::sanitize::terminal(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if special.contains(&c) => {
                out.extend(before);
                out.push(c);
                out.extend(after);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Slack's mrkdwn: `&`, `<` and `>` are control characters and must be escaped
/// (api.slack.com/reference/surfaces/formatting#escaping); formatting characters are shown
/// literally by a zero-width space after them, so a title cannot bold or link itself.
pub fn slack_escape(s: &str) -> String {
    escape(s, &['*', '_', '~', '`'], None, Some('\u{200b}'))
}

/// Teams MessageCard text is Markdown with HTML: entities for `& < >`, a backslash before
/// Markdown's characters.
pub fn teams_escape(s: &str) -> String {
    escape(s, &['\\', '*', '_', '`', '[', ']', '(', ')', '#', '~', '|'], Some('\\'), None)
}

/// One line per incident, escaped with `esc`.
fn lines(s: &Summary, esc: fn(&str) -> String) -> Vec<String> {
    s.incidents
        .iter()
        .map(|i| {
            format!(
                "[{}] #{} {} ({}; {} .. {})",
                i.severity.as_str(),
                i.rank,
                esc(&i.title),
                esc(&i.hosts.join(", ")),
                i.first_seen,
                i.last_seen
            )
        })
        .collect()
}

/// The body for `format`.
pub fn body(s: &Summary, format: WebhookFormat) -> Value {
    match format {
        WebhookFormat::Json => serde_json::to_value(s).unwrap_or(Value::Null),
        WebhookFormat::Slack => {
            let mut text = format!("*{}*", slack_escape(&s.subject()));
            for l in lines(s, slack_escape) {
                text.push('\n');
                text.push_str(&l);
            }
            if s.incidents.is_empty() {
                text.push('\n');
                text.push_str(&slack_escape(&s.quiet_line()));
            }
            json!({ "text": text })
        }
        WebhookFormat::Teams => {
            let mut text = lines(s, teams_escape).join("\n\n");
            if s.incidents.is_empty() {
                text = teams_escape(&s.quiet_line());
            }
            json!({
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": teams_escape(&s.subject()),
                "title": teams_escape(&s.subject()),
                "themeColor": if s.incidents.iter().any(|i| i.severity >= crate::detect::finding::Severity::High) { "C62828" } else { "607D8B" },
                "text": text,
            })
        }
    }
}

/// How the POST went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub status: u16,
    pub attempts: u32,
}

/// POSTs `body` to `url`: at most `attempts` tries, `timeout` each, waiting `backoff`, then
/// twice that, … between them; only connection errors, timeouts and 5xx answers are retried.
pub fn post(url: &str, body: &Value, timeout: Duration, attempts: u32, backoff: Duration) -> Result<Sent, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("webhook: cannot start the HTTP client: {e}"))?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("logsleuth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("webhook: cannot build the HTTP client: {e}"))?;
        let attempts = attempts.max(1);
        let mut last = String::new();
        for n in 0..attempts {
            if n > 0 {
                tokio::time::sleep(backoff * 2u32.pow(n - 1)).await;
            }
            match client.post(url).json(body).send().await {
                Ok(r) if r.status().is_success() => return Ok(Sent { status: r.status().as_u16(), attempts: n + 1 }),
                Ok(r) if r.status().is_client_error() => {
                    return Err(format!("webhook {url}: answered {} (not retried)", r.status()));
                }
                Ok(r) => last = format!("answered {}", r.status()),
                Err(e) if e.is_timeout() => last = format!("no answer within {} s", timeout.as_secs_f64()),
                Err(e) => last = format!("{e}"),
            }
        }
        Err(format!("webhook {url}: {last} (after {attempts} attempts)"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacker_text_cannot_format_or_link_itself() {
        assert_eq!(
            slack_escape("<http://evil|click> & *bold*"),
            "&lt;http://evil|click&gt; &amp; *\u{200b}bold*\u{200b}"
        );
        assert_eq!(teams_escape("[click](http://evil) <b>"), "\\[click\\]\\(http://evil\\) &lt;b&gt;");
        assert_eq!(slack_escape("a\u{1b}[2Jb"), "a\\x1b[2Jb");
    }
}
