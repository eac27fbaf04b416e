#!/usr/bin/env bash
# Sets up a clone on Debian with Node 20, as root: the system packages (scripts/install-system-deps.sh),
# the examples' per-platform busybox (scripts/fetch-busybox.sh), the npm packages, the build, and
# code-server (a real VS Code, for the extension's end-to-end test; vscode-extension/scripts/install-code-server.sh).
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
scripts/fetch-busybox.sh examples/multi-arch
npm ci --no-audit --no-fund
npm run build
vscode-extension/scripts/install-code-server.sh
