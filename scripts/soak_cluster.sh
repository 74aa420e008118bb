#!/usr/bin/env bash
# `make soak-cluster` / `make soak-cluster-quick` (docs/deployment.md, "Killing parts of
# it"): a cluster of its own (scripts/cluster.sh, in a temporary folder), then
# scripts/soak_cluster.py through its load balancer, then the cluster is stopped — also
# on failure or Ctrl-C. Exits with soak_cluster.py's status.
#
#   scripts/soak_cluster.sh [DURATION_SECONDS] [STAFF_CLIENTS]     # defaults: 300 6
#
# SOAK_PUBLIC_URLS: the public pages the anonymous readers read (comma-separated, each
# optionally =STATUS), default in scripts/soak_cluster.py.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION="${1:-300}"
STAFF="${2:-6}"
CLUSTER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/artisanat-soak-cluster.XXXXXX")"
export CLUSTER_DIR
rmdir "$CLUSTER_DIR"  # cluster.sh creates it

cleanup() {
    local logs="soak/results/cluster-logs-$(date -u +%Y%m%d-%H%M%S)"
    if [[ -d "$CLUSTER_DIR" ]]; then
        mkdir -p "$logs"
        cp "$CLUSTER_DIR"/*.log "$CLUSTER_DIR"/nginx/error.log "$logs/" 2>/dev/null || true
    fi
    bash scripts/cluster.sh stop || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
bash scripts/cluster.sh start >/dev/null
# shellcheck disable=SC1091
source "$CLUSTER_DIR/cluster.env"
echo "soak-cluster: cluster up in $(($(date +%s) - started)) s at $CLUSTER_URL; $DURATION s of load"
status=0
.venv/bin/python scripts/soak_cluster.py --base "$CLUSTER_URL" --duration "$DURATION" --staff "$STAFF" || status=$?
# Tracebacks in the app servers' logs: a failure even if every answer was right.
if grep -q "Traceback" "$CLUSTER_DIR"/gunicorn-*.log; then
    echo "soak-cluster: tracebacks in gunicorn's log:" >&2
    grep -h -A 12 -m 3 "Traceback" "$CLUSTER_DIR"/gunicorn-*.log >&2 || true
    status=1
fi
echo "soak-cluster: total $(($(date +%s) - started)) s"
exit "$status"
