/// One training-mode forward pass of a `TrainableBert` over a batch, keeping what the backward pass
/// needs, then the backward pass from gradients of pooled views of any layers (the last layer, and
/// ESE's shallow views) into the parameters' gradients, as autograd through transformers' BertModel in
/// train mode does (see `PaddedTrainingPass`).
///
/// The batch runs as length groups (`LengthGroups`), each padded only to its own longest text: padding
/// is masked out of attention and pooling, so this is the same computation as one pass padded to the
/// batch's longest text, without the work on padding (format C pads short queries to long documents).
/// Pooled views and their gradients are in the batch's row order. Each group draws its own dropout
/// masks from the generator, groups in ascending length: the same seed gives the same masks.
public final class BertTrainingPass {
    public let model: TrainableBert
    public let batch: TokenBatch
    /// The length groups' passes, and per group the batch rows it holds.
    let groups: [(rows: [Int], pass: PaddedTrainingPass)]

    /// Runs the forward pass.
    /// - Parameters:
    ///   - hiddenDropout: `hidden_dropout_prob` (0.1 for BERT/MiniLM); 0 = eval mode.
    ///   - attentionDropout: `attention_probs_dropout_prob` (0.1).
    ///   - groupByLength: split the batch into length groups (false: one pass padded to the longest text).
    ///   - generator: draws the dropout masks.
    public convenience init(model: TrainableBert, batch: TokenBatch, hiddenDropout: Float = 0.1, attentionDropout: Float = 0.1,
                            groupByLength: Bool = true, generator: inout SeededGenerator) throws {
        // A group costs about as much as 32 more padded tokens (smaller sgemms, per-group loops).
        let tokenCost = Double(2 * model.hiddenSize + model.configuration.intermediateSize)
        try self.init(model: model, batch: batch, hiddenDropout: hiddenDropout, attentionDropout: attentionDropout,
                      groupCost: groupByLength ? 32 * tokenCost : .infinity, generator: &generator)
    }

    /// `groupCost`: the fixed cost of a length group, in padded-token work units (`LengthGroups`);
    /// 0 splits at every distinct length, infinity keeps one group.
    init(model: TrainableBert, batch: TokenBatch, hiddenDropout: Float, attentionDropout: Float, groupCost: Double,
         generator: inout SeededGenerator) throws {
        try PaddedTrainingPass.validate(model: model, batch: batch, hiddenDropout: hiddenDropout, attentionDropout: attentionDropout)
        self.model = model
        self.batch = batch
        let tokenCost = Double(2 * model.hiddenSize + model.configuration.intermediateSize)
        let split = groupCost.isInfinite ? [Array(0..<batch.count)]
            : LengthGroups(lengths: batch.lengths, tokenCost: tokenCost, groupCost: groupCost).groups
        if split.count == 1 {
            groups = [(split[0], try PaddedTrainingPass(model: model, batch: batch, hiddenDropout: hiddenDropout,
                                                        attentionDropout: attentionDropout, generator: &generator))]
            return
        }
        // Padded positions keep the batch's pad id (they never reach a real token's output).
        let padId = batch.lengths.firstIndex { $0 < batch.seqLen }.map { batch.ids[$0 * batch.seqLen + batch.lengths[$0]] } ?? 0
        var groups = [(rows: [Int], pass: PaddedTrainingPass)]()
        for rows in split {
            let ids = rows.map { Array(batch.ids[($0 * batch.seqLen)..<($0 * batch.seqLen + batch.lengths[$0])]) }
            let types = rows.map { Array(batch.typeIds[($0 * batch.seqLen)..<($0 * batch.seqLen + batch.lengths[$0])]) }
            let sub = try TokenBatch(ids, typeIds: types, padId: padId)
            groups.append((rows, try PaddedTrainingPass(model: model, batch: sub, hiddenDropout: hiddenDropout,
                                                        attentionDropout: attentionDropout, generator: &generator)))
        }
        self.groups = groups
    }

    /// hidden_states[layer] (0 = embedding output, layerCount = last), [count·seqLen, hidden]. Padded
    /// positions beyond a row's length group are 0 (that group ran shorter); real tokens are exact.
    public func hiddenStates(_ layer: Int) -> [Float] {
        if groups.count == 1 { return groups[0].pass.hiddenStates(layer) }
        let h = model.hiddenSize, seqLen = batch.seqLen
        var out = [Float](repeating: 0, count: batch.count * seqLen * h)
        for (rows, pass) in groups {
            let states = pass.hiddenStates(layer), groupLen = pass.batch.seqLen
            for (i, row) in rows.enumerated() {
                for v in 0..<(groupLen * h) { out[row * seqLen * h + v] = states[i * groupLen * h + v] }
            }
        }
        return out
    }

    /// The pooled vectors of hidden_states[layer], first `dims` dimensions (nil = all), [count, dims].
    public func pooled(_ strategy: PoolingStrategy, layer: Int, dims: Int? = nil) -> [Float] {
        if groups.count == 1 { return groups[0].pass.pooled(strategy, layer: layer, dims: dims) }
        let d = dims ?? model.hiddenSize
        var out = [Float](repeating: 0, count: batch.count * d)
        for (rows, pass) in groups {
            let pooled = pass.pooled(strategy, layer: layer, dims: d)
            for (i, row) in rows.enumerated() {
                for k in 0..<d { out[row * d + k] = pooled[i * d + k] }
            }
        }
        return out
    }

    /// A gradient with respect to one pooled view: d loss / d pooled(strategy, layer, dims), [count, dims].
    public struct PooledGradient {
        public var strategy: PoolingStrategy
        public var layer: Int
        public var dims: Int
        public var gradient: [Float]

        public init(strategy: PoolingStrategy, layer: Int, dims: Int, gradient: [Float]) {
            self.strategy = strategy
            self.layer = layer
            self.dims = dims
            self.gradient = gradient
        }
    }

    /// Backpropagates the pooled views' gradients through the encoder, adding into the model's
    /// parameter gradients (call `model.zeroGradients()` before a new accumulation): each length
    /// group backpropagates its rows of every view.
    public func backward(_ pooledGradients: [PooledGradient]) throws {
        let h = model.hiddenSize, layerCount = model.layerCount
        // Check every view before any group adds into the parameter gradients.
        for g in pooledGradients {
            guard (0...layerCount).contains(g.layer), (1...h).contains(g.dims), g.gradient.count == batch.count * g.dims else {
                throw TrainingError.shape("pooled gradient for layer \(g.layer), \(g.dims) dims: \(g.gradient.count) values for \(batch.count) rows")
            }
        }
        if groups.count == 1 { return try groups[0].pass.backward(pooledGradients) }
        for (rows, pass) in groups {
            try pass.backward(pooledGradients.map { g in
                var part = [Float](repeating: 0, count: rows.count * g.dims)
                for (i, row) in rows.enumerated() {
                    for k in 0..<g.dims { part[i * g.dims + k] = g.gradient[row * g.dims + k] }
                }
                return PooledGradient(strategy: g.strategy, layer: g.layer, dims: g.dims, gradient: part)
            })
        }
    }
}
