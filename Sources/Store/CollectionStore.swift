import CLMDB
import Foundation

/// A collection: documents, metadata, vectors and a change sequence in one LMDB environment —
/// the single source of truth (the HNSW index is derived from it and can be rebuilt).
///
/// - Every write is one LMDB transaction: a batch is written entirely or not at all, also
///   across `kill -9` and power loss (LMDB's copy-on-write B+tree, synced on commit).
/// - One writer at a time across processes (LMDB's writer lock; others wait); any number of
///   readers, in any process and thread, each seeing a committed snapshot.
/// - The map starts at `Options.initialMapSize` and doubles on `MDB_MAP_FULL` (the batch is
///   retried) up to `Options.maxMapSize`; a map grown by another process is adopted.
///
/// Reads that must agree with each other (e.g. count then scan) go through `read(_:)`, which
/// hands one `CollectionSnapshot`. Layout on disk: see `Schema`.
///
/// ```swift
/// let store = try CollectionStore.create(at: url, config: CollectionConfig(
///     model: ModelIdentity(name: "sentence-transformers/all-MiniLM-L6-v2", weightsSHA256: sha),
///     layers: 6, fullDims: 384, coarseViews: [VectorView(name: "L3d64", layer: 3, dims: 64)]))
/// try store.add([StoredDocument(id: "a", text: "…", metadata: Data(#"{"lang":"en"}"#.utf8),
///                               vectors: ["full": full384, "L3d64": coarse64])])
/// let doc = try store.get(id: "a")                                        // text, metadata, vectors
/// let english = try store.matchingIDs(MetadataFilter(parsing: "lang=en"))  // IDBitset of internal ids
/// for change in try store.changes(since: indexSeq) { … }                  // index catch-up
/// ```
///
/// Vectors live in generations (`createGeneration`, `putVectors`, `setActiveGeneration`,
/// `dropGeneration`); reads and `add`/`upsert` use the active one.
public final class CollectionStore: @unchecked Sendable {
    /// Tunables for opening/creating.
    public struct Options: Sendable {
        /// The map size a new collection starts with.
        public var initialMapSize: Int = 64 << 20
        /// Automatic growth stops here (then writes fail with `StoreError.diskFull`).
        public var maxMapSize: Int = 1 << 40
        /// The map size to open an existing collection with; nil (the default) keeps the size
        /// recorded in the file by the last writer. Tests use a tiny one to exercise growth.
        public var mapSizeOnOpen: Int?
        public init(initialMapSize: Int = 64 << 20, maxMapSize: Int = 1 << 40, mapSizeOnOpen: Int? = nil) {
            self.initialMapSize = initialMapSize
            self.maxMapSize = maxMapSize
            self.mapSizeOnOpen = mapSizeOnOpen
        }
    }

    /// The newest schema version this build reads (and the one it writes).
    public static var supportedSchemaVersion: UInt32 { Schema.version }

    /// The collection directory.
    public let url: URL
    /// Opened without write access.
    public let readOnly: Bool
    let env: LMDBEnvironment
    let db: Databases
    private let cacheLock = NSLock()
    private var generationCache: [UInt32: (raw: [UInt8], info: GenerationInfo)] = [:]

    struct Databases {
        let meta, ids, docs, generations, vectors, changes: LMDBDatabase
        static let freeList = LMDBDatabase(dbi: 0, name: "free list")
    }

    var path: String { url.path }

    private init(url: URL, readOnly: Bool, env: LMDBEnvironment, db: Databases) {
        self.url = url
        self.readOnly = readOnly
        self.env = env
        self.db = db
    }

    // MARK: Create and open

