import Foundation

/// The HNSW graph over one stored vector view, derived from the store and never trusted blindly.
///
/// Persisted as a snapshot file in the collection directory that records the store change
/// sequence it reflects. Loading: a missing, corrupt or foreign snapshot (wrong dims/metric, a
/// sequence ahead of the store, a count that disagrees after catching up) is rebuilt from the
/// store; a snapshot behind the store is caught up by replaying `changes(since:)`. Replaying sets
/// each touched label to its *current* stored vector (or removes it), so it is idempotent and
/// converges whatever interleaving of writers produced the changes.
final class DerivedIndex: @unchecked Sendable {
    /// How the graph was obtained on load.
    enum Origin: Equatable, CustomStringConvertible {
        case snapshot(replayed: Int)
        case rebuilt(reason: String)
        var description: String {
            switch self {
            case .snapshot(let n): return n == 0 ? "snapshot (current)" : "snapshot + \(n) replayed changes"
            case .rebuilt(let r): return "rebuilt from the store (\(r))"
            }
        }
    }

    let store: CollectionStore
    /// The store view the graph indexes (`full` or a coarse view's name).
    let view: String
    let dims: Int
    let metric: Metric
    let parameters: HNSWParameters
    let snapshotURL: URL
    private(set) var origin: Origin = .rebuilt(reason: "not loaded")

    private let referenceLock = NSLock()
    private var current: HNSWIndex
    /// Serializes catch-up, rebuild and save (searches never wait for it).
    private let syncLock = NSLock()

    /// The graph (a stable reference for one search).
    var hnsw: HNSWIndex { referenceLock.lock(); defer { referenceLock.unlock() }; return current }

    /// The change sequence the graph reflects.
    var changeSequence: UInt64 { hnsw.changeSequence }
    /// The change sequence of the snapshot on disk as far as this process knows (nil: none/unusable).
    private(set) var savedSequence: UInt64?

    /// Whether the graph holds changes the snapshot on disk does not.
    var isDirty: Bool { savedSequence != hnsw.changeSequence }

    static func snapshotName(view: String) -> String { "index-\(view).hnsw" }

    init(store: CollectionStore, view: String, dims: Int, metric: Metric, parameters: HNSWParameters) throws {
        self.store = store
        self.view = view
        self.dims = dims
        self.metric = metric
        self.parameters = parameters
        self.snapshotURL = store.url.appendingPathComponent(DerivedIndex.snapshotName(view: view))
        current = try HNSWIndex(dimensions: dims, metric: metric, parameters: parameters)
        try load()
    }

    // MARK: Loading

    private func load() throws {
        syncLock.lock(); defer { syncLock.unlock() }
        guard FileManager.default.fileExists(atPath: snapshotURL.path) else { try rebuildLocked(reason: "no snapshot"); return }
        let loaded: HNSWIndex
        do {
            loaded = try HNSWIndex.open(snapshot: snapshotURL, verification: .full)
        } catch {
            try rebuildLocked(reason: "snapshot unusable: \(error)")
            return
        }
        guard loaded.space.dimensions == dims, loaded.space.metric == metric else {
            try rebuildLocked(reason: "snapshot has \(loaded.space.dimensions) dims/\(loaded.space.metric), expected \(dims)/\(metric)")
            return
        }
        let last = try store.lastSeq()
        guard loaded.changeSequence <= last else {
            try rebuildLocked(reason: "snapshot is at change \(loaded.changeSequence), ahead of the store (\(last))")
            return
        }
        loaded.ef = parameters.ef
        setCurrent(loaded)
        savedSequence = loaded.changeSequence
        let replayed: Int
        do {
            replayed = try catchUpLocked()
        } catch let reason as RebuildNeeded {
            try rebuildLocked(reason: reason.description)
            return
        }
        let documents = try store.count()
        guard loaded.count == documents else {
            try rebuildLocked(reason: "snapshot + replay holds \(loaded.count) vectors, the store \(documents) documents")
            return
        }
        origin = .snapshot(replayed: replayed)
    }

