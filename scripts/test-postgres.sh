#!/usr/bin/env bash
# Runs the test suite on a throw-away PostgreSQL 15 server, then stops it and removes
# its folder, whatever the tests did. Arguments go to pytest:
#   scripts/test-postgres.sh -k measurement -x
# Exits with pytest's exit code.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-throwaway.sh
source scripts/pg-throwaway.sh

if [[ ! -x .venv/bin/pytest ]]; then
    echo "test-postgres: .venv/bin/pytest is missing; run 'make venv' first (make test-postgres does)." >&2
    exit 2
fi

trap pg_throwaway_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_throwaway_start artisanat
echo "test-postgres: PostgreSQL $PG_VERSION on port $PG_PORT"

status=0
DATABASE_URL="$PG_URL" REDIS_URL= DJANGO_DEBUG=1 .venv/bin/pytest "$@" || status=$?
exit "$status"
