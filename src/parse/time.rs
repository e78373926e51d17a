//! Timestamp scanning shared by the parsers: byte-level readers for the shapes real logs
//! write (`Dec  5 10:00:01`, ISO 8601 / RFC 3339, Apache `[10/Oct/2026:13:55:36 -0700]`,
//! epoch numbers), civil-date arithmetic, zone handling, and the year rule for year-less
//! syslog lines. No allocation and no regex: these run once per line.

use chrono::{NaiveDateTime, Offset, TimeZone};

pub const MICROS: i64 = 1_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month, day).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

/// Month number from an English three-letter abbreviation (any case).
pub fn month_abbr(b: &[u8]) -> Option<u32> {
    if b.len() < 3 {
        return None;
    }
    let k = [b[0] | 0x20, b[1] | 0x20, b[2] | 0x20];
    Some(match &k {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

#[inline]
fn digit(b: u8) -> Option<u32> {
    b.is_ascii_digit().then(|| (b - b'0') as u32)
}

/// Reads exactly `n` ASCII digits at `b[at..]`.
#[inline]
pub fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        v = v * 10 + digit(c)?;
    }
    Some(v)
}

/// Clock time of day with sub-second micros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub h: u32,
    pub m: u32,
    pub s: u32,
    pub micros: u32,
}

impl Clock {
    pub fn secs(&self) -> i64 {
        (self.h * 3600 + self.m * 60 + self.s) as i64
    }
}

/// Parses `HH:MM:SS` with an optional `.fraction` (or `,fraction`); returns the clock and
/// the number of bytes used.
pub fn parse_clock(b: &[u8]) -> Option<(Clock, usize)> {
    let h = digits(b, 0, 2)?;
    if b.get(2) != Some(&b':') {
        return None;
    }
    let m = digits(b, 3, 2)?;
    if b.get(5) != Some(&b':') {
        return None;
    }
    let s = digits(b, 6, 2)?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut used = 8;
    let mut micros = 0u32;
    if matches!(b.get(8), Some(b'.') | Some(b',')) && b.get(9).is_some_and(|c| c.is_ascii_digit()) {
        used = 9;
        let mut scale = 100_000u32;
        while let Some(d) = b.get(used).and_then(|&c| digit(c)) {
            micros += d * scale;
            scale /= 10;
            used += 1;
        }
    }
    Some((Clock { h, m, s: s.min(59), micros }, used))
}

/// Parses a numeric zone: `Z`, `+HH:MM`, `+HHMM`, `+HH`. Returns (offset minutes, bytes used).
pub fn parse_offset(b: &[u8]) -> Option<(i32, usize)> {
    match b.first()? {
        b'Z' | b'z' => Some((0, 1)),
        c @ (b'+' | b'-') => {
            let sign = if *c == b'-' { -1 } else { 1 };
            let hh = digits(b, 1, 2)? as i32;
            let (mm, used) = if b.get(3) == Some(&b':') {
                (digits(b, 4, 2)? as i32, 6)
            } else if let Some(mm) = digits(b, 3, 2) {
                (mm as i32, 5)
            } else {
                (0, 3)
            };
            if hh > 18 || mm > 59 {
                return None;
            }
            Some((sign * (hh * 60 + mm), used))
        }
        _ => None,
    }
}

/// A parsed ISO 8601 / RFC 3339 timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoTime {
    /// Local wall-clock seconds since the epoch (as if UTC), plus micros.
    pub local_micros: i64,
    /// Offset in minutes, when the text carried one.
    pub offset: Option<i32>,
    pub used: usize,
}

impl IsoTime {
    /// UTC micros, applying the offset or, when absent, the given zone.
    pub fn utc_micros(&self, zone: &Zone) -> i64 {
        match self.offset {
            Some(off) => self.local_micros - off as i64 * 60 * MICROS,
            None => zone.local_to_utc_micros(self.local_micros),
        }
    }
}

