import Foundation

/// Grow-only scratch memory for forward passes, reused across batches so the hot path allocates
/// nothing. One workspace serves one `EncoderState` at a time (one per worker thread).
public final class EncoderWorkspace: @unchecked Sendable {
    struct Buffer {
        var pointer: UnsafeMutablePointer<Float>? = nil
        var capacity = 0
        mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
            if count > capacity || pointer == nil {
                pointer?.deallocate()
                capacity = max(count, 1)
                pointer = .allocate(capacity: capacity)
            }
            return pointer!
        }
        func free() { pointer?.deallocate() }
    }
    var hidden = Buffer(), qkv = Buffer(), context = Buffer(), projected = Buffer(), intermediate = Buffer(), scores = Buffer()

    public init() {}
    deinit { [hidden, qkv, context, projected, intermediate, scores].forEach { $0.free() } }
}

/// One forward pass in progress: the padded batch, its hidden states after `layersDone` layers,
/// and the workspace holding them. Run part of the encoder (`advance(to:)`), pool a coarse view,
/// then continue the same pass to the end without recomputing the first layers.
public final class EncoderState: @unchecked Sendable {
    public let encoder: any EncoderArchitecture
    public let batch: TokenBatch
    /// Layers applied so far (0 = embeddings only, i.e. hidden_states[0]).
    public private(set) var layersDone = 0
    let workspace: EncoderWorkspace
    /// [batch·seqLen, hidden], row-major.
    let hidden: UnsafeMutablePointer<Float>

    /// Embeds `batch` (runs the embedding layer).
    /// - Throws: `ModelLoadError.invalidInput` for ids outside the vocabulary or sequences too long.
    public init(encoder: any EncoderArchitecture, batch: TokenBatch, workspace: EncoderWorkspace = EncoderWorkspace()) throws {
        let config = encoder.configuration
        guard batch.seqLen <= encoder.maxPositions else {
            throw ModelLoadError.invalidInput("sequence of \(batch.seqLen) tokens exceeds max_position_embeddings \(encoder.maxPositions)")
        }
        for (i, id) in batch.ids.enumerated() where id < 0 || Int(id) >= config.vocabSize {
            throw ModelLoadError.invalidInput("token id \(id) (sequence \(i / max(batch.seqLen, 1))) is outside vocab_size \(config.vocabSize)")
        }
        let types = config.typeVocabSize ?? 2
        for (i, id) in batch.typeIds.enumerated() where id < 0 || Int(id) >= types {
            throw ModelLoadError.invalidInput("token type id \(id) (sequence \(i / max(batch.seqLen, 1))) is outside type_vocab_size \(types)")
        }
        self.encoder = encoder
        self.batch = batch
        self.workspace = workspace
        self.hidden = workspace.hidden.reserve(batch.count * batch.seqLen * encoder.hiddenSize)
        encoder.embed(self)
    }

    /// Runs layers until `layer` have been applied (no-op if already there).
    public func advance(to layer: Int) throws {
        guard layer >= 0, layer <= encoder.layerCount else {
            throw ModelLoadError.invalidInput("layer \(layer) is outside 0...\(encoder.layerCount)")
        }
        while layersDone < layer {
            encoder.runLayer(layersDone, self)
            layersDone += 1
        }
    }

    /// The current hidden states, [count, seqLen, hidden] row-major (valid until the next advance).
    public var hiddenStates: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: hidden, count: batch.count * batch.seqLen * encoder.hiddenSize)
    }

    /// Pools the current hidden states into `output` ([count, view.dims] row-major) for `view`,
    /// which must be at `layersDone`.
    public func pool(_ strategy: PoolingStrategy, view: EmbeddingView, into output: UnsafeMutablePointer<Float>, rowStride: Int? = nil) throws {
        guard view.layer == layersDone else {
            throw ModelLoadError.invalidInput("view wants layer \(view.layer) but the pass is at layer \(layersDone)")
        }
        guard view.dims >= 1, view.dims <= encoder.hiddenSize else {
            throw ModelLoadError.invalidInput("view dims \(view.dims) outside 1...\(encoder.hiddenSize)")
        }
        poolingForward(strategy, hidden: UnsafePointer(hidden), batch: batch.count, seqLen: batch.seqLen,
                       hiddenSize: encoder.hiddenSize, lengths: batch.lengths, dims: view.dims,
                       normalize: view.normalized, into: output, rowStride: rowStride ?? view.dims)
    }

    /// Convenience: pooled vectors for `view` as [count·dims].
    public func pooled(_ strategy: PoolingStrategy, view: EmbeddingView) throws -> [Float] {
        var out = [Float](repeating: 0, count: batch.count * view.dims)
        try out.withUnsafeMutableBufferPointer { try pool(strategy, view: view, into: $0.baseAddress!) }
        return out
    }
}
