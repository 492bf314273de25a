/// Text after normalization, as Unicode scalar values, each remembering which scalar of the
/// original text it came from. That alignment is what turns a token's normalized span back into
/// HF's `offset_mapping` (original start of its first scalar ..< original end of its last).
/// Buffers are reused across calls (`removeAll(keepingCapacity:)`), so normalizing allocates
/// only while a text is longer than any before it.
struct NormalizedText {
    var scalars: [UInt32] = []
    /// Index, in Unicode scalars of the original text, of each normalized scalar's source.
    var sources: [Int32] = []

    var count: Int { scalars.count }

    mutating func removeAll() {
        scalars.removeAll(keepingCapacity: true)
        sources.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func append(_ scalar: UInt32, source: Int) {
        scalars.append(scalar)
        sources.append(Int32(truncatingIfNeeded: source))
    }
}

/// Decodes the scalar starting at `index` of well-formed UTF-8 (Swift strings always are)
/// and advances `index` past it.
@inline(__always)
func decodeUTF8Scalar(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> UInt32 {
    let b0 = UInt32(bytes[index])
    if b0 < 0x80 { index += 1; return b0 }
    if b0 < 0xE0 {
        let v = (b0 & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
        index += 2; return v
    }
    if b0 < 0xF0 {
        let v = (b0 & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
        index += 3; return v
    }
    let v = (b0 & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
        | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F)
    index += 4; return v
}

/// Appends the UTF-8 encoding of `scalar` to `bytes`.
@inline(__always)
func appendUTF8(_ scalar: UInt32, to bytes: inout [UInt8]) {
    if scalar < 0x80 {
        bytes.append(UInt8(scalar))
    } else if scalar < 0x800 {
        bytes.append(UInt8(0xC0 | scalar >> 6)); bytes.append(UInt8(0x80 | scalar & 0x3F))
    } else if scalar < 0x10000 {
        bytes.append(UInt8(0xE0 | scalar >> 12)); bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
        bytes.append(UInt8(0x80 | scalar & 0x3F))
    } else {
        bytes.append(UInt8(0xF0 | scalar >> 18)); bytes.append(UInt8(0x80 | scalar >> 12 & 0x3F))
        bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F)); bytes.append(UInt8(0x80 | scalar & 0x3F))
    }
}
