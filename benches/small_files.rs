//! Many small inputs against the same lines in few files (`make bench`): real evidence is often
//! thousands of small files (per-container or per-day logs, hundreds of hosts' rotations). The
//! first 4,680 lines of each plain file of the benchmark tree (4 hosts × auth, access, firewall)
//! are written once as they are ("few": 12 files) and once cut into files of 20 lines ("many":
//! 2,808 files), with the sources' modification times. Both are ingested, detected and reported,
//! three times alternating; the table gives the median wall times, Parquet parts and case size
//! of each, and their ratio. Targets (issue 16): ingest within 3×, detect and report within
//! 1.5×, parts bounded by size.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod common;

const LINES: usize = 4_680;
const CHUNK: usize = 20;

/// Writes the two trees under `root` (once); returns (few, many).
fn trees(evidence: &Path, root: &Path) -> (PathBuf, PathBuf) {
    let (few, many) = (root.join("few"), root.join("many"));
    if many.join(".done").exists() {
        return (few, many);
    }
    let _ = std::fs::remove_dir_all(root);
    let plain: Vec<PathBuf> = walkdir::WalkDir::new(evidence)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().extension().is_none_or(|x| x != "gz"))
        .map(|e| e.into_path())
        .collect();
    for src in &plain {
        let rel = src.strip_prefix(evidence).unwrap();
        let text = std::fs::read_to_string(src).unwrap();
        let lines: Vec<&str> = text.lines().take(LINES).collect();
        let mtime = std::fs::metadata(src).unwrap().modified().unwrap();
        let put = |path: PathBuf, lines: &[&str]| {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, lines.join("\n") + "\n").unwrap();
            std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
        };
        put(few.join(rel), &lines);
        // h00/var/log/auth.log -> h00/var/log/auth/auth-0001.log, …
        let stem = rel.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = many.join(rel.parent().unwrap()).join(&stem);
        for (n, chunk) in lines.chunks(CHUNK).enumerate() {
            put(dir.join(format!("{stem}-{n:04}.log")), chunk);
        }
    }
    std::fs::write(many.join(".done"), "").unwrap();
    (few, many)
}

struct Measured {
    files: usize,
    events: u64,
    ingest: f64,
    parts: usize,
    case_mb: f64,
    detect: f64,
    report: f64,
}

fn timed(bin: &Path, args: &[&str]) -> f64 {
    let t = Instant::now();
    let out = Command::new(bin).args(args).output().expect("run logsleuth");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    t.elapsed().as_secs_f64()
}

fn measure(bin: &Path, tree: &Path) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let c = case.to_str().unwrap();
    let ingest = timed(bin, &["ingest", tree.to_str().unwrap(), "--case", c, "-q"]);
    let m = logsleuth::store::manifest::Manifest::load(&case.join("manifest.json")).unwrap().unwrap();
    let (lines, events, rejects) = m.totals();
    assert_eq!(lines, events + m.continued() + rejects);
    let files = m.inputs.len();
    let parts = logsleuth::store::case::Case::new(&case).parts("events").len()
        + logsleuth::store::case::Case::new(&case).parts("rejects").len();
    let case_mb = walkdir::WalkDir::new(&case)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.metadata().map_or(0, |m| m.len()) as f64 / 1e6)
        .sum();
    let detect = timed(bin, &["detect", "--case", c, "-q"]);
    let report = timed(bin, &["report", "--case", c, "-o", dir.path().join("r").to_str().unwrap()]);
    Measured { files, events, ingest, parts, case_mb, detect, report }
}

/// Runs measured per tree; each figure is the median of its runs. The two trees alternate, so
/// a slow phase of the machine (its speed drifts by ±20 % over minutes) falls on both: one run
/// each gave ingest ratios from 2.4× to 5.2× for the same binary.
const RUNS: usize = 3;

/// The median of each timing over `runs` (counts and sizes are the same every run).
fn median(mut runs: Vec<Measured>) -> Measured {
    let mid = |f: &dyn Fn(&Measured) -> f64, runs: &[Measured]| -> f64 {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ingest, detect, report) = (mid(&|m| m.ingest, &runs), mid(&|m| m.detect, &runs), mid(&|m| m.report, &runs));
    let m = runs.swap_remove(0);
    Measured { ingest, detect, report, ..m }
}

fn main() {
    let common::Setup { target, evidence, bin } = common::setup();
    let (few, many) = trees(&evidence, &target.join("bench-small-files"));
    let (mut runs_a, mut runs_b) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        runs_a.push(measure(&bin, &few));
        runs_b.push(measure(&bin, &many));
    }
    let (a, b) = (median(runs_a), median(runs_b));
    assert_eq!(a.events, b.events, "the same events either way");
    println!(
        "small files: {} events as {} files and as {} files of {CHUNK} lines (median of {RUNS} alternating runs)",
        a.events, a.files, b.files
    );
    println!("{:<8} {:>9} {:>9} {:>7} {:>9} {:>9}", "", "ingest s", "parts", "case MB", "detect s", "report s");
    for (label, m) in [("few", &a), ("many", &b)] {
        println!("{label:<8} {:>9.2} {:>9} {:>7.1} {:>9.2} {:>9.2}", m.ingest, m.parts, m.case_mb, m.detect, m.report);
    }
    println!(
        "{:<8} {:>8.2}× {:>8.2}× {:>6.2}× {:>8.2}× {:>8.2}×  (targets: ingest ≤ 3×, detect and report ≤ 1.5×)",
        "ratio",
        b.ingest / a.ingest,
        b.parts as f64 / a.parts as f64,
        b.case_mb / a.case_mb,
        b.detect / a.detect,
        b.report / a.report
    );
}
