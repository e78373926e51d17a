//! Archives read in place (issue 17): the bundled sample packed as tar.gz, zip and zip-in-tar
//! gives the folder's events and findings; collector layouts (UAC, Velociraptor, sosreport)
//! name their hosts; hostile archives get counted outcomes. Archives are built here with the
//! `tar` and `zip` crates; the log lines are written in the daemons' own formats (OpenSSH's
//! `auth.c`: `Failed password for …`, `Accepted publickey for …`).

use std::io::Write;
use std::path::Path;

use crate::common::*;
use polars::prelude::*;

/// Every file below `root` as (path relative to `prefix`'s parent, bytes, mtime), sorted.
fn files(root: &Path, prefix: &str) -> Vec<(String, Vec<u8>, u64)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.unwrap();
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e.path().strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        let mtime = e.metadata().unwrap().modified().unwrap().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        out.push((format!("{prefix}{rel}"), std::fs::read(e.path()).unwrap(), mtime));
    }
    out
}

fn tar_bytes(members: &[(String, Vec<u8>, u64)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data, mtime) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(*mtime);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

fn zip_bytes(members: &[(String, Vec<u8>, u64)]) -> Vec<u8> {
    let mut z = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data, mtime) in members {
        let t = chrono::DateTime::from_timestamp(*mtime as i64, 0).unwrap().naive_utc();
        use chrono::{Datelike, Timelike};
        let dt = ::zip::DateTime::from_date_and_time(
            t.year() as u16,
            t.month() as u8,
            t.day() as u8,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
        )
        .unwrap();
        let opts = ::zip::write::SimpleFileOptions::default()
            .compression_method(::zip::CompressionMethod::Deflated)
            .last_modified_time(dt);
        z.start_file(name.as_str(), opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn events_table(case: &Path) -> DataFrame {
    sql(
        case,
        "SELECT host_name, event_module, event_action, event_outcome, source_ip, user_name, COUNT(*) AS n, \
         MIN(timestamp) AS first, MAX(timestamp) AS last FROM events \
         GROUP BY host_name, event_module, event_action, event_outcome, source_ip, user_name \
         ORDER BY host_name, event_module, event_action, event_outcome, source_ip, user_name",
    )
}

/// Findings without what names files: rule, severity, host, address, user, span and count.
fn findings(case: &Path) -> Vec<String> {
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let doc = logsleuth::detect::finding::FindingsDoc::load(&case.join("findings.json")).unwrap();
    let mut v: Vec<String> = doc
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {:?} {:?} {:?} {:?} {} {} {}",
                f.rule, f.severity, f.host_name, f.source_ip, f.user_name, f.first_seen, f.last_seen, f.count
            )
        })
        .collect();
    v.sort();
    v
}

fn ingest(ev: &Path, case: &Path) -> String {
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap()])
}

