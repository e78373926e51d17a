//! From Sigma's taxonomy to the case's columns: which events a rule's `logsource` selects, and
//! which column (or expression over columns) each Sigma field names. The mapping is data,
//! `queries/sigma_mapping.toml` (documented there), replaceable with `--sigma-mapping FILE`.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use serde::Deserialize;

use super::rule::Logsource;
use crate::error::AnalysisError;
use crate::schema::{Kind, EVENT_COLUMNS};

/// The built-in mapping.
pub const DEFAULT: &str = include_str!("../../../queries/sigma_mapping.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    logsource: Vec<Entry>,
    #[serde(default)]
    fields: BTreeMap<String, BTreeMap<String, Spec>>,
}

/// One logsource of the mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    /// `events` (default) or `attempts` (the attempt ledger).
    #[serde(default = "events")]
    pub table: String,
    /// column → accepted values (any of them); every column must match.
    #[serde(default, rename = "where")]
    pub filter: BTreeMap<String, Vec<String>>,
    /// Input formats (the manifest's `format`) whose events the logsource covers.
    #[serde(default)]
    pub formats: Vec<String>,
    /// Where keywords (search values without a field) are searched.
    pub keywords: Option<String>,
    /// Field sets (the `[fields.NAME]` tables) in lookup order.
    #[serde(default)]
    pub fields: Vec<String>,
}

fn events() -> String {
    "events".into()
}

/// How one Sigma field is read, as written in the mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Spec {
    Column(String),
    Detailed(Detailed),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Detailed {
    column: Option<String>,
    list: Option<String>,
    index: Option<usize>,
    join: Option<Vec<String>>,
    sep: Option<String>,
    audit_field: Option<String>,
    #[serde(default)]
    audit_type: bool,
    extension: Option<String>,
    parent: Option<String>,
}

/// A Sigma field resolved to the case's data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Column(String),
    /// The `index`-th item of a list column (`a0` → `process_args[0]`).
    ListItem {
        column: String,
        index: usize,
    },
    /// Columns joined by `sep` where the later ones are present (`url_path?url_query`).
    Join {
        columns: Vec<String>,
        sep: String,
    },
    /// The first `NAME=value` of an audit event's records (`event_original`), quotes removed.
    AuditField(String),
    /// The record types of an audit event (`type=EXECVE`): matched against each record.
    AuditType,
    /// The file extension at the end of a path column (`/a/b.php` → `php`).
    Extension(String),
    /// A column of the parent process's start (`ParentImage` → the parent's
    /// `process_executable`): the latest `process.start` on the same host whose pid is the
    /// event's `process_parent_pid`, found before the pass runs ([`parent_columns`]).
    Parent(String),
}

impl Source {
    /// Whether it holds numbers (compared as numbers).
    pub fn numeric(&self) -> bool {
        match self {
            Source::Column(c) => {
                EVENT_COLUMNS.iter().any(|k| k.name == c && matches!(k.kind, Kind::I32 | Kind::I64))
                    || matches!(c.as_str(), "attempts")
            }
            _ => false,
        }
    }

