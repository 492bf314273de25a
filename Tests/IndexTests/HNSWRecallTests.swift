import Foundation
import XCTest
@testable import Index

/// Recall against the brute-force oracle. Debug builds are ~10× slower than release, so the
/// default random sets are 4000 × 384 (ANGLEVEC_INDEX_TEST_N=20000 runs the full size).
///
/// I.i.d. Gaussian 384-d data has no neighbourhood structure: hnswlib 0.8.0 itself (M=16,
/// efConstruction=200) reaches recall@10 0.921 at ef=100 and 0.994 at ef=400 on n=4000, and 0.714 /
/// 0.944 on n=20000 (measured with the venv's hnswlib). So the ≥ 0.98 @ ef=100 bar is checked on
/// clustered random data (a Gaussian mixture, like real embeddings) and on the real-embedding
/// fixture; pure Gaussian data is checked at the ef where hnswlib reaches it.
final class HNSWRecallTests: XCTestCase {
    func testClusteredRandomRecallAtEf100() throws {
        let n = testSize(4000), d = 384, clusters = 50
        var g = Gaussian(seed: 1)
        let centers = g.vectors(clusters, d)
        func sample(_ count: Int) -> [Float] {
            var out = [Float](); out.reserveCapacity(count * d)
            for _ in 0..<count {
                let c = Int(g.uniform() * Double(clusters))
                for j in 0..<d { out.append(centers[c * d + j] + 0.5 * g.next()) }
            }
            return out
        }
        let data = sample(n), queries = sample(100)
        let start = Date()
        let (h, b) = try buildPair(data, d: d, metric: .l2)
        let built = Date()
        let r = try recall(h, oracle: b, queries: queries, d: d, ef: 100)
        print("clustered \(n)×\(d) l2: build \(built.timeIntervalSince(start))s recall@10(ef=100) = \(r)")
        XCTAssertGreaterThanOrEqual(r, 0.98)
        XCTAssertEqual(h.count, n)
    }

    func testGaussianRecallMatchesHnswlib() throws {
        let n = testSize(4000), d = 384
        var g = Gaussian(seed: 2)
        let data = g.vectors(n, d), queries = g.vectors(100, d)
        let (h, b) = try buildPair(data, d: d, metric: .l2)
        let r100 = try recall(h, oracle: b, queries: queries, d: d, ef: 100)
        let r400 = try recall(h, oracle: b, queries: queries, d: d, ef: 400)
        print("gaussian \(n)×\(d) l2: recall@10 ef=100 \(r100) ef=400 \(r400)")
        if n <= 4000 {
            XCTAssertGreaterThanOrEqual(r100, 0.90) // hnswlib: 0.921
            XCTAssertGreaterThanOrEqual(r400, 0.98) // hnswlib: 0.994
        } else {
            XCTAssertGreaterThanOrEqual(r400, 0.93) // hnswlib at 20k: 0.944
        }
    }

    func testRealEmbeddingsRecallAllStorages() throws {
        let set = try realEmbeddings()
        let d = set.dimensions, nBase = 1800
        let base = Array(set.values[0..<(nBase * d)]), queries = Array(set.values[(nBase * d)...])
        var recalls: [VectorStorage: Double] = [:]
        for storage in [VectorStorage.f32, .f16, .int8] {
            let (h, b) = try buildPair(base, d: d, metric: .cosine, parameters: HNSWParameters(storage: storage))
            recalls[storage] = try recall(h, oracle: b, queries: queries, d: d, ef: 100)
        }
        print("real embeddings recall@10(ef=100):", recalls)
        XCTAssertGreaterThanOrEqual(recalls[.f32]!, 0.98)
        // Quantized storage is compared with the f32 oracle: the loss must stay within 0.01.
        XCTAssertGreaterThanOrEqual(recalls[.f16]!, recalls[.f32]! - 0.01)
        XCTAssertGreaterThanOrEqual(recalls[.int8]!, recalls[.f32]! - 0.01)
    }

    func testInnerProductAndSmallDims() throws {
        for d in [32, 33, 100] {
            var g = Gaussian(seed: UInt64(d))
            let data = g.vectors(1500, d), queries = g.vectors(50, d)
            for metric in [Metric.innerProduct, .cosine] {
                let (h, b) = try buildPair(data, d: d, metric: metric, parameters: HNSWParameters(M: 16, efConstruction: 100))
                let r = try recall(h, oracle: b, queries: queries, d: d, ef: 100)
                XCTAssertGreaterThanOrEqual(r, 0.95, "d=\(d) \(metric)")
            }
        }
    }

    func testParallelBuildMatchesSequentialQuality() throws {
        let n = 3000, d = 64
        var g = Gaussian(seed: 7)
        let data = g.vectors(n, d), queries = g.vectors(100, d)
        let (seq, oracle) = try buildPair(data, d: d, metric: .l2, threads: 1)
        let par = try HNSWIndex(dimensions: d, metric: .l2, capacity: 16) // forces growth under load too
        try par.addBatch(data, labels: (0..<n).map { UInt64($0) }, threads: 4)
        XCTAssertEqual(par.count, n)
        let rs = try recall(seq, oracle: oracle, queries: queries, d: d, ef: 50)
        let rp = try recall(par, oracle: oracle, queries: queries, d: d, ef: 50)
        print("ef=50 recall sequential \(rs) parallel \(rp)")
        XCTAssertGreaterThanOrEqual(rp, rs - 0.01)
        // A valid link structure with every node reachable at level 0 from the entry point.
        try par.validateLinks(path: "parallel")
        print("reachable at level 0: sequential \(reachableAtLevel0(seq)) parallel \(reachableAtLevel0(par)) of \(n)")
        // HNSW's heuristic can leave a rare outlier with no in-links for some insertion orders
        // (a sequential build in the order 4 threads produce loses the same 2 of 3000), so allow 0.2 %.
        XCTAssertGreaterThanOrEqual(reachableAtLevel0(par), n - n / 500)
    }

