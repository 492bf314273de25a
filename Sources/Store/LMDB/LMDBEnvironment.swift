import CLMDB
import Foundation

/// An LMDB environment (`MDB_env`): one memory-mapped file, many named databases.
///
/// Opened with `MDB_NOTLS`, so read transactions are not tied to a thread. The map starts
/// small and grows on `MDB_MAP_FULL` inside `write(_:)`: the transaction is aborted, the map
/// enlarged with `mdb_env_set_mapsize` and the whole body run again. A process-local
/// reader/writer lock guarantees no transaction of this process is open while the map is
/// resized (LMDB's requirement); transactions hold it shared.
public final class LMDBEnvironment: @unchecked Sendable {
    /// The LMDB handle; closed in `deinit`.
    let handle: OpaquePointer
    /// The directory (or file with `MDB_NOSUBDIR`) the environment lives in.
    public let path: String
    /// Opened with `MDB_RDONLY`.
    public let readOnly: Bool
    /// The map never grows beyond this many bytes; a larger write fails with `MDB_MAP_FULL`.
    public let maxMapSize: Int

    private let resizeLock: UnsafeMutablePointer<pthread_rwlock_t>

    /// Opens (creating the files when writable) the environment at `path`.
    /// - Parameters:
    ///   - mapSize: map size in bytes; nil keeps the size recorded in an existing file (LMDB's
    ///     default for a new one). A size below the data already stored is rounded up to it.
    ///   - maxMapSize: the limit automatic growth stops at.
    ///   - maxDatabases: the number of named databases that may be opened.
    public init(path: String, readOnly: Bool, mapSize: Int?, maxMapSize: Int, maxDatabases: UInt32) throws {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: EINVAL, operation: "mdb_env_create") }
        var ok = false
        defer { if !ok { mdb_env_close(env) } }
        try check(mdb_env_set_maxdbs(env, maxDatabases), "mdb_env_set_maxdbs")
        if let mapSize { try check(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize(\(mapSize))") }
        try check(mdb_env_set_maxreaders(env, 510), "mdb_env_set_maxreaders")
        var flags = UInt32(MDB_NOTLS)
        if readOnly { flags |= UInt32(MDB_RDONLY) }
        try check(mdb_env_open(env, path, flags, 0o644), "mdb_env_open(\(path))")
        if !readOnly {
            // Free reader slots left behind by killed processes (kill -9), so they do not pin old pages.
            var dead: Int32 = 0
            _ = mdb_reader_check(env, &dead)
        }
        handle = env
        self.path = path
        self.readOnly = readOnly
        self.maxMapSize = maxMapSize
        resizeLock = .allocate(capacity: 1)
        pthread_rwlock_init(resizeLock, nil)
        ok = true
    }

    deinit {
        mdb_env_close(handle)
        pthread_rwlock_destroy(resizeLock)
        resizeLock.deallocate()
    }

    // MARK: Information

    /// `mdb_env_info`: map size, last used page, last committed transaction id, readers.
    public func info() -> MDB_envinfo {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info
    }

    /// `mdb_env_stat`: page size and main-database statistics.
    public func stat() -> MDB_stat {
        var st = MDB_stat()
        mdb_env_stat(handle, &st)
        return st
    }

    /// The current map size in bytes.
    public var mapSize: Int { info().me_mapsize }

    // MARK: Transactions

    /// Runs `body` in a read-only transaction (a consistent snapshot), aborted on return.
    /// Keep it short: an open reader pins the pages of its snapshot.
    public func read<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        let txn = try begin(readOnly: true)
        // Committing (not aborting) a read transaction keeps database handles it opened.
        defer { txn.finishRead(); pthread_rwlock_unlock(resizeLock) }
        return try body(txn)
    }

    /// Runs `body` in a write transaction and commits it; nothing is written when `body` throws.
    /// Only one write transaction runs at a time across all processes (LMDB's writer lock).
    /// On `MDB_MAP_FULL` the transaction is aborted, the map doubled (up to `maxMapSize`) and
    /// `body` run again from scratch, so `body` must derive everything from the transaction.
    public func write<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        precondition(!readOnly, "write transaction on a read-only environment")
        while true {
            let txn = try begin(readOnly: false)
            do {
                let result = try body(txn)
                try txn.commit()
                pthread_rwlock_unlock(resizeLock)
                return result
            } catch let error as LMDBError where error.isMapFull {
                txn.abort()
                pthread_rwlock_unlock(resizeLock)
                try grow(error)
            } catch {
                txn.abort()
                pthread_rwlock_unlock(resizeLock)
                throw error
            }
        }
    }

    /// Begins a transaction holding the resize lock shared; handles `MDB_MAP_RESIZED`
    /// (another process grew the map) by adopting the new size and retrying.
    private func begin(readOnly: Bool) throws -> LMDBTransaction {
        while true {
            pthread_rwlock_rdlock(resizeLock)
            var txn: OpaquePointer?
            let rc = mdb_txn_begin(handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
            if rc == MDB_SUCCESS, let txn { return LMDBTransaction(handle: txn, readOnly: readOnly) }
            pthread_rwlock_unlock(resizeLock)
            if rc == MDB_MAP_RESIZED {
                try resize(to: 0)  // 0: adopt the size another process recorded
                continue
            }
            throw LMDBError(code: rc, operation: readOnly ? "mdb_txn_begin(read)" : "mdb_txn_begin(write)")
        }
    }

    /// Doubles the map (at least +64 MiB), bounded by `maxMapSize`; rethrows `error` at the limit.
    private func grow(_ error: LMDBError) throws {
        // Readers killed since we opened may pin old pages that could otherwise be reused.
        var dead: Int32 = 0
        _ = mdb_reader_check(handle, &dead)
        let current = mapSize
        guard current < maxMapSize else { throw error }
        let target = min(maxMapSize, max(current * 2, current + 64 << 20))
        try resize(to: target)
    }

    /// `mdb_env_set_mapsize` with no transaction of this process open.
    public func resize(to size: Int) throws {
        pthread_rwlock_wrlock(resizeLock)
        defer { pthread_rwlock_unlock(resizeLock) }
        try check(mdb_env_set_mapsize(handle, size), "mdb_env_set_mapsize(\(size))")
    }

    // MARK: Databases and maintenance

    /// Opens the named database in `txn` (creating it when `create` and the transaction writes).
    /// Returns nil when it does not exist and `create` is false.
    public func openDatabase(_ name: String, in txn: LMDBTransaction, create: Bool) throws -> LMDBDatabase? {
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(txn.handle, name, create ? UInt32(MDB_CREATE) : 0, &dbi)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_dbi_open(\(name))")
        return LMDBDatabase(dbi: dbi, name: name)
    }

    /// Writes a compacted copy (`MDB_CP_COMPACT`: free pages omitted, pages renumbered) into
    /// the existing empty directory `path`. Runs as a reader: writers are not blocked.
    public func copyCompacted(to path: String) throws {
        try check(mdb_env_copy2(handle, path, UInt32(MDB_CP_COMPACT)), "mdb_env_copy2(\(path), MDB_CP_COMPACT)")
    }

    /// Flushes buffers to disk (`mdb_env_sync(force: 1)`).
    public func sync() throws {
        try check(mdb_env_sync(handle, 1), "mdb_env_sync")
    }
}
