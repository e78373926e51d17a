//! Command-line interface: argument groups shared by the subcommands, one module per
//! subcommand with one `run` function, and the documented exit codes.

pub mod compact;
pub mod detect;
pub mod export;
pub mod ingest;
pub mod merge;
pub mod pivot;
pub mod query;
pub mod report;
pub mod rules;
pub mod sigma;
pub mod timeline;
pub mod verify;

use clap::{Parser, Subcommand};

/// The pager (`$PAGER`, else `less -S`) for output meant for a person, when stdout is a
/// terminal; `None` otherwise or when it cannot be started.
pub fn pager() -> Option<std::process::Child> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let cmd = std::env::var("PAGER").unwrap_or_else(|_| "less -S".into());
    let mut parts = cmd.split_whitespace();
    let prog = parts.next()?;
    std::process::Command::new(prog).args(parts).stdin(std::process::Stdio::piped()).spawn().ok()
}

/// Exit codes (documented in the README).
pub mod exit {
    /// Success (damaged inputs are warnings unless `--strict`).
    pub const OK: i32 = 0;
    /// `detect --fail-on`: a finding reached the given severity.
    pub const FINDINGS: i32 = 1;
    /// `timeline`: no event matched the filters (what the case holds is printed on stderr).
    pub const NO_MATCH: i32 = 1;
    /// Usage error (bad flags or values).
    pub const USAGE: i32 = 2;
    /// Nothing could be ingested (no readable input).
    pub const NO_INPUT: i32 = 3;
    /// `--strict` and at least one input was damaged.
    pub const DAMAGED: i32 = 4;
    /// Any other failure: the case cannot be written or read, I/O errors.
    pub const FAILURE: i32 = 5;
    /// `report`/`run --webhook`/`--mail-to`: the report was written but could not be delivered
    /// (`--fail-on` takes precedence when both apply).
    pub const DELIVERY: i32 = 6;
    /// `verify`: an input, a Parquet part or a derived file differs from what the manifest
    /// recorded, is missing, or the evidence holds files the case does not.
    pub const MISMATCH: i32 = 7;
}

#[derive(Debug, Parser)]
#[command(name = "logsleuth", version, about = "Offline forensic batch log analyzer", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest evidence files/folders into a case (Parquet dataset + manifest).
    Ingest(ingest::IngestArgs),
    /// Run the detection rules over a case; writes findings.json and findings.parquet.
    Detect(detect::DetectArgs),
    /// One time-ordered view across hosts and sources, with filters.
    Timeline(timeline::TimelineArgs),
    /// Write the HTML report with PNG charts (whole case, or a period compared with the one before).
    Report(report::ReportArgs),
    /// Ingest, detect and report in one go (what `make demo` and cron run).
    Run(report::RunArgs),
    /// Everything known about one address, user or host.
    Pivot(pivot::PivotArgs),
    /// Run SQL over a case (tables: events, rejects, inputs, attempts, findings, correlations).
    Query(query::QueryArgs),
    /// Re-check the chain of custody: inputs, Parquet parts and derived files against the manifest.
    Verify(verify::VerifyArgs),
    /// SQL rules for other engines: `rules export --dialect spark|duckdb|trino|polars --out DIR`.
    Rules(rules::RulesArgs),
    /// The events (or findings) as an Elasticsearch/OpenSearch bulk body in ECS: `export --format ecs-ndjson -o FILE`.
    Export(export::ExportArgs),
    /// Merge cases ingested apart (shards) into one case, atomically.
    Merge(merge::MergeArgs),
    /// Pack the small Parquet parts that incremental runs left in a case (atomic).
    Compact(compact::CompactArgs),
    /// Sigma rules: `sigma check PATH…` compiles them without a case and says what it cannot run.
    Sigma(sigma::SigmaArgs),
    /// Print the event schema documentation (Markdown).
    Schema,
    /// List the log formats and what they read; `--explain FILE` shows how a file is sniffed.
    Formats(FormatsArgs),
}

#[derive(Debug, clap::Args)]
pub struct FormatsArgs {
    /// Show which formats were tried on FILE's first lines, their scores, and why the winner won.
    #[arg(long, value_name = "FILE")]
    pub explain: Option<std::path::PathBuf>,
}

fn formats(args: FormatsArgs) -> Result<i32, Exit> {
    let Some(path) = args.explain else {
        for f in crate::parse::FORMATS {
            println!("{:<9} {}", f.id(), f.describe());
        }
        return Ok(exit::OK);
    };
    use crate::ingest::{decode, plan};
    let shown = crate::sanitize::terminal(&path.display().to_string()).into_owned();
    let compression = decode::sniff_compression(&decode::Source::from(path.as_path()))
        .map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let head = decode::read_head(&decode::Source::from(path.as_path()), compression, plan::HEAD_BYTES)
        .map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    println!("{shown}: compression {}", compression.as_str());
    if decode::looks_binary(&head) {
        println!("  binary content: skipped by ingest (not a text log)");
        return Ok(exit::OK);
    }
    let lines = plan::head_as_lines(&head);
    let refs: Vec<&str> = lines.iter().map(|l| l.as_ref()).collect();
    let s = crate::parse::sniff(&refs);
    println!("  sampled {} non-blank line(s) of the first {} KiB", s.lines, plan::HEAD_BYTES / 1024);
    for (f, hits) in &s.scores {
        let mark = if s.winner.is_some_and(|(w, _)| w.id() == f.id()) { "*" } else { " " };
        println!("  {mark} {:<9} {hits:>3}/{}", f.id(), s.lines);
    }
    match s.winner {
        Some((f, n)) => println!(
            "  winner: {} ({n} of {} lines; the most lines, at least one and at least a third of the sample; ties go to the earlier format in this list)",
            f.id(),
            s.lines
        ),
        None => println!(
            "  no format explains at least a third of the sample: every line becomes a reject (force one with `ingest --format ID`)"
        ),
    }
    Ok(exit::OK)
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct Exit {
    pub code: i32,
    pub error: anyhow::Error,
}

impl<E: Into<anyhow::Error>> From<E> for Exit {
    fn from(e: E) -> Self {
        Exit { code: exit::FAILURE, error: e.into() }
    }
}

pub fn run(cli: Cli) -> Result<i32, Exit> {
    match cli.command {
        Command::Ingest(args) => ingest::run(args),
        Command::Query(args) => query::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Compact(args) => compact::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Export(args) => export::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Detect(args) => detect::run(args),
        Command::Timeline(args) => timeline::run(args),
        Command::Pivot(args) => pivot::run(args),
        Command::Report(args) => report::run_report(args),
        Command::Run(args) => report::run_all(args),
        Command::Schema => {
            print!("{}", crate::schema::schema_markdown());
            Ok(exit::OK)
        }
        Command::Formats(args) => formats(args),
        Command::Sigma(args) => sigma::run(args),
    }
}

/// `--format` of the commands that print either text for a person or JSON for a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}
