//! The table of authentication and pre-authentication messages, written from the daemons'
//! source code: every row is one message shape as the program's format string writes it, with
//! the action, outcome and fields it gives. Adding a message family means adding rows here (and
//! a test line below), nothing else.
//!
//! A template is literal text with placeholders; matching is a left-to-right scan with
//! `starts_with` for the leading literal (so most rows are rejected on their first bytes) and
//! substring searches between captures, no regex and no allocation. Placeholders:
//!
//! | placeholder | takes | sets |
//! |---|---|---|
//! | `{user}` | up to the *last* occurrence of the literal that follows (names are attacker-controlled and may hold spaces); an `invalid user `/`illegal user ` prefix is dropped | `user_name` |
//! | `{target}` | up to the next literal | `user_target_name` |
//! | `{method}` | up to the next literal | `auth_method` |
//! | `{peer}` | up to the next literal; an address or a host name (UseDNS) | `source_ip` or `source_domain` |
//! | `{ip}` | up to the next literal; an address only | `source_ip` |
//! | `{domain}` | up to the next literal; a host name only | `source_domain` |
//! | `{port}` | up to the next literal; digits | `source_port` |
//! | `{peerport}` | `IP:PORT` or `[IPv6]:PORT` (Dropbear's `addrstring`) | `source_ip`, `source_port` |
//! | `{conn}` | OpenSSH's connection id, `[authenticating \|invalid ]user NAME ADDR port N` or `ADDR port N` (`sshpkt_fmt_connection_id`), or the older bare `ADDR` | `user_name`, `source_ip`/`source_domain`, `source_port` |
//! | `{count}` | digits | `event_count` |
//! | `{_}` / `{any}` | up to the next / last occurrence of the next literal | nothing |
//! | `{*}` | the rest of the message (last placeholder only) | nothing |
//!
//! A template must consume the whole message: a trailing literal must end it, or the template
//! ends in `{*}`. Rows are tried in order; the first match wins, so more specific shapes come
//! first within a family, and the most frequent shapes first overall.

use std::borrow::Cow;
use std::sync::LazyLock;

use super::text::{self, Peer};
use super::Event;
use crate::schema::{action as a, outcome as o};

/// Which programs a row applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// OpenSSH `sshd`, `sshd-session` (9.8+), `sshd-auth` (10.0+).
    Sshd,
    Dropbear,
    /// `login` from util-linux and from shadow.
    Login,
    /// `su` from util-linux, from shadow, and the BSD-style `BAD SU` of older systems.
    Su,
    Vsftpd,
    Proftpd,
    PureFtpd,
    /// Linux-PAM modules whose own lines are not `authentication failure; k=v …` (those are read
    /// by key/value in `auth.rs`).
    Pam,
}

impl Family {
    /// The family of a syslog program name.
    pub fn of(program: &str) -> Option<Family> {
        Some(match program {
            "sshd" | "sshd-session" | "sshd-auth" => Family::Sshd,
            "dropbear" => Family::Dropbear,
            "login" => Family::Login,
            "su" => Family::Su,
            "vsftpd" => Family::Vsftpd,
            "proftpd" => Family::Proftpd,
            "pure-ftpd" | "pure-ftpd-mysql" | "pure-ftpd-postgresql" | "pure-ftpd-ldap" => Family::PureFtpd,
            _ => return None,
        })
    }
}

/// One message shape.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub family: Family,
    pub template: &'static str,
    pub action: &'static str,
    pub outcome: &'static str,
    pub category: &'static str,
    /// Fixed `auth_method` (a `{method}` capture overrides it).
    pub method: Option<&'static str>,
    /// Fixed `user_name` when the message implies it (`ROOT LOGIN REFUSED`).
    pub user: Option<&'static str>,
    /// Where the format string is: file and function of the daemon's source.
    pub source: &'static str,
}

const AUTHN: &str = "authentication";
const NET: &str = "network";
const SESSION: &str = "session";

macro_rules! shape {
    ($fam:ident, $t:literal, $act:expr, $out:expr, $cat:expr, $src:literal) => {
        Shape {
            family: Family::$fam,
            template: $t,
            action: $act,
            outcome: $out,
            category: $cat,
            method: None,
            user: None,
            source: $src,
        }
    };
    ($fam:ident, $t:literal, $act:expr, $out:expr, $cat:expr, $src:literal, method = $m:literal) => {
        Shape { method: Some($m), ..shape!($fam, $t, $act, $out, $cat, $src) }
    };
    ($fam:ident, $t:literal, $act:expr, $out:expr, $cat:expr, $src:literal, user = $u:literal) => {
        Shape { user: Some($u), ..shape!($fam, $t, $act, $out, $cat, $src) }
    };
}

