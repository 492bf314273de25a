import Foundation

/// What a re-index did.
public struct ReindexReport: Sendable, Equatable {
    /// The generation that was active before.
    public var previousGeneration: UInt32
    /// The generation now active.
    public var generation: UInt32
    /// The model of the now active generation.
    public var model: ModelIdentity
    /// Documents embedded by this run (a resumed run counts only its own).
    public var embedded: Int
    /// True when an interrupted re-index into the same target was continued.
    public var resumed: Bool
    /// Generations deleted afterwards (`dropPrevious`).
    public var dropped: [UInt32]
}

/// Re-embeds a collection into a new vector generation (a new model, pooling or coarse view)
/// while the active generation keeps answering queries, then switches atomically.
///
/// - Work list: `documentsMissingVectors` of the new generation, one store transaction per
///   embedded batch. A run killed at any point (kill -9, power loss) resumes where it stopped
///   on the next run with the same target: committed batches are not embedded again, none is
///   skipped.
/// - Concurrent writes: adds go to the active generation only; documents added, replaced or
///   deleted meanwhile show up (again) in the work list, and the switch is made by
///   `activateGenerationIfComplete`, which re-checks completeness inside the switching
///   transaction — so the new generation holds a vector for every document when it goes live.
/// - The HNSW snapshot of the new generation is built before the switch and saved after it.
/// - The previous generation is kept (for `rollback`) until `dropPreviousGenerations`.
public final class Reindexer {
    public let url: URL
    public let environment: [String: String]
    /// Documents per embedded batch (and per store transaction).
    public var batchSize: Int
    let store: CollectionStore

    /// Extension keys recorded in a generation's config.
    enum Key {
        /// "pending" while the generation is being filled.
        static let state = "reindexState"
        /// The generation that was active when this one was made active (the rollback target).
        static let previous = "reindexPrevious"
    }

    public init(at url: URL, batchSize: Int = 128, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.url = url
        self.batchSize = max(1, batchSize)
        self.environment = environment
        store = try CollectionStore.open(at: url, readOnly: false)
    }

    private func info(_ g: UInt32) throws -> GenerationInfo {
        guard let info = try store.generations().first(where: { $0.generation == g }) else { throw StoreError.noSuchGeneration(g) }
        return info
    }

    // MARK: Re-index

    /// Re-embeds every document into a new generation and makes it active.
    /// - Parameters:
    ///   - model: registered name or model folder (nil: the active generation's model).
    ///   - pooling: pooling override (nil: the model folder's; the active one's for the same model).
    ///   - coarseView: the indexed coarse view (layer 0: the last layer); nil keeps the active
    ///     generation's views; `.some(nil)` indexes full vectors.
    ///   - progress: `(done, total)` after each batch; total is the number of documents to embed.
    public func reindex(model: String? = nil, pooling: String? = nil, coarseView: CoarseView?? = nil, dropPrevious: Bool = false,
                        progress: ((Int, Int) -> Void)? = nil) throws -> ReindexReport {
        try exclusively { try reindexLocked(model: model, pooling: pooling, coarseView: coarseView, dropPrevious: dropPrevious, progress: progress) }
    }

