import CLMDB
import Foundation

extension CollectionStore {
    // MARK: Validation (before any transaction)

    static func validate(_ doc: StoredDocument) throws {
        let n = doc.id.utf8.count
        if n == 0 { throw StoreError.invalidID(doc.id, reason: "empty") }
        if n > Schema.maxKeyBytes { throw StoreError.invalidID(doc.id, reason: "\(n) UTF-8 bytes, the limit is \(Schema.maxKeyBytes)") }
        if !doc.metadata.isEmpty {
            do {
                try doc.metadata.withUnsafeBytes { try JSONValue.validateObject($0) }
            } catch let e as JSONParseError {
                throw StoreError.invalidMetadata(id: doc.id, reason: "must be a JSON object: \(e)")
            }
        }
        if doc.text.utf8.count > Int(UInt32.max) { throw StoreError.invalidID(doc.id, reason: "text longer than 4 GiB") }
    }

    static func validateBatch(_ docs: [StoredDocument]) throws {
        var seen = Set<String>()
        seen.reserveCapacity(docs.count)
        for doc in docs {
            try validate(doc)
            guard seen.insert(doc.id).inserted else { throw StoreError.duplicateID(doc.id) }
        }
    }

    // MARK: Add, upsert, delete

    /// Adds a batch atomically: every document or none. Ids must be new (also within the
    /// batch): an existing id fails the whole batch with `StoreError.duplicateID`.
    /// Internal ids are allocated ascending; each document gets one `add` change.
    @discardableResult
    public func add(_ docs: [StoredDocument]) throws -> AddResult {
        try CollectionStore.validateBatch(docs)
        if docs.isEmpty { return AddResult(added: 0, internalIDs: [], lastSeq: try lastSeq()) }
        return try writeTransaction { txn in
            var w = try BatchWriter(store: self, txn: txn)
            var ids: [UInt64] = []
            ids.reserveCapacity(docs.count)
            for doc in docs { ids.append(try w.insertNew(doc)) }  // an existing id throws duplicateID
            try w.finish()
            return AddResult(added: docs.count, internalIDs: ids, lastSeq: w.nextSeq - 1)
        }
    }

    /// Adds new ids and replaces existing ones, atomically. A replaced document keeps its
    /// internal id; its text and metadata are replaced, its vectors in the active generation
    /// are replaced (or removed when the new document has none) and its vectors in other
    /// generations are removed (they embedded the old text). Changes: `add` or `upsert` per document.
    @discardableResult
    public func upsert(_ docs: [StoredDocument]) throws -> UpsertResult {
        try upsert(docs, requiringActive: nil)
    }

    /// Upsert in one transaction; with `generation`, nothing is written unless it is still active.
    func upsert(_ docs: [StoredDocument], requiringActive generation: UInt32?) throws -> UpsertResult {
        try CollectionStore.validateBatch(docs)
        if docs.isEmpty { return UpsertResult(added: 0, updated: 0, internalIDs: [], lastSeq: try lastSeq()) }
        return try writeTransaction { txn in
            var w = try BatchWriter(store: self, txn: txn)
            if let generation, w.active.generation != generation {
                throw StoreError.generationChanged(path: path, expected: generation, active: w.active.generation)
            }
            var ids: [UInt64] = []
            var updated = 0
            for doc in docs {
                if let v = try txn.get(db.ids, Array(doc.id.utf8)), v.count == 8 {
                    let id = readBE64(v)
                    try w.replace(doc, internalID: id)
                    ids.append(id)
                    updated += 1
                } else {
                    ids.append(try w.insertNew(doc))
                }
            }
            try w.finish()
            return UpsertResult(added: docs.count - updated, updated: updated, internalIDs: ids, lastSeq: w.nextSeq - 1)
        }
    }

