//! Ingest: discover → decode → parse → normalize → write, then an atomic commit into the
//! case (both through [`crate::store`]). This module only orchestrates; each stage lives in
//! its own file.
//!
//! Incremental by design: a file whose stored SHA-256 is already in the manifest is not read
//! again, so a weekly run over a growing `/var/log` copy only reads the new rotation. Content
//! seen before under another name (`auth.log.1` later copied as `auth.log.2.gz`) is recorded as
//! a duplicate and stored once.

pub mod archive;
pub mod clock;
pub mod decode;
pub mod discover;
pub mod journal;
pub mod pipeline;
pub mod plan;
pub mod rotation;
pub mod verify;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::error::IngestError;
use crate::parse::time::{format_rfc3339, MICROS};
use crate::parse::{FormatSpec, Module};
use crate::store::case::{Case, Journal};
use crate::store::manifest::{InputRecord, Manifest, RunRecord};
use crate::store::{case, files::now_rfc3339, pack, writer};
use discover::{Candidate, Symlinks};
use pipeline::{FileJob, FileResult};

/// Everything `logsleuth ingest` needs.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub inputs: Vec<PathBuf>,
    pub case_dir: PathBuf,
    pub format: Option<&'static dyn FormatSpec>,
    pub year: Option<i64>,
    /// `--tz`: zones for all hosts and per host (see [`clock`]).
    pub tz: Vec<clock::TzArg>,
    pub host: Option<String>,
    pub symlinks: Symlinks,
    /// `--root`: name files relative to this folder (default [`discover::ingest_root`]).
    pub root: Option<PathBuf>,
    pub force: bool,
    pub threads: usize,
    pub progress: bool,
    /// The command line, recorded in the manifest.
    pub command: String,
}

/// What a run did, for the CLI summary and exit status.
#[derive(Debug, Clone, Default)]
pub struct IngestSummary {
    pub run: u32,
    pub files_seen: u64,
    pub files_read: u64,
    pub files_unchanged: u64,
    pub files_duplicate: u64,
    pub files_skipped: u64,
    pub files_damaged: u64,
    pub files_failed: u64,
    /// Archives read in place (their members are counted as files).
    pub archives: u64,
    pub skipped_reasons: Vec<(String, u64)>,
    pub lines: u64,
    pub events: u64,
    pub rejects: u64,
    /// Continuation lines folded into multi-line records (`lines = events + continued + rejects`).
    pub continued: u64,
    pub bytes_stored: u64,
    pub seconds: f64,
    pub events_by_module: Vec<(String, u64)>,
    pub damaged: Vec<(String, String)>,
    /// Hosts assigned to this run's files: (host, how it was decided, files).
    pub hosts: Vec<(String, String, u64)>,
    /// Files read whose lines were mostly rejects: (path, format, lines, rejects). Silence from
    /// them is not absence of events.
    pub not_understood: Vec<(String, String, u64, u64)>,
    /// How time was decided: one line per host zone, per year shift, per uncertain year.
    pub time: Vec<String>,
    /// Small parts of earlier runs packed together at this commit.
    pub compacted: usize,
}

impl IngestSummary {
    /// Stored (on-disk) megabytes read per second.
    pub fn mb_per_s(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes_stored as f64 / 1e6 / self.seconds
        } else {
            0.0
        }
    }
}

fn record_for(c: &Candidate) -> InputRecord {
    InputRecord {
        path: c.rel.clone(),
        size: c.size,
        mtime: format_rfc3339(c.mtime * MICROS),
        sha256: None,
        content_sha256: None,
        compression: None,
        format: None,
        rotation_set: None,
        rotation_index: None,
        lines: 0,
        events: 0,
        rejects: 0,
        continued: 0,
        first_timestamp: None,
        last_timestamp: None,
        duplicate_of: None,
        skipped: c.skipped.clone(),
        content_size: 0,
        first_line: 1,
        host_name: None,
        host_source: None,
        sniff_score: None,
        source_path: Some(c.source_path()),
        run: 0,
        year_source: None,
        year_uncertain: false,
        year_note: None,
        tz: None,
        tz_source: None,
        tz_note: None,
        archive: c.archive.as_ref().and_then(|a| a.archive.clone()),
        expansion_ratio: c.archive.as_ref().and_then(|a| a.expansion_ratio),
        archive_kind: None,
        members: None,
        journal: None,
        damaged: c.archive.as_ref().is_some_and(|a| a.damaged.is_some()),
        error: c.archive.as_ref().and_then(|a| a.damaged.clone()),
    }
}

