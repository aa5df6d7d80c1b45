#!/usr/bin/env bash
# Load benchmark of the Customer Event API on SQLite and PostgreSQL. See bench/README.md.
#
# Usage: bench/run.sh            (from anywhere; writes bench/results/latest.md)
#
# Knobs (environment):
#   CARGO_TARGET_DIR   release build directory      (default /tmp/bankapi-bench-target)
#   BENCH_DURATION     wrk duration per endpoint     (default 10s)
#   BENCH_THREADS      wrk threads                   (default 2)
#   BENCH_CONNECTIONS  wrk connections               (default 32)
#   BENCH_BIG_EVENTS   security events of the large customer (default 1000000; a tenth
#                      as many communication events come between them)
#   BENCH_BIG_DURATION wrk duration per large-customer page (default 5s)
#   BENCH_PAIRS        interleaved /health/live + POST pairs after the load runs (default 3;
#                      0 skips them): the POST's share judged on their median, since one
#                      run each drifts by a fifth on a shared machine
#   BENCH_PAIR_DURATION wrk duration of each half of a pair (default 5s)
#   BENCH_BACKENDS     "sqlite postgres" or a subset (default both)
#   BENCH_PG_URL       PostgreSQL server URL         (default postgres://postgres@127.0.0.1:5432)
#   BENCH_PG_DB        scratch database, dropped at the end (default bankapi_bench)
#   BENCH_ORDERS       orders in the order benchmark (default 20000)
#   BENCH_SKIP_BUILD=1 use the existing binary in $CARGO_TARGET_DIR/release
#   BENCH_PARTS        "events orders" or one of them (default both): the Event API's load
#                      and large customer, and the order engine and feed benches
set -Eeuo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/bankapi-bench-target}"
DURATION="${BENCH_DURATION:-10s}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
BIG_EVENTS="${BENCH_BIG_EVENTS:-1000000}"
BIG_OTHER=$(( BIG_EVENTS / 10 ))
BIG_DURATION="${BENCH_BIG_DURATION:-5s}"
PAIRS="${BENCH_PAIRS:-3}"
PAIR_DURATION="${BENCH_PAIR_DURATION:-5s}"
BIG_CONNECTIONS=4
DEEP_PAGE_REQUESTS=10
BACKENDS="${BENCH_BACKENDS:-sqlite postgres}"
PARTS="${BENCH_PARTS:-events orders}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_DB="${BENCH_PG_DB:-bankapi_bench}"
BIG_CUSTOMER=BIG0000001
GUIDE_CUSTOMER=1400269
GUIDE_EVENT=258242
SECRET="bench-only-hs256-secret-0123456789abcdef0123456789"
TARGET_GET_BY_ID=40
TARGET_POST=25
TARGET_LIST=30
DEEP_PAGE=50000
MID_PAGE=25000

RESULTS_DIR="$BENCH_DIR/results"
RESULT_MD="$RESULTS_DIR/latest.md"
RAW_LOG="$RESULTS_DIR/latest-raw.txt"
TMP="$(mktemp -d -t bankapi-bench.XXXXXX)"
SERVER_PID=""
PG_CREATED=0

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

pg_admin() { psql "$PG_URL/postgres" -v ON_ERROR_STOP=1 -qAt "$@"; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_server
    if [[ "$PG_CREATED" == 1 ]]; then
        pg_admin -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 \
            || log "could not drop database $PG_DB"
    fi
    rm -rf "$TMP"
    if [[ $rc -ne 0 ]]; then
        log "failed (exit $rc); raw output so far in $RAW_LOG"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log "command failed (line $LINENO): $BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- prerequisites
as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root to run: $*"
    fi
}

if ! command -v wrk >/dev/null; then
    log "installing wrk from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y wrk >/dev/null 2>&1 \
        || { as_root apt-get update >/dev/null && as_root apt-get install -y wrk >/dev/null; } \
        || die "could not install wrk"
fi
command -v curl >/dev/null || die "curl is needed"

mkdir -p "$RESULTS_DIR"
: >"$RAW_LOG"

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "building the release binary (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
    (cd "$ROOT" && cargo build --release --quiet --bin bankapi)
