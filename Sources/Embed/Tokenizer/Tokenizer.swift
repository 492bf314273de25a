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
