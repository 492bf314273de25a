#!/usr/bin/env python3
"""Recall@10 of anglevec's coarse-to-fine query against its exact search, end to end through the
release CLI on the bundled sample (queries: the first 100 package synopses). A quality check of
the 2D-Matryoshka stages, not a benchmark (no timings).

  python3 scripts/coarse-recall.py --coarse-dims 192
  python3 scripts/coarse-recall.py --coarse-layer 4 --coarse-dims 384
"""
import json, shutil, subprocess, sys, tempfile

BIN = ".build/release/anglevec"
db = tempfile.mkdtemp(prefix="anglevec-coarse-") + "/db"
try:
    subprocess.run([BIN, "init", db, "-q", *sys.argv[1:]], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([BIN, "add", db, "samples/debian-packages.jsonl", "-q"], check=True, stdout=subprocess.DEVNULL)
    queries = [json.loads(l)["metadata"]["synopsis"] for l in open("samples/debian-packages.jsonl")][:100]
    stdin = "".join(json.dumps({"query": q}) + "\n" for q in queries)

    def run(extra):
        out = subprocess.run([BIN, "query", db, "-k", "10", "--json", "-", *extra], input=stdin, capture_output=True, text=True, check=True).stdout
        hits = {}
        for line in out.splitlines():
            h = json.loads(line)
            hits.setdefault(h["query"], []).append(h["id"])
        return hits

    exact = run(["--exact"])
    def recall(r): return sum(len(set(r.get(q, [])) & set(ids)) for q, ids in exact.items()) / sum(map(len, exact.values()))
    print(" ".join(sys.argv[1:]), "recall@10 vs exact: coarse-only %.3f, k'=20 %.3f, k'=40 (default) %.3f"
          % (recall(run(["--coarse-only"])), recall(run(["--rerank", "20"])), recall(run([]))))
finally:
    shutil.rmtree(db.rsplit("/", 1)[0], ignore_errors=True)
