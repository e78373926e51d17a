//! The fallback for text logs no other format claims: a line that starts with a recognisable
//! timestamp becomes an event (`event_module = text`, `log.message`) with the time normalised,
//! the level word and component picked up where the shape is common, and the rest of the line
//! as `message`. A line without a timestamp stays a reject: the fallback never invents a time.
//!
//! Timestamps recognised at the start of a line (optionally inside `[...]`):
//!
//! ```text
//! 2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop...: msg      ISO 8601 / log4j (`,` or `.` fraction, `T` or space, zone optional)
//! 2017/07/04 10:00:00 [warn] msg                                      YYYY/MM/DD HH:MM:SS
//! 081109 203615 148 INFO dfs.DataNode$PacketResponder: msg            yyMMdd HHmmss (HDFS)
//! 1131566461 node-1 ...  /  1700000000123 msg                         epoch seconds or milliseconds
//! Jun 14 15:16:01 combo sshd(pam_unix)[19939]: ...                    Mon DD HH:MM:SS (year and zone as for syslog)
//! [10/Oct/2000:13:55:36 -0700] msg                                    Apache-style bracketed
//! ```
//!
//! Zone-less times follow the host's zone; year-less ones the file's year rule, as for syslog.

use std::borrow::Cow;

use super::time::{self, YearSource, MICROS};
use super::{Event, FileCtx, FormatSpec, LineParser, Module, Reject};
use crate::schema::{action, outcome};

pub struct TextSpec;

impl FormatSpec for TextSpec {
    fn id(&self) -> &'static str {
        "text"
    }
    fn describe(&self) -> &'static str {
        "fallback: any line starting with a timestamp (ISO 8601, log4j, YYYY/MM/DD, yyMMdd HHmmss, epoch, Mon DD, [DD/Mon/YYYY:…]); level and component picked up"
    }
    fn sniff(&self, line: &str) -> bool {
        leading_time(line.as_bytes()).is_some()
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        Ok(Box::new(TextParser { ctx: ctx.clone() }))
    }
}

pub struct TextParser {
    ctx: FileCtx,
}

/// A timestamp found at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stamp {
    /// Local wall-clock micros (as if UTC) and the offset in minutes when the text had one.
    Local { micros: i64, offset: Option<i32> },
    /// A year-less `Mon DD HH:MM:SS`.
    YearLess { month: u32, day: u32, secs: i64, micros: u32 },
    /// An instant (epoch numbers).
    Utc(i64),
}

/// The leading timestamp and the bytes it used (including a closing `]`).
fn leading_time(b: &[u8]) -> Option<(Stamp, usize)> {
    // BGL and Thunderbird put an alert tag (`-` when none) before their epoch.
    if let Some(rest) = b.strip_prefix(b"- ") {
        return leading_time(rest).map(|(s, used)| (s, used + 2));
    }
    let (open, b) = match b.first() {
        Some(b'[') => (1, &b[1..]),
        _ => (0, b),
    };
    let (stamp, used) = iso(b)
        .or_else(|| slashed(b))
        .or_else(|| hdfs(b))
        .or_else(|| apache(b))
        .or_else(|| bsd(b))
        .or_else(|| epoch(b))?;
    // The timestamp must end the token: a space, a bracket, a separator, or the line's end.
    let next = b.get(used).copied();
    if !matches!(next, None | Some(b' ' | b'\t' | b']' | b',' | b'|' | b';')) {
        return None;
    }
    let close = usize::from(open == 1 && next == Some(b']'));
    Some((stamp, open + used + close))
}

fn iso(b: &[u8]) -> Option<(Stamp, usize)> {
    let t = time::parse_iso(b)?;
    Some((Stamp::Local { micros: t.local_micros, offset: t.offset }, t.used))
}

fn slashed(b: &[u8]) -> Option<(Stamp, usize)> {
    time::parse_slashed(b).map(|(micros, used)| (Stamp::Local { micros, offset: None }, used))
}

