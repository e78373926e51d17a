//! The project's parsing code, compiled from `../src` for the fuzz targets (no polars): the
//! format parsers, the schema, the decompressors, and the loaders of what analysts write (SQL
//! rule files, the `--config` TOML, Sigma rules) up to where they meet polars.
#![allow(dead_code, unused_imports, rustdoc::broken_intra_doc_links)]

#[path = "../../src/schema.rs"]
pub mod schema;

#[path = "../../src/parse/mod.rs"]
pub mod parse;

#[path = "../../src/ingest/decode.rs"]
pub mod decode;

/// `src/detect`'s text side, at the same module paths as in the crate.
pub mod detect;
