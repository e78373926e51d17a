//! The project's parsing code, compiled from `../src` for the fuzz targets (no polars).
#![allow(dead_code, unused_imports, rustdoc::broken_intra_doc_links)]

#[path = "../../src/schema.rs"]
pub mod schema;

#[path = "../../src/parse/mod.rs"]
pub mod parse;

#[path = "../../src/ingest/decode.rs"]
pub mod decode;