fi
BIN="$CARGO_TARGET_DIR/release/bankapi"
[[ -x "$BIN" ]] || die "no binary at $BIN"

# ---------------------------------------------------------------- helpers
free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

# Environment of both the server and `bankapi token`: set_env URL PORT [extra VAR=value ...].
DB_URL=""
PORT=""
BASE=""
BANKAPI_ENV=()
set_env() {
    DB_URL=$1
    PORT=$2
    BASE="http://127.0.0.1:$PORT"
    shift 2
    BANKAPI_ENV=(
        BANKAPI_DATABASE_URL="$DB_URL"
        BANKAPI_LISTEN="127.0.0.1:$PORT"
        BANKAPI_PUBLIC_URL="$BASE"
        BANKAPI_AUTH_HS256_SECRET="$SECRET"
        BANKAPI_DEMO_SECRET_FILE="$TMP/demo.secret"
        RUST_LOG=warn
        # wrk sends everything with one token: the bench measures capacity, not a quota.
        BANKAPI_RATE_LIMIT_PER_SECOND=0
        "$@"
    )
}
bankapi() { env "${BANKAPI_ENV[@]}" "$BIN" "$@"; }

# Starts `bankapi serve ARGS` in the background (a simple command, so $! is the server
# itself) and waits for /health/live. Returns 1 if the server exits during startup.
start_server() { # $1 log file, rest: serve arguments
    local logfile=$1
    shift
    if curl -fsS -o /dev/null --max-time 1 "$BASE/health/live" 2>/dev/null; then
        die "something already answers on $BASE"
    fi
    env "${BANKAPI_ENV[@]}" "$BIN" serve "$@" >"$logfile" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 600); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null || true
            SERVER_PID=""
            return 1
        fi
        if curl -fsS -o /dev/null --max-time 1 "$BASE/health/live" 2>/dev/null; then
            sleep 0.2
            kill -0 "$SERVER_PID" 2>/dev/null || { SERVER_PID=""; return 1; }
            return 0
        fi
        sleep 0.1
    done
    cat "$logfile" >&2
    die "server did not answer /health/live within 60 s"
}

start_server_or_die() { # as start_server
    start_server "$@" || { tail -n 40 "$1" >&2; die "server exited during startup (log above)"; }
}

server_mem_kib() { # $1: VmHWM or VmRSS
    awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"
}

# Asserts that one request answers with the expected status; prints the body to $TMP/check.
check() { # $1 expected status, rest: curl arguments
    local want=$1 got
    shift
    got=$(curl -sS -o "$TMP/check" -w '%{http_code}' --max-time 30 "$@")
    if [[ "$got" != "$want" ]]; then
        log "expected $want, got $got from: curl $*"
        head -c 1000 "$TMP/check" >&2 || true
        echo >&2
        die "sanity check failed"
    fi
}

# Runs wrk; leaves the parsed figures in the W_* variables.
run_wrk() { # $1 label, $2 threads, $3 connections, $4 duration, $5 script, rest: wrk args
    local label=$1 threads=$2 conns=$3 dur=$4 script=$5 out line
    shift 5
    log "wrk $label (-t$threads -c$conns -d$dur)"
    out=$(BENCH_TOKEN="$TOKEN_FOR_WRK" wrk -t"$threads" -c"$conns" -d"$dur" --latency --timeout 10s \
        -s "$script" "$@")
    printf '===== %s\n%s\n\n' "$label" "$out" >>"$RAW_LOG"
    line=$(grep '^@@BENCH ' <<<"$out") || die "no @@BENCH line from wrk for $label"
    W_RPS=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")
    W_P50=$(sed -E 's/.* p50_us=([0-9]+).*/\1/' <<<"$line")
    W_P99=$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<<"$line")
    W_REQ=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$line")
    W_NON2XX=$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<<"$line")
    W_SOCKERR=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /_err=/) { split($i, a, "="); s += a[2] } } END { print s + 0 }' <<<"$line")
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f", 100 * a / b; else print "n/a" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# Rows of the result tables, appended per backend.
LOAD_ROWS=""
ORDER_ROWS=""
BIG_ROWS=""
MEM_ROWS=""
DRAIN_ROWS=""
REMOTE_ROWS=""
FEED_ROWS=""
STANDING_ROWS=""
PROCS_ROWS=""
PAIR_ROWS=""
NOTES=""

