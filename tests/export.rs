//! `logsleuth export --format ecs-ndjson`: the case as an Elasticsearch/OpenSearch `_bulk` body,
//! checked against the bulk API's documented shape (NDJSON: an action line, then the document;
//! every line ends in a newline, the last one too) and ECS's nested field names.

use std::collections::HashSet;

use crate::common::*;

/// The body's (action, document) pairs, after checking the framing.
fn pairs(body: &[u8]) -> Vec<(serde_json::Value, serde_json::Value)> {
    assert!(body.ends_with(b"\n"), "a bulk body ends with a newline");
    let text = std::str::from_utf8(body).expect("UTF-8");
    let lines: Vec<&str> = text.strip_suffix('\n').unwrap().split('\n').collect();
    assert_eq!(lines.len() % 2, 0, "action and document lines in pairs");
    lines
        .chunks(2)
        .map(|p| {
            let a: serde_json::Value = serde_json::from_str(p[0]).expect("an action line is JSON");
            let d: serde_json::Value = serde_json::from_str(p[1]).expect("a document line is JSON");
            (a, d)
        })
        .collect()
}

fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && s.ends_with('Z')
}

#[test]
fn events_become_a_bulk_body_of_nested_ecs_documents() {
    let (dir, case) = sample_case("ingest");
    let c = case.to_str().unwrap();
    let out = dir.path().join("events.ndjson");
    let said = ok(&["export", "--case", c, "--format", "ecs-ndjson", "-o", out.to_str().unwrap()]);
    assert!(said.contains("events written to") && said.contains("_bulk"), "{said}");
    let docs = pairs(&std::fs::read(&out).unwrap());
    let events = count(&case, "SELECT COUNT(*) FROM events");
    assert_eq!(docs.len() as i64, events, "one document per event");
    let mut ids = HashSet::new();
    for (a, d) in &docs {
        let act = &a["index"];
        assert_eq!(act["_index"], "logsleuth-events");
        let id = act["_id"].as_str().unwrap();
        assert!(id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert!(ids.insert(id.to_string()), "ids are unique: {id}");
        assert!(is_rfc3339_utc(d["@timestamp"].as_str().unwrap()), "{}", d["@timestamp"]);
        assert_eq!(d["event"]["kind"], "event");
        assert!(d["event"]["original"].is_string() && d["event"]["module"].is_string());
        assert!(d["log"]["file"]["path"].is_string());
        let top: Vec<&String> = d.as_object().unwrap().keys().collect();
        assert!(
            top.iter().all(|k| !k.contains('_') || *k == "user_agent" || *k == "@timestamp"),
            "flat columns left: {top:?}"
        );
    }
    // Nested names carry the columns' values: as many source.ip / http status / process.args
    // as the case has.
    let with = |f: &dyn Fn(&serde_json::Value) -> bool| docs.iter().filter(|(_, d)| f(d)).count() as i64;
    assert_eq!(with(&|d| d["source"]["ip"].is_string()), count(&case, "SELECT COUNT(source_ip) FROM events"));
    assert_eq!(
        with(&|d| d["http"]["response"]["status_code"].is_number()),
        count(&case, "SELECT COUNT(http_response_status_code) FROM events")
    );
    assert_eq!(with(&|d| d["process"]["args"].is_array()), count(&case, "SELECT COUNT(process_args) FROM events"));
    assert_eq!(
        with(&|d| d["event"]["action"] == "auth.failure"),
        count(&case, "SELECT COUNT(*) FROM events WHERE event_action = 'auth.failure'")
    );
    // A failed login, field by field.
    let (_, d) =
        docs.iter().find(|(_, d)| d["event"]["action"] == "auth.failure" && d["user"]["name"].is_string()).unwrap();
    assert_eq!(d["event"]["module"], "auth");
    assert!(d["source"]["ip"].is_string() && d["host"]["name"].is_string() && d["logsleuth"]["log_line"].is_number());
    // The same export twice: the same bytes (ids come from provenance, so a reload replaces).
    let again = dir.path().join("again.ndjson");
    ok(&["export", "--case", c, "--format", "ecs-ndjson", "-o", again.to_str().unwrap()]);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&again).unwrap());
    // To stdout, with another index name.
    let o = run(&["export", "--case", c, "--format", "ecs-ndjson", "-o", "-", "--index", "case-42"]);
    assert!(o.status.success());
    let docs = pairs(&o.stdout);
    assert_eq!(docs.len() as i64, events);
    assert_eq!(docs[0].0["index"]["_index"], "case-42");
}

