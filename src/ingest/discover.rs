//! Discovery: walks the evidence paths without following symlinks out of the tree, and lists
//! every file with its evidence-relative path, size and mtime, plus what was skipped and why.
//! Paths are sorted so a run is deterministic whatever order the file system lists them in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::error::IngestError;

/// One discovered file (or a skipped entry), or a member of an archive.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    pub abs: PathBuf,
    /// `/`-separated path relative to the ingest root: the `log_file_path`.
    pub rel: String,
    pub size: u64,
    /// Modification time, seconds since the epoch (UTC).
    pub mtime: i64,
    pub skipped: Option<String>,
    /// Name of the folder or file given to `ingest` that this file was found under (the host
    /// name of last resort).
    pub input_name: String,
    /// A member of an archive: where its bytes are (in memory, or streamed from the archive;
    /// `abs` is then the archive's path).
    pub data: Option<super::decode::Source>,
    /// What the archive says of a member, or of the archive itself.
    pub archive: Option<super::archive::Info>,
    /// Its compression and head, once probed ([`super::plan::probe`]).
    pub probed: Option<super::decode::Probed>,
}

impl Candidate {
    /// The evidence it was read from: the file's absolute path, or for an archive member
    /// `ARCHIVE_PATH!member` (nested: `OUTER!inner!member`).
    pub fn source_path(&self) -> String {
        match self.archive.as_ref().and_then(|a| a.source_path.clone()) {
            Some(p) => p,
            None => self.abs.to_string_lossy().into_owned(),
        }
    }

    /// Where its bytes are read from: an archive member's place, the bytes of a small file
    /// already read whole by its probe, or the file.
    pub fn source(&self) -> super::decode::Source {
        match (&self.data, self.probed.as_ref().and_then(|p| p.whole())) {
            (Some(src), _) => src.clone(),
            (None, Some(bytes)) => super::decode::Source::Bytes(bytes.clone()),
            (None, None) => super::decode::Source::File(self.abs.clone()),
        }
    }
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

/// Walks all inputs; paths are made relative to `root` when given (`ingest --root`, which every
/// input must be inside), else to [`ingest_root`].
pub fn discover(inputs: &[PathBuf], symlinks: Symlinks, root: Option<&Path>) -> Result<Vec<Candidate>, IngestError> {
    let mut out: BTreeMap<String, Candidate> = BTreeMap::new();
    for input in inputs {
        std::fs::symlink_metadata(input).map_err(|_| IngestError::MissingInput { path: input.clone() })?;
    }
    let root = match root {
        Some(r) => {
            let r = std::path::absolute(r).unwrap_or_else(|_| r.to_path_buf());
            for input in inputs {
                if !std::path::absolute(input).unwrap_or_else(|_| input.clone()).starts_with(&r) {
                    return Err(IngestError::Placement(format!(
                        "--root {}: the input {} is not inside it",
                        r.display(),
                        input.display()
                    )));
                }
            }
            r
        }
        None => ingest_root(inputs),
    };
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
                    let input_name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let c = Candidate { input_name, ..skipped(path, rel.clone(), format!("unreadable: {err}")) };
                    out.insert(rel, c);
                    continue;
                }
            };
            let path = entry.path().to_path_buf();
            let rel = rel_string(path.strip_prefix(&root).unwrap_or(&path));
            let ft = entry.file_type();
            if ft.is_dir() {
                continue;
            }
            let cand = if super::clock::is_zone_setting(&rel) {
                skipped(path.clone(), rel.clone(), ZONE_SETTING.into())
            } else if ft.is_symlink() {
                symlink(&path, rel.clone(), &canon_root, symlinks)
            } else if ft.is_file() {
                match entry.metadata() {
                    Ok(m) => Candidate {
                        abs: path.clone(),
                        rel: rel.clone(),
                        size: m.len(),
                        mtime: mtime_of(&m),
                        ..Default::default()
                    },
                    Err(e) => skipped(path.clone(), rel.clone(), format!("unreadable: {e}")),
                }
            } else {
                skipped(path.clone(), rel.clone(), "not a regular file (device, socket or pipe)".into())
            };
            if let Some(prev) = out.get(&rel) {
                return Err(IngestError::PathCollision { a: prev.abs.clone(), b: path, rel });
            }
            let input_name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            out.insert(rel, Candidate { input_name, ..cand });
        }
    }
    Ok(out.into_values().collect())
}

