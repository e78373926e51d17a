//! Golden files: outputs that must stay stable. The sample's findings (ids, order, titles,
//! counts, evidence) and incidents are compared with `tests/golden/sample_findings.json` and
//! `tests/golden/sample_incidents.json`; after an intended
//! change, `make bless` rewrites it (review the diff before committing).

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

/// Compares a case output with its golden file (or rewrites the golden file when blessing).
fn compare(path: &std::path::Path, name: &str) {
    let got = normalized(path);
    let golden = project_dir().join("tests/golden").join(name);
    if std::env::var_os("LOGSLEUTH_BLESS").is_some() {
        std::fs::write(&golden, &got).unwrap();
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
