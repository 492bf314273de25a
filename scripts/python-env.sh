#!/usr/bin/env bash
# Creates or updates the Python venv used by fixtures and peer benchmarks (never a runtime or test
# dependency of anglevec) at ${ANGLEVEC_HOME:-~/.cache/anglevec}/venv from benchmarks/requirements.txt
# (which includes Tests/Fixtures/requirements.txt; torch CPU resolves from pip's find-links).
# Idempotent and quiet when up to date: a stamp holds the requirements' sha256.
# Prints the venv's python on stdout:  PY=$(bash scripts/python-env.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
HOME_DIR="${ANGLEVEC_HOME:-$HOME/.cache/anglevec}"
VENV="$HOME_DIR/venv"
REQS=(benchmarks/requirements.txt Tests/Fixtures/requirements.txt)
STAMP="$VENV/.anglevec-requirements.sha256"
HASH=$(cat "${REQS[@]}" | sha256sum | cut -d' ' -f1)

if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$HASH" ]]; then
    echo "$VENV/bin/python"; exit 0
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "python-env: creating $VENV" >&2
    mkdir -p "$HOME_DIR"
    python3 -m venv "$VENV" || { echo "python-env: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
fi
echo "python-env: installing benchmarks/requirements.txt into $VENV" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r benchmarks/requirements.txt >&2
echo "$HASH" > "$STAMP"
echo "$VENV/bin/python"
