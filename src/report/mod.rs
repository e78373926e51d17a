//! The report: a self-contained `index.html` (inline CSS, no scripts, a Content-Security-Policy
//! that forbids them anyway) with PNG charts beside it. Case summary with every input's hash,
//! findings by severity with why they fired and their evidence lines, attack chains, the top
//! attackers, the period compared with the one before, and the rules as configured.

pub mod charts;
pub mod data;
pub mod html;
pub mod period;
pub mod sections;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::query::Run;

use crate::correlation::series;
use crate::detect::anomaly::{count_outliers, median_mad};
use crate::detect::config::Config;
use crate::detect::finding::{Finding, FindingsDoc};
use crate::error::AnalysisError;
use crate::parse::time::parse_rfc3339_utc;
use crate::query::frame;
use crate::query::CaseData;
use crate::schema::action;
use crate::store::files::write_atomic;
use crate::triage::incidents::{Incident, IncidentsDoc};
use html::Html;
use period::Period;

/// What was written.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    pub index: PathBuf,
    pub charts: Vec<PathBuf>,
    pub findings: usize,
    pub incidents: usize,
    /// Events in the period.
    pub events: u64,
    pub period: Period,
}

fn span_of(f: &Finding) -> (i64, i64) {
    (parse_rfc3339_utc(&f.first_seen).unwrap_or(0), parse_rfc3339_utc(&f.last_seen).unwrap_or(0))
}

/// The charts drawn for a report.
#[derive(Debug, Default)]
pub struct Charts {
    pub drawn: Vec<PathBuf>,
    /// Charts that could not be drawn, with why (listed in the report, not fatal).
    pub failed: Vec<String>,
    /// What one bar, point or cell of each chart is, by file name.
    pub captions: BTreeMap<String, String>,
    /// The correlation matrix's series, in its order.
    pub series: Vec<String>,
}

impl Charts {
    /// Draws one chart into `out/name`.
    fn keep(&mut self, out: &Path, name: &str, caption: &str, draw: &dyn Fn(&Path) -> Result<(), String>) {
        let p = out.join(name);
        match draw(&p) {
            Ok(()) => {
                self.drawn.push(p);
                self.captions.insert(name.to_string(), caption.to_string());
            }
            Err(e) => self.failed.push(format!("{}: {e}", p.display())),
        }
    }
}

/// Writes the report for `period` into `out`: data gathered first (findings and incidents of
/// the period, charts, evidence lines), then each section rendered in order.
pub fn write(
    data: &CaseData,
    config: &Config,
    doc: &FindingsDoc,
    incidents: &IncidentsDoc,
    period: Period,
    out: &Path,
    single_file: bool,
) -> Result<ReportSummary, AnalysisError> {
    std::fs::create_dir_all(out).map_err(|e| AnalysisError::Write { path: out.to_path_buf(), source: e })?;
    let in_period = |a: i64, b: i64| !period.explicit || period.contains_span(a, b);
    let findings: Vec<&Finding> = doc
        .findings
        .iter()
        .filter(|f| {
            let (a, b) = span_of(f);
            in_period(a, b)
        })
        .collect();
    let incs: Vec<&Incident> = incidents
        .incidents
        .iter()
        .filter(|i| {
            in_period(parse_rfc3339_utc(&i.first_seen).unwrap_or(0), parse_rfc3339_utc(&i.last_seen).unwrap_or(0))
        })
        .collect();
    let charts = draw_charts(data, config, &period, &incs, out)?;
    let shown = 10;
    let mut keys: Vec<(String, i64)> =
        findings.iter().flat_map(|f| f.evidence.iter().map(|e| (e.file.clone(), e.line))).collect();
    keys.extend(incs.iter().flat_map(|i| i.key_evidence.iter().map(|e| (e.file.clone(), e.line))));
    let raw = data::lines(data, &keys)?;
    let modules = data::per_module(data, &period)?;

    let mut h = Html::default();
    sections::head(&mut h, data, doc, &period);
    sections::incidents(&mut h, &incs, &findings, &raw, shown);
    sections::overview(&mut h, &charts, &incs, &findings, modules.values().sum());
    sections::suppressions(&mut h, doc, &findings);
    sections::findings(&mut h, config, &incs, &findings, &raw);
    sections::attackers(&mut h, data, &findings)?;
    sections::charts(&mut h, &charts);
    sections::compare(&mut h, data, doc, &findings, &period, &modules)?;
    sections::case(&mut h, data);
    sections::method(&mut h, config);
    sections::sigma(&mut h, doc);
    h.raw("</main></body></html>\n");
    let mut charts_left = charts.drawn.clone();
    if single_file {
        embed_charts(&mut h.buf, &charts.drawn)?;
        charts_left.clear();
    }

    let index = out.join("index.html");
    write_atomic(&index, |tmp| {
        std::fs::write(tmp, &h.buf).map_err(|e| AnalysisError::Write { path: tmp.to_path_buf(), source: e })
    })?;
    let real = incs.iter().filter(|i| !i.noise).count();
    Ok(ReportSummary {
        index,
        charts: charts_left,
        findings: findings.len(),
        incidents: real,
        events: modules.values().sum(),
        period,
    })
}

