#!/usr/bin/env bash
# Regenerates every numeric fixture from the reference Python stack (transformers,
# sentence-transformers, angle-emb; pinned in requirements.txt). Tests never run Python: the
# output is committed. Needs the default model (scripts/fetch-model.sh).
set -euo pipefail
cd "$(dirname "$0")"
PY=$(bash ../../scripts/python-env.sh)
"$PY" make_tokenizer_fixtures.py
"$PY" make_encoder_fixtures.py
"$PY" make_training_fixtures.py
"$PY" index/make_fixture.py
