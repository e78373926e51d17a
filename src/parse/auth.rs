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

use super::text::{self, Peer};
use super::{Event, Module};

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

#[inline]
fn set<'a>(ev: &mut Event<'a>, action: &'static str, outcome: &'static str, category: &'static str) {
    ev.event_action = Some(Cow::Borrowed(action));
    ev.event_outcome = Some(Cow::Borrowed(outcome));
    ev.event_category = Some(Cow::Borrowed(category));
}

#[inline]
fn b(s: &str) -> Option<Cow<'_, str>> {
    Some(Cow::Borrowed(s))
}

fn set_peer<'a>(ev: &mut Event<'a>, s: &'a str) {
    match text::peer(s) {
        Some(Peer::Ip(ip)) => ev.source_ip = Some(ip),
        Some(Peer::Domain(d)) => ev.source_domain = b(d),
        None => {}
    }
}

/// Reads `IP port N …` (sshd's peer shape) into source ip/port.
fn set_peer_port<'a>(ev: &mut Event<'a>, s: &'a str) {
    let (ip, rest) = text::token(s);
    let ip = ip.trim_end_matches(':');
    set_peer(ev, ip);
    if let Some(p) = rest.strip_prefix("port ") {
        let (port, _) = text::token(p);
        ev.source_port = text::parse_port(port.trim_end_matches(':').split(':').next().unwrap_or(""));
    }
}

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
    match program {
        "sshd" | "sshd-session" | "sshd-auth" => sshd(msg, ev),
        "sudo" => sudo(msg, ev),
        "su" => su(msg, ev),
        "login" => login(msg, ev),
        "systemd-logind" => logind(msg, ev),
        "crontab" => crontab(msg, ev),
        "CRON" | "cron" | "crond" => {
            cron(msg, ev);
            return Some(Module::Syslog);
        }
        "unix_chkpwd" => {
            if let Some(r) = msg.strip_prefix("password check failed for user (") {
                set(ev, "auth.check_failed", "failure", "authentication");
                ev.user_name = b(r.trim_end_matches(')'));
            }
        }
        p if AUTH_PROGRAMS.contains(&p) => account(p, msg, ev),
        _ => return None,
    }
    if ev.event_action.is_none() {
        set(ev, "log.message", "unknown", "authentication");
    }
    Some(Module::Auth)
}

/// `pam_unix(service:kind): msg` and the old `service(pam_unix)` tag.
fn pam<'a>(service: &'a str, kind: &str, msg: &'a str, ev: &mut Event<'a>) {
    if let Some(r) = msg.strip_prefix("authentication failure;") {
        let action = match service {
            "sudo" => "sudo.auth_failure",
            "su" | "su-l" => "su.failure",
            _ => "auth.failure",
        };
        set(ev, action, "failure", "authentication");
        ev.auth_method = b("pam");
        if let Some(h) = text::kv(r, "rhost").filter(|h| !h.is_empty()) {
            set_peer(ev, h);
        }
        if let Some(u) = text::kv(r, "user").filter(|u| !u.is_empty()) {
            ev.user_name = b(u);
        } else if let Some(u) = text::kv(r, "ruser").filter(|u| !u.is_empty()) {
            ev.user_name = b(u);
        }
        if service == "sudo" || service.starts_with("su") {
            if let Some(u) = text::kv(r, "ruser").or_else(|| text::kv(r, "logname")).filter(|u| !u.is_empty()) {
                ev.user_name = b(u);
            }
        }
    } else if msg.starts_with("check pass; user unknown") {
        set(ev, "auth.unknown_user", "failure", "authentication");
        ev.auth_method = b("pam");
    } else if let Some(r) = msg.strip_prefix("session opened for user ") {
        set(ev, "session.open", "success", "session");
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
        set(ev, "session.close", "success", "session");
        ev.user_name = b(strip_uid(r.trim()));
    } else if let Some(r) = msg.strip_prefix("password changed for ") {
        set(ev, "password.change", "success", "iam");
        ev.user_target_name = b(r.trim());
    } else if kind == "chauthtok" && msg.starts_with("authentication failure") {
        set(ev, "password.change", "failure", "iam");
    } else {
        set(ev, "log.message", "unknown", "authentication");
    }
}

