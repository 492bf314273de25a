import CBLAS
import Dispatch
import Foundation

/// Embeds many texts: tokenizes, sorts by length, packs batches under a padded-token budget (little
/// padding waste), runs each batch once for all requested views, and returns the vectors in input order.
///
/// Threading: `workers` independent batch loops, each with single-threaded BLAS (by default one per
/// core). On a 2-core laptop this beats one loop with 2 BLAS threads because everything that is not
/// a large sgemm — tokenization, the per-(sequence, head) attention sgemms (L×L×64, too small to split),
/// softmax, GELU, LayerNorm, pooling — runs on both cores too, and no BLAS thread synchronisation
/// is paid per call. The cost is one workspace per worker. A single small batch (a query) uses one
/// loop with all BLAS threads instead, for latency.
public final class Embedder: @unchecked Sendable {
    public let model: EmbeddingModel
    /// Padded tokens (sequences × longest length) per batch.
    public var tokenBudget: Int
    /// Sequences per batch at most.
    public var maxBatchSize: Int
    /// Concurrent batch loops.
    public var workers: Int

    public init(model: EmbeddingModel, tokenBudget: Int = 4096, maxBatchSize: Int = 256, workers: Int? = nil) {
        self.model = model
        self.tokenBudget = tokenBudget
        self.maxBatchSize = maxBatchSize
        self.workers = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Embeds `texts` (each after `prompt`), one matrix per view in `views` order (default: the full
    /// view). `progress(done, total)` is called from worker threads after each batch.
    public func embed(_ texts: [String], prompt: Prompt? = nil, views: [EmbeddingView]? = nil,
                      progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> [EmbeddingMatrix] {
        guard let tokenizer = model.tokenizer else {
            throw ModelLoadError.invalidInput("\(model.folder.path) has no tokenizer loaded; pass one to EmbeddingModel.load(from:tokenizer:)")
        }
        var encodings = [Encoding](repeating: Encoding(ids: [], typeIds: [], offsets: []), count: texts.count)
        let maxLength = model.maxLength
        let chunk = 64
        encodings.withUnsafeMutableBufferPointer { out in
            let out = out
            DispatchQueue.concurrentPerform(iterations: (texts.count + chunk - 1) / chunk) { c in
                for i in (c * chunk)..<min(texts.count, (c + 1) * chunk) {
                    out[i] = tokenizer.encode(prompt?.apply(to: texts[i]) ?? texts[i], maxLength: maxLength)
                }
            }
        }
        return try embed(encodings: encodings, views: views, progress: progress)
    }

    /// Embeds already tokenized sequences (ids with special tokens, unpadded).
    public func embed(encodings: [Encoding], views: [EmbeddingView]? = nil,
                      progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> [EmbeddingMatrix] {
        try embed(ids: encodings.map(\.ids), typeIds: encodings.map(\.typeIds), views: views, progress: progress)
    }

    /// Embeds token id sequences; `typeIds` defaults to zeros; `pooling` overrides the model's.
    public func embed(ids: [[Int32]], typeIds: [[Int32]]? = nil, views: [EmbeddingView]? = nil,
                      pooling: PoolingStrategy? = nil, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> [EmbeddingMatrix] {
        let encoder = model.encoder
        let views = views ?? [model.fullView]
        guard !views.isEmpty else { throw ModelLoadError.invalidInput("no embedding views requested") }
        for view in views { try view.validate(for: encoder) }
        if let typeIds, typeIds.count != ids.count {
            throw ModelLoadError.invalidInput("\(typeIds.count) token type sequences for \(ids.count) id sequences")
        }
        for (i, sequence) in ids.enumerated() {
            guard !sequence.isEmpty else { throw ModelLoadError.invalidInput("sequence \(i) has no tokens") }
            guard sequence.count <= encoder.maxPositions else {
                throw ModelLoadError.invalidInput("sequence \(i) has \(sequence.count) tokens, more than max_position_embeddings \(encoder.maxPositions)")
            }
        }
        let batches = plan(lengths: ids.map(\.count))
        if ids.isEmpty { return views.map { EmbeddingMatrix(zeros: 0, dims: $0.dims) } }
        // Views in layer order, so one pass serves all of them.
        let order = views.indices.sorted { views[$0].layer < views[$1].layer }
        let padId = model.tokenizer?.padId ?? 0
        let pooling = pooling ?? model.pooling
        let workerCount = min(workers, batches.count)

        let lock = NSLock()
        var next = 0, done = 0
        var failure: Error? = nil
        let total = ids.count

        let previousThreads = openblas_get_num_threads()
        openblas_set_num_threads(workerCount > 1 ? 1 : Int32(ProcessInfo.processInfo.activeProcessorCount))
        defer { openblas_set_num_threads(previousThreads) }

        let storages = try withOutputBuffers(views.map { ids.count * $0.dims }) { pointers in
            DispatchQueue.concurrentPerform(iterations: max(workerCount, 1)) { _ in
                let workspace = EncoderWorkspace()
                var pooled = [Float]()
                while true {
                    lock.lock()
                    let index = next
                    next += 1
                    let stop = failure != nil
                    lock.unlock()
                    if stop || index >= batches.count { return }
                    let members = batches[index]
                    do {
                        let batch = try TokenBatch(members.map { ids[$0] }, typeIds: typeIds.map { t in members.map { t[$0] } }, padId: padId)
                        let state = try EncoderState(encoder: encoder, batch: batch, workspace: workspace)
                        for v in order {
                            let view = views[v]
                            try state.advance(to: view.layer)
                            if pooled.count < members.count * view.dims { pooled = [Float](repeating: 0, count: members.count * view.dims) }
                            try pooled.withUnsafeMutableBufferPointer { buffer in
                                try state.pool(pooling, view: view, into: buffer.baseAddress!)
                                for (row, original) in members.enumerated() {
                                    (pointers[v] + original * view.dims).update(from: buffer.baseAddress! + row * view.dims, count: view.dims)
                                }
                            }
                        }
                    } catch {
                        lock.lock(); if failure == nil { failure = error }; lock.unlock()
                        return
                    }
                    lock.lock()
                    done += members.count
                    let finished = done
                    lock.unlock()
                    progress?(finished, total)
                }
            }
        }
        if let failure { throw failure }
        return zip(views, storages).map { EmbeddingMatrix(count: ids.count, dims: $0.dims, values: $1) }
    }

    /// Sequence indices grouped into batches: sorted by length (longest first, so the biggest
    /// batches start early), each batch within `tokenBudget` padded tokens and `maxBatchSize`.
    func plan(lengths: [Int]) -> [[Int]] {
        let sorted = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        var batches: [[Int]] = []
        var current: [Int] = []
        var longest = 0
        for i in sorted {
            let l = max(longest, lengths[i])
            if !current.isEmpty && ((current.count + 1) * l > tokenBudget || current.count >= maxBatchSize) {
                batches.append(current)
                current = []
                longest = 0
            }
            current.append(i)
            longest = max(longest, lengths[i])
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }
}

/// Allocates one zeroed array per size and runs `body` with their base pointers (for disjoint-row
/// writes from worker threads), without copying the results afterwards.
private func withOutputBuffers(_ sizes: [Int], _ body: ([UnsafeMutablePointer<Float>]) throws -> Void) throws -> [[Float]] {
    func build(_ i: Int, _ pointers: [UnsafeMutablePointer<Float>]) throws -> [[Float]] {
        if i == sizes.count { try body(pointers); return [] }
        var rest: [[Float]] = []
        let array = try [Float](unsafeUninitializedCapacity: sizes[i]) { buffer, count in
            buffer.initialize(repeating: 0)
            count = sizes[i]
            rest = try build(i + 1, pointers + [buffer.baseAddress!])
        }
        return [array] + rest
    }
    return try build(0, [])
}
