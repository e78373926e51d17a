-- id: sudo_failures
-- rule: sudo_activity
-- title: Failed sudo by {user_name} on {host_name}: {count} attempts
-- severity: medium
-- description: sudo refused: wrong passwords, user not in sudoers, command not allowed.
SELECT host_name, user_name, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen,
       'failed sudo' AS kind, COUNT(*) AS lines
FROM events
WHERE event_module = 'auth' AND event_action IN ('sudo.failure', 'sudo.denied', 'sudo.auth_failure')
GROUP BY host_name, user_name
