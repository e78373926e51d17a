//! The one normalized event schema, defined once.
//!
//! Every column of the events dataset is declared here, in one macro invocation: the
//! [`Event`] record the parsers fill, the Arrow schema the writer uses and the column
//! documentation all come from this list, so a name can never be retyped wrong elsewhere.
//! Column names follow the Elastic Common Schema, flattened with underscores.
//! `event_module` is the hive partition key (`events/event_module=auth/…`), so it lives in
//! the directory name rather than inside the Parquet files.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;

/// Version of the event schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 3;
/// Hive partition column of `events/`.
pub const EVENT_PARTITION: &str = "event_module";
/// Hive partition column of `rejects/`.
pub const REJECT_PARTITION: &str = "log_format";
/// Time zone recorded on the timestamp column.
pub const UTC: &str = "UTC";

/// The kinds of column the schema uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTC timestamp, microseconds.
    Ts,
    I32,
    I64,
    Str,
    Bin,
    /// A list of strings (`process_args`).
    StrList,
}

impl Kind {
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Ts => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            Kind::I32 => DataType::Int32,
            Kind::I64 => DataType::Int64,
            Kind::Str => DataType::Utf8,
            Kind::Bin => DataType::Binary,
            Kind::StrList => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        }
    }
    pub fn sql_type(self) -> &'static str {
        match self {
            Kind::Ts => "TIMESTAMP (UTC, µs)",
            Kind::I32 => "INT32",
            Kind::I64 => "INT64",
            Kind::Str => "STRING",
            Kind::Bin => "BINARY",
            Kind::StrList => "LIST<STRING>",
        }
    }
}

/// Documentation of one column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub doc: &'static str,
}

