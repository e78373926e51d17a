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


def zipped(group, r, plain):
    """A detail zipped from list columns of row `r` (rules.json `detail_groups`, as
    sql_rule.rs `zip_group`): a list of objects, or an object keyed by the `key` list."""
    columns = [(field, [plain(v) for v in (r.get(column) or [])]) for column, field in group["fields"]]
    n = max((len(v) for _, v in columns), default=0)
    if n == 0:
        return None
    objects = [{field: values[i] for field, values in columns} for i in range(n)]
    if group.get("key") is None:
        return objects
    keys = [plain(k) for k in r.get(group["key"]) or []]
    return {k if isinstance(k, str) else json.dumps(k): o for k, o in zip(keys, objects)}


def finding(rule, r, names, n, lines, plain=lambda v: round(v, 3) if isinstance(v, float) else v):
    """The finding of result row `r` (a dict; times in UTC microseconds) of `rule` (its
    rules.json entry), whose result columns are `names`, with `n` evidence rows of which
    `lines` are shown; `plain` turns an engine's value into JSON's. None when the row has no
    span."""
    if r.get("first_seen") is None or r.get("last_seen") is None:
        return None
    groups = rule.get("detail_groups") or []
    grouped = {c for g in groups for c, _ in g["fields"]} | {g["key"] for g in groups if g.get("key")}
    details = {k: plain(r[k]) for k in names if k not in RESERVED and k not in grouped and r[k] is not None}
    for g in groups:
        v = zipped(g, r, plain)
        if v is not None:
            details[g["name"]] = v
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


def micros(text):
    """UTC microseconds of a time as logsleuth writes it (`rfc3339`)."""
    if text is None:
        return None
    whole, _, frac = text.rstrip("Z").partition(".")
    t = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S") - datetime.datetime(1970, 1, 1)
    return (t.days * 86400 + t.seconds) * 1_000_000 + (int(frac.ljust(6, "0")[:6]) if frac else 0)


SEVERITIES = ("low", "medium", "high", "critical")

# The columns of `prior_findings` (rules.json `prior_findings`; src/detect/prior.rs), each with
# its type: text, int or time (UTC microseconds here, a timestamp in the table).
PRIOR_COLUMNS = (("rule", "text"), ("severity", "text"), ("severity_rank", "int"), ("title", "text"),
                 ("host_name", "text"), ("source_ip", "text"), ("user_name", "text"), ("first_seen", "time"),
                 ("last_seen", "time"), ("count", "int"), ("kind", "text"), ("onset", "time"),
                 ("first_file", "text"), ("first_line", "int"), ("last_file", "text"), ("last_line", "int"))


def prior_rows(findings):
    """The rows of `prior_findings` for findings in the contract's form, as tuples in
    PRIOR_COLUMNS order (times in UTC microseconds)."""
    rows = []
    for f in findings:
        d = f.get("details") or {}
        # The rule's own severity: triage keeps it as rule_severity when it changes it.
        severity = d.get("rule_severity") or f["severity"]
        first, last = micros(f["first_seen"]), micros(f["last_seen"])
        kind = d.get("kind")
        spacing = d.get("usual_spacing_minutes")
        onset = first + (int(spacing * 60_000_000.0) if isinstance(spacing, (int, float)) else 0)
        ev = f.get("evidence") or []
        rows.append((f["rule"], severity, SEVERITIES.index(severity) + 1, f["title"], f.get("host_name"),
                     f.get("source_ip"), f.get("user_name"), first, last, int(f["count"]),
                     None if kind is None else kind if isinstance(kind, str) else json.dumps(kind), onset,
                     ev[0]["file"] if ev else None, ev[0]["line"] if ev else None,
                     ev[-1]["file"] if ev else None, ev[-1]["line"] if ev else None))
    return rows


def stored_findings(rows, catalog):
    """The findings `logsleuth detect` stored (rows of CASE/findings.parquet as dicts) of the
    rules this export does not hold: the not_portable ones and Sigma's, in the contract's form."""
    exported = {r["rule"] for r in catalog["rules"]}
    out = []
    for r in rows:
        # Triage's summaries of folded noise are no rule's findings.
        if r["rule"] in exported or r["rule"] == "noise_summary":
            continue
        # findings.parquet lists the evidence as `file:line` lines.
        evidence = [{"file": f, "line": int(n)} for f, _, n in
                    (l.rpartition(":") for l in (r["evidence"] or "").splitlines() if l)]
        out.append(dict(r, details=json.loads(r["details"] or "{}"), evidence=evidence))
    return out


def run_stages(catalog, case, has_ledger, run_rule, register_prior):
    """Every rule of the catalog: those of stage 1, then, once `register_prior(findings)` has
    made `prior_findings` of their findings, those of stage 2. `run_rule(rule)` gives a rule's
    findings. Exits naming the command to run when a rule needs the attempt ledger and the case
    has none."""
    rules = catalog["rules"]
    findings = []
    for stage in (1, 2):
        todo = [r for r in rules if r.get("stage", 1) == stage]
        if stage == 2 and todo:
            register_prior(findings)
        for rule in todo:
            if needs_ledger(rule) and not has_ledger:
                sys.exit(f"{case} has no attempt ledger (attempts-*.parquet): run `logsleuth detect --case {case}` first")
            findings.extend(run_rule(rule))
    return findings


def needs_ledger(rule):
    return "attempts" in rule["tables"] + [rule["evidence_table"]]


def write(findings, out_path, rules):
    with open(out_path, "w") as f:
        for x in findings:
            f.write(json.dumps(x, default=str) + "\n")
    print(f"{len(findings)} findings from {rules} rules -> {out_path}")
