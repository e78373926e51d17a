//! Golden files: outputs that must stay stable. The sample's findings (ids, order, titles,
//! counts, evidence) and incidents are compared with `tests/golden/sample_findings.json` and
//! `tests/golden/sample_incidents.json`; after an intended
//! change, `make bless` rewrites it (review the diff before committing). Every format has a
//! golden file of normalized events too (`tests/golden/formats/`).

use crate::common::*;

fn normalized(path: &std::path::Path) -> String {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("generated_at");
    o.remove("case");
    o.remove("logsleuth_version");
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

#[test]
fn sample_findings_match_the_golden_file() {
    let (_dir, case) = sample_case("ingest");
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    compare(&case.join("findings.json"), "sample_findings.json");
    compare(&case.join("incidents.json"), "sample_incidents.json");
}

/// The format each input of `tests/golden/formats/input` must be sniffed as.
const FORMAT_INPUTS: &[(&str, &str)] = &[
    ("access.log", "access"),
    ("app.log", "text"),
    ("audit.log", "audit"),
    ("error.log", "error_log"),
    ("journal.export", "journal_export"),
    ("journal.json", "journal_json"),
    ("json.log", "json"),
    ("rfc5424.log", "rfc5424"),
    ("syslog.log", "syslog"),
    ("vpn.csv", "csv"),
    ("vsftpd.log", "vsftpd"),
];

/// One file's events and rejects as JSON lines, in line order, null columns left out.
fn rows(case: &std::path::Path, table: &str, file: &str) -> String {
    let order = if table == "events" { "log_line, event_module" } else { "log_line" };
    let q = format!("SELECT * FROM {table} WHERE log_file_path = '{file}' ORDER BY {order}");
    let mut text = String::new();
    for mut v in query_jsonl(case, &q) {
        v.as_object_mut().unwrap().retain(|_, x| !x.is_null());
        text += &format!("{{\"table\":\"{table}\",{}\n", &v.to_string()[1..]);
    }
    text
}

#[test]
fn every_format_has_golden_events() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case");
    let input = project_dir().join("tests/golden/formats/input");
    ok(&["ingest", input.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026", "-q"]);
    let m = manifest(&case);
    for (file, format) in FORMAT_INPUTS {
        let rec = input_of(&m, file);
        assert_eq!(rec.format.as_deref(), Some(*format), "{file} is sniffed as {format}");
        let got = rows(&case, "events", &rec.path) + &rows(&case, "rejects", &rec.path);
        compare_text(&got, &format!("formats/{file}.jsonl"));
    }
    assert_eq!(m.inputs.len(), FORMAT_INPUTS.len(), "every input has its golden file");
}

fn input_of<'a>(
    m: &'a logsleuth::store::manifest::Manifest,
    file: &str,
) -> &'a logsleuth::store::manifest::InputRecord {
    m.inputs.iter().find(|i| i.path.ends_with(file)).unwrap_or_else(|| panic!("{file} not in the manifest"))
}

/// Compares a case output with its golden file (or rewrites the golden file when blessing).
fn compare(path: &std::path::Path, name: &str) {
    compare_text(&normalized(path), name);
}

fn compare_text(got: &str, name: &str) {
    let golden = project_dir().join("tests/golden").join(name);
    if std::env::var_os("LOGSLEUTH_BLESS").is_some() {
        std::fs::write(&golden, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&golden).expect("golden file missing: run `make bless`");
    if got != want {
        let first = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name} differs from tests/golden/{name} at line {}:\n got: {}\nwant: {}\n(run `make bless` if the change is intended)",
            first + 1,
            got.lines().nth(first).unwrap_or(""),
            want.lines().nth(first).unwrap_or("")
        );
    }
}