/// `alice(uid=1000)` → `alice`; `(uid=0)` → ``.
fn strip_uid(s: &str) -> &str {
    match s.find('(') {
        Some(i) => &s[..i],
        None => s,
    }
}

/// `METHOD for [invalid user ]USER from IP port N ssh2[: …]`
fn for_from<'a>(ev: &mut Event<'a>, r: &'a str) -> bool {
    let Some(at) = text::finder!(b" for ").find(r.as_bytes()) else { return false };
    let (method, rest) = (&r[..at], &r[at + 5..]);
    let Some(idx) = text::rfind_word(rest.as_bytes(), b" from ") else { return false };
    let user = &rest[..idx];
    let user = user.strip_prefix("invalid user ").unwrap_or(user);
    ev.auth_method = b(method);
    ev.user_name = b(user);
    set_peer_port(ev, &rest[idx + 6..]);
    true
}

fn sshd<'a>(msg: &'a str, ev: &mut Event<'a>) {
    let m = text::strip_suffix_tag(msg, "[preauth]");
    let m = m.strip_prefix("error: ").unwrap_or(m);
    if let Some(r) = m.strip_prefix("Failed ") {
        if for_from(ev, r) {
            set(ev, "auth.failure", "failure", "authentication");
        }
    } else if let Some(r) = m.strip_prefix("Accepted ") {
        if for_from(ev, r) {
            set(ev, "auth.success", "success", "authentication");
        }
    } else if let Some(r) = m.strip_prefix("Invalid user ") {
        set(ev, "auth.invalid_user", "failure", "authentication");
        match text::rfind_word(r.as_bytes(), b" from ") {
            Some(i) => {
                ev.user_name = b(&r[..i]);
                set_peer_port(ev, &r[i + 6..]);
            }
            None => ev.user_name = b(r),
        }
    } else if let Some(r) = m.strip_prefix("maximum authentication attempts exceeded for ") {
        set(ev, "auth.max_attempts", "failure", "authentication");
        if let Some(i) = text::rfind_word(r.as_bytes(), b" from ") {
            let u = &r[..i];
            ev.user_name = b(u.strip_prefix("invalid user ").unwrap_or(u));
            set_peer_port(ev, &r[i + 6..]);
        }
    } else if let Some(r) = m.strip_prefix("Disconnecting: Too many authentication failures") {
        set(ev, "auth.max_attempts", "failure", "authentication");
        if let Some(u) = r.strip_prefix(" for ") {
            ev.user_name = b(u.strip_prefix("invalid user ").unwrap_or(u));
        }
    } else if let Some(r) = m.strip_prefix("Disconnecting ") {
        // `Disconnecting invalid user x 1.2.3.4 port 22: Too many authentication failures`
        if r.contains("Too many authentication failures") {
            set(ev, "auth.max_attempts", "failure", "authentication");
        } else {
            set(ev, "ssh.disconnect", "unknown", "session");
        }
        user_peer(ev, r.split(':').next().unwrap_or(r));
    } else if let Some(r) = m
        .strip_prefix("Received disconnect from ")
        .or_else(|| m.strip_prefix("Disconnected from "))
        .or_else(|| m.strip_prefix("Connection closed by "))
        .or_else(|| m.strip_prefix("Connection reset by "))
    {
        set(ev, "ssh.disconnect", "unknown", "session");
        user_peer(ev, r);
    } else if let Some(r) = m.strip_prefix("Did not receive identification string from ") {
        set(ev, "ssh.no_identification", "failure", "network");
        set_peer_port(ev, r);
    } else if let Some(r) = m.strip_prefix("Connection from ") {
        set(ev, "ssh.connection", "unknown", "network");
        let (peer, local) = r.split_once(" on ").unwrap_or((r, ""));
        set_peer_port(ev, peer);
        let (dip, rest) = text::token(local);
        ev.destination_ip = text::ip(dip);
        if let Some(p) = rest.strip_prefix("port ") {
            ev.destination_port = text::parse_port(text::token(p).0);
        }
    } else if let Some(r) = m.strip_prefix("reverse mapping checking getaddrinfo for ") {
        set(ev, "ssh.reverse_mapping_failed", "unknown", "network");
        let (host, rest) = text::token(r);
        ev.source_domain = b(host);
        if let Some(ip) = rest.strip_prefix('[').and_then(|s| s.split(']').next()) {
            ev.source_ip = text::ip(ip);
        }
    } else if let Some(r) = m.strip_prefix("Address ") {
        if r.contains("POSSIBLE BREAK-IN ATTEMPT") {
            set(ev, "ssh.reverse_mapping_failed", "unknown", "network");
            set_peer(ev, text::token(r).0);
        }
    } else if let Some(r) = m.strip_prefix("Unable to negotiate with ") {
        set(ev, "ssh.negotiation_failed", "failure", "network");
        set_peer_port(ev, r);
    } else if let Some(r) = m.strip_prefix("Bad protocol version identification ") {
        set(ev, "ssh.bad_protocol", "failure", "network");
        if let Some(i) = text::rfind_word(r.as_bytes(), b" from ") {
            set_peer_port(ev, &r[i + 6..]);
        }
    } else if let Some(r) = m.strip_prefix("banner exchange: Connection from ") {
        set(ev, "ssh.bad_protocol", "failure", "network");
        set_peer_port(ev, r);
    } else if let Some(r) = m.strip_prefix("input_userauth_request: invalid user ") {
        set(ev, "ssh.invalid_user_request", "failure", "authentication");
        ev.user_name = b(r);
    } else if let Some(r) = m.strip_prefix("PAM ") {
        if r.contains("more authentication failure") {
            set(ev, "auth.failure_summary", "failure", "authentication");
            ev.auth_method = b("pam");
            if let Some(h) = text::kv(r, "rhost").filter(|h| !h.is_empty()) {
                set_peer(ev, h);
            }
            if let Some(u) = text::kv(r, "user").filter(|u| !u.is_empty()) {
                ev.user_name = b(u);
            }
        }
    } else if let Some(r) = m.strip_prefix("User ") {
        if let Some((user, rest)) = r.split_once(" from ") {
            if rest.contains("not allowed") {
                set(ev, "auth.user_not_allowed", "failure", "authentication");
                ev.user_name = b(user);
                set_peer(ev, text::token(rest).0);
            }
        }
    } else if let Some(r) = m.strip_prefix("Starting session: ") {
        set(ev, "ssh.session_start", "success", "session");
        if let Some((_, r)) = r.split_once(" for ") {
            if let Some((user, peer)) = r.split_once(" from ") {
                ev.user_name = b(user);
                set_peer_port(ev, peer);
            }
        }
    } else if m.starts_with("Server listening on ") {
        set(ev, "service.start", "success", "host");
    } else if m.starts_with("Received signal 15") {
        set(ev, "service.stop", "success", "host");
    }
}

