/// HF's `BertPreTokenizer`: splits on whitespace (dropped) and isolates every punctuation
/// scalar as its own word (`is_bert_punc`: ASCII punctuation or Unicode P*).
struct BertPreTokenizer: PreTokenizer {
    private enum Kind: UInt8 { case other = 0, whitespace = 1, punctuation = 2 }

    /// Classes of the BMP, computed once (64 KB); other planes are looked up directly.
    private static let bmpKinds: [UInt8] = {
        var kinds = [UInt8](repeating: Kind.other.rawValue, count: 0x10000)
        for value in 0..<UInt32(0x10000) { kinds[Int(value)] = kind(of: value).rawValue }
        return kinds
    }()

    private static func kind(of scalar: UInt32) -> Kind {
        if BertCharacterClasses.isWhitespace(scalar) { return .whitespace }
        if BertCharacterClasses.isPunctuation(scalar) { return .punctuation }
        return .other
    }

    func split(_ text: NormalizedText, into words: inout [Range<Int>]) {
        Self.bmpKinds.withUnsafeBufferPointer { kinds in
            let scalars = text.scalars, count = text.count
            var wordStart = -1
            for i in 0..<count {
                let s = scalars[i]
                let kind = s < 0x10000 ? Kind(rawValue: kinds[Int(s)])! : Self.kind(of: s)
                if kind == .other {
                    if wordStart < 0 { wordStart = i }
                    continue
                }
                if wordStart >= 0 { words.append(wordStart..<i); wordStart = -1 }
                if kind == .punctuation { words.append(i..<(i + 1)) }
            }
            if wordStart >= 0 { words.append(wordStart..<count) }
        }
    }
}
