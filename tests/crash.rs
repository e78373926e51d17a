//! Crash consistency: `ingest` killed with SIGKILL at many moments of a run. After each kill
//! the next command sees the old case or the new one, never a mix: the events of every input
//! the manifest lists are present, with the counts it states. A final ingest then completes
//! the case, and it equals a case ingested without interruption.

use std::process::Command;

use crate::common::*;

/// What the case holds as the next command sees it: `None` when no run was committed yet,
/// else (events in the dataset, events the manifest states).
fn state(case: &std::path::Path) -> Option<(i64, u64)> {
    let out = run(&["query", "--case", case.to_str().unwrap(), "--format", "csv", "SELECT COUNT(*) AS n FROM events"]);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a logsleuth case"), "after a kill, only 'no case yet' may fail: {err}");
        return None;
    }
    let n: i64 = String::from_utf8_lossy(&out.stdout).lines().nth(1).unwrap().trim().parse().unwrap();
    let m = manifest(case);
    let stated: u64 = m.inputs.iter().filter(|i| i.duplicate_of.is_none()).map(|i| i.events).sum();
    Some((n, stated))
}

#[test]
fn ingest_killed_at_any_moment_leaves_the_old_case_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    logsleuth::gen::bench::write_bench(&ev, 24, 7).unwrap();
    // The reference: one uninterrupted ingest.
    let reference = dir.path().join("reference");
    ok(&["ingest", ev.to_str().unwrap(), "--case", reference.to_str().unwrap(), "-q"]);
    let (want, _) = state(&reference).unwrap();
    let t = std::time::Instant::now();
    ok(&["ingest", ev.to_str().unwrap(), "--case", dir.path().join("timing").to_str().unwrap(), "-q"]);
    let full = t.elapsed();
    // Kills spread over a run's length, into one case (each next run recovers and goes on).
    let case = dir.path().join("case");
    // (kills that left no case yet, kills that left a complete case)
    let mut outcomes = (0, 0);
    // Twelve kills over 0..1.6 times the length of a run; when the machine is busy (other tests
    // beside this one) a run can take longer than that, so later kills wait longer until one
    // has landed after a commit.
    let mut k = 0u32;
    while k < 12 || (outcomes.1 == 0 && k < 20) {
        let share = if k < 12 { f64::from(k) / 11.0 * 1.6 } else { 1.6 * 1.5f64.powi(k as i32 - 11) };
        let delay = full.mul_f64(share);
        let mut child = Command::new(bin())
            .args(["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"])
            .spawn()
            .expect("spawn ingest");
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        if let Some((n, stated)) = state(&case) {
            assert_eq!(n as u64, stated, "kill {k} after {delay:?}: the dataset and the manifest disagree");
            assert!(n <= want, "kill {k}: more events than the evidence holds");
            assert_invariant(&case);
            outcomes.1 += 1;
        } else {
            outcomes.0 += 1;
        }
        k += 1;
    }
    // A last, complete run: the case equals the uninterrupted one.
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let (n, stated) = state(&case).unwrap();
    assert_eq!((n, stated), (want, want as u64));
    let q = "SELECT log_file_path, log_line, timestamp, event_original FROM events ORDER BY log_file_path, log_line";
    assert!(sql(&case, q).equals_missing(&sql(&reference, q)), "interrupted runs then one complete run = one run");
    assert!(!case.join(".staging").exists() && !case.join(".lock").exists(), "no staging or lock left behind");
    assert!(outcomes.0 > 0 && outcomes.1 > 0, "kills landed before and after the commit: {outcomes:?}");
}
