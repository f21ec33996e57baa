#!/usr/bin/env bash
# Print the path of Debian's chromium for the browser tests, installing it (and the fonts
# its pages need) with apt-get when it is missing. Never a downloaded browser: Playwright
# launches this one by its path. Exits non-zero when chromium cannot be had; `make test`
# then fails (the browser tests are part of it).
set -euo pipefail
find_bin() { command -v chromium || command -v chromium-browser || true; }
bin=$(find_bin)
if [ -z "$bin" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-chromium: chromium is not installed and this is not root (apt-get needs root)" >&2
    exit 1
  fi
  echo "ensure-chromium: installing chromium with apt-get" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium fonts-dejavu-core >&2
  bin=$(find_bin)
fi
if [ -z "$bin" ]; then
  echo "ensure-chromium: chromium is still missing after apt-get" >&2
  exit 1
fi
echo "$bin"
