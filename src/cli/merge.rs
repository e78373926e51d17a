//! `logsleuth merge SHARD... --into CASE`: combines cases ingested apart (sharded ingest on
//! Spark, or several laptops) into one, atomically; merging a shard twice adds nothing.

use std::path::PathBuf;

use clap::Args;

use super::{exit, Exit};
use crate::sanitize;
use crate::store::merge;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The cases to merge (shards), in order: content held by an earlier one wins.
    #[arg(required = true, value_name = "SHARD")]
    pub shards: Vec<PathBuf>,
    /// The case to merge into (created when missing).
    #[arg(long, value_name = "CASE")]
    pub into: PathBuf,
}

pub fn run(args: MergeArgs) -> Result<i32, Exit> {
    for s in &args.shards {
        if !s.exists() {
            return Err(Exit { code: exit::USAGE, error: anyhow::anyhow!("shard {} does not exist", s.display()) });
        }
    }
    let done = merge::merge(&args.shards, &args.into).map_err(|e| {
        let code = if matches!(e, crate::error::IngestError::Placement(_) | crate::error::IngestError::Invalid(_)) {
            exit::USAGE
        } else {
            exit::FAILURE
        };
        Exit { code, error: e.into() }
    })?;
    for d in &done {
        let shard = sanitize::terminal(&d.shard);
        match d.run {
            None => println!("{shard}: nothing new ({} inputs already in the case)", d.already_present),
            Some(run) => println!(
                "{shard}: run {run}: {} inputs ({} already in the case, {} duplicate content, {} renamed), {} events, {} rejects, {} parts",
                d.inputs - d.already_present,
                d.already_present,
                d.duplicates,
                d.renamed,
                d.events,
                d.rejects,
                d.parts
            ),
        }
    }
    println!("merged into {}", sanitize::terminal(&args.into.display().to_string()));
    Ok(exit::OK)
}
