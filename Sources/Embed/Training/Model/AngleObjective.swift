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
    /// - Parameters:
    ///   - labels: one per row of the batch (`TrainingBatch.labels`).
    ///   - alignmentTargets: a teacher's pooled outputs (`TeacherAlignment`): adds angle_emb's alignment loss
    ///     (distillation, mse 0, T 1) on the pooled last layer. With ESE, angle_emb computes it under
    ///     `torch.no_grad()`, so it adds to the loss value only, without gradient; the same here.
    @discardableResult
    public func lossAndBackward(_ pass: BertTrainingPass, labels: [Double], gradientScale: Double = 1,
                                alignmentTargets: PooledEmbeddings? = nil) throws -> Double {
        let n = pass.batch.count, h = pass.model.hiddenSize, top = pass.model.layerCount
        func view(_ layer: Int) throws -> PooledEmbeddings {
            try PooledEmbeddings(rows: n, dimension: h, floats: pass.pooled(pooling, layer: layer))
        }
        func gradient(_ layer: Int, _ g: PooledEmbeddings) -> BertTrainingPass.PooledGradient {
            .init(strategy: pooling, layer: layer, dims: h, gradient: g.values.map { Float($0 * gradientScale) })
        }
        switch kind {
        case .angle(let loss):
            let pooled = try view(top)
            var out = try loss(labels: labels, embeddings: pooled)
            if let targets = alignmentTargets {
                let alignment = try distillationLoss(inputs: pooled, targets: targets, mseWeight: 0, klTemperature: 1)
                out.loss += alignment.loss
                for i in out.gradient.values.indices { out.gradient.values[i] += alignment.gradient.values[i] }
            }
            try pass.backward([gradient(top, out.gradient)])
            return out.loss
        case .espresso(let ese):
            guard top >= 2 else { throw TrainingError.configuration("ESE needs an encoder of at least 2 layers, this one has \(top)") }
            let students = try (0..<(top - 1)).map(view)
            let teacher = try view(top)
            let out = try ese(labels: labels, teacher: teacher, students: students)
            try pass.backward([gradient(top, out.teacherGradient)] + out.studentGradients.enumerated().map { gradient($0.offset, $0.element) })
            if let targets = alignmentTargets {
                return out.loss + (try distillationLoss(inputs: teacher, targets: targets, mseWeight: 0, klTemperature: 1)).loss
            }
            return out.loss
        }
    }
}
