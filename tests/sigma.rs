//! Sigma over a case: the project's own rules (queries/sigma/) against the built-in ones and the
//! sample's planted incidents, rules that cannot be compiled, and SigmaHQ's Linux and web rules
//! (`../shared/datasets/sigma`, not shipped: skipped with a message when absent, required in CI).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::common::*;

const SSH: &str = "sigma:6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e01";
const SPRAY: &str = "sigma:6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e03";
const WEB: &str = "sigma:6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e05";
const BACKDOOR: &str = "sigma:6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e06";

fn corpus() -> Option<PathBuf> {
    shared_dataset("sigma")
}

fn findings(case: &std::path::Path) -> Vec<Value> {
    let doc: Value = serde_json::from_slice(&std::fs::read(case.join("findings.json")).unwrap()).unwrap();
    doc["findings"].as_array().unwrap().clone()
}

fn of<'a>(all: &'a [Value], rule: &str) -> Vec<&'a Value> {
    all.iter().filter(|f| f["rule"] == rule).collect()
}

fn evidence(f: &Value) -> Vec<(String, i64)> {
    f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["file"].as_str().unwrap().to_string(), e["line"].as_i64().unwrap()))
        .collect()
}

/// (host, source, first seen, last seen, count, evidence)
type Key = (Value, Value, Value, Value, Value, Vec<(String, i64)>);

fn key(f: &Value) -> Key {
    (
        f["host_name"].clone(),
        f["source_ip"].clone(),
        f["first_seen"].clone(),
        f["last_seen"].clone(),
        f["count"].clone(),
        evidence(f),
    )
}

/// The Sigma findings of a case, each by its key, sorted.
fn sigma_keys(case: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = findings(case)
        .into_iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("sigma:"))
        .map(|f| format!("{:?}", key(&f)))
        .collect();
    v.sort();
    v
}

/// The Sigma findings after running `args` (a `detect`) with every rule on every event.
fn sigma_keys_unnarrowed(args: &[&str], case: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new(bin()).args(args).env("LOGSLEUTH_SIGMA_NARROW", "off").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    sigma_keys(case)
}

fn sample_with_own_rules() -> (tempfile::TempDir, PathBuf, Vec<Value>) {
    let (dir, case) = sample_case("ingest");
    let rules = project_dir().join("queries/sigma");
    ok(&["detect", "--case", case.to_str().unwrap(), "--sigma", rules.to_str().unwrap(), "-q"]);
    let f = findings(&case);
    (dir, case, f)
}

#[test]
fn own_correlation_rules_give_the_built_in_findings_on_the_sample() {
    let (_d, _case, all) = sample_with_own_rules();
    // SSH brute force: the built-in rule's per-host findings, exactly (spans, counts, evidence).
    let mut builtin: Vec<Key> =
        of(&all, "ssh_bruteforce").into_iter().filter(|f| !f["host_name"].is_null()).map(key).collect();
    let mut sigma: Vec<Key> = of(&all, SSH).into_iter().map(key).collect();
    builtin.sort_by_key(|k| format!("{k:?}"));
    sigma.sort_by_key(|k| format!("{k:?}"));
    assert!(builtin.len() >= 5, "{builtin:?}");
    assert_eq!(sigma, builtin);
    // Spraying: the same finding (host, source, start, tries, evidence). Sigma's value_count
    // windows end at every try, the built-in rule's at each name's first try: the Sigma finding
    // may run on to a later repeated try, and never ends earlier.
    let b = of(&all, "password_spraying");
    let s = of(&all, SPRAY);
    assert_eq!((b.len(), s.len()), (1, 1));
    let (kb, ks) = (key(b[0]), key(s[0]));
    assert_eq!((&kb.0, &kb.1, &kb.2, &kb.4, &kb.5), (&ks.0, &ks.1, &ks.2, &ks.4, &ks.5));
    assert!(ks.3.as_str().unwrap() >= kb.3.as_str().unwrap());
    assert_eq!(s[0]["details"]["most_distinct_values_in_timespan"], b[0]["details"]["distinct_users"]);
    assert_eq!(s[0]["details"]["group"]["SourceIp"], "203.0.113.99");
}

