#!/usr/bin/env bash
# Print the path of Debian's Go toolchain for the interop tests (issue 12, item 6), with
# golang.org/x/mod (sumdb/note, sumdb/tlog) from Debian's golang-golang-x-mod-dev under
# /usr/share/gocode; both installed with apt-get when missing. The tests build their
# verifier offline in GOPATH mode: nothing is downloaded. Exits non-zero when Go cannot be
# had; `make test` then fails.
set -euo pipefail
mod=/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog
if ! command -v go >/dev/null || [ ! -d "$mod" ]; then
  "$(dirname "$0")/apt-install.sh" ensure-go --no-install-recommends \
    golang-go golang-golang-x-mod-dev
fi
if ! command -v go >/dev/null || [ ! -d "$mod" ]; then
  echo "ensure-go: Go is still missing after apt-get" >&2
  exit 1
fi
command -v go