    /// Deletes documents by external id, atomically; absent ids are reported, not an error.
    @discardableResult
    public func delete(ids: [String]) throws -> DeleteResult {
        if ids.isEmpty { return DeleteResult(deleted: 0, missing: [], internalIDs: [], lastSeq: try lastSeq()) }
        return try writeTransaction { txn in
            var w = try BatchWriter(store: self, txn: txn)
            var missing: [String] = []
            var deleted: [UInt64] = []
            for id in Set(ids).sorted() {
                let key = Array(id.utf8)
                guard !key.isEmpty, key.count <= Schema.maxKeyBytes, let v = try txn.get(db.ids, key), v.count == 8 else {
                    missing.append(id)
                    continue
                }
                let internalID = readBE64(v)
                try w.remove(externalKey: key, internalID: internalID)
                deleted.append(internalID)
            }
            try w.finish()
            return DeleteResult(deleted: deleted.count, missing: missing, internalIDs: deleted, lastSeq: w.nextSeq - 1)
        }
    }

    /// Deletes every document whose metadata matches `filter`, atomically (one transaction
    /// evaluates and deletes, so no concurrent write slips in between).
    @discardableResult
    public func delete(where filter: MetadataFilter) throws -> DeleteResult {
        try writeTransaction { txn in
            let snapshot = CollectionSnapshot(store: self, txn: txn)
            var victims: [(key: [UInt8], id: UInt64)] = []
            let filter = filter.compiled()
            try snapshot.forEachRaw(after: nil) { id, value in
                if let parts = DocumentCodec.split(value), filter.matches(parts.metadata) {
                    victims.append((Array(parts.id), id))
                }
                return true
            }
            var w = try BatchWriter(store: self, txn: txn)
            for v in victims { try w.remove(externalKey: v.key, internalID: v.id) }
            try w.finish()
            return DeleteResult(deleted: victims.count, missing: [], internalIDs: victims.map(\.id), lastSeq: w.nextSeq - 1)
        }
    }

    /// Deletes change entries with sequence number ≤ `seq` (e.g. once every index has applied
    /// them), in transactions of `perTransaction` entries; `lastSeq` and later numbering are
    /// unaffected. Returns the number removed.
    @discardableResult
    public func pruneChanges(through seq: UInt64, perTransaction: Int = 50_000) throws -> Int {
        var removed = 0
        while true {
            let n = try writeTransaction { txn -> Int in
                var n = 0
                try txn.withCursor(db.changes) { c in
                    var e = try c.first()
                    while let entry = e, n < perTransaction {
                        let key = readBE64(entry.key)  // read before deleting: the page changes
                        guard key <= seq else { break }
                        try c.deleteCurrent()
                        n += 1
                        e = key == .max ? nil : try c.seek(atLeast: beBytes(key + 1))
                    }
                }
                return n
            }
            removed += n
            if n < perTransaction { return removed }
        }
    }

    // MARK: Single-snapshot reads (each its own short read transaction)

    /// The document with external id `id` (text, metadata, active-generation vectors), or nil.
    public func get(id: String, includeVectors: Bool = true) throws -> StoredDocument? {
        try read { try $0.get(id: id, includeVectors: includeVectors) }
    }

    /// The document with internal id `internalID`, or nil.
    public func get(internalID: UInt64, includeVectors: Bool = true) throws -> DocumentRecord? {
        try read { try $0.get(internalID: internalID, includeVectors: includeVectors) }
    }

    /// Up to `limit` documents with internal id > `after`, in internal-id order.
    public func scan(after: UInt64? = nil, limit: Int, includeVectors: Bool = false) throws -> [DocumentRecord] {
        try read { try $0.scan(after: after, limit: limit, includeVectors: includeVectors) }
    }

    /// Visits every document in internal-id order, `batchSize` per read transaction (so no
    /// reader stays open long), while `body` returns true. Documents committed meanwhile with
    /// higher ids are visited too.
    public func forEach(batchSize: Int = 1000, includeVectors: Bool = false, _ body: ([DocumentRecord]) throws -> Bool) throws {
        var after: UInt64?
        while true {
            let batch = try scan(after: after, limit: max(1, batchSize), includeVectors: includeVectors)
            guard let last = batch.last else { return }
            guard try body(batch) else { return }
            after = last.internalID
        }
    }

    /// Changes with sequence number > `since`, ascending, at most `limit`: what an index
    /// that has applied everything up to `since` must apply to catch up.
    public func changes(since: UInt64, limit: Int = 10_000) throws -> [Change] {
        try read { try $0.changes(since: since, limit: limit) }
    }

    /// Internal ids whose metadata matches `filter`.
    public func matchingIDs(_ filter: MetadataFilter) throws -> IDBitset {
        try read { try $0.matchingIDs(filter) }
    }
}

