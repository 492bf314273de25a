import CLMDB

/// An LMDB cursor (`MDB_cursor`) positioned on one key/value pair of a database.
/// Obtain one with `LMDBTransaction.withCursor(_:_:)`; it is closed when that closure returns.
public struct LMDBCursor {
    let handle: OpaquePointer
    let db: LMDBDatabase

    /// A key/value pair; both buffers point into the map and live as long as the transaction.
    public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    private func get(_ op: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
        var k = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var v = MDB_val()
        let rc = mdb_cursor_get(handle, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_cursor_get(\(db.name), op \(op.rawValue))")
        return (UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// The first entry (smallest key).
    public func first() throws -> Entry? { try get(MDB_FIRST) }
    /// The last entry (largest key).
    public func last() throws -> Entry? { try get(MDB_LAST) }
    /// The entry after the current one.
    public func next() throws -> Entry? { try get(MDB_NEXT) }
    /// The first entry whose key is ≥ `key` (`MDB_SET_RANGE`).
    public func seek(atLeast key: UnsafeRawBufferPointer) throws -> Entry? { try get(MDB_SET_RANGE, key: key) }
    /// `seek(atLeast:)` with a byte-array key.
    public func seek(atLeast key: [UInt8]) throws -> Entry? { try key.withUnsafeBytes { try seek(atLeast: $0) } }
    /// Deletes the current entry.
    public func deleteCurrent() throws { try check(mdb_cursor_del(handle, 0), "mdb_cursor_del(\(db.name))") }
}
