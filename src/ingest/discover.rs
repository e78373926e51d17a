//! Discovery: walks the evidence paths without following symlinks out of the tree, and lists
//! every file with its evidence-relative path, size and mtime, plus what was skipped and why.
//! Paths are sorted so a run is deterministic whatever order the file system lists them in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::error::IngestError;

/// One discovered file (or a skipped entry).
#[derive(Debug, Clone)]
pub struct Candidate {
    pub abs: PathBuf,
    /// `/`-separated path relative to the ingest root: the `log_file_path`.
    pub rel: String,
    pub size: u64,
    /// Modification time, seconds since the epoch (UTC).
    pub mtime: i64,
    pub skipped: Option<String>,
}

/// Symlink policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symlinks {
    /// Follow none; a link inside the tree is reported as an alias of its target, one pointing
    /// out of the tree as skipped.
    Skip,
    /// Follow links to files wherever they point.
    Follow,
}

fn rel_string(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// The ingest root: a single directory input itself; otherwise the deepest folder that holds
/// every input, so `ingest ev/web01 ev/db01` keeps `web01/…` and `db01/…` apart.
pub fn ingest_root(inputs: &[PathBuf]) -> PathBuf {
    let abs: Vec<PathBuf> = inputs.iter().map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())).collect();
    if abs.len() == 1 && abs[0].is_dir() {
        return abs[0].clone();
    }
    let parents: Vec<PathBuf> = abs.iter().map(|p| p.parent().map(Path::to_path_buf).unwrap_or_default()).collect();
    let mut root = parents[0].clone();
    for p in &parents[1..] {
        while !p.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    root
}

/// Walks all inputs; paths are made relative to [`ingest_root`].
pub fn discover(inputs: &[PathBuf], symlinks: Symlinks) -> Result<Vec<Candidate>, IngestError> {
    let mut out: BTreeMap<String, Candidate> = BTreeMap::new();
    for input in inputs {
        std::fs::symlink_metadata(input).map_err(|_| IngestError::MissingInput { path: input.clone() })?;
    }
    let root = ingest_root(inputs);
    for input in inputs {
        let input = &std::path::absolute(input).unwrap_or_else(|_| input.clone());
        let meta = std::fs::symlink_metadata(input).map_err(|_| IngestError::MissingInput { path: input.clone() })?;
        let canon_root = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
        let walker = if meta.is_dir() {
            walkdir::WalkDir::new(input).follow_links(false).sort_by_file_name()
        } else {
            walkdir::WalkDir::new(input).follow_links(false).max_depth(0)
        };
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let path = err.path().map(Path::to_path_buf).unwrap_or_else(|| input.clone());
                    let rel = rel_string(path.strip_prefix(&root).unwrap_or(&path));
                    out.insert(rel.clone(), skipped(path, rel, format!("unreadable: {err}")));
                    continue;
                }
            };
            let path = entry.path().to_path_buf();
            let rel = rel_string(path.strip_prefix(&root).unwrap_or(&path));
            let ft = entry.file_type();
            if ft.is_dir() {
                continue;
            }
            let cand = if ft.is_symlink() {
                symlink(&path, rel.clone(), &canon_root, symlinks)
            } else if ft.is_file() {
                match entry.metadata() {
                    Ok(m) => Candidate {
                        abs: path.clone(),
                        rel: rel.clone(),
                        size: m.len(),
                        mtime: mtime_of(&m),
                        skipped: None,
                    },
                    Err(e) => skipped(path.clone(), rel.clone(), format!("unreadable: {e}")),
                }
            } else {
                skipped(path.clone(), rel.clone(), "not a regular file (device, socket or pipe)".into())
            };
            if let Some(prev) = out.get(&rel) {
                return Err(IngestError::PathCollision { a: prev.abs.clone(), b: path, rel });
            }
            out.insert(rel, cand);
        }
    }
    Ok(out.into_values().collect())
}

fn skipped(abs: PathBuf, rel: String, why: String) -> Candidate {
    Candidate { abs, rel, size: 0, mtime: 0, skipped: Some(why) }
}

