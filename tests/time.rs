//! Time you can testify to: years cross-checked against the lines that carry theirs, zones from
//! the evidence (per host), daylight-saving folds and gaps, and clock trouble as findings. The
//! lines are as sshd, Apache and syslog write them; the zone files are tzdata's own.

use std::path::Path;

use crate::common::*;
use logsleuth::detect::finding::FindingsDoc;
use logsleuth::parse::time::days_from_civil;

fn secs(y: i64, m: u32, d: u32, h: i64) -> i64 {
    days_from_civil(y, m, d) * 86_400 + h * 3600
}

fn failed(stamp: &str, host: &str, pid: u32, ip: &str) -> String {
    format!("{stamp} {host} sshd[{pid}]: Failed password for root from {ip} port 5{pid} ssh2\n")
}

fn access(stamp: &str, ip: &str, path: &str) -> String {
    format!("{ip} - - [{stamp}] \"GET {path} HTTP/1.1\" 404 196 \"-\" \"Mozilla/5.0 (compatible; scan)\"\n")
}

fn ingest(ev: &Path, case: &Path, extra: &[&str]) -> String {
    let mut args = vec!["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap()];
    args.extend_from_slice(extra);
    ok(&args)
}

fn times(case: &Path, file: &str) -> Vec<Option<String>> {
    let df = sql(case, &format!("SELECT timestamp FROM events WHERE log_file_path = '{file}' ORDER BY log_line"));
    strings(&df, "timestamp")
}

/// A host's evidence from Dec 2025 - Jan 2026, copied without its mtimes: every file now says
/// June 2027 (the same second).
fn copied_tree(root: &Path, with_access_log: bool) {
    let copy = secs(2027, 6, 1, 12);
    let mut files = vec![
        (
            "web01/var/log/auth.log.1",
            failed("Dec 28 10:00:00", "web01", 100, "203.0.113.7")
                + &failed("Jan  2 09:00:00", "web01", 101, "203.0.113.7"),
        ),
        (
            "web01/var/log/auth.log",
            failed("Jan  3 10:00:00", "web01", 200, "203.0.113.7")
                + &failed("Jan  9 11:00:00", "web01", 201, "203.0.113.7"),
        ),
        (
            "web01/var/log/syslog",
            "Jan  5 06:25:01 web01 CRON[300]: (root) CMD (run-parts /etc/cron.daily)\n".to_string(),
        ),
    ];
    if with_access_log {
        files.push((
            "web01/var/log/apache2/access.log",
            access("28/Dec/2025:10:00:05 +0000", "203.0.113.7", "/wp-login.php")
                + &access("09/Jan/2026:11:00:05 +0000", "203.0.113.7", "/.env"),
        ));
    }
    for (rel, text) in files {
        let p = write(root, rel, text.as_bytes());
        set_mtime(&p, copy);
    }
}

#[test]
fn years_moved_by_a_copy_are_moved_back_by_the_hosts_own_years() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    copied_tree(&ev, true);
    let case = dir.path().join("case");
    let out = ingest(&ev, &case, &[]);
    assert!(out.contains("year cross-checked: web01/var/log/auth.log"), "{out}");
    assert_eq!(
        times(&case, "web01/var/log/auth.log"),
        [Some("2026-01-03T10:00:00Z".into()), Some("2026-01-09T11:00:00Z".into())]
    );
    assert_eq!(
        times(&case, "web01/var/log/auth.log.1"),
        [Some("2025-12-28T10:00:00Z".into()), Some("2026-01-02T09:00:00Z".into())]
    );
    assert_eq!(times(&case, "web01/var/log/syslog"), [Some("2026-01-05T06:25:01Z".into())]);
    let m = manifest(&case);
    for f in ["web01/var/log/auth.log", "web01/var/log/auth.log.1", "web01/var/log/syslog"] {
        let i = input(&m, f);
        assert_eq!(i.year_source.as_deref(), Some("cross_source"), "{f}");
        assert!(!i.year_uncertain, "{f}");
        assert!(i.year_note.as_deref().unwrap().contains("year moved by -1"), "{f}: {:?}", i.year_note);
    }
    let a = input(&m, "web01/var/log/apache2/access.log");
    assert_eq!(a.year_source.as_deref(), Some("line"));
    let df = sql(&case, "SELECT DISTINCT year_source FROM events WHERE log_file_path = 'web01/var/log/auth.log'");
    assert_eq!(strings(&df, "year_source"), [Some("cross_source".into())]);

    // The report says how each input's time was decided.
    let report = dir.path().join("report");
    ok(&["report", "--case", case.to_str().unwrap(), "--out", report.to_str().unwrap()]);
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(html.contains("Year cross-checked for web01/var/log/auth.log"), "report lists the year decision");
    assert!(html.contains("year cross_source"));
}