    /// Its value as an expression (text for all but numeric columns).
    pub fn expr(&self) -> Expr {
        match self {
            Source::Column(c) if self.numeric() => col(c.as_str()),
            Source::Column(c) => col(c.as_str()).cast(DataType::String),
            Source::ListItem { column, index } => col(column.as_str()).list().get(lit(*index as i64), true),
            Source::Join { columns, sep } => {
                let mut e = col(columns[0].as_str()).cast(DataType::String);
                for c in &columns[1..] {
                    let part = col(c.as_str()).cast(DataType::String);
                    e = when(part.clone().is_null()).then(e.clone()).otherwise(concat_str(
                        [e, lit(sep.clone()), part],
                        "",
                        true,
                    ));
                }
                e
            }
            Source::AuditField(name) => col("event_original")
                .str()
                .extract(lit(format!(r#"(?:^|[\s\x1d]){}="?([^"\s\x1d]*)"#, regex::escape(name))), 1),
            Source::Extension(c) => col(c.as_str()).cast(DataType::String).str().extract(lit(r"\.([^./]+)$"), 1),
            Source::Parent(c) => col(parent_name(c)),
            // Matched specially (see compile); as a value, the first record's type.
            Source::AuditType => {
                col("event_original").str().extract(lit(r"(?:^|\n)(?:node=\S+ )?type=([A-Z_0-9]+)"), 1)
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Source::Column(c) => c.clone(),
            Source::ListItem { column, index } => format!("{column}[{index}]"),
            Source::Join { columns, sep } => columns.join(&format!(" {sep} ")),
            Source::AuditField(n) => format!("audit {n}="),
            Source::AuditType => "audit record type".into(),
            Source::Extension(c) => format!("extension of {c}"),
            Source::Parent(c) => format!("parent's {c}"),
        }
    }
}

/// The pass column holding the parent process's `column`.
pub fn parent_name(column: &str) -> String {
    format!("__parent_{column}")
}

/// Adds to `df` (the events of a pass) each `columns`' value of the event's parent process: the
/// latest `process.start` on the same host, at or before the event, whose `process_pid` is the
/// event's `process_parent_pid` (null when the parent's start was not logged).
pub fn parent_columns(df: &mut DataFrame, columns: &[String]) -> PolarsResult<()> {
    use std::collections::HashMap;
    fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
        Ok(df.column(name)?.cast(&DataType::String)?.str()?.iter().map(|v| v.map(str::to_string)).collect())
    }
    fn ints(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
        Ok(df.column(name)?.cast(&DataType::Int64)?.i64()?.iter().collect())
    }
    let host = strs(df, "host_name")?;
    let action = strs(df, "event_action")?;
    let pid = ints(df, "process_pid")?;
    let ppid = ints(df, "process_parent_pid")?;
    let ts = ints(df, "timestamp")?;
    // (host, pid) → the process starts with that pid: (time, row).
    type Starts<'a> = HashMap<(Option<&'a str>, i64), Vec<(i64, usize)>>;
    let mut starts: Starts<'_> = HashMap::new();
    for i in 0..df.height() {
        if let (Some("process.start"), Some(p)) = (action[i].as_deref(), pid[i]) {
            starts.entry((host[i].as_deref(), p)).or_default().push((ts[i].unwrap_or(0), i));
        }
    }
    for v in starts.values_mut() {
        v.sort();
    }
    let parent: Vec<Option<usize>> = (0..df.height())
        .map(|i| {
            let list = starts.get(&(host[i].as_deref(), ppid[i]?))?;
            let t = ts[i].unwrap_or(0);
            let n = list.partition_point(|(s, _)| *s <= t);
            list[..n].iter().rev().map(|(_, j)| *j).find(|j| *j != i)
        })
        .collect();
    for c in columns {
        let values = strs(df, c)?;
        let out: Vec<Option<String>> = parent.iter().map(|p| p.and_then(|j| values[j].clone())).collect();
        df.with_column(Column::new(parent_name(c).into(), out))?;
    }
    Ok(())
}

/// Whether the case has a column of that name (the partition column included).
fn is_column(c: &str) -> bool {
    c == crate::schema::EVENT_PARTITION || EVENT_COLUMNS.iter().any(|k| k.name == c)
}

/// A loaded mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub entries: Vec<Entry>,
    fields: BTreeMap<String, BTreeMap<String, Source>>,
    /// Where it came from (`built-in` or the file), for the report.
    pub origin: String,
}

fn source(set: &str, field: &str, spec: &Spec) -> Result<Source, String> {
    let known = |c: &str| -> Result<String, String> {
        if is_column(c) || c == "attempts" {
            Ok(c.to_string())
        } else {
            Err(format!("[fields.{set}] {field}: '{c}' is not a column of the case"))
        }
    };
    Ok(match spec {
        Spec::Column(c) => Source::Column(known(c)?),
        Spec::Detailed(d) => match d {
            Detailed { column: Some(c), .. } => Source::Column(known(c)?),
            Detailed { list: Some(l), index: Some(i), .. } => Source::ListItem { column: known(l)?, index: *i },
            Detailed { join: Some(cols), .. } if !cols.is_empty() => Source::Join {
                columns: cols.iter().map(|c| known(c)).collect::<Result<_, _>>()?,
                sep: d.sep.clone().unwrap_or_default(),
            },
            Detailed { audit_field: Some(n), .. } => Source::AuditField(n.clone()),
            Detailed { audit_type: true, .. } => Source::AuditType,
            Detailed { extension: Some(c), .. } => Source::Extension(known(c)?),
            Detailed { parent: Some(c), .. } => Source::Parent(known(c)?),
            _ => {
                return Err(format!(
                "[fields.{set}] {field}: give a column, list+index, join, audit_field, audit_type, extension or parent"
            ))
            }
        },
    })
}

impl Mapping {
    pub fn parse(text: &str, origin: &str) -> Result<Mapping, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut fields = BTreeMap::new();
        for (set, map) in &file.fields {
            let mut resolved = BTreeMap::new();
            for (f, spec) in map {
                resolved.insert(f.clone(), source(set, f, spec)?);
            }
            fields.insert(set.clone(), resolved);
        }
        for e in &file.logsource {
            for set in &e.fields {
                if !fields.contains_key(set) {
                    return Err(format!("logsource '{}': no [fields.{set}] table", e.name));
                }
            }
            for c in e.filter.keys().chain(e.keywords.iter()) {
                if !is_column(c) {
                    return Err(format!("logsource '{}': '{c}' is not a column of the case", e.name));
                }
            }
            if !matches!(e.table.as_str(), "events" | "attempts") {
                return Err(format!("logsource '{}': table must be 'events' or 'attempts'", e.name));
            }
        }
        Ok(Mapping { entries: file.logsource, fields, origin: origin.to_string() })
    }

