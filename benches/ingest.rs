//! End-to-end ingest benchmark (`make bench`): a generated evidence tree of more than 1 GiB
//! (auth + access + firewall for four hosts, the older generation gzip'd) is ingested by the
//! release binary; reports MB/s of decompressed text and the child's peak RSS, for the whole
//! tree, its plain files and its gzip files, next to `gzip -dc` alone as a baseline.
//!
//! It then times the Parquet writer alone: the plain files' events are read back into memory
//! and written again with ingest's writer settings, one writer per core. That is the ceiling
//! the writer puts on end-to-end throughput, whatever the parsers cost.
//!
//! Last, the journal formats: 400,000 auth lines as a `journalctl -o export` stream and as
//! `.journal` files written by systemd-journal-remote, in MB/s of stored file and entries/s.
//!
//! BENCH_DIR names the tree (generated when missing), BENCH_MB its size.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn peak_rss_children_mb() -> f64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    ru.ru_maxrss as f64 / 1024.0
}

fn files(root: &Path, gz: Option<bool>) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_path_buf())
        .filter(|p| gz.is_none_or(|g| (p.extension().is_some_and(|x| x == "gz")) == g))
        .collect();
    v.sort();
    v
}

/// Ingests `inputs` into a temporary case and prints the throughput; returns the case and the
/// MB of decompressed text read.
fn ingest(bin: &Path, inputs: &[PathBuf], label: &str) -> (tempfile::TempDir, f64) {
    let case = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let status = Command::new(bin)
        .arg("ingest")
        .args(inputs)
        .arg("--case")
        .arg(case.path())
        .arg("-q")
        .status()
        .expect("run logsleuth");
    let secs = t.elapsed().as_secs_f64();
    assert!(status.success(), "ingest failed");
    let m = logsleuth::store::manifest::Manifest::load(&case.path().join("manifest.json")).unwrap().unwrap();
    let bytes: u64 = m.inputs.iter().map(|i| i.content_size).sum();
    let (lines, events, rejects) = m.totals();
    assert_eq!(lines, events + m.continued() + rejects);
    let mb = bytes as f64 / 1e6;
    let out_mb: f64 = walkdir::WalkDir::new(case.path())
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0) as f64 / 1e6)
        .sum();
    println!(
        "{label:<8} {mb:>8.1} MB text, {lines:>10} lines in {secs:>6.2} s = {:>6.1} MB/s, {:>5.2} M lines/s; Parquet {out_mb:.1} MB",
        mb / secs,
        lines as f64 / secs / 1e6
    );
    (case, mb)
}

