//! `logsleuth report --case DIR [--from/--to | --last 7d] [--until now] [-o DIR]` and
//! `logsleuth run PATH... --case DIR` (ingest → detect → report, what cron calls).

use std::path::PathBuf;

use clap::Args;

use super::detect::{alert, alerts, print_summary, RuleArgs, Rules};
use super::ingest::{ingest_and_report, IngestArgs};
use super::timeline::TimeArgs;
use super::{exit, Exit};
use crate::deliver::{self, mail::Mail, mail::StartTls, webhook::WebhookFormat};
use crate::detect::{finding::FindingsDoc, finding::Severity};
use crate::query::CaseData;
use crate::report::{self, period::Period, period::Until};
use crate::store::files::INCIDENTS as INCIDENTS_FILE;
use crate::timeline::filter::Span;
use crate::triage::incidents::IncidentsDoc;

#[derive(Debug, Args, Clone)]
pub struct PeriodArgs {
    #[command(flatten)]
    pub time: TimeArgs,
    /// Report the last span (7d, 24h) ending at --until; compares it with the span before.
    #[arg(long, value_parser = Span::parse, conflicts_with_all = ["from", "to"])]
    pub last: Option<Span>,
    /// End of --last: `newest` event (default), `now`, or a time.
    #[arg(long, value_parser = Until::parse, default_value = "newest")]
    pub until: Until,
    /// Write the report as one self-contained HTML file (charts embedded as data: images),
    /// for mail attachments and archives.
    #[arg(long)]
    pub single_file: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Case directory.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Output folder (default CASE/report). `--out` is kept as an alias for one release.
    #[arg(short = 'o', long = "output", alias = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub rule: RuleArgs,
    #[command(flatten)]
    pub deliver: DeliverArgs,
}

/// The case's findings and incidents: as stored, else detected now (also when a suppression
/// file is given, so that it applies).
fn findings_of(data: &CaseData, rules: &Rules) -> Result<(FindingsDoc, IncidentsDoc), Exit> {
    let case = &data.case.dir;
    // Suppressions or Sigma rules given now: detect with them.
    if rules.suppress.is_some() || rules.sigma.is_some() {
        return rules.detect(data);
    }
    // Missing files mean "not detected yet"; damaged ones are errors, never overwritten.
    let findings = FindingsDoc::load_if_present(&case.join(crate::store::files::FINDINGS_JSON))?;
    let incidents = IncidentsDoc::load(&case.join(INCIDENTS_FILE))?;
    match (findings, incidents) {
        // Findings from before the newest ingest miss what it added: detect again.
        (Some(f), Some(_)) if f.is_stale(&data.manifest) => {
            if let Some(u) = &f.sigma {
                eprintln!(
                    "logsleuth: warning: the stale findings had Sigma rules ({}); detecting again without them (give --sigma to keep them)",
                    crate::sanitize::terminal(&u.paths.join(", "))
                );
            }
            rules.detect(data)
        }
        (Some(f), Some(i)) => Ok((f, i)),
        _ => rules.detect(data),
    }
}

/// Writes the report of an opened case with its loaded rules, findings and incidents.
fn make_report(
    data: &CaseData,
    rules: &Rules,
    period: &PeriodArgs,
    out: Option<PathBuf>,
    (doc, incidents): (&FindingsDoc, &IncidentsDoc),
) -> Result<report::ReportSummary, Exit> {
    let case = &data.case.dir;
    let (oldest, newest) = report::span(data)?;
    let p = Period::resolve(period.time.from, period.time.to, period.last, period.until, oldest, newest);
    let out = out.unwrap_or_else(|| case.join("report"));
    Ok(report::write(data, &rules.config, doc, incidents, p, &out, period.single_file)?)
}

