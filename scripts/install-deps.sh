#!/usr/bin/env bash
# Installs the Debian packages anglevec builds against; quiet and quick when all are present.
set -euo pipefail
PACKAGES=(libopenblas-dev libdnnl-dev liblmdb-dev libsentencepiece-dev unzip python3-venv)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}" >&2
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
