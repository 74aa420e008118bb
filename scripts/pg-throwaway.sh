# shellcheck shell=bash
# A throw-away PostgreSQL server for tests and benchmarks. Source this file, then:
#
#   pg_throwaway_start [DBNAME]   # default DBNAME: artisanat
#   trap pg_throwaway_stop EXIT   # always stop it and remove its folder
#   DATABASE_URL=$PG_URL ...
#
# pg_throwaway_start sets:
#   PG_TMPDIR   the temporary folder (data directory, socket, server log)
#   PG_PORT     the TCP port it listens on (127.0.0.1 only)
#   PG_VERSION  the server's version, e.g. 15.14
#   PG_URL      postgres://postgres@127.0.0.1:PORT/DBNAME (trust authentication)
#
# Settings: PG_BIN (default /usr/lib/postgresql/15/bin, else `pg_config --bindir`).
# The server runs with fsync and synchronous commit off: fast, and worthless after a
# crash, which is the point of a throw-away server. As root, it runs as the `postgres`
# system user (PostgreSQL refuses to run as root).

PG_TMPDIR=""
PG_PORT=""
PG_VERSION=""
PG_URL=""

_pg_log() {
    echo "pg-throwaway: $*" >&2
}

# Finds the directory holding initdb and pg_ctl; prints it.
pg_throwaway_bindir() {
    local candidate="${PG_BIN:-/usr/lib/postgresql/15/bin}"
    if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
        echo "$candidate"
        return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        candidate="$(pg_config --bindir)"
        if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
            echo "$candidate"
            return 0
        fi
    fi
    _pg_log "initdb/pg_ctl not found in ${PG_BIN:-/usr/lib/postgresql/15/bin} nor via pg_config; install PostgreSQL (apt-get install postgresql) or set PG_BIN."
    return 1
}

# Runs a PostgreSQL program as the server's owner: `postgres` when we are root.
_pg_as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd "$PG_TMPDIR" && runuser -u postgres -- "$@")
    else
        (cd "$PG_TMPDIR" && "$@")
    fi
}

_pg_free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

pg_throwaway_start() {
    local dbname="${1:-artisanat}"
    local bindir
    bindir="$(pg_throwaway_bindir)" || return 1
    if [[ "$(id -u)" -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        _pg_log "running as root but there is no 'postgres' system user to run the server."
        return 1
    fi

    PG_TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/artisanat-pg.XXXXXX")"
    if [[ "$(id -u)" -eq 0 ]]; then
        chown postgres: "$PG_TMPDIR"
    fi
    chmod 0700 "$PG_TMPDIR"
    PG_PORT="$(_pg_free_port)"

    if ! _pg_as_owner "$bindir/initdb" -D "$PG_TMPDIR/data" -U postgres -A trust -E UTF8 --no-locale \
        --no-sync --no-instructions >"$PG_TMPDIR/initdb.log" 2>&1; then
        _pg_log "initdb failed:"
        cat "$PG_TMPDIR/initdb.log" >&2
        return 1
    fi
    if ! _pg_as_owner "$bindir/pg_ctl" -D "$PG_TMPDIR/data" -l "$PG_TMPDIR/server.log" -w -t 60 \
        -o "-k $PG_TMPDIR -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null; then
        _pg_log "the server did not start; its log:"
        cat "$PG_TMPDIR/server.log" >&2 || true
        return 1
    fi
    if ! _pg_as_owner "$bindir/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$dbname"; then
        _pg_log "createdb $dbname failed."
        return 1
    fi
    PG_VERSION="$(_pg_as_owner "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$dbname" -Atqc 'SHOW server_version')"
    PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/$dbname"
    _pg_log "PostgreSQL $PG_VERSION listening on 127.0.0.1:$PG_PORT (folder $PG_TMPDIR)"
}

# Stops the server (if running) and removes its folder. Safe to call twice, and
# after a start that failed half-way.
pg_throwaway_stop() {
    [[ -n "$PG_TMPDIR" ]] || return 0
    local bindir
    if [[ -f "$PG_TMPDIR/data/postmaster.pid" ]] && bindir="$(pg_throwaway_bindir 2>/dev/null)"; then
        _pg_as_owner "$bindir/pg_ctl" -D "$PG_TMPDIR/data" -m immediate -w -t 60 stop >/dev/null 2>&1 \
            || _pg_log "pg_ctl stop failed (folder $PG_TMPDIR)"
    fi
    rm -rf "$PG_TMPDIR"
    _pg_log "stopped the server on port ${PG_PORT:-?} and removed $PG_TMPDIR"
    PG_TMPDIR=""
}
