//! `volume_anomaly`: statistical outliers in per-interval series.
//!
//! Counts (auth failures and HTTP requests per host) are compared with a baseline for the same
//! hour of day — the median and MAD of that hour across the case's days, zero-filled — so the
//! daily rhythm is the norm, not an anomaly; a point is flagged when its Poisson tail
//! probability is below `max_p_value` and its robust score reaches `min_score`. Response bytes
//! per source IP and interval are compared across all sources on a log scale (a normal tail
//! for the p-value): one address suddenly pulling gigabytes stands out against kilobytes.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::query::{during, hourly, Run};
use statrs::distribution::{ContinuousCDF, DiscreteCDF, Normal, Poisson};

use super::config::{Param, Value};
use super::finding::{Draft, Severity};
use super::{Ctx, Rule};
use crate::error::AnalysisError;
use crate::query::frame;
use crate::schema::action;

/// Median of a slice (sorts it).
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Median and median absolute deviation.
pub fn median_mad(values: &[f64]) -> (f64, f64) {
    let mut v = values.to_vec();
    let m = median(&mut v);
    let mut dev: Vec<f64> = values.iter().map(|x| (x - m).abs()).collect();
    (m, median(&mut dev))
}

/// P(X >= x) for X ~ Poisson(lambda).
pub fn poisson_tail(x: f64, lambda: f64) -> f64 {
    match Poisson::new(lambda.max(1e-9)) {
        Ok(p) if x >= 1.0 => p.sf(x as u64 - 1),
        _ => 1.0,
    }
}

/// One flagged point of a series.
#[derive(Debug, Clone)]
pub struct Outlier {
    pub bucket: i64,
    pub observed: f64,
    pub baseline: f64,
    pub mad: f64,
    pub score: f64,
    pub p_value: f64,
}

/// Flags outliers in a zero-filled count series against per-hour-of-day baselines.
pub fn count_outliers(
    series: &BTreeMap<i64, f64>,
    interval: i64,
    min_score: f64,
    max_p: f64,
    min_count: f64,
) -> Vec<Outlier> {
    let (Some(&lo), Some(&hi)) = (series.keys().next(), series.keys().next_back()) else { return Vec::new() };
    let slots = (86_400_000_000 / interval).max(1);
    let mut by_slot: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for b in lo..=hi {
        by_slot.entry(b.rem_euclid(slots)).or_default().push(series.get(&b).copied().unwrap_or(0.0));
    }
    let baselines: BTreeMap<i64, (f64, f64)> = by_slot.iter().map(|(s, v)| (*s, median_mad(v))).collect();
    let mut out = Vec::new();
    for (&b, &x) in series {
        let (m, mad) = baselines[&b.rem_euclid(slots)];
        let lambda = m.max(1.0);
        let spread = (1.4826 * mad).max(lambda.sqrt());
        let score = (x - m) / spread;
        if x < min_count || score < min_score {
            continue;
        }
        let p = poisson_tail(x, lambda);
        if p <= max_p {
            out.push(Outlier { bucket: b, observed: x, baseline: m, mad, score, p_value: p });
        }
    }
    out
}

pub struct VolumeAnomaly;

impl VolumeAnomaly {
    fn evidence(&self, ctx: &Ctx<'_>, filter: Expr, from: i64, to: i64, d: &mut Draft) -> Result<(), AnalysisError> {
        let df = ctx
            .data
            .events()?
            .filter(filter.and(during(from, to)))
            .select([col("timestamp"), col("log_file_path"), col("log_line")])
            .sort(["timestamp", "log_file_path", "log_line"], Default::default())
            .limit(20)
            .run()?;
        let t = frame::ints(&df, "timestamp")?;
        let f = frame::strs(&df, "log_file_path")?;
        let l = frame::ints(&df, "log_line")?;
        for i in 0..df.height() {
            d.add(t[i].unwrap_or(0), f[i].as_deref().unwrap_or(""), l[i].unwrap_or(0));
        }
        Ok(())
    }
}

