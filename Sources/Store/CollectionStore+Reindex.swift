import CLMDB
import Foundation

/// The store side of re-indexing: writes that must land in the generation they were embedded
/// for, generation records that carry re-index state, and the atomic switch that only happens
/// when the new generation holds a vector for every document.
extension CollectionStore {
    /// `add`, failing with `StoreError.generationChanged` (nothing written) unless `generation`
    /// is still the active one in the same transaction: vectors are never stored in another
    /// model's generation.
    @discardableResult
    public func add(_ docs: [StoredDocument], ifActiveGeneration generation: UInt32) throws -> AddResult {
        try CollectionStore.validateBatch(docs)
        if docs.isEmpty { return AddResult(added: 0, internalIDs: [], lastSeq: try lastSeq()) }
        return try writeTransaction { txn in
            var w = try BatchWriter(store: self, txn: txn)
            try requireActive(w, generation)
            var ids: [UInt64] = []
            for doc in docs { ids.append(try w.insertNew(doc)) }
            try w.finish()
            return AddResult(added: docs.count, internalIDs: ids, lastSeq: w.nextSeq - 1)
        }
    }

    /// `upsert`, failing with `StoreError.generationChanged` (nothing written) unless
    /// `generation` is still the active one in the same transaction.
    @discardableResult
    public func upsert(_ docs: [StoredDocument], ifActiveGeneration generation: UInt32) throws -> UpsertResult {
        try upsert(docs, requiringActive: generation)
    }

    private func requireActive(_ w: BatchWriter, _ generation: UInt32) throws {
        guard w.active.generation == generation else {
            throw StoreError.generationChanged(path: path, expected: generation, active: w.active.generation)
        }
    }

    /// Replaces the configuration recorded for `generation` (e.g. re-index bookkeeping in
    /// `extensions`); the vector layout must stay the same.
    public func updateGenerationConfig(_ generation: UInt32, _ update: (inout CollectionConfig) -> Void) throws {
        try writeTransaction { txn in
            guard var info = try generationInfo(txn, generation) else { throw StoreError.noSuchGeneration(generation) }
            var config = info.config
            update(&config)
            try config.validate()
            guard config.sameVectorLayout(as: info.config) else {
                throw StoreError.invalidConfig("updating generation \(generation) would change its vector layout")
            }
            info.config = config
            try txn.put(db.generations, beBytes(generation), Array(try JSONEncoder().encode(info)))
        }
    }

    /// The number of documents without a vector in `generation` (one snapshot).
    public func missingVectorCount(generation: UInt32) throws -> Int {
        try read { s in
            var n = 0
            var after: UInt64? = nil
            while true {
                let batch = try s.documentsMissingVectors(generation: generation, after: after, limit: 4096)
                n += batch.count
                guard batch.count == 4096, let last = batch.last else { return n }
                after = last.internalID
            }
        }
    }

    /// Makes `generation` active in one write transaction, but only when every document has a
    /// vector in it (checked inside that transaction, so no concurrent write slips in between);
    /// `update` may rewrite the generation's config (same vector layout) in the same transaction.
    /// Returns false, changing nothing, when a document still lacks a vector.
    @discardableResult
    public func activateGenerationIfComplete(_ generation: UInt32, update: ((inout CollectionConfig) -> Void)? = nil) throws -> Bool {
        try writeTransaction { txn in
            guard var info = try generationInfo(txn, generation) else { throw StoreError.noSuchGeneration(generation) }
            let snapshot = CollectionSnapshot(store: self, txn: txn)
            guard try snapshot.documentsMissingVectors(generation: generation, limit: 1).isEmpty else { return false }
            if let update {
                var config = info.config
                update(&config)
                try config.validate()
                guard config.sameVectorLayout(as: info.config) else {
                    throw StoreError.invalidConfig("activating generation \(generation) would change its vector layout")
                }
                info.config = config
                try txn.put(db.generations, beBytes(generation), Array(try JSONEncoder().encode(info)))
            }
            guard try metaU32(txn, Schema.MetaKey.activeGeneration) != generation else { return true }
            try txn.put(db.meta, Schema.MetaKey.activeGeneration, beBytes(generation))
            let seq = try metaU64(txn, Schema.MetaKey.nextSeq)
            try txn.put(db.changes, beBytes(seq), [Change.Operation.activateGeneration.rawValue] + beBytes(UInt64(generation)), flags: MDB_APPEND)
            try txn.put(db.meta, Schema.MetaKey.nextSeq, beBytes(seq + 1))
            return true
        }
    }
}
