import Embed

/// One window of a document.
public struct Chunk: Sendable, Equatable {
    /// `parentId#chunk-<index>`, or just `parentId` when the document fits in one chunk.
    public var id: String
    public var parentId: String
    /// 0-based position among the document's chunks.
    public var index: Int
    public var text: String
    /// The chunk's span in the parent text, in Unicode scalars (as `Encoding.offsets`).
    public var range: Range<Int>
    /// Number of tokens in the chunk, special tokens excluded (≤ `Chunker.maxTokens`).
    public var tokenCount: Int
}

/// Splits long documents into overlapping windows of at most `maxTokens` tokens (the model's limit minus
/// its special tokens), consecutive windows sharing `overlap` tokens. A window ends, by preference, at a
/// paragraph break, else after a sentence, else at a line break, else between words, looking back as far as
/// the window's middle; only a single overlong word is cut inside. Windows never end mid-word when
/// avoidable, so re-tokenizing a chunk gives the same tokens.
public struct Chunker: Sendable {
    public let tokenizer: any Tokenizer
    public let maxTokens: Int
    public let overlap: Int

    public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
        case overlapTooLarge(overlap: Int, maxTokens: Int)
        case maxTokensTooSmall(Int)
        public var description: String {
            switch self {
            case let .overlapTooLarge(o, n): return "chunk overlap (\(o) tokens) must be smaller than the chunk size (\(n) tokens)"
            case let .maxTokensTooSmall(n): return "chunk size must be at least 1 token, got \(n)"
            }
        }
    }

    /// - Parameters:
    ///   - maxTokens: tokens per chunk, specials excluded; nil → `tokenizer.maxLength` minus the special tokens
    ///     the tokenizer adds (counted by encoding an empty text). A larger value is capped to that limit.
    ///   - overlap: tokens shared by consecutive chunks; must be smaller than `maxTokens`.
    public init(tokenizer: any Tokenizer, maxTokens: Int? = nil, overlap: Int = 32) throws {
        let specials = tokenizer.encode("", maxLength: nil).count
        let limit = tokenizer.maxLength - specials
        let n = min(maxTokens ?? limit, limit)
        guard n >= 1 else { throw ConfigurationError.maxTokensTooSmall(n) }
        guard overlap >= 0, overlap < n else { throw ConfigurationError.overlapTooLarge(overlap: overlap, maxTokens: n) }
        self.tokenizer = tokenizer
        self.maxTokens = n
        self.overlap = overlap
    }

    /// The chunks of `text`, in order. An empty text gives one empty chunk.
    public func chunks(of text: String, parentId: String) -> [Chunk] {
        let scalars = Array(text.unicodeScalars)
        let encoding = tokenizer.encode(text, maxLength: Int(Int32.max))
        // Content tokens are the ones with a non-empty span (specials have 0..<0).
        var starts: [Int] = [], ends: [Int] = []
        starts.reserveCapacity(encoding.count)
        ends.reserveCapacity(encoding.count)
        for span in encoding.offsets where !span.isEmpty {
            starts.append(span.lowerBound)
            ends.append(span.upperBound)
        }
        let total = starts.count
        if total <= maxTokens {
            return [Chunk(id: parentId, parentId: parentId, index: 0, text: text, range: 0..<scalars.count, tokenCount: total)]
        }

        func slice(_ range: Range<Int>) -> String {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }

        var chunks: [Chunk] = []
        var start = 0
        while true {
            var end = min(start + maxTokens, total)
            let last = end == total
            if !last { end = bestCut(start: start, end: end, starts: starts, ends: ends, scalars: scalars) }
            // The first chunk takes leading whitespace, the last the trailing text.
            let lower = chunks.isEmpty ? 0 : starts[start]
            let upper = last ? scalars.count : ends[end - 1]
            let index = chunks.count
            chunks.append(Chunk(id: "\(parentId)#chunk-\(index)", parentId: parentId, index: index,
                                text: slice(lower..<upper), range: lower..<upper, tokenCount: end - start))
            if last { break }
            start = end - overlap   // > start: bestCut never returns a cut within the overlap
        }
        return chunks
    }

    /// The token index to end a window at, in `(start + overlap, end]`, preferring natural boundaries.
    private func bestCut(start: Int, end: Int, starts: [Int], ends: [Int], scalars: [Unicode.Scalar]) -> Int {
        let lowest = min(end, start + max(overlap + 1, maxTokens / 2))
        var best = end, bestScore = -1
        var cut = end
        while cut >= lowest {
            // The gap between token cut-1 and token cut.
            let gapStart = ends[cut - 1], gapEnd = starts[cut]
            var score = 0
            if gapEnd > gapStart {
                var newlines = 0
                for i in gapStart..<gapEnd where scalars[i] == "\n" { newlines += 1 }
                let lastScalar = scalars[gapStart - 1]
                if newlines >= 2 { score = 4 }
                else if lastScalar == "." || lastScalar == "!" || lastScalar == "?" || lastScalar == "。" { score = 3 }
                else if newlines == 1 { score = 2 }
                else { score = 1 }
            }
            if score > bestScore { best = cut; bestScore = score }
            if score == 4 { break }
            cut -= 1
        }
        return best
    }
}