/// Parses `YYYY-MM-DD[T ]HH:MM:SS[.frac][zone]`.
pub fn parse_iso(b: &[u8]) -> Option<IsoTime> {
    let y = digits(b, 0, 4)? as i64;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let mo = digits(b, 5, 2)?;
    let d = digits(b, 8, 2)?;
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    if !matches!(b.get(10), Some(b'T') | Some(b't') | Some(b' ')) {
        return None;
    }
    let (clock, used) = parse_clock(&b[11..])?;
    let mut used = 11 + used;
    let offset = match parse_offset(&b[used..]) {
        Some((off, n)) => {
            used += n;
            Some(off)
        }
        None => None,
    };
    let local_micros = (days_from_civil(y, mo, d) * 86_400 + clock.secs()) * MICROS + clock.micros as i64;
    Some(IsoTime { local_micros, offset, used })
}

/// Days since 1970-01-01 of a real calendar date (`None` for month 13, Feb 30, …).
pub fn checked_days_from_civil(y: i64, m: u32, d: u32) -> Option<i64> {
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then(|| days_from_civil(y, m, d))
}

/// `YYYY/MM/DD HH:MM:SS[.frac]` (nginx's error log and many applications), with a space, `T`
/// or `-` between date and time: (local micros, bytes used).
pub fn parse_slashed(b: &[u8]) -> Option<(i64, usize)> {
    if b.get(4) != Some(&b'/') || b.get(7) != Some(&b'/') || !matches!(b.get(10), Some(b' ' | b'T' | b'-')) {
        return None;
    }
    let days = checked_days_from_civil(digits(b, 0, 4)? as i64, digits(b, 5, 2)?, digits(b, 8, 2)?)?;
    let (clock, used) = parse_clock(&b[11..])?;
    Some(((days * 86_400 + clock.secs()) * MICROS + clock.micros as i64, 11 + used))
}

/// Interprets an epoch number by magnitude: seconds, milliseconds, microseconds or nanoseconds.
pub fn epoch_to_micros(v: f64) -> Option<i64> {
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let micros = if v < 1e11 {
        v * 1e6
    } else if v < 1e14 {
        v * 1e3
    } else if v < 1e17 {
        v
    } else {
        v / 1e3
    };
    Some(micros as i64)
}

/// The zone assumed for lines that carry none (`--tz`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    Utc,
    Fixed(i32),
    Named(chrono_tz::Tz),
}

impl Zone {
    /// Parses `UTC`, `+02:00`/`-0500`, or an IANA name such as `Europe/Berlin`.
    pub fn parse(s: &str) -> Result<Zone, String> {
        if s.eq_ignore_ascii_case("utc") || s == "Z" {
            return Ok(Zone::Utc);
        }
        if let Some((off, used)) = parse_offset(s.as_bytes()) {
            if used == s.len() {
                return Ok(Zone::Fixed(off));
            }
        }
        s.parse::<chrono_tz::Tz>()
            .map(Zone::Named)
            .map_err(|_| format!("unknown time zone {s:?} (use UTC, +HH:MM, or an IANA name like Europe/Berlin)"))
    }

    /// Converts local wall-clock micros to UTC micros. Ambiguous local times (DST fall-back)
    /// take the earlier instant; non-existent ones (spring-forward) use the offset before.
    pub fn local_to_utc_micros(&self, local: i64) -> i64 {
        self.local_to_utc(local).0
    }

    /// [`Zone::local_to_utc_micros`], also saying whether the local time was ambiguous (a
    /// fall-back hour: the earlier instant is taken) or did not exist (a spring-forward gap: the
    /// offset before is used).
    pub fn local_to_utc(&self, local: i64) -> (i64, LocalTime) {
        let tz = match self {
            Zone::Utc => return (local, LocalTime::Single),
            Zone::Fixed(off) => return (local - *off as i64 * 60 * MICROS, LocalTime::Single),
            Zone::Named(tz) => tz,
        };
        let secs = local.div_euclid(MICROS);
        let sub = local.rem_euclid(MICROS);
        let Some(naive) = chrono::DateTime::from_timestamp(secs, 0).map(|d| d.naive_utc()) else {
            return (local, LocalTime::Single);
        };
        let (off, kind) = match tz.offset_from_local_datetime(&naive) {
            chrono::LocalResult::Single(o) => (o.fix().local_minus_utc(), LocalTime::Single),
            // The earlier instant is the one with the larger offset.
            chrono::LocalResult::Ambiguous(a, b) => {
                (a.fix().local_minus_utc().max(b.fix().local_minus_utc()), LocalTime::Ambiguous)
            }
            chrono::LocalResult::None => {
                let before = naive - chrono::Duration::hours(3);
                (tz.offset_from_utc_datetime(&before).fix().local_minus_utc(), LocalTime::Gap)
            }
        };
        ((secs - off as i64) * MICROS + sub, kind)
    }

