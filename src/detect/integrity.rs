//! `log_integrity`: what an attacker who covers tracks leaves behind in text logs — a silent gap
//! in a host's normally steady CRON lines, a missing logrotate generation, timestamps jumping
//! backwards inside a file, damaged archives, and log files truncated to zero; and the
//! journal's own facts ([`super::journal_integrity`]): entries missing from a journal's
//! sequence, boots without a shutdown, vacuuming.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;
use rayon::prelude::*;

use crate::query::{one_of, Run};

use super::config::{Param, Value};
use super::finding::{Draft, Severity};
use super::{Ctx, Rule};
use crate::error::AnalysisError;
use crate::parse::time::parse_rfc3339_utc;
use crate::query::frame;

const MINUTE: i64 = 60_000_000;

/// One line of a file: (line number, time, host index).
type Row = (i64, i64, u32);

pub struct LogIntegrity;

impl Rule for LogIntegrity {
    fn id(&self) -> &'static str {
        "log_integrity"
    }
    fn description(&self) -> &'static str {
        "Signs of tampering and clock trouble: gaps in a host's steady CRON lines (longer than gap_factor times the usual spacing and at least min_gap_minutes), missing rotation generations, timestamps going back more than backwards_tolerance_minutes inside a file (`clock` when by an hour or more), events dated after their file was last written, hosts or zone-less lines whose clock is hours off the rest of the case (the same addresses seen a whole number of hours apart), damaged archives, empty log files; journal sequence numbers held by no file (archives deleted, vacuumed or not copied), boots that begin with no shutdown logged, journald's vacuuming messages."
    }
    fn params(&self) -> Vec<Param> {
        vec![
            Param::new("min_gap_minutes", Value::Int(60), "Shortest silence worth reporting."),
            Param::new(
                "gap_factor",
                Value::Float(10.0),
                "A gap must be this many times the host's median CRON spacing.",
            ),
            Param::new("min_heartbeats", Value::Int(50), "CRON lines a host needs before its silences are judged."),
            Param::new(
                "backwards_tolerance_minutes",
                Value::Int(5),
                "Out-of-order timestamps within this are normal (several writers).",
            ),
            Param::new(
                "clock_min_addresses",
                Value::Int(3),
                "Addresses two clocks must share before their offset is judged.",
            ),
            Param::new(
                "future_slack_hours",
                Value::Int(14),
                "Events may be dated this much after their file's mtime (an unknown zone is at most 14 h off).",
            ),
        ]
    }
    fn run(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        use super::timed;
        let mut out = timed("log_integrity: silent gaps", || self.gaps(ctx))?;
        out.extend(timed("log_integrity: time going backwards", || self.backwards(ctx))?);
        out.extend(self.inputs(ctx));
        out.extend(timed("log_integrity: dated after mtime", || self.after_mtime(ctx))?);
        out.extend(timed("log_integrity: clocks disagreeing", || self.clock_offsets(ctx))?);
        out.extend(super::journal_integrity::sequence_gaps(self.id(), &ctx.data.manifest.inputs));
        out.extend(timed("log_integrity: boots without shutdown", || {
            super::journal_integrity::unclean_boots(self.id(), ctx)
        })?);
        out.extend(timed("log_integrity: vacuumed journals", || super::journal_integrity::vacuuming(self.id(), ctx))?);
        Ok(out)
    }
}

/// Version of the stored steps back in time ([`back_steps`]).
const BACK_STEPS_VERSION: u32 = 1;

