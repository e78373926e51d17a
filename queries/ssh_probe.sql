-- id: ssh_probe
-- title: SSH probing of {host_name} from {source_ip}: {connections} connections that never tried to log in
-- severity: low
-- description: One source IP making at least {min_connections} SSH connections to one host within any {window_minutes}-minute window that ended before authentication without a single attempt (no identification string, not SSH, failed key exchange or negotiation, LoginGraceTime timeout, dropped by MaxStartups/PerSourcePenalties, or closed before authenticating). Scanners and banner grabbers; low on its own, medium from {medium_connections} connections, and context for the other rules. Defaults: OpenSSH's PerSourcePenalties starts penalising a source after its first such connection; 10 in an hour is well above a misconfigured client's retries.
-- param: min_connections = 10 | Connections without an attempt from one source.
-- param: window_minutes = 60 | Length of the sliding window, in minutes.
-- param: medium_connections = 100 | Connections that make it medium severity.
WITH probes AS (
    SELECT COALESCE(host_name, '') AS host_name, source_ip, COALESCE(process_pid, 0) AS pid, MIN(timestamp) AS timestamp
    FROM events
    WHERE event_module = 'auth' AND source_ip IS NOT NULL
      AND event_action IN ('ssh.preauth_close', 'ssh.no_identification', 'ssh.bad_protocol', 'ssh.kex_failed',
                           'ssh.negotiation_failed', 'ssh.preauth_timeout', 'ssh.dropped')
    GROUP BY COALESCE(host_name, ''), source_ip, COALESCE(process_pid, 0)
),
-- The probing connections that also made an attempt (joined on columns: a string key per
-- attempt line would cost more than the whole rule).
tried AS (
    SELECT p.host_name, p.source_ip, p.pid, COUNT(*) AS n
    FROM probes p
    JOIN (SELECT COALESCE(host_name, '') AS host_name, source_ip, COALESCE(process_pid, 0) AS pid
          FROM attempts WHERE source_ip IS NOT NULL) a
      ON p.host_name = a.host_name AND p.source_ip = a.source_ip AND p.pid = a.pid
    GROUP BY p.host_name, p.source_ip, p.pid
),
quiet AS (
    SELECT p.host_name, p.source_ip, p.timestamp
    FROM probes p
    LEFT JOIN tried t ON p.host_name = t.host_name AND p.source_ip = t.source_ip AND p.pid = t.pid
    WHERE t.n IS NULL
),
spans AS ({window: quiet BY host_name, source_ip ON timestamp ROWS min_connections WITHIN window_minutes MINUTES})
SELECT NULLIF(s.host_name, '') AS host_name, s.source_ip, s.first_seen, s.last_seen, COUNT(*) AS connections,
       CASE WHEN COUNT(*) >= {medium_connections} THEN 'medium' ELSE 'low' END AS severity
FROM spans s
JOIN quiet q ON q.host_name = s.host_name AND q.source_ip = s.source_ip
WHERE q.timestamp >= s.first_seen AND q.timestamp <= s.last_seen
GROUP BY s.host_name, s.source_ip, s.first_seen, s.last_seen
