//! Linux audit logs (`/var/log/audit/audit.log`, written by auditd), raw and ENRICHED.
//!
//! One audit *event* is several *records* (lines) sharing `msg=audit(SECONDS.MILLIS:SERIAL)`:
//! a kernel event is `SYSCALL`, `EXECVE`, `CWD`, `PATH`…, `PROCTITLE` and `EOE`, and the records
//! of concurrent events may interleave. The pipeline groups a block's lines by that id
//! ([`LineParser::group_key`]) and this parser joins each group into one event.
//!
//! Record syntax (linux-audit `auparse`, kernel `audit_log_*`): `[node=NAME ]type=TYPE
//! msg=audit(ID): key=value …`. A value is `"quoted"`, or bare; a bare value of a field the kernel
//! or libaudit may encode (`aN`, `proctitle`, `name`, `cmd`, `acct`, …) is hex when it holds a
//! space, a quote or a control character. User-space records (`USER_AUTH`, `USER_LOGIN`,
//! `USER_CMD`, `ADD_USER`…) carry their own fields inside `msg='op=… acct=… res=…'`, where
//! `op=` may contain spaces (`op=adding user`). ENRICHED logs append `\x1d` and the resolved
//! names (`AUID="alice" UID="root" SYSCALL=execve`).

use std::borrow::Cow;

use super::{set_action, Event, FileCtx, FormatSpec, LineParser, Module, Reject};
use crate::parse::time::{YearSource, MICROS};
use crate::schema::{action, outcome};

pub struct AuditSpec;

impl FormatSpec for AuditSpec {
    fn id(&self) -> &'static str {
        "audit"
    }
    fn describe(&self) -> &'static str {
        "Linux audit log (auditd audit.log, raw or ENRICHED): records grouped into events by msg=audit(…) id, interleaving included"
    }
    fn sniff(&self, line: &str) -> bool {
        split_record(line).is_some()
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        Ok(Box::new(AuditParser { ctx: ctx.clone() }))
    }
}

pub struct AuditParser {
    ctx: FileCtx,
}

/// One record's parts.
#[derive(Debug, Clone, Copy)]
struct Record<'a> {
    node: Option<&'a str>,
    kind: &'a str,
    /// `SECONDS.MILLIS:SERIAL`.
    id: &'a str,
    /// The fields after `): `.
    body: &'a str,
    /// ENRICHED names after `\x1d`, if any.
    enriched: Option<&'a str>,
}

const UNSET_ID: &str = "4294967295";

fn split_record(line: &str) -> Option<Record<'_>> {
    let (node, rest) = match line.strip_prefix("node=") {
        Some(r) => {
            let (n, rest) = r.split_once(' ')?;
            (Some(n), rest)
        }
        None => (None, line),
    };
    let rest = rest.strip_prefix("type=")?;
    let (kind, rest) = rest.split_once(' ')?;
    let rest = rest.strip_prefix("msg=audit(")?;
    let close = rest.find(')')?;
    let id = &rest[..close];
    let (secs, serial) = id.split_once(':')?;
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit() || b == b'.') || serial.parse::<u64>().is_err() {
        return None;
    }
    let body = rest[close + 1..].trim_start_matches([':', ' ']);
    let (body, enriched) = match body.split_once('\x1d') {
        Some((b, e)) => (b, Some(e)),
        None => (body, None),
    };
    Some(Record { node, kind, id, body, enriched })
}

