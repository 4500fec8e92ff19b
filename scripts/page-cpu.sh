#!/usr/bin/env bash
# What one visitor's page load costs the server, and what it downloads:
# the release binary pinned to core 0 serves dist/, and curl on core 1
# fetches index.html, the wasm, the JS and the CSS N times. Three runs in
# one go, so that the figures compare on the same machine at the same time:
#
#   per request  the same files without their .gz/.br variants: the
#                server gzips each response (level 6), as before step 35;
#   gzip         the precompressed NAME.gz (zopfli), to `Accept-Encoding: gzip`;
#   brotli       the precompressed NAME.br, to `gzip, deflate, br`.
#
#   scripts/page-cpu.sh            (after scripts/build-frontend.sh and
#                                   cargo build --release -p backend)
#   N=200 scripts/page-cpu.sh
#
# Loopback only, N × 4 requests per run. docs/page-weight.md, step 35.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${LIKEWISE_BIN:-$ROOT/target/release/likewise}"
DIST="${1:-$ROOT/dist}"
N="${N:-100}"
[[ -x "$BIN" ]] || { echo "no $BIN: cargo build --release -p backend" >&2; exit 2; }
ls "$DIST"/*.wasm.gz >/dev/null 2>&1 || { echo "no precompressed files in $DIST: scripts/build-frontend.sh" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/plain"
(cd "$DIST" && cp index.html *.wasm *.js *.css "$work/plain/")
files="$(cd "$DIST" && ls *.wasm *.js *.css)"
tick="$(getconf CLK_TCK)"

run() { # label dist accept-encoding
  local label=$1 dist=$2 accept=$3 port pid before after bytes=0 b
  mkdir -p "$work/data-$label"
  taskset -c 0 "$BIN" --addr 127.0.0.1:0 --dist "$dist" --data-dir "$work/data-$label" >"$work/log-$label" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    port="$(grep -o 'live on http://127.0.0.1:[0-9]*' "$work/log-$label" | grep -o '[0-9]*$' || true)"
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "the server did not start: $(cat "$work/log-$label")" >&2; kill "$pid"; exit 1; }
  cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
  before="$(cpu)"
  for _ in $(seq "$N"); do
    for f in index.html $files; do
      b="$(taskset -c 1 curl -fs -H "Accept-Encoding: $accept" -o /dev/null -w '%{size_download}' \
        "http://127.0.0.1:$port/$f")"
      bytes=$((bytes + b))
    done
  done
  after="$(cpu)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '%-12s %-20s %14s %16d\n' "$label" "$accept" \
    "$(awk -v t="$((after - before))" -v n="$N" -v hz="$tick" 'BEGIN { printf "%.1f", t * 1000 / hz / n }')" \
    "$((bytes / N))"
}

printf '%-12s %-20s %14s %16s\n' sent Accept-Encoding "CPU ms/load" "bytes/load"
run "per request" "$work/plain" "gzip"
run gzip "$DIST" "gzip"
run brotli "$DIST" "gzip, deflate, br"
