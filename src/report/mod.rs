//! The report: a self-contained `index.html` (inline CSS, no scripts, a Content-Security-Policy
//! that forbids them anyway) with PNG charts beside it. Case summary with every input's hash,
//! findings by severity with why they fired and their evidence lines, attack chains, the top
//! attackers, the period compared with the one before, and the rules as configured.

pub mod charts;
pub mod data;
pub mod html;
pub mod period;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::query::Run;

use crate::correlation::{pivot, series};
use crate::detect::anomaly::{count_outliers, median_mad};
use crate::detect::config::Config;
use crate::detect::finding::{Finding, FindingsDoc, Severity};
use crate::detect::frame;
use crate::error::AnalysisError;
use crate::parse::time::{format_rfc3339, parse_rfc3339_utc};
use crate::query::{write_atomic, CaseData};
use crate::schema::action;
use html::Html;
use period::Period;

/// What was written.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    pub index: PathBuf,
    pub charts: Vec<PathBuf>,
    pub findings: usize,
    pub period: Period,
}

fn span_of(f: &Finding) -> (i64, i64) {
    (parse_rfc3339_utc(&f.first_seen).unwrap_or(0), parse_rfc3339_utc(&f.last_seen).unwrap_or(0))
}

fn sev_badge(h: &mut Html, s: Severity) {
    h.raw(&format!("<span class=\"sev {}\">", s.as_str())).text(s.as_str()).raw("</span> ");
}

