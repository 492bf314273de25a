@_spi(_Unicode) import Swift  // String._nfd: the stdlib's canonical decomposition, allocation-free
import Synchronization

/// HF's `BertNormalizer`, in its order: clean_text (drop U+0000, U+FFFD and control
/// characters; whitespace → space), handle_chinese_chars (spaces around CJK ideographs),
/// strip_accents (NFD, then drop nonspacing marks; `nil` follows `lowercase`, as HF does),
/// lowercase (full Unicode lowercase mapping, per scalar like Rust's `char::to_lowercase`).
///
/// Every step maps one scalar to zero or more scalars, so the whole pipeline is a per-scalar
/// table: a 128-entry ASCII fast path, then a lazily built table shared by all normalizers with
/// the same flags. Each output scalar keeps its source's index (HF's alignments do the same:
/// inserted scalars inherit the alignment of the scalar they came from).
///
/// `lowercaseFirst` is the `Lowercase` normalizer sentence-transformers puts in front of the
/// tokenizer's own when `sentence_bert_config.json` says `do_lower_case: true`.
struct BertNormalizer: Normalizer {
    let cleanText: Bool
    let handleChineseChars: Bool
    let stripAccents: Bool
    let lowercase: Bool
    let lowercaseFirst: Bool
    private let ascii: [UInt32]          // ASCII → mapped ASCII, or `dropped`
    private let table: ScalarMappingTable

    private static let dropped = UInt32.max

    init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true,
         lowercaseFirst: Bool = false) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
        self.lowercaseFirst = lowercaseFirst
        let flags = ScalarMappingTable.Flags(cleanText: cleanText, stripAccents: self.stripAccents,
                                             lowercase: lowercase, lowercaseFirst: lowercaseFirst)
        var ascii = [UInt32](repeating: 0, count: 128)
        for b in 0..<UInt32(128) {
            let mapped = ScalarMappingTable.map(b, flags)
            ascii[Int(b)] = mapped.first ?? Self.dropped
        }
        self.ascii = ascii
        self.table = ScalarMappingTable.shared(flags)
    }

    func normalize(_ bytes: UnsafeBufferPointer<UInt8>, firstScalar: Int, into output: NormalizedText) -> Int {
        var i = 0, source = firstScalar
        let n = bytes.count
        output.reserve(n)  // enough for ASCII; other scalars reserve their own expansion
        ascii.withUnsafeBufferPointer { ascii in
            while i < n {
                let b = bytes[i]
                if b < 0x80 {
                    let mapped = ascii[Int(b)]
                    if mapped != Self.dropped { output.appendReserved(mapped, source: source) }
                    i += 1; source += 1
                    continue
                }
                let scalar = decodeUTF8Scalar(bytes, &i)
                let isolate = handleChineseChars && BertCharacterClasses.isChineseChar(scalar)
                output.reserve(2 + table.maxExpansion)
                if isolate { output.appendReserved(0x20, source: source) }
                table.append(scalar, source: source, to: output)
                if isolate { output.appendReserved(0x20, source: source) }
                source += 1
            }
        }
        return source - firstScalar
    }
}

/// Per-scalar result of BERT's clean → strip accents → lowercase for one flag combination.
/// The BMP is a direct table (most scalars map to themselves); other planes a dictionary of
/// the scalars that change. Built once per flag combination (~0.1 s) and shared.
final class ScalarMappingTable: Sendable {
    private static let identity = UInt32.max
    /// For each BMP scalar: `identity`, or `offset << 8 | count` into `expansions`.
    private let bmp: [UInt32]
    private let astral: [UInt32: UInt32]
    private let expansions: [UInt32]
    private let cleanText: Bool
    /// The longest output of one scalar (callers of `append` reserve this much).
    let maxExpansion: Int

    private static let cache = Mutex<[Int: ScalarMappingTable]>([:])

    struct Flags {
        var cleanText: Bool
        var stripAccents: Bool
        var lowercase: Bool
        var lowercaseFirst: Bool
    }

