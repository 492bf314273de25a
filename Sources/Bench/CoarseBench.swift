// Coarse-to-fine benchmark: full-view HNSW vs 2D-Matryoshka coarse view (layer ℓ, first d dims) →
// HNSW shortlist of k' → exact re-ranking with full vectors, vs exact search, on real passages and
// real queries, with anglevec's own embedder. Prints one JSON object.
//
//   Bench coarse --rows FILE --queries FILE [--model DIR] [--views 6x64,6x128,3x128]
//                [--shortlists 10,20,40,80,160,320] [--efs 16,32,64,128,256] [--k 10]
//                [--grid-rows N] [--grid-layers 1,2,3,4,5,6] [--grid-dims 32,64,128,192,256,384]
//                [--cache PREFIX] [--M 16] [--ef-construction 200]
//                [--export PATH [--embed-only yes]]
//
// rows: JSONL {"text", "doc"} (doc: the document id a passage belongs to; the first --grid-rows rows
// are whole documents, searched alone for the layers × dims nDCG grid). queries: JSONL {"text",
// "relevant": [doc ids]}. Query latency = the query's embedding (the layers the stage runs, measured
// per layer once per query) + search (+ re-ranking), one query at a time on one thread.
// --export PATH writes every row's last-layer vector (full width, as pooled, not normalized) as raw
// little-endian float32, rows × hidden size; with --embed-only yes the run stops there (the ANN-vector
// builder takes the documents' vectors from this pass, which also fills the --cache for this case).
import AngleVec
import Foundation

struct CoarseBenchError: Error, CustomStringConvertible { var description: String }

