// HNSW insertion (hnswlib's addPoint, searchBaseLayer, getNeighborsByHeuristic2,
// mutuallyConnectNewElement) and parallel batch insertion. Locking differs from hnswlib in
// one way: a node's link lock is held only while its own list is read or written, never
// while another node's lock is taken, so insertions cannot deadlock each other.
import CKernels
import Foundation

extension HNSWIndex {
    /// Inserts `vector` under `label`; an existing label gets its vector replaced (hnswlib's updatePoint).
    public func add(_ vector: UnsafeBufferPointer<Float>, label: UInt64) throws {
        try checkVector(vector, space.dimensions, "vector for label \(label)")
        insert(vector.baseAddress!, label: label)
        compactIfNeeded()
    }

    /// Inserts `labels.count` vectors stored row-major in `vectors`, on `threads` threads
    /// (DispatchQueue.concurrentPerform, per-node locks). Validates everything before changing anything.
    public func addBatch(_ vectors: UnsafeBufferPointer<Float>, labels batchLabels: [UInt64],
                         threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        let d = space.dimensions, n = batchLabels.count
        guard vectors.count == n * d else {
            throw IndexError.dimensionMismatch(what: "batch of \(n) vectors", expected: n * d, got: vectors.count)
        }
        for i in 0..<n {
            try checkVector(UnsafeBufferPointer(rebasing: vectors[(i * d)..<((i + 1) * d)]), d, "vector \(i) (label \(batchLabels[i]))")
        }
        reserveCapacity(nodeCount + n)
        let base = vectors.baseAddress!
        let t = max(1, min(threads, n))
        batchLabels.withUnsafeBufferPointer { lp in
            if t == 1 {
                for i in 0..<n { insert(base + i * d, label: lp[i]) }
            } else {
                // Threads take the next vector from a shared counter (hnswlib's ParallelFor), so
                // the insertion order stays close to the input order. A fixed split (thread w
                // takes w, w+t, …) lets threads drift apart, and the graph measured worse for it.
                let next = InsertionCounter()
                DispatchQueue.concurrentPerform(iterations: t) { _ in
                    while true {
                        let i = next.take()
                        if i >= n { break }
                        insert(base + i * d, label: lp[i])
                    }
                }
            }
        }
        compactIfNeeded()
    }

    /// Array convenience for `addBatch`.
    public func addBatch(_ vectors: [Float], labels: [UInt64], threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        try vectors.withUnsafeBufferPointer { try addBatch($0, labels: labels, threads: threads) }
    }

    /// Inserts or replaces one validated vector, growing storage when full.
    func insert(_ v: UnsafePointer<Float>, label: UInt64) {
        while true {
            pthread_rwlock_rdlock(&structureLock)
            let done = addPoint(v, label: label)
            pthread_rwlock_unlock(&structureLock)
            if done { return }
            pthread_rwlock_wrlock(&structureLock)
            growLocked(to: elementCount + 1)
            pthread_rwlock_unlock(&structureLock)
        }
    }

