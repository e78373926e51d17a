-- id: password_spraying
-- title: Password spraying on {host_name} from {source_ip}: {distinct_users} accounts tried
-- severity: high
-- description: One source IP trying (attempt ledger) at least {min_users} distinct user names within {window_hours} hours on one host, with at most {max_attempts_per_user} attempts per name on average: slow spraying that stays under the brute-force threshold.
-- param: min_users = 10 | Distinct user names tried from one source.
-- param: window_hours = 6 | Window in which those names are first tried, in hours.
-- param: max_attempts_per_user = 3.0 | Average attempts per name at most (more is brute force).
WITH tries AS (
    SELECT COALESCE(host_name, '') AS host_name, source_ip, user_name, timestamp, attempts
    FROM attempts
    WHERE event_module = 'auth' AND source_ip IS NOT NULL AND user_name IS NOT NULL
),
per_user AS (
    SELECT host_name, source_ip, user_name, MIN(timestamp) AS first_try, SUM(attempts) AS tries
    FROM tries
    GROUP BY host_name, source_ip, user_name
),
spans AS ({window: per_user BY host_name, source_ip ON first_try ROWS min_users WITHIN window_hours HOURS})
SELECT NULLIF(s.host_name, '') AS host_name, s.source_ip, s.first_seen, s.last_seen,
       COUNT(*) AS distinct_users, SUM(p.tries) AS count,
       CAST(SUM(p.tries) AS DOUBLE) / COUNT(*) AS attempts_per_user
FROM spans s
JOIN per_user p ON p.host_name = s.host_name AND p.source_ip = s.source_ip
WHERE p.first_try >= s.first_seen AND p.first_try <= s.last_seen
GROUP BY s.host_name, s.source_ip, s.first_seen, s.last_seen
HAVING CAST(SUM(p.tries) AS DOUBLE) / COUNT(*) <= {max_attempts_per_user}
