#!/usr/bin/env bash
# Installs Debian packages whose command is missing. Needs root (apt-get) when something is.
#
#   scripts/apt-install-missing.sh WHO COMMAND=PACKAGE...
#
# WHO names the caller in messages. Safe to run again: present commands are skipped.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
who=$1
shift

packages=()
for pair in "$@"; do
  command -v "${pair%%=*}" >/dev/null 2>&1 || packages+=("${pair#*=}")
done

if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "$who: run as root, or install: apt-get install -y ${packages[*]}" >&2
  exit 1
fi
echo "$who: installing ${packages[*]}" >&2
apt-get update -qq >/dev/null || apt-get update
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
