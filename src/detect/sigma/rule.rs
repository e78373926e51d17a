//! Sigma rule documents as the specification defines them (SigmaHQ/sigma-specification,
//! `sigma-rules-specification.md`, `sigma-correlation-rules-specification.md` and the modifiers
//! appendix, v2.1): YAML read into a typed form, before any mapping to the case's columns.
//! A file may hold several documents (`---`): detection rules and the correlations over them.

use std::collections::BTreeMap;

use serde::Deserialize;
use yaml_serde::Value as Yaml;

use super::condition::{self, Cond};
use super::Skip;

/// A value of a detection item.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

impl Value {
    /// The value as text (numbers and booleans as YAML writes them); `None` for null.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => None,
        }
    }
}

/// A value modifier (`field|mod1|mod2`), in the order written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    Contains,
    StartsWith,
    EndsWith,
    All,
    Cased,
    Re,
    /// `re` sub-modifiers: `i`, `m`, `s`.
    ReFlag(char),
    Cidr,
    Base64,
    Base64Offset,
    Utf16Le,
    Utf16Be,
    Utf16,
    Windash,
    Exists,
    FieldRef,
    Lt,
    Lte,
    Gt,
    Gte,
    Neq,
}

impl Modifier {
    pub fn parse(s: &str, previous: &[Modifier]) -> Result<Modifier, Skip> {
        let after_re = previous.contains(&Modifier::Re);
        Ok(match s {
            "contains" => Modifier::Contains,
            "startswith" => Modifier::StartsWith,
            "endswith" => Modifier::EndsWith,
            "all" => Modifier::All,
            "cased" => Modifier::Cased,
            "re" => Modifier::Re,
            "i" | "m" | "s" if after_re => Modifier::ReFlag(s.chars().next().unwrap_or('i')),
            "cidr" => Modifier::Cidr,
            "base64" => Modifier::Base64,
            "base64offset" => Modifier::Base64Offset,
            "utf16le" | "wide" => Modifier::Utf16Le,
            "utf16be" => Modifier::Utf16Be,
            "utf16" => Modifier::Utf16,
            "windash" => Modifier::Windash,
            "exists" => Modifier::Exists,
            "fieldref" => Modifier::FieldRef,
            "lt" => Modifier::Lt,
            "lte" => Modifier::Lte,
            "gt" => Modifier::Gt,
            "gte" => Modifier::Gte,
            "neq" => Modifier::Neq,
            other => {
                let why = match other {
                    "expand" => "the placeholder modifier 'expand' (no placeholder values are defined)".to_string(),
                    "minute" | "hour" | "day" | "week" | "month" | "year" => {
                        format!("the time modifier '{other}'")
                    }
                    _ => format!("unknown modifier '{other}'"),
                };
                return Err(Skip::Modifier(why));
            }
        })
    }
}

/// One `field|modifiers: values` item of a selection; `field` is `None` for keywords (searched
/// in the whole event).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub field: Option<String>,
    pub modifiers: Vec<Modifier>,
    pub values: Vec<Value>,
}

impl Item {
    pub fn has(&self, m: Modifier) -> bool {
        self.modifiers.contains(&m)
    }
}

/// A search identifier: maps OR-ed, each map's items AND-ed. A keyword list is one map with
/// one keyword item.
pub type Search = Vec<Vec<Item>>;

/// The rule's `logsource`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logsource {
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
}

impl std::fmt::Display for Logsource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [("product", &self.product), ("category", &self.category), ("service", &self.service)]
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
            .collect();
        if parts.is_empty() {
            write!(f, "(none)")
        } else {
            write!(f, "{}", parts.join(", "))
        }
    }
}

/// What every Sigma document may carry besides its logic.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub title: String,
    pub id: Option<String>,
    pub name: Option<String>,
    pub level: Option<String>,
    pub status: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub falsepositives: Vec<String>,
}