/// Why an archive's `etc/timezone` and `etc/localtime` are not read as logs.
pub const ZONE_SETTING_IN_ARCHIVE: &str =
    "time zone setting of its host inside an archive (read for the zone of the host's zone-less lines; not a log)";

/// Why `etc/timezone` and `etc/localtime` are not read as logs.
pub const ZONE_SETTING: &str =
    "time zone setting of its host (read for the zone of the host's zone-less lines; not a log)";

fn skipped(abs: PathBuf, rel: String, why: String) -> Candidate {
    Candidate { abs, rel, skipped: Some(why), ..Default::default() }
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
            Candidate { abs: path.to_path_buf(), rel, size: meta.len(), mtime: mtime_of(&meta), ..Default::default() }
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

/// Where a file's host name came from (the manifest's `host_source`). A line that names its
/// host (the syslog host field, a journal's `_HOSTNAME`) overrides this for that event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSource {
    /// `HOST/var/log/…` in the file's path, whichever folder level was given to `ingest`.
    Layout,
    /// The first folder under the ingest root (`evidence/db02/secure`), when the path has no
    /// `var/log` and that folder is not a well-known log folder name (`apache2`, `nginx`, …).
    HostFolder,
    /// `--host`.
    Option,
    /// The name of the folder or file given to `ingest` (flat evidence, nothing else known).
    InputName,
    /// A collector archive's own record of its host: its name (UAC `uac-HOST-…`, `sosreport-HOST-…`)
    /// or its metadata (sosreport's `hostname`, Velociraptor's `client_info.json`).
    Archive,
}

impl HostSource {
    pub fn as_str(self) -> &'static str {
        match self {
            HostSource::Layout => "layout",
            HostSource::HostFolder => "host_folder",
            HostSource::Option => "option",
            HostSource::InputName => "input_name",
            HostSource::Archive => "archive",
        }
    }
}

/// Folders that hold logs of one program under `/var/log`: never a host name.
const LOG_FOLDERS: &[&str] = &[
    "apache",
    "apache2",
    "httpd",
    "nginx",
    "lighttpd",
    "audit",
    "journal",
    "sssd",
    "samba",
    "mysql",
    "mariadb",
    "postgresql",
    "redis",
    "mongodb",
    "apt",
    "dpkg",
    "installer",
    "cups",
    "remote",
    "vpn",
    "openvpn",
    "ufw",
    "fail2ban",
    "letsencrypt",
    "php",
    "tomcat",
    "squid",
    "proftpd",
    "vsftpd",
    "app",
    "apps",
    "log",
    "logs",
    "var",
    "private",
    "sa",
    "sysstat",
    "chrony",
    "ntpstats",
    "unattended-upgrades",
    "landscape",
    "dist-upgrade",
];

/// Where `var/log` is in `abs` (the last one): `Some(Some((HOST folder, HOST)))` for
/// `…/HOST/var/log/…`, `Some(None)` for a real `/var/log` at the root, `None` when the path has
/// no `var/log`.
pub fn layout_root(abs: &Path) -> Option<Option<(PathBuf, String)>> {
    let comps: Vec<std::path::Component<'_>> = abs.components().collect();
    let var = comps.windows(2).rposition(|w| w[0].as_os_str() == "var" && w[1].as_os_str() == "log")?;
    let host = comps[..var].iter().rev().find_map(|c| match c {
        std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
        _ => None,
    });
    Some(host.map(|h| (comps[..var].iter().collect(), h)))
}

