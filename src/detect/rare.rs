//! `rare_event`: what has not been seen before. A user logging in from an address never seen
//! for that user (once the user has a history), a program that appears only a handful of times
//! in the whole case, and message templates that occur only a handful of times.
//!
//! Templates are mined the way Drain-style parsers start: messages are split into tokens and
//! every token that carries a digit (numbers, addresses, ids, hex) becomes `<*>`; identical
//! masked token sequences are one template. This is the masking step without Drain's similarity
//! tree, which keeps it deterministic and one pass.

use std::collections::HashMap;

use polars::prelude::*;

use crate::query::Run;
use rayon::prelude::*;

use super::config::{Param, Value};
use super::finding::{Draft, Severity};
use super::{Ctx, Rule};
use crate::error::AnalysisError;
use crate::query::frame;
use crate::schema::action;

/// Messages per batch when mining templates.
const TEMPLATE_BATCH_ROWS: usize = 1 << 20;

/// Hash of a message's template (same masking as [`template`], without building it).
pub fn template_hash(msg: &str) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x6c6f_6773_6c65_7574).build_hasher();
    for tok in msg.split_whitespace() {
        if tok.bytes().any(|b| b.is_ascii_digit()) || tok.len() > 40 {
            0u8.hash(&mut h);
        } else {
            tok.hash(&mut h);
        }
    }
    h.finish()
}

/// Masks variable tokens of a message.
pub fn template(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for (i, tok) in msg.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if tok.bytes().any(|b| b.is_ascii_digit()) || tok.len() > 40 {
            out.push_str("<*>");
        } else {
            out.push_str(tok);
        }
    }
    out
}

pub struct RareEvent;

impl Rule for RareEvent {
    fn id(&self) -> &'static str {
        "rare_event"
    }
    fn description(&self) -> &'static str {
        "First-seen or rare combinations: a login from an address never seen for that user (after min_history logins), programs seen at most max_occurrences times, and message templates seen at most max_occurrences times (at most max_findings of each kind)."
    }
    fn params(&self) -> Vec<Param> {
        vec![
            Param::new("min_history", Value::Int(3), "Earlier logins a user needs before a new address is unusual."),
            Param::new("max_occurrences", Value::Int(1), "A program or template seen at most this often is rare."),
            Param::new("max_findings", Value::Int(25), "At most this many rare programs and as many rare templates."),
        ]
    }
    fn run(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let id = self.id();
        let min_history = ctx.config.int(id, "min_history").max(0) as usize;
        let max_occ = ctx.config.int(id, "max_occurrences").max(1) as u64;
        let max_findings = ctx.config.int(id, "max_findings").max(0) as usize;
        let mut out = Vec::new();

        out.extend(super::timed("rare_event: new source for user", || new_sources(ctx, id, min_history))?);
        out.extend(super::timed("rare_event: rare programs", || rare_programs(ctx, id, max_occ, max_findings))?);
        out.extend(super::timed("rare_event: rare templates", || rare_templates(ctx, id, max_occ, max_findings))?);
        Ok(out)
    }
}

