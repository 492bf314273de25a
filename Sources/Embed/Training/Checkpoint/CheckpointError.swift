/// Errors writing or reading a training checkpoint, naming the file at fault.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// A file could not be written, read or renamed.
    case io(path: String, message: String)
    /// A checkpoint file exists but does not match this run (tensor shapes, step counts, settings).
    case mismatch(path: String, message: String)
    /// A setting a sentence-transformers folder cannot express (e.g. cls_avg pooling).
    case unsupported(String)

    public var description: String {
        switch self {
        case let .io(path, message): return "\(path): \(message)"
        case let .mismatch(path, message): return "\(path): checkpoint does not match this run: \(message)"
        case let .unsupported(message): return "cannot write a sentence-transformers checkpoint: \(message)"
        }
    }
}
