//! Meaning of authentication, session and account-management syslog messages: sshd, PAM,
//! sudo, su, login, shadow-utils (useradd/usermod/userdel/group*/passwd/chpasswd/gpasswd/
//! chage), systemd-logind, crontab and CRON. Each known message shape becomes a normalized
//! `event_action` with outcome, users, peer and port; shapes are matched with prefix and
//! separator scans on the message, not regexes.
//!
//! Counting note for the detectors: sshd's own `Failed …` line and PAM's `authentication
//! failure` line describe the same attempt; both are `auth.failure`, told apart by
//! `auth_method` (`pam` for PAM's line), so a rule can count an attempt once.

use std::borrow::Cow;

use super::auth_table::{self, Family};
use super::text;
use super::{Event, Module};
use crate::schema::action as a;

const AUTH_PROGRAMS: &[&str] = &[
    "sshd",
    "sshd-session",
    "sshd-auth",
    "sudo",
    "su",
    "login",
    "passwd",
    "chpasswd",
    "chage",
    "useradd",
    "usermod",
    "userdel",
    "groupadd",
    "groupdel",
    "groupmod",
    "gpasswd",
    "newusers",
    "chfn",
    "chsh",
    "systemd-logind",
    "polkitd",
    "pkexec",
    "unix_chkpwd",
    "crontab",
    "vsftpd",
    "dovecot",
];

use super::set_action as set;

#[inline]
fn b(s: &str) -> Option<Cow<'_, str>> {
    Some(Cow::Borrowed(s))
}

use auth_table::set_peer;

/// Returns the module when the message is an auth/session/account message.
pub fn analyze<'a>(program: &'a str, msg: &'a str, ev: &mut Event<'a>) -> Option<Module> {
    // Old RHEL tags: `sshd(pam_unix)[pid]: authentication failure; …`
    if let Some((base, module)) = program.split_once('(') {
        if module.starts_with("pam_") {
            ev.process_name = b(base);
            pam(base, "auth", msg, ev);
            return Some(Module::Auth);
        }
    }
    if let Some(rest) = msg.strip_prefix("pam_") {
        if let Some((_module, r)) = rest.split_once('(') {
            if let Some((svc, r)) = r.split_once("): ") {
                let (service, kind) = svc.split_once(':').unwrap_or((svc, ""));
                pam(service, kind, r, ev);
                return Some(Module::Auth);
            }
        }
    }
    if let Some(family) = Family::of(program) {
        from_table(family, msg, ev);
        return Some(Module::Auth);
    }
    match program {
        "sudo" => sudo(msg, ev),
        "systemd-logind" => logind(msg, ev),
        "crontab" => crontab(msg, ev),
        "CRON" | "cron" | "crond" => {
            cron(msg, ev);
            return Some(Module::Syslog);
        }
        "unix_chkpwd" => {
            if let Some(r) = msg.strip_prefix("password check failed for user (") {
                set(ev, a::AUTH_CHECK_FAILED, "failure", "authentication");
                ev.user_name = b(r.trim_end_matches(')'));
            }
        }
        p if AUTH_PROGRAMS.contains(&p) => account(p, msg, ev),
        _ => return None,
    }
    if ev.event_action.is_none() {
        set(ev, a::LOG_MESSAGE, "unknown", "authentication");
    }
    Some(Module::Auth)
}

/// Reads a message of a daemon whose shapes are in the [`auth_table`]: OpenSSH, Dropbear,
/// login, su and the FTP servers. An OpenSSH close marked `[preauth]` is a pre-authentication
/// close; PAM's summary line keeps its key/value fields.
fn from_table<'a>(family: Family, msg: &'a str, ev: &mut Event<'a>) {
    let (core, preauth) = match family {
        Family::Sshd => auth_table::sshd_core(msg),
        _ => (msg, false),
    };
    let Some(shape) = auth_table::analyze(family, core, ev) else {
        set(ev, a::LOG_MESSAGE, "unknown", "authentication");
        return;
    };
    match shape.action {
        a::SSH_DISCONNECT if preauth => ev.event_action = b(a::SSH_PREAUTH_CLOSE),
        a::AUTH_FAILURE_SUMMARY => pam_fields(core, ev),
        a::SSH_CONNECTION if family == Family::Sshd => {
            // `Connection from ADDR port N on LADDR port M …`: the local end.
            if let Some((_, local)) = core.split_once(" on ") {
                let (dip, rest) = text::token(local);
                ev.destination_ip = text::ip(dip);
                if let Some(p) = rest.strip_prefix("port ") {
                    ev.destination_port = text::parse_port(text::token(p).0);
                }
            }
        }
        _ => {}
    }
}

