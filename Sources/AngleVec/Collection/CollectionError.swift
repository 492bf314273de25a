import Foundation

/// Errors of the `Collection` facade (store, index and model errors pass through unchanged).
public enum CollectionError: Error, CustomStringConvertible, Equatable {
    /// The model given to open a collection is not the one its vectors were made with.
    case modelMismatch(path: String, collection: ModelIdentity, given: ModelIdentity)
    /// A model name that is neither registered nor a folder, or a registered model not installed.
    case modelNotFound(String, reason: String)
    /// A precomputed vector of the wrong length or with NaN/infinite components.
    case invalidVector(id: String, reason: String)
    /// A bad option (name and why).
    case invalidOption(String)
    /// A coarse-view operation on a collection configured without that view.
    case noCoarseView(path: String, requested: String)
    /// A write on a collection opened read-only.
    case readOnly(path: String)

    public var description: String {
        switch self {
        case let .modelMismatch(p, c, g):
            return "collection \(p) was embedded with model \(c.name) (weights sha256 \(c.weightsSHA256.prefix(12))), but the model given is \(g.name) (weights sha256 \(g.weightsSHA256.prefix(12))): use the collection's model or re-index it"
        case let .modelNotFound(name, reason): return "model '\(name)': \(reason)"
        case let .invalidVector(id, reason): return "document '\(id)': vector \(reason)"
        case let .invalidOption(m): return m
        case let .noCoarseView(p, r): return "collection \(p) has no coarse view \(r)"
        case let .readOnly(p): return "collection \(p) is open read-only"
        }
    }
}
