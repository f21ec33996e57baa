# liaison: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run examples test lint typecheck unit bench bench-oversight bench-pages bench-audit lock clean

install:
	@scripts/bootstrap.sh

# The main job: install, migrate, make the checkpoint signing key if there is none, load
# the D.C. pack and the demo history (Aug-Sep 2025) through the gateway, sign a checkpoint,
# print the URL and a demo auditor key, and serve on 127.0.0.1.
HOST ?= 127.0.0.1
PORT ?= 8000
run: install
	$(BIN)/liaison db upgrade
	@test -f $${LIAISON_KEY_DIR:-var/keys}/ledger.key || $(BIN)/liaison ledger keygen
	$(BIN)/liaison directives validate
	$(BIN)/liaison demo
	@$(BIN)/liaison ledger checkpoint > /dev/null
	@echo
	@echo "liaison: http://$(HOST):$(PORT)/  (the start page: the Council's questions answered)"
	@echo "         http://$(HOST):$(PORT)/docs  (the API is under /v1; /healthz, /metrics)"
	@echo "demo auditor key (sign in with it to see the records): $$(cat var/demo-auditor.key)"
	@echo
	$(BIN)/liaison serve --host $(HOST) --port $(PORT)

# The worked examples of the D.C., California and Illinois packs, decided and explained on the
# command line.
examples: install
	$(BIN)/liaison decide examples/dc-worked-examples.jsonl
	$(BIN)/liaison decide --pack packs/ca examples/ca-worked-examples.jsonl
	$(BIN)/liaison decide --pack packs/il examples/il-worked-examples.jsonl
	$(BIN)/liaison explain examples/traffic-stop-share.json

test: install lint typecheck unit

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy

# PostgreSQL, Debian's chromium and Go (with golang.org/x/mod, for the interop tests) for
# the tests: installed (apt-get) and started by the scripts when missing.
unit:
	LIAISON_TEST_PG_URL=$$(scripts/ensure-postgres.sh) && export LIAISON_TEST_PG_URL && \
	LIAISON_CHROMIUM=$$(scripts/ensure-chromium.sh) && export LIAISON_CHROMIUM && \
	LIAISON_GO=$$(scripts/ensure-go.sh) && export LIAISON_GO && \
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/decide_bench.py
	$(BIN)/python bench/ledger_bench.py
	$(BIN)/python bench/api_bench.py
	$(BIN)/python bench/replay_bench.py
	$(BIN)/python bench/oversight_bench.py
	$(BIN)/python bench/pages_bench.py
	$(BIN)/python bench/audit_bench.py

# Issue 10, item 6: a year of a large department's records (about 2,000,000 decisions and
# events, made once and cached in bench/.data/), the list pages and counts timed on it.
bench-oversight: install
	$(BIN)/python bench/oversight_bench.py

# Issue 11, item 5: each page's server time (cold, p50, p95; target 300 ms) over the same
# 2,000,000-record year; pages not merged yet are reported missing.
bench-pages: install
	$(BIN)/python bench/pages_bench.py

# Auditing a 1,000,000-row Flock portal export (issue 13, item 5): classify beside a bare csv
# pass, the import into the ledger, peak memory. Results in bench/results/audit.json.
bench-audit: install
	$(BIN)/python bench/audit_bench.py

# Re-resolve the pinned, hashed dependency set after editing pyproject.toml.
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
