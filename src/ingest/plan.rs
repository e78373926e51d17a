//! Planning: for each discovered file, detect compression by magic bytes, read the start of its
//! content to reject binary files and sniff the format, place it in its logrotate set and give
//! year-less timestamps their year anchor (mtime, or the first line of the next newer file of
//! the set when the mtime cannot be right, e.g. after a copy that did not keep it).

use std::borrow::Cow;
use std::sync::Arc;

use rayon::prelude::*;

use super::clock::{self, TzArg, ZoneChoice, ZoneResolver};
use super::decode::{self, Compression};
use super::discover::{self, Candidate};
use super::rotation::{self, Generation, RotationName};
use crate::parse::time::{self, YearRule, YearSource, ANCHOR_SLACK_SECS};
use crate::parse::{self, FileCtx, FormatSpec};

/// Bytes of decompressed content read to sniff a file.
pub const HEAD_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub format: Option<&'static dyn FormatSpec>,
    pub year: Option<i64>,
    /// `--tz` values (zones per host and for all).
    pub tz: Vec<TzArg>,
    pub host: Option<String>,
}

/// What planning decided about one file.
pub struct Planned {
    pub compression: Compression,
    pub format: Option<&'static dyn FormatSpec>,
    pub head: Arc<[u8]>,
    pub rotation: RotationName,
    pub rotation_index: u32,
    pub ctx: FileCtx,
    /// What decided `ctx.host_hint`.
    pub host_source: discover::HostSource,
    /// The zone of the file's zone-less lines (`ctx.zone`) and what decided it.
    pub tz: ZoneChoice,
    /// The year check's verdict (see [`check_years`]).
    pub year_check: clock::YearVerdict,
    /// Sniffing's verdict: (sample lines the chosen format explains, sample lines), when sniffed.
    pub sniff_score: Option<(usize, usize)>,
    /// Set when the file is not read at all (binary, unreadable).
    pub skipped: Option<String>,
    pub error: Option<String>,
}

/// The lines of a head, borrowed from it when it is valid UTF-8 (checked once, not line by
/// line into new strings: planning reads every small file's whole text this way, three times).
fn head_lines(head: &[u8]) -> Vec<Cow<'_, str>> {
    let mut lines: Vec<Cow<'_, str>> = match std::str::from_utf8(head) {
        Ok(text) => text.split('\n').map(|l| Cow::Borrowed(l.strip_suffix('\r').unwrap_or(l))).collect(),
        Err(_) => {
            head.split(|&c| c == b'\n').map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l))).collect()
        }
    };
    // The last piece is empty (text ended with a newline) or a line cut by the sample size;
    // a cut line is still good for sniffing when it is the only one (a huge first line).
    if (head.len() >= HEAD_BYTES && lines.len() > 1) || head.last() == Some(&b'\n') {
        lines.pop();
    }
    lines
}

/// Probes every candidate discovery did not skip, in parallel: one opening of each file for its
/// compression and the head that archive detection and sniffing look at (a small file's whole
/// content, then not opened again).
pub fn probe(cands: &mut [Candidate]) {
    cands.par_iter_mut().filter(|c| c.skipped.is_none() && c.probed.is_none()).for_each(|c| {
        c.probed = Some(decode::Probed::of(&c.source(), HEAD_BYTES));
    });
}

