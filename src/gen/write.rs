//! Rendering generated records as the files real systems write: syslog in BSD, rsyslog ISO
//! or RFC 5424 style, logrotate generations (numbered or dated), compression, and mtimes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::parse::time::civil_from_days;

/// How a host's syslog daemon writes timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `Dec  8 10:00:01 host prog[pid]: msg` (Debian/Ubuntu default).
    Bsd,
    /// `2025-12-08T10:00:01.123456+00:00 host prog[pid]: msg` (RSYSLOG_FileFormat).
    Iso,
    /// `<PRI>1 2025-12-08T10:00:01.123Z host prog pid - - msg`.
    Rfc5424,
}

/// How a file is rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// `name`, `name.1`, `name.2.gz`, … (Debian).
    Numbered,
    /// `name`, `name-YYYYMMDD`, … (RHEL dateext).
    Dated,
    /// Never rotated.
    None,
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

pub fn ymdhms(secs: i64) -> (i64, u32, u32, i64, i64, i64) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    (y, m, d, t / 3600, t % 3600 / 60, t % 60)
}

/// Renders a syslog header for `secs` (+ `micros`).
pub fn syslog_line(
    style: Style,
    secs: i64,
    micros: u32,
    host: &str,
    prog: &str,
    pid: Option<u32>,
    msg: &str,
) -> String {
    let (y, m, d, hh, mm, ss) = ymdhms(secs);
    let tag = match pid {
        Some(p) => format!("{prog}[{p}]"),
        None => prog.to_string(),
    };
    match style {
        Style::Bsd => format!("{} {d:>2} {hh:02}:{mm:02}:{ss:02} {host} {tag}: {msg}", MONTHS[m as usize - 1]),
        Style::Iso => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{micros:06}+00:00 {host} {tag}: {msg}"),
        Style::Rfc5424 => {
            let pid = pid.map_or("-".to_string(), |p| p.to_string());
            let pri = if prog == "sshd" || prog == "sudo" { 86 } else { 30 };
            format!(
                "<{pri}>1 {y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:03}Z {host} {prog} {pid} - - {msg}",
                micros / 1000
            )
        }
    }
}

/// Apache time `[10/Dec/2025:13:55:36 +0000]`.
pub fn apache_time(secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = ymdhms(secs);
    format!("[{d:02}/{}/{y:04}:{hh:02}:{mm:02}:{ss:02} +0000]", MONTHS[m as usize - 1])
}

pub fn iso_z(secs: i64, millis: u32) -> String {
    let (y, m, d, hh, mm, ss) = ymdhms(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{millis:03}Z")
}

/// Compression of a written file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Plain,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Codec {
    pub fn ext(self) -> &'static str {
        match self {
            Codec::Plain => "",
            Codec::Gzip => ".gz",
            Codec::Bzip2 => ".bz2",
            Codec::Xz => ".xz",
            Codec::Zstd => ".zst",
        }
    }
    pub fn encode(self, data: &[u8]) -> Vec<u8> {
        match self {
            Codec::Plain => data.to_vec(),
            Codec::Gzip => {
                let mut e = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::new(6));
                e.write_all(data).expect("in-memory write");
                e.finish().expect("in-memory gzip")
            }
            Codec::Bzip2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(6));
                e.write_all(data).expect("in-memory write");
                e.finish().expect("in-memory bzip2")
            }
            Codec::Xz => {
                let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
                e.write_all(data).expect("in-memory write");
                e.finish().expect("in-memory xz")
            }
            Codec::Zstd => zstd::encode_all(data, 3).expect("in-memory zstd"),
        }
    }
}

/// Writes `data` to `path` (creating folders) and sets its mtime.
pub fn write_file(path: &Path, data: &[u8], mtime: i64) -> std::io::Result<()> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::write(path, data)?;
    set_mtime(path, mtime)
}

pub fn set_mtime(path: &Path, mtime: i64) -> std::io::Result<()> {
    let f = std::fs::OpenOptions::new().write(true).open(path)?;
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime.max(0) as u64))
}

/// Lines of one logical log file, keyed by time (stable for equal times).
#[derive(Default)]
pub struct LogFile {
    pub lines: Vec<(i64, u64, Vec<u8>)>,
    pub seq: u64,
    /// Line ending: `\n`, or `\r\n` for Windows-made files.
    pub crlf: bool,
}

impl LogFile {
    pub fn push(&mut self, secs: i64, line: String) {
        self.push_bytes(secs, line.into_bytes());
    }
    pub fn push_bytes(&mut self, secs: i64, line: Vec<u8>) {
        self.seq += 1;
        self.lines.push((secs, self.seq, line));
    }
}

/// One rotation generation to write: lines between `from` (inclusive) and `to` (exclusive).
pub struct Generation {
    pub suffix: String,
    pub codec: Codec,
    pub from: i64,
    pub to: i64,
}

/// Splits a log into generations at the rotation times and writes them. Returns the written
/// relative paths.
pub fn write_rotated(root: &Path, rel: &str, mut log: LogFile, gens: &[Generation]) -> std::io::Result<Vec<String>> {
    log.lines.sort_by_key(|(t, s, _)| (*t, *s));
    let mut out = Vec::new();
    let mut by_gen: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
    for (t, _, line) in &log.lines {
        if let Some(g) = gens.iter().position(|g| *t >= g.from && *t < g.to) {
            let buf = by_gen.entry(g).or_default();
            buf.extend_from_slice(line);
            if log.crlf {
                buf.push(b'\r');
            }
            buf.push(b'\n');
        }
    }
    for (i, g) in gens.iter().enumerate() {
        let data = by_gen.remove(&i).unwrap_or_default();
        let path = format!("{rel}{}{}", g.suffix, g.codec.ext());
        write_file(&root.join(&path), &g.codec.encode(&data), g.to - 1)?;
        out.push(path);
    }
    Ok(out)
}
