//! The chain-of-custody manifest (`CASE/manifest.json`). Its keys are a contract: the list of
//! `inputs` records every file seen, ingested or not, with the SHA-256 of the stored file and
//! of its decompressed content, what was read from it and what went wrong.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::IngestError;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputRecord {
    pub path: String,
    pub size: u64,
    pub mtime: String,
    pub sha256: Option<String>,
    pub content_sha256: Option<String>,
    pub compression: Option<String>,
    pub format: Option<String>,
    pub rotation_set: Option<String>,
    pub rotation_index: Option<u32>,
    pub lines: u64,
    pub events: u64,
    pub rejects: u64,
    /// Lines folded into the event above them: the continuation lines of multi-line records
    /// (stack traces) that the event's `log_line`..`log_line_end` covers. `lines = events +
    /// continued + rejects` (extension).
    #[serde(default)]
    pub continued: u64,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
    pub damaged: bool,
    pub error: Option<String>,
    pub duplicate_of: Option<String>,
    pub skipped: Option<String>,
    /// Host of the file's lines that do not name one (extension): see `host_source`.
    #[serde(default)]
    pub host_name: Option<String>,
    /// What decided `host_name` (extension): `layout` (`HOST/var/log/…`), `host_folder` (the
    /// first folder under the ingest root), `option` (`--host`), `input_name` (the folder or file
    /// given to `ingest`). Lines that name their host keep it.
    #[serde(default)]
    pub host_source: Option<String>,
    /// Sniffing's score (extension): `N/M`, the chosen format explains N of the M non-blank
    /// lines it sampled; absent when `--format` was given.
    #[serde(default)]
    pub sniff_score: Option<String>,
    /// Absolute path the file was read from at ingest time (extension): tells two evidence files
    /// with the same relative name apart across runs.
    #[serde(default)]
    pub source_path: Option<String>,
    /// Decompressed size in bytes (extension).
    #[serde(default)]
    pub content_size: u64,
    /// First line number this record covers: 1, or where an incremental run resumed a file that
    /// had grown since an earlier run (extension).
    #[serde(default = "one")]
    pub first_line: u64,
    /// Which ingest run added this record (extension).
    #[serde(default)]
    pub run: u32,
    /// How year-less timestamps got their year: `mtime`, `rotation`, `cross_source` (the
    /// mtime's year moved by whole years to agree with lines that carry years), `override`
    /// (extension).
    #[serde(default)]
    pub year_source: Option<String>,
    /// The year of year-less lines rests on an mtime that cannot be trusted and nothing could
    /// check it (extension).
    #[serde(default)]
    pub year_uncertain: bool,
    /// What the year check found (extension).
    #[serde(default)]
    pub year_note: Option<String>,
    /// Zone applied to lines that carry none, as `--tz` spells it (extension).
    #[serde(default)]
    pub tz: Option<String>,
    /// What decided `tz`: `option_host` (`--tz HOST=ZONE`), `etc_localtime`, `etc_timezone`
    /// (the host's own setting in the evidence tree), `option` (`--tz ZONE`), `default` (UTC)
    /// (extension).
    #[serde(default)]
    pub tz_source: Option<String>,
    /// What the host's zone setting said or what was wrong with it (extension).
    #[serde(default)]
    pub tz_note: Option<String>,
    /// For a member of an archive: the archive's path (the member's path is `ARCHIVE!member`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    /// For a member of an archive: its size over the bytes it took in the archive, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expansion_ratio: Option<f64>,
    /// For an archive (`format` = `archive`): `tar`, `tar+gzip`, …, `zip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_kind: Option<String>,
    /// For an archive: how many members it has (each has a record of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<u64>,
    /// For a systemd journal file: its header state (`online` = never closed), sealing, head
    /// and tail times and sequence numbers, sequence gaps and boots (extension). For a journal,
    /// `lines` counts entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<JournalInfo>,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    pub run: u32,
    pub command: String,
    pub started_at: String,
    pub finished_at: String,
    pub files_added: u64,
    pub events_added: u64,
    pub rejects_added: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub logsleuth_version: String,
    pub command: String,
    pub started_at: String,
    pub finished_at: String,
    pub inputs: Vec<InputRecord>,
    /// Event schema version of the dataset (extension).
    #[serde(default)]
    pub schema_version: u32,
    /// Every ingest run into this case, oldest first (extension).
    #[serde(default)]
    pub runs: Vec<RunRecord>,
    /// SHA-256 of every Parquet part of the dataset (`events/…`, `rejects/…`), recorded at
    /// commit, so that `verify` detects a part replaced or edited after the fact.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub parts: std::collections::BTreeMap<String, String>,
    /// SHA-256 of the files `detect` derives (`findings.json`, `findings.parquet`,
    /// `incidents.json`, `correlations.parquet`), recorded when it writes them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub derived: std::collections::BTreeMap<String, String>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Option<Manifest>, IngestError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| IngestError::Manifest { path: path.to_path_buf(), source: e }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(IngestError::read(path, e)),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serializes") + "\n"
    }

    /// (lines, events, rejects) over all inputs.
    pub fn totals(&self) -> (u64, u64, u64) {
        self.inputs.iter().fold((0, 0, 0), |(l, e, r), i| (l + i.lines, e + i.events, r + i.rejects))
    }

    /// Lines folded into multi-line records, over all inputs.
    pub fn continued(&self) -> u64 {
        self.inputs.iter().map(|i| i.continued).sum()
    }
}

/// A systemd journal file as read: what its header says and what reading found (the
/// input's `journal` record).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalInfo {
    /// Header state: `offline` (closed cleanly), `online` (open for writing: the writer did
    /// not close it, e.g. a crash), `archived` (rotated).
    pub state: String,
    /// Forward Secure Sealing is on (verifying it needs the verification key; not done here).
    pub sealed: bool,
    pub compact: bool,
    pub machine_id: String,
    pub seqnum_id: String,
    /// Entries the header counts, and entries read.
    pub header_entries: u64,
    pub entries_read: u64,
    /// The header's head and tail entry times (µs since the epoch, UTC).
    pub head_realtime: Option<i64>,
    pub tail_realtime: Option<i64>,
    pub head_seqnum: Option<u64>,
    pub tail_seqnum: Option<u64>,
    /// Sequence numbers missing between consecutive entries of this file.
    pub seqnum_gaps: Vec<(u64, u64)>,
    /// Boot ids in entry order (each change once).
    pub boots: Vec<String>,
}
