//! Export streams as `journalctl -o export` writes them (systemd's Journal Export Format spec:
//! text fields `NAME=value`, binary or multi-line fields as name, 64-bit LE length, bytes).
//! Journal files themselves are made by systemd-journal-remote in the integration tests.

use super::*;

fn export_entry(fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        if value.contains(&b'\n') || std::str::from_utf8(value).is_err() {
            out.extend_from_slice(name.as_bytes());
            out.push(b'\n');
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
            out.extend_from_slice(value);
            out.push(b'\n');
        } else {
            out.extend_from_slice(format!("{name}={}\n", String::from_utf8_lossy(value)).as_bytes());
        }
    }
    out.push(b'\n');
    out
}

fn lines(d: &Decoded) -> Vec<Value> {
    String::from_utf8(d.text.clone()).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn export_text_binary_and_multiline_fields() {
    let mut s = export_entry(&[
        ("__CURSOR", b"s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;b=6c7c6013a8e0446eb3c3d0a5a8b5e4f1;m=a;t=b;x=c"),
        ("__REALTIME_TIMESTAMP", b"1767225600000000"),
        ("_HOSTNAME", b"deb12"),
        ("MESSAGE", b"line one\nline two"),
    ]);
    s.extend(export_entry(&[("__REALTIME_TIMESTAMP", b"1767225601000000"), ("MESSAGE", b"bad \xff byte")]));
    let d = export::decode(&s);
    assert_eq!(d.entries, 2);
    assert_eq!(d.damage, None);
    let v = lines(&d);
    assert_eq!(v[0]["MESSAGE"], "line one\nline two");
    assert_eq!(v[0]["_HOSTNAME"], "deb12");
    assert_eq!(v[1]["MESSAGE"].as_array().unwrap().len(), 10, "non-UTF-8 as a byte array, like -o json");
}

#[test]
fn export_cut_short_keeps_what_was_read() {
    let mut s = export_entry(&[("__REALTIME_TIMESTAMP", b"1767225600000000"), ("MESSAGE", b"ok")]);
    s.extend_from_slice(b"__REALTIME_TIMESTAMP=1767225601000000\nMESSAGE\n\x40\x00\x00\x00\x00\x00\x00\x00short");
    let d = export::decode(&s);
    assert_eq!(d.entries, 2);
    assert!(d.damage.as_deref().unwrap().contains("cut short"), "{:?}", d.damage);
    assert_eq!(lines(&d)[1]["__LOGSLEUTH_INCOMPLETE"], true);
}

#[test]
fn repeated_fields_become_arrays() {
    let d =
        export::decode(&export_entry(&[("__REALTIME_TIMESTAMP", b"1"), ("TAG", b"a"), ("TAG", b"b"), ("TAG", b"c")]));
    assert_eq!(lines(&d)[0]["TAG"], serde_json::json!(["a", "b", "c"]));
}

#[test]
fn not_a_journal_or_a_cut_header() {
    assert!(decode(b"hello").damage.is_some());
    let mut h = MAGIC.to_vec();
    h.resize(100, 0);
    assert!(decode(&h).damage.unwrap().contains("header"));
    // A header that claims more than the file holds.
    let mut h = MAGIC.to_vec();
    h.resize(272, 0);
    h[88..96].copy_from_slice(&4096u64.to_le_bytes());
    assert!(decode(&h).damage.unwrap().contains("impossible"));
}

/// A DATA object as journal-def.h lays it out, with systemd's compression framing
/// (compress.c: XZ and ZSTD as whole streams, LZ4 as a block after a 64-bit LE size).
fn data_object(flags: u8, payload: &[u8], compact: bool) -> Vec<u8> {
    let head = if compact { 72 } else { 64 };
    let mut o = vec![0u8; head];
    o[0] = OBJECT_DATA;
    o[1] = flags;
    o.extend_from_slice(payload);
    let size = o.len() as u64;
    o[8..16].copy_from_slice(&size.to_le_bytes());
    while !o.len().is_multiple_of(8) {
        o.push(0);
    }
    o
}

#[test]
fn data_objects_in_every_codec() {
    let field = format!("MESSAGE={}", "Failed password for root ".repeat(40));
    let xz = liblzma::encode_all(field.as_bytes(), 6).unwrap();
    let mut lz4 = (field.len() as u64).to_le_bytes().to_vec();
    lz4.extend(lz4::block::compress(field.as_bytes(), None, false).unwrap());
    let zstd = zstd::stream::encode_all(field.as_bytes(), 3).unwrap();
    for compact in [false, true] {
        for (flags, payload) in [
            (0, field.as_bytes().to_vec()),
            (COMPRESSED_XZ, xz.clone()),
            (COMPRESSED_LZ4, lz4.clone()),
            (COMPRESSED_ZSTD, zstd.clone()),
        ] {
            let obj = data_object(flags, &payload, compact);
            assert_eq!(data(&obj, 0, compact).unwrap(), field.as_bytes(), "flags {flags} compact {compact}");
        }
    }
    let bad = data_object(COMPRESSED_ZSTD, b"not zstd", true);
    assert!(data(&bad, 0, true).unwrap_err().contains("zstd"));
    assert!(data(&bad, 8, true).is_err(), "no object there");
}

#[test]
fn an_entry_with_repeated_binary_and_compressed_fields() {
    // Data objects (compact), then an ENTRY object listing them, as journal-def.h lays it out.
    let mut b = Vec::new();
    let mut offsets = Vec::new();
    let zstd = zstd::stream::encode_all(&b"MESSAGE=hello"[..], 3).unwrap();
    for (flags, payload) in
        [(0, b"TAG=a".to_vec()), (0, b"TAG=b".to_vec()), (0, b"BIN=\xff\x00".to_vec()), (COMPRESSED_ZSTD, zstd)]
    {
        offsets.push(b.len() as u32);
        b.extend(data_object(flags, &payload, true));
    }
    let off = b.len();
    let mut e = vec![0u8; 64];
    e[0] = OBJECT_ENTRY;
    e[16..24].copy_from_slice(&7u64.to_le_bytes());
    e[24..32].copy_from_slice(&1_767_225_600_000_000u64.to_le_bytes());
    for o in &offsets {
        e.extend_from_slice(&o.to_le_bytes());
    }
    let size = e.len() as u64;
    e[8..16].copy_from_slice(&size.to_le_bytes());
    b.extend(e);
    let mut out = Vec::new();
    let mut boot = (Vec::new(), String::new());
    assert_eq!(entry(&b, off, size as usize, true, "abc", &mut boot, &mut out), Ok(7));
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["TAG"], serde_json::json!(["a", "b"]));
    assert_eq!(v["BIN"], serde_json::json!([255, 0]));
    assert_eq!(v["MESSAGE"], "hello");
    assert_eq!(v["__SEQNUM"], "7");
    assert_eq!(v["__REALTIME_TIMESTAMP"], "1767225600000000");
    assert!(v["__CURSOR"].as_str().unwrap().starts_with("s=abc;i=7;b=0000"));
}

