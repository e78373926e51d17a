//! Web server error logs, as the servers write them:
//!
//! - Apache 2.4 (`server/log.c`, default `ErrorLogFormat`):
//!   `[Sun Dec 14 02:36:09.074850 2025] [core:info] [pid 13118:tid 140] [client 209.167.27.14:5487] AH00128: File does not exist: /var/www/x, referer: http://…`
//!   (an `(errno)text: ` may stand before the message);
//! - Apache 2.2: `[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /x`;
//! - nginx (`src/core/ngx_log.c`): `2026/01/05 14:10:05 [error] 1234#0: *5 message, client: IP, server: name, request: "GET / HTTP/1.1", host: "…"`.
//!
//! Meaning is read for what an investigator looks for: HTTP basic-auth failures (Apache
//! `mod_auth_basic` AH01617/AH01618, nginx `ngx_http_auth_basic_module`) become `auth.failure`
//! in the `auth` module so the brute-force rules count them; denied paths, missing files,
//! ModSecurity alerts and script (PHP) errors get their own actions. Times carry no zone and
//! follow the host's zone, as for syslog.

use std::borrow::Cow;

use super::time::{self, YearSource};
use super::{text, Event, FileCtx, FormatSpec, LineParser, Module, Reject};
use crate::schema::{action, outcome};

pub struct ErrorLogSpec;

/// Apache's `Www Mmm dd hh:mm:ss[.frac] yyyy` inside `[…]`: (local micros, bytes used incl. `]`).
fn apache_time(b: &[u8]) -> Option<(i64, usize)> {
    let (micros, used) = time::parse_ctime(b.strip_prefix(b"[")?)?;
    (b.get(used + 1) == Some(&b']')).then_some((micros, used + 2))
}

/// nginx's `yyyy/mm/dd hh:mm:ss`: (local micros, bytes used).
fn nginx_time(b: &[u8]) -> Option<(i64, usize)> {
    (b.get(10) == Some(&b' ')).then(|| time::parse_slashed(b)).flatten()
}

impl FormatSpec for ErrorLogSpec {
    fn id(&self) -> &'static str {
        "error_log"
    }
    fn describe(&self) -> &'static str {
        "Apache 2.2/2.4 and nginx error logs: client address, pid/tid, module, level, AH codes; basic-auth failures, denials, missing files, ModSecurity alerts, PHP errors"
    }
    fn sniff(&self, line: &str) -> bool {
        let b = line.as_bytes();
        if let Some((_, used)) = apache_time(b) {
            return line[used..].starts_with(" [");
        }
        if let Some((_, used)) = nginx_time(b) {
            return line[used..].starts_with(" [");
        }
        false
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        Ok(Box::new(ErrorLogParser { ctx: ctx.clone() }))
    }
}

pub struct ErrorLogParser {
    ctx: FileCtx,
}

/// `[x]` at the start of `s` (after spaces): (inside, rest).
fn bracket(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(' ');
    let r = s.strip_prefix('[')?;
    let end = r.find(']')?;
    Some((&r[..end], &r[end + 1..]))
}

impl LineParser for ErrorLogParser {
    fn parse<'a>(&'a self, line: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        ev.year_source = Some(Cow::Borrowed(YearSource::Line.as_str()));
        ev.host_name = self.ctx.host_hint.as_deref().map(Cow::Borrowed);
        let b = line.as_bytes();
        if let Some((local, used)) = apache_time(b) {
            super::set_local_time(ev, &self.ctx.zone, local);
            return self.apache(&line[used..], ev);
        }
        if let Some((local, used)) = nginx_time(b) {
            super::set_local_time(ev, &self.ctx.zone, local);
            return self.nginx(&line[used..], ev);
        }
        Err(Reject::new("no error-log timestamp"))
    }
}

