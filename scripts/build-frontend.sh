#!/usr/bin/env bash
# Builds the browser app into dist/ with Trunk (release: small wasm, wasm-opt -Oz).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/setup.sh" "$@"
cd "$ROOT"
trunk build --release --offline >&2
