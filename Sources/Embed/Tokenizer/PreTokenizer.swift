/// The second tokenizer stage (HF `pre_tokenizer`): splits normalized text into words,
/// which the model then cuts into sub-word tokens independently.
protocol PreTokenizer: Sendable {
    /// Appends the words of `text` to `words`, as ranges of normalized scalar indices.
    func split(_ text: NormalizedText, into words: inout [Range<Int>])
}
