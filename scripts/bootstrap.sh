#!/usr/bin/env bash
# Create .venv with the system python3 and install the locked dependencies.
# Needs only python3 (with venv and pip) and the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "python3-venv is missing; installing it with apt-get" >&2
  apt-get update -qq && apt-get install -y -qq python3-venv
fi
stamp=.venv/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt requirements.lock ] && [ "$stamp" -nt pyproject.toml ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check "uv==0.13.9"
.venv/bin/uv pip sync -q --python .venv/bin/python requirements.lock
.venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
touch "$stamp"