/// The table. `[preauth]` suffixes and `error: `/`fatal: ` prefixes are removed before
/// matching (OpenSSH adds them outside the format strings), and a `[preauth]` close becomes
/// [`a::SSH_PREAUTH_CLOSE`] (see [`analyze`]).
#[rustfmt::skip]
pub static SHAPES: &[Shape] = &[
    // --- OpenSSH: authentication verdicts (auth.c auth_log: "%s %s%s%s for %s%.100s from %.200s port %d ssh2%s%s")
    shape!(Sshd, "Failed {method} for {user} from {peer} port {port}{*}", a::AUTH_FAILURE, o::FAILURE, AUTHN, "openssh auth.c auth_log()"),
    shape!(Sshd, "Accepted {method} for {user} from {peer} port {port}{*}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "openssh auth.c auth_log()"),
    shape!(Sshd, "Invalid user {user} from {peer} port {port}", a::AUTH_INVALID_USER, o::FAILURE, AUTHN, "openssh auth.c getpwnamallow() (6.x+)"),
    shape!(Sshd, "Invalid user {user} from {peer}", a::AUTH_INVALID_USER, o::FAILURE, AUTHN, "openssh auth.c getpwnamallow() (5.x)"),
    // --- OpenSSH: connection ends (packet.c sshpkt_vfatal/ssh_packet_disconnect, serverloop.c)
    shape!(Sshd, "Connection closed by {conn}{*}", a::SSH_DISCONNECT, o::UNKNOWN, SESSION, "openssh packet.c sshpkt_vfatal() SSH_ERR_CONN_CLOSED; serverloop.c"),
    shape!(Sshd, "Connection reset by {conn}{*}", a::SSH_DISCONNECT, o::UNKNOWN, SESSION, "openssh packet.c sshpkt_vfatal() ECONNRESET"),
    shape!(Sshd, "Received disconnect from {conn}{*}", a::SSH_DISCONNECT, o::UNKNOWN, SESSION, "openssh packet.c ssh_packet_read_poll2() SSH2_MSG_DISCONNECT"),
    shape!(Sshd, "Disconnected from {conn}{*}", a::SSH_DISCONNECT, o::UNKNOWN, SESSION, "openssh packet.c sshpkt_vfatal() SSH_ERR_DISCONNECTED"),
    shape!(Sshd, "Write failed: {*}", a::SSH_DISCONNECT, o::UNKNOWN, SESSION, "openssh 5.x-6.x packet.c packet_write_wait()"),
    shape!(Sshd, "Read error from remote host {conn}: {*}", a::SSH_DISCONNECT, o::UNKNOWN, SESSION, "openssh 5.x-6.x packet.c packet_read_seqnr()"),
    shape!(Sshd, "Connection from {conn} timed out{*}", a::SSH_DISCONNECT, o::UNKNOWN, SESSION, "openssh packet.c sshpkt_vfatal() SSH_ERR_CONN_TIMEOUT"),
    shape!(Sshd, "Disconnecting: Too many authentication failures for {user}", a::AUTH_MAX_ATTEMPTS, o::FAILURE, AUTHN, "openssh 5.x-7.x auth2.c via packet_disconnect()"),
    shape!(Sshd, "Disconnecting: Too many authentication failures{*}", a::AUTH_MAX_ATTEMPTS, o::FAILURE, AUTHN, "openssh 5.x auth2.c via packet_disconnect()"),
    shape!(Sshd, "Disconnecting {conn}: Too many authentication failures{*}", a::AUTH_MAX_ATTEMPTS, o::FAILURE, AUTHN, "openssh packet.c ssh_packet_disconnect() from auth.c auth_maxtries_exceeded()"),
    shape!(Sshd, "Disconnecting {conn}: {*}", a::SSH_DISCONNECT, o::UNKNOWN, SESSION, "openssh packet.c ssh_packet_disconnect()"),
    shape!(Sshd, "maximum authentication attempts exceeded for {user} from {peer} port {port}{*}", a::AUTH_MAX_ATTEMPTS, o::FAILURE, AUTHN, "openssh auth.c auth_maxtries_exceeded()"),
    // --- OpenSSH: PAM (auth-pam.c) and pam_unix's summary as sshd logs it
    shape!(Sshd, "PAM: {_} for {user} from {peer}", a::AUTH_PAM_ERROR, o::FAILURE, AUTHN, "openssh auth-pam.c sshpam_query(): \"PAM: %s for %s%.100s from %.100s\"", method = "pam"),
    shape!(Sshd, "PAM service({_}) ignoring max retries; {*}", a::AUTH_MAX_ATTEMPTS, o::FAILURE, AUTHN, "linux-pam pam_unix support.c _unix_verify_password(): \"service(%s) ignoring max retries; %d > %d\""),
    shape!(Sshd, "PAM {count} more authentication failure{*}", a::AUTH_FAILURE_SUMMARY, o::FAILURE, AUTHN, "linux-pam pam_unix support.c _cleanup_failures() as sshd forwards it", method = "pam"),
    // --- OpenSSH: refusals before any credential (auth.c allowed_user(), auth_root_allowed())
    shape!(Sshd, "User {user} from {peer} not allowed because {*}", a::AUTH_USER_NOT_ALLOWED, o::FAILURE, AUTHN, "openssh auth.c allowed_user(): AllowUsers/DenyUsers/AllowGroups/DenyGroups"),
    shape!(Sshd, "User {user} not allowed because {*}", a::AUTH_USER_NOT_ALLOWED, o::FAILURE, AUTHN, "openssh auth.c allowed_user(): locked account, missing or non-executable shell"),
    shape!(Sshd, "ROOT LOGIN REFUSED FROM {peer} port {port}", a::AUTH_ROOT_REFUSED, o::FAILURE, AUTHN, "openssh auth.c auth_root_allowed()", user = "root"),
    shape!(Sshd, "ROOT LOGIN REFUSED FROM {peer}", a::AUTH_ROOT_REFUSED, o::FAILURE, AUTHN, "openssh 5.x auth.c auth_root_allowed()", user = "root"),
    shape!(Sshd, "Postponed {method} for {user} from {peer} port {port}{*}", a::AUTH_POSTPONED, o::UNKNOWN, AUTHN, "openssh auth.c auth_log() (postponed)"),
    shape!(Sshd, "Partial {method} for {user} from {peer} port {port}{*}", a::AUTH_PARTIAL, o::UNKNOWN, AUTHN, "openssh auth.c auth_log() (partial)"),
    shape!(Sshd, "Authentication refused for {user}: {*}", a::AUTH_REFUSED_CONFIG, o::FAILURE, AUTHN, "openssh auth.c/auth2-hostbased.c: bad owner or modes"),
    shape!(Sshd, "Authentication refused: {*}", a::AUTH_REFUSED_CONFIG, o::FAILURE, AUTHN, "openssh auth2-pubkey.c/auth.c auth_secure_path(): bad ownership or modes"),
    shape!(Sshd, "input_userauth_request: invalid user {user}{*}", a::SSH_INVALID_USER_REQUEST, o::FAILURE, AUTHN, "openssh 5.x-7.x auth2.c input_userauth_request()"),
    // --- OpenSSH: pre-authentication probing (kex.c, sshd.c, sshd-session.c)
    shape!(Sshd, "Did not receive identification string from {conn}", a::SSH_NO_IDENTIFICATION, o::FAILURE, NET, "openssh sshd.c/kex.c (up to 8.x)"),
    shape!(Sshd, "banner exchange: Connection from {conn}: {*}", a::SSH_BAD_PROTOCOL, o::FAILURE, NET, "openssh packet.c sshpkt_vfatal() default case, tag \"banner exchange\" (8.3+)"),
    shape!(Sshd, "Bad protocol version identification {any} from {conn}", a::SSH_BAD_PROTOCOL, o::FAILURE, NET, "openssh sshd.c sshd_exchange_identification() (up to 7.x)"),
    shape!(Sshd, "Protocol major versions differ{*}", a::SSH_BAD_PROTOCOL, o::FAILURE, NET, "openssh kex.c kex_exchange_identification()"),
    shape!(Sshd, "kex_exchange_identification: {*}", a::SSH_KEX_FAILED, o::FAILURE, NET, "openssh kex.c kex_exchange_identification()"),
    shape!(Sshd, "Unable to negotiate with {conn}: {*}", a::SSH_NEGOTIATION_FAILED, o::FAILURE, NET, "openssh packet.c sshpkt_vfatal() NO_*_ALG_MATCH"),
    shape!(Sshd, "ssh_dispatch_run_fatal: Connection from {conn}: {*}", a::SSH_KEX_FAILED, o::FAILURE, NET, "openssh packet.c sshpkt_vfatal() default case"),
    shape!(Sshd, "Timeout before authentication for {conn}{*}", a::SSH_PREAUTH_TIMEOUT, o::FAILURE, NET, "openssh sshd.c child_reap() (9.8+) / grace_alarm_handler() (older)"),
    shape!(Sshd, "drop connection #{_} from {peerport} on {_} {*}", a::SSH_DROPPED, o::FAILURE, NET, "openssh sshd.c drop_connection() (MaxStartups, PerSourcePenalties)"),
    shape!(Sshd, "Connection from {conn} on {_} port {_}{*}", a::SSH_CONNECTION, o::UNKNOWN, NET, "openssh sshd-session.c main(): \"Connection from %s port %d on %s port %d%s%s%s\""),
    shape!(Sshd, "Starting session: {_} for {user} from {peer} port {port}{*}", a::SSH_SESSION_START, o::SUCCESS, SESSION, "openssh session.c session_exec_req()/do_exec()"),
    shape!(Sshd, "reverse mapping checking getaddrinfo for {domain} [{ip}] failed{*}", a::SSH_REVERSE_MAPPING_FAILED, o::UNKNOWN, NET, "openssh canohost.c (up to 6.x)"),
    shape!(Sshd, "Address {peer} maps to {*}", a::SSH_REVERSE_MAPPING_FAILED, o::UNKNOWN, NET, "openssh canohost.c (up to 6.x)"),
    shape!(Sshd, "Close session: user {user} from {peer} port {port}{*}", a::SESSION_CLOSE, o::SUCCESS, SESSION, "openssh session.c session_close()"),
    shape!(Sshd, "Server listening on {*}", a::SERVICE_START, o::SUCCESS, "host", "openssh sshd.c server_listen()"),
    shape!(Sshd, "Received signal 15; terminating.", a::SERVICE_STOP, o::SUCCESS, "host", "openssh sshd.c main_sigchld/sigterm"),
    // --- Dropbear (svr-auth.c, svr-authpasswd.c, svr-authpam.c, svr-authpubkey.c, svr-session.c, svr-main.c)
    shape!(Dropbear, "Bad password attempt for '{user}' from {peerport}", a::AUTH_FAILURE, o::FAILURE, AUTHN, "dropbear svr-authpasswd.c svr_auth_password()", method = "password"),
    shape!(Dropbear, "Bad PAM password attempt for '{user}' from {peerport}", a::AUTH_FAILURE, o::FAILURE, AUTHN, "dropbear svr-authpam.c svr_auth_pam()", method = "password"),
    shape!(Dropbear, "Login attempt for nonexistent user from {peerport}", a::AUTH_INVALID_USER, o::FAILURE, AUTHN, "dropbear svr-auth.c checkusername()"),
    shape!(Dropbear, "Login attempt for nonexistent user '{user}' from {peerport}", a::AUTH_INVALID_USER, o::FAILURE, AUTHN, "dropbear svr-auth.c checkusername() (2013-2019)"),
    shape!(Dropbear, "Login attempt with wrong user {user} from {peerport}", a::AUTH_USER_NOT_ALLOWED, o::FAILURE, AUTHN, "dropbear svr-auth.c checkusername()"),
    shape!(Dropbear, "root login rejected", a::AUTH_ROOT_REFUSED, o::FAILURE, AUTHN, "dropbear svr-auth.c checkusername() (-w)", user = "root"),
    shape!(Dropbear, "Logins are restricted to the group {_} but user '{user}' is not a member", a::AUTH_USER_NOT_ALLOWED, o::FAILURE, AUTHN, "dropbear svr-auth.c checkusername() (-G)"),
    shape!(Dropbear, "User '{user}' has invalid shell, rejected", a::AUTH_USER_NOT_ALLOWED, o::FAILURE, AUTHN, "dropbear svr-auth.c checkusername()"),
    shape!(Dropbear, "User '{user}' has blank password, rejected", a::AUTH_USER_NOT_ALLOWED, o::FAILURE, AUTHN, "dropbear svr-authpasswd.c"),
    shape!(Dropbear, "User account '{user}' is locked", a::AUTH_USER_NOT_ALLOWED, o::FAILURE, AUTHN, "dropbear svr-authpasswd.c"),
    shape!(Dropbear, "Password auth succeeded for '{user}' from {peerport}{*}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "dropbear svr-authpasswd.c", method = "password"),
    shape!(Dropbear, "PAM password auth succeeded for '{user}' from {peerport}{*}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "dropbear svr-authpam.c", method = "password"),
    shape!(Dropbear, "Pubkey auth succeeded for '{user}' with {any} from {peerport}{*}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "dropbear svr-authpubkey.c", method = "publickey"),
    shape!(Dropbear, "Pubkey auth bad signature for '{user}' with {any} from {peerport}", a::AUTH_FAILURE, o::FAILURE, AUTHN, "dropbear svr-authpubkey.c", method = "publickey"),
    shape!(Dropbear, "Exit before auth from <{peerport}>: (user '{user}', {_} fails): {*}", a::SSH_PREAUTH_CLOSE, o::UNKNOWN, SESSION, "dropbear svr-session.c svr_dropbear_exit() (2020+)"),
    shape!(Dropbear, "Exit before auth from <{peerport}>: {*}", a::SSH_PREAUTH_CLOSE, o::UNKNOWN, SESSION, "dropbear svr-session.c svr_dropbear_exit() (2020+)"),
    shape!(Dropbear, "Exit before auth (user '{user}', {_} fails): {*}", a::SSH_PREAUTH_CLOSE, o::UNKNOWN, SESSION, "dropbear svr-session.c svr_dropbear_exit() (up to 2019)"),
    shape!(Dropbear, "Exit before auth: {*}", a::SSH_PREAUTH_CLOSE, o::UNKNOWN, SESSION, "dropbear svr-session.c svr_dropbear_exit() (up to 2019)"),
    shape!(Dropbear, "Early exit from <{peerport}>: {*}", a::SSH_PREAUTH_CLOSE, o::UNKNOWN, SESSION, "dropbear svr-session.c svr_dropbear_exit()"),
    shape!(Dropbear, "Exit ({user}) from <{peerport}>: {*}", a::SSH_DISCONNECT, o::UNKNOWN, SESSION, "dropbear svr-session.c svr_dropbear_exit()"),
    shape!(Dropbear, "Exit ({user}): {*}", a::SSH_DISCONNECT, o::UNKNOWN, SESSION, "dropbear svr-session.c svr_dropbear_exit() (up to 2019)"),
    shape!(Dropbear, "Child connection from {peerport}", a::SSH_CONNECTION, o::UNKNOWN, NET, "dropbear svr-main.c main_noinetd()"),
    // --- login (util-linux login-utils/login.c; shadow src/login.c)
    shape!(Login, "FAILED LOGIN {_} FROM {peer} FOR {user}, {*}", a::AUTH_FAILURE, o::FAILURE, AUTHN, "util-linux login.c loginpam_auth()/log_btmp", method = "login"),
    shape!(Login, "FAILED LOGIN ({_}) on '{_}' from '{peer}' FOR '{user}', {*}", a::AUTH_FAILURE, o::FAILURE, AUTHN, "shadow login.c", method = "login"),
    shape!(Login, "FAILED LOGIN ({_}) on '{_}' FOR '{user}', {*}", a::AUTH_FAILURE, o::FAILURE, AUTHN, "shadow login.c", method = "login"),
    shape!(Login, "TOO MANY LOGIN TRIES ({_}) FROM {peer} FOR {user}, {*}", a::AUTH_MAX_ATTEMPTS, o::FAILURE, AUTHN, "util-linux login.c"),
    shape!(Login, "TOO MANY LOGIN TRIES ({_}) on '{_}' from '{peer}' FOR '{user}', {*}", a::AUTH_MAX_ATTEMPTS, o::FAILURE, AUTHN, "shadow login.c"),
    shape!(Login, "TOO MANY LOGIN TRIES ({_}) on '{_}' FOR '{user}', {*}", a::AUTH_MAX_ATTEMPTS, o::FAILURE, AUTHN, "shadow login.c"),
    shape!(Login, "invalid password for '{user}' on '{_}'{*}", a::AUTH_FAILURE, o::FAILURE, AUTHN, "shadow login.c (without PAM)", method = "login"),
    shape!(Login, "ROOT LOGIN ON {_} FROM {peer}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "util-linux login.c log_syslog()", user = "root"),
    shape!(Login, "ROOT LOGIN ON {*}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "util-linux login.c log_syslog()", user = "root"),
    shape!(Login, "ROOT LOGIN  on '{_}' from '{peer}'", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "shadow login.c", user = "root"),
    shape!(Login, "ROOT LOGIN {*}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "shadow login.c", user = "root"),
    shape!(Login, "LOGIN ON {_} BY {user} FROM {peer}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "util-linux login.c log_syslog()", method = "login"),
    shape!(Login, "LOGIN ON {_} BY {user}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "util-linux login.c log_syslog()", method = "login"),
    // --- su (util-linux login-utils/su-common.c; shadow src/su.c and sulog.c; BSD su)
    shape!(Su, "FAILED SU (to {target}) {user} on {*}", a::SU_FAILURE, o::FAILURE, AUTHN, "util-linux su-common.c log_syslog()"),
    shape!(Su, "(to {target}) {user} on {*}", a::SU_SUCCESS, o::SUCCESS, AUTHN, "util-linux su-common.c log_syslog()"),
    shape!(Su, "FAILED su for {target} by {user}", a::SU_FAILURE, o::FAILURE, AUTHN, "shadow su.c"),
    shape!(Su, "Successful su for {target} by {user}", a::SU_SUCCESS, o::SUCCESS, AUTHN, "shadow su.c"),
    shape!(Su, "+ {_} {user}:{target}", a::SU_SUCCESS, o::SUCCESS, AUTHN, "shadow sulog.c"),
    shape!(Su, "- {_} {user}:{target}", a::SU_FAILURE, o::FAILURE, AUTHN, "shadow sulog.c"),
    shape!(Su, "BAD SU {user} to {target} on {*}", a::SU_FAILURE, o::FAILURE, AUTHN, "BSD/old Linux su: \"BAD SU %s to %s%s\""),
    // --- vsftpd (logging.c vsf_log_line: "[user] OK LOGIN: Client \"addr\"", syslog and vsftpd.log alike)
    shape!(Vsftpd, "[{user}] FAIL LOGIN: Client \"{peer}\"{*}", a::AUTH_FAILURE, o::FAILURE, AUTHN, "vsftpd logging.c vsf_log_do_log_vsftpd_format()", method = "ftp"),
    shape!(Vsftpd, "[{user}] OK LOGIN: Client \"{peer}\"{*}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "vsftpd logging.c vsf_log_do_log_vsftpd_format()", method = "ftp"),
    shape!(Vsftpd, "CONNECT: Client \"{peer}\"{*}", a::FTP_CONNECTION, o::UNKNOWN, NET, "vsftpd logging.c"),
    // --- proftpd (mod_auth.c: "USER %s (Login failed): %s", "USER %s: Login successful."), behind "server (remote[ip]) - "
    shape!(Proftpd, "{_} ({peer}[{ip}]) - USER {user} (Login failed): {*}", a::AUTH_FAILURE, o::FAILURE, AUTHN, "proftpd mod_auth.c auth_pass()", method = "ftp"),
    shape!(Proftpd, "{_} ({peer}[{ip}]) - USER {user}: Login successful{*}", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "proftpd mod_auth.c auth_pass()", method = "ftp"),
    shape!(Proftpd, "{_} ({peer}[{ip}]) - USER {user}: no such user found from {*}", a::AUTH_INVALID_USER, o::FAILURE, AUTHN, "proftpd mod_auth.c auth_pass()"),
    shape!(Proftpd, "{_} ({peer}[{ip}]) - Maximum login attempts ({_}) exceeded{*}", a::AUTH_MAX_ATTEMPTS, o::FAILURE, AUTHN, "proftpd mod_auth.c auth_pass()"),
    shape!(Proftpd, "{_} ({peer}[{ip}]) - FTP session opened.", a::FTP_CONNECTION, o::UNKNOWN, NET, "proftpd main.c"),
    // --- pure-ftpd (log_unix.c / pure-ftpd.c: "(user@host) [LEVEL] message")
    shape!(PureFtpd, "({_}@{peer}) [WARNING] Authentication failed for user [{user}]", a::AUTH_FAILURE, o::FAILURE, AUTHN, "pure-ftpd ftpd.c douser()", method = "ftp"),
    shape!(PureFtpd, "({_}@{peer}) [INFO] {user} is now logged in", a::AUTH_SUCCESS, o::SUCCESS, AUTHN, "pure-ftpd ftpd.c douser()", method = "ftp"),
    shape!(PureFtpd, "({_}@{peer}) [INFO] New connection from {*}", a::FTP_CONNECTION, o::UNKNOWN, NET, "pure-ftpd ftpd.c"),
    // --- Linux-PAM modules' own lines (after the `pam_xxx(service:kind): ` prefix)
    shape!(Pam, "Consecutive login failures for user {user} account temporarily locked", a::ACCOUNT_LOCKED, o::FAILURE, "iam", "linux-pam pam_faillock.c check_tally()"),
    shape!(Pam, "user {user} ({_}) tally {_}, deny {_}", a::ACCOUNT_LOCKED, o::FAILURE, "iam", "linux-pam pam_tally2.c tally_check() (removed in 1.5)"),
    shape!(Pam, "received for user {user}: 7 ({*}", a::AUTH_PAM_RESULT, o::FAILURE, AUTHN, "sssd pam_sss.c eval_response()"),
    shape!(Pam, "received for user {user}: {_} ({*}", a::AUTH_PAM_RESULT, o::UNKNOWN, AUTHN, "sssd pam_sss.c eval_response()"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cap {
    User,
    Target,
    Method,
    Peer,
    Ip,
    Domain,
    Port,
    PeerPort,
    Conn,
    Count,
    Skip,
    Any,
    Rest,
}

impl Cap {
    fn parse(name: &str) -> Cap {
        match name {
            "user" => Cap::User,
            "target" => Cap::Target,
            "method" => Cap::Method,
            "peer" => Cap::Peer,
            "ip" => Cap::Ip,
            "domain" => Cap::Domain,
            "port" => Cap::Port,
            "peerport" => Cap::PeerPort,
            "conn" => Cap::Conn,
            "count" => Cap::Count,
            "_" => Cap::Skip,
            "any" => Cap::Any,
            "*" => Cap::Rest,
            other => panic!("unknown placeholder {{{other}}} in the auth message table"),
        }
    }
    /// Captures that run to the last occurrence of the next literal.
    fn greedy(self) -> bool {
        matches!(self, Cap::User | Cap::Any)
    }
}

/// A literal with its substring searchers built once (building one per line costs more than
/// the search).
struct Lit {
    text: &'static str,
    fwd: memchr::memmem::Finder<'static>,
}

enum Seg {
    Lit(Box<Lit>),
    Cap(Cap),
}

fn lit_seg(text: &'static str) -> Seg {
    Seg::Lit(Box::new(Lit { text, fwd: memchr::memmem::Finder::new(text) }))
}

/// Splits a template into literals and captures (done once, at first use).
fn compile(t: &'static str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(lit_seg(&rest[..open]));
        }
        let close = open + rest[open..].find('}').expect("unclosed placeholder in the auth message table");
        let cap = Cap::parse(&rest[open + 1..close]);
        if let Some(Seg::Cap(_)) = out.last() {
            assert!(cap == Cap::Rest, "two placeholders without a literal between them in {t:?}");
        }
        out.push(Seg::Cap(cap));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(lit_seg(rest));
    }
    out
}

static COMPILED: LazyLock<Vec<Vec<Seg>>> = LazyLock::new(|| SHAPES.iter().map(|s| compile(s.template)).collect());

/// Families in the order of their index in [`DISPATCH`].
const FAMILIES: [Family; 8] = [
    Family::Sshd,
    Family::Dropbear,
    Family::Login,
    Family::Su,
    Family::Vsftpd,
    Family::Proftpd,
    Family::PureFtpd,
    Family::Pam,
];

/// Per family and first byte of the message, the rows that can match, in table order: those
/// whose template starts with that byte and those that start with a capture. Most messages are
/// then tried against a handful of rows instead of their family's dozens.
static DISPATCH: LazyLock<Vec<Vec<Vec<u16>>>> = LazyLock::new(|| {
    FAMILIES
        .iter()
        .map(|&fam| {
            (0..=255u8)
                .map(|byte| {
                    SHAPES
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.family == fam)
                        .filter(|(_, s)| s.template.starts_with('{') || s.template.as_bytes()[0] == byte)
                        .map(|(i, _)| i as u16)
                        .collect()
                })
                .collect()
        })
        .collect()
});

/// Most placeholders in one row (5), plus one spare.
const MAX_CAPS: usize = 6;
type Caps<'a> = ([(Cap, &'a str); MAX_CAPS], usize);

/// The span of an OpenSSH connection id at the start of `s`, followed by `next` (or anything
/// when `next` is `None`): the first ` port N` whose digits are followed by `next`; else the
/// first token (the old bare-address form, trailing `:` or `,` removed).
fn conn_span(s: &str, next: Option<&str>) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = text::finder!(b" port ").find(&b[from..]).map(|i| from + i) {
        let digits = b[i + 6..].iter().take_while(|c| c.is_ascii_digit()).count();
        let end = i + 6 + digits;
        if digits > 0 && next.is_none_or(|n| s[end..].starts_with(n)) {
            return Some(end);
        }
        from = i + 1;
    }
    // OpenSSH 9.8+'s listener names a child `connection from ADDR to LADDR`.
    let skip = if s.starts_with("connection from ") { 16 } else { 0 };
    match next {
        Some(n) => s.find(n),
        None => Some(skip + s[skip..].find(' ').unwrap_or(s.len() - skip)),
    }
}

/// Matches `s` against one row, filling `caps`; `None` when the row does not match.
fn match_shape<'a>(segs: &[Seg], s: &'a str, caps: &mut Caps<'a>) -> Option<()> {
    caps.1 = 0;
    let mut pos = 0;
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Seg::Lit(l) => {
                if !s[pos..].starts_with(l.text) {
                    return None;
                }
                pos += l.text.len();
            }
            &Seg::Cap(c) => {
                let rest = &s[pos..];
                let len = match (c, segs.get(i + 1)) {
                    (Cap::Rest, _) => rest.len(),
                    (Cap::Conn, Some(Seg::Lit(l))) => conn_span(rest, Some(l.text))?,
                    (Cap::Conn, _) => conn_span(rest, None)?,
                    (c, Some(Seg::Lit(l))) if c.greedy() => text::rfind_word(rest.as_bytes(), l.text.as_bytes())?,
                    (_, Some(Seg::Lit(l))) => l.fwd.find(rest.as_bytes())?,
                    // Followed by `{*}`: a value token, the rest is free text.
                    (Cap::Port | Cap::Count, Some(Seg::Cap(_))) => rest.bytes().take_while(u8::is_ascii_digit).count(),
                    (Cap::Peer | Cap::Ip | Cap::PeerPort, Some(Seg::Cap(_))) => {
                        rest.find([' ', ',']).unwrap_or(rest.len())
                    }
                    (_, _) => rest.len(),
                };
                if caps.1 < MAX_CAPS {
                    caps.0[caps.1] = (c, &rest[..len]);
                    caps.1 += 1;
                }
                pos += len;
            }
        }
    }
    (pos == s.len()).then_some(())
}

/// Sets `source_ip` or `source_domain` from a peer token (a terminal name is not a peer).
pub(crate) fn set_peer<'a>(ev: &mut Event<'a>, s: &'a str) {
    match text::peer(s) {
        Some(Peer::Ip(ip)) => ev.source_ip = Some(ip),
        // A terminal (`tty1`, `pts/0`, `/dev/tty1`) is where login ran, not a peer.
        Some(Peer::Domain(d)) if !is_terminal(d) => ev.source_domain = Some(Cow::Borrowed(d)),
        _ => {}
    }
}

fn is_terminal(s: &str) -> bool {
    s.starts_with("tty") || s.starts_with("pts") || s.starts_with("/dev/") || s.starts_with("console")
}

/// `IP:PORT` or `[IPv6]:PORT`.
fn set_peerport<'a>(ev: &mut Event<'a>, s: &'a str) {
    let (host, port) = text::addr_port(s);
    set_peer(ev, host);
    ev.source_port = port;
}