    private func reindexLocked(model: String?, pooling: String?, coarseView: CoarseView??, dropPrevious: Bool,
                               progress: ((Int, Int) -> Void)?) throws -> ReindexReport {
        let active = try store.activeGeneration()
        let current = try info(active).config
        let reference = model ?? current.extensions[Collection.Key.modelReference]?.stringValue
        guard let reference else {
            throw CollectionError.modelNotFound(current.model.name, reason: "the collection does not record where its model is; pass the model")
        }
        let source = try ModelSource.resolve(reference, environment: environment)
        let identity = try source.identity(environment: environment)
        let sameModel = identity == current.model
        let poolingName = try pooling.map { try PoolingStrategy(name: $0).rawValue } ?? (sameModel ? current.pooling : nil)
        let loaded = try EmbeddingModel.load(from: source.folder, pooling: try poolingName.map(PoolingStrategy.init(name:)))
        let layers = loaded.encoder.layerCount, dims = loaded.encoder.hiddenSize

        // The target views: the requested coarse view, else the active ones (if they fit the model).
        var indexed = current.extensions[Collection.Key.indexedView]?.stringValue ?? VectorView.fullName
        var views = current.coarseViews
        if let requested = coarseView {
            if let c = requested.map({ $0.layer == 0 ? CoarseView(layer: layers, dims: $0.dims) : $0 }) {
                guard c.layer >= 1, c.layer <= layers, c.dims >= 1, c.dims <= dims, c.layer < layers || c.dims < dims else {
                    throw CollectionError.invalidOption("coarse view (layer \(c.layer), \(c.dims) dims) must be a proper part of the model's \(layers) layers × \(dims) dims")
                }
                views = [VectorView(name: c.name, layer: c.layer, dims: c.dims)]
                indexed = c.name
            } else {
                views = []
                indexed = VectorView.fullName
            }
        }
        for v in views where v.layer > layers || v.dims > dims {
            throw CollectionError.invalidOption("the collection's coarse view \(v.name) does not fit the new model (\(layers) layers × \(dims) dims); give a coarse view for it")
        }
        var target = current
        target.model = identity
        target.pooling = loaded.pooling.rawValue
        target.layers = layers
        target.fullDims = dims
        target.coarseViews = views
        target.extensions[Collection.Key.modelReference] = .string(source.reference)
        target.extensions[Collection.Key.indexedView] = .string(indexed)
        target.extensions[Key.state] = .string("pending")
        target.extensions[Key.previous] = nil
        guard !target.sameVectorLayout(as: current) else {
            throw CollectionError.invalidOption("generation \(active) already has this model, pooling and views: nothing to re-index")
        }

        // Resume an interrupted run with the same target; abandon pending ones with another.
        var generation: UInt32? = nil
        for g in try store.generations() where g.generation != active && g.config.extensions[Key.state]?.stringValue == "pending" {
            if generation == nil && g.config.sameVectorLayout(as: target) {
                generation = g.generation
            } else {
                try store.dropGeneration(g.generation)
                removeSnapshots(of: g.generation)
            }
        }
        let resumed = generation != nil
        let g = try generation ?? store.createGeneration(config: target)
        let embedded = try complete(generation: g, model: loaded, progress: progress) { config in
            config.extensions[Key.state] = nil
            config.extensions[Key.previous] = .number(Double(active))
        }
        var dropped: [UInt32] = []
        if dropPrevious { dropped = try dropPreviousLocked() }
        return ReindexReport(previousGeneration: active, generation: g, model: identity, embedded: embedded, resumed: resumed, dropped: dropped)
    }

    // MARK: Rollback

    /// Switches back to the generation that was active before the last switch (its model is
    /// loaded from the folder it records; documents added or changed since are embedded first).
    public func rollback(progress: ((Int, Int) -> Void)? = nil) throws -> ReindexReport {
        try exclusively { try rollbackLocked(progress: progress) }
    }

    private func rollbackLocked(progress: ((Int, Int) -> Void)?) throws -> ReindexReport {
        let active = try store.activeGeneration()
        let all = try store.generations()
        let current = try info(active)
        let previous = current.config.extensions[Key.previous]?.intValue.map(UInt32.init)
            ?? all.filter { $0.generation < active && $0.config.extensions[Key.state] == nil }.last?.generation
        guard let p = previous, let target = all.first(where: { $0.generation == p }) else {
            throw CollectionError.invalidOption("collection \(url.path) has no previous generation to roll back to (dropped with --drop-previous?)")
        }
        guard let reference = target.config.extensions[Collection.Key.modelReference]?.stringValue else {
            throw CollectionError.modelNotFound(target.config.model.name, reason: "generation \(p) does not record where its model is")
        }
        let source = try ModelSource.resolve(reference, environment: environment)
        let identity = try source.identity(environment: environment)
        guard identity == target.config.model else {
            throw CollectionError.modelMismatch(path: url.path, collection: target.config.model, given: identity)
        }
        let loaded = try EmbeddingModel.load(from: source.folder, pooling: try PoolingStrategy(name: target.config.pooling))
        let embedded = try complete(generation: p, model: loaded, progress: progress) { config in
            config.extensions[Key.previous] = .number(Double(active))
        }
        return ReindexReport(previousGeneration: active, generation: p, model: identity, embedded: embedded, resumed: false, dropped: [])
    }

    // MARK: Dropping

    /// Deletes every generation but the active one (vectors and HNSW snapshots). Returns their numbers.
    @discardableResult
    public func dropPreviousGenerations() throws -> [UInt32] {
        try exclusively { try dropPreviousLocked() }
    }

