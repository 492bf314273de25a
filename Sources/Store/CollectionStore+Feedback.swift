import CLMDB
import Foundation

/// A logged query: what was asked, which vector generation answered, and the ranking shown
/// (so a later click can tell which results were skipped above it).
public struct LoggedQuery: Codable, Equatable, Sendable {
    /// The query id handed back with the results.
    public var id: UInt64
    /// The query text as typed (before any prompt).
    public var text: String
    /// Seconds since 1970.
    public var time: Double
    /// The vector generation that served the query.
    public var generation: UInt32
    /// External ids of the results, best first.
    public var shown: [String]

    public init(id: UInt64, text: String, time: Double, generation: UInt32, shown: [String]) {
        self.id = id
        self.text = text
        self.time = time
        self.generation = generation
        self.shown = shown
    }
}

/// A click: document `document` was chosen among the results of query `queryID`.
public struct LoggedClick: Codable, Equatable, Sendable {
    /// Click sequence number (1, 2, ...).
    public var seq: UInt64
    public var queryID: UInt64
    /// External id of the clicked document.
    public var document: String
    /// Seconds since 1970.
    public var time: Double
}

/// The click log: the `feedback` named database (see `Schema`). It is created on the first
/// logged query, so collections written before it existed (schema 1 without `feedback`) open
/// unchanged; older builds ignore the extra database.
extension CollectionStore {
    private static let feedbackLock = NSLock()
    /// Handles per environment (held weakly: a handle is only valid in the environment that opened it).
    private final class Handle { weak var env: LMDBEnvironment?; let db: LMDBDatabase; init(_ e: LMDBEnvironment, _ d: LMDBDatabase) { env = e; db = d } }
    nonisolated(unsafe) private static var feedbackHandles: [String: Handle] = [:]

    /// The feedback database handle; created (in its own short write transaction) when `create`.
    /// LMDB wants `mdb_dbi_open` serialized within a process, hence the lock and the cache.
    private func feedbackDatabase(create: Bool) throws -> LMDBDatabase? {
        CollectionStore.feedbackLock.lock(); defer { CollectionStore.feedbackLock.unlock() }
        let key = path
        if let h = CollectionStore.feedbackHandles[key], h.env === env { return h.db }
        let db: LMDBDatabase?
        if create && !readOnly {
            db = try writeTransaction { txn in try env.openDatabase(Schema.Name.feedback, in: txn, create: true) }
        } else {
            db = try readTransaction { txn in try env.openDatabase(Schema.Name.feedback, in: txn, create: false) }
        }
        if let db { CollectionStore.feedbackHandles[key] = Handle(env, db) }
        return db
    }

    private func nextCounter(_ txn: LMDBTransaction, _ db: LMDBDatabase, _ key: [UInt8]) throws -> UInt64 {
        let n = try txn.get(db, key).flatMap { $0.count == 8 ? readBE64($0) : nil } ?? 1
        try txn.put(db, key, beBytes(n + 1))
        return n
    }

    /// Logs a query and returns its id (1, 2, ...).
    @discardableResult
    public func logQuery(text: String, generation: UInt32, shown: [String], time: Date = Date()) throws -> UInt64 {
        guard let db = try feedbackDatabase(create: true) else { throw StoreError.readOnly(path: path) }
        return try writeTransaction { txn in
            let id = try nextCounter(txn, db, FeedbackKey.nextQuery)
            let entry = LoggedQuery(id: id, text: text, time: time.timeIntervalSince1970, generation: generation, shown: shown)
            try txn.put(db, FeedbackKey.query(id), Array(try JSONEncoder().encode(entry)))
            return id
        }
    }

    /// Logs a click on `document` among the results of query `queryID`; throws
    /// `StoreError.noSuchDocument` when that query was not logged or did not show the document.
    @discardableResult
    public func logClick(queryID: UInt64, document: String, time: Date = Date()) throws -> LoggedClick {
        guard let db = try feedbackDatabase(create: true) else { throw StoreError.readOnly(path: path) }
        return try writeTransaction { txn in
            guard let raw = try txn.get(db, FeedbackKey.query(queryID)) else { throw StoreError.noSuchDocument("query #\(queryID)") }
            let query = try decodeFeedback(LoggedQuery.self, raw, what: "query \(queryID)")
            guard query.shown.contains(document) else {
                throw StoreError.noSuchDocument("'\(document)' among the \(query.shown.count) results of query #\(queryID)")
            }
            let seq = try nextCounter(txn, db, FeedbackKey.nextClick)
            let click = LoggedClick(seq: seq, queryID: queryID, document: document, time: time.timeIntervalSince1970)
            try txn.put(db, FeedbackKey.click(seq), Array(try JSONEncoder().encode(click)))
            return click
        }
    }

    /// The logged query `id`, or nil.
    public func loggedQuery(id: UInt64) throws -> LoggedQuery? {
        guard let db = try feedbackDatabase(create: false) else { return nil }
        return try readTransaction { txn in
            try txn.get(db, FeedbackKey.query(id)).map { try decodeFeedback(LoggedQuery.self, $0, what: "query \(id)") }
        }
    }

    /// The most recent logged query with exactly this text, or nil.
    public func latestLoggedQuery(text: String) throws -> LoggedQuery? {
        try loggedQueries().last { $0.text == text }
    }

    /// Every logged query, oldest first.
    public func loggedQueries() throws -> [LoggedQuery] { try feedbackEntries(prefix: FeedbackKey.queryPrefix) }

    /// Every logged click, oldest first.
    public func loggedClicks() throws -> [LoggedClick] { try feedbackEntries(prefix: FeedbackKey.clickPrefix) }

    private func feedbackEntries<T: Decodable>(prefix: UInt8) throws -> [T] {
        guard let db = try feedbackDatabase(create: false) else { return [] }
        return try readTransaction { txn in
            var out: [T] = []
            try txn.withCursor(db) { c in
                var e = try c.seek(atLeast: [prefix])
                while let entry = e, entry.key.count == 9, entry.key[0] == prefix {
                    out.append(try decodeFeedback(T.self, entry.value, what: "feedback entry \(readBE64(entry.key, at: 1))"))
                    e = try c.next()
                }
            }
            return out
        }
    }

    private func decodeFeedback<T: Decodable>(_ type: T.Type, _ raw: UnsafeRawBufferPointer, what: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(raw)) } catch {
            throw StoreError.corrupted(path: path, reason: "\(what) in the feedback log: \(error)")
        }
    }
}

/// Keys of the `feedback` database: `q` + query id (u64 BE), `c` + click seq (u64 BE), counters.
enum FeedbackKey {
    static let queryPrefix = UInt8(ascii: "q"), clickPrefix = UInt8(ascii: "c")
    static let nextQuery = Array("next_query".utf8), nextClick = Array("next_click".utf8)
    static func query(_ id: UInt64) -> [UInt8] { [queryPrefix] + beBytes(id) }
    static func click(_ seq: UInt64) -> [UInt8] { [clickPrefix] + beBytes(seq) }
}
