//! Syslog headers: RFC 3164 as Debian/Ubuntu and RHEL write it (with or without `<PRI>`,
//! `Jan  1` day padding, optional fraction), rsyslog's high-precision ISO 8601 variant, and
//! RFC 5424. The header gives time, host, program and pid; the message then goes to the
//! analyzers that extract meaning ([`super::auth`], [`super::firewall`]).
//!
//! A line is rejected only when no syslog timestamp can be read from it; a line whose header
//! parses but whose message is not understood is still an event (`log.message`).

use std::borrow::Cow;

use super::time::{self, YearSource, MICROS};
use super::{auth, firewall, text, Event, FileCtx, FormatSpec, LineParser, Module, Reject};
use crate::schema::action;

const SEVERITIES: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/// RFC 3164 and rsyslog ISO syslog.
pub struct SyslogSpec;
/// RFC 5424 syslog.
pub struct Rfc5424Spec;

impl FormatSpec for SyslogSpec {
    fn id(&self) -> &'static str {
        "syslog"
    }
    fn describe(&self) -> &'static str {
        "RFC 3164 syslog (auth.log, syslog, kern.log, secure, messages), with or without <PRI>, and rsyslog's ISO 8601 high-precision variant; sshd/sudo/su/account/logind/CRON and netfilter/UFW lines get meaning"
    }
    fn sniff(&self, line: &str) -> bool {
        let b = skip_pri(line.as_bytes()).1;
        if let Some(t) = time::parse_bsd(b) {
            return b.get(t.used) == Some(&b' ');
        }
        // rsyslog's ISO form: `T` separator, then `host tag:` (not e.g. `INFO [main]`).
        match time::parse_iso(b) {
            Some(t) if b.get(t.used) == Some(&b' ') && b.get(10) == Some(&b'T') => {
                let rest = &line[line.len() - b.len() + t.used + 1..];
                let (_host, rest) = text::token(rest);
                let (tag, _) = text::token(rest);
                tag.ends_with(':')
            }
            _ => false,
        }
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        Ok(Box::new(SyslogParser { ctx: ctx.clone() }))
    }
}

impl FormatSpec for Rfc5424Spec {
    fn id(&self) -> &'static str {
        "rfc5424"
    }
    fn describe(&self) -> &'static str {
        "RFC 5424 syslog (<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG), same message analyzers"
    }
    fn sniff(&self, line: &str) -> bool {
        let (pri, b) = skip_pri(line.as_bytes());
        pri.is_some() && b.len() > 2 && b[0].is_ascii_digit() && b[0] != b'0' && b[1] == b' '
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        Ok(Box::new(SyslogParser { ctx: ctx.clone() }))
    }
}

/// Splits off a leading `<PRI>`.
fn skip_pri(b: &[u8]) -> (Option<u32>, &[u8]) {
    if b.first() != Some(&b'<') {
        return (None, b);
    }
    let end = match b.iter().take(5).position(|&c| c == b'>') {
        Some(e) if e > 1 => e,
        _ => return (None, b),
    };
    match std::str::from_utf8(&b[1..end]).ok().and_then(text::parse_u32) {
        Some(p) if p < 192 => (Some(p), &b[end + 1..]),
        _ => (None, b),
    }
}

/// Parser for every syslog header variant (a file may mix them).
pub struct SyslogParser {
    pub ctx: FileCtx,
}