/// Runs one ingest into a case.
/// The SHA-256 of every Parquet part after this commit: the earlier parts' recorded hashes
/// (none with `--force`, which deletes them) and this run's staged parts, hashed in parallel
/// before they move into place (just written, so read from the page cache).
fn part_hashes(
    case: &Case,
    old: Option<&Manifest>,
    journal: &case::Journal,
    force: bool,
) -> Result<std::collections::BTreeMap<String, String>, IngestError> {
    let mut parts = if force { Default::default() } else { old.map(|m| m.parts.clone()).unwrap_or_default() };
    let new: Vec<(String, String)> = journal
        .moves
        .par_iter()
        .map(|(src, dst)| {
            let path = case.dir.join(src);
            crate::store::files::sha256_file(&path).map(|h| (dst.clone(), h)).map_err(|e| IngestError::read(&path, e))
        })
        .collect::<Result<_, _>>()?;
    parts.extend(new);
    Ok(parts)
}

/// A case never eats itself, and evidence is never written into: refuses a case folder
/// inside an input or an input inside the case, a case passed as evidence, and a non-empty
/// folder that is not a case (swapped arguments).
fn check_placement(opts: &IngestOptions) -> Result<(), IngestError> {
    let abs = |p: &std::path::Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| std::path::absolute(p).unwrap_or(p.to_path_buf()))
    };
    // The case folder may not exist yet: resolve its nearest existing ancestor.
    let case_abs = {
        let mut missing = Vec::new();
        let mut p = opts.case_dir.as_path();
        while !p.exists() {
            match (p.file_name(), p.parent()) {
                (Some(n), Some(parent)) => {
                    missing.push(n.to_os_string());
                    p = if parent.as_os_str().is_empty() { std::path::Path::new(".") } else { parent };
                }
                _ => break,
            }
        }
        let mut base = abs(p);
        base.extend(missing.iter().rev());
        base
    };
    let is_case = |p: &std::path::Path| p.join("manifest.json").is_file() && p.join("events").is_dir();
    for input in &opts.inputs {
        // Before anything is created: a mistyped path leaves no empty case behind.
        if std::fs::symlink_metadata(input).is_err() {
            return Err(IngestError::MissingInput { path: input.clone() });
        }
        let input_abs = abs(input);
        if case_abs.starts_with(&input_abs) {
            return Err(IngestError::Placement(format!(
                "the case folder {} is inside the evidence {}: its own files would be read as evidence; put the case outside the evidence",
                opts.case_dir.display(),
                input.display()
            )));
        }
        if input_abs.starts_with(&case_abs) {
            return Err(IngestError::Placement(format!(
                "the input {} is inside the case folder {}: give the evidence, not the case",
                input.display(),
                opts.case_dir.display()
            )));
        }
        if input.is_dir() && is_case(input) {
            return Err(IngestError::Placement(format!(
                "{} is a logsleuth case, not evidence: query it with --case {}, or give the evidence it was made from",
                input.display(),
                input.display()
            )));
        }
    }
    let dir = &opts.case_dir;
    if dir.is_file() {
        return Err(IngestError::Placement(format!("the case {} is a file; give a folder", dir.display())));
    }
    let non_empty = std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(false);
    let ours = dir.join("manifest.json").exists() || dir.join(".lock").exists() || dir.join(".staging").exists();
    if non_empty && !ours {
        return Err(IngestError::Placement(format!(
            "{} is not empty and is not a case (no manifest.json): were the evidence and --case swapped? Give a new or empty folder as --case",
            dir.display()
        )));
    }
    Ok(())
}

