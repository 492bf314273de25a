import Foundation

/// angle_emb's `cosine_loss` (CoSENT, Su 2022): rows are zigzag pairs (row 2k with row 2k+1),
/// each pair's label is the label of its first row; the loss ranks pairs' scaled cosines
/// `tau · cos` in the order of their labels:
/// `log(1 + Σ_{l_i < l_j} exp(tau·cos_i − tau·cos_j))`.
/// - Parameters:
///   - labels: one label per row (angle_emb's `y_true[:, 0]`); only even rows are read.
///   - embeddings: the pooled vectors, an even number of rows.
///   - tau: the scale (angle_emb default 20).
public func cosineLoss(labels: [Double], embeddings: PooledEmbeddings, tau: Double = 20) throws -> LossOutput {
    var gradient = PooledEmbeddings(zerosRows: embeddings.rows, dimension: embeddings.dimension)
    let loss = try cosineLossAccumulate(labels: labels, embeddings, rows: Array(0..<embeddings.rows),
                                        columns: embeddings.dimension, tau: tau, weight: 1, into: &gradient)
    return LossOutput(loss: loss, gradient: gradient)
}

/// `cosineLoss` on a row/column selection; adds `weight ·` its gradient into `gradient`.
func cosineLossAccumulate(labels: [Double], _ x: PooledEmbeddings, rows: [Int], columns: Int, tau: Double,
                          weight: Double, into gradient: inout PooledEmbeddings) throws -> Double {
    guard rows.count % 2 == 0 else { throw TrainingError.shape("cosine_loss needs zigzag pairs: \(rows.count) rows is odd") }
    guard labels.count == rows.count else { throw TrainingError.shape("cosine_loss: \(labels.count) labels for \(rows.count) rows") }
    let local = LocalMatrix(x, rows: rows, columns: columns)
    let n = local.n, c = local.c, pairs = n / 2
    let (y, norms) = l2NormalizeRows(local.values, n: n, c: c)
    var s = [Double](repeating: 0, count: pairs)
    var pairLabels = [Double](repeating: 0, count: pairs)
    for k in 0..<pairs {
        var dot = 0.0
        for j in 0..<c { dot += y[2 * k * c + j] * y[(2 * k + 1) * c + j] }
        s[k] = dot * tau
        pairLabels[k] = labels[2 * k]
    }
    let (loss, ds) = pairwiseRankingLogSumExp(scores: s, labels: pairLabels)
    var dy = [Double](repeating: 0, count: n * c)
    for k in 0..<pairs {
        let g = ds[k] * tau
        for j in 0..<c {
            dy[2 * k * c + j] = g * y[(2 * k + 1) * c + j]
            dy[(2 * k + 1) * c + j] = g * y[2 * k * c + j]
        }
    }
    let dx = l2NormalizeRowsBackward(dy: dy, y: y, norms: norms, n: n, c: c)
    LocalMatrix.scatterAdd(dx, rows: rows, columns: c, weight: weight, into: &gradient)
    return loss
}
