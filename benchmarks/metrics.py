"""Retrieval and similarity metrics, computed as BEIR (pytrec_eval / trec_eval) computes them.

- nDCG@k: gain = graded relevance (linear, rel, as trec_eval's ndcg_cut), discount 1/log2(rank+1);
  ideal DCG from the qrels' grades sorted descending, cut at k; documents with grade <= 0 give no gain.
- Recall@k: relevant (grade > 0) retrieved in the top k / all relevant.
- MRR@k: 1 / rank of the first relevant document within the top k, else 0.
Averages are over all queries that have at least one relevant document in the qrels (a query with no
retrieved results scores 0). Rankings are lists of document ids, best first.

>>> qrels = {"q": {"a": 2, "b": 1}}
>>> round(ndcg_at_k(qrels, {"q": ["b", "x", "a"]}, 10), 6)   # (1 + 2/log2(4)) / (2 + 1/log2(3))
0.760188
>>> recall_at_k(qrels, {"q": ["b", "x", "a"]}, 2), mrr_at_k(qrels, {"q": ["x", "b"]}, 10)
(0.5, 0.5)
>>> round(spearman([1, 2, 3, 4], [10, 20, 40, 30]), 6)
0.8
>>> round(spearman([1, 1, 2], [1, 2, 3]), 6)   # ties get average ranks
0.866025
"""
from __future__ import annotations

import math

import numpy as np


def _relevant(qrels: dict[str, dict[str, float]]):
    return {q: rels for q, rels in qrels.items() if any(g > 0 for g in rels.values())}


def ndcg_at_k(qrels: dict[str, dict[str, float]], run: dict[str, list[str]], k: int) -> float:
    total, n = 0.0, 0
    for q, rels in _relevant(qrels).items():
        ranked = run.get(q, [])[:k]
        dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked) if rels.get(d, 0) > 0)
        ideal = sorted((g for g in rels.values() if g > 0), reverse=True)[:k]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        total += dcg / idcg
        n += 1
    return total / n if n else 0.0


def recall_at_k(qrels: dict[str, dict[str, float]], run: dict[str, list[str]], k: int) -> float:
    total, n = 0.0, 0
    for q, rels in _relevant(qrels).items():
        relevant = {d for d, g in rels.items() if g > 0}
        total += len(relevant & set(run.get(q, [])[:k])) / len(relevant)
        n += 1
    return total / n if n else 0.0


def mrr_at_k(qrels: dict[str, dict[str, float]], run: dict[str, list[str]], k: int) -> float:
    total, n = 0.0, 0
    for q, rels in _relevant(qrels).items():
        for i, d in enumerate(run.get(q, [])[:k]):
            if rels.get(d, 0) > 0:
                total += 1.0 / (i + 1)
                break
        n += 1
    return total / n if n else 0.0


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average (fractional) ranks, 1-based, as scipy.stats.rankdata(method='average')."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    sorted_x = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sorted_x[j + 1] == sorted_x[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(a, b) -> float:
    """Spearman's rho: Pearson correlation of average ranks (handles ties like scipy.stats.spearmanr)."""
    ra, rb = _ranks(np.asarray(a, dtype=np.float64)), _ranks(np.asarray(b, dtype=np.float64))
    ra -= ra.mean(); rb -= rb.mean()
    return float((ra * rb).sum() / math.sqrt((ra * ra).sum() * (rb * rb).sum()))


def retrieval_metrics(qrels, run) -> dict[str, float]:
    """The three numbers the quality table reports."""
    return {"ndcg@10": ndcg_at_k(qrels, run, 10), "recall@100": recall_at_k(qrels, run, 100), "mrr@10": mrr_at_k(qrels, run, 10)}


if __name__ == "__main__":
    import doctest
    failures, _ = doctest.testmod()
    raise SystemExit(1 if failures else 0)
