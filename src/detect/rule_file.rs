//! Detection rules written as SQL files (`queries/*.sql`, embedded in the binary; `--rules DIR`
//! adds more). A file is one statement after a header of `-- key: value` lines:
//!
//! ```sql
//! -- id: ssh_bruteforce
//! -- title: SSH brute force from {source_ip} on {host_name}: {count} failures
//! -- severity: high
//! -- description: At least {min_failures} failures from one source within {window_minutes} minutes.
//! -- param: min_failures = 5 | Failures that make a burst.
//! -- param: window_minutes = 30 | Sliding window length.
//! SELECT host_name, source_ip, first_seen, last_seen FROM …
//! ```
//!
//! A finding's evidence lines are the rows the query counts: the `WHERE` predicate of its first
//! `SELECT` reading `events` or `attempts` (the attempt ledger, for rules that count attempts,
//! so the evidence shows each try once), derived from the query ([`derive_evidence`]).
//! `-- evidence: PREDICATE` (with `-- evidence_table: attempts` when it applies there) says
//! otherwise; `-- evidence: none` gives no lines. A finding's evidence rows share its host,
//! source and user (the key columns its query returns); `-- evidence_key: COLUMN` lines name the
//! keys instead (`-- evidence_key: source_ip` joins on the address alone), and `-- evidence_key:
//! COLUMN = EXPR` takes the key from an expression over the evidence table (a changed account is
//! `user_target_name`, not the actor's `user_name`). `-- evidence_order: last` shows the last
//! lines of the span instead of the first (the login that ended a run of failures).
//!
//! A file's id is unique. One rule may be answered by several queries (a port scan and a host
//! sweep are both `port_scan`): a variant file names its own id and the rule its findings belong
//! to, `-- rule: port_scan`. A rule's parameters are declared once, in any one of its files,
//! and every file of the rule reads them (`[port_scan]` in `--config`). Loading checks the
//! catalog and reports every problem with its file: a repeated id, a variant of no rule, a
//! parameter declared twice or never used, a placeholder naming no parameter.
//!
//! `-- requires_finding: PREDICATE` does the same over `prior_findings` for a rule of the second
//! stage (`attack_chain` needs a `success_after_failures` finding).
//!
//! `-- requires: PREDICATE` names what the query cannot do without: when no event matches it,
//! `detect` skips the query (its findings would be none) instead of planning it.
//!
//! `-- data: TABLE = {param}` declares a data table the query reads, from the file the
//! parameter names (empty: the built-in one); its placeholders ([`data_placeholders`]) inline it
//! as SQL (`web_signatures`: a `VALUES` list), so an exported rule needs no table beside the case.
//!
//! Beside `events` and `attempts`, a query may read `sightings` (per address, source, host and
//! clock: events, first and last time, first line; [`super::sightings`]) and `prior_findings`
//! (the findings of every other rule, [`super::prior`]): a rule that reads `prior_findings` runs
//! in a second stage, after all the others (`cross_source`). `-- detail_list: NAME = COL [AS
//! FIELD], …` zips list columns (`ARRAY_AGG(x ORDER BY k)`) element by element into one detail,
//! a list of objects; `-- detail_map: NAME = KEY_COL: COL [AS FIELD], …` into an object keyed by
//! the elements of `KEY_COL`.
//!
//! `{param}` (and `{param - 1}`, `{param * 60}`) is replaced by the configured value. The query
//! returns one row per finding: `first_seen` and `last_seen` (timestamps) are required;
//! `host_name`, `source_ip`, `user_name`, `count`, `severity` and `title` are optional; every
//! other column goes into `details` (a null one is left out). Evidence lines are the events matching the `evidence`
//! predicate with the finding's host, source and user inside its time span; when the query
//! gives no `count`, it is the number of those events.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::config::{Param, Value};
use super::severity::Severity;

/// The SQL rules that ship with logsleuth (the files in `queries/`).
pub const BUILTIN: &[(&str, &str)] = &[
    ("ssh_bruteforce.sql", include_str!("../../queries/ssh_bruteforce.sql")),
    ("ssh_bruteforce_distributed.sql", include_str!("../../queries/ssh_bruteforce_distributed.sql")),
    ("ssh_bruteforce_slow.sql", include_str!("../../queries/ssh_bruteforce_slow.sql")),
    ("ssh_probe.sql", include_str!("../../queries/ssh_probe.sql")),
    ("success_after_failures.sql", include_str!("../../queries/success_after_failures.sql")),
    ("account_change.sql", include_str!("../../queries/account_change.sql")),
    ("password_spraying.sql", include_str!("../../queries/password_spraying.sql")),
    ("privileged_target.sql", include_str!("../../queries/privileged_target.sql")),
    ("sudo_activity.sql", include_str!("../../queries/sudo_activity.sql")),
    ("sudo_failures.sql", include_str!("../../queries/sudo_failures.sql")),
    ("web_scan.sql", include_str!("../../queries/web_scan.sql")),
    ("web_scan_burst.sql", include_str!("../../queries/web_scan_burst.sql")),
    ("web_scanner_agents.sql", include_str!("../../queries/web_scanner_agents.sql")),
    ("port_scan.sql", include_str!("../../queries/port_scan.sql")),
    ("port_sweep.sql", include_str!("../../queries/port_sweep.sql")),
    ("web_attack.sql", include_str!("../../queries/web_attack.sql")),
    ("process_activity.sql", include_str!("../../queries/process_activity.sql")),
    ("cross_source.sql", include_str!("../../queries/cross_source.sql")),
    ("attack_chain.sql", include_str!("../../queries/attack_chain.sql")),
];

#[derive(Debug, Clone)]
pub struct SqlRule {
    pub file: String,
    /// The file's own id, unique in the catalog.
    pub id: String,
    /// The rule its findings belong to: `-- rule:`, else the id.
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub params: Vec<Param>,
    pub evidence: Option<String>,
    /// `events` (default) or `attempts`: the table the evidence predicate runs on.
    pub evidence_table: String,
    /// The keys joining a finding to its evidence rows: (finding column, SQL expression over the
    /// evidence table). Empty: every key column the query returns, matched to the same column.
    pub evidence_keys: Vec<(String, String)>,
    /// Whether the evidence shown is the last lines of the span (`-- evidence_order: last`)
    /// rather than the first.
    pub evidence_last: bool,
    /// `-- requires: PREDICATE`: a predicate over `events` that some row must match for the
    /// query to find anything (the programs `process_activity` reads). `detect` skips the query
    /// when none does, as the rule written in Rust returned early.
    pub requires: Option<String>,
    /// `-- requires_finding: PREDICATE`: a predicate over `prior_findings` that some row must
    /// match for the query to find anything; `detect` skips it when none does.
    pub requires_finding: Option<String>,
    /// Data tables the query reads (`-- data: TABLE = {param}`): (table, the parameter naming
    /// its file, empty for the built-in one). Each gives the query placeholders
    /// ([`data_placeholders`]).
    pub data: Vec<(String, String)>,
    /// `-- detail_list:` and `-- detail_map:` lines: details made of several list columns of
    /// one row, zipped into objects.
    pub detail_groups: Vec<DetailGroup>,
    pub body: String,
}

