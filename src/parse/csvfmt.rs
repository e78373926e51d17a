//! CSV with a header row (e.g. `timestamp,user_id,source_ip,destination_ip,action,success`).
//! The header names map onto the schema through [`super::fields`]; unmapped columns go to
//! `event_extra`. The header row itself (and any repeat of it, as in concatenated exports) is
//! recorded as a reject with reason `csv header row`, so lines = events + rejects holds.
//! A quoted field spanning lines is not joined: each physical line is judged on its own.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::fields::{self, Target};
use super::{Event, FileCtx, FormatSpec, LineParser, Module, Reject};
use crate::schema::action;

pub struct CsvSpec;

fn split_record(line: &str) -> Option<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(line.as_bytes());
    let mut rec = csv::StringRecord::new();
    match rdr.read_record(&mut rec) {
        Ok(true) => Some(rec.iter().map(str::to_string).collect()),
        _ => None,
    }
}

impl FormatSpec for CsvSpec {
    fn id(&self) -> &'static str {
        "csv"
    }
    fn describe(&self) -> &'static str {
        "CSV with a header row naming a timestamp column; common column names mapped, the rest kept in event_extra"
    }
    /// A header row: comma-separated names, one of them a timestamp key.
    fn sniff(&self, line: &str) -> bool {
        if !line.contains(',') || line.trim_start().starts_with('{') {
            return false;
        }
        match split_record(line) {
            Some(cols) if cols.len() >= 2 => cols.iter().any(|c| fields::target_for(c) == Some(Target::Timestamp)),
            _ => false,
        }
    }
    /// The whole sample counts when the first line is a header and the rows have its width.
    fn score(&self, lines: &[&str]) -> usize {
        let Some(first) = lines.first() else { return 0 };
        if !self.sniff(first) {
            return 0;
        }
        let width = split_record(first).map_or(0, |c| c.len());
        lines.iter().filter(|l| split_record(l).is_some_and(|c| c.len() == width)).count()
    }
    fn build(&self, ctx: &FileCtx, head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        let header = head.iter().find(|l| !l.trim().is_empty()).ok_or("CSV file without a header row")?;
        let names = split_record(header).ok_or("unreadable CSV header row")?;
        let targets: Vec<Option<Target>> = names.iter().map(|n| fields::target_for(n)).collect();
        if !targets.contains(&Some(Target::Timestamp)) {
            return Err(format!("CSV header has no timestamp column: {header}"));
        }
        Ok(Box::new(CsvParser { ctx: ctx.clone(), header: header.trim_end().to_string(), names, targets }))
    }
}

pub struct CsvParser {
    pub ctx: FileCtx,
    header: String,
    names: Vec<String>,
    targets: Vec<Option<Target>>,
}

impl LineParser for CsvParser {
    fn parse<'a>(&'a self, line: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        if line.trim_end() == self.header {
            return Err(Reject::new("csv header row"));
        }
        let cols = split_record(line).ok_or(Reject::new("unreadable CSV record"))?;
        if cols.len() != self.names.len() {
            return Err(Reject::new("CSV record has a different number of fields than the header"));
        }
        let mut extra = Map::new();
        let mut have_ts = false;
        for ((value, target), name) in cols.into_iter().zip(&self.targets).zip(&self.names) {
            match target {
                Some(t) => {
                    fields::apply(ev, *t, Cow::Owned(value), &self.ctx.zone)?;
                    have_ts |= *t == Target::Timestamp;
                }
                None => {
                    extra.insert(name.clone(), Value::String(value));
                }
            }
        }
        if !have_ts || ev.year_source.is_none() {
            return Err(Reject::new("CSV record without a timestamp"));
        }
        if ev.host_name.is_none() {
            ev.host_name = self.ctx.host_hint.as_deref().map(Cow::Borrowed);
        }
        if !extra.is_empty() {
            ev.event_extra = Some(Cow::Owned(Value::Object(extra).to_string()));
        }
        fields::finish(ev, action::LOG_MESSAGE);
        Ok(Module::Csv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::{YearRule, Zone};
    use std::sync::Arc;

    #[test]
    fn header_mapping_and_rows() {
        let ctx =
            FileCtx { rel_path: Arc::from("x.csv"), host_hint: None, year: YearRule::Fixed(2026), zone: Zone::Utc };
        let head = ["timestamp,user_id,source_ip,destination_ip,action,success,note"];
        let p: &'static dyn LineParser = Box::leak(CsvSpec.build(&ctx, &head).unwrap());
        let mut ev = Event::default();
        assert_eq!(p.parse(head[0], &mut ev).unwrap_err().reason, "csv header row");
        let mut ev = Event::default();
        let m = p.parse("2026-12-20T10:00:00Z,bob,203.0.113.7,10.0.0.1,login,false,\"a, b\"", &mut ev).unwrap();
        assert_eq!(m, Module::Csv);
        assert_eq!(ev.user_name.as_deref(), Some("bob"));
        assert_eq!(ev.event_action.as_deref(), Some("auth.failure"));
        assert_eq!(ev.destination_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(ev.event_extra.as_deref(), Some(r#"{"note":"a, b"}"#));
        assert!(p.parse("2026-12-20T10:00:00Z,bob", &mut Event::default()).is_err());
        assert!(p.parse("garbage,bob,1,2,3,4,5", &mut Event::default()).is_err());
        assert!(CsvSpec.build(&ctx, &["a,b,c"]).is_err());
    }
}
