//! `logsleuth detect`: every rule at its threshold boundaries on small fixtures, the planted
//! incidents of the bundled sample, determinism, configuration, custom rules and exit codes.

use std::path::{Path, PathBuf};

use crate::common::*;
use logsleuth::detect::finding::{Finding, FindingsDoc};

/// `Dec  1 HH:MM:SS` for a minute offset from 10:00.
fn at(min: i64, sec: i64) -> String {
    let t = 10 * 3600 + min * 60 + sec;
    format!("Dec  1 {:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
}

fn fail(min: i64, ip: &str, user: &str, pid: u32) -> String {
    format!("{} h1 sshd[{pid}]: Failed password for {user} from {ip} port 4{pid} ssh2\n", at(min, 0))
}

fn pam_fail(min: i64, ip: &str, user: &str, pid: u32) -> String {
    format!("{} h1 sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}\n", at(min, 0))
}

struct Case {
    _dir: tempfile::TempDir,
    case: PathBuf,
}

/// Ingests files (relative path, content) with `--year 2026` and runs detect with extra args.
fn detect_on(files: &[(&str, String)], extra: &[&str]) -> (Case, Vec<Finding>) {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    for (rel, text) in files {
        write(&ev, rel, text.as_bytes());
    }
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026", "-q"]);
    let mut args = vec!["detect", "--case", case.to_str().unwrap(), "-q"];
    args.extend_from_slice(extra);
    ok(&args);
    let doc = FindingsDoc::load(&case.join("findings.json")).unwrap();
    (Case { _dir: dir, case }, doc.findings)
}

fn of<'a>(f: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    f.iter().filter(|x| x.rule == rule).collect()
}

#[test]
fn ssh_bruteforce_boundaries() {
    let mut log = String::new();
    // 4 failures in 4 minutes: under the threshold.
    for i in 0..4 {
        log += &fail(i, "192.0.2.4", "root", 100 + i as u32);
    }
    // 5 failures in 5 minutes: fires.
    for i in 0..5 {
        log += &fail(10 + i, "192.0.2.5", "root", 200 + i as u32);
    }
    // 5 failures spread over 3 hours: no burst.
    for i in 0..5 {
        log += &fail(i * 45, "192.0.2.6", "root", 300 + i as u32);
    }
    // 4 at 10:25 and 4 at 10:35: a fixed half-hour bucket would see 4 + 4; a sliding window fires.
    for i in 0..4 {
        log += &fail(25, "192.0.2.7", "admin", 400 + i);
        log += &fail(35, "192.0.2.7", "admin", 410 + i);
    }
    // 3 attempts each logged by PAM and by sshd: 6 lines, 3 attempts, no burst.
    for i in 0..3 {
        log += &pam_fail(50 + i, "192.0.2.8", "root", 500 + i as u32);
        log += &fail(50 + i, "192.0.2.8", "root", 500 + i as u32);
    }
    // 5 attempts on a host whose sshd logs only through PAM (old RHEL style): counted there.
    let mut old = String::new();
    for i in 0..5 {
        old += &pam_fail(60 + i, "192.0.2.9", "root", 600 + i as u32).replace(" h1 ", " h2 ");
    }
    let (_c, f) = detect_on(&[("h1/var/log/auth.log", log), ("h2/var/log/secure", old)], &[]);
    let mut ips: Vec<&str> = of(&f, "ssh_bruteforce").iter().map(|x| x.source_ip.as_deref().unwrap()).collect();
    ips.sort();
    assert_eq!(ips, ["192.0.2.5", "192.0.2.7", "192.0.2.9"]);
    let five = of(&f, "ssh_bruteforce").into_iter().find(|x| x.source_ip.as_deref() == Some("192.0.2.5")).unwrap();
    assert_eq!(five.count, 5);
    assert_eq!(five.evidence.len(), 5);
    assert_eq!(five.evidence[0].file, "h1/var/log/auth.log");
    assert_eq!(five.first_seen, "2026-12-01T10:10:00Z");
    // A brute force that did not get in is medium, however large (the severity policy).
    assert_eq!(five.severity.as_str(), "medium");
    assert!(!five.details.contains_key("severity_reason"));
}

#[test]
fn password_spraying_needs_enough_distinct_names() {
    let mut log = String::new();
    for i in 0..10 {
        log += &fail(i * 20, "198.51.100.10", &format!("user{i}"), 100 + i as u32);
    }
    for i in 0..9 {
        log += &fail(i * 20, "198.51.100.9", &format!("user{i}"), 200 + i as u32);
    }
    let (_c, f) = detect_on(&[("h1/var/log/auth.log", log)], &[]);
    let spray = of(&f, "password_spraying");
    assert_eq!(spray.len(), 1, "{spray:?}");
    assert_eq!(spray[0].source_ip.as_deref(), Some("198.51.100.10"));
    assert_eq!(spray[0].details["distinct_users"], 10);
}

#[test]
fn success_after_failures_and_account_change_severity() {
    let mut log = String::new();
    for i in 0..5 {
        log += &fail(i, "203.0.113.5", "deploy", 100 + i as u32);
    }
    log += &format!("{} h1 sshd[150]: Accepted password for deploy from 203.0.113.5 port 4150 ssh2\n", at(6, 0));
    log += &format!("{} h1 useradd[151]: new user: name=evil, UID=1010, GID=1010, home=/home/evil, shell=/bin/bash, from=/dev/pts/0\n", at(20, 0));
    log += &format!("{} h1 usermod[152]: add 'evil' to group 'sudo'\n", at(21, 0));
    // alice mistypes twice, then logs in; later creates carol: no compromise, low.
    log += &fail(100, "10.0.0.9", "alice", 300);
    log += &fail(101, "10.0.0.9", "alice", 301);
    log += &format!("{} h1 sshd[302]: Accepted publickey for alice from 10.0.0.9 port 4302 ssh2\n", at(102, 0));
    log += &format!("{} h1 useradd[303]: new user: name=carol, UID=1011, GID=1011, home=/home/carol, shell=/bin/bash, from=/dev/pts/1\n", at(700, 0));
    let (_c, f) = detect_on(&[("h1/var/log/auth.log", log)], &[]);
    let saf = of(&f, "success_after_failures");
    assert_eq!(saf.len(), 1);
    assert_eq!((saf[0].source_ip.as_deref(), saf[0].user_name.as_deref()), (Some("203.0.113.5"), Some("deploy")));
    assert_eq!(saf[0].severity.as_str(), "high");
    assert_eq!(
        saf[0].details["severity_reason"],
        "success after attack: deploy logged in from 203.0.113.5 after 5 failed attempts from it"
    );
    assert_eq!(saf[0].evidence.last().unwrap().line, 6, "the success line closes the evidence");
    let acc = of(&f, "account_change");
    let evil = acc.iter().find(|x| x.user_name.as_deref() == Some("evil")).unwrap();
    assert_eq!(evil.severity.as_str(), "high");
    assert!(evil.details["severity_reason"].as_str().unwrap().starts_with("persistence: evil changed"));
    assert_eq!(evil.details["privileged_group"], true);
    let carol = acc.iter().find(|x| x.user_name.as_deref() == Some("carol")).unwrap();
    assert_eq!(carol.severity.as_str(), "low");
}