impl Rule for VolumeAnomaly {
    fn id(&self) -> &'static str {
        "volume_anomaly"
    }
    fn description(&self) -> &'static str {
        "Statistical outliers per interval: auth failures and HTTP requests per host against the same hour of day (median/MAD, Poisson tail), and response bytes per source IP against all sources (log scale, robust z)."
    }
    fn params(&self) -> Vec<Param> {
        vec![
            Param::new("interval_minutes", Value::Int(60), "Length of one interval of the series."),
            Param::new(
                "min_score",
                Value::Float(6.0),
                "Robust score (distance from the median in MADs) a point must reach.",
            ),
            Param::new("max_p_value", Value::Float(1e-6), "Tail probability a count must fall below."),
            Param::new("min_count", Value::Int(20), "Smallest count worth reporting."),
            Param::new(
                "min_bytes",
                Value::Int(100_000_000),
                "Smallest bytes per interval worth reporting for one source.",
            ),
            Param::new("bytes_min_score", Value::Float(5.0), "Robust z (log10 bytes) a source's interval must reach."),
        ]
    }
    fn run(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let id = self.id();
        let interval = ctx.config.int(id, "interval_minutes").max(1) * 60_000_000;
        let min_score = ctx.config.float(id, "min_score");
        let max_p = ctx.config.float(id, "max_p_value");
        let min_count = ctx.config.int(id, "min_count") as f64;
        let mut out = Vec::new();
        // Each series: its name, its events, and the same events among the hourly counts
        // (module, kind, whether an HTTP request).
        type Pick = fn(&str, u8, bool) -> bool;
        let series: [(&str, Expr, Pick); 2] = [
            (
                "auth failures",
                col("event_module").eq(lit("auth")).and(col("event_action").eq(lit(action::AUTH_FAILURE))),
                |module, kind, _| module == "auth" && kind == hourly::KIND_AUTH_FAILURE,
            ),
            ("http requests", col("event_action").eq(lit(action::HTTP_REQUEST)), |_, _, http| http),
        ];
        // At the default interval of an hour the series are the case's hourly counts (stored
        // once per state of the case and read by the correlations and the report too), not two
        // more scans of the events.
        let hourly = if interval == hourly::HOUR_US { Some(hourly::table(ctx.data)?) } else { None };
        for (name, filter, pick) in series {
            let per_host = match &hourly {
                Some(h) => hourly::per_host(h, pick)?,
                None => frame::bucket_counts(ctx.data.events()?.filter(filter.clone()), col("host_name"), interval)?,
            };
            for (host, s) in per_host {
                let flagged = count_outliers(&s, interval, min_score, max_p, min_count);
                for run in merge_runs(&flagged) {
                    let (first, last) = (run[0], run[run.len() - 1]);
                    let peak = run
                        .iter()
                        .max_by(|a, b| a.score.partial_cmp(&b.score).unwrap_or(std::cmp::Ordering::Equal))
                        .unwrap();
                    let mut d = Draft::new(id, Severity::Medium);
                    d.host_name = (!host.is_empty()).then(|| host.clone());
                    d.count = run.iter().map(|o| o.observed as u64).sum();
                    let host_filter = col("host_name").eq(lit(host.clone()));
                    self.evidence(
                        ctx,
                        filter.clone().and(host_filter),
                        first.bucket * interval,
                        (last.bucket + 1) * interval,
                        &mut d,
                    )?;
                    d.first_seen = first.bucket * interval;
                    d.last_seen = (last.bucket + 1) * interval - 1;
                    d = d
                        .detail("series", format!("{name} per host"))
                        .detail("observed", peak.observed)
                        .detail("baseline_median", peak.baseline)
                        .detail("baseline_mad", peak.mad)
                        .detail("score", (peak.score * 100.0).round() / 100.0)
                        .detail("p_value", format!("{:.3e}", peak.p_value))
                        .detail("intervals", run.len())
                        .detail("interval_minutes", interval / 60_000_000);
                    d.title = format!(
                        "Unusual volume of {name} on {host}: {} in one interval (usual {})",
                        peak.observed, peak.baseline
                    );
                    out.push(d);
                }
            }
        }
        out.extend(self.bytes(ctx, interval)?);
        Ok(out)
    }
}

