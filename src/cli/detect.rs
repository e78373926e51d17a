//! `logsleuth detect --case DIR`: runs every rule, writes findings.json / findings.parquet.

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::{exit, Exit};
use crate::detect::{self, finding::FindingsDoc, finding::Severity};
use crate::query::CaseData;
use crate::sanitize;
use crate::triage::{self, incidents::Incident, incidents::IncidentsDoc};

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
    /// Sigma rules to run besides the built-in ones: YAML files, or folders searched
    /// recursively (a SigmaHQ checkout, queries/sigma/). Rules that cannot be compiled are
    /// listed as skipped with the reason (see `logsleuth sigma check`).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub sigma: Vec<PathBuf>,
    /// Sigma field and logsource mapping replacing the built-in queries/sigma_mapping.toml.
    #[arg(long, value_name = "FILE")]
    pub sigma_mapping: Option<PathBuf>,
}

impl RuleArgs {
    /// The rules, configuration and suppressions these arguments name.
    pub fn load(&self) -> Result<Rules, Exit> {
        let (sql, config) = triage::load(self.rules.as_deref(), self.config.as_deref())?;
        let sigma = if self.sigma.is_empty() {
            None
        } else {
            let mapping = crate::detect::sigma::mapping::Mapping::load(self.sigma_mapping.as_deref())?;
            let set = crate::detect::sigma::SigmaSet::load(&self.sigma, &mapping)?;
            let u = &set.usage;
            eprintln!(
                "logsleuth: sigma: {} rule(s) compiled, {} skipped, from {} file(s){}",
                u.compiled,
                u.skipped,
                u.files.len(),
                if u.skipped > 0 { " (`logsleuth sigma check PATH` lists why)" } else { "" }
            );
            Some(set)
        };
        let suppress =
            self.suppress.as_deref().map(|p| triage::load_suppressions(p, &sql, sigma.as_ref())).transpose()?;
        Ok(Rules { sql, config, suppress, sigma })
    }
}

/// Loaded rules, configuration and suppressions.
pub struct Rules {
    pub sql: Vec<crate::detect::sql_rule::SqlRule>,
    pub config: crate::detect::config::Config,
    pub suppress: Option<triage::suppress::Suppressions>,
    pub sigma: Option<crate::detect::sigma::SigmaSet>,
}

impl Rules {
    /// Detection and triage over `data`, written into the case.
    pub fn detect(&self, data: &CaseData) -> Result<(FindingsDoc, IncidentsDoc), Exit> {
        Ok(triage::detect_and_write(data, &self.sql, &self.config, self.suppress.as_ref(), self.sigma.as_ref())?)
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
    /// Exit 1 when an incident reaches this severity (for cron alerting); each such incident
    /// is printed on stdout, even with -q.
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
    let code = alert(&doc, &incidents, args.fail_on, None);
    if !args.quiet {
        print_summary(&doc.findings, &incidents, started.elapsed().as_secs_f64(), &case);
    }
    Ok(code)
}

/// The incidents that make `--fail-on LEVEL` alert: not background noise, with a finding at
/// or above the level whose activity falls in `period` (UTC micros, end exclusive; the whole
/// case when `None`). Suppressed findings belong to no incident, so they never alert.
pub fn alerts<'a>(
    doc: &FindingsDoc,
    incidents: &'a IncidentsDoc,
    level: Severity,
    period: Option<(i64, i64)>,
) -> Vec<&'a Incident> {
    use crate::parse::time::parse_rfc3339_utc;
    let by_id: std::collections::HashMap<&str, &detect::finding::Finding> =
        doc.findings.iter().map(|f| (f.id.as_str(), f)).collect();
    let in_period = |f: &detect::finding::Finding| match period {
        None => true,
        Some((from, to)) => {
            let a = parse_rfc3339_utc(&f.first_seen).unwrap_or(0);
            let b = parse_rfc3339_utc(&f.last_seen).unwrap_or(a);
            a < to && b >= from
        }
    };
    incidents
        .incidents
        .iter()
        .filter(|i| !i.noise)
        .filter(|i| {
            i.finding_ids
                .iter()
                .filter_map(|id| by_id.get(id.as_str()))
                .any(|f| f.severity >= level && f.suppressed.is_none() && in_period(f))
        })
        .collect()
}

