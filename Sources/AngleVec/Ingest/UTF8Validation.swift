/// UTF-8 checks that report where input stops being valid, so errors can name the byte.
enum UTF8Validation {
    /// Offset of the first byte that does not start a valid UTF-8 sequence, or nil when all is valid.
    static func firstInvalidOffset<C: Swift.Collection>(_ bytes: C) -> Int? where C.Element == UInt8 {
        // Fast path: ASCII.
        if bytes.allSatisfy({ $0 < 0x80 }) { return nil }
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }

    /// The 1-based line containing `offset`.
    static func line<C: Swift.Collection>(of offset: Int, in bytes: C) -> Int where C.Element == UInt8 {
        1 + bytes.prefix(offset).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}
