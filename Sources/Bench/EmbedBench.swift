// Embed benchmark: embeds a text file (one text per line, or JSONL with a "text" field) with the
// native encoder and prints docs/s, tokens/s, implied GFLOP/s and peak RSS as JSON.
//
//   Bench embed --texts FILE [--model DIR] [--limit N] [--workers N] [--token-budget N] [--precision P]
//               [--queries FILE [--query-limit N]]   (adds single-query latency p50/p95 in ms)
//   (--threads/--batch, passed by benchmarks/cases/embed.py for the peer's sake, are ignored: the
//   Embedder uses both cores and batches by a token budget.)
//   Bench embed --synthetic N:LEN [--model DIR]   (random ids of LEN tokens: no tokenizer needed)
//
// --precision fp32|bf16 picks the encoder's matmul arithmetic (default: as the library chooses:
// ANGLEVEC_PRECISION, else bf16 where the CPU has AVX512_BF16). --precision fp32,bf16 loads both and
// measures them alternately (--repeat N rounds, default 3) in one run, so the ratio is taken under
// the same load; the JSON then has one entry per precision in "runs" and the bf16/fp32 ratio.
// --sgemm-reference yes adds a raw OpenBLAS sgemm of the encoder's four linear shapes with the same
// worker layout, timed between the rounds: how close the fp32 encoder gets to its sgemm peak.
import CBLAS
import CKernels
import Embed
import Foundation

func runEmbedBench(_ arguments: [String]) throws {
    var options: [String: String] = [:]
    var i = 0
    while i < arguments.count {
        let key = arguments[i]
        guard key.hasPrefix("--"), i + 1 < arguments.count else { throw EmbedBenchError(description: "bad argument '\(key)'") }
        options[String(key.dropFirst(2))] = arguments[i + 1]
        i += 2
    }
    let modelPath = NSString(string: options["model"] ?? "~/.cache/anglevec/models/all-MiniLM-L6-v2").expandingTildeInPath
    var precisions: [EncoderPrecision?] = [nil]
    if let list = options["precision"] {
        precisions = try list.split(separator: ",").map { name in
            guard let p = EncoderPrecision(rawValue: String(name)) else { throw EmbedBenchError(description: "--precision wants fp32, bf16 or fp32,bf16") }
            return p
        }
    }
    let embedders = try precisions.map { precision -> Embedder in
        let embedder = Embedder(model: try EmbeddingModel.load(from: URL(fileURLWithPath: modelPath), precision: precision))
        if let w = options["workers"].flatMap(Int.init) { embedder.workers = w }
        if let b = options["token-budget"].flatMap(Int.init) { embedder.tokenBudget = b }
        return embedder
    }
    let model = embedders[0].model
    let limit = options["limit"].flatMap(Int.init) ?? Int.max
    let rounds = precisions.count > 1 ? max(1, options["repeat"].flatMap(Int.init) ?? 3) : 1
    let sgemmReference = options["sgemm-reference"].map { $0 == "yes" || $0 == "1" || $0 == "true" } ?? false

    var source = ""
    var ids: [[Int32]] = []
    var texts: [String]? = nil
    if let synthetic = options["synthetic"] {
        let parts = synthetic.split(separator: ":").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] >= 2 else { throw EmbedBenchError(description: "--synthetic wants N:LEN") }
        var rng = SystemRandomNumberGenerator()
        let vocab = model.configuration.vocabSize
        ids = (0..<min(parts[0], limit)).map { _ in [101] + (0..<(parts[1] - 2)).map { _ in Int32(1000 + Int(rng.next() % UInt64(vocab - 1000))) } + [102] }
        source = "synthetic: \(ids.count) sequences of \(parts[1]) random token ids"
    } else {
        guard let path = options["texts"] else { throw EmbedBenchError(description: "need --texts FILE or --synthetic N:LEN") }
        texts = try readBenchTexts(path, limit: limit)
        source = "\(path): \(texts!.count) texts"
    }

    // Rounds alternate the precisions (and the raw sgemm reference) so each sees the same load.
    var best = [Double](repeating: .infinity, count: embedders.count)
    var bestSgemm = Double.infinity
    for _ in 0..<rounds {
        for (e, embedder) in embedders.enumerated() {
            let start = Date()
            if let texts { ids = try model.tokenize(texts).map(\.ids) } // tokenization is part of the measured time
            _ = try embedder.embed(ids: ids)
            best[e] = min(best[e], Date().timeIntervalSince(start))
        }
        if sgemmReference { bestSgemm = min(bestSgemm, rawLinearSgemmSeconds(embedders[0], lengths: ids.map(\.count))) }
    }
    let tokens = ids.reduce(0) { $0 + $1.count }
    let flops = ids.reduce(0.0) { $0 + encoderFlops(model.configuration, length: $1.count) }
    let linearFlops = ids.reduce(0.0) { $0 + encoderFlops(model.configuration, length: $1.count, attention: false) }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let runs: [[String: Any]] = zip(embedders, best).map { embedder, seconds in [
        "system": "anglevec", "precision": embedder.model.precision.rawValue,
        "docs": ids.count, "tokens": tokens, "seconds": seconds,
        "docs_per_s": Double(ids.count) / seconds, "tokens_per_s": Double(tokens) / seconds,
        "gflop_per_s": flops / seconds / 1e9,
    ] }
    var result: [String: Any] = runs[0]
    result.merge([
        "data": source, "model": modelPath, "mflop_per_token": flops / Double(max(tokens, 1)) / 1e6,
        "peak_rss_mb": Double(usage.ru_maxrss) / 1024, "workers": embedders[0].workers,
        "token_budget": embedders[0].tokenBudget, "isa": String(cString: ck_isa()),
        "cpu_avx512_bf16": EncoderPrecision.cpuSupportsBF16, "rounds": rounds,
    ]) { $1 }
    if runs.count > 1 {
        result["runs"] = runs
        result["ratio_\(precisions[1]!.rawValue)_vs_\(precisions[0]!.rawValue)_docs_per_s"] = best[0] / best[1]
    }
    if let queriesPath = options["queries"] {
        // Single-query latency as an app sees it: tokenize + embed one text, one at a time.
        let queries = try readBenchTexts(queriesPath, limit: options["query-limit"].flatMap(Int.init) ?? Int.max)
        let embedder = embedders[0]
        for q in queries.prefix(5) { _ = try embedder.embed([q]) } // warm-up, as the peer does
        var latencies: [Double] = []
        for q in queries {
            let start = Date()
            _ = try embedder.embed([q])
            latencies.append(Date().timeIntervalSince(start) * 1000)
        }
        latencies.sort()
        if !latencies.isEmpty {
            func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((p * Double(latencies.count - 1)).rounded()))] }
            result["latency_ms_p50"] = percentile(0.5)
            result["latency_ms_p95"] = percentile(0.95)
            result["queries"] = latencies.count
        }
    }
    if sgemmReference {
        // The encoder's linear FLOPs at the raw sgemm rate: the time a perfect fp32 encoder would take
        // on its matmuls alone; the ratio to the fp32 run is the fraction of sgemm peak reached.
        result["sgemm_linear_gflop_per_s"] = linearFlops / bestSgemm / 1e9
        if let fp32 = precisions.firstIndex(where: { $0 == .fp32 }) ?? (embedders[0].model.precision == .fp32 ? 0 : nil) {
            result["fp32_encoder_vs_raw_sgemm_gflop_per_s"] = (flops / best[fp32]) / (linearFlops / bestSgemm)
        }
    }
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]) // one line: the harness reads the last line
    print(String(decoding: data, as: UTF8.self))
}

