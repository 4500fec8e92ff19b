#!/usr/bin/env bash
# Builds one variant of gen.py as the real page is built (cargo with the
# wasm-release profile, wasm-bindgen, wasm-opt -Os with index.html's
# parameters) and prints its sizes, gzip -6 as check-size.sh printed them
# before step 35.
#   scripts/page-floor/build.sh <variant>        (after gen.py; FLOOR_DIR as there)
set -euo pipefail
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FLOOR_DIR="${FLOOR_DIR:-/tmp/likewise-floor}"
export CARGO_TARGET_DIR="$FLOOR_DIR/target"
v="$1"
cd "$FLOOR_DIR/$v"
crate="floor_${v//-/_}"
nice -n 10 cargo build --offline --target wasm32-unknown-unknown --profile wasm-release
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/$crate.wasm"
rm -rf out
wasm-bindgen --target web --out-dir out "$wasm"
# The real page's --remove-exports list (index.html data-wasm-opt-params), kept to the exports this build has.
all="__wbg_intounderlyingbytesource_free __wbg_intounderlyingsink_free __wbg_intounderlyingsource_free intounderlyingbytesource_autoAllocateChunkSize intounderlyingbytesource_cancel intounderlyingbytesource_pull intounderlyingbytesource_start intounderlyingbytesource_type intounderlyingsink_abort intounderlyingsink_close intounderlyingsink_write intounderlyingsource_cancel intounderlyingsource_pull"
exports=$(node -e 'const fs=require("fs");const m=new WebAssembly.Module(fs.readFileSync(process.argv[1]));console.log(WebAssembly.Module.exports(m).map(e=>e.name).join(" "))' "out/${crate}_bg.wasm")
keep=()
for e in $all; do [[ " $exports " == *" $e "* ]] && keep+=("$e"); done
params=()
if (( ${#keep[@]} )); then params+=("--remove-exports=$(IFS=,; echo "${keep[*]}")"); fi
echo "remove-exports: ${#keep[@]} of 13 present"
"$ROOT/.tools/npm/node_modules/.bin/wasm-opt" -Os --enable-bulk-memory --enable-nontrapping-float-to-int \
  "${params[@]}" --remove-unused-module-elements "out/${crate}_bg.wasm" -o out/final.wasm
raw=$(stat -c %s out/final.wasm)
gz=$(gzip -6 -c out/final.wasm | wc -c)
js=$(gzip -6 -c "out/${crate}.js" | wc -c)
printf 'RESULT %s wasm_raw=%d wasm_gz6=%d js_gz6=%d total=%d\n' "$v" "$raw" "$gz" "$js" $((gz + js)) | tee -a "$FLOOR_DIR/results.txt"
