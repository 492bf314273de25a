import Foundation

/// Which model produced a collection's vectors: vectors of two models are not comparable.
public struct ModelIdentity: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Human-readable name, e.g. `sentence-transformers/all-MiniLM-L6-v2`.
    public var name: String
    /// Hex SHA-256 of the weights file (identifies fine-tuned variants of the same name).
    public var weightsSHA256: String

    public init(name: String, weightsSHA256: String) {
        self.name = name
        self.weightsSHA256 = weightsSHA256
    }

    public var description: String { "\(name) (weights sha256 \(weightsSHA256.prefix(12)))" }
}

/// A vector view stored per document: the full embedding, or a 2D-Matryoshka coarse view
/// (the pooled output of an earlier `layer`, truncated to its first `dims` dimensions).
public struct VectorView: Codable, Equatable, Hashable, Sendable {
    /// The key of this view in `StoredDocument.vectors` (the full view is `VectorView.fullName`).
    public var name: String
    /// Transformer layer (1-based; the last layer for the full view).
    public var layer: Int
    /// Number of dimensions kept.
    public var dims: Int

    public init(name: String, layer: Int, dims: Int) {
        self.name = name
        self.layer = layer
        self.dims = dims
    }

    /// The name of the full view.
    public static let fullName = "full"

    /// The conventional name of a coarse view: `L<layer>d<dims>`.
    public static func coarseName(layer: Int, dims: Int) -> String { "L\(layer)d\(dims)" }
}

/// How vector components are stored on disk.
public enum VectorStorage: String, Codable, Sendable {
    /// 4-byte IEEE floats (exact).
    case f32
    /// 2-byte IEEE half floats (half the space; ~3 significant digits).
    case f16

    /// Bytes per component.
    public var byteWidth: Int { self == .f32 ? 4 : 2 }
}

/// The similarity the index ranks by.
public enum VectorMetric: String, Codable, Sendable {
    case cosine, dot, l2
}

/// A collection's configuration, stored as JSON so later versions can add fields
/// (unknown keys are kept in `extensions` by the facade; missing optional keys decode to defaults).
/// The vector-layout part (model, pooling, dims, views, storage) belongs to one vector
/// generation; `CollectionStore.config` is the active generation's.
public struct CollectionConfig: Codable, Equatable, Sendable {
    /// The embedding model.
    public var model: ModelIdentity
    /// Prompt prepended to queries (AnglE prompts, e.g. "Represent this sentence for searching relevant passages: ").
    public var queryPrompt: String?
    /// Prompt prepended to documents.
    public var documentPrompt: String?
    /// Pooling of token states into a sentence vector (`mean`, `cls`, `max`, `cls_avg`, `last`...).
    public var pooling: String
    /// Number of layers of the model (the full view's layer).
    public var layers: Int
    /// Dimensions of the full vector.
    public var fullDims: Int
    /// Coarse views stored next to the full vector, in storage order.
    public var coarseViews: [VectorView]
    /// The index metric.
    public var metric: VectorMetric
    /// Component storage of vectors.
    public var storage: VectorStorage
    /// Free-form settings owned by higher layers (the facade, the CLI).
    public var extensions: [String: JSONValue]

    public init(model: ModelIdentity, queryPrompt: String? = nil, documentPrompt: String? = nil,
                pooling: String = "mean", layers: Int, fullDims: Int, coarseViews: [VectorView] = [],
                metric: VectorMetric = .cosine, storage: VectorStorage = .f32, extensions: [String: JSONValue] = [:]) {
        self.model = model
        self.queryPrompt = queryPrompt
        self.documentPrompt = documentPrompt
        self.pooling = pooling
        self.layers = layers
        self.fullDims = fullDims
        self.coarseViews = coarseViews
        self.metric = metric
        self.storage = storage
        self.extensions = extensions
    }

    enum CodingKeys: String, CodingKey {
        case model, queryPrompt, documentPrompt, pooling, layers, fullDims, coarseViews, metric, storage, extensions
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(ModelIdentity.self, forKey: .model)
        queryPrompt = try c.decodeIfPresent(String.self, forKey: .queryPrompt)
        documentPrompt = try c.decodeIfPresent(String.self, forKey: .documentPrompt)
        pooling = try c.decodeIfPresent(String.self, forKey: .pooling) ?? "mean"
        fullDims = try c.decode(Int.self, forKey: .fullDims)
        layers = try c.decodeIfPresent(Int.self, forKey: .layers) ?? 0
        coarseViews = try c.decodeIfPresent([VectorView].self, forKey: .coarseViews) ?? []
        metric = try c.decodeIfPresent(VectorMetric.self, forKey: .metric) ?? .cosine
        storage = try c.decodeIfPresent(VectorStorage.self, forKey: .storage) ?? .f32
        extensions = try c.decodeIfPresent([String: JSONValue].self, forKey: .extensions) ?? [:]
    }

    /// All stored views, the full one first: the order of components in a vector slot.
    public var views: [VectorView] {
        [VectorView(name: VectorView.fullName, layer: layers, dims: fullDims)] + coarseViews
    }

    /// Checks dims and view names; throws `StoreError.invalidConfig`.
    public func validate() throws {
        guard fullDims > 0 else { throw StoreError.invalidConfig("fullDims must be positive, got \(fullDims)") }
        var names: Set<String> = [VectorView.fullName]
        for v in coarseViews {
            guard v.dims > 0 && v.dims <= fullDims else {
                throw StoreError.invalidConfig("coarse view '\(v.name)' has \(v.dims) dims; expected 1...\(fullDims)")
            }
            guard names.insert(v.name).inserted else { throw StoreError.invalidConfig("duplicate view name '\(v.name)'") }
        }
        guard !model.name.isEmpty else { throw StoreError.invalidConfig("model name is empty") }
    }

    /// True when vectors of `other` are laid out and computed identically (same model and views).
    public func sameVectorLayout(as other: CollectionConfig) -> Bool {
        model == other.model && pooling == other.pooling && fullDims == other.fullDims
            && coarseViews == other.coarseViews && storage == other.storage && layers == other.layers
    }
}
