//! `logsleuth query --case DIR "SELECT …"` (or `--file q.sql`): ad-hoc SQL over the case.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Args;

use super::{exit, Exit};
use crate::query::{output, CaseData};

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Case directory.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
    /// A read-only SELECT in polars' SQL dialect (not DuckDB's: see the README) over the tables
    /// events, rejects, inputs, attempts, and after detect findings and correlations; `-` reads
    /// it from stdin.
    #[arg(conflicts_with = "file")]
    pub sql: Option<String>,
    /// Read the SQL from a file.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Output format (`line`: one `column = value` per field, records apart; `json`: one JSON
    /// array; `jsonl`: one JSON object per line).
    #[arg(long, value_enum, default_value = "table")]
    pub format: output::Format,
    /// Longest text shown of a cell (table and line formats).
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub max_width: usize,
    /// Wrap long cells and show their line breaks instead of cutting them.
    #[arg(long)]
    pub wrap: bool,
}

fn usage(msg: String) -> Exit {
    Exit { code: exit::USAGE, error: anyhow!(msg) }
}

/// Refuses anything but read-only queries (the case is evidence: `DROP TABLE events` must not
/// look as if it did something). Returns the parsed statements for naming the result's
/// columns; `None` when sqlparser cannot read them (polars then names what it does not know).
fn read_only(sql: &str) -> Result<Option<Vec<sqlparser::ast::Statement>>, Exit> {
    use sqlparser::ast::Statement;
    if sql.trim().is_empty() {
        return Err(usage("the SQL statement is empty".into()));
    }
    let Ok(statements) = sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::GenericDialect {}, sql) else {
        return Ok(None);
    };
    for st in &statements {
        if !matches!(st, Statement::Query(_) | Statement::Explain { .. }) {
            let kind = st.to_string().split_whitespace().take(2).collect::<Vec<_>>().join(" ");
            return Err(usage(format!("query runs read-only SELECT statements; `{kind} …` is refused")));
        }
    }
    Ok(Some(statements))
}

/// The SQL's error as a reader can act on it.
fn explain(e: crate::error::AnalysisError, case: &std::path::Path) -> Exit {
    let msg = match &e {
        crate::error::AnalysisError::Query { source, .. } => source.to_string(),
        _ => return Exit::from(e),
    };
    for table in ["findings", "correlations"] {
        if msg.contains(&format!("'{table}' was not found")) {
            return Exit {
                code: exit::FAILURE,
                error: anyhow!(
                    "the table {table} exists after detection: run `logsleuth detect --case {}` first",
                    case.display()
                ),
            };
        }
    }
    Exit {
        code: exit::FAILURE,
        error: anyhow!("the SQL failed: {msg} (logsleuth runs polars' SQL dialect; see the README for how it differs from DuckDB's)"),
    }
}

pub fn run(args: QueryArgs) -> Result<i32, Exit> {
    let sql = match (&args.sql, &args.file) {
        (Some(s), _) if s == "-" => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("reading the SQL from stdin")?;
            text
        }
        (Some(s), _) => s.clone(),
        (None, Some(f)) => std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?,
        (None, None) => return Err(usage("give a SQL statement, - for stdin, or --file FILE".into())),
    };
    let statements = read_only(&sql)?;
    let data = CaseData::open(&args.case)?;
    let mut df = data.sql("query", &sql).map_err(|e| explain(e, &args.case))?;
    if let Some(statements) = &statements {
        output::sql_names(statements, &mut df);
    }
    let cells = output::Cells { max_width: args.max_width.max(2), wrap: args.wrap };
    // A long result for a person at a terminal goes through the pager, like `timeline`.
    let for_person = matches!(args.format, output::Format::Table | output::Format::Line);
    let mut pager = if for_person && df.height() > 40 { super::pager() } else { None };
    match pager.as_mut().and_then(|p| p.stdin.take()) {
        Some(stdin) => {
            let mut out = std::io::BufWriter::new(stdin);
            // The reader may quit the pager early: a broken pipe is not an error then.
            let _ = output::write(&df, args.format, cells, &mut out).and_then(|_| std::io::Write::flush(&mut out));
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            output::write(&df, args.format, cells, &mut out)?;
        }
    }
    if let Some(mut p) = pager {
        let _ = p.wait();
    }
    Ok(exit::OK)
}
