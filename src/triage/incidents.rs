//! Incidents: the findings grouped by actor, ranked, and told as a story.
//!
//! Grouping (`incidents.gap_hours`, default 24 h):
//! 1. Findings about one source address belong together while each starts within the gap of
//!    the group's last activity.
//! 2. A compromise (`success_after_failures`, `attack_chain`) pulls in what the compromised
//!    account did within `attack_chain.window_hours` after the login, on any host, and the
//!    findings without an address on the hosts it touched in that time (new accounts, sudo,
//!    logs falling silent).
//! 3. What is left without an address groups by user, else by host and rule, with the same gap.
//!
//! Folded background (`noise_summary`) is an incident of its own per summary, always ranked
//! below every other incident; suppressed findings belong to none.
//!
//! Rank: severity first (after the policy of [`super::severity`]), then how many stages of an
//! intrusion the incident shows (access, privilege, persistence, data out, tampering), then
//! how many findings; ties by time and id.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::detect::config::Config;
use crate::detect::finding::{Finding, Severity};
use crate::parse::time::{format_rfc3339, parse_rfc3339_utc};

const HOUR: i64 = 3_600_000_000;
/// At most this many key evidence lines per incident.
pub const MAX_KEY_EVIDENCE: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// `ip`, `user` or `host`.
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEvidence {
    pub time: String,
    pub file: String,
    pub line: i64,
    pub finding: String,
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub rank: usize,
    pub severity: Severity,
    /// Why the severity, from the finding that decided it (high and critical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_reason: Option<String>,
    pub title: String,
    pub narrative: String,
    pub actors: Vec<Actor>,
    pub hosts: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    /// Findings by rule.
    pub rules: BTreeMap<String, usize>,
    pub finding_ids: Vec<String>,
    pub key_evidence: Vec<KeyEvidence>,
    /// Folded background (one `noise_summary` and the findings it folds).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub noise: bool,
    pub score: u64,
}

/// The `incidents.json` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IncidentsDoc {
    pub logsleuth_version: String,
    pub case: String,
    pub generated_at: String,
    pub gap_hours: i64,
    pub incidents: Vec<Incident>,
}

impl IncidentsDoc {
    /// `None` when the file does not exist; a file that cannot be read or parsed is an error
    /// naming it and saying how to rebuild it.
    pub fn load(path: &std::path::Path) -> Result<Option<IncidentsDoc>, crate::error::AnalysisError> {
        let bad = |msg: String| crate::error::AnalysisError::Case {
            path: path.to_path_buf(),
            msg: format!("{msg}; the file is damaged: rebuild it with `logsleuth detect --case DIR`"),
        };
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| bad(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(bad(e.to_string())),
        }
    }
}

/// Union-find over finding positions.
struct Groups(Vec<usize>);

