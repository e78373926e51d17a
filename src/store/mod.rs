//! The case on disk, and everything that writes or reads its files: the layout and its atomic
//! commit ([`case`]), the chain-of-custody manifest ([`manifest`]), the Parquet writer and its
//! settings ([`writer`]), packing and compacting parts ([`pack`]), combining shard cases
//! ([`merge`]), and the derived files analysis writes beside the dataset ([`files`]: findings,
//! incidents, correlations, atomic replacement). Ingest writes through it; query, export,
//! merge and the report read through it.
//!
//! It depends on no other stage: the pipeline's order (ingest → store → query → detect →
//! correlation → report) is the import order.

pub mod case;
pub mod fault;
pub mod files;
pub mod manifest;
pub mod merge;
pub mod pack;
pub mod writer;
