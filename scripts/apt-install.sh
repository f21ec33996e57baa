#!/usr/bin/env bash
# Install Debian packages with apt-get for an ensure-*.sh script, its output on standard
# error: `scripts/apt-install.sh WHO [APT-GET OPTION...] PACKAGE...` (WHO names the caller
# in the messages). Exits 1 when this is not root (apt-get needs root).
set -euo pipefail
who=$1
shift
packages=()
for arg in "$@"; do [[ $arg == -* ]] || packages+=("$arg"); done
if [ "$(id -u)" != 0 ]; then
  echo "$who: ${packages[*]} missing and this is not root (apt-get needs root)" >&2
  exit 1
fi
echo "$who: installing ${packages[*]} with apt-get" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
