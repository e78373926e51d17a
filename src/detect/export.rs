//! `logsleuth rules export --dialect D --out DIR`: the SQL rules as plain SQL another engine runs
//! as it is, over tables named `events` (the case's `events/` dataset) and `attempts` (the
//! attempt ledger, `CASE/attempts-*.parquet`, which `detect` stores). Parameters are filled in
//! from the effective configuration; what differs between dialects is translated here, in one
//! place: interval literals, and the date of a timestamp, which is taken in UTC whatever the
//! session's zone. `rules.json` lists the rules with their parameters, their evidence predicate
//! and what the engine must do first (`setup`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::config::Config;
use super::sql_rule::{substitute_with, SqlRule};
use crate::error::AnalysisError;

/// The engines the rules are exported for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Spark SQL 3.4+ (PySpark: scale/spark/detect.py).
    Spark,
    /// DuckDB 1.x (scale/duckdb/detect.py).
    Duckdb,
    /// Trino / Presto.
    Trino,
    /// polars SQL, as `logsleuth detect` runs them.
    Polars,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Spark => "spark",
            Dialect::Duckdb => "duckdb",
            Dialect::Trino => "trino",
            Dialect::Polars => "polars",
        }
    }

    /// Whether the engine evaluates the second term of an `AND` only on the rows where the first
    /// holds (polars evaluates both over the whole column).
    pub fn short_circuits(self) -> bool {
        self != Dialect::Polars
    }

    /// Statements to run once per session before the rules. Timestamps are instants in UTC;
    /// Spark turns one into a date in the session's zone, so the session is set to UTC.
    pub fn setup(self) -> Vec<&'static str> {
        match self {
            Dialect::Spark => vec!["SET spark.sql.session.timeZone = UTC"],
            Dialect::Duckdb => vec!["SET TimeZone = 'UTC'"],
            Dialect::Trino => vec!["SET TIME ZONE 'UTC'"],
            Dialect::Polars => vec![],
        }
    }
}

/// `INTERVAL 'N unit'` as the dialect writes it: Spark `INTERVAL N MINUTES`, Trino `INTERVAL
/// 'N' MINUTE`; DuckDB and polars read the rules' own form.
fn interval(n: &str, unit: &str, d: Dialect) -> String {
    let unit = unit.to_ascii_uppercase();
    let singular = unit.trim_end_matches('S');
    match d {
        Dialect::Spark => format!("INTERVAL {n} {singular}S"),
        Dialect::Trino => format!("INTERVAL '{n}' {singular}"),
        Dialect::Duckdb | Dialect::Polars => format!("INTERVAL '{n} {}s'", singular.to_ascii_lowercase()),
    }
}

/// The date of the `timestamp` column in UTC, independent of the session's zone where the
/// dialect allows it.
fn utc_date(d: Dialect) -> &'static str {
    match d {
        Dialect::Duckdb => "CAST(timezone('UTC', timestamp) AS DATE)",
        Dialect::Trino => "CAST(timestamp AT TIME ZONE 'UTC' AS DATE)",
        // Spark: the session zone is UTC (setup); polars: timestamps are UTC.
        Dialect::Spark | Dialect::Polars => "CAST(timestamp AS DATE)",
    }
}

/// `EPOCH_US(column)`, a timestamp as integer microseconds since the epoch (UTC): DuckDB's
/// function, Spark's `unix_micros`, Trino's `to_unixtime` (seconds, as a double) scaled, and the
/// timestamp's physical value in polars (microseconds).
fn epoch_us(column: &str, d: Dialect) -> String {
    match d {
        Dialect::Duckdb => format!("epoch_us({column})"),
        Dialect::Spark => format!("unix_micros({column})"),
        Dialect::Trino => format!("CAST(round(to_unixtime({column}) * 1000000) AS BIGINT)"),
        Dialect::Polars => format!("CAST({column} AS BIGINT)"),
    }
}

