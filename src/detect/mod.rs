//! Detection: the investigator's first questions as findings with evidence.
//!
//! Rules are SQL files (`queries/`, see [`sql_rule`]) where SQL can say it, and Rust over polars
//! where it cannot (history per entity, statistics, decoding), one module per rule family.
//! Every rule declares its parameters ([`config`]); every finding has a stable id, its evidence
//! lines and its numbers ([`finding`]). Output is deterministic: same case and config, same
//! bytes apart from `generated_at`.

pub mod anomaly;
pub mod config;
pub mod export;
pub mod finding;
pub mod integrity;
pub mod journal_integrity;
pub mod prior;
pub mod process;
pub mod rare;
pub mod rule_file;
pub mod severity;
pub mod sightings;
pub mod sigma;
pub mod sql_rule;
pub mod web;

use std::path::Path;

use crate::error::AnalysisError;
use crate::query::CaseData;
use config::{Config, Param};
use finding::{Draft, Finding};
use sql_rule::SqlRule;

/// What a rule sees.
pub struct Ctx<'a> {
    pub data: &'a CaseData,
    pub config: &'a Config,
    /// For the rules of the second stage, the findings of the first as the table
    /// `prior_findings` ([`prior::table`]).
    pub prior: Option<&'a polars::prelude::DataFrame>,
}

impl Ctx<'_> {
    pub fn sql(&self, name: &str, q: &str) -> Result<polars::prelude::DataFrame, AnalysisError> {
        self.data.sql(name, q)
    }
}

/// A detection rule written in Rust.
pub trait Rule: Sync {
    fn id(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn params(&self) -> Vec<Param>;
    fn run(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError>;
    /// Whether it holds much of the case in memory at once (detect runs such a rule alone).
    fn heavy(&self) -> bool {
        false
    }
}

/// The Rust rules, in a fixed order.
pub fn rust_rules() -> Vec<Box<dyn Rule>> {
    vec![Box::new(anomaly::VolumeAnomaly), Box::new(rare::RareEvent), Box::new(integrity::LogIntegrity)]
}

/// Every rule's id, description and parameters, for the configuration.
pub fn declarations(sql: &[SqlRule]) -> Vec<(String, String, Vec<Param>)> {
    let mut out = SqlRule::declarations(sql);
    for r in rust_rules() {
        out.push((r.id().to_string(), r.description().to_string(), r.params()));
    }
    out
}

/// Loads rules and configuration (`rules_dir` adds SQL rules, `config_file` overrides defaults).
pub fn load(rules_dir: Option<&Path>, config_file: Option<&Path>) -> Result<(Vec<SqlRule>, Config), AnalysisError> {
    load_with(rules_dir, config_file, Vec::new())
}

/// [`load`], with the tunables of later stages (triage) declared beside the rules'.
pub fn load_with(
    rules_dir: Option<&Path>,
    config_file: Option<&Path>,
    extra: Vec<(String, String, Vec<Param>)>,
) -> Result<(Vec<SqlRule>, Config), AnalysisError> {
    let sql = SqlRule::load_all(rules_dir)?;
    // A SQL rule may not take the id of a rule written in Rust (their findings and parameters
    // would mix under one name).
    let builtin: Vec<String> =
        rust_rules().iter().map(|r| r.id().to_string()).chain(extra.iter().map(|(id, _, _)| id.clone())).collect();
    let clashes: Vec<String> = sql
        .iter()
        .filter(|r| builtin.contains(&r.rule))
        .map(|r| format!("{}: rule {} is a built-in rule written in Rust; choose another id", r.file, r.rule))
        .collect();
    if !clashes.is_empty() {
        return Err(AnalysisError::Rule {
            path: rules_dir.map(Path::to_path_buf).unwrap_or_else(|| "queries".into()),
            msg: clashes.join("; "),
        });
    }
    let mut decls = declarations(&sql);
    decls.extend(extra);
    let mut config = Config::defaults(&decls);
    if let Some(f) = config_file {
        let err = |msg: String| AnalysisError::Config { path: f.to_path_buf(), msg };
        let text = std::fs::read_to_string(f).map_err(|e| err(e.to_string()))?;
        config = config.apply(&text).map_err(err)?;
    }
    Ok((sql, config))
}

/// The process's peak resident memory in MB so far (Linux; 0 elsewhere), for LOGSLEUTH_TIMINGS.
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    kb.unwrap_or(0) / 1024
}

/// The process's CPU time so far (user + system) in seconds (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces): utime and
    // stime are the 12th and 13th, in clock ticks (100 a second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

/// Runs `f`; with LOGSLEUTH_TIMINGS set, prints its time, the process's CPU time meanwhile
/// (the job's own only when jobs run one at a time, `LOGSLEUTH_TIMINGS=seq`) and the peak RSS
/// so far as `label`.
pub(crate) fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let on = std::env::var_os("LOGSLEUTH_TIMINGS").is_some();
    let cpu = if on { cpu_seconds() } else { 0.0 };
    let t = std::time::Instant::now();
    let r = f();
    if on {
        eprintln!(
            "{:>8.2} s  {:>6.2} s cpu  {label}  (peak RSS {} MB)",
            t.elapsed().as_secs_f64(),
            cpu_seconds() - cpu,
            peak_rss_mb()
        );
    }
    r
}

