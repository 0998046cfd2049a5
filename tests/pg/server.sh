# tests/pg/server.sh -- a PostgreSQL server of our own, for tests/pg/run and
# tests/bench/pg (sourced by both; bash).
#
#   pg_find                 PG_CONFIG (default: pg_config on PATH, else
#                           Debian's PostgreSQL 15) -> PG_BINDIR, PG_SHAREDIR,
#                           PG_PKGLIBDIR, PG_REGRESS; 1 and a message if missing
#   pg_install TMP LIBDIR LOG
#                           build engine/pg against the leeway library in
#                           LIBDIR and install it into a private copy of the
#                           server's installation under TMP/inst: `make
#                           install DESTDIR=`, then postgres and initdb are
#                           copied there and everything else of the server is
#                           linked. The server finds its share and lib
#                           directories relative to its own program (as
#                           PostgreSQL's own temporary installations do), so
#                           nothing is written into the system's PostgreSQL
#                           directories and no root is needed (PostgreSQL 15
#                           has no extension_control_path).
#   pg_start TMP PLAYBOOK_DIR LOG [CONF-LINE...]
#                           initdb TMP/data and start the server on a unix
#                           socket in TMP/sock (no TCP) as an unprivileged
#                           user -- nobody when run as root, since postgres
#                           refuses root -- with leeway.playbook_dir set.
#                           Sets PG_PID, PG_SOCK, PG_PORT, PG_AS_USER (the
#                           command prefix that runs as that user); the
#                           server log is TMP/server.log.
#   pg_psql ARGS...         psql on that server as the superuser postgres
#   pg_stop                 stop the server by its PID (SIGINT: fast
#                           shutdown) and wait up to 60 s; 1 if it did not stop

pg_find() {
    PG_CONFIG=${PG_CONFIG:-$(command -v pg_config || echo /usr/lib/postgresql/15/bin/pg_config)}
    if [ ! -x "$PG_CONFIG" ]; then
        echo "no pg_config: install postgresql-15 and postgresql-server-dev-15 (see the README)"
        return 1
    fi
    PG_BINDIR=$("$PG_CONFIG" --bindir)
    PG_SHAREDIR=$("$PG_CONFIG" --sharedir)
    PG_PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
    PG_REGRESS=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress
    local p
    for p in "$PG_BINDIR/postgres" "$PG_BINDIR/initdb" "$PG_BINDIR/psql" "$PG_REGRESS"; do
        if [ ! -x "$p" ]; then
            echo "$p is missing: install postgresql-15 and postgresql-server-dev-15"
            return 1
        fi
    done
}

pg_install() {   # tmp libdir log
    local tmp=$1 libdir=$2 log=$3 f dest
    make -C engine/pg clean PG_CONFIG="$PG_CONFIG" >"$log" 2>&1 &&
        make -C engine/pg LEEWAY_LIB="$libdir" PG_CONFIG="$PG_CONFIG" >>"$log" 2>&1 &&
        make -C engine/pg install LEEWAY_LIB="$libdir" PG_CONFIG="$PG_CONFIG" \
            DESTDIR="$tmp/inst" >>"$log" 2>&1 || return 1
    mkdir -p "$tmp/inst$PG_BINDIR" "$tmp/inst$PG_SHAREDIR/extension" "$tmp/inst$PG_PKGLIBDIR"
    cp "$PG_BINDIR/postgres" "$PG_BINDIR/initdb" "$tmp/inst$PG_BINDIR/" || return 1
    for f in "$PG_SHAREDIR"/*; do
        [ "$(basename "$f")" = extension ] || ln -s "$f" "$tmp/inst$PG_SHAREDIR/"
    done
    # (the extension's JIT bitcode, when PGXS builds it, goes beside the
    # server's own in lib/bitcode)
    for f in "$PG_SHAREDIR"/extension/* "$PG_PKGLIBDIR"/* "$PG_PKGLIBDIR"/bitcode/*; do
        [ -e "$f" ] || continue
        dest="$tmp/inst${f%/*}/$(basename "$f")"
        [ -e "$dest" ] || ln -s "$f" "$dest" || return 1
    done
}

pg_start() {   # tmp playbook_dir log [conf-line...]
    local tmp=$1 dir=$2 log=$3
    shift 3
    PG_AS_USER=()
    if [ "$(id -u)" = 0 ]; then
        chown -R nobody "$tmp"
        PG_AS_USER=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --)
    fi
    PG_SOCK=$tmp/sock
    PG_PORT=54329
    mkdir -p "$PG_SOCK" && chmod 700 "$PG_SOCK"
    [ "$(id -u)" = 0 ] && chown nobody "$PG_SOCK"
    if ! HOME=$tmp timeout 120 "${PG_AS_USER[@]}" "$tmp/inst$PG_BINDIR/initdb" -D "$tmp/data" \
        -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$log" 2>&1; then
        echo "initdb failed: $log"
        return 1
    fi
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$PG_SOCK'"
        echo "port = $PG_PORT"
        echo "leeway.playbook_dir = '$dir'"
        local line
        for line in "$@"; do echo "$line"; done
    } >>"$tmp/data/postgresql.conf"
    HOME=$tmp "${PG_AS_USER[@]}" "$tmp/inst$PG_BINDIR/postgres" -D "$tmp/data" \
        >"$tmp/server.log" 2>&1 &
    PG_PID=$!
    local i
    for i in $(seq 1 300); do
        "$PG_BINDIR/pg_isready" -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres && return 0
        kill -0 "$PG_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "the server did not start (log: $tmp/server.log)"
    return 1
}

pg_psql() {
    "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres "$@"
}

pg_stop() {
    [ -n "${PG_PID:-}" ] || return 0
    kill -INT "$PG_PID" 2>/dev/null
    local i
    for i in $(seq 1 600); do
        if ! kill -0 "$PG_PID" 2>/dev/null; then
            wait "$PG_PID" 2>/dev/null
            PG_PID=
            return 0
        fi
        sleep 0.1
    done
    return 1
}
