//! Triage: from the rules' findings to the few incidents that matter. After detection,
//! in this order: severity by policy ([`severity`]), suppressions ([`suppress`]), background
//! noise folded into summaries ([`noise`]), then incidents grouped, ranked and told
//! ([`incidents`], [`narrative`]). Writes `findings.json`, `findings.parquet` and
//! `incidents.json`; `docs/triage.md` explains it for analysts.

pub mod incidents;
pub mod narrative;
pub mod noise;
pub mod severity;
pub mod suppress;

use std::path::Path;

use crate::detect::config::{Config, Param, Value};
use crate::detect::finding::{self, FindingsDoc};
use crate::detect::sql_rule::SqlRule;
use crate::detect::{self, timed};
use crate::error::AnalysisError;
use crate::query::CaseData;
use crate::store::files::{write_atomic, DERIVED, INCIDENTS as INCIDENTS_FILE};
use incidents::IncidentsDoc;
use suppress::Suppressions;

/// Triage's tunables, declared like a rule's so that `--config` and the report's method
/// section show them.
pub fn declarations() -> Vec<(String, String, Vec<Param>)> {
    vec![
        (
            noise::RULE.into(),
            "Background noise folded: findings of the listed probing rules with at most max_count events, nothing answered 2xx and no other finding about their address, summarised per rule and host (the folded findings stay, marked noise).".into(),
            vec![
                Param::new("max_count", Value::Int(3), "Most events a finding may have to count as a one-shot probe."),
                Param::new(
                    "rules",
                    Value::List(
                        ["web_attack", "web_scan", "ssh_probe", "port_scan", "cross_source"]
                            .iter()
                            .map(|s| s.to_string())
                            .collect(),
                    ),
                    "Rules whose low-volume findings may be background noise.",
                ),
            ],
        ),
        (
            "incidents".into(),
            "Findings grouped by actor (source address; the account after a compromise; else user or host) while each starts within gap_hours of the group's last activity; ranked by severity, stages of an intrusion, and size.".into(),
            vec![Param::new("gap_hours", Value::Int(24), "Longest quiet time within one incident.")],
        ),
    ]
}

/// Loads rules and configuration with triage's tunables declared.
pub fn load(rules_dir: Option<&Path>, config_file: Option<&Path>) -> Result<(Vec<SqlRule>, Config), AnalysisError> {
    detect::load_with(rules_dir, config_file, declarations())
}

/// Loads a suppression file, its rule names checked against the loaded rules (built-in, SQL and
/// Sigma).
pub fn load_suppressions(
    path: &Path,
    sql: &[SqlRule],
    sigma: Option<&detect::sigma::SigmaSet>,
) -> Result<Suppressions, AnalysisError> {
    let mut known: Vec<String> = detect::declarations(sql).into_iter().map(|(id, _, _)| id).collect();
    known.push(noise::RULE.to_string());
    known.extend(sigma.map(|s| s.rule_ids()).unwrap_or_default());
    Suppressions::load(path, &known)
}

/// Runs detection and triage, and writes `findings.json`, `findings.parquet` and
/// `incidents.json` into the case.
pub fn detect_and_write(
    data: &CaseData,
    sql: &[SqlRule],
    config: &Config,
    suppressions: Option<&Suppressions>,
    sigma: Option<&detect::sigma::SigmaSet>,
) -> Result<(FindingsDoc, IncidentsDoc), AnalysisError> {
    // The hourly series correlations read no finding: computed beside the rules, whose own
    // passes leave a core idle now and then (and the correlation rules at their end run alone).
    let series = || timed(crate::store::files::CORRELATIONS, || crate::correlation::series::write(data));
    let (findings, pairs) = if detect::sequential() {
        (detect::detect(data, sql, config, sigma), series())
    } else {
        std::thread::scope(|s| {
            let pairs = s.spawn(series);
            let findings = detect::detect(data, sql, config, sigma);
            (findings, pairs.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        })
    };
    let mut findings = findings?;
    pairs?;
    let (suppressions, incidents) = timed("triage", || triage(data, config, &mut findings, suppressions))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let generated_at = crate::parse::time::format_rfc3339(now.as_secs() as i64 * 1_000_000);
    let case = data.case.dir.display().to_string();
    let doc = FindingsDoc {
        logsleuth_version: env!("CARGO_PKG_VERSION").to_string(),
        case: case.clone(),
        generated_at: generated_at.clone(),
        findings,
        suppressions,
        sigma: sigma.map(|s| s.usage.clone()),
    };
    let inc = IncidentsDoc {
        logsleuth_version: env!("CARGO_PKG_VERSION").to_string(),
        case,
        generated_at,
        gap_hours: config.int("incidents", "gap_hours"),
        incidents,
    };
    timed("findings.json, findings.parquet, incidents.json", || {
        finding::write(&data.case.dir, &doc)?;
        let text = serde_json::to_string_pretty(&inc).expect("incidents serialize") + "\n";
        write_atomic(&data.case.dir.join(INCIDENTS_FILE), |tmp| {
            std::fs::write(tmp, text).map_err(|e| AnalysisError::Write { path: tmp.to_path_buf(), source: e })
        })
    })?;
    // Chain of custody for what detect wrote: `verify` re-checks these hashes.
    if let Err(e) = data.case.record_derived(DERIVED) {
        eprintln!("logsleuth: warning: the hashes of the derived files were not recorded: {e}");
    }
    Ok((doc, inc))
}

/// Triage of detected findings, in place: returns the suppressions used and the incidents.
pub fn triage(
    data: &CaseData,
    config: &Config,
    findings: &mut Vec<finding::Finding>,
    suppressions: Option<&Suppressions>,
) -> Result<(Vec<finding::SuppressionUse>, Vec<incidents::Incident>), AnalysisError> {
    severity::apply(data, findings)?;
    let used = suppressions.map(|s| s.apply(findings)).unwrap_or_default();
    let summaries = noise::fold(findings, config);
    findings.extend(summaries);
    finding::sort(findings);
    let incidents = incidents::build(findings, config);
    Ok((used, incidents))
}
