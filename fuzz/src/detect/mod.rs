//! `src/detect`'s text side, at the same module paths as in the crate: the rule-file reader,
//! the configuration, severities and the web signatures and process patterns a rule file's data
//! tables read.

#[path = "../../../src/detect/config.rs"]
pub mod config;
#[path = "../../../src/detect/process.rs"]
pub mod process;
#[path = "../../../src/detect/rule_file.rs"]
pub mod rule_file;
#[path = "../../../src/detect/severity.rs"]
pub mod severity;
#[path = "../../../src/detect/web.rs"]
pub mod web;

pub mod sigma;
