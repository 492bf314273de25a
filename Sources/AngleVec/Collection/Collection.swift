import Foundation

/// A searchable collection of documents in one directory: the LMDB store (documents, metadata,
/// vectors, change sequence — the source of truth), the HNSW snapshot derived from it, and the
/// embedding model it was made with.
///
/// ```swift
/// let docs = try Collection.create(at: url, model: "all-MiniLM-L6-v2")
/// try docs.upsert([Document(id: "a", text: "LMDB is a fast key-value store")])
/// let hits = try docs.query("embedded database", k: 5)
/// ```
///
/// Thread safety: any number of concurrent queries; writes are serialized within the process
/// (and across processes by LMDB's writer lock). Other processes' writes become visible to queries
/// here: each query first replays store changes newer than the in-memory graph.
public final class Collection: @unchecked Sendable {
    /// The collection directory.
    public let url: URL
    /// Opened without write access.
    public let readOnly: Bool
    /// The store (documents, metadata, vectors, changes).
    public let store: CollectionStore
    /// The configuration stored with the collection.
    public let config: CollectionConfig
    /// The embedding model.
    public let model: EmbeddingModel
    /// Where the model was found.
    public let modelSource: ModelSource
    /// The 2D-Matryoshka view the HNSW graph is built on (nil: full vectors).
    public let coarseView: CoarseView?
    /// Prompts applied to queries and documents (stored with the collection).
    public let queryPrompt: Prompt?
    public let documentPrompt: Prompt?
    /// The pooling of token states.
    public let pooling: PoolingStrategy
    /// Default HNSW search breadth.
    public var efSearch: Int
    /// The vector generation this object embeds for and searches (the active one when opened).
    /// After a re-index switches generations, queries and writes go to `current()` instead.
    public let generation: UInt32
    /// Default coarse-to-fine shortlist size k' (stored by `anglevec tune --apply`; nil: max(4k, 40)).
    public var defaultRerank: Int?

    let embedder: Embedder
    let index: DerivedIndex
    let writeLock = NSLock()
    /// The collection opened on the newer active generation after a re-index (see `current()`).
    var successor: Collection?
    let successorLock = NSLock()
    /// The environment the collection was opened with (to open its successor alike).
    var openEnvironment: [String: String] = [:]

    // MARK: Extension keys in CollectionConfig.extensions

    enum Key {
        static let modelReference = "modelReference"
        static let hnswM = "hnswM"
        static let efConstruction = "efConstruction"
        static let efSearch = "efSearch"
        static let indexedView = "indexedView"
        static let rerank = "rerank"
    }

    // MARK: Create and open