impl ErrorLogParser {
    fn apache<'a>(&self, rest: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        // [module:level] (2.4) or [level] (2.2)
        let (ml, mut rest) = bracket(rest).ok_or(Reject::new("no [level] after the error-log timestamp"))?;
        let (module, level) = ml.split_once(':').unwrap_or(("", ml));
        ev.log_level = Some(Cow::Borrowed(level));
        ev.process_name = Some(Cow::Borrowed(if module.is_empty() { "apache" } else { module }));
        let mut client = None;
        while let Some((inner, r)) = bracket(rest) {
            if let Some(p) = inner.strip_prefix("pid ") {
                let (pid, _tid) = p.split_once(":tid ").unwrap_or((p, ""));
                ev.process_pid = text::parse_u32(pid).map(i64::from);
            } else if let Some(c) = inner.strip_prefix("client ").or_else(|| inner.strip_prefix("remote ")) {
                client.get_or_insert(c);
            } else {
                break;
            }
            rest = r;
        }
        if let Some(c) = client {
            set_client(ev, c);
        }
        let mut msg = rest.trim_start_matches(' ');
        // `(111)Connection refused: ` errno prefix.
        if let Some(r) = msg.strip_prefix('(') {
            if let Some((n, after)) = r.split_once(')') {
                if n.bytes().all(|c| c.is_ascii_digit() || c == b'-') && !n.is_empty() {
                    msg = after.split_once(": ").map_or(after, |(_, m)| m);
                }
            }
        }
        // `, referer: …` closes a request's message.
        let msg = match text::rfind_word(msg.as_bytes(), b", referer: ") {
            Some(i) => {
                ev.http_request_referrer = Some(Cow::Borrowed(&msg[i + 11..]));
                &msg[..i]
            }
            None => msg,
        };
        ev.message = Some(Cow::Borrowed(msg));
        let (code, text_part) = match msg.get(..2) {
            Some("AH") if msg.len() > 8 && msg.as_bytes()[7] == b':' => (Some(&msg[..7]), msg[8..].trim_start()),
            _ => (None, msg),
        };
        if let Some(c) = code {
            ev.rule_name = Some(Cow::Borrowed(c));
        }
        Ok(meaning(text_part, ev, Module::ApacheError))
    }

    fn nginx<'a>(&self, rest: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        let (level, rest) = bracket(rest).ok_or(Reject::new("no [level] after the error-log timestamp"))?;
        ev.log_level = Some(Cow::Borrowed(level));
        ev.process_name = Some(Cow::Borrowed("nginx"));
        let rest = rest.trim_start_matches(' ');
        let (pidtid, rest) = text::token(rest);
        if let Some((pid, _)) = pidtid.strip_suffix(':').and_then(|p| p.split_once('#')) {
            ev.process_pid = text::parse_u32(pid).map(i64::from);
        }
        // `*CID ` connection number.
        let rest = match rest.strip_prefix('*') {
            Some(r) => text::token(r).1,
            None => rest,
        };
        // Trailing `, client: IP, server: X, request: "M P V", upstream: "…", host: "…"`.
        let (msg, ctx) = match text::finder!(b", client: ").find(rest.as_bytes()) {
            Some(i) => (&rest[..i], &rest[i + 2..]),
            None => (rest, ""),
        };
        for item in ctx.split(", ") {
            if let Some(c) = item.strip_prefix("client: ") {
                set_client(ev, c);
            } else if let Some(r) = item.strip_prefix("request: \"") {
                let r = r.trim_end_matches('"');
                let (method, r) = text::token(r);
                let (target, _version) = text::token(r);
                ev.http_request_method = Some(Cow::Borrowed(method));
                let (path, query) = target.split_once('?').map_or((target, None), |(p, q)| (p, Some(q)));
                ev.url_path = Some(Cow::Borrowed(path));
                ev.url_query = query.map(Cow::Borrowed);
            } else if let Some(h) = item.strip_prefix("host: \"") {
                ev.url_domain = Some(Cow::Borrowed(h.trim_end_matches('"')));
            }
        }
        ev.message = Some(Cow::Borrowed(msg));
        Ok(meaning(msg, ev, Module::NginxError))
    }
}

