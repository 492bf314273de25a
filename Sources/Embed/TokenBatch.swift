/// Sequences of token ids right-padded to one length, as the encoder consumes them
/// (HF's `padding="longest"`): row-major [count, seqLen] ids and token type ids, plus real lengths.
public struct TokenBatch: Sendable {
    public let count: Int
    public let seqLen: Int
    public private(set) var ids: [Int32]
    public private(set) var typeIds: [Int32]
    /// Real tokens per sequence (the attention mask's row sums).
    public let lengths: [Int]

    /// Pads `sequences` with `padId` to the longest one (or to `paddedLength`, HF's `padding="max_length"`).
    /// Token type ids default to 0.
    /// - Throws: `ModelLoadError.invalidInput` for an empty sequence, mismatched type ids or a too short `paddedLength`.
    public init(_ sequences: [[Int32]], typeIds: [[Int32]]? = nil, padId: Int32 = 0, paddedLength: Int? = nil) throws {
        count = sequences.count
        let longest = sequences.map(\.count).max() ?? 0
        if let paddedLength, paddedLength < longest {
            throw ModelLoadError.invalidInput("padded length \(paddedLength) is shorter than the longest sequence (\(longest) tokens)")
        }
        seqLen = paddedLength ?? longest
        lengths = sequences.map(\.count)
        ids = [Int32](repeating: padId, count: count * seqLen)
        self.typeIds = [Int32](repeating: 0, count: count * seqLen)
        for (i, sequence) in sequences.enumerated() {
            guard !sequence.isEmpty else {
                throw ModelLoadError.invalidInput("sequence \(i) has no tokens (an encoder needs at least [CLS])")
            }
            for (t, id) in sequence.enumerated() { ids[i * seqLen + t] = id }
            if let typeIds {
                guard typeIds.count == count, typeIds[i].count == sequence.count else {
                    throw ModelLoadError.invalidInput("token type ids of sequence \(i) do not match its \(sequence.count) ids")
                }
                for (t, type) in typeIds[i].enumerated() { self.typeIds[i * seqLen + t] = type }
            }
        }
    }

    /// From tokenizer output.
    public init(_ encodings: [Encoding], padId: Int32 = 0) throws {
        try self.init(encodings.map(\.ids), typeIds: encodings.map(\.typeIds), padId: padId)
    }
}
