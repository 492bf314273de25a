import Foundation

/// What `CoarseTuner` measures: the candidate grid and the queries.
public struct TuningOptions: Sendable, Equatable {
    /// The recall@k to reach (against exact full-vector search).
    public var targetRecall: Double
    /// Results per query.
    public var k: Int
    /// Queries: nil samples `sampleSize` of the collection's own documents (seeded), each used
    /// as a query text (with the query prompt) and left out of its own results.
    public var queries: [String]?
    /// Documents sampled as queries when `queries` is nil.
    public var sampleSize: Int
    public var seed: UInt64
    /// Encoder layers to try below the last one (layer-truncated views). They need the documents
    /// re-embedded, so they are measured only when asked, on at most `layerDocumentLimit`
    /// documents. Empty: dims-only views (computed from the stored full vectors, no embedding).
    public var layers: [Int]
    /// Coarse dimensions to try (the model's full width is always tried too).
    public var dims: [Int]
    /// Shortlist sizes k' as multiples of k (capped at the collection size).
    public var shortlistFactors: [Int]
    /// With `layers`, a seeded subsample of at most this many documents is the collection measured.
    public var layerDocumentLimit: Int
    /// Relative time difference under which two settings count as equally fast (then the one with
    /// fewer vector bytes, then a dims-only view, wins): single-query timings are noisy.
    public var timeTolerance: Double

    public init(targetRecall: Double = 0.95, k: Int = 10, queries: [String]? = nil, sampleSize: Int = 200, seed: UInt64 = 42,
                layers: [Int] = [], dims: [Int] = [32, 64, 128, 192, 256], shortlistFactors: [Int] = [1, 2, 4, 8, 16, 32],
                layerDocumentLimit: Int = 5000, timeTolerance: Double = 0.05) {
        self.targetRecall = targetRecall
        self.k = k
        self.queries = queries
        self.sampleSize = sampleSize
        self.seed = seed
        self.layers = layers
        self.dims = dims
        self.shortlistFactors = shortlistFactors
        self.layerDocumentLimit = layerDocumentLimit
        self.timeTolerance = timeTolerance
    }
}

/// One measured setting.
public struct TuningCandidate: Sendable, Equatable {
    /// How a query runs.
    public enum Stage: String, Sendable, Equatable, Codable {
        /// HNSW over full vectors; `shortlist` is the search breadth (ef).
        case full = "full-only"
        /// HNSW over the coarse view for a shortlist of k', re-ranked exactly with full vectors.
        case coarseRerank = "coarse→rerank"
        /// HNSW over the coarse view, top k by coarse score (the query stops at the coarse layer).
        case coarseOnly = "coarse-only"
    }
    public var stage: Stage
    /// The coarse view (nil for `.full`).
    public var view: CoarseView?
    /// k' (for `.full`: HNSW ef).
    public var shortlist: Int
    /// Mean recall@k against exact full-vector search.
    public var recall: Double
    /// Mean milliseconds per query: embedding (the layers this stage runs), HNSW search, re-ranking.
    public var embedMilliseconds: Double
    public var searchMilliseconds: Double
    public var rerankMilliseconds: Double
    /// Bytes of the indexed vectors for the whole collection at the collection's storage.
    public var vectorBytes: Int
    /// Bytes of the measured HNSW graph (vectors + links) at the measured size.
    public var indexBytes: Int

    public var totalMilliseconds: Double { embedMilliseconds + searchMilliseconds + rerankMilliseconds }
    /// The indexed layer and dims.
    public func layer(_ layers: Int) -> Int { view?.layer ?? layers }
    /// True when the coarse vectors are truncations of the full vectors (no re-embedding).
    public func isDimsOnly(layers: Int) -> Bool { view.map { $0.layer == layers } ?? true }
}

/// What the tuner found.
public struct TuningReport: Sendable, Equatable {
    public var options: TuningOptions
    /// Every measured candidate, in grid order.
    public var candidates: [TuningCandidate]
    /// The cheapest candidate reaching the target (nil when none does).
    public var recommended: TuningCandidate?
    /// The plain full-view HNSW at the collection's ef (for comparison).
    public var baseline: TuningCandidate?
    /// Documents measured (the collection, or its subsample), and in the collection.
    public var measuredDocuments: Int
    public var collectionDocuments: Int
    public var queryCount: Int
    /// The model's layers and full dims.
    public var layers: Int
    public var fullDims: Int
    /// What the user should know (subsampling, timing caveats, why no recommendation).
    public var notes: [String]
}

/// A setting `Collection.applyTuning` stores as the collection's default.
public struct TunedSetting: Sendable, Equatable {
    /// The indexed coarse view (nil: full vectors).
    public var view: CoarseView?
    /// Default shortlist size k' (coarse views) — nil keeps the default.
    public var rerank: Int?
    /// Default HNSW search breadth — nil keeps the current one.
    public var efSearch: Int?

    public init(view: CoarseView?, rerank: Int? = nil, efSearch: Int? = nil) {
        self.view = view
        self.rerank = rerank
        self.efSearch = efSearch
    }

    /// The setting a candidate stands for (coarse-only candidates keep the collection's stage
    /// default; the per-query `coarseOnly` mode is the caller's choice).
    public init(_ candidate: TuningCandidate, efSearch current: Int) {
        switch candidate.stage {
        case .full: self.init(view: nil, rerank: nil, efSearch: max(current, candidate.shortlist))
        // Coarse shortlists already search with ef ≥ k'.
        case .coarseRerank, .coarseOnly: self.init(view: candidate.view, rerank: candidate.shortlist)
        }
    }
}
