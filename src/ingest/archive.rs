//! Archives read in place: tar (plain, gzip, bzip2, xz, zstd) and zip (stored, deflate, zip64),
//! as collectors (UAC, Velociraptor, sosreport) and administrators (`tar czf logs.tgz /var/log`)
//! hand them over. Found by magic bytes like everything else, never extracted to disk: every
//! regular member is read into memory once and becomes a candidate of its own, with the path
//! `ARCHIVE!member` (the member's name as written in the archive), so it goes through the same
//! pipeline as a file: rotation sets, compression, sniffing, duplicates. An archive inside an
//! archive is followed one level deep (`outer.zip!inner.tar.gz!var/log/auth.log`).
//!
//! Hostile or broken archives get a recorded, counted outcome, never a crash and never a write:
//! - names with `..` or a leading `/` are recorded as written; nothing touches the disk;
//! - symlink and hardlink members are recorded as skipped with their target, not followed;
//! - encrypted zip members are skipped as encrypted;
//! - a truncated archive keeps every member read before the damage, and is flagged damaged
//!   (a member cut short is kept and flagged damaged too);
//! - memory is bounded: members are held in memory up to [`memory_limit`] bytes in all; members
//!   past it are streamed from the archive at each read instead (a tar member is found again by
//!   its offset, decompressing from the start for a compressed tar; a zip member by its data
//!   offset), and each member's expansion ratio is recorded (a zip's per member; a compressed
//!   tar's, which does not say what each member took of it, for the whole archive);
//! - a name written twice gets `#2`, `#3`… after it, so every stored path stays unique.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use super::decode::{self, Compression, Source};
use super::discover::{Candidate, HostSource};

/// The separator between an archive's path and a member's name in `log_file_path`.
pub const SEP: char = '!';

/// What an archive says of one of its members, or of itself.
#[derive(Debug, Clone, Default)]
pub struct Info {
    /// For a member: the path of the archive that holds it (as stored in the case).
    pub archive: Option<String>,
    /// For a member: its name as written in the archive.
    pub member: Option<String>,
    /// For a member: the evidence it was read from, `ARCHIVE_PATH!member` (the manifest's
    /// `source_path`).
    pub source_path: Option<String>,
    /// For a member: its host when the archive decides it (a `HOST/var/log` layout inside it, or
    /// the collector's record of the host).
    pub host: Option<(String, HostSource)>,
    /// For a member: its size over the bytes it took in the archive, when known.
    pub expansion_ratio: Option<f64>,
    /// For a member: its host's `etc/timezone` and `etc/localtime` inside the archive, with a key
    /// naming that host folder (`ARCHIVE_PATH!ROOT`).
    pub zone: Option<(String, super::clock::ZoneFiles)>,
    /// For an archive: its kind (`tar`, `tar+gzip`, `zip`, …) and how many members it has.
    pub kind: Option<String>,
    pub members: u64,
    /// For an archive: the SHA-256 of its bytes.
    pub sha256: Option<String>,
    /// Damage: a truncated archive or member, what was lost.
    pub damaged: Option<String>,
}

/// Bytes of archive members held in memory at most, in all: `LOGSLEUTH_ARCHIVE_MEMORY_MB`, else
/// 4 GiB.
pub fn memory_limit() -> u64 {
    std::env::var("LOGSLEUTH_ARCHIVE_MEMORY_MB").ok().and_then(|v| v.parse::<u64>().ok()).unwrap_or(4096) << 20
}

/// The kind of archive a source is, by its magic bytes: zip's local header, or a tar header's
/// `ustar` magic once any compression is taken off.
pub fn kind_of(src: &Source) -> Option<(ArchiveKind, Compression)> {
    let (compression, head) = decode::probe(src, 512).ok()?;
    kind_by_head(compression, &head.ok()?)
}

