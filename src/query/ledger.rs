//! The attempt ledger: authentication attempts counted as attackers make them, not as logs
//! write them. Defined once here and exposed as the SQL table `attempts`; every rule that counts
//! attempts, `pivot` and the report read it. `docs/ledger.md` explains it for analysts.
//!
//! One try is often logged several times: OpenSSH writes `Failed password …` and PAM writes
//! `pam_unix(sshd:auth): authentication failure; …` for the same password; a keyboard-interactive
//! try adds sshd's `error: PAM: Authentication failure …`; a name that does not exist is logged as
//! `Invalid user …` whether or not a password follows. And a try may be logged only once: bots
//! often disconnect right after the name is refused, and keyboard-interactive failures of valid
//! users are at sshd's VERBOSE level, so only PAM records them.
//!
//! The ledger therefore counts per *connection* and per *stream*:
//! - a connection is the lines of one daemon process on one host (`host_name`, `process_pid`)
//!   within one [`CONNECTION_BUCKET_SECS`] bucket (OpenSSH forks one process per connection;
//!   LoginGraceTime bounds the pre-authentication phase to 2 minutes by default). A line without
//!   a pid is a connection of its own;
//! - the streams are: `daemon` (the daemon's own verdict per try: sshd `Failed METHOD` except
//!   `none`, Dropbear `Bad password attempt`, FTP and `login` failures, JSON/CSV/web failures),
//!   `pam_error` (sshd's `PAM: … for USER from HOST`), `pam` (a PAM module's `authentication
//!   failure`, plus N for its `N more authentication failures`), `refusal` (a name refused
//!   before any credential: invalid user, not allowed by AllowUsers/DenyUsers/…, root refused),
//!   and `none` (sshd's `Failed none`, a probe for the allowed methods);
//! - a connection's attempts are those of its largest stream (ties: daemon, pam_error, pam,
//!   refusal, none), so a try logged by sshd and PAM counts once, a refused name without a
//!   password try counts once, and PAM-only tries still count. Preauth closes add nothing.
//!
//! Each row of `attempts` is one line of the chosen stream, with `attempts` = how many tries it
//! stands for (1, `message repeated N times`' N, or PAM's N). A connection's address and user
//! are filled in from its other lines when a line lacks them: the first of its lines, in case
//! order, that names one (PAM's `rhost=` may be a host name while sshd names the address).

use polars::prelude::*;
use rayon::prelude::*;

use crate::schema::{action as a, column as c};

/// Version of the ledger's definition: a stored ledger of another version is recomputed.
pub const VERSION: u32 = 2;

/// A connection is one process's lines within one such time bucket (an hour): long enough for
/// LoginGraceTime's 2 minutes, short enough that a reused process id rarely joins two
/// connections.
pub const CONNECTION_BUCKET_SECS: i64 = 3600;

/// The actions that can be an attempt.
pub const ATTEMPT_ACTIONS: &[&str] = &[
    a::AUTH_FAILURE,
    a::AUTH_FAILURE_SUMMARY,
    a::AUTH_PAM_ERROR,
    a::AUTH_INVALID_USER,
    a::AUTH_USER_NOT_ALLOWED,
    a::AUTH_ROOT_REFUSED,
];

/// At most about this many candidate lines are held in memory at once (about 300 bytes each
/// while the ledger is computed): the case's candidate lines are cut into batches of whole
/// connections, see [`batches`].
pub const BATCH_LINES: u64 = 4_000_000;

/// A unit of batching: a host's lines of one UTC day. A connection is one host's lines within one
/// hour bucket, and an hour bucket lies within one day, so no connection spans two units.
const DAY_MICROS: i64 = 86_400_000_000;

/// The unit keys, as polars expressions: the host (null as "", as connections key it) and the
/// day (null as 0, as the hour bucket of a line without a time is 0).
fn unit_host() -> Expr {
    col(c::host_name).fill_null(lit(""))
}
fn unit_day() -> Expr {
    (col(c::timestamp).cast(DataType::Int64) / lit(DAY_MICROS)).fill_null(lit(0i64))
}

