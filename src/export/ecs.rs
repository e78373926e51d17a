//! `logsleuth export --format ecs-ndjson`: the case as an Elasticsearch/OpenSearch `_bulk`
//! body, one action line (`{"index":{"_index":…,"_id":…}}`) and one document line per event or
//! finding, each line ending in `\n` (the last one too), as the bulk API documents it.
//!
//! Flat columns become nested ECS objects by the mapping (`source_ip` → `source.ip`);
//! `@timestamp` is RFC 3339 in UTC. A column the mapping does not name goes under
//! `logsleuth.<column>`, so nothing is lost. Events stream a Parquet part at a time and a batch
//! of rows at a time, so memory stays flat whatever the case's size. Document ids are derived
//! from provenance (an event: its file and line; a finding: its id), so loading the same export
//! twice replaces documents instead of doubling them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type, Int64Type, TimestampMicrosecondType};
use base64::Engine;
use rayon::prelude::*;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::detect::finding::FindingsDoc;
use crate::error::AnalysisError;
use crate::parse::time::format_rfc3339;
use crate::schema::{self, EVENT_COLUMNS, EVENT_PARTITION};
use crate::store::case::Case;

/// The mapping shipped with logsleuth.
pub const DEFAULT_MAPPING: &str = include_str!("../../queries/ecs_mapping.toml");
/// The ECS version whose field names the default mapping uses.
pub const ECS_VERSION: &str = "8.11.0";
/// Rows read from a Parquet part at a time.
const BATCH_ROWS: usize = 8192;

/// Where each column goes: a dotted ECS name split into its parts.
#[derive(Debug, Clone)]
pub struct Mapping {
    events: BTreeMap<String, Vec<String>>,
    findings: BTreeMap<String, Vec<String>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    events: BTreeMap<String, String>,
    findings: BTreeMap<String, String>,
}

/// The keys of a finding in `findings.json`.
const FINDING_KEYS: &[&str] = &[
    "id",
    "rule",
    "severity",
    "title",
    "host_name",
    "source_ip",
    "user_name",
    "first_seen",
    "last_seen",
    "count",
    "details",
    "evidence",
    "noise",
    "noise_summary",
    "suppressed",
    "incident",
];

impl Mapping {
    /// Reads a mapping (`origin` names it in errors). Every column must exist, and no name may
    /// be both a value and an object (`a.b` and `a.b.c`).
    pub fn parse(text: &str, origin: &Path) -> Result<Mapping, AnalysisError> {
        let err = |msg: String| AnalysisError::Config { path: origin.to_path_buf(), msg };
        let file: MappingFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let columns: Vec<&str> = EVENT_COLUMNS.iter().map(|c| c.name).chain(std::iter::once(EVENT_PARTITION)).collect();
        let split = |table: &str, m: BTreeMap<String, String>, known: &[&str]| {
            let mut out = BTreeMap::new();
            for (col, name) in m {
                if !known.contains(&col.as_str()) {
                    return Err(err(format!("[{table}] {col}: no such column (known: {})", known.join(", "))));
                }
                let parts: Vec<String> = name.split('.').map(str::to_string).collect();
                if name.starts_with("logsleuth.") || parts.iter().any(|p| p.is_empty()) {
                    return Err(err(format!("[{table}] {col} = {name:?}: not a dotted name outside `logsleuth.`")));
                }
                out.insert(col, parts);
            }
            check_prefixes(table, &out).map_err(err)?;
            Ok(out)
        };
        Ok(Mapping {
            events: split("events", file.events, &columns)?,
            findings: split("findings", file.findings, FINDING_KEYS)?,
        })
    }

    /// The mapping shipped with logsleuth (`queries/ecs_mapping.toml`).
    pub fn builtin() -> Mapping {
        Mapping::parse(DEFAULT_MAPPING, Path::new("queries/ecs_mapping.toml")).expect("the shipped mapping is valid")
    }

    fn event_path(&self, column: &str) -> Vec<String> {
        self.events.get(column).cloned().unwrap_or_else(|| vec!["logsleuth".into(), column.into()])
    }

    fn finding_path(&self, key: &str) -> Vec<String> {
        self.findings.get(key).cloned().unwrap_or_else(|| vec!["logsleuth".into(), key.into()])
    }
}

/// No mapped name is a prefix of another (a value cannot also be an object).
fn check_prefixes(table: &str, m: &BTreeMap<String, Vec<String>>) -> Result<(), String> {
    for (a, pa) in m {
        for (b, pb) in m {
            if a != b && pb.len() >= pa.len() && pb[..pa.len()] == pa[..] {
                return Err(format!(
                    "[{table}] {a} = {:?} and {b} = {:?}: one name cannot be both a value and an object",
                    pa.join("."),
                    pb.join(".")
                ));
            }
        }
    }
    Ok(())
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub documents: u64,
    pub parts: usize,
}

