//! Time decisions for lines that do not carry their whole time: the zone of each host's
//! zone-less lines and the year of each file's year-less lines, decided from the evidence and
//! recorded with what decided them (`tz_source`, `year_source` in the manifest).
//!
//! Zones, per host, first found wins:
//! 1. `--tz HOST=ZONE`;
//! 2. the host's own setting in the evidence tree: `HOST/etc/localtime` (a symlink names its
//!    zone; a copied TZif file is read and matched to the IANA zone with the same rules) and
//!    `HOST/etc/timezone` (Debian's name of the zone);
//! 3. `--tz ZONE`;
//! 4. UTC.
//!
//! Years: a year-less line takes its year from its file's mtime (or the next newer file of its
//! rotation set). Copies that did not keep mtimes move such lines by whole years, so the result
//! is checked against the lines of the same host (else the case) that carry their year: when
//! shifting by whole years makes them agree much better, the shift is applied (`cross_source`);
//! when nothing can check an mtime that cannot be trusted, the input is flagged
//! `year_uncertain`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::parse::time::{self, Zone};

/// One `--tz` value: a zone for every host, or `HOST=ZONE` for one host.
#[derive(Debug, Clone, PartialEq)]
pub enum TzArg {
    All(Zone),
    Host(String, Zone),
}

impl TzArg {
    /// `ZONE` or `HOST=ZONE` (ZONE: `UTC`, `+HH:MM`, or an IANA name such as `Europe/Berlin`).
    pub fn parse(s: &str) -> Result<TzArg, String> {
        match s.split_once('=') {
            Some((host, zone)) if !host.is_empty() => Ok(TzArg::Host(host.to_string(), Zone::parse(zone)?)),
            Some(_) => Err(format!("{s:?}: HOST=ZONE needs a host name before '='")),
            None => Zone::parse(s).map(TzArg::All),
        }
    }
}

/// What decided a host's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TzSource {
    /// `--tz HOST=ZONE`.
    HostOption,
    /// `HOST/etc/localtime` in the evidence tree.
    EtcLocaltime,
    /// `HOST/etc/timezone` in the evidence tree.
    EtcTimezone,
    /// `--tz ZONE`.
    Option,
    /// Nothing said: UTC.
    Default,
}

impl TzSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TzSource::HostOption => "option_host",
            TzSource::EtcLocaltime => "etc_localtime",
            TzSource::EtcTimezone => "etc_timezone",
            TzSource::Option => "option",
            TzSource::Default => "default",
        }
    }
}

/// A host's zone and why.
#[derive(Debug, Clone)]
pub struct ZoneChoice {
    pub zone: Zone,
    pub source: TzSource,
    /// What the evidence said, or what was wrong with it (shown in the summary and manifest).
    pub note: Option<String>,
}

/// Decides zones per host, reading each host's `etc/` once.
pub struct ZoneResolver<'a> {
    args: &'a [TzArg],
    by_root: HashMap<PathBuf, Option<ZoneChoice>>,
}

impl<'a> ZoneResolver<'a> {
    pub fn new(args: &'a [TzArg]) -> Self {
        ZoneResolver { args, by_root: HashMap::new() }
    }

    /// The zone of `host`'s zone-less lines; `root` is the host's folder in the evidence tree
    /// (the one holding its `var/log` and `etc`), when the layout shows one.
    pub fn choose(&mut self, host: &str, root: Option<&Path>) -> ZoneChoice {
        self.choose_in(host, root.map(|r| (r.to_path_buf(), ZoneFiles::Disk(r.to_path_buf()))))
    }

    /// [`Self::choose`] for a host whose `etc/` is at `key`: on disk, or inside an archive.
    pub fn choose_in(&mut self, host: &str, root: Option<(PathBuf, ZoneFiles)>) -> ZoneChoice {
        let host_arg = self.args.iter().rev().find_map(|a| match a {
            TzArg::Host(h, z) if h == host => Some(*z),
            _ => None,
        });
        if let Some(zone) = host_arg {
            return ZoneChoice { zone, source: TzSource::HostOption, note: None };
        }
        let from_tree =
            root.and_then(|(key, files)| self.by_root.entry(key).or_insert_with(|| files.setting()).clone());
        let all_arg = self.args.iter().rev().find_map(|a| match a {
            TzArg::All(z) => Some(*z),
            _ => None,
        });
        match (from_tree, all_arg) {
            (Some(c), _) if c.source != TzSource::Default => c,
            // The tree had a setting that could not be used: say so, then fall back.
            (bad, Some(zone)) => ZoneChoice { zone, source: TzSource::Option, note: bad.and_then(|c| c.note) },
            (bad, None) => ZoneChoice { zone: Zone::Utc, source: TzSource::Default, note: bad.and_then(|c| c.note) },
        }
    }
}

