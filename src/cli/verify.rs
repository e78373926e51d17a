//! `logsleuth verify --case DIR [--evidence PATH…] [--format json]`: re-checks the chain of custody.

use std::path::PathBuf;

use clap::Args;

use super::{exit, Exit};
use crate::ingest::verify::{self, Verification};
use crate::sanitize;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Case directory.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
    /// The evidence folders or files as they are now (default: where ingest read them); files
    /// in these folders that the case does not hold are reported as new.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub evidence: Vec<PathBuf>,
    /// Output format: `text` (default) or `json`.
    #[arg(long, value_enum, default_value_t = super::TextOrJson::Text)]
    pub format: super::TextOrJson,
    /// Same as `--format json` (kept for one release).
    #[arg(long, hide = true)]
    pub json: bool,
}

/// Verifies, writes `verification.json` into the case, and returns the result.
pub fn check(case: &std::path::Path, evidence: &[PathBuf]) -> Result<Verification, Exit> {
    let v = verify::verify(case, evidence)?;
    // A read-only case (evidence media) still gets its answer on stdout.
    if let Err(e) = verify::write(case, &v) {
        eprintln!("logsleuth: warning: {e}");
    }
    Ok(v)
}

pub fn run(args: VerifyArgs) -> Result<i32, Exit> {
    let v = check(&args.case, &args.evidence)?;
    if args.json || args.format == super::TextOrJson::Json {
        println!("{}", serde_json::to_string_pretty(&v).expect("verification serializes"));
    } else {
        for c in v.checks.iter().filter(|c| c.status != "unchanged") {
            let detail = match (c.status.as_str(), &c.recorded_sha256, &c.sha256) {
                ("changed", Some(a), Some(b)) => format!(" (recorded {a}, now {b})"),
                _ => c.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default(),
            };
            println!("{:<10} {:<8} {}{detail}", c.status, c.kind, sanitize::terminal(&c.path));
        }
        println!("{} (manifest SHA-256 {})", v.headline(), v.manifest_sha256);
    }
    Ok(if v.ok { exit::OK } else { exit::MISMATCH })
}
