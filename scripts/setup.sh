#!/usr/bin/env bash
# Installs what the build needs on a fresh Debian 12 machine: Debian packages (as root, with
# apt-get) and the npm dependencies pinned by package-lock.json. Safe to run again: it only
# installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake
  clang libclang-rt-14-dev      # the ASan+UBSan test build
  emscripten                    # emcc 3.1.6 (clang 14) for the WASM build
  libxsimd-dev nlohmann-json3-dev
  libgtest-dev libbenchmark-dev
  wabt                          # wasm-objdump: checks that the .wasm uses SIMD
  chromium                      # browser tests of the demo page (driven by playwright-core)
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from Debian or elsewhere (e.g. a nodejs package that bundles npm): only
# ask apt for it when the commands are missing.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages. Run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.package-lock.stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
