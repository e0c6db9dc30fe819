#!/usr/bin/env bash
# Create .venv/ and install a requirements file into it; does nothing when already done for the
# same file contents, so a second `make run` starts at once.
set -euo pipefail
req="$1"
cd "$(dirname "$0")/.."
python="${PYTHON:-python3.11}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv || {
    echo "Creating the virtualenv failed; on Debian: apt-get install python3-venv" >&2; exit 1; }
fi
stamp=".venv/.installed-$(basename "$req")-$(cat requirements*.txt | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$req"
  rm -f .venv/.installed-"$(basename "$req")"-*
  touch "$stamp"
fi