/// Writes the report for `period` into `out`.
pub fn write(
    data: &CaseData,
    config: &Config,
    doc: &FindingsDoc,
    period: Period,
    out: &Path,
) -> Result<ReportSummary, AnalysisError> {
    std::fs::create_dir_all(out).map_err(|e| AnalysisError::Write { path: out.to_path_buf(), source: e })?;
    let mut charts: Vec<PathBuf> = Vec::new();
    let mut failed_charts: Vec<String> = Vec::new();
    // Draws one chart into `out/name`: a chart that fails is listed in the report, not fatal.
    let mut keep = |name: &str, draw: &dyn Fn(&Path) -> Result<(), String>| {
        let p = out.join(name);
        match draw(&p) {
            Ok(()) => charts.push(p),
            Err(e) => failed_charts.push(format!("{}: {e}", p.display())),
        }
    };
    let findings: Vec<&Finding> = doc
        .findings
        .iter()
        .filter(|f| {
            let (a, b) = span_of(f);
            !period.explicit || period.contains_span(a, b)
        })
        .collect();
    let span = (period.from, period.to);
    let size = data::bucket_size(&period);

    // Charts.
    let per_source = data::counts(data.events()?, &period, lit(true), col("event_module"), size)?;
    keep("events_over_time.png", &|p| {
        charts::lines(p, "Events per source", &format!("events per {} min", size / 60_000_000), &per_source, span, None)
    });
    let n = config.int("ssh_bruteforce", "min_failures");
    let w = config.int("ssh_bruteforce", "window_minutes");
    // Login attempts from the ledger (each try once), as the brute-force rules count them.
    let fail = col("event_module").eq(lit("auth"));
    // Buckets as long as the brute-force window, so the threshold line compares like with like.
    let window = (w * 60_000_000).max(60_000_000);
    let fail_size = if (period.to - period.from) / window <= 3000 { window } else { size };
    let failures = data::counts(data.attempts()?, &period, fail.clone(), col("host_name"), fail_size)?;
    let threshold_label = format!("brute-force threshold: {n} per {w} min from one address");
    keep("auth_failures.png", &|p| {
        charts::lines(
            p,
            "Login attempts per host",
            &format!("attempts per {} min", fail_size / 60_000_000),
            &failures,
            span,
            Some((n as f64, &threshold_label)),
        )
    });
    let hourly = data::counts(data.attempts()?, &period, fail.clone(), lit("all"), 3_600_000_000)?;
    let mut days: BTreeMap<i64, [f64; 24]> = BTreeMap::new();
    for (t, v) in hourly.values().flatten() {
        days.entry(t.div_euclid(86_400_000_000)).or_insert([0.0; 24])
            [(t.rem_euclid(86_400_000_000) / 3_600_000_000) as usize] += v;
    }
    let cells: Vec<(String, [f64; 24])> =
        days.into_iter().map(|(d, row)| (charts::label_time(d * 86_400_000_000)[..5].to_string(), row)).collect();
    keep("auth_heatmap.png", &|p| charts::heatmap(p, "Login attempts by hour of day and day (UTC)", &cells));
    let top_ips = data::top(data.attempts()?, &period, fail.clone(), "source_ip", 12)?;
    keep("top_source_ips.png", &|p| {
        charts::bars(p, "Top source addresses by login attempts", "login attempts", &top_ips)
    });
    let top_users = data::top(data.attempts()?, &period, fail.clone(), "user_name", 12)?;
    keep("top_users.png", &|p| charts::bars(p, "Most targeted user names", "login attempts", &top_users));
    let per_ip = data::per_value(data.attempts()?, &period, fail.clone(), "source_ip")?;
    let bins: [(u64, u64, &str); 8] = [
        (1, 1, "1"),
        (2, 2, "2"),
        (3, 4, "3-4"),
        (5, 9, "5-9"),
        (10, 19, "10-19"),
        (20, 49, "20-49"),
        (50, 99, "50-99"),
        (100, u64::MAX, "100+"),
    ];
    let hist: Vec<(String, u64)> = bins
        .iter()
        .map(|(lo, hi, l)| (format!("{l} attempts"), per_ip.iter().filter(|c| **c >= *lo && **c <= *hi).count() as u64))
        .collect();
    keep("attempts_per_ip.png", &|p| {
        charts::bars(p, "Distribution of login attempts per source address", "source addresses", &hist)
    });
    let status = when(col("http_response_status_code").lt(lit(300)))
        .then(lit("2xx"))
        .when(col("http_response_status_code").lt(lit(400)))
        .then(lit("3xx"))
        .when(col("http_response_status_code").lt(lit(500)))
        .then(lit("4xx"))
        .otherwise(lit("5xx"));
    let http = data::counts(
        data.events()?,
        &period,
        col("event_action").eq(lit(action::HTTP_REQUEST)).and(col("http_response_status_code").is_not_null()),
        status,
        size,
    )?;
    keep("http_status.png", &|p| {
        charts::lines(
            p,
            "HTTP responses by status class",
            &format!("responses per {} min", size / 60_000_000),
            &http,
            span,
            None,
        )
    });
    // Anomaly series: hourly failures of the busiest host, baseline per hour of day.
    let by_host = data::counts(data.attempts()?, &period, fail.clone(), col("host_name"), 3_600_000_000)?;
    if let Some((host, s)) = by_host.iter().max_by(|a, b| {
        a.1.values().sum::<f64>().partial_cmp(&b.1.values().sum::<f64>()).unwrap_or(std::cmp::Ordering::Equal)
    }) {
        let hour = 3_600_000_000i64;
        let buckets: BTreeMap<i64, f64> = s.iter().map(|(t, v)| (t / hour, *v)).collect();
        let (lo, hi) = (period.from / hour, (period.to - 1) / hour);
        let mut slots: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
        for b in lo..=hi {
            slots.entry(b.rem_euclid(24)).or_default().push(buckets.get(&b).copied().unwrap_or(0.0));
        }
        let base: BTreeMap<i64, (f64, f64)> = slots.iter().map(|(k, v)| (*k, median_mad(v))).collect();
        let points: Vec<(i64, f64, f64, f64)> = (lo..=hi)
            .map(|b| {
                let (m, mad) = base[&b.rem_euclid(24)];
                let x = buckets.get(&b).copied().unwrap_or(0.0);
                (b * hour, x, (m - 3.0 * 1.4826 * mad).max(0.0), m + 3.0 * (1.4826 * mad).max(m.max(1.0).sqrt()))
            })
            .collect();
        let flagged: Vec<(i64, f64)> = count_outliers(
            &buckets,
            hour,
            config.float("volume_anomaly", "min_score"),
            config.float("volume_anomaly", "max_p_value"),
            config.int("volume_anomaly", "min_count") as f64,
        )
        .into_iter()
        .map(|o| (o.bucket * hour, o.observed))
        .collect();
        keep("anomaly.png", &|p| {
            charts::anomaly(
                p,
                &format!("Failed logins per hour on {} with baseline", charts_safe(host)),
                "failures per hour",
                &points,
                &flagged,
            )
        });
    }
    // Correlation matrix of the busiest series.
    let all_series = series::hourly(data)?;
    let mut ranked: Vec<(&String, f64)> = all_series.iter().map(|(k, s)| (k, s.values().sum())).collect();
    ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(b.0)));
    let chosen: Vec<&String> = ranked.iter().take(8).map(|(k, _)| *k).collect();
    let subset: BTreeMap<String, BTreeMap<i64, f64>> =
        chosen.iter().map(|k| ((*k).clone(), all_series[*k].clone())).collect();
    let pairs = series::correlate(&subset);
    let names: Vec<String> = subset.keys().cloned().collect();
    let matrix: Vec<Vec<f64>> = names
        .iter()
        .map(|a| {
            names
                .iter()
                .map(|b| {
                    if a == b {
                        1.0
                    } else {
                        pairs
                            .iter()
                            .find(|p| (&p.a == a && &p.b == b) || (&p.a == b && &p.b == a))
                            .map_or(f64::NAN, |p| p.pearson)
                    }
                })
                .collect()
        })
        .collect();
    keep("correlation.png", &|p| charts::matrix(p, "Pearson correlation of hourly activity", &matrix));

    // The page.
    let mut h = Html::default();
    h.raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.raw("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">");
    h.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    h.text(&format!("logsleuth report — {}", data.case.dir.display()));
    h.raw("</title><style>").raw(html::CSS).raw("</style></head><body><main>");
    h.el("h1", "", "logsleuth incident report");
    h.raw("<p class=\"meta\">").text(&format!(
        "Case {} · period {} to {} (UTC) · generated {} by logsleuth {}",
        data.case.dir.display(),
        format_rfc3339(period.from),
        format_rfc3339(period.to - 1),
        doc.generated_at,
        env!("CARGO_PKG_VERSION")
    ));
    h.raw("</p><nav><a href=\"#findings\">Findings</a><a href=\"#chains\">Attack chains</a><a href=\"#attackers\">Top attackers</a><a href=\"#charts\">Charts</a><a href=\"#compare\">Comparison</a><a href=\"#case\">Case</a><a href=\"#method\">Method</a></nav>");

    // Summary counts.
    let mut by_sev: BTreeMap<std::cmp::Reverse<Severity>, usize> = BTreeMap::new();
    for f in &findings {
        *by_sev.entry(std::cmp::Reverse(f.severity)).or_default() += 1;
    }
    let modules = data::per_module(data, &period)?;
    h.el("h2", "", "Summary");
    let mut rows = vec![vec!["events in period".to_string(), modules.values().sum::<u64>().to_string()]];
    for (s, n) in &by_sev {
        rows.push(vec![format!("{} findings", s.0.as_str()), n.to_string()]);
    }
    h.table("summary", &["", "count"], &rows);

    // Findings.
    let evidence_keys: Vec<(String, i64)> =
        findings.iter().flat_map(|f| f.evidence.iter().map(|e| (e.file.clone(), e.line))).collect();
    let raw = data::lines(data, &evidence_keys)?;
    h.raw("<h2 id=\"findings\">").text(&format!("Findings ({})", findings.len())).raw("</h2>");
    for f in &findings {
        h.raw("<div class=\"finding\"><h3>");
        sev_badge(&mut h, f.severity);
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
            .filter(|(k, _)| !k.starts_with("threshold_") && *k != "steps" && *k != "sightings")
            .map(|(k, v)| format!("{k} = {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect();
        if !observed.is_empty() {
            h.text(&format!(" Observed: {}.", observed.join("; ")));
        }
        h.raw("</p>");
        let rows: Vec<Vec<String>> = f
            .evidence
            .iter()
            .map(|e| {
                vec![format!("{}:{}", e.file, e.line), raw.get(&(e.file.clone(), e.line)).cloned().unwrap_or_default()]
            })
            .collect();
        if !rows.is_empty() {
            h.table("evidence", &["file:line", "log line"], &rows);
        }
        h.raw("</div>");
    }

    // Attack chains.
    h.raw("<h2 id=\"chains\">Attack chains</h2>");
    let chains: Vec<&&Finding> = findings.iter().filter(|f| f.rule == "attack_chain").collect();
    if chains.is_empty() {
        h.el("p", "meta", "No attack chain: no login succeeded after a run of failures.");
    }
    for c in chains {
        h.el("h3", "", &c.title);
        let rows: Vec<Vec<String>> = c
            .details
            .get("steps")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
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

    // Top attackers.
    h.raw("<h2 id=\"attackers\">Top attackers</h2>");
    let mut score: BTreeMap<String, (Severity, usize)> = BTreeMap::new();
    for f in &findings {
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

    // Charts.
    h.raw("<h2 id=\"charts\">Charts</h2>");
    for c in &charts {
        let name = c.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        h.raw("<img src=\"").text(&name).raw("\" alt=\"").text(&name).raw("\">");
        if name == "correlation.png" {
            let legend: Vec<Vec<String>> =
                names.iter().enumerate().map(|(i, n)| vec![(i + 1).to_string(), n.clone()]).collect();
            h.table("legend", &["series #", "hourly counts of"], &legend);
        }
    }
    for e in &failed_charts {
        h.el("p", "meta", &format!("chart not drawn: {e}"));
    }

    // Comparison with the previous period.
    h.raw("<h2 id=\"compare\">Compared with the previous period</h2>");
    if period.explicit {
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
        let new = data::new_ips(data, &period)?;
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
    } else {
        h.el(
            "p",
            "meta",
            "The whole case is reported; give --last 7d (or --from/--to) to compare a period with the one before it.",
        );
    }

    // Case summary.
    h.raw("<h2 id=\"case\">Case and inputs</h2>");
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
    time_basis(&mut h, &data.manifest.inputs);
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
                time_of(i),
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

    // Method.
    h.raw("<h2 id=\"method\">Method: rules and thresholds as configured</h2>");
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
    h.raw("</main></body></html>\n");

    let index = out.join("index.html");
    write_atomic(&index, |tmp| {
        std::fs::write(tmp, &h.buf).map_err(|e| AnalysisError::Write { path: tmp.to_path_buf(), source: e })
    })?;
    Ok(ReportSummary { index, charts, findings: findings.len(), period })
}

fn charts_safe(s: &str) -> String {
    crate::sanitize::terminal(s).into_owned()
}

/// Oldest and newest event of the case (UTC micros).
pub fn span(data: &CaseData) -> Result<(i64, i64), AnalysisError> {
    let ts = col("timestamp").cast(DataType::Int64);
    let df = data.events()?.select([ts.clone().min().alias("a"), ts.max().alias("b")]).run()?;
    Ok((frame::ints(&df, "a")?[0].unwrap_or(0), frame::ints(&df, "b")?[0].unwrap_or(0)))
}

/// How an input's zone-less and year-less times were decided, for the inputs table.
fn time_of(i: &crate::ingest::manifest::InputRecord) -> String {
    let mut parts = Vec::new();
    if let (Some(z), Some(s)) = (&i.tz, &i.tz_source) {
        parts.push(format!("zone {z} ({s})"));
    }
    if let Some(y) = &i.year_source {
        parts.push(format!("year {y}{}", if i.year_uncertain { ", UNCERTAIN" } else { "" }));
    }
    parts.join("; ")
}

/// Warnings about time above the inputs table: years moved or uncertain, zone settings with
/// trouble, and files whose lines were mostly not understood (their silence is not absence).
fn time_basis(h: &mut html::Html, inputs: &[crate::ingest::manifest::InputRecord]) {
    let mut notes: Vec<String> = Vec::new();
    for i in inputs {
        if i.year_uncertain {
            notes.push(format!("Year uncertain for {}: {}", i.path, i.year_note.as_deref().unwrap_or("")));
        } else if i.year_source.as_deref() == Some("cross_source") {
            notes.push(format!("Year cross-checked for {}: {}", i.path, i.year_note.as_deref().unwrap_or("")));
        }
    }
    let mut zone_notes: Vec<String> = inputs
        .iter()
        .filter_map(|i| Some(format!("Zone of {}: {}", i.host_name.as_deref()?, i.tz_note.as_deref()?)))
        .collect();
    zone_notes.sort();
    zone_notes.dedup();
    notes.extend(zone_notes);
    for i in inputs.iter().filter(|i| crate::ingest::is_not_understood(i)) {
        notes.push(format!(
            "Not understood: {} ({}): {} of {} lines are rejects; events from it may be missing",
            i.path,
            i.format.as_deref().unwrap_or("unknown"),
            i.rejects,
            i.lines
        ));
    }
    if notes.is_empty() {
        return;
    }
    h.raw("<ul class=\"time-basis\">");
    for n in notes {
        h.el("li", "", &n);
    }
    h.raw("</ul>");
}
