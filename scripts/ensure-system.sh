#!/usr/bin/env bash
# Make sure what Terrain needs from the system is installed and running, on a
# Debian/Ubuntu machine, as root (or through sudo). Installs only what is missing.
#   ensure-system.sh            PostgreSQL+PostGIS, GDAL, Redis, Node.js
#   ensure-system.sh --browser  also Debian's chromium, for the browser tests
# The Makefile sets LOCAL_DB / LOCAL_REDIS when no DATABASE_URL / REDIS_URL was
# given; otherwise those servers are someone else's and are left alone.
set -euo pipefail

want_browser=0
[[ "${1:-}" == "--browser" ]] && want_browser=1

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

missing=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

pg_version() { ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1; }

if [[ -n "${LOCAL_DB:-}" ]]; then
  if [[ -z "$(pg_version)" ]]; then
    missing+=(postgresql postgis)
  else
    have_pkg "postgresql-$(pg_version)-postgis-3" || missing+=("postgresql-$(pg_version)-postgis-3")
  fi
fi
have_pkg gdal-bin || missing+=(gdal-bin)
if [[ -n "${LOCAL_REDIS:-}" ]] && ! command -v redis-server >/dev/null; then missing+=(redis-server); fi
command -v npm >/dev/null || missing+=(nodejs npm)
python3 -c "import ensurepip" 2>/dev/null || missing+=(python3-venv)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v msgfmt >/dev/null || missing+=(gettext)
# Printable turf maps (crm/field/printable.py) are drawn with DejaVu Sans.
have_pkg fonts-dejavu-core || missing+=(fonts-dejavu-core)
if [[ $want_browser -eq 1 ]]; then
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
fi

if (( ${#missing[@]} )); then
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ -n "${LOCAL_DB:-}" ]]; then
  if ! pg_isready -q -h localhost -p 5432; then
    echo "Starting PostgreSQL"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main start || $SUDO service postgresql start
    for _ in $(seq 30); do pg_isready -q -h localhost -p 5432 && break; sleep 1; done
  fi
fi
if [[ -n "${LOCAL_REDIS:-}" ]]; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "Starting Redis"
    $SUDO mkdir -p /var/lib/redis /var/log/redis
    $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir /var/lib/redis \
      --logfile /var/log/redis/terrain.log
    for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
fi
