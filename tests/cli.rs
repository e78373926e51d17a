//! The command line as a whole: every flag has a help line, and every row of the README's
//! exit-code table is what the binary returns in that situation.

use std::collections::BTreeMap;

use crate::common::*;

/// The subcommands `logsleuth --help` lists (nested ones as `sigma check`).
fn subcommands() -> Vec<Vec<String>> {
    let help = ok(&["--help"]);
    let mut out = Vec::new();
    let mut inside = false;
    for l in help.lines() {
        if l.starts_with("Commands:") {
            inside = true;
            continue;
        }
        if inside && !l.starts_with("  ") {
            break;
        }
        // A command line is indented two spaces; its wrapped description is indented more.
        if inside && l.starts_with("  ") && !l.starts_with("   ") {
            let name = l.split_whitespace().next().unwrap().to_string();
            if name != "help" {
                out.push(vec![name]);
            }
        }
    }
    out.push(vec!["sigma".into(), "check".into()]);
    out
}

/// The options of a `--help` page whose help text is empty: an option line with nothing after
/// the flag, followed by no indented description.
fn undocumented(help: &str) -> Vec<String> {
    let lines: Vec<&str> = help.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let indent = l.len() - t.len();
        // Options ("--case <DIR>") and arguments ("[SQL]", "<PATH>...").
        if !(t.starts_with('-') || t.starts_with('[') || t.starts_with('<')) || indent > 6 || indent == 0 {
            continue;
        }
        // "  -q, --quiet  No summary" (short help on the same line) or a description below.
        let same_line = t.split("  ").skip(1).any(|s| !s.trim().is_empty());
        let next = lines.get(i + 1).copied().unwrap_or("");
        let below = next.len() - next.trim_start().len() > indent && !next.trim().is_empty();
        if !same_line && !below {
            out.push(t.to_string());
        }
    }
    out
}

#[test]
fn every_flag_of_every_subcommand_has_a_help_line() {
    let cmds = subcommands();
    assert!(cmds.len() >= 11, "{cmds:?}");
    let mut missing = BTreeMap::new();
    for c in &cmds {
        let mut args: Vec<&str> = c.iter().map(String::as_str).collect();
        args.push("--help");
        let help = ok(&args);
        assert!(help.contains("Usage:"), "{args:?}");
        let bad = undocumented(&help);
        if !bad.is_empty() {
            missing.insert(c.join(" "), bad);
        }
    }
    assert!(missing.is_empty(), "flags without help: {missing:?}");
    // The checker itself notices an empty help line.
    assert_eq!(
        undocumented("Arguments:\n  [SQL]\n\nOptions:\n      --case <DIR>\n      --ip <IP>\n          An address\n"),
        vec!["[SQL]", "--case <DIR>"]
    );
}

/// The codes the README's exit-code table lists.
fn readme_codes() -> BTreeMap<i32, String> {
    let readme = std::fs::read_to_string(project_dir().join("README.md")).unwrap();
    let table = readme.split("### Exit codes").nth(1).unwrap().split("\n## ").next().unwrap();
    table
        .lines()
        .filter_map(|l| {
            let mut cells = l.trim().trim_matches('|').split('|');
            let code = cells.next()?.trim().parse().ok()?;
            Some((code, cells.next()?.trim().to_string()))
        })
        .collect()
}