/// A detail zipped from list columns of the result row, element by element: `-- detail_list:
/// steps = step, step_time AS time` makes `steps` a list of objects `{"step": …, "time": …}`;
/// `-- detail_map: sightings = sighting: sighting_first AS first` makes `sightings` an object
/// keyed by the elements of `sighting`, each `{"first": …}`. The lists are the same length
/// (`ARRAY_AGG(… ORDER BY …)` over one group); their columns become no detail of their own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DetailGroup {
    pub name: String,
    /// For a map, the list column whose elements are its keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// (list column, field name) pairs.
    pub fields: Vec<(String, String)>,
}

/// Reads a `detail_list` (`map` false) or `detail_map` line's value.
fn detail_group(origin: &str, value: &str, map: bool) -> Result<DetailGroup, String> {
    let ident = |s: &str| {
        !s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let bad = || {
        format!(
            "{origin}: detail_{} needs `NAME = {}COLUMN [AS FIELD], …`: {value}",
            if map { "map" } else { "list" },
            if map { "KEY_COLUMN: " } else { "" }
        )
    };
    let (name, rest) = value.split_once('=').ok_or_else(bad)?;
    let (key, rest) = if map {
        let (k, r) = rest.split_once(':').ok_or_else(bad)?;
        (Some(k.trim().to_string()), r)
    } else {
        (None, rest)
    };
    let mut fields = Vec::new();
    for f in rest.split(',') {
        let words: Vec<&str> = f.split_whitespace().collect();
        let (column, field) = match words.as_slice() {
            [c] => (*c, *c),
            [c, kw, n] if kw.eq_ignore_ascii_case("as") => (*c, *n),
            _ => return Err(bad()),
        };
        fields.push((column.to_string(), field.to_string()));
    }
    let name = name.trim().to_string();
    let columns = fields.iter().map(|(c, _)| c.as_str()).chain(key.as_deref());
    let named = std::iter::once(name.as_str()).chain(fields.iter().map(|(_, f)| f.as_str()));
    if fields.is_empty() || !columns.chain(named).all(ident) {
        return Err(bad());
    }
    Ok(DetailGroup { name, key, fields })
}

/// The finding columns evidence can be keyed on.
pub const KEY_COLUMNS: [&str; 3] = ["host_name", "source_ip", "user_name"];

/// Result columns that are no key: a finding's span, count, severity and title.
const NOT_KEYS: [&str; 5] = ["first_seen", "last_seen", "count", "severity", "title"];

/// `-- evidence_key:` lines as (finding column, expression over the evidence table). The column
/// is any the query returns but the span, count, severity and title: a key column, or one that
/// becomes a detail (`process_activity` keys on the pattern `kind` and the `actor`).
fn evidence_keys(origin: &str, lines: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for l in lines {
        let (name, expr) = match l.split_once('=') {
            Some((n, e)) => (n.trim(), e.trim()),
            None => (l.trim(), l.trim()),
        };
        let column = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !column || NOT_KEYS.contains(&name) {
            return Err(format!(
                "{origin}: evidence_key {name:?} must name a column the query returns (lower_snake_case), not its span, count, severity or title"
            ));
        }
        if expr.is_empty() {
            return Err(format!("{origin}: evidence_key {name} = needs an expression"));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("{origin}: evidence_key {name} is given twice"));
        }
        out.push((name.to_string(), expr.to_string()));
    }
    Ok(out)
}

fn parse_value(text: &str) -> Option<Value> {
    let t: toml::Table = format!("v = {text}").parse().ok()?;
    Some(match t.get("v")? {
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::String(s) => Value::Str(s.clone()),
        toml::Value::Array(a) => Value::List(a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()),
        _ => return None,
    })
}

