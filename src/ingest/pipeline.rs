//! The parallel read → parse → write pipeline.
//!
//! Producer threads (one per file at a time) read and decompress, hash the stored and the
//! decompressed bytes, and cut the stream into newline-aligned blocks with their first line
//! number. A rayon pool parses blocks in parallel — blocks of one large file as well as blocks
//! of different files — and writes Arrow batches to the file's Parquet parts. A bounded
//! channel between the two keeps memory flat whatever the input size.
//!
//! Every line becomes an event or a reject; a decompression error ends the file but keeps the
//! complete lines before it (the last partial line is a reject) and marks the file damaged.

use std::borrow::Cow;
use std::io::Read;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::decode::{self, Compression};
use crate::error::IngestError;
use crate::parse::{Event, FileCtx, LineParser, Module};
use crate::schema::{EventBuilder, RejectBuilder};
use crate::store::writer::{FileSink, WrittenPart};

/// Bytes per block handed to the parsers.
pub const BLOCK_BYTES: usize = 4 << 20;
/// Longest line kept whole; a longer one is cut here and rejected with that reason.
pub const MAX_LINE_BYTES: usize = 64 << 20;
/// Rows per Arrow batch.
const BATCH_ROWS: usize = 64 * 1024;

pub const REASON_UNKNOWN_FORMAT: &str = "no parser recognised this file's format (see --format)";
pub const REASON_BLANK: &str = "blank line";
pub const REASON_OVERSIZE: &str = "line longer than 64 MiB: only its first 64 MiB are kept";
pub const REASON_DAMAGED_TAIL: &str = "incomplete last line before the archive damage";
pub const REASON_INVALID_UTF8_RECORD: &str = "record with invalid UTF-8 (auditd writes ASCII; kept byte-exact)";
/// Block size for grouped formats (auditd): larger than auditd's default 8 MiB file, so a
/// rotated audit log is one block and no event is cut in two.
pub const GROUPED_BLOCK_BYTES: usize = 32 << 20;

/// What to read and how to parse it.
pub struct FileJob {
    pub idx: usize,
    pub source: super::decode::Source,
    pub compression: Compression,
    pub ctx: FileCtx,
    pub parser: Option<Box<dyn LineParser>>,
    pub reject_reason: &'static str,
    /// The decoder the file needs before it has lines (journal files and export streams).
    pub transcode: Option<crate::parse::Transcode>,
    pub sink: FileSink,
    pub size: u64,
    /// Incremental tail read of a grown plain file: start here, with the hash of the skipped
    /// prefix already in `prefix_hash`, numbering lines from `start_line`.
    pub start_offset: u64,
    pub start_line: u64,
    pub prefix_hash: Option<Sha256>,
}

/// What reading one file produced.
#[derive(Debug, Clone, Default)]
pub struct FileResult {
    pub lines: u64,
    pub events: u64,
    pub rejects: u64,
    /// Lines folded into the event before them (a multi-line record's continuation lines):
    /// `lines = events + continued + rejects`.
    pub continued: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub sha256: String,
    pub content_sha256: String,
    /// Decompressed bytes of the whole file (including a skipped prefix).
    pub content_size: u64,
    pub error: Option<String>,
    /// The file could not even be opened: nothing was read.
    pub unreadable: bool,
    pub parts: Vec<WrittenPart>,
    pub events_by_module: [u64; Module::COUNT],
    /// What a journal file's header said and its reading found.
    pub journal: Option<super::journal::JournalInfo>,
}

struct Block {
    file: usize,
    first_line: u64,
    /// Lines in `data`.
    lines: u64,
    data: Vec<u8>,
    /// The block is one line cut at [`MAX_LINE_BYTES`].
    oversize: bool,
    /// The block's last line was cut short by archive damage.
    damaged_tail: bool,
}

#[derive(Default)]
struct Tally {
    events: AtomicU64,
    rejects: AtomicU64,
    /// Lines folded into the record before them (multi-line records).
    continued: AtomicU64,
    by_module: [AtomicU64; Module::COUNT],
    min_ts: Mutex<Option<i64>>,
    max_ts: Mutex<Option<i64>>,
    error: Mutex<Option<String>>,
}

struct FileState {
    pending: AtomicUsize,
    tally: Tally,
    produced: Mutex<Option<FileResult>>,
}

