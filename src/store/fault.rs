//! Fault injection for the crash-consistency tests: with the cargo feature `fault-injection`
//! (never in a shipped build), `LOGSLEUTH_FAULT_AT=NAME` or `NAME#N` ends the process at once,
//! as a kill would (no destructor runs, the lock stays), when the commit sequence reaches its
//! first (or N-th) point NAME. The points, in order: `staged` (every part written to staging),
//! `journal_written` (the journal's temporary file synced), `committed` (the journal renamed
//! into place: the commit point), `deleted` (each replaced part removed), `moved` (each part
//! moved in), `parts_in` (all parts in), `manifest` (the new manifest in place), `done` (the
//! journal removed, before staging is cleaned up). Without the feature, [`point`] is nothing.

#[cfg(feature = "fault-injection")]
pub fn point(name: &str) {
    use std::sync::Mutex;
    static SEEN: Mutex<Vec<(String, usize)>> = Mutex::new(Vec::new());
    let Ok(want) = std::env::var("LOGSLEUTH_FAULT_AT") else { return };
    let (want_name, want_n) = match want.split_once('#') {
        Some((n, k)) => (n.to_string(), k.parse::<usize>().unwrap_or(1)),
        None => (want, 1),
    };
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    let n = match seen.iter_mut().find(|(s, _)| s == name) {
        Some((_, n)) => {
            *n += 1;
            *n
        }
        None => {
            seen.push((name.to_string(), 1));
            1
        }
    };
    if name == want_name && n == want_n {
        eprintln!("fault injection: stopping at {name}#{n}");
        std::process::abort();
    }
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn point(_name: &str) {}
