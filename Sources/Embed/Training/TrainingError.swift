/// Errors of the training losses and optimizer: a shape or configuration that angle_emb would
/// reject (often with a bare assertion or an index error), reported with what was wrong.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// Matrices, labels or rows whose sizes do not fit the loss or dataset format.
    case shape(String)
    /// A setting outside its domain (negative temperature, compression size 0, …).
    case configuration(String)
    /// A non-finite loss or gradient.
    case numerical(String)

    public var description: String {
        switch self {
        case .shape(let message): return "training shape error: \(message)"
        case .configuration(let message): return "training configuration error: \(message)"
        case .numerical(let message): return "training numerical error: \(message)"
        }
    }
}
