//! Packing: small Parquet parts of one partition rewritten into parts of a bounded size, so that
//! the case's layout does not depend on how many files the evidence came in (2,800 files of 20
//! lines are a handful of parts, not 2,800). Ingest packs its run's small parts before commit;
//! `logsleuth compact` packs the small parts that incremental runs left in a case. Rows keep
//! their order (parts in name order, rows in file order); provenance is in the columns
//! (`log_file_path`, `log_line`), so nothing is lost by merging files.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use rayon::prelude::*;

use super::writer::{properties, MemPart, WrittenPart, ROW_GROUP_ROWS};
use crate::error::IngestError;

/// A part with fewer rows than one row group is small: it is packed with its neighbours.
/// A final part with fewer rows than this is small and packed with its neighbours (parts of
/// large inputs, often 100,000 rows and more, are left as they are: rewriting them costs).
pub const SMALL_PART_ROWS: u64 = 32 * 1024;
/// Rows per packed part (four row groups).
pub const PACK_ROWS: u64 = 4 * ROW_GROUP_ROWS as u64;
const _: () = assert!(PACK_ROWS == 32 * SMALL_PART_ROWS);

/// One packed part to write: its sources in order (a file, or a part held in memory), and
/// where it goes.
struct Pack {
    sources: Vec<(PathBuf, Option<MemPart>)>,
    rel: PathBuf,
    rows: u64,
}

/// Plans the packs of `parts` (paths relative to `src_root`): in each partition folder, the
/// staging parts and, where there is more than one, the small ones, in name order, cut every
/// [`PACK_ROWS`] rows. Returns the parts left as they are and the packs, named
/// `STEM-pNNNN.parquet` in their partition.
fn plan(parts: Vec<WrittenPart>, src_root: &Path, stem: &str) -> (Vec<WrittenPart>, Vec<Pack>) {
    let mut by_dir: BTreeMap<PathBuf, Vec<WrittenPart>> = BTreeMap::new();
    for p in parts {
        by_dir.entry(p.rel.parent().map(Path::to_path_buf).unwrap_or_default()).or_default().push(p);
    }
    let mut keep = Vec::new();
    let mut packs = Vec::new();
    for (dir, mut group) in by_dir {
        group.sort_by(|a, b| a.rel.cmp(&b.rel));
        let (small, large): (Vec<_>, Vec<_>) = group.into_iter().partition(|p| p.staging || p.rows < SMALL_PART_ROWS);
        keep.extend(large);
        if small.len() < 2 && small.iter().all(|p| !p.staging) {
            keep.extend(small);
            continue;
        }
        let mut current: Option<Pack> = None;
        for p in small {
            if current.as_ref().is_some_and(|c| c.rows + p.rows > PACK_ROWS) {
                packs.extend(current.take());
            }
            let c = current.get_or_insert_with(|| Pack {
                sources: Vec::new(),
                rel: dir.join(format!("{stem}-p{:04}.parquet", packs.len())),
                rows: 0,
            });
            c.sources.push((src_root.join(&p.rel), p.mem));
            c.rows += p.rows;
        }
        packs.extend(current);
    }
    (keep, packs)
}

