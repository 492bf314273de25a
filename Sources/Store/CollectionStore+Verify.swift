import Foundation

extension CollectionStore {
    /// Checks the collection's invariants on one snapshot and returns the problems found (empty
    /// when consistent): every document record decodes and its external id maps back to it, the
    /// id counters are ahead of every stored id, the change sequence ends at `lastSeq`, and every
    /// vector block belongs to a known generation, has its size, and holds no vector of a
    /// deleted document. O(documents + blocks); meant for `anglevec check` and tests.
    public func verify() throws -> [String] {
        try read { s in
            var problems: [String] = []
            let txn = s.txn
            let nextID = try metaU64(txn, Schema.MetaKey.nextID)
            var docs = 0
            try s.forEachRaw(after: nil) { id, value in
                docs += 1
                if id >= nextID { problems.append("document \(id) is not below next_id \(nextID)") }
                guard let parts = DocumentCodec.split(value) else {
                    problems.append("document \(id): malformed record")
                    return problems.count < 100
                }
                if let mapped = try txn.get(db.ids, parts.id), mapped.count == 8 {
                    if readBE64(mapped) != id { problems.append("document \(id): its id maps to \(readBE64(mapped))") }
                } else {
                    problems.append("document \(id): external id '\(String(decoding: parts.id, as: UTF8.self))' is not indexed")
                }
                return problems.count < 100
            }
            let idEntries = Int(try txn.stat(db.ids).ms_entries)
            if idEntries != docs { problems.append("\(idEntries) external ids for \(docs) documents") }
            let lastSeq = try s.lastSeq()
            let lastChange = try txn.withCursor(db.changes) { c in try c.last().map { readBE64($0.key) } }
            if let lastChange, lastChange != lastSeq { problems.append("last change \(lastChange) but next_seq says \(lastSeq)") }
            var layouts: [UInt32: VectorBlockLayout] = [:]
            for g in try allGenerations(txn) { layouts[g.generation] = g.layout }
            try txn.withCursor(db.vectors) { c in
                var e = try c.first()
                while let entry = e, problems.count < 100 {
                    guard entry.key.count == 12 else { problems.append("vector block key of \(entry.key.count) bytes"); e = try c.next(); continue }
                    let g = readBE32(entry.key), block = readBE64(entry.key, at: 4)
                    guard let layout = layouts[g] else {
                        problems.append("vector block \(block) of unknown generation \(g)")
                        e = try c.next()
                        continue
                    }
                    if entry.value.count != layout.blockBytes {
                        problems.append("vector block \(block) of generation \(g): \(entry.value.count) bytes, expected \(layout.blockBytes)")
                    } else {
                        for slot in 0..<layout.blockSize where layout.isPresent(entry.value, slot: slot) {
                            let id = block * UInt64(layout.blockSize) + UInt64(slot)
                            if try txn.get(db.docs, beBytes(id)) == nil {
                                problems.append("generation \(g) holds a vector of deleted document \(id)")
                            }
                        }
                    }
                    e = try c.next()
                }
            }
            return problems
        }
    }
}
