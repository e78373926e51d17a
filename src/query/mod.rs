//! The query layer: a case's Parquet dataset as polars `LazyFrame`s (scanned lazily, hive
//! partitions read from the folder names) and a SQL context with the tables `events`,
//! `rejects`, `inputs` (the manifest's input list) and `attempts` (the [`ledger`]). Everything above it — detectors,
//! timeline, reports, `logsleuth query` — reads the case through here.

pub mod cidr;
pub mod frame;
pub mod hourly;
pub mod ledger;
pub mod output;

use std::path::Path;

use polars::prelude::*;
use polars::sql::SQLContext;

use crate::error::AnalysisError;
use crate::schema::{self, Kind, EVENT_PARTITION, REJECT_PARTITION};
use crate::store::case::{parquet_files, Case};
use crate::store::files;
use crate::store::manifest::Manifest;

/// Collecting a lazy query on polars' streaming engine: it works through the Parquet row groups
/// in morsels instead of materializing every scanned column first, which on the 10 M-event bench
/// case halves the peak memory of the detection rules and speeds most of them up.
pub trait Run {
    fn run(self) -> PolarsResult<DataFrame>;
}

impl Run for LazyFrame {
    fn run(self) -> PolarsResult<DataFrame> {
        // LOGSLEUTH_ENGINE=in-memory selects polars' in-memory engine instead (for comparison).
        let engine = match std::env::var("LOGSLEUTH_ENGINE").as_deref() {
            Ok("in-memory") => Engine::InMemory,
            _ => Engine::Streaming,
        };
        // A query polars cannot run must be an error, not a crash: polars 0.55's streaming engine
        // panics on some plans (`SELECT COUNT(*)` over a `UNION ALL`: "not implemented for dtype
        // UInt128"), and a user's SQL reaches it through `query`.
        let collected = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.collect_with_engine(engine)))
            .map_err(|payload| {
                let what = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                PolarsError::ComputeError(format!("polars failed on this query (an internal panic: {what})").into())
            })?;
        match collected? {
            polars_core::query_result::QueryResult::Single(df) => Ok(df),
            polars_core::query_result::QueryResult::Multiple(mut dfs) => Ok(dfs.pop().unwrap_or_default()),
        }
    }
}

/// `expr IN (values)`, as polars spells it (the values as a one-column literal list).
pub fn one_of<T>(expr: Expr, values: impl IntoIterator<Item = T>) -> Expr
where
    Series: FromIterator<T>,
{
    expr.is_in(lit(values.into_iter().collect::<Series>()).implode(false), false)
}

/// Events from `from` (inclusive) to `to` (exclusive), both UTC microseconds.
pub fn during(from: i64, to: i64) -> Expr {
    let ts = col("timestamp").cast(DataType::Int64);
    ts.clone().gt_eq(lit(from)).and(ts.lt(lit(to)))
}

/// Every Parquet part of the case starts and ends with Parquet's magic bytes (`PAR1`): a part
/// cut short or overwritten is named, with what to do, before any query reads it.
fn check_parts(case: &Case) -> Result<(), AnalysisError> {
    use std::io::{Read, Seek, SeekFrom};
    for sub in ["events", "rejects"] {
        for rel in case.parts(sub) {
            let path = case.dir.join(&rel);
            let ok = (|| -> std::io::Result<bool> {
                let mut f = std::fs::File::open(&path)?;
                let (mut head, mut tail) = ([0u8; 4], [0u8; 4]);
                f.read_exact(&mut head)?;
                f.seek(SeekFrom::End(-4))?;
                f.read_exact(&mut tail)?;
                Ok(&head == b"PAR1" && &tail == b"PAR1")
            })()
            .unwrap_or(false);
            if !ok {
                return Err(AnalysisError::Case {
                    path,
                    msg: "this Parquet part of the case is damaged (no Parquet header or footer): `logsleuth verify --case DIR` lists what else changed; rebuild the case from the evidence with `ingest --force`".into(),
                });
            }
        }
    }
    Ok(())
}

/// An opened case.
pub struct CaseData {
    pub case: Case,
    pub manifest: Manifest,
    /// The attempt ledger, computed at its first use and shared by every rule that counts
    /// attempts (`detect` computes it before running its rules side by side).
    attempts: std::sync::Mutex<Option<LazyFrame>>,
}

fn polars_type(kind: Kind) -> DataType {
    match kind {
        Kind::Ts => DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)),
        Kind::I32 => DataType::Int32,
        Kind::I64 => DataType::Int64,
        Kind::Str => DataType::String,
        Kind::Bin => DataType::Binary,
        Kind::StrList => DataType::List(Box::new(DataType::String)),
    }
}

