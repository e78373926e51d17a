//! Running the SQL rules (`queries/*.sql`, read by [`super::rule_file`]): loading the built-in
//! and extra rule files into a checked catalog, running each query on the case, and each
//! finding's evidence lines (the events its predicate matches inside its span).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;

use crate::query::Run;

use super::config::Value;
use super::finding::{Draft, Severity};
pub use super::rule_file::{derive_evidence, expand_windows, substitute, substitute_with, SqlRule, BUILTIN};
use super::Ctx;
use crate::error::AnalysisError;
use crate::query::frame;

impl SqlRule {
    /// Loads the built-in rules plus every `*.sql` file of `extra` (sorted), reporting all errors.
    pub fn load_all(extra: Option<&Path>) -> Result<Vec<SqlRule>, AnalysisError> {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for (name, text) in BUILTIN {
            match SqlRule::parse(&format!("queries/{name}"), text) {
                Ok(r) => rules.push(r),
                Err(e) => errors.push(e),
            }
        }
        if let Some(dir) = extra {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| AnalysisError::Rule { path: dir.to_path_buf(), msg: e.to_string() })?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "sql"))
                .collect();
            files.sort();
            for f in files {
                match std::fs::read_to_string(&f) {
                    Ok(text) => match SqlRule::parse(&f.display().to_string(), &text) {
                        Ok(r) => rules.push(r),
                        Err(e) => errors.push(e),
                    },
                    Err(e) => errors.push(format!("{}: {e}", f.display())),
                }
            }
        }
        errors.extend(SqlRule::check_catalog(&rules));
        if !errors.is_empty() {
            return Err(AnalysisError::Rule {
                path: extra.map(Path::to_path_buf).unwrap_or_else(|| "queries".into()),
                msg: errors.join("; "),
            });
        }
        Ok(rules)
    }

    /// Whether one of its windows runs over the attempt ledger's rows themselves: it holds the
    /// ledger's keys in memory at once (about 0.5 GB for the bench case's 3.75 M attempts), so
    /// such rules run alone ([`super::rule_file::windows_ledger_rows`]). The other rules that
    /// read the ledger (aggregates of it, joins to it) run beside a light one: detect took 0.17 s
    /// less on the bench case, at 0.86 GB peak.
    pub fn heavy(&self) -> bool {
        super::rule_file::windows_ledger_rows(&self.body)
    }

    /// Runs `query` over the case with the tables the rule reads beside the case's:
    /// `sightings` ([`super::sightings`]) and `prior_findings` (the findings of the rules run
    /// before it, [`super::prior`]).
    fn query(&self, ctx: &Ctx<'_>, label: &str, query: &str) -> Result<LazyFrame, AnalysisError> {
        let mut extra: Vec<(&str, LazyFrame)> = Vec::new();
        if self.reads_sightings() {
            extra.push(("sightings", super::sightings::as_table(ctx)?));
        }
        if self.reads_findings() {
            let prior = ctx.prior.ok_or_else(|| AnalysisError::Rule {
                path: self.file.clone().into(),
                msg: "it reads prior_findings, which only a rule run after the others has".into(),
            })?;
            extra.push(("prior_findings", prior.clone().lazy()));
        }
        ctx.data.sql_lazy(label, query, extra)
    }

    /// Whether some row of `table` matches `pred`, the header's `what` line.
    fn any_row(&self, what: &str, pred: &str, table: LazyFrame, column: &str) -> Result<bool, AnalysisError> {
        let expr = polars::sql::sql_expr(pred)
            .map_err(|e| AnalysisError::Query { name: format!("{}: {what} {pred}", self.file), source: e })?;
        // One row at most of those matching (a column, not a literal: a literal alone makes one
        // row whatever the rows beneath).
        Ok(table.filter(expr).select([col(column)]).limit(1).run()?.height() > 0)
    }

    pub fn run(&self, ctx: &Ctx<'_>) -> Result<Vec<Draft>, AnalysisError> {
        let params = ctx.config.params(&self.rule);
        // The query, the evidence predicate and the evidence keys, as polars runs them: parameters
        // filled in, portable spellings translated (as `rules export --dialect polars` writes them).
        // The data tables are read once for all three.
        let data = self
            .data_sql(&params, false)
            .map_err(|e| AnalysisError::Rule { path: self.file.clone().into(), msg: e })?;
        let as_run = |text: &str| {
            substitute_with(text, &params, &data)
                .map(|t| super::export::translate(&t, super::export::Dialect::Polars))
                .map_err(|e| AnalysisError::Rule { path: self.file.clone().into(), msg: e })
        };
        // Without a row its `requires` (over the events) or `requires_finding` (over the first
        // stage's findings) matches, the query finds nothing and is not run.
        if let Some(pred) = &self.requires {
            if !self.any_row("requires", &as_run(pred)?, ctx.data.events()?, "event_action")? {
                return Ok(Vec::new());
            }
        }
        if let (Some(pred), Some(prior)) = (&self.requires_finding, ctx.prior) {
            if !self.any_row("requires_finding", &as_run(pred)?, prior.clone().lazy(), "rule")? {
                return Ok(Vec::new());
            }
        }
        let df = self
            .query(ctx, &self.file, &as_run(&self.body)?)?
            .run()
            .map_err(|e| AnalysisError::Query { name: self.file.clone(), source: e })?;
        let first = frame::ints(&df, "first_seen")?;
        let last = frame::ints(&df, "last_seen")?;
        if df.height() > 0 && (first.iter().all(Option::is_none) || last.iter().all(Option::is_none)) {
            return Err(AnalysisError::Rule {
                path: self.file.clone().into(),
                msg: "the query must return first_seen and last_seen".into(),
            });
        }
        let host = frame::strs(&df, "host_name")?;
        let ip = frame::strs(&df, "source_ip")?;
        let user = frame::strs(&df, "user_name")?;
        let count = frame::ints(&df, "count")?;
        let severity = frame::strs(&df, "severity")?;
        let title = frame::strs(&df, "title")?;
        let reserved = ["first_seen", "last_seen", "host_name", "source_ip", "user_name", "count", "severity", "title"];
        let grouped: Vec<&str> = self
            .detail_groups
            .iter()
            .flat_map(|g| g.fields.iter().map(|(c, _)| c.as_str()).chain(g.key.as_deref()))
            .collect();
        let mut detail_cols: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
        for name in frame::names(&df).into_iter().filter(|n| !reserved.contains(&n.as_str())) {
            if !grouped.contains(&name.as_str()) {
                let values = json_values(df.column(&name)?.as_materialized_series())?;
                detail_cols.push((name, values));
            }
        }
        for g in &self.detail_groups {
            let values =
                zip_group(&df, g).map_err(|msg| AnalysisError::Rule { path: self.file.clone().into(), msg })?;
            detail_cols.push((g.name.clone(), values));
        }
        let evidence = match &self.evidence {
            Some(pred) if df.height() > 0 => {
                let pred = as_run(pred)?;
                // The keys: the header's, else every key column the query returns.
                let joins: Vec<(String, String)> = if self.evidence_keys.is_empty() {
                    super::rule_file::KEY_COLUMNS
                        .iter()
                        .filter(|k| df.column(k).is_ok())
                        .map(|k| (k.to_string(), k.to_string()))
                        .collect()
                } else {
                    self.evidence_keys
                        .iter()
                        .map(|(k, e)| Ok((k.clone(), as_run(e)?)))
                        .collect::<Result<_, AnalysisError>>()?
                };
                // Each finding's key values as text, like the join compares them.
                let mut values: Vec<Vec<Option<String>>> = Vec::with_capacity(joins.len());
                for (k, _) in &joins {
                    let column = df.column(k).map_err(|_| AnalysisError::Rule {
                        path: self.file.clone().into(),
                        msg: format!("evidence_key {k}: the query returns no column {k}"),
                    })?;
                    let text = column.cast(&DataType::String)?;
                    values.push(text.str()?.iter().map(|v| v.map(str::to_string)).collect());
                }
                let keys: Vec<Key<'_>> = (0..df.height())
                    .map(|i| Key {
                        values: values.iter().map(|v| v[i].as_deref()).collect(),
                        from: first[i].unwrap_or(i64::MAX),
                        to: last[i].unwrap_or(i64::MIN),
                    })
                    .collect();
                let table = match (self.evidence_table.as_str(), self.evidence_source()) {
                    (_, Some(source)) => {
                        let label = format!("{}: evidence table {}", self.file, self.evidence_table);
                        // Not collected: the keys' filter reaches the scans beneath.
                        self.query(ctx, &label, &as_run(&source)?)?
                    }
                    ("attempts", None) => ctx.data.attempts()?,
                    _ => ctx.data.events()?,
                };
                let label = format!("{}: evidence", self.file);
                Some(super::timed(&label, || EvidenceIndex::load(table, &pred, &keys, &joins, self.evidence_last))?)
            }
            _ => None,
        };
        let mut out = Vec::new();
        for i in 0..df.height() {
            let (Some(f), Some(l)) = (first[i], last[i]) else { continue };
            let sev = severity[i].as_deref().and_then(Severity::parse).unwrap_or(self.severity);
            let mut d = Draft::new(self.rule.clone(), sev);
            d.host_name = host[i].clone();
            d.source_ip = ip[i].clone();
            d.user_name = user[i].clone();
            d.first_seen = f;
            d.last_seen = l;
            // A null is a detail the finding does not have (a change that followed no login).
            for (name, values) in detail_cols.iter().filter(|(_, v)| !v[i].is_null()) {
                d.details.insert(name.clone(), values[i].clone());
            }
            for (k, v) in &params {
                if let Value::Int(_) | Value::Float(_) = v {
                    d.details.entry(format!("threshold_{k}")).or_insert_with(|| serde_json::Value::String(v.to_sql()));
                }
            }
            let mut n = 0u64;
            if let Some(ev) = &evidence {
                let (count, lines) = ev.of(i);
                n = count;
                d.evidence.extend(lines.iter().cloned());
            }
            d.count = count[i].map(|c| c.max(0) as u64).unwrap_or(n);
            // A title the query writes is the finding's as it is (it may quote commands); the
            // header's is a template.
            d.title = match &title[i] {
                Some(t) => t.clone(),
                None => fill(&self.title, &d),
            };
            out.push(d);
        }
        Ok(out)
    }
}