    func testConcurrentSearches() throws {
        let n = 2000, d = 48
        var g = Gaussian(seed: 9)
        let data = g.vectors(n, d), queries = g.vectors(64, d)
        let (h, _) = try buildPair(data, d: d, metric: .l2)
        let expected = try (0..<64).map { q in try h.search(Array(queries[(q * d)..<((q + 1) * d)]), k: 10, ef: 64).map(\.label) }
        let results = UnsafeMutablePointer<[UInt64]>.allocate(capacity: 64 * 4)
        results.initialize(repeating: [], count: 64 * 4)
        defer { results.deinitialize(count: 64 * 4); results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for q in 0..<64 {
                results[t * 64 + q] = (try? h.search(Array(queries[(q * d)..<((q + 1) * d)]), k: 10, ef: 64).map(\.label)) ?? []
            }
        }
        for t in 0..<4 { for q in 0..<64 { XCTAssertEqual(results[t * 64 + q], expected[q]) } }
    }

    func testSearchesDuringInsertionsAndGrowth() throws {
        let n = 3000, d = 32
        var g = Gaussian(seed: 10)
        let data = g.vectors(n, d), queries = g.vectors(50, d)
        let h = try HNSWIndex(dimensions: d, metric: .l2, parameters: HNSWParameters(efConstruction: 64), capacity: 8)
        try h.addBatch(Array(data[0..<(100 * d)]), labels: (0..<100).map { UInt64($0) }, threads: 1)
        DispatchQueue.concurrentPerform(iterations: 3) { t in
            if t == 0 {
                for i in 100..<n { try? h.add(Array(data[(i * d)..<((i + 1) * d)]), label: UInt64(i)) }
            } else {
                for r in 0..<200 {
                    let q = r % 50
                    let res = (try? h.search(Array(queries[(q * d)..<((q + 1) * d)]), k: 10, ef: 32)) ?? []
                    XCTAssertEqual(res.count, 10)
                    XCTAssertTrue(res.allSatisfy { $0.label < UInt64(n) })
                }
            }
        }
        XCTAssertEqual(h.count, n)
        try h.validateLinks(path: "concurrent")
    }

    /// Level-0 blocks of several MB are 2 MB-aligned and advised for huge pages: a large
    /// capacity with few nodes exercises that allocation, growth (copy into a new block) and
    /// release, with searches from two threads (each keeps its own pooled context) in between.
    func testLargeLevel0BlockSearchesAndGrows() throws {
        let n = 600, d = 384
        var g = Gaussian(seed: 11)
        let data = g.vectors(n, d), queries = g.vectors(40, d)
        let h = try HNSWIndex(dimensions: d, metric: .cosine, capacity: 6000) // 6000 × 1668 B ≈ 10 MB
        try h.addBatch(data, labels: (0..<n).map { UInt64($0) }, threads: 2)
        let b = try BruteForceIndex(dimensions: d, metric: .cosine, capacity: n)
        for i in 0..<n { try b.add(Array(data[(i * d)..<((i + 1) * d)]), label: UInt64(i)) }
        XCTAssertGreaterThanOrEqual(try recall(h, oracle: b, queries: queries, d: d, ef: 200), 0.98)
        let before = try (0..<40).map { q in try h.search(Array(queries[(q * d)..<((q + 1) * d)]), k: 10, ef: 64) }
        h.reserveCapacity(12_000)
        let after = try (0..<40).map { q in try h.search(Array(queries[(q * d)..<((q + 1) * d)]), k: 10, ef: 64) }
        XCTAssertEqual(before, after)
        let results = UnsafeMutablePointer<[SearchResult]>.allocate(capacity: 80)
        results.initialize(repeating: [], count: 80)
        defer { results.deinitialize(count: 80); results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            for q in 0..<40 {
                results[t * 40 + q] = (try? h.search(Array(queries[(q * d)..<((q + 1) * d)]), k: 10, ef: 64)) ?? []
            }
        }
        for t in 0..<2 { for q in 0..<40 { XCTAssertEqual(results[t * 40 + q], before[q]) } }
        try h.validateLinks(path: "large block")
    }

    func testSeededBuildIsReproducible() throws {
        var g = Gaussian(seed: 3)
        let data = g.vectors(500, 16), q = g.vectors(1, 16)
        let (a, _) = try buildPair(data, d: 16, metric: .l2)
        let (b, _) = try buildPair(data, d: 16, metric: .l2)
        XCTAssertEqual(try a.search(q, k: 10, ef: 20), try b.search(q, k: 10, ef: 20))
        XCTAssertEqual(a.maxLevel, b.maxLevel)
    }
}
