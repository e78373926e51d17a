//! The super-timeline: every event of every host and source in one UTC order, with a one-line
//! description and its provenance, narrowed by [`filter::Filter`].
//!
//! It streams: the time range is cut into slices sized to hold about a hundred thousand matching
//! events each, and each slice is scanned (row groups outside it are skipped by their
//! statistics), sorted and written before the next is read, so a case of any size goes through
//! in bounded memory.

pub mod filter;
pub mod sink;

use polars::prelude::*;

use crate::query::{during, one_of, Run};

use crate::error::AnalysisError;
use crate::query::frame;
use crate::query::CaseData;
use crate::schema::action;
use filter::Filter;
use sink::Sink;

/// Columns of a timeline row, in output order (`description` is computed).
pub const COLUMNS: &[&str] = &[
    "timestamp",
    "host_name",
    "event_module",
    "event_action",
    "event_outcome",
    "user_name",
    "user_target_name",
    "source_ip",
    "source_port",
    "destination_ip",
    "destination_port",
    "process_name",
    "http_request_method",
    "url_path",
    "http_response_status_code",
    "process_command_line",
    "message",
    "log_file_path",
    "log_line",
];

/// Matching events per slice the streaming aims for.
const SLICE_ROWS: i64 = 100_000;

fn text(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, AnalysisError> {
    frame::strs(df, name)
}

/// One human line for an event.
pub fn describe(df: &DataFrame) -> Result<Vec<String>, AnalysisError> {
    let action = text(df, "event_action")?;
    let user = text(df, "user_name")?;
    let target = text(df, "user_target_name")?;
    let ip = text(df, "source_ip")?;
    let port = text(df, "source_port")?;
    let dport = text(df, "destination_port")?;
    let prog = text(df, "process_name")?;
    let method = text(df, "http_request_method")?;
    let path = text(df, "url_path")?;
    let status = text(df, "http_response_status_code")?;
    let cmd = text(df, "process_command_line")?;
    let msg = text(df, "message")?;
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let a = action[i].as_deref().unwrap_or("event");
        let mut s = String::new();
        if let Some(p) = &prog[i] {
            s.push_str(p);
            s.push_str(": ");
        }
        s.push_str(a);
        if let Some(u) = &user[i] {
            s.push_str(&format!(" {u}"));
        }
        if let Some(t) = &target[i] {
            s.push_str(&format!(" -> {t}"));
        }
        if let Some(ip) = &ip[i] {
            s.push_str(&format!(" from {ip}"));
            if let Some(p) = &port[i] {
                s.push_str(&format!(":{p}"));
            }
        }
        if let Some(p) = &dport[i] {
            s.push_str(&format!(" to port {p}"));
        }
        if let Some(m) = &method[i] {
            s.push_str(&format!(" {m} {}", path[i].as_deref().unwrap_or("")));
        } else if let Some(p) = &path[i] {
            s.push_str(&format!(" {p}"));
        }
        if let Some(st) = &status[i] {
            s.push_str(&format!(" -> {st}"));
        }
        if let Some(c) = &cmd[i] {
            s.push_str(&format!(": {c}"));
        }
        if a == action::LOG_MESSAGE {
            if let Some(m) = &msg[i] {
                s.push_str(&format!(": {m}"));
            }
        }
        out.push(s);
    }
    Ok(out)
}

/// Streams the filtered timeline into `sink`; returns the number of events written.
/// The case's oldest and newest event times (UTC microseconds), `None` when it has no events.
pub fn span(data: &CaseData) -> Result<Option<(i64, i64)>, AnalysisError> {
    let ts = || col("timestamp").cast(DataType::Int64);
    let df = data.events()?.select([ts().min().alias("lo"), ts().max().alias("hi")]).run()?;
    Ok(frame::ints(&df, "lo")?[0].zip(frame::ints(&df, "hi")?[0]))
}

/// What the case holds, in one line: its span and its hosts (for an empty answer).
pub fn holdings(data: &CaseData) -> Result<String, AnalysisError> {
    let Some((lo, hi)) = span(data)? else { return Ok("the case holds no events".into()) };
    let hosts = frame::top_values(data.events()?, "host_name", 20)?;
    let names: Vec<String> = hosts.iter().map(|(h, n)| format!("{} ({n})", crate::sanitize::terminal(h))).collect();
    let doc =
        crate::detect::finding::FindingsDoc::load_if_present(&data.case.dir.join(crate::store::files::FINDINGS_JSON))?;
    let rules = match doc {
        None => "no findings yet (run `logsleuth detect`)".to_string(),
        Some(d) => {
            let mut by: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
            for f in &d.findings {
                *by.entry(f.rule.as_str()).or_default() += 1;
            }
            let rules: Vec<String> =
                by.iter().map(|(r, n)| format!("{} ({n})", crate::sanitize::terminal(r))).collect();
            format!("findings by rule: {}", if rules.is_empty() { "none".to_string() } else { rules.join(", ") })
        }
    };
    Ok(format!(
        "the case holds events from {} to {} on host(s) {}; {rules}",
        crate::parse::time::format_rfc3339(lo),
        crate::parse::time::format_rfc3339(hi),
        names.join(", ")
    ))
}

