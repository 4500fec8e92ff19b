#!/usr/bin/env bash
# What the page would weigh with less in it: builds the real page with
# parts of the room left out of `Room`'s view (frontend/src/app.rs), each
# exactly as it ships (scripts/build-frontend.sh: Trunk, terser, short
# imports, zopfli), and prints what scripts/check-size.sh measures for
# each. It answers "which page fits in 150 KB?" (docs/page-weight.md,
# "What 150 KB would hold").
#
#   scripts/page-floor/features.sh            (~3 minutes a variant, 4 variants)
#   scripts/page-floor/features.sh --check    (no build: that each variant
#                                              still finds what it leaves out;
#                                              scripts/test.sh runs this)
#
# Each variant leaves out everything the one before it did, and more:
#
#   full          the page as it is
#   core-lesson   the header, the share bar, the map, the region cards, the
#                 strategy controls and the verdict: no guided scenarios,
#                 time controls, history, change log, people, read model,
#                 partition tool, saga, explainer, message list or shortcuts
#   map-cards     the header, the share bar, the map and the region cards
#   header        the header alone, over the same live connection
#
# It works on a scratch git worktree of HEAD (FEATURES_DIR, default
# /tmp/likewise-features) with its own cargo target folder, so the
# checkout's own build and dist/ are left alone. The compiler drops what no
# view reaches, so a left-out component takes its code with it; what the
# remaining components share (the connection, the frame's readers, the
# formatting) stays.
set -euo pipefail
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${FEATURES_DIR:-/tmp/likewise-features}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$DIR-target}"

# Leaves out of app.rs what the variant names; fails when a part is not
# found, so that a change to app.rs cannot make a variant measure the page
# it meant to cut.
#   leave_out SRC DST PART...
leave_out() {
  python3 - "$@" <<'EOF'
import re, sys
src, dst, parts = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(src).read()
for part in parts:
    # A component alone, or wrapped in its own <When …>…</When>.
    pattern = r'<When when=[^>]*>\s*<%s\b[^>]*/>\s*</When>|<%s\b[^>]*/>' % (part, part)
    text, n = re.subn(pattern, '', text)
    if n != 1:
        sys.exit(f'features.sh: <{part}/> found {n} times in app.rs, expected once')
open(dst, 'w').write(text)
EOF
}

LESSON=(ScenarioStrip PeopleBar ReadModelBar ScenarioPanel TrafficList TimePanel ChangeLog
        PartitionTool SagaPanel HistoryPanel Explainer Shortcuts)
MAP_CARDS=("${LESSON[@]}" Controls VerdictPanel)
HEADER=("${MAP_CARDS[@]}" NetworkView RegionGrid ShareBar)

if [[ "${1:-}" == --check ]]; then
  out="$(mktemp)"
  trap 'rm -f "$out"' EXIT
  for parts in LESSON MAP_CARDS HEADER; do
    declare -n list="$parts"
    leave_out "$ROOT/frontend/src/app.rs" "$out" "${list[@]}"
  done
  echo "features.sh: every variant finds what it leaves out of app.rs" >&2
  exit 0
fi

git -C "$ROOT" worktree remove --force "$DIR" 2>/dev/null || rm -rf "$DIR"
git -C "$ROOT" worktree add --detach "$DIR" HEAD >&2
trap 'git -C "$ROOT" worktree remove --force "$DIR"' EXIT
# The tools setup.sh installs (Trunk, wasm-bindgen, wasm-opt, terser…): the
# checkout's, when it has them, instead of a second install.
if [[ -d "$ROOT/.tools" ]]; then ln -s "$ROOT/.tools" "$DIR/.tools"; fi
cp "$DIR/frontend/src/app.rs" "$DIR/app.rs.orig"

results=()
measure() {
  local name="$1"; shift
  leave_out "$DIR/app.rs.orig" "$DIR/frontend/src/app.rs" "$@"
  (cd "$DIR" && scripts/build-frontend.sh >/dev/null 2>&1) || {
    echo "features.sh: the $name variant did not build; run scripts/build-frontend.sh in $DIR to see why" >&2
    exit 1
  }
  local line
  line=$(cd "$DIR" && scripts/check-size.sh dist 100000 | grep '^page:')
  echo "$name: $line" >&2
  results+=("$(printf '%-12s %s' "$name" "$line")")
}

measure full
measure core-lesson "${LESSON[@]}"
measure map-cards "${MAP_CARDS[@]}"
measure header "${HEADER[@]}"

echo
printf '%s\n' "${results[@]}"
