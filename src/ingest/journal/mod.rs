//! Decoding systemd journal files into entries, offline: no `journalctl`, no libsystemd.
//!
//! The on-disk format is systemd's `journal-def.h` (documented at
//! <https://systemd.io/JOURNAL_FILE_FORMAT>): a 272-byte header (shorter before systemd 254), then
//! 8-byte-aligned objects, each with a 16-byte object header (type, flags, size). ENTRY objects
//! list the offsets of the DATA objects (`FIELD=value`, possibly XZ/LZ4/ZSTD compressed) that make
//! up one entry; in "compact" files (systemd 252+) those offsets are 32-bit.
//!
//! Entries are read by walking the objects in file order rather than through the entry arrays:
//! the file is append-only, so file order is write order, and a truncated file, a corrupted
//! entry array or a file that was never closed (`*.journal~`, header state `online`) still gives
//! every entry that was completely written. Where the walk stops early the reason is kept as the
//! file's damage. The maintained crate `sdjournal` was tried first; it refuses truncated files
//! ("file shorter than header reports"), skips `*.journal~`, reads only whole directories (not an
//! archive member) and its XZ support conflicts with the liblzma already linked here.
//!
//! Each entry becomes one line in the shape of `journalctl -o json`, plus `__CURSOR` and
//! `__SEQNUM`; [`crate::parse::journal`] turns those lines into events.

pub mod export;

use serde_json::{Map, Value};

/// The file signature (`LPKSHHRH`).
pub const MAGIC: &[u8; 8] = b"LPKSHHRH";

const OBJECT_DATA: u8 = 1;
const OBJECT_ENTRY: u8 = 3;
const OBJECT_TAG: u8 = 7;
const OBJECT_HEADER: usize = 16;
const COMPRESSED_XZ: u8 = 1;
const COMPRESSED_LZ4: u8 = 2;
const COMPRESSED_ZSTD: u8 = 4;
const INCOMPAT_COMPACT: u32 = 1 << 4;
const COMPAT_SEALED: u32 = 1;
/// The smallest header systemd ever wrote (up to `tail_entry_monotonic`, before systemd 187).
const MIN_HEADER: usize = 208;
/// A decompressed field larger than this is cut (journald's own default limit is far lower).
const MAX_FIELD: usize = 64 << 20;

pub use crate::store::manifest::JournalInfo;

