//! Sigma rules over the case: the community's detection format (SigmaHQ) and the analyst's own,
//! run beside the built-in rules (`detect --sigma PATH…`) or only compiled (`sigma check`).
//!
//! [`rule`] reads the YAML as the specification defines it, [`condition`] parses conditions,
//! [`mapping`] resolves logsources and fields to the case's columns (a data file), [`compile`]
//! turns each detection into one polars expression, and this module evaluates all of a
//! logsource's rules in one lazy pass over the case and turns matches into findings;
//! [`correlation`] evaluates correlation rules over those matches. Every rule is either
//! compiled or skipped with its reason; none is dropped silently.

pub mod compile;
pub mod condition;
pub mod correlation;
pub mod mapping;
pub mod rule;
mod skip;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::finding::{Draft, Severity, MAX_EVIDENCE};
use crate::error::AnalysisError;
use crate::query::frame;
use crate::query::{CaseData, Run};
use compile::{CompiledDetection, Registry};
use mapping::{Entry, Mapping};
use rule::{Body, Correlation, Meta};
pub use skip::Skip;

/// What `sigma check` and the report say of each rule.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuleStatus {
    pub path: String,
    pub id: Option<String>,
    pub title: String,
    /// `compiled` or `skipped`.
    pub status: String,
    pub reason: Option<String>,
    /// The reason's kind: yaml, logsource, field, modifier, condition, value, correlation,
    /// duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_kind: Option<String>,
    /// `product: linux, service: sshd`; `correlation` for correlation rules.
    pub logsource: String,
}

/// A rule file as the method section cites it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuleFile {
    pub path: String,
    pub sha256: String,
    pub rules: usize,
}

/// The Sigma rule sets a detect run used: for `findings.json` and the report's method section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct SigmaUse {
    /// The paths given to `--sigma`.
    pub paths: Vec<String>,
    pub mapping: String,
    pub files: Vec<RuleFile>,
    pub compiled: usize,
    pub skipped: usize,
    /// Skipped rules per reason kind.
    pub skipped_by_reason: BTreeMap<String, usize>,
    /// Compiled and skipped rules per logsource.
    pub by_logsource: BTreeMap<String, (usize, usize)>,
    /// Every rule's status.
    pub rules: Vec<RuleStatus>,
}

/// A compiled detection rule.
#[derive(Debug)]
pub struct SigmaRule {
    pub rule_id: String,
    pub meta: Meta,
    pub file: String,
    pub entry: Entry,
    pub compiled: CompiledDetection,
    /// Gives findings of its own (false for a rule only a correlation uses, unless `generate`).
    pub generate: bool,
}

/// A compiled correlation rule.
#[derive(Debug)]
pub struct SigmaCorrelation {
    pub rule_id: String,
    pub meta: Meta,
    pub file: String,
    pub corr: Correlation,
    /// The correlated detection rules (indices into `SigmaSet::rules`).
    pub bases: Vec<usize>,
    /// Per base, the source ids of the group-by fields, and of the value_count field.
    pub group: Vec<Vec<usize>>,
    pub value: Vec<Option<usize>>,
}

/// Loaded and compiled Sigma rules.
#[derive(Debug, Default)]
pub struct SigmaSet {
    pub rules: Vec<SigmaRule>,
    pub correlations: Vec<SigmaCorrelation>,
    pub registry: Registry,
    pub usage: SigmaUse,
}

