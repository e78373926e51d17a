//! End-to-end tests of `logsleuth ingest`: the real binary on fixture trees, the dataset read
//! back through polars.

use crate::common::*;
use logsleuth::parse::time::{days_from_civil, format_rfc3339};

fn secs(y: i64, m: u32, d: u32, h: u32) -> i64 {
    days_from_civil(y, m, d) * 86_400 + h as i64 * 3600
}

const AUTH: &str = "Dec 30 23:59:58 web01 sshd[100]: Failed password for root from 203.0.113.7 port 50001 ssh2
Dec 31 23:59:59 web01 sshd[100]: Failed password for invalid user admin from 2001:db8::7 port 50002 ssh2
Jan  1 00:00:01 web01 sshd[101]: Accepted publickey for alice from 10.0.0.9 port 50003 ssh2: ED25519 SHA256:x
Jan  1 00:00:02 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id
this line is not syslog
Jan  1 00:00:03 web01 CRON[5]: (root) CMD (true)
";

/// A tree with one file of every shape ingest must survive.
fn fixture_tree(root: &std::path::Path) {
    let p = write(root, "web01/var/log/auth.log", AUTH.as_bytes());
    set_mtime(&p, secs(2027, 1, 1, 1));
    let access = concat!(
        "203.0.113.9 - - [01/Jan/2027:00:00:02 +0100] \"GET /a?b=1 HTTP/1.1\" 200 12 \"-\" \"curl/8 \\\"q\\\"\"\n",
        "2001:db8::9 - bob [01/Jan/2027:00:00:03 +0000] \"\\x16\\x03\\x01\" 400 - \"-\" \"-\"\n",
        "garbage\n"
    );
    write(root, "web01/var/log/nginx/access.log", access.as_bytes());
    let ufw = "Jan  1 00:00:04 web01 kernel: [ 12.5] [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.1 DST=10.0.0.5 PROTO=TCP SPT=1 DPT=23\n";
    let p = write(root, "web01/var/log/ufw.log.1.gz", &gzip(ufw.as_bytes()));
    set_mtime(&p, secs(2027, 1, 1, 2));
    write(
        root,
        "app/var/log/app.json",
        b"{\"ts\":\"2027-01-01T00:00:05Z\",\"msg\":\"hi\",\"user\":\"x\"}\n{\"no\":\"time\"}\nnot json\n",
    );
    write(
        root,
        "vpn/logins.csv",
        b"timestamp,user_id,source_ip,action,success\r\n2027-01-01T00:00:06Z,bob,203.0.113.1,login,false\r\n",
    );
    write(
        root,
        "gw/var/log/remote.log",
        b"<38>1 2027-01-01T00:00:07.5Z gw sshd 77 - - Invalid user test from 192.0.2.1 port 22\n",
    );
    write(root, "misc/var/log/java.log", b"Exception in thread main\n\tat Foo.bar(Foo.java:1)\n");
    write(root, "misc/var/log/empty.log", b"");
    write(root, "misc/var/log/crlf.log", b"Jan  1 00:00:08 misc app: one\r\nJan  1 00:00:09 misc app: two\r\n");
    let mut bad = b"Jan  1 00:00:10 misc app: bytes \xff\xfe end\n".to_vec();
    bad.extend_from_slice(b"Jan  1 00:00:11 misc app: fine\n");
    write(root, "misc/var/log/bad_utf8.log", &bad);
    let mut huge = b"Jan  1 00:00:12 misc app: ".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 1 << 20));
    huge.extend_from_slice(b"\nJan  1 00:00:13 misc app: after\n");
    write(root, "misc/var/log/huge.log", &huge);
    write(root, "misc/var/log/wtmp", &[0u8; 768]);
    for p in ["misc/var/log/crlf.log", "misc/var/log/bad_utf8.log", "misc/var/log/huge.log"] {
        set_mtime(&root.join(p), secs(2027, 1, 2, 0));
    }
}

#[test]
fn every_shape_keeps_lines_equal_events_plus_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    fixture_tree(&ev);
    let case = dir.path().join("case");
    let out = ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap()]);
    assert!(out.contains("lines:"), "{out}");
    assert_invariant(&case);
    let m = manifest(&case);
    let auth = input(&m, "web01/var/log/auth.log");
    assert_eq!((auth.lines, auth.events, auth.rejects), (6, 5, 1));
    assert_eq!(auth.format.as_deref(), Some("syslog"));
    assert_eq!(input(&m, "web01/var/log/ufw.log.1.gz").compression.as_deref(), Some("gzip"));
    assert_eq!(input(&m, "misc/var/log/java.log").format.as_deref(), Some("unknown"));
    assert_eq!(input(&m, "misc/var/log/java.log").rejects, 2);
    let empty = input(&m, "misc/var/log/empty.log");
    assert_eq!((empty.size, empty.lines), (0, 0));
    assert!(input(&m, "misc/var/log/wtmp").skipped.as_deref().unwrap().starts_with("binary"));
    let huge = input(&m, "misc/var/log/huge.log");
    assert_eq!((huge.lines, huge.events), (2, 2), "a 1 MB line is an ordinary line");
    assert_eq!(input(&m, "vpn/logins.csv").events, 1);
    assert_eq!(input(&m, "gw/var/log/remote.log").format.as_deref(), Some("rfc5424"));
    // Modules land in their partitions.
    let df = sql(&case, "SELECT event_module, COUNT(*) AS n FROM events GROUP BY event_module ORDER BY event_module");
    assert_eq!(
        strings(&df, "event_module").into_iter().flatten().collect::<Vec<_>>(),
        ["auth", "csv", "firewall", "json", "nginx_access", "syslog"]
    );
    assert!(case.join("events/event_module=auth").is_dir());
    assert!(case.join("rejects/log_format=unknown").is_dir());
}