/// `key=value` pairs of a record body. Values are `"quoted"` (no escapes: auditd hex-encodes
/// any value with a quote), `'single quoted'` (the user-space `msg='…'`), or bare up to a space.
/// With `spaced_values`, a bare value runs to the next ` key=` instead (the inner `msg='…'`,
/// whose `op=` may contain spaces).
fn pairs(body: &str, spaced_values: bool) -> Vec<(&str, Value<'_>)> {
    let mut out = Vec::new();
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = &rest[..eq];
        if key.contains(' ') {
            // Not a pair (free text): skip one word.
            rest = rest.split_once(' ').map_or("", |(_, r)| r).trim_start();
            continue;
        }
        let v = &rest[eq + 1..];
        let (value, after) = match v.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => match v[1..].find(q as char) {
                Some(end) => (Value::Quoted(&v[1..1 + end]), &v[end + 2..]),
                None => (Value::Quoted(&v[1..]), ""),
            },
            _ if spaced_values => {
                let end = next_key(v).unwrap_or(v.len());
                (Value::Bare(v[..end].trim_end()), &v[end..])
            }
            _ => match v.find(' ') {
                Some(end) => (Value::Bare(&v[..end]), &v[end..]),
                None => (Value::Bare(v), ""),
            },
        };
        out.push((key, value));
        rest = after.trim_start();
    }
    out
}

/// Offset of the next ` key=` (a word of `[A-Za-z0-9_-]` followed by `=`) in `v`.
fn next_key(v: &str) -> Option<usize> {
    let b = v.as_bytes();
    let mut i = 0;
    while let Some(sp) = memchr::memchr(b' ', &b[i..]).map(|p| p + i) {
        let word_end = b[sp + 1..].iter().position(|c| !(c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-'));
        if let Some(we) = word_end {
            if we > 0 && b[sp + 1 + we] == b'=' {
                return Some(sp);
            }
        }
        i = sp + 1;
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value<'a> {
    Quoted(&'a str),
    Bare(&'a str),
}

impl<'a> Value<'a> {
    fn raw(self) -> &'a str {
        match self {
            Value::Quoted(s) | Value::Bare(s) => s,
        }
    }
    /// The value of a field auditd may hex-encode: a bare value of even length and only hex
    /// digits is decoded (NULs between arguments become spaces, as in `proctitle`).
    fn text(self) -> Cow<'a, str> {
        match self {
            Value::Quoted(s) => Cow::Borrowed(s),
            Value::Bare(s) => match hex_decode(s) {
                Some(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
                None => Cow::Borrowed(s),
            },
        }
    }
    /// The NUL-separated arguments of an encoded `proctitle`.
    fn args(self) -> Vec<String> {
        match self {
            Value::Bare(s) => match hex_decode(s) {
                Some(bytes) => bytes
                    .split(|&b| b == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
                None => vec![s.to_string()],
            },
            Value::Quoted(s) => s.split(' ').filter(|a| !a.is_empty()).map(str::to_string).collect(),
        }
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    hex::decode(s).ok()
}

fn get<'a>(pairs: &[(&str, Value<'a>)], key: &str) -> Option<Value<'a>> {
    pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// An id field, with auditd's "unset" (`4294967295`, `-1`) as none.
fn id_field<'a>(pairs: &[(&str, Value<'a>)], key: &str) -> Option<&'a str> {
    get(pairs, key).map(|v| v.raw()).filter(|v| *v != UNSET_ID && *v != "-1" && !v.is_empty())
}

