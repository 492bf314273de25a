import Foundation

/// Retrieval quality of a model on held-out click triples, to decide whether a model fine-tuned
/// on clicks may replace the collection's: per held-out query, its clicked documents (positives)
/// are ranked among its negatives and every other held-out query's documents (distractors) by
/// cosine similarity; MRR of the first clicked document and nDCG@10 with binary relevance.
/// Needs no re-index: both models embed the same small candidate set.
public struct ClickEvaluation: Sendable, Equatable {
    /// Mean reciprocal rank of the first relevant (clicked) document.
    public var mrr: Double
    /// Mean nDCG@10 (binary relevance: clicked documents).
    public var ndcg10: Double
    /// Queries evaluated.
    public var queries: Int

    /// Evaluates `model` (with the collection's prompts) on `triples`.
    public static func evaluate(model: EmbeddingModel, queryPrompt: String? = nil, documentPrompt: String? = nil,
                                triples: [ClickTriple]) throws -> ClickEvaluation {
        var relevant: [String: Set<String>] = [:]
        var order: [String] = []
        var documents: [String] = []
        var seenDocs = Set<String>()
        for t in triples {
            if relevant[t.query] == nil { order.append(t.query) }
            relevant[t.query, default: []].insert(t.positive)
            for d in [t.positive, t.negative] where seenDocs.insert(d).inserted { documents.append(d) }
        }
        guard !order.isEmpty else { return ClickEvaluation(mrr: 0, ndcg10: 0, queries: 0) }
        let embedder = Embedder(model: model)
        let q = try embedder.embed(order, prompt: queryPrompt.map(Collection.prompt))[0]
        let d = try embedder.embed(documents, prompt: documentPrompt.map(Collection.prompt))[0]
        var mrr = 0.0, ndcg = 0.0
        for (i, query) in order.enumerated() {
            let qv = Array(q[i])
            let scored = documents.indices.map { j -> (Int, Float) in
                let dv = Array(d[j])
                var s: Float = 0
                for k in 0..<qv.count { s += qv[k] * dv[k] }
                return (j, s)
            }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            let rel = relevant[query]!
            if let first = scored.firstIndex(where: { rel.contains(documents[$0.0]) }) { mrr += 1 / Double(first + 1) }
            var dcg = 0.0
            for (rank, s) in scored.prefix(10).enumerated() where rel.contains(documents[s.0]) { dcg += 1 / log2(Double(rank + 2)) }
            let ideal = (0..<min(10, rel.count)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
            ndcg += ideal > 0 ? dcg / ideal : 0
        }
        return ClickEvaluation(mrr: mrr / Double(order.count), ndcg10: ndcg / Double(order.count), queries: order.count)
    }
}

extension Collection {
    /// The click log exported for fine-tuning: `train.jsonl` and `heldout.jsonl` (format C) in
    /// `directory` — what `anglevec train --from-clicks` trains on and evaluates with.
    @discardableResult
    public func exportClicks(to directory: URL, holdout: Double = 0.1, seed: UInt64 = 42) throws -> (train: URL, heldOut: URL, triples: ClickTriples) {
        let triples = try exportClicks(holdout: holdout, seed: seed)
        let files = try triples.write(to: directory)
        return (files.train, files.heldOut, triples)
    }

    /// Compares the collection's model with `candidate` on held-out click triples and, when the
    /// candidate is at least as good by MRR (or `force`), re-indexes the collection with it
    /// (`Reindexer`, resumable, no downtime). Returns both evaluations and the re-index report
    /// (nil when refused).
    public func promote(candidate folder: URL, heldOut: [ClickTriple], force: Bool = false, batchSize: Int = 128,
                        progress: ((Int, Int) -> Void)? = nil) throws -> (old: ClickEvaluation, new: ClickEvaluation, report: ReindexReport?) {
        let serving = try current()
        let candidate = try EmbeddingModel.load(from: folder, pooling: serving.pooling)
        let old = try ClickEvaluation.evaluate(model: serving.model, queryPrompt: serving.config.queryPrompt,
                                               documentPrompt: serving.config.documentPrompt, triples: heldOut)
        let new = try ClickEvaluation.evaluate(model: candidate, queryPrompt: serving.config.queryPrompt,
                                               documentPrompt: serving.config.documentPrompt, triples: heldOut)
        guard force || new.mrr >= old.mrr else { return (old, new, nil) }
        let reindexer = try Reindexer(at: url, batchSize: batchSize, environment: openEnvironment.isEmpty ? ProcessInfo.processInfo.environment : openEnvironment)
        let report = try reindexer.reindex(model: folder.path, pooling: serving.pooling.rawValue, progress: progress)
        return (old, new, report)
    }
}
