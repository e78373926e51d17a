//! Helpers shared by the integration tests: run the real binary, build fixture trees, read a
//! case back through the library's polars layer.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use logsleuth::query::CaseData;
use logsleuth::store::manifest::{InputRecord, Manifest};
use polars::prelude::*;

/// The project folder. Cargo sets `CARGO_MANIFEST_DIR` for the test process; the compile-time
/// value is only a fallback, because a shared target folder can hold a test binary built from
/// another clone of the project (its path baked in).
pub fn project_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
}

/// `../shared/datasets/NAME` (not shipped with the project): `None` with a message when absent
/// locally; in CI (`CI=true`) it must be there.
pub fn shared_dataset(name: &str) -> Option<PathBuf> {
    let p = project_dir().join("../shared/datasets").join(name);
    if p.is_dir() {
        return Some(p);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but {} is not present", p.display());
    eprintln!("skipped: {} not present", p.display());
    None
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_logsleuth"))
}

pub fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("run logsleuth")
}

/// Runs and asserts success, returning stdout.
pub fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "logsleuth {args:?} failed ({:?}):\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The bundled sample generated into a temporary folder and read into a case there by
/// `logsleuth COMMAND SAMPLE --case CASE -q` (`ingest`, or `run` for the whole pipeline).
pub fn sample_case(command: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("sample");
    logsleuth::gen::scenario::write_sample(&ev, 20261205).unwrap();
    let case = dir.path().join("case");
    ok(&[command, ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    (dir, case)
}

pub fn write(root: &Path, rel: &str, data: &[u8]) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, data).unwrap();
    p
}

pub fn set_mtime(path: &Path, secs: i64) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64)).unwrap();
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The names of the case's derived files that start with `prefix` (`attempts-`, `templates-`, …),
/// sorted.
pub fn stored(case: &Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(case)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    v
}

pub fn manifest(case: &Path) -> Manifest {
    Manifest::load(&case.join("manifest.json")).unwrap().expect("manifest exists")
}

pub fn input<'a>(m: &'a Manifest, path: &str) -> &'a InputRecord {
    m.inputs.iter().rev().find(|i| i.path == path).unwrap_or_else(|| panic!("no input {path} in manifest"))
}

pub fn sql(case: &Path, q: &str) -> DataFrame {
    CaseData::open(case).unwrap().sql("test", q).unwrap()
}

/// The rows of `logsleuth query --format jsonl`, as JSON objects.
pub fn query_jsonl(case: &Path, q: &str) -> Vec<serde_json::Value> {
    let out = ok(&["query", "--case", case.to_str().unwrap(), "--format", "jsonl", q]);
    out.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

pub fn count(case: &Path, q: &str) -> i64 {
    let df = sql(case, q);
    let v = df.columns()[0].get(0).unwrap();
    match v {
        AnyValue::UInt32(x) => x as i64,
        AnyValue::UInt64(x) => x as i64,
        AnyValue::Int64(x) => x,
        AnyValue::Int32(x) => x as i64,
        AnyValue::Null => 0,
        other => panic!("not a count: {other:?}"),
    }
}

pub fn strings(df: &DataFrame, col: &str) -> Vec<Option<String>> {
    df.column(col).unwrap().as_materialized_series().iter().map(|v| logsleuth::query::output::cell(&v)).collect()
}

/// Checks lines = events + continued + rejects for every input (continued: lines folded into a
/// multi-line record), and that the dataset holds exactly what
/// the manifest says for each file.
pub fn assert_invariant(case: &Path) {
    let m = manifest(case);
    for i in &m.inputs {
        assert_eq!(i.lines, i.events + i.continued + i.rejects, "lines != events + continued + rejects for {}", i.path);
    }
    // Every continuation line is inside exactly one event's line range.
    let folded = count(case, "SELECT SUM(log_line_end - log_line) AS n FROM events WHERE log_line_end IS NOT NULL");
    let continued: u64 = m.inputs.iter().filter(|i| i.duplicate_of.is_none()).map(|i| i.continued).sum();
    assert_eq!(folded as u64, continued, "continuation lines in events != the manifest's continued");
    let ev = sql(case, "SELECT log_file_path, COUNT(*) AS n FROM events GROUP BY log_file_path");
    let rj = sql(case, "SELECT log_file_path, COUNT(*) AS n FROM rejects GROUP BY log_file_path");
    let total = |df: &DataFrame, path: &str| -> u64 {
        let paths = strings(df, "log_file_path");
        let ns = strings(df, "n");
        paths
            .iter()
            .zip(ns)
            .filter(|(p, _)| p.as_deref() == Some(path))
            .map(|(_, n)| n.unwrap().parse::<u64>().unwrap())
            .sum()
    };
    let mut by_path: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for i in m.inputs.iter().filter(|i| i.duplicate_of.is_none()) {
        let e = by_path.entry(i.path.as_str()).or_default();
        e.0 += i.events;
        e.1 += i.rejects;
    }
    for (path, (events, rejects)) in by_path {
        assert_eq!(total(&ev, path), events, "stored events for {path}");
        assert_eq!(total(&rj, path), rejects, "stored rejects for {path}");
    }
}

/// Whether Python has `module` (a test's real component): skipped with a message locally when it
/// does not, a failure under CI=true (`make test-deps` installs it).
pub fn python_has(module: &str) -> bool {
    let has = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but Python's {module} is missing (`make test-deps` installs it)"
        );
        eprintln!("skipped: Python's {module} is not installed (make test-deps)");
    }
    has
}