add_load_row() { # backend endpoint target_pct health_rps
    local backend=$1 endpoint=$2 target=$3 health=$4 share verdict="-"
    share=$(pct "$W_RPS" "$health")
    if [[ -n "$target" ]]; then
        if awk -v s="$W_RPS" -v h="$health" -v t="$target" 'BEGIN { exit !(100 * s / h >= t) }'; then
            verdict="ok (>= $target%)"
        else
            verdict="MISSED (< $target%)"
        fi
    fi
    [[ "$endpoint" == "GET /health/live" ]] && share="100"
    LOAD_ROWS+="| $backend | \`$endpoint\` | $(printf '%.0f' "$W_RPS") | $(ms "$W_P50") | $(ms "$W_P99") | $share% | $verdict | $W_REQ | $W_NON2XX / $W_SOCKERR |"$'\n'
}

# BENCH_PAIRS rounds of /health/live then the event POST, each round's POST as a share of
# its own health figure; the median share is judged against the target.
run_pairs() { # $1 backend
    local backend=$1 round health shares="" median verdict
    [[ "$PAIRS" -gt 0 ]] || return 0
    for round in $(seq "$PAIRS"); do
        run_wrk "$backend pair $round /health/live" "$THREADS" "$CONNECTIONS" "$PAIR_DURATION" \
            "$BENCH_DIR/report.lua" "$BASE/health/live"
        health=$W_RPS
        run_wrk "$backend pair $round POST" "$THREADS" "$CONNECTIONS" "$PAIR_DURATION" \
            "$BENCH_DIR/post_communication_event.lua" "$BASE/customer-event/communication-events"
        shares+="$(awk -v p="$W_RPS" -v h="$health" 'BEGIN { printf "%.1f", 100 * p / h }') "
        PAIR_ROWS+="| $backend | $round | $(printf '%.0f' "$health") | $(printf '%.0f' "$W_RPS") | $(pct "$W_RPS" "$health")% |"$'\n'
    done
    median=$(tr ' ' '\n' <<<"$shares" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END {
        printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    if awk -v m="$median" -v t="$TARGET_POST" 'BEGIN { exit !(m >= t) }'; then
        verdict="ok (>= $TARGET_POST%)"
    else
        verdict="MISSED (< $TARGET_POST%)"
    fi
    PAIR_ROWS+="| $backend | median | | | **$median%** $verdict |"$'\n'
}

# Median and p99 of the timings (seconds, one per line) in $1, in ms.
median_p99() {
    sort -g "$1" | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        i = int(0.99 * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR
        printf "%.2f %.2f\n", m * 1000, v[i] * 1000 }'
}

# ---------------------------------------------------------------- bulk insert
bulk_insert_sqlite() { # $1 database file
    local sql="
PRAGMA busy_timeout = 30000;
BEGIN IMMEDIATE;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $BIG_EVENTS)
INSERT INTO events (customer_number, event_kind, created_at, description, event_data_xml)
SELECT '$BIG_CUSTOMER', 'SecurityEvent',
       1577836800000000 + i * 1000000,            -- 2020-01-01T00:00:00Z + i seconds, in microseconds
       'bench login ' || i,
       '<customer-login><user-id>' || i || '</user-id><login-type>password</login-type><channel>web</channel></customer-login>'
FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $BIG_OTHER)
INSERT INTO events (customer_number, event_kind, created_at, description, event_data_xml)
SELECT '$BIG_CUSTOMER', 'CommunicationEvent',
       1577836800000000 + i * 10000000 + 500000,  -- every tenth second and a half
       'bench note ' || i,
       '<communication><title>note ' || i || '</title><medium>Mail</medium></communication>'
FROM s;
INSERT INTO customer_event_counts (customer_number, event_kind, event_count)
SELECT customer_number, event_kind, COUNT(*) FROM events WHERE customer_number = '$BIG_CUSTOMER'
GROUP BY customer_number, event_kind
ON CONFLICT (customer_number, event_kind) DO UPDATE SET event_count = excluded.event_count;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);"
    if command -v sqlite3 >/dev/null; then
        sqlite3 "$1" <<<"$sql" >/dev/null
    else
        python3 - "$1" "$sql" <<'PY'
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.executescript(sys.argv[2])
conn.close()
PY
    fi
}