/// Files under a host's `etc/` that set its zone: read for the zone, never parsed as logs.
pub fn is_zone_setting(rel: &str) -> bool {
    rel == "etc/timezone" || rel == "etc/localtime" || rel.ends_with("/etc/timezone") || rel.ends_with("/etc/localtime")
}

/// Where a host's `etc/timezone` and `etc/localtime` are read from.
#[derive(Debug, Clone)]
pub enum ZoneFiles {
    /// The host's folder on disk.
    Disk(PathBuf),
    /// Read from an archive: `etc/timezone`'s bytes, and `etc/localtime` as a link target or bytes.
    Archive { timezone: Option<Vec<u8>>, localtime: Option<Localtime> },
}

/// An archive's `etc/localtime` member.
#[derive(Debug, Clone)]
pub enum Localtime {
    Link(String),
    File(Vec<u8>),
}

impl ZoneFiles {
    fn setting(&self) -> Option<ZoneChoice> {
        match self {
            ZoneFiles::Disk(root) => host_setting(root),
            ZoneFiles::Archive { timezone, localtime } => setting_of(
                timezone.as_deref().map(zone_named),
                localtime.as_ref().map(|l| match l {
                    Localtime::Link(t) => zone_of_link(t, || None),
                    Localtime::File(b) => zone_from_tzif(b),
                }),
            ),
        }
    }
}

/// The zone a host's own `etc/` sets, `None` when it has neither file. A choice with
/// [`TzSource::Default`] carries only a note: the files were there but unusable.
fn host_setting(root: &Path) -> Option<ZoneChoice> {
    let etc = root.join("etc");
    setting_of(read_etc_timezone(&etc.join("timezone")), read_etc_localtime(&etc.join("localtime")))
}

/// The zone set by `etc/timezone` (`named`) and `etc/localtime` (`local`), as read.
fn setting_of(
    named: Option<Result<Zone, String>>,
    local: Option<Result<(Zone, String), String>>,
) -> Option<ZoneChoice> {
    let unusable = |why: String| Some(ZoneChoice { zone: Zone::Utc, source: TzSource::Default, note: Some(why) });
    match (named, local) {
        (None, None) => None,
        (Some(Ok(n)), None) => Some(ZoneChoice { zone: n, source: TzSource::EtcTimezone, note: None }),
        (None, Some(Ok((l, how)))) => Some(ZoneChoice { zone: l, source: TzSource::EtcLocaltime, note: Some(how) }),
        (Some(Err(e)), Some(Ok((l, how)))) => Some(ZoneChoice {
            zone: l,
            source: TzSource::EtcLocaltime,
            note: Some(format!("{how}; etc/timezone: {e}")),
        }),
        (Some(Ok(n)), Some(Ok((l, how)))) => {
            if same_rules(n, l) {
                Some(ZoneChoice { zone: n, source: TzSource::EtcTimezone, note: None })
            } else {
                // glibc, and so syslog, uses etc/localtime; etc/timezone is only Debian's record.
                let why = format!(
                    "etc/timezone says {} but etc/localtime {how}; etc/localtime is what programs used",
                    n.name()
                );
                Some(ZoneChoice { zone: l, source: TzSource::EtcLocaltime, note: Some(why) })
            }
        }
        (Some(Ok(n)), Some(Err(e))) => {
            Some(ZoneChoice { zone: n, source: TzSource::EtcTimezone, note: Some(format!("etc/localtime: {e}")) })
        }
        (Some(Err(a)), None) => unusable(format!("etc/timezone: {a}")),
        (None, Some(Err(b))) => unusable(format!("etc/localtime: {b}")),
        (Some(Err(a)), Some(Err(b))) => unusable(format!("etc/timezone: {a}; etc/localtime: {b}")),
    }
}

