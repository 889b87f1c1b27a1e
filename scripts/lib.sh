# Shared steps of ./scripts/serve and ./scripts/test: system packages, virtualenv, PostGIS.
# Sourced, not run. Everything it makes lives under the project (.venv/, instance/).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
INSTANCE="$ROOT/instance"
PGDATA="$INSTANCE/pgdata"
PGSOCK="$INSTANCE/pgsocket"
PGLOG="$INSTANCE/postgres.log"
PG_SUPERUSER="raumfinder"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root to run: $* (install it by hand or run as root)"; fi
}

APT_UPDATED=""
apt_install() {
    # Install Debian packages that are missing; apt-get update once per run.
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
    say "installing Debian packages: ${missing[*]}"
    if [ -z "$APT_UPDATED" ]; then as_root apt-get update -q; APT_UPDATED=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && echo "$dir"
}

ensure_system() {
    # Python with venv and, unless DATABASE_URL points elsewhere, PostgreSQL with PostGIS and pgRouting.
    local pkgs=(python3 python3-venv python3-pip ca-certificates)
    if [ -z "${DATABASE_URL:-}" ]; then
        pkgs+=(postgresql postgresql-contrib)
        local bindir; bindir=$(pg_bindir || true)
        if [ -n "$bindir" ]; then
            local major; major=$(basename "$(dirname "$bindir")")
            pkgs+=("postgresql-$major-postgis-3" "postgresql-$major-pgrouting")
        else
            pkgs+=(postgis)
        fi
    fi
    pkgs+=("$@")
    if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
        return 0  # not ours to install; later steps say what is missing
    fi
    apt_install "${pkgs[@]}"
    # 'postgis' may have pulled in a PostgreSQL major version without its postgis package.
    if [ -z "${DATABASE_URL:-}" ]; then
        local major; major=$(basename "$(dirname "$(pg_bindir)")")
        apt_install "postgresql-$major-postgis-3" "postgresql-$major-pgrouting"
    fi
}

ensure_venv() {
    # A project-local virtualenv with exactly the versions in requirements.lock (hashes checked), then the
    # project itself; reinstalled when pyproject.toml or the lock file changes. Regenerate the lock with
    # pip-tools (.venv/bin/pip install pip-tools):
    #   .venv/bin/pip-compile --extra test --generate-hashes --strip-extras --allow-unsafe -o requirements.lock pyproject.toml
    local stamp="$VENV/.installed" want
    want=$(cat "$ROOT/pyproject.toml" "$ROOT/requirements.lock" | sha256sum | cut -d' ' -f1)
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating virtualenv in .venv"
        python3 -m venv "$VENV"
    fi
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        say "installing Python packages (requirements.lock)"
        "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
        "$VENV/bin/pip" install -q --disable-pip-version-check --require-hashes -r "$ROOT/requirements.lock"
        "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e "$ROOT"
        echo "$want" > "$stamp"
    fi
}

# The unprivileged account that owns the project-local cluster (PostgreSQL refuses root).
pg_owner() {
    if [ "$(id -u)" = 0 ]; then
        id -u postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
        echo postgres
    else
        id -un
    fi
}

as_pg_owner() {
    local owner; owner=$(pg_owner)
    if [ "$owner" = "$(id -un)" ]; then "$@"; else (cd "$INSTANCE" && runuser -u "$owner" -- "$@"); fi
}

local_database_url() {
    echo "postgresql+psycopg://$PG_SUPERUSER@/$1?host=$PGSOCK"
}

start_local_postgres() {
    # Start (creating on first use) the cluster in instance/pgdata; listens on a unix socket only.
    local bindir owner
    bindir=$(pg_bindir) || die "PostgreSQL is not installed (apt-get install postgresql postgis)"
    owner=$(pg_owner)
    mkdir -p "$INSTANCE"
    # The owner must be able to reach instance/: open closed parent directories for traversal only.
    if [ "$owner" != "$(id -un)" ]; then
        local dir="$INSTANCE"
        while [ "$dir" != "/" ]; do
            if ! runuser -u "$owner" -- test -x "$dir"; then
                say "letting $owner traverse $dir (chmod o+x) to reach the cluster"
                chmod o+x "$dir"
            fi
            dir=$(dirname "$dir")
        done
    fi
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        say "creating a project-local PostgreSQL cluster in instance/pgdata"
        rm -rf "$PGDATA"  # what a failed earlier initdb left behind
        mkdir -p "$PGDATA" "$PGSOCK"
        chown "$owner" "$PGDATA" "$PGSOCK"
        chmod 700 "$PGDATA"
        # The socket directory is the only way in: local connections are trusted, no TCP port is opened.
        as_pg_owner "$bindir/initdb" -D "$PGDATA" -U "$PG_SUPERUSER" --auth=trust -E UTF8 \
            --locale=C.UTF-8 >/dev/null
        cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$PGSOCK'
unix_socket_permissions = 0770
fsync = on
jit = off
max_connections = 100
shared_buffers = 256MB
CONF
    fi
    chown "$owner" "$PGSOCK"
    if as_pg_owner "$bindir/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        STARTED_POSTGRES=""
        return 0
    fi
    touch "$PGLOG" && chown "$owner" "$PGLOG"
    say "starting PostgreSQL (socket in instance/pgsocket)"
    as_pg_owner "$bindir/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start >/dev/null \
        || { tail -n 20 "$PGLOG" >&2; die "PostgreSQL did not start (log: instance/postgres.log)"; }
    STARTED_POSTGRES=1
}

stop_local_postgres() {
    # Stop the cluster if this run started it.
    [ -n "${STARTED_POSTGRES:-}" ] || return 0
    say "stopping PostgreSQL"
    as_pg_owner "$(pg_bindir)/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true
}

ensure_local_database() {
    # Create database $1 in the local cluster if it does not exist.
    local bindir; bindir=$(pg_bindir)
    if ! "$bindir/psql" -h "$PGSOCK" -U "$PG_SUPERUSER" -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1; then
        "$bindir/createdb" -h "$PGSOCK" -U "$PG_SUPERUSER" "$1"
    fi
}
