/// angle_emb's `compute_loss` on an encoder pass: `AngleTrainer` (AngleLoss on the pooled last layer)
/// or, with ESE, `AngleESETrainer` (teacher = pooled last layer, students = pooled
/// hidden_states[0 ..< num_layers − 1]). Computes the loss and backpropagates it into the model's
/// parameter gradients.
public struct AngleObjective: Sendable {
    public enum Kind: Sendable {
        case angle(AngleLoss)
        case espresso(ESELoss)
    }

    public var kind: Kind
    /// The pooling strategy (angle_emb's `pooling_strategy`; sentence-transformers models use avg).
    public var pooling: PoolingStrategy

    public init(_ kind: Kind, pooling: PoolingStrategy) {
        self.kind = kind
        self.pooling = pooling
    }

    /// The batch loss; adds its gradient into `pass.model`'s parameter gradients scaled by
    /// `gradientScale` (1, or 1/steps for mean gradient accumulation).
    /// - Parameter labels: one per row of the batch (`TrainingBatch.labels`).
    @discardableResult
    public func lossAndBackward(_ pass: BertTrainingPass, labels: [Double], gradientScale: Double = 1) throws -> Double {
        let n = pass.batch.count, h = pass.model.hiddenSize, top = pass.model.layerCount
        func view(_ layer: Int) throws -> PooledEmbeddings {
            try PooledEmbeddings(rows: n, dimension: h, floats: pass.pooled(pooling, layer: layer))
        }
        func gradient(_ layer: Int, _ g: PooledEmbeddings) -> BertTrainingPass.PooledGradient {
            .init(strategy: pooling, layer: layer, dims: h, gradient: g.values.map { Float($0 * gradientScale) })
        }
        switch kind {
        case .angle(let loss):
            let out = try loss(labels: labels, embeddings: try view(top))
            try pass.backward([gradient(top, out.gradient)])
            return out.loss
        case .espresso(let ese):
            guard top >= 2 else { throw TrainingError.configuration("ESE needs an encoder of at least 2 layers, this one has \(top)") }
            let students = try (0..<(top - 1)).map(view)
            let out = try ese(labels: labels, teacher: try view(top), students: students)
            try pass.backward([gradient(top, out.teacherGradient)] + out.studentGradients.enumerated().map { gradient($0.offset, $0.element) })
            return out.loss
        }
    }
}
