#!/usr/bin/env bash
# Deployment test: Debian's nginx, configured with deploy/nginx.conf, in
# front of the release binary, everything on loopback ports. Checks that the
# page, a private room's page and /healthz come through nginx, that a
# WebSocket upgrade through nginx gets a snapshot and counts a like
# (backend/examples/ws_probe.rs), and that a foreign Origin is still refused
# with 403 behind the proxy.
#
# nginx runs in the foreground of a background job (daemon off), with its
# prefix, pid file, logs and temp files in a temporary folder; the script
# stops nginx and the server and deletes that folder however it exits.
# Every wait is bounded; the whole run takes a few seconds once built.
#
#   tests/nginx/run.sh            # installs nginx with apt-get if missing
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
NAME="nginx test" LOGS="server.log error.log access.log"
. "$ROOT/tests/nginx/lib.sh"

if ! command -v nginx >/dev/null && ! [ -x /usr/sbin/nginx ]; then
  say "installing Debian's nginx"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >&2
fi
say "building the release server and the probe"
cargo build --release --locked -q -p backend --bin likewise
cargo build --locked -q -p backend --example ws_probe
BIN="$ROOT/target/release/likewise"
PROBE="$ROOT/target/debug/examples/ws_probe"

# The page: the one embedded in the binary when the frontend was built;
# otherwise (a Rust-only checkout) a stub folder with --dist, so this test
# still checks the proxying without needing Trunk.
DIST_ARGS=()
if ! [ -f "$ROOT/dist/index.html" ]; then
  say "no dist/index.html (frontend not built): serving a stub page with --dist"
  mkdir -p "$TMP/dist"
  printf '<!doctype html><title>Likewise</title><p>stub page for the nginx test\n' >"$TMP/dist/index.html"
  DIST_ARGS=(--dist "$TMP/dist")
fi

# The server on a free port of its choosing; it logs the address.
RUST_LOG=info "$BIN" --addr 127.0.0.1:0 --trust-proxy "${DIST_ARGS[@]}" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
BACKEND=""
for _ in $(seq 100); do
  BACKEND="$(grep -o 'live on http://[0-9.:]*' "$TMP/server.log" | sed 's|live on http://||' || true)"
  [ -n "$BACKEND" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited at startup"
  sleep 0.1
done
[ -n "$BACKEND" ] || fail "the server did not start within 10 s"

PORT="$(free_port)"

# deploy/nginx.conf with the two marked lines pointed at our ports, and no
# IPv6 listener (loopback IPv4 only).
sed -e "s|^\(\s*server \)127\.0\.0\.1:8080;|\1$BACKEND;|" \
    -e "s|^\(\s*listen \)80;|\1127.0.0.1:$PORT;|" \
    -e '/listen \[::\]:80;/d' \
    "$ROOT/deploy/nginx.conf" >"$TMP/site.conf"
grep -q "server $BACKEND;" "$TMP/site.conf" || fail "could not point the upstream at $BACKEND"
grep -q "listen 127.0.0.1:$PORT;" "$TMP/site.conf" || fail "could not set the listen port"
start_nginx
say "nginx on $URL in front of the server on $BACKEND"

# 1. The page, at / and at a private room's address, gzipped on request.
page="$(curl -fsS --max-time 5 "$URL/")" || fail "GET / through nginx"
grep -qi '<title>Likewise' <<<"$page" || fail "GET / did not return the page: ${page:0:200}"
headers="$(curl -fsS --max-time 5 -H 'Accept-Encoding: gzip' -o /dev/null -D - "$URL/r/nginx-room")" ||
  fail "GET /r/nginx-room through nginx"
grep -qi '^content-type: text/html' <<<"$headers" || fail "the room page is not HTML: $headers"
# The wasm as the server precompressed it (docs/page-weight.md, step 35),
# passed through by nginx untouched: brotli when asked for, with Vary.
wasm="$(ls "$ROOT"/dist/*.wasm 2>/dev/null | head -n 1 || true)"
if [ -n "$wasm" ] && [ ${#DIST_ARGS[@]} = 0 ]; then
  name="$(basename "$wasm")"
  headers="$(curl -fsS --max-time 5 -H 'Accept-Encoding: gzip, deflate, br' -o "$TMP/wasm.br" -D - "$URL/$name")" ||
    fail "GET /$name through nginx"
  grep -qi '^content-encoding: br' <<<"$headers" || fail "the wasm was not sent as its brotli variant: $headers"
  grep -qi '^vary:.*accept-encoding' <<<"$headers" || fail "the wasm was sent without Vary: Accept-Encoding: $headers"
  cmp -s "$TMP/wasm.br" "$wasm.br" || fail "nginx changed the brotli bytes of the wasm"
fi
health="$(curl -fsS --max-time 5 "$URL/healthz")" || fail "GET /healthz through nginx"
grep -q '"status":"ok"' <<<"$health" || fail "unhealthy: $health"

# 2. A WebSocket through nginx, from a page of this host: snapshot, then a like.
timeout 30 "$PROBE" --url "ws://127.0.0.1:$PORT/ws/nginx-probe" --origin "$URL" --like tokyo --timeout-secs 15 ||
  fail "WebSocket through nginx"

# 3. A page from elsewhere is refused before the upgrade, proxy or not.
status="$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' \
  -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
  -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Origin: https://evil.example' \
  "$URL/ws/nginx-probe")"
[ "$status" = 403 ] || fail "a foreign origin through nginx got HTTP $status, not 403"

say "ok: page, room page, precompressed wasm and health through nginx; WebSocket snapshot and like through nginx; foreign origin 403"
