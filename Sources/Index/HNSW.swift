// Hierarchical Navigable Small World graph (Malkov & Yashunin, 2018), following hnswlib's
// hnswalg.h: names, defaults and memory layout. Level-0 links and vector codes live in one
// flat block (hnswlib's data_level0_memory_), one fixed-size row per node:
//   [UInt32 link count][maxM0 × UInt32 links][vector code]
// so the block can be written to and memory-mapped from a snapshot as is. Upper-level links
// (only ~1/M of nodes have any) are one small block per node. Labels, levels and deleted
// flags are separate arrays so opening a snapshot does not touch every row.
import CKernels
import Foundation

/// Construction and search parameters (hnswlib's names and defaults).
public struct HNSWParameters: Sendable {
    /// Links per node on upper levels (maxM); level 0 keeps 2·M (maxM0).
    public var M = 16
    /// Size of the dynamic candidate list while inserting.
    public var efConstruction = 200
    /// Default size of the dynamic candidate list while searching (raised to k when smaller).
    public var ef = 10
    /// Seed of the level generator: the same seed and insertion order give the same graph.
    public var seed: UInt64 = 100
    /// How vectors are stored.
    public var storage: VectorStorage = .f32
    /// Reuse the slots of deleted nodes for new labels (hnswlib's allow_replace_deleted).
    public var allowReplaceDeleted = true
    /// Rebuild the graph when deleted nodes exceed this fraction of all nodes (nil: never automatically).
    public var compactionThreshold: Double? = 0.5
    /// Filtered searches whose estimated number of matching labels is at most this scan the
    /// matches exactly instead of walking the graph.
    public var exactFilterLimit = 2048
    /// …and so do filtered searches that match at most this fraction of the index.
    public var exactFilterSelectivity = 0.03

    public init(M: Int = 16, efConstruction: Int = 200, ef: Int = 10, seed: UInt64 = 100,
                storage: VectorStorage = .f32, allowReplaceDeleted: Bool = true) {
        self.M = M; self.efConstruction = efConstruction; self.ef = ef; self.seed = seed
        self.storage = storage; self.allowReplaceDeleted = allowReplaceDeleted
    }
}

/// An HNSW approximate nearest-neighbour index. Thread-safe: any number of concurrent searches,
/// insertions (per-node locks, as hnswlib), deletions and updates. Adding the same label from two
/// threads at once is the caller's race (the later vector wins or the graph links are slightly worse).
public final class HNSWIndex: VectorIndex, @unchecked Sendable {
    /// Dimensions, metric and storage of the vectors.
    public let space: VectorSpace
    /// The parameters the index was built with.
    public let parameters: HNSWParameters
    let maxM: Int
    let maxM0: Int
    let mult: Double
    let sizeLinks0: Int
    let sizeLinksUpper: Int
    let offsetData: Int
    let sizePerElement: Int

    /// Search-time ef (hnswlib's setEf). Values below k are raised to k per search.
    public var ef: Int

    /// The store change sequence this index reflects (saved in snapshots).
    public var changeSequence: UInt64 = 0

    // Storage (all guarded by `structureLock`: shared for use, exclusive for resize/compaction).
    var level0: UnsafeMutableRawPointer
    /// When level0 points into a memory-mapped snapshot: the mapping to unmap.
    var mapping: (base: UnsafeMutableRawPointer, length: Int)?
    var labels: UnsafeMutablePointer<UInt64>
    var levels: UnsafeMutablePointer<Int32>
    var deletedFlags: UnsafeMutablePointer<UInt8>
    var upperLinks: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    var linkLocks: UnsafeMutablePointer<pthread_mutex_t>
    var capacity: Int

    // Guarded by `labelLock`.
    var elementCount = 0
    var deletedCount = 0
    var deletedSlots = Set<UInt32>()
    var labelLookup: [UInt64: UInt32] = [:]
    var rngState: UInt64

    // Guarded by `globalLock` for writers; read racily by searches as in hnswlib.
    var entryPoint: Int32 = -1
    var maxLevel: Int32 = -1

    var structureLock = pthread_rwlock_t()
    var labelLock = pthread_mutex_t()
    var globalLock = pthread_mutex_t()
    let pool: SearchContextPool

