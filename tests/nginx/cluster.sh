#!/usr/bin/env bash
# Deployment test for several instances: Debian's redis-server, two release
# binaries with --redis, and Debian's nginx with deploy/nginx.conf's upstream
# listing both, everything on loopback ports. Checks that WebSockets through
# nginx — spread over both instances — see and count likes in one room, and
# that after SIGKILL of one instance, new connections through nginx still
# reach the room (nginx skips the dead instance, the survivor takes the
# room's lease over) with every like counted before the kill still counted.
#
# Everything runs in the foreground of background jobs with its files in a
# temporary folder, stopped and deleted however the script exits; every
# wait is bounded. Needs the release binary (tests/nginx/run.sh builds it).
#
#   tests/nginx/cluster.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
NAME="nginx cluster test" LOGS="a.log b.log redis.log error.log"
. "$ROOT/tests/nginx/lib.sh"

[ -x "$NGINX" ] || fail "nginx is not installed (scripts/setup.sh --browser installs it)"
command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/setup.sh installs it)"

say "building the release server and the probe"
cargo build --release --locked -q -p backend --bin likewise
cargo build --locked -q -p backend --example ws_probe
BIN="$ROOT/target/release/likewise"
PROBE="$ROOT/target/debug/examples/ws_probe"

REDIS_PORT="$(free_port)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break
  sleep 0.1
done

mkdir -p "$TMP/dist"
printf '<!doctype html><title>Likewise</title><p>stub page for the cluster test\n' >"$TMP/dist/index.html"
start_instance() { # name port
  RUST_LOG=info "$BIN" --addr "127.0.0.1:$2" --trust-proxy --dist "$TMP/dist" \
    --redis "redis://127.0.0.1:$REDIS_PORT" >"$TMP/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    grep -q 'live on' "$TMP/$1.log" 2>/dev/null && return
    sleep 0.1
  done
  fail "instance $1 did not start within 10 s"
}
PORT_A="$(free_port)"; start_instance a "$PORT_A"; PID_A="${PIDS[-1]}"
PORT_B="$(free_port)"; start_instance b "$PORT_B"; PID_B="${PIDS[-1]}"

# deploy/nginx.conf with its upstream listing both instances.
PORT="$(free_port)"
sed -e "s|^\(\s*\)server 127\.0\.0\.1:8080;.*|\1server 127.0.0.1:$PORT_A;\n\1server 127.0.0.1:$PORT_B;|" \
    -e "s|^\(\s*listen \)80;|\1127.0.0.1:$PORT;|" \
    -e '/listen \[::\]:80;/d' \
    "$ROOT/deploy/nginx.conf" >"$TMP/site.conf"
grep -q "server 127.0.0.1:$PORT_B;" "$TMP/site.conf" || fail "could not list both instances in the upstream"
start_nginx
say "nginx on $URL in front of instances on $PORT_A and $PORT_B, Redis on $REDIS_PORT"

probe() { # likes once through nginx; prints the room's total after it
  local out
  out="$(timeout 40 "$PROBE" --url "ws://127.0.0.1:$PORT/ws/cluster-room" --origin "$URL" --like tokyo \
    --timeout-secs 30)" || fail "$1"
  grep -o 'total [0-9]*' <<<"$out" | grep -o '[0-9]*'
}
# Round robin: four connections land on both instances; each like counts.
for i in 1 2 3 4; do total="$(probe "like $i through nginx")"; done
[ "$total" = 4 ] || fail "4 likes through nginx, the room counts $total"
say "four likes through nginx over both instances, all counted"

# The owner is whichever instance nginx gave the room's first connection.
if grep -q 'took the room' "$TMP/a.log"; then OWNER=a; OWNER_PID="$PID_A"; SURVIVOR=b
elif grep -q 'took the room' "$TMP/b.log"; then OWNER=b; OWNER_PID="$PID_B"; SURVIVOR=a
else fail "no instance says it took the room's lease"; fi
kill -KILL "$OWNER_PID"
wait "$OWNER_PID" 2>/dev/null || true
say "SIGKILL of instance $OWNER, the room's owner: the next connections must reach the room through $SURVIVOR"
for i in 5 6 7 8; do total="$(probe "like $i through nginx after the kill")"; done
[ "$total" = 8 ] || fail "8 likes through nginx (4 before the kill), the room counts $total"
grep -q 'took the room' "$TMP/$SURVIVOR.log" || fail "instance $SURVIVOR did not take the room over"
say "ok: likes through nginx over two instances, all 8 counted across the owner's SIGKILL"
