"""embed case: documents/s and single-query latency, anglevec vs sentence-transformers (same model).

Text sets (real debian-pkgdesc text, built once into benchmarks/data/embed/, seeded):
  short  1,000 passages of 32..48 WordPiece tokens (~40)
  long   1,000 descriptions of 160..200 tokens (~180)
  mixed  2,000 corpus documents as they come (truncated at max_seq_length 256 by both systems)
  queries 200 test-query synopses, encoded one at a time (latency)
Each system runs in its own process per set (so peak RSS is that system's alone), on 2 threads:
  sentence-transformers: `python benchmarks/cases/embed.py --worker st --texts FILE` (torch CPU,
    torch.set_num_threads(2), batch 32, one warm-up batch not timed)
  anglevec: `.build/release/Bench embed --texts FILE --threads 2 --batch 32 [--queries FILE]`, which
    must print one JSON object with at least "docs_per_s" (and, with --queries, "latency_ms_p50",
    "latency_ms_p95"). Peak RSS of both is measured from outside (wait4 rusage of the child).
Ratios are anglevec / sentence-transformers for docs/s and ST / anglevec for latency (> 1 = anglevec faster).
--quick: 100 texts per set, 20 queries.

    python benchmarks/cases/embed.py [--quick]   →  benchmarks/out/embed.json
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import BENCH_BIN, DATA, MODEL_DIR, PKGDESC, ROOT, Result, read_jsonl  # noqa: E402

SETS = {"short": "1,000 passages of ~40 tokens", "long": "1,000 descriptions of ~180 tokens", "mixed": "2,000 corpus documents, mixed lengths"}
EMBED_DATA = DATA / "embed"
THREADS = 2
BATCH = 32


def build_sets() -> None:
    """Writes short/long/mixed/queries .jsonl ({"text"}) once; token counts from the model's tokenizer."""
    if all((EMBED_DATA / f"{n}.jsonl").exists() for n in list(SETS) + ["queries"]):
        return
    from transformers import AutoTokenizer
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "builders"))
    from ann_vectors import passages
    tok = AutoTokenizer.from_pretrained(str(MODEL_DIR), local_files_only=True)
    corpus = read_jsonl(PKGDESC / "corpus.jsonl")
    rng = random.Random(11)
    order = list(range(len(corpus)))
    rng.shuffle(order)

    def n_tokens(text):
        return len(tok(text, add_special_tokens=True, truncation=False)["input_ids"])

    short, long = [], []
    for i in order:
        text = corpus[i]["text"]
        if len(long) < 1000 and 160 <= n_tokens(text) <= 200:
            long.append(text)
        if len(short) < 1000:
            short.extend(p for p in passages(text) if 32 <= n_tokens(p) <= 48)
            short = short[:1000]
        if len(short) == 1000 and len(long) == 1000:
            break
    mixed = [corpus[i]["text"] for i in order[-2000:]]
    queries = [q["text"] for q in read_jsonl(PKGDESC / "queries.jsonl")][:200]
    EMBED_DATA.mkdir(parents=True, exist_ok=True)
    for name, texts in (("short", short), ("long", long), ("mixed", mixed), ("queries", queries)):
        with open(EMBED_DATA / f"{name}.jsonl", "w") as f:
            for t in texts:
                f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")


