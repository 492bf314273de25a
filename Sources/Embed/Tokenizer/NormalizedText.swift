/// Text after normalization, as Unicode scalar values, each remembering which scalar of the
/// original text it came from. That alignment is what turns a token's normalized span back into
/// HF's `offset_mapping` (original start of its first scalar ..< original end of its last).
/// One per `encode` call, reused for every piece of the text: raw buffers that only grow, so
/// appending is a capacity check and two stores (no per-scalar uniqueness checks).
final class NormalizedText {
    private(set) var scalars: UnsafeMutablePointer<UInt32>
    /// Index, in Unicode scalars of the original text, of each normalized scalar's source.
    private(set) var sources: UnsafeMutablePointer<Int32>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = capacity
        scalars = .allocate(capacity: capacity)
        sources = .allocate(capacity: capacity)
    }

    deinit {
        scalars.deallocate()
        sources.deallocate()
    }

    func removeAll() { count = 0 }

    /// Makes room for `extra` more scalars; `appendReserved` may then be called that many times.
    @inline(__always)
    func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private func grow(to minimum: Int) {
        let newCapacity = max(minimum, capacity * 2)
        let newScalars = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        let newSources = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        newScalars.update(from: scalars, count: count)
        newSources.update(from: sources, count: count)
        scalars.deallocate(); sources.deallocate()
        scalars = newScalars; sources = newSources
        capacity = newCapacity
    }

    /// Appends after a `reserve` that covers it.
    @inline(__always)
    func appendReserved(_ scalar: UInt32, source: Int) {
        scalars[count] = scalar
        sources[count] = Int32(truncatingIfNeeded: source)
        count += 1
    }

    @inline(__always)
    func append(_ scalar: UInt32, source: Int) {
        reserve(1)
        appendReserved(scalar, source: source)
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
