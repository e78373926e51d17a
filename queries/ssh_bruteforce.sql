-- id: ssh_bruteforce
-- title: SSH brute force on {host_name} from {source_ip}: {count} failed logins
-- severity: high
-- description: At least {min_failures} failed authentication attempts from one source IP within any sliding {window_minutes}-minute window on one host. An attempt logged by both sshd and PAM counts once: on a host where sshd logs its own failures PAM's lines are not counted; on a PAM-only host they are.
-- param: min_failures = 5 | Failed attempts from one source that make a burst.
-- param: window_minutes = 30 | Length of the sliding window, in minutes.
-- evidence: event_module = 'auth' AND event_action = 'auth.failure'
WITH failures AS (
    SELECT host_name, source_ip, auth_method, timestamp
    FROM events
    WHERE event_module = 'auth' AND event_action = 'auth.failure' AND source_ip IS NOT NULL
),
sshd_hosts AS (
    SELECT DISTINCT host_name FROM failures WHERE COALESCE(auth_method, '') <> 'pam'
),
attempts AS (
    SELECT host_name, source_ip, timestamp
    FROM failures
    WHERE COALESCE(auth_method, '') <> 'pam' OR host_name NOT IN (SELECT host_name FROM sshd_hosts)
),
bursts AS (
    SELECT host_name, source_ip, timestamp,
           LAG(timestamp, {min_failures - 1}) OVER (PARTITION BY host_name, source_ip ORDER BY timestamp) AS burst_start
    FROM attempts
),
spans AS (
    SELECT host_name, source_ip, MIN(burst_start) AS first_seen, MAX(timestamp) AS last_seen
    FROM bursts
    WHERE timestamp - burst_start <= INTERVAL '{window_minutes} minutes'
    GROUP BY host_name, source_ip
)
SELECT s.host_name, s.source_ip, s.first_seen, s.last_seen, COUNT(*) AS count
FROM spans s
JOIN attempts a ON a.host_name = s.host_name AND a.source_ip = s.source_ip
WHERE a.timestamp >= s.first_seen AND a.timestamp <= s.last_seen
GROUP BY s.host_name, s.source_ip, s.first_seen, s.last_seen