def st_worker(texts_file: str, queries_file: str | None, limit: int, query_limit: int) -> None:
    """Runs in its own process: prints the sentence-transformers measurement as JSON."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    torch.set_num_threads(THREADS)
    model = SentenceTransformer(str(MODEL_DIR), device="cpu", local_files_only=True)
    texts = [r["text"] for r in read_jsonl(Path(texts_file))][:limit]
    model.encode(texts[:BATCH], batch_size=BATCH)  # warm-up
    t = time.perf_counter()
    vectors = model.encode(texts, batch_size=BATCH, convert_to_numpy=True)
    seconds = time.perf_counter() - t
    out = {"texts": len(texts), "seconds": seconds, "docs_per_s": len(texts) / seconds, "dims": int(vectors.shape[1]),
           "tokens": int(sum(min(len(model.tokenizer(x)["input_ids"]), model.max_seq_length) for x in texts))}
    if queries_file:
        queries = [r["text"] for r in read_jsonl(Path(queries_file))][:query_limit]
        model.encode(queries[:5], batch_size=1)
        lat = []
        for q in queries:
            t = time.perf_counter(); model.encode([q], batch_size=1); lat.append((time.perf_counter() - t) * 1000)
        out["latency_ms_p50"] = float(np.percentile(lat, 50)); out["latency_ms_p95"] = float(np.percentile(lat, 95))
    print(json.dumps(out))


def run_child(cmd: list[str], timeout: float = 3600) -> tuple[dict, float]:
    """(JSON printed by the child, its peak RSS in MiB); raises RuntimeError with stderr on failure."""
    import tempfile
    import threading
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS), TOKENIZERS_PARALLELISM="false")
    with tempfile.TemporaryFile(mode="w+") as err:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env, cwd=ROOT)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        stdout = p.stdout.read()
        _, status, usage = os.wait4(p.pid, 0)  # rusage of this child alone → its peak RSS
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: {stderr.strip()[-400:]}")
    lines = [line for line in stdout.strip().splitlines() if line.strip().startswith("{")]
    if not lines:
        raise RuntimeError(f"no JSON on stdout: {stdout.strip()[-200:]!r}")
    return json.loads(lines[-1]), usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--worker", choices=["st"])
    ap.add_argument("--texts"); ap.add_argument("--queries")
    ap.add_argument("--limit", type=int, default=10**9); ap.add_argument("--query-limit", type=int, default=10**9)
    args = ap.parse_args()
    if args.worker:
        st_worker(args.texts, args.queries, args.limit, args.query_limit)
        return
    build_sets()
    limit = 100 if args.quick else 10**9
    query_limit = 20 if args.quick else 200
    res = Result("embed", "Embedding throughput: anglevec vs sentence-transformers (all-MiniLM-L6-v2, CPU, 2 threads)",
                 "debian-pkgdesc text: " + "; ".join(f"{n}: {d}" for n, d in SETS.items()) + (" (QUICK: 100 per set)" if args.quick else ""),
                 "bash benchmarks/run.sh embed" + (" --quick" if args.quick else ""))
    py = sys.executable
    results: dict[str, dict[str, dict]] = {"sentence-transformers": {}, "anglevec": {}}
    for name in SETS:
        texts = str(EMBED_DATA / f"{name}.jsonl")
        queries = str(EMBED_DATA / "queries.jsonl") if name == "short" else None
        st_cmd = [py, str(Path(__file__).resolve()), "--worker", "st", "--texts", texts, "--limit", str(limit), "--query-limit", str(query_limit)]
        av_cmd = [str(BENCH_BIN), "embed", "--texts", texts, "--threads", str(THREADS), "--batch", str(BATCH), "--limit", str(limit),
                  "--model", str(MODEL_DIR)]
        if queries:
            st_cmd += ["--queries", queries]
            av_cmd += ["--queries", queries, "--query-limit", str(query_limit)]
        for system, cmd in (("sentence-transformers", st_cmd), ("anglevec", av_cmd)):
            if system == "anglevec" and not BENCH_BIN.exists():
                if name == "short":
                    res.missing(f"anglevec: {BENCH_BIN.relative_to(ROOT)} not built (swift build -c release --product Bench)")
                continue
            try:
                out, rss = run_child(cmd)
                out["peak_rss_mib"] = rss
                results[system][name] = out
                print(f"[embed] {system} {name}: {out.get('docs_per_s', 0):.1f} docs/s, {rss:.0f} MiB", file=sys.stderr)
            except (RuntimeError, OSError, json.JSONDecodeError, subprocess.SubprocessError) as e:
                res.missing(f"{system} ({name}): {e}")
    rows = []
    for system, per_set in results.items():
        if not per_set:
            continue
        r = [system]
        for name in SETS:
            r.append(round(per_set[name]["docs_per_s"], 1) if name in per_set and "docs_per_s" in per_set[name] else None)
        short = per_set.get("short", {})
        r += [round(short["latency_ms_p50"], 2) if "latency_ms_p50" in short else None,
              round(short["latency_ms_p95"], 2) if "latency_ms_p95" in short else None,
              round(max(v["peak_rss_mib"] for v in per_set.values()), 0)]
        rows.append(r)
    res.table("Documents per second and single-query latency", ["system", "short docs/s", "long docs/s", "mixed docs/s",
              "query p50 ms", "query p95 ms", "peak RSS MiB"], rows)
    st, av = results["sentence-transformers"], results["anglevec"]
    for name in SETS:
        if name in st and name in av and "docs_per_s" in av[name]:
            res.d["ratios"][f"anglevec_vs_sentence_transformers_docs_per_s_{name}"] = round(av[name]["docs_per_s"] / st[name]["docs_per_s"], 3)
    if "short" in st and "short" in av:
        if "latency_ms_p50" in av["short"]:
            res.d["ratios"]["anglevec_speedup_query_latency_p50"] = round(st["short"]["latency_ms_p50"] / av["short"]["latency_ms_p50"], 3)
        else:
            res.missing("anglevec single-query latency: Bench embed printed no latency_ms_p50")
    res.d["raw"] = results
    res.d["plots"].append("benchmarks/plots/embed-docs-per-s.png")
    res.note(f"Both systems: {THREADS} threads, batch {BATCH}, max_seq_length 256, one warm-up batch not timed; separate process per system and set.")
    res.write()


if __name__ == "__main__":
    main()
