import Foundation

/// How a new collection embeds and indexes documents. Everything here is stored in the collection,
/// so queries always use the same prompts, pooling and views as the documents.
public struct CollectionOptions: Sendable, Equatable {
    /// Template applied to query texts (`{text}` is replaced; without `{text}` it is a prefix).
    /// nil: the model folder's "query" prompt, if any.
    public var queryPrompt: String?
    /// Template applied to document texts. nil: the model folder's document prompt, if any.
    public var documentPrompt: String?
    /// Pooling (`mean`, `cls`, `max`, `cls_avg`, `cls_max`, `last`). nil: the model folder's.
    public var pooling: String?
    /// The similarity ranked by.
    public var metric: VectorMetric
    /// The 2D-Matryoshka coarse view `(layer, dims)` the HNSW graph is built on; documents
    /// are re-ranked with the full view. nil: the graph uses full vectors. For models not trained
    /// with 2D Matryoshka (the default all-MiniLM-L6-v2) keep all layers and cut only dims,
    /// e.g. `(6, 192)`: earlier layers lose most of the ranking (see the project report).
    public var coarseView: CoarseView?
    /// How vectors are stored in the collection.
    public var storage: Store.VectorStorage
    /// HNSW links per node.
    public var hnswM: Int
    /// HNSW build breadth.
    public var efConstruction: Int
    /// HNSW search breadth (raised to the number of candidates wanted).
    public var efSearch: Int

    public init(queryPrompt: String? = nil, documentPrompt: String? = nil, pooling: String? = nil,
                metric: VectorMetric = .cosine, coarseView: CoarseView? = nil, storage: Store.VectorStorage = .f32,
                hnswM: Int = 16, efConstruction: Int = 200, efSearch: Int = 64) {
        self.queryPrompt = queryPrompt
        self.documentPrompt = documentPrompt
        self.pooling = pooling
        self.metric = metric
        self.coarseView = coarseView
        self.storage = storage
        self.hnswM = hnswM
        self.efConstruction = efConstruction
        self.efSearch = efSearch
    }
}

/// A coarse view: the pooled output of the first `layer` encoder layers, cut to its first `dims`
/// dimensions (2D Matryoshka). When creating a collection, layer 0 stands for the model's last layer.
public struct CoarseView: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var layer: Int
    public var dims: Int
    public init(layer: Int, dims: Int) {
        self.layer = layer
        self.dims = dims
    }
    /// The store's view name, `L<layer>d<dims>`.
    public var name: String { VectorView.coarseName(layer: layer, dims: dims) }
    public var description: String { "layer \(layer), \(dims) dims" }
    var embeddingView: EmbeddingView { EmbeddingView(layer: layer, dims: dims) }
}

/// What a query runs: the stages of coarse-to-fine search can be used alone.
public struct QueryOptions: Sendable, Equatable {
    /// How candidates are found.
    public enum Mode: Sendable, Equatable {
        /// HNSW over the indexed view; with a coarse view, re-rank the shortlist with full vectors.
        case automatic
        /// Exact search over every full vector in the store (the oracle).
        case exact
        /// HNSW over the coarse view only: no full-view pass, no re-ranking.
        case coarseOnly
    }
    /// Number of results.
    public var k: Int
    /// Only documents whose metadata matches.
    public var filter: MetadataFilter?
    public var mode: Mode
    /// Shortlist size k' taken from the coarse index before re-ranking (default max(4k, 40)).
    public var rerank: Int?
    /// HNSW search breadth for this query (default: the collection's `efSearch`).
    public var ef: Int?
    /// Return texts (and metadata) with hits.
    public var includeText: Bool

    public init(k: Int = 10, filter: MetadataFilter? = nil, mode: Mode = .automatic, rerank: Int? = nil,
                ef: Int? = nil, includeText: Bool = true) {
        self.k = k
        self.filter = filter
        self.mode = mode
        self.rerank = rerank
        self.ef = ef
        self.includeText = includeText
    }

    /// The shortlist size for coarse-to-fine.
    public var shortlistSize: Int { max(rerank ?? max(4 * k, 40), k) }
}
