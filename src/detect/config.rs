//! Detection thresholds and windows: every rule declares its parameters with defaults and a
//! sentence of documentation; `--config FILE` (TOML, one table per rule) overrides them, and
//! `detect --print-config` prints the defaults as a commented file. Unknown rules, unknown
//! parameters and wrong types are errors, so a typo never silently leaves a default in force.

use std::collections::BTreeMap;

/// A parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<String>),
}

/// Thresholds are never negative; counts, windows and intervals are at least 1 (a tolerance or
/// a slack may be 0).
fn check_range(name: &str, v: &Value) -> Result<(), String> {
    let counts = ["min_", "max_", "burst_", "window_", "interval_", "gap_", "medium_"];
    match v {
        Value::Int(i) if *i < 0 => Err("must not be negative".into()),
        Value::Int(0) if counts.iter().any(|p| name.starts_with(p)) => Err("must be at least 1".into()),
        Value::Float(f) if !f.is_finite() || *f < 0.0 => Err("must be a number of at least 0".into()),
        _ => Ok(()),
    }
}

/// `s` as a standard SQL string literal: quoted, a quote doubled.
pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Value {
    fn to_toml(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format!("{f:?}"),
            Value::Str(s) => toml::Value::String(s.clone()).to_string(),
            Value::List(l) => {
                toml::Value::Array(l.iter().map(|s| toml::Value::String(s.clone())).collect()).to_string()
            }
        }
    }
    /// Text for SQL substitution: numbers as written, strings quoted, lists as `'a', 'b'`.
    pub fn to_sql(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format!("{f:?}"),
            Value::Str(s) => sql_string(s),
            Value::List(l) => l.iter().map(|s| sql_string(s)).collect::<Vec<_>>().join(", "),
        }
    }
    fn same_kind(&self, other: &Value) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            || matches!((self, other), (Value::Float(_), Value::Int(_)))
    }
}

/// Text as one TOML comment line: TOML allows no control character but tab in a comment, and a
/// line break would end it, so they are written escaped (`\n`, `\u{8}`).
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\t' { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

/// One declared parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub default: Value,
    pub doc: String,
}

impl Param {
    pub fn new(name: &str, default: Value, doc: &str) -> Self {
        Param { name: name.into(), default, doc: doc.into() }
    }
}

/// Effective parameters for every rule.
#[derive(Debug, Clone, Default)]
pub struct Config {
    values: BTreeMap<String, BTreeMap<String, Value>>,
    docs: BTreeMap<String, Vec<Param>>,
    /// Rule descriptions, for the printed file and the report's methodology.
    pub descriptions: BTreeMap<String, String>,
}

impl Config {
    /// Defaults from the rules' declarations.
    pub fn defaults(rules: &[(String, String, Vec<Param>)]) -> Config {
        let mut c = Config::default();
        for (rule, desc, params) in rules {
            let entry = c.values.entry(rule.clone()).or_default();
            for p in params {
                entry.insert(p.name.clone(), p.default.clone());
            }
            c.docs.entry(rule.clone()).or_default().extend(params.iter().cloned());
            c.descriptions.insert(rule.clone(), desc.clone());
        }
        c
    }