#[test]
fn a_copy_nothing_can_check_is_flagged_uncertain() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    copied_tree(&ev, false);
    let case = dir.path().join("case");
    let out = ingest(&ev, &case, &[]);
    assert!(out.contains("year uncertain: web01/var/log/auth.log"), "{out}");
    let m = manifest(&case);
    let i = input(&m, "web01/var/log/auth.log");
    assert!(i.year_uncertain);
    assert_eq!(i.year_source.as_deref(), Some("mtime"));
    // Unchecked, the year stays the mtime's guess.
    assert_eq!(times(&case, "web01/var/log/auth.log")[0].as_deref(), Some("2027-01-03T10:00:00Z"));
    // --year still overrides, and is certain.
    let case2 = dir.path().join("case2");
    ingest(&ev, &case2, &["--year", "2026", "-q"]);
    let i2 = manifest(&case2).inputs.into_iter().find(|i| i.path == "web01/var/log/auth.log").unwrap();
    assert_eq!((i2.year_source.as_deref(), i2.year_uncertain), (Some("override"), false));
    assert_eq!(times(&case2, "web01/var/log/auth.log")[0].as_deref(), Some("2026-01-03T10:00:00Z"));
}

#[test]
fn zones_from_each_hosts_own_settings() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let jan11 = secs(2026, 1, 11, 0);
    let line = |h: &str| failed("Jan 10 12:00:00", h, 100, "198.51.100.4");
    for h in ["berlin", "nyc", "plain"] {
        set_mtime(&write(&ev, &format!("{h}/var/log/auth.log"), line(h).as_bytes()), jan11);
    }
    // Debian's name of the zone, and a TZif file copied without its symlink.
    write(&ev, "berlin/etc/timezone", b"Europe/Berlin\n");
    let tzif = std::fs::read(project_dir().join("tests/data/zoneinfo/America/New_York")).unwrap();
    write(&ev, "nyc/etc/localtime", &tzif);
    let case = dir.path().join("case");
    let out = ingest(&ev, &case, &[]);
    assert!(out.contains("zone of berlin: Europe/Berlin (from etc_timezone"), "{out}");
    assert!(out.contains("zone of nyc: America/New_York (from etc_localtime"), "{out}");
    assert!(out.contains("zone of plain: UTC (from default"), "{out}");
    assert_eq!(times(&case, "berlin/var/log/auth.log")[0].as_deref(), Some("2026-01-10T11:00:00Z"));
    assert_eq!(times(&case, "nyc/var/log/auth.log")[0].as_deref(), Some("2026-01-10T17:00:00Z"));
    assert_eq!(times(&case, "plain/var/log/auth.log")[0].as_deref(), Some("2026-01-10T12:00:00Z"));
    let m = manifest(&case);
    let src = |f: &str| {
        let i = input(&m, f);
        (i.tz.clone().unwrap(), i.tz_source.clone().unwrap())
    };
    assert_eq!(src("berlin/var/log/auth.log"), ("Europe/Berlin".into(), "etc_timezone".into()));
    assert_eq!(src("nyc/var/log/auth.log"), ("America/New_York".into(), "etc_localtime".into()));
    assert_eq!(src("plain/var/log/auth.log"), ("UTC".into(), "default".into()));
    // The settings are read, not ingested as logs.
    let tz_file = input(&m, "nyc/etc/localtime");
    assert!(tz_file.skipped.as_deref().unwrap().starts_with("time zone setting"), "{:?}", tz_file.skipped);
    assert_eq!(tz_file.lines, 0);

    // --tz HOST=ZONE beats the tree; --tz ZONE beats only the default.
    let case2 = dir.path().join("case2");
    ingest(&ev, &case2, &["--tz", "nyc=+02:00", "--tz", "Asia/Tokyo", "-q"]);
    assert_eq!(times(&case2, "nyc/var/log/auth.log")[0].as_deref(), Some("2026-01-10T10:00:00Z"));
    assert_eq!(times(&case2, "berlin/var/log/auth.log")[0].as_deref(), Some("2026-01-10T11:00:00Z"));
    assert_eq!(times(&case2, "plain/var/log/auth.log")[0].as_deref(), Some("2026-01-10T03:00:00Z"));
    let m2 = manifest(&case2);
    assert_eq!(input(&m2, "nyc/var/log/auth.log").tz_source.as_deref(), Some("option_host"));
    assert_eq!(input(&m2, "plain/var/log/auth.log").tz_source.as_deref(), Some("option"));
}