/// An input's parser (none when its format is unknown or its parser could not start), the
/// reason its lines are rejected without one, and whether its year was confirmed.
type PlannedParser = (Option<Box<dyn crate::parse::LineParser>>, &'static str, bool);

/// Fills an input's record from its plan (compression, rotation, host, format, year and zone
/// basis) and builds its parser; `None` when the plan skips the file or could not read it.
/// Also says whether the year check confirmed the year against lines that carry years.
fn record_plan(rec: &mut InputRecord, p: &plan::Planned) -> Option<PlannedParser> {
    rec.compression = Some(p.compression.as_str().into());
    rec.rotation_set = Some(p.rotation.set.clone());
    rec.rotation_index = Some(p.rotation_index);
    rec.host_name = p.ctx.host_hint.as_deref().map(str::to_string);
    rec.host_source = Some(p.host_source.as_str().to_string());
    rec.sniff_score = p.sniff_score.map(|(n, m)| format!("{n}/{m}"));
    if let Some(s) = &p.skipped {
        rec.skipped = Some(s.clone());
        return None;
    }
    if let Some(e) = &p.error {
        rec.error = Some(e.clone());
        rec.damaged = true;
        return None;
    }
    rec.format = Some(p.format.map_or("unknown", |f| f.id()).to_string());
    rec.year_source = Some(
        match p.ctx.year {
            crate::parse::time::YearRule::Fixed(_) => "override",
            crate::parse::time::YearRule::Anchor { source, .. } => source.as_str(),
        }
        .to_string(),
    );
    // A journal's entries carry full timestamps.
    let decoded = p.format.is_some_and(|f| f.transcode().is_some());
    if (p.year_check.lines_have_years || decoded) && !matches!(p.ctx.year, crate::parse::time::YearRule::Fixed(_)) {
        rec.year_source = Some(crate::parse::time::YearSource::Line.as_str().to_string());
    }
    rec.year_uncertain = p.year_check.uncertain;
    rec.year_note = p.year_check.note.clone();
    rec.tz = Some(p.tz.zone.name());
    rec.tz_source = Some(p.tz.source.as_str().to_string());
    rec.tz_note = p.tz.note.clone();
    let head = plan::head_as_lines(&p.head);
    let head_refs: Vec<&str> = head.iter().map(|l| l.as_ref()).collect();
    let (parser, reject_reason) = match p.format {
        Some(f) => match f.build(&p.ctx, &head_refs) {
            Ok(parser) => (Some(parser), pipeline::REASON_UNKNOWN_FORMAT),
            Err(e) => {
                rec.error = Some(format!("{} parser: {e}", f.id()));
                (None, "the file's format parser could not start (see the manifest's error)")
            }
        },
        None => (None, pipeline::REASON_UNKNOWN_FORMAT),
    };
    Some((parser, reject_reason, p.year_check.confirmed))
}

/// Adds this run's records to the summary: line, event and reject totals, damaged and skipped
/// files, duplicates, hosts, how time was decided, files not understood, events per module.
fn tally(summary: &mut IngestSummary, new_records: &[InputRecord], by_module: HashMap<Module, u64>) {
    for r in new_records {
        summary.lines += r.lines;
        summary.events += r.events;
        summary.rejects += r.rejects;
        summary.continued += r.continued;
        if r.damaged {
            summary.files_damaged += 1;
            summary.damaged.push((r.path.clone(), r.error.clone().unwrap_or_default()));
        }
        if let Some(s) = &r.skipped {
            summary.files_skipped += 1;
            let key = s.split(" (").next().unwrap_or(s).to_string();
            let key = if key.starts_with("symlink to ") { "symlink inside the evidence tree".to_string() } else { key };
            match summary.skipped_reasons.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += 1,
                None => summary.skipped_reasons.push((key, 1)),
            }
        }
    }
    summary.files_duplicate = new_records.iter().filter(|r| r.duplicate_of.is_some()).count() as u64;
    let mut hosts: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for r in new_records.iter().filter(|r| r.format.is_some()) {
        if let (Some(h), Some(s)) = (&r.host_name, &r.host_source) {
            *hosts.entry((h.clone(), s.clone())).or_default() += 1;
        }
    }
    summary.hosts = hosts.into_iter().map(|((h, s), n)| (h, s, n)).collect();
    summary.time = time_summary(new_records);
    summary.not_understood = new_records
        .iter()
        .filter(|r| is_not_understood(r))
        .map(|r| (r.path.clone(), r.format.clone().unwrap_or_default(), r.lines, r.rejects))
        .collect();
    let mut mods: Vec<(String, u64)> = by_module.into_iter().map(|(m, n)| (m.as_str().to_string(), n)).collect();
    mods.sort();
    summary.events_by_module = mods;
}

/// Exact copies: the stored SHA-256 of the files whose size matches another file's or a known
/// input's (only those are hashed before reading).
fn prehash(cands: &[Candidate], old_inputs: &[InputRecord]) -> Vec<Option<String>> {
    let mut size_count: HashMap<u64, usize> = HashMap::new();
    for c in cands.iter().filter(|c| c.skipped.is_none()) {
        *size_count.entry(c.size).or_default() += 1;
    }
    let old_sizes: HashSet<u64> = old_inputs.iter().filter(|i| i.sha256.is_some()).map(|i| i.size).collect();
    cands
        .par_iter()
        .map(|c| {
            // Empty files too (hashing nothing is free): an empty log is then "unchanged" on the
            // next run instead of new content under its own path each time.
            let wanted = c.skipped.is_none() && (c.size == 0 || size_count[&c.size] > 1 || old_sizes.contains(&c.size));
            wanted.then(|| decode::sha256_file(&c.source()).ok()).flatten()
        })
        .collect()
}

