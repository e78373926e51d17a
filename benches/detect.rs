//! Detection benchmark (`make bench`): the whole rule set over a case of at least 10 million
//! events, built once from the generated benchmark tree (BENCH_DIR, as for the ingest bench).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod common;

fn main() {
    let common::Setup { target, evidence: dir, bin } = common::setup();
    let case = target.join("bench-case");
    let events = |case: &PathBuf| -> u64 {
        logsleuth::store::manifest::Manifest::load(&case.join("manifest.json"))
            .ok()
            .flatten()
            .filter(|m| m.schema_version == logsleuth::schema::SCHEMA_VERSION)
            .map_or(0, |m| m.totals().1)
    };
    // Rebuilt when the part files' layout changed since it was built (the marker beside it).
    let marker = target.join("bench-case.layout");
    let layout = logsleuth::store::writer::LAYOUT_VERSION.to_string();
    if events(&case) == 0 || std::fs::read_to_string(&marker).ok().as_deref() != Some(layout.as_str()) {
        let _ = std::fs::remove_dir_all(&case);
        let st =
            Command::new(&bin).arg("ingest").arg(&dir).arg("--case").arg(&case).arg("-q").status().expect("ingest");
        assert!(st.success());
        std::fs::write(&marker, &layout).expect("layout marker");
    }
    let n = events(&case);
    println!("detect benchmark: {n} events in {}", case.display());
    for round in 1..=2 {
        let t = Instant::now();
        let out = Command::new(&bin).arg("detect").arg("--case").arg(&case).arg("-q").output().expect("detect");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let secs = t.elapsed().as_secs_f64();
        let doc = logsleuth::detect::finding::FindingsDoc::load(&case.join("findings.json")).unwrap();
        println!(
            "round {round}: whole rule set in {secs:.2} s ({:.1} M events/s), {} findings",
            n as f64 / secs / 1e6,
            doc.findings.len()
        );
    }
    sigma(&bin, &case, n);
}

/// `LOGSLEUTH_TIMINGS` lines of a detect run: (seconds, label, peak RSS MB); the CPU time between
/// the seconds and the label is left out.
fn timings(stderr: &str) -> Vec<(f64, String, u64)> {
    stderr
        .lines()
        .filter_map(|l| {
            // `   1.23 s    2.01 s cpu  LABEL  (peak RSS 456 MB)`
            let (secs, rest) = l.trim().split_once(" s  ")?;
            let rest = rest.trim_start();
            let rest = rest.split_once(" s cpu  ").map_or(rest, |(_, r)| r);
            let (label, rss) = rest.rsplit_once("  (peak RSS ")?;
            Some((secs.trim().parse().ok()?, label.to_string(), rss.trim_end_matches(" MB)").parse().ok()?))
        })
        .collect()
}

/// SigmaHQ's Linux and web rules (`../shared/datasets/sigma`) over the bench case: the Sigma
/// job's time for a growing share of the rule files, and the run's peak memory.
fn sigma(bin: &Path, case: &Path, n: u64) {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/sigma");
    if !corpus.is_dir() {
        println!("sigma: skipped, {} not present", corpus.display());
        return;
    }
    let files = logsleuth::detect::sigma::rule_files(&corpus).expect("the Sigma corpus");
    for share in [0.25, 0.5, 1.0] {
        let k = ((files.len() as f64) * share).ceil() as usize;
        let dir = tempfile::tempdir().unwrap();
        // Every 1/share-th file, so each subset mixes logsources like the whole.
        let step = (files.len() as f64 / k as f64).max(1.0);
        let chosen: Vec<&PathBuf> = (0..k).map(|i| &files[((i as f64) * step) as usize]).collect();
        for (i, f) in chosen.iter().enumerate() {
            std::fs::copy(f, dir.path().join(format!("{i:04}.yml"))).unwrap();
        }
        let t = Instant::now();
        let out = Command::new(bin)
            .args(["detect", "--case", case.to_str().unwrap(), "-q", "--sigma", dir.path().to_str().unwrap()])
            .env("LOGSLEUTH_TIMINGS", "1")
            .output()
            .expect("detect --sigma");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let total = t.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines = timings(&stderr);
        let job = lines.iter().find(|(_, l, _)| l.starts_with("sigma (")).cloned().unwrap_or((
            0.0,
            "sigma (0 rules)".into(),
            0,
        ));
        let peak = lines.iter().map(|(_, _, r)| *r).max().unwrap_or(0);
        let compiled = stderr.lines().find(|l| l.contains("rule(s) compiled")).unwrap_or("").trim().to_string();
        println!(
            "sigma: {} of {} rule files, {}: Sigma job {:.2} s ({:.1} M events/s), whole detect {total:.2} s, peak RSS {peak} MB",
            chosen.len(),
            files.len(),
            job.1,
            job.0,
            n as f64 / job.0.max(1e-9) / 1e6
        );
        println!("       {compiled}");
    }
}
