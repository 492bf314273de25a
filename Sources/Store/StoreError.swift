import Foundation

/// Errors of the collection store. Each names the path, id or field at fault.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// Nothing exists at the path.
    case notFound(path: String)
    /// Something exists at the path but it is not an anglevec collection.
    case notACollection(path: String, reason: String)
    /// `create` on a path that already holds files.
    case alreadyExists(path: String)
    /// The collection was written by a newer anglevec.
    case schemaTooNew(path: String, found: UInt32, supported: UInt32)
    /// The collection was embedded with another model than the one in use.
    case modelMismatch(path: String, collection: ModelIdentity, inUse: ModelIdentity)
    /// The files cannot be opened for writing (read-only filesystem, permissions) or are locked.
    case notWritable(path: String, reason: String)
    /// The disk (or the configured map-size limit) is full; nothing of the failed batch was written.
    case diskFull(path: String, reason: String)
    /// Writing the data file failed (I/O error); nothing of the failed batch was written.
    case ioError(path: String, reason: String)
    /// `add` of an external id that already exists (or appears twice in one batch).
    case duplicateID(String)
    /// An external id that LMDB cannot key (empty, or more than 511 UTF-8 bytes).
    case invalidID(String, reason: String)
    /// A document's vectors do not match the generation's views.
    case invalidVectors(id: String, reason: String)
    /// Metadata is not a JSON object.
    case invalidMetadata(id: String, reason: String)
    /// A bad configuration.
    case invalidConfig(String)
    /// A write on a collection opened read-only.
    case readOnly(path: String)
    /// An unknown vector generation.
    case noSuchGeneration(UInt32)
    /// The operation is not allowed on the active generation (e.g. dropping it).
    case generationIsActive(UInt32)
    /// A document id (external or internal) that does not exist.
    case noSuchDocument(String)
    /// Stored bytes do not decode: the file is damaged or written by an incompatible build.
    case corrupted(path: String, reason: String)
    /// Any other LMDB failure, with LMDB's message.
    case lmdb(path: String, LMDBError)
    /// A write embedded for generation `expected` found `active` active (the collection was
    /// re-indexed meanwhile): nothing was written; reopen the collection and retry.
    case generationChanged(path: String, expected: UInt32, active: UInt32)

    public var description: String {
        switch self {
        case .notFound(let p): return "no collection at \(p): the path does not exist"
        case .notACollection(let p, let r): return "\(p) is not an anglevec collection: \(r)"
        case .alreadyExists(let p): return "cannot create a collection at \(p): the path already exists and is not empty"
        case .schemaTooNew(let p, let f, let s):
            return "collection \(p) has schema version \(f), but this anglevec supports up to \(s): upgrade anglevec"
        case .modelMismatch(let p, let c, let u):
            return "collection \(p) was embedded with model \(c), but the model in use is \(u): use the collection's model or re-index it"
        case .notWritable(let p, let r): return "cannot write collection \(p): \(r)"
        case .diskFull(let p, let r): return "collection \(p) is full: \(r); the batch was not written"
        case .ioError(let p, let r): return "writing collection \(p) failed: \(r); the batch was not written"
        case .duplicateID(let id): return "document id '\(id)' already exists (use upsert to replace it)"
        case .invalidID(let id, let r): return "invalid document id '\(id.prefix(80))': \(r)"
        case .invalidVectors(let id, let r): return "document '\(id)': \(r)"
        case .invalidMetadata(let id, let r): return "document '\(id)': metadata \(r)"
        case .invalidConfig(let r): return "invalid collection config: \(r)"
        case .readOnly(let p): return "collection \(p) is open read-only"
        case .noSuchGeneration(let g): return "no vector generation \(g)"
        case .generationIsActive(let g): return "vector generation \(g) is the active one"
        case .noSuchDocument(let id): return "no document '\(id)'"
        case .corrupted(let p, let r): return "collection \(p) is damaged: \(r)"
        case .lmdb(let p, let e): return "collection \(p): \(e)"
        case .generationChanged(let p, let e, let a):
            return "collection \(p) switched from vector generation \(e) to \(a) (re-indexed) while writing; nothing was written: reopen it and retry"
        }
    }
}
