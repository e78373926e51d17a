//! `logsleuth report --case DIR [--from/--to | --last 7d] [--until now] [--out DIR]` and
//! `logsleuth run PATH... --case DIR` (ingest → detect → report, what cron calls).

use std::path::PathBuf;

use clap::Args;

use super::detect::{alert, print_summary, RuleArgs, Rules};
use super::ingest::{ingest_and_report, IngestArgs};
use super::timeline::TimeArgs;
use super::{exit, Exit};
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
    /// Output folder (default CASE/report).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub rule: RuleArgs,
}

/// Writes the report of an opened case with its loaded rules; `fresh` is a detection the
/// caller has just run, else the case's `findings.json` (detection runs when there is none).
fn make_report(
    data: &CaseData,
    rules: &Rules,
    period: &PeriodArgs,
    out: Option<PathBuf>,
    fresh: Option<(&FindingsDoc, &IncidentsDoc)>,
) -> Result<report::ReportSummary, Exit> {
    let case = &data.case.dir;
    let stored = || -> Option<(FindingsDoc, IncidentsDoc)> {
        Some((FindingsDoc::load(&case.join("findings.json")).ok()?, IncidentsDoc::load(&case.join(INCIDENTS_FILE))?))
    };
    // Detection (and triage) runs when the case has none, or a suppression file is given.
    let owned;
    let (doc, incidents) = match fresh {
        Some(d) => d,
        None => {
            owned = match if rules.suppress.is_some() { None } else { stored() } {
                Some(d) => d,
                None => rules.detect(data)?,
            };
            (&owned.0, &owned.1)
        }
    };
    let (oldest, newest) = report::span(data)?;
    let p = Period::resolve(period.time.from, period.time.to, period.last, period.until, oldest, newest);
    let out = out.unwrap_or_else(|| case.join("report"));
    Ok(report::write(data, &rules.config, doc, incidents, p, &out, period.single_file)?)
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
    let s = make_report(&data, &rules, &args.period, args.out, None)?;
    say(&s);
    Ok(exit::OK)
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub ingest: IngestArgs,
    #[command(flatten)]
    pub rule: RuleArgs,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Report folder (default CASE/report).
    #[arg(long, value_name = "DIR")]
    pub report_out: Option<PathBuf>,
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
    let s = make_report(&data, &rules, &args.period, args.report_out, Some((&doc, &incidents)))?;
    // Cron mails stdout: the alert lines first, then the report's path, then the summary.
    let period = s.period.explicit.then_some((s.period.from, s.period.to));
    let code = alert(&doc, &incidents, args.fail_on, period);
    say(&s);
    if !args.ingest.run.quiet {
        print_summary(&doc.findings, &incidents, secs, case);
    }
    Ok(code)
}
