import Foundation
import XCTest
@testable import Index

final class DistanceTests: XCTestCase {
    func naive(_ a: [Float], _ b: [Float], _ m: Metric) -> Float {
        switch m {
        case .l2: return zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
        case .innerProduct: return 1 - zip(a, b).map { $0 * $1 }.reduce(0, +)
        case .cosine:
            let na = a.map { $0 * $0 }.reduce(0, +).squareRoot(), nb = b.map { $0 * $0 }.reduce(0, +).squareRoot()
            return 1 - zip(a, b).map { $0 * $1 }.reduce(0, +) / (na * nb)
        }
    }

    func distance(_ s: VectorSpace, _ a: [Float], _ b: [Float]) -> Float {
        let qa = UnsafeMutableRawPointer.allocate(byteCount: s.queryBytes + s.dimensions * 4, alignment: 64)
        let cb = UnsafeMutableRawPointer.allocate(byteCount: s.codeBytes, alignment: 64)
        let f = UnsafeMutablePointer<Float>.allocate(capacity: s.dimensions)
        defer { qa.deallocate(); cb.deallocate(); f.deallocate() }
        s.normalize(a, into: f); s.prepareQuery(f, into: qa)
        s.normalize(b, into: f); s.encode(f, into: cb)
        return s.distance(query: qa, code: cb)
    }

    func testMetricsMatchNaiveForAnyDimension() {
        var g = Gaussian(seed: 41)
        for d in [1, 7, 32, 33, 64, 100, 384, 1024] {
            let a = (0..<d).map { _ in g.next() }, b = (0..<d).map { _ in g.next() }
            for m in [Metric.l2, .innerProduct, .cosine] {
                let want = naive(a, b, m)
                let tol = 1e-4 * max(1, abs(want))
                XCTAssertEqual(distance(VectorSpace(dimensions: d, metric: m), a, b), want, accuracy: tol, "f32 d=\(d) \(m)")
                XCTAssertEqual(distance(VectorSpace(dimensions: d, metric: m, storage: .f16), a, b), want,
                               accuracy: 2e-3 * max(1, abs(want)) * Float(d).squareRoot(), "f16 d=\(d) \(m)")
                XCTAssertEqual(distance(VectorSpace(dimensions: d, metric: m, storage: .int8), a, b), want,
                               accuracy: 0.03 * max(1, abs(want)) * Float(d).squareRoot(), "int8 d=\(d) \(m)")
            }
        }
    }

    func testBruteForceIsExact() throws {
        var g = Gaussian(seed: 42)
        let d = 20, n = 300
        let data = g.vectors(n, d), q = g.vectors(1, d)
        let b = try BruteForceIndex(dimensions: d, metric: .l2, capacity: 4)
        for i in 0..<n { try b.add(Array(data[(i * d)..<((i + 1) * d)]), label: UInt64(i)) }
        let all = (0..<n).map { i in (UInt64(i), naive(Array(data[(i * d)..<((i + 1) * d)]), q, .l2)) }.sorted { $0.1 < $1.1 }
        let res = try b.search(q, k: 10)
        XCTAssertEqual(res.map(\.label), all.prefix(10).map(\.0))
        try b.remove(label: all[0].0)
        XCTAssertEqual(try b.search(q, k: 1).first?.label, all[1].0)
        XCTAssertEqual(b.count, n - 1)
    }

    func testVectorFileReaders() throws {
        let set = try realEmbeddings()
        XCTAssertEqual(set.rows, 2000)
        XCTAssertEqual(set.dimensions, 384)
        // Fixture rows are L2-normalized sentence embeddings.
        let r = set.row(5)
        XCTAssertEqual(r.map { $0 * $0 }.reduce(0, +), 1, accuracy: 2e-3)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("v-\(UUID()).fvecs")
        var data = Data()
        for row in [[Float(1), 2, 3], [4, 5, 6]] {
            var dd = Int32(3); data.append(Data(bytes: &dd, count: 4))
            for var x in row { data.append(Data(bytes: &x, count: 4)) }
        }
        try data.write(to: tmp)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let f = try VectorSet.read(tmp)
        XCTAssertEqual(f.values, [1, 2, 3, 4, 5, 6])
        try data.prefix(10).write(to: tmp)
        XCTAssertThrowsError(try VectorSet.read(tmp))
    }
}