    /// hnswlib's addPoint. Returns false (and changes nothing) when storage is full. Caller holds
    /// the structure lock shared.
    func addPoint(_ v: UnsafePointer<Float>, label: UInt64) -> Bool {
        let ctx = pool.get(size: capacity)
        defer { pool.put(ctx) }
        space.normalize(v, into: ctx.floats)

        pthread_mutex_lock(&labelLock)
        if let existing = labelLookup[label] {
            if deletedFlags[Int(existing)] != 0 {
                deletedFlags[Int(existing)] = 0; deletedCount -= 1; deletedSlots.remove(existing)
            }
            pthread_mutex_unlock(&labelLock)
            updatePoint(existing, ctx: ctx)
            return true
        }
        if parameters.allowReplaceDeleted, let slot = deletedSlots.popFirst() {
            labelLookup.removeValue(forKey: labels[Int(slot)])
            labelLookup[label] = slot
            labels[Int(slot)] = label
            deletedFlags[Int(slot)] = 0; deletedCount -= 1
            pthread_mutex_unlock(&labelLock)
            updatePoint(slot, ctx: ctx)
            return true
        }
        guard elementCount < capacity else { pthread_mutex_unlock(&labelLock); return false }
        let cur = UInt32(elementCount)
        elementCount += 1
        labelLookup[label] = cur
        let level = randomLevel()
        labels[Int(cur)] = label
        levels[Int(cur)] = Int32(level)
        deletedFlags[Int(cur)] = 0
        pthread_mutex_unlock(&labelLock)

        // The node is unreachable until linked: write it without its lock.
        linkList0(cur).update(repeating: 0, count: 1 + maxM0)
        space.encode(ctx.floats, into: code(cur))
        if level > 0 {
            let block = UnsafeMutableRawPointer.allocate(byteCount: level * sizeLinksUpper, alignment: 16)
            block.initializeMemory(as: UInt8.self, repeating: 0, count: level * sizeLinksUpper)
            upperLinks[Int(cur)] = block
        }
        space.prepareQuery(ctx.floats, into: ctx.query)

        pthread_mutex_lock(&globalLock)
        let maxLevelCopy = Int(maxLevel), ep = entryPoint
        let raisesTop = level > maxLevelCopy
        if !raisesTop { pthread_mutex_unlock(&globalLock) }

        if ep >= 0 {
            var curObj = UInt32(ep)
            if level < maxLevelCopy {
                curObj = greedyDescent(from: curObj, topLevel: maxLevelCopy, stopLevel: level, query: ctx.query, locking: true)
            }
            // Phase 1: choose the node's own links on every level while it is still unreachable.
            // Phase 2: add the back-links that publish it. A concurrent insertion therefore never
            // descends through a half-linked node (hnswlib holds the node's lock for the whole
            // insertion instead, which can deadlock with neighbours doing the same).
            let top = min(level, maxLevelCopy)
            var chosen = [[UInt32]](repeating: [], count: top + 1)
            for l in stride(from: top, through: 0, by: -1) {
                searchBaseLayer(entry: curObj, query: ctx.query, level: l, ctx: ctx)
                let n = connectNewElement(cur, level: l, ctx: ctx)
                chosen[l] = Array(UnsafeBufferPointer(start: ctx.selected, count: n))
                if n > 0 { curObj = ctx.selected[0] }
            }
            for l in stride(from: top, through: 0, by: -1) {
                chosen[l].withUnsafeBufferPointer { addBackLinks(to: cur, from: $0, level: l, ctx: ctx, isUpdate: false) }
            }
        }
        if raisesTop {
            entryPoint = Int32(cur); maxLevel = Int32(level)
            pthread_mutex_unlock(&globalLock)
        }
        return true
    }

    /// hnswlib's searchBaseLayer: best-first search of one level with efConstruction, locking
    /// each node while its links are read. Deleted nodes route but are not returned. → ctx.results
    func searchBaseLayer(entry ep: UInt32, query q: UnsafeRawPointer, level: Int, ctx: SearchContext) {
        let efc = parameters.efConstruction
        let tag = ctx.reset(size: capacity)
        let marks = ctx.marks
        var top = ctx.results, cand = ctx.candidates
        top.removeAll(); cand.removeAll()
        let d0 = space.distance(query: q, code: code(ep))
        var lowerBound: Float = .greatestFiniteMagnitude
        if !isDeleted(ep) { top.push(d0, ep); lowerBound = d0 }
        cand.push(-d0, ep)
        marks[Int(ep)] = tag
        let gathered = ctx.gathered
        while !cand.isEmpty {
            if -cand.topKey > lowerBound && top.count == efc { break }
            let cur = cand.topID
            cand.pop()
            lockNode(cur)
            let ll = linkList(cur, level)
            let n = min(Int(ll[0]), level == 0 ? maxM0 : maxM)
            var g = 0
            for j in 0..<n {
                let id = ll[1 + j]
                if marks[Int(id)] == tag { continue }
                marks[Int(id)] = tag
                gathered[g] = id; g += 1
                ck_prefetch_range(code(id), min(space.codeBytes, 128))
            }
            unlockNode(cur)
            for j in 0..<g {
                let id = gathered[j]
                let d = space.distance(query: q, code: code(id))
                if top.count < efc || lowerBound > d {
                    cand.push(-d, id)
                    if !isDeleted(id) { top.push(d, id) }
                    if top.count > efc { top.pop() }
                    if !top.isEmpty { lowerBound = top.topKey }
                }
            }
        }
        ctx.results = top; ctx.candidates = cand
    }

    /// Distances at or below this are exact duplicates (rounding of 1 − x·x for identical unit vectors).
    static let duplicateDistance: Float = 1e-6