/// Multiply-add FLOPs (×2) of one sequence through a BERT encoder: the four linears per layer
/// plus (unless `attention` is false) the two attention products.
func encoderFlops(_ c: Configuration, length: Int, attention: Bool = true) -> Double {
    let h = Double(c.hiddenSize), inter = Double(c.intermediateSize), l = Double(length)
    let linear = 2 * l * (h * 3 * h + h * h + 2 * h * inter)
    let attentionFlops = attention ? 2 * 2 * l * l * h : 0
    return Double(c.numHiddenLayers) * (linear + attentionFlops)
}

/// Seconds for raw `cblas_sgemm`s of every linear of every layer over the batches `embedder` would
/// plan for `lengths` (rows = sequences × longest length, as the padded batch), on the same worker
/// layout (workers loops of single-threaded BLAS, or one loop with all threads).
func rawLinearSgemmSeconds(_ embedder: Embedder, lengths: [Int]) -> Double {
    let c = embedder.model.configuration
    let h = c.hiddenSize, inter = c.intermediateSize
    let batches = embedder.plan(lengths: lengths)
    let rows = batches.map { members in members.count * members.map { lengths[$0] }.max()! }
    let maxRows = rows.max() ?? 1
    let workers = min(embedder.workers, batches.count)
    let shapes = [(3 * h, h), (h, h), (inter, h), (h, inter)] // (out, in)
    let previous = openblas_get_num_threads()
    openblas_set_num_threads(workers > 1 ? 1 : Int32(ProcessInfo.processInfo.activeProcessorCount))
    defer { openblas_set_num_threads(previous) }
    let weights = shapes.map { (o, i) in [Float](repeating: 0.01, count: o * i) }
    let lock = NSLock()
    var next = 0
    let start = Date()
    DispatchQueue.concurrentPerform(iterations: max(workers, 1)) { _ in
        let x = [Float](repeating: 0.5, count: maxRows * inter)
        var y = [Float](repeating: 0, count: maxRows * inter)
        while true {
            lock.lock(); let b = next; next += 1; lock.unlock()
            if b >= rows.count { return }
            for _ in 0..<c.numHiddenLayers {
                for ((o, i), w) in zip(shapes, weights) {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows[b]), Int32(o), Int32(i),
                                1, x, Int32(i), w, Int32(i), 0, &y, Int32(o))
                }
            }
        }
    }
    return Date().timeIntervalSince(start)
}

func readBenchTexts(_ path: String, limit: Int) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { throw EmbedBenchError(description: "cannot read \(path)") }
    var texts: [String] = []
    for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
        if texts.count >= limit { break }
        if line.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let text = object["text"] as? String else {
                throw EmbedBenchError(description: "\(path):\(n + 1): JSONL line without a string \"text\"")
            }
            texts.append(text)
        } else {
            texts.append(String(line))
        }
    }
    return texts
}

struct EmbedBenchError: Error, CustomStringConvertible { var description: String }