macro_rules! field_ty {
    (Ts) => { i64 };
    (I32) => { Option<i32> };
    (I64) => { Option<i64> };
    (Str) => { Option<Cow<'a, str>> };
    (Bin) => { Option<&'a [u8]> };
    (StrList) => { Option<Vec<String>> };
}
macro_rules! builder_ty {
    (Ts) => {
        TimestampMicrosecondBuilder
    };
    (I32) => {
        Int32Builder
    };
    (I64) => {
        Int64Builder
    };
    (Str) => {
        StringBuilder
    };
    (Bin) => {
        BinaryBuilder
    };
    (StrList) => {
        ListBuilder<StringBuilder>
    };
}
/// An Arrow builder that can be created late: a column stays unallocated (and costs nothing per
/// row) until its first value, so the many columns a given format never fills are written as one
/// null array per batch instead of one null per row.
pub trait ColumnBuild {
    type Value: ?Sized;
    /// A builder for `cap` rows and, for variable-width columns, `bytes` bytes of values.
    fn make(cap: usize, bytes: usize) -> Self;
    fn nulls(&mut self, n: usize);
    fn value(&mut self, v: &Self::Value);
    fn done(&mut self) -> ArrayRef;
}

impl ColumnBuild for StringBuilder {
    type Value = str;
    fn make(cap: usize, bytes: usize) -> Self {
        StringBuilder::with_capacity(cap, bytes)
    }
    fn nulls(&mut self, n: usize) {
        self.append_nulls(n)
    }
    fn value(&mut self, v: &str) {
        self.append_value(v)
    }
    fn done(&mut self) -> ArrayRef {
        Arc::new(self.finish())
    }
}

impl ColumnBuild for BinaryBuilder {
    type Value = [u8];
    fn make(cap: usize, _bytes: usize) -> Self {
        BinaryBuilder::with_capacity(cap, 0)
    }
    fn nulls(&mut self, n: usize) {
        self.append_nulls(n)
    }
    fn value(&mut self, v: &[u8]) {
        self.append_value(v)
    }
    fn done(&mut self) -> ArrayRef {
        Arc::new(self.finish())
    }
}

impl ColumnBuild for ListBuilder<StringBuilder> {
    type Value = [String];
    fn make(cap: usize, bytes: usize) -> Self {
        ListBuilder::with_capacity(StringBuilder::with_capacity(cap, bytes), cap)
    }
    fn nulls(&mut self, n: usize) {
        for _ in 0..n {
            self.append_null();
        }
    }
    fn value(&mut self, v: &[String]) {
        for item in v {
            self.values().append_value(item);
        }
        self.append(true);
    }
    fn done(&mut self) -> ArrayRef {
        Arc::new(self.finish())
    }
}

macro_rules! primitive_build {
    ($b:ty, $v:ty, $make:expr) => {
        impl ColumnBuild for $b {
            type Value = $v;
            fn make(cap: usize, _bytes: usize) -> Self {
                $make(cap)
            }
            fn nulls(&mut self, n: usize) {
                self.append_nulls(n)
            }
            fn value(&mut self, v: &$v) {
                self.append_value(*v)
            }
            fn done(&mut self) -> ArrayRef {
                Arc::new(self.finish())
            }
        }
    };
}
primitive_build!(Int32Builder, i32, Int32Builder::with_capacity);
primitive_build!(Int64Builder, i64, Int64Builder::with_capacity);
primitive_build!(TimestampMicrosecondBuilder, i64, |cap| TimestampMicrosecondBuilder::with_capacity(cap)
    .with_timezone(UTC));

/// A column builder allocated at its first value.
pub struct LazyColumn<B> {
    builder: Option<B>,
    len: usize,
    cap: usize,
    bytes: usize,
}

impl<B: ColumnBuild> LazyColumn<B> {
    pub fn new(cap: usize, bytes: usize) -> Self {
        Self { builder: None, len: 0, cap, bytes }
    }
    #[inline]
    pub fn push(&mut self, v: Option<&B::Value>) {
        match (v, self.builder.as_mut()) {
            (Some(v), Some(b)) => b.value(v),
            (Some(v), None) => {
                let mut b = B::make(self.cap.max(self.len + 1), self.bytes);
                b.nulls(self.len);
                b.value(v);
                self.builder = Some(b);
            }
            (None, Some(b)) => b.nulls(1),
            (None, None) => {}
        }
        self.len += 1;
    }
    pub fn finish(&mut self, dt: &DataType) -> ArrayRef {
        let len = std::mem::take(&mut self.len);
        match self.builder.take() {
            Some(mut b) => b.done(),
            None => null_column(dt, len),
        }
    }
}

/// Batches up to this many rows share their all-null columns ([`null_column`]).
const SHARED_NULL_ROWS: usize = 4096;

thread_local! {
    /// The last all-null column made per data type on this thread.
    static NULL_COLUMNS: std::cell::RefCell<Vec<(DataType, ArrayRef)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An all-null column of `len` rows. A small input's batch leaves most of the schema's columns
/// empty: each was a new array of its own (three or four allocations), 150,000 of them for
/// 2,800 inputs of 20 lines, made on one thread and freed on another. Small ones are shared
/// instead: the same array again, or a slice of a longer one, per data type and thread.
fn null_column(dt: &DataType, len: usize) -> ArrayRef {
    if len > SHARED_NULL_ROWS {
        return arrow::array::new_null_array(dt, len);
    }
    NULL_COLUMNS.with_borrow_mut(|cache| {
        let slot = match cache.iter().position(|(t, _)| t == dt) {
            Some(i) => i,
            None => {
                cache.push((dt.clone(), arrow::array::new_null_array(dt, len)));
                cache.len() - 1
            }
        };
        let shared = &mut cache[slot].1;
        match shared.len().cmp(&len) {
            std::cmp::Ordering::Equal => shared.clone(),
            std::cmp::Ordering::Greater => shared.slice(0, len),
            std::cmp::Ordering::Less => {
                *shared = arrow::array::new_null_array(dt, len);
                shared.clone()
            }
        }
    })
}

macro_rules! value_ref {
    (Ts, $r:tt, $v:expr) => {
        Some(&$v)
    };
    (Str, true, $v:expr) => {
        Some($v.as_deref().unwrap_or(""))
    };
    (Str, false, $v:expr) => {
        $v.as_deref()
    };
    (Bin, $r:tt, $v:expr) => {
        $v
    };
    (StrList, $r:tt, $v:expr) => {
        $v.as_deref()
    };
    ($k:ident, true, $v:expr) => {
        Some(&$v.unwrap_or(0))
    };
    ($k:ident, false, $v:expr) => {
        $v.as_ref()
    };
}

macro_rules! owned {
    (Str, $v:expr) => {
        $v.map(|c| Cow::Owned(c.into_owned()))
    };
    (Bin, $v:expr) => {{
        let _ = $v;
        None
    }};
    ($k:ident, $v:expr) => {
        $v
    };
}

macro_rules! define_event_schema {
    ($( $field:ident : $kind:ident, $req:tt, $doc:literal; )*) => {
        /// One normalized event, borrowing from the line it came from where it can.
        /// `module` is the partition key and is not a column inside the files.
        #[derive(Debug, Default, Clone)]
        pub struct Event<'a> {
            $( pub $field: field_ty!($kind), )*
        }

        impl Event<'_> {
            /// The same event owning all its text. Raw bytes (`event_original_raw`) are not
            /// kept: the pipeline attaches them after parsing.
            pub fn into_owned(self) -> Event<'static> {
                Event { $( $field: owned!($kind, self.$field), )* }
            }
        }

        /// Column names as constants (`column::host_name`), so no name is retyped elsewhere.
        #[allow(non_upper_case_globals)]
        pub mod column {
            $( pub const $field: &str = stringify!($field); )*
            /// The hive partition column of `events/`.
            pub const event_module: &str = super::EVENT_PARTITION;
        }

        /// Every column of the events files, in file order.
        pub const EVENT_COLUMNS: &[Column] = &[
            $( Column { name: stringify!($field), kind: Kind::$kind, required: $req, doc: $doc }, )*
        ];

        /// Column-wise Arrow builders for a batch of events.
        pub struct EventBuilder {
            len: usize,
            $( $field: LazyColumn<builder_ty!($kind)>, )*
        }

        impl EventBuilder {
            /// Builders for `rows` events whose raw lines total `line_bytes`: the columns
            /// that hold (most of) the line get that many bytes up front, the others a short
            /// field's worth per row, so the hot path rarely grows and copies a buffer.
            pub fn with_capacity(rows: usize, line_bytes: usize) -> Self {
                let mut b = Self { len: 0, $( $field: LazyColumn::new(rows, rows * 16), )* };
                b.event_original.bytes = line_bytes;
                b.message.bytes = line_bytes;
                b
            }
            pub fn len(&self) -> usize { self.len }
            pub fn is_empty(&self) -> bool { self.len == 0 }
            /// Appends one event. Required string columns get `""` when a parser left them
            /// empty, so a batch can never fail its own schema.
            pub fn push(&mut self, ev: &Event<'_>) {
                self.len += 1;
                $( self.$field.push(value_ref!($kind, $req, ev.$field)); )*
            }
            /// Finishes the batch and resets the builders.
            pub fn finish(&mut self) -> RecordBatch {
                self.len = 0;
                let columns: Vec<ArrayRef> = vec![ $( self.$field.finish(&Kind::$kind.data_type()), )* ];
                RecordBatch::try_new(event_schema(), columns)
                    .expect("event builder columns always match the event schema")
            }
        }
    };
}

