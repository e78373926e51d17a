//! `logsleuth timeline --case DIR [filters] [--format …] [-o FILE]`

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::{exit, Exit};
use crate::detect::finding::FindingsDoc;
use crate::query::CaseData;
use crate::timeline::filter::{Cidr, Filter, Moment, Span};
use crate::timeline::sink::{Format, Parquet, Rows, Sink, Table, Timesketch};

/// Time range shared by the commands that read a period.
#[derive(Debug, Args, Clone, Default)]
pub struct TimeArgs {
    /// Start: RFC 3339, a date, or relative to the newest event (-7d).
    #[arg(long, value_name = "TIME", value_parser = Moment::parse, allow_hyphen_values = true)]
    pub from: Option<Moment>,
    /// End: RFC 3339, a date, or relative to the newest event (-1d).
    #[arg(long, value_name = "TIME", value_parser = Moment::parse, allow_hyphen_values = true)]
    pub to: Option<Moment>,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Case directory.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
    #[command(flatten)]
    pub time: TimeArgs,
    /// Only this host.
    #[arg(long)]
    pub host: Option<String>,
    /// Only events from or to this address or network (CIDR).
    #[arg(long, value_parser = Cidr::parse)]
    pub ip: Option<Cidr>,
    /// Only events of this user (acting or target).
    #[arg(long)]
    pub user: Option<String>,
    /// Only this action (`auth.failure`), or a prefix ending in `.` or `*` (`auth.`).
    #[arg(long)]
    pub action: Option<String>,
    /// Only events that are evidence of findings of this rule (run detect first).
    #[arg(long)]
    pub rule: Option<String>,
    /// Only events whose message matches this regular expression, case-insensitive (an address
    /// named in a command, a file name): `--grep '203\.0\.113\.45'`.
    #[arg(long, value_name = "PATTERN", value_parser = crate::timeline::filter::grep_pattern)]
    pub grep: Option<String>,
    /// The same over the raw line as the log wrote it (`event_original`), fields included.
    #[arg(long, value_name = "PATTERN", value_parser = crate::timeline::filter::grep_pattern)]
    pub grep_raw: Option<String>,
    /// Only events within --window of this moment.
    #[arg(long, value_name = "TIME", value_parser = Moment::parse, allow_hyphen_values = true)]
    pub around: Option<Moment>,
    /// Half-width of the --around window [default: 30m].
    #[arg(long, value_parser = Span::parse)]
    pub window: Option<Span>,
    /// Output format [default: from the -o file's extension (.csv, .jsonl, .parquet, .txt),
    /// else table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file instead of stdout (required for parquet).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A usage error.
fn usage(msg: String) -> Exit {
    Exit { code: exit::USAGE, error: anyhow!(msg) }
}

/// Checks the rule name against the rules this build and its findings know.
fn check_rule(rule: &str, doc: &FindingsDoc) -> Result<(), Exit> {
    let sql = crate::detect::sql_rule::SqlRule::load_all(None).unwrap_or_default();
    let mut known: Vec<String> = crate::detect::declarations(&sql).into_iter().map(|(id, _, _)| id).collect();
    known.extend(doc.findings.iter().map(|f| f.rule.clone()));
    known.sort();
    known.dedup();
    if known.iter().any(|k| k == rule) {
        return Ok(());
    }
    let near: Vec<&String> = known.iter().filter(|k| k.starts_with(rule) || k.contains(rule)).collect();
    let hint = if near.is_empty() {
        format!("the rules are: {}", known.join(", "))
    } else {
        format!("did you mean {}?", near.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
    };
    Err(usage(format!("--rule {rule:?} is no rule ({hint})")))
}

/// The output format: `--format`, else the one the `-o` file's extension names, else the
/// table. A `--format` that contradicts the extension (`-o tl.parquet --format csv`) is refused
/// rather than writing text into a file named as Parquet.
fn output_format(format: Option<Format>, output: Option<&std::path::Path>) -> Result<Format, Exit> {
    let named = output.map(Format::for_extension).unwrap_or(&[]);
    match (format, named.first()) {
        (Some(f), Some(_)) if !named.contains(&f) => Err(usage(format!(
            "-o {} names a {} file but --format is {}; change one of them",
            output.map(|p| p.display().to_string()).unwrap_or_default(),
            format_name(named[0]),
            format_name(f)
        ))),
        (Some(f), _) => Ok(f),
        (None, Some(f)) => Ok(*f),
        (None, None) => Ok(Format::Table),
    }
}

fn format_name(f: Format) -> String {
    use clap::ValueEnum;
    f.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
}

pub fn run(args: TimelineArgs) -> Result<i32, Exit> {
    if args.window.is_some() && args.around.is_none() {
        return Err(usage("--window needs --around TIME (the moment the window is around)".into()));
    }
    let format = output_format(args.format, args.output.as_deref())?;
    let data = CaseData::open(&args.case)?;
    if let (Some(from), Some(to)) = (args.time.from, args.time.to) {
        let newest = crate::timeline::span(&data)?.map_or(0, |s| s.1);
        if from.resolve(newest) > to.resolve(newest) {
            return Err(usage("--from is after --to: the range is reversed".into()));
        }
    }
    let evidence = match &args.rule {
        Some(rule) => {
            let doc = FindingsDoc::load(&args.case.join(crate::store::files::FINDINGS_JSON)).map_err(|e| Exit {
                code: exit::FAILURE,
                error: anyhow!("--rule needs findings: run `logsleuth detect` first ({e})"),
            })?;
            check_rule(rule, &doc)?;
            let set: HashSet<(String, i64)> = doc
                .findings
                .iter()
                .filter(|f| &f.rule == rule)
                .flat_map(|f| f.evidence.iter().map(|e| (e.file.clone(), e.line)))
                .collect();
            Some(set)
        }
        None => None,
    };
    let filter = Filter {
        from: args.time.from,
        to: args.time.to,
        host: args.host,
        ip: args.ip,
        user: args.user,
        action: args.action,
        evidence,
        around: args.around.map(|a| (a, args.window.unwrap_or(Span(30 * 60 * 1_000_000)))),
        grep: args.grep,
        grep_raw: args.grep_raw,
    };
    // A table for a person at a terminal goes through a pager ($PAGER, else `less -S`).
    let mut pager = if format == Format::Table && args.output.is_none() { super::pager() } else { None };
    let out: Box<dyn Write> = match (&args.output, pager.as_mut().and_then(|p| p.stdin.take())) {
        (Some(p), _) if format != Format::Parquet => {
            let file = std::fs::File::create(p)
                .map_err(|e| Exit { code: exit::FAILURE, error: anyhow!("cannot write {}: {e}", p.display()) })?;
            Box::new(std::io::BufWriter::new(file))
        }
        (None, Some(stdin)) => Box::new(std::io::BufWriter::new(stdin)),
        _ => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let n = match format {
        Format::Table => {
            let width = std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(if std::io::stdout().is_terminal() { 160 } else { 200 });
            crate::timeline::write(&data, &filter, &mut Table { out, width } as &mut dyn Sink)?
        }
        Format::Csv => crate::timeline::write(&data, &filter, &mut Rows { out, json: false, header_done: false })?,
        Format::Jsonl => crate::timeline::write(&data, &filter, &mut Rows { out, json: true, header_done: false })?,
        Format::Timesketch => {
            crate::timeline::write(&data, &filter, &mut Timesketch { out: csv::Writer::from_writer(out) })?
        }
        Format::Parquet => {
            let path = args
                .output
                .clone()
                .ok_or_else(|| Exit { code: exit::USAGE, error: anyhow!("--format parquet needs -o FILE") })?;
            crate::timeline::write(&data, &filter, &mut Parquet { path, writer: None })?
        }
    };
    if let Some(mut p) = pager {
        let _ = p.wait();
    }
    if args.output.is_some() {
        eprintln!("{n} events written");
    }
    if n == 0 {
        // No silent empty answer: say what the case holds.
        eprintln!("no event matches these filters; {}", crate::timeline::holdings(&data)?);
        return Ok(exit::NO_MATCH);
    }
    Ok(exit::OK)
}
