import Foundation

/// Relevance judgements: query id → (document id → graded relevance), as a BEIR qrels file holds them.
public typealias Qrels = [String: [String: Double]]

/// Retrieval metrics as pytrec_eval / trec_eval compute them (what BEIR reports):
/// - nDCG@k (`ndcg_cut_k`): gain = the graded relevance itself (linear), discount 1/log2(rank + 1);
///   the ideal DCG sorts the query's judged grades in descending order, cut at k.
/// - Recall@k: relevant (grade > 0) documents in the top k / all relevant documents.
/// - MRR@k: 1 / rank of the first relevant document within the top k, else 0.
/// Documents with grade ≤ 0 give no gain. Scores are averaged over the queries that have at least
/// one relevant document; such a query missing from the run scores 0.
public enum RankingMetrics {
    /// Mean nDCG@k over the judged queries.
    public static func ndcg(qrels: Qrels, run: [String: [String]], k: Int) -> Double {
        mean(qrels, run) { rels, ranked in
            var dcg = 0.0
            for (i, doc) in ranked.prefix(k).enumerated() {
                if let g = rels[doc], g > 0 { dcg += g / log2(Double(i) + 2) }
            }
            let ideal = rels.values.filter { $0 > 0 }.sorted(by: >).prefix(k)
            var idcg = 0.0
            for (i, g) in ideal.enumerated() { idcg += g / log2(Double(i) + 2) }
            return dcg / idcg
        }
    }

    /// Mean Recall@k over the judged queries.
    public static func recall(qrels: Qrels, run: [String: [String]], k: Int) -> Double {
        mean(qrels, run) { rels, ranked in
            let relevant = Set(rels.filter { $0.value > 0 }.keys)
            return Double(Set(ranked.prefix(k)).intersection(relevant).count) / Double(relevant.count)
        }
    }

    /// Mean reciprocal rank of the first relevant document within the top k.
    public static func mrr(qrels: Qrels, run: [String: [String]], k: Int) -> Double {
        mean(qrels, run) { rels, ranked in
            for (i, doc) in ranked.prefix(k).enumerated() where (rels[doc] ?? 0) > 0 { return 1 / Double(i + 1) }
            return 0
        }
    }

    /// Averages `score(judgements, ranking)` over the queries with a relevant document.
    private static func mean(_ qrels: Qrels, _ run: [String: [String]], _ score: ([String: Double], [String]) -> Double) -> Double {
        var total = 0.0, n = 0
        for (query, rels) in qrels where rels.values.contains(where: { $0 > 0 }) {
            total += score(rels, run[query] ?? [])
            n += 1
        }
        return n == 0 ? 0 : total / Double(n)
    }
}
