#!/usr/bin/env bash
# Prepares the Python the webhook tests' receiver runs on (tests/webhooks/receiver.py): a
# virtual environment with the `standardwebhooks` package, made once under target/ and
# reused. Prints the interpreter's path. Safe to run concurrently (flock).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${CARGO_TARGET_DIR:-$ROOT/target}/webhooks-venv"
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import standardwebhooks" 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "standardwebhooks==1.1.0" >&2
fi
echo "$VENV/bin/python"