/// Writes documents, vectors and changes inside one write transaction, keeping the id and
/// sequence counters in memory and persisting them in `finish()`. Each touched vector block is
/// loaded once into a buffer, slots are encoded straight into it, and it is written back once.
struct BatchWriter {
    struct BlockKey: Hashable, Comparable {
        let generation: UInt32
        let block: UInt64
        static func < (a: BlockKey, b: BlockKey) -> Bool { (a.generation, a.block) < (b.generation, b.block) }
    }
    struct PendingBlock {
        var bytes: [UInt8]
        let existed: Bool
    }

    let store: CollectionStore
    let txn: LMDBTransaction
    var nextID: UInt64
    var nextSeq: UInt64
    let active: GenerationInfo
    let generations: [GenerationInfo]
    private var layouts: [UInt32: VectorBlockLayout] = [:]
    private var blocks: [BlockKey: PendingBlock] = [:]

    init(store: CollectionStore, txn: LMDBTransaction) throws {
        self.store = store
        self.txn = txn
        nextID = try store.metaU64(txn, Schema.MetaKey.nextID)
        nextSeq = try store.metaU64(txn, Schema.MetaKey.nextSeq)
        active = try store.activeGenerationInfo(txn)
        generations = try store.allGenerations(txn)
        for g in generations { layouts[g.generation] = g.layout }
        layouts[active.generation] = active.layout
    }

    var db: CollectionStore.Databases { store.db }

    func layout(_ g: GenerationInfo) -> VectorBlockLayout { layouts[g.generation] ?? g.layout }

    mutating func change(_ op: Change.Operation, _ id: UInt64) throws {
        var key = nextSeq.bigEndian
        try withUnsafeTemporaryAllocation(byteCount: 9, alignment: 1) { v in
            v[0] = op.rawValue
            v.storeBytes(of: id.bigEndian, toByteOffset: 1, as: UInt64.self)
            // Sequence numbers only grow: append without page splits.
            try withUnsafeBytes(of: &key) { k in _ = try txn.put(db.changes, k, UnsafeRawBufferPointer(v), flags: MDB_APPEND) }
        }
        nextSeq += 1
    }

    /// The pending buffer of the block holding `id` in generation `g`, loaded on first use.
    private mutating func withBlock<T>(_ g: GenerationInfo, _ id: UInt64, create: Bool,
                                       _ body: (inout PendingBlock, VectorBlockLayout) throws -> T) throws -> T? {
        let layout = layout(g)
        let key = BlockKey(generation: g.generation, block: layout.block(of: id))
        if blocks[key] == nil {
            if let existing = try txn.get(db.vectors, vectorBlockKey(generation: key.generation, block: key.block)),
               existing.count == layout.blockBytes {
                blocks[key] = PendingBlock(bytes: Array(existing), existed: true)  // copy: rewriting frees the old pages
            } else if create {
                blocks[key] = PendingBlock(bytes: [UInt8](repeating: 0, count: layout.blockBytes), existed: false)
            } else {
                return nil
            }
        }
        return try body(&blocks[key]!, layout)
    }

    /// Encodes `doc.vectors` into its slot of generation `g` (a document without vectors has none there).
    mutating func setVectors(_ doc: StoredDocument, _ id: UInt64, in g: GenerationInfo) throws {
        if doc.vectors.isEmpty { clearVectors(id, in: g); return }
        let layout = layout(g)
        // Validate first so a bad document leaves no trace even within the batch.
        try layout.check(doc.vectors, id: doc.id)
        _ = try withBlock(g, id, create: true) { block, layout in
            let slot = layout.slot(of: id)
            let off = layout.slotOffset(slot)
            block.bytes.withUnsafeMutableBytes { buf in
                layout.encodeUnchecked(doc.vectors, into: UnsafeMutableRawBufferPointer(rebasing: buf[off..<off + layout.slotBytes]))
                layout.setPresent(buf, slot: slot, true)
            }
        }
    }

