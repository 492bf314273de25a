/// One training-mode forward pass of a `TrainableBert` over one padded batch (a length group of a
/// `BertTrainingPass`), keeping what the backward pass needs (every hidden state, the pre-LayerNorm
/// sums, attention probabilities, pre-GELU activations, dropout masks), then the backward pass from
/// gradients of pooled views of any layers into the parameters' gradients, as autograd through
/// transformers' BertModel in train mode does.
///
/// Dropout follows BertModel: after the embedding LayerNorm, on the attention probabilities, and on
/// each sublayer's output before its residual add; masks come from the seeded generator and are kept
/// as the generator state that drew them (regenerated for the backward pass, not stored).
final class PaddedTrainingPass {
    struct LayerCache {
        var qkv: [Float], probabilities: [Float], attentionMask: DropoutMask?, context: [Float]
        var residual1: [Float], mask1: DropoutMask?, normed1: [Float]
        var preActivation: [Float], activation: [Float], residual2: [Float], mask2: DropoutMask?
    }

    let model: TrainableBert
    let batch: TokenBatch
    let rows: Int
    /// hidden_states[0 ... layerCount], each [count·seqLen, hidden].
    var states: [[Float]] = []
    var embeddingSum: [Float] = []
    var embeddingMask: DropoutMask? = nil
    /// Mask scratch (attention: [count, heads, seqLen, seqLen]; hidden: [count·seqLen, hidden]).
    var attentionMaskScratch: [Float] = [], hiddenMaskScratch: [Float] = []
    var caches: [LayerCache] = []

