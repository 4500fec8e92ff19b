#!/usr/bin/env bash
# Builds the browser app into dist/ with Trunk (release: small wasm,
# wasm-opt -Os), then compresses each wasm, JS and CSS file once, here,
# instead of once per visitor on the server: NAME.br (brotli, quality 11)
# and NAME.gz (zopfli: gzip's format, ~5 % smaller than gzip -9). The
# server sends the variant a browser accepts (backend/src/assets.rs);
# README, "Page weight", step 35.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/setup.sh" "$@"
cd "$ROOT"
trunk build --release --offline >&2
shopt -s nullglob
for f in dist/*.wasm dist/*.js dist/*.css; do
  zopfli --i15 "$f"
  brotli --quality=11 --keep --force "$f"
done