/// Every step back in time between consecutive lines of a file (by line number): the later
/// line's `log_file_path`, `log_line`, `timestamp`, `host_name` and the `step` (negative, in
/// microseconds), in (file, line) order. Access logs are left out: they stamp a request's start
/// but write it when it ends, out of order by design. Every line's (line number, time, host) is
/// read in bounded batches, each file then put in line order and walked. The steps depend on no
/// parameter (the tolerance filters them afterwards), so they are stored in the case
/// (`backsteps-STAMP.parquet`) and read back while the case stays as it is.
fn back_steps(ctx: &Ctx<'_>) -> Result<DataFrame, AnalysisError> {
    ctx.data.derived_table("backsteps", BACK_STEPS_VERSION, || {
        let mut hosts: Vec<Option<String>> = Vec::new();
        let mut host_ids: HashMap<Option<String>, u32> = HashMap::new();
        let mut files: HashMap<String, Vec<Row>> = HashMap::new();
        let columns = ["log_file_path", "log_line", "timestamp", "host_name"];
        ctx.data.for_each_event_batch(&["auth", "syslog", "firewall"], &columns, 1 << 20, |df| {
            let file = df.column("log_file_path")?.str()?;
            let line = frame::ints(df, "log_line")?;
            let ts = frame::ints(df, "timestamp")?;
            let host = df.column("host_name")?.str()?;
            let mut current: Option<(&str, &mut Vec<Row>)> = None;
            let mut last_host: Option<u32> = None;
            for (i, f) in file.iter().enumerate() {
                let f = f.unwrap_or("");
                let h = host.get(i);
                // Hosts repeat in runs: the previous line's host is checked first; a central
                // syslog file interleaving many hosts goes through the map.
                let hid = match last_host {
                    Some(k) if hosts[k as usize].as_deref() == h => k,
                    _ => *host_ids.entry(h.map(str::to_string)).or_insert_with_key(|k| {
                        hosts.push(k.clone());
                        (hosts.len() - 1) as u32
                    }),
                };
                last_host = Some(hid);
                let rows = match current.take() {
                    Some((name, rows)) if name == f => rows,
                    _ => files.entry(f.to_string()).or_default(),
                };
                rows.push((line[i].unwrap_or(0), ts[i].unwrap_or(0), hid));
                current = Some((f, rows));
            }
            Ok(())
        })?;
        let mut files: Vec<(String, Vec<Row>)> = files.into_iter().collect();
        files.par_iter_mut().for_each(|(_, rows)| rows.sort_unstable());
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let (mut file, mut line, mut ts, mut step, mut host) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (f, rows) in &files {
            for w in rows.windows(2).filter(|w| w[1].1 < w[0].1) {
                file.push(f.as_str());
                line.push(w[1].0);
                ts.push(w[1].1);
                step.push(w[1].1 - w[0].1);
                host.push(hosts[w[1].2 as usize].as_deref());
            }
        }
        Ok(DataFrame::new_infer_height(vec![
            Column::new("log_file_path".into(), file),
            Column::new("log_line".into(), line),
            Column::new("timestamp".into(), ts),
            Column::new("step".into(), step),
            Column::new("host_name".into(), host),
        ])?)
    })
}

/// The first line (time, file, line) of each address at its first time on one clock (a host's
/// zone-less or offset-carrying lines).
fn first_lines(
    ctx: &Ctx<'_>,
    (host, zoneless): &(String, bool),
    ips: &[&str],
    firsts: &[i64],
) -> Result<Vec<(i64, String, i64)>, AnalysisError> {
    let df = ctx
        .data
        .events()?
        .filter(col("host_name").eq(lit(host.clone())))
        .filter(col("timestamp_original_offset").is_null().eq(lit(*zoneless)))
        .filter(one_of(col("source_ip"), ips.iter().copied()))
        .filter(one_of(col("timestamp").cast(DataType::Int64), firsts.iter().copied()))
        .select([
            col("source_ip"),
            col("timestamp").cast(DataType::Int64).alias("ts"),
            col("log_file_path"),
            col("log_line"),
        ])
        .run()?;
    let wanted = DataFrame::new_infer_height(vec![
        Column::new("source_ip".into(), ips.to_vec()),
        Column::new("first".into(), firsts.to_vec()),
    ])?;
    let (file, line) = frame::earliest_lines(&wanted, "first", &df, &["source_ip"])?;
    Ok(firsts.iter().zip(file.into_iter().zip(line)).filter_map(|(t, (f, l))| Some((*t, f?, l?))).collect())
}

