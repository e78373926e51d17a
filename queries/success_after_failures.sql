-- id: success_after_failures
-- title: Login as {user_name} on {host_name} from {source_ip} after {failures_before} failures: likely compromise
-- severity: critical
-- description: A successful login from a source IP that had at least {min_failures} failed attempts (attempt ledger, on any host and for any user) in the {window_minutes} minutes before it: likely compromise (one finding per host, address, user and instant of login). The span runs from the first of those failures to the login; the evidence is the address's last authentication lines of the span (failures and the login itself).
-- param: min_failures = 5 | Failures from the same source before the success.
-- param: window_minutes = 60 | How far back to count failures, in minutes.
-- evidence: event_module = 'auth' AND event_action IN ('auth.success', 'auth.failure', 'auth.failure_summary', 'auth.pam_error', 'auth.invalid_user', 'auth.user_not_allowed', 'auth.root_refused')
-- evidence_key: source_ip
-- evidence_order: last
WITH failed AS (
    SELECT timestamp AS failed_at, source_ip AS failed_ip, user_name AS failed_user
    FROM attempts
    WHERE event_module = 'auth' AND source_ip IS NOT NULL
),
-- Only addresses that failed can have failed before a success: the successes of the others
-- (most of them) are dropped before the join.
failing AS (
    SELECT DISTINCT failed_ip AS failing_ip FROM failed
),
ok AS (
    SELECT e.timestamp, e.host_name, e.source_ip, e.user_name
    FROM (SELECT timestamp, host_name, source_ip, user_name
          FROM events
          WHERE event_module = 'auth' AND event_action = 'auth.success' AND source_ip IS NOT NULL) e
    JOIN failing ON failing.failing_ip = e.source_ip
),
runs AS (
    SELECT ok.host_name, ok.source_ip, ok.user_name, ok.timestamp, MIN(failed.failed_at) AS first_failure,
           COUNT(*) AS failures_before,
           STRING_AGG(DISTINCT failed.failed_user, ', ' ORDER BY failed.failed_user) AS failed_users
    FROM ok JOIN failed ON failed.failed_ip = ok.source_ip
    WHERE failed.failed_at >= ok.timestamp - INTERVAL '{window_minutes} minutes' AND failed.failed_at <= ok.timestamp
    GROUP BY ok.host_name, ok.source_ip, ok.user_name, ok.timestamp
    HAVING COUNT(*) >= {min_failures}
)
SELECT host_name, source_ip, user_name, first_failure AS first_seen, timestamp AS last_seen,
       failures_before + 1 AS count, failures_before, failed_users,
       CAST(FLOOR((EPOCH_US(timestamp) - EPOCH_US(first_failure)) / 1000000) AS BIGINT) AS seconds_from_first_failure
FROM runs