/// `--fail-on`: prints one line per alerting incident on stdout (cron mails it), says why on
/// stderr, and gives the exit code.
pub fn alert(
    doc: &FindingsDoc,
    incidents: &IncidentsDoc,
    fail_on: Option<Severity>,
    period: Option<(i64, i64)>,
) -> i32 {
    let Some(level) = fail_on else { return exit::OK };
    let hits = alerts(doc, incidents, level, period);
    for i in &hits {
        let actors: Vec<String> = i.actors.iter().map(|a| format!("{} {}", a.kind, a.value)).collect();
        println!(
            "[{}] #{} {} | hosts {} | {} | {} .. {}",
            i.severity.as_str(),
            i.rank,
            sanitize::terminal(&i.title),
            sanitize::terminal(&i.hosts.join(", ")),
            sanitize::terminal(&actors.join(", ")),
            i.first_seen,
            i.last_seen
        );
    }
    if hits.is_empty() {
        return exit::OK;
    }
    let within = match period {
        Some((from, to)) => format!(
            " with activity from {} to {}",
            crate::parse::time::format_rfc3339(from),
            crate::parse::time::format_rfc3339(to - 1)
        ),
        None => String::new(),
    };
    eprintln!(
        "logsleuth: --fail-on {}: {} incident(s) at or above {}{within}",
        level.as_str(),
        hits.len(),
        level.as_str()
    );
    exit::FINDINGS
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
        case.join(crate::store::files::FINDINGS_JSON).display(),
        case.join(crate::store::files::INCIDENTS).display()
    );
    for ((sev, rule), n) in counts {
        println!("  {:<8} {:<24} {n}", sev.0.as_str(), rule);
    }
    let noise = findings.iter().filter(|f| f.noise).count();
    let suppressed = findings.iter().filter(|f| f.suppressed.is_some()).count();
    if noise + suppressed > 0 {
        println!("  {noise} findings folded as background noise, {suppressed} suppressed");
    }
    let shown = 10;
    let real: Vec<&Incident> = incidents.incidents.iter().filter(|i| !i.noise).collect();
    for i in real.iter().take(shown) {
        println!(
            "  #{} [{}] {} {} ({})",
            i.rank,
            i.severity.as_str(),
            i.first_seen,
            sanitize::terminal(&i.title),
            i.id
        );
    }
    if real.len() > shown {
        println!("  … and {} more incidents (incidents.json)", real.len() - shown);
    }
    // What to do next, with the top incident's own actor and rule.
    let c = sanitize::terminal(&case.display().to_string()).into_owned();
    if let Some(top) = real.first() {
        // The actor the title names (the attacker of a chain), else the first.
        let named = top.actors.iter().find(|a| a.kind != "background" && top.title.contains(a.value.as_str()));
        if let Some(a) = named.or(top.actors.iter().find(|a| a.kind != "background")) {
            let flag = match a.kind.as_str() {
                "ip" => "ip",
                "user" => "user",
                _ => "host",
            };
            println!("  next: logsleuth pivot --case {c} --{flag} {}", sanitize::terminal(&a.value));
        }
        // The chain when there is one, else the rule with the most findings.
        let rule = if top.rules.contains_key("attack_chain") {
            Some("attack_chain")
        } else {
            top.rules.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(r, _)| r.as_str())
        };
        if let Some(rule) = rule {
            println!("        logsleuth timeline --case {c} --rule {rule}");
        }
    }
    println!("        logsleuth report --case {c}");
}
