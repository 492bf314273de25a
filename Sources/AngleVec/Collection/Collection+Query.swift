import Foundation

extension Collection {
    /// The `k` documents closest to `text` (embedded with the query prompt).
    /// - Parameter exact: scan every stored full vector instead of the HNSW graph.
    public func query(_ text: String, k: Int = 10, filter: MetadataFilter? = nil, exact: Bool = false) throws -> [Hit] {
        try query(text, options: QueryOptions(k: k, filter: filter, mode: exact ? .exact : .automatic))
    }

    /// Coarse-to-fine search: with a coarse view the query runs through the first ℓ layers, the
    /// pooled coarse vector takes a shortlist of k' from the HNSW graph, the *same* forward pass
    /// continues to the last layer, and the shortlist is re-ranked exactly with full vectors read
    /// from the store. Without a coarse view the graph holds full vectors; either way hits are
    /// scored with the stored full vectors (identical to `.exact` scores). With k' ≥ the number of
    /// documents the shortlist is every document, so the result equals exact search.
    ///
    /// The search runs on the active vector generation (after a re-index by any process, on the new
    /// one: see `current()`), never mixing generations. With `options.log` the query is recorded in
    /// the click log and every hit carries its `queryID`.
    public func query(_ text: String, options: QueryOptions) throws -> [Hit] {
        try servedByActiveGeneration(query: text, options: options) { try $0.queryThisGeneration(text, options: options) }
    }

    func queryThisGeneration(_ text: String, options: QueryOptions) throws -> [Hit] {
        try validate(options)
        let state = try model.begin([text], prompt: queryPrompt)
        let fullView = EmbeddingView(layer: config.layers, dims: config.fullDims)
        switch options.mode {
        case .exact:
            return try exactSearch(try model.vectors(state, view: fullView, pooling: pooling), options: options)
        case .coarseOnly:
            guard let coarse = coarseView else { throw CollectionError.noCoarseView(path: url.path, requested: "(coarse-only query)") }
            let q = try model.vectors(state, view: coarse.embeddingView, pooling: pooling)
            return try graphSearch(q, options: options, fullQuery: nil)
        case .automatic:
            if let coarse = coarseView {
                let q = try model.vectors(state, view: coarse.embeddingView, pooling: pooling)
                let shortlist = try shortlist(q, options: options)
                let full = try model.vectors(state, view: fullView, pooling: pooling)  // continues the same pass
                return try rerank(shortlist, fullQuery: full, options: options)
            }
            let full = try model.vectors(state, view: fullView, pooling: pooling)
            return try graphSearch(full, options: options, fullQuery: full)
        }
    }

    /// Search with a full-view query vector (bring your own). With a dims-only coarse view the
    /// coarse query is its truncation; with a layer-truncated coarse view (which a vector cannot
    /// give) the search is exact.
    public func query(vector: [Float], options: QueryOptions = QueryOptions()) throws -> [Hit] {
        try servedByActiveGeneration(query: nil, options: options) { try $0.queryThisGeneration(vector: vector, options: options) }
    }

    func queryThisGeneration(vector: [Float], options: QueryOptions) throws -> [Hit] {
        try validate(options)
        guard vector.count == config.fullDims, vector.allSatisfy({ $0.isFinite }) else {
            throw CollectionError.invalidVector(id: "query", reason: "must have \(config.fullDims) finite components, got \(vector.count)")
        }
        switch options.mode {
        case .exact:
            return try exactSearch(vector, options: options)
        case .coarseOnly:
            guard let coarse = coarseView, coarse.layer == config.layers else {
                throw CollectionError.noCoarseView(path: url.path, requested: "computable from a full vector (a dims-only view)")
            }
            return try graphSearch(normalized(vector[0..<coarse.dims]), options: options, fullQuery: nil)
        case .automatic:
            guard let coarse = coarseView else { return try graphSearch(vector, options: options, fullQuery: vector) }
            guard coarse.layer == config.layers else { return try exactSearch(vector, options: options) }
            let shortlist = try shortlist(normalized(vector[0..<coarse.dims]), options: options)
            return try rerank(shortlist, fullQuery: vector, options: options)
        }
    }

    private func validate(_ options: QueryOptions) throws {
        guard options.k >= 1 else { throw CollectionError.invalidOption("k must be at least 1, got \(options.k)") }
        if let r = options.rerank, r < 1 { throw CollectionError.invalidOption("rerank must be at least 1, got \(r)") }
        if let ef = options.ef, ef < 1 { throw CollectionError.invalidOption("ef must be at least 1, got \(ef)") }
    }

    // MARK: Stages

    /// The metadata filter as a predicate over internal ids (nil: no filter).
    private func predicate(_ filter: MetadataFilter?) throws -> IDBitset? {
        guard let filter, !filter.clauses.isEmpty else { return nil }
        return try store.matchingIDs(filter)
    }

    /// HNSW search of the indexed view for `limit` candidates (distance → similarity).
    private func candidates(_ query: [Float], limit: Int, ef: Int?, allowed: IDBitset?) throws -> [(label: UInt64, score: Float)] {
        try index.catchUp()
        let graph = index.hnsw
        let results: [SearchResult]
        if let allowed, allowed.count <= limit {
            // Every match fits: score them all exactly.
            results = try query.withUnsafeBufferPointer { try graph.search($0, k: limit, candidates: Array(allowed)) }
        } else if allowed == nil, graph.count <= limit {
            results = try query.withUnsafeBufferPointer { try graph.search($0, k: limit, candidates: graph.allLabels) }
        } else {
            let predicate: ((UInt64) -> Bool)? = allowed.map { set in { set.contains($0) } }
            results = try graph.search(query, k: limit, ef: max(ef ?? efSearch, limit), filter: predicate)
        }
        return results.map { ($0.label, similarity(distance: $0.distance)) }
    }

