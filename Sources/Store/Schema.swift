import Foundation

#if _endian(big)
#error("vector storage assumes a little-endian host")
#endif

/// The on-disk layout of a collection (schema version 1). One LMDB environment (a directory
/// with `data.mdb` + `lock.mdb`) holding these named databases; integers in keys are
/// big-endian so LMDB's byte order is numeric order (ids ascending ⇒ `MDB_APPEND`).
///
/// | database      | key                         | value                                              |
/// |---------------|-----------------------------|----------------------------------------------------|
/// | `meta`        | ASCII name                  | `magic`, `schema_version` u32, `next_id` u64, `next_seq` u64, `active_generation` u32, `next_generation` u32 |
/// | `ids`         | external id (UTF-8)         | internal id u64                                    |
/// | `docs`        | internal id u64             | `DocumentCodec` record: id, text, metadata JSON    |
/// | `generations` | generation u32              | `GenerationInfo` JSON                              |
/// | `vectors`     | generation u32, block u64   | `VectorBlockLayout` block: presence bitmap + slots |
/// | `changes`     | seq u64                     | op u8, internal id u64                             |
/// | `feedback`    | `q` + query id u64, `c` + click seq u64, `next_query`, `next_click` | `LoggedQuery` / `LoggedClick` JSON, counters u64 |
///
/// `feedback` (the click log) is optional: it is created by the first logged query, so schema-1
/// files without it stay valid and need no migration (older builds ignore the extra database).
enum Schema {
    /// The schema this build writes and the newest it reads.
    static let version: UInt32 = 1
    static let magic = Array("anglevec-collection".utf8)

    enum Name {
        static let meta = "meta", ids = "ids", docs = "docs", generations = "generations"
        static let vectors = "vectors", changes = "changes"
        static let feedback = "feedback"
    }

    enum MetaKey {
        static let magic = Array("magic".utf8)
        static let schemaVersion = Array("schema_version".utf8)
        static let nextID = Array("next_id".utf8)
        static let nextSeq = Array("next_seq".utf8)
        static let activeGeneration = Array("active_generation".utf8)
        static let nextGeneration = Array("next_generation".utf8)
    }

    /// Longest key LMDB accepts with its default build (`mdb_env_get_maxkeysize`).
    static let maxKeyBytes = 511
}

// MARK: Big-endian integer keys