impl LogIntegrity {
    fn gaps(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let id = self.id();
        let min_gap = ctx.config.int(id, "min_gap_minutes") * MINUTE;
        let factor = ctx.config.float(id, "gap_factor");
        let min_beats = ctx.config.int(id, "min_heartbeats").max(2) as usize;
        let df = ctx
            .data
            .events()?
            .filter(one_of(col("process_name"), ["CRON", "cron", "crond"]))
            .select([col("host_name"), col("timestamp").cast(DataType::Int64), col("log_file_path"), col("log_line")])
            .sort(["host_name", "timestamp", "log_file_path", "log_line"], Default::default())
            .run()?;
        let host = frame::strs(&df, "host_name")?;
        let ts = frame::ints(&df, "timestamp")?;
        let file = frame::strs(&df, "log_file_path")?;
        let line = frame::ints(&df, "log_line")?;
        // One heartbeat per distinct minute: a CRON run logs in several files at once.
        let mut by_host: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for i in 0..df.height() {
            let rows = by_host.entry(host[i].clone().unwrap_or_default()).or_default();
            let minute = ts[i].unwrap_or(0) / MINUTE;
            if rows.last().is_none_or(|&p| ts[p].unwrap_or(0) / MINUTE != minute) {
                rows.push(i);
            }
        }
        let mut out = Vec::new();
        for (h, rows) in by_host {
            if rows.len() < min_beats {
                continue;
            }
            let mut gaps: Vec<i64> = rows.windows(2).map(|w| ts[w[1]].unwrap_or(0) - ts[w[0]].unwrap_or(0)).collect();
            let mut sorted = gaps.clone();
            sorted.sort_unstable();
            let median = sorted[sorted.len() / 2].max(1);
            let threshold = min_gap.max((median as f64 * factor) as i64);
            for (k, g) in gaps.drain(..).enumerate() {
                if g < threshold {
                    continue;
                }
                let (a, b) = (rows[k], rows[k + 1]);
                let mut d = Draft::new(id, Severity::High);
                d.host_name = Some(h.clone());
                d.add(ts[a].unwrap_or(0), file[a].as_deref().unwrap_or(""), line[a].unwrap_or(0));
                d.add(ts[b].unwrap_or(0), file[b].as_deref().unwrap_or(""), line[b].unwrap_or(0));
                d.count = 1;
                d = d
                    .detail("kind", "silent gap")
                    .detail("gap_minutes", g / MINUTE)
                    .detail("usual_spacing_minutes", median as f64 / MINUTE as f64);
                d.title = format!(
                    "{h} logged no CRON line for {} minutes (usually every {:.0})",
                    g / MINUTE,
                    median as f64 / MINUTE as f64
                );
                out.push(d);
            }
        }
        Ok(out)
    }

    fn backwards(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let id = self.id();
        let tol = ctx.config.int(id, "backwards_tolerance_minutes") * MINUTE;
        let steps = back_steps(ctx)?;
        let file = frame::strs(&steps, "log_file_path")?;
        let line = frame::ints(&steps, "log_line")?;
        let ts = frame::ints(&steps, "timestamp")?;
        let step = frame::ints(&steps, "step")?;
        let host = frame::strs(&steps, "host_name")?;
        let mut by_file: BTreeMap<String, Draft> = BTreeMap::new();
        for i in (0..steps.height()).filter(|&i| step[i].unwrap_or(0) < -tol) {
            let (f, line, t, step) =
                (file[i].clone().unwrap_or_default(), line[i].unwrap_or(0), ts[i].unwrap_or(0), step[i].unwrap_or(0));
            let d = by_file.entry(f.clone()).or_insert_with(|| {
                let mut d = Draft::new("log_integrity", Severity::Medium);
                d.host_name = host[i].clone();
                d.details.insert("kind".into(), "time goes backwards".into());
                d.details.insert("file".into(), f.clone().into());
                d.details.insert("largest_jump_minutes".into(), 0.into());
                d
            });
            d.add(t, &f, line);
            d.count += 1;
            let jump = -step / MINUTE;
            if d.details["largest_jump_minutes"].as_i64().unwrap_or(0) < jump {
                d.details.insert("largest_jump_minutes".into(), jump.into());
            }
        }
        Ok(by_file
            .into_values()
            .map(|mut d| {
                let jump = d.details["largest_jump_minutes"].as_i64().unwrap_or(0);
                if jump >= 60 {
                    // An hour or more: a clock set back (manual reset, NTP step, zone change).
                    d.details.insert("kind".into(), "clock".into());
                    d.details.insert("clock".into(), "set back inside a file".into());
                    d.title = format!(
                        "Clock set back by up to {:.1} hours inside {} ({} times)",
                        jump as f64 / 60.0,
                        d.details["file"].as_str().unwrap_or(""),
                        d.count
                    );
                    return d;
                }
                d.title = format!(
                    "Timestamps jump back up to {} minutes inside {} ({} times)",
                    d.details["largest_jump_minutes"],
                    d.details["file"].as_str().unwrap_or(""),
                    d.count
                );
                d
            })
            .collect())
    }

