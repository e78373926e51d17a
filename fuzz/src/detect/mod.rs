//! `src/detect`'s text side, at the same module paths as in the crate: the rule-file reader,
//! the configuration and severities.

#[path = "../../../src/detect/config.rs"]
pub mod config;
#[path = "../../../src/detect/rule_file.rs"]
pub mod rule_file;
#[path = "../../../src/detect/severity.rs"]
pub mod severity;

pub mod sigma;
