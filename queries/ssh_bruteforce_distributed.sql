-- id: ssh_bruteforce_distributed
-- rule: ssh_bruteforce
-- title: SSH brute force across {hosts} hosts from {source_ip}: {count} attempts
-- severity: high
-- description: The same burst test across hosts: at least {min_failures} attempts (from the attempt ledger) from one source IP within {window_minutes} minutes, counted over all hosts, when they hit two or more hosts.
WITH tries AS (
    SELECT host_name, source_ip, timestamp
    FROM attempts
    WHERE event_module = 'auth' AND source_ip IS NOT NULL
),
spans AS ({window: tries BY source_ip ON timestamp ROWS min_failures WITHIN window_minutes MINUTES})
SELECT s.source_ip, s.first_seen, s.last_seen, COUNT(DISTINCT t.host_name) AS hosts
FROM spans s
JOIN tries t ON t.source_ip = s.source_ip
WHERE t.timestamp >= s.first_seen AND t.timestamp <= s.last_seen
GROUP BY s.source_ip, s.first_seen, s.last_seen
HAVING COUNT(DISTINCT t.host_name) >= 2
