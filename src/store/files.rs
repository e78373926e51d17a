//! The case's derived files (what detection, correlation and triage write beside the dataset),
//! their names, atomic replacement, and the hashing and clock the case's records use.

use std::io;
use std::path::Path;

use polars::prelude::{LazyFrame, PlRefPath};
use sha2::{Digest, Sha256};

use crate::error::AnalysisError;
use crate::parse::time::{format_rfc3339, MICROS};

/// The findings, as JSON (byte-identical across runs apart from `generated_at`) and Parquet.
pub const FINDINGS_JSON: &str = "findings.json";
pub const FINDINGS_PARQUET: &str = "findings.parquet";
/// Triage's incidents.
pub const INCIDENTS: &str = "incidents.json";
/// Hourly series compared between sources and hosts (the `correlations` table).
pub const CORRELATIONS: &str = "correlations.parquet";
/// Every file analysis derives from the dataset: stale once an ingest adds events.
pub const DERIVED: &[&str] = &[FINDINGS_JSON, FINDINGS_PARQUET, INCIDENTS, CORRELATIONS];

/// Replaces the file `path` atomically: `write` fills a hidden temporary file beside it
/// (`.NAME.tmp`), which is then renamed over `path`, so no reader ever sees half a file. When
/// writing or renaming fails (a full disk), the temporary file is removed and `path` is left
/// as it was. `renamed` turns a failed rename into the caller's error.
pub fn replace<E>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
    renamed: impl FnOnce(io::Error) -> E,
) -> Result<(), E> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let done = write(&tmp).and_then(|_| std::fs::rename(&tmp, path).map_err(renamed));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// [`replace`] for analysis' derived files.
pub fn write_atomic(path: &Path, write: impl FnOnce(&Path) -> Result<(), AnalysisError>) -> Result<(), AnalysisError> {
    replace(path, write, |e| AnalysisError::Write { path: path.to_path_buf(), source: e })
}

/// Creates the file `path` for writing, the error naming it.
pub fn create(path: &Path) -> Result<std::fs::File, AnalysisError> {
    std::fs::File::create(path).map_err(|e| AnalysisError::Write { path: path.to_path_buf(), source: e })
}

/// A derived Parquet file of the case as a lazy table, when the case has it.
pub fn scan_derived(dir: &Path, name: &str) -> Option<LazyFrame> {
    let p = dir.join(name);
    p.exists()
        .then(|| LazyFrame::scan_parquet(PlRefPath::new(p.to_string_lossy().as_ref()), Default::default()).ok())
        .flatten()
}

/// The SHA-256 of a plain file's bytes (a case's own files; evidence re-checked by `verify`).
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut h = Sha256::new();
    io::copy(&mut io::BufReader::with_capacity(256 << 10, std::fs::File::open(path)?), &mut h)?;
    Ok(hex::encode(h.finalize()))
}

/// Now, as the case's records write times (RFC 3339, UTC, whole seconds).
pub fn now_rfc3339() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format_rfc3339(d.as_secs() as i64 * MICROS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_neither_a_temporary_file_nor_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("findings.json");
        std::fs::write(&path, b"old").unwrap();
        let failed = write_atomic(&path, |tmp| {
            std::fs::write(tmp, b"half").unwrap();
            Err(AnalysisError::Invalid("disk full".into()))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no .findings.json.tmp left");
        write_atomic(&path, |tmp| {
            std::fs::write(tmp, b"new").map_err(|e| AnalysisError::Write { path: tmp.into(), source: e })
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