    /// The zone's name as `--tz` takes it: `UTC`, `+02:00`, `Europe/Berlin`.
    pub fn name(&self) -> String {
        match self {
            Zone::Utc => "UTC".into(),
            Zone::Fixed(off) => {
                let sign = if *off < 0 { '-' } else { '+' };
                format!("{sign}{:02}:{:02}", off.abs() / 60, off.abs() % 60)
            }
            Zone::Named(tz) => tz.name().into(),
        }
    }

    /// Offset in seconds at a UTC instant.
    pub fn offset_secs_at(&self, utc_secs: i64) -> i64 {
        match self {
            Zone::Utc => 0,
            Zone::Fixed(off) => *off as i64 * 60,
            Zone::Named(tz) => {
                let naive: NaiveDateTime =
                    chrono::DateTime::from_timestamp(utc_secs, 0).map(|d| d.naive_utc()).unwrap_or_default();
                tz.offset_from_utc_datetime(&naive).fix().local_minus_utc() as i64
            }
        }
    }
}

/// What converting a zone-less local time found (daylight-saving transitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTime {
    Single,
    /// The local time occurs twice (fall-back hour).
    Ambiguous,
    /// The local time does not exist (spring-forward gap).
    Gap,
}

/// How a year-less (RFC 3164) timestamp gets its year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum YearRule {
    /// `--year`: every year-less line of the file is in this year.
    Fixed(i64),
    /// The newest local time the file can contain (its mtime, or the first line of the next
    /// newer file of its rotation set); each line takes the latest year that keeps it no later
    /// than this anchor plus a slack for clock and zone skew. That handles December→January
    /// inside a file with no state, so chunks of one file parse in parallel.
    Anchor { local_secs: i64, source: YearSource },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearSource {
    Line,
    Mtime,
    Rotation,
    Override,
    /// The mtime's year moved by whole years to agree with the same host's (or case's) lines
    /// that carry their year.
    CrossSource,
}

impl YearSource {
    pub fn as_str(self) -> &'static str {
        match self {
            YearSource::Line => "line",
            YearSource::Mtime => "mtime",
            YearSource::Rotation => "rotation",
            YearSource::Override => "override",
            YearSource::CrossSource => "cross_source",
        }
    }
}

/// Slack allowed past the anchor: covers clock skew and an unknown local zone (±14 h).
pub const ANCHOR_SLACK_SECS: i64 = 14 * 3600;

impl YearRule {
    /// Local wall-clock seconds of a year-less month/day/time, or `None` when no year makes
    /// it a real date (Feb 29 outside leap years near the anchor).
    pub fn resolve(&self, month: u32, day: u32, clock_secs: i64) -> Option<(i64, YearSource)> {
        let at = |y: i64| -> Option<i64> {
            (day <= days_in_month(y, month)).then(|| days_from_civil(y, month, day) * 86_400 + clock_secs)
        };
        match *self {
            YearRule::Fixed(y) => at(y).map(|s| (s, YearSource::Override)),
            YearRule::Anchor { local_secs, source } => {
                let (ay, _, _) = civil_from_days(local_secs.div_euclid(86_400));
                let limit = local_secs + ANCHOR_SLACK_SECS;
                for y in [ay + 1, ay, ay - 1, ay - 2, ay - 3, ay - 4] {
                    if let Some(s) = at(y) {
                        if s <= limit {
                            return Some((s, source));
                        }
                    }
                }
                None
            }
        }
    }
}

/// A parsed RFC 3164 timestamp `Mmm dd hh:mm:ss[.frac]` (optionally `Mmm dd yyyy hh:mm:ss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BsdTime {
    pub month: u32,
    pub day: u32,
    pub year: Option<i64>,
    pub clock: Clock,
    pub used: usize,
}