/// A result column's values as JSON: integers, floats (to 3 decimals), booleans, lists (an
/// `ARRAY_AGG`: a JSON array of its elements' values), anything else as text.
fn json_values(s: &Series) -> PolarsResult<Vec<serde_json::Value>> {
    use serde_json::Value as J;
    let dt = s.dtype();
    Ok(if dt.is_integer() {
        s.cast(&DataType::Int64)?.i64()?.iter().map(|v| v.map_or(J::Null, Into::into)).collect()
    } else if dt.is_float() {
        s.cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| v.map_or(J::Null, |f| ((f * 1000.0).round() / 1000.0).into()))
            .collect()
    } else if *dt == DataType::Boolean {
        s.bool()?.iter().map(|v| v.map_or(J::Null, Into::into)).collect()
    } else if let DataType::List(_) = dt {
        let mut out = Vec::with_capacity(s.len());
        for v in s.list()?.amortized_iter() {
            out.push(match v {
                None => J::Null,
                Some(inner) => J::Array(json_values(inner.as_ref())?),
            });
        }
        out
    } else {
        s.cast(&DataType::String)?.str()?.iter().map(|v| v.map_or(J::Null, Into::into)).collect()
    })
}

/// The values of a zipped detail ([`super::rule_file::DetailGroup`]) per result row: its list
/// columns element by element as objects, in a list or keyed by the key column's elements.
fn zip_group(df: &DataFrame, g: &super::rule_file::DetailGroup) -> Result<Vec<serde_json::Value>, String> {
    use serde_json::Value as J;
    let values = |c: &str| -> Result<Vec<J>, String> {
        let column = df.column(c).map_err(|_| format!("detail {}: the query returns no column {c}", g.name))?;
        json_values(column.as_materialized_series()).map_err(|e| e.to_string())
    };
    let fields: Vec<(&str, Vec<J>)> =
        g.fields.iter().map(|(c, f)| Ok((f.as_str(), values(c)?))).collect::<Result<_, String>>()?;
    let keys = g.key.as_deref().map(values).transpose()?;
    let mut out = Vec::with_capacity(df.height());
    for row in 0..df.height() {
        let list = |v: &J| -> Vec<J> { v.as_array().cloned().unwrap_or_default() };
        let columns: Vec<(&str, Vec<J>)> = fields.iter().map(|(f, v)| (*f, list(&v[row]))).collect();
        let n = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
        if n == 0 {
            out.push(J::Null);
            continue;
        }
        if columns.iter().any(|(_, v)| v.len() != n) {
            return Err(format!("detail {}: its lists differ in length in a row", g.name));
        }
        let object =
            |i: usize| -> J { J::Object(columns.iter().map(|(f, v)| (f.to_string(), v[i].clone())).collect()) };
        out.push(match &keys {
            None => J::Array((0..n).map(object).collect()),
            Some(k) => {
                let k = list(&k[row]);
                if k.len() != n {
                    return Err(format!("detail {}: its key list differs in length from its fields", g.name));
                }
                J::Object(
                    k.iter()
                        .enumerate()
                        .map(|(i, key)| (key.as_str().map_or_else(|| key.to_string(), str::to_string), object(i)))
                        .collect(),
                )
            }
        });
    }
    Ok(out)
}

