-- id: process_activity
-- title: Process activity on {host_name}
-- severity: high
-- description: Programs run as intruders run them (queries/process_patterns.tsv): downloads piped to a shell, reverse shells, execution from /tmp, /dev/shm or /var/tmp, chmod +x then execute, history and log wiping, new SUID files, SSH key planting; over auditd execve events, sudo and cron commands, linked to the login session's address through the audit session. One finding per pattern id, host and actor (the audit login uid, which follows a user across sudo and su, else the user name); a chmod_then_exec finding per `chmod +x FILE` that FILE's run followed on the same host within {sequence_minutes} minutes.
-- param: patterns_file = '' | A pattern file (same columns as queries/process_patterns.tsv) to use instead of the built-in one; empty for the built-in.
-- param: sequence_minutes = 60 | How soon after `chmod +x FILE` running FILE on the same host makes chmod_then_exec.
-- data: process_patterns = {patterns_file}
-- The evidence of a finding is its own rows of `hits`: the events of its pattern id, host and
-- actor, and for chmod_then_exec the chmod and the run (one sequence, `chmod_at`).
-- requires: event_action IN ('process.start', 'sudo.command', 'cron.command')
-- evidence_table: hits
-- evidence: TRUE
-- evidence_key: kind
-- evidence_key: host_name
-- evidence_key: actor
-- evidence_key: chmod_at
WITH patterns AS (
    SELECT * FROM (VALUES
    {process_patterns}
    ) AS p(ord, kind, severity, field, regex, unless_executable, title, reference)
),
runs AS (
    SELECT timestamp, host_name, COALESCE(host_name, '') AS host, user_name, user_audit_id, audit_session_id,
           process_command_line, process_executable, file_path, log_file_path, log_line,
           COALESCE('audit uid ' || user_audit_id, user_name, 'an unknown user') AS actor,
           COALESCE(process_command_line, process_executable, '') AS command
    FROM events
    WHERE event_action IN ('process.start', 'sudo.command', 'cron.command')
),
-- Each event once per pattern id it matches, with the first of the id's rows that does.
matched AS (
    SELECT r.timestamp, r.host_name, r.host, r.user_name, r.user_audit_id, r.audit_session_id, r.actor, r.command,
           r.log_file_path, r.log_line, p.kind, MIN(p.ord) AS ord
    FROM runs r CROSS JOIN patterns p
    WHERE REGEXP_LIKE(CASE p.field WHEN 'executable' THEN r.process_executable
                                   WHEN 'file_path' THEN r.file_path
                                   ELSE r.process_command_line END, p.regex)
      AND (p.unless_executable = '' OR r.process_executable IS NULL
           OR NOT REGEXP_LIKE(r.process_executable, p.unless_executable))
    GROUP BY r.timestamp, r.host_name, r.host, r.user_name, r.user_audit_id, r.audit_session_id, r.actor, r.command,
             r.log_file_path, r.log_line, p.kind
),
-- chmod_then_exec: a `chmod_x` hit, then the first program run on the same host within the
-- window (not another chmod) whose name is one of the files the chmod names. The files are
-- the words after `chmod ` up to a `;`, `&` or `|` (the mode among them, which no program is
-- named after).
chmods AS (
    SELECT m.*, m.log_file_path || ':' || CAST(m.log_line AS STRING) AS chmod_at,
           ' ' || SPLIT_PART(SPLIT_PART(SPLIT_PART(SPLIT_PART(m.command, 'chmod ', 2), ';', 1), '&', 1), '|', 1) || ' ' AS targets
    FROM matched m
    WHERE m.kind = 'chmod_x'
),
named AS (
    SELECT timestamp, host_name, log_file_path, log_line, process_command_line, process_executable,
           REVERSE(SPLIT_PART(REVERSE(SPLIT_PART(COALESCE(process_command_line, ''), ' ', 1)), '/', 1)) AS argv0_name,
           REVERSE(SPLIT_PART(REVERSE(COALESCE(process_executable, '')), '/', 1)) AS program_name
    FROM runs
    WHERE STRPOS(COALESCE(process_command_line, ''), 'chmod') = 0
),
followed AS (
    SELECT c.chmod_at, c.host_name, c.host, c.user_name, c.user_audit_id, c.audit_session_id, c.actor, c.ord,
           r.timestamp, r.log_file_path, r.log_line, COALESCE(r.process_command_line, '') AS command,
           COALESCE(r.process_executable, r.process_command_line, '') AS executed,
           ROW_NUMBER() OVER (PARTITION BY c.chmod_at ORDER BY r.timestamp, r.log_file_path, r.log_line) AS nth
    FROM chmods c JOIN named r ON r.host_name = c.host_name
    WHERE r.timestamp > c.timestamp AND r.timestamp <= c.timestamp + INTERVAL '{sequence_minutes} minutes'
      AND ((r.argv0_name <> '' AND STRPOS(c.targets, ' ' || r.argv0_name || ' ') + STRPOS(c.targets, '/' || r.argv0_name || ' ') > 0)
        OR (r.program_name <> '' AND STRPOS(c.targets, ' ' || r.program_name || ' ') + STRPOS(c.targets, '/' || r.program_name || ' ') > 0))
),
-- The rows of every finding: each id's hits (chmod_x's only through a sequence), and each
-- sequence's chmod and run.
hits AS (
    SELECT kind, host_name, host, actor, CAST(NULL AS STRING) AS chmod_at, timestamp, log_file_path, log_line,
           1 AS event_count, command, ord, user_name, user_audit_id, audit_session_id, CAST(NULL AS STRING) AS executed
    FROM matched
    WHERE kind <> 'chmod_x'
    UNION ALL
    SELECT 'chmod_then_exec' AS kind, c.host_name, c.host, c.actor, c.chmod_at, c.timestamp, c.log_file_path, c.log_line,
           1 AS event_count, c.command, c.ord, c.user_name, c.user_audit_id, c.audit_session_id, CAST(NULL AS STRING) AS executed
    FROM chmods c JOIN (SELECT chmod_at FROM followed WHERE nth = 1) f ON f.chmod_at = c.chmod_at
    UNION ALL
    SELECT 'chmod_then_exec' AS kind, host_name, host, actor, chmod_at, timestamp, log_file_path, log_line,
           1 AS event_count, command, ord, user_name, user_audit_id, audit_session_id, executed
    FROM followed
    WHERE nth = 1
),
ranked AS (
    SELECT kind, host, actor, COALESCE(chmod_at, '') AS sequence, command, user_name, user_audit_id, audit_session_id,
           ROW_NUMBER() OVER (PARTITION BY kind, host, actor, COALESCE(chmod_at, '')
                              ORDER BY timestamp, log_file_path, log_line) AS nth
    FROM hits
),
groups AS (
    SELECT kind, host, actor, chmod_at, COALESCE(chmod_at, '') AS sequence, MIN(timestamp) AS first_seen,
           MAX(timestamp) AS last_seen, COUNT(*) AS count, MIN(ord) AS ord, MAX(executed) AS executed,
           MAX(CASE WHEN executed IS NOT NULL THEN command END) AS ran,
           ARRAY_AGG(DISTINCT command ORDER BY command LIMIT 5) AS commands
    FROM hits
    GROUP BY kind, host, actor, chmod_at
),
-- The address and user of the login that opened an audit session (auditd's USER_LOGIN).
logins AS (
    SELECT host, audit_session_id, source_ip, user_name
    FROM (SELECT COALESCE(host_name, '') AS host, audit_session_id, source_ip, user_name,
                 ROW_NUMBER() OVER (PARTITION BY COALESCE(host_name, ''), audit_session_id
                                    ORDER BY timestamp, log_file_path, log_line) AS nth
          FROM events
          WHERE event_action = 'auth.success' AND source_ip IS NOT NULL AND audit_session_id IS NOT NULL) l
    WHERE nth = 1
),
described AS (
    SELECT g.kind, g.host, g.actor, g.chmod_at, g.first_seen, g.last_seen, g.count, g.executed, g.ran, g.commands,
           p.severity, p.regex, p.reference, p.title AS pattern_title,
           f.user_audit_id, f.audit_session_id, l.source_ip, COALESCE(l.user_name, f.user_name) AS user_name,
           CASE WHEN LENGTH(f.command) > 120 THEN SUBSTR(f.command, 1, 120) || '…' ELSE f.command END AS shown,
           CASE WHEN LENGTH(g.ran) > 120 THEN SUBSTR(g.ran, 1, 120) || '…' ELSE g.ran END AS shown_run
    FROM groups g
    JOIN (SELECT * FROM ranked WHERE nth = 1) f
      ON f.kind = g.kind AND f.host = g.host AND f.actor = g.actor AND f.sequence = g.sequence
    JOIN patterns p ON p.ord = g.ord
    LEFT JOIN logins l ON l.host = f.host AND l.audit_session_id = f.audit_session_id
)
SELECT NULLIF(host, '') AS host_name, source_ip, user_name, first_seen, last_seen, count, severity,
       UPPER(SUBSTR(pattern_title, 1, 1)) || SUBSTR(pattern_title, 2) || ' on ' || host || ' by '
       || CASE WHEN source_ip IS NOT NULL AND user_name IS NOT NULL
               THEN user_name || ' (logged in from ' || source_ip || ')' ELSE actor END
       || ': ' || shown
       || CASE WHEN kind = 'chmod_then_exec' THEN ' (then ran `' || shown_run || '`)' ELSE '' END AS title,
       kind, actor, chmod_at, regex AS pattern, reference, commands, user_audit_id AS audit_uid,
       audit_session_id AS audit_session, executed
FROM described