#[test]
fn year_rollover_crlf_invalid_utf8_and_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    fixture_tree(&ev);
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let df = sql(
        &case,
        "SELECT timestamp, year_source, log_line, user_name, source_ip FROM events WHERE log_file_path = 'web01/var/log/auth.log' ORDER BY log_line",
    );
    let ts = strings(&df, "timestamp");
    assert_eq!(ts[0].as_deref(), Some("2026-12-30T23:59:58Z"), "December lines belong to the year before the mtime");
    assert_eq!(ts[2].as_deref(), Some("2027-01-01T00:00:01Z"));
    assert_eq!(strings(&df, "year_source")[0].as_deref(), Some("mtime"));
    assert_eq!(strings(&df, "log_line").iter().flatten().cloned().collect::<Vec<_>>(), ["1", "2", "3", "4", "6"]);
    assert_eq!(strings(&df, "source_ip")[1].as_deref(), Some("2001:db8::7"));
    let df =
        sql(&case, "SELECT event_original FROM events WHERE log_file_path = 'misc/var/log/crlf.log' ORDER BY log_line");
    assert_eq!(strings(&df, "event_original")[0].as_deref(), Some("Jan  1 00:00:08 misc app: one"), "CR stripped");
    let df = sql(&case, "SELECT event_original, event_original_raw FROM events WHERE log_file_path = 'misc/var/log/bad_utf8.log' AND log_line = 1");
    assert!(strings(&df, "event_original")[0].as_deref().unwrap().contains('\u{fffd}'));
    let raw = df.column("event_original_raw").unwrap().binary().unwrap().get(0).unwrap().to_vec();
    assert_eq!(raw, b"Jan  1 00:00:10 misc app: bytes \xff\xfe end", "invalid UTF-8 kept byte-exact");
    let df = sql(
        &case,
        "SELECT timestamp, timestamp_original_offset FROM events WHERE event_module = 'nginx_access' ORDER BY log_line",
    );
    assert_eq!(strings(&df, "timestamp")[0].as_deref(), Some("2026-12-31T23:00:02Z"));
    assert_eq!(strings(&df, "timestamp_original_offset")[0].as_deref(), Some("60"));
}

#[test]
fn year_and_zone_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    write(&ev, "h/var/log/syslog", b"Jul  1 12:00:00 h app: summer\nDec  1 12:00:00 h app: winter\n");
    let case = dir.path().join("case");
    ok(&[
        "ingest",
        ev.to_str().unwrap(),
        "--case",
        case.to_str().unwrap(),
        "--year",
        "2024",
        "--tz",
        "Europe/Berlin",
        "-q",
    ]);
    let df = sql(&case, "SELECT timestamp, year_source FROM events ORDER BY log_line");
    assert_eq!(strings(&df, "timestamp")[0].as_deref(), Some("2024-07-01T10:00:00Z"));
    assert_eq!(strings(&df, "timestamp")[1].as_deref(), Some("2024-12-01T11:00:00Z"));
    assert_eq!(strings(&df, "year_source")[0].as_deref(), Some("override"));
    let bad = run(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "--tz", "Mars/Base"]);
    assert_eq!(bad.status.code(), Some(2), "bad --tz is a usage error");
}

#[test]
fn truncated_gzip_keeps_complete_lines_and_marks_damage() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!(
            "Dec  1 10:{:02}:{:02} h sshd[1]: Failed password for root from 192.0.2.{} port {} ssh2\n",
            i / 60 % 60,
            i % 60,
            i % 250,
            1000 + i
        ));
    }
    let gz = gzip(text.as_bytes());
    write(&ev, "h/var/log/auth.log.2.gz", &gz[..gz.len() / 2]);
    write(&ev, "h/var/log/auth.log", b"Dec  2 10:00:00 h sshd[1]: Server listening on 0.0.0.0 port 22.\n");
    let case = dir.path().join("case");
    let out = ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap()]);
    assert!(out.contains("damaged: h/var/log/auth.log.2.gz"), "{out}");
    let m = manifest(&case);
    let r = input(&m, "h/var/log/auth.log.2.gz");
    assert!(r.damaged);
    assert!(r.error.as_deref().unwrap().contains("gzip"), "{:?}", r.error);
    assert!(r.events > 1000 && r.events < 5000, "recovered {} of 5000", r.events);
    assert_invariant(&case);
    let strict =
        run(&["ingest", ev.to_str().unwrap(), "--case", dir.path().join("c2").to_str().unwrap(), "--strict", "-q"]);
    assert_eq!(strict.status.code(), Some(4), "--strict turns damage into an error");
}

#[test]
fn reingest_is_idempotent_and_incremental() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let week1 = "Dec  1 10:00:00 h sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2\nDec  1 10:00:01 h sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2\n";
    write(&ev, "h/var/log/auth.log", week1.as_bytes());
    let case = dir.path().join("case");
    let c = case.to_str().unwrap();
    ok(&["ingest", ev.to_str().unwrap(), "--case", c, "-q"]);
    let n1 = count(&case, "SELECT COUNT(*) FROM events");
    let out = ok(&["ingest", ev.to_str().unwrap(), "--case", c]);
    assert!(out.contains("1 unchanged"), "{out}");
    assert_eq!(count(&case, "SELECT COUNT(*) FROM events"), n1, "re-ingest adds nothing");
    assert_eq!(manifest(&case).inputs.len(), 1);

    // The live file grows: only the appended lines are read, numbered after the old ones.
    let grown = format!("{week1}Dec  1 10:00:02 h sshd[1]: Accepted password for root from 192.0.2.1 port 3 ssh2\n");
    write(&ev, "h/var/log/auth.log", grown.as_bytes());
    ok(&["ingest", ev.to_str().unwrap(), "--case", c, "-q"]);
    assert_eq!(count(&case, "SELECT COUNT(*) FROM events"), 3);
    assert_eq!(count(&case, "SELECT MAX(log_line) FROM events"), 3);
    let m = manifest(&case);
    let last = input(&m, "h/var/log/auth.log");
    assert_eq!((last.first_line, last.lines, last.run), (3, 1, 3), "run 2 was the no-op re-ingest");
    assert_invariant(&case);

    // logrotate: auth.log becomes auth.log.1 (same bytes) and a new auth.log starts.
    std::fs::rename(ev.join("h/var/log/auth.log"), ev.join("h/var/log/auth.log.1")).unwrap();
    write(&ev, "h/var/log/auth.log", b"Dec  8 10:00:00 h sshd[1]: Server listening on 0.0.0.0 port 22.\n");
    let out = ok(&["ingest", ev.to_str().unwrap(), "--case", c]);
    assert!(out.contains("1 duplicate"), "{out}");
    assert_eq!(count(&case, "SELECT COUNT(*) FROM events"), 4, "the rotated copy is not stored again");
    let m = manifest(&case);
    assert_eq!(input(&m, "h/var/log/auth.log.1").duplicate_of.as_deref(), Some("h/var/log/auth.log"));

    // --force rebuilds from what the tree holds now.
    ok(&["ingest", ev.to_str().unwrap(), "--case", c, "--force", "-q"]);
    assert_eq!(count(&case, "SELECT COUNT(*) FROM events"), 4);
    assert_eq!(manifest(&case).runs.len(), 1);
    assert_invariant(&case);
}

