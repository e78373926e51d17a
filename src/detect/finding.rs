//! The finding record and its stable forms: `findings.json` (byte-identical across runs apart
//! from `generated_at`) and `findings.parquet` (sorted by severity, then time).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AnalysisError;
use crate::parse::time::format_rfc3339;
use crate::store::files::{create, write_atomic};

pub use super::severity::Severity;

/// A line of evidence: where it is in the evidence tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Evidence {
    pub file: String,
    pub line: i64,
    /// The source's own id of the record, where `line` alone does not find it with the
    /// source's tools: a journal entry's cursor (`journalctl --file FILE --cursor=…`) or an
    /// audit event's id (`ausearch --event SERIAL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

/// At most this many evidence lines per finding.
pub const MAX_EVIDENCE: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    pub host_name: Option<String>,
    pub source_ip: Option<String>,
    pub user_name: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub count: u64,
    pub details: BTreeMap<String, serde_json::Value>,
    pub evidence: Vec<Evidence>,
    /// Background noise folded into the `noise_summary` finding `noise_summary` (triage): still
    /// a finding of its rule, shown under the summary rather than on its own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub noise: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_summary: Option<String>,
    /// Muted by an entry of the `--suppress` file (triage): still written, marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppressed>,
    /// The incident it belongs to (`incidents.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

/// Which suppression entry muted a finding, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppressed {
    /// The entry's position in the file (1-based).
    pub entry: usize,
    /// What the entry matches, e.g. `ip 192.0.2.0/24` or `rule web_scan, host web01`.
    #[serde(rename = "match")]
    pub matches: String,
    pub reason: String,
}

/// A finding as a rule builds it; [`Draft::finish`] gives it its id and text times.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Rule id: built-in rules name theirs statically, SQL rules carry the file's id.
    pub rule: std::borrow::Cow<'static, str>,
    pub severity: Severity,
    pub title: String,
    pub host_name: Option<String>,
    pub source_ip: Option<String>,
    pub user_name: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub count: u64,
    pub details: BTreeMap<String, serde_json::Value>,
    /// (micros, file, line); sorted and cut to [`MAX_EVIDENCE`] on finish.
    pub evidence: Vec<(i64, String, i64)>,
}

impl Draft {
    pub fn new(rule: impl Into<std::borrow::Cow<'static, str>>, severity: Severity) -> Self {
        Draft {
            rule: rule.into(),
            severity,
            title: String::new(),
            host_name: None,
            source_ip: None,
            user_name: None,
            first_seen: i64::MAX,
            last_seen: i64::MIN,
            count: 0,
            details: BTreeMap::new(),
            evidence: Vec::new(),
        }
    }

    pub fn detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    /// Adds an evidence event and widens the time span.
    pub fn add(&mut self, ts: i64, file: &str, line: i64) {
        self.first_seen = self.first_seen.min(ts);
        self.last_seen = self.last_seen.max(ts);
        self.evidence.push((ts, file.to_string(), line));
    }

    pub fn finish(mut self) -> Finding {
        self.evidence.sort();
        self.evidence.dedup();
        if self.first_seen == i64::MAX {
            self.first_seen = 0;
            self.last_seen = 0;
        }
        let key = format!(
            "{}|{}|{}|{}|{}|{}",
            self.rule,
            self.host_name.as_deref().unwrap_or(""),
            self.source_ip.as_deref().unwrap_or(""),
            self.user_name.as_deref().unwrap_or(""),
            self.first_seen,
            self.details.get("kind").map(|v| v.to_string()).unwrap_or_default()
        );
        let id = hex::encode(&Sha256::digest(key.as_bytes())[..8]);
        Finding {
            id,
            rule: self.rule.into_owned(),
            severity: self.severity,
            title: self.title,
            host_name: self.host_name,
            source_ip: self.source_ip,
            user_name: self.user_name,
            first_seen: format_rfc3339(self.first_seen),
            last_seen: format_rfc3339(self.last_seen),
            count: self.count,
            details: self.details,
            evidence: self
                .evidence
                .into_iter()
                .take(MAX_EVIDENCE)
                .map(|(_, file, line)| Evidence { file, line, record: None })
                .collect(),
            noise: false,
            noise_summary: None,
            suppressed: None,
            incident: None,
        }
    }
}