/// New source address for a user: each (user, address) pair's first login, against the number
/// of logins the user had before it.
fn new_sources(ctx: &Ctx<'_>, id: &'static str, min_history: usize) -> Result<Vec<Draft>, AnalysisError> {
    let success = col("event_module")
        .eq(lit("auth"))
        .and(col("event_action").eq(lit(action::AUTH_SUCCESS)))
        .and(col("source_ip").is_not_null())
        .and(col("user_name").is_not_null());
    let df = ctx
        .data
        .events()?
        .filter(success)
        .select([
            col("timestamp").cast(DataType::Int64).alias("ts"),
            col("user_name"),
            col("source_ip"),
            col("host_name"),
            col("log_file_path"),
            col("log_line").cast(DataType::Int64),
        ])
        .run()?;
    // Borrowed columns, and the logins put in (user, time, file, line) order once: each user's
    // logins are then one run, in which an address's first row is its first login.
    let strs = |name: &str| -> Result<Vec<&str>, AnalysisError> {
        Ok(df.column(name)?.str()?.iter().map(|v| v.unwrap_or("")).collect())
    };
    let (user, ip, file) = (strs("user_name")?, strs("source_ip")?, strs("log_file_path")?);
    let host: Vec<Option<&str>> = df.column("host_name")?.str()?.iter().collect();
    let ts: Vec<i64> = df.column("ts")?.i64()?.iter().map(|v| v.unwrap_or(0)).collect();
    let line: Vec<i64> = df.column("log_line")?.i64()?.iter().map(|v| v.unwrap_or(0)).collect();
    // Sorted by number, not text: users by their rank among the distinct users (the same
    // order), and the keys side by side with their row, so that a million logins compare
    // integers in place; the file and line only break a tie of user and time.
    let user_rank = ranks(&user);
    let mut order: Vec<(u32, i64, u32)> = (0..df.height()).map(|r| (user_rank[r], ts[r], r as u32)).collect();
    order.par_sort_unstable_by(|a, b| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| {
            let (a, b) = (a.2 as usize, b.2 as usize);
            (file[a], line[a]).cmp(&(file[b], line[b]))
        })
    });
    let mut out = Vec::new();
    for logins in order.chunk_by(|a, b| a.0 == b.0) {
        let u = user[logins[0].2 as usize];
        // Each address of the user: (first login's time, address, its row, logins from it).
        let mut pairs: Vec<(i64, &str, usize, i64)> = Vec::new();
        let mut index: HashMap<&str, usize, foldhash::fast::FixedState> = HashMap::default();
        for &(_, _, row) in logins {
            let row = row as usize;
            match index.entry(ip[row]) {
                std::collections::hash_map::Entry::Occupied(e) => pairs[*e.get()].3 += 1,
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(pairs.len());
                    pairs.push((ts[row], ip[row], row, 1));
                }
            }
        }
        pairs.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        // The user's usual address so far: the most used of the addresses seen before.
        let mut usual: Option<(i64, &str)> = None;
        for (first, a, row, n) in pairs {
            let earlier = logins.partition_point(|&(_, t, _)| t < first);
            if earlier >= min_history {
                let usual_ip = usual.map_or("", |b| b.1);
                let mut d = Draft::new(id, Severity::Medium);
                d.host_name = host[row].map(str::to_string);
                d.source_ip = Some(a.to_string());
                d.user_name = Some(u.to_string());
                d.add(first, file[row], line[row]);
                d.count = 1;
                d = d
                    .detail("kind", "new source for user")
                    .detail("earlier_logins", earlier)
                    .detail("usual_source", usual_ip);
                d.title = format!("{u} logged in from {a} for the first time (usually from {usual_ip})");
                out.push(d);
            }
            if usual.is_none_or(|b| n > b.0) {
                usual = Some((n, a));
            }
        }
    }
    Ok(out)
}

/// Each value's rank among the distinct values, in their sorted order.
fn ranks(values: &[&str]) -> Vec<u32> {
    let mut distinct: HashMap<&str, u32, foldhash::fast::FixedState> = HashMap::default();
    for v in values {
        distinct.entry(v).or_insert(0);
    }
    let mut sorted: Vec<&str> = distinct.keys().copied().collect();
    sorted.sort_unstable();
    for (i, v) in sorted.iter().enumerate() {
        distinct.insert(v, i as u32);
    }
    values.iter().map(|v| distinct[v]).collect()
}

/// Version of the stored program counts ([`program_counts`]).
const PROGRAMS_VERSION: u32 = 1;

/// Every (host, program) of the case with its count and earliest line (time, then file and line
/// at that time): columns `host_name`, `process_name`, `n`, `first_ts`, `first_file`,
/// `first_line`, in (first_ts, host, program) order. It depends on no parameter, so it is stored
/// in the case (`programs-STAMP.parquet`) and read back while the case stays as it is.
fn program_counts(ctx: &Ctx<'_>) -> Result<DataFrame, AnalysisError> {
    ctx.data.derived_table("programs", PROGRAMS_VERSION, || {
        let ts = || col("timestamp").cast(DataType::Int64);
        let groups = ctx
            .data
            .events()?
            .filter(col("process_name").is_not_null())
            .group_by([col("host_name"), col("process_name")])
            .agg([len().cast(DataType::UInt64).alias("n"), ts().min().alias("first_ts")])
            .run()?;
        // The lines at those first instants (a second, very selective scan): the earliest
        // (file, line) of each group at its first time.
        let firsts: Vec<i64> = frame::ints(&groups, "first_ts")?.into_iter().flatten().collect();
        let lines = ctx
            .data
            .events()?
            .filter(col("process_name").is_not_null().and(crate::query::one_of(ts(), firsts)))
            .select([
                col("host_name"),
                col("process_name"),
                ts().alias("ts"),
                col("log_file_path"),
                col("log_line").cast(DataType::Int64),
            ])
            .run()?;
        let (file, line) = frame::earliest_lines(&groups, "first_ts", &lines, &["host_name", "process_name"])?;
        let mut groups = groups;
        groups.with_column(Column::new("first_file".into(), file))?;
        groups.with_column(Column::new("first_line".into(), line))?;
        Ok(groups.sort(["first_ts", "host_name", "process_name"], Default::default())?)
    })
}