#[test]
fn the_sample_as_tar_gz_zip_and_zip_in_tar_gives_the_folders_events_and_findings() {
    // A copy whose mtimes are even seconds: zip's DOS times have a 2-second resolution (and
    // this writer adds no extended timestamp), and a fresh clone's mtimes are its checkout time.
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join("sample");
    for (rel, data, mtime) in files(&project_dir().join("datasets/sample"), "") {
        let p = write(&sample, &rel, &data);
        set_mtime(&p, (mtime & !1) as i64);
    }
    let members = files(&sample, "sample/");
    let folder_case = dir.path().join("folder-case");
    ingest(&sample, &folder_case);
    let want_events = events_table(&folder_case);
    let want_findings = findings(&folder_case);
    assert!(want_events.height() > 50 && want_findings.len() > 10, "the sample has events and findings");

    let zip = zip_bytes(&members);
    let nested = tar_bytes(&[("collected/sample.zip".to_string(), zip.clone(), 1_700_000_000)]);
    let tar_gz = gzip(&tar_bytes(&members));
    // Held in memory, and (with a 1 MiB limit) streamed from the archive at each read.
    for (name, bytes, kind, memory_mb) in [
        ("sample.tar.gz", tar_gz.clone(), "tar+gzip", "4096"),
        ("sample.zip", zip.clone(), "zip", "4096"),
        ("outer.tar", nested, "tar", "4096"),
        ("sample.tar.gz", tar_gz, "tar+gzip", "1"),
        ("sample.zip", zip, "zip", "1"),
    ] {
        let ev = dir.path().join(format!("ev-{name}-{memory_mb}"));
        let archive = write(&ev, name, &bytes);
        let case = dir.path().join(format!("case-{name}-{memory_mb}"));
        let out = std::process::Command::new(bin())
            .args(["ingest", archive.to_str().unwrap(), "--case", case.to_str().unwrap()])
            .env("LOGSLEUTH_ARCHIVE_MEMORY_MB", memory_mb)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = String::from_utf8_lossy(&out.stdout);
        assert!(out.contains("archives:"), "{out}");
        assert_invariant(&case);
        let got = events_table(&case);
        assert!(got.equals_missing(&want_events), "{name}: events differ from the folder's:\n{got}\n{want_events}");
        assert_eq!(findings(&case), want_findings, "{name}: findings differ from the folder's");

        let m = manifest(&case);
        let rec = input(&m, name);
        assert_eq!(rec.format.as_deref(), Some("archive"));
        assert_eq!(rec.archive_kind.as_deref(), Some(kind));
        assert_eq!(rec.sha256.as_deref(), Some(sha256_hex(&bytes).as_str()), "the archive's own hash");
        let member_path = if name == "outer.tar" {
            "outer.tar!collected/sample.zip!sample/web01/var/log/auth.log".to_string()
        } else {
            format!("{name}!sample/web01/var/log/auth.log")
        };
        let auth = input(&m, &member_path);
        assert!(auth.events > 0, "{member_path} read");
        assert_eq!(auth.host_name.as_deref(), Some("web01"));
        assert_eq!(auth.host_source.as_deref(), Some("layout"));
        assert!(auth.source_path.as_deref().unwrap().ends_with("!sample/web01/var/log/auth.log"));
        let content = std::fs::read(sample.join("web01/var/log/auth.log")).unwrap();
        assert_eq!(auth.content_sha256.as_deref(), Some(sha256_hex(&content).as_str()), "member content hash");
        // The member's path is the events' provenance.
        let n = sql(&case, &format!("SELECT COUNT(*) AS n FROM events WHERE log_file_path = '{member_path}'"));
        assert_eq!(n.column("n").unwrap().get(0).unwrap().try_extract::<u64>().unwrap(), auth.events);
    }
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Lines as OpenSSH's sshd writes them to auth.log.
fn sshd_lines(host: &str) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..6 {
        s.push_str(&format!(
            "Mar  3 10:0{i}:1{i} {host} sshd[41{i}2]: Failed password for invalid user admin from 203.0.113.9 port 5211{i} ssh2\n"
        ));
    }
    s.push_str(&format!(
        "Mar  3 10:09:00 {host} sshd[4200]: Accepted publickey for alice from 198.51.100.7 port 40022 ssh2: ED25519 SHA256:3Jp8kqZ\n"
    ));
    s.into_bytes()
}

/// Host names as the collectors record them, and the roots they put the file system under.
#[test]
fn collector_layouts_name_their_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    // The manifest's host of each member is the archive's; the lines name their own.
    let plain = sshd_lines;
    let t = 1_709_460_000u64;
    // UAC keeps /etc/localtime as the link it is.
    let mut uac = tar::Builder::new(Vec::new());
    raw_member(&mut uac, b"uac.log", tar::EntryType::Regular, b"UAC (Unix-like Artifacts Collector) 2.9.0\n", None);
    raw_member(
        &mut uac,
        b"[root]/etc/localtime",
        tar::EntryType::Symlink,
        b"",
        Some("/usr/share/zoneinfo/Europe/Berlin"),
    );
    raw_member(&mut uac, b"[root]/var/log/auth.log", tar::EntryType::Regular, &plain("web09"), None);
    write(&ev, "uac-web09-linux-20240303120000.tar.gz", &gzip(&uac.into_inner().unwrap()));
    write(
        &ev,
        "Collection-db7-2024-03-03T12_00_00Z.zip",
        &zip_bytes(&[
            (
                "client_info.json".into(),
                br#"{"ClientId":"C.1f2e","Hostname":"db7","Fqdn":"db7.corp.example"}"#.to_vec(),
                t,
            ),
            ("uploads/auto/var/log/auth.log".into(), plain("db7"), t),
        ]),
    );
    let sos = "sosreport-app3-0042-2024-03-03-xkqmz";
    let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
    xz.write_all(&tar_bytes(&[
        (format!("{sos}/hostname"), b"app3.corp.example\n".to_vec(), t),
        (format!("{sos}/var/log/secure"), plain("app3"), t),
    ]))
    .unwrap();
    write(&ev, &format!("{sos}.tar.xz"), &xz.finish().unwrap());
    write(&ev, "logs.tgz", &gzip(&tar_bytes(&[("var/log/auth.log".into(), plain("x"), t)])));
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let m = manifest(&case);
    let host = |p: &str| {
        let r = input(&m, p);
        (r.host_name.clone().unwrap_or_default(), r.host_source.clone().unwrap_or_default())
    };
    assert_eq!(
        host("uac-web09-linux-20240303120000.tar.gz![root]/var/log/auth.log"),
        ("web09".into(), "archive".into())
    );
    assert_eq!(
        host("Collection-db7-2024-03-03T12_00_00Z.zip!uploads/auto/var/log/auth.log"),
        ("db7".into(), "archive".into())
    );
    assert_eq!(host(&format!("{sos}.tar.xz!{sos}/var/log/secure")), ("app3.corp.example".into(), "archive".into()));
    // A plain `tar czf logs.tgz /var/log`: nothing names the host; the archive's name does.
    assert_eq!(host("logs.tgz!var/log/auth.log"), ("logs".into(), "input_name".into()));
    assert_eq!(input(&m, "uac-web09-linux-20240303120000.tar.gz").archive_kind.as_deref(), Some("tar+gzip"));
    assert_eq!(input(&m, &format!("{sos}.tar.xz")).archive_kind.as_deref(), Some("tar+xz"));
    // Every sshd line became an event on the collector's host.
    let df = sql(
        &case,
        "SELECT host_name, COUNT(*) AS n FROM events WHERE event_action = 'auth.failure' GROUP BY host_name ORDER BY host_name",
    );
    let hosts: Vec<String> =
        df.column("host_name").unwrap().str().unwrap().iter().map(|h| h.unwrap_or("").to_string()).collect();
    assert!(hosts.contains(&"web09".to_string()) && hosts.contains(&"db7".to_string()), "{df}");
    assert_invariant(&case);
}

