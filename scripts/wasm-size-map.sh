#!/usr/bin/env bash
# Where the .wasm's code bytes go, by part (issue 11 "Size"): relinks the release module with a
# symbol map into build/size-map/ (the shipped web/wasm/ is untouched), attributes every function
# to the object that defines it (src/<part>/, bindings/) or to a runtime library, and prints the
# code bytes per part. `bash scripts/wasm-size-map.sh [part]` also lists that part's biggest functions.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs
out=$PWD/build/size-map
mkdir -p "$out"
cmake --build build/wasm -j2 >/dev/null
(cd build/wasm && eval "$(sed 's#-o [^ ]*qkeras_wasm.mjs#-o '"$out"'/m.mjs --emit-symbol-map#' CMakeFiles/qkeras_wasm.dir/link.txt)")
(cd build/wasm && find . -name '*.o' | while read -r o; do
  llvm-nm -C --defined-only "$o" 2>/dev/null | awk -v o="$o" '$2 ~ /[TtWw]/ {$1=""; $2=""; sub(/^  /, ""); print $0 "\t" o}'
done) > "$out/objsyms.tsv"
wasm-objdump -x -j Code "$out/m.wasm" | sed -nE 's/.*func\[([0-9]+)\] size=([0-9]+).*/\1\t\2/p' > "$out/sizes.tsv"
wasm-objdump -h "$out/m.wasm" | grep -E ' (Code|Data) '
node scripts/wasm-size-map.mjs "$out/m.mjs.symbols" "$out/sizes.tsv" "$out/objsyms.tsv" "${1:-}"