/// The kind of archive a probed head shows (see [`kind_of`]).
fn kind_by_head(compression: Compression, head: &[u8]) -> Option<(ArchiveKind, Compression)> {
    if compression == Compression::None && (head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")) {
        return Some((ArchiveKind::Zip, compression));
    }
    (head.len() >= 262 && &head[257..262] == b"ustar").then_some((ArchiveKind::Tar, compression))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Tar,
    Zip,
}

/// A member's bytes: held in memory, or read from the archive at each use.
enum Data {
    Held(Vec<u8>),
    Streamed(Source, u64),
}

impl Data {
    fn len(&self) -> u64 {
        match self {
            Data::Held(b) => b.len() as u64,
            Data::Streamed(_, n) => *n,
        }
    }
}

/// One member as read: name as written, bytes (or why not), mtime, bytes it took in the archive.
struct Member {
    name: String,
    data: Result<Data, String>,
    mtime: i64,
    stored: Option<u64>,
    damaged: Option<String>,
    /// A symbolic link member's target.
    link: Option<String>,
}

/// Shared budget of member bytes held in memory.
pub struct Budget {
    left: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget { left: limit }
    }
}

/// What reading a member into memory gave.
enum Fit {
    /// Its bytes, and its damage (cut short).
    Held(Vec<u8>, Option<String>),
    /// It does not fit in what is left of the memory limit: it is to be streamed.
    TooBig,
}

/// Reads a member's bytes within the budget (a header may understate the size: never more than
/// the budget left is read).
fn read_member(r: &mut dyn Read, size: u64, budget: &mut Budget) -> Fit {
    if size > budget.left {
        return Fit::TooBig;
    }
    let mut buf = Vec::with_capacity(size.min(1 << 26) as usize);
    let res = r.take(budget.left + 1).read_to_end(&mut buf);
    if buf.len() as u64 > budget.left {
        return Fit::TooBig;
    }
    budget.left -= buf.len() as u64;
    let damaged = match res {
        Ok(_) if (buf.len() as u64) < size => Some(format!("truncated: {} of {size} bytes", buf.len())),
        Ok(_) => None,
        Err(e) => Some(format!("truncated: {} of {size} bytes read ({e})", buf.len())),
    };
    Fit::Held(buf, damaged)
}

fn name_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The members of a tar archive, and the archive's damage if it ends early. A plain tar in a
/// file or in memory is walked by seeking from header to header, its members streamed from their
/// offsets (nothing copied); a compressed one is read front to back, its members held in memory
/// within the budget.
fn tar_members(src: &Source, compression: Compression, budget: &mut Budget) -> (Vec<Member>, Option<String>) {
    let length = match src {
        Source::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
        Source::Bytes(b) => Some(b.len() as u64),
        _ => None,
    };
    if let (Compression::None, Some(length), Ok(reader)) = (compression, length, src.open_seekable()) {
        let mut archive = tar::Archive::new(reader);
        return match archive.entries_with_seek() {
            Ok(entries) => tar_walk(entries, src, compression, budget, Some(length)),
            Err(e) => (Vec::new(), Some(format!("not a readable tar: {e}"))),
        };
    }
    let (reader, _) = match decode::open_decoded(src, compression) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(format!("cannot open: {e}"))),
    };
    let mut archive = tar::Archive::new(reader);
    match archive.entries() {
        Ok(entries) => tar_walk(entries, src, compression, budget, None),
        Err(e) => (Vec::new(), Some(format!("not a readable tar: {e}"))),
    }
}