fn schema_of(columns: &[schema::Column], partition: &str) -> Schema {
    let mut s = Schema::default();
    for c in columns {
        s.with_column(c.name.into(), polars_type(c.kind));
    }
    s.with_column(partition.into(), DataType::String);
    s
}

/// The polars schema of the events table (partition column last).
pub fn events_schema() -> Schema {
    schema_of(schema::EVENT_COLUMNS, EVENT_PARTITION)
}

/// The Parquet files below `dir` (none when it does not exist).
fn scan_dir(dir: &Path, columns: &[schema::Column], partition: &str) -> Result<LazyFrame, AnalysisError> {
    if parquet_files(dir).next().is_none() {
        return Ok(DataFrame::empty_with_schema(&schema_of(columns, partition)).lazy());
    }
    let mut hive_schema = Schema::default();
    hive_schema.with_column(partition.into(), DataType::String);
    let args = ScanArgsParquet {
        hive_options: HiveOptions {
            enabled: Some(true),
            hive_start_idx: 0,
            schema: Some(Arc::new(hive_schema)),
            try_parse_dates: false,
        },
        ..Default::default()
    };
    let glob = format!("{}/**/*.parquet", dir.display());
    LazyFrame::scan_parquet(PlRefPath::new(glob.as_str()), args).map_err(AnalysisError::from)
}

impl CaseData {
    /// Opens a case for reading (finishing an interrupted commit first).
    pub fn open(dir: &Path) -> Result<CaseData, AnalysisError> {
        let case = Case::open_for_read(dir)
            .map_err(|e| AnalysisError::Case { path: dir.to_path_buf(), msg: e.to_string() })?;
        let manifest = Manifest::load(&case.manifest_path())
            .map_err(|e| AnalysisError::Case { path: dir.to_path_buf(), msg: e.to_string() })?
            .ok_or_else(|| AnalysisError::Case { path: dir.to_path_buf(), msg: "no manifest".into() })?;
        if manifest.schema_version != crate::schema::SCHEMA_VERSION && !manifest.inputs.is_empty() {
            return Err(AnalysisError::Case {
                path: dir.to_path_buf(),
                msg: format!(
                    "its events are of schema version {}; this logsleuth reads version {}: re-ingest the evidence (ingest --force)",
                    manifest.schema_version,
                    crate::schema::SCHEMA_VERSION
                ),
            });
        }
        check_parts(&case)?;
        Ok(CaseData { case, manifest, attempts: std::sync::Mutex::new(None) })
    }

    /// All events, lazily.
    pub fn events(&self) -> Result<LazyFrame, AnalysisError> {
        scan_dir(&self.case.events_dir(), schema::EVENT_COLUMNS, EVENT_PARTITION)
    }

    /// The events of the `event_module` partitions `modules`, handed to `f` in batches of at most
    /// `rows` rows with the given columns: one Parquet file slice at a time, files in name
    /// order, rows in file order. For reductions over a column too wide to hold for the whole
    /// case at once (messages), so memory stays bounded by the batch size.
    pub fn for_each_event_batch(
        &self,
        modules: &[&str],
        columns: &[&str],
        rows: usize,
        mut f: impl FnMut(&DataFrame) -> Result<(), AnalysisError>,
    ) -> Result<(), AnalysisError> {
        let rows = rows.max(1);
        for module in modules {
            let dir = self.case.events_dir().join(format!("{EVENT_PARTITION}={module}"));
            for file in parquet_files(&dir) {
                let args = ScanArgsParquet { hive_options: HiveOptions::new_disabled(), ..Default::default() };
                let scan = LazyFrame::scan_parquet(PlRefPath::new(file.to_string_lossy().as_ref()), args)?;
                let n = scan.clone().select([len().alias("n")]).collect()?;
                let n = n.column("n")?.cast(&DataType::UInt64)?.u64()?.get(0).unwrap_or(0) as usize;
                let select: Vec<Expr> = columns.iter().map(|c| col(*c)).collect();
                for offset in (0..n).step_by(rows) {
                    let batch = scan.clone().slice(offset as i64, rows as IdxSize).select(select.clone()).collect()?;
                    f(&batch)?;
                }
            }
        }
        Ok(())
    }