impl VolumeAnomaly {
    fn bytes(&self, ctx: &Ctx<'_>, interval: i64) -> Result<Vec<Draft>, AnalysisError> {
        let id = self.id();
        let min_bytes = ctx.config.int(id, "min_bytes") as f64;
        let min_z = ctx.config.float(id, "bytes_min_score");
        let filter =
            col("event_action").eq(lit(action::HTTP_REQUEST)).and(col("http_response_body_bytes").gt(lit(0i64)));
        let df = ctx
            .data
            .events()?
            .filter(filter.clone())
            .select([
                col("host_name"),
                col("source_ip"),
                (col("timestamp").cast(DataType::Int64).floor_div(lit(interval))).alias("bucket"),
                col("http_response_body_bytes"),
            ])
            .group_by([col("host_name"), col("source_ip"), col("bucket")])
            .agg([col("http_response_body_bytes").sum().alias("bytes"), len().alias("n")])
            .sort(["host_name", "source_ip", "bucket"], Default::default())
            .run()?;
        let host = frame::strs(&df, "host_name")?;
        let ip = frame::strs(&df, "source_ip")?;
        let bucket = frame::ints(&df, "bucket")?;
        let bytes = frame::floats(&df, "bytes")?;
        let logs: Vec<f64> = bytes.iter().map(|b| b.unwrap_or(1.0).max(1.0).log10()).collect();
        if logs.len() < 10 {
            return Ok(Vec::new());
        }
        let (m, mad) = median_mad(&logs);
        let spread = (1.4826 * mad).max(0.1);
        let normal = Normal::new(0.0, 1.0).expect("standard normal");
        // Flagged intervals, merged per (host, source) when consecutive (rows are sorted).
        let mut runs: Vec<(usize, i64, i64, f64, f64)> = Vec::new(); // (row, first bucket, last bucket, bytes, max z)
        for i in 0..df.height() {
            let b = bytes[i].unwrap_or(0.0);
            let z = (logs[i] - m) / spread;
            if b < min_bytes || z < min_z {
                continue;
            }
            let bk = bucket[i].unwrap_or(0);
            match runs.last_mut() {
                Some(r) if host[r.0] == host[i] && ip[r.0] == ip[i] && r.2 + 1 == bk => {
                    r.2 = bk;
                    r.3 += b;
                    r.4 = r.4.max(z);
                }
                _ => runs.push((i, bk, bk, b, z)),
            }
        }
        let mut out = Vec::new();
        for (i, first, last, b, z) in runs {
            let mut d = Draft::new(id, Severity::High);
            d.host_name = host[i].clone();
            d.source_ip = ip[i].clone();
            let mut f = filter.clone().and(col("source_ip").eq(lit(ip[i].clone().unwrap_or_default())));
            if let Some(h) = &host[i] {
                f = f.and(col("host_name").eq(lit(h.clone())));
            }
            self.evidence(ctx, f, first * interval, (last + 1) * interval, &mut d)?;
            d.count = b as u64;
            d = d
                .detail("series", "response bytes per source IP")
                .detail("observed_bytes", b as u64)
                .detail("baseline_median_bytes", 10f64.powf(m).round() as u64)
                .detail("score", (z * 100.0).round() / 100.0)
                .detail("p_value", format!("{:.3e}", normal.sf(z)))
                .detail("intervals", last - first + 1)
                .detail("interval_minutes", interval / 60_000_000);
            d.title = format!(
                "{} received {:.1} MB from {} in {} interval(s) (typical source: {:.1} kB per interval)",
                ip[i].as_deref().unwrap_or("?"),
                b / 1e6,
                host[i].as_deref().unwrap_or("?"),
                last - first + 1,
                10f64.powf(m) / 1e3
            );
            out.push(d);
        }
        Ok(out)
    }
}

/// Groups flagged buckets into runs of consecutive intervals.
fn merge_runs(flagged: &[Outlier]) -> Vec<Vec<&Outlier>> {
    let mut runs: Vec<Vec<&Outlier>> = Vec::new();
    for o in flagged {
        match runs.last_mut() {
            Some(r) if r.last().is_some_and(|p| p.bucket + 1 == o.bucket) => r.push(o),
            _ => runs.push(vec![o]),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diurnal_rhythm_is_not_an_anomaly_but_a_spike_is() {
        let interval = 3_600_000_000;
        let mut s = BTreeMap::new();
        for day in 0..14 {
            for h in 0..24 {
                let base = if (8..20).contains(&h) { 120.0 } else { 10.0 };
                s.insert(day * 24 + h, base + ((day * 7 + h) % 5) as f64);
            }
        }
        assert!(count_outliers(&s, interval, 6.0, 1e-6, 20.0).is_empty(), "day/night difference is normal");
        s.insert(5 * 24 + 3, 400.0);
        let o = count_outliers(&s, interval, 6.0, 1e-6, 20.0);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].bucket, 5 * 24 + 3);
        assert!(o[0].p_value < 1e-12);
    }

    #[test]
    fn robust_statistics() {
        assert_eq!(median_mad(&[1.0, 2.0, 3.0, 4.0, 100.0]), (3.0, 1.0));
        assert!(poisson_tail(30.0, 5.0) < 1e-9);
        assert!((poisson_tail(0.0, 5.0) - 1.0).abs() < 1e-12);
    }
}
