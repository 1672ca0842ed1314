#!/usr/bin/env bash
# Installs what convex-relu needs on a fresh Debian machine, and nothing when it is already there:
#  - Debian packages: libopenblas-dev + liblapack-dev (BLAS/LAPACK for Clarabel's PSD cone and SCS),
#    coinor-csdp, sdpa, dsdp (external SDP solvers the tests cross-check exported .dat-s files with);
#  - the SCS 3.3.1 C sources, pinned and sha256-verified (scripts/fetch-scs.sh), into .deps/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev liblapack-dev coinor-csdp sdpa dsdp pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -x scripts/fetch-scs.sh ] || [ -f scripts/fetch-scs.sh ]; then
  bash scripts/fetch-scs.sh >/dev/null
fi
echo "setup: ok" >&2
