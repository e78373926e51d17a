//! Entries in the shape `journalctl -o json` writes (systemd `output_json`): every value a
//! string, a non-UTF-8 value an array of bytes, a repeated field an array of values.

use super::*;
use crate::parse::time::{format_rfc3339, YearRule, Zone};
use crate::schema::action;
use std::sync::Arc;

fn p() -> &'static JournalParser {
    Box::leak(Box::new(JournalParser {
        ctx: FileCtx {
            rel_path: Arc::from("system.journal"),
            host_hint: Some(Arc::from("hint")),
            year: YearRule::Fixed(2026),
            zone: Zone::Utc,
        },
    }))
}

const SSHD: &str = r#"{ "__CURSOR" : "s=e991dd5775894620914f2f7126aae6c1;i=372a;b=0dc874d3fbd44bdbb6fbcfaa27481492;m=24ea327;t=573f280a663fd;x=9ceeb77ef4331563", "__REALTIME_TIMESTAMP" : "1767225600250000", "__MONOTONIC_TIMESTAMP" : "38708007", "_BOOT_ID" : "0dc874d3fbd44bdbb6fbcfaa27481492", "PRIORITY" : "6", "_HOSTNAME" : "deb12", "SYSLOG_FACILITY" : "4", "_UID" : "0", "_GID" : "0", "_TRANSPORT" : "syslog", "SYSLOG_IDENTIFIER" : "sshd", "SYSLOG_PID" : "812", "_PID" : "812", "_COMM" : "sshd", "_EXE" : "/usr/sbin/sshd", "_CMDLINE" : "sshd: root [priv]", "_SYSTEMD_UNIT" : "ssh.service", "MESSAGE" : "Failed password for root from 203.0.113.9 port 4711 ssh2" }"#;

#[test]
fn sshd_entry_means_what_its_auth_log_line_means() {
    let mut ev = Event::default();
    assert_eq!(p().parse(SSHD, &mut ev), Ok(Module::Auth));
    assert_eq!(format_rfc3339(ev.timestamp), "2026-01-01T00:00:00.250000Z");
    assert_eq!(ev.event_action.as_deref(), Some(action::AUTH_FAILURE));
    assert_eq!(ev.user_name.as_deref(), Some("root"));
    assert_eq!(ev.source_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(ev.host_name.as_deref(), Some("deb12"));
    assert_eq!(ev.process_name.as_deref(), Some("sshd"));
    assert_eq!(ev.process_pid, Some(812));
    assert_eq!(ev.log_level.as_deref(), Some("info"));
    assert_eq!(ev.host_boot_id.as_deref(), Some("0dc874d3fbd44bdbb6fbcfaa27481492"));
    assert_eq!(ev.user_id.as_deref(), Some("0"));
    assert_eq!(ev.systemd_unit.as_deref(), Some("ssh.service"));
    assert_eq!(ev.journal_transport.as_deref(), Some("syslog"));
    assert_eq!(ev.process_executable.as_deref(), Some("/usr/sbin/sshd"));
    assert_eq!(ev.process_command_line.as_deref(), Some("sshd: root [priv]"));
    assert!(ev.log_record_id.as_deref().unwrap().starts_with("s=e991dd57"));
    assert_eq!(ev.year_source.as_deref(), Some("line"));
}

#[test]
fn source_time_escapes_bytes_and_fallbacks() {
    // _SOURCE_REALTIME_TIMESTAMP wins; an escaped message is analyzed from an owned copy.
    let line = r#"{"__REALTIME_TIMESTAMP":"1767225609000000","_SOURCE_REALTIME_TIMESTAMP":"1767225600000001","_COMM":"sudo","MESSAGE":"  alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/bash -c \"id\""}"#;
    let mut ev = Event::default();
    assert_eq!(p().parse(line, &mut ev), Ok(Module::Auth));
    assert_eq!(ev.timestamp, 1767225600000001);
    assert_eq!(ev.event_action.as_deref(), Some(action::SUDO_COMMAND));
    assert_eq!(ev.process_command_line.as_deref(), Some("/usr/bin/bash -c \"id\""));
    assert_eq!(ev.host_name.as_deref(), Some("hint"), "no _HOSTNAME: the evidence layout's host");
    // A non-UTF-8 MESSAGE is an array of bytes.
    let mut ev = Event::default();
    let line = r#"{"__REALTIME_TIMESTAMP":"1767225600000000","SYSLOG_IDENTIFIER":"app","MESSAGE":[104,105,255]}"#;
    assert_eq!(p().parse(line, &mut ev), Ok(Module::Syslog));
    assert_eq!(ev.message.as_deref(), Some("hi\u{fffd}"));
    assert_eq!(
        p().parse(r#"{"MESSAGE":"no time"}"#, &mut Event::default()).unwrap_err().reason,
        "journal entry without __REALTIME_TIMESTAMP"
    );
    assert!(p().parse("{not json", &mut Event::default()).is_err());
}

#[test]
fn sniffing_prefers_journal_json_over_plain_json() {
    assert_eq!(crate::parse::sniff_format(&[SSHD]).map(|f| f.id()), Some("journal_json"));
    assert!(looks_like_export(b"__CURSOR=s=1;i=2\n"));
    assert!(!looks_like_export(b"Dec  5 10:00:01 h x"));
}
