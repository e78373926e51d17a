//! Delivery by webhook against a real HTTP receiver on 127.0.0.1 (a thread with a TCP
//! listener speaking HTTP/1.1): the JSON, Slack and Teams shapes, retries on 500, a timeout,
//! and the exit codes. Nothing beyond loopback is contacted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;

/// What the receiver does with each request, in turn (the last repeats).
#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    Silence,
}

struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

fn receiver(script: Vec<Answer>) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/T000/secret-token", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut length = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            seen.lock().unwrap().push((request.trim().to_string(), json));
            match script[n.min(script.len() - 1)] {
                Answer::Status(code) => {
                    let _ = write!(stream, "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
                Answer::Silence => std::thread::sleep(Duration::from_secs(30)),
            }
        }
    });
    Receiver { url, bodies }
}

fn deliveries(case: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(case.join("deliveries.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn json_summary_is_retried_after_a_500_and_fail_on_keeps_precedence() {
    let (dir, _) = sample_case("ingest");
    let ev = dir.path().join("sample");
    let case = dir.path().join("case");
    let r = receiver(vec![Answer::Status(500), Answer::Status(200)]);
    let out = run(&[
        "run",
        ev.to_str().unwrap(),
        "--case",
        case.to_str().unwrap(),
        "-q",
        "--fail-on",
        "high",
        "--webhook",
        &r.url,
    ]);
    assert_eq!(out.status.code(), Some(1), "--fail-on decides: {}", String::from_utf8_lossy(&out.stderr));
    let got = r.bodies.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one retry after the 500");
    let (request, body) = &got[1];
    assert!(request.starts_with("POST /hooks/T000/secret-token "), "{request}");
    assert_eq!(body["tool"], "logsleuth");
    assert_eq!(body["case"], "case");
    assert_eq!(body["incidents_by_severity"]["critical"], 1);
    assert_eq!(body["incidents"][0]["severity"], "critical");
    assert!(body["incidents"][0]["title"].as_str().unwrap().starts_with("Attack chain by 198.51.100.23"));
    assert_eq!(body["incidents"].as_array().unwrap().len(), 2, "the incidents at or above high");
    assert!(body["report"].as_str().unwrap().ends_with("index.html"));
    let d = deliveries(&case);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0]["ok"].as_bool(), d[0]["attempts"].as_u64()), (Some(true), Some(2)));
    assert!(!d[0]["target"].as_str().unwrap().contains("secret"), "the token is not recorded: {}", d[0]);
}

#[test]
fn slack_and_teams_shapes_and_failures() {
    let (_dir, case) = sample_case("run");
    let c = case.to_str().unwrap();
    let slack = receiver(vec![Answer::Status(200)]);
    ok(&["report", "--case", c, "--webhook", &slack.url, "--webhook-format", "slack"]);
    let body = slack.bodies.lock().unwrap()[0].1.clone();
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("*[logsleuth] case: 1 critical, 1 high"), "{text}");
    assert!(text.contains("[critical] #1 Attack chain by 198.51.100.23"), "{text}");
    let teams = receiver(vec![Answer::Status(200)]);
    ok(&["report", "--case", c, "--webhook", &teams.url, "--webhook-format", "teams"]);
    let body = teams.bodies.lock().unwrap()[0].1.clone();
    assert_eq!(body["@type"], "MessageCard");
    assert!(body["text"].as_str().unwrap().contains("Attack chain by 198.51.100.23"));
    // A receiver that keeps failing: three attempts, then exit 6, with the report written.
    let broken = receiver(vec![Answer::Status(500)]);
    let out = run(&["report", "--case", c, "--webhook", &broken.url]);
    assert_eq!(out.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(after 3 attempts)"));
    assert_eq!(broken.bodies.lock().unwrap().len(), 3);
    assert!(case.join("report/index.html").exists());
    // One that never answers: each attempt times out.
    let silent = receiver(vec![Answer::Silence]);
    let t = std::time::Instant::now();
    let out = run(&["report", "--case", c, "--webhook", &silent.url, "--webhook-timeout", "0.3"]);
    assert_eq!(out.status.code(), Some(6));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no answer within 0.3 s"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(t.elapsed() < Duration::from_secs(20));
    let d = deliveries(&case);
    assert_eq!(d.iter().filter(|x| x["ok"] == false).count(), 2);
    // A 4xx is final: not retried.
    let gone = receiver(vec![Answer::Status(404)]);
    let out = run(&["report", "--case", c, "--webhook", &gone.url]);
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(gone.bodies.lock().unwrap().len(), 1);
}