impl Groups {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

fn span(f: &Finding) -> (i64, i64) {
    let a = parse_rfc3339_utc(&f.first_seen).unwrap_or(0);
    (a, parse_rfc3339_utc(&f.last_seen).unwrap_or(a).max(a))
}

/// Joins the members of each key whose activity follows within `gap` of the group's last.
fn join_runs(groups: &mut Groups, spans: &[(i64, i64)], keyed: BTreeMap<String, Vec<usize>>, gap: i64) {
    for (_, mut rows) in keyed {
        rows.sort_by_key(|&i| (spans[i].0, i));
        let mut last = i64::MIN;
        let mut prev: Option<usize> = None;
        for i in rows {
            if let Some(p) = prev {
                if spans[i].0 <= last.saturating_add(gap) {
                    groups.join(p, i);
                } else {
                    last = i64::MIN;
                }
            }
            last = last.max(spans[i].1);
            prev = Some(i);
        }
    }
}

/// Groups, ranks and tells the findings' incidents; sets each finding's `incident`.
pub fn build(findings: &mut [Finding], config: &Config) -> Vec<Incident> {
    let gap = config.int("incidents", "gap_hours").max(1) * HOUR;
    let window = config.int("attack_chain", "window_hours").max(1) * HOUR;
    let spans: Vec<(i64, i64)> = findings.iter().map(span).collect();
    let member = |f: &Finding| !f.noise && f.suppressed.is_none() && f.rule != super::noise::RULE;
    let members: Vec<usize> = (0..findings.len()).filter(|&i| member(&findings[i])).collect();
    let mut groups = Groups((0..findings.len()).collect());
    let mut linked: BTreeSet<usize> = BTreeSet::new();

    // 1. By address.
    let mut by_ip: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &i in &members {
        if let Some(ip) = &findings[i].source_ip {
            by_ip.entry(ip.clone()).or_default().push(i);
            linked.insert(i);
        }
    }
    join_runs(&mut groups, &spans, by_ip, gap);

    // 2. A compromise pulls in the account's later activity and the hosts it touched.
    for &a in &members {
        let f = &findings[a];
        if f.rule != "success_after_failures" && f.rule != "attack_chain" {
            continue;
        }
        let (Some(user), Some(host)) = (f.user_name.clone(), f.host_name.clone()) else { continue };
        let login = if f.rule == "success_after_failures" { spans[a].1 } else { spans[a].0 };
        let within = |i: usize| spans[i].0 >= login && spans[i].0 <= login + window;
        let mut hosts: BTreeSet<String> = BTreeSet::from([host]);
        for &i in &members {
            if within(i) && findings[i].user_name.as_deref() == Some(user.as_str()) {
                groups.join(a, i);
                linked.insert(i);
                hosts.extend(findings[i].host_name.clone());
            }
        }
        for &i in &members {
            let g = &findings[i];
            if g.source_ip.is_none() && within(i) && g.host_name.as_ref().is_some_and(|h| hosts.contains(h)) {
                groups.join(a, i);
                linked.insert(i);
            }
        }
    }

    // 3. The rest: by user, else by host and rule.
    let mut rest: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &i in members.iter().filter(|i| !linked.contains(i)) {
        let f = &findings[i];
        let key = match &f.user_name {
            Some(u) => format!("user\u{0}{u}"),
            None => format!("host\u{0}{}\u{0}{}", f.host_name.as_deref().unwrap_or(""), f.rule),
        };
        rest.entry(key).or_default().push(i);
    }
    join_runs(&mut groups, &spans, rest, gap);

    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in &members {
        let root = groups.find(i);
        components.entry(root).or_default().push(i);
    }
    let mut incidents: Vec<Incident> =
        components.into_values().map(|rows| incident(findings, &spans, &rows, false)).collect();
    // Each noise summary, with the findings it folds.
    for (i, f) in findings.iter().enumerate().filter(|(_, f)| f.rule == super::noise::RULE) {
        let mut rows = vec![i];
        rows.extend((0..findings.len()).filter(|&j| findings[j].noise_summary.as_deref() == Some(f.id.as_str())));
        incidents.push(incident(findings, &spans, &rows, true));
    }
    incidents.sort_by(|a, b| b.score.cmp(&a.score).then(a.first_seen.cmp(&b.first_seen)).then(a.id.cmp(&b.id)));
    for (n, inc) in incidents.iter_mut().enumerate() {
        inc.rank = n + 1;
    }
    let by_id: BTreeMap<&str, &str> =
        incidents.iter().flat_map(|inc| inc.finding_ids.iter().map(|f| (f.as_str(), inc.id.as_str()))).collect();
    for f in findings.iter_mut() {
        f.incident = by_id.get(f.id.as_str()).map(|s| s.to_string());
    }
    incidents
}

/// The stages of an intrusion a finding shows (for the rank).
fn stage(f: &Finding) -> Option<&'static str> {
    let reason = f.details.get("severity_reason").and_then(|v| v.as_str()).unwrap_or("");
    match f.rule.as_str() {
        "success_after_failures" | "attack_chain" => Some("access"),
        _ if reason.starts_with("privilege gained") => Some("privilege"),
        _ if reason.starts_with("persistence") => Some("persistence"),
        _ if reason.starts_with("data out") => Some("data out"),
        _ if reason.starts_with("logs tampered") || reason.starts_with("logging touched") => Some("tampering"),
        _ if reason.starts_with("download") => Some("download"),
        _ => None,
    }
}

fn weight(s: Severity) -> u64 {
    match s {
        Severity::Critical => 1_000_000,
        Severity::High => 100_000,
        Severity::Medium => 10_000,
        Severity::Low => 1_000,
    }
}

