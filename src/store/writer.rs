//! Parquet output: part files (codecs and encodings per column, see [`properties`]) under a
//! staging directory, hive-partitioned (`events/event_module=auth/…`,
//! `rejects/log_format=syslog/…`). Each input file owns its parts, so a duplicate discovered
//! after reading can be dropped whole; each part is written by one thread at a time from a small
//! pool, so encoding and compression run in parallel. Small parts are packed together before
//! commit ([`super::pack`]).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as PqCompression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::error::IngestError;
use crate::parse::Module;
use crate::schema::{self, EVENT_PARTITION, REJECT_PARTITION};

/// Rows per Parquet row group.
pub const ROW_GROUP_ROWS: usize = 256 * 1024;

/// zstd level of the part files: 1 by default; `LOGSLEUTH_ZSTD_LEVEL` overrides (negative
/// levels trade size for speed).
fn zstd_level() -> ZstdLevel {
    let level = std::env::var("LOGSLEUTH_ZSTD_LEVEL").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    ZstdLevel::try_new(level).unwrap_or_default()
}

/// Columns whose values are (nearly) unique per row or long free text: no dictionary. Interning
/// each of their values cost ~10 % of ingest CPU, the dictionary overflowed its page limit
/// anyway, and zstd alone packs them as well. The other columns (actions, hosts, users,
/// addresses, ports, user agents) repeat and keep dictionaries, which the analysis queries
/// read faster.
const NO_DICTIONARY_COLUMNS: &[&str] = &[
    "timestamp",
    "source_port",
    "process_command_line",
    "url_path",
    "url_query",
    "http_request_referrer",
    "http_response_body_bytes",
    "message",
    "event_extra",
    "log_line",
    "event_original",
    "event_original_raw",
];

/// Version of the part files' layout (codecs and encodings per column): raised when
/// [`properties`] changes how the same events are stored, so that a benchmark case built with
/// older settings is built again.
pub const LAYOUT_VERSION: u32 = 3;

/// Integer columns that grow by small steps from row to row (times, line numbers): delta
/// encoding packs them to a few bits a value, with no codec to undo on every read.
const DELTA_COLUMNS: &[&str] = &["timestamp", "log_line"];

/// Long free text, read by few queries: zstd. Every other column is Snappy (see [`properties`]).
const ZSTD_COLUMNS: &[&str] = &[
    "process_command_line",
    "http_request_referrer",
    "message",
    "event_extra",
    "event_original",
    "event_original_raw",
];

/// Writer settings of every part file (events and rejects). Public so that the ingest
/// benchmark can time the Parquet writer alone with exactly these settings.
pub fn properties() -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_compression(PqCompression::ZSTD(zstd_level()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::None)
        .set_created_by(format!("logsleuth {}", env!("CARGO_PKG_VERSION")));
    // Statistics (min/max) only where queries filter: times, hosts, actions, addresses, numbers.
    // On free text they cost a comparison per value and prune nothing.
    for col in [
        "host_name",
        "process_name",
        "event_action",
        "event_outcome",
        "user_name",
        "source_ip",
        "destination_ip",
        "source_port",
        "destination_port",
        "http_response_status_code",
        "log_file_path",
        "log_line",
        "process_pid",
    ] {
        b = b.set_column_statistics_enabled(ColumnPath::from(col), EnabledStatistics::Chunk);
    }
    for col in NO_DICTIONARY_COLUMNS {
        b = b.set_column_dictionary_enabled(ColumnPath::from(*col), false);
    }
    b = b.set_column_statistics_enabled(ColumnPath::from("timestamp"), EnabledStatistics::Page);
    // Codecs by how the columns are read: the analysis reads the same few columns once per rule
    // (timestamp, host, address, action, ...), so their decompression was paid twenty times per
    // `detect` (zstd was 11.5 % of its CPU). Times and line numbers are delta-encoded, which
    // packs them without a codec; the other columns the rules read are Snappy (decompressed
    // several times faster than zstd; LZ4_RAW was as fast and as small, but Spark reads it only
    // from 3.5 and many engines not at all); free text, read by few queries, stays zstd, which
    // packs it 10×.
    for c in schema::EVENT_COLUMNS.iter().filter(|c| !matches!(c.kind, schema::Kind::StrList)) {
        let path = || ColumnPath::from(c.name);
        b = if DELTA_COLUMNS.contains(&c.name) {
            b.set_column_encoding(path(), Encoding::DELTA_BINARY_PACKED)
                .set_column_compression(path(), PqCompression::UNCOMPRESSED)
        } else if ZSTD_COLUMNS.contains(&c.name) {
            b
        } else {
            b.set_column_compression(path(), PqCompression::SNAPPY)
        };
    }
    b.build()
}

