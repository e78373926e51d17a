//! `logsleuth pivot --case DIR --ip IP | --user NAME | --host NAME`

use std::io::Write;
use std::path::PathBuf;

use clap::{ArgGroup, Args};

use super::{exit, Exit};
use crate::correlation::pivot::{self, Kind, Pivot};
use crate::query::CaseData;
use crate::sanitize::terminal;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("entity").required(true).args(["ip", "user", "host"])))]
pub struct PivotArgs {
    /// Case directory.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
    /// An address, or a network (203.0.113.0/24: every address of the case inside it).
    #[arg(long, value_name = "IP|CIDR")]
    pub ip: Option<String>,
    /// A user name (acting or targeted).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// A host name (without regard to case).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Output format: `text` (default) or `json`.
    #[arg(long, value_enum, default_value_t = super::TextOrJson::Text)]
    pub format: super::TextOrJson,
    /// Same as `--format json` (kept for one release).
    #[arg(long, hide = true)]
    pub json: bool,
}

pub fn run(args: PivotArgs) -> Result<i32, Exit> {
    let data = CaseData::open(&args.case)?;
    let (kind, value) = match (&args.ip, &args.user, &args.host) {
        (Some(ip), _, _) => (Kind::Ip, ip.clone()),
        (_, Some(u), _) => (Kind::User, u.clone()),
        (_, _, Some(h)) => (Kind::Host, h.clone()),
        _ => unreachable!("clap requires one of --ip, --user, --host"),
    };
    if kind == pivot::Kind::Ip {
        crate::query::cidr::Cidr::parse(&value)
            .map_err(|e| Exit { code: exit::USAGE, error: anyhow::anyhow!("--ip: {e}") })?;
    }
    warn_if_stale(&data);
    let p = pivot::build(&data, kind, &value)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json || args.format == super::TextOrJson::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&p).expect("pivot serializes"))?;
    } else {
        print_text(&p, &mut out)?;
    }
    if p.events == 0 && p.findings.is_empty() {
        // No silent empty answer: say what the case holds.
        eprintln!("nothing in the case matches; {}", crate::timeline::holdings(&data)?);
        return Ok(exit::NO_MATCH);
    }
    Ok(exit::OK)
}

/// Says on stderr when the case's findings predate its newest ingest (they then miss what
/// that ingest added): run detect again.
pub fn warn_if_stale(data: &CaseData) {
    let Ok(Some(doc)) =
        crate::detect::finding::FindingsDoc::load_if_present(&data.case.dir.join(crate::store::files::FINDINGS_JSON))
    else {
        return;
    };
    if doc.is_stale(&data.manifest) {
        eprintln!(
            "logsleuth: warning: the findings ({}) are older than the newest ingest ({}); run `logsleuth detect --case {}`",
            doc.generated_at,
            data.manifest.finished_at,
            data.case.dir.display()
        );
    }
}

fn print_text(p: &Pivot, out: &mut dyn Write) -> std::io::Result<()> {
    let what = match p.kind {
        Kind::Ip => "address",
        Kind::User => "user",
        Kind::Host => "host",
    };
    writeln!(
        out,
        "{} {}: {} events, first {} last {}",
        what,
        terminal(&p.value),
        p.events,
        p.first_seen.as_deref().unwrap_or("-"),
        p.last_seen.as_deref().unwrap_or("-")
    )?;
    writeln!(out, "\nactivity (host, log source, action: count, first .. last)")?;
    for a in &p.activity {
        writeln!(
            out,
            "  {:<10} {:<14} {:<24} {:>8}  {} .. {}",
            terminal(&a.host_name),
            a.source,
            terminal(&a.action),
            a.count,
            a.first_seen,
            a.last_seen
        )?;
    }
    if !p.attempts.is_empty() {
        writeln!(out, "\nauthentication attempts (each try once, as the rules count them; table `attempts`)")?;
        for a in &p.attempts {
            writeln!(out, "  {:<10} {:>8}  {} .. {}", terminal(&a.host_name), a.attempts, a.first_seen, a.last_seen)?;
        }
    }
    for (title, list) in [
        ("users", &p.users),
        ("source addresses", &p.source_ips),
        ("paths requested", &p.paths),
        ("destination ports", &p.ports),
    ] {
        if list.is_empty() {
            continue;
        }
        writeln!(out, "\n{title}")?;
        for c in list {
            writeln!(out, "  {:>8}  {}", c.count, terminal(&c.value))?;
        }
    }
    if p.mentions_total > 0 {
        writeln!(out, "\nmentioned in messages ({}; events whose text names it, not their fields)", p.mentions_total)?;
        for m in &p.mentions {
            writeln!(
                out,
                "  {}  {:<10} {:<20} {}  [{}:{}]",
                m.timestamp,
                terminal(&m.host_name),
                terminal(&m.action),
                terminal(&m.message),
                terminal(&m.file),
                m.line
            )?;
        }
        if p.mentions_total > p.mentions.len() as u64 {
            writeln!(out, "  … and {} more (timeline --grep)", p.mentions_total - p.mentions.len() as u64)?;
        }
    }
    writeln!(out, "\nfindings ({})", p.findings.len())?;
    for f in &p.findings {
        writeln!(out, "  [{}] {} {} ({})", f.severity, f.rule, terminal(&f.title), f.id)?;
    }
    Ok(())
}