    /// An empty index for `dimensions`-long vectors compared with `metric`.
    public init(dimensions: Int, metric: Metric, parameters: HNSWParameters = HNSWParameters(), capacity: Int = 1024) throws {
        guard dimensions > 0 else { throw IndexError.invalidParameter(name: "dimensions", reason: "must be > 0") }
        guard parameters.M >= 2 && parameters.M <= 2048 else { throw IndexError.invalidParameter(name: "M", reason: "must be in 2...2048, got \(parameters.M)") }
        guard parameters.efConstruction >= 1 else { throw IndexError.invalidParameter(name: "efConstruction", reason: "must be ≥ 1") }
        space = VectorSpace(dimensions: dimensions, metric: metric, storage: parameters.storage)
        self.parameters = parameters
        maxM = parameters.M
        maxM0 = 2 * parameters.M
        mult = 1 / log(Double(parameters.M))
        ef = max(1, parameters.ef)
        sizeLinks0 = 4 + maxM0 * 4
        sizeLinksUpper = 4 + maxM * 4
        offsetData = sizeLinks0
        sizePerElement = sizeLinks0 + space.codeBytes
        rngState = parameters.seed
        self.capacity = max(capacity, 1)
        level0 = HNSWIndex.allocateLevel0(byteCount: self.capacity * sizePerElement)
        labels = .allocate(capacity: self.capacity)
        levels = .allocate(capacity: self.capacity)
        deletedFlags = .allocate(capacity: self.capacity)
        upperLinks = .allocate(capacity: self.capacity)
        upperLinks.initialize(repeating: nil, count: self.capacity)
        linkLocks = .allocate(capacity: self.capacity)
        for i in 0..<self.capacity { pthread_mutex_init(linkLocks + i, nil) }
        pool = SearchContextPool(space: space, maxDegree: maxM0)
        pthread_rwlock_init(&structureLock, nil)
        pthread_mutex_init(&labelLock, nil)
        pthread_mutex_init(&globalLock, nil)
    }

    deinit {
        freeStorage()
        pthread_rwlock_destroy(&structureLock)
        pthread_mutex_destroy(&labelLock)
        pthread_mutex_destroy(&globalLock)
    }

    func freeStorage() {
        for i in 0..<elementCount { upperLinks[i]?.deallocate() }
        if let m = mapping { munmap(m.base, m.length) } else { level0.deallocate() }
        labels.deallocate(); levels.deallocate(); deletedFlags.deallocate(); upperLinks.deallocate()
        for i in 0..<capacity { pthread_mutex_destroy(linkLocks + i) }
        linkLocks.deallocate()
    }

    // MARK: - Introspection

    /// Live (not deleted) vectors.
    public var count: Int { withLabelLock { elementCount - deletedCount } }
    /// Nodes in the graph, deleted ones included.
    public var nodeCount: Int { withLabelLock { elementCount } }
    /// Nodes marked deleted and not yet reused or compacted away.
    public var deletedNodeCount: Int { withLabelLock { deletedCount } }
    /// Bytes held by vectors and links (excluding the label dictionary).
    public var memoryBytes: Int {
        pthread_rwlock_rdlock(&structureLock); defer { pthread_rwlock_unlock(&structureLock) }
        var upper = 0
        for i in 0..<elementCount where levels[i] > 0 { upper += Int(levels[i]) * sizeLinksUpper }
        return capacity * (sizePerElement + 8 + 4 + 1 + 8 + MemoryLayout<pthread_mutex_t>.size) + upper
    }

    public func contains(label: UInt64) -> Bool {
        withLabelLock {
            guard let id = labelLookup[label] else { return false }
            return deletedFlags[Int(id)] == 0
        }
    }

    /// The stored vector of `label`, decoded to floats (normalized for cosine), or nil.
    public func vector(label: UInt64) -> [Float]? {
        pthread_rwlock_rdlock(&structureLock); defer { pthread_rwlock_unlock(&structureLock) }
        guard let id = withLabelLock({ labelLookup[label] }), deletedFlags[Int(id)] == 0 else { return nil }
        return [Float](unsafeUninitializedCapacity: space.dimensions) { b, n in
            space.decode(code(id), into: b.baseAddress!); n = space.dimensions
        }
    }

    /// All live labels (order unspecified).
    public var allLabels: [UInt64] {
        withLabelLock { labelLookup.compactMap { deletedFlags[Int($0.value)] == 0 ? $0.key : nil } }
    }

