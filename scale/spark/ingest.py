#!/usr/bin/env python3
"""Sharded ingest on Spark: the evidence is cut into groups (host folders, packed up to a bounded
size; a host is never cut), each group is ingested by the `logsleuth` binary on an executor into its own
shard case, and the driver merges the shards into one case with `logsleuth merge`.

    spark-submit scale/spark/ingest.py EVIDENCE_ROOT OUT [--logsleuth BIN] [--group-mb N] [--threads N]
    python3 scale/spark/ingest.py EVIDENCE_ROOT OUT ...     # local[*] with pyspark installed

Writes OUT/shards/<group>/ (one case per group) and OUT/case (the merged case). Every shard is
ingested with `--root EVIDENCE_ROOT`, so files are named from the common root
(`web01/var/log/auth.log`) and the merged case equals one ingest of the whole tree.

EVIDENCE_ROOT and OUT must be visible at the same path on the driver and every executor (a local
folder with a local master; a shared mount such as NFS on a cluster). The binary is shipped to the
executors with the job (SparkContext.addFile); BIN defaults to $LOGSLEUTH_BIN, else `logsleuth`
on PATH. Both steps are idempotent: a rerun ingests nothing already in a shard and merges nothing
already in the case. Exits non-zero, naming the group, when a shard's ingest fails.
"""
import argparse
import os
import shutil
import stat
import subprocess
import sys


def plan(root, group_bytes):
    """Groups of paths under `root`, as (name, [paths]), in a stable order. A host folder (a
    top-level folder) is never cut: the clock of its year-less lines is decided across its files
    (rotation sets, the years and zones its other logs state), as one ingest decides it. Folders
    are packed in name order into groups of up to `group_bytes`, a larger one alone; files at the
    top level are one group of their own."""

    def size_of(path):
        total = 0
        for dirpath, _, files in os.walk(path):
            for f in files:
                try:
                    total += os.lstat(os.path.join(dirpath, f)).st_size
                except OSError:
                    pass
        return total

    groups, current, current_size, loose = [], [], 0, []
    for e in sorted(os.listdir(root)):
        p = os.path.join(root, e)
        if not (os.path.isdir(p) and not os.path.islink(p)):
            loose.append(p)
            continue
        s = size_of(p)
        if current and current_size + s > group_bytes:
            groups.append(current)
            current, current_size = [], 0
        current.append(p)
        current_size += s
    if current:
        groups.append(current)
    named = [(os.path.basename(g[0]) + (f"+{len(g) - 1}" if len(g) > 1 else ""), g) for g in groups]
    if loose:
        named.append(("_top", loose))
    return named


def ingest_shard(task):
    """On an executor: `logsleuth ingest PATHS --root ROOT --case SHARD`. Returns (group, exit
    code, the end of stderr)."""
    from pyspark import SparkFiles

    name, paths, root, shard, binary, threads = task
    exe = binary
    shipped = SparkFiles.get(os.path.basename(binary))
    if os.path.exists(shipped):
        exe = shipped
        mode = os.stat(exe).st_mode
        if not mode & stat.S_IXUSR:
            os.chmod(exe, mode | stat.S_IXUSR)
    cmd = [exe, "ingest", *paths, "--root", root, "--case", shard, "-q"]
    if threads:
        cmd += ["--threads", str(threads)]
    run = subprocess.run(cmd, capture_output=True, text=True)
    return name, run.returncode, run.stderr[-2000:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("evidence_root")
    ap.add_argument("out")
    ap.add_argument("--logsleuth", default=os.environ.get("LOGSLEUTH_BIN") or shutil.which("logsleuth"))
    ap.add_argument("--group-mb", type=float, default=1024.0, help="hosts are packed into groups of up to this size (a larger host is a group alone)")
    ap.add_argument("--threads", type=int, default=0, help="threads per shard ingest (default: logsleuth's)")
    a = ap.parse_args()
    if not a.logsleuth or not os.path.exists(a.logsleuth):
        sys.exit("no logsleuth binary: pass --logsleuth BIN or set LOGSLEUTH_BIN")
    root = os.path.abspath(a.evidence_root)
    if not os.path.isdir(root):
        sys.exit(f"{root}: not a folder")
    out = os.path.abspath(a.out)
    binary = os.path.abspath(a.logsleuth)
    groups = plan(root, int(a.group_mb * 1024 * 1024))
    if not groups:
        sys.exit(f"{root}: no evidence")
    os.makedirs(os.path.join(out, "shards"), exist_ok=True)
    tasks = [(name, paths, root, os.path.join(out, "shards", name), binary, a.threads) for name, paths in groups]

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("logsleuth-ingest").config("spark.ui.enabled", "false")
    # Under spark-submit (which starts Python with a gateway port) the master is spark-submit's.
    if os.environ.get("SPARK_MASTER") or "PYSPARK_GATEWAY_PORT" not in os.environ:
        builder = builder.master(os.environ.get("SPARK_MASTER", "local[*]"))
    spark = builder.getOrCreate()
    try:
        spark.sparkContext.addFile(binary)
        results = spark.sparkContext.parallelize(tasks, len(tasks)).map(ingest_shard).collect()
    finally:
        spark.stop()
    failed = [(n, rc, err) for n, rc, err in results if rc != 0]
    for n, rc, err in failed:
        print(f"shard {n}: logsleuth ingest exited {rc}\n{err}", file=sys.stderr)
    if failed:
        sys.exit(f"{len(failed)} of {len(tasks)} shards failed; rerun to retry them (ingest is incremental)")
    shards = [t[3] for t in tasks]
    merge = subprocess.run([binary, "merge", *shards, "--into", os.path.join(out, "case")])
    if merge.returncode != 0:
        sys.exit(f"logsleuth merge exited {merge.returncode}")
    print(f"{len(tasks)} shards ingested on Spark and merged into {os.path.join(out, 'case')}")


if __name__ == "__main__":
    main()
