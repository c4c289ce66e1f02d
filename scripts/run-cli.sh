#!/usr/bin/env bash
# The README's main command: makes sure everything is installed and built, then runs the CLI
# (e.g. `npm run trace -- model.h5 --input x.npy`). Paths are taken relative to where npm was
# started, so users can pass their own files.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
(cd "$here" && bash scripts/setup.sh >&2 && QKW_NO_ASAN=1 bash scripts/build.sh >&2)
cd "${INIT_CWD:-$PWD}"
exec node "$here/web/cli.js" "$@"
