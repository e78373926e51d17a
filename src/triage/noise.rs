//! Background noise collapsed, not hidden. Every public server receives one-shot probes from
//! hundreds of internet addresses a day. A finding of a probing rule (`noise_summary.rules`)
//! with at most `noise_summary.max_count` events, nothing answered 2xx, and no other finding
//! about its address (no brute force, no login, nothing after) is folded: it stays in
//! `findings.json` with `"noise": true` and the id of its summary, and one `noise_summary`
//! finding per folded rule and host says how many addresses did what, with the full address
//! list. `cross_source` findings about folded addresses fold with them.

use std::collections::{BTreeMap, BTreeSet};

use crate::detect::config::Config;
use crate::detect::finding::{Draft, Finding, Severity};
use crate::parse::time::parse_rfc3339_utc;

/// The rule id of the summaries.
pub const RULE: &str = "noise_summary";

fn is_candidate(f: &Finding, rules: &[String], max_count: u64) -> bool {
    rules.contains(&f.rule)
        && f.rule != "cross_source"
        && f.count <= max_count
        && f.severity <= Severity::Medium
        && f.suppressed.is_none()
        && f.source_ip.is_some()
        && f.details.get("answered_2xx").and_then(|v| v.as_u64()).unwrap_or(0) == 0
}

/// What one summary says about its rule's folded findings.
fn summary_title(rule: &str, host: &str, addresses: usize, max: u64, categories: &BTreeMap<String, u64>) -> String {
    let range = if max <= 1 { "1".to_string() } else { format!("1–{max}") };
    let s = if max <= 1 { "" } else { "s" };
    let cats = || {
        let mut c: Vec<(&String, &u64)> = categories.iter().collect();
        c.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let listed: Vec<String> = c.iter().take(5).map(|(k, v)| format!("{k} {v}")).collect();
        let more = if c.len() > 5 { ", …" } else { "" };
        format!(" ({}{more})", listed.join(", "))
    };
    match rule {
        "web_attack" => format!(
            "{addresses} addresses sent {range} attack probe{s} each to {host}{}, none answered 2xx",
            if categories.is_empty() { String::new() } else { cats() }
        ),
        "web_scan" => {
            format!("{addresses} addresses made {range} scanning request{s} each to {host}, with nothing after")
        }
        "ssh_probe" => {
            format!("{addresses} addresses opened {range} ssh connection{s} each to {host} that never tried a password")
        }
        "port_scan" => format!("{addresses} addresses probed {range} port{s} each on {host}"),
        "cross_source" => format!("{addresses} background addresses were seen in more than one source"),
        _ => format!("{addresses} addresses: low-volume {rule} findings on {host} with nothing after"),
    }
}

