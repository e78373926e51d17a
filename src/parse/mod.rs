//! Parsing: one module per log format behind one trait, plus one registry.
//!
//! A format is a [`FormatSpec`]: it can say whether a line looks like its format (content
//! sniffing) and build a [`LineParser`] for one file (with that file's year rule, zone and,
//! for CSV, header). Parsers turn one line into one [`Event`] or a [`Reject`]; they never
//! allocate per field where a slice of the line will do. Adding a format is one new file plus
//! one line in [`FORMATS`].

pub mod access;
pub mod audit;
pub mod auth;
pub mod auth_table;
pub mod csvfmt;
pub mod errorlog;
pub mod fields;
pub mod firewall;
pub mod journal;
pub mod json;
pub mod plaintext;
pub mod syslog;
pub mod text;
pub mod time;
pub mod vsftpd;

use std::sync::Arc;

pub use crate::schema::Event;
use time::{YearRule, Zone};

/// The source kind of an event; the `event_module` partition of the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Module {
    Auth,
    Syslog,
    Firewall,
    ApacheAccess,
    NginxAccess,
    Json,
    Csv,
    ApacheError,
    NginxError,
    /// Linux audit events (auditd records joined by event id).
    Audit,
    /// Lines of any other text log that start with a timestamp (the fallback).
    Text,
}

impl Module {
    /// How many source kinds there are (array sizes count by this, not by a literal).
    pub const COUNT: usize = 11;
    pub const ALL: [Module; Module::COUNT] = [
        Module::Auth,
        Module::Syslog,
        Module::Firewall,
        Module::ApacheAccess,
        Module::NginxAccess,
        Module::Json,
        Module::Csv,
        Module::ApacheError,
        Module::NginxError,
        Module::Audit,
        Module::Text,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Module::Auth => "auth",
            Module::Syslog => "syslog",
            Module::Firewall => "firewall",
            Module::ApacheAccess => "apache_access",
            Module::NginxAccess => "nginx_access",
            Module::Json => "json",
            Module::Csv => "csv",
            Module::ApacheError => "apache_error",
            Module::NginxError => "nginx_error",
            Module::Audit => "audit",
            Module::Text => "text",
        }
    }
}

/// Sets a parsed line's action, outcome and ECS category (every analyzer's verdict).
pub(crate) fn set_action(ev: &mut Event<'_>, action: &'static str, outcome: &'static str, category: &'static str) {
    ev.event_action = Some(std::borrow::Cow::Borrowed(action));
    ev.event_outcome = Some(std::borrow::Cow::Borrowed(outcome));
    ev.event_category = Some(std::borrow::Cow::Borrowed(category));
}

/// `time_flag` values (see the schema).
pub const DST_FOLD_FIRST: &str = "dst_fold_first";
pub const DST_FOLD_SECOND: &str = "dst_fold_second";
pub const DST_GAP: &str = "dst_gap";

/// Sets the event's time from a zone-less local time (micros since the epoch as if UTC),
/// flagging daylight-saving folds and gaps in `time_flag`. A fold's time is its first
/// occurrence here; the ingest pipeline moves it to the second when the file's order says so.
pub(crate) fn set_local_time(ev: &mut Event<'_>, zone: &Zone, local_micros: i64) {
    if let Zone::Utc = zone {
        ev.timestamp = local_micros;
        return;
    }
    let (ts, kind) = zone.local_to_utc(local_micros);
    ev.timestamp = ts;
    ev.time_flag = match kind {
        time::LocalTime::Single => None,
        time::LocalTime::Ambiguous => Some(std::borrow::Cow::Borrowed(DST_FOLD_FIRST)),
        time::LocalTime::Gap => Some(std::borrow::Cow::Borrowed(DST_GAP)),
    };
}

/// Sets the event's time from an ISO 8601 timestamp: its own offset, else the zone.
pub(crate) fn set_iso_time(ev: &mut Event<'_>, t: &time::IsoTime, zone: &Zone) {
    ev.timestamp_original_offset = t.offset;
    match t.offset {
        Some(off) => ev.timestamp = t.local_micros - off as i64 * 60 * time::MICROS,
        None => set_local_time(ev, zone, t.local_micros),
    }
}