pub fn mtime_of(m: &std::fs::Metadata) -> i64 {
    m.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn symlink(path: &Path, rel: String, canon_root: &Path, policy: Symlinks) -> Candidate {
    let target = match std::fs::canonicalize(path) {
        Ok(t) => t,
        Err(_) => return skipped(path.to_path_buf(), rel, "dangling symlink".into()),
    };
    let inside = target.starts_with(canon_root);
    let meta = match std::fs::metadata(&target) {
        Ok(m) => m,
        Err(e) => return skipped(path.to_path_buf(), rel, format!("unreadable symlink target: {e}")),
    };
    if meta.is_dir() {
        return skipped(path.to_path_buf(), rel, "symlink to a directory (not followed)".into());
    }
    match (policy, inside) {
        (Symlinks::Follow, _) => {
            Candidate { abs: path.to_path_buf(), rel, size: meta.len(), mtime: mtime_of(&meta), skipped: None }
        }
        (Symlinks::Skip, true) => {
            let t = rel_string(target.strip_prefix(canon_root).unwrap_or(&target));
            skipped(
                path.to_path_buf(),
                rel,
                format!("symlink to {t} inside the evidence tree (ingested under its own path)"),
            )
        }
        (Symlinks::Skip, false) => skipped(
            path.to_path_buf(),
            rel,
            "symlink pointing outside the evidence tree (not followed; --follow-symlinks to read it)".into(),
        ),
    }
}

/// Host name guessed from the evidence layout: the directory above `var/log`, else the first
/// path component when there is more than one.
pub fn host_from_path(rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    if let Some(i) = parts.windows(2).position(|w| w[0] == "var" && w[1] == "log") {
        return (i > 0).then(|| parts[i - 1].to_string());
    }
    (parts.len() > 1).then(|| parts[0].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_from_layout() {
        assert_eq!(host_from_path("web01/var/log/auth.log").as_deref(), Some("web01"));
        assert_eq!(host_from_path("case/web01/var/log/nginx/access.log").as_deref(), Some("web01"));
        assert_eq!(host_from_path("db02/secure").as_deref(), Some("db02"));
        assert_eq!(host_from_path("auth.log"), None);
        assert_eq!(host_from_path("var/log/auth.log"), None);
    }

    #[test]
    fn roots_keep_hosts_apart() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("ev/h00/var/log");
        let b = dir.path().join("ev/h01/var/log");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("x.log"), "1\n").unwrap();
        std::fs::write(b.join("x.log"), "2\n").unwrap();
        let c = discover(&[a.join("x.log"), b.join("x.log")], Symlinks::Skip).unwrap();
        assert_eq!(c.iter().map(|c| c.rel.as_str()).collect::<Vec<_>>(), ["h00/var/log/x.log", "h01/var/log/x.log"]);
        let c = discover(&[dir.path().join("ev/h00"), dir.path().join("ev/h01")], Symlinks::Skip).unwrap();
        assert_eq!(c[0].rel, "h00/var/log/x.log");
        let c = discover(&[dir.path().join("ev")], Symlinks::Skip).unwrap();
        assert_eq!(c[1].rel, "h01/var/log/x.log");
        let c = discover(&[a.join("x.log")], Symlinks::Skip).unwrap();
        assert_eq!(c[0].rel, "x.log");
    }

    #[test]
    fn walks_sorted_and_reports_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ev");
        std::fs::create_dir_all(root.join("h1/var/log")).unwrap();
        std::fs::write(root.join("h1/var/log/b.log"), "x\n").unwrap();
        std::fs::write(root.join("h1/var/log/a.log"), "y\n").unwrap();
        std::fs::write(dir.path().join("outside.log"), "z\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.log"), root.join("h1/var/log/out.log")).unwrap();
        std::os::unix::fs::symlink(root.join("h1/var/log/a.log"), root.join("h1/var/log/alias.log")).unwrap();
        let c = discover(std::slice::from_ref(&root), Symlinks::Skip).unwrap();
        let rels: Vec<_> = c.iter().map(|c| c.rel.as_str()).collect();
        assert_eq!(rels, ["h1/var/log/a.log", "h1/var/log/alias.log", "h1/var/log/b.log", "h1/var/log/out.log"]);
        assert!(c[1].skipped.as_deref().unwrap().contains("inside the evidence tree"));
        assert!(c[3].skipped.as_deref().unwrap().contains("outside"));
        assert!(c[0].skipped.is_none());
        let c = discover(&[root], Symlinks::Follow).unwrap();
        assert!(c.iter().all(|c| c.skipped.is_none()));
    }
}
