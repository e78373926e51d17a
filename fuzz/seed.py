#!/usr/bin/env python3
"""Seeds the fuzz corpora from the bundled sample evidence and from line shapes the daemons
write: fuzz/seed.py OUT. Writes OUT/<target>/ for each target; existing entries are kept
(libFuzzer adds what it finds there). For parse_lines each seed is one format's index byte and
the head of a file, for every format; decompress gets the heads in gzip (one member and two),
bzip2, xz, zstd when the `zstd` tool is present, and truncated copies of each. The loaders'
targets get the rule files in queries/ (rule_file, sigma_rule, with SigmaHQ's rules from
../shared/datasets/sigma when present) and configurations written from the rules' declared
parameters (config)."""
import bz2
import gzip
import hashlib
import lzma
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "datasets", "sample")
QUERIES = os.path.join(HERE, "..", "queries")
SIGMA_CORPUS = os.path.join(HERE, "..", "..", "shared", "datasets", "sigma")
HEAD = 2048
FORMATS = 12  # len(parse::FORMATS); a larger index wraps around in the target

# Shapes from the daemons' own sources and documentation (OpenSSH auth.c/auth2.c and sshd.c,
# sudo's logging.c, Apache's mod_log_config, iptables' LOG target, auditd's record format, RFC
# 5424, the journal's JSON export).
SHAPES = [
    b"Jan  5 14:10:05 web01 sshd[812]: Failed password for invalid user admin from 192.0.2.7 port 50412 ssh2",
    b"Jan  5 14:10:05 web01 sshd[812]: Accepted publickey for deploy from 2001:db8::7 port 50412 ssh2: ED25519 SHA256:abc",
    b"Jan  5 14:10:05 web01 sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash",
    b"<34>1 2026-01-05T14:10:05.123456+01:00 web01 sshd 812 - - Connection closed by 192.0.2.7 port 50412 [preauth]",
    b'192.0.2.7 - - [05/Jan/2026:14:10:05 +0000] "GET /../../etc/passwd HTTP/1.1" 404 196 "-" "sqlmap/1.7"',
    b"Jan  5 14:10:05 gw01 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00 SRC=192.0.2.7 DST=198.51.100.1 LEN=40 PROTO=TCP SPT=4444 DPT=22",
    b'type=SYSCALL msg=audit(1767622205.123:4567): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=2 auid=1000 uid=0 comm="bash" exe="/usr/bin/bash" key="exec"',
    b'type=EXECVE msg=audit(1767622205.123:4567): argc=2 a0="bash" a1=2D63',
    b'{"__REALTIME_TIMESTAMP":"1767622205123456","_HOSTNAME":"app01","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Invalid user x from 192.0.2.7 port 1"}',
    b'{"timestamp":"2026-01-05T14:10:05Z","level":"warn","user":"alice","src_ip":"192.0.2.7","msg":"login failed"}',
    b"timestamp,user_id,source_ip,destination_ip,action,success\n2026-01-05 14:10:05,alice,192.0.2.7,10.0.0.1,login,false",
    b'Mon Jan  5 14:10:05 2026 [pid 812] [ftp] FAIL LOGIN: Client "192.0.2.7"',
    b"[Mon Jan 05 14:10:05.123456 2026] [core:error] [pid 812:tid 9] [client 192.0.2.7:50412] AH00128: File does not exist: /var/www/.env",
    b"2026-01-05 14:10:05,123 ERROR [main] com.example.App: boom\n\tat com.example.App.main(App.java:1)\nCaused by: x",
]


# A correlation rule and a multi-document file as the Sigma specification writes them
# (SigmaHQ/sigma-specification, Sigma_meta_rules.md), for the reader's correlation side.
SIGMA_SHAPES = [
    b"""title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - source.ip
    timespan: 5m
    condition:
        gte: 10
""",
    b"""action: global
title: Base
logsource:
    product: linux
    service: auth
---
detection:
    sel:
        - 'Failed password'
    filter:
        user|startswith: 'svc_'
    condition: sel and not 1 of filter*
---
detection:
    kw|contains|all:
        - a
        - b
    condition: all of them
""",
]


def loader_seeds(out):
    sql = sorted(f for f in os.listdir(QUERIES) if f.endswith(".sql"))
    params = {}
    for name in sql:
        with open(os.path.join(QUERIES, name), "rb") as f:
            text = f.read()
        put(os.path.join(out, "rule_file"), text)
        rule = None
        for line in text.decode().splitlines():
            if line.startswith("-- id:") and rule is None:
                rule = line.split(":", 1)[1].strip()
            if line.startswith("-- rule:"):
                rule = line.split(":", 1)[1].strip()
            if line.startswith("-- param:"):
                assign = line.split(":", 1)[1].split("|")[0]
                params.setdefault(rule, []).append(assign.strip())
    for rule, assigns in sorted(params.items()):
        put(os.path.join(out, "config"), ("[%s]\n%s\n" % (rule, "\n".join(assigns))).encode())
    put(os.path.join(out, "config"), b'[kinds]\nratio = 0.25\nlabel = "y"\nnames = ["a", "b"]\nmin_count = 4\n')
    sigma = [os.path.join(QUERIES, "sigma", f) for f in sorted(os.listdir(os.path.join(QUERIES, "sigma")))]
    if os.path.isdir(SIGMA_CORPUS):
        for root, _, files in os.walk(SIGMA_CORPUS):
            sigma += [os.path.join(root, f) for f in sorted(files) if f.endswith((".yml", ".yaml"))]
    for path in sigma:
        with open(path, "rb") as f:
            put(os.path.join(out, "sigma_rule"), f.read())
    for shape in SIGMA_SHAPES:
        put(os.path.join(out, "sigma_rule"), shape)


def put(folder, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def heads():
    out = list(SHAPES)
    for root, _, files in os.walk(SAMPLE):
        for name in sorted(files):
            with open(os.path.join(root, name), "rb") as f:
                raw = f.read()
            for opener in (gzip.decompress, bz2.decompress, lzma.decompress):
                try:
                    raw = opener(raw)
                    break
                except Exception:
                    pass
            out.append(raw[:HEAD])
    return out


def main(out):
    zstd = shutil.which("zstd")
    for head in heads():
        for i in range(FORMATS):
            put(os.path.join(out, "parse_lines"), bytes([i]) + head)
        put(os.path.join(out, "sniff"), head)
        for line in head.split(b"\n")[:8]:
            put(os.path.join(out, "timestamps"), line[:64])
        packed = [gzip.compress(head), gzip.compress(head[:100]) + gzip.compress(head[100:]), bz2.compress(head), lzma.compress(head)]
        if zstd:
            packed.append(subprocess.run([zstd, "-q", "-c"], input=head, capture_output=True, check=True).stdout)
        for p in packed:
            put(os.path.join(out, "decompress"), p)
            put(os.path.join(out, "decompress"), p[: len(p) // 2])
    loader_seeds(out)
    for t in ("parse_lines", "sniff", "timestamps", "decompress", "rule_file", "config", "sigma_rule"):
        print(t, len(os.listdir(os.path.join(out, t))), "seeds")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
