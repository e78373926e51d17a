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
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: output::Format,
}

pub fn run(args: QueryArgs) -> Result<i32, Exit> {
    let sql = match (&args.sql, &args.file) {
        (Some(s), _) => s.clone(),
        (None, Some(f)) => std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?,
        (None, None) => return Err(Exit { code: exit::USAGE, error: anyhow!("give a SQL statement or --file FILE") }),
    };
    let data = CaseData::open(&args.case)?;
    let df = data.sql("query", &sql)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    output::write(&df, args.format, &mut out)?;
    Ok(exit::OK)
}
