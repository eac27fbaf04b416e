#!/usr/bin/env bash
# Installs the Debian packages the runtime and its tests use, when missing:
#   skopeo  an independent OCI client; tests check it accepts every image kubefilec writes.
#   neovim  a real LSP client; the language server's end-to-end test drives it headless.
#   qemu-user-static  runs other architectures' programs in RUN steps (an arm64 build on amd64).
#   fuse-overlayfs    the RUN root where the kernel's overlayfs cannot be mounted.
# Needs root (apt-get). Safe to run again: installed packages are skipped.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=()
command -v skopeo >/dev/null 2>&1 || packages+=(skopeo)
command -v nvim >/dev/null 2>&1 || packages+=(neovim)
command -v qemu-aarch64-static >/dev/null 2>&1 || packages+=(qemu-user-static)
command -v fuse-overlayfs >/dev/null 2>&1 || packages+=(fuse-overlayfs)

if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: run as root, or install: apt-get install -y ${packages[*]}" >&2
  exit 1
fi
echo "install-system-deps: installing ${packages[*]}" >&2
apt-get update -qq >/dev/null || apt-get update
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
