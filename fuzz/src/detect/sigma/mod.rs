//! The Sigma rule reader and condition parser (compiling rules to polars expressions is not here).

#[path = "../../../../src/detect/sigma/condition.rs"]
pub mod condition;
#[path = "../../../../src/detect/sigma/rule.rs"]
pub mod rule;
#[path = "../../../../src/detect/sigma/skip.rs"]
mod skip;
pub use skip::Skip;