/// `etc/timezone`: one zone name (Debian).
fn read_etc_timezone(path: &Path) -> Option<Result<Zone, String>> {
    Some(zone_named(&std::fs::read(path).ok()?))
}

/// The zone `etc/timezone`'s text names.
fn zone_named(text: &[u8]) -> Result<Zone, String> {
    let text = String::from_utf8_lossy(text);
    let name = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).unwrap_or("");
    Zone::parse(name).map_err(|e| format!("{name:?} is not a zone ({e})"))
}

/// The zone a link `etc/localtime -> target` names; else the zone of `bytes`, what it points at
/// when that is in the evidence.
fn zone_of_link(t: &str, bytes: impl FnOnce() -> Option<Vec<u8>>) -> Result<(Zone, String), String> {
    if let Some((_, name)) = t.rsplit_once("zoneinfo/") {
        let name = name.trim_start_matches("posix/").trim_start_matches("right/");
        if let Ok(z) = Zone::parse(name) {
            return Ok((z, format!("is a link to {t}")));
        }
    }
    match bytes() {
        Some(b) => zone_from_tzif(&b).map(|(z, how)| (z, format!("links to {t} and {how}"))),
        None => Err(format!("a link to {t}, which names no zone and is not in the evidence")),
    }
}

/// `etc/localtime`: a symlink into a zoneinfo folder names the zone; a regular file is a TZif
/// file, matched by its rules. Returns the zone and how it was recognised.
fn read_etc_localtime(path: &Path) -> Option<Result<(Zone, String), String>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path).ok()?;
        // A link that does not name a zone: read what it points at, if it is in the tree.
        return Some(zone_of_link(&target.to_string_lossy(), || std::fs::read(path).ok()));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return Some(Err(format!("unreadable: {e}"))),
    };
    Some(zone_from_tzif(&bytes))
}

/// UTC instants at which two zones' offsets are compared: weekly from 1900 to 2037, so zones
/// that agree today but not in their history (America/New_York and America/Detroit) are told
/// apart when the file carries that history.
fn sample_instants() -> impl Iterator<Item = i64> {
    let start = time::days_from_civil(1900, 1, 1) * 86_400;
    let end = time::days_from_civil(2037, 12, 31) * 86_400;
    (start..end).step_by(7 * 86_400 + 3_600)
}

fn same_rules(a: Zone, b: Zone) -> bool {
    sample_instants().all(|t| a.offset_secs_at(t) == b.offset_secs_at(t))
}

/// Zone areas, most specific first: a TZif file matches every alias of its zone, and the
/// name shown should be the canonical `Area/City` one.
const AREAS: &[&str] =
    &["Europe/", "America/", "Asia/", "Africa/", "Australia/", "Pacific/", "Atlantic/", "Indian/", "Antarctica/"];

/// Reads a TZif file (RFC 8536) and finds the IANA zone with the same offsets at every sample
/// instant. Returns the zone and a sentence saying how it was matched.
pub fn zone_from_tzif(bytes: &[u8]) -> Result<(Zone, String), String> {
    let tz = tz::TimeZone::from_tz_data(bytes).map_err(|e| format!("not a readable TZif file ({e})"))?;
    let want: Vec<(i64, i64)> = sample_instants()
        .map(|t| tz.find_local_time_type(t).map(|l| (t, i64::from(l.ut_offset()))))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("TZif file without an offset for some instant ({e})"))?;
    let matches = |z: &chrono_tz::Tz| want.iter().all(|&(t, off)| Zone::Named(*z).offset_secs_at(t) == off);
    let rank = |z: &chrono_tz::Tz| AREAS.iter().position(|a| z.name().starts_with(a)).unwrap_or(AREAS.len());
    let mut all: Vec<&chrono_tz::Tz> = chrono_tz::TZ_VARIANTS.iter().filter(|z| matches(z)).collect();
    all.sort_by_key(|z| (rank(z), z.name()));
    if let Some(z) = all.first() {
        let others = match all.len() - 1 {
            0 => String::new(),
            n => format!(" (and of {n} other zone name(s) with the same rules)"),
        };
        return Ok((Zone::Named(**z), format!("is a TZif file with the rules of {}{others}", z.name())));
    }
    let first = want.first().map_or(0, |w| w.1);
    if want.iter().all(|w| w.1 == first) {
        let zone = if first == 0 { Zone::Utc } else { Zone::Fixed((first / 60) as i32) };
        return Ok((zone, format!("is a TZif file with a fixed offset of {}", zone.name())));
    }
    Err("a TZif file whose rules match no IANA zone known to this build".into())
}