    mutating func clearVectors(_ id: UInt64, in g: GenerationInfo) {
        _ = try? withBlock(g, id, create: false) { block, layout in
            let slot = layout.slot(of: id)
            block.bytes.withUnsafeMutableBytes { buf in
                guard layout.isPresent(UnsafeRawBufferPointer(buf), slot: slot) else { return }
                layout.setPresent(buf, slot: slot, false)
                let off = layout.slotOffset(slot)
                buf[off..<off + layout.slotBytes].initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
    }

    /// Writes a document record straight into the page (`MDB_RESERVE`): no intermediate buffer.
    func putDocument(_ doc: StoredDocument, _ id: UInt64, append: Bool) throws {
        var key = id.bigEndian
        var idText = doc.id, text = doc.text
        try idText.withUTF8 { idBytes in
            try text.withUTF8 { textBytes in
                try doc.metadata.withUnsafeBytes { meta in
                    let size = 8 + idBytes.count + textBytes.count + meta.count
                    try withUnsafeBytes(of: &key) { k in
                        try txn.putReserved(db.docs, k, size: size, flags: append ? MDB_APPEND : 0) { out in
                            out.storeBytes(of: UInt32(idBytes.count).littleEndian, toByteOffset: 0, as: UInt32.self)
                            UnsafeMutableRawBufferPointer(rebasing: out[4..<4 + idBytes.count]).copyMemory(from: UnsafeRawBufferPointer(idBytes))
                            out.storeBytes(of: UInt32(textBytes.count).littleEndian, toByteOffset: 4 + idBytes.count, as: UInt32.self)
                            let t = 8 + idBytes.count
                            UnsafeMutableRawBufferPointer(rebasing: out[t..<t + textBytes.count]).copyMemory(from: UnsafeRawBufferPointer(textBytes))
                            UnsafeMutableRawBufferPointer(rebasing: out[(t + textBytes.count)...]).copyMemory(from: meta)
                        }
                    }
                }
            }
        }
    }

    mutating func insertNew(_ doc: StoredDocument) throws -> UInt64 {
        let id = nextID
        var idKey = doc.id
        var value = id.bigEndian
        let inserted = try idKey.withUTF8 { k in
            try withUnsafeBytes(of: &value) { v in try txn.put(db.ids, UnsafeRawBufferPointer(k), v, flags: MDB_NOOVERWRITE) }
        }
        guard inserted else { throw StoreError.duplicateID(doc.id) }
        nextID += 1
        // New ids exceed every stored id: MDB_APPEND fills leaf pages completely.
        try putDocument(doc, id, append: true)
        if !doc.vectors.isEmpty { try setVectors(doc, id, in: active) }
        try change(.add, id)
        return id
    }

    mutating func replace(_ doc: StoredDocument, internalID id: UInt64) throws {
        try putDocument(doc, id, append: false)
        for g in generations where g.generation != active.generation { clearVectors(id, in: g) }
        try setVectors(doc, id, in: active)
        try change(.upsert, id)
    }

    mutating func remove(externalKey: [UInt8], internalID id: UInt64) throws {
        try txn.delete(db.ids, externalKey)
        try txn.delete(db.docs, beBytes(id))
        for g in generations { clearVectors(id, in: g) }
        try change(.delete, id)
    }

    /// Writes each touched vector block once (new trailing blocks with `MDB_APPEND`; emptied
    /// blocks are deleted) and persists the counters.
    mutating func finish() throws {
        var lastKey: [UInt8]? = try txn.withCursor(db.vectors) { c in try c.last().map { Array($0.key) } }
        for key in blocks.keys.sorted() {
            let pending = blocks[key]!
            guard let layout = layouts[key.generation] else { continue }
            let k = vectorBlockKey(generation: key.generation, block: key.block)
            if pending.bytes.withUnsafeBytes({ layout.isEmpty($0) }) {
                if pending.existed { try txn.delete(db.vectors, k) }
                continue
            }
            let append = !pending.existed && (lastKey.map { $0.lexicographicallyPrecedes(k) } ?? true)
            try txn.put(db.vectors, k, pending.bytes, flags: append ? MDB_APPEND : 0)
            if append { lastKey = k }
        }
        blocks = [:]
        try txn.put(db.meta, Schema.MetaKey.nextID, beBytes(nextID))
        try txn.put(db.meta, Schema.MetaKey.nextSeq, beBytes(nextSeq))
    }
}