/// `STRING_AGG([DISTINCT] value, 'sep' ORDER BY key)`, the values of a group joined in key
/// order (DISTINCT: each once, the key being the value). DuckDB and polars read it as written;
/// Spark 3 has no STRING_AGG and Trino spells it with `array_agg`.
fn string_agg(distinct: bool, value: &str, sep: &str, key: &str, d: Dialect) -> String {
    match (d, distinct) {
        (Dialect::Duckdb | Dialect::Polars, true) => format!("STRING_AGG(DISTINCT {value}, '{sep}' ORDER BY {key})"),
        (Dialect::Duckdb | Dialect::Polars, false) => format!("STRING_AGG({value}, '{sep}' ORDER BY {key})"),
        (Dialect::Spark, true) => format!("array_join(array_sort(collect_set({value})), '{sep}')"),
        (Dialect::Spark, false) => format!(
            "array_join(transform(array_sort(collect_list(struct({key} AS k, {value} AS v))), s -> s.v), '{sep}')"
        ),
        (Dialect::Trino, true) => format!("array_join(array_sort(array_agg(DISTINCT {value})), '{sep}')"),
        (Dialect::Trino, false) => format!("array_join(array_agg({value} ORDER BY {key}), '{sep}')"),
    }
}

/// `ARRAY_AGG(DISTINCT value ORDER BY value LIMIT n)`, the first `n` distinct values of a group
/// in order, as a list (values without nulls): polars reads it as written, DuckDB slices its
/// ordered `list`, Spark and Trino sort the distinct values and slice.
fn array_agg_first(value: &str, n: &str, d: Dialect) -> String {
    match d {
        Dialect::Polars => format!("ARRAY_AGG(DISTINCT {value} ORDER BY {value} LIMIT {n})"),
        Dialect::Duckdb => format!("list_slice(list(DISTINCT {value} ORDER BY {value}), 1, {n})"),
        Dialect::Spark => format!("slice(array_sort(collect_set({value})), 1, {n})"),
        Dialect::Trino => format!("slice(array_sort(array_agg(DISTINCT {value})), 1, {n})"),
    }
}

/// `ARRAY_AGG(value ORDER BY key)`, the values of a group in key order as a list (nulls
/// kept): Spark sorts (key, value) pairs; the others read it as written.
fn array_agg_ordered(value: &str, key: &str, d: Dialect) -> String {
    match d {
        Dialect::Spark => format!("transform(array_sort(collect_list(struct({key} AS k, {value} AS v))), s -> s.v)"),
        Dialect::Duckdb | Dialect::Trino | Dialect::Polars => format!("ARRAY_AGG({value} ORDER BY {key})"),
    }
}

/// `RFC3339(column)`, a timestamp as logsleuth writes times in findings (UTC, whole seconds, or
/// microseconds when there are any: `2025-12-10T03:30:25Z`, `2025-12-10T03:30:25.587000Z`). The
/// session zone is UTC (`setup`).
fn rfc3339(column: &str, d: Dialect) -> String {
    let whole = format!("{} % 1000000 = 0", epoch_us(column, d));
    let (seconds, micros) = match d {
        Dialect::Polars => (
            format!("STRFTIME({column}, '%Y-%m-%dT%H:%M:%SZ')"),
            format!("STRFTIME({column}, '%Y-%m-%dT%H:%M:%S%.6fZ')"),
        ),
        Dialect::Duckdb => (
            format!("strftime({column}, '%Y-%m-%dT%H:%M:%SZ')"),
            format!("strftime({column}, '%Y-%m-%dT%H:%M:%S.%fZ')"),
        ),
        Dialect::Spark => (
            format!("date_format({column}, 'yyyy-MM-dd''T''HH:mm:ss''Z''')"),
            format!("date_format({column}, 'yyyy-MM-dd''T''HH:mm:ss.SSSSSS''Z''')"),
        ),
        Dialect::Trino => (
            format!("format_datetime({column} AT TIME ZONE 'UTC', 'yyyy-MM-dd''T''HH:mm:ss''Z''')"),
            format!("format_datetime({column} AT TIME ZONE 'UTC', 'yyyy-MM-dd''T''HH:mm:ss.SSSSSS''Z''')"),
        ),
    };
    format!("CASE WHEN {whole} THEN {seconds} ELSE {micros} END")
}

