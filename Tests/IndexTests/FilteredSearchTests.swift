import Foundation
import XCTest
@testable import Index

final class FilteredSearchTests: XCTestCase {
    func testSelectiveAndModerateFilters() throws {
        let n = 4000, d = 64
        var g = Gaussian(seed: 21)
        let data = g.vectors(n, d), queries = g.vectors(50, d)
        let (h, b) = try buildPair(data, d: d, metric: .l2, parameters: HNSWParameters(efConstruction: 100))
        // 1 % of labels: answered by the exact path.
        let onePercent: (UInt64) -> Bool = { $0 % 100 == 17 }
        let r1 = try recall(h, oracle: b, queries: queries, d: d, ef: 100, filter: onePercent)
        XCTAssertGreaterThanOrEqual(r1, 0.95)
        // 25 %: graph traversal with the filter applied during the walk.
        let quarter: (UInt64) -> Bool = { $0 % 4 == 1 }
        let r25 = try recall(h, oracle: b, queries: queries, d: d, ef: 100, filter: quarter)
        print("filtered recall@10: 1% \(r1), 25% \(r25)")
        XCTAssertGreaterThanOrEqual(r25, 0.95)
        for q in 0..<10 {
            let query = Array(queries[(q * d)..<((q + 1) * d)])
            XCTAssertTrue(try h.search(query, k: 10, ef: 100, filter: quarter).allSatisfy { quarter($0.label) })
            XCTAssertTrue(try h.search(query, k: 10, ef: 100, filter: onePercent).allSatisfy { onePercent($0.label) })
            XCTAssertEqual(try h.search(query, k: 10, ef: 100, filter: { _ in false }), [])
        }
    }

    func testGraphPathHonoursFilterAndDeletes() throws {
        let n = 3000, d = 32
        var g = Gaussian(seed: 22)
        let data = g.vectors(n, d), queries = g.vectors(30, d)
        var p = HNSWParameters(efConstruction: 100)
        p.exactFilterLimit = 0; p.exactFilterSelectivity = 0 // force graph traversal
        p.compactionThreshold = nil
        let (h, b) = try buildPair(data, d: d, metric: .l2, parameters: p)
        for l in stride(from: 0, to: n, by: 5) { try h.remove(label: UInt64(l)); try b.remove(label: UInt64(l)) }
        let f: (UInt64) -> Bool = { $0 % 10 < 3 } // 10 % (labels ≡ 0 mod 5 are deleted)
        let r = try recall(h, oracle: b, queries: queries, d: d, ef: 100, filter: f)
        print("graph-path filtered recall@10 (≈20% match, 20% deleted): \(r)")
        XCTAssertGreaterThanOrEqual(r, 0.9)
        for q in 0..<30 {
            let res = try h.search(Array(queries[(q * d)..<((q + 1) * d)]), k: 10, ef: 100, filter: f)
            XCTAssertTrue(res.allSatisfy { f($0.label) && $0.label % 5 != 0 })
        }
    }

    func testCandidateListSearchIsExact() throws {
        let n = 1000, d = 16
        var g = Gaussian(seed: 23)
        let data = g.vectors(n, d), query = g.vectors(1, d)
        let (h, b) = try buildPair(data, d: d, metric: .cosine)
        let candidates = (0..<n).filter { $0 % 37 == 0 }.map { UInt64($0) } + [99_999]
        let set = Set(candidates)
        let expected = try b.search(query, k: 5, filter: { set.contains($0) })
        let got = try query.withUnsafeBufferPointer { try h.search($0, k: 5, candidates: candidates) }
        XCTAssertEqual(got.map(\.label), expected.map(\.label))
    }
}