/// What classifying the candidates decided.
struct Classified {
    /// Each candidate's record (`None`: already in the case, unchanged).
    records: Vec<Option<InputRecord>>,
    /// The candidates to read, in candidate order.
    to_read: Vec<usize>,
    /// Grown files: (offset, first new line, hash state of the prefix).
    resume: HashMap<usize, (u64, u64, sha2::Sha256)>,
    /// Candidates in the order that decides which copy of duplicated content is the original.
    order: Vec<usize>,
}

/// Decides for each candidate: skipped, an archive's own record, unchanged (already in the
/// case), a duplicate of content seen before, grown (read from where the last run stopped), or
/// new content (under `PATH#rRUN` when the path is taken); counts archives and unchanged files.
fn classify(
    cands: &mut [Candidate],
    old_inputs: &[InputRecord],
    prehash: &[Option<String>],
    run_no: u32,
    summary: &mut IngestSummary,
) -> Classified {
    let old_path_sha: HashSet<(&str, &str)> =
        old_inputs.iter().filter_map(|r| r.sha256.as_deref().map(|s| (r.path.as_str(), s))).collect();
    let old_by_sha: HashMap<&str, &InputRecord> = old_inputs
        .iter()
        .filter(|i| i.duplicate_of.is_none())
        .filter_map(|i| i.sha256.as_deref().map(|s| (s, i)))
        .collect();

    let mut records: Vec<Option<InputRecord>> = vec![None; cands.len()];
    let mut to_read: Vec<usize> = Vec::new();
    let mut resume: HashMap<usize, (u64, u64, sha2::Sha256)> = HashMap::new();
    let mut first_by_sha: HashMap<String, String> = HashMap::new();
    let latest_by_path: HashMap<&str, &InputRecord> = {
        let mut m: HashMap<&str, &InputRecord> = HashMap::new();
        for r in old_inputs.iter().filter(|r| r.sha256.is_some() && r.duplicate_of.is_none()) {
            if m.get(r.path.as_str()).is_none_or(|p| p.run < r.run) {
                m.insert(r.path.as_str(), r);
            }
        }
        m
    };
    let mut renames: Vec<(usize, String)> = Vec::new();
    // Which copy of duplicated content is the original: files under `var/log/` first, then path order.
    let mut order: Vec<usize> = (0..cands.len()).collect();
    order.sort_by_key(|&i| canonical_rank(&cands[i].rel));
    for &i in &order {
        let c = &cands[i];
        let mut rec = record_for(c);
        rec.run = run_no;
        if c.skipped.is_some() {
            records[i] = Some(rec);
            continue;
        }
        if let Some(info) = c.archive.as_ref().filter(|a| a.kind.is_some()) {
            // The archive itself: recorded (kind, size, SHA-256, members, damage); its members
            // are candidates of their own. Already in the case unchanged: its record stays.
            summary.archives += 1;
            if info.sha256.as_deref().is_some_and(|sha| old_path_sha.contains(&(c.rel.as_str(), sha))) {
                continue;
            }
            rec.format = Some("archive".into());
            rec.archive_kind = info.kind.clone();
            rec.members = Some(info.members);
            rec.sha256 = info.sha256.clone();
            records[i] = Some(rec);
            continue;
        }
        if let Some(sha) = &prehash[i] {
            if old_path_sha.contains(&(c.rel.as_str(), sha.as_str())) {
                summary.files_unchanged += 1;
                continue; // already in the case, unchanged: keep the old record
            }
        }
        // Empty files hold no content to share: never one another's duplicates.
        if let Some(sha) = prehash[i].as_ref().filter(|_| c.size > 0) {
            if let Some(prev) = old_by_sha.get(sha.as_str()) {
                rec.sha256 = Some(sha.clone());
                rec.content_sha256 = prev.content_sha256.clone();
                rec.duplicate_of = Some(prev.path.clone());
                records[i] = Some(rec);
                continue;
            }
            if let Some(first) = first_by_sha.get(sha) {
                rec.sha256 = Some(sha.clone());
                rec.duplicate_of = Some(first.clone());
                records[i] = Some(rec);
                continue;
            }
            first_by_sha.insert(sha.clone(), c.rel.clone());
        }
        // A plain file that grew since an earlier run: read only what was appended. Other new
        // content under a path the case already holds (logrotate reused the name) is stored
        // under `PATH#rRUN`, so that a stored path and line always name one line.
        if let Some(prev) = latest_by_path.get(c.rel.as_str()) {
            match grown_prefix(c, prev) {
                Some(r) => {
                    resume.insert(i, r);
                }
                None => {
                    let mut renamed = format!("{}#r{run_no}", c.rel);
                    let mut n = 2;
                    while latest_by_path.contains_key(renamed.as_str()) {
                        renamed = format!("{}#r{run_no}-{n}", c.rel);
                        n += 1;
                    }
                    rec.path = renamed.clone();
                    renames.push((i, renamed));
                }
            }
        }
        records[i] = Some(rec);
        to_read.push(i);
    }
    for (i, rel) in renames {
        cands[i].rel = rel;
    }
    to_read.sort_unstable();
    Classified { records, to_read, resume, order }
}