#[test]
fn daylight_saving_folds_follow_the_file_and_gaps_are_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    // Europe/Berlin: 2026-10-25 03:00 CEST -> 02:00 CET; 2026-03-29 02:00 CET -> 03:00 CEST.
    let berlin_fall = ["Oct 25 01:59:00", "Oct 25 02:30:00", "Oct 25 02:59:00", "Oct 25 02:10:00", "Oct 25 03:05:00"];
    let text: String =
        berlin_fall.iter().enumerate().map(|(k, t)| failed(t, "berlin", 100 + k as u32, "192.0.2.1")).collect();
    set_mtime(&write(&ev, "berlin/var/log/auth.log", text.as_bytes()), secs(2026, 10, 26, 0));
    set_mtime(
        &write(&ev, "berlin/var/log/auth.log.3", failed("Mar 29 02:30:00", "berlin", 90, "192.0.2.1").as_bytes()),
        secs(2026, 3, 30, 0),
    );
    // America/New_York: 2026-11-01 02:00 EDT -> 01:00 EST; 2026-03-08 02:00 EST -> 03:00 EDT.
    let ny_fall = ["Nov  1 01:30:00", "Nov  1 01:45:00", "Nov  1 01:15:00", "Nov  1 02:00:00"];
    let text: String = ny_fall.iter().enumerate().map(|(k, t)| failed(t, "nyc", 200 + k as u32, "192.0.2.2")).collect();
    set_mtime(&write(&ev, "nyc/var/log/auth.log", text.as_bytes()), secs(2026, 11, 2, 0));
    set_mtime(
        &write(&ev, "nyc/var/log/auth.log.3", failed("Mar  8 02:30:00", "nyc", 190, "192.0.2.2").as_bytes()),
        secs(2026, 3, 9, 0),
    );
    let case = dir.path().join("case");
    ingest(&ev, &case, &["--tz", "berlin=Europe/Berlin", "--tz", "nyc=America/New_York", "-q"]);
    let flags = |f: &str| {
        let df = sql(
            &case,
            &format!("SELECT timestamp, time_flag FROM events WHERE log_file_path = '{f}' ORDER BY log_line"),
        );
        strings(&df, "timestamp")
            .into_iter()
            .zip(strings(&df, "time_flag"))
            .map(|(t, f)| (t.unwrap(), f))
            .collect::<Vec<_>>()
    };
    let s = |t: &str, f: Option<&str>| (t.to_string(), f.map(str::to_string));
    assert_eq!(
        flags("berlin/var/log/auth.log"),
        [
            s("2026-10-24T23:59:00Z", None),
            s("2026-10-25T00:30:00Z", Some("dst_fold_first")),
            s("2026-10-25T00:59:00Z", Some("dst_fold_first")),
            s("2026-10-25T01:10:00Z", Some("dst_fold_second")),
            s("2026-10-25T02:05:00Z", None),
        ]
    );
    assert_eq!(flags("berlin/var/log/auth.log.3"), [s("2026-03-29T01:30:00Z", Some("dst_gap"))]);
    assert_eq!(
        flags("nyc/var/log/auth.log"),
        [
            s("2026-11-01T05:30:00Z", Some("dst_fold_first")),
            s("2026-11-01T05:45:00Z", Some("dst_fold_first")),
            s("2026-11-01T06:15:00Z", Some("dst_fold_second")),
            s("2026-11-01T07:00:00Z", None),
        ]
    );
    assert_eq!(flags("nyc/var/log/auth.log.3"), [s("2026-03-08T07:30:00Z", Some("dst_gap"))]);
}

