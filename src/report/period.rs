//! The reporting period: `--from/--to`, or `--last 7d` ending at the newest event (or
//! `--until now`/a time); the previous period of the same length is the comparison baseline.

use crate::timeline::filter::{Moment, Span};

/// When a period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    Newest,
    Now,
    At(Moment),
}

impl Until {
    pub fn parse(s: &str) -> Result<Until, String> {
        match s {
            "now" => Ok(Until::Now),
            "newest" => Ok(Until::Newest),
            other => Moment::parse(other).map(Until::At),
        }
    }
}

/// A resolved period, UTC micros, inclusive start and exclusive end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
    /// Whether a period was asked for (and so a comparison with the one before makes sense).
    pub explicit: bool,
}

impl Period {
    /// Resolves the options against the case's oldest and newest event.
    pub fn resolve(
        from: Option<Moment>,
        to: Option<Moment>,
        last: Option<Span>,
        until: Until,
        oldest: i64,
        newest: i64,
    ) -> Period {
        let end = match until {
            Until::Newest => newest + 1,
            Until::Now => {
                let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                d.as_micros() as i64
            }
            Until::At(m) => m.resolve(newest),
        };
        if let Some(span) = last {
            return Period { from: end - span.0, to: end, explicit: true };
        }
        let f = from.map(|m| m.resolve(newest));
        let t = to.map(|m| m.resolve(newest));
        Period { from: f.unwrap_or(oldest), to: t.map_or(newest + 1, |t| t + 1), explicit: f.is_some() || t.is_some() }
    }

    pub fn previous(&self) -> Period {
        let len = self.to - self.from;
        Period { from: self.from - len, to: self.from, explicit: true }
    }

    /// Whether the moment `t` falls in the period.
    pub fn contains(&self, t: i64) -> bool {
        t >= self.from && t < self.to
    }

    pub fn contains_span(&self, first: i64, last: i64) -> bool {
        first < self.to && last >= self.from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_week_ends_at_the_newest_event() {
        let day = 86_400_000_000i64;
        let p = Period::resolve(None, None, Some(Span(7 * day)), Until::Newest, 0, 30 * day);
        assert_eq!((p.from, p.to), (23 * day + 1, 30 * day + 1));
        let prev = p.previous();
        assert_eq!(prev.to, p.from);
        assert_eq!(prev.to - prev.from, 7 * day);
        let all = Period::resolve(None, None, None, Until::Newest, 5, 10);
        assert_eq!((all.from, all.to, all.explicit), (5, 11, false));
        assert!(all.contains_span(0, 5) && !all.contains_span(11, 20));
        assert!(all.contains(5) && all.contains(10) && !all.contains(11) && !all.contains(4));
    }
}