pub fn write(data: &CaseData, f: &Filter, sink: &mut dyn Sink) -> Result<u64, AnalysisError> {
    let ts = || col("timestamp").cast(DataType::Int64);
    sink.begin()?;
    let Some((oldest, newest)) = span(data)? else {
        sink.end()?;
        return Ok(0);
    };
    let mut lo = f.from.map_or(oldest, |m| m.resolve(newest)).max(oldest);
    let mut hi = f.to.map_or(newest, |m| m.resolve(newest)).min(newest);
    if let Some((at, w)) = f.around {
        let t = at.resolve(newest);
        lo = lo.max(t - w.0);
        hi = hi.min(t + w.0);
    }
    let mut base = ts().gt_eq(lit(lo)).and(ts().lt_eq(lit(hi)));
    let eq = |c: &str, v: &str| col(c).eq(lit(v.to_string()));
    if let Some(h) = &f.host {
        // Host names are matched without regard to case (DNS names are case-insensitive).
        base = base.and(col("host_name").str().to_lowercase().eq(lit(h.to_lowercase())));
    }
    if let Some(u) = &f.user {
        base = base.and(eq("user_name", u).or(eq("user_target_name", u)));
    }
    if let Some(a) = &f.action {
        base = base.and(if a.ends_with('*') || a.ends_with('.') {
            col("event_action").str().starts_with(lit(a.trim_end_matches('*').to_string()))
        } else {
            eq("event_action", a)
        });
    }
    if let Some(ip) = f.ip.as_ref().and_then(|c| c.exact()) {
        base = base.and(eq("source_ip", &ip).or(eq("destination_ip", &ip)));
    } else if f.ip.is_some() {
        base = base.and(col("source_ip").is_not_null().or(col("destination_ip").is_not_null()));
    }
    for (column, pattern) in [("message", &f.grep), ("event_original", &f.grep_raw)] {
        if let Some(p) = pattern {
            base = base.and(col(column).str().contains(lit(p.clone()), true).fill_null(lit(false)));
        }
    }
    if let Some(ev) = &f.evidence {
        let mut files: Vec<String> = ev.iter().map(|(f, _)| f.clone()).collect();
        files.sort();
        files.dedup();
        base = base.and(one_of(col("log_file_path"), files));
    }
    if hi < lo {
        sink.end()?;
        return Ok(0);
    }
    let matching =
        frame::ints(&data.events()?.filter(base.clone()).select([len().alias("n")]).run()?, "n")?[0].unwrap_or(0);
    let slice = if matching <= SLICE_ROWS {
        hi - lo + 1
    } else {
        (((hi - lo + 1) as i128 * SLICE_ROWS as i128 / matching as i128) as i64).max(60_000_000)
    };
    let cols: Vec<Expr> = COLUMNS.iter().map(|c| col(*c)).collect();
    let mut written = 0u64;
    let mut a = lo;
    while a <= hi {
        let b = a.saturating_add(slice).min(hi.saturating_add(1));
        let df = data
            .events()?
            .filter(base.clone().and(during(a, b)))
            .select(cols.clone())
            .sort(["timestamp", "log_file_path", "log_line"], Default::default())
            .run()?;
        let df = keep_rows(df, f)?;
        if df.height() > 0 {
            let desc = describe(&df)?;
            let mut df = df;
            df.with_column(Column::new("description".into(), desc))?;
            sink.batch(&df)?;
            written += df.height() as u64;
        }
        a = b;
    }
    sink.end()?;
    Ok(written)
}

/// Filters that are per row in Rust: CIDR networks and evidence lines.
fn keep_rows(df: DataFrame, f: &Filter) -> Result<DataFrame, AnalysisError> {
    let cidr = f.ip.filter(|c| c.exact().is_none());
    if cidr.is_none() && f.evidence.is_none() {
        return Ok(df);
    }
    let src = frame::strs(&df, "source_ip")?;
    let dst = frame::strs(&df, "destination_ip")?;
    let file = frame::strs(&df, "log_file_path")?;
    let line = frame::ints(&df, "log_line")?;
    let mask: Vec<bool> = (0..df.height())
        .map(|i| {
            let ip_ok = cidr.is_none_or(|c| {
                src[i].as_deref().is_some_and(|s| c.contains(s)) || dst[i].as_deref().is_some_and(|s| c.contains(s))
            });
            let ev_ok = f
                .evidence
                .as_ref()
                .is_none_or(|ev| ev.contains(&(file[i].clone().unwrap_or_default(), line[i].unwrap_or(0))));
            ip_ok && ev_ok
        })
        .collect();
    Ok(df.filter(&BooleanChunked::from_slice("m".into(), &mask))?)
}
