#!/usr/bin/env bash
# OpenAPI lint: Spectral (from the npm registry, pinned in package-lock.json) with
# `spectral:oas` and the OWASP API Security ruleset (.spectral.yaml beside this file) against
# the public documents, /customer-event/openapi.json, /customer-order/openapi.json and
# /audit/openapi.json, as a
# `bankapi serve --demo` on a fresh SQLite database serves them. Prints each document's
# error and warning counts (per rule) and its errors; exits non-zero on any error.
# The full results stay in target/spectral-report/<document>.json, beside the document that
# was linted (<document>.openapi.json), for reading afterwards.
#
# Usage: tests/spectral/run.sh [path to the bankapi binary]   (default target/debug/bankapi)
# Knobs: SPECTRAL_NODE_DIR (default target/spectral-node: where `npm ci` installs, kept
#        between runs and reinstalled when package-lock.json changes),
#        SPECTRAL_SHOW (default 200: how many error lines to print per document)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${1:-$ROOT/target/debug/bankapi}"
NODE_DIR="${SPECTRAL_NODE_DIR:-$ROOT/target/spectral-node}"
REPORTS="$ROOT/target/spectral-report"
SHOW="${SPECTRAL_SHOW:-200}"
DOCUMENTS=(customer-event customer-order audit)

[[ -x "$BIN" ]] || { echo "spectral: no bankapi binary at $BIN (cargo build first)" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null \
    || { echo "spectral: node and npm are needed" >&2; exit 1; }

# Install exactly what package-lock.json pins, once; again only when the lock changes.
# --ignore-scripts: none of these packages needs an install script (one would only send
# install analytics).
SPECTRAL="$NODE_DIR/node_modules/.bin/spectral"
if [[ ! -x "$SPECTRAL" ]] || ! cmp -s "$HERE/package-lock.json" "$NODE_DIR/package-lock.json"; then
    echo "spectral: npm ci into $NODE_DIR"
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    cp "$HERE/package.json" "$HERE/package-lock.json" "$NODE_DIR/"
    (cd "$NODE_DIR" && timeout 600 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
echo "spectral: $(timeout 60 "$SPECTRAL" --version), ruleset $HERE/.spectral.yaml"

WORK="$(mktemp -d -t bankapi-spectral.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
cleanup() {
    kill "${SERVER:-}" 2>/dev/null || true
    wait "${SERVER:-}" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
export BANKAPI_DATABASE_URL="sqlite://$WORK/spectral.db" BANKAPI_LISTEN="127.0.0.1:$PORT" \
    BANKAPI_PUBLIC_URL="$BASE" BANKAPI_AUTH_HS256_SECRET="spectral-only-secret-0123456789abcdef" \
    BANKAPI_DEMO_SECRET_FILE="$WORK/demo.secret" RUST_LOG=warn
"$BIN" serve --demo >"$WORK/server.log" 2>&1 &
SERVER=$!
ready=0
for _ in $(seq 300); do
    if curl -fsS -o /dev/null --max-time 2 "$BASE/health/ready" 2>/dev/null; then
        ready=1
        break
    fi
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.1
done
if [[ $ready == 0 ]]; then
    echo "spectral: bankapi did not get ready; its log:" >&2
    tail -n 40 "$WORK/server.log" >&2 || true
    echo "spectral: 0 passed, ${#DOCUMENTS[@]} failed"
    exit 1
fi

# The ruleset's `overrides` match documents by their path relative to the ruleset, so both
# go into one folder with a copy of it; its `extends` finds the OWASP package
# through NODE_PATH.
cp "$HERE/.spectral.yaml" "$WORK/.spectral.yaml"
mkdir -p "$REPORTS"
passed=0
failed=0
fetched=()
for document in "${DOCUMENTS[@]}"; do
    rm -f "$REPORTS/$document.json" "$REPORTS/$document.openapi.json"
    if curl -fsS --max-time 30 -o "$WORK/$document.json" "$BASE/$document/openapi.json"; then
        cp "$WORK/$document.json" "$REPORTS/$document.openapi.json"
        fetched+=("$document")
    else
        echo "spectral: $document: could not fetch $BASE/$document/openapi.json; bankapi's log:"
        tail -n 40 "$WORK/server.log" || true
        failed=$((failed + 1))
    fi
done
# The documents are all that is needed of the server.
kill "$SERVER" 2>/dev/null || true
wait "$SERVER" 2>/dev/null || true
SERVER=""

for document in "${fetched[@]}"; do
    report="$REPORTS/$document.json"
    # Exit codes: 0 no error, 1 errors found, anything else the tool failed.
    status=0
    (cd "$WORK" && NODE_PATH="$NODE_DIR/node_modules" timeout 300 "$SPECTRAL" lint \
        --ruleset .spectral.yaml --format json --output "$report" --fail-severity error \
        --quiet "$document.json") >"$WORK/$document.log" 2>&1 || status=$?
    if [[ $status != 0 && $status != 1 ]] || [[ ! -s "$report" ]]; then
        echo "spectral: $document: spectral itself failed (exit $status):"
        tail -n 40 "$WORK/$document.log" || true
        failed=$((failed + 1))
        continue
    fi
    # Counts per severity and per rule, then the errors themselves; exit 1 when any error.
    if node "$HERE/summarize.js" "$report" "$document" "$SHOW" && [[ $status == 0 ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "spectral: full results in $REPORTS/"
echo "spectral: $passed passed, $failed failed"
[[ $failed == 0 ]]
