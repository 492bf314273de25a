/// The last tokenizer stage (HF `post_processor`): wraps a single sequence's tokens with
/// special tokens and assigns type ids.
protocol PostProcessor: Sendable {
    /// How many special tokens `process` adds around a single sequence (truncation reserves them).
    var addedTokenCount: Int { get }
    func process(_ tokens: TokenSequence) -> Encoding
}

/// `"post_processor": null`: tokens as they are, type id 0.
struct NoPostProcessor: PostProcessor {
    var addedTokenCount: Int { 0 }
    func process(_ tokens: TokenSequence) -> Encoding {
        Encoding(ids: tokens.ids, typeIds: [Int32](repeating: 0, count: tokens.count), offsets: tokens.offsets)
    }
}