/// Folds the background findings and returns the summaries (to be added to the findings).
pub fn fold(findings: &mut [Finding], config: &Config) -> Vec<Finding> {
    let max_count = config.int(RULE, "max_count").max(1) as u64;
    let rules = config.list(RULE, "rules");
    let candidate: Vec<bool> = findings.iter().map(|f| is_candidate(f, &rules, max_count)).collect();
    // Addresses with anything more than a foldable probe.
    let followed_up: BTreeSet<&str> = findings
        .iter()
        .zip(&candidate)
        .filter(|(f, c)| !**c && f.rule != "cross_source" && f.suppressed.is_none())
        .filter_map(|(f, _)| f.source_ip.as_deref())
        .collect();
    let mut fold: Vec<bool> = findings
        .iter()
        .zip(&candidate)
        .map(|(f, c)| *c && f.source_ip.as_deref().is_some_and(|ip| !followed_up.contains(ip)))
        .collect();
    let folded_ips: BTreeSet<String> =
        findings.iter().zip(&fold).filter(|(_, k)| **k).filter_map(|(f, _)| f.source_ip.clone()).collect();
    if rules.iter().any(|r| r == "cross_source") {
        for (i, f) in findings.iter().enumerate() {
            if f.rule == "cross_source"
                && f.suppressed.is_none()
                && f.source_ip.as_ref().is_some_and(|ip| folded_ips.contains(ip) && !followed_up.contains(ip.as_str()))
            {
                fold[i] = true;
            }
        }
    }
    // One summary per folded rule and host.
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate().filter(|(i, _)| fold[*i]) {
        groups.entry((f.rule.clone(), f.host_name.clone().unwrap_or_default())).or_default().push(i);
    }
    let mut out = Vec::new();
    for ((rule, host), rows) in groups {
        let mut d = Draft::new(RULE, Severity::Low);
        d.host_name = (!host.is_empty()).then(|| host.clone());
        let mut per_ip: BTreeMap<String, u64> = BTreeMap::new();
        let mut categories: BTreeMap<String, u64> = BTreeMap::new();
        let mut max = 0;
        for &i in &rows {
            let f = &findings[i];
            let first = parse_rfc3339_utc(&f.first_seen).unwrap_or(0);
            let last = parse_rfc3339_utc(&f.last_seen).unwrap_or(first);
            match f.evidence.first() {
                Some(e) => d.add(first, &e.file, e.line),
                None => d.first_seen = d.first_seen.min(first),
            }
            d.last_seen = d.last_seen.max(last);
            d.count += f.count;
            max = max.max(f.count);
            *per_ip.entry(f.source_ip.clone().unwrap_or_default()).or_default() += f.count;
            if let Some(text) = f.details.get("requests_by_category").and_then(|v| v.as_str()) {
                for (cat, n) in crate::detect::web::category_counts(text) {
                    *categories.entry(cat).or_default() += n;
                }
            }
        }
        let mut top: Vec<(&String, &u64)> = per_ip.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let host_label = if host.is_empty() { "all hosts".to_string() } else { host.clone() };
        d.title = summary_title(&rule, &host_label, per_ip.len(), max, &categories);
        d = d
            .detail("kind", rule.clone())
            .detail("folded_rule", rule.clone())
            .detail("findings", rows.len())
            .detail("address_count", per_ip.len())
            .detail("top_addresses", top.iter().take(10).map(|(ip, n)| format!("{ip} ({n})")).collect::<Vec<_>>())
            .detail("addresses", per_ip.keys().cloned().collect::<Vec<_>>());
        if !categories.is_empty() {
            d = d.detail("categories", serde_json::to_value(&categories).unwrap_or_default());
        }
        let summary = d.finish();
        for &i in &rows {
            findings[i].noise = true;
            findings[i].noise_summary = Some(summary.id.clone());
        }
        out.push(summary);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::config::{Param, Value};

    fn config() -> Config {
        Config::defaults(&[(
            RULE.to_string(),
            String::new(),
            vec![
                Param::new("max_count", Value::Int(3), ""),
                Param::new(
                    "rules",
                    Value::List(vec!["web_attack".into(), "web_scan".into(), "cross_source".into()]),
                    "",
                ),
            ],
        )])
    }

    fn probe(rule: &'static str, ip: &str, count: u64, sev: Severity) -> Finding {
        let mut d = Draft::new(rule, sev).detail("requests_by_category", format!("xss: {count}"));
        d.host_name = Some("web01".into());
        d.source_ip = Some(ip.into());
        d.count = count;
        d.add(1_000_000, "web01/access.log", 7);
        d.finish()
    }

    #[test]
    fn one_shot_probes_fold_into_one_summary_and_followed_up_addresses_stay() {
        let mut f = vec![
            probe("web_attack", "203.0.113.1", 1, Severity::Medium),
            probe("web_attack", "203.0.113.2", 2, Severity::Medium),
            probe("web_attack", "203.0.113.3", 40, Severity::Medium),
            probe("web_attack", "203.0.113.4", 1, Severity::Medium),
            probe("ssh_bruteforce", "203.0.113.4", 60, Severity::Medium),
            probe("cross_source", "203.0.113.1", 9, Severity::Medium),
        ];
        let summaries = fold(&mut f, &config());
        assert_eq!(summaries.len(), 2, "web_attack on web01, cross_source on web01");
        let s = summaries.iter().find(|s| s.details["folded_rule"] == "web_attack").unwrap();
        assert_eq!(s.rule, RULE);
        assert_eq!(s.details["addresses"], serde_json::json!(["203.0.113.1", "203.0.113.2"]));
        assert!(s.title.starts_with("2 addresses sent 1–2 attack probes each to web01 (xss 3)"), "{}", s.title);
        assert!(f[0].noise && f[1].noise && f[5].noise);
        assert_eq!(f[0].noise_summary.as_deref(), Some(s.id.as_str()));
        assert!(!f[2].noise, "40 requests are not a probe");
        assert!(!f[3].noise, "its address also brute-forced ssh");
    }
}