/// Walks a tar's entries. With `seekable` (the plain archive's length), regular members are
/// streamed from their offsets; otherwise read into memory within the budget.
fn tar_walk<R: Read>(
    entries: tar::Entries<'_, R>,
    src: &Source,
    compression: Compression,
    budget: &mut Budget,
    seekable: Option<u64>,
) -> (Vec<Member>, Option<String>) {
    let mut out = Vec::new();
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let why = format!("truncated or damaged after {} members: {e}", out.len());
                return (out, Some(why));
            }
        };
        let name = name_of(&entry.path_bytes());
        let header = entry.header();
        let mtime = header.mtime().map_or(0, |t| t as i64);
        let kind = header.entry_type();
        let skip = |why: String, link: Option<String>| Member {
            name: name.clone(),
            data: Err(why),
            mtime,
            stored: None,
            damaged: None,
            link,
        };
        use tar::EntryType as T;
        let member = match kind {
            T::Directory => continue,
            T::Symlink | T::Link => {
                let target = entry.link_name_bytes().map(|t| name_of(&t)).unwrap_or_default();
                let what = if kind == T::Symlink { "symbolic" } else { "hard" };
                skip(format!("{what} link member to {target} (recorded, not followed)"), Some(target))
            }
            T::Regular | T::Continuous | T::GNUSparse => {
                let size = entry.size();
                let offset = entry.raw_file_position();
                let streamed = |size: u64| {
                    let archive = Arc::new(src.clone());
                    Data::Streamed(Source::TarMember { archive, compression, offset, size }, size)
                };
                let (data, damaged) = match seekable {
                    Some(length) if offset + size > length => {
                        let have = length.saturating_sub(offset);
                        (streamed(have), Some(format!("truncated: {have} of {size} bytes")))
                    }
                    Some(_) => (streamed(size), None),
                    None => match read_member(&mut entry, size, budget) {
                        Fit::Held(b, damaged) => (Data::Held(b), damaged),
                        Fit::TooBig => (streamed(size), None),
                    },
                };
                // A compressed tar does not say what each member took of it (see open_archive).
                let stored = (compression == Compression::None).then_some(size);
                Member { name, data: Ok(data), mtime, stored, damaged, link: None }
            }
            T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => continue,
            _ => skip("not a regular file member (device, fifo or other special entry)".into(), None),
        };
        let cut = member.damaged.is_some();
        out.push(member);
        if cut {
            let why = format!("truncated inside member {}", out.len());
            return (out, Some(why));
        }
    }
    (out, None)
}

/// Seconds since the epoch of a zip's DOS time (local time of the machine that wrote it; read as
/// UTC, since the format records no zone).
fn zip_time(t: Option<zip::DateTime>) -> i64 {
    let Some(t) = t else { return 0 };
    let days =
        crate::parse::time::checked_days_from_civil(i64::from(t.year()), u32::from(t.month()), u32::from(t.day()));
    days.map_or(0, |d| d * 86_400 + i64::from(t.hour()) * 3600 + i64::from(t.minute()) * 60 + i64::from(t.second()))
}

/// A zip member's mtime: its extended timestamp (Info-ZIP's `UT` field, Unix seconds) when it
/// has one, else its DOS time (2-second resolution).
fn zip_mtime<R: Read>(file: &zip::read::ZipFile<'_, R>) -> i64 {
    let unix = file.extra_data_fields().find_map(|f| match f {
        zip::extra_fields::ExtraField::ExtendedTimestamp(t) => t.mod_time(),
        _ => None,
    });
    unix.map_or_else(|| zip_time(file.last_modified()), i64::from)
}