/// Whether every job runs alone (`LOGSLEUTH_TIMINGS=seq`), so that each one's time and CPU are
/// its own.
pub(crate) fn sequential() -> bool {
    std::env::var_os("LOGSLEUTH_TIMINGS").is_some_and(|v| v == "seq")
}

/// How many rules run at once: `LOGSLEUTH_RULE_THREADS`, else half the cores (at least 2).
/// Each rule's queries already use every core through polars' own thread pool; a second rule
/// beside it fills the gaps where one of them works on a single core.
fn rule_threads() -> usize {
    if sequential() {
        return 1;
    }
    std::env::var("LOGSLEUTH_RULE_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get() / 2).max(2))
        .max(1)
}

/// One rule to run: its label, whether it holds much of the case in memory at once, and itself.
pub(crate) struct Job<'j> {
    label: String,
    heavy: bool,
    run: Box<dyn Fn() -> Result<Vec<Draft>, AnalysisError> + Sync + 'j>,
}

/// Runs the jobs on at most [`rule_threads`] plain threads; a heavy job runs alone, once the light
/// ones are done (polars' own threads keep the cores busy meanwhile); results in job order.
///
/// Not rayon: a rayon worker that waits for polars' thread pool goes on stealing rules from its
/// own pool meanwhile, so every rule ended up started at once and their memory added up (1.7 GB
/// instead of 0.85 GB on the bench case; the page faults of that memory alone cost seconds).
/// Two heavy rules side by side (two windows over the attempt ledger) still peaked at 1.1 GB, and
/// one with a light rule beside it at 0.97-1.07 GB, against 0.77-0.88 GB alone in the same time.
fn run_jobs(jobs: &[Job<'_>]) -> Vec<Result<Vec<Draft>, AnalysisError>> {
    use std::collections::VecDeque;
    use std::sync::{Condvar, Mutex};
    struct Queue {
        heavy: VecDeque<usize>,
        light: VecDeque<usize>,
        heavy_running: bool,
        running: usize,
    }
    let queue = Mutex::new(Queue {
        heavy: (0..jobs.len()).filter(|&i| jobs[i].heavy).collect(),
        light: (0..jobs.len()).filter(|&i| !jobs[i].heavy).collect(),
        heavy_running: false,
        running: 0,
    });
    let changed = Condvar::new();
    type Slot = Mutex<Option<Result<Vec<Draft>, AnalysisError>>>;
    let slots: Vec<Slot> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let lock = || queue.lock().unwrap_or_else(|p| p.into_inner());
    // The next job this thread may start: a heavy one when nothing runs, else a light one when no
    // heavy one runs; waiting otherwise.
    let take = || {
        let mut q = lock();
        loop {
            if !q.heavy_running && q.running == 0 {
                if let Some(i) = q.heavy.pop_front() {
                    q.heavy_running = true;
                    q.running += 1;
                    return Some(i);
                }
            }
            if !q.heavy_running {
                if let Some(i) = q.light.pop_front() {
                    q.running += 1;
                    return Some(i);
                }
            }
            if q.heavy.is_empty() && q.light.is_empty() {
                return None;
            }
            q = changed.wait(q).unwrap_or_else(|p| p.into_inner());
        }
    };
    std::thread::scope(|s| {
        for _ in 0..rule_threads().min(jobs.len()) {
            s.spawn(|| {
                while let Some(i) = take() {
                    let job = &jobs[i];
                    let r = timed(&job.label, &job.run);
                    *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                    {
                        let mut q = lock();
                        q.running -= 1;
                        if job.heavy {
                            q.heavy_running = false;
                        }
                    }
                    changed.notify_all();
                }
            });
        }
    });
    slots.into_iter().filter_map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner())).collect()
}

