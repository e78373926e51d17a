//! Where a timeline goes: an aligned terminal table (control characters neutralised), CSV safe
//! to open in a spreadsheet, JSON lines, Parquet, or the CSV that Timesketch imports (`message`,
//! `datetime`, `timestamp_desc` plus attributes).

use std::io::Write;

use polars::prelude::*;

use crate::error::AnalysisError;
use crate::query::frame;
use crate::query::output;
use crate::sanitize;

pub trait Sink {
    fn begin(&mut self) -> Result<(), AnalysisError>;
    fn batch(&mut self, df: &DataFrame) -> Result<(), AnalysisError>;
    fn end(&mut self) -> Result<(), AnalysisError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Jsonl,
    Parquet,
    Timesketch,
}

impl Format {
    /// The formats a file name's extension stands for (`.csv`: CSV or Timesketch's CSV;
    /// `.jsonl`/`.ndjson`/`.json`: JSON lines; `.parquet`; `.txt`: the table), the first being
    /// the one inferred when `--format` is not given; empty for other extensions.
    pub fn for_extension(path: &std::path::Path) -> &'static [Format] {
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "csv" => &[Format::Csv, Format::Timesketch],
            "jsonl" | "ndjson" | "json" => &[Format::Jsonl],
            "parquet" => &[Format::Parquet],
            "txt" | "text" => &[Format::Table],
            _ => &[],
        }
    }
}

fn io(e: std::io::Error) -> AnalysisError {
    AnalysisError::Write { path: "<timeline output>".into(), source: e }
}

/// Terminal table: time, host, source, description, provenance; cut to the terminal width.
pub struct Table<W: Write> {
    pub out: W,
    pub width: usize,
}

impl<W: Write> Sink for Table<W> {
    fn begin(&mut self) -> Result<(), AnalysisError> {
        writeln!(self.out, "{:<27} {:<10} {:<16} event  [file:line]", "time (UTC)", "host", "source ip").map_err(io)
    }
    fn batch(&mut self, df: &DataFrame) -> Result<(), AnalysisError> {
        let ts = frame::strs(df, "timestamp")?;
        let ts = df
            .column("timestamp")
            .map(|c| (0..df.height()).map(|i| c.get(i).ok().and_then(|v| output::cell(&v))).collect::<Vec<_>>())
            .unwrap_or(ts);
        let host = frame::strs(df, "host_name")?;
        let src = frame::strs(df, "source_ip")?;
        let desc = frame::strs(df, "description")?;
        let file = frame::strs(df, "log_file_path")?;
        let line = frame::ints(df, "log_line")?;
        for i in 0..df.height() {
            let clean = |s: &Option<String>| sanitize::terminal(s.as_deref().unwrap_or("-")).into_owned();
            let prov = format!("[{}:{}]", clean(&file[i]), line[i].unwrap_or(0));
            let head = format!("{:<27} {:<10} {:<16} ", clean(&ts[i]), clean(&host[i]), clean(&src[i]));
            let room = self.width.saturating_sub(head.chars().count() + prov.chars().count() + 2).max(20);
            let mut d = clean(&desc[i]);
            if d.chars().count() > room {
                d = d.chars().take(room - 1).collect::<String>() + "…";
            }
            writeln!(self.out, "{head}{d}  {prov}").map_err(io)?;
        }
        Ok(())
    }
    fn end(&mut self) -> Result<(), AnalysisError> {
        self.out.flush().map_err(io)
    }
}

/// CSV (spreadsheet-safe) or JSON lines of all timeline columns.
pub struct Rows<W: Write> {
    pub out: W,
    pub json: bool,
    pub header_done: bool,
}

