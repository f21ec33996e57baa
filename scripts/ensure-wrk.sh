#!/usr/bin/env bash
# Install wrk (the HTTP load generator the API benchmark drives from a second process).
set -euo pipefail
command -v wrk >/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then echo "ensure-wrk: wrk is missing and apt-get needs root" >&2; exit 1; fi
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