/// Two findings lists are the same finding for finding, field for field.
pub fn same_findings(a: &[serde_json::Value], b: &[serde_json::Value], what: &str) {
    let titles = |v: &[serde_json::Value]| -> Vec<String> {
        v.iter().map(|f| format!("{} {}", f["rule"], f["title"])).collect()
    };
    let (ta, tb) = (titles(a), titles(b));
    let only_a: Vec<&String> = ta.iter().filter(|t| !tb.contains(t)).collect();
    let only_b: Vec<&String> = tb.iter().filter(|t| !ta.contains(t)).collect();
    assert!(only_a.is_empty() && only_b.is_empty(), "{what}: findings only here {only_a:?}, only there {only_b:?}");
    for (x, y) in a.iter().zip(b) {
        let keys: Vec<String> = x
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, v)| y.get(k.as_str()) != Some(v))
            .map(|(k, v)| format!("{k}: {v} vs {}", y.get(k.as_str()).cloned().unwrap_or_default()))
            .collect();
        assert!(keys.is_empty(), "{what}: finding {} differs in {keys:?}", x["title"]);
    }
    assert_eq!(a.len(), b.len(), "{what}");
}

/// A case's rows in a stable order, and its findings without the run's time and folder.
pub fn contents(case: &std::path::Path, provenance: bool) -> (polars::prelude::DataFrame, Vec<serde_json::Value>) {
    let q = "SELECT * FROM events ORDER BY timestamp, log_file_path, log_line";
    let mut rows = sql(case, q);
    if !provenance {
        rows = rows.drop_many(["log_file_path", "log_line", "log_line_end", "year_source"]);
        let sorted: Vec<String> = rows.get_column_names().iter().map(|c| c.to_string()).collect();
        rows = rows.sort(sorted, Default::default()).unwrap();
    }
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(case.join("findings.json")).unwrap()).unwrap();
    let findings = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if !provenance {
                f.as_object_mut().unwrap().remove("evidence");
            }
            f
        })
        .collect();
    (rows, findings)
}

/// `n` lines each of sshd failures, Apache requests and UFW blocks on web01 (auth, access and
/// firewall partitions), as (path under the evidence root, text).
pub fn three_sources(n: u32) -> Vec<(&'static str, String)> {
    let (mut auth, mut web, mut fw) = (String::new(), String::new(), String::new());
    for i in 0..n {
        let (h, m, s) = (10 + i / 3600, i / 60 % 60, i % 60);
        auth += &format!(
            "Dec  1 {h:02}:{m:02}:{s:02} web01 sshd[{}]: Failed password for invalid user u{} from 203.0.113.{} port {} ssh2\n",
            2000 + i,
            i % 7,
            i % 5,
            40000 + i
        );
        web += &format!(
            "198.51.100.{} - - [01/Dec/2026:{h:02}:{m:02}:{s:02} +0000] \"GET /index.php?id={i} HTTP/1.1\" {} 512 \"-\" \"Mozilla/5.0\"\n",
            i % 9,
            if i % 4 == 0 { 404 } else { 200 }
        );
        fw += &format!(
            "Dec  1 {h:02}:{m:02}:{s:02} web01 kernel: [{i}.000000] [UFW BLOCK] IN=eth0 OUT= MAC=00:16:3e:00:00:01:00:16:3e:00:00:02:08:00 SRC=192.0.2.{} DST=10.0.0.5 LEN=44 TOS=0x00 PREC=0x00 TTL=49 ID={i} PROTO=TCP SPT={} DPT={} WINDOW=1024 RES=0x00 SYN URGP=0\n",
            i % 3,
            50000 + i,
            20 + i % 1000
        );
    }
    vec![("web01/var/log/auth.log", auth), ("web01/var/log/apache2/access.log", web), ("web01/var/log/ufw.log", fw)]
}
