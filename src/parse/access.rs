//! Apache / nginx access logs: common (`%h %l %u %t "%r" %>s %b`), combined (+ referer and
//! user agent) and vhost_combined (`%v:%p` first). The request line is split into method,
//! path, query and version without rejecting malformed requests (a TLS handshake sent to a
//! plain-HTTP port still produced a real log line and a 400). Apache's `\"` and `\\` escapes
//! are undone in quoted fields; `\xHH` stays as written.

use std::borrow::Cow;

use super::text::{self, Peer};
use super::time::{self, YearSource};
use super::{Event, FileCtx, FormatSpec, LineParser, Module, Reject};
use crate::schema::action;

pub struct AccessSpec;

impl FormatSpec for AccessSpec {
    fn id(&self) -> &'static str {
        "access"
    }
    fn describe(&self) -> &'static str {
        "Apache/nginx access logs: common, combined, vhost_combined (nginx when the path names nginx)"
    }
    fn sniff(&self, line: &str) -> bool {
        let b = line.as_bytes();
        match text::finder!(b" [").find(&b[..b.len().min(400)]) {
            Some(i) => time::parse_apache(&b[i + 2..]).is_some(),
            None => false,
        }
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        let module = if ctx.rel_path.to_ascii_lowercase().contains("nginx") {
            Module::NginxAccess
        } else {
            Module::ApacheAccess
        };
        Ok(Box::new(AccessParser { ctx: ctx.clone(), module }))
    }
}

pub struct AccessParser {
    pub ctx: FileCtx,
    pub module: Module,
}

/// Reads a `"…"` field starting at `b[at] == '"'`; returns (content, index after the closing
/// quote, whether it holds backslash escapes).
fn quoted(s: &str, at: usize) -> Option<(&str, usize, bool)> {
    let b = s.as_bytes();
    if b.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    let mut escaped = false;
    loop {
        let rel = memchr::memchr2(b'"', b'\\', &b[i..])?;
        i += rel;
        if b[i] == b'\\' {
            escaped = true;
            i += 2;
            if i > b.len() {
                return None;
            }
            continue;
        }
        return Some((&s[at + 1..i], i + 1, escaped));
    }
}

fn unescape(s: &str, escaped: bool) -> Cow<'_, str> {
    if !escaped {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn dash(s: &str) -> Option<&str> {
    (s != "-" && !s.is_empty()).then_some(s)
}

impl LineParser for AccessParser {
    fn parse<'a>(&'a self, line: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        let b = line.as_bytes();
        let open = text::finder!(b" [").find(b).ok_or(Reject::new("no [time] field"))?;
        let head = &line[..open];
        let mut parts = head.split(' ');
        let (vhost, host, _ident, user) = match (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(i), Some(u), None, None) => (None, h, i, u),
            (Some(v), Some(h), Some(i), Some(u), None) => (Some(v), h, i, u),
            _ => return Err(Reject::new("access log line: expected 3 or 4 fields before [time]")),
        };
        let close = memchr::memchr(b']', &b[open..]).map(|i| open + i).ok_or(Reject::new("unterminated [time]"))?;
        let (utc, off) = time::parse_apache(&b[open + 2..close]).ok_or(Reject::new("bad access log time"))?;
        ev.timestamp = utc;
        ev.timestamp_original_offset = Some(off);
        ev.year_source = Some(Cow::Borrowed(YearSource::Line.as_str()));

        if let Some(v) = vhost {
            let (name, port) = match v.rsplit_once(':') {
                Some((n, p)) if text::parse_port(p).is_some() => (n, text::parse_port(p)),
                _ => (v, None),
            };
            ev.url_domain = Some(Cow::Borrowed(name));
            ev.destination_port = port;
        }
        match text::peer(host) {
            Some(Peer::Ip(ip)) => ev.source_ip = Some(ip),
            Some(Peer::Domain(d)) => ev.source_domain = Some(Cow::Borrowed(d)),
            None => return Err(Reject::new("access log line: client is not an address or host name")),
        }
        ev.user_name = dash(user).map(Cow::Borrowed);
        ev.host_name = self.ctx.host_hint.as_deref().map(Cow::Borrowed);

        let mut i = close + 1;
        if b.get(i) != Some(&b' ') {
            return Err(Reject::new("access log line: no request after [time]"));
        }
        i += 1;
        let (request, next, esc) = quoted(line, i).ok_or(Reject::new("access log line: unterminated request"))?;
        i = next;
        let request = unescape(request, esc);
        split_request(request, ev);

        let rest = line[i..].trim_start_matches(' ');
        let (status, rest) = text::token(rest);
        let (bytes, rest) = text::token(rest);
        if status != "-" {
            let code =
                text::parse_u32(status).filter(|c| *c < 1000).ok_or(Reject::new("access log line: bad status"))?;
            ev.http_response_status_code = Some(code as i32);
        }
        if bytes != "-" {
            ev.http_response_body_bytes =
                Some(bytes.parse::<i64>().map_err(|_| Reject::new("access log line: bad byte count"))?);
        }
        let rest_at = line.len() - rest.len();
        if let Some((referrer, next, esc)) = quoted(line, rest_at) {
            ev.http_request_referrer = dash(referrer).map(|r| unescape(r, esc));
            let at = line[next..].len();
            let ua_at = line.len() - line[next..].trim_start_matches(' ').len();
            if at > 0 {
                if let Some((ua, _, esc)) = quoted(line, ua_at) {
                    ev.user_agent_original = dash(ua).map(|u| unescape(u, esc));
                }
            }
        }
        let failed = ev.http_response_status_code.is_some_and(|c| c >= 400);
        ev.event_action = Some(Cow::Borrowed(action::HTTP_REQUEST));
        ev.event_outcome = Some(Cow::Borrowed(match ev.http_response_status_code {
            None => "unknown",
            Some(_) if failed => "failure",
            Some(_) => "success",
        }));
        ev.event_category = Some(Cow::Borrowed("web"));
        Ok(self.module)
    }
}