/// `rhost=` and `user=` (else `ruser=`) of a PAM key/value message.
fn pam_fields<'a>(r: &'a str, ev: &mut Event<'a>) {
    if let Some(h) = text::kv(r, "rhost").filter(|h| !h.is_empty()) {
        set_peer(ev, h);
    }
    if let Some(u) = text::kv(r, "user").filter(|u| !u.is_empty()) {
        ev.user_name = b(u);
    } else if let Some(u) = text::kv(r, "ruser").filter(|u| !u.is_empty()) {
        ev.user_name = b(u);
    }
}

/// `pam_unix(service:kind): msg` and the old `service(pam_unix)` tag.
fn pam<'a>(service: &'a str, kind: &str, msg: &'a str, ev: &mut Event<'a>) {
    if let Some(r) = msg.strip_prefix("authentication failure;") {
        let action = match service {
            "sudo" => a::SUDO_AUTH_FAILURE,
            "su" | "su-l" => a::SU_FAILURE,
            _ => a::AUTH_FAILURE,
        };
        set(ev, action, "failure", "authentication");
        ev.auth_method = b("pam");
        pam_fields(r, ev);
        if service == "sudo" || service.starts_with("su") {
            if let Some(u) = text::kv(r, "ruser").or_else(|| text::kv(r, "logname")).filter(|u| !u.is_empty()) {
                ev.user_name = b(u);
            }
        }
    } else if msg.starts_with("check pass; user unknown") {
        set(ev, a::AUTH_UNKNOWN_USER, "failure", "authentication");
        ev.auth_method = b("pam");
    } else if let Some(r) = msg.strip_prefix("session opened for user ") {
        set(ev, a::SESSION_OPEN, "success", "session");
        let (user, by) = r.split_once(" by ").unwrap_or((r, ""));
        let user = strip_uid(user);
        let by = strip_uid(by.trim());
        if matches!(service, "sudo" | "su" | "su-l" | "sudo-i" | "runuser" | "runuser-l") && !by.is_empty() {
            ev.user_name = b(by);
            ev.user_target_name = b(user);
        } else {
            ev.user_name = b(user);
        }
    } else if let Some(r) = msg.strip_prefix("session closed for user ") {
        set(ev, a::SESSION_CLOSE, "success", "session");
        ev.user_name = b(strip_uid(r.trim()));
    } else if let Some(r) = msg.strip_prefix("password changed for ") {
        set(ev, a::PASSWORD_CHANGE, "success", "iam");
        ev.user_target_name = b(r.trim());
    } else if kind == "chauthtok" && msg.starts_with("authentication failure") {
        set(ev, a::PASSWORD_CHANGE, "failure", "iam");
    } else if let Some(n) = msg.split_once(" more authentication failure").and_then(|(n, _)| text::parse_u32(n)) {
        // pam_unix's own summary (`sshd(pam_unix)[pid]: 2 more authentication failures; …`).
        set(ev, a::AUTH_FAILURE_SUMMARY, "failure", "authentication");
        ev.auth_method = b("pam");
        ev.event_count = Some(n.min(i32::MAX as u32) as i32);
        pam_fields(msg, ev);
    } else if auth_table::analyze(Family::Pam, msg, ev).is_none() {
        set(ev, a::LOG_MESSAGE, "unknown", "authentication");
    }
}

/// `alice(uid=1000)` → `alice`; `(uid=0)` → ``.
fn strip_uid(s: &str) -> &str {
    match s.find('(') {
        Some(i) => &s[..i],
        None => s,
    }
}

