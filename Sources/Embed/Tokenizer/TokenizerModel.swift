/// Tokens produced so far for one text: ids and spans in the original text's scalars.
struct TokenSequence {
    var ids: [Int32] = []
    var offsets: [Range<Int>] = []
    var count: Int { ids.count }

    @inline(__always)
    mutating func append(_ id: Int32, _ offset: Range<Int>) {
        ids.append(id)
        offsets.append(offset)
    }

    mutating func removeLast(_ k: Int) {
        ids.removeLast(k)
        offsets.removeLast(k)
    }
}

/// Reused per-call buffers of a model: the current word's UTF-8 bytes and where each of its
/// scalars starts (raw buffers that only grow, filled without per-byte checks).
final class ModelScratch {
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private(set) var scalarStarts: UnsafeMutablePointer<Int32>
    private var capacity: Int   // in scalars; bytes hold 4 per scalar

    init(capacity: Int = 128) {
        self.capacity = capacity
        bytes = .allocate(capacity: capacity * 4)
        scalarStarts = .allocate(capacity: capacity + 1)
    }

    deinit {
        bytes.deallocate()
        scalarStarts.deallocate()
    }

    /// Fills the buffers with the UTF-8 of `scalars[0..<count]`; returns the byte length.
    @inline(__always)
    func encode(_ scalars: UnsafePointer<UInt32>, count: Int) -> Int {
        if count > capacity {
            bytes.deallocate(); scalarStarts.deallocate()
            capacity = max(count, capacity * 2)
            bytes = .allocate(capacity: capacity * 4)
            scalarStarts = .allocate(capacity: capacity + 1)
        }
        var length = 0
        for k in 0..<count {
            scalarStarts[k] = Int32(length)
            let scalar = scalars[k]
            if scalar < 0x80 {
                bytes[length] = UInt8(scalar); length += 1
            } else if scalar < 0x800 {
                bytes[length] = UInt8(0xC0 | scalar >> 6); bytes[length + 1] = UInt8(0x80 | scalar & 0x3F)
                length += 2
            } else if scalar < 0x10000 {
                bytes[length] = UInt8(0xE0 | scalar >> 12); bytes[length + 1] = UInt8(0x80 | scalar >> 6 & 0x3F)
                bytes[length + 2] = UInt8(0x80 | scalar & 0x3F)
                length += 3
            } else {
                bytes[length] = UInt8(0xF0 | scalar >> 18); bytes[length + 1] = UInt8(0x80 | scalar >> 12 & 0x3F)
                bytes[length + 2] = UInt8(0x80 | scalar >> 6 & 0x3F); bytes[length + 3] = UInt8(0x80 | scalar & 0x3F)
                length += 4
            }
        }
        scalarStarts[count] = Int32(length)
        return length
    }
}

/// The third tokenizer stage (HF `model`): cuts one pre-tokenized word into vocabulary ids.
protocol TokenizerModel: Sendable {
    /// Appends the tokens of `text.scalars[word]` to `output`, offsets mapped back to the
    /// original text through `text.sources`.
    func tokenize(_ text: NormalizedText, word: Range<Int>, scratch: ModelScratch, into output: inout TokenSequence)
    /// The id of a whole token (e.g. "[CLS]"), or nil.
    func id(forToken token: String) -> Int32?
    /// The token of an id, or nil when out of range.
    func token(forId id: Int32) -> String?
    var vocabularySize: Int { get }
}