/// One incident of the findings at `rows` (the summary first for noise).
fn incident(findings: &[Finding], spans: &[(i64, i64)], rows: &[usize], noise: bool) -> Incident {
    let mut rows = rows.to_vec();
    if !noise {
        rows.sort_by_key(|&i| (spans[i].0, findings[i].id.clone()));
    }
    let fs: Vec<&Finding> = rows.iter().map(|&i| &findings[i]).collect();
    let first = rows.iter().map(|&i| spans[i].0).min().unwrap_or(0);
    let last = rows.iter().map(|&i| spans[i].1).max().unwrap_or(0);
    let mut ids: Vec<String> = fs.iter().map(|f| f.id.clone()).collect();
    let id = {
        let mut sorted = ids.clone();
        sorted.sort();
        format!("inc-{}", hex::encode(&Sha256::digest(sorted.join(",").as_bytes())[..6]))
    };
    let lead = if noise { 0 } else { lead(&fs) };
    let severity = fs[lead].severity;
    let stages: BTreeSet<&str> = fs.iter().filter_map(|f| stage(f)).collect();
    let score = if noise {
        fs[0].details.get("address_count").and_then(|v| v.as_u64()).unwrap_or(0).min(999)
    } else {
        weight(severity) + 1_000 * stages.len() as u64 + (fs.len() as u64).min(999)
    };
    let mut rules: BTreeMap<String, usize> = BTreeMap::new();
    for f in &fs {
        *rules.entry(f.rule.clone()).or_default() += 1;
    }
    let hosts: BTreeSet<String> = fs.iter().filter_map(|f| f.host_name.clone()).collect();
    let actors = actors(&fs, noise);
    let title = if noise || fs.len() == 1 {
        fs[lead].title.clone()
    } else {
        format!("{} (+{} more finding{})", fs[lead].title, fs.len() - 1, if fs.len() == 2 { "" } else { "s" })
    };
    let narrative = if noise { fs[0].title.clone() + "." } else { super::narrative::tell(&fs, &actors) };
    ids.sort();
    Incident {
        id,
        rank: 0,
        severity,
        severity_reason: fs[lead].details.get("severity_reason").and_then(|v| v.as_str()).map(str::to_string),
        title,
        narrative,
        actors,
        hosts: hosts.into_iter().collect(),
        first_seen: format_rfc3339(first),
        last_seen: format_rfc3339(last),
        rules,
        finding_ids: ids,
        key_evidence: key_evidence(&fs, noise),
        noise,
        score,
    }
}

/// The finding that names the incident: an attack chain, else the most severe (earliest).
fn lead(fs: &[&Finding]) -> usize {
    if let Some(i) = fs.iter().position(|f| f.rule == "attack_chain") {
        return i;
    }
    let top = fs.iter().map(|f| f.severity).max().unwrap_or(Severity::Low);
    fs.iter().position(|f| f.severity == top).unwrap_or(0)
}

fn actors(fs: &[&Finding], noise: bool) -> Vec<Actor> {
    let actor = |kind: &str, value: &str| Actor { kind: kind.into(), value: value.into() };
    if noise {
        return vec![actor("background", &format!("{} addresses", fs.len().saturating_sub(1)))];
    }
    let mut out: Vec<Actor> = Vec::new();
    let ips: BTreeSet<&str> = fs.iter().filter_map(|f| f.source_ip.as_deref()).collect();
    out.extend(ips.iter().map(|ip| actor("ip", ip)));
    // Accounts: the ones compromised, else those the findings are about when no address is.
    let compromised: BTreeSet<&str> = fs
        .iter()
        .filter(|f| f.rule == "success_after_failures" || f.rule == "attack_chain")
        .filter_map(|f| f.user_name.as_deref())
        .collect();
    let users: BTreeSet<&str> = if compromised.is_empty() && ips.is_empty() {
        fs.iter().filter_map(|f| f.user_name.as_deref()).collect()
    } else {
        compromised
    };
    out.extend(users.iter().map(|u| actor("user", u)));
    if out.is_empty() {
        let hosts: BTreeSet<&str> = fs.iter().filter_map(|f| f.host_name.as_deref()).collect();
        out.extend(hosts.iter().map(|h| actor("host", h)));
    }
    out
}