/// Programs seen at most `max_occ` times on a host, the earliest first.
fn rare_programs(
    ctx: &Ctx<'_>,
    id: &'static str,
    max_occ: u64,
    max_findings: usize,
) -> Result<Vec<Draft>, AnalysisError> {
    let df = program_counts(ctx)?;
    let n: Vec<u64> = df.column("n")?.u64()?.iter().map(|v| v.unwrap_or(0)).collect();
    let host = frame::strs(&df, "host_name")?;
    let prog = frame::strs(&df, "process_name")?;
    let first = frame::ints(&df, "first_ts")?;
    let file = frame::strs(&df, "first_file")?;
    let line = frame::ints(&df, "first_line")?;
    let mut out = Vec::new();
    for i in (0..df.height()).filter(|&i| n[i] <= max_occ).take(max_findings) {
        let mut d = Draft::new(id, Severity::Low);
        d.host_name = host[i].clone();
        d.add(first[i].unwrap_or(0), file[i].as_deref().unwrap_or(""), line[i].unwrap_or(0));
        d.count = n[i];
        let p = prog[i].clone().unwrap_or_default();
        d = d.detail("kind", "rare program").detail("program", p.clone());
        d.title = format!("Program {p} seen only {} time(s) on {}", d.count, host[i].as_deref().unwrap_or("?"));
        out.push(d);
    }
    Ok(out)
}

/// What template mining keeps of one template.
struct Seen {
    n: u64,
    /// Its earliest line: (time, file, line).
    first: (i64, String, i64),
    host: Option<String>,
    message: String,
}

/// Templates by their hash (already a hash: foldhash's quick mix, not SipHash, keys the map).
type Templates = HashMap<u64, Seen, foldhash::fast::FixedState>;

/// Counts the templates of one batch of messages into `seen`, keeping each one's earliest line.
fn mine(df: &DataFrame, seen: &mut Templates) -> Result<(), AnalysisError> {
    let msgs: Vec<Option<&str>> = df.column("message")?.str()?.iter().collect();
    let hashes: Vec<u64> = msgs.par_iter().map(|m| m.map_or(0, template_hash)).collect();
    let ts = frame::ints(df, "timestamp")?;
    let line = frame::ints(df, "log_line")?;
    let file: Vec<Option<&str>> = df.column("log_file_path")?.str()?.iter().collect();
    let host: Vec<Option<&str>> = df.column("host_name")?.str()?.iter().collect();
    for (i, (m, h)) in msgs.iter().zip(hashes).enumerate() {
        let Some(m) = m else { continue };
        let key = (ts[i].unwrap_or(0), file[i].unwrap_or(""), line[i].unwrap_or(0));
        let make = || Seen {
            n: 0,
            first: (key.0, key.1.to_string(), key.2),
            host: host[i].map(str::to_string),
            message: m.to_string(),
        };
        let e = seen.entry(h).or_insert_with(make);
        e.n += 1;
        if e.n > 1 && key < (e.first.0, e.first.1.as_str(), e.first.2) {
            *e = Seen { n: e.n, ..make() };
        }
    }
    Ok(())
}

/// Version of the stored template counts ([`template_counts`]): raised whenever the masking or
/// the hash changes, so that a case's stored counts are computed again.
const TEMPLATES_VERSION: u32 = 1;

