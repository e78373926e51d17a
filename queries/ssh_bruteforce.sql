-- id: ssh_bruteforce
-- title: SSH brute force on {host_name} from {source_ip}: {count} attempts
-- severity: high
-- description: At least {min_failures} authentication attempts from one source IP within any sliding {window_minutes}-minute window on one host. Attempts come from the attempt ledger (table `attempts`, docs/ledger.md): a try logged by both sshd and PAM counts once, and a user name refused before any password (a bot that disconnects after `Invalid user`) counts as one try. Default from fail2ban's sshd jail (maxretry 5; its findtime of 10 minutes widened to 30 to catch bots that pace themselves).
-- param: min_failures = 5 | Attempts from one source that make a burst.
-- param: window_minutes = 30 | Length of the sliding window, in minutes.
-- The host as it is, null included: a window's partitions, like a GROUP BY's groups, put the nulls
-- together in every engine, and nothing joins on it (the rules that join tries back to their
-- spans key them on COALESCE(host_name, '')).
WITH tries AS (
    SELECT host_name, source_ip, timestamp
    FROM attempts
    WHERE event_module = 'auth' AND source_ip IS NOT NULL
),
spans AS ({window: tries BY host_name, source_ip ON timestamp ROWS min_failures WITHIN window_minutes MINUTES})
SELECT NULLIF(s.host_name, '') AS host_name, s.source_ip, s.first_seen, s.last_seen
FROM spans s