/// String literals as Spark reads them: Spark takes a backslash in a literal as an escape (a
/// regex's `\.` would become `.`) and spells a quote `\'`; the rules write standard SQL
/// literals (`''` for a quote, a backslash as itself). Comments are left alone.
fn spark_literals(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 64);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for c in chars.by_ref() {
                    out.push(c);
                    if c == '\n' {
                        break;
                    }
                }
            }
            '\'' => {
                out.push('\'');
                while let Some(c) = chars.next() {
                    match c {
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            out.push_str("\\'");
                        }
                        '\'' => break,
                        '\\' => out.push_str("\\\\"),
                        c => out.push(c),
                    }
                }
                out.push('\'');
            }
            c => out.push(c),
        }
    }
    out
}

/// Translates a rule's SQL (parameters already filled in) into `d`: interval literals, the UTC
/// date of `timestamp`, `EPOCH_US(column)`, `STRING_AGG(… ORDER BY …)`, `ARRAY_AGG(DISTINCT v
/// ORDER BY v LIMIT n)`, `STRPOS` (Spark's `instr`), `REGEXP_LIKE` (DuckDB's `regexp_matches`),
/// the STRING type and, for Spark, string literals.
pub fn translate(sql: &str, d: Dialect) -> String {
    use regex::{Captures, Regex};
    use std::sync::LazyLock;
    static INTERVAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)INTERVAL\s+'(\d+)\s+(second|minute|hour|day)s?'").expect("a valid pattern"));
    static DATE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)CAST\(\s*timestamp\s+AS\s+DATE\s*\)").expect("a valid pattern"));
    static EPOCH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\bEPOCH_US\(\s*([\w.]+)\s*\)").expect("a valid pattern"));
    static STRING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bAS\s+STRING\b").expect("a valid pattern"));
    static AGG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\bSTRING_AGG\(\s*(DISTINCT\s+)?([\w.]+)\s*,\s*'([^']*)'\s+ORDER\s+BY\s+([\w.]+)\s*\)")
            .expect("a valid pattern")
    });
    let out = INTERVAL.replace_all(sql, |c: &Captures<'_>| interval(&c[1], &c[2], d));
    let out = DATE.replace_all(&out, utc_date(d));
    let out = EPOCH.replace_all(&out, |c: &Captures<'_>| epoch_us(&c[1], d));
    // Trino has no STRING type; the others read it (polars, Spark) or alias it (DuckDB).
    let out = match d {
        Dialect::Trino => STRING.replace_all(&out, "AS VARCHAR"),
        _ => out,
    };
    let out = AGG.replace_all(&out, |c: &Captures<'_>| string_agg(c.get(1).is_some(), &c[2], &c[3], &c[4], d));
    static ARRAY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\bARRAY_AGG\(\s*DISTINCT\s+([\w.]+)\s+ORDER\s+BY\s+([\w.]+)\s+LIMIT\s+(\d+)\s*\)")
            .expect("a valid pattern")
    });
    let out = ARRAY.replace_all(
        &out,
        |c: &Captures<'_>| {
            if c[1] == c[2] {
                array_agg_first(&c[1], &c[3], d)
            } else {
                c[0].to_string()
            }
        },
    );
    static ORDERED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\bARRAY_AGG\(\s*([\w.]+)\s+ORDER\s+BY\s+([\w.]+)\s*\)").expect("a valid pattern")
    });
    let out = match d {
        // The others read it as written (Trino's own STRING_AGG spelling among them).
        Dialect::Spark => ORDERED.replace_all(&out, |c: &Captures<'_>| array_agg_ordered(&c[1], &c[2], d)),
        _ => out,
    };
    static RFC: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\bRFC3339\(\s*([\w.]+)\s*\)").expect("a valid pattern"));
    let out = RFC.replace_all(&out, |c: &Captures<'_>| rfc3339(&c[1], d));
    // Spark's STRPOS is `instr` (the same arguments: the text, then what to find).
    static STRPOS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bSTRPOS\(").expect("a valid pattern"));
    let out = match d {
        Dialect::Spark => STRPOS.replace_all(&out, "instr("),
        _ => out,
    };
    static REGEXP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bREGEXP_LIKE\(").expect("a valid pattern"));
    match d {
        // DuckDB's regexp_matches finds a match anywhere, as REGEXP_LIKE does elsewhere.
        Dialect::Duckdb => REGEXP.replace_all(&out, "regexp_matches(").into_owned(),
        Dialect::Spark => spark_literals(&out),
        Dialect::Trino | Dialect::Polars => out.into_owned(),
    }
}

/// One exported rule, as `rules.json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    /// The query's own id (its file is `ID.sql`).
    pub id: String,
    /// The rule its findings belong to (`rule` of a finding): the id, or the rule a variant
    /// query answers (`port_sweep` is a `port_scan`).
    pub rule: String,
    pub file: String,
    pub title: String,
    pub severity: String,
    pub description: String,
    pub params: BTreeMap<String, serde_json::Value>,
    /// `events`, `attempts` or a table the query defines: where the evidence lines are taken
    /// from.
    pub evidence_table: String,
    /// For a table the query defines, the statement giving it (the query's `WITH` clause, then
    /// `SELECT * FROM evidence_table`): read the evidence from `(evidence_source)`.
    pub evidence_source: Option<String>,
    /// Which rows of `evidence_table` are a finding's evidence: those matching this, with the
    /// finding's host, source and user (null matching null; a column the query does not
    /// return matches anything) inside its span. `null`: the rule has no evidence lines.
    pub evidence: Option<String>,
    /// The finding columns an evidence row must share with its finding, each with the
    /// expression over `evidence_table` that gives the row's value (null meeting null). Empty:
    /// every key column (host_name, source_ip, user_name) the query returns, matched to the
    /// evidence table's column of the same name.
    pub evidence_keys: BTreeMap<String, String>,
    /// `first` or `last`: which lines of the span are shown (the first or the last
    /// MAX_EVIDENCE, always listed in time order).
    pub evidence_order: &'static str,
    /// Tables the query reads.
    pub tables: Vec<String>,
    /// A predicate over `events` some row must match for the query to find anything: an
    /// engine may skip the query when none does.
    pub requires: Option<String>,
    /// The same over `prior_findings`, for a rule of stage 2.
    pub requires_finding: Option<String>,
    /// 1, or 2 for a rule that reads `prior_findings`: it runs after every rule of stage 1, over
    /// their findings.
    pub stage: u8,
    /// Details zipped from list columns (`detail_list`, `detail_map`): each `name` is made of
    /// the lists `fields` (column, field) element by element, as a list of objects or, with a
    /// `key` column, an object keyed by its elements; those columns are no details themselves.
    pub detail_groups: Vec<super::rule_file::DetailGroup>,
}

/// The `rules.json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    pub tool: &'static str,
    pub version: &'static str,
    pub dialect: Dialect,
    pub setup: Vec<&'static str>,
    /// Where the tables the rules read come from: `events` and `attempts` in a case, `sightings`
    /// a view (`views`), `prior_findings` the findings of stage 1.
    pub tables: BTreeMap<&'static str, &'static str>,
    /// Views to define over `events` before the rules run: name and query.
    pub views: BTreeMap<&'static str, String>,
    /// The columns of `prior_findings`, which the engine builds from the findings of stage 1.
    pub prior_findings: &'static str,
    /// How a finding is made from a result row (the findings contract).
    pub findings: &'static str,
    pub rules: Vec<Exported>,
    /// Built-in rules written in Rust (statistics, template mining, tamper heuristics,
    /// correlation): not exported.
    pub not_portable: Vec<&'static str>,
}

/// The rule families `detect` runs in Rust, not exportable as SQL.
pub const RUST_RULES: &[&str] = &["rare_event", "volume_anomaly", "log_integrity"];

const PRIOR_FINDINGS: &str = "One row per finding of stage 1 (every exported rule of stage 1, and the rules the engine does not run: the not_portable ones and Sigma, from the case's findings.parquet when `logsleuth detect` stored it): rule, severity (low..critical), severity_rank (1..4), title, host_name, source_ip, user_name, first_seen and last_seen (timestamps, UTC), count, kind (the `kind` detail as text, else null), onset (first_seen, plus usual_spacing_minutes for a finding with that detail: a silence begins when its first missing line was due), first_file, first_line, last_file, last_line (the first and last of its evidence lines, sorted, the first 20).";

const FINDINGS_CONTRACT: &str = "One finding per row, of the rule `rule`: first_seen and last_seen (required), host_name, source_ip, user_name, count, severity and title when the query returns them, every other non-null column into details (with threshold_<param> for numeric parameters). Without a count column, count is the number of evidence rows (their event_count, default 1). Evidence: the rows of evidence_table (of evidence_source when it is a table the query defines) matching evidence whose evidence_keys equal the finding's (null meets null), inside [first_seen, last_seen]; the first 20 in (timestamp, log_file_path, log_line) order, or with evidence_order last the last 20, listed in that order.";

fn json_value(v: &super::config::Value) -> serde_json::Value {
    use super::config::Value;
    match v {
        Value::Int(i) => (*i).into(),
        Value::Float(f) => (*f).into(),
        Value::Str(s) => s.clone().into(),
        Value::List(l) => l.clone().into(),
    }
}

/// Writes every rule of `rules` with the parameters of `config` into `out` as `ID.sql` in
/// dialect `d`, and `rules.json`. Ids are unique (the loader checks it).
pub fn export(rules: &[SqlRule], config: &Config, d: Dialect, out: &Path) -> Result<Catalog, AnalysisError> {
    let err = |msg: String| AnalysisError::Rule { path: out.to_path_buf(), msg };
    std::fs::create_dir_all(out).map_err(|e| AnalysisError::Write { path: out.to_path_buf(), source: e })?;
    let mut exported: Vec<Exported> = Vec::new();
    let mut files: BTreeMap<String, &str> = BTreeMap::new();
    for r in rules {
        let params = config.params(&r.rule);
        // The data tables are read once for the query, its evidence predicate and its keys.
        let data = r.data_sql(&params, d.short_circuits()).map_err(|e| err(format!("{}: {e}", r.file)))?;
        let fill = |text: &str| substitute_with(text, &params, &data).map_err(|e| err(format!("{}: {e}", r.file)));
        let sql = translate(fill(&r.body)?.trim_end().trim_end_matches(';'), d);
        let evidence = match &r.evidence {
            Some(p) => Some(translate(&fill(p)?, d)),
            None => None,
        };
        let mut evidence_keys = BTreeMap::new();
        for (k, v) in &r.evidence_keys {
            evidence_keys.insert(k.clone(), translate(&fill(v)?, d));
        }
        let name = format!("{}.sql", r.id);
        if let Some(prev) = files.insert(name.clone(), &r.file) {
            return Err(err(format!("{} and {prev} both export as {name}", r.file)));
        }
        let e = Exported {
            id: r.id.clone(),
            rule: r.rule.clone(),
            file: name.clone(),
            title: r.title.clone(),
            severity: r.severity.as_str().to_string(),
            description: r.description.clone(),
            params: params.iter().map(|(k, v)| (k.clone(), json_value(v))).collect(),
            evidence_table: r.evidence_table.clone(),
            evidence_source: match r.evidence_source() {
                Some(source) => Some(translate(fill(&source)?.trim_end(), d)),
                None => None,
            },
            evidence,
            evidence_keys,
            evidence_order: if r.evidence_last { "last" } else { "first" },
            tables: r.tables().into_iter().map(str::to_string).collect(),
            requires: match &r.requires {
                Some(p) => Some(translate(&fill(p)?, d)),
                None => None,
            },
            requires_finding: match &r.requires_finding {
                Some(p) => Some(translate(&fill(p)?, d)),
                None => None,
            },
            stage: if r.reads_findings() { 2 } else { 1 },
            detail_groups: r.detail_groups.clone(),
        };
        let mut text = format!(
            "-- id: {}\n-- rule: {}\n-- title: {}\n-- severity: {}\n-- dialect: {}\n",
            e.id,
            e.rule,
            e.title,
            e.severity,
            d.as_str()
        );
        for (k, v) in &e.params {
            text += &format!("-- param: {k} = {v}\n");
        }
        text += &format!("-- evidence_table: {}\n", e.evidence_table);
        if e.evidence_source.is_some() {
            text += &format!("-- evidence_source: rules.json (the query's table {})\n", e.evidence_table);
        }
        for (k, v) in &e.evidence_keys {
            text += &format!("-- evidence_key: {k} = {v}\n");
        }
        text += &format!("-- evidence_order: {}\n", e.evidence_order);
        text += &format!("-- stage: {}\n", e.stage);
        for g in &e.detail_groups {
            let fields: Vec<String> = g.fields.iter().map(|(c, f)| format!("{c} AS {f}")).collect();
            match &g.key {
                Some(k) => text += &format!("-- detail_map: {} = {k}: {}\n", g.name, fields.join(", ")),
                None => text += &format!("-- detail_list: {} = {}\n", g.name, fields.join(", ")),
            }
        }
        if let Some(p) = &e.evidence {
            text += &format!("-- evidence: {p}\n");
        }
        for s in d.setup() {
            text += &format!("-- setup: {s};\n");
        }
        text += &format!("-- tables: {}\n{sql}\n", e.tables.join(", "));
        let path = out.join(&name);
        std::fs::write(&path, text).map_err(|e| AnalysisError::Write { path, source: e })?;
        exported.push(e);
    }
    // Stage 2 reads stage 1's findings: it comes last.
    exported.sort_by_key(|e| e.stage);
    let catalog = Catalog {
        tool: "logsleuth",
        version: env!("CARGO_PKG_VERSION"),
        dialect: d,
        setup: d.setup(),
        tables: BTreeMap::from([
            ("events", "CASE/events/ (Parquet, hive-partitioned by event_module)"),
            ("attempts", "CASE/attempts-*.parquet (the attempt ledger; written by `logsleuth detect`)"),
            ("sightings", "a view over events (views.sightings): per address, source, host and clock, events and first and last time"),
            ("prior_findings", "the findings of stage 1 (prior_findings)"),
        ]),
        views: BTreeMap::from([("sightings", translate(super::sightings::VIEW, d))]),
        prior_findings: PRIOR_FINDINGS,
        findings: FINDINGS_CONTRACT,
        rules: exported,
        not_portable: RUST_RULES.to_vec(),
    };
    let path = out.join("rules.json");
    let text = serde_json::to_string_pretty(&catalog).expect("the catalog serializes") + "\n";
    std::fs::write(&path, text).map_err(|e| AnalysisError::Write { path, source: e })?;
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_dates_per_dialect() {
        let sql = "WHERE t - s <= INTERVAL '30 minutes' AND u <= interval '2 hours' GROUP BY CAST(timestamp AS DATE)";
        assert_eq!(
            translate(sql, Dialect::Spark),
            "WHERE t - s <= INTERVAL 30 MINUTES AND u <= INTERVAL 2 HOURS GROUP BY CAST(timestamp AS DATE)"
        );
        assert_eq!(
            translate(sql, Dialect::Trino),
            "WHERE t - s <= INTERVAL '30' MINUTE AND u <= INTERVAL '2' HOUR GROUP BY CAST(timestamp AT TIME ZONE 'UTC' AS DATE)"
        );
        assert_eq!(
            translate(sql, Dialect::Duckdb),
            "WHERE t - s <= INTERVAL '30 minutes' AND u <= INTERVAL '2 hours' GROUP BY CAST(timezone('UTC', timestamp) AS DATE)"
        );
        assert_eq!(translate("INTERVAL '1 second'", Dialect::Spark), "INTERVAL 1 SECONDS");
        assert_eq!(
            super::super::rule_file::tables_read(
                "SELECT 1 FROM attempts a JOIN events e ON 1=1 JOIN (SELECT * FROM attempts)"
            ),
            ["attempts", "events"]
        );
    }

    #[test]
    fn epochs_and_ordered_string_aggregates_per_dialect() {
        let sql = "SELECT EPOCH_US(s.first_seen) - epoch_us(login_at), STRING_AGG(DISTINCT f.u, ', ' ORDER BY f.u), STRING_AGG(a, ', ' ORDER BY seq)";
        assert_eq!(
            translate(sql, Dialect::Polars),
            "SELECT CAST(s.first_seen AS BIGINT) - CAST(login_at AS BIGINT), STRING_AGG(DISTINCT f.u, ', ' ORDER BY f.u), STRING_AGG(a, ', ' ORDER BY seq)"
        );
        assert_eq!(
            translate(sql, Dialect::Duckdb),
            "SELECT epoch_us(s.first_seen) - epoch_us(login_at), STRING_AGG(DISTINCT f.u, ', ' ORDER BY f.u), STRING_AGG(a, ', ' ORDER BY seq)"
        );
        assert_eq!(
            translate(sql, Dialect::Spark),
            "SELECT unix_micros(s.first_seen) - unix_micros(login_at), array_join(array_sort(collect_set(f.u)), ', '), \
             array_join(transform(array_sort(collect_list(struct(seq AS k, a AS v))), s -> s.v), ', ')"
        );
        assert_eq!(
            translate(sql, Dialect::Trino),
            "SELECT CAST(round(to_unixtime(s.first_seen) * 1000000) AS BIGINT) - CAST(round(to_unixtime(login_at) * 1000000) AS BIGINT), \
             array_join(array_sort(array_agg(DISTINCT f.u)), ', '), array_join(array_agg(a ORDER BY seq), ', ')"
        );
        assert_eq!(translate("CAST(n AS STRING)", Dialect::Trino), "CAST(n AS VARCHAR)");
        assert_eq!(translate("CAST(n AS STRING)", Dialect::Spark), "CAST(n AS STRING)");
        let first = "ARRAY_AGG(DISTINCT c ORDER BY c LIMIT 5), STRPOS(t, 'x')";
        assert_eq!(translate(first, Dialect::Polars), first);
        assert_eq!(translate(first, Dialect::Duckdb), "list_slice(list(DISTINCT c ORDER BY c), 1, 5), STRPOS(t, 'x')");
        assert_eq!(translate(first, Dialect::Spark), "slice(array_sort(collect_set(c)), 1, 5), instr(t, 'x')");
        assert_eq!(translate(first, Dialect::Trino), "slice(array_sort(array_agg(DISTINCT c)), 1, 5), STRPOS(t, 'x')");
        let other = "ARRAY_AGG(DISTINCT c ORDER BY d LIMIT 5)";
        assert_eq!(translate(other, Dialect::Spark), other, "only the form whose order is the value");
    }

    #[test]
    fn ordered_lists_and_finding_times_per_dialect() {
        let sql = "ARRAY_AGG(n ORDER BY ord), ARRAY_AGG(DISTINCT c ORDER BY c LIMIT 5), RFC3339(first_at)";
        assert_eq!(
            translate(sql, Dialect::Polars),
            "ARRAY_AGG(n ORDER BY ord), ARRAY_AGG(DISTINCT c ORDER BY c LIMIT 5), CASE WHEN CAST(first_at AS BIGINT) % 1000000 = 0 \
             THEN STRFTIME(first_at, '%Y-%m-%dT%H:%M:%SZ') ELSE STRFTIME(first_at, '%Y-%m-%dT%H:%M:%S%.6fZ') END"
        );
        assert_eq!(
            translate(sql, Dialect::Spark),
            "transform(array_sort(collect_list(struct(ord AS k, n AS v))), s -> s.v), slice(array_sort(collect_set(c)), 1, 5), \
             CASE WHEN unix_micros(first_at) % 1000000 = 0 THEN date_format(first_at, 'yyyy-MM-dd\\'T\\'HH:mm:ss\\'Z\\'') \
             ELSE date_format(first_at, 'yyyy-MM-dd\\'T\\'HH:mm:ss.SSSSSS\\'Z\\'') END"
        );
        assert_eq!(
            translate(sql, Dialect::Duckdb),
            "ARRAY_AGG(n ORDER BY ord), list_slice(list(DISTINCT c ORDER BY c), 1, 5), CASE WHEN epoch_us(first_at) % 1000000 = 0 \
             THEN strftime(first_at, '%Y-%m-%dT%H:%M:%SZ') ELSE strftime(first_at, '%Y-%m-%dT%H:%M:%S.%fZ') END"
        );
        assert!(translate(sql, Dialect::Trino)
            .contains("format_datetime(first_at AT TIME ZONE 'UTC', 'yyyy-MM-dd''T''HH:mm:ss''Z''')"));
        assert_eq!(
            super::super::rule_file::tables_read(
                "SELECT 1 FROM sightings s JOIN prior_findings p ON 1=1 JOIN events e ON 1=1"
            ),
            ["events", "prior_findings", "sightings"]
        );
    }

    /// The polars spelling of `RFC3339(…)` writes what findings write (`format_rfc3339`).
    #[test]
    fn finding_times_in_sql_are_the_findings_own() {
        use polars::prelude::*;
        let times = [0i64, 1_767_062_112_010_000, 1_765_336_325_000_000, -1_000_000, 1_765_336_325_000_001];
        let df = df!("t" => times.to_vec())
            .unwrap()
            .lazy()
            .select([col("t").cast(DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)))]);
        let ctx = polars::sql::SQLContext::new();
        ctx.register("x", df);
        let out = ctx
            .clone()
            .execute(&translate("SELECT RFC3339(t) AS s FROM x", Dialect::Polars))
            .unwrap()
            .collect()
            .unwrap();
        let got: Vec<String> = out.column("s").unwrap().str().unwrap().iter().map(|v| v.unwrap().to_string()).collect();
        let want: Vec<String> = times.iter().map(|&t| crate::parse::time::format_rfc3339(t)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn regexes_and_literals_per_dialect() {
        let sql = "WHERE REGEXP_LIKE(u, '\\.env|it''s') -- don't\nAND x = 'a\\b'";
        assert_eq!(translate(sql, Dialect::Polars), sql);
        assert_eq!(translate(sql, Dialect::Trino), sql);
        assert_eq!(translate(sql, Dialect::Duckdb), "WHERE regexp_matches(u, '\\.env|it''s') -- don't\nAND x = 'a\\b'");
        assert_eq!(
            translate(sql, Dialect::Spark),
            "WHERE REGEXP_LIKE(u, '\\\\.env|it\\'s') -- don't\nAND x = 'a\\\\b'"
        );
    }
}