bulk_insert_pg() { # $1 database URL
    psql "$1" -v ON_ERROR_STOP=1 -qAt >/dev/null <<SQL
BEGIN;
INSERT INTO events (customer_number, event_kind, created_at, description, event_data_xml)
SELECT '$BIG_CUSTOMER', 'SecurityEvent',
       timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second',
       'bench login ' || i,
       '<customer-login><user-id>' || i || '</user-id><login-type>password</login-type><channel>web</channel></customer-login>'
FROM generate_series(1, $BIG_EVENTS) AS i;
INSERT INTO events (customer_number, event_kind, created_at, description, event_data_xml)
SELECT '$BIG_CUSTOMER', 'CommunicationEvent',
       timestamptz '2020-01-01 00:00:00+00' + i * interval '10 seconds' + interval '0.5 seconds',
       'bench note ' || i,
       '<communication><title>note ' || i || '</title><medium>Mail</medium></communication>'
FROM generate_series(1, $BIG_OTHER) AS i;
INSERT INTO customer_event_counts (customer_number, event_kind, event_count)
SELECT customer_number, event_kind, COUNT(*) FROM events WHERE customer_number = '$BIG_CUSTOMER'
GROUP BY customer_number, event_kind
ON CONFLICT (customer_number, event_kind) DO UPDATE SET event_count = EXCLUDED.event_count;
COMMIT;
-- VACUUM, not only ANALYZE: a history loaded long ago has been vacuumed (autovacuum runs
-- after this many inserts within a minute or so), and until then every list read, page 1
-- as much as page 50,000, checks each index entry against the table.
VACUUM ANALYZE events;
ANALYZE customer_event_counts;
SQL
}

