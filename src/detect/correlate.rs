//! Correlation rules, run after the others because they read their findings.
//!
//! `cross_source`: an address already named by a finding that also shows up in other sources or
//! on other hosts (firewall blocks days before an SSH brute force; a web scanner that also tries
//! SSH or the VPN), with its first sighting per source. `attack_chain`: one actor's steps linked
//! into an ordered incident — reconnaissance, brute force, the login that worked, privilege
//! escalation, persistence, downloads, lateral movement, exfiltration, log tampering — with
//! the time between steps; one critical finding per chain. A chain needs a login that worked
//! after failures, so an administrator's ordinary session never becomes one.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use crate::query::{one_of, Run};

use super::config::{Param, Value};
use super::finding::{Draft, Severity};
use super::Ctx;
use crate::error::AnalysisError;
use crate::parse::time::format_rfc3339;
use crate::query::frame;
use crate::schema::action;

const HOUR: i64 = 3_600_000_000;

/// Declarations of the correlation rules (ids, descriptions, parameters).
pub fn declarations() -> Vec<(String, String, Vec<Param>)> {
    vec![
        (
            "cross_source".into(),
            "An address named by another finding that appears in at least min_sources sources (auth, firewall, web, app, VPN) or on more than one host; its first sighting per source.".into(),
            vec![Param::new("min_sources", Value::Int(2), "Distinct sources (or hosts) an address must appear in.")],
        ),
        (
            "attack_chain".into(),
            "One actor's findings and events linked in time order: recon, brute force, the login that worked, sudo, new accounts and crontabs, downloads, lateral movement, exfiltration, log tampering, within window_hours after the login.".into(),
            vec![Param::new("window_hours", Value::Int(24), "How long after the compromising login steps are linked to it.")],
        ),
    ]
}

/// Runs both correlation rules over the other rules' drafts.
pub fn run(ctx: &Ctx<'_>, prior: &[Draft]) -> Result<Vec<Draft>, AnalysisError> {
    let mut out = cross_source(ctx, prior)?;
    out.extend(attack_chain(ctx, prior)?);
    Ok(out)
}

fn cross_source(ctx: &Ctx<'_>, prior: &[Draft]) -> Result<Vec<Draft>, AnalysisError> {
    let min_sources = ctx.config.int("cross_source", "min_sources").max(2) as usize;
    let mut named: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for d in prior {
        if let Some(ip) = &d.source_ip {
            named.entry(ip.clone()).or_default().insert(&d.rule);
        }
    }
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let ips: Vec<String> = named.keys().cloned().collect();
    let named_ip = || one_of(col("source_ip"), ips.iter().map(String::as_str));
    let ts = || col("timestamp").cast(DataType::Int64);
    let df = super::sightings::table(ctx)?
        .lazy()
        .filter(named_ip())
        .group_by([col("source_ip"), col("event_module"), col("host_name")])
        .agg([col("n").sum(), col("first").min(), col("last").max()])
        .sort(["source_ip", "first", "event_module", "host_name"], Default::default())
        .run()?;
    let ip = frame::strs(&df, "source_ip")?;
    let module = frame::strs(&df, "event_module")?;
    let host = frame::strs(&df, "host_name")?;
    let n = frame::ints(&df, "n")?;
    let first = frame::ints(&df, "first")?;
    let last = frame::ints(&df, "last")?;
    // Each sighting's first line: the events of those addresses at those first instants (a
    // second, very selective scan), the earliest (file, line) per sighting.
    let firsts: Vec<i64> = first.iter().flatten().copied().collect::<BTreeSet<i64>>().into_iter().collect();
    let at = ctx
        .data
        .events()?
        .filter(named_ip().and(one_of(ts(), firsts)))
        .select([
            col("source_ip"),
            col("event_module"),
            col("host_name"),
            ts().alias("ts"),
            col("log_file_path"),
            col("log_line"),
        ])
        .run()?;
    let (file, line) = frame::earliest_lines(&df, "first", &at, &["source_ip", "event_module", "host_name"])?;
    let mut by_ip: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, addr) in ip.iter().enumerate() {
        by_ip.entry(addr.clone().unwrap_or_default()).or_default().push(i);
    }
    let mut out = Vec::new();
    for (addr, rows) in by_ip {
        let sources: BTreeSet<&str> = rows.iter().filter_map(|&i| module[i].as_deref()).collect();
        let hosts: BTreeSet<&str> = rows.iter().filter_map(|&i| host[i].as_deref()).collect();
        if sources.len() < min_sources && hosts.len() < 2 {
            continue;
        }
        let mut d = Draft::new("cross_source", if sources.len() >= 3 { Severity::High } else { Severity::Medium });
        d.source_ip = Some(addr.clone());
        let mut sightings = serde_json::Map::new();
        for &i in &rows {
            let key = format!("{}@{}", module[i].as_deref().unwrap_or("?"), host[i].as_deref().unwrap_or("?"));
            sightings.insert(
                key,
                serde_json::json!({"first": format_rfc3339(first[i].unwrap_or(0)), "last": format_rfc3339(last[i].unwrap_or(0)), "events": n[i].unwrap_or(0)}),
            );
            d.add(first[i].unwrap_or(0), file[i].as_deref().unwrap_or(""), line[i].unwrap_or(0));
            d.last_seen = d.last_seen.max(last[i].unwrap_or(0));
            d.count += n[i].unwrap_or(0) as u64;
        }
        let rules: Vec<&str> = named[&addr].iter().copied().collect();
        d = d
            .detail("sources", sources.iter().copied().collect::<Vec<_>>().join(", "))
            .detail("hosts", hosts.iter().copied().collect::<Vec<_>>().join(", "))
            .detail("sightings", serde_json::Value::Object(sightings))
            .detail("other_findings", rules.join(", "));
        d.title = format!(
            "{addr} seen in {} sources on {} host(s): {} ({})",
            sources.len(),
            hosts.len(),
            sources.iter().copied().collect::<Vec<_>>().join(", "),
            rules.join(", ")
        );
        out.push(d);
    }
    Ok(out)
}