/// Plans every candidate (none of them skipped by discovery).
pub fn plan(cands: &[&Candidate], opts: &PlanOptions) -> Vec<Planned> {
    // Probed when found; archive members (and callers that did not probe) are probed here.
    let probed: Vec<decode::Probed> = cands
        .par_iter()
        .map(|c| c.probed.clone().unwrap_or_else(|| decode::Probed::of(&c.source(), HEAD_BYTES)))
        .collect();
    let names: Vec<RotationName> = cands.iter().map(|c| rotation::parse(&c.rel)).collect();
    let sets = rotation::sets(&names);

    let mut zones = ZoneResolver::new(&opts.tz);
    let mut out: Vec<Option<Planned>> = cands.iter().map(|_| None).collect();
    for members in sets.values() {
        let mut newer_first_local: Option<i64> = None;
        let mut dated_rank = 0usize;
        for &i in members {
            let c = cands[i];
            let decode::Probed { compression, head, .. } = &probed[i];
            // An archive member: the archive's layout or collector decides, else what decides
            // for the (outermost) archive file itself.
            let (host, host_source) = match c.archive.as_ref() {
                Some(super::archive::Info { host: Some(h), .. }) => h.clone(),
                a => {
                    let archive = a.and_then(|a| a.archive.as_deref());
                    let rel = archive.map_or(c.rel.as_str(), |r| r.split(super::archive::SEP).next().unwrap_or(r));
                    discover::host_for(&c.abs, rel, opts.host.as_deref(), &c.input_name)
                }
            };
            // An archive member's host folder is inside the archive: its zone files too.
            let tz = match &c.archive {
                Some(a) if c.data.is_some() => {
                    zones.choose_in(&host, a.zone.clone().map(|(key, files)| (std::path::PathBuf::from(key), files)))
                }
                _ => zones.choose(&host, clock::host_root(&c.abs, &c.rel, host_source).as_deref()),
            };
            let mtime_local = c.mtime + tz.zone.offset_secs_at(c.mtime);
            let year = match (opts.year, newer_first_local) {
                (Some(y), _) => YearRule::Fixed(y),
                (None, Some(newer)) if mtime_local > newer + ANCHOR_SLACK_SECS => {
                    YearRule::Anchor { local_secs: newer, source: YearSource::Rotation }
                }
                _ => YearRule::Anchor { local_secs: mtime_local, source: YearSource::Mtime },
            };
            let ctx = FileCtx {
                rel_path: Arc::from(c.rel.as_str()),
                host_hint: Some(Arc::from(host.as_str())),
                year,
                zone: tz.zone,
            };
            let rotation_index = rotation::rotation_index(&names[i].generation, dated_rank);
            if matches!(names[i].generation, Generation::Dated(_)) {
                dated_rank += 1;
            }
            let mut p = Planned {
                compression: *compression,
                format: None,
                head: Arc::from([].as_slice()),
                rotation: names[i].clone(),
                rotation_index,
                ctx,
                host_source,
                tz,
                year_check: Default::default(),
                sniff_score: None,
                skipped: None,
                error: None,
            };
            match head {
                Err(e) => {
                    p.error = Some(e.clone());
                    newer_first_local = None;
                }
                Ok(h) if opts.format.is_none() && h.starts_with(super::journal::MAGIC) => {
                    p.format = Some(&parse::journal::JournalFileSpec);
                    newer_first_local = None;
                }
                Ok(h) if opts.format.is_none() && parse::journal::looks_like_export(h) => {
                    p.format = Some(&parse::journal::JournalExportSpec);
                    newer_first_local = None;
                }
                Ok(h) if decode::looks_binary(h) => {
                    p.skipped = Some("binary file, not a text log (e.g. wtmp, lastlog)".into());
                    newer_first_local = None;
                }
                Ok(h) => {
                    let lines = head_lines(h);
                    let refs: Vec<&str> = lines.iter().map(|l| l.as_ref()).collect();
                    p.format = match opts.format {
                        Some(f) => Some(f),
                        None => {
                            let s = parse::sniff(&refs);
                            p.sniff_score = Some((s.winner.map_or(0, |(_, n)| n), s.lines));
                            s.winner.map(|(f, _)| f)
                        }
                    };
                    newer_first_local = first_local_time(&refs, &p.ctx.year);
                    p.head = h.clone();
                }
            }
            out[i] = Some(p);
        }
    }
    let mut out: Vec<Planned> = out.into_iter().map(|p| p.expect("every candidate is in one rotation set")).collect();
    check_years(&mut out, cands);
    out
}

/// Lines per file parsed up front for the year check.
const YEAR_SAMPLE_LINES: usize = 200;