# ---------------------------------------------------------------- one backend
bench_backend() { # $1 backend name
    local backend=$1 health_rps token staff db_file="" t0 t1 deep_page page med p99
    local serve_args=(--demo) logfile="$TMP/server-$backend.log"
    rm -f "$TMP/demo.secret"
    case "$backend" in
        sqlite)
            db_file="$TMP/sqlite/bench.db"
            mkdir -p "$TMP/sqlite"
            set_env "sqlite://$db_file" "$(free_port)"
            log "$backend: starting bankapi serve --demo on $BASE"
            start_server_or_die "$logfile" --demo
            ;;
        postgres)
            set_env "$PG_URL/$PG_DB" "$(free_port)"
            log "$backend: starting bankapi serve --demo on $BASE"
            start_server_or_die "$logfile" --demo
            ;;
    esac

    token=$(bankapi token --customer-number "$GUIDE_CUSTOMER")
    staff=$(bankapi token --staff)
    TOKEN_FOR_WRK=$token

    # Sanity: every benchmarked call answers as the guide says before it is timed.
    local auth=(-H "Authorization: Bearer $token")
    check 200 "$BASE/health/live"
    check 200 "${auth[@]}" "$BASE/customer-event/events/$GUIDE_EVENT"
    check 200 "${auth[@]}" "$BASE/customer-event/events?customer-number=$GUIDE_CUSTOMER"
    grep -q '"total-count":2298' "$TMP/check" || die "$backend: the demo customer does not have 2298 events"
    check 200 "${auth[@]}" -H 'Content-Type: application/json' -X POST \
        --data '{"customer-number":"1400269","workitem-id":"WI0000492929","description":"some description","from":"Joe","to":"Tom","title":"SomeTitle","medium":"Mail","purpose":"TestPorpose","return-address":"SomeAddress"}' \
        "$BASE/customer-event/communication-events"

    # Load: the same wrk settings for every endpoint, /health/live as the baseline.
    local report="$BENCH_DIR/report.lua"
    run_wrk "$backend /health/live" "$THREADS" "$CONNECTIONS" "$DURATION" "$report" "$BASE/health/live"
    health_rps=$W_RPS
    add_load_row "$backend" "GET /health/live" "" "$health_rps"
    run_wrk "$backend GET event by id" "$THREADS" "$CONNECTIONS" "$DURATION" "$report" \
        -H "Authorization: Bearer $token" "$BASE/customer-event/events/$GUIDE_EVENT"
    add_load_row "$backend" "GET /customer-event/events/$GUIDE_EVENT" "$TARGET_GET_BY_ID" "$health_rps"
    run_wrk "$backend GET list page 1" "$THREADS" "$CONNECTIONS" "$DURATION" "$report" \
        -H "Authorization: Bearer $token" "$BASE/customer-event/events?customer-number=$GUIDE_CUSTOMER"
    add_load_row "$backend" "GET /customer-event/events?customer-number=$GUIDE_CUSTOMER" "$TARGET_LIST" "$health_rps"
    run_wrk "$backend POST communication event" "$THREADS" "$CONNECTIONS" "$DURATION" \
        "$BENCH_DIR/post_communication_event.lua" "$BASE/customer-event/communication-events"
    add_load_row "$backend" "POST /customer-event/communication-events" "$TARGET_POST" "$health_rps"
    run_pairs "$backend"

    MEM_ROWS+="| $backend | after the load runs (demo data, 4 × $DURATION of wrk -c$CONNECTIONS) | $(mib "$(server_mem_kib VmHWM)") | $(mib "$(server_mem_kib VmRSS)") |"$'\n'

    # Large customer: the server is stopped while a million rows go in, then restarted
    # (SQLite allows one writer; a restart also starts from cold caches on both backends).
    stop_server
    log "$backend: inserting $BIG_EVENTS events for $BIG_CUSTOMER"
    t0=$(date +%s.%N)
    case "$backend" in
        sqlite) bulk_insert_sqlite "$db_file" ;;
        postgres) bulk_insert_pg "$DB_URL" ;;
    esac
    t1=$(date +%s.%N)
    NOTES+="- $backend: inserting $BIG_EVENTS events took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
    if [[ -n "$db_file" ]]; then
        NOTES+=" (database file now $(du -m "$db_file" | cut -f1) MiB)"
    fi
    NOTES+=$'\n'
    start_server_or_die "$TMP/server-$backend-big.log" "${serve_args[@]}"
    TOKEN_FOR_WRK=$staff
    local sauth=(-H "Authorization: Bearer $staff")
    local big="$BASE/customer-event/events?customer-number=$BIG_CUSTOMER&page-size=20"
    local all_kinds=$(( BIG_EVENTS + BIG_OTHER )) list query first
    check 200 "${sauth[@]}" "$big&page-number=1"
    grep -q "\"total-count\":$all_kinds" "$TMP/check" || die "$backend: total-count of $BIG_CUSTOMER is not $all_kinds"

    # Each list: its first reads of a deep page and of page 100 (which mark the list that
    # far, once), then pages 1, 6, 100 and the deep ones under load, then the last page
    # (near the oldest end).
    for list in "all kinds" "by kind"; do
        query=$big
        # Page $DEEP_PAGE is the middle of the list of all kinds (1.1 million events) but
        # the last of the security events (1 million), read from the oldest end: the
        # middle of that list is page $MID_PAGE.
        local deep=$DEEP_PAGE
        if [[ "$list" == "by kind" ]]; then
            query+="&event-kind=security"
            deep=$MID_PAGE
        fi
        # The first reads mark the list (once, from the oldest up to the page): all of
        # them before any page is measured, so that every page under load reads the same
        # database (on SQLite, a marking walk left in the WAL slows every read after it).
        for page in "$deep" 100; do
            first=$(curl -fsS -o /dev/null -w '%{time_total}' --max-time 120 "${sauth[@]}" \
                "$query&page-number=$page")
            BIG_ROWS+="| $backend | $list, page $page, first read (marks the list) | 1 × curl | - | $(awk -v t="$first" 'BEGIN { printf "%.2f", t * 1000 }') | - | 1 | 0 / 0 |"$'\n'
        done
        # Page 6 is the first that is never answered from memory (first pages may be).
        for page in 1 6 100 "$MID_PAGE" "$DEEP_PAGE"; do
            run_wrk "$backend $BIG_CUSTOMER $list page $page" 1 "$BIG_CONNECTIONS" "$BIG_DURATION" "$report" \
                -H "Authorization: Bearer $staff" "$query&page-number=$page"
            BIG_ROWS+="| $backend | $list, page $page | wrk -t1 -c$BIG_CONNECTIONS -d$BIG_DURATION | $(printf '%.0f' "$W_RPS") | $(ms "$W_P50") | $(ms "$W_P99") | $W_REQ | $W_NON2XX / $W_SOCKERR |"$'\n'
        done
        [[ "$list" == "by kind" ]] && deep_page=$(( (BIG_EVENTS + 19) / 20 )) || deep_page=$(( (all_kinds + 19) / 20 ))
        log "$backend: $DEEP_PAGE_REQUESTS sequential requests for the last page ($list, $deep_page)"
        check 200 "${sauth[@]}" "$query&page-number=$deep_page"
        : >"$TMP/deep.txt"
        for _ in $(seq "$DEEP_PAGE_REQUESTS"); do
            curl -fsS -o /dev/null -w '%{time_total}\n' --max-time 60 "${sauth[@]}" \
                "$query&page-number=$deep_page" >>"$TMP/deep.txt"
        done
        read -r med p99 < <(median_p99 "$TMP/deep.txt")
        printf '===== %s last page (%s, %s), curl time_total seconds\n%s\n\n' "$backend" "$list" "$deep_page" \
            "$(cat "$TMP/deep.txt")" >>"$RAW_LOG"
        BIG_ROWS+="| $backend | $list, page $deep_page (last) | $DEEP_PAGE_REQUESTS × curl, sequential | - | $med | $p99 | $DEEP_PAGE_REQUESTS | 0 / 0 |"$'\n'
    done

    MEM_ROWS+="| $backend | after the large-customer runs (fresh process) | $(mib "$(server_mem_kib VmHWM)") | $(mib "$(server_mem_kib VmRSS)") |"$'\n'
    stop_server
}