/// The folder of a host in the evidence tree: where its `var/log` is, else the host folder
/// under the ingest root.
pub fn host_root(abs: &Path, rel: &str, source: super::discover::HostSource) -> Option<PathBuf> {
    use super::discover::HostSource;
    match source {
        HostSource::Layout => super::discover::layout_root(abs).flatten().map(|(root, _)| root),
        HostSource::HostFolder => abs.ancestors().nth(rel.split('/').count() - 1).map(Path::to_path_buf),
        HostSource::Option | HostSource::InputName | HostSource::Archive => None,
    }
}

/// Seconds in an average Gregorian year, for comparing samples years apart.
const YEAR_SECS: i64 = 31_556_952;
/// A shift by whole years is applied only when it brings a file's lines this much closer (on
/// average) to the explicit-year lines: half a year, so normal gaps between sources (a web log
/// that starts later than the auth log) never move anything.
const SHIFT_GAIN_SECS: i64 = YEAR_SECS / 2;
/// Mtimes of this many files or more, all within [`COPY_SPREAD_SECS`], were set by one copy.
const COPY_MIN_FILES: usize = 3;
const COPY_SPREAD_SECS: i64 = 5;
/// An mtime more than this after the file's last line was not set by writing it (logrotate's
/// delayed compression leaves about a week).
pub const MTIME_AFTER_LAST_SECS: i64 = 35 * 86_400;

/// What the year check knows of one file: its host, its sampled timestamps, and whether
/// their year came from the file's mtime or rotation set (year-less lines).
#[derive(Debug, Clone, Default)]
pub struct YearSample {
    pub host: String,
    /// UTC micros of sampled lines that carry their year.
    pub explicit: Vec<i64>,
    /// UTC micros of sampled year-less lines (years from mtime or rotation).
    pub yearless: Vec<i64>,
    /// The year rule can move (mtime or rotation anchor, not `--year`).
    pub movable: bool,
}

/// The year check's verdict for one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct YearVerdict {
    /// Whole years to add to the file's anchor (0: keep).
    pub shift_years: i64,
    /// Whether the year is unchecked and rests on an mtime that cannot be trusted.
    pub uncertain: bool,
    /// The sampled lines all carry their year (the file's `year_source` is `line`).
    pub lines_have_years: bool,
    /// Lines with years on the host (or in the case) agree with the year as it is.
    pub confirmed: bool,
    pub note: Option<String>,
}

fn span(v: &[i64]) -> Option<(i64, i64)> {
    Some((*v.iter().min()?, *v.iter().max()?))
}

/// Distance in seconds between two intervals (0 when they overlap).
fn gap((a0, a1): (i64, i64), (b0, b1): (i64, i64)) -> i64 {
    (b0 - a1).max(a0 - b1).max(0) / time::MICROS
}

/// Whether these mtimes look set by one copy rather than by the programs that wrote the files.
pub fn mtimes_look_copied(mtimes: &[i64]) -> bool {
    match (mtimes.iter().min(), mtimes.iter().max()) {
        (Some(lo), Some(hi)) => mtimes.len() >= COPY_MIN_FILES && hi - lo <= COPY_SPREAD_SECS,
        _ => false,
    }
}