impl SqlRule {
    /// Parses a rule file; `origin` names it in errors.
    pub fn parse(origin: &str, text: &str) -> Result<SqlRule, String> {
        let mut meta: Vec<(String, String)> = Vec::new();
        let mut body = String::new();
        let mut in_header = true;
        for line in text.lines() {
            if in_header {
                if let Some(rest) = line.strip_prefix("--") {
                    if let Some((k, v)) = rest.split_once(':') {
                        let key = k.trim();
                        if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                            meta.push((key.to_string(), v.trim().to_string()));
                            continue;
                        }
                    }
                    continue;
                }
                if line.trim().is_empty() {
                    continue;
                }
                in_header = false;
            }
            body.push_str(line);
            body.push('\n');
        }
        let get = |k: &str| meta.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let snake =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let id = get("id").ok_or(format!("{origin}: header has no `-- id:` line"))?;
        if !snake(&id) {
            return Err(format!("{origin}: id {id:?} must be lower_snake_case"));
        }
        let family = get("rule").unwrap_or_else(|| id.clone());
        if !snake(&family) {
            return Err(format!("{origin}: rule {family:?} must be lower_snake_case"));
        }
        let severity = get("severity")
            .map_or(Some(Severity::Medium), |s| Severity::parse(&s))
            .ok_or(format!("{origin}: severity must be low, medium, high or critical"))?;
        let mut params = Vec::new();
        for (k, v) in &meta {
            if k != "param" {
                continue;
            }
            let (assign, doc) = v.split_once('|').unwrap_or((v.as_str(), ""));
            let (name, value) =
                assign.split_once('=').ok_or(format!("{origin}: param line needs `name = value`: {v}"))?;
            let value =
                parse_value(value.trim()).ok_or(format!("{origin}: param {name}: unreadable value {value:?}"))?;
            params.push(Param::new(name.trim(), value, doc.trim()));
        }
        if body.trim().is_empty() {
            return Err(format!("{origin}: no SQL statement after the header"));
        }
        let body = expand_windows(&body).map_err(|e| format!("{origin}: {e}"))?;
        // The evidence: the rows the query counts (derived from it), unless the header says
        // otherwise (`-- evidence: PREDICATE`, with `-- evidence_table:`; `none` for no lines).
        let derived = derive_evidence(&body);
        let (evidence, evidence_table) = match get("evidence").as_deref() {
            Some("none") => (None, "events".to_string()),
            Some(p) => (Some(p.to_string()), get("evidence_table").unwrap_or_else(|| "events".into())),
            None => {
                if get("evidence_table").is_some() {
                    return Err(format!("{origin}: `-- evidence_table:` without `-- evidence:` (the derived evidence names its own table)"));
                }
                match derived {
                    Some((table, pred)) => (Some(pred), table),
                    None => (None, "events".to_string()),
                }
            }
        };
        let keys: Vec<String> = meta.iter().filter(|(k, _)| k == "evidence_key").map(|(_, v)| v.clone()).collect();
        let evidence_keys = evidence_keys(origin, &keys)?;
        let evidence_last = match get("evidence_order").as_deref() {
            None | Some("first") => false,
            Some("last") => true,
            Some(other) => return Err(format!("{origin}: evidence_order must be first or last, not {other:?}")),
        };
        let mut data = Vec::new();
        for (_, v) in meta.iter().filter(|(k, _)| k == "data") {
            let (table, source) =
                v.split_once('=').ok_or(format!("{origin}: data line needs `TABLE = {{param}}`: {v}"))?;
            let (table, source) = (table.trim(), source.trim());
            if !DATA_TABLES.contains(&table) {
                return Err(format!("{origin}: unknown data table {table:?} (known: {})", DATA_TABLES.join(", ")));
            }
            let param = source
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .ok_or(format!(
                    "{origin}: data table {table} needs the parameter naming its file, `{table} = {{param}}`"
                ))?;
            data.push((table.to_string(), param.to_string()));
        }
        let mut detail_groups = Vec::new();
        for (k, v) in &meta {
            if k == "detail_list" || k == "detail_map" {
                detail_groups.push(detail_group(origin, v, k == "detail_map")?);
            }
        }
        let rule = SqlRule {
            file: origin.to_string(),
            id,
            rule: family,
            title: get("title").unwrap_or_default(),
            severity,
            description: get("description").unwrap_or_default(),
            params,
            evidence,
            evidence_table,
            evidence_keys,
            evidence_last,
            requires: get("requires"),
            requires_finding: get("requires_finding"),
            data,
            detail_groups,
            body,
        };
        if !matches!(rule.evidence_table.as_str(), "events" | "attempts") && rule.evidence_source().is_none() {
            return Err(format!(
                "{origin}: evidence_table must be events, attempts or a table the query defines (`WITH name AS (…)`), not {:?}",
                rule.evidence_table
            ));
        }
        if rule.requires_finding.is_some() && !rule.reads_findings() {
            return Err(format!("{origin}: requires_finding needs a query that reads prior_findings"));
        }
        for (i, p) in rule.params.iter().enumerate() {
            if rule.params[..i].iter().any(|q| q.name == p.name) {
                return Err(format!("{origin}: param {} is declared twice", p.name));
            }
        }
        Ok(rule)
    }

    /// The statement giving the evidence table when it is one the query defines (`--
    /// evidence_table: hits` for `WITH … hits AS (…) …`): the query's `WITH` clause, then `SELECT
    /// * FROM hits`. `None` for `events` and `attempts` (or a name the query does not define).
    pub fn evidence_source(&self) -> Option<String> {
        if matches!(self.evidence_table.as_str(), "events" | "attempts") {
            return None;
        }
        let main = main_select(&self.body)?;
        let with = &self.body[..main];
        // Comments out, so a comment line between two tables hides neither.
        definition_start(&without_comments(with), &self.evidence_table)
            .map(|_| format!("{}SELECT * FROM {}", with, self.evidence_table))
    }

    /// The tables among [`TABLES`] the query reads (`FROM` or `JOIN` them outside comments), in
    /// name order.
    pub fn tables(&self) -> Vec<&'static str> {
        tables_read(&self.body)
    }

    /// Whether the query reads `prior_findings`, the findings of the rules run before it: such a
    /// rule runs after every other rule (SQL, Rust and Sigma), in a second stage.
    pub fn reads_findings(&self) -> bool {
        self.tables().contains(&"prior_findings")
    }

    /// Whether the query reads `sightings`, the address sightings table.
    pub fn reads_sightings(&self) -> bool {
        self.tables().contains(&"sightings")
    }

    /// Each SQL rule's id, description and parameters, for the configuration: a rule's files
    /// give their descriptions joined and their parameters (each declared once).
    pub fn declarations(sql: &[SqlRule]) -> Vec<(String, String, Vec<Param>)> {
        let mut out: Vec<(String, String, Vec<Param>)> = Vec::new();
        for r in sql {
            match out.iter_mut().find(|(id, _, _)| *id == r.rule) {
                Some((_, desc, params)) => {
                    desc.push(' ');
                    desc.push_str(&r.description);
                    params.extend(r.params.iter().cloned());
                }
                None => out.push((r.rule.clone(), r.description.clone(), r.params.clone())),
            }
        }
        out
    }

    /// The texts of the file whose parameters change what it finds: the query, the evidence
    /// predicate and the evidence keys.
    fn texts(&self) -> Vec<String> {
        std::iter::once(self.body.clone())
            .chain(self.evidence.clone())
            .chain(self.requires.clone())
            .chain(self.requires_finding.clone())
            .chain(self.evidence_keys.iter().map(|(_, e)| e.clone()))
            .chain(self.data.iter().map(|(_, p)| format!("{{{p}}}")))
            .collect()
    }

    /// `text` with the parameters filled in and each data-table placeholder standing in as
    /// `NULL`: what loading checks, without reading the files that defaults name (they are
    /// read, and their errors reported, when the rule runs).
    pub fn fill_unloaded(&self, text: &str, params: &BTreeMap<String, Value>) -> Result<String, String> {
        let data: BTreeMap<String, String> = self
            .data
            .iter()
            .flat_map(|(table, _)| data_names(table).iter().map(|n| (n.to_string(), "NULL".to_string())))
            .collect();
        substitute_with(text, params, &data)
    }

    /// The placeholders of the rule's data tables as SQL, read from the files `params` name
    /// ([`data_placeholders`]), once for all the texts of a run: [`substitute_with`] fills them.
    /// `short_circuit`: the engine evaluates the second term of an `AND` only where the first
    /// holds (DuckDB, Spark, Trino), so a data table may put a cheap test before a costly one.
    pub fn data_sql(
        &self,
        params: &BTreeMap<String, Value>,
        short_circuit: bool,
    ) -> Result<BTreeMap<String, String>, String> {
        let mut data = BTreeMap::new();
        for (table, param) in &self.data {
            let source = match params.get(param) {
                Some(Value::Str(s)) => s.clone(),
                Some(_) => return Err(format!("data table {table}: parameter {param} must be a file path (text)")),
                None => return Err(format!("data table {table}: unknown parameter {{{param}}}")),
            };
            data.extend(data_placeholders(table, &source, short_circuit)?);
        }
        Ok(data)
    }

    /// The catalog's problems, each naming its file: repeated ids, variants of no rule,
    /// parameters declared twice in one rule or never used by it, placeholders naming none.
    pub fn check_catalog(rules: &[SqlRule]) -> Vec<String> {
        let mut errors = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if let Some(first) = rules[..i].iter().find(|q| q.id == r.id) {
                errors.push(format!(
                    "{}: id {} is already {}'s (ids are unique; a variant names its rule with `-- rule:`)",
                    r.file, r.id, first.file
                ));
            }
            if r.rule != r.id && !rules.iter().any(|q| q.id == r.rule && q.rule == r.rule) {
                errors.push(format!("{}: `-- rule: {}` names no rule file (no file has that id)", r.file, r.rule));
            }
            let family: Vec<&SqlRule> = rules.iter().filter(|q| q.rule == r.rule).collect();
            for p in &r.params {
                if let Some(other) = family
                    .iter()
                    .take_while(|q| !std::ptr::eq(**q, r))
                    .find(|q| q.params.iter().any(|x| x.name == p.name))
                {
                    errors.push(format!(
                        "{}: param {} of rule {} is already declared in {} (declare it once; every file of the rule reads it)",
                        r.file, p.name, r.rule, other.file
                    ));
                }
                let named = |t: &String| placeholders(t).iter().any(|n| n == &p.name);
                if !family.iter().any(|q| q.texts().iter().any(named)) {
                    errors.push(format!(
                        "{}: param {} is declared but no file of rule {} uses it",
                        r.file, p.name, r.rule
                    ));
                }
            }
            let defaults: BTreeMap<String, Value> =
                family.iter().flat_map(|q| q.params.iter()).map(|p| (p.name.clone(), p.default.clone())).collect();
            for (table, param) in &r.data {
                if !matches!(defaults.get(param), Some(Value::Str(_))) {
                    errors.push(format!(
                        "{}: data table {table} needs {{{param}}} to be a text parameter (a file path; empty for the built-in)",
                        r.file
                    ));
                }
            }
            for t in r.texts() {
                if let Err(e) = r.fill_unloaded(&t, &defaults) {
                    errors.push(format!("{}: {e}", r.file));
                }
            }
        }
        errors
    }
}

