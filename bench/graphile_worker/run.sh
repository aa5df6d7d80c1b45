#!/usr/bin/env bash
# Peer benchmark: graphile-worker draining JOBS no-op jobs on the local PostgreSQL.
# See README.md in this folder.
#
# Usage: bench/graphile_worker/run.sh [JOBS]      (default 100000)
#
# Prints exactly one line on stdout:
#   @@GRAPHILE jobs=N seconds=S jobs_per_s=R concurrency=C
# Everything else goes to stderr.
#
# Environment:
#   GW_DB                 scratch database, created and dropped   (default bankapi_bench_gw)
#   GW_PG_URL             PostgreSQL server URL                    (default postgres://postgres@127.0.0.1:5432)
#   GW_CONCURRENCY, GW_LOCAL_QUEUE, GW_COMPLETE_DELAY_MS, GW_MAX_POOL: runner knobs, see bench.js
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JOBS="${1:-100000}"
DB="${GW_DB:-bankapi_bench_gw}"
PG_URL="${GW_PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_URL="${PG_URL%/}"
ADMIN_DB=""
CREATED=0

log() { printf '[graphile-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "JOBS must be a positive integer, got '$JOBS'"
[[ "$DB" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "GW_DB must be a plain identifier, got '$DB'"
command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"

if [[ ! -d "$DIR/node_modules/graphile-worker" ]]; then
    log "installing graphile-worker (npm ci)"
    (cd "$DIR" && npm ci --no-audit --no-fund >&2)
fi

# Run one SQL statement on the admin database ($1: statement). psql when present, else
# node's pg (a dependency of graphile-worker).
admin_sql() {
    if command -v psql >/dev/null; then
        PGOPTIONS="-c client_min_messages=warning" \
            psql "$PG_URL/$ADMIN_DB" -v ON_ERROR_STOP=1 -qAt -c "$1"
    else
        (cd "$DIR" && node -e '
            const { Client } = require("pg");
            const c = new Client({ connectionString: process.argv[1] });
            c.connect()
              .then(() => c.query(process.argv[2]))
              .then((r) => { for (const row of r.rows || []) console.log(Object.values(row).join("|")); })
              .finally(() => c.end())
              .catch((e) => { console.error(e.message); process.exit(1); });
        ' "$PG_URL/$ADMIN_DB" "$1")
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ "$CREATED" == 1 ]]; then
        admin_sql "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 \
            || log "could not drop database $DB"
    fi
    [[ $rc -eq 0 ]] || log "failed (exit $rc)"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for candidate in postgres test; do
    ADMIN_DB="$candidate"
    if admin_sql "SELECT 1" >/dev/null 2>&1; then break; fi
    ADMIN_DB=""
done
[[ -n "$ADMIN_DB" ]] || die "cannot reach PostgreSQL at $PG_URL (admin database postgres or test)"

log "scratch database $DB on $PG_URL"
CREATED=1
admin_sql "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null
admin_sql "CREATE DATABASE \"$DB\"" >/dev/null

cd "$DIR"
node bench.js "$PG_URL/$DB" "$JOBS"
