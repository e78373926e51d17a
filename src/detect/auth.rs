//! Rules over authentication history: a login that succeeds after a run of failures from the
//! same address (`success_after_failures`), and account/group/password/crontab/sudoers changes
//! rated by what came before them on the host (`account_change`).

use std::collections::{BTreeMap, HashMap};

use super::config::{Param, Value};
use super::finding::{Draft, Severity};
use super::{Ctx, Rule};
use crate::error::AnalysisError;
use crate::query::frame;
use crate::query::{one_of, Run};
use crate::schema::action;

const HOUR: i64 = 3_600_000_000;
const MINUTE: i64 = 60_000_000;

/// One authentication outcome.
pub struct Login {
    pub ts: i64,
    pub host: Option<String>,
    pub ip: String,
    pub user: Option<String>,
    pub file: String,
    pub line: i64,
}

fn read_logins(df: &polars::prelude::DataFrame) -> Result<Vec<Login>, AnalysisError> {
    let ts = frame::ints(df, "timestamp")?;
    let host = frame::strs(df, "host_name")?;
    let ip = frame::strs(df, "source_ip")?;
    let user = frame::strs(df, "user_name")?;
    let file = frame::strs(df, "log_file_path")?;
    let line = frame::ints(df, "log_line")?;
    Ok((0..df.height())
        .map(|i| Login {
            ts: ts[i].unwrap_or(0),
            host: host[i].clone(),
            ip: ip[i].clone().unwrap_or_default(),
            user: user[i].clone(),
            file: file[i].clone().unwrap_or_default(),
            line: line[i].unwrap_or(0),
        })
        .collect())
}

/// Successes (`auth.success` events) or failures (the attempt ledger, so a try logged by sshd
/// and PAM counts once and a refused name counts as a try) from the auth logs.
fn auth_events(ctx: &Ctx<'_>, success: bool, ips: Option<&[String]>) -> Result<Vec<Login>, AnalysisError> {
    use polars::prelude::*;
    let mut filter = col("event_module").eq(lit("auth")).and(col("source_ip").is_not_null());
    if let Some(ips) = ips {
        filter = filter.and(one_of(col("source_ip"), ips.iter().map(String::as_str)));
    }
    let table = if success {
        filter = filter.and(col("event_action").eq(lit(action::AUTH_SUCCESS)));
        ctx.data.events()?
    } else {
        ctx.data.attempts()?
    };
    let df = table
        .filter(filter)
        .select([
            col("timestamp"),
            col("host_name"),
            col("source_ip"),
            col("user_name"),
            col("log_file_path"),
            col("log_line"),
        ])
        .sort(["timestamp", "log_file_path", "log_line"], Default::default())
        .run()?;
    read_logins(&df)
}

/// Successes, and the attempts (ledger) from addresses that also succeeded; attempts from
/// addresses that never got in cannot precede a success.
pub(crate) fn logins<'c>(ctx: &'c Ctx<'_>) -> Result<&'c (Vec<Login>, Vec<Login>), AnalysisError> {
    if let Some(l) = ctx.logins.get() {
        return Ok(l);
    }
    let loaded = load_logins(ctx)?;
    Ok(ctx.logins.get_or_init(|| loaded))
}

fn load_logins(ctx: &Ctx<'_>) -> Result<(Vec<Login>, Vec<Login>), AnalysisError> {
    use polars::prelude::*;
    // Only addresses that both failed and succeeded matter here.
    let failing = ctx
        .data
        .events()?
        .filter(
            col("event_module")
                .eq(lit("auth"))
                .and(one_of(col("event_action"), crate::query::ledger::ATTEMPT_ACTIONS.iter().copied()))
                .and(col("source_ip").is_not_null()),
        )
        .select([col("source_ip")])
        .unique(None, UniqueKeepStrategy::Any)
        .run()?;
    let failing: Vec<String> = frame::strs(&failing, "source_ip")?.into_iter().flatten().collect();
    if failing.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let ok = auth_events(ctx, true, Some(&failing))?;
    let mut ips: Vec<String> = ok.iter().map(|l| l.ip.clone()).collect();
    ips.sort();
    ips.dedup();
    let failed = if ips.is_empty() { Vec::new() } else { auth_events(ctx, false, Some(&ips))? };
    Ok((ok, failed))
}