/// Checks the year-less files' years against the explicit-year lines of their host (else of
/// the whole case), one shift per host. `copied`: the mtimes look set by a copy.
pub fn check_years(files: &[YearSample], copied: bool) -> Vec<YearVerdict> {
    let case_explicit: Vec<i64> = files.iter().flat_map(|f| f.explicit.iter().copied()).collect();
    let mut hosts: Vec<&str> =
        files.iter().filter(|f| f.movable && !f.yearless.is_empty()).map(|f| f.host.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    let mut out: Vec<YearVerdict> = files
        .iter()
        .map(|f| YearVerdict {
            lines_have_years: f.yearless.is_empty() && !f.explicit.is_empty(),
            ..Default::default()
        })
        .collect();
    for host in hosts {
        let members: Vec<usize> = (0..files.len())
            .filter(|&i| files[i].host == host && files[i].movable && !files[i].yearless.is_empty())
            .collect();
        let host_explicit: Vec<i64> =
            files.iter().filter(|f| f.host == host).flat_map(|f| f.explicit.iter().copied()).collect();
        let (basis, against) = if !host_explicit.is_empty() {
            (format!("the lines with years on host {host}"), span(&host_explicit))
        } else {
            ("the lines with years elsewhere in the case".to_string(), span(&case_explicit))
        };
        let Some(against) = against else {
            for &i in &members {
                if copied {
                    out[i].uncertain = true;
                    out[i].note =
                        Some("the evidence's mtimes look set by a copy and no line with a year can check them".into());
                }
            }
            continue;
        };
        let cost = |k: i64| -> i64 {
            members
                .iter()
                .filter_map(|&i| span(&files[i].yearless))
                .map(|(a, b)| gap((a + k * YEAR_SECS * time::MICROS, b + k * YEAR_SECS * time::MICROS), against))
                .sum()
        };
        let n = members.len() as i64;
        let (best_k, best) = (-10..=10i64).map(|k| (k, cost(k))).min_by_key(|&(k, c)| (c, k.abs())).unwrap_or((0, 0));
        let keep = cost(0);
        if best_k != 0 && keep - best >= SHIFT_GAIN_SECS * n {
            for &i in &members {
                out[i].shift_years = best_k;
                out[i].note = Some(format!(
                    "year moved by {best_k:+} to agree with {basis} (mtime-based years were {} days away, now {})",
                    keep / n / 86_400,
                    best / n / 86_400
                ));
            }
        } else if keep <= SHIFT_GAIN_SECS * n {
            for &i in &members {
                out[i].confirmed = true;
                out[i].note = Some(format!("year agrees with {basis}"));
            }
        } else {
            for &i in &members {
                out[i].uncertain = true;
                out[i].note = Some(format!(
                    "year-less lines are {} days from {basis} and no whole-year shift fixes it",
                    keep / n / 86_400
                ));
            }
        }
    }
    out
}

/// Moves an anchor's local time by whole years (same month, day and clock; Feb 29 → Feb 28).
pub fn shift_anchor(local_secs: i64, years: i64) -> i64 {
    let days = local_secs.div_euclid(86_400);
    let clock = local_secs.rem_euclid(86_400);
    let (y, m, d) = time::civil_from_days(days);
    let y2 = y + years;
    let d2 = d.min(time::days_in_month(y2, m));
    time::days_from_civil(y2, m, d2) * 86_400 + clock
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i64, m: u32, d: u32) -> i64 {
        time::days_from_civil(y, m, d) * 86_400 * time::MICROS
    }

    #[test]
    fn tz_args() {
        assert_eq!(TzArg::parse("UTC").unwrap(), TzArg::All(Zone::Utc));
        assert!(matches!(TzArg::parse("web01=Europe/Berlin").unwrap(), TzArg::Host(h, Zone::Named(_)) if h == "web01"));
        assert!(TzArg::parse("=UTC").is_err());
        assert!(TzArg::parse("web01=Mars/Base").is_err());
    }

    #[test]
    fn a_copy_that_moved_a_year_is_moved_back() {
        let files = vec![
            // access.log, years on every line: Dec 2025 - Jan 2026.
            YearSample { host: "h".into(), explicit: vec![at(2025, 12, 1), at(2025, 12, 20)], ..Default::default() },
            // auth.log, mtime June 2027: its January lines resolved to 2027.
            YearSample {
                host: "h".into(),
                yearless: vec![at(2027, 1, 3), at(2027, 1, 9)],
                movable: true,
                ..Default::default()
            },
        ];
        let v = check_years(&files, true);
        assert_eq!(v[1].shift_years, -1);
        assert!(!v[1].uncertain);
        assert!(v[1].note.as_deref().unwrap().contains("host h"));
        assert_eq!(v[0], YearVerdict { lines_have_years: true, ..Default::default() });
    }

    #[test]
    fn agreeing_sources_and_unchecked_copies() {
        let agree = vec![
            YearSample { host: "h".into(), explicit: vec![at(2026, 1, 10)], ..Default::default() },
            YearSample { host: "h".into(), yearless: vec![at(2026, 1, 2)], movable: true, ..Default::default() },
        ];
        let v = check_years(&agree, true);
        assert_eq!(v[1].shift_years, 0);
        assert!(!v[1].uncertain && v[1].note.as_deref().unwrap().contains("agrees"));
        let alone =
            vec![YearSample { host: "h".into(), yearless: vec![at(2026, 1, 2)], movable: true, ..Default::default() }];
        assert!(check_years(&alone, true)[0].uncertain);
        assert!(!check_years(&alone, false)[0].uncertain);
        // Another host's explicit lines decide when the host has none.
        let other = vec![
            YearSample { host: "web".into(), explicit: vec![at(2025, 12, 28)], ..Default::default() },
            YearSample { host: "db".into(), yearless: vec![at(2027, 1, 2)], movable: true, ..Default::default() },
        ];
        let v = check_years(&other, true);
        assert_eq!(v[1].shift_years, -1);
        assert!(v[1].note.as_deref().unwrap().contains("elsewhere in the case"));
    }

    #[test]
    fn copied_mtimes() {
        assert!(mtimes_look_copied(&[100, 101, 103]));
        assert!(!mtimes_look_copied(&[100, 101]));
        assert!(!mtimes_look_copied(&[100, 5000, 101]));
    }

    #[test]
    fn anchors_move_by_calendar_years() {
        let s = time::days_from_civil(2028, 2, 29) * 86_400 + 3600;
        assert_eq!(shift_anchor(s, -1), time::days_from_civil(2027, 2, 28) * 86_400 + 3600);
        let s = time::days_from_civil(2027, 6, 1) * 86_400;
        assert_eq!(shift_anchor(s, -1), time::days_from_civil(2026, 6, 1) * 86_400);
    }

    #[test]
    fn zone_settings_of_a_host() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("web01/etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(etc.join("timezone"), "Europe/Berlin\n").unwrap();
        let args = [TzArg::All(Zone::parse("+05:00").unwrap())];
        let mut r = ZoneResolver::new(&args);
        let c = r.choose("web01", Some(&dir.path().join("web01")));
        assert_eq!((c.zone.name(), c.source), ("Europe/Berlin".to_string(), TzSource::EtcTimezone));
        let c = r.choose("db01", None);
        assert_eq!((c.zone.name(), c.source), ("+05:00".to_string(), TzSource::Option));
        let host_args = [TzArg::Host("web01".into(), Zone::Utc)];
        let c = ZoneResolver::new(&host_args).choose("web01", Some(&dir.path().join("web01")));
        assert_eq!(c.source, TzSource::HostOption);
        std::fs::write(etc.join("timezone"), "Not/AZone\n").unwrap();
        let c = ZoneResolver::new(&[]).choose("web01", Some(&dir.path().join("web01")));
        assert_eq!(c.source, TzSource::Default);
        assert!(c.note.unwrap().contains("Not/AZone"));
    }

    #[test]
    fn localtime_links_name_their_zone() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("h/etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::os::unix::fs::symlink("/usr/share/zoneinfo/America/New_York", etc.join("localtime")).unwrap();
        let c = ZoneResolver::new(&[]).choose("h", Some(&dir.path().join("h")));
        assert_eq!((c.zone.name(), c.source), ("America/New_York".to_string(), TzSource::EtcLocaltime));
    }

    /// A TZif file as tzdata ships it (tests/data/zoneinfo, public domain), copied without its
    /// name: recognised by its rules.
    #[test]
    fn tzif_files_are_matched_by_their_rules() {
        let (zone, how) = zone_from_tzif(include_bytes!("../../tests/data/zoneinfo/America/New_York")).unwrap();
        assert_eq!(zone.name(), "America/New_York", "{how}");
        let (zone, _) = zone_from_tzif(include_bytes!("../../tests/data/zoneinfo/Europe/Berlin")).unwrap();
        assert_eq!(zone.name(), "Europe/Berlin");
        assert!(zone_from_tzif(b"Europe/Berlin\n").is_err());
    }
}