/// The page with each chart put in as a `data:` PNG image (the page's CSP allows `img-src
/// data:`); the chart files stay where they are.
fn inline_charts(page: &str, drawn: &[PathBuf]) -> Result<String, AnalysisError> {
    use base64::Engine;
    let mut page = page.to_string();
    for p in drawn {
        let bytes = std::fs::read(p).map_err(|e| AnalysisError::Write { path: p.clone(), source: e })?;
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let data = format!("src=\"data:image/png;base64,{}\"", base64::engine::general_purpose::STANDARD.encode(bytes));
        page = page.replace(&format!("src=\"{}\"", html_text(&name)), &data);
    }
    Ok(page)
}

/// Puts each chart into the page and removes its file, so that the report is one
/// self-contained HTML file.
fn embed_charts(page: &mut String, drawn: &[PathBuf]) -> Result<(), AnalysisError> {
    *page = inline_charts(page, drawn)?;
    for p in drawn {
        std::fs::remove_file(p).map_err(|e| AnalysisError::Write { path: p.clone(), source: e })?;
    }
    Ok(())
}

/// A written report as one self-contained HTML page (for a mail attachment): `index` with the
/// `charts` that are still files embedded; the report on disk is left as it is.
pub fn single_file_html(index: &Path, charts: &[PathBuf]) -> Result<String, AnalysisError> {
    let page = std::fs::read_to_string(index)
        .map_err(|e| AnalysisError::Case { path: index.to_path_buf(), msg: format!("cannot read the report: {e}") })?;
    inline_charts(&page, charts)
}

/// Draws every chart of the report into `out`.
fn draw_charts(
    data: &CaseData,
    config: &Config,
    period: &Period,
    incidents: &[&Incident],
    out: &Path,
) -> Result<Charts, AnalysisError> {
    let mut charts = Charts::default();
    let span = (period.from, period.to);
    let size = data::bucket_size(period);
    let minutes = size / 60_000_000;

    // The overview: incidents across hosts, the event volume behind.
    let per_host = data::counts(data.events()?, period, lit(true), col("host_name"), size)?;
    let marks: Vec<charts::Mark> = incidents
        .iter()
        .filter(|i| !i.noise)
        .take(20)
        .map(|i| charts::Mark {
            rank: i.rank,
            severity: i.severity as u8,
            hosts: i.hosts.clone(),
            from: parse_rfc3339_utc(&i.first_seen).unwrap_or(0),
            to: parse_rfc3339_utc(&i.last_seen).unwrap_or(0),
        })
        .collect();
    charts.keep(
        out,
        "overview.png",
        &format!("One row per host. Grey bar: the host's events in {minutes} min, scaled to its busiest interval. Coloured bar: an incident's span, in its severity's colour, labelled with its rank (top 20)."),
        &|p| charts::overview(p, "Incidents across hosts and time (UTC)", &per_host, &marks, span, size),
    );

    let per_source = data::counts(data.events()?, period, lit(true), col("event_module"), size)?;
    charts.keep(out, "events_over_time.png", &format!("One point: the events of one source in {minutes} min."), &|p| {
        charts::lines(p, "Events per source", &format!("events per {minutes} min"), &per_source, span, None)
    });
    let n = config.int("ssh_bruteforce", "min_failures");
    let w = config.int("ssh_bruteforce", "window_minutes");
    // Login attempts from the ledger (each try once), as the brute-force rules count them.
    let fail = col("event_module").eq(lit("auth"));
    // Buckets as long as the brute-force window, and one line per source address, so that the
    // threshold line (per address and window) compares like with like.
    let window = (w * 60_000_000).max(60_000_000);
    let fail_size = if (period.to - period.from) / window <= 3000 { window } else { size };
    let by_source = data::counts(data.attempts()?, period, fail.clone(), col("source_ip"), fail_size)?;
    let mut ranked: Vec<(&String, f64)> = by_source.iter().map(|(k, s)| (k, s.values().sum())).collect();
    ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(b.0)));
    let top_sources: data::Series2 =
        ranked.iter().take(8).map(|(k, _)| ((*k).clone(), by_source[*k].clone())).collect();
    let threshold_label = format!("brute-force threshold: {n} per {w} min from one address");
    let per_window = fail_size / 60_000_000;
    if fail_size == window {
        charts.keep(out, "auth_failures.png", &format!("One point: the login attempts of one of the 8 busiest source addresses in {per_window} min (the brute-force window), against the rule's threshold."), &|p| {
            charts::lines(
                p,
                "Login attempts of the busiest source addresses",
                &format!("attempts per {per_window} min"),
                &top_sources,
                span,
                Some((n as f64, &threshold_label)),
            )
        });
    } else {
        charts.keep(
            out,
            "auth_failures.png",
            &format!("One point: the login attempts of one of the 8 busiest source addresses in {per_window} min."),
            &|p| {
                charts::lines(
                    p,
                    "Login attempts of the busiest source addresses",
                    &format!("attempts per {per_window} min"),
                    &top_sources,
                    span,
                    None,
                )
            },
        );
    }
    let hourly = data::counts(data.attempts()?, period, fail.clone(), lit("all"), 3_600_000_000)?;
    let mut days: BTreeMap<i64, [f64; 24]> = BTreeMap::new();
    for (t, v) in hourly.values().flatten() {
        days.entry(t.div_euclid(86_400_000_000)).or_insert([0.0; 24])
            [(t.rem_euclid(86_400_000_000) / 3_600_000_000) as usize] += v;
    }
    let cells: Vec<(String, [f64; 24])> =
        days.into_iter().map(|(d, row)| (charts::label_time(d * 86_400_000_000)[..5].to_string(), row)).collect();
    charts.keep(
        out,
        "auth_heatmap.png",
        "One cell: the login attempts of one hour of one day (UTC), all hosts.",
        &|p| charts::heatmap(p, "Login attempts by hour of day and day (UTC)", &cells),
    );
    let top_ips = data::top(data.attempts()?, period, fail.clone(), "source_ip", 12)?;
    charts.keep(out, "top_source_ips.png", "One bar: the login attempts of one source address in the period.", &|p| {
        charts::bars(p, "Top source addresses by login attempts", "login attempts", &top_ips)
    });
    let top_users = data::top(data.attempts()?, period, fail.clone(), "user_name", 12)?;
    charts.keep(out, "top_users.png", "One bar: the login attempts naming one user in the period.", &|p| {
        charts::bars(p, "Most targeted user names", "login attempts", &top_users)
    });
    let per_ip = data::per_value(data.attempts()?, period, fail.clone(), "source_ip")?;
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
    charts.keep(
        out,
        "attempts_per_ip.png",
        "One bar: how many source addresses made that many login attempts in the period.",
        &|p| charts::bars(p, "Distribution of login attempts per source address", "source addresses", &hist),
    );
    let status = when(col("http_response_status_code").lt(lit(300)))
        .then(lit("2xx"))
        .when(col("http_response_status_code").lt(lit(400)))
        .then(lit("3xx"))
        .when(col("http_response_status_code").lt(lit(500)))
        .then(lit("4xx"))
        .otherwise(lit("5xx"));
    let http = data::counts(
        data.events()?,
        period,
        col("event_action").eq(lit(action::HTTP_REQUEST)).and(col("http_response_status_code").is_not_null()),
        status,
        size,
    )?;
    charts.keep(
        out,
        "http_status.png",
        &format!("One point: the HTTP responses of one status class in {minutes} min, all hosts."),
        &|p| {
            charts::lines(
                p,
                "HTTP responses by status class",
                &format!("responses per {minutes} min"),
                &http,
                span,
                None,
            )
        },
    );
    anomaly_chart(data, config, period, out, &mut charts)?;
    correlation_chart(data, out, &mut charts)?;
    Ok(charts)
}