/// For each success, the failures from its address in the preceding window.
pub(crate) fn compromises<'l>(
    ok: &'l [Login],
    failed: &'l [Login],
    min: usize,
    window: i64,
) -> Vec<(&'l Login, Vec<&'l Login>)> {
    let mut by_ip: HashMap<&str, Vec<&Login>> = HashMap::new();
    for f in failed {
        by_ip.entry(f.ip.as_str()).or_default().push(f);
    }
    let mut out = Vec::new();
    for s in ok {
        let Some(fs) = by_ip.get(s.ip.as_str()) else { continue };
        let lo = fs.partition_point(|f| f.ts < s.ts - window);
        let hi = fs.partition_point(|f| f.ts <= s.ts);
        if hi - lo >= min {
            out.push((s, fs[lo..hi].to_vec()));
        }
    }
    out
}

pub struct SuccessAfterFailures;

impl Rule for SuccessAfterFailures {
    fn id(&self) -> &'static str {
        "success_after_failures"
    }
    fn description(&self) -> &'static str {
        "A successful login from a source IP that had at least min_failures failed logins (on any host) in the preceding window_minutes: likely compromise."
    }
    fn params(&self) -> Vec<Param> {
        vec![
            Param::new("min_failures", Value::Int(5), "Failures from the same source before the success."),
            Param::new("window_minutes", Value::Int(60), "How far back to count failures, in minutes."),
        ]
    }
    fn run(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let min = ctx.config.int(self.id(), "min_failures").max(1) as usize;
        let window = ctx.config.int(self.id(), "window_minutes") * MINUTE;
        let (ok, failed) = logins(ctx)?;
        let mut out = Vec::new();
        for (s, fs) in compromises(ok, failed, min, window) {
            let mut d = Draft::new(self.id(), Severity::Critical);
            d.host_name = s.host.clone();
            d.source_ip = Some(s.ip.clone());
            d.user_name = s.user.clone();
            let mut users: Vec<&str> = fs.iter().filter_map(|f| f.user.as_deref()).collect();
            users.sort();
            users.dedup();
            for f in fs.iter().rev().take(19) {
                d.add(f.ts, &f.file, f.line);
            }
            d.add(s.ts, &s.file, s.line);
            d.first_seen = fs[0].ts;
            d.count = fs.len() as u64 + 1;
            d = d
                .detail("failures_before", fs.len())
                .detail("failed_users", users.join(", "))
                .detail("seconds_from_first_failure", (s.ts - fs[0].ts) / 1_000_000)
                .detail("threshold_min_failures", min)
                .detail("threshold_window_minutes", window / MINUTE);
            d.title = format!(
                "Login as {} on {} from {} after {} failures: likely compromise",
                s.user.as_deref().unwrap_or("?"),
                s.host.as_deref().unwrap_or("?"),
                s.ip,
                fs.len()
            );
            out.push(d);
        }
        Ok(out)
    }
}

pub struct AccountChange;

const CHANGE_ACTIONS: &str = "'account.create', 'account.modify', 'account.delete', 'group.create', 'group.modify', \
    'group.delete', 'group.member_add', 'group.member_remove', 'password.change', 'crontab.change'";

