#!/usr/bin/env python3
"""Index benchmark: anglevec HNSW vs hnswlib, faiss IndexHNSWFlat and usearch, same vectors,
same M / efConstruction, one run. Writes benchmarks/out/index.json (common schema) and
benchmarks/plots/index_qps_recall_<data>.png.

Data: (a) real 384-d embeddings: by default the debian-pkgdesc set of builders/ann_vectors.py
(benchmarks/data/vectors/: 100k document + passage vectors embedded by `anglevec embed`, package
synopses as queries), or --real PATH (.npy, rows = vectors; the last --nq rows are the queries);
(b) the standard-shaped random set: 20k normalized Gaussian 384-d vectors (--gaussian-n rows; the
shape of the index tests' random set), 200 queries of the same kind (--gaussian-nq).
All systems use cosine similarity (vectors L2-normalized; hnswlib/faiss/usearch in inner
product on the normalized vectors). Build uses 2 threads everywhere; QPS is measured with 1
and with 2 search threads over the whole query set, after an untimed pass, best of 2 passes (the
machine is shared: the best pass is the least disturbed one, for every system alike).
The level generator's seed changes a build's recall by a point or more (hnswlib's own builds of the
real set span 0.906-0.938 recall@10 at ef 32 over seeds), so on the real set anglevec and hnswlib are
each built with every seed in --seeds (the same seeds for both), and the ratios compare the median
QPS@0.95 and median build time over those builds; the first seed's build gives the full ef sweep and
the plot, the others sweep the efs around recall 0.95. faiss and usearch expose no level seed: one
build each.
Recall@10 counts a found row as a hit when its true inner product reaches the 10th best one (within
1e-5, ann-benchmarks' rule), so an exact duplicate of a ground-truth row is not a miss; one Python
function scores every system (Bench returns its labels). The sweep also keeps plain id-set recall.

  python benchmarks/cases/index.py --quick            # 5k vectors, a few minutes
  python benchmarks/cases/index.py                    # 100k real + 20k Gaussian
"""
import argparse, json, os, subprocess, sys, tempfile, time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EFS = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 512]
PASSES = 2  # timed passes per ef and thread count; the best one counts (the machine is shared)
K = 10
TARGET = 0.95


def rss():
    try:
        import psutil
        return psutil.Process().memory_info().rss
    except Exception:
        return 0