/// Entries of one file as `journalctl -o json` lines.
#[derive(Debug, Default)]
pub struct Decoded {
    pub text: Vec<u8>,
    pub entries: u64,
    pub info: JournalInfo,
    /// Why reading stopped before the end, or what was unreadable.
    pub damage: Option<String>,
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    b.get(off..off + 4).map(|s| u32::from_le_bytes(s.try_into().expect("4 bytes")))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    b.get(off..off + 8).map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

fn id128(b: &[u8], off: usize) -> String {
    b.get(off..off + 16).map(hex::encode).unwrap_or_default()
}

fn align8(v: usize) -> usize {
    v.saturating_add(7) & !7
}

fn realtime(v: Option<u64>) -> Option<i64> {
    v.filter(|&t| t > 0 && t < i64::MAX as u64).map(|t| t as i64)
}

/// Decodes a whole journal file into `Decoded::text` (one line per entry).
pub fn decode(b: &[u8]) -> Decoded {
    collected(|sink| decode_into(b, sink))
}

/// Runs a streaming decoder and keeps its lines in `Decoded::text`.
pub(super) fn collected(decoder: impl FnOnce(&mut dyn FnMut(&[u8])) -> Decoded) -> Decoded {
    let mut text = Vec::new();
    let mut d = decoder(&mut |line: &[u8]| {
        text.extend_from_slice(line);
        text.push(b'\n');
    });
    d.text = text;
    d
}

/// Decodes a journal file, handing each entry's line (without its newline) to `sink` as it is
/// read, so a large journal never exists twice in memory.
pub fn decode_into(b: &[u8], sink: &mut dyn FnMut(&[u8])) -> Decoded {
    let mut out = Decoded::default();
    if b.len() < MIN_HEADER || &b[..8] != MAGIC {
        out.damage = Some("not a journal file, or its header is cut short".into());
        return out;
    }
    let compat = u32_at(b, 8).unwrap_or(0);
    let incompat = u32_at(b, 12).unwrap_or(0);
    let info = &mut out.info;
    info.state = match b[16] {
        0 => "offline",
        1 => "online",
        2 => "archived",
        _ => "unknown",
    }
    .to_string();
    info.sealed = compat & COMPAT_SEALED != 0;
    info.compact = incompat & INCOMPAT_COMPACT != 0;
    info.machine_id = id128(b, 40);
    info.seqnum_id = id128(b, 72);
    let header_size = u64_at(b, 88).unwrap_or(0) as usize;
    let arena_size = u64_at(b, 96).unwrap_or(0) as usize;
    info.header_entries = u64_at(b, 152).unwrap_or(0);
    info.tail_seqnum = u64_at(b, 160).filter(|&s| s > 0);
    info.head_seqnum = u64_at(b, 168).filter(|&s| s > 0);
    info.head_realtime = realtime(u64_at(b, 184));
    info.tail_realtime = realtime(u64_at(b, 192));
    if header_size < MIN_HEADER || header_size > b.len() {
        out.damage = Some(format!("header size {header_size} is impossible for a file of {} bytes", b.len()));
        return out;
    }
    let declared_end = header_size.saturating_add(arena_size);
    let end = declared_end.min(b.len());
    let compact = info.compact;
    let seqnum_id = info.seqnum_id.clone();
    let tail_object = u64_at(b, 136).unwrap_or(0) as usize;
    let mut off = align8(header_size);
    let mut last_seqnum: Option<u64> = None;
    let mut damage: Vec<String> = Vec::new();
    let mut line = Vec::with_capacity(4096);
    let mut boot_hex = (Vec::new(), String::new());
    while off + OBJECT_HEADER <= end {
        let kind = b[off];
        let size = u64_at(b, off + 8).unwrap_or(0) as usize;
        if kind == 0 && size == 0 && off > tail_object {
            // Preallocated, never written space: the end of the objects.
            break;
        }
        let valid = kind <= OBJECT_TAG && plausible(b, off, end);
        if !valid {
            if off.saturating_add(size.max(OBJECT_HEADER)) > b.len()
                && declared_end > b.len()
                && kind <= OBJECT_TAG
                && kind > 0
            {
                damage.push(format!(
                    "file truncated: the object at offset {off} needs {size} bytes, {} are left",
                    b.len() - off
                ));
                break;
            }
            // A damaged object header: resume at the next plausible object.
            match (off + 8..end.saturating_sub(OBJECT_HEADER)).step_by(8).find(|&o| plausible(b, o, end)) {
                Some(next) => {
                    damage.push(format!("damaged object at offset {off}: {} bytes skipped", next - off));
                    off = next;
                    continue;
                }
                None => {
                    damage.push(format!("damaged object at offset {off}: nothing readable after it"));
                    break;
                }
            }
        }
        if kind == OBJECT_ENTRY {
            line.clear();
            match entry(b, off, size, compact, &seqnum_id, &mut boot_hex, &mut line) {
                Ok(seqnum) => {
                    if let Some(prev) = last_seqnum {
                        if seqnum > prev + 1 {
                            out.info.seqnum_gaps.push((prev + 1, seqnum - 1));
                        }
                    }
                    last_seqnum = Some(seqnum);
                    if out.info.boots.last() != Some(&boot_hex.1) {
                        out.info.boots.push(boot_hex.1.clone());
                    }
                    sink(&line);
                    out.entries += 1;
                }
                Err(e) => damage.push(format!("entry at offset {off}: {e}")),
            }
        }
        off = align8(off + size);
    }
    out.info.entries_read = out.entries;
    if out.entries < out.info.header_entries && damage.is_empty() && out.info.state != "online" {
        damage.push(format!("the header counts {} entries, {} were found", out.info.header_entries, out.entries));
    }
    if !damage.is_empty() {
        let more = damage.len().saturating_sub(3);
        let mut text = damage.into_iter().take(3).collect::<Vec<_>>().join("; ");
        if more > 0 {
            text.push_str(&format!("; and {more} more"));
        }
        out.damage = Some(text);
    }
    out
}

/// Whether an object header at `off` looks like one systemd wrote: a known type, known
/// compression flags, zero reserved bytes and a size that fits.
fn plausible(b: &[u8], off: usize, end: usize) -> bool {
    let Some(h) = b.get(off..off + OBJECT_HEADER) else { return false };
    let size = u64_at(h, 8).unwrap_or(0) as usize;
    (1..=OBJECT_TAG).contains(&h[0])
        && h[1] & !(COMPRESSED_XZ | COMPRESSED_LZ4 | COMPRESSED_ZSTD) == 0
        && h[2..8].iter().all(|&c| c == 0)
        && size >= OBJECT_HEADER
        && off.checked_add(size).is_some_and(|e| e <= end)
}

/// Appends `v` to `out` as a JSON string.
fn json_str(out: &mut Vec<u8>, v: &str) {
    serde_json::to_writer(&mut *out, v).expect("writing to a Vec cannot fail");
}

/// Appends a field value as `journalctl -o json` writes it: a string when it is UTF-8, else an
/// array of its bytes.
fn json_bytes(out: &mut Vec<u8>, v: &[u8]) {
    match std::str::from_utf8(v) {
        Ok(s) => json_str(out, s),
        Err(_) => {
            out.push(b'[');
            for (i, c) in v.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(c.to_string().as_bytes());
            }
            out.push(b']');
        }
    }
}

