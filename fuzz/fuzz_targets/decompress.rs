//! The decompressors (gzip single and multi-member, bzip2, xz, zstd) on arbitrary, truncated
//! and concatenated streams, chosen by magic bytes as ingest chooses them: no panic, no hang;
//! a damaged stream is an error, and what was decoded before it is kept. Output is capped so a
//! bomb costs at most 8 MiB here (ingest streams it instead).
#![no_main]

use std::io::Read;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use logsleuth_fuzz::decode::{looks_binary, open_decoded, Compression, Source};

fuzz_target!(|data: &[u8]| {
    let compression = Compression::sniff(data);
    let src = Source::Bytes(Arc::from(data));
    let Ok((reader, hash)) = open_decoded(&src, compression) else { return };
    let mut out = Vec::new();
    let _ = reader.take(8 << 20).read_to_end(&mut out);
    let _ = looks_binary(&out);
    assert!(hash.bytes() <= data.len() as u64, "the stored hash covers no more than the input");
});