/// A detection rule.
#[derive(Debug, Clone)]
pub struct Detection {
    pub logsource: Logsource,
    pub searches: BTreeMap<String, Search>,
    /// The conditions (a list of several is OR-ed).
    pub conditions: Vec<Cond>,
}

/// A correlation's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationType {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

impl CorrelationType {
    pub fn as_str(self) -> &'static str {
        match self {
            CorrelationType::EventCount => "event_count",
            CorrelationType::ValueCount => "value_count",
            CorrelationType::Temporal => "temporal",
            CorrelationType::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// A correlation's condition: every bound given must hold (`gt: 100` and `lte: 200` is a range).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bounds {
    pub gt: Option<f64>,
    pub gte: Option<f64>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
    pub eq: Option<f64>,
    pub neq: Option<f64>,
}

impl Bounds {
    pub fn holds(&self, n: f64) -> bool {
        self.gt.is_none_or(|b| n > b)
            && self.gte.is_none_or(|b| n >= b)
            && self.lt.is_none_or(|b| n < b)
            && self.lte.is_none_or(|b| n <= b)
            && self.eq.is_none_or(|b| n == b)
            && self.neq.is_none_or(|b| n != b)
    }
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("gt", self.gt),
            ("gte", self.gte),
            ("lt", self.lt),
            ("lte", self.lte),
            ("eq", self.eq),
            ("neq", self.neq),
        ]
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k} {v}")))
        .collect();
        parts.join(", ")
    }
}

/// A correlation rule.
#[derive(Debug, Clone)]
pub struct Correlation {
    pub kind: CorrelationType,
    /// The rules it correlates, by id or name.
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    /// Microseconds.
    pub timespan: i64,
    pub timespan_text: String,
    pub condition: Bounds,
    /// `value_count`: the field whose distinct values are counted.
    pub field: Option<String>,
    /// alias → (rule name → field).
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// Whether the referenced rules also give findings of their own.
    pub generate: bool,
}

/// One YAML document of a rule file.
#[derive(Debug, Clone)]
pub enum Body {
    Detection(Detection),
    Correlation(Correlation),
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub meta: Meta,
    pub body: Body,
}

/// Parses one rule file: every document in it, each a rule or the reason it cannot be one
/// (with the title, when the document has one).
pub fn parse_file(text: &str) -> Vec<(Meta, Result<Body, Skip>)> {
    let mut out = Vec::new();
    for de in yaml_serde::Deserializer::from_str(text) {
        let value = match Yaml::deserialize(de) {
            Ok(v) => v,
            Err(e) => {
                out.push((Meta::default(), Err(Skip::Yaml(e.to_string()))));
                // libyaml cannot go on after a syntax error.
                break;
            }
        };
        if value.is_null() {
            continue;
        }
        let meta = meta(&value);
        let body = body(&value);
        out.push((meta, body));
    }
    out
}

