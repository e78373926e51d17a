//! `process_activity`: programs run the way intruders run them — downloads piped to a shell,
//! reverse shells, programs started from `/tmp`, `/dev/shm` or `/var/tmp`, `chmod +x` then
//! execute, history and log wiping, new SUID files, SSH keys planted in `authorized_keys`.
//!
//! The patterns are data (`queries/process_patterns.tsv`, or an analyst's file of the same
//! shape through `patterns_file`); polars runs them over the command line, executable or file
//! of every `process.start` (auditd execve), `sudo.command` and `cron.command` event. A finding
//! groups one pattern's hits by host and actor (the audit login uid, which follows a user
//! across sudo and su, else the user name). When auditd recorded the login session, the
//! finding carries the address and user of the login that opened it (`USER_LOGIN` with the
//! same `ses=`), so `attack_chain` links it to the compromising login.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use super::config::{Param, Value};
use super::finding::{Draft, Severity};
use super::{Ctx, Rule};
use crate::error::AnalysisError;
use crate::query::frame;
use crate::query::{one_of, Run};
use crate::schema::action;

/// The built-in pattern file.
pub const BUILTIN_PATTERNS: &str = include_str!("../../queries/process_patterns.tsv");
/// The pattern id whose hits start a `chmod_then_exec` sequence.
const CHMOD_X: &str = "chmod_x";
const SEQUENCE: &str = "chmod_then_exec";
const ACTIONS: [&str; 3] = [action::PROCESS_START, action::SUDO_COMMAND, action::CRON_COMMAND];

/// One row of the pattern file.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub id: String,
    pub severity: Severity,
    /// Column the regex runs over.
    pub column: &'static str,
    pub regex: String,
    pub unless_executable: Option<String>,
    pub title: String,
    pub reference: String,
}

/// Parses a pattern file; `origin` names it in errors.
pub fn parse_patterns(origin: &str, text: &str) -> Result<Vec<Pattern>, String> {
    let mut out = Vec::new();
    let mut header = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if !header {
            header = true;
            if f.first() == Some(&"id") {
                continue;
            }
        }
        let at = format!("{origin}:{}", n + 1);
        let [id, severity, field, regex, unless, title, reference] = f[..] else {
            return Err(format!("{at}: expected 7 tab-separated columns, found {}", f.len()));
        };
        let severity = Severity::parse(severity).ok_or_else(|| format!("{at}: unknown severity `{severity}`"))?;
        let column = match field {
            "command_line" => "process_command_line",
            "executable" => "process_executable",
            "file_path" => "file_path",
            other => return Err(format!("{at}: unknown field `{other}` (command_line, executable, file_path)")),
        };
        out.push(Pattern {
            id: id.to_string(),
            severity,
            column,
            regex: regex.to_string(),
            unless_executable: (unless != "-" && !unless.is_empty()).then(|| unless.to_string()),
            title: title.to_string(),
            reference: reference.to_string(),
        });
    }
    if out.is_empty() {
        return Err(format!("{origin}: no patterns"));
    }
    Ok(out)
}

/// One matched event.
struct Hit {
    ts: i64,
    host: String,
    actor: String,
    user: Option<String>,
    session: Option<String>,
    auid: Option<String>,
    command: String,
    executable: Option<String>,
    file: String,
    line: i64,
}

pub struct ProcessActivity;

impl Rule for ProcessActivity {
    fn id(&self) -> &'static str {
        "process_activity"
    }
    fn description(&self) -> &'static str {
        "Programs run as intruders run them (queries/process_patterns.tsv): downloads piped to a shell, reverse shells, execution from /tmp, /dev/shm or /var/tmp, chmod +x then execute, history and log wiping, new SUID files, SSH key planting; over auditd execve events, sudo and cron commands, linked to the login session's address through the audit uid."
    }
    fn params(&self) -> Vec<Param> {
        vec![
            Param::new(
                "patterns_file",
                Value::Str(String::new()),
                "A pattern file (same columns as queries/process_patterns.tsv) to use instead of the built-in one; empty for the built-in.",
            ),
            Param::new(
                "sequence_minutes",
                Value::Int(60),
                "How soon after `chmod +x FILE` running FILE on the same host makes chmod_then_exec.",
            ),
        ]
    }
    fn run(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let file = ctx.config.list(self.id(), "patterns_file").into_iter().next().unwrap_or_default();
        let patterns = if file.is_empty() {
            parse_patterns("queries/process_patterns.tsv", BUILTIN_PATTERNS)
        } else {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| AnalysisError::Rule { path: file.clone().into(), msg: e.to_string() })?;
            parse_patterns(&file, &text)
        }
        .map_err(|msg| AnalysisError::Rule { path: file.clone().into(), msg })?;
        let window = ctx.config.int(self.id(), "sequence_minutes").max(1) * 60_000_000;
        let (hits, by_pattern) = matches(ctx, &patterns)?;
        let sessions = login_sessions(ctx, &hits)?;
        let mut out = drafts(&patterns, &hits, &by_pattern, &sessions);
        out.extend(chmod_then_exec(ctx, &patterns, &hits, &by_pattern, &sessions, window)?);
        Ok(out)
    }
}

