//! `logsleuth compact --case DIR`: packs the small Parquet parts that incremental runs left in a
//! case into parts of a bounded size, atomically (ingest does it on its own once a partition
//! holds 16 small parts).

use std::path::PathBuf;

use clap::Args;

use super::{exit, Exit};
use crate::store::{case::Case, pack};

#[derive(Debug, Args)]
pub struct CompactArgs {
    /// Case directory.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
}

pub fn run(args: CompactArgs) -> Result<i32, Exit> {
    let case = Case::open_for_read(&args.case).map_err(|e| Exit { code: exit::USAGE, error: e.into() })?;
    let lock = case.lock()?;
    case.recover(&lock)?;
    let c = pack::compact(&case, &lock, None)?;
    if c.replaced == 0 {
        println!("nothing to compact: {} parts, none of them small with a neighbour", c.parts_before);
    } else {
        println!(
            "compacted: {} parts -> {} ({} small parts packed into {}, {} rows); manifest part hashes updated",
            c.parts_before, c.parts_after, c.replaced, c.packs, c.rows_packed
        );
    }
    Ok(exit::OK)
}
