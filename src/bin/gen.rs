//! `logsleuth-gen`: writes the bundled sample evidence tree or a benchmark tree.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "logsleuth-gen", about = "Deterministic evidence generator for logsleuth")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The sample case: three hosts, four weeks, planted incidents.
    Sample {
        #[arg(long, default_value = "datasets/sample")]
        out: PathBuf,
        #[arg(long, default_value_t = 20261205)]
        seed: u64,
    },
    /// A large tree for benchmarks (auth + access + firewall, part gzip).
    Bench {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 1100)]
        size_mb: u64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Sample { out, seed } => {
            let files = logsleuth::gen::scenario::write_sample(&out, seed)?;
            println!("wrote {} files under {}", files.len(), out.display());
        }
        Cmd::Bench { out, size_mb, seed } => {
            let bytes = logsleuth::gen::bench::write_bench(&out, size_mb, seed)?;
            println!("wrote {:.1} MB of log text under {}", bytes as f64 / 1e6, out.display());
        }
    }
    Ok(())
}
