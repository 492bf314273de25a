import Foundation
import XCTest
@testable import Index

final class SnapshotTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("anglevec-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func build(_ storage: VectorStorage, n: Int = 1500, d: Int = 40) throws -> (HNSWIndex, [Float]) {
        var g = Gaussian(seed: 31)
        var p = HNSWParameters(efConstruction: 80, storage: storage)
        p.compactionThreshold = nil
        let h = try HNSWIndex(dimensions: d, metric: .cosine, parameters: p, capacity: n)
        try h.addBatch(g.vectors(n, d), labels: (0..<n).map { UInt64($0) * 3 + 1_000_000_000_000 })
        for l in 0..<20 { try h.remove(label: UInt64(l) * 3 + 1_000_000_000_000) }
        return (h, g.vectors(40, d))
    }

    func testRoundTripIsEqualForEveryStorage() throws {
        for storage in [VectorStorage.f32, .f16, .int8] {
            let (h, queries) = try build(storage)
            let url = dir.appendingPathComponent("idx-\(storage).hnsw")
            try h.writeSnapshot(to: url, changeSequence: 4242)
            for verification in [SnapshotVerification.full, .headerOnly] {
                let o = try HNSWIndex.open(snapshot: url, verification: verification)
                XCTAssertEqual(o.changeSequence, 4242)
                // Level 0 (vectors + links) is used in place from the mapping, not copied.
                let m = try XCTUnwrap(o.mapping)
                XCTAssertTrue(o.level0 >= m.base && o.level0 < m.base + m.length)
                XCTAssertEqual(o.count, h.count)
                XCTAssertEqual(o.nodeCount, h.nodeCount)
                XCTAssertEqual(o.space.storage, storage)
                XCTAssertEqual(o.entryPoint, h.entryPoint)
                XCTAssertEqual(o.maxLevel, h.maxLevel)
                XCTAssertEqual(Set(o.allLabels), Set(h.allLabels))
                for q in 0..<40 {
                    let query = Array(queries[(q * 40)..<((q + 1) * 40)])
                    XCTAssertEqual(try o.search(query, k: 10, ef: 60), try h.search(query, k: 10, ef: 60))
                }
                // The mapped index stays writable (copy-on-write, then growth copies out).
                try o.add([Float](repeating: 0.5, count: 40), label: 7)
                XCTAssertEqual(try o.search([Float](repeating: 0.5, count: 40), k: 1).first?.label, 7)
            }
            // The file itself was not modified by the writes above.
            XCTAssertNoThrow(try HNSWIndex.open(snapshot: url))
        }
    }

    func testEmptyIndexRoundTrip() throws {
        let h = try HNSWIndex(dimensions: 8, metric: .l2)
        let url = dir.appendingPathComponent("empty.hnsw")
        try h.writeSnapshot(to: url, changeSequence: 1)
        let o = try HNSWIndex.open(snapshot: url)
        XCTAssertEqual(o.count, 0)
        XCTAssertEqual(try o.search([Float](repeating: 0, count: 8), k: 3), [])
        try o.add([Float](repeating: 1, count: 8), label: 9)
        XCTAssertEqual(try o.search([Float](repeating: 1, count: 8), k: 3).map(\.label), [9])
    }

    func testCorruptionIsDetected() throws {
        let (h, _) = try build(.f32, n: 600)
        let url = dir.appendingPathComponent("good.hnsw")
        try h.writeSnapshot(to: url, changeSequence: 9)
        let good = try Data(contentsOf: url)

        func expectCorrupt(_ bytes: Data, _ what: String, verification: SnapshotVerification = .full) {
            let bad = dir.appendingPathComponent("bad.hnsw")
            try? bytes.write(to: bad)
            XCTAssertThrowsError(try HNSWIndex.open(snapshot: bad, verification: verification), what) { e in
                guard case .corruptSnapshot = e as? IndexError else { return XCTFail("\(what): \(e)") }
            }
        }
        // A flipped byte in the header, in the vectors/links block, in the labels, in the upper links.
        for offset in [20, 4096 + 10, 4096 + 600 * 40, good.count / 2, good.count - 1] {
            var b = good
            b[offset] ^= 0x40
            expectCorrupt(b, "flip at \(offset)")
        }
        // Truncated anywhere, and a file shorter than the header.
        expectCorrupt(good.prefix(good.count - 1), "truncated by 1", verification: .headerOnly)
        expectCorrupt(good.prefix(5000), "truncated to 5000")
        expectCorrupt(good.prefix(100), "truncated to 100")
        expectCorrupt(Data("not a snapshot at all".utf8) + Data(count: 300), "foreign file")
        XCTAssertThrowsError(try HNSWIndex.open(snapshot: dir.appendingPathComponent("missing.hnsw")))
    }

    func testAtomicOverwriteLeavesNoTempFiles() throws {
        let (h, _) = try build(.f16, n: 300)
        let url = dir.appendingPathComponent("x.hnsw")
        try h.writeSnapshot(to: url, changeSequence: 1)
        try h.add([Float](repeating: 1, count: 40), label: 1)
        try h.writeSnapshot(to: url, changeSequence: 2)
        XCTAssertEqual(try HNSWIndex.open(snapshot: url).changeSequence, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["x.hnsw"])
    }
}
