import Foundation

/// How angle_loss reduces the complex quotient's 2·h components to one number per pair.
public enum AnglePooling: String, Sendable {
    case sum
    case mean
}

/// angle_emb's `angle_loss` (AnglE, Li & Li 2023): each vector is read as a complex vector
/// (first half real, second half imaginary); for a zigzag pair (z, w) the quotient z / w is
/// normalized by |z| / |w|, its components pooled (sum or mean), and `tau · |pooled|` ranked as in
/// CoSENT: `log(1 + Σ_{l_i < l_j} exp(y_i − y_j))`.
/// - Parameters:
///   - labels: one label per row; only even rows are read.
///   - embeddings: an even number of rows and an even dimension (angle_emb's `torch.chunk` fails otherwise).
///   - tau: the scale (angle_emb's `angle_tau`, default 20 in `AngleLoss`; the bare function defaults to 1).
public func angleLoss(labels: [Double], embeddings: PooledEmbeddings, tau: Double = 1,
                      pooling: AnglePooling = .sum) throws -> LossOutput {
    var gradient = PooledEmbeddings(zerosRows: embeddings.rows, dimension: embeddings.dimension)
    let loss = try angleLossAccumulate(labels: labels, embeddings, rows: Array(0..<embeddings.rows),
                                       columns: embeddings.dimension, tau: tau, pooling: pooling,
                                       weight: 1, into: &gradient)
    return LossOutput(loss: loss, gradient: gradient)
}

/// `angleLoss` on a row/column selection; adds `weight ·` its gradient into `gradient`.
func angleLossAccumulate(labels: [Double], _ x: PooledEmbeddings, rows: [Int], columns: Int, tau: Double,
                         pooling: AnglePooling, weight: Double, into gradient: inout PooledEmbeddings) throws -> Double {
    guard rows.count % 2 == 0 else { throw TrainingError.shape("angle_loss needs zigzag pairs: \(rows.count) rows is odd") }
    guard columns % 2 == 0 else { throw TrainingError.shape("angle_loss splits vectors into real/imaginary halves: dimension \(columns) is odd") }
    guard labels.count == rows.count else { throw TrainingError.shape("angle_loss: \(labels.count) labels for \(rows.count) rows") }
    let local = LocalMatrix(x, rows: rows, columns: columns)
    let v = local.values, c = columns, h = columns / 2, pairs = rows.count / 2
    let poolScale = pooling == .sum ? 1.0 : 1.0 / Double(c)
    var pooled = [Double](repeating: 0, count: pairs)
    var normZ = [Double](repeating: 0, count: pairs), normW = [Double](repeating: 0, count: pairs)
    var y = [Double](repeating: 0, count: pairs)
    var pairLabels = [Double](repeating: 0, count: pairs)
    for k in 0..<pairs {
        let z = 2 * k * c, w = (2 * k + 1) * c
        var zz = 0.0, ww = 0.0, s = 0.0
        for j in 0..<h {
            let a = v[z + j], b = v[z + h + j], cc = v[w + j], d = v[w + h + j]
            zz += a * a + b * b
            ww += cc * cc + d * d
            // re + im of (a+bi)/(c+di) before the 1/(|z||w|) factor: (ac+bd) + (bc−ad)
            s += a * cc + b * d + b * cc - a * d
        }
        normZ[k] = zz.squareRoot()
        normW[k] = ww.squareRoot()
        // (re, im) = ((ac+bd), (bc−ad)) / |w|² · |w|/|z| = … / (|z||w|)
        pooled[k] = s / (normZ[k] * normW[k]) * poolScale
        y[k] = abs(pooled[k]) * tau
        pairLabels[k] = labels[2 * k]
    }
    let (loss, dyScores) = pairwiseRankingLogSumExp(scores: y, labels: pairLabels)
    var dx = [Double](repeating: 0, count: rows.count * c)
    for k in 0..<pairs {
        let sign: Double = pooled[k] > 0 ? 1 : (pooled[k] < 0 ? -1 : 0)  // torch.abs' subgradient at 0 is 0
        let dp = dyScores[k] * tau * sign
        if dp == 0 { continue }
        let z = 2 * k * c, w = (2 * k + 1) * c
        let inv = poolScale / (normZ[k] * normW[k])
        let p = pooled[k]
        let zz = normZ[k] * normZ[k], ww = normW[k] * normW[k]
        for j in 0..<h {
            let a = v[z + j], b = v[z + h + j], cc = v[w + j], d = v[w + h + j]
            dx[z + j] += dp * ((cc - d) * inv - p * a / zz)
            dx[z + h + j] += dp * ((d + cc) * inv - p * b / zz)
            dx[w + j] += dp * ((a + b) * inv - p * cc / ww)
            dx[w + h + j] += dp * ((b - a) * inv - p * d / ww)
        }
    }
    LocalMatrix.scatterAdd(dx, rows: rows, columns: c, weight: weight, into: &gradient)
    return loss
}
