"""Builds debian-pkgdesc, a BEIR-style retrieval set from Debian bookworm main's package index.

Query = a package's one-line synopsis; its one relevant document = the package's long description.
Source files: the apt lists of this machine (`apt-get update -o Acquire::Languages=en` fetches the
`Translation-en` file that carries the long descriptions; `Packages` gives Source and Section).
They are first copied to benchmarks/data/raw/ (apt deletes the translation file at the next plain
`apt-get update`), so a rebuild is reproducible from the recorded hashes.

Construction (deterministic, seed 20250520):
  1. join Translation-en with Packages (amd64) on (Package, Description-md5);
  2. skip transitional / dummy packages;
  3. keep documents of >= 15 words;
  4. one binary package per source package (the one named like the source, else the longest
     description, then alphabetical);
  5. drop duplicate descriptions (keep the alphabetically first package);
  6. keep only synopses that are unique (case-insensitive) and have >= 3 tokens.
Test: 1,000 seeded queries, qrels score 1. Train (format C for angle_emb, `train_clicks.jsonl`):
  {query, positive, negative} from other packages, where negative is a non-relevant document
  from BM25's top 5 for the query (not sharing the positive's first paragraph, which would make it
  a sibling package such as foo-data, i.e. a false negative); no test query and no test-relevant document appears in it.

Documents carry title = the package name; as in BEIR, a retriever sees title + " " + text
(common.doc_text), also in the training triples' positive/negative.
Outputs under benchmarks/data/debian-pkgdesc/: corpus.jsonl, queries.jsonl, qrels/test.tsv,
train_clicks.jsonl, packages.jsonl (every document's synopsis/section, not for retrieval), MANIFEST.json (sha256 of every file, counts, sources).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
from bm25 import BM25Okapi, tokenize  # noqa: E402

SEED = 20250520
N_TEST = 1000
N_TRAIN = 10000
LISTS = Path("/var/lib/apt/lists")
TRANSLATION = "deb.debian.org_debian_dists_bookworm_main_i18n_Translation-en"
PACKAGES = "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"
RELEASE = "deb.debian.org_debian_dists_bookworm_InRelease"
SKIP = re.compile(r"\btransitional\b|\bdummy\b", re.IGNORECASE)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_list(stem: str) -> Path | None:
    for suffix in ("", ".lz4", ".xz", ".gz"):
        p = LISTS / (stem + suffix)
        if p.exists():
            return p
    return None


def decompress(src: Path, dst: Path) -> None:
    # apt-helper knows every compression apt stores lists in (lz4 here); no extra tools needed.
    with open(dst, "wb") as out:
        subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", str(src)], stdout=out, check=True)


def ensure_raw(raw: Path) -> None:
    """Copies (decompressed) the apt lists into raw/, running apt-get update for English once if needed."""
    raw.mkdir(parents=True, exist_ok=True)
    if (raw / "Translation-en").exists() and (raw / "Packages").exists():
        return
    if find_list(TRANSLATION) is None:
        print("debian-pkgdesc: fetching Translation-en (apt-get update -o Acquire::Languages=en)", file=sys.stderr)
        cmd = ["apt-get", "update", "-qq", "-o", "Acquire::Languages=en"]
        if subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() != "0":
            cmd.insert(0, "sudo")
        subprocess.run(cmd, check=True)
    t, p = find_list(TRANSLATION), find_list(PACKAGES)
    if t is None or p is None:
        sys.exit(f"debian-pkgdesc: apt lists not found in {LISTS} ({TRANSLATION}, {PACKAGES})")
    decompress(t, raw / "Translation-en.partial"); (raw / "Translation-en.partial").rename(raw / "Translation-en")
    decompress(p, raw / "Packages.partial"); (raw / "Packages.partial").rename(raw / "Packages")
    release = LISTS / RELEASE
    if release.exists():
        shutil.copyfile(release, raw / "InRelease")


def stanzas(path: Path):
    """Yields deb822 stanzas as dicts; continuation lines are kept verbatim under their field."""
    fields: dict[str, str] = {}
    last = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if fields:
                    yield fields
                fields, last = {}, None
            elif line[0] in " \t" and last:
                fields[last] += "\n" + line
            else:
                key, _, value = line.partition(":")
                last = key
                fields[key] = value.strip()
    if fields:
        yield fields


def doc_text(d: dict) -> str:
    """What a retriever sees of a document, BEIR style: title (the package name) + " " + text."""
    return f"{d['package']} {d['text']}"


def long_text(lines: list[str]) -> str:
    """Debian extended description → text: ' .' separates paragraphs, deeper indent is verbatim."""
    paragraphs, current = [], []
    for line in lines:
        body = line[1:] if line.startswith(" ") else line
        if body.strip() == ".":
            if current:
                paragraphs.append(current); current = []
        elif body.startswith((" ", "\t")):
            current.append("\n" + body.strip())  # list item / verbatim line
        else:
            current.append(" " + body.strip())
    if current:
        paragraphs.append(current)
    return "\n".join("".join(p).strip() for p in paragraphs).strip()


def build(out: Path, raw: Path, n_test: int, n_train: int) -> dict:
    ensure_raw(raw)
    binary = {}
    for s in stanzas(raw / "Packages"):
        source = s.get("Source", s["Package"]).split(" ")[0]
        binary[(s["Package"], s.get("Description-md5", ""))] = (source, s.get("Section", ""), s.get("Priority", ""))
    candidates = []
    stats = {"translation_entries": 0, "not_in_amd64_packages": 0, "transitional_or_dummy": 0, "under_15_words": 0}
    for s in stanzas(raw / "Translation-en"):
        stats["translation_entries"] += 1
        key = (s["Package"], s.get("Description-md5", ""))
        if key not in binary:
            stats["not_in_amd64_packages"] += 1
            continue
        synopsis, *rest = s["Description-en"].split("\n")
        text = long_text(rest)
        if SKIP.search(synopsis) or SKIP.search(text):
            stats["transitional_or_dummy"] += 1
            continue
        if len(text.split()) < 15:
            stats["under_15_words"] += 1
            continue
        source, section, priority = binary[key]
        candidates.append({"package": s["Package"], "source": source, "section": section, "synopsis": synopsis.strip(), "text": text})

    by_source: dict[str, list[dict]] = {}
    for c in candidates:
        by_source.setdefault(c["source"], []).append(c)
    chosen = []
    for source in sorted(by_source):
        group = by_source[source]
        group.sort(key=lambda c: (c["package"] != source, -len(c["text"].split()), c["package"]))
        chosen.append(group[0])
    stats["after_one_per_source"] = len(chosen)

    chosen.sort(key=lambda c: c["package"])
    seen_text, unique = set(), []
    for c in chosen:
        if c["text"] in seen_text:
            continue
        seen_text.add(c["text"]); unique.append(c)
    stats["after_duplicate_descriptions"] = len(unique)
    counts: dict[str, int] = {}
    for c in unique:
        k = c["synopsis"].lower()
        counts[k] = counts.get(k, 0) + 1
    docs = [c for c in unique if counts[c["synopsis"].lower()] == 1 and len(tokenize(c["synopsis"])) >= 3]
    stats["documents"] = len(docs)

    rng = random.Random(SEED)
    order = list(range(len(docs)))
    rng.shuffle(order)
    test = sorted(order[:n_test])
    test_set = set(test)

    # Training triples: BM25 over the corpus minus test-relevant documents, so a negative is never
    # a test document either; queries come from the remaining packages.
    pool = [i for i in range(len(docs)) if i not in test_set]
    pool_tokens = [tokenize(doc_text(docs[i])) for i in pool]
    bm25 = BM25Okapi(pool_tokens)
    train_rows = sorted(order[n_test:n_test + int(n_train * 1.05)])
    q_tokens = [tokenize(docs[i]["synopsis"]) for i in train_rows]
    top, _ = bm25.top_k(q_tokens, 5)
    triples = []
    for row, hits in zip(train_rows, top):
        # A sibling package (same first paragraph, e.g. foo vs foo-data) would be a false negative.
        first = docs[row]["text"].split("\n")[0]
        negatives = [pool[h] for h in hits if pool[h] != row and docs[pool[h]]["text"].split("\n")[0] != first]
        if not negatives:
            continue
        neg = negatives[rng.randrange(len(negatives))]
        triples.append({"query": docs[row]["synopsis"], "positive": doc_text(docs[row]), "negative": doc_text(docs[neg]),
                        "query_id": "q-" + docs[row]["package"], "positive_id": docs[row]["package"], "negative_id": docs[neg]["package"]})
        if len(triples) == n_train:
            break
    stats["train_triples"] = len(triples)
    assert not ({t["positive_id"] for t in triples} | {t["negative_id"] for t in triples}) & {docs[i]["package"] for i in test}

    out.mkdir(parents=True, exist_ok=True)
    (out / "qrels").mkdir(exist_ok=True)
    with open(out / "corpus.jsonl", "w") as f:
        for d in docs:
            f.write(json.dumps({"_id": d["package"], "title": d["package"], "text": d["text"],
                                "metadata": {"package": d["package"], "source": d["source"], "section": d["section"]}},
                               ensure_ascii=False) + "\n")
    with open(out / "queries.jsonl", "w") as f:
        for i in test:
            f.write(json.dumps({"_id": "q-" + docs[i]["package"], "text": docs[i]["synopsis"]}, ensure_ascii=False) + "\n")
    with open(out / "qrels" / "test.tsv", "w") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for i in test:
            f.write(f"q-{docs[i]['package']}\t{docs[i]['package']}\t1\n")
    with open(out / "train_clicks.jsonl", "w") as f:
        for t in triples:
            f.write(json.dumps(t, ensure_ascii=False) + "\n")
    # Every document's synopsis, for the samples and for tools; not part of the retrieval corpus.
    with open(out / "packages.jsonl", "w") as f:
        for i, d in enumerate(docs):
            f.write(json.dumps({"_id": d["package"], "synopsis": d["synopsis"], "source": d["source"], "section": d["section"],
                                "split": "test" if i in test_set else "other"}, ensure_ascii=False) + "\n")
    files = ["corpus.jsonl", "queries.jsonl", "qrels/test.tsv", "train_clicks.jsonl", "packages.jsonl"]
    manifest = {
        "name": "debian-pkgdesc",
        "description": "Debian bookworm main: query = package synopsis, relevant document = its long description",
        "seed": SEED,
        "counts": stats | {"test_queries": len(test)},
        "files": {name: {"sha256": sha256(out / name), "bytes": (out / name).stat().st_size} for name in files},
        "sources": {name: {"sha256": sha256(raw / name), "bytes": (raw / name).stat().st_size}
                    for name in ("Translation-en", "Packages", "InRelease") if (raw / name).exists()},
        "builder": "benchmarks/builders/debian_pkgdesc.py",
    }
    if (raw / "InRelease").exists():
        for line in open(raw / "InRelease", encoding="utf-8", errors="replace"):
            if line.startswith("Date:"):
                manifest["release_date"] = line.split(":", 1)[1].strip()
                break
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=BENCH / "data" / "debian-pkgdesc")
    ap.add_argument("--raw", type=Path, default=BENCH / "data" / "raw")
    ap.add_argument("--force", action="store_true", help="rebuild even when MANIFEST.json exists")
    args = ap.parse_args()
    if (args.out / "MANIFEST.json").exists() and not args.force:
        print(f"debian-pkgdesc: {args.out} exists (use --force to rebuild)", file=sys.stderr)
        return
    m = build(args.out, args.raw, N_TEST, N_TRAIN)
    print(json.dumps(m["counts"], indent=1), file=sys.stderr)


if __name__ == "__main__":
    main()