/// Re-writes the events of `case` (read from `text_mb` MB of source text) with ingest's writer
/// settings on `threads` threads, and prints the writer's throughput in MB of source text per
/// second.
fn writer_alone(case: &Path, text_mb: f64, threads: usize) {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;

    let mut batches = Vec::new();
    for f in logsleuth::store::case::parquet_files(&case.join("events")) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&f).expect("open part"))
            .expect("read part")
            .with_batch_size(64 * 1024)
            .build()
            .expect("read part");
        batches.extend(reader.map(|b| b.expect("read batch")));
    }
    let schema = logsleuth::schema::event_schema();
    let out = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    std::thread::scope(|s| {
        for k in 0..threads {
            let (batches, schema, out) = (&batches, schema.clone(), out.path());
            s.spawn(move || {
                let file = File::create(out.join(format!("w{k}.parquet"))).expect("create");
                let mut w = ArrowWriter::try_new(
                    std::io::BufWriter::with_capacity(1 << 20, file),
                    schema,
                    Some(logsleuth::store::writer::properties()),
                )
                .expect("writer");
                for b in batches.iter().skip(k).step_by(threads) {
                    w.write(b).expect("write");
                }
                w.close().expect("close");
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    println!(
        "writer   Parquet writer alone, {threads} threads, the plain files' {rows} events again: {secs:.2} s = {:.1} MB/s of source text (the end-to-end ceiling)",
        text_mb / secs
    );
}

/// `systemd-journal-remote` (Debian's package; .ci/run installs it), when present.
fn journal_remote() -> Option<PathBuf> {
    ["/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The journal formats side by side with the text ones: the first `max` lines of the tree's
/// plain `auth.log`s become a `journalctl -o export` stream (the syslog fields journald stores),
/// and systemd's own `systemd-journal-remote` writes it into genuine `.journal` files. Both are
/// ingested; throughput is MB/s of the file as stored and entries per second.
fn journals(bin: &Path, dir: &Path, max: usize) {
    let work = tempfile::tempdir().expect("temp dir");
    let mut export = Vec::new();
    let mut n = 0usize;
    let base: i64 = 1_767_225_600_000_000;
    'files: for f in files(dir, Some(false)).iter().filter(|p| p.ends_with("var/log/auth.log")) {
        let text = std::fs::read_to_string(f).expect("read auth.log");
        for line in text.lines() {
            // `Mon DD HH:MM:SS host prog[pid]: message`
            let Some(rest) = line.get(16..) else { continue };
            let Some((host, rest)) = rest.split_once(' ') else { continue };
            let Some((tag, msg)) = rest.split_once(": ") else { continue };
            let (prog, pid) = tag.split_once('[').map_or((tag, "1"), |(p, r)| (p, r.trim_end_matches(']')));
            let us = base + n as i64 * 1_000_000;
            export.extend_from_slice(
                format!(
                    "__REALTIME_TIMESTAMP={us}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID=6c7c6013a8e0446eb3c3d0a5a8b5e4f1\n_HOSTNAME={host}\n_TRANSPORT=syslog\nPRIORITY=6\nSYSLOG_FACILITY=10\nSYSLOG_IDENTIFIER={prog}\nSYSLOG_PID={pid}\n_PID={pid}\n_UID=0\n_GID=0\n_COMM={prog}\nMESSAGE={msg}\n\n",
                    n + 1
                )
                .as_bytes(),
            );
            n += 1;
            if n >= max {
                break 'files;
            }
        }
    }
    let stream = work.path().join("export/system.export");
    std::fs::create_dir_all(stream.parent().unwrap()).unwrap();
    std::fs::write(&stream, &export).expect("write export");
    let report = |label: &str, inputs: &[PathBuf]| {
        let stored: u64 = inputs.iter().map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).sum();
        let case = tempfile::tempdir().expect("temp dir");
        let t = Instant::now();
        let st = Command::new(bin).arg("ingest").args(inputs).arg("--case").arg(case.path()).arg("-q").status();
        let secs = t.elapsed().as_secs_f64();
        assert!(st.expect("run logsleuth").success(), "{label} ingest failed");
        let m = logsleuth::store::manifest::Manifest::load(&case.path().join("manifest.json")).unwrap().unwrap();
        let (_, events, rejects) = m.totals();
        assert_eq!(rejects, 0, "{label}: every entry is an event");
        println!(
            "{label:<8} {:>8.1} MB stored, {events:>10} entries in {secs:>6.2} s = {:>6.1} MB/s, {:>5.2} M entries/s",
            stored as f64 / 1e6,
            stored as f64 / 1e6 / secs,
            events as f64 / secs / 1e6
        );
    };
    report("export", std::slice::from_ref(&stream));
    let Some(tool) = journal_remote() else {
        println!("journal  skipped: systemd-journal-remote is not installed (apt-get install systemd-journal-remote)");
        return;
    };
    let out = work.path().join("journal");
    std::fs::create_dir_all(&out).unwrap();
    let st = Command::new(tool)
        .arg(format!("--output={}/system.journal", out.display()))
        .arg(&stream)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run systemd-journal-remote");
    assert!(st.success(), "systemd-journal-remote failed");
    report("journal", &files(&out, None));
}

mod common;

fn main() {
    let common::Setup { evidence: dir, bin, .. } = common::setup();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("logsleuth ingest benchmark: {} on {threads} cores", dir.display());

    let gz = files(&dir, Some(true));
    let t = Instant::now();
    for f in &gz {
        let st = Command::new("gzip").arg("-dc").arg(f).stdout(std::process::Stdio::null()).status().expect("gzip");
        assert!(st.success());
    }
    let zsecs = t.elapsed().as_secs_f64();
    let before = peak_rss_children_mb();
    let (_, gz_mb) = ingest(&bin, &gz, "gzip");
    println!("         gzip -dc alone (one process at a time): {:.1} MB/s", gz_mb / zsecs);
    let (plain_case, plain_mb) = ingest(&bin, &files(&dir, Some(false)), "plain");
    ingest(&bin, std::slice::from_ref(&dir), "all");
    let peak = peak_rss_children_mb();
    println!("peak RSS of any ingest run: {:.0} MB (gzip baseline process: {before:.0} MB)", peak);
    writer_alone(plain_case.path(), plain_mb, threads);
    journals(&bin, &dir, 400_000);
}
