#!/usr/bin/env bash
# Generated clients: both getting-started guides, every step, through clients generated from
# the OpenAPI documents a running `bankapi serve --demo` serves, so that a field a document
# names differently from the wire fails the walk.
#
#   TypeScript: openapi-typescript (types) + openapi-fetch (calls), pinned in package-lock.json,
#     type-checked with tsc before it runs: walk.ts reads each field through the generated
#     types, so a misnamed field is a compile error in the step that reads it.
#   Python: openapi-python-client (pinned in requirements.txt) generates two packages; walk.py
#     reads the model attributes and checks that no field the guide shows is left UNSET and
#     that nothing lands in a model's additional_properties.
#
# Each client walks a fresh server on a fresh database (SQLite, or a throwaway PostgreSQL
# database when CLIENTS_POSTGRES_URL names a server), so both see the demo exactly as the
# guides print it (2298 events, the first order WI0000492475). The documents are downloaded
# from the first server; clients are generated into a scratch folder, never committed.
# Prints one line per guide step per client and `clients: N passed, M failed`; exits
# non-zero on any failure.
#
# Usage: tests/clients/run.sh [path to the bankapi binary]   (default target/debug/bankapi)
# Knobs: CLIENTS_NODE (default target/clients-node), CLIENTS_VENV (default
#        target/clients-venv): cached tool installs, redone when the pins change;
#        CLIENTS_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test: the run creates
#        its own databases on that server and drops them afterwards);
#        CLIENTS_KEEP=1 keeps the scratch folder (generated clients, logs) and prints it;
#        CLIENTS_DOCUMENTS=DIR generates the clients from DIR/customer-event.json and
#        DIR/customer-order.json instead of the served documents (to see that the walks
#        catch a field a document misnames: rename one in a copy and run with it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:-$ROOT/target/debug/bankapi}"
NODE_DIR="${CLIENTS_NODE:-$ROOT/target/clients-node}"
VENV="${CLIENTS_VENV:-$ROOT/target/clients-venv}"
STEPS_PER_CLIENT=13 # event guide steps 3 to 12, order guide steps 3 to 5

