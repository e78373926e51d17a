//! Mapping of structured-log keys (JSON lines, CSV headers) onto the event schema, shared by
//! both formats so a key means the same thing in either. Keys are compared lower-cased with
//! `-` read as `_`; nested JSON keys are flattened with dots (`source.ip`). Login-like actions
//! with a success flag become `auth.success` / `auth.failure`, so the detectors see web or app
//! logins the same way as sshd's.

use std::borrow::Cow;

use super::text;
use super::time::{self, Zone};
use super::{Event, Reject};
use crate::schema::action;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Timestamp,
    Host,
    Message,
    Level,
    User,
    TargetUser,
    SrcIp,
    SrcPort,
    SrcDomain,
    DstIp,
    DstPort,
    Transport,
    Action,
    Outcome,
    Success,
    Method,
    Url,
    Query,
    Status,
    Bytes,
    Referrer,
    UserAgent,
    Process,
    Pid,
    Command,
}

/// The schema field a source key maps to, if any.
pub fn target_for(key: &str) -> Option<Target> {
    let k = key.trim().to_ascii_lowercase().replace('-', "_");
    use Target::*;
    Some(match k.as_str() {
        "@timestamp" | "timestamp" | "ts" | "time" | "datetime" | "date_time" | "eventtime" | "event_time" => Timestamp,
        "host" | "hostname" | "host.name" | "host.hostname" | "host_name" | "computer" | "computername" => Host,
        "message" | "msg" | action::LOG_MESSAGE => Message,
        "level" | "severity" | "log.level" | "loglevel" | "log_level" | "lvl" => Level,
        "user" | "username" | "user_name" | "user.name" | "user_id" | "userid" | "login" | "account" | "uid" => User,
        "target_user" | "user.target.name" | "target_username" | "user_target_name" => TargetUser,
        "src_ip" | "source_ip" | "source.ip" | "sourceip" | "client_ip" | "client.ip" | "clientip" | "remote_addr"
        | "remote_ip" | "ip" | "src" | "ip_address" | "ipaddress" | "client.address" | "source.address" => SrcIp,
        "src_port" | "source_port" | "source.port" | "client_port" | "client.port" | "sport" | "spt" => SrcPort,
        "source.domain" | "source_domain" | "client_host" | "remote_host" => SrcDomain,
        "dst_ip"
        | "destination_ip"
        | "destination.ip"
        | "dest_ip"
        | "dst"
        | "server_ip"
        | "destinationip"
        | "destination.address" => DstIp,
        "dst_port" | "destination_port" | "destination.port" | "dest_port" | "dport" | "dpt" | "server_port" => DstPort,
        "protocol" | "proto" | "network.transport" | "transport" => Transport,
        "action" | "event.action" | "event_action" | "activity" | "event_type" | "eventtype" => Action,
        "outcome" | "event.outcome" | "event_outcome" | "result" => Outcome,
        "success" | "succeeded" | "successful" | "ok" => Success,
        "method" | "http.request.method" | "http_method" | "request_method" | "verb" => Method,
        "path" | "url" | "uri" | "url.path" | "url.original" | "request_uri" | "request_path" => Url,
        "query" | "url.query" | "query_string" => Query,
        "status" | "status_code" | "http.response.status_code" | "response_code" | "http_status" => Status,
        "bytes" | "body_bytes_sent" | "bytes_sent" | "size" | "http.response.body.bytes" | "response_bytes" => Bytes,
        "referer" | "referrer" | "http_referer" | "http.request.referrer" => Referrer,
        "user_agent" | "useragent" | "http_user_agent" | "user_agent.original" | "agent" | "ua" => UserAgent,
        "process" | "program" | "app" | "application" | "service" | "process.name" | "appname" | "logger" => Process,
        "pid" | "process.pid" | "process_id" => Pid,
        "command" | "cmd" | "command_line" | "process.command_line" | "cmdline" => Command,
        _ => return None,
    })
}

fn truthy(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "success" | "succeeded" | "ok" | "allowed" | "allow" | "pass" | "passed" => {
            Some(true)
        }
        "false" | "0" | "no" | "n" | "fail" | "failed" | "failure" | "denied" | "deny" | "error" | "blocked"
        | "rejected" => Some(false),
        _ => None,
    }
}

/// Sets one mapped value. Returns `Err` only for an unreadable timestamp.
pub fn apply<'a>(ev: &mut Event<'a>, target: Target, value: Cow<'a, str>, zone: &Zone) -> Result<(), Reject> {
    use Target::*;
    let v = value.trim();
    if v.is_empty() || v == "-" {
        return Ok(());
    }
    let own = |s: &str| -> Option<Cow<'a, str>> {
        Some(match &value {
            Cow::Borrowed(b) if b.trim() == s => Cow::Borrowed(b.trim()),
            _ => Cow::Owned(s.to_string()),
        })
    };
    match target {
        Timestamp => {
            ev.timestamp = parse_ts(v, zone, ev).ok_or(Reject::new("unreadable timestamp value"))?;
            ev.year_source = Some(Cow::Borrowed("line"));
        }
        Host => ev.host_name = own(v),
        Message => ev.message = own(v),
        Level => ev.log_level = own(v),
        User => ev.user_name = own(v),
        TargetUser => ev.user_target_name = own(v),
        SrcIp => match text::ip(v) {
            Some(ip) => ev.source_ip = Some(Cow::Owned(ip.into_owned())),
            None => ev.source_domain = own(v),
        },
        SrcDomain => ev.source_domain = own(v),
        SrcPort => ev.source_port = text::parse_port(v),
        DstIp => ev.destination_ip = text::ip(v).map(|c| Cow::Owned(c.into_owned())),
        DstPort => ev.destination_port = text::parse_port(v),
        Transport => ev.network_transport = Some(Cow::Owned(v.to_ascii_lowercase())),
        Action => ev.event_action = own(v),
        Outcome => {
            ev.event_outcome = Some(Cow::Borrowed(match truthy(v) {
                Some(true) => "success",
                Some(false) => "failure",
                None => "unknown",
            }))
        }
        Success => {
            if let Some(ok) = truthy(v) {
                ev.event_outcome = Some(Cow::Borrowed(if ok { "success" } else { "failure" }));
            }
        }
        Method => ev.http_request_method = own(v),
        Url => match v.split_once('?') {
            Some((p, q)) => {
                ev.url_path = own(p);
                ev.url_query = own(q);
            }
            None => ev.url_path = own(v),
        },
        Query => ev.url_query = own(v),
        Status => match text::parse_u32(v) {
            Some(c) if c < 1000 => ev.http_response_status_code = Some(c as i32),
            _ => {
                if let Some(ok) = truthy(v) {
                    ev.event_outcome = Some(Cow::Borrowed(if ok { "success" } else { "failure" }));
                }
            }
        },
        Bytes => ev.http_response_body_bytes = v.parse().ok(),
        Referrer => ev.http_request_referrer = own(v),
        UserAgent => ev.user_agent_original = own(v),
        Process => ev.process_name = own(v),
        Pid => ev.process_pid = text::parse_u32(v).map(i64::from),
        Command => ev.process_command_line = own(v),
    }
    Ok(())
}