    @inline(__always)
    func withLabelLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&labelLock); defer { pthread_mutex_unlock(&labelLock) }
        return try body()
    }

    // MARK: - Memory layout accessors

    @inline(__always) func linkList0(_ id: UInt32) -> UnsafeMutablePointer<UInt32> {
        (level0 + Int(id) * sizePerElement).assumingMemoryBound(to: UInt32.self)
    }
    @inline(__always) func linkList(_ id: UInt32, _ level: Int) -> UnsafeMutablePointer<UInt32> {
        level == 0 ? linkList0(id)
            : (upperLinks[Int(id)]! + (level - 1) * sizeLinksUpper).assumingMemoryBound(to: UInt32.self)
    }
    @inline(__always) func code(_ id: UInt32) -> UnsafeMutableRawPointer {
        level0 + Int(id) * sizePerElement + offsetData
    }
    @inline(__always) func isDeleted(_ id: UInt32) -> Bool { deletedFlags[Int(id)] != 0 }
    @inline(__always) func lockNode(_ id: UInt32) { pthread_mutex_lock(linkLocks + Int(id)) }
    @inline(__always) func unlockNode(_ id: UInt32) { pthread_mutex_unlock(linkLocks + Int(id)) }

    /// hnswlib's getRandomLevel: floor(−ln(U(0,1)) · mult), from a seeded SplitMix64. Caller holds labelLock.
    func randomLevel() -> Int {
        rngState &+= 0x9E37_79B9_7F4A_7C15
        var z = rngState
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let u = (Double(z >> 11) + 1) / 9007199254740993.0 // (0, 1]
        return Int(-log(u) * mult)
    }

    // MARK: - Capacity

    /// Allocates the level-0 block. A block of several MB is 2 MB-aligned and marked for
    /// transparent huge pages (madvise): searches read rows at random, and with 4 KB pages
    /// nearly every vector read of a 100k × 384-d index also misses the TLB (a two-dimensional
    /// page walk under a hypervisor). Freed with `deallocate()` like any other block.
    static func allocateLevel0(byteCount: Int) -> UnsafeMutableRawPointer {
        let huge = 2 << 20
        guard byteCount >= 4 * huge else { return .allocate(byteCount: byteCount, alignment: 64) }
        let rounded = (byteCount + huge - 1) & ~(huge - 1)
        let p = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: huge)
        #if os(Linux)
        _ = madvise(p, rounded, MADV_HUGEPAGE) // a hint: without THP support the block works as is
        #endif
        return p
    }

    /// Grows storage so at least `needed` nodes fit. Takes the structure lock exclusively.
    public func reserveCapacity(_ needed: Int) {
        pthread_rwlock_wrlock(&structureLock); defer { pthread_rwlock_unlock(&structureLock) }
        growLocked(to: needed)
    }

    func growLocked(to needed: Int) {
        guard needed > capacity else { return }
        let newCap = max(needed, capacity + capacity / 2)
        let n = elementCount
        let nl0 = HNSWIndex.allocateLevel0(byteCount: newCap * sizePerElement)
        nl0.copyMemory(from: level0, byteCount: n * sizePerElement)
        if let m = mapping { munmap(m.base, m.length); mapping = nil } else { level0.deallocate() }
        level0 = nl0
        labels = regrow(labels, n, newCap)
        levels = regrow(levels, n, newCap)
        deletedFlags = regrow(deletedFlags, n, newCap)
        let nu = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: newCap)
        nu.initialize(repeating: nil, count: newCap)
        nu.update(from: upperLinks, count: n)
        upperLinks.deallocate(); upperLinks = nu
        // Mutexes are not movable: fresh ones (none is held under the exclusive structure lock).
        for i in 0..<capacity { pthread_mutex_destroy(linkLocks + i) }
        linkLocks.deallocate()
        linkLocks = .allocate(capacity: newCap)
        for i in 0..<newCap { pthread_mutex_init(linkLocks + i, nil) }
        capacity = newCap
    }

    private func regrow<T>(_ p: UnsafeMutablePointer<T>, _ n: Int, _ c: Int) -> UnsafeMutablePointer<T> {
        let q = UnsafeMutablePointer<T>.allocate(capacity: c)
        q.moveInitialize(from: p, count: n)
        p.deallocate()
        return q
    }

    // MARK: - Search (read path: no locks on nodes, as hnswlib's searchKnn)

    /// Greedy descent through the upper layers from the entry point down to `stopLevel`+1.
    @inline(__always)
    func greedyDescent(from ep: UInt32, topLevel: Int, stopLevel: Int, query q: UnsafeRawPointer, locking: Bool) -> UInt32 {
        var cur = ep
        var curDist = space.distance(query: q, code: code(cur))
        var level = topLevel
        while level > stopLevel {
            var changed = true
            while changed {
                changed = false
                let node = cur
                if locking { lockNode(node) }
                let ll = linkList(node, level)
                let n = min(Int(ll[0]), level == 0 ? maxM0 : maxM)
                for j in 0..<n { ck_prefetch(code(ll[1 + j])) } // overlap the neighbours' first loads
                for j in 0..<n {
                    let cand = ll[1 + j]
                    let d = space.distance(query: q, code: code(cand))
                    if d < curDist { curDist = d; cur = cand; changed = true }
                }
                if locking { unlockNode(node) }
            }
            level -= 1
        }
        return cur
    }

    /// hnswlib's searchBaseLayerST: best-first search of level 0 with a bound of `ef` results.
    /// Deleted nodes and nodes rejected by `filter` are traversed but never returned; while fewer
    /// than `ef` acceptable results are known the search keeps widening. Results: `ctx.results`.
    func searchBaseLayerST(entry ep: UInt32, query q: UnsafeRawPointer, ef: Int, ctx: SearchContext,
                           filter: ((UInt64) -> Bool)?) {
        let tag = ctx.reset(size: capacity)
        let marks = ctx.marks
        var top = ctx.results, cand = ctx.candidates
        top.removeAll(); cand.removeAll()
        let hasDeletions = deletedCount > 0
        let plain = filter == nil && !hasDeletions
        let gathered = ctx.gathered
        let level0 = self.level0, stride = sizePerElement, offsetData = self.offsetData
        let prefetchBytes = min(space.codeBytes, 128)
        let space = self.space

        let d0 = space.distance(query: q, code: code(ep))
        var lowerBound: Float
        if (!hasDeletions || !isDeleted(ep)) && (filter == nil || filter!(labels[Int(ep)])) {
            top.push(d0, ep); lowerBound = d0
        } else {
            lowerBound = .greatestFiniteMagnitude
        }
        cand.push(-d0, ep)
        marks[Int(ep)] = tag

        while !cand.isEmpty {
            let cd = -cand.topKey
            if cd > lowerBound && (top.count == ef || plain) { break }
            let cur = cand.topID
            cand.pop()
            let ll = (level0 + Int(cur) * stride).assumingMemoryBound(to: UInt32.self)
            let n = min(Int(ll[0]), maxM0) // never trust a count past the row (mapped files)
            // Gather unvisited neighbours first and prefetch the head of each vector, so the
            // memory loads overlap instead of stalling one distance at a time (the hardware
            // streamer fetches the rest; prefetching whole vectors measured ~2× slower at 128-d;
            // at 100k × 384-d, hnswlib's rolling prefetch of the next neighbour's first line, or
            // of its whole vector, measured the same as this).
            var g = 0
            var j = 1
            while j <= n {
                let id = ll[j]
                j += 1
                if marks[Int(id)] == tag { continue }
                marks[Int(id)] = tag
                gathered[g] = id; g += 1
                ck_prefetch_range(level0 + Int(id) * stride + offsetData, prefetchBytes)
            }
            for j in 0..<g {
                let id = gathered[j]
                let d = space.distance(query: q, code: level0 + Int(id) * stride + offsetData)
                if top.count < ef || lowerBound > d {
                    cand.push(-d, id)
                    ck_prefetch(level0 + Int(cand.topID) * stride)
                    if plain || ((!hasDeletions || !isDeleted(id)) && (filter == nil || filter!(labels[Int(id)]))) {
                        top.push(d, id)
                    }
                    if top.count > ef { top.pop() }
                    if !top.isEmpty { lowerBound = top.topKey }
                }
            }
        }
        ctx.results = top; ctx.candidates = cand
    }

    /// The `k` nearest live vectors to `query`, closest first.
    /// - Parameters:
    ///   - ef: candidate list size for this search (default: the index's `ef`); raised to `k`.
    ///   - filter: only labels for which it returns true are returned (hnswlib's BaseFilterFunctor).
    ///     Very selective filters switch to an exact scan of the matching labels.
    public func search(_ query: UnsafeBufferPointer<Float>, k: Int, ef: Int? = nil,
                       filter: ((UInt64) -> Bool)? = nil) throws -> [SearchResult] {
        try checkVector(query, space.dimensions, "query")
        guard k > 0 else { return [] }
        pthread_rwlock_rdlock(&structureLock); defer { pthread_rwlock_unlock(&structureLock) }
        let ctx = pool.get(size: capacity)
        defer { pool.put(ctx) }
        space.normalize(query.baseAddress!, into: ctx.floats)
        space.prepareQuery(ctx.floats, into: ctx.query)
        let ep = entryPoint
        guard ep >= 0 else { return [] }
        var efSearch = max(ef ?? self.ef, k)
        if let filter {
            let (selectivity, estimate) = estimateSelectivity(filter)
            if estimate <= Double(parameters.exactFilterLimit) || selectivity <= parameters.exactFilterSelectivity {
                exactScan(query: ctx.query, k: k, ctx: ctx, filter: filter)
                return drain(ctx, k: k)
            }
            // Fewer acceptable nodes per visited node: widen the beam (≈ 1/√selectivity).
            efSearch = min(Int(Double(efSearch) / selectivity.squareRoot()), max(efSearch, elementCount))
        }
        let start = greedyDescent(from: UInt32(ep), topLevel: Int(maxLevel), stopLevel: 0, query: ctx.query, locking: false)
        searchBaseLayerST(entry: start, query: ctx.query, ef: efSearch, ctx: ctx, filter: filter)
        return drain(ctx, k: k)
    }

    /// `VectorIndex` search with the index's default `ef`.
    public func search(_ query: UnsafeBufferPointer<Float>, k: Int, filter: ((UInt64) -> Bool)?) throws -> [SearchResult] {
        try search(query, k: k, ef: nil, filter: filter)
    }

    /// Array convenience with an explicit ef.
    public func search(_ query: [Float], k: Int, ef: Int?, filter: ((UInt64) -> Bool)? = nil) throws -> [SearchResult] {
        try query.withUnsafeBufferPointer { try search($0, k: k, ef: ef, filter: filter) }
    }

    /// Exact search restricted to `candidates` (labels the caller already knows match, e.g. from a
    /// store-side filter). Unknown or deleted labels are skipped.
    public func search(_ query: UnsafeBufferPointer<Float>, k: Int, candidates: [UInt64]) throws -> [SearchResult] {
        try checkVector(query, space.dimensions, "query")
        guard k > 0 else { return [] }
        pthread_rwlock_rdlock(&structureLock); defer { pthread_rwlock_unlock(&structureLock) }
        let ctx = pool.get(size: capacity)
        defer { pool.put(ctx) }
        space.normalize(query.baseAddress!, into: ctx.floats)
        space.prepareQuery(ctx.floats, into: ctx.query)
        let ids: [UInt32] = withLabelLock { candidates.compactMap { labelLookup[$0] } }
        var top = ctx.results
        top.removeAll()
        for id in ids where !isDeleted(id) {
            let d = space.distance(query: ctx.query, code: code(id))
            if top.count < k { top.push(d, id) } else if d < top.topKey { top.pop(); top.push(d, id) }
        }
        ctx.results = top
        return drain(ctx, k: k)
    }

    /// Fraction of live sampled nodes accepted by `filter` and the implied number of matches.
    func estimateSelectivity(_ filter: (UInt64) -> Bool) -> (Double, Double) {
        let n = elementCount
        guard n > 0 else { return (0, 0) }
        let samples = min(n, 512)
        var seen = 0, hits = 0
        for s in 0..<samples {
            let id = s * n / samples
            if deletedFlags[id] != 0 { continue }
            seen += 1
            if filter(labels[id]) { hits += 1 }
        }
        guard seen > 0 else { return (0, 0) }
        let sel = Double(hits) / Double(seen)
        return (sel, sel * Double(n - deletedCount))
    }

    /// Exact k-NN over the live nodes accepted by `filter` (results in ctx.results).
    func exactScan(query q: UnsafeRawPointer, k: Int, ctx: SearchContext, filter: (UInt64) -> Bool) {
        var top = ctx.results
        top.removeAll()
        for i in 0..<elementCount where deletedFlags[i] == 0 && filter(labels[i]) {
            let d = space.distance(query: q, code: code(UInt32(i)))
            if top.count < k { top.push(d, UInt32(i)) } else if d < top.topKey { top.pop(); top.push(d, UInt32(i)) }
        }
        ctx.results = top
    }

    /// Pops the result heap into the k closest results, closest first.
    func drain(_ ctx: SearchContext, k: Int) -> [SearchResult] {
        var top = ctx.results
        while top.count > k { top.pop() }
        let n = top.count
        let out = [SearchResult](unsafeUninitializedCapacity: n) { b, c in
            var i = n - 1
            while !top.isEmpty {
                b[i] = SearchResult(label: labels[Int(top.topID)], distance: top.topKey)
                top.pop(); i -= 1
            }
            c = n
        }
        ctx.results = top
        return out
    }
}
