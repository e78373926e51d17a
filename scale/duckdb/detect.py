#!/usr/bin/env python3
"""Runs logsleuth's exported SQL rules on DuckDB over a case, and writes findings.jsonl in the
findings contract (rule, severity, title, host_name, source_ip, user_name, first_seen,
last_seen, count, details, evidence), as `logsleuth detect` makes them.

    logsleuth rules export --dialect duckdb --out rules/
    python3 scale/duckdb/detect.py CASE rules/ findings.jsonl

CASE is a logsleuth case after `logsleuth detect` (which stores the attempt ledger the
attempt-counting rules read, CASE/attempts-*.parquet). Needs the `duckdb` Python package.
"""
import glob
import os
import sys

import duckdb

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from findings import (MAX_EVIDENCE, PRIOR_COLUMNS, catalog, evidence_from, evidence_keys, finding,  # noqa: E402
                      key_text, prior_rows, run_stages, stored_findings, write)


def connect(case, views):
    con = duckdb.connect()
    events = os.path.join(case, "events", "**", "*.parquet")
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{events}', hive_partitioning = true, union_by_name = true)")
    for name, sql in views.items():
        con.execute(f"CREATE VIEW {name} AS {sql}")
    ledgers = sorted(glob.glob(os.path.join(case, "attempts-*.parquet")), key=os.path.getmtime)
    if ledgers:
        con.execute(f"CREATE VIEW attempts AS SELECT * FROM read_parquet('{ledgers[-1]}')")
    return con, bool(ledgers)


def evidence(con, rule, rows, present):
    """(count, lines) per finding row: the evidence table's rows matching the predicate, with the
    finding's keys (null meets null; a key not joined matches anything), inside its span; the
    first MAX_EVIDENCE in (timestamp, file, line) order, or the last (evidence_order)."""
    if not rule.get("evidence") or not rows:
        return [(0, [])] * len(rows)
    keys = evidence_keys(rule, present)
    con.execute("DROP TABLE IF EXISTS f")
    columns = "".join(f", k{i} VARCHAR" for i in range(len(keys)))
    con.execute(f"CREATE TEMP TABLE f (fid INTEGER{columns}, first_seen BIGINT, last_seen BIGINT)")
    marks = ", ".join("?" for _ in range(len(keys) + 3))
    con.executemany(f"INSERT INTO f VALUES ({marks})",
                    [(i, *[key_text(r.get(k)) for k, _ in keys], r["first_seen"], r["last_seen"])
                     for i, r in enumerate(rows)])
    values = "".join(f", CAST({expr} AS VARCHAR) AS logsleuth_k{i}" for i, (_, expr) in enumerate(keys))
    on = " AND ".join(f"e.logsleuth_k{i} IS NOT DISTINCT FROM f.k{i}" for i in range(len(keys))) or "TRUE"
    last = rule.get("evidence_order") == "last"
    order = "DESC" if last else ""
    q = f"""
        SELECT f.fid, SUM(COALESCE(e.event_count, 1)) AS n,
               list(struct_pack(file := e.log_file_path, line := e.log_line)
                    ORDER BY e.timestamp {order}, e.log_file_path {order}, e.log_line {order})[1:{MAX_EVIDENCE}] AS lines
        FROM (SELECT *{values} FROM {evidence_from(rule)} WHERE {rule['evidence']}) e
        JOIN f ON {on} AND epoch_us(e.timestamp) >= f.first_seen AND epoch_us(e.timestamp) <= f.last_seen
        GROUP BY f.fid"""
    got = {}
    for fid, n, lines in con.execute(q).fetchall():
        lines = [{"file": l["file"], "line": int(l["line"])} for l in lines]
        got[fid] = (int(n), lines[::-1] if last else lines)
    return [got.get(i, (0, [])) for i in range(len(rows))]


def run_rule(con, rules_dir, rule):
    sql = open(os.path.join(rules_dir, rule["file"])).read()
    # Times come back as UTC microseconds: no time zone library on the Python side.
    cur = con.execute(f"SELECT * REPLACE (epoch_us(first_seen) AS first_seen, epoch_us(last_seen) AS last_seen) FROM ({sql}) q")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    ev = evidence(con, rule, rows, set(names))
    out = [finding(rule, r, names, n, lines) for r, (n, lines) in zip(rows, ev)]
    return [f for f in out if f is not None]


def register_prior(con, case, rules, findings):
    """`prior_findings`: the findings of stage 1, and those `logsleuth detect` stored of the
    rules not exported (CASE/findings.parquet, when there is one)."""
    stored = os.path.join(case, "findings.parquet")
    if os.path.exists(stored):
        cur = con.execute(f"SELECT * FROM read_parquet('{stored}')")
        names = [d[0] for d in cur.description]
        findings = findings + stored_findings([dict(zip(names, r)) for r in cur.fetchall()], rules)
    types = {"text": "VARCHAR", "int": "BIGINT", "time": "BIGINT"}
    con.execute("DROP TABLE IF EXISTS logsleuth_prior")
    con.execute("CREATE TEMP TABLE logsleuth_prior (" + ", ".join(f"{c} {types[t]}" for c, t in PRIOR_COLUMNS) + ")")
    rows = prior_rows(findings)
    if rows:
        con.executemany(f"INSERT INTO logsleuth_prior VALUES ({', '.join('?' for _ in PRIOR_COLUMNS)})", rows)
    columns = ", ".join(f"make_timestamp({c})::TIMESTAMPTZ AS {c}" if t == "time" else c for c, t in PRIOR_COLUMNS)
    con.execute(f"CREATE OR REPLACE VIEW prior_findings AS SELECT {columns} FROM logsleuth_prior")


def main(case, rules_dir, out_path):
    rules = catalog(rules_dir, "duckdb")
    con, has_ledger = connect(case, rules.get("views", {}))
    for s in rules["setup"]:
        con.execute(s)
    findings = run_stages(rules, case, has_ledger, lambda rule: run_rule(con, rules_dir, rule),
                          lambda found: register_prior(con, case, rules, found))
    write(findings, out_path, len(rules["rules"]))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