/// The host a file's lines belong to when they do not name one: the evidence layout
/// (`HOST/var/log/…` anywhere in the absolute path, else a host folder under the root), else
/// `--host`, else the name of the folder or file given to `ingest`. Never empty.
pub fn host_for(abs: &Path, rel: &str, option: Option<&str>, input_name: &str) -> (String, HostSource) {
    match layout_root(abs) {
        Some(Some((_, host))) => return (host, HostSource::Layout),
        // The path is a real `/var/log`: the layout names no host.
        Some(None) => {}
        None => {
            let parts: Vec<&str> = rel.split('/').collect();
            if parts.len() > 1 && !LOG_FOLDERS.contains(&parts[0].to_ascii_lowercase().as_str()) {
                return (parts[0].to_string(), HostSource::HostFolder);
            }
        }
    }
    if let Some(h) = option.filter(|h| !h.is_empty()) {
        return (h.to_string(), HostSource::Option);
    }
    let name = if input_name.is_empty() { "unknown".to_string() } else { input_name.to_string() };
    (name, HostSource::InputName)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_from_layout_option_and_input_name() {
        let h = |abs: &str, rel: &str, opt: Option<&str>, input: &str| {
            let (name, src) = host_for(Path::new(abs), rel, opt, input);
            (name, src.as_str())
        };
        let web = |s: &str| (s.to_string(), "layout");
        assert_eq!(h("/ev/web01/var/log/auth.log", "web01/var/log/auth.log", None, "ev"), web("web01"));
        assert_eq!(
            h("/c/case/web01/var/log/nginx/access.log", "case/web01/var/log/nginx/access.log", None, "c"),
            web("web01")
        );
        // `ingest evidence/web01/var/log/`: the layout is above the root, not `apache2`.
        assert_eq!(h("/x/evidence/web01/var/log/apache2/access.log", "apache2/access.log", None, "log"), web("web01"));
        // The layout wins over --host; --host over the input name.
        assert_eq!(h("/ev/web01/var/log/auth.log", "auth.log", Some("h9"), "log"), web("web01"));
        assert_eq!(h("/ev/db02/secure", "db02/secure", None, "ev"), ("db02".into(), "host_folder"));
        assert_eq!(h("/ev/apache2/access.log", "apache2/access.log", None, "ev"), ("ev".into(), "input_name"));
        assert_eq!(h("/tmp/flat/auth.log", "auth.log", Some("h9"), "flat"), ("h9".into(), "option"));
        assert_eq!(h("/tmp/flat/auth.log", "auth.log", None, "flat"), ("flat".into(), "input_name"));
        assert_eq!(h("/var/log/auth.log", "auth.log", None, "auth.log"), ("auth.log".into(), "input_name"));
        assert_eq!(h("/var/log/apache2/access.log", "apache2/access.log", None, "log").1, "input_name");
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
        let c = discover(&[a.join("x.log"), b.join("x.log")], Symlinks::Skip, None).unwrap();
        assert_eq!(c.iter().map(|c| c.rel.as_str()).collect::<Vec<_>>(), ["h00/var/log/x.log", "h01/var/log/x.log"]);
        let c = discover(&[dir.path().join("ev/h00"), dir.path().join("ev/h01")], Symlinks::Skip, None).unwrap();
        assert_eq!(c[0].rel, "h00/var/log/x.log");
        let c = discover(&[dir.path().join("ev")], Symlinks::Skip, None).unwrap();
        assert_eq!(c[1].rel, "h01/var/log/x.log");
        let c = discover(&[a.join("x.log")], Symlinks::Skip, None).unwrap();
        assert_eq!(c[0].rel, "x.log");
        // A shard of the tree named as the whole tree names it (`--root`).
        let c = discover(&[dir.path().join("ev/h01")], Symlinks::Skip, Some(&dir.path().join("ev"))).unwrap();
        assert_eq!(c[0].rel, "h01/var/log/x.log");
        let outside = discover(&[dir.path().join("ev/h01")], Symlinks::Skip, Some(&dir.path().join("ev/h00")));
        assert!(matches!(outside, Err(IngestError::Placement(m)) if m.contains("not inside")));
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
        let c = discover(std::slice::from_ref(&root), Symlinks::Skip, None).unwrap();
        let rels: Vec<_> = c.iter().map(|c| c.rel.as_str()).collect();
        assert_eq!(rels, ["h1/var/log/a.log", "h1/var/log/alias.log", "h1/var/log/b.log", "h1/var/log/out.log"]);
        assert!(c[1].skipped.as_deref().unwrap().contains("inside the evidence tree"));
        assert!(c[3].skipped.as_deref().unwrap().contains("outside"));
        assert!(c[0].skipped.is_none());
        let c = discover(&[root], Symlinks::Follow, None).unwrap();
        assert!(c.iter().all(|c| c.skipped.is_none()));
    }
}