    static func shared(_ flags: Flags) -> ScalarMappingTable {
        let key = (flags.cleanText ? 1 : 0) | (flags.stripAccents ? 2 : 0) | (flags.lowercase ? 4 : 0)
            | (flags.lowercaseFirst ? 8 : 0)
        return cache.withLock { cache in
            if let table = cache[key] { return table }
            let table = ScalarMappingTable(flags)
            cache[key] = table
            return table
        }
    }

    private init(_ flags: Flags) {
        var bmp = [UInt32](repeating: Self.identity, count: 0x10000)
        var astral: [UInt32: UInt32] = [:]
        var expansions: [UInt32] = []
        var maxExpansion = 1
        // Planes 2–3 hold only CJK ideographs (unchanged) besides the compatibility ideographs
        // (canonical singletons), planes 4–13 are unassigned and 15–16 private use, which
        // `append` handles directly.
        let ranges: [Range<UInt32>] = [0x80..<0xD800, 0xE000..<0x20000, 0x2F800..<0x2FA20, 0xE0000..<0xE1000]
        for value in ranges.joined() {
            if Self.mapsToItself(value, flags) { continue }
            let mapped = Self.map(value, flags)
            if mapped.count == 1 && mapped[0] == value { continue }
            let packed = UInt32(expansions.count) << 8 | UInt32(mapped.count)
            expansions.append(contentsOf: mapped)
            maxExpansion = max(maxExpansion, mapped.count)
            if value < 0x10000 { bmp[Int(value)] = packed } else { astral[value] = packed }
        }
        self.bmp = bmp
        self.astral = astral
        self.expansions = expansions
        self.cleanText = flags.cleanText
        self.maxExpansion = maxExpansion
    }

    /// Appends the mapping of a non-ASCII scalar; the caller has reserved `maxExpansion`.
    @inline(__always)
    func append(_ scalar: UInt32, source: Int, to output: NormalizedText) {
        let packed: UInt32
        if scalar < 0x10000 {
            packed = bmp[Int(scalar)]
        } else if scalar < 0xF0000 {
            packed = astral[scalar] ?? Self.identity
        } else {
            if cleanText && BertCharacterClasses.isControl(scalar) { return }
            packed = Self.identity
        }
        if packed == Self.identity {
            output.appendReserved(scalar, source: source)
            return
        }
        let start = Int(packed >> 8), count = Int(packed & 0xFF)
        for k in start..<(start + count) { output.appendReserved(expansions[k], source: source) }
    }

    /// Cheap pre-check for `map(value) == [value]` that allocates nothing.
    private static func mapsToItself(_ value: UInt32, _ flags: Flags) -> Bool {
        guard let scalar = Unicode.Scalar(value) else { return false }
        if flags.cleanText
            && (value == 0xFFFD || BertCharacterClasses.isControl(value) || BertCharacterClasses.isWhitespace(value)) {
            return false
        }
        if (flags.lowercase || flags.lowercaseFirst) && scalar.properties.changesWhenLowercased { return false }
        if flags.stripAccents {
            if scalar.properties.generalCategory == .nonspacingMark { return false }
            var decomposition = String(scalar)._nfd.makeIterator()
            if decomposition.next() != scalar || decomposition.next() != nil { return false }
        }
        return true
    }

    /// The reference per-scalar pipeline, from tokenizers/src/normalizers/bert.rs
    /// (after sentence-transformers' optional `Lowercase`).
    static func map(_ value: UInt32, _ flags: Flags) -> [UInt32] {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        guard flags.lowercaseFirst else { return bert(scalar, flags).map(\.value) }
        return lowercased(scalar).flatMap { bert($0, flags) }.map(\.value)
    }

    private static func lowercased(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        scalar.properties.changesWhenLowercased ? Array(scalar.properties.lowercaseMapping.unicodeScalars) : [scalar]
    }

    private static func bert(_ scalar: Unicode.Scalar, _ flags: Flags) -> [Unicode.Scalar] {
        let value = scalar.value
        if flags.cleanText {
            if value == 0 || value == 0xFFFD || BertCharacterClasses.isControl(value) { return [] }
            if BertCharacterClasses.isWhitespace(value) { return [" "] }
        }
        var scalars: [Unicode.Scalar] = [scalar]
        if flags.stripAccents {
            scalars = String(scalar)._nfd.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if flags.lowercase { scalars = scalars.flatMap(lowercased) }
        return scalars
    }
}
