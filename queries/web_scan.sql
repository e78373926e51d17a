-- id: web_scan
-- title: Web scanning on {host_name} from {source_ip}: {count} client errors, {distinct_paths} paths
-- severity: medium
-- description: One IP receiving at least {min_errors} 4xx responses within any {window_minutes}-minute window (probing for paths that do not exist).
-- param: min_errors = 50 | 4xx responses to one source that make a scan.
-- param: window_minutes = 10 | Length of the sliding window, in minutes.
WITH errors AS (
    SELECT COALESCE(host_name, '') AS host_name, source_ip, timestamp, url_path
    FROM events
    WHERE event_action = 'http.request' AND source_ip IS NOT NULL
      AND http_response_status_code >= 400 AND http_response_status_code < 500
),
spans AS ({window: errors BY host_name, source_ip ON timestamp ROWS min_errors WITHIN window_minutes MINUTES})
SELECT NULLIF(s.host_name, '') AS host_name, s.source_ip, s.first_seen, s.last_seen, COUNT(*) AS count,
       COUNT(DISTINCT e.url_path) AS distinct_paths, 'error burst' AS kind
FROM spans s
JOIN errors e ON e.host_name = s.host_name AND e.source_ip = s.source_ip
WHERE e.timestamp >= s.first_seen AND e.timestamp <= s.last_seen
GROUP BY s.host_name, s.source_ip, s.first_seen, s.last_seen
