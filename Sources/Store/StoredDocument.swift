import Foundation

/// A document as given to and returned by the store.
public struct StoredDocument: Equatable, Sendable {
    /// Stable external id chosen by the user (1...511 UTF-8 bytes).
    public var id: String
    /// The text that was embedded.
    public var text: String
    /// Metadata: UTF-8 JSON text of an object (nested values, any Unicode); empty means none.
    /// Stored byte for byte and returned unchanged.
    public var metadata: Data
    /// Vectors by view name (`"full"` and the coarse views' names). Empty: store the text now,
    /// vectors later (`putVectors`). Otherwise it must hold every view of the generation.
    public var vectors: [String: [Float]]

    public init(id: String, text: String, metadata: Data = Data(), vectors: [String: [Float]] = [:]) {
        self.id = id
        self.text = text
        self.metadata = metadata
        self.vectors = vectors
    }

    /// Metadata parsed as JSON (`{}` when empty).
    public func parsedMetadata() throws -> JSONValue {
        metadata.isEmpty ? .object([:]) : try JSONValue.parse(metadata)
    }
}

/// A stored document with its compact internal id (the index's label).
public struct DocumentRecord: Equatable, Sendable {
    /// Internal id: allocated ascending, never reused.
    public var internalID: UInt64
    public var document: StoredDocument
}

/// The outcome of `add`.
public struct AddResult: Equatable, Sendable {
    /// Number of documents added.
    public var added: Int
    /// Internal ids given to the documents, in input order.
    public var internalIDs: [UInt64]
    /// The change sequence number of the last change written (0 when nothing was written).
    public var lastSeq: UInt64
}

/// The outcome of `upsert`.
public struct UpsertResult: Equatable, Sendable {
    /// New external ids.
    public var added: Int
    /// Existing external ids whose text/metadata/vectors were replaced (internal id kept).
    public var updated: Int
    /// Internal ids, in input order.
    public var internalIDs: [UInt64]
    public var lastSeq: UInt64
}

/// The outcome of a delete.
public struct DeleteResult: Equatable, Sendable {
    /// Number of documents deleted.
    public var deleted: Int
    /// Ids that did not exist (deleting them is not an error).
    public var missing: [String]
    /// Internal ids of the deleted documents.
    public var internalIDs: [UInt64]
    public var lastSeq: UInt64
}

/// One entry of the change sequence.
public struct Change: Equatable, Sendable {
    public enum Operation: UInt8, Sendable {
        /// A new document (new internal id).
        case add = 1
        /// An existing document's content or active vectors were replaced (same internal id).
        case upsert = 2
        /// The document was deleted.
        case delete = 3
        /// The active generation changed to `internalID` (read as a generation number):
        /// an index built from the previous generation must be rebuilt.
        case activateGeneration = 4
    }

    /// Sequence number: 1, 2, 3... without gaps.
    public var seq: UInt64
    public var operation: Operation
    public var internalID: UInt64
}

/// Store statistics.
public struct StoreStats: Equatable, Sendable {
    /// Number of documents.
    public var documents: Int
    /// Size of the data file on disk.
    public var fileBytes: Int
    /// Current map size (the file may grow up to it before the map grows).
    public var mapSize: Int
    /// LMDB page size.
    public var pageSize: Int
    /// Pages in use (high-water mark of the file).
    public var usedPages: Int
    /// Pages on the free list (reusable; `compact` returns them to the filesystem).
    public var freePages: Int
    /// The last change sequence number (0 for none).
    public var lastSeq: UInt64
    /// The active vector generation.
    public var activeGeneration: UInt32
}
