//! `logsleuth merge SHARD… --into CASE`: cases ingested apart (Spark executors, several laptops)
//! combined into one. Each shard's partitions join the case's; its input records join the
//! manifest with their hashes, under a run of their own that names the shard and its manifest's
//! SHA-256. Content the case (or an earlier shard) already holds is recorded as a duplicate and
//! its rows are left out; a path the case already uses for other content is renamed
//! `PATH#mRUN`, in the records and in the rows. A shard whose inputs are all in the case already
//! adds nothing, so merging twice is merging once. One commit through the case's journal:
//! atomic like ingest.

use std::collections::{HashMap, HashSet};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, BooleanArray, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;

use super::case::{Case, Journal, MANIFEST};
use super::manifest::{InputRecord, Manifest, RunRecord};
use crate::error::IngestError;

/// What merging one shard did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ShardMerged {
    pub shard: String,
    pub manifest_sha256: String,
    /// The run it was recorded as (`None`: everything was in the case already).
    pub run: Option<u32>,
    pub inputs: usize,
    pub already_present: usize,
    pub duplicates: usize,
    pub renamed: usize,
    pub events: u64,
    pub rejects: u64,
    pub parts: usize,
}

/// What one shard brings: its records as they go into the case, and how its rows change.
struct Plan {
    records: Vec<InputRecord>,
    /// Line ranges whose rows are left out (already present, or duplicate content), by path:
    /// one path may hold several records (a file that grew between runs).
    drop: HashMap<String, Vec<(i64, i64)>>,
    /// Paths renamed in the rows.
    rename: HashMap<String, String>,
    already_present: usize,
}

/// Decides, for each of the shard's records, whether the case holds it already (same path and
/// hash), holds its content under another path (a duplicate), or takes it, renamed when its
/// path is taken. `case_inputs` grows with what is taken.
fn plan(shard: &Manifest, case_inputs: &[InputRecord], run: u32) -> Plan {
    let present: HashSet<(&str, Option<&str>)> =
        case_inputs.iter().map(|r| (r.path.as_str(), r.sha256.as_deref())).collect();
    let paths: HashSet<&str> = case_inputs.iter().map(|r| r.path.as_str()).collect();
    let content: HashMap<&str, &str> = case_inputs
        .iter()
        .filter(|r| r.duplicate_of.is_none() && r.lines > 0)
        .filter_map(|r| r.content_sha256.as_deref().map(|c| (c, r.path.as_str())))
        .collect();
    let mut p = Plan { records: Vec::new(), drop: HashMap::new(), rename: HashMap::new(), already_present: 0 };
    let lines_of = |r: &InputRecord| (r.first_line as i64, r.first_line as i64 + r.lines as i64 - 1);
    let mut taken_content: HashMap<String, String> = HashMap::new();
    for r in &shard.inputs {
        if present.contains(&(r.path.as_str(), r.sha256.as_deref())) {
            p.already_present += 1;
            p.drop.entry(r.path.clone()).or_default().push(lines_of(r));
            continue;
        }
        let mut rec = r.clone();
        rec.run = run;
        if paths.contains(r.path.as_str()) {
            rec.path = format!("{}#m{run}", r.path);
            p.rename.insert(r.path.clone(), rec.path.clone());
        }
        let original = r
            .content_sha256
            .as_deref()
            .filter(|_| r.duplicate_of.is_none() && r.lines > 0)
            .and_then(|c| content.get(c).map(|s| s.to_string()).or_else(|| taken_content.get(c).cloned()));
        match original {
            Some(first) => {
                p.drop.entry(r.path.clone()).or_default().push(lines_of(r));
                rec.duplicate_of = Some(first);
                (rec.lines, rec.events, rec.rejects, rec.continued) = (0, 0, 0, 0);
            }
            None => {
                if let Some(c) = r.content_sha256.as_ref().filter(|_| r.duplicate_of.is_none() && r.lines > 0) {
                    taken_content.insert(c.clone(), rec.path.clone());
                }
            }
        }
        p.records.push(rec);
    }
    p
}