/// The members of a zip archive, and its damage.
fn zip_members(src: &Source, budget: &mut Budget) -> (Vec<Member>, Option<String>) {
    let mut out = Vec::new();
    let reader = match src.open_seekable() {
        Ok(r) => io::BufReader::new(r),
        Err(e) => return (out, Some(format!("cannot open: {e}"))),
    };
    let mut zip = match zip::ZipArchive::new(reader) {
        Ok(z) => z,
        // No central directory (a truncated zip): the members before the damage, in order.
        Err(e) => return zip_stream_members(src, budget, &e.to_string()),
    };
    let names: Vec<String> = zip.file_names_raw().map(name_of).collect();
    for i in 0..zip.len() {
        let mut file = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                let name = names.get(i).cloned().unwrap_or_else(|| format!("#{i}"));
                let why = match e {
                    zip::result::ZipError::UnsupportedArchive(zip::result::ZipError::PASSWORD_REQUIRED) => {
                        "encrypted member (not read)".to_string()
                    }
                    e => format!("unreadable member: {e}"),
                };
                out.push(Member { name, data: Err(why), mtime: 0, stored: None, damaged: None, link: None });
                continue;
            }
        };
        let name = name_of(file.name_raw());
        let mtime = zip_mtime(&file);
        if file.is_dir() {
            continue;
        }
        if file.is_symlink() {
            let mut target = Vec::new();
            let _ = (&mut file).take(4096).read_to_end(&mut target);
            let target = name_of(&target);
            let why = format!("symbolic link member to {target} (recorded, not followed)");
            out.push(Member { name, data: Err(why), mtime, stored: None, damaged: None, link: Some(target) });
            continue;
        }
        let (size, stored) = (file.size(), file.compressed_size());
        let method = file.compression();
        let data_start = file.data_start();
        let (data, damaged) = match read_member(&mut file, size, budget) {
            Fit::Held(b, damaged) => (Ok(Data::Held(b)), damaged),
            Fit::TooBig => {
                let deflated = method == zip::CompressionMethod::Deflated;
                let streamable = deflated || method == zip::CompressionMethod::Stored;
                match data_start.filter(|_| streamable) {
                    Some(data_start) => {
                        let archive = Arc::new(src.clone());
                        (Ok(Data::Streamed(Source::ZipMember { archive, data_start, stored, deflated }, size)), None)
                    }
                    None => (
                        Err(format!(
                            "not read: past the in-memory limit, and its compression ({method}) cannot be streamed"
                        )),
                        None,
                    ),
                }
            }
        };
        out.push(Member { name, data, mtime, stored: Some(stored), damaged, link: None });
    }
    (out, None)
}

/// A zip read front to back by its local headers, for when its central directory is gone.
fn zip_stream_members(src: &Source, budget: &mut Budget, why: &str) -> (Vec<Member>, Option<String>) {
    let mut out = Vec::new();
    let mut reader = match src.open() {
        Ok(r) => io::BufReader::new(r),
        Err(e) => return (out, Some(format!("cannot open: {e}"))),
    };
    loop {
        match zip::read::read_zipfile_from_stream(&mut reader) {
            Ok(Some(mut file)) => {
                let name = name_of(file.name_raw());
                let mtime = zip_time(file.last_modified());
                if file.is_dir() {
                    continue;
                }
                let (size, stored) = (file.size(), file.compressed_size());
                let (data, damaged) = match read_member(&mut file, size, budget) {
                    Fit::Held(b, damaged) => (Ok(Data::Held(b)), damaged),
                    Fit::TooBig => {
                        (Err("not read: a member of a damaged zip past the in-memory limit".to_string()), None)
                    }
                };
                let cut = damaged.is_some();
                out.push(Member { name, data, mtime, stored: Some(stored), damaged, link: None });
                if cut {
                    break;
                }
            }
            Ok(None) => break,
            Err(_) => break,
        }
    }
    let n = out.len();
    (out, Some(format!("damaged (no central directory: {why}); {n} member(s) read front to back")))
}

/// The file name of an archive without its archive suffixes: the host of last resort.
fn stem(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    for suffix in [".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.zstd", ".tgz", ".tbz2", ".txz", ".tar", ".zip"] {
        if lower.ends_with(suffix) && name.len() > suffix.len() {
            return &name[..name.len() - suffix.len()];
        }
    }
    name
}

/// Operating systems in UAC's output names (`uac-HOST-OS-YYYYMMDDhhmmss`).
const UAC_OS: &[&str] =
    &["linux", "aix", "freebsd", "macos", "netbsd", "netscaler", "openbsd", "solaris", "esxi", "android"];

/// A collector's layout: where the file system starts inside the archive, and the host the
/// archive's name or metadata names.
#[derive(Debug, Default, PartialEq)]
struct Layout {
    root: String,
    host: Option<String>,
}