# The order engine (benches/orders/: server, engine and clients in one process): end to
# end over HTTP beside the event POST, a drained backlog, two engines, the HTTP adapter.
bench_orders() { # $1 backend name
    local backend=$1 out line url=""
    [[ "$backend" == postgres ]] && url=$PG_URL
    log "$backend: order engine and feed benchmarks (cargo bench --bench orders: e2e ${BENCH_ORDERS:-20000}, drain ${BENCH_DRAIN:-100000}, remote ${BENCH_REMOTE:-20000}, feed)"
    out=$(cd "$ROOT" && BENCH_DATABASE_URL="$url" RUST_LOG=warn cargo bench --quiet --bench orders 2>&1) \
        || { echo "$out" >&2; die "$backend: order benchmark failed"; }
    printf '===== %s orders\n%s\n\n' "$backend" "$out" >>"$RAW_LOG"
    field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$line"; }
    line=$(grep '^@@ORDERS ' <<<"$out") || die "no @@ORDERS line from the order benchmark"
    local ratio
    ratio=$(awk -v a="$(field accepted_per_s)" -v e="$(field events_per_s)" 'BEGIN { printf "%.0f", 100 * a / e }')
    ORDER_ROWS+="| $backend | $(field orders) | $(field accepted_per_s) | $(field events_per_s) | **${ratio} %** | $(field completed_per_s) | $(field p50_ms) | **$(field p99_ms)** | $(field max_ms) |"$'\n'
    while read -r line; do
        DRAIN_ROWS+="| $backend | $(field engines) | $(field orders) | **$(field orders_per_s)** | ${GRAPHILE_FIGURES:-not measured (SQLite run)} |"$'\n'
    done < <(grep '^@@DRAIN ' <<<"$out")
    while read -r line; do
        PROCS_ROWS+="| $backend | $(field processes) | $(field orders) | **$(field orders_per_s)** | $(field seconds) |"$'\n'
    # Only PostgreSQL runs real processes: no @@PROCS line is no failure (grep's status
    # would otherwise trip the ERR trap's "command failed" on every SQLite run).
    done < <(grep '^@@PROCS ' <<<"$out" || true)
    line=$(grep '^@@REMOTE ' <<<"$out") || die "no @@REMOTE line from the order benchmark"
    REMOTE_ROWS+="| $backend | $(field orders) | **$(field orders_per_s)** | $(field max_in_flight) of $(field concurrency) |"$'\n'
    line=$(grep '^@@STANDING ' <<<"$out") || die "no @@STANDING line from the order benchmark"
    local payments drain
    payments=$(field payments_per_s)
    drain=$(grep '^@@DRAIN engines=1 ' <<<"$out" | sed -E 's/.* orders_per_s=([0-9.]+).*/\1/')
    STANDING_ROWS+="| $backend | $(field orders) | **${payments}** | ${drain:-n/a} | $(pct "$payments" "${drain:-0}") % |"$'\n'
    line=$(grep '^@@FEED ' <<<"$out") || die "no @@FEED line from the order benchmark"
    FEED_ROWS+="| $backend | $(field streams) | +$(field stream_mib) | $(field fanout_p50_ms) / $(field fanout_p99_ms) | **$(field webhooks_per_s)** | $(field webhook_p50_ms) / $(field webhook_p99_ms) |"$'\n'
}