/// Every message template of the case's auth and syslog messages with its count and earliest
/// line, in (time, file, line) order of that line: columns `n`, `first_ts`, `first_file`,
/// `first_line`, `host_name`, `message`. One pass over the messages in bounded batches; the
/// result depends on no parameter, so it is stored in the case (`templates-STAMP.parquet`) and
/// read back while the case stays as it is.
fn template_counts(ctx: &Ctx<'_>) -> Result<DataFrame, AnalysisError> {
    ctx.data.derived_table("templates", TEMPLATES_VERSION, || {
        let columns = ["timestamp", "host_name", "message", "log_file_path", "log_line"];
        let mut seen = Templates::default();
        // (Mining files side by side, each into its own counts, was tried: no faster, since
        // decoding a batch already uses every core, and 100 MB more memory.)
        ctx.data.for_each_event_batch(&["auth", "syslog"], &columns, TEMPLATE_BATCH_ROWS, |df| mine(df, &mut seen))?;
        let mut all: Vec<Seen> = seen.into_values().collect();
        all.sort_by(|a, b| a.first.cmp(&b.first));
        let df = DataFrame::new_infer_height(vec![
            Column::new("n".into(), all.iter().map(|s| s.n).collect::<Vec<u64>>()),
            Column::new("first_ts".into(), all.iter().map(|s| s.first.0).collect::<Vec<i64>>()),
            Column::new("first_file".into(), all.iter().map(|s| s.first.1.as_str()).collect::<Vec<&str>>()),
            Column::new("first_line".into(), all.iter().map(|s| s.first.2).collect::<Vec<i64>>()),
            Column::new("host_name".into(), all.iter().map(|s| s.host.as_deref()).collect::<Vec<Option<&str>>>()),
            Column::new("message".into(), all.iter().map(|s| s.message.as_str()).collect::<Vec<&str>>()),
        ])?;
        Ok(df)
    })
}

/// Rare message templates (syslog and auth messages): those seen at most `max_occ` times, the
/// earliest first.
fn rare_templates(
    ctx: &Ctx<'_>,
    id: &'static str,
    max_occ: u64,
    max_findings: usize,
) -> Result<Vec<Draft>, AnalysisError> {
    let counts = template_counts(ctx)?;
    let n: Vec<u64> = counts.column("n")?.u64()?.iter().map(|v| v.unwrap_or(0)).collect();
    let ts = frame::ints(&counts, "first_ts")?;
    let file = frame::strs(&counts, "first_file")?;
    let line = frame::ints(&counts, "first_line")?;
    let host = frame::strs(&counts, "host_name")?;
    let message = frame::strs(&counts, "message")?;
    let mut out = Vec::new();
    for i in (0..counts.height()).filter(|&i| n[i] <= max_occ).take(max_findings) {
        let t = template(message[i].as_deref().unwrap_or(""));
        let mut d = Draft::new(id, Severity::Low);
        d.host_name = host[i].clone();
        d.add(ts[i].unwrap_or(0), file[i].as_deref().unwrap_or(""), line[i].unwrap_or(0));
        d.count = n[i];
        d = d.detail("kind", "rare message template").detail("template", t.clone());
        let short: String = t.chars().take(80).collect();
        d.title = format!("Rare message on {}: {short}", host[i].as_deref().unwrap_or("?"));
        out.push(d);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_the_sorted_order_of_distinct_values() {
        assert_eq!(ranks(&["bob", "alice", "bob", "carol", "alice"]), vec![1, 0, 1, 2, 0]);
        assert!(ranks(&[]).is_empty());
    }

    #[test]
    fn templates_mask_variables() {
        assert_eq!(
            template("Failed password for root from 1.2.3.4 port 22 ssh2"),
            "Failed password for root from <*> port <*> <*>"
        );
        assert_eq!(template("New session 12 of user alice."), "New session <*> of user alice.");
        assert_eq!(
            template_hash("Failed password for root from 5.6.7.8 port 9 ssh2"),
            template_hash("Failed password for root from 1.2.3.4 port 22 ssh2")
        );
        assert_ne!(template_hash("Failed password for root"), template_hash("Failed password for admin"));
        assert_eq!(
            template("Failed password for root from 5.6.7.8 port 9 ssh2"),
            template("Failed password for root from 1.2.3.4 port 22 ssh2")
        );
    }
}