fn text(v: Option<&Yaml>) -> Option<String> {
    match v? {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn texts(v: Option<&Yaml>) -> Vec<String> {
    match v {
        Some(Yaml::Sequence(s)) => s.iter().filter_map(|x| text(Some(x))).collect(),
        Some(x) => text(Some(x)).into_iter().collect(),
        None => Vec::new(),
    }
}

fn meta(v: &Yaml) -> Meta {
    Meta {
        title: text(v.get("title")).unwrap_or_default(),
        id: text(v.get("id")),
        name: text(v.get("name")),
        level: text(v.get("level")).map(|l| l.to_ascii_lowercase()),
        status: text(v.get("status")),
        description: text(v.get("description")),
        author: text(v.get("author")),
        tags: texts(v.get("tags")),
        references: texts(v.get("references")),
        falsepositives: texts(v.get("falsepositives")),
    }
}

fn body(v: &Yaml) -> Result<Body, Skip> {
    if !v.is_mapping() {
        return Err(Skip::Yaml("the document is not a mapping of rule attributes".into()));
    }
    if text(v.get("title")).is_none() {
        return Err(Skip::Yaml("the rule has no title".into()));
    }
    if let Some(c) = v.get("correlation") {
        let mut corr = correlation(c)?;
        // v2.1 has `generate` beside `correlation`; v2.0 had it inside.
        corr.generate = v.get("generate").or(c.get("generate")).and_then(Yaml::as_bool).unwrap_or(false);
        return Ok(Body::Correlation(corr));
    }
    let Some(det) = v.get("detection") else {
        return Err(Skip::Yaml("the rule has neither 'detection' nor 'correlation'".into()));
    };
    let ls = v.get("logsource").ok_or_else(|| Skip::Yaml("the rule has no 'logsource'".into()))?;
    let lower = |k: &str| text(ls.get(k)).map(|s| s.to_ascii_lowercase());
    let logsource = Logsource { product: lower("product"), category: lower("category"), service: lower("service") };
    detection(det, logsource).map(Body::Detection)
}

fn detection(det: &Yaml, logsource: Logsource) -> Result<Detection, Skip> {
    let Yaml::Mapping(map) = det else {
        return Err(Skip::Yaml("'detection' is not a mapping".into()));
    };
    let mut searches = BTreeMap::new();
    let mut conditions = Vec::new();
    for (k, v) in map {
        let Some(name) = k.as_str() else {
            return Err(Skip::Yaml(format!("a search identifier that is not text: {k:?}")));
        };
        match name {
            "condition" => {
                let list: Vec<String> = match v {
                    Yaml::Sequence(s) => s.iter().filter_map(|x| text(Some(x))).collect(),
                    other => text(Some(other)).into_iter().collect(),
                };
                if list.is_empty() {
                    return Err(Skip::Condition("'condition' is empty".into()));
                }
                for c in list {
                    conditions.push(condition::parse(&c).map_err(Skip::Condition)?);
                }
            }
            "timeframe" => {
                return Err(Skip::Condition(
                    "'timeframe' belongs to Sigma v1 aggregations, which correlation rules replaced".into(),
                ))
            }
            _ => {
                searches.insert(name.to_string(), search(name, v)?);
            }
        }
    }
    if conditions.is_empty() {
        return Err(Skip::Condition("the detection has no 'condition'".into()));
    }
    for c in &conditions {
        condition::check_names(c, &searches).map_err(Skip::Condition)?;
    }
    Ok(Detection { logsource, searches, conditions })
}

fn scalar(v: &Yaml) -> Result<Value, Skip> {
    Ok(match v {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Yaml::String(s) => Value::Str(s.clone()),
        other => return Err(Skip::Yaml(format!("a value that is not a scalar: {other:?}"))),
    })
}

fn values(v: &Yaml) -> Result<Vec<Value>, Skip> {
    match v {
        Yaml::Sequence(s) => s.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

fn item(key: &str, v: &Yaml) -> Result<Item, Skip> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("").trim();
    let mut modifiers = Vec::new();
    for m in parts {
        let m = Modifier::parse(m.trim(), &modifiers)?;
        modifiers.push(m);
    }
    let field = (!field.is_empty()).then(|| field.to_string());
    let values = values(v)?;
    if values.is_empty() {
        return Err(Skip::Yaml(format!("'{key}' has an empty list of values")));
    }
    Ok(Item { field, modifiers, values })
}

fn map_items(name: &str, m: &yaml_serde::Mapping) -> Result<Vec<Item>, Skip> {
    let mut items = Vec::new();
    for (k, v) in m {
        let key = match k {
            Yaml::String(s) => s.clone(),
            Yaml::Number(n) => n.to_string(),
            other => return Err(Skip::Yaml(format!("search '{name}': a field name that is not text: {other:?}"))),
        };
        items.push(item(&key, v)?);
    }
    if items.is_empty() {
        return Err(Skip::Yaml(format!("search '{name}' is an empty mapping")));
    }
    Ok(items)
}

fn search(name: &str, v: &Yaml) -> Result<Search, Skip> {
    match v {
        Yaml::Mapping(m) => Ok(vec![map_items(name, m)?]),
        Yaml::Sequence(list) if list.iter().all(|x| x.is_mapping()) && !list.is_empty() => list
            .iter()
            .map(|x| match x {
                Yaml::Mapping(m) => map_items(name, m),
                _ => unreachable!("checked above"),
            })
            .collect(),
        Yaml::Sequence(list) if list.iter().all(|x| !x.is_mapping() && !x.is_sequence()) && !list.is_empty() => {
            Ok(vec![vec![Item { field: None, modifiers: Vec::new(), values: values(v)? }]])
        }
        Yaml::String(_) | Yaml::Number(_) => {
            Ok(vec![vec![Item { field: None, modifiers: Vec::new(), values: vec![scalar(v)?] }]])
        }
        _ => {
            Err(Skip::Yaml(format!("search '{name}' is neither a mapping, a list of mappings nor a list of keywords")))
        }
    }
}

/// `Xs`, `Xm`, `Xh`, `Xd` (also `Xw`, `XM`, `Xy` as pySigma reads them) in microseconds.
pub fn timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].trim().parse().ok().filter(|n| *n > 0)?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        'M' => 30 * 86_400,
        'y' => 365 * 86_400,
        _ => return None,
    };
    n.checked_mul(secs)?.checked_mul(1_000_000)
}