    /// Files with events dated after the file was last written (its mtime, plus a slack for an
    /// unknown zone): a wrong year or zone, or a clock running ahead. Only where the mtime can be
    /// trusted: not for files whose year is uncertain.
    fn after_mtime(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let id = self.id();
        let slack = ctx.config.int(id, "future_slack_hours") * 60 * MINUTE;
        let mut out = Vec::new();
        for i in ctx
            .data
            .manifest
            .inputs
            .iter()
            .filter(|i| i.skipped.is_none() && i.duplicate_of.is_none() && !i.year_uncertain)
        {
            let (Some(mtime), Some(last)) =
                (parse_rfc3339_utc(&i.mtime), i.last_timestamp.as_deref().and_then(parse_rfc3339_utc))
            else {
                continue;
            };
            if last <= mtime + slack {
                continue;
            }
            let late = ctx
                .data
                .events()?
                .filter(col("log_file_path").eq(lit(i.path.clone())))
                .filter(col("timestamp").cast(DataType::Int64).gt(lit(mtime + slack)))
                .select([col("timestamp").cast(DataType::Int64), col("log_line")])
                .sort(["log_line"], Default::default())
                .run()?;
            if late.height() == 0 {
                continue;
            }
            let ts = frame::ints(&late, "timestamp")?;
            let line = frame::ints(&late, "log_line")?;
            let mut d = Draft::new(id, Severity::Medium);
            d.host_name = i.host_name.clone();
            for k in 0..late.height() {
                d.add(ts[k].unwrap_or(0), &i.path, line[k].unwrap_or(0));
            }
            d.count = late.height() as u64;
            d = d
                .detail("kind", "clock")
                .detail("clock", "dated after the file was written")
                .detail("file", i.path.clone())
                .detail("mtime", i.mtime.clone())
                .detail("year_source", i.year_source.clone().unwrap_or_default())
                .detail("tz", i.tz.clone().unwrap_or_default());
            d.title = format!(
                "{} event(s) of {} are dated after the file was last written ({}): wrong year or zone, or a clock running ahead",
                d.count, i.path, i.mtime
            );
            out.push(d);
        }
        Ok(out)
    }

    /// Clocks that disagree by whole hours: for each host, its zone-less lines and its lines that
    /// carry an offset are two clocks; two clocks that saw the same addresses (≥
    /// `clock_min_addresses`) first a whole number of hours apart, consistently, disagree. A wrong
    /// zone does exactly that: sshd failures an hour before the web requests of the same attack.
    fn clock_offsets(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let id = self.id();
        let min_addr = ctx.config.int(id, "clock_min_addresses").max(1) as usize;
        // Only the first time per clock and address here; the lines behind a finding are looked
        // up afterwards (reading file and line for every event would cost more than the rule).
        let df = super::sightings::table(ctx)?
            .lazy()
            .group_by([col("host_name"), col("zoneless"), col("source_ip")])
            .agg([col("first").min()])
            .run()?;
        let host = df.column("host_name")?.str()?;
        let zoneless = df.column("zoneless")?.bool()?;
        let ip = df.column("source_ip")?.str()?;
        let first = frame::ints(&df, "first")?;
        // clock → address → first time
        let mut clocks: BTreeMap<(String, bool), BTreeMap<String, i64>> = BTreeMap::new();
        for (k, t) in first.iter().enumerate() {
            let key = (host.get(k).unwrap_or("").to_string(), zoneless.get(k).unwrap_or(false));
            let (Some(a), Some(t)) = (ip.get(k), *t) else { continue };
            clocks.entry(key).or_default().insert(a.to_string(), t);
        }
        let keys: Vec<&(String, bool)> = clocks.keys().collect();
        let mut out = Vec::new();
        for (x, a) in keys.iter().enumerate() {
            for b in &keys[x + 1..] {
                // Only a zone-less clock can be off by a zone; compare it with offset-carrying ones
                // (its own host's first) and with other hosts' zone-less clocks.
                if !a.1 && !b.1 {
                    continue;
                }
                let (ca, cb) = (&clocks[*a], &clocks[*b]);
                let shared: Vec<(&String, i64)> =
                    ca.iter().filter_map(|(ip, ta)| cb.get(ip).map(|tb| (ip, ta - tb))).collect();
                if shared.len() < min_addr {
                    continue;
                }
                let mut diffs: Vec<i64> = shared.iter().map(|s| s.1).collect();
                diffs.sort_unstable();
                let median = diffs[diffs.len() / 2];
                let hours = (median as f64 / (60.0 * MINUTE as f64)).round() as i64;
                let near = |d: i64| (d - hours * 60 * MINUTE).abs() <= 10 * MINUTE;
                let agreeing = diffs.iter().filter(|&&d| near(d)).count();
                if hours == 0 || agreeing * 3 < diffs.len() * 2 || agreeing < min_addr {
                    continue;
                }
                let name = |c: &(String, bool)| {
                    format!("{} ({})", c.0, if c.1 { "lines without a zone" } else { "lines with an offset" })
                };
                let mut d = Draft::new(id, Severity::Medium);
                d.host_name = Some(a.0.clone()).filter(|h| !h.is_empty());
                let ips: Vec<&str> = shared.iter().filter(|s| near(s.1)).take(50).map(|s| s.0.as_str()).collect();
                for (clock, seen) in [(*a, ca), (*b, cb)] {
                    let firsts: Vec<i64> = ips.iter().map(|ip| seen[*ip]).collect();
                    for (t, file, line) in first_lines(ctx, clock, &ips, &firsts)? {
                        d.add(t, &file, line);
                    }
                }
                d.count = agreeing as u64;
                d = d
                    .detail("kind", "clock")
                    .detail("clock", "clocks disagree")
                    .detail("clock_a", name(a))
                    .detail("clock_b", name(b))
                    .detail("offset_hours", hours)
                    .detail("addresses", agreeing);
                d.title = format!(
                    "The clock of {} runs {} h {} that of {}: {} address(es) seen first exactly that far apart (wrong zone?)",
                    name(a),
                    hours.abs(),
                    if hours > 0 { "ahead of" } else { "behind" },
                    name(b),
                    agreeing
                );
                out.push(d);
            }
        }
        Ok(out)
    }

