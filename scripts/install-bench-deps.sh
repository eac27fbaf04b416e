#!/usr/bin/env bash
# Installs the Debian packages the benchmarks compare against, when missing:
#   buildah  the reference builder of runtime/bench/run.bench.ts, cross.bench.ts (RUN steps, 2 platforms)
#            and build.bench.ts (COPY of 1 GiB).
# Needs root (apt-get). Safe to run again: installed packages are skipped.
exec "$(dirname "$0")/apt-install-missing.sh" install-bench-deps buildah=buildah