/// Parses `Mmm dd hh:mm:ss`, accepting a space-padded or zero-padded day (`Jan  1`, `Jan 01`)
/// and an optional year before the time (`Jan 1 2026 10:00:00`, as some appliances write).
pub fn parse_bsd(b: &[u8]) -> Option<BsdTime> {
    let month = month_abbr(b)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let mut i = 4;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let d1 = digit(*b.get(i)?)?;
    i += 1;
    let day = match b.get(i).and_then(|&c| digit(c)) {
        Some(d2) => {
            i += 1;
            d1 * 10 + d2
        }
        None => d1,
    };
    if b.get(i) != Some(&b' ') || day == 0 || day > 31 {
        return None;
    }
    i += 1;
    let mut year = None;
    if let (Some(y), Some(b' ')) = (digits(b, i, 4), b.get(i + 4)) {
        year = Some(y as i64);
        i += 5;
    }
    let (clock, used) = parse_clock(&b[i..])?;
    Some(BsdTime { month, day, year, clock, used: i + used })
}

/// Parses C's `ctime` layout, `Www Mmm dd hh:mm:ss[.frac] yyyy` (vsftpd's log, Apache's error
/// log): (local wall-clock microseconds, bytes used).
pub fn parse_ctime(b: &[u8]) -> Option<(i64, usize)> {
    if b.len() < 24 || b[3] != b' ' || !b[..3].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let t = parse_bsd(&b[4..])?;
    if t.year.is_some() {
        return None;
    }
    let at = 4 + t.used;
    if b.get(at) != Some(&b' ') {
        return None;
    }
    let year = digits(b, at + 1, 4)? as i64;
    if t.day > days_in_month(year, t.month) {
        return None;
    }
    let secs = days_from_civil(year, t.month, t.day) * 86_400 + t.clock.secs();
    Some((secs * MICROS + t.clock.micros as i64, at + 5))
}

/// Parses Apache's `10/Oct/2026:13:55:36 -0700` (inside the brackets).
pub fn parse_apache(b: &[u8]) -> Option<(i64, i32)> {
    let d = digits(b, 0, 2)?;
    if b.get(2) != Some(&b'/') || b.get(6) != Some(&b'/') || b.get(11) != Some(&b':') {
        return None;
    }
    let mo = month_abbr(&b[3..6])?;
    let y = digits(b, 7, 4)? as i64;
    if d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    let (clock, used) = parse_clock(&b[12..])?;
    let mut i = 12 + used;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let (off, _) = parse_offset(&b[i..])?;
    let local = (days_from_civil(y, mo, d) * 86_400 + clock.secs()) * MICROS + clock.micros as i64;
    Some((local - off as i64 * 60 * MICROS, off))
}

/// Formats UTC micros as RFC 3339 with a `Z` suffix (second precision unless micros are set).
pub fn format_rfc3339(micros: i64) -> String {
    let secs = micros.div_euclid(MICROS);
    let sub = micros.rem_euclid(MICROS);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    let base = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", t / 3600, t % 3600 / 60, t % 60);
    if sub == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{sub:06}Z")
    }
}

