import CBLAS
import Foundation

/// The retrieval scores of one embedding view.
public struct RetrievalScores: Sendable, Equatable {
    public var view: EmbeddingView
    public var ndcgAt10: Double
    public var mrrAt10: Double
    /// Recall at each requested cutoff.
    public var recall: [Int: Double]
}

/// Exact-search retrieval evaluation on a BEIR set: embeds the corpus (with the document prompt) and
/// the queries (with the query prompt) once for every view, ranks all documents by cosine similarity
/// (BLAS on L2-normalized vectors), and scores the top 100 with `RankingMetrics`.
public enum RetrievalEvaluation {
    /// - Parameters:
    ///   - views: the (layers, dims) views to score; vectors are L2-normalized after truncation.
    ///   - recallCutoffs: the k of the Recall@k columns.
    public static func evaluate(embedder: Embedder, dataset: BEIRDataset, views: [EmbeddingView],
                                queryPrompt: Prompt? = nil, documentPrompt: Prompt? = nil, recallCutoffs: [Int] = [10, 100],
                                progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> [RetrievalScores] {
        let normalizedViews = views.map { EmbeddingView(layer: $0.layer, dims: $0.dims, normalized: true) }
        let depth = max(100, recallCutoffs.max() ?? 0)
        let docs = try embedder.embed(dataset.corpusTexts, prompt: documentPrompt, views: normalizedViews, progress: progress)
        let queries = try embedder.embed(dataset.queryTexts, prompt: queryPrompt, views: normalizedViews)
        return zip(normalizedViews.indices, normalizedViews).map { i, view in
            let ranked = topK(queries: queries[i], documents: docs[i], k: depth)
            var run = [String: [String]]()
            for (q, hits) in ranked.enumerated() { run[dataset.queryIds[q]] = hits.map { dataset.corpusIds[$0] } }
            var recall = [Int: Double]()
            for k in recallCutoffs { recall[k] = RankingMetrics.recall(qrels: dataset.qrels, run: run, k: k) }
            return RetrievalScores(view: view, ndcgAt10: RankingMetrics.ndcg(qrels: dataset.qrels, run: run, k: 10),
                                   mrrAt10: RankingMetrics.mrr(qrels: dataset.qrels, run: run, k: 10), recall: recall)
        }
    }

    /// For each query row, the indices of the `k` documents with the highest dot product, best first
    /// (ties: lower index first). Scores a block of queries at a time with one sgemm.
    public static func topK(queries: EmbeddingMatrix, documents: EmbeddingMatrix, k: Int) -> [[Int]] {
        precondition(queries.dims == documents.dims)
        let n = documents.count, d = queries.dims, k = min(k, documents.count)
        guard n > 0, queries.count > 0 else { return Array(repeating: [], count: queries.count) }
        let block = max(1, min(queries.count, (1 << 24) / max(n, 1)))
        var scores = [Float](repeating: 0, count: block * n)
        var out = [[Int]]()
        out.reserveCapacity(queries.count)
        var heap = [(Float, Int)]()
        heap.reserveCapacity(k)
        var start = 0
        while start < queries.count {
            let rows = min(block, queries.count - start)
            queries.values.withUnsafeBufferPointer { q in
                documents.values.withUnsafeBufferPointer { docs in
                    scores.withUnsafeMutableBufferPointer { s in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(d), 1,
                                    q.baseAddress! + start * d, Int32(d), docs.baseAddress!, Int32(d), 0, s.baseAddress!, Int32(n))
                    }
                }
            }
            for r in 0..<rows {
                // A min-heap of the best k so far (worst at the root).
                heap.removeAll(keepingCapacity: true)
                let base = r * n
                func worse(_ a: (Float, Int), _ b: (Float, Int)) -> Bool { a.0 != b.0 ? a.0 < b.0 : a.1 > b.1 }
                for j in 0..<n {
                    let item = (scores[base + j], j)
                    if heap.count < k {
                        heap.append(item)
                        var c = heap.count - 1
                        while c > 0 { let p = (c - 1) / 2; if worse(heap[c], heap[p]) { heap.swapAt(c, p); c = p } else { break } }
                    } else if worse(heap[0], item) {
                        heap[0] = item
                        var p = 0
                        while true {
                            let l = 2 * p + 1, rr = l + 1
                            var m = p
                            if l < k && worse(heap[l], heap[m]) { m = l }
                            if rr < k && worse(heap[rr], heap[m]) { m = rr }
                            if m == p { break }
                            heap.swapAt(p, m)
                            p = m
                        }
                    }
                }
                out.append(heap.sorted { worse($1, $0) }.map(\.1))
            }
            start += rows
        }
        return out
    }
}