    /// Creates a new collection at `url` (which must not exist or be empty).
    /// - Parameters:
    ///   - model: a registered model name (`all-MiniLM-L6-v2`) or a model folder path.
    public static func create(at url: URL, model: String = PackagedModels.defaultName, options: CollectionOptions = CollectionOptions(),
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Collection {
        let source = try ModelSource.resolve(model, environment: environment)
        let pooling = try options.pooling.map(PoolingStrategy.init(name:))
        let loaded = try EmbeddingModel.load(from: source.folder, pooling: pooling)
        let identity = try source.identity(environment: environment)
        let layers = loaded.encoder.layerCount, dims = loaded.encoder.hiddenSize
        var views: [VectorView] = []
        // Layer 0 stands for the model's last layer (a dims-only view).
        let coarseView = options.coarseView.map { $0.layer == 0 ? CoarseView(layer: layers, dims: $0.dims) : $0 }
        if let coarse = coarseView {
            guard coarse.layer >= 1, coarse.layer <= layers, coarse.dims >= 1, coarse.dims <= dims else {
                throw CollectionError.invalidOption("coarse view (layer \(coarse.layer), \(coarse.dims) dims) is outside the model's \(layers) layers × \(dims) dims")
            }
            guard coarse.layer < layers || coarse.dims < dims else {
                throw CollectionError.invalidOption("coarse view (layer \(coarse.layer), \(coarse.dims) dims) is the full view; omit it")
            }
            views.append(VectorView(name: coarse.name, layer: coarse.layer, dims: coarse.dims))
        }
        for (name, value) in [("hnswM", options.hnswM), ("efConstruction", options.efConstruction), ("efSearch", options.efSearch)] where value < 1 {
            throw CollectionError.invalidOption("\(name) must be positive, got \(value)")
        }
        let config = CollectionConfig(
            model: identity,
            queryPrompt: options.queryPrompt ?? loaded.prompts.query?.template,
            documentPrompt: options.documentPrompt ?? loaded.prompts.document?.template,
            pooling: loaded.pooling.rawValue, layers: layers, fullDims: dims, coarseViews: views,
            metric: options.metric, storage: options.storage,
            extensions: [Key.modelReference: .string(source.reference), Key.hnswM: .number(Double(options.hnswM)),
                         Key.efConstruction: .number(Double(options.efConstruction)), Key.efSearch: .number(Double(options.efSearch)),
                         Key.indexedView: .string(coarseView?.name ?? VectorView.fullName)])
        let store = try CollectionStore.create(at: url, config: config)
        let collection = try Collection(url: url, store: store, config: config, generation: 1, model: loaded, source: source, readOnly: false)
        collection.openEnvironment = environment
        return collection
    }

    /// Opens an existing collection with the model it was created with (or `model`, which must
    /// have the same weights: otherwise `CollectionError.modelMismatch` names both).
    public static func open(at url: URL, readOnly: Bool = false, model: String? = nil,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Collection {
        let store = try CollectionStore.open(at: url, readOnly: readOnly)
        // The active generation and its config, as one pair (a switch may happen between reads).
        let generation = try store.activeGeneration()
        guard let config = try store.generations().first(where: { $0.generation == generation })?.config else {
            throw StoreError.noSuchGeneration(generation)
        }
        guard let reference = model ?? config.extensions[Key.modelReference]?.stringValue else {
            throw CollectionError.modelNotFound(config.model.name, reason: "the collection does not record where its model is; pass the model")
        }
        let source = try ModelSource.resolve(reference, environment: environment)
        let identity = try source.identity(environment: environment)
        guard identity.weightsSHA256 == config.model.weightsSHA256 else {
            throw CollectionError.modelMismatch(path: url.path, collection: config.model, given: identity)
        }
        let loaded = try EmbeddingModel.load(from: source.folder, pooling: try PoolingStrategy(name: config.pooling))
        let collection = try Collection(url: url, store: store, config: config, generation: generation, model: loaded, source: source, readOnly: readOnly)
        collection.openEnvironment = environment
        return collection
    }

    private init(url: URL, store: CollectionStore, config: CollectionConfig, generation: UInt32, model: EmbeddingModel,
                 source: ModelSource, readOnly: Bool) throws {
        self.url = url
        self.generation = generation
        self.readOnly = readOnly
        self.store = store
        self.config = config
        self.model = model
        self.modelSource = source
        self.pooling = model.pooling
        self.queryPrompt = config.queryPrompt.map(Collection.prompt)
        self.documentPrompt = config.documentPrompt.map(Collection.prompt)
        let indexed = config.extensions[Key.indexedView]?.stringValue ?? VectorView.fullName
        if indexed != VectorView.fullName {
            guard let view = config.coarseViews.first(where: { $0.name == indexed }) else {
                throw StoreError.corrupted(path: url.path, reason: "indexed view '\(indexed)' is not among the stored views")
            }
            coarseView = CoarseView(layer: view.layer, dims: view.dims)
        } else {
            coarseView = nil
        }
        func setting(_ key: String, _ fallback: Int) -> Int { config.extensions[key]?.intValue ?? fallback }
        efSearch = setting(Key.efSearch, 64)
        defaultRerank = config.extensions[Key.rerank]?.intValue
        var parameters = HNSWParameters(M: setting(Key.hnswM, 16), efConstruction: setting(Key.efConstruction, 200), ef: efSearch)
        parameters.storage = config.storage == .f16 ? .f16 : .f32
        embedder = Embedder(model: model)
        index = try DerivedIndex(store: store, generation: generation, view: indexed, dims: coarseView?.dims ?? config.fullDims,
                                 metric: Collection.indexMetric(config.metric), parameters: parameters)
        // A writer persists what it had to rebuild or replay, so the next open is fast.
        if !readOnly, index.origin != .snapshot(replayed: 0) { try? index.save() }
    }

    /// A writer that skipped saving (`saveIndex: false`) saves the snapshot when released; if the
    /// process dies first, the next open replays the store's changes instead.
    deinit {
        if !readOnly && index.isDirty { try? index.save() }
    }

    /// A stored prompt string: a template with `{text}`, else a prefix.
    static func prompt(_ text: String) -> Prompt { text.contains("{text}") ? Prompt(text) : Prompt(prefix: text) }

    static func indexMetric(_ metric: VectorMetric) -> Metric {
        switch metric {
        case .cosine: return .cosine
        case .dot: return .innerProduct
        case .l2: return .l2
        }
    }

    /// The model identity recorded in the collection.
    public var modelIdentity: ModelIdentity { config.model }
    /// Dimensions of the full vectors.
    public var dimensions: Int { config.fullDims }
    /// How the HNSW graph was obtained when the collection was opened (snapshot, replay or rebuild).
    public var indexOrigin: String { index.origin.description }

    // MARK: Reading

    /// Number of documents.
    public var count: Int { get throws { try store.count() } }

    /// The document with id `id` (its full vector in `vector`), or nil.
    public func get(id: String, includeVector: Bool = false) throws -> Document? {
        guard let stored = try store.get(id: id, includeVectors: includeVector) else { return nil }
        return Document(id: stored.id, text: stored.text, metadata: stored.metadata,
                        vector: includeVector ? stored.vectors[VectorView.fullName] : nil)
    }

    /// Visits every document in insertion order, `batchSize` per read transaction, while `body` returns true.
    public func forEachDocument(batchSize: Int = 1000, includeVectors: Bool = false, _ body: ([Document]) throws -> Bool) throws {
        try store.forEach(batchSize: batchSize, includeVectors: includeVectors) { records in
            try body(records.map { r in
                Document(id: r.document.id, text: r.document.text, metadata: r.document.metadata,
                         vector: includeVectors ? r.document.vectors[VectorView.fullName] : nil)
            })
        }
    }

    // MARK: Embedding

    /// Which stored prompt to apply when embedding texts directly.
    public enum PromptRole: Sendable { case query, document, none }

    /// Embeds `texts` with the collection's model, pooling and prompt for `role`, in `view`
    /// (default: the full view). Rows are L2-normalized.
    public func embed(_ texts: [String], role: PromptRole = .document, view: EmbeddingView? = nil) throws -> EmbeddingMatrix {
        let prompt: Prompt? = role == .query ? queryPrompt : role == .document ? documentPrompt : nil
        return try embedder.embed(texts, prompt: prompt, views: [view ?? model.fullView])[0]
    }

    // MARK: Maintenance

    /// Replays store changes the graph has not seen (other processes' writes); queries do this themselves.
    @discardableResult
    public func refresh() throws -> Int { try index.catchUp() }

    /// Writes the HNSW snapshot (atomically). Writes call this unless told not to.
    public func saveIndex() throws {
        guard !readOnly else { throw CollectionError.readOnly(path: url.path) }
        try index.catchUp()
        try index.save()
    }

    /// Rebuilds the HNSW graph from the store and saves it.
    public func rebuildIndex() throws {
        try index.rebuild(reason: "requested")
        if !readOnly { try index.save() }
    }

    /// Statistics of the collection and its index.
    public func stats() throws -> CollectionStats {
        try index.catchUp()
        let s = try store.stats()
        let graph = index.hnsw
        let snapshotBytes = (try? FileManager.default.attributesOfItem(atPath: index.snapshotURL.path)[.size] as? Int) ?? 0
        return CollectionStats(
            documents: s.documents, model: config.model, modelReference: modelSource.reference, layers: config.layers,
            dimensions: config.fullDims, coarseView: coarseView, metric: config.metric, storage: config.storage,
            pooling: config.pooling, queryPrompt: config.queryPrompt, documentPrompt: config.documentPrompt,
            indexedView: index.view, indexVectors: graph.count, indexDeletedNodes: graph.deletedNodeCount,
            indexChangeSequence: graph.changeSequence, storeChangeSequence: s.lastSeq, storeBytes: s.fileBytes,
            freePages: s.freePages, pageSize: s.pageSize, snapshotBytes: snapshotBytes, indexOrigin: index.origin.description)
    }

    /// Compacts a collection in place: the store is copied without free pages and swapped in
    /// atomically (rename), then the graph is rebuilt without deleted nodes and saved.
    /// No other process may have the collection open meanwhile (their writes to the old file would be lost).
    /// Returns the store file size before and after.
    @discardableResult
    public static func compact(at url: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (before: Int, after: Int) {
        let fm = FileManager.default
        let data = url.appendingPathComponent("data.mdb")
        let temp = url.appendingPathComponent(".compact-\(getpid())", isDirectory: true)
        try? fm.removeItem(at: temp)
        let before: Int
        do {
            let store = try CollectionStore.open(at: url, readOnly: false)
            before = try store.stats().fileBytes
            try store.compact(to: temp)
        }  // the store (and its LMDB environment) is closed here, before the swap
        defer { try? fm.removeItem(at: temp) }
        guard rename(temp.appendingPathComponent("data.mdb").path, data.path) == 0 else {
            throw StoreError.notWritable(path: url.path, reason: "cannot replace data.mdb: \(String(cString: strerror(errno)))")
        }
        let collection = try Collection.open(at: url, environment: environment)
        collection.index.compact()
        try collection.index.save()
        let after = try collection.store.stats().fileBytes
        return (before, after)
    }
}

/// What `Collection.stats()` reports.
public struct CollectionStats: Sendable, Equatable {
    public var documents: Int
    public var model: ModelIdentity
    /// The registered name or folder the model is loaded from.
    public var modelReference: String
    public var layers: Int
    public var dimensions: Int
    public var coarseView: CoarseView?
    public var metric: VectorMetric
    public var storage: Store.VectorStorage
    public var pooling: String
    public var queryPrompt: String?
    public var documentPrompt: String?
    /// The store view the HNSW graph indexes.
    public var indexedView: String
    public var indexVectors: Int
    public var indexDeletedNodes: Int
    /// The store change the graph reflects (equal to `storeChangeSequence` when current).
    public var indexChangeSequence: UInt64
    public var storeChangeSequence: UInt64
    public var storeBytes: Int
    public var freePages: Int
    public var pageSize: Int
    public var snapshotBytes: Int
    public var indexOrigin: String
}

extension JSONValue {
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    var intValue: Int? { if case .number(let d) = self, d.rounded() == d, abs(d) < 1e15 { return Int(d) } else { return nil } }
}
