//! `web_attack`: requests whose URL, percent-decoded twice (attackers double-encode to slip past
//! filters), carries SQL injection, path traversal, cross-site scripting, command injection, or
//! a probe for a sensitive file. The matched pattern is kept in the details.

use std::collections::BTreeMap;

use super::config::{Param, Value};
use super::finding::{Draft, Severity};
use super::frame;
use super::{Ctx, Rule};
use crate::error::AnalysisError;

/// (category, lower-case pattern) pairs, checked against the decoded path and query.
pub const PATTERNS: &[(&str, &str)] = &[
    ("sql_injection", "' or '"),
    ("sql_injection", "' or 1=1"),
    ("sql_injection", " or 1=1"),
    ("sql_injection", "union select"),
    ("sql_injection", "union all select"),
    ("sql_injection", "information_schema"),
    ("sql_injection", "sleep("),
    ("sql_injection", "benchmark("),
    ("sql_injection", "waitfor delay"),
    ("sql_injection", "xp_cmdshell"),
    ("sql_injection", "'--"),
    ("path_traversal", "../"),
    ("path_traversal", "..\\"),
    ("path_traversal", "/etc/passwd"),
    ("path_traversal", "/etc/shadow"),
    ("path_traversal", "/proc/self/"),
    ("path_traversal", "c:\\windows"),
    ("xss", "<script"),
    ("xss", "javascript:"),
    ("xss", "onerror="),
    ("xss", "onload="),
    ("xss", "<svg"),
    ("xss", "document.cookie"),
    ("command_injection", ";cat "),
    ("command_injection", "|cat "),
    ("command_injection", ";id"),
    ("command_injection", "|id"),
    ("command_injection", "$("),
    ("command_injection", "`"),
    ("command_injection", ";wget "),
    ("command_injection", ";curl "),
    ("command_injection", "/bin/sh"),
    ("command_injection", "nc -e"),
    ("sensitive_file", "/.env"),
    ("sensitive_file", "/.git/"),
    ("sensitive_file", "wp-config"),
    ("sensitive_file", "/.htpasswd"),
    ("sensitive_file", "/.aws/"),
    ("sensitive_file", "/.ssh/"),
    ("sensitive_file", "id_rsa"),
    ("sensitive_file", "/phpinfo"),
    ("sensitive_file", "/server-status"),
    ("sensitive_file", "/.ds_store"),
];

/// Percent-decodes twice (`+` as space in the query), lower-cased.
pub fn decode(path: &str, query: Option<&str>) -> String {
    let once = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let mut text = once(&once(path));
    if let Some(q) = query {
        text.push('?');
        text.push_str(&once(&once(&q.replace('+', " "))));
    }
    text.to_lowercase()
}

/// The first pattern of each category found in a decoded URL.
pub fn classify(decoded: &str) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    for (cat, pat) in PATTERNS {
        if decoded.contains(pat) && !out.iter().any(|(c, _)| c == cat) {
            out.push((cat, pat));
        }
    }
    out
}

pub struct WebAttack;

impl Rule for WebAttack {
    fn id(&self) -> &'static str {
        "web_attack"
    }
    fn description(&self) -> &'static str {
        "Requests whose URL (percent-decoded twice) carries SQL injection, path traversal, XSS, command injection or a sensitive-file probe; high when one of them got a 2xx answer."
    }
    fn params(&self) -> Vec<Param> {
        vec![Param::new("min_requests", Value::Int(1), "Matching requests from one source before it is reported.")]
    }
    fn run(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let min = ctx.config.int(self.id(), "min_requests").max(1) as u64;
        let df = ctx.sql(
            "web requests",
            "SELECT timestamp, host_name, source_ip, url_path, url_query, http_response_status_code, log_file_path, log_line \
             FROM events WHERE event_action = 'http.request' AND url_path IS NOT NULL ORDER BY timestamp, log_file_path, log_line",
        )?;
        let ts = frame::ints(&df, "timestamp")?;
        let host = frame::strs(&df, "host_name")?;
        let ip = frame::strs(&df, "source_ip")?;
        let path = frame::strs(&df, "url_path")?;
        let query = frame::strs(&df, "url_query")?;
        let status = frame::ints(&df, "http_response_status_code")?;
        let file = frame::strs(&df, "log_file_path")?;
        let line = frame::ints(&df, "log_line")?;
        let mut by_source: BTreeMap<(String, String), Draft> = BTreeMap::new();
        let mut cats: BTreeMap<(String, String), BTreeMap<&str, (u64, String)>> = BTreeMap::new();
        for i in 0..df.height() {
            let p = path[i].as_deref().unwrap_or("");
            let hits = classify(&decode(p, query[i].as_deref()));
            if hits.is_empty() {
                continue;
            }
            let key = (host[i].clone().unwrap_or_default(), ip[i].clone().unwrap_or_default());
            let d = by_source.entry(key.clone()).or_insert_with(|| {
                let mut d = Draft::new("web_attack", Severity::Medium);
                d.host_name = host[i].clone();
                d.source_ip = ip[i].clone();
                d
            });
            d.add(ts[i].unwrap_or(0), file[i].as_deref().unwrap_or(""), line[i].unwrap_or(0));
            d.count += 1;
            if status[i].is_some_and(|s| (200..300).contains(&s)) {
                d.severity = Severity::High;
            }
            let c = cats.entry(key).or_default();
            for (cat, pat) in hits {
                let e = c.entry(cat).or_insert((0, pat.to_string()));
                e.0 += 1;
            }
        }
        let mut out = Vec::new();
        for (key, mut d) in by_source {
            if d.count < min {
                continue;
            }
            let c = &cats[&key];
            let names: Vec<&str> = c.keys().copied().collect();
            for (cat, (n, pat)) in c {
                d.details.insert(format!("{cat}_requests"), (*n).into());
                d.details.insert(format!("{cat}_pattern"), pat.clone().into());
            }
            d.title = format!("Web attacks on {} from {}: {} ({} requests)", key.0, key.1, names.join(", "), d.count);
            out.push(d);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_encoding_is_seen_through() {
        let d = decode("/products", Some("id=1%2520UNION%2520SELECT%2520password%2520FROM%2520users"));
        assert_eq!(classify(&d), [("sql_injection", "union select")]);
        let d = decode("/index.php", Some("page=..%2F..%2Fetc%2Fpasswd"));
        assert_eq!(classify(&d)[0].0, "path_traversal");
        let d = decode("/search", Some("q=%3Cscript%3Ealert(1)%3C/script%3E"));
        assert_eq!(classify(&d), [("xss", "<script")]);
        assert_eq!(classify(&decode("/.git/config", None)), [("sensitive_file", "/.git/")]);
        assert!(classify(&decode("/products", Some("page=2&sort=price"))).is_empty());
        assert!(classify(&decode("/img/logo.png", None)).is_empty());
    }
}