#[test]
fn the_readme_exit_code_table_is_what_the_binary_returns() {
    let codes = readme_codes();
    assert_eq!(codes.keys().copied().collect::<Vec<_>>(), (0..=7).collect::<Vec<_>>(), "{codes:?}");
    let (dir, case) = sample_case("run");
    let c = case.to_str().unwrap();
    let ev = dir.path().join("sample");
    let code = |args: &[&str]| run(args).status.code();
    // 0: success.
    assert_eq!(code(&["detect", "--case", c, "-q"]), Some(0));
    // 1: --fail-on reached; a timeline filter that matches nothing.
    assert!(codes[&1].contains("--fail-on") && codes[&1].contains("timeline"));
    assert_eq!(code(&["detect", "--case", c, "-q", "--fail-on", "high"]), Some(1));
    let none = run(&["timeline", "--case", c, "--user", "no-such-user-anywhere"]);
    assert_eq!(none.status.code(), Some(1));
    // No silent empty answer: the span, the hosts and the rules with findings.
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(err.contains("the case holds events from") && err.contains("web01 ("), "{err}");
    assert!(err.contains("findings by rule: ") && err.contains("attack_chain (1)"), "{err}");
    // 2: usage: a bad flag, a bad value, a missing input path, a case inside the evidence.
    assert_eq!(code(&["timeline", "--case", c, "--no-such-flag"]), Some(2));
    assert_eq!(code(&["timeline", "--case", c, "--from", "yesterday-ish"]), Some(2));
    let missing = dir.path().join("no-such-input");
    assert_eq!(
        code(&["ingest", missing.to_str().unwrap(), "--case", dir.path().join("c2").to_str().unwrap()]),
        Some(2)
    );
    assert!(!dir.path().join("c2").exists(), "no empty case folder is left behind");
    let inside = ev.join("case-inside");
    assert_eq!(code(&["ingest", ev.to_str().unwrap(), "--case", inside.to_str().unwrap(), "-q"]), Some(2));
    // 3: nothing could be ingested.
    let junk = write(dir.path(), "junk/notes.txt", b"just some words\nno timestamps at all\n");
    assert_eq!(
        code(&["ingest", junk.to_str().unwrap(), "--case", dir.path().join("c3").to_str().unwrap(), "-q"]),
        Some(3)
    );
    // 4: --strict and a damaged input.
    let bad = dir.path().join("damaged");
    let text: String = (0..3000)
        .map(|i| {
            format!(
                "Dec  2 10:{:02}:{:02} h sshd[1]: Connection closed by 10.0.0.{} port 22\n",
                i / 60 % 60,
                i % 60,
                i % 250
            )
        })
        .collect();
    let gz = gzip(text.as_bytes());
    write(&bad, "h/var/log/auth.log.2.gz", &gz[..gz.len() / 2]);
    assert_eq!(
        code(&["ingest", bad.to_str().unwrap(), "--case", dir.path().join("c4").to_str().unwrap(), "--strict", "-q"]),
        Some(4)
    );
    // 5: any other failure: a folder that is no case, a bad query.
    assert_eq!(code(&["query", "--case", dir.path().to_str().unwrap(), "SELECT 1"]), Some(5));
    assert_eq!(code(&["query", "--case", c, "SELECT no_such_column FROM events"]), Some(5));
    // A query polars' streaming engine panics on (0.55: COUNT(*) over a UNION ALL) is an
    // answer or a failure with its reason, never a crash (exit 101).
    let union = "SELECT COUNT(*) AS n FROM (SELECT 1 AS a FROM events UNION ALL SELECT 2 AS a FROM events) x";
    let out = run(&["query", "--case", c, union]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 5)), "{:?} {said}", out.status.code());
    if out.status.code() == Some(5) {
        assert!(said.contains("logsleuth: the SQL failed: polars failed on this query"), "{said}");
    }
    // 6: the report was written but the webhook could not take it (a closed local port).
    let out = run(&["report", "--case", c, "--webhook", "http://127.0.0.1:9/hook", "--webhook-timeout", "0.3"]);
    assert_eq!(out.status.code(), Some(6), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(case.join("report/index.html").exists());
    // 7: verify finds an input changed since the case was built.
    let log = ev.join("web01/var/log/auth.log");
    let mut text = std::fs::read(&log).unwrap();
    text.extend_from_slice(b"Jan  4 23:59:59 web01 sshd[1]: appended after the case was built\n");
    std::fs::write(&log, text).unwrap();
    assert_eq!(code(&["verify", "--case", c, "--evidence", ev.to_str().unwrap()]), Some(7));
}