/// A run's staging folder (absolute, and relative to the case) and its commit journal.
struct Staged<'a> {
    dir: &'a std::path::Path,
    rel: String,
    journal: Journal,
}

/// Writes the run's manifest (earlier runs, this run's record, every part's hash) into staging
/// and commits the run through its journal.
#[allow(clippy::too_many_arguments)]
fn commit_run(
    case: &Case,
    lock: &case::CaseLock,
    opts: &IngestOptions,
    old: Option<&Manifest>,
    (run_no, started_at): (u32, String),
    inputs: Vec<InputRecord>,
    staged: Staged<'_>,
    summary: &IngestSummary,
) -> Result<(), IngestError> {
    let Staged { dir: staging, rel: staging_rel, mut journal } = staged;
    let finished_at = now_rfc3339();
    let mut runs = if opts.force { Vec::new() } else { old.map(|m| m.runs.clone()).unwrap_or_default() };
    runs.push(RunRecord {
        run: run_no,
        command: opts.command.clone(),
        started_at: started_at.clone(),
        finished_at: finished_at.clone(),
        files_added: summary.files_read,
        events_added: summary.events,
        rejects_added: summary.rejects,
    });
    let parts = part_hashes(case, old, &journal, opts.force)?;
    let manifest = Manifest {
        logsleuth_version: env!("CARGO_PKG_VERSION").to_string(),
        command: opts.command.clone(),
        started_at,
        finished_at,
        inputs,
        schema_version: crate::schema::SCHEMA_VERSION,
        runs,
        parts,
        // Derived files are recorded by the command that writes them (detect), for this state.
        derived: Default::default(),
    };
    let manifest_tmp = staging.join("manifest.json");
    std::fs::write(&manifest_tmp, manifest.to_json()).map_err(|e| IngestError::write(&manifest_tmp, e))?;
    journal.manifest_tmp = format!("{staging_rel}/manifest.json");
    journal.staging = staging_rel;
    case.commit(lock, &journal)
}