def normalize(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1
    return (x / n).astype(np.float32)


# Inner products closer than this to the k-th true one count as ties (float32 rounding of a
# 384-term dot product is ~1e-7; exact-duplicate rows tie exactly).
TIE_EPS = 1e-5


class Truth:
    """Exact top-K by brute force, with the K-th true inner product per query. recall() counts a found
    row as a hit when its true inner product reaches the K-th one (ann-benchmarks' rule): the real set
    has exact duplicate rows (distinct packages sharing a passage), and which of several tied rows sits
    at rank K is arbitrary, so id-set recall would charge a system for returning an equally near
    duplicate. Every system is scored by this one function."""

    def __init__(self, base, queries):
        self.base, self.queries = base, queries
        self.ids = np.zeros((len(queries), K), dtype=np.int64)
        self.kth = np.zeros(len(queries), dtype=np.float32)
        self.tied_queries = 0  # queries with more than K rows within TIE_EPS of the K-th inner product
        for s in range(0, len(queries), 256):
            sims = queries[s:s + 256] @ base.T
            idx = np.argpartition(-sims, K, axis=1)[:, :K]
            top = np.take_along_axis(sims, idx, 1)
            order = np.argsort(-top, axis=1)
            self.ids[s:s + 256] = np.take_along_axis(idx, order, 1)
            self.kth[s:s + 256] = top.min(axis=1)
            self.tied_queries += int(np.sum((sims >= self.kth[s:s + 256, None] - TIE_EPS).sum(axis=1) > K))

    def recall(self, found) -> float:
        found = np.asarray(found, dtype=np.int64)[:, :K]
        valid = found >= 0  # faiss/usearch pad a short result with -1 / sentinel keys
        found = np.where(valid & (found < len(self.base)), found, 0)
        sims = np.einsum("qkd,qd->qk", self.base[found], self.queries)
        hits = np.sum((sims >= self.kth[:, None] - TIE_EPS) & valid, axis=1)
        return float(np.mean(np.minimum(hits, K) / K))

    def id_recall(self, found) -> float:
        """Plain id-set recall against the (arbitrarily tie-broken) ground truth, for reference."""
        return float(np.mean([len(set(f[:K]) & set(g[:K])) / K for f, g in zip(np.asarray(found).tolist(), self.ids.tolist())]))


def timed_qps(fn, nq, passes=PASSES):
    """Best of `passes` timed runs; the caller's untimed labels pass over the same queries is the warm-up."""
    best = float("inf")
    for _ in range(passes):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return nq / best


def run_hnswlib(base, queries, gt, M, efc, seed=100, efs=EFS):
    import hnswlib
    r0 = rss()
    p = hnswlib.Index(space="ip", dim=base.shape[1])
    p.init_index(max_elements=len(base), ef_construction=efc, M=M, random_seed=seed)
    t = time.perf_counter()
    p.add_items(base, np.arange(len(base)), num_threads=2)
    build = time.perf_counter() - t
    mem = rss() - r0
    sweep = []
    for ef in efs:
        p.set_ef(ef)
        labels, _ = p.knn_query(queries, k=K, num_threads=1)
        q1 = timed_qps(lambda: p.knn_query(queries, k=K, num_threads=1), len(queries))
        q2 = timed_qps(lambda: p.knn_query(queries, k=K, num_threads=2), len(queries))
        sweep.append({"ef": ef, "recall": gt.recall(labels), "recall_ids": gt.id_recall(labels), "qps_1thread": q1, "qps_2threads": q2})
    return {"system": "hnswlib", "seed": seed, "build_seconds": build, "rss_delta_bytes": mem, "sweep": sweep}


def run_faiss(base, queries, gt, M, efc):
    import faiss
    r0 = rss()
    faiss.omp_set_num_threads(2)
    idx = faiss.IndexHNSWFlat(base.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    idx.hnsw.efConstruction = efc
    t = time.perf_counter()
    idx.add(base)
    build = time.perf_counter() - t
    mem = rss() - r0
    sweep = []
    for ef in EFS:
        idx.hnsw.efSearch = ef
        def search(threads):
            faiss.omp_set_num_threads(threads)
            return idx.search(queries, K)
        _, labels = search(1)
        q1 = timed_qps(lambda: search(1), len(queries))
        q2 = timed_qps(lambda: search(2), len(queries))
        sweep.append({"ef": ef, "recall": gt.recall(labels), "recall_ids": gt.id_recall(labels), "qps_1thread": q1, "qps_2threads": q2})
    return {"system": "faiss-hnsw", "build_seconds": build, "rss_delta_bytes": mem, "sweep": sweep}


def run_usearch(base, queries, gt, M, efc):
    from usearch.index import Index
    r0 = rss()
    idx = Index(ndim=base.shape[1], metric="ip", dtype="f32", connectivity=M, expansion_add=efc)
    t = time.perf_counter()
    idx.add(np.arange(len(base)), base, threads=2)
    build = time.perf_counter() - t
    mem = rss() - r0
    sweep = []
    for ef in EFS:
        idx.expansion_search = ef
        labels = idx.search(queries, K, threads=1).keys
        q1 = timed_qps(lambda: idx.search(queries, K, threads=1), len(queries))
        q2 = timed_qps(lambda: idx.search(queries, K, threads=2), len(queries))
        sweep.append({"ef": ef, "recall": gt.recall(labels), "recall_ids": gt.id_recall(labels), "qps_1thread": q1, "qps_2threads": q2})
    return {"system": "usearch", "build_seconds": build, "rss_delta_bytes": mem, "sweep": sweep}


def save_inputs(folder, base, queries, gt):
    """The .npy files `Bench index` reads for one data set (written once, shared by every build)."""
    os.makedirs(folder, exist_ok=True)
    paths = {name: os.path.join(folder, name + ".npy") for name in ("base", "queries", "gt")}
    np.save(paths["base"], base)
    np.save(paths["queries"], queries)
    np.save(paths["gt"], gt.ids.astype(np.float32))
    return paths


def run_anglevec(bench, paths, gt, M, efc, seed=100, efs=EFS):
    cmd = [bench, "index", "--base", paths["base"], "--queries", paths["queries"], "--gt", paths["gt"],
           "--metric", "cosine", "--M", str(M), "--efc", str(efc), "--k", str(K), "--threads", "2",
           "--ef", ",".join(map(str, efs)), "--labels", "yes", "--seed", str(seed), "--passes", str(PASSES)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    r["system"], r["seed"] = "anglevec", seed
    for s in r["sweep"]:  # scored by the same function as the peers, not by Bench's id-set recall
        labels = s.pop("labels")
        s["recall"], s["recall_ids"] = gt.recall(labels), gt.id_recall(labels)
    return r


def qps_at(sweep, target, key="qps_1thread"):
    """QPS at recall = target, interpolated linearly in (recall, log QPS) along the ef curve."""
    pts = sorted((s["recall"], s[key]) for s in sweep)
    for (r0, q0), (r1, q1) in zip(pts, pts[1:]):
        if r0 <= target <= r1:
            if r1 == r0:
                return max(q0, q1)
            w = (target - r0) / (r1 - r0)
            return float(np.exp(np.log(q0) + w * (np.log(q1) - np.log(q0))))
    if pts and pts[0][0] >= target:
        return pts[0][1]  # already above target at the smallest ef
    return None


def efs_near(sweep, lo=0.90, hi=0.985):
    """The efs of a full sweep from the last one below recall `lo` to the first one at or above `hi`:
    wide enough to interpolate QPS at recall 0.95 on another build of the same data, whose recall at
    a given ef can be several points off the first build's."""
    pts = sorted((s["ef"], s["recall"]) for s in sweep)
    start = max([i for i, (_, r) in enumerate(pts) if r < lo], default=0)
    stop = min([i for i, (_, r) in enumerate(pts) if r >= hi], default=len(pts) - 1)
    return [ef for ef, _ in pts[start:stop + 1]]


def median(xs):
    xs = [x for x in xs if x is not None]
    return float(np.median(xs)) if xs else None


def plot(results, title, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in results:
        s = sorted(r["sweep"], key=lambda x: x["recall"])
        ax.plot([x["recall"] for x in s], [x["qps_1thread"] for x in s], marker="o", ms=3, label=r["system"])
    ax.set_xlabel("recall@10")
    ax.set_ylabel("queries per second (1 thread)")
    ax.set_yscale("log")
    ax.axvline(TARGET, color="grey", ls=":", lw=1)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", help=".npy of real embeddings (N × 384, the last --nq rows are queries); "
                    "default: benchmarks/data/vectors (builders/ann_vectors.py)")
    ap.add_argument("--gaussian-n", type=int, default=20_000, help="Gaussian base rows (default 20k, the standard-shaped random set)")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--nq", type=int, default=1000)
    ap.add_argument("--gaussian-nq", type=int, default=200, help="Gaussian queries (default 200: no system nears recall 0.95 "
                    "there, so the set shows the curve's shape, not a ratio at 0.95)")
    ap.add_argument("--M", type=int, default=16)
    ap.add_argument("--efc", type=int, default=200)
    ap.add_argument("--seeds", default="100,1,2", help="level-generator seeds for anglevec and hnswlib on the real set "
                    "(default 100,1,2; hnswlib's default is 100); --quick uses the first one only")
    ap.add_argument("--quick", action="store_true", help="5k vectors, 200 queries")
    ap.add_argument("--bench", default=os.path.join(ROOT, ".build/release/Bench"))
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    seeds = [int(x) for x in a.seeds.split(",") if x.strip()]
    if not seeds:
        sys.exit("--seeds: give at least one seed, e.g. --seeds 100,1,2")
    if a.quick:
        a.n, a.nq, a.gaussian_n, a.gaussian_nq = 5000, 200, 5000, 200
        seeds = seeds[:1]
    missing, notes = [], []
    if not a.no_build:
        b = subprocess.run(["swift", "build", "-c", "release", "--product", "Bench"], cwd=ROOT,
                           capture_output=True, text=True)
        if b.returncode != 0:
            sys.exit("swift build -c release --product Bench failed:\n" + (b.stdout + b.stderr)[-3000:])

    datasets = []
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    from common import VECTORS, VECTORS_QUICK
    folder = VECTORS_QUICK if a.quick else VECTORS
    if a.real and os.path.exists(a.real):
        real = np.load(a.real).astype(np.float32)
        need = a.n + a.nq
        if len(real) < need:
            notes.append(f"real set has {len(real)} rows < {need}: using {len(real) - a.nq} base vectors")
        real = normalize(real[:need])
        datasets.append(("real", f"real 384-d embeddings from {os.path.basename(a.real)}", real[:-a.nq], real[-a.nq:]))
    elif not a.real and (folder / "pkgdesc-384.npy").exists():
        base = normalize(np.load(folder / "pkgdesc-384.npy")[:a.n])
        queries = normalize(np.load(folder / "pkgdesc-384-queries.npy")[:a.nq])
        try:
            embedder = json.loads((folder / "MANIFEST.json").read_text()).get("embedder", "sentence-transformers")
        except (OSError, ValueError):
            embedder = "unknown embedder (no MANIFEST.json)"
        datasets.append(("real", f"debian-pkgdesc documents + passages, all-MiniLM-L6-v2 via {embedder} "
                         f"({folder.relative_to(ROOT)}, builders/ann_vectors.py), package synopses as queries", base, queries))
    else:
        missing.append(f"real embeddings: {a.real or folder} not found (benchmarks/builders/ann_vectors.py); Gaussian data only")
    dims = datasets[0][2].shape[1] if datasets else 384
    nb = a.gaussian_n
    rng = np.random.default_rng(42)
    g = normalize(rng.standard_normal((nb + a.gaussian_nq, dims)).astype(np.float32))
    datasets.append(("gaussian", f"Gaussian random {dims}-d (normalized)", g[:nb], g[nb:]))

    peers = [("hnswlib", run_hnswlib), ("faiss-hnsw", run_faiss), ("usearch", run_usearch)]
    tables, plots, ratios, data_desc = [], [], {}, []
    os.makedirs(os.path.join(ROOT, "benchmarks/out"), exist_ok=True)
    os.makedirs(os.path.join(ROOT, "benchmarks/plots"), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for key, desc, base, queries in datasets:
            data_desc.append(f"{desc}: {len(base)} base, {len(queries)} queries")
            gt = Truth(base, queries)
            if gt.tied_queries:
                notes.append(f"{key}: {gt.tied_queries} of {len(queries)} queries have a tie at rank {K} of the exact "
                             f"ranking (within {TIE_EPS:g}); recall@{K} counts any of the tied rows as a hit.")
            results = []  # one build per system (the first seed's): the ef sweep and the plot
            extra = {"anglevec": [], "hnswlib": []}  # the builds with the other seeds (real set only)
            key_seeds = seeds if key == "real" else seeds[:1]
            inputs = save_inputs(os.path.join(tmp, key), base, queries, gt)
            seeded = {  # systems whose level generator takes a seed: (seed, efs) -> result
                "anglevec": lambda seed, efs: run_anglevec(a.bench, inputs, gt, a.M, a.efc, seed, efs),
                "hnswlib": lambda seed, efs: run_hnswlib(base, queries, gt, a.M, a.efc, seed, efs),
            }
            for name in ["anglevec"] + [n for n, _ in peers]:
                try:
                    if name in seeded:
                        first = seeded[name](key_seeds[0], EFS)
                        results.append(first)
                        near = efs_near(first["sweep"])
                        extra[name] += [seeded[name](seed, near) for seed in key_seeds[1:]]
                    else:
                        results.append(dict(peers)[name](base, queries, gt, a.M, a.efc))
                except Exception as e:  # noqa: BLE001 — reported, never silently skipped
                    missing.append(f"{name} on {key}: {type(e).__name__}: {e}")
            for b in results + extra["anglevec"] + extra["hnswlib"]:  # QPS at the target, 1 and 2 threads, per build
                b["at_target"] = (qps_at(b["sweep"], TARGET), qps_at(b["sweep"], TARGET, "qps_2threads"))
            rows, medians = [], {}
            for r in results:
                builds = [r] + extra.get(r["system"], [])
                q1 = median([b["at_target"][0] for b in builds])
                q2 = median([b["at_target"][1] for b in builds])
                build_s = median([b["build_seconds"] for b in builds])
                medians[r["system"]] = (q1, q2, build_s)
                unreached = [str(b.get("seed")) for b in builds if b["at_target"][0] is None]
                if unreached and len(builds) > 1:
                    notes.append(f"{key}: {r['system']} did not reach recall {TARGET} within the swept efs with seed(s) "
                                 f"{', '.join(unreached)}; its median is over the other builds.")
                best = max(s["recall"] for s in r["sweep"])
                rows.append([r["system"], len(builds), round(build_s, 2),
                             round(r.get("rss_delta_bytes", 0) / 2**20, 1),
                             None if q1 is None else round(q1), None if q2 is None else round(q2), round(best, 4)])
            tables.append({"name": f"{key}: build and QPS at recall@10 = {TARGET}" + (" (median over builds)" if len(key_seeds) > 1 else ""),
                           "columns": ["system", "builds", "build s (2 threads)", "memory MiB (RSS delta)",
                                       f"QPS@{TARGET} 1 thread", f"QPS@{TARGET} 2 threads", "max recall@10 (first build)"],
                           "rows": rows})
            if len(key_seeds) > 1:
                seed_rows = []
                for r in results:
                    for b in [r] + extra.get(r["system"], []):
                        at64 = next((s["recall"] for s in b["sweep"] if s["ef"] == 64), None)
                        q1, q2 = b["at_target"]
                        seed_rows.append([b["system"], b.get("seed", "n/a"), round(b["build_seconds"], 2),
                                          None if at64 is None else round(at64, 4),
                                          None if q1 is None else round(q1), None if q2 is None else round(q2)])
                tables.append({"name": f"{key}: every build (level seed)", "columns": ["system", "seed", "build s", "recall@10 at ef 64 (if swept)",
                               f"QPS@{TARGET} 1 thread", f"QPS@{TARGET} 2 threads"], "rows": seed_rows})
            sweep_rows = [[r["system"], s["ef"], round(s["recall"], 4), round(s["qps_1thread"]), round(s["qps_2threads"])]
                          for r in results for s in r["sweep"]]
            tables.append({"name": f"{key}: ef sweep", "columns": ["system", "ef", "recall@10", "QPS 1 thread", "QPS 2 threads"],
                           "rows": sweep_rows})
            png = f"benchmarks/plots/index_qps_recall_{key}.png"
            try:
                plot(results, f"{desc}, n={len(base)}, M={a.M}, efC={a.efc}", os.path.join(ROOT, png))
                plots.append(png)
            except Exception as e:  # noqa: BLE001
                missing.append(f"plot {key}: {e}")
            if "anglevec" in medians and "hnswlib" in medians:
                (av, av2, ab), (hl, hl2, hb) = medians["anglevec"], medians["hnswlib"]
                if av and hl:
                    ratios[f"anglevec_vs_hnswlib_qps_at_recall_0.95_{key}"] = round(av / hl, 3)
                if av2 and hl2:
                    ratios[f"anglevec_vs_hnswlib_qps_at_recall_0.95_2threads_{key}"] = round(av2 / hl2, 3)
                ratios[f"anglevec_vs_hnswlib_build_time_{key}"] = round(ab / hb, 3)
                reach = min(max(s["recall"] for s in r["sweep"]) for r in results)
                if reach < TARGET:  # e.g. i.i.d. Gaussian 384-d: compare at the highest recall (in 0.05 steps) every system reaches
                    low = float(np.floor(reach * 20) / 20)
                    by = {r["system"]: r["sweep"] for r in results}
                    for suffix, col in (("", "qps_1thread"), ("_2threads", "qps_2threads")):
                        av_low, hl_low = qps_at(by["anglevec"], low, col), qps_at(by["hnswlib"], low, col)
                        if av_low and hl_low:
                            ratios[f"anglevec_vs_hnswlib_qps_at_recall_{low:g}{suffix}_{key}"] = round(av_low / hl_low, 3)
                    notes.append(f"{key}: no system reaches recall {TARGET} (best {reach:.4f} at ef {EFS[-1]}); the "
                                 f"QPS ratio is also given at recall {low:g}.")
                if len(key_seeds) > 1:
                    notes.append(f"{key}: anglevec and hnswlib built with level seeds {', '.join(map(str, key_seeds))}; "
                                 "the ratios compare medians over the builds (QPS@0.95 and build time); the ef sweep "
                                 f"and the plot are the seed-{key_seeds[0]} builds'.")
    notes.append("QPS at recall 0.95 is interpolated on each system's ef curve (linear in recall, log QPS); "
                 "build time ratio < 1 means anglevec builds faster; QPS ratio > 1 means anglevec searches faster.")
    notes.append("hnswlib and faiss run batched queries inside C++ (no per-query Python cost); anglevec loops in Swift.")
    report = {
        "mode": "index",
        "title": "HNSW index: anglevec vs hnswlib, faiss IndexHNSWFlat, usearch",
        "data": "; ".join(data_desc) + f"; M={a.M}, efConstruction={a.efc}, k={K}, cosine",
        "command": "python benchmarks/cases/index.py" + (" --quick" if a.quick else f" --n {a.n} --nq {a.nq} --gaussian-n {a.gaussian_n} --gaussian-nq {a.gaussian_nq} --seeds {a.seeds}")
                   + (f" --real {a.real}" if a.real else ""),
        "tables": tables, "ratios": ratios, "missing": missing, "plots": plots, "notes": notes,
    }
    out = os.path.join(ROOT, "benchmarks/out/index.json")
    with open(out, "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps({"ratios": ratios, "missing": missing}, indent=2))


if __name__ == "__main__":
    sys.exit(main())
