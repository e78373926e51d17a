-- id: attack_chain
-- title: Attack chain by {source_ip} as {user_name} on {host_name}
-- severity: critical
-- description: One actor's findings and events linked in time order into one incident: reconnaissance (port_scan, web_scan), exploitation attempts (web_attack) and brute force (ssh_bruteforce, password_spraying) from the address before the login; the initial access (a success_after_failures finding: a login that worked after failures, so an administrator's ordinary session never starts a chain); then, within {window_hours} hours after the login, persistence (account_change of medium or more on the host; process_activity's new SUID files and planted keys), downloads, command and control, execution and log wiping (process_activity from the address or on the host), exfiltration (volume_anomaly of the address), silent logs (log_integrity's silent gaps, from when the first missing line was due), and the account's own sudo commands (privilege escalation: the first on the host, every one elsewhere; downloads with wget or curl) and logins to other hosts from addresses it had not logged in from before (lateral movement). Three steps at least; the steps in time order (then by name, text, file and line) with the minutes between them.
-- param: window_hours = 24 | How long after the compromising login steps are linked to it.
-- The evidence of a chain is each step's line: the first line of a finding (the login itself
-- for the initial access), the event of a sudo command or login.
-- requires_finding: rule = 'success_after_failures'
-- evidence_table: chain_lines
-- evidence: TRUE
-- evidence_key: host_name
-- evidence_key: source_ip
-- evidence_key: user_name
-- evidence_key: initial_access
-- detail_list: steps = step, step_time AS time, step_minutes AS minutes_since_previous, step_what AS what
WITH entries AS (
    SELECT host_name, source_ip, user_name, first_seen AS entry_first, last_seen AS login,
           last_seen + INTERVAL '{window_hours} hours' AS until, RFC3339(last_seen) AS initial_access,
           ROW_NUMBER() OVER (ORDER BY host_name, source_ip, user_name, last_seen, first_seen) AS entry_id
    FROM prior_findings
    WHERE rule = 'success_after_failures' AND host_name IS NOT NULL AND source_ip IS NOT NULL
      AND user_name IS NOT NULL
),
-- Other findings as steps: by the address before the login, by the address or on the host
-- within the window after it.
named AS (
    SELECT e.entry_id, e.login, p.first_seen, p.onset, p.title, p.first_file, p.first_line, p.last_file, p.last_line,
           CASE
               WHEN p.rule IN ('port_scan', 'web_scan') AND p.source_ip = e.source_ip AND p.first_seen <= e.login
                   THEN 'reconnaissance'
               WHEN p.rule = 'web_attack' AND p.source_ip = e.source_ip AND p.first_seen <= e.login
                   THEN 'exploitation attempts'
               WHEN p.rule IN ('ssh_bruteforce', 'password_spraying') AND p.source_ip = e.source_ip
                    AND p.first_seen <= e.login
                   THEN 'brute force'
               WHEN p.rule = 'success_after_failures' AND p.host_name = e.host_name AND p.source_ip = e.source_ip
                    AND p.user_name = e.user_name AND p.first_seen = e.entry_first AND p.last_seen = e.login
                   THEN 'initial access'
               WHEN p.rule = 'account_change' AND p.host_name = e.host_name AND p.first_seen >= e.login
                    AND p.first_seen <= e.until AND p.severity_rank >= 2
                   THEN 'persistence'
               WHEN p.rule = 'process_activity' AND (p.source_ip = e.source_ip OR p.host_name = e.host_name)
                    AND p.first_seen >= e.login AND p.first_seen <= e.until
                   THEN CASE p.kind
                            WHEN 'download_to_shell' THEN 'download'
                            WHEN 'reverse_shell' THEN 'command and control'
                            WHEN 'log_wiping' THEN 'log tampering'
                            WHEN 'suid_file' THEN 'persistence'
                            WHEN 'ssh_key_planting' THEN 'persistence'
                            ELSE 'execution'
                        END
               WHEN p.rule = 'volume_anomaly' AND p.source_ip = e.source_ip AND p.first_seen >= e.login
                    AND p.first_seen <= e.until
                   THEN 'exfiltration'
               WHEN p.rule = 'log_integrity' AND p.kind = 'silent gap' AND p.first_seen >= e.login
                    AND p.first_seen <= e.until
                   THEN 'log tampering'
           END AS step
    FROM entries e CROSS JOIN prior_findings p
),
finding_steps AS (
    SELECT entry_id, step,
           -- A login at its instant; a silence from when its first missing line was due.
           CASE step WHEN 'initial access' THEN login WHEN 'log tampering' THEN onset ELSE first_seen END AS ts,
           title AS what,
           CASE WHEN step = 'initial access' THEN last_file ELSE first_file END AS file,
           CAST(CASE WHEN step = 'initial access' THEN last_line ELSE first_line END AS BIGINT) AS line
    FROM named
    WHERE step IS NOT NULL
),
-- The compromised accounts' logins and sudo commands.
account AS (
    SELECT ev.timestamp, ev.event_module, ev.user_name, ev.host_name, ev.event_action, ev.source_ip,
           ev.process_command_line, ev.log_file_path, ev.log_line
    FROM events ev JOIN (SELECT DISTINCT user_name FROM entries) u ON u.user_name = ev.user_name
    WHERE ev.event_action IN ('sudo.command', 'auth.success')
),
-- The addresses an account logged in from before its compromise (in any source): its usual
-- ones, not lateral movement.
usual AS (
    SELECT DISTINCT e.entry_id, a.source_ip AS usual_ip
    FROM entries e JOIN account a ON a.user_name = e.user_name
    WHERE a.timestamp < e.login AND a.event_action = 'auth.success' AND a.source_ip IS NOT NULL
),
acts AS (
    SELECT e.entry_id, a.timestamp AS ts, a.log_file_path AS file, CAST(a.log_line AS BIGINT) AS line,
           CASE WHEN a.host_name = e.host_name THEN 1 ELSE 0 END AS on_host,
           CASE
               WHEN a.event_action = 'sudo.command'
                    AND STRPOS(LOWER(COALESCE(a.process_command_line, '')), 'wget ')
                        + STRPOS(LOWER(COALESCE(a.process_command_line, '')), 'curl ') > 0
                   THEN 'download'
               WHEN a.event_action = 'sudo.command' THEN 'privilege escalation'
               WHEN a.event_action = 'auth.success' AND (a.host_name IS NULL OR a.host_name <> e.host_name)
                    AND u.usual_ip IS NULL
                   THEN 'lateral movement'
           END AS step,
           CASE
               WHEN a.event_action = 'sudo.command'
                   THEN e.user_name || ' ran `' || COALESCE(a.process_command_line, '') || '` as root on '
                        || COALESCE(a.host_name, '?')
               ELSE e.user_name || ' logged in to ' || COALESCE(a.host_name, '?') || ' from '
                    || COALESCE(a.source_ip, '?')
           END AS what
    FROM entries e
    JOIN account a ON a.user_name = e.user_name
    LEFT JOIN usual u ON u.entry_id = e.entry_id AND u.usual_ip = a.source_ip
    WHERE a.timestamp > e.login AND a.timestamp <= e.until AND a.event_module = 'auth'
),
-- On the host itself only the first sudo command (not a download) is the escalation.
escalations AS (
    SELECT entry_id, ts, file, line, on_host, step, what,
           ROW_NUMBER() OVER (PARTITION BY entry_id, on_host, step ORDER BY ts, file, line) AS nth
    FROM acts
    WHERE step IS NOT NULL
),
steps AS (
    SELECT entry_id, step, ts, what, file, line FROM finding_steps
    UNION ALL
    SELECT entry_id, step, ts, what, file, line
    FROM escalations
    WHERE step <> 'privilege escalation' OR on_host = 0 OR nth = 1
),
ordered AS (
    SELECT entry_id, step, ts, what, RFC3339(ts) AS step_time,
           ROW_NUMBER() OVER (PARTITION BY entry_id ORDER BY ts, step, what, file, line) AS seq,
           LAG(ts) OVER (PARTITION BY entry_id ORDER BY ts, step, what, file, line) AS prev_ts,
           LAG(step) OVER (PARTITION BY entry_id ORDER BY ts, step, what, file, line) AS prev_step
    FROM steps
),
timed AS (
    SELECT ordered.*,
           CASE WHEN prev_ts IS NULL THEN NULL
                ELSE CAST(FLOOR((EPOCH_US(ts) - EPOCH_US(prev_ts)) / 60000000.0) AS BIGINT) END AS minutes
    FROM ordered
),
chains AS (
    SELECT entry_id, COUNT(*) AS count, MIN(ts) AS first_seen, MAX(ts) AS last_seen,
           ARRAY_AGG(step ORDER BY seq) AS step, ARRAY_AGG(step_time ORDER BY seq) AS step_time,
           ARRAY_AGG(minutes ORDER BY seq) AS step_minutes, ARRAY_AGG(what ORDER BY seq) AS step_what
    FROM timed
    GROUP BY entry_id
    HAVING COUNT(*) >= 3
),
-- The stages: the step names in order, a repeated one once.
stages AS (
    SELECT entry_id, STRING_AGG(step, ' → ' ORDER BY seq) AS stages
    FROM timed
    WHERE prev_step IS NULL OR prev_step <> step
    GROUP BY entry_id
),
chain_lines AS (
    SELECT DISTINCT e.host_name, e.source_ip, e.user_name, e.initial_access, s.ts AS timestamp,
           s.file AS log_file_path, s.line AS log_line, 1 AS event_count
    FROM steps s JOIN entries e ON e.entry_id = s.entry_id
    WHERE s.file IS NOT NULL
)
SELECT e.host_name, e.source_ip, e.user_name, e.initial_access, c.first_seen, c.last_seen, c.count,
       'Attack chain by ' || e.source_ip || ' as ' || e.user_name || ' on ' || e.host_name || ': ' || st.stages AS title,
       st.stages, c.step, c.step_time, c.step_minutes, c.step_what
FROM chains c
JOIN entries e ON e.entry_id = c.entry_id
JOIN stages st ON st.entry_id = c.entry_id
ORDER BY e.host_name, e.source_ip, e.user_name, c.first_seen
