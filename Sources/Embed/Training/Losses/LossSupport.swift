import CBLAS
import Foundation

// Shared pieces of the losses: a contiguous local matrix gathered from selected rows/columns of
// the batch (angle_emb's `outputs[::2]`, `outputs[:, :k]`, `torch.stack((q, p))`…), scattered back
// as a gradient; row L2 normalization (F.normalize) with its backward; stable log-sum-exp.

/// A contiguous row-major block (n × c) taken from `PooledEmbeddings` rows `sourceRows`, first `c` columns.
struct LocalMatrix {
    var n: Int
    var c: Int
    var values: [Double]
    var sourceRows: [Int]

    init(_ x: PooledEmbeddings, rows: [Int], columns: Int) {
        n = rows.count
        c = columns
        sourceRows = rows
        values = [Double](repeating: 0, count: n * c)
        for (i, r) in rows.enumerated() {
            for j in 0..<c { values[i * c + j] = x.values[r * x.dimension + j] }
        }
    }

    /// Adds `weight * local` into `gradient` at the rows/columns this block came from.
    static func scatterAdd(_ local: [Double], rows: [Int], columns c: Int, weight: Double, into gradient: inout PooledEmbeddings) {
        let d = gradient.dimension
        for (i, r) in rows.enumerated() {
            for j in 0..<c { gradient.values[r * d + j] += weight * local[i * c + j] }
        }
    }
}

/// F.normalize(x, p=2, dim=1, eps=1e-12): y = x / max(‖x‖, eps). Returns y and the norms used.
func l2NormalizeRows(_ x: [Double], n: Int, c: Int) -> (y: [Double], norms: [Double]) {
    var y = x
    var norms = [Double](repeating: 0, count: n)
    for i in 0..<n {
        var s = 0.0
        for j in 0..<c { s += x[i * c + j] * x[i * c + j] }
        let norm = max(s.squareRoot(), 1e-12)
        norms[i] = norm
        for j in 0..<c { y[i * c + j] = x[i * c + j] / norm }
    }
    return (y, norms)
}

/// Backward of `l2NormalizeRows`: dx = (dy − y (y·dy)) / ‖x‖ (for ‖x‖ above eps).
func l2NormalizeRowsBackward(dy: [Double], y: [Double], norms: [Double], n: Int, c: Int) -> [Double] {
    var dx = dy
    for i in 0..<n {
        var dot = 0.0
        for j in 0..<c { dot += y[i * c + j] * dy[i * c + j] }
        if norms[i] <= 1e-12 {
            // Inside the eps clamp the map is x / eps: linear.
            for j in 0..<c { dx[i * c + j] = dy[i * c + j] / norms[i] }
        } else {
            for j in 0..<c { dx[i * c + j] = (dy[i * c + j] - y[i * c + j] * dot) / norms[i] }
        }
    }
    return dx
}

/// C (m × n) = alpha · A (m × k) · B(n × k)ᵀ, row-major.
func matmulTransposed(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, alpha: Double = 1) -> [Double] {
    var out = [Double](repeating: 0, count: m * n)
    guard m > 0, n > 0, k > 0 else { return out }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(k), b, Int32(k), 0, &out, Int32(n))
    return out
}

/// C (m × k) = alpha · A (m × n) · B (n × k), row-major.
func matmul(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, alpha: Double = 1) -> [Double] {
    var out = [Double](repeating: 0, count: m * k)
    guard m > 0, n > 0, k > 0 else { return out }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(k), Int32(n),
                alpha, a, Int32(n), b, Int32(k), 0, &out, Int32(k))
    return out
}

/// C (n × k) = alpha · A (m × n)ᵀ · B (m × k), row-major.
func matmulTransposedLeft(_ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, alpha: Double = 1) -> [Double] {
    var out = [Double](repeating: 0, count: n * k)
    guard m > 0, n > 0, k > 0 else { return out }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(k), Int32(m),
                alpha, a, Int32(n), b, Int32(k), 0, &out, Int32(k))
    return out
}

/// The CoSENT ranking objective shared by cosine_loss and angle_loss:
/// log(1 + Σ_{l_i < l_j} exp(s_i − s_j)), which angle_emb writes as logsumexp over
/// [0, s_i − s_j − (1 − [l_i < l_j])·1e12]. Returns the loss and d loss / d s.
func pairwiseRankingLogSumExp(scores s: [Double], labels l: [Double]) -> (loss: Double, dScores: [Double]) {
    let p = s.count
    var m = 0.0
    for i in 0..<p { for j in 0..<p where l[i] < l[j] { m = max(m, s[i] - s[j]) } }
    var total = exp(-m)  // the prepended zero
    for i in 0..<p { for j in 0..<p where l[i] < l[j] { total += exp(s[i] - s[j] - m) } }
    let lse = m + log(total)
    var ds = [Double](repeating: 0, count: p)
    for i in 0..<p {
        for j in 0..<p where l[i] < l[j] {
            let w = exp(s[i] - s[j] - lse)
            ds[i] += w
            ds[j] -= w
        }
    }
    return (lse, ds)
}
