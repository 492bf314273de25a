import CBLAS

/// y = x·Wᵀ + b over all rows at once (one sgemm): x [rows, inFeatures], W [outFeatures, inFeatures]
/// (PyTorch's nn.Linear layout), b [outFeatures], y [rows, outFeatures].
@inline(__always)
func linearForward(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int,
                   weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outFeatures: Int,
                   into y: UnsafeMutablePointer<Float>) {
    var beta: Float = 0
    if let bias {
        // Broadcast the bias, then let sgemm accumulate onto it (beta = 1): no extra pass after.
        for r in 0..<rows { (y + r * outFeatures).update(from: bias, count: outFeatures) }
        beta = 1
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outFeatures), Int32(inFeatures),
                1, x, Int32(inFeatures), weight, Int32(inFeatures), beta, y, Int32(outFeatures))
}