    /// hnswlib's getNeighborsByHeuristic2 (the paper's Algorithm 4 without extension or pruned
    /// fill-up): take candidates closest first, keep one only if it is closer to the base than to
    /// every already kept neighbour. Consumes `heap` (a max-heap of distance to the base);
    /// writes up to `m` ids, closest first, and returns how many.
    func neighborsByHeuristic(_ heap: inout DistanceHeap, m: Int, work: inout DistanceHeap,
                              ids out: UnsafeMutablePointer<UInt32>, distances outD: UnsafeMutablePointer<Float>) -> Int {
        if heap.count < m {
            let n = heap.count
            var i = n - 1
            while !heap.isEmpty { out[i] = heap.topID; outD[i] = heap.topKey; heap.pop(); i -= 1 }
            return n
        }
        work.removeAll()
        while !heap.isEmpty { work.push(-heap.topKey, heap.topID); heap.pop() }
        var kept = 0
        while !work.isEmpty && kept < m {
            let d = -work.topKey, id = work.topID
            work.pop()
            let c = code(id)
            var good = true
            for s in 0..<kept {
                // hnswlib keeps a candidate as near to a kept neighbour as to the base; for exact
                // duplicates of the base (both distances ~0) that fills the list with copies and cuts the
                // group off from the rest of the graph, so one copy is kept and the others pruned.
                let toKept = space.distance(code: code(out[s]), code: c)
                if toKept < d || (toKept == d && d <= HNSWIndex.duplicateDistance) { good = false; break }
            }
            if good { out[kept] = id; outD[kept] = d; kept += 1 }
        }
        work.removeAll()
        return kept
    }

    /// First half of hnswlib's mutuallyConnectNewElement: sets `cur`'s links at `level` to the
    /// heuristic's pick among ctx.results. Writes the pick to ctx.selected (closest first) and
    /// returns its size.
    func connectNewElement(_ cur: UInt32, level: Int, ctx: SearchContext) -> Int {
        var top = ctx.results, work = ctx.candidates
        defer { ctx.results = top; ctx.candidates = work }
        let sel = ctx.selected
        let nSel = neighborsByHeuristic(&top, m: maxM, work: &work, ids: sel, distances: ctx.selectedDistances)
        guard nSel > 0 else { return 0 }
        lockNode(cur)
        let own = linkList(cur, level)
        for i in 0..<nSel { own[1 + i] = sel[i] }
        own[0] = UInt32(nSel)
        unlockNode(cur)
        return nSel
    }

    /// Second half of mutuallyConnectNewElement: adds `cur` to each neighbour's list at `level`,
    /// shrinking full lists with the heuristic (which may drop `cur` again).
    func addBackLinks(to cur: UInt32, from neighbours: UnsafeBufferPointer<UInt32>, level: Int, ctx: SearchContext, isUpdate: Bool) {
        let mCurMax = level == 0 ? maxM0 : maxM
        var work = ctx.candidates, scratch = ctx.scratch
        defer { ctx.candidates = work; ctx.scratch = scratch }
        let curCode = code(cur)
        for other in neighbours {
            if other == cur { continue }
            lockNode(other)
            let ll = linkList(other, level)
            let sz = Int(ll[0])
            var present = false
            if isUpdate { for j in 0..<sz where ll[1 + j] == cur { present = true; break } }
            if !present {
                if sz < mCurMax {
                    ll[1 + sz] = cur
                    ll[0] = UInt32(sz + 1)
                } else {
                    // Full: choose the best mCurMax among the old neighbours and `cur`.
                    let otherCode = code(other)
                    scratch.removeAll()
                    scratch.push(space.distance(code: curCode, code: otherCode), cur)
                    for j in 0..<sz { let x = ll[1 + j]; scratch.push(space.distance(code: code(x), code: otherCode), x) }
                    let kept = neighborsByHeuristic(&scratch, m: mCurMax, work: &work, ids: ctx.shrunk, distances: ctx.shrunkDistances)
                    for j in 0..<kept { ll[1 + j] = ctx.shrunk[j] }
                    ll[0] = UInt32(kept)
                }
            }
            unlockNode(other)
        }
    }

    /// hnswlib's mutuallyConnectNewElement for an already reachable node (updates): own links,
    /// then back-links. Returns the closest selected neighbour (the next level's entry point).
    func mutuallyConnectNewElement(_ cur: UInt32, level: Int, ctx: SearchContext, isUpdate: Bool) -> UInt32 {
        let n = connectNewElement(cur, level: level, ctx: ctx)
        guard n > 0 else { return cur }
        let closest = ctx.selected[0]
        let copy = Array(UnsafeBufferPointer(start: ctx.selected, count: n))
        copy.withUnsafeBufferPointer { addBackLinks(to: cur, from: $0, level: level, ctx: ctx, isUpdate: isUpdate) }
        return closest
    }
}

/// The next row to insert, shared by the threads of `addBatch`.
private final class InsertionCounter: @unchecked Sendable {
    private var value = 0
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }
    func take() -> Int {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        value += 1
        return value - 1
    }
}
