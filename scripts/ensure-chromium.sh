#!/usr/bin/env bash
# Print the path of Debian's chromium for the browser tests, installing it (and the fonts
# its pages need) with apt-get when it is missing. Never a downloaded browser: Playwright
# launches this one by its path. Exits non-zero when chromium cannot be had; `make test`
# then fails (the browser tests are part of it).
set -euo pipefail
find_bin() { command -v chromium || command -v chromium-browser || true; }
bin=$(find_bin)
if [ -z "$bin" ]; then
  "$(dirname "$0")/apt-install.sh" ensure-chromium --no-install-recommends \
    chromium fonts-dejavu-core
  bin=$(find_bin)
fi
if [ -z "$bin" ]; then
  echo "ensure-chromium: chromium is still missing after apt-get" >&2
  exit 1
fi
echo "$bin"
