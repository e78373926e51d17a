//! Setup shared by the end-to-end benchmarks: where things are, and the evidence tree.
#![allow(dead_code)] // each benchmark compiles this module and uses part of it

use std::path::PathBuf;

/// Paths the benchmarks use.
pub struct Setup {
    pub target: PathBuf,
    /// The generated evidence tree (BENCH_DIR, generated with BENCH_MB when missing).
    pub evidence: PathBuf,
    /// The release binary (LOGSLEUTH_BIN overrides).
    pub bin: PathBuf,
}

pub fn setup() -> Setup {
    let target = PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()));
    let evidence = std::env::var("BENCH_DIR").map(PathBuf::from).unwrap_or_else(|_| target.join("bench-evidence"));
    let mb: u64 = std::env::var("BENCH_MB").ok().and_then(|s| s.parse().ok()).unwrap_or(1650);
    if !evidence.exists() {
        println!("generating {mb} MB evidence tree in {} ...", evidence.display());
        logsleuth::gen::bench::write_bench(&evidence, mb, 7).expect("generate bench tree");
    }
    let bin = std::env::var("LOGSLEUTH_BIN").map(PathBuf::from).unwrap_or_else(|_| target.join("release/logsleuth"));
    assert!(bin.exists(), "build the release binary first: cargo build --release ({})", bin.display());
    Setup { target, evidence, bin }
}
