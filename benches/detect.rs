//! Detection benchmark (`make bench`): the whole rule set over a case of at least 10 million
//! events, built once from the generated benchmark tree (BENCH_DIR, as for the ingest bench).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

mod common;

fn main() {
    let common::Setup { target, evidence: dir, bin } = common::setup();
    let case = target.join("bench-case");
    let events = |case: &PathBuf| -> u64 {
        logsleuth::ingest::manifest::Manifest::load(&case.join("manifest.json"))
            .ok()
            .flatten()
            .filter(|m| m.schema_version == logsleuth::schema::SCHEMA_VERSION)
            .map_or(0, |m| m.totals().1)
    };
    if events(&case) == 0 {
        let _ = std::fs::remove_dir_all(&case);
        let st =
            Command::new(&bin).arg("ingest").arg(&dir).arg("--case").arg(&case).arg("-q").status().expect("ingest");
        assert!(st.success());
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
}
