/// HF's `WordPiece` model: greedy longest-match-first sub-words, continuations carrying the
/// `##` prefix; a word longer than `maxInputCharsPerWord` scalars, or with any part not in
/// the vocabulary, becomes a single unknown token spanning the whole word.
struct WordPiece: TokenizerModel {
    let unknownId: Int32
    let continuingSubwordPrefix: String
    let maxInputCharsPerWord: Int
    /// Every vocabulary entry, as-is: probes at the start of a word.
    private let wordStarts: TokenVocabulary
    /// Entries that begin with the prefix, prefix removed: probes inside a word
    /// (`prefix + piece ∈ vocab` ⇔ `piece ∈ continuations`), so no prefix is ever concatenated.
    private let continuations: TokenVocabulary
    private let tokens: [String]

    /// `vocabulary[i]` is the token of id i.
    init(vocabulary: [String], unknownToken: String, continuingSubwordPrefix: String = "##",
         maxInputCharsPerWord: Int = 100, source: String) throws {
        var seen = Set<String>()
        var starts: [(key: [UInt8], value: Int32)] = []
        var continuations: [(key: [UInt8], value: Int32)] = []
        starts.reserveCapacity(vocabulary.count)
        let prefix = Array(continuingSubwordPrefix.utf8)
        for (id, token) in vocabulary.enumerated() {
            // HF keeps the last id of a duplicated token for lookup; vocab.txt files rarely have any.
            let bytes = Array(token.utf8)
            if !seen.insert(token).inserted {
                starts.removeAll { $0.key == bytes }
                continuations.removeAll { $0.key == Array(bytes.dropFirst(prefix.count)) && bytes.starts(with: prefix) }
            }
            starts.append((bytes, Int32(id)))
            if !prefix.isEmpty && bytes.count > prefix.count && bytes.starts(with: prefix) {
                continuations.append((Array(bytes[prefix.count...]), Int32(id)))
            }
        }
        self.wordStarts = TokenVocabulary(starts)
        self.continuations = TokenVocabulary(continuations)
        self.tokens = vocabulary
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        guard let unknownId = wordStarts.id(unknownToken) else {
            throw TokenizerError.missingToken(token: unknownToken, path: source)
        }
        self.unknownId = unknownId
    }

    var vocabularySize: Int { tokens.count }

    func id(forToken token: String) -> Int32? { wordStarts.id(token) }

    func token(forId id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    func tokenize(_ text: NormalizedText, word: Range<Int>, scratch: ModelScratch, into output: inout TokenSequence) {
        let n = word.count
        guard n > 0 else { return }
        let sources = text.sources
        let wordSpan = Int(sources[word.lowerBound])..<(Int(sources[word.upperBound - 1]) + 1)
        if n > maxInputCharsPerWord {
            output.append(unknownId, wordSpan)
            return
        }
        _ = scratch.encode(text.scalars + word.lowerBound, count: n)
        let bytes = UnsafePointer(scratch.bytes), starts = UnsafePointer(scratch.scalarStarts)

        let produced = output.count
        var start = 0
        while start < n {
            let table = start == 0 ? wordStarts : continuations
            let startByte = Int(starts[start])
            var end = n
            // Skip candidates longer than any vocabulary entry.
            while end > start && Int(starts[end]) - startByte > table.maxKeyLength { end -= 1 }
            var id: Int32 = -1
            while end > start {
                id = table.id(bytes + startByte, count: Int(starts[end]) - startByte)
                if id >= 0 { break }
                end -= 1
            }
            if id < 0 {
                // Some part is not in the vocabulary: the whole word is unknown.
                output.removeLast(output.count - produced)
                output.append(unknownId, wordSpan)
                return
            }
            let first = word.lowerBound + start, last = word.lowerBound + end - 1
            output.append(id, Int(sources[first])..<(Int(sources[last]) + 1))
            start = end
        }
    }
}