/// Delivery options shared by `report` and `run`.
#[derive(Debug, Args, Clone)]
pub struct DeliverArgs {
    /// POST the period's summary (counts, and the incidents at or above --fail-on, else high)
    /// to this URL. logsleuth contacts no network unless this or --mail-to is given.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Shape of the webhook body: logsleuth's JSON, a Slack or a Teams message.
    #[arg(long, value_enum, default_value = "json")]
    pub webhook_format: WebhookFormat,
    /// Seconds to wait for each webhook attempt (3 attempts, 1 s then 2 s apart).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub webhook_timeout: f64,
    /// Email the period's summary, with the single-file report attached, to ADDR (repeatable).
    #[arg(long = "mail-to", value_name = "ADDR")]
    pub mail_to: Vec<String>,
    /// Sender of the email (default logsleuth@HOSTNAME).
    #[arg(long, value_name = "ADDR", requires = "mail_to")]
    pub mail_from: Option<String>,
    /// SMTP server: smtp://HOST[:PORT] (port 25) or smtps://HOST[:PORT] (TLS, port 465).
    #[arg(long, value_name = "URL", default_value = "smtp://localhost:25", requires = "mail_to")]
    pub smtp: String,
    /// STARTTLS on smtp://: `required`, `opportunistic` (when the server offers it) or `never`.
    #[arg(long, value_enum, default_value = "opportunistic", requires = "mail_to")]
    pub smtp_starttls: StartTls,
    /// SMTP user; the password comes from LOGSLEUTH_SMTP_PASSWORD or --smtp-password-file,
    /// never from the command line.
    #[arg(long, value_name = "USER", requires = "mail_to")]
    pub smtp_user: Option<String>,
    /// File whose first line is the SMTP password (instead of LOGSLEUTH_SMTP_PASSWORD).
    #[arg(long, value_name = "FILE", requires = "smtp_user")]
    pub smtp_password_file: Option<PathBuf>,
    /// Seconds to wait for the SMTP server at each step.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, requires = "mail_to")]
    pub smtp_timeout: f64,
}

impl DeliverArgs {
    /// The checked mail options, when --mail-to is given (a usage error otherwise said before
    /// any work is done).
    fn mail(&self) -> Result<Option<Mail>, Exit> {
        if self.mail_to.is_empty() {
            return Ok(None);
        }
        let timeout = std::time::Duration::from_secs_f64(self.smtp_timeout.clamp(0.1, 3600.0));
        Mail::new(
            &self.mail_to,
            self.mail_from.as_deref(),
            &self.smtp,
            self.smtp_starttls,
            self.smtp_user.as_deref(),
            self.smtp_password_file.as_deref(),
            timeout,
        )
        .map(Some)
        .map_err(|e| Exit { code: exit::USAGE, error: anyhow::anyhow!(e) })
    }
}

/// Sends what `args` asks for; returns whether every delivery succeeded (failures are said on
/// stderr and recorded in the case's `deliveries.jsonl`).
fn deliver(
    args: &DeliverArgs,
    mail: Option<&Mail>,
    data: &CaseData,
    (doc, incidents): (&FindingsDoc, &IncidentsDoc),
    s: &report::ReportSummary,
    threshold: Severity,
) -> bool {
    if args.webhook.is_none() && mail.is_none() {
        return true;
    }
    let period = (s.period.from, s.period.to);
    let in_period = s.period.explicit.then_some(period);
    let selected = alerts(doc, incidents, threshold, in_period);
    let all: Vec<&crate::triage::incidents::Incident> = alerts(doc, incidents, Severity::Low, in_period);
    let hosts: std::collections::BTreeSet<&str> =
        data.manifest.inputs.iter().filter_map(|i| i.host_name.as_deref()).collect();
    let summary =
        deliver::summary(&data.case.dir, s.findings, &all, &selected, period, s.events, hosts.len(), &s.index);
    let mut ok = true;
    if let Some(url) = &args.webhook {
        let body = deliver::webhook::body(&summary, args.webhook_format);
        let timeout = std::time::Duration::from_secs_f64(args.webhook_timeout.clamp(0.1, 600.0));
        let result = deliver::webhook::post(url, &body, timeout, 3, std::time::Duration::from_secs(1))
            .map(|s| serde_json::json!({"status": s.status, "attempts": s.attempts}));
        deliver::record(&data.case.dir, "webhook", &deliver::target_of(url), &result);
        if let Err(e) = result {
            eprintln!("logsleuth: {e}");
            ok = false;
        }
    }
    if let Some(m) = mail {
        let result = send_mail(m, &summary, s);
        deliver::record(&data.case.dir, "email", &m.server.target(), &result);
        match result {
            Ok(_) => eprintln!("logsleuth: report mailed to {}", crate::sanitize::terminal(&m.recipients().join(", "))),
            Err(e) => {
                eprintln!("logsleuth: {}", crate::sanitize::terminal(&e));
                ok = false;
            }
        }
    }
    ok
}

