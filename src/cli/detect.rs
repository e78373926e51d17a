//! `logsleuth detect --case DIR`: runs every rule, writes findings.json / findings.parquet.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::{exit, Exit};
use crate::detect::{self, finding::FindingsDoc, finding::Severity};
use crate::query::CaseData;
use crate::sanitize;
use crate::triage::{self, incidents::IncidentsDoc};

#[derive(Debug, Args, Clone)]
pub struct RuleArgs {
    /// TOML file with thresholds and windows (see --print-config).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder of extra SQL rule files (*.sql), added to the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// TOML file of suppressions (known scanners, monitoring, service accounts, rule/host
    /// pairs), each with a reason: matching findings are kept but marked suppressed.
    #[arg(long, value_name = "FILE")]
    pub suppress: Option<PathBuf>,
}

impl RuleArgs {
    /// The rules, configuration and suppressions these arguments name.
    pub fn load(&self) -> Result<Rules, Exit> {
        let (sql, config) = triage::load(self.rules.as_deref(), self.config.as_deref())?;
        let suppress = self.suppress.as_deref().map(|p| triage::load_suppressions(p, &sql)).transpose()?;
        Ok(Rules { sql, config, suppress })
    }
}

/// Loaded rules, configuration and suppressions.
pub struct Rules {
    pub sql: Vec<crate::detect::sql_rule::SqlRule>,
    pub config: crate::detect::config::Config,
    pub suppress: Option<triage::suppress::Suppressions>,
}

impl Rules {
    /// Detection and triage over `data`, written into the case.
    pub fn detect(&self, data: &CaseData) -> Result<(FindingsDoc, IncidentsDoc), Exit> {
        Ok(triage::detect_and_write(data, &self.sql, &self.config, self.suppress.as_ref())?)
    }
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
    let rules = args.rule.load()?;
    if args.print_config {
        print!("{}", rules.config.to_toml());
        return Ok(exit::OK);
    }
    let case = args.case.ok_or_else(|| Exit { code: exit::USAGE, error: anyhow!("--case is required") })?;
    let data = CaseData::open(&case)?;
    let started = std::time::Instant::now();
    let (doc, incidents) = rules.detect(&data)?;
    if !args.quiet {
        print_summary(&doc.findings, &incidents, started.elapsed().as_secs_f64(), &case);
    }
    Ok(fail_code(&doc.findings, args.fail_on))
}

/// Exit 1 when a finding that is not suppressed reaches `fail_on`.
pub fn fail_code(findings: &[detect::finding::Finding], fail_on: Option<Severity>) -> i32 {
    match fail_on {
        Some(level) if findings.iter().any(|f| f.severity >= level && f.suppressed.is_none()) => exit::FINDINGS,
        _ => exit::OK,
    }
}

pub fn print_summary(
    findings: &[detect::finding::Finding],
    incidents: &IncidentsDoc,
    secs: f64,
    case: &std::path::Path,
) {
    let mut counts = std::collections::BTreeMap::new();
    for f in findings {
        *counts.entry((std::cmp::Reverse(f.severity), f.rule.clone())).or_insert(0u32) += 1;
    }
    let real = incidents.incidents.iter().filter(|i| !i.noise).count();
    println!(
        "{} findings, {real} incidents in {secs:.2} s -> {}, {}",
        findings.len(),
        case.join("findings.json").display(),
        case.join(triage::INCIDENTS_FILE).display()
    );
    for ((sev, rule), n) in counts {
        println!("  {:<8} {:<24} {n}", sev.0.as_str(), rule);
    }
    let noise = findings.iter().filter(|f| f.noise).count();
    let suppressed = findings.iter().filter(|f| f.suppressed.is_some()).count();
    if noise + suppressed > 0 {
        println!("  {noise} findings folded as background noise, {suppressed} suppressed");
    }
    for i in incidents.incidents.iter().filter(|i| !i.noise && i.severity >= Severity::High).take(10) {
        println!("  #{} [{}] {} {}", i.rank, i.severity.as_str(), i.first_seen, sanitize::terminal(&i.title));
    }
}
