-- id: cross_source
-- title: {source_ip} seen in several sources or on several hosts
-- severity: medium
-- description: An address named by another finding (prior_findings: the findings of every rule run before this one) that appears in at least {min_sources} sources (auth, firewall, web, app, VPN: event_module) or on more than one host, from the address sightings (sightings); high from three sources. Its details give the sources, the hosts, the other rules that named it and each sighting (source@host: first and last time, events); its evidence is each sighting's first line.
-- param: min_sources = 2 | Distinct sources (or hosts) an address must appear in (at least 2).
-- evidence_table: firsts
-- evidence: TRUE
-- evidence_key: source_ip
-- detail_map: sightings = sighting: sighting_first AS first, sighting_last AS last, sighting_events AS events
WITH named AS (
    SELECT source_ip, STRING_AGG(DISTINCT rule, ', ' ORDER BY rule) AS other_findings
    FROM prior_findings
    WHERE source_ip IS NOT NULL
    GROUP BY source_ip
),
-- Each named address per source and host (the sightings table splits them by clock too:
-- the first line is the earlier clock's).
clocks AS (
    SELECT s.source_ip, s.event_module, s.host_name, s.n, s.first_seen, s.last_seen, s.first_file, s.first_line,
           ROW_NUMBER() OVER (PARTITION BY s.source_ip, s.event_module, s.host_name
                              ORDER BY s.first_seen, s.first_file, s.first_line) AS nth
    FROM sightings s JOIN named ON named.source_ip = s.source_ip
),
seen AS (
    SELECT source_ip, event_module, host_name, SUM(n) AS n, MIN(first_seen) AS first_at, MAX(last_seen) AS last_at,
           MIN(CASE WHEN nth = 1 THEN first_file END) AS first_file,
           MIN(CASE WHEN nth = 1 THEN first_line END) AS first_line
    FROM clocks
    GROUP BY source_ip, event_module, host_name
),
-- In order of first sighting (then source, then host, a missing host first).
ordered AS (
    SELECT seen.*, event_module || '@' || COALESCE(host_name, '?') AS sighting,
           RFC3339(first_at) AS first_text, RFC3339(last_at) AS last_text,
           ROW_NUMBER() OVER (PARTITION BY source_ip
                              ORDER BY first_at, event_module, CASE WHEN host_name IS NULL THEN 0 ELSE 1 END, host_name) AS ord
    FROM seen
),
spread AS (
    SELECT source_ip, COUNT(DISTINCT event_module) AS n_sources, COUNT(DISTINCT host_name) AS n_hosts,
           STRING_AGG(DISTINCT event_module, ', ' ORDER BY event_module) AS sources,
           STRING_AGG(DISTINCT host_name, ', ' ORDER BY host_name) AS hosts,
           MIN(first_at) AS first_seen, MAX(last_at) AS last_seen, SUM(n) AS count,
           ARRAY_AGG(sighting ORDER BY ord) AS sighting,
           ARRAY_AGG(first_text ORDER BY ord) AS sighting_first,
           ARRAY_AGG(last_text ORDER BY ord) AS sighting_last,
           ARRAY_AGG(n ORDER BY ord) AS sighting_events
    FROM ordered
    GROUP BY source_ip
    HAVING COUNT(DISTINCT event_module) >= CASE WHEN {min_sources} < 2 THEN 2 ELSE {min_sources} END
        OR COUNT(DISTINCT host_name) >= 2
),
-- Each sighting's first line (in time, file, line order).
firsts AS (
    SELECT source_ip, first_at AS timestamp, first_file AS log_file_path, first_line AS log_line, 1 AS event_count
    FROM seen
)
SELECT p.source_ip, p.first_seen, p.last_seen, p.count,
       CASE WHEN p.n_sources >= 3 THEN 'high' ELSE 'medium' END AS severity,
       p.source_ip || ' seen in ' || CAST(p.n_sources AS STRING) || ' sources on ' || CAST(p.n_hosts AS STRING)
           || ' host(s): ' || p.sources || ' (' || named.other_findings || ')' AS title,
       p.sources, COALESCE(p.hosts, '') AS hosts, named.other_findings,
       p.sighting, p.sighting_first, p.sighting_last, p.sighting_events
FROM spread p JOIN named ON named.source_ip = p.source_ip
ORDER BY p.source_ip
