# liaison: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test lint typecheck unit bench lock clean

install:
	@scripts/bootstrap.sh

run: install
	$(BIN)/liaison directives validate
	$(BIN)/liaison directives in-force

test: install lint typecheck unit

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy

unit:
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/decide_bench.py

# Re-resolve the pinned, hashed dependency set after editing pyproject.toml.
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
