//! `verify`: the chain of custody re-checked. Every input the manifest names is hashed again
//! (unchanged, changed, missing), the evidence folders are walked for files the case does not
//! hold (new), and every Parquet part and derived file is hashed against what the manifest
//! recorded at commit (a part replaced, a `findings.json` edited by hand). The result is written
//! to the case as `verification.json` for the report.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::IngestError;
use crate::parse::time::format_rfc3339;
use crate::store::case::Case;
use crate::store::files::sha256_file as sha256_path;
use crate::store::manifest::Manifest;

/// The file `verify` writes into the case.
pub const VERIFICATION_FILE: &str = "verification.json";

/// One file's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// `input`, `part` or `derived`.
    pub kind: String,
    pub path: String,
    /// `unchanged`, `changed`, `missing`, `new` or `unreadable`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The whole verification.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verification {
    pub verified_at: String,
    pub case: String,
    /// The manifest's own SHA-256 as read now (note it: it vouches for every recorded hash).
    pub manifest_sha256: String,
    pub ok: bool,
    pub counts: BTreeMap<String, usize>,
    pub checks: Vec<Check>,
}

impl Verification {
    pub fn load(case: &Path) -> Option<Verification> {
        serde_json::from_slice(&std::fs::read(case.join(VERIFICATION_FILE)).ok()?).ok()
    }

    /// `OK: 31 unchanged` or `MISMATCH: 1 changed, 2 new, …`.
    pub fn headline(&self) -> String {
        let counts: Vec<String> = self.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        format!("{}: {}", if self.ok { "OK" } else { "MISMATCH" }, counts.join(", "))
    }
}

fn check(kind: &str, path: String, recorded: Option<&str>, file: &Path) -> Check {
    let (status, now, note) = match sha256_path(file) {
        Ok(h) if Some(h.as_str()) == recorded => ("unchanged", Some(h), None),
        Ok(h) => ("changed", Some(h), None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ("missing", None, None),
        Err(e) => ("unreadable", None, Some(e.to_string())),
    };
    Check {
        kind: kind.into(),
        path,
        status: status.into(),
        recorded_sha256: recorded.map(str::to_string),
        sha256: now,
        note,
    }
}

/// The file a record's path names: without the suffix that tells apart what one path held in
/// different runs (`auth.log#r3`, `auth.log#r3-2`: logrotate reused the name) or in a merged
/// shard (`auth.log#m2`).
pub fn file_path(path: &str) -> &str {
    if let Some((file, tag)) = path.rsplit_once('#') {
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'-');
        if tag.strip_prefix('r').is_some_and(digits) || tag.strip_prefix('m').is_some_and(digits) {
            return file;
        }
    }
    path
}

/// Where an input is now: under the first `--evidence` root that holds its path, else where
/// ingest read it.
fn locate(path: &str, source: Option<&str>, evidence: &[PathBuf]) -> PathBuf {
    for root in evidence {
        let p = if root.is_file() { root.clone() } else { root.join(path) };
        if p.exists() {
            return p;
        }
    }
    match (evidence.first(), source) {
        (Some(root), _) if root.is_dir() => root.join(path),
        (_, Some(s)) => PathBuf::from(s),
        _ => PathBuf::from(path),
    }
}

/// Checks the case at `dir` against the evidence (`evidence`: the folders or files given to
/// ingest, where they are now; empty: where ingest read them, and no search for new files).
pub fn verify(dir: &Path, evidence: &[PathBuf]) -> Result<Verification, IngestError> {
    let case = Case::new(dir);
    let mpath = case.manifest_path();
    let manifest = Manifest::load(&mpath)?.ok_or_else(|| IngestError::NotACase { path: dir.to_path_buf() })?;
    let manifest_sha256 = sha256_path(&mpath).map_err(|e| IngestError::read(&mpath, e))?;
    let mut checks = Vec::new();

    // Inputs: the latest record of each file (a file that changed between runs keeps its older
    // records, some under `PATH#rRUN`); archive members are vouched for by their archive's hash.
    let mut latest: BTreeMap<&str, &crate::store::manifest::InputRecord> = BTreeMap::new();
    for r in &manifest.inputs {
        if r.archive.is_some() || r.sha256.is_none() {
            continue;
        }
        latest.entry(file_path(&r.path)).and_modify(|e| *e = if r.run >= e.run { r } else { e }).or_insert(r);
    }
    for (path, r) in &latest {
        let file = locate(path, r.source_path.as_deref(), evidence);
        checks.push(check("input", path.to_string(), r.sha256.as_deref(), &file));
    }
    // New: files in the evidence folders that the case does not name (the case folder itself
    // and everything ingest records anyway, skipped or not, excepted).
    let known: BTreeSet<&str> = manifest.inputs.iter().map(|r| file_path(&r.path)).collect();
    let case_abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    for root in evidence.iter().filter(|r| r.is_dir()) {
        for e in walkdir::WalkDir::new(root).sort_by_file_name().into_iter().flatten() {
            let abs = std::fs::canonicalize(e.path()).unwrap_or_else(|_| e.path().to_path_buf());
            if !e.file_type().is_file() || abs.starts_with(&case_abs) {
                continue;
            }
            let rel = e.path().strip_prefix(root).unwrap_or(e.path()).to_string_lossy().into_owned();
            if !known.contains(rel.as_str()) {
                checks.push(Check {
                    kind: "input".into(),
                    path: rel,
                    status: "new".into(),
                    recorded_sha256: None,
                    sha256: sha256_path(e.path()).ok(),
                    note: Some("in the evidence, not in the case".into()),
                });
            }
        }
    }
    // The dataset's parts and the derived files, against their recorded hashes.
    for (rel, h) in &manifest.parts {
        checks.push(check("part", rel.clone(), Some(h), &dir.join(rel)));
    }
    let on_disk: Vec<String> = case.parts("events").into_iter().chain(case.parts("rejects")).collect();
    for rel in on_disk.iter().filter(|p| !manifest.parts.contains_key(*p)) {
        let note = if manifest.parts.is_empty() {
            "the manifest records no part hashes (a case from before verify existed)"
        } else {
            "a Parquet part the manifest does not name"
        };
        checks.push(Check {
            kind: "part".into(),
            path: rel.clone(),
            status: if manifest.parts.is_empty() { "unrecorded" } else { "new" }.into(),
            recorded_sha256: None,
            sha256: sha256_path(&dir.join(rel)).ok(),
            note: Some(note.into()),
        });
    }
    for (rel, h) in &manifest.derived {
        checks.push(check("derived", rel.clone(), Some(h), &dir.join(rel)));
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for c in &checks {
        *counts.entry(c.status.clone()).or_default() += 1;
    }
    let ok = checks.iter().all(|c| c.status == "unchanged" || c.status == "unrecorded");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Ok(Verification {
        verified_at: format_rfc3339(now.as_secs() as i64 * 1_000_000),
        case: dir.display().to_string(),
        manifest_sha256,
        ok,
        counts,
        checks,
    })
}

/// Writes `verification.json` into the case (atomically).
pub fn write(dir: &Path, v: &Verification) -> Result<(), IngestError> {
    let text = serde_json::to_string_pretty(v).expect("verification serializes") + "\n";
    crate::store::case::write_atomic(&dir.join(VERIFICATION_FILE), text.as_bytes())
}