/// Parses RFC 3339 (or `YYYY-MM-DD`, taken as midnight UTC) to UTC micros.
pub fn parse_rfc3339_utc(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() == 10 {
        let y = digits(b, 0, 4)? as i64;
        let m = digits(b, 5, 2)?;
        let d = digits(b, 8, 2)?;
        if b[4] != b'-' || b[7] != b'-' || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        return Some(days_from_civil(y, m, d) * 86_400 * MICROS);
    }
    let t = parse_iso(b)?;
    (t.used == b.len()).then(|| t.utc_micros(&Zone::Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_roundtrip() {
        for z in [-800_000i64, -1, 0, 1, 19_000, 20_819, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn bsd_time_shapes() {
        let t = parse_bsd(b"Jan  1 00:00:01 host").unwrap();
        assert_eq!((t.month, t.day, t.clock.s, t.used), (1, 1, 1, 15));
        let t = parse_bsd(b"Dec 31 23:59:59.123456 host").unwrap();
        assert_eq!((t.month, t.day, t.clock.micros), (12, 31, 123_456));
        let t = parse_bsd(b"Mar 07 10:00:00 x").unwrap();
        assert_eq!(t.day, 7);
        let t = parse_bsd(b"Mar 7 2025 10:00:00 x").unwrap();
        assert_eq!(t.year, Some(2025));
        assert!(parse_bsd(b"Foo  1 00:00:01").is_none());
        assert!(parse_bsd(b"Jan 32 00:00:01").is_none());
        assert!(parse_bsd(b"Jan  1 25:00:01").is_none());
    }

    #[test]
    fn year_rule_rolls_over_december_to_january() {
        // File last written 2027-01-02 10:00 local.
        let anchor = days_from_civil(2027, 1, 2) * 86_400 + 36_000;
        let rule = YearRule::Anchor { local_secs: anchor, source: YearSource::Mtime };
        let (s, src) = rule.resolve(12, 30, 3600).unwrap();
        assert_eq!(civil_from_days(s / 86_400), (2026, 12, 30));
        assert_eq!(src, YearSource::Mtime);
        let (s, _) = rule.resolve(1, 2, 3600).unwrap();
        assert_eq!(civil_from_days(s / 86_400), (2027, 1, 2));
        // A line just after the anchor (skew) stays in the anchor's year.
        let (s, _) = rule.resolve(1, 2, 40_000).unwrap();
        assert_eq!(civil_from_days(s / 86_400).0, 2027);
        // Feb 29 picks the closest leap year not after the anchor.
        let (s, _) = rule.resolve(2, 29, 0).unwrap();
        assert_eq!(civil_from_days(s / 86_400).0, 2024);
        assert_eq!(YearRule::Fixed(2025).resolve(2, 29, 0), None);
    }

    #[test]
    fn iso_and_offsets() {
        let t = parse_iso(b"2026-12-20T10:00:01.123456+02:00 host").unwrap();
        assert_eq!(t.offset, Some(120));
        assert_eq!(t.used, 32);
        assert_eq!(format_rfc3339(t.utc_micros(&Zone::Utc)), "2026-12-20T08:00:01.123456Z");
        let t = parse_iso(b"2026-12-20 10:00:01").unwrap();
        assert_eq!(t.offset, None);
        assert_eq!(format_rfc3339(t.utc_micros(&Zone::Fixed(-300))), "2026-12-20T15:00:01Z");
        assert!(parse_iso(b"2026-02-30T10:00:01Z").is_none());
        assert_eq!(parse_offset(b"-0700"), Some((-420, 5)));
    }

    #[test]
    fn apache_time() {
        let (utc, off) = parse_apache(b"10/Oct/2000:13:55:36 -0700]").unwrap();
        assert_eq!(off, -420);
        assert_eq!(format_rfc3339(utc), "2000-10-10T20:55:36Z");
        assert!(parse_apache(b"10/Foo/2000:13:55:36 -0700").is_none());
    }

    #[test]
    fn named_zone_handles_dst() {
        let z = Zone::parse("Europe/Berlin").unwrap();
        let local = (days_from_civil(2026, 7, 1) * 86_400 + 12 * 3600) * MICROS;
        assert_eq!(format_rfc3339(z.local_to_utc_micros(local)), "2026-07-01T10:00:00Z");
        let local = (days_from_civil(2026, 12, 1) * 86_400 + 12 * 3600) * MICROS;
        assert_eq!(format_rfc3339(z.local_to_utc_micros(local)), "2026-12-01T11:00:00Z");
        assert!(Zone::parse("Mars/Olympus").is_err());
        assert_eq!(Zone::parse("+05:30").unwrap(), Zone::Fixed(330));
    }

    #[test]
    fn epoch_magnitudes() {
        assert_eq!(epoch_to_micros(1_700_000_000.5), Some(1_700_000_000_500_000));
        assert_eq!(epoch_to_micros(1_700_000_000_000.0), Some(1_700_000_000_000_000));
        assert_eq!(epoch_to_micros(1.7e18), Some(1_700_000_000_000_000));
    }
}