/// `[authenticating |invalid ]user NAME ADDR port N`, `ADDR port N`, `connection from ADDR to …`, `ADDR`.
fn set_conn<'a>(ev: &mut Event<'a>, s: &'a str) {
    let s = s.strip_prefix("connection from ").unwrap_or(s);
    let (head, port) = match text::rfind_word(s.as_bytes(), b" port ") {
        Some(i) => (&s[..i], text::parse_port(&s[i + 6..])),
        None => (s, None),
    };
    let head = head.trim_end_matches([':', ',']);
    let who = head.strip_prefix("authenticating ").or_else(|| head.strip_prefix("invalid ")).unwrap_or(head);
    match who.strip_prefix("user ") {
        Some(r) => match r.rsplit_once(' ') {
            Some((user, addr)) => {
                ev.user_name = Some(Cow::Borrowed(user));
                set_peer(ev, addr);
            }
            None => ev.user_name = Some(Cow::Borrowed(r)),
        },
        None => set_peer(ev, text::token(who).0.trim_end_matches([':', ','])),
    }
    ev.source_port = port;
}

fn apply<'a>(shape: &Shape, caps: &Caps<'a>, ev: &mut Event<'a>) {
    super::set_action(ev, shape.action, shape.outcome, shape.category);
    if let Some(m) = shape.method {
        ev.auth_method = Some(Cow::Borrowed(m));
    }
    if let Some(u) = shape.user {
        ev.user_name = Some(Cow::Borrowed(u));
    }
    for &(cap, v) in &caps.0[..caps.1] {
        match cap {
            Cap::User => {
                let u = v.strip_prefix("invalid user ").or_else(|| v.strip_prefix("illegal user ")).unwrap_or(v);
                ev.user_name = Some(Cow::Borrowed(u));
            }
            Cap::Target => ev.user_target_name = Some(Cow::Borrowed(v)),
            Cap::Method => ev.auth_method = Some(Cow::Borrowed(v)),
            Cap::Peer => set_peer(ev, v),
            Cap::Ip => {
                if let Some(ip) = text::ip(v) {
                    ev.source_ip = Some(ip);
                }
            }
            Cap::Domain => {
                if let Some(Peer::Domain(d)) = text::peer(v) {
                    ev.source_domain = Some(Cow::Borrowed(d));
                }
            }
            Cap::Port => ev.source_port = text::parse_port(v),
            Cap::PeerPort => set_peerport(ev, v),
            Cap::Conn => set_conn(ev, v),
            Cap::Count => {
                if let Some(n) = text::parse_u32(v) {
                    ev.event_count = Some(n.min(i32::MAX as u32) as i32);
                }
            }
            Cap::Skip | Cap::Any | Cap::Rest => {}
        }
    }
}

