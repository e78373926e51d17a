//! `log_integrity`'s journal facts: what the systemd journal itself says about missing or
//! wiped records.
//!
//! - **Missing sequence numbers.** journald numbers every entry of a machine's journal with one
//!   counter per `seqnum_id`, shared by `system.journal`, its archives (`system@….journal`) and
//!   the `user-UID.journal` files. Entries whose numbers no file of that counter holds were
//!   written and are gone: an archive missing from the copy or deleted (`--vacuum`), or a file
//!   cut short. Computed over the union of the files, so numbers that a user journal holds are no
//!   gap in the system journal.
//! - **A new boot without a shutdown.** Consecutive entries of one host with different `_BOOT_ID`s
//!   where the earlier boot's last entries say nothing of stopping (systemd's shutdown target,
//!   journald stopping): a crash, a power cut, or entries removed.
//! - **Vacuuming.** journald's and journalctl's own words for deleting archived journals
//!   (`Deleted archived journal …`, `Vacuuming done, freed …`) wherever a log recorded them.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::finding::{Draft, Severity};
use super::Ctx;
use crate::error::AnalysisError;
use crate::parse::time::parse_rfc3339_utc;
use crate::query::frame;
use crate::query::Run;
use crate::store::manifest::InputRecord;

/// Messages systemd writes while a machine shuts down or reboots (systemd's `shutdown.target`
/// units, journald stopping, the shutdown binary).
const SHUTDOWN: &[&str] = &[
    "Reached target shutdown.target",
    "Reached target Power-Off",
    "Reached target Reboot",
    "Reached target System Power Off",
    "Reached target System Reboot",
    "System is powering down",
    "System is rebooting",
    "System is halting",
    "Journal stopped",
    "Stopping Journal Service",
    "systemd-shutdown",
    "Shutting down.",
];

/// How long before a boot's last entry its shutdown messages may be.
const SHUTDOWN_WINDOW: i64 = 10 * 60 * 1_000_000;

