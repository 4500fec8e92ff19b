# What the two nginx deployment tests (run.sh, cluster.sh) share: messages,
# a temporary folder and the processes started in it, stopped and deleted
# however the test exits, free loopback ports, and Debian's nginx started
# in the foreground of a background job on a site config derived from
# deploy/nginx.conf. Sourced, not run; every wait is bounded.
#
#   NAME="nginx test" LOGS="server.log error.log" . "$(dirname "$0")/lib.sh"

say() { printf '\033[1;34m==>\033[0m %s: %s\n' "$NAME" "$*" >&2; }
fail() { printf '\033[1;31mFAILED\033[0m %s: %s\n' "$NAME" "$*" >&2; exit 1; }

NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/likewise-nginx.XXXXXX")"
# nginx's workers drop to an unprivileged user when started as root; they
# must be able to reach their temp folders in here.
chmod 0755 "$TMP"
# Every background process the test starts, stopped in cleanup.
PIDS=()

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Bounded: whatever has not stopped after 5 s is killed.
  for _ in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$status" != 0 ]; then
    for log in $LOGS; do
      [ -f "$TMP/$log" ] && { echo "--- $log" >&2; tail -n 20 "$TMP/$log" >&2; }
    done
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT INT TERM

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A free port: random, checked by trying to connect to it.
free_port() {
  for _ in $(seq 20); do
    local candidate=$((20000 + RANDOM % 30000))
    if port_is_free "$candidate"; then echo "$candidate"; return; fi
  done
  fail "no free port found"
}

# Starts nginx on 127.0.0.1:$PORT with the site config $TMP/site.conf and
# waits until it answers /healthz; sets URL.
start_nginx() {
  cat >"$TMP/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/error.log notice;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log $TMP/access.log;
    client_body_temp_path $TMP/client_body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    include $TMP/site.conf;
}
CONF
  timeout 10 "$NGINX" -t -q -p "$TMP" -e "$TMP/error.log" -c "$TMP/nginx.conf" || fail "nginx rejected the config"
  "$NGINX" -p "$TMP" -e "$TMP/error.log" -c "$TMP/nginx.conf" &
  local pid=$!
  PIDS+=("$pid")
  URL="http://127.0.0.1:$PORT"
  for _ in $(seq 100); do
    curl -fsS --max-time 1 -o /dev/null "$URL/healthz" 2>/dev/null && return
    kill -0 "$pid" 2>/dev/null || fail "nginx exited at startup"
    sleep 0.1
  done
  fail "nginx did not answer /healthz within 10 s"
}
