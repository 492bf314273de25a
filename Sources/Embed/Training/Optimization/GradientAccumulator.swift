/// How micro-batch gradients combine into one optimizer step.
public enum GradientAccumulationReduction: Sendable {
    /// Sum the micro-batches' gradients: what angle_emb 0.6.1's `fit()` does with transformers 5.x
    /// (BertModel.forward takes `**kwargs`, so the Trainer believes the loss already normalizes by
    /// `num_items_in_batch` and skips its division by `gradient_accumulation_steps`; AngleTrainer's
    /// `compute_loss` ignores that count).
    case sum
    /// Average them (the textbook behaviour: the same update as one large batch's mean loss).
    case mean
}

/// Gradient accumulation (`gradient_accumulation_steps`): sums per-tensor gradients of several
/// micro-batches in buffers allocated once, then hands them to clipping and the optimizer.
public final class GradientAccumulator {
    public let reduction: GradientAccumulationReduction
    /// Micro-batches added since the last `reset()`.
    public private(set) var microBatches = 0
    /// The accumulated gradients, one buffer per tensor (valid until `reset()`).
    public let gradients: [UnsafeMutableBufferPointer<Float>]

    public init(parameterCounts: [Int], reduction: GradientAccumulationReduction = .sum) {
        self.reduction = reduction
        gradients = parameterCounts.map {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: $0)
            b.initialize(repeating: 0)
            return b
        }
    }

    deinit { for g in gradients { g.deallocate() } }

    /// Adds one micro-batch's gradients.
    public func add(_ micro: [UnsafeBufferPointer<Float>]) throws {
        guard micro.count == gradients.count else {
            throw TrainingError.shape("gradient accumulation: \(micro.count) tensors, expected \(gradients.count)")
        }
        for (i, g) in micro.enumerated() {
            guard g.count == gradients[i].count else {
                throw TrainingError.shape("gradient accumulation: tensor \(i) has \(g.count) values, expected \(gradients[i].count)")
            }
            let acc = gradients[i]
            for j in 0..<g.count { acc[j] += g[j] }
        }
        microBatches += 1
    }

    /// Applies the reduction; call once before clipping and the optimizer step.
    public func finish() {
        guard reduction == .mean, microBatches > 1 else { return }
        let s = 1 / Float(microBatches)
        for g in gradients { for j in g.indices { g[j] *= s } }
    }

    /// Zeroes the buffers for the next optimizer step (`model.zero_grad()`).
    public func reset() {
        for g in gradients { g.update(repeating: 0) }
        microBatches = 0
    }
}