/// Runs the pipeline over all jobs; results come back in job order.
pub fn run(jobs: &[FileJob], threads: usize, progress: &(dyn Fn(u64) + Sync)) -> Vec<FileResult> {
    let states: Vec<FileState> = jobs
        .iter()
        .map(|_| FileState { pending: AtomicUsize::new(1), tally: Tally::default(), produced: Mutex::new(None) })
        .collect();
    let results: Vec<Mutex<Option<FileResult>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(jobs[i].size));
    let next = AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads.max(1)).build().expect("rayon pool");
    let producers = threads.max(1).min(jobs.len().max(1));

    let finish = |i: usize| {
        let st = &states[i];
        let mut res = st.produced.lock().expect("produced lock").take().unwrap_or_default();
        res.events = st.tally.events.load(Ordering::Relaxed);
        res.rejects = st.tally.rejects.load(Ordering::Relaxed);
        res.continued = st.tally.continued.load(Ordering::Relaxed);
        for (m, c) in st.tally.by_module.iter().enumerate() {
            res.events_by_module[m] = c.load(Ordering::Relaxed);
        }
        res.first_ts = *st.tally.min_ts.lock().expect("ts lock");
        res.last_ts = *st.tally.max_ts.lock().expect("ts lock");
        match jobs[i].sink.close() {
            Ok(parts) => res.parts = parts,
            Err(e) => res.error = Some(e.to_string()),
        }
        if let Some(e) = st.tally.error.lock().expect("error lock").take() {
            res.error = Some(e);
        }
        *results[i].lock().expect("result lock") = Some(res);
    };
    let release = |i: usize| {
        if states[i].pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            finish(i);
        }
    };

    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<Block>(threads.max(1) * 2);
        for _ in 0..producers {
            let tx = tx.clone();
            let (order, next, states, release) = (&order, &next, &states, &release);
            s.spawn(move || loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = order.get(k) else { break };
                let produced = produce(&jobs[i], &states[i], &tx, progress);
                *states[i].produced.lock().expect("produced lock") = Some(produced);
                release(i);
            });
        }
        drop(tx);
        pool.install(|| {
            rx.into_iter().par_bridge().for_each(|block| {
                let i = block.file;
                if let Err(e) = parse_block(&jobs[i], &states[i].tally, block) {
                    states[i].tally.error.lock().expect("error lock").get_or_insert(e.to_string());
                }
                release(i);
            })
        });
    });
    results.into_iter().map(|r| r.into_inner().expect("result lock").unwrap_or_default()).collect()
}

