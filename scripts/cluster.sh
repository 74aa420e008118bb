#!/usr/bin/env bash
# `make cluster` (docs/deployment.md, "The cluster on one machine"): the production
# topology on this one machine, every part a throw-away process under one folder:
#
#   nginx (deploy/nginx-cluster.conf) ──► gunicorn A ┐     ┌─► PostgreSQL primary ──WAL──► hot standby (replica)
#                                     └─► gunicorn B ┴─────┼─► (anonymous reads: the replica)
#                                                          └─► redis-server (cache, sessions' copies, throttles)
#
#   scripts/cluster.sh start          # prints the URL; the state is in $CLUSTER_DIR/cluster.env
#   scripts/cluster.sh status
#   scripts/cluster.sh stop           # stops everything and removes the folder
#
# And, for scripts/soak_cluster.py, the parts one by one:
#   kill-app N (kill -9 of gunicorn N's whole process group) | start-app N
#   stop-replica | start-replica | restart-redis
#
# Redis runs without persistence (--save "" --appendonly no): a restart empties it, and
# nothing is lost that matters — the figures are recomputed, the sessions are read from
# the database (cached_db), the throttles' counts start again from zero.
# Settings: CLUSTER_DIR (default ${TMPDIR:-/tmp}/artisanat-cluster), CLUSTER_PORT (nginx;
# default a free port), CLUSTER_WORKERS (gunicorn workers per instance, default 2),
# PG_BIN (see scripts/pg-throwaway.sh), CLUSTER_KEEP=1 (stop keeps the folder).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PROJECT="$(pwd)"
CLUSTER_DIR="${CLUSTER_DIR:-${TMPDIR:-/tmp}/artisanat-cluster}"
STATE="$CLUSTER_DIR/cluster.env"
PY="$PROJECT/.venv/bin/python"

log() { echo "cluster: $*" >&2; }

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

pg_bindir() {
    local candidate="${PG_BIN:-/usr/lib/postgresql/15/bin}"
    if [[ -x "$candidate/initdb" ]]; then echo "$candidate"; return; fi
    if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then pg_config --bindir; return; fi
    log "initdb not found (PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}); install PostgreSQL or set PG_BIN."
    return 1
}

# A PostgreSQL program as the server's owner (`postgres` when we are root).
as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd "$CLUSTER_DIR" && runuser -u postgres -- "$@")
    else
        (cd "$CLUSTER_DIR" && "$@")
    fi
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

wait_http() {  # URL SECONDS
    local url="$1" seconds="$2"
    for _ in $(seq 1 $((seconds * 4))); do
        if "$PY" -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('$url', timeout=2).status != 200)" 2>/dev/null; then
            return 0
        fi
        sleep 0.25
    done
    return 1
}

load_state() {
    if [[ ! -f "$STATE" ]]; then
        log "no cluster in $CLUSTER_DIR (start one with: scripts/cluster.sh start)"
        return 1
    fi
    # shellcheck disable=SC1090
    source "$STATE"
}

save() {  # NAME VALUE: one line of the state file, replaced if present
    local name="$1" value="$2"
    touch "$STATE"
    grep -v "^export $name=" "$STATE" >"$STATE.new" || true
    printf 'export %s=%q\n' "$name" "$value" >>"$STATE.new"
    mv "$STATE.new" "$STATE"
    export "$name=$value"
}

# -- the parts -------------------------------------------------------------------

pg_start() {  # primary|replica
    local which="$1" port
    port="$([[ "$which" == primary ]] && echo "$PG_PRIMARY_PORT" || echo "$PG_REPLICA_PORT")"
    as_pg "$(pg_bindir)/pg_ctl" -D "$CLUSTER_DIR/pg-$which" -l "$CLUSTER_DIR/pg-$which.log" -w -t 60 \
        -o "-k $CLUSTER_DIR -p $port -c listen_addresses=127.0.0.1" start >/dev/null
}

