import Foundation

/// A consistent read-only view of a collection: one LMDB read transaction. Obtained from
/// `CollectionStore.read(_:)` and valid only inside that closure; every call sees the same
/// committed state, whatever other processes write meanwhile.
public struct CollectionSnapshot {
    let store: CollectionStore
    let txn: LMDBTransaction

    var db: CollectionStore.Databases { store.db }

    /// Number of documents.
    public func count() throws -> Int { Int(try txn.stat(db.docs).ms_entries) }

    /// The last change sequence number (0 before the first change).
    public func lastSeq() throws -> UInt64 { try store.metaU64(txn, Schema.MetaKey.nextSeq) - 1 }

    /// The active vector generation.
    public func activeGeneration() throws -> UInt32 { try store.metaU32(txn, Schema.MetaKey.activeGeneration) }

    /// The internal id of external id `id`, or nil.
    public func internalID(of id: String) throws -> UInt64? {
        let n = id.utf8.count
        guard n > 0, n <= Schema.maxKeyBytes else { return nil }  // such an id cannot be stored
        guard let v = try txn.get(db.ids, Array(id.utf8)), v.count == 8 else { return nil }
        return readBE64(v)
    }

    /// The document with external id `id` (vectors of the active generation), or nil.
    public func get(id: String, includeVectors: Bool = true) throws -> StoredDocument? {
        guard let internalID = try internalID(of: id) else { return nil }
        return try get(internalID: internalID, includeVectors: includeVectors)?.document
    }

    /// The document with internal id `internalID`, or nil.
    public func get(internalID: UInt64, includeVectors: Bool = true) throws -> DocumentRecord? {
        guard let v = try txn.get(db.docs, beBytes(internalID)) else { return nil }
        return try record(internalID: internalID, value: v, vectors: includeVectors ? try store.activeGenerationInfo(txn) : nil)
    }

    func record(internalID: UInt64, value: UnsafeRawBufferPointer, vectors generation: GenerationInfo?) throws -> DocumentRecord {
        guard let parts = DocumentCodec.split(value) else {
            throw StoreError.corrupted(path: store.path, reason: "document record \(internalID) is malformed")
        }
        var doc = StoredDocument(id: String(decoding: parts.id, as: UTF8.self), text: String(decoding: parts.text, as: UTF8.self),
                                 metadata: Data(parts.metadata))
        if let generation { doc.vectors = try vectors(internalID: internalID, generation: generation) ?? [:] }
        return DocumentRecord(internalID: internalID, document: doc)
    }

    /// All views of one document's vectors in `generation`, or nil when it has none there.
    func vectors(internalID: UInt64, generation: GenerationInfo) throws -> [String: [Float]]? {
        let layout = generation.layout
        let key = vectorBlockKey(generation: generation.generation, block: layout.block(of: internalID))
        guard let block = try txn.get(db.vectors, key), block.count == layout.blockBytes else { return nil }
        let slot = layout.slot(of: internalID)
        guard layout.isPresent(block, slot: slot) else { return nil }
        let off = layout.slotOffset(slot)
        return layout.decodeAll(UnsafeRawBufferPointer(rebasing: block[off..<off + layout.slotBytes]))
    }

    /// One view of one document's vector (`generation` nil: the active one), or nil.
    public func vector(internalID: UInt64, view: String = VectorView.fullName, generation: UInt32? = nil) throws -> [Float]? {
        let info = try generationInfo(generation)
        let layout = info.layout
        guard let k = layout.viewIndex(view) else { return nil }
        let key = vectorBlockKey(generation: info.generation, block: layout.block(of: internalID))
        guard let block = try txn.get(db.vectors, key), block.count == layout.blockBytes else { return nil }
        let slot = layout.slot(of: internalID)
        guard layout.isPresent(block, slot: slot) else { return nil }
        let off = layout.slotOffset(slot)
        return [Float](unsafeUninitializedCapacity: layout.views[k].dims) { buf, n in
            layout.decode(UnsafeRawBufferPointer(rebasing: block[off..<off + layout.slotBytes]), view: k, into: buf)
            n = layout.views[k].dims
        }
    }