define_event_schema! {
    timestamp: Ts, true, "When the event happened, in UTC, microseconds since 1970-01-01.";
    timestamp_original_offset: I32, false, "UTC offset the line itself carried, in minutes (e.g. -420); null when the line had no zone and `--tz` was applied.";
    year_source: Str, true, "How the year was decided: `line` (the line had one), `mtime` (year-less line, file modification time), `rotation` (year-less line, from the newer file of its logrotate set), `cross_source` (year-less line, the mtime's year moved by whole years to agree with the host's lines that carry years), `override` (`--year`).";
    time_flag: Str, false, "Set when a zone-less local time met a daylight-saving change: `dst_fold_first` / `dst_fold_second` (a local time the fall-back hour repeats, placed at its first or second occurrence by the order of the file's lines), `dst_gap` (a local time the spring-forward hour skips, read with the offset before it); null otherwise.";
    host_name: Str, false, "Host that wrote the line (syslog host field), else the evidence layout (`web01/var/log/…` anywhere in the path, or the host folder under the ingest root), else `--host`, else the name of the folder or file given to `ingest`; never null for a new ingest (the manifest's `host_source` says which).";
    process_name: Str, false, "Program name (syslog tag), e.g. `sshd`, `sudo`, `kernel`.";
    process_pid: I64, false, "Process id from the syslog tag, the journal's `_PID`, audit `pid=`.";
    process_parent_pid: I64, false, "Parent process id (audit SYSCALL `ppid=`).";
    process_executable: Str, false, "Absolute path of the program (audit `exe=`, journal `_EXE`).";
    process_args: StrList, false, "The program's arguments, `argv[0]` first (audit EXECVE `a0`, `a1`, … hex-decoded and joined across split records).";
    process_working_directory: Str, false, "Working directory (audit CWD `cwd=`).";
    user_id: Str, false, "Numeric id of the user the process ran as (audit `uid=`, journal `_UID`).";
    user_effective_id: Str, false, "Effective user id (audit `euid=`): `0` for a command run through sudo.";
    user_audit_id: Str, false, "Audit login uid (audit `auid=`): the user who logged in, kept across sudo and su; null for `4294967295` (unset).";
    audit_session_id: Str, false, "Audit login session (audit `ses=`); null for `4294967295` (unset).";
    audit_key: Str, false, "Key of the audit rule that recorded the event (`-k exec` → `exec`); null for `(null)`.";
    file_path: Str, false, "File the event touched (audit PATH `name=` of the first item that is not the parent directory).";
    host_boot_id: Str, false, "Boot the event belongs to (journal `_BOOT_ID`).";
    systemd_unit: Str, false, "systemd unit of the process (journal `_SYSTEMD_UNIT`).";
    journal_transport: Str, false, "How the entry reached the journal (`_TRANSPORT`: `syslog`, `journal`, `stdout`, `kernel`, `audit`, `driver`).";
    event_category: Str, false, "ECS category: `authentication`, `session`, `iam`, `process`, `network`, `web`, `host`.";
    event_action: Str, true, "Normalized action, e.g. `auth.failure`, `auth.success`, `auth.invalid_user`, `sudo.command`, `account.create`, `http.request`, `firewall.block`; `log.message` when a line was read but not understood further.";
    event_outcome: Str, true, "`success`, `failure` or `unknown` (as ECS).";
    event_count: I32, true, "How many occurrences this line stands for: 1, or N+1 for rsyslog's `message repeated N times: [...]`.";
    log_level: Str, false, "Severity as the source wrote it (syslog PRI severity name, JSON `level`).";
    user_name: Str, false, "The acting or authenticating user (sshd login name, sudo/su invoking user, HTTP auth user).";
    user_target_name: Str, false, "The target user: sudo `USER=`, su `(to root)`, the account created/changed/deleted.";
    group_name: Str, false, "Group for group changes (`add 'x' to group 'sudo'`).";
    auth_method: Str, false, "Authentication method: `password`, `publickey`, `keyboard-interactive/pam`, `none`, `pam` (a PAM module's own line).";
    source_ip: Str, false, "Client / attacker address, canonical text (IPv4-mapped IPv6 shown as IPv4).";
    source_domain: Str, false, "Client host name when the log names a host instead of an address.";
    source_port: I32, false, "Client port.";
    destination_ip: Str, false, "Destination address (firewall `DST=`, JSON/CSV).";
    destination_port: I32, false, "Destination port (firewall `DPT=`, the vhost port of vhost_combined).";
    network_transport: Str, false, "Transport protocol, lower case: `tcp`, `udp`, `icmp`, …";
    observer_ingress_interface_name: Str, false, "Firewall `IN=` interface.";
    rule_name: Str, false, "Firewall rule / log prefix, e.g. `UFW BLOCK`.";
    process_command_line: Str, false, "Command run: sudo `COMMAND=`, CRON `CMD (…)`, audit EXECVE arguments (or PROCTITLE) joined with spaces, journal `_CMDLINE`.";
    http_request_method: Str, false, "HTTP method as written (`GET`, `POST`, …).";
    url_domain: Str, false, "Virtual host (vhost_combined `%v`).";
    url_path: Str, false, "Request path as written, not decoded.";
    url_query: Str, false, "Query string after `?`, as written, not decoded.";
    http_version: Str, false, "HTTP version, e.g. `1.1`.";
    http_response_status_code: I32, false, "HTTP status.";
    http_response_body_bytes: I64, false, "Response bytes (`%b`); null for `-`.";
    http_request_referrer: Str, false, "Referer header.";
    user_agent_original: Str, false, "User-Agent header, unescaped.";
    message: Str, false, "The free-text message (syslog MSG, JSON `message`).";
    event_extra: Str, false, "JSON object with the source fields that have no column (JSON lines, CSV).";
    log_file_path: Str, true, "Evidence file, relative to the ingest root, as in the manifest.";
    log_line: I64, true, "1-based line number in the decompressed file. For a journal file (`.journal`, `journalctl -o export`) it is the entry's 1-based position in the file's order of entries, and `log_record_id` holds the journal's cursor; for an audit event it is the line of its first record.";
    log_record_id: Str, false, "The source's own id for the record, to find it again with the source's tools: the journal cursor (`s=…;i=…;b=…;m=…;t=…;x=…`, for `journalctl --file F --cursor=…`) or the audit event id (`1700000000.123:4567`, for `ausearch --event 4567`).";
    log_line_end: I64, false, "Last line of a multi-line record (a stack trace's lines folded into the timestamped line above them, in `message` and `event_original` too; the last record of an audit event); null for one-line events.";
    event_original: Str, true, "The raw line (CR/LF stripped); an audit event's records joined with line breaks; a journal entry as one `journalctl -o json` object. Invalid UTF-8 is replaced by U+FFFD here and kept byte-exact in `event_original_raw`.";
    event_original_raw: Bin, false, "The raw line's bytes, only when it was not valid UTF-8.";
}