/// The hot path for the two messages that make up most of a busy server's auth log, rows 0 and
/// 1 (`Failed METHOD for USER from PEER port N…`, `Accepted …`): the captures the table's
/// matcher would make, without its generic loop. `None` when the message is not of that shape
/// (the table then decides). `fast_path_agrees_with_the_table` holds the two together.
fn sshd_verdict<'a>(msg: &'a str, caps: &mut Caps<'a>) -> Option<usize> {
    let (row, rest) = match msg.as_bytes().first()? {
        b'F' => (0, msg.strip_prefix("Failed ")?),
        b'A' => (1, msg.strip_prefix("Accepted ")?),
        _ => return None,
    };
    let m = text::find_word(rest.as_bytes(), b" for ")?;
    let (method, rest) = (&rest[..m], &rest[m + 5..]);
    let u = text::rfind_word(rest.as_bytes(), b" from ")?;
    let (user, rest) = (&rest[..u], &rest[u + 6..]);
    let p = text::find_word(rest.as_bytes(), b" port ")?;
    let (peer, rest) = (&rest[..p], &rest[p + 6..]);
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    caps.0[..5].copy_from_slice(&[
        (Cap::Method, method),
        (Cap::User, user),
        (Cap::Peer, peer),
        (Cap::Port, &rest[..digits]),
        (Cap::Rest, &rest[digits..]),
    ]);
    caps.1 = 5;
    Some(row)
}

