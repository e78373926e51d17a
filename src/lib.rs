//! logsleuth: an offline forensic batch log analyzer.
//!
//! The pipeline reads from the folder names: [`ingest`] (discover → decode → [`parse`] →
//! normalize) writes through [`store`] (the case on disk: Parquet parts, the chain-of-custody
//! manifest, atomic commits, derived files); [`query`] reads the case back with polars for
//! [`detect`], [`correlation`], [`triage`], [`timeline`], [`report`] and [`export`]. Each
//! imports only the stages before it. [`schema`] holds the one event schema everything shares.

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
pub mod store;
pub mod timeline;
pub mod triage;
