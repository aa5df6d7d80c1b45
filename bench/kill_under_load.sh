#!/usr/bin/env bash
# Load while the server dies: wrk drives GET /customer-event/events/{id} and POST
# /communication-events against a release `bankapi serve --demo` on SQLite; a few seconds
# in, the server is killed with SIGKILL and started again at once. Reports how many
# requests were served and how many failed (socket errors and non-2xx), and checks that
# every event the POSTs were told about exists after the restart.
#
# Usage: bench/kill_under_load.sh    (BENCH_SKIP_BUILD=1 to reuse the release binary)
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/bankapi-bench-target}"
DURATION="${BENCH_DURATION:-10}"
KILL_AFTER="${BENCH_KILL_AFTER:-4}"
[[ "${BENCH_SKIP_BUILD:-0}" == 1 ]] || (cd "$ROOT" && cargo build --release --quiet --bin bankapi)
BIN="$CARGO_TARGET_DIR/release/bankapi"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }

TMP="$(mktemp -d -t bankapi-kill.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
export BANKAPI_DATABASE_URL="sqlite://$TMP/kill.db" BANKAPI_LISTEN="127.0.0.1:$PORT" \
    BANKAPI_PUBLIC_URL="$BASE" BANKAPI_AUTH_HS256_SECRET="kill-bench-secret-0123456789abcdef0123" \
    BANKAPI_RATE_LIMIT_PER_SECOND=0 BANKAPI_DEMO_SECRET_FILE="$TMP/demo.secret" RUST_LOG=warn
PID=""
cleanup() { [[ -n "$PID" ]] && kill -9 "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

start() {
    "$BIN" serve --demo >>"$TMP/server.log" 2>&1 &
    PID=$!
    for _ in $(seq 200); do
        curl -fsS -o /dev/null "$BASE/health/ready" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "server did not start" >&2; cat "$TMP/server.log" >&2; exit 1
}

start
TOKEN="$("$BIN" token --customer-number 1400269)"
export BENCH_TOKEN=$TOKEN
cat >"$TMP/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"customer-number":"1400269","medium":"sms","title":"load"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) created = 0 end
function response(status, headers, body)
  if status == 200 then created = created + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("created") end
  io.write("@@CREATED " .. n .. "\n")
end
LUA

count_events() {
    curl -fsS -H "Authorization: Bearer $TOKEN" \
        "$BASE/customer-event/events?customer-number=1400269&event-kind=communication&page-size=1" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["total-count"])'
}
BEFORE=$(count_events)
wrk -t1 -c8 -d"${DURATION}s" --timeout 2s -H "Authorization: Bearer $TOKEN" \
    "$BASE/customer-event/events/258242" >"$TMP/get.txt" 2>&1 &
GET=$!
wrk -t1 -c8 -d"${DURATION}s" --timeout 2s -s "$TMP/post.lua" \
    "$BASE/customer-event/communication-events" >"$TMP/post.txt" 2>&1 &
POST=$!
sleep "$KILL_AFTER"
kill -9 "$PID"
wait "$PID" 2>/dev/null || true  # "Killed" is the point

T0=$(date +%s.%N)
start
T1=$(date +%s.%N)
wait "$GET" "$POST"

summary() { # $1 label, $2 wrk output
    local requests errors non2xx
    requests=$(awk '/requests in/ { print $1 }' "$2")
    errors=$(grep -Eo 'connect [0-9]+, read [0-9]+, write [0-9]+, timeout [0-9]+' "$2" \
        | grep -Eo '[0-9]+' | paste -sd+ | bc 2>/dev/null || echo 0)
    non2xx=$(awk '/Non-2xx/ { print $NF }' "$2")
    printf '| %s | %s | %s | %s |\n' "$1" "${requests:-0}" "${errors:-0}" "${non2xx:-0}"
}
STORED=$(( $(count_events) - BEFORE ))
CREATED=$(awk '/^@@CREATED/ { print $2 }' "$TMP/post.txt")
echo "# SIGKILL under load ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo
echo "wrk ${DURATION}s, 8 connections each; server killed after ${KILL_AFTER}s and restarted in $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }') s"
echo
echo "| load | requests completed | socket errors (connect/read/write/timeout) | non-2xx |"
echo "|---|---:|---:|---:|"
summary "GET /customer-event/events/258242" "$TMP/get.txt"
summary "POST /customer-event/communication-events" "$TMP/post.txt"
echo
echo "POSTs answered 200: $CREATED; events stored by the run: $STORED (at least as many: a request"
echo "committed just before the kill may have lost its answer, never the other way round)"
if (( STORED < CREATED )); then echo "LOST: an answered event is missing" >&2; exit 1; fi
