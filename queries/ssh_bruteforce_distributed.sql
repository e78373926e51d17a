-- id: ssh_bruteforce
-- title: SSH brute force across {hosts} hosts from {source_ip}: {count} failed logins
-- severity: high
-- description: The same burst test across hosts: at least {min_failures} failures from one source IP within {window_minutes} minutes, counted over all hosts, when they hit two or more hosts.
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
    SELECT source_ip, timestamp,
           LAG(timestamp, {min_failures - 1}) OVER (PARTITION BY source_ip ORDER BY timestamp) AS burst_start
    FROM attempts
),
spans AS (
    SELECT source_ip, MIN(burst_start) AS first_seen, MAX(timestamp) AS last_seen
    FROM bursts
    WHERE timestamp - burst_start <= INTERVAL '{window_minutes} minutes'
    GROUP BY source_ip
)
SELECT s.source_ip, s.first_seen, s.last_seen, COUNT(*) AS count, COUNT(DISTINCT a.host_name) AS hosts
FROM spans s
JOIN attempts a ON a.source_ip = s.source_ip
WHERE a.timestamp >= s.first_seen AND a.timestamp <= s.last_seen
GROUP BY s.source_ip, s.first_seen, s.last_seen
HAVING COUNT(DISTINCT a.host_name) >= 2