/// Runs every rule (and the Sigma rules given) over the case and returns the findings in their
/// stable order.
pub fn detect(
    data: &CaseData,
    sql: &[SqlRule],
    config: &Config,
    sigma: Option<&sigma::SigmaSet>,
) -> Result<Vec<Finding>, AnalysisError> {
    let ctx = Ctx { data, config, prior: None };
    // The attempt ledger is shared by several rules: built (or read back from the case) once,
    // before they run side by side. Building it alongside the other rules was tried: the two
    // compete for the same two cores and memory, and the first detect after an ingest took
    // 10-14 s with 3 GB instead of 10.5 s with 2.4 GB.
    timed("attempt ledger", || data.attempts().map(drop))?;
    // Two stages: the rules that read the others' findings (`prior_findings`) run after them.
    let (first, second): (Vec<&SqlRule>, Vec<&SqlRule>) = sql.iter().partition(|r| !r.reads_findings());
    let rust = rust_rules();
    // The Rust rules start first: their whole-case passes are the longest jobs, and a long job
    // started last would run alone at the end.
    let jobs: Vec<Job<'_>> = rust
        .iter()
        .map(|r| Job { label: r.id().to_string(), heavy: r.heavy(), run: Box::new(|| r.run(&ctx)) })
        .chain(first.iter().map(|r| Job { label: r.file.clone(), heavy: r.heavy(), run: Box::new(|| r.run(&ctx)) }))
        .chain(sigma.filter(|s| !s.is_empty()).map(|s| Job {
            label: format!("sigma ({} rules)", s.rules.len() + s.correlations.len()),
            heavy: true,
            run: Box::new(move || sigma::run(s, data)),
        }))
        .collect();
    let n_rust = rust.len();
    // Results in rule order: the SQL rules', the Sigma rules', then the Rust rules'.
    let mut results = run_jobs(&jobs);
    results.rotate_left(n_rust);
    let mut drafts: Vec<Draft> = Vec::new();
    for r in results {
        drafts.extend(r?);
    }
    if !second.is_empty() {
        let prior = prior::table(&drafts)?;
        let ctx = Ctx { data, config, prior: Some(&prior) };
        let jobs: Vec<Job<'_>> =
            second.iter().map(|r| Job { label: r.file.clone(), heavy: false, run: Box::new(|| r.run(&ctx)) }).collect();
        for r in run_jobs(&jobs) {
            drafts.extend(r?);
        }
    }
    let mut findings: Vec<Finding> = drafts.into_iter().map(Draft::finish).collect();
    finding::sort(&mut findings);
    findings.dedup_by(|a, b| a.id == b.id);
    record_ids(data, &mut findings)?;
    Ok(findings)
}

/// Gives evidence from journals and audit logs its record id (`log_record_id`): the journal
/// cursor or the audit event id, which `journalctl` and `ausearch` find the record by.
fn record_ids(data: &CaseData, findings: &mut [Finding]) -> Result<(), AnalysisError> {
    use crate::query::frame;
    use polars::prelude::*;
    use std::collections::{BTreeSet, HashMap};
    let files: BTreeSet<&str> = data
        .manifest
        .inputs
        .iter()
        .filter(|i| matches!(i.format.as_deref(), Some("journal" | "journal_export" | "journal_json" | "audit")))
        .map(|i| i.path.as_str())
        .collect();
    let wanted: BTreeSet<(String, i64)> = findings
        .iter()
        .flat_map(|f| f.evidence.iter())
        .filter(|e| files.contains(e.file.as_str()))
        .map(|e| (e.file.clone(), e.line))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let lines: Vec<i64> = wanted.iter().map(|(_, l)| *l).collect::<BTreeSet<_>>().into_iter().collect();
    let df = data
        .events()?
        .filter(
            crate::query::one_of(col("log_file_path"), wanted.iter().map(|(f, _)| f.as_str()).collect::<BTreeSet<_>>())
                .and(crate::query::one_of(col("log_line"), lines))
                .and(col("log_record_id").is_not_null()),
        )
        .select([col("log_file_path"), col("log_line"), col("log_record_id")])
        .collect()?;
    let file = frame::strs(&df, "log_file_path")?;
    let line = frame::ints(&df, "log_line")?;
    let id = frame::strs(&df, "log_record_id")?;
    let map: HashMap<(String, i64), String> =
        (0..df.height()).filter_map(|i| Some(((file[i].clone()?, line[i]?), id[i].clone()?))).collect();
    for e in findings.iter_mut().flat_map(|f| f.evidence.iter_mut()) {
        if let Some(r) = map.get(&(e.file.clone(), e.line)) {
            e.record = Some(r.clone());
        }
    }
    Ok(())
}