/// The year check ([`clock::check_years`]): samples each file's first lines with its own
/// parser, then moves year anchors by whole years where the lines that carry their year say so.
fn check_years(planned: &mut [Planned], cands: &[&Candidate]) {
    let samples: Vec<clock::YearSample> = planned
        .par_iter()
        .zip(cands.par_iter())
        .map(|(p, c)| {
            let mut s = clock::YearSample {
                host: p.ctx.host_hint.as_deref().unwrap_or("").to_string(),
                movable: matches!(p.ctx.year, YearRule::Anchor { .. }),
                ..Default::default()
            };
            let Some(format) = p.format.filter(|_| p.skipped.is_none() && p.error.is_none()) else { return s };
            let lines = head_lines(&p.head);
            let refs: Vec<&str> = lines.iter().map(|l| l.as_ref()).collect();
            let Ok(parser) = format.build(&p.ctx, &refs) else { return s };
            // The end of a plain file too: a source's span, not just its start, is what the
            // year-less lines are compared with.
            let tail = match p.compression {
                Compression::None => decode::read_tail_lines(&c.source(), c.size, HEAD_BYTES).unwrap_or_default(),
                _ => Vec::new(),
            };
            let tail = head_lines(&tail);
            let last = tail.len().saturating_sub(YEAR_SAMPLE_LINES);
            let sample = refs.iter().copied().take(YEAR_SAMPLE_LINES).chain(tail[last..].iter().map(|l| l.as_ref()));
            for line in sample {
                let mut ev = parse::Event::default();
                if parser.parse(line, &mut ev).is_err() {
                    continue;
                }
                match ev.year_source.as_deref() {
                    Some("mtime") | Some("rotation") => s.yearless.push(ev.timestamp),
                    Some("override") => {}
                    _ => s.explicit.push(ev.timestamp),
                }
            }
            s
        })
        .collect();
    let mtimes: Vec<i64> = cands.iter().map(|c| c.mtime).collect();
    let verdicts = clock::check_years(&samples, clock::mtimes_look_copied(&mtimes));
    for (p, v) in planned.iter_mut().zip(verdicts) {
        if v.shift_years != 0 {
            if let YearRule::Anchor { local_secs, .. } = p.ctx.year {
                p.ctx.year = YearRule::Anchor {
                    local_secs: clock::shift_anchor(local_secs, v.shift_years),
                    source: YearSource::CrossSource,
                };
            }
        }
        p.year_check = v;
    }
}

/// Local wall-clock seconds of the first syslog timestamp in the sample, resolved with the
/// file's own year rule.
fn first_local_time(lines: &[&str], rule: &YearRule) -> Option<i64> {
    for l in lines.iter().take(50) {
        let b = l.as_bytes();
        let b = if b.first() == Some(&b'<') {
            match b.iter().take(5).position(|&c| c == b'>') {
                Some(e) => &b[e + 1..],
                None => b,
            }
        } else {
            b
        };
        if let Some(t) = time::parse_bsd(b) {
            if let Some(y) = t.year {
                return Some(time::days_from_civil(y, t.month, t.day) * 86_400 + t.clock.secs());
            }
            return rule.resolve(t.month, t.day, t.clock.secs()).map(|(s, _)| s);
        }
        if let Some(t) = time::parse_iso(b) {
            return Some(t.local_micros / time::MICROS);
        }
    }
    None
}