    /// The authentication attempt ledger ([`ledger`]): read from the case when an earlier
    /// command stored it for the case as it is now, else computed and stored there (derived data,
    /// like `findings.parquet`; kept in memory only when the case is read-only). Then shared.
    pub fn attempts(&self) -> Result<LazyFrame, AnalysisError> {
        let mut cached = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(lf) = cached.as_ref() {
            return Ok(lf.clone());
        }
        let path = self.case.dir.join(format!("attempts-{}.parquet", self.stamp(ledger::VERSION)));
        let scan = |p: &Path| LazyFrame::scan_parquet(PlRefPath::new(p.to_string_lossy().as_ref()), Default::default());
        let lf = match path.is_file().then(|| scan(&path)) {
            Some(Ok(lf)) => lf,
            _ => {
                // Computed batch by batch and streamed into the file, so memory stays bounded
                // by a batch whatever the case's size. The file is opened before any batch is
                // computed: a read-only case computes each batch once, in memory.
                let events = self.events()?;
                let batches = ledger::batches(&events, ledger::BATCH_LINES)?;
                let batch = |filter: &Expr| ledger::attempts(events.clone().filter(filter.clone()));
                let stored = files::write_atomic(&path, |tmp| {
                    let mut file = Some(files::create(tmp)?);
                    let mut writer = None;
                    for filter in &batches {
                        let mut df = batch(filter)?;
                        // Aligned chunks of Parquet row-group size, as ParquetWriter::finish cuts them.
                        let df = polars_core::frame::chunk_df_for_writing(&mut df, 512 * 512)?;
                        let w = match writer.as_mut() {
                            Some(w) => w,
                            None => writer.insert(
                                // Snappy: ten rules read the ledger whole; zstd's decompression
                                // cost each of them more than the file's size saves.
                                ParquetWriter::new(file.take().expect("opened above"))
                                    .with_compression(ParquetCompression::Snappy)
                                    .batched(df.schema())?,
                            ),
                        };
                        w.write_batch(&df)?;
                    }
                    writer.expect("batches() gives at least one").finish()?;
                    Ok(())
                });
                match stored.and_then(|_| scan(&path).map_err(AnalysisError::from)) {
                    Ok(lf) => {
                        self.remove_stale("attempts", &path);
                        lf
                    }
                    // A read-only case: the ledger is kept in memory for this command.
                    Err(_) => {
                        let frames =
                            batches.iter().map(|f| batch(f).map(DataFrame::lazy)).collect::<PolarsResult<Vec<_>>>()?;
                        concat(frames, UnionArgs::default())?
                    }
                }
            }
        };
        *cached = Some(lf.clone());
        Ok(lf)
    }