/// Reads one file into blocks. Returns the read-side results (hashes, lines, damage).
fn produce(job: &FileJob, state: &FileState, tx: &SyncSender<Block>, progress: &(dyn Fn(u64) + Sync)) -> FileResult {
    if let Some(t) = job.transcode {
        return produce_transcoded(job, t, state, tx, progress);
    }
    let mut res = FileResult::default();
    let (mut reader, stored) = match decode::open_decoded_at(&job.source, job.compression, job.start_offset) {
        Ok(r) => r,
        Err(e) => {
            res.error = Some(format!("cannot open: {e}"));
            res.unreadable = true;
            return res;
        }
    };
    let plain = job.compression == Compression::None;
    let mut content = job.prefix_hash.clone().unwrap_or_default();
    let mut line: u64 = job.start_line.max(1);
    let block_bytes =
        if job.parser.as_deref().is_some_and(|p| p.grouped()) { GROUPED_BLOCK_BYTES } else { BLOCK_BYTES };
    // A plain file's first block is no larger than the file (plus a byte to see its end): a 2 KB
    // log does not get a 4 MiB zero-filled buffer, and the blocks are the same as before (a
    // file under a block is one block). A compressed file's size says nothing of its text.
    let expected = if plain { job.size.saturating_sub(job.start_offset) } else { u64::MAX };
    let mut target = block_bytes.min(usize::try_from(expected).unwrap_or(usize::MAX).saturating_add(1));
    let mut buf: Vec<u8> = Vec::with_capacity(target + (1 << 16));
    let mut skipping_oversize = false;
    let mut last_stored = 0u64;
    let mut decoded = job.start_offset;
    let send = |block: Block| {
        state.pending.fetch_add(1, Ordering::AcqRel);
        // The receiver lives until all producers are done, so send only fails if the pool
        // panicked; then the block is simply dropped with the run.
        if tx.send(block).is_err() {
            state.pending.fetch_sub(1, Ordering::AcqRel);
        }
    };
    loop {
        let start = buf.len();
        buf.resize(target.max(start + 1), 0);
        let mut filled = start;
        let mut eof = false;
        let mut damage: Option<std::io::Error> = None;
        while filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    damage = Some(e);
                    break;
                }
            }
        }
        buf.truncate(filled);
        decoded += (filled - start) as u64;
        content.update(&buf[start..]);
        let now = stored.bytes();
        progress(now - last_stored);
        last_stored = now;

        if skipping_oversize {
            match memchr::memchr(b'\n', &buf) {
                Some(i) => {
                    buf.drain(..=i);
                    skipping_oversize = false;
                }
                None => buf.clear(),
            }
        }
        if eof || damage.is_some() {
            if let Some(e) = &damage {
                res.error =
                    Some(format!("{} data ends after {decoded} decompressed bytes: {e}", job.compression.as_str()));
            }
            if !buf.is_empty() {
                let n = count_lines(&buf);
                let damaged_tail = damage.is_some() && buf.last() != Some(&b'\n');
                send(Block {
                    file: job.idx,
                    first_line: line,
                    lines: n,
                    data: std::mem::take(&mut buf),
                    oversize: false,
                    damaged_tail,
                });
                line += n;
            }
            break;
        }
        match memchr::memrchr(b'\n', &buf) {
            Some(i) => {
                // The partial last line starts the next block (copied once).
                let mut next = Vec::with_capacity(block_bytes + (1 << 16));
                next.extend_from_slice(&buf[i + 1..]);
                buf.truncate(i + 1);
                let n = count_lines(&buf);
                let rest_len = next.len();
                send(Block {
                    file: job.idx,
                    first_line: line,
                    lines: n,
                    data: std::mem::replace(&mut buf, next),
                    oversize: false,
                    damaged_tail: false,
                });
                line += n;
                target = block_bytes.max(rest_len + block_bytes / 2);
            }
            None if buf.len() >= MAX_LINE_BYTES => {
                buf.truncate(MAX_LINE_BYTES);
                send(Block {
                    file: job.idx,
                    first_line: line,
                    lines: 1,
                    data: std::mem::take(&mut buf),
                    oversize: true,
                    damaged_tail: false,
                });
                line += 1;
                skipping_oversize = true;
                target = block_bytes;
            }
            None => target = (buf.len() * 2).min(MAX_LINE_BYTES),
        }
    }
    res.lines = line - job.start_line.max(1);
    res.content_size = decoded;
    res.content_sha256 = hex::encode(content.finalize());
    res.sha256 = if plain { res.content_sha256.clone() } else { stored.hex() };
    res
}

/// Reads a file that must be decoded before it has lines (a journal file, an export stream):
/// the whole file is read (journald rotates files at a fraction of the memory this takes), each
/// entry becomes one `journalctl -o json` line, and those lines go to the parsers in blocks.
/// `lines` counts entries; an incremental run skips the entries an earlier run read (a journal
/// only grows at its end).
fn produce_transcoded(
    job: &FileJob,
    t: crate::parse::Transcode,
    state: &FileState,
    tx: &SyncSender<Block>,
    progress: &(dyn Fn(u64) + Sync),
) -> FileResult {
    let mut res = FileResult::default();
    let (mut reader, stored) = match decode::open_decoded(&job.source, job.compression) {
        Ok(r) => r,
        Err(e) => {
            res.error = Some(format!("cannot open: {e}"));
            res.unreadable = true;
            return res;
        }
    };
    let mut bytes = Vec::with_capacity(job.size as usize);
    if let Err(e) = reader.read_to_end(&mut bytes) {
        res.error =
            Some(format!("{} data ends after {} decompressed bytes: {e}", job.compression.as_str(), bytes.len()));
    }
    progress(stored.bytes());
    res.content_size = bytes.len() as u64;
    res.content_sha256 = hex::encode(Sha256::digest(&bytes));
    res.sha256 = if job.compression == Compression::None { res.content_sha256.clone() } else { stored.hex() };
    // Entries go to the parsers in blocks as they are decoded; an incremental run skips the
    // entries an earlier run read.
    let skip = job.start_line.max(1) - 1;
    let mut seen = 0u64;
    let mut line = job.start_line.max(1);
    let mut buf: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + (1 << 16));
    let mut n = 0u64;
    let send = |data: Vec<u8>, n: u64, line: &mut u64| {
        state.pending.fetch_add(1, Ordering::AcqRel);
        let block = Block { file: job.idx, first_line: *line, lines: n, data, oversize: false, damaged_tail: false };
        if tx.send(block).is_err() {
            state.pending.fetch_sub(1, Ordering::AcqRel);
        }
        *line += n;
    };
    let mut sink = |entry: &[u8]| {
        seen += 1;
        if seen <= skip {
            return;
        }
        buf.extend_from_slice(entry);
        buf.push(b'\n');
        n += 1;
        if buf.len() >= BLOCK_BYTES {
            let full = std::mem::replace(&mut buf, Vec::with_capacity(BLOCK_BYTES + (1 << 16)));
            send(full, std::mem::take(&mut n), &mut line);
        }
    };
    let decoded = match t {
        crate::parse::Transcode::JournalFile => super::journal::decode_into(&bytes, &mut sink),
        crate::parse::Transcode::JournalExport => super::journal::export::decode_into(&bytes, &mut sink),
    };
    drop(bytes);
    if !buf.is_empty() {
        send(std::mem::take(&mut buf), n, &mut line);
    }
    if let Some(d) = decoded.damage {
        res.error = Some(match res.error.take() {
            Some(e) => format!("{e}; {d}"),
            None => d,
        });
    }
    if t == crate::parse::Transcode::JournalFile {
        res.journal = Some(decoded.info);
    }
    res.lines = line - job.start_line.max(1);
    res
}

