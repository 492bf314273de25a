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
                guard case .object = try JSONValue.parse(doc.metadata) else {
                    throw StoreError.invalidMetadata(id: doc.id, reason: "must be a JSON object")
                }
            } catch let e as JSONParseError {
                throw StoreError.invalidMetadata(id: doc.id, reason: "is not valid JSON: \(e)")
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
            for doc in docs {
                guard try txn.get(db.ids, Array(doc.id.utf8)) == nil else { throw StoreError.duplicateID(doc.id) }
                ids.append(try w.insertNew(doc))
            }
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
        try CollectionStore.validateBatch(docs)
        if docs.isEmpty { return UpsertResult(added: 0, updated: 0, internalIDs: [], lastSeq: try lastSeq()) }
        return try writeTransaction { txn in
            var w = try BatchWriter(store: self, txn: txn)
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
            try snapshot.forEachRaw(after: nil) { id, value in
                if let parts = DocumentCodec.split(value), filter.matches(metadataJSON: parts.metadata) {
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
/// sequence counters in memory and persisting them in `finish()`. Vector slots are collected
/// per block and each touched block is rewritten once.
struct BatchWriter {
    let store: CollectionStore
    let txn: Transaction
    var nextID: UInt64
    var nextSeq: UInt64
    let active: GenerationInfo
    let generations: [GenerationInfo]
    /// Pending slot writes per (generation, block): slot → encoded bytes (nil = remove).
    var pending: [UInt32: [UInt64: [Int: [UInt8]?]]] = [:]
    var lastDocKey: UInt64?

    init(store: CollectionStore, txn: Transaction) throws {
        self.store = store
        self.txn = txn
        nextID = try store.metaU64(txn, Schema.MetaKey.nextID)
        nextSeq = try store.metaU64(txn, Schema.MetaKey.nextSeq)
        active = try store.activeGenerationInfo(txn)
        generations = try store.allGenerations(txn)
    }

    var db: CollectionStore.Databases { store.db }

    mutating func change(_ op: Change.Operation, _ id: UInt64) throws {
        var value = [op.rawValue]
        value += beBytes(id)
        // Sequence numbers only grow: append without page splits.
        try txn.put(db.changes, beBytes(nextSeq), value, flags: MDB_APPEND)
        nextSeq += 1
    }

    /// Encodes `doc.vectors` for `generation` (nil when the document has none).
    func encodeSlot(_ doc: StoredDocument, _ generation: GenerationInfo) throws -> [UInt8]? {
        if doc.vectors.isEmpty { return nil }
        let layout = generation.layout
        var slot = [UInt8](repeating: 0, count: layout.slotBytes)
        try slot.withUnsafeMutableBytes { try layout.encode(doc.vectors, id: doc.id, into: $0) }
        return slot
    }

    mutating func setSlot(_ generation: GenerationInfo, _ id: UInt64, _ bytes: [UInt8]?) {
        let layout = generation.layout
        pending[generation.generation, default: [:]][layout.block(of: id), default: [:]][layout.slot(of: id)] = .some(bytes)
    }

    mutating func insertNew(_ doc: StoredDocument) throws -> UInt64 {
        let slot = try encodeSlot(doc, active)
        let id = nextID
        nextID += 1
        let key = Array(doc.id.utf8)
        guard try txn.put(db.ids, key, beBytes(id), flags: MDB_NOOVERWRITE) else { throw StoreError.duplicateID(doc.id) }
        // New ids exceed every stored id: MDB_APPEND fills leaf pages completely.
        try txn.put(db.docs, beBytes(id), DocumentCodec.encode(id: doc.id, text: doc.text, metadata: doc.metadata), flags: MDB_APPEND)
        if let slot { setSlot(active, id, slot) }
        try change(.add, id)
        return id
    }

    mutating func replace(_ doc: StoredDocument, internalID id: UInt64) throws {
        let slot = try encodeSlot(doc, active)
        try txn.put(db.docs, beBytes(id), DocumentCodec.encode(id: doc.id, text: doc.text, metadata: doc.metadata))
        for g in generations where g.generation != active.generation { setSlot(g, id, nil) }
        setSlot(active, id, slot)
        try change(.upsert, id)
    }

    mutating func remove(externalKey: [UInt8], internalID id: UInt64) throws {
        try txn.delete(db.ids, externalKey)
        try txn.delete(db.docs, beBytes(id))
        for g in generations { setSlot(g, id, nil) }
        try change(.delete, id)
    }

    /// Rewrites each touched vector block once and persists the counters.
    mutating func finish() throws {
        var scratch: [UInt8] = []
        var lastKey: [UInt8]? = try txn.withCursor(db.vectors) { c in try c.last().map { Array($0.key) } }
        for g in generations {
            guard let blocks = pending[g.generation] else { continue }
            let layout = g.layout
            for block in blocks.keys.sorted() {
                let key = vectorBlockKey(generation: g.generation, block: block)
                let existing = try txn.get(db.vectors, key)
                if let existing, existing.count == layout.blockBytes {
                    scratch = Array(existing)  // copy: rewriting frees the old pages
                } else {
                    scratch = [UInt8](repeating: 0, count: layout.blockBytes)
                }
                var changed = false
                scratch.withUnsafeMutableBytes { buf in
                    for (slot, bytes) in blocks[block]! {
                        if let bytes {
                            let off = layout.slotOffset(slot)
                            buf[off..<off + layout.slotBytes].copyBytes(from: bytes)
                            layout.setPresent(buf, slot: slot, true)
                            changed = true
                        } else if layout.isPresent(UnsafeRawBufferPointer(buf), slot: slot) {
                            layout.setPresent(buf, slot: slot, false)
                            let off = layout.slotOffset(slot)
                            buf[off..<off + layout.slotBytes].initializeMemory(as: UInt8.self, repeating: 0)
                            changed = true
                        }
                    }
                }
                guard changed else { continue }
                if scratch.withUnsafeBytes({ layout.isEmpty($0) }) {
                    if existing != nil { try txn.delete(db.vectors, key) }
                    continue
                }
                let append = existing == nil && (lastKey.map { key.lexicographicallyPrecedes($0) == false && key != $0 } ?? true)
                try txn.put(db.vectors, key, scratch, flags: append ? MDB_APPEND : 0)
                if append { lastKey = key }
            }
        }
        try txn.put(db.meta, Schema.MetaKey.nextID, beBytes(nextID))
        try txn.put(db.meta, Schema.MetaKey.nextSeq, beBytes(nextSeq))
    }
}
