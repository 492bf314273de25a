// Exact k-nearest-neighbour search (hnswlib's BruteforceSearch): every stored vector is
// compared with the query. The oracle for HNSW tests, and the right index for tiny collections.
import Foundation

/// Exact search over a contiguous array of vector codes. Removal swaps the last vector into
/// the hole, so storage stays dense.
public final class BruteForceIndex: VectorIndex, @unchecked Sendable {
    public let space: VectorSpace
    private var codes: UnsafeMutableRawPointer
    private var labels: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    private var used = 0
    private var slotOf: [UInt64: Int] = [:]
    private var lock = pthread_rwlock_t()

    /// An empty exact index.
    public init(dimensions: Int, metric: Metric, storage: VectorStorage = .f32, capacity: Int = 1024) throws {
        guard dimensions > 0 else { throw IndexError.invalidParameter(name: "dimensions", reason: "must be > 0") }
        space = VectorSpace(dimensions: dimensions, metric: metric, storage: storage)
        self.capacity = max(capacity, 16)
        codes = .allocate(byteCount: self.capacity * space.codeBytes, alignment: 64)
        labels = .allocate(capacity: self.capacity)
        pthread_rwlock_init(&lock, nil)
    }

    deinit { codes.deallocate(); labels.deallocate(); pthread_rwlock_destroy(&lock) }

    public var count: Int { pthread_rwlock_rdlock(&lock); defer { pthread_rwlock_unlock(&lock) }; return used }

    public func add(_ vector: UnsafeBufferPointer<Float>, label: UInt64) throws {
        try checkVector(vector, space.dimensions, "vector for label \(label)")
        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: space.dimensions)
        defer { tmp.deallocate() }
        space.normalize(vector.baseAddress!, into: tmp)
        pthread_rwlock_wrlock(&lock); defer { pthread_rwlock_unlock(&lock) }
        let slot: Int
        if let s = slotOf[label] { slot = s } else {
            if used == capacity { grow() }
            slot = used; used += 1
            slotOf[label] = slot; labels[slot] = label
        }
        space.encode(tmp, into: codes + slot * space.codeBytes)
    }

    private func grow() {
        let c = capacity * 2
        let nc = UnsafeMutableRawPointer.allocate(byteCount: c * space.codeBytes, alignment: 64)
        nc.copyMemory(from: codes, byteCount: used * space.codeBytes)
        let nl = UnsafeMutablePointer<UInt64>.allocate(capacity: c)
        nl.update(from: labels, count: used)
        codes.deallocate(); labels.deallocate()
        codes = nc; labels = nl; capacity = c
    }

    public func remove(label: UInt64) throws {
        pthread_rwlock_wrlock(&lock); defer { pthread_rwlock_unlock(&lock) }
        guard let slot = slotOf.removeValue(forKey: label) else { throw IndexError.unknownLabel(label) }
        used -= 1
        if slot != used {
            (codes + slot * space.codeBytes).copyMemory(from: codes + used * space.codeBytes, byteCount: space.codeBytes)
            labels[slot] = labels[used]
            slotOf[labels[slot]] = slot
        }
    }

    public func contains(label: UInt64) -> Bool {
        pthread_rwlock_rdlock(&lock); defer { pthread_rwlock_unlock(&lock) }
        return slotOf[label] != nil
    }

    /// The stored vector of `label`, decoded to floats (normalized for cosine).
    public func vector(label: UInt64) -> [Float]? {
        pthread_rwlock_rdlock(&lock); defer { pthread_rwlock_unlock(&lock) }
        guard let s = slotOf[label] else { return nil }
        return [Float](unsafeUninitializedCapacity: space.dimensions) { b, n in
            space.decode(codes + s * space.codeBytes, into: b.baseAddress!); n = space.dimensions
        }
    }

    public func search(_ query: UnsafeBufferPointer<Float>, k: Int, filter: ((UInt64) -> Bool)?) throws -> [SearchResult] {
        try checkVector(query, space.dimensions, "query")
        guard k > 0 else { return [] }
        let q = UnsafeMutableRawPointer.allocate(byteCount: max(space.queryBytes, space.dimensions * 4), alignment: 64)
        let f = UnsafeMutablePointer<Float>.allocate(capacity: space.dimensions)
        defer { q.deallocate(); f.deallocate() }
        space.normalize(query.baseAddress!, into: f)
        space.prepareQuery(f, into: q)
        pthread_rwlock_rdlock(&lock); defer { pthread_rwlock_unlock(&lock) }
        var heap = DistanceHeap(capacity: k + 1)
        defer { heap.deallocate() }
        for i in 0..<used {
            if let filter, !filter(labels[i]) { continue }
            let d = space.distance(query: q, code: codes + i * space.codeBytes)
            if heap.count < k { heap.push(d, UInt32(i)) } else if d < heap.topKey { heap.pop(); heap.push(d, UInt32(i)) }
        }
        var out = [SearchResult](repeating: SearchResult(label: 0, distance: 0), count: heap.count)
        var i = heap.count - 1
        while !heap.isEmpty {
            out[i] = SearchResult(label: labels[Int(heap.topID)], distance: heap.topKey)
            heap.pop(); i -= 1
        }
        return out
    }
}
