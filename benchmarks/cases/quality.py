"""quality case: retrieval quality on debian-pkgdesc and Spearman on human-graded similarity sets.

Rows (nDCG@10, Recall@100, MRR@10 over the 1,000 test queries; exact search, cosine; every system
sees a document as title + " " + text, the title being the package name, as BEIR does):
  BM25 (Okapi, rank_bm25's formula, k1 1.5, b 0.75, \\w+ lower-case tokens)  — benchmarks/bm25.py
  all-MiniLM-L6-v2 via sentence-transformers, no prompt
  all-MiniLM-L6-v2 via sentence-transformers, AnglE retrieval prompt on the queries
  anglevec end to end (`anglevec init/add/query` on the same corpus) when the CLI supports it
Plus the 2D-Matryoshka grid of the default model (encoder truncated to 2..6 layers × first 32..384
dimensions, mean pooling, renormalised) and Spearman's rho on Lee 2005 / SimLex-999 / WordSim-353.
Not a timing benchmark. --quick: 100 queries against their documents + 900 seeded other documents.

    python benchmarks/cases/quality.py [--quick]   →  benchmarks/out/quality.json
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import embeddings  # noqa: E402
from bm25 import BM25Okapi, tokenize  # noqa: E402
from common import CLI_BIN, PKGDESC, ROOT, doc_text, RETRIEVAL_PROMPT, STS, Result, manifest_hashes, read_jsonl, load_beir  # noqa: E402
from metrics import retrieval_metrics, spearman  # noqa: E402

LAYERS = [2, 3, 4, 5, 6]
DIMS = [32, 64, 128, 256, 384]
# The CLI's end-to-end commands ({db}, {file}, {text}, {k} are filled in); one place to adjust.
E2E_INIT = ["{bin}", "init", "{db}"]
# --no-chunk: documents longer than the model's 256 tokens are truncated, as sentence-transformers does,
# so the two rows embed the same tokens (anglevec's default splits them into chunks instead).
# --batch-size 2048 (documents per embedding call and transaction; default 256): about 1.2x faster here
# (fewer partly filled last batches per call, fewer commits); same vectors up to bf16 batch-composition
# noise (600 documents: 99% of rows bit-identical, max abs difference 4e-4).
E2E_ADD = ["{bin}", "add", "--db", "{db}", "--no-chunk", "--batch-size", "2048", "{file}"]
# All test queries in one process, as JSON lines on stdin; each output line names its query.
E2E_QUERY = ["{bin}", "query", "--db", "{db}", "-k", "{k}", "--json", "--no-log", "-"]
E2E_MODES = {"hnsw": [], "exact": ["--exact"]}  # the collection's HNSW graph (default), and brute force


def exact_top(queries: np.ndarray, docs: np.ndarray, k: int) -> np.ndarray:
    sims = queries @ docs.T
    k = min(k, docs.shape[0])
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def as_run(qids, top, doc_ids):
    return {q: [doc_ids[i] for i in row] for q, row in zip(qids, top)}


def row(system, m, note=""):
    return [system, round(m["ndcg@10"], 4), round(m["recall@100"], 4), round(m["mrr@10"], 4), note]


def fill(template, **kw):
    return [part.format(**kw) for part in template]


def anglevec_end_to_end(corpus, queries, qids, res: Result):
    """Runs the CLI on the same corpus; returns metrics or None (reported as missing, with the reason)."""
    if not CLI_BIN.exists():
        res.missing(f"anglevec end to end: {CLI_BIN.relative_to(ROOT)} not built (swift build -c release --product anglevec)")
        return None
    help_text = subprocess.run([str(CLI_BIN), "--help"], capture_output=True, text=True, timeout=60)
    usage = help_text.stdout + help_text.stderr
    absent = [c for c in ("init", "add", "query") if c not in usage.split()]
    if absent:
        res.missing(f"anglevec end to end: the CLI does not offer {', '.join(absent)} yet (`anglevec --help`: {usage.strip()[:120]!r})")
        return None
    tmp = Path(tempfile.mkdtemp(prefix="anglevec-quality-"))
    try:
        file = tmp / "corpus.jsonl"
        with open(file, "w") as f:
            for d in corpus:
                f.write(json.dumps({"id": d["_id"], "text": doc_text(d)}, ensure_ascii=False) + "\n")
        db = tmp / "db"
        t0 = time.time()
        for cmd in (fill(E2E_INIT, bin=CLI_BIN, db=db, file=file, k=100, text=""), fill(E2E_ADD, bin=CLI_BIN, db=db, file=file, k=100, text="")):
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
            if p.returncode != 0:
                res.missing(f"anglevec end to end: `{' '.join(cmd)}` failed ({p.returncode}): {p.stderr.strip()[-300:]}")
                return None
        index_seconds = time.time() - t0
        res.note(f"anglevec end to end: indexing {len(corpus)} documents took {index_seconds:.0f} s (init + add --no-chunk --batch-size 2048, one process).")
        runs = {}
        for mode, extra in E2E_MODES.items():
            cmd = fill(E2E_QUERY, bin=CLI_BIN, db=db, file=file, k=100, text="") + extra
            t0 = time.time()
            p = subprocess.run(cmd, input="".join(json.dumps({"query": queries[q]}, ensure_ascii=False) + "\n" for q in qids),
                               capture_output=True, text=True, timeout=3600)
            query_seconds = time.time() - t0
            if p.returncode != 0:
                res.missing(f"anglevec end to end ({mode}): `{' '.join(cmd)}` failed ({p.returncode}): {p.stderr.strip()[-300:]}")
                continue
            by_text: dict[str, list[str]] = {}
            for line in p.stdout.splitlines():
                if line.strip():
                    hit = json.loads(line)
                    by_text.setdefault(hit["query"], []).append(str(hit["id"]))
            runs[mode] = {qid: by_text.get(queries[qid], []) for qid in qids}
            res.note(f"anglevec end to end ({mode}): `{' '.join(cmd[1:3])} ... {' '.join(extra)}` over {len(qids)} queries from stdin "
                     f"took {query_seconds:.0f} s (one process: model load, query embedding, search, store reads).")
        return runs or None
    except (subprocess.SubprocessError, OSError, ValueError) as e:
        res.missing(f"anglevec end to end: {type(e).__name__}: {e}")
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-e2e", action="store_true", help="do not run the anglevec CLI row")
    args = ap.parse_args()
    command = "bash benchmarks/run.sh quality" + (" --quick" if args.quick else "")
    corpus, queries, qrels = load_beir(PKGDESC)
    qids = sorted(queries)
    if args.quick:
        rng = random.Random(1)
        qids = sorted(rng.sample(qids, 100))
        keep = {d for q in qids for d in qrels[q]}
        others = [d["_id"] for d in corpus if d["_id"] not in keep]
        keep |= set(rng.sample(others, 900))
        corpus = [d for d in corpus if d["_id"] in keep]
        qrels = {q: qrels[q] for q in qids}
    doc_ids = [d["_id"] for d in corpus]
    hashes = manifest_hashes(PKGDESC)
    res = Result("quality", "Retrieval quality (debian-pkgdesc) and graded similarity",
                 f"debian-pkgdesc: {len(corpus)} documents, {len(qids)} test queries"
                 + (" (QUICK subset: not comparable with full runs)" if args.quick else "")
                 + f"; corpus.jsonl sha256 {hashes['corpus.jsonl'][:16]}…, queries.jsonl {hashes['queries.jsonl'][:16]}…", command)
    res.d["data_hashes"] = hashes
    columns = ["system", "nDCG@10", "Recall@100", "MRR@10", "notes"]
    rows, runs = [], {}

    t = time.time()
    bm25 = BM25Okapi([tokenize(doc_text(d)) for d in corpus])
    top, _ = bm25.top_k([tokenize(queries[q]) for q in qids], 100)
    runs["bm25"] = as_run(qids, top, doc_ids)
    rows.append(row("BM25 (Okapi k1=1.5 b=0.75)", retrieval_metrics(qrels, runs["bm25"]), f"{time.time() - t:.1f} s"))

    tag = "quick" if args.quick else "full"
    docs_final, docs_layers = embeddings.encode_layers([doc_text(d) for d in corpus], f"pkgdesc-corpus{'-quick' if args.quick else ''}")
    q_final, q_layers = embeddings.encode_layers([queries[q] for q in qids], f"pkgdesc-test-queries-{tag}")
    q_prompt = embeddings.encode([RETRIEVAL_PROMPT.format(text=queries[q]) for q in qids], f"pkgdesc-test-queries-prompt-{tag}")
    st_metrics = retrieval_metrics(qrels, as_run(qids, exact_top(q_final, docs_final, 100), doc_ids))
    rows.append(row("all-MiniLM-L6-v2, sentence-transformers, exact", st_metrics, "no prompt"))
    rows.append(row("all-MiniLM-L6-v2, sentence-transformers, exact, prompt", retrieval_metrics(qrels, as_run(qids, exact_top(q_prompt, docs_final, 100), doc_ids)),
                    "queries: 'Represent this sentence for searching relevant passages: {text}'"))

    if args.skip_e2e:
        res.missing("anglevec end to end: skipped (--skip-e2e)")
    else:
        e2e = anglevec_end_to_end(corpus, queries, qids, res)
        for mode, run in (e2e or {}).items():
            m = retrieval_metrics(qrels, run)
            label = "HNSW (default search)" if mode == "hnsw" else "--exact (brute force)"
            rows.append(row(f"anglevec end to end (init/add --no-chunk/query), {label}", m, "CLI, default model and precision"))
            res.d["ratios"][f"anglevec_{mode}_minus_sentence_transformers_ndcg@10"] = round(m["ndcg@10"] - st_metrics["ndcg@10"], 4)
    res.table("Retrieval on debian-pkgdesc test queries", columns, rows)
    res.d["ratios"]["sentence_transformers_vs_bm25_ndcg@10"] = round(st_metrics["ndcg@10"] / rows[0][1], 4)

    grid_ndcg, grid_recall = [], []
    for layer in LAYERS:
        r_ndcg, r_recall = [layer], [layer]
        for dims in DIMS:
            top = exact_top(embeddings.truncated(q_layers, layer, dims), embeddings.truncated(docs_layers, layer, dims), 100)
            m = retrieval_metrics(qrels, as_run(qids, top, doc_ids))
            r_ndcg.append(round(m["ndcg@10"], 4)); r_recall.append(round(m["recall@100"], 4))
        grid_ndcg.append(r_ndcg); grid_recall.append(r_recall)
    res.table("2D-Matryoshka grid (all-MiniLM-L6-v2, no prompt): nDCG@10, layers × dims", ["layers"] + [str(d) for d in DIMS], grid_ndcg)
    res.table("2D-Matryoshka grid (all-MiniLM-L6-v2, no prompt): Recall@100, layers × dims", ["layers"] + [str(d) for d in DIMS], grid_recall)
    res.note("2D-Matryoshka grid: the encoder's first k layers (hidden_states[k]), mean pooling, first d dimensions, "
             "L2-normalised, exact cosine search. all-MiniLM-L6-v2 was not trained with 2DMSE, so this is the baseline "
             "a 2DMSE fine-tune should beat at small (layers, dims).")

    sts_rows = []
    for name, title in (("lee", "Lee et al. 2005 documents (1,225 pairs)"), ("simlex999", "SimLex-999 words"), ("wordsim353", "WordSim-353 words")):
        path = STS / f"{name}.jsonl"
        if not path.exists():
            res.missing(f"similarity set {name}: {path} not built (python benchmarks/builders/graded_similarity.py)")
            continue
        pairs = read_jsonl(path)
        unique = sorted({p["text1"] for p in pairs} | {p["text2"] for p in pairs})  # Lee: 50 documents, 1,225 pairs
        vectors = dict(zip(unique, embeddings.encode(unique, f"sts-{name}")))
        a = np.stack([vectors[p["text1"]] for p in pairs]); b = np.stack([vectors[p["text2"]] for p in pairs])
        rho = spearman((a * b).sum(1), [p["label"] for p in pairs])
        sts_rows.append([title, len(pairs), round(rho, 4)])
    res.table("Spearman's rho, cosine vs human grades (all-MiniLM-L6-v2, sentence-transformers)", ["set", "pairs", "spearman"], sts_rows)
    res.d["plots"].append("benchmarks/plots/quality-2d-matryoshka.png")
    res.write()
    for r in rows:
        print(r, file=sys.stderr)


if __name__ == "__main__":
    main()