/// `Some(v)` unless libaudit's "unknown" markers (`?`, `(null)`, `(unknown)`).
fn known(v: Cow<'_, str>) -> Option<Cow<'_, str>> {
    (!matches!(v.as_ref(), "?" | "(null)" | "(unknown)" | "(invalid user)" | "")).then_some(v)
}

/// x86_64, i386, aarch64 and generic execve/execveat syscall numbers by `arch=`.
fn is_execve(arch: Option<&str>, nr: Option<&str>) -> bool {
    matches!(
        (arch, nr),
        (Some("c000003e"), Some("59" | "322"))
            | (Some("40000003"), Some("11" | "358"))
            | (Some("c00000b7"), Some("221" | "281"))
    )
}

impl AuditParser {
    fn time(&self, id: &str, ev: &mut Event<'_>) -> Result<(), Reject> {
        let (secs, _) = id.split_once(':').ok_or(Reject::new("audit record without an event id"))?;
        let (whole, frac) = secs.split_once('.').unwrap_or((secs, "0"));
        let s: i64 = whole.parse().map_err(|_| Reject::new("audit record with a bad time"))?;
        let mut micros = 0i64;
        if !frac.bytes().all(|c| c.is_ascii_digit()) {
            return Err(Reject::new("audit record with a bad time"));
        }
        for (i, d) in frac.bytes().take(6).enumerate() {
            micros += i64::from(d - b'0') * 10i64.pow(5 - i as u32);
        }
        ev.timestamp =
            s.checked_mul(MICROS).and_then(|v| v.checked_add(micros)).ok_or(Reject::new("audit time out of range"))?;
        ev.year_source = Some(Cow::Borrowed(YearSource::Line.as_str()));
        Ok(())
    }
}

impl LineParser for AuditParser {
    fn parse<'a>(&'a self, line: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        self.parse_group(&[line], ev)
    }
    fn grouped(&self) -> bool {
        true
    }
    fn group_key<'a>(&self, line: &'a str) -> Option<(&'a str, &'a str)> {
        split_record(line).map(|r| (r.node.unwrap_or(""), r.id))
    }
    fn parse_group<'a>(&'a self, lines: &[&'a str], ev: &mut Event<'a>) -> Result<Module, Reject> {
        let mut records = Vec::with_capacity(lines.len());
        for line in lines {
            records.push(split_record(line).ok_or(Reject::new("not an audit record (type=… msg=audit(…): …)"))?);
        }
        let first = records[0];
        self.time(first.id, ev)?;
        ev.log_record_id = Some(Cow::Borrowed(first.id));
        ev.host_name = first.node.map(Cow::Borrowed).or_else(|| self.ctx.host_hint.as_deref().map(Cow::Borrowed));
        let mut join = Join::default();
        for r in &records {
            join.record(r, ev);
        }
        join.finish(ev);
        // Logins, sessions, accounts and sudo join the syslog `auth` lines, so every rule on
        // `event_module = 'auth'` reads them; processes and the rest stay in `audit`.
        Ok(match ev.event_category.as_deref() {
            Some("authentication" | "session" | "iam") => Module::Auth,
            _ if ev.event_action.as_deref().is_some_and(|a| a.starts_with("sudo.")) => Module::Auth,
            _ => Module::Audit,
        })
    }
}

/// What the records of one event add up to.
#[derive(Default)]
struct Join<'a> {
    kinds: Vec<&'a str>,
    /// The event's main record type (the first that is not a companion record).
    main: Option<&'a str>,
    execve: bool,
    success: Option<bool>,
    args: Vec<(usize, String)>,
    argc: Option<usize>,
    proctitle: Option<Vec<String>>,
    /// User-space inner fields (`msg='…'`).
    res: Option<&'a str>,
    op: Option<&'a str>,
    acct: Option<Cow<'a, str>>,
    acct_id: Option<&'a str>,
    syscall: Option<&'a str>,
}

const COMPANIONS: &[&str] = &["EXECVE", "CWD", "PATH", "PROCTITLE", "EOE", "SOCKADDR", "BPRM_FCAPS", "OBJ_PID"];

impl<'a> Join<'a> {
    fn record(&mut self, r: &Record<'a>, ev: &mut Event<'a>) {
        self.kinds.push(r.kind);
        if self.main.is_none() && !COMPANIONS.contains(&r.kind) {
            self.main = Some(r.kind);
        }
        let p = pairs(r.body, false);
        let enriched = r.enriched.map(|e| pairs(e, false)).unwrap_or_default();
        match r.kind {
            "SYSCALL" => self.syscall_record(&p, &enriched, ev),
            "EXECVE" => self.execve_record(&p),
            "CWD" => ev.process_working_directory = get(&p, "cwd").map(Value::text),
            "PATH" => {
                let nametype = get(&p, "nametype").map(Value::raw);
                if ev.file_path.is_none() && nametype != Some("PARENT") {
                    ev.file_path = get(&p, "name").map(Value::text).and_then(known);
                }
            }
            "PROCTITLE" => self.proctitle = get(&p, "proctitle").map(Value::args),
            "EOE" => {}
            _ => self.user_record(&p, &enriched, ev),
        }
    }

