#!/usr/bin/env bash
# make bench / make bench-quick / make bench-smoke: installs wrk if missing (Debian
# package), starts the throw-away PostgreSQL server of `make test-postgres`, runs
# bench/run.py on SQLite and PostgreSQL, then stops the server and removes its folder —
# also on failure or Ctrl-C. Exits with bench/run.py's status.
#   bench/bench.sh            # 10 000 and 1 000 000 measurements, 15 s per endpoint
#   bench/bench.sh --quick    # 10 000 and 100 000 measurements, 5 s per endpoint
#   bench/bench.sh --smoke    # CI: 2 000 measurements, 1 s per endpoint, no warm-up; fails on
#                             # any error, judges no target; bench/results/smoke.* (not latest.*)
# Other arguments go to bench/run.py (e.g. --databases sqlite --connections 16).
# BENCH_DATABASES=sqlite skips PostgreSQL.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-throwaway.sh
source scripts/pg-throwaway.sh

mode=full
if [[ "${1:-}" == "--quick" || "${1:-}" == "--smoke" ]]; then
    mode="${1#--}"
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
elif [[ "$mode" == smoke ]]; then
    args+=(--smoke --sizes 2000 --duration 1 --warmup 0 --command "make bench-smoke")
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