#[test]
fn privileged_sudo_port_scan_and_web_boundaries() {
    let mut auth = String::new();
    for (i, u) in ["root", "admin", "oracle", "postgres", "ubuntu"].iter().enumerate() {
        auth += &fail(i as i64, "203.0.113.1", u, 100 + i as u32);
    }
    for (i, u) in ["root", "admin", "oracle", "postgres"].iter().enumerate() {
        auth += &fail(30 + i as i64, "203.0.113.2", u, 200 + i as u32);
    }
    auth += &format!("{} h1 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash\n", at(40, 0));
    auth += &format!(
        "{} h1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt upgrade\n",
        at(41, 0)
    );
    let mut ufw = String::new();
    // 15 distinct ports in 5 minutes fire (Zeek's default); 14 do not.
    for p in 0..15 {
        ufw += &format!(
            "{} h1 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.50 DST=10.0.0.5 PROTO=TCP SPT=5000 DPT={}\n",
            at(0, p * 10),
            1000 + p
        );
    }
    for p in 0..14 {
        ufw += &format!(
            "{} h1 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.51 DST=10.0.0.5 PROTO=TCP SPT=5000 DPT={}\n",
            at(0, p * 10),
            1000 + p
        );
    }
    let mut access = String::new();
    for i in 0..50 {
        access += &format!(
            "198.51.100.60 - - [01/Dec/2026:11:{:02}:{:02} +0000] \"GET /x{i} HTTP/1.1\" 404 9 \"-\" \"curl/8\"\n",
            i / 6,
            i % 6 * 10
        );
    }
    for i in 0..49 {
        access += &format!(
            "198.51.100.61 - - [01/Dec/2026:11:{:02}:{:02} +0000] \"GET /y{i} HTTP/1.1\" 404 9 \"-\" \"curl/8\"\n",
            i / 6,
            i % 6 * 10
        );
    }
    access += "198.51.100.62 - - [01/Dec/2026:12:00:00 +0000] \"GET /p?id=1%2527%2520OR%25201%253D1 HTTP/1.1\" 200 9 \"-\" \"sqlmap/1.8\"\n";
    access += "198.51.100.63 - - [01/Dec/2026:12:00:01 +0000] \"GET /p?id=12&sort=asc HTTP/1.1\" 200 9 \"-\" \"Mozilla/5.0\"\n";
    let (_c, f) = detect_on(
        &[("h1/var/log/auth.log", auth), ("h1/var/log/ufw.log", ufw), ("h1/var/log/apache2/access.log", access)],
        &[],
    );
    let ips = |rule: &str| {
        let mut v: Vec<String> = of(&f, rule).iter().filter_map(|x| x.source_ip.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(ips("privileged_target"), ["203.0.113.1"]);
    assert_eq!(ips("port_scan"), ["198.51.100.50"]);
    assert_eq!(
        ips("web_scan"),
        ["198.51.100.60", "198.51.100.62"],
        "49 errors is under the threshold; sqlmap is a scanner"
    );
    let attack = of(&f, "web_attack");
    assert_eq!(attack.len(), 1);
    assert_eq!(attack[0].source_ip.as_deref(), Some("198.51.100.62"));
    assert_eq!(attack[0].details["categories"], "sql_injection");
    assert_eq!(attack[0].details["requests_by_category"], "sql_injection: 1");
    assert_eq!(attack[0].details["patterns"], " or 1=1, ' or 1=1", "every signature the request matched");
    assert_eq!(attack[0].severity.as_str(), "high", "the injection got a 200");
    let sudo = of(&f, "sudo_activity");
    assert_eq!(sudo.len(), 1, "apt upgrade is ordinary: {sudo:?}");
    assert_eq!(sudo[0].user_name.as_deref(), Some("bob"));
}

#[test]
fn log_integrity_and_rare_events() {
    let mut log = String::new();
    // CRON every 10 minutes for a day, silent from 06:00 to 09:00.
    for m in (0..24 * 60).step_by(10) {
        if (360..540).contains(&m) {
            continue;
        }
        log += &format!("Dec  2 {:02}:{:02}:01 h1 CRON[{}]: (root) CMD (true)\n", m / 60, m % 60, 1000 + m);
    }
    // A line stamped two hours back in the middle of the file.
    log += "Dec  2 21:59:00 h1 systemd[1]: Started something.\n";
    log += "Dec  2 23:59:59 h1 CRON[9]: (root) CMD (true)\n";
    let mut auth = String::new();
    for d in 1..=4 {
        auth +=
            &format!("Dec  {d} 09:00:00 h1 sshd[{d}]: Accepted publickey for deploy from 10.0.0.9 port 40{d} ssh2\n");
    }
    auth += "Dec  5 09:00:00 h1 sshd[9]: Accepted publickey for deploy from 203.0.113.77 port 409 ssh2\n";
    auth += "Dec  5 09:00:00 h1 sshd[9]: Accepted publickey for newbie from 203.0.113.78 port 409 ssh2\n";
    let (_c, f) = detect_on(
        &[
            ("h1/var/log/syslog", log),
            ("h1/var/log/auth.log", auth),
            ("h1/var/log/auth.log.1", "Nov 30 09:00:00 h1 sshd[1]: Server listening on 0.0.0.0 port 22.\n".into()),
            ("h1/var/log/auth.log.3", "Nov 14 09:00:00 h1 sshd[1]: Server listening on 0.0.0.0 port 22.\n".into()),
            ("h1/var/log/mail.log", String::new()),
        ],
        &[],
    );
    let kinds: Vec<&str> = of(&f, "log_integrity").iter().map(|x| x.details["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"silent gap"), "{kinds:?}");
    assert!(kinds.contains(&"missing rotation"), "{kinds:?}");
    // Two hours back is a clock set back (an hour or more), not writers interleaving.
    let back = of(&f, "log_integrity")
        .into_iter()
        .find(|x| x.details["kind"] == "clock" && x.details["clock"] == "set back inside a file")
        .unwrap_or_else(|| panic!("{kinds:?}"));
    assert_eq!(back.evidence[0].file, "h1/var/log/syslog");
    assert_eq!(back.details["largest_jump_minutes"], 111, "23:50:01 back to 21:59:00");
    assert!(kinds.contains(&"empty file"), "{kinds:?}");
    let gap = of(&f, "log_integrity").into_iter().find(|x| x.details["kind"] == "silent gap").unwrap();
    assert_eq!(gap.details["gap_minutes"], 190);
    let missing = of(&f, "log_integrity").into_iter().find(|x| x.details["kind"] == "missing rotation").unwrap();
    assert_eq!(missing.details["missing"], "h1/var/log/auth.log.2");
    let new_src: Vec<&Finding> =
        of(&f, "rare_event").into_iter().filter(|x| x.details["kind"] == "new source for user").collect();
    assert_eq!(new_src.len(), 1, "a user without history is not unusual yet");
    assert_eq!(new_src[0].source_ip.as_deref(), Some("203.0.113.77"));
}

#[test]
fn config_rules_print_config_and_fail_on() {
    let mut log = String::new();
    for i in 0..4 {
        log += &fail(i, "192.0.2.44", "root", 100 + i as u32);
    }
    let (c, f) = detect_on(&[("h1/var/log/auth.log", log)], &[]);
    assert!(of(&f, "ssh_bruteforce").is_empty());
    let case = c.case.to_str().unwrap();
    // --print-config is a valid config file that round-trips.
    let printed = ok(&["detect", "--print-config"]);
    assert!(printed.contains("[ssh_bruteforce]") && printed.contains("min_failures = 5"));
    let cfg = c.case.join("cfg.toml");
    std::fs::write(&cfg, &printed).unwrap();
    assert_eq!(
        ok(&["detect", "--print-config", "--config", cfg.to_str().unwrap()]),
        printed,
        "printed defaults load back unchanged"
    );
    std::fs::write(&cfg, "[ssh_bruteforce]\nmin_failures = 4\n").unwrap();
    ok(&["detect", "--case", case, "--config", cfg.to_str().unwrap(), "-q"]);
    let doc = FindingsDoc::load(&c.case.join("findings.json")).unwrap();
    assert_eq!(of(&doc.findings, "ssh_bruteforce").len(), 1, "threshold lowered to 4 by the config");
    // --fail-on: exit 1 when a finding reaches the level (a brute force alone is medium).
    let r = run(&["detect", "--case", case, "--config", cfg.to_str().unwrap(), "--fail-on", "medium", "-q"]);
    assert_eq!(r.status.code(), Some(1));
    let r = run(&["detect", "--case", case, "--config", cfg.to_str().unwrap(), "--fail-on", "high", "-q"]);
    assert_eq!(r.status.code(), Some(0));
    // A typo in the config is an error naming the file.
    std::fs::write(&cfg, "[ssh_bruteforce]\nmin_failure = 3\n").unwrap();
    let r = run(&["detect", "--case", case, "--config", cfg.to_str().unwrap()]);
    assert_ne!(r.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&r.stderr).contains("unknown parameter ssh_bruteforce.min_failure"));
    // --rules adds a user's SQL rule; a broken one is reported with its path.
    let rules = c.case.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("root_failures.sql"),
        "-- id: root_failures\n-- title: root failures from {source_ip}\n-- severity: low\n-- evidence: event_action = 'auth.failure'\n\
         SELECT source_ip, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen FROM events WHERE user_name = 'root' GROUP BY source_ip\n",
    )
    .unwrap();
    ok(&["detect", "--case", case, "--rules", rules.to_str().unwrap(), "-q"]);
    let doc = FindingsDoc::load(&c.case.join("findings.json")).unwrap();
    let custom = of(&doc.findings, "root_failures");
    assert_eq!(custom.len(), 1);
    assert_eq!((custom[0].count, custom[0].evidence.len()), (4, 4));
    assert_eq!(custom[0].title, "root failures from 192.0.2.44");
    std::fs::write(rules.join("broken.sql"), "-- id: broken\nSELECT nope FROM nowhere\n").unwrap();
    let r = run(&["detect", "--case", case, "--rules", rules.to_str().unwrap()]);
    assert_ne!(r.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&r.stderr).contains("broken.sql"), "{}", String::from_utf8_lossy(&r.stderr));
    std::fs::remove_file(rules.join("broken.sql")).unwrap();
    // Without an evidence header, the evidence is the rows the query counts; a variant of a
    // built-in rule reads its parameters; a repeated id or a parameter declared again is an
    // error naming both files.
    std::fs::write(
        rules.join("root_failures.sql"),
        "-- id: root_failures\n-- title: root failures from {source_ip}\n\
         SELECT source_ip, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen FROM events WHERE user_name = 'root' AND event_action = 'auth.failure' GROUP BY source_ip\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("bf_root.sql"),
        "-- id: bf_root\n-- rule: ssh_bruteforce\n-- title: root tries from {source_ip} under a {min_failures}-try burst\n\
         SELECT source_ip, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen FROM attempts WHERE user_name = 'root' GROUP BY source_ip HAVING COUNT(*) >= {min_failures - 1}\n",
    )
    .unwrap();
    ok(&["detect", "--case", case, "--rules", rules.to_str().unwrap(), "-q"]);
    let doc = FindingsDoc::load(&c.case.join("findings.json")).unwrap();
    let custom = of(&doc.findings, "root_failures");
    assert_eq!((custom[0].count, custom[0].evidence.len()), (4, 4), "derived evidence: the counted rows");
    assert!(
        of(&doc.findings, "ssh_bruteforce").iter().any(|f| f.title == "root tries from 192.0.2.44 under a 5-try burst"),
        "a variant finding of ssh_bruteforce with its parameter"
    );
    std::fs::write(
        rules.join("again.sql"),
        "-- id: ssh_probe\n-- param: window_minutes = 9\nSELECT 1 AS x FROM events WHERE {window_minutes} > 0\n",
    )
    .unwrap();
    let r = run(&["detect", "--case", case, "--rules", rules.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(5));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("again.sql: id ssh_probe is already queries/ssh_probe.sql's"), "{err}");
    assert!(
        err.contains("again.sql: param window_minutes of rule ssh_probe is already declared in queries/ssh_probe.sql"),
        "{err}"
    );
}

fn findings(case: &Path) -> Vec<Finding> {
    FindingsDoc::load(&case.join("findings.json")).unwrap().findings
}

#[test]
fn bundled_sample_yields_every_planted_incident() {
    let (_d, case) = sample_case("ingest");
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let first = std::fs::read_to_string(case.join("findings.json")).unwrap();
    let f = findings(&case);
    let mut missing = Vec::new();
    for p in logsleuth::gen::planted() {
        let hit = f.iter().any(|x| {
            x.rule == p.rule
                && p.ip.is_none_or(|ip| x.source_ip.as_deref() == Some(ip))
                && p.host.is_none_or(|h| x.host_name.as_deref() == Some(h) || x.host_name.is_none())
                && (p.rule != "account_change" && p.rule != "sudo_activity"
                    || p.user.is_none_or(|u| x.user_name.as_deref() == Some(u)))
        });
        if hit != p.fires {
            missing.push(format!("{} {:?} {:?} (fires: {}): {}", p.rule, p.host, p.ip, p.fires, p.note));
        }
    }
    assert!(missing.is_empty(), "planted incidents not matched:\n{}", missing.join("\n"));
    // The same case and config give the same bytes, apart from generated_at.
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let second = std::fs::read_to_string(case.join("findings.json")).unwrap();
    let strip = |s: &str| s.lines().filter(|l| !l.contains("\"generated_at\"")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&first), strip(&second));
    assert!(case.join("findings.parquet").exists());
    use polars::prelude::SerReader;
    let pq = polars::prelude::ParquetReader::new(std::fs::File::open(case.join("findings.parquet")).unwrap());
    let df = pq.finish().unwrap();
    assert_eq!(df.height(), f.len());
    // Sorted by severity, then time.
    for w in f.windows(2) {
        assert!(
            w[0].severity > w[1].severity || (w[0].severity == w[1].severity && w[0].first_seen <= w[1].first_seen)
        );
    }
    for x in &f {
        assert!(x.evidence.len() <= 20);
        assert_eq!(x.id.len(), 16);
    }
}

