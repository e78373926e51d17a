//! Today's Linux evidence for the sample: a journal-only Debian 12 host (`app01`, its journal
//! collected as `journalctl -o export`) and auditd's `audit.log` on `db01`.
//!
//! The shapes follow the programs, not logsleuth: export entries carry the fields journald
//! stores for a syslog-transport message (`systemd.journal-fields(7)`); audit records follow
//! the kernel (`SYSCALL`, `EXECVE`, `CWD`, `PROCTITLE`, `EOE`), libaudit's
//! `audit_log_acct_message` (`USER_*`, `CRED_*`) and sudo's `USER_CMD` (hex `cmd=`).

use super::write::LogFile;

/// The machine and boot ids of app01.
pub const APP01_MACHINE: &str = "5f3c1e2a9b7d4c6e8f0a1b2c3d4e5f60";
pub const APP01_BOOT: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// A journal collected as `journalctl -o export`: entries are rendered in time order, so
/// their sequence numbers rise through the file as journald's do.
#[derive(Default)]
pub struct Journal {
    entries: Vec<(i64, u64, String, String, u32, u8, String)>,
}

impl Journal {
    /// One syslog-transport entry (what journald stores for `openlog`/`syslog(3)` callers).
    #[allow(clippy::too_many_arguments)] // one argument per field of the entry
    pub fn syslog(&mut self, t: i64, micros: u32, host: &str, prog: &str, pid: u32, priority: u8, msg: &str) {
        let n = self.entries.len() as u64;
        self.entries.push((t * 1_000_000 + micros as i64, n, host.into(), prog.into(), pid, priority, msg.into()));
    }

    /// The export stream, one entry per "line" of the log file.
    pub fn into_log(mut self) -> LogFile {
        self.entries.sort_by_key(|e| (e.0, e.1));
        let mut log = LogFile::default();
        for (seqnum, (us, _, host, prog, pid, priority, msg)) in self.entries.into_iter().enumerate() {
            let seqnum = seqnum as u64 + 1;
            // Monotonic time since a boot on 2025-12-01.
            let mono = us - 1_764_547_200_000_000;
            let xor = (us as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ seqnum;
            let cursor =
                format!("s=0c5d7e9f1a2b3c4d5e6f708192a3b4c5;i={seqnum:x};b={APP01_BOOT};m={mono:x};t={us:x};x={xor:x}");
            let (exe, unit) = match prog.as_str() {
                "sshd" => ("/usr/sbin/sshd", "ssh.service"),
                "CRON" => ("/usr/sbin/cron", "cron.service"),
                _ => ("/usr/lib/systemd/systemd", "init.scope"),
            };
            let entry = format!(
                "__CURSOR={cursor}\n__REALTIME_TIMESTAMP={us}\n__MONOTONIC_TIMESTAMP={mono}\n_BOOT_ID={APP01_BOOT}\n\
                 _MACHINE_ID={APP01_MACHINE}\n_HOSTNAME={host}\n_TRANSPORT=syslog\nPRIORITY={priority}\nSYSLOG_FACILITY=10\n\
                 SYSLOG_IDENTIFIER={prog}\nSYSLOG_PID={pid}\n_PID={pid}\n_UID=0\n_GID=0\n_COMM={}\n_EXE={exe}\n\
                 _SYSTEMD_UNIT={unit}\nMESSAGE={msg}\n",
                prog.to_lowercase()
            );
            log.push(us.div_euclid(1_000_000), entry);
        }
        log
    }
}

/// auditd's `audit.log` in the ENRICHED format (RHEL 8 and later: `log_format = ENRICHED`),
/// where each record ends with `\x1d` and the ids resolved to names.
#[derive(Default)]
pub struct Audit {
    pub log: LogFile,
    serial: u64,
}

/// Hex as auditd writes an encoded value (upper case).
fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02X}")).collect()
}

/// An argument as the kernel logs it: quoted, or hex when it holds a space, a quote or a
/// control character.
fn arg(a: &str) -> String {
    if a.bytes().any(|b| b <= b' ' || b == b'"' || b == b'\'' || b >= 0x7f) {
        hex(a)
    } else {
        format!("\"{a}\"")
    }
}

/// The user name of a uid as db01's /etc/passwd has it (`unset` for 4294967295, as auditd).
fn name(uid: Option<u32>) -> &'static str {
    match uid {
        None => "unset",
        Some(0) => "root",
        Some(1000) => "alice",
        Some(1002) => "deploy",
        Some(_) => "nobody",
    }
}

impl Audit {
    fn id(&mut self, t: i64, millis: u32) -> String {
        self.serial += 1;
        format!("{t}.{millis:03}:{}", 180_000 + self.serial)
    }

    /// A user-space record (`USER_LOGIN`, `USER_CMD`, `CRED_ACQ`, …) from `pid`.
    #[allow(clippy::too_many_arguments)] // one argument per field of the record
    pub fn user(
        &mut self,
        t: i64,
        millis: u32,
        kind: &str,
        pid: u32,
        uid: u32,
        auid: Option<u32>,
        ses: Option<u32>,
        inner: &str,
    ) {
        let id = self.id(t, millis);
        let auid_n = auid;
        // An inner `id=N` (sshd's USER_LOGIN) is resolved too.
        let id_name = inner
            .split(' ')
            .find_map(|w| w.strip_prefix("id="))
            .and_then(|n| n.parse().ok())
            .map_or(String::new(), |n| format!(" ID=\"{}\"", name(Some(n))));
        let auid = auid.map_or("4294967295".to_string(), |a| a.to_string());
        let ses = ses.map_or("4294967295".to_string(), |s| s.to_string());
        self.log.push(
            t,
            format!(
                "type={kind} msg=audit({id}): pid={pid} uid={uid} auid={auid} ses={ses} subj=system_u:system_r:unconfined_service_t:s0 msg='{inner}'\x1dUID=\"{}\" AUID=\"{}\"{id_name}",
                name(Some(uid)),
                name(auid_n)
            ),
        );
    }

