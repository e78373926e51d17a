//! Address sightings: how often and when each source address appears on each host, in each
//! source (`event_module`) and on each clock (lines with or without their own UTC offset). One
//! pass over the events serves the rules that ask where an address was seen: `cross_source`
//! (sources and hosts of an address named by another finding) and `log_integrity`'s clock check
//! (the same addresses first seen hours apart on two clocks). The table depends on nothing but the
//! events, so it is stored in the case (`sightings-STAMP.parquet`) and read back while the case
//! stays as it is.

use polars::prelude::*;

use super::Ctx;
use crate::error::AnalysisError;
use crate::query::Run;

/// Version of the stored table: raised whenever what [`table`] holds changes.
const VERSION: u32 = 1;

/// Columns `source_ip`, `event_module`, `host_name`, `zoneless` (the lines carried no offset),
/// `n` (events), `first` and `last` (UTC microseconds), one row per distinct
/// (address, source, host, clock), in that order.
pub fn table(ctx: &Ctx<'_>) -> Result<DataFrame, AnalysisError> {
    ctx.data.derived_table("sightings", VERSION, || {
        let ts = || col("timestamp").cast(DataType::Int64);
        Ok(ctx
            .data
            .events()?
            .filter(col("source_ip").is_not_null())
            .group_by([
                col("source_ip"),
                col("event_module"),
                col("host_name"),
                col("timestamp_original_offset").is_null().alias("zoneless"),
            ])
            .agg([len().cast(DataType::UInt64).alias("n"), ts().min().alias("first"), ts().max().alias("last")])
            .sort(["source_ip", "event_module", "host_name", "zoneless"], Default::default())
            .run()?)
    })
}