impl<W: Write> Sink for Rows<W> {
    fn begin(&mut self) -> Result<(), AnalysisError> {
        Ok(())
    }
    fn batch(&mut self, df: &DataFrame) -> Result<(), AnalysisError> {
        if self.json {
            return output::write_jsonl(df, &mut self.out).map_err(io);
        }
        let mut buf = Vec::new();
        output::write_csv(df, &mut buf).map_err(io)?;
        let text = if self.header_done { buf.splitn(2, |&b| b == b'\n').nth(1).unwrap_or(&[]).to_vec() } else { buf };
        self.header_done = true;
        self.out.write_all(&text).map_err(io)
    }
    fn end(&mut self) -> Result<(), AnalysisError> {
        self.out.flush().map_err(io)
    }
}

/// Timesketch's CSV import: `message`, `datetime` (ISO 8601), `timestamp_desc`, `timestamp`
/// (µs) and attributes; cells spreadsheet-safe.
pub struct Timesketch<W: Write> {
    pub out: csv::Writer<W>,
}

impl<W: Write> Sink for Timesketch<W> {
    fn begin(&mut self) -> Result<(), AnalysisError> {
        self.out
            .write_record([
                "message",
                "datetime",
                "timestamp_desc",
                "timestamp",
                "hostname",
                "source_ip",
                "user",
                "event_action",
                "event_module",
                "source_file",
                "source_line",
            ])
            .map_err(|e| io(e.into()))
    }
    fn batch(&mut self, df: &DataFrame) -> Result<(), AnalysisError> {
        let micros = frame::ints(df, "timestamp")?;
        let cols: Vec<Vec<Option<String>>> =
            ["description", "host_name", "source_ip", "user_name", "event_action", "event_module", "log_file_path"]
                .iter()
                .map(|c| frame::strs(df, c))
                .collect::<Result<_, _>>()?;
        let line = frame::ints(df, "log_line")?;
        for i in 0..df.height() {
            let t = micros[i].unwrap_or(0);
            let cell = |k: usize| sanitize::spreadsheet_cell(cols[k][i].as_deref().unwrap_or("")).into_owned();
            self.out
                .write_record([
                    cell(0),
                    crate::parse::time::format_rfc3339(t),
                    "Event Recorded".to_string(),
                    t.to_string(),
                    cell(1),
                    cell(2),
                    cell(3),
                    cell(4),
                    cell(5),
                    cell(6),
                    line[i].unwrap_or(0).to_string(),
                ])
                .map_err(|e| io(e.into()))?;
        }
        Ok(())
    }
    fn end(&mut self) -> Result<(), AnalysisError> {
        self.out.flush().map_err(io)
    }
}

/// Parquet, written batch by batch.
pub struct Parquet {
    pub path: std::path::PathBuf,
    pub writer: Option<polars::io::parquet::write::BatchedWriter<std::fs::File>>,
}

impl Sink for Parquet {
    fn begin(&mut self) -> Result<(), AnalysisError> {
        Ok(())
    }
    fn batch(&mut self, df: &DataFrame) -> Result<(), AnalysisError> {
        if self.writer.is_none() {
            let file = std::fs::File::create(&self.path)
                .map_err(|e| AnalysisError::Write { path: self.path.clone(), source: e })?;
            self.writer =
                Some(ParquetWriter::new(file).with_compression(ParquetCompression::Zstd(None)).batched(df.schema())?);
        }
        // The streaming engine may hand back columns cut into differently sized chunks; the
        // batched writer needs them aligned (it panics otherwise).
        let mut df = df.clone();
        df.align_chunks_par();
        self.writer.as_mut().expect("writer just created").write_batch(&df)?;
        Ok(())
    }
    fn end(&mut self) -> Result<(), AnalysisError> {
        if let Some(w) = self.writer.take() {
            w.finish()?;
        } else {
            // No rows: still leave a valid (empty) file.
            let file = std::fs::File::create(&self.path)
                .map_err(|e| AnalysisError::Write { path: self.path.clone(), source: e })?;
            let mut df = DataFrame::empty();
            ParquetWriter::new(file).finish(&mut df)?;
        }
        Ok(())
    }
}