    /// Runs the forward pass.
    /// - Parameters:
    ///   - hiddenDropout: `hidden_dropout_prob` (0.1 for BERT/MiniLM); 0 = eval mode.
    ///   - attentionDropout: `attention_probs_dropout_prob` (0.1).
    ///   - generator: draws the dropout masks.
    init(model: TrainableBert, batch: TokenBatch, hiddenDropout: Float, attentionDropout: Float,
         generator: inout SeededGenerator) throws {
        try Self.validate(model: model, batch: batch, hiddenDropout: hiddenDropout, attentionDropout: attentionDropout)
        let c = model.configuration
        self.model = model
        self.batch = batch
        rows = batch.count * batch.seqLen
        let h = model.hiddenSize, inter = c.intermediateSize, heads = c.numAttentionHeads
        func mask(_ count: Int, _ p: Float) -> DropoutMask? {
            guard p > 0 else { return nil }
            let m = DropoutMask(generator: generator, count: count, probability: p)
            generator = m.advanced()
            return m
        }
        attentionMaskScratch = attentionDropout > 0 ? [Float](repeating: 0, count: batch.count * c.numAttentionHeads * batch.seqLen * batch.seqLen) : []
        hiddenMaskScratch = hiddenDropout > 0 ? [Float](repeating: 0, count: rows * h) : []
        // Embeddings: LayerNorm(word + position + type), then dropout.
        embeddingSum = [Float](repeating: 0, count: rows * h)
        batch.ids.withUnsafeBufferPointer { ids in
            batch.typeIds.withUnsafeBufferPointer { types in
                embeddingForward(ids: ids.baseAddress!, typeIds: types.baseAddress!, batch: batch.count, seqLen: batch.seqLen,
                                 hidden: h, word: model.pointer(model.word), position: model.pointer(model.position),
                                 tokenType: model.pointer(model.tokenType), into: &embeddingSum)
            }
        }
        var x = embeddingSum
        layerNormForward(&x, adding: nil, rows: rows, columns: h, gamma: model.pointer(model.embeddingNormWeight),
                         beta: model.pointer(model.embeddingNormBias), eps: model.eps)
        embeddingMask = mask(rows * h, hiddenDropout)
        if let m = embeddingMask { m.fill(&hiddenMaskScratch); dropoutForward(&x, mask: hiddenMaskScratch, count: rows * h) }
        states.append(x)

        let block = batch.seqLen * batch.seqLen
        var scratch = [Float](repeating: 0, count: block)
        for layer in model.layers {
            let input = states[states.count - 1]
            var qkv = [Float](repeating: 0, count: rows * 3 * h)
            linearForward(input, rows: rows, inFeatures: h, weight: model.pointer(layer.qkvWeight), bias: model.pointer(layer.qkvBias),
                          outFeatures: 3 * h, into: &qkv)
            var probabilities = [Float](repeating: 0, count: batch.count * heads * block)
            let attentionMask = mask(batch.count * heads * block, attentionDropout)
            var context = [Float](repeating: 0, count: rows * h)
            attentionMask?.fill(&attentionMaskScratch)
            (attentionMask == nil ? nil : attentionMaskScratch).withOptionalPointer { m in
                attentionTrainingForward(qkv: qkv, batch: batch.count, seqLen: batch.seqLen, lengths: batch.lengths, hidden: h,
                                         heads: heads, probabilities: &probabilities, dropoutMask: m, scratch: &scratch, into: &context)
            }
            var residual1 = [Float](repeating: 0, count: rows * h)
            linearForward(context, rows: rows, inFeatures: h, weight: model.pointer(layer.attentionOutWeight),
                          bias: model.pointer(layer.attentionOutBias), outFeatures: h, into: &residual1)
            let mask1 = mask(rows * h, hiddenDropout)
            if let m = mask1 { m.fill(&hiddenMaskScratch); dropoutForward(&residual1, mask: hiddenMaskScratch, count: rows * h) }
            for i in 0..<(rows * h) { residual1[i] += input[i] }
            var normed1 = residual1
            layerNormForward(&normed1, adding: nil, rows: rows, columns: h, gamma: model.pointer(layer.attentionNormWeight),
                             beta: model.pointer(layer.attentionNormBias), eps: model.eps)
            var preActivation = [Float](repeating: 0, count: rows * inter)
            linearForward(normed1, rows: rows, inFeatures: h, weight: model.pointer(layer.intermediateWeight),
                          bias: model.pointer(layer.intermediateBias), outFeatures: inter, into: &preActivation)
            var activation = preActivation
            geluForward(&activation, count: rows * inter)
            var residual2 = [Float](repeating: 0, count: rows * h)
            linearForward(activation, rows: rows, inFeatures: inter, weight: model.pointer(layer.outputWeight),
                          bias: model.pointer(layer.outputBias), outFeatures: h, into: &residual2)
            let mask2 = mask(rows * h, hiddenDropout)
            if let m = mask2 { m.fill(&hiddenMaskScratch); dropoutForward(&residual2, mask: hiddenMaskScratch, count: rows * h) }
            for i in 0..<(rows * h) { residual2[i] += normed1[i] }
            var output = residual2
            layerNormForward(&output, adding: nil, rows: rows, columns: h, gamma: model.pointer(layer.outputNormWeight),
                             beta: model.pointer(layer.outputNormBias), eps: model.eps)
            caches.append(LayerCache(qkv: qkv, probabilities: probabilities, attentionMask: attentionMask, context: context,
                                     residual1: residual1, mask1: mask1, normed1: normed1, preActivation: preActivation,
                                     activation: activation, residual2: residual2, mask2: mask2))
            states.append(output)
        }
    }

    /// Throws when `batch` or the dropout probabilities do not fit `model`.
    static func validate(model: TrainableBert, batch: TokenBatch, hiddenDropout: Float, attentionDropout: Float) throws {
        let c = model.configuration
        guard batch.seqLen <= c.maxPositionEmbeddings else {
            throw TrainingError.shape("sequence of \(batch.seqLen) tokens exceeds max_position_embeddings \(c.maxPositionEmbeddings)")
        }
        for id in batch.ids where id < 0 || Int(id) >= c.vocabSize {
            throw TrainingError.shape("token id \(id) is outside vocab_size \(c.vocabSize)")
        }
        for id in batch.typeIds where id < 0 || Int(id) >= (c.typeVocabSize ?? 2) {
            throw TrainingError.shape("token type id \(id) is outside type_vocab_size \(c.typeVocabSize ?? 2)")
        }
        guard (0..<1).contains(hiddenDropout), (0..<1).contains(attentionDropout) else {
            throw TrainingError.configuration("dropout probabilities must be in [0, 1)")
        }
    }