/// A small journal as journal-def.h lays it out: a 272-byte header, data objects and entries.
fn tiny_journal(entries: usize) -> Vec<u8> {
    let mut b = vec![0u8; 272];
    b[..8].copy_from_slice(MAGIC);
    b[12..16].copy_from_slice(&(INCOMPAT_COMPACT).to_le_bytes());
    b[88..96].copy_from_slice(&272u64.to_le_bytes());
    for n in 0..entries {
        let mut offsets = Vec::new();
        for payload in [format!("MESSAGE=entry {n}"), "_HOSTNAME=h1".to_string()] {
            offsets.push(b.len() as u32);
            b.extend(data_object(0, payload.as_bytes(), true));
        }
        let mut e = vec![0u8; 64];
        e[0] = OBJECT_ENTRY;
        e[16..24].copy_from_slice(&(n as u64 + 1).to_le_bytes());
        e[24..32].copy_from_slice(&(1_767_225_600_000_000u64 + n as u64).to_le_bytes());
        for o in &offsets {
            e.extend_from_slice(&o.to_le_bytes());
        }
        let size = e.len() as u64;
        e[8..16].copy_from_slice(&size.to_le_bytes());
        while !e.len().is_multiple_of(8) {
            e.push(0);
        }
        b.extend(e);
    }
    let arena = (b.len() - 272) as u64;
    b[96..104].copy_from_slice(&arena.to_le_bytes());
    b[152..160].copy_from_slice(&(entries as u64).to_le_bytes());
    b
}

#[test]
fn a_tiny_journal_reads_and_damage_never_panics() {
    use rand::{Rng, SeedableRng};
    let good = tiny_journal(20);
    let d = decode(&good);
    assert_eq!((d.entries, d.damage.as_deref()), (20, None));
    let v: Value = serde_json::from_str(String::from_utf8(d.text).unwrap().lines().nth(3).unwrap()).unwrap();
    assert_eq!(v["MESSAGE"], "entry 3");
    // Random damage: flipped bytes, cut files, huge sizes. Every outcome is entries and/or a
    // damage note, never a panic, and never more entries than were written.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    for round in 0..3000 {
        let mut b = good.clone();
        for _ in 0..rng.random_range(1..8) {
            let i = rng.random_range(0..b.len());
            b[i] = rng.random();
        }
        if round % 3 == 0 {
            let cut = rng.random_range(0..b.len());
            b.truncate(cut);
        }
        if round % 5 == 0 && b.len() > 300 {
            let i = 272 + rng.random_range(0..(b.len() - 280) / 8) * 8;
            b[i + 8..i + 16].copy_from_slice(&u64::MAX.to_le_bytes());
        }
        let d = decode(&b);
        assert!(d.entries <= 20);
        let e = export::decode(&b);
        assert!(e.entries <= b.len() as u64);
    }
}