/// Writes the batches of `sources` (part files, or parts held in memory), in order and each
/// passed through `map`, into one final part at `abs`, synced. The file is created at the first
/// row: returns the rows written, and 0 leaves no file. Packing and merging both write so.
pub(super) fn write_part(
    sources: &[(PathBuf, Option<MemPart>)],
    abs: &Path,
    map: impl Fn(RecordBatch, &Path) -> Result<RecordBatch, IngestError>,
) -> Result<u64, IngestError> {
    if let Some(dir) = abs.parent() {
        std::fs::create_dir_all(dir).map_err(|e| IngestError::write(dir, e))?;
    }
    let mut writer: Option<ArrowWriter<BufWriter<File>>> = None;
    let mut rows = 0u64;
    // Small batches (a small input's few rows) are joined before they are written: the writer's
    // cost per batch and column outweighed the rows of 2,800 inputs of 20 lines.
    let (mut pending, mut pending_rows): (Vec<RecordBatch>, usize) = (Vec::new(), 0);
    for (src, mem) in sources {
        let pq = |e| IngestError::Parquet { path: src.clone(), source: e };
        let batches: Box<dyn Iterator<Item = Result<RecordBatch, IngestError>>> = match mem {
            Some(batches) => Box::new(batches.iter().cloned().map(Ok)),
            None => {
                let file = File::open(src).map_err(|e| IngestError::read(src, e))?;
                let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(pq)?
                    .with_batch_size(64 * 1024)
                    .build()
                    .map_err(pq)?;
                Box::new(reader.map(|b| b.map_err(|e| IngestError::Parquet { path: src.clone(), source: e.into() })))
            }
        };
        for batch in batches {
            let batch = map(batch?, src)?;
            if batch.num_rows() == 0 {
                continue;
            }
            rows += batch.num_rows() as u64;
            let large = batch.num_rows() >= JOINED_BELOW_ROWS;
            if large
                || pending
                    .first()
                    .is_some_and(|p| !Arc::ptr_eq(&p.schema(), &batch.schema()) && p.schema() != batch.schema())
            {
                flush(&mut writer, abs, &mut pending)?;
                pending_rows = 0;
            }
            pending_rows += batch.num_rows();
            pending.push(batch);
            if large || pending_rows >= JOINED_ROWS {
                flush(&mut writer, abs, &mut pending)?;
                pending_rows = 0;
            }
        }
    }
    flush(&mut writer, abs, &mut pending)?;
    if let Some(writer) = writer {
        let buf = writer.into_inner().map_err(|e| IngestError::Parquet { path: abs.to_path_buf(), source: e })?;
        let file = buf.into_inner().map_err(|e| IngestError::write(abs, e.into_error()))?;
        file.sync_all().map_err(|e| IngestError::write(abs, e))?;
    }
    Ok(rows)
}

/// Batches of fewer rows are joined before they are written ([`write_part`]), up to
/// [`JOINED_ROWS`] rows at a time; larger ones are written as they are (no copy).
const JOINED_BELOW_ROWS: usize = 4 * 1024;
const JOINED_ROWS: usize = 64 * 1024;

/// Writes the `pending` batches (of one schema) as one batch into the part at `abs`, creating
/// the writer with the first; leaves `pending` empty.
fn flush(
    writer: &mut Option<ArrowWriter<BufWriter<File>>>,
    abs: &Path,
    pending: &mut Vec<RecordBatch>,
) -> Result<(), IngestError> {
    let err = |e: parquet::errors::ParquetError| IngestError::Parquet { path: abs.to_path_buf(), source: e };
    let batch = match pending.len() {
        0 => return Ok(()),
        1 => pending.pop().expect("one batch"),
        _ => arrow::compute::concat_batches(&pending[0].schema(), pending.iter()).map_err(|e| err(e.into()))?,
    };
    pending.clear();
    let w = match writer {
        Some(w) => w,
        None => {
            let file = File::create(abs).map_err(|e| IngestError::write(abs, e))?;
            let w = ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), batch.schema(), Some(properties()))
                .map_err(err)?;
            writer.insert(w)
        }
    };
    w.write(&batch).map_err(err)
}

/// Writes one pack: every source's batches in order into one part file, synced.
fn write_pack(pack: &Pack, dst_root: &Path) -> Result<WrittenPart, IngestError> {
    let abs = dst_root.join(&pack.rel);
    let rows = write_part(&pack.sources, &abs, |b, _| Ok(b))?;
    if rows == 0 {
        return Err(IngestError::Invalid(format!("{}: nothing to pack", abs.display())));
    }
    Ok(WrittenPart { rel: pack.rel.clone(), rows, staging: false, mem: None })
}

/// The parts after packing.
pub struct Packed {
    /// Large parts and lone small ones, as they were (relative to the source root).
    pub kept: Vec<WrittenPart>,
    /// The packs written (relative to the destination root).
    pub packs: Vec<WrittenPart>,
    /// The small parts the packs replace (relative to the source root).
    pub replaced: Vec<PathBuf>,
}

/// Packs the small parts among `parts` (relative to `src_root`) into new parts under
/// `dst_root`, in parallel across packs. Lone small parts are synced here: the writer leaves
/// small parts unsynced, as most of them are packed.
pub fn pack(parts: Vec<WrittenPart>, src_root: &Path, dst_root: &Path, stem: &str) -> Result<Packed, IngestError> {
    let (keep, packs) = plan(parts, src_root, stem);
    for p in keep.iter().filter(|p| p.rows < SMALL_PART_ROWS) {
        let abs = src_root.join(&p.rel);
        File::open(&abs).and_then(|f| f.sync_all()).map_err(|e| IngestError::write(&abs, e))?;
    }
    let written = packs.par_iter().map(|p| write_pack(p, dst_root)).collect::<Result<Vec<_>, _>>()?;
    let replaced = packs
        .iter()
        .flat_map(|p| p.sources.iter().filter(|(_, mem)| mem.is_none()))
        .map(|(s, _)| s.strip_prefix(src_root).unwrap_or(s).to_path_buf())
        .collect();
    Ok(Packed { kept: keep, packs: written, replaced })
}