    private func dropPreviousLocked() throws -> [UInt32] {
        let active = try store.activeGeneration()
        var dropped: [UInt32] = []
        for g in try store.generations() where g.generation != active {
            try store.dropGeneration(g.generation)
            removeSnapshots(of: g.generation)
            dropped.append(g.generation)
        }
        if !dropped.isEmpty { try store.updateGenerationConfig(active) { $0.extensions[Key.previous] = nil } }
        return dropped
    }

    /// Runs `body` holding `DIR/reindex.lock` (flock: released by the kernel when the process dies,
    /// so a killed run never blocks the next); a second re-index of the same collection fails fast.
    private func exclusively<T>(_ body: () throws -> T) throws -> T {
        let path = url.appendingPathComponent("reindex.lock").path
        let fd = open(path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw StoreError.notWritable(path: url.path, reason: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            throw CollectionError.invalidOption("another re-index of \(url.path) is running (\(path) is locked); wait for it, or stop it and run again to resume")
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    private func removeSnapshots(of generation: UInt32) {
        let prefix = generation == 1 ? "index-" : "index-g\(generation)-"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for f in files where f.hasPrefix(prefix) && f.hasSuffix(".hnsw") && (generation != 1 || !f.hasPrefix("index-g")) {
            try? FileManager.default.removeItem(at: url.appendingPathComponent(f))
        }
    }

    // MARK: Filling a generation

    /// Embeds every document missing from `generation`, builds its HNSW graph, switches to it
    /// when complete (re-checked in the switching transaction; more batches otherwise), then
    /// saves the graph. Returns the number of documents embedded.
    private func complete(generation g: UInt32, model: EmbeddingModel, progress: ((Int, Int) -> Void)?,
                          update: @escaping (inout CollectionConfig) -> Void) throws -> Int {
        let config = try info(g).config
        let embedder = Embedder(model: model)
        let prompt = config.documentPrompt.map(Collection.prompt)
        let full = EmbeddingView(layer: config.layers, dims: config.fullDims)
        let coarse = config.coarseViews.map { EmbeddingView(layer: $0.layer, dims: $0.dims) }
        let indexedName = config.extensions[Collection.Key.indexedView]?.stringValue ?? VectorView.fullName
        let indexedDims = config.views.first { $0.name == indexedName }?.dims ?? config.fullDims
        var total = try store.missingVectorCount(generation: g)
        var done = 0
        progress?(0, total)
        var index: DerivedIndex? = nil

        /// One pass over the work list from the start; returns whether anything was missing.
        func fill() throws -> Bool {
            var after: UInt64? = nil
            var any = false
            while true {
                let batch = try store.documentsMissingVectors(generation: g, after: after, limit: batchSize)
                guard let last = batch.last else { return any }
                any = true
                let matrices = try embedder.embed(batch.map(\.document.text), prompt: prompt, views: [full] + coarse)
                var items: [(internalID: UInt64, vectors: [String: [Float]])] = []
                for (row, record) in batch.enumerated() {
                    var vectors = [VectorView.fullName: Array(matrices[0][row])]
                    for (k, view) in config.coarseViews.enumerated() { vectors[view.name] = Array(matrices[k + 1][row]) }
                    items.append((record.internalID, vectors))
                }
                try store.putVectors(generation: g, items)
                // Documents filled after the graph was built go into it directly (their changes may predate it).
                if let graph = index?.hnsw {
                    for item in items { try graph.add(item.vectors[indexedName]!, label: item.internalID) }
                }
                done += batch.count
                if done > total { total = done }
                progress?(done, total)
                after = last.internalID
            }
        }

        _ = try fill()
        var parameters = HNSWParameters(M: config.extensions[Collection.Key.hnswM]?.intValue ?? 16,
                                        efConstruction: config.extensions[Collection.Key.efConstruction]?.intValue ?? 200,
                                        ef: config.extensions[Collection.Key.efSearch]?.intValue ?? 64)
        parameters.storage = config.storage == .f16 ? .f16 : .f32
        index = try DerivedIndex(store: store, generation: g, view: indexedName, dims: indexedDims,
                                 metric: Collection.indexMetric(config.metric), parameters: parameters)
        while true {
            _ = try fill()
            if try store.activateGenerationIfComplete(g, update: update) { break }
        }
        try index!.catchUp()
        try index!.save()
        return done
    }
}