/// `[authenticating |invalid ]user NAME IP port N…` or `IP port N…`.
fn user_peer<'a>(ev: &mut Event<'a>, r: &'a str) {
    let r = r.strip_prefix("authenticating ").unwrap_or(r);
    let r = r.strip_prefix("invalid ").unwrap_or(r);
    if let Some(r) = r.strip_prefix("user ") {
        // user names come before the address; find the address from the right.
        if let Some(i) = text::rfind_word(r.as_bytes(), b" port ") {
            let head = &r[..i];
            if let Some(j) = head.rfind(' ') {
                ev.user_name = b(&head[..j]);
                set_peer_port(ev, &r[j + 1..]);
            }
        } else if let Some(j) = r.rfind(' ') {
            ev.user_name = b(&r[..j]);
            set_peer(ev, &r[j + 1..]);
        }
    } else {
        set_peer_port(ev, r);
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
        None => set(ev, "sudo.command", "success", "process"),
        Some(p) if p.contains("incorrect password attempt") => {
            set(ev, "sudo.failure", "failure", "authentication");
            if let Some(n) = text::parse_u32(text::token(p).0) {
                ev.event_count = Some(n.min(1000) as i32);
            }
        }
        Some(p) if p.contains("NOT in sudoers") || p.contains("not allowed") || p.contains("NOT allowed") => {
            set(ev, "sudo.denied", "failure", "authentication")
        }
        Some(_) => set(ev, "sudo.failure", "failure", "authentication"),
    }
}

