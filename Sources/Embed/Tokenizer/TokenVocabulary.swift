import Foundation

/// A token → id map keyed by UTF-8 bytes, so the WordPiece model probes sub-words straight
/// from a scratch byte buffer without building a `String` per probe.
/// Open addressing (linear probing) over FNV-1a hashes; keys are stored back to back.
struct TokenVocabulary: Sendable {
    private let keyBytes: [UInt8]
    private let keyStarts: [Int32]       // entry i's key is keyBytes[keyStarts[i]..<keyStarts[i+1]]
    private let values: [Int32]
    private let slots: [Int32]           // entry index, or -1
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
        var slots = [Int32](repeating: -1, count: capacity)
        keyBytes.withUnsafeBufferPointer { bytes in
            for entry in 0..<values.count {
                let start = Int(keyStarts[entry]), end = Int(keyStarts[entry + 1])
                var slot = Self.hash(bytes.baseAddress.map { $0 + start }, end - start) & (capacity - 1)
                while slots[slot] >= 0 { slot = (slot + 1) & (capacity - 1) }
                slots[slot] = Int32(entry)
            }
        }
        self.keyBytes = keyBytes
        self.keyStarts = keyStarts
        self.values = values
        self.slots = slots
        self.mask = capacity - 1
        self.maxKeyLength = maxKeyLength
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        if let bytes {
            for i in 0..<count { h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01B3 }
        }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// The id of the token whose UTF-8 bytes are `bytes[0..<count]`, or -1.
    @inline(__always)
    func id(_ bytes: UnsafePointer<UInt8>, count: Int) -> Int32 {
        if count > maxKeyLength { return -1 }
        var slot = Self.hash(bytes, count) & mask
        return slots.withUnsafeBufferPointer { slots in
            keyStarts.withUnsafeBufferPointer { starts in
                keyBytes.withUnsafeBufferPointer { keys in
                    while true {
                        let entry = Int(slots[slot])
                        if entry < 0 { return -1 }
                        let start = Int(starts[entry])
                        if Int(starts[entry + 1]) - start == count
                            && (count == 0 || memcmp(keys.baseAddress! + start, bytes, count) == 0) {
                            return values[entry]
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