#[test]
fn same_content_twice_is_ingested_once() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let text = b"Dec  1 10:00:00 h sshd[1]: Invalid user a from 192.0.2.1 port 1\n";
    write(&ev, "h/var/log/auth.log.1", text);
    write(&ev, "h/var/log/auth.log.2.gz", &gzip(text));
    write(&ev, "copy/auth.log.1", text);
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let m = manifest(&case);
    assert_eq!(input(&m, "h/var/log/auth.log.2.gz").duplicate_of.as_deref(), Some("h/var/log/auth.log.1"));
    assert_eq!(
        input(&m, "copy/auth.log.1").duplicate_of.as_deref(),
        Some("h/var/log/auth.log.1"),
        "the /var/log file is the original"
    );
    let gz = input(&m, "h/var/log/auth.log.2.gz");
    assert_eq!(gz.content_sha256, input(&m, "h/var/log/auth.log.1").content_sha256);
    assert_ne!(gz.sha256, gz.content_sha256);
    assert_eq!(count(&case, "SELECT COUNT(*) FROM events"), 1);
    assert_invariant(&case);
}

#[test]
fn one_thread_and_many_plain_and_gzip_give_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..30_000 {
        text.push_str(&format!(
            "Dec  1 {:02}:{:02}:{:02} h sshd[{}]: Failed password for u{} from 192.0.2.{} port {} ssh2\n",
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            i,
            i % 97,
            i % 250,
            i
        ));
    }
    let plain = dir.path().join("plain");
    let p = write(&plain, "h/var/log/auth.log", text.as_bytes());
    set_mtime(&p, secs(2026, 12, 2, 0));
    let gz = dir.path().join("gz");
    let p = write(&gz, "h/var/log/auth.log", &gzip(text.as_bytes()));
    set_mtime(&p, secs(2026, 12, 2, 0));
    let q =
        "SELECT timestamp, log_line, user_name, source_ip, source_port, event_original FROM events ORDER BY log_line";
    let mut frames = Vec::new();
    for (src, threads) in [(&plain, "1"), (&plain, "4"), (&gz, "2")] {
        let case = dir.path().join(format!("case-{}-{threads}", src.file_name().unwrap().to_str().unwrap()));
        ok(&["ingest", src.to_str().unwrap(), "--case", case.to_str().unwrap(), "--threads", threads, "-q"]);
        assert_invariant(&case);
        frames.push(sql(&case, q));
    }
    assert_eq!(frames[0].height(), 30_000);
    assert!(frames[0].equals_missing(&frames[1]), "1 thread vs 4 threads");
    assert!(frames[0].equals_missing(&frames[2]), "plain vs gzip");
}

#[test]
fn symlinks_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    write(&ev, "h/var/log/auth.log", b"Dec  1 10:00:00 h sshd[1]: Server listening on 0.0.0.0 port 22.\n");
    write(dir.path(), "outside.log", b"Dec  1 10:00:00 h sshd[1]: secret\n");
    std::os::unix::fs::symlink(dir.path().join("outside.log"), ev.join("h/var/log/out.log")).unwrap();
    let case = dir.path().join("case");
    let out = ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap()]);
    assert!(out.contains("skipped 1: symlink pointing outside the evidence tree"), "{out}");
    let m = manifest(&case);
    assert!(input(&m, "h/var/log/out.log").skipped.is_some());
    assert_eq!(count(&case, "SELECT COUNT(*) FROM events"), 1);

    let empty = dir.path().join("nothing");
    std::fs::create_dir_all(&empty).unwrap();
    let r = run(&["ingest", empty.to_str().unwrap(), "--case", dir.path().join("c2").to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(3), "nothing to ingest");
    assert!(String::from_utf8_lossy(&r.stderr).contains("nothing could be ingested"));
    let r = run(&[
        "ingest",
        dir.path().join("missing").to_str().unwrap(),
        "--case",
        dir.path().join("c3").to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2), "a missing input is a usage error (README)");
    assert!(String::from_utf8_lossy(&r.stderr).contains("does not exist"));
}

#[test]
fn evidence_is_not_modified() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    fixture_tree(&ev);
    let snapshot = || -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
        walkdir::WalkDir::new(&ev)
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                (
                    e.path().display().to_string(),
                    std::fs::read(e.path()).unwrap(),
                    e.metadata().unwrap().modified().unwrap(),
                )
            })
            .collect()
    };
    let before = snapshot();
    ok(&["ingest", ev.to_str().unwrap(), "--case", dir.path().join("case").to_str().unwrap(), "-q"]);
    assert_eq!(before, snapshot(), "contents and mtimes unchanged");
}

