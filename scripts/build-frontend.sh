#!/usr/bin/env bash
# Builds the browser app into dist/ with Trunk (release: small wasm,
# wasm-opt -Os), then:
#
# - minifies wasm-bindgen's JS glue with terser (Trunk's own minifier
#   cannot parse its `export default` and leaves it whole), gives the wasm's
#   imports short names in both files (short-imports.mjs), and writes the
#   new files' hashes into index.html's integrity attributes;
# - compresses each wasm, JS and CSS file once, here, instead of once per
#   visitor on the server: NAME.br (brotli, quality 11) and NAME.gz (zopfli:
#   gzip's format, ~5 % smaller than gzip -9). The server sends the variant
#   a browser accepts (backend/src/assets.rs).
#
# docs/page-weight.md, steps 35, 36 and 39.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/setup.sh" "$@"
cd "$ROOT"
trunk build --release --offline >&2
shopt -s nullglob
wasm=(dist/*_bg.wasm)
js=(dist/*.js)
if (( ${#wasm[@]} != 1 || ${#js[@]} != 1 )); then
  echo "build-frontend.sh: expected one wasm and one JS file in dist/" >&2
  exit 1
fi
terser "${js[0]}" --module --compress --mangle --output "${js[0]}.min"
mv "${js[0]}.min" "${js[0]}"
node scripts/short-imports.mjs "${wasm[0]}" "${js[0]}"
node scripts/fix-integrity.mjs dist/index.html "${js[0]}"
node scripts/fix-integrity.mjs dist/index.html "${wasm[0]}"
for f in dist/*.wasm dist/*.js dist/*.css; do
  zopfli --i15 "$f"
  brotli --quality=11 --keep --force "$f"
done