/// Expands the sliding-window macro, the pattern most rules share: `{window: SOURCE BY KEYS ON
/// TIME ROWS PARAM WITHIN PARAM UNIT}` becomes the query giving, per KEYS, the span from the
/// first to the last row of every run of at least ROWS rows of SOURCE whose first and last TIME
/// lie within the interval: `first_seen` (the earliest such run's start) and `last_seen` (the
/// latest such run's end). It is written out with `LAG(TIME, ROWS - 1)`, which every engine the
/// rules are exported to runs.
///
/// ```sql
/// spans AS ({window: tries BY host_name, source_ip ON timestamp ROWS min_failures WITHIN window_minutes MINUTES})
/// ```
pub fn expand_windows(body: &str) -> Result<String, String> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?is)\{\s*window\s*:\s*(\w+)\s+BY\s+(\w+(?:\s*,\s*\w+)*)\s+ON\s+(\w+)\s+ROWS\s+(\w+)\s+WITHIN\s+(\w+)\s+(SECONDS|MINUTES|HOURS|DAYS)\s*\}",
        )
        .expect("a valid pattern")
    });
    static OPENING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\{\s*window\s*:").expect("a valid pattern"));
    let (re, opening) = (&*RE, &*OPENING);
    let starts: Vec<usize> = re.find_iter(body).map(|m| m.start()).collect();
    if let Some(bad) = opening.find_iter(body).find(|m| !starts.contains(&m.start())) {
        let line = body[..bad.start()].lines().count().max(1);
        return Err(format!(
            "line {line}: a window macro reads `{{window: SOURCE BY KEY[, KEY…] ON TIME ROWS PARAM WITHIN PARAM SECONDS|MINUTES|HOURS|DAYS}}`"
        ));
    }
    Ok(re
        .replace_all(body, |c: &regex::Captures<'_>| {
            let (source, keys, time, rows, within, unit) =
                (&c[1], &c[2], &c[3], &c[4], &c[5], c[6].to_ascii_lowercase());
            let keys = keys.split(',').map(str::trim).collect::<Vec<_>>().join(", ");
            format!(
                "SELECT {keys}, MIN(window_start) AS first_seen, MAX({time}) AS last_seen\n    \
                 FROM (SELECT {keys}, {time},\n                 \
                 LAG({time}, {{{rows} - 1}}) OVER (PARTITION BY {keys} ORDER BY {time}) AS window_start\n          \
                 FROM {source}) windowed\n    \
                 WHERE {time} - window_start <= INTERVAL '{{{within}}} {unit}'\n    \
                 GROUP BY {keys}"
            )
        })
        .into_owned())
}

/// Whether a sliding window of the query (the expanded [`expand_windows`] macro) runs over rows
/// of the attempt ledger themselves: its source table, or the table that one reads first, is a
/// plain `SELECT … FROM attempts` (no `GROUP BY` on the way). Such a window holds the ledger's
/// keys for every try at once (about 0.5 GB on the bench case's 3.75 M attempts); a window over
/// an aggregate of them (first tries per user, connections) holds far fewer.
pub fn windows_ledger_rows(body: &str) -> bool {
    static WINDOWED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\bFROM\s+(\w+)\)\s+windowed\b").expect("a valid pattern"));
    static FIRST_FROM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bFROM\s+(\w+)").expect("a valid pattern"));
    static GROUP_BY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bGROUP\s+BY\b").expect("a valid pattern"));
    let text = without_comments(body);
    // The text of table `name`'s definition, `name AS (…)`, up to its closing parenthesis.
    let definition = |name: &str| -> Option<String> {
        let start = definition_start(&text, name)?;
        let mut depth = 0i32;
        for (i, c) in text[start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => return Some(text[start..start + i].to_string()),
                ')' => depth -= 1,
                _ => {}
            }
        }
        None
    };
    WINDOWED.captures_iter(&text).any(|c| {
        let mut table = c[1].to_string();
        // Through at most a few tables that only pass the rows on.
        for _ in 0..4 {
            if table.eq_ignore_ascii_case("attempts") {
                return true;
            }
            let Some(def) = definition(&table) else { return false };
            if GROUP_BY.is_match(&def) {
                return false;
            }
            match FIRST_FROM.captures(&def) {
                Some(f) => table = f[1].to_string(),
                None => return false,
            }
        }
        false
    })
}

