"""The committed quickstart sample: 300 real Debian package descriptions and 12 sample queries.

samples/debian-packages.jsonl: {"id", "text", "metadata": {"package", "section", "source", "synopsis"}},
a seeded sample of debian-pkgdesc documents from its non-test part (so tests and the quickstart never
see benchmark test queries), at most 1,200 characters each, < 300 KB in all.
samples/debian-queries.jsonl: {"query", "expected"}: 12 of those packages' synopses (real queries with
one known answer) — handy for tests (the expected package should rank near the top).
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
from common import PKGDESC, ROOT, read_jsonl  # noqa: E402

SEED = 7


def main() -> None:
    corpus = {d["_id"]: d for d in read_jsonl(PKGDESC / "corpus.jsonl")}
    packages = [p for p in read_jsonl(PKGDESC / "packages.jsonl") if p["split"] != "test" and len(corpus[p["_id"]]["text"]) <= 1200]
    rng = random.Random(SEED)
    chosen = sorted(rng.sample(packages, 300), key=lambda p: p["_id"])
    out = ROOT / "samples"
    out.mkdir(exist_ok=True)
    with open(out / "debian-packages.jsonl", "w") as f:
        for p in chosen:
            f.write(json.dumps({"id": p["_id"], "text": corpus[p["_id"]]["text"],
                                "metadata": {"package": p["_id"], "section": p["section"], "source": p["source"], "synopsis": p["synopsis"]}},
                               ensure_ascii=False) + "\n")
    with open(out / "debian-queries.jsonl", "w") as f:
        for p in sorted(rng.sample(chosen, 12), key=lambda p: p["_id"]):
            f.write(json.dumps({"query": p["synopsis"], "expected": p["_id"]}, ensure_ascii=False) + "\n")
    print(f"samples: {(out / 'debian-packages.jsonl').stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