/// HDFS's `yyMMdd HHmmss` (two-digit years are 2000-2099).
fn hdfs(b: &[u8]) -> Option<(Stamp, usize)> {
    if b.len() < 13 || b[6] != b' ' || !b[..6].iter().chain(&b[7..13]).all(u8::is_ascii_digit) {
        return None;
    }
    let (y, mo, d) = (2000 + time::digits(b, 0, 2)? as i64, time::digits(b, 2, 2)?, time::digits(b, 4, 2)?);
    let (h, mi, s) = (time::digits(b, 7, 2)?, time::digits(b, 9, 2)?, time::digits(b, 11, 2)?);
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let local = time::checked_days_from_civil(y, mo, d)? * 86_400 + i64::from(h * 3600 + mi * 60 + s);
    Some((Stamp::Local { micros: local * MICROS, offset: None }, 13))
}

/// `DD/Mon/YYYY:HH:MM:SS ±zzzz` (as in access logs).
fn apache(b: &[u8]) -> Option<(Stamp, usize)> {
    if b.get(2) != Some(&b'/') {
        return None;
    }
    let (utc, off) = time::parse_apache(b)?;
    let used = b.iter().position(|&c| c == b']').unwrap_or(b.len()).min(26);
    Some((Stamp::Local { micros: utc + i64::from(off) * 60 * MICROS, offset: Some(off) }, used))
}

/// `Mon DD HH:MM:SS` without a host requirement (and `Mon DD YYYY HH:MM:SS`).
fn bsd(b: &[u8]) -> Option<(Stamp, usize)> {
    let t = time::parse_bsd(b)?;
    let stamp = match t.year {
        Some(y) => Stamp::Local {
            micros: (time::checked_days_from_civil(y, t.month, t.day)? * 86_400 + t.clock.secs()) * MICROS
                + i64::from(t.clock.micros),
            offset: None,
        },
        None => Stamp::YearLess { month: t.month, day: t.day, secs: t.clock.secs(), micros: t.clock.micros },
    };
    Some((stamp, t.used))
}

/// Epoch seconds (10 digits) or milliseconds (13 digits), optionally with a fraction, between
/// 2001 and 2100: other numbers at the start of a line are not times.
fn epoch(b: &[u8]) -> Option<(Stamp, usize)> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut used = n;
    if b.get(n) == Some(&b'.') {
        used += 1 + b[n + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    let v: f64 = std::str::from_utf8(&b[..used]).ok()?.parse().ok()?;
    let micros = match n {
        10 => v * 1e6,
        13 => v * 1e3,
        _ => return None,
    } as i64;
    const FROM: i64 = 978_307_200 * MICROS; // 2001-01-01
    const TO: i64 = 4_102_444_800 * MICROS; // 2100-01-01
    (FROM..TO).contains(&micros).then_some((Stamp::Utc(micros), used))
}

/// Level words as applications write them (any case; `WARNING`, `ERR`, `CRIT`, … included).
const LEVELS: &[(&str, &str)] = &[
    ("TRACE", "trace"),
    ("DEBUG", "debug"),
    ("INFO", "info"),
    ("NOTICE", "notice"),
    ("WARN", "warning"),
    ("WARNING", "warning"),
    ("ERROR", "error"),
    ("ERR", "error"),
    ("SEVERE", "error"),
    ("FATAL", "critical"),
    ("CRITICAL", "critical"),
    ("CRIT", "critical"),
    ("ALERT", "alert"),
    ("EMERG", "emergency"),
];

fn level_of(token: &str) -> Option<&'static str> {
    let t = token.trim_matches(|c| matches!(c, '[' | ']' | ':' | '<' | '>'));
    LEVELS.iter().find(|(w, _)| t.eq_ignore_ascii_case(w)).map(|&(_, l)| l)
}

/// `[name with spaces]` or `logger.Name:` at the start of `s`.
fn component(s: &str) -> Option<&str> {
    if let Some(r) = s.strip_prefix('[') {
        return r.split_once(']').map(|(c, _)| c).filter(|c| !c.is_empty());
    }
    let token = s.split_ascii_whitespace().next()?;
    token.strip_suffix(':').filter(|c| !c.is_empty())
}

/// A line that continues a record: indented (a Java `\tat …` frame, a Python traceback's
/// lines), `Caused by: …`, `... N more`, `Traceback (most recent call last):`, or an exception
/// line such as `java.net.ConnectException: Connection refused` / `ValueError: bad`.
fn is_continuation(line: &str) -> bool {
    if line.starts_with([' ', '\t']) {
        return true;
    }
    if line.starts_with("Caused by:")
        || line.starts_with("... ")
        || line.starts_with("Traceback (most recent call last)")
    {
        return true;
    }
    let head = line.split([':', ' ']).next().unwrap_or("");
    let name = head.rsplit('.').next().unwrap_or(head);
    !head.is_empty()
        && line.as_bytes().get(head.len()) == Some(&b':')
        && head.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'$'))
        && (name.ends_with("Exception") || name.ends_with("Error") || name.ends_with("Throwable"))
}

