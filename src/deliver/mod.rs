//! Delivery: what a scheduled run sends out after the report, only when asked (`--webhook`,
//! `--mail-to`). The summary is built once ([`Summary`]) and shaped per target; every attempt is
//! recorded in the case's `deliveries.jsonl` (the target's scheme and host, never its path,
//! token or password).

pub mod mail;
pub mod webhook;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::detect::finding::Severity;
use crate::parse::time::format_rfc3339;
use crate::triage::incidents::Incident;

/// An incident as delivered.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: String,
    pub rank: usize,
    pub severity: Severity,
    pub title: String,
    pub hosts: Vec<String>,
    pub actors: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub narrative: String,
}

/// What a delivery says: the case, the period, counts, and the incidents that matter.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub tool: &'static str,
    pub case: String,
    pub period_from: String,
    pub period_to: String,
    /// Incidents (not background noise) in the period, by severity.
    pub incidents_by_severity: BTreeMap<String, usize>,
    /// Findings active in the period.
    pub findings: usize,
    pub events: u64,
    pub hosts: usize,
    /// The incidents at or above the threshold (`--fail-on`, else high).
    pub incidents: Vec<Item>,
    pub report: String,
    /// The case's last verification (`OK: 31 unchanged (verified …)`), when there is one.
    pub verification: Option<String>,
}

impl Summary {
    /// `[logsleuth] CASE: 2 critical, 3 high — 2026-01-03..2026-01-10` (no incident: `nothing
    /// above low`).
    pub fn subject(&self) -> String {
        let counts: Vec<String> = [Severity::Critical, Severity::High, Severity::Medium]
            .iter()
            .filter_map(|s| {
                let n = self.incidents_by_severity.get(s.as_str()).copied().unwrap_or(0);
                (n > 0).then(|| format!("{n} {}", s.as_str()))
            })
            .collect();
        let counts = if counts.is_empty() { "nothing above low".to_string() } else { counts.join(", ") };
        format!(
            "[logsleuth] {}: {counts} — {}..{}",
            self.case,
            self.period_from.get(..10).unwrap_or(&self.period_from),
            self.period_to.get(..10).unwrap_or(&self.period_to)
        )
    }

    /// What a quiet period says: the proof of review.
    pub fn quiet_line(&self) -> String {
        format!(
            "no incident at or above the threshold; {} findings and {} events in the period; {} host{} in the case",
            self.findings,
            self.events,
            self.hosts,
            if self.hosts == 1 { "" } else { "s" }
        )
    }
}

/// Builds the summary of a reported period; `selected` are the incidents to name.
#[allow(clippy::too_many_arguments)]
pub fn summary(
    case: &Path,
    findings: usize,
    incidents: &[&Incident],
    selected: &[&Incident],
    period: (i64, i64),
    events: u64,
    hosts: usize,
    report: &Path,
) -> Summary {
    let mut by_sev: BTreeMap<String, usize> = BTreeMap::new();
    for i in incidents.iter().filter(|i| !i.noise) {
        *by_sev.entry(i.severity.as_str().to_string()).or_default() += 1;
    }
    Summary {
        tool: "logsleuth",
        case: case.file_name().map_or_else(|| case.display().to_string(), |n| n.to_string_lossy().into_owned()),
        period_from: format_rfc3339(period.0),
        period_to: format_rfc3339(period.1 - 1),
        incidents_by_severity: by_sev,
        findings,
        events,
        hosts,
        incidents: selected
            .iter()
            .map(|i| Item {
                id: i.id.clone(),
                rank: i.rank,
                severity: i.severity,
                title: i.title.clone(),
                hosts: i.hosts.clone(),
                actors: i.actors.iter().map(|a| format!("{} {}", a.kind, a.value)).collect(),
                first_seen: i.first_seen.clone(),
                last_seen: i.last_seen.clone(),
                narrative: i.narrative.clone(),
            })
            .collect(),
        report: report.display().to_string(),
        verification: crate::ingest::verify::Verification::load(case)
            .map(|v| format!("{} (verified {})", v.headline(), v.verified_at)),
    }
}

/// A URL without its path, query or credentials (`https://hooks.slack.com`), for records.
pub fn target_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    format!("{scheme}://{host}")
}

/// Appends one delivery attempt to `CASE/deliveries.jsonl`: `details` (an object) on success,
/// the error otherwise.
pub fn record(case: &Path, kind: &str, target: &str, result: &Result<serde_json::Value, String>) {
    use std::io::Write;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let mut line =
        serde_json::json!({"time": format_rfc3339(now.as_secs() as i64 * 1_000_000), "kind": kind, "target": target});
    match result {
        Ok(serde_json::Value::Object(details)) => {
            line["ok"] = true.into();
            line.as_object_mut().expect("an object").extend(details.clone());
        }
        Ok(_) => line["ok"] = true.into(),
        Err(e) => {
            line["ok"] = false.into();
            line["error"] = e.as_str().into();
        }
    }
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(case.join("deliveries.jsonl")) {
        let _ = writeln!(f, "{line}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn records_name_the_host_only() {
        assert_eq!(super::target_of("https://hooks.slack.com/services/T0/B0/secret"), "https://hooks.slack.com");
        assert_eq!(super::target_of("http://user:pw@127.0.0.1:8080/hook?x=1"), "http://127.0.0.1:8080");
    }
}
