-- id: port_sweep
-- rule: port_scan
-- title: Host sweep from {source_ip}: {distinct_hosts} destinations
-- severity: medium
-- description: One source IP reaching at least {min_hosts} distinct destination addresses within any {window_minutes}-minute window (a sweep across the network, as a gateway firewall sees it).
-- param: min_hosts = 10 | Distinct destination addresses from one source.
WITH fw AS (
    SELECT source_ip, destination_ip, timestamp
    FROM events
    WHERE event_module = 'firewall' AND source_ip IS NOT NULL AND destination_ip IS NOT NULL
),
first_hits AS (
    SELECT source_ip, destination_ip, MIN(timestamp) AS first_hit
    FROM fw
    GROUP BY source_ip, destination_ip
),
spans AS ({window: first_hits BY source_ip ON first_hit ROWS min_hosts WITHIN window_minutes MINUTES})
SELECT s.source_ip, s.first_seen, s.last_seen, COUNT(*) AS count,
       COUNT(DISTINCT f.destination_ip) AS distinct_hosts, 'host sweep' AS kind
FROM spans s
JOIN fw f ON f.source_ip = s.source_ip
WHERE f.timestamp >= s.first_seen AND f.timestamp <= s.last_seen
GROUP BY s.source_ip, s.first_seen, s.last_seen