    /// A kernel execve event: SYSCALL, EXECVE, CWD, PATH, PROCTITLE, EOE (rules `-k exec`).
    #[allow(clippy::too_many_arguments)] // one argument per field of the record
    pub fn execve(
        &mut self,
        t: i64,
        millis: u32,
        pid: u32,
        ppid: u32,
        uid: u32,
        auid: Option<u32>,
        ses: Option<u32>,
        exe: &str,
        cwd: &str,
        args: &[&str],
    ) {
        let id = self.id(t, millis);
        let (user, login) = (name(Some(uid)), name(auid));
        let auid = auid.map_or("4294967295".to_string(), |a| a.to_string());
        let ses = ses.map_or("4294967295".to_string(), |s| s.to_string());
        let comm = exe.rsplit('/').next().unwrap_or(exe);
        let tty = if ses == "4294967295" { "(none)" } else { "pts0" };
        let argv: Vec<String> = args.iter().enumerate().map(|(i, a)| format!("a{i}={}", arg(a))).collect();
        let lines = [
            format!("type=SYSCALL msg=audit({id}): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c2a4e0 a1=55d0c2a520 a2=55d0c2a560 a3=8 items=2 ppid={ppid} pid={pid} auid={auid} uid={uid} gid={uid} euid={uid} suid={uid} fsuid={uid} egid={uid} sgid={uid} fsgid={uid} tty={tty} ses={ses} comm=\"{comm}\" exe=\"{exe}\" subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023 key=\"exec\"\x1dARCH=x86_64 SYSCALL=execve AUID=\"{login}\" UID=\"{user}\" GID=\"{user}\" EUID=\"{user}\" SUID=\"{user}\" FSUID=\"{user}\" EGID=\"{user}\" SGID=\"{user}\" FSGID=\"{user}\""),
            format!("type=EXECVE msg=audit({id}): argc={} {}", args.len(), argv.join(" ")),
            format!("type=CWD msg=audit({id}): cwd=\"{cwd}\""),
            format!("type=PATH msg=audit({id}): item=0 name=\"{exe}\" inode=1837{pid} dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 obj=system_u:object_r:bin_t:s0 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0\x1dOUID=\"root\" OGID=\"root\""),
            format!("type=PROCTITLE msg=audit({id}): proctitle={}", hex(&args.join("\0"))),
            format!("type=EOE msg=audit({id}): "),
        ];
        for l in lines {
            self.log.push(t, l);
        }
    }

    /// An sshd login and its PAM session (publickey: no USER_AUTH record).
    pub fn ssh_login(&mut self, t: i64, pid: u32, user: &str, uid: u32, ses: u32, addr: &str) {
        let acct = format!("acct=\"{user}\" exe=\"/usr/sbin/sshd\" hostname={addr} addr={addr} terminal=ssh");
        self.user(
            t,
            10,
            "USER_ACCT",
            pid,
            0,
            None,
            None,
            &format!("op=PAM:accounting grantors=pam_unix,pam_localuser {acct} res=success"),
        );
        self.user(
            t,
            20,
            "CRED_ACQ",
            pid,
            0,
            None,
            None,
            &format!("op=PAM:setcred grantors=pam_unix {acct} res=success"),
        );
        // The kernel's LOGIN record (pam_loginuid setting the login uid): no inner msg.
        let id = self.id(t, 40);
        self.log.push(t, format!("type=LOGIN msg=audit({id}): pid={pid} uid=0 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 old-auid=4294967295 auid={uid} tty=(none) old-ses=4294967295 ses={ses} res=1\x1dUID=\"root\" OLD-AUID=\"unset\" AUID=\"{user}\""));
        self.user(
            t,
            60,
            "USER_START",
            pid,
            0,
            Some(uid),
            Some(ses),
            &format!("op=PAM:session_open grantors=pam_selinux,pam_loginuid,pam_unix {acct} res=success"),
        );
        self.user(
            t,
            80,
            "USER_LOGIN",
            pid,
            0,
            Some(uid),
            Some(ses),
            &format!(
                "op=login id={uid} exe=\"/usr/sbin/sshd\" hostname={addr} addr={addr} terminal=/dev/pts/0 res=success"
            ),
        );
    }

    /// sudo running `cmd` for `user` in session `ses`: its USER_CMD record, then the execve.
    #[allow(clippy::too_many_arguments)] // one argument per field of the record
    pub fn sudo(&mut self, t: i64, pid: u32, uid: u32, ses: u32, cwd: &str, exe: &str, args: &[&str]) {
        let cmd = hex(&args.join(" "));
        self.user(
            t,
            100,
            "USER_CMD",
            pid,
            uid,
            Some(uid),
            Some(ses),
            &format!("cwd=\"{cwd}\" cmd={cmd} exe=\"/usr/bin/sudo\" terminal=pts/0 res=success"),
        );
        self.execve(t, 300, pid + 1, pid, 0, Some(uid), Some(ses), exe, cwd, args);
    }
}
