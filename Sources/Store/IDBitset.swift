/// A set of internal ids as a dense bitset (ids are compact and ascending, so this is small:
/// 12.5 KB per 100k ids) — what a filtered index search checks per candidate in O(1).
public struct IDBitset: Equatable, Sendable, Sequence {
    public private(set) var words: [UInt64] = []
    /// Number of ids in the set.
    public private(set) var count = 0

    public init() {}

    public init<S: Sequence>(_ ids: S) where S.Element == UInt64 {
        for id in ids { insert(id) }
    }

    /// Whether `id` is in the set.
    @inline(__always)
    public func contains(_ id: UInt64) -> Bool {
        let w = Int(id >> 6)
        return w < words.count && words[w] & (1 << (id & 63)) != 0
    }

    public mutating func insert(_ id: UInt64) {
        let w = Int(id >> 6)
        if w >= words.count { words.append(contentsOf: repeatElement(0, count: w - words.count + 1)) }
        let bit: UInt64 = 1 << (id & 63)
        if words[w] & bit == 0 { words[w] |= bit; count += 1 }
    }

    public var isEmpty: Bool { count == 0 }

    /// Ids in ascending order.
    public func makeIterator() -> AnyIterator<UInt64> {
        var w = 0
        var current: UInt64 = words.first ?? 0
        return AnyIterator {
            while w < words.count {
                if current != 0 {
                    let bit = UInt64(current.trailingZeroBitCount)
                    current &= current - 1
                    return UInt64(w) << 6 | bit
                }
                w += 1
                if w < words.count { current = words[w] }
            }
            return nil
        }
    }
}
