-- id: web_scan
-- title: Known scanner ({scanner}) on {host_name} from {source_ip}: {count} requests
-- severity: medium
-- description: Requests whose User-Agent names a known scanning tool (sqlmap, Nikto, Nmap, masscan, gobuster, dirbuster, wpscan, zgrab, nuclei, ffuf, …).
-- evidence: event_action = 'http.request' AND (LOWER(user_agent_original) LIKE '%sqlmap%' OR LOWER(user_agent_original) LIKE '%nikto%' OR LOWER(user_agent_original) LIKE '%nmap%' OR LOWER(user_agent_original) LIKE '%masscan%' OR LOWER(user_agent_original) LIKE '%gobuster%' OR LOWER(user_agent_original) LIKE '%dirbuster%' OR LOWER(user_agent_original) LIKE '%wpscan%' OR LOWER(user_agent_original) LIKE '%zgrab%' OR LOWER(user_agent_original) LIKE '%nuclei%' OR LOWER(user_agent_original) LIKE '%ffuf%' OR LOWER(user_agent_original) LIKE '%feroxbuster%' OR LOWER(user_agent_original) LIKE '%wfuzz%' OR LOWER(user_agent_original) LIKE '%acunetix%' OR LOWER(user_agent_original) LIKE '%whatweb%' OR LOWER(user_agent_original) LIKE '%hydra%')
WITH hits AS (
    SELECT host_name, source_ip, timestamp, user_agent_original,
           CASE
               WHEN LOWER(user_agent_original) LIKE '%sqlmap%' THEN 'sqlmap'
               WHEN LOWER(user_agent_original) LIKE '%nikto%' THEN 'Nikto'
               WHEN LOWER(user_agent_original) LIKE '%nmap%' THEN 'Nmap'
               WHEN LOWER(user_agent_original) LIKE '%masscan%' THEN 'masscan'
               WHEN LOWER(user_agent_original) LIKE '%gobuster%' THEN 'gobuster'
               WHEN LOWER(user_agent_original) LIKE '%dirbuster%' THEN 'DirBuster'
               WHEN LOWER(user_agent_original) LIKE '%wpscan%' THEN 'WPScan'
               WHEN LOWER(user_agent_original) LIKE '%zgrab%' THEN 'zgrab'
               WHEN LOWER(user_agent_original) LIKE '%nuclei%' THEN 'Nuclei'
               WHEN LOWER(user_agent_original) LIKE '%ffuf%' THEN 'ffuf'
               WHEN LOWER(user_agent_original) LIKE '%feroxbuster%' THEN 'feroxbuster'
               WHEN LOWER(user_agent_original) LIKE '%wfuzz%' THEN 'wfuzz'
               WHEN LOWER(user_agent_original) LIKE '%acunetix%' THEN 'Acunetix'
               WHEN LOWER(user_agent_original) LIKE '%whatweb%' THEN 'WhatWeb'
               ELSE 'Hydra'
           END AS scanner
    FROM events
    WHERE event_action = 'http.request' AND source_ip IS NOT NULL
      AND (LOWER(user_agent_original) LIKE '%sqlmap%' OR LOWER(user_agent_original) LIKE '%nikto%'
        OR LOWER(user_agent_original) LIKE '%nmap%' OR LOWER(user_agent_original) LIKE '%masscan%'
        OR LOWER(user_agent_original) LIKE '%gobuster%' OR LOWER(user_agent_original) LIKE '%dirbuster%'
        OR LOWER(user_agent_original) LIKE '%wpscan%' OR LOWER(user_agent_original) LIKE '%zgrab%'
        OR LOWER(user_agent_original) LIKE '%nuclei%' OR LOWER(user_agent_original) LIKE '%ffuf%'
        OR LOWER(user_agent_original) LIKE '%feroxbuster%' OR LOWER(user_agent_original) LIKE '%wfuzz%'
        OR LOWER(user_agent_original) LIKE '%acunetix%' OR LOWER(user_agent_original) LIKE '%whatweb%'
        OR LOWER(user_agent_original) LIKE '%hydra%')
)
SELECT host_name, source_ip, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen,
       MIN(scanner) AS scanner, 'scanner user agent' AS kind
FROM hits
GROUP BY host_name, source_ip
