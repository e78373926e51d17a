//! Agreement with logs that real systems wrote (`../shared/datasets/real`, not shipped with the
//! project: each test skips with a message when the folder is absent). Figures are printed;
//! run with `--nocapture` to see them.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::common::*;

fn real() -> Option<PathBuf> {
    shared_dataset("real")
}

fn ingest_file(src: &std::path::Path, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let mut args = vec!["ingest", src.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"];
    args.extend_from_slice(extra);
    ok(&args);
    (dir, case)
}

/// Expected action for a loghub OpenSSH template.
fn expected_action(template: &str) -> &'static str {
    let t = template.trim_start_matches("error: ").trim_start_matches("fatal: ");
    let preauth = t.trim_end().ends_with("[preauth]");
    for (prefix, action) in [
        ("Failed ", "auth.failure"),
        ("message repeated", "auth.failure"),
        ("Invalid user", "auth.invalid_user"),
        ("Accepted ", "auth.success"),
        ("pam_unix(sshd:auth): authentication failure", "auth.failure"),
        ("pam_unix(sshd:auth): check pass; user unknown", "auth.unknown_user"),
        ("pam_unix(sshd:session): session opened", "session.open"),
        ("pam_unix(sshd:session): session closed", "session.close"),
        ("input_userauth_request: invalid user", "ssh.invalid_user_request"),
        ("reverse mapping checking", "ssh.reverse_mapping_failed"),
        ("Received disconnect", if preauth { "ssh.preauth_close" } else { "ssh.disconnect" }),
        ("Connection closed by", if preauth { "ssh.preauth_close" } else { "ssh.disconnect" }),
        ("Write failed", if preauth { "ssh.preauth_close" } else { "ssh.disconnect" }),
        ("Did not receive identification", "ssh.no_identification"),
        ("PAM <*> more authentication failure", "auth.failure_summary"),
        ("Disconnecting: Too many authentication failures", "auth.max_attempts"),
        ("PAM service(sshd) ignoring max retries", "auth.max_attempts"),
    ] {
        if t.starts_with(prefix) {
            return action;
        }
    }
    "log.message"
}

fn csv_rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| headers.iter().zip(rec.unwrap().iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect())
        .collect()
}

#[test]
fn loghub_openssh_agreement() {
    let Some(real) = real() else { return };
    let dir = real.join("loghub/OpenSSH");
    let (_t, case) = ingest_file(&dir.join("OpenSSH_2k.log"), &[]);
    let truth = csv_rows(&dir.join("OpenSSH_2k.log_structured.csv"));
    let df = sql(
        &case,
        "SELECT log_line, host_name, process_pid, event_action, message, timestamp FROM events ORDER BY log_line",
    );
    let lines = strings(&df, "log_line");
    let hosts = strings(&df, "host_name");
    let pids = strings(&df, "process_pid");
    let actions = strings(&df, "event_action");
    let msgs = strings(&df, "message");
    let ts = strings(&df, "timestamp");
    let by_line: HashMap<String, usize> = lines.iter().enumerate().map(|(i, l)| (l.clone().unwrap(), i)).collect();
    let (mut parsed, mut header_ok, mut action_ok) = (0, 0, 0);
    let mut misses: Vec<String> = Vec::new();
    for row in &truth {
        let Some(&i) = by_line.get(&row["LineId"]) else { continue };
        parsed += 1;
        let time_ok = ts[i].as_deref().unwrap_or("").contains(&format!("T{}", row["Time"]));
        if hosts[i].as_deref() == Some(row["Component"].as_str())
            && pids[i].as_deref() == Some(row["Pid"].as_str())
            && time_ok
        {
            header_ok += 1;
        }
        let want = expected_action(&row["EventTemplate"]);
        let content_ok = msgs[i].as_deref().map(str::trim) == Some(row["Content"].trim())
            || row["Content"].starts_with("message repeated");
        if actions[i].as_deref() == Some(want) && content_ok {
            action_ok += 1;
        } else if misses.len() < 5 {
            misses.push(format!("line {}: got {:?}, want {want}: {}", row["LineId"], actions[i], row["Content"]));
        }
    }
    let n = truth.len();
    eprintln!(
        "loghub OpenSSH: {parsed}/{n} lines parsed, header (host, pid, time) agreement {header_ok}/{n}, action agreement {action_ok}/{n}"
    );
    for m in &misses {
        eprintln!("  {m}");
    }
    assert_eq!(parsed, n);
    assert_eq!(header_ok, n);
    assert!(action_ok * 100 >= n * 99, "action agreement {action_ok}/{n}");
    assert_invariant(&case);
}