impl LineParser for SyslogParser {
    fn parse<'a>(&'a self, line: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        let (pri, rest_b) = skip_pri(line.as_bytes());
        let mut rest = &line[line.len() - rest_b.len()..];
        if let Some(p) = pri {
            ev.log_level = Some(Cow::Borrowed(SEVERITIES[(p % 8) as usize]));
            let b = rest.as_bytes();
            if b.len() > 2 && b[0].is_ascii_digit() && b[1] == b' ' {
                return self.parse_5424(&rest[2..], ev);
            }
        }
        let b = rest.as_bytes();
        if let Some(t) = time::parse_bsd(b) {
            let clock = t.clock.secs();
            let (local_secs, source) = match t.year {
                Some(y) => (
                    (t.day <= time::days_in_month(y, t.month))
                        .then(|| time::days_from_civil(y, t.month, t.day) * 86_400 + clock)
                        .ok_or(Reject::new("invalid calendar date"))?,
                    YearSource::Line,
                ),
                None => self.ctx.year.resolve(t.month, t.day, clock).ok_or(Reject::new("invalid calendar date"))?,
            };
            super::set_local_time(ev, &self.ctx.zone, local_secs * MICROS + t.clock.micros as i64);
            ev.year_source = Some(Cow::Borrowed(source.as_str()));
            rest = &rest[t.used..];
        } else if let Some(t) = time::parse_iso(b) {
            super::set_iso_time(ev, &t, &self.ctx.zone);
            ev.year_source = Some(Cow::Borrowed(YearSource::Line.as_str()));
            rest = &rest[t.used..];
        } else {
            return Err(Reject::new("no syslog timestamp"));
        }
        if !rest.starts_with(' ') {
            return Err(Reject::new("no space after syslog timestamp"));
        }
        let rest = rest.trim_start_matches(' ');
        let (first, after) = text::token(rest);
        let tagged_first = first.ends_with(':') || (first.contains('[') && first.ends_with("]:"));
        let body = if tagged_first && !first.is_empty() {
            self.host_hint(ev);
            rest
        } else {
            if !first.is_empty() {
                ev.host_name = Some(Cow::Borrowed(first));
            } else {
                self.host_hint(ev);
            }
            after
        };
        let (program, pid, msg) = split_tag(body);
        ev.process_name = program.map(Cow::Borrowed);
        ev.process_pid = pid;
        Ok(analyze_message(program, msg, ev))
    }
}

impl SyslogParser {
    fn host_hint<'a>(&'a self, ev: &mut Event<'a>) {
        ev.host_name = self.ctx.host_hint.as_deref().map(Cow::Borrowed);
    }

    fn parse_5424<'a>(&'a self, rest: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        let (ts, rest) = text::token(rest);
        let t = time::parse_iso(ts.as_bytes())
            .filter(|t| t.used == ts.len())
            .ok_or(Reject::new("RFC 5424 line without a timestamp"))?;
        super::set_iso_time(ev, &t, &self.ctx.zone);
        ev.year_source = Some(Cow::Borrowed(YearSource::Line.as_str()));
        let nil = |s: &'a str| (s != "-" && !s.is_empty()).then_some(s);
        let (host, rest) = text::token(rest);
        let (app, rest) = text::token(rest);
        let (procid, rest) = text::token(rest);
        let (_msgid, rest) = text::token(rest);
        match nil(host) {
            Some(h) => ev.host_name = Some(Cow::Borrowed(h)),
            None => self.host_hint(ev),
        }
        let app = nil(app);
        ev.process_name = app.map(Cow::Borrowed);
        ev.process_pid = nil(procid).and_then(text::parse_u32).map(i64::from);
        let msg = skip_structured_data(rest).ok_or(Reject::new("RFC 5424 structured data not terminated"))?;
        let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
        Ok(analyze_message(app, msg, ev))
    }
}

