//! `logsleuth ingest PATH... --case DIR`

use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::{exit, Exit};
use crate::ingest::clock::TzArg;
use crate::ingest::{self, discover::Symlinks, IngestOptions, IngestSummary};
use crate::parse;
use crate::sanitize;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Evidence files or folders (walked recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Case directory to create or add to.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub run: RunFlags,
}

/// How an ingest runs; shared by `ingest` and `run`.
#[derive(Debug, Args, Clone)]
pub struct RunFlags {
    /// Re-ingest everything, replacing the case's dataset (default: skip files already ingested).
    #[arg(long)]
    pub force: bool,
    /// Exit non-zero (4) when any input is damaged.
    #[arg(long)]
    pub strict: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// How to read evidence; shared by `ingest` and `run`.
#[derive(Debug, Args, Clone)]
pub struct ReadArgs {
    /// Force a format instead of sniffing content (see `logsleuth formats`).
    #[arg(long, value_name = "ID", value_parser = parse_format)]
    pub format: Option<&'static dyn parse::FormatSpec>,
    /// Year for syslog lines that carry none (default: inferred from mtime and rotation order).
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(i64).range(1970..=9999))]
    pub year: Option<i64>,
    /// Zone of timestamps that carry none: UTC, +HH:MM, or an IANA name like Europe/Berlin;
    /// `HOST=ZONE` for one host (repeatable). Default: each host's own `etc/localtime` or
    /// `etc/timezone` in the evidence tree, else UTC.
    #[arg(long, value_name = "[HOST=]ZONE", value_parser = TzArg::parse)]
    pub tz: Vec<TzArg>,
    /// Host name for every input (default: from the `HOST/var/log/…` layout or the lines).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Follow symlinks that point outside the evidence tree.
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Name files relative to DIR (default: a single folder given, else the deepest folder
    /// holding every input). Sharded ingest gives the evidence root, so that `merge` puts the
    /// shards' files under the paths one ingest of the whole tree would give.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

fn parse_format(s: &str) -> Result<&'static dyn parse::FormatSpec, String> {
    parse::format_by_id(s).ok_or_else(|| {
        let ids: Vec<_> = parse::FORMATS.iter().map(|f| f.id()).collect();
        format!("unknown format {s:?}; one of: {}", ids.join(", "))
    })
}

/// The command line as typed, for the manifest.
pub fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn options(a: &IngestArgs) -> IngestOptions {
    let read = &a.read;
    IngestOptions {
        inputs: a.paths.clone(),
        case_dir: a.case.clone(),
        format: read.format,
        year: read.year,
        tz: read.tz.clone(),
        host: read.host.clone(),
        symlinks: if read.follow_symlinks { Symlinks::Follow } else { Symlinks::Skip },
        root: read.root.clone(),
        force: a.run.force,
        threads: a.run.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        progress: !a.run.quiet,
        command: command_line(),
    }
}

/// Runs an ingest and maps its outcome to an exit code (shared with `run`).
pub fn ingest_and_report(a: &IngestArgs) -> Result<IngestSummary, Exit> {
    let opts = options(a);
    let summary = ingest::run(&opts).map_err(|e| {
        use crate::error::IngestError;
        let usage = matches!(e, IngestError::Placement(_) | IngestError::MissingInput { .. });
        let code = if usage { exit::USAGE } else { exit::FAILURE };
        Exit { code, error: e.into() }
    })?;
    if !a.run.quiet {
        print_summary(&summary, &opts);
    }
    let usable = summary.files_read + summary.files_unchanged + summary.files_duplicate;
    // Files read but not one event in the whole case (every line a reject): nothing usable was
    // ingested either; the rejects stay in the case for `formats --explain` and `query`.
    let case_events = crate::store::manifest::Manifest::load(&opts.case_dir.join("manifest.json"))
        .ok()
        .flatten()
        .map_or(0, |m| m.totals().1);
    if usable > 0 && case_events == 0 {
        return Err(Exit {
            code: exit::NO_INPUT,
            error: anyhow!(
                "nothing could be ingested: {} file(s) read, but none of their {} line(s) was understood (all rejects); see `logsleuth formats --explain FILE`",
                summary.files_read,
                summary.lines
            ),
        });
    }
    if usable == 0 {
        return Err(Exit {
            code: exit::NO_INPUT,
            error: anyhow!(
                "nothing could be ingested: {} file(s) seen, {} skipped, {} failed",
                summary.files_seen,
                summary.files_skipped,
                summary.files_failed
            ),
        });
    }
    if a.run.strict && summary.files_damaged > 0 {
        return Err(Exit {
            code: exit::DAMAGED,
            error: anyhow!("{} damaged input file(s) and --strict was given", summary.files_damaged),
        });
    }
    Ok(summary)
}

pub fn run(args: IngestArgs) -> Result<i32, Exit> {
    ingest_and_report(&args)?;
    Ok(exit::OK)
}

fn print_summary(s: &IngestSummary, opts: &IngestOptions) {
    let t = |x: &str| sanitize::terminal(x).into_owned();
    println!("ingest run {} into {}", s.run, t(&opts.case_dir.display().to_string()));
    println!(
        "  files: {} seen, {} read, {} unchanged (already in the case), {} duplicate, {} skipped, {} damaged, {} unreadable",
        s.files_seen, s.files_read, s.files_unchanged, s.files_duplicate, s.files_skipped, s.files_damaged, s.files_failed
    );
    if s.archives > 0 {
        println!("  archives: {} read in place (their members are counted as files above)", s.archives);
    }
    for (reason, n) in &s.skipped_reasons {
        println!("    skipped {n}: {}", t(reason));
    }
    if s.continued > 0 {
        println!(
            "  lines: {} = {} events + {} continuation lines of multi-line records + {} rejects",
            s.lines, s.events, s.continued, s.rejects
        );
    } else {
        println!("  lines: {} = {} events + {} rejects", s.lines, s.events, s.rejects);
    }
    if !s.events_by_module.is_empty() {
        let parts: Vec<String> = s.events_by_module.iter().map(|(m, n)| format!("{m} {n}")).collect();
        println!("  events by module: {}", parts.join(", "));
    }
    if !s.hosts.is_empty() {
        let parts: Vec<String> = s.hosts.iter().map(|(h, src, n)| format!("{} ({src}, {n} files)", t(h))).collect();
        println!("  hosts: {}", parts.join(", "));
    }
    for line in &s.time {
        println!("  {}", t(line));
    }
    for (path, format, lines, rejects) in &s.not_understood {
        println!(
            "  not understood: {} ({format}): {rejects} of {lines} lines are rejects; see `logsleuth formats --explain FILE`",
            t(path)
        );
    }
    for (path, err) in &s.damaged {
        println!("  damaged: {}: {}", t(path), t(err));
    }
    if s.compacted > 0 {
        println!("  {} small parts of earlier runs packed together", s.compacted);
    }
    println!("  {:.2} s, {:.1} MB/s of stored input ({} bytes)", s.seconds, s.mb_per_s(), s.bytes_stored);
}