/// A step of a chain.
struct Step {
    ts: i64,
    name: &'static str,
    text: String,
    evidence: Option<(String, i64)>,
}

fn attack_chain(ctx: &Ctx<'_>, prior: &[Draft]) -> Result<Vec<Draft>, AnalysisError> {
    let window = ctx.config.int("attack_chain", "window_hours").max(1) * HOUR;
    let mut out = Vec::new();
    let entries: Vec<&Draft> = prior.iter().filter(|d| d.rule == "success_after_failures").collect();
    if entries.is_empty() {
        return Ok(out);
    }
    // One scan for every chain: the logins and sudo commands of the compromised accounts, in
    // time order; each chain takes its account's rows.
    let users: BTreeSet<String> = entries.iter().filter_map(|d| d.user_name.clone()).collect();
    let ts = col("timestamp").cast(DataType::Int64);
    let df = ctx
        .data
        .events()?
        .filter(
            one_of(col("user_name"), users)
                .and(one_of(col("event_action"), [action::SUDO_COMMAND, action::AUTH_SUCCESS])),
        )
        .select([
            ts.alias("ts"),
            col("event_module"),
            col("user_name"),
            col("host_name"),
            col("event_action"),
            col("source_ip"),
            col("process_command_line"),
            col("log_file_path"),
            col("log_line"),
        ])
        .sort(["ts", "log_file_path", "log_line"], Default::default())
        .run()?;
    let t = frame::ints(&df, "ts")?;
    let module = frame::strs(&df, "event_module")?;
    let u = frame::strs(&df, "user_name")?;
    let h = frame::strs(&df, "host_name")?;
    let a = frame::strs(&df, "event_action")?;
    let src = frame::strs(&df, "source_ip")?;
    let cmd = frame::strs(&df, "process_command_line")?;
    let file = frame::strs(&df, "log_file_path")?;
    let line = frame::ints(&df, "log_line")?;
    let mut rows_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, user) in u.iter().enumerate() {
        if let Some(user) = user {
            rows_of.entry(user.as_str()).or_default().push(i);
        }
    }
    for entry in entries {
        let (Some(ip), Some(user), Some(host)) = (&entry.source_ip, &entry.user_name, &entry.host_name) else {
            continue;
        };
        // The login is the finding's end (its span runs from the first failure to the login).
        let login = entry.last_seen;
        let until = login + window;
        let mut steps: Vec<Step> = Vec::new();
        let first_ev = |d: &Draft| d.evidence.first().map(|(_, f, l)| (f.clone(), *l));
        // Findings about the same address or, after the login, the same host.
        for d in prior {
            let same_ip = d.source_ip.as_deref() == Some(ip.as_str());
            let same_host_after =
                d.host_name.as_deref() == Some(host.as_str()) && d.first_seen >= login && d.first_seen <= until;
            let name = match d.rule.as_ref() {
                "port_scan" | "web_scan" if same_ip && d.first_seen <= login => "reconnaissance",
                "web_attack" if same_ip && d.first_seen <= login => "exploitation attempts",
                "ssh_bruteforce" | "password_spraying" if same_ip && d.first_seen <= login => "brute force",
                "success_after_failures" if std::ptr::eq(d, entry) => "initial access",
                "account_change" if same_host_after && d.severity >= Severity::Medium => "persistence",
                // Linked through the audit session's login address, else by host and time.
                "process_activity"
                    if (same_ip || same_host_after) && d.first_seen >= login && d.first_seen <= until =>
                {
                    match d.details.get("kind").and_then(|k| k.as_str()) {
                        Some("download_to_shell") => "download",
                        Some("reverse_shell") => "command and control",
                        Some("log_wiping") => "log tampering",
                        Some("suid_file" | "ssh_key_planting") => "persistence",
                        _ => "execution",
                    }
                }
                "volume_anomaly" if same_ip && d.first_seen >= login && d.first_seen <= until => "exfiltration",
                "log_integrity"
                    if d.first_seen >= login
                        && d.first_seen <= until
                        && d.details.get("kind").is_some_and(|k| k == "silent gap") =>
                {
                    "log tampering"
                }
                _ => continue,
            };
            let ts = match name {
                "initial access" => login,
                // A silence starts when the first missing line was due.
                "log tampering" => {
                    d.first_seen
                        + d.details
                            .get("usual_spacing_minutes")
                            .and_then(|v| v.as_f64())
                            .map_or(0, |m| (m * 60_000_000.0) as i64)
                }
                _ => d.first_seen,
            };
            steps.push(Step {
                ts,
                name,
                text: d.title.clone(),
                evidence: if name == "initial access" {
                    d.evidence.last().map(|(_, f, l)| (f.clone(), *l))
                } else {
                    first_ev(d)
                },
            });
        }
        // Auth events by the compromised account after the login: sudo, downloads, crontab,
        // logins elsewhere. Addresses the account logged in from before the compromise (in any
        // source) are its usual ones, not lateral movement.
        let rows: &[usize] = rows_of.get(user.as_str()).map_or(&[], Vec::as_slice);
        let when = |i: usize| t[i].unwrap_or(0);
        let usual: BTreeSet<&str> = rows
            .iter()
            .filter(|&&i| when(i) < login && a[i].as_deref() == Some(action::AUTH_SUCCESS))
            .filter_map(|&i| src[i].as_deref())
            .collect();
        let after = rows
            .iter()
            .copied()
            .filter(|&i| when(i) > login && when(i) <= until && module[i].as_deref() == Some("auth"));
        let mut escalated = false;
        for i in after {
            let (name, text) = match a[i].as_deref() {
                Some(action::SUDO_COMMAND) => {
                    let c = cmd[i].clone().unwrap_or_default();
                    let lower = c.to_lowercase();
                    if lower.contains("wget ") || lower.contains("curl ") {
                        ("download", format!("{user} ran `{c}` as root on {}", h[i].as_deref().unwrap_or("?")))
                    } else if !escalated || h[i].as_deref() != Some(host.as_str()) {
                        (
                            "privilege escalation",
                            format!("{user} ran `{c}` as root on {}", h[i].as_deref().unwrap_or("?")),
                        )
                    } else {
                        continue;
                    }
                }
                Some(action::AUTH_SUCCESS)
                    if h[i].as_deref() != Some(host.as_str())
                        && !src[i].as_deref().is_some_and(|s| usual.contains(s)) =>
                {
                    (
                        "lateral movement",
                        format!(
                            "{user} logged in to {} from {}",
                            h[i].as_deref().unwrap_or("?"),
                            src[i].as_deref().unwrap_or("?")
                        ),
                    )
                }
                _ => continue,
            };
            if name == "privilege escalation" && h[i].as_deref() == Some(host.as_str()) {
                escalated = true;
            }
            steps.push(Step {
                ts: when(i),
                name,
                text,
                evidence: Some((file[i].clone().unwrap_or_default(), line[i].unwrap_or(0))),
            });
        }
        if steps.len() < 3 {
            continue;
        }
        steps.sort_by(|x, y| x.ts.cmp(&y.ts).then(x.name.cmp(y.name)));
        let mut d = Draft::new("attack_chain", Severity::Critical);
        d.host_name = Some(host.clone());
        d.source_ip = Some(ip.clone());
        d.user_name = Some(user.clone());
        let mut listed = Vec::new();
        let mut prev: Option<i64> = None;
        for s in &steps {
            if let Some((f, l)) = &s.evidence {
                d.add(s.ts, f, *l);
            }
            d.first_seen = d.first_seen.min(s.ts);
            d.last_seen = d.last_seen.max(s.ts);
            listed.push(serde_json::json!({
                "step": s.name,
                "time": format_rfc3339(s.ts),
                "minutes_since_previous": prev.map(|p| (s.ts - p) / 60_000_000),
                "what": s.text,
            }));
            prev = Some(s.ts);
        }
        d.count = steps.len() as u64;
        let names: Vec<&str> = steps.iter().map(|s| s.name).fold(Vec::new(), |mut v, n| {
            if v.last() != Some(&n) {
                v.push(n);
            }
            v
        });
        d = d.detail("steps", serde_json::Value::Array(listed)).detail("stages", names.join(" → "));
        d.title = format!("Attack chain by {ip} as {user} on {host}: {}", names.join(" → "));
        // Evidence in step order, not only by time.
        d.evidence.sort();
        out.push(d);
    }
    Ok(out)
}