/// su: `(to root) alice on pts/0`, `FAILED SU (to root) alice on pts/0`,
/// `FAILED su for root by alice`, `Successful su for root by alice`, `+ pts/0 alice:root`.
fn su<'a>(msg: &'a str, ev: &mut Event<'a>) {
    let (failed, r) = match msg.strip_prefix("FAILED SU ") {
        Some(r) => (true, r),
        None => (false, msg),
    };
    if let Some(r) = r.strip_prefix("(to ") {
        if let Some((target, rest)) = r.split_once(") ") {
            ev.user_target_name = b(target);
            ev.user_name = b(rest.split(" on ").next().unwrap_or(rest));
            if failed {
                set(ev, "su.failure", "failure", "authentication");
            } else {
                set(ev, "su.success", "success", "authentication");
            }
        }
        return;
    }
    for (prefix, ok) in [("FAILED su for ", false), ("Successful su for ", true)] {
        if let Some(r) = msg.strip_prefix(prefix) {
            if let Some((target, by)) = r.split_once(" by ") {
                ev.user_target_name = b(target);
                ev.user_name = b(by);
                if ok {
                    set(ev, "su.success", "success", "authentication");
                } else {
                    set(ev, "su.failure", "failure", "authentication");
                }
            }
            return;
        }
    }
    if let Some((sign, r)) = msg.split_at_checked(2) {
        if sign == "+ " || sign == "- " {
            let (_tty, pair) = text::token(r);
            if let Some((user, target)) = pair.split_once(':') {
                ev.user_name = b(user);
                ev.user_target_name = b(target);
                if sign == "+ " {
                    set(ev, "su.success", "success", "authentication");
                } else {
                    set(ev, "su.failure", "failure", "authentication");
                }
            }
        }
    }
}

/// login: `FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure`, `ROOT LOGIN  on '/dev/tty1'`.
fn login<'a>(msg: &'a str, ev: &mut Event<'a>) {
    if msg.starts_with("FAILED LOGIN") {
        set(ev, "auth.failure", "failure", "authentication");
        ev.auth_method = b("login");
        if let Some((_, r)) = msg.split_once(" FOR '") {
            ev.user_name = b(r.split('\'').next().unwrap_or(r));
        }
        if let Some((_, r)) = msg.split_once(" FROM '") {
            set_peer(ev, r.split('\'').next().unwrap_or(r));
        }
    } else if msg.starts_with("ROOT LOGIN") {
        set(ev, "auth.success", "success", "authentication");
        ev.auth_method = b("login");
        ev.user_name = b("root");
    }
}

fn logind<'a>(msg: &'a str, ev: &mut Event<'a>) {
    if let Some(r) = msg.strip_prefix("New session ") {
        set(ev, "session.new", "success", "session");
        if let Some((_, u)) = r.split_once(" of user ") {
            ev.user_name = b(u.trim_end_matches('.'));
        }
    } else if msg.starts_with("Removed session ") {
        set(ev, "session.removed", "success", "session");
    } else if msg.starts_with("Session ") && msg.contains(" logged out") {
        set(ev, "session.logout", "success", "session");
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
        set(ev, "crontab.change", "success", "configuration");
    } else if rest.starts_with("BEGIN EDIT") {
        set(ev, "crontab.edit", "success", "configuration");
    }
}

/// CRON: `(root) CMD (command)`.
fn cron<'a>(msg: &'a str, ev: &mut Event<'a>) {
    if let Some(r) = msg.strip_prefix('(') {
        if let Some((user, rest)) = r.split_once(") ") {
            if let Some(cmd) = rest.strip_prefix("CMD (") {
                set(ev, "cron.command", "success", "process");
                ev.user_name = b(user);
                ev.process_command_line = b(cmd.strip_suffix(')').unwrap_or(cmd));
                return;
            }
        }
    }
    set(ev, "log.message", "unknown", "process");
}

