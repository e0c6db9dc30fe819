#!/usr/bin/env bash
# What the test suite needs from Debian: Chromium for the browser tests, Node to run the gate's
# JavaScript rules against the Python ones, and PostgreSQL and Redis servers when none is configured
# (DATABASE_URL / REDIS_URL) or answering on the usual ports.
set -euo pipefail
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need=()
[ -x /usr/bin/chromium ] || need+=(chromium fonts-noto-core)
command -v node >/dev/null || need+=(nodejs)
if [ -z "${DATABASE_URL:-}" ] && ! answers 5432 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ -z "${REDIS_URL:-}" ] && ! answers 6379 && ! command -v redis-server >/dev/null; then
  need+=(redis-server)
fi
[ ${#need[@]} -eq 0 ] && exit 0

echo "Installing from Debian: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
