//! Reading polars result frames into plain Rust vectors, whatever integer or time type a query
//! produced (SQL engines differ on `COUNT(*)` types; timestamps come back as UTC datetimes),
//! and the two event-counting queries several rules and the report share.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::Run;
use crate::error::AnalysisError;

fn column<'a>(df: &'a DataFrame, name: &str) -> Option<&'a Column> {
    df.column(name).ok()
}

/// Text column (absent → all null).
pub fn strs(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>, AnalysisError> {
    let Some(c) = column(df, name) else { return Ok(vec![None; df.height()]) };
    let c = c.cast(&DataType::String)?;
    Ok(c.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

/// Integer column (absent → all null); timestamps give UTC microseconds.
pub fn ints(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>, AnalysisError> {
    let Some(c) = column(df, name) else { return Ok(vec![None; df.height()]) };
    let c = match c.dtype() {
        DataType::Datetime(TimeUnit::Microseconds, _) => c.cast(&DataType::Int64)?,
        DataType::Datetime(_, tz) => {
            c.cast(&DataType::Datetime(TimeUnit::Microseconds, tz.clone()))?.cast(&DataType::Int64)?
        }
        _ => c.cast(&DataType::Int64)?,
    };
    Ok(c.i64()?.iter().collect())
}

/// Float column (absent → all null).
pub fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, AnalysisError> {
    let Some(c) = column(df, name) else { return Ok(vec![None; df.height()]) };
    let c = c.cast(&DataType::Float64)?;
    Ok(c.f64()?.iter().collect())
}

/// Names of the frame's columns.
pub fn names(df: &DataFrame) -> Vec<String> {
    df.get_column_names().iter().map(|s| s.to_string()).collect()
}

/// The `n` most frequent non-null values of column `by` in `lf` (as text) with their counts,
/// most frequent first, ties by value.
pub fn top_values(lf: LazyFrame, by: &str, n: u32) -> Result<Vec<(String, u64)>, AnalysisError> {
    let df = lf
        .filter(col(by).is_not_null())
        .group_by([col(by).cast(DataType::String).alias("value")])
        .agg([len().alias("count")])
        .sort(["count", "value"], SortMultipleOptions::default().with_order_descending_multi([true, false]))
        .limit(n)
        .run()?;
    let values = strs(&df, "value")?;
    let counts = ints(&df, "count")?;
    Ok(values.into_iter().zip(counts).map(|(v, c)| (v.unwrap_or_default(), c.unwrap_or(0) as u64)).collect())
}

/// Events of `lf` counted per value of `series` (as text; null as "") and per time bucket of
/// `size` microseconds: series → (bucket index, the timestamp divided by `size` → count).
pub fn bucket_counts(
    lf: LazyFrame,
    series: Expr,
    size: i64,
) -> Result<BTreeMap<String, BTreeMap<i64, f64>>, AnalysisError> {
    let df = lf
        .select([
            series.cast(DataType::String).alias("series"),
            col("timestamp").cast(DataType::Int64).floor_div(lit(size)).alias("bucket"),
        ])
        .group_by([col("series"), col("bucket")])
        .agg([len().alias("n")])
        .run()?;
    let name = strs(&df, "series")?;
    let bucket = ints(&df, "bucket")?;
    let n = ints(&df, "n")?;
    let mut out: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    for i in 0..df.height() {
        out.entry(name[i].clone().unwrap_or_default())
            .or_default()
            .insert(bucket[i].unwrap_or(0), n[i].unwrap_or(0) as f64);
    }
    Ok(out)
}
