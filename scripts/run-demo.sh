#!/usr/bin/env bash
# Sets up and builds (as the README's commands do), then serves the demo page on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
QKW_NO_ASAN=1 bash scripts/build.sh >&2
exec node web/demo/serve.js "$@"