/// sudo: `alice : TTY=pts/0 ; PWD=/x ; USER=root ; COMMAND=/bin/id`, and the failure shapes
/// `alice : 3 incorrect password attempts ; …`, `alice : user NOT in sudoers ; …`.
fn sudo<'a>(msg: &'a str, ev: &mut Event<'a>) {
    let Some((user, rest)) = msg.split_once(" : ") else { return };
    ev.user_name = b(user.trim());
    let (head, command) = match rest.find("COMMAND=") {
        Some(i) => (&rest[..i], Some(&rest[i + 8..])),
        None => (rest, None),
    };
    ev.process_command_line = command.map(|c| Cow::Borrowed(c.trim()));
    let mut problem: Option<&str> = None;
    for item in head.split(" ; ") {
        let item = item.trim();
        if let Some(u) = item.strip_prefix("USER=") {
            ev.user_target_name = b(u);
        } else if !item.is_empty() && !item.contains('=') {
            problem = Some(item);
        }
    }
    match problem {
        None => set(ev, a::SUDO_COMMAND, "success", "process"),
        Some(p) if p.contains("incorrect password attempt") => {
            set(ev, a::SUDO_FAILURE, "failure", "authentication");
            if let Some(n) = text::parse_u32(text::token(p).0) {
                ev.event_count = Some(n.min(1000) as i32);
            }
        }
        Some(p) if p.contains("NOT in sudoers") || p.contains("not allowed") || p.contains("NOT allowed") => {
            set(ev, a::SUDO_DENIED, "failure", "authentication")
        }
        Some(_) => set(ev, a::SUDO_FAILURE, "failure", "authentication"),
    }
}

fn logind<'a>(msg: &'a str, ev: &mut Event<'a>) {
    if let Some(r) = msg.strip_prefix("New session ") {
        set(ev, a::SESSION_NEW, "success", "session");
        if let Some((_, u)) = r.split_once(" of user ") {
            ev.user_name = b(u.trim_end_matches('.'));
        }
    } else if msg.starts_with("Removed session ") {
        set(ev, a::SESSION_REMOVED, "success", "session");
    } else if msg.starts_with("Session ") && msg.contains(" logged out") {
        set(ev, a::SESSION_LOGOUT, "success", "session");
    }
}

/// `(root) REPLACE (alice)`, `(root) BEGIN EDIT (root)`, `(root) END EDIT (root)`, `(root) LIST (root)`.
fn crontab<'a>(msg: &'a str, ev: &mut Event<'a>) {
    let Some(r) = msg.strip_prefix('(') else { return };
    let Some((user, rest)) = r.split_once(") ") else { return };
    ev.user_name = b(user);
    let target = rest.rsplit_once('(').map(|(_, t)| t.trim_end_matches(')'));
    ev.user_target_name = target.map(Cow::Borrowed);
    if rest.starts_with("REPLACE") || rest.starts_with("DELETE") {
        set(ev, a::CRONTAB_CHANGE, "success", "configuration");
    } else if rest.starts_with("BEGIN EDIT") {
        set(ev, a::CRONTAB_EDIT, "success", "configuration");
    }
}

/// CRON: `(root) CMD (command)`.
fn cron<'a>(msg: &'a str, ev: &mut Event<'a>) {
    if let Some(r) = msg.strip_prefix('(') {
        if let Some((user, rest)) = r.split_once(") ") {
            if let Some(cmd) = rest.strip_prefix("CMD (") {
                set(ev, a::CRON_COMMAND, "success", "process");
                ev.user_name = b(user);
                ev.process_command_line = b(cmd.strip_suffix(')').unwrap_or(cmd));
                return;
            }
        }
    }
    set(ev, a::LOG_MESSAGE, "unknown", "process");
}