/// A real SMTP server (tests/smtp_sink.py, aiosmtpd) on 127.0.0.1; `None` (skip) when Python's
/// aiosmtpd is missing locally, a failure under CI=true (`make test-deps` installs it).
struct Smtp {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    fn start(mode: &[&str]) -> Option<Smtp> {
        if !python_has("aiosmtpd") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(dir.path())
            .args(mode)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| panic!("smtp_sink.py did not start: {line:?}"));
        Some(Smtp { child, port, dir })
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages accepted so far, in order.
    fn messages(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort_by_key(|p| p.file_stem().unwrap().to_string_lossy().parse::<u32>().unwrap());
        files.iter().map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()).collect()
    }
}

fn part<'a>(msg: &'a serde_json::Value, content_type: &str, attached: bool) -> &'a serde_json::Value {
    msg["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["content_type"] == content_type && (p["disposition"] == "attachment") == attached)
        .unwrap_or_else(|| panic!("no {content_type} part (attached: {attached}) in {msg}"))
}

#[test]
fn email_has_both_parts_and_the_single_file_report_with_its_charts() {
    let Some(smtp) = Smtp::start(&["accept"]) else { return };
    let (dir, _) = sample_case("ingest");
    let ev = dir.path().join("sample");
    let case = dir.path().join("case");
    let out = run(&[
        "run",
        ev.to_str().unwrap(),
        "--case",
        case.to_str().unwrap(),
        "-q",
        "--fail-on",
        "high",
        "--mail-to",
        "soc@example.org",
        "--mail-to",
        "Manager <manager@example.org>",
        "--mail-from",
        "logsleuth@example.org",
        "--smtp",
        &smtp.url(),
        "--smtp-starttls",
        "opportunistic",
    ]);
    assert_eq!(out.status.code(), Some(1), "--fail-on decides: {}", String::from_utf8_lossy(&out.stderr));
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    let m = &msgs[0];
    assert_eq!(m["mail_from"], "logsleuth@example.org");
    assert_eq!(m["rcpt_tos"], serde_json::json!(["soc@example.org", "manager@example.org"]));
    let subject = m["subject"].as_str().unwrap();
    assert!(subject.starts_with("[logsleuth] case: 1 critical, 1 high"), "{subject}");
    assert!(subject.contains(" — 20"), "the period: {subject}");
    assert_eq!(m["content_type"], "multipart/mixed");
    let text = part(m, "text/plain", false)["text"].as_str().unwrap();
    assert!(text.contains("#1 [critical] Attack chain by 198.51.100.23"), "{text}");
    assert!(text.contains("Chain of custody: OK:"), "run verifies before it reports: {text}");
    let html = part(m, "text/html", false)["text"].as_str().unwrap();
    assert!(html.contains("Attack chain by 198.51.100.23") && html.contains("<table"), "{html}");
    // The attachment is the single-file report, its charts inside as data: images, while the
    // report on disk keeps its folder form.
    let a = part(m, "text/html", true);
    assert!(a["filename"].as_str().unwrap().starts_with("logsleuth-case-"), "{}", a["filename"]);
    let page = a["text"].as_str().unwrap();
    let pngs: Vec<_> = std::fs::read_dir(case.join("report"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .collect();
    assert!(pngs.len() >= 5, "the folder report keeps its charts");
    assert_eq!(page.matches("src=\"data:image/png;base64,").count(), pngs.len(), "every chart embedded");
    assert_eq!(page.matches("src=\"").count(), pngs.len(), "no image left as a file reference");
    let d = deliveries(&case);
    assert_eq!(d.len(), 1);
    assert_eq!((d[0]["kind"].as_str(), d[0]["ok"].as_bool()), (Some("email"), Some(true)));
    assert_eq!(d[0]["target"], format!("smtp://127.0.0.1:{}", smtp.port));
    assert!(d[0]["answer"].as_str().unwrap().starts_with("250 "), "{}", d[0]);
}

#[test]
fn email_escapes_log_text_and_a_quiet_week_is_still_mailed() {
    let Some(smtp) = Smtp::start(&["accept"]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    // A host name from the logs that is markup: it names the incident's host.
    let mut auth = String::new();
    for k in 0..12 {
        auth += &format!(
            "Dec  1 10:00:{k:02} <b>x</b><script>alert(1)</script> sshd[4{k:02}]: Failed password for root from 203.0.113.77 port {} ssh2\n",
            40000 + k
        );
    }
    auth += "Dec  1 10:01:00 <b>x</b><script>alert(1)</script> sshd[500]: Accepted password for root from 203.0.113.77 port 41000 ssh2\n";
    write(&ev, "h1/var/log/auth.log", auth.as_bytes());
    let case = dir.path().join("case");
    let c = case.to_str().unwrap();
    let url = smtp.url();
    let mail = ["--mail-to", "soc@example.org", "--smtp", url.as_str(), "--smtp-starttls", "never"];
    let mut args = vec!["run", ev.to_str().unwrap(), "--case", c, "--year", "2026", "-q"];
    args.extend(mail);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let msgs = smtp.messages();
    let html = part(&msgs[0], "text/html", false)["text"].as_str().unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the host name is shown, escaped: {html}");
    assert!(!html.contains("<script") && !html.contains("<b>x"), "{html}");
    let text = part(&msgs[0], "text/plain", false)["text"].as_str().unwrap();
    assert!(text.contains("<b>x</b><script>alert(1)</script>"), "plain text shows the name as it is: {text}");
    // A quiet week (a period with nothing in it) is still mailed, as proof of review.
    let mut args = vec!["report", "--case", c, "--from", "2026-06-01", "--to", "2026-06-08"];
    args.extend(mail);
    ok(&args);
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 2);
    let subject = msgs[1]["subject"].as_str().unwrap();
    assert!(subject.contains("nothing above low — 2026-06-01..2026-06-08"), "{subject}");
    let text = part(&msgs[1], "text/plain", false)["text"].as_str().unwrap();
    assert!(
        text.contains(
            "no incident at or above the threshold; 0 findings and 0 events in the period; 1 host in the case"
        ),
        "{text}"
    );
    assert!(text.contains("Chain of custody: OK:"), "{text}");
    assert!(part(&msgs[1], "text/html", true)["text"].as_str().unwrap().contains("<html"));
}

#[test]
fn email_refusals_and_bad_options_are_clear() {
    let Some(refuse) = Smtp::start(&["refuse-rcpt"]) else { return };
    let (dir, case) = sample_case("run");
    let c = case.to_str().unwrap();
    let ev = dir.path().join("sample");
    let url = refuse.url();
    // The server refuses the recipient: exit 6, the reason on stderr, the report written.
    std::fs::remove_dir_all(case.join("report")).ok();
    let out = run(&["report", "--case", c, "--mail-to", "nobody@example.org", "--smtp", &url]);
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("email via smtp://127.0.0.1:{}", refuse.port)) && err.contains("550"), "{err}");
    assert!(case.join("report/index.html").exists(), "the report is written all the same");
    let d = deliveries(&case);
    assert_eq!((d[0]["kind"].as_str(), d[0]["ok"].as_bool()), (Some("email"), Some(false)));
    assert!(d[0]["error"].as_str().unwrap().contains("550"));
    // The next report shows that attempt in its case section.
    ok(&["report", "--case", c]);
    let html = std::fs::read_to_string(case.join("report/index.html")).unwrap();
    assert!(
        html.contains("Deliveries of this case&#x27;s reports") || html.contains("Deliveries of this case's reports")
    );
    assert!(
        html.contains("nobody@example.org") && html.contains("failed: email via smtp://127.0.0.1"),
        "the refusal is in the report"
    );
    // --fail-on keeps precedence over the failed delivery.
    let out = run(&[
        "run",
        ev.to_str().unwrap(),
        "--case",
        c,
        "--fail-on",
        "high",
        "--mail-to",
        "nobody@example.org",
        "--smtp",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    // STARTTLS required by us, not offered by the server.
    let Some(plain) = Smtp::start(&["accept"]) else { return };
    let out = run(&[
        "report",
        "--case",
        c,
        "--mail-to",
        "a@example.org",
        "--smtp",
        &plain.url(),
        "--smtp-starttls",
        "required",
    ]);
    assert_eq!(out.status.code(), Some(6), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(plain.messages().is_empty());
    // The server wants a login: the password comes from the environment, never argv.
    let Some(auth) = Smtp::start(&["auth", "reporter", "s3cret pass"]) else { return };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logsleuth"))
        .args(["report", "--case", c, "--mail-to", "a@example.org", "--smtp", &auth.url(), "--smtp-user", "reporter"])
        .env("LOGSLEUTH_SMTP_PASSWORD", "s3cret pass")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(auth.messages()[0]["login"], "reporter");
    let pw = case.join("pw");
    std::fs::write(&pw, "wrong\n").unwrap();
    let out = run(&[
        "report",
        "--case",
        c,
        "--mail-to",
        "a@example.org",
        "--smtp",
        &auth.url(),
        "--smtp-user",
        "reporter",
        "--smtp-password-file",
        pw.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(6), "a refused login: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!deliveries(&case).iter().any(|d| d.to_string().contains("wrong")), "no password in the records");
    // Bad options are usage errors, said before any work.
    for (args, says) in [
        (vec!["--mail-to", "not an address"], "not an email address"),
        (vec!["--mail-to", "a@example.org", "--smtp", "smtp://u:p@host"], "credentials do not belong"),
        (vec!["--mail-to", "a@example.org", "--smtp", "http://host"], "unknown scheme"),
        (vec!["--mail-to", "a@example.org", "--smtp-user", "u"], "needs a password"),
    ] {
        let mut a = vec!["report", "--case", c];
        a.extend(args);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_logsleuth"))
            .args(&a)
            .env_remove("LOGSLEUTH_SMTP_PASSWORD")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{a:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{a:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = run(&["report", "--case", c, "--smtp", "smtp://h"]);
    assert_eq!(out.status.code(), Some(2), "--smtp without --mail-to");
}
