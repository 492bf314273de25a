// anglevec-bench: the Swift side of benchmarks/run.sh. Each mode lives in its own file
// (IndexBench.swift, StoreBench.swift, EmbedBench.swift, TrainBench.swift) and prints JSON.
import Foundation

let modes: [String: ([String]) throws -> Void] = [
    "index": runIndexBench,
    "store": runStoreBench,
    "embed": runEmbedBench,
    "train": runTrainBench,
    "coarse": runCoarseBench,
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first, let run = modes[mode] else {
    FileHandle.standardError.write("usage: anglevec-bench <\(modes.keys.sorted().joined(separator: "|"))> [options]\n".data(using: .utf8)!)
    exit(1)
}
do {
    try run(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write("anglevec-bench \(mode): \(error)\n".data(using: .utf8)!)
    exit(2)
}