/// shadow-utils and friends.
fn account<'a>(program: &str, msg: &'a str, ev: &mut Event<'a>) {
    let quoted = |s: &'a str| -> Option<&'a str> { s.strip_prefix('\'').and_then(|s| s.split('\'').next()) };
    let field = |s: &'a str, key: &str| -> Option<&'a str> {
        s.split(", ").find_map(|kv| kv.trim().strip_prefix(key)?.strip_prefix('='))
    };
    if let Some(r) = msg.strip_prefix("new user: ") {
        set(ev, a::ACCOUNT_CREATE, "success", "iam");
        ev.user_target_name = field(r, "name").map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("new group: ") {
        set(ev, a::GROUP_CREATE, "success", "iam");
        ev.group_name = field(r, "name").map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("delete user ") {
        set(ev, a::ACCOUNT_DELETE, "success", "iam");
        ev.user_target_name = quoted(r).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("removed group ") {
        set(ev, a::GROUP_DELETE, "success", "iam");
        ev.group_name = quoted(r).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("group ").filter(|r| r.starts_with('\'') && r.ends_with(" removed")) {
        set(ev, a::GROUP_DELETE, "success", "iam");
        ev.group_name = quoted(r).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("add ").filter(|_| msg.contains(" to group ")) {
        set(ev, a::GROUP_MEMBER_ADD, "success", "iam");
        ev.user_target_name = quoted(r).map(Cow::Borrowed);
        ev.group_name = r.split_once(" to group ").and_then(|(_, g)| quoted(g)).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("delete ").filter(|_| msg.contains(" from group ")) {
        set(ev, a::GROUP_MEMBER_REMOVE, "success", "iam");
        ev.user_target_name = quoted(r).map(Cow::Borrowed);
        ev.group_name = r.split_once(" from group ").and_then(|(_, g)| quoted(g)).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("user ").filter(|_| program == "gpasswd") {
        // gpasswd: `user alice added by root to group sudo`, `user alice removed by root from group sudo`
        let (user, rest) = text::token(r);
        ev.user_target_name = b(user);
        if let Some((by, g)) = rest.strip_prefix("added by ").and_then(|x| x.split_once(" to group ")) {
            set(ev, a::GROUP_MEMBER_ADD, "success", "iam");
            ev.user_name = b(by);
            ev.group_name = b(g);
        } else if let Some((by, g)) = rest.strip_prefix("removed by ").and_then(|x| x.split_once(" from group ")) {
            set(ev, a::GROUP_MEMBER_REMOVE, "success", "iam");
            ev.user_name = b(by);
            ev.group_name = b(g);
        }
    } else if let Some(r) = msg.strip_prefix("change user ") {
        let target = quoted(r);
        ev.user_target_name = target.map(Cow::Borrowed);
        if msg.ends_with(" password") {
            set(ev, a::PASSWORD_CHANGE, "success", "iam");
        } else {
            set(ev, a::ACCOUNT_MODIFY, "success", "iam");
        }
    } else if let Some(r) = msg.strip_prefix("lock user ").or_else(|| msg.strip_prefix("unlock user ")) {
        set(ev, a::ACCOUNT_MODIFY, "success", "iam");
        ev.user_target_name = quoted(r).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("password for ") {
        // passwd (shadow 4.8+): `password for 'alice' changed by 'root'`
        set(ev, a::PASSWORD_CHANGE, "success", "iam");
        ev.user_target_name = quoted(r).map(Cow::Borrowed);
        if let Some((_, by)) = r.split_once(" by ") {
            ev.user_name = quoted(by).map(Cow::Borrowed);
        }
    } else if let Some(r) = msg.strip_prefix("group changed in ") {
        set(ev, a::GROUP_MODIFY, "success", "iam");
        ev.group_name = r.split_once("(group ").map(|(_, g)| Cow::Borrowed(g.split('/').next().unwrap_or(g)));
    } else if let Some(r) = msg.strip_prefix("changed password expiry for ") {
        set(ev, a::ACCOUNT_MODIFY, "success", "iam");
        ev.user_target_name = b(r.trim());
    } else {
        set(ev, a::LOG_MESSAGE, "unknown", "iam");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(program: &'static str, msg: &'static str) -> Event<'static> {
        let mut ev = Event::default();
        assert!(analyze(program, msg, &mut ev).is_some(), "{program}: {msg}");
        ev
    }
    fn a<'e>(ev: &'e Event<'_>) -> (&'e str, &'e str) {
        (ev.event_action.as_deref().unwrap(), ev.event_outcome.as_deref().unwrap())
    }

    #[test]
    fn sshd_password_and_invalid_users() {
        let ev = run("sshd", "Failed password for invalid user admin from 203.0.113.7 port 50022 ssh2");
        assert_eq!(a(&ev), ("auth.failure", "failure"));
        assert_eq!(ev.user_name.as_deref(), Some("admin"));
        assert_eq!(ev.source_ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.source_port, Some(50022));
        assert_eq!(ev.auth_method.as_deref(), Some("password"));
        let ev = run("sshd", "Failed password for invalid user  from 203.0.113.7 port 1 ssh2");
        assert_eq!(ev.user_name.as_deref(), Some(""));
        let ev = run("sshd", "Invalid user oracle from 198.51.100.9 port 4242");
        assert_eq!(a(&ev), ("auth.invalid_user", "failure"));
        assert_eq!(ev.user_name.as_deref(), Some("oracle"));
        let ev = run("sshd", "Invalid user webmaster from 173.234.31.186");
        assert_eq!(ev.source_ip.as_deref(), Some("173.234.31.186"));
        let ev = run("sshd-session", "Accepted publickey for deploy from 10.0.0.9 port 51000 ssh2: ED25519 SHA256:xyz");
        assert_eq!(a(&ev), ("auth.success", "success"));
        assert_eq!(ev.auth_method.as_deref(), Some("publickey"));
        let ev = run("sshd", "Failed keyboard-interactive/pam for root from ::ffff:192.0.2.1 port 22 ssh2");
        assert_eq!(ev.auth_method.as_deref(), Some("keyboard-interactive/pam"));
        assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.1"));
        let ev = run("sshd", "Failed none for invalid user x from 192.0.2.1 port 22 ssh2");
        assert_eq!(ev.auth_method.as_deref(), Some("none"));
    }

    #[test]
    fn sshd_preauth_and_limits() {
        let ev = run(
            "sshd",
            "error: maximum authentication attempts exceeded for root from 192.0.2.5 port 40000 ssh2 [preauth]",
        );
        assert_eq!(a(&ev), ("auth.max_attempts", "failure"));
        assert_eq!(ev.user_name.as_deref(), Some("root"));
        assert_eq!(ev.source_port, Some(40000));
        let ev = run("sshd", "Disconnecting: Too many authentication failures for admin [preauth]");
        assert_eq!(a(&ev).0, "auth.max_attempts");
        let ev = run(
            "sshd",
            "Disconnecting invalid user test 192.0.2.5 port 40001: Too many authentication failures [preauth]",
        );
        assert_eq!(
            (a(&ev).0, ev.user_name.as_deref(), ev.source_ip.as_deref()),
            ("auth.max_attempts", Some("test"), Some("192.0.2.5"))
        );
        let ev = run("sshd", "Received disconnect from 192.0.2.5 port 40002:11: Bye Bye [preauth]");
        assert_eq!((a(&ev).0, ev.source_port), ("ssh.preauth_close", Some(40002)));
        let ev = run("sshd", "Received disconnect from 10.0.0.9 port 40002:11: disconnected by user");
        assert_eq!(a(&ev).0, "ssh.disconnect");
        let ev = run("sshd", "Received disconnect from 139.59.209.18: 11: Bye Bye [preauth]");
        assert_eq!(ev.source_ip.as_deref(), Some("139.59.209.18"));
        let ev = run("sshd", "Connection closed by authenticating user root 192.0.2.5 port 40003 [preauth]");
        assert_eq!((ev.user_name.as_deref(), ev.source_ip.as_deref()), (Some("root"), Some("192.0.2.5")));
        let ev = run("sshd", "Did not receive identification string from 192.0.2.6 port 5555");
        assert_eq!(a(&ev).0, "ssh.no_identification");
        let ev = run("sshd", "reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!");
        assert_eq!(
            (ev.source_domain.as_deref(), ev.source_ip.as_deref()),
            (Some("ns.example.com"), Some("173.234.31.186"))
        );
        let ev = run("sshd", "Connection from 192.0.2.7 port 6000 on 10.0.0.2 port 22 rdomain \"\"");
        assert_eq!((ev.destination_ip.as_deref(), ev.destination_port), (Some("10.0.0.2"), Some(22)));
        let ev = run("sshd", "something new in openssh 11");
        assert_eq!(a(&ev), ("log.message", "unknown"));
    }

    #[test]
    fn pam_summaries_and_module_lines() {
        let ev = run(
            "sshd",
            "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=218.65.30.43  user=root",
        );
        assert_eq!(
            (a(&ev).0, ev.event_count, ev.user_name.as_deref()),
            ("auth.failure_summary", Some(2), Some("root"))
        );
        assert_eq!(ev.source_ip.as_deref(), Some("218.65.30.43"));
        let ev = run("sshd(pam_unix)", "2 more authentication failures; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=211.214.161.141  user=root");
        assert_eq!(
            (a(&ev).0, ev.event_count, ev.source_ip.as_deref()),
            ("auth.failure_summary", Some(2), Some("211.214.161.141"))
        );
        let ev = run(
            "sshd(pam_unix)",
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=061092085098.ctinets.com",
        );
        assert_eq!((a(&ev).0, ev.source_domain.as_deref()), ("auth.failure", Some("061092085098.ctinets.com")));
        let ev =
            run("sshd", "pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked");
        assert_eq!((a(&ev).0, ev.user_name.as_deref()), ("account.locked", Some("root")));
        let ev = run("sshd", "pam_tally2(sshd:auth): user root (0) tally 4, deny 3");
        assert_eq!(a(&ev).0, "account.locked");
        let ev = run("sshd", "pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.3 user=alice");
        assert_eq!(
            (a(&ev).0, ev.auth_method.as_deref(), ev.user_name.as_deref()),
            ("auth.failure", Some("pam"), Some("alice"))
        );
        let ev = run("dropbear", "Bad password attempt for 'root' from 198.51.100.7:51234");
        assert_eq!((a(&ev).0, ev.source_port), ("auth.failure", Some(51234)));
        let ev = run("vsftpd", "[ftpuser] FAIL LOGIN: Client \"192.0.2.90\"");
        assert_eq!((a(&ev).0, ev.user_name.as_deref()), ("auth.failure", Some("ftpuser")));
        let ev = run("sshd-session", "error: PAM: Authentication failure for root from scanner.example.net");
        assert_eq!((a(&ev).0, ev.source_domain.as_deref()), ("auth.pam_error", Some("scanner.example.net")));
    }

    #[test]
    fn pam_lines() {
        let ev = run("sshd", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root");
        assert_eq!(
            (a(&ev).0, ev.auth_method.as_deref(), ev.user_name.as_deref()),
            ("auth.failure", Some("pam"), Some("root"))
        );
        assert_eq!(ev.source_ip.as_deref(), Some("203.0.113.7"));
        let ev = run(
            "sshd",
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=bad.example.org",
        );
        assert_eq!(ev.source_domain.as_deref(), Some("bad.example.org"));
        let ev = run("sudo", "pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)");
        assert_eq!(
            (a(&ev).0, ev.user_name.as_deref(), ev.user_target_name.as_deref()),
            ("session.open", Some("alice"), Some("root"))
        );
        let ev = run("sshd", "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)");
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
        let ev = run("CRON", "pam_unix(cron:session): session closed for user root");
        assert_eq!(a(&ev).0, "session.close");
        let ev = run("passwd", "pam_unix(passwd:chauthtok): password changed for mallory");
        assert_eq!((a(&ev).0, ev.user_target_name.as_deref()), ("password.change", Some("mallory")));
        let ev = run("sudo", "pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice");
        assert_eq!((a(&ev).0, ev.user_name.as_deref()), ("sudo.auth_failure", Some("alice")));
    }

    #[test]
    fn sudo_shapes() {
        let ev = run("sudo", "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt upgrade -y");
        assert_eq!(a(&ev), ("sudo.command", "success"));
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
        assert_eq!(ev.user_target_name.as_deref(), Some("root"));
        assert_eq!(ev.process_command_line.as_deref(), Some("/usr/bin/apt upgrade -y"));
        let ev = run(
            "sudo",
            "mallory : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash",
        );
        assert_eq!((a(&ev).0, ev.event_count), ("sudo.failure", Some(3)));
        let ev = run(
            "sudo",
            "bob : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/sh -c 'a ; b'",
        );
        assert_eq!(a(&ev).0, "sudo.denied");
        assert_eq!(ev.process_command_line.as_deref(), Some("/bin/sh -c 'a ; b'"));
    }

    #[test]
    fn su_login_logind_cron() {
        let ev = run("su", "(to root) alice on pts/0");
        assert_eq!(
            (a(&ev).0, ev.user_name.as_deref(), ev.user_target_name.as_deref()),
            ("su.success", Some("alice"), Some("root"))
        );
        let ev = run("su", "FAILED SU (to root) bob on pts/1");
        assert_eq!(a(&ev).0, "su.failure");
        let ev = run("su", "FAILED su for root by bob");
        assert_eq!((a(&ev).0, ev.user_name.as_deref()), ("su.failure", Some("bob")));
        let ev = run("login", "FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure");
        assert_eq!((a(&ev).0, ev.user_name.as_deref()), ("auth.failure", Some("root")));
        let ev = run("systemd-logind", "New session 42 of user alice.");
        assert_eq!((a(&ev).0, ev.user_name.as_deref()), ("session.new", Some("alice")));
        let mut ev = Event::default();
        assert_eq!(
            analyze("CRON", "(root) CMD (cd / && run-parts --report /etc/cron.hourly)", &mut ev),
            Some(Module::Syslog)
        );
        assert_eq!(ev.process_command_line.as_deref(), Some("cd / && run-parts --report /etc/cron.hourly"));
        let ev = run("crontab", "(root) REPLACE (mallory)");
        assert_eq!((a(&ev).0, ev.user_target_name.as_deref()), ("crontab.change", Some("mallory")));
    }

    #[test]
    fn account_management() {
        let ev = run(
            "useradd",
            "new user: name=mallory, UID=1001, GID=1001, home=/home/mallory, shell=/bin/bash, from=/dev/pts/1",
        );
        assert_eq!((a(&ev).0, ev.user_target_name.as_deref()), ("account.create", Some("mallory")));
        let ev = run("useradd", "new group: name=mallory, GID=1001");
        assert_eq!((a(&ev).0, ev.group_name.as_deref()), ("group.create", Some("mallory")));
        let ev = run("usermod", "add 'mallory' to group 'sudo'");
        assert_eq!(
            (a(&ev).0, ev.user_target_name.as_deref(), ev.group_name.as_deref()),
            ("group.member_add", Some("mallory"), Some("sudo"))
        );
        let ev = run("usermod", "change user 'mallory' password");
        assert_eq!(a(&ev).0, "password.change");
        let ev = run("userdel", "delete user 'mallory'");
        assert_eq!((a(&ev).0, ev.user_target_name.as_deref()), ("account.delete", Some("mallory")));
        let ev = run("groupdel", "group 'devs' removed");
        assert_eq!((a(&ev).0, ev.group_name.as_deref()), ("group.delete", Some("devs")));
        let ev = run("gpasswd", "user alice added by root to group sudo");
        assert_eq!(
            (a(&ev).0, ev.group_name.as_deref(), ev.user_name.as_deref()),
            ("group.member_add", Some("sudo"), Some("root"))
        );
        let ev = run("chpasswd", "pam_unix(chpasswd:chauthtok): password changed for bob");
        assert_eq!(a(&ev).0, "password.change");
    }

    #[test]
    fn non_auth_programs_are_left_alone() {
        let mut ev = Event::default();
        assert_eq!(analyze("kernel", "[1.0] eth0: link up", &mut ev), None);
        assert_eq!(analyze("", "hello", &mut ev), None);
    }
}