/// Places an event whose local time a fall-back hour repeats ([`DST_FOLD_FIRST`]) at the
/// second occurrence when the line before it in the same file is already later than the first
/// occurrence (the clock was set back between them). `prev` is the previous event's time.
pub fn order_fold(ev: &mut Event<'_>, zone: &Zone, prev: Option<i64>) {
    if ev.time_flag.as_deref() != Some(DST_FOLD_FIRST) {
        return;
    }
    if prev.is_none_or(|p| p <= ev.timestamp) {
        return;
    }
    let secs = ev.timestamp.div_euclid(time::MICROS);
    // The fold's length: the offset before the change minus the offset after it.
    let fold = zone.offset_secs_at(secs) - zone.offset_secs_at(secs + 3 * 3600);
    if fold > 0 {
        ev.timestamp += fold * time::MICROS;
        ev.time_flag = Some(std::borrow::Cow::Borrowed(DST_FOLD_SECOND));
    }
}

/// Why a line became a reject instead of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub reason: &'static str,
}

impl Reject {
    pub const fn new(reason: &'static str) -> Self {
        Self { reason }
    }
}

/// What a parser knows about the file it reads.
#[derive(Debug, Clone)]
pub struct FileCtx {
    /// Evidence path relative to the ingest root (`log_file_path`).
    pub rel_path: Arc<str>,
    /// Host from the evidence tree layout or `--host`, for formats whose lines name none.
    pub host_hint: Option<Arc<str>>,
    /// Year rule for year-less timestamps.
    pub year: YearRule,
    /// Zone for timestamps that carry no offset.
    pub zone: Zone,
}

/// Parses the lines of one file.
pub trait LineParser: Send + Sync {
    /// Fills `ev` from `line` (CR/LF already stripped) and returns the event's module.
    fn parse<'a>(&'a self, line: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject>;
    /// Whether a line this parser rejected continues the record before it (a stack trace under
    /// its timestamped line): it is then folded into that event (`log_line_end`), not rejected.
    fn continues(&self, _line: &str) -> bool {
        false
    }
    /// Whether this format has multi-line records at all (events are then held back one line
    /// to collect their continuation lines; others are stored as they are parsed).
    fn multiline(&self) -> bool {
        false
    }
    /// For formats whose events are several lines that may interleave with other events'
    /// lines (auditd's records sharing one `msg=audit(…)` id): the key — (node, id) — that
    /// groups this line with the others of its event. The pipeline then joins each group of a
    /// block with [`parse_group`](LineParser::parse_group); a line without a key is parsed alone.
    fn group_key<'a>(&self, _line: &'a str) -> Option<(&'a str, &'a str)> {
        None
    }
    /// Whether this format groups lines with [`group_key`](LineParser::group_key).
    fn grouped(&self) -> bool {
        false
    }
    /// Fills one event from the lines of one group, in file order.
    fn parse_group<'a>(&'a self, lines: &[&'a str], ev: &mut Event<'a>) -> Result<Module, Reject> {
        self.parse(lines[0], ev)
    }
}

/// Decoders that turn a file into lines before parsing: each entry becomes one
/// `journalctl -o json` line (see `ingest::journal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transcode {
    /// A binary systemd journal file.
    JournalFile,
    /// A `journalctl -o export` stream.
    JournalExport,
}

/// A log format: content sniffing plus a parser factory.
pub trait FormatSpec: Sync {
    /// Stable id, as written in the manifest (`format`) and accepted by `--format`.
    fn id(&self) -> &'static str;
    /// One line for `--help` and the README formats table.
    fn describe(&self) -> &'static str;
    /// Whether one line looks like this format.
    fn sniff(&self, line: &str) -> bool;
    /// How many of a file's first lines this format explains (default: the lines [`sniff`]
    /// accepts). Formats with a header override it.
    ///
    /// [`sniff`]: FormatSpec::sniff
    fn score(&self, lines: &[&str]) -> usize {
        lines.iter().filter(|l| self.sniff(l)).count()
    }
    /// The decoder a file of this format needs before its lines exist (binary journals,
    /// journal export streams); `None` for text formats.
    fn transcode(&self) -> Option<Transcode> {
        None
    }
    /// Builds the parser for one file; `head` is the file's first lines (CSV reads its header).
    fn build(&self, ctx: &FileCtx, head: &[&str]) -> Result<Box<dyn LineParser>, String>;
}

