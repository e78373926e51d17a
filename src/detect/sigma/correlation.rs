//! Sigma correlation rules over the matches of the rules they name: `event_count`,
//! `value_count`, `temporal` and `temporal_ordered`, per `group-by` value, over sliding windows
//! of `timespan`, the way the built-in rules slide theirs (`ssh_bruteforce`'s
//! `LAG(timestamp, N - 1)`): a window is the `timespan` that ends at an event, every window that
//! meets the condition qualifies, and a group's finding spans from the start of its first
//! qualifying window to the end of its last, counting the events in between.

use std::collections::{BTreeMap, HashMap};

use super::rule::{Bounds, CorrelationType};

/// One event of a correlated rule (small and plain: a correlation over the attempt ledger of a
/// large case sees millions).
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub ts: i64,
    /// The event's file (a rank in file-name order) and line: the order of events at one time.
    pub file: u32,
    pub line: i64,
    /// Which of the correlation's rules matched it (index into its `rules`).
    pub kind: usize,
    /// Its `group-by` values, interned (events with any of them null take no part).
    pub group: u32,
    /// `value_count`: the counted field's value, interned.
    pub value: Option<u32>,
    /// Where the caller keeps the rest of it.
    pub at: (u32, u32),
}

/// A group that met the condition.
#[derive(Debug, Clone)]
pub struct Hit {
    pub group: u32,
    pub first: i64,
    pub last: i64,
    /// The group's events from `first` to `last`, in time order.
    pub events: Vec<Event>,
    /// The largest count (events, distinct values, or rules) a qualifying window reached.
    pub peak: usize,
}

/// Evaluates a correlation over its rules' events.
pub fn evaluate(kind: CorrelationType, rules: usize, span: i64, cond: &Bounds, events: Vec<Event>) -> Vec<Hit> {
    let mut groups: BTreeMap<u32, Vec<Event>> = BTreeMap::new();
    for e in events {
        groups.entry(e.group).or_default().push(e);
    }
    let mut out = Vec::new();
    for (group, mut evs) in groups {
        evs.sort_by_key(|e| (e.ts, e.file, e.line, e.kind));
        if kind == CorrelationType::ValueCount {
            evs.retain(|e| e.value.is_some());
        }
        let windows = match kind {
            CorrelationType::EventCount => counted(&evs, span, cond, false),
            CorrelationType::ValueCount => counted(&evs, span, cond, true),
            CorrelationType::Temporal => temporal(&evs, span, rules, cond),
            CorrelationType::TemporalOrdered => ordered(&evs, span, rules),
        };
        let Some((first, last, peak)) = windows else { continue };
        let events: Vec<Event> = evs.into_iter().filter(|e| e.ts >= first && e.ts <= last).collect();
        out.push(Hit { group, first, last, events, peak });
    }
    out
}

/// Windows ending at each event, counting events or (`values`) distinct values: the span from
/// the earliest start to the latest end of the windows that meet `cond`, and the peak count.
fn counted(evs: &[Event], span: i64, cond: &Bounds, values: bool) -> Option<(i64, i64, usize)> {
    let key = |e: &Event| if values { e.value } else { None };
    let mut lo = 0;
    let mut distinct: HashMap<u32, usize> = HashMap::new();
    let mut best: Option<(i64, i64, usize)> = None;
    for j in 0..evs.len() {
        if let Some(k) = key(&evs[j]) {
            *distinct.entry(k).or_default() += 1;
        }
        while evs[j].ts - evs[lo].ts > span {
            if let Some(k) = key(&evs[lo]) {
                if let Some(n) = distinct.get_mut(&k) {
                    *n -= 1;
                    if *n == 0 {
                        distinct.remove(&k);
                    }
                }
            }
            lo += 1;
        }
        let n = if values { distinct.len() } else { j - lo + 1 };
        if cond.holds(n as f64) {
            best = Some(match best {
                None => (evs[lo].ts, evs[j].ts, n),
                Some((f, l, p)) => (f.min(evs[lo].ts), l.max(evs[j].ts), p.max(n)),
            });
        }
    }
    best
}