/// The lines whose action can be an attempt.
fn candidates() -> Expr {
    let actions = Series::new("a".into(), ATTEMPT_ACTIONS);
    col(c::event_action).is_in(lit(actions).implode(false), false)
}

/// Filters cutting the case's candidate lines into batches of at most `max_lines` (more only when
/// one host's day alone has more), each made of whole units, so each batch's ledger is computed
/// on its own and the batches' ledgers together are the case's. Units are taken in (host, day)
/// order: a batch is some hosts whole and at most two others for a run of days. Never empty.
pub fn batches(events: &LazyFrame, max_lines: u64) -> PolarsResult<Vec<Expr>> {
    let units = events
        .clone()
        .filter(candidates())
        .group_by([unit_host().alias("h"), unit_day().alias("d")])
        .agg([len().cast(DataType::UInt64).alias("n")])
        .sort(["h", "d"], Default::default())
        .collect()?;
    let (hosts, days, counts) = (units.column("h")?.str()?, units.column("d")?.i64()?, units.column("n")?.u64()?);
    // Per batch: (host, first day, last day) runs, in order.
    let mut out: Vec<Vec<(String, i64, i64)>> = Vec::new();
    let mut lines = u64::MAX;
    for ((h, d), n) in hosts.iter().zip(days.iter()).zip(counts.iter()) {
        let (h, d, n) = (h.unwrap_or(""), d.unwrap_or(0), n.unwrap_or(0));
        if lines.saturating_add(n) > max_lines {
            out.push(Vec::new());
            lines = 0;
        }
        lines += n;
        let batch = out.last_mut().expect("a batch was started");
        match batch.last_mut() {
            Some((host, _, last)) if host == h => *last = d,
            _ => batch.push((h.to_string(), d, d)),
        }
    }
    // A host whose every unit is in the batch is taken by name; the others by their days.
    let mut whole_of: std::collections::HashMap<&str, usize> = Default::default();
    for batch in &out {
        for (h, _, _) in batch {
            *whole_of.entry(h.as_str()).or_default() += 1;
        }
    }
    if out.is_empty() {
        // No candidate line: one batch of everything gives the empty ledger with its columns.
        return Ok(vec![lit(true)]);
    }
    Ok(out
        .iter()
        .map(|batch| {
            let whole: Vec<&str> =
                batch.iter().filter(|(h, _, _)| whole_of[h.as_str()] == 1).map(|(h, _, _)| h.as_str()).collect();
            let mut filter = unit_host().is_in(lit(Series::new("w".into(), whole)).implode(false), false);
            for (h, first, last) in batch.iter().filter(|(h, _, _)| whole_of[h.as_str()] > 1) {
                let days = unit_day().gt_eq(lit(*first)).and(unit_day().lt_eq(lit(*last)));
                filter = filter.or(unit_host().eq(lit(h.clone())).and(days));
            }
            filter
        })
        .collect())
}

/// Stream names, in tie-break priority order.
pub const STREAMS: &[&str] = &["daemon", "pam_error", "pam", "refusal", "none"];

/// What the ledger reads from `events`, besides the columns it derives there.
const READ: &[&str] = &[
    c::timestamp,
    c::event_module,
    c::host_name,
    c::process_pid,
    c::source_ip,
    c::user_name,
    c::event_action,
    c::log_file_path,
    c::log_line,
];

/// The stream of one attempt line (an index into [`STREAMS`]), as a polars expression, so that
/// the passes below read small integers rather than strings.
fn stream_expr() -> Expr {
    let action = || col(c::event_action);
    let method = || col(c::auth_method).fill_null(lit(""));
    let failure = || action().eq(lit(a::AUTH_FAILURE));
    let summary = || action().eq(lit(a::AUTH_FAILURE_SUMMARY));
    when(action().eq(lit(a::AUTH_PAM_ERROR)))
        .then(lit(1u8))
        .when(method().eq(lit("pam")).and(failure().or(summary())))
        .then(lit(2u8))
        .when(failure().and(method().eq(lit("none"))))
        .then(lit(4u8))
        .when(failure())
        .then(lit(0u8))
        .otherwise(lit(3u8))
        .cast(DataType::UInt8)
        .alias("k_stream")
}