    /// hidden_states[layer] (0 = embedding output, layerCount = last), [count·seqLen, hidden].
    func hiddenStates(_ layer: Int) -> [Float] { states[layer] }

    /// The pooled vectors of hidden_states[layer], first `dims` dimensions (nil = all), [count, dims].
    func pooled(_ strategy: PoolingStrategy, layer: Int, dims: Int? = nil) -> [Float] {
        let h = model.hiddenSize, d = dims ?? h
        var out = [Float](repeating: 0, count: batch.count * d)
        poolingForward(strategy, hidden: states[layer], batch: batch.count, seqLen: batch.seqLen, hiddenSize: h,
                       lengths: batch.lengths, dims: d, normalize: false, into: &out, rowStride: d)
        return out
    }

    /// Backpropagates the pooled views' gradients through the encoder, adding into the model's
    /// parameter gradients (call `model.zeroGradients()` before a new accumulation).
    func backward(_ pooledGradients: [BertTrainingPass.PooledGradient]) throws {
        let h = model.hiddenSize, inter = model.configuration.intermediateSize, heads = model.configuration.numAttentionHeads
        let layerCount = model.layerCount
        var injected = [[Float]?](repeating: nil, count: layerCount + 1)
        for g in pooledGradients {
            guard (0...layerCount).contains(g.layer), (1...h).contains(g.dims), g.gradient.count == batch.count * g.dims else {
                throw TrainingError.shape("pooled gradient for layer \(g.layer), \(g.dims) dims: \(g.gradient.count) values for \(batch.count) rows")
            }
            var d = injected[g.layer] ?? [Float](repeating: 0, count: rows * h)
            poolingBackward(g.strategy, dPooled: g.gradient, hidden: states[g.layer], batch: batch.count, seqLen: batch.seqLen,
                            hiddenSize: h, lengths: batch.lengths, dims: g.dims, normalize: false, rowStride: g.dims, into: &d)
            injected[g.layer] = d
        }
        guard let top = injected.lastIndex(where: { $0 != nil }) else { return }
        var dOut = injected[top]!
        var scratch = [Float](repeating: 0, count: 2 * batch.seqLen * batch.seqLen)
        var dResidual = [Float](repeating: 0, count: rows * h)
        var dActivation = [Float](repeating: 0, count: rows * inter)
        var dNormed = [Float](repeating: 0, count: rows * h)
        var dContext = [Float](repeating: 0, count: rows * h)
        var dQKV = [Float](repeating: 0, count: rows * 3 * h)
        var dInput = [Float](repeating: 0, count: rows * h)
        for l in stride(from: top - 1, through: 0, by: -1) {
            let layer = model.layers[l], cache = caches[l]
            let input = states[l]
            // Output LayerNorm; the residual splits to normed1 and (through dropout) the FFN.
            layerNormBackward(dOut, x: cache.residual2, rows: rows, columns: h, gamma: model.pointer(layer.outputNormWeight), eps: model.eps,
                              gammaGradient: model.gradientPointer(layer.outputNormWeight),
                              betaGradient: model.gradientPointer(layer.outputNormBias), into: &dNormed)
            dResidual = dNormed
            if let m = cache.mask2 { m.fill(&hiddenMaskScratch); dropoutBackward(&dResidual, mask: hiddenMaskScratch, count: rows * h) }
            linearBackward(dResidual, x: cache.activation, rows: rows, inFeatures: inter, weight: model.pointer(layer.outputWeight),
                           outFeatures: h, weightGradient: model.gradientPointer(layer.outputWeight),
                           biasGradient: model.gradientPointer(layer.outputBias), inputGradient: &dActivation)
            geluBackward(&dActivation, x: cache.preActivation, count: rows * inter)
            linearBackward(dActivation, x: cache.normed1, rows: rows, inFeatures: h, weight: model.pointer(layer.intermediateWeight),
                           outFeatures: inter, weightGradient: model.gradientPointer(layer.intermediateWeight),
                           biasGradient: model.gradientPointer(layer.intermediateBias), inputGradient: &dNormed, accumulateInput: true)
            // Attention LayerNorm; the residual splits to the input and (through dropout) the attention output.
            layerNormBackward(dNormed, x: cache.residual1, rows: rows, columns: h, gamma: model.pointer(layer.attentionNormWeight),
                              eps: model.eps, gammaGradient: model.gradientPointer(layer.attentionNormWeight),
                              betaGradient: model.gradientPointer(layer.attentionNormBias), into: &dInput)
            dResidual = dInput
            if let m = cache.mask1 { m.fill(&hiddenMaskScratch); dropoutBackward(&dResidual, mask: hiddenMaskScratch, count: rows * h) }
            linearBackward(dResidual, x: cache.context, rows: rows, inFeatures: h, weight: model.pointer(layer.attentionOutWeight),
                           outFeatures: h, weightGradient: model.gradientPointer(layer.attentionOutWeight),
                           biasGradient: model.gradientPointer(layer.attentionOutBias), inputGradient: &dContext)
            cache.attentionMask?.fill(&attentionMaskScratch)
            (cache.attentionMask == nil ? nil : attentionMaskScratch).withOptionalPointer { m in
                attentionBackward(dContext, qkv: cache.qkv, batch: batch.count, seqLen: batch.seqLen, lengths: batch.lengths, hidden: h,
                                  heads: heads, probabilities: cache.probabilities, dropoutMask: m, scratch: &scratch, into: &dQKV)
            }
            linearBackward(dQKV, x: input, rows: rows, inFeatures: h, weight: model.pointer(layer.qkvWeight), outFeatures: 3 * h,
                           weightGradient: model.gradientPointer(layer.qkvWeight), biasGradient: model.gradientPointer(layer.qkvBias),
                           inputGradient: &dInput, accumulateInput: true)
            if let extra = injected[l] { for i in 0..<(rows * h) { dInput[i] += extra[i] } }
            swap(&dOut, &dInput)
        }
        // Embedding dropout, LayerNorm, then the three tables.
        if let m = embeddingMask { m.fill(&hiddenMaskScratch); dropoutBackward(&dOut, mask: hiddenMaskScratch, count: rows * h) }
        layerNormBackward(dOut, x: embeddingSum, rows: rows, columns: h, gamma: model.pointer(model.embeddingNormWeight), eps: model.eps,
                          gammaGradient: model.gradientPointer(model.embeddingNormWeight),
                          betaGradient: model.gradientPointer(model.embeddingNormBias), into: &dInput)
        batch.ids.withUnsafeBufferPointer { ids in
            batch.typeIds.withUnsafeBufferPointer { types in
                embeddingBackward(dInput, ids: ids.baseAddress!, typeIds: types.baseAddress!, batch: batch.count, seqLen: batch.seqLen,
                                  hidden: h, word: model.gradientPointer(model.word), position: model.gradientPointer(model.position),
                                  tokenType: model.gradientPointer(model.tokenType))
            }
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with the array's base address, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}

/// A dropout mask kept as the generator state that draws it (`SeededGenerator.dropoutMask`), so the
/// backward pass regenerates it instead of storing a float per activation.
struct DropoutMask {
    let generator: SeededGenerator
    let count: Int
    let probability: Float

    /// Writes the mask into the first `count` entries of `buffer`.
    func fill(_ buffer: inout [Float]) {
        var g = generator
        buffer.withUnsafeMutableBufferPointer { g.dropoutMask(UnsafeMutableBufferPointer(rebasing: $0[0..<count]), probability: probability) }
    }

    /// The generator's state after drawing this mask (where the next mask starts).
    func advanced() -> SeededGenerator {
        var g = generator
        g.skipDropoutMask(count: count)
        return g
    }
}