macro_rules! define_vocabulary {
    (
        actions { $( $aconst:ident = $aname:literal, $adoc:literal; )* }
        outcomes { $( $oconst:ident = $oname:literal; )* }
    ) => {
        /// Every `event_action` value a parser writes, with its meaning. Rules, tests and the
        /// docs use these constants; `docs/schema.md` lists them.
        pub mod action {
            $( #[doc = $adoc] pub const $aconst: &str = $aname; )*
            /// (value, meaning) of every action, in declaration order.
            pub const ALL: &[(&str, &str)] = &[ $( ($aname, $adoc), )* ];
        }
        /// The `event_outcome` values (as ECS).
        pub mod outcome {
            $( pub const $oconst: &str = $oname; )*
            pub const ALL: &[&str] = &[ $( $oname, )* ];
        }
    };
}

define_vocabulary! {
    actions {
        LOG_MESSAGE = "log.message", "A line that was read (time, host, program) but whose message has no further meaning for logsleuth.";
        AUTH_SUCCESS = "auth.success", "A login succeeded (sshd `Accepted`, Dropbear `auth succeeded`, FTP `OK LOGIN`, `login` root/user logins).";
        AUTH_FAILURE = "auth.failure", "A credential was tried and refused (sshd `Failed`, Dropbear `Bad password attempt`, a PAM module's `authentication failure` with `auth_method = pam`, FTP login failures, HTTP basic auth). One try may be logged by several programs: count tries in the `attempts` table.";
        AUTH_FAILURE_SUMMARY = "auth.failure_summary", "PAM's `N more authentication failures` line after a connection ends; `event_count` holds N.";
        AUTH_PAM_ERROR = "auth.pam_error", "sshd reporting PAM's verdict: `error: PAM: Authentication failure for USER from HOST`.";
        AUTH_INVALID_USER = "auth.invalid_user", "A login name that does not exist was refused (sshd `Invalid user`, Dropbear `Login attempt for nonexistent user`, proftpd `no such user`).";
        AUTH_USER_NOT_ALLOWED = "auth.user_not_allowed", "An existing user refused by configuration (AllowUsers/DenyUsers/AllowGroups/DenyGroups, locked account, invalid shell).";
        AUTH_ROOT_REFUSED = "auth.root_refused", "A root login refused by policy (`ROOT LOGIN REFUSED`, PermitRootLogin, Dropbear `-w`).";
        AUTH_MAX_ATTEMPTS = "auth.max_attempts", "The daemon cut a connection after too many failures (MaxAuthTries, `TOO MANY LOGIN TRIES`, proftpd MaxLoginAttempts).";
        AUTH_POSTPONED = "auth.postponed", "sshd postponed a method (keyboard-interactive waiting for PAM); no verdict yet.";
        AUTH_PARTIAL = "auth.partial", "One method of several required succeeded (AuthenticationMethods).";
        AUTH_REFUSED_CONFIG = "auth.refused_config", "sshd refused a key or file because of its ownership or modes (StrictModes).";
        AUTH_UNKNOWN_USER = "auth.unknown_user", "pam_unix's `check pass; user unknown` (the same try as the daemon's invalid-user line).";
        AUTH_CHECK_FAILED = "auth.check_failed", "unix_chkpwd's `password check failed`.";
        AUTH_PAM_RESULT = "auth.pam_result", "pam_sss's `received for user X: N (…)` result line.";
        AUTH_LOGIN_FAILURE = "auth.login_failure", "sshd's audit record of a failed login step (USER_LOGIN `res=failed`). sshd writes one for every failed method, the `none` probe included, so it is not counted as a try; PAM's USER_AUTH record (`auth.failure`, `auth_method = pam`) is.";
        ACCOUNT_LOCKED = "account.locked", "An account locked after failures (pam_faillock, pam_tally2).";
        SSH_CONNECTION = "ssh.connection", "A client connected (sshd `Connection from`, Dropbear `Child connection from`).";
        SSH_DISCONNECT = "ssh.disconnect", "A connection ended after authentication or without saying when.";
        SSH_PREAUTH_CLOSE = "ssh.preauth_close", "A connection ended before authentication completed (`[preauth]` closes, resets and disconnects; Dropbear `Exit before auth`).";
        SSH_PREAUTH_TIMEOUT = "ssh.preauth_timeout", "LoginGraceTime expired before authentication.";
        SSH_NO_IDENTIFICATION = "ssh.no_identification", "The client sent no SSH identification string (a port scanner's TCP connect).";
        SSH_BAD_PROTOCOL = "ssh.bad_protocol", "The client sent something that is not SSH (`banner exchange: … invalid format`, `Bad protocol version identification`).";
        SSH_KEX_FAILED = "ssh.kex_failed", "Key exchange failed (`kex_exchange_identification: …`, `ssh_dispatch_run_fatal`).";
        SSH_NEGOTIATION_FAILED = "ssh.negotiation_failed", "No common algorithms (`Unable to negotiate with …`): old scanners and bots.";
        SSH_DROPPED = "ssh.dropped", "sshd dropped the connection before reading it (MaxStartups, PerSourcePenalties).";
        SSH_INVALID_USER_REQUEST = "ssh.invalid_user_request", "sshd's preauth `input_userauth_request: invalid user` (the same try as `Invalid user`).";
        SSH_REVERSE_MAPPING_FAILED = "ssh.reverse_mapping_failed", "The client's reverse DNS did not map back (`POSSIBLE BREAK-IN ATTEMPT`).";
        SSH_SESSION_START = "ssh.session_start", "A session started for an authenticated user.";
        FTP_CONNECTION = "ftp.connection", "An FTP client connected.";
        SESSION_OPEN = "session.open", "A PAM session opened.";
        SESSION_CLOSE = "session.close", "A PAM session closed.";
        SESSION_NEW = "session.new", "systemd-logind started a session.";
        SESSION_REMOVED = "session.removed", "systemd-logind removed a session.";
        SESSION_LOGOUT = "session.logout", "systemd-logind saw a logout.";
        SUDO_COMMAND = "sudo.command", "sudo ran a command.";
        SUDO_FAILURE = "sudo.failure", "sudo refused after wrong passwords.";
        SUDO_DENIED = "sudo.denied", "sudo refused a user or command by policy.";
        SUDO_AUTH_FAILURE = "sudo.auth_failure", "PAM's authentication failure inside sudo.";
        SU_SUCCESS = "su.success", "su switched user.";
        SU_FAILURE = "su.failure", "su refused.";
        CRON_COMMAND = "cron.command", "cron ran a command.";
        CRONTAB_CHANGE = "crontab.change", "A crontab was replaced or deleted.";
        CRONTAB_EDIT = "crontab.edit", "A crontab edit began.";
        ACCOUNT_CREATE = "account.create", "A user account was created.";
        ACCOUNT_DELETE = "account.delete", "A user account was deleted.";
        ACCOUNT_MODIFY = "account.modify", "A user account was changed (lock, unlock, expiry, attributes).";
        PASSWORD_CHANGE = "password.change", "A password was changed.";
        GROUP_CREATE = "group.create", "A group was created.";
        GROUP_DELETE = "group.delete", "A group was deleted.";
        GROUP_MODIFY = "group.modify", "A group was changed.";
        GROUP_MEMBER_ADD = "group.member_add", "A user was added to a group.";
        GROUP_MEMBER_REMOVE = "group.member_remove", "A user was removed from a group.";
        PROCESS_START = "process.start", "A program was executed (audit SYSCALL `execve` with its EXECVE arguments): `process_executable`, `process_args`, `process_command_line`, `user_audit_id`.";
        AUDIT_CONFIG_CHANGE = "audit.config_change", "The audit rules or configuration changed (audit CONFIG_CHANGE, e.g. `auditctl -D` removing every rule).";
        SERVICE_START = "service.start", "A daemon started.";
        SERVICE_STOP = "service.stop", "A daemon stopped.";
        FIREWALL_BLOCK = "firewall.block", "A packet blocked, dropped or rejected (prefix, pf `block`, MikroTik `drop`).";
        FIREWALL_ALLOW = "firewall.allow", "A packet accepted.";
        FIREWALL_AUDIT = "firewall.audit", "A packet logged by an audit rule.";
        FIREWALL_LOG = "firewall.log", "A packet logged with no verdict in its prefix (plain iptables/nftables `LOG`).";
        HTTP_REQUEST = "http.request", "An HTTP request from an access log.";
        HTTP_DENIED = "http.denied", "A web server refused a path by configuration (Apache `client denied by server configuration`, nginx `access forbidden by rule`).";
        HTTP_NOT_FOUND = "http.not_found", "A web server's error log recorded a missing file (Apache AH00128 `File does not exist`, nginx `open() … failed (2: No such file or directory)`).";
        WEB_WAF_ALERT = "web.waf_alert", "A ModSecurity alert (rule id in `rule_name`, URI in `url_path`).";
        WEB_SCRIPT_ERROR = "web.script_error", "A PHP warning or fatal error in a web server's error log.";
    }
    outcomes {
        SUCCESS = "success";
        FAILURE = "failure";
        UNKNOWN = "unknown";
    }
}

/// Arrow schema of the events files.
pub fn event_schema() -> SchemaRef {
    static SCHEMA: std::sync::OnceLock<SchemaRef> = std::sync::OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(Schema::new(
                EVENT_COLUMNS.iter().map(|c| Field::new(c.name, c.kind.data_type(), !c.required)).collect::<Vec<_>>(),
            ))
        })
        .clone()
}

