import CBLAS
import Foundation

/// angle_emb's `AngleESETrainer.pca_compress`: the ESE alignment target of a pooled view `m` (n × D):
/// `A = softmax(mᵀm / √D)` (row-wise, D × D), `U_k S_k` its top-k singular directions, target `m · U_k S_k`.
///
/// angle_emb takes the top-k SVD with `torch.svd_lowrank` (randomized, unseeded: its result varies run to
/// run, signs included); this computes the exact top-k SVD instead (U_k S_k = A V_k, V_k the top
/// eigenvectors of AᵀA by LAPACK dsyevd) with a deterministic sign: each right singular vector's
/// largest-magnitude entry positive. The target carries no gradient.
public func pcaCompress(_ m: PooledEmbeddings, components k: Int) throws -> PooledEmbeddings {
    let n = m.rows, d = m.dimension
    guard k > 0, k <= d else { throw TrainingError.configuration("pca_compress: \(k) components for dimension \(d)") }
    // A = softmax(mᵀ m / √D), row-wise
    var a = matmulTransposedLeft(m.values, m.values, m: n, n: d, k: d, alpha: 1 / Double(d).squareRoot())
    for i in 0..<d {
        var mx = -Double.infinity
        for j in 0..<d { mx = max(mx, a[i * d + j]) }
        var s = 0.0
        for j in 0..<d { a[i * d + j] = exp(a[i * d + j] - mx); s += a[i * d + j] }
        for j in 0..<d { a[i * d + j] /= s }
    }
    // AᵀA (symmetric, so row/column-major agree) → eigenvectors, ascending eigenvalues.
    var ata = matmulTransposedLeft(a, a, m: d, n: d, k: d)
    var eigenvalues = [Double](repeating: 0, count: d)
    var n32 = Int32(d), lwork: Int32 = -1, liwork: Int32 = -1, info: Int32 = 0
    var workQuery = 0.0
    var iworkQuery: Int32 = 0
    var jobz = Int8(UInt8(ascii: "V")), uplo = Int8(UInt8(ascii: "U"))
    dsyevd_(&jobz, &uplo, &n32, &ata, &n32, &eigenvalues, &workQuery, &lwork, &iworkQuery, &liwork, &info)
    lwork = Int32(workQuery)
    liwork = iworkQuery
    var work = [Double](repeating: 0, count: Int(lwork))
    var iwork = [Int32](repeating: 0, count: Int(liwork))
    dsyevd_(&jobz, &uplo, &n32, &ata, &n32, &eigenvalues, &work, &lwork, &iwork, &liwork, &info)
    guard info == 0 else { throw TrainingError.configuration("pca_compress: LAPACK dsyevd failed (info \(info))") }
    // Column c of the column-major result is eigenvector c: ata[c * d + r]. Top k = the last k.
    var v = [Double](repeating: 0, count: d * k)  // D × k, row-major
    for col in 0..<k {
        let e = d - 1 - col
        var best = 0
        for r in 0..<d where abs(ata[e * d + r]) > abs(ata[e * d + best]) { best = r }
        let sign: Double = ata[e * d + best] < 0 ? -1 : 1
        for r in 0..<d { v[r * k + col] = sign * ata[e * d + r] }
    }
    let us = matmul(a, v, m: d, n: d, k: k)          // A V_k = U_k S_k
    let out = matmul(m.values, us, m: n, n: d, k: k)  // m · U_k S_k
    return PooledEmbeddings(uncheckedRows: n, dimension: k, values: out)
}