/// The evidence a query names itself: the table and the `WHERE` predicate of its first
/// `SELECT` that reads `events` or `attempts` directly (no alias, no join: the predicate's
/// columns must be the table's), the rows it counts. The predicate keeps its `{param}`
/// placeholders, filled at run time like the query. `None` when the first such read has no
/// `WHERE` or is aliased or joined.
pub fn derive_evidence(body: &str) -> Option<(String, String)> {
    // Comments out, so a `--` line cannot hide or fake a clause.
    let text = without_comments(body);
    static FROM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\bFROM\s+(events|attempts)\b\s*").expect("a valid pattern"));
    static WHERE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^WHERE\b").expect("a valid pattern"));
    static STOP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(GROUP\s+BY|ORDER\s+BY|HAVING|LIMIT|WINDOW|QUALIFY|UNION|EXCEPT|INTERSECT)\b")
            .expect("a valid pattern")
    });
    let (from, where_kw, stop) = (&*FROM, &*WHERE, &*STOP);
    let m = from.captures(&text)?;
    let table = m[1].to_ascii_lowercase();
    let rest = &text[m.get(0)?.end()..];
    let w = where_kw.find(rest)?;
    let clause = &rest[w.end()..];
    // The predicate runs to the end of its SELECT: a closing parenthesis of the enclosing
    // query, a clause keyword at its own depth, or the end.
    let (mut depth, mut quoted, mut end) = (0i32, false, clause.len());
    for (i, c) in clause.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            _ if quoted => {}
            '(' => depth += 1,
            ')' if depth == 0 => {
                end = i;
                break;
            }
            ')' => depth -= 1,
            ';' => {
                end = i;
                break;
            }
            _ if depth == 0
                && (i == 0 || !clause.as_bytes()[i - 1].is_ascii_alphanumeric())
                && stop.is_match(&clause[i..]) =>
            {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let pred = clause[..end].split_whitespace().collect::<Vec<_>>().join(" ");
    (!pred.is_empty()).then_some((table, pred))
}

/// The tables a rule may read: the case's events, the attempt ledger, the address sightings and
/// the first stage's findings.
pub const TABLES: [&str; 4] = ["attempts", "events", "prior_findings", "sightings"];

/// Which of [`TABLES`] `sql` reads (`FROM` or `JOIN` them outside comments), in name order.
pub fn tables_read(sql: &str) -> Vec<&'static str> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(FROM|JOIN)\s+(events|attempts|sightings|prior_findings)\b").expect("a valid pattern")
    });
    let text = without_comments(sql);
    let read: Vec<String> = RE.captures_iter(&text).map(|c| c[2].to_ascii_lowercase()).collect();
    TABLES.into_iter().filter(|t| read.iter().any(|r| r == t)).collect()
}

/// Where the definition of the `WITH` table `name` starts in `text` (comments taken out): just
/// after the `(` of `name AS (`.
fn definition_start(text: &str, name: &str) -> Option<usize> {
    let defines = Regex::new(&format!(r"(?is)(^|\bWITH|,)\s*{}\s+AS\s*\(", regex::escape(name))).ok()?;
    defines.find(text).map(|m| m.end())
}

