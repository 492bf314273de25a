import Foundation

/// Measures coarse-to-fine settings (ℓ, d, k') of a collection against exact full-vector search and
/// picks the cheapest that reaches a target recall@k.
///
/// For every candidate view (layer ℓ, first d dims) it builds an in-memory HNSW graph over the
/// documents' view vectors (the collection's M / efConstruction), runs each query through the
/// encoder once (timing the pass layer by layer: a coarse-only query stops at ℓ, a re-ranked one
/// runs to the last layer), takes the shortlist of k' and re-ranks it with the stored full vectors.
/// Dims-only views (ℓ = last layer) are truncations of the stored full vectors, renormalized — no
/// embedding. Layer-truncated views need every measured document re-embedded, so they are tried
/// only when asked (`TuningOptions.layers`), on a seeded subsample of at most
/// `layerDocumentLimit` documents (recall on a smaller collection is optimistic; the report says so).
public final class CoarseTuner {
    public let collection: Collection
    public let options: TuningOptions

    public init(collection: Collection, options: TuningOptions = TuningOptions()) throws {
        guard options.k >= 1 else { throw CollectionError.invalidOption("k must be at least 1, got \(options.k)") }
        guard options.targetRecall > 0, options.targetRecall <= 1 else {
            throw CollectionError.invalidOption("target recall must be in (0, 1], got \(options.targetRecall)")
        }
        guard options.sampleSize >= 1 else { throw CollectionError.invalidOption("sample size must be at least 1, got \(options.sampleSize)") }
        guard options.layerDocumentLimit >= 2 else { throw CollectionError.invalidOption("layer document limit must be at least 2") }
        let layers = collection.config.layers, full = collection.config.fullDims
        for l in options.layers where l < 1 || l > layers {
            throw CollectionError.invalidOption("layer \(l) is outside the model's 1...\(layers)")
        }
        for d in options.dims where d < 1 || d > full {
            throw CollectionError.invalidOption("dims \(d) is outside the model's 1...\(full)")
        }
        guard !options.shortlistFactors.isEmpty, options.shortlistFactors.allSatisfy({ $0 >= 1 }) else {
            throw CollectionError.invalidOption("shortlist factors must be positive, got \(options.shortlistFactors)")
        }
        if let q = options.queries {
            guard !q.isEmpty else { throw CollectionError.invalidOption("no queries given") }
            if let i = q.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                throw CollectionError.invalidOption("query \(i + 1) is empty")
            }
        }
        self.collection = collection
        self.options = options
    }

    /// Runs the measurement; `progress` receives one line per phase.
    public func run(progress: ((String) -> Void)? = nil) throws -> TuningReport {
        let c = collection, L = c.config.layers, D = c.config.fullDims, k = options.k
        let metric = Collection.indexMetric(c.config.metric)
        var notes: [String] = []
        var rng = SplitMix64(seed: options.seed)

        // 1. Every stored full vector (row r ↔ label r in the in-memory indexes).
        var ids: [UInt64] = [], full: [Float] = []
        var after: UInt64? = nil
        while true {
            let batch = try c.store.scanVectors(view: VectorView.fullName, after: after, limit: 8192)
            guard let last = batch.ids.last else { break }
            ids += batch.ids
            full += batch.vectors
            after = last
        }
        let total = ids.count
        let lower = Array(Set(options.layers.filter { $0 < L })).sorted()
        let allLayers = lower + [L]

        // 2. The measured collection: all of it, or a subsample when documents must be re-embedded.
        var rows = Array(0..<total)
        if !lower.isEmpty && total > options.layerDocumentLimit {
            rows = sample(total, options.layerDocumentLimit, &rng).sorted()
            notes.append("layer-truncated views need the documents re-embedded: measured on a seeded subsample of \(rows.count) of \(total) documents (recall on fewer documents is optimistic)")
            var sub = [Float](); sub.reserveCapacity(rows.count * D)
            for r in rows { sub += full[(r * D)..<((r + 1) * D)] }
            full = sub
            ids = rows.map { ids[$0] }
        }
        let n = ids.count

        // 3. Queries: given texts, or a seeded sample of the documents (left out of their own results).
        var texts: [String], selfRow: [Int?]
        if let given = options.queries {
            texts = given
            selfRow = given.map { _ in nil }
        } else {
            let picked = sample(n, min(options.sampleSize, n), &rng)
            texts = try c.store.read { snapshot in
                try picked.map { r in try snapshot.get(internalID: ids[r], includeVectors: false)?.document.text ?? "" }
            }
            selfRow = picked.map { Optional($0) }
        }
        let neighbours = n - (selfRow.contains { $0 != nil } ? 1 : 0)
        guard neighbours >= k else {
            throw CollectionError.invalidOption("the collection has \(total) documents: too few to measure recall@\(k)")
        }

        // 4. Query vectors at every layer, timing the pass cumulatively per layer.
        progress?("embedding \(texts.count) queries (layers \(allLayers.map(String.init).joined(separator: ", ")))")
        var queryVectors = [Int: [[Float]]](uniqueKeysWithValues: allLayers.map { ($0, []) })
        var embedNanos = [Int: UInt64](uniqueKeysWithValues: allLayers.map { ($0, 0) })
        _ = try c.model.vectors(try c.model.begin([texts[0]], prompt: c.queryPrompt), view: EmbeddingView(layer: L, dims: D), pooling: c.pooling)  // warm-up
        for text in texts {
            let start = DispatchTime.now().uptimeNanoseconds
            let state = try c.model.begin([text], prompt: c.queryPrompt)
            for l in allLayers {
                let v = try c.model.vectors(state, view: EmbeddingView(layer: l, dims: D), pooling: c.pooling)
                embedNanos[l]! += DispatchTime.now().uptimeNanoseconds - start
                queryVectors[l]!.append(v)
            }
        }
        let q = Double(texts.count)
        func ms(_ nanos: UInt64) -> Double { Double(nanos) / 1e6 / q }

        // 5. Ground truth: exact full-vector top k.
        progress?("exact search for the ground truth")
        let exact = try BruteForceIndex(dimensions: D, metric: metric, capacity: n)
        try full.withUnsafeBufferPointer { p in
            for r in 0..<n { try exact.add(UnsafeBufferPointer(rebasing: p[(r * D)..<((r + 1) * D)]), label: UInt64(r)) }
        }
        let truth: [Set<Int>] = try texts.indices.map { i in
            let s = selfRow[i].map(UInt64.init)
            let found = try exact.search(queryVectors[L]![i], k: k, filter: s.map { me in { $0 != me } })
            return Set(found.map { Int($0.label) })
        }

        // 6. Layer-truncated document vectors (re-embedded).
        var layerDocs: [Int: [Float]] = [:]
        if !lower.isEmpty {
            progress?("embedding \(n) documents at layers \(lower.map(String.init).joined(separator: ", "))")
            let docTexts = try c.store.read { snapshot in
                try ids.map { try snapshot.get(internalID: $0, includeVectors: false)?.document.text ?? "" }
            }
            for l in lower { layerDocs[l] = []; layerDocs[l]!.reserveCapacity(n * D) }
            var start = 0
            while start < n {
                let end = min(n, start + 512)
                let views = lower.map { EmbeddingView(layer: $0, dims: D) }
                let out = try c.embedder.embed(Array(docTexts[start..<end]), prompt: c.documentPrompt, views: views)
                for (l, m) in zip(lower, out) { layerDocs[l]! += m.values }
                start = end
            }
        }

        // 7. The grid.
        let width = c.config.storage.byteWidth
        let dimsList = Array(Set(options.dims.filter { $0 < D })).sorted() + [D]
        let shortlists = Array(Set(options.shortlistFactors.map { min(k * $0, n) })).sorted()
        var candidates: [TuningCandidate] = []
        var baseline: TuningCandidate? = nil
        for l in allLayers {
            for d in dimsList {
                let isFull = l == L && d == D
                progress?(isFull ? "full view: HNSW over \(n) vectors" : "view layer \(l), \(d) dims: HNSW over \(n) vectors")
                let docs = CoarseTuner.truncated(l == L ? full : layerDocs[l]!, from: D, to: d)
                let graph = try HNSWIndex(dimensions: d, metric: metric, parameters: c.index.parameters, capacity: max(n, 16))
                try graph.addBatch(docs, labels: (0..<n).map(UInt64.init))
                let queries = queryVectors[l]!.map { CoarseTuner.truncated($0, from: D, to: d) }
                let vectorBytes = total * d * width, indexBytes = graph.memoryBytes

                func measure(limit: Int, ef: Int, rerank: Bool) throws -> (recall: Double, search: UInt64, rerank: UInt64) {
                    var recall = 0.0, searchNs: UInt64 = 0, rerankNs: UInt64 = 0
                    for i in queries.indices {
                        let me = selfRow[i].map(UInt64.init)
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        let want = min(limit + (me == nil ? 0 : 1), n)
                        var found: [SearchResult]
                        if want >= n {
                            found = try queries[i].withUnsafeBufferPointer { try graph.search($0, k: n, candidates: (0..<n).map(UInt64.init)) }
                        } else {
                            found = try graph.search(queries[i], k: want, ef: max(ef, want))
                        }
                        found.removeAll { $0.label == me }
                        let shortlist = found.prefix(limit).map { Int($0.label) }
                        let t1 = DispatchTime.now().uptimeNanoseconds
                        searchNs += t1 - t0
                        var top: [Int]
                        if rerank {
                            let scorer = Scorer(query: queryVectors[L]![i], metric: c.config.metric)
                            var best = TopK(k: k)
                            for r in shortlist { best.insert(UInt64(r), scorer.score(full[(r * D)..<((r + 1) * D)])) }
                            top = best.sorted().map { Int($0.label) }
                            rerankNs += DispatchTime.now().uptimeNanoseconds - t1
                        } else {
                            top = Array(shortlist.prefix(k))
                        }
                        recall += Double(truth[i].intersection(top).count) / Double(k)
                    }
                    return (recall / q, searchNs, rerankNs)
                }

                if isFull {
                    // Full view: k' is the HNSW breadth (ef); the graph's own order is exact.
                    let efs = Array(Set(shortlists.map { max(c.efSearch, $0) })).sorted()
                    for ef in efs {
                        let m = try measure(limit: k, ef: ef, rerank: false)
                        let cand = TuningCandidate(stage: .full, view: nil, shortlist: ef, recall: m.recall, embedMilliseconds: ms(embedNanos[L]!),
                                                   searchMilliseconds: ms(m.search), rerankMilliseconds: 0, vectorBytes: vectorBytes, indexBytes: indexBytes)
                        candidates.append(cand)
                        if baseline == nil { baseline = cand }
                    }
                    continue
                }
                let view = CoarseView(layer: l, dims: d)
                for kp in shortlists {
                    let m = try measure(limit: kp, ef: c.efSearch, rerank: true)
                    candidates.append(TuningCandidate(stage: .coarseRerank, view: view, shortlist: kp, recall: m.recall, embedMilliseconds: ms(embedNanos[L]!),
                                                      searchMilliseconds: ms(m.search), rerankMilliseconds: ms(m.rerank), vectorBytes: vectorBytes, indexBytes: indexBytes))
                }
                let m = try measure(limit: k, ef: c.efSearch, rerank: false)
                candidates.append(TuningCandidate(stage: .coarseOnly, view: view, shortlist: k, recall: m.recall, embedMilliseconds: ms(embedNanos[l]!),
                                                  searchMilliseconds: ms(m.search), rerankMilliseconds: 0, vectorBytes: vectorBytes, indexBytes: indexBytes))
            }
        }

        // Full view first, then the last layer's views (dims-only), then earlier layers; small dims first.
        candidates.sort { a, b in
            let ka = (a.stage == .full ? 0 : 1, -(a.view?.layer ?? L), a.view?.dims ?? D, a.stage == .coarseOnly ? 1 : 0, a.shortlist)
            let kb = (b.stage == .full ? 0 : 1, -(b.view?.layer ?? L), b.view?.dims ?? D, b.stage == .coarseOnly ? 1 : 0, b.shortlist)
            return ka < kb
        }
        let recommended = CoarseTuner.cheapest(candidates, target: options.targetRecall, tolerance: options.timeTolerance, layers: L)
        if recommended == nil {
            let best = candidates.max { $0.recall < $1.recall }
            notes.append("no setting reaches recall@\(k) \(options.targetRecall); the best measured is \(best.map { String(format: "%.3f", $0.recall) } ?? "-"): raise the shortlist factors or ef")
        }
        if !lower.isEmpty, let r = recommended, !candidates.contains(where: { $0.recall >= options.targetRecall && $0.view.map { $0.layer < L } == true && $0.stage == .coarseOnly }) {
            notes.append("no layer-truncated coarse-only view reaches the target: this model's early layers do not rank like its last one (not trained with 2D Matryoshka); \(r.view == nil ? "the full view is the choice" : r.isDimsOnly(layers: L) ? "dims-only views are the choice" : "the recommendation re-ranks with the full pass")")
        }
        notes.append("times are in-process means over \(texts.count) queries (one query per forward pass); re-ranking reads full vectors from memory here, from the store in a collection")
        return TuningReport(options: options, candidates: candidates, recommended: recommended, baseline: baseline,
                            measuredDocuments: n, collectionDocuments: total, queryCount: texts.count, layers: L, fullDims: D, notes: notes)
    }

    /// The cheapest candidate reaching `target`: least time per query, where times within
    /// `tolerance` of the best count as equal; among those, fewest vector bytes, then a dims-only
    /// view (computable from full vectors), then the least time.
    public static func cheapest(_ candidates: [TuningCandidate], target: Double, tolerance: Double, layers: Int) -> TuningCandidate? {
        let eligible = candidates.filter { $0.recall >= target - 1e-9 }
        guard let fastest = eligible.map(\.totalMilliseconds).min() else { return nil }
        let tied = eligible.filter { $0.totalMilliseconds <= fastest * (1 + tolerance) }
        return tied.min { a, b in
            if a.vectorBytes != b.vectorBytes { return a.vectorBytes < b.vectorBytes }
            let da = a.isDimsOnly(layers: layers), db = b.isDimsOnly(layers: layers)
            if da != db { return da }
            return a.totalMilliseconds < b.totalMilliseconds
        }
    }

    /// Rows of `dims` cut to their first `to` components and renormalized (a coarse view of a
    /// normalized embedding equals this, since pooling acts per component).
    static func truncated(_ values: [Float], from dims: Int, to: Int) -> [Float] {
        if to == dims { return values }
        let rows = values.count / dims
        var out = [Float](repeating: 0, count: rows * to)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    var norm: Float = 0
                    for j in 0..<to { let x = src[r * dims + j]; dst[r * to + j] = x; norm += x * x }
                    let scale: Float = norm > 0 ? 1 / norm.squareRoot() : 0
                    for j in 0..<to { dst[r * to + j] *= scale }
                }
            }
        }
        return out
    }

    /// `count` distinct indices of 0..<n (partial Fisher-Yates), in draw order.
    private func sample(_ n: Int, _ count: Int, _ rng: inout SplitMix64) -> [Int] {
        var pool = Array(0..<n)
        let m = min(count, n)
        for i in 0..<m {
            let j = i + Int(rng.next() % UInt64(n - i))
            pool.swapAt(i, j)
        }
        return Array(pool.prefix(m))
    }
}

/// SplitMix64 (Steele et al. 2014): a small seeded generator, so samples are reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
