#!/usr/bin/env bash
# Installs the Debian packages the benchmarks compare against, when missing:
#   buildah  the reference multi-arch builder of runtime/bench/run.bench.ts (RUN steps, 2 platforms).
# Needs root (apt-get). Safe to run again: installed packages are skipped.
exec "$(dirname "$0")/apt-install-missing.sh" install-bench-deps buildah=buildah