impl Rule for AccountChange {
    fn id(&self) -> &'static str {
        "account_change"
    }
    fn description(&self) -> &'static str {
        "User and group creation, modification, deletion, password changes, crontab and sudoers changes; high when a suspicious login (success after failures) on the host came within window_hours before (persistence)."
    }
    fn params(&self) -> Vec<Param> {
        vec![
            Param::new(
                "window_hours",
                Value::Int(6),
                "How long after a suspicious login a change counts as its follow-up.",
            ),
            Param::new("min_failures", Value::Int(5), "Failures before a success that make the login suspicious."),
            Param::new(
                "privileged_groups",
                Value::List(["sudo", "wheel", "admin", "root", "adm", "docker"].map(String::from).to_vec()),
                "Groups whose new members get at least medium severity.",
            ),
        ]
    }
    fn run(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let window = ctx.config.int(self.id(), "window_hours") * HOUR;
        let min = ctx.config.int(self.id(), "min_failures").max(1) as usize;
        let privileged = ctx.config.list(self.id(), "privileged_groups");
        let (ok, failed) = logins(ctx)?;
        let suspicious: Vec<(&Login, usize)> =
            compromises(ok, failed, min, HOUR).into_iter().map(|(s, f)| (s, f.len())).collect();
        let df = ctx.sql(
            "account changes",
            &format!(
                "SELECT timestamp, host_name, event_action, user_name, user_target_name, group_name, process_command_line, \
                 log_file_path, log_line FROM events WHERE event_module = 'auth' AND (event_action IN ({CHANGE_ACTIONS}) \
                 OR (event_action = 'sudo.command' AND (process_command_line LIKE '%sudoers%' OR process_command_line LIKE '%visudo%'))) \
                 ORDER BY timestamp, log_file_path, log_line"
            ),
        )?;
        let ts = frame::ints(&df, "timestamp")?;
        let host = frame::strs(&df, "host_name")?;
        let action = frame::strs(&df, "event_action")?;
        let target = frame::strs(&df, "user_target_name")?;
        let group = frame::strs(&df, "group_name")?;
        let file = frame::strs(&df, "log_file_path")?;
        let line = frame::ints(&df, "log_line")?;
        // One finding per host and changed account (or group, or crontab owner).
        let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for i in 0..df.height() {
            let subject = target[i].clone().or_else(|| group[i].clone()).unwrap_or_else(|| "sudoers".into());
            groups.entry((host[i].clone().unwrap_or_default(), subject)).or_default().push(i);
        }
        let mut out = Vec::new();
        for ((h, subject), rows) in groups {
            let mut d = Draft::new(self.id(), Severity::Low);
            d.host_name = (!h.is_empty()).then(|| h.clone());
            d.user_name = Some(subject.clone());
            let mut actions: Vec<String> = Vec::new();
            let mut privileged_add = false;
            for &i in &rows {
                d.add(ts[i].unwrap_or(0), file[i].as_deref().unwrap_or(""), line[i].unwrap_or(0));
                let a = action[i].clone().unwrap_or_default();
                if a == action::GROUP_MEMBER_ADD && group[i].as_ref().is_some_and(|g| privileged.contains(g)) {
                    privileged_add = true;
                }
                if a == action::SUDO_COMMAND {
                    privileged_add = true;
                }
                if !actions.contains(&a) {
                    actions.push(a);
                }
            }
            d.count = rows.len() as u64;
            let first = d.first_seen;
            let before = suspicious
                .iter()
                .filter(|(s, _)| s.host.as_deref() == d.host_name.as_deref() && s.ts <= first && first - s.ts <= window)
                .max_by_key(|(s, _)| s.ts);
            if privileged_add {
                d.severity = Severity::Medium;
            }
            if let Some((s, n)) = before {
                d.severity = Severity::High;
                d.source_ip = Some(s.ip.clone());
                d = d
                    .detail("suspicious_login_line", format!("{}:{}", s.file, s.line))
                    .detail(
                        "after_suspicious_login",
                        format!("{} from {} after {n} failures", s.user.as_deref().unwrap_or("?"), s.ip),
                    )
                    .detail("minutes_after_login", (first - s.ts) / MINUTE);
            }
            d = d.detail("actions", actions.join(", ")).detail("privileged_group", privileged_add);
            d.title = format!("Account change on {h}: {subject} ({})", actions.join(", "));
            out.push(d);
        }
        Ok(out)
    }
}