[[ -x "$BIN" ]] || { echo "clients: no bankapi binary at $BIN (cargo build first)" >&2; exit 1; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
for tool in node npm python3 curl; do
    command -v "$tool" >/dev/null || { echo "clients: $tool is needed" >&2; exit 1; }
done

WORK="$(mktemp -d -t bankapi-clients.XXXXXX)"
RESULTS="$WORK/results.txt"
: >"$RESULTS"
SERVER=""
DATABASES=()

# One result line: `ok   what` or `FAIL what` (then indented details), on the terminal and in
# the results that the summary counts.
result() { printf '%s\n' "$@" | tee -a "$RESULTS"; }
# The end of a stage's log, indented under its FAIL line.
log_tail() { tail -n "${2:-40}" "$1" | sed 's/^/       /'; }
# A stage's exit code in words.
exit_words() { if [[ $1 == 124 ]]; then echo "timed out"; else echo "exited with $1"; fi; }
summary() {
    local passed failed
    passed=$(grep -c '^ok ' "$RESULTS" || true)
    failed=$(grep -c '^FAIL ' "$RESULTS" || true)
    echo "clients: $passed passed, $failed failed"
    [[ $failed == 0 && $passed -gt 0 ]]
}
finish() { if summary; then exit 0; else exit 1; fi; }

# ---------------------------------------------------------------- the server

export BANKAPI_AUTH_HS256_SECRET="generated-clients-only-secret-0123456789abcdef" \
    BANKAPI_RATE_LIMIT_PER_SECOND=0 BANKAPI_DEMO_SECRET_FILE="$WORK/demo.secret" RUST_LOG=warn

# A fresh `serve --demo` on a fresh database, for the client named $1; sets BASE.
start_server() {
    local name=$1 port database
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
    database="sqlite://$WORK/$name.db"
    if [[ -n "${CLIENTS_POSTGRES_URL:-}" ]]; then
        local scratch="bankapi_clients_${name}_$$"
        timeout 30 psql "$CLIENTS_POSTGRES_URL" -qc "CREATE DATABASE $scratch" >/dev/null
        DATABASES+=("$scratch")
        database="${CLIENTS_POSTGRES_URL%/*}/$scratch"
    fi
    BASE="http://127.0.0.1:$port"
    export BANKAPI_DATABASE_URL="$database" BANKAPI_LISTEN="127.0.0.1:$port" BANKAPI_PUBLIC_URL="$BASE"
    "$BIN" serve --demo >"$WORK/server-$name.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 600); do
        curl -fsS -o /dev/null --max-time 2 "$BASE/health/ready" 2>/dev/null && return 0
        kill -0 "$SERVER" 2>/dev/null || break
        sleep 0.1
    done
    result "FAIL $name: bankapi serve --demo on ${database%%:*} did not become ready"
    log_tail "$WORK/server-$name.log"
    return 1
}
stop_server() {
    if [[ -n "$SERVER" ]]; then
        kill "$SERVER" 2>/dev/null || true
        # A graceful stop lets requests in flight finish; it gets ten seconds.
        for _ in $(seq 100); do
            kill -0 "$SERVER" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
        SERVER=""
    fi
}
cleanup() {
    stop_server
    for database in "${DATABASES[@]}"; do
        timeout 30 psql "$CLIENTS_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $database" >/dev/null || true
    done
    if [[ "${CLIENTS_KEEP:-}" == 1 ]]; then
        echo "clients: scratch folder kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- tools (cached)

fingerprint() { cat "$@" | sha256sum | cut -d' ' -f1; }

node_pins="$(fingerprint "$HERE/package.json" "$HERE/package-lock.json")"
if [[ "$(cat "$NODE_DIR/.installed" 2>/dev/null || true)" != "$node_pins" ]]; then
    echo "clients: installing openapi-typescript, openapi-fetch and typescript into $NODE_DIR (npm ci)"
    mkdir -p "$NODE_DIR"
    rm -f "$NODE_DIR/.installed"
    cp "$HERE/package.json" "$HERE/package-lock.json" "$NODE_DIR/"
    if ! timeout 600 npm ci --prefix "$NODE_DIR" --no-audit --no-fund >"$WORK/npm.log" 2>&1; then
        result "FAIL npm ci of tests/clients/package-lock.json"
        log_tail "$WORK/npm.log"
        finish
    fi
    echo "$node_pins" >"$NODE_DIR/.installed"
fi

python_pins="$(fingerprint "$HERE/requirements.txt")"
if [[ "$(cat "$VENV/.installed" 2>/dev/null || true)" != "$python_pins" ]]; then
    echo "clients: installing openapi-python-client into $VENV (tests/clients/requirements.txt)"
    rm -rf "$VENV"
    if ! timeout 600 bash -c 'python3 -m venv "$1" && "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2"' \
        _ "$VENV" "$HERE/requirements.txt" >"$WORK/pip.log" 2>&1; then
        result "FAIL pip install of tests/clients/requirements.txt"
        log_tail "$WORK/pip.log"
        finish
    fi
    echo "$python_pins" >"$VENV/.installed"
fi

# Runs a walk (the client's name, then its command), its lines on the terminal and in the
# results; a walk that ended before all its steps (a crash, a timeout) is a failure too.
walk() {
    local name=$1 code=0 steps
    shift
    timeout 300 "$@" >"$WORK/walk-$name.txt" 2>&1 || code=$?
    cat "$WORK/walk-$name.txt"
    grep -E '^(ok  |FAIL) ' "$WORK/walk-$name.txt" >>"$RESULTS" || true
    steps=$(grep -cE "^(ok  |FAIL) $name (event|order) guide step" "$WORK/walk-$name.txt" || true)
    if [[ $steps != "$STEPS_PER_CLIENT" ]]; then
        result "FAIL $name walk: $(exit_words "$code") after $steps of $STEPS_PER_CLIENT steps"
    fi
    if ! kill -0 "$SERVER" 2>/dev/null; then
        result "FAIL $name: the server exited during the walk"
        log_tail "$WORK/server-$name.log"
    fi
}

start_server typescript || finish
echo "clients: bankapi serve --demo on ${BANKAPI_DATABASE_URL%%:*} at $BASE"
if ! STAFF="$(timeout 30 "$BIN" token --staff 2>"$WORK/token.log")" \
    || ! CUSTOMER="$(timeout 30 "$BIN" token --customer-number 1400269 2>"$WORK/token.log")"; then
    result "FAIL bankapi token"
    log_tail "$WORK/token.log"
    finish
fi
mkdir -p "$WORK/docs" "$WORK/ts" "$WORK/py"
for document in customer-event customer-order; do
    if [[ -n "${CLIENTS_DOCUMENTS:-}" ]]; then
        cp "$CLIENTS_DOCUMENTS/$document.json" "$WORK/docs/$document.json"
    elif ! timeout 30 curl -fsS -o "$WORK/docs/$document.json" "$BASE/$document/openapi.json" 2>"$WORK/curl.log"; then
        result "FAIL GET /$document/openapi.json"
        log_tail "$WORK/curl.log"
        finish
    fi
done
if [[ -n "${CLIENTS_DOCUMENTS:-}" ]]; then
    echo "clients: documents taken from $CLIENTS_DOCUMENTS, NOT the served ones"
else
    echo "clients: documents downloaded from $BASE"
fi

# ---------------------------------------------------------------- TypeScript

ts_generated=1
for document in customer-event customer-order; do
    code=0
    timeout 180 "$NODE_DIR/node_modules/.bin/openapi-typescript" "$WORK/docs/$document.json" \
        -o "$WORK/ts/$document.ts" >"$WORK/openapi-typescript-$document.log" 2>&1 || code=$?
    if [[ $code != 0 ]]; then
        ts_generated=0
        result "FAIL typescript: openapi-typescript on /$document/openapi.json $(exit_words "$code")"
        log_tail "$WORK/openapi-typescript-$document.log"
    fi
done
if [[ $ts_generated == 1 ]]; then
    cp "$HERE/walk.ts" "$WORK/ts/walk.ts"
    ln -s "$NODE_DIR/node_modules" "$WORK/ts/node_modules"
    echo '{"type": "module"}' >"$WORK/ts/package.json"
    cat >"$WORK/ts/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmitOnError": false,
    "types": ["node"]
  },
  "files": ["walk.ts"]
}
EOF
    # Type check (and emit walk.js beside it). tsc exits 2 when it found errors but emitted:
    # the walk then runs all the same, and each step with an error fails with its messages.
    code=0
    timeout 300 "$NODE_DIR/node_modules/.bin/tsc" -p "$WORK/ts" --pretty false >"$WORK/tsc.txt" 2>&1 || code=$?
    if [[ $code == 0 ]]; then
        echo "clients: typescript: type check passed"
    elif [[ $code == 2 && -f "$WORK/ts/walk.js" ]]; then
        echo "clients: typescript: type check found $(grep -c ': error TS' "$WORK/tsc.txt" || true) errors (each fails the step it is in)"
    else
        result "FAIL typescript: tsc $(exit_words "$code")"
        log_tail "$WORK/tsc.txt"
    fi
    if [[ -f "$WORK/ts/walk.js" ]]; then
        BANKAPI_BASE="$BASE" CUSTOMER_TOKEN="$CUSTOMER" STAFF_TOKEN="$STAFF" TSC_ERRORS="$WORK/tsc.txt" \
            walk typescript node "$WORK/ts/walk.js"
    fi
