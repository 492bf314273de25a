import Foundation

/// AdamW (Loshchilov & Hutter), exactly torch.optim.AdamW's update, which the HF Trainer behind
/// angle_emb's `fit()` uses (`adamw_torch_fused`, betas (0.9, 0.999), eps 1e-8, weight decay 0):
///
///     θ ← θ · (1 − lr·λ)                         (decoupled weight decay)
///     m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
///     θ ← θ − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)     (ε added after the bias correction)
///
/// Moments live in buffers allocated once; a step does no heap allocation.
public final class AdamW {
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    /// Per tensor: whether weight decay applies (the HF Trainer exempts biases and LayerNorm weights).
    public let decays: [Bool]
    /// Steps taken so far (torch's `state['step']`).
    public internal(set) var stepCount = 0
    // Internal so a checkpoint (TrainingState) can save and restore them.
    let firstMoments: [UnsafeMutableBufferPointer<Float>]
    let secondMoments: [UnsafeMutableBufferPointer<Float>]

    /// - Parameters:
    ///   - parameterCounts: the element count of each parameter tensor, in the order `step` receives them.
    ///   - decays: per tensor, whether weight decay applies (default: all).
    public init(parameterCounts: [Int], beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                weightDecay: Double = 0, decays: [Bool]? = nil) throws {
        guard (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon >= 0, weightDecay >= 0 else {
            throw TrainingError.configuration("AdamW: betas must be in [0, 1), eps and weight decay ≥ 0 (got \(beta1), \(beta2), \(epsilon), \(weightDecay))")
        }
        if let decays, decays.count != parameterCounts.count {
            throw TrainingError.configuration("AdamW: \(decays.count) decay flags for \(parameterCounts.count) tensors")
        }
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decays = decays ?? Array(repeating: true, count: parameterCounts.count)
        func zeros(_ n: Int) -> UnsafeMutableBufferPointer<Float> {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: n)
            b.initialize(repeating: 0)
            return b
        }
        firstMoments = parameterCounts.map(zeros)
        secondMoments = parameterCounts.map(zeros)
    }

    deinit {
        for b in firstMoments { b.deallocate() }
        for b in secondMoments { b.deallocate() }
    }

    /// One optimizer step over every tensor at `learningRate` (the schedule's value for this step).
    public func step(parameters: [UnsafeMutableBufferPointer<Float>], gradients: [UnsafeBufferPointer<Float>],
                     learningRate: Double) throws {
        guard parameters.count == firstMoments.count, gradients.count == firstMoments.count else {
            throw TrainingError.shape("AdamW.step: \(parameters.count) parameters / \(gradients.count) gradients for \(firstMoments.count) tensors")
        }
        for i in 0..<parameters.count where parameters[i].count != firstMoments[i].count || gradients[i].count != firstMoments[i].count {
            throw TrainingError.shape("AdamW.step: tensor \(i) has \(parameters[i].count) values and \(gradients[i].count) gradients, expected \(firstMoments[i].count)")
        }
        stepCount += 1
        let t = Double(stepCount)
        // Scalars in double, as torch's fused kernel computes them.
        let stepSize = Float(learningRate / (1 - pow(beta1, t)))
        let correction2Sqrt = Float((1 - pow(beta2, t)).squareRoot())
        let b1 = Float(beta1), b2 = Float(beta2), oneMinusB1 = Float(1 - beta1), oneMinusB2 = Float(1 - beta2)
        let eps = Float(epsilon)
        for i in 0..<parameters.count {
            let p = parameters[i], g = gradients[i], m = firstMoments[i], v = secondMoments[i]
            let decay = decays[i] && weightDecay != 0 ? Float(1 - learningRate * weightDecay) : 1
            for j in 0..<p.count {
                let grad = g[j]
                let param = p[j] * decay
                let mj = b1 * m[j] + oneMinusB1 * grad
                let vj = b2 * v[j] + oneMinusB2 * grad * grad
                m[j] = mj
                v[j] = vj
                p[j] = param - stepSize * mj / (vj.squareRoot() / correction2Sqrt + eps)
            }
        }
    }

    /// Convenience for parameters held in Swift arrays.
    public func step(parameters: inout [[Float]], gradients: [[Float]], learningRate: Double) throws {
        var pointers = [UnsafeMutableBufferPointer<Float>]()
        var gradPointers = [UnsafeBufferPointer<Float>]()
        // Copy in and out: the arrays' storage is not pinned across separate withUnsafe… calls.
        for i in 0..<parameters.count {
            let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: parameters[i].count)
            _ = p.initialize(from: parameters[i])
            pointers.append(p)
            let g = UnsafeMutableBufferPointer<Float>.allocate(capacity: gradients.indices.contains(i) ? gradients[i].count : 0)
            if gradients.indices.contains(i) { _ = g.initialize(from: gradients[i]) }
            gradPointers.append(UnsafeBufferPointer(g))
        }
        defer {
            for p in pointers { p.deallocate() }
            for g in gradPointers { g.deallocate() }
        }
        try step(parameters: pointers, gradients: gradPointers, learningRate: learningRate)
        for i in 0..<parameters.count { parameters[i] = Array(pointers[i]) }
    }
}
