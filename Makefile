# liaison: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test lint typecheck unit bench lock clean

install:
	@scripts/bootstrap.sh

# The main job, as far as it exists today (the HTTP service arrives with issue 4):
# migrate the database, make the checkpoint key if there is none, validate the D.C. pack,
# show what was in force on 15 Aug 2025 under both views, decide the worked examples,
# explain one decision, then sign a ledger checkpoint and verify the whole ledger.
run: install
	$(BIN)/liaison db upgrade
	@test -f $${LIAISON_KEY_DIR:-var/keys}/ledger.key || $(BIN)/liaison ledger keygen
	$(BIN)/liaison directives validate
	$(BIN)/liaison directives in-force --at 2025-08-15T12:00:00-04:00 --view mpd
	$(BIN)/liaison directives in-force --at 2025-08-15T12:00:00-04:00 --view doj
	$(BIN)/liaison decide examples/dc-worked-examples.jsonl
	$(BIN)/liaison explain examples/traffic-stop-share.json
	$(BIN)/liaison ledger checkpoint
	$(BIN)/liaison ledger verify

test: install lint typecheck unit

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy

# PostgreSQL for the tests: installed (apt-get) and started by the script when missing.
unit:
	LIAISON_TEST_PG_URL=$$(scripts/ensure-postgres.sh) && export LIAISON_TEST_PG_URL && $(BIN)/pytest

bench: install
	$(BIN)/python bench/decide_bench.py

# Re-resolve the pinned, hashed dependency set after editing pyproject.toml.
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