/// Fills `{count}`, `{source_ip}`, `{host_name}`, `{user_name}`, detail names and parameter
/// names (from their `threshold_` details) in a title.
pub fn fill(template: &str, d: &Draft) -> String {
    let mut out = template.to_string();
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    out = out.replace("{count}", &d.count.to_string());
    out = out.replace("{source_ip}", &dash(&d.source_ip));
    out = out.replace("{host_name}", &dash(&d.host_name));
    out = out.replace("{user_name}", &dash(&d.user_name));
    for (k, v) in &d.details {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out = out.replace(&format!("{{{k}}}"), &text);
        if let Some(param) = k.strip_prefix("threshold_") {
            out = out.replace(&format!("{{{param}}}"), &text);
        }
    }
    out
}

/// Evidence per finding, computed by polars: the events matching the rule's predicate joined to
/// the findings on their keys, kept inside each finding's time span, counted, and cut to the
/// first [`super::finding::MAX_EVIDENCE`] lines in time order.
/// Evidence lines as (micros, file, line).
pub type Lines = Vec<(i64, String, i64)>;

pub struct EvidenceIndex {
    /// Per finding row: (count, evidence lines).
    per_finding: HashMap<u32, (u64, Lines)>,
}

/// Whether an evidence key expression is a bare column name.
fn is_column(expr: &str) -> bool {
    let mut b = expr.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `column IN (the findings' values of key `k`)`, `OR column IS NULL` when a finding's is null.
fn key_filter(column: &str, k: usize, keys: &[Key<'_>]) -> Expr {
    let mut values: Vec<&str> = keys.iter().filter_map(|key| key.values[k]).collect();
    values.sort_unstable();
    values.dedup();
    // As text, like the join: a key column need not be a string one.
    let e = crate::query::one_of(col(column).cast(DataType::String), values);
    if keys.iter().any(|key| key.values[k].is_none()) {
        e.or(col(column).is_null())
    } else {
        e
    }
}

/// One finding's key values (as text, one per join of [`EvidenceIndex::load`]) and span.
pub struct Key<'a> {
    pub values: Vec<Option<&'a str>>,
    pub from: i64,
    pub to: i64,
}

impl EvidenceIndex {
    /// The evidence of each finding of `keys`: rows of `table` matching `predicate`, joined on
    /// `joins` (finding column, SQL expression over the table; a null key meets only a null, a
    /// column not joined matches anything) inside the finding's span; the first lines in (time,
    /// file, line) order, or the last with `last`.
    pub fn load(
        table: LazyFrame,
        predicate: &str,
        keys: &[Key<'_>],
        joins: &[(String, String)],
        last: bool,
    ) -> Result<EvidenceIndex, AnalysisError> {
        let mut filter = polars::sql::sql_expr(predicate)
            .map_err(|e| AnalysisError::Query { name: format!("evidence predicate {predicate}"), source: e })?;
        let mut select = vec![
            col("timestamp").cast(DataType::Int64).alias("ts"),
            col("log_file_path"),
            col("log_line").cast(DataType::Int64),
            col("event_count").fill_null(lit(1i32)).cast(DataType::Int64),
        ];
        for (i, (key, expr)) in joins.iter().enumerate() {
            let value = polars::sql::sql_expr(expr)
                .map_err(|e| AnalysisError::Query { name: format!("evidence key {key} = {expr}"), source: e })?;
            select.push(value.cast(DataType::String).alias(format!("k{i}")));
            // A key that is a plain column also filters the scan: only rows holding one of the
            // findings' values (or a null, when a finding's is null) are read and matched.
            if is_column(expr) {
                filter = filter.and(key_filter(expr, i, keys));
            }
        }
        // And only rows inside the findings' overall span.
        let (from, to) = keys.iter().fold((i64::MAX, i64::MIN), |(a, b), k| (a.min(k.from), b.max(k.to)));
        if from <= to {
            filter = filter.and(crate::query::during(from, to.saturating_add(1)));
        }
        let rows = table.filter(filter).select(select).run()?;
        // The findings by their key values ([`key_bytes`]): each row is matched to its findings by
        // one lookup (a polars join on the text keys cost twice the whole step on the bench case).
        let mut by_key: PlHashMap<Vec<u8>, Vec<u32>> = PlHashMap::new();
        let mut text = Vec::new();
        for (fid, key) in keys.iter().enumerate() {
            key_bytes(&mut text, key.values.iter().copied());
            by_key.entry(text.clone()).or_default().push(fid as u32);
        }
        // Count per finding and keep each finding's first (or last) lines in (time, file, line)
        // order with bounded heaps, over slices of the rows side by side: no sort of the whole
        // match set.
        let threads = rayon::current_num_threads().max(1);
        let step = rows.height().div_ceil(threads).max(64 * 1024);
        let slices: Vec<DataFrame> = (0..rows.height()).step_by(step).map(|o| rows.slice(o as i64, step)).collect();
        let partial = slices
            .par_iter()
            .map(|df| accumulate(df, joins.len(), keys, &by_key, last))
            .collect::<Result<Vec<_>, AnalysisError>>()?;
        let mut acc: Vec<Acc<'_>> = (0..keys.len()).map(|_| Acc::default()).collect();
        for part in partial {
            for (into, from) in acc.iter_mut().zip(part) {
                into.n += from.n;
                for l in from.first {
                    keep(&mut into.first, l);
                }
                for l in from.last {
                    keep(&mut into.last, l);
                }
            }
        }
        let per_finding: HashMap<u32, (u64, Lines)> = acc
            .into_iter()
            .enumerate()
            .filter(|(_, a)| a.n > 0 || !a.first.is_empty() || !a.last.is_empty())
            .map(|(fid, a)| {
                let mut kept: Vec<Line<'_>> = a.first.into_vec();
                kept.extend(a.last.into_iter().map(|std::cmp::Reverse(k)| k));
                kept.sort_unstable();
                (fid as u32, (a.n, kept.into_iter().map(|(t, f, l)| (t, f.to_string(), l)).collect()))
            })
            .collect();
        Ok(EvidenceIndex { per_finding })
    }

    /// (count, evidence) of finding row `i`.
    pub fn of(&self, i: usize) -> (u64, &[(i64, String, i64)]) {
        self.per_finding.get(&(i as u32)).map_or((0, &[][..]), |(n, v)| (*n, v.as_slice()))
    }
}

/// An evidence line: (micros, file, line).
type Line<'h> = (i64, &'h str, i64);

/// One finding's evidence so far: its count and its first (or last) lines.
#[derive(Default)]
struct Acc<'h> {
    n: u64,
    first: std::collections::BinaryHeap<Line<'h>>,
    last: std::collections::BinaryHeap<std::cmp::Reverse<Line<'h>>>,
}