/// Runs every pattern over the events that run a program; returns the events that matched any
/// and, per pattern, the indexes of its hits.
fn matches(ctx: &Ctx<'_>, patterns: &[Pattern]) -> Result<(Vec<Hit>, Vec<Vec<usize>>), AnalysisError> {
    let flag = |i: usize, p: &Pattern| {
        let mut e = col(p.column).str().contains(lit(p.regex.clone()), true);
        if let Some(u) = &p.unless_executable {
            e = e.and(col("process_executable").str().contains(lit(u.clone()), true).fill_null(lit(false)).not());
        }
        e.fill_null(lit(false)).alias(format!("p{i}"))
    };
    let flags: Vec<Expr> = patterns.iter().enumerate().map(|(i, p)| flag(i, p)).collect();
    let any = (0..patterns.len()).fold(lit(false), |acc, i| acc.or(col(format!("p{i}"))));
    let mut select = vec![
        col("timestamp").cast(DataType::Int64).alias("ts"),
        col("host_name"),
        col("user_name"),
        col("user_audit_id"),
        col("audit_session_id"),
        col("process_command_line"),
        col("process_executable"),
        col("log_file_path"),
        col("log_line"),
    ];
    select.extend(flags);
    let df = ctx
        .data
        .events()?
        .filter(one_of(col("event_action"), ACTIONS))
        .select(select)
        .filter(any)
        .sort(["ts", "log_file_path", "log_line"], Default::default())
        .run()?;
    let ts = frame::ints(&df, "ts")?;
    let host = frame::strs(&df, "host_name")?;
    let user = frame::strs(&df, "user_name")?;
    let auid = frame::strs(&df, "user_audit_id")?;
    let ses = frame::strs(&df, "audit_session_id")?;
    let cmd = frame::strs(&df, "process_command_line")?;
    let exe = frame::strs(&df, "process_executable")?;
    let file = frame::strs(&df, "log_file_path")?;
    let line = frame::ints(&df, "log_line")?;
    let mut hits = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let actor = match (&auid[i], &user[i]) {
            (Some(a), _) => format!("audit uid {a}"),
            (None, Some(u)) => u.clone(),
            (None, None) => "an unknown user".into(),
        };
        hits.push(Hit {
            ts: ts[i].unwrap_or(0),
            host: host[i].clone().unwrap_or_default(),
            actor,
            user: user[i].clone(),
            session: ses[i].clone(),
            auid: auid[i].clone(),
            command: cmd[i].clone().or_else(|| exe[i].clone()).unwrap_or_default(),
            executable: exe[i].clone(),
            file: file[i].clone().unwrap_or_default(),
            line: line[i].unwrap_or(0),
        });
    }
    let mut by_pattern = vec![Vec::new(); patterns.len()];
    for (p, rows) in by_pattern.iter_mut().enumerate() {
        let col = df.column(&format!("p{p}"))?.bool()?;
        rows.extend(col.iter().enumerate().filter(|(_, v)| *v == Some(true)).map(|(i, _)| i));
    }
    Ok((hits, by_pattern))
}

/// (host, audit session) → (address, user) of the auditd login that opened the session.
type Sessions = BTreeMap<(String, String), (String, Option<String>)>;

fn login_sessions(ctx: &Ctx<'_>, hits: &[Hit]) -> Result<Sessions, AnalysisError> {
    let wanted: BTreeSet<&str> = hits.iter().filter_map(|h| h.session.as_deref()).collect();
    if wanted.is_empty() {
        return Ok(Sessions::new());
    }
    let df = ctx
        .data
        .events()?
        .filter(
            col("event_action")
                .eq(lit(action::AUTH_SUCCESS))
                .and(col("source_ip").is_not_null())
                .and(one_of(col("audit_session_id"), wanted.iter().copied())),
        )
        .select([col("host_name"), col("audit_session_id"), col("source_ip"), col("user_name"), col("timestamp")])
        .sort(["timestamp"], Default::default())
        .run()?;
    let host = frame::strs(&df, "host_name")?;
    let ses = frame::strs(&df, "audit_session_id")?;
    let ip = frame::strs(&df, "source_ip")?;
    let user = frame::strs(&df, "user_name")?;
    let mut out = Sessions::new();
    for i in 0..df.height() {
        if let (Some(s), Some(a)) = (&ses[i], &ip[i]) {
            out.entry((host[i].clone().unwrap_or_default(), s.clone())).or_insert((a.clone(), user[i].clone()));
        }
    }
    Ok(out)
}