/// `GET /a?b HTTP/1.1` → method, path, query, version. Anything else keeps what it can.
fn split_request<'a>(request: Cow<'a, str>, ev: &mut Event<'a>) {
    if request == "-" || request.is_empty() {
        return;
    }
    match request {
        Cow::Borrowed(r) => {
            let (method, target, version) = request_parts(r);
            ev.http_request_method = method.map(Cow::Borrowed);
            ev.http_version = version.map(Cow::Borrowed);
            if let Some(t) = target {
                let (path, query) = match t.split_once('?') {
                    Some((p, q)) => (p, Some(q)),
                    None => (t, None),
                };
                ev.url_path = Some(Cow::Borrowed(path));
                ev.url_query = query.map(Cow::Borrowed);
            }
        }
        Cow::Owned(r) => {
            let (method, target, version) = request_parts(&r);
            ev.http_request_method = method.map(|s| Cow::Owned(s.to_string()));
            ev.http_version = version.map(|s| Cow::Owned(s.to_string()));
            if let Some(t) = target {
                let (path, query) = match t.split_once('?') {
                    Some((p, q)) => (p, Some(q)),
                    None => (t, None),
                };
                ev.url_path = Some(Cow::Owned(path.to_string()));
                ev.url_query = query.map(|q| Cow::Owned(q.to_string()));
            }
        }
    }
}

