/// A training data problem, naming where it is: `file:line: field 'x': message`.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// One example is unusable (skippable with `skipInvalid`). `field` is nil when the whole line is bad.
    case invalidRow(file: String, line: Int, field: String?, message: String)
    /// The file as a whole is unusable (unreadable, no recognizable format, bad rename mapping…).
    case invalidFile(file: String, message: String)
    /// A setting is malformed (a prompt template, a column rename mapping string).
    case invalidOption(option: String, message: String)
    /// Every example of a batch was filtered as a duplicate (angle_emb raises here too).
    case emptyBatch(epoch: Int, batch: Int)

    public var description: String {
        switch self {
        case let .invalidRow(file, line, field, message):
            return "\(file):\(line): " + (field.map { "field '\($0)': " } ?? "") + message
        case let .invalidFile(file, message):
            return "\(file): \(message)"
        case let .invalidOption(option, message):
            return "\(option): \(message)"
        case let .emptyBatch(epoch, batch):
            return "epoch \(epoch), batch \(batch): every example was a duplicate; no features to process (consider disabling filter_duplicate)"
        }
    }
}
