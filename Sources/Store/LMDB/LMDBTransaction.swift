import CLMDB
import Foundation

/// An LMDB transaction (`MDB_txn`). Created by `LMDBEnvironment.read(_:)` / `write(_:)`, which
/// commit or abort it; a transaction is only valid inside that closure. Values returned by
/// `get` point into the memory map and are valid until the transaction ends.
public final class LMDBTransaction {
    let handle: OpaquePointer
    /// True for a read-only snapshot.
    public let readOnly: Bool
    private var finished = false

    init(handle: OpaquePointer, readOnly: Bool) {
        self.handle = handle
        self.readOnly = readOnly
    }

    deinit { if !finished { mdb_txn_abort(handle) } }

    func commit() throws {
        precondition(!finished)
        finished = true
        try check(mdb_txn_commit(handle), "mdb_txn_commit")
    }

    func finishRead() {
        if !finished { finished = true; _ = mdb_txn_commit(handle) }
    }

    func abort() {
        if !finished { finished = true; mdb_txn_abort(handle) }
    }

    /// The transaction id (the snapshot's version).
    public var id: Int { mdb_txn_id(handle) }

    /// The value stored under `key`, or nil. The buffer points into the map (zero-copy).
    public func get(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(handle, db.dbi, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_get(\(db.name))")
        return UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }

    /// `get` with a byte-array key.
    public func get(_ db: LMDBDatabase, _ key: [UInt8]) throws -> UnsafeRawBufferPointer? {
        try key.withUnsafeBytes { try get(db, $0) }
    }

    /// Stores `value` under `key`. `flags`: `MDB_APPEND` (key sorts after every key: no page
    /// splits, full pages), `MDB_NOOVERWRITE`... Returns false when `MDB_NOOVERWRITE` found the key.
    @discardableResult
    public func put(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, flags: Int32 = 0) throws -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = mdb_put(handle, db.dbi, &k, &v, UInt32(flags))
        if rc == MDB_KEYEXIST && flags & MDB_NOOVERWRITE != 0 { return false }
        try check(rc, "mdb_put(\(db.name))")
        return true
    }

    /// `put` with byte-array key and value.
    @discardableResult
    public func put(_ db: LMDBDatabase, _ key: [UInt8], _ value: [UInt8], flags: Int32 = 0) throws -> Bool {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try put(db, k, v, flags: flags) } }
    }

    /// Reserves `size` bytes under `key` (`MDB_RESERVE`) and lets `fill` write them in place.
    public func putReserved(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer, size: Int, flags: Int32 = 0,
                            fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: size, mv_data: nil)
        try check(mdb_put(handle, db.dbi, &k, &v, UInt32(flags | MDB_RESERVE)), "mdb_put(\(db.name), MDB_RESERVE)")
        try fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: size))
    }

    /// Deletes `key`; returns false when it was absent.
    @discardableResult
    public func delete(_ db: LMDBDatabase, _ key: UnsafeRawBufferPointer) throws -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc = mdb_del(handle, db.dbi, &k, nil)
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "mdb_del(\(db.name))")
        return true
    }

    /// `delete` with a byte-array key.
    @discardableResult
    public func delete(_ db: LMDBDatabase, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { try delete(db, $0) }
    }

    /// `mdb_stat` of one database (entries, depth, page counts).
    public func stat(_ db: LMDBDatabase) throws -> MDB_stat {
        var st = MDB_stat()
        try check(mdb_stat(handle, db.dbi, &st), "mdb_stat(\(db.name))")
        return st
    }

    /// Runs `body` with a cursor on `db`, closed when `body` returns.
    public func withCursor<T>(_ db: LMDBDatabase, _ body: (LMDBCursor) throws -> T) throws -> T {
        var c: OpaquePointer?
        try check(mdb_cursor_open(handle, db.dbi, &c), "mdb_cursor_open(\(db.name))")
        let cursor = LMDBCursor(handle: c!, db: db)
        defer { mdb_cursor_close(c) }
        return try body(cursor)
    }
}