/// Keeps the `MAX_EVIDENCE` smallest keys; the heap's top is the first to give up.
fn keep<K: Ord>(heap: &mut std::collections::BinaryHeap<K>, key: K) {
    if heap.len() < super::finding::MAX_EVIDENCE {
        heap.push(key);
    } else if heap.peek().is_some_and(|top| key < *top) {
        heap.pop();
        heap.push(key);
    }
}

/// Key values as one byte string no two different tuples share: each value tagged and
/// length-prefixed, a null marked apart from every text (an empty one included). Bytes, not
/// formatted text: formatting each row's lengths cost 2-3 % of detect's CPU on the bench case.
fn key_bytes<'v>(out: &mut Vec<u8>, values: impl Iterator<Item = Option<&'v str>>) {
    out.clear();
    for v in values {
        match v {
            Some(v) => {
                out.push(1);
                out.extend_from_slice(&(v.len() as u64).to_le_bytes());
                out.extend_from_slice(v.as_bytes());
            }
            None => out.push(0),
        }
    }
}

/// The evidence of each finding (by index into `keys`) among `rows` (`ts`, `log_file_path`,
/// `log_line`, `event_count` and key columns `k0`.. `k{n_keys - 1}`): rows whose key values are
/// a finding's (all of them when there are no keys) and whose time lies in its span.
fn accumulate<'h>(
    rows: &'h DataFrame,
    n_keys: usize,
    keys: &[Key<'_>],
    by_key: &PlHashMap<Vec<u8>, Vec<u32>>,
    last: bool,
) -> Result<Vec<Acc<'h>>, AnalysisError> {
    let mut acc: Vec<Acc<'h>> = (0..keys.len()).map(|_| Acc::default()).collect();
    let ts = rows.column("ts")?.i64()?;
    let file = rows.column("log_file_path")?.str()?;
    let line = rows.column("log_line")?.i64()?;
    let count = rows.column("event_count")?.i64()?;
    let key_cols = (0..n_keys).map(|k| rows.column(&format!("k{k}"))?.str()).collect::<PolarsResult<Vec<_>>>()?;
    let mut key_iters: Vec<_> = key_cols.iter().map(|c| c.iter()).collect();
    let every: Vec<u32> = (0..keys.len() as u32).collect();
    let none: &[u32] = &[];
    let mut text = Vec::new();
    // The previous row's key values and findings: rows come mostly grouped by key (the attempt
    // ledger is stored in host, address and time order), so most rows skip the lookup.
    let mut values: Vec<Option<&'h str>> = Vec::with_capacity(n_keys);
    let mut prev: Option<(Vec<Option<&'h str>>, &[u32])> = None;
    for (((t, f), l), n) in ts.iter().zip(file.iter()).zip(line.iter()).zip(count.iter()) {
        let fids: &[u32] = if n_keys == 0 {
            &every
        } else {
            values.clear();
            values.extend(key_iters.iter_mut().map(|it| it.next().flatten()));
            match &prev {
                Some((v, f)) if *v == values => f,
                _ => {
                    key_bytes(&mut text, values.iter().copied());
                    let f = by_key.get(text.as_slice()).map_or(none, Vec::as_slice);
                    prev = Some((values.clone(), f));
                    f
                }
            }
        };
        if fids.is_empty() {
            continue;
        }
        let Some(t) = t else { continue };
        for &fid in fids {
            let k = &keys[fid as usize];
            if t < k.from || t > k.to {
                continue;
            }
            let e = &mut acc[fid as usize];
            e.n += n.unwrap_or(1).max(0) as u64;
            if let (Some(f), Some(l)) = (f, l) {
                if last {
                    keep(&mut e.last, std::cmp::Reverse((t, f, l)));
                } else {
                    keep(&mut e.first, (t, f, l));
                }
            }
        }
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse_and_every_queries_file_is_embedded() {
        let rules = SqlRule::load_all(None).unwrap();
        assert_eq!(rules.len(), BUILTIN.len());
        // The runtime value: a shared target folder may hold this test built from another clone.
        let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
        let dir = std::path::Path::new(&root).join("queries");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "queries/ and sql_rule::BUILTIN must list the same files");
    }

    /// Evidence keyed on an expression (the changed account, not the actor), on chosen keys only
    /// (null meeting null), and the last lines of a span rather than the first.
    #[test]
    fn evidence_by_chosen_keys_and_the_last_lines() {
        let n = 30i64;
        let df = df!(
            "timestamp" => (0..n).map(|i| i * 1_000_000).collect::<Vec<i64>>(),
            "log_file_path" => (0..n).map(|_| "auth.log").collect::<Vec<&str>>(),
            "log_line" => (1..=n).collect::<Vec<i64>>(),
            "host_name" => (0..n).map(|i| if i % 2 == 0 { Some("h1") } else { None }).collect::<Vec<Option<&str>>>(),
            "source_ip" => (0..n).map(|i| if i < 25 { "10.0.0.1" } else { "10.0.0.2" }).collect::<Vec<&str>>(),
            "user_name" => (0..n).map(|_| "admin").collect::<Vec<&str>>(),
            "user_target_name" => (0..n).map(|i| if i % 3 == 0 { Some("evil") } else { None }).collect::<Vec<Option<&str>>>(),
            "event_count" => (0..n).map(|_| 1i32).collect::<Vec<i32>>(),
        )
        .unwrap()
        .lazy()
        .with_column(col("timestamp").cast(DataType::Datetime(TimeUnit::Microseconds, None)));
        let key = |values: &[Option<&'static str>]| Key { values: values.to_vec(), from: 0, to: 40_000_000 };
        // By address only, the last 20 of its 25 lines (5..=24 are lines 6..=25), in time order.
        let by_ip = EvidenceIndex::load(
            df.clone(),
            "log_line > 0",
            &[key(&[Some("10.0.0.1")])],
            &[("source_ip".into(), "source_ip".into())],
            true,
        )
        .unwrap();
        let (count, lines) = by_ip.of(0);
        assert_eq!(count, 25);
        assert_eq!(lines.iter().map(|l| l.2).collect::<Vec<_>>(), (6..=25).collect::<Vec<i64>>());
        // The same with the first lines.
        let first = EvidenceIndex::load(
            df.clone(),
            "log_line > 0",
            &[key(&[Some("10.0.0.1")])],
            &[("source_ip".into(), "source_ip".into())],
            false,
        )
        .unwrap();
        assert_eq!(first.of(0).1.iter().map(|l| l.2).collect::<Vec<_>>(), (1..=20).collect::<Vec<i64>>());
        // Keyed on the host (a null host meets only null hosts) and on an expression for the user.
        let joins = [
            ("host_name".to_string(), "host_name".to_string()),
            ("user_name".to_string(), "COALESCE(user_target_name, 'none')".to_string()),
        ];
        let by_target = EvidenceIndex::load(
            df,
            "log_line > 0",
            &[key(&[Some("h1"), Some("evil")]), key(&[None, Some("evil")])],
            &joins,
            false,
        )
        .unwrap();
        // Rows with i % 6 == 0 have host h1 and target evil; i % 6 == 3 have no host and target evil.
        assert_eq!(by_target.of(0).1.iter().map(|l| l.2).collect::<Vec<_>>(), [1, 7, 13, 19, 25]);
        assert_eq!(by_target.of(1).1.iter().map(|l| l.2).collect::<Vec<_>>(), [4, 10, 16, 22, 28]);
    }

    /// Details zipped from list columns: a list of objects, an object keyed by a list; lists of
    /// numbers stay numbers; an empty group is no detail; lists of different lengths are an error.
    #[test]
    fn details_zipped_from_lists() {
        use super::super::rule_file::DetailGroup;
        let list = |v: Vec<Option<Series>>| Series::new("x".into(), v);
        let df = DataFrame::new_infer_height(vec![
            list(vec![Some(Series::new("".into(), ["auth@h1", "web@h2"])), None]).with_name("at".into()).into(),
            list(vec![Some(Series::new("".into(), [3i64, 5])), None]).with_name("n".into()).into(),
            list(vec![Some(Series::new("".into(), [Some(1i64), None])), None]).with_name("gap".into()).into(),
        ])
        .unwrap();
        let as_list = DetailGroup {
            name: "s".into(),
            key: None,
            fields: vec![("n".into(), "events".into()), ("gap".into(), "gap".into())],
        };
        let got = zip_group(&df, &as_list).unwrap();
        assert_eq!(got[0], serde_json::json!([{"events": 3, "gap": 1}, {"events": 5, "gap": null}]));
        assert_eq!(got[1], serde_json::Value::Null);
        let as_map = DetailGroup { key: Some("at".into()), ..as_list.clone() };
        assert_eq!(
            zip_group(&df, &as_map).unwrap()[0],
            serde_json::json!({"auth@h1": {"events": 3, "gap": 1}, "web@h2": {"events": 5, "gap": null}})
        );
        let short = DataFrame::new_infer_height(vec![
            list(vec![Some(Series::new("".into(), [1i64]))]).with_name("n".into()).into(),
            list(vec![Some(Series::new("".into(), [1i64, 2]))]).with_name("gap".into()).into(),
        ])
        .unwrap();
        assert!(zip_group(&short, &as_list).unwrap_err().contains("differ in length"));
        let missing = DetailGroup { name: "s".into(), key: None, fields: vec![("nope".into(), "x".into())] };
        assert!(zip_group(&df, &missing).unwrap_err().contains("returns no column nope"));
    }

    /// A key column that is not text (the scan's filter compares it as text, like the join).
    #[test]
    fn evidence_keyed_on_a_numeric_column() {
        let df = df!(
            "timestamp" => [1_000_000i64, 2_000_000, 3_000_000],
            "log_file_path" => ["a.log", "a.log", "a.log"],
            "log_line" => [1i64, 2, 3],
            "destination_port" => [22i32, 80, 22],
            "event_count" => [1i32, 1, 1],
        )
        .unwrap()
        .lazy()
        .with_column(col("timestamp").cast(DataType::Datetime(TimeUnit::Microseconds, None)));
        let key = Key { values: vec![Some("22")], from: 0, to: 10_000_000 };
        let ev =
            EvidenceIndex::load(df, "log_line > 0", &[key], &[("user_name".into(), "destination_port".into())], false)
                .unwrap();
        assert_eq!(ev.of(0).1.iter().map(|l| l.2).collect::<Vec<_>>(), [1, 3]);
    }
}
