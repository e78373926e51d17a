//! `src/detect`'s text side, at the same module paths as in the crate: the rule-file reader,
//! the configuration, severities and the web signatures a rule file's data table reads.

#[path = "../../../src/detect/config.rs"]
pub mod config;
#[path = "../../../src/detect/rule_file.rs"]
pub mod rule_file;
#[path = "../../../src/detect/severity.rs"]
pub mod severity;
#[path = "../../../src/detect/web.rs"]
pub mod web;

pub mod sigma;
