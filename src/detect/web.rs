//! `web_attack`: requests whose URL, percent-decoded twice (attackers double-encode to slip past
//! filters), carries SQL injection, path traversal, cross-site scripting, command injection, or
//! a probe for a sensitive file. The matched pattern is kept in the details.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::query::Run;
use rayon::prelude::*;

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

/// Regex every URL matching [`PATTERNS`] after decoding also matches before decoding.
pub const PREFILTER: &str = r"(?i)[%'+<;|$`\\(]|\.\.|/\.|information_schema|etc/|proc/self|wp-config|phpinfo|server-status|id_rsa|xp_cmdshell|waitfor|javascript:|onerror=|onload=|document\.cookie|bin/sh|union|sleep|benchmark";

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

/// [`decode`] that skips the decoding and lower-casing work when the URL has nothing to decode
/// or lower-case (the common case).
pub fn decode_fast<'a>(path: &'a str, query: Option<&'a str>) -> std::borrow::Cow<'a, str> {
    let plain = |s: &str| !s.bytes().any(|b| b == b'%' || b == b'+' || b.is_ascii_uppercase() || b >= 0x80);
    match query {
        None if plain(path) => std::borrow::Cow::Borrowed(path),
        Some(q) if plain(path) && plain(q) => std::borrow::Cow::Owned(format!("{path}?{q}")),
        _ => std::borrow::Cow::Owned(decode(path, query)),
    }
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
        // A vectorised first pass keeps only URLs that could hold any pattern once decoded: every
        // pattern needs an escape or one of these characters or words (a superset of `PATTERNS`).
        let maybe = |c: &str| col(c).str().contains(lit(PREFILTER), false).fill_null(lit(false));
        let all = ctx
            .data
            .events()?
            .filter(col("event_action").eq(lit("http.request")).and(col("url_path").is_not_null()))
            .filter(maybe("url_path").or(maybe("url_query")))
            .select([
                col("timestamp"),
                col("host_name"),
                col("source_ip"),
                col("url_path"),
                col("url_query"),
                col("http_response_status_code"),
                col("log_file_path"),
                col("log_line"),
            ])
            .run()?;
        // Classify every URL in parallel, without copying the column.
        let paths: Vec<Option<&str>> = all.column("url_path")?.str()?.iter().collect();
        let queries: Vec<Option<&str>> = all.column("url_query")?.str()?.iter().collect();
        let hit_rows: Vec<u32> = (0..paths.len())
            .into_par_iter()
            .filter(|&i| !classify(&decode_fast(paths[i].unwrap_or(""), queries[i])).is_empty())
            .map(|i| i as u32)
            .collect();
        let df = all
            .take(&IdxCa::from_vec("idx".into(), hit_rows.into_iter().map(|i| i as IdxSize).collect()))?
            .lazy()
            .sort(["timestamp", "log_file_path", "log_line"], Default::default())
            .run()?;
        let ts = frame::ints(&df, "timestamp")?;
        let host = frame::strs(&df, "host_name")?;
        let ip = frame::strs(&df, "source_ip")?;
        let path = frame::strs(&df, "url_path")?;
        let query = frame::strs(&df, "url_query")?;
        let status = frame::ints(&df, "http_response_status_code")?;
        let file = frame::strs(&df, "log_file_path")?;
        let line = frame::ints(&df, "log_line")?;
        let mut by_source: BTreeMap<(String, String), Draft> = BTreeMap::new();
        type Categories<'p> = BTreeMap<&'p str, (u64, String)>;
        let mut cats: BTreeMap<(String, String), Categories<'_>> = BTreeMap::new();
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
        // Everything the patterns catch gets through the prefilter.
        let re = regex::Regex::new(PREFILTER).unwrap();
        for (_, pat) in PATTERNS {
            let raw = pat.replace(' ', "%20");
            assert!(re.is_match(&raw), "prefilter misses {pat}");
            assert!(re.is_match(&raw.to_uppercase()), "prefilter misses {pat} in upper case");
        }
        assert!(!re.is_match("/products/42") && !re.is_match("page=3&sort=price"));
    }
}
