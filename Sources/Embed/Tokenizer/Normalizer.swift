/// The first tokenizer stage (HF `normalizer`): rewrites the raw text scalar by scalar
/// (clean-up, lowercasing, accent stripping…), keeping each output scalar's source index.
protocol Normalizer: Sendable {
    /// Appends the normalized form of the UTF-8 text `bytes` to `output`; the first scalar of
    /// `bytes` is scalar number `firstScalar` of the original text. Returns the number of
    /// original scalars consumed.
    func normalize(_ bytes: UnsafeBufferPointer<UInt8>, firstScalar: Int, into output: NormalizedText) -> Int
}

/// `"normalizer": null`: the text passes through unchanged.
struct IdentityNormalizer: Normalizer {
    func normalize(_ bytes: UnsafeBufferPointer<UInt8>, firstScalar: Int, into output: NormalizedText) -> Int {
        var i = 0, source = firstScalar
        while i < bytes.count {
            output.append(decodeUTF8Scalar(bytes, &i), source: source)
            source += 1
        }
        return source - firstScalar
    }
}