#[test]
fn rules_for_the_planted_incidents_fire_with_their_evidence() {
    let (dir, case, all) = sample_with_own_rules();
    let sample = dir.path().join("sample");
    let line = |file: &str, n: i64| -> String {
        let text = std::fs::read_to_string(sample.join(file)).unwrap();
        text.lines().nth(n as usize - 1).unwrap().to_string()
    };
    // The webserver rule: the attacker's traversal and injection requests, and nothing of theirs else.
    let web = of(&all, WEB);
    let attacker: Vec<&&Value> = web.iter().filter(|f| f["source_ip"] == "198.51.100.23").collect();
    assert_eq!(attacker.len(), 1, "{web:?}");
    let f = attacker[0];
    assert_eq!(f["title"], "Path traversal, file disclosure or command injection in a web request");
    assert_eq!((f["severity"].as_str(), f["host_name"].as_str()), (Some("high"), Some("web01")));
    assert!(f["details"]["tags"].as_array().unwrap().contains(&Value::from("attack.t1190")));
    assert!(f["details"]["severity_reason"].as_str().unwrap().contains("Sigma rule's level (high)"));
    let ev = evidence(f);
    assert_eq!(ev.len(), f["count"].as_u64().unwrap() as usize);
    assert!(ev.len() >= 4, "{ev:?}");
    for (file, n) in &ev {
        let l = line(file, *n);
        assert!(l.starts_with("198.51.100.23 "), "{l}");
        let l = l.to_lowercase();
        assert!(l.contains("..%2f") || l.contains("../") || l.contains("/etc/passwd") || l.contains(";cat"), "{l}");
    }
    // The keyword rule: the backdoor account's creation and sudo membership on web01.
    let back = of(&all, BACKDOOR);
    let web01: Vec<&&Value> = back.iter().filter(|f| f["host_name"] == "web01").collect();
    assert_eq!(web01.len(), 1, "{back:?}");
    let lines: Vec<String> = evidence(web01[0]).iter().map(|(f, n)| line(f, *n)).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("useradd") && lines[0].contains("new user: name=backdoor"), "{lines:?}");
    assert!(lines[1].contains("add 'backdoor' to group 'sudo'"), "{lines:?}");
    // findings.json names the rule set, its files with their SHA-256, and every rule's status.
    let doc: Value = serde_json::from_slice(&std::fs::read(case.join("findings.json")).unwrap()).unwrap();
    let sigma = &doc["sigma"];
    assert_eq!(sigma["compiled"], 6);
    assert_eq!(sigma["skipped"], 0);
    let files = sigma["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    for f in files {
        assert_eq!(f["sha256"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn broken_rules_are_skipped_with_the_file_rule_and_reason_and_the_others_run() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    let rule = |title: &str, det: &str| {
        format!(
            "title: {title}\nid: {}\nlogsource:\n    product: linux\ndetection:\n{det}\nlevel: low\n",
            title.replace(' ', "-")
        )
    };
    write(
        &rules,
        "good.yml",
        rule("Good rule", "    keywords:\n        - 'new user: name='\n    condition: keywords").as_bytes(),
    );
    write(&rules, "broken.yml", b"title: Broken\ndetection: [unclosed\n");
    write(
        &rules,
        "modifier.yml",
        rule("Odd modifier", "    sel:\n        message|sideways: x\n    condition: sel").as_bytes(),
    );
    write(
        &rules,
        "regex.yml",
        rule("Bad regex", "    sel:\n        message|re: '(unclosed'\n    condition: sel").as_bytes(),
    );
    write(
        &rules,
        "field.yml",
        rule("Unmapped field", "    sel:\n        ParentImage: /bin/sh\n    condition: sel").as_bytes(),
    );
    write(&rules, "cond.yml", rule("Bad condition", "    sel:\n        message: x\n    condition: sel and").as_bytes());
    write(
        &rules,
        "windows.yml",
        b"title: Windows only\nlogsource:\n    product: windows\n    service: security\ndetection:\n    sel:\n        EventID: 4625\n    condition: sel\n",
    );
    let out = ok(&["sigma", "check", rules.to_str().unwrap(), "--format", "json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let by_title: BTreeMap<String, &Value> =
        doc["rules"].as_array().unwrap().iter().map(|r| (r["title"].as_str().unwrap().to_string(), r)).collect();
    let expect = [
        ("Good rule", "compiled", None),
        ("Odd modifier", "skipped", Some(("modifier", "sideways"))),
        ("Bad regex", "skipped", Some(("value", "(unclosed"))),
        ("Unmapped field", "skipped", Some(("field", "ParentImage"))),
        ("Bad condition", "skipped", Some(("condition", "ends"))),
        ("Windows only", "skipped", Some(("logsource", "product: windows"))),
    ];
    for (title, status, why) in expect {
        let r = by_title.get(title).unwrap_or_else(|| panic!("{title} not listed: {out}"));
        assert_eq!(r["status"], status, "{r}");
        assert!(r["path"].as_str().unwrap().ends_with(".yml"), "{r}");
        if let Some((kind, text)) = why {
            assert_eq!(r["reason_kind"], kind, "{r}");
            assert!(r["reason"].as_str().unwrap().contains(text), "{r}");
        }
    }
    // The YAML error names its file (the document has no title to name).
    let broken: Vec<&Value> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("broken.yml"))
        .collect();
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0]["reason_kind"], "yaml");
    assert_eq!(doc["summary"]["compiled"], 1);
    assert_eq!(doc["summary"]["skipped"], 6);
    // The text form names the file, the rule and the reason.
    let text = ok(&["sigma", "check", rules.to_str().unwrap()]);
    assert!(
        text.lines().any(|l| l.starts_with("skipped")
            && l.contains("regex.yml Bad regex")
            && l.contains("invalid regular expression")),
        "{text}"
    );
    // detect runs the good rule anyway.
    let (_d, case) = sample_case("ingest");
    let out = run(&["detect", "--case", case.to_str().unwrap(), "--sigma", rules.to_str().unwrap(), "-q"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 rule(s) compiled, 6 skipped"));
    assert!(!of(&findings(&case), "sigma:Good-rule").is_empty());
    // A path that does not exist is a usage error.
    let out = run(&["sigma", "check", dir.path().join("nope").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

/// How many of SigmaHQ's rules compile, per logsource. Raise these as mappings are added; a
/// lower number is a regression.
const COVERAGE: &[(&str, usize, usize)] = &[
    ("category: firewall", 1, 1),
    ("category: proxy", 54, 2),
    ("category: webserver", 85, 1),
    ("product: linux", 16, 0),
    ("product: linux, category: file_event", 18, 0),
    ("product: linux, category: network_connection", 0, 5),
    ("product: linux, category: process_creation", 144, 0),
    ("product: linux, service: auditd", 54, 0),
    ("product: linux, service: auth", 1, 0),
    ("product: linux, service: clamav", 1, 0),
    ("product: linux, service: cron", 1, 0),
    ("product: linux, service: guacamole", 1, 0),
    ("product: linux, service: sshd", 3, 0),
    ("product: linux, service: sudo", 1, 0),
    ("product: linux, service: syslog", 2, 0),
    ("product: linux, service: vsftpd", 1, 0),
    ("service: apache", 2, 0),
    ("service: nginx", 1, 0),
];

#[test]
fn sigmahq_linux_and_web_rules_compile_per_logsource() {
    let Some(corpus) = corpus() else { return };
    let out = ok(&["sigma", "check", corpus.to_str().unwrap(), "--format", "json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let by: BTreeMap<String, (u64, u64)> = doc["summary"]["by_logsource"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), (v["compiled"].as_u64().unwrap(), v["skipped"].as_u64().unwrap())))
        .collect();
    let want: BTreeMap<String, (u64, u64)> =
        COVERAGE.iter().map(|(k, c, s)| (k.to_string(), (*c as u64, *s as u64))).collect();
    assert_eq!(by, want);
    // Every skip is one of the documented reasons and names what is missing.
    for r in doc["rules"].as_array().unwrap().iter().filter(|r| r["status"] == "skipped") {
        let kind = r["reason_kind"].as_str().unwrap();
        assert!(["field", "logsource"].contains(&kind), "{r}");
        assert!(!r["reason"].as_str().unwrap().contains("ParentImage"), "parent fields are mapped: {r}");
        assert!(r["reason"].as_str().unwrap().len() > 20, "{r}");
    }
}

#[test]
fn the_corpus_runs_on_the_sample_and_narrowing_never_changes_a_finding() {
    let Some(corpus) = corpus() else { return };
    let (_d, case) = sample_case("ingest");
    let own = project_dir().join("queries/sigma");
    let args =
        ["detect", "--case", case.to_str().unwrap(), "--sigma", corpus.to_str().unwrap(), own.to_str().unwrap(), "-q"];
    ok(&args);
    let narrowed = sigma_keys(&case);
    assert!(narrowed.len() >= 15, "{narrowed:?}");
    assert_eq!(sigma_keys_unnarrowed(&args, &case), narrowed);
}

#[test]
fn the_report_lists_sigma_findings_and_the_rule_sets() {
    let (_d, case, all) = sample_with_own_rules();
    assert!(!of(&all, WEB).is_empty());
    let out = case.join("report");
    ok(&["report", "--case", case.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("Sigma rule sets"), "method section");
    assert!(html.contains("Path traversal, file disclosure or command injection in a web request"), "finding");
    let doc: Value = serde_json::from_slice(&std::fs::read(case.join("findings.json")).unwrap()).unwrap();
    for f in doc["sigma"]["files"].as_array().unwrap() {
        assert!(html.contains(f["sha256"].as_str().unwrap()), "{f}");
    }
    assert!(html.contains("login_attempt"), "coverage by logsource");
}

/// One execve event as the kernel's audit writes it (SYSCALL, EXECVE, CWD, EOE).
fn execve(t: i64, serial: u32, pid: u32, ppid: u32, exe: &str, args: &[&str]) -> String {
    let id = format!("{}.100:{serial}", 1_767_000_000 + t);
    let comm = exe.rsplit('/').next().unwrap();
    let argv: Vec<String> = args.iter().enumerate().map(|(i, a)| format!("a{i}=\"{a}\"")).collect();
    format!(
        "type=SYSCALL msg=audit({id}): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=0 items=2 ppid={ppid} pid={pid} auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"{comm}\" exe=\"{exe}\" key=\"exec\"\n\
         type=EXECVE msg=audit({id}): argc={} {}\n\
         type=CWD msg=audit({id}): cwd=\"/tmp\"\n\
         type=EOE msg=audit({id}): \n",
        args.len(),
        argv.join(" ")
    )
}

#[test]
fn parent_process_fields_come_from_the_parents_own_start() {
    let dir = tempfile::tempdir().unwrap();
    let ev = dir.path().join("ev");
    let mut log = String::new();
    log += &execve(0, 10, 4101, 4000, "/usr/bin/bash", &["bash", "-i"]);
    // curl started by that bash: its parent is known.
    log += &execve(5, 11, 4102, 4101, "/usr/bin/curl", &["curl", "-o", "/tmp/x", "http://203.0.113.7/x"]);
    // curl whose parent's start is not in the log.
    log += &execve(6, 12, 4103, 3999, "/usr/bin/curl", &["curl", "http://203.0.113.7/y"]);
    // A later process reusing pid 4101 must not become the parent of what bash started before it.
    log += &execve(9, 13, 4101, 1, "/usr/bin/python3", &["python3", "-c", "pass"]);
    write(&ev, "h1/var/log/audit/audit.log", log.as_bytes());
    let case = dir.path().join("case");
    ok(&["ingest", ev.to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let rules = dir.path().join("rules");
    write(
        &rules,
        "shell_download.yml",
        b"title: Download from an interactive shell\nid: shell-download\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    selection:\n        ParentImage|endswith: '/bash'\n        ParentCommandLine|contains: ' -i'\n        Image|endswith: '/curl'\n    condition: selection\nlevel: medium\n",
    );
    write(
        &rules,
        "orphan.yml",
        b"title: Parent unknown\nid: orphan\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    selection:\n        Image|endswith: '/curl'\n    filter:\n        ParentImage|exists: true\n    condition: selection and not filter\nlevel: low\n",
    );
    let out = ok(&["sigma", "check", rules.to_str().unwrap()]);
    assert!(out.contains("2 compiled, 0 skipped"), "{out}");
    ok(&["detect", "--case", case.to_str().unwrap(), "--sigma", rules.to_str().unwrap(), "-q"]);
    let all = findings(&case);
    let hit = of(&all, "sigma:shell-download");
    assert_eq!(hit.len(), 1, "{all:?}");
    assert_eq!(hit[0]["count"], 1);
    let ev_lines = evidence(hit[0]);
    let text = std::fs::read_to_string(ev.join("h1/var/log/audit/audit.log")).unwrap();
    let first = text.lines().nth(ev_lines[0].1 as usize - 1).unwrap();
    assert!(first.contains("pid=4102"), "the child's own record: {first}");
    let orphan = of(&all, "sigma:orphan");
    assert_eq!(orphan.len(), 1);
    assert_eq!(orphan[0]["count"], 1, "only the curl whose parent was not logged");
    let line = text.lines().nth(evidence(orphan[0])[0].1 as usize - 1).unwrap();
    assert!(line.contains("pid=4103"), "{line}");
}

#[test]
fn a_temporal_ordered_correlation_across_logsources_with_aliases() {
    let (dir, case) = sample_case("ingest");
    let rules = dir.path().join("rules");
    // Web attack requests from an address, then an SSH login from the same address within four
    // days: two logsources (two passes), the address in different fields, joined by an alias.
    let text = "title: Web attack then SSH login from the same address\nid: web-then-ssh\ncorrelation:\n    type: temporal_ordered\n    rules:\n        - web_attack_request\n        - ssh_login\n    group-by:\n        - attacker\n    timespan: 4d\n    aliases:\n        attacker:\n            web_attack_request: c-ip\n            ssh_login: SourceIp\nlevel: high\n---\ntitle: Traversal in a request\nname: web_attack_request\nlogsource:\n    category: webserver\ndetection:\n    selection:\n        cs-uri-query|contains: '..%2f'\n    condition: selection\n---\ntitle: SSH login\nname: ssh_login\nlogsource:\n    product: linux\n    service: sshd\ndetection:\n    keywords:\n        - 'Accepted password for'\n    condition: keywords\n";
    write(&rules, "chain.yml", text.as_bytes());
    ok(&["detect", "--case", case.to_str().unwrap(), "--sigma", rules.to_str().unwrap(), "-q"]);
    let all = findings(&case);
    let hits = of(&all, "sigma:web-then-ssh");
    let attacker: Vec<&&Value> = hits.iter().filter(|f| f["details"]["group"]["attacker"] == "198.51.100.23").collect();
    assert_eq!(attacker.len(), 1, "{hits:?}");
    let f = attacker[0];
    assert_eq!(f["severity"], "high");
    assert_eq!(f["source_ip"], "198.51.100.23");
    assert_eq!(f["details"]["correlation"], "temporal_ordered");
    // From a traversal request (27 Dec 09:0x) to the login (30 Dec 02:21:03), within 4 days.
    assert!(f["first_seen"].as_str().unwrap().starts_with("2025-12-27T09:0"), "{f}");
    assert_eq!(f["last_seen"], "2025-12-30T02:21:03Z");
    let files: Vec<String> = evidence(f).into_iter().map(|(file, _)| file).collect();
    assert!(files.iter().any(|x| x.contains("apache2")) && files.iter().any(|x| x.ends_with("auth.log")), "{files:?}");
    // The correlated rules give no findings of their own (no `generate: true`).
    assert!(all.iter().all(|x| !x["title"].as_str().unwrap().starts_with("Traversal in a request")));
    // Two days are too short: the login came 2 days 17 hours after the last traversal request.
    write(&rules, "chain.yml", text.replace("timespan: 4d", "timespan: 2d").as_bytes());
    ok(&["detect", "--case", case.to_str().unwrap(), "--sigma", rules.to_str().unwrap(), "-q"]);
    let all = findings(&case);
    assert!(of(&all, "sigma:web-then-ssh").iter().all(|f| f["details"]["group"]["attacker"] != "198.51.100.23"));
}

/// Broken variants of every SigmaHQ rule (cut short, a character replaced by YAML or Sigma
/// syntax, a line's indentation removed, a line repeated): loading and compiling never panics,
/// and every file is accounted for.
#[test]
fn mangled_rules_never_crash_the_loader() {
    use logsleuth::detect::sigma::{mapping::Mapping, SigmaSet};
    let Some(corpus) = corpus() else { return };
    let files = logsleuth::detect::sigma::rule_files(&corpus).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let mut written = 0;
    for (i, f) in files.iter().enumerate() {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for m in 0..4 {
            let out = match m {
                0 => {
                    let mut cut = next(text.len());
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    text[..cut].to_string()
                }
                1 => {
                    let mut b: Vec<char> = text.chars().collect();
                    let at = next(b.len());
                    b[at] = [':', '|', '*', '?', '\'', '"', '[', '{', '\\', '-', '\t'][next(11)];
                    b.into_iter().collect()
                }
                2 => {
                    let k = next(lines.len());
                    lines
                        .iter()
                        .enumerate()
                        .map(|(j, l)| if j == k { l.trim_start() } else { l })
                        .collect::<Vec<_>>()
                        .join("\n")
                }
                _ => {
                    let k = next(lines.len());
                    let mut v = lines.clone();
                    v.insert(k, lines[k]);
                    v.join("\n")
                }
            };
            std::fs::write(dir.path().join(format!("{i:04}-{m}.yml")), out).unwrap();
            written += 1;
        }
    }
    let set = SigmaSet::load(&[dir.path().to_path_buf()], &Mapping::load(None).unwrap()).unwrap();
    assert_eq!(set.usage.files.len(), written);
    assert!(set.usage.rules.len() >= written, "every file has a status");
    assert!(set.usage.compiled > 0 && set.usage.skipped > 0, "{} / {}", set.usage.compiled, set.usage.skipped);
    for r in set.usage.rules.iter().filter(|r| r.status == "skipped") {
        assert!(r.reason.as_deref().is_some_and(|s| !s.is_empty()), "{r:?}");
    }
    // What still compiles also runs: no rule makes the pass fail.
    let (_d, case) = sample_case("ingest");
    ok(&["detect", "--case", case.to_str().unwrap(), "--sigma", dir.path().to_str().unwrap(), "-q"]);
}

#[test]
fn the_backdoor_rule_reads_old_shadow_quoting_in_a_flat_folder() {
    // One auth log given on its own (no host folder layout): the host comes from the syslog
    // line. shadow-utils before 4.2 wrote add `user' to group `sudo'.
    let dir = tempfile::tempdir().unwrap();
    let log = write(
        dir.path(),
        "auth.log",
        b"Mar  3 10:00:01 oldbox useradd[901]: new group: name=svc, GID=1001\n\
          Mar  3 10:00:01 oldbox usermod[905]: add `svc' to group `wheel'\n\
          Mar  3 10:00:02 oldbox usermod[905]: add `svc' to shadow group `wheel'\n",
    );
    let case = dir.path().join("case");
    ok(&["ingest", log.to_str().unwrap(), "--case", case.to_str().unwrap(), "--year", "2026", "-q"]);
    let rules = project_dir().join("queries/sigma/linux_backdoor_account.yml");
    ok(&["detect", "--case", case.to_str().unwrap(), "--sigma", rules.to_str().unwrap(), "-q"]);
    let all = findings(&case);
    let hits = of(&all, BACKDOOR);
    assert_eq!(hits.len(), 1, "{all:?}");
    assert_eq!(hits[0]["host_name"], "oldbox");
    assert!(hits[0]["source_ip"].is_null());
    assert_eq!(evidence(hits[0]), vec![("auth.log".to_string(), 2)]);
}

/// Rules that run on every event and read a few text columns (user-agent lists) are first run
/// on those columns' distinct values: what they find is what running them on every event
/// finds, an absent user agent (Apache's `-`) included.
#[test]
fn rules_run_on_distinct_values_find_what_every_event_gives() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for i in 0..300 {
        log += &format!(
            "198.51.100.{} - - [04/Dec/2026:10:{:02}:{:02} +0000] \"GET /page/{i} HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\"\n",
            i % 200,
            i / 60,
            i % 60
        );
    }
    log += "203.0.113.7 - - [04/Dec/2026:10:06:00 +0000] \"GET /x HTTP/1.1\" 200 10 \"-\" \"BadBot/1.0\"\n";
    log += "203.0.113.8 - - [04/Dec/2026:10:06:01 +0000] \"GET /y HTTP/1.1\" 200 10 \"-\" \"-\"\n";
    let logs = dir.path().join("web01/var/log/apache2");
    std::fs::create_dir_all(&logs).unwrap();
    write(&logs, "access.log", log.as_bytes());
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    // The empty value needs no literal: the rule cannot be narrowed by one and runs on every event.
    write(
        &rules,
        "listed_agents.yml",
        b"title: Listed user agents\nlogsource:\n    category: proxy\ndetection:\n    selection:\n        c-useragent:\n            - 'badbot/1.0'\n            - ''\n    filter:\n        cs-host|endswith: '.example.org'\n    condition: selection and not filter\nlevel: high\n",
    );
    // An absent user agent is a null value among the distinct ones.
    write(
        &rules,
        "absent_agent.yml",
        b"title: Absent user agent\nlogsource:\n    category: proxy\ndetection:\n    selection:\n        c-useragent: null\n    condition: selection\nlevel: low\n",
    );
    let case = dir.path().join("case");
    ok(&["ingest", dir.path().join("web01").to_str().unwrap(), "--case", case.to_str().unwrap(), "-q"]);
    let args = ["detect", "--case", case.to_str().unwrap(), "--sigma", rules.to_str().unwrap(), "-q"];
    ok(&args);
    let distinct = sigma_keys(&case);
    assert!(distinct.iter().any(|k| k.contains("203.0.113.7")), "{distinct:?}");
    assert!(distinct.iter().any(|k| k.contains("203.0.113.8")), "{distinct:?}");
    assert_eq!(distinct.len(), 2, "{distinct:?}");
    assert_eq!(sigma_keys_unnarrowed(&args, &case), distinct);
}