/// `temporal`: windows holding events of all the rules (or, with a condition, of as many
/// different rules as it asks).
fn temporal(evs: &[Event], span: i64, rules: usize, cond: &Bounds) -> Option<(i64, i64, usize)> {
    let mut lo = 0;
    let mut per = vec![0usize; rules];
    let mut kinds = 0;
    let mut best: Option<(i64, i64, usize)> = None;
    for j in 0..evs.len() {
        if per[evs[j].kind] == 0 {
            kinds += 1;
        }
        per[evs[j].kind] += 1;
        while evs[j].ts - evs[lo].ts > span {
            per[evs[lo].kind] -= 1;
            if per[evs[lo].kind] == 0 {
                kinds -= 1;
            }
            lo += 1;
        }
        let ok = if *cond == Bounds::default() { kinds == rules } else { cond.holds(kinds as f64) };
        if ok {
            best = Some(match best {
                None => (evs[lo].ts, evs[j].ts, kinds),
                Some((f, l, p)) => (f.min(evs[lo].ts), l.max(evs[j].ts), p.max(kinds)),
            });
        }
    }
    best
}

/// `temporal_ordered`: an event of each rule, in the rules' order, within the timespan. For
/// each event of the last rule, the latest event of each earlier rule before it (the latest
/// choice leaves the most room for the ones before).
fn ordered(evs: &[Event], span: i64, rules: usize) -> Option<(i64, i64, usize)> {
    let mut positions: Vec<Vec<usize>> = vec![Vec::new(); rules];
    for (i, e) in evs.iter().enumerate() {
        positions[e.kind].push(i);
    }
    let mut best: Option<(i64, i64, usize)> = None;
    for &j in &positions[rules - 1] {
        let end = evs[j].ts;
        let mut at = j;
        let mut ok = true;
        for k in (0..rules - 1).rev() {
            // The latest event of rule k strictly before position `at`.
            let p = &positions[k];
            let n = p.partition_point(|&x| x < at);
            if n == 0 || end - evs[p[n - 1]].ts > span {
                ok = false;
                break;
            }
            at = p[n - 1];
        }
        if ok {
            let start = evs[at].ts;
            best = Some(match best {
                None => (start, end, rules),
                Some((f, l, p)) => (f.min(start), l.max(end), p),
            });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000_000;

    fn ev(ts_min: i64, kind: usize, group: &str, value: Option<&str>) -> Event {
        let intern = |s: &str| s.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
        Event {
            ts: ts_min * MIN,
            file: 0,
            line: ts_min,
            kind,
            group: intern(group),
            value: value.map(intern),
            at: (0, 0),
        }
    }

    fn gte(n: f64) -> Bounds {
        Bounds { gte: Some(n), ..Default::default() }
    }

    #[test]
    fn event_count_at_the_window_boundary() {
        // 5 events in exactly 30 minutes: the window includes both ends.
        let evs: Vec<Event> = [0, 10, 20, 25, 30].iter().map(|&t| ev(t, 0, "a", None)).collect();
        let hits = evaluate(CorrelationType::EventCount, 1, 30 * MIN, &gte(5.0), evs.clone());
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].first, hits[0].last, hits[0].events.len()), (0, 30 * MIN, 5));
        // One microsecond too long: no window holds 5.
        let mut late = evs;
        late[4].ts += 1;
        assert!(evaluate(CorrelationType::EventCount, 1, 30 * MIN, &gte(5.0), late).is_empty());
    }

    #[test]
    fn event_count_spans_every_qualifying_window_per_group() {
        let mut evs: Vec<Event> = [0, 1, 2, 100, 101, 102, 103].iter().map(|&t| ev(t, 0, "a", None)).collect();
        evs.push(ev(5, 0, "b", None));
        let hits = evaluate(CorrelationType::EventCount, 1, 10 * MIN, &gte(3.0), evs);
        assert_eq!(hits.len(), 1, "group b has one event");
        assert_eq!((hits[0].first, hits[0].last), (0, 103 * MIN));
        assert_eq!(hits[0].events.len(), 7);
        assert_eq!(hits[0].peak, 4);
        // gt 3 needs four events in a window: only the second burst.
        let gt = Bounds { gt: Some(3.0), ..Default::default() };
        let evs: Vec<Event> = [0, 1, 2, 100, 101, 102, 103].iter().map(|&t| ev(t, 0, "a", None)).collect();
        let hits = evaluate(CorrelationType::EventCount, 1, 10 * MIN, &gt, evs);
        assert_eq!((hits[0].first, hits[0].last), (100 * MIN, 103 * MIN));
    }

    #[test]
    fn value_count_counts_distinct_values_in_the_window() {
        let users = ["u1", "u2", "u1", "u3", "u4"];
        let evs: Vec<Event> = users.iter().enumerate().map(|(i, u)| ev(i as i64 * 10, 0, "ip", Some(u))).collect();
        // u1..u4: four distinct names within 40 minutes.
        let hits = evaluate(CorrelationType::ValueCount, 1, 40 * MIN, &gte(4.0), evs.clone());
        assert_eq!((hits[0].first, hits[0].last, hits[0].peak), (0, 40 * MIN, 4));
        // Within 30 minutes: u2, u1, u3, u4 from minute 10 to 40.
        let hits = evaluate(CorrelationType::ValueCount, 1, 30 * MIN, &gte(4.0), evs.clone());
        assert_eq!((hits[0].first, hits[0].last), (10 * MIN, 40 * MIN));
        // Within 20 minutes at most three distinct names.
        assert!(evaluate(CorrelationType::ValueCount, 1, 20 * MIN, &gte(4.0), evs).is_empty());
    }

    #[test]
    fn temporal_needs_every_rule_within_the_span_in_any_order() {
        let evs = vec![ev(0, 1, "h", None), ev(5, 0, "h", None), ev(50, 2, "h", None)];
        assert!(evaluate(CorrelationType::Temporal, 3, 10 * MIN, &Bounds::default(), evs.clone()).is_empty());
        let hits = evaluate(CorrelationType::Temporal, 3, 50 * MIN, &Bounds::default(), evs.clone());
        assert_eq!((hits[0].first, hits[0].last), (0, 50 * MIN));
        // A condition on how many different rules: two of three within 10 minutes.
        let hits = evaluate(CorrelationType::Temporal, 3, 10 * MIN, &gte(2.0), evs);
        assert_eq!((hits[0].first, hits[0].last), (0, 5 * MIN));
    }

    #[test]
    fn temporal_ordered_needs_the_rules_order() {
        // rule 1 before rule 0: not in order.
        let evs = vec![ev(0, 1, "h", None), ev(5, 0, "h", None)];
        assert!(evaluate(CorrelationType::TemporalOrdered, 2, 60 * MIN, &Bounds::default(), evs).is_empty());
        let evs = vec![ev(0, 0, "h", None), ev(5, 0, "h", None), ev(9, 1, "h", None)];
        let hits = evaluate(CorrelationType::TemporalOrdered, 2, 4 * MIN, &Bounds::default(), evs.clone());
        assert_eq!((hits[0].first, hits[0].last), (5 * MIN, 9 * MIN), "the latest earlier event is chosen");
        // At the boundary: exactly the span apart still counts, one more microsecond does not.
        let hits = evaluate(
            CorrelationType::TemporalOrdered,
            2,
            9 * MIN,
            &Bounds::default(),
            vec![ev(0, 0, "h", None), ev(9, 1, "h", None)],
        );
        assert_eq!(hits.len(), 1);
        let mut late = vec![ev(0, 0, "h", None), ev(9, 1, "h", None)];
        late[1].ts += 1;
        assert!(evaluate(CorrelationType::TemporalOrdered, 2, 9 * MIN, &Bounds::default(), late).is_empty());
    }
}