/// Lines in a block: newlines, plus one for a final line without a newline.
fn count_lines(b: &[u8]) -> u64 {
    let n = memchr::memchr_iter(b'\n', b).count() as u64;
    n + u64::from(!b.is_empty() && b.last() != Some(&b'\n'))
}

/// What one block produced: batches per module, rejects, counts and its time range.
struct BlockOut<'j> {
    job: &'j FileJob,
    builders: Vec<Option<EventBuilder>>,
    rejects: RejectBuilder,
    min_ts: i64,
    max_ts: i64,
    n_events: u64,
    n_rejects: u64,
    n_continued: u64,
    by_module: [u64; Module::COUNT],
    rows_hint: usize,
    bytes_hint: usize,
}

impl<'j> BlockOut<'j> {
    fn new(job: &'j FileJob, block: &Block) -> Self {
        let rows_hint = (block.lines as usize).clamp(1, BATCH_ROWS);
        let bytes_hint = block.data.len().min(2 * BLOCK_BYTES) / (block.lines as usize).max(1) * rows_hint;
        BlockOut {
            job,
            builders: Module::ALL.iter().map(|_| None).collect(),
            rejects: RejectBuilder::default(),
            min_ts: i64::MAX,
            max_ts: i64::MIN,
            n_events: 0,
            n_rejects: 0,
            n_continued: 0,
            by_module: [0; Module::COUNT],
            rows_hint,
            bytes_hint,
        }
    }

    fn event(&mut self, ev: &Event<'_>, module: Module) -> Result<(), IngestError> {
        self.min_ts = self.min_ts.min(ev.timestamp);
        self.max_ts = self.max_ts.max(ev.timestamp);
        let (rows, bytes) = (self.rows_hint, self.bytes_hint);
        let b = self.builders[module as usize].get_or_insert_with(|| EventBuilder::with_capacity(rows, bytes));
        b.push(ev);
        self.n_events += 1;
        self.by_module[module as usize] += 1;
        if b.len() >= BATCH_ROWS {
            self.job.sink.write_events(module, &b.finish())?;
        }
        Ok(())
    }

    fn reject(&mut self, line: u64, reason: &str, text: &str, invalid: Option<&[u8]>) -> Result<(), IngestError> {
        self.rejects.push(&self.job.ctx.rel_path, line as i64, reason, text, invalid);
        self.n_rejects += 1;
        if self.rejects.len() >= BATCH_ROWS {
            self.job.sink.write_rejects(&self.rejects.finish())?;
        }
        Ok(())
    }

