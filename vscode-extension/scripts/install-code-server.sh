#!/usr/bin/env bash
# Installs code-server (a real VS Code served to a browser) from the npm registry, for the
# extension's end-to-end test, on a machine that reaches only the npm registry and Debian.
#
#   vscode-extension/scripts/install-code-server.sh [DIR]
#
# DIR defaults to $KUBEFILE_CODE_SERVER_DIR or /var/cache/kubefile/code-server; the result is
# DIR/node_modules/.bin/code-server. Safe to run again: a finished install is kept.
#
# code-server's own postinstall downloads prebuilt binaries from GitHub, which this machine cannot
# reach, so it is installed with --ignore-scripts and its native modules are compiled here with
# node-gyp against Node's headers; ripgrep comes from Debian. Needs root for apt-get.
set -euo pipefail
dir=${1:-${KUBEFILE_CODE_SERVER_DIR:-/var/cache/kubefile/code-server}}
version=${CODE_SERVER_VERSION:-4.100.3}
done_marker="$dir/.installed-$version"
[ -f "$done_marker" ] && exit 0

fail() { echo "install-code-server: $*" >&2; exit 1; }
say() { echo "install-code-server: $*" >&2; }

# Headers and tools the native modules compile against (kerberos, keytar, native-keymap...).
export DEBIAN_FRONTEND=noninteractive
missing=()
for package in ripgrep libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || fail "run as root, or install: apt-get install -y ${missing[*]}"
  say "installing ${missing[*]}"
  apt-get update -qq >/dev/null || apt-get update
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || fail "apt-get could not install ${missing[*]}"
fi

mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{ "name": "kubefile-code-server", "private": true }' >package.json
say "code-server $version from the npm registry into $dir"
npm install --no-audit --no-fund --ignore-scripts "code-server@$version" >/dev/null || fail "npm could not install code-server@$version"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Compiles one native module in place; prints node-gyp's output when it fails.
compile() {
  local module=$1
  shift
  (cd "$module" && npx --yes node-gyp rebuild "$@") >"$log" 2>&1 || { cat "$log" >&2; fail "node-gyp failed in $module"; }
}

# argon2 (password hashing; unused with --auth none, but loaded at start) looks for its binding
# where its prebuilt download would have put it.
compile node_modules/argon2 --module_name=argon2 --module_path=lib/binding/napi-v3 --napi_build_version=3
mkdir -p node_modules/argon2/lib/binding/napi-v3
cp node_modules/argon2/build/Release/argon2.node node_modules/argon2/lib/binding/napi-v3/

vscode=node_modules/code-server/lib/vscode
say "VS Code's own modules"
(cd "$vscode" && npm install --no-audit --no-fund --omit=dev --ignore-scripts >/dev/null) || fail "npm could not install VS Code's modules"
for module in "$vscode"/node_modules/* "$vscode"/node_modules/@*/*; do
  case "$module" in *windows*) continue ;; esac
  if [ -f "$module/binding.gyp" ]; then
    say "compiling ${module#"$vscode"/node_modules/}"
    compile "$module"
  fi
done
mkdir -p "$vscode/node_modules/@vscode/ripgrep/bin"
cp /usr/bin/rg "$vscode/node_modules/@vscode/ripgrep/bin/rg"
# What the release packaging would have made: the asar path VS Code loads from, and the scripts'
# platform-specific names.
ln -sfn node_modules "$vscode/node_modules.asar"
ln -sfn code-linux.sh "$vscode/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$vscode/bin/helpers/browser.sh"
(cd "$vscode/extensions" && npm install --no-audit --no-fund --omit=dev --ignore-scripts >/dev/null) || fail "npm could not install VS Code's built-in extensions' modules"

"$dir/node_modules/.bin/code-server" --version >/dev/null || fail "code-server was installed but does not start"
touch "$done_marker"
say "code-server $version ready: $dir/node_modules/.bin/code-server"