fn layout(archive_name: &str, members: &[Member]) -> Layout {
    let stem = stem(archive_name);
    let text = |name: &str| {
        members.iter().find(|m| m.name == name).and_then(|m| match &m.data {
            Ok(Data::Held(d)) => Some(String::from_utf8_lossy(&d[..d.len().min(4096)]).trim().to_string()),
            _ => None,
        })
    };
    // UAC: `uac-HOST-OS-TIMESTAMP.tar.gz`, the file system under `[root]/`.
    if members.iter().any(|m| m.name.starts_with("[root]/")) {
        let host = stem.strip_prefix("uac-").and_then(|rest| {
            let mut parts = rest.rsplitn(3, '-');
            let (_ts, os, host) = (parts.next()?, parts.next()?, parts.next()?);
            UAC_OS.contains(&os).then(|| host.to_string())
        });
        return Layout { root: "[root]/".into(), host };
    }
    // Velociraptor: `uploads/auto/` (or `uploads/file/`), the host in `client_info.json`.
    if let Some(root) =
        ["uploads/auto/", "uploads/file/"].into_iter().find(|r| members.iter().any(|m| m.name.starts_with(r)))
    {
        let host = text("client_info.json").and_then(|t| {
            let v: serde_json::Value = serde_json::from_str(&t).ok()?;
            let h = v.get("Hostname").or_else(|| v.get("hostname")).or_else(|| v.get("Fqdn"))?;
            h.as_str().filter(|h| !h.is_empty()).map(str::to_string)
        });
        return Layout { root: root.into(), host };
    }
    // sosreport: one top folder `sosreport-HOST-…/` holding `hostname` and `var/log/`.
    let top = members.first().and_then(|m| m.name.split_once('/')).map(|(t, _)| format!("{t}/"));
    if let Some(root) =
        top.filter(|r| r.starts_with("sosreport-") && members.iter().all(|m| m.name.starts_with(r.as_str())))
    {
        let host = text(&format!("{root}hostname"))
            .filter(|h| !h.is_empty() && !h.contains(char::is_whitespace))
            .or_else(|| root.strip_prefix("sosreport-").and_then(|r| r.split('-').next()).map(str::to_string));
        return Layout { root, host };
    }
    Layout::default()
}

/// The host of a member: a `HOST/var/log` layout inside the archive (below the collector's
/// root), else the collector's own record of the host.
fn member_host(effective: &str, collector: &Option<String>) -> Option<(String, HostSource)> {
    let inner = Path::new("/").join(effective.trim_start_matches('/'));
    if let Some(Some((_, host))) = super::discover::layout_root(&inner) {
        return Some((host, HostSource::Layout));
    }
    collector.clone().map(|h| (h, HostSource::Archive))
}