/// What the ledger keeps of one connection (its per-stream sums are needed only while its lines
/// are scanned).
struct Connection {
    /// The chosen stream (an index into [`STREAMS`]).
    chosen: u8,
    invalid_user: bool,
    /// The first of its lines (in case order) that names an address (a user).
    ip_row: Option<IdxSize>,
    user_row: Option<IdxSize>,
}

/// The chosen stream: the largest; ties to the earlier of [`STREAMS`].
fn chosen(per_stream: &[i64; STREAMS.len()]) -> u8 {
    let mut best = 0;
    for (i, &n) in per_stream.iter().enumerate() {
        if n > per_stream[best] {
            best = i;
        }
    }
    best as u8
}

/// A connection's key, packed so that sorting groups its lines: host (32 bits), hour bucket (32
/// bits), process id (64 bits).
fn connection_key(host: u32, bucket: i64, pid: i64) -> u128 {
    (u128::from(host) << 96) | (u128::from(bucket as u32) << 64) | u128::from(pid as u64)
}

/// Each line's connection key, in case order (pass 1). A line without a pid is a connection of
/// its own.
fn connection_keys(lines: &DataFrame) -> PolarsResult<Vec<(u128, IdxSize)>> {
    let host = lines.column(c::host_name)?.str()?;
    let pid = lines.column(c::process_pid)?.i64()?;
    let bucket = lines.column("k_bucket")?.i64()?;
    let mut hosts: foldhash::HashMap<&str, u32> = Default::default();
    let mut last_host: Option<(Option<&str>, u32)> = None;
    let mut keyed = Vec::with_capacity(lines.height());
    for (row, ((h, p), b)) in host.iter().zip(pid.iter()).zip(bucket.iter()).enumerate() {
        // Lines of one host come in runs: the previous line's host first, then the map.
        let h = match last_host {
            Some((lh, id)) if lh == h => id,
            _ => {
                let next = hosts.len() as u32;
                let id = *hosts.entry(h.unwrap_or("")).or_insert(next);
                last_host = Some((h, id));
                id
            }
        };
        let pid = p.unwrap_or(-1 - row as i64);
        keyed.push((connection_key(h, b.unwrap_or(0), pid), row as IdxSize));
    }
    Ok(keyed)
}

/// Which lines name a value in column `name`.
fn present(lines: &DataFrame, name: &str) -> PolarsResult<Vec<bool>> {
    Ok(lines.column(name)?.is_not_null().iter().map(|v| v.unwrap_or(false)).collect())
}

/// Each line's stream, and which lines name an address and a user (read once, shared by
/// passes 2 and 3).
struct LineFacts {
    stream: Vec<u8>,
    has_ip: Vec<bool>,
    has_user: Vec<bool>,
}

/// Pass 2: the lines sorted by connection (then case order); each connection's sums, and each
/// line's connection.
fn connections(
    lines: &DataFrame,
    mut keyed: Vec<(u128, IdxSize)>,
    facts: &LineFacts,
) -> PolarsResult<(Vec<Connection>, Vec<u32>)> {
    let LineFacts { stream, has_ip, has_user } = facts;
    let weight: Vec<i32> = lines.column("k_weight")?.i32()?.iter().map(|w| w.unwrap_or(1)).collect();
    let invalid: Vec<bool> = lines.column("k_invalid")?.bool()?.iter().map(|v| v.unwrap_or(false)).collect();
    keyed.par_sort_unstable();
    let mut conns: Vec<Connection> = Vec::new();
    let mut line_conn: Vec<u32> = vec![0; lines.height()];
    let mut k = 0;
    while k < keyed.len() {
        let key = keyed[k].0;
        let id = conns.len() as u32;
        let mut per_stream = [0i64; STREAMS.len()];
        let mut conn = Connection { chosen: 0, invalid_user: false, ip_row: None, user_row: None };
        while k < keyed.len() && keyed[k].0 == key {
            let row = keyed[k].1;
            let r = row as usize;
            per_stream[stream[r] as usize] += i64::from(weight[r]);
            conn.invalid_user |= invalid[r];
            if conn.ip_row.is_none() && has_ip[r] {
                conn.ip_row = Some(row);
            }
            if conn.user_row.is_none() && has_user[r] {
                conn.user_row = Some(row);
            }
            line_conn[r] = id;
            k += 1;
        }
        conn.chosen = chosen(&per_stream);
        conns.push(conn);
    }
    Ok((conns, line_conn))
}