/// Skips RFC 5424 STRUCTURED-DATA (`-` or one or more `[id k="v"]`, with `\]` escapes).
fn skip_structured_data(s: &str) -> Option<&str> {
    if let Some(r) = s.strip_prefix('-') {
        return Some(r.strip_prefix(' ').unwrap_or(r));
    }
    let b = s.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        let mut in_quote = false;
        i += 1;
        loop {
            match b.get(i)? {
                b'\\' => i += 1,
                b'"' => in_quote = !in_quote,
                b']' if !in_quote => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    if i == 0 {
        return Some(s);
    }
    let r = &s[i.min(s.len())..];
    Some(r.strip_prefix(' ').unwrap_or(r))
}

/// Splits `prog[pid]: msg`, `prog: msg`, `sshd(pam_unix)[123]: msg`. A body without a tag is
/// all message.
pub fn split_tag(body: &str) -> (Option<&str>, Option<i64>, &str) {
    let b = body.as_bytes();
    let end = b.iter().position(|&c| c == b':' || c == b'[' || c == b' ');
    let Some(end) = end else { return (None, None, body) };
    if end == 0 {
        return (None, None, body);
    }
    let program = &body[..end];
    match b[end] {
        b':' => {
            let msg = &body[end + 1..];
            (Some(program), None, msg.strip_prefix(' ').unwrap_or(msg))
        }
        b'[' => {
            let close = match memchr::memchr(b']', &b[end..]) {
                Some(c) => end + c,
                None => return (None, None, body),
            };
            let pid = text::parse_u32(&body[end + 1..close]).map(i64::from);
            let after = &body[close + 1..];
            match after.strip_prefix(':') {
                Some(msg) => (Some(program), pid, msg.strip_prefix(' ').unwrap_or(msg)),
                None => (None, None, body),
            }
        }
        _ => (None, None, body),
    }
}

/// Gives a syslog message its meaning: auth/account/session analyzers, netfilter, CRON, or a
/// plain `log.message`. Also unwraps rsyslog's `message repeated N times: [ msg]`.
pub fn analyze_message<'a>(program: Option<&'a str>, msg: &'a str, ev: &mut Event<'a>) -> Module {
    let mut msg = msg;
    if let Some(r) = msg.strip_prefix("message repeated ") {
        if let Some((n, inner)) = r.split_once(" times: [") {
            if let Some(n) = text::parse_u32(n) {
                ev.event_count = Some(n.min(i32::MAX as u32) as i32);
                msg = inner.strip_suffix(']').unwrap_or(inner).trim_start();
            }
        }
    }
    ev.message = Some(Cow::Borrowed(msg));
    // Solaris/illumos message ids: `sshd[123]: [ID 800047 auth.notice] Failed password …`.
    if let Some(r) = msg.strip_prefix("[ID ") {
        if let Some((id, rest)) = r.split_once("] ") {
            if id.split_once(' ').is_some_and(|(n, fac)| text::parse_u32(n).is_some() && fac.contains('.')) {
                msg = rest;
            }
        }
    }
    if let Some(m) = auth::analyze(program.unwrap_or(""), msg, ev) {
        return m;
    }
    if let Some(m) = firewall::analyze(program.unwrap_or(""), msg, ev) {
        return m;
    }
    ev.event_action = Some(Cow::Borrowed(action::LOG_MESSAGE));
    ev.event_outcome = Some(Cow::Borrowed("unknown"));
    Module::Syslog
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::{days_from_civil, format_rfc3339, YearRule, Zone};
    use std::sync::Arc;

    pub fn ctx(year: i64) -> FileCtx {
        FileCtx {
            rel_path: Arc::from("web01/var/log/auth.log"),
            host_hint: Some(Arc::from("web01")),
            year: YearRule::Anchor { local_secs: days_from_civil(year, 12, 31) * 86_400, source: YearSource::Mtime },
            zone: Zone::Utc,
        }
    }

    fn parse(line: &'static str) -> (Module, Event<'static>) {
        let p: &'static SyslogParser = Box::leak(Box::new(SyslogParser { ctx: ctx(2026) }));
        let mut ev = Event::default();
        let m = p.parse(line, &mut ev).expect("parses");
        (m, ev)
    }

    #[test]
    fn solaris_message_ids() {
        let (m, ev) = parse("Jan  5 14:10:05 sol10 sshd[1234]: [ID 800047 auth.notice] Failed password for root from 192.0.2.9 port 4022 ssh2");
        assert_eq!((m, ev.event_action.as_deref()), (Module::Auth, Some("auth.failure")));
        assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.9"));
        let (_, ev) = parse("Jan  5 14:10:06 sol10 sshd[1235]: [ID 800047 auth.info] Accepted publickey for ops from 192.0.2.10 port 4023 ssh2");
        assert_eq!(ev.event_action.as_deref(), Some("auth.success"));
    }

    #[test]
    fn rfc3164_debian() {
        let (m, ev) =
            parse("Dec  5 10:00:01 web01 sshd[1234]: Failed password for root from 203.0.113.7 port 50022 ssh2");
        assert_eq!(m, Module::Auth);
        assert_eq!(format_rfc3339(ev.timestamp), "2026-12-05T10:00:01Z");
        assert_eq!(ev.host_name.as_deref(), Some("web01"));
        assert_eq!(ev.process_name.as_deref(), Some("sshd"));
        assert_eq!(ev.process_pid, Some(1234));
        assert_eq!(ev.year_source.as_deref(), Some("mtime"));
        assert_eq!(ev.event_action.as_deref(), Some("auth.failure"));
    }

    #[test]
    fn with_pri_and_plain_messages() {
        let (m, ev) = parse("<86>Jan 14 03:10:00 db1 CRON[99]: (root) CMD (run-parts /etc/cron.hourly)");
        assert_eq!(m, Module::Syslog);
        assert_eq!(ev.log_level.as_deref(), Some("info"));
        assert_eq!(ev.event_action.as_deref(), Some("cron.command"));
        assert_eq!(ev.process_command_line.as_deref(), Some("run-parts /etc/cron.hourly"));
        let (m, ev) = parse("Jan 14 03:10:00 db1 -- MARK --");
        assert_eq!(m, Module::Syslog);
        assert_eq!(ev.process_name, None);
        assert_eq!(ev.message.as_deref(), Some("-- MARK --"));
        assert_eq!(ev.event_action.as_deref(), Some("log.message"));
    }

    #[test]
    fn rsyslog_iso_high_precision() {
        let (_, ev) = parse("2026-12-20T10:00:01.123456+01:00 web01 sudo[77]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id");
        assert_eq!(format_rfc3339(ev.timestamp), "2026-12-20T09:00:01.123456Z");
        assert_eq!(ev.timestamp_original_offset, Some(60));
        assert_eq!(ev.year_source.as_deref(), Some("line"));
        assert_eq!(ev.event_action.as_deref(), Some("sudo.command"));
    }

    #[test]
    fn rfc5424() {
        let (m, ev) = parse("<38>1 2026-12-20T10:00:01.5Z web02 sshd 4321 - [meta x=\"a]b\"] Accepted publickey for deploy from 2001:db8::7 port 2222 ssh2: ED25519 SHA256:abc");
        assert_eq!(m, Module::Auth);
        assert_eq!(ev.host_name.as_deref(), Some("web02"));
        assert_eq!(ev.process_pid, Some(4321));
        assert_eq!(ev.source_ip.as_deref(), Some("2001:db8::7"));
        assert_eq!(ev.auth_method.as_deref(), Some("publickey"));
        assert_eq!(format_rfc3339(ev.timestamp), "2026-12-20T10:00:01.500000Z");
        let (_, ev) = parse("<38>1 2026-12-20T10:00:01Z - - - - - hello");
        assert_eq!(ev.host_name.as_deref(), Some("web01"), "nil host falls back to the tree's host");
        assert_eq!(ev.message.as_deref(), Some("hello"));
    }

    #[test]
    fn old_rhel_pam_tag_and_repeats() {
        let (m, ev) = parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ");
        assert_eq!(m, Module::Auth);
        assert_eq!(ev.event_action.as_deref(), Some("auth.failure"));
        assert_eq!(ev.source_ip.as_deref(), Some("218.188.2.4"));
        let (_, ev) = parse("Dec 10 09:00:00 LabSZ sshd[5]: message repeated 2 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]");
        assert_eq!(ev.event_count, Some(2));
        assert_eq!(ev.event_action.as_deref(), Some("auth.failure"));
        assert_eq!(ev.user_name.as_deref(), Some("root"));
    }

    #[test]
    fn rejects_without_timestamp() {
        let p = SyslogParser { ctx: ctx(2026) };
        let mut ev = Event::default();
        assert!(p.parse("java.lang.NullPointerException", &mut ev).is_err());
        assert!(p.parse("Feb 30 10:00:00 h x: y", &mut ev).is_err());
    }

    #[test]
    fn tags() {
        assert_eq!(split_tag("kernel: [1.2] x"), (Some("kernel"), None, "[1.2] x"));
        assert_eq!(split_tag("sshd[12]: hi"), (Some("sshd"), Some(12), "hi"));
        assert_eq!(split_tag("no tag here"), (None, None, "no tag here"));
        assert_eq!(split_tag("systemd-logind[5]:"), (Some("systemd-logind"), Some(5), ""));
    }
}
