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

/// Backward of `linearForward` (two sgemms and a column sum), accumulating like autograd:
/// dW += dyᵀ·x [outFeatures, inFeatures], db += Σ_rows dy, and dx = dy·W (overwritten, or added when
/// `accumulateInput`); pass nil for gradients not needed.
func linearBackward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, inFeatures: Int,
                    weight: UnsafePointer<Float>, outFeatures: Int,
                    weightGradient: UnsafeMutablePointer<Float>?, biasGradient: UnsafeMutablePointer<Float>?,
                    inputGradient: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false) {
    if let dW = weightGradient {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outFeatures), Int32(inFeatures), Int32(rows),
                    1, dy, Int32(outFeatures), x, Int32(inFeatures), 1, dW, Int32(inFeatures))
    }
    if let db = biasGradient {
        for r in 0..<rows {
            let row = dy + r * outFeatures
            for o in 0..<outFeatures { db[o] += row[o] }
        }
    }
    if let dx = inputGradient {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(inFeatures), Int32(outFeatures),
                    1, dy, Int32(outFeatures), weight, Int32(inFeatures), accumulateInput ? 1 : 0, dx, Int32(inFeatures))
    }
}
