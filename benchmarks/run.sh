#!/usr/bin/env bash
# Runs the benchmark cases serially on this machine and renders benchmarks/RESULTS.md.
#   bash benchmarks/run.sh [embed|index|store|coarse|train|quality|all] [--quick]
# Installs what is missing (Debian packages, the Python venv of peers, the default model), builds
# the Swift benchmark binaries in release mode, builds the evaluation data once (benchmarks/data/,
# cached, not counted in the cases' times; the ANN vectors are embedded by the anglevec just built),
# then runs each case as `python benchmarks/cases/<mode>.py`.
# A case that fails, times out or is not written yet is recorded as such in RESULTS.md, never skipped
# silently. Cases never run concurrently (timing numbers would be meaningless).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ALL=(embed index store coarse train quality)
MODE=all; QUICK=""
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK="--quick" ;;
        all|embed|index|store|coarse|train|quality) MODE="$arg" ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument '$arg' (modes: ${ALL[*]} all; --quick)" >&2; exit 1 ;;
    esac
done
if [[ $MODE == all ]]; then CASES=("${ALL[@]}"); else CASES=("$MODE"); fi
OUT="$ROOT/benchmarks/out"; mkdir -p "$OUT" "$ROOT/benchmarks/plots"
STATUS="$OUT/run-status.json"  # {mode: {status, seconds, reason, command, date}}, kept across runs
LOG="$OUT/run.log"; : > "$LOG"
status() {  # mode status seconds reason command
    python3 - "$STATUS" "$@" <<'PYEOF'
import json, os, sys, time
path, mode, *rest = sys.argv[1:]
data = json.load(open(path)) if os.path.exists(path) else {}
data[mode] = dict(zip(["status", "seconds", "reason", "command"], rest), date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
json.dump(data, open(path, "w"), indent=1)
PYEOF
}
say() { echo "run.sh: $*" | tee -a "$LOG" >&2; }
RUN_START=$(date +%s)
setup() {  # name command...: runs a set-up step and records its seconds as "setup:name" (rendered in RESULTS.md)
    local name=$1 t=$(date +%s) rc; shift
    "$@"; rc=$?
    status "setup:$name" "$([[ $rc == 0 ]] && echo ok || echo failed)" "$(( $(date +%s) - t ))" "$([[ $rc == 0 ]] || echo "exit $rc")" "$*"
    return $rc
}

setup install-deps bash scripts/install-deps.sh || { say "install-deps failed"; exit 1; }
t=$(date +%s)
PY=$(bash scripts/python-env.sh) || { say "python-env failed"; exit 1; }
status "setup:python-env" ok "$(( $(date +%s) - t ))" "" "bash scripts/python-env.sh"
setup fetch-model bash scripts/fetch-model.sh --quiet >/dev/null || { say "fetch-model failed"; exit 1; }
export ANGLEVEC_BENCH_THREADS=${ANGLEVEC_BENCH_THREADS:-2}

# Swift side, release mode; a failed build leaves the anglevec rows missing, with the log's tail.
for product in Bench anglevec; do
    if [[ -n ${ANGLEVEC_BENCH_SKIP_BUILD:-} ]]; then  # harness testing only: uses whatever binaries exist
        say "ANGLEVEC_BENCH_SKIP_BUILD set: not building $product"
        status "build:$product" skipped 0 "ANGLEVEC_BENCH_SKIP_BUILD was set" "swift build -c release --product $product"
        continue
    fi
    say "swift build -c release --product $product"
    if ! setup "build-$product" swift build -c release --product "$product" > "$OUT/build-$product.log" 2>&1; then
        say "build of $product failed (see benchmarks/out/build-$product.log)"
        rm -f ".build/release/$product"  # never benchmark a stale binary
        status "build:$product" failed 0 "$(grep -m1 -E 'error' "$OUT/build-$product.log" | cut -c1-200)" "swift build -c release --product $product"
    else
        status "build:$product" ok 0 "" "swift build -c release --product $product"
    fi
done

# Evaluation data: built once, cached under benchmarks/data/ (gitignored), hashes in each MANIFEST.json.
# The ANN vectors are embedded by the release anglevec built above (ann_vectors.py rebuilds a set that
# another embedder made).
[[ -f benchmarks/data/debian-pkgdesc/MANIFEST.json ]] || setup data-debian-pkgdesc nice -n 10 "$PY" benchmarks/builders/debian_pkgdesc.py || { say "debian-pkgdesc build failed"; exit 1; }
[[ -f benchmarks/data/sts/MANIFEST.json ]] || setup data-sts nice -n 10 "$PY" benchmarks/builders/graded_similarity.py || say "graded-similarity build failed (quality reports it missing)"
for c in "${CASES[@]}"; do
    if [[ $c == index || $c == coarse ]]; then
        setup "data-ann-vectors${QUICK:+-quick}" nice -n 10 "$PY" benchmarks/builders/ann_vectors.py $QUICK || say "ann vectors build failed"
        break
    fi
done

"$PY" - "$OUT/machine.json" "$MODE" "$QUICK" <<'PYEOF'
import json, sys, time
sys.path.insert(0, "benchmarks")
import common
info = common.machine()
for mod in ("numpy", "torch", "transformers", "sentence_transformers", "hnswlib", "faiss", "usearch", "rank_bm25", "matplotlib"):
    try:
        __import__(mod)
    except Exception as e:  # a missing peer is recorded, not fatal here
        info.setdefault("missing_python", []).append(f"{mod}: {e}")
info["versions"] = common.versions()
info["date"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
info["command"] = " ".join(["bash benchmarks/run.sh", sys.argv[2], sys.argv[3]]).strip()
json.dump(info, open(sys.argv[1], "w"), indent=1)
PYEOF

# The metric and BM25 code checks itself (seconds) before any number is produced with it.
for t in benchmarks/tests/test_*.py; do
    "$PY" "$t" >> "$LOG" 2>&1 || { say "$t failed: the harness itself is wrong, no numbers produced"; exit 1; }
done

if [[ -n $QUICK ]]; then LIMIT=900; else LIMIT=3600; fi  # per case, seconds: only a guard against hangs
for c in "${CASES[@]}"; do
    script="benchmarks/cases/$c.py"
    cmd="python $script $QUICK"  # as shown in RESULTS.md (the venv python runs it)
    if [[ ! -f $script ]]; then
        say "$c: $script is not written yet"
        rm -f "$OUT/$c.json"
        status "$c" missing 0 "$script not written yet" "$cmd"
        continue
    fi
    say "$c: $cmd"
    rm -f "$OUT/$c.json"  # a stale result must never pass for this run's
    start=$(date +%s)
    timeout "$LIMIT" $PY "$script" $QUICK >> "$LOG" 2> >(tee -a "$LOG" >&2)
    rc=$?; secs=$(( $(date +%s) - start ))
    if [[ $rc -eq 0 && -f $OUT/$c.json ]]; then
        status "$c" ok "$secs" "" "$cmd"
    elif [[ $rc -eq 124 ]]; then
        status "$c" failed "$secs" "timed out after ${LIMIT}s" "$cmd"
    elif [[ $rc -eq 0 ]]; then
        status "$c" failed "$secs" "exited 0 but wrote no benchmarks/out/$c.json" "$cmd"
    else
        status "$c" failed "$secs" "exit $rc: $(grep -v '^\s*$' "$LOG" | tail -1 | cut -c1-200)" "$cmd"
    fi
done

status "run:total" ok "$(( $(date +%s) - RUN_START ))" "set-up, data builds and cases: bash benchmarks/run.sh $MODE $QUICK" "bash benchmarks/run.sh $*"
"$PY" benchmarks/render.py && say "wrote benchmarks/RESULTS.md"
