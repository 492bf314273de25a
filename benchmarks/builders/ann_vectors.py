"""Real 384-d vectors for the ANN index case: debian-pkgdesc embedded by anglevec itself
(`anglevec embed`, the release binary, default model all-MiniLM-L6-v2 at max_seq_length 256, mean
pooling, unit norm; bf16 encoder on CPUs with AVX512_BF16).

Base set (benchmarks/data/vectors/pkgdesc-384.npy, float32, unit norm, about 100k rows):
  rows [0, D)   : the D corpus documents, title + " " + text (the vectors the quality case searches);
  rows [D, N)   : passages: every paragraph of a long description that has >= 8 words, split into
                  sentences, consecutive sentences packed up to ~40 words; taken in a seeded order
                  until N = --total rows (default 100,000).
Queries (pkgdesc-384-queries.npy, --queries rows, default 1,000): package synopses, rows [0, 1000) are
the test queries of debian-pkgdesc (queries.jsonl order), any further rows a seeded sample of the other
synopses.
Ground truth (pkgdesc-384-gt100.npy, int32, queries × 100): exact inner-product top 100 (= cosine).
Also written: pkgdesc-384.ids.jsonl (one line per row: {"doc": corpus _id, "passage": -1 | index}),
pkgdesc-384-queries.jsonl (ids, texts) and MANIFEST.json with sha256 hashes and the embedder.
--quick writes the same files into benchmarks/data/vectors-quick/ (2,000 documents, 5,000 rows,
200 queries) for quick runs.

`anglevec embed --file` reads one text per line, so line breaks inside a text become spaces (the BERT
tokenizer treats every whitespace alike: same tokens). The texts go through the binary in pieces of
CHUNK, each saved under benchmarks/data/cache/ (keyed by texts, model and binary) so a killed build
resumes; the pieces are deleted once the set is written. A few texts are also embedded with
sentence-transformers as a check: the build fails if any row's cosine is below MIN_COSINE (the min is
recorded in MANIFEST.json). A folder whose MANIFEST.json names another embedder (the sentence-
transformers vectors of earlier versions) is rebuilt, never reused.

The documents are the coarse case's documents too, which it embeds with every layer: in a full build
(not --quick) their vectors come from that case's row pass, run here (`Bench coarse --embed-only`,
the same Embedder and precision; it fills the coarse case's cache), so `run.sh all` embeds the 32k
documents once for both; so do the coarse rows' passages (the first ones of the same seeded passage
order). MANIFEST.json says which pass made them; when the coarse rows' documents differ from these,
or Bench is not built, everything goes through `anglevec embed`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
from common import BENCH_BIN, CLI_BIN, DATA, MODEL_DIR, PKGDESC, ROOT, VECTORS, VECTORS_QUICK, doc_text, read_jsonl  # noqa: E402
from builders.debian_pkgdesc import SEED, sha256  # noqa: E402

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")
EMBEDDER = "anglevec embed"  # MANIFEST.json "embedder" starts with this; anything else is rebuilt
CACHE = DATA / "cache"
CHUNK = 10_000       # texts per `anglevec embed` call (one resumable piece)
CHECK_TEXTS = 24     # texts also embedded with sentence-transformers as a check
MIN_COSINE = 0.999   # anglevec (bf16) vs sentence-transformers (fp32), per row


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


def one_line(text: str) -> str:
    """The text as one line of `anglevec embed --file`: line breaks become spaces (same BERT tokens)."""
    line = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    if not line.strip():
        raise ValueError(f"ann-vectors: empty text {text!r} (anglevec embed --file skips empty lines: rows would shift)")
    return line


def binary_identity() -> dict:
    """What made the vectors: `anglevec --version`, the commit of the checkout it was built from (with
    '-dirty' when Sources/ or Package.swift had uncommitted changes), the encoder precision and the binary's hash."""
    if not CLI_BIN.exists():
        sys.exit(f"ann-vectors: {CLI_BIN.relative_to(ROOT)} is not built; the vectors are embedded by anglevec itself: "
                 "run `swift build -c release --product anglevec` first (benchmarks/run.sh does)")
    version = subprocess.run([str(CLI_BIN), "--version"], capture_output=True, text=True).stdout.strip()
    def git(*args: str) -> str:  # "" without git or outside a checkout
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""
    commit = git("rev-parse", "--short=12", "HEAD") or "unknown"
    if git("status", "--porcelain", "--", "Sources", "Package.swift"):
        commit += "-dirty"
    precision = os.environ.get("ANGLEVEC_PRECISION", "").strip().lower()
    if not precision:  # the encoder's automatic choice (EncoderPrecision.automatic)
        try:
            precision = "bf16" if "avx512_bf16" in Path("/proc/cpuinfo").read_text().split() else "fp32"
        except OSError:
            precision = "unknown"
    return {"version": version, "commit": commit, "precision": precision, "sha256": sha256(CLI_BIN)[:16]}