/// Settings of the parts of small inputs, which are always packed before commit: no
/// compression and no dictionaries, so that writing and re-reading 2,000 of them costs no
/// codec set-up per column chunk (a zstd context per chunk was a third of such a run).
pub fn staging_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(PqCompression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// Inputs up to this size (stored bytes) are written as staging parts and packed.
pub const SMALL_INPUT_BYTES: u64 = 1 << 20;

/// How a file's parts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkMode {
    /// Final parts: zstd, dictionaries, statistics; large ones synced at close.
    Final,
    /// Staging parts on disk, packed before commit (see [`staging_properties`]).
    Staging,
    /// Staging parts held in memory: a small input's parts never become files of their own
    /// (creating and deleting thousands of files cost more than parsing them).
    Memory,
}

/// A part held in memory: its record batches as they were built, never encoded until they are
/// packed with the other small inputs' (encoding each small input into a Parquet part of its own
/// and decoding it again at packing cost more than parsing it).
pub type MemPart = std::sync::Arc<Vec<RecordBatch>>;

/// Where a part's rows go.
enum Out {
    File(Box<ArrowWriter<BufWriter<File>>>),
    Mem(Vec<RecordBatch>),
}

struct Part {
    out: Out,
    path: PathBuf,
}

/// A written part: its path relative to the staging root, its row count, whether it is a
/// staging part (always packed before commit), and its batches when it was kept in memory
/// (then no file exists at `rel`).
#[derive(Debug, Clone)]
pub struct WrittenPart {
    pub rel: PathBuf,
    pub rows: u64,
    pub staging: bool,
    pub mem: Option<MemPart>,
}

/// The Parquet parts of one input file.
pub struct FileSink {
    root: PathBuf,
    stem: String,
    reject_partition: String,
    seq: AtomicUsize,
    events: Vec<Mutex<Vec<Part>>>,
    rejects: Mutex<Vec<Part>>,
    written: Mutex<Vec<WrittenPart>>,
    mode: SinkMode,
}

impl FileSink {
    /// `stem` names the parts (`r0001-f000012`); `format` is the reject partition value.
    pub fn new(root: &Path, stem: String, format: &str, mode: SinkMode) -> Self {
        Self {
            root: root.to_path_buf(),
            stem,
            reject_partition: format.to_string(),
            seq: AtomicUsize::new(0),
            events: Module::ALL.iter().map(|_| Mutex::new(Vec::new())).collect(),
            rejects: Mutex::new(Vec::new()),
            written: Mutex::new(Vec::new()),
            mode,
        }
    }

