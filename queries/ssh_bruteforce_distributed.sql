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
spans AS ({window: tries BY source_ip ON timestamp ROWS min_failures WITHIN window_minutes MINUTES}),
-- The hosts each source tried inside its span, one row per (source, host): counted, they are
-- COUNT(DISTINCT host_name) of its tries there, at less cost than counting distinct values over
-- every try.
hosts_in_span AS (
    SELECT DISTINCT t.source_ip, t.host_name
    FROM tries t
    JOIN spans s ON s.source_ip = t.source_ip
    WHERE t.timestamp >= s.first_seen AND t.timestamp <= s.last_seen AND t.host_name IS NOT NULL
)
SELECT s.source_ip, s.first_seen, s.last_seen, COUNT(*) AS hosts
FROM spans s
JOIN hosts_in_span h ON h.source_ip = s.source_ip
GROUP BY s.source_ip, s.first_seen, s.last_seen
HAVING COUNT(*) >= 2