def anglevec_embed(texts: list[str], name: str, identity: dict) -> np.ndarray:
    """Unit-norm float32 vectors of `texts` by `anglevec embed --file ... --format npy`, CHUNK texts per call,
    each piece cached (benchmarks/data/cache/<name>-<key>.partNNN.npy) until the whole set is done."""
    lines = [one_line(t) for t in texts]
    h = hashlib.sha256(json.dumps([identity["sha256"], identity["precision"], (MODEL_DIR / "model.safetensors").stat().st_size]).encode())
    for line in lines:
        h.update(line.encode("utf-8")); h.update(b"\0")
    stem = CACHE / f"{name}-{h.hexdigest()[:16]}"
    CACHE.mkdir(parents=True, exist_ok=True)
    pieces, started, done = [], time.time(), 0
    n_chunks = (len(lines) + CHUNK - 1) // CHUNK
    with tempfile.TemporaryDirectory(prefix="ann-vectors-") as tmp:
        for c in range(n_chunks):
            part = Path(f"{stem}.part{c:03d}.npy")
            chunk = lines[c * CHUNK:(c + 1) * CHUNK]
            if not part.exists():
                src, dst = Path(tmp) / "texts.txt", Path(tmp) / "vectors.npy"
                src.write_text("".join(line + "\n" for line in chunk), encoding="utf-8")
                cmd = [str(CLI_BIN), "embed", "--model", str(MODEL_DIR), "--file", str(src), "--format", "npy", "-o", str(dst), "--quiet"]
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    sys.exit(f"ann-vectors: `{' '.join(cmd)}` failed ({p.returncode}): {p.stderr.strip()[-600:]}")
                vectors = np.load(dst)
                if vectors.shape[0] != len(chunk):
                    sys.exit(f"ann-vectors: anglevec embed returned {vectors.shape[0]} rows for {len(chunk)} texts ({name}, piece {c})")
                np.save(f"{stem}.partial.npy", vectors.astype(np.float32))
                os.replace(f"{stem}.partial.npy", part)
                done += len(chunk)
                print(f"  {name}: piece {c + 1}/{n_chunks} ({done / (time.time() - started):.0f} texts/s)", file=sys.stderr)
            pieces.append(np.load(part))
    out = np.vstack(pieces).astype(np.float32)
    for part in CACHE.glob(stem.name + ".part*.npy"):
        part.unlink()
    return out