pub fn run(opts: &IngestOptions) -> Result<IngestSummary, IngestError> {
    let started = Instant::now();
    let started_at = now_rfc3339();
    check_placement(opts)?;
    let case = Case::new(&opts.case_dir);
    let lock = case.lock()?;
    case.recover(&lock)?;
    let old = Manifest::load(&case.manifest_path())?;
    if let Some(m) = old.as_ref().filter(|m| m.schema_version != crate::schema::SCHEMA_VERSION && !opts.force) {
        return Err(IngestError::Invalid(format!(
            "case {} holds events of schema version {}; this logsleuth writes version {}: ingest into a new case, or add --force to rebuild this one",
            opts.case_dir.display(),
            m.schema_version,
            crate::schema::SCHEMA_VERSION
        )));
    }
    let old_inputs: Vec<InputRecord> = match (&old, opts.force) {
        (Some(m), false) => m.inputs.clone(),
        _ => Vec::new(),
    };
    let run_no = old.as_ref().map_or(0, |m| m.runs.iter().map(|r| r.run).max().unwrap_or(0)) + 1;

    let mut found = discover::discover(&opts.inputs, opts.symlinks, opts.root.as_deref())?;
    plan::probe(&mut found);
    let mut cands = archive::expand(found);
    unique_paths(&mut cands, &old_inputs);
    let mut summary = IngestSummary { run: run_no, files_seen: cands.len() as u64, ..Default::default() };

    let prehash = prehash(&cands, &old_inputs);
    let Classified { mut records, to_read, resume, order } =
        classify(&mut cands, &old_inputs, &prehash, run_no, &mut summary);
    // Files not read this run (unchanged, copies, skipped) do not hold their heads through it.
    let mut read = vec![false; cands.len()];
    to_read.iter().for_each(|&i| read[i] = true);
    cands.iter_mut().zip(read).filter(|(_, r)| !r).for_each(|(c, _)| c.probed = None);
    let plan_cands: Vec<&Candidate> = to_read.iter().map(|&i| &cands[i]).collect();
    let plan_opts =
        plan::PlanOptions { format: opts.format, year: opts.year, tz: opts.tz.clone(), host: opts.host.clone() };
    let planned = plan::plan(&plan_cands, &plan_opts);

    let staging = case.staging_dir(run_no);
    std::fs::create_dir_all(&staging).map_err(|e| IngestError::write(&staging, e))?;
    // A run that fails before its commit point (a full disk, a read-only folder) takes its
    // staging with it, so the space is free again at once.
    let _cleanup = StagingCleanup { case: &case, staging: &staging };
    let Jobs { jobs, job_of, year_confirmed } =
        build_jobs(&cands, &planned, &to_read, &mut records, &resume, &staging, run_no);

    let total_bytes: u64 = jobs.iter().map(|j| j.size).sum();
    let bar = progress_bar(opts.progress, total_bytes);
    let tick = |n: u64| bar.inc(n);
    let results: Vec<FileResult> = pipeline::run(&jobs, opts.threads, &tick);
    bar.finish_and_clear();

    let (by_module, kept_parts) =
        fold_results(&cands, &order, &job_of, &results, &mut records, &year_confirmed, &old_inputs, &mut summary);
    let mut journal = Journal::default();
    let staging_rel = staging.strip_prefix(&case.dir).unwrap_or(&staging).to_string_lossy().into_owned();
    // The case's layout does not follow the evidence's: small parts are packed per partition.
    let packed = pack::pack(kept_parts, &staging, &staging, &format!("r{run_no:04}"))?;
    for part in packed.kept.iter().chain(&packed.packs) {
        let src = format!("{staging_rel}/{}", part.rel.to_string_lossy());
        journal.moves.push((src, part.rel.to_string_lossy().into_owned()));
    }

    // Assemble the manifest: every earlier record stays (a file that changed keeps the record of
    // what it held then), this run's records follow.
    let new_records: Vec<InputRecord> = records.into_iter().flatten().collect();
    let mut inputs: Vec<InputRecord> = old_inputs.clone();
    inputs.extend(new_records.iter().cloned());
    inputs.sort_by(|a, b| a.path.cmp(&b.path).then(a.run.cmp(&b.run)));
    if opts.force {
        journal.deletes = case.parts("events").into_iter().chain(case.parts("rejects")).collect();
    }

    tally(&mut summary, &new_records, by_module);

    let staged = Staged { dir: &staging, rel: staging_rel, journal };
    commit_run(&case, &lock, opts, old.as_ref(), (run_no, started_at), inputs, staged, &summary)?;
    // Incremental runs each leave their own small parts: packed once they add up.
    summary.compacted = pack::compact(&case, &lock, Some(pack::AUTO_COMPACT_SMALL_PARTS))?.replaced;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The pipeline's jobs for the planned inputs, which job reads each candidate, and whose year
/// the year check confirmed against lines that carry years.
struct Jobs {
    jobs: Vec<FileJob>,
    job_of: Vec<Option<usize>>,
    year_confirmed: Vec<bool>,
}

/// One job per planned input that has a parser or a reject reason: where it is read from, how
/// its parts are written (final, staged, or in memory within the run's budget), and where a
/// grown file resumes.
fn build_jobs(
    cands: &[Candidate],
    planned: &[plan::Planned],
    to_read: &[usize],
    records: &mut [Option<InputRecord>],
    resume: &HashMap<usize, (u64, u64, sha2::Sha256)>,
    staging: &std::path::Path,
    run_no: u32,
) -> Jobs {
    let mut year_confirmed: Vec<bool> = vec![false; cands.len()];
    let mut jobs: Vec<FileJob> = Vec::new();
    let mut mem_budget = MEMORY_STAGING_BYTES;
    let mut job_of: Vec<Option<usize>> = vec![None; cands.len()];
    for (k, p) in planned.iter().enumerate() {
        let i = to_read[k];
        let rec = records[i].as_mut().expect("record");
        let Some((parser, reject_reason, confirmed)) = record_plan(rec, p) else { continue };
        year_confirmed[i] = confirmed;
        let format_id = p.format.map_or("unknown", |f| f.id());
        job_of[i] = Some(jobs.len());
        jobs.push(FileJob {
            idx: jobs.len(),
            source: cands[i].source(),
            compression: p.compression,
            ctx: p.ctx.clone(),
            parser,
            reject_reason,
            sink: writer::FileSink::new(staging, format!("r{run_no:04}-f{i:06}"), format_id, {
                let mode = sink_mode(cands[i].size, p.compression, mem_budget);
                if mode == writer::SinkMode::Memory {
                    mem_budget -= text_estimate(cands[i].size, p.compression);
                }
                mode
            }),
            size: cands[i].size,
            transcode: p.format.and_then(|f| f.transcode()),
            start_offset: resume.get(&i).map_or(0, |r| r.0),
            start_line: resume.get(&i).map_or(1, |r| r.1),
            prefix_hash: resume.get(&i).map(|r| r.2.clone()),
        });
        if let Some((_, line, _)) = resume.get(&i) {
            rec.first_line = *line;
        }
    }

    Jobs { jobs, job_of, year_confirmed }
}

/// Folds each read input's result into its record, in the order that decides duplicates: the
/// first copy of a content (in path order, earlier runs first) is kept, later ones point at it
/// and their parts stay in staging. Returns the events per module and the parts to keep.
#[allow(clippy::too_many_arguments)]
fn fold_results(
    cands: &[Candidate],
    order: &[usize],
    job_of: &[Option<usize>],
    results: &[FileResult],
    records: &mut [Option<InputRecord>],
    year_confirmed: &[bool],
    old_inputs: &[InputRecord],
    summary: &mut IngestSummary,
) -> (HashMap<Module, u64>, Vec<writer::WrittenPart>) {
    // Content duplicates: first in path order wins (deterministic), earlier runs win over this one.
    let mut seen_content: HashMap<String, String> = old_inputs
        .iter()
        .filter(|i| i.duplicate_of.is_none() && i.lines > 0)
        .filter_map(|i| i.content_sha256.clone().map(|s| (s, i.path.clone())))
        .collect();
    let mut by_module: HashMap<Module, u64> = HashMap::new();
    let mut kept_parts: Vec<writer::WrittenPart> = Vec::new();
    for &i in order {
        let c = &cands[i];
        let Some(j) = job_of[i] else { continue };
        let res = &results[j];
        let rec = records[i].as_mut().expect("record");
        summary.bytes_stored += c.size;
        if res.unreadable {
            rec.error = res.error.clone();
            rec.damaged = true;
            summary.files_failed += 1;
            continue;
        }
        rec.sha256 = Some(res.sha256.clone());
        rec.content_sha256 = Some(res.content_sha256.clone());
        rec.content_size = res.content_size;
        if res.lines > 0 && res.error.is_none() {
            if let Some(first) = seen_content.get(&res.content_sha256) {
                rec.duplicate_of = Some(first.clone());
                continue; // its parts stay in staging and are discarded with it
            }
            seen_content.insert(res.content_sha256.clone(), c.rel.clone());
        }
        summary.files_read += 1;
        rec.lines = res.lines;
        rec.events = res.events;
        rec.rejects = res.rejects;
        rec.continued = res.continued;
        rec.first_timestamp = res.first_ts.map(format_rfc3339);
        rec.last_timestamp = res.last_ts.map(format_rfc3339);
        if !year_confirmed[i] {
            flag_late_mtime(rec, c.mtime, res.last_ts);
        }
        if let Some(e) = &res.error {
            rec.error = Some(e.clone());
            rec.damaged = true;
        }
        rec.journal = res.journal.clone();
        for (m, n) in res.events_by_module.iter().enumerate() {
            if *n > 0 {
                *by_module.entry(Module::ALL[m]).or_default() += n;
            }
        }
        kept_parts.extend(res.parts.iter().cloned());
    }
    (by_module, kept_parts)
}

/// Removes a run's staging on the way out unless the run reached its commit point (a journal
/// then names the staged parts: the commit, or the next open, moves them in). Runs before the
/// case lock is released.
struct StagingCleanup<'a> {
    case: &'a case::Case,
    staging: &'a std::path::Path,
}