# The peer of the drain: graphile-worker's no-op jobs on the same PostgreSQL server.
bench_graphile() {
    local line
    log "postgres: graphile-worker peer (bench/graphile_worker/run.sh 100000)"
    line=$("$ROOT/bench/graphile_worker/run.sh" 100000 2>>"$RAW_LOG" | grep '^@@GRAPHILE ') \
        || die "the graphile-worker peer failed (see $RAW_LOG)"
    printf '===== graphile-worker\n%s\n\n' "$line" >>"$RAW_LOG"
    sed -E 's/.* jobs_per_s=([0-9.]+).*/\1/' <<<"$line"
}

# ---------------------------------------------------------------- run
START=$(date +%s)
for backend in $BACKENDS; do
    case "$backend" in
        sqlite)
            [[ " $PARTS " == *" events "* ]] && bench_backend sqlite
            [[ " $PARTS " == *" orders "* ]] && bench_orders sqlite
            ;;
        postgres)
            if ! psql -h 127.0.0.1 -U postgres -c 'select 1' >/dev/null 2>&1; then
                log "PostgreSQL is not reachable at 127.0.0.1:5432 as postgres; skipping the PostgreSQL part"
                NOTES+="- postgres: skipped (\`psql -h 127.0.0.1 -U postgres -c 'select 1'\` failed)"$'\n'
                continue
            fi
            pg_admin -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null
            pg_admin -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
            PG_CREATED=1
            [[ " $PARTS " == *" events "* ]] && bench_backend postgres
            [[ " $PARTS " == *" orders "* ]] || continue
            # Interleaved: the peer before and after the engine, on the same server.
            GW_BEFORE=$(bench_graphile)
            GRAPHILE_FIGURES="$GW_BEFORE jobs/s before"
            bench_orders postgres
            GW_AFTER=$(bench_graphile)
            DRAIN_ROWS=${DRAIN_ROWS//"$GW_BEFORE jobs/s before"/"$GW_BEFORE before, $GW_AFTER after"}
            ;;
        *) die "unknown backend $backend (sqlite or postgres)" ;;
    esac
done
ELAPSED=$(( $(date +%s) - START ))

# ---------------------------------------------------------------- summary
GIT_REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n "$(cd "$ROOT" && git status --porcelain -- src Cargo.toml Cargo.lock migrations 2>/dev/null)" ]]; then
    GIT_REV+=" (with uncommitted changes)"
