//! `journalctl -o export` streams (systemd's Journal Export Format): entries separated by an
//! empty line; a field is `NAME=value\n`, or, when the value is binary or has a line break,
//! `NAME\n`, a little-endian 64-bit length, the raw bytes and `\n`. Decoded into the same
//! `journalctl -o json` lines as journal files.

use serde_json::{Map, Value};

use super::{json_value, Decoded};

/// Decodes a whole export stream into `Decoded::text` (one line per entry).
pub fn decode(b: &[u8]) -> Decoded {
    super::collected(|sink| decode_into(b, sink))
}

/// Decodes an export stream, handing each entry's line (without its newline) to `sink`.
pub fn decode_into(b: &[u8], sink: &mut dyn FnMut(&[u8])) -> Decoded {
    let mut out = Decoded::default();
    let mut obj = Map::new();
    let mut pos = 0usize;
    let mut flush = |obj: &mut Map<String, Value>, out: &mut Decoded| {
        if !obj.is_empty() {
            sink(Value::Object(std::mem::take(obj)).to_string().as_bytes());
            out.entries += 1;
        }
    };
    while pos < b.len() {
        let nl = memchr::memchr(b'\n', &b[pos..]).map(|i| pos + i);
        let line = &b[pos..nl.unwrap_or(b.len())];
        if line.is_empty() {
            flush(&mut obj, &mut out);
            pos += 1;
            continue;
        }
        match memchr::memchr(b'=', line) {
            Some(eq) => {
                add(&mut obj, &line[..eq], &line[eq + 1..]);
                pos = nl.map_or(b.len(), |i| i + 1);
            }
            None => {
                // A binary field: NAME\n, le64 length, bytes, \n.
                let Some(nl) = nl else {
                    out.damage = Some(format!("field name without a value at byte {pos}: the stream is cut short"));
                    break;
                };
                let len_at = nl + 1;
                let Some(len) = b.get(len_at..len_at + 8).map(|s| u64::from_le_bytes(s.try_into().expect("8"))) else {
                    out.damage = Some(format!("binary field cut short at byte {len_at}"));
                    break;
                };
                let start = len_at + 8;
                let Some(end) = usize::try_from(len).ok().and_then(|l| start.checked_add(l)).filter(|&e| e <= b.len())
                else {
                    out.damage = Some(format!("binary field of {len} bytes at byte {start} is cut short"));
                    break;
                };
                add(&mut obj, line, &b[start..end]);
                pos = end + usize::from(b.get(end) == Some(&b'\n'));
            }
        }
    }
    if out.damage.is_some() {
        // The entry being read when the stream ended is kept as far as it went.
        obj.insert("__LOGSLEUTH_INCOMPLETE".into(), true.into());
    }
    flush(&mut obj, &mut out);
    out.info.entries_read = out.entries;
    out
}

fn add(obj: &mut Map<String, Value>, name: &[u8], value: &[u8]) {
    super::insert_field(obj, &String::from_utf8_lossy(name), json_value(value));
}
