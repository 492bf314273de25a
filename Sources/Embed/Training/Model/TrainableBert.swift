/// A BertModel's weights as trainable parameters: each tensor's values and gradient in buffers
/// allocated once, named as `BertModel.state_dict()` (query, key and value stacked into one
/// `attention.self.qkv` tensor of [3H, H] / [3H], as the inference encoder stores them).
public final class TrainableBert {
    /// One parameter tensor and its gradient (same length).
    public struct Parameter {
        public let name: String
        public let shape: [Int]
        public let values: UnsafeMutableBufferPointer<Float>
        public let gradient: UnsafeMutableBufferPointer<Float>
        /// Whether weight decay applies (the HF Trainer exempts biases and LayerNorm weights).
        public let decays: Bool
    }

    struct LayerIndices {
        let qkvWeight: Int, qkvBias: Int, attentionOutWeight: Int, attentionOutBias: Int
        let attentionNormWeight: Int, attentionNormBias: Int, intermediateWeight: Int, intermediateBias: Int
        let outputWeight: Int, outputBias: Int, outputNormWeight: Int, outputNormBias: Int
    }

    public let configuration: Configuration
    public private(set) var parameters: [Parameter] = []
    let eps: Float
    let word: Int, position: Int, tokenType: Int, embeddingNormWeight: Int, embeddingNormBias: Int
    let layers: [LayerIndices]

    public var hiddenSize: Int { configuration.hiddenSize }
    public var layerCount: Int { layers.count }

    /// Copies `model`'s weights.
    public init(_ model: BertModel) {
        configuration = model.configuration
        eps = model.eps
        var parameters = [Parameter]()
        func add(_ name: String, _ tensor: FloatTensor, decays: Bool) -> Int {
            let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: tensor.count)
            _ = values.initialize(from: UnsafeBufferPointer(start: tensor.pointer, count: tensor.count))
            let gradient = UnsafeMutableBufferPointer<Float>.allocate(capacity: tensor.count)
            gradient.initialize(repeating: 0)
            parameters.append(Parameter(name: name, shape: tensor.shape, values: values, gradient: gradient, decays: decays))
            return parameters.count - 1
        }
        word = add("embeddings.word_embeddings.weight", model.wordEmbeddings, decays: true)
        position = add("embeddings.position_embeddings.weight", model.positionEmbeddings, decays: true)
        tokenType = add("embeddings.token_type_embeddings.weight", model.tokenTypeEmbeddings, decays: true)
        embeddingNormWeight = add("embeddings.LayerNorm.weight", model.embeddingNormWeight, decays: false)
        embeddingNormBias = add("embeddings.LayerNorm.bias", model.embeddingNormBias, decays: false)
        var layers = [LayerIndices]()
        for (i, l) in model.layers.enumerated() {
            let p = "encoder.layer.\(i)."
            layers.append(LayerIndices(
                qkvWeight: add(p + "attention.self.qkv.weight", l.qkvWeight, decays: true),
                qkvBias: add(p + "attention.self.qkv.bias", l.qkvBias, decays: false),
                attentionOutWeight: add(p + "attention.output.dense.weight", l.attentionOutWeight, decays: true),
                attentionOutBias: add(p + "attention.output.dense.bias", l.attentionOutBias, decays: false),
                attentionNormWeight: add(p + "attention.output.LayerNorm.weight", l.attentionNormWeight, decays: false),
                attentionNormBias: add(p + "attention.output.LayerNorm.bias", l.attentionNormBias, decays: false),
                intermediateWeight: add(p + "intermediate.dense.weight", l.intermediateWeight, decays: true),
                intermediateBias: add(p + "intermediate.dense.bias", l.intermediateBias, decays: false),
                outputWeight: add(p + "output.dense.weight", l.outputWeight, decays: true),
                outputBias: add(p + "output.dense.bias", l.outputBias, decays: false),
                outputNormWeight: add(p + "output.LayerNorm.weight", l.outputNormWeight, decays: false),
                outputNormBias: add(p + "output.LayerNorm.bias", l.outputNormBias, decays: false)))
        }
        self.layers = layers
        self.parameters = parameters
    }

    deinit {
        for p in parameters {
            p.values.deallocate()
            p.gradient.deallocate()
        }
    }

    /// `model.zero_grad()`.
    public func zeroGradients() {
        for p in parameters { p.gradient.update(repeating: 0) }
    }

    /// The gradient of a `BertModel.state_dict()` tensor; query/key/value are cut out of the stacked qkv.
    public func gradient(named name: String) -> [Float]? { slice(named: name) { $0.gradient } }

    /// The current values of a `BertModel.state_dict()` tensor (query/key/value cut out of qkv).
    public func values(named name: String) -> [Float]? { slice(named: name) { $0.values } }

    private func slice(named name: String, _ buffer: (Parameter) -> UnsafeMutableBufferPointer<Float>) -> [Float]? {
        let h = hiddenSize
        for (part, k) in [("query", 0), ("key", 1), ("value", 2)] {
            for kind in ["weight", "bias"] where name.hasSuffix("attention.self.\(part).\(kind)") {
                let stacked = String(name.dropLast("\(part).\(kind)".count)) + "qkv.\(kind)"
                guard let p = parameters.first(where: { $0.name == stacked }) else { return nil }
                let size = kind == "weight" ? h * h : h
                return Array(buffer(p)[(k * size)..<((k + 1) * size)])
            }
        }
        return parameters.first { $0.name == name }.map { Array(buffer($0)) }
    }

    /// Element counts of the parameter tensors, in `parameters` order (for `AdamW` and accumulation).
    public var parameterCounts: [Int] { parameters.map(\.values.count) }
    /// Per tensor, whether weight decay applies (for `AdamW(decays:)`).
    public var decayFlags: [Bool] { parameters.map(\.decays) }

    /// The HF Trainer's optimizer step on the accumulated gradients: clip_grad_norm_(`maxGradNorm`),
    /// `optimizer.step` at `learningRate`, zero the gradients. Returns the pre-clip gradient norm.
    /// - Throws: `TrainingError.numerical` when the gradient norm is not finite; the parameters are
    ///   left untouched and the gradients zeroed (the step is skipped).
    @discardableResult
    public func optimizerStep(_ optimizer: AdamW, learningRate: Double, maxGradNorm: Double = 1) throws -> Double {
        defer { zeroGradients() }
        let gradients = parameters.map(\.gradient)
        let norm = maxGradNorm > 0 ? clipGradientNorm(gradients, maxNorm: maxGradNorm) : clipGradientNorm(gradients, maxNorm: .infinity)
        guard norm.isFinite else { throw TrainingError.numerical("gradient norm is \(norm); optimizer step skipped") }
        try optimizer.step(parameters: parameters.map(\.values), gradients: gradients.map { UnsafeBufferPointer($0) },
                           learningRate: learningRate)
        return norm
    }

    func pointer(_ index: Int) -> UnsafeMutablePointer<Float> { parameters[index].values.baseAddress! }
    func gradientPointer(_ index: Int) -> UnsafeMutablePointer<Float> { parameters[index].gradient.baseAddress! }
}