fn short(cmd: &str) -> String {
    const MAX: usize = 120;
    if cmd.chars().count() <= MAX {
        return cmd.to_string();
    }
    format!("{}…", cmd.chars().take(MAX).collect::<String>())
}

/// A draft for one pattern's hits of one host and actor.
fn draft(id: &str, p: &Pattern, rows: &[&Hit], sessions: &Sessions) -> Draft {
    let first = rows[0];
    let mut d = Draft::new("process_activity", p.severity);
    d.host_name = Some(first.host.clone()).filter(|h| !h.is_empty());
    let login = first.session.as_ref().and_then(|s| sessions.get(&(first.host.clone(), s.clone())));
    d.source_ip = login.map(|(ip, _)| ip.clone());
    d.user_name = login.and_then(|(_, u)| u.clone()).or_else(|| first.user.clone());
    for h in rows {
        d.add(h.ts, &h.file, h.line);
        d.count += 1;
    }
    let commands: Vec<String> =
        rows.iter().map(|h| h.command.clone()).collect::<BTreeSet<_>>().into_iter().take(5).collect();
    d.details.insert("kind".into(), id.into());
    d.details.insert("pattern".into(), p.regex.clone().into());
    d.details.insert("reference".into(), p.reference.clone().into());
    d.details.insert("commands".into(), commands.into());
    if let Some(a) = &first.auid {
        d.details.insert("audit_uid".into(), a.clone().into());
    }
    if let Some(s) = &first.session {
        d.details.insert("audit_session".into(), s.clone().into());
    }
    let by = match (&d.source_ip, &d.user_name) {
        (Some(ip), Some(u)) => format!("{u} (logged in from {ip})"),
        _ => first.actor.clone(),
    };
    d.title = format!("{} on {} by {by}: {}", capitalize(&p.title), first.host, short(&first.command));
    d
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

fn drafts(patterns: &[Pattern], hits: &[Hit], by_pattern: &[Vec<usize>], sessions: &Sessions) -> Vec<Draft> {
    // Several rows share an id: a hit counts once per id.
    let mut groups: BTreeMap<(&str, &str, &str), (usize, BTreeSet<usize>)> = BTreeMap::new();
    for (p, rows) in by_pattern.iter().enumerate() {
        if patterns[p].id == CHMOD_X {
            continue;
        }
        for &i in rows {
            let g = groups
                .entry((patterns[p].id.as_str(), hits[i].host.as_str(), hits[i].actor.as_str()))
                .or_insert((p, BTreeSet::new()));
            g.1.insert(i);
        }
    }
    groups
        .into_iter()
        .map(|((id, _, _), (p, rows))| {
            let rows: Vec<&Hit> = rows.iter().map(|&i| &hits[i]).collect();
            draft(id, &patterns[p], &rows, sessions)
        })
        .collect()
}

/// The files a `chmod` command line names (its arguments after the options and the mode).
fn chmod_targets(cmd: &str) -> Vec<&str> {
    let mut words = cmd.split_whitespace().skip_while(|w| !w.ends_with("chmod")).skip(1);
    let mut out = Vec::new();
    let mut mode_seen = false;
    for w in words.by_ref() {
        if matches!(w, "&&" | ";" | "||" | "|") || w.ends_with(';') {
            break;
        }
        if w.starts_with('-') && !mode_seen {
            continue;
        }
        if !mode_seen {
            mode_seen = true;
            continue;
        }
        out.push(w);
    }
    out
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

/// `chmod +x FILE` then FILE run on the same host within the window.
fn chmod_then_exec(
    ctx: &Ctx<'_>,
    patterns: &[Pattern],
    hits: &[Hit],
    by_pattern: &[Vec<usize>],
    sessions: &Sessions,
    window: i64,
) -> Result<Vec<Draft>, AnalysisError> {
    let Some(p) = patterns.iter().position(|p| p.id == CHMOD_X) else { return Ok(Vec::new()) };
    let chmods: Vec<&Hit> = by_pattern[p].iter().map(|&i| &hits[i]).collect();
    if chmods.is_empty() {
        return Ok(Vec::new());
    }
    let hosts: BTreeSet<&str> = chmods.iter().map(|h| h.host.as_str()).collect();
    let from = chmods.iter().map(|h| h.ts).min().unwrap_or(0);
    let until = chmods.iter().map(|h| h.ts).max().unwrap_or(0) + window;
    let df = ctx
        .data
        .events()?
        .filter(
            one_of(col("event_action"), ACTIONS)
                .and(one_of(col("host_name"), hosts.iter().copied()))
                .and(col("timestamp").cast(DataType::Int64).gt(lit(from)))
                .and(col("timestamp").cast(DataType::Int64).lt_eq(lit(until))),
        )
        .select([
            col("timestamp").cast(DataType::Int64).alias("ts"),
            col("host_name"),
            col("process_command_line"),
            col("process_executable"),
            col("log_file_path"),
            col("log_line"),
        ])
        .sort(["ts", "log_file_path", "log_line"], Default::default())
        .run()?;
    let ts = frame::ints(&df, "ts")?;
    let host = frame::strs(&df, "host_name")?;
    let cmd = frame::strs(&df, "process_command_line")?;
    let exe = frame::strs(&df, "process_executable")?;
    let file = frame::strs(&df, "log_file_path")?;
    let line = frame::ints(&df, "log_line")?;
    let mut out = Vec::new();
    for c in chmods {
        let targets = chmod_targets(&c.command);
        let ran = (0..df.height()).find(|&i| {
            let t = ts[i].unwrap_or(0);
            let argv0 = cmd[i].as_deref().and_then(|s| s.split_whitespace().next()).unwrap_or("");
            let program = exe[i].as_deref().unwrap_or("");
            t > c.ts
                && t <= c.ts + window
                && host[i].as_deref() == Some(c.host.as_str())
                && !cmd[i].as_deref().unwrap_or("").contains("chmod")
                && targets.iter().any(|f| {
                    let b = basename(f);
                    !b.is_empty() && (basename(argv0) == b || (!program.is_empty() && basename(program) == b))
                })
        });
        let Some(i) = ran else { continue };
        let run = Hit {
            ts: ts[i].unwrap_or(0),
            host: c.host.clone(),
            actor: c.actor.clone(),
            user: c.user.clone(),
            session: c.session.clone(),
            auid: c.auid.clone(),
            command: cmd[i].clone().unwrap_or_default(),
            executable: exe[i].clone(),
            file: file[i].clone().unwrap_or_default(),
            line: line[i].unwrap_or(0),
        };
        let mut d = draft(SEQUENCE, &patterns[p], &[c, &run], sessions);
        d.title = format!("{} (then ran `{}`)", d.title, short(&run.command));
        d.details.insert("executed".into(), run.executable.clone().unwrap_or(run.command.clone()).into());
        out.push(d);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_patterns_parse_and_name_their_fields() {
        let p = parse_patterns("builtin", BUILTIN_PATTERNS).unwrap();
        let ids: BTreeSet<&str> = p.iter().map(|p| p.id.as_str()).collect();
        for id in [
            "download_to_shell",
            "reverse_shell",
            "exec_from_tmp",
            "log_wiping",
            "suid_file",
            "ssh_key_planting",
            CHMOD_X,
        ] {
            assert!(ids.contains(id), "{id}");
        }
        for p in &p {
            let high =
                ["download_to_shell", "reverse_shell", "exec_from_tmp", "log_wiping", CHMOD_X].contains(&p.id.as_str());
            assert_eq!(p.severity == Severity::High, high, "{}", p.id);
        }
    }

    #[test]
    fn pattern_files_are_checked() {
        let e = parse_patterns("x.tsv", "a\tbad\tcommand_line\tx\t-\tt\tr\n").unwrap_err();
        assert!(e.contains("x.tsv:1") && e.contains("bad"), "{e}");
        assert!(parse_patterns("x.tsv", "a\thigh\targv\tx\t-\tt\tr\n").unwrap_err().contains("argv"));
        assert!(parse_patterns("x.tsv", "a\thigh\tcommand_line\tx\n").is_err());
        assert!(parse_patterns("x.tsv", "# only a comment\n").is_err());
    }

    #[test]
    fn chmod_arguments() {
        assert_eq!(chmod_targets("chmod +x /tmp/.x"), ["/tmp/.x"]);
        assert_eq!(chmod_targets("/usr/bin/chmod -v 755 a b"), ["a", "b"]);
        assert_eq!(chmod_targets("bash -c chmod u+x run.sh && ./run.sh"), ["run.sh"]);
    }
}
