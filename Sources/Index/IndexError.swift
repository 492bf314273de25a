// Errors of the index module: every one names the input that was wrong.

/// A bad argument or a bad snapshot file. Nothing already in the index is changed when one is thrown.
public enum IndexError: Error, CustomStringConvertible, Equatable {
    /// A vector or query whose length is not the index's dimensions.
    case dimensionMismatch(what: String, expected: Int, got: Int)
    /// A vector with NaN or infinite components.
    case nonFiniteVector(what: String)
    /// A label that is not in the index.
    case unknownLabel(UInt64)
    /// An invalid parameter (name and why).
    case invalidParameter(name: String, reason: String)
    /// A snapshot that cannot be used: corrupt, truncated, from another format version… Rebuild it.
    case corruptSnapshot(path: String, reason: String)
    /// An operating-system error while reading or writing a file.
    case io(path: String, operation: String, errno: Int32)
    /// A vector file (.npy / .fvecs) that cannot be read.
    case badVectorFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .dimensionMismatch(what, expected, got): "\(what): expected \(expected) dimensions, got \(got)"
        case let .nonFiniteVector(what): "\(what): vector has NaN or infinite components"
        case let .unknownLabel(l): "label \(l) is not in the index"
        case let .invalidParameter(name, reason): "parameter \(name): \(reason)"
        case let .corruptSnapshot(path, reason): "snapshot \(path) is unusable (\(reason)); rebuild the index"
        case let .io(path, op, e): "\(path): \(op) failed (errno \(e))"
        case let .badVectorFile(path, reason): "vector file \(path): \(reason)"
        }
    }
}
