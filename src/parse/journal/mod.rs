//! systemd journal entries, one `journalctl -o json` object per line: read as such from
//! `journalctl -o json` files, and decoded into that shape from `.journal` files and
//! `journalctl -o export` streams by `ingest::journal`.
//!
//! `MESSAGE` goes through the syslog message analyzers ([`super::syslog::analyze_message`]) with
//! `SYSLOG_IDENTIFIER` (else `_COMM`) as the program, so sshd, PAM, sudo, su, useradd, CRON and
//! kernel firewall entries mean what their `auth.log` lines mean and land in the same module.
//! Field names are systemd's (`systemd.journal-fields(7)`).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::syslog::analyze_message;
use super::{Event, FileCtx, FormatSpec, LineParser, Module, Reject, Transcode};
use crate::parse::time::YearSource;

/// `journalctl -o json` files.
pub struct JournalJsonSpec;
/// Binary journal files (`system.journal`, `system@….journal`, `*.journal~`), found by their
/// `LPKSHHRH` signature, never by sniffing text.
pub struct JournalFileSpec;
/// `journalctl -o export` streams, found by their first field (`__CURSOR=`,
/// `__REALTIME_TIMESTAMP=`).
pub struct JournalExportSpec;

fn build(ctx: &FileCtx) -> Result<Box<dyn LineParser>, String> {
    Ok(Box::new(JournalParser { ctx: ctx.clone() }))
}

impl FormatSpec for JournalJsonSpec {
    fn id(&self) -> &'static str {
        "journal_json"
    }
    fn describe(&self) -> &'static str {
        "systemd journal as `journalctl -o json` (one entry per line; MESSAGE read like a syslog message)"
    }
    fn sniff(&self, line: &str) -> bool {
        let t = line.trim();
        t.starts_with('{') && t.ends_with('}') && t.contains("\"__REALTIME_TIMESTAMP\"")
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        build(ctx)
    }
}

impl FormatSpec for JournalFileSpec {
    fn id(&self) -> &'static str {
        "journal"
    }
    fn describe(&self) -> &'static str {
        "systemd journal file (.journal, .journal~; online, archived or damaged; XZ/LZ4/ZSTD fields), read without journalctl"
    }
    fn sniff(&self, _line: &str) -> bool {
        false
    }
    fn transcode(&self) -> Option<Transcode> {
        Some(Transcode::JournalFile)
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        build(ctx)
    }
}

impl FormatSpec for JournalExportSpec {
    fn id(&self) -> &'static str {
        "journal_export"
    }
    fn describe(&self) -> &'static str {
        "systemd journal as `journalctl -o export` (binary-safe, multi-line fields)"
    }
    fn sniff(&self, _line: &str) -> bool {
        false
    }
    fn transcode(&self) -> Option<Transcode> {
        Some(Transcode::JournalExport)
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        build(ctx)
    }
}

/// Whether a file's first bytes are an export stream.
pub fn looks_like_export(head: &[u8]) -> bool {
    head.starts_with(b"__CURSOR=") || head.starts_with(b"__REALTIME_TIMESTAMP=")
}

pub struct JournalParser {
    ctx: FileCtx,
}

/// One field value of a `journalctl -o json` object.
#[derive(Debug)]
enum JVal<'a> {
    Str(Cow<'a, str>),
    /// A non-UTF-8 value: journalctl writes it as an array of byte values.
    Bytes(Vec<u8>),
    /// A field the entry has several times.
    Many(Vec<JVal<'a>>),
    Num(i64),
    Other,
}

impl<'a> JVal<'a> {
    /// The value as text (the first of several; bytes lossily).
    fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            JVal::Str(s) => Some(s.clone()),
            JVal::Bytes(b) => Some(Cow::Owned(String::from_utf8_lossy(b).into_owned())),
            JVal::Many(v) => v.first().and_then(JVal::text),
            JVal::Num(n) => Some(Cow::Owned(n.to_string())),
            JVal::Other => None,
        }
    }
}

struct JValVisitor;

