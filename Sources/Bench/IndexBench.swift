// anglevec-bench index: builds an HNSW index over a vector file, sweeps ef, and prints JSON
// (build time, memory, QPS with 1 and 2 threads, recall@k). benchmarks/cases/index.py runs it
// next to hnswlib, faiss and usearch on the same files.
//
//   Bench index --base base.npy --queries q.npy [--gt gt.npy] [--metric cosine|ip|l2]
//               [--M 16] [--efc 200] [--ef 10,20,40,80] [--k 10] [--threads 2] [--storage f32] [--seed 100] [--passes 3]
//   Bench index --random 20000 --dims 384 --nq 200      (Gaussian data, exact ground truth)
// --gt: a 2-D .npy of true neighbour row indices (as float32), one row per query; without it
// the ground truth is computed by brute force.
// --labels yes: each sweep entry also carries "labels" (the k row indices found per query), so the
// caller can score every system with one recall function (benchmarks/cases/index.py does).
import Dispatch
import Foundation
import Index

func runIndexBench(_ arguments: [String]) throws {
    var opts: [String: String] = [:]
    var i = 0
    while i < arguments.count {
        let a = arguments[i]
        guard a.hasPrefix("--"), i + 1 < arguments.count else { throw BenchUsage(description: "bad argument \(a)") }
        opts[String(a.dropFirst(2))] = arguments[i + 1]
        i += 2
    }
    func int(_ k: String, _ d: Int) throws -> Int {
        guard let s = opts[k] else { return d }
        guard let v = Int(s) else { throw BenchUsage(description: "--\(k) expects an integer, got \(s)") }
        return v
    }
    let metric: Metric = switch opts["metric"] ?? "cosine" {
    case "cosine": .cosine
    case "ip": .innerProduct
    case "l2": .l2
    case let m: throw BenchUsage(description: "--metric \(m): expected cosine, ip or l2")
    }
    let storage: VectorStorage = switch opts["storage"] ?? "f32" {
    case "f32": .f32
    case "f16": .f16
    case "int8": .int8
    case let s: throw BenchUsage(description: "--storage \(s): expected f32, f16 or int8")
    }
    let M = try int("M", 16), efc = try int("efc", 200), k = try int("k", 10), threads = try int("threads", 2)
    let passes = try int("passes", 3)
    guard passes >= 1 else { throw BenchUsage(description: "--passes expects at least 1, got \(passes)") }
    let efs = (opts["ef"] ?? "10,16,24,32,48,64,96,128,192,256").split(separator: ",").compactMap { Int($0) }

    // Data.
    var base: VectorSet, queries: VectorSet
    if let path = opts["base"] {
        base = try VectorSet.read(URL(fileURLWithPath: path))
        guard let q = opts["queries"] else { throw BenchUsage(description: "--base needs --queries") }
        queries = try VectorSet.read(URL(fileURLWithPath: q))
    } else {
        let n = try int("random", 20000), d = try int("dims", 384), nq = try int("nq", 200)
        var rng = BenchRandom(state: 42)
        base = VectorSet(rows: n, dimensions: d, values: (0..<(n * d)).map { _ in rng.gaussian() })
        queries = VectorSet(rows: nq, dimensions: d, values: (0..<(nq * d)).map { _ in rng.gaussian() })
    }
    let d = base.dimensions, n = base.rows, nq = queries.rows
    guard queries.dimensions == d else { throw BenchUsage(description: "queries have \(queries.dimensions) dims, base \(d)") }

    // Ground truth.
    var truth: [[UInt64]]
    if let gt = opts["gt"] {
        let g = try VectorSet.read(URL(fileURLWithPath: gt))
        guard g.rows == nq, g.dimensions >= k else { throw BenchUsage(description: "--gt shape \(g.rows)×\(g.dimensions), need \(nq)×≥\(k)") }
        truth = (0..<nq).map { q in (0..<k).map { UInt64(g.values[q * g.dimensions + $0]) } }
    } else {
        let oracle = try BruteForceIndex(dimensions: d, metric: metric, capacity: n)
        for r in 0..<n { try oracle.add(base.row(r), label: UInt64(r)) }
        truth = try (0..<nq).map { q in try oracle.search(queries.row(q), k: k).map(\.label) }
    }

    // Build.
    let rssBefore = residentBytes()
    var p = HNSWParameters(M: M, efConstruction: efc, storage: storage)
    if let seed = opts["seed"] {  // the level generator's seed: builds differ by seed, so recall comparisons need several
        guard let v = UInt64(seed) else { throw BenchUsage(description: "--seed expects an unsigned integer, got \(seed)") }
        p.seed = v
    }
    p.compactionThreshold = nil
    let index = try HNSWIndex(dimensions: d, metric: metric, parameters: p, capacity: n)
    let t0 = DispatchTime.now()
    try index.addBatch(base.values, labels: (0..<n).map { UInt64($0) }, threads: threads)
    let buildSeconds = seconds(since: t0)
    let rssAfter = residentBytes()

    // Sweep ef.
    var sweep: [[String: Any]] = []
    let qv = queries.values
    for ef in efs {
        var found = [[UInt64]](repeating: [], count: nq)
        // Warm-up pass (page faults, pooled scratch), then timed passes.
        for q in 0..<min(nq, 50) { _ = try index.search(Array(qv[(q * d)..<((q + 1) * d)]), k: k, ef: ef) }
        // Best of --passes timed passes for each thread count, as the Python side does for the peers.
        var single = 0.0, double = 0.0
        for _ in 0..<passes {
            let t1 = DispatchTime.now()
            try qv.withUnsafeBufferPointer { buf in
                for q in 0..<nq {
                    found[q] = try index.search(UnsafeBufferPointer(rebasing: buf[(q * d)..<((q + 1) * d)]), k: k, ef: ef).map(\.label)
                }
            }
            single = max(single, Double(nq) / seconds(since: t1))
            let t2 = DispatchTime.now()
            // Two dedicated threads started per pass, like hnswlib's ParallelFor (std::thread).
            let done = DispatchGroup()
            let workers = (0..<2).map { t in
                Thread {
                    qv.withUnsafeBufferPointer { buf in
                        var q = t
                        while q < nq {
                            _ = try? index.search(UnsafeBufferPointer(rebasing: buf[(q * d)..<((q + 1) * d)]), k: k, ef: ef)
                            q += 2
                        }
                    }
                    done.leave()
                }
            }
            for w in workers { done.enter(); w.start() }
            done.wait()
            double = max(double, Double(nq) / seconds(since: t2))
        }
        var hits = 0
        for q in 0..<nq { let t = Set(truth[q]); hits += found[q].filter { t.contains($0) }.count }
        var entry: [String: Any] = ["ef": ef, "recall": Double(hits) / Double(nq * k), "qps_1thread": single, "qps_2threads": double]
        if opts["labels"] == "yes" { entry["labels"] = found.map { $0.map { Int($0) } } }
        sweep.append(entry)
    }
    let out: [String: Any] = [
        "system": "anglevec", "n": n, "dims": d, "queries": nq, "metric": "\(metric)", "storage": "\(storage)",
        "M": M, "efConstruction": efc, "k": k, "build_threads": threads, "build_seconds": buildSeconds,
        "index_bytes": index.memoryBytes, "rss_delta_bytes": max(0, rssAfter - rssBefore), "sweep": sweep,
    ]
    let json = try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys])
    FileHandle.standardOutput.write(json)
    FileHandle.standardOutput.write("\n".data(using: .utf8)!)
}

struct BenchUsage: Error, CustomStringConvertible { var description: String }

private func seconds(since t: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9
}

/// Resident set size from /proc/self/statm (Linux), 0 elsewhere.
private func residentBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let f = s.split(separator: " ")
    return f.count > 1 ? (Int(f[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

private struct BenchRandom {
    var state: UInt64
    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Double(z >> 11) + 0.5) / 9007199254740992.0
    }
    mutating func gaussian() -> Float { Float((-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())) }
}