/// shadow-utils and friends.
fn account<'a>(program: &str, msg: &'a str, ev: &mut Event<'a>) {
    let quoted = |s: &'a str| -> Option<&'a str> { s.strip_prefix('\'').and_then(|s| s.split('\'').next()) };
    let field = |s: &'a str, key: &str| -> Option<&'a str> {
        s.split(", ").find_map(|kv| kv.trim().strip_prefix(key)?.strip_prefix('='))
    };
    if let Some(r) = msg.strip_prefix("new user: ") {
        set(ev, "account.create", "success", "iam");
        ev.user_target_name = field(r, "name").map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("new group: ") {
        set(ev, "group.create", "success", "iam");
        ev.group_name = field(r, "name").map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("delete user ") {
        set(ev, "account.delete", "success", "iam");
        ev.user_target_name = quoted(r).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("removed group ") {
        set(ev, "group.delete", "success", "iam");
        ev.group_name = quoted(r).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("group ").filter(|r| r.starts_with('\'') && r.ends_with(" removed")) {
        set(ev, "group.delete", "success", "iam");
        ev.group_name = quoted(r).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("add ").filter(|_| msg.contains(" to group ")) {
        set(ev, "group.member_add", "success", "iam");
        ev.user_target_name = quoted(r).map(Cow::Borrowed);
        ev.group_name = r.split_once(" to group ").and_then(|(_, g)| quoted(g)).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("delete ").filter(|_| msg.contains(" from group ")) {
        set(ev, "group.member_remove", "success", "iam");
        ev.user_target_name = quoted(r).map(Cow::Borrowed);
        ev.group_name = r.split_once(" from group ").and_then(|(_, g)| quoted(g)).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("user ").filter(|_| program == "gpasswd") {
        // gpasswd: `user alice added by root to group sudo`, `user alice removed by root from group sudo`
        let (user, rest) = text::token(r);
        ev.user_target_name = b(user);
        if let Some((by, g)) = rest.strip_prefix("added by ").and_then(|x| x.split_once(" to group ")) {
            set(ev, "group.member_add", "success", "iam");
            ev.user_name = b(by);
            ev.group_name = b(g);
        } else if let Some((by, g)) = rest.strip_prefix("removed by ").and_then(|x| x.split_once(" from group ")) {
            set(ev, "group.member_remove", "success", "iam");
            ev.user_name = b(by);
            ev.group_name = b(g);
        }
    } else if let Some(r) = msg.strip_prefix("change user ") {
        let target = quoted(r);
        ev.user_target_name = target.map(Cow::Borrowed);
        if msg.ends_with(" password") {
            set(ev, "password.change", "success", "iam");
        } else {
            set(ev, "account.modify", "success", "iam");
        }
    } else if let Some(r) = msg.strip_prefix("lock user ").or_else(|| msg.strip_prefix("unlock user ")) {
        set(ev, "account.modify", "success", "iam");
        ev.user_target_name = quoted(r).map(Cow::Borrowed);
    } else if let Some(r) = msg.strip_prefix("password for ") {
        // passwd (shadow 4.8+): `password for 'alice' changed by 'root'`
        set(ev, "password.change", "success", "iam");
        ev.user_target_name = quoted(r).map(Cow::Borrowed);
        if let Some((_, by)) = r.split_once(" by ") {
            ev.user_name = quoted(by).map(Cow::Borrowed);
        }
    } else if let Some(r) = msg.strip_prefix("group changed in ") {
        set(ev, "group.modify", "success", "iam");
        ev.group_name = r.split_once("(group ").map(|(_, g)| Cow::Borrowed(g.split('/').next().unwrap_or(g)));
    } else if let Some(r) = msg.strip_prefix("changed password expiry for ") {
        set(ev, "account.modify", "success", "iam");
        ev.user_target_name = b(r.trim());
    } else {
        set(ev, "log.message", "unknown", "iam");
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
        assert_eq!((a(&ev).0, ev.source_port), ("ssh.disconnect", Some(40002)));
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
