#!/usr/bin/env python3
"""Runs logsleuth's exported SQL rules on DuckDB over a case, and writes findings.jsonl in the
findings contract (rule, severity, title, host_name, source_ip, user_name, first_seen,
last_seen, count, details, evidence), as `logsleuth detect` makes them.

    logsleuth rules export --dialect duckdb --out rules/
    python3 scale/duckdb/detect.py CASE rules/ findings.jsonl

CASE is a logsleuth case after `logsleuth detect` (which stores the attempt ledger the
attempt-counting rules read, CASE/attempts-*.parquet). Needs the `duckdb` Python package.
"""
import datetime
import glob
import json
import os
import sys

import duckdb

MAX_EVIDENCE = 20
KEYS = ("host_name", "source_ip", "user_name")
RESERVED = ("first_seen", "last_seen") + KEYS + ("count", "severity", "title")


def rfc3339(us):
    """logsleuth's time format from UTC microseconds: seconds, and microseconds when nonzero."""
    if us is None:
        return None
    secs, frac = divmod(us, 1_000_000)
    text = (datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += ".%06d" % frac
    return text + "Z"


def connect(case):
    con = duckdb.connect()
    events = os.path.join(case, "events", "**", "*.parquet")
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{events}', hive_partitioning = true, union_by_name = true)")
    ledgers = sorted(glob.glob(os.path.join(case, "attempts-*.parquet")), key=os.path.getmtime)
    if ledgers:
        con.execute(f"CREATE VIEW attempts AS SELECT * FROM read_parquet('{ledgers[-1]}')")
    return con, bool(ledgers)


def fill(template, f, details):
    """The title as logsleuth fills it (sql_rule.rs `fill`)."""
    out = template.replace("{count}", str(f["count"]))
    for k in KEYS:
        out = out.replace("{%s}" % k, f[k] if f[k] is not None else "-")
    for k, v in details.items():
        text = v if isinstance(v, str) else json.dumps(v)
        out = out.replace("{%s}" % k, text)
        if k.startswith("threshold_"):
            out = out.replace("{%s}" % k[len("threshold_"):], text)
    return out


def evidence(con, rule, rows, present):
    """(count, lines) per finding row: the evidence table's rows matching the predicate, with the
    finding's keys (null meets null; a key the query does not return matches anything), inside
    its span; the first MAX_EVIDENCE in (timestamp, file, line) order."""
    if not rule.get("evidence") or not rows:
        return [(0, [])] * len(rows)
    con.execute("DROP TABLE IF EXISTS f")
    con.execute("CREATE TEMP TABLE f (fid INTEGER, host_name VARCHAR, source_ip VARCHAR, user_name VARCHAR, "
                "first_seen BIGINT, last_seen BIGINT)")
    con.executemany("INSERT INTO f VALUES (?, ?, ?, ?, ?, ?)",
                    [(i, r.get("host_name"), r.get("source_ip"), r.get("user_name"), r["first_seen"], r["last_seen"])
                     for i, r in enumerate(rows)])
    on = " AND ".join(f"e.{k} IS NOT DISTINCT FROM f.{k}" for k in KEYS if k in present) or "TRUE"
    q = f"""
        SELECT f.fid, SUM(COALESCE(e.event_count, 1)) AS n,
               list(struct_pack(file := e.log_file_path, line := e.log_line)
                    ORDER BY e.timestamp, e.log_file_path, e.log_line)[1:{MAX_EVIDENCE}] AS lines
        FROM (SELECT * FROM {rule['evidence_table']} WHERE {rule['evidence']}) e
        JOIN f ON {on} AND epoch_us(e.timestamp) >= f.first_seen AND epoch_us(e.timestamp) <= f.last_seen
        GROUP BY f.fid"""
    got = {fid: (int(n), [{"file": l["file"], "line": int(l["line"])} for l in lines])
           for fid, n, lines in con.execute(q).fetchall()}
    return [got.get(i, (0, [])) for i in range(len(rows))]


def run_rule(con, rules_dir, rule):
    sql = open(os.path.join(rules_dir, rule["file"])).read()
    # Times come back as UTC microseconds: no time zone library on the Python side.
    cur = con.execute(f"SELECT * REPLACE (epoch_us(first_seen) AS first_seen, epoch_us(last_seen) AS last_seen) FROM ({sql}) q")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    ev = evidence(con, rule, rows, set(names))
    out = []
    for r, (n, lines) in zip(rows, ev):
        if r.get("first_seen") is None or r.get("last_seen") is None:
            continue
        details = {}
        for k in names:
            if k in RESERVED:
                continue
            v = r[k]
            details[k] = round(v, 3) if isinstance(v, float) else v
        for k, v in rule["params"].items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                details.setdefault("threshold_" + k, str(v))
        f = {
            "rule": rule["rule"],
            "severity": r.get("severity") or rule["severity"],
            "host_name": r.get("host_name"),
            "source_ip": r.get("source_ip"),
            "user_name": r.get("user_name"),
            "first_seen": rfc3339(r["first_seen"]),
            "last_seen": rfc3339(r["last_seen"]),
            "count": max(int(r["count"]), 0) if r.get("count") is not None else n,
            "details": details,
            "evidence": lines,
        }
        f["title"] = fill(r.get("title") or rule["title"], f, details)
        out.append(f)
    return out


def main(case, rules_dir, out_path):
    catalog = json.load(open(os.path.join(rules_dir, "rules.json")))
    if catalog["dialect"] != "duckdb":
        sys.exit(f"{rules_dir} holds rules for {catalog['dialect']}; export them with --dialect duckdb")
    con, has_ledger = connect(case)
    for s in catalog["setup"]:
        con.execute(s)
    findings = []
    for rule in catalog["rules"]:
        if "attempts" in rule["tables"] + [rule["evidence_table"]] and not has_ledger:
            sys.exit(f"{case} has no attempt ledger (attempts-*.parquet): run `logsleuth detect --case {case}` first")
        findings.extend(run_rule(con, rules_dir, rule))
    with open(out_path, "w") as f:
        for x in findings:
            f.write(json.dumps(x, default=str) + "\n")
    print(f"{len(findings)} findings from {len(catalog['rules'])} rules -> {out_path}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
