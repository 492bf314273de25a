#!/usr/bin/env python3
"""Store benchmark: anglevec's LMDB collection store vs SQLite (Python sqlite3, one table, WAL).

Workload (both systems, same sizes): bulk add N documents of ~1 KB text + small JSON metadata +
one 384-d f32 vector in batches of 1000 (one transaction each), then random get-by-id, file
size per document, and cold open (open + first get). Writes benchmarks/out/store.json.

    python benchmarks/cases/store.py                 # N = 100000, uses .build/release/Bench
    python benchmarks/cases/store.py --quick --build debug   # smoke test with a debug build
"""
import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORDS = ["vector", "search", "database", "embedding", "angle", "store", "memory", "page", "swift", "query",
         "index", "graph", "layer", "model", "token", "batch"]
MASK = (1 << 64) - 1


def text_for(i, nbytes):
    """The same text generator as Sources/Bench/StoreBench.swift (64-bit LCG over a vocabulary)."""
    x = (i * 6364136223846793005 + 1442695040888963407) & MASK
    parts, size = [], 0
    while size < nbytes:
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK
        w = WORDS[x >> 60]
        parts.append(w)
        size += len(w) + 1
    return " ".join(parts) + " "


def vectors(count, dims, rng):
    try:
        import numpy as np
        return [row.tobytes() for row in rng.standard_normal((count, dims), dtype=np.float32)]
    except ImportError:
        return [os.urandom(dims * 4) for _ in range(count)]


