import CLMDB

/// A named LMDB database (`MDB_dbi`) inside an `LMDBEnvironment`. Handles stay valid for the
/// environment's lifetime once the transaction that opened them committed.
public struct LMDBDatabase: Sendable {
    /// The LMDB handle.
    public let dbi: MDB_dbi
    /// The database's name inside the environment (for error messages).
    public let name: String
}