/// Replaces every archive among the candidates by itself (as a record: kind, size, SHA-256,
/// members, damage) and its members. Candidates stay sorted by path.
pub fn expand(cands: Vec<Candidate>) -> Vec<Candidate> {
    use rayon::prelude::*;
    let kinds: Vec<Option<(ArchiveKind, Compression)>> = cands
        .par_iter()
        .map(|c| match &c.probed {
            _ if c.skipped.is_some() || c.size == 0 => None,
            Some(p) => kind_by_head(p.compression, p.head.as_ref().ok()?),
            None => kind_of(&c.source()),
        })
        .collect();
    if kinds.iter().all(Option::is_none) {
        return cands;
    }
    let mut budget = Budget::new(memory_limit());
    let mut out = Vec::with_capacity(cands.len());
    for (c, kind) in cands.into_iter().zip(kinds) {
        match kind {
            Some(k) => out.extend(open_archive(c, k, &mut budget, 0)),
            None => out.push(c),
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out
}

/// Where a member's host folder is inside the archive (`""` for the archive's root, `web01/`),
/// from its `var/log/` (below the collector's root); `None` without one.
fn host_root_in(effective: &str) -> Option<String> {
    let e = effective.trim_start_matches('/');
    if e.starts_with("var/log/") {
        return Some(String::new());
    }
    e.rfind("/var/log/").map(|i| e[..=i].to_string())
}

/// The zone files of each host folder in the archive (below the collector's root).
fn zone_files(members: &[Member], root: &str) -> std::collections::HashMap<String, super::clock::ZoneFiles> {
    use super::clock::{Localtime, ZoneFiles};
    let mut out: std::collections::HashMap<String, ZoneFiles> = std::collections::HashMap::new();
    for m in members {
        let e = m.name.strip_prefix(root).unwrap_or(&m.name).trim_start_matches('/');
        let (host_root, file) = match e.rsplit_once("etc/") {
            Some((h, f)) if (h.is_empty() || h.ends_with('/')) && (f == "timezone" || f == "localtime") => (h, f),
            _ => continue,
        };
        let bytes = match &m.data {
            Ok(Data::Held(b)) => Some(b.clone()),
            _ => None,
        };
        let entry = out.entry(host_root.to_string()).or_insert(ZoneFiles::Archive { timezone: None, localtime: None });
        if let ZoneFiles::Archive { timezone, localtime } = entry {
            match file {
                "timezone" => *timezone = bytes,
                _ => {
                    *localtime = match (&m.link, bytes) {
                        (Some(t), _) => Some(Localtime::Link(t.clone())),
                        (None, Some(b)) => Some(Localtime::File(b)),
                        (None, None) => None,
                    }
                }
            }
        }
    }
    out
}

/// Reads a streamed member into memory when it fits in the budget (for an archive inside one).
fn hold(member: &mut Candidate, budget: &mut Budget) -> bool {
    let Ok(mut r) = member.source().open() else { return false };
    match read_member(&mut r, member.size, budget) {
        Fit::Held(bytes, None) => {
            member.data = Some(Source::Bytes(Arc::from(bytes.into_boxed_slice())));
            true
        }
        _ => false,
    }
}

/// An archive's record and its members' candidates (nested archives followed while `depth` is 0).
fn open_archive(
    mut c: Candidate,
    (kind, compression): (ArchiveKind, Compression),
    budget: &mut Budget,
    depth: u32,
) -> Vec<Candidate> {
    let src = c.source();
    let (members, damaged) = match kind {
        ArchiveKind::Tar => tar_members(&src, compression, budget),
        ArchiveKind::Zip => zip_members(&src, budget),
    };
    let kind_name = match (kind, compression) {
        (ArchiveKind::Zip, _) => "zip".to_string(),
        (ArchiveKind::Tar, Compression::None) => "tar".to_string(),
        (ArchiveKind::Tar, comp) => format!("tar+{}", comp.as_str()),
    };
    let name = c.rel.rsplit(['/', SEP]).next().unwrap_or(&c.rel).to_string();
    let lay = layout(&name, &members);
    let mut info = c.archive.take().unwrap_or_default();
    info.kind = Some(kind_name);
    info.members = members.len() as u64;
    info.sha256 = decode::sha256_file(&src).ok();
    info.damaged = damaged;
    // A member of a compressed tar gets the archive's overall expansion ratio (a bomb dominates
    // its archive's); zip and plain tar members their own.
    let expanded: u64 = members.iter().map(|m| m.data.as_ref().map_or(0, Data::len)).sum();
    let overall = (kind == ArchiveKind::Tar && compression != Compression::None && c.size > 0)
        .then(|| expanded as f64 / c.size as f64);
    let zones = zone_files(&members, &lay.root);
    let mut out: Vec<Candidate> = Vec::with_capacity(members.len() + 1);
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for m in members {
        let n = seen.entry(m.name.clone()).or_insert(0);
        *n += 1;
        let written = if *n > 1 { format!("{}#{}", m.name, n) } else { m.name.clone() };
        let rel = format!("{}{SEP}{written}", c.rel);
        let effective = m.name.strip_prefix(lay.root.as_str()).unwrap_or(&m.name);
        let size = m.data.as_ref().map_or(0, Data::len);
        let member_info = Info {
            archive: Some(c.rel.clone()),
            member: Some(m.name.clone()),
            source_path: Some(format!("{}{SEP}{}", c.source_path(), m.name)),
            host: member_host(effective, &lay.host),
            zone: host_root_in(effective).and_then(|root| {
                zones.get(&root).map(|files| (format!("{}{SEP}{root}", c.source_path()), files.clone()))
            }),
            expansion_ratio: m
                .stored
                .filter(|&s| s > 0)
                .map(|s| size as f64 / s as f64)
                .or(overall)
                .map(|r| (r * 100.0).round() / 100.0),
            damaged: m.damaged.clone(),
            ..Default::default()
        };
        let mut member = Candidate {
            abs: c.abs.clone(),
            rel,
            size,
            mtime: m.mtime,
            input_name: stem(&name).to_string(),
            archive: Some(member_info),
            ..Default::default()
        };
        match m.data {
            Err(why) => member.skipped = Some(why),
            Ok(data) => {
                let held = matches!(data, Data::Held(_));
                member.data = Some(match data {
                    Data::Held(bytes) => Source::Bytes(Arc::from(bytes.into_boxed_slice())),
                    Data::Streamed(src, _) => src,
                });
                if super::clock::is_zone_setting(effective) {
                    member.skipped = Some(super::discover::ZONE_SETTING_IN_ARCHIVE.into());
                } else if let Some(k) = kind_of(&member.source()) {
                    // A nested archive is opened from memory (a zip needs random access).
                    let held = held || hold(&mut member, budget);
                    if depth == 0 && held {
                        out.extend(open_archive(member, k, budget, depth + 1));
                        continue;
                    }
                    member.skipped = Some(if held {
                        "an archive nested more than one level deep (not opened)".into()
                    } else {
                        "an archive inside the archive, past the in-memory limit (not opened)".into()
                    });
                    member.data = None;
                }
            }
        }
        out.push(member);
    }
    c.archive = Some(info);
    // A nested archive's bytes are not read again.
    c.data = None;
    c.probed = None;
    out.insert(0, c);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_collector_layouts() {
        assert_eq!(stem("uac-web01-linux-20240101120000.tar.gz"), "uac-web01-linux-20240101120000");
        assert_eq!(stem("logs.TGZ"), "logs");
        assert_eq!(stem("x.zip"), "x");
        let m = |name: &str, body: &str| Member {
            name: name.into(),
            data: Ok(Data::Held(body.as_bytes().to_vec())),
            mtime: 0,
            stored: None,
            damaged: None,
            link: None,
        };
        let uac = layout("uac-db-02.example-linux-20240101120000.tar.gz", &[m("[root]/var/log/auth.log", "")]);
        assert_eq!(uac, Layout { root: "[root]/".into(), host: Some("db-02.example".into()) });
        let velo = layout(
            "Collection-web01-2024.zip",
            &[
                m("client_info.json", r#"{"Hostname":"web01","Fqdn":"web01.corp"}"#),
                m("uploads/auto/var/log/syslog", ""),
            ],
        );
        assert_eq!(velo, Layout { root: "uploads/auto/".into(), host: Some("web01".into()) });
        let sos = layout(
            "sosreport-app3-123-2024-01-01-abcdef.tar.xz",
            &[
                m("sosreport-app3-123-2024-01-01-abcdef/hostname", "app3.corp\n"),
                m("sosreport-app3-123-2024-01-01-abcdef/var/log/secure", ""),
            ],
        );
        assert_eq!(
            sos,
            Layout { root: "sosreport-app3-123-2024-01-01-abcdef/".into(), host: Some("app3.corp".into()) }
        );
        assert_eq!(layout("logs.tgz", &[m("var/log/auth.log", "")]), Layout::default());
        assert_eq!(member_host("web01/var/log/auth.log", &None), Some(("web01".into(), HostSource::Layout)));
        assert_eq!(member_host("var/log/auth.log", &Some("h".into())), Some(("h".into(), HostSource::Archive)));
        assert_eq!(member_host("/var/log/auth.log", &None), None);
    }
}
