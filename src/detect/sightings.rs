//! Address sightings: how often and when each source address appears on each host, in each
//! source (`event_module`) and on each clock (lines with or without their own UTC offset). One
//! pass over the events serves the rules that ask where an address was seen: `cross_source`
//! (sources and hosts of an address named by another finding) and `log_integrity`'s clock check
//! (the same addresses first seen hours apart on two clocks). The table depends on nothing but the
//! events, so it is stored in the case (`sightings-STAMP.parquet`) and read back while the case
//! stays as it is.

use std::collections::{BTreeSet, HashMap};

use polars::prelude::*;

use super::Ctx;
use crate::error::AnalysisError;
use crate::query::{frame, one_of, Run};

/// Version of the stored table: raised whenever what [`table`] holds changes.
const VERSION: u32 = 2;

/// Columns `source_ip`, `event_module`, `host_name`, `zoneless` (the lines carried no offset),
/// `n` (events), `first` and `last` (UTC microseconds), `first_file` and `first_line` (the first
/// line in (time, file, line) order), one row per distinct (address, source, host, clock), in
/// that order.
pub fn table(ctx: &Ctx<'_>) -> Result<DataFrame, AnalysisError> {
    ctx.data.derived_table("sightings", VERSION, || {
        let ts = || col("timestamp").cast(DataType::Int64);
        let keys = || {
            [
                col("source_ip"),
                col("event_module"),
                col("host_name"),
                col("timestamp_original_offset").is_null().alias("zoneless"),
            ]
        };
        let mut df = ctx
            .data
            .events()?
            .filter(col("source_ip").is_not_null())
            .group_by(keys())
            .agg([len().cast(DataType::UInt64).alias("n"), ts().min().alias("first"), ts().max().alias("last")])
            .sort(["source_ip", "event_module", "host_name", "zoneless"], Default::default())
            .run()?;
        // Each row's first line: a second scan, of the lines at the first instants only (the
        // first line as an aggregate of the first scan cost four times as much, in five times the
        // memory, on the bench case).
        let first = frame::ints(&df, "first")?;
        let instants: BTreeSet<i64> = first.iter().flatten().copied().collect();
        let at = ctx
            .data
            .events()?
            .filter(col("source_ip").is_not_null().and(one_of(ts(), instants)))
            .select(
                keys().into_iter().chain([ts().alias("ts"), col("log_file_path"), col("log_line")]).collect::<Vec<_>>(),
            )
            .run()?;
        let key_of = |d: &DataFrame| -> Result<Vec<Key>, AnalysisError> {
            let (ip, module, host) =
                (frame::strs(d, "source_ip")?, frame::strs(d, "event_module")?, frame::strs(d, "host_name")?);
            let zoneless: Vec<Option<bool>> = d.column("zoneless")?.bool()?.iter().collect();
            Ok((0..d.height()).map(|i| (ip[i].clone(), module[i].clone(), host[i].clone(), zoneless[i])).collect())
        };
        let row_of: HashMap<Key, usize> = key_of(&df)?.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
        let (at_ts, file, line) =
            (frame::ints(&at, "ts")?, frame::strs(&at, "log_file_path")?, frame::ints(&at, "log_line")?);
        let mut best: Vec<Option<(String, i64)>> = vec![None; df.height()];
        for (j, k) in key_of(&at)?.into_iter().enumerate() {
            let (Some(&i), Some(f), Some(l)) = (row_of.get(&k), &file[j], line[j]) else { continue };
            if at_ts[j] != first[i] {
                continue;
            }
            if best[i].as_ref().is_none_or(|(bf, bl)| (f, l) < (bf, *bl)) {
                best[i] = Some((f.clone(), l));
            }
        }
        df.with_column(Column::new(
            "first_file".into(),
            best.iter().map(|b| b.as_ref().map(|x| x.0.clone())).collect::<Vec<_>>(),
        ))?;
        df.with_column(Column::new(
            "first_line".into(),
            best.iter().map(|b| b.as_ref().map(|x| x.1)).collect::<Vec<_>>(),
        ))?;
        Ok(df)
    })
}

/// A row's key: (address, source, host, zoneless).
type Key = (Option<String>, Option<String>, Option<String>, Option<bool>);

/// [`table`] as the SQL rules read it, the table `sightings`: `source_ip`, `event_module`,
/// `host_name`, `zoneless`, `n` (events), `first_seen` and `last_seen` (timestamps, UTC),
/// `first_file` and `first_line` (its first line in (time, file, line) order). Another
/// engine defines it as a view over `events` ([`VIEW`]).
pub fn as_table(ctx: &Ctx<'_>) -> Result<LazyFrame, AnalysisError> {
    let utc = || DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    Ok(table(ctx)?.lazy().select([
        col("source_ip"),
        col("event_module"),
        col("host_name"),
        col("zoneless"),
        col("n").cast(DataType::Int64),
        col("first").cast(utc()).alias("first_seen"),
        col("last").cast(utc()).alias("last_seen"),
        col("first_file"),
        col("first_line"),
    ]))
}

/// The `sightings` table as SQL over `events`, for the engines rules are exported to.
pub const VIEW: &str = "SELECT source_ip, event_module, host_name, zoneless, n, timestamp AS first_seen, last_seen, \
log_file_path AS first_file, log_line AS first_line FROM (\
SELECT source_ip, event_module, host_name, zoneless, timestamp, log_file_path, log_line, \
COUNT(*) OVER (PARTITION BY source_ip, event_module, host_name, zoneless) AS n, \
MAX(timestamp) OVER (PARTITION BY source_ip, event_module, host_name, zoneless) AS last_seen, \
ROW_NUMBER() OVER (PARTITION BY source_ip, event_module, host_name, zoneless \
ORDER BY timestamp, log_file_path, log_line) AS nth \
FROM (SELECT source_ip, event_module, host_name, timestamp_original_offset IS NULL AS zoneless, timestamp, \
log_file_path, log_line FROM events WHERE source_ip IS NOT NULL) e) s WHERE nth = 1";