/// The `attempts` table over `events` (the whole case, or one of its [`batches`]), collected:
/// read the few columns it needs (the lines whose action can be an attempt, with their stream,
/// weight and refusal derived by polars);
/// pass 1 gives each line its connection key, pass 2 sorts the keys and sums each connection's
/// streams, pass 3 keeps the chosen stream's lines. Sorting packed keys: polars' group-by and
/// join back over millions of connections cost several times more. The passes read integers
/// only; the kept lines' strings are gathered by row number, never copied one by one.
pub fn attempts(events: LazyFrame) -> PolarsResult<DataFrame> {
    let lines = events.filter(candidates()).select(
        READ.iter()
            .map(|r| col(*r))
            .chain([
                (col(c::timestamp).cast(DataType::Int64) / lit(CONNECTION_BUCKET_SECS * 1_000_000)).alias("k_bucket"),
                stream_expr(),
                col(c::event_count).fill_null(lit(1i32)).alias("k_weight"),
                col(c::event_action).eq(lit(a::AUTH_INVALID_USER)).alias("k_invalid"),
            ])
            .collect::<Vec<_>>(),
    );
    let mut lines = crate::query::Run::run(lines)?;
    // (No rechunk: it copied every column at once.)
    let keyed = connection_keys(&lines)?;
    let facts = LineFacts {
        stream: lines.column("k_stream")?.u8()?.iter().map(|s| s.unwrap_or(3)).collect(),
        has_ip: present(&lines, c::source_ip)?,
        has_user: present(&lines, c::user_name)?,
    };
    let (conns, line_conn) = connections(&lines, keyed, &facts)?;

    // Pass 3: the chosen stream's lines, with their connection's address and user filled in.
    let keep: Vec<bool> =
        facts.stream.iter().zip(&line_conn).map(|(&s, &conn)| s == conns[conn as usize].chosen).collect();
    let kept_rows: Vec<IdxSize> = (0..keep.len()).filter(|&i| keep[i]).map(|i| i as IdxSize).collect();
    let conn_of = |row: IdxSize| &conns[line_conn[row as usize] as usize];
    // A line's own address (user), else its connection's: one gather by row number.
    let filled = |name: &str,
                  has: &[bool],
                  from_conn: &dyn Fn(&Connection) -> Option<IdxSize>|
     -> PolarsResult<Column> {
        let values = lines.column(name)?;
        let rows: IdxCa =
            kept_rows.iter().map(|&row| if has[row as usize] { Some(row) } else { from_conn(conn_of(row)) }).collect();
        values.take(&rows)
    };
    let ip_column = filled(c::source_ip, &facts.has_ip, &|conn| conn.ip_row)?;
    let user_column = filled(c::user_name, &facts.has_user, &|conn| conn.user_row)?;
    let kept_idx = IdxCa::from_vec("rows".into(), kept_rows.clone());
    let attempts = lines.column("k_weight")?.take(&kept_idx)?.with_name("attempts".into());
    let names = StringChunked::from_slice("attempt_stream".into(), STREAMS);
    let stream_rows: IdxCa = kept_rows.iter().map(|&row| Some(conn_of(row).chosen as IdxSize)).collect();
    let streams = names.take(&stream_rows)?.into_column();
    let invalid: BooleanChunked = kept_rows
        .iter()
        .map(|&row| Some(conn_of(row).invalid_user))
        .collect::<BooleanChunked>()
        .with_name("invalid_user".into());
    let derived = vec![
        ip_column,
        user_column,
        attempts.clone(),
        streams,
        invalid.into_column(),
        attempts.with_name(c::event_count.into()),
    ];
    drop(line_conn);
    let mask = BooleanChunked::from_slice("keep".into(), &keep);
    drop(keep);
    let mut columns: Vec<Column> = Vec::with_capacity(READ.len() + derived.len());
    for name in READ.iter().copied().filter(|k| *k != c::source_ip && *k != c::user_name) {
        columns.push(lines.drop_in_place(name)?.filter(&mask)?);
    }
    drop(lines);
    columns.extend(derived);
    let out = DataFrame::new_infer_height(columns)?.select(READ.iter().copied().chain([
        "attempts",
        "attempt_stream",
        "invalid_user",
        c::event_count,
    ]))?;
    // In (host, address, time) order: each host's tries from one address lie together and in
    // time order, as the rules' windows over them (`PARTITION BY host_name, source_ip ORDER BY
    // timestamp`) read them; polars' windows over the bench case's ledger took 20 % less CPU
    // than over it in connection order.
    out.sort([c::host_name, c::source_ip, c::timestamp], SortMultipleOptions::default().with_maintain_order(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Attempt lines of three hosts (one unnamed) over three days, with and without pids, as
    /// sshd and PAM log them: (micros, host, pid, action, method, address).
    fn events() -> LazyFrame {
        type Row = (i64, Option<&'static str>, Option<i64>, &'static str, Option<&'static str>, Option<&'static str>);
        let day = DAY_MICROS;
        let mut rows: Vec<Row> = Vec::new();
        for (d, host) in [(0, Some("web01")), (1, Some("web01")), (2, Some("db01")), (1, None), (2, Some("web01"))] {
            let t = 1_767_225_600_000_000 + d * day + 3_600_000_000;
            rows.push((t, host, Some(100 + d), a::AUTH_INVALID_USER, None, Some("192.0.2.7")));
            rows.push((t + 1, host, Some(100 + d), a::AUTH_FAILURE, Some("password"), Some("192.0.2.7")));
            rows.push((t + 2, host, Some(100 + d), a::AUTH_FAILURE, Some("pam"), None));
            rows.push((t + 3, host, Some(200 + d), a::AUTH_PAM_ERROR, None, Some("198.51.100.9")));
            rows.push((t + 4, host, None, a::AUTH_FAILURE, Some("none"), Some("203.0.113.5")));
            rows.push((t + 5, host, Some(100 + d), "auth.success", Some("password"), Some("192.0.2.7")));
        }
        let n = rows.len();
        df!(
            c::timestamp => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            c::event_module => vec!["auth"; n],
            c::host_name => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            c::process_pid => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            c::source_ip => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
            c::user_name => rows.iter().map(|_| Some("root")).collect::<Vec<_>>(),
            c::event_action => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            c::auth_method => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
            c::log_file_path => vec!["var/log/auth.log"; n],
            c::log_line => (1..=n as i64).collect::<Vec<_>>(),
            c::event_count => vec![1i32; n],
        )
        .unwrap()
        .lazy()
        .with_column(col(c::timestamp).cast(DataType::Datetime(TimeUnit::Microseconds, None)))
    }

    fn sorted(df: DataFrame) -> DataFrame {
        df.sort([c::log_line], Default::default()).unwrap()
    }

    #[test]
    fn batches_of_whole_host_days_give_the_ledger_of_the_whole_case() {
        let whole = sorted(attempts(events()).unwrap());
        assert!(whole.height() > 0);
        for max in [1, 2, 5, 7, 1_000] {
            let filters = batches(&events(), max).unwrap();
            assert_eq!(filters.len() > 1, max < 20, "max {max}: {} batches", filters.len());
            let mut parts = filters.into_iter().map(|f| attempts(events().filter(f)).unwrap());
            let mut joined = parts.next().unwrap();
            for p in parts {
                joined.vstack_mut(&p).unwrap();
            }
            assert!(sorted(joined).equals_missing(&whole), "max {max}");
        }
    }
}
