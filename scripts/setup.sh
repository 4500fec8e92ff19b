#!/usr/bin/env bash
# Installs whatever Likewise needs and is missing, then puts it on PATH.
# Safe to run again: every step checks first. Source it (`. scripts/setup.sh`)
# to keep the PATH; `--browser` also installs what the browser tests need.
#
#   Rust target wasm32-unknown-unknown, rustfmt, clippy   (rustup)
#   trunk 0.21.14                        (cargo install; ~8 min the first time)
#   wasm-bindgen-cli = Cargo.lock's wasm-bindgen version (cargo install; ~3 min)
#   wasm-opt from npm's binaryen         (Debian's binaryen is too old)
#   terser from npm                      (minifies wasm-bindgen's JS glue)
#   Debian zopfli and brotli             (build-frontend.sh precompresses dist/)
#   Debian redis-server                  (backend/tests/cluster.rs starts one)
#   --browser: Debian chromium + chromium-driver, nginx, npm playwright-core

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0
TERSER_VERSION=5.51.4
WANT_BROWSER=0
for arg in "$@"; do
  case "$arg" in
    --browser) WANT_BROWSER=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$TOOLS/npm/node_modules/.bin:$PATH"

command -v cargo >/dev/null || { echo "setup.sh: cargo not found; install Rust with rustup first" >&2; exit 1; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    say "adding Rust component $component"
    rustup component add "$component"
  fi
done

if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (first time only, several minutes)"
  cargo install "trunk@$TRUNK_VERSION" --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen library exactly.
WBG_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
if [ -z "$WBG_VERSION" ]; then
  echo "setup.sh: no wasm-bindgen version in Cargo.lock" >&2; exit 1
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WBG_VERSION"; then
  say "installing wasm-bindgen-cli $WBG_VERSION (first time only, a few minutes)"
  # --locked can fail when the registry lacks a pinned transitive version.
  cargo install "wasm-bindgen-cli@$WBG_VERSION" --locked || cargo install "wasm-bindgen-cli@$WBG_VERSION"
fi

if ! command -v npm >/dev/null; then
  say "installing Node.js and npm"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >&2
fi

if ! [ -x "$TOOLS/npm/node_modules/.bin/wasm-opt" ]; then
  say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
  mkdir -p "$TOOLS/npm"
  npm install --prefix "$TOOLS/npm" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION" >&2
fi

# Trunk's JS minifier cannot parse wasm-bindgen's glue (`export default`)
# and leaves it as it is; build-frontend.sh minifies it with terser.
if ! [ -x "$TOOLS/npm/node_modules/.bin/terser" ]; then
  say "installing terser (npm terser@$TERSER_VERSION)"
  mkdir -p "$TOOLS/npm"
  npm install --prefix "$TOOLS/npm" --no-audit --no-fund --silent "terser@$TERSER_VERSION" >&2
fi

# The release build's files are compressed once, at build time
# (scripts/build-frontend.sh): gzip's format by zopfli, and brotli.
if ! command -v zopfli >/dev/null || ! command -v brotli >/dev/null; then
  say "installing Debian zopfli and brotli (the page's files, compressed once at build time)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq zopfli brotli >&2
fi

# The cluster tests (`--redis`, backend/tests/cluster.rs) start their own
# redis-server on a loopback port; they skip, saying so, without one.
if ! command -v redis-server >/dev/null && ! [ -x /usr/bin/redis-server ]; then
  say "installing Debian redis-server (cluster tests)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >&2
fi

if [ "$WANT_BROWSER" = 1 ]; then
  if ! [ -x /usr/bin/chromium ]; then
    say "installing Debian chromium + chromium-driver"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >&2
  fi
  if ! command -v nginx >/dev/null && ! [ -x /usr/sbin/nginx ]; then
    say "installing Debian nginx (deployment test)"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >&2
  fi
  if ! [ -d "$ROOT/tests/browser/node_modules/playwright-core" ] || ! [ -d "$ROOT/tests/browser/node_modules/axe-core" ]; then
    say "installing playwright-core (driving Debian's chromium; no browser download) and axe-core"
    (cd "$ROOT/tests/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent >&2)
  fi
fi