/// `text` with each line's `--` comment cut off.
fn without_comments(text: &str) -> String {
    text.lines().map(|l| l.split_once("--").map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n")
}

/// Where the statement's main `SELECT` starts: the first `SELECT` outside parentheses, string
/// literals and comments (after a `WITH` clause's tables). `None` when there is none.
fn main_select(body: &str) -> Option<usize> {
    let b = body.as_bytes();
    let (mut i, mut depth) = (0usize, 0i32);
    while i < b.len() {
        match b[i] {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = body[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'\'' => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            b's' | b'S'
                if depth == 0
                    && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
                    && body.get(i..i + 6).is_some_and(|w| w.eq_ignore_ascii_case("select"))
                    && b.get(i + 6).is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_')) =>
            {
                return Some(i);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The parameter names `{…}` placeholders of `text` name (with or without arithmetic).
fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let inner = &after[..close];
        out.push(inner[..inner.find(['-', '+', '*']).unwrap_or(inner.len())].trim().to_string());
        rest = &after[close + 1..];
    }
    out
}

/// The data tables a rule may declare (`-- data: TABLE = {param}`).
pub const DATA_TABLES: &[&str] = &["web_signatures", "process_patterns"];

/// The names of the placeholders a data table gives a query.
pub fn data_names(table: &str) -> &'static [&'static str] {
    match table {
        "web_signatures" => &["web_signatures", "web_signatures_match"],
        "process_patterns" => &["process_patterns"],
        _ => &[],
    }
}

/// The placeholders a data table gives a query, as SQL text. `web_signatures` (the signature
/// file `source`, `queries/web_signatures.tsv` when empty): `{web_signatures}`, its rows as a
/// `VALUES` list of (category, severity rank, 2xx severity rank, pattern, reference, url_regex),
/// and `{web_signatures_match}`, a predicate over `events` true when any signature matches
/// ([`super::web::Signatures::match_sql`]; `short_circuit` as in [`SqlRule::data_sql`]).
/// `process_patterns` (`queries/process_patterns.tsv` when empty): `{process_patterns}`, its
/// rows as a `VALUES` list ([`super::process::values_sql`]).
pub fn data_placeholders(table: &str, source: &str, short_circuit: bool) -> Result<Vec<(String, String)>, String> {
    match table {
        "web_signatures" => {
            let sigs = super::web::Signatures::load(source)?;
            Ok(vec![
                ("web_signatures".into(), sigs.values_sql()),
                ("web_signatures_match".into(), sigs.match_sql(short_circuit)),
            ])
        }
        "process_patterns" => {
            Ok(vec![("process_patterns".into(), super::process::values_sql(&super::process::load(source)?))])
        }
        other => Err(format!("unknown data table {other:?}")),
    }
}

/// Replaces `{name}`, `{name - N}`, `{name + N}`, `{name * N}` by parameter values.
pub fn substitute(text: &str, params: &BTreeMap<String, Value>) -> Result<String, String> {
    substitute_with(text, params, &BTreeMap::new())
}

/// [`substitute`], with `{name}` of `data` (SQL text, from data tables) filled in as it is.
pub fn substitute_with(
    text: &str,
    params: &BTreeMap<String, Value>,
    data: &BTreeMap<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("unclosed `{` in SQL")?;
        let inner = after[..close].trim();
        let (name, op) = match inner.find(['-', '+', '*']) {
            Some(i) => (inner[..i].trim(), Some((inner.as_bytes()[i], inner[i + 1..].trim()))),
            None => (inner, None),
        };
        if let (Some(sql), None) = (data.get(name), op) {
            out.push_str(sql);
            rest = &after[close + 1..];
            continue;
        }
        let value = params.get(name).ok_or(format!("unknown parameter {{{name}}}"))?;
        match op {
            None => out.push_str(&value.to_sql()),
            Some((op, n)) => {
                let n: i64 = n.parse().map_err(|_| format!("bad arithmetic in {{{inner}}}"))?;
                let Value::Int(v) = value else {
                    return Err(format!("{{{inner}}}: arithmetic needs an integer parameter"));
                };
                let result = match op {
                    b'-' => v.checked_sub(n),
                    b'+' => v.checked_add(n),
                    _ => v.checked_mul(n),
                };
                let result = result.ok_or(format!("{{{inner}}} overflows with {name} = {v}"))?;
                out.push_str(&result.to_string());
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `-- data:` declares a data table from a parameter; loading checks the declaration and the
    /// placeholders without reading the file a default names; running fills the table in.
    #[test]
    fn windows_over_the_ledger_rows_are_told_from_windows_over_aggregates() {
        let heavy: Vec<String> = BUILTIN
            .iter()
            .map(|(f, t)| SqlRule::parse(f, t).unwrap())
            .filter(|r| windows_ledger_rows(&r.body))
            .map(|r| r.file)
            .collect();
        // The brute-force windows run over every try; password spraying's over first tries per
        // user and ssh_probe's over connections without a try.
        assert_eq!(heavy, ["ssh_bruteforce.sql", "ssh_bruteforce_distributed.sql", "ssh_bruteforce_slow.sql"]);
        let through = "WITH a AS (SELECT * FROM attempts),\nb AS (SELECT x FROM a WHERE y)\nSELECT * FROM ({window: b BY k ON t ROWS n WITHIN w MINUTES}) s";
        assert!(windows_ledger_rows(&expand_windows(through).unwrap()));
        let grouped = through.replace("WHERE y", "GROUP BY x");
        assert!(!windows_ledger_rows(&expand_windows(&grouped).unwrap()));
        let events = through.replace("FROM attempts", "FROM events");
        assert!(!windows_ledger_rows(&expand_windows(&events).unwrap()));
        // A comment names no table.
        let commented = "WITH b AS (SELECT x FROM e -- FROM attempts\n)\nSELECT * FROM ({window: b BY k ON t ROWS n WITHIN w MINUTES}) s";
        assert!(!windows_ledger_rows(&expand_windows(commented).unwrap()));
    }

    #[test]
    fn data_tables_are_declared_checked_and_filled() {
        let text = "-- id: w\n-- param: sigs = '/nonexistent/sigs.tsv'\n-- data: web_signatures = {sigs}\nSELECT * FROM (VALUES {web_signatures}) s WHERE {web_signatures_match}\n";
        let r = SqlRule::parse("w.sql", text).unwrap();
        assert_eq!(r.data, [("web_signatures".to_string(), "sigs".to_string())]);
        assert!(SqlRule::check_catalog(std::slice::from_ref(&r)).is_empty(), "no file is read at load");
        // Found by the `rule_file` fuzz target: a checked catalog's texts substitute with the
        // data tables standing in, whatever file the default names.
        let defaults = BTreeMap::from([("sigs".to_string(), Value::Str("/nonexistent/sigs.tsv".into()))]);
        assert_eq!(r.fill_unloaded(&r.body, &defaults).unwrap(), "SELECT * FROM (VALUES NULL) s WHERE NULL\n");
        let mut params: BTreeMap<String, Value> =
            BTreeMap::from([("sigs".into(), Value::Str("/nonexistent/sigs.tsv".into()))]);
        assert!(r.data_sql(&params, false).unwrap_err().contains("/nonexistent/sigs.tsv"));
        params.insert("sigs".into(), Value::Str(String::new()));
        let sql = substitute_with(&r.body, &params, &r.data_sql(&params, false).unwrap()).unwrap();
        assert!(sql.contains("('sql_injection', 2, 3, ") && sql.contains("REGEXP_LIKE(url_path, '"), "{}", &sql[..300]);
        let unknown = SqlRule::parse("w.sql", "-- id: w\n-- data: nope = {x}\nSELECT 1").unwrap_err();
        assert!(unknown.contains("unknown data table \"nope\""), "{unknown}");
        assert!(SqlRule::parse("w.sql", "-- id: w\n-- data: web_signatures\nSELECT 1").is_err());
        assert!(SqlRule::parse("w.sql", "-- id: w\n-- data: web_signatures = path.tsv\nSELECT 1").is_err());
        let number = SqlRule::parse(
            "w.sql",
            "-- id: w\n-- param: n = 3\n-- data: web_signatures = {n}\nSELECT {web_signatures_match}",
        )
        .unwrap();
        assert!(SqlRule::check_catalog(&[number])[0].contains("needs {n} to be a text parameter"));
    }

    #[test]
    fn header_and_placeholders() {
        let r = SqlRule::parse(
            "t.sql",
            "-- id: demo\n-- severity: high\n-- param: n = 5 | count\n-- param: names = ['root', 'admin']\n-- evidence: event_action = 'x'\nSELECT {n - 1}, {n * 60}, ({names})\n",
        )
        .unwrap();
        assert_eq!(r.id, "demo");
        assert_eq!(r.severity, Severity::High);
        let params: BTreeMap<String, Value> = r.params.iter().map(|p| (p.name.clone(), p.default.clone())).collect();
        assert_eq!(substitute(&r.body, &params).unwrap(), "SELECT 4, 300, ('root', 'admin')\n");
        assert!(SqlRule::parse("t.sql", "SELECT 1").is_err(), "no id");
        assert!(SqlRule::check_catalog(&[SqlRule::parse("t.sql", "-- id: x\nSELECT {nope}").unwrap()])[0]
            .contains("t.sql: unknown parameter {nope}"));
        assert!(SqlRule::parse("t.sql", "-- id: x\n-- severity: huge\nSELECT 1").is_err());
        let twice = SqlRule::parse("t.sql", "-- id: x\n-- param: n = 1\n-- param: n = 2\nSELECT {n}").unwrap_err();
        assert!(twice.contains("param n is declared twice"), "{twice}");
    }

    /// Found by the `rule_file` fuzz target: `-- id:` with nothing after it passed the
    /// snake_case check (every character of nothing is one) and loaded a rule without an id.
    #[test]
    fn an_empty_id_or_rule_is_refused() {
        let e = SqlRule::parse("t.sql", "-- id:\n-- rule: sudo_activity\nSELECT 1").unwrap_err();
        assert_eq!(e, "t.sql: id \"\" must be lower_snake_case");
        let e = SqlRule::parse("t.sql", "-- id: x\n-- rule:\nSELECT 1").unwrap_err();
        assert_eq!(e, "t.sql: rule \"\" must be lower_snake_case");
    }

    /// Found reading the loader for its fuzz target: `{n * 60}` with a huge configured `n`
    /// wrapped around (release builds do not check overflow) into a negative window.
    #[test]
    fn arithmetic_that_overflows_is_an_error_not_a_wrapped_number() {
        let big: BTreeMap<String, Value> = [("n".to_string(), Value::Int(i64::MAX))].into();
        assert!(substitute("{n * 60}", &big).unwrap_err().contains("{n * 60} overflows with n ="));
        assert!(substitute("{n + 1}", &big).is_err());
        let small: BTreeMap<String, Value> = [("n".to_string(), Value::Int(i64::MIN + 1))].into();
        assert!(substitute("{n - 2}", &small).is_err());
        assert_eq!(substitute("{n - 1}", &small).unwrap(), i64::MIN.to_string());
    }

    #[test]
    fn evidence_is_the_predicate_of_the_first_read() {
        let sql = "WITH tries AS (\n    SELECT host_name FROM attempts -- the ledger\n    WHERE event_module = 'auth' AND (user_name IN ({names}) OR x = ')')\n    GROUP BY host_name\n),\nb AS (SELECT * FROM events WHERE y = 1)\nSELECT * FROM tries";
        assert_eq!(
            derive_evidence(sql),
            Some(("attempts".into(), "event_module = 'auth' AND (user_name IN ({names}) OR x = ')')".into()))
        );
        assert_eq!(
            derive_evidence("WITH a AS (SELECT * FROM events\n WHERE a = 1\n), b AS (SELECT 1) SELECT * FROM a"),
            Some(("events".into(), "a = 1".into()))
        );
        assert_eq!(
            derive_evidence("SELECT * FROM events WHERE k = 2 ORDER BY 1"),
            Some(("events".into(), "k = 2".into()))
        );
        assert_eq!(
            derive_evidence("SELECT * FROM events e JOIN x ON 1 = 1 WHERE e.k = 2"),
            None,
            "aliased: no derivation"
        );
        assert_eq!(derive_evidence("SELECT * FROM events"), None);
        // The header overrides; `none` gives no lines; a derived table needs no header.
        let r = SqlRule::parse("t.sql", "-- id: t\n-- evidence: none\nSELECT * FROM events WHERE a = 1").unwrap();
        assert_eq!(r.evidence, None);
        let r = SqlRule::parse("t.sql", "-- id: t\nSELECT * FROM attempts WHERE a = 1").unwrap();
        assert_eq!((r.evidence.as_deref(), r.evidence_table.as_str()), (Some("a = 1"), "attempts"));
    }

    #[test]
    fn zipped_details_and_the_second_stage_are_read_from_the_header() {
        let r = SqlRule::parse(
            "t.sql",
            "-- id: t\n-- detail_list: steps = step, step_time AS time\n-- detail_map: seen = at: first AS first_time\n\
             -- a comment naming FROM prior_findings\nSELECT * FROM sightings s JOIN (SELECT 1 FROM prior_findings) p ON TRUE",
        )
        .unwrap();
        assert_eq!(
            r.detail_groups,
            [
                DetailGroup {
                    name: "steps".into(),
                    key: None,
                    fields: vec![("step".into(), "step".into()), ("step_time".into(), "time".into())]
                },
                DetailGroup {
                    name: "seen".into(),
                    key: Some("at".into()),
                    fields: vec![("first".into(), "first_time".into())]
                },
            ]
        );
        assert!(r.reads_findings() && r.reads_sightings());
        let guarded =
            SqlRule::parse("t.sql", "-- id: t\n-- requires_finding: rule = 'x'\nSELECT * FROM prior_findings").unwrap();
        assert_eq!(guarded.requires_finding.as_deref(), Some("rule = 'x'"));
        assert!(SqlRule::parse("t.sql", "-- id: t\n-- requires_finding: rule = 'x'\nSELECT 1")
            .unwrap_err()
            .contains("requires_finding needs a query that reads prior_findings"));
        let first =
            SqlRule::parse("t.sql", "-- id: t\n-- reads FROM prior_findings\nSELECT * FROM events -- JOIN sightings")
                .unwrap();
        assert!(!first.reads_findings() && !first.reads_sightings(), "comments name no table");
        let bad = |header: &str| SqlRule::parse("t.sql", &format!("-- id: t\n{header}\nSELECT 1")).unwrap_err();
        assert!(bad("-- detail_list: steps").contains("detail_list needs"));
        assert!(bad("-- detail_list: steps = a AS").contains("detail_list needs"));
        assert!(bad("-- detail_list: Steps = a").contains("detail_list needs"));
        assert!(bad("-- detail_map: seen = a, b").contains("detail_map needs `NAME = KEY_COLUMN: "));
    }

    #[test]
    fn evidence_keys_and_order_are_read_and_checked() {
        let r = SqlRule::parse(
            "t.sql",
            "-- id: t\n-- evidence: a = 1\n-- evidence_key: host_name\n-- evidence_key: user_name = COALESCE(user_target_name, 'x')\n-- evidence_order: last\nSELECT 1",
        )
        .unwrap();
        assert_eq!(
            r.evidence_keys,
            [
                ("host_name".to_string(), "host_name".to_string()),
                ("user_name".to_string(), "COALESCE(user_target_name, 'x')".to_string())
            ]
        );
        assert!(r.evidence_last);
        let plain = SqlRule::parse("t.sql", "-- id: t\nSELECT * FROM events WHERE a = 1").unwrap();
        assert!(plain.evidence_keys.is_empty() && !plain.evidence_last, "default: the returned keys, first lines");
        let bad = |header: &str| SqlRule::parse("t.sql", &format!("-- id: t\n{header}\nSELECT 1")).unwrap_err();
        assert!(bad("-- evidence_key: first_seen").contains("must name a column the query returns"));
        assert!(bad("-- evidence_key: Kind").contains("must name a column the query returns"));
        assert!(bad("-- evidence_key: a b = c").contains("must name a column the query returns"));
        assert!(bad("-- evidence_key: user_name =").contains("needs an expression"));
        assert!(bad("-- evidence_key: source_ip\n-- evidence_key: source_ip").contains("given twice"));
        assert!(bad("-- evidence_order: newest").contains("evidence_order must be first or last"));
    }

    /// A table the query defines can be the evidence table: its rows come from the query's own
    /// `WITH` clause.
    #[test]
    fn the_evidence_table_may_be_one_the_query_defines() {
        let text = "-- id: t\n-- evidence_table: hits\n-- evidence: TRUE\n-- evidence_key: kind\nWITH a AS (SELECT ')select(' AS x FROM events), -- select\n-- the hits\nhits AS (SELECT * FROM a)\nSELECT kind, MIN(timestamp) AS first_seen FROM hits GROUP BY kind";
        let r = SqlRule::parse("t.sql", text).unwrap();
        assert_eq!(r.evidence_keys, [("kind".to_string(), "kind".to_string())]);
        assert_eq!(
            r.evidence_source().unwrap(),
            "WITH a AS (SELECT ')select(' AS x FROM events), -- select\n-- the hits\nhits AS (SELECT * FROM a)\nSELECT * FROM hits"
        );
        let plain = SqlRule::parse("t.sql", "-- id: t\nSELECT * FROM events WHERE a = 1").unwrap();
        assert_eq!((plain.evidence_source(), plain.requires), (None, None));
        let guarded = SqlRule::parse("t.sql", "-- id: t\n-- requires: event_action = 'x'\nSELECT 1").unwrap();
        assert_eq!(guarded.requires.as_deref(), Some("event_action = 'x'"));
        let e = SqlRule::parse(
            "t.sql",
            "-- id: t\n-- evidence_table: nope\n-- evidence: TRUE\nWITH hits AS (SELECT 1) SELECT 1",
        )
        .unwrap_err();
        assert!(e.contains("evidence_table must be events, attempts or a table the query defines"), "{e}");
        assert_eq!(main_select("select 1"), Some(0));
        assert_eq!(main_select("WITH x AS (SELECT 1) , y AS (SELECT 2)\nSELECT 3"), Some(39));
        assert_eq!(main_select("WITH selected AS (SELECT 1) SELECT 3"), Some(28));
    }

    #[test]
    fn the_sliding_window_is_written_once() {
        let body = "WITH t AS (SELECT 1),\nspans AS ({window: t BY host_name, source_ip ON ts ROWS n WITHIN w MINUTES})\nSELECT * FROM spans";
        let out = expand_windows(body).unwrap();
        assert!(
            out.contains("SELECT host_name, source_ip, MIN(window_start) AS first_seen, MAX(ts) AS last_seen"),
            "{out}"
        );
        assert!(
            out.contains("LAG(ts, {n - 1}) OVER (PARTITION BY host_name, source_ip ORDER BY ts) AS window_start"),
            "{out}"
        );
        assert!(
            out.contains("FROM t) windowed") && out.contains("WHERE ts - window_start <= INTERVAL '{w} minutes'"),
            "{out}"
        );
        assert!(out.ends_with("GROUP BY host_name, source_ip)\nSELECT * FROM spans"), "{out}");
        // Placeholders named window_… are no macro; a malformed macro is an error with its line.
        assert_eq!(expand_windows("SELECT {window_minutes}").unwrap(), "SELECT {window_minutes}");
        let e = expand_windows("SELECT 1\nFROM ({window: t ON ts ROWS n})").unwrap_err();
        assert!(e.starts_with("line 2: a window macro reads"), "{e}");
        // The built-in rules use it; none spells the pattern out again (a LAG with an offset: the
        // row N - 1 back; `LAG(x)`, the row before, is no window).
        let offset_lag = Regex::new(r"LAG\([^,()]+,").unwrap();
        for (name, text) in BUILTIN {
            if offset_lag.is_match(text) && !text.contains("{window:") {
                assert_eq!(*name, "ssh_bruteforce_slow.sql", "{name} spells out a sliding window");
            }
        }
    }

    #[test]
    fn the_catalog_is_checked_file_by_file() {
        let p = |file: &str, text: &str| SqlRule::parse(file, text).unwrap();
        let scan = p("scan.sql", "-- id: scan\n-- param: n = 15\n-- param: w = 5\nSELECT {n}, {w}");
        // A variant reads its rule's parameters and declares only its own.
        let sweep = p("sweep.sql", "-- id: sweep\n-- rule: scan\n-- param: hosts = 10\nSELECT {hosts}, {w}");
        assert!(SqlRule::check_catalog(&[scan.clone(), sweep.clone()]).is_empty());
        let again = p("again.sql", "-- id: scan\nSELECT 1");
        let redeclared = p("sweep2.sql", "-- id: sweep2\n-- rule: scan\n-- param: w = 9\nSELECT {w}");
        let orphan = p("orphan.sql", "-- id: orphan\n-- rule: nothing\nSELECT 1");
        let unused = p("unused.sql", "-- id: unused\n-- param: k = 3\n-- description: k is {k}\nSELECT 1");
        let errors = SqlRule::check_catalog(&[scan, sweep, again, redeclared, orphan, unused]);
        let all = errors.join("\n");
        assert!(all.contains("again.sql: id scan is already scan.sql's"), "{all}");
        assert!(all.contains("sweep2.sql: param w of rule scan is already declared in scan.sql"), "{all}");
        assert!(all.contains("orphan.sql: `-- rule: nothing` names no rule file"), "{all}");
        assert!(all.contains("unused.sql: param k is declared but no file of rule unused uses it"), "{all}");
        assert_eq!(errors.len(), 4, "{all}");
    }
}
