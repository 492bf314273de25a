import CLMDB
import Foundation

/// Vector generations (re-indexing with a new model while the active generation keeps
/// serving): create one, fill it (`documentsMissingVectors` + `putVectors`, resumable after a
/// crash), switch atomically with `setActiveGeneration`, drop the old one when done.
extension CollectionStore {
    /// The active generation number.
    public func activeGeneration() throws -> UInt32 { try read { try $0.activeGeneration() } }

    /// All generations, ascending.
    public func generations() throws -> [GenerationInfo] { try readTransaction { try allGenerations($0) } }

    /// Creates an empty generation for vectors of `config` and returns its number. The active
    /// generation is unchanged.
    public func createGeneration(config: CollectionConfig) throws -> UInt32 {
        try config.validate()
        return try writeTransaction { txn in
            let g = try metaU32(txn, Schema.MetaKey.nextGeneration)
            let info = CollectionStore.makeGeneration(g, config: config)
            try txn.put(db.generations, beBytes(g), Array(try JSONEncoder().encode(info)))
            try txn.put(db.meta, Schema.MetaKey.nextGeneration, beBytes(g + 1))
            return g
        }
    }

    /// Stores vectors of existing documents in `generation`, atomically. Documents deleted
    /// meanwhile are skipped (returned count excludes them). Writing into the active
    /// generation records an `upsert` change per document so the index re-reads it.
    @discardableResult
    public func putVectors(generation: UInt32, _ items: [(internalID: UInt64, vectors: [String: [Float]])]) throws -> Int {
        try writeTransaction { txn in
            guard let info = try generationInfo(txn, generation) else { throw StoreError.noSuchGeneration(generation) }
            var w = try BatchWriter(store: self, txn: txn)
            let isActive = info.generation == w.active.generation
            var written = 0
            for item in items {
                guard let record = try txn.get(db.docs, beBytes(item.internalID)) else { continue }
                let id = DocumentCodec.externalID(record) ?? "#\(item.internalID)"
                let doc = StoredDocument(id: id, text: "", vectors: item.vectors)
                guard !item.vectors.isEmpty else { throw StoreError.invalidVectors(id: id, reason: "no vectors given") }
                try w.setVectors(doc, item.internalID, in: info)
                if isActive { try w.change(.upsert, item.internalID) }
                written += 1
            }
            try w.finish()
            return written
        }
    }

    /// Makes `generation` the active one in one transaction (queries switch to it atomically)
    /// and records an `activateGeneration` change. The previous generation is kept.
    public func setActiveGeneration(_ generation: UInt32) throws {
        try writeTransaction { txn in
            guard try generationInfo(txn, generation) != nil else { throw StoreError.noSuchGeneration(generation) }
            guard try metaU32(txn, Schema.MetaKey.activeGeneration) != generation else { return }
            try txn.put(db.meta, Schema.MetaKey.activeGeneration, beBytes(generation))
            let w = try BatchWriter(store: self, txn: txn)
            var seq = w.nextSeq
            try txn.put(db.changes, beBytes(seq), [Change.Operation.activateGeneration.rawValue] + beBytes(UInt64(generation)), flags: MDB_APPEND)
            seq += 1
            try txn.put(db.meta, Schema.MetaKey.nextSeq, beBytes(seq))
        }
    }

    /// Deletes a non-active generation and its vectors, in transactions of `blocksPerTransaction`
    /// blocks (a crash midway leaves the generation listed; dropping it again finishes the job).
    public func dropGeneration(_ generation: UInt32, blocksPerTransaction: Int = 256) throws {
        while true {
            let done = try writeTransaction { txn -> Bool in
                guard try generationInfo(txn, generation) != nil else { throw StoreError.noSuchGeneration(generation) }
                guard try metaU32(txn, Schema.MetaKey.activeGeneration) != generation else {
                    throw StoreError.generationIsActive(generation)
                }
                var keys: [[UInt8]] = []
                try txn.withCursor(db.vectors) { c in
                    var e = try c.seek(atLeast: beBytes(generation))
                    while let entry = e, keys.count < blocksPerTransaction, entry.key.count == 12, readBE32(entry.key) == generation {
                        keys.append(Array(entry.key))
                        e = try c.next()
                    }
                }
                for k in keys { try txn.delete(db.vectors, k) }
                if keys.count < blocksPerTransaction {
                    try txn.delete(db.generations, beBytes(generation))
                    return true
                }
                return false
            }
            if done { return }
        }
    }

    /// Documents (id > `after`, id order) without a vector in `generation`; see `CollectionSnapshot`.
    public func documentsMissingVectors(generation: UInt32, after: UInt64? = nil, limit: Int) throws -> [DocumentRecord] {
        try read { try $0.documentsMissingVectors(generation: generation, after: after, limit: limit) }
    }

    /// One view of a document's vector (`generation` nil: the active one).
    public func vector(internalID: UInt64, view: String = VectorView.fullName, generation: UInt32? = nil) throws -> [Float]? {
        try read { try $0.vector(internalID: internalID, view: view, generation: generation) }
    }

    /// A batch of vectors of one view in id order; see `CollectionSnapshot.scanVectors`.
    public func scanVectors(view: String = VectorView.fullName, generation: UInt32? = nil, after: UInt64? = nil,
                            limit: Int) throws -> (ids: [UInt64], dims: Int, vectors: [Float]) {
        try read { try $0.scanVectors(view: view, generation: generation, after: after, limit: limit) }
    }

    /// One view of several documents' vectors; see `CollectionSnapshot.vectors(internalIDs:view:generation:)`.
    public func vectors(internalIDs: [UInt64], view: String = VectorView.fullName, generation: UInt32? = nil) throws
        -> (dims: Int, vectors: [Float], present: [Bool]) {
        try read { try $0.vectors(internalIDs: internalIDs, view: view, generation: generation) }
    }
}