/// Orders findings: most severe first, then by time, rule and id (stable across runs).
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.first_seen.cmp(&b.first_seen))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// The `findings.json` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FindingsDoc {
    pub logsleuth_version: String,
    pub case: String,
    pub generated_at: String,
    pub findings: Vec<Finding>,
    /// The `--suppress` entries in force and how many findings each muted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SuppressionUse>,
    /// The Sigma rule sets `--sigma` loaded: files with their SHA-256, and every rule's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma: Option<super::sigma::SigmaUse>,
}

/// One suppression entry as the report and auditors see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionUse {
    pub entry: usize,
    #[serde(rename = "match")]
    pub matches: String,
    pub reason: String,
    pub file: String,
    pub muted: usize,
}

impl FindingsDoc {
    /// The case's findings when there are any: `None` only when the file does not exist; a
    /// file that cannot be read or parsed is an error naming it (never "no findings").
    pub fn load_if_present(path: &Path) -> Result<Option<FindingsDoc>, AnalysisError> {
        if !path.exists() {
            return Ok(None);
        }
        Self::load(path).map(Some).map_err(|e| match e {
            AnalysisError::Case { path, msg } => AnalysisError::Case {
                msg: format!("{msg}; the file is damaged: rebuild it with `logsleuth detect --case DIR`"),
                path,
            },
            other => other,
        })
    }

    /// Whether these findings predate the case's newest ingest (they then miss what it added).
    pub fn is_stale(&self, manifest: &crate::store::manifest::Manifest) -> bool {
        self.generated_at < manifest.finished_at
    }

    pub fn load(path: &Path) -> Result<FindingsDoc, AnalysisError> {
        let bytes =
            std::fs::read(path).map_err(|e| AnalysisError::Case { path: path.to_path_buf(), msg: e.to_string() })?;
        serde_json::from_slice(&bytes).map_err(|e| AnalysisError::Case { path: path.to_path_buf(), msg: e.to_string() })
    }
}

/// Writes `findings.json` and `findings.parquet` atomically (temporary name, then rename).
pub fn write(dir: &Path, doc: &FindingsDoc) -> Result<(), AnalysisError> {
    let text = serde_json::to_string_pretty(doc).expect("findings serialize") + "\n";
    write_atomic(&dir.join(crate::store::files::FINDINGS_JSON), |tmp| {
        std::fs::write(tmp, text).map_err(|e| AnalysisError::Write { path: tmp.to_path_buf(), source: e })
    })?;
    write_parquet(dir, &doc.findings)
}

fn write_parquet(dir: &Path, findings: &[Finding]) -> Result<(), AnalysisError> {
    use polars::prelude::*;
    let s = |f: &dyn Fn(&Finding) -> Option<String>| -> Vec<Option<String>> { findings.iter().map(f).collect() };
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("id".into(), s(&|f| Some(f.id.clone()))),
        Column::new("rule".into(), s(&|f| Some(f.rule.clone()))),
        Column::new("severity".into(), s(&|f| Some(f.severity.as_str().into()))),
        Column::new("title".into(), s(&|f| Some(f.title.clone()))),
        Column::new("host_name".into(), s(&|f| f.host_name.clone())),
        Column::new("source_ip".into(), s(&|f| f.source_ip.clone())),
        Column::new("user_name".into(), s(&|f| f.user_name.clone())),
        Column::new("first_seen".into(), s(&|f| Some(f.first_seen.clone()))),
        Column::new("last_seen".into(), s(&|f| Some(f.last_seen.clone()))),
        Column::new("count".into(), findings.iter().map(|f| f.count).collect::<Vec<u64>>()),
        Column::new("details".into(), s(&|f| Some(serde_json::to_string(&f.details).unwrap_or_default()))),
        Column::new(
            "evidence".into(),
            s(&|f| Some(f.evidence.iter().map(|e| format!("{}:{}", e.file, e.line)).collect::<Vec<_>>().join("\n"))),
        ),
        Column::new("noise".into(), findings.iter().map(|f| f.noise).collect::<Vec<bool>>()),
        Column::new("noise_summary".into(), s(&|f| f.noise_summary.clone())),
        Column::new("suppressed".into(), s(&|f| f.suppressed.as_ref().map(|x| x.matches.clone()))),
        Column::new("suppression_reason".into(), s(&|f| f.suppressed.as_ref().map(|x| x.reason.clone()))),
        Column::new("incident".into(), s(&|f| f.incident.clone())),
    ])?;
    write_atomic(&dir.join(crate::store::files::FINDINGS_PARQUET), |tmp| {
        ParquetWriter::new(create(tmp)?).with_compression(ParquetCompression::Zstd(None)).finish(&mut df)?;
        Ok(())
    })
}
