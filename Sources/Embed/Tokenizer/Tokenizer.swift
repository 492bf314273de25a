import Foundation

/// One text as token ids, exactly as a Hugging Face fast tokenizer returns it
/// (special tokens included, no padding).
public struct Encoding: Equatable, Sendable {
    public var ids: [Int32]
    public var typeIds: [Int32]
    /// Each token's span in the input text, in Unicode scalars (HF's `offset_mapping`);
    /// special tokens have the empty span 0..<0. Chunking uses these to cut documents.
    public var offsets: [Range<Int>]

    public init(ids: [Int32], typeIds: [Int32], offsets: [Range<Int>]) {
        self.ids = ids
        self.typeIds = typeIds
        self.offsets = offsets
    }

    public var count: Int { ids.count }
}

/// text → token ids. Implementations are built from a model folder's tokenizer files.
public protocol Tokenizer: Sendable {
    /// Encodes one text with special tokens, truncated to `maxLength` tokens
    /// (the tokenizer's own `maxLength` when nil).
    func encode(_ text: String, maxLength: Int?) -> Encoding
    /// The model's real sequence limit (sentence-transformers' `max_seq_length` when present).
    var maxLength: Int { get }
    var padId: Int32 { get }
}

extension Tokenizer {
    /// Encodes one text truncated to the tokenizer's own `maxLength`.
    public func encode(_ text: String) -> Encoding { encode(text, maxLength: nil) }

    /// Encodes many texts, in parallel across cores when there are enough of them.
    public func encodeBatch(_ texts: [String], maxLength: Int? = nil) -> [Encoding] {
        if texts.count < 64 { return texts.map { encode($0, maxLength: maxLength) } }
        let empty = Encoding(ids: [], typeIds: [], offsets: [])
        var results = [Encoding](repeating: empty, count: texts.count)
        let chunk = 32
        let chunks = (texts.count + chunk - 1) / chunk
        results.withUnsafeMutableBufferPointer { output in
            let output = UncheckedSendable(output)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                for i in (c * chunk)..<min(texts.count, (c + 1) * chunk) {
                    output.value[i] = encode(texts[i], maxLength: maxLength)
                }
            }
        }
        return results
    }
}

/// Disjoint writes from `concurrentPerform` iterations into one buffer.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