#[test]
fn loghub_linux_agreement() {
    let Some(real) = real() else { return };
    let dir = real.join("loghub/Linux");
    let (_t, case) = ingest_file(&dir.join("Linux_2k.log"), &[]);
    let truth = csv_rows(&dir.join("Linux_2k.log_structured.csv"));
    let df = sql(&case, "SELECT log_line, host_name, process_pid, timestamp FROM events ORDER BY log_line");
    let idx: HashMap<String, usize> =
        strings(&df, "log_line").iter().enumerate().map(|(i, l)| (l.clone().unwrap(), i)).collect();
    let hosts = strings(&df, "host_name");
    let pids = strings(&df, "process_pid");
    let ts = strings(&df, "timestamp");
    let mut agree = 0;
    for row in &truth {
        let Some(&i) = idx.get(&row["LineId"]) else { continue };
        let pid_ok = row["PID"].is_empty() && pids[i].is_none() || pids[i].as_deref() == Some(row["PID"].as_str());
        let time_ok = ts[i].as_deref().unwrap_or("").contains(&format!("T{}", row["Time"]));
        if hosts[i].as_deref() == Some(row["Level"].as_str()) && pid_ok && time_ok {
            agree += 1;
        }
    }
    eprintln!(
        "loghub Linux: {} of {} lines are events; host/pid/time agreement {agree}/{}",
        df.height(),
        truth.len(),
        truth.len()
    );
    assert!(agree * 100 >= truth.len() * 99, "{agree}/{}", truth.len());
    assert_invariant(&case);
}

#[test]
fn elastic_auth_and_apache_counts() {
    let Some(real) = real() else { return };
    let (_t, case) = ingest_file(&real.join("elastic/auth.log"), &[]);
    let failed = count(
        &case,
        "SELECT COUNT(*) FROM events WHERE event_action = 'auth.failure' AND message LIKE 'Failed password%'",
    );
    let repeated = count(&case, "SELECT COUNT(*) FROM events WHERE event_action = 'auth.failure' AND event_count > 1");
    let invalid = count(&case, "SELECT COUNT(*) FROM events WHERE event_action = 'auth.invalid_user'");
    let accepted = count(&case, "SELECT COUNT(*) FROM events WHERE event_action = 'auth.success'");
    let total = count(&case, "SELECT COUNT(*) FROM events");
    let rejects = count(&case, "SELECT COUNT(*) FROM rejects");
    eprintln!("elastic auth.log: {total} events, {rejects} rejects; Failed password {failed} (+{repeated} 'message repeated' lines), Invalid user {invalid}, Accepted {accepted}");
    // Ground truth counts raw lines containing the phrases (a `message repeated … [ Failed password …]`
    // line contains the phrase too, and is an auth.failure here with event_count set).
    assert_eq!(failed, 713);
    assert_eq!(invalid, 178);
    assert_eq!(accepted, 226);
    assert_invariant(&case);

    let (_t2, case) = ingest_file(&real.join("elastic/apache_access.log"), &[]);
    let df = sql(&case, "SELECT http_response_status_code AS s, COUNT(*) AS n FROM events GROUP BY s ORDER BY s");
    let got: Vec<(String, String)> =
        strings(&df, "s").into_iter().flatten().zip(strings(&df, "n").into_iter().flatten()).collect();
    eprintln!("elastic apache_access.log status counts: {got:?}");
    for (s, n) in [("200", "9126"), ("304", "445"), ("404", "213"), ("301", "164"), ("206", "45"), ("500", "3")] {
        assert!(got.contains(&(s.to_string(), n.to_string())), "status {s}: want {n}, got {got:?}");
    }
    assert_eq!(count(&case, "SELECT COUNT(*) FROM events"), 10_000);
}

#[test]
fn lnav_edge_cases_ingest_without_panic() {
    let Some(real) = real() else { return };
    let (_t, case) = ingest_file(&real.join("lnav/test"), &[]);
    assert_invariant(&case);
    let m = manifest(&case);
    let (lines, events, rejects) = m.totals();
    let damaged: Vec<&str> = m.inputs.iter().filter(|i| i.damaged).map(|i| i.path.as_str()).collect();
    let mut by_format: std::collections::BTreeMap<String, usize> = Default::default();
    for i in &m.inputs {
        *by_format.entry(i.format.clone().unwrap_or_else(|| "-".into())).or_default() += 1;
    }
    eprintln!("lnav corpus: {} files, {lines} lines = {events} events + {rejects} rejects; formats {by_format:?}; damaged {damaged:?}", m.inputs.len());
    assert!(
        damaged.contains(&"test/textfile_broken_gz.txt.gz") || damaged.iter().any(|d| d.ends_with("broken_gz.txt.gz"))
    );
}