fi
stop_server

# ---------------------------------------------------------------- Python

start_server python || finish
py_generated=1
for document in customer-event customer-order; do
    package="${document//-/_}_client"
    # literal_enums: the event document lists the guide's `Mail` beside `mail` (medium is
    # read in any case), which as Python enum members would both be MAIL; literals keep
    # every value the document lists, typed.
    printf 'project_name_override: %s\npackage_name_override: %s\nliteral_enums: true\n' \
        "$package" "$package" >"$WORK/py/$document.yaml"
    code=0
    # ruff (for the generator's formatting) lives in the venv.
    (cd "$WORK/py" && PATH="$VENV/bin:$PATH" timeout 180 "$VENV/bin/openapi-python-client" generate \
        --path "$WORK/docs/$document.json" --config "$WORK/py/$document.yaml" --meta none \
        --output-path "$WORK/py/$package" --fail-on-warning) >"$WORK/openapi-python-client-$document.log" 2>&1 || code=$?
    if [[ $code != 0 ]]; then
        # Warnings (a schema it could not read) still leave a package; the walk then shows
        # what is missing from it.
        result "FAIL python: openapi-python-client on /$document/openapi.json $(exit_words "$code")"
        log_tail "$WORK/openapi-python-client-$document.log"
        [[ -f "$WORK/py/$package/__init__.py" ]] || py_generated=0
    fi
done
if [[ $py_generated == 1 ]]; then
    BANKAPI_BASE="$BASE" CUSTOMER_TOKEN="$CUSTOMER" STAFF_TOKEN="$STAFF" PYTHONPATH="$WORK/py" \
        walk python "$VENV/bin/python" -u "$HERE/walk.py"
fi
stop_server

finish
