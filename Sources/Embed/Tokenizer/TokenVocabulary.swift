import Foundation

/// A token → id map keyed by UTF-8 bytes, so the WordPiece model probes sub-words straight
/// from a scratch byte buffer without building a `String` per probe. Open addressing (linear
/// probing); each slot carries 32 bits of the key's hash, so the many misses of longest-match
/// search almost never touch key bytes. Keys are stored back to back.
struct TokenVocabulary: Sendable {
    private let keyBytes: [UInt8]
    private let keyStarts: [Int32]       // entry i's key is keyBytes[keyStarts[i]..<keyStarts[i+1]]
    private let values: [Int32]
    private let slots: [UInt64]          // 0: empty; else hash tag << 32 | (entry + 1)
    private let mask: Int
    /// Length in bytes of the longest key: no probe can match beyond it.
    let maxKeyLength: Int
    var count: Int { values.count }

    /// `entries` must have distinct keys.
    init<S: Sequence>(_ entries: S) where S.Element == (key: [UInt8], value: Int32) {
        var keyBytes: [UInt8] = [], keyStarts: [Int32] = [0], values: [Int32] = []
        var maxKeyLength = 0
        for (key, value) in entries {
            keyBytes.append(contentsOf: key)
            keyStarts.append(Int32(keyBytes.count))
            values.append(value)
            maxKeyLength = max(maxKeyLength, key.count)
        }
        var capacity = 16
        while capacity < values.count * 2 { capacity <<= 1 }
        var slots = [UInt64](repeating: 0, count: capacity)
        keyBytes.withUnsafeBufferPointer { bytes in
            var zero: UInt8 = 0
            for entry in 0..<values.count {
                let start = Int(keyStarts[entry]), end = Int(keyStarts[entry + 1])
                let hash = withUnsafePointer(to: &zero) { zero in
                    Self.hash(end > start ? bytes.baseAddress! + start : zero, end - start)
                }
                var slot = Int(truncatingIfNeeded: hash) & (capacity - 1)
                while slots[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
                slots[slot] = (hash >> 32) << 32 | UInt64(entry + 1)
            }
        }
        self.keyBytes = keyBytes
        self.keyStarts = keyStarts
        self.values = values
        self.slots = slots
        self.mask = capacity - 1
        self.maxKeyLength = maxKeyLength
    }

    /// 8 bytes at a time, then a strong finalizer (splitmix64 constants).
    @inline(__always)
    private static func hash(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        let raw = UnsafeRawPointer(bytes)
        var h = UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15
        var i = 0
        while i + 8 <= count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        if i < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < count { tail |= UInt64(bytes[i]) << shift; shift += 8; i += 1 }
            h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        }
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return h
    }

    /// The id of the token whose UTF-8 bytes are `bytes[0..<count]`, or -1.
    @inline(__always)
    func id(_ bytes: UnsafePointer<UInt8>, count: Int) -> Int32 {
        if count > maxKeyLength { return -1 }
        let hash = Self.hash(bytes, count)
        let tag = (hash >> 32) << 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            keyStarts.withUnsafeBufferPointer { starts in
                keyBytes.withUnsafeBufferPointer { keys in
                    while true {
                        let value = slots[slot]
                        if value == 0 { return -1 }
                        if value & 0xFFFF_FFFF_0000_0000 == tag {
                            let entry = Int(truncatingIfNeeded: value & 0xFFFF_FFFF) - 1
                            let start = Int(starts[entry])
                            if Int(starts[entry + 1]) - start == count
                                && (count == 0 || memcmp(keys.baseAddress! + start, bytes, count) == 0) {
                                return values[entry]
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    func id(_ token: String) -> Int32? {
        var token = token
        let id = token.withUTF8 { buffer -> Int32 in
            guard let base = buffer.baseAddress, buffer.count > 0 else {
                var zero: UInt8 = 0
                return withUnsafePointer(to: &zero) { self.id($0, count: 0) }
            }
            return self.id(base, count: buffer.count)
        }
        return id >= 0 ? id : nil
    }
}
