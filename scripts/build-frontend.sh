#!/usr/bin/env bash
# Builds the browser app into dist/ with Trunk (release: small wasm,
# wasm-opt -Os), then:
#
# - minifies wasm-bindgen's JS glue with terser (Trunk's own minifier
#   cannot parse its `export default` and leaves it whole) and writes the
#   new file's hash into index.html's integrity attribute;
# - compresses each wasm, JS and CSS file once, here, instead of once per
#   visitor on the server: NAME.br (brotli, quality 11) and NAME.gz (zopfli:
#   gzip's format, ~5 % smaller than gzip -9). The server sends the variant
#   a browser accepts (backend/src/assets.rs).
#
# README, "Page weight", steps 35 and 36.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/setup.sh" "$@"
cd "$ROOT"
trunk build --release --offline >&2
shopt -s nullglob
for f in dist/*.js; do
  terser "$f" --module --compress --mangle --output "$f.min"
  mv "$f.min" "$f"
  node scripts/fix-integrity.mjs dist/index.html "$f"
done
for f in dist/*.wasm dist/*.js dist/*.css; do
  zopfli --i15 "$f"
  brotli --quality=11 --keep --force "$f"
done