/// Merges inclusive ranges.
fn merge(mut r: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    r.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (a, b) in r {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Sequence numbers no journal file of a counter holds, per counter.
pub fn sequence_gaps(rule: &str, inputs: &[InputRecord]) -> Vec<Draft> {
    let mut by_counter: BTreeMap<&str, Vec<&InputRecord>> = BTreeMap::new();
    for i in inputs {
        if let Some(j) = &i.journal {
            if !j.seqnum_id.is_empty() {
                by_counter.entry(j.seqnum_id.as_str()).or_default().push(i);
            }
        }
    }
    let mut out = Vec::new();
    for (counter, files) in by_counter {
        let mut held = Vec::new();
        for f in &files {
            let j = f.journal.as_ref().expect("journal inputs");
            let (Some(head), Some(tail)) = (j.head_seqnum, j.tail_seqnum) else { continue };
            // The file's range minus its own gaps.
            let mut from = head;
            for &(a, b) in &j.seqnum_gaps {
                if a > from {
                    held.push((from, a - 1));
                }
                from = b + 1;
            }
            if from <= tail {
                held.push((from, tail));
            }
        }
        let held = merge(held);
        let missing: Vec<(u64, u64)> = held.windows(2).map(|w| (w[0].1 + 1, w[1].0 - 1)).collect();
        if missing.is_empty() {
            continue;
        }
        let n: u64 = missing.iter().map(|(a, b)| b - a + 1).sum();
        let when = |s: &Option<String>| s.as_deref().and_then(parse_rfc3339_utc);
        let mut d = Draft::new(rule.to_string(), Severity::Medium);
        d.host_name = files.iter().find_map(|f| f.host_name.clone());
        d.first_seen = files.iter().filter_map(|f| when(&f.first_timestamp)).min().unwrap_or(0);
        d.last_seen = files.iter().filter_map(|f| when(&f.last_timestamp)).max().unwrap_or(0);
        d.count = n;
        let ranges: Vec<String> =
            missing.iter().take(10).map(|(a, b)| if a == b { format!("{a}") } else { format!("{a}–{b}") }).collect();
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        d = d
            .detail("kind", "journal sequence gap")
            .detail("seqnum_id", counter.to_string())
            .detail("missing_seqnums", ranges.join(", "))
            .detail("files", names.join(", "));
        d.title = format!(
            "{n} journal entries missing on {}: sequence numbers {} are in none of its {} journal file(s) (an archive deleted, vacuumed or not copied)",
            d.host_name.as_deref().unwrap_or("?"),
            ranges.join(", "),
            files.len()
        );
        out.push(d);
    }
    out
}

/// Boots that begin with no shutdown at the end of the one before.
pub fn unclean_boots(rule: &str, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
    let df = ctx
        .data
        .events()?
        .filter(col("host_boot_id").is_not_null())
        .select([
            col("timestamp").cast(DataType::Int64).alias("ts"),
            col("host_name"),
            col("host_boot_id"),
            col("message"),
            col("log_file_path"),
            col("log_line"),
        ])
        .sort(["host_name", "ts", "log_file_path", "log_line"], Default::default())
        .run()?;
    let ts = frame::ints(&df, "ts")?;
    let host = frame::strs(&df, "host_name")?;
    let boot = frame::strs(&df, "host_boot_id")?;
    let msg = frame::strs(&df, "message")?;
    let file = frame::strs(&df, "log_file_path")?;
    let line = frame::ints(&df, "log_line")?;
    let mut out = Vec::new();
    for i in 1..df.height() {
        if host[i] != host[i - 1] || boot[i] == boot[i - 1] {
            continue;
        }
        let last = ts[i - 1].unwrap_or(0);
        let clean = (0..i)
            .rev()
            .take_while(|&k| {
                host[k] == host[i - 1] && boot[k] == boot[i - 1] && last - ts[k].unwrap_or(0) <= SHUTDOWN_WINDOW
            })
            .any(|k| msg[k].as_deref().is_some_and(|m| SHUTDOWN.iter().any(|s| m.contains(s))));
        if clean {
            continue;
        }
        let mut d = Draft::new(rule.to_string(), Severity::Medium);
        d.host_name = host[i].clone();
        d.add(last, file[i - 1].as_deref().unwrap_or(""), line[i - 1].unwrap_or(0));
        d.add(ts[i].unwrap_or(0), file[i].as_deref().unwrap_or(""), line[i].unwrap_or(0));
        d.count = 1;
        let short = |b: &Option<String>| b.as_deref().unwrap_or("?").chars().take(8).collect::<String>();
        d = d
            .detail("kind", "boot without shutdown")
            .detail("previous_boot", boot[i - 1].clone().unwrap_or_default())
            .detail("boot", boot[i].clone().unwrap_or_default());
        d.title = format!(
            "{} started boot {}… with no shutdown logged at the end of boot {}… (a crash, a power cut, or entries removed)",
            host[i].as_deref().unwrap_or("?"),
            short(&boot[i]),
            short(&boot[i - 1])
        );
        out.push(d);
    }
    Ok(out)
}

/// Version of the stored vacuuming lines: raised whenever what [`vacuuming`] looks for changes.
const VACUUM_VERSION: u32 = 1;

/// Sources whose lines are never journald's own messages.
const NOT_JOURNALD_MODULES: [&str; 6] =
    ["apache_access", "nginx_access", "apache_error", "nginx_error", "firewall", "audit"];

/// journald's and journalctl's messages about deleting archived journals.
pub fn vacuuming(rule: &str, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
    // The lines depend on nothing but the events: stored in the case (`vacuum-STAMP.parquet`,
    // usually empty) and read back while the case stays as it is.
    let df = ctx.data.derived_table("vacuum", VACUUM_VERSION, || {
        let m = || col("message");
        // Web requests, web server errors, firewall packets and audit records are not where
        // journald writes (a request for `/Deleted archived journal` is the client's words):
        // their partitions are not read, which halves the messages scanned on a typical case.
        let not_journald = crate::query::one_of(col("event_module"), NOT_JOURNALD_MODULES).not();
        Ok(ctx
            .data
            .events()?
            .filter(not_journald)
            .filter(
                m().str()
                    .contains_literal(lit("Deleted archived journal"))
                    .or(m().str().contains_literal(lit("Vacuuming done, freed")))
                    .fill_null(lit(false)),
            )
            .select([
                col("timestamp").cast(DataType::Int64).alias("ts"),
                col("host_name"),
                col("message"),
                col("log_file_path"),
                col("log_line"),
            ])
            .sort(["ts", "log_file_path", "log_line"], Default::default())
            .run()?)
    })?;
    let ts = frame::ints(&df, "ts")?;
    let host = frame::strs(&df, "host_name")?;
    let msg = frame::strs(&df, "message")?;
    let file = frame::strs(&df, "log_file_path")?;
    let line = frame::ints(&df, "log_line")?;
    let mut by_host: BTreeMap<String, Draft> = BTreeMap::new();
    for i in 0..df.height() {
        let h = host[i].clone().unwrap_or_default();
        let d = by_host.entry(h.clone()).or_insert_with(|| {
            let mut d = Draft::new(rule.to_string(), Severity::Medium);
            d.host_name = host[i].clone();
            d.details.insert("kind".into(), "journal vacuumed".into());
            d.details.insert("example".into(), msg[i].clone().unwrap_or_default().into());
            d
        });
        d.add(ts[i].unwrap_or(0), file[i].as_deref().unwrap_or(""), line[i].unwrap_or(0));
        d.count += 1;
    }
    Ok(by_host
        .into_iter()
        .map(|(h, mut d)| {
            d.title = format!("Archived journals deleted on {h}: {} message(s) of journald vacuuming", d.count);
            d
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::manifest::JournalInfo;

    fn file(path: &str, head: u64, tail: u64, gaps: Vec<(u64, u64)>) -> InputRecord {
        let mut r: InputRecord = serde_json::from_value(serde_json::json!({
            "path": path, "size": 1, "mtime": "2026-01-01T00:00:00Z", "sha256": null, "content_sha256": null,
            "compression": null, "format": "journal", "rotation_set": null, "rotation_index": null,
            "lines": 1, "events": 1, "rejects": 0, "first_timestamp": "2026-01-01T00:00:00Z",
            "last_timestamp": "2026-01-02T00:00:00Z", "damaged": false, "error": null, "duplicate_of": null,
            "skipped": null, "host_name": "h1"
        }))
        .unwrap();
        r.journal = Some(JournalInfo {
            seqnum_id: "abc".into(),
            head_seqnum: Some(head),
            tail_seqnum: Some(tail),
            seqnum_gaps: gaps,
            ..Default::default()
        });
        r
    }

    #[test]
    fn gaps_are_judged_over_all_files_of_a_counter() {
        // The user journal holds 5–6, the system journal's own gap: no finding.
        let ok = [file("system.journal", 1, 10, vec![(5, 6)]), file("user-1000.journal", 5, 6, vec![])];
        assert!(sequence_gaps("log_integrity", &ok).is_empty());
        // An archive between two present files is gone: 11–20.
        let gone = [file("system@a.journal", 1, 10, vec![]), file("system.journal", 21, 30, vec![])];
        let d = sequence_gaps("log_integrity", &gone);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].count, 10);
        assert_eq!(d[0].details["missing_seqnums"], "11–20");
    }
}
