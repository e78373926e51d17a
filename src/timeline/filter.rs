//! Timeline filters: time range (RFC 3339 or relative to the newest event, like `-7d`), host,
//! address (exact or CIDR), user, action, evidence of a rule's findings, and a window around a
//! moment, and text in the message or the raw line (`--grep`, `--grep-raw`). Durations are typed
//! values parsed once at the CLI edge.

use std::collections::HashSet;

use crate::parse::time::parse_rfc3339_utc;
pub use crate::query::cidr::Cidr;

/// A span of time, parsed from `30m`, `2h`, `7d`, `90s`, `1w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub i64);

impl Span {
    pub fn parse(s: &str) -> Result<Span, String> {
        let s = s.trim();
        let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
        let n: i64 = num.parse().map_err(|_| format!("{s:?} is not a duration like 30m, 2h, 7d"))?;
        let mult = match unit {
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return Err(format!("{s:?}: unit must be s, m, h, d or w")),
        };
        Ok(Span(n * mult * 1_000_000))
    }
}

/// A time as investigators type it, made RFC 3339: `2026-01-04 02:38`, `2026-01-04T02:38` and
/// `2026-01-04 02:38:09` (a space or `T`, seconds optional) are UTC unless a zone is given.
fn typed(s: &str) -> String {
    let s = s.trim();
    if s.len() < 16 || !s.is_char_boundary(10) || !matches!(s.as_bytes()[10], b' ' | b'T' | b't') {
        return s.to_string();
    }
    let (date, time) = (&s[..10], &s[11..]);
    let split = time.find(['Z', 'z', '+', '-']).unwrap_or(time.len());
    let (clock, zone) = time.split_at(split);
    let clock = if clock.len() == 5 { format!("{clock}:00") } else { clock.to_string() };
    let zone = if zone.is_empty() { "Z" } else { zone };
    format!("{date}T{clock}{zone}")
}

/// A moment: absolute (RFC 3339 / YYYY-MM-DD) or relative to the newest event (`-7d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    At(i64),
    BeforeNewest(i64),
}

impl Moment {
    pub fn parse(s: &str) -> Result<Moment, String> {
        if let Some(rel) = s.trim().strip_prefix('-') {
            return Span::parse(rel).map(|d| Moment::BeforeNewest(d.0));
        }
        parse_rfc3339_utc(&typed(s)).map(Moment::At).ok_or_else(|| {
            format!("{s:?} is not a time like 2026-12-20T10:00:00Z, 2026-12-20 10:00, a date, or relative like -7d")
        })
    }
    pub fn resolve(self, newest: i64) -> i64 {
        match self {
            Moment::At(t) => t,
            Moment::BeforeNewest(d) => newest - d,
        }
    }
}

/// Everything a timeline can be narrowed by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: Option<Moment>,
    pub to: Option<Moment>,
    pub host: Option<String>,
    pub ip: Option<Cidr>,
    pub user: Option<String>,
    pub action: Option<String>,
    /// (file, line) pairs that are evidence of the selected rule's findings.
    pub evidence: Option<HashSet<(String, i64)>>,
    pub around: Option<(Moment, Span)>,
    /// A case-insensitive regular expression the event's `message` must match (`--grep`).
    pub grep: Option<String>,
    /// The same over the raw line, `event_original` (`--grep-raw`).
    pub grep_raw: Option<String>,
}

/// A `--grep` pattern made case-insensitive, after checking it is a regular expression polars
/// can run (Rust `regex` syntax).
pub fn grep_pattern(p: &str) -> Result<String, String> {
    use polars::prelude::*;
    let pattern = format!("(?i){p}");
    let probe = df!("x" => [""]).map_err(|e| e.to_string())?;
    probe
        .lazy()
        .select([col("x").str().contains(lit(pattern.clone()), true)])
        .collect()
        .map(|_| pattern)
        .map_err(|e| format!("{p:?} is not a regular expression (Rust regex syntax): {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_moments_and_networks() {
        assert_eq!(Span::parse("30m"), Ok(Span(1_800_000_000)));
        assert_eq!(Span::parse("7d").unwrap().0, 7 * 86_400_000_000);
        assert!(Span::parse("7x").is_err());
        assert_eq!(Moment::parse("-1h"), Ok(Moment::BeforeNewest(3_600_000_000)));
        assert_eq!(Moment::parse("-1h").unwrap().resolve(10_000_000_000), 6_400_000_000);
        assert!(matches!(Moment::parse("2026-12-20T10:00:00Z"), Ok(Moment::At(_))));
        assert!(Moment::parse("yesterday").is_err());
        let t = |s: &str| Moment::parse(s).unwrap();
        assert_eq!(t("2026-01-04 02:38"), t("2026-01-04T02:38:00Z"));
        assert_eq!(t("2026-01-04T02:38"), t("2026-01-04T02:38:00Z"));
        assert_eq!(t("2026-01-04 02:38:09"), t("2026-01-04T02:38:09Z"));
        assert_eq!(t("2026-01-04 02:38+02:00"), t("2026-01-04T00:38:00Z"));
        assert!(Moment::parse("2026-01-04 2pm").is_err());
    }
}