/// `Dec  1 HH:MM:SS` for a second offset from 10:00:00.
fn at_s(secs: i64) -> String {
    at(secs / 60, secs % 60)
}

#[test]
fn invalid_user_bursts_count_as_attempts() {
    // A bot refused at the user name, disconnecting before any password (OpenSSH 8.x shapes):
    // seven names in three seconds, no `Failed` line.
    let mut log = String::new();
    for i in 0..7u32 {
        let pid = 7000 + i;
        let port = 40100 + i;
        log += &format!("{} h1 sshd[{pid}]: Invalid user pascal{i} from 35.199.5.20 port {port}\n", at_s(i as i64 / 3));
        log += &format!(
            "{} h1 sshd[{pid}]: Connection closed by invalid user pascal{i} 35.199.5.20 port {port} [preauth]\n",
            at_s(i as i64 / 3)
        );
    }
    // One connection that tries a password after the refused name: one attempt, not two.
    log += &format!("{} h1 sshd[7100]: Invalid user oracle from 35.199.5.21 port 50000\n", at_s(100));
    log += &format!("{} h1 sshd[7100]: pam_unix(sshd:auth): check pass; user unknown\n", at_s(101));
    log += &format!("{} h1 sshd[7100]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=35.199.5.21\n", at_s(101));
    log += &format!(
        "{} h1 sshd[7100]: Failed password for invalid user oracle from 35.199.5.21 port 50000 ssh2\n",
        at_s(103)
    );
    let (c, f) = detect_on(&[("h1/var/log/auth.log", log)], &[]);
    let bf = of(&f, "ssh_bruteforce");
    assert_eq!(bf.len(), 1, "{bf:?}");
    assert_eq!((bf[0].source_ip.as_deref(), bf[0].count), (Some("35.199.5.20"), 7));
    assert_eq!(bf[0].evidence.len(), 7, "one line per attempt");
    let tries = |ip: &str| count(&c.case, &format!("SELECT SUM(attempts) FROM attempts WHERE source_ip = '{ip}'"));
    assert_eq!(tries("35.199.5.20"), 7);
    assert_eq!(tries("35.199.5.21"), 1, "invalid user + PAM + sshd lines of one try count once");
}

