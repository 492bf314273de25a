import XCTest
@testable import Index

final class DistanceHeapTests: XCTestCase {
    /// The heap orders (key, id) pairs like std::pair: by key, then by id. Pushed in a shuffled
    /// order, equal keys must still come out largest id first, so a result heap of size k keeps
    /// the smallest ids among duplicates whatever order threads found them in.
    func testEqualKeysPopLargestIDFirst() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            var heap = DistanceHeap(capacity: 4)
            defer { heap.deallocate() }
            var pairs: [(Float, UInt32)] = []
            for id in 0..<40 { pairs.append((Float(id % 3), UInt32(id))) }
            pairs.shuffle(using: &generator)
            for (k, id) in pairs { heap.push(k, id) }
            var popped: [(Float, UInt32)] = []
            while !heap.isEmpty { popped.append((heap.topKey, heap.topID)); heap.pop() }
            let expected = pairs.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 > $1.1 }
            XCTAssertEqual(popped.map(\.0), expected.map(\.0))
            XCTAssertEqual(popped.map(\.1), expected.map(\.1))
        }
    }

    /// A bounded result heap over exact duplicates keeps the same ids as the brute-force oracle.
    func testBoundedHeapKeepsSmallestIDsAmongTies() throws {
        var heap = DistanceHeap(capacity: 8)
        defer { heap.deallocate() }
        for id in [UInt32(9), 3, 7, 1, 8, 0, 5, 2, 6, 4] {
            heap.push(0.5, id)
            if heap.count > 4 { heap.pop() }
        }
        var kept: [UInt32] = []
        while !heap.isEmpty { kept.append(heap.topID); heap.pop() }
        XCTAssertEqual(kept.sorted(), [0, 1, 2, 3])
    }
}

final class SelectNeighborsHeuristicTests: XCTestCase {
    /// Among exact duplicates of the base the heuristic keeps one copy and still keeps the distinct
    /// neighbours; hnswlib's rule (prune only when strictly nearer to a kept neighbour) keeps every copy,
    /// which fills a duplicate group's lists with copies and isolates it.
    func testKeepsOneExactDuplicateOfTheBase() throws {
        let index = try HNSWIndex(dimensions: 4, metric: .cosine, parameters: HNSWParameters(M: 4), capacity: 16)
        let v: [Float] = [0.3, 0.5, 0.1, 0.8]
        let others: [[Float]] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
        for (i, x) in ([v, v, v] + others).enumerated() { try index.add(x, label: UInt64(i)) }
        let ctx = index.pool.get(size: index.capacity)
        defer { index.pool.put(ctx) }
        var heap = DistanceHeap(capacity: 8), work = DistanceHeap(capacity: 8)
        defer { heap.deallocate(); work.deallocate() }
        for id in UInt32(1)...5 { heap.push(index.space.distance(code: index.code(0), code: index.code(id)), id) }
        let n = index.neighborsByHeuristic(&heap, m: 4, work: &work, ids: ctx.shrunk, distances: ctx.shrunkDistances)
        let kept = Array(UnsafeBufferPointer(start: ctx.shrunk, count: n))
        XCTAssertEqual(kept.filter { $0 == 1 || $0 == 2 }.count, 1, "copies kept: \(kept)")
        XCTAssertEqual(Set(kept.filter { $0 > 2 }), [3, 4, 5], "distinct neighbours: \(kept)")
    }
}