def run_anglevec(args):
    binary = args.bench or os.path.join(ROOT, ".build", args.build if args.build != "none" else "release", "Bench")
    if args.build != "none":
        subprocess.run(["swift", "build", "-c", args.build, "--product", "Bench"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    if not os.path.exists(binary):
        raise FileNotFoundError(f"{binary} not built (swift build -c release --product Bench, or pass --build release)")
    cmd = [binary, "store", "--n", str(args.n), "--dims", str(args.dims), "--text-bytes", str(args.text_bytes),
           "--batch", str(args.batch), "--gets", str(args.gets)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_sqlite(args):
    try:
        import numpy as np
        rng = np.random.default_rng(42)
    except ImportError:
        rng = None
    workdir = tempfile.mkdtemp(prefix="anglevec-storebench-sqlite-")
    path = os.path.join(workdir, "store.sqlite")
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: every commit is synced, like LMDB's default (durable against power loss).
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE docs (id TEXT PRIMARY KEY, text TEXT NOT NULL, metadata TEXT, vector BLOB)")
        insert_seconds, raw = 0.0, 0
        for start in range(0, args.n, args.batch):
            end = min(args.n, start + args.batch)
            vecs = vectors(end - start, args.dims, rng)
            rows = []
            for k, i in enumerate(range(start, end)):
                text = text_for(i, args.text_bytes)
                meta = json.dumps({"i": i, "lang": "en" if i % 3 == 0 else "fr", "year": 2000 + i % 25}, separators=(",", ":"))
                raw += len(text.encode()) + len(meta.encode()) + len(vecs[k])
                rows.append((f"doc-{i}", text, meta, vecs[k]))
            t0 = time.perf_counter()
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
            insert_seconds += time.perf_counter() - t0
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()

        opens = []
        for _ in range(5):
            t0 = time.perf_counter()
            c = sqlite3.connect(path)
            c.execute("SELECT text, metadata, vector FROM docs WHERE id = ?", ("doc-0",)).fetchone()
            opens.append((time.perf_counter() - t0) * 1000)
            c.close()
        opens.sort()

        conn = sqlite3.connect(path)
        r = random.Random(7)
        lat = []
        for _ in range(args.gets):
            i = r.randrange(args.n)
            t0 = time.perf_counter_ns()
            row = conn.execute("SELECT text, metadata, vector FROM docs WHERE id = ?", (f"doc-{i}",)).fetchone()
            _ = (row[0], json.loads(row[1]), row[2])
            lat.append((time.perf_counter_ns() - t0) / 1000)
        # The same metadata filter as the anglevec side (lang=en, year>=2010), a full pass, best of 3.
        filter_ms = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            ids = conn.execute("SELECT rowid FROM docs WHERE json_extract(metadata, '$.lang') = 'en' "
                               "AND json_extract(metadata, '$.year') >= 2010").fetchall()
            filter_ms = min(filter_ms, (time.perf_counter() - t0) * 1000)
        conn.close()
        lat.sort()
        size = os.path.getsize(path) + sum(os.path.getsize(path + s) for s in ("-wal", "-shm") if os.path.exists(path + s))
        return {
            "insert_docs_per_s": args.n / insert_seconds, "get_us_p50": lat[len(lat) // 2],
            "get_us_p99": lat[min(len(lat) - 1, len(lat) * 99 // 100)], "bytes_per_doc": size / args.n,
            "size_ratio": size / raw, "open_ms_median": opens[len(opens) // 2], "sqlite_version": sqlite3.sqlite_version,
            "filter_ms": filter_ms, "filter_matches": len(ids),
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--quick", action="store_true", help="small N for a smoke test")
    p.add_argument("--dims", type=int, default=384)
    p.add_argument("--text-bytes", type=int, default=1000)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--gets", type=int, default=20_000)
    p.add_argument("--build", choices=["release", "debug", "none"], default="none",
                   help="build the Bench executable in this configuration first (default none: use --bench or "
                        ".build/release/Bench, which benchmarks/run.sh builds)")
    p.add_argument("--bench", help="path of an already built Bench executable")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmarks", "out", "store.json"))
    args = p.parse_args()
    if args.quick:
        args.n, args.gets = min(args.n, 3000), min(args.gets, 2000)

    rows, missing, ratios, notes = [], [], {}, []
    columns = ["system", "insert docs/s", "get p50 µs", "get p99 µs", "bytes/doc", "file / raw bytes", "open ms",
               "filter pass ms"]
    results = {}
    for name, fn in (("anglevec", run_anglevec), ("sqlite", run_sqlite)):
        try:
            results[name] = fn(args)
        except Exception as e:  # a peer that cannot run is reported, never skipped silently
            missing.append(f"{name}: {type(e).__name__}: {e}")
    for name, r in results.items():
        label = name if name == "anglevec" else f"sqlite {r.get('sqlite_version', '')} (WAL, synchronous=FULL)"
        rows.append([label, round(r["insert_docs_per_s"], 1), round(r["get_us_p50"], 2), round(r["get_us_p99"], 2),
                     round(r["bytes_per_doc"], 1), round(r["size_ratio"], 3), round(r["open_ms_median"], 3),
                     round(r["filter_ms"], 2)])
    a, s = results.get("anglevec"), results.get("sqlite")
    if a and s:
        ratios["anglevec_vs_sqlite_insert_rate"] = round(a["insert_docs_per_s"] / s["insert_docs_per_s"], 3)
        ratios["sqlite_vs_anglevec_get_p50_latency"] = round(s["get_us_p50"] / a["get_us_p50"], 3)
        ratios["anglevec_vs_sqlite_bytes_per_doc"] = round(a["bytes_per_doc"] / s["bytes_per_doc"], 3)
        ratios["sqlite_vs_anglevec_filter_pass_ms"] = round(s["filter_ms"] / a["filter_ms"], 3)
        if a["filter_matches"] != s["filter_matches"]:
            notes.append(f"filter match counts differ: anglevec {a['filter_matches']}, sqlite {s['filter_matches']}")
    if a:
        ratios["anglevec_file_vs_raw_bytes"] = round(a["size_ratio"], 3)
        ratios[f"anglevec_open_ms_at_{args.n}_docs"] = round(a["open_ms_median"], 3)
    notes += [
        "Goals: insert rate >= 3x SQLite's; open < 50 ms at 100k docs; file <= 1.3x raw bytes (text + metadata + vectors).",
        "Both systems commit one transaction per batch with fsync (LMDB default sync; SQLite WAL synchronous=FULL).",
        "Insert time excludes generating the batch; SQLite's get latency includes Python call overhead and JSON parsing "
        "of the metadata; anglevec's includes decoding text, metadata and the vector into Swift values.",
        "Cold open = open a fresh handle + first get, page cache warm, median of 5.",
        "Filter pass = every document's metadata tested against lang=en AND year>=2010 (no secondary index on "
        "either side; SQLite via json_extract), best of 3.",
    ]
    out = {
        "mode": "store",
        "title": "Collection store: bulk insert, get by id, size, open",
        "data": f"{args.n} synthetic docs: ~{args.text_bytes} B text, ~45 B JSON metadata, {args.dims}-d f32 vector; "
                f"batches of {args.batch}; {args.gets} random gets",
        "command": "python benchmarks/cases/store.py" + (" --quick" if args.quick else "") + f" --n {args.n}",
        "tables": [{"name": "store", "columns": columns, "rows": rows}],
        "ratios": ratios, "missing": missing, "plots": [], "notes": notes,
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0  # a system that could not run is recorded in "missing"


if __name__ == "__main__":
    sys.exit(main())