func runCoarseBench(_ arguments: [String]) throws {
    var o: [String: String] = [:]
    var i = 0
    while i < arguments.count {
        guard arguments[i].hasPrefix("--"), i + 1 < arguments.count else { throw CoarseBenchError(description: "bad argument '\(arguments[i])'") }
        o[String(arguments[i].dropFirst(2))] = arguments[i + 1]
        i += 2
    }
    func ints(_ key: String, _ fallback: String) throws -> [Int] {
        try (o[key] ?? fallback).split(separator: ",").map {
            guard let n = Int($0), n >= 1 else { throw CoarseBenchError(description: "--\(key): '\($0)' is not a positive integer") }
            return n
        }
    }
    let modelPath = NSString(string: o["model"] ?? "~/.cache/anglevec/models/all-MiniLM-L6-v2").expandingTildeInPath
    let model = try EmbeddingModel.load(from: URL(fileURLWithPath: modelPath))
    let L = model.encoder.layerCount, D = model.encoder.hiddenSize
    let k = try ints("k", "10")[0]
    let views: [(layer: Int, dims: Int)] = try (o["views"] ?? "\(L)x64,\(L)x128,\(L)x192,3x128").split(separator: ",").map {
        let p = $0.split(separator: "x").compactMap { Int($0) }
        guard p.count == 2, p[0] >= 1, p[0] <= L, p[1] >= 1, p[1] <= D else { throw CoarseBenchError(description: "--views: '\($0)' is not LAYERxDIMS within \(L)x\(D)") }
        return (p[0], p[1])
    }
    let shortlists = try ints("shortlists", "10,20,40,80,160,320")
    let efs = try ints("efs", "16,32,64,128,256")
    let gridLayers = try ints("grid-layers", (1...L).map(String.init).joined(separator: ",")).filter { $0 <= L }
    let gridDims = try ints("grid-dims", "32,64,128,192,256,\(D)").filter { $0 <= D }
    guard let rowsPath = o["rows"], let queriesPath = o["queries"] else { throw CoarseBenchError(description: "need --rows FILE and --queries FILE") }

    // Rows and queries.
    func jsonl(_ path: String) throws -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CoarseBenchError(description: "cannot read \(path)") }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated().map { n, line in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], obj["text"] is String else {
                throw CoarseBenchError(description: "\(path):\(n + 1): not a JSON object with a string \"text\"")
            }
            return obj
        }
    }
    let rows = try jsonl(rowsPath), queryObjects = try jsonl(queriesPath)
    let texts = rows.map { $0["text"] as! String }
    let rowDoc = rows.map { "\($0["doc"] ?? "")" }
    let queryTexts = queryObjects.map { $0["text"] as! String }
    let relevant: [Set<String>] = queryObjects.map { Set(($0["relevant"] as? [Any] ?? []).map { "\($0)" }) }
    let n = texts.count, gridRows = min(Int(o["grid-rows"] ?? "0") ?? 0, n)
    let layerSet = Array(Set(views.map(\.layer) + [L])).sorted()
    let embedLayers = Array(Set(layerSet + (gridRows > 0 ? gridLayers : []))).sorted()

    // Row vectors per layer (full width): all rows for view layers, the grid rows for grid layers.
    let embedder = Embedder(model: model)
    if let w = o["workers"].flatMap(Int.init) { embedder.workers = w }
    var layerRows = [Int: [Float]]()
    // Embedded in chunks of 2048 rows, each cached under --cache PREFIX by a hash of its texts and
    // layers: an interrupted run resumes, a rerun reads everything back.
    let cachePrefix = o["cache"]
    var embedSeconds = 0.0, embedded = 0, cachedRows = 0
    for l in embedLayers { layerRows[l] = [] }
    let start = Date()
    var s = 0
    let chunk = 2048
    while s < n {
        let e = min(n, s + chunk)
        let wanted = embedLayers.filter { layerSet.contains($0) || s < gridRows }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the chunk's texts, layers and model
        for byte in (texts[s..<e].joined(separator: "\u{1}") + "|\(wanted)|\(modelPath)").utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let files = wanted.map { "\(cachePrefix ?? "")-\(String(hash, radix: 16))-L\($0).f32" }
        var out: [[Float]]
        if cachePrefix != nil, files.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
            out = try files.map { f in try Data(contentsOf: URL(fileURLWithPath: f)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }
            cachedRows += e - s
        } else {
            let t0 = Date()
            out = try embedder.embed(Array(texts[s..<e]), views: wanted.map { EmbeddingView(layer: $0, dims: D) }).map(\.values)
            embedSeconds += Date().timeIntervalSince(t0)
            embedded += e - s
            if cachePrefix != nil {
                for (f, v) in zip(files, out) { try v.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: f), options: .atomic) }
            }
        }
        guard out.allSatisfy({ $0.count == (e - s) * D }) else { throw CoarseBenchError(description: "cached chunk at row \(s) has the wrong size; delete \(files[0])") }
        for (l, m) in zip(wanted, out) {
            if layerSet.contains(l) { layerRows[l]! += m } else { layerRows[l]! += m.prefix(max(0, min(e, gridRows) - s) * D) }
        }
        s = e
        FileHandle.standardError.write("coarse: \(s)/\(n) rows (\(embedded) embedded, \(cachedRows) cached; \(Int(Date().timeIntervalSince(start))) s)\n".data(using: .utf8)!)
    }
    let embedFromCache = embedded == 0
    if let export = o["export"] {
        try layerRows[L]!.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: URL(fileURLWithPath: export), options: .atomic)
    }
    if o["embed-only"] == "yes" {
        let summary: [String: Any] = ["rows": n, "dims": D, "layer": L, "embedded_rows": embedded, "cached_rows": cachedRows,
                                      "embed_seconds": embedSeconds, "export": o["export"] ?? NSNull()]
        FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]))
        FileHandle.standardOutput.write("\n".data(using: .utf8)!)
        return
    }

    // Queries: one at a time, timing the pass cumulatively per layer.
    var queryVectors = [Int: [[Float]]](uniqueKeysWithValues: embedLayers.map { ($0, []) })
    var embedNanos = [Int: UInt64](uniqueKeysWithValues: embedLayers.map { ($0, 0) })
    _ = try model.vectors(try model.begin([queryTexts[0]]), view: EmbeddingView(layer: L, dims: D))
    for text in queryTexts {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let state = try model.begin([text])
        for l in embedLayers {
            let v = try model.vectors(state, view: EmbeddingView(layer: l, dims: D))
            embedNanos[l]! += DispatchTime.now().uptimeNanoseconds - t0
            queryVectors[l]!.append(v)
        }
    }
    let q = queryTexts.count
    func ms(_ nanos: UInt64) -> Double { Double(nanos) / 1e6 / Double(q) }
    let embedMs = embedNanos.mapValues { ms($0) }

    func truncated(_ values: [Float], _ to: Int) -> [Float] {
        if to == D { return values }
        let r = values.count / D
        var out = [Float](repeating: 0, count: r * to)
        for i in 0..<r {
            var norm: Float = 0
            for j in 0..<to { let x = values[i * D + j]; out[i * to + j] = x; norm += x * x }
            let s: Float = norm > 0 ? 1 / norm.squareRoot() : 0
            for j in 0..<to { out[i * to + j] *= s }
        }
        return out
    }
    /// nDCG@10 of a ranked row list against the query's relevant documents (rows deduplicated to documents).
    func ndcg(_ ranked: [Int], _ qi: Int, docOf: (Int) -> String) -> Double {
        var seen = Set<String>(), docs: [String] = []
        for r in ranked where seen.insert(docOf(r)).inserted { docs.append(docOf(r)) }
        var dcg = 0.0
        for (i, d) in docs.prefix(10).enumerated() where relevant[qi].contains(d) { dcg += 1 / log2(Double(i + 2)) }
        let ideal = (0..<min(10, relevant[qi].count)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
        return ideal > 0 ? dcg / ideal : 0
    }
    let full = layerRows[L]!
    let fullQueries = queryVectors[L]!

    // (c) Exact search: the ground truth.
    let exact = try BruteForceIndex(dimensions: D, metric: .innerProduct, capacity: n)
    try full.withUnsafeBufferPointer { p in for r in 0..<n { try exact.add(UnsafeBufferPointer(rebasing: p[(r * D)..<((r + 1) * D)]), label: UInt64(r)) } }
    var truth: [Set<Int>] = [], exactNanos: UInt64 = 0, exactNDCG = 0.0
    for qi in 0..<q {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let found = try exact.search(fullQueries[qi], k: k).map { Int($0.label) }
        exactNanos += DispatchTime.now().uptimeNanoseconds - t0
        truth.append(Set(found))
        exactNDCG += ndcg(found, qi, docOf: { rowDoc[$0] })
    }
    var results: [[String: Any]] = []
    results.append(["system": "exact", "layer": L, "dims": D, "shortlist": n, "recall": 1.0, "ndcg": exactNDCG / Double(q),
                    "embed_ms": embedMs[L]!, "search_ms": ms(exactNanos), "rerank_ms": 0.0, "latency_ms": embedMs[L]! + ms(exactNanos),
                    "vector_bytes": n * D * 4, "index_bytes": n * D * 4])

    let M = Int(o["M"] ?? "16") ?? 16, efC = Int(o["ef-construction"] ?? "200") ?? 200
    var builds: [[String: Any]] = []
    func graph(_ vectors: [Float], dims: Int) throws -> HNSWIndex {
        let t0 = Date()
        let g = try HNSWIndex(dimensions: dims, metric: .innerProduct, parameters: HNSWParameters(M: M, efConstruction: efC, ef: 64), capacity: n)
        try g.addBatch(vectors, labels: (0..<n).map(UInt64.init))
        builds.append(["dims": dims, "seconds": Date().timeIntervalSince(t0)])
        FileHandle.standardError.write("coarse: built HNSW over \(n) × \(dims) in \(Int(Date().timeIntervalSince(t0))) s\n".data(using: .utf8)!)
        return g
    }

    // (a) Full-view HNSW at several ef.
    let fullGraph = try graph(full, dims: D)
    for ef in efs {
        var recall = 0.0, nd = 0.0, nanos: UInt64 = 0
        for qi in 0..<q {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let found = try fullGraph.search(fullQueries[qi], k: k, ef: max(ef, k)).map { Int($0.label) }
            nanos += DispatchTime.now().uptimeNanoseconds - t0
            recall += Double(truth[qi].intersection(found).count) / Double(k)
            nd += ndcg(found, qi, docOf: { rowDoc[$0] })
        }
        results.append(["system": "full-hnsw", "layer": L, "dims": D, "shortlist": ef, "recall": recall / Double(q), "ndcg": nd / Double(q),
                        "embed_ms": embedMs[L]!, "search_ms": ms(nanos), "rerank_ms": 0.0, "latency_ms": embedMs[L]! + ms(nanos),
                        "vector_bytes": n * D * 4, "index_bytes": fullGraph.memoryBytes])
    }

    // (b) Coarse-to-fine (and coarse-only) per view.
    for v in views where !(v.layer == L && v.dims == D) {
        let g = try graph(truncated(layerRows[v.layer]!, v.dims), dims: v.dims)
        let cq = queryVectors[v.layer]!.map { truncated($0, v.dims) }
        for kp in shortlists + [0] {  // 0: coarse-only
            var recall = 0.0, nd = 0.0, searchNs: UInt64 = 0, rerankNs: UInt64 = 0
            let limit = kp == 0 ? k : max(kp, k)
            for qi in 0..<q {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let shortlist = try g.search(cq[qi], k: limit, ef: max(64, limit)).map { Int($0.label) }
                let t1 = DispatchTime.now().uptimeNanoseconds
                searchNs += t1 - t0
                var top = shortlist
                if kp > 0 {
                    var scored: [(Int, Float)] = []
                    scored.reserveCapacity(shortlist.count)
                    fullQueries[qi].withUnsafeBufferPointer { qp in
                        full.withUnsafeBufferPointer { fp in
                            for r in shortlist {
                                var dot: Float = 0
                                for j in 0..<D { dot += qp[j] * fp[r * D + j] }
                                scored.append((r, dot))
                            }
                        }
                    }
                    scored.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
                    top = scored.prefix(k).map(\.0)
                    rerankNs += DispatchTime.now().uptimeNanoseconds - t1
                }
                recall += Double(truth[qi].intersection(top).count) / Double(k)
                nd += ndcg(top, qi, docOf: { rowDoc[$0] })
            }
            let embed = kp == 0 ? embedMs[v.layer]! : embedMs[L]!
            results.append(["system": kp == 0 ? "coarse-only" : "coarse-rerank", "layer": v.layer, "dims": v.dims, "shortlist": limit,
                            "recall": recall / Double(q), "ndcg": nd / Double(q), "embed_ms": embed, "search_ms": ms(searchNs),
                            "rerank_ms": ms(rerankNs), "latency_ms": embed + ms(searchNs) + ms(rerankNs),
                            "vector_bytes": n * v.dims * 4, "index_bytes": g.memoryBytes])
        }
    }

    // The layers × dims nDCG@10 grid on the documents alone (exact search).
    var grid: [[Double]] = []
    if gridRows > 0 {
        for l in gridLayers {
            var line: [Double] = []
            for d in gridDims {
                let docs = truncated(Array(layerRows[l]!.prefix(gridRows * D)), d)
                let index = try BruteForceIndex(dimensions: d, metric: .innerProduct, capacity: gridRows)
                try docs.withUnsafeBufferPointer { p in for r in 0..<gridRows { try index.add(UnsafeBufferPointer(rebasing: p[(r * d)..<((r + 1) * d)]), label: UInt64(r)) } }
                var nd = 0.0
                for qi in 0..<q {
                    let found = try index.search(truncated(queryVectors[l]![qi], d), k: 10).map { Int($0.label) }
                    nd += ndcg(found, qi, docOf: { rowDoc[$0] })
                }
                line.append(nd / Double(q))
            }
            grid.append(line)
        }
    }

    let out: [String: Any] = [
        "system": "anglevec", "model": modelPath, "rows": n, "queries": q, "k": k, "layers": L, "dims": D,
        "embed_rows_per_s": embedded == 0 ? 0 : Double(embedded) / max(embedSeconds, 1e-9), "embedded_rows": embedded, "cached_rows": cachedRows, "embed_from_cache": embedFromCache,
        "query_embed_ms_by_layer": Dictionary(uniqueKeysWithValues: embedMs.map { ("\($0.key)", $0.value) }),
        "results": results, "builds": builds, "hnsw": ["M": M, "ef_construction": efC],
        "grid": ["rows": gridRows, "layers": gridLayers, "dims": gridDims, "ndcg": grid],
    ]
    let data = try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