impl LineParser for TextParser {
    fn continues(&self, line: &str) -> bool {
        is_continuation(line)
    }
    fn multiline(&self) -> bool {
        true
    }

    fn parse<'a>(&'a self, line: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        let (stamp, used) = leading_time(line.as_bytes())
            .ok_or(Reject::new("no timestamp at the start of the line (text fallback)"))?;
        match stamp {
            Stamp::Local { micros, offset: Some(off) } => {
                ev.timestamp = micros - i64::from(off) * 60 * MICROS;
                ev.timestamp_original_offset = Some(off);
                ev.year_source = Some(Cow::Borrowed(YearSource::Line.as_str()));
            }
            Stamp::Local { micros, offset: None } => {
                super::set_local_time(ev, &self.ctx.zone, micros);
                ev.year_source = Some(Cow::Borrowed(YearSource::Line.as_str()));
            }
            Stamp::YearLess { month, day, secs, micros } => {
                let (local, source) =
                    self.ctx.year.resolve(month, day, secs).ok_or(Reject::new("invalid calendar date"))?;
                super::set_local_time(ev, &self.ctx.zone, local * MICROS + i64::from(micros));
                ev.year_source = Some(Cow::Borrowed(source.as_str()));
            }
            Stamp::Utc(micros) => {
                ev.timestamp = micros;
                ev.timestamp_original_offset = Some(0);
                ev.year_source = Some(Cow::Borrowed(YearSource::Line.as_str()));
            }
        }
        let rest = line[used..].trim_start_matches([' ', '\t', ',', '|', ';', ']']);
        // A level word among the first few tokens (after a thread id or pid, as HDFS writes it),
        // then a component: a `[bracketed name]` or a token ending with ':' right after it.
        let mut at = 0;
        for _ in 0..6 {
            let tail = &rest[at..];
            let skip = tail.len() - tail.trim_start().len();
            let token = tail[skip..].split_ascii_whitespace().next().unwrap_or("");
            if token.is_empty() {
                break;
            }
            at += skip + token.len();
            if let Some(level) = level_of(token) {
                ev.log_level = Some(Cow::Borrowed(level));
                ev.process_name = component(rest[at..].trim_start()).map(Cow::Borrowed);
                break;
            }
        }
        ev.host_name = self.ctx.host_hint.as_deref().map(Cow::Borrowed);
        ev.message = Some(Cow::Borrowed(rest));
        super::set_action(ev, action::LOG_MESSAGE, outcome::UNKNOWN, "host");
        Ok(Module::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::{format_rfc3339, YearRule, Zone};
    use std::sync::Arc;

    fn parse(line: &str) -> Result<(String, Option<String>, Option<String>, String), Reject> {
        let ctx = FileCtx {
            rel_path: Arc::from("app.log"),
            host_hint: Some(Arc::from("app01")),
            year: YearRule::Fixed(2026),
            zone: Zone::Utc,
        };
        let p = TextParser { ctx };
        let mut ev = Event::default();
        p.parse(line, &mut ev)?;
        Ok((
            format_rfc3339(ev.timestamp),
            ev.log_level.map(|c| c.into_owned()),
            ev.process_name.map(|c| c.into_owned()),
            ev.message.map(|c| c.into_owned()).unwrap_or_default(),
        ))
    }

    /// One line per shape, as the programs write them (Hadoop/log4j, Spark, nginx-less Go
    /// services, HDFS's DataNode, BGL/Thunderbird-style epochs, syslog without a host, access-log
    /// style brackets).
    #[test]
    fn every_timestamp_shape() {
        let l = parse(
            "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster",
        )
        .unwrap();
        assert_eq!(
            (l.0.as_str(), l.1.as_deref(), l.2.as_deref()),
            ("2015-10-18T18:01:47.978000Z", Some("info"), Some("main"))
        );
        let l = parse("17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers")
            .unwrap_err();
        assert!(l.reason.contains("no timestamp"), "two-digit-year slashes are not taken for YYYY/MM/DD");
        let l = parse("2017/07/04 10:00:00 [warn] 12#12: something").unwrap();
        assert_eq!((l.0.as_str(), l.1.as_deref()), ("2017-07-04T10:00:00Z", Some("warning")));
        let l = parse("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating").unwrap();
        assert_eq!(
            (l.0.as_str(), l.1.as_deref(), l.2.as_deref()),
            ("2008-11-09T20:36:15Z", Some("info"), Some("dfs.DataNode$PacketResponder"))
        );
        let l = parse("1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed")
            .unwrap();
        assert_eq!(l.0, "2005-11-09T20:01:01Z");
        let l = parse("- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 RAS KERNEL INFO instruction cache parity error corrected").unwrap();
        assert_eq!((l.0.as_str(), l.1.as_deref()), ("2005-06-03T22:42:50Z", Some("info")));
        let l = parse("1700000000123 worker started").unwrap();
        assert_eq!(l.0, "2023-11-14T22:13:20.123000Z");
        let l = parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown").unwrap();
        assert_eq!(l.0, "2026-06-14T15:16:01Z");
        let l = parse("[10/Oct/2000:13:55:36 -0700] GET /apache_pb.gif").unwrap();
        assert_eq!((l.0.as_str(), l.3.as_str()), ("2000-10-10T20:55:36Z", "GET /apache_pb.gif"));
        let l = parse("2026-01-05T14:10:05.123+01:00 ERROR payment failed").unwrap();
        assert_eq!((l.0.as_str(), l.1.as_deref()), ("2026-01-05T13:10:05.123000Z", Some("error")));
        let l = parse("[2026-01-05 14:10:05] production.ERROR: boom").unwrap();
        assert_eq!(l.3, "production.ERROR: boom");
    }

    /// What folds into the record above: Java and Python traces, not ordinary untimed lines.
    #[test]
    fn continuation_lines() {
        for line in [
            "\tat org.apache.hadoop.ipc.Client.call(Client.java:1475)",
            "    at com.example.Main.main(Main.java:5)",
            "Caused by: java.net.ConnectException: Connection refused",
            "... 12 more",
            "java.lang.IllegalStateException: boom",
            "Traceback (most recent call last):",
            "  File \"app.py\", line 3, in <module>",
            "ValueError: invalid literal for int() with base 10: 'x'",
        ] {
            assert!(is_continuation(line), "{line:?}");
        }
        for line in ["just some words", "Error reading config", "ERROR: x", "Exception", "user: alice"] {
            assert!(!is_continuation(line), "{line:?}");
        }
    }

    /// Random lines built from the pieces timestamps are made of (digits, separators, brackets,
    /// month names, multi-byte characters) never make the parser panic or slice inside a
    /// character.
    #[test]
    fn random_lines_never_panic() {
        use rand::{Rng, SeedableRng};
        let pieces = [
            "2026",
            "-",
            "/",
            ":",
            " ",
            "T",
            ",",
            ".",
            "[",
            "]",
            "Dec",
            "10",
            "1131566461",
            "1700000000123",
            "081109",
            "203615",
            "+01:00",
            "Z",
            "é",
            "日本",
            "\t",
            "INFO",
            "ERROR:",
            "- ",
            "at ",
            "Exception:",
            "0",
            "99",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..20_000 {
            let n = rng.random_range(0..12);
            let line: String = (0..n).map(|_| pieces[rng.random_range(0..pieces.len())]).collect();
            let _ = parse(&line);
            let _ = is_continuation(&line);
        }
    }

    /// Noise never gets a time: numbers that are not plausible epochs, dates inside words,
    /// stack-trace lines.
    #[test]
    fn noise_stays_rejected() {
        for line in [
            "just some words",
            "12345 is a number",
            "99999999999 too many digits for seconds",
            "\tat org.apache.hadoop.ipc.Client.call(Client.java:1475)",
            "Caused by: java.net.ConnectException: Connection refused",
            "2026-13-01 00:00:00 month 13",
            "2026-01-05x10:00:00 glued",
            "20260105 no separator",
            "",
        ] {
            assert!(parse(line).is_err(), "{line:?}");
        }
    }
}
