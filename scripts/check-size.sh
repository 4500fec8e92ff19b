#!/usr/bin/env bash
# The page's weight as a browser downloads it: every wasm, JS and CSS file
# of the release build in dist/ (scripts/build-frontend.sh), gzipped the way
# the server sends them, summed, against a budget. Fails above the budget.
#
#   scripts/check-size.sh [DIST] [BUDGET_KB]
#
# The server gzips responses with tower-http's CompressionLayer at its
# default level, which is gzip's 6; the sizes at -9 are printed beside them
# (about 1 % smaller). KB here are 1000 bytes.
#
# The budget: issue 10 asks for 150 KB. The build is not there yet: the
# cuts so far took it from 521.6 KB to 328.6 KB (the README's "Page
# weight" has each step and what limits it); the budget below is that plus
# a little, so that the page cannot grow unnoticed while the cuts go on. It
# is tight on purpose: a float written with `{}` anywhere on the page
# brings core's float printer back (~6 KB gzipped, README step 20), and
# this check is what notices.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="${1:-$ROOT/dist}"
BUDGET_KB="${2:-${PAGE_BUDGET_KB:-332}}"
shopt -s nullglob
files=("$DIST"/*.wasm "$DIST"/*.js "$DIST"/*.css)
if (( ${#files[@]} == 0 )) || [[ -z "$(ls "$DIST"/*.wasm 2>/dev/null)" ]]; then
    echo "no release build in $DIST: run scripts/build-frontend.sh first" >&2
    exit 2
fi
total=0
total9=0
printf '%-44s %10s %10s %10s\n' file raw gzip-6 gzip-9
for f in "${files[@]}"; do
    raw=$(stat -c %s "$f")
    gz=$(gzip -6 -c "$f" | wc -c)
    gz9=$(gzip -9 -c "$f" | wc -c)
    total=$((total + gz))
    total9=$((total9 + gz9))
    printf '%-44s %10d %10d %10d\n' "$(basename "$f")" "$raw" "$gz" "$gz9"
done
budget=$((BUDGET_KB * 1000))
printf 'page: %d bytes gzipped (%d at -9); budget %d KB\n' "$total" "$total9" "$BUDGET_KB"
if (( total > budget )); then
    echo "the page is over its budget by $((total - budget)) bytes" >&2
    exit 1
fi
