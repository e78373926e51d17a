//! End-to-end ingest benchmark (`make bench`): a generated evidence tree of more than 1 GiB
//! (auth + access + firewall for four hosts, the older generation gzip'd) is ingested by the
//! release binary; reports MB/s of decompressed text and the child's peak RSS, for the whole
//! tree, its plain files and its gzip files, next to `gzip -dc` alone as a baseline.
//!
//! BENCH_DIR names the tree (generated when missing), BENCH_MB its size.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn peak_rss_children_mb() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    ru.ru_maxrss as f64 / 1024.0
}

fn files(root: &Path, gz: Option<bool>) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_path_buf())
        .filter(|p| gz.is_none_or(|g| (p.extension().is_some_and(|x| x == "gz")) == g))
        .collect();
    v.sort();
    v
}

fn ingest(bin: &Path, inputs: &[PathBuf], label: &str) -> (f64, f64, f64) {
    let case = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let status = Command::new(bin)
        .arg("ingest")
        .args(inputs)
        .arg("--case")
        .arg(case.path())
        .arg("-q")
        .status()
        .expect("run logsleuth");
    let secs = t.elapsed().as_secs_f64();
    assert!(status.success(), "ingest failed");
    let m = logsleuth::ingest::manifest::Manifest::load(&case.path().join("manifest.json")).unwrap().unwrap();
    let bytes: u64 = m.inputs.iter().map(|i| i.content_size).sum();
    let (lines, events, rejects) = m.totals();
    assert_eq!(lines, events + rejects);
    let mb = bytes as f64 / 1e6;
    let out_mb: f64 = walkdir::WalkDir::new(case.path())
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0) as f64 / 1e6)
        .sum();
    println!(
        "{label:<8} {mb:>8.1} MB text, {lines:>10} lines in {secs:>6.2} s = {:>6.1} MB/s, {:>5.2} M lines/s; Parquet {out_mb:.1} MB",
        mb / secs,
        lines as f64 / secs / 1e6
    );
    (mb, secs, mb / secs)
}

mod common;

fn main() {
    let common::Setup { evidence: dir, bin, .. } = common::setup();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("logsleuth ingest benchmark: {} on {threads} cores", dir.display());

    let gz = files(&dir, Some(true));
    let t = Instant::now();
    for f in &gz {
        let st = Command::new("gzip").arg("-dc").arg(f).stdout(std::process::Stdio::null()).status().expect("gzip");
        assert!(st.success());
    }
    let zsecs = t.elapsed().as_secs_f64();
    let before = peak_rss_children_mb();
    let (gz_mb, _, _) = ingest(&bin, &gz, "gzip");
    println!("         gzip -dc alone (one process at a time): {:.1} MB/s", gz_mb / zsecs);
    ingest(&bin, &files(&dir, Some(false)), "plain");
    ingest(&bin, std::slice::from_ref(&dir), "all");
    let peak = peak_rss_children_mb();
    println!("peak RSS of any ingest run: {:.0} MB (gzip baseline process: {before:.0} MB)", peak);
}
