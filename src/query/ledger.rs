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
//! are filled in from its other lines when a line lacks them (PAM's `rhost=` may be a host name
//! while sshd names the address).

use polars::prelude::*;
use rayon::prelude::*;

use crate::schema::{action as a, column as c};

/// Version of the ledger's definition: a stored ledger of another version is recomputed.
pub const VERSION: u32 = 1;

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

/// Stream names, in tie-break priority order.
pub const STREAMS: &[&str] = &["daemon", "pam_error", "pam", "refusal", "none"];

/// The columns `attempts` keeps from `events`.
const KEEP: &[&str] = &[
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

/// What the ledger reads from `events`.
const READ: &[&str] = &[
    c::timestamp,
    c::event_module,
    c::host_name,
    c::process_pid,
    c::source_ip,
    c::user_name,
    c::auth_method,
    c::event_action,
    c::event_count,
    c::log_file_path,
    c::log_line,
];

/// The stream of one attempt line (an index into [`STREAMS`]).
fn stream_of(action: &str, method: Option<&str>) -> u8 {
    let method = method.unwrap_or("");
    if action == a::AUTH_PAM_ERROR {
        1
    } else if method == "pam" && (action == a::AUTH_FAILURE || action == a::AUTH_FAILURE_SUMMARY) {
        2
    } else if action == a::AUTH_FAILURE && method == "none" {
        4
    } else if action == a::AUTH_FAILURE {
        0
    } else {
        3
    }
}

/// What the ledger keeps of one connection (its per-stream sums are needed only while its lines
/// are scanned).
struct Connection<'a> {
    /// The chosen stream (an index into [`STREAMS`]).
    chosen: u8,
    invalid_user: bool,
    /// The largest address and user of its lines (any non-null one, chosen deterministically).
    ip: Option<&'a str>,
    user: Option<&'a str>,
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

/// The `attempts` table over `events`, collected: read the few columns it needs (the lines
/// whose action can be an attempt); pass 1 gives each line its connection key, stream and
/// weight, pass 2 sorts the keys and sums each connection's streams, pass 3 keeps the chosen
/// stream's lines. Sorting packed keys: polars' group-by and join back over millions of
/// connections cost several times more.
pub fn attempts(events: LazyFrame) -> PolarsResult<DataFrame> {
    let actions = Series::new("a".into(), ATTEMPT_ACTIONS);
    let lines = events
        .select(READ.iter().map(|r| col(*r)).collect::<Vec<_>>())
        .filter(col(c::event_action).is_in(lit(actions).implode(false), false))
        .with_column(
            (col(c::timestamp).cast(DataType::Int64) / lit(CONNECTION_BUCKET_SECS * 1_000_000)).alias("k_bucket"),
        );
    let mut lines = crate::query::Run::run(lines)?;
    // (No rechunk: it copied every column at once.)
    let n = lines.height();
    // Passes 1-3 borrow the lines' columns; what they give is owned, so that the lines can then
    // be filtered one column at a time (each column freed as its filtered copy is made: the
    // lines and a whole filtered copy at once doubled the ledger's peak memory).
    let (keep, derived) = {
        let host = lines.column(c::host_name)?.str()?;
        let pid = lines.column(c::process_pid)?.i64()?;
        let bucket = lines.column("k_bucket")?.i64()?;
        let action = lines.column(c::event_action)?.str()?;
        let method = lines.column(c::auth_method)?.str()?;
        let count = lines.column(c::event_count)?.i32()?;
        let ip = lines.column(c::source_ip)?.str()?;
        let user = lines.column(c::user_name)?.str()?;

        // Pass 1: each line's connection key, stream and weight, in file order.
        let mut hosts: foldhash::HashMap<&str, u32> = Default::default();
        let mut last_host: Option<(Option<&str>, u32)> = None;
        let mut keyed: Vec<(u128, u32)> = Vec::with_capacity(n);
        let mut line_stream: Vec<u8> = Vec::with_capacity(n);
        let mut weight: Vec<i32> = Vec::with_capacity(n);
        let mut invalid_line: Vec<bool> = Vec::with_capacity(n);
        let rows = host.iter().zip(pid.iter()).zip(bucket.iter()).zip(action.iter()).zip(method.iter());
        for (row, (((((h, p), b), act), m), w)) in rows.zip(count.iter()).enumerate() {
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
            // A line without a pid is a connection of its own.
            let pid = p.unwrap_or(-1 - row as i64);
            keyed.push((connection_key(h, b.unwrap_or(0), pid), row as u32));
            let act = act.unwrap_or("");
            line_stream.push(stream_of(act, m));
            weight.push(w.unwrap_or(1));
            invalid_line.push(act == a::AUTH_INVALID_USER);
        }
        // Pass 2: the lines sorted by connection (then file order), each connection's sums.
        keyed.par_sort_unstable();
        let ips: Vec<Option<&str>> = ip.iter().collect();
        let users: Vec<Option<&str>> = user.iter().collect();
        let mut conns: Vec<Connection> = Vec::new();
        let mut line_conn: Vec<u32> = vec![0; n];
        let mut k = 0;
        while k < keyed.len() {
            let key = keyed[k].0;
            let id = conns.len() as u32;
            let mut per_stream = [0i64; STREAMS.len()];
            let mut conn = Connection { chosen: 0, invalid_user: false, ip: None, user: None };
            while k < keyed.len() && keyed[k].0 == key {
                let row = keyed[k].1 as usize;
                per_stream[line_stream[row] as usize] += i64::from(weight[row]);
                conn.invalid_user |= invalid_line[row];
                conn.ip = conn.ip.max(ips[row]);
                conn.user = conn.user.max(users[row]);
                line_conn[row] = id;
                k += 1;
            }
            conn.chosen = chosen(&per_stream);
            conns.push(conn);
        }
        drop(keyed);

        // Pass 3: the chosen stream's lines, with their connection's address and user filled in.
        let keep: Vec<bool> = (0..n).map(|i| line_stream[i] == conns[line_conn[i] as usize].chosen).collect();
        let kept = || (0..n).filter(|&i| keep[i]);
        // A line's own address (user), else its connection's.
        let filled = |name: &str, user: bool| -> Column {
            let values: StringChunked = kept()
                .map(|i| {
                    let conn = &conns[line_conn[i] as usize];
                    let own = if user { users[i] } else { ips[i] };
                    own.or(if user { conn.user } else { conn.ip })
                })
                .collect();
            values.with_name(name.into()).into_column()
        };
        let ip_column = filled(c::source_ip, false);
        let user_column = filled(c::user_name, true);
        let attempts: Vec<i32> = kept().map(|i| weight[i]).collect();
        let streams: Vec<&str> = kept().map(|i| STREAMS[line_stream[i] as usize]).collect();
        let invalid: Vec<bool> = kept().map(|i| conns[line_conn[i] as usize].invalid_user).collect();
        let derived = vec![
            ip_column,
            user_column,
            Column::new("attempts".into(), &attempts),
            Column::new("attempt_stream".into(), streams),
            Column::new("invalid_user".into(), invalid),
            Column::new(c::event_count.into(), attempts),
        ];
        (keep, derived)
    };
    let mask = BooleanChunked::from_slice("keep".into(), &keep);
    drop(keep);
    let mut columns: Vec<Column> = Vec::with_capacity(KEEP.len() + derived.len());
    for name in KEEP.iter().copied().filter(|k| *k != c::source_ip && *k != c::user_name) {
        columns.push(lines.drop_in_place(name)?.filter(&mask)?);
    }
    drop(lines);
    columns.extend(derived);
    let out = DataFrame::new_infer_height(columns)?;
    out.select(KEEP.iter().copied().chain(["attempts", "attempt_stream", "invalid_user", c::event_count]))
}
