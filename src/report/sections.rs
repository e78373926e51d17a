//! The report's sections, each rendered from data gathered beforehand: the first screen
//! (incidents in rank order with their story, strip and key lines; the overview picture;
//! counts), suppressions, the findings grouped by incident and rule, the top attackers, the
//! charts, the comparison with the previous period, the case and its inputs, and the method.
//! Navigation is plain anchors and `<details>`: no scripts (the page's CSP forbids them).

use std::collections::{BTreeMap, BTreeSet};

use super::html::Html;
use super::period::Period;
use super::{data, span_of, Charts};
use crate::correlation::pivot;
use crate::detect::config::Config;
use crate::detect::finding::{Finding, FindingsDoc, Severity};
use crate::error::AnalysisError;
use crate::parse::time::{format_rfc3339, parse_rfc3339_utc};
use crate::query::CaseData;
use crate::triage::incidents::Incident;

/// Raw log lines by (file, line), for evidence tables.
pub type Lines = BTreeMap<(String, i64), String>;

fn sev_badge(h: &mut Html, s: Severity) {
    h.raw(&format!("<span class=\"sev {}\">", s.as_str())).text(s.as_str()).raw("</span> ");
}

fn anchor(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

/// The page head, title line and navigation.
pub fn head(h: &mut Html, data: &CaseData, doc: &FindingsDoc, period: &Period) {
    h.raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.raw("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">");
    h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    h.text(&format!("logsleuth report — {}", data.case.dir.display()));
    h.raw("</title><style>").raw(super::html::CSS).raw("</style></head><body><main>");
    h.el("h1", "", "logsleuth incident report");
    h.raw("<p class=\"meta\">").text(&format!(
        "Case {} · period {} to {} (UTC) · generated {} by logsleuth {}",
        data.case.dir.display(),
        format_rfc3339(period.from),
        format_rfc3339(period.to - 1),
        doc.generated_at,
        env!("CARGO_PKG_VERSION")
    ));
    h.raw("</p><nav><a href=\"#incidents\">Incidents</a><a href=\"#overview\">Overview</a><a href=\"#findings\">Findings</a><a href=\"#suppressed\">Suppressed</a><a href=\"#attackers\">Top attackers</a><a href=\"#charts\">Charts</a><a href=\"#compare\">Comparison</a><a href=\"#case\">Case</a><a href=\"#method\">Method</a></nav>");
}

/// A strip of the incident's span with a bar per finding in its severity's colour (plain
/// positioned boxes: no script, no SVG).
fn strip(h: &mut Html, inc: &Incident, by_id: &BTreeMap<&str, &Finding>) {
    let (a, b) = (parse_rfc3339_utc(&inc.first_seen).unwrap_or(0), parse_rfc3339_utc(&inc.last_seen).unwrap_or(0));
    let width = (b - a).max(1) as f64;
    h.raw(&format!(
        "<div class=\"strip\" title=\"{} to {}\">",
        crate::sanitize::html(&inc.first_seen),
        crate::sanitize::html(&inc.last_seen)
    ));
    for id in &inc.finding_ids {
        let Some(f) = by_id.get(id.as_str()) else { continue };
        let (s, _) = span_of(f);
        // A mark where the finding starts, stretched over its span when that is short (a finding
        // that spans the whole incident would hide the others).
        let x0 = ((s - a) as f64 / width * 100.0).clamp(0.0, 99.4);
        let x1 = x0 + 0.6;
        h.raw(&format!(
            "<span class=\"{}\" style=\"left:{x0:.2}%;width:{:.2}%\"></span>",
            f.severity.as_str(),
            x1 - x0
        ));
    }
    h.raw("</div>");
}

/// The first screen: what happened, incident by incident in rank order.
pub fn incidents(h: &mut Html, incidents: &[&Incident], findings: &[&Finding], raw: &Lines, shown: usize) {
    let by_id: BTreeMap<&str, &Finding> = findings.iter().map(|f| (f.id.as_str(), *f)).collect();
    let real: Vec<&&Incident> = incidents.iter().filter(|i| !i.noise).collect();
    h.raw("<h2 id=\"incidents\">").text(&format!("What happened: {} incidents, by rank", real.len())).raw("</h2>");
    if real.is_empty() {
        h.el("p", "meta", "No incident in this period.");
    }
    // At a glance: one line each, linking to the incident below.
    h.raw("<table class=\"glance\"><thead><tr><th>#</th><th>severity</th><th>incident</th><th>hosts</th><th>first seen (UTC)</th><th>findings</th></tr></thead><tbody>");
    for inc in real.iter().take(shown) {
        h.raw("<tr><td>").text(&inc.rank.to_string()).raw("</td><td>");
        sev_badge(h, inc.severity);
        h.raw(&format!("</td><td><a href=\"#{}\">", anchor(&inc.id))).text(&inc.title).raw("</a></td><td>");
        let first = inc.first_seen.get(..16).unwrap_or(&inc.first_seen).replace('T', " ");
        h.text(&inc.hosts.join(", ")).raw("</td><td>").text(&first).raw("</td><td>");
        h.text(&inc.finding_ids.len().to_string()).raw("</td></tr>");
    }
    h.raw("</tbody></table>");
    for inc in real.iter().take(shown) {
        h.raw(&format!("<div class=\"incident {}\" id=\"{}\"><h3>", inc.severity.as_str(), anchor(&inc.id)));
        h.text(&format!("#{} ", inc.rank));
        sev_badge(h, inc.severity);
        h.text(&inc.title).raw("</h3><p class=\"meta\">");
        let actors: Vec<String> = inc.actors.iter().map(|a| format!("{} {}", a.kind, a.value)).collect();
        h.text(&format!(
            "{} · hosts {} · {} to {} · {} findings · {}",
            actors.join(", "),
            inc.hosts.join(", "),
            inc.first_seen,
            inc.last_seen,
            inc.finding_ids.len(),
            inc.id
        ));
        h.raw("</p>");
        if let Some(r) = &inc.severity_reason {
            h.raw("<p class=\"why\"><b>Why ").text(inc.severity.as_str()).raw(":</b> ").text(r).raw("</p>");
        }
        h.el("p", "narrative", &inc.narrative);
        strip(h, inc, &by_id);
        let rows: Vec<Vec<String>> = inc
            .key_evidence
            .iter()
            .map(|e| {
                vec![format!("{}:{}", e.file, e.line), raw.get(&(e.file.clone(), e.line)).cloned().unwrap_or_default()]
            })
            .collect();
        if !rows.is_empty() {
            h.table("evidence", &["key evidence", "log line"], &rows);
        }
        h.raw(&format!("<p class=\"meta\"><a href=\"#f-{}\">its findings</a></p></div>", anchor(&inc.id)));
    }
    if real.len() > shown {
        h.raw("<details><summary>").text(&format!("{} more incidents", real.len() - shown)).raw("</summary>");
        let rows: Vec<Vec<String>> = real
            .iter()
            .skip(shown)
            .map(|i| {
                vec![
                    format!("#{}", i.rank),
                    i.severity.as_str().to_string(),
                    i.title.clone(),
                    i.hosts.join(", "),
                    i.first_seen.clone(),
                    i.finding_ids.len().to_string(),
                ]
            })
            .collect();
        h.table("more-incidents", &["rank", "severity", "title", "hosts", "first seen", "findings"], &rows);
        h.raw("</details>");
    }
}

/// The overview picture and the counts that follow the incidents.
pub fn overview(h: &mut Html, charts: &Charts, incidents: &[&Incident], findings: &[&Finding], events: u64) {
    h.raw("<h2 id=\"overview\">Overview</h2>");
    if charts.drawn.iter().any(|p| p.ends_with("overview.png")) {
        h.raw("<img src=\"overview.png\" alt=\"incidents on a time axis across hosts, with event volume behind\">");
    }
    let mut rows = vec![vec!["events in period".to_string(), events.to_string()]];
    for s in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low] {
        let n = incidents.iter().filter(|i| !i.noise && i.severity == s).count();
        rows.push(vec![format!("{} incidents", s.as_str()), n.to_string()]);
    }
    let summaries: Vec<&&Finding> = findings.iter().filter(|f| f.rule == crate::triage::noise::RULE).collect();
    let folded = findings.iter().filter(|f| f.noise).count();
    rows.push(vec!["background noise".into(), format!("{folded} findings folded into {} summaries", summaries.len())]);
    let suppressed = findings.iter().filter(|f| f.suppressed.is_some()).count();
    rows.push(vec!["suppressed findings".into(), suppressed.to_string()]);
    rows.push(vec!["findings in all".into(), findings.len().to_string()]);
    h.table("summary", &["", "count"], &rows);
    if !summaries.is_empty() {
        h.el("h3", "", "Background noise, summarised");
        for s in summaries {
            h.raw("<details class=\"noise\"><summary>").text(&s.title).raw("</summary><p class=\"meta\">");
            let list = |k: &str| -> String {
                s.details
                    .get(k)
                    .and_then(|v| v.as_array())
                    .map_or(String::new(), |a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", "))
            };
            h.text(&format!("Top addresses: {}", list("top_addresses"))).raw("</p><p class=\"meta\">");
            h.text(&format!("All addresses: {}", list("addresses"))).raw("</p></details>");
        }
    }
}

