// Deletes, updates and compaction (hnswlib's markDelete, unmarkDelete, updatePoint,
// repairConnectionsForUpdate). A deleted node keeps its links so searches still route through
// it; its slot is reused by the next new label (allow_replace_deleted), and once deleted nodes
// pass `compactionThreshold` the graph is rebuilt from the live vectors.
import Foundation

extension HNSWIndex {
    /// Marks `label` deleted: it is never returned again but still routes searches.
    /// Throws `unknownLabel` when it is absent or already deleted.
    public func remove(label: UInt64) throws {
        try markDeleted(label: label)
        compactIfNeeded()
    }

    /// hnswlib's markDelete, without the automatic compaction of `remove`.
    public func markDeleted(label: UInt64) throws {
        try withLabelLock {
            guard let id = labelLookup[label], deletedFlags[Int(id)] == 0 else { throw IndexError.unknownLabel(label) }
            deletedFlags[Int(id)] = 1
            deletedCount += 1
            deletedSlots.insert(id)
        }
    }

    /// hnswlib's unmarkDelete: makes a deleted label searchable again with its old vector.
    public func unmarkDeleted(label: UInt64) throws {
        try withLabelLock {
            guard let id = labelLookup[label], deletedFlags[Int(id)] != 0 else { throw IndexError.unknownLabel(label) }
            deletedFlags[Int(id)] = 0
            deletedCount -= 1
            deletedSlots.remove(id)
        }
    }

    /// Connections of `id` at `level`, copied under its lock (hnswlib's getConnectionsWithLock).
    func connections(_ id: UInt32, level: Int) -> [UInt32] {
        lockNode(id); defer { unlockNode(id) }
        let ll = linkList(id, level)
        return Array(UnsafeBufferPointer(start: ll + 1, count: Int(ll[0])))
    }

    /// hnswlib's updatePoint with updateNeighborProbability = 1: stores the new vector (in
    /// ctx.floats, normalized) at `id`, re-selects the links of its neighbours among their
    /// two-hop neighbourhood, then re-links `id` itself by searching from the entry point.
    func updatePoint(_ id: UInt32, ctx: SearchContext) {
        space.encode(ctx.floats, into: code(id))
        space.prepareQuery(ctx.floats, into: ctx.query)
        pthread_mutex_lock(&globalLock)
        let maxLevelCopy = Int(maxLevel), ep = entryPoint
        pthread_mutex_unlock(&globalLock)
        if ep < 0 || (UInt32(ep) == id && nodeCount == 1) { return }
        let elemLevel = Int(levels[Int(id)])

        var work = ctx.candidates, scratch = ctx.scratch
        for layer in 0...elemLevel {
            let oneHop = connections(id, level: layer)
            if oneHop.isEmpty { continue }
            var sCand = Set<UInt32>(oneHop)
            sCand.insert(id)
            for e in oneHop { for x in connections(e, level: layer) { sCand.insert(x) } }
            let mLayer = layer == 0 ? maxM0 : maxM
            for neigh in oneHop {
                let elementsToKeep = min(parameters.efConstruction, sCand.count - (sCand.contains(neigh) ? 1 : 0))
                scratch.removeAll()
                let nc = code(neigh)
                for c in sCand where c != neigh {
                    // Links only run between nodes of at least this level.
                    if layer > 0 && Int(levels[Int(c)]) < layer { continue }
                    let d = space.distance(code: code(c), code: nc)
                    if scratch.count < elementsToKeep { scratch.push(d, c) } else if d < scratch.topKey { scratch.pop(); scratch.push(d, c) }
                }
                let kept = neighborsByHeuristic(&scratch, m: mLayer, work: &work, ids: ctx.shrunk, distances: ctx.shrunkDistances)
                lockNode(neigh)
                let ll = linkList(neigh, layer)
                for j in 0..<kept { ll[1 + j] = ctx.shrunk[j] }
                ll[0] = UInt32(kept)
                unlockNode(neigh)
            }
        }
        ctx.candidates = work; ctx.scratch = scratch
        repairConnectionsForUpdate(id, entry: UInt32(ep), elemLevel: elemLevel, maxLevel: maxLevelCopy, ctx: ctx)
    }