fi
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
{
    echo "# bankapi benchmark"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $GIT_REV"
    echo "- machine: $(nproc) CPUs ($CPU); wrk and the server share them"
    echo "- load runs: \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency\`, customer token of $GUIDE_CUSTOMER, demo data set"
    echo "- total bench time: ${ELAPSED} s"
    echo
    echo "## Throughput and latency under load"
    echo
    echo "| backend | endpoint | req/s | p50 ms | p99 ms | % of /health/live | target | requests | non-2xx / socket errors |"
    echo "|---|---|---:|---:|---:|---:|---|---:|---:|"
    printf '%s' "$LOAD_ROWS"
    echo
    if [[ -n "$PAIR_ROWS" ]]; then
        echo "### The event POST beside /health/live, interleaved (\`wrk -t$THREADS -c$CONNECTIONS -d$PAIR_DURATION\` each)"
        echo
        echo "| backend | round | /health/live req/s | POST req/s | POST % of health |"
        echo "|---|---|---:|---:|---:|"
        printf '%s' "$PAIR_ROWS"
        echo
    fi
    echo "## Customer Order API: card activations end to end, zero step durations"
    echo
    echo "Same in-process clients (32 at once) for the event POSTs and the orders, one after the other."
    echo "Targets: acceptance >= 40 % of the event POST rate; p99 acceptance to completion <= 1000 ms."
    echo
    echo "| backend | orders | accepted/s (POST 202) | event POSTs/s, same clients | ratio | completed/s (first POST to last completion) | acceptance to completion p50 ms | p99 ms | max ms |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s' "$ORDER_ROWS"
    echo
    echo "## Order engine: draining a backlog of card activations (built-in adapter, zero durations)"
    echo
    echo "Target: >= 10,000 orders/s on each backend. Peer: graphile-worker 0.17 draining 100,000 no-op jobs on the same PostgreSQL."
    echo
    echo "| backend | engines | orders | orders/s | graphile-worker jobs/s (same run) |"
    echo "|---|---:|---:|---:|---|"
    printf '%s' "$DRAIN_ROWS"
    echo
    echo "## Order engine: the same backlog drained by real \`bankapi serve\` processes (PostgreSQL)"
    echo
    echo "Timed from the processes' start (about 0.1 s of it is start-up, alike for one and two)."
    echo
    echo "| backend | processes | orders | orders/s | seconds |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s' "$PROCS_ROWS"
    echo
    echo "## Order engine: the HTTP adapter against a local system answering in about 2 ms"
    echo
    echo "Target: >= 3,000 orders/s."
    echo
    echo "| backend | orders | orders/s | most calls in flight |"
    echo "|---|---:|---:|---|"
    printf '%s' "$REMOTE_ROWS"
    echo
    echo "## Standing orders: 10,000 falling due at once (benches/orders/standing.rs)"
    echo
    echo "One engine, built-in adapter, zero durations, from the engine's start to the last payment's completion: the schedule turns each date into a payment order, which is checked, booked on both accounts (100 creditor accounts) and notified. Beside the same engine's drain of card activations in the same run."
    echo
    echo "| backend | standing orders | payments/s | card activations drained/s (same run) | ratio |"
    echo "|---|---:|---:|---:|---:|"
    printf '%s' "$STANDING_ROWS"
    echo
    echo "## The event feed: live streams and webhooks (benches/orders/feed.rs)"
    echo
    echo "Memory: the growth of the bench process's RSS with the streams open (server and clients share it)."
    echo "Webhooks: 5,000 events of 100 customers to a local receiver; latency paced at one event per 5 ms."
    echo
    echo "| backend | streams | RSS growth MiB | fan-out p50 / p99 ms | webhook deliveries/s | POST to delivery p50 / p99 ms |"
    echo "|---|---:|---:|---:|---:|---:|"
    printf '%s' "$FEED_ROWS"
    echo
    echo "## Large customer ($BIG_EVENTS security and $BIG_OTHER communication events of $BIG_CUSTOMER, page-size=20, staff token)"
    echo
    echo "| backend | request | method | req/s | median (p50) ms | p99 ms | requests | non-2xx / socket errors |"
    echo "|---|---|---|---:|---:|---:|---:|---:|"
    printf '%s' "$BIG_ROWS"
    echo
    echo "## Server memory"
    echo
    echo "| backend | when | peak RSS (VmHWM) MiB | RSS now MiB |"
    echo "|---|---|---:|---:|"
    printf '%s' "$MEM_ROWS"
    if [[ -n "$NOTES" ]]; then
        echo
        echo "## Notes"
        echo
        printf '%s' "$NOTES"
    fi
} >"$RESULT_MD"

echo
cat "$RESULT_MD"
echo
log "written to $RESULT_MD (raw wrk output in $RAW_LOG)"