    /// One view of the vectors of several documents (e.g. the ids of a batch of changes),
    /// row-major `internalIDs.count × dims`; `present[k]` is false (and the row zero) for a
    /// document without a vector there.
    public func vectors(internalIDs: [UInt64], view: String = VectorView.fullName, generation: UInt32? = nil) throws
        -> (dims: Int, vectors: [Float], present: [Bool]) {
        let info = try generationInfo(generation)
        let layout = info.layout
        guard let k = layout.viewIndex(view) else {
            throw StoreError.invalidVectors(id: "*", reason: "generation \(info.generation) has no view '\(view)'")
        }
        let dims = layout.views[k].dims
        var flat = [Float](repeating: 0, count: internalIDs.count * dims)
        var present = [Bool](repeating: false, count: internalIDs.count)
        var cachedBlock: UInt64 = .max
        var block: UnsafeRawBufferPointer?
        try flat.withUnsafeMutableBufferPointer { out in
            for (row, id) in internalIDs.enumerated() {
                let b = layout.block(of: id)
                if b != cachedBlock {
                    cachedBlock = b
                    block = try txn.get(db.vectors, vectorBlockKey(generation: info.generation, block: b))
                    if let v = block, v.count != layout.blockBytes { block = nil }
                }
                let slot = layout.slot(of: id)
                guard let block, layout.isPresent(block, slot: slot) else { continue }
                let off = layout.slotOffset(slot)
                layout.decode(UnsafeRawBufferPointer(rebasing: block[off..<off + layout.slotBytes]), view: k,
                              into: UnsafeMutableBufferPointer(rebasing: out[row * dims..<(row + 1) * dims]))
                present[row] = true
            }
        }
        return (dims, flat, present)
    }

    func generationInfo(_ generation: UInt32?) throws -> GenerationInfo {
        guard let g = generation else { return try store.activeGenerationInfo(txn) }
        guard let info = try store.generationInfo(txn, g) else { throw StoreError.noSuchGeneration(g) }
        return info
    }

    /// Up to `limit` documents with internal id > `after` (nil: from the start), in id order.
    public func scan(after: UInt64? = nil, limit: Int, includeVectors: Bool = false) throws -> [DocumentRecord] {
        guard limit > 0 else { return [] }
        let generation = includeVectors ? try store.activeGenerationInfo(txn) : nil
        var out: [DocumentRecord] = []
        try forEachRaw(after: after) { id, value in
            out.append(try record(internalID: id, value: value, vectors: generation))
            return out.count < limit
        }
        return out
    }

    /// Visits raw document records with id > `after` in id order while `body` returns true.
    func forEachRaw(after: UInt64?, _ body: (UInt64, UnsafeRawBufferPointer) throws -> Bool) throws {
        if let after, after == UInt64.max { return }
        try txn.withCursor(db.docs) { c in
            var e = try after.map { try c.seek(atLeast: beBytes($0 + 1)) } ?? c.first()
            while let entry = e {
                guard try body(readBE64(entry.key), entry.value) else { return }
                e = try c.next()
            }
        }
    }

    /// Changes with sequence number > `since`, ascending, at most `limit`.
    public func changes(since: UInt64, limit: Int = 10_000) throws -> [Change] {
        var out: [Change] = []
        guard since < UInt64.max else { return out }
        try txn.withCursor(db.changes) { c in
            var e = try c.seek(atLeast: beBytes(since + 1))
            while let entry = e, out.count < limit {
                guard entry.value.count == 9, let op = Change.Operation(rawValue: entry.value[0]) else {
                    throw StoreError.corrupted(path: store.path, reason: "change \(readBE64(entry.key)) is malformed")
                }
                out.append(Change(seq: readBE64(entry.key), operation: op, internalID: readBE64(entry.value, at: 1)))
                e = try c.next()
            }
        }
        return out
    }