impl std::fmt::Debug for dyn FormatSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Every format, in sniffing priority order (earlier wins a tie).
pub static FORMATS: &[&dyn FormatSpec] = &[
    &syslog::Rfc5424Spec,
    &syslog::SyslogSpec,
    &access::AccessSpec,
    // Before JSON: a journal entry is also a JSON object, and a tie goes to the earlier format.
    &journal::JournalJsonSpec,
    &json::JsonSpec,
    &csvfmt::CsvSpec,
    &vsftpd::VsftpdSpec,
    &errorlog::ErrorLogSpec,
    &audit::AuditSpec,
    // Found by their signature, never sniffed from text.
    &journal::JournalFileSpec,
    &journal::JournalExportSpec,
    // Last: the fallback wins only where no format explains as many lines.
    &plaintext::TextSpec,
];

/// Looks a format up by id.
pub fn format_by_id(id: &str) -> Option<&'static dyn FormatSpec> {
    FORMATS.iter().copied().find(|f| f.id() == id)
}

/// Non-blank lines of a file's head that the sniffer looks at.
pub const SNIFF_LINES: usize = 64;

/// What sniffing decided, and why: every format's score on the sample.
#[derive(Debug, Clone)]
pub struct Sniff {
    /// Non-blank sample lines looked at.
    pub lines: usize,
    /// (format, lines it explains), in priority order.
    pub scores: Vec<(&'static dyn FormatSpec, usize)>,
    /// The winner: most lines explained, at least one and at least a third of the sample;
    /// a tie goes to the earlier format of [`FORMATS`].
    pub winner: Option<(&'static dyn FormatSpec, usize)>,
}

/// Scores every format on the sample.
pub fn sniff(sample: &[&str]) -> Sniff {
    let lines: Vec<&str> = sample.iter().copied().filter(|l| !l.trim().is_empty()).take(SNIFF_LINES).collect();
    let mut scores = Vec::with_capacity(FORMATS.len());
    let mut winner: Option<(&'static dyn FormatSpec, usize)> = None;
    for f in FORMATS {
        let hits = if lines.is_empty() { 0 } else { f.score(&lines) };
        scores.push((*f, hits));
        if hits > 0 && hits * 3 >= lines.len() && winner.is_none_or(|(_, b)| hits > b) {
            winner = Some((*f, hits));
        }
    }
    Sniff { lines: lines.len(), scores, winner }
}

/// Picks the format that matches most of the sample lines (at least one, and at least a
/// third of the non-blank sample); `None` when nothing fits.
pub fn sniff_format(sample: &[&str]) -> Option<&'static dyn FormatSpec> {
    sniff(sample).winner.map(|(f, _)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_picks_the_right_format() {
        let id = |lines: &[&str]| sniff_format(lines).map(|f| f.id());
        assert_eq!(
            id(&["Dec  5 10:00:01 web01 sshd[12]: Accepted password for a from 1.2.3.4 port 22 ssh2"]),
            Some("syslog")
        );
        assert_eq!(id(&["2026-12-20T10:00:01.123456+00:00 web01 sshd[12]: hi"]), Some("syslog"));
        assert_eq!(id(&["<34>1 2026-12-20T10:00:01Z web01 sshd 12 - - hi"]), Some("rfc5424"));
        assert_eq!(id(&["1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] \"GET / HTTP/1.1\" 200 5"]), Some("access"));
        assert_eq!(id(&["{\"ts\": 1, \"msg\": \"x\"}"]), Some("json"));
        assert_eq!(id(&["timestamp,user_id,source_ip,action", "2026-01-01T00:00:00Z,a,1.2.3.4,login"]), Some("csv"));
        assert_eq!(id(&["just some words", "and more words"]), None);
        assert_eq!(
            id(&["2012-07-02 10:00:00,123 INFO started", "2012-07-02 10:00:01,000 WARN x, y"]),
            Some("text"),
            "not CSV without a header: the timestamped-text fallback"
        );
        assert_eq!(id(&["1.2.3.4 - - [10/Oct/2026:13:55:36 -0700] \"GET / HTTP/1.1\" 200 5"]), Some("access"));
        assert_eq!(id(&["Dec  5 10:00:01 h sshd[1]: x", "Dec  5 10:00:02 h sshd[1]: y"]), Some("syslog"));
        assert_eq!(id(&[]), None);
    }

    #[test]
    fn format_ids_are_unique() {
        let mut ids: Vec<_> = FORMATS.iter().map(|f| f.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), FORMATS.len());
    }
}