    /// hnswlib's repairConnectionsForUpdate: re-links `id` at each of its levels from a fresh search.
    func repairConnectionsForUpdate(_ id: UInt32, entry: UInt32, elemLevel: Int, maxLevel: Int, ctx: SearchContext) {
        var curObj = entry
        if elemLevel < maxLevel {
            curObj = greedyDescent(from: curObj, topLevel: maxLevel, stopLevel: elemLevel, query: ctx.query, locking: true)
        }
        for level in stride(from: min(elemLevel, maxLevel), through: 0, by: -1) {
            searchBaseLayer(entry: curObj, query: ctx.query, level: level, ctx: ctx)
            // Drop the node itself from its own candidates.
            var top = ctx.results, tmp = ctx.scratch
            tmp.removeAll()
            while !top.isEmpty { if top.topID != id { tmp.push(top.topKey, top.topID) }; top.pop() }
            while !tmp.isEmpty { top.push(tmp.topKey, tmp.topID); tmp.pop() }
            ctx.results = top; ctx.scratch = tmp
            if top.isEmpty { continue }
            curObj = mutuallyConnectNewElement(id, level: level, ctx: ctx, isUpdate: true)
        }
    }

    /// Fraction of graph nodes that are deleted.
    public var deletedFraction: Double {
        withLabelLock { elementCount == 0 ? 0 : Double(deletedCount) / Double(elementCount) }
    }

    /// Rebuilds when `parameters.compactionThreshold` is set and exceeded. Returns whether it did.
    @discardableResult
    public func compactIfNeeded() -> Bool {
        guard let t = parameters.compactionThreshold, elementCount >= 64, deletedFraction > t else { return false }
        compact()
        return true
    }

    /// Rebuilds the graph from the live vectors only (new internal ids, same labels), dropping
    /// deleted nodes and their memory. Searches wait while it runs.
    public func compact() {
        pthread_rwlock_wrlock(&structureLock); defer { pthread_rwlock_unlock(&structureLock) }
        let live = (0..<elementCount).filter { deletedFlags[$0] == 0 }
        let d = space.dimensions
        var vectors = [Float](repeating: 0, count: live.count * d)
        var liveLabels = [UInt64]()
        liveLabels.reserveCapacity(live.count)
        vectors.withUnsafeMutableBufferPointer { vp in
            for (r, i) in live.enumerated() {
                space.decode(code(UInt32(i)), into: vp.baseAddress! + r * d)
                liveLabels.append(labels[i])
            }
        }
        var p = parameters
        p.compactionThreshold = nil
        guard let fresh = try? HNSWIndex(dimensions: d, metric: space.metric, parameters: p, capacity: max(live.count, 1)) else { return }
        fresh.rngState = rngState
        try? fresh.addBatch(vectors, labels: liveLabels)
        swapStorage(with: fresh)
    }

    /// Exchanges all graph storage with `other` (which then frees ours when released).
    func swapStorage(with other: HNSWIndex) {
        swap(&level0, &other.level0)
        swap(&mapping, &other.mapping)
        swap(&labels, &other.labels)
        swap(&levels, &other.levels)
        swap(&deletedFlags, &other.deletedFlags)
        swap(&upperLinks, &other.upperLinks)
        swap(&linkLocks, &other.linkLocks)
        swap(&capacity, &other.capacity)
        swap(&elementCount, &other.elementCount)
        swap(&deletedCount, &other.deletedCount)
        swap(&deletedSlots, &other.deletedSlots)
        swap(&labelLookup, &other.labelLookup)
        swap(&entryPoint, &other.entryPoint)
        swap(&maxLevel, &other.maxLevel)
        swap(&rngState, &other.rngState)
    }
}