/// The suppression entries in force and the findings they muted, still visible here.
pub fn suppressions(h: &mut Html, doc: &FindingsDoc, findings: &[&Finding]) {
    h.raw("<h2 id=\"suppressed\">Suppressions</h2>");
    if doc.suppressions.is_empty() {
        h.el("p", "meta", "No suppression file was given (--suppress FILE).");
        return;
    }
    let rows: Vec<Vec<String>> = doc
        .suppressions
        .iter()
        .map(|s| vec![s.entry.to_string(), s.matches.clone(), s.reason.clone(), s.muted.to_string()])
        .collect();
    h.el("p", "meta", &format!("From {}:", doc.suppressions[0].file));
    h.table("suppressions", &["entry", "matches", "reason", "findings muted"], &rows);
    let muted: Vec<Vec<String>> = findings
        .iter()
        .filter_map(|f| {
            let s = f.suppressed.as_ref()?;
            Some(vec![
                f.severity.as_str().to_string(),
                f.title.clone(),
                f.id.clone(),
                format!("entry {}: {}", s.entry, s.reason),
            ])
        })
        .collect();
    if !muted.is_empty() {
        h.table("suppressed", &["severity", "finding (suppressed)", "id", "muted by"], &muted);
    }
}

/// One finding in full: why it fired, what was observed, its evidence lines.
fn finding(h: &mut Html, config: &Config, f: &Finding, raw: &Lines) {
    h.raw(&format!("<div class=\"finding\" id=\"{}\"><h3>", anchor(&f.id)));
    sev_badge(h, f.severity);
    h.text(&f.title).raw("</h3><p class=\"meta\">");
    h.text(&format!(
        "rule {} · id {} · {} to {} · count {}{}{}{}",
        f.rule,
        f.id,
        f.first_seen,
        f.last_seen,
        f.count,
        f.host_name.as_deref().map(|x| format!(" · host {x}")).unwrap_or_default(),
        f.source_ip.as_deref().map(|x| format!(" · source {x}")).unwrap_or_default(),
        f.user_name.as_deref().map(|x| format!(" · user {x}")).unwrap_or_default(),
    ));
    h.raw("</p><p class=\"why\"><b>Why it fired:</b> ");
    h.text(&config.description(&f.rule));
    let thresholds: Vec<String> =
        config.params(&f.rule).into_iter().map(|(k, v)| format!("{k} = {}", v.to_sql())).collect();
    if !thresholds.is_empty() {
        h.text(&format!(" Thresholds: {}.", thresholds.join(", ")));
    }
    let observed: Vec<String> = f
        .details
        .iter()
        .filter(|(k, _)| !k.starts_with("threshold_") && !["steps", "sightings", "addresses"].contains(&k.as_str()))
        .map(|(k, v)| format!("{k} = {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
        .collect();
    if !observed.is_empty() {
        h.text(&format!(" Observed: {}.", observed.join("; ")));
    }
    h.raw("</p>");
    if let Some(steps) = f.details.get("steps").and_then(|s| s.as_array()) {
        let rows: Vec<Vec<String>> = steps
            .iter()
            .map(|s| {
                vec![
                    s["time"].as_str().unwrap_or("").to_string(),
                    s["step"].as_str().unwrap_or("").to_string(),
                    s["minutes_since_previous"].as_i64().map(|m| format!("+{m} min")).unwrap_or_default(),
                    s["what"].as_str().unwrap_or("").to_string(),
                ]
            })
            .collect();
        h.table("chain", &["time (UTC)", "step", "after", "what"], &rows);
    }
    let rows: Vec<Vec<String>> = f
        .evidence
        .iter()
        .map(|e| {
            let at = match &e.record {
                Some(r) => format!("{}:{} ({r})", e.file, e.line),
                None => format!("{}:{}", e.file, e.line),
            };
            vec![at, raw.get(&(e.file.clone(), e.line)).cloned().unwrap_or_default()]
        })
        .collect();
    if !rows.is_empty() {
        h.table("evidence", &["file:line", "log line"], &rows);
    }
    h.raw("</div>");
}

/// Every finding, grouped by incident (in rank order) and then by rule, each group folded.
pub fn findings(h: &mut Html, config: &Config, incidents: &[&Incident], findings: &[&Finding], raw: &Lines) {
    h.raw("<h2 id=\"findings\">").text(&format!("Findings ({}), by incident and rule", findings.len())).raw("</h2>");
    let by_id: BTreeMap<&str, &Finding> = findings.iter().map(|f| (f.id.as_str(), *f)).collect();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    for inc in incidents {
        let members: Vec<&Finding> = inc.finding_ids.iter().filter_map(|id| by_id.get(id.as_str()).copied()).collect();
        if members.is_empty() {
            continue;
        }
        h.raw(&format!(
            "<details class=\"group\" id=\"f-{}\"{}><summary>",
            anchor(&inc.id),
            if inc.rank <= 3 { " open" } else { "" }
        ));
        h.text(&format!("#{} {} — {} findings", inc.rank, inc.title, members.len())).raw("</summary>");
        let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in &members {
            by_rule.entry(f.rule.as_str()).or_default().push(f);
            placed.insert(f.id.as_str());
        }
        for (rule, fs) in by_rule {
            h.raw("<details class=\"rule\"><summary>").text(&format!("{rule} ({})", fs.len())).raw("</summary>");
            for f in fs {
                finding(h, config, f, raw);
            }
            h.raw("</details>");
        }
        h.raw("</details>");
    }
    let rest: Vec<&&Finding> = findings.iter().filter(|f| !placed.contains(f.id.as_str())).collect();
    if !rest.is_empty() {
        h.raw("<details class=\"group\"><summary>")
            .text(&format!("Not in an incident (suppressed): {}", rest.len()))
            .raw("</summary>");
        for f in rest {
            finding(h, config, f, raw);
        }
        h.raw("</details>");
    }
}

/// The five addresses named by the most severe findings, with what they did.
pub fn attackers(h: &mut Html, data: &CaseData, findings: &[&Finding]) -> Result<(), AnalysisError> {
    h.raw("<h2 id=\"attackers\">Top attackers</h2>");
    let mut score: BTreeMap<String, (Severity, usize)> = BTreeMap::new();
    for f in findings.iter().filter(|f| !f.noise && f.suppressed.is_none()) {
        if let Some(ip) = &f.source_ip {
            let e = score.entry(ip.clone()).or_insert((f.severity, 0));
            e.0 = e.0.max(f.severity);
            e.1 += 1;
        }
    }
    let mut top: Vec<(String, (Severity, usize))> = score.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (ip, _) in top.iter().take(5) {
        let p = pivot::build(data, pivot::Kind::Ip, ip)?;
        h.el(
            "h3",
            "",
            &format!(
                "{ip}: {} events, {} to {}",
                p.events,
                p.first_seen.as_deref().unwrap_or("-"),
                p.last_seen.as_deref().unwrap_or("-")
            ),
        );
        let rows: Vec<Vec<String>> = p
            .activity
            .iter()
            .map(|a| {
                vec![
                    a.host_name.clone(),
                    a.source.clone(),
                    a.action.clone(),
                    a.count.to_string(),
                    a.first_seen.clone(),
                    a.last_seen.clone(),
                ]
            })
            .collect();
        h.table("activity", &["host", "source", "action", "events", "first", "last"], &rows);
        let list = |c: &[pivot::Count]| {
            c.iter().take(10).map(|x| format!("{} ({})", x.value, x.count)).collect::<Vec<_>>().join(", ")
        };
        if !p.users.is_empty() {
            h.raw("<p class=\"meta\"><b>Users tried:</b> ").text(&list(&p.users)).raw("</p>");
        }
        if !p.paths.is_empty() {
            h.raw("<p class=\"meta\"><b>Paths requested:</b> ").text(&list(&p.paths)).raw("</p>");
        }
        if !p.ports.is_empty() {
            h.raw("<p class=\"meta\"><b>Ports hit:</b> ").text(&list(&p.ports)).raw("</p>");
        }
    }
    Ok(())
}

/// The charts, each with its caption; the correlation matrix with its series named.
pub fn charts(h: &mut Html, charts: &Charts) {
    h.raw("<h2 id=\"charts\">Charts</h2>");
    for c in charts.drawn.iter().filter(|p| !p.ends_with("overview.png")) {
        let name = c.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        h.raw("<figure><img src=\"").text(&name).raw("\" alt=\"").text(&name).raw("\">");
        if let Some(caption) = charts.captions.get(&name) {
            h.el("figcaption", "meta", caption);
        }
        h.raw("</figure>");
        if name == "correlation.png" {
            let legend: Vec<Vec<String>> =
                charts.series.iter().enumerate().map(|(i, n)| vec![(i + 1).to_string(), n.clone()]).collect();
            h.table("legend", &["series #", "hourly counts of"], &legend);
        }
    }
    for e in &charts.failed {
        h.el("p", "meta", &format!("chart not drawn: {e}"));
    }
}

/// This period against the one before it (rules, sources, new addresses).
pub fn compare(
    h: &mut Html,
    data: &CaseData,
    doc: &FindingsDoc,
    findings: &[&Finding],
    period: &Period,
    modules: &BTreeMap<String, u64>,
) -> Result<(), AnalysisError> {
    h.raw("<h2 id=\"compare\">Compared with the previous period</h2>");
    if !period.explicit {
        h.el(
            "p",
            "meta",
            "The whole case is reported; give --last 7d (or --from/--to) to compare a period with the one before it.",
        );
        return Ok(());
    }
    let prev = period.previous();
    let prev_findings: Vec<&Finding> = doc.findings.iter().filter(|f| prev.contains(span_of(f).0)).collect();
    let cur_findings: Vec<&&Finding> = findings.iter().filter(|f| period.contains(span_of(f).0)).collect();
    h.el(
        "p",
        "meta",
        &format!(
            "This period: {} to {}; previous: {} to {}.",
            format_rfc3339(period.from),
            format_rfc3339(period.to - 1),
            format_rfc3339(prev.from),
            format_rfc3339(prev.to - 1)
        ),
    );
    let mut rules: BTreeSet<&str> = BTreeSet::new();
    rules.extend(prev_findings.iter().map(|f| f.rule.as_str()));
    rules.extend(cur_findings.iter().map(|f| f.rule.as_str()));
    let trend = |a: usize, b: usize| {
        if b > a {
            format!("▲ +{}", b - a)
        } else if b < a {
            format!("▼ -{}", a - b)
        } else {
            "=".into()
        }
    };
    let rows: Vec<Vec<String>> = rules
        .iter()
        .map(|r| {
            let a = prev_findings.iter().filter(|f| f.rule == *r).count();
            let b = cur_findings.iter().filter(|f| f.rule == *r).count();
            vec![r.to_string(), a.to_string(), b.to_string(), trend(a, b)]
        })
        .collect();
    h.table("compare-rules", &["rule", "previous", "this period", "change"], &rows);
    let prev_mod = data::per_module(data, &prev)?;
    let mut mods: BTreeSet<&String> = prev_mod.keys().collect();
    mods.extend(modules.keys());
    let rows: Vec<Vec<String>> = mods
        .iter()
        .map(|m| {
            let a = prev_mod.get(*m).copied().unwrap_or(0) as usize;
            let b = modules.get(*m).copied().unwrap_or(0) as usize;
            vec![m.to_string(), a.to_string(), b.to_string(), trend(a, b)]
        })
        .collect();
    h.table("compare-sources", &["source", "previous events", "this period", "change"], &rows);
    let new = data::new_ips(data, period)?;
    h.el(
        "p",
        "",
        &format!(
            "{} source addresses appear for the first time in this period{}",
            new.len(),
            if new.is_empty() { "." } else { ":" }
        ),
    );
    if !new.is_empty() {
        h.el("p", "meta", &new.iter().take(100).cloned().collect::<Vec<_>>().join(", "));
    }
    Ok(())
}

/// The case: ingest runs, how time was decided, and every input with its hash.
/// The last deliveries of this case's reports (`deliveries.jsonl`): when, how, to where, and
/// the result. This report's own delivery happens after it is written, so it shows in the next.
fn deliveries(h: &mut Html, data: &CaseData) {
    const SHOWN: usize = 10;
    let Ok(text) = std::fs::read_to_string(data.case.dir.join("deliveries.jsonl")) else { return };
    let all: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    if all.is_empty() {
        return;
    }
    let s = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let rows: Vec<Vec<String>> = all
        .iter()
        .rev()
        .take(SHOWN)
        .map(|d| {
            let to = d
                .get("recipients")
                .and_then(|r| r.as_array())
                .map(|r| r.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", "));
            let result = if d.get("ok").and_then(|x| x.as_bool()) == Some(true) {
                format!(
                    "delivered{}",
                    d.get("answer").and_then(|x| x.as_str()).map(|a| format!(" ({a})")).unwrap_or_default()
                )
            } else {
                format!("failed: {}", s(d, "error"))
            };
            vec![s(d, "time"), s(d, "kind"), s(d, "target"), to.unwrap_or_default(), result]
        })
        .collect();
    h.el(
        "p",
        "meta",
        &format!("Deliveries of this case's reports: the last {} of {} (deliveries.jsonl).", rows.len(), all.len()),
    );
    h.table("deliveries", &["time", "kind", "to", "recipients", "result"], &rows);
}

pub fn case(h: &mut Html, data: &CaseData) {
    h.raw("<h2 id=\"case\">Case and inputs</h2>");
    match crate::ingest::verify::Verification::load(&data.case.dir) {
        Some(v) => {
            h.raw("<p class=\"verify\"><b>Chain of custody:</b> ").text(&format!(
                "last verified {}: {} (manifest SHA-256 {}).",
                v.verified_at,
                v.headline(),
                v.manifest_sha256
            ));
            h.raw("</p>");
            let rows: Vec<Vec<String>> = v
                .checks
                .iter()
                .filter(|c| c.status != "unchanged")
                .map(|c| {
                    vec![
                        c.status.clone(),
                        c.kind.clone(),
                        c.path.clone(),
                        c.recorded_sha256.clone().unwrap_or_default(),
                        c.sha256.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            if !rows.is_empty() {
                h.table("verify", &["status", "kind", "file", "recorded SHA-256", "SHA-256 now"], &rows);
            }
        }
        None => {
            h.el("p", "meta", "Chain of custody: not verified yet (logsleuth verify --case DIR re-hashes the inputs, parts and derived files).");
        }
    }
    h.raw("<p class=\"meta\">").text(&format!("Ingest command: {}", data.manifest.command)).raw("</p>");
    let runs: Vec<Vec<String>> = data
        .manifest
        .runs
        .iter()
        .map(|r| {
            vec![
                r.run.to_string(),
                r.started_at.clone(),
                r.command.clone(),
                r.files_added.to_string(),
                r.events_added.to_string(),
                r.rejects_added.to_string(),
            ]
        })
        .collect();
    h.table("runs", &["run", "started", "command", "files", "events", "rejects"], &runs);
    deliveries(h, data);
    super::time_basis(h, &data.manifest.inputs);
    let inputs: Vec<Vec<String>> = data
        .manifest
        .inputs
        .iter()
        .map(|i| {
            vec![
                i.path.clone(),
                i.host_name.clone().unwrap_or_default(),
                i.size.to_string(),
                i.sha256.clone().unwrap_or_default(),
                i.format.clone().unwrap_or_default(),
                super::time_of(i),
                i.lines.to_string(),
                i.events.to_string(),
                i.rejects.to_string(),
                if i.damaged { format!("damaged: {}", i.error.clone().unwrap_or_default()) } else { String::new() },
                i.duplicate_of.clone().map(|d| format!("duplicate of {d}")).or(i.skipped.clone()).unwrap_or_default(),
            ]
        })
        .collect();
    h.table(
        "inputs",
        &["file", "host", "bytes", "SHA-256", "format", "time basis", "lines", "events", "rejects", "damage", "note"],
        &inputs,
    );
}

/// The severity policy, as the report states it (the same as `docs/triage.md`).
pub const SEVERITY_POLICY: &[(&str, &str)] = &[
    ("critical", "Access gained after an attack and followed by more: privilege, persistence, downloads, lateral movement, data out or logs tampered (an attack chain)."),
    ("high", "Needs a stated reason (details.severity_reason): a login that worked after a run of failures from its address; accounts or crontabs changed soon after such a login; the first shell a user runs through sudo; a download, password hashes read or logging touched through sudo; far more bytes to one address than usual; a regular log falling silent; an attack request answered 2xx; an analyst's rule that gives a severity_reason; or a Sigma rule whose level is high (critical keeps critical)."),
    ("medium", "Attacks and probes without success however many (brute force, spraying, scans), sightings across sources, statistical outliers of counts."),
    ("low", "Routine administration (sudo commands the same user ran on other days, package management), rare events, background noise summaries."),
];

/// The rules and triage as configured, and the severity policy.
pub fn method(h: &mut Html, config: &Config) {
    h.raw("<h2 id=\"method\">Method: severity, rules and thresholds as configured</h2>");
    let policy: Vec<Vec<String>> = SEVERITY_POLICY.iter().map(|(s, p)| vec![s.to_string(), p.to_string()]).collect();
    h.table("policy", &["severity", "when"], &policy);
    let rows: Vec<Vec<String>> = config
        .descriptions
        .keys()
        .map(|r| {
            vec![
                r.clone(),
                config.description(r),
                config
                    .params(r)
                    .into_iter()
                    .map(|(k, v)| format!("{k} = {}", v.to_sql()))
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    h.table("method", &["rule", "what it looks for", "thresholds"], &rows);
}

/// The Sigma rule sets detect ran (`--sigma`): paths, mapping, each file with its SHA-256 (to
/// reproduce the run), and what compiled, by logsource and by reason for skipping.
pub fn sigma(h: &mut Html, doc: &FindingsDoc) {
    let Some(u) = &doc.sigma else { return };
    h.raw("<h3 id=\"sigma\">Sigma rule sets</h3>");
    h.el(
        "p",
        "meta",
        &format!(
            "From {} ({} file(s)), mapping {}: {} rule(s) compiled, {} skipped.",
            u.paths.join(", "),
            u.files.len(),
            u.mapping,
            u.compiled,
            u.skipped
        ),
    );
    let coverage: Vec<Vec<String>> =
        u.by_logsource.iter().map(|(ls, (c, s))| vec![ls.clone(), c.to_string(), s.to_string()]).collect();
    h.table("sigma-coverage", &["logsource", "compiled", "skipped"], &coverage);
    if !u.skipped_by_reason.is_empty() {
        let reasons: Vec<Vec<String>> = u
            .skipped_by_reason
            .iter()
            .map(|(k, n)| {
                let example = u
                    .rules
                    .iter()
                    .find(|r| r.reason_kind.as_deref() == Some(k.as_str()))
                    .and_then(|r| r.reason.clone())
                    .unwrap_or_default();
                vec![k.clone(), n.to_string(), example]
            })
            .collect();
        h.table("sigma-skipped", &["skipped because", "rules", "for example"], &reasons);
    }
    let files: Vec<Vec<String>> =
        u.files.iter().map(|f| vec![f.path.clone(), f.rules.to_string(), f.sha256.clone()]).collect();
    h.table("sigma-files", &["rule file", "rules", "SHA-256"], &files);
}
