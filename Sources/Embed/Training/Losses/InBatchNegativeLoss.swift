import Foundation

/// angle_emb's `in_batch_negative_loss`: every row is a query against all other rows of the batch
/// (zigzag pairs), with softmax cross-entropy over `tau · cos` and the diagonal masked out.
///
/// The target matrix is angle_emb's `make_target_matrix`, kept exactly, quirks included: labels are
/// truncated to integers (`.int()`, so 0.7 → 0), a row with label 0 has no target (it still counts in
/// the mean), and row i targets every column j with `j · l_j == partner(i) · l_i`
/// (partner(i) = i ± 1), which for labels ≠ 1 can also hit other rows. This is what marks
/// duplicate-label rows as co-positives rather than negatives.
/// - Parameters:
///   - labels: one label per row.
///   - embeddings: the pooled vectors.
///   - tau: the scale (default 20).
///   - negativeWeights: added to the logits of label-0 pairs (angle_emb's `negative_weights`, default 0).
public func inBatchNegativeLoss(labels: [Double], embeddings: PooledEmbeddings, tau: Double = 20,
                                negativeWeights: Double = 0) throws -> LossOutput {
    var gradient = PooledEmbeddings(zerosRows: embeddings.rows, dimension: embeddings.dimension)
    let loss = try inBatchNegativeLossAccumulate(labels: labels, embeddings, rows: Array(0..<embeddings.rows),
                                                 columns: embeddings.dimension, tau: tau,
                                                 negativeWeights: negativeWeights, weight: 1, into: &gradient)
    return LossOutput(loss: loss, gradient: gradient)
}

/// angle_emb's make_target_matrix on integer labels.
func inBatchTargetMatrix(_ labels: [Int]) -> [Double] {
    let n = labels.count
    var t = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        let partner = i + 1 - (i % 2) * 2
        let rowKey = labels[i] != 0 ? partner * labels[i] : -1
        for j in 0..<n {
            let colKey = labels[j] != 0 ? j * labels[j] : -2
            if colKey == rowKey { t[i * n + j] = 1 }
        }
    }
    return t
}

/// `inBatchNegativeLoss` on a row/column selection; adds `weight ·` its gradient into `gradient`.
func inBatchNegativeLossAccumulate(labels: [Double], _ x: PooledEmbeddings, rows: [Int], columns: Int, tau: Double,
                                   negativeWeights: Double, weight: Double,
                                   into gradient: inout PooledEmbeddings) throws -> Double {
    guard labels.count == rows.count else { throw TrainingError.shape("in_batch_negative_loss: \(labels.count) labels for \(rows.count) rows") }
    guard labels.allSatisfy({ $0.isFinite }) else { throw TrainingError.shape("in_batch_negative_loss: non-finite label") }
    let n = rows.count, c = columns
    guard n > 0 else { return 0 }
    let local = LocalMatrix(x, rows: rows, columns: columns)
    let (y, norms) = l2NormalizeRows(local.values, n: n, c: c)
    let target = inBatchTargetMatrix(labels.map { Int($0) })
    let negMask = negativeWeights > 0 ? inBatchTargetMatrix(labels.map { $0 == 0 ? 1 : 0 }) : []
    var logits = matmulTransposed(y, y, m: n, n: n, k: c, alpha: tau)
    var dLogits = [Double](repeating: 0, count: n * n)
    var loss = 0.0
    for i in 0..<n {
        if negativeWeights > 0 { for j in 0..<n { logits[i * n + j] += negMask[i * n + j] * negativeWeights } }
        var m = -Double.infinity
        for j in 0..<n where j != i { m = max(m, logits[i * n + j]) }
        var total = 0.0
        for j in 0..<n where j != i { total += exp(logits[i * n + j] - m) }
        let lse = m + log(total)  // the diagonal's −1e12·tau logit contributes exactly 0
        var targetSum = 0.0
        for j in 0..<n where target[i * n + j] != 0 {
            targetSum += target[i * n + j]
            loss += target[i * n + j] * (lse - logits[i * n + j])
        }
        if targetSum == 0 { continue }
        for j in 0..<n where j != i {
            dLogits[i * n + j] = (targetSum * exp(logits[i * n + j] - lse) - target[i * n + j]) / Double(n)
        }
    }
    // logits = tau · Y Yᵀ  ⇒  dY = tau · (G + Gᵀ) Y
    var sym = dLogits
    for i in 0..<n { for j in 0..<n { sym[i * n + j] = dLogits[i * n + j] + dLogits[j * n + i] } }
    let dy = matmul(sym, y, m: n, n: n, k: c, alpha: tau)
    let dx = l2NormalizeRowsBackward(dy: dy, y: y, norms: norms, n: n, c: c)
    LocalMatrix.scatterAdd(dx, rows: rows, columns: c, weight: weight, into: &gradient)
    return loss / Double(n)
}