fn clock_findings(case: &Path) -> Vec<logsleuth::detect::finding::Finding> {
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let doc = FindingsDoc::load(&case.join("findings.json")).unwrap();
    doc.findings.into_iter().filter(|f| f.rule == "log_integrity" && f.details["kind"] == "clock").collect()
}

#[test]
fn clock_trouble_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    // A clock set back three hours inside a file (a manual reset).
    let mut sys = String::new();
    for (k, t) in ["Mar  3 10:00:00", "Mar  3 10:05:00", "Mar  3 07:06:00", "Mar  3 07:10:00"].iter().enumerate() {
        sys += &format!("{t} db01 CRON[{}]: (root) CMD (/usr/local/bin/backup)\n", 400 + k);
    }
    set_mtime(&write(&ev, "db01/var/log/syslog", sys.as_bytes()), secs(2026, 3, 4, 0));
    // A line dated two days after its file was last written (a year-less line cannot be: its
    // year comes from the mtime; this one carries its own).
    set_mtime(
        &write(
            &ev,
            "db01/var/log/apache2/access.log",
            access("05/Mar/2026:10:00:00 +0000", "192.0.2.50", "/").as_bytes(),
        ),
        secs(2026, 3, 3, 0),
    );
    // A wrong zone: sshd (zone-less, read as UTC) an hour before the same addresses' web
    // requests (which carry their offset): the host really ran on Europe/Berlin.
    let (mut auth, mut web) = (String::new(), String::new());
    for (k, ip) in ["203.0.113.21", "203.0.113.22", "203.0.113.23", "203.0.113.24"].iter().enumerate() {
        let m = 10 + k * 7;
        auth += &failed(&format!("Mar  2 11:{m:02}:00"), "web01", 600 + k as u32, ip);
        web += &access(&format!("02/Mar/2026:10:{:02}:30 +0000", m), ip, "/wp-login.php");
    }
    set_mtime(&write(&ev, "web01/var/log/auth.log", auth.as_bytes()), secs(2026, 3, 2, 13));
    set_mtime(&write(&ev, "web01/var/log/apache2/access.log", web.as_bytes()), secs(2026, 3, 2, 13));
    let case = dir.path().join("case");
    ingest(&ev, &case, &["-q"]);
    let found = clock_findings(&case);
    let kinds: Vec<&str> = found.iter().map(|f| f.details["clock"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"set back inside a file"), "{found:#?}");
    assert!(kinds.contains(&"dated after the file was written"), "{found:#?}");
    assert!(kinds.contains(&"clocks disagree"), "{found:#?}");
    let back = found.iter().find(|f| f.details["clock"] == "set back inside a file").unwrap();
    assert_eq!(back.evidence[0].file, "db01/var/log/syslog");
    assert_eq!(back.evidence[0].line, 3);
    let late = found.iter().find(|f| f.details["clock"] == "dated after the file was written").unwrap();
    assert_eq!((late.evidence[0].file.as_str(), late.evidence[0].line), ("db01/var/log/apache2/access.log", 1));
    let zone = found.iter().find(|f| f.details["clock"] == "clocks disagree").unwrap();
    assert_eq!(zone.details["offset_hours"].as_i64().unwrap().abs(), 1, "{zone:#?}");
    assert_eq!(zone.details["addresses"], 4);
    assert_eq!(zone.host_name.as_deref(), Some("web01"));
    // A second detect reads the steps back in time and the address sightings from the tables the
    // first stored in the case, with the same findings.
    assert_eq!((stored(&case, "backsteps-").len(), stored(&case, "sightings-").len()), (1, 1));
    let again = clock_findings(&case);
    let titles = |f: &[logsleuth::detect::finding::Finding]| {
        f.iter().map(|f| (f.title.clone(), f.evidence.clone())).collect::<Vec<_>>()
    };
    assert_eq!(titles(&again), titles(&found));

    // Read with the host's real zone, the clocks agree and that finding goes away.
    let case2 = dir.path().join("case2");
    ingest(&ev, &case2, &["--tz", "web01=Europe/Berlin", "-q"]);
    assert!(!clock_findings(&case2).iter().any(|f| f.details["clock"] == "clocks disagree"));
}