/// Sets bit 0 (encrypted) of every local and central header's flags, as ZipCrypto writers do.
fn mark_encrypted(mut z: Vec<u8>) -> Vec<u8> {
    let mut i = 0;
    while i + 10 < z.len() {
        if z[i..].starts_with(b"PK\x03\x04") {
            z[i + 6] |= 1;
        } else if z[i..].starts_with(b"PK\x01\x02") {
            z[i + 8] |= 1;
        }
        i += 1;
    }
    z
}

/// A tar header with a raw name (the `tar` crate refuses to write `..`, as it should).
fn raw_member(b: &mut tar::Builder<Vec<u8>>, name: &[u8], kind: tar::EntryType, data: &[u8], link: Option<&str>) {
    let mut h = tar::Header::new_gnu();
    h.as_mut_bytes()[..name.len()].copy_from_slice(name);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(1_709_460_000);
    h.set_entry_type(kind);
    if let Some(l) = link {
        h.set_link_name_literal(l).unwrap();
    }
    h.set_cksum();
    b.append(&h, data).unwrap();
}

#[test]
fn hostile_archives_get_counted_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let lines = sshd_lines("h1");
    // Traversal, absolute name, symlink, hardlink, duplicate names.
    let mut b = tar::Builder::new(Vec::new());
    raw_member(&mut b, b"../../etc/cron.d/evil.log", tar::EntryType::Regular, &sshd_lines("h5"), None);
    raw_member(&mut b, b"/var/log/abs.log", tar::EntryType::Regular, &sshd_lines("h6"), None);
    raw_member(&mut b, b"var/log/link.log", tar::EntryType::Symlink, b"", Some("/etc/shadow"));
    raw_member(&mut b, b"var/log/hard.log", tar::EntryType::Link, b"", Some("var/log/auth.log"));
    raw_member(&mut b, b"var/log/auth.log", tar::EntryType::Regular, &lines, None);
    raw_member(&mut b, b"var/log/auth.log", tar::EntryType::Regular, &sshd_lines("h2"), None);
    write(&ev, "hostile.tar", &b.into_inner().unwrap());
    // Encrypted zip member.
    write(&ev, "locked.zip", &mark_encrypted(zip_bytes(&[("auth.log".into(), lines.clone(), 1_709_460_000)])));
    // Truncated tar.gz: the first member whole, the archive cut inside the second.
    let big: Vec<u8> = (0..40_000)
        .flat_map(|i| {
            format!(
                "Mar  3 10:00:00 h3 sshd[{i}]: Connection closed by 192.0.2.{} port {} [preauth]\n",
                i % 250,
                1024 + i
            )
            .into_bytes()
        })
        .collect();
    let full = gzip(&tar_bytes(&[
        ("var/log/first.log".into(), sshd_lines("h8"), 1_709_460_000),
        ("var/log/second.log".into(), big.clone(), 1_709_460_000),
    ]));
    write(&ev, "cut.tar.gz", &full[..full.len() * 2 / 3]);
    // The same, uncompressed: members are then streamed from their offsets.
    let plain = tar_bytes(&[
        ("var/log/first.log".into(), sshd_lines("h9"), 1_709_460_000),
        ("var/log/second.log".into(), big.clone(), 1_709_460_000),
    ]);
    write(&ev, "cut.tar", &plain[..plain.len() / 2]);
    // A bomb: 64 MiB of one repeated line, past a 16 MiB limit (streamed, not held); a small
    // member beside it.
    let bomb: Vec<u8> = b"Mar  3 10:00:00 h4 kernel: x\n".repeat(64 << 20 >> 5);
    write(
        &ev,
        "bomb.tar.gz",
        &gzip(&tar_bytes(&[
            ("var/log/small.log".into(), sshd_lines("h7"), 1_709_460_000),
            ("var/log/huge.log".into(), bomb, 1_709_460_000),
        ])),
    );
    // Writes go nowhere near the evidence: nothing new may appear beside it.
    let before = files(&ev, "");
    let case = dir.path().join("case");
    let out = std::process::Command::new(bin())
        .args(["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap()])
        .env("LOGSLEUTH_ARCHIVE_MEMORY_MB", "16")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(files(&ev, "").len(), before.len(), "nothing extracted");
    assert!(!dir.path().join("etc").exists());
    let m = manifest(&case);
    assert_invariant(&case);

    let evil = input(&m, "hostile.tar!../../etc/cron.d/evil.log");
    assert!(evil.events > 0, "a traversal name is read under the name as written");
    assert!(input(&m, "hostile.tar!/var/log/abs.log").events > 0);
    let link = input(&m, "hostile.tar!var/log/link.log");
    assert!(link.skipped.as_deref().unwrap().contains("symbolic link member to /etc/shadow"), "{link:?}");
    assert!(input(&m, "hostile.tar!var/log/hard.log").skipped.as_deref().unwrap().contains("hard link"));
    let (a, b2) = (input(&m, "hostile.tar!var/log/auth.log"), input(&m, "hostile.tar!var/log/auth.log#2"));
    assert!(a.events > 0 && b2.events > 0 && a.content_sha256 != b2.content_sha256, "both same-named members kept");
    assert_eq!(input(&m, "hostile.tar").members, Some(6));

    assert!(input(&m, "locked.zip!auth.log").skipped.as_deref().unwrap().starts_with("encrypted"));

    let cut = input(&m, "cut.tar.gz");
    assert!(cut.damaged, "a truncated archive is flagged: {cut:?}");
    assert!(input(&m, "cut.tar.gz!var/log/first.log").events > 0, "the complete member is read");
    let second = input(&m, "cut.tar.gz!var/log/second.log");
    assert!(second.damaged && second.events > 0, "the cut member keeps what was read: {second:?}");

    assert!(input(&m, "cut.tar").damaged);
    assert!(input(&m, "cut.tar!var/log/first.log").events > 0);
    let second = input(&m, "cut.tar!var/log/second.log");
    assert!(second.damaged && second.events > 1000, "the part of the cut member that is there is read: {second:?}");

    let huge = input(&m, "bomb.tar.gz!var/log/huge.log");
    assert_eq!(huge.lines, (64 << 20) / 32, "the bomb is streamed, every line read: {huge:?}");
    assert!(huge.expansion_ratio.unwrap() > 100.0, "{huge:?}");
    let small = input(&m, "bomb.tar.gz!var/log/small.log");
    assert!(small.events > 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("archives: 5 read in place"), "{stdout}");
    // Every member is in the manifest with its archive named.
    for r in m.inputs.iter().filter(|r| r.path.contains('!')) {
        let archive = r.archive.as_deref().expect("member names its archive");
        assert!(r.path.starts_with(&format!("{archive}!")), "{}", r.path);
    }
}

#[test]
fn a_zip_members_expansion_ratio_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let lines = sshd_lines("h1").repeat(200);
    write(&ev, "a.zip", &zip_bytes(&[("var/log/auth.log".into(), lines.clone(), 1_709_460_000)]));
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let m = manifest(&case);
    let r = input(&m, "a.zip!var/log/auth.log");
    let ratio = r.expansion_ratio.expect("ratio");
    assert!(ratio > 5.0, "repeated lines deflate well: {ratio}");
    assert_eq!(r.size, lines.len() as u64);
    assert_eq!(r.mtime, "2024-03-03T10:00:00Z");
    // Ingesting the same archive again adds nothing, not even a second record of it.
    let again = ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap()]);
    assert!(again.contains("1 unchanged"), "{again}");
    let m2 = manifest(&case);
    assert_eq!(m2.inputs.len(), m.inputs.len());
    assert_eq!(m2.runs.last().unwrap().events_added, 0);
}