/// What compacting a case did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Compacted {
    pub parts_before: usize,
    pub parts_after: usize,
    /// Small parts replaced by packs, and the packs written.
    pub replaced: usize,
    pub packs: usize,
    pub rows_packed: u64,
}

/// Small parts a partition may hold before ingest compacts the case at commit.
pub const AUTO_COMPACT_SMALL_PARTS: usize = 16;

/// Packs the small parts of a committed case (left by incremental runs) through the case's
/// commit journal: the packs are written to staging, then moved in while the parts they replace
/// are deleted and the manifest's part hashes updated, atomically. With `min_small`, only when
/// some partition holds at least that many small parts. The recorded inputs, runs and derived
/// files are untouched: the events are the same, only their files change.
pub fn compact(
    case: &super::case::Case,
    lock: &super::case::CaseLock,
    min_small: Option<usize>,
) -> Result<Compacted, IngestError> {
    use super::manifest::Manifest;
    let mut manifest = Manifest::load(&case.manifest_path())?
        .ok_or_else(|| IngestError::Invalid(format!("{} is not a logsleuth case (no manifest)", case.dir.display())))?;
    let rels: Vec<String> = case.parts("events").into_iter().chain(case.parts("rejects")).collect();
    let parts = rels
        .par_iter()
        .map(|r| rows_of(&case.dir.join(r)).map(|rows| WrittenPart { rel: r.into(), rows, staging: false, mem: None }))
        .collect::<Result<Vec<_>, _>>()?;
    let mut done = Compacted { parts_before: parts.len(), parts_after: parts.len(), ..Default::default() };
    if let Some(min) = min_small {
        let mut small: BTreeMap<&Path, usize> = BTreeMap::new();
        for p in parts.iter().filter(|p| p.rows < SMALL_PART_ROWS) {
            *small.entry(p.rel.parent().unwrap_or(Path::new(""))).or_default() += 1;
        }
        if small.values().all(|&n| n < min) {
            return Ok(done);
        }
    }
    let last_run = manifest.runs.iter().map(|r| r.run).max().unwrap_or(0);
    let staging = case.staging_dir(last_run + 1);
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let Packed { packs, replaced, .. } = pack(parts, &case.dir, &staging, &format!("r{last_run:04}-c{secs}"))?;
    if packs.is_empty() {
        return Ok(done);
    }
    let staging_rel = staging.strip_prefix(&case.dir).unwrap_or(&staging).to_string_lossy().into_owned();
    let mut journal = super::case::Journal::default();
    for r in &replaced {
        let rel = r.to_string_lossy().into_owned();
        manifest.parts.remove(&rel);
        journal.deletes.push(rel);
    }
    let hashes = packs
        .par_iter()
        .map(|p| {
            let abs = staging.join(&p.rel);
            super::files::sha256_file(&abs)
                .map(|h| (p.rel.to_string_lossy().into_owned(), h))
                .map_err(|e| IngestError::read(&abs, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (rel, h) in hashes {
        journal.moves.push((format!("{staging_rel}/{rel}"), rel.clone()));
        manifest.parts.insert(rel, h);
    }
    let manifest_tmp = staging.join(super::case::MANIFEST);
    std::fs::write(&manifest_tmp, manifest.to_json()).map_err(|e| IngestError::write(&manifest_tmp, e))?;
    journal.manifest_tmp = format!("{staging_rel}/{}", super::case::MANIFEST);
    journal.staging = staging_rel;
    case.commit(lock, &journal)?;
    done.replaced = replaced.len();
    done.packs = packs.len();
    done.rows_packed = packs.iter().map(|p| p.rows).sum();
    done.parts_after = done.parts_before - done.replaced + done.packs;
    Ok(done)
}

/// Rows of a part file, from its footer.
pub fn rows_of(path: &Path) -> Result<u64, IngestError> {
    let file = File::open(path).map_err(|e| IngestError::read(path, e))?;
    let b = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| IngestError::Parquet { path: path.to_path_buf(), source: e })?;
    Ok(b.metadata().file_metadata().num_rows().max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(rel: &str, rows: u64) -> WrittenPart {
        WrittenPart { rel: rel.into(), rows, staging: false, mem: None }
    }

    #[test]
    fn small_parts_of_a_partition_are_packed_in_name_order_and_cut_by_rows() {
        let many = SMALL_PART_ROWS; // 32 of them fill a pack
        let name = |i: usize| format!("events/event_module=auth/r0001-f{i:06}-000.parquet");
        let mut parts: Vec<WrittenPart> = (1..=33).rev().map(|i| part(&name(i), many - 1)).collect();
        parts.extend([
            part("events/event_module=web/r0001-f000047-000.parquet", 10),
            part("events/event_module=web/r0001-f000048-000.parquet", SMALL_PART_ROWS),
            part("rejects/log_format=syslog/r0001-f000001-000.parquet", 3),
        ]);
        let (keep, packs) = plan(parts, Path::new("/s"), "r0001");
        let kept: Vec<_> = keep.iter().map(|p| p.rel.to_string_lossy().into_owned()).collect();
        assert_eq!(
            kept,
            [
                "events/event_module=web/r0001-f000048-000.parquet",
                "events/event_module=web/r0001-f000047-000.parquet",
                "rejects/log_format=syslog/r0001-f000001-000.parquet"
            ],
            "a large part, and lone small ones, stay"
        );
        assert_eq!(packs.len(), 2);
        assert_eq!(packs[0].rel, Path::new("events/event_module=auth/r0001-p0000.parquet"));
        assert_eq!(packs[0].rows, 32 * (many - 1));
        let srcs: Vec<PathBuf> = packs[0].sources.iter().map(|(s, _)| s.clone()).collect();
        let want: Vec<PathBuf> = (1..=32).map(|i| Path::new("/s").join(name(i))).collect();
        assert_eq!(srcs, want, "in name order");
        assert_eq!(packs[1].rel, Path::new("events/event_module=auth/r0001-p0001.parquet"));
        assert_eq!(packs[1].sources[0].0, Path::new("/s").join(name(33)));
        // A lone staging part (uncompressed) is packed all the same.
        let lone = WrittenPart { staging: true, ..part("events/event_module=web/r0001-f000001-000.parquet", 5) };
        let (keep, packs) = plan(vec![lone], Path::new("/s"), "r0001");
        assert!(keep.is_empty() && packs.len() == 1 && packs[0].rows == 5);
    }

    /// Small in-memory batches are joined, a large one written as it is: every row lands once,
    /// in order.
    #[test]
    fn written_parts_keep_every_row_in_order_across_joined_batches() {
        use arrow::array::{Array, Int64Array};
        use arrow::datatypes::{DataType, Field, Schema};
        use std::sync::Arc;
        let schema = |name: &str| Arc::new(Schema::new(vec![Field::new(name, DataType::Int64, true)]));
        let batch = |name: &str, from: i64, n: i64| {
            RecordBatch::try_new(schema(name), vec![Arc::new(Int64Array::from_iter_values(from..from + n))]).unwrap()
        };
        let small: Vec<RecordBatch> = (0..50).map(|i| batch("n", i * 20, 20)).collect();
        let sources = vec![
            (PathBuf::from("a"), Some(Arc::new(small))),
            (PathBuf::from("b"), Some(Arc::new(vec![batch("n", 1000, JOINED_BELOW_ROWS as i64), batch("n", 9000, 3)]))),
        ];
        let dir = tempfile::tempdir().unwrap();
        let abs = dir.path().join("p.parquet");
        let rows = write_part(&sources, &abs, |b, _| Ok(b)).unwrap();
        assert_eq!(rows, 1000 + JOINED_BELOW_ROWS as u64 + 3);
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&abs).unwrap()).unwrap().build().unwrap();
        let mut got = Vec::new();
        for b in reader {
            let b = b.unwrap();
            let c = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().clone();
            got.extend((0..c.len()).map(|i| c.value(i)));
        }
        let want: Vec<i64> = (0..1000).chain(1000..1000 + JOINED_BELOW_ROWS as i64).chain(9000..9003).collect();
        assert_eq!(got, want);
    }
}
