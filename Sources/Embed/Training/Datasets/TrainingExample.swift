/// One text cell of a training example: a single text, or a list of alternatives of which one is
/// sampled each epoch (angle_emb's `sample_from_list`).
public enum TrainingText: Equatable, Sendable {
    case text(String)
    case choices([String])

    /// The text for this epoch: itself, or one alternative drawn with `generator`.
    public func sample<G: RandomNumberGenerator>(using generator: inout G) -> String {
        switch self {
        case .text(let s): return s
        case .choices(let list): return list[Int.random(in: 0..<list.count, using: &generator)]
        }
    }
}

/// One validated training example.
public struct TrainingExample: Equatable, Sendable {
    /// The text cells in `DatasetFormat.textColumns` order (A: text1, text2; B: query, positive; C: + negative).
    public var texts: [TrainingText]
    /// Format A's label; nil for B and C.
    public var label: Double?
    /// The 1-based line of the source file the example starts on.
    public var line: Int

    public init(texts: [TrainingText], label: Double?, line: Int) {
        self.texts = texts
        self.label = label
        self.line = line
    }
}
