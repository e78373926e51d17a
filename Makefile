# logsleuth — the two commands a new user needs: `make demo` and `make test`.
# Everything builds in the release profile so demo, tests and benches share one set of
# compiled dependencies (polars is a heavy build). Set CARGO_TARGET_DIR to share a cache.

SHELL := /bin/bash
CARGO ?= cargo
CARGO_TARGET_DIR ?= target
export CARGO_TARGET_DIR
BIN := $(CARGO_TARGET_DIR)/release/logsleuth
GEN := $(CARGO_TARGET_DIR)/release/logsleuth-gen
SAMPLE := datasets/sample
DEMO_CASE := reports/demo-case
BENCH_DIR ?= $(CARGO_TARGET_DIR)/bench-evidence
BENCH_MB ?= 1650

.PHONY: all build build-lto demo dataset test test-faults test-deps lint fmt bench bless clean fuzz fuzz-smoke fuzz-build

all: build

build:
	$(CARGO) build --release --locked --bins

# The binary to ship: link-time optimisation across all crates and one codegen unit (profile
# release-lto): 6-7 % faster ingest and detect, for a build of its own (its link alone took 19
# minutes on 2 cores; see the README). Tests, demo and benches use the release profile.
build-lto:
	$(CARGO) build --profile release-lto --locked --bin logsleuth
	@echo "$(CARGO_TARGET_DIR)/release-lto/logsleuth"

# Regenerates the bundled sample (deterministic; also restores its mtimes, which git does not
# keep and which year-less syslog lines depend on), then runs the whole pipeline on it.
dataset: build
	$(GEN) sample --out $(SAMPLE)

demo: dataset
	rm -rf $(DEMO_CASE)
	$(BIN) run $(SAMPLE) --case $(DEMO_CASE) -o reports/demo
	@echo "open reports/demo/index.html"

# What the tests need beyond Rust and the system packages .ci/run installs (Java among them),
# pinned: Python's aiosmtpd (a real SMTP server on 127.0.0.1 for the email tests), DuckDB and
# PySpark (the exported rules run on other engines; PySpark bundles Spark and needs a JRE).
# Debian's own python3 refuses plain `pip install` (PEP 668), hence the second try.
PY_TEST_DEPS := aiosmtpd==1.4.6 duckdb==1.5.6 pyspark==3.5.7
test-deps:
	@python3 -c "import aiosmtpd, duckdb, pyspark; assert duckdb.__version__ == '1.5.6' and pyspark.__version__ == '3.5.7'" 2>/dev/null \
	  || python3 -m pip install --quiet $(PY_TEST_DEPS) \
	  || python3 -m pip install --quiet --break-system-packages $(PY_TEST_DEPS)
	@python3 -c "import aiosmtpd, duckdb, pyspark; print('aiosmtpd', aiosmtpd.__version__, '· duckdb', duckdb.__version__, '· pyspark', pyspark.__version__)"

# Tests whose component is missing locally skip with a message; under CI=true they fail.
test:
	@$(MAKE) --no-print-directory test-deps || echo "warning: make test-deps failed: the email, DuckDB and Spark tests will skip"
	$(CARGO) test --release --locked

# Crash consistency at every step of the commit sequence: a build with the test-only
# `fault-injection` feature, which stops ingest at a named point (src/ingest/fault.rs).
test-faults:
	$(CARGO) test --release --locked --features fault-injection --test main crash::

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings
	$(CARGO) clippy --release --locked --all-targets --features fault-injection -- -D warnings

fmt:
	$(CARGO) fmt --all

# Generates a >1 GiB evidence tree (once) and measures ingest throughput and peak RSS, detection,
# many small files, how cost grows from 1 to 50 million events (SCALE_SIZES; the 50 M tree
# takes about 8 GB, generated once) and the parsers.
bench: build
	@test -d $(BENCH_DIR) || $(GEN) bench --out $(BENCH_DIR) --size-mb $(BENCH_MB)
	BENCH_DIR=$(BENCH_DIR) $(CARGO) bench --locked --bench ingest
	BENCH_DIR=$(BENCH_DIR) $(CARGO) bench --locked --bench detect
	BENCH_DIR=$(BENCH_DIR) $(CARGO) bench --locked --bench small_files
	BENCH_DIR=$(BENCH_DIR) $(CARGO) bench --locked --bench scaling
	$(CARGO) bench --locked --bench parsers

# Coverage-guided fuzzing (cargo-fuzz and libFuzzer on the stable toolchain: sanitizer none) of
# the format parsers, the sniffer, the timestamp scanners, the decompressors, and the loaders of
# what analysts write: SQL rule files, the --config TOML and Sigma rules (up to where they meet
# polars). The fuzz crate compiles those sources from src/ without polars, in its own target
# folder. Corpora are seeded from the bundled sample and real line shapes (fuzz/seed.py) and
# grow in $(FUZZ_CORPUS); a crash or a hang stops the run with its input in fuzz/artifacts/.
FUZZ_TARGETS := parse_lines sniff timestamps decompress rule_file config sigma_rule
FUZZ_SECONDS ?= 300
FUZZ_DIR := $(abspath $(CARGO_TARGET_DIR))/fuzz
FUZZ_CORPUS ?= $(FUZZ_DIR)/corpus
fuzz-build:
	@command -v cargo-fuzz >/dev/null || CARGO_TARGET_DIR=$(FUZZ_DIR)/install $(CARGO) install cargo-fuzz --locked --version 0.13.2
	cd fuzz && CARGO_TARGET_DIR=$(FUZZ_DIR)/target $(CARGO) fuzz build -s none -O
fuzz: fuzz-build
	python3 fuzz/seed.py $(FUZZ_CORPUS)
	set -eo pipefail; for t in $(FUZZ_TARGETS); do \
	  echo "== fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  (cd fuzz && CARGO_TARGET_DIR=$(FUZZ_DIR)/target $(CARGO) fuzz run -s none -O $$t $(FUZZ_CORPUS)/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
	    | grep -E --line-buffered "^(Done|stat::number_of_executed)|INITED|panicked|ERROR|SUMMARY|artifact|Test unit"); \
	done
# What .ci/run runs: every target for a short while.
fuzz-smoke:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

# Re-writes golden files from the current output (review the diff before committing).
bless:
	LOGSLEUTH_BLESS=1 $(CARGO) test --release --locked --test main golden::

clean:
	rm -rf $(DEMO_CASE) reports/demo reports/weekly
