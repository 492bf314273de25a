import Foundation

/// What a write did.
public struct WriteSummary: Sendable, Equatable {
    /// New ids.
    public var added = 0
    /// Existing ids whose text, metadata or vector changed.
    public var updated = 0
    /// Existing ids whose text and metadata were identical (not re-embedded, not rewritten).
    public var unchanged = 0
    /// Documents embedded by the model (the rest brought their own vectors or were unchanged).
    public var embedded = 0
    public init() {}
    public mutating func merge(_ other: WriteSummary) {
        added += other.added; updated += other.updated; unchanged += other.unchanged; embedded += other.embedded
    }
}

extension Collection {
    /// Adds new documents; an id that already exists fails the batch (`StoreError.duplicateID`)
    /// and nothing of that batch is stored. See `upsert` for batching and progress.
    @discardableResult
    public func add(_ documents: [Document], batchSize: Int = 256, saveIndex: Bool = true,
                    progress: ((Int, Int) -> Void)? = nil) throws -> WriteSummary {
        try write(documents, replace: false, batchSize: batchSize, saveIndex: saveIndex, progress: progress)
    }

    /// Adds new documents and replaces existing ids. Documents are embedded with the document
    /// prompt in batches of `batchSize` (the embedder sorts each batch by length and packs it
    /// under a token budget); each batch is one store transaction (all of it or nothing), then the
    /// graph is updated. Documents identical to the stored ones are skipped. The snapshot is written
    /// once at the end (`saveIndex`). `progress(done, total)` is called after each batch.
    /// Within a batch, a repeated id keeps its last occurrence.
    @discardableResult
    public func upsert(_ documents: [Document], batchSize: Int = 256, saveIndex: Bool = true,
                       progress: ((Int, Int) -> Void)? = nil) throws -> WriteSummary {
        try write(documents, replace: true, batchSize: batchSize, saveIndex: saveIndex, progress: progress)
    }

    private func write(_ documents: [Document], replace: Bool, batchSize: Int, saveIndex: Bool,
                       progress: ((Int, Int) -> Void)?) throws -> WriteSummary {
        guard !readOnly else { throw CollectionError.readOnly(path: url.path) }
        writeLock.lock(); defer { writeLock.unlock() }
        var summary = WriteSummary()
        var done = 0
        let size = max(1, batchSize)
        for start in stride(from: 0, to: documents.count, by: size) {
            let batch = Array(documents[start..<min(documents.count, start + size)])
            summary.merge(try writeBatch(batch, replace: replace))
            done += batch.count
            progress?(done, documents.count)
        }
        try index.catchUp()
        if saveIndex { try index.save() }
        return summary
    }

    /// Embeds and stores one batch atomically.
    private func writeBatch(_ input: [Document], replace: Bool) throws -> WriteSummary {
        var summary = WriteSummary()
        // Last occurrence of an id wins (e.g. one text read twice with a derived id).
        var position: [String: Int] = [:]
        var documents: [Document] = []
        for doc in input {
            if replace, let p = position[doc.id] { documents[p] = doc } else { position[doc.id] = documents.count; documents.append(doc) }
        }
        // Skip documents identical to what is stored (no re-embedding, no write).
        if replace {
            documents = try store.read { snapshot in
                try documents.filter { doc in
                    guard let stored = try snapshot.get(id: doc.id, includeVectors: doc.vector != nil) else { return true }
                    let same = stored.text == doc.text && stored.metadata == doc.metadata
                        && (doc.vector == nil || stored.vectors[VectorView.fullName] == doc.vector)
                    if same { summary.unchanged += 1 }
                    return !same
                }
            }
        }
        guard !documents.isEmpty else { return summary }
        let vectors = try vectors(for: documents)
        summary.embedded = documents.filter { $0.vector == nil }.count
        let stored = zip(documents, vectors).map { StoredDocument(id: $0.id, text: $0.text, metadata: $0.metadata, vectors: $1) }
        if replace {
            let result = try store.upsert(stored)
            summary.added += result.added
            summary.updated += result.updated
        } else {
            summary.added += try store.add(stored).added
        }
        try index.catchUp()
        return summary
    }

    /// The stored views of each document: embedded (full + coarse in one pass) or derived from a
    /// precomputed full vector.
    func vectors(for documents: [Document]) throws -> [[String: [Float]]] {
        let full = VectorView.fullName
        var out = [[String: [Float]]](repeating: [:], count: documents.count)
        var toEmbed: [Int] = []
        for (i, doc) in documents.enumerated() {
            guard let vector = doc.vector else { toEmbed.append(i); continue }
            guard vector.count == config.fullDims else {
                throw CollectionError.invalidVector(id: doc.id, reason: "has \(vector.count) dimensions, the collection's model has \(config.fullDims)")
            }
            guard vector.allSatisfy({ $0.isFinite }) else { throw CollectionError.invalidVector(id: doc.id, reason: "has NaN or infinite components") }
            out[i][full] = config.metric == .cosine ? normalized(vector[...]) : vector
            if let coarse = coarseView {
                guard coarse.layer == config.layers else {
                    throw CollectionError.invalidVector(id: doc.id, reason: "cannot provide the coarse view (layer \(coarse.layer) of \(config.layers)); only the model can — omit the vector")
                }
                out[i][coarse.name] = normalized(vector[0..<coarse.dims])
            }
        }
        if !toEmbed.isEmpty {
            var views = [EmbeddingView(layer: config.layers, dims: config.fullDims)]
            if let coarse = coarseView { views.append(coarse.embeddingView) }
            let matrices = try embedder.embed(toEmbed.map { documents[$0].text }, prompt: documentPrompt, views: views)
            for (row, i) in toEmbed.enumerated() {
                out[i][full] = Array(matrices[0][row])
                if let coarse = coarseView { out[i][coarse.name] = Array(matrices[1][row]) }
            }
        }
        return out
    }

    // MARK: Delete

    /// Deletes documents by id (absent ids are returned in `missing`), atomically.
    @discardableResult
    public func delete(ids: [String], saveIndex: Bool = true) throws -> DeleteResult {
        guard !readOnly else { throw CollectionError.readOnly(path: url.path) }
        writeLock.lock(); defer { writeLock.unlock() }
        let result = try store.delete(ids: ids)
        try index.catchUp()
        if saveIndex { try index.save() }
        return result
    }

    /// Deletes every document whose metadata matches `filter`, atomically.
    @discardableResult
    public func delete(where filter: MetadataFilter, saveIndex: Bool = true) throws -> DeleteResult {
        guard !readOnly else { throw CollectionError.readOnly(path: url.path) }
        writeLock.lock(); defer { writeLock.unlock() }
        let result = try store.delete(where: filter)
        try index.catchUp()
        if saveIndex { try index.save() }
        return result
    }
}

/// `v` scaled to unit length (unchanged when zero).
func normalized(_ v: ArraySlice<Float>) -> [Float] {
    var norm: Float = 0
    for x in v { norm += x * x }
    norm = norm.squareRoot()
    return norm > 0 ? v.map { $0 / norm } : Array(v)
}
