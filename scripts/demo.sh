#!/usr/bin/env bash
# Installs what is missing, builds everything and runs the demo on
# http://127.0.0.1:8080 (override with LIKEWISE_ADDR=host:port).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/build-frontend.sh"
cd "$ROOT"
exec cargo run --release -p backend --bin likewise -- --dist "$ROOT/dist" "$@"