    /// Index distance → the hit score.
    private func similarity(distance: Float) -> Float {
        switch config.metric {
        case .cosine, .dot: return 1 - distance
        case .l2: return -distance
        }
    }

    /// The coarse shortlist of k' candidates.
    private func shortlist(_ coarseQuery: [Float], options: QueryOptions) throws -> [(label: UInt64, score: Float)] {
        let size = options.rerank == nil ? defaultRerank.map { max($0, options.k) } ?? options.shortlistSize : options.shortlistSize
        return try candidates(coarseQuery, limit: size, ef: options.ef, allowed: try predicate(options.filter))
    }

    /// Graph search of the indexed view; with `fullQuery`, hits are scored with stored full vectors.
    private func graphSearch(_ query: [Float], options: QueryOptions, fullQuery: [Float]?) throws -> [Hit] {
        let found = try candidates(query, limit: options.k, ef: options.ef, allowed: try predicate(options.filter))
        if let fullQuery { return try rerank(found, fullQuery: fullQuery, options: options, keepCoarse: false) }
        return try store.read { snapshot in
            try found.compactMap { c -> Hit? in
                guard let record = try snapshot.get(internalID: c.label, includeVectors: false) else { return nil }
                return hit(record, score: c.score, coarse: c.score, full: nil, options: options)
            }
        }
    }

    /// Exact re-ranking of candidates with their stored full vectors, top k.
    private func rerank(_ candidates: [(label: UInt64, score: Float)], fullQuery: [Float], options: QueryOptions,
                        keepCoarse: Bool = true) throws -> [Hit] {
        let scorer = Scorer(query: fullQuery, metric: config.metric)
        return try store.read { snapshot in
            var scored: [(label: UInt64, score: Float, coarse: Float)] = []
            for c in candidates {
                guard let v = try snapshot.vector(internalID: c.label, view: VectorView.fullName, generation: generation) else { continue }
                scored.append((c.label, scorer.score(v[...]), c.score))
            }
            scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.label < $1.label }
            return try scored.prefix(options.k).compactMap { s -> Hit? in
                guard let record = try snapshot.get(internalID: s.label, includeVectors: false) else { return nil }
                return hit(record, score: s.score, coarse: keepCoarse ? s.coarse : nil, full: s.score, options: options)
            }
        }
    }

    /// Exact search over every stored full vector (filtered), top k.
    private func exactSearch(_ fullQuery: [Float], options: QueryOptions) throws -> [Hit] {
        let allowed = try predicate(options.filter)
        let scorer = Scorer(query: fullQuery, metric: config.metric)
        var top = TopK(k: options.k)
        var after: UInt64? = nil
        while true {
            let batch = try store.scanVectors(view: VectorView.fullName, generation: generation, after: after, limit: 4096)
            guard let last = batch.ids.last else { break }
            for (row, label) in batch.ids.enumerated() where allowed?.contains(label) ?? true {
                top.insert(label, scorer.score(batch.vectors[(row * batch.dims)..<((row + 1) * batch.dims)]))
            }
            after = last
        }
        let ranked = top.sorted()
        return try store.read { snapshot in
            try ranked.compactMap { s -> Hit? in
                guard let record = try snapshot.get(internalID: s.label, includeVectors: false) else { return nil }
                return hit(record, score: s.score, coarse: nil, full: s.score, options: options)
            }
        }
    }

    private func hit(_ record: DocumentRecord, score: Float, coarse: Float?, full: Float?, options: QueryOptions) -> Hit {
        Hit(id: record.document.id, score: score, text: options.includeText ? record.document.text : "",
            metadata: record.document.metadata, coarseScore: coarse, fullScore: full, internalID: record.internalID)
    }
}

/// Scores stored full vectors against one query with the collection's metric (cosine divides by
/// both norms, so unnormalized stored vectors score correctly too).
struct Scorer {
    let query: [Float]
    let metric: VectorMetric
    let queryNorm: Float

    init(query: [Float], metric: VectorMetric) {
        self.query = query
        self.metric = metric
        var n: Float = 0
        for x in query { n += x * x }
        queryNorm = n.squareRoot()
    }

    func score(_ v: ArraySlice<Float>) -> Float {
        query.withUnsafeBufferPointer { q in
            v.withUnsafeBufferPointer { d in
                var dot: Float = 0, norm: Float = 0, l2: Float = 0
                for i in 0..<min(q.count, d.count) {
                    dot += q[i] * d[i]
                    norm += d[i] * d[i]
                    let diff = q[i] - d[i]
                    l2 += diff * diff
                }
                switch metric {
                case .cosine: return queryNorm > 0 && norm > 0 ? dot / (queryNorm * norm.squareRoot()) : 0
                case .dot: return dot
                case .l2: return -l2
                }
            }
        }
    }
}

/// The k best (label, score) pairs seen, ties broken by the smaller label.
struct TopK {
    let k: Int
    private var items: [(label: UInt64, score: Float)] = []
    init(k: Int) { self.k = k }

    private static func better(_ a: (label: UInt64, score: Float), _ b: (label: UInt64, score: Float)) -> Bool {
        a.score != b.score ? a.score > b.score : a.label < b.label
    }

    mutating func insert(_ label: UInt64, _ score: Float) {
        let item = (label: label, score: score)
        if items.count == k, let worst = items.last, !TopK.better(item, worst) { return }
        // Sorted insertion: k is small (tens), so this beats a heap in practice.
        var i = items.count
        while i > 0 && TopK.better(item, items[i - 1]) { i -= 1 }
        items.insert(item, at: i)
        if items.count > k { items.removeLast() }
    }

    func sorted() -> [(label: UInt64, score: Float)] { items }
}
