//! `logsleuth detect`: every rule at its threshold boundaries on small fixtures, the planted
//! incidents of the bundled sample, determinism, configuration, custom rules and exit codes.

mod common;

use std::path::{Path, PathBuf};

use common::*;
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
    assert_eq!(five.severity.as_str(), "high");
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
    assert_eq!(saf[0].severity.as_str(), "critical");
    assert_eq!(saf[0].evidence.last().unwrap().line, 6, "the success line closes the evidence");
    let acc = of(&f, "account_change");
    let evil = acc.iter().find(|x| x.user_name.as_deref() == Some("evil")).unwrap();
    assert_eq!(evil.severity.as_str(), "high");
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
    for p in 0..20 {
        ufw += &format!(
            "{} h1 kernel: [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.50 DST=10.0.0.5 PROTO=TCP SPT=5000 DPT={}\n",
            at(0, p * 10),
            1000 + p
        );
    }
    for p in 0..19 {
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
    assert_eq!(attack[0].details["sql_injection_pattern"], "' or 1=1");
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
    assert!(kinds.contains(&"time goes backwards"), "{kinds:?}");
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
    // --fail-on: exit 1 when a finding reaches the level.
    let r = run(&["detect", "--case", case, "--config", cfg.to_str().unwrap(), "--fail-on", "high", "-q"]);
    assert_eq!(r.status.code(), Some(1));
    let r = run(&["detect", "--case", case, "--config", cfg.to_str().unwrap(), "--fail-on", "critical", "-q"]);
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
