//! `logsleuth rules export --dialect spark|duckdb|trino|polars --out DIR [--config FILE]`: the
//! SQL rules with their parameters filled in, as plain SQL for another engine, and `rules.json`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{exit, Exit};
use crate::detect::export::{self, Dialect};
use crate::sanitize;

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Write every SQL rule as plain SQL over the tables `events` and `attempts` for another
    /// engine (parameters filled in from the configuration), and `rules.json` listing them.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The engine: spark, duckdb, trino, or polars (logsleuth's own).
    #[arg(long, value_enum)]
    pub dialect: Dialect,
    /// Folder to write the rule files and rules.json into (created when missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// TOML file with thresholds and windows, as `detect --config` takes it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder of extra SQL rule files (*.sql), as `detect --rules` takes it.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

pub fn run(args: RulesArgs) -> Result<i32, Exit> {
    let RulesCommand::Export(a) = args.command;
    let (rules, config) = crate::triage::load(a.rules.as_deref(), a.config.as_deref())
        .map_err(|e| Exit { code: exit::USAGE, error: e.into() })?;
    let catalog = export::export(&rules, &config, a.dialect, &a.out)?;
    println!(
        "{} rules written for {} into {} (rules.json lists them); not portable, in Rust: {}",
        catalog.rules.len(),
        a.dialect.as_str(),
        sanitize::terminal(&a.out.display().to_string()),
        catalog.not_portable.join(", ")
    );
    Ok(exit::OK)
}