#[test]
fn ledger_pivot_query_and_findings_agree() {
    // 60 password tries, each logged by PAM and by sshd (120 `auth.failure` lines), over 12
    // connections of 5 tries; pam_unix logs the first failure and sums the rest.
    let mut log = String::new();
    let mut t = 0;
    for conn in 0..12u32 {
        let pid = 8000 + conn;
        log += &format!("{} h1 sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.45  user=root\n", at_s(t));
        for k in 0..5 {
            log += &format!(
                "{} h1 sshd[{pid}]: Failed password for root from 203.0.113.45 port {} ssh2\n",
                at_s(t + k),
                41000 + conn
            );
        }
        log += &format!("{} h1 sshd[{pid}]: error: maximum authentication attempts exceeded for root from 203.0.113.45 port {} ssh2 [preauth]\n", at_s(t + 5), 41000 + conn);
        log += &format!("{} h1 sshd[{pid}]: Disconnecting authenticating user root 203.0.113.45 port {}: Too many authentication failures [preauth]\n", at_s(t + 5), 41000 + conn);
        log += &format!("{} h1 sshd[{pid}]: PAM 4 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.45  user=root\n", at_s(t + 5));
        t += 20;
    }
    let (c, f) = detect_on(&[("h1/var/log/auth.log", log)], &[]);
    let lines = count(
        &c.case,
        "SELECT COUNT(*) FROM events WHERE event_action = 'auth.failure' AND source_ip = '203.0.113.45'",
    );
    assert_eq!(lines, 72, "60 sshd lines and 12 PAM lines");
    let tries = count(&c.case, "SELECT SUM(attempts) FROM attempts WHERE source_ip = '203.0.113.45'");
    assert_eq!(tries, 60);
    let bf = of(&f, "ssh_bruteforce");
    assert_eq!(bf.len(), 1);
    assert_eq!(bf[0].count, 60);
    let pivot = ok(&["pivot", "--case", c.case.to_str().unwrap(), "--ip", "203.0.113.45", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&pivot).unwrap();
    assert_eq!(v["attempts"][0]["attempts"], 60, "{pivot}");
}

#[test]
fn preauth_scanners_are_probes_not_brute_force() {
    let mut log = String::new();
    let shapes = [
        "Did not receive identification string from 198.51.100.99 port {p}",
        "banner exchange: Connection from 198.51.100.99 port {p}: invalid format",
        "error: kex_exchange_identification: Connection closed by remote host",
        "Unable to negotiate with 198.51.100.99 port {p}: no matching key exchange method found. Their offer: diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1 [preauth]",
        "Connection closed by 198.51.100.99 port {p} [preauth]",
        "Received disconnect from 198.51.100.99 port {p}:11: Bye Bye [preauth]",
        "fatal: Timeout before authentication for 198.51.100.99 port {p}",
    ];
    for i in 0..14u32 {
        let m = shapes[i as usize % shapes.len()].replace("{p}", &(50000 + i).to_string());
        log += &format!("{} h1 sshd[{}]: {m}\n", at_s(i as i64 * 60), 9000 + i);
    }
    // A second source with 9 such connections stays under the threshold.
    for i in 0..9u32 {
        log += &format!(
            "{} h1 sshd[{}]: Connection reset by 198.51.100.98 port {} [preauth]\n",
            at_s(i as i64 * 60),
            9100 + i,
            51000 + i
        );
    }
    let (c, f) = detect_on(&[("h1/var/log/auth.log", log)], &[]);
    assert!(of(&f, "ssh_bruteforce").is_empty(), "nobody tried a password");
    let probe = of(&f, "ssh_probe");
    assert_eq!(probe.len(), 1, "{probe:?}");
    assert_eq!(probe[0].source_ip.as_deref(), Some("198.51.100.99"));
    assert_eq!(probe[0].severity.as_str(), "low");
    assert_eq!(probe[0].details["connections"], 12, "the two lines without an address join no connection");
    assert_eq!(
        count(&c.case, "SELECT COUNT(*) FROM events WHERE event_action = 'log.message' AND process_name = 'sshd'"),
        0
    );
}

#[test]
fn slow_brute_force_is_caught() {
    // One try every 10 minutes for 5 hours: never 5 in 30 minutes.
    let mut log = String::new();
    for i in 0..30u32 {
        log += &format!(
            "{} h1 sshd[{}]: Failed password for invalid user admin from 192.0.2.200 port {} ssh2\n",
            at_s(i as i64 * 600),
            9300 + i,
            52000 + i
        );
    }
    // 19 tries: under the slow threshold.
    for i in 0..19u32 {
        log += &format!(
            "{} h1 sshd[{}]: Failed password for root from 192.0.2.201 port {} ssh2\n",
            at_s(i as i64 * 600),
            9400 + i,
            53000 + i
        );
    }
    let (_c, f) = detect_on(&[("h1/var/log/auth.log", log)], &[]);
    assert!(of(&f, "ssh_bruteforce").is_empty());
    let slow = of(&f, "ssh_bruteforce_slow");
    assert_eq!(slow.len(), 1, "{slow:?}");
    assert_eq!((slow[0].source_ip.as_deref(), slow[0].count), (Some("192.0.2.200"), 30));
}

#[test]
fn dropbear_and_ftp_brute_force() {
    let mut log = String::new();
    for i in 0..6u32 {
        log += &format!(
            "{} gw dropbear[{}]: Child connection from 198.51.100.7:{}\n",
            at_s(i as i64 * 5),
            600 + i,
            51000 + i
        );
        log += &format!(
            "{} gw dropbear[{}]: Bad password attempt for 'root' from 198.51.100.7:{}\n",
            at_s(i as i64 * 5 + 1),
            600 + i,
            51000 + i
        );
        log += &format!(
            "{} gw dropbear[{}]: Exit before auth from <198.51.100.7:{}>: (user 'root', 1 fails): Exited normally\n",
            at_s(i as i64 * 5 + 2),
            600 + i,
            51000 + i
        );
    }
    let mut ftp = String::new();
    for i in 0..5 {
        ftp += &format!(
            "Tue Dec  1 11:00:{:02} 2026 [pid {}] [admin] FAIL LOGIN: Client \"198.51.100.8\"\n",
            i * 3,
            700 + i
        );
    }
    let (_c, f) = detect_on(&[("gw/var/log/messages", log), ("gw/var/log/vsftpd.log", ftp)], &[]);
    let mut ips: Vec<(String, u64)> =
        of(&f, "ssh_bruteforce").iter().map(|x| (x.source_ip.clone().unwrap(), x.count)).collect();
    ips.sort();
    assert_eq!(ips, [("198.51.100.7".to_string(), 6), ("198.51.100.8".to_string(), 5)]);
}

#[test]
fn flat_evidence_keeps_its_web_scan_and_prefixless_firewall_scans_count() {
    let dir = tempfile::tempdir().unwrap();
    let flat = dir.path().join("incoming");
    // 77 probing requests in one second, as a content-discovery tool sends them.
    let mut access = String::new();
    for i in 0..77 {
        access += &format!(
            "203.0.113.77 - - [01/Dec/2026:12:00:00 +0000] \"GET /backup{i}.zip HTTP/1.1\" 404 196 \"-\" \"Mozilla/5.0 (compatible)\"\n"
        );
    }
    write(&flat, "access.log", access.as_bytes());
    // A 17-port scan within a second, logged by a plain iptables LOG rule (no prefix).
    let mut kern = String::new();
    for (i, port) in
        [21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 3306, 3389].iter().enumerate()
    {
        kern += &format!("Dec  1 12:30:00 fw1 kernel: [ 9123.{i:06}] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=198.51.100.17 DST=10.0.0.5 LEN=44 TOS=0x00 PREC=0x00 TTL=49 ID=3{i} PROTO=TCP SPT=61000 DPT={port} WINDOW=1024 RES=0x00 SYN URGP=0\n");
    }
    write(&flat, "kern.log", kern.as_bytes());
    let case = dir.path().join("case");
    let out = ok(&["ingest", flat.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026"]);
    assert!(out.contains("hosts: incoming (input_name"), "the summary lists the hosts: {out}");
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let f = FindingsDoc::load(&case.join("findings.json")).unwrap().findings;
    let scans = of(&f, "web_scan");
    assert!(!scans.is_empty(), "a missing host must not empty the rule");
    assert!(scans.iter().all(|s| s.host_name.as_deref() == Some("incoming")));
    assert!(scans.iter().any(|s| s.details.get("kind").is_some_and(|k| k == "missing-path burst")));
    let ps = of(&f, "port_scan");
    assert_eq!(ps.len(), 1, "{ps:?}");
    assert_eq!((ps[0].source_ip.as_deref(), ps[0].host_name.as_deref()), (Some("198.51.100.17"), Some("fw1")));
    let m = manifest(&case);
    let rec = input(&m, "access.log");
    assert_eq!((rec.host_name.as_deref(), rec.host_source.as_deref()), (Some("incoming"), Some("input_name")));
    assert_eq!(count(&case, "SELECT COUNT(*) FROM events WHERE host_name IS NULL"), 0);
}

#[test]
fn hosts_from_the_layout_at_any_level_and_unique_stored_paths() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    let line = "10.0.0.1 - - [01/Dec/2026:12:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl/8\"\n";
    write(&ev, "web01/var/log/apache2/access.log", line.as_bytes());
    let case = dir.path().join("case");
    let root = ev.join("web01/var/log");
    ok(&["ingest", root.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let m = manifest(&case);
    let rec = input(&m, "apache2/access.log");
    assert_eq!((rec.host_name.as_deref(), rec.host_source.as_deref()), (Some("web01"), Some("layout")));
    // Two single-file ingests of two different `auth.log`s into one case: two stored paths.
    let a = write(
        &dir.path().join("a"),
        "auth.log",
        format!("{} hA sshd[1]: Server listening on 0.0.0.0 port 22.\n", at(0, 0)).as_bytes(),
    );
    let b = write(
        &dir.path().join("b"),
        "auth.log",
        format!("{} hB sshd[1]: Server listening on 0.0.0.0 port 22.\n", at(0, 0)).as_bytes(),
    );
    let case2 = dir.path().join("case2");
    ok(&["ingest", a.to_str().unwrap(), "--case", case2.to_str().unwrap(), "-q", "--year", "2026"]);
    ok(&["ingest", b.to_str().unwrap(), "--case", case2.to_str().unwrap(), "-q", "--year", "2026"]);
    let paths: Vec<String> = {
        let df = sql(&case2, "SELECT DISTINCT log_file_path FROM events ORDER BY log_file_path");
        df.column("log_file_path").unwrap().str().unwrap().iter().flatten().map(str::to_string).collect()
    };
    assert_eq!(paths, ["auth.log", "b/auth.log"]);
    // The same file read again keeps its path (no third copy).
    ok(&["ingest", b.to_str().unwrap(), "--case", case2.to_str().unwrap(), "-q", "--year", "2026"]);
    assert_eq!(count(&case2, "SELECT COUNT(*) FROM events"), 2);
}

/// Copies the case folder `from` to `to`, replacing `column` by nulls in every events part.
fn case_with_nulls(from: &Path, to: &Path, column: &str) {
    use polars::prelude::*;
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dst = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            continue;
        }
        let is_event_part = rel.starts_with("events") && rel.extension().is_some_and(|e| e == "parquet");
        if !is_event_part {
            std::fs::copy(entry.path(), &dst).unwrap();
            continue;
        }
        let mut df = ParquetReader::new(std::fs::File::open(entry.path()).unwrap()).finish().unwrap();
        let n = df.height();
        let nulls = Series::full_null(column.into(), n, &DataType::String);
        df.with_column(nulls.into_column()).unwrap();
        ParquetWriter::new(std::fs::File::create(&dst).unwrap()).finish(&mut df).unwrap();
    }
}

/// Whether a planted incident (rule, address) is among the findings.
fn planted_hits(f: &[Finding], rules: &[&str], ignore_ip: bool) -> Vec<String> {
    let mut missing = Vec::new();
    for p in logsleuth::gen::planted().into_iter().filter(|p| p.fires && rules.contains(&p.rule)) {
        let hit = f
            .iter()
            .any(|x| x.rule == p.rule && (ignore_ip || p.ip.is_none_or(|ip| x.source_ip.as_deref() == Some(ip))));
        if !hit {
            missing.push(format!("{} {:?} {:?}: {}", p.rule, p.host, p.ip, p.note));
        }
    }
    missing
}

#[test]
fn rules_survive_flat_layouts_and_null_keys() {
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join("sample");
    logsleuth::gen::scenario::write_sample(&sample, 20261205).unwrap();
    // The sample laid out flat, as people copy logs: every file directly in one folder, renamed
    // only where two names collide; modification times kept.
    let flat = dir.path().join("flat");
    std::fs::create_dir_all(&flat).unwrap();
    for entry in walkdir::WalkDir::new(&sample).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let mut dst = flat.join(&name);
        if dst.exists() {
            dst = flat.join(format!("copy-{name}"));
        }
        std::fs::copy(entry.path(), &dst).unwrap();
        let mtime = entry.metadata().unwrap().modified().unwrap();
        std::fs::File::options().write(true).open(&dst).unwrap().set_modified(mtime).unwrap();
    }
    let case = dir.path().join("case");
    ok(&["ingest", flat.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    assert_eq!(count(&case, "SELECT COUNT(*) FROM events WHERE host_name IS NULL"), 0);
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let every: &[&str] = &[
        "ssh_bruteforce",
        "password_spraying",
        "success_after_failures",
        "privileged_target",
        "web_scan",
        "web_attack",
        "port_scan",
        "account_change",
        "sudo_activity",
    ];
    let missing = planted_hits(&findings(&case), every, false);
    assert!(missing.is_empty(), "flat layout lost:\n{}", missing.join("\n"));

    // Each key column nulled in turn, where the rules do not need it.
    let base = dir.path().join("base");
    ok(&["ingest", sample.to_str().unwrap(), "--case", base.to_str().unwrap(), "-q"]);
    for (column, rules, ignore_ip) in [
        ("host_name", every, false),
        ("user_name", &["ssh_bruteforce", "web_scan", "web_attack", "port_scan"][..], false),
        ("source_ip", &["account_change", "sudo_activity"][..], true),
    ] {
        let nulled = dir.path().join(format!("null-{column}"));
        case_with_nulls(&base, &nulled, column);
        assert_eq!(count(&nulled, &format!("SELECT COUNT(*) FROM events WHERE {column} IS NOT NULL")), 0);
        ok(&["detect", "--case", nulled.to_str().unwrap(), "-q"]);
        let missing = planted_hits(&findings(&nulled), rules, ignore_ip);
        assert!(missing.is_empty(), "{column} nulled lost:\n{}", missing.join("\n"));
    }
}

#[test]
fn http_basic_auth_failures_in_error_logs_are_brute_force() {
    let mut apache = String::new();
    for i in 0..6 {
        apache += &format!("[Tue Dec 01 11:00:{:02}.{i:06} 2026] [auth_basic:error] [pid 2001:tid 1402] [client 198.51.100.5:{}] AH01617: user admin: authentication failure for \"/admin\": Password Mismatch\n", i * 5, 40000 + i);
    }
    apache += "[Tue Dec 01 11:01:00.000001 2026] [core:info] [pid 2001:tid 1402] [client 198.51.100.6:1] AH00128: File does not exist: /var/www/html/x\n";
    let mut nginx = String::new();
    for i in 0..5 {
        nginx += &format!("2026/12/01 12:00:{:02} [error] 77#0: *{i} user \"root\" was not found in \"/etc/nginx/.htpasswd\", client: 198.51.100.9, server: _, request: \"GET /admin HTTP/1.1\", host: \"web\"\n", i * 3);
    }
    let (c, f) = detect_on(&[("web1/var/log/apache2/error.log", apache), ("web2/var/log/nginx/error.log", nginx)], &[]);
    let mut got: Vec<(String, String, u64)> = of(&f, "ssh_bruteforce")
        .iter()
        .map(|x| (x.host_name.clone().unwrap(), x.source_ip.clone().unwrap(), x.count))
        .collect();
    got.sort();
    assert_eq!(got, [("web1".into(), "198.51.100.5".into(), 6), ("web2".into(), "198.51.100.9".into(), 5)]);
    assert_eq!(count(&c.case, "SELECT COUNT(*) FROM rejects"), 0);
    assert_eq!(count(&c.case, "SELECT COUNT(*) FROM events WHERE event_action = 'http.not_found'"), 1);
}

/// The ledger is stored in the case for the case as it is, reused by later commands, and
/// recomputed (the old copy removed) once another ingest changed the case.
#[test]
fn stored_ledger_follows_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let mut log = String::new();
    for i in 0..3 {
        log += &fail(i, "192.0.2.30", "root", 100 + i as u32);
    }
    write(&ev, "h1/var/log/auth.log", log.as_bytes());
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026", "-q"]);
    let ledgers = || stored(&case, "attempts-");
    let tries = "SELECT SUM(attempts) AS n FROM attempts";
    assert_eq!(count(&case, tries), 3);
    let first = ledgers();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(count(&case, tries), 3, "read back from the stored ledger");
    assert_eq!(ledgers(), first);
    let mut more = String::new();
    for i in 0..2 {
        more += &fail(10 + i, "192.0.2.31", "admin", 200 + i as u32);
    }
    write(&ev, "h2/var/log/auth.log", more.replace(" h1 ", " h2 ").as_bytes());
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026", "-q"]);
    assert_eq!(count(&case, tries), 5, "the new evidence is in the ledger");
    let second = ledgers();
    assert_eq!(second.len(), 1, "{second:?}");
    assert_ne!(second, first);
}

/// Message template counts are stored in the case for the case as it is: a second detect reads
/// them back with the same findings, and after another ingest a template seen again is no longer
/// rare (the stored counts were computed again, the old file removed).
#[test]
fn stored_template_counts_follow_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let mut log = String::new();
    for i in 0..6 {
        log += &format!("Mar  1 10:00:{i:02} h1 systemd[1]: Started session-{i}.scope - Session {i} of User root.\n");
    }
    log += "Mar  1 10:01:00 h1 kernel: [  812.402117] usb 1-1: new high-speed USB device number 7 using xhci_hcd\n";
    write(&ev, "h1/var/log/syslog", log.as_bytes());
    let case = dir.path().join("case");
    let c = case.to_str().unwrap();
    ok(&["ingest", ev.to_str().unwrap(), "--case", c, "--year", "2026", "-q"]);
    let tables = || stored(&case, "templates-");
    let rare = || -> Vec<(String, u64, String)> {
        ok(&["detect", "--case", c, "-q"]);
        let doc = FindingsDoc::load(&case.join("findings.json")).unwrap();
        doc.findings
            .iter()
            .filter(|f| f.rule == "rare_event" && f.details["kind"] == "rare message template")
            .map(|f| (f.details["template"].as_str().unwrap().to_string(), f.count, f.evidence[0].file.clone()))
            .collect()
    };
    let usb = "[ <*> usb <*> new high-speed USB device number <*> using xhci_hcd".to_string();
    let first = rare();
    assert_eq!(first, [(usb.clone(), 1, "h1/var/log/syslog".to_string())]);
    let files = tables();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(rare(), first, "read back from the stored counts");
    assert_eq!(tables(), files);
    let again =
        "Mar  2 11:00:00 h1 kernel: [ 9120.000001] usb 2-1: new high-speed USB device number 9 using xhci_hcd\n";
    write(&ev, "h1/var/log/syslog.1", again.as_bytes());
    ok(&["ingest", ev.to_str().unwrap(), "--case", c, "--year", "2026", "-q"]);
    assert!(rare().iter().all(|(t, _, _)| *t != usb), "seen twice now");
    let second = tables();
    assert_eq!(second.len(), 1, "{second:?}");
    assert_ne!(second, files);
}

/// A rare program's evidence is its earliest line, wherever the files put it: the older rotation
/// (`syslog.1`, stored after `syslog`) holds the first run. The program counts are stored in the
/// case (`programs-STAMP.parquet`) and read back by the next detect, with other thresholds.
#[test]
fn a_rare_program_shows_its_earliest_line_and_its_counts_are_stored() {
    let newer = "Mar  2 10:00:00 h1 backupd[901]: run finished\nMar  2 10:05:00 h1 systemd[1]: Started cron.service.\n";
    let older = "Mar  1 09:00:00 h1 backupd[77]: run finished\nMar  1 09:05:00 h1 systemd[1]: Started cron.service.\n";
    let (c, _) = detect_on(&[("h1/var/log/syslog", newer.into()), ("h1/var/log/syslog.1", older.into())], &[]);
    let case = c.case.to_str().unwrap();
    let cfg = c.case.join("cfg.toml");
    std::fs::write(&cfg, "[rare_event]\nmax_occurrences = 2\n").unwrap();
    let programs = |cfg: Option<&Path>| -> Vec<(String, u64, String, i64, String)> {
        let mut args = vec!["detect", "--case", case, "-q"];
        if let Some(c) = cfg {
            args.extend(["--config", c.to_str().unwrap()]);
        }
        ok(&args);
        let doc = FindingsDoc::load(&c.case.join("findings.json")).unwrap();
        of(&doc.findings, "rare_event")
            .into_iter()
            .filter(|f| f.details["kind"] == "rare program")
            .map(|f| {
                let e = &f.evidence[0];
                (
                    f.details["program"].as_str().unwrap().to_string(),
                    f.count,
                    e.file.clone(),
                    e.line,
                    f.first_seen.clone(),
                )
            })
            .collect()
    };
    let tables = || stored(&c.case, "programs-").len();
    assert_eq!(tables(), 1);
    let two = programs(Some(&cfg));
    let backupd = ("backupd".to_string(), 2, "h1/var/log/syslog.1".to_string(), 1, "2026-03-01T09:00:00Z".to_string());
    assert!(two.contains(&backupd), "{two:?}");
    assert!(programs(None).is_empty(), "seen twice: not rare at the default of once");
    assert_eq!(tables(), 1);
}

/// `web_attack.signatures_file` (`--config`) replaces the built-in signatures: its own category
/// and pattern are found (percent-encoded too), the built-in ones no longer are, the export
/// inlines the analyst's rows, and a missing file is an error naming it.
#[test]
fn an_analysts_signature_file_replaces_the_built_in_one() {
    // Apache's combined format: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i".
    let line = |min: u32, url: &str| {
        format!(
            "203.0.113.70 - - [01/Dec/2026:10:{min:02}:00 +0000] \"GET {url} HTTP/1.1\" 404 196 \"-\" \"curl/8.5.0\"\n"
        )
    };
    let access = line(0, "/internal/%73ecret-console") + &line(1, "/wp-login.php");
    let dir = tempfile::tempdir().unwrap();
    let sigs = write(
        dir.path(),
        "sigs.tsv",
        b"# our own\ncategory\tseverity\tseverity_2xx\tpattern\treference\ncustom_probe\tmedium\thigh\t/secret-console\tincident 2026-41 playbook\n",
    );
    let cfg = write(
        dir.path(),
        "cfg.toml",
        format!("[web_attack]\nsignatures_file = {:?}\n", sigs.to_str().unwrap()).as_bytes(),
    );
    let (c, f) =
        detect_on(&[("web01/var/log/apache2/access.log", access.clone())], &["--config", cfg.to_str().unwrap()]);
    let attack = of(&f, "web_attack");
    assert_eq!(attack.len(), 1, "{attack:?}");
    assert_eq!(attack[0].count, 1, "wp-login.php is no signature of this file");
    assert_eq!(attack[0].details["categories"], "custom_probe");
    assert_eq!(attack[0].details["signature_references"], "incident 2026-41 playbook");
    assert_eq!(attack[0].evidence.len(), 1);
    assert_eq!(attack[0].evidence[0].line, 1);
    // The export for another engine carries the analyst's rows.
    let out = c.case.join("rules-out");
    ok(&["rules", "export", "--dialect", "duckdb", "--out", out.to_str().unwrap(), "--config", cfg.to_str().unwrap()]);
    let sql = std::fs::read_to_string(out.join("web_attack.sql")).unwrap();
    assert!(sql.contains("'custom_probe', 2, 3, '/secret-console', 'incident 2026-41 playbook'"), "{sql}");
    assert!(!sql.contains("wp-login"), "only the analyst's signatures");
    // The built-in set again without the config: wp-login.php is a WordPress probe.
    let (_c, f) = detect_on(&[("web01/var/log/apache2/access.log", access)], &[]);
    assert_eq!(of(&f, "web_attack")[0].details["categories"], "wordpress");
    // A file that is not there is an error naming it.
    std::fs::write(&cfg, "[web_attack]\nsignatures_file = \"/nonexistent/sigs.tsv\"\n").unwrap();
    let r = run(&["detect", "--case", c.case.to_str().unwrap(), "--config", cfg.to_str().unwrap(), "-q"]);
    assert_ne!(r.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("/nonexistent/sigs.tsv"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}
