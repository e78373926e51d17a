-- id: web_attack
-- title: Web attacks on {host_name} from {source_ip}: {categories} ({count} requests)
-- severity: low
-- description: Requests whose URL, percent-decoded up to twice (attackers double-encode to slip past filters) and in any letter case, holds a signature of queries/web_signatures.tsv (SQL injection, traversal, XSS, command injection, remote file inclusion, sensitive files, exploit and CVE paths, admin and WordPress probing, fingerprinting), at least {min_requests} from one source; severity the highest of the signatures matched, their 2xx severity for a request answered 2xx.
-- param: min_requests = 1 | Matching requests from one source before it is reported.
-- param: signatures_file = '' | A signature file (same columns as queries/web_signatures.tsv) to use instead of the built-in one; empty for the built-in.
-- data: web_signatures = {signatures_file}
-- The URL is matched raw, `path?query` with the query's `+` as spaces: each signature's
-- url_regex finds its pattern in every encoded form (src/detect/web.rs);
-- {web_signatures_match} is true when any of them matches.
WITH requests AS (
    SELECT COALESCE(host_name, '') AS host_name, COALESCE(source_ip, '') AS source_ip, timestamp, log_file_path, log_line,
           CASE WHEN http_response_status_code >= 200 AND http_response_status_code < 300 THEN 1 ELSE 0 END AS answered,
           url_path || COALESCE('?' || REPLACE(url_query, '+', ' '), '') AS url
    FROM events
    WHERE event_action = 'http.request' AND url_path IS NOT NULL
      AND {web_signatures_match}
),
signatures AS (
    SELECT * FROM (VALUES
    {web_signatures}
    ) AS s(category, severity_rank, severity_2xx_rank, pattern, reference, url_regex)
),
matched AS (
    SELECT r.host_name, r.source_ip, r.log_file_path, r.log_line, s.category, s.pattern, s.reference,
           CASE WHEN r.answered = 1 THEN s.severity_2xx_rank ELSE s.severity_rank END AS severity_rank
    FROM requests r CROSS JOIN signatures s
    WHERE REGEXP_LIKE(r.url, s.url_regex)
),
per_category AS (
    SELECT host_name, source_ip, category, COUNT(DISTINCT log_file_path || ':' || CAST(log_line AS STRING)) AS requests,
           MAX(severity_rank) AS severity_rank, STRING_AGG(DISTINCT pattern, ', ' ORDER BY pattern) AS patterns,
           STRING_AGG(DISTINCT reference, '; ' ORDER BY reference) AS refs
    FROM matched
    GROUP BY host_name, source_ip, category
),
categories AS (
    SELECT host_name, source_ip, MAX(severity_rank) AS severity_rank,
           STRING_AGG(category, ', ' ORDER BY category) AS categories,
           STRING_AGG(tally, ', ' ORDER BY category) AS requests_by_category,
           STRING_AGG(patterns, ', ' ORDER BY category) AS patterns,
           STRING_AGG(refs, '; ' ORDER BY category) AS signature_references
    FROM (SELECT host_name, source_ip, category, severity_rank, patterns, refs, category || ': ' || CAST(requests AS STRING) AS tally
          FROM per_category) c
    GROUP BY host_name, source_ip
),
totals AS (
    SELECT host_name, source_ip, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen, COUNT(*) AS count,
           SUM(answered) AS answered_2xx
    FROM requests
    GROUP BY host_name, source_ip
    HAVING COUNT(*) >= {min_requests}
)
SELECT NULLIF(t.host_name, '') AS host_name, NULLIF(t.source_ip, '') AS source_ip, t.first_seen, t.last_seen, t.count,
       t.answered_2xx, c.categories, c.requests_by_category, c.patterns,
       c.signature_references,
       CASE c.severity_rank WHEN 4 THEN 'critical' WHEN 3 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END AS severity
FROM totals t
JOIN categories c ON c.host_name = t.host_name AND c.source_ip = t.source_ip