    /// Writes what is left and adds the block's counts to its file's tally.
    fn finish(mut self, tally: &Tally) -> Result<(), IngestError> {
        for (m, b) in self.builders.iter_mut().enumerate() {
            if let Some(b) = b.as_mut().filter(|b| !b.is_empty()) {
                self.job.sink.write_events(Module::ALL[m], &b.finish())?;
            }
        }
        if !self.rejects.is_empty() {
            self.job.sink.write_rejects(&self.rejects.finish())?;
        }
        tally.events.fetch_add(self.n_events, Ordering::Relaxed);
        tally.rejects.fetch_add(self.n_rejects, Ordering::Relaxed);
        tally.continued.fetch_add(self.n_continued, Ordering::Relaxed);
        for (m, c) in self.by_module.iter().enumerate() {
            tally.by_module[m].fetch_add(*c, Ordering::Relaxed);
        }
        if self.n_events > 0 {
            let mut lo = tally.min_ts.lock().expect("ts lock");
            *lo = Some(lo.map_or(self.min_ts, |v| v.min(self.min_ts)));
            let mut hi = tally.max_ts.lock().expect("ts lock");
            *hi = Some(hi.map_or(self.max_ts, |v| v.max(self.max_ts)));
        }
        Ok(())
    }
}

/// Appends a continuation line to a text field of a multi-line record.
fn append_line(field: &mut Option<Cow<'_, str>>, line: &str) {
    let text = field.get_or_insert(Cow::Borrowed(""));
    let owned = text.to_mut();
    owned.push('\n');
    owned.push_str(line);
}

fn parse_block(job: &FileJob, tally: &Tally, block: Block) -> Result<(), IngestError> {
    if job.parser.as_deref().is_some_and(|p| p.grouped()) {
        return parse_grouped_block(job, tally, block);
    }
    let mut out = BlockOut::new(job, &block);
    // The previous event's time, for placing a daylight-saving fold's lines by their order.
    let mut prev_ts: Option<i64> = None;
    // The last event, held back while lines that continue it (a stack trace) may follow.
    let mut pending: Option<(Event<'_>, Module)> = None;
    for (line_no, raw, is_last) in raw_lines(&block) {
        let valid: Option<&str> = std::str::from_utf8(raw).ok();
        let text: Cow<'_, str> = valid.map_or_else(|| String::from_utf8_lossy(raw), Cow::Borrowed);
        let invalid = valid.is_none().then_some(raw);
        let forced = forced_reason(&block, &text, is_last);
        let Some(parser) = job.parser.as_deref().filter(|_| forced.is_none()) else {
            flush(&mut out, &mut pending)?;
            out.reject(line_no, forced.unwrap_or(job.reject_reason), &text, invalid)?;
            continue;
        };
        let Some(s) = valid else {
            // Invalid bytes: parsed from the lossy copy, whose event cannot outlive this line,
            // so it is stored at once (it starts a record; nothing continues it).
            flush(&mut out, &mut pending)?;
            let mut ev = Event { event_count: Some(1), ..Default::default() };
            match parser.parse(&text, &mut ev) {
                Ok(module) => {
                    provenance(&mut ev, job, &mut prev_ts, line_no, &text);
                    ev.event_original_raw = invalid;
                    out.event(&ev, module)?;
                }
                Err(r) => out.reject(line_no, r.reason, &text, invalid)?,
            }
            continue;
        };
        // Valid UTF-8 is parsed in place, so its event can wait for lines that continue it.
        let mut ev = Event { event_count: Some(1), ..Default::default() };
        match parser.parse(s, &mut ev) {
            Ok(module) => {
                provenance(&mut ev, job, &mut prev_ts, line_no, s);
                flush(&mut out, &mut pending)?;
                if parser.multiline() {
                    pending = Some((ev, module));
                } else {
                    out.event(&ev, module)?;
                }
            }
            Err(_) if pending.is_some() && parser.continues(s) => {
                let (p, _) = pending.as_mut().expect("pending record");
                append_line(&mut p.message, s);
                append_line(&mut p.event_original, s);
                p.log_line_end = Some(line_no as i64);
                out.n_continued += 1;
            }
            Err(r) => {
                // A record is contiguous: a rejected line ends it.
                flush(&mut out, &mut pending)?;
                out.reject(line_no, r.reason, &text, invalid)?;
            }
        }
    }
    flush(&mut out, &mut pending)?;
    out.finish(tally)
}

/// A block's lines: (line number, bytes without CR/LF, whether it is the block's last line).
fn raw_lines(block: &Block) -> impl Iterator<Item = (u64, &[u8], bool)> {
    let data = &block.data[..];
    let total = data.len();
    let mut start = 0usize;
    let mut line_no = block.first_line;
    std::iter::from_fn(move || {
        if start >= total {
            return None;
        }
        let end = memchr::memchr(b'\n', &data[start..]).map(|i| start + i).unwrap_or(total);
        let mut raw = &data[start..end];
        let is_last = end >= total.saturating_sub(1);
        start = end + 1;
        if raw.last() == Some(&b'\r') {
            raw = &raw[..raw.len() - 1];
        }
        line_no += 1;
        Some((line_no - 1, raw, is_last))
    })
}

/// Why a line is a reject whatever the parser says: its block is one oversize line, it was cut
/// by archive damage, or it is blank.
fn forced_reason(block: &Block, text: &str, is_last: bool) -> Option<&'static str> {
    if block.oversize {
        Some(REASON_OVERSIZE)
    } else if block.damaged_tail && is_last {
        Some(REASON_DAMAGED_TAIL)
    } else if text.trim().is_empty() {
        Some(REASON_BLANK)
    } else {
        None
    }
}

