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
//!   with no gap longer than [`CONNECTION_GAP_SECS`] (OpenSSH forks one process per connection;
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

/// Lines of one process further apart than this are different connections.
pub const CONNECTION_GAP_SECS: i64 = 300;

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

/// The `attempts` table over `events` (lazy; nothing is read until it is collected).
pub fn attempts(events: LazyFrame) -> PolarsResult<LazyFrame> {
    let action = || col(c::event_action);
    let method = || col(c::auth_method).fill_null(lit(""));
    let is_failure = || action().eq(lit(a::AUTH_FAILURE));
    let stream = when(action().eq(lit(a::AUTH_PAM_ERROR)))
        .then(lit("pam_error"))
        .when(method().eq(lit("pam")).and(is_failure().or(action().eq(lit(a::AUTH_FAILURE_SUMMARY)))))
        .then(lit("pam"))
        .when(is_failure().and(method().eq(lit("none"))))
        .then(lit("none"))
        .when(is_failure())
        .then(lit("daemon"))
        .otherwise(lit("refusal"));
    let priority = when(col("attempt_stream").eq(lit("daemon")))
        .then(lit(0i32))
        .when(col("attempt_stream").eq(lit("pam_error")))
        .then(lit(1i32))
        .when(col("attempt_stream").eq(lit("pam")))
        .then(lit(2i32))
        .when(col("attempt_stream").eq(lit("refusal")))
        .then(lit(3i32))
        .otherwise(lit(4i32));
    let ts = || col(c::timestamp).cast(DataType::Int64);
    let conn = || [col("k_host"), col("k_pid"), col("k_conn")];
    let process = || [col("k_host"), col("k_pid")];
    let actions = Series::new("a".into(), ATTEMPT_ACTIONS);
    Ok(events
        .filter(action().is_in(lit(actions).implode(false), false))
        .with_row_index("k_row", None)
        .with_columns([
            col(c::host_name).fill_null(lit("")).alias("k_host"),
            when(col(c::process_pid).is_null())
                .then(lit(-1i64) - col("k_row").cast(DataType::Int64))
                .otherwise(col(c::process_pid))
                .alias("k_pid"),
            stream.alias("attempt_stream"),
            col(c::event_count).fill_null(lit(1i32)).cast(DataType::Int64).alias("attempts"),
        ])
        .sort(["k_host", "k_pid", c::timestamp, c::log_file_path, c::log_line], Default::default())
        .with_columns([(ts() - ts().shift(lit(1)).over(process())?)
            .gt(lit(CONNECTION_GAP_SECS * 1_000_000))
            .fill_null(lit(true))
            .cast(DataType::UInt32)
            .cum_sum(false)
            .over(process())?
            .alias("k_conn")])
        .with_columns([col("attempts")
            .sum()
            .over([col("k_host"), col("k_pid"), col("k_conn"), col("attempt_stream")])?
            .alias("k_n")])
        .with_columns([col("k_n").max().over(conn())?.alias("k_best"), priority.alias("k_prio")])
        .with_columns([when(col("k_n").eq(col("k_best")))
            .then(col("k_prio"))
            .otherwise(lit(99i32))
            .min()
            .over(conn())?
            .alias("k_chosen")])
        .filter(col("k_prio").eq(col("k_chosen")))
        .with_columns([
            col(c::source_ip).drop_nulls().first().over(conn())?.alias(c::source_ip),
            col(c::source_domain).drop_nulls().first().over(conn())?.alias(c::source_domain),
            col(c::user_name).drop_nulls().first().over(conn())?.alias("k_user"),
        ])
        .with_columns([col(c::user_name).fill_null(col("k_user")).alias(c::user_name)])
        .select([
            col(c::timestamp),
            col(c::event_module),
            col(c::host_name),
            col(c::process_name),
            col(c::process_pid),
            col(c::source_ip),
            col(c::source_domain),
            col(c::source_port),
            col(c::user_name),
            col(c::user_target_name),
            col(c::destination_ip),
            col(c::auth_method),
            col(c::event_action),
            col("attempt_stream"),
            col("attempts"),
            col("attempts").cast(DataType::Int32).alias(c::event_count),
            col(c::message),
            col(c::log_file_path),
            col(c::log_line),
        ])
        .sort([c::timestamp, c::log_file_path, c::log_line], Default::default()))
}