pg_stop() {  # primary|replica [mode]
    local which="$1" mode="${2:-fast}"
    if [[ -f "$CLUSTER_DIR/pg-$which/postmaster.pid" ]]; then
        as_pg "$(pg_bindir)/pg_ctl" -D "$CLUSTER_DIR/pg-$which" -m "$mode" -w -t 60 stop >/dev/null 2>&1 \
            || log "pg_ctl stop ($which) failed"
    fi
}

redis_start() {
    # A simple command in the background: $! is the server itself (setsid execs it).
    setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$CLUSTER_DIR" \
        --logfile "$CLUSTER_DIR/redis.log" </dev/null >/dev/null 2>&1 &
    local pid=$!
    echo "$pid" >"$CLUSTER_DIR/redis.pid"
    for _ in $(seq 1 80); do
        pid_alive "$pid" || break
        if [[ "$(redis-cli -p "$REDIS_PORT" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')" == "$pid" ]]; then
            return 0
        fi
        sleep 0.1
    done
    log "redis-server did not start"; return 1
}

redis_stop() {
    local pid
    pid="$(cat "$CLUSTER_DIR/redis.pid" 2>/dev/null || true)"
    if pid_alive "$pid"; then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.05; done
        if pid_alive "$pid"; then kill -KILL "$pid"; sleep 0.2; fi
    fi
}

app_start() {  # N
    local n="$1" port
    port="$([[ "$n" == 1 ]] && echo "$APP1_PORT" || echo "$APP2_PORT")"
    # Its own session: kill-app stops the master and its workers at once (kill -9 -PGID).
    # (setsid execs gunicorn: $! is the master, the leader of its own process group.)
    GUNICORN_BIND="127.0.0.1:$port" setsid "$PROJECT/.venv/bin/gunicorn" --access-logfile /dev/null \
        </dev/null >>"$CLUSTER_DIR/gunicorn-$n.log" 2>&1 &
    echo $! >"$CLUSTER_DIR/gunicorn-$n.pid"
    if ! wait_http "http://127.0.0.1:$port/healthz" 60; then
        log "gunicorn $n did not answer on 127.0.0.1:$port:"; tail -n 30 "$CLUSTER_DIR/gunicorn-$n.log" >&2
        return 1
    fi
}

app_stop() {  # N [signal]
    local n="$1" signal="${2:-TERM}" pid
    pid="$(cat "$CLUSTER_DIR/gunicorn-$n.pid" 2>/dev/null || true)"
    if pid_alive "$pid"; then
        kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true
        for _ in $(seq 1 600); do pid_alive "$pid" || break; sleep 0.05; done
        if pid_alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
    fi
}

nginx_start() {
    mkdir -p "$CLUSTER_DIR/nginx"
    sed -e "s#@PREFIX@#$CLUSTER_DIR/nginx#g" -e "s#@PORT@#$CLUSTER_PORT#g" \
        -e "s#@APP1@#127.0.0.1:$APP1_PORT#g" -e "s#@APP2@#127.0.0.1:$APP2_PORT#g" \
        deploy/nginx-cluster.conf >"$CLUSTER_DIR/nginx/nginx.conf"
    setsid nginx -p "$CLUSTER_DIR/nginx" -c "$CLUSTER_DIR/nginx/nginx.conf" </dev/null >"$CLUSTER_DIR/nginx/stderr.log" 2>&1 &
    echo $! >"$CLUSTER_DIR/nginx.pid"
    if ! wait_http "http://127.0.0.1:$CLUSTER_PORT/healthz" 20; then
        log "nginx did not answer:"; cat "$CLUSTER_DIR/nginx/stderr.log" "$CLUSTER_DIR/nginx/error.log" >&2 || true
        return 1
    fi
}

nginx_stop() {
    local pid
    pid="$(cat "$CLUSTER_DIR/nginx.pid" 2>/dev/null || true)"
    if pid_alive "$pid"; then
        kill -QUIT "$pid"
        for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.05; done
        if pid_alive "$pid"; then kill -KILL "$pid"; fi
    fi
}

