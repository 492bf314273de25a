#!/usr/bin/env bash
# The README's test command: installs what is missing, fetches the default model (tests
# check parity against it), builds, and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/fetch-model.sh --quiet >/dev/null
swift build --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
# Swift Testing is off: the suite is XCTest, and an empty Swift Testing run would close the log.
swift test --skip-build --disable-swift-testing 2>&1 | tee .build/test.log | grep -vE "^Test Case .* (started|passed)" 
exit "${PIPESTATUS[0]}"
