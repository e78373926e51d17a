//! `logsleuth detect --case DIR`: runs every rule, writes findings.json / findings.parquet.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::{exit, Exit};
use crate::detect::{self, finding::Severity};
use crate::query::CaseData;
use crate::sanitize;

#[derive(Debug, Args, Clone)]
pub struct RuleArgs {
    /// TOML file with thresholds and windows (see --print-config).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder of extra SQL rule files (*.sql), added to the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Case directory.
    #[arg(long, value_name = "DIR", required_unless_present = "print_config")]
    pub case: Option<PathBuf>,
    #[command(flatten)]
    pub rule: RuleArgs,
    /// Print the effective configuration (defaults, or --config applied) and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Exit 1 when any finding reaches this severity (for cron alerting).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// No summary on stdout.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: DetectArgs) -> Result<i32, Exit> {
    let (sql, config) = detect::load(args.rule.rules.as_deref(), args.rule.config.as_deref())?;
    if args.print_config {
        print!("{}", config.to_toml());
        return Ok(exit::OK);
    }
    let case = args.case.ok_or_else(|| Exit { code: exit::USAGE, error: anyhow!("--case is required") })?;
    let data = CaseData::open(&case)?;
    let started = std::time::Instant::now();
    let doc = detect::detect_and_write(&data, &sql, &config)?;
    if !args.quiet {
        print_summary(&doc.findings, started.elapsed().as_secs_f64(), &case);
    }
    Ok(fail_code(&doc.findings, args.fail_on))
}

pub fn fail_code(findings: &[detect::finding::Finding], fail_on: Option<Severity>) -> i32 {
    match fail_on {
        Some(level) if findings.iter().any(|f| f.severity >= level) => exit::FINDINGS,
        _ => exit::OK,
    }
}

pub fn print_summary(findings: &[detect::finding::Finding], secs: f64, case: &std::path::Path) {
    let mut counts = std::collections::BTreeMap::new();
    for f in findings {
        *counts.entry((std::cmp::Reverse(f.severity), f.rule.clone())).or_insert(0u32) += 1;
    }
    println!("{} findings in {secs:.2} s -> {}", findings.len(), case.join("findings.json").display());
    for ((sev, rule), n) in counts {
        println!("  {:<8} {:<24} {n}", sev.0.as_str(), rule);
    }
    for f in findings.iter().filter(|f| f.severity >= Severity::High).take(15) {
        println!("  [{}] {} {}", f.severity.as_str(), f.first_seen, sanitize::terminal(&f.title));
    }
}
