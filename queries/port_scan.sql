-- id: port_scan
-- title: Port scan of {host_name} from {source_ip}: {distinct_ports} ports
-- severity: medium
-- description: One source IP hitting at least {min_ports} distinct destination ports within any {window_minutes}-minute window in firewall logs (every packet log counts: blocked, allowed, and plain LOG lines without a verdict). Defaults from Zeek's scan detection (15 ports in 5 minutes), so a fast scan of the usual top 15-20 ports fires.
-- param: min_ports = 15 | Distinct destination ports from one source (Zeek scan.zeek port_scan_threshold = 15).
-- param: window_minutes = 5 | Length of the sliding window, in minutes (Zeek port_scan_interval = 5 min).
WITH fw AS (
    SELECT COALESCE(host_name, '') AS host_name, source_ip, destination_port, timestamp
    FROM events
    WHERE event_module = 'firewall' AND source_ip IS NOT NULL AND destination_port IS NOT NULL
),
first_hits AS (
    SELECT host_name, source_ip, destination_port, MIN(timestamp) AS first_hit
    FROM fw
    GROUP BY host_name, source_ip, destination_port
),
spans AS ({window: first_hits BY host_name, source_ip ON first_hit ROWS min_ports WITHIN window_minutes MINUTES})
SELECT NULLIF(s.host_name, '') AS host_name, s.source_ip, s.first_seen, s.last_seen, COUNT(*) AS count,
       COUNT(DISTINCT f.destination_port) AS distinct_ports, 'port scan' AS kind
FROM spans s
JOIN fw f ON f.host_name = s.host_name AND f.source_ip = s.source_ip
WHERE f.timestamp >= s.first_seen AND f.timestamp <= s.last_seen
GROUP BY s.host_name, s.source_ip, s.first_seen, s.last_seen
