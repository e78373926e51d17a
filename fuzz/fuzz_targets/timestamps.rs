//! The timestamp scanners on arbitrary bytes: no panic (no overflow, no slice out of bounds),
//! and what they read is consistent: a parsed ISO time formats back to RFC 3339 and parses
//! again to the same instant; lengths consumed stay within the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logsleuth_fuzz::parse::time::*;

fuzz_target!(|data: &[u8]| {
    if let Some((_, n)) = parse_clock(data) {
        assert!(n <= data.len());
    }
    if let Some((off, n)) = parse_offset(data) {
        assert!(n <= data.len() && off.abs() <= 24 * 60);
    }
    if let Some(t) = parse_iso(data) {
        let utc = t.utc_micros(&Zone::Utc);
        let _ = t.utc_micros(&Zone::Fixed(-720));
        let text = format_rfc3339(utc);
        assert_eq!(parse_rfc3339_utc(&text), Some(utc), "{text}");
    }
    if let Some((_, n)) = parse_slashed(data) {
        assert!(n <= data.len());
    }
    let _ = parse_bsd(data);
    if let Some((_, n)) = parse_ctime(data) {
        assert!(n <= data.len());
    }
    let _ = parse_apache(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_rfc3339_utc(s);
        if let Ok(z) = Zone::parse(s) {
            let _ = z.local_to_utc(i64::from(data.len() as u32) * 86_400_000_000);
        }
        if let Ok(v) = s.trim().parse::<f64>() {
            let _ = epoch_to_micros(v);
        }
    }
});
