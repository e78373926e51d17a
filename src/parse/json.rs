//! JSON lines: one object per line. The timestamp comes from `@timestamp`, `timestamp`, `ts`
//! or `time` (RFC 3339 or epoch seconds/ms/µs/ns); common keys map onto the schema through
//! [`super::fields`]; every other key is kept in `event_extra` as a JSON object (nested keys
//! flattened with dots).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::fields::{self, Target};
use super::{Event, FileCtx, FormatSpec, LineParser, Module, Reject};
use crate::schema::action;

pub struct JsonSpec;

impl FormatSpec for JsonSpec {
    fn id(&self) -> &'static str {
        "json"
    }
    fn describe(&self) -> &'static str {
        "JSON lines (one object per line; timestamp from @timestamp/timestamp/ts/time; ECS-style and common keys mapped, the rest kept in event_extra)"
    }
    fn sniff(&self, line: &str) -> bool {
        let t = line.trim();
        t.starts_with('{') && t.ends_with('}')
    }
    fn build(&self, ctx: &FileCtx, _head: &[&str]) -> Result<Box<dyn LineParser>, String> {
        Ok(Box::new(JsonParser { ctx: ctx.clone() }))
    }
}

pub struct JsonParser {
    pub ctx: FileCtx,
}

fn flatten(prefix: &str, obj: Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (k, v) in obj {
        let key = if prefix.is_empty() { k } else { format!("{prefix}.{k}") };
        match v {
            Value::Object(inner) if !inner.is_empty() => flatten(&key, inner, out),
            other => out.push((key, other)),
        }
    }
}

impl LineParser for JsonParser {
    fn parse<'a>(&'a self, line: &'a str, ev: &mut Event<'a>) -> Result<Module, Reject> {
        let value: Value = serde_json::from_str(line).map_err(|_| Reject::new("invalid JSON"))?;
        let Value::Object(obj) = value else {
            return Err(Reject::new("JSON value is not an object"));
        };
        let mut flat = Vec::with_capacity(obj.len());
        flatten("", obj, &mut flat);
        let mut extra = Map::new();
        let mut have_ts = false;
        for (key, v) in flat {
            let target = fields::target_for(&key);
            // Prefer the first timestamp key seen; keep later ones as extra.
            match (target, &v) {
                (Some(Target::Timestamp), _) if have_ts => {
                    extra.insert(key, v);
                }
                (Some(t), Value::String(s)) => {
                    fields::apply(ev, t, Cow::Owned(s.clone()), &self.ctx.zone)?;
                    have_ts |= t == Target::Timestamp;
                }
                (Some(t), Value::Number(n)) => {
                    fields::apply(ev, t, Cow::Owned(n.to_string()), &self.ctx.zone)?;
                    have_ts |= t == Target::Timestamp;
                }
                (Some(t), Value::Bool(b)) if t != Target::Timestamp => {
                    fields::apply(ev, t, Cow::Borrowed(if *b { "true" } else { "false" }), &self.ctx.zone)?;
                }
                _ => {
                    extra.insert(key, v);
                }
            }
        }
        if !have_ts {
            return Err(Reject::new("JSON object without a timestamp field"));
        }
        if ev.host_name.is_none() {
            ev.host_name = self.ctx.host_hint.as_deref().map(Cow::Borrowed);
        }
        if !extra.is_empty() {
            ev.event_extra = Some(Cow::Owned(Value::Object(extra).to_string()));
        }
        fields::finish(ev, action::LOG_MESSAGE);
        Ok(Module::Json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::time::{format_rfc3339, YearRule, Zone};
    use std::sync::Arc;

    fn p() -> &'static JsonParser {
        Box::leak(Box::new(JsonParser {
            ctx: FileCtx {
                rel_path: Arc::from("app.json"),
                host_hint: Some(Arc::from("app1")),
                year: YearRule::Fixed(2026),
                zone: Zone::Utc,
            },
        }))
    }

    #[test]
    fn ecs_nested_and_extra() {
        let mut ev = Event::default();
        let line = r#"{"@timestamp":"2026-12-20T10:00:00.250Z","source":{"ip":"203.0.113.7"},"user":{"name":"alice"},"event":{"action":"login","outcome":"failure"},"trace_id":"abc","n":[1,2]}"#;
        assert_eq!(p().parse(line, &mut ev), Ok(Module::Json));
        assert_eq!(format_rfc3339(ev.timestamp), "2026-12-20T10:00:00.250000Z");
        assert_eq!(ev.source_ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.user_name.as_deref(), Some("alice"));
        assert_eq!(ev.event_action.as_deref(), Some("auth.failure"));
        assert_eq!(ev.host_name.as_deref(), Some("app1"));
        let extra: Value = serde_json::from_str(ev.event_extra.as_deref().unwrap()).unwrap();
        assert_eq!(extra["trace_id"], "abc");
        assert_eq!(extra["n"][1], 2);
    }

    #[test]
    fn epoch_ts_and_rejects() {
        let mut ev = Event::default();
        assert!(p().parse(r#"{"ts": 1766224800123, "msg": "hi", "level": "info"}"#, &mut ev).is_ok());
        assert_eq!(format_rfc3339(ev.timestamp), "2025-12-20T10:00:00.123000Z");
        assert_eq!(ev.message.as_deref(), Some("hi"));
        assert_eq!(ev.event_action.as_deref(), Some("log.message"));
        let mut ev = Event::default();
        assert_eq!(
            p().parse(r#"{"msg": "no time"}"#, &mut ev).unwrap_err().reason,
            "JSON object without a timestamp field"
        );
        assert!(p().parse(r#"{"ts": "#, &mut Event::default()).is_err());
        assert!(p().parse(r#"[1,2]"#, &mut Event::default()).is_err());
    }
}
