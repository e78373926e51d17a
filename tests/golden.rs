//! Golden files: outputs that must stay stable. The sample's findings (ids, order, titles,
//! counts, evidence) are compared with `tests/golden/sample_findings.json`; after an intended
//! change, `make bless` rewrites it (review the diff before committing).

mod common;

use common::*;

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
    let got = normalized(&case.join("findings.json"));
    let golden = project_dir().join("tests/golden/sample_findings.json");
    if std::env::var_os("LOGSLEUTH_BLESS").is_some() {
        std::fs::write(&golden, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&golden).expect("golden file missing: run `make bless`");
    if got != want {
        let first = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "findings differ from tests/golden/sample_findings.json at line {}:\n got: {}\nwant: {}\n(run `make bless` if the change is intended)",
            first + 1,
            got.lines().nth(first).unwrap_or(""),
            want.lines().nth(first).unwrap_or("")
        );
    }
}
