//! Reading polars result frames into plain Rust vectors, whatever integer or time type a query
//! produced (SQL engines differ on `COUNT(*)` types; timestamps come back as UTC datetimes),
//! the two event-counting queries several rules and the report share, and the earliest line of
//! each group at its first instant.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::Run;
use crate::error::AnalysisError;

fn column<'a>(df: &'a DataFrame, name: &str) -> Option<&'a Column> {
    df.column(name).ok()
}

/// Per group: its line's file and line number (both null when it has none).
pub type LinesOf = (Vec<Option<String>>, Vec<Option<i64>>);

/// The earliest line (`log_file_path`, `log_line`) of each group of `groups` at its first
/// instant: `groups` holds the key columns `keys` and the instant `first`; `lines` holds the
/// candidate events (the same key columns, `ts`, `log_file_path`, `log_line`), typically from a
/// selective second scan at those instants. A null key meets only a null; a group with no line
/// gets nulls.
pub fn earliest_lines(
    groups: &DataFrame,
    first: &str,
    lines: &DataFrame,
    keys: &[&str],
) -> Result<LinesOf, AnalysisError> {
    type Key = (Vec<Option<String>>, i64);
    let key_of = |df: &DataFrame, ts: &str| -> Result<Vec<Key>, AnalysisError> {
        let cols = keys.iter().map(|k| strs(df, k)).collect::<Result<Vec<_>, _>>()?;
        let t = ints(df, ts)?;
        Ok((0..df.height()).map(|i| (cols.iter().map(|c| c[i].clone()).collect(), t[i].unwrap_or(0))).collect())
    };
    let (file, line) = (strs(lines, "log_file_path")?, ints(lines, "log_line")?);
    let mut earliest: std::collections::HashMap<Key, (String, i64)> = std::collections::HashMap::new();
    for (i, key) in key_of(lines, "ts")?.into_iter().enumerate() {
        let here = (file[i].clone().unwrap_or_default(), line[i].unwrap_or(0));
        let e = earliest.entry(key).or_insert_with(|| here.clone());
        if here < *e {
            *e = here;
        }
    }
    Ok(key_of(groups, first)?
        .iter()
        .map(|k| earliest.get(k).map_or((None, None), |(f, l)| (Some(f.clone()), Some(*l))))
        .unzip())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The earliest (file, line) at each group's instant, a null key meeting only a null, and a
    /// group without a line at its instant getting nulls.
    #[test]
    fn earliest_lines_per_group_at_its_instant() {
        let groups = df!(
            "host_name" => [Some("h1"), None, Some("h2")],
            "first" => [10i64, 20, 30],
        )
        .unwrap();
        let lines = df!(
            "host_name" => [Some("h1"), Some("h1"), Some("h1"), None, Some("h2")],
            "ts" => [10i64, 10, 11, 20, 31],
            "log_file_path" => ["b.log", "a.log", "a.log", "c.log", "d.log"],
            "log_line" => [1i64, 9, 1, 4, 2],
        )
        .unwrap();
        let (file, line) = earliest_lines(&groups, "first", &lines, &["host_name"]).unwrap();
        assert_eq!(file, [Some("a.log".to_string()), Some("c.log".to_string()), None]);
        assert_eq!(line, [Some(9), Some(4), None]);
    }
}