    fn inputs(&self, ctx: &Ctx<'_>) -> Vec<Draft> {
        let id = self.id();
        let inputs = &ctx.data.manifest.inputs;
        let mut out = Vec::new();
        let when = |s: &Option<String>| s.as_deref().and_then(parse_rfc3339_utc).unwrap_or(0);
        for i in inputs {
            if i.damaged {
                let mut d = Draft::new(id, Severity::Medium);
                d.host_name = i.host_name.clone();
                let t = when(&i.last_timestamp);
                d.first_seen = when(&i.first_timestamp);
                d.last_seen = t;
                d.count = i.lines;
                d = d
                    .detail("kind", "damaged file")
                    .detail("file", i.path.clone())
                    .detail("error", i.error.clone().unwrap_or_default());
                d.title = format!("Damaged log file {}: {}", i.path, i.error.as_deref().unwrap_or("unreadable"));
                out.push(d);
            }
            // Empty: no bytes, or a compressed file that holds none once decompressed (an empty
            // log compressed by logrotate is the same finding).
            let compressed_empty = i.content_size == 0
                && i.lines == 0
                && !i.damaged
                && i.compression.as_deref().is_some_and(|c| c != "none");
            if (i.size == 0 || compressed_empty) && i.skipped.is_none() {
                let mut d = Draft::new(id, Severity::Medium);
                d.host_name = i.host_name.clone();
                let t = parse_rfc3339_utc(&i.mtime).unwrap_or(0);
                d.first_seen = t;
                d.last_seen = t;
                d = d.detail("kind", "empty file").detail("file", i.path.clone()).detail("mtime", i.mtime.clone());
                d.title = format!("Log file {} is empty (truncated to zero bytes?), last modified {}", i.path, i.mtime);
                out.push(d);
            }
        }
        // Missing numbered rotation generations.
        let mut sets: BTreeMap<&str, (Vec<u32>, Option<String>, i64)> = BTreeMap::new();
        for i in inputs.iter().filter(|i| i.skipped.is_none()) {
            let (Some(set), Some(idx)) = (i.rotation_set.as_deref(), i.rotation_index) else { continue };
            let numbered = i.path.rsplit('/').next().is_some_and(|n| {
                n.split('.').any(|p| {
                    !p.is_empty()
                        && p.len() <= 4
                        && p.bytes().all(|c| c.is_ascii_digit())
                        && p.parse::<u32>() == Ok(idx)
                })
            });
            let e = sets.entry(set).or_insert((Vec::new(), i.host_name.clone(), 0));
            if numbered || idx == 0 {
                e.0.push(idx);
            }
            e.2 = e.2.max(parse_rfc3339_utc(&i.mtime).unwrap_or(0));
        }
        for (set, (mut idx, host, mtime)) in sets {
            idx.sort_unstable();
            idx.dedup();
            let Some(&max) = idx.last() else { continue };
            let missing: Vec<u32> = (1..max).filter(|k| !idx.contains(k)).collect();
            if missing.is_empty() {
                continue;
            }
            let mut d = Draft::new(id, Severity::Medium);
            d.host_name = host;
            d.first_seen = mtime;
            d.last_seen = mtime;
            d.count = missing.len() as u64;
            let names: Vec<String> = missing.iter().map(|k| format!("{set}.{k}")).collect();
            d = d
                .detail("kind", "missing rotation")
                .detail("rotation_set", set.to_string())
                .detail("missing", names.join(", "));
            d.title = format!("Rotation generation(s) missing from {set}: {}", names.join(", "));
            out.push(d);
        }
        out
    }
}
