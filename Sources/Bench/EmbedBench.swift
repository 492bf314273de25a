// Embed benchmark: embeds a text file (one text per line, or JSONL with a "text" field) with the
// native encoder and prints docs/s, tokens/s, implied GFLOP/s and peak RSS as JSON.
//
//   Bench embed --texts FILE [--model DIR] [--limit N] [--workers N] [--token-budget N]
//   Bench embed --synthetic N:LEN [--model DIR]   (random ids of LEN tokens: no tokenizer needed)
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
    let model = try EmbeddingModel.load(from: URL(fileURLWithPath: modelPath))
    let embedder = Embedder(model: model)
    if let w = options["workers"].flatMap(Int.init) { embedder.workers = w }
    if let b = options["token-budget"].flatMap(Int.init) { embedder.tokenBudget = b }
    let limit = options["limit"].flatMap(Int.init) ?? Int.max

    var source = ""
    var ids: [[Int32]] = []
    let start: Date
    if let synthetic = options["synthetic"] {
        let parts = synthetic.split(separator: ":").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] >= 2 else { throw EmbedBenchError(description: "--synthetic wants N:LEN") }
        var rng = SystemRandomNumberGenerator()
        let vocab = model.configuration.vocabSize
        ids = (0..<min(parts[0], limit)).map { _ in [101] + (0..<(parts[1] - 2)).map { _ in Int32(1000 + Int(rng.next() % UInt64(vocab - 1000))) } + [102] }
        source = "synthetic: \(ids.count) sequences of \(parts[1]) random token ids"
        start = Date()
    } else {
        guard let path = options["texts"] else { throw EmbedBenchError(description: "need --texts FILE or --synthetic N:LEN") }
        let texts = try readBenchTexts(path, limit: limit)
        source = "\(path): \(texts.count) texts"
        start = Date() // tokenization is part of the measured time
        ids = try model.tokenize(texts).map(\.ids)
    }
    _ = try embedder.embed(ids: ids)
    let seconds = Date().timeIntervalSince(start)
    let tokens = ids.reduce(0) { $0 + $1.count }
    let flops = ids.reduce(0.0) { $0 + encoderFlops(model.configuration, length: $1.count) }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let result: [String: Any] = [
        "system": "anglevec", "data": source, "model": modelPath,
        "docs": ids.count, "tokens": tokens, "seconds": seconds,
        "docs_per_s": Double(ids.count) / seconds, "tokens_per_s": Double(tokens) / seconds,
        "gflop_per_s": flops / seconds / 1e9, "mflop_per_token": flops / Double(max(tokens, 1)) / 1e6,
        "peak_rss_mb": Double(usage.ru_maxrss) / 1024, "workers": embedder.workers,
        "token_budget": embedder.tokenBudget, "isa": String(cString: ck_isa()),
    ]
    let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// Multiply-add FLOPs (×2) of one sequence through a BERT encoder: the four linears per layer
/// plus the two attention products.
func encoderFlops(_ c: Configuration, length: Int) -> Double {
    let h = Double(c.hiddenSize), inter = Double(c.intermediateSize), l = Double(length)
    let linear = 2 * l * (h * 3 * h + h * h + 2 * h * inter)
    let attention = 2 * 2 * l * l * h
    return Double(c.numHiddenLayers) * (linear + attention)
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
