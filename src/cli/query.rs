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
    /// SQL over the tables `events`, `rejects` and `inputs`.
    #[arg(conflicts_with = "file")]
    pub sql: Option<String>,
    /// Read the SQL from a file.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Output format (`line`: one `column = value` per field, records apart).
    #[arg(long, value_enum, default_value = "table")]
    pub format: output::Format,
    /// Longest text shown of a cell (table and line formats).
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub max_width: usize,
    /// Wrap long cells and show their line breaks instead of cutting them.
    #[arg(long)]
    pub wrap: bool,
}

pub fn run(args: QueryArgs) -> Result<i32, Exit> {
    let sql = match (&args.sql, &args.file) {
        (Some(s), _) => s.clone(),
        (None, Some(f)) => std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?,
        (None, None) => return Err(Exit { code: exit::USAGE, error: anyhow!("give a SQL statement or --file FILE") }),
    };
    let data = CaseData::open(&args.case)?;
    let mut df = data.sql("query", &sql)?;
    output::sql_names(&sql, &mut df);
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
