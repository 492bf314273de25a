/// angle_emb's three training data layouts (`detect_dataset_format`), and how a batch's rows are
/// laid out for the loss: A → [text1, text2] per example (zigzag pairs, the example's label on both
/// rows); B → [query, positive]; C → [query, positive, negative].
public enum DatasetFormat: String, Sendable, CaseIterable {
    /// `text1`, `text2`, `label`.
    case a = "A"
    /// `query`, `positive`.
    case b = "B"
    /// `query`, `positive`, `negative`.
    case c = "C"

    /// The columns an example of this format must have, in row order (`label` last for A).
    public var requiredColumns: [String] {
        switch self {
        case .a: return ["text1", "text2", "label"]
        case .b: return ["query", "positive"]
        case .c: return ["query", "positive", "negative"]
        }
    }

    /// The text columns, in the order their rows appear in a batch.
    public var textColumns: [String] {
        switch self {
        case .a: return ["text1", "text2"]
        case .b: return ["query", "positive"]
        case .c: return ["query", "positive", "negative"]
        }
    }

    /// Rows per example in a batch.
    public var rowsPerExample: Int { textColumns.count }

    /// angle_emb's detection order: A if text1+text2+label, else C if query+positive+negative,
    /// else B if query+positive; nil otherwise.
    public static func detect(columns: Set<String>) -> DatasetFormat? {
        if columns.isSuperset(of: ["text1", "text2", "label"]) { return .a }
        if columns.isSuperset(of: ["query", "positive", "negative"]) { return .c }
        if columns.isSuperset(of: ["query", "positive"]) { return .b }
        return nil
    }
}
