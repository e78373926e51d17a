//! `logsleuth export --case DIR --format ecs-ndjson -o FILE [--findings]`: the case's events (or
//! findings) as an Elasticsearch/OpenSearch `_bulk` body in ECS.

use std::io::Write;
use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::{exit, Exit};
use crate::detect::finding::FindingsDoc;
use crate::export::ecs::{self, Mapping};
use crate::sanitize;
use crate::store::case::Case;

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// An Elasticsearch/OpenSearch `_bulk` body (NDJSON): an action line and an ECS document
    /// per event or finding.
    #[value(name = "ecs-ndjson")]
    EcsNdjson,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Case directory.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The file to write (replaced atomically); `-` writes to stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,
    /// Export the findings of `findings.json` (as `event.kind: alert`) instead of the events.
    #[arg(long)]
    pub findings: bool,
    /// The index each action names (default: logsleuth-events, or logsleuth-findings).
    #[arg(long, value_name = "NAME")]
    pub index: Option<String>,
    /// A column-to-ECS mapping replacing the shipped one (the format of queries/ecs_mapping.toml).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
}

fn usage(msg: String) -> Exit {
    Exit { code: exit::USAGE, error: anyhow!(msg) }
}

pub fn run(args: ExportArgs) -> Result<i32, Exit> {
    let ExportFormat::EcsNdjson = args.format;
    let mapping = match &args.mapping {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| usage(format!("{}: {e}", p.display())))?;
            Mapping::parse(&text, p).map_err(|e| Exit { code: exit::USAGE, error: e.into() })?
        }
        None => Mapping::builtin(),
    };
    let index = args
        .index
        .clone()
        .unwrap_or_else(|| if args.findings { "logsleuth-findings" } else { "logsleuth-events" }.into());
    if index.is_empty() || index.chars().any(|c| c.is_ascii_uppercase() || "\\/*?\"<>| ,#".contains(c)) {
        return Err(usage(format!("--index {index:?}: an index name is lower case, without spaces or \\/*?\"<>|,#")));
    }
    let case = Case::open_for_read(&args.case).map_err(|e| Exit { code: exit::USAGE, error: e.into() })?;
    let findings = if args.findings {
        let path = case.dir.join(crate::store::files::FINDINGS_JSON);
        match FindingsDoc::load_if_present(&path)? {
            Some(doc) => Some(doc),
            None => {
                return Err(usage(format!(
                    "no findings yet: run `logsleuth detect --case {}` first",
                    args.case.display()
                )))
            }
        }
    } else {
        None
    };
    let write = |out: &mut dyn Write| match &findings {
        Some(doc) => ecs::write_findings(doc, &mapping, &index, out),
        None => ecs::write_events(&case, &mapping, &index, out),
    };
    let shown = sanitize::terminal(&args.output.display().to_string()).into_owned();
    let written = if args.output.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
        write(&mut out)?
    } else {
        // A temporary file beside the output, renamed at the end: never half an export.
        let name = args.output.file_name().ok_or_else(|| usage(format!("-o {shown}: not a file name")))?;
        let tmp = args.output.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
        let file = std::fs::File::create(&tmp).map_err(|e| anyhow!("{shown}: {e}"))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let written = write(&mut out).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })?;
        drop(out);
        std::fs::rename(&tmp, &args.output).map_err(|e| anyhow!("{shown}: {e}"))?;
        written
    };
    let what = if args.findings { "findings" } else { "events" };
    if args.output.as_os_str() != "-" {
        println!(
            "{} {what} written to {shown} as an ECS bulk body for index {index} ({} Parquet parts read); load it with: curl -H 'Content-Type: application/x-ndjson' -XPOST 'http://HOST:9200/_bulk' --data-binary @{shown}",
            written.documents, written.parts
        );
    } else {
        eprintln!("{} {what} written as an ECS bulk body for index {index}", written.documents);
    }
    Ok(exit::OK)
}