    /// Applies a TOML document (a `--config` file's text) on top of the defaults; the error
    /// says what is wrong, and the caller names the file.
    pub fn apply(mut self, text: &str) -> Result<Config, String> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        for (rule, table) in doc {
            let Some(known) = self.values.get_mut(&rule) else {
                return Err(format!("unknown rule [{rule}]"));
            };
            let toml::Value::Table(table) = table else {
                return Err(format!("[{rule}] must be a table"));
            };
            for (name, v) in table {
                let Some(current) = known.get(&name) else {
                    return Err(format!("unknown parameter {rule}.{name}"));
                };
                let value = match v {
                    toml::Value::Integer(i) if matches!(current, Value::Float(_)) => Value::Float(i as f64),
                    toml::Value::Integer(i) => Value::Int(i),
                    toml::Value::Float(f) => Value::Float(f),
                    toml::Value::String(s) => Value::Str(s),
                    toml::Value::Array(a) => Value::List(
                        a.into_iter()
                            .map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()))
                            .collect(),
                    ),
                    other => return Err(format!("{rule}.{name}: unsupported value {other}")),
                };
                if !current.same_kind(&value) {
                    return Err(format!("{rule}.{name}: expected a value like {}", current.to_toml()));
                }
                check_range(&name, &value).map_err(|m| format!("{rule}.{name} = {}: {m}", value.to_toml()))?;
                known.insert(name, value);
            }
        }
        Ok(self)
    }

    pub fn get(&self, rule: &str, name: &str) -> &Value {
        self.values
            .get(rule)
            .and_then(|m| m.get(name))
            .unwrap_or_else(|| panic!("rule {rule} reads undeclared parameter {name}"))
    }
    pub fn int(&self, rule: &str, name: &str) -> i64 {
        match self.get(rule, name) {
            Value::Int(i) => *i,
            Value::Float(f) => *f as i64,
            other => panic!("{rule}.{name} is not a number: {other:?}"),
        }
    }
    pub fn float(&self, rule: &str, name: &str) -> f64 {
        match self.get(rule, name) {
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            other => panic!("{rule}.{name} is not a number: {other:?}"),
        }
    }
    pub fn list(&self, rule: &str, name: &str) -> Vec<String> {
        match self.get(rule, name) {
            Value::List(l) => l.clone(),
            Value::Str(s) => vec![s.clone()],
            other => panic!("{rule}.{name} is not a list: {other:?}"),
        }
    }
    /// A rule's description with `{param}` placeholders filled with the configured values.
    pub fn description(&self, rule: &str) -> String {
        let mut d = self.descriptions.get(rule).cloned().unwrap_or_default();
        for (k, v) in self.params(rule) {
            let text = match &v {
                Value::Str(s) => s.clone(),
                Value::List(l) => l.join(", "),
                other => other.to_sql(),
            };
            d = d.replace(&format!("{{{k}}}"), &text);
        }
        d
    }

    pub fn params(&self, rule: &str) -> BTreeMap<String, Value> {
        self.values.get(rule).cloned().unwrap_or_default()
    }

    /// The effective configuration as a commented TOML file.
    pub fn to_toml(&self) -> String {
        let mut out = String::from("# logsleuth detect configuration: thresholds and windows per rule.\n# Pass an edited copy with `logsleuth detect --config FILE`.\n");
        for (rule, params) in &self.values {
            out.push('\n');
            if self.descriptions.contains_key(rule) {
                out.push_str(&format!("# {}\n", comment(&self.description(rule))));
            }
            out.push_str(&format!("[{rule}]\n"));
            for (name, v) in params {
                if let Some(p) = self.docs.get(rule).and_then(|ps| ps.iter().find(|p| &p.name == name)) {
                    out.push_str(&format!("# {}\n", comment(&p.doc)));
                }
                out.push_str(&format!("{name} = {}\n", v.to_toml()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Config {
        Config::defaults(&[(
            "r".into(),
            "A rule.".into(),
            vec![Param::new("n", Value::Int(5), "count"), Param::new("names", Value::List(vec!["root".into()]), "who")],
        )])
    }

    #[test]
    fn overrides_and_round_trip() {
        let c = base().apply(&base().to_toml().replace("n = 5", "n = 7")).unwrap();
        assert_eq!(c.int("r", "n"), 7);
        assert_eq!(c.list("r", "names"), ["root"]);
        assert_eq!(Value::List(vec!["a'b".into(), "c".into()]).to_sql(), "'a''b', 'c'");
    }

    /// Found by the `config` fuzz target: a string value with a control character (`"\b"`) went
    /// into the printed file's description comment as is, and TOML refuses it there, so
    /// `--print-config` of that configuration did not read back.
    #[test]
    fn printed_config_reads_back_when_values_hold_control_characters() {
        let c = Config::defaults(&[(
            "r".into(),
            "Label {label}.".into(),
            vec![Param::new("label", Value::Str("x".into()), "a label\u{7f}")],
        )]);
        let c = c.apply("[r]\nlabel = \"a\\bb\\nc\\u0000d\"\n").unwrap();
        let printed = c.to_toml();
        assert!(printed.contains("# Label a\\u{8}b\\nc\\u{0}d.\n"), "{printed}");
        let again = Config::defaults(&[(
            "r".into(),
            "Label {label}.".into(),
            vec![Param::new("label", Value::Str("x".into()), "a label\u{7f}")],
        )])
        .apply(&printed)
        .unwrap();
        assert_eq!(again.to_toml(), printed);
        assert_eq!(again.get("r", "label"), &Value::Str("a\u{8}b\nc\u{0}d".into()));
    }

    #[test]
    fn typos_are_errors() {
        for bad in ["[rr]\nn = 1\n", "[r]\nm = 1\n", "[r]\nn = \"five\"\n", "[r\n"] {
            assert!(base().apply(bad).is_err(), "{bad}");
        }
    }
}
