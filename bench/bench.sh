#!/usr/bin/env bash
# make bench / make bench-quick: installs wrk if missing (Debian package), starts the
# throw-away PostgreSQL server of `make test-postgres`, runs bench/run.py on SQLite and
# PostgreSQL, then stops the server and removes its folder — also on failure or Ctrl-C.
#   bench/bench.sh            # 10 000 and 1 000 000 measurements, 15 s per endpoint
#   bench/bench.sh --quick    # 10 000 and 100 000 measurements, 5 s per endpoint
# Other arguments go to bench/run.py (e.g. --databases sqlite --connections 16).
# BENCH_DATABASES=sqlite skips PostgreSQL.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-throwaway.sh
source scripts/pg-throwaway.sh

mode=full
if [[ "${1:-}" == "--quick" ]]; then
    mode=quick
    shift
fi

if ! command -v wrk >/dev/null 2>&1; then
    echo "bench: installing wrk (Debian package)" >&2
    if [[ "$(id -u)" -eq 0 ]]; then
        apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
    else
        sudo apt-get install -y -qq wrk
    fi
fi

databases="${BENCH_DATABASES:-sqlite,postgres}"
args=(--databases "$databases")
if [[ "$mode" == quick ]]; then
    args+=(--sizes 10000,100000 --duration 5 --warmup 2 --command "make bench-quick")
else
    args+=(--sizes 10000,1000000 --duration 15 --warmup 3 --command "make bench")
fi

trap pg_throwaway_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ "$databases" == *postgres* ]]; then
    if ! pg_throwaway_bindir >/dev/null 2>&1 && [[ "$(id -u)" -eq 0 ]]; then
        echo "bench: installing postgresql (Debian package)" >&2
        apt-get install -y -qq postgresql >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql; }
    fi
    pg_throwaway_start artisanat
    export BENCH_POSTGRES_URL="$PG_URL" PG_VERSION
fi

.venv/bin/python bench/run.py "${args[@]}" "$@"
