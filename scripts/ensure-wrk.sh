#!/usr/bin/env bash
# Install wrk (the HTTP load generator the API benchmark drives from a second process).
set -euo pipefail
command -v wrk >/dev/null && exit 0
"$(dirname "$0")/apt-install.sh" ensure-wrk wrk