@inline(__always) func beBytes(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
@inline(__always) func beBytes(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

@inline(__always) func readBE64(_ b: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt64 {
    UInt64(bigEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}
@inline(__always) func readBE32(_ b: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt32 {
    UInt32(bigEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

/// The key of a vector block: generation then block number.
@inline(__always) func vectorBlockKey(generation: UInt32, block: UInt64) -> [UInt8] {
    beBytes(generation) + beBytes(block)
}

/// A document record in `docs`: `u32 idLen, id, u32 textLen, text, metadata` (lengths little-endian,
/// metadata runs to the end of the value).
enum DocumentCodec {
    static func encode(id: String, text: String, metadata: Data) -> [UInt8] {
        let idBytes = Array(id.utf8), textBytes = Array(text.utf8)
        var out = [UInt8]()
        out.reserveCapacity(8 + idBytes.count + textBytes.count + metadata.count)
        withUnsafeBytes(of: UInt32(idBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: idBytes)
        withUnsafeBytes(of: UInt32(textBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: textBytes)
        out.append(contentsOf: metadata)
        return out
    }

    /// The three byte ranges of a record; nil when the record is malformed.
    static func split(_ v: UnsafeRawBufferPointer) -> (id: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer, metadata: UnsafeRawBufferPointer)? {
        guard v.count >= 8 else { return nil }
        let idLen = Int(UInt32(littleEndian: v.loadUnaligned(fromByteOffset: 0, as: UInt32.self)))
        guard 4 + idLen + 4 <= v.count else { return nil }
        let textLen = Int(UInt32(littleEndian: v.loadUnaligned(fromByteOffset: 4 + idLen, as: UInt32.self)))
        let textStart = 8 + idLen
        guard textStart + textLen <= v.count else { return nil }
        return (UnsafeRawBufferPointer(rebasing: v[4..<4 + idLen]),
                UnsafeRawBufferPointer(rebasing: v[textStart..<textStart + textLen]),
                UnsafeRawBufferPointer(rebasing: v[(textStart + textLen)...]))
    }

    static func externalID(_ v: UnsafeRawBufferPointer) -> String? {
        split(v).map { String(decoding: $0.id, as: UTF8.self) }
    }
}

/// A vector generation: one model's vectors for the documents, kept side by side with other
/// generations so a collection can be re-embedded while the active one serves queries.
public struct GenerationInfo: Codable, Equatable, Sendable {
    /// Generation number (1 for the collection's first).
    public var generation: UInt32
    /// Model, views and storage of this generation's vectors.
    public var config: CollectionConfig
    /// Documents per stored block (fixed for the generation's life).
    public var blockSize: Int
    /// Creation time, seconds since 1970.
    public var createdAt: Double

    /// The byte layout of this generation's blocks.
    var layout: VectorBlockLayout { VectorBlockLayout(config: config, blockSize: blockSize) }
}

/// Vectors are packed `blockSize` documents per LMDB value (internal ids `b*blockSize ..<
/// (b+1)*blockSize` in block `b`): a presence bitmap (u64 words) then one fixed-size slot per
/// document holding every view's components (full first, then the coarse views), f32 or f16
/// little-endian. One 384-d f32 vector per value would fill only about half of LMDB's 4 KiB
/// pages; a block is an overflow run of whole pages that is ~99% full (see `bestBlockSize`).
struct VectorBlockLayout {
    let views: [VectorView]
    let storage: VectorStorage
    let blockSize: Int
    /// Component offset of each view inside a slot.
    let viewOffsets: [Int]
    let componentsPerSlot: Int

    init(config: CollectionConfig, blockSize: Int) {
        views = config.views
        storage = config.storage
        self.blockSize = blockSize
        var offsets: [Int] = []
        var total = 0
        for v in views { offsets.append(total); total += v.dims }
        viewOffsets = offsets
        componentsPerSlot = total
    }

    var slotBytes: Int { componentsPerSlot * storage.byteWidth }
    var bitmapBytes: Int { (blockSize + 63) / 64 * 8 }
    var blockBytes: Int { bitmapBytes + blockSize * slotBytes }

    func block(of id: UInt64) -> UInt64 { id / UInt64(blockSize) }
    func slot(of id: UInt64) -> Int { Int(id % UInt64(blockSize)) }
    func slotOffset(_ slot: Int) -> Int { bitmapBytes + slot * slotBytes }

    func isPresent(_ block: UnsafeRawBufferPointer, slot: Int) -> Bool {
        let word = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: slot / 64 * 8, as: UInt64.self))
        return word & (1 << UInt64(slot % 64)) != 0
    }

    func setPresent(_ block: UnsafeMutableRawBufferPointer, slot: Int, _ present: Bool) {
        let off = slot / 64 * 8
        var word = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: off, as: UInt64.self))
        if present { word |= 1 << UInt64(slot % 64) } else { word &= ~(1 << UInt64(slot % 64)) }
        block.storeBytes(of: word.littleEndian, toByteOffset: off, as: UInt64.self)
    }

    func isEmpty(_ block: UnsafeRawBufferPointer) -> Bool {
        stride(from: 0, to: bitmapBytes, by: 8).allSatisfy { block.loadUnaligned(fromByteOffset: $0, as: UInt64.self) == 0 }
    }

    /// Index of the view named `name`.
    func viewIndex(_ name: String) -> Int? { views.firstIndex { $0.name == name } }

    /// Checks view names, dimensions and finiteness of a document's vectors.
    func check(_ vectors: [String: [Float]], id: String) throws {
        for name in vectors.keys where viewIndex(name) == nil {
            throw StoreError.invalidVectors(id: id, reason: "unknown vector view '\(name)' (views: \(views.map(\.name).joined(separator: ", ")))")
        }
        for view in views {
            guard let v = vectors[view.name] else {
                throw StoreError.invalidVectors(id: id, reason: "missing vector view '\(view.name)'")
            }
            guard v.count == view.dims else {
                throw StoreError.invalidVectors(id: id, reason: "vector view '\(view.name)' has \(v.count) dims, expected \(view.dims)")
            }
            if !VectorBlockLayout.allFinite(v), let j = v.firstIndex(where: { !$0.isFinite }) {
                throw StoreError.invalidVectors(id: id, reason: "vector view '\(view.name)' component \(j) is \(v[j])")
            }
        }
    }

    /// True when no component is NaN or ±inf (x·0 is NaN exactly for those; 4 accumulators
    /// keep the loop short-latency).
    static func allFinite(_ v: [Float]) -> Bool {
        v.withUnsafeBufferPointer { p in
            var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0
            var j = 0
            while j + 4 <= p.count {
                a0 += p[j] * 0; a1 += p[j + 1] * 0; a2 += p[j + 2] * 0; a3 += p[j + 3] * 0
                j += 4
            }
            while j < p.count { a0 += p[j] * 0; j += 1 }
            return (a0 + a1 + a2 + a3) == 0
        }
    }

    /// Encodes vectors that passed `check` into a slot (little-endian components).
    func encodeUnchecked(_ vectors: [String: [Float]], into slot: UnsafeMutableRawBufferPointer) {
        for (k, view) in views.enumerated() {
            let v = vectors[view.name]!
            let base = viewOffsets[k]
            v.withUnsafeBufferPointer { src in
                switch storage {
                case .f32:
                    // Host order is little-endian on every supported platform (x86-64, arm64).
                    (slot.baseAddress! + base * 4).copyMemory(from: src.baseAddress!, byteCount: view.dims * 4)
                case .f16:
                    for j in 0..<view.dims {
                        slot.storeBytes(of: Float16(src[j]).bitPattern.littleEndian, toByteOffset: (base + j) * 2, as: UInt16.self)
                    }
                }
            }
        }
    }

    /// Decodes one view of a slot into `out` (`view.dims` floats).
    func decode(_ slot: UnsafeRawBufferPointer, view k: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let base = viewOffsets[k]
        switch storage {
        case .f32:
            UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: slot.baseAddress! + base * 4, byteCount: views[k].dims * 4)
        case .f16:
            for j in 0..<views[k].dims {
                out[j] = Float(Float16(bitPattern: UInt16(littleEndian: slot.loadUnaligned(fromByteOffset: (base + j) * 2, as: UInt16.self))))
            }
        }
    }

    /// All views of a slot.
    func decodeAll(_ slot: UnsafeRawBufferPointer) -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        for (k, view) in views.enumerated() {
            out[view.name] = [Float](unsafeUninitializedCapacity: view.dims) { buf, n in
                decode(slot, view: k, into: buf)
                n = view.dims
            }
        }
        return out
    }

    /// The block size whose value fills its overflow pages best (LMDB stores a value larger than
    /// half a page as a run of whole 4 KiB pages with a 16-byte header), at most ~128 KiB per block.
    static func bestBlockSize(slotBytes: Int, pageSize: Int = 4096) -> Int {
        let maxBlock = max(1, (128 << 10) / max(1, slotBytes))
        let minBlock = min(maxBlock, max(1, (pageSize + slotBytes - 1) / max(1, slotBytes)))
        var best = maxBlock
        var bestEfficiency = 0.0
        for b in minBlock...maxBlock {
            let bytes = (b + 63) / 64 * 8 + b * slotBytes
            let pages = (16 + bytes + pageSize - 1) / pageSize
            let efficiency = Double(b * slotBytes) / Double(pages * pageSize)
            if efficiency > bestEfficiency + 1e-9 { best = b; bestEfficiency = efficiency }
        }
        return best
    }
}
