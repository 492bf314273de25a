import Foundation

/// A Hugging Face fast tokenizer rebuilt natively: added (special) tokens → normalizer →
/// pre-tokenizer → model → truncation → post-processor, matching `tokenizers`' ids, type ids
/// and `offset_mapping` exactly. Built by `TokenizerLoader` from a model folder.
///
/// Thread-safe: `encode` keeps all scratch state on its own stack, so one instance can serve
/// many threads at once.
public final class TokenizerPipeline: Tokenizer {
    let addedTokens: AddedTokens
    let normalizer: any Normalizer
    let preTokenizer: any PreTokenizer
    let model: any TokenizerModel
    let postProcessor: any PostProcessor
    /// Ids that `tokenize`/`decode` treat as special (skipped when decoding).
    let specialIds: Set<Int32>

    /// The model's sequence limit, special tokens included (sentence-transformers' `max_seq_length`).
    public let maxLength: Int
    public let padId: Int32

    /// This pipeline with sentence-transformers' `do_lower_case`: a `Lowercase` normalizer
    /// in front of the tokenizer's own.
    func lowercasingInput() -> TokenizerPipeline {
        let lowered: any Normalizer
        if let bert = normalizer as? BertNormalizer {
            lowered = BertNormalizer(cleanText: bert.cleanText, handleChineseChars: bert.handleChineseChars,
                                     stripAccents: bert.stripAccents, lowercase: bert.lowercase, lowercaseFirst: true)
        } else {
            lowered = BertNormalizer(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: true)
        }
        return TokenizerPipeline(addedTokens: addedTokens, normalizer: lowered, preTokenizer: preTokenizer, model: model,
                                 postProcessor: postProcessor, specialIds: specialIds, maxLength: maxLength, padId: padId)
    }

    init(addedTokens: AddedTokens, normalizer: any Normalizer, preTokenizer: any PreTokenizer,
         model: any TokenizerModel, postProcessor: any PostProcessor, specialIds: Set<Int32>,
         maxLength: Int, padId: Int32) {
        self.addedTokens = addedTokens
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.specialIds = specialIds
        self.maxLength = maxLength
        self.padId = padId
    }

    /// Number of tokens in the vocabulary.
    public var vocabularySize: Int { model.vocabularySize }

    /// The id of a vocabulary token (e.g. "[CLS]"), or nil.
    public func id(forToken token: String) -> Int32? { model.id(forToken: token) }

    /// The vocabulary token of an id, or nil when out of range.
    public func token(forId id: Int32) -> String? { model.token(forId: id) }

    /// Encodes `text` as HF does with `truncation=True, max_length=maxLength`: special tokens
    /// included, content truncated so the closing special token (e.g. [SEP]) is kept.
    /// A limit smaller than the special tokens alone yields just the special tokens.
    public func encode(_ text: String, maxLength: Int?) -> Encoding {
        let limit = max(0, (maxLength ?? self.maxLength) - postProcessor.addedTokenCount)
        var tokens = content(of: text, limit: limit)
        if tokens.count > limit { tokens.removeLast(tokens.count - limit) }
        return postProcessor.process(tokens)
    }

    /// The sub-word tokens of `text` without special tokens or truncation (e.g. "un", "##aff").
    public func tokenize(_ text: String) -> [String] {
        content(of: text, limit: .max).ids.map { model.token(forId: $0) ?? "" }
    }

    /// Text from ids, as HF's WordPiece decoder with `skip_special_tokens=True`: continuation
    /// pieces join their word, other tokens get a leading space, and each piece alone gets
    /// the decoder's clean-up (" ." → "." and the like).
    public func decode(_ ids: [Int32]) -> String {
        let prefix = (model as? WordPiece)?.continuingSubwordPrefix ?? "##"
        var text = ""
        var first = true
        for id in ids where !specialIds.contains(id) {
            guard let token = model.token(forId: id) else { continue }
            var piece = token
            if !first {
                piece = token.hasPrefix(prefix) ? String(token.dropFirst(prefix.count)) : " " + token
            }
            first = false
            for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                               (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
                piece = piece.replacingOccurrences(of: from, with: to)
            }
            text += piece
        }
        return text
    }

    /// Texts longer than this are normalized and pre-tokenized piece by piece (cut at ASCII
    /// whitespace, always a word boundary for the BERT components), so truncated encodes of long
    /// documents stop early and scratch buffers stay small.
    private static let pieceBytes = 16 * 1024

    /// Tokens of `text` before post-processing; stops once `limit` tokens exist.
    private func content(of text: String, limit: Int) -> TokenSequence {
        var text = text
        var tokens = TokenSequence()
        text.withUTF8 { bytes in
            var state = EncodeState()
            var segmentStart = 0, i = 0
            if !addedTokens.isEmpty {
                while true {
                    i = addedTokens.nextCandidate(bytes, from: i)
                    if i >= bytes.count { break }
                    guard let added = addedTokens.match(bytes, at: i) else { i += 1; continue }
                    var matchStart = i, matchEnd = i + added.bytes.count, scalars = added.scalarCount
                    if added.lstrip {
                        while matchStart > segmentStart {
                            var previous = matchStart - 1
                            while bytes[previous] & 0xC0 == 0x80 { previous -= 1 }
                            var index = previous
                            guard BertCharacterClasses.isWhitespace(decodeUTF8Scalar(bytes, &index)) else { break }
                            matchStart = previous
                            scalars += 1
                        }
                    }
                    if added.rstrip {
                        while matchEnd < bytes.count {
                            var next = matchEnd
                            guard BertCharacterClasses.isWhitespace(decodeUTF8Scalar(bytes, &next)) else { break }
                            matchEnd = next
                            scalars += 1
                        }
                    }
                    encodeSegment(bytes, segmentStart..<matchStart, &state, limit: limit, into: &tokens)
                    if tokens.count >= limit { return }
                    tokens.append(added.id, state.scalarIndex..<(state.scalarIndex + scalars))
                    state.scalarIndex += scalars
                    i = matchEnd
                    segmentStart = i
                }
            }
            encodeSegment(bytes, segmentStart..<bytes.count, &state, limit: limit, into: &tokens)
        }
        return tokens
    }

    private struct EncodeState {
        var scalarIndex = 0
        var normalized = NormalizedText()
        var words: [Range<Int>] = []
        var scratch = ModelScratch()
    }

    private func encodeSegment(_ bytes: UnsafeBufferPointer<UInt8>, _ segment: Range<Int>, _ state: inout EncodeState,
                               limit: Int, into tokens: inout TokenSequence) {
        var start = segment.lowerBound
        while start < segment.upperBound && tokens.count < limit {
            var end = min(segment.upperBound, start + Self.pieceBytes)
            while end < segment.upperBound && !Self.isASCIIWhitespace(bytes[end]) { end += 1 }
            state.normalized.removeAll()
            state.words.removeAll(keepingCapacity: true)
            state.scalarIndex += normalizer.normalize(UnsafeBufferPointer(rebasing: bytes[start..<end]),
                                                      firstScalar: state.scalarIndex, into: state.normalized)
            preTokenizer.split(state.normalized, into: &state.words)
            for word in state.words {
                model.tokenize(state.normalized, word: word, scratch: state.scratch, into: &tokens)
                if tokens.count >= limit { return }
            }
            start = end
        }
    }

    @inline(__always)
    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
    }
}
