//! Writing query results for people and programs: an aligned terminal table (attacker text
//! stripped of control characters, long cells cut), CSV safe to open in a spreadsheet, and
//! JSON lines. Cell values come from polars `AnyValue`s.

use std::io::Write;

use polars::prelude::*;

use crate::parse::time::format_rfc3339;
use crate::sanitize;

/// A cell as text: timestamps as RFC 3339 UTC, nulls empty.
pub fn cell(v: &AnyValue<'_>) -> Option<String> {
    match v {
        AnyValue::Null => None,
        AnyValue::String(s) => Some(s.to_string()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        AnyValue::Datetime(t, unit, _) | AnyValue::DatetimeOwned(t, unit, _) => Some(format_rfc3339(match unit {
            TimeUnit::Nanoseconds => t / 1000,
            TimeUnit::Microseconds => *t,
            TimeUnit::Milliseconds => t * 1000,
        })),
        AnyValue::Binary(b) => Some(format!("<{} bytes>", b.len())),
        AnyValue::BinaryOwned(b) => Some(format!("<{} bytes>", b.len())),
        other => Some(other.to_string().trim_matches('"').to_string()),
    }
}

fn rows(df: &DataFrame) -> impl Iterator<Item = Vec<Option<String>>> + '_ {
    (0..df.height()).map(move |i| df.get(i).unwrap_or_default().iter().map(cell).collect())
}

/// Output formats of `query` (and `timeline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

pub fn write(df: &DataFrame, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Table => write_table(df, out, 60),
        Format::Csv => write_csv(df, out),
        Format::Json => write_jsonl(df, out),
    }
}

pub fn write_table(df: &DataFrame, out: &mut dyn Write, max_width: usize) -> std::io::Result<()> {
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let body: Vec<Vec<String>> = rows(df)
        .map(|r| {
            r.into_iter()
                .map(|c| {
                    let s = sanitize::terminal(c.as_deref().unwrap_or("")).into_owned();
                    if s.chars().count() > max_width {
                        s.chars().take(max_width - 1).collect::<String>() + "…"
                    } else {
                        s
                    }
                })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
    for r in &body {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String], out: &mut dyn Write| -> std::io::Result<()> {
        let parts: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        writeln!(out, "{}", parts.join("  ").trim_end())
    };
    line(&names, out)?;
    line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>(), out)?;
    for r in &body {
        line(r, out)?;
    }
    writeln!(out, "({} rows)", df.height())
}

pub fn write_csv(df: &DataFrame, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    w.write_record(&names)?;
    for r in rows(df) {
        w.write_record(r.iter().map(|c| sanitize::spreadsheet_cell(c.as_deref().unwrap_or("")).into_owned()))?;
    }
    w.flush()?;
    Ok(())
}

pub fn write_jsonl(df: &DataFrame, out: &mut dyn Write) -> std::io::Result<()> {
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    let dtypes: Vec<DataType> = df.dtypes();
    for i in 0..df.height() {
        let row = df.get(i).unwrap_or_default();
        let mut obj = serde_json::Map::new();
        for ((name, v), dt) in names.iter().zip(row.iter()).zip(&dtypes) {
            let value = match v {
                AnyValue::Null => serde_json::Value::Null,
                AnyValue::Boolean(b) => serde_json::Value::Bool(*b),
                _ if dt.is_integer() => {
                    cell(v).and_then(|s| s.parse::<i64>().ok()).map_or(serde_json::Value::Null, Into::into)
                }
                _ if dt.is_float() => {
                    cell(v).and_then(|s| s.parse::<f64>().ok()).map_or(serde_json::Value::Null, Into::into)
                }
                _ => cell(v).map_or(serde_json::Value::Null, serde_json::Value::String),
            };
            obj.insert(name.clone(), value);
        }
        writeln!(out, "{}", serde_json::Value::Object(obj))?;
    }
    Ok(())
}