    /// What a table derived from the events (the attempt ledger, [`Self::derived_table`]) must
    /// match to be reused: the version of its definition, the events' schema and the case's
    /// contents (the manifest changes with every ingest run, merge and compaction).
    fn stamp(&self, version: u32) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(version.to_le_bytes());
        h.update(crate::schema::SCHEMA_VERSION.to_le_bytes());
        h.update(self.manifest.finished_at.as_bytes());
        h.update((self.manifest.runs.len() as u64).to_le_bytes());
        h.update((self.manifest.inputs.len() as u64).to_le_bytes());
        hex::encode(&h.finalize()[..8])
    }

    /// Removes the `NAME-STAMP.parquet` files stored for earlier states of the case.
    fn remove_stale(&self, name: &str, keep: &Path) {
        let Ok(dir) = std::fs::read_dir(&self.case.dir) else { return };
        let prefix = format!("{name}-");
        for e in dir.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            if file.starts_with(&prefix) && file.ends_with(".parquet") && e.path() != keep {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// A small table derived from the events by `compute` (one pass over much of the case whose
    /// result does not depend on any rule's parameters): read back from `CASE/NAME-STAMP.parquet`
    /// when an earlier command stored it for the case as it is now ([`Self::stamp`] of
    /// `version`), else computed and stored there, like the attempt ledger. A case that cannot be
    /// written is only read: the table is then computed for this command alone.
    pub fn derived_table(
        &self,
        name: &str,
        version: u32,
        compute: impl FnOnce() -> Result<DataFrame, AnalysisError>,
    ) -> Result<DataFrame, AnalysisError> {
        let path = self.case.dir.join(format!("{name}-{}.parquet", self.stamp(version)));
        let read = |p: &Path| -> Result<DataFrame, AnalysisError> {
            Ok(ParquetReader::new(
                std::fs::File::open(p)
                    .map_err(|e| AnalysisError::Case { path: p.to_path_buf(), msg: e.to_string() })?,
            )
            .finish()?)
        };
        if path.is_file() {
            // A file that no longer reads (cut short by a full disk) is computed again.
            if let Ok(df) = read(&path) {
                return Ok(df);
            }
        }
        let mut df = compute()?;
        let stored = files::write_atomic(&path, |tmp| {
            ParquetWriter::new(files::create(tmp)?).finish(&mut df)?;
            Ok(())
        });
        if stored.is_ok() {
            self.remove_stale(name, &path);
        }
        Ok(df)
    }

    /// All rejects, lazily.
    pub fn rejects(&self) -> Result<LazyFrame, AnalysisError> {
        scan_dir(&self.case.rejects_dir(), schema::REJECT_COLUMNS, REJECT_PARTITION)
    }

    /// The manifest's inputs as a table.
    pub fn inputs(&self) -> Result<DataFrame, AnalysisError> {
        let m = &self.manifest.inputs;
        let s = |f: &dyn Fn(&crate::store::manifest::InputRecord) -> Option<String>| -> Vec<Option<String>> {
            m.iter().map(f).collect()
        };
        let u = |f: &dyn Fn(&crate::store::manifest::InputRecord) -> u64| -> Vec<i64> {
            m.iter().map(|r| f(r) as i64).collect()
        };
        let df = DataFrame::new_infer_height(vec![
            Column::new("path".into(), s(&|r| Some(r.path.clone()))),
            Column::new("host_name".into(), s(&|r| r.host_name.clone())),
            Column::new("size".into(), u(&|r| r.size)),
            Column::new("mtime".into(), s(&|r| Some(r.mtime.clone()))),
            Column::new("sha256".into(), s(&|r| r.sha256.clone())),
            Column::new("content_sha256".into(), s(&|r| r.content_sha256.clone())),
            Column::new("compression".into(), s(&|r| r.compression.clone())),
            Column::new("format".into(), s(&|r| r.format.clone())),
            Column::new("rotation_set".into(), s(&|r| r.rotation_set.clone())),
            Column::new("rotation_index".into(), m.iter().map(|r| r.rotation_index.map(i64::from)).collect::<Vec<_>>()),
            Column::new("lines".into(), u(&|r| r.lines)),
            Column::new("events".into(), u(&|r| r.events)),
            Column::new("rejects".into(), u(&|r| r.rejects)),
            Column::new("first_timestamp".into(), s(&|r| r.first_timestamp.clone())),
            Column::new("last_timestamp".into(), s(&|r| r.last_timestamp.clone())),
            Column::new("damaged".into(), m.iter().map(|r| r.damaged).collect::<Vec<_>>()),
            Column::new("error".into(), s(&|r| r.error.clone())),
            Column::new("duplicate_of".into(), s(&|r| r.duplicate_of.clone())),
            Column::new("skipped".into(), s(&|r| r.skipped.clone())),
            Column::new("run".into(), m.iter().map(|r| r.run as i64).collect::<Vec<_>>()),
            Column::new("year_source".into(), s(&|r| r.year_source.clone())),
            Column::new("host_source".into(), s(&|r| r.host_source.clone())),
            Column::new("first_line".into(), u(&|r| r.first_line)),
        ])?;
        Ok(df)
    }

    /// A SQL context with `events`, `rejects`, `inputs` and, when `with_attempts`, the attempt
    /// ledger `attempts` registered (the ledger is computed at its first use, so a statement that
    /// does not name it does not pay for it).
    pub fn sql_context(&self, with_attempts: bool) -> Result<SQLContext, AnalysisError> {
        let ctx = SQLContext::new();
        ctx.register("events", self.events()?);
        ctx.register("rejects", self.rejects()?);
        ctx.register("inputs", self.inputs()?.lazy());
        if with_attempts {
            ctx.register("attempts", self.attempts()?);
        }
        if let Some(c) = files::scan_derived(&self.case.dir, files::CORRELATIONS) {
            ctx.register("correlations", c);
        }
        if let Some(f) = files::scan_derived(&self.case.dir, files::FINDINGS_PARQUET) {
            ctx.register("findings", f);
        }
        Ok(ctx)
    }

    /// Runs one SQL statement and collects the result.
    pub fn sql(&self, name: &str, query: &str) -> Result<DataFrame, AnalysisError> {
        self.sql_lazy(name, query, Vec::new())?
            .run()
            .map_err(|e| AnalysisError::Query { name: name.to_string(), source: e })
    }

    /// A SQL statement over the case with `extra` tables registered beside the case's (replacing
    /// any of the same name), not collected: what is applied to the frame (a filter) may reach
    /// the scans beneath.
    pub fn sql_lazy(&self, name: &str, query: &str, extra: Vec<(&str, LazyFrame)>) -> Result<LazyFrame, AnalysisError> {
        let mut ctx = self.sql_context(query.to_ascii_lowercase().contains("attempts"))?;
        for (table, frame) in extra {
            ctx.register(table, frame);
        }
        ctx.execute(query).map_err(|e| AnalysisError::Query { name: name.to_string(), source: e })
    }
}
