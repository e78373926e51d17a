//! The numbers behind the report, read from the case for one period with polars.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::query::{during, one_of, Run};

use super::period::Period;
use crate::error::AnalysisError;
use crate::query::frame;
use crate::query::CaseData;

/// Counts per (series name, bucket start micros).
pub type Series2 = BTreeMap<String, BTreeMap<i64, f64>>;

/// A chart bucket for the period: about 150 points, rounded to 10 min, 1 h, 6 h or 1 day.
pub fn bucket_size(p: &Period) -> i64 {
    let min = 60_000_000i64;
    let raw = (p.to - p.from) / 150;
    *[10 * min, 60 * min, 360 * min, 1440 * min].iter().find(|b| **b >= raw).unwrap_or(&(1440 * min))
}

/// Counts of rows of `rows` (the case's events or attempts) matching `filter` per bucket, split by `by`.
pub fn counts(rows: LazyFrame, p: &Period, filter: Expr, by: Expr, size: i64) -> Result<Series2, AnalysisError> {
    let lf = rows.filter(during(p.from, p.to).and(filter));
    let per_bucket = frame::bucket_counts(lf, by.cast(DataType::String).fill_null(lit("-")), size)?;
    Ok(per_bucket.into_iter().map(|(name, s)| (name, s.into_iter().map(|(b, n)| (b * size, n)).collect())).collect())
}

/// Top values of a column among rows matching `filter`.
pub fn top(rows: LazyFrame, p: &Period, filter: Expr, by: &str, n: u32) -> Result<Vec<(String, u64)>, AnalysisError> {
    frame::top_values(rows.filter(during(p.from, p.to).and(filter)), by, n)
}

/// Number of rows matching `filter`, per value of `by` (for histograms).
pub fn per_value(rows: LazyFrame, p: &Period, filter: Expr, by: &str) -> Result<Vec<u64>, AnalysisError> {
    let df = rows
        .filter(during(p.from, p.to).and(filter).and(col(by).is_not_null()))
        .group_by([col(by)])
        .agg([len().alias("n")])
        .run()?;
    Ok(frame::ints(&df, "n")?.into_iter().map(|v| v.unwrap_or(0) as u64).collect())
}

/// Events per module in the period.
pub fn per_module(data: &CaseData, p: &Period) -> Result<BTreeMap<String, u64>, AnalysisError> {
    let df =
        data.events()?.filter(during(p.from, p.to)).group_by([col("event_module")]).agg([len().alias("n")]).run()?;
    let m = frame::strs(&df, "event_module")?;
    let n = frame::ints(&df, "n")?;
    Ok(m.into_iter().zip(n).map(|(m, n)| (m.unwrap_or_default(), n.unwrap_or(0) as u64)).collect())
}

/// Source addresses seen in `p` that were never seen before `p` started.
pub fn new_ips(data: &CaseData, p: &Period) -> Result<Vec<String>, AnalysisError> {
    let ts = col("timestamp").cast(DataType::Int64);
    let df = data
        .events()?
        .filter(col("source_ip").is_not_null().and(ts.clone().lt(lit(p.to))))
        .group_by([col("source_ip")])
        .agg([ts.min().alias("first")])
        .filter(col("first").gt_eq(lit(p.from)))
        .sort(["source_ip"], Default::default())
        .run()?;
    Ok(frame::strs(&df, "source_ip")?.into_iter().flatten().collect())
}

/// The raw text of evidence lines, keyed by (file, line).
pub fn lines(data: &CaseData, wanted: &[(String, i64)]) -> Result<BTreeMap<(String, i64), String>, AnalysisError> {
    if wanted.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut files: Vec<String> = wanted.iter().map(|(f, _)| f.clone()).collect();
    files.sort();
    files.dedup();
    let mut nums: Vec<i64> = wanted.iter().map(|(_, l)| *l).collect();
    nums.sort();
    nums.dedup();
    let df = data
        .events()?
        .filter(one_of(col("log_file_path"), files).and(one_of(col("log_line"), nums)))
        .select([col("log_file_path"), col("log_line"), col("event_original")])
        .run()?;
    let f = frame::strs(&df, "log_file_path")?;
    let l = frame::ints(&df, "log_line")?;
    let o = frame::strs(&df, "event_original")?;
    let want: std::collections::HashSet<&(String, i64)> = wanted.iter().collect();
    let mut out = BTreeMap::new();
    for i in 0..df.height() {
        let key = (f[i].clone().unwrap_or_default(), l[i].unwrap_or(0));
        if want.contains(&key) {
            out.insert(key, o[i].clone().unwrap_or_default());
        }
    }
    Ok(out)
}
