//! `prior_findings`: the findings of the rules run before the second stage, as a table the
//! rules of that stage read (`cross_source`, `attack_chain`: correlations over the other rules'
//! findings). Every other rule (SQL, Rust, Sigma) is of the first stage. Another engine builds
//! the same table from its own findings (`scale/findings.py` `prior_rows`), with these columns:
//!
//! - `rule`, `severity` (`low` … `critical`) and `severity_rank` (1 … 4), `title`;
//! - `host_name`, `source_ip`, `user_name`;
//! - `first_seen`, `last_seen` (timestamps, UTC) and `count`;
//! - `kind`: the finding's `kind` detail as text (a `process_activity` pattern, a
//!   `log_integrity` check), else null;
//! - `onset`: when what the finding describes began: `first_seen`, except for a silence (a
//!   finding with a `usual_spacing_minutes` detail), which begins one usual spacing later, when
//!   the first missing line was due;
//! - `first_file`, `first_line`, `last_file`, `last_line`: the first and the last of its
//!   evidence lines as the finding lists them (sorted, the first 20).

use polars::prelude::*;

use super::finding::{Draft, MAX_EVIDENCE};
use crate::error::AnalysisError;

/// The microseconds of a silence's usual spacing, from its `usual_spacing_minutes` detail.
fn spacing_us(d: &Draft) -> Option<i64> {
    d.details.get("usual_spacing_minutes").and_then(serde_json::Value::as_f64).map(|m| (m * 60_000_000.0) as i64)
}

/// The table of `drafts`.
pub fn table(drafts: &[Draft]) -> Result<DataFrame, AnalysisError> {
    let n = drafts.len();
    let (mut first_file, mut first_line, mut last_file, mut last_line) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for d in drafts {
        // The evidence as the finding lists it (Draft::finish): sorted, deduplicated, cut.
        let mut ev: Vec<&(i64, String, i64)> = d.evidence.iter().collect();
        ev.sort();
        ev.dedup();
        ev.truncate(MAX_EVIDENCE);
        first_file.push(ev.first().map(|e| e.1.clone()));
        first_line.push(ev.first().map(|e| e.2));
        last_file.push(ev.last().map(|e| e.1.clone()));
        last_line.push(ev.last().map(|e| e.2));
    }
    let text = |f: &dyn Fn(&Draft) -> Option<String>| -> Vec<Option<String>> { drafts.iter().map(f).collect() };
    let time = |name: &str, f: &dyn Fn(&Draft) -> i64| -> PolarsResult<Column> {
        Column::new(name.into(), drafts.iter().map(f).collect::<Vec<i64>>())
            .cast(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)))
    };
    let df = DataFrame::new_infer_height(vec![
        Column::new("rule".into(), text(&|d| Some(d.rule.to_string()))),
        Column::new("severity".into(), text(&|d| Some(d.severity.as_str().to_string()))),
        Column::new("severity_rank".into(), drafts.iter().map(|d| d.severity as i32 + 1).collect::<Vec<i32>>()),
        Column::new("title".into(), text(&|d| Some(d.title.clone()))),
        Column::new("host_name".into(), text(&|d| d.host_name.clone())),
        Column::new("source_ip".into(), text(&|d| d.source_ip.clone())),
        Column::new("user_name".into(), text(&|d| d.user_name.clone())),
        time("first_seen", &|d| d.first_seen)?,
        time("last_seen", &|d| d.last_seen)?,
        Column::new("count".into(), drafts.iter().map(|d| d.count as i64).collect::<Vec<i64>>()),
        Column::new(
            "kind".into(),
            text(&|d| d.details.get("kind").map(|k| k.as_str().map_or_else(|| k.to_string(), str::to_string))),
        ),
        time("onset", &|d| d.first_seen + spacing_us(d).unwrap_or(0))?,
        Column::new("first_file".into(), first_file),
        Column::new("first_line".into(), first_line),
        Column::new("last_file".into(), last_file),
        Column::new("last_line".into(), last_line),
    ])?;
    Ok(df)
}
