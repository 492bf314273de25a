"""Fast BM25 equals rank_bm25.BM25Okapi; metrics doctests pass; spearman equals scipy's.
Run: python benchmarks/tests/test_bm25.py (a few seconds)."""
import doctest
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bm25  # noqa: E402
import metrics  # noqa: E402


def test_bm25_matches_rank_bm25():
    from rank_bm25 import BM25Okapi as Reference
    rng = random.Random(0)
    words = [f"w{i}" for i in range(60)] + ["the"] * 40  # "the" in most documents → negative idf floor
    corpus = [[rng.choice(words) for _ in range(rng.randint(3, 40))] for _ in range(300)]
    queries = [[rng.choice(words) for _ in range(rng.randint(1, 6))] + ["unknown"] for _ in range(50)]
    ours = bm25.BM25Okapi(corpus)
    ref = Reference(corpus)
    mine = ours.scores(queries)
    for i, q in enumerate(queries):
        np.testing.assert_allclose(mine[i], ref.get_scores(q), rtol=1e-9, atol=1e-9)
    idx, sc = ours.top_k(queries, 5)
    for i in range(len(queries)):
        # the k best scores, best first (which of several tied documents at the cut is returned is free)
        np.testing.assert_allclose(sc[i], np.sort(mine[i])[::-1][:5])
        np.testing.assert_allclose(mine[i][idx[i]], sc[i])


def test_metrics():
    failures, _ = doctest.testmod(metrics)
    assert failures == 0
    from scipy.stats import spearmanr
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 200), rng.normal(size=200)
    assert abs(metrics.spearman(a, b) - spearmanr(a, b).statistic) < 1e-12
    # a relevant document ranked below k gives nothing; a query with no relevant document is skipped
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 0}}
    run = {"q1": [f"x{i}" for i in range(10)] + ["d1"]}
    assert metrics.ndcg_at_k(qrels, run, 10) == 0.0 and metrics.recall_at_k(qrels, run, 100) == 1.0


if __name__ == "__main__":
    test_bm25_matches_rank_bm25(); test_metrics(); print("ok")
