import Foundation

/// HF's added vocabulary, as used for special tokens: occurrences of a token's exact text
/// (e.g. "[MASK]" typed in a document) are cut out of the raw text before normalization and
/// become that token, leftmost-longest first, like HF's Aho-Corasick split. `lstrip`/`rstrip`
/// tokens also swallow the whitespace before/after them (it joins the token's offsets).
struct AddedTokens: Sendable {
    struct Token: Sendable {
        let bytes: [UInt8]
        let scalarCount: Int
        let id: Int32
        let lstrip: Bool
        let rstrip: Bool
    }
    /// Longest first, so the first match at a position is the longest.
    private let tokens: [Token]
    /// `firstByte[b]`: some token starts with byte b (a cheap filter before comparing).
    private let firstByte: [Bool]

    var isEmpty: Bool { tokens.isEmpty }

    init(_ tokens: [(content: String, id: Int32, lstrip: Bool, rstrip: Bool)]) {
        var byLength = tokens.filter { !$0.content.isEmpty }.map {
            Token(bytes: Array($0.content.utf8), scalarCount: $0.content.unicodeScalars.count, id: $0.id,
                  lstrip: $0.lstrip, rstrip: $0.rstrip)
        }
        byLength.sort { $0.bytes.count > $1.bytes.count }
        var firstByte = [Bool](repeating: false, count: 256)
        for token in byLength { firstByte[Int(token.bytes[0])] = true }
        self.tokens = byLength
        self.firstByte = firstByte
    }

    /// The first index ≥ `index` where some added token could start (`bytes.count` if none).
    func nextCandidate(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int {
        firstByte.withUnsafeBufferPointer { firstByte in
            var i = index
            while i < bytes.count && !firstByte[Int(bytes[i])] { i += 1 }
            return i
        }
    }

    /// The added token starting at byte `index`, if any.
    @inline(__always)
    func match(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Token? {
        guard firstByte[Int(bytes[index])] else { return nil }
        let remaining = bytes.count - index
        for token in tokens where token.bytes.count <= remaining {
            let equal = token.bytes.withUnsafeBufferPointer { t in
                memcmp(t.baseAddress!, bytes.baseAddress! + index, t.count) == 0
            }
            if equal { return token }
        }
        return nil
    }
}
