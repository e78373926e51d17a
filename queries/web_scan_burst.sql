-- id: web_scan_burst
-- rule: web_scan
-- title: Web scan burst on {host_name} from {source_ip}: {distinct_paths} missing paths in {burst_seconds} s
-- severity: medium
-- description: One IP asking for at least {min_paths} distinct paths that do not exist (404/410) within any {burst_seconds}-second window: a content-discovery tool (dirb, gobuster, ffuf, Nikto) in a short, dense burst that stays under the per-window error count. Default: dirb and gobuster request hundreds of paths a minute; no browser asks for 20 missing paths in a minute.
-- param: min_paths = 20 | Distinct missing paths from one source that make a burst.
-- param: burst_seconds = 60 | Length of the sliding window, in seconds.
WITH missing AS (
    SELECT COALESCE(host_name, '') AS host_name, source_ip, url_path, MIN(timestamp) AS first_hit
    FROM events
    WHERE event_action = 'http.request' AND source_ip IS NOT NULL AND url_path IS NOT NULL
      AND http_response_status_code IN (404, 410)
    GROUP BY COALESCE(host_name, ''), source_ip, url_path
),
spans AS ({window: missing BY host_name, source_ip ON first_hit ROWS min_paths WITHIN burst_seconds SECONDS})
SELECT NULLIF(s.host_name, '') AS host_name, s.source_ip, s.first_seen, s.last_seen,
       COUNT(*) AS distinct_paths, 'missing-path burst' AS kind
FROM spans s
JOIN missing m ON m.host_name = s.host_name AND m.source_ip = s.source_ip
WHERE m.first_hit >= s.first_seen AND m.first_hit <= s.last_seen
GROUP BY s.host_name, s.source_ip, s.first_seen, s.last_seen
