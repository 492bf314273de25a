import Foundation

/// A document to add to a `Collection`: an id, the text that is embedded, optional metadata
/// (a JSON object, kept byte for byte) and optionally a precomputed full vector (bring your own).
public struct Document: Sendable, Equatable {
    /// Stable id chosen by the caller (1...511 UTF-8 bytes). Adding an existing id replaces it (upsert).
    public var id: String
    /// The text embedded with the collection's document prompt and returned with hits.
    public var text: String
    /// Metadata as UTF-8 JSON text of an object; empty means none.
    public var metadata: Data
    /// A precomputed full-view vector (the collection's dimensions); nil: embed `text`.
    public var vector: [Float]?

    public init(id: String, text: String, metadata: Data = Data(), vector: [Float]? = nil) {
        self.id = id
        self.text = text
        self.metadata = metadata
        self.vector = vector
    }

    /// A document with metadata given as a JSON object value.
    public init(id: String, text: String, metadata: [String: JSONValue], vector: [Float]? = nil) {
        self.init(id: id, text: text, metadata: metadata.isEmpty ? Data() : Data(JSONValue.object(metadata).jsonText.utf8), vector: vector)
    }

    /// A document read by the ingest readers (JSONL, CSV, text files), metadata keys in input order.
    public init(_ source: SourceDocument) {
        self.init(id: source.id, text: source.text, metadata: source.metadataJSON, vector: source.vector)
    }

    /// Metadata parsed as JSON (`{}` when empty).
    public func parsedMetadata() throws -> JSONValue {
        metadata.isEmpty ? .object([:]) : try JSONValue.parse(metadata)
    }
}

/// One search result.
public struct Hit: Sendable, Equatable {
    /// The document's id.
    public var id: String
    /// The ranking score: cosine similarity for the `cosine` metric (higher is closer), the dot
    /// product for `dot`, minus the squared Euclidean distance for `l2`. With coarse-to-fine it is
    /// the full-view score.
    public var score: Float
    /// The document's text (empty when the query asked for no text).
    public var text: String
    /// The document's metadata (JSON text of an object; empty for none).
    public var metadata: Data
    /// The coarse-view score that put the document on the shortlist (coarse-to-fine and coarse-only queries).
    public var coarseScore: Float?
    /// The full-view score (nil for coarse-only queries).
    public var fullScore: Float?
    /// The store's internal id (the index label).
    public var internalID: UInt64

    public init(id: String, score: Float, text: String, metadata: Data, coarseScore: Float? = nil,
                fullScore: Float? = nil, internalID: UInt64) {
        self.id = id
        self.score = score
        self.text = text
        self.metadata = metadata
        self.coarseScore = coarseScore
        self.fullScore = fullScore
        self.internalID = internalID
    }

    /// Metadata parsed as JSON (`{}` when empty).
    public func parsedMetadata() throws -> JSONValue {
        metadata.isEmpty ? .object([:]) : try JSONValue.parse(metadata)
    }
}
