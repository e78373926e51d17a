//! The case directory and its atomic commit.
//!
//! Layout: `manifest.json`, `events/`, `rejects/`, and while an ingest runs, `.staging/rNNNN/`
//! and `.lock`. An ingest writes everything into staging, then commits with a journal:
//! `.commit` (written to a temporary name, synced, renamed into place — the commit point)
//! lists the part files to move in, the parts to delete (`--force`) and the new manifest.
//! Applying it is idempotent, so a run killed at any moment leaves either the old case (no
//! journal: staging is discarded on the next open) or a journal that the next open finishes.
//! Readers never see half a run.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::fault;
use crate::error::IngestError;

pub const MANIFEST: &str = "manifest.json";
const JOURNAL: &str = ".commit";
const LOCK: &str = ".lock";
const STAGING: &str = ".staging";

#[derive(Debug, Clone)]
pub struct Case {
    pub dir: PathBuf,
}

/// Work the commit journal records, paths relative to the case directory.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Journal {
    pub moves: Vec<(String, String)>,
    pub deletes: Vec<String>,
    pub manifest_tmp: String,
    pub staging: String,
}

/// Exclusive hold on a case; released on drop.
pub struct CaseLock {
    path: PathBuf,
}

impl Drop for CaseLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Case {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join(MANIFEST)
    }
    pub fn events_dir(&self) -> PathBuf {
        self.dir.join("events")
    }
    pub fn rejects_dir(&self) -> PathBuf {
        self.dir.join("rejects")
    }
    pub fn staging_dir(&self, run: u32) -> PathBuf {
        self.dir.join(STAGING).join(format!("r{run:04}"))
    }

    /// Takes the case lock, creating the directory. A lock left by a dead process is taken over.
    pub fn lock(&self) -> Result<CaseLock, IngestError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| IngestError::write(&self.dir, e))?;
        let path = self.dir.join(LOCK);
        for _ in 0..2 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(CaseLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let pid = std::fs::read_to_string(&path).ok().and_then(|s| s.trim().parse::<u32>().ok());
                    let alive = pid.is_some_and(|p| Path::new(&format!("/proc/{p}")).exists());
                    if alive {
                        return Err(IngestError::Locked { path: self.dir.clone(), lock: path });
                    }
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => return Err(IngestError::write(&path, e)),
            }
        }
        Err(IngestError::Locked { path: self.dir.clone(), lock: path })
    }

    /// Finishes a committed-but-unapplied run and discards abandoned staging. Needs the lock.
    pub fn recover(&self, _lock: &CaseLock) -> Result<bool, IngestError> {
        let journal_path = self.dir.join(JOURNAL);
        let mut finished = false;
        if journal_path.exists() {
            let bytes = std::fs::read(&journal_path).map_err(|e| IngestError::read(&journal_path, e))?;
            let journal: Journal = serde_json::from_slice(&bytes)
                .map_err(|e| IngestError::Manifest { path: journal_path.clone(), source: e })?;
            self.apply(&journal)?;
            finished = true;
        }
        let staging = self.dir.join(STAGING);
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| IngestError::write(&staging, e))?;
        }
        Ok(finished)
    }

    /// Whether the case has a journal waiting to be applied.
    pub fn needs_recovery(&self) -> bool {
        self.dir.join(JOURNAL).exists()
    }

    /// Commits a run: writes the journal (the commit point), then applies it.
    pub fn commit(&self, _lock: &CaseLock, journal: &Journal) -> Result<(), IngestError> {
        fault::point("staged");
        let tmp = self.dir.join(".commit.tmp");
        {
            let mut f = File::create(&tmp).map_err(|e| IngestError::write(&tmp, e))?;
            f.write_all(&serde_json::to_vec(journal).expect("journal serializes"))
                .map_err(|e| IngestError::write(&tmp, e))?;
            f.sync_all().map_err(|e| IngestError::write(&tmp, e))?;
        }
        fault::point("journal_written");
        let journal_path = self.dir.join(JOURNAL);
        std::fs::rename(&tmp, &journal_path).map_err(|e| IngestError::write(&journal_path, e))?;
        sync_dir(&self.dir);
        fault::point("committed");
        self.apply(journal)
    }

    fn apply(&self, journal: &Journal) -> Result<(), IngestError> {
        for rel in &journal.deletes {
            let p = self.dir.join(rel);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(IngestError::write(&p, e)),
            }
            fault::point("deleted");
        }
        let mut dirs = std::collections::BTreeSet::new();
        for (src, dst) in &journal.moves {
            let (s, d) = (self.dir.join(src), self.dir.join(dst));
            if let Some(parent) = d.parent() {
                std::fs::create_dir_all(parent).map_err(|e| IngestError::write(parent, e))?;
                dirs.insert(parent.to_path_buf());
            }
            match std::fs::rename(&s, &d) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && d.exists() => {}
                Err(e) => return Err(IngestError::write(&d, e)),
            }
            fault::point("moved");
        }
        for d in &dirs {
            sync_dir(d);
        }
        fault::point("parts_in");
        let tmp = self.dir.join(&journal.manifest_tmp);
        let manifest = self.manifest_path();
        match std::fs::rename(&tmp, &manifest) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && manifest.exists() => {}
            Err(e) => return Err(IngestError::write(&manifest, e)),
        }
        sync_dir(&self.dir);
        fault::point("manifest");
        let journal_path = self.dir.join(JOURNAL);
        std::fs::remove_file(&journal_path).map_err(|e| IngestError::write(&journal_path, e))?;
        fault::point("done");
        let staging = self.dir.join(&journal.staging);
        if staging.exists() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        // `.staging` itself, once no run's staging is left in it.
        let _ = std::fs::remove_dir(self.dir.join(STAGING));
        remove_empty_dirs(&self.events_dir());
        remove_empty_dirs(&self.rejects_dir());
        Ok(())
    }

    /// Makes a case readable: finishes an interrupted commit if there is one.
    pub fn open_for_read(dir: &Path) -> Result<Case, IngestError> {
        let case = Case::new(dir);
        if case.needs_recovery() {
            let lock = case.lock()?;
            case.recover(&lock)?;
        }
        if !case.manifest_path().exists() {
            return Err(IngestError::Invalid(format!(
                "{} is not a logsleuth case (no {MANIFEST}); run `logsleuth ingest PATH --case {}` first",
                dir.display(),
                dir.display()
            )));
        }
        Ok(case)
    }

    /// Records the SHA-256 of files a later command derived into the case (`findings.json`,
    /// …) in the manifest, under the case lock, replacing the manifest atomically.
    pub fn record_derived(&self, names: &[&str]) -> Result<(), IngestError> {
        let lock = self.lock()?;
        let path = self.manifest_path();
        let Some(mut m) = super::manifest::Manifest::load(&path)? else { return Ok(()) };
        for name in names {
            let file = self.dir.join(name);
            match super::files::sha256_file(&file) {
                Ok(h) => {
                    m.derived.insert(name.to_string(), h);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    m.derived.remove(*name);
                }
                Err(e) => return Err(IngestError::read(&file, e)),
            }
        }
        write_atomic(&path, m.to_json().as_bytes())?;
        drop(lock);
        Ok(())
    }

    /// All committed part files under `events/` or `rejects/`, relative to the case.
    pub fn parts(&self, sub: &str) -> Vec<String> {
        parquet_files(&self.dir.join(sub))
            .filter_map(|p| p.strip_prefix(&self.dir).ok().map(|rel| rel.to_string_lossy().into_owned()))
            .collect()
    }
}

