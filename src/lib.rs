//! logsleuth: an offline forensic batch log analyzer.
//!
//! The pipeline reads from the folder names: [`ingest`] (discover → decode → [`parse`] →
//! normalize → write Parquet with a chain-of-custody manifest); the analysis side reads the
//! case back with polars. [`schema`] holds the one event schema everything shares.

pub mod cli;
pub mod correlation;
pub mod deliver;
pub mod detect;
pub mod error;
pub mod export;
pub mod gen;
pub mod ingest;
pub mod parse;
pub mod query;
pub mod report;
pub mod sanitize;
pub mod schema;
pub mod timeline;
pub mod triage;