    /// Internal ids of the documents whose metadata matches `filter` (one pass over the documents).
    public func matchingIDs(_ filter: MetadataFilter) throws -> IDBitset {
        var set = IDBitset()
        let filter = filter.compiled()
        try forEachRaw(after: nil) { id, value in
            if let parts = DocumentCodec.split(value), filter.matches(parts.metadata) { set.insert(id) }
            return true
        }
        return set
    }

    /// Whether document `internalID` exists and its metadata matches `filter`.
    public func matches(internalID: UInt64, _ filter: MetadataFilter) throws -> Bool {
        guard let v = try txn.get(db.docs, beBytes(internalID)), let parts = DocumentCodec.split(v) else { return false }
        return filter.matches(metadataJSON: parts.metadata)
    }

    /// Vectors of one view for up to `limit` documents with internal id > `after`, in id order,
    /// from `generation` (nil: the active one); documents without a vector there are skipped.
    /// `vectors` is row-major `ids.count × dims`.
    public func scanVectors(view: String = VectorView.fullName, generation: UInt32? = nil, after: UInt64? = nil,
                            limit: Int) throws -> (ids: [UInt64], dims: Int, vectors: [Float]) {
        let info = try generationInfo(generation)
        let layout = info.layout
        guard let k = layout.viewIndex(view) else {
            throw StoreError.invalidVectors(id: "*", reason: "generation \(info.generation) has no view '\(view)'")
        }
        let dims = layout.views[k].dims
        var ids: [UInt64] = []
        var flat: [Float] = []
        let start = after.map { $0 == UInt64.max ? nil : $0 + 1 } ?? 0
        guard let start else { return ([], dims, []) }
        try txn.withCursor(db.vectors) { c in
            var e = try c.seek(atLeast: vectorBlockKey(generation: info.generation, block: layout.block(of: start)))
            var scratch = [Float](repeating: 0, count: dims)
            while let entry = e, ids.count < limit, entry.key.count == 12, readBE32(entry.key) == info.generation {
                let block = readBE64(entry.key, at: 4)
                guard entry.value.count == layout.blockBytes else {
                    throw StoreError.corrupted(path: store.path, reason: "vector block \(block) of generation \(info.generation) has the wrong size")
                }
                for s in 0..<layout.blockSize where ids.count < limit {
                    let id = block * UInt64(layout.blockSize) + UInt64(s)
                    guard id >= start, layout.isPresent(entry.value, slot: s) else { continue }
                    let off = layout.slotOffset(s)
                    scratch.withUnsafeMutableBufferPointer {
                        layout.decode(UnsafeRawBufferPointer(rebasing: entry.value[off..<off + layout.slotBytes]), view: k, into: $0)
                    }
                    ids.append(id)
                    flat.append(contentsOf: scratch)
                }
                e = try c.next()
            }
        }
        return (ids, dims, flat)
    }

    /// Up to `limit` documents (id > `after`, id order, without vectors) that have no vector in
    /// `generation`: the work list of a re-index, resumable from the last id returned.
    public func documentsMissingVectors(generation: UInt32, after: UInt64? = nil, limit: Int) throws -> [DocumentRecord] {
        guard let info = try store.generationInfo(txn, generation) else { throw StoreError.noSuchGeneration(generation) }
        let layout = info.layout
        var out: [DocumentRecord] = []
        guard limit > 0 else { return out }
        var cachedBlock: UInt64 = .max
        var cachedValue: UnsafeRawBufferPointer?
        try forEachRaw(after: after) { id, value in
            let b = layout.block(of: id)
            if b != cachedBlock {
                cachedBlock = b
                cachedValue = try txn.get(db.vectors, vectorBlockKey(generation: generation, block: b))
                if let v = cachedValue, v.count != layout.blockBytes { cachedValue = nil }
            }
            if cachedValue.map({ layout.isPresent($0, slot: layout.slot(of: id)) }) != true {
                out.append(try record(internalID: id, value: value, vectors: nil))
            }
            return out.count < limit
        }
        return out
    }
}
