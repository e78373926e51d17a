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
use super::frame;
use super::{Ctx, Rule};
use crate::error::AnalysisError;
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

        // New source address for a user: each (user, address) pair's first login, against the
        // number of logins the user had before it.
        let success = col("event_module")
            .eq(lit("auth"))
            .and(col("event_action").eq(lit(action::AUTH_SUCCESS)))
            .and(col("source_ip").is_not_null())
            .and(col("user_name").is_not_null());
        let logins = ctx.data.events()?.filter(success).select([
            col("timestamp").cast(DataType::Int64).alias("ts"),
            col("user_name"),
            col("source_ip"),
            col("host_name"),
            col("log_file_path"),
            col("log_line"),
        ]);
        let order = || SortMultipleOptions::default();
        let by_first = |c: &str| col(c).sort_by([col("ts"), col("log_file_path"), col("log_line")], order()).first();
        let pairs = logins
            .clone()
            .group_by([col("user_name"), col("source_ip")])
            .agg([
                col("ts").min().alias("first"),
                len().alias("n"),
                by_first("host_name"),
                by_first("log_file_path"),
                by_first("log_line"),
            ])
            .sort(["user_name", "first", "source_ip"], Default::default())
            .run()?;
        let times = logins.select([col("user_name"), col("ts")]).sort(["user_name", "ts"], Default::default()).run()?;
        let t_user = frame::strs(&times, "user_name")?;
        let t_ts = frame::ints(&times, "ts")?;
        let mut per_user: HashMap<String, Vec<i64>> = HashMap::new();
        for (u, t) in t_user.into_iter().zip(t_ts) {
            per_user.entry(u.unwrap_or_default()).or_default().push(t.unwrap_or(0));
        }
        let p_user = frame::strs(&pairs, "user_name")?;
        let p_ip = frame::strs(&pairs, "source_ip")?;
        let p_first = frame::ints(&pairs, "first")?;
        let p_n = frame::ints(&pairs, "n")?;
        let p_host = frame::strs(&pairs, "host_name")?;
        let p_file = frame::strs(&pairs, "log_file_path")?;
        let p_line = frame::ints(&pairs, "log_line")?;
        let mut usual: HashMap<String, (i64, String)> = HashMap::new();
        for k in 0..pairs.height() {
            let user = p_user[k].clone().unwrap_or_default();
            let ip = p_ip[k].clone().unwrap_or_default();
            let first = p_first[k].unwrap_or(0);
            let earlier = per_user.get(&user).map_or(0, |ts| ts.partition_point(|t| *t < first));
            let best = usual.get(&user).cloned();
            if earlier >= min_history {
                let usual_ip = best.as_ref().map(|b| b.1.clone()).unwrap_or_default();
                let mut d = Draft::new(id, Severity::Medium);
                d.host_name = p_host[k].clone();
                d.source_ip = Some(ip.clone());
                d.user_name = Some(user.clone());
                d.add(first, p_file[k].as_deref().unwrap_or(""), p_line[k].unwrap_or(0));
                d.count = 1;
                d = d
                    .detail("kind", "new source for user")
                    .detail("earlier_logins", earlier)
                    .detail("usual_source", usual_ip.clone());
                d.title = format!("{user} logged in from {ip} for the first time (usually from {usual_ip})");
                out.push(d);
            }
            let n = p_n[k].unwrap_or(0);
            if best.is_none_or(|b| n > b.0) {
                usual.insert(user, (n, ip));
            }
        }

        // Rare programs.
        let df = ctx
            .data
            .events()?
            .filter(col("process_name").is_not_null())
            .group_by([col("host_name"), col("process_name")])
            .agg([
                len().alias("n"),
                col("timestamp").cast(DataType::Int64).min().alias("first"),
                col("log_file_path").first().alias("file"),
                col("log_line").first().alias("line"),
            ])
            .filter(col("n").lt_eq(lit(max_occ as i64)))
            .sort(["first", "host_name", "process_name"], Default::default())
            .limit(max_findings as IdxSize)
            .run()?;
        let host = frame::strs(&df, "host_name")?;
        let prog = frame::strs(&df, "process_name")?;
        let n = frame::ints(&df, "n")?;
        let first = frame::ints(&df, "first")?;
        let file = frame::strs(&df, "file")?;
        let line = frame::ints(&df, "line")?;
        for i in 0..df.height() {
            let mut d = Draft::new(id, Severity::Low);
            d.host_name = host[i].clone();
            d.add(first[i].unwrap_or(0), file[i].as_deref().unwrap_or(""), line[i].unwrap_or(0));
            d.count = n[i].unwrap_or(0) as u64;
            let p = prog[i].clone().unwrap_or_default();
            d = d.detail("kind", "rare program").detail("program", p.clone());
            d.title = format!("Program {p} seen only {} time(s) on {}", d.count, host[i].as_deref().unwrap_or("?"));
            out.push(d);
        }

        // Rare message templates (syslog and auth messages): one pass over the messages in
        // bounded batches, counting templates by hash and keeping each one's earliest line.
        struct Seen {
            n: u64,
            first: (i64, String, i64),
            host: Option<String>,
            message: String,
        }
        let mut seen: HashMap<u64, Seen> = HashMap::new();
        let columns = ["timestamp", "host_name", "message", "log_file_path", "log_line"];
        ctx.data.for_each_event_batch(&["auth", "syslog"], &columns, TEMPLATE_BATCH_ROWS, |df| {
            let msgs: Vec<Option<&str>> = df.column("message")?.str()?.iter().collect();
            let hashes: Vec<u64> = msgs.par_iter().map(|m| m.map_or(0, template_hash)).collect();
            let ts = frame::ints(df, "timestamp")?;
            let line = frame::ints(df, "log_line")?;
            let file = df.column("log_file_path")?.str()?;
            let host = df.column("host_name")?.str()?;
            for (i, (m, h)) in msgs.iter().zip(hashes).enumerate() {
                let Some(m) = m else { continue };
                let key = (ts[i].unwrap_or(0), file.get(i).unwrap_or(""), line[i].unwrap_or(0));
                let make = || Seen {
                    n: 0,
                    first: (key.0, key.1.to_string(), key.2),
                    host: host.get(i).map(str::to_string),
                    message: m.to_string(),
                };
                let e = seen.entry(h).or_insert_with(make);
                e.n += 1;
                if e.n > 1 && key < (e.first.0, e.first.1.as_str(), e.first.2) {
                    *e = Seen { n: e.n, ..make() };
                }
            }
            Ok(())
        })?;
        let mut rare: Vec<Seen> = seen.into_values().filter(|s| s.n <= max_occ).collect();
        rare.sort_by(|a, b| a.first.cmp(&b.first));
        for s in rare.into_iter().take(max_findings) {
            let t = template(&s.message);
            let mut d = Draft::new(id, Severity::Low);
            d.host_name = s.host.clone();
            d.add(s.first.0, &s.first.1, s.first.2);
            d.count = s.n;
            d = d.detail("kind", "rare message template").detail("template", t.clone());
            let short: String = t.chars().take(80).collect();
            d.title = format!("Rare message on {}: {short}", s.host.as_deref().unwrap_or("?"));
            out.push(d);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
