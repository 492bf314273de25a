import Foundation
import XCTest
@testable import Embed

/// Loads Tests/Fixtures/training/*.json (made by Tests/Fixtures/make_training_fixtures.py).
enum TrainingFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("training")

    static func load(_ name: String) throws -> Any {
        let data = try Data(contentsOf: directory.appendingPathComponent(name + ".json"))
        return try JSONSerialization.jsonObject(with: data)
    }

    static func cases(_ name: String) throws -> [[String: Any]] {
        try XCTUnwrap(load(name) as? [[String: Any]])
    }
}

extension Dictionary where Key == String, Value == Any {
    func doubles(_ key: String) -> [Double] { (self[key] as? [Any] ?? []).map { ($0 as! NSNumber).doubleValue } }
    func double(_ key: String) -> Double { (self[key] as! NSNumber).doubleValue }
    func int(_ key: String) -> Int { (self[key] as! NSNumber).intValue }
    func string(_ key: String) -> String { self[key] as! String }
    func matrix(_ key: String, rows: Int, dim: Int) throws -> PooledEmbeddings {
        try PooledEmbeddings(rows: rows, dimension: dim, values: doubles(key))
    }
}

/// |a − b| ≤ abs + rel·|b| elementwise, with the worst offender in the message.
func assertClose(_ a: [Double], _ b: [Double], abs absTol: Double, rel: Double, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): count", file: file, line: line)
    var worst = 0.0, at = -1
    for i in 0..<min(a.count, b.count) {
        let excess = Swift.abs(a[i] - b[i]) - (absTol + rel * Swift.abs(b[i]))
        if excess > worst { worst = excess; at = i }
    }
    XCTAssertTrue(at < 0, "\(what): index \(at) got \(at >= 0 ? a[at] : 0) want \(at >= 0 ? b[at] : 0)", file: file, line: line)
}

func assertCloseScalar(_ a: Double, _ b: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(Swift.abs(a - b), 1e-5 * max(1, Swift.abs(b)), "\(what): got \(a) want \(b)", file: file, line: line)
}

/// Central finite differences of `f` at `x` on `samples` coordinates vs the analytic `gradient`.
func assertFiniteDifferences(_ x: PooledEmbeddings, gradient: PooledEmbeddings, samples: Int = 24, step: Double = 1e-5,
                             tolerance: Double = 1e-6, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                             _ f: (PooledEmbeddings) throws -> Double) throws {
    var rng = SeededGenerator(seed: 77)
    let count = x.values.count
    let indices = count <= samples ? Array(0..<count) : (0..<samples).map { _ in Int(rng.next() % UInt64(count)) }
    for i in indices {
        var plus = x, minus = x
        plus.values[i] += step
        minus.values[i] -= step
        let numeric = (try f(plus) - f(minus)) / (2 * step)
        let analytic = gradient.values[i]
        XCTAssertLessThanOrEqual(abs(numeric - analytic), tolerance * max(1, abs(numeric)),
                                 "\(what): d/dx[\(i)] numeric \(numeric) analytic \(analytic)", file: file, line: line)
    }
}
