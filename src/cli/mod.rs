//! Command-line interface: argument groups shared by the subcommands, one module per
//! subcommand with one `run` function, and the documented exit codes.

pub mod detect;
pub mod ingest;
pub mod pivot;
pub mod query;
pub mod report;
pub mod timeline;

use clap::{Parser, Subcommand};

/// Exit codes (documented in the README).
pub mod exit {
    /// Success (damaged inputs are warnings unless `--strict`).
    pub const OK: i32 = 0;
    /// `detect --fail-on`: a finding reached the given severity.
    pub const FINDINGS: i32 = 1;
    /// Usage error (bad flags or values).
    pub const USAGE: i32 = 2;
    /// Nothing could be ingested (no readable input).
    pub const NO_INPUT: i32 = 3;
    /// `--strict` and at least one input was damaged.
    pub const DAMAGED: i32 = 4;
    /// Any other failure: the case cannot be written or read, I/O errors.
    pub const FAILURE: i32 = 5;
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
    /// Run SQL over a case (tables: events, rejects, inputs, findings, correlations).
    Query(query::QueryArgs),
    /// Print the event schema documentation (Markdown).
    Schema,
    /// List the log formats and what they read.
    Formats,
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
        Command::Detect(args) => detect::run(args),
        Command::Timeline(args) => timeline::run(args),
        Command::Pivot(args) => pivot::run(args),
        Command::Report(args) => report::run_report(args),
        Command::Run(args) => report::run_all(args),
        Command::Schema => {
            print!("{}", crate::schema::schema_markdown());
            Ok(exit::OK)
        }
        Command::Formats => {
            for f in crate::parse::FORMATS {
                println!("{:<8} {}", f.id(), f.describe());
            }
            Ok(exit::OK)
        }
    }
}
