//! Hourly event counts, a table derived from the events once per state of the case
//! (`hourly-STAMP.parquet`, [`CaseData::derived_table`]) and read by every hourly series: the
//! correlations between sources and hosts (`correlation::series`), the report's charts and
//! `volume_anomaly`'s per-host series at its default interval of one hour.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::{frame, CaseData, Run};
use crate::error::AnalysisError;
use crate::schema::action;

/// Version of the stored table: raised whenever what [`table`] counts changes. 2: the host kept
/// null (not `-`), and `http_request` among the keys.
const VERSION: u32 = 2;

/// One hour, in the microseconds of `timestamp`.
pub const HOUR_US: i64 = 3_600_000_000;

/// The `kind` codes of [`table`], by name: a small code, not a string (10 M rows of literal
/// strings cost more than the whole aggregation).
pub const KINDS: [&str; 4] = ["events", "auth failures", "firewall blocks", "http 4xx"];

/// The `kind` of an `auth.failure` ([`KINDS`]).
pub const KIND_AUTH_FAILURE: u8 = 1;

/// Events per (`event_module`, `host_name`, `hour`, `kind`, `http_request`): `n`, in that key
/// order. `hour` is the timestamp's microseconds divided by [`HOUR_US`], rounded down; `kind`
/// indexes [`KINDS`] (an `auth.failure`, else a `firewall.block`, else an HTTP status from 400
/// to 499, else 0); `http_request` is whether the action is `http.request`. A null host stays
/// null.
pub fn table(data: &CaseData) -> Result<DataFrame, AnalysisError> {
    let hour = (col("timestamp").cast(DataType::Int64).floor_div(lit(HOUR_US))).alias("hour");
    let kind = when(col("event_action").eq(lit(action::AUTH_FAILURE)))
        .then(lit(KIND_AUTH_FAILURE))
        .when(col("event_action").eq(lit(action::FIREWALL_BLOCK)))
        .then(lit(2u8))
        .when(col("http_response_status_code").gt_eq(lit(400)).and(col("http_response_status_code").lt(lit(500))))
        .then(lit(3u8))
        .otherwise(lit(0u8))
        .alias("kind");
    let http = col("event_action").eq(lit(action::HTTP_REQUEST)).fill_null(lit(false)).alias("http_request");
    let keys = ["event_module", "host_name", "hour", "kind", "http_request"];
    data.derived_table("hourly", VERSION, || {
        Ok(data
            .events()?
            .select([col("event_module"), col("host_name"), hour, kind, http])
            .group_by(keys.map(col))
            .agg([len().alias("n")])
            .sort(keys, Default::default())
            .run()?)
    })
}

/// Per host (a null host as ""), the hourly counts of the rows of [`table`] that `pick` takes
/// (given their module, kind and `http_request`): host → (hour → count), like
/// [`frame::bucket_counts`] over the same events with a one-hour bucket.
pub fn per_host(
    hourly: &DataFrame,
    pick: impl Fn(&str, u8, bool) -> bool,
) -> Result<BTreeMap<String, BTreeMap<i64, f64>>, AnalysisError> {
    let module = hourly.column("event_module")?.str()?;
    let host = hourly.column("host_name")?.str()?;
    let hour = hourly.column("hour")?.i64()?;
    let kind = frame::ints(hourly, "kind")?;
    let http = hourly.column("http_request")?.bool()?;
    let n = frame::ints(hourly, "n")?;
    let mut out: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    for i in 0..hourly.height() {
        let k = kind[i].and_then(|k| u8::try_from(k).ok()).unwrap_or(0);
        let (m, h) = (module.get(i).unwrap_or(""), http.get(i).unwrap_or(false));
        if pick(m, k, h) {
            *out.entry(host.get(i).unwrap_or("").to_string())
                .or_default()
                .entry(hour.get(i).unwrap_or(0))
                .or_default() += n[i].unwrap_or(0) as f64;
        }
    }
    Ok(out)
}
