"""Human-graded similarity sets (format A: text1, text2, label) from the gensim 4.4.0 wheel's test data.

The wheel is fetched with `pip download gensim==4.4.0 --no-deps` into a temporary folder and read as
a zip (gensim is never imported or installed by this script). Written to benchmarks/data/sts/:
  lee.jsonl       Lee, Pincombe & Welsh 2005: 50 news documents (lee.cor), 1,225 document pairs
                  (upper triangle of the 50 × 50 mean human similarity matrix similarities0-1.txt).
  simlex999.jsonl SimLex-999 word pairs (simlex999.txt), label = mean human similarity 0..10.
  wordsim353.jsonl WordSim-353 word pairs (wordsim353.tsv), label = mean human relatedness 0..10.
plus MANIFEST.json with sha256 of the wheel, its source files and the outputs.
"""
from __future__ import annotations

import glob
import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
from common import STS  # noqa: E402
from builders.debian_pkgdesc import sha256  # noqa: E402

WHEEL = "gensim==4.4.0"
PREFIX = "gensim/test/test_data/"


def word_pairs(text: str) -> list[dict]:
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        a, b, score = line.split("\t")[:3]
        rows.append({"text1": a.strip(), "text2": b.strip(), "label": float(score)})
    return rows


def lee_pairs(corpus: bytes, matrix: bytes) -> list[dict]:
    docs = [line.strip() for line in corpus.decode("latin-1").splitlines() if line.strip()]
    sims = [[float(x) for x in line.split()] for line in matrix.decode().splitlines() if line.strip()]
    assert len(docs) == 50 and len(sims) == 50 and all(len(r) == 50 for r in sims), "unexpected Lee data shape"
    # The file holds the upper triangle (the lower one is zero); pairs i < j, as gensim's test_lee uses.
    return [{"text1": docs[i], "text2": docs[j], "label": sims[i][j], "id1": i, "id2": j}
            for i in range(50) for j in range(i + 1, 50)]


def main() -> None:
    out = STS
    if (out / "MANIFEST.json").exists():
        print(f"sts: {out} exists (delete it to rebuild)", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
                        "-d", tmp, WHEEL], check=True)
        wheel = Path(glob.glob(f"{tmp}/gensim-*.whl")[0])
        wheel_hash = sha256(wheel)
        with zipfile.ZipFile(wheel) as z:
            raw = {name: z.read(PREFIX + name) for name in ("lee.cor", "similarities0-1.txt", "simlex999.txt", "wordsim353.tsv")}
    sets = {"lee": lee_pairs(raw["lee.cor"], raw["similarities0-1.txt"]),
            "simlex999": word_pairs(raw["simlex999.txt"].decode()),
            "wordsim353": word_pairs(raw["wordsim353.tsv"].decode())}
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in sets.items():
        with open(out / f"{name}.jsonl", "w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    manifest = {"source": f"{wheel.name} (sha256 {wheel_hash})",
                "source_files": {n: hashlib.sha256(b).hexdigest() for n, b in raw.items()},
                "files": {f"{n}.jsonl": {"sha256": sha256(out / f"{n}.jsonl"), "pairs": len(r)} for n, r in sets.items()},
                "builder": "benchmarks/builders/graded_similarity.py"}
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(json.dumps({n: len(r) for n, r in sets.items()}), file=sys.stderr)


if __name__ == "__main__":
    main()