/// `IP`, `IP:PORT` or `[v6]:PORT`.
fn set_client<'a>(ev: &mut Event<'a>, c: &'a str) {
    let (addr, port) = text::addr_port(c.trim());
    if let Some(ip) = text::ip(addr) {
        ev.source_ip = Some(ip);
        ev.source_port = port;
    }
}

use super::set_action as set;

/// The meaning of an error message (Apache text after the AH code, or nginx's message).
fn meaning<'a>(m: &'a str, ev: &mut Event<'a>, module: Module) -> Module {
    let quoted = |s: &'a str| s.strip_prefix('"').and_then(|s| s.split('"').next());
    // Apache mod_auth_basic: AH01617 `user %s: authentication failure for "%s": Password Mismatch`,
    // AH01618 `user %s not found: %s`.
    if let Some(r) = m.strip_prefix("user ") {
        if let Some(i) = text::rfind_word(r.as_bytes(), b": authentication failure for ") {
            set(ev, action::AUTH_FAILURE, outcome::FAILURE, "authentication");
            ev.user_name = Some(Cow::Borrowed(&r[..i]));
            ev.url_path = quoted(&r[i + 29..]).map(Cow::Borrowed);
            ev.auth_method = Some(Cow::Borrowed("http_basic"));
            return Module::Auth;
        }
        if let Some(i) = text::rfind_word(r.as_bytes(), b" not found: ") {
            set(ev, action::AUTH_FAILURE, outcome::FAILURE, "authentication");
            ev.user_name = Some(Cow::Borrowed(&r[..i]));
            ev.url_path = Some(Cow::Borrowed(&r[i + 12..]));
            ev.auth_method = Some(Cow::Borrowed("http_basic"));
            return Module::Auth;
        }
        // nginx ngx_http_auth_basic_module: `user "x" was not found in "/etc/nginx/.htpasswd"`,
        // `user "x": password mismatch`.
        if let Some(u) = quoted(r) {
            let after = &r[u.len() + 2..];
            if after.starts_with(" was not found in ") || after.starts_with(": password mismatch") {
                set(ev, action::AUTH_FAILURE, outcome::FAILURE, "authentication");
                ev.user_name = Some(Cow::Borrowed(u));
                ev.auth_method = Some(Cow::Borrowed("http_basic"));
                return Module::Auth;
            }
        }
    }
    if m.starts_with("client denied by server configuration")
        || m.starts_with("access forbidden by rule")
        || m.starts_with("directory index of ") && m.contains("is forbidden")
    {
        set(ev, action::HTTP_DENIED, outcome::FAILURE, "web");
        if let Some((_, p)) = m.split_once(": ") {
            ev.url_path.get_or_insert(Cow::Borrowed(p));
        }
    } else if let Some(p) =
        m.strip_prefix("File does not exist: ").or_else(|| m.strip_prefix("script not found or unable to stat: "))
    {
        set(ev, action::HTTP_NOT_FOUND, outcome::FAILURE, "web");
        ev.url_path.get_or_insert(Cow::Borrowed(p));
    } else if m.starts_with("open() \"") && m.contains("(2: No such file or directory)") {
        set(ev, action::HTTP_NOT_FOUND, outcome::FAILURE, "web");
    } else if let Some(i) = text::finder!(b"ModSecurity: ").find(m.as_bytes()) {
        set(ev, action::WEB_WAF_ALERT, outcome::UNKNOWN, "web");
        let r = &m[i..];
        if r.contains("Access denied") {
            ev.event_outcome = Some(Cow::Borrowed(outcome::FAILURE));
        }
        let field = |key: &str| -> Option<&'a str> {
            let at = r.find(&format!("[{key} \""))?;
            let v = &r[at + key.len() + 3..];
            v.split("\"]").next()
        };
        if let Some(id) = field("id") {
            ev.rule_name = Some(Cow::Borrowed(id));
        }
        if let Some(uri) = field("uri") {
            ev.url_path.get_or_insert(Cow::Borrowed(uri));
        }
    } else if let Some(i) = text::finder!(b"PHP ").find(m.as_bytes()) {
        let r = &m[i + 4..];
        let kind =
            ["Fatal error", "Parse error", "Warning", "Notice", "Deprecated"].into_iter().find(|k| r.starts_with(k));
        match kind {
            Some(_) => set(ev, action::WEB_SCRIPT_ERROR, outcome::FAILURE, "web"),
            None => set(ev, action::LOG_MESSAGE, outcome::UNKNOWN, "web"),
        }
    } else {
        set(ev, action::LOG_MESSAGE, outcome::UNKNOWN, "web");
    }
    module
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::{format_rfc3339, YearRule, Zone};
    use std::sync::Arc;

    fn parse(line: &'static str) -> (Module, Event<'static>) {
        let p: &'static ErrorLogParser = Box::leak(Box::new(ErrorLogParser {
            ctx: FileCtx {
                rel_path: Arc::from("web01/var/log/apache2/error.log"),
                host_hint: Some(Arc::from("web01")),
                year: YearRule::Fixed(2026),
                zone: Zone::Utc,
            },
        }));
        let mut ev = Event::default();
        let m = p.parse(line, &mut ev).unwrap_or_else(|r| panic!("{line}: {}", r.reason));
        (m, ev)
    }

    #[test]
    fn apache_24_lines() {
        let l = "[Sun Dec 14 02:36:09.074850 2025] [core:info] [pid 13118] [client 209.167.27.14:5487] AH00128: File does not exist: /var/www/html/wp-login.php";
        assert!(ErrorLogSpec.sniff(l));
        let (m, ev) = parse(l);
        assert_eq!(m, Module::ApacheError);
        assert_eq!(format_rfc3339(ev.timestamp), "2025-12-14T02:36:09.074850Z");
        assert_eq!((ev.event_action.as_deref(), ev.rule_name.as_deref()), (Some("http.not_found"), Some("AH00128")));
        assert_eq!(
            (ev.source_ip.as_deref(), ev.source_port, ev.process_pid),
            (Some("209.167.27.14"), Some(5487), Some(13118))
        );
        assert_eq!((ev.process_name.as_deref(), ev.log_level.as_deref()), (Some("core"), Some("info")));
        assert_eq!(ev.url_path.as_deref(), Some("/var/www/html/wp-login.php"));
        let (m, ev) = parse("[Mon Jan 05 14:10:05.123456 2026] [auth_basic:error] [pid 2001:tid 140245] [client 198.51.100.5:40022] AH01617: user admin: authentication failure for \"/private\": Password Mismatch, referer: http://example.com/");
        assert_eq!(
            (m, ev.event_action.as_deref(), ev.user_name.as_deref()),
            (Module::Auth, Some("auth.failure"), Some("admin"))
        );
        assert_eq!(
            (ev.url_path.as_deref(), ev.http_request_referrer.as_deref()),
            (Some("/private"), Some("http://example.com/"))
        );
        assert_eq!(ev.auth_method.as_deref(), Some("http_basic"));
        let (m, ev) = parse("[Mon Jan 05 14:10:06.000001 2026] [auth_basic:error] [pid 2001:tid 140245] [client 198.51.100.5:40023] AH01618: user guest not found: /private");
        assert_eq!(
            (m, ev.user_name.as_deref(), ev.source_ip.as_deref()),
            (Module::Auth, Some("guest"), Some("198.51.100.5"))
        );
        let (_, ev) = parse("[Mon Jan 05 14:10:07.5 2026] [authz_core:error] [pid 2002] [client 198.51.100.6:1] AH01630: client denied by server configuration: /var/www/html/.git");
        assert_eq!(ev.event_action.as_deref(), Some("http.denied"));
        let (_, ev) = parse("[Mon Jan 05 14:10:08.5 2026] [proxy:error] [pid 2003:tid 1] (111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (localhost) failed");
        assert_eq!((ev.rule_name.as_deref(), ev.event_action.as_deref()), (Some("AH00957"), Some("log.message")));
        let (_, ev) = parse("[Mon Jan 05 14:10:09.1 2026] [php7:warn] [pid 2004] [client 198.51.100.7:2] PHP Warning:  include(../../../../etc/passwd): failed to open stream: No such file or directory in /var/www/html/index.php on line 12");
        assert_eq!(ev.event_action.as_deref(), Some("web.script_error"));
        let (_, ev) = parse("[Mon Jan 05 14:10:10.2 2026] [:error] [pid 2005] [client 198.51.100.8:3] [client 198.51.100.8] ModSecurity: Access denied with code 403 (phase 2). Matched phrase \"union select\" at ARGS:id. [file \"/usr/share/modsecurity-crs/rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf\"] [line \"45\"] [id \"942100\"] [msg \"SQL Injection Attack Detected via libinjection\"] [severity \"CRITICAL\"] [hostname \"example.com\"] [uri \"/index.php\"] [unique_id \"ZxYz\"]");
        assert_eq!((ev.event_action.as_deref(), ev.event_outcome.as_deref()), (Some("web.waf_alert"), Some("failure")));
        assert_eq!(
            (ev.rule_name.as_deref(), ev.url_path.as_deref(), ev.source_ip.as_deref()),
            (Some("942100"), Some("/index.php"), Some("198.51.100.8"))
        );
    }

    #[test]
    fn apache_22_lines() {
        let (m, ev) = parse("[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test");
        assert_eq!(
            (m, ev.event_action.as_deref(), ev.source_ip.as_deref()),
            (Module::ApacheError, Some("http.denied"), Some("127.0.0.1"))
        );
        assert_eq!(format_rfc3339(ev.timestamp), "2000-10-11T14:32:52Z");
        let (_, ev) =
            parse("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties");
        assert_eq!((ev.event_action.as_deref(), ev.log_level.as_deref()), (Some("log.message"), Some("notice")));
    }

    #[test]
    fn nginx_lines() {
        let l = "2026/01/05 14:10:05 [error] 1234#0: *5 open() \"/usr/share/nginx/html/.env\" failed (2: No such file or directory), client: 203.0.113.9, server: localhost, request: \"GET /.env HTTP/1.1\", host: \"example.com\"";
        assert!(ErrorLogSpec.sniff(l));
        let (m, ev) = parse(l);
        assert_eq!((m, ev.event_action.as_deref()), (Module::NginxError, Some("http.not_found")));
        assert_eq!(
            (ev.source_ip.as_deref(), ev.process_pid, ev.url_path.as_deref()),
            (Some("203.0.113.9"), Some(1234), Some("/.env"))
        );
        assert_eq!((ev.http_request_method.as_deref(), ev.url_domain.as_deref()), (Some("GET"), Some("example.com")));
        let (m, ev) = parse("2026/01/05 14:10:06 [error] 1234#0: *6 user \"admin\" was not found in \"/etc/nginx/.htpasswd\", client: 203.0.113.9, server: localhost, request: \"GET /admin HTTP/1.1\", host: \"example.com\"");
        assert_eq!(
            (m, ev.event_action.as_deref(), ev.user_name.as_deref()),
            (Module::Auth, Some("auth.failure"), Some("admin"))
        );
        let (m, ev) = parse("2026/01/05 14:10:07 [error] 1234#0: *7 user \"alice\": password mismatch, client: 203.0.113.9, server: localhost, request: \"GET /admin HTTP/1.1\", host: \"example.com\"");
        assert_eq!(
            (m, ev.user_name.as_deref(), ev.source_ip.as_deref()),
            (Module::Auth, Some("alice"), Some("203.0.113.9"))
        );
        let (_, ev) = parse("2026/01/05 14:10:08 [error] 1234#0: *8 access forbidden by rule, client: 203.0.113.9, server: localhost, request: \"GET /.git/config HTTP/1.1\", host: \"example.com\"");
        assert_eq!((ev.event_action.as_deref(), ev.url_path.as_deref()), (Some("http.denied"), Some("/.git/config")));
        let (_, ev) = parse("2026/01/05 14:10:09 [notice] 1#1: signal process started");
        assert_eq!(ev.event_action.as_deref(), Some("log.message"));
        assert!(!ErrorLogSpec.sniff("2026/01/05 14:10:09 hello"));
    }
}