/// Columns of the rejects files.
pub const REJECT_COLUMNS: &[Column] = &[
    Column {
        name: "log_file_path",
        kind: Kind::Str,
        required: true,
        doc: "Evidence file, relative to the ingest root.",
    },
    Column { name: "log_line", kind: Kind::I64, required: true, doc: "1-based line number." },
    Column { name: "reject_reason", kind: Kind::Str, required: true, doc: "Why no parser accepted the line." },
    Column { name: "event_original", kind: Kind::Str, required: true, doc: "The raw line (lossy UTF-8)." },
    Column {
        name: "event_original_raw",
        kind: Kind::Bin,
        required: false,
        doc: "The raw bytes, only when not valid UTF-8.",
    },
];

/// Arrow schema of the rejects files.
pub fn reject_schema() -> SchemaRef {
    static SCHEMA: std::sync::OnceLock<SchemaRef> = std::sync::OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(Schema::new(
                REJECT_COLUMNS.iter().map(|c| Field::new(c.name, c.kind.data_type(), !c.required)).collect::<Vec<_>>(),
            ))
        })
        .clone()
}

/// Column-wise builders for a batch of rejects.
pub struct RejectBuilder {
    path: StringBuilder,
    line: Int64Builder,
    reason: StringBuilder,
    original: StringBuilder,
    raw: BinaryBuilder,
}