# -- the commands ----------------------------------------------------------------

cmd_stop() {
    [[ -d "$CLUSTER_DIR" ]] || { log "nothing to stop in $CLUSTER_DIR"; return 0; }
    if [[ -f "$STATE" ]]; then
        # shellcheck disable=SC1090
        source "$STATE"
    fi
    nginx_stop
    app_stop 1
    app_stop 2
    redis_stop
    pg_stop replica immediate
    pg_stop primary fast
    if [[ "${CLUSTER_KEEP:-0}" == 1 ]]; then
        log "stopped; folder kept: $CLUSTER_DIR"
    else
        rm -rf "$CLUSTER_DIR"
        log "stopped and removed $CLUSTER_DIR"
    fi
}

cmd_start() {
    if [[ -f "$STATE" ]]; then
        log "a cluster is already there ($STATE): scripts/cluster.sh stop first"
        return 1
    fi
    for program in nginx redis-server redis-cli; do
        command -v "$program" >/dev/null || { log "$program is not installed (Debian: apt-get install nginx redis-server)"; return 1; }
    done
    [[ -x "$PROJECT/.venv/bin/gunicorn" ]] || { log ".venv/bin/gunicorn is missing: make venv"; return 1; }
    if [[ "$(id -u)" -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        log "running as root but there is no 'postgres' system user to run PostgreSQL"; return 1
    fi
    local bindir
    bindir="$(pg_bindir)"
    mkdir -p "$CLUSTER_DIR"
    chmod 0755 "$CLUSTER_DIR"
    [[ "$(id -u)" -eq 0 ]] && chown postgres: "$CLUSTER_DIR"
    trap 'log "start failed: stopping what was started"; cmd_stop' ERR

    save PG_PRIMARY_PORT "$(free_port)"
    save PG_REPLICA_PORT "$(free_port)"
    save REDIS_PORT "$(free_port)"
    save APP1_PORT "$(free_port)"
    save APP2_PORT "$(free_port)"
    save CLUSTER_PORT "${CLUSTER_PORT:-$(free_port)}"

    # PostgreSQL primary: WAL for a streaming replica. Throw-away: fsync off.
    log "PostgreSQL primary on 127.0.0.1:$PG_PRIMARY_PORT"
    as_pg "$bindir/initdb" -D "$CLUSTER_DIR/pg-primary" -U postgres -A trust -E UTF8 --no-locale --no-sync \
        --no-instructions >"$CLUSTER_DIR/initdb.log" 2>&1
    cat >>"$CLUSTER_DIR/pg-primary/postgresql.conf" <<CONF
wal_level = replica
max_wal_senders = 5
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
fsync = off
synchronous_commit = off
full_page_writes = on
CONF
    pg_start primary
    as_pg "$bindir/createdb" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres artisanat

    # The replica: a base backup of the primary with its standby.signal and
    # primary_conninfo (-R), streaming the WAL as it comes; read-only (hot standby).
    log "PostgreSQL streaming replica on 127.0.0.1:$PG_REPLICA_PORT"
    as_pg "$bindir/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$CLUSTER_DIR/pg-replica" \
        -R -X stream --checkpoint=fast
    pg_start replica

    log "redis-server on 127.0.0.1:$REDIS_PORT (no persistence)"
    redis_start

    save DATABASE_URL "postgres://postgres@127.0.0.1:$PG_PRIMARY_PORT/artisanat"
    save DATABASE_REPLICA_URL "postgres://postgres@127.0.0.1:$PG_REPLICA_PORT/artisanat"
    save REDIS_URL "redis://127.0.0.1:$REDIS_PORT/0"
    # The production profile over plain HTTP on the loopback (as scripts/soak.sh).
    save DJANGO_DEBUG 0
    save DJANGO_SECRET_KEY "cluster-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    save DJANGO_ALLOWED_HOSTS "127.0.0.1,localhost"
    save DJANGO_SSL_REDIRECT 0
    save DJANGO_SECURE_COOKIES 0
    save DJANGO_LOG_LEVEL WARNING
    save ARTISANAT_TRUSTED_PROXIES 127.0.0.1
    save ARTISANAT_API_THROTTLE_USER "${ARTISANAT_API_THROTTLE_USER:-1000000/hour}"
    save ARTISANAT_API_THROTTLE_BULK "${ARTISANAT_API_THROTTLE_BULK:-1000000/hour}"
    save ARTISANAT_API_THROTTLE_ANON "${ARTISANAT_API_THROTTLE_ANON:-1000000/hour}"
    save DJANGO_DB_CONNECT_TIMEOUT 2
    save GUNICORN_WORKERS "${CLUSTER_WORKERS:-2}"
    save GUNICORN_LOG_LEVEL WARNING
    save DEMO_PASSWORD "${DEMO_PASSWORD:-cluster-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}"

    log "migrate, load_strategy, seed_demo, collectstatic"
    "$PY" manage.py migrate --noinput >"$CLUSTER_DIR/migrate.log"
    "$PY" manage.py load_strategy >"$CLUSTER_DIR/load.log"
    "$PY" manage.py seed_demo >"$CLUSTER_DIR/seed.log"
    # The project's collected static files (STATIC_ROOT, as make soak), collected again
    # only when a file of static/ or requirements.txt is newer than their manifest.
    local manifest="${DJANGO_STATIC_ROOT:-$PROJECT/staticfiles}/staticfiles.json"
    if [[ ! -f "$manifest" || -n "$(find static requirements.txt -newer "$manifest" -print -quit)" ]]; then
        "$PY" manage.py collectstatic --noinput -v 0
    fi

    log "gunicorn A on 127.0.0.1:$APP1_PORT, gunicorn B on 127.0.0.1:$APP2_PORT ($GUNICORN_WORKERS workers each)"
    app_start 1
    app_start 2
    log "nginx on 127.0.0.1:$CLUSTER_PORT"
    nginx_start
    save CLUSTER_URL "http://127.0.0.1:$CLUSTER_PORT"
    trap - ERR
    log "ready: $CLUSTER_URL (demo accounts: password in $STATE, DEMO_PASSWORD)"
    echo "$CLUSTER_URL"
}

cmd_status() {
    load_state
    local status=0
    for part in "nginx:$(cat "$CLUSTER_DIR/nginx.pid" 2>/dev/null)" "gunicorn-1:$(cat "$CLUSTER_DIR/gunicorn-1.pid" 2>/dev/null)" \
        "gunicorn-2:$(cat "$CLUSTER_DIR/gunicorn-2.pid" 2>/dev/null)" "redis:$(cat "$CLUSTER_DIR/redis.pid" 2>/dev/null)"; do
        if pid_alive "${part#*:}"; then echo "${part%%:*}: up (pid ${part#*:})"; else echo "${part%%:*}: DOWN"; status=1; fi
    done
    for which in primary replica; do
        if as_pg "$(pg_bindir)/pg_ctl" -D "$CLUSTER_DIR/pg-$which" status >/dev/null 2>&1; then
            echo "postgresql-$which: up"
        else
            echo "postgresql-$which: DOWN"; status=1
        fi
    done
    local lag
    lag="$(as_pg "$(pg_bindir)/psql" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -Atqc \
        "SELECT coalesce(max(replay_lag)::text, 'no replica streaming') FROM pg_stat_replication" 2>/dev/null || echo '?')"
    echo "replication: replay lag $lag"
    echo "url: $CLUSTER_URL"
    return "$status"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    kill-app) load_state; app_stop "${2:?N}" KILL ;;
    start-app) load_state; app_start "${2:?N}" ;;
    stop-replica) load_state; pg_stop replica fast ;;
    start-replica) load_state; pg_start replica ;;
    restart-redis) load_state; redis_stop; redis_start ;;
    *)
        echo "usage: scripts/cluster.sh start|stop|status|kill-app N|start-app N|stop-replica|start-replica|restart-redis" >&2
        exit 2
        ;;
esac