fn request_parts(r: &str) -> (Option<&str>, Option<&str>, Option<&str>) {
    let Some((method, rest)) = r.split_once(' ') else {
        return (None, None, None);
    };
    if method.is_empty() || !method.bytes().all(|c| c.is_ascii_uppercase() || c == b'-' || c == b'_') {
        return (None, None, None);
    }
    match rest.rsplit_once(' ') {
        Some((target, v)) if v.starts_with("HTTP/") => (Some(method), Some(target), Some(&v[5..])),
        _ => (Some(method), Some(rest), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::{format_rfc3339, YearRule, Zone};
    use std::sync::Arc;

    fn parser(path: &str) -> &'static AccessParser {
        let ctx = FileCtx {
            rel_path: Arc::from(path),
            host_hint: Some(Arc::from("web01")),
            year: YearRule::Fixed(2026),
            zone: Zone::Utc,
        };
        let module = if path.contains("nginx") { Module::NginxAccess } else { Module::ApacheAccess };
        Box::leak(Box::new(AccessParser { ctx, module }))
    }

    fn parse(line: &'static str) -> Result<(Module, Event<'static>), Reject> {
        let mut ev = Event::default();
        parser("web01/var/log/apache2/access.log").parse(line, &mut ev).map(|m| (m, ev))
    }

    #[test]
    fn combined() {
        let (m, ev) = parse(r#"203.0.113.7 - frank [10/Oct/2026:13:55:36 -0700] "GET /apache_pb.gif?x=1&y=2 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#).unwrap();
        assert_eq!(m, Module::ApacheAccess);
        assert_eq!(format_rfc3339(ev.timestamp), "2026-10-10T20:55:36Z");
        assert_eq!(ev.timestamp_original_offset, Some(-420));
        assert_eq!(ev.user_name.as_deref(), Some("frank"));
        assert_eq!(ev.http_request_method.as_deref(), Some("GET"));
        assert_eq!(ev.url_path.as_deref(), Some("/apache_pb.gif"));
        assert_eq!(ev.url_query.as_deref(), Some("x=1&y=2"));
        assert_eq!(ev.http_version.as_deref(), Some("1.0"));
        assert_eq!(ev.http_response_status_code, Some(200));
        assert_eq!(ev.http_response_body_bytes, Some(2326));
        assert_eq!(ev.http_request_referrer.as_deref(), Some("http://www.example.com/start.html"));
        assert_eq!(ev.user_agent_original.as_deref(), Some("Mozilla/4.08 [en] (Win98; I ;Nav)"));
        assert_eq!(ev.host_name.as_deref(), Some("web01"));
    }

    #[test]
    fn common_dash_bytes_ipv6_and_escapes() {
        let (_, ev) = parse(r#"2001:db8::1 - - [01/Jan/2026:00:00:00 +0000] "HEAD / HTTP/1.1" 304 -"#).unwrap();
        assert_eq!(ev.source_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(ev.http_response_body_bytes, None);
        assert_eq!(ev.user_agent_original, None);
        let (_, ev) = parse(r#"198.51.100.1 - - [01/Jan/2026:00:00:00 +0000] "GET /q?a=\"b\" HTTP/1.1" 404 12 "-" "sqlmap/1.7 (\"quoted\") \\o/""#).unwrap();
        assert_eq!(ev.url_query.as_deref(), Some("a=\"b\""));
        assert_eq!(ev.user_agent_original.as_deref(), Some("sqlmap/1.7 (\"quoted\") \\o/"));
        assert_eq!(ev.http_request_referrer, None);
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
    }

    #[test]
    fn malformed_requests_are_still_events() {
        let (_, ev) =
            parse(r#"198.51.100.2 - - [01/Jan/2026:00:00:01 +0000] "\x16\x03\x01\x00\xa5\x01" 400 226 "-" "-""#)
                .unwrap();
        assert_eq!(ev.http_request_method, None);
        assert_eq!(ev.http_response_status_code, Some(400));
        let (_, ev) = parse(r#"198.51.100.2 - - [01/Jan/2026:00:00:01 +0000] "-" 408 - "-" "-""#).unwrap();
        assert_eq!(ev.url_path, None);
        let (_, ev) = parse(r#"198.51.100.2 - - [01/Jan/2026:00:00:01 +0000] "GET /index.html" 200 5"#).unwrap();
        assert_eq!((ev.url_path.as_deref(), ev.http_version), (Some("/index.html"), None));
    }

    #[test]
    fn vhost_combined_and_nginx() {
        let (_, ev) = parse(r#"www.example.com:443 203.0.113.9 - - [01/Jan/2026:00:00:02 +0100] "POST /login HTTP/2.0" 302 0 "-" "curl/8.0""#).unwrap();
        assert_eq!(ev.url_domain.as_deref(), Some("www.example.com"));
        assert_eq!(ev.destination_port, Some(443));
        assert_eq!(ev.source_ip.as_deref(), Some("203.0.113.9"));
        let p = parser("web01/var/log/nginx/access.log");
        let mut ev = Event::default();
        assert_eq!(
            p.parse(r#"203.0.113.9 - - [01/Jan/2026:00:00:02 +0000] "GET / HTTP/1.1" 200 1 "-" "x""#, &mut ev),
            Ok(Module::NginxAccess)
        );
    }

    #[test]
    fn rejects() {
        assert!(parse("not an access line").is_err());
        assert!(parse(r#"1.2.3.4 - - [01/Jan/2026:00:00:02 +0000] "GET / HTTP/1.1" abc 1"#).is_err());
        assert!(parse(r#"1.2.3.4 - - [01/Foo/2026:00:00:02 +0000] "GET / HTTP/1.1" 200 1"#).is_err());
        assert!(parse(r#"1.2.3.4 - - [01/Jan/2026:00:00:02 +0000] "GET / HTTP/1.1 200 1"#).is_err());
    }
}
