//! vsftpd's own log (`/var/log/vsftpd.log`, `xferlog_std_format=NO`), as vsftpd's logging.c
//! writes it: a ctime date, the session's pid, the user in brackets once known, then the
//! message.
//!
//! ```text
//! Mon Jan  5 14:10:05 2026 [pid 1234] CONNECT: Client "192.0.2.5"
//! Mon Jan  5 14:10:07 2026 [pid 1233] [alice] FAIL LOGIN: Client "192.0.2.5"
//! Mon Jan  5 14:10:09 2026 [pid 1233] [alice] OK LOGIN: Client "192.0.2.5"
//! ```
//!
//! The message goes through the same table as vsftpd's syslog lines ([`super::auth_table`]).
//! The time carries no zone: it follows the host's zone (vsftpd writes local time with
//! `use_localtime=YES`, GMT otherwise; `--tz` says which).

use std::borrow::Cow;

use super::auth_table::{self, Family};
use super::time::{self, YearSource};
use super::{text, Event, FileCtx, FormatSpec, LineParser, Module, Reject};
use crate::schema::{action, outcome};

pub struct VsftpdSpec;

impl FormatSpec for VsftpdSpec {
    fn id(&self) -> &'static str {
        "vsftpd"
    }
    fn describe(&self) -> &'static str {
        "vsftpd's own log (vsftpd.log): logins, failures and connections with user and client address"
    }
    fn sniff(&self, line: &str) -> bool {
        time::parse_ctime(line.as_bytes()).is_some_and(|(_, used)| line[used..].starts_with(" [pid "))
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        Ok(Box::new(VsftpdParser { ctx: ctx.clone() }))
    }
}

pub struct VsftpdParser {
    ctx: FileCtx,
}

impl LineParser for VsftpdParser {
    fn parse<'a>(&'a self, line: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        let (local, used) = time::parse_ctime(line.as_bytes()).ok_or(Reject::new("no vsftpd timestamp"))?;
        super::set_local_time(ev, &self.ctx.zone, local);
        ev.year_source = Some(Cow::Borrowed(YearSource::Line.as_str()));
        let rest = line[used..].strip_prefix(" [pid ").ok_or(Reject::new("no [pid N] after the vsftpd timestamp"))?;
        let (pid, msg) = rest.split_once("] ").ok_or(Reject::new("no [pid N] after the vsftpd timestamp"))?;
        ev.process_pid = text::parse_u32(pid).map(i64::from);
        ev.process_name = Some(Cow::Borrowed("vsftpd"));
        ev.host_name = self.ctx.host_hint.as_deref().map(Cow::Borrowed);
        ev.message = Some(Cow::Borrowed(msg));
        if auth_table::analyze(Family::Vsftpd, msg, ev).is_some() {
            return Ok(Module::Auth);
        }
        ev.event_action = Some(Cow::Borrowed(action::LOG_MESSAGE));
        ev.event_outcome = Some(Cow::Borrowed(outcome::UNKNOWN));
        Ok(Module::Syslog)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::{format_rfc3339, YearRule, Zone};
    use std::sync::Arc;

    fn parser() -> VsftpdParser {
        VsftpdParser {
            ctx: FileCtx {
                rel_path: Arc::from("ftp01/var/log/vsftpd.log"),
                host_hint: Some(Arc::from("ftp01")),
                year: YearRule::Fixed(2026),
                zone: Zone::Utc,
            },
        }
    }

    #[test]
    fn vsftpd_log_lines() {
        let p = parser();
        assert!(VsftpdSpec.sniff("Mon Jan  5 14:10:05 2026 [pid 1234] CONNECT: Client \"192.0.2.5\""));
        assert!(!VsftpdSpec.sniff("Jan  5 14:10:05 host vsftpd[1]: x"));
        let mut ev = Event::default();
        let line = "Mon Jan  5 14:10:07 2026 [pid 1233] [alice] FAIL LOGIN: Client \"192.0.2.5\"";
        assert_eq!(p.parse(line, &mut ev), Ok(Module::Auth));
        assert_eq!(format_rfc3339(ev.timestamp), "2026-01-05T14:10:07Z");
        assert_eq!((ev.event_action.as_deref(), ev.user_name.as_deref()), (Some("auth.failure"), Some("alice")));
        assert_eq!(
            (ev.source_ip.as_deref(), ev.process_pid, ev.host_name.as_deref()),
            (Some("192.0.2.5"), Some(1233), Some("ftp01"))
        );
        let mut ev = Event::default();
        let line = "Mon Jan  5 14:10:09 2026 [pid 1233] [alice] OK LOGIN: Client \"::ffff:192.0.2.5\"";
        assert_eq!(p.parse(line, &mut ev), Ok(Module::Auth));
        assert_eq!((ev.event_action.as_deref(), ev.source_ip.as_deref()), (Some("auth.success"), Some("192.0.2.5")));
        let mut ev = Event::default();
        let line = "Mon Jan  5 14:11:00 2026 [pid 1235] [alice] OK DOWNLOAD: Client \"192.0.2.5\", \"/etc/issue\", 26 bytes, 51.32Kbyte/sec";
        assert_eq!(p.parse(line, &mut ev), Ok(Module::Syslog));
        assert_eq!(ev.event_action.as_deref(), Some("log.message"));
        assert!(p.parse("Mon Feb 30 14:11:00 2026 [pid 1] x", &mut Event::default()).is_err());
        assert!(p.parse("garbage", &mut Event::default()).is_err());
    }
}
