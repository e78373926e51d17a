#!/usr/bin/env python3
"""Runs logsleuth's exported SQL rules on Spark over a case, and writes findings.jsonl in the
findings contract (rule, severity, title, host_name, source_ip, user_name, first_seen,
last_seen, count, details, evidence), as `logsleuth detect` makes them.

    logsleuth rules export --dialect spark --out rules/
    spark-submit scale/spark/detect.py CASE rules/ findings.jsonl
    python3 scale/spark/detect.py CASE rules/ findings.jsonl     # local[*] with pyspark installed

CASE is any path Spark reads (a local folder, hdfs://..., s3a://...) holding a logsleuth case
after `logsleuth detect`, which stores the attempt ledger (CASE/attempts-*.parquet) that the
attempt-counting rules read. rules/ and findings.jsonl are paths on the driver.

The master comes from spark-submit or SPARK_MASTER (default local[*]). The session zone is set
to UTC by the catalog's setup statements, so dates and times are the case's UTC instants.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from findings import (MAX_EVIDENCE, PRIOR_COLUMNS, catalog, evidence_from, evidence_keys, finding,  # noqa: E402
                      key_text, prior_rows, run_stages, stored_findings, write)


def session():
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("logsleuth-detect")
    # Under spark-submit (which starts Python with a gateway port) the master is spark-submit's.
    if os.environ.get("SPARK_MASTER") or "PYSPARK_GATEWAY_PORT" not in os.environ:
        builder = builder.master(os.environ.get("SPARK_MASTER", "local[*]"))
    return (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("SPARK_SHUFFLE_PARTITIONS", "8"))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def latest_ledger(spark, case):
    """The newest CASE/attempts-*.parquet by modification time, through Hadoop's file system
    (any scheme Spark reads), or None."""
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    pattern = jvm.org.apache.hadoop.fs.Path(case.rstrip("/") + "/attempts-*.parquet")
    statuses = pattern.getFileSystem(conf).globStatus(pattern) or []
    best = None
    for s in statuses:
        if best is None or s.getModificationTime() > best.getModificationTime():
            best = s
    return best.getPath().toString() if best is not None else None


def exists(spark, path):
    """Whether `path` exists, through Hadoop's file system (any scheme Spark reads)."""
    jvm = spark._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(spark._jsc.hadoopConfiguration()).exists(p)


def register_prior(spark, case, rules, findings):
    """`prior_findings`: the findings of stage 1, and those `logsleuth detect` stored of the
    rules not exported (CASE/findings.parquet, when there is one)."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    stored = case.rstrip("/") + "/findings.parquet"
    if exists(spark, stored):
        rows = [r.asDict() for r in spark.read.parquet(stored).collect()]
        findings = findings + stored_findings(rows, rules)
    types = {"text": StringType(), "int": LongType(), "time": LongType()}
    schema = StructType([StructField(c, types[t]) for c, t in PRIOR_COLUMNS])
    spark.createDataFrame(prior_rows(findings), schema).createOrReplaceTempView("logsleuth_prior")
    columns = ", ".join(f"timestamp_micros({c}) AS {c}" if t == "time" else c for c, t in PRIOR_COLUMNS)
    spark.sql(f"SELECT {columns} FROM logsleuth_prior").createOrReplaceTempView("prior_findings")


def register(spark, case, views):
    events = (
        spark.read.option("mergeSchema", "true")
        .option("basePath", case.rstrip("/") + "/events")
        .parquet(case.rstrip("/") + "/events")
    )
    events.createOrReplaceTempView("events")
    ledger = latest_ledger(spark, case)
    if ledger:
        spark.read.parquet(ledger).createOrReplaceTempView("attempts")
    for name, sql in views.items():
        spark.sql(sql).createOrReplaceTempView(name)
    return ledger is not None


def evidence(spark, rule, rows, present):
    """(count, lines) per finding row: the evidence table's rows matching the predicate, with the
    finding's keys (null meets null; a key not joined matches anything), inside its span; the
    first MAX_EVIDENCE in (timestamp, file, line) order, or the last (evidence_order)."""
    if not rule.get("evidence") or not rows:
        return [(0, [])] * len(rows)
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    keys = evidence_keys(rule, present)
    schema = StructType(
        [StructField("fid", LongType())]
        + [StructField(f"k{i}", StringType()) for i in range(len(keys))]
        + [StructField("first_seen", LongType()), StructField("last_seen", LongType())]
    )
    spans = [(i, *[key_text(r.get(k)) for k, _ in keys], r["first_seen"], r["last_seen"])
             for i, r in enumerate(rows)]
    spark.createDataFrame(spans, schema).createOrReplaceTempView("logsleuth_spans")
    values = "".join(f", CAST({expr} AS STRING) AS logsleuth_k{i}" for i, (_, expr) in enumerate(keys))
    on = " AND ".join(f"e.logsleuth_k{i} <=> f.k{i}" for i in range(len(keys))) or "TRUE"
    ordered = "array_sort(collect_list(struct(unix_micros(e.timestamp) AS t, e.log_file_path AS file, e.log_line AS line)))"
    if rule.get("evidence_order") == "last":
        lines = f"reverse(slice(reverse({ordered}), 1, {MAX_EVIDENCE}))"
    else:
        lines = f"slice({ordered}, 1, {MAX_EVIDENCE})"
    q = f"""
        SELECT f.fid, SUM(COALESCE(e.event_count, 1)) AS n, {lines} AS lines
        FROM (SELECT *{values} FROM {evidence_from(rule)} WHERE {rule['evidence']}) e
        JOIN logsleuth_spans f ON {on}
         AND unix_micros(e.timestamp) >= f.first_seen AND unix_micros(e.timestamp) <= f.last_seen
        GROUP BY f.fid"""
    got = {r["fid"]: (int(r["n"]), [{"file": l["file"], "line": int(l["line"])} for l in r["lines"]])
           for r in spark.sql(q).collect()}
    return [got.get(i, (0, [])) for i in range(len(rows))]


def plain(v):
    """A Spark value as JSON shows it: decimals as numbers, floats rounded as logsleuth does."""
    import decimal

    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, float):
        return round(v, 3)
    return v


def run_rule(spark, rules_dir, rule):
    sql = "\n".join(l for l in open(os.path.join(rules_dir, rule["file"])).read().splitlines()
                    if not l.startswith("-- "))
    # Times come back as UTC microseconds: no time zone conversion on the Python side.
    from pyspark.sql import functions

    df = spark.sql(sql)
    names = df.columns
    for c in ("first_seen", "last_seen"):
        if c in names:
            df = df.withColumn(c, functions.unix_micros(c))
    rows = [r.asDict(recursive=True) for r in df.collect()]
    ev = evidence(spark, rule, rows, set(names))
    out = [finding(rule, r, names, n, lines, plain) for r, (n, lines) in zip(rows, ev)]
    return [f for f in out if f is not None]


def main(case, rules_dir, out_path):
    rules = catalog(rules_dir, "spark")
    spark = session()
    try:
        for s in rules["setup"]:
            spark.sql(s)
        has_ledger = register(spark, case, rules.get("views", {}))
        findings = run_stages(rules, case, has_ledger, lambda rule: run_rule(spark, rules_dir, rule),
                              lambda found: register_prior(spark, case, rules, found))
    finally:
        spark.stop()
    write(findings, out_path, len(rules["rules"]))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
