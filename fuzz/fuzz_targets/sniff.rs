//! The format sniffer on an arbitrary file head: no panic, no hang, and its verdict follows
//! its documented rule (the winner explains the most lines, at least one and a third).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logsleuth_fuzz::parse::{sniff, SNIFF_LINES};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.lines().collect();
    let s = sniff(&lines);
    assert!(s.lines <= SNIFF_LINES);
    if let Some((_, hits)) = s.winner {
        assert!(hits >= 1 && hits * 3 >= s.lines && hits <= s.lines);
        assert!(s.scores.iter().all(|(_, h)| *h <= hits));
    }
});
