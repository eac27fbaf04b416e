#!/usr/bin/env bash
# Installs the Debian packages the benchmarks compare against, when missing:
#   buildah  the reference multi-arch builder of runtime/bench/run.bench.ts (RUN steps, 2 platforms).
# Needs root (apt-get). Safe to run again: installed packages are skipped.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=()
command -v buildah >/dev/null 2>&1 || packages+=(buildah)

if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-bench-deps: run as root, or install: apt-get install -y ${packages[*]}" >&2
  exit 1
fi
echo "install-bench-deps: installing ${packages[*]}" >&2
apt-get update -qq >/dev/null || apt-get update
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
