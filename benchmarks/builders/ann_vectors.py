"""Real 384-d vectors for the ANN index case: debian-pkgdesc embedded with all-MiniLM-L6-v2.

Base set (benchmarks/data/vectors/pkgdesc-384.npy, float32, unit norm, about 100k rows):
  rows [0, D)   : the D corpus documents, title + " " + text (the vectors the quality case searches);
  rows [D, N)   : passages: every paragraph of a long description that has >= 8 words, split into
                  sentences, consecutive sentences packed up to ~40 words; taken in a seeded order
                  until N = --total rows (default 100,000).
Queries (pkgdesc-384-queries.npy, 10,000 rows): package synopses, rows [0, 1000) are the test
queries of debian-pkgdesc (queries.jsonl order), the rest a seeded sample of the other synopses.
Ground truth (pkgdesc-384-gt100.npy, int32, queries × 100): exact inner-product top 100 (= cosine).
Also written: pkgdesc-384.ids.jsonl (one line per row: {"doc": corpus _id, "passage": -1 | index}),
pkgdesc-384-queries.jsonl (ids, texts) and MANIFEST.json with sha256 hashes.
--quick writes the same files into benchmarks/data/vectors-quick/ (2,000 documents, 5,000 rows,
200 queries) for quick runs. Embeddings are cached (benchmarks/data/cache/) so a rerun is seconds.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
import embeddings  # noqa: E402
from common import PKGDESC, VECTORS, VECTORS_QUICK, doc_text, read_jsonl  # noqa: E402
from builders.debian_pkgdesc import SEED, sha256  # noqa: E402

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


def passages(text: str, max_words: int = 40) -> list[str]:
    out = []
    for para in text.split("\n"):
        if len(para.split()) < 8:
            continue
        chunk: list[str] = []
        for sentence in _SENTENCE.split(para):
            if chunk and len(" ".join(chunk + [sentence]).split()) > max_words:
                out.append(" ".join(chunk)); chunk = []
            chunk.append(sentence)
        if chunk and len(" ".join(chunk).split()) >= 8:
            out.append(" ".join(chunk))
    return out


def synopses_from_raw() -> dict[str, str]:
    """All synopses of the corpus packages, from the training triples and the test queries."""
    out = {q["_id"]: q["text"] for q in read_jsonl(PKGDESC / "queries.jsonl")}
    for t in read_jsonl(PKGDESC / "train_clicks.jsonl"):
        out.setdefault(t["query_id"], t["query"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--quick", action="store_true",
                    help="2,000 documents + passages up to 5,000 rows, 200 queries, into vectors-quick/ (a couple of minutes)")
    args = ap.parse_args()
    if args.quick:
        args.total, args.queries = 5_000, 200
    out = args.out or (VECTORS_QUICK if args.quick else VECTORS)
    if (out / "MANIFEST.json").exists():
        print(f"ann-vectors: {out} exists (delete it to rebuild)", file=sys.stderr)
        return
    corpus = read_jsonl(PKGDESC / "corpus.jsonl")
    if args.quick:
        corpus = sorted(random.Random(SEED).sample(corpus, 2000), key=lambda d: d["_id"])
        docs_final = embeddings.encode([doc_text(d) for d in corpus], "pkgdesc-corpus-2000")
    else:
        docs_final, _ = embeddings.encode_layers([doc_text(d) for d in corpus], "pkgdesc-corpus")
    rng = random.Random(SEED)
    extra = [(d["_id"], i, p) for d in corpus for i, p in enumerate(passages(d["text"]))]
    rng.shuffle(extra)
    extra = extra[:max(0, args.total - len(corpus))]
    extra.sort(key=lambda e: (e[0], e[1]))
    print(f"ann-vectors: {len(corpus)} documents + {len(extra)} passages", file=sys.stderr)
    passage_vectors = embeddings.encode([p for _, _, p in extra], "pkgdesc-passages")
    base = np.vstack([docs_final, passage_vectors]).astype(np.float32)

    test = read_jsonl(PKGDESC / "queries.jsonl")
    others = sorted(set(synopses_from_raw()) - {q["_id"] for q in test})
    random.Random(SEED + 1).shuffle(others)
    syn = synopses_from_raw()
    test = test[:args.queries]
    qrows = [(q["_id"], q["text"]) for q in test] + [(qid, syn[qid]) for qid in others[:max(0, args.queries - len(test))]]
    queries = embeddings.encode([t for _, t in qrows], "pkgdesc-synopses")

    gt = np.zeros((len(queries), 100), dtype=np.int32)
    for s in range(0, len(queries), 1000):
        sims = queries[s:s + 1000] @ base.T
        part = np.argpartition(-sims, 99, axis=1)[:, :100]
        order = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1, kind="stable")
        gt[s:s + 1000] = np.take_along_axis(part, order, axis=1)
    assert base.shape[0] > 100

    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "pkgdesc-384.npy", base)
    np.save(out / "pkgdesc-384-queries.npy", queries.astype(np.float32))
    np.save(out / "pkgdesc-384-gt100.npy", gt)
    with open(out / "pkgdesc-384.ids.jsonl", "w") as f:
        for d in corpus:
            f.write(json.dumps({"doc": d["_id"], "passage": -1}) + "\n")
        for doc, i, _ in extra:
            f.write(json.dumps({"doc": doc, "passage": i}) + "\n")
    with open(out / "pkgdesc-384-queries.jsonl", "w") as f:
        for qid, text in qrows:
            f.write(json.dumps({"_id": qid, "text": text}, ensure_ascii=False) + "\n")
    files = ["pkgdesc-384.npy", "pkgdesc-384-queries.npy", "pkgdesc-384-gt100.npy", "pkgdesc-384.ids.jsonl", "pkgdesc-384-queries.jsonl"]
    manifest = {"name": "pkgdesc-384", "model": "sentence-transformers/all-MiniLM-L6-v2 (max_seq_length 256, unit norm)",
                "rows": int(base.shape[0]), "documents": len(corpus), "passages": len(extra), "queries": len(qrows),
                "metric": "inner product (= cosine)", "builder": "benchmarks/builders/ann_vectors.py",
                "files": {n: {"sha256": sha256(out / n), "bytes": (out / n).stat().st_size} for n in files}}
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps({k: manifest[k] for k in ("rows", "documents", "passages", "queries")}), file=sys.stderr)


if __name__ == "__main__":
    main()
