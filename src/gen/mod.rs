//! Deterministic evidence generator: the bundled sample case (`datasets/sample/`, a few hosts'
//! `/var/log` copies over four weeks across a year boundary, rotated and compressed, with
//! planted incidents of every kind the detectors look for) and a scalable benchmark tree.
//!
//! Everything derives from a fixed seed, so the same command writes byte-identical files
//! (and the same mtimes) on any machine. [`planted`] lists what was planted, for the tests.

pub mod bench;
pub mod linux;
pub mod scenario;
pub mod write;

pub use scenario::{planted, Planted};

/// Seconds since the epoch of a UTC civil time.
pub fn utc(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    crate::parse::time::days_from_civil(y, mo, d) * 86_400 + (h * 3600 + mi * 60 + s) as i64
}