    fn process_ids(p: &[(&str, Value<'a>)], ev: &mut Event<'a>) {
        ev.process_pid = get(p, "pid").and_then(|v| v.raw().parse().ok()).or(ev.process_pid);
        ev.user_id = id_field(p, "uid").map(Cow::Borrowed).or(ev.user_id.take());
        ev.user_audit_id = id_field(p, "auid").map(Cow::Borrowed).or(ev.user_audit_id.take());
        ev.audit_session_id = id_field(p, "ses").map(Cow::Borrowed).or(ev.audit_session_id.take());
    }

    fn syscall_record(&mut self, p: &[(&str, Value<'a>)], enriched: &[(&str, Value<'a>)], ev: &mut Event<'a>) {
        Self::process_ids(p, ev);
        ev.process_parent_pid = get(p, "ppid").and_then(|v| v.raw().parse().ok());
        ev.user_effective_id = id_field(p, "euid").map(Cow::Borrowed);
        ev.process_name = get(p, "comm").map(Value::text).and_then(known);
        ev.process_executable = get(p, "exe").map(Value::text).and_then(known);
        ev.audit_key = get(p, "key").map(Value::text).and_then(known);
        self.success = get(p, "success").map(|v| v.raw() == "yes");
        let named = get(enriched, "SYSCALL").map(Value::raw);
        self.syscall = named.or_else(|| get(p, "syscall").map(Value::raw));
        self.execve = matches!(named, Some("execve" | "execveat"))
            || is_execve(get(p, "arch").map(Value::raw), get(p, "syscall").map(Value::raw));
        // ENRICHED names: the process's user (UID) and the login user (AUID).
        if let Some(name) = get(enriched, "UID").map(Value::text).and_then(known) {
            ev.user_name = Some(name);
        }
    }

    /// `argc=3 a0="ls" a1=2D6C …`, and arguments split across records: `a1_len=N a1[0]=… a1[1]=…`.
    fn execve_record(&mut self, p: &[(&str, Value<'a>)]) {
        for (k, v) in p {
            if *k == "argc" {
                self.argc = v.raw().parse().ok();
                continue;
            }
            let Some(rest) = k.strip_prefix('a') else { continue };
            if let Ok(i) = rest.parse::<usize>() {
                self.args.push((i, v.text().into_owned()));
            } else if let Some((i, part)) = rest.split_once('[') {
                // A piece of a long argument, in order: appended to argument i.
                let (Ok(i), true) = (i.parse::<usize>(), part.ends_with(']')) else { continue };
                let piece = v.text();
                match self.args.iter_mut().find(|(j, _)| *j == i) {
                    Some((_, s)) => s.push_str(&piece),
                    None => self.args.push((i, piece.into_owned())),
                }
            }
        }
    }

    fn user_record(&mut self, p: &[(&str, Value<'a>)], enriched: &[(&str, Value<'a>)], ev: &mut Event<'a>) {
        Self::process_ids(p, ev);
        let inner = match get(p, "msg") {
            Some(Value::Quoted(m)) => pairs(m, true),
            _ => Vec::new(),
        };
        self.res = get(&inner, "res").or_else(|| get(p, "res")).map(Value::raw);
        self.op = get(&inner, "op").map(Value::raw);
        self.acct = get(&inner, "acct").map(Value::text).and_then(known);
        // `id=` is the uid when no name is given (sshd's USER_LOGIN, old shadow-utils records);
        // ENRICHED logs resolve it as `ID="name"`.
        self.acct_id = get(&inner, "id").map(Value::raw).filter(|v| *v != UNSET_ID && !v.is_empty());
        if self.acct.is_none() {
            self.acct = get(enriched, "ID").map(Value::text).and_then(known);
        }
        if let Some(addr) = get(&inner, "addr").map(Value::raw).filter(|a| *a != "?") {
            ev.source_ip = super::text::ip(addr);
        }
        if ev.source_ip.is_none() {
            ev.source_domain = get(&inner, "hostname").map(Value::text).and_then(known);
        }
        ev.process_executable = get(&inner, "exe").map(Value::text).and_then(known);
        if let Some(cmd) = get(&inner, "cmd").map(Value::text).and_then(known) {
            ev.process_command_line = Some(cmd);
        }
        if let Some(cwd) = get(&inner, "cwd").map(Value::text).and_then(known) {
            ev.process_working_directory = Some(cwd);
        }
        if let Some(grp) = get(&inner, "grp").map(Value::text).and_then(known) {
            ev.group_name = Some(grp);
        }
        ev.process_name =
            ev.process_executable.as_deref().map(|e| Cow::Owned(e.rsplit('/').next().unwrap_or(e).to_string()));
        if let Some(name) = get(enriched, "UID").map(Value::text).and_then(known) {
            ev.user_name = Some(name);
        }
        ev.message = get(p, "msg").map(|v| Cow::Borrowed(v.raw()));
    }

    fn finish(mut self, ev: &mut Event<'a>) {
        let main = self.main.unwrap_or(self.kinds.first().copied().unwrap_or(""));
        let failed = matches!(self.res, Some("failed" | "fail" | "0"));
        let res_outcome = if failed { outcome::FAILURE } else { outcome::SUCCESS };
        match main {
            "SYSCALL" if self.execve => {
                self.args.sort_by_key(|(i, _)| *i);
                let mut args: Vec<String> = self.args.drain(..).map(|(_, a)| a).collect();
                if let Some(n) = self.argc {
                    args.truncate(n);
                }
                if args.is_empty() {
                    args = self.proctitle.take().unwrap_or_default();
                }
                if !args.is_empty() {
                    ev.process_command_line = Some(Cow::Owned(args.join(" ")));
                    ev.process_args = Some(args);
                }
                let out = if self.success == Some(false) { outcome::FAILURE } else { outcome::SUCCESS };
                set_action(ev, action::PROCESS_START, out, "process");
            }
            "SYSCALL" => {
                if let Some(pt) = self.proctitle.take().filter(|a| !a.is_empty()) {
                    ev.process_command_line = Some(Cow::Owned(pt.join(" ")));
                }
                let out = match self.success {
                    Some(true) => outcome::SUCCESS,
                    Some(false) => outcome::FAILURE,
                    None => outcome::UNKNOWN,
                };
                set_action(ev, action::LOG_MESSAGE, out, "host");
            }
            _ => self.user_action(main, res_outcome, failed, ev),
        }
        let mut extra = serde_json::Map::new();
        extra.insert("audit_type".into(), main.into());
        extra.insert("audit_records".into(), self.kinds.iter().map(|k| serde_json::Value::from(*k)).collect());
        if let Some(s) = self.syscall {
            extra.insert("audit_syscall".into(), s.into());
        }
        ev.event_extra = Some(Cow::Owned(serde_json::Value::Object(extra).to_string()));
        if ev.message.is_none() {
            ev.message = Some(Cow::Owned(self.kinds.join(" ")));
        }
    }

    /// The meaning of a user-space record (PAM, sshd, sudo, shadow-utils, auditctl).
    fn user_action(&mut self, main: &str, out: &'static str, failed: bool, ev: &mut Event<'a>) {
        let acct = self.acct.take();
        let acct_id = self.acct_id;
        // An account record names the account by uid when it has no name yet.
        let account_named = acct.clone().or(acct_id.map(Cow::Borrowed));
        let op = self.op.unwrap_or("");
        let exe = ev.process_name.as_deref().unwrap_or("").to_string();
        match main {
            "USER_AUTH" => {
                // PAM's verdict on one credential: one record per try (the `pam` stream).
                ev.auth_method = Some(Cow::Borrowed("pam"));
                // The account tried, never the writing process's user (sshd runs as root).
                ev.user_name = acct;
                let a = if failed { action::AUTH_FAILURE } else { action::AUTH_SUCCESS };
                set_action(ev, a, out, "authentication");
            }
            "USER_LOGIN" => {
                ev.user_id = acct_id.map(Cow::Borrowed).or(ev.user_id.take());
                // sshd writes a failed USER_LOGIN for every failed method, the `none` probe
                // included, so it is not a try of its own (USER_AUTH is).
                ev.user_name = acct;
                let a = if failed { action::AUTH_LOGIN_FAILURE } else { action::AUTH_SUCCESS };
                set_action(ev, a, out, "authentication");
            }
            "USER_CMD" if exe == "sudo" || exe.is_empty() => {
                let a = if failed { action::SUDO_DENIED } else { action::SUDO_COMMAND };
                set_action(ev, a, out, "process");
            }
            "ADD_USER" => account(ev, account_named.clone(), action::ACCOUNT_CREATE, out, "iam"),
            "DEL_USER" => account(ev, account_named.clone(), action::ACCOUNT_DELETE, out, "iam"),
            "USER_MGMT" if op.contains("to group") || op.contains("add-user-to-group") => {
                account(ev, account_named.clone(), action::GROUP_MEMBER_ADD, out, "iam")
            }
            "USER_MGMT" if op.contains("from group") => {
                account(ev, account_named.clone(), action::GROUP_MEMBER_REMOVE, out, "iam")
            }
            "USER_MGMT" => account(ev, account_named.clone(), action::ACCOUNT_MODIFY, out, "iam"),
            "ADD_GROUP" => group(ev, account_named.clone(), action::GROUP_CREATE, out),
            "DEL_GROUP" => group(ev, account_named.clone(), action::GROUP_DELETE, out),
            "GRP_MGMT" => group(ev, account_named.clone(), action::GROUP_MODIFY, out),
            "USER_CHAUTHTOK" => account(ev, account_named.clone(), action::PASSWORD_CHANGE, out, "iam"),
            "USER_START" => {
                ev.user_name = acct;
                set_action(ev, action::SESSION_OPEN, out, "session");
            }
            "USER_END" => {
                ev.user_name = acct;
                set_action(ev, action::SESSION_CLOSE, out, "session");
            }
            "CONFIG_CHANGE" => set_action(ev, action::AUDIT_CONFIG_CHANGE, out, "configuration"),
            "SERVICE_START" | "SERVICE_STOP" => {
                // systemd's unit records: `msg='unit=auditd comm="systemd" … res=success'`.
                let a = if main == "SERVICE_START" { action::SERVICE_START } else { action::SERVICE_STOP };
                if let Some(m) = ev.message.as_deref() {
                    if let Some(unit) =
                        pairs(m, true).iter().find(|(k, _)| *k == "unit").map(|(_, v)| v.raw().to_string())
                    {
                        ev.systemd_unit = Some(Cow::Owned(unit));
                    }
                }
                set_action(ev, a, out, "process");
            }
            "DAEMON_END" | "DAEMON_ABORT" => set_action(ev, action::SERVICE_STOP, out, "process"),
            _ => {
                ev.user_name = acct.or(ev.user_name.take());
                let o = if self.res.is_some() { out } else { outcome::UNKNOWN };
                set_action(ev, action::LOG_MESSAGE, o, "host");
            }
        }
    }
}

fn account<'a>(ev: &mut Event<'a>, acct: Option<Cow<'a, str>>, a: &'static str, out: &'static str, cat: &'static str) {
    ev.user_target_name = acct;
    set_action(ev, a, out, cat);
}

fn group<'a>(ev: &mut Event<'a>, acct: Option<Cow<'a, str>>, a: &'static str, out: &'static str) {
    ev.group_name = ev.group_name.take().or(acct);
    set_action(ev, a, out, "iam");
}

#[cfg(test)]
mod tests;