/// Hourly failures of the busiest host, with its baseline per hour of day.
fn anomaly_chart(
    data: &CaseData,
    config: &Config,
    period: &Period,
    out: &Path,
    charts: &mut Charts,
) -> Result<(), AnalysisError> {
    let fail = col("event_module").eq(lit("auth"));
    let by_host = data::counts(data.attempts()?, period, fail, col("host_name"), 3_600_000_000)?;
    let Some((host, s)) = by_host.iter().max_by(|a, b| {
        a.1.values().sum::<f64>().partial_cmp(&b.1.values().sum::<f64>()).unwrap_or(std::cmp::Ordering::Equal)
    }) else {
        return Ok(());
    };
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
    charts.keep(out, "anomaly.png", "One point: the login attempts of one hour on the busiest host; the band: the usual range for that hour of day; marked: outliers.", &|p| {
        charts::anomaly(
            p,
            &format!("Failed logins per hour on {} with baseline", charts_safe(host)),
            "failures per hour",
            &points,
            &flagged,
        )
    });
    Ok(())
}

/// Pearson correlation of the eight busiest hourly series, each named.
fn correlation_chart(data: &CaseData, out: &Path, charts: &mut Charts) -> Result<(), AnalysisError> {
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
    let labels: Vec<String> = names.iter().map(|n| series::label(n)).collect();
    charts.keep(
        out,
        "correlation.png",
        "One cell: the Pearson correlation of two series of hourly counts (1: they rise and fall together).",
        &|p| charts::matrix(p, "Pearson correlation of hourly activity", &matrix, &labels),
    );
    charts.series = labels;
    Ok(())
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
fn time_of(i: &crate::store::manifest::InputRecord) -> String {
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
fn time_basis(h: &mut html::Html, inputs: &[crate::store::manifest::InputRecord]) {
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

/// Text as the report writes it (escaped), for tests and tools that look for it in a page.
pub fn html_text(s: &str) -> String {
    let mut h = Html::default();
    h.text(s);
    h.buf
}