#[test]
fn findings_become_alerts_and_bad_requests_are_refused() {
    let (dir, case) = sample_case("ingest");
    let c = case.to_str().unwrap();
    let out = dir.path().join("findings.ndjson");
    let o = run(&["export", "--case", c, "--format", "ecs-ndjson", "--findings", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "no findings yet");
    assert!(String::from_utf8_lossy(&o.stderr).contains("logsleuth detect"));
    assert!(!out.exists());
    ok(&["detect", "--case", c, "-q"]);
    ok(&["export", "--case", c, "--format", "ecs-ndjson", "--findings", "-o", out.to_str().unwrap()]);
    let docs = pairs(&std::fs::read(&out).unwrap());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(case.join("findings.json")).unwrap()).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(docs.len(), findings.len());
    for ((a, d), f) in docs.iter().zip(findings) {
        assert_eq!(a["index"]["_id"], f["id"]);
        assert_eq!(d["event"]["kind"], "alert");
        assert_eq!(d["rule"]["id"], f["rule"]);
        assert_eq!(d["message"], f["title"]);
        assert_eq!(d["@timestamp"], f["first_seen"]);
        assert_eq!(d["event"]["end"], f["last_seen"]);
        assert_eq!(d["logsleuth"]["severity"], f["severity"]);
        let n = d["event"]["severity"].as_i64().unwrap();
        assert!([21, 47, 73, 99].contains(&n));
        // details as JSON text, equal to the finding's.
        let details: serde_json::Value = serde_json::from_str(d["logsleuth"]["details"].as_str().unwrap()).unwrap();
        assert_eq!(details, f["details"]);
        assert_eq!(d["logsleuth"]["evidence"], f["evidence"]);
        if let Some(ip) = f["source_ip"].as_str() {
            assert_eq!(d["source"]["ip"], ip);
        }
    }
    // An index name the bulk API refuses, and a mapping naming no column.
    let o = run(&["export", "--case", c, "--format", "ecs-ndjson", "-o", "-", "--index", "Bad Index"]);
    assert_eq!(o.status.code(), Some(2));
    let m = write(dir.path(), "m.toml", b"[events]\nsrc_ip = \"source.ip\"\n[findings]\n");
    let o = run(&["export", "--case", c, "--format", "ecs-ndjson", "-o", "-", "--mapping", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("src_ip: no such column"));
}

#[test]
fn hostile_bytes_stay_inside_their_json_string() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let mut line = b"Jan  5 14:10:05 web01 sshd[812]: Failed password for invalid user ad\x1b[2Jmin\xff\xfe from 192.0.2.7 port 50412 ssh2\n".to_vec();
    line.extend_from_slice(b"Jan  5 14:10:09 web01 sshd[812]: Failed password for invalid user {\"index\":{}} from 192.0.2.7 port 50413 ssh2\n");
    let p = write(&ev, "web01/var/log/auth.log", &line);
    set_mtime(&p, 1_767_225_600 + 40 * 86_400);
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let o = run(&["export", "--case", case.to_str().unwrap(), "--format", "ecs-ndjson", "-o", "-"]);
    assert!(o.status.success());
    let docs = pairs(&o.stdout);
    assert_eq!(docs.len(), 2, "an escape, invalid UTF-8 or JSON in a line never splits a document");
    let raw = docs.iter().find_map(|(_, d)| d["logsleuth"]["event_original_raw"].as_str()).expect("raw bytes kept");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(raw).unwrap();
    assert_eq!(bytes, line[..line.iter().position(|&b| b == b'\n').unwrap()], "byte-exact, as base64");
}