    /// The built-in mapping, or the file given.
    pub fn load(path: Option<&Path>) -> Result<Mapping, AnalysisError> {
        match path {
            None => Mapping::parse(DEFAULT, "built-in (queries/sigma_mapping.toml)")
                .map_err(|e| AnalysisError::Invalid(format!("built-in Sigma mapping: {e}"))),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| AnalysisError::Config { path: p.to_path_buf(), msg: e.to_string() })?;
                Mapping::parse(&text, &p.display().to_string())
                    .map_err(|msg| AnalysisError::Config { path: p.to_path_buf(), msg })
            }
        }
    }

    /// The entry for a rule's logsource: the one naming exactly the same product, category and
    /// service (case-insensitive).
    pub fn logsource(&self, ls: &Logsource) -> Option<&Entry> {
        let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
        self.entries
            .iter()
            .find(|e| same(&e.product, &ls.product) && same(&e.category, &ls.category) && same(&e.service, &ls.service))
    }

    /// A Sigma field of a logsource: exact name first, then without regard to case.
    pub fn field(&self, entry: &Entry, name: &str) -> Option<Source> {
        let sets = || entry.fields.iter().filter_map(|s| self.fields.get(s));
        sets()
            .find_map(|m| m.get(name))
            .or_else(|| sets().find_map(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)))
            .cloned()
    }
}

impl Entry {
    /// The events of its pass: the `event_module` partitions (read only those) and formats,
    /// given the case's input files of each format.
    pub fn pass_filter(&self, files_of: &dyn Fn(&str) -> Vec<String>) -> Expr {
        let mut e = lit(true);
        if let Some(values) = self.filter.get(crate::schema::EVENT_PARTITION) {
            e = e.and(crate::query::one_of(col(crate::schema::EVENT_PARTITION), values.iter().map(String::as_str)));
        }
        if !self.formats.is_empty() {
            let files: Vec<String> = self.formats.iter().flat_map(|f| files_of(f)).collect();
            e = e.and(crate::query::one_of(col("log_file_path"), files.iter().map(String::as_str)));
        }
        e
    }

    /// The rest of its `where`: what each of its rules checks within the pass.
    pub fn rule_filter(&self) -> Expr {
        let mut e = lit(true);
        for (c, values) in self.filter.iter().filter(|(c, _)| c.as_str() != crate::schema::EVENT_PARTITION) {
            e = e.and(crate::query::one_of(col(c.as_str()), values.iter().map(String::as_str)).fill_null(lit(false)));
        }
        e
    }

    /// Rules whose entries share this key read the same events (table, partitions, formats)
    /// and share a pass.
    pub fn pass_key(&self) -> String {
        // Without partitions to narrow by, only entries with the same filter share a pass (else
        // a web rule and a process rule would read every event of the case).
        match self.filter.get(crate::schema::EVENT_PARTITION) {
            Some(modules) => format!("{}|{modules:?}|{:?}", self.table, self.formats),
            None => format!("{}|{:?}|{:?}", self.table, self.filter, self.formats),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_mapping_loads_and_resolves_the_taxonomy() {
        let m = Mapping::load(None).unwrap();
        let web = m.logsource(&Logsource { category: Some("webserver".into()), ..Default::default() }).unwrap();
        assert_eq!(m.field(web, "cs-method"), Some(Source::Column("http_request_method".into())));
        assert_eq!(m.field(web, "CS-METHOD"), Some(Source::Column("http_request_method".into())));
        assert!(m.field(web, "Image").is_none());
        let audit = m
            .logsource(&Logsource {
                product: Some("linux".into()),
                service: Some("auditd".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(m.field(audit, "a1"), Some(Source::ListItem { column: "process_args".into(), index: 1 }));
        assert_eq!(m.field(audit, "type"), Some(Source::AuditType));
        // A logsource is matched as a whole: linux + sshd is not linux alone.
        let sshd = m
            .logsource(&Logsource { product: Some("linux".into()), service: Some("sshd".into()), ..Default::default() })
            .unwrap();
        assert_ne!(sshd.name, "linux");
        assert!(m.logsource(&Logsource { product: Some("windows".into()), ..Default::default() }).is_none());
    }

    #[test]
    fn a_bad_mapping_names_what_is_wrong() {
        let e = Mapping::parse("[[logsource]]\nname='x'\nfields=['nope']\n", "t").unwrap_err();
        assert!(e.contains("[fields.nope]"), "{e}");
        let e = Mapping::parse("[[logsource]]\nname='x'\n[fields.a]\nImage='no_such_column'\n", "t").unwrap_err();
        assert!(e.contains("no_such_column"), "{e}");
    }
}
