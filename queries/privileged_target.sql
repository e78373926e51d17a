-- id: privileged_target
-- title: Privileged or nonexistent accounts targeted on {host_name} from {source_ip}: {distinct_accounts} names
-- severity: medium
-- description: Authentication attempts (attempt ledger) from one source IP against at least {min_accounts} distinct privileged (root, admin, …) or nonexistent account names on one host in one day.
-- param: min_accounts = 5 | Distinct privileged or nonexistent names tried from one source in a day.
-- param: privileged_users = ['root', 'admin', 'administrator', 'oracle', 'postgres', 'mysql', 'ubuntu', 'pi', 'sa', 'git', 'ftp', 'support', 'toor'] | Account names treated as privileged.
WITH tries AS (
    SELECT COALESCE(host_name, '') AS host_name, source_ip, user_name, timestamp, attempts, CAST(timestamp AS DATE) AS day,
           CASE WHEN user_name IN ({privileged_users}) THEN 1 ELSE 0 END AS privileged
    FROM attempts
    WHERE event_module = 'auth' AND source_ip IS NOT NULL AND user_name IS NOT NULL
      AND (user_name IN ({privileged_users}) OR event_action = 'auth.invalid_user' OR invalid_user)
)
SELECT NULLIF(host_name, '') AS host_name, source_ip, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen, SUM(attempts) AS count,
       COUNT(DISTINCT user_name) AS distinct_accounts, SUM(privileged) AS privileged_attempts
FROM tries
GROUP BY host_name, source_ip, day
HAVING COUNT(DISTINCT user_name) >= {min_accounts}
