import CLMDB

/// An error returned by the LMDB C library, carrying LMDB's own message (`mdb_strerror`)
/// and the operation that failed, so a failure reads like "mdb_put(docs): MDB_MAP_FULL: ...".
public struct LMDBError: Error, CustomStringConvertible, Equatable {
    /// LMDB's return code (an `MDB_*` code or a system `errno`).
    public let code: Int32
    /// The operation that failed, e.g. `mdb_env_open(/path)`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// LMDB's message for `code` (system errors map to `strerror`).
    public var message: String { String(cString: mdb_strerror(code)) }

    public var description: String { "\(operation): \(message) (code \(code))" }

    /// The map is full: the write must be retried after growing the map.
    public var isMapFull: Bool { code == MDB_MAP_FULL }
    /// Another process grew the map beyond this process's mapping.
    public var isMapResized: Bool { code == MDB_MAP_RESIZED }
}

/// Throws an `LMDBError` when `rc` is not `MDB_SUCCESS`.
@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws {
    if rc != MDB_SUCCESS { throw LMDBError(code: rc, operation: operation()) }
}