#[test]
fn manifest_has_the_contract_keys() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    fixture_tree(&ev);
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(case.join("manifest.json")).unwrap()).unwrap();
    for k in ["logsleuth_version", "command", "started_at", "finished_at", "inputs"] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let keys = [
        "path",
        "size",
        "mtime",
        "sha256",
        "content_sha256",
        "compression",
        "format",
        "rotation_set",
        "rotation_index",
        "lines",
        "events",
        "rejects",
        "first_timestamp",
        "last_timestamp",
        "damaged",
        "error",
        "duplicate_of",
        "skipped",
    ];
    for i in v["inputs"].as_array().unwrap() {
        for k in keys {
            assert!(i.get(k).is_some(), "input {} lacks {k}", i["path"]);
        }
    }
    let auth = v["inputs"].as_array().unwrap().iter().find(|i| i["path"] == "web01/var/log/auth.log").unwrap();
    let sha = auth["sha256"].as_str().unwrap();
    use sha2::Digest;
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(AUTH.as_bytes())));
    assert_eq!(auth["first_timestamp"], format_rfc3339(secs(2026, 12, 30, 23) * 1_000_000 + 3_598_000_000));
    assert!(v["command"].as_str().unwrap().contains("ingest"));
}

#[test]
fn schema_doc_is_current() {
    let doc = std::fs::read_to_string(project_dir().join("docs/schema.md")).unwrap();
    assert_eq!(
        doc,
        logsleuth::schema::schema_markdown(),
        "docs/schema.md is stale: run `logsleuth schema > docs/schema.md`"
    );
}

#[test]
fn the_sniffer_says_why_and_the_summary_names_files_not_understood() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let err = write(
        &ev,
        "web01/var/log/apache2/error.log",
        b"[Sun Dec 14 02:36:09.074850 2025] [core:info] [pid 13118] [client 209.167.27.14:5487] AH00128: File does not exist: /var/www/html/x\n\
          [Sun Dec 14 02:36:10.000001 2025] [core:error] [pid 13119] [client 209.167.27.15:5488] AH00128: File does not exist: /var/www/html/y\n",
    );
    write(&ev, "web01/var/log/noise.txt", b"just words\nmore words here\nand nothing with a time\n");
    let out = ok(&["formats", "--explain", err.to_str().unwrap()]);
    assert!(out.contains("* error_log") && out.contains("winner: error_log (2 of 2 lines"), "{out}");
    let noise = ev.join("web01/var/log/noise.txt");
    let out = ok(&["formats", "--explain", noise.to_str().unwrap()]);
    assert!(out.contains("no format explains at least a third"), "{out}");
    let case = dir.path().join("case");
    let out = ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap()]);
    assert!(out.contains("not understood: web01/var/log/noise.txt (unknown): 3 of 3 lines are rejects"), "{out}");
    let m = manifest(&case);
    assert_eq!(input(&m, "web01/var/log/apache2/error.log").sniff_score.as_deref(), Some("2/2"));
    assert_eq!(input(&m, "web01/var/log/noise.txt").sniff_score.as_deref(), Some("0/3"));
}

/// Logs of systems no format knows (shapes as Hadoop's log4j, HDFS and a Go service write
/// them) become `text` events with their times; a file of pure noise stays all rejects.
#[test]
fn timestamped_text_fallback_and_noise() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    write(
        &ev,
        "app01/hadoop/mapred.log",
        b"\tat java.lang.Thread.run(Thread.java:745)\n\
2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001\n\
2015-10-18 18:01:48,963 WARN [main] org.apache.hadoop.util.NativeCodeLoader: Unable to load native-hadoop library for your platform\n\
2015-10-18 18:01:50,001 ERROR [IPC Server handler 3] org.apache.hadoop.ipc.Server: IPC failure\n\
java.net.ConnectException: Connection refused\n\
\tat org.apache.hadoop.ipc.Client.call(Client.java:1475)\n\
Caused by: java.io.IOException: reset\n",
    );
    write(
        &ev,
        "app01/hdfs/datanode.log",
        b"081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating\n\
081109 203807 222 INFO dfs.DataNode$PacketResponder: PacketResponder 0 for block blk_-6952295868487656571 terminating\n",
    );
    write(&ev, "app01/noise.txt", b"lorem ipsum dolor\n12345 sit amet\nconsectetur 2026 adipiscing\n");
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    assert_invariant(&case);
    let m = manifest(&case);
    assert_eq!(input(&m, "app01/hadoop/mapred.log").format.as_deref(), Some("text"));
    let hadoop = input(&m, "app01/hadoop/mapred.log");
    assert_eq!((hadoop.lines, hadoop.events, hadoop.continued, hadoop.rejects), (7, 3, 3, 1));
    // The stack trace stays with its ERROR line: one event over lines 4-7.
    let trace = sql(
        &case,
        "SELECT log_line, log_line_end, message FROM events WHERE log_file_path = 'app01/hadoop/mapred.log' AND log_level = 'error'",
    );
    assert_eq!(strings(&trace, "log_line")[0].as_deref(), Some("4"));
    assert_eq!(strings(&trace, "log_line_end")[0].as_deref(), Some("7"));
    let message = strings(&trace, "message")[0].clone().unwrap();
    assert!(message.ends_with("IPC failure\njava.net.ConnectException: Connection refused\n\tat org.apache.hadoop.ipc.Client.call(Client.java:1475)\nCaused by: java.io.IOException: reset"), "{message:?}");
    let reject = sql(&case, "SELECT log_line FROM rejects WHERE log_file_path = 'app01/hadoop/mapred.log'");
    assert_eq!(
        strings(&reject, "log_line")[0].as_deref(),
        Some("1"),
        "a trace line with no record above it stays a reject"
    );
    assert_eq!(input(&m, "app01/hdfs/datanode.log").events, 2);
    let noise = input(&m, "app01/noise.txt");
    assert_eq!((noise.events, noise.rejects), (0, 3), "the fallback never invents a time");
    let df = sql(
        &case,
        "SELECT timestamp, log_level, process_name, host_name FROM events WHERE event_module = 'text' ORDER BY timestamp",
    );
    assert_eq!(strings(&df, "timestamp")[0].as_deref(), Some("2008-11-09T20:36:15Z"));
    assert_eq!(strings(&df, "timestamp")[2].as_deref(), Some("2015-10-18T18:01:47.978000Z"));
    assert_eq!(strings(&df, "log_level")[4].as_deref(), Some("error"));
    assert_eq!(strings(&df, "process_name")[4].as_deref(), Some("IPC Server handler 3"), "a bracketed thread name");
    assert_eq!(strings(&df, "process_name")[0].as_deref(), Some("dfs.DataNode$PacketResponder"));
    assert!(strings(&df, "host_name").iter().all(|h| h.as_deref() == Some("app01")));
    // Silence from a file that was not understood is not absence: the report says so.
    let report = dir.path().join("report");
    ok(&["report", "--case", case.to_str().unwrap(), "--out", report.to_str().unwrap()]);
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(html.contains("Not understood: app01/noise.txt (unknown): 3 of 3 lines are rejects"), "report lists it");
}

