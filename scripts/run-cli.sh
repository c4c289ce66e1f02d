#!/usr/bin/env bash
# The README's main command: makes sure everything is installed and built, then runs the CLI
# (e.g. `npm run trace -- model.h5 --input x.npy`). The CLI only needs the WASM module, so this
# builds nothing else (`build.sh wasm`, plus the README's example models); `npm test` builds the
# native tests and benchmarks.
# Paths are taken relative to where npm was started, so users can pass their own files.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
(cd "$here" && bash scripts/setup.sh >&2 && bash scripts/build.sh wasm >&2 && node scripts/make-examples.mjs >&2)
cd "${INIT_CWD:-$PWD}"
exec node "$here/web/cli.js" "$@"
