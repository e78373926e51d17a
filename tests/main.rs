//! The integration tests, one binary: each module runs the real `logsleuth` binary on fixtures
//! (one test binary links polars once; seven of them cost minutes of CI).

mod common;

mod archive;
mod cli;
mod correlate;
mod crash;
mod deliver;
mod detect;
mod export;
mod golden;
mod hostile;
mod ingest;
mod linux;
mod real_datasets;
mod report;
mod sample;
mod scale;
mod sigma;
mod time;
mod triage;
