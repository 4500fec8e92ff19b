#!/usr/bin/env bash
# Installs what is missing and runs every test: Rust unit, property and
# integration tests, then the browser tests against the real build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/setup.sh" --browser
cd "$ROOT"

echo "== Lint: rustfmt, clippy (warnings are errors)" >&2
cargo fmt --all -- --check
cargo clippy --locked -p shared -p backend --all-targets -- -D warnings
cargo clippy --locked -p frontend --target wasm32-unknown-unknown -- -D warnings

echo "== Rust: shared, backend, frontend helpers (unit, property, integration incl. two instances on a real redis-server, doc)" >&2
cargo test --workspace --locked

echo "== Build: frontend (trunk --release) and server (release)" >&2
"$ROOT/scripts/build-frontend.sh"
"$ROOT/scripts/check-size.sh" "$ROOT/dist"
"$ROOT/scripts/page-floor/features.sh" --check
cargo build --release --locked -p backend --bin likewise

echo "== Deployment: Debian nginx in front of the release binary, then of two on Redis" >&2
"$ROOT/tests/nginx/run.sh"
"$ROOT/tests/nginx/cluster.sh"

echo "== Browser: real build, real server, Debian chromium" >&2
LIKEWISE_BIN="$ROOT/target/release/likewise" LIKEWISE_DIST="$ROOT/dist" \
  node --test --test-concurrency=1 "$ROOT/tests/browser/"
