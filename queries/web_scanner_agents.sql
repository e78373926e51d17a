-- id: web_scanner_agents
-- rule: web_scan
-- title: Known scanner ({scanner}) on {host_name} from {source_ip}: {count} requests
-- severity: medium
-- description: Requests whose User-Agent names a known scanning tool (sqlmap, Nikto, Nmap, masscan, gobuster, dirbuster, wpscan, zgrab, nuclei, ffuf, …).
WITH agents AS (
    SELECT DISTINCT user_agent_original AS agent
    FROM events
    WHERE event_action = 'http.request' AND user_agent_original IS NOT NULL
),
lowered AS (
    SELECT agent, LOWER(agent) AS ua FROM agents
),
scanners AS (
    SELECT agent,
           CASE
               WHEN ua LIKE '%sqlmap%' THEN 'sqlmap'
               WHEN ua LIKE '%nikto%' THEN 'Nikto'
               WHEN ua LIKE '%nmap%' THEN 'Nmap'
               WHEN ua LIKE '%masscan%' THEN 'masscan'
               WHEN ua LIKE '%gobuster%' THEN 'gobuster'
               WHEN ua LIKE '%dirbuster%' THEN 'DirBuster'
               WHEN ua LIKE '%wpscan%' THEN 'WPScan'
               WHEN ua LIKE '%zgrab%' THEN 'zgrab'
               WHEN ua LIKE '%nuclei%' THEN 'Nuclei'
               WHEN ua LIKE '%ffuf%' THEN 'ffuf'
               WHEN ua LIKE '%feroxbuster%' THEN 'feroxbuster'
               WHEN ua LIKE '%wfuzz%' THEN 'wfuzz'
               WHEN ua LIKE '%acunetix%' THEN 'Acunetix'
               WHEN ua LIKE '%whatweb%' THEN 'WhatWeb'
               ELSE 'Hydra'
           END AS scanner
    FROM lowered
    WHERE ua LIKE '%sqlmap%' OR ua LIKE '%nikto%' OR ua LIKE '%nmap%' OR ua LIKE '%masscan%'
       OR ua LIKE '%gobuster%' OR ua LIKE '%dirbuster%' OR ua LIKE '%wpscan%' OR ua LIKE '%zgrab%'
       OR ua LIKE '%nuclei%' OR ua LIKE '%ffuf%' OR ua LIKE '%feroxbuster%' OR ua LIKE '%wfuzz%'
       OR ua LIKE '%acunetix%' OR ua LIKE '%whatweb%' OR ua LIKE '%hydra%'
),
hits AS (
    SELECT e.host_name, e.source_ip, e.timestamp, s.scanner
    FROM events e
    JOIN scanners s ON e.user_agent_original = s.agent
    WHERE e.event_action = 'http.request' AND e.source_ip IS NOT NULL
)
SELECT host_name, source_ip, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen,
       MIN(scanner) AS scanner, 'scanner user agent' AS kind
FROM hits
GROUP BY host_name, source_ip
