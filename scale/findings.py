"""The findings contract, shared by the engines' jobs (scale/duckdb/detect.py,
scale/spark/detect.py): a finding from a result row of an exported rule, as `logsleuth detect`
makes it (src/detect/sql_rule.rs), and the jobs' common steps."""
import datetime
import json
import os
import sys

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


def fill(template, f, details):
    """The header's title as logsleuth fills it (sql_rule.rs `fill`)."""
    out = template.replace("{count}", str(f["count"]))
    for k in KEYS:
        out = out.replace("{%s}" % k, f[k] if f[k] is not None else "-")
    for k, v in details.items():
        text = v if isinstance(v, str) else json.dumps(v)
        out = out.replace("{%s}" % k, text)
        if k.startswith("threshold_"):
            out = out.replace("{%s}" % k[len("threshold_"):], text)
    return out


def finding(rule, r, names, n, lines, plain=lambda v: round(v, 3) if isinstance(v, float) else v):
    """The finding of result row `r` (a dict; times in UTC microseconds) of `rule` (its
    rules.json entry), whose result columns are `names`, with `n` evidence rows of which
    `lines` are shown; `plain` turns an engine's value into JSON's. None when the row has no
    span."""
    if r.get("first_seen") is None or r.get("last_seen") is None:
        return None
    details = {k: plain(r[k]) for k in names if k not in RESERVED and r[k] is not None}
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
    # A title the query writes is the finding's as it is; the header's is a template.
    f["title"] = r["title"] if r.get("title") is not None else fill(rule["title"], f, details)
    return f


def catalog(rules_dir, dialect):
    """rules.json of an export for `dialect`, or exit saying which export is needed."""
    c = json.load(open(os.path.join(rules_dir, "rules.json")))
    if c["dialect"] != dialect:
        sys.exit(f"{rules_dir} holds rules for {c['dialect']}; export them with --dialect {dialect}")
    return c


def evidence_keys(rule, present):
    """(finding column, expression over the evidence table) pairs joining a finding to its
    evidence rows: the rule's own (rules.json `evidence_keys`), else every key column the query
    returns, matched to the column of the same name."""
    own = rule.get("evidence_keys") or {}
    if own:
        return sorted(own.items())
    return [(k, k) for k in KEYS if k in present]


def key_text(v):
    """A finding's key value as text, as the engines' CAST(... AS VARCHAR) writes it."""
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def evidence_from(rule):
    """The evidence table as a FROM item: a case table by name, or the statement giving a table
    the rule's query defines (rules.json `evidence_source`)."""
    source = rule.get("evidence_source")
    return f"({source}) logsleuth_source" if source else rule["evidence_table"]


def needs_ledger(rule):
    return "attempts" in rule["tables"] + [rule["evidence_table"]]


def write(findings, out_path, rules):
    with open(out_path, "w") as f:
        for x in findings:
            f.write(json.dumps(x, default=str) + "\n")
    print(f"{len(findings)} findings from {rules} rules -> {out_path}")
