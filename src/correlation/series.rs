//! Statistical correlation between sources and hosts: hourly event counts per (source, host)
//! and per kind of hostile activity (auth failures, firewall blocks, HTTP client errors), every
//! pair compared with Pearson's r (with a t-test p-value from statrs' Student's t) and
//! Spearman's rank correlation. Written to `CASE/correlations.parquet`, queryable as the table
//! `correlations`, and drawn by the report.

use std::collections::BTreeMap;

use polars::prelude::*;

use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::statistics::Statistics;

use crate::error::AnalysisError;
use crate::query::frame;
use crate::query::{hourly, CaseData};
use crate::store::files::{create, write_atomic, CORRELATIONS as FILE};

/// One compared pair of series.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    pub n: usize,
    pub pearson: f64,
    pub p_value: f64,
    pub spearman: f64,
}

/// Pearson's r of two equally long samples (NaN when either is constant).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let (sx, sy) = (x.std_dev(), y.std_dev());
    if sx == 0.0 || sy == 0.0 || x.len() < 3 {
        return f64::NAN;
    }
    x.covariance(y) / (sx * sy)
}

/// Ranks with ties averaged.
pub fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].partial_cmp(&v[b]).unwrap_or(std::cmp::Ordering::Equal));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            r[idx[k]] = avg;
        }
        i = j + 1;
    }
    r
}

pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// Two-sided p-value of r with n samples (t = r √((n−2)/(1−r²))).
pub fn p_value(r: f64, n: usize) -> f64 {
    if !r.is_finite() || n < 3 {
        return f64::NAN;
    }
    if r.abs() >= 1.0 {
        return 0.0;
    }
    let df = (n - 2) as f64;
    let t = r * (df / (1.0 - r * r)).sqrt();
    match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => 2.0 * d.sf(t.abs()),
        Err(_) => f64::NAN,
    }
}

/// Hourly series: name → (hour → count).
/// A series key (`auth failures@web01`, `auth@web01`) as a reader names it: `web01 auth
/// failures`, `web01 auth events`.
pub fn label(key: &str) -> String {
    let (kind, host) = key.rsplit_once('@').unwrap_or((key, ""));
    let what = if ["auth failures", "firewall blocks", "http 4xx"].contains(&kind) {
        kind.to_string()
    } else {
        format!("{kind} events")
    };
    if host.is_empty() || host == "-" {
        what
    } else {
        format!("{host} {what}")
    }
}

/// Events per hour of every source and host, and of the failures, blocks and client errors in
/// them, as named series (`auth@web01`, `auth failures@web01`, …), from the case's hourly counts
/// ([`hourly::table`]).
pub fn hourly(data: &CaseData) -> Result<BTreeMap<String, BTreeMap<i64, f64>>, AnalysisError> {
    let df = hourly::table(data)?;
    let module = frame::strs(&df, "event_module")?;
    let host = frame::strs(&df, "host_name")?;
    let h = frame::ints(&df, "hour")?;
    let kind: Vec<&str> = frame::ints(&df, "kind")?
        .into_iter()
        .map(|k| hourly::KINDS.get(k.unwrap_or(0) as usize).copied().unwrap_or("events"))
        .collect();
    let n = frame::ints(&df, "n")?;
    let mut out: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    for i in 0..df.height() {
        let (m, ho, k, hr, c) = (
            module[i].clone().unwrap_or_default(),
            host[i].clone().unwrap_or_else(|| "-".to_string()),
            kind[i],
            h[i].unwrap_or(0),
            n[i].unwrap_or(0) as f64,
        );
        *out.entry(format!("{m}@{ho}")).or_default().entry(hr).or_default() += c;
        if k != "events" {
            *out.entry(format!("{k}@{ho}")).or_default().entry(hr).or_default() += c;
        }
    }
    Ok(out)
}

/// Correlates every pair of series over the hours they share (zero-filled over the case's span).
pub fn correlate(series: &BTreeMap<String, BTreeMap<i64, f64>>) -> Vec<Pair> {
    let lo = series.values().filter_map(|s| s.keys().next()).min().copied();
    let hi = series.values().filter_map(|s| s.keys().next_back()).max().copied();
    let (Some(lo), Some(hi)) = (lo, hi) else { return Vec::new() };
    let dense: Vec<(&String, Vec<f64>)> =
        series.iter().map(|(k, s)| (k, (lo..=hi).map(|h| s.get(&h).copied().unwrap_or(0.0)).collect())).collect();
    let mut out = Vec::new();
    for i in 0..dense.len() {
        for j in i + 1..dense.len() {
            let (x, y) = (&dense[i].1, &dense[j].1);
            let r = pearson(x, y);
            if !r.is_finite() {
                continue;
            }
            out.push(Pair {
                a: dense[i].0.clone(),
                b: dense[j].0.clone(),
                n: x.len(),
                pearson: r,
                p_value: p_value(r, x.len()),
                spearman: spearman(x, y),
            });
        }
    }
    out
}

/// Computes and writes `correlations.parquet` into the case.
pub fn write(data: &CaseData) -> Result<Vec<Pair>, AnalysisError> {
    let pairs = correlate(&hourly(data)?);
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("series_a".into(), pairs.iter().map(|p| p.a.clone()).collect::<Vec<_>>()),
        Column::new("series_b".into(), pairs.iter().map(|p| p.b.clone()).collect::<Vec<_>>()),
        Column::new("hours".into(), pairs.iter().map(|p| p.n as i64).collect::<Vec<_>>()),
        Column::new("pearson".into(), pairs.iter().map(|p| p.pearson).collect::<Vec<_>>()),
        Column::new("p_value".into(), pairs.iter().map(|p| p.p_value).collect::<Vec<_>>()),
        Column::new("spearman".into(), pairs.iter().map(|p| p.spearman).collect::<Vec<_>>()),
    ])?;
    write_atomic(&data.case.dir.join(FILE), |tmp| {
        ParquetWriter::new(create(tmp)?).finish(&mut df)?;
        Ok(())
    })?;
    Ok(pairs)
}

/// Reads `correlations.parquet` when detect has written it.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_spearman_and_p() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let y = [2.0, 4.1, 6.0, 8.2, 9.9, 12.0];
        assert!((pearson(&x, &y) - 1.0).abs() < 0.01);
        assert!((spearman(&x, &[1.0, 4.0, 9.0, 16.0, 25.0, 36.0]) - 1.0).abs() < 1e-12, "monotone is rank-perfect");
        assert!(p_value(0.95, 30) < 1e-6);
        assert!(p_value(0.05, 30) > 0.5);
        assert!(pearson(&x, &[3.0; 6]).is_nan());
        assert_eq!(ranks(&[10.0, 20.0, 10.0]), [1.5, 3.0, 1.5]);
    }

    #[test]
    fn series_pairs() {
        let mut s = BTreeMap::new();
        s.insert("a".to_string(), (0..48).map(|h| (h, (h % 24) as f64)).collect());
        s.insert("b".to_string(), (0..48).map(|h| (h, 2.0 * (h % 24) as f64 + 1.0)).collect());
        s.insert("c".to_string(), BTreeMap::from([(5, 1.0)]));
        let p = correlate(&s);
        let ab = p.iter().find(|p| p.a == "a" && p.b == "b").unwrap();
        assert!((ab.pearson - 1.0).abs() < 1e-9 && ab.n == 48);
    }
}
