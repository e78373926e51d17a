-- id: ssh_bruteforce_slow
-- title: Slow SSH brute force on {host_name} from {source_ip}: {count} attempts
-- severity: medium
-- description: At least {min_attempts} authentication attempts (from the attempt ledger) from one source IP on one host within any {window_hours}-hour window, spread out so that no {burst_minutes}-minute window holds a fast burst: the pace bots use to stay under fail2ban-style limits (one try every few minutes for hours). Defaults: fail2ban's recidive jail looks back one day; 20 tries is four times the fast rule's burst and about one try every 72 minutes at the slowest.
-- param: min_attempts = 20 | Attempts from one source within the window.
-- param: window_hours = 24 | Length of the sliding window, in hours.
-- param: burst_minutes = 30 | Windows this short are the fast rule's (ssh_bruteforce) business.
-- param: burst_size = 5 | Attempts in burst_minutes that make the source a fast brute force instead.
WITH tries AS (
    SELECT COALESCE(host_name, '') AS host_name, source_ip, timestamp
    FROM attempts
    WHERE event_module = 'auth' AND source_ip IS NOT NULL
),
fast AS (
    SELECT host_name, source_ip, timestamp,
           LAG(timestamp, {burst_size - 1}) OVER (PARTITION BY host_name, source_ip ORDER BY timestamp) AS burst_start
    FROM tries
),
paced AS (
    SELECT host_name, source_ip,
           MAX(CASE WHEN burst_start IS NOT NULL AND timestamp - burst_start <= INTERVAL '{burst_minutes} minutes'
                    THEN 1 ELSE 0 END) AS has_burst,
           COUNT(*) AS tries_total
    FROM fast
    GROUP BY host_name, source_ip
),
slow AS (
    SELECT t.host_name, t.source_ip, t.timestamp
    FROM tries t
    JOIN paced p ON p.host_name = t.host_name AND p.source_ip = t.source_ip
    WHERE p.has_burst = 0 AND p.tries_total >= {min_attempts}
),
spans AS ({window: slow BY host_name, source_ip ON timestamp ROWS min_attempts WITHIN window_hours HOURS})
SELECT NULLIF(host_name, '') AS host_name, source_ip, first_seen, last_seen
FROM spans