    /// Creates a collection in a new directory at `url` (which must not exist, or be an empty
    /// directory) with generation 1 built from `config`, and opens it for writing. Creation
    /// is atomic: the files are built in a sibling temporary directory and renamed into place.
    public static func create(at url: URL, config: CollectionConfig, options: Options = Options()) throws -> CollectionStore {
        try config.validate()
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
            guard isDir.boolValue, (try? fm.contentsOfDirectory(atPath: url.path))?.isEmpty == true else {
                throw StoreError.alreadyExists(path: url.path)
            }
        }
        let parent = url.deletingLastPathComponent()
        let temp = parent.appendingPathComponent(".\(url.lastPathComponent).creating-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try fm.createDirectory(at: temp, withIntermediateDirectories: true)
        } catch {
            throw StoreError.notWritable(path: url.path, reason: "cannot create directory \(temp.path): \(error.localizedDescription)")
        }
        defer { try? fm.removeItem(at: temp) }
        do {
            let env = try LMDBEnvironment(path: temp.path, readOnly: false, mapSize: options.initialMapSize,
                                      maxMapSize: options.maxMapSize, maxDatabases: 8)
            try env.write { txn in
                let dbs = try openDatabases(env, txn, create: true)!
                try txn.put(dbs.meta, Schema.MetaKey.magic, Schema.magic)
                try txn.put(dbs.meta, Schema.MetaKey.schemaVersion, beBytes(Schema.version))
                try txn.put(dbs.meta, Schema.MetaKey.nextID, beBytes(UInt64(0)))
                try txn.put(dbs.meta, Schema.MetaKey.nextSeq, beBytes(UInt64(1)))
                try txn.put(dbs.meta, Schema.MetaKey.activeGeneration, beBytes(UInt32(1)))
                try txn.put(dbs.meta, Schema.MetaKey.nextGeneration, beBytes(UInt32(2)))
                let info = makeGeneration(1, config: config)
                try txn.put(dbs.generations, beBytes(UInt32(1)), Array(try JSONEncoder().encode(info)))
            }
        } catch let e as LMDBError {
            throw mapError(e, path: url.path)
        }
        // Replace an empty target directory, then move the finished collection into place.
        if fm.fileExists(atPath: url.path) { _ = rmdir(url.path) }
        guard rename(temp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if errno == EEXIST || errno == ENOTEMPTY { throw StoreError.alreadyExists(path: url.path) }
            throw StoreError.notWritable(path: url.path, reason: "rename from \(temp.lastPathComponent) failed: \(reason)")
        }
        var reopen = options
        reopen.mapSizeOnOpen = reopen.mapSizeOnOpen ?? options.initialMapSize
        return try open(at: url, readOnly: false, options: reopen)
    }

    /// Opens the collection at `url`.
    /// - Parameters:
    ///   - readOnly: open without write access (works on read-only filesystems).
    ///   - expectedModel: when given, the active generation's model must be this one
    ///     (`StoreError.modelMismatch` names both otherwise).
    public static func open(at url: URL, readOnly: Bool = false, expectedModel: ModelIdentity? = nil,
                            options: Options = Options()) throws -> CollectionStore {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDir) else { throw StoreError.notFound(path: url.path) }
        guard isDir.boolValue else { throw StoreError.notACollection(path: url.path, reason: "it is a file, not a directory") }
        guard fm.fileExists(atPath: url.appendingPathComponent("data.mdb").path) else {
            throw StoreError.notACollection(path: url.path, reason: "it has no data.mdb")
        }
        let env: LMDBEnvironment
        do {
            env = try LMDBEnvironmentRegistry.shared.environment(path: url.path, readOnly: readOnly) {
                try LMDBEnvironment(path: url.path, readOnly: readOnly, mapSize: options.mapSizeOnOpen,
                                maxMapSize: options.maxMapSize, maxDatabases: 8)
            }
        } catch let e as LMDBError {
            throw mapError(e, path: url.path)
        }
        let dbs: Databases
        do {
            dbs = try env.read { txn -> Databases in
                guard let meta = try env.openDatabase(Schema.Name.meta, in: txn, create: false),
                      let magic = try txn.get(meta, Schema.MetaKey.magic), Array(magic) == Schema.magic else {
                    throw StoreError.notACollection(path: url.path, reason: "data.mdb holds no anglevec collection metadata")
                }
                guard let v = try txn.get(meta, Schema.MetaKey.schemaVersion), v.count == 4 else {
                    throw StoreError.corrupted(path: url.path, reason: "missing schema version")
                }
                let version = readBE32(v)
                guard version <= Schema.version else {
                    throw StoreError.schemaTooNew(path: url.path, found: version, supported: Schema.version)
                }
                guard let dbs = try openDatabases(env, txn, create: false) else {
                    throw StoreError.corrupted(path: url.path, reason: "a named database is missing")
                }
                return dbs
            }
        } catch let e as LMDBError {
            throw mapError(e, path: url.path)
        }
        let store = CollectionStore(url: url, readOnly: readOnly, env: env, db: dbs)
        if let expectedModel {
            let model = try store.config.model
            guard model == expectedModel else {
                throw StoreError.modelMismatch(path: url.path, collection: model, inUse: expectedModel)
            }
        }
        return store
    }

    private static func openDatabases(_ env: LMDBEnvironment, _ txn: LMDBTransaction, create: Bool) throws -> Databases? {
        func open(_ name: String) throws -> LMDBDatabase? { try env.openDatabase(name, in: txn, create: create) }
        guard let meta = try open(Schema.Name.meta), let ids = try open(Schema.Name.ids), let docs = try open(Schema.Name.docs),
              let generations = try open(Schema.Name.generations), let vectors = try open(Schema.Name.vectors),
              let changes = try open(Schema.Name.changes) else { return nil }
        return Databases(meta: meta, ids: ids, docs: docs, generations: generations, vectors: vectors, changes: changes)
    }

    static func makeGeneration(_ generation: UInt32, config: CollectionConfig) -> GenerationInfo {
        let layout = VectorBlockLayout(config: config, blockSize: 1)
        return GenerationInfo(generation: generation, config: config,
                              blockSize: VectorBlockLayout.bestBlockSize(slotBytes: layout.slotBytes),
                              createdAt: Date().timeIntervalSince1970)
    }

    // MARK: Errors

    /// Turns an LMDB failure into the store error a user can act on.
    static func mapError(_ e: LMDBError, path: String) -> StoreError {
        switch e.code {
        case MDB_MAP_FULL: return .diskFull(path: path, reason: "the map reached its size limit (\(e.message))")
        case ENOSPC: return .diskFull(path: path, reason: "no space left on device (\(e.operation))")
        case EDQUOT: return .diskFull(path: path, reason: "disk quota exceeded (\(e.operation))")
        case EFBIG: return .diskFull(path: path, reason: "file size limit exceeded (\(e.operation))")
        case EIO:
            // LMDB reports a short write (what a full disk usually produces) as EIO.
            var fs = statvfs()
            if statvfs(path, &fs) == 0 {
                let free = Int(fs.f_bavail) * Int(fs.f_frsize)
                if free < 64 << 20 { return .diskFull(path: path, reason: "only \(free >> 20) MiB free (\(e.operation): \(e.message))") }
                return .ioError(path: path, reason: "\(e.operation): \(e.message) with \(free >> 20) MiB free on disk (a file size limit, or a failing disk)")
            }
            return .ioError(path: path, reason: e.description)
        case EACCES, EPERM: return .notWritable(path: path, reason: "\(e.message) (open it read-only, or fix permissions)")
        case EROFS: return .notWritable(path: path, reason: "read-only filesystem (open it read-only)")
        case EAGAIN, EBUSY: return .notWritable(path: path, reason: "locked by another process: \(e.message)")
        case ENOLCK: return .notWritable(path: path, reason: "the filesystem does not support file locks (\(e.message))")
        case MDB_INVALID: return .notACollection(path: path, reason: "data.mdb is not an LMDB file")
        case MDB_VERSION_MISMATCH: return .notACollection(path: path, reason: "data.mdb was written by an incompatible LMDB version")
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_PANIC: return .corrupted(path: path, reason: e.description)
        default: return .lmdb(path: path, e)
        }
    }

    /// Runs a write transaction (retried on map growth), mapping LMDB errors.
    func writeTransaction<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        guard !readOnly else { throw StoreError.readOnly(path: path) }
        do {
            return try env.write(body)
        } catch let e as LMDBError {
            throw CollectionStore.mapError(e, path: path)
        }
    }

    /// Runs a read transaction, mapping LMDB errors.
    func readTransaction<T>(_ body: (LMDBTransaction) throws -> T) throws -> T {
        do {
            return try env.read(body)
        } catch let e as LMDBError {
            throw CollectionStore.mapError(e, path: path)
        }
    }

    /// Runs `body` on one consistent snapshot of the collection (a read transaction). Keep it
    /// short; do not call write methods from inside.
    public func read<T>(_ body: (CollectionSnapshot) throws -> T) throws -> T {
        try readTransaction { txn in try body(CollectionSnapshot(store: self, txn: txn)) }
    }

    // MARK: Meta

    func metaU64(_ txn: LMDBTransaction, _ key: [UInt8]) throws -> UInt64 {
        guard let v = try txn.get(db.meta, key), v.count == 8 else {
            throw StoreError.corrupted(path: path, reason: "meta key \(String(decoding: key, as: UTF8.self)) missing")
        }
        return readBE64(v)
    }

    func metaU32(_ txn: LMDBTransaction, _ key: [UInt8]) throws -> UInt32 {
        guard let v = try txn.get(db.meta, key), v.count == 4 else {
            throw StoreError.corrupted(path: path, reason: "meta key \(String(decoding: key, as: UTF8.self)) missing")
        }
        return readBE32(v)
    }

    /// Generation record (decoded JSON cached by its bytes, so repeated lookups are cheap).
    func generationInfo(_ txn: LMDBTransaction, _ generation: UInt32) throws -> GenerationInfo? {
        guard let raw = try txn.get(db.generations, beBytes(generation)) else { return nil }
        cacheLock.lock()
        if let cached = generationCache[generation], cached.raw.elementsEqual(raw) {
            cacheLock.unlock()
            return cached.info
        }
        cacheLock.unlock()
        let bytes = Array(raw)
        let info: GenerationInfo
        do {
            info = try JSONDecoder().decode(GenerationInfo.self, from: Data(bytes))
        } catch {
            throw StoreError.corrupted(path: path, reason: "generation \(generation) record: \(error)")
        }
        cacheLock.lock()
        generationCache[generation] = (bytes, info)
        cacheLock.unlock()
        return info
    }

    func activeGenerationInfo(_ txn: LMDBTransaction) throws -> GenerationInfo {
        let g = try metaU32(txn, Schema.MetaKey.activeGeneration)
        guard let info = try generationInfo(txn, g) else { throw StoreError.corrupted(path: path, reason: "active generation \(g) has no record") }
        return info
    }

    /// All generation records, ascending.
    func allGenerations(_ txn: LMDBTransaction) throws -> [GenerationInfo] {
        var out: [GenerationInfo] = []
        try txn.withCursor(db.generations) { c in
            var e = try c.first()
            while let entry = e {
                if let info = try generationInfo(txn, readBE32(entry.key)) { out.append(info) }
                e = try c.next()
            }
        }
        return out
    }

    // MARK: Config, statistics, maintenance

    /// The active generation's configuration (model, prompts, views, metric, storage).
    public var config: CollectionConfig {
        get throws { try readTransaction { try activeGenerationInfo($0).config } }
    }

    /// Throws `StoreError.modelMismatch` unless the active generation was embedded with `model`.
    public func checkModel(_ model: ModelIdentity) throws {
        let current = try config.model
        guard current == model else { throw StoreError.modelMismatch(path: path, collection: current, inUse: model) }
    }

    /// Replaces the active generation's configuration with one of the same vector layout
    /// (prompts, metric and `extensions` may change; model, pooling, dims, views and storage may not).
    public func updateConfig(_ newConfig: CollectionConfig) throws {
        try newConfig.validate()
        try writeTransaction { txn in
            var info = try activeGenerationInfo(txn)
            guard info.config.sameVectorLayout(as: newConfig) else {
                throw StoreError.invalidConfig("the new config changes the vector layout (model, pooling, dims, views or storage); create a new generation instead")
            }
            info.config = newConfig
            try txn.put(db.generations, beBytes(info.generation), Array(try JSONEncoder().encode(info)))
        }
    }

    /// Number of documents.
    public func count() throws -> Int { try read { try $0.count() } }

    /// The last change sequence number (0 before the first change).
    public func lastSeq() throws -> UInt64 { try read { try $0.lastSeq() } }

    /// Documents, file and page statistics.
    public func stats() throws -> StoreStats {
        let info = env.info()
        let pageSize = Int(env.stat().ms_psize)
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: url.appendingPathComponent("data.mdb").path)[.size] as? Int) ?? 0
        return try readTransaction { txn in
            var free = 0
            try txn.withCursor(Databases.freeList) { c in
                var e = try c.first()
                while let entry = e {
                    // A free-list value is an MDB_IDL: a size_t count followed by the page numbers.
                    if entry.value.count >= MemoryLayout<Int>.size { free += entry.value.loadUnaligned(as: Int.self) }
                    e = try c.next()
                }
            }
            let snapshot = CollectionSnapshot(store: self, txn: txn)
            return StoreStats(documents: try snapshot.count(), fileBytes: fileBytes, mapSize: info.me_mapsize, pageSize: pageSize,
                              usedPages: info.me_last_pgno + 1, freePages: free, lastSeq: try snapshot.lastSeq(),
                              activeGeneration: try metaU32(txn, Schema.MetaKey.activeGeneration))
        }
    }

    /// Writes a compacted copy of the collection (free pages dropped) to a new directory at
    /// `destination` (which must not exist, or be empty). Writers are not blocked meanwhile;
    /// the copy is a consistent snapshot.
    public func compact(to destination: URL) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: destination.path, isDirectory: &isDir) {
            guard isDir.boolValue, (try? fm.contentsOfDirectory(atPath: destination.path))?.isEmpty == true else {
                throw StoreError.alreadyExists(path: destination.path)
            }
        } else {
            do { try fm.createDirectory(at: destination, withIntermediateDirectories: true) } catch {
                throw StoreError.notWritable(path: destination.path, reason: error.localizedDescription)
            }
        }
        do {
            try env.copyCompacted(to: destination.path)
        } catch let e as LMDBError {
            throw CollectionStore.mapError(e, path: destination.path)
        }
    }

    /// Flushes to disk (commits are already durable; useful after opening with relaxed sync).
    public func sync() throws {
        do { try env.sync() } catch let e as LMDBError { throw CollectionStore.mapError(e, path: path) }
    }
}