impl Default for RejectBuilder {
    fn default() -> Self {
        Self {
            path: StringBuilder::new(),
            line: Int64Builder::new(),
            reason: StringBuilder::new(),
            original: StringBuilder::new(),
            raw: BinaryBuilder::new(),
        }
    }
}

impl RejectBuilder {
    pub fn len(&self) -> usize {
        self.line.values_slice().len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn push(&mut self, path: &str, line: i64, reason: &str, original: &str, raw: Option<&[u8]>) {
        self.path.append_value(path);
        self.line.append_value(line);
        self.reason.append_value(reason);
        self.original.append_value(original);
        self.raw.append_option(raw);
    }
    pub fn finish(&mut self) -> RecordBatch {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.path.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.reason.finish()),
            Arc::new(self.original.finish()),
            Arc::new(self.raw.finish()),
        ];
        RecordBatch::try_new(reject_schema(), columns).expect("reject builder matches reject schema")
    }
}

/// Renders the schema documentation (the body of `docs/schema.md`).
pub fn schema_markdown() -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Event schema (version {SCHEMA_VERSION})\n\n\
         Generated from `src/schema.rs` by `logsleuth schema`; a test keeps this file in step.\n\n\
         The case directory holds `events/` and `rejects/` as hive-partitioned Parquet (`timestamp` and `log_line` delta-encoded, free text zstd, the other columns Snappy).\n\
         `events/` is partitioned by `{EVENT_PARTITION}` (`auth`, `syslog`, `firewall`, `apache_access`,\n\
         `nginx_access`, `json`, `csv`, `apache_error`, `nginx_error`), `rejects/` by `{REJECT_PARTITION}`. The partition column is\n\
         part of the directory name, not of the files; read the folder as one dataset with hive\n\
         partitioning on (polars `scan_parquet`, DuckDB `read_parquet('CASE/events/**/*.parquet', hive_partitioning = true)`,\n\
         Spark `spark.read.parquet('CASE/events')`).\n\n\
         ## events\n\n| column | type | required | meaning |\n|---|---|---|---|\n\
         | `{EVENT_PARTITION}` | STRING (partition) | yes | Source kind: `auth`, `syslog`, `firewall`, `apache_access`, `nginx_access`, `json`, `csv`, `apache_error`, `nginx_error`. |\n"
    ));
    for c in EVENT_COLUMNS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.name,
            c.kind.sql_type(),
            if c.required { "yes" } else { "" },
            c.doc
        ));
    }
    out.push_str("\n## event_action values\n\n| value | meaning |\n|---|---|\n");
    for (name, doc) in action::ALL {
        out.push_str(&format!("| `{name}` | {doc} |\n"));
    }
    out.push_str("\n## rejects\n\n| column | type | required | meaning |\n|---|---|---|---|\n");
    out.push_str(&format!(
        "| `{REJECT_PARTITION}` | STRING (partition) | yes | Format the file was read as (`unknown` when none matched). |\n"
    ));
    for c in REJECT_COLUMNS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.name,
            c.kind.sql_type(),
            if c.required { "yes" } else { "" },
            c.doc
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shared all-null columns are what new ones would be: the type, the length, every row
    /// null, whether the same length again, a shorter one (a slice), a longer one or one past
    /// the sharing limit.
    #[test]
    fn shared_null_columns_equal_new_ones() {
        for dt in [DataType::Utf8, DataType::Int64, Kind::Ts.data_type(), Kind::StrList.data_type()] {
            for len in [20, 20, 7, 0, 300, SHARED_NULL_ROWS + 1, 1] {
                let got = null_column(&dt, len);
                assert_eq!(got.data_type(), &dt);
                assert_eq!((got.len(), got.logical_null_count()), (len, len), "{dt} {len}");
                assert_eq!(got.to_data(), arrow::array::new_null_array(&dt, len).to_data(), "{dt} {len}");
            }
        }
        // Batches of the same size share one array (the longest shared length: a shorter one
        // may be a slice of the longer one kept).
        let n = SHARED_NULL_ROWS;
        let (a, b) = (null_column(&DataType::Utf8, n), null_column(&DataType::Utf8, n));
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn builder_batch_matches_schema_and_fills_required_defaults() {
        let mut b = EventBuilder::with_capacity(4, 64);
        let ev = Event { timestamp: 1_700_000_000_000_000, log_line: Some(7), ..Default::default() };
        b.push(&ev);
        let later = Event { user_name: Some(Cow::Borrowed("late")), ..ev.clone() };
        b.push(&later);
        let batch = b.finish();
        assert_eq!(batch.num_rows(), 2);
        let users = batch.column_by_name("user_name").unwrap();
        assert_eq!(
            (users.null_count(), users.len()),
            (1, 2),
            "a column first filled on row 2 back-fills row 1 with null"
        );
        assert_eq!(batch.column_by_name("url_path").unwrap().null_count(), 2, "never-filled columns are all null");
        assert_eq!(batch.schema(), event_schema());
        let action = batch.column_by_name("event_action").unwrap();
        assert_eq!(action.null_count(), 0, "required columns are never null");
        assert!(b.is_empty());
    }

    #[test]
    fn column_names_are_unique_and_contract_columns_exist() {
        let mut names: Vec<_> = EVENT_COLUMNS.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EVENT_COLUMNS.len());
        for needed in [
            "timestamp",
            "timestamp_original_offset",
            "year_source",
            "host_name",
            "process_name",
            "process_pid",
            "event_action",
            "event_outcome",
            "user_name",
            "user_target_name",
            "source_ip",
            "source_domain",
            "source_port",
            "destination_ip",
            "destination_port",
            "network_transport",
            "http_request_method",
            "url_path",
            "url_query",
            "http_version",
            "http_response_status_code",
            "http_response_body_bytes",
            "http_request_referrer",
            "user_agent_original",
            "message",
            "log_file_path",
            "log_line",
            "event_original",
        ] {
            assert!(names.contains(&needed), "missing contract column {needed}");
        }
    }
}