/// The `.yml`/`.yaml` files under `path` (itself, or a folder searched recursively), sorted.
pub fn rule_files(path: &Path) -> Result<Vec<PathBuf>, AnalysisError> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !path.is_dir() {
        return Err(AnalysisError::Rule { path: path.to_path_buf(), msg: "no such file or folder".into() });
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|e| AnalysisError::Rule { path: dir.clone(), msg: e.to_string() })?;
        for e in rd.flatten() {
            let p = e.path();
            let ft = e.file_type().ok();
            if ft.is_some_and(|t| t.is_dir()) {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A rule's `level` as a severity: informational is low, no level medium.
fn level(meta: &Meta) -> Severity {
    match meta.level.as_deref() {
        Some("informational") => Severity::Low,
        l => l.and_then(Severity::parse).unwrap_or(Severity::Medium),
    }
}

/// The table a logsource's rules read: the events, or the attempt ledger.
fn table(data: &CaseData, entry: &Entry) -> Result<LazyFrame, AnalysisError> {
    match entry.table.as_str() {
        "attempts" => data.attempts(),
        _ => data.events(),
    }
}

/// A parsed document waiting for compilation.
struct Pending {
    file: String,
    index: usize,
    meta: Meta,
    body: Result<Body, Skip>,
}

impl SigmaSet {
    /// Loads every rule under `paths`, compiling what the mapping can serve. A path that does
    /// not exist is an error; a rule that cannot be compiled is listed as skipped, with why.
    pub fn load(paths: &[PathBuf], mapping: &Mapping) -> Result<SigmaSet, AnalysisError> {
        let mut set = SigmaSet::default();
        set.usage.paths = paths.iter().map(|p| p.display().to_string()).collect();
        set.usage.mapping = mapping.origin.clone();
        let mut pending: Vec<Pending> = Vec::new();
        let mut seen_files = BTreeSet::new();
        for root in paths {
            for f in rule_files(root)? {
                let shown = f.display().to_string();
                if !seen_files.insert(shown.clone()) {
                    continue;
                }
                let bytes =
                    std::fs::read(&f).map_err(|e| AnalysisError::Rule { path: f.clone(), msg: e.to_string() })?;
                let sha = hex::encode(Sha256::digest(&bytes));
                let mut docs = match String::from_utf8(bytes) {
                    Ok(text) => rule::parse_file(&text),
                    Err(_) => vec![(Meta::default(), Err(Skip::Yaml("the file is not UTF-8".into())))],
                };
                // Every file is accounted for: an empty one is a skip, not nothing.
                if docs.is_empty() {
                    docs.push((Meta::default(), Err(Skip::Yaml("the file holds no rule".into()))));
                }
                set.usage.files.push(RuleFile { path: shown.clone(), sha256: sha, rules: docs.len() });
                for (index, (meta, body)) in docs.into_iter().enumerate() {
                    pending.push(Pending { file: shown.clone(), index, meta, body });
                }
            }
        }
        set.compile_all(pending, mapping);
        set.summarize();
        Ok(set)
    }

    fn rule_id(p: &Pending) -> String {
        match &p.meta.id {
            Some(id) => format!("sigma:{id}"),
            None => {
                let stem = Path::new(&p.file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                if p.index == 0 {
                    format!("sigma:{stem}")
                } else {
                    format!("sigma:{stem}#{}", p.index + 1)
                }
            }
        }
    }

    fn status(p: &Pending, logsource: String, result: Result<(), Skip>) -> RuleStatus {
        RuleStatus {
            path: p.file.clone(),
            id: p.meta.id.clone(),
            title: p.meta.title.clone(),
            status: if result.is_ok() { "compiled" } else { "skipped" }.into(),
            reason_kind: result.as_ref().err().map(|s| s.kind().to_string()),
            reason: result.err().map(|s| s.to_string()),
            logsource,
        }
    }

    fn compile_all(&mut self, pending: Vec<Pending>, mapping: &Mapping) {
        let mut ids: BTreeSet<String> = BTreeSet::new();
        // Detection rules first: correlations refer to them.
        let mut by_ref: HashMap<(String, String), usize> = HashMap::new();
        let mut corr_pending = Vec::new();
        for p in pending {
            let id = Self::rule_id(&p);
            let logsource = match &p.body {
                Ok(Body::Detection(d)) => d.logsource.to_string(),
                Ok(Body::Correlation(_)) => "correlation".to_string(),
                Err(_) => "(unreadable)".to_string(),
            };
            if matches!(p.body, Ok(Body::Correlation(_))) {
                corr_pending.push((p, id));
                continue;
            }
            let result = (|| -> Result<SigmaRule, Skip> {
                let det = match &p.body {
                    Ok(Body::Detection(d)) => d,
                    Ok(Body::Correlation(_)) => unreachable!("set aside above"),
                    Err(e) => return Err(e.clone()),
                };
                if !ids.insert(id.clone()) {
                    return Err(Skip::Duplicate(format!("{id} is already loaded")));
                }
                let entry = mapping
                    .logsource(&det.logsource)
                    .ok_or_else(|| Skip::Logsource(det.logsource.to_string()))?
                    .clone();
                let compiled = compile::detection(det, &entry, mapping, &mut self.registry).map_err(|e| match e {
                    Skip::Field(f) => Skip::Field(format!("{f} (logsource '{}')", entry.name)),
                    other => other,
                })?;
                Ok(SigmaRule {
                    rule_id: id.clone(),
                    meta: p.meta.clone(),
                    file: p.file.clone(),
                    entry,
                    compiled,
                    generate: true,
                })
            })();
            let status = Self::status(&p, logsource, result.as_ref().map(drop).map_err(Clone::clone));
            self.usage.rules.push(status);
            if let Ok(r) = result {
                let i = self.rules.len();
                for key in [r.meta.id.clone(), r.meta.name.clone()].into_iter().flatten() {
                    by_ref.insert((p.file.clone(), key.clone()), i);
                    by_ref.entry((String::new(), key)).or_insert(i);
                }
                self.rules.push(r);
            }
        }
        let mut used_only_by_correlations = BTreeSet::new();
        let mut generated = BTreeSet::new();
        for (p, id) in corr_pending {
            let result = (|| -> Result<SigmaCorrelation, Skip> {
                let Ok(Body::Correlation(c)) = &p.body else { unreachable!("only correlations here") };
                if !ids.insert(id.clone()) {
                    return Err(Skip::Duplicate(format!("{id} is already loaded")));
                }
                let mut bases = Vec::new();
                for r in &c.rules {
                    let found =
                        by_ref.get(&(p.file.clone(), r.clone())).or_else(|| by_ref.get(&(String::new(), r.clone())));
                    match found {
                        Some(&i) => bases.push(i),
                        None => {
                            return Err(Skip::Correlation(format!(
                                "'{r}' names no compiled detection rule (a skipped rule, or a correlation, which cannot be correlated again)"
                            )))
                        }
                    }
                }
                let mut group = Vec::new();
                let mut value = Vec::new();
                for (k, &b) in bases.iter().enumerate() {
                    let entry = self.rules[b].entry.clone();
                    let names =
                        [self.rules[b].meta.name.clone(), self.rules[b].meta.id.clone(), Some(c.rules[k].clone())];
                    let registry = &mut self.registry;
                    let mut resolve = |field: &str| -> Result<usize, Skip> {
                        let actual = c
                            .aliases
                            .get(field)
                            .and_then(|per| names.iter().flatten().find_map(|n| per.get(n)))
                            .map(String::as_str)
                            .unwrap_or(field);
                        let s = mapping.field(&entry, actual).ok_or_else(|| {
                            Skip::Field(format!("{actual} (group-by of '{}', logsource '{}')", c.rules[k], entry.name))
                        })?;
                        Ok(registry.id(&s))
                    };
                    group.push(c.group_by.iter().map(|g| resolve(g)).collect::<Result<Vec<_>, _>>()?);
                    value.push(c.field.as_deref().map(&mut resolve).transpose()?);
                }
                Ok(SigmaCorrelation {
                    rule_id: id.clone(),
                    meta: p.meta.clone(),
                    file: p.file.clone(),
                    corr: c.clone(),
                    bases,
                    group,
                    value,
                })
            })();
            let status = Self::status(&p, "correlation".into(), result.as_ref().map(drop).map_err(Clone::clone));
            self.usage.rules.push(status);
            if let Ok(c) = result {
                for &b in &c.bases {
                    if c.corr.generate {
                        generated.insert(b);
                    } else {
                        used_only_by_correlations.insert(b);
                    }
                }
                self.correlations.push(c);
            }
        }
        for b in used_only_by_correlations.difference(&generated) {
            self.rules[*b].generate = false;
        }
    }

    fn summarize(&mut self) {
        let u = &mut self.usage;
        u.compiled = u.rules.iter().filter(|r| r.status == "compiled").count();
        u.skipped = u.rules.len() - u.compiled;
        u.skipped_by_reason.clear();
        u.by_logsource.clear();
        for r in &u.rules {
            if let Some(k) = &r.reason_kind {
                *u.skipped_by_reason.entry(k.clone()).or_default() += 1;
            }
            let e = u.by_logsource.entry(r.logsource.clone()).or_default();
            if r.status == "compiled" {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.correlations.is_empty()
    }

    /// The ids of the compiled rules that give findings (for `--rule` and suppressions).
    pub fn rule_ids(&self) -> Vec<String> {
        self.rules
            .iter()
            .filter(|r| r.generate)
            .map(|r| r.rule_id.clone())
            .chain(self.correlations.iter().map(|c| c.rule_id.clone()))
            .collect()
    }
}

/// The matched events of one pass: their columns, and which rows each rule matched.
struct Frame {
    ts: Vec<Option<i64>>,
    host: Vec<Option<String>>,
    ip: Vec<Option<String>>,
    user: Vec<Option<String>>,
    file: Vec<Option<String>>,
    line: Vec<Option<i64>>,
    /// Values of the sources correlations read, by source id.
    fields: HashMap<usize, Vec<Option<String>>>,
    /// Rule index → matched rows.
    hits: HashMap<usize, Vec<u32>>,
}

/// Runs every compiled rule over the case: one pass per logsource (and table) for all of its
/// rules; then the correlations over their rules' matches.
pub fn run(set: &SigmaSet, data: &CaseData) -> Result<Vec<Draft>, AnalysisError> {
    let files_of = |format: &str| -> Vec<String> {
        data.manifest.inputs.iter().filter(|i| i.format.as_deref() == Some(format)).map(|i| i.path.clone()).collect()
    };
    // Sources each rule's matches must carry for the correlations over it.
    let mut extra: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    for c in &set.correlations {
        for (k, &b) in c.bases.iter().enumerate() {
            let e = extra.entry(b).or_default();
            e.extend(c.group[k].iter().copied());
            e.extend(c.value[k]);
        }
    }
    // Rules over the same events (table, filter, formats) share a pass.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in set.rules.iter().enumerate() {
        groups.entry(r.entry.pass_key()).or_default().push(i);
    }
    let mut frames: Vec<Frame> = Vec::new();
    for members in groups.values() {
        // A logsource of input formats the case does not hold has no events: no pass.
        let formats = &set.rules[members[0]].entry.formats;
        if !formats.is_empty() && formats.iter().all(|f| files_of(f).is_empty()) {
            continue;
        }
        let names: BTreeSet<&str> = members.iter().map(|&m| set.rules[m].entry.name.as_str()).collect();
        let names: Vec<&str> = names.into_iter().collect();
        let label = format!("sigma: {} ({} rules)", names.join(", "), members.len());
        let plan = super::timed(&format!("{label}: sampling literals"), || narrowing(set, data, members, &files_of))?;
        super::timed(&label, || -> Result<(), AnalysisError> {
            if !plan.narrowed.is_empty() {
                let f = super::timed(
                    &format!("  {} rules on the events with their literals", plan.narrowed.len()),
                    || evaluate(set, data, &plan.narrowed, Some(&plan.literals), &extra, &files_of),
                )?;
                frames.push(f);
            }
            if !plan.rest.is_empty() {
                let f = super::timed(&format!("  {} rules on every event", plan.rest.len()), || {
                    evaluate(set, data, &plan.rest, None, &extra, &files_of)
                })?;
                frames.push(f);
            }
            Ok(())
        })?;
    }
    let mut drafts = Vec::new();
    for f in &frames {
        for (&i, rows) in &f.hits {
            if set.rules[i].generate {
                drafts.extend(detection_drafts(&set.rules[i], f, rows));
            }
        }
    }
    for c in &set.correlations {
        drafts.extend(correlation_drafts(set, c, &frames));
    }
    Ok(drafts)
}

/// How a pass's rules run: those whose needed literals are rare, on the events that hold one
/// (`literals`: per source, all of them); the rest on every event of the pass.
struct Narrowing {
    narrowed: Vec<usize>,
    literals: BTreeMap<usize, BTreeSet<String>>,
    rest: Vec<usize>,
}

/// Events sampled to see how common each needed literal is.
const SAMPLE_ROWS: u32 = 20_000;
/// A rule is narrowed when its literals are estimated in at most this share of the events.
const NARROW_RATE: f64 = 0.002;

/// Chooses for each rule of a pass the rarest literals it needs, by their share of a sample of
/// the pass's events (the first [`SAMPLE_ROWS`]); a wrong estimate costs time, never a match.
fn narrowing(
    set: &SigmaSet,
    data: &CaseData,
    members: &[usize],
    files_of: &dyn Fn(&str) -> Vec<String>,
) -> Result<Narrowing, AnalysisError> {
    let mut all = BTreeSet::new();
    for &m in members {
        set.rules[m].compiled.need.literals(&mut all);
    }
    let mut rates: HashMap<(usize, String), f64> = HashMap::new();
    if !all.is_empty() {
        let entry = &set.rules[members[0]].entry;
        let ids: BTreeSet<usize> = all.iter().map(|(i, _)| *i).collect();
        let sample = table(data, entry)?
            .filter(entry.pass_filter(files_of))
            .limit(SAMPLE_ROWS)
            .with_columns(ids.iter().map(|&i| set.registry.raw_expr(i)).collect::<Vec<_>>())
            .select(ids.iter().map(|&i| Registry::lower_expr(i)).collect::<Vec<_>>())
            .run()?;
        let n = sample.height().max(1) as f64;
        let counts = sample
            .lazy()
            .select(
                all.iter()
                    .enumerate()
                    .map(|(k, (i, l))| {
                        col(Registry::lower_name(*i))
                            .str()
                            .contains_literal(lit(l.clone()))
                            .fill_null(lit(false))
                            .cast(DataType::UInt32)
                            .sum()
                            .alias(format!("c{k}"))
                    })
                    .collect::<Vec<_>>(),
            )
            .collect()?;
        for (k, key) in all.iter().enumerate() {
            let c = counts.column(&format!("c{k}"))?.cast(&DataType::Float64)?;
            rates.insert(key.clone(), c.f64()?.get(0).unwrap_or(0.0) / n);
        }
    }
    let rate = |k: &(usize, String)| rates.get(k).copied().unwrap_or(1.0);
    let off = narrowing_off();
    let mut plan = Narrowing { narrowed: Vec::new(), literals: BTreeMap::new(), rest: Vec::new() };
    let mut total = 0.0;
    for &m in members {
        match set.rules[m].compiled.need.resolve(&rate) {
            Some((r, lits)) if r <= NARROW_RATE && !off => {
                total += r;
                plan.narrowed.push(m);
                for (i, l) in lits {
                    plan.literals.entry(i).or_default().insert(l);
                }
            }
            _ => plan.rest.push(m),
        }
    }
    if std::env::var_os("LOGSLEUTH_SIGMA_DEBUG").is_some() {
        let names: Vec<&str> = plan.rest.iter().map(|&m| set.rules[m].meta.title.as_str()).collect();
        eprintln!(
            "  narrowed {} (sampled share {total:.4}), on every event {}: {names:?}",
            plan.narrowed.len(),
            plan.rest.len()
        );
        for (i, l) in &plan.literals {
            eprintln!("    {}: {} literals", set.registry.sources[*i].describe(), l.len());
        }
    }
    Ok(plan)
}

/// Evaluates the rules `members` (over the same events) in one lazy pass. With `narrowed`
/// literals, the pass first keeps the events that hold one of them (one scan per source), then
/// runs the rules on those alone.
fn evaluate(
    set: &SigmaSet,
    data: &CaseData,
    members: &[usize],
    narrowed: Option<&BTreeMap<usize, BTreeSet<String>>>,
    extra: &HashMap<usize, BTreeSet<usize>>,
    files_of: &dyn Fn(&str) -> Vec<String>,
) -> Result<Frame, AnalysisError> {
    let entry = &set.rules[members[0]].entry;
    let mut raw: BTreeSet<usize> = BTreeSet::new();
    let mut lower: BTreeSet<usize> = BTreeSet::new();
    let mut carried: BTreeSet<usize> = BTreeSet::new();
    for &m in members {
        raw.extend(&set.rules[m].compiled.uses.raw);
        lower.extend(&set.rules[m].compiled.uses.lower);
        if let Some(e) = extra.get(&m) {
            raw.extend(e);
            carried.extend(e);
        }
    }
    let source = |i: usize| set.registry.raw_expr(i);
    let mut lf = table(data, entry)?.filter(entry.pass_filter(files_of));
    // Parent-process fields: the pass's events are joined to their parents' starts first.
    let parents: Vec<String> = raw
        .iter()
        .filter_map(|&i| match &set.registry.sources[i] {
            mapping::Source::Parent(c) => Some(c.clone()),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !parents.is_empty() {
        let mut df = lf.run()?;
        mapping::parent_columns(&mut df, &parents)?;
        lf = df.lazy();
    }
    if let Some(lits) = narrowed {
        // The sources first, searched case-insensitively as they are (no lower-cased copy of
        // every event's text); lower-cased copies only for the candidates, after the filter.
        // The filter reads the source columns themselves (no computed column in between), so
        // the scan applies it and decodes the pass's other columns for the candidates alone.
        let candidate = lits
            .iter()
            .map(|(i, words)| {
                let alt: Vec<String> = words.iter().map(|s| regex::escape(s)).collect();
                set.registry.sources[*i]
                    .expr()
                    .cast(DataType::String)
                    .str()
                    .contains(lit(format!("(?i){}", alt.join("|"))), false)
                    .fill_null(lit(false))
            })
            .reduce(|a, b| a.or(b))
            .unwrap_or(lit(true));
        lf = lf.filter(candidate);
    }
    if narrowed.is_none() && parents.is_empty() {
        if let Some(keep) = by_distinct_values(set, data, members, (&raw, &lower), files_of)? {
            lf = lf.filter(keep);
        }
    }
    if !raw.is_empty() {
        lf = lf.with_columns(raw.iter().map(|&i| source(i)).collect::<Vec<_>>());
    }
    if !lower.is_empty() {
        lf = lf.with_columns(lower.iter().map(|&i| Registry::lower_expr(i)).collect::<Vec<_>>());
    }
    let flags: Vec<Expr> = members
        .iter()
        .map(|&m| {
            let r = &set.rules[m];
            r.entry.rule_filter().and(r.compiled.expr.clone().fill_null(lit(false))).alias(format!("__r{m}"))
        })
        .collect();
    let mut keep = vec![
        col("timestamp").cast(DataType::Int64).alias("__ts"),
        col("host_name"),
        col("source_ip"),
        col("user_name"),
        col("log_file_path"),
        col("log_line"),
    ];
    keep.extend(carried.iter().map(|&i| col(Registry::raw_name(i)).cast(DataType::String)));
    keep.extend(members.iter().map(|&m| col(format!("__r{m}"))));
    let any = members.iter().map(|&m| col(format!("__r{m}"))).reduce(|a, b| a.or(b)).unwrap_or(lit(false));
    let df = lf.with_columns(flags).select(keep).filter(any).run()?;
    let mut fields = HashMap::new();
    for &i in &carried {
        fields.insert(i, frame::strs(&df, &Registry::raw_name(i))?);
    }
    let mut hits = HashMap::new();
    for &m in members {
        let flag = df.column(&format!("__r{m}"))?.bool()?.clone();
        let rows: Vec<u32> = flag.iter().enumerate().filter(|(_, v)| *v == Some(true)).map(|(r, _)| r as u32).collect();
        if !rows.is_empty() {
            hits.insert(m, rows);
        }
    }
    Ok(Frame {
        ts: frame::ints(&df, "__ts")?,
        host: frame::strs(&df, "host_name")?,
        ip: frame::strs(&df, "source_ip")?,
        user: frame::strs(&df, "user_name")?,
        file: frame::strs(&df, "log_file_path")?,
        line: frame::ints(&df, "log_line")?,
        fields,
        hits,
    })
}

/// `LOGSLEUTH_SIGMA_NARROW=off` runs every rule on every event: no literal narrowing, no first
/// run on distinct values (to check both).
fn narrowing_off() -> bool {
    std::env::var("LOGSLEUTH_SIGMA_NARROW").is_ok_and(|v| v == "off")
}

/// Distinct values a pass's rules are first run on ([`by_distinct_values`]) at most.
const DISTINCT_VALUES: usize = 100_000;

/// Rules that run on every event of a pass and read a few text columns only (user-agent lists:
/// a few hundred distinct values over millions of requests) are run first on the distinct
/// combinations of those columns. The events whose every such column holds a value of a
/// matched combination are then kept by the scan itself (a superset of the matches), and the
/// rules run on those alone. The filter that keeps them, or `None` when the rules read a
/// computed source or a number, have different filters, or see too many distinct combinations.
fn by_distinct_values(
    set: &SigmaSet,
    data: &CaseData,
    members: &[usize],
    (raw, lower): (&BTreeSet<usize>, &BTreeSet<usize>),
    files_of: &dyn Fn(&str) -> Vec<String>,
) -> Result<Option<Expr>, AnalysisError> {
    let Some(first) = members.first() else { return Ok(None) };
    if narrowing_off() {
        return Ok(None);
    }
    let mut columns = Vec::new();
    for &i in raw {
        match &set.registry.sources[i] {
            mapping::Source::Column(c) if !set.registry.sources[i].numeric() => columns.push((i, c.as_str())),
            _ => return Ok(None),
        }
    }
    // The rules' own filter (`event_action = http.request`), when they share it: events outside
    // it match no rule.
    let entry = &set.rules[*first].entry;
    let within = entry.rule_filter();
    if columns.is_empty() || members.iter().any(|&m| set.rules[m].entry.rule_filter() != within) {
        return Ok(None);
    }
    let distinct = table(data, entry)?
        .filter(entry.pass_filter(files_of))
        .filter(within)
        .select(columns.iter().map(|&(i, _)| set.registry.raw_expr(i)).collect::<Vec<_>>())
        .unique(None, UniqueKeepStrategy::Any)
        .run()?;
    if distinct.height() > DISTINCT_VALUES {
        return Ok(None);
    }
    let any = members
        .iter()
        .map(|&m| set.rules[m].compiled.expr.clone().fill_null(lit(false)))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let matched = distinct
        .lazy()
        .with_columns(lower.iter().map(|&l| Registry::lower_expr(l)).collect::<Vec<_>>())
        .filter(any)
        .run()?;
    let mut keep = lit(true);
    for (i, column) in columns {
        let values = matched.column(&Registry::raw_name(i))?.as_materialized_series().unique()?;
        let with_null = values.null_count() > 0;
        let source = col(column).cast(DataType::String);
        let present = values.drop_nulls();
        let held = crate::query::one_of(source.clone(), present.str()?.iter().flatten()).fill_null(lit(false));
        keep = keep.and(if with_null { held.or(source.is_null()) } else { held });
    }
    Ok(Some(keep))
}

/// What a finding says of the rule that made it.
fn describe(d: &mut Draft, meta: &Meta, file: &str, severity: Severity) {
    let json_list = |v: &[String]| serde_json::Value::from(v.to_vec());
    d.title = meta.title.clone();
    d.details.insert("sigma_file".into(), file.into());
    if let Some(id) = &meta.id {
        d.details.insert("sigma_id".into(), id.clone().into());
    }
    d.details.insert("level".into(), meta.level.clone().unwrap_or_else(|| "medium".into()).into());
    if !meta.tags.is_empty() {
        d.details.insert("tags".into(), json_list(&meta.tags));
    }
    if let Some(a) = &meta.author {
        d.details.insert("author".into(), a.clone().into());
    }
    if !meta.references.is_empty() {
        d.details.insert("references".into(), json_list(&meta.references));
    }
    if !meta.falsepositives.is_empty() {
        d.details.insert("falsepositives".into(), json_list(&meta.falsepositives));
    }
    if let Some(s) = &meta.status {
        d.details.insert("sigma_status".into(), s.clone().into());
    }
    if severity >= Severity::High {
        d.details.insert(
            "severity_reason".into(),
            format!("the Sigma rule's level ({}): {}", meta.level.as_deref().unwrap_or("high"), meta.title).into(),
        );
    }
}

/// Keeps the earliest evidence lines only, so a rule that matches millions of events does not
/// hold them all.
fn prune(ev: &mut Vec<(i64, String, i64)>) {
    if ev.len() > 8 * MAX_EVIDENCE {
        ev.sort();
        ev.dedup();
        ev.truncate(MAX_EVIDENCE);
    }
}

/// The common value of a field over events, if they all agree.
fn common<'a>(mut values: impl Iterator<Item = Option<&'a str>>) -> Option<String> {
    let first = values.next()??;
    values.all(|v| v == Some(first)).then(|| first.to_string())
}

/// A detection rule's matches, one finding per host and source address.
fn detection_drafts(r: &SigmaRule, f: &Frame, rows: &[u32]) -> Vec<Draft> {
    let severity = level(&r.meta);
    let mut by: BTreeMap<(Option<&str>, Option<&str>), Vec<usize>> = BTreeMap::new();
    for &row in rows {
        let i = row as usize;
        by.entry((f.host[i].as_deref(), f.ip[i].as_deref())).or_default().push(i);
    }
    by.into_iter()
        .map(|((host, ip), rows)| {
            let mut d = Draft::new(r.rule_id.clone(), severity);
            d.host_name = host.map(str::to_string);
            d.source_ip = ip.map(str::to_string);
            d.user_name = common(rows.iter().map(|&i| f.user[i].as_deref()));
            d.count = rows.len() as u64;
            for &i in &rows {
                let ts = f.ts[i].unwrap_or(0);
                d.first_seen = d.first_seen.min(ts);
                d.last_seen = d.last_seen.max(ts);
                d.evidence.push((ts, f.file[i].clone().unwrap_or_default(), f.line[i].unwrap_or(0)));
                prune(&mut d.evidence);
            }
            describe(&mut d, &r.meta, &r.file, severity);
            d.details.insert("logsource".into(), r.entry.name.clone().into());
            d
        })
        .collect()
}

/// Numbers for strings: the same string always gets the same number.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), self.names.len() as u32 - 1);
        self.names.len() as u32 - 1
    }
}

fn correlation_drafts(set: &SigmaSet, c: &SigmaCorrelation, frames: &[Frame]) -> Vec<Draft> {
    // Files ranked by name, so that events at one time sort the same on every run.
    let mut file_names: BTreeSet<&str> = BTreeSet::new();
    for f in frames {
        for &b in &c.bases {
            for &row in f.hits.get(&b).map(Vec::as_slice).unwrap_or(&[]) {
                file_names.insert(f.file[row as usize].as_deref().unwrap_or(""));
            }
        }
    }
    let file_rank: HashMap<&str, u32> = file_names.iter().enumerate().map(|(i, n)| (*n, i as u32)).collect();
    let mut groups = Interner::default();
    let mut values = Interner::default();
    let mut events = Vec::new();
    for (fi, f) in frames.iter().enumerate() {
        for (k, &b) in c.bases.iter().enumerate() {
            for &row in f.hits.get(&b).map(Vec::as_slice).unwrap_or(&[]) {
                let i = row as usize;
                let group: Option<Vec<&str>> =
                    c.group[k].iter().map(|s| f.fields.get(s).and_then(|v| v[i].as_deref())).collect();
                let Some(group) = group else { continue };
                let value = c.value[k].and_then(|s| f.fields.get(&s).and_then(|v| v[i].as_deref()));
                events.push(correlation::Event {
                    ts: f.ts[i].unwrap_or(0),
                    file: file_rank[f.file[i].as_deref().unwrap_or("")],
                    line: f.line[i].unwrap_or(0),
                    kind: k,
                    group: groups.id(&group.join("\u{1f}")),
                    value: value.map(|v| values.id(v)),
                    at: (fi as u32, row),
                });
            }
        }
    }
    let severity = level(&c.meta);
    let hits = correlation::evaluate(c.corr.kind, c.bases.len(), c.corr.timespan, &c.corr.condition, events);
    hits.into_iter()
        .map(|h| {
            let at = |e: &correlation::Event| (&frames[e.at.0 as usize], e.at.1 as usize);
            let mut d = Draft::new(c.rule_id.clone(), severity);
            d.host_name = common(h.events.iter().map(|e| at(e).0.host[at(e).1].as_deref()));
            d.source_ip = common(h.events.iter().map(|e| at(e).0.ip[at(e).1].as_deref()));
            d.user_name = common(h.events.iter().map(|e| at(e).0.user[at(e).1].as_deref()));
            d.first_seen = h.first;
            d.last_seen = h.last;
            d.count = h.events.len() as u64;
            for e in &h.events {
                let (f, i) = at(e);
                d.evidence.push((e.ts, f.file[i].clone().unwrap_or_default(), e.line));
                prune(&mut d.evidence);
            }
            describe(&mut d, &c.meta, &c.file, severity);
            let group_values = groups.names[h.group as usize].split('\u{1f}').map(serde_json::Value::from);
            let group: serde_json::Map<String, serde_json::Value> =
                c.corr.group_by.iter().cloned().zip(group_values).collect();
            d.details.insert("correlation".into(), c.corr.kind.as_str().into());
            d.details.insert("group".into(), group.into());
            d.details.insert("timespan".into(), c.corr.timespan_text.clone().into());
            if c.corr.condition != rule::Bounds::default() {
                d.details.insert("condition".into(), c.corr.condition.describe().into());
            }
            let peak = match c.corr.kind {
                rule::CorrelationType::EventCount => "most_events_in_timespan",
                rule::CorrelationType::ValueCount => "most_distinct_values_in_timespan",
                _ => "rules_in_timespan",
            };
            d.details.insert(peak.into(), h.peak.into());
            let names: Vec<String> = c.bases.iter().map(|&b| set.rules[b].meta.title.clone()).collect();
            d.details.insert("correlated_rules".into(), names.into());
            d
        })
        .collect()
}
