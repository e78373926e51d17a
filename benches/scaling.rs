//! How cost grows (`make bench`): generated evidence of about 1, 10 and 50 million events
//! (SCALE_SIZES, in millions; the 10 M point is the ingest bench's own tree), each taken
//! through the whole pipeline by the release binary, one command at a time:
//!
//! - `ingest` into a new case;
//! - `detect` (the built-in rule set);
//! - `timeline` of one host in the hour around a moment (an investigator's question, whose
//!   answer is the same few thousand lines at every size: what grows is the case it searches);
//! - `report` (HTML, charts and the machine-readable findings).
//!
//! For each it prints the wall time and the command's own peak RSS (from `wait4`), then the
//! time per million events against the smallest size: a ratio above 1 means it grows faster
//! than the evidence. Targets (issue 21): ingest under 1 GiB at every size, detect and report
//! under 4 GiB at 50 M events, no step worse than linear.
//!
//! The trees live in the target folder (`scale-evidence-<N>m`, generated once, about 165 MB per
//! million events; `scale-evidence-<N>m.complete` marks a finished one) with their cases beside
//! them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod common;

/// About this many bytes of generated log text per event (the bench tree's mix).
const BYTES_PER_EVENT: u64 = 161;

/// Runs a command to its end: (wall seconds, its own peak RSS in MB).
fn measured(cmd: &mut Command) -> (f64, f64) {
    let t = Instant::now();
    let child = cmd.stdout(std::process::Stdio::null()).spawn().expect("start logsleuth");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, writing into locals we own; the child is reaped here
    // (std's handle is dropped without a second wait).
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let secs = t.elapsed().as_secs_f64();
    drop(child);
    assert!(r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{cmd:?} failed ({status})");
    (secs, ru.ru_maxrss as f64 / 1024.0)
}

/// The evidence tree for about `millions` M events: the bench tree for 10, else generated.
fn tree(target: &Path, bench_tree: &Path, millions: u64) -> PathBuf {
    if millions == 10 {
        return bench_tree.to_path_buf();
    }
    let dir = target.join(format!("scale-evidence-{millions}m"));
    let done = dir.with_extension("complete");
    if !done.exists() {
        let mb = millions * BYTES_PER_EVENT;
        println!("generating {mb} MB of evidence in {} ...", dir.display());
        logsleuth::gen::bench::write_bench(&dir, mb, 11).expect("generate the tree");
        std::fs::write(&done, b"").unwrap();
    }
    dir
}

struct Row {
    events: u64,
    steps: Vec<(&'static str, f64, f64)>,
}

fn run(bin: &Path, evidence: &Path, case: &Path) -> Row {
    let _ = std::fs::remove_dir_all(case);
    let report = case.with_extension("report");
    let _ = std::fs::remove_dir_all(&report);
    let timeline = case.with_extension("timeline.csv");
    let c = case.to_str().unwrap();
    let mut steps = Vec::new();
    let ingest = measured(Command::new(bin).arg("ingest").arg(evidence).args(["--case", c, "-q"]));
    steps.push(("ingest", ingest.0, ingest.1));
    let detect = measured(Command::new(bin).args(["detect", "--case", c, "-q"]));
    steps.push(("detect", detect.0, detect.1));
    // h01's hour from 00:30 on 8 March, where every tree's plain (newer) files start.
    let tl = measured(Command::new(bin).args([
        "timeline",
        "--case",
        c,
        "--host",
        "h01",
        "--around",
        "2026-03-08T01:00:00Z",
        "--window",
        "30m",
        "--format",
        "csv",
        "-o",
        timeline.to_str().unwrap(),
    ]));
    steps.push(("timeline", tl.0, tl.1));
    let rep = measured(Command::new(bin).args(["report", "--case", c, "-o", report.to_str().unwrap()]));
    steps.push(("report", rep.0, rep.1));
    let m = logsleuth::store::manifest::Manifest::load(&case.join("manifest.json")).unwrap().unwrap();
    let (lines, events, rejects) = m.totals();
    assert_eq!(lines, events + m.continued() + rejects, "every line an event or a reject");
    let rows = std::fs::read_to_string(&timeline).map_or(0, |t| t.lines().count().saturating_sub(1));
    println!("  {:.2} M events; timeline answer {rows} rows", events as f64 / 1e6);
    Row { events, steps }
}

fn main() {
    let common::Setup { target, evidence: bench_tree, bin } = common::setup();
    let sizes: Vec<u64> = std::env::var("SCALE_SIZES")
        .unwrap_or_else(|_| "1,10,50".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!("scaling benchmark: {sizes:?} M events, one command at a time");
    let mut rows: Vec<Row> = Vec::new();
    for &m in &sizes {
        let evidence = tree(&target, &bench_tree, m);
        let case = target.join(format!("scale-case-{m}m"));
        println!("{m} M: {}", evidence.display());
        rows.push(run(&bin, &evidence, &case));
    }
    println!("\n| events | step | wall | peak RSS | s per M events | vs smallest |");
    println!("|---|---|---|---|---|---|");
    let base = &rows[0];
    for r in &rows {
        for (i, (step, secs, rss)) in r.steps.iter().enumerate() {
            let per_m = secs / (r.events as f64 / 1e6);
            let base_per_m = base.steps[i].1 / (base.events as f64 / 1e6);
            println!(
                "| {:.2} M | {step} | {secs:.2} s | {rss:.0} MB | {per_m:.3} | {:.2}× |",
                r.events as f64 / 1e6,
                per_m / base_per_m
            );
        }
    }
    let last = rows.last().unwrap();
    for (step, _, rss) in &last.steps {
        let limit = if *step == "ingest" { 1024.0 } else { 4096.0 };
        let verdict = if *rss <= limit { "within" } else { "OVER" };
        println!(
            "{step} at {:.1} M events: peak {rss:.0} MB, {verdict} the {limit:.0} MB target",
            last.events as f64 / 1e6
        );
    }
}