def coarse_pass(doc_texts: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """Unit-norm vectors from the coarse case's row pass: (the corpus documents' rows, {passage text: row}
    for its passages, which are a prefix of this builder's seeded passage order). None when its document
    rows are not exactly `doc_texts` (then the caller embeds everything itself)."""
    sys.path.insert(0, str(ROOT / "benchmarks" / "cases"))
    from coarse import embed_default_rows
    with tempfile.TemporaryDirectory(prefix="ann-vectors-") as tmp:
        export = Path(tmp) / "rows-last-layer.f32"
        started = time.time()
        texts, docs = embed_default_rows(export)
        if texts[:docs] != doc_texts:
            print("ann-vectors: the coarse case's document rows differ from the corpus: embedding the documents here",
                  file=sys.stderr)
            return None
        vectors = np.fromfile(export, dtype="<f4").reshape(len(texts), -1)
    vectors = (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)
    print(f"  coarse case's row pass: {docs} documents + {len(texts) - docs} passages ({time.time() - started:.0f} s)", file=sys.stderr)
    return vectors[:docs], {texts[r]: vectors[r] for r in range(docs, len(texts))}


def check_against_sentence_transformers(texts: list[str], vectors: np.ndarray) -> float:
    """Min cosine between anglevec's rows and sentence-transformers' for the same texts (as given: newlines kept)."""
    import embeddings  # torch + sentence-transformers, only for this check
    reference = embeddings.model().encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False)
    reference = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    return float(np.min(np.sum(reference * vectors, axis=1)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1_000, help="query rows (default 1,000: the test queries, all the index case uses)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--quick", action="store_true",
                    help="2,000 documents + passages up to 5,000 rows, 200 queries, into vectors-quick/ (a couple of minutes)")
    args = ap.parse_args()
    if args.quick:
        args.total, args.queries = 5_000, 200
    out = args.out or (VECTORS_QUICK if args.quick else VECTORS)
    manifest_path = out / "MANIFEST.json"
    if manifest_path.exists():
        embedder = json.loads(manifest_path.read_text()).get("embedder", "sentence-transformers (no 'embedder' field)")
        if embedder.startswith(EMBEDDER):
            print(f"ann-vectors: {out} exists, embedded by {embedder} (delete it to rebuild)", file=sys.stderr)
            return
        print(f"ann-vectors: {out} was embedded by {embedder}, not {EMBEDDER}: rebuilding", file=sys.stderr)
        manifest_path.unlink()  # the old files are overwritten below; no manifest until the new set is complete
    identity = binary_identity()
    corpus = read_jsonl(PKGDESC / "corpus.jsonl")
    if args.quick:
        corpus = sorted(random.Random(SEED).sample(corpus, 2000), key=lambda d: d["_id"])
    rng = random.Random(SEED)
    extra = [(d["_id"], i, p) for d in corpus for i, p in enumerate(passages(d["text"]))]
    rng.shuffle(extra)
    extra = extra[:max(0, args.total - len(corpus))]
    extra.sort(key=lambda e: (e[0], e[1]))
    print(f"ann-vectors: {len(corpus)} documents + {len(extra)} passages, embedded by {CLI_BIN.relative_to(ROOT)} "
          f"({identity['version']}, {identity['commit']}, {identity['precision']})", file=sys.stderr)
    doc_texts = [doc_text(d) for d in corpus]
    tag = "-quick" if args.quick else ""
    shared = coarse_pass(doc_texts) if not args.quick and args.total >= len(corpus) and BENCH_BIN.exists() else None
    docs_final, known = shared if shared else (anglevec_embed(doc_texts, f"anglevec-pkgdesc-corpus{tag}", identity), {})
    passage_texts = [p for _, _, p in extra]
    rest = [p for p in passage_texts if p not in known]
    rest_vectors = dict(zip(rest, anglevec_embed(rest, f"anglevec-pkgdesc-passages{tag}", identity))) if rest else {}
    passage_vectors = np.stack([known[p] if p in known else rest_vectors[p] for p in passage_texts]).astype(np.float32)
    docs_by = (f"documents and {len(passage_texts) - len(rest)} passages: Bench coarse --embed-only (the coarse case's "
               "row pass: same Embedder, precision and checkout)") if shared else EMBEDDER
    base = np.vstack([docs_final, passage_vectors]).astype(np.float32)

    test = read_jsonl(PKGDESC / "queries.jsonl")
    others = sorted(set(synopses_from_raw()) - {q["_id"] for q in test})
    random.Random(SEED + 1).shuffle(others)
    syn = synopses_from_raw()
    test = test[:args.queries]
    qrows = [(q["_id"], q["text"]) for q in test] + [(qid, syn[qid]) for qid in others[:max(0, args.queries - len(test))]]
    queries = anglevec_embed([t for _, t in qrows], f"anglevec-pkgdesc-synopses{tag}", identity)

    # The check: the longest documents (truncated at 256 tokens, multi-paragraph), some passages and queries.
    longest = sorted(range(len(doc_texts)), key=lambda i: -len(doc_texts[i]))[:CHECK_TEXTS // 3]
    pick = random.Random(SEED + 2)
    sample_p = pick.sample(range(len(extra)), min(CHECK_TEXTS // 3, len(extra)))
    sample_q = pick.sample(range(len(qrows)), min(CHECK_TEXTS // 3, len(qrows)))
    min_cos = check_against_sentence_transformers(
        [doc_texts[i] for i in longest] + [extra[i][2] for i in sample_p] + [qrows[i][1] for i in sample_q],
        np.vstack([docs_final[longest], passage_vectors[sample_p], queries[sample_q]]))
    print(f"ann-vectors: anglevec vs sentence-transformers on {len(longest) + len(sample_p) + len(sample_q)} texts: "
          f"min cosine {min_cos:.5f}", file=sys.stderr)
    if min_cos < MIN_COSINE:
        sys.exit(f"ann-vectors: anglevec's vectors differ from sentence-transformers' (min cosine {min_cos:.5f} < {MIN_COSINE}): "
                 "not writing the set")

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
    manifest = {"name": "pkgdesc-384", "model": "sentence-transformers/all-MiniLM-L6-v2 (max_seq_length 256, mean pooling, unit norm)",
                "embedder": f"{EMBEDDER}, {identity['precision']}", "documents_embedded_by": docs_by,
                "anglevec": {"binary": str(CLI_BIN.relative_to(ROOT)), **identity},
                "check": {"texts": len(longest) + len(sample_p) + len(sample_q), "reference": "sentence-transformers (fp32)",
                          "min_cosine": round(min_cos, 6)},
                "rows": int(base.shape[0]), "documents": len(corpus), "passages": len(extra), "queries": len(qrows),
                "metric": "inner product (= cosine)", "builder": "benchmarks/builders/ann_vectors.py",
                "files": {n: {"sha256": sha256(out / n), "bytes": (out / n).stat().st_size} for n in files}}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps({k: manifest[k] for k in ("rows", "documents", "passages", "queries", "embedder")}), file=sys.stderr)


if __name__ == "__main__":
    main()