#[test]
fn verify_detects_changed_missing_and_new_evidence_and_an_edited_case() {
    let (dir, case) = sample_case("run");
    let ev = dir.path().join("sample");
    let (c, e) = (case.to_str().unwrap(), ev.to_str().unwrap());
    // Fresh: everything matches, and run already verified (the report says so).
    let out = run(&["verify", "--case", c, "--evidence", e]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("OK: "));
    let html = std::fs::read_to_string(case.join("report/index.html")).unwrap();
    assert!(html.contains("Chain of custody:</b> last verified"), "run verifies before it reports");
    let m = manifest(&case);
    assert!(!m.parts.is_empty() && m.parts.len() == m.parts.keys().filter(|p| p.ends_with(".parquet")).count());
    assert_eq!(m.derived.len(), 4, "{:?}", m.derived);
    // Tamper: an input changed, one removed, one added; a part replaced; findings edited.
    let auth = ev.join("web01/var/log/auth.log");
    let mut text = std::fs::read(&auth).unwrap();
    text.extend_from_slice(b"Jan  4 23:59:59 web01 sshd[1]: appended after the fact\n");
    std::fs::write(&auth, text).unwrap();
    std::fs::remove_file(ev.join("web01/var/log/syslog")).unwrap();
    write(&ev, "web01/var/log/late.log", b"Jan  4 23:59:59 web01 x: new\n");
    let part = m.parts.keys().next().unwrap().clone();
    let other = m.parts.keys().nth(1).unwrap().clone();
    std::fs::copy(case.join(&other), case.join(&part)).unwrap();
    let f = case.join("findings.json");
    let edited = std::fs::read_to_string(&f).unwrap().replacen("\"critical\"", "\"low\"", 1);
    std::fs::write(&f, edited).unwrap();
    let out = run(&["verify", "--case", c, "--evidence", e, "--json"]);
    assert_eq!(out.status.code(), Some(7));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |kind: &str, path: &str| -> String {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["kind"] == kind && x["path"] == path)
            .map(|x| x["status"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{kind} {path} not checked"))
    };
    assert_eq!(status("input", "web01/var/log/auth.log"), "changed");
    assert_eq!(status("input", "web01/var/log/syslog"), "missing");
    assert_eq!(status("input", "web01/var/log/late.log"), "new");
    assert_eq!(status("part", &part), "changed");
    assert_eq!(status("derived", "findings.json"), "changed");
    assert_eq!(status("derived", "incidents.json"), "unchanged");
    assert_eq!(v["ok"], false);
    // The recorded and the present hash of a changed input are both given.
    let changed = v["checks"].as_array().unwrap().iter().find(|x| x["path"] == "web01/var/log/auth.log").unwrap();
    assert_ne!(changed["recorded_sha256"], changed["sha256"]);
    assert!(case.join("verification.json").exists());
}

#[test]
fn a_case_never_eats_itself_and_swapped_arguments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("evidence");
    write(
        &ev,
        "web01/var/log/auth.log",
        b"Dec  5 10:00:01 web01 sshd[12]: Accepted password for a from 192.0.2.4 port 22 ssh2\n",
    );
    let (e, inside) = (ev.to_str().unwrap(), ev.join("case"));
    // The case inside the evidence.
    let out = run(&["ingest", e, "--case", inside.to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is inside the evidence"));
    assert!(!inside.exists(), "nothing written into the evidence");
    // A real case, then given as evidence, and an input inside the case.
    let case = dir.path().join("case");
    ok(&["ingest", e, "--case", case.to_str().unwrap(), "-q"]);
    let other = dir.path().join("case2");
    let out = run(&["ingest", case.to_str().unwrap(), "--case", other.to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a logsleuth case, not evidence"));
    let out = run(&["ingest", case.join("events").to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is inside the case folder"));
    // Swapped: a non-empty folder that is not a case.
    let single = dir.path().join("single.log");
    std::fs::write(&single, "Dec  5 10:00:01 web01 sshd[12]: x\n").unwrap();
    let out = run(&["ingest", single.to_str().unwrap(), "--case", e, "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty and is not a case"));
    assert!(!ev.join("manifest.json").exists() && !ev.join(".lock").exists(), "the evidence folder is untouched");
}

#[test]
fn damaged_case_files_are_named_never_read_as_empty() {
    let (_dir, case) = sample_case("run");
    let c = case.to_str().unwrap();
    // A findings.json cut short: report and pivot say so, and nothing overwrites it.
    let f = case.join("findings.json");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, &text[..text.len() / 2]).unwrap();
    for args in [vec!["report", "--case", c], vec!["pivot", "--case", c, "--ip", "198.51.100.23"]] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(5), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("findings.json") && err.contains("logsleuth detect --case"), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read_to_string(&f).unwrap().len(), text.len() / 2, "the damaged file is left as it is");
    // The same for incidents.json.
    std::fs::write(&f, &text).unwrap();
    std::fs::write(case.join("incidents.json"), "{\"incidents\": [").unwrap();
    let out = run(&["report", "--case", c]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("incidents.json"));
    // A Parquet part cut short: every command names it.
    let m = manifest(&case);
    let part = case.join(m.parts.keys().next().unwrap());
    let bytes = std::fs::read(&part).unwrap();
    std::fs::write(&part, &bytes[..bytes.len() - 100]).unwrap();
    let out = run(&["query", "--case", c, "SELECT COUNT(*) FROM events"]);
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&part.display().to_string()) && err.contains("damaged"), "{err}");
    // A manifest that is not JSON.
    std::fs::write(case.join("manifest.json"), "{").unwrap();
    let out = run(&["query", "--case", c, "SELECT 1"]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest.json"));
}

/// The bytes a compressed file holds (by its magic), as far as they can be read.
fn decompressed(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    let _ = match bytes {
        [0x1f, 0x8b, ..] => flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out),
        [b'B', b'Z', b'h', ..] => bzip2::read::MultiBzDecoder::new(bytes).read_to_end(&mut out),
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => {
            liblzma::read::XzDecoder::new_multi_decoder(bytes).read_to_end(&mut out)
        }
        [0x28, 0xb5, 0x2f, 0xfd, ..] => zstd::stream::read::Decoder::new(bytes).unwrap().read_to_end(&mut out),
        _ => {
            out.extend_from_slice(bytes);
            Ok(bytes.len())
        }
    };
    out
}

fn compressed(codec: &str, data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    match codec {
        "gz" => gzip(data),
        "bz2" => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "xz" => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        "zst" => zstd::encode_all(data, 3).unwrap(),
        _ => data.to_vec(),
    }
}

/// Copies the tree `from` into `to`, every file decompressed and then compressed with `codec`
/// under the same name and mtime (`plain`: left decompressed); `skip` names files left out.
fn recoded(from: &std::path::Path, to: &std::path::Path, codec: &str, skip: &[&str]) {
    for e in walkdir::WalkDir::new(from).into_iter().flatten().filter(|e| e.file_type().is_file()) {
        let rel = e.path().strip_prefix(from).unwrap();
        if skip.iter().any(|s| rel.ends_with(s)) {
            continue;
        }
        let data = decompressed(&std::fs::read(e.path()).unwrap());
        let p = write(to, rel.to_str().unwrap(), &compressed(codec, &data));
        let mtime = std::fs::metadata(e.path()).unwrap().modified().unwrap();
        std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_modified(mtime).unwrap();
    }
}

/// Asserts two findings lists are equal, naming the first finding that differs.
#[test]
fn parity_across_compression_threads_and_folder_order() {
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join("sample");
    logsleuth::gen::scenario::write_sample(&sample, 20261205).unwrap();
    // The truncated archive of the sample is left out: its damage differs by codec by nature.
    let skip = ["access.log.3.gz"];
    let ingest = |ev: &[&std::path::Path], name: &str, extra: &[&str]| {
        let case = dir.path().join(name);
        let mut args: Vec<&str> = vec!["ingest"];
        args.extend(ev.iter().map(|p| p.to_str().unwrap()));
        args.extend(["--case", case.to_str().unwrap(), "-q"]);
        args.extend_from_slice(extra);
        ok(&args);
        assert_invariant(&case);
        case
    };
    let plain = dir.path().join("plain");
    recoded(&sample, &plain, "plain", &skip);
    let base = contents(&ingest(&[&plain], "case-plain", &[]), true);
    assert!(base.0.height() > 40_000 && base.1.len() > 20);
    for codec in ["gz", "bz2", "xz", "zst"] {
        let tree = dir.path().join(codec);
        recoded(&plain, &tree, codec, &[]);
        let got = contents(&ingest(&[&tree], &format!("case-{codec}"), &[]), true);
        assert!(got.0.equals_missing(&base.0), "{codec}: rows differ from plain");
        same_findings(&got.1, &base.1, codec);
    }
    let one = contents(&ingest(&[&plain], "case-1thread", &["--threads", "1"]), true);
    assert!(one.0.equals_missing(&base.0), "1 thread vs all cores");
    same_findings(&one.1, &base.1, "1 thread");
    // The hosts split over two evidence folders, given in either order.
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    recoded(&plain.join("web01"), &a.join("web01"), "plain", &[]);
    recoded(&plain.join("db01"), &b.join("db01"), "plain", &[]);
    recoded(&plain.join("gw01"), &b.join("gw01"), "plain", &[]);
    recoded(&plain.join("app01"), &b.join("app01"), "plain", &[]);
    let ab = contents(&ingest(&[&a, &b], "case-ab", &[]), true);
    let ba = contents(&ingest(&[&b, &a], "case-ba", &[]), true);
    assert!(ab.0.equals_missing(&ba.0), "folder order changes the rows");
    same_findings(&ab.1, &ba.1, "folder order");
    // Two roots name their files under each root's name, so only the counts compare with one root.
    assert_eq!(ab.0.height(), base.0.height(), "split folders hold the same events");
    assert_eq!(ab.1.len(), base.1.len(), "split folders give as many findings");
}

#[test]
fn parity_of_one_ingest_and_three_incremental_runs_across_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let line = |i: u32| {
        format!(
            "Dec  1 {:02}:{:02}:{:02} h sshd[{}]: Failed password for root from 192.0.2.{} port {} ssh2\n",
            10 + i / 3600,
            i / 60 % 60,
            i % 60,
            1000 + i,
            i % 3,
            40000 + i
        )
    };
    let text = |r: std::ops::Range<u32>| r.map(line).collect::<String>();
    let ev = dir.path().join("ev");
    let log = |rel: &str, body: &str| {
        let p = write(&ev, rel, body.as_bytes());
        set_mtime(&p, secs(2026, 12, 1, 23));
    };
    let inc = dir.path().join("inc");
    // Run 1: auth.log; run 2: it grew; run 3: logrotate renamed it and a new one began.
    log("h/var/log/auth.log", &text(0..200));
    ok(&["ingest", ev.to_str().unwrap(), "--case", inc.to_str().unwrap(), "-q"]);
    log("h/var/log/auth.log", &text(0..500));
    ok(&["ingest", ev.to_str().unwrap(), "--case", inc.to_str().unwrap(), "-q"]);
    std::fs::rename(ev.join("h/var/log/auth.log"), ev.join("h/var/log/auth.log.1")).unwrap();
    log("h/var/log/auth.log", &text(500..800));
    ok(&["ingest", ev.to_str().unwrap(), "--case", inc.to_str().unwrap(), "-q"]);
    assert_invariant(&inc);
    let once = dir.path().join("once");
    ok(&["ingest", ev.to_str().unwrap(), "--case", once.to_str().unwrap(), "-q"]);
    // Where a line was read from differs (auth.log then, auth.log.1 now); what it says does not.
    let (a, b) = (contents(&inc, false), contents(&once, false));
    assert_eq!(a.0.height(), 800);
    assert!(a.0.equals_missing(&b.0), "three runs vs one");
    assert!(!a.1.is_empty());
    same_findings(&a.1, &b.1, "three runs vs one");
}

#[test]
fn exit_codes_match_the_readme_and_config_values_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let c = case.to_str().unwrap();
    // A missing input: usage error, and no empty case folder left behind.
    let out = run(&["ingest", "/nonexistent/evidence", "--case", c, "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    assert!(!case.exists());
    // A file read whose every line is a reject: nothing usable was ingested (3).
    let odd = write(dir.path(), "hostname", b"web01\n");
    let out = run(&["ingest", odd.to_str().unwrap(), "--case", c, "-q"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("none of their 1 line(s) was understood"));
    // Config values: negative or zero counts are refused by name; TOML errors keep their lines.
    let (_d, sample) = sample_case("ingest");
    let s = sample.to_str().unwrap();
    let cfg = dir.path().join("t.toml");
    std::fs::write(&cfg, "[ssh_bruteforce]\nmin_failures = -3\n").unwrap();
    let out = run(&["detect", "--case", s, "--config", cfg.to_str().unwrap(), "-q"]);
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ssh_bruteforce.min_failures = -3: must not be negative") && !err.contains("offset"), "{err}");
    std::fs::write(&cfg, "[ssh_bruteforce]\nwindow_minutes = 0\n").unwrap();
    let out = run(&["detect", "--case", s, "--config", cfg.to_str().unwrap(), "-q"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be at least 1"));
    std::fs::write(&cfg, "[ssh_bruteforce\nmin_failures = 3\n").unwrap();
    let out = run(&["detect", "--case", s, "--config", cfg.to_str().unwrap(), "-q"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid table header") && err.lines().count() > 2 && !err.contains("\\x0a"), "{err}");
}

/// Three sources' lines as the programs write them (sshd via syslog, Apache combined, UFW), `n`
/// lines each, as (relative path, text).
fn part_count(case: &std::path::Path) -> usize {
    let c = logsleuth::store::case::Case::new(case);
    c.parts("events").len() + c.parts("rejects").len()
}

#[test]
fn many_small_files_are_packed_into_the_layout_one_file_gives() {
    let dir = tempfile::tempdir().unwrap();
    let (few, many) = (dir.path().join("few"), dir.path().join("many"));
    let mut files = 0;
    for (rel, text) in three_sources(600) {
        let p = write(&few, rel, text.as_bytes());
        set_mtime(&p, secs(2026, 12, 1, 23));
        let lines: Vec<&str> = text.lines().collect();
        for (n, chunk) in lines.chunks(20).enumerate() {
            let p = write(&many, &format!("{rel}.d/part-{n:03}.log"), (chunk.join("\n") + "\n").as_bytes());
            set_mtime(&p, secs(2026, 12, 1, 23));
            files += 1;
        }
    }
    assert_eq!(files, 90);
    let (a, b) = (dir.path().join("case-few"), dir.path().join("case-many"));
    ok(&["ingest", few.to_str().unwrap(), "--case", a.to_str().unwrap(), "-q"]);
    ok(&["ingest", many.to_str().unwrap(), "--case", b.to_str().unwrap(), "-q"]);
    assert_invariant(&b);
    assert_eq!(manifest(&b).inputs.len(), 90, "each small file keeps its own record and hashes");
    assert!(part_count(&b) <= part_count(&a), "parts: {} from 90 files, {} from 3", part_count(&b), part_count(&a));
    // The same events and findings; only where each line was read from differs.
    let (x, y) = (contents(&a, false), contents(&b, false));
    assert_eq!(x.0.height(), 1800);
    assert!(x.0.equals_missing(&y.0), "packed rows differ from one file's");
    assert!(!x.1.is_empty());
    same_findings(&x.1, &y.1, "90 small files vs 3");
    // Provenance is kept per line: the 21st line of auth.log is line 1 of its second piece.
    let df = sql(&b, "SELECT log_file_path, log_line FROM events WHERE source_port = 40020");
    assert_eq!(strings(&df, "log_file_path"), [Some("web01/var/log/auth.log.d/part-001.log".to_string())]);
    assert_eq!(count(&b, "SELECT log_line FROM events WHERE source_port = 40020"), 1);
    ok(&["verify", "--case", b.to_str().unwrap()]);
}

#[test]
fn incremental_runs_are_compacted_atomically_and_verify_still_holds() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let case = dir.path().join("case");
    let c = case.to_str().unwrap();
    let (_, text) = three_sources(400).remove(0);
    let lines: Vec<&str> = text.lines().collect();
    let auto = logsleuth::store::pack::AUTO_COMPACT_SMALL_PARTS;
    // A day's piece per run: each run leaves one small part until enough of them add up.
    for (n, chunk) in lines.chunks(20).enumerate() {
        let p = write(&ev, &format!("web01/var/log/auth/day-{n:02}.log"), (chunk.join("\n") + "\n").as_bytes());
        set_mtime(&p, secs(2026, 12, 1, 23));
        let out = run(&["ingest", ev.to_str().unwrap(), "--case", c]);
        assert!(out.status.success());
        if n + 1 < auto {
            assert_eq!(part_count(&case), n + 1, "run {n}: one part per run so far");
        }
        if n + 1 == auto {
            assert_eq!(part_count(&case), 1, "run {n}: compacted at commit");
            assert!(String::from_utf8_lossy(&out.stdout).contains("small parts of earlier runs packed together"));
        }
    }
    assert_eq!(part_count(&case), 1 + 20 - auto);
    assert_invariant(&case);
    let before = contents(&case, true);
    let out = ok(&["compact", "--case", c]);
    assert!(out.contains("parts ->") && out.contains("small parts packed"), "{out}");
    assert_eq!(part_count(&case), 1);
    let after = contents(&case, true);
    assert_eq!(after.0.height(), 400);
    assert!(after.0.equals_missing(&before.0), "compaction changes no row");
    same_findings(&after.1, &before.1, "before and after compact");
    // The manifest's part hashes follow the new layout; the inputs and runs are untouched.
    ok(&["verify", "--case", c]);
    let m = manifest(&case);
    assert_eq!((m.inputs.len(), m.runs.len(), m.parts.len()), (20, 20, 1));
    assert!(ok(&["compact", "--case", c]).contains("nothing to compact"));
    assert!(!case.join(".staging").exists() && !case.join(".commit").exists());
}

#[test]
fn shards_merge_into_what_one_ingest_gives_and_merging_twice_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let d = |p: &str| dir.path().join(p);
    let s = |p: &std::path::PathBuf| p.to_str().unwrap().to_string();
    for (rel, text) in three_sources(300) {
        for host in ["web01", "db01"] {
            // The same shapes, other content on each host (identical files would be stored once).
            let body = text.replace("web01", host).replace("/index.php", &format!("/{host}.php"));
            let p = write(&ev, &format!("{host}/{}", rel.trim_start_matches("web01/")), body.as_bytes());
            set_mtime(&p, secs(2026, 12, 1, 23));
        }
    }
    // Sharded by host folder, as scale/spark/ingest.py does, and all at once.
    ok(&["ingest", &s(&ev.join("web01")), &s(&ev.join("db01")), "--case", &s(&d("once")), "-q"]);
    ok(&["ingest", &s(&ev.join("web01")), "--root", &s(&ev), "--case", &s(&d("shard-a")), "-q"]);
    ok(&["ingest", &s(&ev.join("db01")), "--root", &s(&ev), "--case", &s(&d("shard-b")), "-q"]);
    let out = ok(&["merge", &s(&d("shard-a")), &s(&d("shard-b")), "--into", &s(&d("merged"))]);
    assert!(out.contains("run 1: 3 inputs") && out.contains("run 2: 3 inputs"), "{out}");
    assert_invariant(&d("merged"));
    let (x, y) = (contents(&d("once"), true), contents(&d("merged"), true));
    assert_eq!(x.0.height(), 1800);
    assert!(x.0.equals_missing(&y.0), "merged rows differ from one ingest's");
    same_findings(&x.1, &y.1, "merged shards vs one ingest");
    let m = manifest(&d("merged"));
    assert_eq!(m.inputs.len(), 6);
    assert!(m.runs[0].command.contains("shard-a") && m.runs[0].command.contains("SHA-256"), "{:?}", m.runs[0]);
    ok(&["verify", "--case", &s(&d("merged"))]);
    // Merging a shard again adds nothing.
    let out = ok(&["merge", &s(&d("shard-a")), "--into", &s(&d("merged"))]);
    assert!(out.contains("nothing new (3 inputs already in the case)"), "{out}");
    assert_eq!(manifest(&d("merged")).runs.len(), 2);
    // A shard holding a copy of content the case has (another name): recorded, not stored twice;
    // and another file under a path the case uses already: renamed, rows and record alike.
    let other = d("other");
    let copy = std::fs::read(ev.join("web01/var/log/auth.log")).unwrap();
    write(&other, "web01/var/log/auth.log.bak", &copy);
    write(&other, "web01/var/log/ufw.log", three_sources(10).remove(2).1.replace("SPT=", "SPT=1").as_bytes());
    ok(&["ingest", &s(&other.join("web01")), "--root", &s(&other), "--case", &s(&d("shard-c")), "-q"]);
    let out = ok(&["merge", &s(&d("shard-c")), "--into", &s(&d("merged"))]);
    assert!(out.contains("1 duplicate content, 1 renamed"), "{out}");
    assert_invariant(&d("merged"));
    let m = manifest(&d("merged"));
    let bak = m.inputs.iter().find(|i| i.path.ends_with("auth.log.bak")).unwrap();
    assert_eq!((bak.duplicate_of.as_deref(), bak.events), (Some("web01/var/log/auth.log"), 0));
    assert!(
        m.inputs.iter().any(|i| i.path == "web01/var/log/ufw.log#m3" && i.events == 10),
        "{:?}",
        m.inputs.iter().map(|i| &i.path).collect::<Vec<_>>()
    );
    assert_eq!(count(&d("merged"), "SELECT COUNT(*) FROM events"), 1810);
    ok(&["verify", "--case", &s(&d("merged"))]);
    // A folder that is neither a case nor empty is refused, and so is a shard that is no case.
    let out = run(&["merge", &s(&d("shard-a")), "--into", &s(&ev)]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["merge", &s(&ev), "--into", &s(&d("x"))]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!d("x").exists(), "no case left behind");
}
