import Foundation
import XCTest
@testable import Index

/// Deterministic Gaussian vectors (Box–Muller over SplitMix64), so every run sees the same data.
struct Gaussian {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Double(z >> 11) + 0.5) / 9007199254740992.0
    }
    mutating func next() -> Float {
        Float((-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()))
    }
    mutating func vectors(_ n: Int, _ d: Int) -> [Float] { (0..<(n * d)).map { _ in next() } }
}

/// The committed real-embedding fixture (all-MiniLM-L6-v2, 2000 × 384, see make_fixture.py).
func realEmbeddings() throws -> VectorSet {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/index/embeddings.npy")
    return try VectorSet.read(url)
}

/// Test size knob: ANGLEVEC_INDEX_TEST_N overrides the default (debug builds are slow).
func testSize(_ fallback: Int) -> Int {
    ProcessInfo.processInfo.environment["ANGLEVEC_INDEX_TEST_N"].flatMap(Int.init) ?? fallback
}

/// Mean recall@k of `index` against the exact oracle over `queries`.
func recall(_ index: HNSWIndex, oracle: BruteForceIndex, queries: [Float], d: Int, k: Int = 10, ef: Int,
            filter: ((UInt64) -> Bool)? = nil) throws -> Double {
    let nq = queries.count / d
    var hits = 0, total = 0
    for q in 0..<nq {
        let query = Array(queries[(q * d)..<((q + 1) * d)])
        let truth = Set(try oracle.search(query, k: k, filter: filter).map(\.label))
        let got = try index.search(query, k: k, ef: ef, filter: filter).map(\.label)
        hits += got.filter { truth.contains($0) }.count
        total += truth.count
    }
    return total == 0 ? 1 : Double(hits) / Double(total)
}

func buildPair(_ vectors: [Float], d: Int, metric: Metric, parameters: HNSWParameters = HNSWParameters(),
               threads: Int = 1) throws -> (HNSWIndex, BruteForceIndex) {
    let n = vectors.count / d
    let h = try HNSWIndex(dimensions: d, metric: metric, parameters: parameters, capacity: n)
    try h.addBatch(vectors, labels: (0..<n).map { UInt64($0) }, threads: threads)
    let b = try BruteForceIndex(dimensions: d, metric: metric, capacity: n)
    for i in 0..<n { try b.add(Array(vectors[(i * d)..<((i + 1) * d)]), label: UInt64(i)) }
    return (h, b)
}

/// Nodes reachable from the entry point by following level-0 links (breadth-first).
func reachableAtLevel0(_ h: HNSWIndex) -> Int {
    guard h.entryPoint >= 0 else { return 0 }
    var seen = Set<UInt32>([UInt32(h.entryPoint)])
    var frontier = [UInt32(h.entryPoint)]
    while let id = frontier.popLast() {
        let ll = h.linkList0(id)
        for j in 0..<Int(ll[0]) where seen.insert(ll[1 + j]).inserted { frontier.append(ll[1 + j]) }
    }
    return seen.count
}