/// Matches `msg` against the family's rows; fills `ev` and returns the row on a match.
pub fn analyze<'a>(family: Family, msg: &'a str, ev: &mut Event<'a>) -> Option<&'static Shape> {
    let mut caps: Caps<'a> = ([(Cap::Rest, ""); MAX_CAPS], 0);
    if family == Family::Sshd {
        if let Some(row) = sshd_verdict(msg, &mut caps) {
            apply(&SHAPES[row], &caps, ev);
            return Some(&SHAPES[row]);
        }
    }
    let compiled = &*COMPILED;
    let fam = FAMILIES.iter().position(|&f| f == family)?;
    let rows = &DISPATCH[fam][usize::from(*msg.as_bytes().first()?)];
    for &row in rows {
        let (shape, segs) = (&SHAPES[row as usize], &compiled[row as usize]);
        if match_shape(segs, msg, &mut caps).is_some() {
            apply(shape, &caps, ev);
            return Some(shape);
        }
    }
    None
}

/// The OpenSSH message with its decorations removed: a trailing ` [preauth]` (and whether it was
/// there) and a leading `error: `/`fatal: ` (the log level sshd writes outside the format).
pub fn sshd_core(msg: &str) -> (&str, bool) {
    let (m, preauth) = match msg.strip_suffix(" [preauth]").or_else(|| msg.strip_suffix("[preauth]")) {
        Some(m) => (m, true),
        None => (msg, false),
    };
    let m = m.strip_prefix("error: ").or_else(|| m.strip_prefix("fatal: ")).unwrap_or(m);
    (m, preauth)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (family, message as the daemon writes it, action, user, ip or domain, port).
    type Case = (Family, &'static str, &'static str, Option<&'static str>, Option<&'static str>, Option<i32>);

    #[rustfmt::skip]
    const CASES: &[Case] = &[
        (Family::Sshd, "Failed password for root from 203.0.113.7 port 50022 ssh2", a::AUTH_FAILURE, Some("root"), Some("203.0.113.7"), Some(50022)),
        (Family::Sshd, "Accepted publickey for deploy from 10.0.0.9 port 51000 ssh2: ED25519 SHA256:abc", a::AUTH_SUCCESS, Some("deploy"), Some("10.0.0.9"), Some(51000)),
        (Family::Sshd, "Invalid user pascal7 from 35.1.2.3 port 40112", a::AUTH_INVALID_USER, Some("pascal7"), Some("35.1.2.3"), Some(40112)),
        (Family::Sshd, "Invalid user webmaster from 173.234.31.186", a::AUTH_INVALID_USER, Some("webmaster"), Some("173.234.31.186"), None),
        (Family::Sshd, "Connection closed by authenticating user root 192.0.2.5 port 40003", a::SSH_DISCONNECT, Some("root"), Some("192.0.2.5"), Some(40003)),
        (Family::Sshd, "Connection reset by 192.0.2.8 port 2201", a::SSH_DISCONNECT, None, Some("192.0.2.8"), Some(2201)),
        (Family::Sshd, "Received disconnect from 192.0.2.5 port 40002:11: Bye Bye", a::SSH_DISCONNECT, None, Some("192.0.2.5"), Some(40002)),
        (Family::Sshd, "Disconnected from invalid user admin 192.0.2.9 port 5150", a::SSH_DISCONNECT, Some("admin"), Some("192.0.2.9"), Some(5150)),
        (Family::Sshd, "Write failed: Connection reset by peer", a::SSH_DISCONNECT, None, None, None),
        (Family::Sshd, "Read error from remote host 192.0.2.10 port 5151: Connection reset by peer", a::SSH_DISCONNECT, None, Some("192.0.2.10"), Some(5151)),
        (Family::Sshd, "Connection from authenticating user root 192.0.2.9 port 5150 timed out", a::SSH_DISCONNECT, Some("root"), Some("192.0.2.9"), Some(5150)),
        (Family::Sshd, "Disconnecting: Too many authentication failures for admin", a::AUTH_MAX_ATTEMPTS, Some("admin"), None, None),
        (Family::Sshd, "Disconnecting: Too many authentication failures", a::AUTH_MAX_ATTEMPTS, None, None, None),
        (Family::Sshd, "Disconnecting invalid user test 192.0.2.5 port 40001: Too many authentication failures", a::AUTH_MAX_ATTEMPTS, Some("test"), Some("192.0.2.5"), Some(40001)),
        (Family::Sshd, "Disconnecting authenticating user root 192.0.2.5 port 40001: Change of username or service not allowed: (root,ssh-connection) -> (admin,ssh-connection)", a::SSH_DISCONNECT, Some("root"), Some("192.0.2.5"), Some(40001)),
        (Family::Sshd, "maximum authentication attempts exceeded for invalid user guest from 192.0.2.5 port 40000 ssh2", a::AUTH_MAX_ATTEMPTS, Some("guest"), Some("192.0.2.5"), Some(40000)),
        (Family::Sshd, "PAM: Authentication failure for illegal user oracle from 198.51.100.20", a::AUTH_PAM_ERROR, Some("oracle"), Some("198.51.100.20"), None),
        (Family::Sshd, "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76  user=root", a::AUTH_FAILURE_SUMMARY, None, None, None),
        (Family::Sshd, "User bob from 198.51.100.4 not allowed because not listed in AllowUsers", a::AUTH_USER_NOT_ALLOWED, Some("bob"), Some("198.51.100.4"), None),
        (Family::Sshd, "User nobody not allowed because shell /usr/sbin/nologin is not executable", a::AUTH_USER_NOT_ALLOWED, Some("nobody"), None, None),
        (Family::Sshd, "ROOT LOGIN REFUSED FROM 203.0.113.50 port 33022", a::AUTH_ROOT_REFUSED, Some("root"), Some("203.0.113.50"), Some(33022)),
        (Family::Sshd, "ROOT LOGIN REFUSED FROM 203.0.113.50", a::AUTH_ROOT_REFUSED, Some("root"), Some("203.0.113.50"), None),
        (Family::Sshd, "Postponed keyboard-interactive for invalid user jenkins from 203.0.113.60 port 41000 ssh2", a::AUTH_POSTPONED, Some("jenkins"), Some("203.0.113.60"), Some(41000)),
        (Family::Sshd, "Partial publickey for alice from 10.0.0.4 port 5000 ssh2: ED25519 SHA256:x", a::AUTH_PARTIAL, Some("alice"), Some("10.0.0.4"), Some(5000)),
        (Family::Sshd, "Authentication refused for carol: bad owner or modes for /home/carol/.shosts", a::AUTH_REFUSED_CONFIG, Some("carol"), None, None),
        (Family::Sshd, "Authentication refused: bad ownership or modes for file /home/dave/.ssh/authorized_keys", a::AUTH_REFUSED_CONFIG, None, None, None),
        (Family::Sshd, "input_userauth_request: invalid user test9", a::SSH_INVALID_USER_REQUEST, Some("test9"), None, None),
        (Family::Sshd, "input_userauth_request: invalid user  [preauth]", a::SSH_INVALID_USER_REQUEST, Some(""), None, None),
        (Family::Sshd, "PAM service(sshd) ignoring max retries; 6 > 3", a::AUTH_MAX_ATTEMPTS, None, None, None),
        (Family::Sshd, "Close session: user ubuntu from 192.0.2.85 port 63497 id 0", a::SESSION_CLOSE, Some("ubuntu"), Some("192.0.2.85"), Some(63497)),
        (Family::Sshd, "Did not receive identification string from 192.0.2.6 port 5555", a::SSH_NO_IDENTIFICATION, None, Some("192.0.2.6"), Some(5555)),
        (Family::Sshd, "banner exchange: Connection from 192.0.2.77 port 60001: invalid format", a::SSH_BAD_PROTOCOL, None, Some("192.0.2.77"), Some(60001)),
        (Family::Sshd, "Bad protocol version identification 'GET / HTTP/1.1' from 192.0.2.78 port 60002", a::SSH_BAD_PROTOCOL, None, Some("192.0.2.78"), Some(60002)),
        (Family::Sshd, "Protocol major versions differ: 2 vs. 1", a::SSH_BAD_PROTOCOL, None, None, None),
        (Family::Sshd, "kex_exchange_identification: Connection closed by remote host", a::SSH_KEX_FAILED, None, None, None),
        (Family::Sshd, "Unable to negotiate with 192.0.2.79 port 60003: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]", a::SSH_NEGOTIATION_FAILED, None, Some("192.0.2.79"), Some(60003)),
        (Family::Sshd, "ssh_dispatch_run_fatal: Connection from 192.0.2.80 port 60004: message authentication code incorrect", a::SSH_KEX_FAILED, None, Some("192.0.2.80"), Some(60004)),
        (Family::Sshd, "Timeout before authentication for 192.0.2.81 port 60005", a::SSH_PREAUTH_TIMEOUT, None, Some("192.0.2.81"), Some(60005)),
        (Family::Sshd, "Timeout before authentication for connection from 192.0.2.82 to 10.0.0.2, pid = 4242", a::SSH_PREAUTH_TIMEOUT, None, Some("192.0.2.82"), None),
        (Family::Sshd, "drop connection #10 from [192.0.2.83]:60006 on [10.0.0.2]:22 penalty: failed authentication", a::SSH_DROPPED, None, Some("192.0.2.83"), Some(60006)),
        (Family::Sshd, "Connection from 192.0.2.7 port 6000 on 10.0.0.2 port 22 rdomain \"\"", a::SSH_CONNECTION, None, Some("192.0.2.7"), Some(6000)),
        (Family::Sshd, "Starting session: shell on pts/0 for alice from 10.0.0.5 port 5100 id 0", a::SSH_SESSION_START, Some("alice"), Some("10.0.0.5"), Some(5100)),
        (Family::Sshd, "reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!", a::SSH_REVERSE_MAPPING_FAILED, None, Some("173.234.31.186"), None),
        (Family::Sshd, "Address 190.1.2.3 maps to x.example.net, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!", a::SSH_REVERSE_MAPPING_FAILED, None, Some("190.1.2.3"), None),
        (Family::Sshd, "Server listening on 0.0.0.0 port 22.", a::SERVICE_START, None, None, None),
        (Family::Sshd, "Received signal 15; terminating.", a::SERVICE_STOP, None, None, None),
        (Family::Dropbear, "Bad password attempt for 'root' from 198.51.100.7:51234", a::AUTH_FAILURE, Some("root"), Some("198.51.100.7"), Some(51234)),
        (Family::Dropbear, "Bad PAM password attempt for 'admin' from [2001:db8::7]:51235", a::AUTH_FAILURE, Some("admin"), Some("2001:db8::7"), Some(51235)),
        (Family::Dropbear, "Login attempt for nonexistent user from 198.51.100.7:51236", a::AUTH_INVALID_USER, None, Some("198.51.100.7"), Some(51236)),
        (Family::Dropbear, "Login attempt for nonexistent user 'ubnt' from 198.51.100.7:51237", a::AUTH_INVALID_USER, Some("ubnt"), Some("198.51.100.7"), Some(51237)),
        (Family::Dropbear, "Login attempt with wrong user admin from 198.51.100.7:51238", a::AUTH_USER_NOT_ALLOWED, Some("admin"), Some("198.51.100.7"), Some(51238)),
        (Family::Dropbear, "root login rejected", a::AUTH_ROOT_REFUSED, Some("root"), None, None),
        (Family::Dropbear, "Logins are restricted to the group wheel but user 'bob' is not a member", a::AUTH_USER_NOT_ALLOWED, Some("bob"), None, None),
        (Family::Dropbear, "User 'ftp' has invalid shell, rejected", a::AUTH_USER_NOT_ALLOWED, Some("ftp"), None, None),
        (Family::Dropbear, "User 'guest' has blank password, rejected", a::AUTH_USER_NOT_ALLOWED, Some("guest"), None, None),
        (Family::Dropbear, "User account 'old' is locked", a::AUTH_USER_NOT_ALLOWED, Some("old"), None, None),
        (Family::Dropbear, "Password auth succeeded for 'root' from 198.51.100.8:40000", a::AUTH_SUCCESS, Some("root"), Some("198.51.100.8"), Some(40000)),
        (Family::Dropbear, "PAM password auth succeeded for 'root' from 198.51.100.8:40001", a::AUTH_SUCCESS, Some("root"), Some("198.51.100.8"), Some(40001)),
        (Family::Dropbear, "Pubkey auth succeeded for 'root' with ssh-ed25519 key SHA256:AbCd from 198.51.100.8:40002", a::AUTH_SUCCESS, Some("root"), Some("198.51.100.8"), Some(40002)),
        (Family::Dropbear, "Pubkey auth bad signature for 'root' with key SHA256:AbCd from 198.51.100.8:40003", a::AUTH_FAILURE, Some("root"), Some("198.51.100.8"), Some(40003)),
        (Family::Dropbear, "Exit before auth from <198.51.100.9:40004>: (user 'root', 10 fails): Max auth tries reached - user 'root'", a::SSH_PREAUTH_CLOSE, Some("root"), Some("198.51.100.9"), Some(40004)),
        (Family::Dropbear, "Exit before auth from <198.51.100.9:40005>: Exited normally", a::SSH_PREAUTH_CLOSE, None, Some("198.51.100.9"), Some(40005)),
        (Family::Dropbear, "Exit before auth (user 'admin', 3 fails): Disconnect received", a::SSH_PREAUTH_CLOSE, Some("admin"), None, None),
        (Family::Dropbear, "Exit before auth: Exited normally", a::SSH_PREAUTH_CLOSE, None, None, None),
        (Family::Dropbear, "Early exit from <198.51.100.9:40006>: Failed listening", a::SSH_PREAUTH_CLOSE, None, Some("198.51.100.9"), Some(40006)),
        (Family::Dropbear, "Exit (root) from <198.51.100.8:40002>: Disconnect received", a::SSH_DISCONNECT, Some("root"), Some("198.51.100.8"), Some(40002)),
        (Family::Dropbear, "Exit (root): Disconnect received", a::SSH_DISCONNECT, Some("root"), None, None),
        (Family::Dropbear, "Child connection from 198.51.100.9:40007", a::SSH_CONNECTION, None, Some("198.51.100.9"), Some(40007)),
        (Family::Login, "FAILED LOGIN 1 FROM 192.0.2.44 FOR x, Authentication failure", a::AUTH_FAILURE, Some("x"), Some("192.0.2.44"), None),
        (Family::Login, "FAILED LOGIN (1) on '/dev/pts/3' from 'gw.example.org' FOR 'root', Authentication failure", a::AUTH_FAILURE, Some("root"), Some("gw.example.org"), None),
        (Family::Login, "FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure", a::AUTH_FAILURE, Some("root"), None, None),
        (Family::Login, "TOO MANY LOGIN TRIES (5) FROM 192.0.2.44 FOR root, Authentication failure", a::AUTH_MAX_ATTEMPTS, Some("root"), Some("192.0.2.44"), None),
        (Family::Login, "TOO MANY LOGIN TRIES (3) on '/dev/pts/1' from '192.0.2.45' FOR 'admin', Authentication failure", a::AUTH_MAX_ATTEMPTS, Some("admin"), Some("192.0.2.45"), None),
        (Family::Login, "TOO MANY LOGIN TRIES (3) on '/dev/tty2' FOR 'admin', Authentication failure", a::AUTH_MAX_ATTEMPTS, Some("admin"), None, None),
        (Family::Login, "invalid password for 'carol' on '/dev/tty3'", a::AUTH_FAILURE, Some("carol"), None, None),
        (Family::Login, "ROOT LOGIN ON pts/0 FROM 192.0.2.46", a::AUTH_SUCCESS, Some("root"), Some("192.0.2.46"), None),
        (Family::Login, "ROOT LOGIN ON tty1", a::AUTH_SUCCESS, Some("root"), None, None),
        (Family::Login, "ROOT LOGIN  on '/dev/pts/0' from '192.0.2.47'", a::AUTH_SUCCESS, Some("root"), Some("192.0.2.47"), None),
        (Family::Login, "ROOT LOGIN  on '/dev/tty1'", a::AUTH_SUCCESS, Some("root"), None, None),
        (Family::Login, "LOGIN ON pts/1 BY alice FROM 192.0.2.48", a::AUTH_SUCCESS, Some("alice"), Some("192.0.2.48"), None),
        (Family::Login, "LOGIN ON tty2 BY alice", a::AUTH_SUCCESS, Some("alice"), None, None),
        (Family::Su, "FAILED SU (to root) bob on pts/1", a::SU_FAILURE, Some("bob"), None, None),
        (Family::Su, "(to root) alice on pts/0", a::SU_SUCCESS, Some("alice"), None, None),
        (Family::Su, "FAILED su for root by bob", a::SU_FAILURE, Some("bob"), None, None),
        (Family::Su, "Successful su for root by alice", a::SU_SUCCESS, Some("alice"), None, None),
        (Family::Su, "+ pts/0 alice:root", a::SU_SUCCESS, Some("alice"), None, None),
        (Family::Su, "- pts/1 bob:root", a::SU_FAILURE, Some("bob"), None, None),
        (Family::Su, "BAD SU mallory to root on /dev/ttyp1", a::SU_FAILURE, Some("mallory"), None, None),
        (Family::Vsftpd, "[alice] FAIL LOGIN: Client \"192.0.2.90\"", a::AUTH_FAILURE, Some("alice"), Some("192.0.2.90"), None),
        (Family::Vsftpd, "[alice] OK LOGIN: Client \"::ffff:192.0.2.90\", anon password \"x\"", a::AUTH_SUCCESS, Some("alice"), Some("192.0.2.90"), None),
        (Family::Vsftpd, "CONNECT: Client \"192.0.2.90\"", a::FTP_CONNECTION, None, Some("192.0.2.90"), None),
        (Family::Proftpd, "ftp.example.com (scan.example.net[198.51.100.30]) - USER admin (Login failed): Incorrect password", a::AUTH_FAILURE, Some("admin"), Some("198.51.100.30"), None),
        (Family::Proftpd, "ftp.example.com (198.51.100.31[198.51.100.31]) - USER alice: Login successful.", a::AUTH_SUCCESS, Some("alice"), Some("198.51.100.31"), None),
        (Family::Proftpd, "ftp.example.com (198.51.100.32[198.51.100.32]) - USER oracle: no such user found from 198.51.100.32 [198.51.100.32] to 10.0.0.3:21", a::AUTH_INVALID_USER, Some("oracle"), Some("198.51.100.32"), None),
        (Family::Proftpd, "ftp.example.com (198.51.100.33[198.51.100.33]) - Maximum login attempts (3) exceeded, connection refused", a::AUTH_MAX_ATTEMPTS, None, Some("198.51.100.33"), None),
        (Family::Proftpd, "ftp.example.com (198.51.100.33[198.51.100.33]) - FTP session opened.", a::FTP_CONNECTION, None, Some("198.51.100.33"), None),
        (Family::PureFtpd, "(?@198.51.100.40) [WARNING] Authentication failed for user [admin]", a::AUTH_FAILURE, Some("admin"), Some("198.51.100.40"), None),
        (Family::PureFtpd, "(?@198.51.100.41) [INFO] alice is now logged in", a::AUTH_SUCCESS, Some("alice"), Some("198.51.100.41"), None),
        (Family::PureFtpd, "(?@198.51.100.42) [INFO] New connection from 198.51.100.42", a::FTP_CONNECTION, None, Some("198.51.100.42"), None),
        (Family::Pam, "Consecutive login failures for user root account temporarily locked", a::ACCOUNT_LOCKED, Some("root"), None, None),
        (Family::Pam, "user root (0) tally 4, deny 3", a::ACCOUNT_LOCKED, Some("root"), None, None),
        (Family::Pam, "received for user alice: 7 (Authentication failure)", a::AUTH_PAM_RESULT, Some("alice"), None, None),
        (Family::Pam, "received for user alice: 0 (Success)", a::AUTH_PAM_RESULT, Some("alice"), None, None),
    ];

    #[test]
    fn every_case_parses_as_expected() {
        for &(family, line, action, user, peer, port) in CASES {
            let (msg, _) = sshd_core(line);
            let mut ev = Event::default();
            let shape = analyze(family, msg, &mut ev).unwrap_or_else(|| panic!("no row matches {line:?}"));
            assert_eq!(shape.action, action, "{line}");
            assert_eq!(ev.user_name.as_deref(), user, "user of {line}");
            let got_peer = ev.source_ip.as_deref().or(ev.source_domain.as_deref());
            assert_eq!(got_peer, peer, "peer of {line}");
            assert_eq!(ev.source_port, port, "port of {line}");
        }
    }

    /// The table is the checklist: every row has at least one test line that it, and no
    /// earlier row, matches.
    #[test]
    fn every_row_has_a_test_line() {
        let mut missing = Vec::new();
        for (i, shape) in SHAPES.iter().enumerate() {
            let covered = CASES.iter().any(|&(family, line, ..)| {
                let mut ev = Event::default();
                family == shape.family
                    && analyze(family, sshd_core(line).0, &mut ev).is_some_and(|s| std::ptr::eq(s, &SHAPES[i]))
            });
            if !covered {
                missing.push(shape.template);
            }
        }
        assert!(missing.is_empty(), "rows without a test line: {missing:#?}");
    }

    /// The sshd hot path makes exactly the captures the table's matcher makes for rows 0 and 1,
    /// and declines every message those rows do not match.
    #[test]
    fn fast_path_agrees_with_the_table() {
        assert_eq!(SHAPES[0].template, "Failed {method} for {user} from {peer} port {port}{*}");
        assert_eq!(SHAPES[1].template, "Accepted {method} for {user} from {peer} port {port}{*}");
        let extra = [
            "Failed password for invalid user admin from 192.0.2.1 port 22 ssh2",
            "Failed password for user from from 192.0.2.1 port 22 ssh2",
            "Failed password for  from 192.0.2.1 port 22 ssh2",
            "Failed password for root from 192.0.2.1 port ssh2",
            "Failed password for root from 192.0.2.1",
            "Failed none for root from 2001:db8::1 port 4022 ssh2",
            "Accepted publickey for git from 10.0.0.1 port 5 ssh2: RSA SHA256:x",
            "Accepted keyboard-interactive/pam for a for b from host.example port 1 ssh2",
            "Failed for root from 1.2.3.4 port 5 ssh2",
            "Failedpassword for root from 1.2.3.4 port 5",
            "Accepted",
            "F",
            "",
        ];
        let lines = CASES.iter().filter(|c| c.0 == Family::Sshd).map(|c| sshd_core(c.1).0).chain(extra);
        for line in lines {
            let mut fast: Caps = ([(Cap::Rest, ""); MAX_CAPS], 0);
            let got = sshd_verdict(line, &mut fast);
            let mut slow: Caps = ([(Cap::Rest, ""); MAX_CAPS], 0);
            let want = (0..2).find(|&r| match_shape(&COMPILED[r], line, &mut slow).is_some());
            assert_eq!(got, want, "{line:?}");
            if want.is_some() {
                assert_eq!(fast.0[..fast.1], slow.0[..slow.1], "{line:?}");
            }
        }
    }

    #[test]
    fn hostile_names_do_not_confuse_the_scanner() {
        let mut ev = Event::default();
        let shape = analyze(
            Family::Sshd,
            "Failed password for invalid user a from b port 1 from 192.0.2.1 port 22 ssh2",
            &mut ev,
        );
        assert_eq!(shape.map(|s| s.action), Some(a::AUTH_FAILURE));
        assert_eq!(ev.user_name.as_deref(), Some("a from b port 1"));
        assert_eq!(ev.source_ip.as_deref(), Some("192.0.2.1"));
        let mut ev = Event::default();
        assert!(analyze(Family::Sshd, "something new in openssh 11", &mut ev).is_none());
        let mut ev = Event::default();
        assert!(analyze(Family::Sshd, "", &mut ev).is_none());
        let mut ev = Event::default();
        assert!(analyze(Family::Dropbear, "Bad password attempt for 'x", &mut ev).is_none());
    }
}
