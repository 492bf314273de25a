"""coarse case: 2D-Matryoshka coarse-to-fine search vs full-view HNSW vs exact search, anglevec alone.

Data: debian-pkgdesc, as in the index case's vector set (builders/ann_vectors.py) but embedded by
anglevec itself: every corpus document (title + text) plus passages (paragraphs split into sentences
packed up to ~40 words, seeded order) up to 50,000 rows (issue 8 asks for ≥ 50k; 100k doubled the
case's time without changing its conclusions: --total 100000 runs it); queries = the 1,000 test synopses, each
relevant to one document (a passage hit counts for its document; rankings are de-duplicated to
documents for nDCG@10). --quick: 1,000 documents + passages up to 3,000 rows, 100 queries whose
document is in the slice.

Systems, in one `Bench coarse` process (one query at a time, one thread for search):
  (a) full-view HNSW (M 16, efConstruction 200) at several ef;
  (b) coarse view (layer ℓ, first d dims, renormalized) → HNSW shortlist of k' → exact re-ranking with
      full vectors (the query's pass continues to the last layer), and coarse-only (top k of the shortlist);
  (c) exact search over all full vectors (the recall reference).
Recall@10 is against (c); nDCG@10 against the qrels. Latency = query embedding (the layers the stage
runs) + search + re-ranking; "search" columns leave the embedding out. Memory: vector bytes (rows × d × 4)
and the HNSW graph's bytes (vectors + links). Also the layers × dims nDCG@10 grid of the default model
on the documents alone (exact search), computed with anglevec's embedder.

    python benchmarks/cases/coarse.py [--quick]   →  benchmarks/out/coarse.json, benchmarks/plots/coarse-latency-recall.png
    python benchmarks/cases/coarse.py --model DIR --name coarse-ese --views 2x64,2x128,3x128,4x128,6x128
        the same with another model folder (e.g. an ESE fine-tune from cases/train.py --work), written to
        benchmarks/out/NAME.json and benchmarks/plots/NAME-latency-recall.png
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import BENCH_BIN, DATA, MODEL_DIR, PKGDESC, PLOTS, ROOT, Result, doc_text, read_jsonl  # noqa: E402

SEED = 20250520
TARGET = 0.95


def passages(text: str, max_words: int = 40) -> list[str]:
    # Same split as builders/ann_vectors.py (imported lazily there with numpy/torch around it).
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "builders"))
    from ann_vectors import passages as split
    return split(text, max_words)


def build(out: Path, quick: bool, total: int | None = None, n_docs: int | None = None, n_queries: int | None = None,
          passages_all: bool = False) -> tuple[int, int, int]:
    """Writes rows.jsonl ({text, doc}; documents first) and queries.jsonl ({text, relevant}); returns (docs, rows, queries)."""
    corpus = read_jsonl(PKGDESC / "corpus.jsonl")
    qrels: dict[str, list[str]] = {}
    with open(PKGDESC / "qrels" / "test.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if int(row["score"]) > 0:
                qrels.setdefault(row["query-id"], []).append(row["corpus-id"])
    queries = [q for q in read_jsonl(PKGDESC / "queries.jsonl") if q["_id"] in qrels]
    total = total or (3_000 if quick else 50_000)
    if quick:
        n_docs, n_queries = n_docs or 1000, n_queries or 100
    if n_queries:
        queries = queries[:n_queries]
    if n_docs and n_docs < len(corpus):
        # A slice of the corpus that holds every kept query's relevant documents.
        relevant_docs = {d for q in queries for d in qrels[q["_id"]]}
        rest = [d for d in corpus if d["_id"] not in relevant_docs]
        keep = [d for d in corpus if d["_id"] in relevant_docs] + random.Random(SEED).sample(rest, max(0, n_docs - len(relevant_docs)))
        corpus = sorted(keep, key=lambda d: d["_id"])
    rng = random.Random(SEED)
    # Passages of the slice's documents, or (--passages-all) of every corpus document: the others are distractors.
    source = read_jsonl(PKGDESC / "corpus.jsonl") if passages_all else corpus
    extra = [(d["_id"], i, p) for d in source for i, p in enumerate(passages(d["text"]))]
    rng.shuffle(extra)
    # Seeded order kept (not sorted): a smaller --total is a prefix of a larger one, so the cached
    # embedding chunks of a bigger run serve it.
    extra = extra[:max(0, total - len(corpus))]
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "rows.jsonl", "w", encoding="utf-8") as f:
        for d in corpus:
            f.write(json.dumps({"text": doc_text(d), "doc": d["_id"]}, ensure_ascii=False) + "\n")
        for doc, _, p in extra:
            f.write(json.dumps({"text": p, "doc": doc}, ensure_ascii=False) + "\n")
    with open(out / "queries.jsonl", "w", encoding="utf-8") as f:
        for q in queries:
            f.write(json.dumps({"text": q["text"], "relevant": qrels[q["_id"]]}, ensure_ascii=False) + "\n")
    return len(corpus), len(corpus) + len(extra), len(queries)


DEFAULT_VIEWS = "6x64,6x128,6x192,3x128"


def bench_command(bin: Path, folder: Path, model: Path, views: str, docs: int, quick: bool) -> list[str]:
    """The `Bench coarse` command line; its row-embedding cache is keyed by the rows' texts, the layers
    this command needs and the model path, so the same command reads back what an earlier run embedded."""
    return [str(bin), "coarse", "--rows", str(folder / "rows.jsonl"), "--queries", str(folder / "queries.jsonl"),
            "--model", str(model), "--views", views, "--shortlists", "10,20,40,80,160,320", "--efs", "10,16,32,64,128,256",
            "--grid-rows", str(docs), "--cache", str(DATA / "cache" / ("coarse-quick" if quick else "coarse"))]


def embed_default_rows(export: Path, bin: Path = BENCH_BIN) -> tuple[list[str], int]:
    """Runs the default run's row embedding now (filling its cache, so the case later reads it back) and
    writes every row's last-layer vector (float32, rows × hidden size, not normalized) to `export`.
    Returns the rows' texts and how many of them (the first ones) are whole documents. Used by
    builders/ann_vectors.py, whose documents are the same texts: each is embedded once, not twice."""
    folder = DATA / "coarse"
    docs, _, _ = build(folder, False)
    (DATA / "cache").mkdir(parents=True, exist_ok=True)
    cmd = bench_command(bin, folder, MODEL_DIR, DEFAULT_VIEWS, docs, False) + ["--export", str(export), "--embed-only", "yes"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"Bench coarse --embed-only failed ({p.returncode}): {p.stderr.strip()[-400:]}")
    texts = [r["text"] for r in read_jsonl(folder / "rows.jsonl")]
    return texts, docs


def plot(results: list[dict], path: Path) -> str | None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, title in ((axes[0], "latency_ms", "end to end (query embedding + search + re-rank)"),
                           (axes[1], "search_ms", "search + re-rank only")):
        groups: dict[str, list[dict]] = {}
        for r in results:
            if r["system"] == "coarse-only":
                continue
            label = "exact" if r["system"] == "exact" else "full-view HNSW (ef)" if r["system"] == "full-hnsw" else f"L{r['layer']} d{r['dims']} → k'"
            groups.setdefault(label, []).append(r)
        for label, rows in groups.items():
            rows = sorted(rows, key=lambda r: r["shortlist"])
            ax.plot([r["recall"] for r in rows], [r[key] + (r["rerank_ms"] if key == "search_ms" else 0) for r in rows],
                    marker="o" if label != "exact" else "*", markersize=4 if label != "exact" else 10, label=label)
        ax.axvline(TARGET, color="grey", lw=0.8, ls="--")
        ax.set_xlabel("recall@10 vs exact full-vector search"); ax.set_ylabel("ms per query")
        if key == "search_ms":
            ax.set_yscale("log")
        ax.set_title(title, fontsize=9); ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("2D-Matryoshka coarse-to-fine vs full-view HNSW (lower right is better)", fontsize=10)
    fig.tight_layout()
    PLOTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return str(path.relative_to(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", type=Path, default=BENCH_BIN)
    ap.add_argument("--total", type=int, default=None, help="rows (documents + passages); default 50,000 (--quick 3,000)")
    ap.add_argument("--docs", type=int, default=None, help="use a slice of N corpus documents (with every kept query's relevant one)")
    ap.add_argument("--passages-all", action="store_true", help="with --docs: passages come from the whole corpus")
    ap.add_argument("--queries", type=int, default=None, help="use the first N test queries")
    ap.add_argument("--views", default=None, help="coarse views LAYERxDIMS,... (default 6x64,6x128,6x192,3x128)")
    ap.add_argument("--model", type=Path, default=MODEL_DIR, help="model folder (default: the default model)")
    ap.add_argument("--name", default="coarse", help="result name: benchmarks/out/NAME.json (default coarse)")
    args = ap.parse_args()
    model_name = "all-MiniLM-L6-v2" if args.model == MODEL_DIR else f"{args.model.name} ({args.model})"
    sliced = args.quick or args.docs or args.queries  # --total alone keeps every document: not a slice
    folder = DATA / ("coarse-quick" if args.quick else "coarse-slice" if sliced else "coarse")
    docs, rows, nq = build(folder, args.quick, args.total, args.docs, args.queries, args.passages_all)
    data = f"debian-pkgdesc: {docs:,} documents + {rows - docs:,} passages = {rows:,} rows; {nq:,} test queries (synopses)"
    res = Result(args.name, "2D-Matryoshka coarse-to-fine vs full-view HNSW vs exact search"
                 + ("" if args.model == MODEL_DIR else f", model {model_name}"), data,
                 "bash benchmarks/run.sh coarse" + (" --quick" if args.quick else "") if set(sys.argv[1:]) <= {"--quick"}
                 else "python benchmarks/cases/coarse.py " + " ".join(sys.argv[1:]))
    if args.quick:
        res.note("--quick: a small slice; numbers are not comparable with a full run")
    elif sliced:
        flags = f"--docs {args.docs} --total {args.total} --queries {args.queries}" + (" --passages-all" if args.passages_all else "")
        res.note(f"a slice ({flags}), not the default 50,000-row run")
        res.d["command"] += f" (python benchmarks/cases/coarse.py {flags})"
    views = args.views or (DEFAULT_VIEWS if not args.quick else "6x64,6x128,3x128")
    cmd = bench_command(args.bin, folder, args.model, views, docs, args.quick)
    res.d["command"] += "  (Swift side: " + " ".join(c.replace(str(ROOT) + "/", "") for c in cmd) + ")"
    if not args.bin.exists():
        res.missing(f"anglevec: {args.bin.relative_to(ROOT)} not built (swift build -c release --product Bench)")
        res.write()
        return
    (DATA / "cache").mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        res.missing(f"anglevec: Bench coarse failed ({p.returncode}): {p.stderr.strip()[-400:]}")
        res.write()
        return
    out = json.loads(p.stdout)
    res.note(f"Bench coarse ran {time.time() - t0:.0f} s; row embedding "
             + ("from cache" if out["embed_from_cache"] else f"{out['embed_rows_per_s']:.0f} rows/s")
             + "; query embedding ms by layers run: " + ", ".join(f"{k}: {v:.2f}" for k, v in sorted(out["query_embed_ms_by_layer"].items())))
    results = out["results"]

    def name(r: dict) -> str:
        if r["system"] == "exact":
            return "exact (full vectors)"
        if r["system"] == "full-hnsw":
            return f"full-view HNSW ef={r['shortlist']}"
        return f"L{r['layer']} d{r['dims']} " + ("coarse-only" if r["system"] == "coarse-only" else f"→ k'={r['shortlist']} → rerank")

    cols = ["system", "layer", "dims", "k' or ef", "recall@10", "nDCG@10", "latency ms", "QPS", "search ms", "search QPS", "vector MB", "index MB"]
    table = []
    for r in results:
        search = r["search_ms"] + r["rerank_ms"]
        table.append([name(r), r["layer"], r["dims"], r["shortlist"], round(r["recall"], 4), round(r["ndcg"], 4),
                      round(r["latency_ms"], 3), round(1000 / r["latency_ms"], 1), round(search, 4), round(1000 / max(search, 1e-9), 1),
                      round(r["vector_bytes"] / 1e6, 2), round(r["index_bytes"] / 1e6, 2)])
    res.table("Coarse-to-fine vs full-view HNSW vs exact: recall@10 vs exact search, nDCG@10 vs qrels, latency per query", cols, table)

    # At the target: the fastest setting of each family reaching recall@10 >= 0.95.
    def best(system: str, key: str) -> dict | None:
        ok = [r for r in results if r["system"] == system and r["recall"] >= TARGET]
        return min(ok, key=lambda r: r[key] + (r["rerank_ms"] if key == "search_ms" else 0)) if ok else None
    summary = []
    for system in ("full-hnsw", "coarse-rerank", "coarse-only"):
        for key in ("latency_ms", "search_ms"):
            b = best(system, key)
            if b:
                search = b["search_ms"] + b["rerank_ms"]
                summary.append([name(b), "end to end" if key == "latency_ms" else "search only", round(b["recall"], 4), round(b["ndcg"], 4),
                                round(1000 / b["latency_ms"], 1), round(1000 / max(search, 1e-9), 1), round(b["vector_bytes"] / 1e6, 2), round(b["index_bytes"] / 1e6, 2)])
            else:
                summary.append([system, "end to end" if key == "latency_ms" else "search only", None, None, None, None, None, None])
    res.table(f"Fastest setting per family at recall@10 >= {TARGET}", ["system", "optimized for", "recall@10", "nDCG@10", "QPS", "search QPS", "vector MB", "index MB"], summary)
    full_e2e, coarse_e2e = best("full-hnsw", "latency_ms"), best("coarse-rerank", "latency_ms")
    full_s, coarse_s = best("full-hnsw", "search_ms"), best("coarse-rerank", "search_ms")
    if full_e2e and coarse_e2e:
        res.d["ratios"]["coarse_vs_full_hnsw_qps_at_recall_0.95"] = round(full_e2e["latency_ms"] / coarse_e2e["latency_ms"], 3)
        res.d["ratios"]["coarse_vs_full_hnsw_vector_bytes_at_recall_0.95"] = round(coarse_e2e["vector_bytes"] / full_e2e["vector_bytes"], 3)
    if full_s and coarse_s:
        res.d["ratios"]["coarse_vs_full_hnsw_search_qps_at_recall_0.95"] = round(
            (full_s["search_ms"] + full_s["rerank_ms"]) / (coarse_s["search_ms"] + coarse_s["rerank_ms"]), 3)
        res.d["ratios"]["coarse_vs_full_hnsw_search_vector_bytes_at_recall_0.95"] = round(coarse_s["vector_bytes"] / full_s["vector_bytes"], 3)
    res.note("Goal: at recall@10 >= 0.95, coarse-to-fine QPS >= 3x full-view HNSW's and index vector memory <= 1/3. End to end, "
             "the re-ranked stage still runs the query through every layer (it needs the full query vector), so the query's embedding "
             "bounds the end-to-end speed-up; only coarse-only skips layers.")

    grid = out["grid"]
    if grid["ndcg"]:
        res.table(f"2D-Matryoshka grid (anglevec embedder, {model_name}, no prompt, documents only): nDCG@10, layers × dims",
                  ["layers"] + [str(d) for d in grid["dims"]],
                  [[layer] + [round(v, 4) for v in line] for layer, line in zip(grid["layers"], grid["ndcg"])])
    res.note("Times are from one process"
             + "; query embedding per layer is measured once per query and added to each stage's search time.")
    path = plot(results, PLOTS / (f"{args.name}-latency-recall-quick.png" if args.quick else f"{args.name}-latency-recall.png"))
    if path:
        res.d["plots"].append(path)
    else:
        res.missing("plot: matplotlib not importable")
    res.write()


if __name__ == "__main__":
    main()