fn parse_ts(v: &str, zone: &Zone, ev: &mut Event<'_>) -> Option<i64> {
    if let Some(t) = time::parse_iso(v.as_bytes()) {
        super::set_iso_time(ev, &t, zone);
        return Some(ev.timestamp);
    }
    if let Ok(n) = v.parse::<f64>() {
        ev.timestamp_original_offset = Some(0);
        return time::epoch_to_micros(n);
    }
    // `Dec 20 10:00:01 2026` style and Apache style inside structured logs.
    if let Some((utc, off)) = time::parse_apache(v.trim_start_matches('[').as_bytes()) {
        ev.timestamp_original_offset = Some(off);
        return Some(utc);
    }
    None
}

/// Fills defaults after all fields were applied: normalized login actions, an outcome and an
/// action for every event.
pub fn finish<'a>(ev: &mut Event<'a>, default_action: &'static str) {
    let outcome = ev.event_outcome.as_deref().unwrap_or("unknown").to_string();
    if let Some(action) = ev.event_action.as_deref() {
        let a = action.to_ascii_lowercase();
        let login_like = matches!(
            a.as_str(),
            "login"
                | "logon"
                | "signin"
                | "sign_in"
                | "sign-in"
                | "authenticate"
                | "authentication"
                | "auth"
                | "user_login"
                | "log_in"
        );
        if login_like && outcome != "unknown" {
            ev.event_action =
                Some(Cow::Borrowed(if outcome == "success" { action::AUTH_SUCCESS } else { action::AUTH_FAILURE }));
            ev.event_category = Some(Cow::Borrowed("authentication"));
        } else if matches!(
            a.as_str(),
            "login_failed" | "login_failure" | "failed_login" | "logon_failure" | "auth_failure"
        ) {
            ev.event_action = Some(Cow::Borrowed(action::AUTH_FAILURE));
            ev.event_outcome = Some(Cow::Borrowed("failure"));
            ev.event_category = Some(Cow::Borrowed("authentication"));
        }
    } else if ev.http_request_method.is_some() || ev.http_response_status_code.is_some() {
        ev.event_action = Some(Cow::Borrowed(action::HTTP_REQUEST));
        ev.event_category = Some(Cow::Borrowed("web"));
        if ev.event_outcome.is_none() {
            if let Some(c) = ev.http_response_status_code {
                ev.event_outcome = Some(Cow::Borrowed(if c >= 400 { "failure" } else { "success" }));
            }
        }
    } else {
        ev.event_action = Some(Cow::Borrowed(default_action));
    }
    if ev.event_outcome.is_none() {
        ev.event_outcome = Some(Cow::Borrowed("unknown"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_case_insensitively() {
        assert_eq!(target_for("@timestamp"), Some(Target::Timestamp));
        assert_eq!(target_for("Source_IP"), Some(Target::SrcIp));
        assert_eq!(target_for("user-agent"), Some(Target::UserAgent));
        assert_eq!(target_for("source.ip"), Some(Target::SrcIp));
        assert_eq!(target_for("whatever"), None);
    }

    #[test]
    fn login_with_success_flag_becomes_auth_event() {
        let mut ev = Event::default();
        apply(&mut ev, Target::Action, Cow::Borrowed("login"), &Zone::Utc).unwrap();
        apply(&mut ev, Target::Success, Cow::Borrowed("false"), &Zone::Utc).unwrap();
        finish(&mut ev, "log.message");
        assert_eq!(ev.event_action.as_deref(), Some("auth.failure"));
        assert_eq!(ev.event_outcome.as_deref(), Some("failure"));
    }

    #[test]
    fn timestamps_in_many_shapes() {
        let mut ev = Event::default();
        apply(&mut ev, Target::Timestamp, Cow::Borrowed("2026-12-20T10:00:00+01:00"), &Zone::Utc).unwrap();
        assert_eq!(time::format_rfc3339(ev.timestamp), "2026-12-20T09:00:00Z");
        apply(&mut ev, Target::Timestamp, Cow::Borrowed("1766224800"), &Zone::Utc).unwrap();
        assert_eq!(time::format_rfc3339(ev.timestamp), "2025-12-20T10:00:00Z");
        assert!(apply(&mut ev, Target::Timestamp, Cow::Borrowed("yesterday"), &Zone::Utc).is_err());
    }
}