    /// Replay cannot bring the graph up to date.
    private enum RebuildNeeded: Error, CustomStringConvertible {
        case generationChanged
        /// The change log was pruned past the graph's sequence (`CollectionStore.pruneChanges`).
        case changesPruned(after: UInt64, firstAvailable: UInt64?)
        var description: String {
            switch self {
            case .generationChanged: return "the active vector generation changed"
            case let .changesPruned(after, first):
                return "changes after \(after) were pruned from the store's log" + (first.map { " (the oldest left is \($0))" } ?? "")
            }
        }
    }

    private func setCurrent(_ index: HNSWIndex) {
        referenceLock.lock(); current = index; referenceLock.unlock()
    }

    /// Builds a fresh graph from the store's vectors of `view`.
    func rebuild(reason: String) throws {
        syncLock.lock(); defer { syncLock.unlock() }
        try rebuildLocked(reason: reason)
    }

    private func rebuildLocked(reason: String) throws {
        let start = try store.lastSeq()
        let count = try store.count()
        let index = try HNSWIndex(dimensions: dims, metric: metric, parameters: parameters, capacity: max(count, 16))
        var after: UInt64? = nil
        while true {
            let batch = try store.scanVectors(view: view, after: after, limit: 8192)
            guard let last = batch.ids.last else { break }
            try index.addBatch(batch.vectors, labels: batch.ids)
            after = last
        }
        index.changeSequence = start
        setCurrent(index)
        // Writes committed while scanning are replayed (idempotent: labels are set to their current vectors).
        do {
            _ = try catchUpLocked()
        } catch is RebuildNeeded {
            try rebuildLocked(reason: reason)
            return
        }
        origin = .rebuilt(reason: reason)
    }

    // MARK: Catching up

    /// Applies store changes newer than the graph; returns how many were applied. Cheap when
    /// there are none (one read transaction).
    @discardableResult
    func catchUp() throws -> Int {
        if try store.lastSeq() == hnsw.changeSequence { return 0 }
        syncLock.lock(); defer { syncLock.unlock() }
        do {
            return try catchUpLocked()
        } catch let reason as RebuildNeeded {
            try rebuildLocked(reason: reason.description)
            return 0
        }
    }

    private func catchUpLocked() throws -> Int {
        let index = hnsw
        var applied = 0
        while true {
            // Changes and the vectors they lead to, read in one transaction: a consistent state.
            let since = index.changeSequence
            let (changes, updates) = try store.read { snapshot -> ([Change], [(UInt64, [Float]?)]) in
                let changes = try snapshot.changes(since: since, limit: 4096)
                // A gap means entries were pruned before this graph applied them: replay would miss them.
                if let first = changes.first, first.seq != since + 1 {
                    throw RebuildNeeded.changesPruned(after: since, firstAvailable: first.seq)
                }
                if changes.isEmpty, try snapshot.lastSeq() > since {
                    throw RebuildNeeded.changesPruned(after: since, firstAvailable: nil)
                }
                var seen = Set<UInt64>()
                var updates: [(UInt64, [Float]?)] = []
                for change in changes {
                    if change.operation == .activateGeneration { throw RebuildNeeded.generationChanged }
                    guard seen.insert(change.internalID).inserted else { continue }
                    updates.append((change.internalID, try snapshot.vector(internalID: change.internalID, view: view)))
                }
                return (changes, updates)
            }
            guard let last = changes.last else { return applied }
            for (label, vector) in updates {
                if let vector {
                    try index.add(vector, label: label)
                } else if index.contains(label: label) {
                    try index.remove(label: label)
                }
            }
            index.changeSequence = last.seq
            applied += changes.count
        }
    }

    // MARK: Saving

    /// Writes the snapshot atomically (temp file + rename): a crash leaves the previous one.
    func save() throws {
        syncLock.lock(); defer { syncLock.unlock() }
        let index = hnsw
        let sequence = index.changeSequence
        try index.writeSnapshot(to: snapshotURL, changeSequence: sequence)
        savedSequence = sequence
    }

    /// Rebuilds the graph without deleted nodes (after many deletes).
    func compact() {
        syncLock.lock(); defer { syncLock.unlock() }
        hnsw.compact()
    }
}