/// Builds and sends the email of a written report; what to record of it.
fn send_mail(m: &Mail, summary: &deliver::Summary, s: &report::ReportSummary) -> Result<serde_json::Value, String> {
    let page = deliver::mail::report_bytes(&s.index, &s.charts)?;
    let name = deliver::mail::attachment_name(summary);
    let message = m.message(summary, &name, page)?;
    let answer = m.send(&message)?;
    Ok(serde_json::json!({"recipients": m.recipients(), "attachment": name, "answer": answer}))
}

fn say(s: &report::ReportSummary) {
    println!(
        "report: {} ({} incidents, {} findings in period, {} charts)",
        s.index.display(),
        s.incidents,
        s.findings,
        s.charts.len()
    );
}

pub fn run_report(args: ReportArgs) -> Result<i32, Exit> {
    let rules = args.rule.load()?;
    let mail = args.deliver.mail()?;
    let data = CaseData::open(&args.case)?;
    let (doc, incidents) = findings_of(&data, &rules)?;
    let s = make_report(&data, &rules, &args.period, args.out, (&doc, &incidents))?;
    say(&s);
    let delivered = deliver(&args.deliver, mail.as_ref(), &data, (&doc, &incidents), &s, Severity::High);
    Ok(if delivered { exit::OK } else { exit::DELIVERY })
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub ingest: IngestArgs,
    #[command(flatten)]
    pub rule: RuleArgs,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Report folder (default CASE/report). `--report-out` is kept as an alias for one release.
    #[arg(short = 'o', long = "output", alias = "report-out", value_name = "DIR")]
    pub report_out: Option<PathBuf>,
    #[command(flatten)]
    pub deliver: DeliverArgs,
    /// Exit 1 when an incident reaches this severity in the reported period (the whole case
    /// without --last/--from/--to); each such incident is printed, even with -q.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
}

pub fn run_all(args: RunArgs) -> Result<i32, Exit> {
    // Rules, configuration and suppressions are checked before anything is ingested.
    let rules = args.rule.load()?;
    let mail = args.deliver.mail()?;
    ingest_and_report(&args.ingest)?;
    let case = &args.ingest.case;
    let data = CaseData::open(case)?;
    let t = std::time::Instant::now();
    let (doc, incidents) = rules.detect(&data)?;
    let secs = t.elapsed().as_secs_f64();
    // The chain of custody re-checked before reporting; the report shows the result.
    let v = super::verify::check(case, &args.ingest.paths)?;
    if !v.ok {
        eprintln!("logsleuth: verify: {} (see {})", v.headline(), case.join("verification.json").display());
    }
    let s = make_report(&data, &rules, &args.period, args.report_out, (&doc, &incidents))?;
    // Cron mails stdout: the alert lines first, then the report's path, then the summary.
    let period = s.period.explicit.then_some((s.period.from, s.period.to));
    let code = alert(&doc, &incidents, args.fail_on, period);
    say(&s);
    if !args.ingest.run.quiet {
        print_summary(&doc.findings, &incidents, secs, case);
    }
    let delivered =
        deliver(&args.deliver, mail.as_ref(), &data, (&doc, &incidents), &s, args.fail_on.unwrap_or(Severity::High));
    // --fail-on keeps precedence over a failed delivery.
    Ok(if code == exit::OK && !delivered { exit::DELIVERY } else { code })
}
