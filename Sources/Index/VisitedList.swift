// hnswlib's VisitedList / VisitedListPool: a per-search "visited" mark per node that is reset
// in O(1) by bumping a 16-bit tag, plus the search's heaps and query buffer, pooled so a
// search allocates nothing once warm and concurrent searches never share scratch.
import Foundation

/// Scratch for one search or one insertion, checked out of a `SearchContextPool`.
final class SearchContext {
    private(set) var marks: UnsafeMutablePointer<UInt16>
    private(set) var size: Int
    private(set) var tag: UInt16 = 0
    var candidates: DistanceHeap
    var results: DistanceHeap
    var scratch: DistanceHeap
    /// The prepared query (normalized floats, or an int8 code).
    let query: UnsafeMutableRawPointer
    /// A second float buffer of `dimensions` (normalization, decoding).
    let floats: UnsafeMutablePointer<Float>
    /// Neighbour-selection output (ids, distances) for the node being linked, and for the
    /// neighbour being shrunk; unvisited neighbours gathered for prefetching. Each maxDegree + 1.
    let selected: UnsafeMutablePointer<UInt32>
    let selectedDistances: UnsafeMutablePointer<Float>
    let shrunk: UnsafeMutablePointer<UInt32>
    let shrunkDistances: UnsafeMutablePointer<Float>
    let gathered: UnsafeMutablePointer<UInt32>
    /// The thread that last used this context (see `SearchContextPool.get`).
    var owner: pthread_t = 0

    init(size: Int, space: VectorSpace, maxDegree: Int) {
        selected = .allocate(capacity: maxDegree + 1)
        selectedDistances = .allocate(capacity: maxDegree + 1)
        shrunk = .allocate(capacity: maxDegree + 1)
        shrunkDistances = .allocate(capacity: maxDegree + 1)
        gathered = .allocate(capacity: maxDegree + 1)
        self.size = max(size, 1)
        marks = .allocate(capacity: self.size)
        marks.initialize(repeating: 0, count: self.size)
        candidates = DistanceHeap(capacity: 256)
        results = DistanceHeap(capacity: 256)
        scratch = DistanceHeap(capacity: 64)
        query = .allocate(byteCount: max(space.queryBytes, space.dimensions * 4), alignment: 64)
        floats = .allocate(capacity: space.dimensions)
    }

    deinit {
        marks.deallocate(); candidates.deallocate(); results.deallocate(); scratch.deallocate()
        query.deallocate(); floats.deallocate()
        selected.deallocate(); selectedDistances.deallocate(); shrunk.deallocate(); shrunkDistances.deallocate()
        gathered.deallocate()
    }

    /// Starts a new visit: O(1) except once every 65535 uses (or after growth).
    @inline(__always)
    func reset(size needed: Int) -> UInt16 {
        if needed > size {
            marks.deallocate()
            size = needed + needed / 2
            marks = .allocate(capacity: size)
            marks.initialize(repeating: 0, count: size)
            tag = 0
        }
        tag &+= 1
        if tag == 0 {
            marks.update(repeating: 0, count: size)
            tag = 1
        }
        return tag
    }
}

/// A lock-protected stack of `SearchContext`s (hnswlib's VisitedListPool).
final class SearchContextPool: @unchecked Sendable {
    private var free: [SearchContext] = []
    private var lock = pthread_mutex_t()
    private let space: VectorSpace
    private let maxDegree: Int

    init(space: VectorSpace, maxDegree: Int) {
        self.space = space
        self.maxDegree = maxDegree
        pthread_mutex_init(&lock, nil)
    }
    deinit { pthread_mutex_destroy(&lock) }

    /// A free context, preferably the one this thread used last: its visited marks and heaps
    /// are still in this core's cache (a plain LIFO stack can hand contexts back and forth
    /// between two searching threads, and each then pulls the other core's lines).
    func get(size: Int) -> SearchContext {
        let me = pthread_self()
        pthread_mutex_lock(&lock)
        var c: SearchContext?
        if let i = free.lastIndex(where: { $0.owner == me }) {
            c = free[i]
            free.swapAt(i, free.count - 1)
            free.removeLast()
        } else {
            c = free.popLast()
        }
        pthread_mutex_unlock(&lock)
        let ctx = c ?? SearchContext(size: size, space: space, maxDegree: maxDegree)
        ctx.owner = me
        return ctx
    }

    func put(_ c: SearchContext) {
        pthread_mutex_lock(&lock)
        free.append(c)
        pthread_mutex_unlock(&lock)
    }
}
