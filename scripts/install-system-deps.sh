#!/usr/bin/env bash
# Installs the Debian packages the runtime and its tests use, when missing:
#   skopeo  an independent OCI client; tests check it accepts every image kubefilec writes.
#   neovim  a real LSP client; the language server's end-to-end test drives it headless.
#   qemu-user-static  runs other architectures' programs in RUN steps (an arm64 build on amd64).
#   fuse-overlayfs    the RUN root where the kernel's overlayfs cannot be mounted.
#   docker-registry   a real OCI registry (distribution), started on 127.0.0.1 by the tests.
#   chromium          the browser the VS Code extension's end-to-end test drives (playwright-core).
#   buildah           builds the multi-stage Dockerfile twin of examples/cross-compile, whose files per platform
#                     must equal ours (cli/test/buildah-parity.test.ts); the benches compare with it too.
#   shellcheck        checks the shell code of RUN, CMD, CMDS and APPCMDS (KF4001 in lint and the editor); its tests run it.
#   openssh-server    sshd: the build-node tests start their own on 127.0.0.1, each acting as a machine `build --builder` reaches.
# Needs root (apt-get). Safe to run again: installed packages are skipped.
exec "$(dirname "$0")/apt-install-missing.sh" install-system-deps \
  skopeo=skopeo nvim=neovim qemu-aarch64-static=qemu-user-static fuse-overlayfs=fuse-overlayfs docker-registry=docker-registry chromium=chromium buildah=buildah shellcheck=shellcheck sshd=openssh-server
