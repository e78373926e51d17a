//! `rare_event`: what has not been seen before. A user logging in from an address never seen
//! for that user (once the user has a history), a program that appears only a handful of times
//! in the whole case, and message templates that occur only a handful of times.
//!
//! Templates are mined the way Drain-style parsers start: messages are split into tokens and
//! every token that carries a digit (numbers, addresses, ids, hex) becomes `<*>`; identical
//! masked token sequences are one template. This is the masking step without Drain's similarity
//! tree, which keeps it deterministic and one pass.

use std::collections::{BTreeMap, HashMap};

use polars::prelude::*;

use super::auth::logins;
use super::config::{Param, Value};
use super::finding::{Draft, Severity};
use super::frame;
use super::{Ctx, Rule};
use crate::error::AnalysisError;

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

        // New source address for a user.
        let (ok, _) = logins(ctx)?;
        let mut seen: HashMap<&str, (usize, BTreeMap<&str, usize>)> = HashMap::new();
        for l in &ok {
            let Some(user) = l.user.as_deref() else { continue };
            let entry = seen.entry(user).or_default();
            if entry.0 >= min_history && !entry.1.contains_key(l.ip.as_str()) {
                let usual = entry.1.iter().max_by_key(|(_, n)| **n).map(|(ip, _)| ip.to_string()).unwrap_or_default();
                let mut d = Draft::new(id, Severity::Medium);
                d.host_name = l.host.clone();
                d.source_ip = Some(l.ip.clone());
                d.user_name = Some(user.to_string());
                d.add(l.ts, &l.file, l.line);
                d.count = 1;
                d = d
                    .detail("kind", "new source for user")
                    .detail("earlier_logins", entry.0)
                    .detail("usual_source", usual.clone());
                d.title = format!("{user} logged in from {} for the first time (usually from {usual})", l.ip);
                out.push(d);
            }
            entry.0 += 1;
            *entry.1.entry(l.ip.as_str()).or_default() += 1;
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
            .collect()?;
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

        // Rare message templates (syslog and auth messages).
        let df = ctx
            .data
            .events()?
            .filter(
                col("event_module")
                    .is_in(lit(Series::new("m".into(), ["auth", "syslog"])).implode(false), false)
                    .and(col("message").is_not_null()),
            )
            .select([
                col("timestamp").cast(DataType::Int64),
                col("host_name"),
                col("message"),
                col("log_file_path"),
                col("log_line"),
            ])
            .sort(["timestamp", "log_file_path", "log_line"], Default::default())
            .collect()?;
        let msgs = df.column("message")?.str()?;
        let mut counts: HashMap<String, (u64, usize)> = HashMap::new();
        for (i, m) in msgs.iter().enumerate() {
            let t = template(m.unwrap_or(""));
            counts.entry(t).and_modify(|e| e.0 += 1).or_insert((1, i));
        }
        let mut rare: Vec<(usize, String, u64)> =
            counts.into_iter().filter(|(_, (n, _))| *n <= max_occ).map(|(t, (n, i))| (i, t, n)).collect();
        rare.sort();
        let ts = frame::ints(&df, "timestamp")?;
        let host = frame::strs(&df, "host_name")?;
        let file = df.column("log_file_path")?.str()?;
        let line = frame::ints(&df, "log_line")?;
        for (i, t, n) in rare.into_iter().take(max_findings) {
            let mut d = Draft::new(id, Severity::Low);
            d.host_name = host[i].clone();
            d.add(ts[i].unwrap_or(0), file.get(i).unwrap_or(""), line[i].unwrap_or(0));
            d.count = n;
            d = d.detail("kind", "rare message template").detail("template", t.clone());
            let short: String = t.chars().take(80).collect();
            d.title = format!("Rare message on {}: {short}", host[i].as_deref().unwrap_or("?"));
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
            template("Failed password for root from 5.6.7.8 port 9 ssh2"),
            template("Failed password for root from 1.2.3.4 port 22 ssh2")
        );
    }
}