/// A block of a format whose events are groups of lines that may interleave (auditd): lines are
/// grouped by the parser's key in order of first appearance, each group becomes one event
/// (`log_line` its first line, `log_line_end` its last, `event_original` its lines), and the
/// other lines of the group count as continued. A group the parser refuses is rejected line by
/// line with its reason. A group split by a block boundary becomes two events with one
/// `log_record_id`; producers cut such files in [`GROUPED_BLOCK_BYTES`] blocks to make it rare.
fn parse_grouped_block(job: &FileJob, tally: &Tally, block: Block) -> Result<(), IngestError> {
    let parser = job.parser.as_deref().expect("grouped blocks have a parser");
    let mut out = BlockOut::new(job, &block);
    let mut groups: Vec<Vec<(u64, &str)>> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str), usize> = std::collections::HashMap::new();
    for (no, raw, is_last) in raw_lines(&block) {
        let valid = std::str::from_utf8(raw);
        let text = valid.map_or_else(|_| String::from_utf8_lossy(raw), Cow::Borrowed);
        let reason = match valid {
            Ok(s) => forced_reason(&block, s, is_last),
            Err(_) => forced_reason(&block, &text, is_last).or(Some(REASON_INVALID_UTF8_RECORD)),
        };
        let (Ok(s), None) = (valid, reason) else {
            let invalid = valid.is_err().then_some(raw);
            out.reject(no, reason.expect("a reject has its reason"), &text, invalid)?;
            continue;
        };
        match parser.group_key(s) {
            Some(key) => {
                let g = *index.entry(key).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[g].push((no, s));
            }
            None => groups.push(vec![(no, s)]),
        }
    }
    for group in &groups {
        let texts: Vec<&str> = group.iter().map(|(_, s)| *s).collect();
        let mut ev = Event { event_count: Some(1), ..Default::default() };
        match parser.parse_group(&texts, &mut ev) {
            Ok(module) => {
                let (first, last) = (group[0].0, group[group.len() - 1].0);
                ev.log_file_path = Some(Cow::Borrowed(&job.ctx.rel_path));
                ev.log_line = Some(first as i64);
                ev.log_line_end = (group.len() > 1).then_some(last as i64);
                ev.event_original =
                    Some(if texts.len() == 1 { Cow::Borrowed(texts[0]) } else { Cow::Owned(texts.join("\n")) });
                out.n_continued += group.len() as u64 - 1;
                out.event(&ev, module)?;
            }
            Err(r) => {
                for &(no, s) in group {
                    out.reject(no, r.reason, s, None)?;
                }
            }
        }
    }
    out.finish(tally)
}

/// A parsed line's provenance and time order: the daylight-saving fold placed by the previous
/// event of the block, then file, line and the original text.
fn provenance<'a>(ev: &mut Event<'a>, job: &'a FileJob, prev_ts: &mut Option<i64>, line: u64, original: &'a str) {
    crate::parse::order_fold(ev, &job.ctx.zone, *prev_ts);
    *prev_ts = Some(ev.timestamp);
    ev.log_file_path = Some(Cow::Borrowed(&job.ctx.rel_path));
    ev.log_line = Some(line as i64);
    ev.event_original = Some(Cow::Borrowed(original));
}

/// Stores the record held back for continuation lines, if any.
fn flush(out: &mut BlockOut<'_>, pending: &mut Option<(Event<'_>, Module)>) -> Result<(), IngestError> {
    match pending.take() {
        Some((p, m)) => out.event(&p, m),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_counting() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\n"), 1);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"\n\n"), 2);
    }
}