/// Puts `v` at `path` in `doc`, making the objects on the way.
fn insert(doc: &mut Map<String, Value>, path: &[String], v: Value) {
    let (last, dirs) = path.split_last().expect("a mapped name has a part");
    let mut at = doc;
    for d in dirs {
        let slot = at.entry(d.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        at = slot.as_object_mut().expect("an object was just made");
    }
    at.insert(last.clone(), v);
}

fn action(index: &str, id: &str) -> String {
    serde_json::json!({ "index": { "_index": index, "_id": id } }).to_string()
}

/// The value of row `i` of `a` as JSON (`None` for null).
fn cell(a: &ArrayRef, i: usize) -> Option<Value> {
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Timestamp(_, _) => format_rfc3339(a.as_primitive::<TimestampMicrosecondType>().value(i)).into(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).into(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).into(),
        DataType::Utf8 => a.as_string::<i32>().value(i).into(),
        DataType::Binary => base64::engine::general_purpose::STANDARD.encode(a.as_binary::<i32>().value(i)).into(),
        DataType::List(_) => {
            let items = a.as_list::<i32>().value(i);
            let s = items.as_string::<i32>();
            Value::Array((0..s.len()).map(|j| if s.is_null(j) { Value::Null } else { s.value(j).into() }).collect())
        }
        other => format!("{other:?}").into(),
    })
}

/// A batch's columns (name, ECS path, values) in the event schema's types (a part written by
/// another writer may use large or view strings); columns the schema does not know as text.
fn columns(
    batch: &RecordBatch,
    m: &Mapping,
    part: &Path,
) -> Result<Vec<(String, Vec<String>, ArrayRef)>, AnalysisError> {
    let schema = schema::event_schema();
    let mut out = Vec::with_capacity(batch.num_columns());
    for (f, a) in batch.schema().fields().iter().zip(batch.columns()) {
        let target = schema.field_with_name(f.name()).map(|t| t.data_type().clone()).unwrap_or(DataType::Utf8);
        let a = if a.data_type() == &target {
            a.clone()
        } else {
            arrow::compute::cast(a, &target).map_err(|e| AnalysisError::Case {
                path: part.to_path_buf(),
                msg: format!("column {}: {e}", f.name()),
            })?
        };
        out.push((f.name().clone(), m.event_path(f.name()), a));
    }
    Ok(out)
}

/// The `_id` of an event: its provenance (file, line, the source's record id), hashed.
fn event_id(doc_file: Option<&str>, line: Option<i64>, record: Option<&str>) -> String {
    let mut h = Sha256::new();
    h.update(doc_file.unwrap_or_default().as_bytes());
    h.update([0]);
    h.update(line.unwrap_or_default().to_le_bytes());
    h.update([0]);
    h.update(record.unwrap_or_default().as_bytes());
    hex::encode(&h.finalize()[..20])
}

/// The bulk lines (action, document) of `rows` of a batch whose columns are `cols`;
/// `prov` holds its log_file_path, log_line and log_record_id columns for the ids.
fn rows_text(
    rows: &[usize],
    cols: &[(String, Vec<String>, ArrayRef)],
    prov: &[Option<ArrayRef>; 3],
    module_path: &[String],
    module: Option<&str>,
    index: &str,
) -> String {
    let mut text = String::with_capacity(rows.len() * 700);
    for &i in rows {
        let mut doc = Map::new();
        for (_, p, a) in cols {
            if let Some(v) = cell(a, i) {
                insert(&mut doc, p, v);
            }
        }
        if let Some(module) = module {
            insert(&mut doc, module_path, module.into());
        }
        insert(&mut doc, &["event".into(), "kind".into()], "event".into());
        insert(&mut doc, &["ecs".into(), "version".into()], ECS_VERSION.into());
        let s = |a: &Option<ArrayRef>| a.as_ref().and_then(|a| cell(a, i));
        let (f, l, r) = (s(&prov[0]), s(&prov[1]), s(&prov[2]));
        let id = event_id(
            f.as_ref().and_then(Value::as_str),
            l.as_ref().and_then(Value::as_i64),
            r.as_ref().and_then(Value::as_str),
        );
        text += &action(index, &id);
        text.push('\n');
        text += &Value::Object(doc).to_string();
        text.push('\n');
    }
    text
}