/// The batch without the rows of `drop`, with `rename` applied to `log_file_path`.
fn rewrite(
    batch: RecordBatch,
    drop: &HashMap<String, Vec<(i64, i64)>>,
    rename: &HashMap<String, String>,
) -> Result<RecordBatch, String> {
    let idx = batch.schema().index_of("log_file_path").map_err(|e| e.to_string())?;
    let line_idx = batch.schema().index_of("log_line").map_err(|e| e.to_string())?;
    let paths =
        batch.column(idx).as_any().downcast_ref::<StringArray>().ok_or("log_file_path is not a string column")?;
    let lines =
        batch.column(line_idx).as_any().downcast_ref::<Int64Array>().ok_or("log_line is not an Int64 column")?;
    let dropped = |i: usize| {
        !paths.is_null(i)
            && drop.get(paths.value(i)).is_some_and(|ranges| {
                let l = lines.value(i);
                ranges.iter().any(|&(a, b)| a <= l && l <= b)
            })
    };
    let keep: BooleanArray = (0..paths.len()).map(|i| Some(!dropped(i))).collect();
    let mut batch = arrow::compute::filter_record_batch(&batch, &keep).map_err(|e| e.to_string())?;
    if !rename.is_empty() {
        let paths =
            batch.column(idx).as_any().downcast_ref::<StringArray>().ok_or("log_file_path is not a string column")?;
        let renamed: StringArray =
            paths.iter().map(|p| p.map(|p| rename.get(p).map_or(p, String::as_str).to_string())).collect();
        let mut cols = batch.columns().to_vec();
        cols[idx] = Arc::new(renamed);
        batch = RecordBatch::try_new(batch.schema(), cols).map_err(|e| e.to_string())?;
    }
    Ok(batch)
}

/// Copies one shard part to `dst`: byte for byte when no row changes, else rewritten. Returns
/// the rows written (`0`: nothing written).
fn copy_part(src: &Path, dst: &Path, plan: &Plan) -> Result<u64, IngestError> {
    if plan.drop.is_empty() && plan.rename.is_empty() {
        if let Some(dir) = dst.parent() {
            std::fs::create_dir_all(dir).map_err(|e| IngestError::write(dir, e))?;
        }
        std::fs::copy(src, dst).map_err(|e| IngestError::write(dst, e))?;
        std::fs::File::open(dst).and_then(|f| f.sync_all()).map_err(|e| IngestError::write(dst, e))?;
        return super::pack::rows_of(dst);
    }
    super::pack::write_part(&[(src.to_path_buf(), None)], dst, |batch, src| {
        rewrite(batch, &plan.drop, &plan.rename).map_err(|e| IngestError::Invalid(format!("{}: {e}", src.display())))
    })
}

/// Opens a shard for reading: a committed case of this schema version.
fn open_shard(dir: &Path) -> Result<(Manifest, String), IngestError> {
    let case = Case::new(dir);
    if case.needs_recovery() {
        return Err(IngestError::Invalid(format!(
            "shard {} has an unfinished commit: run `logsleuth verify --case {}` on it first (it completes the commit)",
            dir.display(),
            dir.display()
        )));
    }
    let path = case.manifest_path();
    let bytes = std::fs::read(&path).map_err(|e| {
        IngestError::Invalid(format!("{} is not a logsleuth case ({}: {e})", dir.display(), path.display()))
    })?;
    let m: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| IngestError::Manifest { path: path.clone(), source: e })?;
    if m.schema_version != crate::schema::SCHEMA_VERSION {
        return Err(IngestError::Invalid(format!(
            "shard {} holds events of schema version {}; this logsleuth writes version {}: ingest it again",
            dir.display(),
            m.schema_version,
            crate::schema::SCHEMA_VERSION
        )));
    }
    use sha2::Digest;
    Ok((m, hex::encode(sha2::Sha256::digest(&bytes))))
}

