#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh machine (Python ≥ 3.11, Node, apt):
# the virtualenv with the dev extra, the npm dev tools, Debian's Chromium for the browser tests, and a running
# PostgreSQL at 127.0.0.1:5432 (the database tests run on SQLite and on PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# exactly the versions the tests passed with (constraints.txt, as `caretaker run`'s command)
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"

# The phone code's type check (TypeScript over the service worker's JavaScript) and the
# phone side of the parity tests (fake-indexeddb) come from npm, pinned by package-lock.json.
npm ci --silent --no-audit --no-fund

if ! command -v chromium >/dev/null 2>&1; then
  echo "prepare: installing Debian's chromium for the browser tests"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

# The monthly report's PDF (WeasyPrint) lays text out with Pango and needs a font with
# Chinese characters, whether or not Chromium was already there.
if [ -z "$(fc-list :lang=zh 2>/dev/null)" ] \
   || ! .venv/bin/python -c "import weasyprint" >/dev/null 2>&1; then
  echo "prepare: installing Pango and the Noto CJK fonts for the report's PDF"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libpangoft2-1.0-0 fontconfig \
    fonts-noto-cjk >/dev/null
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "prepare: starting PostgreSQL"
  if [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432 || { echo "prepare: PostgreSQL is not running" >&2; exit 1; }
fi
echo "prepare: ready"