/// One ENTRY object as a `journalctl -o json` line, written into `out`; returns its seqnum.
/// `boot` caches the last boot id and its hex form (consecutive entries share it).
fn entry(
    b: &[u8],
    off: usize,
    size: usize,
    compact: bool,
    seqnum_id: &str,
    boot: &mut (Vec<u8>, String),
    out: &mut Vec<u8>,
) -> Result<u64, String> {
    use std::borrow::Cow;
    use std::io::Write;
    if size < 64 {
        return Err(format!("entry object of {size} bytes is shorter than its fixed fields"));
    }
    let seqnum = u64_at(b, off + 16).ok_or("cut short")?;
    let rt = u64_at(b, off + 24).ok_or("cut short")?;
    let mono = u64_at(b, off + 32).ok_or("cut short")?;
    let xor = u64_at(b, off + 56).ok_or("cut short")?;
    let raw_boot = b.get(off + 40..off + 56).ok_or("cut short")?;
    if boot.0 != raw_boot {
        *boot = (raw_boot.to_vec(), hex::encode(raw_boot));
    }
    let bh = &boot.1;
    // Every field of the entry: its `NAME=value` payload and where `=` is, in entry order.
    let mut fields: Vec<(Cow<'_, [u8]>, usize)> = Vec::with_capacity((size - 64) / if compact { 4 } else { 16 });
    let step = if compact { 4 } else { 16 };
    let mut bad = 0usize;
    let mut at = off + 64;
    while at + step <= off.saturating_add(size) {
        let data_off = if compact { u32_at(b, at).map(u64::from) } else { u64_at(b, at) };
        at += step;
        match data_off.map(|d| data(b, d as usize, compact)) {
            Some(Ok(payload)) => match memchr::memchr(b'=', &payload) {
                Some(eq) => fields.push((payload, eq)),
                None => bad += 1,
            },
            _ => bad += 1,
        }
    }
    if bad > 0 && fields.is_empty() {
        return Err(format!("none of its {bad} fields could be read"));
    }
    write!(
        out,
        "{{\"__CURSOR\":\"s={seqnum_id};i={seqnum:x};b={bh};m={mono:x};t={rt:x};x={xor:x}\",\"__REALTIME_TIMESTAMP\":\"{rt}\",\"__MONOTONIC_TIMESTAMP\":\"{mono}\",\"_BOOT_ID\":\"{bh}\",\"__SEQNUM\":\"{seqnum}\",\"__SEQNUM_ID\":\"{seqnum_id}\""
    )
    .expect("writing to a Vec cannot fail");
    let name_of = |k: usize| &fields[k].0[..fields[k].1];
    let value_of = |k: usize| &fields[k].0[fields[k].1 + 1..];
    let mut done = vec![false; fields.len()];
    for i in 0..fields.len() {
        if done[i] {
            continue;
        }
        let name = String::from_utf8_lossy(name_of(i));
        out.push(b',');
        json_str(out, &name);
        out.push(b':');
        // A field the entry has more than once becomes an array of its values.
        if !(i + 1..fields.len()).any(|k| name_of(k) == name_of(i)) {
            json_bytes(out, value_of(i));
            continue;
        }
        out.push(b'[');
        for (k, d) in done.iter_mut().enumerate().skip(i) {
            if name_of(k) == name_of(i) {
                if k > i {
                    out.push(b',');
                }
                json_bytes(out, value_of(k));
                *d = true;
            }
        }
        out.push(b']');
    }
    if bad > 0 {
        write!(out, ",\"__LOGSLEUTH_UNREADABLE_FIELDS\":{bad}").expect("writing to a Vec cannot fail");
    }
    out.push(b'}');
    Ok(seqnum)
}

/// A DATA object's `FIELD=value` payload, decompressed.
fn data(b: &[u8], off: usize, compact: bool) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    if !off.is_multiple_of(8) || off.checked_add(OBJECT_HEADER).is_none_or(|e| e > b.len()) || b[off] != OBJECT_DATA {
        return Err(format!("no data object at offset {off}"));
    }
    let flags = b[off + 1];
    let size = u64_at(b, off + 8).unwrap_or(0) as usize;
    let start = off + if compact { 72 } else { 64 };
    let end = off.checked_add(size).filter(|&e| e <= b.len() && e >= start).ok_or("data object cut short")?;
    let payload = &b[start..end];
    let mut v = match flags & (COMPRESSED_XZ | COMPRESSED_LZ4 | COMPRESSED_ZSTD) {
        0 => return Ok(std::borrow::Cow::Borrowed(&payload[..payload.len().min(MAX_FIELD)])),
        COMPRESSED_XZ => liblzma::decode_all(payload).map_err(|e| format!("xz: {e}"))?,
        COMPRESSED_LZ4 => {
            let n = u64_at(payload, 0).ok_or("lz4 size missing")? as usize;
            let n = i32::try_from(n.min(MAX_FIELD)).map_err(|_| "lz4 size")?;
            lz4::block::decompress(&payload[8..], Some(n)).map_err(|e| format!("lz4: {e}"))?
        }
        COMPRESSED_ZSTD => zstd::stream::decode_all(payload).map_err(|e| format!("zstd: {e}"))?,
        other => return Err(format!("unknown compression flags {other}")),
    };
    v.truncate(MAX_FIELD);
    Ok(std::borrow::Cow::Owned(v))
}

/// Inserts a field's value; a field seen again turns into an array of its values (an array of
/// numbers is one binary value, not a list of values).
pub(crate) fn insert_field(obj: &mut Map<String, Value>, name: &str, value: Value) {
    match obj.get_mut(name) {
        None => {
            obj.insert(name.to_string(), value);
        }
        Some(Value::Array(vals)) if vals.first().is_some_and(|v| !v.is_number()) => vals.push(value),
        Some(prev) => {
            let first = prev.take();
            *prev = Value::Array(vec![first, value]);
        }
    }
}

/// A field value as `journalctl -o json` writes it.
pub fn json_value(v: &[u8]) -> Value {
    match std::str::from_utf8(v) {
        Ok(s) => Value::String(s.to_string()),
        Err(_) => Value::Array(v.iter().map(|&c| Value::from(c)).collect()),
    }
}

#[cfg(test)]
mod tests;
