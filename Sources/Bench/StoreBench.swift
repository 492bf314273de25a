// Store benchmark (Swift side of benchmarks/cases/store.py): bulk add N documents of ~1 KB
// text + metadata + one 384-d f32 vector, get-by-id latency, file size per document, cold
// open time, one metadata-filter pass. Prints one JSON object.
//
//   Bench store [--n 100000] [--dims 384] [--text-bytes 1000] [--batch 1000] [--gets 20000] [--dir PATH]
import Foundation
import Store

/// Deterministic ~`bytes`-byte text for document `i` (words from a small vocabulary).
func storeBenchText(_ i: Int, bytes: Int) -> String {
    let words = ["vector", "search", "database", "embedding", "angle", "store", "memory", "page", "swift", "query",
                 "index", "graph", "layer", "model", "token", "batch"]
    var x = UInt64(i) &* 6364136223846793005 &+ 1442695040888963407
    var s = ""
    s.reserveCapacity(bytes + 16)
    while s.utf8.count < bytes {
        x = x &* 6364136223846793005 &+ 1442695040888963407
        s += words[Int(x >> 60)]
        s += " "
    }
    return s
}

func runStoreBench(_ arguments: [String]) throws {
    var options: [String: String] = [:]
    var k = 0
    while k < arguments.count {
        guard arguments[k].hasPrefix("--"), k + 1 < arguments.count else {
            throw NotImplementedYet(description: "store bench: unexpected argument '\(arguments[k])' (options: --n --dims --text-bytes --batch --gets --dir)")
        }
        options[String(arguments[k].dropFirst(2))] = arguments[k + 1]
        k += 2
    }
    func int(_ key: String, _ fallback: Int) throws -> Int {
        guard let v = options[key] else { return fallback }
        guard let n = Int(v), n > 0 else { throw NotImplementedYet(description: "store bench: --\(key) needs a positive integer, got '\(v)'") }
        return n
    }
    let n = try int("n", 100_000), dims = try int("dims", 384), textBytes = try int("text-bytes", 1000)
    let batchSize = try int("batch", 1000), gets = try int("gets", 20_000)
    let fm = FileManager.default
    let dir = URL(fileURLWithPath: options["dir"] ?? fm.temporaryDirectory.appendingPathComponent("anglevec-storebench-\(getpid())").path)
    try? fm.removeItem(at: dir)
    defer { try? fm.removeItem(at: dir) }

    let config = CollectionConfig(model: ModelIdentity(name: "bench", weightsSHA256: String(repeating: "0", count: 64)),
                                  layers: 6, fullDims: dims)
    var rawBytes = 0
    var insertSeconds = 0.0
    do {
        let store = try CollectionStore.create(at: dir, config: config)
        var vector = [Float](repeating: 0, count: dims)
        var rng = UInt64(42)
        var start = 0
        while start < n {
            let end = min(n, start + batchSize)
            var docs: [StoredDocument] = []
            docs.reserveCapacity(end - start)
            for i in start..<end {
                for j in 0..<dims {
                    rng = rng &* 6364136223846793005 &+ 1442695040888963407
                    vector[j] = Float(Int64(bitPattern: rng) >> 40) / Float(1 << 23)
                }
                let text = storeBenchText(i, bytes: textBytes)
                let metadata = Data("{\"i\":\(i),\"lang\":\"\(i % 3 == 0 ? "en" : "fr")\",\"year\":\(2000 + i % 25)}".utf8)
                rawBytes += text.utf8.count + metadata.count + dims * 4
                docs.append(StoredDocument(id: "doc-\(i)", text: text, metadata: metadata, vectors: [VectorView.fullName: vector]))
            }
            // Time the store only, not the generation of the batch.
            let t0 = Date()
            try store.add(docs)
            insertSeconds += Date().timeIntervalSince(t0)
            start = end
        }
    }

    // Cold open: a fresh environment handle (page cache warm), then one get.
    var openMs: [Double] = []
    for _ in 0..<5 {
        let t0 = Date()
        let store = try CollectionStore.open(at: dir, readOnly: true)
        _ = try store.get(id: "doc-0")
        openMs.append(Date().timeIntervalSince(t0) * 1000)
    }
    openMs.sort()

    let store = try CollectionStore.open(at: dir, readOnly: true)
    var latencies: [Double] = []
    latencies.reserveCapacity(gets)
    var rng = UInt64(7)
    for _ in 0..<gets {
        rng = rng &* 6364136223846793005 &+ 1442695040888963407
        let i = Int(rng >> 33) % n
        let t0 = DispatchTime.now().uptimeNanoseconds
        guard let doc = try store.get(id: "doc-\(i)"), doc.vectors[VectorView.fullName]?.count == dims else {
            throw NotImplementedYet(description: "store bench: doc-\(i) missing")
        }
        latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
    }
    latencies.sort()
    // A metadata filter over every document (what a filtered search precomputes).
    let filter = try MetadataFilter(parsing: "lang=en, year>=2010")
    var filterMs = Double.infinity
    var matching = IDBitset()
    for _ in 0..<3 {  // best of 3: the first pass also pays the page faults of mapping the file
        let tf = Date()
        matching = try store.matchingIDs(filter)
        filterMs = min(filterMs, Date().timeIntervalSince(tf) * 1000)
    }
    let stats = try store.stats()
    let result: [String: Any] = [
        "n": n, "dims": dims, "text_bytes": textBytes, "batch": batchSize,
        "insert_seconds": insertSeconds, "insert_docs_per_s": Double(n) / insertSeconds,
        "get_us_p50": latencies[latencies.count / 2], "get_us_p99": latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
        "get_us_mean": latencies.reduce(0, +) / Double(latencies.count),
        "file_bytes": stats.fileBytes, "bytes_per_doc": Double(stats.fileBytes) / Double(n),
        "raw_bytes_per_doc": Double(rawBytes) / Double(n), "size_ratio": Double(stats.fileBytes) / Double(rawBytes),
        "open_ms_median": openMs[openMs.count / 2], "map_size": stats.mapSize,
        "filter_ms": filterMs, "filter_matches": matching.count,
    ]
    let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
}