    fn open(
        &self,
        dir: &str,
        partition: &str,
        value: &str,
        schema: arrow::datatypes::SchemaRef,
    ) -> Result<Part, IngestError> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let rel_dir = PathBuf::from(dir).join(format!("{partition}={value}"));
        let path = rel_dir.join(format!("{}-{seq:03}.parquet", self.stem));
        let abs = self.root.join(&path);
        if self.mode == SinkMode::Memory {
            return Ok(Part { out: Out::Mem(Vec::new()), path });
        }
        let dir = self.root.join(&rel_dir);
        std::fs::create_dir_all(&dir).map_err(|e| IngestError::write(&dir, e))?;
        let file = File::create(&abs).map_err(|e| IngestError::write(&abs, e))?;
        let props = if self.mode == SinkMode::Final { properties() } else { staging_properties() };
        let writer = ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), schema, Some(props))
            .map_err(|e| IngestError::Parquet { path: abs.clone(), source: e })?;
        Ok(Part { out: Out::File(Box::new(writer)), path })
    }

    fn write_to(
        &self,
        pool: &Mutex<Vec<Part>>,
        batch: &RecordBatch,
        open: impl FnOnce() -> Result<Part, IngestError>,
    ) -> Result<(), IngestError> {
        let taken = pool.lock().expect("pool lock").pop();
        let mut part = match taken {
            Some(p) => p,
            None => open()?,
        };
        let res = match &mut part.out {
            Out::File(w) => {
                w.write(batch).map_err(|e| IngestError::Parquet { path: self.root.join(&part.path), source: e })
            }
            Out::Mem(batches) => {
                batches.push(batch.clone());
                Ok(())
            }
        };
        pool.lock().expect("pool lock").push(part);
        res
    }

    pub fn write_events(&self, module: Module, batch: &RecordBatch) -> Result<(), IngestError> {
        let pool = &self.events[module as usize];
        self.write_to(pool, batch, || self.open("events", EVENT_PARTITION, module.as_str(), schema::event_schema()))
    }

    pub fn write_rejects(&self, batch: &RecordBatch) -> Result<(), IngestError> {
        self.write_to(&self.rejects, batch, || {
            self.open("rejects", REJECT_PARTITION, &self.reject_partition, schema::reject_schema())
        })
    }

    /// Closes every part (footer written; synced when it is large, since small parts are
    /// packed and synced by [`super::pack`]) and returns what was written.
    pub fn close(&self) -> Result<Vec<WrittenPart>, IngestError> {
        let mut parts: Vec<Part> = Vec::new();
        for pool in self.events.iter().chain(std::iter::once(&self.rejects)) {
            parts.append(&mut pool.lock().expect("pool lock"));
        }
        let mut written = self.written.lock().expect("written lock");
        for part in parts {
            let abs = self.root.join(&part.path);
            let pq = |e| IngestError::Parquet { path: abs.clone(), source: e };
            let staging = self.mode != SinkMode::Final;
            match part.out {
                Out::Mem(batches) => {
                    // Held until packing with every other small input's.
                    let rows = batches.iter().map(|b| b.num_rows() as u64).sum();
                    written.push(WrittenPart { rel: part.path, rows, staging, mem: Some(batches.into()) });
                }
                Out::File(writer) => {
                    let rows = writer.flushed_row_groups().iter().map(|g| g.num_rows() as u64).sum::<u64>()
                        + writer.in_progress_rows() as u64;
                    let buf = (*writer).into_inner().map_err(pq)?;
                    let file = buf.into_inner().map_err(|e| IngestError::write(&abs, e.into_error()))?;
                    if !staging && rows >= super::pack::SMALL_PART_ROWS {
                        file.sync_all().map_err(|e| IngestError::write(&abs, e))?;
                    }
                    written.push(WrittenPart { rel: part.path, rows, staging, mem: None });
                }
            }
        }
        written.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(written.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_dictionary_columns_exist_in_a_schema() {
        let known = |name: &str| schema::EVENT_COLUMNS.iter().chain(schema::REJECT_COLUMNS).any(|c| c.name == name);
        for col in NO_DICTIONARY_COLUMNS.iter().chain(DELTA_COLUMNS).chain(ZSTD_COLUMNS) {
            assert!(known(col), "{col} is no column of the events or rejects schema");
        }
    }

    #[test]
    fn codecs_follow_how_columns_are_read() {
        let p = properties();
        let path = |c: &str| ColumnPath::from(c);
        for c in DELTA_COLUMNS {
            assert_eq!(p.encoding(&path(c)), Some(Encoding::DELTA_BINARY_PACKED), "{c}");
            assert_eq!(p.compression(&path(c)), PqCompression::UNCOMPRESSED, "{c}");
            assert!(!p.dictionary_enabled(&path(c)), "{c}: a dictionary would take the place of the delta encoding");
        }
        for c in ZSTD_COLUMNS {
            assert!(matches!(p.compression(&path(c)), PqCompression::ZSTD(_)), "{c}");
        }
        for c in ["host_name", "source_ip", "event_action", "user_name", "url_path", "source_port", "log_file_path"] {
            assert_eq!(p.compression(&path(c)), PqCompression::SNAPPY, "{c}");
        }
        // The rejects' own text column keeps the default.
        assert!(matches!(p.compression(&path("reject_reason")), PqCompression::ZSTD(_)));
    }
}