impl Drop for StagingCleanup<'_> {
    fn drop(&mut self) {
        if !self.case.needs_recovery() && self.staging.exists() {
            let _ = std::fs::remove_dir_all(self.staging);
            if let Some(parent) = self.staging.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
}

/// Text a small input holds, at most (for the memory budget): its size, or ten times a
/// compressed one's.
fn text_estimate(size: u64, compression: decode::Compression) -> u64 {
    if compression == decode::Compression::None {
        size
    } else {
        size.saturating_mul(10)
    }
}

/// Estimated text of the small inputs whose parts a run keeps in memory until they are packed;
/// beyond it they are staged on disk.
const MEMORY_STAGING_BYTES: u64 = 256 << 20;

/// How an input's parts are written: large inputs' as final parts; small ones' as staging parts
/// to pack, in memory while the budget lasts.
fn sink_mode(size: u64, compression: decode::Compression, budget: u64) -> writer::SinkMode {
    if size > writer::SMALL_INPUT_BYTES {
        writer::SinkMode::Final
    } else if text_estimate(size, compression) <= budget {
        writer::SinkMode::Memory
    } else {
        writer::SinkMode::Staging
    }
}

/// The ingest summary's lines about time: each host's zone and where it came from, the files
/// whose years were moved or are uncertain.
fn time_summary(records: &[InputRecord]) -> Vec<String> {
    let mut zones: std::collections::BTreeMap<(String, String, String), (u64, Option<String>)> = Default::default();
    let mut out = Vec::new();
    for r in records.iter().filter(|r| r.format.is_some()) {
        if let (Some(h), Some(z), Some(s)) = (&r.host_name, &r.tz, &r.tz_source) {
            let e = zones.entry((h.clone(), z.clone(), s.clone())).or_default();
            e.0 += 1;
            if e.1.is_none() {
                e.1 = r.tz_note.clone();
            }
        }
    }
    for ((h, z, s), (n, note)) in zones {
        let note = note.map(|n| format!(" — {n}")).unwrap_or_default();
        out.push(format!("zone of {h}: {z} (from {s}, {n} file(s)){note}"));
    }
    for r in records {
        if r.year_source.as_deref() == Some("cross_source") || r.year_uncertain {
            let what = if r.year_uncertain { "year uncertain" } else { "year cross-checked" };
            out.push(format!("{what}: {}: {}", r.path, r.year_note.as_deref().unwrap_or("")));
        }
    }
    out
}

/// An mtime far after the file's last line was not set by writing it: a year taken from it
/// (unless lines with years confirmed it; the caller checks) is uncertain.
fn flag_late_mtime(rec: &mut InputRecord, mtime: i64, last_ts: Option<i64>) {
    let (Some(last), Some("mtime" | "rotation")) = (last_ts, rec.year_source.as_deref()) else { return };
    let late_days = (mtime - last / MICROS) / 86_400;
    if mtime - last / MICROS > clock::MTIME_AFTER_LAST_SECS {
        rec.year_uncertain = true;
        let note = format!("the file's mtime is {late_days} days after its last line, so it was not set by writing it");
        rec.year_note = Some(match rec.year_note.take() {
            Some(n) => format!("{n}; {note}"),
            None => note,
        });
    }
}

/// A file read but mostly not understood: more than half its lines are rejects.
pub fn is_not_understood(r: &InputRecord) -> bool {
    r.lines > 0 && r.rejects * 2 > r.lines && r.duplicate_of.is_none()
}

/// Stored paths are unique within a case: a file whose relative path an earlier run already
/// stored for a *different* source file (two single-file ingests of two `auth.log`s) is stored
/// under its parent folder's name (`b/auth.log`), then with `#2`, `#3`, … until the path is new.
/// The same source file read again keeps its path, so incremental runs still resume it.
fn unique_paths(cands: &mut [Candidate], old: &[InputRecord]) {
    let taken: HashMap<&str, Option<&str>> = old.iter().map(|r| (r.path.as_str(), r.source_path.as_deref())).collect();
    let mut used: HashSet<String> = cands.iter().map(|c| c.rel.clone()).collect();
    for c in cands.iter_mut() {
        let src = c.source_path();
        let clash = |p: &str| taken.get(p).is_some_and(|s| s.is_some_and(|s| s != src));
        if !clash(&c.rel) {
            continue;
        }
        let parent = c.abs.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
        let mut candidate = match parent {
            Some(p) => format!("{p}/{}", c.rel),
            None => c.rel.clone(),
        };
        let base = candidate.clone();
        let mut n = 2;
        while clash(&candidate) || used.contains(&candidate) {
            candidate = format!("{base}#{n}");
            n += 1;
        }
        used.insert(candidate.clone());
        c.rel = candidate;
    }
}

/// Sort key choosing the original among identical files: logs where the system wrote them
/// (`…/var/log/…`) before stray copies, then path order.
fn canonical_rank(rel: &str) -> (u8, &str) {
    let system = rel.starts_with("var/log/") || rel.contains("/var/log/") || rel.contains("!var/log/");
    (u8::from(!system), rel)
}

/// When `c` is a plain file that starts with exactly the content `prev` recorded, returns
/// (offset, first new line, hash state of the prefix) to read only the appended part.
fn grown_prefix(c: &Candidate, prev: &InputRecord) -> Option<(u64, u64, sha2::Sha256)> {
    use sha2::Digest;
    if prev.compression.as_deref() != Some("none")
        || prev.content_size == 0
        || c.size <= prev.content_size
        || prev.damaged
    {
        return None;
    }
    // An archive member is whole or new, never appended to.
    if c.data.is_some() || decode::sniff_compression(&c.source()).ok()? != decode::Compression::None {
        return None;
    }
    let (h, n) = decode::sha256_prefix(&c.source(), prev.content_size).ok()?;
    if n != prev.content_size || Some(hex::encode(h.clone().finalize())) != prev.content_sha256 {
        return None;
    }
    Some((prev.content_size, prev.first_line + prev.lines, h))
}

fn progress_bar(enabled: bool, total: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} ingest [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}
