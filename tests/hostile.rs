//! Hostile names and values: file names with newlines, escape sequences, invalid UTF-8 and
//! very long paths; timestamps of 1970, 2038+ and 9999 and negative offsets; a line of more
//! than 64 MiB without a newline; a gzip that expands 1000×. Each has a bounded outcome: the
//! case is written, counts add up, and no raw control character reaches a terminal, a CSV or
//! the report.

use std::os::unix::ffi::OsStrExt;

use crate::common::*;

const LINE: &[u8] = b"Dec  1 10:00:00 web01 sshd[7]: Failed password for root from 192.0.2.9 port 5 ssh2\n";

#[test]
fn hostile_file_names_reach_no_terminal_csv_or_page_raw() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let logs = ev.join("web01/var/log");
    std::fs::create_dir_all(&logs).unwrap();
    let names: Vec<&[u8]> = vec![b"auth\nlog", b"evil\x1b[31mred\x1b[0m.log", b"bad\xff\xfename.log", b"tab\there.log"];
    // Each file its own content (identical files would be recorded as duplicates).
    let line = |pid: usize| {
        format!("Dec  1 10:00:0{pid} web01 sshd[{pid}]: Failed password for root from 192.0.2.9 port 5 ssh2\n")
    };
    for (k, n) in names.iter().enumerate() {
        std::fs::write(logs.join(std::ffi::OsStr::from_bytes(n)), line(k + 1)).unwrap();
    }
    // A path of about 1,000 bytes.
    let mut deep = logs.clone();
    for i in 0..4 {
        deep = deep.join(format!("{i}{}", "d".repeat(240)));
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("auth.log"), line(9)).unwrap();
    let case = dir.path().join("case");
    let c = case.to_str().unwrap();
    let out = ok(&["run", ev.to_str().unwrap(), "--case", c]);
    assert!(!out.contains('\x1b'), "no escape sequence on the terminal:\n{out}");
    assert_invariant(&case);
    let m = manifest(&case);
    assert_eq!(m.inputs.iter().filter(|i| i.events == 1).count(), names.len() + 1, "every file read: {m:?}");
    let paths: std::collections::BTreeSet<&str> = m.inputs.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(paths.len(), m.inputs.len(), "stored paths are unique");
    assert!(m.inputs.iter().any(|i| i.path.len() > 900));
    for args in [vec!["timeline", "--case", c], vec!["timeline", "--case", c, "--format", "csv"]] {
        let out = ok(&args);
        assert!(!out.contains('\x1b'), "{args:?}: raw escape in\n{out}");
        assert!(out.lines().all(|l| !l.starts_with("log:")), "{args:?}: a newline in a name split a row:\n{out}");
    }
    let out = ok(&["query", "--case", c, "SELECT DISTINCT log_file_path FROM events"]);
    assert!(!out.contains('\x1b') && !out.contains('\t'), "{out}");
    let html = std::fs::read_to_string(case.join("report/index.html")).unwrap();
    assert!(!html.contains('\x1b'), "raw escape in the report");
    assert!(html.contains("evil\\x1b[31mred"), "the name is shown, escaped");
}

#[test]
fn extreme_timestamps_huge_lines_and_a_gzip_bomb_have_bounded_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let times = "1970-01-01T00:00:00Z web01 app[1]: epoch\n\
                 2038-01-19T03:14:08Z web01 app[1]: after 32-bit time_t\n\
                 9999-12-31T23:59:59Z web01 app[1]: the last second of year 9999\n\
                 2026-12-01T10:00:00-09:30 web01 app[1]: Marquesas time\n";
    write(&ev, "web01/var/log/times.log", times.as_bytes());
    // 70 MiB without a newline, after one good line.
    let mut huge = LINE.to_vec();
    huge.resize(LINE.len() + (70 << 20), b'A');
    write(&ev, "web01/var/log/huge.log", &huge);
    // 100 lines of 1 MB (a message padded with spaces), gzip'd to about a thousandth.
    let mut one = LINE[..LINE.len() - 1].to_vec();
    one.resize(1 << 20, b' ');
    one.push(b'\n');
    let bomb: Vec<u8> = one.iter().copied().cycle().take(100 * one.len()).collect();
    let gz = gzip(&bomb);
    assert!(bomb.len() / gz.len() > 500, "expands {}x", bomb.len() / gz.len());
    write(&ev, "web01/var/log/bomb.log.gz", &gz);
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    assert_invariant(&case);
    let m = manifest(&case);
    let t = sql(&case, "SELECT timestamp FROM events WHERE log_file_path LIKE '%times.log' ORDER BY log_line");
    let got = strings(&t, "timestamp");
    assert_eq!(
        got,
        [
            Some("1970-01-01T00:00:00Z".to_string()),
            Some("2038-01-19T03:14:08Z".to_string()),
            Some("9999-12-31T23:59:59Z".to_string()),
            Some("2026-12-01T19:30:00Z".to_string()),
        ]
    );
    let huge = input(&m, "web01/var/log/huge.log");
    assert_eq!((huge.lines, huge.events, huge.rejects), (2, 1, 1), "the oversize line is one counted reject");
    let reason = sql(&case, "SELECT reject_reason FROM rejects WHERE log_file_path LIKE '%huge.log'");
    assert!(strings(&reason, "reject_reason")[0].as_deref().unwrap().contains("longer than 64 MiB"));
    let bomb_rec = input(&m, "web01/var/log/bomb.log.gz");
    assert_eq!(bomb_rec.events, 100, "every line of the bomb read");
    assert_eq!(bomb_rec.content_size, bomb.len() as u64);
}
