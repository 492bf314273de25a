// Train benchmark: N optimizer steps of the native AnglE fine-tune (the loop `anglevec train` runs) and
// prints examples/s (steps 2..N, the first one allocates the training buffers), wall time and peak RSS as JSON.
//
//   Bench train --data FILE [--model DIR] [--steps N] [--batch-size 32] [--max-length 128] [--threads 2]
//               [--lr 2e-5] [--ese 0|1] [--pooling avg]
import CBLAS
import Embed
import Foundation

struct TrainBenchError: Error, CustomStringConvertible { var description: String }

func runTrainBench(_ arguments: [String]) throws {
    var options: [String: String] = [:]
    var i = 0
    while i < arguments.count {
        let key = arguments[i]
        guard key.hasPrefix("--"), i + 1 < arguments.count else { throw TrainBenchError(description: "bad argument '\(key)'") }
        options[String(key.dropFirst(2))] = arguments[i + 1]
        i += 2
    }
    func int(_ name: String, _ fallback: Int) throws -> Int {
        guard let text = options[name] else { return fallback }
        guard let n = Int(text), n > 0 else { throw TrainBenchError(description: "--\(name) expects a positive integer, got '\(text)'") }
        return n
    }
    guard let dataPath = options["data"] else { throw TrainBenchError(description: "need --data FILE (JSONL/CSV/TSV training examples)") }
    let steps = try int("steps", 8)
    let threads = try int("threads", 2)
    openblas_set_num_threads(Int32(threads))

    let loadStart = Date()
    let modelPath = NSString(string: options["model"] ?? "~/.cache/anglevec/models/all-MiniLM-L6-v2").expandingTildeInPath
    let pooling = try options["pooling"].map { try PoolingStrategy(name: $0) }
    let model = try EmbeddingModel.load(from: URL(fileURLWithPath: modelPath), pooling: pooling ?? .avg)
    guard let bert = model.encoder as? BertModel, let tokenizer = model.tokenizer else {
        throw TrainBenchError(description: "\(modelPath): training needs a BERT model with tokenizer files")
    }
    let dataset = try TrainingDataset.load(contentsOf: URL(fileURLWithPath: dataPath))
    var c = FineTuneConfiguration()
    c.batchSize = try int("batch-size", 32)
    c.maxLength = try int("max-length", 128)
    c.maxSteps = steps
    c.warmupSteps = 0
    c.learningRate = options["lr"].flatMap(Double.init) ?? 2e-5
    c.pooling = model.pooling
    c.loss = AngleLoss(format: dataset.format, cosineWeight: 0, ibnWeight: 1, clnWeight: 1, angleWeight: 0.02)
    if options["ese"] == "1" { c.espresso = (compressionSize: 128, klTemperature: 1) }
    let tuner = try FineTuner(model: TrainableBert(bert), tokenizer: tokenizer, dataset: dataset, configuration: c)
    let loadSeconds = Date().timeIntervalSince(loadStart)

    var stamps = [Date]()
    let start = Date()
    let record = try tuner.run { _ in stamps.append(Date()) }
    let seconds = Date().timeIntervalSince(start)
    // Rate over steps 2..N: from the end of step 1 to the end of step N.
    let timed = stamps.count > 1 ? stamps.last!.timeIntervalSince(stamps[0]) : seconds
    let timedSteps = stamps.count > 1 ? stamps.count - 1 : stamps.count
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let result: [String: Any] = [
        "mode": "train", "model": modelPath, "data": "\(dataPath): \(dataset.examples.count) examples, format \(dataset.format.rawValue)",
        "steps": record.count, "batch_size": c.batchSize, "max_length": c.maxLength, "threads": threads,
        "ese": c.espresso != nil, "seconds": seconds, "load_seconds": loadSeconds, "first_step_seconds": stamps.first.map { $0.timeIntervalSince(start) } ?? 0,
        "examples_per_s": Double(timedSteps * c.batchSize) / max(timed, 1e-9),
        "peak_rss_mib": Double(usage.ru_maxrss) / 1024, "losses": record.map(\.loss),
    ]
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
