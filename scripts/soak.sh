#!/usr/bin/env bash
# Soak test (README.md, "Soak test"): a throw-away PostgreSQL 15, the strategy and demo
# data, gunicorn with the production settings, then scripts/soak.py (32 clients by
# default) from a second process, and the reconciliation. Stops everything it started,
# also on failure or Ctrl-C. Exits with soak.py's status (1 on any 5xx or mismatch).
#
#   scripts/soak.sh [DURATION_SECONDS] [CLIENTS]      # defaults: 300 32
#
# Settings: SOAK_WORKERS (gunicorn workers; default gunicorn.conf.py's 2 x cores + 1),
# SOAK_PORT (default: a free port), PG_BIN (see scripts/pg-throwaway.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-throwaway.sh
source scripts/pg-throwaway.sh

DURATION="${1:-300}"
CLIENTS="${2:-32}"
PY=.venv/bin/python

if [[ ! -x .venv/bin/gunicorn ]]; then
    echo "soak: .venv/bin/gunicorn is missing; run 'make venv' first (make soak does)." >&2
    exit 2
fi

GUNICORN_PID=""
SOAK_TMP="$(mktemp -d "${TMPDIR:-/tmp}/artisanat-soak.XXXXXX")"
cleanup() {
    if [[ -n "$GUNICORN_PID" ]] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill -TERM "$GUNICORN_PID" 2>/dev/null || true
        wait "$GUNICORN_PID" 2>/dev/null || true
    fi
    pg_throwaway_stop
    rm -rf "$SOAK_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_throwaway_start artisanat_soak

# The production profile over plain HTTP on the loopback; API limits raised so that the
# throttles (per user, per hour) do not turn the load into 429s.
PORT="${SOAK_PORT:-$(_pg_free_port)}"
export DATABASE_URL="$PG_URL"
export DJANGO_DEBUG=0
export DJANGO_SECRET_KEY="soak-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SSL_REDIRECT=0
export DJANGO_SECURE_COOKIES=0
export DJANGO_LOG_LEVEL=WARNING
export ARTISANAT_API_THROTTLE_USER=1000000/hour
export ARTISANAT_API_THROTTLE_BULK=1000000/hour
export GUNICORN_BIND="127.0.0.1:$PORT"
export GUNICORN_LOG_LEVEL=WARNING
if [[ -n "${SOAK_WORKERS:-}" ]]; then
    export GUNICORN_WORKERS="$SOAK_WORKERS"
fi
export DEMO_PASSWORD="${DEMO_PASSWORD:-soak-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

echo "soak: migrate, load_strategy, seed_demo, collectstatic on PostgreSQL $PG_VERSION"
$PY manage.py migrate --noinput >"$SOAK_TMP/migrate.log"
$PY manage.py load_strategy >"$SOAK_TMP/load.log"
$PY manage.py seed_demo >"$SOAK_TMP/seed.log"
$PY manage.py collectstatic --noinput -v 0

# Access log off (it would be ~100 000 lines); errors and warnings kept in the run's log.
.venv/bin/gunicorn --access-logfile /dev/null >"$SOAK_TMP/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 1 120); do
    if $PY -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=2).status != 200)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$GUNICORN_PID" 2>/dev/null; then
        echo "soak: gunicorn did not start:" >&2
        cat "$SOAK_TMP/gunicorn.log" >&2
        exit 2
    fi
    sleep 0.5
done
echo "soak: gunicorn on 127.0.0.1:$PORT ($(pgrep -P "$GUNICORN_PID" | wc -l) workers); $CLIENTS clients for $DURATION s"

status=0
$PY scripts/soak.py --base "http://127.0.0.1:$PORT" --clients "$CLIENTS" --duration "$DURATION" \
    --server-pid "$GUNICORN_PID" --db-pid "$(head -n 1 "$PG_TMPDIR/data/postmaster.pid")" || status=$?

# Anything gunicorn or Django logged as an error during the run; the log is kept.
mkdir -p soak/results
LOG_COPY="soak/results/gunicorn-$(date -u +%Y%m%d-%H%M%S).log"
cp "$SOAK_TMP/gunicorn.log" "$LOG_COPY"
if grep -qE "Traceback|\[ERROR\]|CRITICAL|database unavailable" "$SOAK_TMP/gunicorn.log"; then
    echo "soak: gunicorn's log has errors (first lines; whole log in $LOG_COPY):" >&2
    grep -m 20 -E "Traceback|ERROR|CRITICAL|Error|database unavailable" "$SOAK_TMP/gunicorn.log" >&2 || true
    status=1
fi
exit "$status"
