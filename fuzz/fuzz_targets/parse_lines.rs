//! Every format's parser on arbitrary lines: no panic, no hang; each line is an event (which
//! the Arrow builder then takes, as the writer would) or a reject with a reason; grouped
//! formats (auditd) also parse the lines as one group, as the pipeline joins them.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use logsleuth_fuzz::parse::time::{YearRule, YearSource, Zone};
use logsleuth_fuzz::parse::{FileCtx, FORMATS};
use logsleuth_fuzz::schema::{Event, EventBuilder};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the format and the zone; the rest are the file's lines, read as the
    // pipeline reads them (invalid UTF-8 replaced).
    let Some((&pick, body)) = data.split_first() else { return };
    let spec = FORMATS[pick as usize % FORMATS.len()];
    if spec.transcode().is_some() {
        return; // binary journals and export streams are decoded first (decompress, journal tests)
    }
    let zone = match pick / 64 {
        0 => Zone::Utc,
        1 => Zone::Fixed(-420),
        2 => Zone::Fixed(14 * 60),
        _ => Zone::parse("Europe/Berlin").unwrap(),
    };
    let text = String::from_utf8_lossy(body);
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    let ctx = FileCtx {
        rel_path: Arc::from("web01/var/log/fuzz.log"),
        host_hint: Some(Arc::from("web01")),
        year: YearRule::Anchor { local_secs: 1_767_225_600, source: YearSource::Mtime },
        zone,
    };
    let head: Vec<&str> = lines.iter().copied().take(64).collect();
    let Ok(parser) = spec.build(&ctx, &head) else { return };
    let mut batch = EventBuilder::with_capacity(lines.len(), text.len());
    let (mut events, mut rejects) = (0usize, 0usize);
    for line in &lines {
        let mut ev = Event { event_count: Some(1), ..Default::default() };
        match parser.parse(line, &mut ev) {
            Ok(_) => {
                batch.push(&ev);
                events += 1;
            }
            Err(r) => {
                assert!(!r.reason.is_empty(), "a reject says why");
                let _ = parser.continues(line);
                rejects += 1;
            }
        }
    }
    assert_eq!(events + rejects, lines.len(), "every line is an event or a reject");
    if parser.grouped() && !lines.is_empty() {
        for line in &lines {
            let _ = parser.group_key(line);
        }
        let mut ev = Event { event_count: Some(1), ..Default::default() };
        if parser.parse_group(&lines, &mut ev).is_ok() {
            batch.push(&ev);
        }
    }
    let b = batch.finish();
    assert_eq!(b.num_rows(), events + usize::from(parser.grouped() && b.num_rows() > events));
});
