#!/usr/bin/env bash
# The page's weight as a browser downloads it: every wasm, JS and CSS file
# of the release build in dist/ (scripts/build-frontend.sh), gzipped as the
# server sends them, summed, against a budget. Fails above the budget, and
# when a precompressed variant is missing or is not its file.
#
#   scripts/check-size.sh [DIST] [BUDGET_KB]
#
# The server sends each file's precompressed variant (backend/src/assets.rs):
# NAME.gz, gzip's format written by zopfli, to a browser that accepts gzip,
# and NAME.br, brotli, to one that accepts brotli (every current browser, on
# https). The budget is on the gzip that is sent, since the issue's 150 KB
# is "gzipped"; brotli's sum is printed beside it, and so is `gzip -6`, the
# level the server used when it compressed per request (the figures of
# docs/page-weight.md, steps 1–34). KB here are 1000 bytes.
#
# The budget: issue 10 asks for 150 KB. The build is not there:
# docs/page-weight.md has each cut, what limits it, and what a 150 KB page
# would hold (measured: the live connection and ~30 KB of view). The
# budget below is where it stands plus a little, so that the page cannot
# grow unnoticed. It is tight on purpose: a float written with `{}`
# anywhere on the page brings core's float printer back (~6 KB gzipped,
# docs/page-weight.md, step 20), and this check is what notices.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="${1:-$ROOT/dist}"
BUDGET_KB="${2:-${PAGE_BUDGET_KB:-286}}"
shopt -s nullglob
files=("$DIST"/*.wasm "$DIST"/*.js "$DIST"/*.css)
if (( ${#files[@]} == 0 )) || [[ -z "$(ls "$DIST"/*.wasm 2>/dev/null)" ]]; then
    echo "no release build in $DIST: run scripts/build-frontend.sh first" >&2
    exit 2
fi
total=0
total_br=0
total6=0
printf '%-44s %10s %10s %10s %10s\n' file raw "gzip sent" brotli "gzip -6"
for f in "${files[@]}"; do
    for variant in "$f.gz" "$f.br"; do
        if [[ ! -f "$variant" ]]; then
            echo "$variant is missing: build with scripts/build-frontend.sh, which writes it" >&2
            exit 2
        fi
    done
    # A stale variant would be sent instead of the file: it must be the file.
    if ! gzip -dc "$f.gz" | cmp -s - "$f" || ! brotli -dc "$f.br" | cmp -s - "$f"; then
        echo "$f.gz or $f.br is not $f compressed (stale?): run scripts/build-frontend.sh" >&2
        exit 1
    fi
    raw=$(stat -c %s "$f")
    gz=$(stat -c %s "$f.gz")
    br=$(stat -c %s "$f.br")
    gz6=$(gzip -6 -c "$f" | wc -c)
    total=$((total + gz))
    total_br=$((total_br + br))
    total6=$((total6 + gz6))
    printf '%-44s %10d %10d %10d %10d\n' "$(basename "$f")" "$raw" "$gz" "$br" "$gz6"
done
budget=$((BUDGET_KB * 1000))
printf 'page: %d bytes gzipped as sent (%d as brotli; %d at gzip -6); budget %d KB\n' \
    "$total" "$total_br" "$total6" "$BUDGET_KB"
if (( total > budget )); then
    echo "the page is over its budget by $((total - budget)) bytes" >&2
    exit 1
fi