/// Writes every event of the case as a bulk body to `out`, part by part.
pub fn write_events(case: &Case, m: &Mapping, index: &str, out: &mut dyn Write) -> Result<Written, AnalysisError> {
    let mut written = Written::default();
    let module_path = m.event_path(EVENT_PARTITION);
    let wr = |e: std::io::Error| AnalysisError::Write { path: "the export".into(), source: e };
    for rel in case.parts("events") {
        let path = case.dir.join(&rel);
        let module =
            rel.split(['/', '\\']).find_map(|c| c.strip_prefix(&format!("{EVENT_PARTITION}="))).map(str::to_string);
        let bad = |msg: String| AnalysisError::Case { path: path.clone(), msg };
        let file = std::fs::File::open(&path).map_err(|e| bad(e.to_string()))?;
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| bad(format!("{e}; the part is damaged: `logsleuth verify --case DIR` tells which")))?
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| bad(e.to_string()))?;
        for batch in reader {
            let batch = batch.map_err(|e| bad(e.to_string()))?;
            let cols = columns(&batch, m, &path)?;
            // Provenance in the schema's types too (a part from another writer may hold large
            // strings, which `cell` would not read).
            let find = |name: &str| cols.iter().find(|(n, _, _)| n == name).map(|(_, _, a)| a.clone());
            let prov = [find("log_file_path"), find("log_line"), find("log_record_id")];
            // Rows are turned into JSON in parallel slices, written in their order.
            let texts: Vec<String> = (0..batch.num_rows())
                .collect::<Vec<_>>()
                .par_chunks(1024)
                .map(|rows| rows_text(rows, &cols, &prov, &module_path, module.as_deref(), index))
                .collect();
            written.documents += batch.num_rows() as u64;
            for text in texts {
                out.write_all(text.as_bytes()).map_err(wr)?;
            }
        }
        written.parts += 1;
    }
    out.flush().map_err(wr)?;
    Ok(written)
}

/// ECS `event.severity` as a number: Elastic's risk scores for its own rule severities.
fn severity_number(s: &str) -> i64 {
    match s {
        "critical" => 99,
        "high" => 73,
        "medium" => 47,
        _ => 21,
    }
}

/// Writes every finding of `doc` as a bulk body (`event.kind: alert`). `details` is written as
/// JSON text: its shape differs from rule to rule, and one key with two types would be refused by
/// a dynamic mapping.
pub fn write_findings(
    doc: &FindingsDoc,
    m: &Mapping,
    index: &str,
    out: &mut dyn Write,
) -> Result<Written, AnalysisError> {
    let mut text = String::new();
    for f in &doc.findings {
        let v = serde_json::to_value(f).expect("a finding serializes");
        let mut d = Map::new();
        for (k, v) in v.as_object().expect("a finding is an object") {
            if v.is_null() {
                continue;
            }
            let v = if k == "details" { Value::String(v.to_string()) } else { v.clone() };
            insert(&mut d, &m.finding_path(k), v);
        }
        insert(&mut d, &["event".into(), "kind".into()], "alert".into());
        insert(&mut d, &["event".into(), "severity".into()], severity_number(f.severity.as_str()).into());
        insert(&mut d, &["event".into(), "start".into()], f.first_seen.clone().into());
        insert(&mut d, &["ecs".into(), "version".into()], ECS_VERSION.into());
        text += &action(index, &f.id);
        text.push('\n');
        text += &Value::Object(d).to_string();
        text.push('\n');
    }
    let wr = |e: std::io::Error| AnalysisError::Write { path: "the export".into(), source: e };
    out.write_all(text.as_bytes()).map_err(wr)?;
    out.flush().map_err(wr)?;
    Ok(Written { documents: doc.findings.len() as u64, parts: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_mapping_names_real_columns_without_conflicts() {
        let m = Mapping::builtin();
        assert_eq!(m.event_path("source_ip"), ["source", "ip"]);
        assert_eq!(m.event_path("timestamp"), ["@timestamp"]);
        assert_eq!(m.event_path("year_source"), ["logsleuth", "year_source"], "unmapped: kept under logsleuth");
        let bad = "[events]\nsource_ipp = \"source.ip\"\n[findings]\n";
        let e = Mapping::parse(bad, Path::new("m.toml")).unwrap_err().to_string();
        assert!(e.contains("source_ipp: no such column"), "{e}");
        let clash = "[events]\nsource_ip = \"source\"\nsource_port = \"source.port\"\n[findings]\n";
        let e = Mapping::parse(clash, Path::new("m.toml")).unwrap_err().to_string();
        assert!(e.contains("both a value and an object"), "{e}");
    }

    #[test]
    fn dotted_names_nest() {
        let mut d = Map::new();
        insert(&mut d, &["source".into(), "ip".into()], "192.0.2.7".into());
        insert(&mut d, &["source".into(), "port".into()], 22.into());
        insert(&mut d, &["@timestamp".into()], "2026-01-05T14:10:05Z".into());
        assert_eq!(
            Value::Object(d).to_string(),
            r#"{"source":{"ip":"192.0.2.7","port":22},"@timestamp":"2026-01-05T14:10:05Z"}"#
        );
        assert_ne!(event_id(Some("a.log"), Some(1), None), event_id(Some("a.log"), Some(2), None));
        assert_eq!(event_id(Some("a.log"), Some(1), None).len(), 40);
    }
}
