//! logrotate naming: `name`, `name.1`, `name.2.gz`, `name-20261205`, `name-20261205.gz`
//! (and `.bz2`, `.xz`, `.zst`). Groups files of one directory into sets and orders each set
//! newest first, which is what the year inference needs.

use std::collections::BTreeMap;

/// Where a file stands in its rotation set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Generation {
    /// The live file (`auth.log`).
    Current,
    /// `auth.log.N[.gz]`.
    Numbered(u32),
    /// `secure-YYYYMMDD[.gz]` (key is the date digits, larger is newer).
    Dated(u64),
}

/// Parsed rotation name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationName {
    /// `dir/base`, the set id written to the manifest.
    pub set: String,
    pub generation: Generation,
}

const COMPRESSED_EXT: &[&str] = &[".gz", ".bz2", ".xz", ".zst", ".zstd"];

/// Parses a relative path (`/`-separated) into its rotation set and generation.
pub fn parse(rel: &str) -> RotationName {
    let (dir, name) = match rel.rfind('/') {
        Some(i) => (&rel[..=i], &rel[i + 1..]),
        None => ("", rel),
    };
    let mut stem = name;
    for ext in COMPRESSED_EXT {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
            break;
        }
    }
    if let Some((base, n)) = stem.rsplit_once('.') {
        if !base.is_empty() && !n.is_empty() && n.len() <= 4 && n.bytes().all(|c| c.is_ascii_digit()) {
            return RotationName {
                set: format!("{dir}{base}"),
                generation: Generation::Numbered(n.parse().unwrap_or(0)),
            };
        }
    }
    if let Some((base, date)) = stem.rsplit_once('-') {
        let digits = date.len();
        if !base.is_empty() && (digits == 8 || digits == 10) && date.bytes().all(|c| c.is_ascii_digit()) {
            return RotationName {
                set: format!("{dir}{base}"),
                generation: Generation::Dated(date.parse().unwrap_or(0)),
            };
        }
    }
    RotationName { set: format!("{dir}{stem}"), generation: Generation::Current }
}

/// Sort key, newest first: current, then .1, .2, …, then dated newest first.
fn newest_first_key(g: &Generation) -> (u8, i64) {
    match g {
        Generation::Current => (0, 0),
        Generation::Numbered(n) => (1, *n as i64),
        Generation::Dated(d) => (2, -(*d as i64)),
    }
}

/// The manifest's `rotation_index`: 0 for the live file, N for `.N`, and for dated files their
/// place newest-first after the live file (1, 2, …).
pub fn rotation_index(g: &Generation, dated_rank: usize) -> u32 {
    match g {
        Generation::Current => 0,
        Generation::Numbered(n) => *n,
        Generation::Dated(_) => dated_rank as u32 + 1,
    }
}

/// Groups items (by index into `names`) into sets ordered newest first.
pub fn sets(names: &[RotationName]) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        out.entry(n.set.clone()).or_default().push(i);
    }
    for members in out.values_mut() {
        members.sort_by_key(|&i| newest_first_key(&names[i].generation));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse("web01/var/log/auth.log").generation, Generation::Current);
        let r = parse("web01/var/log/auth.log.2.gz");
        assert_eq!((r.set.as_str(), r.generation), ("web01/var/log/auth.log", Generation::Numbered(2)));
        let r = parse("db/var/log/secure-20261205");
        assert_eq!((r.set.as_str(), r.generation), ("db/var/log/secure", Generation::Dated(20261205)));
        let r = parse("db/var/log/secure-20261128.gz");
        assert_eq!(r.set, "db/var/log/secure");
        assert_eq!(parse("x/app.json").set, "x/app.json");
        assert_eq!(parse("x/syslog.1").set, "x/syslog");
        assert_eq!(parse("kern.log.zst").generation, Generation::Current);
    }

    #[test]
    fn ordering_newest_first() {
        let names: Vec<_> = [
            "a/auth.log.2.gz",
            "a/auth.log",
            "a/auth.log.10.gz",
            "a/auth.log.1",
            "b/secure-20261128.gz",
            "b/secure",
            "b/secure-20261205",
        ]
        .iter()
        .map(|s| parse(s))
        .collect();
        let s = sets(&names);
        assert_eq!(s["a/auth.log"], vec![1, 3, 0, 2]);
        assert_eq!(s["b/secure"], vec![5, 6, 4]);
    }
}
