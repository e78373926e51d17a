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
