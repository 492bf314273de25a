import Foundation

/// angle_emb's `compute_distillation_loss` (AngleTrainer): pulls `inputs` towards constant `targets`:
/// `mse_weight · mean((x − t)²) + T · KL(softmax(t/T) ‖ softmax(x/T))`, the KL term averaged over rows
/// (`KLDivLoss(reduction='batchmean')`). ESE uses it with mse_weight 1 and T = `ese_kl_temperature`.
/// - Parameters:
///   - inputs: the rows being trained.
///   - targets: same shape, no gradient.
///   - mseWeight: weight of the MSE term (skipped when ≤ 0, angle_emb default 1).
///   - klTemperature: T (the KL term is skipped when ≤ 0, angle_emb default 1).
public func distillationLoss(inputs: PooledEmbeddings, targets: PooledEmbeddings, mseWeight: Double = 1,
                             klTemperature: Double = 1) throws -> LossOutput {
    var gradient = PooledEmbeddings(zerosRows: inputs.rows, dimension: inputs.dimension)
    let loss = try distillationLossAccumulate(inputs, columns: inputs.dimension, targets: targets, mseWeight: mseWeight,
                                              klTemperature: klTemperature, weight: 1, into: &gradient)
    return LossOutput(loss: loss, gradient: gradient)
}

/// The core on the first `columns` dimensions of `x`; adds `weight ·` its gradient into `gradient`.
func distillationLossAccumulate(_ x: PooledEmbeddings, columns c: Int, targets: PooledEmbeddings, mseWeight: Double,
                                klTemperature: Double, weight: Double, into gradient: inout PooledEmbeddings) throws -> Double {
    let n = x.rows
    guard targets.rows == n, targets.dimension == c else {
        throw TrainingError.shape("distillation loss: inputs \(n)×\(c) but targets \(targets.rows)×\(targets.dimension)")
    }
    guard n > 0, c > 0 else { return 0 }
    let d = x.dimension
    var loss = 0.0
    if mseWeight > 0 {
        var s = 0.0
        let scale = 2 * mseWeight / Double(n * c)
        for i in 0..<n {
            for j in 0..<c {
                let diff = x.values[i * d + j] - targets.values[i * c + j]
                s += diff * diff
                gradient.values[i * d + j] += weight * scale * diff
            }
        }
        loss += mseWeight * s / Double(n * c)
    }
    if klTemperature > 0 {
        let t = klTemperature
        var kl = 0.0
        var logQ = [Double](repeating: 0, count: c), logP = [Double](repeating: 0, count: c)
        for i in 0..<n {
            logSoftmax(count: c, into: &logQ) { x.values[i * d + $0] / t }
            logSoftmax(count: c, into: &logP) { targets.values[i * c + $0] / t }
            for j in 0..<c {
                let p = exp(logP[j])
                if p > 0 { kl += p * (logP[j] - logQ[j]) }  // xlogy: 0·log 0 = 0
                // d/dx of T · Σ p (log p − log softmax(x/T)) / n  =  (softmax(x/T) − p) / n
                gradient.values[i * d + j] += weight * (exp(logQ[j]) - p) / Double(n)
            }
        }
        loss += kl / Double(n) * t
    }
    return loss
}

/// Stable log-softmax of `count` values produced by `value`.
func logSoftmax(count: Int, into out: inout [Double], _ value: (Int) -> Double) {
    var m = -Double.infinity
    for j in 0..<count { out[j] = value(j); m = max(m, out[j]) }
    var s = 0.0
    for j in 0..<count { s += exp(out[j] - m) }
    let lse = m + log(s)
    for j in 0..<count { out[j] -= lse }
}
