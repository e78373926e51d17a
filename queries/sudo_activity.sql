-- id: sudo_activity
-- title: Unusual sudo commands by {user_name} on {host_name}: {count}
-- severity: medium
-- description: sudo used for a shell, a download, user or sudoers management, reading password hashes, or silencing logs (high for all but account management).
WITH cmds AS (
    SELECT host_name, user_name, timestamp, process_command_line AS cmd,
           CASE WHEN process_command_line LIKE '%useradd%' OR process_command_line LIKE '%usermod%'
                  OR process_command_line LIKE '%userdel%' OR process_command_line LIKE '%passwd%'
                THEN 0 ELSE 1 END AS dangerous
    FROM events
    WHERE event_module = 'auth' AND event_action = 'sudo.command'
      AND (process_command_line LIKE '%bin/bash%' OR process_command_line LIKE '%bin/sh%'
        OR process_command_line LIKE '%bin/zsh%' OR process_command_line LIKE '%bin/su'
        OR process_command_line LIKE '%wget %' OR process_command_line LIKE '%curl %'
        OR process_command_line LIKE '%bin/nc %' OR process_command_line LIKE '%ncat %'
        OR process_command_line LIKE '%/etc/shadow%' OR process_command_line LIKE '%sudoers%'
        OR process_command_line LIKE '%visudo%' OR process_command_line LIKE '%useradd%'
        OR process_command_line LIKE '%usermod%' OR process_command_line LIKE '%userdel%'
        OR process_command_line LIKE '%passwd%' OR process_command_line LIKE '%stop rsyslog%'
        OR process_command_line LIKE '%stop systemd-journald%' OR process_command_line LIKE '%/var/log%')
)
SELECT host_name, user_name, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen,
       'unusual sudo command' AS kind, MIN(cmd) AS example_command,
       CASE WHEN SUM(dangerous) > 0 THEN 'high' ELSE 'medium' END AS severity
FROM cmds
GROUP BY host_name, user_name
