//! `logsleuth report --case DIR [--from/--to | --last 7d] [--until now] [-o DIR]` and
//! `logsleuth run PATH... --case DIR` (ingest → detect → report, what cron calls).

use std::path::PathBuf;

use clap::Args;

use super::detect::{alert, alerts, print_summary, RuleArgs, Rules};
use super::ingest::{ingest_and_report, IngestArgs};
use super::timeline::TimeArgs;
use super::{exit, Exit};
use crate::deliver::{self, webhook::WebhookFormat};
use crate::detect::{finding::FindingsDoc, finding::Severity};
use crate::query::CaseData;
use crate::report::{self, period::Period, period::Until};
use crate::timeline::filter::Span;
use crate::triage::{incidents::IncidentsDoc, INCIDENTS_FILE};

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
    let findings = FindingsDoc::load_if_present(&case.join("findings.json"))?;
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
    /// to this URL. logsleuth contacts no network unless this is given.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Shape of the webhook body: logsleuth's JSON, a Slack or a Teams message.
    #[arg(long, value_enum, default_value = "json")]
    pub webhook_format: WebhookFormat,
    /// Seconds to wait for each webhook attempt (3 attempts, 1 s then 2 s apart).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub webhook_timeout: f64,
}

/// Sends what `args` asks for; returns whether every delivery succeeded (failures are said on
/// stderr and recorded in the case's `deliveries.jsonl`).
fn deliver(
    args: &DeliverArgs,
    data: &CaseData,
    (doc, incidents): (&FindingsDoc, &IncidentsDoc),
    s: &report::ReportSummary,
    threshold: Severity,
) -> bool {
    let Some(url) = &args.webhook else { return true };
    let period = (s.period.from, s.period.to);
    let in_period = s.period.explicit.then_some(period);
    let selected = alerts(doc, incidents, threshold, in_period);
    let all: Vec<&crate::triage::incidents::Incident> = alerts(doc, incidents, Severity::Low, in_period);
    let hosts: std::collections::BTreeSet<&str> =
        data.manifest.inputs.iter().filter_map(|i| i.host_name.as_deref()).collect();
    let summary = deliver::summary(&data.case.dir, doc, &all, &selected, period, s.events, hosts.len(), &s.index);
    let body = deliver::webhook::body(&summary, args.webhook_format);
    let timeout = std::time::Duration::from_secs_f64(args.webhook_timeout.clamp(0.1, 600.0));
    let result = deliver::webhook::post(url, &body, timeout, 3, std::time::Duration::from_secs(1));
    deliver::record(&data.case.dir, "webhook", &deliver::target_of(url), &result);
    match result {
        Ok(_) => true,
        Err(e) => {
            eprintln!("logsleuth: {e}");
            false
        }
    }
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
    let data = CaseData::open(&args.case)?;
    let (doc, incidents) = findings_of(&data, &rules)?;
    let s = make_report(&data, &rules, &args.period, args.out, (&doc, &incidents))?;
    say(&s);
    let delivered = deliver(&args.deliver, &data, (&doc, &incidents), &s, Severity::High);
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
    let delivered = deliver(&args.deliver, &data, (&doc, &incidents), &s, args.fail_on.unwrap_or(Severity::High));
    // --fail-on keeps precedence over a failed delivery.
    Ok(if code == exit::OK && !delivered { exit::DELIVERY } else { code })
}
