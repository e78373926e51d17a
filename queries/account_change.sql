-- id: account_change
-- title: Account change on {host_name}: {user_name} ({actions})
-- severity: low
-- description: User and group creation, modification and deletion, password and crontab changes, and sudo running visudo or editing sudoers, one finding per host and changed account (or group, or crontab owner; `sudoers` for sudoers edits). Medium when a member joins one of {privileged_groups} or sudoers is edited; high when a suspicious login on the host (a success after at least {min_failures} failures from its address within the hour before it) came within {window_hours} hours before the first change (persistence): the finding then names that login's address, line and minutes before the change.
-- param: window_hours = 6 | How long after a suspicious login a change counts as its follow-up.
-- param: min_failures = 5 | Failures before a success that make the login suspicious.
-- param: privileged_groups = ['sudo', 'wheel', 'admin', 'root', 'adm', 'docker'] | Groups whose new members get at least medium severity.
-- evidence: event_module = 'auth' AND (event_action IN ('account.create', 'account.modify', 'account.delete', 'group.create', 'group.modify', 'group.delete', 'group.member_add', 'group.member_remove', 'password.change', 'crontab.change') OR (event_action = 'sudo.command' AND (process_command_line LIKE '%sudoers%' OR process_command_line LIKE '%visudo%')))
-- evidence_key: host_name
-- evidence_key: user_name = COALESCE(user_target_name, group_name, 'sudoers')
WITH changes AS (
    SELECT COALESCE(host_name, '') AS host_key, COALESCE(user_target_name, group_name, 'sudoers') AS subject,
           timestamp, event_action,
           CASE WHEN event_action = 'sudo.command' OR (event_action = 'group.member_add' AND group_name IN ({privileged_groups}))
                THEN 1 ELSE 0 END AS privileged,
           ROW_NUMBER() OVER (PARTITION BY COALESCE(host_name, ''), COALESCE(user_target_name, group_name, 'sudoers')
                              ORDER BY timestamp, log_file_path, log_line) AS seq
    FROM events
    WHERE event_module = 'auth' AND (event_action IN ('account.create', 'account.modify', 'account.delete', 'group.create', 'group.modify', 'group.delete', 'group.member_add', 'group.member_remove', 'password.change', 'crontab.change')
       OR (event_action = 'sudo.command' AND (process_command_line LIKE '%sudoers%' OR process_command_line LIKE '%visudo%')))
),
subjects AS (
    SELECT host_key, subject, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen, COUNT(*) AS count,
           MAX(privileged) AS privileged
    FROM changes
    GROUP BY host_key, subject
),
-- Suspicious logins (a success after failures from its address within the hour) are looked
-- for only on the hosts with changes, and only from addresses that failed.
changed_hosts AS (
    SELECT DISTINCT host_key AS changed_host FROM subjects
),
failed AS (
    SELECT timestamp AS failed_at, source_ip AS failed_ip
    FROM attempts
    WHERE event_module = 'auth' AND source_ip IS NOT NULL
),
failing AS (
    SELECT DISTINCT failed_ip AS failing_ip FROM failed
),
ok AS (
    SELECT e.timestamp, e.host_key, e.source_ip, e.user_name, e.log_file_path, e.log_line
    FROM (SELECT timestamp, COALESCE(host_name, '') AS host_key, source_ip, user_name, log_file_path, log_line
          FROM events
          WHERE event_module = 'auth' AND event_action = 'auth.success' AND source_ip IS NOT NULL) e
    JOIN changed_hosts ON changed_hosts.changed_host = e.host_key
    JOIN failing ON failing.failing_ip = e.source_ip
),
suspicious AS (
    SELECT ok.host_key AS login_host, ok.source_ip AS login_ip, ok.user_name AS login_user,
           ok.timestamp AS login_at, ok.log_file_path AS login_file, ok.log_line AS login_line, COUNT(*) AS login_failures
    FROM ok JOIN failed ON failed.failed_ip = ok.source_ip
    WHERE failed.failed_at >= ok.timestamp - INTERVAL '1 hours' AND failed.failed_at <= ok.timestamp
    GROUP BY ok.host_key, ok.source_ip, ok.user_name, ok.timestamp, ok.log_file_path, ok.log_line
    HAVING COUNT(*) >= {min_failures}
),
first_actions AS (
    SELECT host_key, subject, event_action, MIN(seq) AS first_seq
    FROM changes
    GROUP BY host_key, subject, event_action
),
actions AS (
    SELECT host_key, subject, STRING_AGG(event_action, ', ' ORDER BY first_seq) AS actions
    FROM first_actions
    GROUP BY host_key, subject
),
after_login AS (
    SELECT s.host_key, s.subject, l.login_ip, l.login_user, l.login_at, l.login_file, l.login_line, l.login_failures,
           ROW_NUMBER() OVER (PARTITION BY s.host_key, s.subject
                              ORDER BY l.login_at DESC, l.login_file DESC, l.login_line DESC) AS latest
    FROM subjects s JOIN suspicious l ON l.login_host = s.host_key
    WHERE l.login_at <= s.first_seen AND s.first_seen - l.login_at <= INTERVAL '{window_hours} hours'
)
SELECT NULLIF(s.host_key, '') AS host_name, s.subject AS user_name, a.login_ip AS source_ip,
       s.first_seen, s.last_seen, s.count,
       CASE WHEN a.login_at IS NOT NULL THEN 'high' WHEN s.privileged = 1 THEN 'medium' ELSE 'low' END AS severity,
       x.actions, s.privileged = 1 AS privileged_group,
       a.login_file || ':' || CAST(a.login_line AS STRING) AS suspicious_login_line,
       COALESCE(a.login_user, '?') || ' from ' || a.login_ip || ' after ' || CAST(a.login_failures AS STRING) || ' failures' AS after_suspicious_login,
       CAST(FLOOR((EPOCH_US(s.first_seen) - EPOCH_US(a.login_at)) / 60000000) AS BIGINT) AS minutes_after_login
FROM subjects s
JOIN actions x ON x.host_key = s.host_key AND x.subject = s.subject
LEFT JOIN (SELECT * FROM after_login WHERE latest = 1) a ON a.host_key = s.host_key AND a.subject = s.subject