impl<'de> Visitor<'de> for JValVisitor {
    type Value = JVal<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a journal field value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(JVal::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(JVal::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(JVal::Str(Cow::Owned(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(JVal::Other, JVal::Num))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(JVal::Num(v))
    }
    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Self::Value, E> {
        Ok(JVal::Other)
    }
    fn visit_bool<E: de::Error>(self, _v: bool) -> Result<Self::Value, E> {
        Ok(JVal::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(JVal::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items: Vec<JVal<'de>> = Vec::new();
        while let Some(v) = seq.next_element_seed(Seed)? {
            items.push(v);
        }
        let bytes: Option<Vec<u8>> =
            items.iter().map(|v| if let JVal::Num(n) = v { u8::try_from(*n).ok() } else { None }).collect();
        Ok(match bytes {
            Some(b) if !b.is_empty() => JVal::Bytes(b),
            _ => JVal::Many(items),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(JVal::Other)
    }
}

struct Seed;

impl<'de> de::DeserializeSeed<'de> for Seed {
    type Value = JVal<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(JValVisitor)
    }
}

/// The fields of one entry, borrowed from the line where the JSON has no escapes.
struct Fields<'a>(Vec<(Cow<'a, str>, JVal<'a>)>);

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a journal entry object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(32);
        while let Some(key) = map.next_key_seed(Seed)? {
            let value = map.next_value_seed(Seed)?;
            if let JVal::Str(k) = key {
                out.push((k, value));
            }
        }
        Ok(Fields(out))
    }
}

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> Option<&JVal<'a>> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    fn text(&self, name: &str) -> Option<Cow<'a, str>> {
        self.get(name).and_then(JVal::text).filter(|s| !s.is_empty())
    }
}

const LEVELS: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

impl LineParser for JournalParser {
    fn parse<'a>(&'a self, line: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        let mut de = serde_json::Deserializer::from_str(line);
        let fields = de.deserialize_map(FieldsVisitor).map_err(|_| Reject::new("invalid journal JSON entry"))?;
        let ts = ["_SOURCE_REALTIME_TIMESTAMP", "__REALTIME_TIMESTAMP"]
            .iter()
            .find_map(|k| fields.text(k).and_then(|t| t.parse::<i64>().ok()))
            .ok_or(Reject::new("journal entry without __REALTIME_TIMESTAMP"))?;
        let program = fields.text("SYSLOG_IDENTIFIER").or_else(|| fields.text("_COMM"));
        let module = match (fields.text("MESSAGE"), program.clone()) {
            (Some(Cow::Borrowed(msg)), Some(Cow::Borrowed(p))) => analyze_message(Some(p), msg, ev),
            (Some(Cow::Borrowed(msg)), None) => analyze_message(None, msg, ev),
            (Some(msg), _) => {
                // An escaped or binary message: analyzed from an owned copy, whose event is then
                // made to own its text.
                let mut owned = Event { event_count: ev.event_count, ..Default::default() };
                let m = analyze_message(program.as_deref(), &msg, &mut owned);
                *ev = owned.into_owned();
                m
            }
            (None, _) => {
                super::set_action(ev, crate::schema::action::LOG_MESSAGE, "unknown", "host");
                Module::Syslog
            }
        };
        ev.timestamp = ts;
        ev.year_source = Some(Cow::Borrowed(YearSource::Line.as_str()));
        ev.host_name = fields.text("_HOSTNAME").or_else(|| self.ctx.host_hint.as_deref().map(Cow::Borrowed));
        ev.process_name = program;
        ev.process_pid = ["_PID", "SYSLOG_PID"].iter().find_map(|k| fields.text(k).and_then(|p| p.parse().ok()));
        ev.log_level = fields
            .text("PRIORITY")
            .and_then(|p| p.parse::<usize>().ok())
            .and_then(|p| LEVELS.get(p))
            .map(|l| Cow::Borrowed(*l));
        ev.host_boot_id = fields.text("_BOOT_ID");
        ev.user_id = fields.text("_UID");
        ev.systemd_unit = fields.text("_SYSTEMD_UNIT");
        ev.journal_transport = fields.text("_TRANSPORT");
        ev.process_executable = fields.text("_EXE");
        if ev.process_command_line.is_none() {
            ev.process_command_line = fields.text("_CMDLINE");
        }
        ev.log_record_id = fields.text("__CURSOR");
        if ev.message.is_none() {
            ev.message = fields.text("MESSAGE");
        }
        Ok(module)
    }
}

#[cfg(test)]
mod tests;
