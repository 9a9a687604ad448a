#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine, then runs every check CI runs:
# formatting, clippy, unit tests, and the end-to-end tests on SQLite and on PostgreSQL.
#
#   ./scripts/test.sh
#
# Needs root (or sudo) for apt-get the first time. PostgreSQL is expected on 127.0.0.1:5432
# with trust authentication (override with TEST_POSTGRES_URL); if it is installed
# but stopped, it is started.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "system packages"
packages=(sshpass openssh-client openssh-server chromium chromium-driver python3-pip lftp curl)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

step "python packages"
python3 -m pip install -q --disable-pip-version-check -r tests/requirements.txt 2>&1 \
  | grep -v "Running pip as the 'root' user" || true

step "postgresql"
postgres_url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  fi
fi
pg_isready -h 127.0.0.1 -p 5432

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build"
cargo build --workspace --all-targets --locked

step "tests on SQLite"
env -u TEST_POSTGRES_URL cargo test --workspace --locked

step "store and end-to-end tests on PostgreSQL"
# Each test makes its own database; drop those earlier runs left behind.
for db in $(psql "$postgres_url" -Atc "select datname from pg_database where datname like 'gatehouse_test_%'"); do
  psql "$postgres_url" -qc "drop database if exists $db" || true
done
# The whole workspace again (the same feature set as above, so nothing is rebuilt); the
# store and end-to-end tests are the ones that switch to PostgreSQL.
TEST_POSTGRES_URL="$postgres_url" cargo test --workspace --locked
