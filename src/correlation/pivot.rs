//! `pivot`: everything known about one address, user or host — first and last seen, counts per
//! host, source and action, the users it tried, the paths it requested, the ports it hit, the
//! addresses it came from, and the findings it appears in.

use polars::prelude::*;

use crate::query::Run;
use serde::Serialize;

use crate::detect::finding::FindingsDoc;
use crate::detect::frame;
use crate::error::AnalysisError;
use crate::parse::time::format_rfc3339;
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
    pub findings: Vec<FindingRef>,
}

const TOP: u32 = 25;

fn top(lf: LazyFrame, by: &str) -> Result<Vec<Count>, AnalysisError> {
    Ok(frame::top_values(lf, by, TOP)?.into_iter().map(|(value, count)| Count { value, count }).collect())
}

/// The case's addresses (source or destination) inside the network `net`.
fn addresses_in(data: &CaseData, net: crate::timeline::filter::Cidr) -> Result<Vec<String>, AnalysisError> {
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
        Kind::Ip => crate::timeline::filter::Cidr::parse(value).ok().filter(|c| c.exact().is_none()),
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
    let lf = data.events()?.filter(filter);
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
    let findings = match FindingsDoc::load_if_present(&data.case.dir.join("findings.json"))? {
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
        activity,
        attempts,
        findings,
    })
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
