//! Why a Sigma rule was not compiled: the reasons `sigma check`, the coverage table and the
//! report give (no polars, so the rule reader compiles into the fuzz targets too).

/// Why a rule was not compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    Yaml(String),
    Logsource(String),
    Field(String),
    Modifier(String),
    Condition(String),
    Value(String),
    Correlation(String),
    Duplicate(String),
}

impl Skip {
    /// The reason's kind, as the coverage table groups them.
    pub fn kind(&self) -> &'static str {
        match self {
            Skip::Yaml(_) => "yaml",
            Skip::Logsource(_) => "logsource",
            Skip::Field(_) => "field",
            Skip::Modifier(_) => "modifier",
            Skip::Condition(_) => "condition",
            Skip::Value(_) => "value",
            Skip::Correlation(_) => "correlation",
            Skip::Duplicate(_) => "duplicate",
        }
    }
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::Yaml(m) => write!(f, "YAML error: {m}"),
            Skip::Logsource(m) => write!(f, "unsupported logsource: {m}"),
            Skip::Field(m) => write!(f, "field with no mapping: {m}"),
            Skip::Modifier(m) => write!(f, "unsupported modifier: {m}"),
            Skip::Condition(m) => write!(f, "condition: {m}"),
            Skip::Value(m) => write!(f, "bad value: {m}"),
            Skip::Correlation(m) => write!(f, "correlation: {m}"),
            Skip::Duplicate(m) => write!(f, "duplicate rule id: {m}"),
        }
    }
}
