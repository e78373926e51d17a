//! Library error types. Every variant names the file (and line where there is one), so a
//! message is actionable on its own; `anyhow` is used only at the CLI edge.

use std::path::PathBuf;

/// Errors of the ingest path.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot write Parquet {path}: {source}")]
    Parquet { path: PathBuf, source: parquet::errors::ParquetError },
    #[error("manifest {path} is unreadable: {source} (restore it from a copy of the case, or rebuild the case from the evidence with ingest --force)")]
    Manifest { path: PathBuf, source: serde_json::Error },
    #[error("input {path} does not exist")]
    MissingInput { path: PathBuf },
    #[error("inputs {a} and {b} map to the same evidence path {rel}; ingest them separately")]
    PathCollision { a: PathBuf, b: PathBuf, rel: String },
    #[error("case {path} is locked by another logsleuth process (lock file {lock})")]
    Locked { path: PathBuf, lock: PathBuf },
    #[error("{path} is not a case: it has no manifest.json (ingest evidence into it first)")]
    NotACase { path: PathBuf },
    /// The case and the evidence are placed so that one would be written into or read as the
    /// other (a usage error).
    #[error("{0}")]
    Placement(String),
    #[error("{0}")]
    Invalid(String),
}

impl IngestError {
    pub fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Read { path: path.into(), source }
    }
    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Write { path: path.into(), source }
    }
}

/// Errors of the query/detect/report side.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("case {path}: {msg}")]
    Case { path: PathBuf, msg: String },
    #[error("query {name} failed: {source}")]
    Query { name: String, source: polars::error::PolarsError },
    #[error("rule file {path}: {msg}")]
    Rule { path: PathBuf, msg: String },
    #[error("config {path}: {msg}")]
    Config { path: PathBuf, msg: String },
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Invalid(String),
}