/// Replaces the file `path` with `bytes` atomically ([`super::files::replace`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IngestError> {
    super::files::replace(
        path,
        |tmp| std::fs::write(tmp, bytes).map_err(|e| IngestError::write(tmp, e)),
        |e| IngestError::write(path, e),
    )
}

/// The Parquet files under `root`, directory by directory in file-name order.
pub fn parquet_files(root: &Path) -> impl Iterator<Item = PathBuf> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "parquet"))
        .map(|e| e.into_path())
}

fn remove_empty_dirs(root: &Path) {
    let Ok(rd) = std::fs::read_dir(root) else { return };
    for e in rd.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupted_commit_is_finished_on_next_open() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::new(dir.path().join("case"));
        let lock = case.lock().unwrap();
        assert!(case.lock().is_err(), "second lock is refused while held");
        let staging = case.staging_dir(1);
        std::fs::create_dir_all(staging.join("events/event_module=auth")).unwrap();
        std::fs::write(staging.join("events/event_module=auth/p.parquet"), b"x").unwrap();
        std::fs::write(staging.join("manifest.json"), b"{}").unwrap();
        let journal = Journal {
            moves: vec![(
                ".staging/r0001/events/event_module=auth/p.parquet".into(),
                "events/event_module=auth/p.parquet".into(),
            )],
            deletes: vec![],
            manifest_tmp: ".staging/r0001/manifest.json".into(),
            staging: ".staging/r0001".into(),
        };
        // Simulate a crash right after the commit point: journal written, nothing applied.
        std::fs::write(case.dir.join(JOURNAL), serde_json::to_vec(&journal).unwrap()).unwrap();
        drop(lock);
        let opened = Case::open_for_read(&case.dir).unwrap();
        assert!(opened.events_dir().join("event_module=auth/p.parquet").exists());
        assert!(opened.manifest_path().exists());
        assert!(!opened.dir.join(JOURNAL).exists());
        assert!(!opened.dir.join(STAGING).exists());
    }

    #[test]
    fn abandoned_staging_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let case = Case::new(dir.path());
        std::fs::create_dir_all(case.staging_dir(3).join("events")).unwrap();
        let lock = case.lock().unwrap();
        assert!(!case.recover(&lock).unwrap());
        assert!(!dir.path().join(STAGING).exists());
        assert!(Case::open_for_read(dir.path()).is_err(), "no manifest: not a case");
    }
}
