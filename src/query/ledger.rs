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

use crate::schema::{action as a, column as c};

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
    c::source_domain,
    c::user_name,
    c::auth_method,
    c::event_action,
    c::event_count,
    c::log_file_path,
    c::log_line,
];

/// The `attempts` table over `events`, collected: read the few columns it needs, group the
/// lines by connection, keep the chosen stream's lines.
pub fn attempts(events: LazyFrame) -> PolarsResult<DataFrame> {
    let action = || col(c::event_action);
    let method = || col(c::auth_method).fill_null(lit(""));
    let is_failure = || action().eq(lit(a::AUTH_FAILURE));
    let stream = when(action().eq(lit(a::AUTH_PAM_ERROR)))
        .then(lit(STREAMS[1]))
        .when(method().eq(lit("pam")).and(is_failure().or(action().eq(lit(a::AUTH_FAILURE_SUMMARY)))))
        .then(lit(STREAMS[2]))
        .when(is_failure().and(method().eq(lit("none"))))
        .then(lit(STREAMS[4]))
        .when(is_failure())
        .then(lit(STREAMS[0]))
        .otherwise(lit(STREAMS[3]));
    let actions = Series::new("a".into(), ATTEMPT_ACTIONS);
    let mut keep: Vec<Expr> = KEEP.iter().map(|k| col(*k)).collect();
    keep.push(col(c::event_count).fill_null(lit(1i32)).alias("attempts"));
    let lines = events
        .select(READ.iter().map(|r| col(*r)).collect::<Vec<_>>())
        .filter(action().is_in(lit(actions).implode(false), false))
        .with_row_index("k_row", None)
        .with_columns([stream.alias("attempt_stream")])
        .select(
            keep.into_iter()
                .chain([
                    col("attempt_stream"),
                    col(c::host_name).fill_null(lit("")).alias("k_host"),
                    // A line without a pid is a connection of its own.
                    when(col(c::process_pid).is_null())
                        .then(lit(-1i64) - col("k_row").cast(DataType::Int64))
                        .otherwise(col(c::process_pid))
                        .alias("k_pid"),
                    (col(c::timestamp).cast(DataType::Int64) / lit(CONNECTION_BUCKET_SECS * 1_000_000))
                        .alias("k_bucket"),
                ])
                .collect::<Vec<_>>(),
        );
    let keys = || [col("k_host"), col("k_pid"), col("k_bucket")];
    // Per-stream weights as plain columns, so the group-by sums numbers on its fast path.
    let weighted: Vec<Expr> = STREAMS
        .iter()
        .map(|s| {
            when(col("attempt_stream").eq(lit(*s)))
                .then(col("attempts").cast(DataType::Int64))
                .otherwise(lit(0i64))
                .alias(format!("w_{s}"))
        })
        .collect();
    let mut per_stream: Vec<Expr> = STREAMS.iter().map(|s| col(format!("w_{s}")).sum().alias(*s)).collect();
    // The connection's name was refused as nonexistent (privileged_target counts those names).
    per_stream.push(action().eq(lit(a::AUTH_INVALID_USER)).any(false).alias("invalid_user"));
    // A connection's address and user, for its lines that lack them (the largest value: any
    // non-null one of the connection, chosen deterministically).
    per_stream.push(col(c::source_ip).max().alias("k_ip"));
    per_stream.push(col(c::user_name).max().alias("k_user"));
    // The chosen stream: the largest; ties to the earlier of STREAMS.
    let best = polars::lazy::dsl::max_horizontal(STREAMS.iter().map(|s| col(*s)).collect::<Vec<_>>())?;
    let is_best = |i: usize| col(STREAMS[i]).eq(best.clone());
    let chosen = when(is_best(0))
        .then(lit(STREAMS[0]))
        .when(is_best(1))
        .then(lit(STREAMS[1]))
        .when(is_best(2))
        .then(lit(STREAMS[2]))
        .when(is_best(3))
        .then(lit(STREAMS[3]))
        .otherwise(lit(STREAMS[4]))
        .alias("k_chosen");
    let connections = lines.clone().with_columns(weighted).group_by(keys()).agg(per_stream).select([
        col("k_host"),
        col("k_pid"),
        col("k_bucket"),
        chosen,
        col("invalid_user"),
        col("k_ip"),
        col("k_user"),
    ]);
    let joined = lines
        .join(connections, keys(), keys(), JoinArgs::new(JoinType::Inner))
        .filter(col("attempt_stream").eq(col("k_chosen")))
        .with_columns([
            col(c::source_ip).fill_null(col("k_ip")),
            col(c::user_name).fill_null(col("k_user")),
            col("attempts").alias(c::event_count),
        ])
        .drop(Selector::ByName {
            names: ["k_host", "k_pid", "k_bucket", "k_chosen", "k_ip", "k_user"]
                .into_iter()
                .map(PlSmallStr::from)
                .collect(),
            strict: false,
        });
    crate::query::Run::run(joined)
}
