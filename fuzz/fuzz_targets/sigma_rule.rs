//! The Sigma rule reader on arbitrary YAML (what `detect --sigma PATH` and `sigma check` read):
//! never a panic or a hang; every document is a rule or a reason (a non-empty one); a rule's
//! conditions name only searches it defines; a condition parses or is refused with a message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logsleuth_fuzz::detect::sigma::condition;
use logsleuth_fuzz::detect::sigma::rule::{parse_file, timespan, Body};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (_meta, body) in parse_file(&text) {
        match body {
            Ok(Body::Detection(d)) => {
                assert!(!d.conditions.is_empty(), "a detection has a condition");
                for c in &d.conditions {
                    condition::check_names(c, &d.searches).expect("the reader checked the names");
                }
            }
            Ok(Body::Correlation(c)) => {
                assert!(c.timespan > 0, "{:?}", c.timespan_text);
                assert!(!c.rules.is_empty());
            }
            Err(skip) => assert!(!skip.to_string().is_empty()),
        }
    }
    // The first line alone, as a condition and as a timespan.
    let line = text.lines().next().unwrap_or("");
    match condition::parse(line) {
        Ok(_) => {}
        Err(e) => assert!(!e.is_empty()),
    }
    let _ = timespan(line);
});
