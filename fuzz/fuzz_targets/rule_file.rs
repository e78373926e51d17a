//! The SQL rule-file loader on arbitrary text (what `detect --rules DIR` reads): the header, the
//! window macro, the derived evidence, the catalog checks and the parameter substitution never
//! panic or hang; a file that parses has a valid id, a body, an evidence table the runner knows
//! (the case's or one its query defines) and evidence keys naming result columns; a catalog with a problem names the file that brought it; a clean catalog substitutes
//! every placeholder of the file.
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use logsleuth_fuzz::detect::rule_file::{derive_evidence, expand_windows, SqlRule, BUILTIN};

/// The built-in catalog, parsed once.
static BUILTIN_RULES: LazyLock<Vec<SqlRule>> =
    LazyLock::new(|| BUILTIN.iter().map(|(n, t)| SqlRule::parse(n, t).expect("built-in")).collect());

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = expand_windows(&text);
    let _ = derive_evidence(&text);
    let rule = match SqlRule::parse("fuzz.sql", &text) {
        Ok(r) => r,
        Err(e) => {
            assert!(e.starts_with("fuzz.sql: "), "a refusal names the file: {e}");
            return;
        }
    };
    let snake = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    assert!(snake(&rule.id) && snake(&rule.rule), "{:?} {:?}", rule.id, rule.rule);
    assert!(!rule.body.trim().is_empty());
    assert!(
        matches!(rule.evidence_table.as_str(), "events" | "attempts") || rule.evidence_source().is_some(),
        "{:?}",
        rule.evidence_table
    );
    let span = ["first_seen", "last_seen", "count", "severity", "title"];
    assert!(rule.evidence_keys.iter().all(|(k, e)| snake(k) && !span.contains(&k.as_str()) && !e.is_empty()));
    let mut catalog = BUILTIN_RULES.clone();
    catalog.push(rule.clone());
    let errors = SqlRule::check_catalog(&catalog);
    if !errors.is_empty() {
        assert!(errors.iter().any(|e| e.starts_with("fuzz.sql: ")), "the new file is named: {errors:?}");
        return;
    }
    let family = SqlRule::declarations(&catalog).into_iter().find(|(id, _, _)| *id == rule.rule).expect("its rule");
    let params: BTreeMap<_, _> = family.2.into_iter().map(|p| (p.name, p.default)).collect();
    // Data tables stand in by name: a default may name any file, which the harness does not read.
    rule.fill_unloaded(&rule.body, &params).expect("a checked catalog substitutes its query");
    if let Some(pred) = &rule.evidence {
        rule.fill_unloaded(pred, &params).expect("and its evidence predicate");
    }
    for (_, e) in &rule.evidence_keys {
        rule.fill_unloaded(e, &params).expect("and its evidence keys");
    }
    if let Some(source) = rule.evidence_source() {
        rule.fill_unloaded(&source, &params).expect("and the query's table its evidence comes from");
    }
    if let Some(pred) = &rule.requires {
        rule.fill_unloaded(pred, &params).expect("and what it requires");
    }
});