/// One line per finding in time order (the login line for a login), the chain itself left
/// out (its lines are its steps' findings' and events'), then the chain's own lines.
fn key_evidence(fs: &[&Finding], noise: bool) -> Vec<KeyEvidence> {
    let mut out: Vec<KeyEvidence> = Vec::new();
    let mut seen: BTreeSet<(String, i64)> = BTreeSet::new();
    let mut push = |f: &Finding, time: &str, e: &crate::detect::finding::Evidence| {
        if out.len() < MAX_KEY_EVIDENCE && seen.insert((e.file.clone(), e.line)) {
            out.push(KeyEvidence {
                time: time.to_string(),
                file: e.file.clone(),
                line: e.line,
                finding: f.id.clone(),
                rule: f.rule.clone(),
            });
        }
    };
    let (chains, others): (Vec<&&Finding>, Vec<&&Finding>) = fs.iter().partition(|f| f.rule == "attack_chain");
    for f in others.iter().skip(usize::from(noise)) {
        let login = f.rule == "success_after_failures";
        let e = if login { f.evidence.last() } else { f.evidence.first() };
        if let Some(e) = e {
            push(f, if login { &f.last_seen } else { &f.first_seen }, e);
        }
    }
    for f in chains {
        for e in &f.evidence {
            push(f, "", e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::config::{Param, Value};
    use crate::detect::finding::Draft;

    fn config() -> Config {
        Config::defaults(&[
            ("incidents".into(), String::new(), vec![Param::new("gap_hours", Value::Int(24), "")]),
            ("attack_chain".into(), String::new(), vec![Param::new("window_hours", Value::Int(24), "")]),
        ])
    }

    fn f(rule: &'static str, sev: Severity, ip: Option<&str>, user: Option<&str>, host: &str, at: i64) -> Finding {
        let mut d = Draft::new(rule, sev);
        d.source_ip = ip.map(str::to_string);
        d.user_name = user.map(str::to_string);
        d.host_name = Some(host.into());
        d.title = format!("{rule} on {host}");
        d.add(at * HOUR, &format!("{host}/var/log/auth.log"), at);
        d.count = 1;
        d.finish()
    }

    #[test]
    fn one_actor_across_rules_and_hosts_is_one_incident_ranked_first() {
        let ip = Some("203.0.113.45");
        let mut fs = vec![
            f("port_scan", Severity::Medium, ip, None, "web01", 100),
            f("ssh_bruteforce", Severity::Medium, ip, None, "web01", 101),
            f("success_after_failures", Severity::High, ip, Some("deploy"), "web01", 102),
            f("sudo_activity", Severity::High, None, Some("deploy"), "db01", 103),
            f("log_integrity", Severity::High, None, None, "db01", 104),
            // The same address weeks later: another incident.
            f("web_scan", Severity::Medium, ip, None, "web01", 2000),
            // Someone else's brute force, and a routine host observation.
            f("ssh_bruteforce", Severity::Medium, Some("198.51.100.7"), None, "web01", 150),
            f("rare_event", Severity::Low, None, None, "gw01", 50),
        ];
        let inc = build(&mut fs, &config());
        assert_eq!(inc.len(), 4);
        assert_eq!(inc[0].rank, 1);
        assert_eq!(inc[0].finding_ids.len(), 5, "{:?}", inc[0]);
        assert_eq!(inc[0].hosts, ["db01", "web01"]);
        assert!(inc[0].actors.contains(&Actor { kind: "user".into(), value: "deploy".into() }));
        assert!(inc[0].narrative.starts_with("203.0.113.45"), "{}", inc[0].narrative);
        assert_eq!(fs[0].incident.as_deref(), Some(inc[0].id.as_str()));
        assert_ne!(fs[5].incident, fs[0].incident, "a gap of weeks starts a new incident");
        assert_eq!(inc.last().unwrap().severity, Severity::Low);
        // Deterministic: the same findings give the same incidents.
        let mut again = fs.clone();
        assert_eq!(build(&mut again, &config()), inc);
    }
}