fn bounds(v: Option<&Yaml>) -> Result<(Bounds, Option<String>), Skip> {
    let mut b = Bounds::default();
    let mut field = None;
    let Some(Yaml::Mapping(m)) = v else {
        return Ok((b, None));
    };
    for (k, v) in m {
        let key = k.as_str().unwrap_or("");
        if key == "field" {
            field = match v {
                Yaml::Sequence(s) if s.len() == 1 => text(s.first()),
                Yaml::Sequence(_) => {
                    return Err(Skip::Correlation("a value_count over several fields is not supported".into()))
                }
                other => text(Some(other)),
            };
            continue;
        }
        let n = v.as_f64().ok_or_else(|| Skip::Correlation(format!("condition '{key}' is not a number")))?;
        match key {
            "gt" => b.gt = Some(n),
            "gte" => b.gte = Some(n),
            "lt" => b.lt = Some(n),
            "lte" => b.lte = Some(n),
            "eq" => b.eq = Some(n),
            "neq" => b.neq = Some(n),
            other => return Err(Skip::Correlation(format!("unknown condition operator '{other}'"))),
        }
    }
    Ok((b, field))
}

fn correlation(c: &Yaml) -> Result<Correlation, Skip> {
    let kind = match text(c.get("type")).as_deref() {
        Some("event_count") => CorrelationType::EventCount,
        Some("value_count") => CorrelationType::ValueCount,
        Some("temporal") => CorrelationType::Temporal,
        Some("temporal_ordered") => CorrelationType::TemporalOrdered,
        Some(other) => return Err(Skip::Correlation(format!("the correlation type '{other}' is not supported"))),
        None => return Err(Skip::Correlation("the correlation has no 'type'".into())),
    };
    let rules = texts(c.get("rules"));
    if rules.is_empty() {
        return Err(Skip::Correlation("the correlation names no 'rules'".into()));
    }
    let span_text =
        text(c.get("timespan")).ok_or_else(|| Skip::Correlation("the correlation has no 'timespan'".into()))?;
    let timespan =
        timespan(&span_text).ok_or_else(|| Skip::Correlation(format!("'{span_text}' is not a timespan like 30m")))?;
    let (condition, field) = bounds(c.get("condition"))?;
    match kind {
        CorrelationType::EventCount | CorrelationType::ValueCount if condition == Bounds::default() => {
            return Err(Skip::Correlation(format!("a {} correlation needs a 'condition'", kind.as_str())))
        }
        CorrelationType::ValueCount if field.is_none() => {
            return Err(Skip::Correlation("a value_count correlation needs 'condition: field'".into()))
        }
        _ => {}
    }
    let mut aliases = BTreeMap::new();
    if let Some(Yaml::Mapping(m)) = c.get("aliases") {
        for (alias, per_rule) in m {
            let Some(alias) = alias.as_str() else { continue };
            let mut map = BTreeMap::new();
            if let Yaml::Mapping(pr) = per_rule {
                for (r, f) in pr {
                    if let (Some(r), Some(f)) = (text(Some(r)), text(Some(f))) {
                        map.insert(r, f);
                    }
                }
            }
            aliases.insert(alias.to_string(), map);
        }
    }
    Ok(Correlation {
        kind,
        rules,
        group_by: texts(c.get("group-by")),
        timespan,
        timespan_text: span_text,
        condition,
        field,
        aliases,
        generate: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_several_documents_with_a_correlation() {
        let text = "title: Many failed logins\nid: c1\ncorrelation:\n    type: event_count\n    rules:\n        - failed\n    group-by:\n        - User\n    timespan: 10m\n    condition:\n        gte: 10\ngenerate: true\nlevel: high\n---\ntitle: Failed login\nname: failed\nlogsource:\n    product: linux\n    service: sshd\ndetection:\n    keywords:\n        - 'Failed password'\n    condition: keywords\n";
        let docs = parse_file(text);
        assert_eq!(docs.len(), 2);
        let (meta, body) = &docs[0];
        assert_eq!((meta.title.as_str(), meta.level.as_deref()), ("Many failed logins", Some("high")));
        let Ok(Body::Correlation(c)) = body else { panic!("{body:?}") };
        assert_eq!(
            (c.kind, c.timespan, &c.condition, c.generate),
            (CorrelationType::EventCount, 600_000_000, &Bounds { gte: Some(10.0), ..Default::default() }, true)
        );
        let Ok(Body::Detection(d)) = &docs[1].1 else { panic!() };
        assert_eq!(d.logsource.service.as_deref(), Some("sshd"));
        assert_eq!(d.searches["keywords"][0][0].field, None);
    }

    #[test]
    fn broken_documents_say_why() {
        let docs = parse_file("title: x\ndetection: [unclosed\n");
        assert_eq!(docs[0].1.as_ref().unwrap_err().kind(), "yaml");
        let docs = parse_file("title: x\nlogsource: {product: linux}\ndetection:\n    sel:\n        a: 1\n");
        assert!(docs[0].1.as_ref().unwrap_err().to_string().contains("no 'condition'"));
        let docs = parse_file("title: x\ncorrelation:\n    type: value_sum\n    rules: [a]\n    timespan: 1h\n");
        assert!(docs[0].1.as_ref().unwrap_err().to_string().contains("value_sum"));
        let docs = parse_file("title: x\ncorrelation:\n    type: event_count\n    rules: [a]\n    timespan: 1x\n    condition: {gte: 1}\n");
        assert!(docs[0].1.as_ref().unwrap_err().to_string().contains("timespan"));
        let docs = parse_file("title: x\ncorrelation:\n    type: value_count\n    rules: [a]\n    timespan: 1h\n    condition: {gte: 3}\n");
        assert!(docs[0].1.as_ref().unwrap_err().to_string().contains("field"));
    }

    #[test]
    fn timespans_and_bounds() {
        assert_eq!(timespan("90m"), Some(5_400_000_000));
        assert_eq!(timespan("1d"), Some(86_400_000_000));
        assert_eq!(timespan("0s"), None);
        assert_eq!(timespan("m"), None);
        let b = Bounds { gt: Some(100.0), lte: Some(200.0), ..Default::default() };
        assert!(!b.holds(100.0) && b.holds(101.0) && b.holds(200.0) && !b.holds(201.0));
    }
}
