#!/usr/bin/env bash
# The load report (issue 10): builds the release binaries, runs `likewise`
# pinned to core 0 and the load generator pinned to core 1, then the
# kernel's floor for the same fan-out (bare writes of a frame's size to as
# many sockets), then the naive baseline (one message per like per viewer)
# the same way, and prints the reports. Loopback only; every run bounded in connections and time.
#
#   scripts/load.sh                                   # 2 000 viewers, 100 likers, 20 s
#   VIEWERS=10000 LIKERS=200 LIKE_INTERVAL_MS=200 SECONDS=20 scripts/load.sh
#
# Parameters (environment): VIEWERS (2000), LIKERS (100), SECONDS (20),
# LIKE_INTERVAL_MS (200), CONNECT_CONCURRENCY (256), PORT (18080),
# NAIVE_PORT (18081), NAIVE=0 to skip the baseline, FLOOR=0 to skip the
# kernel's floor (sendfloor), FLOOR_PORT (18082), SERVER_CORE (0),
# LOADGEN_CORE (1), PERF=0 to skip sampling the server with perf,
# SERVER_ARGS (more flags for likewise, e.g. `--keyframe-ms 0` to send
# every frame whole, as before delta frames).
#
# Every connection comes from 127.0.0.1, so the server's per-address limits
# are lifted, and each process needs a file descriptor per connection: the
# script raises the open-files limit (`ulimit -n`) to VIEWERS + LIKERS + 1000,
# within the hard limit, and says so.
set -euo pipefail
# `SECONDS` is bash's own counter of seconds since the script started: a
# value from the environment starts it there, so read it first thing (0 when
# the caller gave none).
SECONDS_="$SECONDS"
(( SECONDS_ >= 1 )) || SECONDS_=20
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VIEWERS="${VIEWERS:-2000}"
LIKERS="${LIKERS:-100}"
LIKE_INTERVAL_MS="${LIKE_INTERVAL_MS:-200}"
CONNECT_CONCURRENCY="${CONNECT_CONCURRENCY:-256}"
PORT="${PORT:-18080}"
NAIVE_PORT="${NAIVE_PORT:-18081}"
NAIVE="${NAIVE:-1}"
FLOOR="${FLOOR:-1}"
FLOOR_PORT="${FLOOR_PORT:-18082}"
SERVER_CORE="${SERVER_CORE:-0}"
LOADGEN_CORE="${LOADGEN_CORE:-1}"

if (( VIEWERS + LIKERS >= 12000 )); then echo "bounded: fewer than 12 000 connections" >&2; exit 2; fi
if (( SECONDS_ < 1 || SECONDS_ > 300 )); then echo "bounded: SECONDS from 1 to 300" >&2; exit 2; fi

need=$(( VIEWERS + LIKERS + 1000 ))
hard="$(ulimit -Hn)"
if [[ "$hard" != unlimited ]] && (( hard < need )); then
    echo "the open-files hard limit ($hard) is below the $need this run needs; lower VIEWERS" >&2
    exit 2
fi
if (( $(ulimit -n) < need )); then
    echo "raising the open-files limit (ulimit -n) from $(ulimit -n) to $need"
    ulimit -n "$need"
fi

echo "building release binaries (likewise, loadgen, sendfloor)…"
cargo build --release -q -p backend --bin likewise --example loadgen --example sendfloor
BIN="$ROOT/target/release"
[[ -n "${CARGO_TARGET_DIR:-}" ]] && BIN="$CARGO_TARGET_DIR/release"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

wait_for_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}

loadgen() {
    taskset -c "$LOADGEN_CORE" "$BIN/examples/loadgen" \
        --viewers "$VIEWERS" --likers "$LIKERS" --seconds "$SECONDS_" \
        --like-interval-ms "$LIKE_INTERVAL_MS" --connect-concurrency "$CONNECT_CONCURRENCY" "$@"
}

echo "likewise on core $SERVER_CORE, load generator on core $LOADGEN_CORE:" \
     "$VIEWERS viewers, $LIKERS likers every $LIKE_INTERVAL_MS ms, ${SECONDS_} s window"
echo
taskset -c "$SERVER_CORE" "$BIN/likewise" --addr "127.0.0.1:$PORT" --data-dir "$WORK/data" \
    --max-connections-per-ip 100000 --likes-per-second-per-ip 0 --new-rooms-per-minute 0 \
    --max-viewers-per-room 100000 ${SERVER_ARGS:-} >"$WORK/likewise.log" 2>&1 &
SERVER_PID=$!
wait_for_port "$PORT"
# With a working perf (PERF=0 skips it), the load generator samples the
# server's stacks over the window and the report says where its core went:
# our code, the kernel's send path, and the part of each send that on
# loopback is the receiver's work (scripts/perf-split.py).
perf_args=()
if [[ "${PERF:-1}" == 1 ]] && command -v perf >/dev/null && perf record -q -o /dev/null -- true >/dev/null 2>&1; then
    perf_args=(--perf-out "$WORK/perf.data")
fi
loadgen --url "ws://127.0.0.1:$PORT" --server-pid "$SERVER_PID" "${perf_args[@]}" | tee "$WORK/likewise.md"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
if [[ -s "$WORK/perf.data" ]]; then
    us="$(sed -n 's/^| server CPU per frame per viewer | \([0-9.]*\) µs |$/\1/p' "$WORK/likewise.md")"
    echo "### where the server's core went (perf, the window's first 10 s)"
    echo
    perf script -i "$WORK/perf.data" 2>/dev/null | "$ROOT/scripts/perf-split.py" ${us:+--us-per-frame "$us" --viewers "$VIEWERS"}
    echo
fi

# The floor: the kernel's own cost of one write of a frame's size to one of
# as many loopback sockets, with nothing of ours in between (see
# backend/examples/sendfloor.rs). The server's "CPU per frame per viewer"
# above cannot go below it on this machine.
if [[ "$FLOOR" == 1 ]]; then
    bytes="$(sed -n 's/^| bytes per frame sent (mean) | \([0-9]*\) B |$/\1/p' "$WORK/likewise.md")"
    echo "### floor: bare loopback writes of ${bytes:-4000} B to $VIEWERS sockets (no tokio, no WebSocket)"
    echo
    taskset -c "$LOADGEN_CORE" "$BIN/examples/sendfloor" --read "127.0.0.1:$FLOOR_PORT" --sockets "$VIEWERS" &
    READER_PID=$!
    taskset -c "$SERVER_CORE" "$BIN/examples/sendfloor" --write "127.0.0.1:$FLOOR_PORT" --sockets "$VIEWERS" \
        --bytes "${bytes:-4000}" --seconds "$(( SECONDS_ < 10 ? SECONDS_ : 10 ))"
    kill "$READER_PID" 2>/dev/null || true
    wait "$READER_PID" 2>/dev/null || true
    echo
fi

if [[ "$NAIVE" == 1 ]]; then
    taskset -c "$SERVER_CORE" "$BIN/examples/loadgen" --serve-naive "127.0.0.1:$NAIVE_PORT" >"$WORK/naive.log" 2>&1 &
    SERVER_PID=$!
    wait_for_port "$NAIVE_PORT"
    loadgen --url "ws://127.0.0.1:$NAIVE_PORT" --server-pid "$SERVER_PID" --naive
fi