/// The sniffed head as lines, for parser factories (CSV reads its header).
pub fn head_as_lines(head: &[u8]) -> Vec<Cow<'_, str>> {
    head_lines(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::{civil_from_days, days_from_civil};

    fn cand(dir: &std::path::Path, rel: &str, body: &str, mtime: i64) -> Candidate {
        let abs = dir.join(rel);
        std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
        std::fs::write(&abs, body).unwrap();
        Candidate {
            abs,
            rel: rel.into(),
            size: body.len() as u64,
            mtime,
            input_name: "ev".into(),
            ..Default::default()
        }
    }

    #[test]
    fn rotation_anchor_when_mtimes_were_lost() {
        let dir = tempfile::tempdir().unwrap();
        // Both files copied on 2027-03-01: the mtime of auth.log.1 says nothing about its end.
        let copy = days_from_civil(2027, 3, 1) * 86_400;
        let c0 = cand(dir.path(), "h/var/log/auth.log", "Jan  3 00:00:01 h sshd[1]: x\n", copy);
        let c1 = cand(
            dir.path(),
            "h/var/log/auth.log.1",
            "Dec 27 10:00:00 h sshd[1]: y\nJan  2 10:00:00 h sshd[1]: z\n",
            copy,
        );
        let opts = PlanOptions { format: None, year: None, tz: Vec::new(), host: None };
        let p = plan(&[&c0, &c1], &opts);
        assert_eq!(p[0].format.map(|f| f.id()), Some("syslog"));
        assert!(matches!(p[0].ctx.year, YearRule::Anchor { source: YearSource::Mtime, .. }));
        let YearRule::Anchor { local_secs, source } = p[1].ctx.year else { panic!() };
        assert_eq!(source, YearSource::Rotation);
        assert_eq!(civil_from_days(local_secs / 86_400), (2027, 1, 3));
        assert_eq!(p[1].rotation_index, 1);
        assert_eq!(p[0].ctx.host_hint.as_deref(), Some("h"));
        let (s, _) = p[1].ctx.year.resolve(12, 27, 0).unwrap();
        assert_eq!(civil_from_days(s / 86_400).0, 2026);
    }

    /// Lines borrowed from valid text, CRLF endings taken off, a cut last line dropped unless
    /// it is the only one; text with invalid bytes read line by line with replacement
    /// characters, as before.
    #[test]
    fn head_lines_of_valid_and_invalid_text() {
        let valid = b"Dec  1 10:00:00 h1 sshd[1]: a\r\nDec  1 10:00:01 h1 sshd[2]: b\n";
        let lines = head_lines(valid);
        assert_eq!(lines, ["Dec  1 10:00:00 h1 sshd[1]: a", "Dec  1 10:00:01 h1 sshd[2]: b"]);
        assert!(lines.iter().all(|l| matches!(l, Cow::Borrowed(_))));
        assert_eq!(head_lines(b"one line, no newline"), ["one line, no newline"]);
        let invalid = b"ok\nbad \xff byte\r\nlast\n";
        assert_eq!(head_lines(invalid), ["ok", "bad \u{fffd} byte", "last"]);
        // A head cut inside a character (the sample's size): the cut line goes, the rest stays.
        let mut cut = vec![b'x'; HEAD_BYTES - 1];
        cut[10] = b'\n';
        cut.extend_from_slice("é".as_bytes());
        cut.truncate(HEAD_BYTES);
        assert!(std::str::from_utf8(&cut).is_err());
        let lines = head_lines(&cut);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0], "x".repeat(10));
    }

    /// A small file is opened and read once, by its probe: what is hashed, sniffed and parsed
    /// is that one reading, even if the file changes after it. A file longer than the head is
    /// read from the file.
    #[test]
    fn small_files_are_read_from_their_probe() {
        let dir = tempfile::tempdir().unwrap();
        let line = "Jan  3 00:00:01 h sshd[1]: x\n";
        let small = cand(dir.path(), "h/var/log/auth.log", line, 0);
        let big = cand(dir.path(), "h/var/log/auth.log.1", &line.repeat(HEAD_BYTES / line.len() + 1), 0);
        let mut cands = vec![small, big];
        probe(&mut cands);
        std::fs::write(&cands[0].abs, "changed after it was read\n").unwrap();
        assert!(matches!(cands[0].source(), decode::Source::Bytes(b) if &*b == line.as_bytes()));
        assert!(matches!(cands[1].source(), decode::Source::File(p) if p == cands[1].abs));
        let opts = PlanOptions { format: None, year: None, tz: Vec::new(), host: None };
        let p = plan(&[&cands[0], &cands[1]], &opts);
        assert_eq!(&*p[0].head, line.as_bytes());
        assert_eq!(p[1].head.len(), HEAD_BYTES);
    }

    #[test]
    fn binary_files_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let abs = dir.path().join("wtmp");
        std::fs::write(&abs, [0u8; 1000]).unwrap();
        let c = Candidate { abs, rel: "wtmp".into(), size: 1000, input_name: "ev".into(), ..Default::default() };
        let opts = PlanOptions { format: None, year: None, tz: Vec::new(), host: None };
        let p = plan(&[&c], &opts);
        assert!(p[0].skipped.as_deref().unwrap().starts_with("binary"));
    }
}
