import Foundation
import XCTest
@testable import Index

final class HNSWUpdateTests: XCTestCase {
    let d = 32

    func testDeletedLabelsAreNeverReturned() throws {
        var g = Gaussian(seed: 11)
        let n = 2000
        let data = g.vectors(n, d), queries = g.vectors(50, d)
        var p = HNSWParameters(efConstruction: 100)
        p.compactionThreshold = nil
        let (h, b) = try buildPair(data, d: d, metric: .l2, parameters: p)
        let deleted = Set((0..<n).filter { $0 % 3 == 0 }.map { UInt64($0) })
        for l in deleted { try h.remove(label: l); try b.remove(label: l) }
        XCTAssertEqual(h.count, n - deleted.count)
        XCTAssertThrowsError(try h.remove(label: 0)) { XCTAssertEqual($0 as? IndexError, .unknownLabel(0)) }
        XCTAssertFalse(h.contains(label: 3))
        for q in 0..<50 {
            let res = try h.search(Array(queries[(q * d)..<((q + 1) * d)]), k: 10, ef: 50)
            XCTAssertEqual(res.count, 10)
            XCTAssertTrue(res.allSatisfy { !deleted.contains($0.label) })
        }
        // Deleted nodes still route: recall over the survivors stays high.
        XCTAssertGreaterThanOrEqual(try recall(h, oracle: b, queries: queries, d: d, ef: 100), 0.95)
        try h.unmarkDeleted(label: 3)
        XCTAssertTrue(h.contains(label: 3))
    }

    func testUpdateReplacesVectorAndRepairsNeighbourhood() throws {
        var g = Gaussian(seed: 12)
        let n = 1500
        let data = g.vectors(n, d)
        let (h, b) = try buildPair(data, d: d, metric: .l2, parameters: HNSWParameters(efConstruction: 100))
        // Move 100 labels to fresh random positions.
        let moved = g.vectors(100, d)
        for i in 0..<100 {
            let v = Array(moved[(i * d)..<((i + 1) * d)])
            try h.add(v, label: UInt64(i * 7))
            try b.add(v, label: UInt64(i * 7))
        }
        XCTAssertEqual(h.count, n)
        XCTAssertEqual(h.nodeCount, n)
        for i in 0..<100 {
            let v = Array(moved[(i * d)..<((i + 1) * d)])
            XCTAssertEqual(h.vector(label: UInt64(i * 7)), v)
            // Each moved vector is found at its new place.
            XCTAssertEqual(try h.search(v, k: 1, ef: 50).first?.label, UInt64(i * 7))
        }
        let queries = g.vectors(50, d)
        XCTAssertGreaterThanOrEqual(try recall(h, oracle: b, queries: queries, d: d, ef: 100), 0.95)
        try h.validateLinks(path: "updated")
    }

    func testDeletedSlotsAreReusedAndCompactionDropsThem() throws {
        var g = Gaussian(seed: 13)
        var p = HNSWParameters(efConstruction: 64)
        p.compactionThreshold = nil
        let (h, _) = try buildPair(g.vectors(1000, d), d: d, metric: .l2, parameters: p)
        for l in 0..<200 { try h.remove(label: UInt64(l)) }
        let fresh = g.vectors(150, d)
        try h.addBatch(fresh, labels: (0..<150).map { UInt64(5000 + $0) }, threads: 1)
        XCTAssertEqual(h.nodeCount, 1000, "new labels reuse deleted slots")
        XCTAssertEqual(h.deletedNodeCount, 50)
        XCTAssertEqual(h.count, 950)
        XCTAssertEqual(try h.search(Array(fresh[0..<d]), k: 1, ef: 50).first?.label, 5000)
        XCTAssertFalse(h.contains(label: 0))

        h.compact()
        XCTAssertEqual(h.nodeCount, 950)
        XCTAssertEqual(h.deletedNodeCount, 0)
        XCTAssertEqual(Set(h.allLabels).count, 950)
        XCTAssertEqual(try h.search(Array(fresh[0..<d]), k: 1, ef: 50).first?.label, 5000)
        try h.validateLinks(path: "compacted")
    }

    func testAutomaticCompactionPastThreshold() throws {
        var g = Gaussian(seed: 14)
        var p = HNSWParameters(efConstruction: 64, allowReplaceDeleted: false)
        p.compactionThreshold = 0.25
        let (h, _) = try buildPair(g.vectors(400, d), d: d, metric: .l2, parameters: p)
        for l in 0..<101 { try h.remove(label: UInt64(l)) }
        XCTAssertEqual(h.nodeCount, 299)
        XCTAssertEqual(h.count, 299)
    }

    func testBadInputIsAClearError() throws {
        let h = try HNSWIndex(dimensions: 4, metric: .cosine)
        XCTAssertThrowsError(try h.add([1, 2, 3], label: 1)) {
            XCTAssertEqual($0 as? IndexError, .dimensionMismatch(what: "vector for label 1", expected: 4, got: 3))
        }
        XCTAssertThrowsError(try h.add([1, .nan, 3, 4], label: 1))
        XCTAssertThrowsError(try h.search([1, 2], k: 1))
        XCTAssertThrowsError(try HNSWIndex(dimensions: 0, metric: .l2))
        XCTAssertEqual(try h.search([1, 2, 3, 4], k: 5), [])
        XCTAssertEqual(h.count, 0)
    }
}
