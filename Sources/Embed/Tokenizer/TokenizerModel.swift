/// Tokens produced so far for one text: ids and spans in the original text's scalars.
struct TokenSequence {
    var ids: [Int32] = []
    var offsets: [Range<Int>] = []
    var count: Int { ids.count }

    @inline(__always)
    mutating func append(_ id: Int32, _ offset: Range<Int>) {
        ids.append(id)
        offsets.append(offset)
    }

    mutating func removeLast(_ k: Int) {
        ids.removeLast(k)
        offsets.removeLast(k)
    }
}

/// Reused per-call buffers of a model (UTF-8 of the current word and its scalar boundaries).
struct ModelScratch {
    var bytes: [UInt8] = []
    var scalarStarts: [Int32] = []
}

/// The third tokenizer stage (HF `model`): cuts one pre-tokenized word into vocabulary ids.
protocol TokenizerModel: Sendable {
    /// Appends the tokens of `text.scalars[word]` to `output`, offsets mapped back to the
    /// original text through `text.sources`.
    func tokenize(_ text: NormalizedText, word: Range<Int>, scratch: inout ModelScratch, into output: inout TokenSequence)
    /// The id of a whole token (e.g. "[CLS]"), or nil.
    func id(forToken token: String) -> Int32?
    /// The token of an id, or nil when out of range.
    func token(forId id: Int32) -> String?
    var vocabularySize: Int { get }
}