/// Merges `shards` into the case at `into` (created when missing), one commit for all.
pub fn merge(shards: &[PathBuf], into: &Path) -> Result<Vec<ShardMerged>, IngestError> {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let opened: Vec<(PathBuf, Manifest, String)> =
        shards.iter().map(|s| open_shard(s).map(|(m, sha)| (s.clone(), m, sha))).collect::<Result<_, _>>()?;
    if into.exists() && !into.join(MANIFEST).exists() && std::fs::read_dir(into).is_ok_and(|mut d| d.next().is_some()) {
        return Err(IngestError::Placement(format!(
            "{} is not empty and is not a case (no manifest.json): give a new or empty folder, or a case, as --into",
            into.display()
        )));
    }
    if shards.iter().any(|s| abs(s) == abs(into)) {
        return Err(IngestError::Placement(format!("{} is both a shard and the case to merge into", into.display())));
    }
    let created = !into.exists();
    let case = Case::new(into);
    let lock = case.lock()?;
    case.recover(&lock)?;
    let old = Manifest::load(&case.manifest_path())?;
    let started_at = super::files::now_rfc3339();
    let mut manifest = old.clone().unwrap_or_else(|| Manifest {
        logsleuth_version: env!("CARGO_PKG_VERSION").to_string(),
        command: String::new(),
        started_at: started_at.clone(),
        finished_at: String::new(),
        inputs: Vec::new(),
        schema_version: crate::schema::SCHEMA_VERSION,
        runs: Vec::new(),
        parts: Default::default(),
        derived: Default::default(),
    });
    let mut run = manifest.runs.iter().map(|r| r.run).max().unwrap_or(0);
    let staging = case.staging_dir(run + 1);
    std::fs::create_dir_all(&staging).map_err(|e| IngestError::write(&staging, e))?;
    let staging_rel = staging.strip_prefix(&case.dir).unwrap_or(&staging).to_string_lossy().into_owned();
    let mut journal = Journal::default();
    let mut done = Vec::new();
    for (dir, shard, sha) in &opened {
        let mut said = ShardMerged {
            shard: dir.display().to_string(),
            manifest_sha256: sha.clone(),
            inputs: shard.inputs.len(),
            ..Default::default()
        };
        let p = plan(shard, &manifest.inputs, run + 1);
        said.already_present = p.already_present;
        if p.records.is_empty() {
            done.push(said);
            continue;
        }
        run += 1;
        said.run = Some(run);
        said.duplicates = p.records.iter().filter(|r| r.duplicate_of.is_some()).count();
        said.renamed = p.rename.len();
        let shard_case = Case::new(dir);
        let parts: Vec<String> = shard_case.parts("events").into_iter().chain(shard_case.parts("rejects")).collect();
        let copied = parts
            .par_iter()
            .map(|rel| {
                let name = Path::new(rel);
                let new_rel = name
                    .with_file_name(format!("m{run:04}-{}", name.file_name().unwrap_or_default().to_string_lossy()));
                let rows = copy_part(&dir.join(rel), &staging.join(&new_rel), &p)?;
                Ok((new_rel.to_string_lossy().into_owned(), rows))
            })
            .collect::<Result<Vec<(String, u64)>, IngestError>>()?;
        for (rel, _) in copied.into_iter().filter(|(_, rows)| *rows > 0) {
            let abs = staging.join(&rel);
            let h = super::files::sha256_file(&abs).map_err(|e| IngestError::read(&abs, e))?;
            journal.moves.push((format!("{staging_rel}/{rel}"), rel.clone()));
            manifest.parts.insert(rel, h);
            said.parts += 1;
        }
        said.events = p.records.iter().map(|r| r.events).sum();
        said.rejects = p.records.iter().map(|r| r.rejects).sum();
        manifest.runs.push(RunRecord {
            run,
            command: format!("logsleuth merge {} (shard manifest SHA-256 {sha})", dir.display()),
            started_at: started_at.clone(),
            finished_at: super::files::now_rfc3339(),
            files_added: p.records.iter().filter(|r| r.duplicate_of.is_none() && r.skipped.is_none()).count() as u64,
            events_added: said.events,
            rejects_added: said.rejects,
        });
        manifest.inputs.extend(p.records);
        done.push(said);
    }
    if done.iter().all(|d| d.run.is_none()) {
        let _ = std::fs::remove_dir_all(&staging);
        if old.is_none() {
            drop(lock);
            if created {
                let _ = std::fs::remove_dir_all(into);
            }
        }
        return Ok(done);
    }
    manifest.inputs.sort_by(|a, b| a.path.cmp(&b.path).then(a.run.cmp(&b.run)));
    manifest.command = std::env::args().collect::<Vec<_>>().join(" ");
    manifest.finished_at = super::files::now_rfc3339();
    let tmp = staging.join(MANIFEST);
    std::fs::write(&tmp, manifest.to_json()).map_err(|e| IngestError::write(&tmp, e))?;
    journal.manifest_tmp = format!("{staging_rel}/{MANIFEST}");
    journal.staging = staging_rel;
    case.commit(&lock, &journal)?;
    super::pack::compact(&case, &lock, Some(super::pack::AUTO_COMPACT_SMALL_PARTS))?;
    Ok(done)
}
