"""Shared helpers for benchmark cases: paths, data loading, the common JSON result schema, the machine.

Every case writes benchmarks/out/<mode>.json:
  {"mode", "title", "data", "command", "tables": [{"name", "columns", "rows"}], "ratios": {...},
   "missing": ["peer: reason"], "plots": ["benchmarks/plots/x.png"], "notes": [...]}
`Result` builds that dict and `Result.write()` stores it (also on failure, so nothing is silently lost).
"""
from __future__ import annotations

import csv
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
OUT = BENCH / "out"
PLOTS = BENCH / "plots"
PKGDESC = DATA / "debian-pkgdesc"
STS = DATA / "sts"
VECTORS = DATA / "vectors"              # pkgdesc-384*.npy, built by builders/ann_vectors.py
VECTORS_QUICK = DATA / "vectors-quick"  # the same files, small, for --quick runs
ANGLEVEC_HOME = Path(os.environ.get("ANGLEVEC_HOME", Path.home() / ".cache" / "anglevec"))
MODEL_DIR = ANGLEVEC_HOME / "models" / "all-MiniLM-L6-v2"
BENCH_BIN = ROOT / ".build" / "release" / "Bench"
CLI_BIN = ROOT / ".build" / "release" / "anglevec"
# AnglE's retrieval prompt (angle_emb.Prompts.C), applied to queries only.
RETRIEVAL_PROMPT = "Represent this sentence for searching relevant passages: {text}"


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def doc_text(doc: dict) -> str:
    """A BEIR document as retrievers see it: title + " " + text (BEIR's sentence-transformers and
    BM25 evaluations concatenate them the same way)."""
    return (doc.get("title", "") + " " + doc["text"]).strip()


def load_beir(folder: Path = PKGDESC, split: str = "test"):
    """(corpus, queries, qrels): corpus = list of {_id, text, ...}; queries = {qid: text} restricted to
    the split's qrels; qrels = {qid: {doc_id: grade}}."""
    corpus = read_jsonl(folder / "corpus.jsonl")
    qrels: dict[str, dict[str, int]] = {}
    with open(folder / "qrels" / f"{split}.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    queries = {q["_id"]: q["text"] for q in read_jsonl(folder / "queries.jsonl") if q["_id"] in qrels}
    return corpus, queries, qrels


def manifest_hashes(folder: Path = PKGDESC) -> dict[str, str]:
    m = json.loads((folder / "MANIFEST.json").read_text())
    return {name: info["sha256"] for name, info in m["files"].items()}


class Result:
    """One case's output in the common schema."""

    def __init__(self, mode: str, title: str, data: str, command: str):
        self.d = {"mode": mode, "title": title, "data": data, "command": command, "tables": [], "ratios": {},
                  "missing": [], "plots": [], "notes": [], "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                  "versions": versions()}

    def table(self, name: str, columns: list[str], rows: list[list]) -> None:
        self.d["tables"].append({"name": name, "columns": columns, "rows": rows})

    def missing(self, what: str) -> None:
        print(f"[{self.d['mode']}] missing: {what}", file=sys.stderr)
        self.d["missing"].append(what)

    def note(self, text: str) -> None:
        self.d["notes"].append(text)

    def write(self) -> Path:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"{self.d['mode']}.json"
        path.write_text(json.dumps(self.d, indent=1, default=float) + "\n")
        print(f"[{self.d['mode']}] wrote {path.relative_to(ROOT)}", file=sys.stderr)
        return path


def versions() -> dict[str, str]:
    """Installed versions of the Python stack and the peers (importlib.metadata: nothing is imported)."""
    from importlib import metadata
    v = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "torch", "transformers", "sentence-transformers", "angle-emb", "hnswlib", "faiss-cpu",
                 "usearch", "rank-bm25", "matplotlib"):
        try:
            v[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            v[dist] = "missing"
    return v


def machine() -> dict:
    """CPU model, cores, SIMD flags of interest, memory, OS, toolchain: recorded once per run."""
    info: dict = {"platform": platform.platform(), "logical_cpus": os.cpu_count()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        info["cpu"] = model.group(1).strip() if model else platform.processor()
        flags = set(re.search(r"^flags\s*:\s*(.+)$", cpuinfo, re.M).group(1).split())
        interest = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                    "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"]
        info["flags"] = [f for f in interest if f in flags]
        info["physical_cores"] = len(set(re.findall(r"^core id\s*:\s*(\d+)$", cpuinfo, re.M))) or None
    except OSError:
        info["cpu"] = platform.processor()
    try:
        mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        info["memory_gib"] = round(int(mem.group(1)) / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    try:
        info["swift"] = subprocess.run(["swift", "--version"], capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        info["swift"] = "missing"
    return info


def peak_rss_mib() -> float:
    """This process's peak resident set size (ru_maxrss is KiB on Linux)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
