import Foundation

/// angle_emb's `contrastive_with_negative_loss`: each query i scores all documents
/// [positives; negatives] by `tau · cos`, cross-entropy with target document i (its positive),
/// mean over queries.
/// - Parameters:
///   - text: the B queries.
///   - positive: the B positives (row i belongs to query i).
///   - negative: hard negatives (any number of rows), or nil for in-batch negatives only.
///   - tau: the scale (default 20).
/// - Returns: the loss and the gradients for `text`, `positive` and `negative`.
public func contrastiveWithNegativeLoss(text: PooledEmbeddings, positive: PooledEmbeddings,
                                        negative: PooledEmbeddings? = nil, tau: Double = 20) throws
    -> (loss: Double, text: PooledEmbeddings, positive: PooledEmbeddings, negative: PooledEmbeddings?) {
    // Stack [text; positive; negative] into one batch and use the row-selection core.
    let d = text.dimension
    guard positive.dimension == d, negative.map({ $0.dimension == d }) ?? true else {
        throw TrainingError.shape("contrastive_with_negative_loss: dimensions differ (text \(d), positive \(positive.dimension), negative \(negative?.dimension ?? d))")
    }
    let b = text.rows, p = positive.rows, q = negative?.rows ?? 0
    let all = PooledEmbeddings(uncheckedRows: b + p + q, dimension: d,
                               values: text.values + positive.values + (negative?.values ?? []))
    var gradient = PooledEmbeddings(zerosRows: all.rows, dimension: d)
    let loss = try contrastiveWithNegativeLossAccumulate(
        all, queryRows: Array(0..<b), documentRows: Array(b..<(b + p + q)), columns: d, tau: tau,
        weight: 1, into: &gradient)
    func slice(_ r: Range<Int>) -> PooledEmbeddings {
        PooledEmbeddings(uncheckedRows: r.count, dimension: d, values: Array(gradient.values[(r.lowerBound * d)..<(r.upperBound * d)]))
    }
    return (loss, slice(0..<b), slice(b..<(b + p)), negative == nil ? nil : slice((b + p)..<(b + p + q)))
}

/// The core: queries are `queryRows`, documents `documentRows` (positives first: query i's target is
/// document i). Adds `weight ·` the gradient into `gradient`.
func contrastiveWithNegativeLossAccumulate(_ x: PooledEmbeddings, queryRows: [Int], documentRows: [Int], columns: Int,
                                           tau: Double, weight: Double,
                                           into gradient: inout PooledEmbeddings) throws -> Double {
    let b = queryRows.count, m = documentRows.count, c = columns
    guard b > 0 else { throw TrainingError.shape("contrastive_with_negative_loss: no queries") }
    guard m >= b else {
        throw TrainingError.shape("contrastive_with_negative_loss: \(b) queries but only \(m) documents (query i's target is document i)")
    }
    let q = LocalMatrix(x, rows: queryRows, columns: c), t = LocalMatrix(x, rows: documentRows, columns: c)
    let (qn, qNorms) = l2NormalizeRows(q.values, n: b, c: c)
    let (tn, tNorms) = l2NormalizeRows(t.values, n: m, c: c)
    let scores = matmulTransposed(qn, tn, m: b, n: m, k: c, alpha: tau)
    var dScores = [Double](repeating: 0, count: b * m)
    var loss = 0.0
    for i in 0..<b {
        var mx = -Double.infinity
        for j in 0..<m { mx = max(mx, scores[i * m + j]) }
        var total = 0.0
        for j in 0..<m { total += exp(scores[i * m + j] - mx) }
        let lse = mx + log(total)
        loss += lse - scores[i * m + i]
        for j in 0..<m { dScores[i * m + j] = exp(scores[i * m + j] - lse) / Double(b) }
        dScores[i * m + i] -= 1 / Double(b)
    }
    // scores = tau · Qn Tnᵀ  ⇒  dQn = tau · dS Tn,  dTn = tau · dSᵀ Qn
    let dqn = matmul(dScores, tn, m: b, n: m, k: c, alpha: tau)
    let dtn = matmulTransposedLeft(dScores, qn, m: b, n: m, k: c, alpha: tau)
    LocalMatrix.scatterAdd(l2NormalizeRowsBackward(dy: dqn, y: qn, norms: qNorms, n: b, c: c),
                           rows: queryRows, columns: c, weight: weight, into: &gradient)
    LocalMatrix.scatterAdd(l2NormalizeRowsBackward(dy: dtn, y: tn, norms: tNorms, n: m, c: c),
                           rows: documentRows, columns: c, weight: weight, into: &gradient)
    return loss / Double(b)
}
